/*
 * job_pods.c - the pods of a Job: kube's manageJob (how many should be
 * running, which to delete first, the failure backoff before creating
 * more, Indexed Jobs' pending indexes) and the pods made from the
 * template with the tracking finalizer and, for Indexed Jobs, the
 * completion index as annotation, label, env and hostname.
 */
#include "job_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kube's SlowStartInitialBatchSize */
#define SLOW_START 1
/* kube's names.MaxGeneratedNameLength: 63 minus the 5 random characters */
#define MAX_GENERATE_NAME 58

static const json_t *pod_at(const k1s_vec *v, size_t i)
{
    return *(const json_t *const *)k1s_vec_at(v, i);
}

/* ---- which pods go first (kube's controller.ActivePods) --------------------------- */

static int phase_rank(const json_t *pod)
{
    const char *p = k1s_json_str(pod, "status.phase");
    if (p && !strcmp(p, "Running"))
        return 2;
    if (p && !strcmp(p, "Unknown"))
        return 1;
    return 0;
}

static int removal_order(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    const char *na = k1s_json_str(a, "spec.nodeName"), *nb = k1s_json_str(b, "spec.nodeName");
    bool ua = !na || !*na, ub = !nb || !*nb;
    if (ua != ub)
        return ua ? -1 : 1;
    int ra = phase_rank(a), rb = phase_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    bool ya = k1s__wl_pod_ready(a), yb = k1s__wl_pod_ready(b);
    if (ya != yb)
        return ya ? 1 : -1;
    if (ya) {
        /* ready for less time goes first */
        int64_t ta = k1s__wl_pod_ready_since(a), tb = k1s__wl_pod_ready_since(b);
        if (ta != tb)
            return ta > tb ? -1 : 1;
    }
    long long xa = k1s__wl_pod_max_restarts(a), xb = k1s__wl_pod_max_restarts(b);
    if (xa != xb)
        return xa > xb ? -1 : 1;
    /* newer first */
    return -k1s__wl_cmp_created(a, b);
}

static int by_index(const void *pa, const void *pb)
{
    long long a = job_pod_index(*(const json_t *const *)pa);
    long long b = job_pod_index(*(const json_t *const *)pb);
    if (a != b)
        return a < b ? -1 : 1;
    return removal_order(pa, pb);
}

/* kube's activePodsForRemoval: for Indexed Jobs first the pods without a
 * valid index and all but one of each repeated index, then as many more
 * as needed in removal order. rm gets borrowed pods. */
static void pods_for_removal(job_sync *js, long long at_least, k1s_vec *rm)
{
    k1s_vec left = K1S_VEC(const json_t *);
    size_t n = js->active.n;
    const json_t **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return;
    for (size_t i = 0; i < n; i++)
        sorted[i] = pod_at(&js->active, i);
    if (js->indexed) {
        qsort(sorted, n, sizeof *sorted, by_index);
        for (size_t i = 0; i < n; i++) {
            long long ix = job_pod_index(sorted[i]);
            /* the one kept of a repeated index is the last in removal order */
            bool repeated = i + 1 < n && job_pod_index(sorted[i + 1]) == ix;
            if (ix < 0 || ix >= js->completions || repeated)
                k1s_vec_append(rm, &sorted[i]);
            else
                k1s_vec_append(&left, &sorted[i]);
        }
    } else {
        for (size_t i = 0; i < n; i++)
            k1s_vec_append(&left, &sorted[i]);
    }
    if ((long long)rm->n < at_least) {
        qsort(left.p, left.n, sizeof(const json_t *), removal_order);
        for (size_t i = 0; i < left.n && (long long)rm->n < at_least; i++)
            k1s_vec_append(rm, k1s_vec_at(&left, i));
    }
    k1s_vec_free(&left);
    free(sorted);
}

/* ---- writes ----------------------------------------------------------------------- */

