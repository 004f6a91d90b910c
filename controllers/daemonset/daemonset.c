/*
 * daemonset.c - the daemonset-controller, as kube-controller-manager's
 * pkg/controller/daemon: one pod "<daemonset>-<5 random>" per Node that
 * should run it (node selector, required node affinity, taints against
 * tolerations), pinned to its node through node affinity on metadata.name
 * (the scheduler binds it), labelled controller-revision-hash; failed
 * pods replaced (with backoff), extra or misplaced ones deleted; updates
 * rolled out node by node (RollingUpdate with maxUnavailable or maxSurge;
 * OnDelete waits for the user), history kept as ControllerRevisions; status
 * desiredNumberScheduled, currentNumberScheduled, numberMisscheduled,
 * numberReady, updatedNumberScheduled, numberAvailable, numberUnavailable,
 * observedGeneration. In k1s there is one Node (the server's), absent with
 * --kubelet none: then a DaemonSet simply wants no pods.
 */
#include "daemonset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kube's burstReplicas for daemon pods */
#define BURST 250
#define BACKOFF_INITIAL_MS 1000
#define BACKOFF_MAX_MS (15 * 60 * 1000)

static void *ds_init(k1s_ctrl *c)
{
    (void)c;
    k1s__ds_state *s = calloc(1, sizeof *s);
    if (s) {
        s->exp = k1s__wl_expect_new();
        s->backoff = json_object();
    }
    return s;
}

static void ds_fini(void *state)
{
    k1s__ds_state *s = state;
    if (!s)
        return;
    k1s__wl_expect_free(s->exp);
    json_decref(s->backoff);
    free(s);
}

/* ---- what enqueues a DaemonSet -------------------------------------------------------- */

typedef struct selctx {
    k1s_ctrl *c;
    int id;
    const json_t *obj; /* NULL: every DaemonSet */
} selctx;

static int enqueue_selecting(void *vctx, const json_t *ds)
{
    selctx *s = vctx;
    bool yes = !s->obj;
    if (!yes) {
        k1s_selector *sel =
            k1s__wl_selector(json_object_get(json_object_get(ds, "spec"), "selector"));
        yes = sel && k1s__wl_matches(sel, s->obj);
        k1s_selector_free(sel);
    }
    if (yes)
        k1s_ctrl_enqueue(s->c, s->id, k1s__wl_ns(ds), k1s__wl_name(ds));
    return 0;
}

static void map_owned(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *both[2] = {old, obj};
    for (int i = 0; i < 2; i++) {
        if (!both[i])
            continue;
        if (k1s__wl_controller_of(both[i])) {
            k1s_ctrl_enqueue_owner(c, id, both[i], "DaemonSet");
        } else if (both[i] == obj && !k1s__wl_deleting(obj)) {
            k1s_informer *inf = k1s_ctrl_informer(c, "apps", "DaemonSet");
            selctx s = {c, id, obj};
            if (inf)
                k1s_informer_each(inf, k1s__wl_ns(obj), enqueue_selecting, &s);
        }
    }
}

/* A node's labels, taints or schedulability decide where daemons run;
 * its status heartbeats do not. */
static void map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (old && obj &&
        json_equal(json_object_get(json_object_get(old, "metadata"), "labels"),
                   json_object_get(json_object_get(obj, "metadata"), "labels")) &&
        k1s_json_semantic_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")))
        return;
    k1s_informer *inf = k1s_ctrl_informer(c, "apps", "DaemonSet");
    selctx s = {c, id, NULL};
    if (inf)
        k1s_informer_each(inf, NULL, enqueue_selecting, &s);
}

/* ---- the pods of a DaemonSet ---------------------------------------------------------- */

typedef struct podsctx {
    k1s_ctrl *c;
    const json_t *ds;
    k1s_selector *sel;
    json_t *out; /* new once set */
} podsctx;

