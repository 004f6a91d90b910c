/*
 * deployment_sync.c - the parts of kube's deployment sync shared by both
 * strategies (pkg/controller/deployment/sync.go and progress.go): finding
 * or creating the new ReplicaSet and keeping revisions, scaling a
 * ReplicaSet with its ScalingReplicaSet event, proportional scaling,
 * history cleanup, and the status with its Available and Progressing
 * conditions. See deployment_internal.h.
 */
#include "deployment_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *status_of(k1s__dsync *x)
{
    json_t *st = json_object_get(x->d, "status"); /* borrowed */
    if (!json_is_object(st)) {
        st = json_object();
        json_object_set_new(x->d, "status", st);
    }
    return st;
}

/* Replace a working ReplicaSet copy by what the server answered. */
static void replace(json_t *rs, json_t *fresh)
{
    if (!fresh)
        return;
    json_object_clear(rs);
    json_object_update(rs, fresh);
}

static int update_rs(k1s__dsync *x, json_t *rs)
{
    json_t *out = NULL; /* new once set */
    int rc = k1s_ctrl_update(x->c, "apps", "ReplicaSet", k1s__wl_ns(rs), NULL, rs, &out);
    if (rc) {
        if (!x->err)
            x->err = rc;
        return rc;
    }
    k1s__wl_expect_write(x->s->exp, k1s__wl_ns(x->d), k1s__wl_name(x->d), out);
    replace(rs, out);
    json_decref(out);
    return 0;
}

/* ---- the new ReplicaSet --------------------------------------------------------- */

static json_t *find_new(k1s__dsync *x)
{
    k1s__rsvec all = {.n = 0};
    for (size_t i = 0; i < json_array_size(x->rss); i++)
        k1s__rsvec_add(&all, json_array_get(x->rss, i));
    k1s__rsvec_sort_created(&all, false);
    const json_t *tmpl = json_object_get(json_object_get(x->d, "spec"), "template");
    for (size_t i = 0; i < all.n; i++)
        if (k1s__wl_template_equal(json_object_get(json_object_get(all.v[i], "spec"), "template"),
                                   tmpl, K1S_DEP_HASH_LABEL))
            return all.v[i]; /* the oldest match, as kube picks */
    return NULL;
}

static void split(k1s__dsync *x)
{
    x->new_rs = find_new(x);
    x->old.n = 0;
    for (size_t i = 0; i < json_array_size(x->rss); i++) {
        json_t *rs = json_array_get(x->rss, i); /* borrowed */
        if (rs != x->new_rs)
            k1s__rsvec_add(&x->old, rs);
    }
}

static long long max_revision(const k1s__rsvec *v)
{
    long long max = 0;
    for (size_t i = 0; i < v->n; i++) {
        long long r = k1s__dep_rs_revision(v->v[i]);
        if (r > max)
            max = r;
    }
    return max;
}

/* A new ReplicaSet for the Deployment's template (kube's getNewReplicaSet
 * with createIfNotExisted). */
