/*
 * api_eviction.c - the pods/eviction subresource, as kube-apiserver's
 * EvictionREST: a pod may be deleted only when the one
 * PodDisruptionBudget that selects it allows a disruption, which the
 * eviction spends by decrementing status.disruptionsAllowed and recording
 * the pod in status.disruptedPods (the disruption controller recomputes
 * both). Pods that are not running (pending, finished, already being
 * deleted) are deleted without asking; not-ready running pods follow
 * spec.unhealthyPodEvictionPolicy. Before the delete the pod gets the
 * DisruptionTarget condition, as kube's PodDisruptionConditions do.
 *
 * The PDB write is a compare-and-swap on its resourceVersion; a lost race
 * is retried from the start, so two evictions never spend one
 * disruption.
 */
#include "api_internal.h"
#include "k1s_selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kube's MaxDisruptedPodSize */
#define MAX_DISRUPTED 2000
/* how often a lost PDB race is retried before a 429 */
#define RETRIES 5

static const char *phase_of(const json_t *pod)
{
    const char *p = k1s_json_str(pod, "status.phase");
    return p ? p : "";
}

static bool pod_ready(const json_t *pod)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "status"), "conditions"), i, c)
    {
        const char *t = k1s_json_str(c, "type"), *s = k1s_json_str(c, "status");
        if (t && s && !strcmp(t, "Ready"))
            return !strcmp(s, "True");
    }
    return false;
}

/* kube's canIgnorePDB */
static bool ignores_budget(const json_t *pod)
{
    const char *p = phase_of(pod);
    return !strcmp(p, "Succeeded") || !strcmp(p, "Failed") || !strcmp(p, "Pending") ||
           json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp") != NULL;
}

typedef struct pdbs {
    const json_t *labels; /* the pod's */
    json_t *found;        /* the PDBs selecting it */
} pdbs;

static int match_pdb(void *vctx, const char *json, size_t len)
{
    pdbs *p = vctx;
    json_t *pdb = k1s_json_load(json, len, NULL); /* new */
    const json_t *ls = json_object_get(json_object_get(pdb, "spec"), "selector");
    k1s_selector *sel = NULL;
    char *err = NULL;
    /* a PDB without a selector selects nothing; {} everything (policy/v1) */
    if (json_is_object(ls) && k1s_label_selector_from_json(ls, &sel, &err) == 0 &&
        k1s_selector_matches_labels(sel, p->labels))
        json_array_append(p->found, pdb);
    free(err);
    k1s_selector_free(sel);
    json_decref(pdb);
    return 0;
}

static int find_pdbs(k1s_api *api, const char *ns, const json_t *pod, json_t **out, k1s_status *st)
{
    const k1s_kind *k = k1s_registry_find_kind("policy", "PodDisruptionBudget");
    pdbs p = {json_object_get(json_object_get(pod, "metadata"), "labels"), json_array()};
    k1s_list_opts lo = {0};
    k1s_list_result res;
    if (k1s_api_list(api, k, ns, &lo, match_pdb, &p, &res, st)) {
        json_decref(p.found);
        return -1;
    }
    k1s_list_result_free(&res);
    *out = p.found;
    return 0;
}

#define REFUSED "Cannot evict pod as it would violate the pod's disruption budget."

/* kube's 429 with a DisruptionBudget cause saying why. */
static int too_many_requests(k1s_status *st, const char *cause)
{
    k1s_status_set(st, 429, "TooManyRequests", REFUSED);
    json_decref(st->details);
    st->details =
        json_pack("{s:[{s:s, s:s}]}", "causes", "reason", "DisruptionBudget", "message", cause);
    return -1;
}

/* kube's checkAndDecrement on a copy of the PDB: -1 with st when the
 * budget refuses. */
