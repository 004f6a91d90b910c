/*
 * pod_kill.c - stopping pods and containers. StopContainer with a
 * timeout makes containerd send SIGTERM and SIGKILL when the grace period
 * is over, so a stop may take the whole grace period: stops run in the
 * background (one thread per container, so each gets the full period), and
 * the loop goes on with other pods.
 *
 * Deletion, as kubelet does it: the containers of a pod marked for
 * deletion are stopped with the pod's grace period (Killing events), the
 * sandbox stopped, the final status written (containers terminated, phase
 * Succeeded or Failed), then the sandbox removed (with its containers),
 * the volumes cleaned up, the pod's directory removed, and the pod deleted
 * with grace 0, which removes it from the API.
 */
#include "pods_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_GRACE_S 2 /* kubelet's minimumGracePeriodInSeconds */

int64_t k1s__grace(const json_t *pod)
{
    const json_t *m = json_object_get(pod, "metadata");
    const json_t *g = json_object_get(m, "deletionGracePeriodSeconds");
    if (!json_is_integer(g))
        g = json_object_get(json_object_get(pod, "spec"), "terminationGracePeriodSeconds");
    int64_t s = json_is_integer(g) ? json_integer_value(g) : 30;
    if (s < MIN_GRACE_S)
        s = MIN_GRACE_S;
    return s > 3600 ? 3600 : s;
}

/* ---- the background job ------------------------------------------------------------ */

typedef struct stop_one {
    k1s__kill_job *job;
    const char *id;
    char err[512];
} stop_one;

static void *stop_main(void *arg)
{
    stop_one *s = arg;
    json_t *rq =
        json_pack("{s:s, s:I}", "container_id", s->id, "timeout", (json_int_t)s->job->grace_s);
    json_t *r = NULL;
    k1s_cri_error e = {0};
    int timeout = (int)(s->job->grace_s + 30) * 1000;
    if (k1s_cri_call(s->job->cri, "StopContainer", rq, &r, timeout, &e) != 0)
        snprintf(s->err, sizeof s->err, "%s", e.message ? e.message : "rpc error");
    k1s_cri_error_clear(&e);
    json_decref(r);
    json_decref(rq);
    return NULL;
}

static void call(k1s__kill_job *j, const char *method, const char *field, const char *id)
{
    json_t *rq = json_pack("{s:s}", field, id), *r = NULL;
    k1s_cri_error e = {0};
    if (k1s_cri_call(j->cri, method, rq, &r, K1S__CRI_WORK, &e) != 0 && !*j->err)
        snprintf(j->err, sizeof j->err, "%s %s: %s", method, id, e.message ? e.message : "?");
    k1s_cri_error_clear(&e);
    json_decref(r);
    json_decref(rq);
}

static void kill_main(void *arg)
{
    k1s__kill_job *j = arg;
    size_t n = json_array_size(j->containers);
    stop_one *s = calloc(n ? n : 1, sizeof *s);
    pthread_t *th = calloc(n ? n : 1, sizeof *th);
    bool *started = calloc(n ? n : 1, sizeof *started);
    for (size_t i = 0; s && th && started && i < n; i++) {
        s[i] = (stop_one){.job = j, .id = json_string_value(json_array_get(j->containers, i))};
        started[i] = pthread_create(&th[i], NULL, stop_main, &s[i]) == 0;
        if (!started[i])
            stop_main(&s[i]);
    }
    for (size_t i = 0; s && th && started && i < n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        if (*s[i].err && !*j->err)
            snprintf(j->err, sizeof j->err, "%s", s[i].err);
    }
    free(s);
    free(th);
    free(started);
    size_t i;
    const json_t *id;
    if (j->remove)
        json_array_foreach(j->containers, i, id)
            call(j, "RemoveContainer", "container_id", json_string_value(id));
    json_array_foreach(j->sandboxes, i, id)
    {
        call(j, "StopPodSandbox", "pod_sandbox_id", json_string_value(id));
        if (j->remove)
            call(j, "RemovePodSandbox", "pod_sandbox_id", json_string_value(id));
    }
    if (j->dir) {
        k1s_spec_volumes_cleanup(j->dir);
        k1s__rmtree(j->dir);
    }
}

static k1s__kill_job *new_job(k1s_kubelet *kl, const char *uid, int64_t grace_s, bool remove)
{
    k1s__kill_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->cri = kl->cri;
    j->containers = json_array();
    j->sandboxes = json_array();
    j->grace_s = grace_s < 0 ? 0 : grace_s;
    j->remove = remove;
    snprintf(j->uid, sizeof j->uid, "%s", uid);
    return j;
}

static void free_job(k1s__kill_job *j)
{
    if (!j)
        return;
    json_decref(j->containers);
    json_decref(j->sandboxes);
    free(j->dir);
    free(j);
}

/* ---- a pod's kills ---------------------------------------------------------------------- */

void k1s__kill_start(k1s_kubelet *kl, k1s__pod *ps, const k1s__view *v, const char *only_cid,
                     int64_t grace_s, bool remove)
{
    if (ps->task)
        return;
    k1s__kill_job *j = new_job(kl, ps->uid, grace_s, remove);
    if (!j)
        return;
    size_t i;
    const json_t *x;
    json_array_foreach(v->containers, i, x)
    {
        const char *st = k1s_json_str_or(x, "state", "");
        if (only_cid
                ? !strcmp(k1s_json_str_or(x, "id", ""), only_cid)
                : remove || !strcmp(st, "CONTAINER_RUNNING") || !strcmp(st, "CONTAINER_CREATED"))
            json_array_append_new(j->containers, json_string(k1s_json_str_or(x, "id", "")));
    }
    if (!only_cid)
        json_array_foreach(v->sandboxes, i, x)
            json_array_append_new(j->sandboxes, json_string(k1s_json_str_or(x, "id", "")));
    ps->job = j;
    ps->task = k1s__task_start(kill_main, j);
    if (!ps->task) {
        free_job(j);
        ps->job = NULL;
    }
}

