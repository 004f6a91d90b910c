/*
 * spec_volumes.c - making a pod's volumes ready on the host, one plugin
 * per source as kubelet's volume manager does: emptyDir, configMap,
 * secret, downwardAPI and projected live under the pod's directory
 * (<pod_dir>/volumes/kubernetes.io~<plugin>/<name>, kubelet's layout),
 * hostPath and a claim's bound PV are host paths used in place.
 *
 * Errors carry the text kubelet puts in its FailedMount events; the
 * containers meanwhile wait as "ContainerCreating".
 */
#include "spec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WAITING "ContainerCreating"

/* The plugins that keep data under the pod's directory. */
static const char *const pod_plugins[] = {"kubernetes.io~empty-dir", "kubernetes.io~configmap",
                                          "kubernetes.io~secret",    "kubernetes.io~downward-api",
                                          "kubernetes.io~projected", NULL};

/* <pod_dir>/volumes/<plugin>/<name>, its parents made 0750. */
static char *volume_dir(const char *pod_dir, const char *plugin, const char *name, char *err)
{
    char *parent = NULL, *dir = NULL;
    if (asprintf(&parent, "%s/volumes/%s", pod_dir, plugin) < 0) {
        k1s__spec_errf(err, "out of memory");
        return NULL;
    }
    if (k1s__spec_mkdir_p(parent, 0750) < 0)
        k1s__spec_errf(err, "mkdir %s: %s", parent, strerror(errno));
    else if (!(dir = k1s__spec_join(parent, name)))
        k1s__spec_errf(err, "out of memory");
    free(parent);
    return dir;
}

/* emptyDir semantics for the directory itself: 0777 whatever the umask,
 * so containers running as any user can write. */
static int make_world_dir(const char *dir, char *err)
{
    if (mkdir(dir, 0777) < 0 && errno != EEXIST)
        return k1s__spec_errf(err, "mkdir %s: %s", dir, strerror(errno));
    struct stat st;
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return k1s__spec_errf(err, "%s is not a directory", dir);
    if ((st.st_mode & 07777) != 0777 && chmod(dir, 0777) < 0)
        return k1s__spec_errf(err, "chmod %s: %s", dir, strerror(errno));
    return 0;
}

/* hostPath's type check (pkg/volume/hostpath checkTypeInternal). */
static int check_host_path(const char *path, const char *type, char *err)
{
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (!*type)
        return 0;
    if (!strcmp(type, "DirectoryOrCreate") && !exists) {
        if (k1s__spec_mkdir_p(path, 0755) < 0)
            return k1s__spec_errf(err, "mkdir %s: %s", path, strerror(errno));
        return 0;
    }
    if (!strcmp(type, "FileOrCreate") && !exists) {
        int fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
        if (fd < 0)
            return k1s__spec_errf(err, "open %s: %s", path, strerror(errno));
        fchmod(fd, 0644);
        close(fd);
        return 0;
    }
    if (!strcmp(type, "DirectoryOrCreate") || !strcmp(type, "Directory")) {
        if (!exists || !S_ISDIR(st.st_mode))
            return k1s__spec_errf(err, "hostPath type check failed: %s is not a directory", path);
    } else if (!strcmp(type, "FileOrCreate") || !strcmp(type, "File")) {
        if (!exists || !S_ISREG(st.st_mode))
            return k1s__spec_errf(err, "hostPath type check failed: %s is not a file", path);
    } else if (!strcmp(type, "Socket")) {
        if (!exists || !S_ISSOCK(st.st_mode))
            return k1s__spec_errf(err, "hostPath type check failed: %s is not a socket file", path);
    } else if (!strcmp(type, "CharDevice")) {
        if (!exists || !S_ISCHR(st.st_mode))
            return k1s__spec_errf(err, "hostPath type check failed: %s is not a character device",
                                  path);
    } else if (!strcmp(type, "BlockDevice")) {
        if (!exists || !S_ISBLK(st.st_mode))
            return k1s__spec_errf(err, "hostPath type check failed: %s is not a block device",
                                  path);
    } else {
        return k1s__spec_errf(err, "%s is an invalid volume type", type);
    }
    return 0;
}

