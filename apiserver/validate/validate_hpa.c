/*
 * validate_hpa.c - autoscaling/v2 HorizontalPodAutoscaler validation with
 * kube 1.33's messages: the replica bounds (minReplicas >= 1, the
 * HPAScaleToZero gate being off; maxReplicas > 0 and >= minReplicas), the
 * scale target reference, each metric (its source type, the one source it
 * fills, the metric name and target), the scaling behavior (stabilization
 * windows, select policies, policies), and the status counts a status
 * write keeps non-negative. Called by strategy_autoscaling.c, which
 * declares these functions.
 */
#include "strategy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_quantity.h"

/* kube's limits on scaling rules (autoscaling validation). */
#define MAX_PERIOD_SECONDS 1800
#define MAX_STABILIZATION_WINDOW_SECONDS 3600

void k1s__validate_hpa(const json_t *obj, const json_t *old, k1s_ferrs *fe);
void k1s__validate_hpa_status(const json_t *obj, const json_t *old, k1s_ferrs *fe);

/* Sorted as kube's sets.String lists print them. */
static const char *const metric_source_types[] = {"ContainerResource", "External", "Object", "Pods",
                                                  "Resource",          NULL};
static const char *const select_policies[] = {"Disabled", "Max", "Min", NULL};
static const char *const policy_types[] = {"Percent", "Pods", NULL};

static bool present(const json_t *o, const char *key)
{
    return k1s__has(o, key);
}

/* An integer member, or def when absent (Go's nil pointer or zero). */
static long long ival(const json_t *o, const char *key, long long def)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

/* Invalid with an integer value (Go prints it with %v). */
static void invalid_int(k1s_ferrs *fe, const char *field, long long v, const char *detail)
{
    json_t *jv = json_integer(v);
    k1s_ferr_invalid(fe, field, jv, detail);
    json_decref(jv);
}

/* ---- a Quantity as Go's %#v prints it ------------------------------------------- */

/* kube passes *resource.Quantity to field.Invalid; the error dereferences
 * it and, Quantity's String() having a pointer receiver, prints the struct
 * with %#v. This is that text for the values ParseQuantity keeps as an
 * int64Amount (its fast path: up to 18 digits, scale >= -9); others fall
 * back to the canonical string. malloc'd, NULL on out of memory. */
