/*
 * statefulset.c - the statefulset-controller, as kube-controller-manager's:
 * pods <set>-<ordinal> with stable identities and claims, made in order
 * (OrderedReady: one at a time, each Running and Ready before the next;
 * Parallel: all at once), removed from the highest ordinal down, replaced
 * by rolling update (reverse order, partition) or on delete, with the
 * template history in ControllerRevisions and the status written through
 * the status subresource.
 *
 * Registered in registry.c as k1s__ctrl_statefulset. Watches pods (by
 * owner), claims (by owner or by name) and revisions (by owner); orphans
 * matching a set's selector wake that set so it can adopt them. Pods,
 * claims and revisions are built in statefulset_pods.c and
 * statefulset_revision.c; see docs/internals/statefulset.md.
 */
#include "statefulset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- start and stop ------------------------------------------------------------- */

static void *sts_init(k1s_ctrl *c)
{
    k1s__sts_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->sets = k1s_ctrl_informer(c, "apps", "StatefulSet");
    st->pods = k1s_ctrl_informer(c, "", "Pod");
    st->claims = k1s_ctrl_informer(c, "", "PersistentVolumeClaim");
    st->revisions = k1s_ctrl_informer(c, "apps", "ControllerRevision");
    return st;
}

static void sts_fini(void *state)
{
    free(state);
}

/* ---- watches ---------------------------------------------------------------------- */

typedef struct matchctx {
    k1s_ctrl *c;
    int id;
    const json_t *obj;
} matchctx;

static int enqueue_if_selected(void *vctx, const json_t *set)
{
    matchctx *m = vctx;
    k1s_selector *sel = NULL;
    char *err = NULL;
    if (k1s_label_selector_from_json(k1s_json_at(set, "spec.selector"), &sel, &err)) {
        free(err);
        return 0;
    }
    if (k1s_selector_matches_labels(sel, k1s_json_at(m->obj, "metadata.labels")))
        k1s_ctrl_enqueue(m->c, m->id, k1s_meta(set, "namespace"), k1s_meta(set, "name"));
    k1s_selector_free(sel);
    return 0;
}

/* An orphan wakes the sets that select it, so they may adopt it. */
static void enqueue_selecting(k1s_ctrl *c, int id, const json_t *obj)
{
    k1s_informer *sets = k1s_ctrl_informer(c, "apps", "StatefulSet");
    const char *ns = k1s_meta(obj, "namespace");
    if (!sets || !ns)
        return;
    matchctx m = {c, id, obj};
    k1s_informer_each(sets, ns, enqueue_if_selected, &m);
}

static bool meta_changed(const json_t *old, const json_t *obj, const char *key)
{
    return !json_equal(json_object_get(json_object_get(old, "metadata"), key),
                       json_object_get(json_object_get(obj, "metadata"), key));
}

/* Pods and revisions: the owning set; orphans whose labels or owners
 * changed: the sets selecting them. */
static void map_owned(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (old)
        k1s_ctrl_enqueue_owner(c, id, old, "StatefulSet");
    if (!obj)
        return;
    k1s_ctrl_enqueue_owner(c, id, obj, "StatefulSet");
    if (!k1s__sts_controller_of(obj) && !k1s__sts_pod_terminating(obj) &&
        (!old || meta_changed(old, obj, "labels") || meta_changed(old, obj, "ownerReferences")))
        enqueue_selecting(c, id, obj);
}

typedef struct claimctx {
    k1s_ctrl *c;
    int id;
    const char *claim;
} claimctx;

static int enqueue_if_claim_of(void *vctx, const json_t *set)
{
    claimctx *m = vctx;
    const char *name = k1s_meta(set, "name");
    size_t i;
    const json_t *t;
    json_array_foreach(k1s_json_at(set, "spec.volumeClaimTemplates"), i, t)
    {
        char prefix[K1S_STS_NAME_MAX];
        const char *tn = k1s_meta(t, "name");
        int n = tn && name ? snprintf(prefix, sizeof prefix, "%s-%s", tn, name) : -1;
        if (n > 0 && (size_t)n < sizeof prefix && k1s__sts_ordinal(prefix, m->claim) >= 0) {
            k1s_ctrl_enqueue(m->c, m->id, k1s_meta(set, "namespace"), name);
            break;
        }
    }
    return 0;
}

/* Claims: their owning set, and the set whose name they carry (retained
 * claims have no owner; whenScaled claims are owned by a pod). */
