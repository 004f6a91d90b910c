/*
 * strategy_pod.c - the Pod strategy: create-time status (phase Pending and
 * the QoS class), the defaults kube applies to pods only, the admission
 * defaults every kube-apiserver adds on create (not-ready/unreachable
 * tolerations, priority), PodSpec validation and the update rules (a pod's
 * spec is immutable but for images, activeDeadlineSeconds, added
 * tolerations and removed scheduling gates).
 */
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "k1s_quantity.h"

/* ---- create -------------------------------------------------------------------- */

/* A positive quantity under res[section][name] into *q. */
static bool positive(const json_t *res, const char *section, const char *name, k1s_quantity *q)
{
    json_t *v = json_object_get(k1s__objv(res, section), name);
    return v && k1s_quantity_from_json(v, q) == 0 && q->sign > 0;
}

/* qos.ComputePodQOS over containers and init containers, whose requests
 * already default to their limits. */
static const char *pod_qos(const json_t *spec)
{
    static const char *const lists[] = {"containers", "initContainers", NULL};
    static const char *const compute[] = {"cpu", "memory", NULL};
    bool any = false, guaranteed = true;
    for (const char *const *l = lists; *l; l++) {
        const json_t *ctrs = k1s__arrv(spec, *l);
        for (size_t i = 0; i < json_array_size(ctrs); i++) {
            const json_t *res = k1s__objv(json_array_get(ctrs, i), "resources");
            for (const char *const *r = compute; *r; r++) {
                k1s_quantity req, lim;
                bool has_req = positive(res, "requests", *r, &req);
                bool has_lim = positive(res, "limits", *r, &lim);
                any |= has_req || has_lim;
                if (!has_lim || !has_req || k1s_quantity_cmp(&req, &lim) != 0)
                    guaranteed = false;
            }
        }
    }
    if (!any)
        return "BestEffort";
    return guaranteed ? "Guaranteed" : "Burstable";
}

/* The DefaultTolerationSeconds admission plugin: tolerate not-ready and
 * unreachable nodes for 300s unless the pod already says otherwise. */
static void default_tolerations(json_t *spec)
{
    static const char *const keys[] = {"node.kubernetes.io/not-ready",
                                       "node.kubernetes.io/unreachable", NULL};
    json_t *tols = k1s__arrv(spec, "tolerations");
    for (const char *const *k = keys; *k; k++) {
        bool covered = false;
        for (size_t i = 0; i < json_array_size(tols) && !covered; i++) {
            const json_t *t = json_array_get(tols, i);
            const char *key = k1s__str0(t, "key"), *eff = k1s__str0(t, "effect");
            covered = (!*key || !strcmp(key, *k)) && (!*eff || !strcmp(eff, "NoExecute"));
        }
        if (covered)
            continue;
        if (!tols) {
            json_object_set_new(spec, "tolerations", json_array());
            tols = k1s__arrv(spec, "tolerations");
        }
        json_array_append_new(tols,
                              json_pack("{s:s, s:s, s:s, s:i}", "key", *k, "operator", "Exists",
                                        "effect", "NoExecute", "tolerationSeconds", 300));
    }
}

static void pod_prepare_create(json_t *obj)
{
    json_t *spec = k1s__ensure_obj(obj, "spec");
    k1s__pod_only_defaults(spec);
    default_tolerations(spec);
    json_t *status = json_pack("{s:s, s:s}", "phase", "Pending", "qosClass", pod_qos(spec));
    if (json_array_size(k1s__arrv(spec, "schedulingGates")))
        json_object_set_new(status, "conditions",
                            json_pack("[{s:s, s:s, s:n, s:n, s:s, s:s}]", "type", "PodScheduled",
                                      "status", "False", "lastProbeTime", "lastTransitionTime",
                                      "reason", "SchedulingGated", "message",
                                      "Scheduling is blocked due to non-empty scheduling gates"));
    json_object_set_new(obj, "status", status);
}

static void pod_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (!spec)
        return;
    k1s__podspec_defaults(spec);
    k1s__pod_only_defaults(spec);
}

/* ---- validation ------------------------------------------------------------------- */

/* validateContainersOnlyForPod: images without surrounding blanks. */
static void image_whitespace(const json_t *ctrs, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(ctrs); i++) {
        json_t *img = json_object_get(json_array_get(ctrs, i), "image");
        const char *s = json_string_value(img);
        size_t n = s ? strlen(s) : 0;
        if (n && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[n - 1] == ' ' ||
                  s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
            k1s_ferr_invalid(fe, k1s__fp(fp, "%s[%zu].image", path, i), img,
                             "must not have leading or trailing whitespace");
    }
}

