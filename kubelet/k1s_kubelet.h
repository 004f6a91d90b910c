/*
 * k1s_kubelet.h - the node: registers the Node and keeps its Lease, and
 * runs the pods bound to it, in one of two modes:
 *   containerd (the default): through containerd (CRI), reporting their
 *     real status; serves exec/attach/port-forward/logs to the API server
 *     and forwards NodePorts (k1s_proxy.h). Needs root.
 *   simulated: no runtime at all; containers start at once and never fail
 *     (pods Running and Ready with an IP of the pod CIDR). No exec or logs
 *     (k1s_kubelet_backend is NULL), no proxy; runs without root.
 */
#ifndef K1S_KUBELET_H
#define K1S_KUBELET_H

#include <stdbool.h>

#include "k1s_api.h"
#include "k1s_node_backend.h"

typedef struct k1s_kubelet k1s_kubelet;

typedef struct k1s_kubelet_config {
    k1s_api *api;                 /* borrowed; must outlive the kubelet */
    bool simulated;               /* the simulated mode (see above) */
    const char *node_name;        /* default: the host name */
    const char *data_dir;         /* pods/, storage/, containerd/; required
                                    but in simulated mode (NULL: the Node's
                                    disk is that of /) */
    const char *runtime_endpoint; /* NULL: start k1s's own containerd */
    const char *pod_cidr;         /* default 10.244.0.0/24 (simulated: a /24) */
    /* The Node's InternalIP. NULL or not a specific IPv4 address (0.0.0.0,
     * a name): the address of the default route's interface, or in
     * simulated mode 127.0.0.1. */
    const char *node_ip;
    bool quiet;
} k1s_kubelet_config;

int k1s_kubelet_start(const k1s_kubelet_config *cfg, k1s_kubelet **out, char **err);
/* What the API server calls for pods/exec, attach, portforward and log;
 * NULL in simulated mode (no containers to reach). */
const k1s_node_backend *k1s_kubelet_backend(k1s_kubelet *k);
void k1s_kubelet_stop(k1s_kubelet *k);

#endif
