/*
 * taint_eviction.c - the taint-eviction-controller, as kube's
 * pkg/controller/tainteviction: a pod on a node with a NoExecute taint it
 * does not tolerate is deleted at once; one that tolerates every such
 * taint, some for tolerationSeconds only, is deleted that long after the
 * taint came (the smallest such time counts). Before the delete it gets
 * the DisruptionTarget condition (DeletionByTaintManager); the event is
 * kube's TaintManagerEviction.
 */
#include "k1s_podutil.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define COMPONENT "taint-eviction-controller"

/* Seconds until the pod must go (0: now), or -1: it may stay. */
static long long eviction_due(const json_t *node, const json_t *pod, long long *wait)
{
    const json_t *tols = json_object_get(json_object_get(pod, "spec"), "tolerations");
    long long due = -1;
    *wait = LLONG_MAX;
    size_t i;
    const json_t *taint;
    json_array_foreach(json_object_get(json_object_get(node, "spec"), "taints"), i, taint)
    {
        if (strcmp(k1s_json_str_or(taint, "effect", ""), "NoExecute") != 0)
            continue;
        long long least = LLONG_MAX; /* forever, unless a toleration says */
        bool matched = false;
        size_t j;
        const json_t *tol;
        json_array_foreach(tols, j, tol)
        {
            if (!k1s__wl_toleration_matches(tol, taint))
                continue;
            matched = true;
            const json_t *secs = json_object_get(tol, "tolerationSeconds");
            if (json_is_integer(secs) && json_integer_value(secs) < least)
                least = json_integer_value(secs) < 0 ? 0 : json_integer_value(secs);
        }
        if (!matched)
            return 0;
        if (least == LLONG_MAX)
            continue;
        int64_t added = k1s__wl_parse_time(k1s_json_str(taint, "timeAdded"));
        long long left = added < 0 ? least : (long long)(added + least - k1s_time_now());
        if (left <= 0)
            return 0;
        if (left < *wait)
            *wait = left;
        due = 1;
    }
    return due;
}

static int evict(k1s_ctrl *c, const json_t *pod)
{
    k1s__wl_mark_disruption(c, pod, "DeletionByTaintManager",
                            "Taint manager: deleting due to NoExecute taint", false);
    k1s_ctrl_event(c, COMPONENT, pod, "Normal", "TaintManagerEviction",
                   "Marking for deletion Pod %s/%s", k1s__wl_ns(pod), k1s__wl_name(pod));
    int rc =
        k1s_ctrl_delete(c, "", "Pod", k1s__wl_ns(pod), k1s__wl_name(pod), -1, k1s__wl_uid(pod));
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)state;
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    k1s_informer *ni = k1s_ctrl_informer(c, "", "Node");
    if (!pi || !ni)
        return -1;
    const json_t *pod = k1s_informer_get(pi, ns, name);
    const char *node_name = k1s_json_str_or(pod, "spec.nodeName", "");
    if (!pod || !*node_name || k1s__wl_deleting(pod) || k1s__wl_pod_terminal(pod))
        return 0;
    const json_t *node = k1s_informer_get(ni, "", node_name);
    if (!node)
        return 0;
    long long wait = 0;
    long long due = eviction_due(node, pod, &wait);
    if (due == 0)
        return evict(c, pod);
    if (due < 0)
        return 0;
    return (int)(wait > 3600 ? 3600000 : wait * 1000 + 100);
}

typedef struct nodectx {
    k1s_ctrl *c;
    int id;
    const char *node;
} nodectx;

static int enqueue_bound(void *vctx, const json_t *pod)
{
    nodectx *n = vctx;
    if (!strcmp(k1s_json_str_or(pod, "spec.nodeName", ""), n->node))
        k1s_ctrl_enqueue(n->c, n->id, k1s__wl_ns(pod), k1s__wl_name(pod));
    return 0;
}

/* A node's taints changed: its pods are looked at. */
static void map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (!obj ||
        (old && k1s_json_semantic_equal(json_object_get(json_object_get(old, "spec"), "taints"),
                                        json_object_get(json_object_get(obj, "spec"), "taints"))))
        return;
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    nodectx n = {c, id, k1s__wl_name(obj)};
    if (pi)
        k1s_informer_each(pi, NULL, enqueue_bound, &n);
}

const k1s_controller_def k1s__ctrl_taint_eviction = {
    .name = "taint-eviction-controller",
    .group = "",
    .kind = "Pod",
    .reconcile = reconcile,
    .watches = {{"", "Node", map_node}},
};
