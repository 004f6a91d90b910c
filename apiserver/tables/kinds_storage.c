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
static json_t *volume_phase(const json_t *o)
{
    if (k1s_json_at(o, "metadata.deletionTimestamp"))
        return json_string("Terminating");
    return k1s__tb_jstr(k1s_json_str(o, "status.phase"));
}

static json_t *storage_class_of(const json_t *o)
{
    /* keys hold dots: no dotted path */
    const json_t *ann = json_object_get(k1s_json_at(o, "metadata.annotations"), BETA_CLASS_ANNOTATION);
    if (ann && !json_is_null(ann))
        return k1s__tb_jstr(json_is_string(ann) ? json_string_value(ann) : "");
    return k1s__tb_jstr(k1s_json_str(o, "spec.storageClassName"));
}

static json_t *str_or_unset(const json_t *o, const char *path)
{
    return k1s__tb_jstr(k1s_json_str_or(o, path, "<unset>"));
}

/* ---- PersistentVolume ----------------------------------------------------------- */

static json_t *pv_capacity(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jquantity(k1s_json_at(o, "spec.capacity.storage"));
}

static json_t *pv_access_modes(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jaccess_modes(k1s_json_at(o, "spec.accessModes"));
}

static json_t *pv_reclaim(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "spec.persistentVolumeReclaimPolicy"));
}

static json_t *phase_cell(const json_t *o, time_t now)
{
    (void)now;
    return volume_phase(o);
}

static json_t *pv_claim(const json_t *o, time_t now)
{
    (void)now;
    const json_t *ref = k1s_json_at(o, "spec.claimRef");
    k1s_buf sb = K1S__CELL_BUF;
    if (!json_is_object(ref))
        return json_string("");
    k1s_buf_adds(&sb, k1s_json_str_or(ref, "namespace", ""));
    k1s_buf_adds(&sb, "/");
    k1s_buf_adds(&sb, k1s_json_str_or(ref, "name", ""));
    return k1s__tb_jbuf(&sb);
}

static json_t *class_cell(const json_t *o, time_t now)
{
    (void)now;
    return storage_class_of(o);
}

static json_t *vac_name_cell(const json_t *o, time_t now)
{
    (void)now;
    return str_or_unset(o, "spec.volumeAttributesClassName");
}

static json_t *pv_reason(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "status.reason"));
}

static json_t *volume_mode(const json_t *o, time_t now)
{
    (void)now;
    return str_or_unset(o, "spec.volumeMode");
}

static const k1s__tb_column pv_columns[] = {
    K1S__COL_NAME,
    {"Capacity", "string", "", 0, "Storage size of the volume.", pv_capacity},
    {"Access Modes", "string", "", 0, "How the volume can be mounted.", pv_access_modes},
    {"Reclaim Policy", "string", "", 0, "What happens to the volume when its claim is deleted.",
     pv_reclaim},
    {"Status", "string", "", 0, "The volume's phase.", phase_cell},
    {"Claim", "string", "", 0, "The claim bound to the volume (namespace/name).", pv_claim},
    {"StorageClass", "string", "", 0, "StorageClass of the volume.", class_cell},
    {"VolumeAttributesClass", "string", "", 0, "VolumeAttributesClass of the volume.",
     vac_name_cell},
    {"Reason", "string", "", 0, "Why the volume is in its phase.", pv_reason},
    K1S__COL_AGE,
    {"VolumeMode", "string", "", 1, "Filesystem or Block.", volume_mode},
};

/* ---- PersistentVolumeClaim --------------------------------------------------------- */

static bool pvc_bound_to_volume(const json_t *o)
{
    return k1s__tb_nonempty(k1s_json_str(o, "spec.volumeName"));
}

static json_t *pvc_volume(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "spec.volumeName"));
}

static json_t *pvc_capacity(const json_t *o, time_t now)
{
    (void)now;
    if (!pvc_bound_to_volume(o))
        return json_string("");
    return k1s__tb_jquantity(k1s_json_at(o, "status.capacity.storage"));
}

static json_t *pvc_access_modes(const json_t *o, time_t now)
{
    (void)now;
    if (!pvc_bound_to_volume(o))
        return json_string("");
    return k1s__tb_jaccess_modes(k1s_json_at(o, "status.accessModes"));
}

static const k1s__tb_column pvc_columns[] = {
    K1S__COL_NAME,
    {"Status", "string", "", 0, "The claim's phase.", phase_cell},
    {"Volume", "string", "", 0, "The volume bound to the claim.", pvc_volume},
    {"Capacity", "string", "", 0, "Storage size of the bound volume.", pvc_capacity},
    {"Access Modes", "string", "", 0, "How the bound volume can be mounted.", pvc_access_modes},
    {"StorageClass", "string", "", 0, "StorageClass of the claim.", class_cell},
    {"VolumeAttributesClass", "string", "", 0, "VolumeAttributesClass of the claim.",
     vac_name_cell},
    K1S__COL_AGE,
    {"VolumeMode", "string", "", 1, "Filesystem or Block.", volume_mode},
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

static json_t *sc_name(const json_t *o, time_t now)
{
    (void)now;
    return name_with_default(o, annotation_true(o, "storageclass.kubernetes.io/is-default-class") ||
                                    annotation_true(o, "storageclass.beta.kubernetes.io/is-default-class"));
}

static json_t *sc_provisioner(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "provisioner"));
}

static json_t *sc_reclaim(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str_or(o, "reclaimPolicy", "Delete"));
}

