/*
 * replicaset.c - the replicaset-controller, as kube-controller-manager's
 * pkg/controller/replicaset: each ReplicaSet adopts the orphan pods its
 * selector matches (and releases owned ones it no longer matches), creates
 * pods "<rs>-<5 random>" from its template or deletes the ones kube ranks
 * first (unscheduled, pending, not ready, cheap, recently ready, restarted,
 * young) until it has spec.replicas active pods, and reports replicas,
 * fullyLabeledReplicas, readyReplicas, availableReplicas and
 * observedGeneration. Events: SuccessfulCreate "Created pod: web-x2c4z",
 * SuccessfulDelete "Deleted pod: ...", FailedCreate/FailedDelete.
 *
 * Expectations (podutil.h) hold a ReplicaSet back until the pod cache shows
 * its own creates and deletes, so a stale cache never doubles them.
 *
 * The same code is kube's replicationcontroller controller: kube runs its
 * ReplicaSet code over core/v1 ReplicationControllers, which differ only in
 * their kind, apiVersion, event source and a selector that is a plain label
 * map. A descriptor (rs_kind) says which; each controller's state holds its
 * own, so reconcile and the pod map serve both.
 */
#include "k1s_podutil.h"
#include "k1s_vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kube's burstReplicas: the most pods one sync creates or deletes */
#define BURST 500

/* What tells a ReplicaSet from a ReplicationController. */
typedef struct rs_kind {
    const char *group, *kind;
    const char *api_version; /* of the owner, in the pods' ownerReferences */
    const char *component;   /* event source */
    bool map_selector;       /* spec.selector is a label map, not a LabelSelector */
} rs_kind;

static const rs_kind replicaset_kind = {
    "apps", "ReplicaSet", "apps/v1", "replicaset-controller", false,
};
static const rs_kind replicationcontroller_kind = {
    "", "ReplicationController", "v1", "replication-controller", true,
};

typedef struct rs_state {
    const rs_kind *k; /* static */
    k1s__wl_expect *exp;
} rs_state;

static void *state_new(const rs_kind *k)
{
    rs_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->k = k;
    s->exp = k1s__wl_expect_new();
    if (!s->exp) {
        free(s);
        return NULL;
    }
    return s;
}

static void *rs_init(k1s_ctrl *c)
{
    (void)c;
    return state_new(&replicaset_kind);
}

static void *rc_init(k1s_ctrl *c)
{
    (void)c;
    return state_new(&replicationcontroller_kind);
}

static void rs_fini(void *state)
{
    rs_state *s = state;
    if (!s)
        return;
    k1s__wl_expect_free(s->exp);
    free(s);
}

/* The owner's selector, usable (free with k1s_selector_free), or NULL
 * when it does not parse. */
static k1s_selector *owner_selector(const rs_kind *k, const json_t *rs)
{
    const json_t *sel = json_object_get(json_object_get(rs, "spec"), "selector");
    if (!k->map_selector)
        return k1s__wl_selector(sel);
    k1s_selector *out = NULL;
    char *err = NULL;
    if (k1s_label_selector_from_map(sel, &out, &err)) {
        free(err);
        return NULL;
    }
    return out;
}

/* ---- pod changes -------------------------------------------------------------- */

typedef struct orphanctx {
    k1s_ctrl *c;
    int id;
    const rs_kind *k;
    const json_t *pod;
} orphanctx;

static int enqueue_if_selects(void *vctx, const json_t *rs)
{
    orphanctx *o = vctx;
    k1s_selector *sel = owner_selector(o->k, rs);
    if (sel && k1s__wl_matches(sel, o->pod))
        k1s_ctrl_enqueue(o->c, o->id, k1s__wl_ns(rs), k1s__wl_name(rs));
    k1s_selector_free(sel);
    return 0;
}

/* A pod concerns its controlling ReplicaSet; an orphan every ReplicaSet
 * that might adopt it. */
static void map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const rs_state *s = k1s_ctrl_state(c, id);
    if (!s)
        return; /* init failed: nothing reconciles anyway */
    const json_t *pods[2] = {old, obj};
    for (int i = 0; i < 2; i++) {
        const json_t *p = pods[i];
        if (!p)
            continue;
        const json_t *ref = k1s__wl_controller_of(p);
        if (ref) {
            const char *kind = json_string_value(json_object_get(ref, "kind"));
            if (kind && !strcmp(kind, s->k->kind))
                k1s_ctrl_enqueue(c, id, k1s__wl_ns(p),
                                 json_string_value(json_object_get(ref, "name")));
        } else if (p == obj && !k1s__wl_deleting(p)) {
            k1s_informer *inf = k1s_ctrl_informer(c, s->k->group, s->k->kind);
            orphanctx o = {c, id, s->k, p};
            if (inf)
                k1s_informer_each(inf, k1s__wl_ns(p), enqueue_if_selects, &o);
        }
    }
}

