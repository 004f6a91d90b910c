/*
 * disruption.c - the disruption controller, as kube-controller-manager's
 * pkg/controller/disruption: each PodDisruptionBudget's status says how
 * many of the pods it selects are healthy (Ready, not being deleted, not
 * just evicted), how many must stay healthy, and so how many disruptions
 * the eviction API may spend now (disruptionsAllowed, the
 * DisruptionAllowed condition). A percentage or maxUnavailable counts
 * against the replicas the pods' controllers want (ReplicaSet or its
 * Deployment, StatefulSet, ReplicationController); minAvailable as a
 * number counts against the pods found. Evicted pods stay in
 * status.disruptedPods until they are deleted or two minutes pass.
 */
#include "k1s_podutil.h"
#include "k1s_vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT "controllermanager"
/* kube's DeletionTimeout for entries of disruptedPods */
#define DISRUPTED_TIMEOUT_S 120

/* ---- which PDBs a change concerns ------------------------------------------------- */

typedef struct mapctx {
    k1s_ctrl *c;
    int id;
    const json_t *pod; /* NULL: every PDB of the namespace */
} mapctx;

static int enqueue_if_selects(void *vctx, const json_t *pdb)
{
    mapctx *m = vctx;
    const json_t *ls = json_object_get(json_object_get(pdb, "spec"), "selector");
    k1s_selector *sel = m->pod ? k1s__wl_selector(ls) : NULL;
    if (!m->pod || (sel && k1s__wl_matches(sel, m->pod)))
        k1s_ctrl_enqueue(m->c, m->id, k1s__wl_ns(pdb), k1s__wl_name(pdb));
    k1s_selector_free(sel);
    return 0;
}

static void map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    k1s_informer *inf = k1s_ctrl_informer(c, "policy", "PodDisruptionBudget");
    const json_t *pods[2] = {old, obj};
    for (int i = 0; i < 2 && inf; i++) {
        if (!pods[i])
            continue;
        mapctx m = {c, id, pods[i]};
        k1s_informer_each(inf, k1s__wl_ns(pods[i]), enqueue_if_selects, &m);
    }
}

/* A workload's scale changed: the PDBs of its namespace may count it. */
static void map_workload(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *w = obj ? obj : old;
    k1s_informer *inf = k1s_ctrl_informer(c, "policy", "PodDisruptionBudget");
    if (!inf || (old && obj &&
                 k1s_json_int(old, "spec.replicas", 1) == k1s_json_int(obj, "spec.replicas", 1)))
        return;
    mapctx m = {c, id, NULL};
    k1s_informer_each(inf, k1s__wl_ns(w), enqueue_if_selects, &m);
}

/* ---- counting ---------------------------------------------------------------------- */

typedef struct podsctx {
    const k1s_selector *sel;
    k1s_vec *out;
} podsctx;

static int collect(void *vctx, const json_t *pod)
{
    podsctx *p = vctx;
    if (k1s__wl_matches(p->sel, pod))
        return k1s_vec_append(p->out, &pod) ? 1 : 0;
    return 0;
}

static const json_t *pod_at(const k1s_vec *v, size_t i)
{
    return *(const json_t *const *)k1s_vec_at(v, i);
}

/* The replicas a pod's controller wants, the controller's uid in
 * uid_out: 0, 1 when the pod has no controller (unmanaged), -1 with err
 * when its controller is of a kind without scale or is gone. */
static int controller_scale(k1s_ctrl *c, const json_t *pod, long long *replicas,
                            const char **uid_out, char *err, size_t errlen)
{
    const json_t *ref = k1s__wl_controller_of(pod);
    if (!ref)
        return 1;
    const char *kind = k1s_json_str(ref, "kind"), *name = k1s_json_str(ref, "name");
    const char *uid = k1s_json_str(ref, "uid");
    static const struct {
        const char *group, *kind;
    } scalable[] = {{"", "ReplicationController"},
                    {"apps", "ReplicaSet"},
                    {"apps", "StatefulSet"},
                    {"apps", "Deployment"}};
    for (size_t i = 0; kind && name && uid && i < sizeof scalable / sizeof scalable[0]; i++) {
        if (strcmp(kind, scalable[i].kind) != 0)
            continue;
        k1s_informer *inf = k1s_ctrl_informer(c, scalable[i].group, kind);
        const json_t *w = inf ? k1s_informer_get(inf, k1s__wl_ns(pod), name) : NULL;
        if (!w || strcmp(k1s__wl_uid(w), uid) != 0)
            break;
        /* a Deployment's ReplicaSet: the Deployment's replicas count */
        const json_t *up = k1s__wl_controller_of(w);
        if (!strcmp(kind, "ReplicaSet") && up &&
            !strcmp(k1s_json_str(up, "kind") ? k1s_json_str(up, "kind") : "", "Deployment")) {
            k1s_informer *di = k1s_ctrl_informer(c, "apps", "Deployment");
            const json_t *d =
                di ? k1s_informer_get(di, k1s__wl_ns(pod), k1s_json_str(up, "name")) : NULL;
            if (d && !strcmp(k1s__wl_uid(d), k1s_json_str(up, "uid"))) {
                *replicas = k1s_json_int(d, "spec.replicas", 1);
                *uid_out = k1s__wl_uid(d);
                return 0;
            }
        }
        *replicas = k1s_json_int(w, "spec.replicas", 1);
        *uid_out = uid;
        return 0;
    }
    snprintf(err, errlen, "found no controllers for pod \"%s\"", k1s__wl_name(pod));
    return -1;
}

