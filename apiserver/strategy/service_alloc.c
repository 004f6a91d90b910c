/*
 * service_alloc.c - the Service allocate hook: cluster IPs from the API's
 * service CIDR and node ports from its node-port range.
 *
 * Nothing is kept in memory: the hook runs inside the store's writer lock
 * (k1s_store_update's callback), so the addresses and ports in use are read
 * from the stored services at that moment and are exact. Releasing is
 * implicit: a deleted service or a dropped port no longer shows up there.
 * Costs one scan of the stored services per allocating write.
 *
 * Dynamic picks start at a random offset in the upper part of the range and
 * leave the first addresses for static requests, as kube does; the first
 * host address of the CIDR (10.96.0.1) is never picked, it belongs to the
 * "kubernetes" service, which asks for it explicitly.
 */
#include "k1s_json.h"
#include "api_internal.h"
#include "strategy_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define PORT_BITS 65536

typedef struct used_set {
    uint32_t net, mask, nhosts; /* host offsets 0..nhosts-1 = net+1.. */
    uint8_t *ips;               /* owned bitmap over host offsets */
    uint8_t ports[PORT_BITS / 8];
    const char *self_ns, *self_name; /* borrowed: the service written */
} used_set;

static bool bit(const uint8_t *b, uint32_t i)
{
    return b[i / 8] & (1u << (i % 8));
}

static void set_bit(uint8_t *b, uint32_t i)
{
    b[i / 8] |= (uint8_t)(1u << (i % 8));
}

static uint32_t rnd(void)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = 0x9e3779b9u;
    return r;
}

/* The host offset of an IPv4 address in the range, or -1. */
static long long ip_offset(const used_set *u, const char *ip)
{
    struct in_addr a;
    if (!ip || inet_pton(AF_INET, ip, &a) != 1)
        return -1;
    uint32_t h = ntohl(a.s_addr);
    if ((h & u->mask) != u->net || h == u->net || h == (u->net | ~u->mask))
        return -1;
    return (long long)(h - u->net - 1);
}

static void mark_port(used_set *u, json_int_t p)
{
    if (p > 0 && p < PORT_BITS)
        set_bit(u->ports, (uint32_t)p);
}

static int collect_cb(void *ctx, const char *ns, const char *name, const char *text, size_t len,
                      int64_t rev)
{
    used_set *u = ctx;
    (void)rev;
    if (!strcmp(ns, u->self_ns) && !strcmp(name, u->self_name))
        return 0;
    json_t *svc = k1s_json_load(text, len, NULL); /* new */
    const json_t *spec = k1s__objv(svc, "spec");
    const json_t *ips = k1s__arrv(spec, "clusterIPs");
    for (size_t i = 0; i < json_array_size(ips); i++) {
        long long off = ip_offset(u, json_string_value(json_array_get(ips, i)));
        if (off >= 0)
            set_bit(u->ips, (uint32_t)off);
    }
    long long off = ip_offset(u, k1s__str(spec, "clusterIP"));
    if (off >= 0)
        set_bit(u->ips, (uint32_t)off);
    const json_t *ports = k1s__arrv(spec, "ports");
    for (size_t i = 0; i < json_array_size(ports); i++)
        mark_port(u, json_integer_value(json_object_get(json_array_get(ports, i), "nodePort")));
    mark_port(u, json_integer_value(json_object_get(spec, "healthCheckNodePort")));
    json_decref(svc);
    return 0;
}

void k1s__service_cidr_text(const k1s_api *api, char *buf, size_t len)
{
    struct in_addr a = {.s_addr = htonl(api->svc_net)};
    char ip[INET_ADDRSTRLEN];
    int bits = 0;
    for (uint32_t m = api->svc_mask; m; m <<= 1)
        bits++;
    inet_ntop(AF_INET, &a, ip, sizeof ip);
    snprintf(buf, len, "%s/%d", ip, bits);
}

/* 422 on spec.clusterIPs as kube's allocator words it. */
static int ip_error(k1s_status *st, const json_t *svc, const char *ip, const char *why)
{
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    char *t = k1s__go_string_slice(k1s__arrv(k1s__objv(svc, "spec"), "clusterIPs"));
    char detail[2 * K1S_FP_MAX];
    snprintf(detail, sizeof detail, "failed to allocate IP %.64s: %s", ip, why);
    k1s__ferr_invalid_text(&fe, "spec.clusterIPs", t, detail);
    free(t);
    k1s_err_invalid(st, "", "Service", k1s__str(k1s__objv(svc, "metadata"), "name"), &fe);
    k1s_ferrs_free(&fe);
    return -1;
}

