/*
 * k1s_pv.h - what the persistentvolume-controller (pv/) shares with the
 * hostpath provisioner: the annotation names kube uses on claims and
 * volumes, and small readers of PV/PVC fields with kube's defaults.
 *
 * Every const json_t * here is borrowed (usually from an informer cache);
 * functions that hand out a json_t * say so.
 */
#ifndef K1S_PV_H
#define K1S_PV_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_ctrl.h"
#include "k1s_json.h"
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

/* Plain fields are read with base's k1s_json.h (k1s_meta,
 * k1s_meta_annotation, k1s_json_str_or with "" where kube's zero value
 * is meant); these add kube's defaults and legacy annotations. */
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
/* claimRef names the claim exactly: name, namespace and uid all set and
 * equal. */
bool k1s__pv_ref_is_exactly(const json_t *pv, const json_t *claim);
/* Set an annotation on obj (a private copy, not a cached object). */
void k1s__pv_set_ann(json_t *obj, const char *key, const char *value);
/* Read straight from the API, past the caches: 0 with *out (new
 * reference), or the HTTP code (404 when absent). */
int k1s__pv_get_live(k1s_ctrl *c, const char *kind, const char *ns, const char *name, json_t **out);
/* A StorageClass from the cache, or NULL. */
const json_t *k1s__pv_class(k1s_ctrl *c, const char *name);
/* Enqueue for ctrl_id every claim in the cache that is not bound yet
 * and asks for class (NULL: any class). */
void k1s__pv_enqueue_unbound_claims(k1s_ctrl *c, int ctrl_id, const char *class_name);

#endif
