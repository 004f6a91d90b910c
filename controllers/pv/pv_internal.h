/*
 * pv_internal.h - what the persistentvolume-controller's files share
 * beyond k1s_pv.h: the binder's steps, matching, and the syncs.
 *
 * Every const json_t * here is borrowed (usually from an informer cache);
 * functions that hand out a json_t * say so.
 */
#ifndef K1S_PV_INTERNAL_H
#define K1S_PV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_pv.h"

/* ---- the binder's steps (pv_bind.c) ------------------------------------------ */

/* The return convention of these: 0 done, > 0 retry after that many ms
 * (a conflict), < 0 failure. */

/* Save claim.status: phase, and accessModes/capacity from volume (NULL:
 * cleared). *out (optional) gets the saved claim (new reference) or NULL. */
int k1s__pv_update_claim_status(k1s_ctrl *c, const json_t *claim, const char *phase,
                                const json_t *volume, json_t **out);
/* Save volume.status.phase (and message, NULL for none). */
int k1s__pv_update_volume_phase(k1s_ctrl *c, const json_t *volume, const char *phase,
                                const char *message, json_t **out);
/* Both of the above, plus an event when the phase really changes. */
int k1s__pv_update_claim_phase_event(k1s_ctrl *c, const json_t *claim, const char *phase,
                                     const char *type, const char *reason, const char *message);
int k1s__pv_update_volume_phase_event(k1s_ctrl *c, const json_t *volume, const char *phase,
                                      const char *type, const char *reason, const char *message);
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
const json_t *k1s__pv_find_match(k1s_ctrl *c, const json_t *claim, bool delay_binding);
/* Why the volume a claim names cannot serve it (kube's
 * checkVolumeSatisfyClaim): NULL when it can, else a static message. */
const char *k1s__pv_unsatisfied(const json_t *volume, const json_t *claim);
/* The default StorageClass (the newest of those marked default), or NULL. */
const json_t *k1s__pv_default_class(k1s_ctrl *c);

/* ---- the syncs ------------------------------------------------------------------- */

int k1s__pv_sync_claim(k1s_ctrl *c, const json_t *claim);   /* pv_claim.c */
int k1s__pv_sync_volume(k1s_ctrl *c, const json_t *volume); /* pv_volume.c */

#endif
