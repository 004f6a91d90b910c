/*
 * api_binding.c - the pods/binding subresource: how a scheduler assigns a
 * pod to a node. A Binding (core/v1, target {kind: Node, name}) sets
 * spec.nodeName once, merges the binding's annotations into the pod and
 * marks the PodScheduled condition True.
 *
 * Like kube-apiserver's BindingREST, the pod is written straight through
 * the store (k1s_store_update) rather than through the generic update path:
 * that path, rightly, refuses any change of spec.nodeName, and a binding
 * does not bump metadata.generation. The HTTP layer routes
 * POST .../pods/NAME/binding here; the in-process scheduler calls it
 * directly.
 */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bindctx {
    const char *name;
    const char *node;          /* borrowed from the binding */
    const char *uid, *rv;      /* preconditions, NULL when not given */
    const json_t *annotations; /* borrowed object of strings, or NULL */
    k1s_status *st;
} bindctx;

/* podutil.UpdatePodCondition for PodScheduled=True: the transition time
 * moves only when the status changes; reason and message go. */
static void mark_scheduled(json_t *pod)
{
    json_t *status = json_object_get(pod, "status");
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(pod, "status", status);
    }
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    char ts[32];
    k1s_time_format_now(ts, sizeof ts);
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        if (!type || strcmp(type, "PodScheduled") != 0)
            continue;
        const char *was = json_string_value(json_object_get(c, "status"));
        json_t *when = json_object_get(c, "lastTransitionTime");
        json_t *fresh = json_pack("{s:s, s:s, s:n}", "type", "PodScheduled", "status", "True",
                                  "lastProbeTime"); /* new */
        if (was && !strcmp(was, "True") && json_is_string(when))
            json_object_set(fresh, "lastTransitionTime", when);
        else
            json_object_set_new(fresh, "lastTransitionTime", json_string(ts));
        json_array_set_new(conds, i, fresh);
        return;
    }
    json_array_append_new(conds, json_pack("{s:s, s:s, s:n, s:s}", "type", "PodScheduled", "status",
                                           "True", "lastProbeTime", "lastTransitionTime", ts));
}

static int bind_cb(void *vctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    bindctx *b = vctx;
    (void)cur_rev;
    (void)new_rev;
    if (!cur)
        return k1s_err_not_found(b->st, "", "pods", b->name);
    const char *uid = k1s_meta(cur, "uid");
    const char *rv = k1s_meta(cur, "resourceVersion");
    char why[512];
    if (b->uid && strcmp(b->uid, uid ? uid : "") != 0) {
        snprintf(why, sizeof why,
                 "Precondition failed: UID in precondition: %.64s, UID in object meta: %s", b->uid,
                 uid ? uid : "");
        return k1s_err_conflict(b->st, "", "pods", b->name, why);
    }
    if (b->rv && strcmp(b->rv, rv ? rv : "") != 0) {
        snprintf(
            why, sizeof why,
            "Precondition failed: ResourceVersion in precondition: %.32s, ResourceVersion in object meta: %s",
            b->rv, rv ? rv : "");
        return k1s_err_conflict(b->st, "", "pods", b->name, why);
    }
    const json_t *spec = json_object_get(cur, "spec");
    const char *node = json_string_value(json_object_get(spec, "nodeName"));
    /* kube wraps these plain errors as a Conflict on pods/binding */
    if (json_object_get(json_object_get(cur, "metadata"), "deletionTimestamp")) {
        snprintf(why, sizeof why, "pod %s is being deleted, cannot be assigned to a host", b->name);
        return k1s_err_conflict(b->st, "", "pods/binding", b->name, why);
    }
    if (node && *node) {
        snprintf(why, sizeof why, "pod %s is already assigned to node \"%.253s\"", b->name, node);
        return k1s_err_conflict(b->st, "", "pods/binding", b->name, why);
    }
    if (json_array_size(json_object_get(spec, "schedulingGates"))) {
        snprintf(why, sizeof why, "pod %s has non-empty .spec.schedulingGates", b->name);
        return k1s_err_conflict(b->st, "", "pods/binding", b->name, why);
    }
    json_t *pod = json_deep_copy(cur); /* new: the bound pod */
    if (!pod)
        return k1s_err_internal(b->st, "out of memory");
    json_t *pspec = json_object_get(pod, "spec");
    if (!json_is_object(pspec)) {
        pspec = json_object();
        json_object_set_new(pod, "spec", pspec);
    }
    json_object_set_new(pspec, "nodeName", json_string(b->node));
    if (json_object_size(b->annotations)) {
        json_t *m = k1s_json_object_at(pod, "metadata");
        json_t *ann = json_object_get(m, "annotations");
        if (!json_is_object(ann)) {
            ann = json_object();
            json_object_set_new(m, "annotations", ann);
        }
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)b->annotations, k, v) json_object_set(ann, k, v);
    }
    mark_scheduled(pod);
    *out = pod;
    return K1S_STORE_PUT;
}

/* ValidatePodBinding. kube returns its errors as a plain aggregate, which
 * the API server answers as a 500 without a reason. */
