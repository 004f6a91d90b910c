/*
 * pod_phase.c - a pod's phase and conditions from its container
 * statuses, as kubelet 1.33 computes them (getPhase; the Initialized,
 * ContainersReady and Ready generators with their reasons and messages;
 * PodReadyToStartContainers from the sandbox; readiness gates). Both modes
 * use them: pod_status.c on the runtime's containers, sim_status.c
 * on the simulated ones.
 */
#include "node_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const json_t *k1s__named(const json_t *arr, const char *name)
{
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i, x) if (!strcmp(k1s_json_str_or(x, "name", ""), name)) return x;
    return NULL;
}

/* The last condition of type in conds (an array), or NULL. */
static const json_t *last_of_type(const json_t *conds, const char *type)
{
    const json_t *last = NULL;
    size_t i;
    const json_t *x;
    json_array_foreach(conds, i, x) if (!strcmp(k1s_json_str_or(x, "type", ""), type)) last = x;
    return last;
}

static bool sidecar(const json_t *ctr)
{
    return !strcmp(k1s_json_str_or(ctr, "restartPolicy", ""), "Always");
}

/* ---- phase ------------------------------------------------------------------------------ */

bool k1s__cs_has(const json_t *cs, const char *state)
{
    return json_object_get(json_object_get(cs, "state"), state) != NULL;
}

static bool restarted(const json_t *cs)
{
    return json_object_get(json_object_get(cs, "lastState"), "terminated") != NULL;
}

int k1s__cs_exit(const json_t *cs, const char *which)
{
    return (int)json_integer_value(
        json_object_get(json_object_get(json_object_get(cs, which), "terminated"), "exitCode"));
}

const char *k1s__pod_phase(const json_t *spec, const json_t *inits, const json_t *ctrs,
                           bool terminal, bool initialized)
{
    int pending_init = 0, pending_sidecars = 0, failed_init = 0;
    int running = 0, waiting = 0, stopped = 0, succeeded = 0;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(spec, "initContainers"), i, c)
    {
        const json_t *cs = k1s__named(inits, k1s_json_str_or(c, "name", ""));
        if (sidecar(c)) {
            if (k1s__cs_has(cs, "running")) {
                pending_sidecars += !json_is_true(json_object_get(cs, "started"));
                running++;
            } else if (k1s__cs_has(cs, "waiting") && !restarted(cs)) {
                pending_sidecars++;
            }
        } else if (k1s__cs_has(cs, "terminated")) {
            failed_init += k1s__cs_exit(cs, "state") != 0;
        } else if (k1s__cs_has(cs, "waiting") && restarted(cs)) {
            failed_init += k1s__cs_exit(cs, "lastState") != 0;
        } else {
            pending_init++;
        }
    }
    json_array_foreach(json_object_get(spec, "containers"), i, c)
    {
        const json_t *cs = k1s__named(ctrs, k1s_json_str_or(c, "name", ""));
        if (k1s__cs_has(cs, "running")) {
            running++;
        } else if (k1s__cs_has(cs, "terminated")) {
            stopped++;
            succeeded += k1s__cs_exit(cs, "state") == 0;
        } else if (restarted(cs)) {
            stopped++;
        } else {
            waiting++;
        }
    }
    const char *policy = k1s_json_str_or(spec, "restartPolicy", "");
    if (failed_init > 0 && !strcmp(policy, "Never"))
        return "Failed";
    if (pending_init > 0 || (pending_sidecars > 0 && !initialized) || waiting > 0)
        return terminal ? "Failed" : "Pending";
    if (running > 0)
        return "Running";
    if (stopped > 0) {
        if (terminal)
            return stopped == succeeded ? "Succeeded" : "Failed";
        if (!*policy || !strcmp(policy, "Always"))
            return "Running";
        if (stopped == succeeded)
            return "Succeeded";
        return !strcmp(policy, "Never") ? "Failed" : "Running";
    }
    return terminal ? "Failed" : "Pending";
}

/* ---- conditions ---------------------------------------------------------------------------- */

static json_t *condition(const json_t *prevs, const char *type, bool ok, const char *reason,
                         const char *message, const char *now)
{
    const json_t *prev = last_of_type(prevs, type);
    const char *status = ok ? "True" : "False";
    json_t *c = json_pack("{s:s, s:s, s:n, s:s}", "type", type, "status", status, "lastProbeTime",
                          "lastTransitionTime", now);
    const json_t *was = json_object_get(prev, "lastTransitionTime");
    if (prev && !strcmp(k1s_json_str_or(prev, "status", ""), status) && json_is_string(was))
        json_object_set(c, "lastTransitionTime", (json_t *)was); /* moves only on a change */
    if (reason && *reason)
        json_object_set_new(c, "reason", json_string(reason));
    if (message && *message)
        json_object_set_new(c, "message", json_string(message));
    return c;
}

/* "[a b]": a Go []string printed with %s. */
static void names_of(json_t *names, char *buf, size_t len)
{
    size_t n = snprintf(buf, len, "[");
    size_t i;
    const json_t *x;
    json_array_foreach(names, i, x) if (n < len) n +=
        snprintf(buf + n, len - n, "%s%s", i ? " " : "", json_string_value(x));
    if (n < len)
        snprintf(buf + n, len - n, "]");
}

static const char *gates_message(const json_t *pod, const json_t *conds, char *buf, size_t len)
{
    size_t i;
    const json_t *g;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "readinessGates"), i, g)
    {
        const char *type = k1s_json_str_or(g, "conditionType", "");
        const json_t *c = last_of_type(conds, type);
        if (!c) {
            snprintf(buf, len,
                     "corresponding condition of pod readiness gate \"%.200s\" does not exist.",
                     type);
            return buf;
        }
        if (strcmp(k1s_json_str_or(c, "status", ""), "True") != 0) {
            snprintf(buf, len,
                     "the status of pod readiness gate \"%.200s\" is not \"True\", but %.32s", type,
                     k1s_json_str_or(c, "status", ""));
            return buf;
        }
    }
    return NULL;
}