static json_t *sc_binding(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str_or(o, "volumeBindingMode", "Immediate"));
}

static json_t *sc_expansion(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jbool(k1s_json_bool(o, "allowVolumeExpansion", false));
}

static const k1s__tb_column storageclass_columns[] = {
    {"Name", "string", "name", 0, K1S__DESC_NAME, sc_name},
    {"Provisioner", "string", "", 0, "The volume plugin that provisions volumes.",
     sc_provisioner},
    {"ReclaimPolicy", "string", "", 0, "Reclaim policy of provisioned volumes.", sc_reclaim},
    {"VolumeBindingMode", "string", "", 0, "When claims are bound and provisioned.",
     sc_binding},
    {"AllowVolumeExpansion", "string", "", 0, "Whether claims may grow.", sc_expansion},
    K1S__COL_AGE,
};

static json_t *vac_name(const json_t *o, time_t now)
{
    (void)now;
    return name_with_default(
        o, annotation_true(o, "volumeattributesclass.alpha.kubernetes.io/is-default-class"));
}

static json_t *vac_driver(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "driverName"));
}

static const k1s__tb_column vac_columns[] = {
    {"Name", "string", "name", 0, K1S__DESC_NAME, vac_name},
    {"DriverName", "string", "", 0, "The CSI driver the attributes are for.", vac_driver},
    K1S__COL_AGE,
};

/* ---- VolumeAttachment, CSINode, CSIDriver, CSIStorageCapacity -------------------- */

static json_t *va_attacher(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "spec.attacher"));
}

static json_t *va_pv(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "spec.source.persistentVolumeName"));
}

static json_t *va_node(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "spec.nodeName"));
}

static json_t *va_attached(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jbool(k1s_json_bool(o, "status.attached", false));
}

static const k1s__tb_column volumeattachment_columns[] = {
    K1S__COL_NAME,
    /* kube marks this column with the name format too */
    {"Attacher", "string", "name", 0, "The volume driver that attaches.", va_attacher},
    {"PV", "string", "", 0, "The persistent volume attached.", va_pv},
    {"Node", "string", "", 0, "The node the volume is attached to.", va_node},
    {"Attached", "boolean", "", 0, "Whether the attach succeeded.", va_attached},
    K1S__COL_AGE,
};

static json_t *csinode_drivers(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jint((long long)k1s__tb_count(o, "spec.drivers"));
}

static const k1s__tb_column csinode_columns[] = {
    K1S__COL_NAME,
    {"Drivers", "integer", "", 0, "Number of CSI drivers registered on the node.",
     csinode_drivers},
    K1S__COL_AGE,
};

static json_t *csi_attach(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jbool(k1s_json_bool(o, "spec.attachRequired", true));
}

static json_t *csi_podinfo(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jbool(k1s_json_bool(o, "spec.podInfoOnMount", false));
}

static json_t *csi_capacity(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jbool(k1s_json_bool(o, "spec.storageCapacity", false));
}

static json_t *csi_tokens(const json_t *o, time_t now)
{
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

static json_t *csi_republish(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jbool(k1s_json_bool(o, "spec.requiresRepublish", false));
}

static json_t *csi_modes(const json_t *o, time_t now)
{
    (void)now;
    const json_t *modes = k1s__tb_array(o, "spec.volumeLifecycleModes");
    k1s_buf sb = K1S__CELL_BUF;
    for (size_t i = 0; i < json_array_size(modes); i++) {
        const json_t *m = json_array_get(modes, i);
        if (i)
            k1s_buf_adds(&sb, ",");
        k1s_buf_adds(&sb, json_is_string(m) ? json_string_value(m) : "");
    }
    if (sb.len == 0)
        k1s_buf_adds(&sb, "<none>");
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column csidriver_columns[] = {
    K1S__COL_NAME,
    {"AttachRequired", "boolean", "", 0, "Whether volumes need an attach step.", csi_attach},
    {"PodInfoOnMount", "boolean", "", 0, "Whether mounts get pod information.", csi_podinfo},
    {"StorageCapacity", "boolean", "", 0, "Whether the driver reports capacity.",
     csi_capacity},
    {"TokenRequests", "string", "", 0, "Audiences of the service account tokens passed.",
     csi_tokens},
    {"RequiresRepublish", "boolean", "", 0, "Whether volumes are remounted periodically.",
     csi_republish},
    {"Modes", "string", "", 0, "Volume lifecycle modes the driver supports.", csi_modes},
    K1S__COL_AGE,
};

static json_t *csc_class(const json_t *o, time_t now)
{
    (void)now;
    return k1s__tb_jstr(k1s_json_str(o, "storageClassName"));
}

static json_t *csc_capacity(const json_t *o, time_t now)
{
    (void)now;
    k1s_buf sb = K1S__CELL_BUF;
    k1s__tb_sb_quantity(&sb, k1s_json_at(o, "capacity"), "<unset>");
    return k1s__tb_jbuf(&sb);
}

static const k1s__tb_column csistoragecapacity_columns[] = {
    K1S__COL_NAME,
    {"StorageClassName", "string", "", 0, "The storage class the capacity is for.", csc_class},
    {"Capacity", "string", "", 0, "Capacity available for new volumes.", csc_capacity},
};

/* ---- the kinds ------------------------------------------------------------------ */

#define KIND(group, kind, cols) {group, kind, cols, K1S__NCOLS(cols), NULL, NULL}

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
