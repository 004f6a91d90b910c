/*
 * strategy_storage.c - PersistentVolume, PersistentVolumeClaim and
 * StorageClass strategies: create-time status, spec validation and the
 * update rules (volume sources and claim specs are immutable, as are a
 * class's provisioner, parameters, reclaim policy and binding mode).
 */
#include "api_internal.h"
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "k1s_quantity.h"

static const char *const access_modes[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                           "ReadWriteOncePod", NULL};
static const char *const volume_modes[] = {"Block", "Filesystem", NULL};

/* ---- PersistentVolume ----------------------------------------------------------- */

/* Sources of a PersistentVolume in the order kube checks them; err is the
 * name its "more than 1" error uses. flexVolume is never refused there. */
static const struct {
    const char *json, *err;
} pv_sources[] = {
    {"hostPath", "hostPath"},
    {"gcePersistentDisk", "gcePersistentDisk"},
    {"awsElasticBlockStore", "awsElasticBlockStore"},
    {"glusterfs", "glusterfs"},
    {"flocker", "flocker"},
    {"nfs", "nfs"},
    {"rbd", "rbd"},
    {"quobyte", "quobyte"},
    {"cephfs", "cephFS"},
    {"iscsi", "iscsi"},
    {"cinder", "cinder"},
    {"fc", "fc"},
    {"flexVolume", NULL},
    {"azureFile", "azureFile"},
    {"vsphereVolume", "vsphereVolume"},
    {"photonPersistentDisk", "photonPersistentDisk"},
    {"portworxVolume", "portworxVolume"},
    {"azureDisk", "azureDisk"},
    {"scaleIO", "scaleIO"},
    {"local", "local"},
    {"storageos", "storageos"},
    {"csi", "csi"},
};

static const char *const host_path_types[] = {
    "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
    "File", "FileOrCreate", "Socket",     NULL};

static void pv_prepare_create(json_t *obj)
{
    char ts[32];
    k1s_time_format_now(ts, sizeof ts);
    json_object_set_new(obj, "status",
                        json_pack("{s:s, s:s}", "phase", "Pending", "lastPhaseTransitionTime", ts));
}

static void required_str(const json_t *o, const char *key, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!*k1s__str0(o, key))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.%s", path, key), "");
}

static bool has_backstep(const char *p)
{
    for (const char *s = p; s && *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return true;
        s += n + (e ? 1 : 0);
    }
    return false;
}

static void pv_source(const char *name, const json_t *src, const char *path, bool node_affinity,
                      k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!strcmp(name, "hostPath") || !strcmp(name, "local")) {
        json_t *p = json_object_get(src, "path");
        if (!json_is_string(p) || !json_string_length(p)) {
            k1s_ferr_required(fe, k1s__fp(fp, "%s.path", path), "");
        } else {
            if (has_backstep(json_string_value(p)))
                k1s_ferr_invalid(fe, k1s__fp(fp, "%s.path", path), p, "must not contain '..'");
            json_t *t = json_object_get(src, "type");
            if (!strcmp(name, "hostPath") && json_is_string(t) &&
                !k1s__one_of(json_string_value(t), host_path_types))
                k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.type", path), t, host_path_types);
        }
        if (!strcmp(name, "local") && !node_affinity)
            k1s_ferr_required(fe, "spec.nodeAffinity", "Local volume requires node affinity");
    } else if (!strcmp(name, "nfs")) {
        required_str(src, "server", path, fe);
        required_str(src, "path", path, fe);
        json_t *p = json_object_get(src, "path");
        if (!json_is_string(p) || json_string_value(p)[0] != '/') {
            json_t *empty = json_is_string(p) ? NULL : json_string(""); /* new */
            k1s_ferr_invalid(fe, k1s__fp(fp, "%s.path", path), empty ? empty : p,
                             "must be an absolute path");
            json_decref(empty);
        }
    } else if (!strcmp(name, "csi")) {
        json_t *d = json_object_get(src, "driver");
        if (!json_is_string(d) || !json_string_length(d))
            k1s_ferr_required(fe, k1s__fp(fp, "%s.driver", path), "");
        required_str(src, "volumeHandle", path, fe);
    }
}

