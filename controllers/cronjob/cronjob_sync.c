/*
 * cronjob_sync.c - one pass of kube's syncCronJob over a working copy of a
 * CronJob: finished Jobs leave status.active (SawCompletedJob) and set
 * lastSuccessfulTime, references to vanished Jobs go (MissingJob); then,
 * unless it is being deleted or suspended, the most recent missed
 * activation is started within startingDeadlineSeconds and the
 * concurrencyPolicy (Forbid skips it, Replace deletes the running Jobs
 * first), as a Job named after the activation's minute, so that a second
 * attempt at the same activation meets AlreadyExists instead of running
 * twice.
 */
#include "cronjob_internal.h"
#include "k1s_registry.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An object from the API rather than the cache (new reference): kube
 * re-reads where a slow watch could mislead it. 0, or the HTTP code. */
static int api_get(k1s_ctrl *c, const char *kind, const char *ns, const char *name, json_t **out,
                   char *msg, size_t msglen)
{
    k1s_target t = {k1s_registry_find_kind("batch", kind), ns, name, NULL};
    assert(t.kind);
    k1s_status st = {0};
    *out = NULL;
    if (k1s_api_get(k1s_ctrl_api(c), &t, out, &st) == 0)
        return 0;
    int code = st.code ? st.code : 500;
    if (msg && msglen)
        snprintf(msg, msglen, "%s", st.message ? st.message : "unknown error");
    if (code != 404)
        fprintf(stderr, "k1s: %s: get %s %s/%s: %s\n", K1S_CJ_COMPONENT, kind, ns, name,
                st.message ? st.message : "?");
    k1s_status_clear(&st);
    return code;
}

static bool has_uid(const k1s__cj_jobs *jobs, const char *uid)
{
    for (size_t i = 0; i < jobs->n; i++)
        if (!strcmp(k1s__wl_uid(((const json_t *const *)jobs->p)[i]), uid))
            return true;
    return false;
}

/* A finished Job: out of the active list, and its completion counted. */
static void saw_finished(k1s_ctrl *c, json_t *cj, const json_t *job, const char *condition,
                         bool in_active, bool *changed)
{
    if (in_active) {
        k1s__cj_active_remove(cj, k1s__wl_uid(job));
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Normal", "SawCompletedJob",
                       "Saw completed job: %s, condition: %s", k1s__wl_name(job), condition);
        *changed = true;
    }
    if (strcmp(condition, "Complete") != 0)
        return;
    /* any succeeded Job counts, listed or not: the newest completion wins */
    const char *done = k1s_json_str(job, "status.completionTime");
    int64_t done_at = k1s__cj_completion(job);
    if (!done || done_at < 0)
        return;
    const char *last = k1s_json_str(cj, "status.lastSuccessfulTime");
    if (last && k1s__wl_parse_time(last) >= done_at)
        return;
    json_t *status = k1s_json_object_at(cj, "status"); /* borrowed */
    if (status && !json_object_set_new(status, "lastSuccessfulTime", json_string(done)))
        *changed = true;
}

/* The pass over the owned Jobs and the active list. 0, or -1 when the
 * API could not be read (retried). */
static int reconcile_active(k1s_ctrl *c, json_t *cj, const k1s__cj_jobs *jobs, bool *changed)
{
    for (size_t i = 0; i < jobs->n; i++) {
        const json_t *job = ((const json_t *const *)jobs->p)[i];
        const char *uid = k1s__wl_uid(job);
        bool listed = k1s__cj_active_has_uid(cj, uid);
        const char *fin = k1s__cj_finished(job);
        if (fin) {
            saw_finished(c, cj, job, fin, listed, changed);
            continue;
        }
        if (listed)
            continue;
        /* running but not listed: perhaps only the cache is behind our
         * own status write; the stored CronJob says */
        json_t *fresh = NULL; /* new once set */
        if (api_get(c, "CronJob", k1s__wl_ns(cj), k1s__wl_name(cj), &fresh, NULL, 0))
            return -1;
        if (k1s__cj_active_has_uid(fresh, uid)) {
            /* carry on from what is stored (its resourceVersion too, so
             * that the status write does not conflict) */
            json_t *copy = json_deep_copy(fresh); /* new: nothing shared */
            json_decref(fresh);
            if (!copy)
                return -1;
            json_object_clear(cj);
            json_object_update(cj, copy);
            json_decref(copy);
            continue;
        }
        json_decref(fresh);
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "UnexpectedJob",
                       "Saw a job that the controller did not create or forgot: %s",
                       k1s__wl_name(job));
    }
    /* references to Jobs the cache does not hold: gone, unless the API
     * still has them (a slow watch) */
    json_t *active = json_deep_copy(json_object_get(json_object_get(cj, "status"), "active"));
    size_t i;
    json_t *ref;
    int rc = 0;
    json_array_foreach(active, i, ref)
    {
        const char *uid = k1s_json_str_or(ref, "uid", "");
        if (has_uid(jobs, uid))
            continue;
        const char *name = k1s_json_str_or(ref, "name", "");
        json_t *job = NULL; /* new once set */
        int code = api_get(c, "Job", k1s_json_str_or(ref, "namespace", k1s__wl_ns(cj)), name, &job,
                           NULL, 0);
        json_decref(job);
        if (code == 404) {
            k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Normal", "MissingJob",
                           "Active job went missing: %s", name);
            k1s__cj_active_remove(cj, uid);
            *changed = true;
        } else if (code) {
            rc = -1;
            break;
        }
    }
    json_decref(active);
    return rc;
}

