/*
 * podutil.c - pod predicates, pods made from templates, owner references,
 * selectors and small accessors shared by the workload and endpoint
 * controllers (see podutil.h). Judgements follow kube's pkg/api/v1/pod and
 * pkg/controller helpers.
 */
#include "k1s_podutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ------------------------------------------------------------------- */

/* metadata.<field>, "" when absent */
static const char *meta_str(const json_t *obj, const char *field)
{
    const char *s = k1s_meta(obj, field);
    return s ? s : "";
}

const char *k1s__wl_name(const json_t *obj)
{
    return meta_str(obj, "name");
}

const char *k1s__wl_ns(const json_t *obj)
{
    return meta_str(obj, "namespace");
}

const char *k1s__wl_uid(const json_t *obj)
{
    return meta_str(obj, "uid");
}

long long k1s__wl_generation(const json_t *obj)
{
    return k1s_json_int(obj, "metadata.generation", 0);
}

int64_t k1s__wl_rev(const json_t *obj)
{
    return strtoll(meta_str(obj, "resourceVersion"), NULL, 10);
}

bool k1s__wl_deleting(const json_t *obj)
{
    return k1s_json_at(obj, "metadata.deletionTimestamp") != NULL;
}

int k1s__wl_scaled(const json_t *v, long long total, bool round_up, long long *out)
{
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    char *end = NULL;
    long long pct = strtoll(s, &end, 10);
    if (end == s || strcmp(end, "%") != 0 || pct < -1000000 || pct > 1000000)
        return -1;
    long long num = pct * total;
    if (round_up)
        *out = num >= 0 ? (num + 99) / 100 : -((-num) / 100);
    else
        *out = num >= 0 ? num / 100 : -((-num + 99) / 100);
    return 0;
}

/* ---- pods ------------------------------------------------------------------ */

const json_t *k1s__wl_ready_condition(const json_t *pod)
{
    const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions");
    size_t i;
    const json_t *cnd;
    json_array_foreach(conds, i, cnd)
    {
        const char *type = json_string_value(json_object_get(cnd, "type"));
        if (type && !strcmp(type, "Ready"))
            return cnd;
    }
    return NULL;
}

bool k1s__wl_pod_ready(const json_t *pod)
{
    const char *s = json_string_value(json_object_get(k1s__wl_ready_condition(pod), "status"));
    return s && !strcmp(s, "True");
}

int64_t k1s__wl_pod_ready_since(const json_t *pod)
{
    if (!k1s__wl_pod_ready(pod))
        return -1;
    return k1s__wl_parse_time(
        json_string_value(json_object_get(k1s__wl_ready_condition(pod), "lastTransitionTime")));
}

bool k1s__wl_pod_available(const json_t *pod, long long min_ready, int64_t now)
{
    if (!k1s__wl_pod_ready(pod))
        return false;
    if (min_ready <= 0)
        return true;
    int64_t since = k1s__wl_pod_ready_since(pod);
    return since >= 0 && since + min_ready < now;
}

bool k1s__wl_pod_terminal(const json_t *pod)
{
    const char *p = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
    return p && (!strcmp(p, "Succeeded") || !strcmp(p, "Failed"));
}

bool k1s__wl_pod_active(const json_t *pod)
{
    return !k1s__wl_pod_terminal(pod) && !k1s__wl_deleting(pod);
}

long long k1s__wl_pod_max_restarts(const json_t *pod)
{
    long long max = 0;
    const json_t *cs = json_object_get(json_object_get(pod, "status"), "containerStatuses");
    size_t i;
    const json_t *s;
    json_array_foreach(cs, i, s)
    {
        long long r = k1s_json_int(s, "restartCount", 0);
        if (r > max)
            max = r;
    }
    return max;
}