/* ---- the pods of a ReplicaSet ---------------------------------------------------- */

/* Pods borrowed from the cache, in a k1s_vec of const json_t *. */
typedef k1s_vec podvec;

static const json_t **pods_of(const podvec *pv)
{
    return pv->p;
}

static int push(podvec *pv, const json_t *p)
{
    return k1s_vec_append(pv, &p);
}

static int collect(void *vctx, const json_t *pod)
{
    return push(vctx, pod) ? 1 : 0;
}

/* kube's claimPods over the active pods of the namespace: keep the owned
 * ones still selected, release the others, adopt selected orphans. */
static void claim_pods(k1s_ctrl *c, const rs_kind *k, const json_t *rs, const k1s_selector *sel,
                       const podvec *all, podvec *out)
{
    const char *uid = k1s__wl_uid(rs);
    bool rs_deleting = k1s__wl_deleting(rs);
    for (size_t i = 0; i < all->n; i++) {
        const json_t *pod = pods_of(all)[i];
        if (!k1s__wl_pod_active(pod))
            continue;
        const json_t *ref = k1s__wl_controller_of(pod);
        bool selected = k1s__wl_matches(sel, pod);
        if (ref) {
            if (!k1s__wl_controlled_by(pod, uid))
                continue;
            if (selected)
                push(out, pod);
            else if (!rs_deleting)
                k1s__wl_release(c, "", "Pod", pod, uid);
            continue;
        }
        if (!selected || rs_deleting || k1s__wl_deleting(pod))
            continue;
        if (k1s__wl_adopt(c, "", "Pod", pod, rs, k->api_version, k->kind) == 0)
            push(out, pod);
    }
}

/* ---- which pods go first ---------------------------------------------------------- */

static int phase_ordinal(const json_t *pod)
{
    const char *p = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
    if (p && !strcmp(p, "Unknown"))
        return 1;
    if (p && !strcmp(p, "Running"))
        return 2;
    return 0; /* Pending, or none yet */
}

static long long deletion_cost(const json_t *pod)
{
    const char *v = k1s_meta_annotation(pod, "controller.kubernetes.io/pod-deletion-cost");
    if (!v)
        return 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end || n < -2147483648LL || n > 2147483647LL)
        return 0;
    return n;
}

static int64_t time_ns(const char *s)
{
    k1s_time t;
    if (k1s_time_parse_str(s, &t) != 0 || t.sec < 0)
        return 0; /* zero time */
    return t.sec * 1000000000LL + t.nsec;
}

static int64_t ready_ns(const json_t *pod)
{
    if (!k1s__wl_pod_ready(pod))
        return 0;
    return time_ns(k1s_json_str(k1s__wl_ready_condition(pod), "lastTransitionTime"));
}

/* floor(log2(now - t)) or -1, kube's logarithmic buckets of age */
static int log_rank(int64_t t, int64_t now)
{
    int64_t d = now - t;
    return d > 0 ? 63 - __builtin_clzll((unsigned long long)d) : -1;
}

/* kube's ActivePodsWithRanks.Less with LogarithmicScaleDown: whether a
 * is deleted before b. Ranks of pods doubled up on a node are all equal on
 * a single node and left out. */
static int time_order(int64_t ta, int64_t tb, int64_t now, const json_t *a, const json_t *b)
{
    if (ta == 0 || tb == 0 || now == 0) {
        /* the zero time counts as after any other: deleted first */
        if (ta == 0)
            return -1;
        if (tb == 0)
            return 1;
        return ta > tb ? -1 : 1;
    }
    int diff = log_rank(ta, now) - log_rank(tb, now);
    if (diff == 0)
        return strcmp(k1s__wl_uid(a), k1s__wl_uid(b));
    return diff < 0 ? -1 : 1;
}

