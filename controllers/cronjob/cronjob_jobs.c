/*
 * cronjob_jobs.c - a CronJob's Jobs: which it owns, which have finished,
 * its status.active list of references to them, the Job an activation
 * makes from spec.jobTemplate, deleting one (kube's deleteJob) and
 * trimming finished ones to the history limits (cleanupFinishedJobs).
 */
#include "cronjob_internal.h"
#include "k1s_registry.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a Job's state ------------------------------------------------------------- */

const char *k1s__cj_finished(const json_t *job)
{
    size_t i;
    const json_t *cond;
    json_array_foreach(json_object_get(json_object_get(job, "status"), "conditions"), i, cond)
    {
        const char *type = k1s_json_str(cond, "type");
        const char *status = k1s_json_str(cond, "status");
        if (!type || !status || strcmp(status, "True") != 0)
            continue;
        if (!strcmp(type, "Complete"))
            return "Complete";
        if (!strcmp(type, "Failed"))
            return "Failed";
    }
    return NULL;
}

int64_t k1s__cj_completion(const json_t *job)
{
    return k1s__wl_parse_time(k1s_json_str(job, "status.completionTime"));
}

/* ---- status.active ---------------------------------------------------------------- */

static json_t *active_of(const json_t *cj)
{
    return json_object_get(json_object_get(cj, "status"), "active");
}

static bool active_has(const json_t *cj, const char *key, const char *value)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(active_of(cj), i, ref)
    {
        const char *v = k1s_json_str(ref, key);
        if (v && value && !strcmp(v, value))
            return true;
    }
    return false;
}

bool k1s__cj_active_has_uid(const json_t *cj, const char *uid)
{
    return active_has(cj, "uid", uid);
}

bool k1s__cj_active_has_name(const json_t *cj, const char *name)
{
    return active_has(cj, "name", name);
}

size_t k1s__cj_active_count(const json_t *cj)
{
    return json_array_size(active_of(cj));
}

void k1s__cj_active_remove(json_t *cj, const char *uid)
{
    json_t *active = active_of(cj); /* borrowed */
    for (size_t i = json_array_size(active); i-- > 0;) {
        const char *v = k1s_json_str(json_array_get(active, i), "uid");
        if (v && uid && !strcmp(v, uid))
            json_array_remove(active, i);
    }
    /* kube's list is omitempty: an empty one is not written */
    if (active && json_array_size(active) == 0)
        json_object_del(json_object_get(cj, "status"), "active");
}

int k1s__cj_active_add(json_t *cj, const json_t *job)
{
    json_t *status = k1s_json_object_at(cj, "status"); /* borrowed */
    if (!status)
        return -1;
    json_t *active = json_object_get(status, "active"); /* borrowed */
    if (!json_is_array(active)) {
        active = json_array();
        if (!active || json_object_set_new(status, "active", active))
            return -1;
    }
    /* what kube's reference.GetReference makes of a Job */
    json_t *ref =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind", "Job", "namespace", k1s__wl_ns(job),
                  "name", k1s__wl_name(job), "uid", k1s__wl_uid(job), "apiVersion", "batch/v1",
                  "resourceVersion", k1s_json_str_or(job, "metadata.resourceVersion", ""));
    return ref ? json_array_append_new(active, ref) : -1;
}

/* ---- the Jobs a CronJob owns ---------------------------------------------------------- */

typedef struct ownctx {
    const char *uid;
    k1s__cj_jobs *out;
    int err;
} ownctx;

static int collect_owned(void *vctx, const json_t *job)
{
    ownctx *o = vctx;
    if (!k1s__wl_controlled_by(job, o->uid))
        return 0;
    if (k1s_vec_append(o->out, &job)) {
        o->err = -1;
        return 1;
    }
    return 0;
}

int k1s__cj_owned_jobs(k1s_ctrl *c, const json_t *cj, k1s__cj_jobs *out)
{
    k1s_informer *inf = k1s_ctrl_informer(c, "batch", "Job");
    if (!inf)
        return -1;
    ownctx o = {k1s__wl_uid(cj), out, 0};
    k1s_informer_each(inf, k1s__wl_ns(cj), collect_owned, &o);
    return o.err;
}

/* ---- writes ---------------------------------------------------------------------------- */

bool k1s__cj_delete_job(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, const json_t *job)
{
    const char *name = k1s__wl_name(job);
    k1s_target t = {k1s_registry_find_kind("batch", "Job"), k1s__wl_ns(job), name, NULL};
    assert(t.kind);
    /* the Job goes at once, its pods after it (the garbage collector) */
    k1s_opts o = {.propagation = "Background", .grace_seconds = -1};
    k1s_status st = {0};
    json_t *res = NULL; /* new once set */
    int removed = 0;
    if (k1s_api_delete(k1s_ctrl_api(c), &t, &o, &res, &removed, &st)) {
        /* kube's wording, odd as it is */
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "FailedDelete", "Deleted job: %s",
                       st.message ? st.message : "unknown error");
        k1s_status_clear(&st);
        return false;
    }
    json_decref(res);
    k1s__wl_expect_delete(s->jobs, k1s__wl_ns(cj), k1s__wl_name(cj), name, k1s__wl_uid(job));
    k1s__cj_active_remove(cj, k1s__wl_uid(job));
    k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Normal", "SuccessfulDelete", "Deleted job %s", name);
    return true;
}

