/*
 * endpointslice.c - the endpointslice-controller, as kube-controller-
 * manager's pkg/controller/endpointslice with the reconciler of
 * k8s.io/endpointslice: for every Service with a selector, EndpointSlices
 * (discovery.k8s.io/v1) named "<service>-<5 random>", labelled
 * kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by:
 * endpointslice-controller.k8s.io (plus the Service's labels), owned by the
 * Service, one address type each (IPv4 here), at most 100 endpoints per
 * slice, one group of slices per set of resolved ports. Each endpoint has
 * the pod's addresses, conditions ready/serving/terminating, nodeName,
 * zone, hostname and targetRef. A Service without endpoints gets one empty
 * placeholder slice. Existing slices are reused before new ones are made.
 *
 * default/kubernetes's slice points at the API server (endpoints_apiserver.c).
 */
#include "endpoints_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANAGED_BY "endpointslice.kubernetes.io/managed-by"
#define SERVICE_NAME "kubernetes.io/service-name"
#define CONTROLLER_NAME "endpointslice-controller.k8s.io"
#define MAX_PER_SLICE 100

typedef struct es_state {
    k1s__ep_tracker *tracker;
    k1s__wl_expect *exp;
} es_state;

static void *es_init(k1s_ctrl *c)
{
    (void)c;
    es_state *s = calloc(1, sizeof *s);
    if (s) {
        s->tracker = k1s__ep_tracker_new();
        s->exp = k1s__wl_expect_new();
    }
    return s;
}

static void es_fini(void *state)
{
    es_state *s = state;
    if (!s)
        return;
    k1s__ep_tracker_free(s->tracker);
    k1s__wl_expect_free(s->exp);
    free(s);
}

/* ---- what enqueues a Service ---------------------------------------------------------- */

static void map_slice(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *both[2] = {old, obj};
    for (int i = 0; i < 2; i++) {
        const json_t *s = both[i];
        if (!s)
            continue;
        const char *svc = k1s_meta_label(s, SERVICE_NAME);
        const char *by = k1s_meta_label(s, MANAGED_BY);
        bool apiserver =
            !strcmp(k1s__wl_ns(s), "default") && !strcmp(k1s__wl_name(s), "kubernetes");
        if (svc && *svc && ((by && !strcmp(by, CONTROLLER_NAME)) || apiserver))
            k1s_ctrl_enqueue(c, id, k1s__wl_ns(s), svc);
    }
}

typedef struct allctx {
    k1s_ctrl *c;
    int id;
} allctx;

static int enqueue_service(void *vctx, const json_t *svc)
{
    allctx *a = vctx;
    if (k1s__ep_has_selector(svc))
        k1s_ctrl_enqueue(a->c, a->id, k1s__wl_ns(svc), k1s__wl_name(svc));
    return 0;
}

/* Pods on a missing node are left out until it appears; a node's zone
 * shows in its endpoints. */
static void map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (old && obj &&
        json_equal(json_object_get(json_object_get(old, "metadata"), "labels"),
                   json_object_get(json_object_get(obj, "metadata"), "labels")))
        return;
    k1s_informer *si = k1s_ctrl_informer(c, "", "Service");
    allctx a = {c, id};
    if (si)
        k1s_informer_each(si, NULL, enqueue_service, &a);
}

/* ---- desired endpoints ------------------------------------------------------------------ */

static json_t *endpoint_of(const json_t *pod, const json_t *node, const json_t *svc, bool ipv6)
{
    bool publish =
        json_is_true(json_object_get(json_object_get(svc, "spec"), "publishNotReadyAddresses"));
    bool serving = k1s__wl_pod_ready(pod);
    bool terminating = k1s__wl_deleting(pod);
    bool ready = publish || (serving && !terminating);
    /* new */
    json_t *ep =
        json_pack("{s:o, s:{s:b, s:b, s:b}}", "addresses", k1s__ep_pod_ips(pod, ipv6), "conditions",
                  "ready", ready, "serving", serving, "terminating", terminating);
    const char *host = k1s__ep_hostname(pod, svc);
    if (host)
        json_object_set_new(ep, "hostname", json_string(host));
    json_object_set_new(ep, "targetRef",
                        json_pack("{s:s, s:s, s:s, s:s}", "kind", "Pod", "namespace",
                                  k1s__wl_ns(pod), "name", k1s__wl_name(pod), "uid",
                                  k1s__wl_uid(pod)));
    const char *nn = k1s_json_str_or(pod, "spec.nodeName", "");
    if (*nn)
        json_object_set_new(ep, "nodeName", json_string(nn));
    const char *zone = k1s_meta_label(node, "topology.kubernetes.io/zone");
    if (zone && *zone)
        json_object_set_new(ep, "zone", json_string(zone));
    return ep;
}

