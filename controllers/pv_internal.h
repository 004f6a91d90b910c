/*
 * pv_internal.h - what the persistentvolume-controller's files share (and
 * what the hostpath provisioner borrows from them): the annotation names
 * kube uses on claims and volumes, small readers of PV/PVC fields with
 * kube's defaults, and the binder's steps.
 *
 * Every const json_t * here is borrowed (usually from an informer cache);
 * functions that hand out a json_t * say so.
 */
#ifndef K1S_PV_INTERNAL_H
#define K1S_PV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "ctrl.h"
#include "k1s_quantity.h"

/* ---- annotations (facts from k8s.io/component-helpers/storage/volume) -- */

#define K1S_ANN_BIND_COMPLETED "pv.kubernetes.io/bind-completed"
#define K1S_ANN_BOUND_BY_CONTROLLER "pv.kubernetes.io/bound-by-controller"
#define K1S_ANN_PROVISIONED_BY "pv.kubernetes.io/provisioned-by"
#define K1S_ANN_STORAGE_PROVISIONER "volume.kubernetes.io/storage-provisioner"
#define K1S_ANN_BETA_STORAGE_PROVISIONER "volume.beta.kubernetes.io/storage-provisioner"
#define K1S_ANN_SELECTED_NODE "volume.kubernetes.io/selected-node"
#define K1S_ANN_BETA_STORAGE_CLASS "volume.beta.kubernetes.io/storage-class"
#define K1S_ANN_DEFAULT_CLASS "storageclass.kubernetes.io/is-default-class"
#define K1S_ANN_BETA_DEFAULT_CLASS "storageclass.beta.kubernetes.io/is-default-class"

#define K1S_PV_COMPONENT "persistentvolume-controller"

/* A write lost a race (409): try again once the caches have caught up. */
#define K1S_PV_RETRY_MS 100

/* ---- readers (pv_util.c) ---------------------------------------------------- */

/* metadata.<field> as a string, or NULL. */
const char *k1s__pv_meta(const json_t *obj, const char *field);
/* An annotation's value, or NULL when absent. */
const char *k1s__pv_ann(const json_t *obj, const char *key);
/* spec.<field> as a string, "" when absent. */
const char *k1s__pv_spec_str(const json_t *obj, const char *field);
/* status.phase, "" when absent. */
const char *k1s__pv_phase(const json_t *obj);
/* The class a claim asks for: the beta annotation wins over
 * spec.storageClassName, as in kube's GetPersistentVolumeClaimClass. */
const char *k1s__pv_claim_class(const json_t *claim);
/* Whether the claim names a class at all (even ""). */
bool k1s__pv_claim_has_class(const json_t *claim);
const char *k1s__pv_volume_class(const json_t *pv);
/* spec.volumeMode with its default, Filesystem. */
const char *k1s__pv_volume_mode(const json_t *obj);
/* A claim's spec.resources.requests.storage / a volume's
 * spec.capacity.storage; 0, or -1 when absent or unparsable (*q zero). */
int k1s__pv_request(const json_t *claim, k1s_quantity *q);
int k1s__pv_capacity(const json_t *pv, k1s_quantity *q);
/* The ObjectReference kube's reference.GetReference makes of a claim
 * (new reference, NULL when out of memory). */
json_t *k1s__pv_claim_ref(const json_t *claim);
/* IsVolumeBoundToClaim: claimRef names the claim, with its uid or none. */
bool k1s__pv_bound_to_claim(const json_t *pv, const json_t *claim);
/* Set an annotation on obj (a private copy, not a cached object). */
void k1s__pv_set_ann(json_t *obj, const char *key, const char *value);
/* Read straight from the API, past the caches: 0 with *out (new
 * reference), or the HTTP code (404 when absent). */
int k1s__pv_get_live(k1s_ctrl *c, const char *kind, const char *ns,
                     const char *name, json_t **out);
/* A StorageClass from the cache, or NULL. */
const json_t *k1s__pv_class(k1s_ctrl *c, const char *name);
/* Enqueue for ctrl_id every claim in the cache that is not bound yet
 * and asks for class (NULL: any class). */
void k1s__pv_enqueue_unbound_claims(k1s_ctrl *c, int ctrl_id,
                                    const char *class_name);

/* ---- the binder's steps (pv_bind.c) ------------------------------------------ */

/* The return convention of these: 0 done, > 0 retry after that many ms
 * (a conflict), < 0 failure. */

/* Save claim.status: phase, and accessModes/capacity from volume (NULL:
 * cleared). *out (optional) gets the saved claim (new reference) or NULL. */
int k1s__pv_update_claim_status(k1s_ctrl *c, const json_t *claim,
                                const char *phase, const json_t *volume,
                                json_t **out);
/* Save volume.status.phase (and message, NULL for none). */
int k1s__pv_update_volume_phase(k1s_ctrl *c, const json_t *volume,
                                const char *phase, const char *message,
                                json_t **out);
/* Both of the above, plus an event when the phase really changes. */
int k1s__pv_update_claim_phase_event(k1s_ctrl *c, const json_t *claim,
                                     const char *phase, const char *type,
                                     const char *reason, const char *message);
int k1s__pv_update_volume_phase_event(k1s_ctrl *c, const json_t *volume,
                                      const char *phase, const char *type,
                                      const char *reason, const char *message);
/* Bind volume and claim both ways and mark both Bound, volume first. */
int k1s__pv_bind(k1s_ctrl *c, const json_t *volume, const json_t *claim);
/* Undo the controller's half of a binding: claimRef dropped (when the
 * controller set it) or its uid cleared (when the user pre-bound it);
 * the volume becomes Available. */
int k1s__pv_unbind_volume(k1s_ctrl *c, const json_t *volume);

/* ---- matching (pv_match.c) ------------------------------------------------------ */

/* The volume kube's findBestMatchForClaim picks: a volume pre-bound to the
 * claim, else the Available one of the claim's class, volume mode and
 * selector whose access modes hold all of the claim's, preferring fewer
 * access modes and then the smallest capacity not below the request.
 * delay_binding (WaitForFirstConsumer): only pre-bound volumes. */
const json_t *k1s__pv_find_match(k1s_ctrl *c, const json_t *claim,
                                 bool delay_binding);
/* Why the volume a claim names cannot serve it (kube's
 * checkVolumeSatisfyClaim): NULL when it can, else a static message. */
const char *k1s__pv_unsatisfied(const json_t *volume, const json_t *claim);
/* The default StorageClass (the newest of those marked default), or NULL. */
const json_t *k1s__pv_default_class(k1s_ctrl *c);

/* ---- the syncs ------------------------------------------------------------------- */

int k1s__pv_sync_claim(k1s_ctrl *c, const json_t *claim);   /* pv_claim.c */
int k1s__pv_sync_volume(k1s_ctrl *c, const json_t *volume); /* pv_volume.c */

#endif