int job_remove_finalizer(k1s_ctrl *c, job_state *s, const json_t *job, const json_t *pod)
{
    json_t *keep = json_array(); /* new */
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(pod, "metadata"), "finalizers"), i, f)
    {
        if (!json_is_string(f) || strcmp(json_string_value(f), JOB_FINALIZER) != 0)
            json_array_append(keep, f);
    }
    /* the resourceVersion makes it a compare-and-swap: a finalizer someone
     * else added meanwhile is never dropped */
    if (json_array_size(keep) == 0) {
        /* null drops the field, as kube's patch leaves no empty list */
        json_decref(keep);
        keep = json_null();
    }
    json_t *patch = json_pack("{s:{s:o, s:s}}", "metadata", "finalizers", keep, "resourceVersion",
                              k1s_json_str(pod, "metadata.resourceVersion")); /* new */
    char *text = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    if (!text)
        return 500;
    json_t *out = NULL; /* new once set */
    int rc = k1s_ctrl_patch_get(c, "", "Pod", k1s__wl_ns(pod), k1s__wl_name(pod), NULL, text, &out);
    free(text);
    if (rc == 0 && job)
        k1s__wl_expect_write(s->exp, k1s__wl_ns(job), k1s__wl_name(job), out);
    json_decref(out);
    return rc == 404 ? 0 : rc;
}

/* Delete pods of the Job; with drop_finalizer their finalizer goes first
 * (kube's deleteJobPods: a pod removed on purpose is not a failure). */
static long long delete_pods(job_sync *js, const k1s_vec *pods, bool drop_finalizer,
                             long long *ready_deleted, int *rc)
{
    long long deleted = 0;
    for (size_t i = 0; i < pods->n; i++) {
        const json_t *pod = pod_at(pods, i);
        if (drop_finalizer && job_pod_tracked(pod)) {
            int r = job_remove_finalizer(js->c, js->s, js->job, pod);
            if (r) {
                if (rc && !*rc)
                    *rc = r;
                continue;
            }
        }
        k1s__wl_expect_delete(js->s->exp, k1s__wl_ns(js->job), k1s__wl_name(js->job),
                              k1s__wl_name(pod), k1s__wl_uid(pod));
        int r = k1s__wl_delete_pod(js->c, JOB_COMPONENT, js->job, pod, NULL, 0);
        if (r && r != 404) {
            if (rc && !*rc)
                *rc = r;
            continue;
        }
        deleted++;
        if (ready_deleted && k1s__wl_pod_ready(pod))
            (*ready_deleted)++;
    }
    return deleted;
}

long long job_delete_active(job_sync *js, long long *ready_deleted)
{
    return delete_pods(js, &js->active, false, ready_deleted, NULL);
}

/* env JOB_COMPLETION_INDEX from the index label, unless already there */
static void add_index_env(json_t *containers)
{
    size_t i;
    json_t *ctr;
    json_array_foreach(containers, i, ctr)
    {
        json_t *env = json_object_get(ctr, "env");
        bool has = false;
        size_t j;
        json_t *e;
        json_array_foreach(env, j, e)
        {
            const char *n = json_string_value(json_object_get(e, "name"));
            if (n && !strcmp(n, "JOB_COMPLETION_INDEX"))
                has = true;
        }
        if (has)
            continue;
        if (!json_is_array(env)) {
            env = json_array();
            json_object_set_new(ctr, "env", env);
        }
        json_array_append_new(env, json_pack("{s:s, s:{s:{s:s}}}", "name", "JOB_COMPLETION_INDEX",
                                             "valueFrom", "fieldRef", "fieldPath",
                                             "metadata.labels['" JOB_INDEX_KEY "']"));
    }
}

/* The pod for index ix (-1: NonIndexed), a new reference. */
static json_t *pod_for(const json_t *job, long long ix)
{
    const json_t *tmpl = json_object_get(json_object_get(job, "spec"), "template");
    json_t *pod = k1s__wl_pod_from_template(tmpl, job, "batch/v1", "Job"); /* new */
    json_t *meta = json_object_get(pod, "metadata");
    json_t *fin = json_object_get(meta, "finalizers");
    if (!json_is_array(fin)) {
        fin = json_array();
        json_object_set_new(meta, "finalizers", fin);
    }
    if (!job_pod_tracked(pod))
        json_array_append_new(fin, json_string(JOB_FINALIZER));
    if (ix < 0)
        return pod;
    char num[24], gen[96];
    snprintf(num, sizeof num, "%lld", ix);
    json_t *spec = json_object_get(pod, "spec");
    add_index_env(json_object_get(spec, "initContainers"));
    add_index_env(json_object_get(spec, "containers"));
    static const char *const maps[] = {"annotations", "labels", NULL};
    for (const char *const *m = maps; *m; m++) {
        json_t *o = json_object_get(meta, *m);
        if (!json_is_object(o)) {
            o = json_object();
            json_object_set_new(meta, *m, o);
        }
        json_object_set_new(o, JOB_INDEX_KEY, json_string(num));
    }
    const char *name = k1s__wl_name(job);
    snprintf(gen, sizeof gen, "%.70s-%s", name, num);
    json_object_set_new(spec, "hostname", json_string(gen));
    /* "<job>-<index>-", the job name cut so that the whole fits */
    size_t suffix = strlen(num) + 2, keep = strlen(name);
    if (keep + suffix > MAX_GENERATE_NAME)
        keep = MAX_GENERATE_NAME - suffix;
    snprintf(gen, sizeof gen, "%.*s-%s-", (int)keep, name, num);
    json_object_set_new(meta, "generateName", json_string(gen));
    return pod;
}

