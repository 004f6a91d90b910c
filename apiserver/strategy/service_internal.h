/*
 * service_internal.h - small predicates over a Service spec shared by the
 * Service strategy (strategy_service.c) and its validation
 * (validate_service.c), worded after kube's apiservice helpers.
 */
#ifndef K1S_SERVICE_INTERNAL_H
#define K1S_SERVICE_INTERNAL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "strategy_internal.h"

static inline const char *svc_type(const json_t *spec)
{
    const char *t = k1s__str(spec, "type");
    return t && *t ? t : "ClusterIP";
}

static inline bool is_type(const json_t *spec, const char *t)
{
    return !strcmp(svc_type(spec), t);
}

/* The i-th string of arr, "" when absent or not a string. */
static inline const char *nth(const json_t *arr, size_t i)
{
    const char *s = json_string_value(json_array_get(arr, i));
    return s ? s : "";
}

static inline bool headless(const json_t *spec)
{
    const json_t *ips = k1s__arrv(spec, "clusterIPs");
    return json_array_size(ips) == 1 && !strcmp(nth(ips, 0), "None");
}

/* apiservice.ExternallyAccessible */
static inline bool externally_accessible(const json_t *spec)
{
    return is_type(spec, "LoadBalancer") || is_type(spec, "NodePort") ||
           (is_type(spec, "ClusterIP") && json_array_size(k1s__arrv(spec, "externalIPs")) > 0);
}

static inline bool needs_cluster_ip(const json_t *spec)
{
    return !is_type(spec, "ExternalName");
}

static inline bool needs_node_port(const json_t *spec)
{
    return is_type(spec, "NodePort") ||
           (is_type(spec, "LoadBalancer") &&
            !json_is_false(json_object_get(spec, "allocateLoadBalancerNodePorts")));
}

static inline bool needs_hc_node_port(const json_t *spec)
{
    return is_type(spec, "LoadBalancer") &&
           !strcmp(k1s__str0(spec, "externalTrafficPolicy"), "Local");
}

static inline bool is_ipv4(const char *ip)
{
    struct in_addr a;
    return ip && inet_pton(AF_INET, ip, &a) == 1;
}

static inline bool same_field(const json_t *a, const json_t *b, const char *k)
{
    return k1s_json_semantic_equal(json_object_get(a, k), json_object_get(b, k));
}

/* ValidateService and ValidateServiceUpdate (validate_service.c). */
void k1s__service_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe);

#endif