/* ---- starting an activation ---------------------------------------------------------- */

/* Create the activation's Job, or find the one an earlier attempt made.
 * 1: *made (new reference) is to be listed; 0: nothing more to do; -1:
 * retry. */
static int create_job(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, int64_t scheduled,
                      const k1s_tz *tz, json_t **made)
{
    *made = NULL;
    json_t *job = k1s__cj_job_from_template(cj, scheduled, tz); /* new */
    if (!job)
        return -1;
    const char *ns = k1s__wl_ns(cj);
    k1s_target t = {k1s_registry_find_kind("batch", "Job"), ns, k1s_meta(job, "name"), NULL};
    assert(t.kind);
    k1s_status st = {0};
    json_t *res = NULL; /* new once set */
    int rc = k1s_api_create(k1s_ctrl_api(c), &t, job, NULL, &res, &st);
    char name[320];
    snprintf(name, sizeof name, "%s", k1s_meta(job, "name"));
    json_decref(job);
    if (rc == 0) {
        k1s__wl_expect_write(s->jobs, ns, k1s__wl_name(cj), res);
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Normal", "SuccessfulCreate", "Created job %s",
                       name);
        *made = res;
        return 1;
    }
    int code = st.code ? st.code : 500;
    const char *msg = st.message ? st.message : "unknown error";
    if (code != 409) {
        /* a terminating namespace refuses everything; kube stays quiet */
        if (!strstr(msg, "because it is being terminated"))
            k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "FailedCreate",
                           "Error creating job: %s", msg);
        k1s_status_clear(&st);
        return -1;
    }
    k1s_status_clear(&st);
    /* AlreadyExists: made by an earlier attempt whose status write was
     * lost, or by someone else, who then keeps the status */
    json_t *have = NULL; /* new once set */
    if (api_get(c, "Job", ns, name, &have, NULL, 0))
        return -1;
    if (!k1s__wl_controlled_by(have, k1s__wl_uid(cj)) ||
        k1s__cj_active_has_uid(cj, k1s__wl_uid(have))) {
        json_decref(have);
        return 0;
    }
    fprintf(stderr, "k1s: %s: job %s/%s already exists\n", K1S_CJ_COMPONENT, ns, name);
    *made = have;
    return 1;
}

/* Replace: every listed Job deleted before the new one starts. */
static int replace_active(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, bool *changed)
{
    json_t *active = json_deep_copy(json_object_get(json_object_get(cj, "status"), "active"));
    size_t i;
    json_t *ref;
    int rc = 0;
    json_array_foreach(active, i, ref)
    {
        json_t *job = NULL; /* new once set */
        const char *name = k1s_json_str_or(ref, "name", "");
        char msg[512];
        int code = api_get(c, "Job", k1s_json_str_or(ref, "namespace", k1s__wl_ns(cj)), name, &job,
                           msg, sizeof msg);
        if (code) {
            k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "FailedGet", "Get job: %s", msg);
            rc = -1;
            break;
        }
        bool ok = k1s__cj_delete_job(c, s, cj, job);
        json_decref(job);
        if (!ok) {
            rc = -1;
            break;
        }
        *changed = true;
    }
    json_decref(active);
    return rc;
}

/* ---- the pass ------------------------------------------------------------------------- */

typedef struct schedule {
    k1s_tz *tz;     /* owned; NULL: UTC */
    k1s_cron *cron; /* owned */
} schedule;

/* spec.timeZone loaded. 0, or -1 after the Warning event that stops the
 * CronJob until its spec changes. */
static int load_zone(k1s_ctrl *c, const json_t *cj, schedule *sc)
{
    const char *zone = k1s_json_str(cj, "spec.timeZone");
    if (!zone)
        return 0;
    char *err = NULL;
    if (k1s_tz_load(zone, &sc->tz, &err) == 0)
        return 0;
    char q[512];
    k1s__cj_quote(zone, q, sizeof q);
    k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "UnknownTimeZone",
                   "invalid timeZone: %s: %s", q, err ? err : "unknown time zone");
    free(err);
    return -1;
}

/* spec.schedule in that zone, as kube's formatSchedule + ParseStandard
 * make it. 0, or -1 after the Warning event. */
