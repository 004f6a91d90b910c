/*
 * test_job.c - the job controller with kubelet "none" (the test ends the
 * pods itself): pods with the tracking finalizer and a controller
 * reference, parallelism and completions, counting through
 * uncountedTerminatedPods, SuccessCriteriaMet then Complete; failures up
 * to backoffLimit, activeDeadlineSeconds; Indexed pods' names, index
 * annotation/label/env/hostname and completedIndexes; suspend and
 * resume; finalizers released when the Job goes; ttlSecondsAfterFinished.
 */
#include "k1s_test.h"
#include "wl_test.h"

#define NS "default"

static json_t *job(const char *name, const char *extra_spec)
{
    json_t *j =
        fx_jsonf("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"%s\"},"
                 "\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"}},"
                 "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","
                 "\"image\":\"busybox\"}]}}}}",
                 name, name);
    json_t *extra = fx_json(extra_spec);
    json_object_update(json_object_get(j, "spec"), extra);
    json_decref(extra);
    return j;
}

/* Play the kubelet: the pod ended with phase (Succeeded or Failed). */
static int end_pod(k1s_api *api, const char *name, const char *phase)
{
    int rc = 409;
    for (int i = 0; i < 50 && rc == 409; i++) {
        json_t *pod = fx_get(api, "Pod", NS, name);
        if (!pod)
            return 404;
        char ts[K1S_TIME_LEN];
        k1s_time_format_now(ts, sizeof ts);
        json_t *st = json_pack("{s:s, s:[{s:s, s:b, s:b, s:s, s:i, s:{s:{s:i, s:s, s:s, s:s}}}]}",
                               "phase", phase, "containerStatuses", "name", "c", "ready", 0,
                               "started", 0, "image", "busybox", "restartCount", 0, "state",
                               "terminated", "exitCode", strcmp(phase, "Failed") ? 0 : 1, "reason",
                               strcmp(phase, "Failed") ? "Completed" : "Error", "startedAt", ts,
                               "finishedAt", ts);
        /* what the server set (qosClass) stays */
        json_t *cur = json_object_get(pod, "status");
        if (json_is_object(cur))
            json_object_update(cur, st), json_decref(st);
        else
            json_object_set_new(pod, "status", st);
        rc = fx_update(api, "Pod", NS, "status", pod);
        json_decref(pod);
    }
    return rc;
}

/* The live (not deleting) pods of a Job, by its app label. */
static json_t *pods_of(k1s_api *api, const char *app)
{
    char sel[64];
    snprintf(sel, sizeof sel, "app=%s", app);
    return wl_live_pods(api, NS, sel);
}

static size_t count_active(k1s_api *api, const char *app)
{
    json_t *pods = pods_of(api, app);
    size_t n = 0, i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        const char *ph = fx_str(p, "status.phase");
        if (!ph || (strcmp(ph, "Succeeded") && strcmp(ph, "Failed")))
            n++;
    }
    json_decref(pods);
    return n;
}

/* End every running pod of app with phase; how many. */
static int end_all(k1s_api *api, const char *app, const char *phase)
{
    json_t *pods = pods_of(api, app);
    int n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        const char *ph = fx_str(p, "status.phase");
        if (ph && (!strcmp(ph, "Succeeded") || !strcmp(ph, "Failed")))
            continue;
        if (end_pod(api, k1s_meta(p, "name"), phase) == 0)
            n++;
    }
    json_decref(pods);
    return n;
}

static bool first_pod_bound(k1s_api *api, const char *app)
{
    json_t *pods = pods_of(api, app);
    bool ok = fx_str(json_array_get(pods, 0), "spec.nodeName") != NULL;
    json_decref(pods);
    return ok;
}

static bool has_condition(const json_t *obj, const void *type)
{
    const char *s = fx_str(fx_condition(obj, type), "status");
    return s && !strcmp(s, "True");
}

static bool has_finalizer(const json_t *pod)
{
    size_t i;
    json_t *f;
    json_array_foreach(
        fx_at(pod, "metadata.finalizers"), i,
        f) if (!strcmp(json_string_value(f), "batch.kubernetes.io/job-tracking")) return true;
    return false;
}

