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

static json_t *spec_replicas(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jint(k1s_json_int(o, "spec.replicas", 1));
}

static json_t *status_int(const json_t *o, const char *path)
{
    return k1s__tb_jint(k1s_json_int(o, path, 0));
}

static json_t *status_replicas(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.replicas");
}

static json_t *status_ready(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.readyReplicas");
}

/* READY as "ready/desired". */
static json_t *ready_of_desired(const json_t *o, time_t now)
{
    (void)now;
    char buf[64];
    snprintf(buf, sizeof buf, "%lld/%lld", k1s_json_int(o, "status.readyReplicas", 0),
             k1s_json_int(o, "spec.replicas", 1));
    return json_string(buf);
}

static json_t *template_containers(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jcontainers(k1s_json_at(o, "spec.template.spec.containers"), "name");
}

static json_t *template_images(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jcontainers(k1s_json_at(o, "spec.template.spec.containers"), "image");
}

static json_t *spec_selector(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jformat_selector(k1s_json_at(o, "spec.selector"));
}

#define COL_CONTAINERS(p) {"Containers", "string", "", p, K1S__DESC_CONTAINERS, template_containers}
#define COL_IMAGES(p) {"Images", "string", "", p, K1S__DESC_IMAGES, template_images}
#define DESC_SELECTOR "Label query over the pods the controller owns."

/* ---- ReplicaSet, DaemonSet, Deployment, StatefulSet --------------------------- */

static const k1s__tb_column replicaset_columns[] = {
    K1S__COL_NAME,
    {"Desired", "integer", "", 0, "Number of replicas asked for.", spec_replicas},
    {"Current", "integer", "", 0, "Number of replicas that exist.", status_replicas},
    {"Ready", "integer", "", 0, "Number of replicas that are ready.", status_ready},
    K1S__COL_AGE,
    COL_CONTAINERS(1),
    COL_IMAGES(1),
    {"Selector", "string", "", 1, DESC_SELECTOR, spec_selector},
};

static json_t *ds_desired(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.desiredNumberScheduled");
}

static json_t *ds_current(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.currentNumberScheduled");
}

static json_t *ds_ready(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.numberReady");
}

static json_t *ds_updated(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.updatedNumberScheduled");
}

static json_t *ds_available(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.numberAvailable");
}

static json_t *ds_node_selector(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jlabels(k1s_json_at(o, "spec.template.spec.nodeSelector"));
}

static const k1s__tb_column daemonset_columns[] = {
    K1S__COL_NAME,
    {"Desired", "integer", "", 0, "Number of nodes that should run the daemon pod.", ds_desired},
    {"Current", "integer", "", 0, "Number of nodes running a daemon pod.", ds_current},
    {"Ready", "integer", "", 0, "Number of nodes whose daemon pod is ready.", ds_ready},
    {"Up-to-date", "integer", "", 0, "Number of nodes running the current template.",
     ds_updated},
    {"Available", "integer", "", 0, "Number of nodes whose daemon pod is available.",
     ds_available},
    {"Node Selector", "string", "", 0, "Labels a node needs to run the daemon pod.",
     ds_node_selector},
    K1S__COL_AGE,
    COL_CONTAINERS(1),
    COL_IMAGES(1),
    {"Selector", "string", "", 1, DESC_SELECTOR, spec_selector},
};

static json_t *deploy_updated(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.updatedReplicas");
}

static json_t *deploy_available(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.availableReplicas");
}

