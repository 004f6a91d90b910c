/*
 * kinds_storage.c - tables of the volume kinds: PersistentVolume and
 * PersistentVolumeClaim (core), and storage.k8s.io StorageClass (with the
 * " (default)" name suffix), VolumeAttributesClass, VolumeAttachment,
 * CSINode, CSIDriver and CSIStorageCapacity.
 */
#include "tables_int.h"

#include <string.h>

/* The beta annotation still overrides storageClassName when present. */
#define BETA_CLASS_ANNOTATION "volume.beta.kubernetes.io/storage-class"

static bool annotation_true(const json_t *o, const char *key)
{
    const char *v = k1s_meta_annotation(o, key);
    return v && strcmp(v, "true") == 0;
}

/* Phase, or Terminating once deletion started. */
static json_t *volume_phase(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    if (k1s_json_at(o, "metadata.deletionTimestamp"))
        return json_string("Terminating");
    return k1s__tb_jstr(k1s_json_str(o, "status.phase"));
}

static json_t *storage_class(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    /* keys hold dots: no dotted path */
    const json_t *ann =
        json_object_get(k1s_json_at(o, "metadata.annotations"), BETA_CLASS_ANNOTATION);
    if (ann && !json_is_null(ann))
        return k1s__tb_jstr(json_is_string(ann) ? json_string_value(ann) : "");
    return k1s__tb_jstr(k1s_json_str(o, "spec.storageClassName"));
}

/* ---- PersistentVolume ----------------------------------------------------------- */

/* The access modes at path, abbreviated. */
static json_t *access_modes(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)now;
    return k1s__tb_jaccess_modes(k1s_json_at(o, cell->path));
}

static const k1s__tb_column pv_columns[] = {
    K1S__COL_NAME,
    {"Capacity", "string", "", 0, "Storage size of the volume.",
     K1S__QUANTITY("spec.capacity.storage", "0")},
    {"Access Modes", "string", "", 0, "How the volume can be mounted.",
     K1S__FN_AT(access_modes, "spec.accessModes", NULL)},
    {"Reclaim Policy", "string", "", 0, "What happens to the volume when its claim is deleted.",
     K1S__STR("spec.persistentVolumeReclaimPolicy")},
    {"Status", "string", "", 0, "The volume's phase.", K1S__FN(volume_phase)},
    {"Claim", "string", "", 0, "The claim bound to the volume (namespace/name).",
     K1S__PAIR("spec.claimRef", "namespace/name", "")},
    {"StorageClass", "string", "", 0, "StorageClass of the volume.", K1S__FN(storage_class)},
    {"VolumeAttributesClass", "string", "", 0, "VolumeAttributesClass of the volume.",
     K1S__STR_OR("spec.volumeAttributesClassName", "<unset>")},
    {"Reason", "string", "", 0, "Why the volume is in its phase.", K1S__STR("status.reason")},
    K1S__COL_AGE,
    {"VolumeMode", "string", "", 1, "Filesystem or Block.",
     K1S__STR_OR("spec.volumeMode", "<unset>")},
};

/* ---- PersistentVolumeClaim --------------------------------------------------------- */

static bool pvc_bound_to_volume(const json_t *o)
{
    return k1s__tb_nonempty(k1s_json_str(o, "spec.volumeName"));
}

static json_t *pvc_capacity(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    if (!pvc_bound_to_volume(o))
        return json_string("");
    return k1s__tb_jquantity(k1s_json_at(o, "status.capacity.storage"));
}

static json_t *pvc_access_modes(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    if (!pvc_bound_to_volume(o))
        return json_string("");
    return k1s__tb_jaccess_modes(k1s_json_at(o, "status.accessModes"));
}

static const k1s__tb_column pvc_columns[] = {
    K1S__COL_NAME,
    {"Status", "string", "", 0, "The claim's phase.", K1S__FN(volume_phase)},
    {"Volume", "string", "", 0, "The volume bound to the claim.", K1S__STR("spec.volumeName")},
    {"Capacity", "string", "", 0, "Storage size of the bound volume.", K1S__FN(pvc_capacity)},
    {"Access Modes", "string", "", 0, "How the bound volume can be mounted.",
     K1S__FN(pvc_access_modes)},
    {"StorageClass", "string", "", 0, "StorageClass of the claim.", K1S__FN(storage_class)},
    {"VolumeAttributesClass", "string", "", 0, "VolumeAttributesClass of the claim.",
     K1S__STR_OR("spec.volumeAttributesClassName", "<unset>")},
    K1S__COL_AGE,
    {"VolumeMode", "string", "", 1, "Filesystem or Block.",
     K1S__STR_OR("spec.volumeMode", "<unset>")},
};

/* ---- StorageClass, VolumeAttributesClass ------------------------------------------ */

static json_t *name_with_default(const json_t *o, bool is_default)
{
    k1s_buf sb = K1S__CELL_BUF;
    k1s_buf_adds(&sb, k1s_json_str_or(o, "metadata.name", ""));
    if (is_default)
        k1s_buf_adds(&sb, " (default)");
    return k1s__tb_jbuf(&sb);
}

static json_t *sc_name(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    return name_with_default(
        o, annotation_true(o, "storageclass.kubernetes.io/is-default-class") ||
               annotation_true(o, "storageclass.beta.kubernetes.io/is-default-class"));
}

