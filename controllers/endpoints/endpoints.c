/*
 * endpoints.c - the endpoint-controller, as kube-controller-manager's
 * pkg/controller/endpoint: for every Service with a selector, an Endpoints
 * of the same name whose subsets list the selected pods that have an IP
 * (addresses when ready or publishNotReadyAddresses, notReadyAddresses
 * otherwise) with ip, hostname, nodeName and targetRef, and the ports the
 * service ports' targetPorts reach (numbers or named container ports).
 * Labels are the Service's plus endpoints.kubernetes.io/managed-by:
 * endpoint-controller (and service.kubernetes.io/headless for headless
 * ones), annotations last-change-trigger-time and over-capacity. The
 * Endpoints of a deleted Service go, and at start ours left over.
 *
 * default/kubernetes has no selector: it points at the API server, as
 * kube-apiserver keeps it (endpoints_apiserver.c).
 */
#include "endpoints_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ep_state {
    k1s__ep_tracker *tracker;
    bool started; /* a sync ran: the start-up listing is over */
} ep_state;

static void *ep_init(k1s_ctrl *c)
{
    (void)c;
    ep_state *s = calloc(1, sizeof *s);
    if (s)
        s->tracker = k1s__ep_tracker_new();
    return s;
}

static void ep_fini(void *state)
{
    ep_state *s = state;
    if (!s)
        return;
    k1s__ep_tracker_free(s->tracker);
    free(s);
}

/* An Endpoints that went away is put back if its Service wants it; the
 * ones found at start are checked once, for a Service that went while
 * k1s was down (kube's checkLeftoverEndpoints). */
static void map_endpoints(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (old && !obj) {
        k1s_ctrl_enqueue(c, id, k1s__wl_ns(old), k1s__wl_name(old));
        return;
    }
    /* the API server's own Endpoints are kept as they should be */
    if (obj && !strcmp(k1s__wl_ns(obj), "default") && !strcmp(k1s__wl_name(obj), "kubernetes")) {
        k1s_ctrl_enqueue(c, id, "default", "kubernetes");
        return;
    }
    ep_state *s = k1s_ctrl_state(c, id);
    /* only ours: an Endpoints without a Service may be someone's on
       purpose (leader-election records, say) */
    const char *by = k1s_meta_label(obj, K1S_EP_MANAGED_BY);
    if (!old && obj && s && !s->started && by && !strcmp(by, K1S_EP_CONTROLLER))
        k1s_ctrl_enqueue(c, id, k1s__wl_ns(obj), k1s__wl_name(obj));
}

/* ---- the subsets ------------------------------------------------------------------------ */

static json_t *address_of(const json_t *pod, const json_t *svc, const char *ip)
{
    json_t *a = json_pack("{s:s}", "ip", ip); /* new */
    const char *host = k1s__ep_hostname(pod, svc);
    if (host)
        json_object_set_new(a, "hostname", json_string(host));
    const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    if (node && *node)
        json_object_set_new(a, "nodeName", json_string(node));
    json_object_set_new(a, "targetRef",
                        json_pack("{s:s, s:s, s:s, s:s}", "kind", "Pod", "namespace",
                                  k1s__wl_ns(pod), "name", k1s__wl_name(pod), "uid",
                                  k1s__wl_uid(pod)));
    return a;
}

static bool service_ipv6(const json_t *svc, const json_t *pod)
{
    const json_t *spec = json_object_get(svc, "spec");
    const char *fam = json_string_value(json_array_get(json_object_get(spec, "ipFamilies"), 0));
    if (fam)
        return !strcmp(fam, "IPv6");
    if (k1s__ep_ip_set(svc))
        return strchr(json_string_value(json_object_get(spec, "clusterIP")), ':') != NULL;
    const char *ip = json_string_value(json_object_get(json_object_get(pod, "status"), "podIP"));
    return ip && strchr(ip, ':');
}

