/*
 * strategy_apps.c - apps/v1 strategies: StatefulSet, Deployment,
 * ReplicaSet, DaemonSet and ControllerRevision. Conditional defaults of the
 * update strategies, create-time status, selector and pod template
 * validation, the update rules (immutable selectors, StatefulSet spec
 * mostly immutable) and the status checks controllers' writes go through.
 */
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- shared ----------------------------------------------------------------- */

static void template_defaults(json_t *obj)
{
    k1s__template_defaults(k1s__objv(obj, "spec"));
}

/* Go's %#v of a struct {Type string; RollingUpdate *T}. */
static char *go_strategy(const char *type_name, const char *ru_type, const json_t *s)
{
    char *t = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "apps.%s{Type:", type_name);
    k1s__go_quote(f, k1s__str0(s, "type"));
    fprintf(f, ", RollingUpdate:(*apps.%s)(%s)}", ru_type,
            k1s__objv(s, "rollingUpdate") ? "0xc000010000" : "nil");
    if (fclose(f) == 0)
        t = buf;
    else
        free(buf);
    return t;
}

/* The selector of a workload: required, valid, not empty; then whether it
 * matches the template's labels. kind is "deployment", "statefulset"...
 * as kube's "empty selector is invalid for <kind>" says it. */
static void workload_selector(const json_t *spec, const char *kind, bool required, k1s_ferrs *fe)
{
    json_t *sel = json_object_get(spec, "selector");
    if (!json_is_object(sel)) {
        if (required)
            k1s_ferr_required(fe, "spec.selector", "");
    } else {
        k1s__validate_label_selector(sel, "spec.selector", fe);
        if (json_object_size(k1s__objv(sel, "matchLabels")) +
                json_array_size(k1s__arrv(sel, "matchExpressions")) ==
            0) {
            char detail[64];
            snprintf(detail, sizeof detail, "empty selector is invalid for %s", kind);
            char *t = k1s__go_label_selector(sel);
            k1s__ferr_invalid_text(fe, "spec.selector", t, detail);
            free(t);
        }
    }
    /* an absent selector matches nothing (so kube reports a mismatch as
       well); an empty one matches everything */
    bool empty =
        json_is_object(sel) && json_object_size(k1s__objv(sel, "matchLabels")) +
                                       json_array_size(k1s__arrv(sel, "matchExpressions")) ==
                                   0;
    const json_t *labels = k1s__objv(k1s__objv(k1s__objv(spec, "template"), "metadata"), "labels");
    if (!empty && !k1s__selector_matches(sel, false, labels))
        k1s__ferr_selector_mismatch(fe, "spec.template.metadata.labels", labels);
}

/* apps/v1 selectors never change. */
static void immutable_selector(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    json_t *sel = json_object_get(k1s__objv(obj, "spec"), "selector");
    json_t *osel = json_object_get(k1s__objv(old, "spec"), "selector");
    if (!k1s_json_semantic_equal(sel, osel)) {
        char *t = k1s__go_label_selector(sel);
        k1s__ferr_invalid_text(fe, "spec.selector", t, "field is immutable");
        free(t);
    }
}

static void nonneg(const json_t *o, const char *key, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    k1s__ferr_nonneg(fe, k1s__fp(fp, "%s.%s", path, key), json_object_get(o, key));
}

/* Nonnegative status counts, none above status.replicas. */
static void status_counts(const json_t *status, const char *const *counts,
                          const char *const *bounded, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    for (const char *const *c = counts; *c; c++)
        nonneg(status, *c, "status", fe);
    json_int_t replicas = json_integer_value(json_object_get(status, "replicas"));
    for (const char *const *c = bounded; *c; c++) {
        json_t *v = json_object_get(status, *c);
        if (json_is_integer(v) && json_integer_value(v) > replicas)
            k1s_ferr_invalid(fe, k1s__fp(fp, "status.%s", *c), v,
                             "cannot be greater than status.replicas");
    }
}

/* ---- StatefulSet ---------------------------------------------------------------- */

static void statefulset_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status",
                        json_pack("{s:i, s:i}", "availableReplicas", 0, "replicas", 0));
}

