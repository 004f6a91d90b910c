/*
 * endpoints_common.c - what the endpoint and endpoint-slice controllers
 * share (see endpoints_internal.h), after kube's endpointslice/util and
 * pkg/api/v1/pod: pod inclusion, pod IPs by family, FindPort, hostnames,
 * the Services a pod change concerns, and the trigger-time tracker.
 */
#include "endpoints_internal.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_net.h"

bool k1s__ep_pod_included(const json_t *pod, bool include_terminating)
{
    if (k1s__wl_pod_terminal(pod))
        return false;
    const json_t *st = json_object_get(pod, "status");
    if (!*k1s_json_str_or(st, "podIP", "") && !json_array_size(json_object_get(st, "podIPs")))
        return false;
    return include_terminating || !k1s__wl_deleting(pod);
}

json_t *k1s__ep_pod_ips(const json_t *pod, bool ipv6)
{
    json_t *out = json_array(); /* new */
    const json_t *st = json_object_get(pod, "status");
    const json_t *ips = json_object_get(st, "podIPs");
    size_t i;
    const json_t *e;
    json_array_foreach(ips, i, e)
    {
        const char *ip = k1s_json_str_or(e, "ip", "");
        if (*ip && (strchr(ip, ':') != NULL) == ipv6)
            json_array_append_new(out, json_string(ip));
    }
    /* a status that only has podIP (kube always fills podIPs too) */
    const char *ip = k1s_json_str_or(st, "podIP", "");
    if (json_array_size(ips) == 0 && *ip && (strchr(ip, ':') != NULL) == ipv6)
        json_array_append_new(out, json_string(ip));
    return out;
}

/* A port's protocol; absent or "" is TCP. */
static const char *protocol_of(const json_t *port)
{
    const char *p = k1s_json_str(port, "protocol");
    return p && *p ? p : "TCP";
}

static int named_port(const json_t *containers, const char *name, const char *proto,
                      bool sidecars_only, long long *port)
{
    size_t i, j;
    const json_t *ctr, *p;
    json_array_foreach(containers, i, ctr)
    {
        if (sidecars_only && strcmp(k1s_json_str_or(ctr, "restartPolicy", ""), "Always") != 0)
            continue;
        json_array_foreach(json_object_get(ctr, "ports"), j, p)
        {
            const char *pp = protocol_of(p);
            if (!strcmp(k1s_json_str_or(p, "name", ""), name) && !strcmp(pp, proto)) {
                *port = k1s_json_int(p, "containerPort", 0);
                return 0;
            }
        }
    }
    return -1;
}

int k1s__ep_find_port(const json_t *pod, const json_t *svc_port, long long *port)
{
    json_t *tp = json_object_get(svc_port, "targetPort"); /* borrowed */
    if (!tp || json_is_null(tp)) {
        *port = k1s_json_int(svc_port, "port", 0);
        return 0;
    }
    if (json_is_integer(tp)) {
        *port = json_integer_value(tp);
        return 0;
    }
    const char *name = json_string_value(tp);
    if (!name)
        return -1;
    const char *proto = protocol_of(svc_port);
    const json_t *spec = json_object_get(pod, "spec");
    if (named_port(json_object_get(spec, "containers"), name, proto, false, port) == 0)
        return 0;
    return named_port(json_object_get(spec, "initContainers"), name, proto, true, port);
}

const char *k1s__ep_hostname(const json_t *pod, const json_t *svc)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *h = k1s_json_str_or(spec, "hostname", "");
    if (*h && !strcmp(k1s_json_str_or(spec, "subdomain", ""), k1s__wl_name(svc)) &&
        !strcmp(k1s__wl_ns(pod), k1s__wl_ns(svc)))
        return h;
    return NULL;
}

bool k1s__ep_has_selector(const json_t *svc)
{
    return json_object_size(json_object_get(json_object_get(svc, "spec"), "selector")) > 0;
}

bool k1s__ep_ip_set(const json_t *svc)
{
    const char *ip = k1s_json_str_or(svc, "spec.clusterIP", "");
    return *ip && strcmp(ip, "None") != 0;
}

