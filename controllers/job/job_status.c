/*
 * job_status.c - a Job's status as kube's job controller keeps it:
 * finished pods counted through status.uncountedTerminatedPods before
 * their tracking finalizer goes (so that no pod is counted twice or
 * lost, whatever crashes in between), the interim SuccessCriteriaMet /
 * FailureTarget conditions, then Complete / Failed once no pod is left
 * uncounted or terminating.
 */
#include "job_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *job_condition(const char *type, const char *status, const char *reason, const char *message)
{
    char ts[K1S_TIME_LEN];
    k1s_time_format(k1s_time_now(), ts, sizeof ts);
    json_t *c = json_pack("{s:s, s:s, s:s, s:s}", "type", type, "status", status, "lastProbeTime",
                          ts, "lastTransitionTime", ts); /* new */
    if (reason && *reason)
        json_object_set_new(c, "reason", json_string(reason));
    if (message && *message)
        json_object_set_new(c, "message", json_string(message));
    return c;
}

const json_t *job_find_condition(const json_t *status, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && !strcmp(t, type))
            return c;
    }
    return NULL;
}

static bool same(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

bool job_ensure_condition(json_t *status, const char *type, const char *st, const char *reason,
                          const char *message)
{
    json_t *conds = json_object_get(status, "conditions");
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        if (!same(json_string_value(json_object_get(c, "type")), type))
            continue;
        if (same(json_string_value(json_object_get(c, "status")), st) &&
            same(json_string_value(json_object_get(c, "reason")), reason) &&
            same(json_string_value(json_object_get(c, "message")), message))
            return false;
        json_array_set_new(conds, i, job_condition(type, st, reason, message));
        return true;
    }
    /* an absent condition is as good as False */
    if (!strcmp(st, "False"))
        return false;
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    json_array_append_new(conds, job_condition(type, st, reason, message));
    return true;
}

bool job_finished(const json_t *job)
{
    const json_t *st = json_object_get(job, "status");
    static const char *const types[] = {"Complete", "Failed", NULL};
    for (const char *const *t = types; *t; t++) {
        const char *s = k1s_json_str(job_find_condition(st, *t), "status");
        if (s && !strcmp(s, "True"))
            return true;
    }
    return false;
}

static void append_condition(json_t *status, const json_t *cond)
{
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    json_array_append_new(conds, json_deep_copy(cond));
}

/* ---- uncounted pods ---------------------------------------------------------------- */

static json_t *uncounted_list(json_t *status, const char *list)
{
    json_t *u = json_object_get(status, "uncountedTerminatedPods");
    if (!json_is_object(u)) {
        u = json_object();
        json_object_set_new(status, "uncountedTerminatedPods", u);
    }
    json_t *l = json_object_get(u, list);
    if (!json_is_array(l)) {
        l = json_array();
        json_object_set_new(u, list, l);
    }
    return l;
}

static size_t uncounted_size(const json_t *status)
{
    const json_t *u = json_object_get(status, "uncountedTerminatedPods");
    return json_array_size(json_object_get(u, "succeeded")) +
           json_array_size(json_object_get(u, "failed"));
}

static bool uid_tracked(const job_sync *js, const char *uid)
{
    for (size_t i = 0; i < js->pods.n; i++) {
        const json_t *p = *(const json_t *const *)k1s_vec_at(&js->pods, i);
        if (!strcmp(k1s__wl_uid(p), uid))
            return job_pod_tracked(p);
    }
    return false;
}

/* kube's cleanUncountedPodsWithoutFinalizers: UIDs whose pod has lost its
 * finalizer (or is gone) move into the counters. Whether anything moved. */