/* kube's claimPods over every pod of the namespace. */
static int claim(void *vctx, const json_t *pod)
{
    podsctx *p = vctx;
    const char *uid = k1s__wl_uid(p->ds);
    bool selected = k1s__wl_matches(p->sel, pod);
    if (k1s__wl_controller_of(pod)) {
        if (!k1s__wl_controlled_by(pod, uid))
            return 0;
        if (selected)
            json_array_append(p->out, (json_t *)pod);
        else if (!k1s__wl_deleting(p->ds))
            k1s__wl_release(p->c, "", "Pod", pod, uid);
        return 0;
    }
    if (selected && !k1s__wl_deleting(pod) && !k1s__wl_deleting(p->ds) &&
        k1s__wl_adopt(p->c, "", "Pod", pod, p->ds, "apps/v1", "DaemonSet") == 0)
        json_array_append(p->out, (json_t *)pod);
    return 0;
}

/* node name -> pods (new reference), without terminal pods being deleted. */
static json_t *by_node(const json_t *pods)
{
    json_t *m = json_object(); /* new */
    size_t i;
    const json_t *p;
    json_array_foreach(pods, i, p)
    {
        if (k1s__wl_pod_terminal(p) && k1s__wl_deleting(p))
            continue;
        const char *node = k1s__ds_target_node(p);
        if (!*node)
            continue;
        json_t *list = json_object_get(m, node); /* borrowed */
        if (!list) {
            list = json_array();
            json_object_set_new(m, node, list);
        }
        json_array_append(list, (json_t *)p);
    }
    return m;
}

static int collect(void *vctx, const json_t *obj)
{
    json_array_append(vctx, (json_t *)obj);
    return 0;
}

/* scheduled first, then oldest, then by name */
static int pod_order(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    const char *na = json_string_value(json_object_get(json_object_get(a, "spec"), "nodeName"));
    const char *nb = json_string_value(json_object_get(json_object_get(b, "spec"), "nodeName"));
    bool sa = na && *na, sb = nb && *nb;
    if (sa != sb)
        return sa ? -1 : 1;
    return k1s__wl_cmp_created(a, b);
}