json_t *k1s__wl_pod_from_template(const json_t *tmpl, const json_t *owner,
                                  const char *owner_api_version, const char *owner_kind)
{
    const json_t *tm = json_object_get(tmpl, "metadata");
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%.250s-", k1s__wl_name(owner));
    /* new */
    json_t *meta =
        json_pack("{s:s, s:s}", "generateName", prefix, "namespace", k1s__wl_ns(owner)); /* new */
    static const char *const copy[] = {"labels", "annotations", NULL};
    for (const char *const *k = copy; *k; k++) {
        json_t *v = json_object_get(tm, *k); /* borrowed */
        if (json_object_size(v))
            json_object_set_new(meta, *k, json_deep_copy(v));
    }
    json_object_set_new(meta, "ownerReferences",
                        json_pack("[o]", k1s__wl_owner_ref(owner, owner_api_version, owner_kind)));
    json_t *fin = json_object_get(tm, "finalizers"); /* borrowed */
    if (json_array_size(fin))
        json_object_set_new(meta, "finalizers", json_deep_copy(fin));
    json_t *spec = json_object_get(tmpl, "spec"); /* borrowed */
    return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta,
                     "spec", spec ? json_deep_copy(spec) : json_object());
}

int k1s__wl_create_pod(k1s_ctrl *c, const char *component, const json_t *owner, json_t *pod,
                       json_t **out, char *err, size_t errlen)
{
    if (err && errlen)
        *err = 0;
    if (!pod)
        return 500;
    if (json_object_size(json_object_get(json_object_get(pod, "metadata"), "labels")) == 0) {
        if (err)
            snprintf(err, errlen, "unable to create pods, no labels");
        return 400;
    }
    k1s_target t = {k1s_registry_find_kind("", "Pod"), k1s__wl_ns(owner), NULL, NULL};
    k1s_status st = {0};
    json_t *res = NULL; /* new once set */
    if (k1s_api_create(k1s_ctrl_api(c), &t, pod, NULL, &res, &st)) {
        int code = st.code ? st.code : 500;
        const char *msg = st.message ? st.message : "unknown error";
        if (err)
            snprintf(err, errlen, "%s", msg);
        /* a terminating namespace refuses every pod; kube stays quiet */
        if (!strstr(msg, "being terminated"))
            k1s_ctrl_event(c, component, owner, "Warning", "FailedCreate", "Error creating: %s",
                           msg);
        k1s_status_clear(&st);
        return code;
    }
    k1s_ctrl_event(c, component, owner, "Normal", "SuccessfulCreate", "Created pod: %s",
                   k1s__wl_name(res));
    if (out)
        *out = res;
    else
        json_decref(res);
    return 0;
}

int k1s__wl_delete_pod(k1s_ctrl *c, const char *component, const json_t *owner, const json_t *pod,
                       char *err, size_t errlen)
{
    if (err && errlen)
        *err = 0;
    k1s_target t = {k1s_registry_find_kind("", "Pod"), k1s__wl_ns(pod), k1s__wl_name(pod), NULL};
    k1s_opts o = {.grace_seconds = -1};
    k1s_status st = {0};
    json_t *res = NULL; /* new once set */
    int removed = 0;
    if (k1s_api_delete(k1s_ctrl_api(c), &t, &o, &res, &removed, &st)) {
        int code = st.code ? st.code : 500;
        const char *msg = st.message ? st.message : "unknown error";
        if (err)
            snprintf(err, errlen, "unable to delete pods: %s", msg);
        if (code != 404)
            k1s_ctrl_event(c, component, owner, "Warning", "FailedDelete", "Error deleting: %s",
                           msg);
        k1s_status_clear(&st);
        return code;
    }
    json_decref(res);
    k1s_ctrl_event(c, component, owner, "Normal", "SuccessfulDelete", "Deleted pod: %s",
                   k1s__wl_name(pod));
    return 0;
}

int k1s__wl_mark_disruption(k1s_ctrl *c, const json_t *pod, const char *reason, const char *message,
                            bool fail)
{
    json_t *up = json_deep_copy(pod); /* new */
    json_t *st = k1s_json_object_at(up, "status");
    json_t *conds = json_object_get(st, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(st, "conditions", conds);
    }
    char ts[K1S_TIME_LEN];
    k1s_time_format(k1s_time_now(), ts, sizeof ts);
    json_array_append_new(conds, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "DisruptionTarget",
                                           "status", "True", "reason", reason, "message", message,
                                           "lastTransitionTime", ts));
    if (fail && !k1s__wl_pod_terminal(pod))
        json_object_set_new(st, "phase", json_string("Failed"));
    int rc = k1s_ctrl_update(c, "", "Pod", k1s__wl_ns(pod), "status", up, NULL);
    json_decref(up);
    return rc;
}

