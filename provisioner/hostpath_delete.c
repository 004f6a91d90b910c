/*
 * hostpath_delete.c - the delete half of the hostpath provisioner: a
 * volume it provisioned, Released with reclaim policy Delete, loses its
 * directory and then its PersistentVolume object. Only the directory
 * this provisioner would have made for that volume's claim, directly
 * under its root, is ever removed; anything else is refused with a
 * VolumeFailedDelete event and the volume is left as it is.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "hostpath_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "k1s_pv.h"

/* What the library's shouldDelete asks. */
static bool should_delete(const json_t *volume)
{
    if (!k1s__hostpath_known(k1s_meta_annotation(volume, K1S_ANN_PROVISIONED_BY)))
        return false;
    if (json_object_get(json_object_get(volume, "metadata"), "deletionTimestamp"))
        return false;
    return !strcmp(k1s_json_str_or(volume, "status.phase", ""), "Released") &&
           !strcmp(k1s_json_str_or(volume, "spec.persistentVolumeReclaimPolicy", ""), "Delete");
}

/* The directory name this provisioner made for volume, if its hostPath
 * is exactly that name under the root. 0 or -1. */
static int own_directory(const k1s__hostpath *hp, const json_t *volume, char *dir, size_t len)
{
    const json_t *spec = json_object_get(volume, "spec");
    const json_t *ref = json_object_get(spec, "claimRef");
    const char *path =
        json_string_value(json_object_get(json_object_get(spec, "hostPath"), "path"));
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    const char *claim = json_string_value(json_object_get(ref, "name"));
    const char *pvname = k1s_meta(volume, "name");
    if (!hp->root || !path || !pvname || k1s__hostpath_dir_name(dir, len, ns, claim, pvname) != 0)
        return -1;
    size_t rl = strlen(hp->root);
    if (strncmp(path, hp->root, rl) != 0 || path[rl] != '/' || strcmp(path + rl + 1, dir) != 0)
        return -1;
    return 0;
}

int k1s__hostpath_delete(k1s_ctrl *c, k1s__hostpath *hp, const json_t *volume)
{
    if (!should_delete(volume))
        return 0;
    const char *pvname = k1s_meta(volume, "name");
    const char *uid = k1s_meta(volume, "uid");
    if (!pvname || !uid)
        return 0;
    /* data goes for good: decide on the stored object, not the cache */
    json_t *live = NULL; /* new */
    int code = k1s__pv_get_live(c, "PersistentVolume", NULL, pvname, &live);
    if (code != 0) {
        json_decref(live);
        return code == 404 ? 0 : -1;
    }
    const char *luid = k1s_meta(live, "uid");
    bool still = luid && !strcmp(luid, uid) && should_delete(live);
    json_decref(live);
    if (!still)
        return 0; /* its change is on its way through the watch */

    char component[320];
    k1s__hostpath_component(c, k1s_meta_annotation(volume, K1S_ANN_PROVISIONED_BY), component,
                            sizeof component);
    char dir[NAME_MAX + 1], err[512];
    if (own_directory(hp, volume, dir, sizeof dir) != 0) {
        const char *path = json_string_value(
            json_object_get(json_object_get(json_object_get(volume, "spec"), "hostPath"), "path"));
        k1s_ctrl_event(c, component, volume, "Warning", "VolumeFailedDelete",
                       "refusing to delete %s: not a directory this provisioner created under %s",
                       path ? path : "(no hostPath)", hp->root ? hp->root : "its root");
        return 0;
    }
    if (k1s__hostpath_rmtree(hp, dir, err, sizeof err) != 0) {
        k1s_ctrl_event(c, component, volume, "Warning", "VolumeFailedDelete",
                       "failed to delete volume %s: %s", pvname, err);
        return -1;
    }
    code = k1s_ctrl_delete(c, "", "PersistentVolume", NULL, pvname, -1, uid);
    return code == 0 || code == 404 ? 0 : code == 409 ? K1S_PV_RETRY_MS : -1;
}