/* ValidateContainerUpdates: same count, images present. false: stop. */
static bool container_updates(const json_t *cur, const json_t *old, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (json_array_size(cur) != json_array_size(old)) {
        k1s_ferr_forbidden(fe, path, "pod updates may not add or remove containers");
        return false;
    }
    for (size_t i = 0; i < json_array_size(cur); i++)
        if (!*k1s__str0(json_array_get(cur, i), "image"))
            k1s_ferr_required(fe, k1s__fp(fp, "%s[%zu].image", path, i), "");
    image_whitespace(cur, path, fe);
    return true;
}

/* validateOnlyAddedTolerations: every old toleration is still there, only
 * its tolerationSeconds may differ. */
static void only_added_tolerations(const json_t *cur, const json_t *old, k1s_ferrs *fe)
{
    for (size_t i = 0; i < json_array_size(old); i++) {
        json_t *o = json_deep_copy(json_array_get(old, i)); /* new */
        bool found = false;
        for (size_t j = 0; o && j < json_array_size(cur) && !found; j++) {
            const json_t *n = json_array_get(cur, j);
            json_t *ts = json_object_get(n, "tolerationSeconds");
            if (ts)
                json_object_set(o, "tolerationSeconds", ts);
            else
                json_object_del(o, "tolerationSeconds");
            found = k1s_json_semantic_equal(o, n);
        }
        json_decref(o);
        if (!found) {
            k1s_ferr_forbidden(
                fe, "spec.tolerations",
                "existing toleration can not be modified except its tolerationSeconds");
            return;
        }
    }
    k1s__validate_tolerations(cur, "spec.tolerations", fe);
}

static void only_deleted_gates(const json_t *cur, const json_t *old, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(cur); i++) {
        const char *name = k1s__str0(json_array_get(cur, i), "name");
        bool known = false;
        for (size_t j = 0; j < json_array_size(old) && !known; j++)
            known = !strcmp(name, k1s__str0(json_array_get(old, j), "name"));
        if (!known) {
            char detail[2 * K1S_FP_MAX];
            snprintf(detail, sizeof detail,
                     "only deletion is allowed, but found new scheduling gate '%.400s'", name);
            k1s_ferr_forbidden(fe, k1s__fp(fp, "spec.schedulingGates[%zu].name", i), detail);
        }
    }
}

/* The images of old's containers put into cur's (same count checked). */
static void munge_images(json_t *cur, const json_t *old)
{
    for (size_t i = 0; i < json_array_size(cur); i++) {
        json_t *c = json_array_get(cur, i);
        json_t *img = json_object_get(json_array_get(old, i), "image");
        if (!json_is_object(c))
            continue;
        if (img)
            json_object_set(c, "image", img);
        else
            json_object_del(c, "image");
    }
}

static void set_or_del(json_t *o, const char *k, json_t *v)
{
    if (v)
        json_object_set(o, k, v);
    else
        json_object_del(o, k);
}

static const char *const updatable =
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
    "previously negative)";

static void validate_pod_update(const json_t *spec, const json_t *ospec, k1s_ferrs *fe)
{
    if (!container_updates(k1s__arrv(spec, "containers"), k1s__arrv(ospec, "containers"),
                           "spec.containers", fe) ||
        !container_updates(k1s__arrv(spec, "initContainers"), k1s__arrv(ospec, "initContainers"),
                           "spec.initContainers", fe))
        return;
    json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
    json_t *oads = json_object_get(ospec, "activeDeadlineSeconds");
    if (ads && !json_is_null(ads)) {
        json_int_t v = json_integer_value(ads);
        if (v < 0 || v > 2147483647) {
            k1s__ferr_msgs(fe, "spec.activeDeadlineSeconds", ads,
                           k1s_is_in_range(v, 0, 2147483647));
            return;
        }
        if (oads && !json_is_null(oads) && json_integer_value(oads) < v) {
            k1s_ferr_invalid(fe, "spec.activeDeadlineSeconds", ads,
                             "must be less than or equal to previous value");
            return;
        }
    } else if (oads && !json_is_null(oads)) {
        k1s__ferr_invalid_text(fe, "spec.activeDeadlineSeconds", "null",
                               "must not update from a positive integer to nil value");
    }
    only_added_tolerations(k1s__arrv(spec, "tolerations"), k1s__arrv(ospec, "tolerations"), fe);
    only_deleted_gates(k1s__arrv(spec, "schedulingGates"), k1s__arrv(ospec, "schedulingGates"), fe);
    if (k1s_json_semantic_equal(spec, ospec))
        return;
    json_t *m = json_deep_copy(spec); /* new: spec with the updatable parts
                                         taken from the old one */
    if (!m)
        return;
    munge_images(k1s__arrv(m, "containers"), k1s__arrv(ospec, "containers"));
    munge_images(k1s__arrv(m, "initContainers"), k1s__arrv(ospec, "initContainers"));
    set_or_del(m, "activeDeadlineSeconds", oads);
    set_or_del(m, "schedulingGates", json_object_get(ospec, "schedulingGates"));
    set_or_del(m, "tolerations", json_object_get(ospec, "tolerations"));
    json_t *otg = json_object_get(ospec, "terminationGracePeriodSeconds");
    json_t *tg = json_object_get(m, "terminationGracePeriodSeconds");
    if (json_integer_value(otg) < 0 && json_integer_value(tg) == 1)
        set_or_del(m, "terminationGracePeriodSeconds", otg);
    if (!k1s_json_semantic_equal(m, ospec)) {
        char *msg = k1s__diff_message(updatable, "core.PodSpec", ospec, m);
        k1s_ferr_forbidden(fe, "spec", msg ? msg : updatable);
        free(msg);
    }
    json_decref(m);
}