static void statefulset_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (!spec)
        return;
    template_defaults(obj);
    /* a strategy without a type becomes a rolling update from 0 */
    json_t *us = k1s__objv(spec, "updateStrategy");
    if (us && !*k1s__str0(us, "type")) {
        json_object_set_new(us, "type", json_string("RollingUpdate"));
        if (!k1s__objv(us, "rollingUpdate"))
            json_object_set_new(us, "rollingUpdate", json_pack("{s:i}", "partition", 0));
    }
    json_t *ru = k1s__objv(us, "rollingUpdate");
    if (ru && !strcmp(k1s__str0(us, "type"), "RollingUpdate") && !k1s__has(ru, "partition"))
        json_object_set_new(ru, "partition", json_integer(0));
    /* Claim templates are kept as written (no apiVersion/kind, no PVC
       defaults) so re-applying an unchanged manifest is "unchanged"; the
       claims made from them get the PVC defaults. See docs/supported.md. */
}

static void statefulset_strategy(const json_t *spec, k1s_ferrs *fe)
{
    const json_t *us = k1s__objv(spec, "updateStrategy");
    const char *type = k1s__str0(us, "type");
    const json_t *ru = k1s__objv(us, "rollingUpdate");
    if (!*type) {
        k1s_ferr_required(fe, "spec.updateStrategy", "");
    } else if (!strcmp(type, "OnDelete")) {
        if (ru) {
            char t[160];
            snprintf(
                t, sizeof t,
                "apps.RollingUpdateStatefulSetStrategy{Partition:%lld, MaxUnavailable:(*intstr.IntOrString)(%s)}",
                (long long)json_integer_value(json_object_get(ru, "partition")),
                k1s__has(ru, "maxUnavailable") ? "0xc000010000" : "nil");
            k1s__ferr_invalid_text(fe, "spec.updateStrategy.rollingUpdate", t,
                                   "only allowed for updateStrategy 'RollingUpdate'");
        }
    } else if (!strcmp(type, "RollingUpdate")) {
        if (ru) {
            nonneg(ru, "partition", "spec.updateStrategy.rollingUpdate", fe);
            json_t *mu = json_object_get(ru, "maxUnavailable");
            if (mu && !json_is_null(mu)) {
                long long v;
                const char *p = "spec.updateStrategy.rollingUpdate.maxUnavailable";
                size_t before = k1s_ferrs_count(fe);
                k1s__int_or_percent(mu, p, false, &v, fe);
                if (v == 0 && k1s_ferrs_count(fe) == before) {
                    char *t = k1s__go_plain(mu);
                    k1s__ferr_invalid_text(fe, p, t, "cannot be 0");
                    free(t);
                }
                if (json_is_string(mu) && v > 100)
                    k1s__ferr_invalid_text(fe, p, json_string_value(mu),
                                           "must not be greater than 100%");
            }
        }
    } else {
        char *t = go_strategy("StatefulSetUpdateStrategy", "RollingUpdateStatefulSetStrategy", us);
        k1s__ferr_invalid_text(fe, "spec.updateStrategy", t,
                               "must be 'RollingUpdate' or 'OnDelete'");
        free(t);
    }
}

static void statefulset_validate_spec(const json_t *obj, k1s_ferrs *fe)
{
    static const char *const retention[] = {"Retain", "Delete", NULL};
    const json_t *spec = k1s__objv(obj, "spec");
    json_t *pmp = json_object_get(spec, "podManagementPolicy");
    const char *pm = json_string_value(pmp);
    if (!pm || !*pm)
        k1s_ferr_required(fe, "spec.podManagementPolicy", "");
    else if (strcmp(pm, "OrderedReady") && strcmp(pm, "Parallel"))
        k1s_ferr_invalid(fe, "spec.podManagementPolicy", pmp,
                         "must be 'OrderedReady' or 'Parallel'");
    statefulset_strategy(spec, fe);
    const json_t *rp = k1s__objv(spec, "persistentVolumeClaimRetentionPolicy");
    if (rp) {
        static const char *const which[] = {"whenDeleted", "whenScaled", NULL};
        for (const char *const *w = which; *w; w++) {
            char fp[K1S_FP_MAX];
            json_t *v = json_object_get(rp, *w);
            const char *s = json_string_value(v);
            if (!k1s__one_of(s ? s : "", retention)) {
                json_t *empty = s ? NULL : json_string(""); /* new */
                k1s_ferr_not_supported(
                    fe, k1s__fp(fp, "spec.persistentVolumeClaimRetentionPolicy.%s", *w),
                    empty ? empty : v, retention);
                json_decref(empty);
            }
        }
    }
    nonneg(spec, "replicas", "spec", fe);
    nonneg(spec, "minReadySeconds", "spec", fe);
    json_t *ord = k1s__objv(spec, "ordinals");
    if (ord)
        k1s__ferr_nonneg(fe, "spec.ordinals.start", json_object_get(ord, "start"));
    workload_selector(spec, "statefulset", true, fe);
    const json_t *tmpl = k1s__objv(spec, "template");
    const json_t *tmeta = k1s__objv(tmpl, "metadata");
    k1s__validate_labels(k1s__objv(tmeta, "labels"), "spec.template.labels", fe);
    k1s__validate_annotations(k1s__objv(tmeta, "annotations"), "spec.template.annotations", fe);
    /* kube leaves a set's pod spec to pod creation; here it is checked up
       front, its claim templates counting as volumes */
    k1s_podspec_opts o = {.claim_templates = k1s__arrv(spec, "volumeClaimTemplates")};
    k1s__validate_podspec(k1s__objv(tmpl, "spec"), "spec.template.spec", &o, fe);
    json_t *sn = json_object_get(spec, "serviceName");
    if (json_is_string(sn) && json_string_length(sn))
        k1s__check_dns_label(fe, "spec.serviceName", sn);
    k1s__workload_template_rules(spec, "StatefulSet", fe);
}

