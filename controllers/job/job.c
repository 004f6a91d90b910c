/*
 * job.c - the job-controller, as kube-controller-manager's
 * pkg/controller/job: a Job runs pods from its template until
 * spec.completions of them succeeded (or, without completions, one did),
 * at most spec.parallelism at a time; Indexed Jobs give each pod a
 * completion index. Failed pods are replaced after a growing backoff
 * until more than spec.backoffLimit failed; spec.activeDeadlineSeconds
 * bounds the run; spec.suspend deletes the running pods and holds.
 * Every pod carries the batch.kubernetes.io/job-tracking finalizer until
 * the Job's status has counted it (job_status.c).
 *
 * Not done: podFailurePolicy, backoffLimitPerIndex, successPolicy,
 * adopting orphan pods a manual selector matches.
 */
#include "job_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *job_init(k1s_ctrl *c)
{
    (void)c;
    job_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->exp = k1s__wl_expect_new();
    s->backoffs = K1S_VEC(job_backoff);
    return s;
}

static void job_fini(void *state)
{
    job_state *s = state;
    if (!s)
        return;
    k1s__wl_expect_free(s->exp);
    k1s_vec_free(&s->backoffs);
    free(s);
}

/* A pod concerns the Job that controls it. */
static void map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (old)
        k1s_ctrl_enqueue_owner(c, id, old, "Job");
    if (obj)
        k1s_ctrl_enqueue_owner(c, id, obj, "Job");
}

typedef struct podsctx {
    const char *name, *uid; /* the Job's; uid NULL: any */
    k1s_vec *out;
} podsctx;

static bool controlled_by_job(const json_t *pod, const char *name)
{
    const json_t *ref = k1s__wl_controller_of(pod);
    const char *kind = k1s_json_str(ref, "kind"), *n = k1s_json_str(ref, "name");
    return kind && n && !strcmp(kind, "Job") && !strcmp(n, name);
}

static int collect_owned(void *vctx, const json_t *pod)
{
    podsctx *p = vctx;
    if (controlled_by_job(pod, p->name) && (!p->uid || k1s__wl_controlled_by(pod, p->uid)))
        return k1s_vec_append(p->out, &pod) ? 1 : 0;
    return 0;
}

/* kube's orphan pod handling: a pod whose Job is gone, was replaced or
 * has finished keeps no tracking finalizer, or it could never go away.
 * keep_uid: the running Job's, whose own pods the sync looks after. */
static int release_finalizers(k1s_ctrl *c, job_state *s, const char *ns, const char *name,
                              const char *keep_uid)
{
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    k1s_vec pods = K1S_VEC(const json_t *);
    podsctx p = {name, NULL, &pods};
    k1s_informer_each(pi, ns, collect_owned, &p);
    int rc = 0;
    for (size_t i = 0; i < pods.n; i++) {
        const json_t *pod = *(const json_t *const *)k1s_vec_at(&pods, i);
        if (!job_pod_tracked(pod) || (keep_uid && k1s__wl_controlled_by(pod, keep_uid)))
            continue;
        int r = job_remove_finalizer(c, s, NULL, pod);
        if (r && !rc)
            rc = r;
    }
    k1s_vec_free(&pods);
    return rc == 409 ? 50 : rc ? -1 : 0;
}

/* ---- the sync's inputs ----------------------------------------------------------- */

static bool past_backoff_on_failure(const json_t *job, const k1s_vec *pods)
{
    const char *rp = k1s_json_str(job, "spec.template.spec.restartPolicy");
    if (!rp || strcmp(rp, "OnFailure") != 0)
        return false;
    long long restarts = 0;
    for (size_t i = 0; i < pods->n; i++) {
        const json_t *pod = *(const json_t *const *)k1s_vec_at(pods, i);
        const char *ph = k1s_json_str(pod, "status.phase");
        if (!ph || (strcmp(ph, "Running") != 0 && strcmp(ph, "Pending") != 0))
            continue;
        static const char *const lists[] = {"initContainerStatuses", "containerStatuses", NULL};
        for (const char *const *l = lists; *l; l++) {
            size_t j;
            const json_t *cs;
            json_array_foreach(json_object_get(json_object_get(pod, "status"), *l), j, cs)
                restarts += k1s_json_int(cs, "restartCount", 0);
        }
    }
    long long limit = k1s_json_int(job, "spec.backoffLimit", 6);
    return limit == 0 ? restarts > 0 : restarts >= limit;
}

static bool suspended(const json_t *job)
{
    return json_is_true(json_object_get(json_object_get(job, "spec"), "suspend"));
}

/* Seconds the Job has left before activeDeadlineSeconds, or LLONG_MAX. */
static long long deadline_left(const json_t *job, const json_t *status)
{
    const json_t *ads = json_object_get(json_object_get(job, "spec"), "activeDeadlineSeconds");
    int64_t start = k1s__wl_parse_time(k1s_json_str(status, "startTime"));
    if (!json_is_integer(ads) || start < 0 || suspended(job))
        return 0x7fffffffffffffffLL;
    return (long long)(start + json_integer_value(ads) - k1s_time_now());
}