static void create_new(k1s__dsync *x, long long revision)
{
    const json_t *spec = json_object_get(x->d, "spec");
    json_t *status = status_of(x); /* borrowed */
    char hash[16];
    k1s__wl_template_hash(json_object_get(spec, "template"),
                          json_object_get(status, "collisionCount"), hash);
    json_t *tmpl = json_deep_copy(json_object_get(spec, "template")); /* new */
    json_t *tmeta = json_object_get(tmpl, "metadata");                /* borrowed */
    if (!json_is_object(tmeta)) {
        tmeta = json_object();
        json_object_set_new(tmpl, "metadata", tmeta);
    }
    json_t *labels = json_object_get(tmeta, "labels"); /* borrowed */
    if (!json_is_object(labels)) {
        labels = json_object();
        json_object_set_new(tmeta, "labels", labels);
    }
    json_object_set_new(labels, K1S_DEP_HASH_LABEL, json_string(hash));
    json_t *sel = json_deep_copy(json_object_get(spec, "selector")); /* new */
    if (!json_is_object(sel)) {
        json_decref(sel);
        sel = json_object();
    }
    json_t *ml = json_object_get(sel, "matchLabels"); /* borrowed */
    if (!json_is_object(ml)) {
        ml = json_object();
        json_object_set_new(sel, "matchLabels", ml);
    }
    json_object_set_new(ml, K1S_DEP_HASH_LABEL, json_string(hash));
    char name[320];
    snprintf(name, sizeof name, "%.250s-%s", k1s__wl_name(x->d), hash);
    /* new */
    json_t *rs =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:[o]}, s:{s:i, s:I, s:o, s:o}}", "apiVersion",
                  "apps/v1", "kind", "ReplicaSet", "metadata", "name", name, "namespace",
                  k1s__wl_ns(x->d), "labels", json_deep_copy(labels), "ownerReferences",
                  k1s__wl_owner_ref(x->d, "apps/v1", "Deployment"), "spec", "replicas", 0,
                  "minReadySeconds", (json_int_t)k1s_json_int(spec, "minReadySeconds", 0),
                  "selector", sel, "template", tmpl); /* new */
    if (!rs) {
        x->err = 500;
        return;
    }
    k1s__rsvec all = x->old;
    k1s__rsvec_add(&all, rs);
    long long replicas = k1s__dep_new_rs_replicas(x->d, &all, rs);
    json_object_set_new(json_object_get(rs, "spec"), "replicas", json_integer(replicas));
    k1s__dep_set_new_rs_annotations(x->d, rs, revision, false);

    k1s_target t = {k1s_registry_find_kind("apps", "ReplicaSet"), k1s__wl_ns(x->d), name, NULL};
    k1s_status st = {0};
    json_t *made = NULL; /* new once set */
    bool existed = false;
    if (k1s_api_create(k1s_ctrl_api(x->c), &t, rs, NULL, &made, &st)) {
        int code = st.code ? st.code : 500;
        if (code == 409) {
            /* a slow cache, or a hash collision */
            k1s_informer *rsi = k1s_ctrl_informer(x->c, "apps", "ReplicaSet");
            const json_t *cur = rsi ? k1s_informer_get(rsi, k1s__wl_ns(x->d), name) : NULL;
            if (cur && k1s__wl_controlled_by(cur, k1s__wl_uid(x->d)) &&
                k1s__wl_template_equal(json_object_get(json_object_get(cur, "spec"), "template"),
                                       json_object_get(spec, "template"), K1S_DEP_HASH_LABEL)) {
                made = json_deep_copy(cur);
                existed = true;
            } else if (cur) {
                long long cc = k1s_json_int(status, "collisionCount", 0);
                json_object_set_new(status, "collisionCount", json_integer(cc + 1));
                x->err = 409;
                x->report = true; /* the next sync hashes anew */
            } else {
                x->err = 409;
            }
        } else {
            char msg[1024];
            snprintf(msg, sizeof msg, "Failed to create new replica set \"%s\": %s", name,
                     st.message ? st.message : "unknown error");
            if (k1s__dep_has_deadline(x->d) &&
                !(st.message && strstr(st.message, "being terminated")))
                k1s__dep_cond_set(status, k1s__dep_cond_new("Progressing", "False",
                                                            "ReplicaSetCreateError", msg));
            k1s_ctrl_event(x->c, K1S_DEP_COMPONENT, x->orig, "Warning", "ReplicaSetCreateError",
                           "%s", msg);
            x->err = code;
            x->report = true;
        }
        k1s_status_clear(&st);
    }
    json_decref(rs);
    if (!made)
        return;
    if (!existed) {
        k1s__wl_expect_write(x->s->exp, k1s__wl_ns(x->d), k1s__wl_name(x->d), made);
        if (replicas > 0)
            k1s_ctrl_event(x->c, K1S_DEP_COMPONENT, x->orig, "Normal", "ScalingReplicaSet",
                           "Scaled up replica set %s from 0 to %lld", name, replicas);
    }
    char rev[24];
    snprintf(rev, sizeof rev, "%lld", revision);
    k1s__dep_set_revision(x->d, rev);
    if (!existed && k1s__dep_has_deadline(x->d)) {
        char msg[400];
        snprintf(msg, sizeof msg, "Created new replica set \"%s\"", name);
        k1s__dep_cond_set(status,
                          k1s__dep_cond_new("Progressing", "True", "NewReplicaSetCreated", msg));
    }
    json_array_append_new(x->rss, made);
    x->new_rs = made;
}