bool k1s__kill_done(k1s_kubelet *kl, k1s__pod *ps)
{
    if (ps->task && !k1s__task_done(ps->task))
        return false;
    k1s__task_join(ps->task);
    ps->task = NULL;
    if (ps->job && *ps->job->err && !kl->quiet)
        fprintf(stderr, "k1s: kubelet: stopping pod %s/%s: %s\n", ps->ns, ps->name, ps->job->err);
    free_job(ps->job);
    ps->job = NULL;
    return true;
}

static bool anything_runs(const k1s__view *v)
{
    size_t i;
    const json_t *x;
    json_array_foreach(v->containers, i, x)
    {
        const char *st = k1s_json_str_or(x, "state", "");
        if (!strcmp(st, "CONTAINER_RUNNING") || !strcmp(st, "CONTAINER_CREATED"))
            return true;
    }
    json_array_foreach(v->sandboxes, i, x) if (!strcmp(k1s_json_str_or(x, "state", ""),
                                                       "SANDBOX_READY")) return true;
    return false;
}

int k1s__pod_terminate(k1s_kubelet *kl, k1s__pod *ps, const json_t *cached, k1s__view *v)
{
    const json_t *pod = k1s__pod_base(ps, cached);
    if (!ps->killed && anything_runs(v)) {
        if (!ps->killing_events) {
            size_t i;
            const json_t *c;
            const char *lists[] = {"initContainers", "containers"};
            for (int l = 0; l < 2; l++)
                json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, c)
                {
                    const json_t *cur = k1s__view_latest(v, k1s_json_str_or(c, "name", ""), NULL);
                    if (cur && !strcmp(k1s_json_str_or(cur, "state", ""), "CONTAINER_RUNNING"))
                        K1S__EVENT(kl, pod, "Normal", "Killing", "Stopping container %s",
                                   k1s_json_str_or(c, "name", ""));
                }
            ps->killing_events = true;
        }
        k1s__probes_retain(kl->probes, ps->uid, NULL);
        k1s__kill_start(kl, ps, v, NULL, k1s__grace(pod), false);
        return k1s__requeue(&ps->armed, 50);
    }
    ps->killed = true;
    /* the last word on the containers, then nothing is left */
    k1s__status_in in = {.pod = pod, .ps = ps, .v = v, .terminal = true};
    int rc = k1s__pod_write_status(kl, ps, pod, k1s__pod_status(kl, &in));
    if (rc == 409)
        return k1s__requeue(&ps->armed, 100);
    if (rc != 0 && rc != 404)
        return -1;
    size_t i;
    const json_t *x;
    json_array_foreach(v->sandboxes, i, x)
    {
        json_t *rq = json_pack("{s:s}", "pod_sandbox_id", k1s_json_str_or(x, "id", ""));
        json_t *r = k1s__cri(kl, "RemovePodSandbox", rq, K1S__CRI_WORK, NULL, 0);
        json_decref(rq);
        if (!r)
            return -1;
        json_decref(r);
    }
    char dir[4200];
    k1s__pod_dir(kl, ps->ns, ps->name, ps->uid, dir, sizeof dir);
    k1s_spec_volumes_cleanup(dir);
    k1s__rmtree(dir);
    rc = k1s_ctrl_delete(kl->c, "", "Pod", ps->ns, ps->name, 0, ps->uid);
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

/* ---- orphans ---------------------------------------------------------------------------- */

void k1s__reap(k1s_kubelet *kl, const char *uid, const json_t *sandbox_ids,
               const json_t *container_ids, const char *dir)
{
    for (size_t i = 0; i < kl->reaps.n; i++)
        if (!strcmp(((k1s__reaping *)k1s_vec_at(&kl->reaps, i))->job->uid, uid))
            return; /* already on it */
    k1s__kill_job *j = new_job(kl, uid, MIN_GRACE_S, true);
    k1s__reaping *r = j ? k1s_vec_push(&kl->reaps) : NULL;
    if (!r) {
        free_job(j);
        return;
    }
    if (sandbox_ids)
        json_array_extend(j->sandboxes, (json_t *)sandbox_ids);
    if (container_ids)
        json_array_extend(j->containers, (json_t *)container_ids);
    j->dir = dir ? strdup(dir) : NULL;
    *r = (k1s__reaping){k1s__task_start(kill_main, j), j};
    if (!r->task) {
        free_job(j);
        k1s_vec_remove(&kl->reaps, kl->reaps.n - 1); /* r */
    }
}

void k1s__reaps_join(k1s_kubelet *kl, bool all)
{
    for (size_t i = 0; i < kl->reaps.n;) {
        k1s__reaping *r = k1s_vec_at(&kl->reaps, i);
        if (!all && !k1s__task_done(r->task)) {
            i++;
            continue;
        }
        k1s__task_join(r->task);
        free_job(r->job);
        k1s_vec_remove(&kl->reaps, i);
    }
}