json_t *k1s__pod_conditions(const json_t *pod, const json_t *s, bool sandbox_ok, const char *now)
{
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *prevs = json_object_get(json_object_get(pod, "status"), "conditions");
    const json_t *inits = json_object_get(s, "initContainerStatuses");
    const json_t *ctrs = json_object_get(s, "containerStatuses");
    const char *ph = k1s_json_str_or(s, "phase", "");
    bool terminal = !strcmp(ph, "Succeeded") || !strcmp(ph, "Failed");
    json_t *incomplete = json_array(), *unready = json_array();
    bool any_started = false;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(spec, "containers"), i, c)
    {
        const json_t *cs = k1s__named(ctrs, k1s_json_str_or(c, "name", ""));
        any_started |= k1s__cs_has(cs, "running") || k1s__cs_has(cs, "terminated") || restarted(cs);
        if (!json_is_true(json_object_get(cs, "ready")))
            json_array_append_new(unready, json_string(k1s_json_str_or(c, "name", "")));
    }
    json_array_foreach(json_object_get(spec, "initContainers"), i, c)
    {
        const json_t *cs = k1s__named(inits, k1s_json_str_or(c, "name", ""));
        bool done = sidecar(c) ? json_is_true(json_object_get(cs, "started"))
                               : k1s__cs_has(cs, "terminated") && k1s__cs_exit(cs, "state") == 0;
        if (!done)
            json_array_append_new(incomplete, json_string(k1s_json_str_or(c, "name", "")));
        if (sidecar(c) && !json_is_true(json_object_get(cs, "ready")))
            json_array_insert_new(unready, 0, json_string(k1s_json_str_or(c, "name", "")));
    }
    char init_msg[1200] = "", ready_msg[1200] = "", list[1100], gbuf[400];
    if (json_array_size(incomplete) && !any_started && strcmp(ph, "Succeeded") != 0) {
        names_of(incomplete, list, sizeof list);
        snprintf(init_msg, sizeof init_msg, "containers with incomplete status: %s", list);
    }
    if (json_array_size(unready)) {
        names_of(unready, list, sizeof list);
        snprintf(ready_msg, sizeof ready_msg, "containers with unready status: %s", list);
    }
    json_decref(incomplete);
    json_decref(unready);
    const char *cr_reason = !strcmp(ph, "Failed")      ? "PodFailed"
                            : !strcmp(ph, "Succeeded") ? "PodCompleted"
                            : *ready_msg               ? "ContainersNotReady"
                                                       : NULL;
    bool cready = !terminal && !*ready_msg;
    const char *gates = cready ? gates_message(pod, prevs, gbuf, sizeof gbuf) : NULL;
    json_t *out = json_array();
    json_array_append_new(
        out, condition(prevs, "PodReadyToStartContainers", sandbox_ok, NULL, NULL, now));
    json_array_append_new(out, condition(prevs, "Initialized", !*init_msg,
                                         *init_msg ? "ContainersNotInitialized"
                                         : !strcmp(ph, "Succeeded") && json_array_size(inits)
                                             ? "PodCompleted"
                                             : NULL,
                                         init_msg, now));
    json_array_append_new(out, condition(prevs, "Ready", cready && !gates,
                                         gates ? "ReadinessGatesNotReady" : cr_reason,
                                         gates      ? gates
                                         : terminal ? NULL
                                                    : ready_msg,
                                         now));
    json_array_append_new(out, condition(prevs, "ContainersReady", cready, cr_reason,
                                         terminal ? NULL : ready_msg, now));
    const json_t *sched = last_of_type(prevs, "PodScheduled");
    json_array_append_new(out, sched ? json_incref((json_t *)sched)
                                     : condition(NULL, "PodScheduled", true, NULL, NULL, now));
    /* conditions others own (readiness gates, DisruptionTarget) stay */
    static const char *const ours[] = {"PodReadyToStartContainers", "Initialized", "Ready",
                                       "ContainersReady", "PodScheduled"};
    json_array_foreach(prevs, i, c)
    {
        bool mine = false;
        for (size_t t = 0; t < sizeof ours / sizeof ours[0]; t++)
            mine |= !strcmp(k1s_json_str_or(c, "type", ""), ours[t]);
        if (!mine)
            json_array_append(out, (json_t *)c);
    }
    return out;
}

json_t *k1s__mount_statuses(const json_t *ctr, bool rro)
{
    const json_t *mounts = json_object_get(ctr, "volumeMounts");
    if (!json_array_size(mounts))
        return NULL;
    json_t *out = json_array();
    size_t i;
    const json_t *m;
    json_array_foreach(mounts, i, m)
    {
        json_t *s = json_pack("{s:s, s:s}", "name", k1s_json_str_or(m, "name", ""), "mountPath",
                              k1s_json_str_or(m, "mountPath", ""));
        if (json_is_true(json_object_get(m, "readOnly"))) {
            const char *mode = k1s_json_str_or(m, "recursiveReadOnly", "");
            json_object_set_new(s, "readOnly", json_true());
            bool on = !strcmp(mode, "Enabled") || (rro && !strcmp(mode, "IfPossible"));
            json_object_set_new(s, "recursiveReadOnly", json_string(on ? "Enabled" : "Disabled"));
        }
        json_array_append_new(out, s);
    }
    return out;
}
