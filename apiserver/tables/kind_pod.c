/*
 * kind_pod.c - the Pod table: READY "1/1", the STATUS kubectl shows (phase,
 * or the reason a container or init container is stuck on: Init:0/1,
 * ContainerCreating, CrashLoopBackOff, Completed, Terminating, ...),
 * RESTARTS with "(5m ago)", and the wide IP / NODE / NOMINATED NODE /
 * READINESS GATES columns; plus the Completed row condition of finished pods
 * (kubectl hides those rows unless asked).
 *
 * The status logic follows kube-apiserver 1.33's pod printer step by step,
 * because kubectl users read these strings.
 */
#include "tables_int.h"

#include <stdio.h>
#include <string.h>

typedef struct pod_info {
    long long ready, total;
    long long restarts;
    k1s__tb_time last_restart;
    k1s_buf reason;
} pod_info;

static void set_reason(k1s_buf *r, const char *prefix, const char *text)
{
    k1s_buf_free(r); /* a fresh start, the cap kept */
    k1s_buf_adds(r, prefix);
    k1s_buf_adds(r, text);
}

static void set_reason_code(k1s_buf *r, const char *prefix, const json_t *terminated)
{
    long long signal = k1s_json_int(terminated, "signal", 0);
    char num[64];
    if (signal != 0)
        snprintf(num, sizeof num, "%sSignal:%lld", prefix, signal);
    else
        snprintf(num, sizeof num, "%sExitCode:%lld", prefix,
                 k1s_json_int(terminated, "exitCode", 0));
    set_reason(r, "", num);
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Whether the init container spec named name restarts always (a sidecar). */
static bool restartable_init(const json_t *init_specs, const char *name)
{
    size_t n = json_array_size(init_specs);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(init_specs, i);
        if (str_eq(k1s_json_str(c, "name"), name ? name : ""))
            return str_eq(k1s_json_str(c, "restartPolicy"), "Always");
    }
    return false;
}

/* Go's map lookup keeps the last condition of a type; the printer's loops
 * stop at the first. has_condition follows the latter. */
static bool has_condition(const json_t *conds, const char *type, bool first_only)
{
    size_t n = json_array_size(conds);
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(conds, i);
        if (!str_eq(k1s_json_str(c, "type"), type))
            continue;
        if (str_eq(k1s_json_str(c, "status"), "True"))
            return true;
        if (first_only)
            return false;
    }
    return false;
}

static void note_restart(const json_t *status, k1s__tb_time *last)
{
    const json_t *term = k1s_json_at(status, "lastState.terminated");
    if (!json_is_object(term))
        return;
    k1s__tb_time t = k1s__tb_time_at(term, "finishedAt");
    if (k1s__tb_time_before(*last, t))
        *last = t;
}

static void pod_summarize(const json_t *pod, pod_info *pi)
{
    const char *phase = k1s_json_str_or(pod, "status.phase", "");
    const char *status_reason = k1s_json_str_or(pod, "status.reason", "");
    const json_t *conds = k1s__tb_array(pod, "status.conditions");
    const json_t *init_specs = k1s__tb_array(pod, "spec.initContainers");
    const json_t *init_statuses = k1s__tb_array(pod, "status.initContainerStatuses");
    const json_t *statuses = k1s__tb_array(pod, "status.containerStatuses");
    k1s__tb_time zero = k1s__tb_parse_time(NULL);
    long long ri_restarts = 0;
    k1s__tb_time ri_last = zero;

    pi->ready = 0;
    pi->restarts = 0;
    pi->last_restart = zero;
    pi->total = (long long)k1s__tb_count(pod, "spec.containers");
    set_reason(&pi->reason, "", *status_reason ? status_reason : phase);

    for (size_t i = 0; i < json_array_size(conds); i++) {
        const json_t *c = json_array_get(conds, i);
        if (str_eq(k1s_json_str(c, "type"), "PodScheduled") &&
            str_eq(k1s_json_str(c, "reason"), "SchedulingGated"))
            set_reason(&pi->reason, "", "SchedulingGated");
    }
    for (size_t i = 0; i < json_array_size(init_specs); i++)
        if (str_eq(k1s_json_str(json_array_get(init_specs, i), "restartPolicy"), "Always"))
            pi->total++;

    bool initializing = false;
    for (size_t i = 0; i < json_array_size(init_statuses); i++) {
        const json_t *c = json_array_get(init_statuses, i);
        long long rc = k1s_json_int(c, "restartCount", 0);
        bool restartable = restartable_init(init_specs, k1s_json_str(c, "name"));
        const json_t *term = k1s_json_at(c, "state.terminated");
        const char *waiting = k1s_json_str(c, "state.waiting.reason");

        pi->restarts += rc;
        note_restart(c, &pi->last_restart);
        if (restartable) {
            ri_restarts += rc;
            note_restart(c, &ri_last);
        }
        if (json_is_object(term) && k1s_json_int(term, "exitCode", 0) == 0)
            continue;
        if (restartable && k1s_json_bool(c, "started", false)) {
            if (k1s_json_bool(c, "ready", false))
                pi->ready++;
            continue;
        }
        if (json_is_object(term)) {
            const char *r = k1s_json_str_or(term, "reason", "");
            if (*r)
                set_reason(&pi->reason, "Init:", r);
            else
                set_reason_code(&pi->reason, "Init:", term);
        } else if (k1s__tb_nonempty(waiting) && strcmp(waiting, "PodInitializing") != 0) {
            set_reason(&pi->reason, "Init:", waiting);
        } else {
            char num[64];
            snprintf(num, sizeof num, "Init:%zu/%zu", i, json_array_size(init_specs));
            set_reason(&pi->reason, "", num);
        }
        initializing = true;
        break;
    }

    if (!initializing || has_condition(conds, "Initialized", true)) {
        bool has_running = false;
        pi->restarts = ri_restarts;
        pi->last_restart = ri_last;
        for (size_t i = json_array_size(statuses); i-- > 0;) {
            const json_t *c = json_array_get(statuses, i);
            const json_t *term = k1s_json_at(c, "state.terminated");
            const char *waiting = k1s_json_str(c, "state.waiting.reason");

            pi->restarts += k1s_json_int(c, "restartCount", 0);
            note_restart(c, &pi->last_restart);
            if (k1s__tb_nonempty(waiting)) {
                set_reason(&pi->reason, "", waiting);
            } else if (json_is_object(term)) {
                const char *r = k1s_json_str_or(term, "reason", "");
                if (*r)
                    set_reason(&pi->reason, "", r);
                else
                    set_reason_code(&pi->reason, "", term);
            } else if (k1s_json_bool(c, "ready", false) &&
                       json_is_object(k1s_json_at(c, "state.running"))) {
                has_running = true;
                pi->ready++;
            }
        }
        /* A pod whose last-listed container completed still runs others. */
        if (strcmp(k1s_buf_str(&pi->reason), "Completed") == 0 && has_running)
            set_reason(&pi->reason, "",
                       has_condition(conds, "Ready", false) ? "Running" : "NotReady");
    }

    if (k1s_json_at(pod, "metadata.deletionTimestamp")) {
        if (strcmp(status_reason, "NodeLost") == 0)
            set_reason(&pi->reason, "", "Unknown");
        else if (strcmp(phase, "Failed") != 0 && strcmp(phase, "Succeeded") != 0)
            set_reason(&pi->reason, "", "Terminating");
    }
}