static int spend_disruption(json_t *pdb, const char *pod_name, k1s_status *st)
{
    const char *name = k1s_meta(pdb, "name");
    json_t *status = json_object_get(pdb, "status");
    char cause[512];
    if (k1s_json_int(status, "observedGeneration", 0) <
        k1s_json_int(pdb, "metadata.generation", 0)) {
        snprintf(cause, sizeof cause,
                 "The disruption budget %s is still being processed by the server.", name);
        return too_many_requests(st, cause);
    }
    long long allowed = k1s_json_int(status, "disruptionsAllowed", 0);
    if (allowed < 0)
        return k1s_status_set(st, 403, "Forbidden",
                              "pods \"%s\" is forbidden: pdb disruptions allowed is negative",
                              pod_name);
    if (json_object_size(json_object_get(status, "disruptedPods")) > MAX_DISRUPTED)
        return k1s_status_set(st, 403, "Forbidden",
                              "pods \"%s\" is forbidden: DisruptedPods map too big - too many "
                              "evictions not confirmed by PDB controller",
                              pod_name);
    if (allowed == 0) {
        snprintf(cause, sizeof cause,
                 "The disruption budget %s needs %lld healthy pods and has %lld currently", name,
                 k1s_json_int(status, "desiredHealthy", 0),
                 k1s_json_int(status, "currentHealthy", 0));
        return too_many_requests(st, cause);
    }
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(pdb, "status", status);
    }
    json_object_set_new(status, "disruptionsAllowed", json_integer(allowed - 1));
    json_t *disrupted = json_object_get(status, "disruptedPods");
    if (!json_is_object(disrupted)) {
        disrupted = json_object();
        json_object_set_new(status, "disruptedPods", disrupted);
    }
    char ts[32];
    k1s_time_format_now(ts, sizeof ts);
    json_object_set_new(disrupted, pod_name, json_string(ts));
    if (allowed - 1 == 0) {
        /* kube's UpdateDisruptionAllowedCondition */
        json_t *conds = json_object_get(status, "conditions");
        size_t i;
        json_t *c;
        json_array_foreach(conds, i, c)
        {
            const char *t = k1s_json_str(c, "type");
            if (!t || strcmp(t, "DisruptionAllowed") != 0)
                continue;
            const char *was = k1s_json_str(c, "status");
            if (!was || strcmp(was, "False") != 0)
                json_object_set_new(c, "lastTransitionTime", json_string(ts));
            json_object_set_new(c, "status", json_string("False"));
            json_object_set_new(c, "reason", json_string("InsufficientPods"));
            json_object_set_new(c, "message", json_string(""));
            json_object_set_new(c, "observedGeneration",
                                json_integer(k1s_json_int(pdb, "metadata.generation", 0)));
        }
    }
    return 0;
}

/* The DisruptionTarget condition on the pod (best effort: the delete
 * that follows is what matters, as in kube). */
static void mark_disruption(k1s_api *api, const char *ns, json_t *pod)
{
    json_t *status = k1s_json_object_at(pod, "status");
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *t = k1s_json_str(c, "type");
        if (t && !strcmp(t, "DisruptionTarget"))
            return;
    }
    char ts[32];
    k1s_time_format_now(ts, sizeof ts);
    json_array_append_new(conds,
                          json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "DisruptionTarget",
                                    "status", "True", "lastTransitionTime", ts, "reason",
                                    "EvictionByEvictionAPI", "message", "Eviction API: evicting"));
    k1s_target t = {k1s_registry_find_kind("", "Pod"), ns, k1s_meta(pod, "name"), "status"};
    k1s_status st = {0};
    json_t *out = NULL;
    if (k1s_api_update(api, &t, pod, NULL, &out, &st) == 0)
        json_decref(out);
    k1s_status_clear(&st);
}