static char *go_quantity(const json_t *v)
{
    char in[128];
    if (json_is_string(v))
        snprintf(in, sizeof in, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(in, sizeof in, "%lld", (long long)json_integer_value(v));
    else
        return k1s__quantity_text(v);
    k1s_quantity q;
    if (k1s_quantity_parse(in, &q) != 0)
        return k1s__quantity_text(v);
    /* parseQuantityString's pieces: sign, digits (leading zeros dropped),
     * fraction digits, suffix */
    const char *p = in;
    bool positive = true;
    if (*p == '+' || *p == '-')
        positive = *p++ == '+';
    while (*p == '0')
        p++;
    const char *num = p;
    size_t nnum = strspn(p, "0123456789");
    p += nnum;
    const char *den = "";
    size_t nden = 0;
    if (*p == '.') {
        den = ++p;
        nden = strspn(p, "0123456789");
        p += nden;
    }
    const char *suffix = p;
    char shifted[64];
    if (nnum == 0 && nden == 0) {
        snprintf(shifted, sizeof shifted, "0");
        nnum = 1, num = "0", suffix = "";
    } else if (nnum + nden + 1 > sizeof shifted) {
        return k1s__quantity_text(v);
    } else {
        if (nnum == 0)
            num = "0", nnum = 1;
        snprintf(shifted, sizeof shifted, "%.*s%.*s", (int)nnum, num, (int)nden, den);
    }
    long long exp = 0;
    int bin = 0; /* binary exponent, for BinarySI */
    const char *format = "DecimalSI";
    static const struct {
        const char *s;
        int exp;
    } dec[] = {{"", 0},  {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3},
               {"M", 6}, {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}};
    static const char *const binary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    bool known = false;
    for (size_t i = 0; i < sizeof dec / sizeof dec[0] && !known; i++)
        if (!strcmp(suffix, dec[i].s))
            exp = dec[i].exp, known = true;
    for (size_t i = 0; i < 6 && !known; i++)
        if (!strcmp(suffix, binary[i]))
            bin = 10 * (int)(i + 1), format = "BinarySI", known = true;
    if (!known && (*suffix == 'e' || *suffix == 'E'))
        exp = strtoll(suffix + 1, NULL, 10), format = "DecimalExponent", known = true;
    if (!known)
        return k1s__quantity_text(v);
    long long precision, scale, mantissa = 1;
    if (bin) {
        scale = 0;
        if (nden)
            return k1s__quantity_text(v);
        mantissa = 1LL << bin;
        precision = 15 - (long long)nnum - (long long)((float)bin * 3 / 10) - 1;
    } else {
        scale = exp;
        precision = 18 - (long long)(nnum + nden);
    }
    if (precision < 0)
        return k1s__quantity_text(v);
    scale -= (long long)nden;
    if (scale < -9)
        return k1s__quantity_text(v);
    long long value = strtoll(shifted, NULL, 10);
    if (value != 0 && mantissa > 0 && value > __LONG_LONG_MAX__ / mantissa)
        return k1s__quantity_text(v);
    long long result = value * mantissa;
    if (!positive)
        result = -result;
    /* canonical input is kept as the cached string */
    bool keep;
    size_t ns = strlen(shifted);
    if (bin)
        keep = bin % 10 == 0 && (value & 7) != 0;
    else
        keep =
            scale % 3 == 0 && !(ns >= 3 && !strcmp(shifted + ns - 3, "000")) && shifted[0] != '0';
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    fprintf(f,
            "resource.Quantity{i:resource.int64Amount{value:%lld, scale:%lld}, "
            "d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:",
            result, scale);
    k1s__go_quote(f, keep ? in : "");
    fprintf(f, ", Format:\"%s\"}", format);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* "must be positive" unless the quantity at o[key] is > 0. */
static void positive_quantity(const json_t *o, const char *key, const char *path, k1s_ferrs *fe)
{
    const json_t *v = json_object_get(o, key);
    int sign = 0;
    if (!v || json_is_null(v) || (k1s__quantity_sign(v, &sign) == 0 && sign == 1))
        return;
    char fp[K1S_FP_MAX];
    char *text = go_quantity(v);
    k1s__ferr_invalid_text(fe, k1s__fp(fp, "%s.%s", path, key), text ? text : "?",
                           "must be positive");
    free(text);
}

/* ---- references, identifiers, targets ---------------------------------------------- */

/* A kind or name: required, and a valid path segment. */
static void path_segment(const json_t *o, const char *key, const char *path, const char *detail,
                         k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const json_t *v = json_object_get(o, key);
    k1s__fp(fp, "%s.%s", path, key);
    if (!json_is_string(v) || !json_string_length(v)) {
        k1s_ferr_required(fe, fp, detail);
        return;
    }
    k1s__ferr_msgs(fe, fp, v, k1s_is_path_segment_name(json_string_value(v), false));
}

/* ValidateCrossVersionObjectReference */
static void object_reference(const json_t *ref, const char *path, k1s_ferrs *fe)
{
    path_segment(ref, "kind", path, "", fe);
    path_segment(ref, "name", path, "", fe);
}

/* validateMetricIdentifier */
static void metric_identifier(const json_t *id, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    path_segment(id, "name", k1s__fp(fp, "%s.metric", path), "must specify a metric name", fe);
}

/* validateMetricTarget */
static void metric_target(const json_t *mt, const char *path, k1s_ferrs *fe)
{
    static const char *const types[] = {"Utilization", "Value", "AverageValue", NULL};
    char fp[K1S_FP_MAX];
    const char *type = k1s__str0(mt, "type");
    if (!*type)
        k1s_ferr_required(fe, k1s__fp(fp, "%s.type", path), "must specify a metric target type");
    if (!k1s__one_of(type, types))
        k1s_ferr_invalid_str(fe, k1s__fp(fp, "%s.type", path), type,
                             "must be either Utilization, Value, or AverageValue");
    positive_quantity(mt, "value", path, fe);
    positive_quantity(mt, "averageValue", path, fe);
    const json_t *util = json_object_get(mt, "averageUtilization");
    if (json_is_integer(util) && json_integer_value(util) < 1)
        k1s_ferr_invalid(fe, k1s__fp(fp, "%s.averageUtilization", path), util,
                         "must be greater than 0");
}

/* The target's path and object (NULL when absent: Go's zero MetricTarget). */
static const json_t *target_of(const json_t *src, const char *path, char *tp)
{
    k1s__fp(tp, "%s.target", path);
    return k1s__objv(src, "target");
}

/* ---- metric sources ------------------------------------------------------------------ */

static void object_source(const json_t *src, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX], tp[K1S_FP_MAX];
    object_reference(k1s__objv(src, "describedObject"), k1s__fp(fp, "%s.describedObject", path),
                     fe);
    metric_identifier(k1s__objv(src, "metric"), path, fe);
    const json_t *t = target_of(src, path, tp);
    metric_target(t, tp, fe);
    if (!present(t, "value") && !present(t, "averageValue"))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.averageValue", tp),
                          "must set either a target value or averageValue");
}

