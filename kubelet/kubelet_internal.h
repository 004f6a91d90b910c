/*
 * kubelet_internal.h - what the kubelet's files share.
 *
 *   kubelet.c               start/stop, the controller definition, keys,
 *                           pod states, background tasks, small helpers
 *   kubelet_node.c          the Node, its Lease, the runtime health check
 *   kubelet_pod_runtime.c   what the runtime holds for a pod (the "view"),
 *                           the ListContainers poll, the orphan sweep
 *   kubelet_pod_sync.c      one pass of a pod: sandbox, init containers,
 *                           containers, restarts with backoff, status write
 *   kubelet_pod_sandbox.c   the sandbox config (DNS, ports, hostname) and
 *                           the managed /etc/hosts
 *   kubelet_pod_container.c creating and starting one container
 *   kubelet_pod_image.c     image presence, pulls in the background, backoff
 *   kubelet_pod_status.c    the PodStatus kubelet reports
 *   kubelet_pod_kill.c      stopping containers and sandboxes (deletion,
 *                           liveness kills, orphans) in the background
 *   kubelet_pod_probe.c     the prober thread
 *   kubelet_backend.c       exec/attach/port-forward URLs and log paths
 *   sim.c, sim_status.c     the simulated mode (`--kubelet simulated`): no
 *                           runtime, pods Running and Ready at once; it
 *                           shares the Node, Lease, host facts and the pod
 *                           phase/condition helpers above
 *
 * Threads: everything but the tasks, the prober and the backend runs on
 * the kubelet's own controller loop (k1s_controllers_start_defs), so pod
 * states need no locks. Calls that may block for long (stopping containers
 * with a grace period, pulling images, probes) run in the background and
 * the loop polls them.
 */
#ifndef K1S_KUBELET_INTERNAL_H
#define K1S_KUBELET_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "ctrl.h"
#include "k1s_containerd.h"
#include "k1s_cri.h"
#include "k1s_kubelet.h"
#include "k1s_proxy.h"
#include "kubelet_spec.h"

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

/* ---- background tasks ------------------------------------------------------- */

/* A function running on a thread of its own; the loop polls done() and
 * joins. arg stays owned by the caller (fn reads inputs from it and writes
 * results into it). */
typedef struct k1s__task k1s__task;
k1s__task *k1s__task_start(void (*fn)(void *arg), void *arg);
bool k1s__task_done(k1s__task *t);
/* Wait for the end (if need be) and free t; returns arg. NULL-safe. */
void *k1s__task_join(k1s__task *t);

/* ---- probes (kubelet_pod_probe.c) ---------------------------------------------- */

typedef struct k1s__probes k1s__probes;

typedef struct k1s__probe_result {
    bool started;    /* startup probe passed (or none) */
    bool ready;      /* readiness (false until started) */
    bool live;       /* liveness (true until it fails) */
    bool startup_failed; /* the startup probe gave up: restart */
    char why[512];   /* the failed probe's text, for the Killing event */
} k1s__probe_result;

k1s__probes *k1s__probes_new(k1s_cri *cri);
void k1s__probes_free(k1s__probes *p);
/* Probe container cid of pod uid ("ns/name" key for events), running
 * since started_ms, per the container's spec (borrowed, copied).
 * Idempotent: a container already watched keeps its state. */
void k1s__probes_watch(k1s__probes *p, const char *uid, const char *key,
                       const char *cid, const json_t *container,
                       const char *pod_ip, int64_t started_ms);
/* Stop probing every container of pod uid whose id is not in keep (a JSON
 * object used as a set; NULL: all of them). */
void k1s__probes_retain(k1s__probes *p, const char *uid, const json_t *keep);
/* The current results for cid; false (and defaults) when not watched. */
bool k1s__probes_result(k1s__probes *p, const char *cid, k1s__probe_result *r);
/* What happened since the last call (new array): {"key", "reason",
 * "message", "type"} events to record, and {"key"} for pods whose result
 * changed. */
json_t *k1s__probes_drain(k1s__probes *p);

/* ---- the kubelet ------------------------------------------------------------------ */

