/*
 * k1s_kubelet.h - the node: runs the pods bound to it through containerd
 * (CRI), reports their status, registers the Node and keeps its Lease,
 * serves exec/attach/port-forward/logs to the API server, and forwards
 * NodePorts (k1s_proxy.h).
 */
#ifndef K1S_KUBELET_H
#define K1S_KUBELET_H

#include <stdbool.h>

#include "k1s_api.h"
#include "k1s_apiserver.h"

typedef struct k1s_kubelet k1s_kubelet;

typedef struct k1s_kubelet_config {
    k1s_api *api;                /* borrowed; must outlive the kubelet */
    const char *node_name;       /* default: the host name */
    const char *data_dir;        /* required: pods/, storage/, containerd/ */
    const char *runtime_endpoint;/* NULL: start k1s's own containerd */
    const char *pod_cidr;        /* default 10.244.0.0/24 */
    bool quiet;
} k1s_kubelet_config;

int k1s_kubelet_start(const k1s_kubelet_config *cfg, k1s_kubelet **out,
                      char **err);
/* What the API server calls for pods/exec, attach, portforward and log. */
const k1s_node_backend *k1s_kubelet_backend(k1s_kubelet *k);
void k1s_kubelet_stop(k1s_kubelet *k);

#endif