static void external_source(const json_t *src, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX], tp[K1S_FP_MAX];
    metric_identifier(k1s__objv(src, "metric"), path, fe);
    const json_t *t = target_of(src, path, tp);
    metric_target(t, tp, fe);
    bool value = present(t, "value"), avg = present(t, "averageValue");
    if (!value && !avg)
        k1s_ferr_required(fe, k1s__fp(fp, "%s.averageValue", tp),
                          "must set either a target value for metric or a per-pod target");
    if (value && avg)
        k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.value", tp),
                           "may not set both a target value for metric and a per-pod target");
}

static void pods_source(const json_t *src, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX], tp[K1S_FP_MAX];
    metric_identifier(k1s__objv(src, "metric"), path, fe);
    const json_t *t = target_of(src, path, tp);
    metric_target(t, tp, fe);
    if (!present(t, "averageValue"))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.averageValue", tp),
                          "must specify a positive target averageValue");
}

/* The utilization-or-value rules Resource and ContainerResource share. */
static void utilization_or_value(const json_t *t, const char *tp, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    bool util = present(t, "averageUtilization"), avg = present(t, "averageValue");
    if (!util && !avg)
        k1s_ferr_required(fe, k1s__fp(fp, "%s.averageUtilization", tp),
                          "must set either a target raw value or a target utilization");
    if (util && avg)
        k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.averageValue", tp),
                           "may not set both a target raw value and a target utilization");
}

static void resource_source(const json_t *src, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX], tp[K1S_FP_MAX];
    if (!*k1s__str0(src, "name"))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.name", path), "must specify a resource name");
    const json_t *t = target_of(src, path, tp);
    metric_target(t, tp, fe);
    utilization_or_value(t, tp, fe);
}

/* ValidateContainerResourceName's main rule: a name without a domain is
 * one of the standard container resources. */
static void container_resource_name(const json_t *v, const char *field, k1s_ferrs *fe)
{
    const char *s = json_string_value(v);
    if (strchr(s, '/'))
        return;
    if (!strcmp(s, "cpu") || !strcmp(s, "memory") || !strcmp(s, "ephemeral-storage") ||
        !strncmp(s, "hugepages-", 10))
        return;
    k1s_ferr_invalid(fe, field, v, "must be a standard resource for containers");
}