static int tracked_pods(k1s_api *api, const char *app)
{
    char sel[64];
    snprintf(sel, sizeof sel, "app=%s", app);
    json_t *pods = fx_list(api, "Pod", NS, sel);
    int n = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) n += has_finalizer(p);
    json_decref(pods);
    return n;
}

static long long status_int(k1s_api *api, const char *name, const char *field, long long dflt)
{
    json_t *j = fx_get(api, "Job", NS, name);
    long long v = k1s_json_int(json_object_get(j, "status"), field, dflt);
    json_decref(j);
    return v;
}

TEST(test_job_runs_to_completion)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Job", NS, job("pi", "{\"completions\":3,\"parallelism\":2}")), 0);
    CHECK_SOON(count_active(api, "pi") == 2);
    CHECK_SOON(status_int(api, "pi", "active", 0) == 2);
    json_t *j = fx_get(api, "Job", NS, "pi");
    CHECK(fx_str(j, "status.startTime") != NULL);
    CHECK_INT(k1s_json_int(j, "status.ready", -1), 0);
    CHECK_INT(k1s_json_int(j, "status.terminating", -1), 0);
    CHECK(json_is_object(fx_at(j, "status.uncountedTerminatedPods")));
    CHECK(fx_at(j, "status.succeeded") == NULL);
    json_t *pods = pods_of(api, "pi");
    json_t *p = json_array_get(pods, 0);
    CHECK(p && !strncmp(k1s_meta(p, "name"), "pi-", 3) && strlen(k1s_meta(p, "name")) == 8);
    CHECK(p && has_finalizer(p));
    CHECK_STR(fx_str(json_array_get(fx_at(p, "metadata.ownerReferences"), 0), "kind"), "Job");
    CHECK_STR(fx_str(json_array_get(fx_at(p, "metadata.ownerReferences"), 0), "uid"),
              fx_str(j, "metadata.uid"));
    CHECK_STR(k1s_meta_label(p, "batch.kubernetes.io/job-name"), "pi");
    json_decref(pods);
    json_decref(j);

    /* two succeed: one more pod for the third completion */
    CHECK_INT(end_all(api, "pi", "Succeeded"), 2);
    CHECK_SOON(status_int(api, "pi", "succeeded", 0) == 2);
    CHECK_SOON(count_active(api, "pi") == 1);
    CHECK_SOON(tracked_pods(api, "pi") == 1);
    CHECK_INT(end_all(api, "pi", "Succeeded"), 1);
    json_t *done =
        fx_wait_obj(api, "Job", NS, "pi", has_condition, "Complete", FX_WAIT_MS); /* new */
    CHECK(done != NULL);
    CHECK(has_condition(done, "SuccessCriteriaMet"));
    CHECK_STR(fx_str(fx_condition(done, "Complete"), "reason"), "CompletionsReached");
    CHECK_STR(fx_str(fx_condition(done, "Complete"), "message"),
              "Reached expected number of succeeded pods");
    CHECK_INT(k1s_json_int(done, "status.succeeded", 0), 3);
    CHECK(fx_at(done, "status.active") == NULL);
    CHECK(fx_str(done, "status.completionTime") != NULL);
    CHECK(fx_at(done, "status.uncountedTerminatedPods.succeeded") == NULL);
    json_decref(done);
    CHECK_INT(tracked_pods(api, "pi"), 0);
    CHECK_INT(wl_events(api, NS, "pi", "Completed", "Job completed", 1), 1);
    CHECK_INT(wl_events(api, NS, "pi", "SuccessfulCreate", "Created pod: pi-", 3), 3);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_job_backoff_limit)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Job", NS, job("once", "{\"backoffLimit\":1}")), 0);
    CHECK_SOON(count_active(api, "once") == 1);
    CHECK_INT(end_all(api, "once", "Failed"), 1);
    CHECK_SOON(status_int(api, "once", "failed", 0) == 1);
    /* the replacement waits out the 10 s backoff */
    fx_sleep_ms(1500);
    CHECK_INT(count_active(api, "once"), 0);
    bool replaced;
    FX_WAIT_UNTIL(replaced, count_active(api, "once") == 1, 12000);
    CHECK(replaced);
    CHECK_INT(end_all(api, "once", "Failed"), 1);
    json_t *j = fx_wait_obj(api, "Job", NS, "once", has_condition, "Failed", FX_WAIT_MS);
    CHECK(j != NULL);
    CHECK(has_condition(j, "FailureTarget"));
    CHECK_STR(fx_str(fx_condition(j, "Failed"), "reason"), "BackoffLimitExceeded");
    CHECK_STR(fx_str(fx_condition(j, "Failed"), "message"),
              "Job has reached the specified backoff limit");
    CHECK_INT(k1s_json_int(j, "status.failed", 0), 2);
    CHECK(fx_str(j, "status.completionTime") == NULL);
    json_decref(j);
    CHECK_INT(tracked_pods(api, "once"), 0);
    CHECK_INT(wl_events(api, NS, "once", "BackoffLimitExceeded", "backoff limit", 1), 1);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_job_deadline_deletes_pods)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* a bound pod is deleted gracefully, so it stays terminating */
    json_t *slow = job("slow", "{\"activeDeadlineSeconds\":3}");
    json_object_set_new(json_object_get(fx_at(slow, "spec.template"), "spec"), "nodeName",
                        json_string(WL_NODE));
    CHECK_INT(fx_create(api, "Node", "", wl_node(WL_NODE)), 0);
    CHECK_INT(fx_create(api, "Job", NS, slow), 0);
    CHECK_SOON(first_pod_bound(api, "slow"));
    CHECK_SOON(count_active(api, "slow") == 1);
    /* past the deadline the pod is deleted; Failed waits until it is gone */
    bool deleting;
    FX_WAIT_UNTIL(deleting, status_int(api, "slow", "terminating", 0) == 1, 6000);
    CHECK(deleting);
    json_t *j = fx_get(api, "Job", NS, "slow");
    CHECK(has_condition(j, "FailureTarget"));
    CHECK(!has_condition(j, "Failed"));
    json_decref(j);
    CHECK_SOON(tracked_pods(api, "slow") == 0);
    wl_finish_terminating(api, NS, "app=slow");
    j = fx_wait_obj(api, "Job", NS, "slow", has_condition, "Failed", FX_WAIT_MS);
    CHECK(j != NULL);
    CHECK_STR(fx_str(fx_condition(j, "Failed"), "reason"), "DeadlineExceeded");
    CHECK_STR(fx_str(fx_condition(j, "Failed"), "message"),
              "Job was active longer than specified deadline");
    CHECK_INT(k1s_json_int(j, "status.failed", 0), 1);
    CHECK_INT(k1s_json_int(j, "status.terminating", -1), 0);
    json_decref(j);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

