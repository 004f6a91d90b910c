/*
 * k1s_podutil.h - what the workload controllers (ReplicaSet, Deployment,
 * DaemonSet) and the endpoint controllers share: pod readiness and
 * availability as kube's pod utilities judge them, owner references,
 * pods made from templates, the pod-template hash, int-or-percent values,
 * time stamps, template equality and "expectations" (waiting until
 * the caches show the controller's own writes before acting again).
 *
 * Internal to controllers/ (k1s__wl_ names). Objects passed in are
 * borrowed unless a comment says otherwise.
 */
#ifndef K1S_PODUTIL_H
#define K1S_PODUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_ctrl.h"
#include "k1s_json.h"
#include "k1s_time.h"
#include "k1s_selector.h"

/* ---- pods ------------------------------------------------------------------ */

/* The pod's Ready condition (borrowed), or NULL. */
const json_t *k1s__wl_ready_condition(const json_t *pod);
/* The pod's Ready condition is True. */
bool k1s__wl_pod_ready(const json_t *pod);
/* Ready for at least min_ready seconds at now (epoch seconds). */
bool k1s__wl_pod_available(const json_t *pod, long long min_ready, int64_t now);
/* Phase Succeeded or Failed. */
bool k1s__wl_pod_terminal(const json_t *pod);
/* Not terminal and not marked for deletion (kube's IsPodActive). */
bool k1s__wl_pod_active(const json_t *pod);
/* Whether metadata.deletionTimestamp is set. */
bool k1s__wl_deleting(const json_t *obj);
/* lastTransitionTime of the Ready condition when True (epoch s), else -1. */
int64_t k1s__wl_pod_ready_since(const json_t *pod);
/* The highest restartCount among the pod's container statuses. */
long long k1s__wl_pod_max_restarts(const json_t *pod);

/* A pod (new reference) made from a pod template as kube's
 * GetPodFromTemplate does: generateName "<owner>-", the template's labels,
 * annotations and finalizers, a controller reference to owner. */
json_t *k1s__wl_pod_from_template(const json_t *tmpl, const json_t *owner,
                                  const char *owner_api_version, const char *owner_kind);

/* Create a pod for owner and record kube's SuccessfulCreate/FailedCreate
 * event ("Created pod: web-x2c4z" / "Error creating: ..."). *out (may be
 * NULL) gets the created pod, a new reference; err (may be NULL) the
 * failure's message. 0 or the HTTP code. */
int k1s__wl_create_pod(k1s_ctrl *c, const char *component, const json_t *owner, json_t *pod,
                       json_t **out, char *err, size_t errlen);
/* Delete a pod of owner with its default grace period and record
 * SuccessfulDelete/FailedDelete. 0 or the HTTP code (404 is quiet). */
int k1s__wl_delete_pod(k1s_ctrl *c, const char *component, const json_t *owner, const json_t *pod,
                       char *err, size_t errlen);

/* Give the pod the DisruptionTarget condition (True, reason, message) and,
 * with fail, phase Failed unless it has ended, through pods/status, as
 * kube's controllers do before deleting a pod they disrupt. 0 or the HTTP
 * code. */
int k1s__wl_mark_disruption(k1s_ctrl *c, const json_t *pod, const char *reason, const char *message,
                            bool fail);

/* ---- owners ------------------------------------------------------------------ */

/* The controller ownerReference of obj (borrowed), or NULL. */
const json_t *k1s__wl_controller_of(const json_t *obj);
/* Whether obj's controller reference names uid. */
bool k1s__wl_controlled_by(const json_t *obj, const char *uid);
/* A controller ownerReference to owner (new reference). */
json_t *k1s__wl_owner_ref(const json_t *owner, const char *api_version, const char *kind);
/* Adopt obj (add a controller reference to owner) or release it (remove
 * owner's references), as kube's ControllerRefManager does, with a merge
 * patch of metadata.ownerReferences. 0 or the HTTP code. */
int k1s__wl_adopt(k1s_ctrl *c, const char *group, const char *kind, const json_t *obj,
                  const json_t *owner, const char *owner_api_version, const char *owner_kind);
