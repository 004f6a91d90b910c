/*
 * pod_loop.c - the containerd mode's controller on the kubelet's own loop:
 * its keys ("ns/name" of pods, "/<node>", "/#poll", "/#sweep"), the
 * watches that wake them, and the loop-only state made at start and freed
 * at stop.
 */
#include "pods_internal.h"
#include "k1s_containerd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const json_t *lookup_get(void *ctx, const char *kind, const char *ns, const char *name)
{
    k1s_kubelet *kl = ctx;
    const char *group = "";
    k1s_informer *inf = k1s_ctrl_informer(kl->c, group, kind);
    return inf ? k1s_informer_get(inf, ns ? ns : "", name) : NULL;
}

k1s_spec_lookup k1s__lookup(k1s_kubelet *kl)
{
    return (k1s_spec_lookup){kl, lookup_get};
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s_kubelet *kl = state;
    if (!kl)
        return -1;
    kl->c = c;
    if (!*ns) {
        if (!strcmp(name, K1S__KEY_POLL))
            return k1s__poll(kl);
        if (!strcmp(name, K1S__KEY_SWEEP))
            return k1s__sweep(kl);
        if (!strcmp(name, kl->node))
            return k1s__node_sync(kl);
        return 0;
    }
    k1s_informer *pods = k1s_ctrl_informer(c, "", "Pod");
    return k1s__pod_sync(kl, ns, name, pods ? k1s_informer_get(pods, ns, name) : NULL);
}

/* A ConfigMap, Secret, claim or volume changed: pods waiting for one try
 * again now rather than at their next retry. */
static void map_config(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    k1s_kubelet *kl = k1s_ctrl_user(c);
    const char *ns = k1s_json_str_or(obj ? obj : old, "metadata.namespace", "");
    for (size_t i = 0; kl && i < kl->pods.n; i++) {
        k1s__pod *ps = k1s__pod_at(kl, i);
        if (ps->config_wait && (!*ns || !strcmp(ns, ps->ns)))
            k1s_ctrl_enqueue(c, id, ps->ns, ps->name);
    }
}

/* Whether the runtime is up; why not into kl->runtime_msg, in kubelet's
 * words. */
static bool check_runtime(k1s_kubelet *kl)
{
    kl->runtime_msg[0] = 0;
    json_t *r =
        k1s_containerd_check(kl->ctd) ? k1s__cri(kl, "Status", NULL, K1S__CRI_LIST, NULL, 0) : NULL;
    if (!r) {
        snprintf(kl->runtime_msg, sizeof kl->runtime_msg, "container runtime is down");
        return false;
    }
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(r, "status"), "conditions"), i, c)
    {
        const char *type = k1s_json_str_or(c, "type", "");
        if (json_is_true(json_object_get(c, "status")) || *kl->runtime_msg)
            continue;
        const char *what = !strcmp(type, "NetworkReady") ? "container runtime network not ready"
                                                         : "container runtime not ready";
        snprintf(kl->runtime_msg, sizeof kl->runtime_msg,
                 "%s: %.60s=false reason:%.100s message:%.250s", what, type,
                 k1s_json_str_or(c, "reason", ""), k1s_json_str_or(c, "message", ""));
    }
    json_decref(r);
    return !*kl->runtime_msg;
}

static void resync_all(k1s_kubelet *kl)
{
    for (size_t i = 0; i < kl->pods.n; i++)
        k1s_ctrl_enqueue(kl->c, 0, k1s__pod_at(kl, i)->ns, k1s__pod_at(kl, i)->name);
}

static void *init(k1s_ctrl *c)
{
    k1s_kubelet *kl = k1s_ctrl_user(c);
    kl->c = c;
    kl->seen = json_object();
    kl->pods = K1S_VEC(k1s__pod *);
    kl->pulls = K1S_VEC(k1s__pull);
    kl->reaps = K1S_VEC(k1s__reaping);
    kl->probes = k1s__probes_new(kl->cri);
    kl->runtime_check = check_runtime;
    kl->runtime_back = resync_all;
    kl->runtime_ok = true;
    /* a kubelet registers before it runs anything; a failure is retried
     * by the node's key */
    kl->registered = k1s__node_register(kl) == 0;
    /* defs holds this controller alone, so its id is 0; timers (unlike
     * the queue) may be set before the loop runs */
    k1s_ctrl_enqueue_after(c, 0, "", kl->node, 1);
    k1s_ctrl_enqueue_after(c, 0, "", K1S__KEY_SWEEP, 1);
    k1s_ctrl_enqueue_after(c, 0, "", K1S__KEY_POLL, 1);
    return kl;
}

static void fini(void *state)
{
    k1s_kubelet *kl = state;
    if (!kl)
        return;
    k1s__reaps_join(kl, true);
    while (kl->pods.n)
        k1s__pod_drop(kl, k1s__pod_at(kl, kl->pods.n - 1));
    k1s_vec_free(&kl->pods);
    k1s__pulls_gc(kl, true);
    k1s_vec_free(&kl->pulls);
    k1s_vec_free(&kl->reaps);
    k1s__probes_free(kl->probes);
    kl->probes = NULL;
    json_decref(kl->seen);
    kl->seen = NULL;
}

const k1s_controller_def k1s__pods_def = {
    .name = K1S__KL,
    .group = "",
    .kind = "Pod",
    .reconcile = reconcile,
    .watches =
        {
            {"", "Node", k1s__map_node},
            {"coordination.k8s.io", "Lease", k1s__map_lease},
            {"", "ConfigMap", map_config},
            {"", "Secret", map_config},
            {"", "PersistentVolumeClaim", map_config},
            {"", "PersistentVolume", map_config},
        },
    .init = init,
    .fini = fini,
};