static const k1s__tb_column storageclass_columns[] = {
    {"Name", "string", "name", 0, K1S__DESC_NAME, K1S__FN(sc_name)},
    {"Provisioner", "string", "", 0, "The volume plugin that provisions volumes.",
     K1S__STR("provisioner")},
    {"ReclaimPolicy", "string", "", 0, "Reclaim policy of provisioned volumes.",
     K1S__STR_OR("reclaimPolicy", "Delete")},
    {"VolumeBindingMode", "string", "", 0, "When claims are bound and provisioned.",
     K1S__STR_OR("volumeBindingMode", "Immediate")},
    {"AllowVolumeExpansion", "string", "", 0, "Whether claims may grow.",
     K1S__BOOL("allowVolumeExpansion", 0)},
    K1S__COL_AGE,
};

static json_t *vac_name(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    return name_with_default(
        o, annotation_true(o, "volumeattributesclass.alpha.kubernetes.io/is-default-class"));
}

static const k1s__tb_column vac_columns[] = {
    {"Name", "string", "name", 0, K1S__DESC_NAME, K1S__FN(vac_name)},
    {"DriverName", "string", "", 0, "The CSI driver the attributes are for.",
     K1S__STR("driverName")},
    K1S__COL_AGE,
};

/* ---- VolumeAttachment, CSINode, CSIDriver, CSIStorageCapacity -------------------- */

static const k1s__tb_column volumeattachment_columns[] = {
    K1S__COL_NAME,
    /* kube marks this column with the name format too */
    {"Attacher", "string", "name", 0, "The volume driver that attaches.",
     K1S__STR("spec.attacher")},
    {"PV", "string", "", 0, "The persistent volume attached.",
     K1S__STR("spec.source.persistentVolumeName")},
    {"Node", "string", "", 0, "The node the volume is attached to.", K1S__STR("spec.nodeName")},
    {"Attached", "boolean", "", 0, "Whether the attach succeeded.",
     K1S__BOOL("status.attached", 0)},
    K1S__COL_AGE,
};

static const k1s__tb_column csinode_columns[] = {
    K1S__COL_NAME,
    {"Drivers", "integer", "", 0, "Number of CSI drivers registered on the node.",
     K1S__COUNT("spec.drivers")},
    K1S__COL_AGE,
};

/* Audiences, "<unset>" without a list: kube tells an empty list from none. */
static json_t *csi_tokens(const json_t *o, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    const json_t *reqs = k1s__tb_array(o, "spec.tokenRequests");
    k1s_buf sb = K1S__CELL_BUF;
    if (!reqs)
        return json_string("<unset>");
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        if (i)
            k1s_buf_adds(&sb, ",");
        k1s_buf_adds(&sb, k1s_json_str_or(json_array_get(reqs, i), "audience", ""));
    }
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column csidriver_columns[] = {
    K1S__COL_NAME,
    {"AttachRequired", "boolean", "", 0, "Whether volumes need an attach step.",
     K1S__BOOL("spec.attachRequired", 1)},
    {"PodInfoOnMount", "boolean", "", 0, "Whether mounts get pod information.",
     K1S__BOOL("spec.podInfoOnMount", 0)},
    {"StorageCapacity", "boolean", "", 0, "Whether the driver reports capacity.",
     K1S__BOOL("spec.storageCapacity", 0)},
    {"TokenRequests", "string", "", 0, "Audiences of the service account tokens passed.",
     K1S__FN(csi_tokens)},
    {"RequiresRepublish", "boolean", "", 0, "Whether volumes are remounted periodically.",
     K1S__BOOL("spec.requiresRepublish", 0)},
    {"Modes", "string", "", 0, "Volume lifecycle modes the driver supports.",
     K1S__LIST("spec.volumeLifecycleModes", NULL, "<none>")},
    K1S__COL_AGE,
};

static const k1s__tb_column csistoragecapacity_columns[] = {
    K1S__COL_NAME,
    {"StorageClassName", "string", "", 0, "The storage class the capacity is for.",
     K1S__STR("storageClassName")},
    {"Capacity", "string", "", 0, "Capacity available for new volumes.",
     K1S__QUANTITY("capacity", "<unset>")},
};

/* ---- the kinds ------------------------------------------------------------------ */

#define KIND(group, kind, cols)                         \
    {                                                   \
        group, kind, cols, K1S__NCOLS(cols), NULL, NULL \
    }

const k1s__tb_kind_table k1s__tb_kinds_storage[] = {
    KIND("", "PersistentVolume", pv_columns),
    KIND("", "PersistentVolumeClaim", pvc_columns),
    KIND("storage.k8s.io", "StorageClass", storageclass_columns),
    KIND("storage.k8s.io", "VolumeAttributesClass", vac_columns),
    KIND("storage.k8s.io", "VolumeAttachment", volumeattachment_columns),
    KIND("storage.k8s.io", "CSINode", csinode_columns),
    KIND("storage.k8s.io", "CSIDriver", csidriver_columns),
    KIND("storage.k8s.io", "CSIStorageCapacity", csistoragecapacity_columns),
};
const size_t k1s__tb_kinds_storage_count = K1S__NCOLS(k1s__tb_kinds_storage);