static void container_resource_source(const json_t *src, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX], tp[K1S_FP_MAX];
    const json_t *name = json_object_get(src, "name");
    k1s__fp(fp, "%s.name", path);
    if (!json_is_string(name) || !json_string_length(name))
        k1s_ferr_required(fe, fp, "must specify a resource name");
    else
        container_resource_name(name, fp, fe);
    const json_t *ctr = json_object_get(src, "container");
    k1s__fp(fp, "%s.container", path);
    if (!json_is_string(ctr) || !json_string_length(ctr))
        k1s_ferr_required(fe, fp, "must specify a container");
    else
        k1s__check_dns_label(fe, fp, ctr);
    const json_t *t = target_of(src, path, tp);
    metric_target(t, tp, fe);
    utilization_or_value(t, tp, fe);
}

/* The sources in the order kube looks at them; only the first present one
 * is validated. */
static const struct {
    const char *member, *type;
    void (*validate)(const json_t *src, const char *path, k1s_ferrs *fe);
} sources[] = {
    {"object", "Object", object_source},
    {"external", "External", external_source},
    {"pods", "Pods", pods_source},
    {"resource", "Resource", resource_source},
    {"containerResource", "ContainerResource", container_resource_source},
};
#define NSOURCES (sizeof sources / sizeof sources[0])

/* validateMetricSpec */
static void metric_spec(const json_t *m, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const char *type = k1s__str0(m, "type");
    if (!*type)
        k1s_ferr_required(fe, k1s__fp(fp, "%s.type", path), "must specify a metric source type");
    /* kube adds this error twice (a set check and the switch's default);
     * its message shows it once */
    if (!k1s__one_of(type, metric_source_types))
        k1s__ferr_not_supported_str(fe, k1s__fp(fp, "%s.type", path), type, metric_source_types);
    size_t npresent = 0;
    for (size_t i = 0; i < NSOURCES; i++) {
        const json_t *src = json_object_get(m, sources[i].member);
        if (!json_is_object(src))
            continue;
        if (++npresent == 1)
            sources[i].validate(src, k1s__fp(fp, "%s.%s", path, sources[i].member), fe);
    }
    const char *expected = "";
    for (size_t i = 0; i < NSOURCES; i++) {
        if (strcmp(type, sources[i].type) != 0)
            continue;
        expected = sources[i].member;
        if (!json_is_object(json_object_get(m, expected)))
            k1s_ferr_required(fe, k1s__fp(fp, "%s.%s", path, expected),
                              "must populate information for the given metric source");
    }
    if (npresent == 1)
        return;
    for (size_t i = 0; i < NSOURCES; i++)
        if (json_is_object(json_object_get(m, sources[i].member)) &&
            strcmp(sources[i].member, expected) != 0)
            k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.%s", path, sources[i].member),
                               "must populate the given metric source only");
}

/* validateMetrics: each metric, and scaling to zero needs an Object or
 * External metric. */
static void metrics(const json_t *list, bool min_zero, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    bool object_or_external = false;
    size_t i;
    const json_t *m;
    json_array_foreach(list, i, m)
    {
        metric_spec(m, k1s__fp(fp, "spec.metrics[%zu]", i), fe);
        const char *type = k1s__str0(m, "type");
        if (!strcmp(type, "Object") || !strcmp(type, "External"))
            object_or_external = true;
    }
    if (min_zero && !object_or_external)
        k1s_ferr_forbidden(
            fe, "spec.metrics",
            "must specify at least one Object or External metric to support scaling to zero replicas");
}

/* ---- behavior --------------------------------------------------------------------------- */

static void scaling_policy(const json_t *p, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const char *type = k1s__str0(p, "type");
    if (strcmp(type, "Pods") != 0 && strcmp(type, "Percent") != 0)
        k1s__ferr_not_supported_str(fe, k1s__fp(fp, "%s.type", path), type, policy_types);
    long long value = ival(p, "value", 0), period = ival(p, "periodSeconds", 0);
    if (value <= 0)
        invalid_int(fe, k1s__fp(fp, "%s.value", path), value, "must be greater than zero");
    k1s__fp(fp, "%s.periodSeconds", path);
    if (period <= 0)
        invalid_int(fe, fp, period, "must be greater than zero");
    if (period > MAX_PERIOD_SECONDS)
        invalid_int(fe, fp, period, "must be less than or equal to 1800");
}

