/*
 * deployment_util.c - kube's deployment utilities over JSON: replica and
 * surge arithmetic (percentages rounded as kube rounds them), revisions,
 * the replica annotations of ReplicaSets, Deployment conditions and the
 * orders ReplicaSets are sorted in. See deployment_internal.h.
 */
#include "deployment_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbers ------------------------------------------------------------------- */

long long k1s__dep_replicas(const json_t *d)
{
    return k1s_json_int(d, "spec.replicas", 1);
}

long long k1s__dep_rs_replicas(const json_t *rs)
{
    return k1s_json_int(rs, "spec.replicas", 1);
}

long long k1s__dep_rs_status(const json_t *rs, const char *key)
{
    return k1s_json_int(json_object_get(rs, "status"), key, 0);
}

static const json_t *strategy(const json_t *d)
{
    return json_object_get(json_object_get(d, "spec"), "strategy");
}

bool k1s__dep_rolling(const json_t *d)
{
    const char *t = json_string_value(json_object_get(strategy(d), "type"));
    return t && !strcmp(t, "RollingUpdate");
}

/* kube's ResolveFenceposts: surge rounds up, unavailability down; both
 * zero makes unavailability one. */
static void fenceposts(const json_t *d, long long *surge, long long *unavail)
{
    const json_t *ru = json_object_get(strategy(d), "rollingUpdate");
    long long desired = k1s__dep_replicas(d);
    if (k1s__wl_scaled(json_object_get(ru, "maxSurge"), desired, true, surge))
        *surge = 0;
    if (k1s__wl_scaled(json_object_get(ru, "maxUnavailable"), desired, false, unavail))
        *unavail = 0;
    if (*surge == 0 && *unavail == 0)
        *unavail = 1;
}

long long k1s__dep_max_surge(const json_t *d)
{
    if (!k1s__dep_rolling(d))
        return 0;
    long long s, u;
    fenceposts(d, &s, &u);
    return s;
}

long long k1s__dep_max_unavailable(const json_t *d)
{
    long long replicas = k1s__dep_replicas(d);
    if (!k1s__dep_rolling(d) || replicas == 0)
        return 0;
    long long s, u;
    fenceposts(d, &s, &u);
    return u > replicas ? replicas : u;
}

bool k1s__dep_has_deadline(const json_t *d)
{
    json_t *v = json_object_get(json_object_get(d, "spec"), "progressDeadlineSeconds");
    return json_is_integer(v) && json_integer_value(v) != 2147483647;
}

long long k1s__dep_rs_revision(const json_t *rs)
{
    const char *v = k1s_meta_annotation(rs, K1S_DEP_REVISION);
    if (!v)
        return 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    return end == v || *end ? -1 : n;
}

bool k1s__dep_complete(const json_t *d, const json_t *status)
{
    long long want = k1s__dep_replicas(d);
    return k1s_json_int(status, "updatedReplicas", 0) == want &&
           k1s_json_int(status, "replicas", 0) == want &&
           k1s_json_int(status, "availableReplicas", 0) == want &&
           k1s_json_int(status, "observedGeneration", 0) >= k1s__wl_generation(d);
}

long long k1s__dep_new_rs_replicas(const json_t *d, const k1s__rsvec *all, const json_t *new_rs)
{
    long long want = k1s__dep_replicas(d);
    if (!k1s__dep_rolling(d))
        return want; /* Recreate */
    long long surge = 0;
    const json_t *ru = json_object_get(strategy(d), "rollingUpdate");
    if (k1s__wl_scaled(json_object_get(ru, "maxSurge"), want, true, &surge))
        surge = 0;
    long long current = k1s__rsvec_replicas(all);
    long long max_total = want + surge;
    long long have = k1s__dep_rs_replicas(new_rs);
    if (current >= max_total)
        return have;
    long long up = max_total - current;
    if (up > want - have)
        up = want - have;
    return have + up;
}

/* ---- lists of ReplicaSets ------------------------------------------------------ */

void k1s__rsvec_add(k1s__rsvec *v, json_t *rs)
{
    if (rs && v->n < K1S_DEP_MAX_RS)
        v->v[v->n++] = rs;
}

static int by_created(const void *a, const void *b)
{
    return k1s__wl_cmp_created(*(json_t *const *)a, *(json_t *const *)b);
}

static int by_created_desc(const void *a, const void *b)
{
    return -by_created(a, b);
}

void k1s__rsvec_sort_created(k1s__rsvec *v, bool newest_first)
{
    qsort(v->v, v->n, sizeof v->v[0], newest_first ? by_created_desc : by_created);
}