typedef struct podsctx {
    k1s_selector *sel;
    json_t *out; /* new once set */
} podsctx;

static int add_if_selected(void *vctx, const json_t *pod)
{
    podsctx *p = vctx;
    if (k1s__wl_matches(p->sel, pod))
        json_array_append(p->out, (json_t *)pod);
    return 0;
}

json_t *k1s__ep_service_pods(k1s_ctrl *c, const json_t *svc)
{
    podsctx p = {NULL, json_array()};
    char *err = NULL;
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    if (k1s_label_selector_from_map(json_object_get(json_object_get(svc, "spec"), "selector"),
                                    &p.sel, &err)) {
        free(err);
        return p.out;
    }
    if (pi)
        k1s_informer_each(pi, k1s__wl_ns(svc), add_if_selected, &p);
    k1s_selector_free(p.sel);
    return p.out;
}

/* ---- pod changes -------------------------------------------------------------------- */

typedef struct svcctx {
    k1s_ctrl *c;
    int id;
    const json_t *pods[2];
} svcctx;

static int enqueue_if_selects(void *vctx, const json_t *svc)
{
    svcctx *s = vctx;
    if (!k1s__ep_has_selector(svc))
        return 0;
    k1s_selector *sel = NULL;
    char *err = NULL;
    if (k1s_label_selector_from_map(json_object_get(json_object_get(svc, "spec"), "selector"), &sel,
                                    &err)) {
        free(err);
        return 0;
    }
    for (int i = 0; i < 2; i++)
        if (s->pods[i] && k1s__wl_matches(sel, s->pods[i])) {
            k1s_ctrl_enqueue(s->c, s->id, k1s__wl_ns(svc), k1s__wl_name(svc));
            break;
        }
    k1s_selector_free(sel);
    return 0;
}

static bool same_member(const json_t *a, const json_t *b, const char *obj, const char *key)
{
    return json_equal(json_object_get(json_object_get(a, obj), key),
                      json_object_get(json_object_get(b, obj), key)) ||
           (!json_object_get(json_object_get(a, obj), key) &&
            !json_object_get(json_object_get(b, obj), key));
}

void k1s__ep_map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    svcctx s = {c, id, {obj ? obj : old, NULL}};
    if (old && obj) {
        if (k1s__wl_rev(old) == k1s__wl_rev(obj))
            return;
        bool labels = !same_member(old, obj, "metadata", "labels") ||
                      !same_member(old, obj, "spec", "hostname") ||
                      !same_member(old, obj, "spec", "subdomain");
        bool changed = !same_member(old, obj, "metadata", "deletionTimestamp") ||
                       k1s__wl_pod_ready(old) != k1s__wl_pod_ready(obj) ||
                       !same_member(old, obj, "status", "podIPs") ||
                       !same_member(old, obj, "status", "podIP") ||
                       k1s__wl_pod_terminal(old) != k1s__wl_pod_terminal(obj);
        if (!labels && !changed)
            return;
        if (labels)
            s.pods[1] = old; /* services of either label set */
    }
    k1s_informer *si = k1s_ctrl_informer(c, "", "Service");
    if (si)
        k1s_informer_each(si, k1s__wl_ns(s.pods[0]), enqueue_if_selects, &s);
}

/* ---- trigger times --------------------------------------------------------------------- */

struct k1s__ep_tracker {
    json_t *m; /* owned: "ns/name" -> {"svc": t, "pods": {name: t}} */
};

k1s__ep_tracker *k1s__ep_tracker_new(void)
{
    k1s__ep_tracker *t = calloc(1, sizeof *t);
    if (t)
        t->m = json_object();
    return t;
}

void k1s__ep_tracker_free(k1s__ep_tracker *t)
{
    if (!t)
        return;
    json_decref(t->m);
    free(t);
}

/* The pod's Ready condition's lastTransitionTime, whatever its status. */
static int64_t pod_trigger(const json_t *pod)
{
    size_t i;
    const json_t *cnd;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, cnd)
    {
        if (!strcmp(k1s_json_str_or(cnd, "type", ""), "Ready"))
            return k1s__wl_parse_time(k1s_json_str_or(cnd, "lastTransitionTime", ""));
    }
    return -1;
}