static void statefulset_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    statefulset_validate_spec(obj, fe);
    if (!old)
        return;
    static const char *const mutable_fields[] = {"replicas",
                                                 "template",
                                                 "updateStrategy",
                                                 "minReadySeconds",
                                                 "ordinals",
                                                 "persistentVolumeClaimRetentionPolicy",
                                                 NULL};
    const json_t *ospec = k1s__objv(old, "spec");
    json_t *n = json_deep_copy(k1s__objv(obj, "spec")); /* new */
    if (n) {
        for (const char *const *f = mutable_fields; *f; f++) {
            json_t *ov = json_object_get(ospec, *f);
            if (ov)
                json_object_set(n, *f, ov);
            else
                json_object_del(n, *f);
        }
        if (!k1s_json_semantic_equal(n, ospec))
            k1s_ferr_forbidden(
                fe, "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
        json_decref(n);
    }
    static const char *const counts[] = {
        "replicas",          "readyReplicas",      "currentReplicas", "updatedReplicas",
        "availableReplicas", "observedGeneration", "collisionCount",  NULL};
    static const char *const bounded[] = {"readyReplicas", "currentReplicas", "updatedReplicas",
                                          "availableReplicas", NULL};
    const json_t *status = k1s__objv(obj, "status");
    status_counts(status, counts, bounded, fe);
    json_t *av = json_object_get(status, "availableReplicas");
    if (json_integer_value(av) > json_integer_value(json_object_get(status, "readyReplicas")))
        k1s_ferr_invalid(fe, "status.availableReplicas", av,
                         "cannot be greater than status.readyReplicas");
}

const k1s_strategy k1s__strategy_statefulset = {
    /* pods take the set's name as their host name since kube 1.26 */
    .name_rule = K1S_NAME_DNS1123_LABEL,
    .defaults = statefulset_defaults,
    .prepare_create = statefulset_prepare_create,
    .validate = statefulset_validate,
};

/* ---- Deployment and ReplicaSet ------------------------------------------------------- */

static void deployment_defaults(json_t *obj)
{
    template_defaults(obj);
    json_t *st = k1s__objv(k1s__objv(obj, "spec"), "strategy");
    if (!st || strcmp(k1s__str0(st, "type"), "RollingUpdate"))
        return;
    json_t *ru = k1s__ensure_obj(st, "rollingUpdate");
    if (ru && !k1s__has(ru, "maxUnavailable"))
        json_object_set_new(ru, "maxUnavailable", json_string("25%"));
    if (ru && !k1s__has(ru, "maxSurge"))
        json_object_set_new(ru, "maxSurge", json_string("25%"));
}

/* ValidatePodTemplateSpecForReplicaSet (the selector half is in
 * workload_selector). */
static void replica_template(const json_t *spec, const char *kind, k1s_ferrs *fe)
{
    k1s_podspec_opts o = {0};
    k1s__validate_pod_template(k1s__objv(spec, "template"), "spec.template", &o, fe);
    k1s__workload_template_rules(spec, kind, fe);
}

