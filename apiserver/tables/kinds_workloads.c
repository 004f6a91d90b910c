/*
 * kinds_workloads.c - tables of the workload kinds: apps (ReplicaSet,
 * DaemonSet, Deployment, StatefulSet, ControllerRevision), batch (Job,
 * CronJob), autoscaling HorizontalPodAutoscaler and policy
 * PodDisruptionBudget.
 */
#include "tables_int.h"

#include <stdio.h>
#include <string.h>

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ---- shared cells ------------------------------------------------------------- */

/* READY as "ready/desired". */
static json_t *ready_of_desired(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    char buf[64];
    snprintf(buf, sizeof buf, "%lld/%lld", k1s_json_int(o, "status.readyReplicas", 0),
             k1s_json_int(o, "spec.replicas", 1));
    return json_string(buf);
}

#define TEMPLATE "spec.template.spec.containers"
#define JOB_TEMPLATE "spec.jobTemplate.spec.template.spec.containers"
#define COL_CONTAINERS K1S__COL_CONTAINERS(TEMPLATE, 1)
#define COL_IMAGES K1S__COL_IMAGES(TEMPLATE, 1)
#define COL_SELECTOR(p)                                                                  \
    {                                                                                    \
        "Selector", "string", "", 1, "Label query over the pods the controller owns.", p \
    }

/* ---- ReplicaSet, DaemonSet, Deployment, StatefulSet --------------------------- */

static const k1s__tb_column replicaset_columns[] = {
    K1S__COL_NAME,
    {"Desired", "integer", "", 0, "Number of replicas asked for.", K1S__INT("spec.replicas", 1)},
    {"Current", "integer", "", 0, "Number of replicas that exist.", K1S__INT("status.replicas", 0)},
    {"Ready", "integer", "", 0, "Number of replicas that are ready.",
     K1S__INT("status.readyReplicas", 0)},
    K1S__COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR(K1S__SELECTOR("spec.selector")),
};

static const k1s__tb_column daemonset_columns[] = {
    K1S__COL_NAME,
    {"Desired", "integer", "", 0, "Number of nodes that should run the daemon pod.",
     K1S__INT("status.desiredNumberScheduled", 0)},
    {"Current", "integer", "", 0, "Number of nodes running a daemon pod.",
     K1S__INT("status.currentNumberScheduled", 0)},
    {"Ready", "integer", "", 0, "Number of nodes whose daemon pod is ready.",
     K1S__INT("status.numberReady", 0)},
    {"Up-to-date", "integer", "", 0, "Number of nodes running the current template.",
     K1S__INT("status.updatedNumberScheduled", 0)},
    {"Available", "integer", "", 0, "Number of nodes whose daemon pod is available.",
     K1S__INT("status.numberAvailable", 0)},
    {"Node Selector", "string", "", 0, "Labels a node needs to run the daemon pod.",
     K1S__LABELS("spec.template.spec.nodeSelector")},
    K1S__COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR(K1S__SELECTOR("spec.selector")),
};

