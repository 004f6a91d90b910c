/*
 * pod_status.c - the PodStatus kubelet 1.33 reports, computed from
 * the runtime's containers (CRI ContainerStatus), the reasons the kubelet
 * noted for containers that do not run (start errors, backoff, pulls), the
 * probe results and the stored status: phase as kubelet's getPhase,
 * conditions PodReadyToStartContainers, Initialized, Ready,
 * ContainersReady, PodScheduled (pod_phase.c), host and pod IPs,
 * start time, and one status per container.
 *
 * Level-triggered: the same inputs give the same status, so nothing is
 * written when nothing changed, and after a restart of k1s the adopted
 * pods report exactly what they did.
 */
#include "pods_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool sidecar(const json_t *ctr)
{
    return !strcmp(k1s_json_str_or(ctr, "restartPolicy", ""), "Always");
}

bool k1s__should_restart(const json_t *pod, const json_t *ctr, const json_t *cs)
{
    if (!cs)
        return true;
    if (strcmp(k1s_json_str_or(cs, "state", ""), "CONTAINER_EXITED") != 0)
        return false;
    if (sidecar(ctr))
        return true;
    const char *policy = k1s_json_str_or(pod, "spec.restartPolicy", "");
    int code = (int)json_integer_value(json_object_get(cs, "exit_code"));
    if (!strcmp(policy, "Never"))
        return false;
    if (!strcmp(policy, "OnFailure"))
        return code != 0;
    return true; /* Always (the default) */
}

/* ---- one container ------------------------------------------------------------ */

static json_t *time_or_null(int64_t ns)
{
    if (ns <= 0)
        return json_null();
    char buf[32];
    k1s_time_format(ns / 1000000000, buf, sizeof buf);
    return json_string(buf);
}

static json_t *terminated(const json_t *cs)
{
    int code = (int)json_integer_value(json_object_get(cs, "exit_code"));
    const char *reason = k1s_json_str_or(cs, "reason", "");
    if (!*reason)
        reason = code == 0 ? "Completed" : "Error";
    char cid[200];
    snprintf(cid, sizeof cid, "containerd://%s", k1s_json_str_or(cs, "id", ""));
    json_t *t = json_pack("{s:i, s:s}", "exitCode", code, "reason", reason);
    if (*k1s_json_str_or(cs, "message", ""))
        json_object_set_new(t, "message", json_string(k1s_json_str_or(cs, "message", "")));
    json_object_set_new(t, "startedAt",
                        time_or_null(json_integer_value(json_object_get(cs, "started_at"))));
    json_object_set_new(t, "finishedAt",
                        time_or_null(json_integer_value(json_object_get(cs, "finished_at"))));
    json_object_set_new(t, "containerID", json_string(cid));
    return json_pack("{s:o}", "terminated", t);
}

static json_t *state_of(const json_t *cs)
{
    const char *st = k1s_json_str_or(cs, "state", "");
    if (!strcmp(st, "CONTAINER_RUNNING"))
        return json_pack("{s:{s:o}}", "running", "startedAt",
                         time_or_null(json_integer_value(json_object_get(cs, "started_at"))));
    if (!strcmp(st, "CONTAINER_EXITED"))
        return terminated(cs);
    return json_pack("{s:{s:s}}", "waiting", "reason", "ContainerCreating");
}

/* blocked: an init container before it has not finished (the reason a
 * container with no instance yet waits: PodInitializing). */
