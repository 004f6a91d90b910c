/*
 * sim_internal.h - the simulated mode (sim/): no runtime, pods Running and
 * Ready at once.
 */
#ifndef K1S_SIM_INTERNAL_H
#define K1S_SIM_INTERNAL_H

#include "node_internal.h"

/* ---- sim.c, sim_status.c: the simulated mode ------------------------------------------ */

/* The controller of the simulated mode (the containerd mode's is in
 * kubelet.c); run on the kubelet's own loop like it. */
extern const k1s_controller_def k1s__sim_def;
/* Check the simulated mode's settings (the pod CIDR must be an IPv4 /24)
 * and fill kl->sim_net and kl->runtime_version. 0, or -1 with *err set. */
int k1s__sim_prepare(k1s_kubelet *kl, char **err);
/* The status a kubelet reports for pod (borrowed) once its containers run
 * on this node with the given IPs: every field already in the pod's status
 * is kept, containers already running stay as they are. New reference.
 * *started: new array of the containers started by this status (their
 * spec entries, borrowed from pod), for the kubelet's events. */
json_t *k1s__sim_pod_status(const json_t *pod, const char *host_ip, const char *pod_ip,
                            json_t **started);

#endif