/* The pods of a list in pod_order (new array). */
static json_t *ordered(const json_t *pods)
{
    size_t n = json_array_size(pods);
    json_t *out = json_array(); /* new */
    json_t **v = n ? malloc(n * sizeof *v) : NULL;
    if (!v)
        return json_array_extend(out, (json_t *)pods), out;
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(pods, i);
    qsort(v, n, sizeof *v, pod_order);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

/* ---- failed pods backoff ---------------------------------------------------------------- */

static bool in_backoff(k1s__ds_state *s, const char *key, int64_t *wait)
{
    json_t *e = json_object_get(s->backoff, key); /* borrowed */
    if (!e)
        return false;
    int64_t since = k1s_time_mono_ms() - json_integer_value(json_object_get(e, "at"));
    int64_t delay = json_integer_value(json_object_get(e, "delay"));
    *wait = delay - since;
    return since < delay;
}

static void backoff_next(k1s__ds_state *s, const char *key)
{
    int64_t now = k1s_time_mono_ms();
    json_t *e = json_object_get(s->backoff, key); /* borrowed */
    int64_t delay = BACKOFF_INITIAL_MS;
    if (e && now - json_integer_value(json_object_get(e, "at")) <= 2 * BACKOFF_MAX_MS) {
        delay = json_integer_value(json_object_get(e, "delay")) * 2;
        if (delay > BACKOFF_MAX_MS)
            delay = BACKOFF_MAX_MS;
    }
    json_object_set_new(s->backoff, key,
                        json_pack("{s:I, s:I}", "at", (json_int_t)now, "delay", (json_int_t)delay));
}

/* ---- manage ----------------------------------------------------------------------------- */

typedef struct plan {
    json_t *create; /* node names */
    json_t *del;    /* pod names */
    int64_t requeue_ms;
} plan;

static bool allows_surge(const json_t *ds)
{
    long long surge, unavail;
    k1s__ds_counts(ds, 1, &surge, &unavail);
    return surge != 0;
}

/* kube's podsShouldBeOnNode. */
static void on_node(k1s_ctrl *c, k1s__ds_state *s, const json_t *ds, const json_t *node,
                    const json_t *pods, const char *hash, plan *p)
{
    const char *nn = k1s__wl_name(node);
    bool run, keep;
    k1s__ds_should_run(node, ds, &run, &keep);
    if (run && json_array_size(pods) == 0) {
        json_array_append_new(p->create, json_string(nn));
        return;
    }
    size_t i;
    const json_t *pod;
    if (!keep) {
        json_array_foreach(pods, i, pod) if (!k1s__wl_deleting(pod))
            json_array_append_new(p->del, json_string(k1s__wl_name(pod)));
        return;
    }
    json_t *running = json_array(); /* new */
    json_array_foreach(pods, i, pod)
    {
        if (k1s__wl_deleting(pod))
            continue;
        const char *phase =
            json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
        if (phase && (!strcmp(phase, "Failed") || !strcmp(phase, "Succeeded"))) {
            /* the kubelet may keep refusing it: back off */
            char key[800];
            snprintf(key, sizeof key, "%s/%s/%s", k1s__wl_ns(ds), k1s__wl_name(ds), nn);
            int64_t wait = 0;
            if (in_backoff(s, key, &wait)) {
                if (p->requeue_ms <= 0 || wait < p->requeue_ms)
                    p->requeue_ms = wait > 0 ? wait : 1;
                continue;
            }
            backoff_next(s, key);
            if (!strcmp(phase, "Failed"))
                k1s_ctrl_event(c, K1S_DS_COMPONENT, ds, "Warning", "FailedDaemonPod",
                               "Found failed daemon pod %s/%s on node %s, will try to kill it",
                               k1s__wl_ns(pod), k1s__wl_name(pod), nn);
            json_array_append_new(p->del, json_string(k1s__wl_name(pod)));
        } else {
            json_array_append(running, (json_t *)pod);
        }
    }
    json_t *sorted = ordered(running); /* new */
    json_decref(running);
    if (!allows_surge(ds)) {
        /* one pod per node: the oldest stays */
        for (i = 1; i < json_array_size(sorted); i++)
            json_array_append_new(p->del, json_string(k1s__wl_name(json_array_get(sorted, i))));
    } else if (json_array_size(sorted) == 0) {
        if (run)
            json_array_append_new(p->create, json_string(nn));
    } else if (json_array_size(sorted) > 1) {
        /* with surge, an old and a new pod may overlap until the new one
           is available */
        long long gen = k1s__ds_template_generation(ds);
        const json_t *oldest_new = NULL, *oldest_old = NULL;
        json_array_foreach(sorted, i, pod)
        {
            const json_t **slot = k1s__ds_pod_updated(pod, hash, gen) ? &oldest_new : &oldest_old;
            if (!*slot) {
                *slot = pod;
                continue;
            }
            json_array_append_new(p->del, json_string(k1s__wl_name(pod)));
        }
        long long min_ready = k1s_json_int(ds, "spec.minReadySeconds", 0);
        if (oldest_new && oldest_old &&
            (!k1s__wl_pod_ready(oldest_old) ||
             k1s__wl_pod_available(oldest_new, min_ready, k1s_time_now())))
            json_array_append_new(p->del, json_string(k1s__wl_name(oldest_old)));
    }
    json_decref(sorted);
}

/* Create pods on nodes and delete pods by name; true when anything was
 * asked. */
static bool sync_nodes(k1s_ctrl *c, k1s__ds_state *s, const json_t *ds, const json_t *del,
                       const json_t *create, const char *hash)
{
    const char *ns = k1s__wl_ns(ds), *name = k1s__wl_name(ds);
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    size_t i;
    const json_t *v;
    json_array_foreach(create, i, v)
    {
        if (i >= BURST)
            break;
        json_t *tmpl = k1s__ds_pod_template(ds, hash);                             /* new */
        json_t *pod = k1s__wl_pod_from_template(tmpl, ds, "apps/v1", "DaemonSet"); /* new */
        json_decref(tmpl);
        k1s__ds_pin(json_object_get(pod, "spec"), json_string_value(v));
        json_t *made = NULL; /* new once set */
        int rc = k1s__wl_create_pod(c, K1S_DS_COMPONENT, ds, pod, &made, NULL, 0);
        json_decref(pod);
        if (rc)
            break; /* slow start: stop at the first failure */
        k1s__wl_expect_write(s->exp, ns, name, made);
        json_decref(made);
    }
    json_array_foreach(del, i, v)
    {
        if (i >= BURST)
            break;
        const json_t *pod = pi ? k1s_informer_get(pi, ns, json_string_value(v)) : NULL;
        if (!pod)
            continue;
        k1s__wl_expect_delete(s->exp, ns, name, k1s__wl_name(pod), k1s__wl_uid(pod));
        k1s__wl_delete_pod(c, K1S_DS_COMPONENT, ds, pod, NULL, 0);
    }
    return json_array_size(del) || json_array_size(create);
}

/* ---- status ----------------------------------------------------------------------------- */

static int update_status(k1s_ctrl *c, const json_t *ds, const json_t *nodes, const json_t *bynode,
                         const char *hash, bool observe, int64_t *requeue_ms)
{
    long long desired = 0, current = 0, mis = 0, ready = 0, updated = 0, available = 0;
    long long min_ready = k1s_json_int(ds, "spec.minReadySeconds", 0);
    long long gen = k1s__ds_template_generation(ds);
    int64_t now = k1s_time_now();
    size_t i;
    const json_t *node;
    json_array_foreach(nodes, i, node)
    {
        bool run, keep;
        k1s__ds_should_run(node, ds, &run, &keep);
        const json_t *pods = json_object_get(bynode, k1s__wl_name(node));
        bool scheduled = json_array_size(pods) > 0;
        if (!run) {
            mis += scheduled;
            continue;
        }
        desired++;
        if (!scheduled)
            continue;
        current++;
        json_t *sorted = ordered(pods); /* new */
        const json_t *pod = json_array_get(sorted, 0);
        if (k1s__wl_pod_ready(pod)) {
            ready++;
            if (k1s__wl_pod_available(pod, min_ready, now))
                available++;
        }
        if (k1s__ds_pod_updated(pod, hash, gen))
            updated++;
        json_decref(sorted);
    }
    const json_t *old = json_object_get(ds, "status");
    long long og = k1s_json_int(old, "observedGeneration", 0);
    long long dgen = k1s__wl_generation(ds);
    if (min_ready > 0 && ready != available)
        *requeue_ms = min_ready > 86400 ? 86400000 : min_ready * 1000;
    if (k1s_json_int(old, "desiredNumberScheduled", 0) == desired &&
        k1s_json_int(old, "currentNumberScheduled", 0) == current &&
        k1s_json_int(old, "numberMisscheduled", 0) == mis &&
        k1s_json_int(old, "numberReady", 0) == ready &&
        k1s_json_int(old, "updatedNumberScheduled", 0) == updated &&
        k1s_json_int(old, "numberAvailable", 0) == available &&
        k1s_json_int(old, "numberUnavailable", 0) == desired - available && og >= dgen)
        return 0;
    /* new */
    json_t *st = json_pack("{s:I, s:I, s:I, s:I}", "currentNumberScheduled", (json_int_t)current,
                           "numberMisscheduled", (json_int_t)mis, "desiredNumberScheduled",
                           (json_int_t)desired, "numberReady", (json_int_t)ready);
    long long obs = observe ? dgen : og;
    if (obs)
        json_object_set_new(st, "observedGeneration", json_integer(obs));
    if (updated)
        json_object_set_new(st, "updatedNumberScheduled", json_integer(updated));
    if (available)
        json_object_set_new(st, "numberAvailable", json_integer(available));
    if (desired - available)
        json_object_set_new(st, "numberUnavailable", json_integer(desired - available));
    json_t *cc = json_object_get(old, "collisionCount"); /* borrowed */
    if (cc)
        json_object_set(st, "collisionCount", cc);
    json_t *conds = json_object_get(old, "conditions"); /* borrowed */
    if (json_array_size(conds))
        json_object_set(st, "conditions", conds);
    json_t *up = json_deep_copy(ds); /* new */
    json_object_set_new(up, "status", st);
    int rc = k1s_ctrl_update(c, "apps", "DaemonSet", k1s__wl_ns(ds), "status", up, NULL);
    json_decref(up);
    return rc == 409 ? 50 : rc && rc != 404 ? -1 : 0;
}

/* ---- sync ----------------------------------------------------------------------------------- */

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s__ds_state *s = state;
    k1s_informer *dsi = k1s_ctrl_informer(c, "apps", "DaemonSet");
    k1s_informer *pi = k1s_ctrl_informer(c, "", "Pod");
    k1s_informer *ni = k1s_ctrl_informer(c, "", "Node");
    if (!s || !dsi || !pi || !ni)
        return -1;
    const json_t *ds = k1s_informer_get(dsi, ns, name);
    if (!ds) {
        k1s__wl_expect_forget(s->exp, ns, name);
        return 0;
    }
    const json_t *selector = json_object_get(json_object_get(ds, "spec"), "selector");
    if (k1s__wl_selects_all(selector)) {
        k1s_ctrl_event(c, K1S_DS_COMPONENT, ds, "Warning", "SelectingAll",
                       "This daemon set is selecting all pods. A non-empty selector is required.");
        return 0;
    }
    if (k1s__wl_deleting(ds))
        return 0;
    char hash[64];
    json_t *old_revs = NULL; /* new once set */
    int rc = k1s__ds_history(c, ds, hash, sizeof hash, &old_revs);
    if (rc) {
        json_decref(old_revs);
        return rc;
    }
    json_t *nodes = json_array(); /* new */
    k1s_informer_each(ni, NULL, collect, nodes);
    podsctx pc = {c, ds, k1s__wl_selector(selector), json_array()};
    if (pc.sel)
        k1s_informer_each(pi, ns, claim, &pc);
    k1s_selector_free(pc.sel);
    json_t *bynode = by_node(pc.out); /* new */
    int64_t requeue = 0;
    if (!k1s__wl_expect_satisfied(s->exp, ns, name, pi)) {
        rc = update_status(c, ds, nodes, bynode, hash, false, &requeue);
        rc = rc ? rc : 1000;
        goto cleanup;
    }
    plan p = {json_array(), json_array(), 0};
    json_t *known = json_object(); /* new */
    size_t i;
    const json_t *node;
    json_array_foreach(nodes, i, node)
    {
        json_object_set_new(known, k1s__wl_name(node), json_true());
        on_node(c, s, ds, node, json_object_get(bynode, k1s__wl_name(node)), hash, &p);
    }
    /* unscheduled pods meant for nodes that are gone */
    const json_t *pod;
    json_array_foreach(pc.out, i, pod)
    {
        const char *nn =
            json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
        const char *target = k1s__ds_target_node(pod);
        if ((!nn || !*nn) && *target && !json_object_get(known, target) && !k1s__wl_deleting(pod))
            json_array_append_new(p.del, json_string(k1s__wl_name(pod)));
    }
    json_decref(known);
    bool acted = sync_nodes(c, s, ds, p.del, p.create, hash);
    requeue = p.requeue_ms;
    json_decref(p.create);
    json_decref(p.del);
    const char *type = json_string_value(
        json_object_get(json_object_get(json_object_get(ds, "spec"), "updateStrategy"), "type"));
    if (!acted && type && !strcmp(type, "RollingUpdate")) {
        json_t *del = json_array(), *create = json_array(); /* new */
        k1s__ds_rolling(ds, nodes, bynode, hash, del, create);
        sync_nodes(c, s, ds, del, create, hash);
        json_decref(del);
        json_decref(create);
    }
    k1s__ds_cleanup_history(c, ds, pc.out, old_revs);
    int64_t r2 = 0;
    rc = update_status(c, ds, nodes, bynode, hash, true, &r2);
    if (!rc && r2 > 0 && (requeue <= 0 || r2 < requeue))
        requeue = r2;
    if (!rc && requeue > 0)
        rc = (int)(requeue > 86400000 ? 86400000 : requeue);
cleanup:
    json_decref(bynode);
    json_decref(pc.out);
    json_decref(nodes);
    json_decref(old_revs);
    return rc;
}

const k1s_controller_def k1s__ctrl_daemonset = {
    .name = "daemonset-controller",
    .group = "apps",
    .kind = "DaemonSet",
    .reconcile = reconcile,
    .watches = {{"", "Pod", map_owned},
                {"", "Node", map_node},
                {"apps", "ControllerRevision", map_owned}},
    .init = ds_init,
    .fini = ds_fini,
};