static void map_claim(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    k1s_ctrl_enqueue_owner(c, id, any, "StatefulSet");
    k1s_informer *sets = k1s_ctrl_informer(c, "apps", "StatefulSet");
    const char *ns = k1s_meta(any, "namespace");
    const char *name = k1s_meta(any, "name");
    if (!sets || !ns || !name)
        return;
    claimctx m = {c, id, name};
    k1s_informer_each(sets, ns, enqueue_if_claim_of, &m);
}

/* ---- the set's pods ------------------------------------------------------------------ */

typedef struct podlist {
    k1s__sts *s;
    /* of const json_t *, borrowed pods */
    k1s_vec items, orphans, released;
    bool oom;
} podlist;

static bool push(k1s_vec *v, const json_t *pod)
{
    return k1s_vec_append(v, &pod) == 0;
}

/* The pods of v, as an array. */
static const json_t *const *pods_of(const k1s_vec *v)
{
    return v->p;
}

static int sort_pod(void *vctx, const json_t *pod)
{
    podlist *l = vctx;
    k1s__sts *s = l->s;
    const json_t *ref = k1s__sts_controller_of(pod);
    bool member = k1s__sts_ordinal(s->name, k1s_meta(pod, "name")) >= 0 &&
                  k1s_selector_matches_labels(s->sel, k1s_json_at(pod, "metadata.labels"));
    bool ok = true;
    if (ref) {
        const char *uid = k1s_json_str(ref, "uid");
        if (!uid || strcmp(uid, s->uid))
            return 0; /* another controller's */
        if (member)
            ok = push(&l->items, pod);
        else if (!k1s__sts_pod_terminating(s->set))
            ok = push(&l->released, pod);
    } else if (member && !k1s__sts_pod_terminating(s->set) && !k1s__sts_pod_terminating(pod)) {
        ok = push(&l->orphans, pod);
    }
    l->oom |= !ok;
    return l->oom;
}

/* A copy of pod with the owner references of uid removed (release) or
 * the set's added (adopt), written back. */
static int set_owner(k1s__sts *s, const json_t *pod, bool adopt)
{
    json_t *copy = json_deep_copy(pod); /* new */
    json_t *meta = k1s_json_object_at(copy, "metadata");
    const json_t *old = json_object_get(meta, "ownerReferences");
    json_t *refs = json_array(); /* new */
    size_t i;
    const json_t *r;
    json_array_foreach(old, i, r)
    {
        const char *uid = k1s_json_str(r, "uid");
        if (!uid || strcmp(uid, s->uid))
            json_array_append(refs, (json_t *)r);
    }
    if (adopt)
        json_array_append_new(refs, k1s__sts_owner_ref("apps/v1", "StatefulSet", s->name, s->uid));
    if (json_array_size(refs))
        json_object_set_new(meta, "ownerReferences", refs);
    else {
        json_object_del(meta, "ownerReferences");
        json_decref(refs);
    }
    int rc = k1s__sts_update(s, "", "Pod", NULL, copy, NULL, NULL);
    json_decref(copy);
    return rc == 0 || rc == 404 ? 0 : -1;
}

/* The pods the set manages (kube's ClaimPods): its own members; members
 * without a controller are adopted, its pods that no longer match are
 * released. */
static int claim_pods(k1s__sts *s, podlist *l)
{
    k1s_informer_each(s->st->pods, s->ns, sort_pod, l);
    if (l->oom)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < l->released.n; i++)
        if (set_owner(s, pods_of(&l->released)[i], false))
            rc = -1;
    if (l->orphans.n && k1s__sts_can_adopt(s)) {
        for (size_t i = 0; i < l->orphans.n; i++) {
            const json_t *pod = pods_of(&l->orphans)[i];
            if (set_owner(s, pod, true))
                rc = -1;
            else if (!push(&l->items, pod))
                return -1;
        }
    }
    return rc;
}

/* ---- the update (kube's updateStatefulSet) ------------------------------------------- */

typedef struct counts {
    long long replicas, ready, available, current, updated;
} counts;

typedef struct slots {
    const json_t **rep; /* per ordinal: the cached pod, NULL if missing */
    size_t n;
    const json_t **condemned; /* members beyond the range, highest first */
    size_t ncondemned;
} slots;

static long long ordinal_of(k1s__sts *s, const json_t *pod)
{
    return k1s__sts_ordinal(s->name, k1s_meta(pod, "name"));
}

static int by_ordinal_desc(const void *a, const void *b, void *vs)
{
    k1s__sts *s = vs;
    long long x = ordinal_of(s, *(const json_t *const *)a);
    long long y = ordinal_of(s, *(const json_t *const *)b);
    return x < y ? 1 : x > y ? -1 : 0;
}

