/*
 * endpoints_internal.h - what the endpoint and endpoint-slice controllers
 * share (endpoints_common.c): which pods back a Service, the port a
 * service port reaches on a pod, the last-change-trigger-time tracker,
 * the pod changes that concern Services, and where the API server itself
 * answers (the `kubernetes` Service, kept by endpoints_apiserver.c).
 */
#ifndef K1S_ENDPOINTS_INTERNAL_H
#define K1S_ENDPOINTS_INTERNAL_H

#include "k1s_podutil.h"

#define K1S_EP_TRIGGER_TIME "endpoints.kubernetes.io/last-change-trigger-time"
#define K1S_EP_HEADLESS "service.kubernetes.io/headless"
#define K1S_EP_MANAGED_BY "endpoints.kubernetes.io/managed-by"
#define K1S_EP_CONTROLLER "endpoint-controller"

/* Whether a pod belongs in a Service's endpoints at all (kube's
 * ShouldPodBeInEndpoints): not terminal, has an IP, and not terminating
 * unless include_terminating. */
bool k1s__ep_pod_included(const json_t *pod, bool include_terminating);
/* The pod's IPs of one family (IPv6 or not), in order, into a new array
 * of strings. */
json_t *k1s__ep_pod_ips(const json_t *pod, bool ipv6);
/* kube's FindPort: the port a service port's targetPort reaches on the
 * pod (a number, or a named container port with the same protocol).
 * 0 with *port set, or -1. */
int k1s__ep_find_port(const json_t *pod, const json_t *svc_port, long long *port);
/* The pod's hostname when it names the Service as its subdomain. */
const char *k1s__ep_hostname(const json_t *pod, const json_t *svc);
/* A Service has a selector kube acts on (absent and empty mean none). */
bool k1s__ep_has_selector(const json_t *svc);
/* Whether the Service has a cluster IP (not headless). */
bool k1s__ep_ip_set(const json_t *svc);
/* The pods of ns matching the Service's selector, into a new array
 * (borrowed members are increfed copies of cached objects). */
json_t *k1s__ep_service_pods(k1s_ctrl *c, const json_t *svc);

/* kube's RepackSubsets: entries is an array of {"addr": EndpointAddress,
 * "port": EndpointPort or null, "ready": bool}; the result (new
 * reference) groups addresses by the set of ports they offer, each
 * subset's addresses sorted by IP and pod UID (a not-ready entry for an
 * address and port wins over a ready one). */
json_t *k1s__ep_repack(const json_t *entries);
/* kube's truncateEndpoints: cut subsets to 1000 addresses, ready ones
 * kept first; true when something was cut. */
bool k1s__ep_truncate(json_t *subsets);
#define K1S_EP_MAX_CAPACITY 1000

/* Enqueue for controller id the Services a pod change concerns, as kube's
 * GetServicesToUpdateOnPodChange decides. A k1s_map_fn. */
void k1s__ep_map_pod(k1s_ctrl *c, int id, const json_t *old, const json_t *obj);

/* kube's TriggerTimeTracker: per Service, the pods' Ready transition times
 * and the Service's creation seen at the last sync. */
typedef struct k1s__ep_tracker k1s__ep_tracker;
k1s__ep_tracker *k1s__ep_tracker_new(void);
void k1s__ep_tracker_free(k1s__ep_tracker *t);
/* The time to export as last-change-trigger-time (epoch seconds) or -1
 * for none; records the state seen. pods: array of the Service's pods. */
int64_t k1s__ep_tracker_compute(k1s__ep_tracker *t, const json_t *svc, const json_t *pods);
void k1s__ep_tracker_forget(k1s__ep_tracker *t, const char *ns, const char *name);

/* Where the API server answers, for the `kubernetes` Service: the address
 * it is served on, or as kube-apiserver advertises itself when bound to
 * loopback or 0.0.0.0, the host's address (of the default route's
 * interface), since Endpoints refuse loopback addresses; and its port (the
 * Service's targetPort when the controllers were not told). 0, or -1 when
 * the host has no usable address. */
int k1s__ep_apiserver(k1s_ctrl *c, const json_t *svc, char *ip, size_t iplen, long long *port);
/* Keep default/kubernetes's Endpoints and EndpointSlice pointing at the
 * API server, as kube-apiserver's endpoint reconciler does. */
int k1s__ep_sync_apiserver_endpoints(k1s_ctrl *c, const json_t *svc);
int k1s__ep_sync_apiserver_slice(k1s_ctrl *c, const json_t *svc);

#endif
