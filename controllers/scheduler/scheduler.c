/*
 * scheduler.c - the default-scheduler for k1s's one node: binds every pod
 * that has no spec.nodeName and asks for schedulerName default-scheduler
 * to the node named by the controllers' config (registered by the
 * kubelet; with --kubelet none there is no Node and pods stay Pending).
 *
 * It runs kube-scheduler's filters that matter on a single node, in its
 * order: NodeUnschedulable, TaintToleration (NoSchedule/NoExecute),
 * NodeAffinity (nodeSelector and required node affinity), NodePorts,
 * NodeResourcesFit (cpu, memory, pod count), and VolumeBinding's claim
 * checks. A pod that fits is bound through the pods/binding subresource
 * (k1s_api_bind) and gets the Scheduled event; one that does not gets
 * PodScheduled False/Unschedulable and a FailedScheduling event worded as
 * kube's, and is retried when the node, a claim or the pods on the node
 * change. Preemption is not done (the message says so as kube's would).
 */
#include "k1s_ctrl.h"
#include "k1s_podutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_json.h"
#include "k1s_quantity.h"
#include "k1s_time.h"

#define SCHEDULER "default-scheduler"
#define SELECTED_NODE "volume.kubernetes.io/selected-node"
#define NOT_HELPFUL "Preemption is not helpful for scheduling"
#define NO_VICTIMS "No preemption victims found for incoming pod"

typedef struct sched_state {
    /* owned: pod uid -> [node name, pod] of pods this scheduler bound
     * that the cache does not show bound yet, so that two pods bound in a
     * row are not both fitted into the same room */
    json_t *assumed;
} sched_state;

/* ---- which pods are ours to schedule ------------------------------------------ */

static bool wants_scheduling(const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *sched = k1s_json_str_or(spec, "schedulerName", "");
    const char *phase = k1s_json_str_or(pod, "status.phase", "");
    return !*k1s_json_str_or(spec, "nodeName", "") && (!*sched || !strcmp(sched, SCHEDULER)) &&
           !json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp") &&
           !json_array_size(json_object_get(spec, "schedulingGates")) &&
           strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0;
}

typedef struct pendctx {
    k1s_ctrl *c;
    int id;
    const char *claim; /* only pods using this claim, or NULL */
} pendctx;

static bool uses_claim(const json_t *pod, const char *claim)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), i, v)
    {
        const json_t *pvc = json_object_get(v, "persistentVolumeClaim");
        if (pvc && !strcmp(k1s_json_str_or(pvc, "claimName", ""), claim))
            return true;
    }
    return false;
}

static int enqueue_pending(void *vctx, const json_t *pod)
{
    pendctx *p = vctx;
    if (wants_scheduling(pod) && (!p->claim || uses_claim(pod, p->claim)))
        k1s_ctrl_enqueue(p->c, p->id, k1s_json_str_or(pod, "metadata.namespace", ""),
                         k1s_json_str_or(pod, "metadata.name", ""));
    return 0;
}

static void requeue_pending(k1s_ctrl *c, int id, const char *ns, const char *claim)
{
    k1s_informer *pods = k1s_ctrl_informer(c, "", "Pod");
    pendctx p = {c, id, claim};
    if (pods)
        k1s_informer_each(pods, ns, enqueue_pending, &p);
}

/* Only what can change a node's fitness retries pending pods: not the
 * heartbeats a kubelet posts every minute. */
static bool node_fitness_changed(const json_t *old, const json_t *obj)
{
    if (!old || !obj)
        return true;
    const json_t *om = json_object_get(old, "metadata");
    const json_t *nm = json_object_get(obj, "metadata");
    return !json_equal(json_object_get(om, "labels"), json_object_get(nm, "labels")) ||
           !json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")) ||
           !json_equal(json_object_get(json_object_get(old, "status"), "allocatable"),
                       json_object_get(json_object_get(obj, "status"), "allocatable"));
}