static void count_pod(k1s__sts *s, const json_t *pod, counts *n)
{
    n->replicas++;
    if (k1s__sts_pod_running_ready(pod)) {
        n->ready++;
        int64_t wait = 0;
        if (k1s__sts_pod_available(pod, s->min_ready, &wait))
            n->available++;
        else if (wait > 0)
            k1s__sts_want(s, wait);
    }
    if (k1s__sts_pod_terminating(pod))
        return;
    const char *rev = k1s__sts_pod_revision(pod);
    if (!strcmp(rev, s->current_rev))
        n->current++;
    if (!strcmp(rev, s->update_rev))
        n->updated++;
}

static void compute_counts(k1s__sts *s, const slots *sl, counts *n)
{
    memset(n, 0, sizeof *n);
    for (size_t i = 0; i < sl->n; i++)
        if (sl->rep[i])
            count_pod(s, sl->rep[i], n);
    for (size_t i = 0; i < sl->ncondemned; i++)
        count_pod(s, sl->condemned[i], n);
}

/* processReplica: 1 when an ordered set must stop here, 0 to go on, -1 on
 * error. *created counts pods made. */
static int process_replica(k1s__sts *s, slots *sl, size_t i, int *created)
{
    const json_t *pod = sl->rep[i];
    if (!pod) {
        /* missing: made now, at the revision its ordinal gets; the
           placeholder is only built here, so huge sets cost nothing */
        json_t *fresh = k1s__sts_versioned_pod(s, s->start + (long long)i); /* new */
        int rc = !fresh                              ? -1
                 : k1s__sts_claim_is_stale(s, fresh) ? 1
                 : k1s__sts_create_pod(s, fresh)     ? -1
                                                     : 0;
        json_decref(fresh);
        if (rc)
            return rc; /* error, or its old claims must go first */
        (*created)++;
        return s->monotonic ? 1 : 0;
    }
    const char *phase = k1s__sts_pod_phase(pod);
    if (!strcmp(phase, "Failed") || !strcmp(phase, "Succeeded")) {
        /* a pod that ended is replaced once it is gone */
        if (!k1s__sts_pod_terminating(pod) && k1s__sts_delete_pod(s, pod))
            return -1;
        return 1;
    }
    if (!strcmp(phase, "Pending") && k1s__sts_create_missing_claims(s, pod))
        return -1;
    if (s->monotonic) {
        if (k1s__sts_pod_terminating(pod) || !k1s__sts_pod_running_ready(pod))
            return 1;
        int64_t wait = 0;
        if (!k1s__sts_pod_available(pod, s->min_ready, &wait)) {
            k1s__sts_want(s, wait);
            return 1;
        }
    }
    return k1s__sts_update_pod(s, pod) ? -1 : 0;
}

/* processCondemned. first_unavailable: the replica or condemned pod an
 * ordered scale-down may remove although it is not healthy. */
static int process_condemned(k1s__sts *s, const json_t *pod, const void *first_unavailable)
{
    if (k1s__sts_pod_terminating(pod))
        return s->monotonic ? 1 : 0;
    if (s->monotonic && (const void *)pod != first_unavailable &&
        (!k1s__sts_pod_running_ready(pod) || !k1s__sts_pod_available(pod, s->min_ready, NULL)))
        return 1;
    if (k1s__sts_delete_pod(s, pod))
        return -1;
    return s->monotonic ? 1 : 0;
}

/* Everything but the status write. *n gets the status counts. Returns 0
 * or -1 (retry with backoff). */
