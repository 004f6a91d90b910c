/*
 * deployment_internal.h - what the deployment controller's files share:
 * the working state of one sync and kube's deployment utilities
 * (pkg/controller/deployment/util) over JSON objects.
 *
 * One sync works on copies: the Deployment's status and revision
 * annotation change in d and are written once at the end; ReplicaSets are
 * copies in rss, replaced by what the server answered after each write.
 */
#ifndef K1S_DEPLOYMENT_INTERNAL_H
#define K1S_DEPLOYMENT_INTERNAL_H

#include "k1s_podutil.h"

#define K1S_DEP_COMPONENT "deployment-controller"
#define K1S_DEP_HASH_LABEL "pod-template-hash"
#define K1S_DEP_REVISION "deployment.kubernetes.io/revision"
#define K1S_DEP_REVISION_HISTORY "deployment.kubernetes.io/revision-history"
#define K1S_DEP_DESIRED "deployment.kubernetes.io/desired-replicas"
#define K1S_DEP_MAX "deployment.kubernetes.io/max-replicas"
/* ReplicaSets a Deployment may own that one sync considers */
#define K1S_DEP_MAX_RS 512

typedef struct k1s__dep_state {
    k1s__wl_expect *exp;
} k1s__dep_state;

/* A list of ReplicaSets (borrowed members of k1s__dsync.rss). */
typedef struct k1s__rsvec {
    json_t *v[K1S_DEP_MAX_RS];
    size_t n;
} k1s__rsvec;

typedef struct k1s__dsync {
    k1s_ctrl *c;
    k1s__dep_state *s;
    const json_t *orig; /* the cached Deployment (borrowed) */
    json_t *d;          /* owned working copy */
    json_t *rss;        /* owned array of the Deployment's ReplicaSets */
    json_t *new_rs;     /* borrowed member of rss, or NULL */
    k1s__rsvec old;     /* every other member of rss */
    int err;            /* first failed write: its HTTP code */
    bool report;        /* write the status even so (ReplicaSetCreateError) */
    int64_t requeue_ms; /* > 0: sync again after this long */
} k1s__dsync;

/* ---- deployment_util.c ---------------------------------------------------- */

long long k1s__dep_replicas(const json_t *d);
long long k1s__dep_rs_replicas(const json_t *rs);
long long k1s__dep_rs_status(const json_t *rs, const char *key);
bool k1s__dep_rolling(const json_t *d);
long long k1s__dep_max_surge(const json_t *d);
long long k1s__dep_max_unavailable(const json_t *d);
bool k1s__dep_has_deadline(const json_t *d);
/* The revision annotation (0 when absent, -1 when not a number). */
long long k1s__dep_rs_revision(const json_t *rs);

void k1s__rsvec_add(k1s__rsvec *v, json_t *rs);
void k1s__rsvec_sort_created(k1s__rsvec *v, bool newest_first);
void k1s__rsvec_sort_revision(k1s__rsvec *v);
void k1s__rsvec_sort_size(k1s__rsvec *v, bool newer_first);
/* The members with spec.replicas > 0, into out. */
void k1s__rsvec_active(const k1s__rsvec *v, k1s__rsvec *out);
long long k1s__rsvec_replicas(const k1s__rsvec *v);
long long k1s__rsvec_status(const k1s__rsvec *v, const char *key);

/* Conditions of a status object (borrowed, may be modified). */
json_t *k1s__dep_cond_get(const json_t *status, const char *type);
void k1s__dep_cond_remove(json_t *status, const char *type);
/* kube's SetDeploymentCondition: no change when status and reason are the
 * same; lastTransitionTime kept when only the reason changes. */
void k1s__dep_cond_set(json_t *status, json_t *cond /* stolen */);
json_t *k1s__dep_cond_new(const char *type, const char *cstatus, const char *reason,
                          const char *message);

bool k1s__dep_set_replicas_annotations(json_t *rs, long long desired, long long max);
bool k1s__dep_replicas_annotations_stale(const json_t *rs, long long desired, long long max);
bool k1s__dep_set_new_rs_annotations(const json_t *d, json_t *rs, long long revision, bool exists);
bool k1s__dep_set_revision(json_t *d, const char *revision);
long long k1s__dep_new_rs_replicas(const json_t *d, const k1s__rsvec *all, const json_t *new_rs);
bool k1s__dep_complete(const json_t *d, const json_t *status);

/* ---- deployment_sync.c ------------------------------------------------------ */

void k1s__dsync_all_rs(k1s__dsync *x, bool create);
bool k1s__dsync_scale_rs(k1s__dsync *x, json_t *rs, long long scale);
void k1s__dsync_scale(k1s__dsync *x);
void k1s__dsync_cleanup(k1s__dsync *x);
void k1s__dsync_status(k1s__dsync *x);
void k1s__dsync_rollout_status(k1s__dsync *x);
bool k1s__dsync_scaling_event(k1s__dsync *x);
void k1s__dsync_paused_conditions(k1s__dsync *x);

/* ---- deployment_rollout.c ---------------------------------------------------- */

void k1s__dsync_rolling(k1s__dsync *x);
void k1s__dsync_recreate(k1s__dsync *x);

#endif
