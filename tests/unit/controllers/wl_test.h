/*
 * wl_test.h - helpers the workload and endpoint controller tests share
 * (test_deployment.c, test_daemonset.c, test_endpoints.c): an in-memory
 * API with the controllers running and kubelet "none", so tests play the
 * kubelet themselves by writing pod status (phase Running, an IP, Ready).
 * Header-only: every helper is static inline.
 */
#ifndef K1S_WL_TEST_H
#define K1S_WL_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k1s_api.h"
#include "k1s_controllers.h"

#define WL_NODE "node1"
#define WL_WAIT_MS 10000

static inline k1s_api *wl_open_api(void)
{
    k1s_api_config cfg = {.db_path = ":memory:"};
    k1s_api *api = NULL;
    char *err = NULL;
    if (k1s_api_open(&cfg, &api, &err) != 0) {
        fprintf(stderr, "open: %s\n", err ? err : "?");
        free(err);
        return NULL;
    }
    char berr[256];
    if (k1s_api_bootstrap(api, 6443, berr, sizeof berr) != 0) {
        fprintf(stderr, "bootstrap: %s\n", berr);
        k1s_api_close(api);
        return NULL;
    }
    return api;
}

static inline k1s_controllers *wl_start(k1s_api *api)
{
    k1s_controllers_config cfg = {.api = api, .node_name = WL_NODE,
                                  .api_host = "0.0.0.0", .api_port = 6443};
    k1s_controllers *ctl = NULL;
    char *err = NULL;
    if (k1s_controllers_start(&cfg, &ctl, &err) != 0) {
        fprintf(stderr, "controllers: %s\n", err ? err : "?");
        free(err);
        return NULL;
    }
    return ctl;
}

static inline void wl_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline const char *wl_meta(const json_t *o, const char *f)
{
    return json_string_value(json_object_get(json_object_get(o, "metadata"), f));
}

static inline const char *wl_annotation(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(
        json_object_get(json_object_get(o, "metadata"), "annotations"), k));
}

static inline const char *wl_label(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(
        json_object_get(json_object_get(o, "metadata"), "labels"), k));
}

static inline long long wl_int(const json_t *o, const char *a, const char *b)
{
    return (long long)json_integer_value(json_object_get(json_object_get(o, a), b));
}

/* Create obj (stolen); 0 or the HTTP code. */
static inline int wl_create(k1s_api *api, const char *group, const char *kind,
                            const char *ns, json_t *obj)
{
    k1s_target t = {k1s_registry_find_kind(group, kind), ns, NULL, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = k1s_api_create(api, &t, obj, NULL, &out, &st) ? (st.code ? st.code : 500) : 0;
    if (rc)
        fprintf(stderr, "create %s: %s\n", kind, st.message ? st.message : "?");
    k1s_status_clear(&st);
    json_decref(out);
    json_decref(obj);
    return rc;
}

static inline json_t *wl_get(k1s_api *api, const char *group, const char *kind,
                             const char *ns, const char *name)
{
    k1s_target t = {k1s_registry_find_kind(group, kind), ns, name, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    if (k1s_api_get(api, &t, &out, &st) != 0)
        out = NULL;
    k1s_status_clear(&st);
    return out;
}

/* Write obj (borrowed) to the main resource or sub; 0 or the HTTP code. */
static inline int wl_update(k1s_api *api, const char *group, const char *kind,
                            const char *ns, const char *sub, json_t *obj)
{
    k1s_target t = {k1s_registry_find_kind(group, kind), ns, wl_meta(obj, "name"), sub};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = k1s_api_update(api, &t, obj, NULL, &out, &st) ? (st.code ? st.code : 500) : 0;
    k1s_status_clear(&st);
    json_decref(out);
    return rc;
}

/* A JSON merge patch (text) of ns/name; 0 or the HTTP code. */
static inline int wl_patch(k1s_api *api, const char *group, const char *kind,
                           const char *ns, const char *name, const char *sub,
                           const char *patch)
{
    k1s_target t = {k1s_registry_find_kind(group, kind), ns, name, sub};
    k1s_status st = {0};
    json_t *out = NULL, *p = json_loads(patch, 0, NULL);
    int rc = k1s_api_patch(api, &t, K1S_PATCH_MERGE, p, NULL, &out, &st)
                 ? (st.code ? st.code : 500)
                 : 0;
    if (rc)
        fprintf(stderr, "patch %s %s: %s\n", kind, name, st.message ? st.message : "?");
    k1s_status_clear(&st);
    json_decref(out);
    json_decref(p);
    return rc;
}

static inline int wl_delete(k1s_api *api, const char *group, const char *kind,
                            const char *ns, const char *name)
{
    k1s_target t = {k1s_registry_find_kind(group, kind), ns, name, NULL};
    k1s_opts o = {.grace_seconds = -1};
    k1s_status st = {0};
    json_t *out = NULL;
    int removed = 0;
    int rc = k1s_api_delete(api, &t, &o, &out, &removed, &st) ? (st.code ? st.code : 500) : 0;
    k1s_status_clear(&st);
    json_decref(out);
    return rc;
}

static inline int wl_list_item(void *ctx, const char *json, size_t len)
{
    json_t *o = json_loadb(json, len, 0, NULL);
    if (o)
        json_array_append_new(ctx, o);
    return 0;
}

/* Objects of a kind in ns matching a label selector (new array). */
static inline json_t *wl_list(k1s_api *api, const char *group, const char *kind,
                              const char *ns, const char *selector)
{
    json_t *items = json_array();
    k1s_list_opts lo = {.label_selector = selector};
    k1s_list_result res;
    k1s_status st = {0};
    if (k1s_api_list(api, k1s_registry_find_kind(group, kind), ns, &lo, wl_list_item,
                     items, &res, &st) == 0)
        k1s_list_result_free(&res);
    k1s_status_clear(&st);
    return items;
}

static inline bool wl_deleting(const json_t *o)
{
    return json_object_get(json_object_get(o, "metadata"), "deletionTimestamp") != NULL;
}

/* Pods matching selector that are not being deleted (new array). */
static inline json_t *wl_live_pods(k1s_api *api, const char *ns, const char *selector)
{
    json_t *all = wl_list(api, "", "Pod", ns, selector), *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
        if (!wl_deleting(p))
            json_array_append(out, p);
    json_decref(all);
    return out;
}

static inline bool wl_pod_ready(const json_t *pod)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        const char *s = json_string_value(json_object_get(c, "status"));
        if (t && !strcmp(t, "Ready"))
            return s && !strcmp(s, "True");
    }
    return false;
}