static int update_set(k1s__sts *s, const json_t *const *pods, size_t npods, counts *n)
{
    slots sl = {0};
    int rc = 0;
    sl.n = (size_t)s->replicas;
    sl.rep = calloc(sl.n ? sl.n : 1, sizeof *sl.rep);
    sl.condemned = calloc(npods ? npods : 1, sizeof *sl.condemned);
    if (!sl.rep || !sl.condemned) {
        rc = -1;
        goto cleanup;
    }
    for (size_t i = 0; i < npods; i++) {
        long long ord = ordinal_of(s, pods[i]);
        if (ord >= s->start && ord < s->start + s->replicas)
            sl.rep[ord - s->start] = pods[i];
        else if (ord >= 0)
            sl.condemned[sl.ncondemned++] = pods[i];
    }
    qsort_r(sl.condemned, sl.ncondemned, sizeof *sl.condemned, by_ordinal_desc, s);

    /* the first unhealthy pod, replicas in order then condemned lowest
       first; a missing replica counts, as kube's placeholder pod does */
    static const char missing = 0;
    const void *first_unavailable = NULL;
    for (size_t i = 0; i < sl.n && !first_unavailable; i++) {
        if (!sl.rep[i])
            first_unavailable = &missing;
        else if (k1s__sts_pod_unavailable(sl.rep[i], s->min_ready))
            first_unavailable = sl.rep[i];
    }
    for (size_t i = sl.ncondemned; i-- > 0 && !first_unavailable;)
        if (k1s__sts_pod_unavailable(sl.condemned[i], s->min_ready))
            first_unavailable = sl.condemned[i];

    compute_counts(s, &sl, n);
    if (k1s__sts_pod_terminating(s->set))
        goto cleanup; /* a set being deleted only reports */

    int created = 0;
    for (size_t i = 0; i < sl.n; i++) {
        int r = process_replica(s, &sl, i, &created);
        if (r < 0) {
            rc = -1;
            goto counted;
        }
        if (r > 0 && s->monotonic)
            goto counted;
        if (created >= K1S_STS_MAX_BATCH) {
            k1s__sts_want(s, 1); /* the rest in the next round */
            goto counted;
        }
    }
    for (size_t i = 0; i < sl.ncondemned; i++) {
        if (k1s__sts_fix_claims(s, sl.condemned[i])) {
            rc = -1;
            goto counted;
        }
    }
    int deleted = 0;
    for (size_t i = 0; i < sl.ncondemned; i++) {
        int r = process_condemned(s, sl.condemned[i], first_unavailable);
        if (r < 0) {
            rc = -1;
            goto counted;
        }
        if (r > 0)
            goto counted;
        if (++deleted >= K1S_STS_MAX_BATCH) {
            k1s__sts_want(s, 1);
            goto counted;
        }
    }
    compute_counts(s, &sl, n);

    const json_t *us = k1s_json_at(s->set, "spec.updateStrategy");
    const char *type = k1s_json_str(us, "type");
    if (type && !strcmp(type, "OnDelete"))
        goto cleanup;
    /* rolling update: from the highest ordinal down to the partition, one
       pod at a time, each waiting for its predecessor to be available */
    long long partition = k1s_json_int(us, "rollingUpdate.partition", 0);
    if (partition < 0)
        partition = 0;
    for (size_t t = sl.n; t-- > 0 && (long long)t >= partition;) {
        const json_t *pod = sl.rep[t];
        if (!pod)
            goto cleanup; /* made this round (at the update revision) */
        if (strcmp(k1s__sts_pod_revision(pod), s->update_rev) && !k1s__sts_pod_terminating(pod)) {
            if (k1s__sts_delete_pod(s, pod))
                rc = -1;
            if (n->current > 0)
                n->current--;
            goto cleanup;
        }
        if (k1s__sts_pod_unavailable(pod, s->min_ready))
            goto cleanup;
    }
    goto cleanup;
counted:
    compute_counts(s, &sl, n);
cleanup:
    free(sl.rep);
    free(sl.condemned);
    return rc;
}

/* ---- status ------------------------------------------------------------------------ */

static void put_count(json_t *status, const char *key, long long v, bool always)
{
    if (v || always)
        json_object_set_new(status, key, json_integer(v));
}

/* Write the status when it differs from what is stored. */
static int write_status(k1s__sts *s, counts *n)
{
    long long want = k1s_json_int(s->set, "spec.replicas", 1);
    const char *type = k1s_json_str(k1s_json_at(s->set, "spec.updateStrategy"), "type");
    const char *current = s->current_rev;
    /* completeRollingUpdate: every pod updated and ready */
    if (type && !strcmp(type, "RollingUpdate") && n->updated == want && n->ready == want &&
        n->replicas == want) {
        n->current = n->updated;
        current = s->update_rev;
    }
    const json_t *old = json_object_get(s->set, "status");
    json_t *status = json_object(); /* new */
    put_count(status, "observedGeneration", k1s_json_int(s->set, "metadata.generation", 0), false);
    put_count(status, "replicas", n->replicas, true);
    put_count(status, "readyReplicas", n->ready, false);
    put_count(status, "currentReplicas", n->current, false);
    put_count(status, "updatedReplicas", n->updated, false);
    if (current && *current)
        json_object_set_new(status, "currentRevision", json_string(current));
    if (s->update_rev && *s->update_rev)
        json_object_set_new(status, "updateRevision", json_string(s->update_rev));
    put_count(status, "collisionCount", s->collision_count, true);
    const json_t *conds = json_object_get(old, "conditions");
    if (conds)
        json_object_set(status, "conditions", (json_t *)conds);
    put_count(status, "availableReplicas", n->available, true);
    int rc = 0;
    if (!json_equal(status, old)) {
        json_t *copy = json_deep_copy(s->set); /* new */
        json_object_set(copy, "status", status);
        int code = k1s_ctrl_update(s->c, "apps", "StatefulSet", s->ns, "status", copy, NULL);
        if (code == 409)
            k1s__sts_want(s, 50); /* our copy was stale: once more */
        else if (code && code != 404)
            rc = -1;
        json_decref(copy);
    }
    json_decref(status);
    return rc;
}