/* The subsets kube's syncService computes (new reference). */
static json_t *subsets_of(const json_t *svc, const json_t *pods)
{
    const json_t *spec = json_object_get(svc, "spec");
    bool publish = json_is_true(json_object_get(spec, "publishNotReadyAddresses"));
    const json_t *ports = json_object_get(spec, "ports");
    json_t *entries = json_array(); /* new */
    size_t i;
    const json_t *pod;
    json_array_foreach(pods, i, pod)
    {
        if (!k1s__ep_pod_included(pod, publish))
            continue;
        json_t *ips = k1s__ep_pod_ips(pod, service_ipv6(svc, pod)); /* new */
        const char *ip = json_string_value(json_array_get(ips, 0));
        if (!ip) {
            json_decref(ips);
            continue;
        }
        json_t *addr = address_of(pod, svc, ip); /* new */
        json_decref(ips);
        bool ready = publish || k1s__wl_pod_ready(pod);
        if (json_array_size(ports) == 0) {
            /* a headless service may have no ports */
            if (!k1s__ep_ip_set(svc))
                json_array_append_new(
                    entries, json_pack("{s:O, s:n, s:b}", "addr", addr, "port", "ready", ready));
        }
        size_t j;
        const json_t *sp;
        json_array_foreach(ports, j, sp)
        {
            long long num;
            if (k1s__ep_find_port(pod, sp, &num))
                continue;
            json_t *epp = json_object(); /* new */
            const char *name = json_string_value(json_object_get(sp, "name"));
            if (name && *name)
                json_object_set_new(epp, "name", json_string(name));
            json_object_set_new(epp, "port", json_integer(num));
            const char *proto = json_string_value(json_object_get(sp, "protocol"));
            json_object_set_new(epp, "protocol", json_string(proto ? proto : "TCP"));
            json_t *ap = json_object_get(sp, "appProtocol"); /* borrowed */
            if (json_is_string(ap))
                json_object_set(epp, "appProtocol", ap);
            json_array_append_new(
                entries, json_pack("{s:O, s:o, s:b}", "addr", addr, "port", epp, "ready", ready));
        }
        json_decref(addr);
    }
    json_t *subsets = k1s__ep_repack(entries); /* new */
    json_decref(entries);
    return subsets;
}

/* kube's labelsCorrectForEndpoints: marked as ours, and otherwise the
 * Service's labels (the headless marker aside). */
static bool labels_right(const json_t *ep, const json_t *svc_labels)
{
    const char *by = k1s_meta_label(ep, K1S_EP_MANAGED_BY);
    if (!by || strcmp(by, K1S_EP_CONTROLLER) != 0)
        return false;
    json_t *l =
        json_deep_copy(json_object_get(json_object_get(ep, "metadata"), "labels")); /* new */
    json_object_del(l, K1S_EP_HEADLESS);
    json_object_del(l, K1S_EP_MANAGED_BY);
    bool same = k1s_json_semantic_equal(l, svc_labels);
    json_decref(l);
    return same;
}

static bool capacity_marked_right(const json_t *ep)
{
    long long n = 0;
    size_t i;
    const json_t *ss;
    json_array_foreach(json_object_get(ep, "subsets"), i, ss) n +=
        (long long)(json_array_size(json_object_get(ss, "addresses")) +
                    json_array_size(json_object_get(ss, "notReadyAddresses")));
    if (n > K1S_EP_MAX_CAPACITY)
        return false;
    return !k1s_meta_annotation(ep, "endpoints.kubernetes.io/over-capacity");
}

