/*
 * kubelet_internal.h - the context all of the kubelet's parts share.
 *
 *   kubelet.c, kubelet_backend.c  start/stop in both modes; exec/attach/
 *                                 port-forward URLs and log paths
 *   cri/       the CRI client (k1s_cri.h)
 *   runtime/   containerd as a child process, image import (k1s_containerd.h)
 *   spec/      pod spec -> CRI inputs, pure functions (k1s_spec.h)
 *   proxy/     the service proxy (k1s_proxy.h)
 *   node/      what both modes share: the Node, its Lease, host facts, the
 *              pod phase and conditions, small helpers (node_internal.h)
 *   pods/      the containerd mode's pod sync (pods_internal.h)
 *   sim/       the simulated mode (sim_internal.h)
 *
 * Threads: everything but the pods' background tasks, the prober and the
 * backend runs on the kubelet's own controller loop
 * (k1s_controllers_start_defs), so pod states need no locks. Calls that
 * may block for long (stopping containers with a grace period, pulling
 * images, probes) run in the background and the loop polls them.
 */
#ifndef K1S_KUBELET_INTERNAL_H
#define K1S_KUBELET_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_ctrl.h"
#include "k1s_cri.h"
#include "k1s_kubelet.h"
#include "k1s_vec.h"

/* The runtime and the proxy, opaque here (runtime/, proxy/). */
typedef struct k1s_containerd k1s_containerd;
typedef struct k1s_proxy k1s_proxy;

#define K1S__KL "kubelet"             /* event source component */
#define K1S__KL_VERSION "v1.33.0-k1s" /* as /version reports */
#define K1S__KL_LEASE_NS "kube-node-lease"
#define K1S__KL_DEFAULT_CIDR "10.244.0.0/24"

/* CRI call timeouts (ms): quick queries, and calls that do real work. */
#define K1S__CRI_LIST 2000 /* the poll's: a hung runtime must not stall the loop */
#define K1S__CRI_QUICK 5000
#define K1S__CRI_WORK 120000
#define K1S__CRI_PULL 300000

/* Labels k1s (like kubelet) puts on sandboxes and containers: how the
 * runtime's objects are found again after a restart. */
#define K1S__L_POD_NAME "io.kubernetes.pod.name"
#define K1S__L_POD_NS "io.kubernetes.pod.namespace"
#define K1S__L_POD_UID "io.kubernetes.pod.uid"
#define K1S__L_CTR_NAME "io.kubernetes.container.name"
/* annotation: the container is an init container ("true") */
#define K1S__A_INIT "k1s.io/init-container"

/* Restart backoff (CrashLoopBackOff, ImagePullBackOff): 10 s doubling to
 * 5 min, forgotten after 10 min without a failure. */
#define K1S__BACKOFF_INITIAL_MS 10000
#define K1S__BACKOFF_MAX_MS 300000

/* The pods' side of the context (pods/pods_internal.h). */
typedef struct k1s__pod k1s__pod;
typedef struct k1s__pull k1s__pull;
typedef struct k1s__task k1s__task;
typedef struct k1s__probes k1s__probes;

struct k1s_kubelet {
    k1s_api *api;                         /* borrowed */
    char *node;                           /* owned */
    char *data_dir, *pods_dir, *pod_cidr; /* owned; data_dir and pods_dir
                                             NULL in simulated mode without
                                             a data directory */
    bool quiet;
    bool simulated; /* no runtime, CRI or proxy (sim.c) */
    k1s_containerd *ctd;
    k1s_cri *cri;
    k1s_proxy *proxy;
    k1s_controllers *loop;
    k1s_node_backend backend;
    char runtime_version[160]; /* "containerd://1.6.20" */
    char node_ip[64];

    /* ---- loop-only state ---- */
    k1s_ctrl *c;
    k1s_vec pods; /* of k1s__pod * (owned): k1s__pod_at */
    k1s__probes *probes;
    k1s_vec pulls;      /* of k1s__pull */
    k1s_vec reaps;      /* of k1s__reaping: orphan removals running */
    json_t *seen;       /* poll: container id -> "uid state" */
    int64_t fast_until; /* poll fast until (monotonic ms) */
    int64_t poll_armed, sweep_armed, node_armed;
    /* node */
    int64_t next_lease, next_status, next_check;
    bool runtime_ok, registered;
    /* containerd mode (pods/): whether the runtime is up (why not into
     * runtime_msg), and what to do when it is back; NULL when simulated */
    bool (*runtime_check)(k1s_kubelet *kl);
    void (*runtime_back)(k1s_kubelet *kl);
    char runtime_msg[512]; /* why not ready ("" when ready) */
    /* simulated mode (loop-only but sim_net) */
    uint32_t sim_net;     /* the pod CIDR's /24 network, host order */
    json_t *sim_ips;      /* owned: pod IP -> uid handed out (the cache
                               may not show them yet) */
    json_t *sim_stopping; /* owned: "ns/name" -> uid whose Killing events
                               were recorded */
};

/* Keys of the loop besides "ns/name" of pods. */
#define K1S__KEY_POLL "#poll"
#define K1S__KEY_SWEEP "#sweep"

/* Record an event about pod (borrowed). */
#define K1S__EVENT(kl, pod, type, reason, ...) \
    k1s_ctrl_event((kl)->c, K1S__KL, (pod), (type), (reason), __VA_ARGS__)

/* The k1s_node_backend (kubelet_backend.c). */
k1s_node_backend k1s__backend(k1s_kubelet *kl);

#endif
