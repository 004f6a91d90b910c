/*
 * deployment.c - the deployment-controller, as kube-controller-manager's
 * pkg/controller/deployment: a Deployment owns ReplicaSets named
 * "<deployment>-<pod-template-hash>" (the hash also labels the
 * ReplicaSet, its selector and its pods), numbered by the annotation
 * deployment.kubernetes.io/revision; it rolls from one to the next with
 * RollingUpdate (maxSurge/maxUnavailable) or Recreate, keeps
 * revisionHistoryLimit old ones, and reports replicas, updatedReplicas,
 * readyReplicas, availableReplicas, unavailableReplicas, observedGeneration
 * and the Available and Progressing conditions. Events: ScalingReplicaSet
 * "Scaled up replica set web-7d9f8c6b5 from 0 to 3".
 *
 * kubectl's rollout undo patches the template back from a ReplicaSet, and
 * rollout restart changes a template annotation; both are ordinary template
 * changes here. The revision annotation of the Deployment itself is written
 * with a metadata patch (kube's status update carries it).
 */
#include "deployment_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *dep_init(k1s_ctrl *c)
{
    (void)c;
    k1s__dep_state *s = calloc(1, sizeof *s);
    if (s)
        s->exp = k1s__wl_expect_new();
    return s;
}

static void dep_fini(void *state)
{
    k1s__dep_state *s = state;
    if (!s)
        return;
    k1s__wl_expect_free(s->exp);
    free(s);
}

/* ---- what enqueues a Deployment ----------------------------------------------------- */

typedef struct selctx {
    k1s_ctrl *c;
    int id;
    const json_t *obj;
} selctx;

static int enqueue_if_selects(void *vctx, const json_t *d)
{
    selctx *s = vctx;
    k1s_selector *sel = k1s__wl_selector(json_object_get(json_object_get(d, "spec"), "selector"));
    if (sel && k1s__wl_matches(sel, s->obj))
        k1s_ctrl_enqueue(s->c, s->id, k1s__wl_ns(d), k1s__wl_name(d));
    k1s_selector_free(sel);
    return 0;
}

static void map_rs(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *both[2] = {old, obj};
    for (int i = 0; i < 2; i++) {
        if (!both[i])
            continue;
        if (k1s__wl_controller_of(both[i])) {
            k1s_ctrl_enqueue_owner(c, id, both[i], "Deployment");
        } else if (both[i] == obj) {
            k1s_informer *inf = k1s_ctrl_informer(c, "apps", "Deployment");
            selctx s = {c, id, obj};
            if (inf)
                k1s_informer_each(inf, k1s__wl_ns(obj), enqueue_if_selects, &s);
        }
    }
}

/* Recreate waits for old pods to stop: their end concerns the Deployment
 * owning their ReplicaSet. */
static void map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *p = obj ? obj : old;
    if (obj && !(k1s__wl_pod_terminal(obj) && !(old && k1s__wl_pod_terminal(old))))
        return;
    const json_t *ref = k1s__wl_controller_of(p);
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    if (!kind || strcmp(kind, "ReplicaSet") != 0)
        return;
    k1s_informer *rsi = k1s_ctrl_informer(c, "apps", "ReplicaSet");
    const json_t *rs =
        rsi ? k1s_informer_get(rsi, k1s__wl_ns(p), json_string_value(json_object_get(ref, "name")))
            : NULL;
    if (rs)
        k1s_ctrl_enqueue_owner(c, id, rs, "Deployment");
}

/* ---- the ReplicaSets of a Deployment ----------------------------------------------------- */

typedef struct claimctx {
    k1s__dsync *x;
    k1s_selector *sel;
} claimctx;

/* kube's ClaimReplicaSets: owned and selected ones stay, owned ones no
 * longer selected are released, selected orphans adopted. */
static int claim(void *vctx, const json_t *rs)
{
    claimctx *cc = vctx;
    k1s__dsync *x = cc->x;
    const char *uid = k1s__wl_uid(x->orig);
    bool selected = k1s__wl_matches(cc->sel, rs);
    bool deleting = k1s__wl_deleting(x->orig);
    if (k1s__wl_controller_of(rs)) {
        if (!k1s__wl_controlled_by(rs, uid))
            return 0;
        if (selected)
            json_array_append_new(x->rss, json_deep_copy(rs));
        else if (!deleting)
            k1s__wl_release(x->c, "apps", "ReplicaSet", rs, uid);
        return 0;
    }
    if (!selected || deleting || k1s__wl_deleting(rs))
        return 0;
    if (k1s__wl_adopt(x->c, "apps", "ReplicaSet", rs, x->orig, "apps/v1", "Deployment") == 0)
        json_array_append_new(x->rss, json_deep_copy(rs));
    return 0;
}