static void scaling_rules(const json_t *rules, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!json_is_object(rules))
        return;
    const json_t *win = json_object_get(rules, "stabilizationWindowSeconds");
    if (json_is_integer(win)) {
        k1s__fp(fp, "%s.stabilizationWindowSeconds", path);
        if (json_integer_value(win) < 0)
            k1s_ferr_invalid(fe, fp, win, "must be greater than or equal to zero");
        if (json_integer_value(win) > MAX_STABILIZATION_WINDOW_SECONDS)
            k1s_ferr_invalid(fe, fp, win, "must be less than or equal to 3600");
    }
    const json_t *sel = json_object_get(rules, "selectPolicy");
    if (json_is_string(sel) && !k1s__one_of(json_string_value(sel), select_policies))
        k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.selectPolicy", path), sel, select_policies);
    const json_t *pols = json_object_get(rules, "policies");
    if (!json_array_size(pols))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.policies", path), "must specify at least one Policy");
    size_t i;
    const json_t *p;
    json_array_foreach(pols, i, p)
    {
        char pp[K1S_FP_MAX];
        scaling_policy(p, k1s__fp(pp, "%s.policies[%zu]", path, i), fe);
    }
    const json_t *tol = json_object_get(rules, "tolerance");
    int sign = 0;
    if (tol && !json_is_null(tol) && k1s__quantity_sign(tol, &sign) == 0 && sign < 0) {
        char *text = go_quantity(tol);
        k1s__ferr_invalid_text(fe, k1s__fp(fp, "%s.tolerance", path), text ? text : "?",
                               "must be greater than or equal to zero");
        free(text);
    }
}

/* ---- the object ----------------------------------------------------------------------------- */

/* ValidateHorizontalPodAutoscaler and, with old, ...Update: an HPA that
 * already scales to zero may keep doing so. */
void k1s__validate_hpa(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    const json_t *old_min = json_object_get(k1s__objv(old, "spec"), "minReplicas");
    long long lower = old && json_is_integer(old_min) && json_integer_value(old_min) == 0 ? 0 : 1;
    const json_t *min = json_object_get(spec, "minReplicas");
    bool has_min = json_is_integer(min);
    long long minv = has_min ? (long long)json_integer_value(min) : 0;
    long long maxv = ival(spec, "maxReplicas", 0);
    if (has_min && minv < lower) {
        char msg[64];
        snprintf(msg, sizeof msg, "must be greater than or equal to %lld", lower);
        k1s_ferr_invalid(fe, "spec.minReplicas", min, msg);
    }
    if (maxv < 1)
        invalid_int(fe, "spec.maxReplicas", maxv, "must be greater than 0");
    if (has_min && maxv < minv)
        invalid_int(fe, "spec.maxReplicas", maxv, "must be greater than or equal to `minReplicas`");
    object_reference(k1s__objv(spec, "scaleTargetRef"), "spec.scaleTargetRef", fe);
    metrics(k1s__arrv(spec, "metrics"), has_min && minv == 0, fe);
    const json_t *behavior = k1s__objv(spec, "behavior");
    scaling_rules(k1s__objv(behavior, "scaleUp"), "spec.behavior.scaleUp", fe);
    scaling_rules(k1s__objv(behavior, "scaleDown"), "spec.behavior.scaleDown", fe);
}

/* ValidateHorizontalPodAutoscalerStatusUpdate's own rules. */
void k1s__validate_hpa_status(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *status = k1s__objv(obj, "status");
    k1s__ferr_nonneg(fe, "status.currentReplicas", json_object_get(status, "currentReplicas"));
    k1s__ferr_nonneg(fe, "status.desiredReplicas", json_object_get(status, "desiredReplicas"));
}