void k1s__dsync_all_rs(k1s__dsync *x, bool create)
{
    split(x);
    long long revision = max_revision(&x->old) + 1;
    if (x->new_rs) {
        /* borrowed */
        json_t *rs = x->new_rs;
        json_t *copy = json_deep_copy(rs); /* new */
        bool changed = k1s__dep_set_new_rs_annotations(x->d, copy, revision, true);
        const json_t *dspec = json_object_get(x->d, "spec");
        long long mrs = k1s_json_int(dspec, "minReadySeconds", 0);
        if (changed || k1s_json_int(copy, "spec.minReadySeconds", 0) != mrs) {
            json_object_set_new(json_object_get(copy, "spec"), "minReadySeconds",
                                json_integer(mrs));
            if (update_rs(x, copy) == 0)
                replace(rs, copy);
            json_decref(copy);
            return;
        }
        json_decref(copy);
        k1s__dep_set_revision(x->d, k1s_meta_annotation(rs, K1S_DEP_REVISION));
        json_t *status = status_of(x); /* borrowed */
        if (k1s__dep_has_deadline(x->d) && !k1s__dep_cond_get(status, "Progressing")) {
            char msg[400];
            snprintf(msg, sizeof msg, "Found new replica set \"%s\"", k1s__wl_name(rs));
            k1s__dep_cond_set(status,
                              k1s__dep_cond_new("Progressing", "True", "FoundNewReplicaSet", msg));
        }
        return;
    }
    if (create)
        create_new(x, revision);
}

/* ---- scaling --------------------------------------------------------------------- */

/* kube's scaleReplicaSet: the size and the replica annotations in one
 * update; a ScalingReplicaSet event when the size changed. */
static bool scale_rs(k1s__dsync *x, json_t *rs, long long scale)
{
    if (x->err)
        return false;
    long long want = k1s__dep_replicas(x->d);
    long long max = want + k1s__dep_max_surge(x->d);
    long long old = k1s__dep_rs_replicas(rs);
    bool size = old != scale;
    if (!size && !k1s__dep_replicas_annotations_stale(rs, want, max))
        return false;
    json_t *copy = json_deep_copy(rs); /* new */
    json_object_set_new(json_object_get(copy, "spec"), "replicas", json_integer(scale));
    k1s__dep_set_replicas_annotations(copy, want, max);
    int rc = update_rs(x, copy);
    if (rc == 0)
        replace(rs, copy);
    json_decref(copy);
    if (rc || !size)
        return false;
    k1s_ctrl_event(x->c, K1S_DEP_COMPONENT, x->orig, "Normal", "ScalingReplicaSet",
                   "Scaled %s replica set %s from %lld to %lld", old < scale ? "up" : "down",
                   k1s__wl_name(rs), old, scale);
    return true;
}

bool k1s__dsync_scale_rs(k1s__dsync *x, json_t *rs, long long scale)
{
    if (!rs || k1s__dep_rs_replicas(rs) == scale)
        return false;
    return scale_rs(x, rs, scale);
}

/* The only active ReplicaSet, or the newest when none is active; NULL when
 * several are active. */