/* status.startTime as (seconds, nanoseconds); false when absent */
static bool start_time(const json_t *job, k1s_time *t)
{
    return k1s_time_parse_str(k1s_json_str(job, "status.startTime"), t) == 0;
}

/* kube's byJobStartTime: earliest start first, Jobs not started last,
 * names breaking ties */
static int by_start_time(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa;
    const json_t *b = *(const json_t *const *)pb;
    k1s_time ta, tb;
    bool ha = start_time(a, &ta), hb = start_time(b, &tb);
    if (ha != hb)
        return ha ? -1 : 1;
    if (ha && (ta.sec != tb.sec || ta.nsec != tb.nsec))
        return (ta.sec < tb.sec || (ta.sec == tb.sec && ta.nsec < tb.nsec)) ? -1 : 1;
    return strcmp(k1s__wl_name(a), k1s__wl_name(b));
}

static bool remove_oldest(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, k1s__cj_jobs *js,
                          long long limit)
{
    if ((long long)js->n <= limit)
        return false;
    qsort(js->p, js->n, sizeof(const json_t *), by_start_time);
    bool changed = false;
    size_t excess = js->n - (size_t)(limit < 0 ? 0 : limit);
    for (size_t i = 0; i < excess; i++)
        if (k1s__cj_delete_job(c, s, cj, ((const json_t **)js->p)[i]))
            changed = true;
    return changed;
}

bool k1s__cj_cleanup_history(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, const k1s__cj_jobs *jobs)
{
    const json_t *spec = json_object_get(cj, "spec");
    const json_t *succ_limit = json_object_get(spec, "successfulJobsHistoryLimit");
    const json_t *fail_limit = json_object_get(spec, "failedJobsHistoryLimit");
    /* an unset limit keeps everything (the API defaults both, 3 and 1) */
    if (!json_is_integer(succ_limit) && !json_is_integer(fail_limit))
        return false;
    k1s__cj_jobs succeeded = K1S_VEC(const json_t *), failed = K1S_VEC(const json_t *);
    for (size_t i = 0; i < jobs->n; i++) {
        const json_t *job = ((const json_t *const *)jobs->p)[i];
        const char *fin = k1s__cj_finished(job);
        if (!fin)
            continue;
        /* out of memory: that Job is simply kept for now */
        (void)k1s_vec_append(!strcmp(fin, "Complete") ? &succeeded : &failed, &job);
    }
    bool changed = false;
    if (json_is_integer(succ_limit) &&
        remove_oldest(c, s, cj, &succeeded, json_integer_value(succ_limit)))
        changed = true;
    if (json_is_integer(fail_limit) &&
        remove_oldest(c, s, cj, &failed, json_integer_value(fail_limit)))
        changed = true;
    k1s_vec_free(&succeeded);
    k1s_vec_free(&failed);
    return changed;
}

/* ---- the Job of an activation ------------------------------------------------------------ */

void k1s__cj_job_name(const json_t *cj, int64_t scheduled, char *buf, size_t len)
{
    /* minutes, not seconds: kube's getTimeHashInMinutes, so that the name
     * fits in 63 characters with a 52-character CronJob name */
    snprintf(buf, len, "%s-%lld", k1s__wl_name(cj), (long long)(scheduled / 60));
}

static json_t *copy_or_empty(const json_t *v)
{
    return json_is_object(v) ? json_deep_copy(v) : json_object();
}

json_t *k1s__cj_job_from_template(const json_t *cj, int64_t scheduled, const k1s_tz *tz)
{
    const json_t *tmpl = json_object_get(json_object_get(cj, "spec"), "jobTemplate");
    const json_t *tmeta = json_object_get(tmpl, "metadata");
    char name[320], when[32];
    k1s__cj_job_name(cj, scheduled, name, sizeof name);
    k1s__cj_format_rfc3339(scheduled, tz, when, sizeof when);

    json_t *labels = copy_or_empty(json_object_get(tmeta, "labels"));
    json_t *annotations = copy_or_empty(json_object_get(tmeta, "annotations"));
    json_t *ref = k1s__wl_owner_ref(cj, "batch/v1", "CronJob");
    json_t *spec = copy_or_empty(json_object_get(tmpl, "spec"));
    json_t *meta = json_object();
    if (!labels || !annotations || !ref || !spec || !meta ||
        json_object_set_new(annotations, K1S_CJ_SCHEDULED_ANNOTATION, json_string(when))) {
        json_decref(labels);
        json_decref(annotations);
        json_decref(ref);
        json_decref(spec);
        json_decref(meta);
        return NULL;
    }
    json_object_set_new(meta, "name", json_string(name));
    json_object_set_new(meta, "namespace", json_string(k1s__wl_ns(cj)));
    /* no labels: the API gives the Job its pod template's (SetDefaults_Job) */
    if (json_object_size(labels))
        json_object_set_new(meta, "labels", labels);
    else
        json_decref(labels);
    json_object_set_new(meta, "annotations", annotations);
    json_object_set_new(meta, "ownerReferences", json_pack("[o]", ref));
    return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "batch/v1", "kind", "Job", "metadata",
                     meta, "spec", spec);
}