static int cmp_port(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int c = strcmp(k1s_json_str_or(a, "name", ""), k1s_json_str_or(b, "name", ""));
    if (c)
        return c;
    long long x = k1s_json_int(a, "port", 0), y = k1s_json_int(b, "port", 0);
    return x < y ? -1 : x > y;
}

/* The ports of the pod for the Service, sorted (new reference). */
static json_t *ports_of(const json_t *pod, const json_t *svc)
{
    json_t *out = json_array(); /* new */
    const json_t *ports = json_object_get(json_object_get(svc, "spec"), "ports");
    size_t i;
    const json_t *sp;
    json_array_foreach(ports, i, sp)
    {
        long long num;
        if (k1s__ep_find_port(pod, sp, &num))
            continue;
        const char *proto = k1s_json_str_or(sp, "protocol", "");
        /* new */
        json_t *p = json_pack("{s:s, s:s, s:I}", "name", k1s_json_str_or(sp, "name", ""),
                              "protocol", *proto ? proto : "TCP", "port", (json_int_t)num);
        json_t *ap = json_object_get(sp, "appProtocol"); /* borrowed */
        if (json_is_string(ap))
            json_object_set(p, "appProtocol", ap);
        json_array_append_new(out, p);
    }
    size_t n = json_array_size(out);
    if (n > 1 && n < 1000) {
        json_t *v[1000];
        for (size_t k = 0; k < n; k++)
            v[k] = json_incref(json_array_get(out, k));
        qsort(v, n, sizeof v[0], cmp_port);
        json_array_clear(out);
        for (size_t k = 0; k < n; k++)
            json_array_append_new(out, v[k]);
    }
    return out;
}

/* kube's endpoint hash: addresses, hostname and the pod's name. */
static char *endpoint_key(const json_t *ep)
{
    char *addrs = json_dumps(json_object_get(ep, "addresses"), JSON_COMPACT | JSON_ENCODE_ANY);
    const json_t *ref = json_object_get(ep, "targetRef");
    char *k = NULL;
    if (asprintf(&k, "%s|%s|%s/%s", addrs ? addrs : "", k1s_json_str_or(ep, "hostname", ""),
                 k1s_json_str_or(ref, "namespace", ""), k1s_json_str_or(ref, "name", "")) < 0)
        k = NULL;
    free(addrs);
    return k;
}

static char *ports_key(const json_t *ports)
{
    return json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* ---- slices ------------------------------------------------------------------------------ */

/* kube's setEndpointSliceLabels: the Service's labels and the reserved
 * ones (new reference); *changed when the Service's part differs. */
static json_t *slice_labels(const json_t *slice, const json_t *svc, bool *changed)
{
    static const char *const reserved[] = {SERVICE_NAME, MANAGED_BY, K1S_EP_HEADLESS, NULL};
    json_t *mine = json_deep_copy(json_object_get(json_object_get(slice, "metadata"), "labels"));
    json_t *want = json_deep_copy(json_object_get(json_object_get(svc, "metadata"), "labels"));
    if (!json_is_object(mine)) {
        json_decref(mine);
        mine = json_object();
    }
    if (!json_is_object(want)) {
        json_decref(want);
        want = json_object();
    }
    for (const char *const *r = reserved; *r; r++) {
        json_object_del(mine, *r);
        json_object_del(want, *r);
    }
    *changed = !json_equal(mine, want);
    json_decref(mine);
    if (!k1s__ep_ip_set(svc))
        json_object_set_new(want, K1S_EP_HEADLESS, json_string(""));
    json_object_set_new(want, SERVICE_NAME, json_string(k1s__wl_name(svc)));
    json_object_set_new(want, MANAGED_BY, json_string(CONTROLLER_NAME));
    return want;
}

static json_t *new_slice(const json_t *svc, const json_t *ports, const char *type)
{
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%.250s-", k1s__wl_name(svc));
    bool changed;
    json_t *labels = slice_labels(NULL, svc, &changed); /* new */
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:o, s:[o]}, s:s, s:[], s:O}", "apiVersion",
                     "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata", "generateName",
                     prefix, "namespace", k1s__wl_ns(svc), "labels", labels, "ownerReferences",
                     k1s__wl_owner_ref(svc, "v1", "Service"), "addressType", type, "endpoints",
                     "ports", ports);
}