static void deployment_strategy(const json_t *spec, k1s_ferrs *fe)
{
    static const char *const types[] = {"Recreate", "RollingUpdate", NULL};
    const json_t *st = k1s__objv(spec, "strategy");
    const char *type = k1s__str0(st, "type");
    const json_t *ru = k1s__objv(st, "rollingUpdate");
    if (!strcmp(type, "Recreate")) {
        if (ru)
            k1s_ferr_forbidden(fe, "spec.strategy.rollingUpdate",
                               "may not be specified when strategy `type` is 'Recreate'");
    } else if (!strcmp(type, "RollingUpdate")) {
        if (!ru) {
            k1s_ferr_required(fe, "spec.strategy.rollingUpdate",
                              "this should be defaulted and never be nil");
        } else {
            const char *mup = "spec.strategy.rollingUpdate.maxUnavailable";
            json_t *mu = json_object_get(ru, "maxUnavailable");
            long long u, s;
            k1s__int_or_percent(mu, mup, false, &u, fe);
            k1s__int_or_percent(json_object_get(ru, "maxSurge"),
                                "spec.strategy.rollingUpdate.maxSurge", false, &s, fe);
            if (u == 0 && s == 0) {
                char *t = k1s__go_plain(mu);
                k1s__ferr_invalid_text(fe, mup, t, "may not be 0 when `maxSurge` is 0");
                free(t);
            }
            if (json_is_string(mu) && u > 100)
                k1s__ferr_invalid_text(fe, mup, json_string_value(mu),
                                       "must not be greater than 100%");
        }
    } else {
        char *t = go_strategy("DeploymentStrategy", "RollingUpdateDeployment", st);
        char *list = NULL;
        if (asprintf(&list, "Unsupported value: %s: supported values: \"%s\", \"%s\"", t ? t : "",
                     types[0], types[1]) >= 0)
            k1s__ferr_raw(fe, "FieldValueNotSupported", "spec.strategy", list);
        free(list);
        free(t);
    }
}

static void deployment_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    nonneg(spec, "replicas", "spec", fe);
    workload_selector(spec, "deployment", true, fe);
    replica_template(spec, "ReplicaSet", fe);
    deployment_strategy(spec, fe);
    nonneg(spec, "minReadySeconds", "spec", fe);
    nonneg(spec, "revisionHistoryLimit", "spec", fe);
    json_t *pds = json_object_get(spec, "progressDeadlineSeconds");
    if (json_is_integer(pds)) {
        k1s__ferr_nonneg(fe, "spec.progressDeadlineSeconds", pds);
        if (json_integer_value(pds) <= json_integer_value(json_object_get(spec, "minReadySeconds")))
            k1s_ferr_invalid(fe, "spec.progressDeadlineSeconds", pds,
                             "must be greater than minReadySeconds");
    }
    if (!old)
        return;
    immutable_selector(obj, old, fe);
    static const char *const counts[] = {"observedGeneration", "replicas",
                                         "updatedReplicas",    "readyReplicas",
                                         "availableReplicas",  "unavailableReplicas",
                                         "collisionCount",     NULL};
    static const char *const bounded[] = {"updatedReplicas", "readyReplicas", "availableReplicas",
                                          NULL};
    const json_t *status = k1s__objv(obj, "status");
    status_counts(status, counts, bounded, fe);
    json_t *av = json_object_get(status, "availableReplicas");
    if (json_integer_value(av) > json_integer_value(json_object_get(status, "readyReplicas")))
        k1s_ferr_invalid(fe, "status.availableReplicas", av,
                         "cannot be greater than readyReplicas");
}

const k1s_strategy k1s__strategy_deployment = {
    .defaults = deployment_defaults,
    .prepare_create = k1s__empty_status,
    .validate = deployment_validate,
};

static void replicaset_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status", json_pack("{s:i}", "replicas", 0));
}

static void replicaset_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    nonneg(spec, "replicas", "spec", fe);
    nonneg(spec, "minReadySeconds", "spec", fe);
    workload_selector(spec, "deployment", true, fe);
    replica_template(spec, "ReplicaSet", fe);
    if (!old)
        return;
    immutable_selector(obj, old, fe);
    static const char *const counts[] = {"replicas",           "fullyLabeledReplicas",
                                         "readyReplicas",      "availableReplicas",
                                         "observedGeneration", NULL};
    static const char *const bounded[] = {"fullyLabeledReplicas", "readyReplicas",
                                          "availableReplicas", NULL};
    const json_t *status = k1s__objv(obj, "status");
    status_counts(status, counts, bounded, fe);
    json_t *av = json_object_get(status, "availableReplicas");
    if (json_integer_value(av) > json_integer_value(json_object_get(status, "readyReplicas")))
        k1s_ferr_invalid(fe, "status.availableReplicas", av,
                         "cannot be greater than readyReplicas");
}

static const char *const replicaset_fields[] = {"status.replicas", NULL};