static json_t *active_or_latest(k1s__dsync *x)
{
    if (!x->new_rs && x->old.n == 0)
        return NULL;
    k1s__rsvec olds = x->old, all, active;
    k1s__rsvec_sort_created(&olds, true);
    all = olds;
    k1s__rsvec_add(&all, x->new_rs);
    k1s__rsvec_active(&all, &active);
    if (active.n == 0)
        return x->new_rs ? x->new_rs : olds.v[0];
    return active.n == 1 ? active.v[0] : NULL;
}

static bool saturated(const json_t *d, const json_t *rs)
{
    if (!rs)
        return false;
    const char *desired = k1s_meta_annotation(rs, K1S_DEP_DESIRED);
    if (!desired)
        return false;
    char *end = NULL;
    long long n = strtoll(desired, &end, 10);
    if (end == desired || *end)
        return false;
    long long want = k1s__dep_replicas(d);
    return k1s__dep_rs_replicas(rs) == want && n == want &&
           k1s__dep_rs_status(rs, "availableReplicas") == want;
}

/* kube's getReplicaSetFraction: this ReplicaSet's share of a resize. */
static long long fraction(const json_t *rs, const json_t *d)
{
    long long want = k1s__dep_replicas(d);
    long long size = k1s__dep_rs_replicas(rs);
    if (want == 0)
        return -size;
    long long max = want + k1s__dep_max_surge(d);
    long long before = 0;
    const char *ann = k1s_meta_annotation(rs, K1S_DEP_MAX);
    if (ann) {
        char *end = NULL;
        before = strtoll(ann, &end, 10);
        if (end == ann || *end)
            before = 0;
    }
    if (before == 0) {
        before = k1s_json_int(d, "status.replicas", 0);
        if (before == 0)
            return 0;
    }
    /* math.Round of size*max/before: half away from zero */
    long long num = size * max;
    long long q = (2 * num + before) / (2 * before);
    return q - size;
}

static long long proportion(const json_t *rs, const json_t *d, long long to_add, long long added)
{
    if (!rs || k1s__dep_rs_replicas(rs) == 0 || to_add == 0 || to_add == added)
        return 0;
    long long f = fraction(rs, d);
    long long allowed = to_add - added;
    if (to_add > 0)
        return f < allowed ? f : allowed;
    return f > allowed ? f : allowed;
}

void k1s__dsync_scale(k1s__dsync *x)
{
    const json_t *d = x->d;
    long long want = k1s__dep_replicas(d);
    json_t *one = active_or_latest(x); /* borrowed */
    if (one) {
        if (k1s__dep_rs_replicas(one) != want)
            k1s__dsync_scale_rs(x, one, want);
        return;
    }
    if (saturated(d, x->new_rs)) {
        k1s__rsvec active;
        k1s__rsvec_active(&x->old, &active);
        for (size_t i = 0; i < active.n && !x->err; i++)
            k1s__dsync_scale_rs(x, active.v[i], 0);
        return;
    }
    if (!k1s__dep_rolling(d))
        return;
    k1s__rsvec all = x->old, active;
    k1s__rsvec_add(&all, x->new_rs);
    k1s__rsvec_active(&all, &active);
    long long total = k1s__rsvec_replicas(&active);
    long long allowed = want > 0 ? want + k1s__dep_max_surge(d) : 0;
    long long to_add = allowed - total;
    if (to_add > 0)
        k1s__rsvec_sort_size(&active, true);
    else if (to_add < 0)
        k1s__rsvec_sort_size(&active, false);
    long long added = 0;
    long long sizes[K1S_DEP_MAX_RS];
    for (size_t i = 0; i < active.n; i++) {
        long long size = k1s__dep_rs_replicas(active.v[i]);
        if (to_add != 0) {
            long long p = proportion(active.v[i], d, to_add, added);
            sizes[i] = size + p;
            added += p;
        } else {
            sizes[i] = size;
        }
    }
    for (size_t i = 0; i < active.n && !x->err; i++) {
        if (i == 0 && to_add != 0) {
            sizes[0] += to_add - added; /* leftovers to the largest */
            if (sizes[0] < 0)
                sizes[0] = 0;
        }
        scale_rs(x, active.v[i], sizes[i]);
    }
}

