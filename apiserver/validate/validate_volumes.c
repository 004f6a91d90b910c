/*
 * validate_volumes.c - pod volumes (exactly one source each, names,
 * the essential per-source fields), PersistentVolumeClaim specs (claims,
 * claim templates, ephemeral volumes) and the quantity helpers validation
 * shares. Wording follows kube's core validation.
 */
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "k1s_quantity.h"

/* ---- quantities ------------------------------------------------------------- */

int k1s__quantity_sign(const json_t *v, int *sign)
{
    k1s_quantity q;
    if (!v || k1s_quantity_from_json(v, &q) != 0)
        return -1;
    *sign = q.sign;
    return 0;
}

char *k1s__quantity_text(const json_t *v)
{
    k1s_quantity q;
    if (!v || k1s_quantity_from_json(v, &q) != 0)
        return NULL;
    return k1s_quantity_string(&q);
}

/* ---- volume sources ----------------------------------------------------------- */

/* Every source of a pod volume in the order kube checks them; err is the
 * name kube's "more than 1" error uses (two differ from the JSON name). */
static const struct {
    const char *json, *err;
} pod_sources[] = {
    {"emptyDir", "emptyDir"},
    {"hostPath", "hostPath"},
    {"gitRepo", "gitRepo"},
    {"gcePersistentDisk", "gcePersistentDisk"},
    {"awsElasticBlockStore", "awsElasticBlockStore"},
    {"secret", "secret"},
    {"nfs", "nfs"},
    {"iscsi", "iscsi"},
    {"glusterfs", "glusterfs"},
    {"flocker", "flocker"},
    {"persistentVolumeClaim", "persistentVolumeClaim"},
    {"rbd", "rbd"},
    {"cinder", "cinder"},
    {"cephfs", "cephFS"},
    {"quobyte", "quobyte"},
    {"downwardAPI", "downwarAPI"},
    {"fc", "fc"},
    {"flexVolume", "flexVolume"},
    {"configMap", "configMap"},
    {"azureFile", "azureFile"},
    {"vsphereVolume", "vsphereVolume"},
    {"photonPersistentDisk", "photonPersistentDisk"},
    {"portworxVolume", "portworxVolume"},
    {"azureDisk", "azureDisk"},
    {"storageos", "storageos"},
    {"projected", "projected"},
    {"scaleIO", "scaleIO"},
    {"csi", "csi"},
    {"ephemeral", "ephemeral"},
    {"image", "image"},
};

static const char *const host_path_types[] = {
    "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
    "File", "FileOrCreate", "Socket",     NULL};

static void required_str(const json_t *o, const char *key, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!*k1s__str0(o, key))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.%s", path, key), "");
}

/* validatePathNoBacksteps: no ".." element. */
static void no_backsteps(const json_t *pv, const char *path, k1s_ferrs *fe)
{
    const char *p = json_string_value(pv);
    if (!p)
        return;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            k1s_ferr_invalid(fe, path, pv, "must not contain '..'");
            return;
        }
        s += n + (e ? 1 : 0);
    }
}

static void file_mode(const json_t *o, const char *key, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    json_t *m = json_object_get(o, key);
    if (json_is_integer(m) && (json_integer_value(m) < 0 || json_integer_value(m) > 0777))
        k1s_ferr_invalid(fe, k1s__fp(fp, "%s.%s", path, key), m,
                         "must be a number between 0 and 0777 (octal), both inclusive");
}

static void key_to_paths(const json_t *items, const char *path, k1s_ferrs *fe)
{
    char ip[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(items); i++) {
        const json_t *kp = json_array_get(items, i);
        k1s__fp(ip, "%s.items[%zu]", path, i);
        required_str(kp, "key", ip, fe);
        required_str(kp, "path", ip, fe);
        file_mode(kp, "mode", ip, fe);
    }
}