/* kube's firstPendingIndexes: up to count indexes below completions
 * neither succeeded nor held by an active pod. */
static size_t pending_indexes(job_sync *js, long long count, long long *out)
{
    size_t n = 0;
    for (long long ix = 0; ix < js->completions && (long long)n < count; ix++) {
        if (job_intervals_has(&js->done, ix))
            continue;
        bool held = false;
        for (size_t i = 0; i < js->active.n && !held; i++)
            held = job_pod_index(pod_at(&js->active, i)) == ix;
        if (!held)
            out[n++] = ix;
    }
    return n;
}

static long long create_pods(job_sync *js, long long diff, long long active, int *rc)
{
    long long *indexes = NULL;
    if (js->indexed) {
        indexes = malloc((size_t)diff * sizeof *indexes);
        if (!indexes) {
            *rc = 500;
            return active;
        }
        diff = (long long)pending_indexes(js, diff, indexes);
    }
    const char *ns = k1s__wl_ns(js->job), *name = k1s__wl_name(js->job);
    long long made = 0;
    /* kube's slow start: batches of 1, 2, 4, ... until one fails */
    for (long long batch = SLOW_START; made < diff && !*rc; batch *= 2) {
        for (long long i = 0; i < batch && made < diff; i++) {
            json_t *pod = pod_for(js->job, indexes ? indexes[made] : -1); /* new */
            json_t *out = NULL;                                           /* new once set */
            char err[256];
            int r = k1s__wl_create_pod(js->c, JOB_COMPONENT, js->job, pod, &out, err, sizeof err);
            json_decref(pod);
            if (r) {
                *rc = r;
                break;
            }
            k1s__wl_expect_write(js->s->exp, ns, name, out);
            json_decref(out);
            made++;
        }
    }
    free(indexes);
    return active + made;
}

long long job_manage(job_sync *js, int *rc)
{
    const json_t *spec = json_object_get(js->job, "spec");
    long long active = (long long)js->active.n;
    long long parallelism = k1s_json_int(spec, "parallelism", 1);
    *rc = 0;
    if (json_is_true(json_object_get(spec, "suspend"))) {
        k1s_vec rm = K1S_VEC(const json_t *);
        pods_for_removal(js, active, &rm);
        long long ready = 0, gone = delete_pods(js, &rm, true, &ready, rc);
        k1s_vec_free(&rm);
        js->terminating += gone;
        js->ready -= ready;
        return active - gone;
    }
    long long want;
    if (js->completions < 0) {
        /* no completion count: once one pod succeeded the others finish
         * on their own */
        want = js->succeeded > 0 ? active : parallelism;
    } else {
        want = js->completions - js->succeeded;
        if (want > parallelism)
            want = parallelism;
        if (want < 0)
            want = 0;
    }
    long long rm_at_least = active > want ? active - want : 0;
    k1s_vec rm = K1S_VEC(const json_t *);
    pods_for_removal(js, rm_at_least, &rm);
    if (rm.n > JOB_MAX_PODS_PER_SYNC)
        rm.n = JOB_MAX_PODS_PER_SYNC;
    if (rm.n) {
        long long ready = 0, gone = delete_pods(js, &rm, true, &ready, rc);
        k1s_vec_free(&rm);
        js->terminating += gone;
        js->ready -= ready;
        /* deletions and creations never in the same sync, as in kube */
        return active - gone;
    }
    k1s_vec_free(&rm);
    long long terminating = job_only_replace_failed(js->job) ? js->terminating : 0;
    long long diff = want - terminating - active;
    if (diff <= 0)
        return active;
    int64_t wait = job_backoff_remaining(&js->backoff, k1s_time_wall_ms());
    if (wait > 0) {
        js->requeue_ms = (int)(wait + 10);
        return active;
    }
    if (diff > JOB_MAX_PODS_PER_SYNC)
        diff = JOB_MAX_PODS_PER_SYNC;
    return create_pods(js, diff, active, rc);
}
