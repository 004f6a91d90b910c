/*
 * pods_internal.h - the containerd mode's pods (pods/): what the kubelet
 * keeps of each pod between passes, the runtime's view of it, and the
 * steps of a pass (sandbox, images, containers, probes, status, kill).
 */
#ifndef K1S_PODS_INTERNAL_H
#define K1S_PODS_INTERNAL_H

#include "node_internal.h"
#include "k1s_spec.h"

/* The controller of the containerd mode (pod_loop.c). */
extern const k1s_controller_def k1s__pods_def;

/* ---- background tasks ------------------------------------------------------- */

/* A function running on a thread of its own; the loop polls done() and
 * joins. arg stays owned by the caller (fn reads inputs from it and writes
 * results into it). */
typedef struct k1s__task k1s__task;
k1s__task *k1s__task_start(void (*fn)(void *arg), void *arg);
bool k1s__task_done(k1s__task *t);
/* Wait for the end (if need be) and free t; returns arg. NULL-safe. */
void *k1s__task_join(k1s__task *t);

/* ---- probes (pod_probe.c) ---------------------------------------------- */

typedef struct k1s__probes k1s__probes;

typedef struct k1s__probe_result {
    bool started;        /* startup probe passed (or none) */
    bool ready;          /* readiness (false until started) */
    bool live;           /* liveness (true until it fails) */
    bool startup_failed; /* the startup probe gave up: restart */
    char why[512];       /* the failed probe's text, for the Killing event */
} k1s__probe_result;

k1s__probes *k1s__probes_new(k1s_cri *cri);
void k1s__probes_free(k1s__probes *p);
/* Probe container cid of pod uid ("ns/name" key for events), running
 * since started_ms, per the container's spec (borrowed, copied).
 * Idempotent: a container already watched keeps its state. */
void k1s__probes_watch(k1s__probes *p, const char *uid, const char *key, const char *cid,
                       const json_t *container, const char *pod_ip, int64_t started_ms);
/* Stop probing every container of pod uid whose id is not in keep (a JSON
 * object used as a set; NULL: all of them). */
void k1s__probes_retain(k1s__probes *p, const char *uid, const json_t *keep);
/* The current results for cid; false (and defaults) when not watched. */
bool k1s__probes_result(k1s__probes *p, const char *cid, k1s__probe_result *r);
/* What happened since the last call (new array): {"key", "reason",
 * "message", "type"} events to record, and {"key"} for pods whose result
 * changed. */
json_t *k1s__probes_drain(k1s__probes *p);

/* ---- pod state ---- */

/* Where a container pull stands (shared by the pods waiting for it). */
struct k1s__pull {
    char *image;               /* owned */
    k1s__task *task;           /* running, or NULL once joined */
    struct k1s__pull_job *job; /* owned; its result once joined */
    int64_t done_ms;           /* monotonic, 0 while running */
};

/* The runtime's objects of one pod, read fresh at each pass. */
typedef struct k1s__view k1s__view;
struct k1s__view {
    json_t *sandboxes;     /* owned: ListPodSandbox items, newest first */
    json_t *containers;    /* owned: ListContainers items */
    const json_t *sandbox; /* the newest READY sandbox (in sandboxes) */
    json_t *sb_status;     /* owned: its PodSandboxStatus status, or NULL */
    char pod_ip[64];
    uint32_t next_attempt; /* attempt of the next sandbox */
};

/* What the kubelet remembers of a pod between passes; everything else is
 * read again from the API and the runtime (so a restart loses only
 * backoff timers). */
struct k1s__pod {
    char uid[64], ns[256], name[256];
    int64_t armed;             /* monotonic ms a requeue is armed for */
    k1s__task *task;           /* a kill in the background */
    struct k1s__kill_job *job; /* owned with task */
    bool killed;               /* terminating: containers and sandbox stopped */
    bool sandbox_stopped;      /* terminal: sandbox stopped */
    bool killing_events;       /* the Killing events were recorded */
    json_t *waiting;           /* container name -> {reason, message}: why it is not
                         running (start errors, backoff), as kubelet's
                         reason cache */
    json_t *backoff;           /* "c:<name>" or "i:<image>" -> {delay, last} (ms) */
    json_t *pullmsg;           /* image -> last pull error text */
    json_t *cstatus;           /* container id -> ContainerStatus (cache) */
    json_t *pulling;           /* image -> true: this pod waits for that pull */
    json_t *latest;            /* the pod as our last status write returned it */
    json_t *unhealthy;         /* container id -> why: liveness/startup failed */
    char start_time[32];
    bool config_wait; /* waiting for a ConfigMap/Secret/claim to appear */
    bool volumes_ok;  /* volumes were set up */
};

/* Pod state i of kl->pods (i < kl->pods.n). */
static inline k1s__pod *k1s__pod_at(const k1s_kubelet *kl, size_t i)
{
    return *(k1s__pod **)k1s_vec_at(&kl->pods, i);
}