static void pv_validate_spec(const json_t *spec, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const json_t *modes = k1s__arrv(spec, "accessModes");
    if (json_array_size(modes) == 0)
        k1s_ferr_required(fe, "spec.accessModes", "");
    bool rwop = false, other = false;
    for (size_t i = 0; i < json_array_size(modes); i++) {
        json_t *m = json_array_get(modes, i);
        const char *s = json_string_value(m);
        if (!k1s__one_of(s, access_modes))
            k1s_ferr_not_supported(fe, "spec.accessModes", m, access_modes);
        else if (!strcmp(s, "ReadWriteOncePod"))
            rwop = true;
        else
            other = true;
    }
    if (rwop && other)
        k1s_ferr_forbidden(fe, "spec.accessModes",
                           "may not use ReadWriteOncePod with other access modes");
    const json_t *cap = k1s__objv(spec, "capacity");
    if (json_object_size(cap) == 0)
        k1s_ferr_required(fe, "spec.capacity", "");
    if (!json_object_get(cap, "storage") || json_object_size(cap) > 1) {
        static const char *const storage[] = {"storage", NULL};
        k1s_ferr_not_supported(fe, "spec.capacity", cap, storage);
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)cap, k, v)
    {
        k1s_quantity q;
        if (k1s_quantity_from_json(v, &q) != 0)
            continue;
        k1s__fp(fp, "spec.capacity[%s]", k);
        int64_t val = 0;
        if (k1s_quantity_value(&q, &val) == 0 && val < 0) {
            json_t *n = json_integer(val); /* new */
            k1s_ferr_invalid(fe, fp, n, "must be a valid resource quantity");
            json_decref(n);
        }
        if (q.sign <= 0) {
            char *t = k1s_quantity_string(&q);
            k1s_ferr_invalid_str(fe, fp, t ? t : "", "must be greater than zero");
            free(t);
        }
    }
    static const char *const policies[] = {"Delete", "Recycle", "Retain", NULL};
    json_t *rp = json_object_get(spec, "persistentVolumeReclaimPolicy");
    if (json_is_string(rp) && json_string_length(rp) &&
        !k1s__one_of(json_string_value(rp), policies))
        k1s_ferr_not_supported(fe, "spec.persistentVolumeReclaimPolicy", rp, policies);
    bool affinity = k1s__objv(spec, "nodeAffinity") != NULL;
    if (affinity && !k1s__objv(k1s__objv(spec, "nodeAffinity"), "required"))
        k1s_ferr_required(fe, "spec.nodeAffinity.required",
                          "must specify required node constraints");
    int n = 0;
    for (size_t i = 0; i < sizeof pv_sources / sizeof pv_sources[0]; i++) {
        json_t *src = json_object_get(spec, pv_sources[i].json);
        if (!src || json_is_null(src))
            continue;
        if (n > 0 && pv_sources[i].err) {
            k1s_ferr_forbidden(fe, k1s__fp(fp, "spec.%s", pv_sources[i].err),
                               "may not specify more than 1 volume type");
            continue;
        }
        n++;
        pv_source(pv_sources[i].json, src, k1s__fp(fp, "spec.%s", pv_sources[i].json), affinity,
                  fe);
    }
    if (n == 0)
        k1s_ferr_required(fe, "spec", "must specify a volume type");
    const char *hp = k1s__str(k1s__objv(spec, "hostPath"), "path");
    if (hp && json_is_string(rp) && !strcmp(json_string_value(rp), "Recycle")) {
        size_t len = strlen(hp);
        while (len > 1 && hp[len - 1] == '/')
            len--;
        if (len == 1 && hp[0] == '/')
            k1s_ferr_forbidden(fe, "spec.persistentVolumeReclaimPolicy",
                               "may not be 'recycle' for a hostPath mount of '/'");
    }
    json_t *sc = json_object_get(spec, "storageClassName");
    if (json_is_string(sc) && json_string_length(sc))
        k1s__check_dns_subdomain(fe, "spec.storageClassName", sc);
    json_t *vm = json_object_get(spec, "volumeMode");
    if (json_is_string(vm) && !k1s__one_of(json_string_value(vm), volume_modes))
        k1s_ferr_not_supported(fe, "spec.volumeMode", vm, volume_modes);
}

