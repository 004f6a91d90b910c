/*
 * endpoints_subsets.c - the canonical layout of an Endpoints object's
 * subsets, as kube's pkg/api/v1/endpoints RepackSubsets makes it, and the
 * cut to 1000 addresses of the endpoint controller (over-capacity). kube
 * orders ports and subsets by a hash of Go's dump of them; k1s orders them
 * by name, port and protocol, and by their first address.
 */
#include "endpoints_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *addr_key(const json_t *addr)
{
    char *k = NULL;
    if (asprintf(&k, "%s/%s", k1s_json_str_or(addr, "ip", ""),
                 k1s_json_str_or(addr, "targetRef.uid", "")) < 0)
        return NULL;
    return k;
}

static int cmp_addr(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int c = strcmp(k1s_json_str_or(a, "ip", ""), k1s_json_str_or(b, "ip", ""));
    if (c)
        return c;
    const json_t *ra = json_object_get(a, "targetRef"), *rb = json_object_get(b, "targetRef");
    if (!rb)
        return ra ? 1 : 0;
    if (!ra)
        return -1;
    return strcmp(k1s_json_str_or(ra, "uid", ""), k1s_json_str_or(rb, "uid", ""));
}

static int cmp_port(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int c = strcmp(k1s_json_str_or(a, "name", ""), k1s_json_str_or(b, "name", ""));
    if (c)
        return c;
    long long x = k1s_json_int(a, "port", 0), y = k1s_json_int(b, "port", 0);
    if (x != y)
        return x < y ? -1 : 1;
    return strcmp(k1s_json_str_or(a, "protocol", ""), k1s_json_str_or(b, "protocol", ""));
}

/* Sort an array of objects in place with cmp. */
static void sort_array(json_t *arr, int (*cmp)(const void *, const void *))
{
    size_t n = json_array_size(arr);
    if (n < 2)
        return;
    json_t **v = malloc(n * sizeof *v);
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof *v, cmp);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}

static int cmp_subset(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    const json_t *fa = json_array_get(json_object_get(a, "addresses"), 0);
    const json_t *fb = json_array_get(json_object_get(b, "addresses"), 0);
    if (!fa)
        fa = json_array_get(json_object_get(a, "notReadyAddresses"), 0);
    if (!fb)
        fb = json_array_get(json_object_get(b, "notReadyAddresses"), 0);
    if (fa && fb) {
        int c = cmp_addr(&fa, &fb);
        if (c)
            return c;
    }
    const json_t *pa0 = json_array_get(json_object_get(a, "ports"), 0);
    const json_t *pb0 = json_array_get(json_object_get(b, "ports"), 0);
    if (pa0 && pb0)
        return cmp_port(&pa0, &pb0);
    return pa0 ? 1 : pb0 ? -1 : 0;
}

json_t *k1s__ep_repack(const json_t *entries)
{
    json_t *addrs = json_object();  /* addr key -> address (first seen) */
    json_t *byport = json_object(); /* port key -> {"port": p, "set": {addr key: ready}} */
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e)
    {
        const json_t *addr = json_object_get(e, "addr");
        const json_t *port = json_object_get(e, "port");
        bool ready = json_is_true(json_object_get(e, "ready"));
        char *ak = addr_key(addr);
        char *pk = port && !json_is_null(port) ? json_dumps(port, JSON_COMPACT | JSON_SORT_KEYS)
                                               : strdup("");
        if (ak && pk) {
            if (!json_object_get(addrs, ak))
                json_object_set(addrs, ak, (json_t *)addr);
            json_t *g = json_object_get(byport, pk); /* borrowed */
            if (!g) {
                g = json_pack("{s:O, s:{}}", "port", port ? port : json_null(), "set");
                json_object_set_new(byport, pk, g);
            }
            json_t *set = json_object_get(g, "set"); /* borrowed */
            json_t *was = json_object_get(set, ak);  /* borrowed */
            /* not ready always wins over ready */
            if (!was || json_is_true(was))
                json_object_set_new(set, ak, json_boolean(ready));
        }
        free(ak);
        free(pk);
    }
    /* ports offered by the same addresses (with the same readiness) share
       a subset */
    json_t *groups = json_object(); /* signature -> {"ports": [], "set": {}} */
    const char *pk;
    json_t *g; /* new once set */
    json_object_foreach(byport, pk, g)
    {
        json_t *set = json_object_get(g, "set"); /* borrowed */
        char *sig = json_dumps(set, JSON_COMPACT | JSON_SORT_KEYS);
        if (!sig)
            continue;
        json_t *grp = json_object_get(groups, sig); /* borrowed */
        if (!grp) {
            grp = json_pack("{s:[], s:O}", "ports", "set", set);
            json_object_set_new(groups, sig, grp);
        }
        json_t *port = json_object_get(g, "port"); /* borrowed */
        if (!json_is_null(port))
            json_array_append(json_object_get(grp, "ports"), port);
        free(sig);
    }
    json_t *subsets = json_array(); /* new */
    const char *sig;
    json_object_foreach(groups, sig, g)
    {
        json_t *ready = json_array(), *notready = json_array(); /* new */
        const char *ak;
        json_t *r; /* new once set */
        json_object_foreach(json_object_get(g, "set"), ak, r)
            json_array_append(json_is_true(r) ? ready : notready, json_object_get(addrs, ak));
        sort_array(ready, cmp_addr);
        sort_array(notready, cmp_addr);
        json_t *ports = json_object_get(g, "ports"); /* borrowed */
        sort_array(ports, cmp_port);
        json_t *ss = json_object(); /* new */
        if (json_array_size(ready))
            json_object_set(ss, "addresses", ready);
        if (json_array_size(notready))
            json_object_set(ss, "notReadyAddresses", notready);
        if (json_array_size(ports))
            json_object_set(ss, "ports", ports);
        json_decref(ready);
        json_decref(notready);
        json_array_append_new(subsets, ss);
    }
    sort_array(subsets, cmp_subset);
    json_decref(groups);
    json_decref(byport);
    json_decref(addrs);
    return subsets;
}

static void keep_first(json_t *ss, const char *key, long long n)
{
    json_t *a = json_object_get(ss, key); /* borrowed */
    while ((long long)json_array_size(a) > n)
        json_array_remove(a, json_array_size(a) - 1);
    if (a && json_array_size(a) == 0)
        json_object_del(ss, key);
}

bool k1s__ep_truncate(json_t *subsets)
{
    long long ready = 0, notready = 0;
    size_t i;
    json_t *ss; /* new once set */
    json_array_foreach(subsets, i, ss)
    {
        ready += (long long)json_array_size(json_object_get(ss, "addresses"));
        notready += (long long)json_array_size(json_object_get(ss, "notReadyAddresses"));
    }
    if (ready + notready <= K1S_EP_MAX_CAPACITY)
        return false;
    bool cut_ready = ready > K1S_EP_MAX_CAPACITY;
    long long max = cut_ready ? K1S_EP_MAX_CAPACITY : K1S_EP_MAX_CAPACITY - ready;
    long long total = cut_ready ? ready : notready;
    long long room = max;
    json_array_foreach(subsets, i, ss)
    {
        const char *key = cut_ready ? "addresses" : "notReadyAddresses";
        long long in = (long long)json_array_size(json_object_get(ss, key));
        long long add = (long long)ceil((double)in / (double)total * (double)max);
        if (add > room)
            add = room;
        keep_first(ss, key, add);
        if (cut_ready)
            json_object_del(ss, "notReadyAddresses");
        room -= (long long)json_array_size(json_object_get(ss, key));
    }
    return true;
}