/* The pod's own directory: <data-dir>/pods/<ns>_<name>_<uid>. */
void k1s__pod_dir(const k1s_kubelet *kl, const char *ns, const char *name, const char *uid,
                  char *buf, size_t len);
/* Remove a directory tree without following links or crossing mounts. */
void k1s__rmtree(const char *dir);
/* The lookup kubelet_spec.h uses, over the loop's informers. */
k1s_spec_lookup k1s__lookup(k1s_kubelet *kl);
/* Pod states. */
k1s__pod *k1s__pod_find(k1s_kubelet *kl, const char *uid);
k1s__pod *k1s__pod_get(k1s_kubelet *kl, const json_t *pod);
/* Free ps (joining its task) and remove it from the table. */
void k1s__pod_drop(k1s_kubelet *kl, k1s__pod *ps);

/* Restart backoff as kubelet's flowcontrol.Backoff: in backoff since
 * event_ms (wall ms)? remaining ms into *left. */
bool k1s__backoff_active(k1s__pod *ps, const char *key, int64_t event_ms, int64_t *left);
/* Record a failure at event_ms: the next delay doubles. */
void k1s__backoff_next(k1s__pod *ps, const char *key, int64_t event_ms);
/* In backoff since the last failure was recorded (image pulls)? */
bool k1s__backoff_since_update(k1s__pod *ps, const char *key, int64_t *left);
/* The current delay (ms) of key, 0 if none. */
int64_t k1s__backoff_delay(k1s__pod *ps, const char *key);

/* ---- pod_runtime.c ---------------------------------------------------------- */

/* Read the pod's sandboxes and containers. 0, or -1 (runtime down). */
int k1s__view_load(k1s_kubelet *kl, const char *uid, k1s__view *v);
void k1s__view_free(k1s__view *v);
/* The latest instance (highest attempt) of container name; only among
 * the containers of sandbox_id when that is non-NULL. Borrowed or NULL. */
const json_t *k1s__view_latest(const k1s__view *v, const char *name, const char *sandbox_id);
/* The instance before latest (for lastState). Borrowed or NULL. */
const json_t *k1s__view_previous(const k1s__view *v, const char *name);
/* The CRI ContainerStatus of a listed container (cached per id and
 * state). Borrowed from ps->cstatus, or NULL. */
const json_t *k1s__container_status(k1s_kubelet *kl, k1s__pod *ps, const json_t *ctr);
/* Remove exited instances older than the previous one of each name. */
void k1s__view_gc(k1s_kubelet *kl, k1s__pod *ps, const k1s__view *v);
/* The poll key: list every container, enqueue pods whose containers
 * changed, drain probe results, join finished orphan removals. */
int k1s__poll(k1s_kubelet *kl);
/* The sweep key: remove what belongs to no pod of this node; resync all. */
int k1s__sweep(k1s_kubelet *kl);
/* Ask for fast polling for a few seconds (after starting containers). */
void k1s__poll_soon(k1s_kubelet *kl);

/* ---- pod_sync.c ---------------------------------------------------------------- */

/* The reconcile of a pod key. pod: cached (borrowed) or NULL when gone. */
int k1s__pod_sync(k1s_kubelet *kl, const char *ns, const char *name, const json_t *pod);
/* Write status (new reference, stolen) for pod if it differs. 0 or the
 * HTTP code. */
int k1s__pod_write_status(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, json_t *status);
/* The pod to base a write on: the cached one, or our last write's result
 * if the cache has not caught up. Borrowed. */
const json_t *k1s__pod_base(k1s__pod *ps, const json_t *cached);

/* ---- pod_start.c ----------------------------------------------------------------- */

/* What one pass does with the containers of a pod whose sandbox runs:
 * init containers in order, then the containers; restarts per
 * restartPolicy with CrashLoopBackOff; kills for failed liveness or
 * startup probes. *retry_ms: the earliest time to come back (0: none);
 * *changed: something was started or killed (read the view again). */
typedef struct k1s__pass {
    const json_t *pod;
    k1s__view *v;
    const char *sandbox_id, *pod_ip, *etc_hosts;
    json_t *volumes; /* owned, made on first need */
    int64_t retry_ms;
    bool changed;
} k1s__pass;
void k1s__pod_containers(k1s_kubelet *kl, k1s__pod *ps, k1s__pass *p);
/* Append the strings of from (an array; anything else is skipped) to the
 * array to. */
void k1s__append_strings(json_t *to, const json_t *from);
/* Lower *retry to ms if that is sooner (0 = unset). */
void k1s__retry_min(int64_t *retry, int64_t ms);
/* Go's time.Duration text: "523ms", "10s", "1m20s", "5m0s". */
void k1s__go_duration(int64_t ms, char *buf, size_t len);

/* ---- pod_sandbox.c -------------------------------------------------------------- */

