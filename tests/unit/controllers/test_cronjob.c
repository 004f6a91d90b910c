/*
 * test_cronjob.c - the cronjob controller with the other controllers
 * running and kubelet "none". The test plays the Job controller itself:
 * it writes Job status (Complete/Failed conditions, startTime,
 * completionTime). Activations of "* * * * *" fall on minute boundaries,
 * so each test pushes status.lastScheduleTime into the past to make one
 * due now, and keeps clear of a boundary where its expectations would
 * change underfoot.
 */
#include "k1s_test.h"
#include "wl_test.h"

#define NS "default"

/* ---- helpers ------------------------------------------------------------------- */

/* Keep need_s seconds clear of the next minute boundary: the activation
 * the controller starts is then the one the test computes. */
static void avoid_boundary(int need_s)
{
    int64_t into = k1s_time_wall_ms() % 60000;
    if (into > (60 - need_s) * 1000)
        fx_sleep_ms((int)(60000 - into + 300));
}

static json_t *cronjob(const char *name, const char *policy)
{
    return fx_jsonf(
        "{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'%s'},"
        "'spec':{'schedule':'* * * * *','concurrencyPolicy':'%s',"
        "'jobTemplate':{'metadata':{'labels':{'app':'%s'},'annotations':{'note':'kept'}},"
        "'spec':{'template':{'spec':{'restartPolicy':'Never',"
        "'containers':[{'name':'c','image':'busybox'}]}}}}}}",
        name, policy, name);
}

/* A CronJob with extra spec fields (fx_json text), created; its stored
 * form (new reference) or NULL. */
static json_t *create_cronjob(k1s_api *api, const char *name, const char *policy,
                              const char *extra_spec)
{
    json_t *cj = cronjob(name, policy);
    if (extra_spec) {
        json_t *extra = fx_json(extra_spec);
        json_object_update(json_object_get(cj, "spec"), extra);
        json_decref(extra);
    }
    return fx_create_get(api, "batch/CronJob", NS, cj);
}

/* Write status.lastScheduleTime (NULL: leave) and status.active (NULL:
 * leave; borrowed) of a CronJob, again after conflicts with the
 * controller. */
static int set_cj_status(k1s_api *api, const char *name, const char *last, const json_t *active)
{
    int rc = 409;
    for (int i = 0; i < 50 && rc == 409; i++) {
        json_t *cj = fx_get(api, "batch/CronJob", NS, name);
        if (!cj)
            return 404;
        json_t *st = k1s_json_object_at(cj, "status");
        if (last)
            json_object_set_new(st, "lastScheduleTime", json_string(last));
        if (active)
            json_object_set(st, "active", (json_t *)active);
        rc = fx_update(api, "batch/CronJob", NS, "status", cj);
        json_decref(cj);
    }
    return rc;
}

static void ts(int64_t t, char *buf)
{
    k1s_time_format(t, buf, K1S_TIME_LEN);
}

/* The name the activation at minute m gets. */
static void job_name(char *buf, size_t len, const char *cj, int64_t minute)
{
    snprintf(buf, len, "%s-%lld", cj, (long long)minute);
}

/* How many Jobs the CronJob with uid controls (not being deleted). */
static int owned_jobs(k1s_api *api, const char *uid)
{
    json_t *jobs = fx_list(api, "batch/Job", NS, NULL);
    int n = 0;
    size_t i;
    json_t *j;
    json_array_foreach(jobs, i, j)
    {
        const char *ref = fx_str(j, "metadata.ownerReferences.0.uid");
        if (ref && !strcmp(ref, uid) && !fx_deleting(j, NULL))
            n++;
    }
    json_decref(jobs);
    return n;
}

/* A Job controlled by cj, as someone else (an earlier controller) made
 * it; stored form (new reference). */
static json_t *owned_job(k1s_api *api, const char *name, const json_t *cj)
{
    json_t *job = fx_jsonf(
        "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'%s','ownerReferences':"
        "[{'apiVersion':'batch/v1','kind':'CronJob','name':'%s','uid':'%s','controller':true,"
        "'blockOwnerDeletion':true}]},'spec':{'template':{'spec':{'restartPolicy':'Never',"
        "'containers':[{'name':'c','image':'busybox'}]}}}}",
        name, k1s_meta(cj, "name"), k1s_meta(cj, "uid"));
    return fx_create_get(api, "batch/Job", NS, job);
}