/* A claim's PV: 0 with *path malloc'd and pv_name set, or -1 with *e. */
static int claim_path(const json_t *pod, const json_t *vol, const k1s_spec_lookup *lk, char **path,
                      k1s_spec_error *e)
{
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    const char *vname = k1s_json_str_or(vol, "name", "");
    const char *claim = k1s_json_str_or(vol, "persistentVolumeClaim.claimName", "");
    char why[K1S__SPEC_ERRLEN] = "";
    const json_t *pvc = lk && lk->get ? lk->get(lk->ctx, "PersistentVolumeClaim", ns, claim) : NULL;
    const json_t *pvc_meta = json_object_get(pvc, "metadata");
    const char *pv_name = k1s_json_str_or(pvc, "spec.volumeName", "");
    const json_t *pv = NULL;
    if (!pvc)
        snprintf(why, sizeof why,
                 "failed to fetch PVC from API server: persistentvolumeclaims \"%s\" not found",
                 claim);
    else if (json_object_get(pvc_meta, "deletionTimestamp"))
        snprintf(why, sizeof why, "can't start pod because PVC %s/%s is being deleted", ns, claim);
    else if (strcmp(k1s_json_str_or(pvc, "status.phase", ""), "Bound"))
        snprintf(why, sizeof why, "PVC is not bound");
    else if (!*pv_name)
        snprintf(why, sizeof why, "PVC has empty pvc.Spec.VolumeName");
    else if (!(pv = lk->get(lk->ctx, "PersistentVolume", "", pv_name)))
        snprintf(why, sizeof why,
                 "failed to fetch PV %s from API server: persistentvolumes \"%s\" not found",
                 pv_name, pv_name);
    else {
        const json_t *ref = json_object_get(json_object_get(pv, "spec"), "claimRef");
        const char *ruid = k1s_json_str_or(ref, "uid", "");
        const char *cuid = k1s_json_str_or(pvc_meta, "uid", "");
        if (!ref)
            snprintf(
                why, sizeof why,
                "found PV object %s but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim",
                pv_name);
        else if (*ruid && *cuid && strcmp(ruid, cuid))
            snprintf(
                why, sizeof why,
                "found PV object %s but its pv.Spec.ClaimRef.UID (%s) does not point to claim.UID (%s)",
                pv_name, ruid, cuid);
    }
    if (*why) {
        k1s__spec_fail(
            e, WAITING,
            "Unable to attach or mount volumes: unmounted volumes=[%s], "
            "unattached volumes=[], failed to process volumes=[%s]: error processing PVC %s/%s: %s",
            vname, vname, ns, claim, why);
        return -1;
    }
    const json_t *spec = json_object_get(pv, "spec");
    const json_t *hp = json_object_get(spec, "hostPath");
    const json_t *local = json_object_get(spec, "local");
    char err[K1S__SPEC_ERRLEN];
    struct stat st;
    if (hp) {
        const char *hpath = k1s_json_str_or(hp, "path", "");
        if (check_host_path(hpath, k1s_json_str_or(hp, "type", ""), err) < 0) {
            k1s__spec_fail(e, WAITING, "MountVolume.SetUp failed for volume \"%s\" : %s", pv_name,
                           err);
            return -1;
        }
        *path = strdup(hpath);
    } else if (local) {
        const char *lpath = k1s_json_str_or(local, "path", "");
        if (stat(lpath, &st) < 0) {
            k1s__spec_fail(
                e, WAITING,
                "MountVolume.NewMounter initialization failed for volume \"%s\" : path \"%s\" does not exist",
                pv_name, lpath);
            return -1;
        }
        *path = strdup(lpath);
    } else {
        k1s__spec_fail(
            e, WAITING,
            "MountVolume.SetUp failed for volume \"%s\" : k1s mounts only hostPath and local persistent volumes",
            pv_name);
        return -1;
    }
    if (!*path) {
        k1s__spec_fail(e, WAITING, "out of memory");
        return -1;
    }
    return 0;
}

/* A configMap's, secret's or downwardAPI's defaultMode (0644 if none). */
static int default_mode(const json_t *src)
{
    return (int)k1s_json_int(src, "defaultMode", 0644);
}