static void pv_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    pv_validate_spec(spec, fe);
    if (!old)
        return;
    const json_t *ospec = k1s__objv(old, "spec");
    /* the PersistentVolumeSource is every source field together */
    json_t *src = json_object(), *osrc = json_object(); /* new */
    for (size_t i = 0; i < sizeof pv_sources / sizeof pv_sources[0]; i++) {
        json_t *v = json_object_get(spec, pv_sources[i].json);
        json_t *ov = json_object_get(ospec, pv_sources[i].json);
        if (v)
            json_object_set(src, pv_sources[i].json, v);
        if (ov)
            json_object_set(osrc, pv_sources[i].json, ov);
    }
    /* a CSI volume may gain a controllerExpandSecretRef */
    json_t *csi = k1s__objv(src, "csi"), *ocsi = k1s__objv(osrc, "csi");
    if (csi && ocsi && !k1s__has(ocsi, "controllerExpandSecretRef") &&
        k1s__has(csi, "controllerExpandSecretRef")) {
        json_t *c = json_deep_copy(csi);
        json_object_del(c, "controllerExpandSecretRef");
        json_object_set_new(src, "csi", c);
    }
    if (!k1s_json_semantic_equal(src, osrc)) {
        char *msg = k1s__diff_message("spec.persistentvolumesource is immutable after creation",
                                      "core.PersistentVolumeSource", osrc, src);
        k1s_ferr_forbidden(fe, "spec.persistentvolumesource",
                           msg ? msg : "spec.persistentvolumesource is immutable after creation");
        free(msg);
    }
    json_decref(src);
    json_decref(osrc);
    json_t *vm = json_object_get(spec, "volumeMode");
    if (!k1s_json_semantic_equal(vm, json_object_get(ospec, "volumeMode"))) {
        if (vm)
            k1s_ferr_invalid(fe, "volumeMode", vm, "field is immutable");
        else
            k1s__ferr_invalid_text(fe, "volumeMode", "null", "field is immutable");
    }
    const json_t *na = k1s__objv(ospec, "nodeAffinity");
    if (na && !k1s_json_semantic_equal(na, json_object_get(spec, "nodeAffinity")))
        k1s_ferr_forbidden(fe, "nodeAffinity", "field is immutable");
}

/* A phase change is stamped, as kube's status strategy does. */
static void pv_prepare_update(json_t *obj, const json_t *old)
{
    json_t *st = k1s__objv(obj, "status");
    const json_t *ost = k1s__objv(old, "status");
    if (st && strcmp(k1s__str0(st, "phase"), k1s__str0(ost, "phase"))) {
        char ts[32];
        k1s_time_format_now(ts, sizeof ts);
        json_object_set_new(st, "lastPhaseTransitionTime", json_string(ts));
    }
}

const k1s_strategy k1s__strategy_pv = {
    .prepare_update = pv_prepare_update,
    .prepare_create = pv_prepare_create,
    .validate = pv_validate,
};

/* ---- PersistentVolumeClaim ------------------------------------------------------------ */

static void pvc_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
}

static json_t *storage_request(const json_t *spec)
{
    return json_object_get(k1s__objv(k1s__objv(spec, "resources"), "requests"), "storage");
}

static void pvc_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    k1s__validate_pvc_spec(spec, "spec", fe);
    if (!old)
        return;
    const json_t *ospec = k1s__objv(old, "spec");
    json_t *n = spec ? json_deep_copy(spec) : json_object();   /* new */
    json_t *o = ospec ? json_deep_copy(ospec) : json_object(); /* new */
    if (!n || !o) {
        json_decref(n);
        json_decref(o);
        return;
    }
    /* the binder sets volumeName once */
    if (!*k1s__str0(ospec, "volumeName")) {
        json_t *vn = json_object_get(n, "volumeName");
        if (vn)
            json_object_set(o, "volumeName", vn);
        else
            json_object_del(o, "volumeName");
    }
    /* a class may be given to a claim that had none */
    const json_t *oann = k1s__objv(k1s__objv(old, "metadata"), "annotations");
    const char *beta = k1s__str(oann, "volume.beta.kubernetes.io/storage-class");
    if (!k1s__has(ospec, "storageClassName") && k1s__has(spec, "storageClassName") &&
        (!beta || !strcmp(beta, k1s__str0(spec, "storageClassName"))))
        json_object_del(n, "storageClassName");
    bool bound = !strcmp(k1s__str0(k1s__objv(obj, "status"), "phase"), "Bound");
    if (bound) {
        json_t *req = k1s__objv(k1s__objv(n, "resources"), "requests");
        json_t *ost = storage_request(ospec);
        if (req && ost)
            json_object_set(req, "storage", ost);
        else if (req)
            json_object_del(req, "storage");
        json_t *vac = json_object_get(ospec, "volumeAttributesClassName");
        if (k1s__has(n, "volumeAttributesClassName")) {
            if (vac)
                json_object_set(n, "volumeAttributesClassName", vac);
            else
                json_object_del(n, "volumeAttributesClassName");
        }
    }
    if (!k1s_json_semantic_equal(n, o)) {
        const char *head =
            "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";
        char *msg = k1s__diff_message(head, "core.PersistentVolumeClaimSpec", o, n);
        k1s_ferr_forbidden(fe, "spec", msg ? msg : head);
        free(msg);
    }
    json_decref(n);
    json_decref(o);
    k1s_quantity ns, os, cs;
    json_t *cap = json_object_get(k1s__objv(k1s__objv(old, "status"), "capacity"), "storage");
    json_t *nreq = storage_request(spec), *oreq = storage_request(ospec);
    if (nreq && oreq && k1s_quantity_from_json(nreq, &ns) == 0 &&
        k1s_quantity_from_json(oreq, &os) == 0 && k1s_quantity_cmp(&ns, &os) < 0) {
        /* RecoverVolumeExpansionFailure: shrinking back to the size the
           volume really has is allowed */
        if (!cap || k1s_quantity_from_json(cap, &cs) != 0)
            memset(&cs, 0, sizeof cs);
        if (k1s_quantity_cmp(&ns, &cs) <= 0)
            k1s_ferr_forbidden(fe, "spec.resources.requests.storage",
                               "field can not be less than status.capacity");
    }
    json_t *vm = json_object_get(spec, "volumeMode");
    if (!k1s_json_semantic_equal(vm, json_object_get(ospec, "volumeMode"))) {
        if (vm)
            k1s_ferr_invalid(fe, "volumeMode", vm, "field is immutable");
        else
            k1s__ferr_invalid_text(fe, "volumeMode", "null", "field is immutable");
    }
}