static json_t *container_status(k1s_kubelet *kl, const k1s__status_in *in, const json_t *ctr,
                                bool init, bool blocked, const json_t *old)
{
    const char *name = k1s_json_str_or(ctr, "name", "");
    const json_t *last = k1s__view_latest(in->v, name, NULL);
    const json_t *cs = last ? k1s__container_status(kl, in->ps, last) : NULL;
    const json_t *prev = k1s__view_previous(in->v, name);
    const json_t *pcs = prev ? k1s__container_status(kl, in->ps, prev) : NULL;
    const json_t *why = json_object_get(in->ps->waiting, name);
    json_t *state, *lastState = json_object();
    bool ready = false, started = false;
    json_int_t restarts = 0;
    const char *image = k1s_json_str_or(ctr, "image", ""), *image_id = "";
    char cid[200] = "";
    if (cs) {
        state = state_of(cs);
        restarts = json_integer_value(json_object_get(json_object_get(cs, "metadata"), "attempt"));
        const char *img = k1s_json_str_or(cs, "image.image", "");
        image = *img ? img : image;
        image_id = k1s_json_str_or(cs, "image_ref", "");
        snprintf(cid, sizeof cid, "containerd://%s", k1s_json_str_or(cs, "id", ""));
        if (pcs && !strcmp(k1s_json_str_or(pcs, "state", ""), "CONTAINER_EXITED")) {
            json_decref(lastState);
            lastState = terminated(pcs);
        } else if (restarts > 0 && json_is_object(json_object_get(old, "lastState"))) {
            json_decref(lastState); /* the previous instance is gone: keep what was said */
            lastState = json_deep_copy(json_object_get(old, "lastState"));
        }
        bool exited = !strcmp(k1s_json_str_or(cs, "state", ""), "CONTAINER_EXITED");
        if (exited && why && !in->terminal && k1s__should_restart(in->pod, ctr, cs)) {
            /* about to be restarted: waiting, the exit becomes lastState */
            json_decref(lastState);
            lastState = state;
            state =
                json_pack("{s:{s:s, s:s}}", "waiting", "reason", k1s_json_str_or(why, "reason", ""),
                          "message", k1s_json_str_or(why, "message", ""));
        } else if (!strcmp(k1s_json_str_or(cs, "state", ""), "CONTAINER_RUNNING")) {
            k1s__probe_result r;
            bool watched = k1s__probes_result(kl->probes, k1s_json_str_or(cs, "id", ""), &r);
            bool has_startup = json_object_get(ctr, "startupProbe") != NULL;
            bool has_ready = json_object_get(ctr, "readinessProbe") != NULL;
            started = !has_startup || (watched && r.started);
            ready = started && (!has_ready || (watched && r.ready));
        } else if (exited && init && !sidecar(ctr)) {
            ready = json_integer_value(json_object_get(cs, "exit_code")) == 0;
        }
    } else {
        const char *reason = why       ? k1s_json_str_or(why, "reason", "")
                             : blocked ? "PodInitializing"
                                       : "ContainerCreating";
        state = json_pack("{s:{s:s}}", "waiting", "reason", reason);
        if (why && *k1s_json_str_or(why, "message", ""))
            json_object_set_new(json_object_get(state, "waiting"), "message",
                                json_string(k1s_json_str_or(why, "message", "")));
    }
    json_t *s = json_pack("{s:s, s:o, s:o, s:b, s:I, s:s, s:s}", "name", name, "state", state,
                          "lastState", lastState, "ready", ready, "restartCount", restarts, "image",
                          image, "imageID", image_id);
    if (*cid)
        json_object_set_new(s, "containerID", json_string(cid));
    json_object_set_new(s, "started", json_boolean(started));
    /* containerd 1.6 has no recursive read-only mounts */
    json_t *mounts = k1s__mount_statuses(ctr, false);
    if (mounts)
        json_object_set_new(s, "volumeMounts", mounts);
    return s;
}

/* ---- the status -------------------------------------------------------------------------------- */

static json_t *statuses(k1s_kubelet *kl, const k1s__status_in *in, const char *list, bool init,
                        bool *all_done)
{
    const json_t *spec = json_object_get(in->pod, "spec");
    const json_t *olds = json_object_get(json_object_get(in->pod, "status"),
                                         init ? "initContainerStatuses" : "containerStatuses");
    json_t *out = json_array();
    bool blocked = !*all_done;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(spec, list), i, c)
    {
        json_t *s = container_status(kl, in, c, init, blocked,
                                     k1s__named(olds, k1s_json_str_or(c, "name", "")));
        if (init) {
            bool done = sidecar(c) ? json_is_true(json_object_get(s, "started"))
                                   : k1s__cs_has(s, "terminated") && k1s__cs_exit(s, "state") == 0;
            blocked |= !done;
        }
        json_array_append_new(out, s);
    }
    if (init)
        *all_done = !blocked;
    return out;
}

json_t *k1s__pod_status(k1s_kubelet *kl, const k1s__status_in *in)
{
    char now[32];
    k1s_time_format_now(now, sizeof now);
    const json_t *spec = json_object_get(in->pod, "spec");
    const json_t *old = json_object_get(in->pod, "status");
    bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
    const char *pod_ip = host_net && in->v->sandbox ? kl->node_ip : in->v->pod_ip;
    bool initialized = true;
    json_t *inits = statuses(kl, in, "initContainers", true, &initialized);
    json_t *ctrs = statuses(kl, in, "containers", false, &initialized);
    json_t *s = json_object();
    json_object_set_new(s, "phase",
                        json_string(k1s__pod_phase(spec, inits, ctrs, in->terminal, initialized)));
    json_object_set_new(s, "initContainerStatuses", inits);
    json_object_set_new(s, "containerStatuses", ctrs);
    bool sandbox_ok = in->v->sandbox && (host_net || *pod_ip) && !in->terminal;
    json_object_set_new(s, "conditions", k1s__pod_conditions(in->pod, s, sandbox_ok, now));
    if (!json_array_size(inits))
        json_object_del(s, "initContainerStatuses");
    json_object_set_new(s, "hostIP", json_string(kl->node_ip));
    json_object_set_new(s, "hostIPs", json_pack("[{s:s}]", "ip", kl->node_ip));
    if (*pod_ip) {
        json_object_set_new(s, "podIP", json_string(pod_ip));
        json_object_set_new(s, "podIPs", json_pack("[{s:s}]", "ip", pod_ip));
    } else if (json_object_get(old, "podIP")) { /* the sandbox is gone; the IP was this */
        json_object_set(s, "podIP", json_object_get(old, "podIP"));
        json_object_set(s, "podIPs", json_object_get(old, "podIPs"));
    }
    const json_t *start = json_object_get(old, "startTime");
    json_object_set_new(s, "startTime",
                        json_is_string(start)
                            ? json_incref((json_t *)start)
                            : json_string(*in->ps->start_time ? in->ps->start_time : now));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)old, k, v) if (!json_object_get(s, k))
        json_object_set(s, k, v); /* fields others own (qosClass, ...) */
    return s;
}