/* Play the kubelet: Running with ip (NULL: none) and Ready ready, once. */
static inline int wl_set_pod_status_once(k1s_api *api, const char *ns, const char *name,
                                         const char *ip, bool ready)
{
    json_t *pod = wl_get(api, "", "Pod", ns, name);
    if (!pod)
        return 404;
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* keep what the server set (qosClass never changes), replace Ready */
    json_t *st = json_object_get(pod, "status");
    if (!json_is_object(st)) {
        st = json_object();
        json_object_set_new(pod, "status", st);
    }
    json_object_set_new(st, "phase", json_string("Running"));
    json_t *conds = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(st, "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (!t || strcmp(t, "Ready") != 0)
            json_array_append(conds, c);
    }
    json_array_append_new(conds, json_pack("{s:s, s:s, s:s}", "type", "Ready", "status",
                                           ready ? "True" : "False", "lastTransitionTime", ts));
    json_object_set_new(st, "conditions", conds);
    if (ip) {
        json_object_set_new(st, "podIP", json_string(ip));
        json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", ip));
    }
    int rc = wl_update(api, "", "Pod", ns, "status", pod);
    json_decref(pod);
    return rc;
}

/* The same, again when another writer (the scheduler) got there first. */
static inline int wl_set_pod_status(k1s_api *api, const char *ns, const char *name,
                                    const char *ip, bool ready)
{
    int rc = 409;
    for (int i = 0; i < 50 && rc == 409; i++)
        rc = wl_set_pod_status_once(api, ns, name, ip, ready);
    return rc;
}

/* Make every live pod matching selector ready, each with its own IP. */
static inline int wl_ready_all(k1s_api *api, const char *ns, const char *selector)
{
    json_t *pods = wl_live_pods(api, ns, selector);
    int n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        if (wl_pod_ready(p))
            continue;
        unsigned h = 5381;
        for (const char *c = wl_meta(p, "name"); c && *c; c++)
            h = h * 33 + (unsigned char)*c;
        char ip[32];
        snprintf(ip, sizeof ip, "10.%u.%u.%u", (h >> 16) & 255, (h >> 8) & 255, (h & 253) + 1);
        if (wl_set_pod_status(api, ns, wl_meta(p, "name"), ip, true) == 0)
            n++;
    }
    json_decref(pods);
    return n;
}

/* Play the kubelet's end of graceful deletion: pods marked for deletion
 * go for good. */
static inline void wl_finish_terminating(k1s_api *api, const char *ns, const char *selector)
{
    json_t *pods = wl_list(api, "", "Pod", ns, selector);
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        if (!wl_deleting(p))
            continue;
        k1s_target t = {k1s_registry_find_kind("", "Pod"), ns, wl_meta(p, "name"), NULL};
        k1s_opts o = {.grace_seconds = 0};
        k1s_status st = {0};
        json_t *out = NULL;
        int removed = 0;
        k1s_api_delete(api, &t, &o, &out, &removed, &st);
        k1s_status_clear(&st);
        json_decref(out);
    }
    json_decref(pods);
}

/* Events about an object name with reason whose message contains part. */
static inline int wl_count_events(k1s_api *api, const char *ns, const char *obj,
                                  const char *reason, const char *part)
{
    json_t *evs = wl_list(api, "", "Event", ns, NULL);
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        const char *on = json_string_value(json_object_get(json_object_get(e, "involvedObject"), "name"));
        const char *r = json_string_value(json_object_get(e, "reason"));
        const char *m = json_string_value(json_object_get(e, "message"));
        if (on && r && m && !strcmp(on, obj) && !strcmp(r, reason) && strstr(m, part))
            n++;
    }
    json_decref(evs);
    return n;
}

/* wl_count_events once it stops growing towards want (events are
 * written just after what they report). */
static inline int wl_events(k1s_api *api, const char *ns, const char *obj,
                            const char *reason, const char *part, int want)
{
    int n = 0;
    for (int waited = 0; waited <= 2000; waited += 10) {
        n = wl_count_events(api, ns, obj, reason, part);
        if (n >= want)
            break;
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    return n;
}

/* Poll cond(api, arg) every 10 ms for at most WL_WAIT_MS. */
typedef bool (*wl_cond)(k1s_api *api, void *arg);
static inline bool wl_wait(k1s_api *api, wl_cond cond, void *arg)
{
    for (int waited = 0; waited <= WL_WAIT_MS; waited += 10) {
        if (cond(api, arg))
            return true;
        wl_sleep_ms(10);
    }
    return false;
}

static inline json_t *wl_node(const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:[{s:s, s:s}]}}", "apiVersion", "v1",
                     "kind", "Node", "metadata", "name", name, "labels",
                     "kubernetes.io/hostname", name, "status", "conditions", "type", "Ready",
                     "status", "True");
}

#endif