static json_t *pod_ready(const json_t *pod, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    pod_info pi = {.reason = K1S__CELL_BUF};
    char buf[64];
    pod_summarize(pod, &pi);
    k1s_buf_free(&pi.reason);
    snprintf(buf, sizeof buf, "%lld/%lld", pi.ready, pi.total);
    return json_string(buf);
}

static json_t *pod_status(const json_t *pod, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    pod_info pi = {.reason = K1S__CELL_BUF};
    pod_summarize(pod, &pi);
    return k1s__tb_jbuf(&pi.reason);
}

static json_t *pod_restarts(const json_t *pod, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    pod_info pi = {.reason = K1S__CELL_BUF};
    char ago[32], buf[96];
    pod_summarize(pod, &pi);
    k1s_buf_free(&pi.reason);
    if (pi.restarts != 0 && !pi.last_restart.zero) {
        k1s__tb_since(ago, sizeof ago, pi.last_restart, now);
        snprintf(buf, sizeof buf, "%lld (%s ago)", pi.restarts, ago);
    } else {
        snprintf(buf, sizeof buf, "%lld", pi.restarts);
    }
    return json_string(buf);
}

static json_t *pod_ip(const json_t *pod, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    /* podIPs is authoritative; decoding fills it from podIP when empty. */
    const json_t *ips = k1s__tb_array(pod, "status.podIPs");
    const char *ip = json_array_size(ips) ? k1s_json_str(json_array_get(ips, 0), "ip")
                                          : k1s_json_str(pod, "status.podIP");
    return k1s__tb_jstr(k1s__tb_nonempty(ip) ? ip : "<none>");
}

static json_t *pod_gates(const json_t *pod, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *gates = k1s__tb_array(pod, "spec.readinessGates");
    const json_t *conds = k1s__tb_array(pod, "status.conditions");
    size_t ng = json_array_size(gates), ok = 0;
    char buf[64];
    if (ng == 0)
        return json_string("<none>");
    for (size_t g = 0; g < ng; g++) {
        const char *type = k1s_json_str_or(json_array_get(gates, g), "conditionType", "");
        if (has_condition(conds, type, true))
            ok++;
    }
    snprintf(buf, sizeof buf, "%zu/%zu", ok, ng);
    return json_string(buf);
}

static json_t *pod_conditions(const json_t *pod)
{
    const char *phase = k1s_json_str_or(pod, "status.phase", "");
    const char *message;
    if (strcmp(phase, "Succeeded") == 0)
        message = "The pod has completed successfully.";
    else if (strcmp(phase, "Failed") == 0)
        message = "The pod failed.";
    else
        return NULL;
    return json_pack("[{s:s, s:s, s:s, s:s}]", "type", "Completed", "status", "True", "reason",
                     phase, "message", message);
}

static const k1s__tb_column pod_columns[] = {
    K1S__COL_NAME,
    {"Ready", "string", "", 0, "Ready containers out of all containers.", K1S__FN(pod_ready)},
    {"Status", "string", "", 0, "The pod's phase, or why its containers are not running.",
     K1S__FN(pod_status)},
    {"Restarts", "string", "", 0, "Container restarts, and how long ago the last one was.",
     K1S__FN(pod_restarts)},
    K1S__COL_AGE,
    {"IP", "string", "", 1, "The pod's first IP address.", K1S__FN(pod_ip)},
    {"Node", "string", "", 1, "The node the pod is bound to.",
     K1S__NONEMPTY_OR("spec.nodeName", "<none>")},
    {"Nominated Node", "string", "", 1, "The node the scheduler nominated for preemption.",
     K1S__NONEMPTY_OR("status.nominatedNodeName", "<none>")},
    {"Readiness Gates", "string", "", 1, "Readiness gates whose condition is true.",
     K1S__FN(pod_gates)},
};

const k1s__tb_kind_table k1s__tb_kinds_pod[] = {
    {"", "Pod", pod_columns, K1S__NCOLS(pod_columns), pod_conditions, NULL},
};
const size_t k1s__tb_kinds_pod_count = K1S__NCOLS(k1s__tb_kinds_pod);