static int alloc_ip(k1s_api *api, used_set *u, json_t *svc, json_t *spec, k1s_status *st)
{
    const char *ip = k1s__str0(spec, "clusterIP");
    if (!strcmp(ip, "None"))
        return 0; /* headless */
    if (*ip) {
        struct in_addr a;
        if (inet_pton(AF_INET, ip, &a) != 1)
            return k1s_status_set(st, 500, "InternalError",
                                  "Internal error occurred: failed to parse service IP \"%.64s\"",
                                  ip);
        long long off = ip_offset(u, ip);
        if (off < 0) {
            char cidr[64], why[256];
            k1s__service_cidr_text(api, cidr, sizeof cidr);
            snprintf(
                why, sizeof why,
                "the provided IP (%.64s) is not in the valid range. The range of valid IPs is %s",
                ip, cidr);
            return ip_error(st, svc, ip, why);
        }
        if (bit(u->ips, (uint32_t)off))
            return ip_error(st, svc, ip, "provided IP is already allocated");
        json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
        return 0;
    }
    /* dynamic: upper band from a random offset, then the lower band; the
       first host address stays for the kubernetes service */
    uint32_t n = u->nhosts;
    uint32_t band = n / 16 < 16 ? 16 : n / 16 > 256 ? 256 : n / 16;
    if (band >= n)
        band = 1;
    uint32_t start = band + rnd() % (n - band);
    long long found = -1;
    for (uint32_t i = 0; i < n - band && found < 0; i++) {
        uint32_t off = band + (start - band + i) % (n - band);
        if (!bit(u->ips, off))
            found = off;
    }
    for (uint32_t off = 1; off < band && found < 0; off++)
        if (!bit(u->ips, off))
            found = off;
    if (found < 0)
        return k1s_err_internal(st, "failed to allocate a serviceIP: range is full");
    struct in_addr a = {.s_addr = htonl(u->net + 1 + (uint32_t)found)};
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, text, sizeof text);
    json_object_set_new(spec, "clusterIP", json_string(text));
    json_object_set_new(spec, "clusterIPs", json_pack("[s]", text));
    return 0;
}

/* ---- node ports -------------------------------------------------------------- */

typedef enum { PORT_OK, PORT_RANGE, PORT_TAKEN } port_rc;

static port_rc take_port(k1s_api *api, used_set *u, json_int_t p)
{
    if (p < api->node_port_min || p > api->node_port_max || p <= 0 || p >= PORT_BITS)
        return PORT_RANGE;
    if (bit(u->ports, (uint32_t)p))
        return PORT_TAKEN;
    set_bit(u->ports, (uint32_t)p);
    return PORT_OK;
}

/* A free port (marked taken), or 0 when the range is full. */
static json_int_t next_port(k1s_api *api, used_set *u)
{
    uint32_t lo = (uint32_t)api->node_port_min, hi = (uint32_t)api->node_port_max;
    if (hi >= PORT_BITS || lo == 0 || lo > hi)
        return 0;
    uint32_t n = hi - lo + 1;
    uint32_t band = n / 16 < 16 ? 16 : n / 16 > 128 ? 128 : n / 16;
    if (band >= n)
        band = 0;
    uint32_t start = band + rnd() % (n - band);
    for (uint32_t i = 0; i < n - band; i++) {
        uint32_t p = lo + band + (start - band + i) % (n - band);
        if (!bit(u->ports, p)) {
            set_bit(u->ports, p);
            return p;
        }
    }
    for (uint32_t p = lo; p < lo + band; p++)
        if (!bit(u->ports, p)) {
            set_bit(u->ports, p);
            return p;
        }
    return 0;
}

static int port_error(k1s_api *api, k1s_status *st, const json_t *svc, size_t i, json_int_t p,
                      port_rc rc)
{
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    char fp[K1S_FP_MAX], why[160];
    if (rc == PORT_RANGE)
        snprintf(why, sizeof why,
                 "provided port is not in the valid range. The range of valid ports is %d-%d",
                 api->node_port_min, api->node_port_max);
    else
        snprintf(why, sizeof why, "provided port is already allocated");
    json_t *v = json_integer(p); /* new */
    k1s_ferr_invalid(&fe, k1s__fp(fp, "spec.ports[%zu].nodePort", i), v, why);
    json_decref(v);
    k1s_err_invalid(st, "", "Service", k1s__str(k1s__objv(svc, "metadata"), "name"), &fe);
    k1s_ferrs_free(&fe);
    return -1;
}

/* kube's initNodePorts: requested ports are taken, the others picked; ports
 * with the same number (TCP and UDP) share one node port. */
