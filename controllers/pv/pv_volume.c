/*
 * pv_volume.c - the persistentvolume-controller's sync of one volume: an
 * unclaimed or merely reserved volume is Available, one whose claim is
 * bound to it is Bound, one whose claim is gone is Released and its
 * reclaim policy applied (Retain keeps it; Delete is left to the external
 * provisioner that made it; k1s deletes no data it did not provision).
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "pv_internal.h"

#include <stdio.h>
#include <string.h>

static bool released_or_failed(const json_t *volume)
{
    const char *p = k1s_json_str_or(volume, "status.phase", "");
    return !strcmp(p, "Released") || !strcmp(p, "Failed");
}

/* Provisioned by something outside this controller (not an in-tree
 * kubernetes.io/ plugin): that provisioner deletes it. */
static bool external_deleter(const json_t *volume)
{
    const char *prov = k1s_meta_annotation(volume, K1S_ANN_PROVISIONED_BY);
    return prov && *prov && strncmp(prov, "kubernetes.io/", 14) != 0;
}

static int reclaim(k1s_ctrl *c, const json_t *volume)
{
    const char *policy = k1s_json_str_or(volume, "spec.persistentVolumeReclaimPolicy", "");
    if (!*policy || !strcmp(policy, "Retain"))
        return 0;
    if (!strcmp(policy, "Recycle"))
        return k1s__pv_update_volume_phase_event(c, volume, "Failed", "Warning",
                                                 "VolumeFailedRecycle",
                                                 "No recycler plugin found for the volume!");
    if (!strcmp(policy, "Delete")) {
        if (external_deleter(volume))
            return 0;
        char msg[512];
        snprintf(
            msg, sizeof msg,
            "error getting deleter volume plugin for volume \"%s\": no deletable volume plugin matched",
            k1s_meta(volume, "name"));
        return k1s__pv_update_volume_phase_event(c, volume, "Failed", "Warning",
                                                 "VolumeFailedDelete", msg);
    }
    return k1s__pv_update_volume_phase_event(
        c, volume, "Failed", "Warning", "VolumeUnknownReclaimPolicy",
        "Volume has unrecognized PersistentVolumeReclaimPolicy");
}

/* Released (unless already Released or Failed), then the reclaim policy. */
static int release(k1s_ctrl *c, const json_t *volume)
{
    json_t *saved = NULL; /* new */
    int rc = 0;
    if (!released_or_failed(volume)) {
        rc = k1s__pv_update_volume_phase(c, volume, "Released", NULL, &saved);
        if (rc != 0)
            goto cleanup;
    }
    rc = reclaim(c, saved ? saved : volume);
cleanup:
    json_decref(saved);
    return rc;
}

/* The claim the volume's claimRef names, if it is still that claim
 * (same uid). The cache may lag behind a claim that was just created or
 * re-created, so absence or a different uid is confirmed with the API.
 * 0 with *claim (borrowed from the cache or *live) or NULL; -1 on error. */
static int find_claim(k1s_ctrl *c, const json_t *volume, const json_t *ref, const json_t **claim,
                      json_t **live)
{
    *claim = NULL;
    *live = NULL;
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *ruid = json_string_value(json_object_get(ref, "uid"));
    if (!ns || !name || !ruid)
        return 0;
    k1s_informer *pvcs = k1s_ctrl_informer(c, "", "PersistentVolumeClaim");
    const json_t *cached = pvcs ? k1s_informer_get(pvcs, ns, name) : NULL;
    const char *uid = cached ? k1s_meta(cached, "uid") : NULL;
    if (cached && uid && !strcmp(uid, ruid)) {
        *claim = cached;
        return 0;
    }
    if (!cached && released_or_failed(volume))
        return 0; /* already released: nothing to confirm */
    int code = k1s__pv_get_live(c, "PersistentVolumeClaim", ns, name, live);
    if (code == 404)
        return 0;
    if (code != 0)
        return -1;
    uid = k1s_meta(*live, "uid");
    if (uid && !strcmp(uid, ruid))
        *claim = *live;
    return 0;
}

int k1s__pv_sync_volume(k1s_ctrl *c, const json_t *volume)
{
    const json_t *ref = json_object_get(json_object_get(volume, "spec"), "claimRef");
    const char *ruid = json_string_value(json_object_get(ref, "uid"));
    /* unclaimed, or reserved for a claim whose sync will finish the job */
    if (!json_is_object(ref) || !ruid || !*ruid)
        return k1s__pv_update_volume_phase(c, volume, "Available", NULL, NULL);
    const json_t *claim = NULL;
    json_t *live = NULL; /* new */
    int rc = find_claim(c, volume, ref, &claim, &live);
    if (rc != 0)
        goto cleanup;
    const char *vname = k1s_meta(volume, "name");
    if (!claim) {
        rc = release(c, volume);
        goto cleanup;
    }
    const char *cvol = k1s_json_str_or(claim, "spec.volumeName", "");
    if (!*cvol) {
        /* the claim's own sync binds it (the volume's change queued it) */
        if (strcmp(k1s__pv_volume_mode(volume), k1s__pv_volume_mode(claim)) != 0) {
            k1s_ctrl_event(
                c, K1S_PV_COMPONENT, volume, "Warning", "VolumeMismatch",
                "Cannot bind PersistentVolume to requested PersistentVolumeClaim \"%s\" due to incompatible volumeMode.",
                k1s_meta(claim, "name"));
            k1s_ctrl_event(
                c, K1S_PV_COMPONENT, claim, "Warning", "VolumeMismatch",
                "Cannot bind PersistentVolume \"%s\" to requested PersistentVolumeClaim due to incompatible volumeMode.",
                vname);
        }
        rc = 0;
    } else if (vname && !strcmp(cvol, vname)) {
        rc = k1s__pv_update_volume_phase(c, volume, "Bound", NULL, NULL);
    } else if (k1s_meta_annotation(volume, K1S_ANN_PROVISIONED_BY) &&
               !strcmp(k1s_json_str_or(volume, "spec.persistentVolumeReclaimPolicy", ""),
                       "Delete")) {
        /* provisioned for a claim that got another volume: not needed */
        rc = release(c, volume);
    } else {
        rc = k1s__pv_unbind_volume(c, volume);
    }
cleanup:
    json_decref(live);
    return rc;
}
