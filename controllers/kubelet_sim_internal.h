/*
 * kubelet_sim_internal.h - what the simulated kubelet's files share:
 * kubelet_sim.c (the controller: pods to Running, deletion), kubelet_sim_node.c
 * (the Node, its Lease and heartbeats) and kubelet_sim_status.c (the pod
 * status a kubelet reports).
 */
#ifndef K1S_KUBELET_SIM_INTERNAL_H
#define K1S_KUBELET_SIM_INTERNAL_H

#include <stdint.h>
#include <jansson.h>

#include "ctrl.h"

#define K1S__KUBELET "kubelet"
#define K1S__KUBELET_VERSION "v1.33.0-k1s"
#define K1S__KUBELET_RUNTIME "simulated"
#define K1S__LEASE_NS "kube-node-lease"
#define K1S__POD_CIDR "10.244.0.0/24"
#define K1S__LEASE_RENEW_MS 10000
#define K1S__STATUS_REPORT_MS 60000

typedef struct k1s__kubelet {
    k1s_ctrl *c;                 /* borrowed */
    const char *node;            /* borrowed from the controllers' config */
    char node_ip[64];
    /* monotonic ms: when the lease and the node status are next due, and
     * the time of the one timer kept armed for them */
    int64_t next_lease, next_status, armed;
    json_t *ips;      /* owned: pod IP -> uid, handed out by this process
                         (the cache may not show them yet) */
    json_t *stopping; /* owned: "ns/name" -> uid whose Killing events
                         were recorded */
} k1s__kubelet;

/* ---- kubelet_sim_node.c ----------------------------------------------------- */

/* Register the Node (or refresh an existing one) and its Lease, as a
 * kubelet does when it starts. 0 or -1 (logged). */
int k1s__kubelet_register(k1s__kubelet *k);
/* Keep the Node, its Lease and the status heartbeat current. Returns 0 or
 * the ms after which it wants to run again (as a reconcile does). */
int k1s__kubelet_sync_node(k1s__kubelet *k);

/* ---- kubelet_sim_status.c --------------------------------------------------- */

/* Current time, RFC 3339 with seconds, into buf (>= 21 bytes). */
void k1s__kubelet_now(char *buf, size_t len);
/* The status a kubelet would report for pod (borrowed) running on this
 * node with the given IPs: every field already in the pod's status is
 * kept, containers already running stay as they are. New reference.
 * *started: new array of the containers started by this status (their
 * spec entries, borrowed from pod), for the kubelet's events. */
json_t *k1s__kubelet_pod_status(const json_t *pod, const char *host_ip,
                                const char *pod_ip, json_t **started);

#endif