static int by_revision(const void *pa, const void *pb)
{
    long long ra = k1s__dep_rs_revision(*(json_t *const *)pa);
    long long rb = k1s__dep_rs_revision(*(json_t *const *)pb);
    if (ra < 0 || rb < 0 || ra == rb)
        return by_created(pa, pb);
    return ra < rb ? -1 : 1;
}

void k1s__rsvec_sort_revision(k1s__rsvec *v)
{
    qsort(v->v, v->n, sizeof v->v[0], by_revision);
}

/* larger first; equal sizes: older first (scaling down) */
static int by_size_older(const void *pa, const void *pb)
{
    long long a = k1s__dep_rs_replicas(*(json_t *const *)pa);
    long long b = k1s__dep_rs_replicas(*(json_t *const *)pb);
    if (a == b)
        return by_created(pa, pb);
    return a > b ? -1 : 1;
}

/* larger first; equal sizes: newer first (scaling up) */
static int by_size_newer(const void *pa, const void *pb)
{
    long long a = k1s__dep_rs_replicas(*(json_t *const *)pa);
    long long b = k1s__dep_rs_replicas(*(json_t *const *)pb);
    if (a == b)
        return -by_created(pa, pb);
    return a > b ? -1 : 1;
}

void k1s__rsvec_sort_size(k1s__rsvec *v, bool newer_first)
{
    qsort(v->v, v->n, sizeof v->v[0], newer_first ? by_size_newer : by_size_older);
}

void k1s__rsvec_active(const k1s__rsvec *v, k1s__rsvec *out)
{
    out->n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (k1s__dep_rs_replicas(v->v[i]) > 0)
            k1s__rsvec_add(out, v->v[i]);
}

long long k1s__rsvec_replicas(const k1s__rsvec *v)
{
    long long n = 0;
    for (size_t i = 0; i < v->n; i++)
        n += k1s__dep_rs_replicas(v->v[i]);
    return n;
}

long long k1s__rsvec_status(const k1s__rsvec *v, const char *key)
{
    long long n = 0;
    for (size_t i = 0; i < v->n; i++)
        n += k1s__dep_rs_status(v->v[i], key);
    return n;
}

/* ---- conditions ------------------------------------------------------------------ */

json_t *k1s__dep_cond_get(const json_t *status, const char *type)
{
    size_t i;
    json_t *cnd; /* new once set */
    json_array_foreach(json_object_get(status, "conditions"), i, cnd)
    {
        const char *t = json_string_value(json_object_get(cnd, "type"));
        if (t && !strcmp(t, type))
            return cnd;
    }
    return NULL;
}

void k1s__dep_cond_remove(json_t *status, const char *type)
{
    json_t *conds = json_object_get(status, "conditions"); /* borrowed */
    for (size_t i = 0; i < json_array_size(conds);) {
        const char *t = json_string_value(json_object_get(json_array_get(conds, i), "type"));
        if (t && !strcmp(t, type))
            json_array_remove(conds, i);
        else
            i++;
    }
    if (conds && json_array_size(conds) == 0)
        json_object_del(status, "conditions");
}

json_t *k1s__dep_cond_new(const char *type, const char *cstatus, const char *reason,
                          const char *message)
{
    char ts[32];
    k1s_time_format(k1s_time_now(), ts, sizeof ts);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", cstatus,
                     "lastUpdateTime", ts, "lastTransitionTime", ts, "reason", reason, "message",
                     message);
}

static bool same_str(const json_t *a, const json_t *b, const char *key)
{
    const char *x = json_string_value(json_object_get(a, key));
    const char *y = json_string_value(json_object_get(b, key));
    return !strcmp(x ? x : "", y ? y : "");
}

void k1s__dep_cond_set(json_t *status, json_t *cond)
{
    if (!cond)
        return;
    const char *type = json_string_value(json_object_get(cond, "type"));
    json_t *cur = k1s__dep_cond_get(status, type ? type : ""); /* borrowed */
    if (cur && same_str(cur, cond, "status") && same_str(cur, cond, "reason")) {
        json_decref(cond);
        return;
    }
    if (cur && same_str(cur, cond, "status")) {
        json_t *lt = json_object_get(cur, "lastTransitionTime"); /* borrowed */
        if (lt)
            json_object_set(cond, "lastTransitionTime", lt);
    }
    k1s__dep_cond_remove(status, type ? type : "");
    json_t *conds = json_object_get(status, "conditions"); /* borrowed */
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    json_array_append_new(conds, cond);
}

/* ---- annotations ------------------------------------------------------------------- */

