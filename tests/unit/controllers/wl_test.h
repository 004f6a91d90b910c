/*
 * wl_test.h - what the workload and endpoint controller tests share
 * (test_deployment.c, test_daemonset.c, test_endpoints.c) beyond the
 * fixture (k1s_fixture.h): with the controllers running and kubelet
 * "none", tests play the kubelet themselves by writing pod status (phase
 * Running, an IP, Ready) and finishing graceful deletions, and read the
 * events the controllers record. Header-only: every helper is static inline.
 */
#ifndef K1S_WL_TEST_H
#define K1S_WL_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_json.h"
#include "k1s_time.h"

#define WL_NODE "node1"

static inline json_t *wl_live_pods(k1s_api *api, const char *ns, const char *selector)
{
    json_t *all = fx_list(api, "Pod", ns, selector), *out = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p) if (!fx_deleting(p, NULL)) json_array_append(out, p);
    json_decref(all);
    return out;
}

static inline bool wl_pod_ready(const json_t *pod)
{
    const char *s = fx_str(fx_condition(pod, "Ready"), "status");
    return s && !strcmp(s, "True");
}

/* Play the kubelet: Running with ip (NULL: none) and Ready ready, once. */
static inline int wl_set_pod_status_once(k1s_api *api, const char *ns, const char *name,
                                         const char *ip, bool ready)
{
    json_t *pod = fx_get(api, "Pod", ns, name);
    if (!pod)
        return 404;
    char ts[K1S_TIME_LEN];
    k1s_time_format_now(ts, sizeof ts);
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
    int rc = fx_update(api, "Pod", ns, "status", pod);
    json_decref(pod);
    return rc;
}

/* The same, again when another writer (the scheduler) got there first. */
static inline int wl_set_pod_status(k1s_api *api, const char *ns, const char *name, const char *ip,
                                    bool ready)
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
        for (const char *c = k1s_meta(p, "name"); c && *c; c++)
            h = h * 33 + (unsigned char)*c;
        char ip[32];
        snprintf(ip, sizeof ip, "10.%u.%u.%u", (h >> 16) & 255, (h >> 8) & 255, (h & 253) + 1);
        if (wl_set_pod_status(api, ns, k1s_meta(p, "name"), ip, true) == 0)
            n++;
    }
    json_decref(pods);
    return n;
}

/* Play the kubelet's end of graceful deletion: pods marked for deletion
 * go for good. */
static inline void wl_finish_terminating(k1s_api *api, const char *ns, const char *selector)
{
    json_t *pods = fx_list(api, "Pod", ns, selector);
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) if (fx_deleting(p, NULL))
        fx_delete(api, "Pod", ns, k1s_meta(p, "name"), 0);
    json_decref(pods);
}

/* Events about an object name with reason whose message contains part. */
static inline int wl_count_events(k1s_api *api, const char *ns, const char *obj, const char *reason,
                                  const char *part)
{
    json_t *evs = fx_list(api, "Event", ns, NULL);
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        const char *on = fx_str(e, "involvedObject.name");
        const char *r = fx_str(e, "reason");
        const char *m = fx_str(e, "message");
        if (on && r && m && !strcmp(on, obj) && !strcmp(r, reason) && strstr(m, part))
            n++;
    }
    json_decref(evs);
    return n;
}

/* wl_count_events once it stops growing towards want (events are
 * written just after what they report). */
static inline int wl_events(k1s_api *api, const char *ns, const char *obj, const char *reason,
                            const char *part, int want)
{
    int n;
    int64_t deadline = fx_deadline(2000);
    while ((n = wl_count_events(api, ns, obj, reason, part)) < want && fx_poll(deadline))
        ;
    return n;
}

static inline json_t *wl_node(const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:[{s:s, s:s}]}}", "apiVersion", "v1", "kind",
                     "Node", "metadata", "name", name, "labels", "kubernetes.io/hostname", name,
                     "status", "conditions", "type", "Ready", "status", "True");
}

#endif
