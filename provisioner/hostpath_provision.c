/*
 * hostpath_provision.c - dynamic provisioning as an external provisioner
 * built on sig-storage-lib-external-provisioner does it: a claim the
 * persistentvolume-controller annotated with one of our provisioner names
 * gets a directory under the storage root and a PersistentVolume
 * pvc-<claim uid> pre-bound to it (the binder then completes the binding).
 * The volume's name is deterministic, so a restart or a retry never
 * provisions twice.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "hostpath_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "k1s_pv.h"

const char *const k1s__hostpath_names[] = {
    "docker.io/hostpath",
    "rancher.io/local-path",
    "k8s.io/minikube-hostpath",
    "microk8s.io/hostpath",
    NULL,
};

bool k1s__hostpath_known(const char *provisioner)
{
    for (const char *const *n = k1s__hostpath_names; provisioner && *n; n++)
        if (!strcmp(*n, provisioner))
            return true;
    return false;
}

void k1s__hostpath_component(k1s_ctrl *c, const char *provisioner, char *buf, size_t len)
{
    const char *node = k1s_ctrl_config(c)->node_name;
    snprintf(buf, len, "%s_%s", provisioner, node ? node : "k1s");
}

/* The node the volume lives on: the one the scheduler picked for a
 * WaitForFirstConsumer claim, else this node. */
static const char *target_node(k1s_ctrl *c, const json_t *claim)
{
    const char *sel = k1s_meta_annotation(claim, K1S_ANN_SELECTED_NODE);
    if (sel && *sel)
        return sel;
    const char *node = k1s_ctrl_config(c)->node_name;
    return node ? node : "k1s";
}

/* The PersistentVolume for claim (new reference, NULL when out of memory). */
static json_t *build_volume(k1s_ctrl *c, const json_t *claim, const json_t *class,
                            const char *provisioner, const char *pvname, const char *path)
{
    const json_t *cspec = json_object_get(claim, "spec");
    const json_t *request = json_object_get(
        json_object_get(json_object_get(cspec, "resources"), "requests"), "storage");
    const json_t *modes = json_object_get(cspec, "accessModes");
    const char *policy = json_string_value(json_object_get(class, "reclaimPolicy"));
    json_t *ref = k1s__pv_claim_ref(claim); /* new */
    json_t *pv = json_pack(
        "{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:{s:O}, s:{s:s, s:s}, s:O, s:o*, s:s, s:s, s:s,"
        " s:{s:{s:[{s:[{s:s, s:s, s:[s]}]}]}}}}",
        "apiVersion", "v1", "kind", "PersistentVolume", "metadata", "name", pvname, "annotations",
        K1S_ANN_PROVISIONED_BY, provisioner, "spec", "capacity", "storage", request, "hostPath",
        "path", path, "type", "DirectoryOrCreate", "accessModes", modes ? modes : json_null(),
        "claimRef", ref, "persistentVolumeReclaimPolicy", policy && *policy ? policy : "Delete",
        "storageClassName", k1s__pv_claim_class(claim), "volumeMode", "Filesystem", "nodeAffinity",
        "required", "nodeSelectorTerms", "matchExpressions", "key", "kubernetes.io/hostname",
        "operator", "In", "values", target_node(c, claim)); /* new */
    return pv;
}

/* What the library's shouldProvision asks: a claim without a volume,
 * annotated for us, of a class that is ours, and (WaitForFirstConsumer)
 * placed on a node. Returns the class, or NULL. */
static const json_t *should_provision(k1s_ctrl *c, const json_t *claim, const char **provisioner)
{
    if (*k1s_json_str_or(claim, "spec.volumeName", ""))
        return NULL;
    if (json_object_get(json_object_get(claim, "metadata"), "deletionTimestamp"))
        return NULL;
    const char *ann = k1s_meta_annotation(claim, K1S_ANN_STORAGE_PROVISIONER);
    if (!ann)
        ann = k1s_meta_annotation(claim, K1S_ANN_BETA_STORAGE_PROVISIONER);
    if (!k1s__hostpath_known(ann))
        return NULL;
    const json_t *class = k1s__pv_class(c, k1s__pv_claim_class(claim));
    const char *prov = json_string_value(json_object_get(class, "provisioner"));
    if (!class || !k1s__hostpath_known(prov))
        return NULL;
    const char *mode = json_string_value(json_object_get(class, "volumeBindingMode"));
    if (mode && !strcmp(mode, "WaitForFirstConsumer")) {
        const char *node = k1s_meta_annotation(claim, K1S_ANN_SELECTED_NODE);
        if (!node || !*node)
            return NULL;
    }
    *provisioner = prov;
    return class;
}