static bool owned_by(const json_t *slice, const json_t *svc)
{
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(json_object_get(slice, "metadata"), "ownerReferences"), i, r)
    {
        if (!strcmp(k1s_json_str_or(r, "uid", ""), k1s__wl_uid(svc)) &&
            !strcmp(k1s_json_str_or(r, "kind", ""), "Service") &&
            !strcmp(k1s_json_str_or(r, "apiVersion", ""), "v1"))
            return true;
    }
    return false;
}

/* The work of one sync for one address type. */
typedef struct plan {
    json_t *create; /* new slices */
    json_t *update; /* changed copies of existing slices */
    json_t *del;    /* existing slices (borrowed refs increfed) */
} plan;

static size_t endpoints_n(const json_t *slice)
{
    return json_array_size(json_object_get(slice, "endpoints"));
}

static int by_len_desc(const void *pa, const void *pb)
{
    size_t a = endpoints_n(*(json_t *const *)pa), b = endpoints_n(*(json_t *const *)pb);
    return a > b ? -1 : a < b;
}

static void fill(json_t *slice, json_t *desired)
{
    json_t *eps = json_object_get(slice, "endpoints"); /* borrowed */
    if (!json_is_array(eps)) {
        eps = json_array();
        json_object_set_new(slice, "endpoints", eps);
    }
    while (json_object_size(desired) && json_array_size(eps) < MAX_PER_SLICE) {
        void *it = json_object_iter(desired);
        char *key = strdup(json_object_iter_key(it));
        if (!key)
            return;
        json_array_append(eps, json_object_iter_value(it));
        json_object_del(desired, key);
        free(key);
    }
}

/* kube's reconcileByPortMapping for the slices sharing one set of ports. */
static void by_ports(plan *p, const json_t *svc, const json_t *existing, json_t *desired,
                     const json_t *ports, const char *type)
{
    json_t *updates = json_array();   /* copies, changed */
    json_t *unchanged = json_array(); /* borrowed refs */
    size_t i;
    const json_t *slice;
    json_array_foreach(existing, i, slice)
    {
        json_t *kept = json_array(); /* new */
        bool changed_ep = false;
        size_t j;
        const json_t *ep;
        json_array_foreach(json_object_get(slice, "endpoints"), j, ep)
        {
            char *key = endpoint_key(ep);
            json_t *got = key ? json_object_get(desired, key) : NULL; /* borrowed */
            if (got) {
                json_array_append(kept, got);
                if (!k1s_json_semantic_equal(got, ep))
                    changed_ep = true;
                json_object_del(desired, key);
            }
            free(key);
        }
        bool labels_changed;
        json_t *labels = slice_labels(slice, svc, &labels_changed); /* new */
        if (changed_ep || json_array_size(kept) != endpoints_n(slice)) {
            if (json_array_size(kept) == 0) {
                json_array_append(p->del, (json_t *)slice);
            } else {
                json_t *copy = json_deep_copy(slice); /* new */
                json_object_set(copy, "endpoints", kept);
                json_object_set(json_object_get(copy, "metadata"), "labels", labels);
                json_array_append_new(updates, copy);
            }
        } else if (labels_changed) {
            json_t *copy = json_deep_copy(slice); /* new */
            json_object_set(json_object_get(copy, "metadata"), "labels", labels);
            json_array_append_new(updates, copy);
        } else {
            json_array_append(unchanged, (json_t *)slice);
        }
        json_decref(labels);
        json_decref(kept);
    }
    /* fill the fullest changed slices first */
    if (json_object_size(desired) && json_array_size(updates)) {
        size_t n = json_array_size(updates);
        json_t **v = malloc(n * sizeof *v);
        if (v) {
            for (size_t k = 0; k < n; k++)
                v[k] = json_array_get(updates, k);
            qsort(v, n, sizeof *v, by_len_desc);
            for (size_t k = 0; k < n && json_object_size(desired); k++)
                fill(v[k], desired);
            free(v);
        }
    }
    while (json_object_size(desired)) {
        json_t *target = NULL; /* new once set */
        size_t left = json_object_size(desired);
        if (left < MAX_PER_SLICE && json_array_size(unchanged)) {
            /* the unchanged slice that ends up closest to full */
            size_t best = MAX_PER_SLICE, at = 0;
            bool found = false;
            json_array_foreach(unchanged, i, slice)
            {
                size_t have = endpoints_n(slice);
                if (have + left <= MAX_PER_SLICE && MAX_PER_SLICE - (have + left) < best) {
                    best = MAX_PER_SLICE - (have + left);
                    at = i;
                    found = true;
                }
            }
            if (found) {
                target = json_deep_copy(json_array_get(unchanged, at));
                json_array_remove(unchanged, at);
            }
        }
        if (!target) {
            target = new_slice(svc, ports, type);
            if (!target)
                break;
            fill(target, desired);
            json_array_append_new(p->create, target);
        } else {
            fill(target, desired);
            json_array_append_new(updates, target);
        }
    }
    json_array_extend(p->update, updates);
    json_decref(updates);
    json_decref(unchanged);
}