static int validate_binding(const json_t *target, k1s_status *st)
{
    const char *kind = json_string_value(json_object_get(target, "kind"));
    const char *name = json_string_value(json_object_get(target, "name"));
    char kind_err[400] = "";
    bool bad_kind = kind && *kind && strcmp(kind, "Node") != 0;
    bool no_name = !name || !*name;
    if (bad_kind)
        snprintf(
            kind_err, sizeof kind_err,
            "target.kind: Unsupported value: \"%.253s\": supported values: \"Node\", \"<empty>\"",
            kind);
    if (bad_kind && no_name)
        return k1s_status_set(st, 500, "", "[%s, target.name: Required value]", kind_err);
    if (bad_kind)
        return k1s_status_set(st, 500, "", "%s", kind_err);
    if (no_name)
        return k1s_status_set(st, 500, "", "target.name: Required value");
    return 0;
}

/* Decode-level checks: the shapes a Go client could not even unmarshal. */
static int check_shape(const json_t *binding, k1s_status *st)
{
    if (!json_is_object(binding))
        return k1s_err_bad_request(st, "the body of the request was not a JSON object");
    const json_t *kind = json_object_get(binding, "kind");
    if (kind && (!json_is_string(kind) ||
                 (*json_string_value(kind) && strcmp(json_string_value(kind), "Binding") != 0)))
        return k1s_err_bad_request(st, "not a Binding object");
    const json_t *m = json_object_get(binding, "metadata");
    if (m && !json_is_object(m))
        return k1s_err_bad_request(
            st,
            "json: cannot unmarshal into Go struct field Binding.metadata of type v1.ObjectMeta");
    static const char *const strs[] = {"name", "namespace", "uid", "resourceVersion", NULL};
    for (const char *const *f = strs; *f; f++) {
        const json_t *v = json_object_get(m, *f);
        if (v && !json_is_string(v))
            return k1s_err_bad_request(
                st,
                "json: cannot unmarshal into Go struct field ObjectMeta.metadata.%s of type string",
                *f);
    }
    const json_t *ann = json_object_get(m, "annotations");
    if (ann && !json_is_null(ann)) {
        if (!json_is_object(ann))
            return k1s_err_bad_request(
                st,
                "json: cannot unmarshal into Go struct field ObjectMeta.metadata.annotations of type map[string]string");
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)ann, k, v)
        {
            if (!json_is_string(v))
                return k1s_err_bad_request(
                    st,
                    "json: cannot unmarshal into Go struct field ObjectMeta.metadata.annotations of type string");
        }
    }
    const json_t *target = json_object_get(binding, "target");
    if (target && !json_is_object(target))
        return k1s_err_bad_request(
            st,
            "json: cannot unmarshal into Go struct field Binding.target of type v1.ObjectReference");
    const json_t *tk = json_object_get(target, "kind");
    const json_t *tn = json_object_get(target, "name");
    if ((tk && !json_is_string(tk)) || (tn && !json_is_string(tn)))
        return k1s_err_bad_request(
            st, "json: cannot unmarshal into Go struct field Binding.target of type string");
    return 0;
}

int k1s_api_bind(k1s_api *api, const char *ns, const char *name, const json_t *binding,
                 json_t **out, k1s_status *st)
{
    *out = NULL;
    if (!ns || !*ns || !name || !*name)
        return k1s_err_bad_request(st, "a binding needs the namespace and name of a pod");
    if (check_shape(binding, st))
        return -1;
    const json_t *m = json_object_get(binding, "metadata");
    const char *bname = json_string_value(json_object_get(m, "name"));
    const char *bns = json_string_value(json_object_get(m, "namespace"));
    if (bns && *bns && strcmp(bns, ns) != 0)
        return k1s_err_bad_request(
            st,
            "the namespace of the provided object does not match the namespace sent on the request");
    if (!bname || strcmp(bname, name) != 0)
        return k1s_err_bad_request(st, "name in URL does not match name in Binding object");
    const json_t *target = json_object_get(binding, "target");
    if (validate_binding(target, st))
        return -1;
    const char *uid = json_string_value(json_object_get(m, "uid"));
    const char *rv = json_string_value(json_object_get(m, "resourceVersion"));
    const json_t *ann = json_object_get(m, "annotations");
    bindctx b = {
        .name = name,
        .node = json_string_value(json_object_get(target, "name")),
        .uid = uid && *uid ? uid : NULL,
        .rv = rv && *rv ? rv : NULL,
        .annotations = json_is_object(ann) ? ann : NULL,
        .st = st,
    };
    k1s_key key = {"", "pods", ns, name};
    json_t *res = NULL;
    int64_t rev = 0;
    int rc = k1s_store_update(api->store, &key, bind_cb, &b, &res, &rev);
    json_decref(res);
    if (rc < 0) {
        if (!st->code) {
            if (rc == K1S_ETOOLARGE)
                k1s_status_set(st, 413, "RequestEntityTooLarge",
                               "Request entity too large: limit is 3145728");
            else
                k1s_err_internal(st, "storage failure");
        }
        return -1;
    }
    /* kube answers a Status, with the create's code filled in */
    k1s_status ok = {.code = 201};
    *out = k1s_status_json(&ok);
    return 0;
}
