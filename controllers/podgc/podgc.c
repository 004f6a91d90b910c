/*
 * podgc.c - the pod-garbage-collector, as kube-controller-manager's
 * pkg/controller/podgc: pods that no kubelet will ever finish are removed
 * for good (grace period 0):
 *   - a pod being deleted that was never bound to a node;
 *   - a pod bound to a node that does not exist, once the node has been
 *     seen missing for the quarantine time (kube: 40 s, so that a node
 *     being registered is not mistaken for a gone one); it first gets the
 *     DisruptionTarget condition (DeletionByPodGC) and, unless it has
 *     ended, phase Failed;
 *   - terminated pods beyond the threshold (kube's default 12500), oldest
 *     first.
 */
#include "k1s_podutil.h"
#include "k1s_vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "pod-garbage-collector"
#define QUARANTINE_MS 40000
#define TERMINATED_THRESHOLD 12500
/* When each missing node was first seen missing (kube's quarantine
 * queue): node name -> monotonic ms. */
typedef struct podgc_state {
    json_t *missing_since; /* owned object */
} podgc_state;

static void *podgc_init(k1s_ctrl *c)
{
    (void)c;
    podgc_state *s = calloc(1, sizeof *s);
    if (s && !(s->missing_since = json_object())) {
        free(s);
        return NULL;
    }
    return s;
}

static void podgc_fini(void *state)
{
    podgc_state *s = state;
    if (s)
        json_decref(s->missing_since);
    free(s);
}

/* the key under which the terminated pods are counted: not a pod name */
#define SWEEP_KEY "-sweep-"

static int force_delete(k1s_ctrl *c, const json_t *pod)
{
    int rc = k1s_ctrl_delete(c, "", "Pod", k1s__wl_ns(pod), k1s__wl_name(pod), 0, k1s__wl_uid(pod));
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

/* kube's markFailedAndDeletePod for an orphan: the condition and phase
 * first (best effort), then the delete. */
static int delete_orphan(k1s_ctrl *c, const json_t *pod)
{
    int rc =
        k1s__wl_mark_disruption(c, pod, "DeletionByPodGC", "PodGC: node no longer exists", true);
    if (rc == 409)
        return 50;
    return force_delete(c, pod);
}

typedef struct terminated {
    k1s_vec pods; /* const json_t * */
} terminated;

static int collect_terminated(void *vctx, const json_t *pod)
{
    terminated *t = vctx;
    if (k1s__wl_pod_terminal(pod))
        return k1s_vec_append(&t->pods, &pod) ? 1 : 0;
    return 0;
}

static int by_created(const void *a, const void *b)
{
    return k1s__wl_cmp_created(*(const json_t *const *)a, *(const json_t *const *)b);
}

/* kube's gcTerminated: the oldest terminated pods beyond the threshold. */
static int sweep_terminated(k1s_ctrl *c, k1s_informer *pi)
{
    terminated t = {K1S_VEC(const json_t *)};
    k1s_informer_each(pi, NULL, collect_terminated, &t);
    if (t.pods.n > TERMINATED_THRESHOLD) {
        qsort(t.pods.p, t.pods.n, sizeof(const json_t *), by_created);
        for (size_t i = 0; i < t.pods.n - TERMINATED_THRESHOLD; i++)
            force_delete(c, *(const json_t *const *)k1s_vec_at(&t.pods, i));
    }
    k1s_vec_free(&t.pods);
    return 0;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    podgc_state *s = state;
    /* no pod has an empty namespace, so the sweep key cannot be one */
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    k1s_informer *ni = k1s_ctrl_informer(c, "", "Node");
    if (!pi || !ni || !s)
        return -1;
    if (!*ns && !strcmp(name, SWEEP_KEY))
        return sweep_terminated(c, pi);
    const json_t *pod = k1s_informer_get(pi, ns, name);
    if (!pod)
        return 0;
    const char *node = k1s_json_str(pod, "spec.nodeName");
    if (!node || !*node)
        return k1s__wl_deleting(pod) ? force_delete(c, pod) : 0;
    if (k1s_informer_get(ni, "", node)) {
        json_object_del(s->missing_since, node);
        return 0;
    }
    /* only a node missing for the whole quarantine is gone: one being
     * registered again (k1s restarting) is not */
    int64_t now = k1s_time_mono_ms();
    json_t *since = json_object_get(s->missing_since, node);
    if (!since) {
        /* bounded by the nodes pods name; dropped when the node returns */
        json_object_set_new(s->missing_since, node, json_integer(now));
        return QUARANTINE_MS + 100;
    }
    int64_t missing_ms = now - json_integer_value(since);
    if (missing_ms < QUARANTINE_MS)
        return (int)(QUARANTINE_MS - missing_ms + 100);
    return delete_orphan(c, pod);
}

/* A node gone: every pod bound to it is looked at. */
typedef struct nodectx {
    k1s_ctrl *c;
    int id;
    const char *node;
} nodectx;

static int enqueue_bound(void *vctx, const json_t *pod)
{
    nodectx *n = vctx;
    const char *node = k1s_json_str(pod, "spec.nodeName");
    if (node && !strcmp(node, n->node))
        k1s_ctrl_enqueue(n->c, n->id, k1s__wl_ns(pod), k1s__wl_name(pod));
    return 0;
}

static void map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (!old || obj)
        return;
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    nodectx n = {c, id, k1s__wl_name(old)};
    if (pi)
        k1s_informer_each(pi, NULL, enqueue_bound, &n);
}

/* A pod that is deleted unbound or bound elsewhere concerns itself; one
 * that has just ended, the count of terminated pods (one queued sweep at
 * a time, the queue deduplicates). */
static void map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (!obj)
        return;
    k1s_ctrl_enqueue(c, id, k1s__wl_ns(obj), k1s__wl_name(obj));
    if (k1s__wl_pod_terminal(obj) && !(old && k1s__wl_pod_terminal(old)))
        k1s_ctrl_enqueue(c, id, "", SWEEP_KEY);
}

const k1s_controller_def k1s__ctrl_podgc = {
    .name = "pod-garbage-collector",
    .group = "",
    .kind = NULL,
    .reconcile = reconcile,
    .watches = {{"", "Pod", map_pod}, {"", "Node", map_node}},
    .init = podgc_init,
    .fini = podgc_fini,
};