static bool index_pods_ok(json_t *pods)
{
    bool seen[3] = {false, false, false};
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        const char *ix = k1s_meta_annotation(p, "batch.kubernetes.io/job-completion-index");
        if (!ix || strlen(ix) != 1 || ix[0] < '0' || ix[0] > '2')
            return false;
        int n = ix[0] - '0';
        char want[32];
        snprintf(want, sizeof want, "idx-%d-", n);
        const char *lbl = k1s_meta_label(p, "batch.kubernetes.io/job-completion-index");
        snprintf(want + 16, sizeof want - 16, "idx-%d", n);
        const json_t *env = json_array_get(fx_at(p, "spec.containers"), 0);
        env = json_array_get(json_object_get(env, "env"), 0);
        if (strncmp(k1s_meta(p, "name"), want, 6) != 0 || !lbl || strcmp(lbl, ix) != 0 ||
            strcmp(fx_str(p, "spec.hostname"), want + 16) != 0 ||
            strcmp(fx_str(env, "name"), "JOB_COMPLETION_INDEX") != 0 ||
            strcmp(fx_str(env, "valueFrom.fieldRef.fieldPath"),
                   "metadata.labels['batch.kubernetes.io/job-completion-index']") != 0)
            return false;
        seen[n] = true;
    }
    return seen[0] && seen[1] && seen[2];
}