/* ---- history -------------------------------------------------------------------- */

void k1s__dsync_cleanup(k1s__dsync *x)
{
    json_t *limit = json_object_get(json_object_get(x->d, "spec"), "revisionHistoryLimit");
    if (!json_is_integer(limit) || json_integer_value(limit) == 2147483647 || x->err)
        return;
    k1s__rsvec alive = {.n = 0};
    for (size_t i = 0; i < x->old.n; i++)
        if (!k1s__wl_deleting(x->old.v[i]))
            k1s__rsvec_add(&alive, x->old.v[i]);
    long long diff = (long long)alive.n - json_integer_value(limit);
    if (diff <= 0)
        return;
    k1s__rsvec_sort_revision(&alive);
    for (long long i = 0; i < diff && i < (long long)alive.n; i++) {
        /* borrowed */
        json_t *rs = alive.v[i];
        if (k1s__dep_rs_status(rs, "replicas") != 0 || k1s__dep_rs_replicas(rs) != 0 ||
            k1s__wl_generation(rs) > k1s__dep_rs_status(rs, "observedGeneration") ||
            k1s__wl_deleting(rs))
            continue;
        int rc = k1s_ctrl_delete(x->c, "apps", "ReplicaSet", k1s__wl_ns(rs), k1s__wl_name(rs), -1,
                                 k1s__wl_uid(rs));
        if (rc && rc != 404) {
            if (!x->err)
                x->err = rc;
            return;
        }
        k1s__wl_expect_delete(x->s->exp, k1s__wl_ns(x->d), k1s__wl_name(x->d), k1s__wl_name(rs),
                              k1s__wl_uid(rs));
    }
}

/* ---- status ------------------------------------------------------------------------ */

static void put_count(json_t *st, const char *key, long long v)
{
    if (v)
        json_object_set_new(st, key, json_integer(v));
}

/* kube's calculateStatus (new reference). */
static json_t *calculate(k1s__dsync *x)
{
    k1s__rsvec all = x->old;
    k1s__rsvec_add(&all, x->new_rs);
    k1s__rsvec only_new = {.n = 0};
    k1s__rsvec_add(&only_new, x->new_rs);
    long long available = k1s__rsvec_status(&all, "availableReplicas");
    long long unavailable = k1s__rsvec_replicas(&all) - available;
    if (unavailable < 0)
        unavailable = 0;
    const json_t *cur = json_object_get(x->d, "status");
    json_t *st = json_object(); /* new */
    put_count(st, "observedGeneration", k1s__wl_generation(x->d));
    put_count(st, "replicas", k1s__rsvec_status(&all, "replicas"));
    put_count(st, "updatedReplicas", k1s__rsvec_status(&only_new, "replicas"));
    put_count(st, "readyReplicas", k1s__rsvec_status(&all, "readyReplicas"));
    put_count(st, "availableReplicas", available);
    put_count(st, "unavailableReplicas", unavailable);
    json_t *conds = json_object_get(cur, "conditions"); /* borrowed */
    if (json_array_size(conds))
        json_object_set_new(st, "conditions", json_deep_copy(conds));
    json_t *cc = json_object_get(cur, "collisionCount"); /* borrowed */
    if (cc)
        json_object_set(st, "collisionCount", cc);
    if (available >= k1s__dep_replicas(x->d) - k1s__dep_max_unavailable(x->d))
        k1s__dep_cond_set(st, k1s__dep_cond_new("Available", "True", "MinimumReplicasAvailable",
                                                "Deployment has minimum availability."));
    else
        k1s__dep_cond_set(st, k1s__dep_cond_new("Available", "False", "MinimumReplicasUnavailable",
                                                "Deployment does not have minimum availability."));
    /* keep collisionCount last, where Go puts it */
    if (cc) {
        json_incref(cc);
        json_object_del(st, "collisionCount");
        json_object_set_new(st, "collisionCount", cc);
    }
    return st;
}

