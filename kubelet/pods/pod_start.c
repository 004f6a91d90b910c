/*
 * pod_start.c - what a pass does with the containers of a pod
 * whose sandbox runs, in kubelet's order (computePodActions): init
 * containers one at a time, each to exit 0 (restartable "sidecar" init
 * containers to start), then every container; an exited container is
 * started again when restartPolicy says so, the first time at once and
 * then after a CrashLoopBackOff delay (10 s doubling to 5 min, reset
 * after 10 min without a failure); a container whose liveness or startup
 * probe gave up is stopped (in the background) and restarted the same way.
 */
#include "pods_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool sidecar(const json_t *ctr)
{
    return !strcmp(k1s_json_str_or(ctr, "restartPolicy", ""), "Always");
}

static const char *state(const json_t *cs)
{
    return k1s_json_str_or(cs, "state", "");
}

static int64_t finished_ms(const json_t *cs)
{
    return json_integer_value(json_object_get(cs, "finished_at")) / 1000000;
}

/* No instance known: the attempt after the newest log file's, as kubelet
 * does, so a runtime that lost its state does not overwrite old logs. */
static uint32_t attempt_from_logs(k1s_kubelet *kl, const k1s__pod *ps, const char *name)
{
    char dir[4500];
    k1s__pod_dir(kl, ps->ns, ps->name, ps->uid, dir, sizeof dir);
    size_t n = strlen(dir);
    snprintf(dir + n, sizeof dir - n, "/%s", name);
    DIR *d = opendir(dir);
    struct dirent *e;
    long best = -1;
    while (d && (e = readdir(d))) {
        char *end = NULL;
        long v = strtol(e->d_name, &end, 10);
        if (end != e->d_name && !strcmp(end, ".log") && v > best && v < 1000000)
            best = v;
    }
    if (d)
        closedir(d);
    return (uint32_t)(best + 1);
}

/* The volumes, made once per pass when the first container needs them. */
static bool volumes(k1s_kubelet *kl, k1s__pod *ps, k1s__pass *p, const char *name)
{
    if (p->volumes)
        return true;
    char dir[4200];
    k1s__pod_dir(kl, ps->ns, ps->name, ps->uid, dir, sizeof dir);
    k1s_spec_lookup lk = k1s__lookup(kl);
    k1s_spec_error e = {{0}, {0}};
    if (k1s_spec_volumes(p->pod, dir, &lk, &p->volumes, &e) == 0) {
        ps->volumes_ok = true;
        return true;
    }
    p->volumes = NULL;
    k1s__set_waiting(ps, name, *e.reason ? e.reason : "ContainerCreating", e.message);
    K1S__EVENT(kl, p->pod, "Warning", "FailedMount", "%s", e.message);
    ps->config_wait = true;
    k1s__retry_min(&p->retry_ms, 5000);
    return false;
}

/* Start container ctr (spec entry) anew: backoff, image, volumes, create,
 * start. last: its latest instance anywhere (for the attempt number). */
static void start_one(k1s_kubelet *kl, k1s__pod *ps, k1s__pass *p, const json_t *ctr, bool init)
{
    const char *name = k1s_json_str_or(ctr, "name", "");
    const json_t *last = k1s__view_latest(p->v, name, NULL);
    const json_t *lcs = last ? k1s__container_status(kl, ps, last) : NULL;
    uint32_t attempt;
    if (last)
        attempt = (uint32_t)json_integer_value(
                      json_object_get(json_object_get(last, "metadata"), "attempt")) +
                  1;
    else
        attempt = attempt_from_logs(kl, ps, name);
    char key[300];
    snprintf(key, sizeof key, "c:%s", name);
    if (lcs && !strcmp(state(lcs), "CONTAINER_EXITED")) {
        int64_t left;
        if (k1s__backoff_active(ps, key, finished_ms(lcs), &left)) {
            char delay[48], msg[1200];
            k1s__go_duration(k1s__backoff_delay(ps, key), delay, sizeof delay);
            snprintf(msg, sizeof msg, "back-off %s restarting failed container=%s pod=%s_%s(%s)",
                     delay, name, ps->name, ps->ns, ps->uid);
            const json_t *was = json_object_get(ps->waiting, name);
            if (strcmp(k1s_json_str_or(was, "message", ""), msg) != 0)
                K1S__EVENT(kl, p->pod, "Warning", "BackOff",
                           "Back-off restarting failed container %s in pod %s_%s(%s)", name,
                           ps->name, ps->ns, ps->uid);
            k1s__set_waiting(ps, name, "CrashLoopBackOff", msg);
            k1s__retry_min(&p->retry_ms, left);
            return;
        }
    }
    char ref[512];
    int64_t rms = 0;
    if (k1s__image_ensure(kl, ps, p->pod, ctr, ref, sizeof ref, &rms) != K1S__IMAGE_READY) {
        k1s__retry_min(&p->retry_ms, rms);
        return;
    }
    if (!volumes(kl, ps, p, name))
        return;
    k1s__start s = {.pod = p->pod,
                    .container = ctr,
                    .init = init,
                    .attempt = attempt,
                    .sandbox_id = p->sandbox_id,
                    .pod_ip = p->pod_ip,
                    .image_ref = ref,
                    .volumes = p->volumes,
                    .etc_hosts = p->etc_hosts};
    if (lcs && !strcmp(state(lcs), "CONTAINER_EXITED"))
        k1s__backoff_next(ps, key, finished_ms(lcs));
    if (k1s__container_start(kl, ps, &s) == 0) {
        ps->config_wait = false;
        p->changed = true;
        k1s__poll_soon(kl);
    } else {
        k1s__retry_min(&p->retry_ms, ps->config_wait ? 10000 : 2000);
    }
}