TEST(test_job_indexed)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Job", NS,
                        job("idx", "{\"completions\":3,\"parallelism\":3,"
                                   "\"completionMode\":\"Indexed\"}")),
              0);
    CHECK_SOON(count_active(api, "idx") == 3);
    json_t *pods = pods_of(api, "idx");
    CHECK(index_pods_ok(pods));
    /* index 1 succeeds, index 2 fails and is made again with the same index */
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        const char *ix = k1s_meta_annotation(p, "batch.kubernetes.io/job-completion-index");
        if (!strcmp(ix, "1"))
            CHECK_INT(end_pod(api, k1s_meta(p, "name"), "Succeeded"), 0);
    }
    json_decref(pods);
    json_t *j = NULL;
    CHECK_SOON((json_decref(j), j = fx_get(api, "Job", NS, "idx"),
                fx_str(j, "status.completedIndexes") &&
                    !strcmp(fx_str(j, "status.completedIndexes"), "1")));
    CHECK_INT(k1s_json_int(j, "status.succeeded", 0), 1);
    json_decref(j);
    CHECK_INT(end_all(api, "idx", "Succeeded"), 2);
    j = fx_wait_obj(api, "Job", NS, "idx", has_condition, "Complete", FX_WAIT_MS);
    CHECK_STR(fx_str(j, "status.completedIndexes"), "0-2");
    CHECK_INT(k1s_json_int(j, "status.succeeded", 0), 3);
    json_decref(j);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_job_suspend_resume)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Job", NS, job("sus", "{\"suspend\":true}")), 0);
    json_t *j = fx_wait_obj(api, "Job", NS, "sus", has_condition, "Suspended", FX_WAIT_MS);
    CHECK(j != NULL);
    CHECK_STR(fx_str(fx_condition(j, "Suspended"), "reason"), "JobSuspended");
    CHECK(fx_str(j, "status.startTime") == NULL);
    json_decref(j);
    CHECK_INT(count_active(api, "sus"), 0);
    CHECK_INT(fx_patch(api, "Job", NS, "sus", NULL, "{\"spec\":{\"suspend\":false}}"), 0);
    CHECK_SOON(count_active(api, "sus") == 1);
    CHECK_SOON((j = fx_get(api, "Job", NS, "sus"),
                fx_str(fx_condition(j, "Suspended"), "reason") &&
                    !strcmp(fx_str(fx_condition(j, "Suspended"), "reason"), "JobResumed") &&
                    (json_decref(j), true)));
    CHECK_INT(wl_events(api, NS, "sus", "Resumed", "Job resumed", 1), 1);
    /* suspending again deletes the running pod, finalizer first */
    CHECK_INT(fx_patch(api, "Job", NS, "sus", NULL, "{\"spec\":{\"suspend\":true}}"), 0);
    CHECK_SOON(count_active(api, "sus") == 0);
    CHECK_SOON(tracked_pods(api, "sus") == 0);
    CHECK_SOON(status_int(api, "sus", "failed", 0) == 0 &&
               status_int(api, "sus", "active", 0) == 0);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_job_deleted_releases_pods_and_ttl)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Job", NS, job("gone", "{}")), 0);
    CHECK_SOON(count_active(api, "gone") == 1);
    k1s_opts bg = {.grace_seconds = -1, .propagation = "Background"};
    CHECK_INT(fx_delete_with(api, "Job", NS, "gone", &bg, NULL), 0);
    /* the garbage collector deletes the pod; its finalizer must go too */
    CHECK_SOON(tracked_pods(api, "gone") == 0);
    wl_finish_terminating(api, NS, "app=gone");
    CHECK_SOON(fx_count(api, "Pod", NS, "app=gone") == 0);

    CHECK_INT(fx_create(api, "Job", NS, job("ttl", "{\"ttlSecondsAfterFinished\":0}")), 0);
    CHECK_SOON(count_active(api, "ttl") == 1);
    CHECK_INT(end_all(api, "ttl", "Succeeded"), 1);
    CHECK(fx_wait_gone(api, "Job", NS, "ttl", FX_WAIT_MS));
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_job_runs_to_completion), T(test_job_backoff_limit),
              T(test_job_deadline_deletes_pods), T(test_job_indexed), T(test_job_suspend_resume),
              T(test_job_deleted_releases_pods_and_ttl))
