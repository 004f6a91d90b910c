/*
 * daemonset_node.c - where daemon pods belong, as kube's daemon controller
 * and its util package decide: node selector and required node affinity,
 * taints against the pod's tolerations (with the tolerations every daemon
 * pod gets), the pod made for a node (pinned through node affinity on
 * metadata.name) and which node an existing daemon pod is for.
 */
#include "daemonset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tolerations --------------------------------------------------------------- */

/* Whether some taint with one of the effects is tolerated by none. */
static bool untolerated(const json_t *taints, const json_t *tols, bool no_schedule)
{
    size_t i, j;
    const json_t *t, *tol;
    json_array_foreach(taints, i, t)
    {
        const char *effect = k1s_json_str_or(t, "effect", "");
        if (strcmp(effect, "NoExecute") != 0 && !(no_schedule && !strcmp(effect, "NoSchedule")))
            continue;
        bool ok = false;
        json_array_foreach(tols, j, tol)
        {
            if (k1s__wl_toleration_matches(tol, t)) {
                ok = true;
                break;
            }
        }
        if (!ok)
            return true;
    }
    return false;
}

/* kube's AddOrUpdateDaemonPodTolerations. */
static void add_daemon_tolerations(json_t *spec)
{
    static const char *const defaults[][2] = {
        {"node.kubernetes.io/not-ready", "NoExecute"},
        {"node.kubernetes.io/unreachable", "NoExecute"},
        {"node.kubernetes.io/disk-pressure", "NoSchedule"},
        {"node.kubernetes.io/memory-pressure", "NoSchedule"},
        {"node.kubernetes.io/pid-pressure", "NoSchedule"},
        {"node.kubernetes.io/unschedulable", "NoSchedule"},
        {"node.kubernetes.io/network-unavailable", "NoSchedule"},
    };
    size_t n = sizeof defaults / sizeof defaults[0];
    if (!json_is_true(json_object_get(spec, "hostNetwork")))
        n--; /* network-unavailable only for host-network pods */
    json_t *tols = json_object_get(spec, "tolerations"); /* borrowed */
    if (!json_is_array(tols)) {
        tols = json_array();
        json_object_set_new(spec, "tolerations", tols);
    }
    for (size_t d = 0; d < n; d++) {
        bool have = false;
        size_t i;
        const json_t *t;
        json_array_foreach(tols, i, t)
        {
            if (!strcmp(k1s_json_str_or(t, "key", ""), defaults[d][0]) &&
                !strcmp(k1s_json_str_or(t, "operator", ""), "Exists") &&
                !*k1s_json_str_or(t, "value", "") &&
                !strcmp(k1s_json_str_or(t, "effect", ""), defaults[d][1])) {
                have = true;
                break;
            }
        }
        if (!have)
            json_array_append_new(tols, json_pack("{s:s, s:s, s:s}", "key", defaults[d][0],
                                                  "operator", "Exists", "effect", defaults[d][1]));
    }
}

/* ---- node affinity ---------------------------------------------------------------- */

static bool value_in(const json_t *values, const char *v)
{
    size_t i;
    const json_t *x;
    json_array_foreach(values, i, x)
    {
        if (!strcmp(json_string_value(x) ? json_string_value(x) : "", v))
            return true;
    }
    return false;
}

static bool requirement(const json_t *req, const char *value /* NULL: absent */)
{
    const char *op = k1s_json_str_or(req, "operator", "");
    const json_t *values = json_object_get(req, "values");
    if (!strcmp(op, "In"))
        return value && value_in(values, value);
    if (!strcmp(op, "NotIn"))
        return !value || !value_in(values, value);
    if (!strcmp(op, "Exists"))
        return value != NULL;
    if (!strcmp(op, "DoesNotExist"))
        return value == NULL;
    if (!strcmp(op, "Gt") || !strcmp(op, "Lt")) {
        if (!value || json_array_size(values) != 1)
            return false;
        char *e1 = NULL, *e2 = NULL;
        const char *want = json_string_value(json_array_get(values, 0));
        long long have = strtoll(value, &e1, 10);
        long long lim = want ? strtoll(want, &e2, 10) : 0;
        if (e1 == value || *e1 || !want || e2 == want || *e2)
            return false;
        return !strcmp(op, "Gt") ? have > lim : have < lim;
    }
    return false;
}

static bool term_matches(const json_t *term, const json_t *node)
{
    const json_t *exprs = json_object_get(term, "matchExpressions");
    const json_t *fields = json_object_get(term, "matchFields");
    if (json_array_size(exprs) == 0 && json_array_size(fields) == 0)
        return false; /* an empty term matches nothing */
    size_t i;
    const json_t *r;
    json_array_foreach(exprs, i, r)
    {
        if (!requirement(r, k1s_meta_label(node, k1s_json_str_or(r, "key", ""))))
            return false;
    }
    json_array_foreach(fields, i, r)
    {
        if (strcmp(k1s_json_str_or(r, "key", ""), "metadata.name") != 0 ||
            !requirement(r, k1s__wl_name(node)))
            return false;
    }
    return true;
}