int64_t k1s__ep_tracker_compute(k1s__ep_tracker *t, const json_t *svc, const json_t *pods)
{
    int64_t created = k1s__wl_parse_time(k1s_json_str_or(svc, "metadata.creationTimestamp", ""));
    if (!t)
        return created;
    char key[600];
    snprintf(key, sizeof key, "%s/%s", k1s__wl_ns(svc), k1s__wl_name(svc));
    json_t *state = json_object_get(t->m, key); /* borrowed */
    bool known = state != NULL;
    const json_t *seen = json_object_get(state, "pods");
    int64_t min = -1;
    json_t *now = json_object(); /* new */
    size_t i;
    const json_t *pod;
    json_array_foreach(pods, i, pod)
    {
        int64_t tt = pod_trigger(pod);
        if (tt <= 0)
            continue;
        json_object_set_new(now, k1s__wl_name(pod), json_integer(tt));
        json_int_t before = json_integer_value(json_object_get(seen, k1s__wl_name(pod)));
        if (tt > before && (min < 0 || tt < min))
            min = tt;
    }
    if (created > json_integer_value(json_object_get(state, "svc")) && (min < 0 || created < min))
        min = created;
    json_object_set_new(t->m, key,
                        json_pack("{s:I, s:o}", "svc", (json_int_t)created, "pods", now));
    return known ? min : created;
}

void k1s__ep_tracker_forget(k1s__ep_tracker *t, const char *ns, const char *name)
{
    if (!t)
        return;
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    json_object_del(t->m, key);
}

/* ---- the API server ------------------------------------------------------------------- */

static bool usable_ipv4(const struct sockaddr *sa, char *buf, size_t len)
{
    if (!sa || sa->sa_family != AF_INET)
        return false;
    uint32_t h = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    /* Endpoints refuse loopback, unspecified and link-local addresses */
    if (k1s_ipv4_is_local(h) || (h >> 16) == 0xA9FE || len < K1S_IPV4_LEN)
        return false;
    k1s_ipv4_format(h, buf, len);
    return true;
}

/* kube-apiserver's ChooseHostInterface: the IPv4 address of the interface
 * holding the default route, else of any interface that is up. */
static int host_ip(char *buf, size_t len)
{
    char iface[64] = "";
    FILE *f = fopen("/proc/net/route", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f)) {
            char name[64];
            unsigned long dest, flags;
            if (sscanf(line, "%63s %lx %*x %lx", name, &dest, &flags) == 3 && dest == 0 &&
                (flags & 1)) {
                snprintf(iface, sizeof iface, "%s", name);
                break;
            }
        }
        fclose(f);
    }
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) != 0)
        return -1;
    int rc = -1;
    for (int pass = 0; pass < 2 && rc != 0; pass++)
        for (struct ifaddrs *i = ifs; i && rc != 0; i = i->ifa_next) {
            if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
                continue;
            if (pass == 0 && (!*iface || strcmp(i->ifa_name, iface) != 0))
                continue;
            if (usable_ipv4(i->ifa_addr, buf, len))
                rc = 0;
        }
    freeifaddrs(ifs);
    return rc;
}

int k1s__ep_apiserver(k1s_ctrl *c, const json_t *svc, char *ip, size_t iplen, long long *port)
{
    const k1s_controllers_config *cfg = k1s_ctrl_config(c);
    const char *host = cfg->api_host;
    uint32_t a;
    /* kube advertises the host's address when bound to loopback or to
       every address; Endpoints may not hold loopback addresses */
    if (!host || k1s_ipv4_parse(host, &a) != 0 || k1s_ipv4_is_local(a)) {
        if (host_ip(ip, iplen))
            return -1;
    } else {
        snprintf(ip, iplen, "%s", host);
    }
    *port = cfg->api_port;
    if (*port <= 0) {
        const json_t *p = json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0);
        json_t *tp = json_object_get(p, "targetPort"); /* borrowed */
        *port = json_is_integer(tp) ? json_integer_value(tp) : k1s_json_int(p, "port", 443);
    }
    return 0;
}