static bool settle_uncounted(job_sync *js, json_t *status, const k1s_vec *removed)
{
    bool changed = false;
    static const char *const lists[] = {"succeeded", "failed", NULL};
    for (const char *const *l = lists; *l; l++) {
        json_t *u = uncounted_list(status, *l);
        long long moved = 0;
        for (size_t i = json_array_size(u); i-- > 0;) {
            const char *uid = json_string_value(json_array_get(u, i));
            bool gone = !uid || !uid_tracked(js, uid);
            for (size_t r = 0; uid && !gone && removed && r < removed->n; r++)
                gone = !strcmp(uid, k1s__wl_uid(*(const json_t *const *)k1s_vec_at(removed, r)));
            if (gone) {
                json_array_remove(u, i);
                moved++;
            }
        }
        if (moved) {
            json_object_set_new(status, *l, json_integer(k1s_json_int(status, *l, 0) + moved));
            changed = true;
        }
    }
    return changed;
}

/* The status as the API stores it: zero counters and empty lists left
 * out, as Go's omitempty does; ready, terminating and
 * uncountedTerminatedPods always there. */
static json_t *tidy(const json_t *status)
{
    json_t *t = json_deep_copy(status); /* new */
    static const char *const counters[] = {"active", "succeeded", "failed", NULL};
    for (const char *const *k = counters; *k; k++)
        if (k1s_json_int(t, *k, 0) == 0)
            json_object_del(t, *k);
    json_t *u = json_object_get(t, "uncountedTerminatedPods");
    static const char *const lists[] = {"succeeded", "failed", NULL};
    for (const char *const *l = lists; *l; l++)
        if (json_array_size(json_object_get(u, *l)) == 0)
            json_object_del(u, *l);
    if (json_array_size(json_object_get(t, "conditions")) == 0)
        json_object_del(t, "conditions");
    const char *ci = json_string_value(json_object_get(t, "completedIndexes"));
    if (ci && !*ci)
        json_object_del(t, "completedIndexes");
    return t;
}

/* Write js->status through the status subresource; the written Job
 * becomes js->job's stand-in for resourceVersion. 0 or the HTTP code. */
static int flush(job_sync *js, json_t **written)
{
    json_t *up = json_deep_copy(js->job); /* new */
    if (*written)
        json_object_set(json_object_get(up, "metadata"), "resourceVersion",
                        json_object_get(json_object_get(*written, "metadata"), "resourceVersion"));
    json_object_set_new(up, "status", tidy(js->status));
    json_t *out = NULL; /* new once set */
    int rc = k1s_ctrl_update(js->c, "batch", "Job", k1s__wl_ns(js->job), "status", up, &out);
    json_decref(up);
    if (rc == 0) {
        json_decref(*written);
        *written = out;
    }
    return rc;
}

static void record_finished(job_sync *js, const json_t *cond)
{
    const char *type = k1s_json_str(cond, "type");
    if (!strcmp(type, "Complete")) {
        if (js->completions >= 0 && k1s_json_int(js->status, "succeeded", 0) > js->completions)
            k1s_ctrl_event(js->c, JOB_COMPONENT, js->job, "Warning", "TooManySucceededPods",
                           "Too many succeeded pods running after completion count reached");
        k1s_ctrl_event(js->c, JOB_COMPONENT, js->job, "Normal", "Completed", "Job completed");
    } else {
        k1s_ctrl_event(js->c, JOB_COMPONENT, js->job, "Warning", k1s_json_str(cond, "reason"), "%s",
                       k1s_json_str(cond, "message"));
    }
}