static void map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (node_fitness_changed(old, obj))
        requeue_pending(c, id, NULL, NULL);
}

/* A pod leaving a node (gone or finished) frees room for pending ones. */
static void map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (!old || !*k1s_json_str_or(old, "spec.nodeName", ""))
        return;
    const char *phase = k1s_json_str_or(obj, "status.phase", "");
    if (!obj || !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))
        requeue_pending(c, id, NULL, NULL);
}

static void map_claim(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    requeue_pending(c, id, k1s_json_str_or(any, "metadata.namespace", ""),
                    k1s_json_str_or(any, "metadata.name", ""));
}

/* ---- filters ------------------------------------------------------------------------ */

/* The first NoSchedule/NoExecute taint the pod does not tolerate. */
static const json_t *untolerated_taint(const json_t *node, const json_t *pod)
{
    const json_t *tols = json_object_get(json_object_get(pod, "spec"), "tolerations");
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(json_object_get(node, "spec"), "taints"), i, t)
    {
        const char *eff = k1s_json_str_or(t, "effect", "");
        if ((!strcmp(eff, "NoSchedule") || !strcmp(eff, "NoExecute")) &&
            !k1s__wl_tolerated(tols, t))
            return t;
    }
    return NULL;
}

static bool unschedulable_node(const json_t *node, const json_t *pod)
{
    if (!json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable")))
        return false;
    json_t *t = json_pack("{s:s, s:s}", "key", "node.kubernetes.io/unschedulable", "effect",
                          "NoSchedule"); /* new */
    bool ok = k1s__wl_tolerated(json_object_get(json_object_get(pod, "spec"), "tolerations"), t);
    json_decref(t);
    return !ok;
}

static bool parse_int(const char *s, long long *out)
{
    char *end = NULL;
    if (!*s)
        return false;
    *out = strtoll(s, &end, 10);
    return *end == 0;
}

/* One NodeSelectorRequirement against a value set (labels or fields). */
static bool requirement_matches(const json_t *req, const json_t *values_of)
{
    const char *key = k1s_json_str_or(req, "key", ""), *op = k1s_json_str_or(req, "operator", "");
    const json_t *have = json_object_get(values_of, key);
    const char *v = json_string_value(have);
    const json_t *vals = json_object_get(req, "values");
    if (!strcmp(op, "Exists"))
        return v != NULL;
    if (!strcmp(op, "DoesNotExist"))
        return v == NULL;
    if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
        bool found = false;
        size_t i;
        const json_t *x;
        json_array_foreach(vals, i, x)
        {
            if (v && json_is_string(x) && !strcmp(json_string_value(x), v))
                found = true;
        }
        return !strcmp(op, "In") ? found : !found;
    }
    if (!strcmp(op, "Gt") || !strcmp(op, "Lt")) {
        long long a, b;
        const char *want = json_string_value(json_array_get(vals, 0));
        if (!v || json_array_size(vals) != 1 || !want || !parse_int(v, &a) || !parse_int(want, &b))
            return false;
        return !strcmp(op, "Gt") ? a > b : a < b;
    }
    return false;
}

static bool term_matches(const json_t *term, const json_t *labels, const json_t *fields)
{
    const json_t *exprs = json_object_get(term, "matchExpressions");
    const json_t *mf = json_object_get(term, "matchFields");
    if (!json_array_size(exprs) && !json_array_size(mf))
        return false; /* an empty term selects nothing */
    size_t i;
    const json_t *r;
    json_array_foreach(exprs, i, r)
    {
        if (!requirement_matches(r, labels))
            return false;
    }
    json_array_foreach(mf, i, r)
    {
        if (!requirement_matches(r, fields))
            return false;
    }
    return true;
}

