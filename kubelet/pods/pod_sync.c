/*
 * pod_sync.c - one pass of a pod bound to this node, as kubelet's
 * SyncPod: read what the runtime has (pod_runtime.c); a pod marked
 * for deletion is terminated (pod_kill.c); a pod already Succeeded
 * or Failed gets its sandbox stopped; otherwise the sandbox is made (again,
 * with SandboxChanged, when it died), the containers are started or
 * restarted (pod_start.c), and the status is written right away
 * when it changed (pod_status.c) - no waiting for the next poll, so
 * a pod goes Running as soon as its containers have started.
 *
 * A pod gone from the API whose sandbox remains (force deletion) has its
 * sandbox and containers removed in the background.
 */
#include "pods_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool terminal_phase(const json_t *pod)
{
    const char *ph = k1s_json_str_or(pod, "status.phase", "");
    return !strcmp(ph, "Succeeded") || !strcmp(ph, "Failed");
}

static int64_t rv_of(const json_t *o)
{
    int64_t rv = 0;
    if (k1s_parse_rv(k1s_json_str_or(o, "metadata.resourceVersion", ""), &rv) != 0)
        rv = 0;
    return rv;
}

const json_t *k1s__pod_base(k1s__pod *ps, const json_t *cached)
{
    if (ps->latest && rv_of(ps->latest) > rv_of(cached) &&
        !strcmp(k1s_json_str_or(ps->latest, "metadata.uid", ""),
                k1s_json_str_or(cached, "metadata.uid", "")))
        return ps->latest;
    json_decref(ps->latest); /* the cache has caught up */
    ps->latest = NULL;
    return cached;
}

int k1s__pod_write_status(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, json_t *status)
{
    if (json_equal(status, json_object_get(pod, "status"))) {
        json_decref(status);
        return 0;
    }
    json_t *copy = json_deep_copy(pod), *out = NULL;
    json_object_set_new(copy, "status", status);
    int rc = k1s_ctrl_update(kl->c, "", "Pod", ps->ns, "status", copy, &out);
    json_decref(copy);
    if (rc == 0) {
        json_decref(ps->latest);
        ps->latest = out;
    } else {
        json_decref(out);
    }
    return rc;
}

/* ---- pods that are gone ----------------------------------------------------------- */

/* Remove what the runtime still has of ps, in the background, and forget
 * it. 0, or a requeue while a kill of it still runs. */
static int forget(k1s_kubelet *kl, k1s__pod *ps)
{
    if (ps->task && !k1s__kill_done(kl, ps))
        return k1s__requeue(&ps->armed, 50);
    k1s__view v;
    if (k1s__view_load(kl, ps->uid, &v) != 0)
        return -1;
    json_t *sbs = json_array(), *ctrs = json_array();
    size_t i;
    const json_t *x;
    json_array_foreach(v.sandboxes, i, x)
        json_array_append_new(sbs, json_string(k1s_json_str_or(x, "id", "")));
    json_array_foreach(v.containers, i, x)
        json_array_append_new(ctrs, json_string(k1s_json_str_or(x, "id", "")));
    char dir[4200];
    struct stat st;
    k1s__pod_dir(kl, ps->ns, ps->name, ps->uid, dir, sizeof dir);
    if (json_array_size(sbs) || json_array_size(ctrs) || stat(dir, &st) == 0)
        k1s__reap(kl, ps->uid, sbs, ctrs, dir);
    json_decref(sbs);
    json_decref(ctrs);
    k1s__view_free(&v);
    k1s__pod_drop(kl, ps);
    return 0;
}

/* States of pods named ns/name other than uid (NULL: all) are forgotten. */
static int forget_others(k1s_kubelet *kl, const char *ns, const char *name, const char *uid)
{
    int rc = 0;
    for (size_t i = 0; i < kl->pods.n;) {
        k1s__pod *ps = k1s__pod_at(kl, i);
        if (strcmp(ps->ns, ns) != 0 || strcmp(ps->name, name) != 0 ||
            (uid && !strcmp(ps->uid, uid))) {
            i++;
            continue;
        }
        int r = forget(kl, ps);
        if (r != 0) {
            rc = rc == 0 || (r > 0 && r < rc) ? r : rc;
            i++;
            continue;
        }
        /* dropped: the same index now holds another state */
    }
    return rc;
}