/* kube's getExpectedScale: the replicas of every distinct controller. */
static int expected_scale(k1s_ctrl *c, const json_t *pdb, const k1s_vec *pods, long long *out,
                          char *err, size_t errlen)
{
    k1s_vec seen = K1S_VEC(const char *);
    long long total = 0;
    bool unmanaged = false;
    int rc = 0;
    for (size_t i = 0; i < pods->n && rc == 0; i++) {
        long long n = 0;
        const char *uid = NULL;
        int r = controller_scale(c, pod_at(pods, i), &n, &uid, err, errlen);
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r > 0) {
            unmanaged = true;
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < seen.n && !dup; j++)
            dup = !strcmp(*(const char **)k1s_vec_at(&seen, j), uid);
        if (!dup) {
            k1s_vec_append(&seen, &uid);
            total += n;
        }
    }
    k1s_vec_free(&seen);
    if (unmanaged && rc == 0) {
        char *sel = json_dumps(json_object_get(json_object_get(pdb, "spec"), "selector"),
                               JSON_COMPACT | JSON_SORT_KEYS);
        k1s_ctrl_event(
            c, COMPONENT, pdb, "Warning", "UnmanagedPods",
            "Pods selected by this PodDisruptionBudget (selector: %s) were found to be unmanaged. "
            "As a result, the status of the PDB cannot be calculated correctly, which may result "
            "in undefined behavior. To account for these pods please set \".spec.minAvailable\" "
            "field of the PDB to an integer value.",
            sel ? sel : "{}");
        free(sel);
    }
    *out = total;
    return rc;
}

/* kube's getExpectedPodCount: 0, or -1 with err. */
static int expected_counts(k1s_ctrl *c, const json_t *pdb, const k1s_vec *pods, long long *expected,
                           long long *desired, char *err, size_t errlen)
{
    const json_t *spec = json_object_get(pdb, "spec");
    const json_t *maxu = json_object_get(spec, "maxUnavailable");
    const json_t *mina = json_object_get(spec, "minAvailable");
    *expected = *desired = 0;
    if (maxu) {
        long long max = 0;
        if (expected_scale(c, pdb, pods, expected, err, errlen) ||
            k1s__wl_scaled(maxu, *expected, true, &max)) {
            if (!*err)
                snprintf(err, errlen, "invalid maxUnavailable");
            return -1;
        }
        *desired = *expected - max;
        if (*desired < 0)
            *desired = 0;
    } else if (json_is_integer(mina)) {
        *desired = json_integer_value(mina);
        *expected = (long long)pods->n;
    } else if (mina) {
        if (expected_scale(c, pdb, pods, expected, err, errlen) ||
            k1s__wl_scaled(mina, *expected, true, desired)) {
            if (!*err)
                snprintf(err, errlen, "invalid minAvailable");
            return -1;
        }
    }
    return 0;
}

/* kube's buildDisruptedPodMap: the entries still in force (new object);
 * *next_s the soonest expiry (0: none). */
static json_t *disrupted_in_force(const json_t *pdb, const k1s_vec *pods, int64_t now,
                                  int64_t *next_s)
{
    json_t *out = json_object(); /* new */
    const char *name;
    const json_t *when;
    *next_s = 0;
    json_object_foreach((json_t *)json_object_get(json_object_get(pdb, "status"), "disruptedPods"),
                        name, when)
    {
        const json_t *pod = NULL;
        for (size_t i = 0; i < pods->n && !pod; i++)
            if (!strcmp(k1s__wl_name(pod_at(pods, i)), name))
                pod = pod_at(pods, i);
        if (!pod || k1s__wl_deleting(pod))
            continue;
        int64_t t = k1s__wl_parse_time(json_string_value(when));
        if (t < 0 || t + DISRUPTED_TIMEOUT_S <= now)
            continue; /* the eviction never happened: the pod counts again */
        json_object_set(out, name, (json_t *)when);
        if (!*next_s || t + DISRUPTED_TIMEOUT_S < *next_s)
            *next_s = t + DISRUPTED_TIMEOUT_S;
    }
    return out;
}

/* The DisruptionAllowed condition as kube's UpdateDisruptionAllowedCondition
 * keeps it: the transition time moves only when the status does. */