/* nodeSelector and requiredDuringSchedulingIgnoredDuringExecution. */
static bool affinity_matches(const json_t *node, const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(spec, "nodeSelector"), k, v)
    {
        const char *have = json_string_value(json_object_get(labels, k));
        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)) != 0)
            return false;
    }
    const json_t *req =
        json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
                        "requiredDuringSchedulingIgnoredDuringExecution");
    if (!req)
        return true;
    json_t *fields =
        json_pack("{s:s}", "metadata.name", k1s_json_str_or(node, "metadata.name", "")); /* new */
    bool any = false;
    size_t i;
    const json_t *term;
    json_array_foreach(json_object_get(req, "nodeSelectorTerms"), i, term)
    {
        if (term_matches(term, labels, fields)) {
            any = true;
            break;
        }
    }
    json_decref(fields);
    return any;
}

/* ---- resources and ports ------------------------------------------------------------ */

typedef struct usage {
    long long cpu_milli, mem, pods;
    json_t *ports; /* owned array of [protocol, hostIP, port] */
} usage;

/* Requests come from users: sums saturate rather than overflow. */
static long long add(long long a, long long b)
{
    long long r;
    return __builtin_add_overflow(a, b, &r) ? LLONG_MAX : r;
}

/* A non-negative quantity (value or milli-value); 0 when absent or bad. */
static long long qty(const json_t *v, bool milli)
{
    k1s_quantity q;
    int64_t out = 0;
    if (!v || k1s_quantity_from_json(v, &q) != 0)
        return 0;
    if ((milli ? k1s_quantity_milli(&q, &out) : k1s_quantity_value(&q, &out)) != 0)
        return q.sign > 0 ? LLONG_MAX : 0;
    return out > 0 ? out : 0;
}

static void container_requests(const json_t *ctr, long long *cpu, long long *mem)
{
    const json_t *req = json_object_get(json_object_get(ctr, "resources"), "requests");
    *cpu = qty(json_object_get(req, "cpu"), true);
    *mem = qty(json_object_get(req, "memory"), false);
}

/* computePodResourceRequest: the containers' sum, or the largest init
 * step if bigger (sidecars count in both), plus the pod overhead. */
static void pod_requests(const json_t *pod, long long *cpu, long long *mem)
{
    const json_t *spec = json_object_get(pod, "spec");
    long long sc = 0, sm = 0, side_c = 0, side_m = 0, peak_c = 0, peak_m = 0;
    size_t i;
    const json_t *ctr;
    json_array_foreach(json_object_get(spec, "containers"), i, ctr)
    {
        long long c, m;
        container_requests(ctr, &c, &m);
        sc = add(sc, c);
        sm = add(sm, m);
    }
    json_array_foreach(json_object_get(spec, "initContainers"), i, ctr)
    {
        long long c, m;
        container_requests(ctr, &c, &m);
        if (!strcmp(k1s_json_str_or(ctr, "restartPolicy", ""), "Always")) {
            side_c = add(side_c, c);
            side_m = add(side_m, m);
            c = side_c;
            m = side_m;
        } else {
            c = add(c, side_c);
            m = add(m, side_m);
        }
        if (c > peak_c)
            peak_c = c;
        if (m > peak_m)
            peak_m = m;
    }
    sc = add(sc, side_c);
    sm = add(sm, side_m);
    const json_t *oh = json_object_get(spec, "overhead");
    *cpu = add(sc > peak_c ? sc : peak_c, qty(json_object_get(oh, "cpu"), true));
    *mem = add(sm > peak_m ? sm : peak_m, qty(json_object_get(oh, "memory"), false));
}

static void add_ports(json_t *ports, const json_t *pod)
{
    const json_t *spec = json_object_get(pod, "spec");
    static const char *const lists[] = {"initContainers", "containers", NULL};
    for (const char *const *l = lists; *l; l++) {
        size_t i, j;
        const json_t *ctr, *p;
        json_array_foreach(json_object_get(spec, *l), i, ctr)
            json_array_foreach(json_object_get(ctr, "ports"), j, p)
        {
            json_int_t hp = json_integer_value(json_object_get(p, "hostPort"));
            if (hp <= 0)
                continue;
            const char *proto = k1s_json_str_or(p, "protocol", "");
            const char *ip = k1s_json_str_or(p, "hostIP", "");
            json_array_append_new(
                ports, json_pack("[s, s, I]", *proto ? proto : "TCP", *ip ? ip : "0.0.0.0", hp));
        }
    }
}

