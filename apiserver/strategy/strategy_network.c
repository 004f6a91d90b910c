/*
 * strategy_network.c - networking.k8s.io/v1 strategies: Ingress,
 * IngressClass, NetworkPolicy, ServiceCIDR and IPAddress. Stored and
 * validated here; routing and enforcement belong to the networking
 * component (issue 15).
 */
#include "strategy_internal.h"

#include <string.h>

/* ---- Ingress -------------------------------------------------------------------------- */

static void ingress_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
}

static void ingress_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    char fp[K1S_FP_MAX];
    const json_t *spec = k1s__objv(obj, "spec");
    size_t i, j;
    json_t *rule, *path;
    static const char *const types[] = {"Exact", "ImplementationSpecific", "Prefix", NULL};
    json_array_foreach(k1s__arrv(spec, "rules"), i, rule)
    {
        json_array_foreach(k1s__arrv(k1s__objv(rule, "http"), "paths"), j, path)
        {
            const char *pt = k1s__str0(path, "pathType");
            const char *field = k1s__fp(fp, "spec.rules[%zu].http.paths[%zu].pathType", i, j);
            if (!*pt)
                k1s_ferr_required(fe, field, "pathType must be specified");
            else if (!k1s__one_of(pt, types))
                k1s__ferr_not_supported_str(fe, field, pt, types);
        }
    }
}

const k1s_strategy k1s__strategy_ingress = {
    .prepare_create = ingress_prepare_create,
    .validate = ingress_validate,
    .allocate = k1s__ingress_default_class,
};

const k1s_strategy k1s__strategy_ingressclass = {0};

/* ---- NetworkPolicy ---------------------------------------------------------------------- */

/* SetDefaults_NetworkPolicy: Ingress always, Egress when rules say so. */
static void networkpolicy_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (!spec || json_array_size(k1s__arrv(spec, "policyTypes")))
        return;
    json_t *types = json_pack("[s]", "Ingress");
    if (json_array_size(k1s__arrv(spec, "egress")))
        json_array_append_new(types, json_string("Egress"));
    json_object_set_new(spec, "policyTypes", types);
}

static void networkpolicy_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    char fp[K1S_FP_MAX];
    const json_t *spec = k1s__objv(obj, "spec");
    k1s__validate_label_selector(k1s__objv(spec, "podSelector"), "spec.podSelector", fe);
    size_t i;
    json_t *t;
    static const char *const types[] = {"Ingress", "Egress", NULL};
    json_array_foreach(k1s__arrv(spec, "policyTypes"), i, t)
    {
        const char *s = json_is_string(t) ? json_string_value(t) : "";
        if (!k1s__one_of(s, types))
            k1s__ferr_not_supported_str(fe, k1s__fp(fp, "spec.policyTypes[%zu]", i), s, types);
    }
}

const k1s_strategy k1s__strategy_networkpolicy = {
    .defaults = networkpolicy_defaults,
    .validate = networkpolicy_validate,
};

/* ---- ServiceCIDR and IPAddress ------------------------------------------------------------ */

const k1s_strategy k1s__strategy_servicecidr = {
    .prepare_create = k1s__empty_status,
};

/* An IPAddress is named by its address. */
const k1s_strategy k1s__strategy_ipaddress = {
    .name_rule = K1S_NAME_PATH_SEGMENT,
};