/* Sort the Job's pods into the sync's sets and count what finished. */
static void gather(job_sync *js, k1s_vec *new_ok, k1s_vec *new_failed)
{
    const json_t *st = js->status;
    for (size_t i = 0; i < js->pods.n; i++) {
        const json_t *pod = *(const json_t *const *)k1s_vec_at(&js->pods, i);
        if (k1s__wl_pod_active(pod)) {
            k1s_vec_append(&js->active, &pod);
            if (k1s__wl_pod_ready(pod))
                js->ready++;
        } else if (k1s__wl_deleting(pod) && !k1s__wl_pod_terminal(pod)) {
            js->terminating++;
        }
        /* kube's getNewFinishedPods: still tracked, not yet uncounted */
        const char *uid = k1s__wl_uid(pod);
        if (!job_pod_tracked(pod) || job_uncounted_has(st, "succeeded", uid) ||
            job_uncounted_has(st, "failed", uid))
            continue;
        long long ix = job_pod_index(pod);
        if (js->indexed && (ix < 0 || ix >= js->completions))
            continue;
        const char *ph = k1s_json_str(pod, "status.phase");
        if (ph && !strcmp(ph, "Succeeded")) {
            k1s_vec_append(new_ok, &pod);
            if (js->indexed)
                job_intervals_add(&js->done, ix);
        } else if (job_pod_failed(js->job, pod)) {
            k1s_vec_append(new_failed, &pod);
        }
    }
    const json_t *u = json_object_get(st, "uncountedTerminatedPods");
    js->succeeded = k1s_json_int(st, "succeeded", 0) + (long long)new_ok->n +
                    (long long)json_array_size(json_object_get(u, "succeeded"));
    js->failed = k1s_json_int(st, "failed", 0) + (long long)new_failed->n +
                 (long long)json_array_size(json_object_get(u, "failed"));
    if (js->indexed)
        js->succeeded = job_intervals_total(&js->done);
}

/* The condition the Job has reached this sync (new reference), or NULL:
 * SuccessCriteriaMet or FailureTarget already there, or a new failure. */
static json_t *finish_reached(job_sync *js)
{
    const json_t *st = js->status;
    const json_t *sc = job_find_condition(st, "SuccessCriteriaMet");
    if (sc && !strcmp(k1s_json_str(sc, "status"), "True"))
        return json_deep_copy(sc);
    const json_t *ft = job_find_condition(st, "FailureTarget");
    if (ft && !strcmp(k1s_json_str(ft, "status"), "True"))
        return json_deep_copy(ft);
    if (js->failed > k1s_json_int(js->job, "spec.backoffLimit", 6) ||
        past_backoff_on_failure(js->job, &js->pods))
        return job_condition("FailureTarget", "True", "BackoffLimitExceeded",
                             "Job has reached the specified backoff limit");
    long long left = deadline_left(js->job, st);
    if (left <= 0)
        return job_condition("FailureTarget", "True", "DeadlineExceeded",
                             "Job was active longer than specified deadline");
    if (left < 86400)
        js->requeue_ms = (int)(left * 1000 + 10);
    return NULL;
}