/* Where a container pull stands (shared by the pods waiting for it). */
typedef struct k1s__pull {
    char *image;          /* owned */
    k1s__task *task;      /* running, or NULL once joined */
    struct k1s__pull_job *job; /* owned; its result once joined */
    int64_t done_ms;      /* monotonic, 0 while running */
} k1s__pull;

/* The runtime's objects of one pod, read fresh at each pass. */
typedef struct k1s__view {
    json_t *sandboxes;  /* owned: ListPodSandbox items, newest first */
    json_t *containers; /* owned: ListContainers items */
    const json_t *sandbox; /* the newest READY sandbox (in sandboxes) */
    json_t *sb_status;  /* owned: its PodSandboxStatus status, or NULL */
    char pod_ip[64];
    uint32_t next_attempt; /* attempt of the next sandbox */
} k1s__view;

/* What the kubelet remembers of a pod between passes; everything else is
 * read again from the API and the runtime (so a restart loses only
 * backoff timers). */
typedef struct k1s__pod {
    char uid[64], ns[256], name[256];
    int64_t armed;        /* monotonic ms a requeue is armed for */
    k1s__task *task;      /* a kill in the background */
    struct k1s__kill_job *job; /* owned with task */
    bool killed;          /* terminating: containers and sandbox stopped */
    bool sandbox_stopped; /* terminal: sandbox stopped */
    bool killing_events;  /* the Killing events were recorded */
    json_t *waiting;  /* container name -> {reason, message}: why it is not
                         running (start errors, backoff), as kubelet's
                         reason cache */
    json_t *backoff;  /* "c:<name>" or "i:<image>" -> {delay, last} (ms) */
    json_t *pullmsg;  /* image -> last pull error text */
    json_t *cstatus;  /* container id -> ContainerStatus (cache) */
    json_t *pulling;  /* image -> true: this pod waits for that pull */
    json_t *latest;   /* the pod as our last status write returned it */
    json_t *unhealthy;/* container id -> why: liveness/startup failed */
    char start_time[32];
    bool config_wait; /* waiting for a ConfigMap/Secret/claim to appear */
    bool volumes_ok;  /* volumes were set up */
} k1s__pod;

struct k1s_kubelet {
    k1s_api *api;           /* borrowed */
    char *node;             /* owned */
    char *data_dir, *pods_dir, *pod_cidr; /* owned; data_dir and pods_dir
                                             NULL in simulated mode without
                                             a data directory */
    bool quiet;
    bool simulated;         /* no runtime, CRI or proxy (sim.c) */
    k1s_containerd *ctd;
    k1s_cri *cri;
    k1s_proxy *proxy;
    k1s_controllers *loop;
    k1s_node_backend backend;
    char runtime_version[160]; /* "containerd://1.6.20" */
    char node_ip[64];

    /* ---- loop-only state ---- */
    k1s_ctrl *c;
    k1s__pod **pods;
    size_t npods, cappods;
    k1s__probes *probes;
    k1s__pull *pulls;
    size_t npulls, cappulls;
    k1s__task **reaps;      /* orphan removals running */
    struct k1s__kill_job **reap_jobs;
    size_t nreaps, capreaps;
    json_t *seen;           /* poll: container id -> "uid state" */
    int64_t fast_until;     /* poll fast until (monotonic ms) */
    int64_t poll_armed, sweep_armed, node_armed;
    /* node */
    int64_t next_lease, next_status, next_check;
    bool runtime_ok, registered;
    char runtime_msg[512];  /* why not ready ("" when ready) */
    /* simulated mode (loop-only but sim_net) */
    uint32_t sim_net;       /* the pod CIDR's /24 network, host order */
    json_t *sim_ips;        /* owned: pod IP -> uid handed out (the cache
                               may not show them yet) */
    json_t *sim_stopping;   /* owned: "ns/name" -> uid whose Killing events
                               were recorded */
};

/* Keys of the loop besides "ns/name" of pods. */
#define K1S__KEY_POLL "#poll"
#define K1S__KEY_SWEEP "#sweep"