/* Admission of a created claim in kube's order: LimitRanger, then
 * DefaultStorageClass. */
static int pvc_admit(struct k1s_api *api, json_t *obj, const json_t *old, k1s_status *st)
{
    bool changed = false;
    if (!old && k1s__limitranger(api, obj, false, &changed, st))
        return -1;
    return k1s__pvc_default_class(api, obj, old, st);
}

const k1s_strategy k1s__strategy_pvc = {
    .prepare_create = pvc_prepare_create,
    .validate = pvc_validate,
    .allocate = pvc_admit,
};

/* ---- StorageClass ------------------------------------------------------------------ */

#define MAX_PARAMETERS 512
#define MAX_PARAMETERS_SIZE (256 * 1024)

static void storageclass_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    json_t *prov = json_object_get(obj, "provisioner");
    const char *ps = json_string_value(prov);
    if (!ps || !*ps) {
        k1s_ferr_required(fe, "provisioner", "");
    } else {
        char *lower = strdup(ps);
        for (char *p = lower; p && *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p += 32;
        json_t *lv = lower ? json_string(lower) : NULL; /* new */
        if (lv)
            k1s__ferr_msgs(fe, "provisioner", lv, k1s_is_qualified_name(json_string_value(lv)));
        json_decref(lv);
        free(lower);
    }
    const json_t *params = k1s__objv(obj, "parameters");
    if (json_object_size(params) > MAX_PARAMETERS) {
        k1s_ferr_too_long(fe, "parameters", NULL, MAX_PARAMETERS);
    } else {
        size_t total = 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)params, k, v)
        {
            if (!*k)
                k1s_ferr_invalid_str(fe, "parameters", "", "field can not be empty.");
            total += strlen(k) + json_string_length(v);
        }
        if (total > MAX_PARAMETERS_SIZE)
            k1s_ferr_too_long(fe, "parameters", NULL, MAX_PARAMETERS_SIZE);
    }
    static const char *const policies[] = {"Delete", "Retain", NULL};
    json_t *rp = json_object_get(obj, "reclaimPolicy");
    if (json_is_string(rp) && json_string_length(rp) &&
        !k1s__one_of(json_string_value(rp), policies))
        k1s_ferr_not_supported(fe, "reclaimPolicy", rp, policies);
    static const char *const modes[] = {"Immediate", "WaitForFirstConsumer", NULL};
    json_t *bm = json_object_get(obj, "volumeBindingMode");
    if (!bm || json_is_null(bm))
        k1s_ferr_required(fe, "volumeBindingMode", "");
    else if (!k1s__one_of(json_string_value(bm), modes))
        k1s_ferr_not_supported(fe, "volumeBindingMode", bm, modes);
    if (!old)
        return;
    if (!k1s_json_semantic_equal(params, json_object_get(old, "parameters")))
        k1s_ferr_forbidden(fe, "parameters", "updates to parameters are forbidden.");
    if (strcmp(ps ? ps : "", k1s__str0(old, "provisioner")))
        k1s_ferr_forbidden(fe, "provisioner", "updates to provisioner are forbidden.");
    if (strcmp(k1s__str0(obj, "reclaimPolicy"), k1s__str0(old, "reclaimPolicy")))
        k1s_ferr_forbidden(fe, "reclaimPolicy", "updates to reclaimPolicy are forbidden.");
    json_t *obm = json_object_get(old, "volumeBindingMode");
    if (!k1s_json_semantic_equal(bm, obm)) {
        if (bm && !json_is_null(bm))
            k1s_ferr_invalid(fe, "volumeBindingMode", bm, "field is immutable");
        else
            k1s__ferr_invalid_text(fe, "volumeBindingMode", "null", "field is immutable");
    }
}

const k1s_strategy k1s__strategy_storageclass = {
    .validate = storageclass_validate,
};