/* ---- reconcile ------------------------------------------------------------------------ */

static int sync_set(k1s__sts *s)
{
    podlist l = {.s = s,
                 .items = K1S_VEC(const json_t *),
                 .orphans = K1S_VEC(const json_t *),
                 .released = K1S_VEC(const json_t *)};
    int rc = claim_pods(s, &l);
    if (rc == 0)
        rc = k1s__sts_revisions(s);
    if (rc == 0) {
        if (!k1s__sts_pod_terminating(s->set))
            k1s__sts_collect_claims(s);
        counts n;
        rc = update_set(s, pods_of(&l.items), l.items.n, &n);
        if (write_status(s, &n))
            rc = -1;
        k1s__sts_truncate_history(s, pods_of(&l.items), l.items.n);
    }
    k1s_vec_free(&l.items);
    k1s_vec_free(&l.orphans);
    k1s_vec_free(&l.released);
    return rc;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s__sts_state *st = state;
    if (!st || !st->sets || !st->pods || !st->claims || !st->revisions)
        return -1;
    const json_t *set = k1s_informer_get(st->sets, ns, name);
    if (!set)
        return 0; /* gone: the garbage collector takes its pods */
    k1s__sts s = {.c = c, .st = st, .ns = ns, .name = name, .set = set};
    s.uid = k1s_meta(set, "uid");
    if (!s.uid)
        return 0;
    char *err = NULL;
    if (k1s_label_selector_from_json(k1s_json_at(set, "spec.selector"), &s.sel, &err)) {
        free(err);
        return 0; /* an invalid selector does not heal by retrying */
    }
    long long replicas = k1s_json_int(set, "spec.replicas", 1);
    s.replicas = replicas < 0                      ? 0
                 : replicas > K1S_STS_MAX_REPLICAS ? K1S_STS_MAX_REPLICAS
                                                   : replicas;
    s.start = k1s_json_int(set, "spec.ordinals.start", 0);
    if (s.start < 0 || s.start > 2147483647LL - s.replicas)
        s.start = 0;
    s.min_ready = k1s_json_int(set, "spec.minReadySeconds", 0);
    if (s.min_ready < 0 || s.min_ready > 2147483647LL)
        s.min_ready = 0; /* an int32 in kube; no overflow in time sums */
    const json_t *spec = json_object_get(set, "spec");
    const char *pmp = k1s_json_str(spec, "podManagementPolicy");
    s.monotonic = !pmp || strcmp(pmp, "Parallel") != 0;
    const json_t *rp = json_object_get(spec, "persistentVolumeClaimRetentionPolicy");
    const char *ws = k1s_json_str(rp, "whenScaled"), *wd = k1s_json_str(rp, "whenDeleted");
    s.scaled_delete = ws && !strcmp(ws, "Delete");
    s.deleted_delete = wd && !strcmp(wd, "Delete");

    int rc = sync_set(&s);
    free(s.revs);
    json_decref(s.current_obj);
    json_decref(s.update_obj);
    json_decref(s.current_set);
    json_decref(s.update_set);
    k1s_selector_free(s.sel);
    if (rc < 0)
        return -1;
    return s.requeue_ms > 0 ? (int)(s.requeue_ms > 3600000 ? 3600000 : s.requeue_ms) : 0;
}

const k1s_controller_def k1s__ctrl_statefulset = {
    .name = "statefulset-controller",
    .group = "apps",
    .kind = "StatefulSet",
    .reconcile = reconcile,
    .watches =
        {
            {"", "Pod", map_owned},
            {"", "PersistentVolumeClaim", map_claim},
            {"apps", "ControllerRevision", map_owned},
        },
    .init = sts_init,
    .fini = sts_fini,
};