typedef struct nodesctx {
    bool node_missing;
} nodesctx;

/* Slices of one address type for the Service: create, update, delete. */
static void by_type(k1s_ctrl *c, plan *p, const json_t *svc, const json_t *pods,
                    const json_t *existing, const char *type, nodesctx *nc)
{
    bool ipv6 = !strcmp(type, "IPv6");
    bool publish =
        json_is_true(json_object_get(json_object_get(svc, "spec"), "publishNotReadyAddresses"));
    k1s_informer *ni = k1s_ctrl_informer(c, "", "Node");
    json_t *existing_by = json_object(); /* ports key -> [slices] */
    size_t existing_n = 0;
    size_t del_before = json_array_size(p->del);
    size_t create_before = json_array_size(p->create);
    size_t i;
    const json_t *slice;
    json_array_foreach(existing, i, slice)
    {
        if (strcmp(k1s_json_str_or(slice, "addressType", ""), type) != 0)
            continue;
        existing_n++;
        if (!owned_by(slice, svc)) {
            json_array_append(p->del, (json_t *)slice);
            continue;
        }
        json_t *ports = json_object_get(slice, "ports"); /* borrowed */
        json_t *empty = json_array();                    /* new */
        char *pk = ports_key(json_array_size(ports) ? ports : empty);
        json_decref(empty);
        if (!pk)
            continue;
        json_t *list = json_object_get(existing_by, pk); /* borrowed */
        if (!list) {
            list = json_array();
            json_object_set_new(existing_by, pk, list);
        }
        json_array_append(list, (json_t *)slice);
        free(pk);
    }
    json_t *desired = json_object(); /* ports key -> {"ports": [], "eps": {key: ep}} */
    const json_t *pod;
    json_array_foreach(pods, i, pod)
    {
        if (!k1s__ep_pod_included(pod, true))
            continue;
        const char *nn = k1s_json_str_or(pod, "spec.nodeName", "");
        const json_t *node = ni && *nn ? k1s_informer_get(ni, "", nn) : NULL;
        if (!node && !publish) {
            nc->node_missing = true; /* kube retries until the node shows */
            continue;
        }
        json_t *ports = ports_of(pod, svc); /* new */
        char *pk = ports_key(ports);
        json_t *ep = endpoint_of(pod, node, svc, ipv6); /* new */
        char *ek = endpoint_key(ep);
        if (pk && ek && json_array_size(json_object_get(ep, "addresses"))) {
            json_t *d = json_object_get(desired, pk); /* borrowed */
            if (!d) {
                d = json_pack("{s:O, s:{}}", "ports", ports, "eps");
                json_object_set_new(desired, pk, d);
            }
            json_object_set(json_object_get(d, "eps"), ek, ep);
        }
        free(pk);
        free(ek);
        json_decref(ep);
        json_decref(ports);
    }
    const char *pk;
    json_t *d; /* new once set */
    json_object_foreach(desired, pk, d)
        by_ports(p, svc, json_object_get(existing_by, pk), json_object_get(d, "eps"),
                 json_object_get(d, "ports"), type);
    json_t *list; /* new once set */
    json_object_foreach(existing_by, pk, list)
    {
        if (!json_object_get(desired, pk))
            json_array_extend(p->del, list);
    }
    size_t deleting = json_array_size(p->del) - del_before;
    if (existing_n == deleting && json_array_size(p->create) == create_before) {
        /* no endpoints: one empty placeholder slice */
        json_t *empty = json_array();             /* new */
        json_t *ph = new_slice(svc, empty, type); /* new */
        json_decref(empty);
        const json_t *only = deleting == 1 ? json_array_get(p->del, del_before) : NULL;
        bool same = false;
        if (only && ph) {
            bool changed;
            json_t *labels = slice_labels(only, svc, &changed); /* new */
            same = endpoints_n(only) == 0 && json_array_size(json_object_get(only, "ports")) == 0 &&
                   k1s_json_semantic_equal(
                       json_object_get(json_object_get(only, "metadata"), "labels"), labels) &&
                   k1s_json_semantic_equal(
                       json_object_get(json_object_get(only, "metadata"), "ownerReferences"),
                       json_object_get(json_object_get(ph, "metadata"), "ownerReferences"));
            json_decref(labels);
        }
        if (same) {
            json_array_remove(p->del, del_before);
            json_decref(ph);
        } else if (ph) {
            json_array_append_new(p->create, ph);
        }
    }
    json_decref(desired);
    json_decref(existing_by);
}