static int sync_service(k1s_ctrl *c, ep_state *s, const json_t *svc)
{
    const char *ns = k1s__wl_ns(svc), *name = k1s__wl_name(svc);
    json_t *pods = k1s__ep_service_pods(c, svc); /* new */
    int64_t trigger = k1s__ep_tracker_compute(s->tracker, svc, pods);
    json_t *subsets = subsets_of(svc, pods); /* new */
    json_decref(pods);

    k1s_informer *ei = k1s_ctrl_informer(c, "", "Endpoints");
    const json_t *cur = ei ? k1s_informer_get(ei, ns, name) : NULL;
    const json_t *svc_labels = json_object_get(json_object_get(svc, "metadata"), "labels");
    if (cur) {
        bool same = k1s_json_semantic_equal(json_object_get(cur, "subsets"), subsets) &&
                    labels_right(cur, svc_labels) && capacity_marked_right(cur);
        if (same) {
            json_decref(subsets);
            return 0;
        }
    }
    /* new */
    json_t *ep = cur ? json_deep_copy(cur)
                     : json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind",
                                 "Endpoints", "metadata", "name", name, "namespace", ns);
    json_t *meta = json_object_get(ep, "metadata"); /* borrowed */
    json_t *labels = json_is_object(svc_labels) ? json_deep_copy(svc_labels) : json_object();
    json_object_set_new(labels, K1S_EP_MANAGED_BY, json_string(K1S_EP_CONTROLLER));
    if (!k1s__ep_ip_set(svc))
        json_object_set_new(labels, K1S_EP_HEADLESS, json_string(""));
    else
        json_object_del(labels, K1S_EP_HEADLESS);
    json_object_set_new(meta, "labels", labels);
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
    if (k1s__ep_truncate(subsets))
        json_object_set_new(ann, "endpoints.kubernetes.io/over-capacity", json_string("truncated"));
    else
        json_object_del(ann, "endpoints.kubernetes.io/over-capacity");
    if (json_object_size(ann) == 0)
        json_object_del(meta, "annotations");
    if (json_array_size(subsets))
        json_object_set_new(ep, "subsets", subsets);
    else {
        json_decref(subsets);
        json_object_del(ep, "subsets");
    }
    int rc = cur ? k1s_ctrl_update(c, "", "Endpoints", ns, NULL, ep, NULL)
                 : k1s_ctrl_create(c, "", "Endpoints", ns, ep, NULL);
    if (rc && rc != 409 && rc != 404 && !(rc == 403 && !cur)) {
        if (cur)
            k1s_ctrl_event(c, "endpoint-controller", ep, "Warning", "FailedToUpdateEndpoint",
                           "Failed to update endpoint %s/%s: error %d", ns, name, rc);
        else
            k1s_ctrl_event(c, "endpoint-controller", ep, "Warning", "FailedToCreateEndpoint",
                           "Failed to create endpoint for service %s/%s: error %d", ns, name, rc);
    }
    json_decref(ep);
    if (rc == 409)
        return 50; /* stale cache: the watch brings the current object */
    return rc && rc != 404 && rc != 403 ? -1 : 0;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    ep_state *s = state;
    if (!s)
        return -1;
    s->started = true;
    k1s_informer *si = k1s_ctrl_informer(c, "", "Service");
    const json_t *svc = si ? k1s_informer_get(si, ns, name) : NULL;
    if (!svc) {
        k1s__ep_tracker_forget(s->tracker, ns, name);
        int rc = k1s_ctrl_delete(c, "", "Endpoints", ns, name, -1, NULL);
        return rc && rc != 404 ? -1 : 0;
    }
    if (!strcmp(ns, "default") && !strcmp(name, "kubernetes"))
        return k1s__ep_sync_apiserver_endpoints(c, svc);
    const char *type = json_string_value(json_object_get(json_object_get(svc, "spec"), "type"));
    if ((type && !strcmp(type, "ExternalName")) || !k1s__ep_has_selector(svc))
        return 0; /* their Endpoints are the user's business */
    return sync_service(c, s, svc);
}

const k1s_controller_def k1s__ctrl_endpoints = {
    .name = "endpoint-controller",
    .group = "",
    .kind = "Service",
    .reconcile = reconcile,
    .watches = {{"", "Pod", k1s__ep_map_pod}, {"", "Endpoints", map_endpoints}},
    .init = ep_init,
    .fini = ep_fini,
};