void k1s__dsync_status(k1s__dsync *x)
{
    json_object_set_new(x->d, "status", calculate(x));
}

static bool progressing(const json_t *d, const json_t *st)
{
    const json_t *old = json_object_get(d, "status");
    long long oldold = k1s_json_int(old, "replicas", 0) - k1s_json_int(old, "updatedReplicas", 0);
    long long newold = k1s_json_int(st, "replicas", 0) - k1s_json_int(st, "updatedReplicas", 0);
    return k1s_json_int(st, "updatedReplicas", 0) > k1s_json_int(old, "updatedReplicas", 0) ||
           newold < oldold ||
           k1s_json_int(st, "readyReplicas", 0) > k1s_json_int(old, "readyReplicas", 0) ||
           k1s_json_int(st, "availableReplicas", 0) > k1s_json_int(old, "availableReplicas", 0);
}

static long long deadline(const json_t *d)
{
    return k1s_json_int(d, "spec.progressDeadlineSeconds", 600);
}

static bool timed_out(const json_t *d, const json_t *st)
{
    if (!k1s__dep_has_deadline(d))
        return false;
    const json_t *cnd = k1s__dep_cond_get(st, "Progressing");
    if (!cnd)
        return false;
    const char *reason = json_string_value(json_object_get(cnd, "reason"));
    if (reason && !strcmp(reason, "NewReplicaSetAvailable"))
        return false;
    if (reason && !strcmp(reason, "ProgressDeadlineExceeded"))
        return true;
    int64_t from = k1s__wl_parse_time(json_string_value(json_object_get(cnd, "lastUpdateTime")));
    return from >= 0 && from + deadline(d) < k1s_time_now();
}

static void rs_message(char *buf, size_t len, const k1s__dsync *x, const char *what)
{
    if (x->new_rs)
        snprintf(buf, len, "ReplicaSet \"%s\" %s", k1s__wl_name(x->new_rs), what);
    else
        snprintf(buf, len, "Deployment \"%s\" %s", k1s__wl_name(x->d), what);
}

/* kube's requeueStuckDeployment: come back when the deadline passes. */
static void requeue_stuck(k1s__dsync *x, const json_t *st)
{
    const json_t *cur = k1s__dep_cond_get(json_object_get(x->d, "status"), "Progressing");
    if (!k1s__dep_has_deadline(x->d) || !cur || k1s__dep_complete(x->d, st))
        return;
    const char *reason = json_string_value(json_object_get(cur, "reason"));
    if (reason && !strcmp(reason, "ProgressDeadlineExceeded"))
        return;
    int64_t from = k1s__wl_parse_time(json_string_value(json_object_get(cur, "lastUpdateTime")));
    if (from < 0)
        return;
    int64_t after = from + deadline(x->d) - k1s_time_now();
    int64_t ms = after < 1 ? 1000 : (after + 1) * 1000;
    if (x->requeue_ms <= 0 || ms < x->requeue_ms)
        x->requeue_ms = ms;
}

