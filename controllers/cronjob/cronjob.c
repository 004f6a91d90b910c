/*
 * cronjob.c - the cronjob-controller, as kube-controller-manager's
 * pkg/controller/cronjob (ControllerV2): each CronJob starts a Job from
 * spec.jobTemplate at the activations of spec.schedule (in
 * spec.timeZone), keeps status.active, lastScheduleTime and
 * lastSuccessfulTime, and trims finished Jobs to the history limits. It is
 * woken by changes of the CronJob and of the Jobs it controls, and
 * otherwise sleeps until just after the next activation.
 *
 * This file: the definition, the Job watch, one reconcile (cache read,
 * history, sync, the status write). The schedule arithmetic is in
 * cronjob_sched.c, the Jobs in cronjob_jobs.c, the pass in
 * cronjob_sync.c.
 */
#include "cronjob_internal.h"

#include <stdlib.h>

/* A conflict on the status write: the cache is about to show the newer
 * CronJob, so look again soon rather than with backoff. */
#define CONFLICT_RETRY_MS 100
/* How soon to look again while the caches still lack our own writes. */
#define EXPECT_RETRY_MS 50

static void *cj_init(k1s_ctrl *c)
{
    (void)c;
    k1s__cj_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->jobs = k1s__wl_expect_new();
    s->cronjobs = k1s__wl_expect_new();
    if (!s->jobs || !s->cronjobs) {
        k1s__wl_expect_free(s->jobs);
        k1s__wl_expect_free(s->cronjobs);
        free(s);
        return NULL;
    }
    return s;
}

static void cj_fini(void *state)
{
    k1s__cj_state *s = state;
    if (!s)
        return;
    k1s__wl_expect_free(s->jobs);
    k1s__wl_expect_free(s->cronjobs);
    free(s);
}

/* A Job concerns the CronJob controlling it, before and after a change
 * (an ownerReference may have moved). */
static void map_job(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    k1s_ctrl_enqueue_owner(c, id, old, "CronJob");
    k1s_ctrl_enqueue_owner(c, id, obj, "CronJob");
}

/* Write the working copy's status. 0, > 0 to look again after that many
 * ms, < 0 on error. */
static int write_status(k1s_ctrl *c, k1s__cj_state *s, json_t *cj)
{
    json_t *out = NULL; /* new once set */
    int code = k1s_ctrl_update(c, "batch", "CronJob", k1s__wl_ns(cj), "status", cj, &out);
    if (code == 409)
        return CONFLICT_RETRY_MS;
    if (code == 404)
        return 0; /* deleted meanwhile */
    if (code)
        return -1;
    k1s__wl_expect_write(s->cronjobs, k1s__wl_ns(cj), k1s__wl_name(cj), out);
    json_decref(out);
    return 0;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s__cj_state *s = state;
    if (!s)
        return -1;
    k1s_informer *cjs = k1s_ctrl_informer(c, "batch", "CronJob");
    k1s_informer *jobs_inf = k1s_ctrl_informer(c, "batch", "Job");
    if (!cjs || !jobs_inf)
        return -1;
    const json_t *cached = k1s_informer_get(cjs, ns, name);
    if (!cached) {
        /* its Jobs are the garbage collector's now */
        k1s__wl_expect_forget(s->jobs, ns, name);
        k1s__wl_expect_forget(s->cronjobs, ns, name);
        return 0;
    }
    /* A cache without our last Job create or status write would start
     * the same activation again (kube relies on AlreadyExists alone; the
     * wait here spares the API the attempt and the Job a false
     * UnexpectedJob). */
    bool seen_jobs = k1s__wl_expect_satisfied(s->jobs, ns, name, jobs_inf);
    bool seen_status = k1s__wl_expect_satisfied(s->cronjobs, ns, name, cjs);
    if (!seen_jobs || !seen_status)
        return EXPECT_RETRY_MS;

    k1s__cj_jobs jobs = K1S_VEC(const json_t *);
    json_t *cj = json_deep_copy(cached); /* the working copy: new */
    if (!cj || k1s__cj_owned_jobs(c, cached, &jobs)) {
        json_decref(cj);
        k1s_vec_free(&jobs);
        return -1;
    }
    /* as kube's sync: history first, then the pass, one status write */
    bool changed = k1s__cj_cleanup_history(c, s, cj, &jobs);
    int64_t requeue = k1s__cj_sync(c, s, cj, &jobs, &changed);
    int rc = 0;
    if (changed)
        rc = write_status(c, s, cj);
    json_decref(cj);
    k1s_vec_free(&jobs);
    if (rc)
        return rc;
    if (requeue < 0)
        return -1;
    /* the manager's delay is an int (about 24 days): waking early for a
     * schedule further away only computes the rest of the wait again */
    return requeue > 0x7fffffff ? 0x7fffffff : (int)requeue;
}

const k1s_controller_def k1s__ctrl_cronjob = {
    .name = K1S_CJ_COMPONENT,
    .group = "batch",
    .kind = "CronJob",
    .reconcile = reconcile,
    .watches = {{"batch", "Job", map_job}},
    .init = cj_init,
    .fini = cj_fini,
};