/* ---- a running pod ------------------------------------------------------------------- */

static void stop_sandbox(k1s_kubelet *kl, k1s__pod *ps, const k1s__view *v)
{
    if (ps->sandbox_stopped || !v->sandbox)
        return;
    json_t *rq = json_pack("{s:s}", "pod_sandbox_id", k1s_json_str_or(v->sandbox, "id", ""));
    json_t *r = k1s__cri(kl, "StopPodSandbox", rq, K1S__CRI_WORK, NULL, 0);
    json_decref(rq);
    ps->sandbox_stopped = r != NULL;
    json_decref(r);
    k1s__probes_retain(kl->probes, ps->uid, NULL);
}

static bool any_running(const k1s__view *v)
{
    size_t i;
    const json_t *c;
    json_array_foreach(v->containers, i, c) if (!strcmp(k1s_json_str_or(c, "state", ""),
                                                        "CONTAINER_RUNNING")) return true;
    return false;
}

/* Dead sandboxes that hold no container (a RunPodSandbox that failed half
 * way) are removed, as kubelet's garbage collector does. Whether one that
 * ran containers remains: then the sandbox really changed. */
static bool remove_empty_sandboxes(k1s_kubelet *kl, const k1s__view *v)
{
    bool ran = false;
    size_t i, j;
    const json_t *sb, *c;
    json_array_foreach(v->sandboxes, i, sb)
    {
        bool used = false;
        json_array_foreach(v->containers, j, c) used |=
            !strcmp(k1s_json_str_or(c, "pod_sandbox_id", ""), k1s_json_str_or(sb, "id", ""));
        ran |= used;
        if (used)
            continue;
        json_t *rq = json_pack("{s:s}", "pod_sandbox_id", k1s_json_str_or(sb, "id", ""));
        json_decref(k1s__cri(kl, "RemovePodSandbox", rq, K1S__CRI_WORK, NULL, 0));
        json_decref(rq);
    }
    return ran;
}

/* The pod has no ready sandbox: make one. 1 when it is there (the view
 * reloaded), 0 when the pod must wait (retry set), -1 on runtime error. */
static int ensure_sandbox(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, k1s__view *v,
                          int64_t *retry)
{
    const char *policy = k1s_json_str_or(pod, "spec.restartPolicy", "");
    if (json_array_size(v->sandboxes)) {
        if (any_running(v)) { /* what the dead sandbox left goes first */
            k1s__kill_start(kl, ps, v, NULL, k1s__grace(pod), false);
            *retry = 50;
            return 0;
        }
        /* a pod that never restarts is not run again in a new sandbox */
        if (!strcmp(policy, "Never") && json_array_size(v->containers))
            return 0;
        if (remove_empty_sandboxes(kl, v))
            K1S__EVENT(kl, pod, "Normal", "SandboxChanged",
                       "Pod sandbox changed, it will be killed and re-created.");
    }
    char id[160], err[1024];
    if (k1s__sandbox_run(kl, pod, v->next_attempt, id, sizeof id, err, sizeof err) != 0) {
        const char *d = strstr(err, "desc = ");
        K1S__EVENT(kl, pod, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: %s",
                   d ? d + 7 : err);
        *retry = 5000;
        return 0;
    }
    ps->sandbox_stopped = false;
    k1s__view_free(v);
    return k1s__view_load(kl, ps->uid, v) == 0 ? 1 : -1;
}