static void pod_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    k1s_podspec_opts o = {
        .is_pod = true,
        .pod_name = k1s__str(k1s__objv(obj, "metadata"), "name"),
    };
    k1s__validate_podspec(spec, "spec", &o, fe);
    image_whitespace(k1s__arrv(spec, "containers"), "spec.containers", fe);
    image_whitespace(k1s__arrv(spec, "initContainers"), "spec.initContainers", fe);
    if (!old) {
        if (json_array_size(k1s__arrv(spec, "ephemeralContainers")))
            k1s_ferr_forbidden(fe, "spec.ephemeralContainers", "cannot be set on create");
        if (*k1s__str0(spec, "nodeName") && json_array_size(k1s__arrv(spec, "schedulingGates")))
            k1s_ferr_forbidden(fe, "spec.nodeName",
                               "cannot be set until all schedulingGates have been cleared");
        return;
    }
    validate_pod_update(spec, k1s__objv(old, "spec"), fe);
    /* status updates: the QoS class never changes */
    json_t *q = json_object_get(k1s__objv(obj, "status"), "qosClass");
    json_t *oq = json_object_get(k1s__objv(old, "status"), "qosClass");
    if (!k1s_json_semantic_equal(q, oq)) {
        json_t *empty = q ? NULL : json_string(""); /* new */
        k1s_ferr_invalid(fe, "status.qosClass", empty ? empty : q, "field is immutable");
        json_decref(empty);
    }
}

static const char *const pod_fields[] = {"spec.nodeName",
                                         "spec.restartPolicy",
                                         "spec.schedulerName",
                                         "spec.serviceAccountName",
                                         "spec.hostNetwork",
                                         "status.phase",
                                         "status.podIP",
                                         "status.nominatedNodeName",
                                         NULL};

/* A pod marked for deletion with a grace period waits for its kubelet to
 * stop the containers and delete it with grace 0. */
static bool pod_deletion_held(const json_t *obj)
{
    return json_integer_value(
               json_object_get(json_object_get(obj, "metadata"), "deletionGracePeriodSeconds")) > 0;
}

/* Only a pod a kubelet may be running needs time to stop. */
static long long pod_deletion_grace(const json_t *pod, long long requested)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *node = json_string_value(json_object_get(spec, "nodeName"));
    const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
    if (!node || !*node || (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))))
        return 0;
    return requested >= 0
               ? requested
               : json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds"));
}

/* The admission plugins of a default kube-apiserver that change or refuse
 * a created pod, in kube's order: LimitRanger, Priority, RuntimeClass. */
static int pod_admit(struct k1s_api *api, json_t *obj, const json_t *old, k1s_status *st)
{
    if (old)
        return 0;
    bool changed = false;
    if (k1s__limitranger(api, obj, true, &changed, st))
        return -1;
    if (changed) /* the defaults may change the pod's QoS class */
        json_object_set_new(k1s__ensure_obj(obj, "status"), "qosClass",
                            json_string(pod_qos(k1s__objv(obj, "spec"))));
    if (k1s__pod_priority(api, obj, old, st))
        return -1;
    return k1s__pod_runtime_class(api, obj, old, st);
}

const k1s_strategy k1s__strategy_pod = {
    .defaults = pod_defaults,
    .deletion_held = pod_deletion_held,
    .deletion_grace = pod_deletion_grace,
    .prepare_create = pod_prepare_create,
    .validate = pod_validate,
    .allocate = pod_admit,
    .field_labels = pod_fields,
};
