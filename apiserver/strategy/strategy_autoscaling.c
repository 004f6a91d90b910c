/*
 * strategy_autoscaling.c - autoscaling/v2 HorizontalPodAutoscaler: kube's
 * v2 SetDefaults (minReplicas 1, a CPU utilization metric of 80% when
 * none is given, a behavior's unset scaling rules filled from the
 * defaults), create-time status, the HPAConfigurableTolerance gate (off in
 * 1.33: spec tolerance is dropped unless the old object used it), and the
 * status strategy. The status always carries desiredReplicas and
 * currentMetrics, as Go writes fields without omitempty. No controller
 * acts on these objects yet. Validation is in validate/validate_hpa.c.
 */
#include "strategy_internal.h"

#include <string.h>

/* validate/validate_hpa.c */
void k1s__validate_hpa(const json_t *obj, const json_t *old, k1s_ferrs *fe);
void k1s__validate_hpa_status(const json_t *obj, const json_t *old, k1s_ferrs *fe);

/* kube's DefaultCPUUtilization */
#define DEFAULT_CPU_UTILIZATION 80

static json_t *policy(const char *type, int value, int period)
{
    return json_pack("{s:s, s:i, s:i}", "type", type, "value", value, "periodSeconds", period);
}

/* GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: the default rules
 * with what the given ones set (any member present and not null) laid
 * over them. rules is borrowed; a new object is returned (NULL on out of
 * memory). */
static json_t *scaling_rules(const json_t *rules, bool up)
{
    json_t *out = json_object();
    if (!out)
        return NULL;
    if (up)
        json_object_set_new(out, "stabilizationWindowSeconds", json_integer(0));
    json_object_set_new(out, "selectPolicy", json_string("Max"));
    json_t *pols = up ? json_pack("[o, o]", policy("Pods", 4, 15), policy("Percent", 100, 15))
                      : json_pack("[o]", policy("Percent", 100, 15));
    json_object_set_new(out, "policies", pols ? pols : json_array());
    static const char *const keys[] = {"selectPolicy", "stabilizationWindowSeconds", "policies",
                                       "tolerance"};
    for (size_t i = 0; json_is_object(rules) && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(rules, keys[i]);
        if (v && !json_is_null(v))
            json_object_set(out, keys[i], v);
    }
    return out;
}

/* Go writes status.desiredReplicas and status.currentMetrics always; an
 * empty list reads back from storage as null. */
static void status_shape(json_t *obj)
{
    json_t *status = k1s__ensure_obj(obj, "status");
    if (!status)
        return;
    if (!json_is_integer(json_object_get(status, "desiredReplicas")))
        json_object_set_new(status, "desiredReplicas", json_integer(0));
    json_t *cm = json_object_get(status, "currentMetrics");
    if (!cm || (json_is_array(cm) && json_array_size(cm) == 0))
        json_object_set_new(status, "currentMetrics", json_null());
}

/* SetDefaults_HorizontalPodAutoscaler (autoscaling/v2). */
static void hpa_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (spec) {
        if (!k1s__has(spec, "minReplicas"))
            json_object_set_new(spec, "minReplicas", json_integer(1));
        if (json_array_size(k1s__arrv(spec, "metrics")) == 0) {
            json_t *m = json_pack("[{s:s, s:{s:s, s:{s:s, s:i}}}]", "type", "Resource", "resource",
                                  "name", "cpu", "target", "type", "Utilization",
                                  "averageUtilization", DEFAULT_CPU_UTILIZATION);
            if (m)
                json_object_set_new(spec, "metrics", m);
        }
        json_t *behavior = k1s__objv(spec, "behavior");
        if (behavior) {
            json_t *up = scaling_rules(k1s__objv(behavior, "scaleUp"), true);
            json_t *down = scaling_rules(k1s__objv(behavior, "scaleDown"), false);
            if (up)
                json_object_set_new(behavior, "scaleUp", up);
            if (down)
                json_object_set_new(behavior, "scaleDown", down);
        }
    }
    status_shape(obj);
}

static bool tolerance_in_use(const json_t *obj)
{
    const json_t *b = k1s__objv(k1s__objv(obj, "spec"), "behavior");
    return k1s__has(k1s__objv(b, "scaleUp"), "tolerance") ||
           k1s__has(k1s__objv(b, "scaleDown"), "tolerance");
}

/* dropDisabledFields: HPAConfigurableTolerance is alpha (off) in 1.33. */
static void drop_disabled(json_t *obj, const json_t *old)
{
    if (old && tolerance_in_use(old))
        return;
    json_t *b = k1s__objv(k1s__objv(obj, "spec"), "behavior");
    json_object_del(k1s__objv(b, "scaleUp"), "tolerance");
    json_object_del(k1s__objv(b, "scaleDown"), "tolerance");
}

static void hpa_prepare_create(json_t *obj)
{
    k1s__empty_status(obj);
    drop_disabled(obj, NULL);
}

/* The generic update already keeps the old status. */
static void hpa_prepare_update(json_t *obj, const json_t *old)
{
    drop_disabled(obj, old);
}

const k1s_strategy k1s__strategy_hpa = {
    .defaults = hpa_defaults,
    .prepare_create = hpa_prepare_create,
    .prepare_update = hpa_prepare_update,
    .validate = k1s__validate_hpa,
};

/* horizontalpodautoscalers/status: the spec stays the old one (the write
 * path keeps it), only the status counts are checked. */
const k1s_strategy k1s__strategy_hpa_status = {
    .defaults = hpa_defaults,
    .validate = k1s__validate_hpa_status,
};
