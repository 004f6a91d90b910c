/*
 * strategy_cluster.c - strategies of kinds that are stored and validated
 * but act through other components or not at all yet: policy/v1
 * PodDisruptionBudget, scheduling PriorityClass, node RuntimeClass and the
 * storage.k8s.io CSI kinds.
 */
#include "strategy_internal.h"

#include <string.h>

/* ---- PodDisruptionBudget ------------------------------------------------------------------- */

static void pdb_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status",
                        json_pack("{s:i, s:i, s:i, s:i}", "currentHealthy", 0, "desiredHealthy", 0,
                                  "disruptionsAllowed", 0, "expectedPods", 0));
}

static void pdb_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *spec = k1s__objv(obj, "spec");
    const json_t *min = json_object_get(spec, "minAvailable");
    const json_t *max = json_object_get(spec, "maxUnavailable");
    if (min && !json_is_null(min) && max && !json_is_null(max))
        k1s__ferr_invalid_text(fe, "spec", "policy.PodDisruptionBudgetSpec{...}",
                               "minAvailable and maxUnavailable cannot be both set");
    long long unused;
    k1s__int_or_percent(min, "spec.minAvailable", true, &unused, fe);
    k1s__int_or_percent(max, "spec.maxUnavailable", true, &unused, fe);
    k1s__validate_label_selector(k1s__objv(spec, "selector"), "spec.selector", fe);
    const char *policy = k1s__str(spec, "unhealthyPodEvictionPolicy");
    static const char *const policies[] = {"AlwaysAllow", "IfHealthyBudget", NULL};
    if (policy && !k1s__one_of(policy, policies))
        k1s__ferr_not_supported_str(fe, "spec.unhealthyPodEvictionPolicy", policy, policies);
}

const k1s_strategy k1s__strategy_pdb = {
    .prepare_create = pdb_prepare_create,
    .validate = pdb_validate,
};

/* ---- PriorityClass -------------------------------------------------------------------------- */

/* Above this only the system's own classes may go. */
#define HIGHEST_USER_PRIORITY 1000000000

static void priorityclass_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *v = json_object_get(obj, "value");
    const char *name = k1s_meta(obj, "name");
    bool system = name && !strncmp(name, "system-", 7);
    if (json_is_integer(v) && json_integer_value(v) > HIGHEST_USER_PRIORITY && !system)
        k1s_ferr_forbidden(fe, "value",
                           "maximum allowed value of a user defined priority is 1000000000");
    if (old && !k1s_json_semantic_equal(v, json_object_get(old, "value")))
        k1s_ferr_forbidden(fe, "value", "may not be changed in an update.");
    const char *pp = k1s__str(obj, "preemptionPolicy");
    static const char *const policies[] = {"Never", "PreemptLowerPriority", NULL};
    if (pp && !k1s__one_of(pp, policies))
        k1s__ferr_not_supported_str(fe, "preemptionPolicy", pp, policies);
}

const k1s_strategy k1s__strategy_priorityclass = {
    .validate = priorityclass_validate,
};

/* ---- RuntimeClass ---------------------------------------------------------------------------- */

static void runtimeclass_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *h = json_object_get(obj, "handler");
    if (!json_is_string(h) || !*json_string_value(h))
        k1s_ferr_required(fe, "handler", "");
    else
        k1s__check_dns_label(fe, "handler", h);
    if (old && !k1s_json_semantic_equal(h, json_object_get(old, "handler")))
        k1s_ferr_invalid(fe, "handler", h, "field is immutable");
}

const k1s_strategy k1s__strategy_runtimeclass = {
    .validate = runtimeclass_validate,
};

/* ---- CSI kinds: stored for drivers and tools; k1s runs no CSI driver --------------------------- */

const k1s_strategy k1s__strategy_csidriver = {0};
const k1s_strategy k1s__strategy_csinode = {0};
const k1s_strategy k1s__strategy_csistoragecapacity = {0};

static void volumeattachment_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status", json_pack("{s:b}", "attached", 0));
}

const k1s_strategy k1s__strategy_volumeattachment = {
    .prepare_create = volumeattachment_prepare_create,
};