/* A running container whose liveness or startup probe gave up: stop it
 * (the restart follows its exit). true when a kill started. */
static bool probe_kill(k1s_kubelet *kl, k1s__pod *ps, k1s__pass *p, const json_t *ctr,
                       const json_t *cs)
{
    k1s__probe_result r;
    const char *cid = k1s_json_str_or(cs, "id", "");
    if (!k1s__probes_result(kl->probes, cid, &r) || (r.live && !r.startup_failed))
        return false;
    if (json_object_get(ps->unhealthy, cid))
        return false; /* already told to stop */
    const char *name = k1s_json_str_or(ctr, "name", "");
    K1S__EVENT(kl, p->pod, "Normal", "Killing", "Container %s failed %s probe, will be restarted",
               name, r.startup_failed ? "startup" : "liveness");
    json_object_set_new(ps->unhealthy, cid, json_true());
    const json_t *probe = json_object_get(ctr, r.startup_failed ? "startupProbe" : "livenessProbe");
    const json_t *pg = json_object_get(probe, "terminationGracePeriodSeconds");
    k1s__kill_start(kl, ps, p->v, cid,
                    json_is_integer(pg) ? json_integer_value(pg) : k1s__grace(p->pod), false);
    return true;
}

/* A created container that never ran (k1s stopped between create and
 * start): remove it so the attempt can be made again. */
static void remove_created(k1s_kubelet *kl, const json_t *cs)
{
    json_t *rq = json_pack("{s:s}", "container_id", k1s_json_str_or(cs, "id", ""));
    json_decref(k1s__cri(kl, "RemoveContainer", rq, K1S__CRI_QUICK, NULL, 0));
    json_decref(rq);
}

/* Init containers; true when all are done (sidecars started). */
static bool init_containers(k1s_kubelet *kl, k1s__pod *ps, k1s__pass *p)
{
    const json_t *spec = json_object_get(p->pod, "spec");
    bool never = !strcmp(k1s_json_str_or(spec, "restartPolicy", ""), "Never");
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(spec, "initContainers"), i, c)
    {
        const json_t *cur = k1s__view_latest(p->v, k1s_json_str_or(c, "name", ""), p->sandbox_id);
        const json_t *cs = cur ? k1s__container_status(kl, ps, cur) : NULL;
        const char *st = state(cs);
        if (sidecar(c)) {
            if (!strcmp(st, "CONTAINER_RUNNING")) {
                if (probe_kill(kl, ps, p, c, cs))
                    return false;
                k1s__probe_result r;
                if (!json_object_get(c, "startupProbe") ||
                    (k1s__probes_result(kl->probes, k1s_json_str_or(cs, "id", ""), &r) &&
                     r.started))
                    continue;
                return false; /* not started yet */
            }
            if (!strcmp(st, "CONTAINER_CREATED"))
                remove_created(kl, cs);
            start_one(kl, ps, p, c, true);
            if (p->changed && !json_object_get(c, "startupProbe"))
                continue;
            return false;
        }
        if (!strcmp(st, "CONTAINER_EXITED") &&
            json_integer_value(json_object_get(cs, "exit_code")) == 0)
            continue;
        if (!strcmp(st, "CONTAINER_RUNNING"))
            return false;
        if (!strcmp(st, "CONTAINER_EXITED") && never)
            return false; /* the pod has failed */
        if (!strcmp(st, "CONTAINER_CREATED"))
            remove_created(kl, cs);
        start_one(kl, ps, p, c, true);
        return false;
    }
    return true;
}

/* Whether a regular container ran in this sandbox: then the init
 * containers ran before it, even if their instances are gone. */
static bool any_regular_ran(const k1s__pass *p)
{
    size_t i;
    const json_t *c;
    json_array_foreach(
        json_object_get(json_object_get(p->pod, "spec"), "containers"), i,
        c) if (k1s__view_latest(p->v, k1s_json_str_or(c, "name", ""), p->sandbox_id)) return true;
    return false;
}

void k1s__pod_containers(k1s_kubelet *kl, k1s__pod *ps, k1s__pass *p)
{
    if (!any_regular_ran(p) && !init_containers(kl, ps, p))
        return;
    if (ps->task)
        return; /* a probe kill started */
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(p->pod, "spec"), "containers"), i, c)
    {
        const json_t *cur = k1s__view_latest(p->v, k1s_json_str_or(c, "name", ""), p->sandbox_id);
        const json_t *cs = cur ? k1s__container_status(kl, ps, cur) : NULL;
        const char *st = state(cs);
        if (!strcmp(st, "CONTAINER_RUNNING")) {
            if (probe_kill(kl, ps, p, c, cs))
                return;
            continue;
        }
        if (!strcmp(st, "CONTAINER_CREATED")) {
            remove_created(kl, cs);
            cs = NULL;
        }
        /* a container of an older sandbox counts as exited here */
        if (!cs && !cur) {
            const json_t *old = k1s__view_latest(p->v, k1s_json_str_or(c, "name", ""), NULL);
            const json_t *ocs = old ? k1s__container_status(kl, ps, old) : NULL;
            if (ocs && !k1s__should_restart(p->pod, c, ocs))
                continue; /* it is done; a new sandbox does not run it again */
        }
        if (k1s__should_restart(p->pod, c, cs))
            start_one(kl, ps, p, c, false);
    }
}