static void validate_source(const char *name, const json_t *src, const char *path,
                            const json_t *vol_name, const k1s_podspec_opts *o, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!strcmp(name, "emptyDir")) {
        int sign;
        json_t *sl = json_object_get(src, "sizeLimit");
        if (sl && !json_is_null(sl) && k1s__quantity_sign(sl, &sign) == 0 && sign < 0)
            k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.sizeLimit", path),
                               "SizeLimit field must be a valid resource quantity");
    } else if (!strcmp(name, "hostPath")) {
        json_t *p = json_object_get(src, "path");
        if (!json_is_string(p) || !json_string_length(p)) {
            k1s_ferr_required(fe, k1s__fp(fp, "%s.path", path), "");
            return;
        }
        no_backsteps(p, k1s__fp(fp, "%s.path", path), fe);
        json_t *t = json_object_get(src, "type");
        if (json_is_string(t) && !k1s__one_of(json_string_value(t), host_path_types))
            k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.type", path), t, host_path_types);
    } else if (!strcmp(name, "gitRepo")) {
        required_str(src, "repository", path, fe);
    } else if (!strcmp(name, "secret")) {
        required_str(src, "secretName", path, fe);
        file_mode(src, "defaultMode", path, fe);
        key_to_paths(k1s__arrv(src, "items"), path, fe);
    } else if (!strcmp(name, "configMap")) {
        required_str(src, "name", path, fe);
        file_mode(src, "defaultMode", path, fe);
        key_to_paths(k1s__arrv(src, "items"), path, fe);
    } else if (!strcmp(name, "persistentVolumeClaim")) {
        required_str(src, "claimName", path, fe);
    } else if (!strcmp(name, "nfs")) {
        required_str(src, "server", path, fe);
        required_str(src, "path", path, fe);
        json_t *p = json_object_get(src, "path");
        const char *ps = json_string_value(p);
        if (!ps || ps[0] != '/') {
            json_t *empty = ps ? NULL : json_string(""); /* new */
            k1s_ferr_invalid(fe, k1s__fp(fp, "%s.path", path), empty ? empty : p,
                             "must be an absolute path");
            json_decref(empty);
        }
    } else if (!strcmp(name, "ephemeral")) {
        const json_t *tmpl = k1s__objv(src, "volumeClaimTemplate");
        if (!tmpl) {
            k1s_ferr_required(fe, k1s__fp(fp, "%s.volumeClaimTemplate", path), "");
            return;
        }
        char tp[K1S_FP_MAX];
        k1s__fp(tp, "%s.volumeClaimTemplate", path);
        k1s__validate_template_meta(k1s__objv(tmpl, "metadata"), k1s__fp(fp, "%s.metadata", tp),
                                    fe);
        k1s__validate_pvc_spec(k1s__objv(tmpl, "spec"), k1s__fp(fp, "%s.spec", tp), fe);
        const char *vn = json_string_value(vol_name);
        if (o && o->pod_name && *o->pod_name && vn && *vn) {
            char claim[K1S_FP_MAX];
            k1s__fp(claim, "%s-%s", o->pod_name, vn);
            char **msgs = k1s_validate_name(K1S_NAME_DNS1123_SUBDOMAIN, claim, false);
            for (char **m = msgs; m && *m; m++) {
                char detail[2 * K1S_FP_MAX];
                snprintf(detail, sizeof detail, "PVC name \"%s\": %s", claim, *m);
                k1s_ferr_invalid(fe, k1s__fp(fp, "%s.name", path), vol_name, detail);
            }
            k1s_msgs_free(msgs);
        }
    }
}

/* validateVolumeSource: exactly one source, then its own checks. Returns
 * the number of errors added. */
static size_t validate_volume_source(const json_t *vol, const char *path, const k1s_podspec_opts *o,
                                     k1s_ferrs *fe)
{
    size_t before = k1s_ferrs_count(fe);
    int n = 0;
    char fp[K1S_FP_MAX];
    for (size_t i = 0; i < sizeof pod_sources / sizeof pod_sources[0]; i++) {
        json_t *src = json_object_get(vol, pod_sources[i].json);
        if (!src || json_is_null(src))
            continue;
        if (n > 0) {
            k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.%s", path, pod_sources[i].err),
                               "may not specify more than 1 volume type");
            continue;
        }
        n++;
        validate_source(pod_sources[i].json, src, k1s__fp(fp, "%s.%s", path, pod_sources[i].json),
                        json_object_get(vol, "name"), o, fe);
    }
    if (n == 0)
        k1s_ferr_required(fe, path, "must specify a volume type");
    return k1s_ferrs_count(fe) - before;
}

json_t *k1s__validate_volumes(const json_t *vols, const char *path, const k1s_podspec_opts *o,
                              k1s_ferrs *fe)
{
    json_t *names = json_object(); /* new: name -> volume (borrowed values) */
    char vp[K1S_FP_MAX], np[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(vols); i++) {
        const json_t *vol = json_array_get(vols, i);
        k1s__fp(vp, "%s[%zu]", path, i);
        k1s__fp(np, "%s.name", vp);
        size_t errs = validate_volume_source(vol, vp, o, fe);
        json_t *name = json_object_get(vol, "name");
        const char *ns = json_string_value(name);
        if (!ns || !*ns) {
            k1s_ferr_required(fe, np, "");
            errs++;
        } else {
            size_t b = k1s_ferrs_count(fe);
            k1s__check_dns_label(fe, np, name);
            errs += k1s_ferrs_count(fe) - b;
            if (json_object_get(names, ns)) {
                k1s_ferr_duplicate(fe, np, name);
                errs++;
            }
        }
        if (errs == 0 && names)
            json_object_set(names, ns, (json_t *)vol);
        /* a claim reference cannot name a claim this pod's ephemeral
           volumes create */
        const char *claim = k1s__str(k1s__objv(vol, "persistentVolumeClaim"), "claimName");
        if (claim && o && o->pod_name && *o->pod_name) {
            for (size_t j = 0; j < json_array_size(vols); j++) {
                const json_t *other = json_array_get(vols, j);
                char made[K1S_FP_MAX];
                if (!k1s__objv(other, "ephemeral"))
                    continue;
                k1s__fp(made, "%s-%s", o->pod_name, k1s__str0(other, "name"));
                if (!strcmp(made, claim)) {
                    k1s_ferr_invalid_str(
                        fe, k1s__fp(np, "%s.persistentVolumeClaim.claimName", vp), claim,
                        "must not reference a PVC that gets created for an ephemeral volume");
                    break;
                }
            }
        }
    }
    return names;
}