/* status.active's entry for a Job (new reference). */
static json_t *ref_of(const json_t *job)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "apiVersion", "batch/v1", "kind", "Job",
                     "namespace", NS, "name", k1s_meta(job, "name"), "uid", k1s_meta(job, "uid"),
                     "resourceVersion", k1s_meta(job, "resourceVersion"));
}

/* Play the Job controller: the Job finished (type Complete or Failed). */
static int finish_job(k1s_api *api, const char *name, const char *type, int64_t start, int64_t done)
{
    char s[K1S_TIME_LEN], d[K1S_TIME_LEN];
    ts(start, s);
    ts(done, d);
    int rc = 409;
    for (int i = 0; i < 50 && rc == 409; i++) {
        json_t *job = fx_get(api, "batch/Job", NS, name);
        if (!job)
            return 404;
        json_t *st = k1s_json_object_at(job, "status");
        json_object_set_new(st, "startTime", json_string(s));
        if (!strcmp(type, "Complete")) {
            json_object_set_new(st, "completionTime", json_string(d));
            json_object_set_new(st, "succeeded", json_integer(1));
        } else {
            json_object_set_new(st, "failed", json_integer(1));
        }
        json_object_set_new(st, "conditions",
                            json_pack("[{s:s, s:s, s:s}]", "type", type, "status", "True",
                                      "lastTransitionTime", d));
        rc = fx_update(api, "batch/Job", NS, "status", job);
        json_decref(job);
    }
    return rc;
}

static bool active_is(const json_t *cj, const void *arg)
{
    const json_t *active = fx_at(cj, "status.active");
    const char *want = arg;
    if (!want)
        return json_array_size(active) == 0;
    return json_array_size(active) == 1 && fx_str(json_array_get(active, 0), "name") &&
           !strcmp(fx_str(json_array_get(active, 0), "name"), want);
}

static bool has_last_schedule(const json_t *cj, const void *arg)
{
    const char *last = fx_str(cj, "status.lastScheduleTime");
    return last && !strcmp(last, arg);
}

static bool has_last_success(const json_t *cj, const void *arg)
{
    const char *last = fx_str(cj, "status.lastSuccessfulTime");
    return last && !strcmp(last, arg);
}

/* ---- tests ------------------------------------------------------------------------ */

