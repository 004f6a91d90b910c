/*
 * statefulset_internal.h - what the statefulset controller's files share:
 * the per-reconcile context, pod state predicates, names, owner
 * references, the revision history (statefulset_revision.c) and pod and
 * claim control (statefulset_pods.c). Used only by controllers/statefulset*.c.
 */
#ifndef K1S_STATEFULSET_INTERNAL_H
#define K1S_STATEFULSET_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_ctrl.h"
#include "k1s_json.h"
#include "k1s_vec.h"
#include "k1s_selector.h"

#define K1S_STS_COMPONENT "statefulset-controller"
#define K1S_STS_POD_NAME_LABEL "statefulset.kubernetes.io/pod-name"
#define K1S_STS_POD_INDEX_LABEL "apps.kubernetes.io/pod-index"
#define K1S_STS_REVISION_LABEL "controller-revision-hash"
#define K1S_STS_HASH_LABEL "controller.kubernetes.io/hash"
/* Bigger sets are handled as if they had this many replicas: the working
 * arrays stay bounded whatever a client writes in spec.replicas. */
#define K1S_STS_MAX_REPLICAS 100000
/* Parallel sets create or delete at most this many pods per reconcile (as
 * kube's MaxBatchSize) and come back at once, so other controllers run. */
#define K1S_STS_MAX_BATCH 500
/* Room for any object name this controller builds (names are <= 253). */
#define K1S_STS_NAME_MAX 600

/* The informers the controller reads, made at start. */
typedef struct k1s__sts_state {
    k1s_informer *sets, *pods, *claims, *revisions;
} k1s__sts_state;

/* One reconcile of one set. Every json_t * here is borrowed from the
 * caches (valid for the reconcile) unless said otherwise. */
typedef struct k1s__sts {
    k1s_ctrl *c;
    k1s__sts_state *st;
    const char *ns, *name, *uid;
    const json_t *set;
    k1s_selector *sel;   /* owned */
    long long start;     /* spec.ordinals.start */
    long long replicas;  /* spec.replicas, at most K1S_STS_MAX_REPLICAS */
    long long min_ready; /* spec.minReadySeconds */
    bool monotonic;      /* OrderedReady */
    bool scaled_delete;  /* whenScaled: Delete */
    bool deleted_delete; /* whenDeleted: Delete */
    int64_t requeue_ms;  /* smallest wanted requeue, 0: none */
    /* revisions, sorted by revision number */
    const json_t **revs; /* owned array */
    size_t nrevs;
    json_t *current_set, *update_set;     /* owned: the set at each revision */
    const char *current_rev, *update_rev; /* names (owned by the objects
                                             in current_obj/update_obj) */
    json_t *current_obj, *update_obj;     /* owned revision objects */
    long long collision_count;
} k1s__sts;

/* ---- requeues ---------------------------------------------------------- */

/* Remember the shortest requeue a step asks for. */
void k1s__sts_want(k1s__sts *s, int64_t ms);

/* ---- pods ----------------------------------------------------------------- */

/* The ordinal of a pod named <set>-<n> (canonical decimal, 32 bits), or
 * -1 when the name is not a member's name. */
long long k1s__sts_ordinal(const char *set_name, const char *pod_name);
bool k1s__sts_pod_running_ready(const json_t *pod);
/* Ready for minReadySeconds (kube's IsPodAvailable); *wait_ms (if not
 * NULL) gets how long until it will be, when it is ready but not yet. */
bool k1s__sts_pod_available(const json_t *pod, long long min_ready, int64_t *wait_ms);
bool k1s__sts_pod_terminating(const json_t *pod);
const char *k1s__sts_pod_phase(const json_t *pod);
const char *k1s__sts_pod_revision(const json_t *pod);
/* Not available, or terminating. */
bool k1s__sts_pod_unavailable(const json_t *pod, long long min_ready);

/* ---- owner references ------------------------------------------------------ */

/* A controller reference to obj (apps/v1 StatefulSet or v1 Pod). New. */
json_t *k1s__sts_owner_ref(const char *api_version, const char *kind, const char *name,
                           const char *uid);
/* The controller reference of obj, or NULL (borrowed). */
const json_t *k1s__sts_controller_of(const json_t *obj);

/* ---- API writes that also report the failure text --------------------------- */

/* Each returns 0 or the HTTP code; on failure *msg (if not NULL) gets the
 * Status message (malloc'd). *out (if not NULL) gets the written object
 * (new reference). */
int k1s__sts_create(k1s__sts *s, const char *group, const char *kind, json_t *obj, json_t **out,
                    char **msg);
int k1s__sts_update(k1s__sts *s, const char *group, const char *kind, const char *sub, json_t *obj,
                    json_t **out, char **msg);
int k1s__sts_delete(k1s__sts *s, const char *group, const char *kind, const char *name,
                    const char *uid, char **msg);
/* Whether a live read still shows the set, same uid, not being deleted:
 * kube rechecks this way before adopting orphans. */
bool k1s__sts_can_adopt(k1s__sts *s);

/* ---- revisions (statefulset_revision.c) ----------------------------------------- */

/* The patch a revision stores for set: {"spec":{"template":{"$patch":
 * "replace", ...}}}, keys sorted as kube's encoder writes them. New. */
json_t *k1s__sts_revision_data(const json_t *set);
/* <set name>-<hash of data and collision count>, into buf. */
int k1s__sts_revision_name(const char *set_name, const json_t *data, long long collision, char *buf,
                           size_t len);
/* Find or make the current and update revisions (fills s->revs,
 * current_*, update_*, collision_count). 0, or < 0 to retry later. */
int k1s__sts_revisions(k1s__sts *s);
/* Delete old revisions beyond spec.revisionHistoryLimit; pods' revisions
 * are kept. pods: the set's pods. */
void k1s__sts_truncate_history(k1s__sts *s, const json_t *const *pods, size_t npods);

/* ---- pods and claims (statefulset_pods.c) -------------------------------------- */

/* A new pod for ordinal ord, at revision rev of from_set. New. */
json_t *k1s__sts_new_pod(k1s__sts *s, const json_t *from_set, const char *rev, long long ord);
/* The pod for ord at the revision the strategy gives it. New. */
json_t *k1s__sts_versioned_pod(k1s__sts *s, long long ord);
/* Whether a claim of pod has a stale pod owner (whenScaled: Delete) and
 * must go before the pod is made again. */
bool k1s__sts_claim_is_stale(k1s__sts *s, const json_t *pod);
/* Create the pod's missing claims, then the pod, recording events. */
int k1s__sts_create_pod(k1s__sts *s, json_t *pod);
/* Create the claims of an existing pod that are missing. */
int k1s__sts_create_missing_claims(k1s__sts *s, const json_t *pod);
int k1s__sts_delete_pod(k1s__sts *s, const json_t *pod);
/* Bring the pod's identity labels and its claims' owner references
 * (retention policy) in line with the set. */
int k1s__sts_update_pod(k1s__sts *s, const json_t *pod);
/* Only the claims' owner references (for condemned pods). */
int k1s__sts_fix_claims(k1s__sts *s, const json_t *pod);
/* Delete claims whose owning pod is gone (what the garbage collector
 * does for whenScaled: Delete), so a scale-up is not blocked by them. */
void k1s__sts_collect_claims(k1s__sts *s);

#endif
