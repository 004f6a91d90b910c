/*
 * proxy_table.c - which backends a service port has, and which one is
 * next. Endpoints list ready addresses per subset; a service port maps to
 * the subset port of the same name. The order is by pod name first so a
 * StatefulSet's pods take turns as 0, 1, 2 (natural order: p-2 before
 * p-10), and the turn is remembered as "the last backend chosen", not as
 * an index (the reconcile starts a new round when the set changes).
 */
#include "proxy_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

bool k1s__proxy_port_tcp(const json_t *port)
{
    return !strcmp(k1s_json_str_or(port, "protocol", "TCP"), "TCP");
}

int k1s__proxy_backend_addr(k1s__proxy_backend *be, const char *ip, int port)
{
    if (!ip || port < 1 || port > 65535)
        return -1;
    memset(&be->sa, 0, sizeof be->sa);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&be->sa;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&be->sa;
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        be->salen = sizeof *a4;
    } else if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        be->salen = sizeof *a6;
    } else {
        return -1;
    }
    /* Canonical text, so equal addresses compare equal in logs too. */
    inet_ntop(be->sa.ss_family,
              be->sa.ss_family == AF_INET ? (void *)&a4->sin_addr : (void *)&a6->sin6_addr, be->ip,
              sizeof be->ip);
    be->port = port;
    return 0;
}

static int addr_cmp(const k1s__proxy_backend *a, const k1s__proxy_backend *b)
{
    if (a->sa.ss_family != b->sa.ss_family)
        return a->sa.ss_family < b->sa.ss_family ? -1 : 1;
    if (a->sa.ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)&a->sa)->sin_addr,
                      &((const struct sockaddr_in *)&b->sa)->sin_addr, 4);
    return memcmp(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr,
                  &((const struct sockaddr_in6 *)&b->sa)->sin6_addr, 16);
}

int k1s__proxy_backend_cmp(const k1s__proxy_backend *a, const k1s__proxy_backend *b)
{
    int c = strverscmp(a->pod ? a->pod : "", b->pod ? b->pod : "");
    if (c)
        return c < 0 ? -1 : 1;
    if ((c = addr_cmp(a, b)))
        return c < 0 ? -1 : 1;
    return a->port < b->port ? -1 : a->port > b->port;
}

static int qcmp(const void *a, const void *b)
{
    return k1s__proxy_backend_cmp(a, b);
}

/* The port of subset sub that serves the service port, or -1. */
static int subset_port(const json_t *sub, const char *port_name, bool only_port)
{
    const json_t *ports = json_object_get(sub, "ports");
    size_t n = json_array_size(ports);
    for (size_t i = 0; i < n; i++) {
        const json_t *pt = json_array_get(ports, i);
        if (!k1s__proxy_port_tcp(pt))
            continue;
        if (!strcmp(k1s_json_str_or(pt, "name", ""), port_name))
            return (int)json_integer_value(json_object_get(pt, "port"));
    }
    if (n == 1 && only_port) {
        const json_t *pt = json_array_get(ports, 0);
        if (k1s__proxy_port_tcp(pt))
            return (int)json_integer_value(json_object_get(pt, "port"));
    }
    return -1;
}

static int push(k1s_vec *v, const json_t *addr, int port)
{
    k1s__proxy_backend be = {0};
    if (k1s__proxy_backend_addr(&be, k1s_json_str(addr, "ip"), port))
        return 0; /* validation should have caught it: skip, never crash */
    const char *pod = k1s_json_str_or(addr, "targetRef.name", "");
    if (!(be.pod = strdup(pod)) || k1s_vec_append(v, &be) != 0) {
        free(be.pod);
        return -1;
    }
    return 0;
}

int k1s__proxy_backends_from(const json_t *eps, const char *port_name, bool only_port,
                             k1s__proxy_backends *out)
{
    k1s_vec v = K1S_VEC(k1s__proxy_backend);
    const json_t *subs = json_object_get(eps, "subsets");
    for (size_t i = 0; i < json_array_size(subs); i++) {
        const json_t *sub = json_array_get(subs, i);
        int port = subset_port(sub, port_name ? port_name : "", only_port);
        if (port < 0)
            continue;
        const json_t *addrs = json_object_get(sub, "addresses");
        for (size_t j = 0; j < json_array_size(addrs); j++)
            if (push(&v, json_array_get(addrs, j), port)) {
                *out = (k1s__proxy_backends){v.p, v.n};
                k1s__proxy_backends_free(out);
                return -1;
            }
    }
    *out = (k1s__proxy_backends){v.p, v.n};
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, qcmp);
    return 0;
}

void k1s__proxy_backends_free(k1s__proxy_backends *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].pod);
    free(b->v);
    b->v = NULL;
    b->n = 0;
}

long k1s__proxy_rr_next(const k1s__proxy_backends *b, const k1s__proxy_backend *last)
{
    if (!b->n)
        return -1;
    if (!last)
        return 0;
    for (size_t i = 0; i < b->n; i++)
        if (k1s__proxy_backend_cmp(&b->v[i], last) > 0)
            return (long)i;
    return 0;
}