static json_t *allowed_condition(const json_t *old_status, const char *status, const char *reason,
                                 const char *message, long long gen)
{
    char ts[K1S_TIME_LEN];
    k1s_time_format(k1s_time_now(), ts, sizeof ts);
    json_t *conds = json_array(); /* new */
    bool seen = false;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(old_status, "conditions"), i, c)
    {
        const char *t = k1s_json_str(c, "type");
        if (!t || strcmp(t, "DisruptionAllowed") != 0) {
            json_array_append(conds, (json_t *)c);
            continue;
        }
        seen = true;
        const char *was = k1s_json_str(c, "status");
        const json_t *since = json_object_get(c, "lastTransitionTime");
        json_array_append_new(
            conds, json_pack("{s:s, s:s, s:s, s:s, s:I, s:O}", "type", "DisruptionAllowed",
                             "status", status, "reason", reason, "message", message,
                             "observedGeneration", (json_int_t)gen, "lastTransitionTime",
                             was && !strcmp(was, status) && since ? since : json_string(ts)));
    }
    if (!seen)
        json_array_append_new(conds, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "type",
                                               "DisruptionAllowed", "status", status, "reason",
                                               reason, "message", message, "observedGeneration",
                                               (json_int_t)gen, "lastTransitionTime", ts));
    return conds;
}

static int write_status(k1s_ctrl *c, const json_t *pdb, json_t *status /* stolen */)
{
    const json_t *old = json_object_get(pdb, "status");
    if (k1s_json_semantic_equal(status, old)) {
        json_decref(status);
        return 0;
    }
    json_t *up = json_deep_copy(pdb); /* new */
    json_object_set_new(up, "status", status);
    int rc =
        k1s_ctrl_update(c, "policy", "PodDisruptionBudget", k1s__wl_ns(pdb), "status", up, NULL);
    json_decref(up);
    return rc == 409 ? 50 : rc && rc != 404 ? -1 : 0;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)state;
    k1s_informer *bi = k1s_ctrl_informer(c, "policy", "PodDisruptionBudget");
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    if (!bi || !pi)
        return -1;
    const json_t *pdb = k1s_informer_get(bi, ns, name);
    if (!pdb)
        return 0;
    long long gen = k1s__wl_generation(pdb);
    const json_t *ls = json_object_get(json_object_get(pdb, "spec"), "selector");
    k1s_selector *sel = json_is_object(ls) ? k1s__wl_selector(ls) : NULL;
    k1s_vec pods = K1S_VEC(const json_t *);
    if (sel) {
        podsctx p = {sel, &pods};
        k1s_informer_each(pi, ns, collect, &p);
    }
    k1s_selector_free(sel);

    const json_t *old = json_object_get(pdb, "status");
    char err[256] = "";
    long long expected = 0, desired = 0;
    json_t *st;
    int ret = 0;
    if (expected_counts(c, pdb, &pods, &expected, &desired, err, sizeof err)) {
        k1s_ctrl_event(c, COMPONENT, pdb, "Warning", "CalculateExpectedPodCountFailed",
                       "Failed to calculate the number of expected pods: %s", err);
        /* kube's failSafe: nothing may be disrupted while the count is unknown */
        st = json_deep_copy(json_is_object(old) ? old : json_object());
        json_object_set_new(st, "disruptionsAllowed", json_integer(0));
        json_object_set_new(st, "observedGeneration", json_integer(gen));
        json_object_set_new(st, "conditions",
                            allowed_condition(old, "False", "SyncFailed", err, gen));
        ret = 10000;
    } else {
        int64_t now = k1s_time_now(), next = 0;
        json_t *disrupted = disrupted_in_force(pdb, &pods, now, &next); /* new */
        long long healthy = 0;
        for (size_t i = 0; i < pods.n; i++) {
            const json_t *p = pod_at(&pods, i);
            if (k1s__wl_pod_ready(p) && !k1s__wl_deleting(p) &&
                !json_object_get(disrupted, k1s__wl_name(p)))
                healthy++;
        }
        long long allowed = healthy - desired > 0 ? healthy - desired : 0;
        st = json_pack("{s:I, s:I, s:I, s:I, s:I}", "observedGeneration", (json_int_t)gen,
                       "disruptionsAllowed", (json_int_t)allowed, "currentHealthy",
                       (json_int_t)healthy, "desiredHealthy", (json_int_t)desired, "expectedPods",
                       (json_int_t)expected);
        if (json_object_size(disrupted))
            json_object_set(st, "disruptedPods", disrupted);
        json_decref(disrupted);
        json_object_set_new(st, "conditions",
                            allowed > 0
                                ? allowed_condition(old, "True", "SufficientPods", "", gen)
                                : allowed_condition(old, "False", "InsufficientPods", "", gen));
        if (next)
            ret = (int)((next - now) * 1000 + 100);
    }
    k1s_vec_free(&pods);
    int rc = write_status(c, pdb, st);
    return rc ? rc : ret;
}

const k1s_controller_def k1s__ctrl_disruption = {
    .name = "disruption-controller",
    .group = "policy",
    .kind = "PodDisruptionBudget",
    .reconcile = reconcile,
    .watches = {{"", "Pod", map_pod},
                {"apps", "ReplicaSet", map_workload},
                {"apps", "Deployment", map_workload},
                {"apps", "StatefulSet", map_workload},
                {"", "ReplicationController", map_workload}},
};