/* kube's GetRequiredNodeAffinity(pod).Match(node). */
static bool affinity_matches(const json_t *spec, const json_t *node)
{
    const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(spec, "nodeSelector"), k, v)
    {
        const char *have = json_string_value(json_object_get(labels, k));
        if (!have || strcmp(have, json_string_value(v) ? json_string_value(v) : "") != 0)
            return false;
    }
    const json_t *req =
        json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
                        "requiredDuringSchedulingIgnoredDuringExecution");
    if (!req || json_is_null(req))
        return true;
    size_t i;
    const json_t *term;
    json_array_foreach(json_object_get(req, "nodeSelectorTerms"), i, term)
    {
        if (term_matches(term, node))
            return true;
    }
    return false;
}

void k1s__ds_should_run(const json_t *node, const json_t *ds, bool *run, bool *keep)
{
    *run = *keep = false;
    const json_t *tspec =
        json_object_get(json_object_get(json_object_get(ds, "spec"), "template"), "spec");
    const char *want = k1s_json_str_or(tspec, "nodeName", "");
    if (*want && strcmp(want, k1s__wl_name(node)) != 0)
        return;
    if (!affinity_matches(tspec, node))
        return;
    json_t *spec = json_deep_copy(tspec); /* new */
    if (!spec)
        return;
    add_daemon_tolerations(spec);
    const json_t *taints = json_object_get(json_object_get(node, "spec"), "taints");
    const json_t *tols = json_object_get(spec, "tolerations");
    if (untolerated(taints, tols, true)) {
        *keep = !untolerated(taints, tols, false);
    } else {
        *run = *keep = true;
    }
    json_decref(spec);
}

/* ---- daemon pods ------------------------------------------------------------------- */

long long k1s__ds_template_generation(const json_t *ds)
{
    const char *v = k1s_meta_annotation(ds, K1S_DS_GENERATION_ANNOTATION);
    if (!v)
        return -1;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    return end == v || *end ? -1 : n;
}

bool k1s__ds_pod_updated(const json_t *pod, const char *hash, long long generation)
{
    const char *h = k1s_meta_label(pod, K1S_DS_HASH_LABEL);
    if (hash && *hash && h && !strcmp(h, hash))
        return true;
    if (generation < 0)
        return false;
    char g[24];
    snprintf(g, sizeof g, "%lld", generation);
    const char *pg = k1s_meta_label(pod, K1S_DS_GENERATION_LABEL);
    return pg && !strcmp(pg, g);
}

json_t *k1s__ds_pod_template(const json_t *ds, const char *hash)
{
    json_t *tmpl = json_deep_copy(json_object_get(json_object_get(ds, "spec"), "template"));
    if (!tmpl)
        tmpl = json_object();
    json_t *spec = json_object_get(tmpl, "spec"); /* borrowed */
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(tmpl, "spec", spec);
    }
    add_daemon_tolerations(spec);
    json_t *meta = json_object_get(tmpl, "metadata"); /* borrowed */
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(tmpl, "metadata", meta);
    }
    json_t *labels = json_object_get(meta, "labels"); /* borrowed */
    if (!json_is_object(labels)) {
        labels = json_object();
        json_object_set_new(meta, "labels", labels);
    }
    long long gen = k1s__ds_template_generation(ds);
    if (gen >= 0) {
        char g[24];
        snprintf(g, sizeof g, "%lld", gen);
        json_object_set_new(labels, K1S_DS_GENERATION_LABEL, json_string(g));
    }
    if (hash && *hash)
        json_object_set_new(labels, K1S_DS_HASH_LABEL, json_string(hash));
    return tmpl;
}

void k1s__ds_pin(json_t *spec, const char *node)
{
    /* new */
    json_t *terms = json_pack("[{s:[{s:s, s:s, s:[s]}]}]", "matchFields", "key", "metadata.name",
                              "operator", "In", "values", node);
    json_t *aff = json_object_get(spec, "affinity"); /* borrowed */
    if (!json_is_object(aff)) {
        aff = json_object();
        json_object_set_new(spec, "affinity", aff);
    }
    json_t *na = json_object_get(aff, "nodeAffinity"); /* borrowed */
    if (!json_is_object(na)) {
        na = json_object();
        json_object_set_new(aff, "nodeAffinity", na);
    }
    json_t *req = json_object_get(na, "requiredDuringSchedulingIgnoredDuringExecution");
    if (!json_is_object(req)) {
        req = json_object();
        json_object_set_new(na, "requiredDuringSchedulingIgnoredDuringExecution", req);
    }
    json_object_set_new(req, "nodeSelectorTerms", terms);
}

const char *k1s__ds_target_node(const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *n = k1s_json_str_or(spec, "nodeName", "");
    if (*n)
        return n;
    const json_t *req =
        json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
                        "requiredDuringSchedulingIgnoredDuringExecution");
    size_t i, j;
    const json_t *term, *f;
    json_array_foreach(json_object_get(req, "nodeSelectorTerms"), i, term)
    {
        json_array_foreach(json_object_get(term, "matchFields"), j, f)
        {
            if (!strcmp(k1s_json_str_or(f, "key", ""), "metadata.name") &&
                !strcmp(k1s_json_str_or(f, "operator", ""), "In")) {
                const json_t *values = json_object_get(f, "values");
                if (json_array_size(values) != 1)
                    return "";
                return json_string_value(json_array_get(values, 0))
                           ? json_string_value(json_array_get(values, 0))
                           : "";
            }
        }
    }
    return "";
}