const k1s_strategy k1s__strategy_replicaset = {
    .defaults = template_defaults,
    .prepare_create = replicaset_prepare_create,
    .validate = replicaset_validate,
    .field_labels = replicaset_fields,
};

/* ---- DaemonSet -------------------------------------------------------------------- */

static void daemonset_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status",
                        json_pack("{s:i, s:i, s:i, s:i}", "currentNumberScheduled", 0,
                                  "numberMisscheduled", 0, "desiredNumberScheduled", 0,
                                  "numberReady", 0));
}

static void daemonset_defaults(json_t *obj)
{
    template_defaults(obj);
    json_t *us = k1s__objv(k1s__objv(obj, "spec"), "updateStrategy");
    if (!us || strcmp(k1s__str0(us, "type"), "RollingUpdate"))
        return;
    json_t *ru = k1s__ensure_obj(us, "rollingUpdate");
    if (ru && !k1s__has(ru, "maxUnavailable"))
        json_object_set_new(ru, "maxUnavailable", json_integer(1));
    if (ru && !k1s__has(ru, "maxSurge"))
        json_object_set_new(ru, "maxSurge", json_integer(0));
}

static void daemonset_strategy(const json_t *spec, k1s_ferrs *fe)
{
    const json_t *us = k1s__objv(spec, "updateStrategy");
    const char *type = k1s__str0(us, "type");
    if (!strcmp(type, "OnDelete"))
        return;
    if (strcmp(type, "RollingUpdate")) {
        char *t = go_strategy("DaemonSetUpdateStrategy", "RollingUpdateDaemonSet", us);
        char *body = NULL;
        if (asprintf(&body,
                     "Unsupported value: %s: supported values: \"RollingUpdate\", \"OnDelete\"",
                     t ? t : "") >= 0)
            k1s__ferr_raw(fe, "FieldValueNotSupported", "spec.updateStrategy", body);
        free(body);
        free(t);
        return;
    }
    const json_t *ru = k1s__objv(us, "rollingUpdate");
    if (!ru) {
        k1s_ferr_required(fe, "spec.updateStrategy.rollingUpdate", "");
        return;
    }
    const char *mup = "spec.updateStrategy.rollingUpdate.maxUnavailable";
    const char *msp = "spec.updateStrategy.rollingUpdate.maxSurge";
    json_t *ms = json_object_get(ru, "maxSurge");
    long long u, s;
    k1s__int_or_percent(json_object_get(ru, "maxUnavailable"), mup, true, &u, fe);
    k1s__int_or_percent(ms, msp, true, &s, fe);
    if (u != 0 && s != 0) {
        char *t = k1s__go_plain(ms);
        k1s__ferr_invalid_text(fe, msp, t, "may not be set when maxUnavailable is non-zero");
        free(t);
    } else if (u == 0 && s == 0) {
        k1s_ferr_required(fe, mup, "cannot be 0 when maxSurge is 0");
    }
}

static void daemonset_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    workload_selector(spec, "daemonset", false, fe);
    replica_template(spec, "DaemonSet", fe);
    nonneg(spec, "minReadySeconds", "spec", fe);
    daemonset_strategy(spec, fe);
    nonneg(spec, "revisionHistoryLimit", "spec", fe);
    if (!old)
        return;
    immutable_selector(obj, old, fe);
    static const char *const counts[] = {"currentNumberScheduled", "numberMisscheduled",
                                         "desiredNumberScheduled", "numberReady",
                                         "observedGeneration",     "updatedNumberScheduled",
                                         "numberAvailable",        "numberUnavailable",
                                         "collisionCount",         NULL};
    static const char *const none[] = {NULL};
    status_counts(k1s__objv(obj, "status"), counts, none, fe);
}

const k1s_strategy k1s__strategy_daemonset = {
    .defaults = daemonset_defaults,
    .prepare_create = daemonset_prepare_create,
    .validate = daemonset_validate,
};

/* ---- ControllerRevision --------------------------------------------------------------- */

static void controllerrevision_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    json_t *data = json_object_get(obj, "data");
    if (!data || json_is_null(data))
        k1s_ferr_required(fe, "data", "data is mandatory");
    k1s__ferr_nonneg(fe, "revision", json_object_get(obj, "revision"));
    if (old && !k1s_json_semantic_equal(data, json_object_get(old, "data"))) {
        char *t = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        k1s__ferr_invalid_text(fe, "data", t ? t : "null", "field is immutable");
        free(t);
    }
}

const k1s_strategy k1s__strategy_controllerrevision = {
    .validate = controllerrevision_validate,
};