static int delete_pod(k1s_api *api, const char *ns, json_t *pod, const json_t *options,
                      bool dry_run, k1s_status *st)
{
    if (!dry_run)
        mark_disruption(api, ns, pod);
    k1s_target t = {k1s_registry_find_kind("", "Pod"), ns, k1s_meta(pod, "name"), NULL};
    const json_t *gp = json_object_get(options, "gracePeriodSeconds");
    const json_t *pre = json_object_get(options, "preconditions");
    k1s_opts o = {
        .dry_run = dry_run,
        .grace_seconds = json_is_integer(gp) ? json_integer_value(gp) : -1,
        .propagation = k1s_json_str(options, "propagationPolicy"),
        .precondition_uid = k1s_json_str(pre, "uid"),
        .precondition_rv = k1s_json_str(pre, "resourceVersion"),
    };
    json_t *out = NULL;
    int removed = 0;
    int rc = k1s_api_delete(api, &t, &o, &out, &removed, st);
    json_decref(out);
    return rc;
}

/* One attempt: 0 done, 1 lost a race on the PDB (try again), -1 refused. */
static int evict_once(k1s_api *api, const char *ns, const char *name, const json_t *options,
                      bool dry_run, k1s_status *st)
{
    k1s_target pt = {k1s_registry_find_kind("", "Pod"), ns, name, NULL};
    json_t *pod = NULL; /* new once set */
    if (k1s_api_get(api, &pt, &pod, st))
        return -1;
    int rc;
    if (ignores_budget(pod)) {
        rc = delete_pod(api, ns, pod, options, dry_run, st);
        json_decref(pod);
        return rc;
    }
    json_t *found = NULL; /* new once set */
    if (find_pdbs(api, ns, pod, &found, st)) {
        json_decref(pod);
        return -1;
    }
    if (json_array_size(found) > 1) {
        json_decref(found);
        json_decref(pod);
        return k1s_status_set(st, 500, "InternalError",
                              "This pod has more than one PodDisruptionBudget, which the eviction "
                              "subresource does not support.");
    }
    json_t *pdb = json_array_get(found, 0); /* borrowed */
    if (pdb) {
        const char *policy = k1s_json_str(pdb, "spec.unhealthyPodEvictionPolicy");
        bool always = policy && !strcmp(policy, "AlwaysAllow");
        const json_t *pst = json_object_get(pdb, "status");
        bool healthy_budget =
            k1s_json_int(pst, "currentHealthy", 0) >= k1s_json_int(pst, "desiredHealthy", 0) &&
            k1s_json_int(pst, "desiredHealthy", 0) > 0;
        /* a running pod that is not ready is already disrupted */
        if (!pod_ready(pod) && (always || healthy_budget))
            pdb = NULL;
    }
    if (pdb) {
        if (spend_disruption(pdb, name, st)) {
            json_decref(found);
            json_decref(pod);
            return -1;
        }
        if (!dry_run) {
            k1s_target bt = {k1s_registry_find_kind("policy", "PodDisruptionBudget"), ns,
                             k1s_meta(pdb, "name"), "status"};
            json_t *out = NULL;
            if (k1s_api_update(api, &bt, pdb, NULL, &out, st)) {
                json_decref(found);
                json_decref(pod);
                if (st->code == 409) {
                    k1s_status_clear(st);
                    return 1;
                }
                return -1;
            }
            json_decref(out);
        }
    }
    json_decref(found);
    rc = delete_pod(api, ns, pod, options, dry_run, st);
    json_decref(pod);
    return rc;
}

int k1s_api_evict(k1s_api *api, const char *ns, const char *name, const json_t *eviction,
                  bool dry_run, k1s_status *st)
{
    const char *named = k1s_meta(eviction, "name");
    if (!named || strcmp(named, name) != 0)
        return k1s_err_bad_request(st, "name in URL does not match name in Eviction object");
    const json_t *options = json_object_get(eviction, "deleteOptions");
    if (json_array_size(json_object_get(options, "dryRun")))
        dry_run = true;
    for (int i = 0; i < RETRIES; i++) {
        int rc = evict_once(api, ns, name, options, dry_run, st);
        if (rc <= 0)
            return rc;
    }
    return k1s_status_set(st, 429, "TooManyRequests", REFUSED);
}