/* ---- taints ------------------------------------------------------------------ */

bool k1s__wl_toleration_matches(const json_t *tol, const json_t *taint)
{
    const char *effect = k1s_json_str_or(tol, "effect", "");
    if (*effect && strcmp(effect, k1s_json_str_or(taint, "effect", "")) != 0)
        return false;
    const char *key = k1s_json_str_or(tol, "key", "");
    if (*key && strcmp(key, k1s_json_str_or(taint, "key", "")) != 0)
        return false;
    const char *op = k1s_json_str_or(tol, "operator", "");
    if (!*op || !strcmp(op, "Equal"))
        return !strcmp(k1s_json_str_or(tol, "value", ""), k1s_json_str_or(taint, "value", ""));
    return !strcmp(op, "Exists");
}

bool k1s__wl_tolerated(const json_t *tolerations, const json_t *taint)
{
    size_t i;
    const json_t *t;
    json_array_foreach(tolerations, i, t) if (k1s__wl_toleration_matches(t, taint)) return true;
    return false;
}

/* ---- owners ------------------------------------------------------------------ */

const json_t *k1s__wl_controller_of(const json_t *obj)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        if (json_is_true(json_object_get(r, "controller")))
            return r;
    }
    return NULL;
}

bool k1s__wl_controlled_by(const json_t *obj, const char *uid)
{
    const char *u = json_string_value(json_object_get(k1s__wl_controller_of(obj), "uid"));
    return u && uid && !strcmp(u, uid);
}

json_t *k1s__wl_owner_ref(const json_t *owner, const char *api_version, const char *kind)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", api_version, "kind", kind,
                     "name", k1s__wl_name(owner), "uid", k1s__wl_uid(owner), "controller", 1,
                     "blockOwnerDeletion", 1);
}

static int patch_refs(k1s_ctrl *c, const char *group, const char *kind, const json_t *obj,
                      json_t *refs /* stolen */)
{
    /* new */
    json_t *patch = json_pack("{s:{s:o}}", "metadata", "ownerReferences",
                              json_array_size(refs) ? refs : (json_decref(refs), json_null()));
    char *text = json_dumps(patch, JSON_COMPACT);
    json_decref(patch);
    if (!text)
        return 500;
    int rc = k1s_ctrl_patch(c, group, kind, k1s__wl_ns(obj), k1s__wl_name(obj), NULL, text);
    free(text);
    return rc;
}

int k1s__wl_adopt(k1s_ctrl *c, const char *group, const char *kind, const json_t *obj,
                  const json_t *owner, const char *owner_api_version, const char *owner_kind)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    json_t *next = json_is_array(refs) ? json_deep_copy(refs) : json_array(); /* new */
    json_array_append_new(next, k1s__wl_owner_ref(owner, owner_api_version, owner_kind));
    return patch_refs(c, group, kind, obj, next);
}

int k1s__wl_release(k1s_ctrl *c, const char *group, const char *kind, const json_t *obj,
                    const char *owner_uid)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    json_t *next = json_array(); /* new */
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *u = json_string_value(json_object_get(r, "uid"));
        if (!u || strcmp(u, owner_uid) != 0)
            json_array_append(next, (json_t *)r);
    }
    return patch_refs(c, group, kind, obj, next);
}

/* ---- selectors ------------------------------------------------------------------ */

k1s_selector *k1s__wl_selector(const json_t *label_selector)
{
    k1s_selector *sel = NULL;
    char *err = NULL;
    if (k1s_label_selector_from_json(label_selector, &sel, &err) != 0) {
        free(err);
        return NULL;
    }
    return sel;
}

bool k1s__wl_selects_all(const json_t *label_selector)
{
    return json_is_object(label_selector) &&
           json_object_size(json_object_get(label_selector, "matchLabels")) == 0 &&
           json_array_size(json_object_get(label_selector, "matchExpressions")) == 0;
}

bool k1s__wl_matches(const k1s_selector *sel, const json_t *obj)
{
    return sel && k1s_selector_matches_labels(
                      sel, json_object_get(json_object_get(obj, "metadata"), "labels"));
}
