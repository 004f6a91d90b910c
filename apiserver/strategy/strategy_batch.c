/*
 * strategy_batch.c - batch/v1 strategies: Job and CronJob. The defaults
 * that depend on other fields (kube's SetDefaults_Job), the selector and
 * pod labels a Job gets on create unless it asks for a manual selector,
 * and create-time status. Validation is in validate/validate_batch.c.
 */
#include "strategy_internal.h"

#include <string.h>

/* Labels the Job strategy puts on the pods' template: the legacy names
 * and the batch.kubernetes.io ones. */
#define JOB_NAME_LABEL "batch.kubernetes.io/job-name"
#define JOB_UID_LABEL "batch.kubernetes.io/controller-uid"

static void set_if_absent(json_t *obj, const char *key, json_t *v)
{
    if (!k1s__has(obj, key))
        json_object_set_new(obj, key, v);
    else
        json_decref(v);
}

/* SetDefaults_Job's part for a JobSpec (also a CronJob's jobTemplate). */
static void jobspec_defaults(json_t *spec)
{
    if (!spec)
        return;
    if (!k1s__has(spec, "completions") && !k1s__has(spec, "parallelism")) {
        json_object_set_new(spec, "completions", json_integer(1));
        json_object_set_new(spec, "parallelism", json_integer(1));
    }
    set_if_absent(spec, "parallelism", json_integer(1));
    /* with a per-index limit the global one is effectively off */
    set_if_absent(spec, "backoffLimit",
                  json_integer(k1s__has(spec, "backoffLimitPerIndex") ? 2147483647 : 6));
    set_if_absent(spec, "completionMode", json_string("NonIndexed"));
    set_if_absent(spec, "suspend", json_false());
    set_if_absent(
        spec, "podReplacementPolicy",
        json_string(k1s__has(spec, "podFailurePolicy") ? "Failed" : "TerminatingOrFailed"));
    size_t i;
    json_t *rule;
    json_array_foreach(k1s__arrv(k1s__objv(spec, "podFailurePolicy"), "rules"), i, rule)
    {
        size_t j;
        json_t *pattern;
        json_array_foreach(k1s__arrv(rule, "onPodConditions"), j,
                           pattern) if (json_is_object(pattern))
            set_if_absent(pattern, "status", json_string("True"));
    }
    k1s__template_defaults(spec);
}

static void job_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    jobspec_defaults(spec);
    /* a Job without labels takes its pods' */
    json_t *meta = k1s__objv(obj, "metadata");
    json_t *tlabels = k1s__objv(k1s__objv(k1s__objv(spec, "template"), "metadata"), "labels");
    if (meta && !json_object_size(k1s__objv(meta, "labels")) && json_object_size(tlabels))
        json_object_set_new(meta, "labels", json_deep_copy(tlabels));
}

static void label_if_absent(json_t *labels, const char *key, const char *value)
{
    if (!json_object_get(labels, key))
        json_object_set_new(labels, key, json_string(value));
}

/* kube's generateSelector: pods carry the Job's name and uid, and the
 * selector picks the uid, which no other Job's pods can have. A label the
 * user set is left alone (validation reports a mismatch). */
static void job_prepare_create(json_t *obj)
{
    k1s__empty_status(obj);
    json_t *spec = k1s__objv(obj, "spec");
    if (!spec)
        return;
    json_t *manual = json_object_get(spec, "manualSelector");
    if (json_is_true(manual))
        return;
    const char *name = k1s_meta(obj, "name");
    const char *uid = k1s_meta(obj, "uid");
    json_t *tmeta = k1s__ensure_obj(k1s__ensure_obj(spec, "template"), "metadata");
    json_t *labels = k1s__ensure_obj(tmeta, "labels");
    json_t *sel = k1s__ensure_obj(spec, "selector");
    json_t *match = k1s__ensure_obj(sel, "matchLabels");
    if (!labels || !match || !name || !uid)
        return;
    label_if_absent(labels, "job-name", name);
    label_if_absent(labels, JOB_NAME_LABEL, name);
    label_if_absent(labels, "controller-uid", uid);
    label_if_absent(labels, JOB_UID_LABEL, uid);
    label_if_absent(match, JOB_UID_LABEL, uid);
    if (!manual)
        json_object_set_new(spec, "manualSelector", json_false());
}

static const char *const job_fields[] = {"status.successful", NULL};

const k1s_strategy k1s__strategy_job = {
    .defaults = job_defaults,
    .prepare_create = job_prepare_create,
    .validate = k1s__validate_job,
    .field_labels = job_fields,
    /* batch/v1 keeps the pods of a deleted Job unless asked otherwise */
    .default_propagation = "Orphan",
    .default_propagation_warning =
        "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning",
};

/* ---- CronJob ------------------------------------------------------------------------ */

static void cronjob_defaults(json_t *obj)
{
    json_t *jt = k1s__objv(k1s__objv(obj, "spec"), "jobTemplate");
    k1s__template_defaults(k1s__objv(jt, "spec"));
}

const k1s_strategy k1s__strategy_cronjob = {
    .defaults = cronjob_defaults,
    .prepare_create = k1s__empty_status,
    .validate = k1s__validate_cronjob,
};