/* Watch the probes of running containers; forget the others. */
static void probes_follow(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, const k1s__view *v,
                          const char *pod_ip)
{
    json_t *keep = json_object();
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ps->ns, ps->name);
    const char *lists[] = {"initContainers", "containers"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[l]), i, c)
        {
            const json_t *cur = k1s__view_latest(v, k1s_json_str_or(c, "name", ""), NULL);
            if (!cur || strcmp(k1s_json_str_or(cur, "state", ""), "CONTAINER_RUNNING") != 0)
                continue;
            const json_t *cs = k1s__container_status(kl, ps, cur);
            int64_t started_ns = json_integer_value(json_object_get(cs, "started_at"));
            /* monotonic start: the wall time's age, from now */
            int64_t age = k1s_time_wall_ms() - started_ns / 1000000;
            k1s__probes_watch(kl->probes, ps->uid, key, k1s_json_str_or(cur, "id", ""), c, pod_ip,
                              k1s_ctrl_now_ms() - (age > 0 ? age : 0));
            json_object_set_new(keep, k1s_json_str_or(cur, "id", ""), json_true());
        }
    }
    k1s__probes_retain(kl->probes, ps->uid, keep);
    json_decref(keep);
}

static int run(k1s_kubelet *kl, k1s__pod *ps, const json_t *cached, k1s__view *v)
{
    const json_t *pod = k1s__pod_base(ps, cached);
    if (terminal_phase(pod)) {
        stop_sandbox(kl, ps, v);
        return 0;
    }
    int64_t retry = 0;
    k1s__pass p = {.pod = pod, .v = v};
    char hosts[4300] = "";
    if (!v->sandbox) {
        int rc = ensure_sandbox(kl, ps, pod, v, &retry);
        if (rc < 0)
            return -1;
    }
    bool host_net = json_is_true(json_object_get(json_object_get(pod, "spec"), "hostNetwork"));
    if (v->sandbox && !ps->task) {
        p.sandbox_id = k1s_json_str_or(v->sandbox, "id", "");
        p.pod_ip = host_net ? kl->node_ip : v->pod_ip;
        k1s__etc_hosts(kl, pod, p.pod_ip, hosts, sizeof hosts);
        p.etc_hosts = hosts;
        k1s__pod_containers(kl, ps, &p);
        json_decref(p.volumes);
        k1s__retry_min(&retry, p.retry_ms);
        if (p.changed) {
            k1s__view_free(v);
            if (k1s__view_load(kl, ps->uid, v) != 0)
                return -1;
        }
    }
    if (ps->task)
        k1s__retry_min(&retry, 50);
    k1s__status_in in = {.pod = pod, .ps = ps, .v = v, .terminal = false};
    json_t *status = k1s__pod_status(kl, &in);
    int rc = k1s__pod_write_status(kl, ps, pod, status);
    if (rc == 409)
        k1s__retry_min(&retry, 100); /* the newer pod is on its way */
    else if (rc != 0 && rc != 404)
        return -1;
    probes_follow(kl, ps, pod, v, host_net ? kl->node_ip : v->pod_ip);
    if (p.changed)
        k1s__view_gc(kl, ps, v);
    return retry > 0 ? k1s__requeue(&ps->armed, retry) : 0;
}

int k1s__pod_sync(k1s_kubelet *kl, const char *ns, const char *name, const json_t *pod)
{
    if (!pod)
        return forget_others(kl, ns, name, NULL);
    if (strcmp(k1s_json_str_or(pod, "spec.nodeName", ""), kl->node) != 0)
        return 0;
    int rc = forget_others(kl, ns, name, k1s_json_str_or(pod, "metadata.uid", ""));
    if (rc != 0)
        return rc;
    k1s__pod *ps = k1s__pod_get(kl, pod);
    if (!ps)
        return -1;
    if (ps->task && !k1s__kill_done(kl, ps))
        return k1s__requeue(&ps->armed, 50);
    if (!*ps->start_time)
        k1s_time_format_now(ps->start_time, sizeof ps->start_time);
    k1s__view v;
    if (k1s__view_load(kl, ps->uid, &v) != 0)
        return -1;
    if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
        rc = k1s__pod_terminate(kl, ps, pod, &v);
    else
        rc = run(kl, ps, pod, &v);
    k1s__view_free(&v);
    return rc;
}