/* ---- kubelet.c: helpers ------------------------------------------------------------ */

const char *k1s__kl_str(const json_t *o, const char *key);
const char *k1s__kl_meta(const json_t *o, const char *key);
int64_t k1s__wall_ms(void);
/* RFC 3339 with seconds (UTC) of ns since the epoch (now when 0). */
void k1s__rfc3339(int64_t ns, char *buf, size_t len);
/* A CRI call: new reply, or NULL with the error text in err (if given). */
json_t *k1s__cri(k1s_kubelet *kl, const char *method, const json_t *req,
                 int timeout_ms, char *err, size_t errlen);
/* Requeue key ns/name after ms, keeping one timer armed at a time (*armed:
 * its due time). Returns the delay for the reconcile to return (0: the
 * armed one is early enough). */
int k1s__requeue(int64_t *armed, int64_t ms);
/* The pod's own directory: <data-dir>/pods/<ns>_<name>_<uid>. */
void k1s__pod_dir(const k1s_kubelet *kl, const char *ns, const char *name,
                  const char *uid, char *buf, size_t len);
/* Remove a directory tree without following links or crossing mounts. */
void k1s__rmtree(const char *dir);
/* The lookup kubelet_spec.h uses, over the loop's informers. */
k1s_spec_lookup k1s__lookup(k1s_kubelet *kl);
/* Record an event about pod (borrowed). */
#define K1S__EVENT(kl, pod, type, reason, ...) \
    k1s_ctrl_event((kl)->c, K1S__KL, (pod), (type), (reason), __VA_ARGS__)

/* Pod states. */
k1s__pod *k1s__pod_find(k1s_kubelet *kl, const char *uid);
k1s__pod *k1s__pod_get(k1s_kubelet *kl, const json_t *pod);
/* Free ps (joining its task) and remove it from the table. */
void k1s__pod_drop(k1s_kubelet *kl, k1s__pod *ps);

/* Restart backoff as kubelet's flowcontrol.Backoff: in backoff since
 * event_ms (wall ms)? remaining ms into *left. */
bool k1s__backoff_active(k1s__pod *ps, const char *key, int64_t event_ms,
                         int64_t *left);
/* Record a failure at event_ms: the next delay doubles. */
void k1s__backoff_next(k1s__pod *ps, const char *key, int64_t event_ms);
/* In backoff since the last failure was recorded (image pulls)? */
bool k1s__backoff_since_update(k1s__pod *ps, const char *key, int64_t *left);
/* The current delay (ms) of key, 0 if none. */
int64_t k1s__backoff_delay(k1s__pod *ps, const char *key);

/* The k1s_node_backend (kubelet_backend.c). */
k1s_node_backend k1s__backend(k1s_kubelet *kl);
/* Watch maps of both modes: the node's own changes, and its lease's, wake
 * the node's key "/<node>". */
void k1s__map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj);
void k1s__map_lease(k1s_ctrl *c, int id, const json_t *old, const json_t *obj);

/* ---- kubelet_node_host.c, kubelet_node.c ---------------------------------------------- */

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

/* ---- kubelet_pod_runtime.c ---------------------------------------------------------- */

/* Read the pod's sandboxes and containers. 0, or -1 (runtime down). */
int k1s__view_load(k1s_kubelet *kl, const char *uid, k1s__view *v);
void k1s__view_free(k1s__view *v);
/* The latest instance (highest attempt) of container name; only among
 * the containers of sandbox_id when that is non-NULL. Borrowed or NULL. */
const json_t *k1s__view_latest(const k1s__view *v, const char *name,
                               const char *sandbox_id);
/* The instance before latest (for lastState). Borrowed or NULL. */
const json_t *k1s__view_previous(const k1s__view *v, const char *name);
/* The CRI ContainerStatus of a listed container (cached per id and
 * state). Borrowed from ps->cstatus, or NULL. */
const json_t *k1s__container_status(k1s_kubelet *kl, k1s__pod *ps,
                                    const json_t *ctr);