typedef struct usectx {
    const char *node;
    usage *u;
    const json_t *skip; /* the pod being scheduled */
} usectx;

static void count_pod(usage *u, const json_t *pod)
{
    long long c, m;
    pod_requests(pod, &c, &m);
    u->cpu_milli = add(u->cpu_milli, c);
    u->mem = add(u->mem, m);
    u->pods++;
    add_ports(u->ports, pod);
}

static int sum_pod(void *vctx, const json_t *pod)
{
    usectx *x = vctx;
    const char *phase = k1s_json_str_or(pod, "status.phase", "");
    if (pod != x->skip && !strcmp(k1s_json_str_or(pod, "spec.nodeName", ""), x->node) &&
        strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0)
        count_pod(x->u, pod);
    return 0;
}

/* What the pods on node already take: the cache, plus pods bound here
 * whose binding the cache does not show yet (dropped once it does). */
static void node_usage(k1s_ctrl *c, sched_state *s, const char *node, const json_t *skip, usage *u)
{
    memset(u, 0, sizeof *u);
    u->ports = json_array();
    k1s_informer *pods = k1s_ctrl_informer(c, "", "Pod");
    usectx x = {node, u, skip};
    if (pods)
        k1s_informer_each(pods, NULL, sum_pod, &x);
    const char *uid;
    json_t *a;
    void *tmp;
    json_object_foreach_safe(s->assumed, tmp, uid, a)
    {
        const json_t *pod = json_array_get(a, 1);
        const char *pns = k1s_json_str_or(pod, "metadata.namespace", "");
        const char *pname = k1s_json_str_or(pod, "metadata.name", "");
        const json_t *now = pods ? k1s_informer_get(pods, pns, pname) : NULL;
        if (!now || strcmp(k1s_json_str_or(now, "metadata.uid", ""), uid) != 0 ||
            *k1s_json_str_or(now, "spec.nodeName", "")) {
            json_object_del(s->assumed, uid);
            continue;
        }
        if (!strcmp(json_string_value(json_array_get(a, 0)), node))
            count_pod(u, pod);
    }
}

static bool same_port(const json_t *a, const json_t *b)
{
    const char *aip = json_string_value(json_array_get(a, 1));
    const char *bip = json_string_value(json_array_get(b, 1));
    return json_integer_value(json_array_get(a, 2)) == json_integer_value(json_array_get(b, 2)) &&
           !strcmp(json_string_value(json_array_get(a, 0)),
                   json_string_value(json_array_get(b, 0))) &&
           (!strcmp(aip, bip) || !strcmp(aip, "0.0.0.0") || !strcmp(bip, "0.0.0.0"));
}

static bool port_conflict(const json_t *used, const json_t *pod)
{
    json_t *want = json_array(); /* new */
    add_ports(want, pod);
    bool clash = false;
    size_t i, j;
    const json_t *w, *h;
    json_array_foreach(want, i, w)
    {
        json_array_foreach(used, j, h)
        {
            clash |= same_port(w, h);
        }
    }
    json_decref(want);
    return clash;
}

/* ---- volumes ---------------------------------------------------------------------- */

typedef enum { VOL_OK, VOL_WAIT, VOL_FAIL } volstate;

/* VolumeBinding's PreFilter: every claim exists and is not being deleted;
 * Immediate claims must be bound already; unbound WaitForFirstConsumer
 * claims make the pod wait (VOL_WAIT). msg gets the reason of VOL_FAIL. */