int k1s__wl_release(k1s_ctrl *c, const char *group, const char *kind, const json_t *obj,
                    const char *owner_uid);

/* ---- selectors ------------------------------------------------------------------ */

/* A label selector (metav1.LabelSelector, borrowed) made usable; NULL when
 * it does not parse. An absent selector selects nothing. */
k1s_selector *k1s__wl_selector(const json_t *label_selector);
/* Whether the selector is {} (kube refuses to act on it: "selecting all"). */
bool k1s__wl_selects_all(const json_t *label_selector);
bool k1s__wl_matches(const k1s_selector *sel, const json_t *obj);

/* ---- taints ------------------------------------------------------------------ */

/* v1.Toleration.ToleratesTaint: whether toleration tol matches taint. */
bool k1s__wl_toleration_matches(const json_t *tol, const json_t *taint);
/* Whether some toleration of the array matches taint. */
bool k1s__wl_tolerated(const json_t *tolerations, const json_t *taint);

/* ---- values ------------------------------------------------------------------- */

/* metadata.name / namespace / uid / generation of obj ("" or 0 if absent). */
const char *k1s__wl_name(const json_t *obj);
const char *k1s__wl_ns(const json_t *obj);
const char *k1s__wl_uid(const json_t *obj);
long long k1s__wl_generation(const json_t *obj);
/* metadata.resourceVersion as a number (0 if absent). */
int64_t k1s__wl_rev(const json_t *obj);

/* kube's GetScaledValueFromIntOrPercent: an integer as is, "25%" of total
 * rounded up or down; v NULL gives 0. 0, or -1 when v is neither. */
int k1s__wl_scaled(const json_t *v, long long total, bool round_up, long long *out);

/* ---- hashing, equality, time (base's k1s_json.h and k1s_time.h do the rest) --- */

/* The pod-template-hash / controller-revision-hash of a template: FNV-32a
 * of the template (canonical JSON) and the collision count, printed in
 * decimal and encoded with kube's SafeEncodeString alphabet. */
void k1s__wl_template_hash(const json_t *tmpl, const json_t *collision_count, char out[16]);
/* Templates semantically equal (k1s_json_semantic_equal) once the label
 * `ignore_label` (e.g. pod-template-hash) is dropped from both. */
bool k1s__wl_template_equal(const json_t *a, const json_t *b, const char *ignore_label);

/* An RFC 3339 time (k1s_time_parse) in epoch seconds; -1 when absent or
 * malformed. */
int64_t k1s__wl_parse_time(const char *s);

/* Order by creationTimestamp, then name (kube's ...ByCreationTimestamp):
 * negative, 0 or positive. */
int k1s__wl_cmp_created(const json_t *a, const json_t *b);

/* ---- expectations ----------------------------------------------------------- */

/* Writes a controller made for an owner that its caches must show before
 * the owner is reconciled again, so that a stale cache never makes it
 * create or delete twice. Lost on restart, as in kube: the first sync after
 * a restart starts from what is stored. */
typedef struct k1s__wl_expect k1s__wl_expect;

k1s__wl_expect *k1s__wl_expect_new(void);
void k1s__wl_expect_free(k1s__wl_expect *e);
/* A write for owner ns/name that produced `written` (its resourceVersion). */
void k1s__wl_expect_write(k1s__wl_expect *e, const char *ns, const char *name,
                          const json_t *written);
/* A delete for owner ns/name of object obj_name with uid. */
void k1s__wl_expect_delete(k1s__wl_expect *e, const char *ns, const char *name,
                           const char *obj_name, const char *uid);
/* Whether the cache inf shows every expected write and delete of owner
 * ns/name (satisfied entries are dropped; ones older than a minute are
 * given up, as kube's expectations expire). */
bool k1s__wl_expect_satisfied(k1s__wl_expect *e, const char *ns, const char *name,
                              k1s_informer *inf);
void k1s__wl_expect_forget(k1s__wl_expect *e, const char *ns, const char *name);

#endif
