/*
 * job_internal.h - what the Job controller's files share: the state of
 * one sync (the Job's pods sorted into kinds, the counts kube's syncJob
 * keeps), completed-index intervals, pod creation and deletion, and the
 * per-Job failure backoff.
 */
#ifndef K1S_JOB_INTERNAL_H
#define K1S_JOB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_podutil.h"
#include "k1s_vec.h"

#define JOB_COMPONENT "job-controller"
#define JOB_FINALIZER "batch.kubernetes.io/job-tracking"
#define JOB_INDEX_KEY "batch.kubernetes.io/job-completion-index"
/* kube's MaxPodCreateDeletePerSync */
#define JOB_MAX_PODS_PER_SYNC 500
/* kube's MaxUncountedPods: bounds .status.uncountedTerminatedPods */
#define JOB_MAX_UNCOUNTED 500
/* kube's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff */
#define JOB_BACKOFF_MS 10000
#define JOB_BACKOFF_MAX_MS 600000

/* ---- completed indexes ("1,3-5,7") ----------------------------------------- */

typedef struct job_interval {
    long long first, last;
} job_interval;

/* Ordered, disjoint, non-adjacent intervals in a k1s_vec. */
typedef k1s_vec job_intervals;

/* Parse status.completedIndexes as kube does: bad parts are skipped,
 * indexes >= completions dropped. */
void job_intervals_parse(job_intervals *out, const char *s, long long completions);
/* Add one index, keeping the intervals ordered and merged. 0 or -1 (memory). */
int job_intervals_add(job_intervals *iv, long long ix);
bool job_intervals_has(const job_intervals *iv, long long ix);
long long job_intervals_total(const job_intervals *iv);
/* kube's String(): "0-2", "0,1", "3" (a malloc'd string). */
char *job_intervals_format(const job_intervals *iv);

/* ---- one sync ------------------------------------------------------------------- */

/* The backoff kept per Job between syncs (lost on restart, as in kube):
 * failures since the last success and when the last one happened. */
typedef struct job_backoff {
    char key[512]; /* ns/name */
    int failures;
    int64_t last_failure_ms; /* wall clock */
} job_backoff;

typedef struct job_state {
    k1s__wl_expect *exp;
    k1s_vec backoffs; /* of job_backoff */
} job_state;

typedef struct job_sync {
    k1s_ctrl *c;
    job_state *s;
    const json_t *job; /* borrowed from the cache */
    json_t *status;    /* the status being built (owned) */
    bool indexed;
    long long completions; /* -1: not set */
    k1s_vec pods;          /* const json_t *: every pod the Job controls */
    k1s_vec active;        /* const json_t *: the active ones */
    long long ready, terminating;
    long long succeeded, failed; /* counted, uncounted and new */
    job_intervals done;          /* Indexed: succeeded indexes */
    job_backoff backoff;         /* the stored backoff with this sync's pods */
    bool satisfied;              /* the caches show our own writes */
    int requeue_ms;              /* > 0: sync again after that */
} job_sync;

/* Whether the pod carries the tracking finalizer. */
bool job_pod_tracked(const json_t *pod);
/* The pod's completion index, or -1. */
long long job_pod_index(const json_t *pod);
/* kube's isPodFailed for this Job (a pod being deleted before it
 * succeeded counts unless podReplacementPolicy is Failed). */
bool job_pod_failed(const json_t *job, const json_t *pod);
/* podReplacementPolicy Failed: wait for terminating pods to end. */
bool job_only_replace_failed(const json_t *job);
/* uid is in status.uncountedTerminatedPods.<list> of the status. */
bool job_uncounted_has(const json_t *status, const char *list, const char *uid);
/* When the pod ended (latest container finishedAt), wall ms; now if none. */
int64_t job_pod_finish_ms(const json_t *pod);

/* ---- pods (job_pods.c) ------------------------------------------------------------ */

/* kube's manageJob: delete pods beyond what is wanted (or all, when
 * suspended), else create the missing ones (respecting the failure
 * backoff). Returns the new active count; sets js->requeue_ms when it
 * must wait; 0 or the HTTP code of a failure in *rc. */
long long job_manage(job_sync *js, int *rc);
/* Delete these active pods keeping their finalizers (the Job failed):
 * how many were deleted; *ready_deleted counts the ready ones. */
long long job_delete_active(job_sync *js, long long *ready_deleted);
/* Remove the tracking finalizer from the pod (0, or the HTTP code; 404
 * counts as done), recording the write as expected. */
int job_remove_finalizer(k1s_ctrl *c, job_state *s, const json_t *job, const json_t *pod);

/* ---- backoff (job_backoff.c) ----------------------------------------------------- */

job_backoff *job_backoff_of(job_state *s, const char *ns, const char *name, bool create);
/* Count this sync's newly finished pods into b (kube's newBackoffRecord):
 * a success starts over, failures after the last success add up. */
void job_backoff_update(job_backoff *b, const k1s_vec *new_succeeded, const k1s_vec *new_failed);
void job_backoff_forget(job_state *s, const char *ns, const char *name);
/* Milliseconds until a new pod may be created, 0 if now. */
int64_t job_backoff_remaining(const job_backoff *b, int64_t now_ms);

/* ---- status (job_status.c) ------------------------------------------------------ */

/* A JobCondition (new reference), both times now. */
json_t *job_condition(const char *type, const char *status, const char *reason,
                      const char *message);
/* The condition of type in the status (borrowed), or NULL. */
const json_t *job_find_condition(const json_t *status, const char *type);
/* kube's ensureJobConditionStatus on status: whether it changed. */
bool job_ensure_condition(json_t *status, const char *type, const char *st, const char *reason,
                          const char *message);
/* Complete or Failed is True. */
bool job_finished(const json_t *job);
/* kube's trackJobStatusAndRemoveFinalizers: count finished pods through
 * uncountedTerminatedPods, remove their finalizers, write the status,
 * and add the terminal condition once nothing is left uncounted or
 * terminating. finished: the SuccessCriteriaMet/FailureTarget condition
 * reached this sync (borrowed, may be NULL). 0, or the HTTP code. */
int job_track_and_flush(job_sync *js, const json_t *finished, bool needs_flush);

#endif