void k1s__dsync_rollout_status(k1s__dsync *x)
{
    json_t *st = calculate(x); /* new */
    if (!k1s__dep_has_deadline(x->d))
        k1s__dep_cond_remove(st, "Progressing");
    const json_t *cur = k1s__dep_cond_get(json_object_get(x->d, "status"), "Progressing");
    const char *cur_reason = json_string_value(json_object_get(cur, "reason"));
    bool complete_before =
        k1s_json_int(st, "replicas", 0) == k1s_json_int(st, "updatedReplicas", 0) && cur_reason &&
        !strcmp(cur_reason, "NewReplicaSetAvailable");
    char msg[400];
    if (k1s__dep_has_deadline(x->d) && !complete_before) {
        if (k1s__dep_complete(x->d, st)) {
            rs_message(msg, sizeof msg, x, "has successfully progressed.");
            k1s__dep_cond_set(
                st, k1s__dep_cond_new("Progressing", "True", "NewReplicaSetAvailable", msg));
        } else if (progressing(x->d, st)) {
            rs_message(msg, sizeof msg, x, "is progressing.");
            json_t *cnd = k1s__dep_cond_new("Progressing", "True", "ReplicaSetUpdated", msg);
            if (cur) {
                const char *cs = json_string_value(json_object_get(cur, "status"));
                json_t *lt = json_object_get(cur, "lastTransitionTime"); /* borrowed */
                if (cs && !strcmp(cs, "True") && lt)
                    json_object_set(cnd, "lastTransitionTime", lt);
                k1s__dep_cond_remove(st, "Progressing");
            }
            k1s__dep_cond_set(st, cnd);
        } else if (timed_out(x->d, st)) {
            rs_message(msg, sizeof msg, x, "has timed out progressing.");
            k1s__dep_cond_set(
                st, k1s__dep_cond_new("Progressing", "False", "ProgressDeadlineExceeded", msg));
        }
    }
    /* a ReplicaSet's failure to make pods shows on the Deployment, the new
       ReplicaSet's first */
    const json_t *failure =
        x->new_rs ? k1s__dep_cond_get(json_object_get(x->new_rs, "status"), "ReplicaFailure")
                  : NULL;
    for (size_t i = 0; !failure && i < x->old.n; i++)
        failure = k1s__dep_cond_get(json_object_get(x->old.v[i], "status"), "ReplicaFailure");
    if (failure) {
        const json_t *lt = json_object_get(failure, "lastTransitionTime");
        /* new */
        json_t *cnd =
            json_pack("{s:s, s:O, s:O, s:O, s:O, s:O}", "type", "ReplicaFailure", "status",
                      json_object_get(failure, "status"), "lastUpdateTime", lt,
                      "lastTransitionTime", lt, "reason", json_object_get(failure, "reason"),
                      "message", json_object_get(failure, "message"));
        k1s__dep_cond_set(st, cnd);
    } else {
        k1s__dep_cond_remove(st, "ReplicaFailure");
    }
    requeue_stuck(x, st);
    json_object_set_new(x->d, "status", st);
}

/* ---- scaling events and pauses -------------------------------------------------------- */

bool k1s__dsync_scaling_event(k1s__dsync *x)
{
    k1s__dsync_all_rs(x, false);
    if (x->err)
        return false;
    k1s__rsvec all = x->old, active;
    k1s__rsvec_add(&all, x->new_rs);
    k1s__rsvec_active(&all, &active);
    long long want = k1s__dep_replicas(x->d);
    for (size_t i = 0; i < active.n; i++) {
        const char *desired = k1s_meta_annotation(active.v[i], K1S_DEP_DESIRED);
        if (!desired)
            continue;
        char *end = NULL;
        long long n = strtoll(desired, &end, 10);
        if (end != desired && !*end && n != want)
            return true;
    }
    return false;
}

void k1s__dsync_paused_conditions(k1s__dsync *x)
{
    if (!k1s__dep_has_deadline(x->d))
        return;
    json_t *st = status_of(x); /* borrowed */
    const json_t *cnd = k1s__dep_cond_get(st, "Progressing");
    const char *reason = json_string_value(json_object_get(cnd, "reason"));
    if (reason && !strcmp(reason, "ProgressDeadlineExceeded"))
        return;
    bool paused_cond = reason && !strcmp(reason, "DeploymentPaused");
    bool paused = json_is_true(json_object_get(json_object_get(x->d, "spec"), "paused"));
    if (paused && !paused_cond)
        k1s__dep_cond_set(st, k1s__dep_cond_new("Progressing", "Unknown", "DeploymentPaused",
                                                "Deployment is paused"));
    else if (!paused && paused_cond)
        k1s__dep_cond_set(st, k1s__dep_cond_new("Progressing", "Unknown", "DeploymentResumed",
                                                "Deployment is resumed"));
}