static volstate check_volumes(k1s_ctrl *c, const json_t *pod, char *msg, size_t len)
{
    k1s_informer *pvcs = k1s_ctrl_informer(c, "", "PersistentVolumeClaim");
    k1s_informer *classes = k1s_ctrl_informer(c, "storage.k8s.io", "StorageClass");
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    bool unbound_immediate = false, waiting = false;
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), i, v)
    {
        const json_t *ref = json_object_get(v, "persistentVolumeClaim");
        if (!ref)
            continue;
        const char *claim = k1s_json_str_or(ref, "claimName", "");
        const json_t *pvc = pvcs ? k1s_informer_get(pvcs, ns, claim) : NULL;
        if (!pvc) {
            snprintf(msg, len, "persistentvolumeclaim \"%.253s\" not found", claim);
            return VOL_FAIL;
        }
        if (json_object_get(json_object_get(pvc, "metadata"), "deletionTimestamp")) {
            snprintf(msg, len, "persistentvolumeclaim \"%.253s\" is being deleted", claim);
            return VOL_FAIL;
        }
        if (*k1s_json_str_or(pvc, "spec.volumeName", "") &&
            !strcmp(k1s_json_str_or(pvc, "status.phase", ""), "Bound"))
            continue;
        const char *cls = k1s_json_str_or(pvc, "spec.storageClassName", "");
        const json_t *sc = classes && *cls ? k1s_informer_get(classes, "", cls) : NULL;
        if (sc && !strcmp(k1s_json_str_or(sc, "volumeBindingMode", ""), "WaitForFirstConsumer"))
            waiting = true;
        else
            unbound_immediate = true;
    }
    if (unbound_immediate) {
        snprintf(msg, len, "pod has unbound immediate PersistentVolumeClaims");
        return VOL_FAIL;
    }
    return waiting ? VOL_WAIT : VOL_OK;
}

/* The pod fits node but waits for WaitForFirstConsumer claims: name the
 * node on each unbound one (the provisioner's cue, as kube's PreBind
 * does). The claims' binding then requeues the pod. */
static void select_node(k1s_ctrl *c, const json_t *pod, const char *node)
{
    k1s_informer *pvcs = k1s_ctrl_informer(c, "", "PersistentVolumeClaim");
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), i, v)
    {
        const char *claim = k1s_json_str_or(v, "persistentVolumeClaim.claimName", "");
        const json_t *pvc = pvcs && *claim ? k1s_informer_get(pvcs, ns, claim) : NULL;
        const char *selected = k1s_meta_annotation(pvc, SELECTED_NODE);
        if (!pvc || *k1s_json_str_or(pvc, "spec.volumeName", "") ||
            (selected && !strcmp(selected, node)))
            continue;
        json_t *p =
            json_pack("{s:{s:{s:s}}}", "metadata", "annotations", SELECTED_NODE, node); /* new */
        char *text = json_dumps(p, JSON_COMPACT);
        if (text)
            k1s_ctrl_patch(c, "", "PersistentVolumeClaim", ns, claim, NULL, text);
        free(text);
        json_decref(p);
    }
}

/* ---- the decision -------------------------------------------------------------------- */

/* Why pod does not fit node: kube's FitError text after "0/1 nodes are
 * available: ", without the preemption part, into msg. resolvable: whether
 * preemption could help (resource shortage rather than a mismatch).
 * Returns false when it fits. */
