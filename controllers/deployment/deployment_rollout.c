/*
 * deployment_rollout.c - the two rollout strategies of kube's deployment
 * controller (rolling.go and recreate.go). RollingUpdate scales the new
 * ReplicaSet up within maxSurge, then old ones down within maxUnavailable
 * (unhealthy old pods first); Recreate scales every old ReplicaSet to zero,
 * waits until none of their pods runs, then scales the new one up.
 */
#include "deployment_internal.h"

#include <string.h>

static bool reconcile_new(k1s__dsync *x)
{
    /* borrowed */
    json_t *n = x->new_rs;
    long long want = k1s__dep_replicas(x->d), have = k1s__dep_rs_replicas(n);
    if (have == want)
        return false;
    if (have > want)
        return k1s__dsync_scale_rs(x, n, want);
    k1s__rsvec all = x->old;
    k1s__rsvec_add(&all, n);
    return k1s__dsync_scale_rs(x, n, k1s__dep_new_rs_replicas(x->d, &all, n));
}

/* Scale old ReplicaSets down by their unavailable pods first, oldest
 * first, at most max pods; returns how many went. */
static long long cleanup_unhealthy(k1s__dsync *x, k1s__rsvec *olds, long long max)
{
    k1s__rsvec_sort_created(olds, false);
    long long total = 0;
    for (size_t i = 0; i < olds->n && total < max && !x->err; i++) {
        /* borrowed */
        json_t *rs = olds->v[i];
        long long replicas = k1s__dep_rs_replicas(rs);
        long long avail = k1s__dep_rs_status(rs, "availableReplicas");
        if (replicas == 0 || replicas == avail)
            continue;
        long long down = max - total;
        if (replicas - avail < down)
            down = replicas - avail;
        if (down <= 0)
            continue;
        k1s__dsync_scale_rs(x, rs, replicas - down);
        if (x->err)
            break;
        total += down;
    }
    return total;
}

/* Scale old ReplicaSets down while availability stays at least
 * replicas - maxUnavailable; returns how many went. */
static long long scale_down_old(k1s__dsync *x, const k1s__rsvec *all, k1s__rsvec *olds)
{
    long long min_avail = k1s__dep_replicas(x->d) - k1s__dep_max_unavailable(x->d);
    long long available = k1s__rsvec_status(all, "availableReplicas");
    if (available <= min_avail)
        return 0;
    k1s__rsvec_sort_created(olds, false);
    long long total = 0, goal = available - min_avail;
    for (size_t i = 0; i < olds->n && total < goal && !x->err; i++) {
        /* borrowed */
        json_t *rs = olds->v[i];
        long long replicas = k1s__dep_rs_replicas(rs);
        if (replicas == 0)
            continue;
        long long down = goal - total < replicas ? goal - total : replicas;
        k1s__dsync_scale_rs(x, rs, replicas - down);
        if (x->err)
            break;
        total += down;
    }
    return total;
}

static bool reconcile_old(k1s__dsync *x)
{
    k1s__rsvec active;
    k1s__rsvec_active(&x->old, &active);
    if (k1s__rsvec_replicas(&active) == 0)
        return false;
    k1s__rsvec all = x->old;
    k1s__rsvec_add(&all, x->new_rs);
    long long min_avail = k1s__dep_replicas(x->d) - k1s__dep_max_unavailable(x->d);
    long long new_unavail =
        k1s__dep_rs_replicas(x->new_rs) - k1s__dep_rs_status(x->new_rs, "availableReplicas");
    long long max_down = k1s__rsvec_replicas(&all) - min_avail - new_unavail;
    if (max_down <= 0)
        return false;
    long long cleaned = cleanup_unhealthy(x, &active, max_down);
    if (x->err)
        return false;
    k1s__rsvec now = active;
    k1s__rsvec_add(&now, x->new_rs);
    long long scaled = scale_down_old(x, &now, &active);
    return cleaned + scaled > 0;
}

void k1s__dsync_rolling(k1s__dsync *x)
{
    k1s__dsync_all_rs(x, true);
    if (x->err || !x->new_rs)
        return;
    if (reconcile_new(x) || x->err) {
        if (!x->err)
            k1s__dsync_rollout_status(x);
        return;
    }
    if (reconcile_old(x) || x->err) {
        if (!x->err)
            k1s__dsync_rollout_status(x);
        return;
    }
    if (k1s__dep_complete(x->d, json_object_get(x->d, "status")))
        k1s__dsync_cleanup(x);
    if (!x->err)
        k1s__dsync_rollout_status(x);
}

typedef struct runctx {
    const k1s__dsync *x;
    k1s_selector *sel;
    bool running;
} runctx;

static int pod_of_old(void *vctx, const json_t *pod)
{
    runctx *r = vctx;
    if (!k1s__wl_matches(r->sel, pod) || k1s__wl_pod_terminal(pod))
        return 0;
    for (size_t i = 0; i < r->x->old.n; i++)
        if (k1s__wl_controlled_by(pod, k1s__wl_uid(r->x->old.v[i]))) {
            r->running = true; /* terminating pods still run */
            return 1;
        }
    return 0;
}

/* Whether a pod of an old ReplicaSet may still be running. */
static bool old_pods_running(k1s__dsync *x)
{
    if (k1s__rsvec_status(&x->old, "replicas") > 0)
        return true;
    k1s_informer *pi = k1s_ctrl_informer(x->c, "", "Pod");
    if (!pi)
        return true;
    runctx r = {x, k1s__wl_selector(json_object_get(json_object_get(x->d, "spec"), "selector")),
                false};
    if (r.sel)
        k1s_informer_each(pi, k1s__wl_ns(x->d), pod_of_old, &r);
    k1s_selector_free(r.sel);
    return r.running;
}

void k1s__dsync_recreate(k1s__dsync *x)
{
    k1s__dsync_all_rs(x, false);
    if (x->err)
        return;
    k1s__rsvec active;
    k1s__rsvec_active(&x->old, &active);
    bool scaled = false;
    for (size_t i = 0; i < active.n && !x->err; i++)
        scaled |= k1s__dsync_scale_rs(x, active.v[i], 0);
    if (x->err)
        return;
    if (scaled || old_pods_running(x)) {
        k1s__dsync_rollout_status(x);
        return;
    }
    if (!x->new_rs) {
        k1s__dsync_all_rs(x, true);
        if (x->err || !x->new_rs)
            return;
    }
    k1s__dsync_scale_rs(x, x->new_rs, k1s__dep_replicas(x->d));
    if (x->err)
        return;
    if (k1s__dep_complete(x->d, json_object_get(x->d, "status")))
        k1s__dsync_cleanup(x);
    if (!x->err)
        k1s__dsync_rollout_status(x);
}