/* ---- writing the result ---------------------------------------------------------------- */

static int finish(k1s__dsync *x)
{
    const json_t *d0 = x->orig;
    int rc = 0;
    if ((!x->err || x->report) &&
        !k1s_json_semantic_equal(json_object_get(x->d, "status"), json_object_get(d0, "status"))) {
        json_t *up = json_deep_copy(d0); /* new */
        json_object_set(up, "status", json_object_get(x->d, "status"));
        rc = k1s_ctrl_update(x->c, "apps", "Deployment", k1s__wl_ns(d0), "status", up, NULL);
        json_decref(up);
        if (rc && !x->err)
            x->err = rc;
    }
    const char *want = k1s_meta_annotation(x->d, K1S_DEP_REVISION);
    const char *have = k1s_meta_annotation(d0, K1S_DEP_REVISION);
    if (!x->err && want && (!have || strcmp(want, have) != 0)) {
        /* new */
        json_t *patch =
            json_pack("{s:{s:{s:s}}}", "metadata", "annotations", K1S_DEP_REVISION, want);
        char *text = json_dumps(patch, JSON_COMPACT);
        json_decref(patch);
        if (text) {
            rc = k1s_ctrl_patch(x->c, "apps", "Deployment", k1s__wl_ns(d0), k1s__wl_name(d0), NULL,
                                text);
            free(text);
            if (rc)
                x->err = rc;
        }
    }
    if (x->err == 409 || x->err == 404)
        return x->err == 409 ? 50 : 0; /* the watch brings the fresh object */
    if (x->err)
        return -1;
    return x->requeue_ms > 0 ? (int)(x->requeue_ms > 86400000 ? 86400000 : x->requeue_ms) : 0;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s__dep_state *s = state;
    k1s_informer *di = k1s_ctrl_informer(c, "apps", "Deployment");
    k1s_informer *rsi = k1s_ctrl_informer(c, "apps", "ReplicaSet");
    if (!s || !di || !rsi)
        return -1;
    const json_t *d0 = k1s_informer_get(di, ns, name);
    if (!d0) {
        k1s__wl_expect_forget(s->exp, ns, name);
        return 0;
    }
    /* act only on a cache that shows our own last writes */
    if (!k1s__wl_expect_satisfied(s->exp, ns, name, rsi))
        return 20;
    k1s__dsync x = {.c = c, .s = s, .orig = d0, .d = json_deep_copy(d0), .rss = json_array()};
    const json_t *selector = json_object_get(json_object_get(d0, "spec"), "selector");
    if (k1s__wl_selects_all(selector)) {
        k1s_ctrl_event(c, K1S_DEP_COMPONENT, d0, "Warning", "SelectingAll",
                       "This deployment is selecting all pods. A non-empty selector is required.");
        json_t *st = json_object_get(x.d, "status"); /* borrowed */
        if (k1s_json_int(st, "observedGeneration", 0) < k1s__wl_generation(d0)) {
            if (!json_is_object(st)) {
                st = json_object();
                json_object_set_new(x.d, "status", st);
            }
            json_object_set_new(st, "observedGeneration", json_integer(k1s__wl_generation(d0)));
        }
        int rc = finish(&x);
        json_decref(x.d);
        json_decref(x.rss);
        return rc;
    }
    claimctx cc = {&x, k1s__wl_selector(selector)};
    if (cc.sel)
        k1s_informer_each(rsi, ns, claim, &cc);
    k1s_selector_free(cc.sel);

    if (k1s__wl_deleting(d0)) {
        k1s__dsync_all_rs(&x, false);
        if (!x.err)
            k1s__dsync_status(&x);
    } else {
        k1s__dsync_paused_conditions(&x);
        const json_t *spec = json_object_get(d0, "spec");
        bool paused = json_is_true(json_object_get(spec, "paused"));
        if (paused || k1s__dsync_scaling_event(&x)) {
            if (paused)
                k1s__dsync_all_rs(&x, false);
            if (!x.err)
                k1s__dsync_scale(&x);
            if (!x.err && paused)
                k1s__dsync_cleanup(&x);
            if (!x.err)
                k1s__dsync_status(&x);
        } else if (!x.err) {
            if (k1s__dep_rolling(d0))
                k1s__dsync_rolling(&x);
            else
                k1s__dsync_recreate(&x);
        }
    }
    int rc = finish(&x);
    json_decref(x.d);
    json_decref(x.rss);
    return rc;
}

const k1s_controller_def k1s__ctrl_deployment = {
    .name = "deployment-controller",
    .group = "apps",
    .kind = "Deployment",
    .reconcile = reconcile,
    .watches = {{"apps", "ReplicaSet", map_rs}, {"", "Pod", map_pod}},
    .init = dep_init,
    .fini = dep_fini,
};