static json_t *annotations(json_t *obj)
{
    json_t *m = json_object_get(obj, "metadata");  /* borrowed */
    json_t *a = json_object_get(m, "annotations"); /* borrowed */
    if (!json_is_object(a)) {
        a = json_object();
        json_object_set_new(m, "annotations", a);
    }
    return a;
}

static bool set_annotation(json_t *obj, const char *key, const char *value)
{
    json_t *a = annotations(obj); /* borrowed */
    const char *cur = json_string_value(json_object_get(a, key));
    if (cur && !strcmp(cur, value))
        return false;
    json_object_set_new(a, key, json_string(value));
    return true;
}

bool k1s__dep_set_replicas_annotations(json_t *rs, long long desired, long long max)
{
    char d[24], m[24];
    snprintf(d, sizeof d, "%lld", desired);
    snprintf(m, sizeof m, "%lld", max);
    bool a = set_annotation(rs, K1S_DEP_DESIRED, d);
    bool b = set_annotation(rs, K1S_DEP_MAX, m);
    return a || b;
}

bool k1s__dep_replicas_annotations_stale(const json_t *rs, long long desired, long long max)
{
    char d[24], m[24];
    snprintf(d, sizeof d, "%lld", desired);
    snprintf(m, sizeof m, "%lld", max);
    const char *cd = k1s_meta_annotation(rs, K1S_DEP_DESIRED);
    const char *cm = k1s_meta_annotation(rs, K1S_DEP_MAX);
    return !cd || strcmp(cd, d) || !cm || strcmp(cm, m);
}

/* Annotations a ReplicaSet does not inherit from its Deployment. */
static bool skipped(const char *key)
{
    static const char *const skip[] = {"kubectl.kubernetes.io/last-applied-configuration",
                                       K1S_DEP_REVISION,
                                       K1S_DEP_REVISION_HISTORY,
                                       K1S_DEP_DESIRED,
                                       K1S_DEP_MAX,
                                       "deprecated.deployment.rollback.to",
                                       NULL};
    for (const char *const *s = skip; *s; s++)
        if (!strcmp(key, *s))
            return true;
    return false;
}

/* kube's maxRevHistoryLengthInChars */
#define REV_HISTORY_MAX 2000

bool k1s__dep_set_new_rs_annotations(const json_t *d, json_t *rs, long long revision, bool exists)
{
    bool changed = false;
    const char *k;
    json_t *v; /* new once set */
    json_object_foreach(json_object_get(json_object_get(d, "metadata"), "annotations"), k, v)
    {
        if (skipped(k) || !json_is_string(v))
            continue;
        changed |= set_annotation(rs, k, json_string_value(v));
    }
    const char *old = k1s_meta_annotation(rs, K1S_DEP_REVISION);
    char oldbuf[32] = "";
    if (old)
        snprintf(oldbuf, sizeof oldbuf, "%s", old);
    long long oldrev = 0;
    if (old && *old) {
        char *end = NULL;
        oldrev = strtoll(old, &end, 10);
        if (end == old || *end)
            return false; /* kube gives up on a revision that is not a number */
    }
    if (oldrev < revision) {
        char rev[24];
        snprintf(rev, sizeof rev, "%lld", revision);
        set_annotation(rs, K1S_DEP_REVISION, rev);
        changed = true;
        /* a rollback to this ReplicaSet: remember the revisions it had */
        if (old) {
            const char *hist = k1s_meta_annotation(rs, K1S_DEP_REVISION_HISTORY);
            if (!hist || !*hist) {
                set_annotation(rs, K1S_DEP_REVISION_HISTORY, oldbuf);
            } else {
                /* drop the oldest entries until the list fits */
                const char *start = hist;
                size_t total = strlen(hist) + strlen(oldbuf) + 1;
                while (total > REV_HISTORY_MAX && start) {
                    const char *comma = strchr(start, ',');
                    size_t first = comma ? (size_t)(comma - start) : strlen(start);
                    total -= first + 1;
                    start = comma ? comma + 1 : NULL;
                }
                if (total <= REV_HISTORY_MAX) {
                    char *joined = NULL;
                    if (asprintf(&joined, "%s%s%s", start ? start : "", start && *start ? "," : "",
                                 oldbuf) >= 0) {
                        set_annotation(rs, K1S_DEP_REVISION_HISTORY, joined);
                        free(joined);
                    }
                }
            }
        }
    }
    if (!exists) {
        long long want = k1s__dep_replicas(d);
        changed |= k1s__dep_set_replicas_annotations(rs, want, want + k1s__dep_max_surge(d));
    }
    return changed;
}

bool k1s__dep_set_revision(json_t *d, const char *revision)
{
    return set_annotation(d, K1S_DEP_REVISION, revision ? revision : "");
}
