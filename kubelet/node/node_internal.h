/*
 * node_internal.h - what both kubelet modes share (node/): the Node and its
 * Lease, host facts, the pod phase and conditions, and small helpers.
 */
#ifndef K1S_NODE_INTERNAL_H
#define K1S_NODE_INTERNAL_H

#include "kubelet_internal.h"
#include "k1s_json.h"
#include "k1s_time.h"

/* ---- node_util.c ----------------------------------------------------------------- */

/* A CRI call: new reply, or NULL with the error text in err (if given). */
json_t *k1s__cri(k1s_kubelet *kl, const char *method, const json_t *req, int timeout_ms, char *err,
                 size_t errlen);
/* Requeue key ns/name after ms, keeping one timer armed at a time (*armed:
 * its due time). Returns the delay for the reconcile to return (0: the
 * armed one is early enough). */
int k1s__requeue(int64_t *armed, int64_t ms);
/* Watch maps of both modes: the node's own changes, and its lease's, wake
 * the node's key "/<node>". */
void k1s__map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj);
void k1s__map_lease(k1s_ctrl *c, int id, const json_t *old, const json_t *obj);
/* ---- node_host.c, node.c ---------------------------------------------- */

/* The host's IPv4 on the default route ("127.0.0.1" if none). */
void k1s__host_ip(char *buf, size_t len);
/* The first line of a small file, without its newline ("" if none). */
void k1s__host_first_line(const char *path, char *buf, size_t len);
/* /etc/machine-id, or (hosts without one: containers) 32 hex digits
 * derived from the node name, the same across restarts. */
void k1s__host_machine_id(const char *node, char *buf, size_t len);
/* PRETTY_NAME of /etc/os-release ("Linux" if none). */
void k1s__host_os_image(char *buf, size_t len);
/* Go's GOARCH for this machine. */
const char *k1s__host_arch(void);
/* The Node's capacity (or allocatable: kubelet's eviction reserves off);
 * the disk is the data directory's (or /'s without one). */
json_t *k1s__host_resources(k1s_kubelet *kl, bool allocatable);
/* Register (or refresh) the Node and its Lease. 0 or -1. */
int k1s__node_register(k1s_kubelet *kl);
/* The node key's reconcile: runtime check (not in simulated mode), lease,
 * status heartbeat. */
int k1s__node_sync(k1s_kubelet *kl);

/* ---- pod_phase.c ---------------------------------------------------------------------- */

/* pod_phase.c: phase and conditions of a status whose container
 * statuses are computed; the helpers both files use. */
const char *k1s__pod_phase(const json_t *spec, const json_t *inits, const json_t *ctrs,
                           bool terminal, bool initialized);
json_t *k1s__pod_conditions(const json_t *pod, const json_t *status, bool sandbox_ok,
                            const char *now);
const json_t *k1s__named(const json_t *arr, const char *name);
/* The volumeMounts of a container status, as the runtime reports them
 * (RecursiveReadOnlyMounts); rro: the runtime can make a read-only mount
 * recursive, so recursiveReadOnly IfPossible is Enabled. New ref or NULL. */
json_t *k1s__mount_statuses(const json_t *ctr, bool rro);
/* A container status's state has this key (running, waiting, terminated). */
bool k1s__cs_has(const json_t *cs, const char *state);
/* exitCode of its "state" or "lastState" termination. */
int k1s__cs_exit(const json_t *cs, const char *which);

#endif