/* The PodSandboxConfig for pod (new reference). */
json_t *k1s__sandbox_config(k1s_kubelet *kl, const json_t *pod, uint32_t attempt);
/* The CRI NamespaceOption of the pod's spec (network, pid, ipc: NODE,
 * POD or CONTAINER), as both the sandbox and its containers give it. New
 * reference. */
json_t *k1s__namespace_options(const json_t *spec);
/* Create and start the sandbox; its id into id. 0, or -1 with err set. */
int k1s__sandbox_run(k1s_kubelet *kl, const json_t *pod, uint32_t attempt, char *id, size_t idlen,
                     char *err, size_t errlen);
/* Write <pod dir>/.etc-hosts as kubelet manages /etc/hosts; its path into
 * path ("" for hostNetwork pods, which see the host's). */
void k1s__etc_hosts(k1s_kubelet *kl, const json_t *pod, const char *pod_ip, char *path, size_t len);

/* ---- pod_container.c -------------------------------------------------------------- */

typedef struct k1s__start {
    const json_t *pod;       /* borrowed */
    const json_t *container; /* borrowed: the spec entry */
    bool init;               /* an init container (sidecars too) */
    uint32_t attempt;        /* = restart count */
    const char *sandbox_id;
    const char *pod_ip;
    const char *image_ref; /* from k1s__image_ensure */
    const json_t *volumes; /* k1s_spec_volumes paths */
    const char *etc_hosts; /* "" for none */
} k1s__start;

/* Create and start a container; events Created/Started, or the failure
 * recorded in ps->waiting with kubelet's reason and a Failed event.
 * 0 started, -1 not. */
int k1s__container_start(k1s_kubelet *kl, k1s__pod *ps, const k1s__start *s);
/* Note why container name is not running (kubelet's reason cache). */
void k1s__set_waiting(k1s__pod *ps, const char *name, const char *reason, const char *message);

/* ---- pod_image.c ------------------------------------------------------------------ */

enum { K1S__IMAGE_READY, K1S__IMAGE_PULLING, K1S__IMAGE_FAILED };
/* Make sure container's image is present per its pull policy: READY with
 * the image reference in ref, PULLING (come back later), or FAILED with
 * ps->waiting set (ErrImagePull, ImagePullBackOff, ErrImageNeverPull).
 * *retry_ms: when to come back (pulling or backing off). */
int k1s__image_ensure(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, const json_t *container,
                      char *ref, size_t reflen, int64_t *retry_ms);
/* Forget finished pulls nobody asked about for a while; join all at stop. */
void k1s__pulls_gc(k1s_kubelet *kl, bool all);

/* ---- pod_status.c ------------------------------------------------------------------ */

typedef struct k1s__status_in {
    const json_t *pod; /* borrowed (base) */
    k1s__pod *ps;
    const k1s__view *v;
    bool terminal; /* the pod is done (deleted, or will not run) */
} k1s__status_in;

/* The status kubelet reports (new reference). */
json_t *k1s__pod_status(k1s_kubelet *kl, const k1s__status_in *in);
/* Whether container (spec entry) should be started again once its latest
 * instance (a ContainerStatus, NULL: none) exited, per restartPolicy. */
bool k1s__should_restart(const json_t *pod, const json_t *container, const json_t *cstatus);

/* ---- pod_kill.c ---------------------------------------------------------------------- */

typedef struct k1s__kill_job {
    k1s_cri *cri;
    json_t *containers; /* owned array of container ids to stop */
    json_t *sandboxes;  /* owned array of sandbox ids to stop */
    int64_t grace_s;
    bool remove;   /* also remove the sandboxes (and containers) */
    char *dir;     /* owned: remove this pod directory after, or NULL */
    char uid[64];  /* whose (reaps: one at a time per uid) */
    char err[512]; /* the first failure, "" if none */
} k1s__kill_job;

/* An orphan removal running in the background (kl->reaps). */
typedef struct k1s__reaping {
    k1s__task *task;
    k1s__kill_job *job; /* owned */
} k1s__reaping;

/* Start stopping (and with remove, removing) what v holds for ps in the
 * background. only_cid: just that container (liveness), else all. */
void k1s__kill_start(k1s_kubelet *kl, k1s__pod *ps, const k1s__view *v, const char *only_cid,
                     int64_t grace_s, bool remove);
/* Whether ps's kill is over (joined if so; ps->job freed). */
bool k1s__kill_done(k1s_kubelet *kl, k1s__pod *ps);
/* A pod marked for deletion: kill, final status, remove, delete. */
int k1s__pod_terminate(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, k1s__view *v);
/* Remove everything of uid in the background (orphans, force-deleted
 * pods); dir: its pod directory to remove too, or NULL. */
void k1s__reap(k1s_kubelet *kl, const char *uid, const json_t *sandbox_ids,
               const json_t *container_ids, const char *dir);
/* Join finished reaps (all, waiting, when all). */
void k1s__reaps_join(k1s_kubelet *kl, bool all);
/* Grace seconds for pod's deletion (metadata, spec, default 30). */
int64_t k1s__grace(const json_t *pod);

#endif