static int alloc_node_ports(k1s_api *api, used_set *u, json_t *svc, json_t *spec, k1s_status *st)
{
    bool allocate = strcmp(k1s__str0(spec, "type"), "LoadBalancer") ||
                    !json_is_false(json_object_get(spec, "allocateLoadBalancerNodePorts"));
    json_t *ports = k1s__arrv(spec, "ports");
    size_t n = json_array_size(ports);
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(ports, i);
        json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
        json_int_t port = json_integer_value(json_object_get(p, "port"));
        if ((np == 0 && !allocate) || !json_is_object(p))
            continue;
        /* the node port an earlier entry with this number got */
        json_int_t given = 0;
        for (size_t j = 0; j < i && !given; j++) {
            const json_t *q = json_array_get(ports, j);
            if (json_integer_value(json_object_get(q, "port")) == port)
                given = json_integer_value(json_object_get(q, "nodePort"));
        }
        if (given && np == 0) {
            json_object_set_new(p, "nodePort", json_integer(given));
            continue;
        }
        if (given && np == given)
            continue;
        json_int_t want = np;
        if (!given && !want)
            /* a later entry with this number may ask for a port */
            for (size_t j = i + 1; j < n && !want; j++) {
                const json_t *q = json_array_get(ports, j);
                if (json_integer_value(json_object_get(q, "port")) == port)
                    want = json_integer_value(json_object_get(q, "nodePort"));
            }
        if (want) {
            port_rc rc = take_port(api, u, want);
            if (rc != PORT_OK)
                return port_error(api, st, svc, i, want, rc);
            json_object_set_new(p, "nodePort", json_integer(want));
        } else {
            json_int_t got = next_port(api, u);
            if (!got)
                return k1s_err_internal(st, "failed to allocate a nodePort: range is full");
            json_object_set_new(p, "nodePort", json_integer(got));
        }
    }
    return 0;
}

/* The health-check node port of a LoadBalancer service with the Local
 * external traffic policy. */
static int alloc_health_check(k1s_api *api, used_set *u, json_t *spec, k1s_status *st)
{
    json_int_t hc = json_integer_value(json_object_get(spec, "healthCheckNodePort"));
    if (hc) {
        port_rc rc = take_port(api, u, hc);
        if (rc == PORT_OK)
            return 0;
        char why[256];
        if (rc == PORT_RANGE)
            snprintf(
                why, sizeof why,
                "failed to allocate requested HealthCheck NodePort %lld: provided port is not in the valid range. The range of valid ports is %d-%d",
                (long long)hc, api->node_port_min, api->node_port_max);
        else
            snprintf(
                why, sizeof why,
                "failed to allocate requested HealthCheck NodePort %lld: provided port is already allocated",
                (long long)hc);
        return k1s_err_internal(st, why);
    }
    json_int_t got = next_port(api, u);
    if (!got)
        return k1s_err_internal(st, "failed to allocate a HealthCheck NodePort 0: range is full");
    json_object_set_new(spec, "healthCheckNodePort", json_integer(got));
    return 0;
}

int k1s__service_allocate(k1s_api *api, json_t *svc, const json_t *old, k1s_status *st)
{
    k1s__service_prepare(svc, old);
    json_t *spec = k1s__objv(svc, "spec");
    if (!spec)
        return 0;
    const char *type = k1s__str0(spec, "type");
    bool cluster_ip = strcmp(type, "ExternalName") != 0;
    bool node_ports = !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer");
    bool health =
        !strcmp(type, "LoadBalancer") && !strcmp(k1s__str0(spec, "externalTrafficPolicy"), "Local");
    if (!cluster_ip && !node_ports)
        return 0;
    const json_t *m = k1s__objv(svc, "metadata");
    used_set *u = calloc(1, sizeof *u);
    if (!u)
        return k1s_err_internal(st, "out of memory");
    int rc = -1;
    u->net = api->svc_net;
    u->mask = api->svc_mask;
    u->nhosts = ~api->svc_mask - 1;
    u->self_ns = k1s__str0(m, "namespace");
    u->self_name = k1s__str0(m, "name");
    u->ips = calloc(u->nhosts / 8 + 1, 1);
    if (!u->ips) {
        k1s_err_internal(st, "out of memory");
        goto cleanup;
    }
    int64_t list_rev = 0;
    int more = 0;
    if (k1s_store_list(api->store, "", "services", NULL, NULL, NULL, 0, collect_cb, u, &list_rev,
                       &more) != 0) {
        k1s_err_internal(st, "failed to list services for allocation");
        goto cleanup;
    }
    if (cluster_ip && alloc_ip(api, u, svc, spec, st) != 0)
        goto cleanup;
    if (node_ports && alloc_node_ports(api, u, svc, spec, st) != 0)
        goto cleanup;
    if (health && alloc_health_check(api, u, spec, st) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    free(u->ips);
    free(u);
    return rc;
}