/* The sources whose files k1s writes: 0 with *path, or -1 with err. */
static int projected_volume(const json_t *pod, const json_t *vol, const char *pod_dir,
                            const k1s_spec_lookup *lk, char **path, char *err)
{
    const char *name = k1s_json_str_or(vol, "name", "");
    const json_t *src;
    const char *plugin;
    k1s__spec_payload p = K1S__SPEC_PAYLOAD;
    int rc;
    if ((src = json_object_get(vol, "configMap"))) {
        plugin = "kubernetes.io~configmap";
        rc = k1s__spec_payload_configmap(pod, src, lk, default_mode(src), &p, err);
    } else if ((src = json_object_get(vol, "secret"))) {
        plugin = "kubernetes.io~secret";
        rc = k1s__spec_payload_secret(pod, src, lk, default_mode(src), &p, err);
    } else if ((src = json_object_get(vol, "downwardAPI"))) {
        plugin = "kubernetes.io~downward-api";
        rc = k1s__spec_payload_downward(pod, src, lk, default_mode(src), &p, err);
    } else {
        src = json_object_get(vol, "projected");
        plugin = "kubernetes.io~projected";
        rc = k1s__spec_payload_projected(pod, src, lk, &p, err);
    }
    char *dir = rc < 0 ? NULL : volume_dir(pod_dir, plugin, name, err);
    if (dir && make_world_dir(dir, err) == 0 && k1s__spec_atomic_write(dir, &p, err) == 0) {
        *path = dir;
        dir = NULL;
    } else {
        rc = -1;
    }
    free(dir);
    k1s__spec_payload_free(&p);
    return rc;
}

/* One volume: 0 with *path malloc'd, or -1 with *e. */
static int one_volume(const json_t *pod, const json_t *vol, const char *pod_dir,
                      const k1s_spec_lookup *lk, char **path, k1s_spec_error *e)
{
    const char *name = k1s_json_str_or(vol, "name", "");
    char err[K1S__SPEC_ERRLEN] = "";
    const json_t *src;
    int rc = 0;
    *path = NULL;
    if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
        k1s__spec_fail(e, WAITING, "invalid volume name \"%s\"", name);
        return -1;
    }
    if (json_object_get(vol, "persistentVolumeClaim"))
        return claim_path(pod, vol, lk, path, e);
    if ((src = json_object_get(vol, "hostPath"))) {
        const char *hp = k1s_json_str_or(src, "path", "");
        rc = check_host_path(hp, k1s_json_str_or(src, "type", ""), err);
        if (rc == 0 && !(*path = strdup(hp)))
            rc = k1s__spec_errf(err, "out of memory");
    } else if (json_object_get(vol, "emptyDir")) {
        /* medium Memory is a plain directory too (see the docs) */
        *path = volume_dir(pod_dir, "kubernetes.io~empty-dir", name, err);
        rc = *path ? make_world_dir(*path, err) : -1;
    } else if (json_object_get(vol, "configMap") || json_object_get(vol, "secret") ||
               json_object_get(vol, "downwardAPI") || json_object_get(vol, "projected")) {
        rc = projected_volume(pod, vol, pod_dir, lk, path, err);
    } else {
        rc = k1s__spec_errf(err, "k1s does not support this volume source");
    }
    if (rc < 0) {
        free(*path);
        *path = NULL;
        k1s__spec_fail(e, WAITING, "MountVolume.SetUp failed for volume \"%s\" : %s", name, err);
    }
    return rc;
}

int k1s_spec_volumes(const json_t *pod, const char *pod_dir, const k1s_spec_lookup *lk,
                     json_t **paths, k1s_spec_error *e)
{
    *paths = json_object();
    if (!*paths) {
        k1s__spec_fail(e, WAITING, "out of memory");
        return -1;
    }
    size_t i;
    const json_t *vol;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), i, vol)
    {
        char *path;
        if (one_volume(pod, vol, pod_dir, lk, &path, e) < 0) {
            json_decref(*paths);
            *paths = NULL;
            return -1;
        }
        json_t *js = json_string(path); /* NULL when not UTF-8 */
        free(path);
        if (!js || json_object_set_new(*paths, k1s_json_str_or(vol, "name", ""), js) < 0) {
            k1s__spec_fail(e, WAITING,
                           "MountVolume.SetUp failed for volume \"%s\" : "
                           "the host path is not valid UTF-8",
                           k1s_json_str_or(vol, "name", ""));
            json_decref(*paths);
            *paths = NULL;
            return -1;
        }
    }
    return 0;
}

void k1s_spec_volumes_cleanup(const char *pod_dir)
{
    char *p;
    for (size_t i = 0; pod_plugins[i]; i++) {
        if (asprintf(&p, "%s/volumes/%s", pod_dir, pod_plugins[i]) < 0)
            continue;
        k1s__spec_remove_tree(p);
        free(p);
    }
    if (asprintf(&p, "%s/volumes", pod_dir) >= 0) {
        rmdir(p); /* only when nothing else is left */
        free(p);
    }
    if (asprintf(&p, "%s/etc-hosts", pod_dir) >= 0) {
        unlink(p);
        free(p);
    }
}