/* ---- writing ------------------------------------------------------------------------- */

/* Empty lists as kube stores them: its protobuf storage gives back null. */
static void nulls_for_empty(json_t *slice)
{
    static const char *const lists[] = {"endpoints", "ports", NULL};
    for (const char *const *k = lists; *k; k++)
        if (json_array_size(json_object_get(slice, *k)) == 0)
            json_object_set_new(slice, *k, json_null());
}

static void set_trigger(json_t *slice, int64_t trigger)
{
    nulls_for_empty(slice);
    json_t *meta = json_object_get(slice, "metadata");  /* borrowed */
    json_t *ann = json_object_get(meta, "annotations"); /* borrowed */
    if (!json_is_object(ann)) {
        ann = json_object();
        json_object_set_new(meta, "annotations", ann);
    }
    if (trigger >= 0) {
        char ts[32];
        k1s_time_format(trigger, ts, sizeof ts);
        json_object_set_new(ann, K1S_EP_TRIGGER_TIME, json_string(ts));
    } else {
        json_object_del(ann, K1S_EP_TRIGGER_TIME);
    }
    if (json_object_size(ann) == 0)
        json_object_del(meta, "annotations");
}

static int finalize(k1s_ctrl *c, es_state *s, const json_t *svc, plan *p, int64_t trigger)
{
    const char *ns = k1s__wl_ns(svc), *name = k1s__wl_name(svc);
    /* creates become updates of slices that would be deleted */
    for (size_t i = 0; i < json_array_size(p->del) && json_array_size(p->create);) {
        const json_t *old = json_array_get(p->del, i);
        json_t *neu = json_array_get(p->create, json_array_size(p->create) - 1); /* borrowed */
        if (!strcmp(k1s_json_str_or(old, "addressType", ""),
                    k1s_json_str_or(neu, "addressType", "")) &&
            owned_by(old, svc)) {
            json_t *m = json_object_get(neu, "metadata"); /* borrowed */
            json_object_set_new(m, "name", json_string(k1s__wl_name(old)));
            json_object_set(m, "resourceVersion",
                            json_object_get(json_object_get(old, "metadata"), "resourceVersion"));
            json_array_append(p->update, neu);
            json_array_remove(p->create, json_array_size(p->create) - 1);
            json_array_remove(p->del, i);
        } else {
            i++;
        }
    }
    int rc = 0;
    size_t i;
    json_t *slice; /* new once set */
    if (!k1s__wl_deleting(svc)) {
        json_array_foreach(p->create, i, slice)
        {
            set_trigger(slice, trigger);
            json_t *out = NULL; /* new once set */
            int r = k1s_ctrl_create(c, "discovery.k8s.io", "EndpointSlice", ns, slice, &out);
            if (r) {
                rc = r;
                break;
            }
            k1s__wl_expect_write(s->exp, ns, name, out);
            json_decref(out);
        }
    }
    if (rc)
        return rc;
    json_array_foreach(p->update, i, slice)
    {
        set_trigger(slice, trigger);
        json_t *out = NULL; /* new once set */
        int r = k1s_ctrl_update(c, "discovery.k8s.io", "EndpointSlice", ns, NULL, slice, &out);
        if (r)
            return r;
        k1s__wl_expect_write(s->exp, ns, name, out);
        json_decref(out);
    }
    json_array_foreach(p->del, i, slice)
    {
        int r = k1s_ctrl_delete(c, "discovery.k8s.io", "EndpointSlice", ns, k1s__wl_name(slice), -1,
                                NULL);
        if (r && r != 404)
            return r;
        k1s__wl_expect_delete(s->exp, ns, name, k1s__wl_name(slice), k1s__wl_uid(slice));
    }
    return 0;
}

/* ---- sync ----------------------------------------------------------------------------- */

typedef struct slicesctx {
    const char *svc;
    json_t *out; /* new once set */
} slicesctx;

