/*
 * endpoints_apiserver.c - the endpoints of the `kubernetes` Service in
 * default, which kube-apiserver's endpoint reconciler keeps pointing at
 * the API servers: an Endpoints labelled
 * endpointslice.kubernetes.io/skip-mirror=true and an EndpointSlice named
 * "kubernetes" labelled kubernetes.io/service-name=kubernetes, both with
 * the one address k1s serves on and the port "https". k1s has no separate
 * API server process, so the endpoint controllers do it.
 */
#include "endpoints_internal.h"

#include <stdio.h>
#include <string.h>

static json_t *https_port(long long port, bool slice)
{
    if (slice)
        return json_pack("{s:s, s:s, s:I}", "name", "https", "protocol", "TCP", "port",
                         (json_int_t)port);
    return json_pack("{s:s, s:I, s:s}", "name", "https", "port", (json_int_t)port, "protocol",
                     "TCP");
}

/* Create obj (stolen) or update it over cur (borrowed, may be NULL). */
static int put_object(k1s_ctrl *c, const char *group, const char *kind, const json_t *cur,
                      json_t *obj)
{
    int rc;
    if (cur) {
        json_object_set(json_object_get(obj, "metadata"), "resourceVersion",
                        json_object_get(json_object_get(cur, "metadata"), "resourceVersion"));
        rc = k1s_ctrl_update(c, group, kind, "default", NULL, obj, NULL);
    } else {
        rc = k1s_ctrl_create(c, group, kind, "default", obj, NULL);
    }
    json_decref(obj);
    if (rc == 409)
        return 50; /* the watch brings what is there */
    return rc && rc != 404 ? -1 : 0;
}

int k1s__ep_sync_apiserver_endpoints(k1s_ctrl *c, const json_t *svc)
{
    char ip[64];
    long long port;
    if (k1s__ep_apiserver(c, svc, ip, sizeof ip, &port))
        return 0; /* no address an Endpoints may hold */
    json_t *labels =
        json_pack("{s:s}", "endpointslice.kubernetes.io/skip-mirror", "true"); /* new */
    /* new */
    json_t *subsets =
        json_pack("[{s:[{s:s}], s:[o]}]", "addresses", "ip", ip, "ports", https_port(port, false));
    k1s_informer *inf = k1s_ctrl_informer(c, "", "Endpoints");
    const json_t *cur = inf ? k1s_informer_get(inf, "default", "kubernetes") : NULL;
    if (cur && k1s_json_semantic_equal(json_object_get(cur, "subsets"), subsets) &&
        k1s_json_semantic_equal(json_object_get(json_object_get(cur, "metadata"), "labels"),
                                labels)) {
        json_decref(labels);
        json_decref(subsets);
        return 0;
    }
    /* new */
    json_t *obj =
        cur ? json_deep_copy(cur)
            : json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Endpoints",
                        "metadata", "name", "kubernetes", "namespace", "default");
    json_object_set_new(json_object_get(obj, "metadata"), "labels", labels);
    json_object_set_new(obj, "subsets", subsets);
    return put_object(c, "", "Endpoints", cur, obj);
}

int k1s__ep_sync_apiserver_slice(k1s_ctrl *c, const json_t *svc)
{
    char ip[64];
    long long port;
    if (k1s__ep_apiserver(c, svc, ip, sizeof ip, &port))
        return 0;
    bool v6 = strchr(ip, ':') != NULL;
    json_t *labels = json_pack("{s:s}", "kubernetes.io/service-name", "kubernetes"); /* new */
    /* new */
    json_t *endpoints = json_pack("[{s:[s], s:{s:b}}]", "addresses", ip, "conditions", "ready", 1);
    json_t *ports = json_pack("[o]", https_port(port, true)); /* new */
    k1s_informer *inf = k1s_ctrl_informer(c, "discovery.k8s.io", "EndpointSlice");
    const json_t *cur = inf ? k1s_informer_get(inf, "default", "kubernetes") : NULL;
    const char *at = json_string_value(json_object_get(cur, "addressType"));
    if (cur && at && strcmp(at, v6 ? "IPv6" : "IPv4") != 0) {
        /* the address type is immutable: start over */
        k1s_ctrl_delete(c, "discovery.k8s.io", "EndpointSlice", "default", "kubernetes", -1,
                        k1s__wl_uid(cur));
        json_decref(labels);
        json_decref(endpoints);
        json_decref(ports);
        return 50;
    }
    if (cur && k1s_json_semantic_equal(json_object_get(cur, "endpoints"), endpoints) &&
        k1s_json_semantic_equal(json_object_get(cur, "ports"), ports) &&
        k1s_json_semantic_equal(json_object_get(json_object_get(cur, "metadata"), "labels"),
                                labels)) {
        json_decref(labels);
        json_decref(endpoints);
        json_decref(ports);
        return 0;
    }
    /* new */
    json_t *obj =
        cur ? json_deep_copy(cur)
            : json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "apiVersion", "discovery.k8s.io/v1",
                        "kind", "EndpointSlice", "metadata", "name", "kubernetes", "namespace",
                        "default", "addressType", v6 ? "IPv6" : "IPv4");
    json_object_set_new(json_object_get(obj, "metadata"), "labels", labels);
    json_object_set_new(obj, "endpoints", endpoints);
    json_object_set_new(obj, "ports", ports);
    return put_object(c, "discovery.k8s.io", "EndpointSlice", cur, obj);
}