static bool misfit(k1s_ctrl *c, sched_state *s, const json_t *node, const json_t *pod, char *msg,
                   size_t len, bool *resolvable)
{
    *resolvable = false;
    if (unschedulable_node(node, pod)) {
        snprintf(msg, len, "1 node(s) were unschedulable");
        return true;
    }
    const json_t *taint = untolerated_taint(node, pod);
    if (taint) {
        snprintf(msg, len, "1 node(s) had untolerated taint {%.253s: %.63s}",
                 k1s_json_str_or(taint, "key", ""), k1s_json_str_or(taint, "value", ""));
        return true;
    }
    if (!affinity_matches(node, pod)) {
        snprintf(msg, len, "1 node(s) didn't match Pod's node affinity/selector");
        return true;
    }
    usage u;
    node_usage(c, s, k1s_json_str_or(node, "metadata.name", ""), pod, &u);
    bool clash = port_conflict(u.ports, pod);
    json_decref(u.ports);
    if (clash) {
        snprintf(msg, len, "1 node(s) didn't have free ports for the requested pod ports");
        return true;
    }
    const json_t *alloc = json_object_get(json_object_get(node, "status"), "allocatable");
    long long cpu, mem;
    pod_requests(pod, &cpu, &mem);
    /* kube's reasons, sorted as strings ("1 Insufficient cpu", ...) */
    msg[0] = 0;
    size_t n = 0;
    if (cpu > 0 && add(cpu, u.cpu_milli) > qty(json_object_get(alloc, "cpu"), true))
        n += (size_t)snprintf(msg + n, len - n, "1 Insufficient cpu");
    if (n < len && mem > 0 && add(mem, u.mem) > qty(json_object_get(alloc, "memory"), false))
        n += (size_t)snprintf(msg + n, len - n, "%s1 Insufficient memory", n ? ", " : "");
    if (n < len && add(u.pods, 1) > qty(json_object_get(alloc, "pods"), false))
        n += (size_t)snprintf(msg + n, len - n, "%s1 Too many pods", n ? ", " : "");
    *resolvable = n > 0;
    return n > 0;
}

static json_t *find_condition(json_t *status, const char *type)
{
    size_t i;
    json_t *cnd;
    json_array_foreach(json_object_get(status, "conditions"), i, cnd)
    {
        if (!strcmp(k1s_json_str_or(cnd, "type", ""), type))
            return cnd;
    }
    return NULL;
}

/* handleSchedulingFailure: PodScheduled False/Unschedulable and a
 * FailedScheduling event, once per distinct message. */