/* ---- persistent volume claim specs ---------------------------------------------- */

static const char *const access_modes[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                           "ReadWriteOncePod", NULL};
static const char *const volume_modes[] = {"Block", "Filesystem", NULL};

static void validate_data_source(const json_t *ds, const char *path, bool is_ref, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    required_str(ds, "name", path, fe);
    required_str(ds, "kind", path, fe);
    const char *group = k1s__str0(ds, "apiGroup");
    json_t *kind = json_object_get(ds, "kind");
    if (!*group && strcmp(k1s__str0(ds, "kind"), "PersistentVolumeClaim")) {
        json_t *empty = json_is_string(kind) ? NULL : json_string("");
        k1s_ferr_invalid(fe, path, empty ? empty : kind,
                         "must be 'PersistentVolumeClaim' when referencing the default apiGroup");
        json_decref(empty);
    }
    if (*group)
        k1s__check_dns_subdomain(fe, k1s__fp(fp, "%s.apiGroup", path),
                                 json_object_get(ds, "apiGroup"));
    json_t *ns = json_object_get(ds, "namespace");
    if (is_ref && json_is_string(ns) && json_string_length(ns))
        k1s__check_dns_label(fe, k1s__fp(fp, "%s.namespace", path), ns);
}

void k1s__validate_pvc_spec(const json_t *spec, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const json_t *modes = k1s__arrv(spec, "accessModes");
    if (json_array_size(modes) == 0)
        k1s_ferr_required(fe, k1s__fp(fp, "%s.accessModes", path),
                          "at least 1 access mode is required");
    if (k1s__objv(spec, "selector"))
        k1s__validate_label_selector(k1s__objv(spec, "selector"), k1s__fp(fp, "%s.selector", path),
                                     fe);
    bool rwop = false, other = false;
    for (size_t i = 0; i < json_array_size(modes); i++) {
        json_t *m = json_array_get(modes, i);
        const char *s = json_string_value(m);
        if (!k1s__one_of(s, access_modes))
            k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.accessModes", path), m, access_modes);
        else if (!strcmp(s, "ReadWriteOncePod"))
            rwop = true;
        else
            other = true;
    }
    if (rwop && other)
        k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.accessModes", path),
                           "may not use ReadWriteOncePod with other access modes");
    json_t *storage =
        json_object_get(k1s__objv(k1s__objv(spec, "resources"), "requests"), "storage");
    k1s__fp(fp, "%s.resources[storage]", path);
    int sign = 0;
    if (!storage) {
        k1s_ferr_required(fe, fp, "");
    } else if (k1s__quantity_sign(storage, &sign) == 0 && sign <= 0) {
        char *t = k1s__quantity_text(storage);
        k1s_ferr_invalid_str(fe, fp, t ? t : "", "must be greater than zero");
        free(t);
    }
    json_t *sc = json_object_get(spec, "storageClassName");
    if (json_is_string(sc) && json_string_length(sc))
        k1s__check_dns_subdomain(fe, k1s__fp(fp, "%s.storageClassName", path), sc);
    json_t *vm = json_object_get(spec, "volumeMode");
    if (json_is_string(vm) && !k1s__one_of(json_string_value(vm), volume_modes))
        k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.volumeMode", path), vm, volume_modes);
    const json_t *ds = k1s__objv(spec, "dataSource");
    const json_t *dsr = k1s__objv(spec, "dataSourceRef");
    if (ds)
        validate_data_source(ds, k1s__fp(fp, "%s.dataSource", path), false, fe);
    if (dsr)
        validate_data_source(dsr, k1s__fp(fp, "%s.dataSourceRef", path), true, fe);
    /* Go prints the *field.Path through its String method: unquoted */
    char dsp[K1S_FP_MAX];
    k1s__fp(dsp, "%s.dataSource", path);
    if (dsr && *k1s__str0(dsr, "namespace")) {
        if (ds)
            k1s__ferr_invalid_text(
                fe, path, dsp, "may not be specified when dataSourceRef.namespace is specified");
    } else if (ds && dsr &&
               (strcmp(k1s__str0(ds, "apiGroup"), k1s__str0(dsr, "apiGroup")) ||
                k1s__has(ds, "apiGroup") != k1s__has(dsr, "apiGroup") ||
                strcmp(k1s__str0(ds, "kind"), k1s__str0(dsr, "kind")) ||
                strcmp(k1s__str0(ds, "name"), k1s__str0(dsr, "name")))) {
        k1s__ferr_invalid_text(fe, path, dsp, "must match dataSourceRef");
    }
}
