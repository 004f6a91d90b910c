/*
 * strategy_service.c - the Service strategy: the defaults that depend on
 * the type (targetPort, traffic policies, session affinity), the IP family
 * fields kube's allocator fills in and keeping allocated values across
 * updates. Validation is in validate_service.c, allocation of cluster IPs
 * and node ports in service_alloc.c.
 */
#include "service_internal.h"

#include <stdlib.h>

/* ---- preparation (normalizeClusterIPs, patchAllocatedValues,
 *      dropTypeDependentFields, initIPFamilyFields) ------------------------- */

static void patch_allocated(json_t *spec, const json_t *ospec)
{
    if (needs_cluster_ip(ospec) && needs_cluster_ip(spec)) {
        if (!*k1s__str0(spec, "clusterIP") && k1s__has(ospec, "clusterIP"))
            json_object_set(spec, "clusterIP", json_object_get(ospec, "clusterIP"));
        if (json_array_size(k1s__arrv(spec, "clusterIPs")) == 0 &&
            json_array_size(k1s__arrv(ospec, "clusterIPs")) > 0)
            json_object_set_new(spec, "clusterIPs",
                                json_deep_copy(json_object_get(ospec, "clusterIPs")));
    }
    if (needs_node_port(ospec) && needs_node_port(spec)) {
        const json_t *ops = k1s__arrv(ospec, "ports");
        json_t *ps = k1s__arrv(spec, "ports");
        for (size_t i = 0; i < json_array_size(ps); i++) {
            json_t *p = json_array_get(ps, i);
            if (json_integer_value(json_object_get(p, "nodePort")) != 0 || !json_is_object(p))
                continue;
            /* the old port of the same name, unless a new port already
               uses its node port */
            json_int_t np = 0;
            for (size_t j = 0; j < json_array_size(ops); j++) {
                const json_t *op = json_array_get(ops, j);
                if (!strcmp(k1s__str0(op, "name"), k1s__str0(p, "name")))
                    np = json_integer_value(json_object_get(op, "nodePort"));
            }
            bool used = false;
            for (size_t j = 0; j < json_array_size(ps) && np && !used; j++)
                used = json_integer_value(json_object_get(json_array_get(ps, j), "nodePort")) == np;
            if (np && !used)
                json_object_set_new(p, "nodePort", json_integer(np));
        }
    }
    if (needs_hc_node_port(ospec) && needs_hc_node_port(spec) &&
        json_integer_value(json_object_get(spec, "healthCheckNodePort")) == 0 &&
        k1s__has(ospec, "healthCheckNodePort"))
        json_object_set(spec, "healthCheckNodePort", json_object_get(ospec, "healthCheckNodePort"));
}

static void normalize_cluster_ips(json_t *spec, const json_t *ospec)
{
    const char *ip = k1s__str0(spec, "clusterIP");
    json_t *ips = k1s__arrv(spec, "clusterIPs");
    if (!ospec) {
        if (*ip && json_array_size(ips) == 0)
            json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
        else if (!*ip && json_array_size(ips) > 0 && json_is_string(json_array_get(ips, 0)))
            /* kube's allocator sets the singular field from the list */
            json_object_set(spec, "clusterIP", json_array_get(ips, 0));
        return;
    }
    const char *oip = k1s__str0(ospec, "clusterIP");
    if (json_array_size(k1s__arrv(ospec, "clusterIPs")) > 0 && json_array_size(ips) == 0 &&
        !strcmp(oip, ip))
        json_object_set_new(spec, "clusterIPs",
                            json_deep_copy(json_object_get(ospec, "clusterIPs")));
    if (strcmp(oip, ip)) {
        bool same = same_field(spec, ospec, "clusterIPs");
        if (*oip && !*ip) {
            if (same)
                json_object_del(spec, "clusterIPs");
        } else if (same) {
            json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
        }
    }
}

static void drop_type_dependent(json_t *spec, const json_t *ospec)
{
    if (needs_cluster_ip(ospec) && !needs_cluster_ip(spec)) {
        if (same_field(spec, ospec, "clusterIPs")) {
            json_object_del(spec, "clusterIP");
            json_object_del(spec, "clusterIPs");
        }
        if (same_field(spec, ospec, "ipFamilies"))
            json_object_del(spec, "ipFamilies");
        if (same_field(spec, ospec, "ipFamilyPolicy"))
            json_object_del(spec, "ipFamilyPolicy");
    }
    if (needs_node_port(ospec) && !needs_node_port(spec)) {
        bool same = true;
        const json_t *ps = k1s__arrv(spec, "ports"), *ops = k1s__arrv(ospec, "ports");
        if (json_array_size(ps) != json_array_size(ops))
            same = false;
        for (size_t i = 0; same && i < json_array_size(ps); i++)
            same = json_integer_value(json_object_get(json_array_get(ps, i), "nodePort")) ==
                   json_integer_value(json_object_get(json_array_get(ops, i), "nodePort"));
        for (size_t i = 0; same && i < json_array_size(ps); i++)
            json_object_del(json_array_get(ps, i), "nodePort");
    }
    if (needs_hc_node_port(ospec) && !needs_hc_node_port(spec) &&
        same_field(spec, ospec, "healthCheckNodePort"))
        json_object_del(spec, "healthCheckNodePort");
    if (is_type(ospec, "LoadBalancer") && !is_type(spec, "LoadBalancer")) {
        json_t *a = json_object_get(spec, "allocateLoadBalancerNodePorts");
        json_t *oa = json_object_get(ospec, "allocateLoadBalancerNodePorts");
        if (json_is_boolean(a) && json_is_boolean(oa) && json_equal(a, oa))
            json_object_del(spec, "allocateLoadBalancerNodePorts");
        if (same_field(spec, ospec, "loadBalancerClass"))
            json_object_del(spec, "loadBalancerClass");
    }
    if (externally_accessible(ospec) && !externally_accessible(spec) &&
        same_field(spec, ospec, "externalTrafficPolicy"))
        json_object_del(spec, "externalTrafficPolicy");
}