static int sync_job(job_sync *js)
{
    const json_t *job = js->job;
    const char *ns = k1s__wl_ns(job), *name = k1s__wl_name(job);
    k1s_vec new_ok = K1S_VEC(const json_t *), new_failed = K1S_VEC(const json_t *);
    gather(js, &new_ok, &new_failed);
    job_backoff *stored = job_backoff_of(js->s, ns, name, false);
    if (stored)
        js->backoff = *stored;
    job_backoff_update(&js->backoff, &new_ok, &new_failed);

    json_t *st = js->status;
    if (!json_object_get(st, "startTime") && !suspended(job)) {
        char ts[K1S_TIME_LEN];
        k1s_time_format(k1s_time_now(), ts, sizeof ts);
        json_object_set_new(st, "startTime", json_string(ts));
    }
    json_t *finished = finish_reached(js); /* new once set */
    long long active = (long long)js->active.n;
    int manage_rc = 0;
    bool cond_changed = false;
    if (finished) {
        long long ready_deleted = 0, deleted = job_delete_active(js, &ready_deleted);
        if (deleted != active || !js->satisfied) {
            /* pods may be left: finish on a later sync */
            json_decref(finished);
            finished = NULL;
        }
        active -= deleted;
        js->terminating += deleted;
        js->ready -= ready_deleted;
    } else {
        bool managed = false;
        if (js->satisfied && !k1s__wl_deleting(job)) {
            active = job_manage(js, &manage_rc);
            managed = true;
        }
        bool complete = js->completions < 0 ? js->succeeded > 0 && active == 0
                                            : js->succeeded >= js->completions && active == 0;
        if (complete) {
            finished = job_condition("SuccessCriteriaMet", "True", "CompletionsReached",
                                     "Reached expected number of succeeded pods");
        } else if (managed && suspended(job)) {
            if (job_ensure_condition(st, "Suspended", "True", "JobSuspended", "Job suspended")) {
                cond_changed = true;
                k1s_ctrl_event(js->c, JOB_COMPONENT, job, "Normal", "Suspended", "Job suspended");
            }
        } else if (managed) {
            if (job_ensure_condition(st, "Suspended", "False", "JobResumed", "Job resumed")) {
                cond_changed = true;
                k1s_ctrl_event(js->c, JOB_COMPONENT, job, "Normal", "Resumed", "Job resumed");
                /* activeDeadlineSeconds counts from the resume */
                char ts[K1S_TIME_LEN];
                k1s_time_format(k1s_time_now(), ts, sizeof ts);
                json_object_set_new(st, "startTime", json_string(ts));
            }
        }
    }
    const json_t *old = json_object_get(job, "status");
    bool needs = cond_changed || k1s_json_int(old, "active", 0) != active ||
                 k1s_json_int(old, "ready", -1) != js->ready ||
                 k1s_json_int(old, "terminating", -1) != js->terminating ||
                 !json_object_get(old, "uncountedTerminatedPods") ||
                 !k1s_json_semantic_equal(json_object_get(old, "startTime"),
                                          json_object_get(st, "startTime"));
    json_object_set_new(st, "active", json_integer(active));
    json_object_set_new(st, "ready", json_integer(js->ready));
    json_object_set_new(st, "terminating", json_integer(js->terminating));
    int rc = job_track_and_flush(js, finished, needs);
    json_decref(finished);
    if (rc == 0) {
        job_backoff *b = job_backoff_of(js->s, ns, name, true);
        if (b) {
            char key[sizeof b->key];
            memcpy(key, b->key, sizeof key);
            *b = js->backoff;
            memcpy(b->key, key, sizeof key);
        }
    }
    k1s_vec_free(&new_ok);
    k1s_vec_free(&new_failed);
    if (rc == 409)
        return 50; /* the cache is behind; the watch brings the fresh Job */
    if ((rc && rc != 404) || manage_rc)
        return -1;
    if (js->requeue_ms > 0)
        return js->requeue_ms;
    return js->satisfied ? 0 : 1000; /* the watch normally comes first */
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    job_state *s = state;
    k1s_informer *ji = k1s_ctrl_informer(c, "batch", "Job");
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    if (!s || !ji || !pi)
        return -1;
    const json_t *job = k1s_informer_get(ji, ns, name);
    if (!job) {
        k1s__wl_expect_forget(s->exp, ns, name);
        job_backoff_forget(s, ns, name);
        return release_finalizers(c, s, ns, name, NULL);
    }
    const char *by = k1s_json_str(job, "spec.managedBy");
    if (by && strcmp(by, "kubernetes.io/job-controller") != 0)
        return 0;
    if (job_finished(job)) {
        job_backoff_forget(s, ns, name);
        return release_finalizers(c, s, ns, name, NULL);
    }
    const char *mode = k1s_json_str(job, "spec.completionMode");
    if (mode && strcmp(mode, "NonIndexed") != 0 && strcmp(mode, "Indexed") != 0) {
        k1s_ctrl_event(c, JOB_COMPONENT, job, "Warning", "UnknownCompletionMode",
                       "Skipped Job sync because completion mode is unknown");
        return 0;
    }
    job_sync js = {
        .c = c,
        .s = s,
        .job = job,
        .indexed = mode && !strcmp(mode, "Indexed"),
        .completions = k1s_json_int(job, "spec.completions", -1),
        .pods = K1S_VEC(const json_t *),
        .active = K1S_VEC(const json_t *),
        .done = K1S_VEC(job_interval),
    };
    if (!json_is_integer(json_object_get(json_object_get(job, "spec"), "completions")))
        js.completions = -1;
    js.satisfied = k1s__wl_expect_satisfied(s->exp, ns, name, pi);
    const json_t *old = json_object_get(job, "status");
    js.status = json_is_object(old) ? json_deep_copy(old) : json_object();
    if (!json_is_object(json_object_get(js.status, "uncountedTerminatedPods")))
        json_object_set_new(js.status, "uncountedTerminatedPods", json_object());
    if (js.indexed)
        job_intervals_parse(&js.done, k1s_json_str(old, "completedIndexes"), js.completions);
    podsctx p = {name, k1s__wl_uid(job), &js.pods};
    k1s_informer_each(pi, ns, collect_owned, &p);
    int ret = sync_job(&js);
    int rel = release_finalizers(c, s, ns, name, k1s__wl_uid(job));
    if (ret == 0)
        ret = rel;
    json_decref(js.status);
    k1s_vec_free(&js.pods);
    k1s_vec_free(&js.active);
    k1s_vec_free(&js.done);
    return ret;
}

const k1s_controller_def k1s__ctrl_job = {
    .name = "job-controller",
    .group = "batch",
    .kind = "Job",
    .reconcile = reconcile,
    .watches = {{"", "Pod", map_pod}},
    .init = job_init,
    .fini = job_fini,
};