static int delete_order(const void *pa, const void *pb, void *vnow)
{
    const json_t *a = *(const json_t *const *)pa;
    const json_t *b = *(const json_t *const *)pb;
    int64_t now = *(const int64_t *)vnow;
    const char *na = json_string_value(json_object_get(json_object_get(a, "spec"), "nodeName"));
    const char *nb = json_string_value(json_object_get(json_object_get(b, "spec"), "nodeName"));
    bool ua = !na || !*na, ub = !nb || !*nb;
    if (ua != ub)
        return ua ? -1 : 1;
    int oa = phase_ordinal(a), ob = phase_ordinal(b);
    if (oa != ob)
        return oa < ob ? -1 : 1;
    bool ra = k1s__wl_pod_ready(a), rb = k1s__wl_pod_ready(b);
    if (ra != rb)
        return ra ? 1 : -1;
    long long ca = deletion_cost(a), cb = deletion_cost(b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (ra && rb) {
        int64_t ta = ready_ns(a), tb = ready_ns(b);
        if (ta != tb)
            return time_order(ta, tb, now, a, b);
    }
    long long xa = k1s__wl_pod_max_restarts(a), xb = k1s__wl_pod_max_restarts(b);
    if (xa != xb)
        return xa > xb ? -1 : 1;
    const json_t *ma = json_object_get(a, "metadata"), *mb = json_object_get(b, "metadata");
    int64_t ta = time_ns(json_string_value(json_object_get(ma, "creationTimestamp")));
    int64_t tb = time_ns(json_string_value(json_object_get(mb, "creationTimestamp")));
    if (ta != tb)
        return time_order(ta, tb, now, a, b);
    return strcmp(k1s__wl_name(a), k1s__wl_name(b));
}

/* ---- sync ---------------------------------------------------------------------------- */

static long long spec_replicas(const json_t *rs)
{
    return k1s_json_int(rs, "spec.replicas", 1);
}

/* Create or delete pods towards spec.replicas. 0, or the HTTP code of the
 * first failure with its message in err. */
static int manage(k1s_ctrl *c, rs_state *s, const json_t *rs, podvec *pods, char *err,
                  size_t errlen)
{
    const char *ns = k1s__wl_ns(rs), *name = k1s__wl_name(rs);
    long long diff = (long long)pods->n - spec_replicas(rs);
    int rc = 0;
    if (diff < 0) {
        long long want = -diff > BURST ? BURST : -diff;
        const json_t *tmpl = json_object_get(json_object_get(rs, "spec"), "template");
        for (long long i = 0; i < want; i++) {
            json_t *pod =
                k1s__wl_pod_from_template(tmpl, rs, s->k->api_version, s->k->kind); /* new */
            json_t *made = NULL; /* new once set */
            rc = k1s__wl_create_pod(c, s->k->component, rs, pod, &made, err, errlen);
            json_decref(pod);
            if (rc)
                break; /* kube's slow start stops at the first failure */
            k1s__wl_expect_write(s->exp, ns, name, made);
            json_decref(made);
        }
    } else if (diff > 0) {
        size_t want = diff > BURST ? BURST : (size_t)diff;
        if (want < pods->n) {
            int64_t now = k1s_time_wall_ms() * 1000000;
            qsort_r(pods->p, pods->n, sizeof(const json_t *), delete_order, &now);
        }
        for (size_t i = 0; i < want; i++) {
            const json_t *pod = pods_of(pods)[i];
            k1s__wl_expect_delete(s->exp, ns, name, k1s__wl_name(pod), k1s__wl_uid(pod));
            int r = k1s__wl_delete_pod(c, s->k->component, rs, pod, rc ? NULL : err, errlen);
            if (r && r != 404 && !rc)
                rc = r;
        }
    }
    return rc;
}

/* The status kube's calculateStatus gives (new reference). */
static json_t *rs_status(const json_t *rs, const podvec *pods, int manage_rc,
                         const char *manage_err)
{
    const json_t *spec = json_object_get(rs, "spec");
    const json_t *tmpl_labels =
        json_object_get(json_object_get(json_object_get(spec, "template"), "metadata"), "labels");
    k1s_selector *tsel = NULL;
    char *serr = NULL;
    if (k1s_label_selector_from_map(tmpl_labels, &tsel, &serr))
        free(serr);
    long long min_ready = k1s_json_int(spec, "minReadySeconds", 0);
    int64_t now = k1s_time_now();
    long long labeled = 0, ready = 0, available = 0;
    for (size_t i = 0; i < pods->n; i++) {
        if (k1s__wl_matches(tsel, pods_of(pods)[i]))
            labeled++;
        if (k1s__wl_pod_ready(pods_of(pods)[i])) {
            ready++;
            if (k1s__wl_pod_available(pods_of(pods)[i], min_ready, now))
                available++;
        }
    }
    k1s_selector_free(tsel);

    const json_t *old = json_object_get(rs, "status");
    json_t *st = json_object(); /* new */
    json_object_set_new(st, "replicas", json_integer((json_int_t)pods->n));
    if (labeled)
        json_object_set_new(st, "fullyLabeledReplicas", json_integer(labeled));
    if (ready)
        json_object_set_new(st, "readyReplicas", json_integer(ready));
    if (available)
        json_object_set_new(st, "availableReplicas", json_integer(available));
    json_t *og = json_object_get(old, "observedGeneration"); /* borrowed */
    if (og)
        json_object_set(st, "observedGeneration", og);
    /* ReplicaFailure: set on a failed create/delete, dropped on success */
    json_t *conds = json_array(); /* new */
    const json_t *failure = NULL;
    size_t i;
    const json_t *cnd;
    json_array_foreach(json_object_get(old, "conditions"), i, cnd)
    {
        const char *type = json_string_value(json_object_get(cnd, "type"));
        if (type && !strcmp(type, "ReplicaFailure")) {
            failure = cnd;
            if (!manage_rc)
                continue;
        }
        json_array_append(conds, (json_t *)cnd);
    }
    if (manage_rc && !failure) {
        long long diff = (long long)pods->n - spec_replicas(rs);
        char ts[32];
        k1s_time_format(k1s_time_now(), ts, sizeof ts);
        json_array_append_new(conds,
                              json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "ReplicaFailure",
                                        "status", "True", "lastTransitionTime", ts, "reason",
                                        diff < 0   ? "FailedCreate"
                                        : diff > 0 ? "FailedDelete"
                                                   : "",
                                        "message", manage_err ? manage_err : ""));
    }
    if (json_array_size(conds))
        json_object_set_new(st, "conditions", conds);
    else
        json_decref(conds);
    return st;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    rs_state *s = state;
    if (!s)
        return -1;
    k1s_informer *rsi = k1s_ctrl_informer(c, s->k->group, s->k->kind);
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    if (!rsi || !pi)
        return -1;
    const json_t *rs = k1s_informer_get(rsi, ns, name);
    if (!rs) {
        k1s__wl_expect_forget(s->exp, ns, name);
        return 0;
    }
    bool need_sync = k1s__wl_expect_satisfied(s->exp, ns, name, pi);
    k1s_selector *sel = owner_selector(s->k, rs);
    if (!sel)
        return 0; /* kube: an unusable selector is logged and dropped */
    podvec all = K1S_VEC(const json_t *), pods = K1S_VEC(const json_t *);
    k1s_informer_each(pi, ns, collect, &all);
    claim_pods(c, s->k, rs, sel, &all, &pods);
    k1s_selector_free(sel);

    char err[512] = "";
    int manage_rc = 0;
    if (need_sync && !k1s__wl_deleting(rs))
        manage_rc = manage(c, s, rs, &pods, err, sizeof err);

    json_t *status = rs_status(rs, &pods, manage_rc, err); /* new */
    int ret = 0;
    long long gen = k1s__wl_generation(rs);
    const json_t *old = json_object_get(rs, "status");
    if (!k1s_json_semantic_equal(status, old) ||
        k1s_json_int(old, "observedGeneration", 0) != gen) {
        if (gen)
            json_object_set_new(status, "observedGeneration", json_integer(gen));
        json_t *up = json_deep_copy(rs); /* new */
        json_object_set(up, "status", status);
        int rc = k1s_ctrl_update(c, s->k->group, s->k->kind, ns, "status", up, NULL);
        json_decref(up);
        if (rc == 409)
            ret = 50; /* the cache is behind; the watch brings the fresh one */
        else if (rc && rc != 404)
            ret = -1;
    }
    long long want = spec_replicas(rs);
    long long min_ready = k1s_json_int(rs, "spec.minReadySeconds", 0);
    if (ret == 0 && manage_rc)
        ret = -1;
    if (ret == 0 && !need_sync)
        ret = 1000; /* the watch normally comes first */
    if (ret == 0 && min_ready > 0 && k1s_json_int(status, "readyReplicas", 0) == want &&
        k1s_json_int(status, "availableReplicas", 0) != want)
        ret = (int)(min_ready > 86400 ? 86400000 : min_ready * 1000);
    json_decref(status);
    k1s_vec_free(&all);
    k1s_vec_free(&pods);
    return ret;
}

/* The descriptor comes from the state, so both share reconcile and map_pod;
 * name, group and kind repeat the descriptor's because a def is a constant. */
const k1s_controller_def k1s__ctrl_replicaset = {
    .name = "replicaset-controller",
    .group = "apps",
    .kind = "ReplicaSet",
    .reconcile = reconcile,
    .watches = {{"", "Pod", map_pod}},
    .init = rs_init,
    .fini = rs_fini,
};

const k1s_controller_def k1s__ctrl_replicationcontroller = {
    .name = "replication-controller",
    .group = "",
    .kind = "ReplicationController",
    .reconcile = reconcile,
    .watches = {{"", "Pod", map_pod}},
    .init = rc_init,
    .fini = rs_fini,
};