/* Remove exited instances older than the previous one of each name. */
void k1s__view_gc(k1s_kubelet *kl, k1s__pod *ps, const k1s__view *v);
/* The poll key: list every container, enqueue pods whose containers
 * changed, drain probe results, join finished orphan removals. */
int k1s__poll(k1s_kubelet *kl);
/* The sweep key: remove what belongs to no pod of this node; resync all. */
int k1s__sweep(k1s_kubelet *kl);
/* Ask for fast polling for a few seconds (after starting containers). */
void k1s__poll_soon(k1s_kubelet *kl);

/* ---- kubelet_pod_sync.c ---------------------------------------------------------------- */

/* The reconcile of a pod key. pod: cached (borrowed) or NULL when gone. */
int k1s__pod_sync(k1s_kubelet *kl, const char *ns, const char *name,
                  const json_t *pod);
/* Write status (new reference, stolen) for pod if it differs. 0 or the
 * HTTP code. */
int k1s__pod_write_status(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod,
                          json_t *status);
/* The pod to base a write on: the cached one, or our last write's result
 * if the cache has not caught up. Borrowed. */
const json_t *k1s__pod_base(k1s__pod *ps, const json_t *cached);

/* ---- kubelet_pod_start.c ----------------------------------------------------------------- */

/* What one pass does with the containers of a pod whose sandbox runs:
 * init containers in order, then the containers; restarts per
 * restartPolicy with CrashLoopBackOff; kills for failed liveness or
 * startup probes. *retry_ms: the earliest time to come back (0: none);
 * *changed: something was started or killed (read the view again). */
typedef struct k1s__pass {
    const json_t *pod;
    k1s__view *v;
    const char *sandbox_id, *pod_ip, *etc_hosts;
    json_t *volumes;   /* owned, made on first need */
    int64_t retry_ms;
    bool changed;
} k1s__pass;
void k1s__pod_containers(k1s_kubelet *kl, k1s__pod *ps, k1s__pass *p);
/* Lower *retry to ms if that is sooner (0 = unset). */
void k1s__retry_min(int64_t *retry, int64_t ms);
/* Go's time.Duration text: "523ms", "10s", "1m20s", "5m0s". */
void k1s__go_duration(int64_t ms, char *buf, size_t len);

/* ---- kubelet_pod_sandbox.c -------------------------------------------------------------- */

/* The PodSandboxConfig for pod (new reference). */
json_t *k1s__sandbox_config(k1s_kubelet *kl, const json_t *pod,
                            uint32_t attempt);
/* Create and start the sandbox; its id into id. 0, or -1 with err set. */
int k1s__sandbox_run(k1s_kubelet *kl, const json_t *pod, uint32_t attempt,
                     char *id, size_t idlen, char *err, size_t errlen);
/* Write <pod dir>/.etc-hosts as kubelet manages /etc/hosts; its path into
 * path ("" for hostNetwork pods, which see the host's). */
void k1s__etc_hosts(k1s_kubelet *kl, const json_t *pod, const char *pod_ip,
                    char *path, size_t len);

/* ---- kubelet_pod_container.c -------------------------------------------------------------- */

typedef struct k1s__start {
    const json_t *pod;       /* borrowed */
    const json_t *container; /* borrowed: the spec entry */
    bool init;               /* an init container (sidecars too) */
    uint32_t attempt;        /* = restart count */
    const char *sandbox_id;
    const char *pod_ip;
    const char *image_ref;   /* from k1s__image_ensure */
    const json_t *volumes;   /* k1s_spec_volumes paths */
    const char *etc_hosts;   /* "" for none */
} k1s__start;

/* Create and start a container; events Created/Started, or the failure
 * recorded in ps->waiting with kubelet's reason and a Failed event.
 * 0 started, -1 not. */
int k1s__container_start(k1s_kubelet *kl, k1s__pod *ps, const k1s__start *s);
/* Note why container name is not running (kubelet's reason cache). */
void k1s__set_waiting(k1s__pod *ps, const char *name, const char *reason,
                      const char *message);

/* ---- kubelet_pod_image.c ------------------------------------------------------------------ */