/* The ipFamilyPolicy and ipFamilies kube's allocator settles on. */
static void init_ip_families(json_t *spec, const json_t *ospec)
{
    if (!needs_cluster_ip(spec))
        return;
    bool selectorless = json_object_size(k1s__objv(spec, "selector")) == 0;
    bool none = !strcmp(k1s__str0(spec, "clusterIP"), "None");
    if (!k1s__has(spec, "ipFamilyPolicy")) {
        if (ospec && k1s__has(ospec, "ipFamilyPolicy"))
            json_object_set(spec, "ipFamilyPolicy", json_object_get(ospec, "ipFamilyPolicy"));
        else
            json_object_set_new(
                spec, "ipFamilyPolicy",
                json_string(none && selectorless ? "RequireDualStack" : "SingleStack"));
    }
    json_t *fams = k1s__arrv(spec, "ipFamilies");
    if (!fams) {
        json_object_set_new(spec, "ipFamilies", json_array());
        fams = k1s__arrv(spec, "ipFamilies");
    }
    if (!fams)
        return;
    /* families follow the given IPs (IPv6 ones are refused by validation) */
    const json_t *ips = k1s__arrv(spec, "clusterIPs");
    for (size_t i = 0; i < json_array_size(ips); i++) {
        const char *ip = json_string_value(json_array_get(ips, i));
        if (!ip || !strcmp(ip, "None"))
            break;
        if (i >= json_array_size(fams) && is_ipv4(ip))
            json_array_append_new(fams, json_string("IPv4"));
    }
    if (json_array_size(fams) == 0)
        json_array_append_new(fams, json_string("IPv4"));
    if (none && selectorless && json_array_size(fams) < 2 &&
        strcmp(k1s__str0(spec, "ipFamilyPolicy"), "SingleStack"))
        json_array_append_new(fams, json_string(strcmp(nth(fams, 0), "IPv4") ? "IPv4" : "IPv6"));
}

void k1s__service_prepare(json_t *svc, const json_t *old)
{
    json_t *spec = k1s__objv(svc, "spec");
    const json_t *ospec = old ? k1s__objv(old, "spec") : NULL;
    if (!spec)
        return;
    if (ospec) {
        patch_allocated(spec, ospec);
        normalize_cluster_ips(spec, ospec);
        drop_type_dependent(spec, ospec);
    } else {
        normalize_cluster_ips(spec, NULL);
    }
    init_ip_families(spec, ospec);
}

static void service_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status", json_pack("{s:{}}", "loadBalancer"));
    k1s__service_prepare(obj, NULL);
}

/* ---- defaults --------------------------------------------------------------------- */

static void service_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (!spec)
        return;
    const char *aff = k1s__str0(spec, "sessionAffinity");
    if (!strcmp(aff, "None")) {
        json_object_del(spec, "sessionAffinityConfig");
    } else if (!strcmp(aff, "ClientIP")) {
        const json_t *ts = json_object_get(
            k1s__objv(k1s__objv(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds");
        if (!ts || json_is_null(ts))
            json_object_set_new(spec, "sessionAffinityConfig",
                                json_pack("{s:{s:i}}", "clientIP", "timeoutSeconds", 10800));
    }
    json_t *ports = k1s__arrv(spec, "ports");
    for (size_t i = 0; i < json_array_size(ports); i++) {
        json_t *p = json_array_get(ports, i);
        json_t *tp = json_object_get(p, "targetPort");
        if (json_is_object(p) &&
            (!tp || json_is_null(tp) || (json_is_integer(tp) && json_integer_value(tp) == 0) ||
             (json_is_string(tp) && json_string_length(tp) == 0)))
            json_object_set_new(p, "targetPort",
                                json_integer(json_integer_value(json_object_get(p, "port"))));
    }
    if (externally_accessible(spec) && !*k1s__str0(spec, "externalTrafficPolicy"))
        json_object_set_new(spec, "externalTrafficPolicy", json_string("Cluster"));
    if (!k1s__has(spec, "internalTrafficPolicy") &&
        (is_type(spec, "NodePort") || is_type(spec, "LoadBalancer") || is_type(spec, "ClusterIP")))
        json_object_set_new(spec, "internalTrafficPolicy", json_string("Cluster"));
    if (is_type(spec, "LoadBalancer") && !k1s__has(spec, "allocateLoadBalancerNodePorts"))
        json_object_set_new(spec, "allocateLoadBalancerNodePorts", json_true());
}

const k1s_strategy k1s__strategy_service = {
    .name_rule = K1S_NAME_DNS1035_LABEL,
    .defaults = service_defaults,
    .prepare_create = service_prepare_create,
    .prepare_update = k1s__service_prepare,
    .validate = k1s__service_validate,
    .allocate = k1s__service_allocate,
};