int job_track_and_flush(job_sync *js, const json_t *finished, bool needs_flush)
{
    json_t *st = js->status;
    const char *ftype = finished ? k1s_json_str(finished, "type") : NULL;
    bool success = ftype && !strcmp(ftype, "SuccessCriteriaMet");
    if (settle_uncounted(js, st, NULL))
        needs_flush = true;

    k1s_vec rm = K1S_VEC(const json_t *);
    bool capped = false;
    long long new_indexes = 0;
    for (size_t i = 0; i < js->pods.n; i++) {
        const json_t *pod = *(const json_t *const *)k1s_vec_at(&js->pods, i);
        if (!job_pod_tracked(pod))
            continue;
        const char *uid = k1s__wl_uid(pod);
        bool failed = job_pod_failed(js->job, pod);
        bool ok = same(k1s_json_str(pod, "status.phase"), "Succeeded");
        /* kube's canRemoveFinalizer */
        if (!k1s__wl_deleting(js->job) && !finished && !ok && !failed)
            continue;
        k1s_vec_append(&rm, &pod);
        if (ok && !job_uncounted_has(st, "failed", uid)) {
            if (js->indexed) {
                long long ix = job_pod_index(pod);
                if (ix >= 0 && ix < js->completions && !job_intervals_has(&js->done, ix)) {
                    job_intervals_add(&js->done, ix);
                    new_indexes++;
                }
            } else if (!job_uncounted_has(st, "succeeded", uid)) {
                json_array_append_new(uncounted_list(st, "succeeded"), json_string(uid));
                needs_flush = true;
            }
        } else if (failed || (finished && !success)) {
            long long ix = job_pod_index(pod);
            if (!job_uncounted_has(st, "failed", uid) &&
                (!js->indexed || (ix >= 0 && ix < js->completions))) {
                json_array_append_new(uncounted_list(st, "failed"), json_string(uid));
                needs_flush = true;
            }
        }
        if ((long long)uncounted_size(st) + new_indexes >= JOB_MAX_UNCOUNTED) {
            capped = true; /* the status writes bring the Job back */
            break;
        }
    }
    if (js->indexed) {
        char *s = job_intervals_format(&js->done);
        if (s && !same(s, k1s_json_str(st, "completedIndexes"))) {
            json_object_set_new(st, "completedIndexes", json_string(s));
            needs_flush = true;
        }
        free(s);
        json_object_set_new(st, "succeeded", json_integer(job_intervals_total(&js->done)));
    }
    json_t *final = NULL; /* new once set: Complete or Failed */
    if (ftype && !strcmp(ftype, "FailureTarget")) {
        if (!job_find_condition(st, "FailureTarget")) {
            append_condition(st, finished);
            needs_flush = true;
        }
        final = job_condition("Failed", "True", k1s_json_str(finished, "reason"),
                              k1s_json_str(finished, "message"));
    } else if (success) {
        if (!job_find_condition(st, "SuccessCriteriaMet")) {
            append_condition(st, finished);
            needs_flush = true;
        }
        final = job_condition("Complete", "True", k1s_json_str(finished, "reason"),
                              k1s_json_str(finished, "message"));
    }

    json_t *written = NULL; /* new once set */
    int rc = 0;
    if (needs_flush) {
        rc = flush(js, &written);
        needs_flush = false;
    }
    /* the finalizers go only once the status holds the pods' UIDs */
    k1s_vec removed = K1S_VEC(const json_t *);
    int rm_rc = 0;
    for (size_t i = 0; rc == 0 && i < rm.n; i++) {
        const json_t *pod = *(const json_t *const *)k1s_vec_at(&rm, i);
        int r = job_remove_finalizer(js->c, js->s, js->job, pod);
        if (r == 0)
            k1s_vec_append(&removed, &pod);
        else if (!rm_rc)
            rm_rc = r;
    }
    if (rc == 0 && settle_uncounted(js, st, &removed))
        needs_flush = true;
    bool done = false;
    if (rc == 0 && final && !capped && uncounted_size(st) == 0 && js->terminating == 0) {
        job_ensure_condition(st, k1s_json_str(final, "type"), "True", k1s_json_str(final, "reason"),
                             k1s_json_str(final, "message"));
        if (!strcmp(k1s_json_str(final, "type"), "Complete"))
            json_object_set(st, "completionTime", json_object_get(final, "lastTransitionTime"));
        done = needs_flush = true;
    }
    if (rc == 0 && needs_flush) {
        rc = flush(js, &written);
        if (rc == 0 && done)
            record_finished(js, final);
    }
    json_decref(final);
    json_decref(written);
    k1s_vec_free(&rm);
    k1s_vec_free(&removed);
    return rc ? rc : rm_rc;
}