static json_t *deploy_selector(const json_t *o, time_t now)
{
    (void)now;
    /* Unlike the other kinds, an empty selector prints as "". */
    k1s_buf sb = K1S__CELL_BUF;
    if (k1s__tb_sb_selector(&sb, k1s_json_at(o, "spec.selector")) < 0) {
        k1s_buf_free(&sb);
        return json_string("<invalid>");
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column deployment_columns[] = {
    K1S__COL_NAME,
    {"Ready", "string", "", 0, "Ready replicas out of those asked for.", ready_of_desired},
    {"Up-to-date", "string", "", 0, "Replicas running the current template.", deploy_updated},
    {"Available", "string", "", 0, "Replicas available to serve.", deploy_available},
    K1S__COL_AGE,
    COL_CONTAINERS(1),
    COL_IMAGES(1),
    {"Selector", "string", "", 1, DESC_SELECTOR, deploy_selector},
};

static const k1s__tb_column statefulset_columns[] = {
    K1S__COL_NAME,
    {"Ready", "string", "", 0, "Ready replicas out of those asked for.", ready_of_desired},
    K1S__COL_AGE,
    COL_CONTAINERS(1),
    COL_IMAGES(1),
};

/* ---- ControllerRevision ----------------------------------------------------------- */

static json_t *cr_controller(const json_t *o, time_t now)
{
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
    k1s__tb_sb_lower(&sb, kind);
    if (group.len) {
        k1s_buf_adds(&sb, ".");
        k1s__tb_sb_lower(&sb, k1s_buf_str(&group));
    }
    k1s_buf_adds(&sb, "/");
    k1s_buf_adds(&sb, k1s_json_str_or(ref, "name", ""));
    k1s_buf_free(&group);
    return k1s__tb_jbuf(&sb);
}

static json_t *cr_revision(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jint(k1s_json_int(o, "revision", 0));
}

static const k1s__tb_column controllerrevision_columns[] = {
    K1S__COL_NAME,
    {"Controller", "string", "", 0, "The object that owns the revision.", cr_controller},
    {"Revision", "string", "", 0, "The revision number.", cr_revision},
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

static json_t *job_status(const json_t *o, time_t now)
{
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

static json_t *job_completions(const json_t *o, time_t now)
{
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

static json_t *job_duration(const json_t *o, time_t now)
{
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
     job_status},
    {"Completions", "string", "", 0, "Succeeded pods out of the completions asked for.",
     job_completions},
    {"Duration", "string", "", 0, "How long the job ran or has been running.", job_duration},
    K1S__COL_AGE,
    COL_CONTAINERS(1),
    COL_IMAGES(1),
    {"Selector", "string", "", 1, DESC_SELECTOR, spec_selector},
};

static json_t *cj_schedule(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "spec.schedule"));
}

static json_t *cj_timezone(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str_or(o, "spec.timeZone", "<none>"));
}

static json_t *cj_suspend(const json_t *o, time_t now)
{
    (void)now;
    const json_t *v = k1s_json_at(o, "spec.suspend");
    if (!json_is_boolean(v))
        return json_string("<unset>");
    return json_string(json_is_true(v) ? "True" : "False");
}

static json_t *cj_active(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jint((long long)k1s__tb_count(o, "status.active"));
}

static json_t *cj_last_schedule(const json_t *o, time_t now)
{
    if (!k1s_json_at(o, "status.lastScheduleTime"))
        return json_string("<none>");
    return k1s__tb_jsince(k1s__tb_time_at(o, "status.lastScheduleTime"), now);
}

static json_t *cj_containers(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jcontainers(k1s_json_at(o, "spec.jobTemplate.spec.template.spec.containers"),
                            "name");
}

static json_t *cj_images(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jcontainers(k1s_json_at(o, "spec.jobTemplate.spec.template.spec.containers"),
                            "image");
}

static json_t *cj_selector(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jformat_selector(k1s_json_at(o, "spec.jobTemplate.spec.selector"));
}

static const k1s__tb_column cronjob_columns[] = {
    K1S__COL_NAME,
    {"Schedule", "string", "", 0, "The cron schedule.", cj_schedule},
    {"Timezone", "string", "", 0, "The time zone the schedule is read in.", cj_timezone},
    {"Suspend", "boolean", "", 0, "Whether new runs are suspended.", cj_suspend},
    {"Active", "integer", "", 0, "Number of running jobs.", cj_active},
    {"Last Schedule", "string", "", 0, "Time since a job was last scheduled.",
     cj_last_schedule},
    K1S__COL_AGE,
    {"Containers", "string", "", 1, K1S__DESC_CONTAINERS, cj_containers},
    {"Images", "string", "", 1, K1S__DESC_IMAGES, cj_images},
    {"Selector", "string", "", 1, DESC_SELECTOR, cj_selector},
};

/* ---- HorizontalPodAutoscaler --------------------------------------------------- */

static json_t *hpa_reference(const json_t *o, time_t now)
{
    (void)now;
    k1s_buf sb = K1S__CELL_BUF;
    k1s_buf_adds(&sb, k1s_json_str_or(o, "spec.scaleTargetRef.kind", ""));
    k1s_buf_adds(&sb, "/");
    k1s_buf_adds(&sb, k1s_json_str_or(o, "spec.scaleTargetRef.name", ""));
    return k1s__tb_jbuf(&sb);
}

/* A Quantity pointer as Go prints it: "<nil>" when absent. */
static void sb_qty(k1s_buf *sb, const json_t *q)
{
    k1s__tb_sb_quantity(sb, q, "<nil>");
}

/* One metric: "current/target", "name: current/target" or with " (avg)". */
static void hpa_metric(k1s_buf *sb, const json_t *spec, const json_t *status)
{
    const char *type = k1s_json_str_or(spec, "type", "");
    if (strcmp(type, "External") == 0 || strcmp(type, "Object") == 0 ||
        strcmp(type, "Pods") == 0) {
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

static json_t *hpa_targets(const json_t *o, time_t now)
{
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
            k1s_buf_addf(&sb, "%lld%%", k1s_json_int(o, "status.currentCPUUtilizationPercentage", 0));
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

static json_t *hpa_min(const json_t *o, time_t now)
{
    (void)now;
    char buf[32];
    if (!json_is_integer(k1s_json_at(o, "spec.minReplicas")))
        return json_string("<unset>");
    snprintf(buf, sizeof buf, "%lld", k1s_json_int(o, "spec.minReplicas", 0));
    return json_string(buf);
}

static json_t *hpa_max(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jint(k1s_json_int(o, "spec.maxReplicas", 0));
}

static json_t *hpa_replicas(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jint(k1s_json_int(o, "status.currentReplicas", 0));
}

static const k1s__tb_column hpa_columns[] = {
    K1S__COL_NAME,
    {"Reference", "string", "", 0, "The scaled object.", hpa_reference},
    {"Targets", "string", "", 0, "Current and target values of the metrics.", hpa_targets},
    {"MinPods", "string", "", 0, "Lower limit of replicas.", hpa_min},
    {"MaxPods", "string", "", 0, "Upper limit of replicas.", hpa_max},
    {"Replicas", "string", "", 0, "Current number of replicas.", hpa_replicas},
    K1S__COL_AGE,
};

/* ---- PodDisruptionBudget ------------------------------------------------------------ */

static json_t *pdb_bound(const json_t *o, const char *path)
{
    const json_t *v = k1s_json_at(o, path);
    k1s_buf sb = K1S__CELL_BUF;
    if (!v)
        return json_string("N/A");
    k1s__tb_sb_intstr(&sb, v);
    return k1s__tb_jbuf(&sb);
}

static json_t *pdb_min(const json_t *o, time_t now)
{
    (void)now;
    return pdb_bound(o, "spec.minAvailable");
}

static json_t *pdb_max(const json_t *o, time_t now)
{
    (void)now;
    return pdb_bound(o, "spec.maxUnavailable");
}

static json_t *pdb_allowed(const json_t *o, time_t now)
{
    (void)now;
    return status_int(o, "status.disruptionsAllowed");
}

static const k1s__tb_column pdb_columns[] = {
    K1S__COL_NAME,
    {"Min Available", "string", "", 0, "Pods that must stay available.", pdb_min},
    {"Max Unavailable", "string", "", 0, "Pods that may be unavailable.", pdb_max},
    {"Allowed Disruptions", "integer", "", 0, "Pods that may be disrupted now.", pdb_allowed},
    K1S__COL_AGE,
};

/* ---- the kinds ------------------------------------------------------------------ */

#define KIND(group, kind, cols) {group, kind, cols, K1S__NCOLS(cols), NULL, NULL}

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