static int ours(void *vctx, const json_t *slice)
{
    slicesctx *s = vctx;
    const char *svc = k1s_meta_label(slice, SERVICE_NAME);
    const char *by = k1s_meta_label(slice, MANAGED_BY);
    if (svc && by && !strcmp(svc, s->svc) && !strcmp(by, CONTROLLER_NAME) &&
        !k1s__wl_deleting(slice))
        json_array_append(s->out, (json_t *)slice);
    return 0;
}

/* The address types the Service's slices have (IPv4 first). */
static void address_types(const json_t *svc, bool *v4, bool *v6)
{
    const json_t *spec = json_object_get(svc, "spec");
    *v4 = *v6 = false;
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(spec, "ipFamilies"), i, f)
    {
        const char *s = json_string_value(f);
        if (s && !strcmp(s, "IPv4"))
            *v4 = true;
        if (s && !strcmp(s, "IPv6"))
            *v6 = true;
    }
    if (*v4 || *v6)
        return;
    if (k1s__ep_ip_set(svc)) {
        bool six = strchr(k1s_json_str_or(spec, "clusterIP", ""), ':') != NULL;
        *v4 = !six;
        *v6 = six;
        return;
    }
    *v4 = *v6 = true;
}

static int sync_service(k1s_ctrl *c, es_state *s, const json_t *svc)
{
    const char *ns = k1s__wl_ns(svc), *name = k1s__wl_name(svc);
    k1s_informer *esi = k1s_ctrl_informer(c, "discovery.k8s.io", "EndpointSlice");
    if (!esi)
        return -1;
    if (!k1s__wl_expect_satisfied(s->exp, ns, name, esi))
        return 20;                               /* our last writes are not in the cache yet */
    json_t *pods = k1s__ep_service_pods(c, svc); /* new */
    slicesctx sc = {name, json_array()};
    k1s_informer_each(esi, ns, ours, &sc);
    int64_t trigger = k1s__ep_tracker_compute(s->tracker, svc, pods);
    bool v4, v6;
    address_types(svc, &v4, &v6);
    plan p = {json_array(), json_array(), json_array()};
    nodesctx nc = {false};
    if (v4)
        by_type(c, &p, svc, pods, sc.out, "IPv4", &nc);
    if (v6)
        by_type(c, &p, svc, pods, sc.out, "IPv6", &nc);
    size_t i;
    const json_t *slice;
    json_array_foreach(sc.out, i, slice)
    {
        const char *t = k1s_json_str_or(slice, "addressType", "");
        if (!((v4 && !strcmp(t, "IPv4")) || (v6 && !strcmp(t, "IPv6"))))
            json_array_append(p.del, (json_t *)slice);
    }
    int rc = finalize(c, s, svc, &p, trigger);
    json_decref(p.create);
    json_decref(p.update);
    json_decref(p.del);
    json_decref(sc.out);
    json_decref(pods);
    if (rc == 409)
        return 50;
    if (rc && rc != 404) {
        k1s_ctrl_event(c, "endpoint-slice-controller", svc, "Warning",
                       "FailedToUpdateEndpointSlices",
                       "Error updating Endpoint Slices for Service %s/%s: error %d", ns, name, rc);
        return -1;
    }
    return nc.node_missing ? 1000 : 0;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    es_state *s = state;
    if (!s)
        return -1;
    k1s_informer *si = k1s_ctrl_informer(c, "", "Service");
    const json_t *svc = si ? k1s_informer_get(si, ns, name) : NULL;
    if (!svc) {
        /* the garbage collector removes slices through their owner */
        k1s__ep_tracker_forget(s->tracker, ns, name);
        k1s__wl_expect_forget(s->exp, ns, name);
        return 0;
    }
    if (!strcmp(ns, "default") && !strcmp(name, "kubernetes"))
        return k1s__ep_sync_apiserver_slice(c, svc);
    const char *type = k1s_json_str_or(svc, "spec.type", "");
    if (!strcmp(type, "ExternalName") || !k1s__ep_has_selector(svc))
        return 0;
    return sync_service(c, s, svc);
}

const k1s_controller_def k1s__ctrl_endpointslice = {
    .name = "endpointslice-controller",
    .group = "",
    .kind = "Service",
    .reconcile = reconcile,
    .watches = {{"", "Pod", k1s__ep_map_pod},
                {"discovery.k8s.io", "EndpointSlice", map_slice},
                {"", "Node", map_node}},
    .init = es_init,
    .fini = es_fini,
};