static json_t *deploy_selector(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    /* Unlike the other kinds, an empty selector prints as "". */
    k1s_buf sb = K1S__CELL_BUF;
    if (k1s__tb_add_selector(&sb, k1s_json_at(o, "spec.selector")) < 0) {
        k1s_buf_free(&sb);
        return json_string("<invalid>");
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column deployment_columns[] = {
    K1S__COL_NAME,
    {"Ready", "string", "", 0, "Ready replicas out of those asked for.", K1S__FN(ready_of_desired)},
    {"Up-to-date", "string", "", 0, "Replicas running the current template.",
     K1S__INT("status.updatedReplicas", 0)},
    {"Available", "string", "", 0, "Replicas available to serve.",
     K1S__INT("status.availableReplicas", 0)},
    K1S__COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR(K1S__FN(deploy_selector)),
};

static const k1s__tb_column statefulset_columns[] = {
    K1S__COL_NAME,
    {"Ready", "string", "", 0, "Ready replicas out of those asked for.", K1S__FN(ready_of_desired)},
    K1S__COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
};

/* ---- ControllerRevision ----------------------------------------------------------- */

static json_t *cr_controller(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *refs = k1s__tb_array(o, "metadata.ownerReferences");
    const json_t *ref = NULL;
    for (size_t i = 0; i < json_array_size(refs) && !ref; i++)
        if (k1s_json_bool(json_array_get(refs, i), "controller", false))
            ref = json_array_get(refs, i);
    if (!ref)
        return json_string("<none>");

    const char *api = k1s_json_str_or(ref, "apiVersion", "");
    const char *kind = k1s_json_str_or(ref, "kind", "");
    const char *slash = strchr(api, '/');
    k1s_buf group = K1S__CELL_BUF, sb = K1S__CELL_BUF;
    if (slash && !strchr(slash + 1, '/'))
        k1s_buf_add(&group, api, (size_t)(slash - api));
    if (!*kind && group.len == 0) {
        k1s_buf_free(&group);
        return k1s__tb_jstr(k1s_json_str(ref, "name"));
    }
    /* kind.group/name, lower-cased, as GroupKind.String() reads. */
    k1s__tb_add_lower(&sb, kind);
    if (group.len) {
        k1s_buf_adds(&sb, ".");
        k1s__tb_add_lower(&sb, k1s_buf_str(&group));
    }
    k1s_buf_adds(&sb, "/");
    k1s_buf_adds(&sb, k1s_json_str_or(ref, "name", ""));
    k1s_buf_free(&group);
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column controllerrevision_columns[] = {
    K1S__COL_NAME,
    {"Controller", "string", "", 0, "The object that owns the revision.", K1S__FN(cr_controller)},
    {"Revision", "string", "", 0, "The revision number.", K1S__INT("revision", 0)},
    K1S__COL_AGE,
};

/* ---- Job, CronJob --------------------------------------------------------------- */

/* The first condition of the type decides, as kube's helper reads. */
static bool job_condition(const json_t *o, const char *type)
{
    const json_t *conds = k1s__tb_array(o, "status.conditions");
    for (size_t i = 0; i < json_array_size(conds); i++) {
        const json_t *c = json_array_get(conds, i);
        if (str_eq(k1s_json_str(c, "type"), type))
            return str_eq(k1s_json_str(c, "status"), "True");
    }
    return false;
}

static json_t *job_status(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const char *s = "Running";
    if (job_condition(o, "Complete"))
        s = "Complete";
    else if (job_condition(o, "Failed"))
        s = "Failed";
    else if (k1s_json_at(o, "metadata.deletionTimestamp"))
        s = "Terminating";
    else if (job_condition(o, "Suspended"))
        s = "Suspended";
    else if (job_condition(o, "FailureTarget"))
        s = "FailureTarget";
    return json_string(s);
}

static json_t *job_completions(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    char buf[96];
    long long succeeded = k1s_json_int(o, "status.succeeded", 0);
    if (json_is_integer(k1s_json_at(o, "spec.completions"))) {
        snprintf(buf, sizeof buf, "%lld/%lld", succeeded, k1s_json_int(o, "spec.completions", 0));
    } else {
        long long parallelism = k1s_json_int(o, "spec.parallelism", 0);
        if (parallelism > 1)
            snprintf(buf, sizeof buf, "%lld/1 of %lld", succeeded, parallelism);
        else
            snprintf(buf, sizeof buf, "%lld/1", succeeded);
    }
    return json_string(buf);
}

static json_t *job_duration(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    char buf[32] = "";
    if (k1s_json_at(o, "status.startTime")) {
        k1s__tb_time start = k1s__tb_time_at(o, "status.startTime");
        if (!k1s_json_at(o, "status.completionTime")) {
            /* time.Since, without the zero-time check of ages */
            start.zero = false;
            k1s__tb_since(buf, sizeof buf, start, now);
        } else {
            k1s__tb_time end = k1s__tb_time_at(o, "status.completionTime");
            k1s__tb_human_duration_ns(buf, sizeof buf, k1s__tb_time_sub_ns(end, start));
        }
    }
    return json_string(buf);
}

static const k1s__tb_column job_columns[] = {
    K1S__COL_NAME,
    {"Status", "string", "", 0, "Whether the job runs, completed, failed or is suspended.",
     K1S__FN(job_status)},
    {"Completions", "string", "", 0, "Succeeded pods out of the completions asked for.",
     K1S__FN(job_completions)},
    {"Duration", "string", "", 0, "How long the job ran or has been running.",
     K1S__FN(job_duration)},
    K1S__COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    COL_SELECTOR(K1S__SELECTOR("spec.selector")),
};

static json_t *cj_suspend(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *v = k1s_json_at(o, "spec.suspend");
    if (!json_is_boolean(v))
        return json_string("<unset>");
    return json_string(json_is_true(v) ? "True" : "False");
}

static const k1s__tb_column cronjob_columns[] = {
    K1S__COL_NAME,
    {"Schedule", "string", "", 0, "The cron schedule.", K1S__STR("spec.schedule")},
    {"Timezone", "string", "", 0, "The time zone the schedule is read in.",
     K1S__STR_OR("spec.timeZone", "<none>")},
    {"Suspend", "boolean", "", 0, "Whether new runs are suspended.", K1S__FN(cj_suspend)},
    {"Active", "integer", "", 0, "Number of running jobs.", K1S__COUNT("status.active")},
    {"Last Schedule", "string", "", 0, "Time since a job was last scheduled.",
     K1S__AGE_OR("status.lastScheduleTime", "<none>")},
    K1S__COL_AGE,
    K1S__COL_CONTAINERS(JOB_TEMPLATE, 1),
    K1S__COL_IMAGES(JOB_TEMPLATE, 1),
    COL_SELECTOR(K1S__SELECTOR("spec.jobTemplate.spec.selector")),
};

/* ---- HorizontalPodAutoscaler --------------------------------------------------- */

/* A Quantity pointer as Go prints it: "<nil>" when absent. */
static void sb_qty(k1s_buf *sb, const json_t *q)
{
    k1s__tb_add_quantity(sb, q, "<nil>");
}

/* One metric: "current/target", "name: current/target" or with " (avg)". */
static void hpa_metric(k1s_buf *sb, const json_t *spec, const json_t *status)
{
    const char *type = k1s_json_str_or(spec, "type", "");
    if (strcmp(type, "External") == 0 || strcmp(type, "Object") == 0 || strcmp(type, "Pods") == 0) {
        const char *member = type[0] == 'E' ? "external" : type[0] == 'O' ? "object" : "pods";
        const json_t *target = k1s_json_at(k1s_json_at(spec, member), "target");
        const json_t *cur = k1s_json_at(status, member);
        bool avg = type[0] == 'P' || k1s_json_at(target, "averageValue");
        if (!cur)
            k1s_buf_adds(sb, "<unknown>");
        else if (avg && type[0] != 'P' && !k1s_json_at(cur, "current.averageValue"))
            k1s_buf_adds(sb, "<unknown>");
        else
            sb_qty(sb, k1s_json_at(cur, avg ? "current.averageValue" : "current.value"));
        k1s_buf_adds(sb, "/");
        sb_qty(sb, k1s_json_at(target, avg ? "averageValue" : "value"));
        if (avg && type[0] != 'P')
            k1s_buf_adds(sb, " (avg)");
        return;
    }
    if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
        const char *member = type[0] == 'R' ? "resource" : "containerResource";
        const json_t *src = k1s_json_at(spec, member);
        const json_t *target = k1s_json_at(src, "target");
        const json_t *cur = k1s_json_at(status, member);
        k1s_buf_adds(sb, k1s_json_str_or(src, "name", ""));
        k1s_buf_adds(sb, ": ");
        if (k1s_json_at(target, "averageValue")) {
            if (cur)
                sb_qty(sb, k1s_json_at(cur, "current.averageValue"));
            else
                k1s_buf_adds(sb, "<unknown>");
            k1s_buf_adds(sb, "/");
            sb_qty(sb, k1s_json_at(target, "averageValue"));
            return;
        }
        if (cur && json_is_integer(k1s_json_at(cur, "current.averageUtilization")))
            k1s_buf_addf(sb, "%lld%%", k1s_json_int(cur, "current.averageUtilization", 0));
        else
            k1s_buf_adds(sb, "<unknown>");
        k1s_buf_adds(sb, "/");
        if (json_is_integer(k1s_json_at(target, "averageUtilization")))
            k1s_buf_addf(sb, "%lld%%", k1s_json_int(target, "averageUtilization", 0));
        else
            k1s_buf_adds(sb, "<auto>");
        return;
    }
    k1s_buf_adds(sb, "<unknown type>");
}

#define HPA_MAX 2 /* metrics listed before "+ N more..." */

static json_t *hpa_targets(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *specs = k1s__tb_array(o, "spec.metrics");
    const json_t *statuses = k1s__tb_array(o, "status.currentMetrics");
    size_t n = json_array_size(specs);
    k1s_buf sb = K1S__CELL_BUF;

    if (n == 0) {
        /* autoscaling/v1 objects carry only the CPU target. */
        if (!json_is_integer(k1s_json_at(o, "spec.targetCPUUtilizationPercentage")))
            return json_string("<none>");
        k1s_buf_adds(&sb, "cpu: ");
        if (json_is_integer(k1s_json_at(o, "status.currentCPUUtilizationPercentage")))
            k1s_buf_addf(&sb, "%lld%%",
                         k1s_json_int(o, "status.currentCPUUtilizationPercentage", 0));
        else
            k1s_buf_adds(&sb, "<unknown>");
        k1s_buf_addf(&sb, "/%lld%%", k1s_json_int(o, "spec.targetCPUUtilizationPercentage", 0));
        return k1s__tb_jbuf(&sb);
    }
    for (size_t i = 0; i < n && i < HPA_MAX; i++) {
        if (i)
            k1s_buf_adds(&sb, ", ");
        hpa_metric(&sb, json_array_get(specs, i), json_array_get(statuses, i));
    }
    if (n > HPA_MAX)
        k1s_buf_addf(&sb, " + %zu more...", n - HPA_MAX);
    return k1s__tb_jbuf(&sb);
}

static json_t *hpa_min(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    char buf[32];
    if (!json_is_integer(k1s_json_at(o, "spec.minReplicas")))
        return json_string("<unset>");
    snprintf(buf, sizeof buf, "%lld", k1s_json_int(o, "spec.minReplicas", 0));
    return json_string(buf);
}

static const k1s__tb_column hpa_columns[] = {
    K1S__COL_NAME,
    {"Reference", "string", "", 0, "The scaled object.",
     K1S__PAIR("spec.scaleTargetRef", "kind/name", NULL)},
    {"Targets", "string", "", 0, "Current and target values of the metrics.", K1S__FN(hpa_targets)},
    {"MinPods", "string", "", 0, "Lower limit of replicas.", K1S__FN(hpa_min)},
    {"MaxPods", "string", "", 0, "Upper limit of replicas.", K1S__INT("spec.maxReplicas", 0)},
    {"Replicas", "string", "", 0, "Current number of replicas.",
     K1S__INT("status.currentReplicas", 0)},
    K1S__COL_AGE,
};

/* ---- PodDisruptionBudget ------------------------------------------------------------ */

/* The int-or-string at path, "N/A" when unset. */
static json_t *pdb_bound(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    const json_t *v = k1s_json_at(o, cell->path);
    k1s_buf sb = K1S__CELL_BUF;
    if (!v)
        return json_string("N/A");
    k1s__tb_add_intstr(&sb, v);
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column pdb_columns[] = {
    K1S__COL_NAME,
    {"Min Available", "string", "", 0, "Pods that must stay available.",
     K1S__FN_AT(pdb_bound, "spec.minAvailable", NULL)},
    {"Max Unavailable", "string", "", 0, "Pods that may be unavailable.",
     K1S__FN_AT(pdb_bound, "spec.maxUnavailable", NULL)},
    {"Allowed Disruptions", "integer", "", 0, "Pods that may be disrupted now.",
     K1S__INT("status.disruptionsAllowed", 0)},
    K1S__COL_AGE,
};

/* ---- the kinds ------------------------------------------------------------------ */

#define KIND(group, kind, cols)                         \
    {                                                   \
        group, kind, cols, K1S__NCOLS(cols), NULL, NULL \
    }

const k1s__tb_kind_table k1s__tb_kinds_workloads[] = {
    KIND("apps", "ReplicaSet", replicaset_columns),
    KIND("apps", "DaemonSet", daemonset_columns),
    KIND("apps", "Deployment", deployment_columns),
    KIND("apps", "StatefulSet", statefulset_columns),
    KIND("apps", "ControllerRevision", controllerrevision_columns),
    KIND("batch", "Job", job_columns),
    KIND("batch", "CronJob", cronjob_columns),
    KIND("autoscaling", "HorizontalPodAutoscaler", hpa_columns),
    KIND("policy", "PodDisruptionBudget", pdb_columns),
};
const size_t k1s__tb_kinds_workloads_count = K1S__NCOLS(k1s__tb_kinds_workloads);