enum { K1S__IMAGE_READY, K1S__IMAGE_PULLING, K1S__IMAGE_FAILED };
/* Make sure container's image is present per its pull policy: READY with
 * the image reference in ref, PULLING (come back later), or FAILED with
 * ps->waiting set (ErrImagePull, ImagePullBackOff, ErrImageNeverPull).
 * *retry_ms: when to come back (pulling or backing off). */
int k1s__image_ensure(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod,
                      const json_t *container, char *ref, size_t reflen,
                      int64_t *retry_ms);
/* Forget finished pulls nobody asked about for a while; join all at stop. */
void k1s__pulls_gc(k1s_kubelet *kl, bool all);

/* ---- kubelet_pod_status.c ------------------------------------------------------------------ */

typedef struct k1s__status_in {
    const json_t *pod;        /* borrowed (base) */
    k1s__pod *ps;
    const k1s__view *v;
    bool terminal;            /* the pod is done (deleted, or will not run) */
} k1s__status_in;

/* The status kubelet reports (new reference). */
json_t *k1s__pod_status(k1s_kubelet *kl, const k1s__status_in *in);
/* kubelet_pod_phase.c: phase and conditions of a status whose container
 * statuses are computed; the helpers both files use. */
const char *k1s__pod_phase(const json_t *spec, const json_t *inits,
                           const json_t *ctrs, bool terminal, bool initialized);
json_t *k1s__pod_conditions(const json_t *pod, const json_t *status,
                            bool sandbox_ok, const char *now);
const json_t *k1s__named(const json_t *arr, const char *name);
/* The volumeMounts of a container status, as the runtime reports them
 * (RecursiveReadOnlyMounts); rro: the runtime can make a read-only mount
 * recursive, so recursiveReadOnly IfPossible is Enabled. New ref or NULL. */
json_t *k1s__mount_statuses(const json_t *ctr, bool rro);
/* A container status's state has this key (running, waiting, terminated). */
bool k1s__cs_has(const json_t *cs, const char *state);
/* exitCode of its "state" or "lastState" termination. */
int k1s__cs_exit(const json_t *cs, const char *which);
/* Whether container (spec entry) should be started again once its latest
 * instance (a ContainerStatus, NULL: none) exited, per restartPolicy. */
bool k1s__should_restart(const json_t *pod, const json_t *container,
                         const json_t *cstatus);

/* ---- kubelet_pod_kill.c ---------------------------------------------------------------------- */

typedef struct k1s__kill_job {
    k1s_cri *cri;
    json_t *containers;  /* owned array of container ids to stop */
    json_t *sandboxes;   /* owned array of sandbox ids to stop */
    int64_t grace_s;
    bool remove;         /* also remove the sandboxes (and containers) */
    char *dir;           /* owned: remove this pod directory after, or NULL */
    char uid[64];        /* whose (reaps: one at a time per uid) */
    char err[512];       /* the first failure, "" if none */
} k1s__kill_job;

/* Start stopping (and with remove, removing) what v holds for ps in the
 * background. only_cid: just that container (liveness), else all. */
void k1s__kill_start(k1s_kubelet *kl, k1s__pod *ps, const k1s__view *v,
                     const char *only_cid, int64_t grace_s, bool remove);
/* Whether ps's kill is over (joined if so; ps->job freed). */
bool k1s__kill_done(k1s_kubelet *kl, k1s__pod *ps);
/* A pod marked for deletion: kill, final status, remove, delete. */
int k1s__pod_terminate(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod,
                       k1s__view *v);
/* Remove everything of uid in the background (orphans, force-deleted
 * pods); dir: its pod directory to remove too, or NULL. */
void k1s__reap(k1s_kubelet *kl, const char *uid, const json_t *sandbox_ids,
               const json_t *container_ids, const char *dir);
/* Join finished reaps (all, waiting, when all). */
void k1s__reaps_join(k1s_kubelet *kl, bool all);
/* Grace seconds for pod's deletion (metadata, spec, default 30). */
int64_t k1s__grace(const json_t *pod);

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
json_t *k1s__sim_pod_status(const json_t *pod, const char *host_ip,
                            const char *pod_ip, json_t **started);

#endif