TEST(test_cronjob_starts_missed_activation)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    avoid_boundary(8);
    json_t *cj = create_cronjob(api, "every", "Allow", NULL);
    CHECK(cj != NULL);
    if (!cj)
        goto done;
    int64_t now = k1s_time_now();
    char last[K1S_TIME_LEN];
    ts(now - 90, last);
    CHECK_INT(set_cj_status(api, "every", last, NULL), 0);
    int64_t minute = now / 60;
    char name[64], when[K1S_TIME_LEN];
    job_name(name, sizeof name, "every", minute);
    ts(minute * 60, when);

    json_t *job = fx_wait_obj(api, "batch/Job", NS, name, NULL, NULL, 5000);
    CHECK(job != NULL);
    if (job) {
        CHECK_STR(fx_str(job, "metadata.ownerReferences.0.apiVersion"), "batch/v1");
        CHECK_STR(fx_str(job, "metadata.ownerReferences.0.kind"), "CronJob");
        CHECK_STR(fx_str(job, "metadata.ownerReferences.0.name"), "every");
        CHECK_STR(fx_str(job, "metadata.ownerReferences.0.uid"), k1s_meta(cj, "uid"));
        CHECK(json_is_true(fx_at(job, "metadata.ownerReferences.0.controller")));
        CHECK(json_is_true(fx_at(job, "metadata.ownerReferences.0.blockOwnerDeletion")));
        CHECK_STR(k1s_meta_annotation(job, "batch.kubernetes.io/cronjob-scheduled-timestamp"),
                  when);
        CHECK_STR(k1s_meta_annotation(job, "note"), "kept");
        CHECK_STR(k1s_meta_label(job, "app"), "every");
        CHECK_STR(fx_str(job, "spec.template.spec.containers.0.image"), "busybox");
    }
    json_t *got = fx_wait_obj(api, "batch/CronJob", NS, "every", active_is, name, 5000);
    CHECK(got && active_is(got, name));
    if (got && job) {
        const json_t *ref = fx_at(got, "status.active.0");
        CHECK_STR(fx_str(ref, "kind"), "Job");
        CHECK_STR(fx_str(ref, "apiVersion"), "batch/v1");
        CHECK_STR(fx_str(ref, "namespace"), NS);
        CHECK_STR(fx_str(ref, "uid"), k1s_meta(job, "uid"));
        CHECK(fx_str(ref, "resourceVersion") != NULL);
        CHECK_STR(fx_str(got, "status.lastScheduleTime"), when);
    }
    CHECK_INT(wl_events(api, NS, "every", "SuccessfulCreate", name, 1), 1);
    /* the most recent activation only, not the one before it */
    CHECK_INT(owned_jobs(api, k1s_meta(cj, "uid")), 1);
    json_decref(got);
    json_decref(job);
    json_decref(cj);

    /* three hours behind: more than 100 missed, a warning, and still the
     * most recent one starts */
    cj = create_cronjob(api, "lagging", "Allow", NULL);
    CHECK(cj != NULL);
    now = k1s_time_now();
    ts(now - 3 * 3600, last);
    CHECK_INT(set_cj_status(api, "lagging", last, NULL), 0);
    job_name(name, sizeof name, "lagging", now / 60);
    job = fx_wait_obj(api, "batch/Job", NS, name, NULL, NULL, 5000);
    CHECK(job != NULL);
    CHECK(wl_events(api, NS, "lagging", "TooManyMissedTimes", "too many missed start times", 1) >=
          1);
    json_decref(job);
    json_decref(cj);

    /* in a zone of its own: the scheduled timestamp is written there */
    cj = create_cronjob(api, "zoned", "Allow", "{'timeZone':'Asia/Kolkata'}");
    if (!cj) {
        fprintf(stderr, "no Asia/Kolkata here (tzdata?): zone check skipped\n");
        goto done;
    }
    now = k1s_time_now();
    ts(now - 90, last);
    CHECK_INT(set_cj_status(api, "zoned", last, NULL), 0);
    job_name(name, sizeof name, "zoned", now / 60);
    job = fx_wait_obj(api, "batch/Job", NS, name, NULL, NULL, 5000);
    CHECK(job != NULL);
    /* India is 5:30 ahead all year; minutes (and so the name) are shared */
    char local[K1S_TIME_LEN + 8];
    ts(now / 60 * 60 + 19800, local);
    snprintf(local + strlen(local) - 1, 8, "+05:30");
    CHECK_STR(job ? k1s_meta_annotation(job, "batch.kubernetes.io/cronjob-scheduled-timestamp")
                  : NULL,
              local);
    json_decref(job);
    json_decref(cj);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_cronjob_concurrency)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    avoid_boundary(8);
    /* Forbid: a Job of an earlier activation still runs */
    json_t *cj = create_cronjob(api, "forbid", "Forbid", NULL);
    json_t *old = cj ? owned_job(api, "forbid-old", cj) : NULL;
    CHECK(old != NULL);
    if (!old) {
        json_decref(cj);
        goto done;
    }
    int64_t now = k1s_time_now();
    char last[K1S_TIME_LEN], name[64];
    ts(now - 90, last);
    json_t *active = json_pack("[o]", ref_of(old));
    CHECK_INT(set_cj_status(api, "forbid", last, active), 0);
    json_decref(active);
    CHECK(wl_events(api, NS, "forbid", "JobAlreadyActive", "concurrency policy is Forbid", 1) >= 1);
    job_name(name, sizeof name, "forbid", now / 60);
    fx_sleep_ms(500);
    CHECK(!fx_exists(api, "batch/Job", NS, name));
    CHECK_INT(owned_jobs(api, k1s_meta(cj, "uid")), 1);
    json_t *got = fx_get(api, "batch/CronJob", NS, "forbid");
    CHECK(got && active_is(got, "forbid-old"));
    CHECK_STR(got ? fx_str(got, "status.lastScheduleTime") : NULL, last);
    json_decref(got);
    json_decref(old);
    json_decref(cj);

    /* Replace: the running Job goes, the new one takes its place */
    cj = create_cronjob(api, "replace", "Replace", NULL);
    old = cj ? owned_job(api, "replace-old", cj) : NULL;
    CHECK(old != NULL);
    if (!old) {
        json_decref(cj);
        goto done;
    }
    now = k1s_time_now();
    ts(now - 90, last);
    active = json_pack("[o]", ref_of(old));
    CHECK_INT(set_cj_status(api, "replace", last, active), 0);
    json_decref(active);
    job_name(name, sizeof name, "replace", now / 60);
    json_t *job = fx_wait_obj(api, "batch/Job", NS, name, NULL, NULL, 5000);
    CHECK(job != NULL);
    CHECK(fx_wait_gone(api, "batch/Job", NS, "replace-old", 5000));
    CHECK_INT(wl_events(api, NS, "replace", "SuccessfulDelete", "Deleted job replace-old", 1), 1);
    got = fx_wait_obj(api, "batch/CronJob", NS, "replace", active_is, name, 5000);
    CHECK(got && active_is(got, name));
    json_decref(got);
    json_decref(job);
    json_decref(old);
    json_decref(cj);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_cronjob_history)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* suspended: no activation starts meanwhile, the history is still kept */
    json_t *cj = create_cronjob(api, "hist", "Allow",
                                "{'suspend':true,'successfulJobsHistoryLimit':2,"
                                "'failedJobsHistoryLimit':1}");
    CHECK(cj != NULL);
    if (!cj)
        goto done;
    static const char *const names[] = {"hist-c1", "hist-c2", "hist-c3", "hist-f1", "hist-f2"};
    json_t *active = json_array();
    for (size_t i = 0; i < 5; i++) {
        json_t *j = owned_job(api, names[i], cj);
        CHECK(j != NULL);
        if (j)
            json_array_append_new(active, ref_of(j));
        json_decref(j);
    }
    /* and one that no longer exists */
    json_array_append_new(active, json_pack("{s:s, s:s, s:s, s:s, s:s}", "apiVersion", "batch/v1",
                                            "kind", "Job", "namespace", NS, "name", "hist-ghost",
                                            "uid", "00000000-0000-0000-0000-00000000dead"));
    CHECK_INT(set_cj_status(api, "hist", NULL, active), 0);
    json_decref(active);
    CHECK(wl_events(api, NS, "hist", "MissingJob", "Active job went missing: hist-ghost", 1) >= 1);

    int64_t now = k1s_time_now();
    CHECK_INT(finish_job(api, "hist-c1", "Complete", now - 300, now - 290), 0);
    CHECK_INT(finish_job(api, "hist-c2", "Complete", now - 200, now - 190), 0);
    CHECK_INT(finish_job(api, "hist-c3", "Complete", now - 100, now - 90), 0);
    CHECK_INT(finish_job(api, "hist-f1", "Failed", now - 250, now - 240), 0);
    CHECK_INT(finish_job(api, "hist-f2", "Failed", now - 50, now - 40), 0);

    /* the oldest success and the oldest failure go */
    CHECK(fx_wait_gone(api, "batch/Job", NS, "hist-c1", 5000));
    CHECK(fx_wait_gone(api, "batch/Job", NS, "hist-f1", 5000));
    CHECK(fx_exists(api, "batch/Job", NS, "hist-c2"));
    CHECK(fx_exists(api, "batch/Job", NS, "hist-c3"));
    CHECK(fx_exists(api, "batch/Job", NS, "hist-f2"));
    CHECK_INT(owned_jobs(api, k1s_meta(cj, "uid")), 3);
    CHECK_INT(wl_events(api, NS, "hist", "SuccessfulDelete", "Deleted job hist-c1", 1), 1);
    CHECK_INT(wl_events(api, NS, "hist", "SuccessfulDelete", "Deleted job hist-f1", 1), 1);
    CHECK(wl_events(api, NS, "hist", "SawCompletedJob",
                    "Saw completed job: hist-c3, condition: Complete", 1) >= 1);
    CHECK(wl_events(api, NS, "hist", "SawCompletedJob",
                    "Saw completed job: hist-f2, condition: Failed", 1) >= 1);
    json_t *got = fx_wait_obj(api, "batch/CronJob", NS, "hist", active_is, NULL, 5000);
    CHECK(got && active_is(got, NULL));
    json_decref(got);
    char newest[K1S_TIME_LEN];
    ts(now - 90, newest);
    got = fx_wait_obj(api, "batch/CronJob", NS, "hist", has_last_success, newest, 5000);
    CHECK_STR(got ? fx_str(got, "status.lastSuccessfulTime") : NULL, newest);
    json_decref(got);
    json_decref(cj);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_cronjob_suspend)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    avoid_boundary(8);
    json_t *cj = create_cronjob(api, "sleepy", "Allow", "{'suspend':true}");
    CHECK(cj != NULL);
    if (!cj)
        goto done;
    int64_t now = k1s_time_now();
    char last[K1S_TIME_LEN], name[64];
    ts(now - 90, last);
    CHECK_INT(set_cj_status(api, "sleepy", last, NULL), 0);
    fx_sleep_ms(1500);
    CHECK_INT(owned_jobs(api, k1s_meta(cj, "uid")), 0);
    /* woken up, the missed activation starts */
    CHECK_INT(fx_patch(api, "batch/CronJob", NS, "sleepy", NULL, "{'spec':{'suspend':false}}"), 0);
    job_name(name, sizeof name, "sleepy", now / 60);
    json_t *job = fx_wait_obj(api, "batch/Job", NS, name, NULL, NULL, 5000);
    CHECK(job != NULL);
    json_decref(job);
    json_decref(cj);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_cronjob_starting_deadline)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* Both a bad schedule and an unknown zone are refused at validation,
     * so the controller's UnparseableSchedule/UnknownTimeZone paths cannot
     * be reached through the API. */
    json_t *bad = cronjob("badzone", "Allow");
    json_object_set_new(json_object_get(bad, "spec"), "timeZone", json_string("Mars/Olympus"));
    CHECK(fx_create(api, "batch/CronJob", NS, bad) != 0);

    /* Seconds into the minute decide which side of the 10 s deadline the
     * last activation is: wait out the window where it would flip. */
    int into = (int)(k1s_time_wall_ms() % 60000 / 1000);
    if ((into >= 7 && into < 13) || into >= 50) {
        int64_t ms = k1s_time_wall_ms() % 60000;
        fx_sleep_ms((int)((into >= 50 ? 60000 : 13000) - ms + 300));
        into = (int)(k1s_time_wall_ms() % 60000 / 1000);
    }
    bool late = into >= 13;
    json_t *cj = create_cronjob(api, "late", "Allow", "{'startingDeadlineSeconds':10}");
    CHECK(cj != NULL);
    if (!cj)
        goto done;
    int64_t now = k1s_time_now();
    char last[K1S_TIME_LEN], name[64];
    ts(now - 300, last);
    CHECK_INT(set_cj_status(api, "late", last, NULL), 0);
    job_name(name, sizeof name, "late", now / 60);
    if (!late) {
        /* within 10 s of the activation: it starts */
        json_t *job = fx_wait_obj(api, "batch/Job", NS, name, NULL, NULL, 5000);
        CHECK(job != NULL);
        json_decref(job);
    } else {
        /* Older than the deadline: nothing starts. kube looks for
         * activations only after now - startingDeadlineSeconds, so it
         * finds none, and its MissSchedule event (for an activation older
         * than the deadline) cannot come from this path either. */
        fx_sleep_ms(1500);
        CHECK_INT(owned_jobs(api, k1s_meta(cj, "uid")), 0);
        CHECK_INT(wl_count_events(api, NS, "late", "MissSchedule", ""), 0);
        json_t *got = fx_get(api, "batch/CronJob", NS, "late");
        CHECK(got && has_last_schedule(got, last));
        json_decref(got);
        /* a longer deadline takes the activation in */
        CHECK_INT(fx_patch(api, "batch/CronJob", NS, "late", NULL,
                           "{'spec':{'startingDeadlineSeconds':100}}"),
                  0);
        json_t *job = fx_wait_obj(api, "batch/Job", NS, name, NULL, NULL, 5000);
        CHECK(job != NULL);
        json_decref(job);
    }
    json_decref(cj);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_cronjob_starts_missed_activation), T(test_cronjob_concurrency),
              T(test_cronjob_history), T(test_cronjob_suspend), T(test_cronjob_starting_deadline))