static int record_failure(k1s_ctrl *c, const json_t *pod, const char *msg)
{
    json_t *cur = find_condition(json_object_get(pod, "status"), "PodScheduled");
    if (cur && !strcmp(k1s_json_str_or(cur, "status", ""), "False") &&
        !strcmp(k1s_json_str_or(cur, "reason", ""), "Unschedulable") &&
        !strcmp(k1s_json_str_or(cur, "message", ""), msg))
        return 0;
    json_t *copy = json_deep_copy(pod); /* new */
    json_t *status = k1s_json_object_at(copy, "status");
    char ts[K1S_TIME_LEN];
    k1s_time_format_now(ts, sizeof ts);
    json_t *cnd = json_pack("{s:s, s:s, s:n, s:s, s:s, s:s}", "type", "PodScheduled", "status",
                            "False", "lastProbeTime", "lastTransitionTime", ts, "reason",
                            "Unschedulable", "message", msg); /* new */
    if (cur && !strcmp(k1s_json_str_or(cur, "status", ""), "False") &&
        json_is_string(json_object_get(cur, "lastTransitionTime")))
        json_object_set(cnd, "lastTransitionTime", json_object_get(cur, "lastTransitionTime"));
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    size_t i;
    json_t *x;
    json_array_foreach(conds, i, x)
    {
        if (!strcmp(k1s_json_str_or(x, "type", ""), "PodScheduled"))
            break;
    }
    if (i < json_array_size(conds))
        json_array_set_new(conds, i, cnd);
    else
        json_array_append_new(conds, cnd);
    int rc = k1s_ctrl_update(c, "", "Pod", k1s_json_str_or(pod, "metadata.namespace", ""), "status",
                             copy, NULL);
    json_decref(copy);
    if (rc == 0)
        k1s_ctrl_event(c, SCHEDULER, pod, "Warning", "FailedScheduling", "%s", msg);
    /* a conflict means a newer pod is on its way through the watch */
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

static int bind(k1s_ctrl *c, sched_state *s, const json_t *pod, const char *node)
{
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    const char *name = k1s_json_str_or(pod, "metadata.name", "");
    json_t *b = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s}}", "apiVersion", "v1", "kind",
                          "Binding", "metadata", "name", name, "namespace", ns, "uid",
                          k1s_json_str_or(pod, "metadata.uid", ""), "target", "kind", "Node",
                          "name", node); /* new */
    json_t *out = NULL;
    k1s_status st = {0};
    int rc = k1s_api_bind(k1s_ctrl_api(c), ns, name, b, &out, &st);
    json_decref(b);
    json_decref(out);
    if (rc) {
        int code = st.code;
        if (code != 404 && code != 409)
            fprintf(stderr, "k1s: scheduler: binding %s/%s: %s\n", ns, name,
                    st.message ? st.message : "?");
        k1s_status_clear(&st);
        return code == 404 || code == 409 ? 0 : -1;
    }
    json_object_set_new(s->assumed, k1s_json_str_or(pod, "metadata.uid", ""),
                        json_pack("[s, O]", node, pod));
    k1s_ctrl_event(c, SCHEDULER, pod, "Normal", "Scheduled", "Successfully assigned %s/%s to %s",
                   ns, name, node);
    return 0;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    sched_state *s = state;
    k1s_informer *pods = k1s_ctrl_informer(c, "", "Pod");
    const json_t *pod = pods ? k1s_informer_get(pods, ns, name) : NULL;
    if (!pod || !wants_scheduling(pod))
        return 0;
    const char *node_name = k1s_ctrl_config(c)->node_name;
    k1s_informer *nodes = k1s_ctrl_informer(c, "", "Node");
    const json_t *node = nodes ? k1s_informer_get(nodes, "", node_name) : NULL;
    if (!node)
        return record_failure(c, pod, "no nodes available to schedule pods");
    char why[600], msg[1024];
    bool resolvable = false;
    volstate vs = check_volumes(c, pod, why, sizeof why);
    if (vs == VOL_FAIL) {
        /* a PreFilter verdict: no per-node reasons follow */
        snprintf(msg, sizeof msg,
                 "0/1 nodes are available: %s. preemption: 0/1 nodes are available: 1 %s.", why,
                 NOT_HELPFUL);
        return record_failure(c, pod, msg);
    }
    if (misfit(c, s, node, pod, why, sizeof why, &resolvable)) {
        const char *policy = k1s_json_str_or(pod, "spec.preemptionPolicy", "");
        if (!strcmp(policy, "Never"))
            snprintf(
                msg, sizeof msg,
                "0/1 nodes are available: %s. preemption: not eligible due to preemptionPolicy=Never.",
                why);
        else
            snprintf(msg, sizeof msg,
                     "0/1 nodes are available: %s. preemption: 0/1 nodes are available: 1 %s.", why,
                     resolvable ? NO_VICTIMS : NOT_HELPFUL);
        return record_failure(c, pod, msg);
    }
    if (vs == VOL_WAIT) {
        select_node(c, pod, node_name);
        return 0;
    }
    return bind(c, s, pod, node_name);
}

static void *init(k1s_ctrl *c)
{
    (void)c;
    sched_state *s = calloc(1, sizeof *s);
    if (s)
        s->assumed = json_object();
    return s;
}

static void fini(void *state)
{
    sched_state *s = state;
    if (!s)
        return;
    json_decref(s->assumed);
    free(s);
}

const k1s_controller_def k1s__ctrl_scheduler = {
    .name = SCHEDULER,
    .group = "",
    .kind = "Pod",
    .reconcile = reconcile,
    .watches =
        {
            {"", "Pod", map_pod},
            {"", "Node", map_node},
            {"", "PersistentVolumeClaim", map_claim},
        },
    .init = init,
    .fini = fini,
};