static int load_schedule(k1s_ctrl *c, const json_t *cj, schedule *sc)
{
    const char *text = k1s_json_str_or(cj, "spec.schedule", "");
    char q[512];
    const k1s_tz *dflt = sc->tz;
    if (strstr(text, "TZ")) {
        /* the schedule names its own zone, which wins over timeZone */
        k1s__cj_quote(text, q, sizeof q);
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "UnsupportedSchedule",
                       "CRON_TZ or TZ used in schedule %s is not officially supported, see "
                       "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ "
                       "for more details",
                       q);
        dflt = NULL;
    }
    char *err = NULL;
    if (k1s_cron_parse(text, dflt, &sc->cron, &err)) {
        k1s__cj_quote(text, q, sizeof q);
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "UnparseableSchedule",
                       "unparseable schedule: %s : %s", q, err ? err : "?");
        free(err);
        return -1;
    }
    return 0;
}

/* The rest of the pass once the schedule is known: start the activation
 * that is due, if any. */
static int64_t start_due(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, const schedule *sc,
                         int64_t now_ms, bool *changed)
{
    const json_t *spec = json_object_get(cj, "spec");
    k1s__cj_recent r = k1s__cj_most_recent(cj, now_ms, sc->cron, true);
    if (r.invalid) {
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "InvalidSchedule",
                       "invalid schedule: %s : %s", k1s_json_str_or(spec, "schedule", ""),
                       "time difference between two schedules is less than 1 second");
        return 0;
    }
    if (!r.most_recent) /* nothing due: sleep until the next activation */
        return k1s__cj_next_delay(cj, now_ms, sc->cron);
    if (r.missed == K1S_CJ_MANY_MISSED_TIMES)
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "TooManyMissedTimes",
                       "too many missed start times. Set or decrease "
                       ".spec.startingDeadlineSeconds or check clock skew");
    int64_t scheduled = r.most_recent;

    const json_t *dl = json_object_get(spec, "startingDeadlineSeconds");
    if (json_is_integer(dl) && (scheduled + json_integer_value(dl)) * 1000 < now_ms) {
        char when[64];
        k1s__cj_format_rfc1123z(scheduled, when, sizeof when);
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Warning", "MissSchedule",
                       "Missed scheduled time to start a job: %s", when);
        return k1s__cj_next_delay(cj, now_ms, sc->cron);
    }

    char name[320];
    k1s__cj_job_name(cj, scheduled, name, sizeof name);
    const char *last = k1s_json_str(cj, "status.lastScheduleTime");
    if (k1s__cj_active_has_name(cj, name) || (last && k1s__wl_parse_time(last) == scheduled))
        return k1s__cj_next_delay(cj, now_ms, sc->cron); /* this one was started */

    const char *policy = k1s_json_str_or(spec, "concurrencyPolicy", "Allow");
    if (!strcmp(policy, "Forbid") && k1s__cj_active_count(cj) > 0) {
        k1s_ctrl_event(c, K1S_CJ_COMPONENT, cj, "Normal", "JobAlreadyActive",
                       "Not starting job because prior execution is running and concurrency "
                       "policy is Forbid");
        return k1s__cj_next_delay(cj, now_ms, sc->cron);
    }
    if (!strcmp(policy, "Replace") && replace_active(c, s, cj, changed))
        return -1;

    json_t *job = NULL; /* new once set */
    int made = create_job(c, s, cj, scheduled, sc->tz, &job);
    if (made <= 0)
        return made;
    int rc = k1s__cj_active_add(cj, job);
    json_decref(job);
    json_t *status = k1s_json_object_at(cj, "status"); /* borrowed */
    char ts[K1S_TIME_LEN];
    k1s_time_format(scheduled, ts, sizeof ts);
    if (rc || !status || json_object_set_new(status, "lastScheduleTime", json_string(ts)))
        return -1;
    *changed = true;
    return k1s__cj_next_delay(cj, now_ms, sc->cron);
}

int64_t k1s__cj_sync(k1s_ctrl *c, k1s__cj_state *s, json_t *cj, const k1s__cj_jobs *jobs,
                     bool *changed)
{
    int64_t now_ms = k1s_time_wall_ms();
    if (reconcile_active(c, cj, jobs, changed))
        return -1;
    /* being deleted: the garbage collector takes the Jobs; only the status
     * is kept current meanwhile */
    if (k1s__wl_deleting(cj))
        return 0;
    schedule sc = {0};
    int64_t ret = 0;
    /* kube's order: a bad zone is reported even when suspended, a bad
     * schedule only when it would be used */
    if (load_zone(c, cj, &sc) == 0 && !k1s_json_bool(cj, "spec.suspend", false) &&
        load_schedule(c, cj, &sc) == 0)
        ret = start_due(c, s, cj, &sc, now_ms, changed);
    k1s_cron_free(sc.cron);
    k1s_tz_free(sc.tz);
    return ret;
}