/* The scheduler picked a node that is gone: drop its choice so it picks
 * again, as the library's rescheduleProvisioning does. */
static int reschedule(k1s_ctrl *c, const json_t *claim)
{
    json_t *copy = json_deep_copy(claim); /* new */
    json_t *ann = json_object_get(json_object_get(copy, "metadata"), "annotations");
    json_object_del(ann, K1S_ANN_SELECTED_NODE);
    int code = k1s_ctrl_update(c, "", "PersistentVolumeClaim", k1s_meta(claim, "namespace"), NULL,
                               copy, NULL);
    json_decref(copy);
    return code == 0 || code == 404 ? 0 : code == 409 ? K1S_PV_RETRY_MS : -1;
}

int k1s__hostpath_provision(k1s_ctrl *c, k1s__hostpath *hp, const json_t *claim)
{
    const char *prov = NULL;
    const json_t *class = should_provision(c, claim, &prov);
    if (!class)
        return 0;
    const char *ns = k1s_meta(claim, "namespace");
    const char *name = k1s_meta(claim, "name");
    const char *uid = k1s_meta(claim, "uid");
    const char *cname = k1s_meta(class, "name");
    if (!ns || !name || !uid || !cname)
        return 0;
    char pvname[320];
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    /* already provisioned (the cache may lag behind our own create) */
    k1s_informer *pvs = k1s_ctrl_informer(c, "", "PersistentVolume");
    if (pvs && k1s_informer_get(pvs, "", pvname))
        return 0;
    json_t *existing = NULL; /* new */
    int code = k1s__pv_get_live(c, "PersistentVolume", NULL, pvname, &existing);
    json_decref(existing);
    if (code == 0)
        return 0;
    if (code != 404)
        return -1;

    char component[320];
    k1s__hostpath_component(c, prov, component, sizeof component);
    if (!strcmp(k1s__pv_volume_mode(claim), "Block")) {
        k1s_ctrl_event(c, component, claim, "Warning", "ProvisioningFailed",
                       "%s does not support block volume provisioning", prov);
        return 0;
    }
    const char *sel = k1s_meta_annotation(claim, K1S_ANN_SELECTED_NODE);
    if (sel && *sel) {
        k1s_informer *nodes = k1s_ctrl_informer(c, "", "Node");
        if (nodes && !k1s_informer_get(nodes, "", sel)) {
            k1s_ctrl_event(c, component, claim, "Warning", "ProvisioningFailed",
                           "nodes \"%s\" not found", sel);
            return reschedule(c, claim);
        }
    }
    k1s_ctrl_event(c, component, claim, "Normal", "Provisioning",
                   "External provisioner is provisioning volume for claim \"%s/%s\"", ns, name);
    k1s_quantity req;
    if (k1s__pv_request(claim, &req) != 0) {
        k1s_ctrl_event(
            c, component, claim, "Warning", "ProvisioningFailed",
            "failed to provision volume with StorageClass \"%s\": claim has no storage request",
            cname);
        return 0;
    }
    char dir[NAME_MAX + 1], err[512], path[PATH_MAX];
    if (k1s__hostpath_dir_name(dir, sizeof dir, ns, name, pvname) != 0) {
        k1s_ctrl_event(
            c, component, claim, "Warning", "ProvisioningFailed",
            "failed to provision volume with StorageClass \"%s\": claim name cannot name a directory",
            cname);
        return 0;
    }
    if (k1s__hostpath_mkdir(hp, dir, err, sizeof err) != 0 ||
        snprintf(path, sizeof path, "%s/%s", hp->root, dir) >= (int)sizeof path) {
        k1s_ctrl_event(c, component, claim, "Warning", "ProvisioningFailed",
                       "failed to provision volume with StorageClass \"%s\": %s", cname, err);
        return -1;
    }
    json_t *pv = build_volume(c, claim, class, prov, pvname, path); /* new */
    if (!pv)
        return -1;
    code = k1s_ctrl_create(c, "", "PersistentVolume", NULL, pv, NULL);
    json_decref(pv);
    if (code != 0 && code != 409)
        return -1; /* the directory stays and is reused by the retry */
    k1s_ctrl_event(c, component, claim, "Normal", "ProvisioningSucceeded",
                   "Successfully provisioned volume %s", pvname);
    return 0;
}
