/*
 * validate_podspec.c - PodSpec defaults that depend on other fields and
 * PodSpec validation, shared by Pods and every kind with a pod template
 * (Deployment, ReplicaSet, DaemonSet, StatefulSet). Containers and volumes
 * are checked by validate_container.c and validate_volumes.c.
 */
#include "strategy_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- defaults --------------------------------------------------------------- */

/* The tag ParseImageName finds: "latest" when the reference has neither tag
 * nor digest, "" when it cannot be parsed or only has a digest. */
static const char *image_tag(const char *image, char *buf, size_t len)
{
    if (!image || !*image)
        return "";
    for (const char *p = image; *p; p++)
        if (isspace((unsigned char)*p))
            return "";
    const char *at = strchr(image, '@');
    const char *end = at ? at : image + strlen(image);
    const char *first_slash = memchr(image, '/', (size_t)(end - image));
    const char *last = image;
    for (const char *p = image; p < end; p++)
        if (*p == '/')
            last = p + 1;
    const char *colon = memchr(last, ':', (size_t)(end - last));
    const char *name_end = colon ? colon : end;
    /* repository path components are lowercase; only a registry host (the
       first of several components) may have capitals */
    for (const char *p = first_slash ? first_slash : image; p < name_end; p++)
        if (isupper((unsigned char)*p))
            return "";
    if (colon) {
        snprintf(buf, len, "%.*s", (int)(end - colon - 1), colon + 1);
        return buf;
    }
    return at ? "" : "latest";
}

static void container_defaults(json_t *c)
{
    if (!json_is_object(c))
        return;
    const char *pp = k1s__str(c, "imagePullPolicy");
    if (pp && *pp)
        return;
    char buf[256];
    const char *tag = image_tag(k1s__str(c, "image"), buf, sizeof buf);
    json_object_set_new(c, "imagePullPolicy",
                        json_string(!strcmp(tag, "latest") ? "Always" : "IfNotPresent"));
}

/* Every volume source key, to see whether a volume names none. */
static const char *const volume_sources[] = {"emptyDir",
                                             "hostPath",
                                             "gitRepo",
                                             "gcePersistentDisk",
                                             "awsElasticBlockStore",
                                             "secret",
                                             "nfs",
                                             "iscsi",
                                             "glusterfs",
                                             "flocker",
                                             "persistentVolumeClaim",
                                             "rbd",
                                             "cinder",
                                             "cephfs",
                                             "quobyte",
                                             "downwardAPI",
                                             "fc",
                                             "flexVolume",
                                             "configMap",
                                             "azureFile",
                                             "vsphereVolume",
                                             "photonPersistentDisk",
                                             "portworxVolume",
                                             "azureDisk",
                                             "storageos",
                                             "projected",
                                             "scaleIO",
                                             "csi",
                                             "ephemeral",
                                             "image",
                                             NULL};

void k1s__podspec_defaults(json_t *spec)
{
    static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers",
                                        NULL};
    for (const char *const *l = lists; *l; l++) {
        json_t *ctrs = k1s__arrv(spec, *l);
        for (size_t i = 0; i < json_array_size(ctrs); i++)
            container_defaults(json_array_get(ctrs, i));
    }
    /* the deprecated serviceAccount field mirrors serviceAccountName, as
       kube's conversion writes it */
    const char *san = k1s__str(spec, "serviceAccountName");
    const char *sa = k1s__str(spec, "serviceAccount");
    if ((!san || !*san) && sa && *sa)
        json_object_set_new(spec, "serviceAccountName", json_string(sa));
    san = k1s__str(spec, "serviceAccountName");
    if (san && *san)
        json_object_set_new(spec, "serviceAccount", json_string(san));
    json_t *vols = k1s__arrv(spec, "volumes");
    for (size_t i = 0; i < json_array_size(vols); i++) {
        json_t *v = json_array_get(vols, i);
        bool any = false;
        for (const char *const *s = volume_sources; *s && !any; s++)
            any = k1s__has(v, *s);
        if (json_is_object(v) && !any)
            json_object_set_new(v, "emptyDir", json_object());
    }
}

static void requests_from_limits(json_t *ctrs)
{
    for (size_t i = 0; i < json_array_size(ctrs); i++) {
        json_t *res = k1s__objv(json_array_get(ctrs, i), "resources");
        json_t *limits = k1s__objv(res, "limits");
        if (!limits)
            continue;
        json_t *req = k1s__ensure_obj(res, "requests");
        const char *k;
        json_t *v;
        json_object_foreach(limits, k, v) if (req && !json_object_get(req, k))
            json_object_set_new(req, k, json_deep_copy(v));
    }
}

static void host_network_ports(json_t *ctrs)
{
    for (size_t i = 0; i < json_array_size(ctrs); i++) {
        json_t *ports = k1s__arrv(json_array_get(ctrs, i), "ports");
        for (size_t j = 0; j < json_array_size(ports); j++) {
            json_t *p = json_array_get(ports, j);
            json_t *hp = json_object_get(p, "hostPort");
            json_t *cp = json_object_get(p, "containerPort");
            if (json_is_object(p) && json_integer_value(hp) == 0 && json_is_integer(cp))
                json_object_set_new(p, "hostPort", json_integer(json_integer_value(cp)));
        }
    }
}

void k1s__pod_only_defaults(json_t *spec)
{
    if (!json_is_object(spec))
        return;
    requests_from_limits(k1s__arrv(spec, "containers"));
    requests_from_limits(k1s__arrv(spec, "initContainers"));
    if (!k1s__has(spec, "enableServiceLinks"))
        json_object_set_new(spec, "enableServiceLinks", json_true());
    if (json_is_true(json_object_get(spec, "hostNetwork"))) {
        host_network_ports(k1s__arrv(spec, "containers"));
        host_network_ports(k1s__arrv(spec, "initContainers"));
    }
}

/* ---- tolerations -------------------------------------------------------------- */

void k1s__validate_tolerations(const json_t *tols, const char *path, k1s_ferrs *fe)
{
    static const char *const ops[] = {"Equal", "Exists", NULL};
    static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
    char ip[K1S_FP_MAX], fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(tols); i++) {
        const json_t *t = json_array_get(tols, i);
        k1s__fp(ip, "%s[%zu]", path, i);
        json_t *key = json_object_get(t, "key");
        const char *op = k1s__str0(t, "operator");
        const char *effect = k1s__str0(t, "effect");
        if (json_is_string(key) && json_string_length(key))
            k1s__check_qualified_name(fe, k1s__fp(fp, "%s.key", ip), key);
        if (!*k1s__str0(t, "key") && strcmp(op, "Exists"))
            k1s_ferr_invalid_str(
                fe, k1s__fp(fp, "%s.operator", ip), op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
        if (k1s__has(t, "tolerationSeconds") && strcmp(effect, "NoExecute"))
            k1s_ferr_invalid_str(fe, k1s__fp(fp, "%s.effect", ip), effect,
                                 "effect must be 'NoExecute' when `tolerationSeconds` is set");
        k1s__fp(fp, "%s.operator", ip);
        if (!*op || !strcmp(op, "Equal")) {
            json_t *v = json_object_get(t, "value");
            json_t *empty = json_is_string(v) ? NULL : json_string(""); /* new */
            char **msgs = k1s_is_label_value(json_string_value(empty ? empty : v));
            if (msgs) {
                char *joined = k1s_msgs_join(msgs, ";");
                k1s_ferr_invalid(fe, fp, empty ? empty : v, joined ? joined : "");
                free(joined);
                k1s_msgs_free(msgs);
            }
            json_decref(empty);
        } else if (!strcmp(op, "Exists")) {
            if (*k1s__str0(t, "value"))
                k1s_ferr_invalid_str(fe, fp, k1s__str0(t, "value"),
                                     "value must be empty when `operator` is 'Exists'");
        } else {
            k1s__ferr_not_supported_str(fe, fp, op, ops);
        }
        if (*effect && !k1s__one_of(effect, effects))
            k1s__ferr_not_supported_str(fe, k1s__fp(fp, "%s.effect", ip), effect, effects);
    }
}

/* ---- pod spec ---------------------------------------------------------------------- */

static const char *const restart_policies[] = {"Always", "OnFailure", "Never", NULL};
static const char *const dns_policies[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default",
                                           "None", NULL};
static const char *const preemption_policies[] = {"PreemptLowerPriority", "Never", NULL};
static const char *const os_names[] = {"linux", "windows", NULL};

/* A string field checked as a DNS-1123 subdomain when set. */
static void subdomain_field(const json_t *spec, const char *key, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    json_t *v = json_object_get(spec, key);
    if (json_is_string(v) && json_string_length(v))
        k1s__check_dns_subdomain(fe, k1s__fp(fp, "%s.%s", path, key), v);
}

static void label_field(const json_t *spec, const char *key, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    json_t *v = json_object_get(spec, key);
    if (json_is_string(v) && json_string_length(v))
        k1s__check_dns_label(fe, k1s__fp(fp, "%s.%s", path, key), v);
}

static void enum_field(const json_t *spec, const char *key, const char *path,
                       const char *const *allowed, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    json_t *v = json_object_get(spec, key);
    k1s__fp(fp, "%s.%s", path, key);
    if (!json_is_string(v) || !json_string_length(v))
        k1s_ferr_required(fe, fp, "");
    else if (!k1s__one_of(json_string_value(v), allowed))
        k1s_ferr_not_supported(fe, fp, v, allowed);
}

/* validatePodHostNetworkDeps: on the host network a hostPort must equal its
 * containerPort (a template may leave it 0). */
static void host_network_deps(const json_t *spec, const char *path, bool is_pod, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!json_is_true(json_object_get(spec, "hostNetwork")))
        return;
    const json_t *ctrs = k1s__arrv(spec, "containers");
    for (size_t i = 0; i < json_array_size(ctrs); i++) {
        const json_t *ports = k1s__arrv(json_array_get(ctrs, i), "ports");
        for (size_t j = 0; j < json_array_size(ports); j++) {
            const json_t *p = json_array_get(ports, j);
            json_t *hpv = json_object_get(p, "hostPort");
            json_int_t hp = json_integer_value(hpv);
            json_int_t cp = json_integer_value(json_object_get(p, "containerPort"));
            if ((is_pod || hp != 0) && hp != cp) {
                json_t *v = json_integer(hp); /* new */
                k1s_ferr_invalid(fe,
                                 k1s__fp(fp, "%s.containers[%zu].ports[%zu].hostPort", path, i, j),
                                 v, "must match `containerPort` when `hostNetwork` is true");
                json_decref(v);
            }
        }
    }
}

static void dns_config(const json_t *spec, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const json_t *cfg = k1s__objv(spec, "dnsConfig");
    k1s__fp(fp, "%s.dnsConfig", path);
    if (!strcmp(k1s__str0(spec, "dnsPolicy"), "None")) {
        if (!cfg) {
            k1s_ferr_required(fe, fp, "must provide `dnsConfig` when `dnsPolicy` is None");
            return;
        }
        if (json_array_size(k1s__arrv(cfg, "nameservers")) == 0) {
            k1s_ferr_required(fe, k1s__fp(fp, "%s.dnsConfig.nameservers", path),
                              "must provide at least one DNS nameserver when `dnsPolicy` is None");
            return;
        }
    }
    const json_t *ns = k1s__arrv(cfg, "nameservers");
    if (json_array_size(ns) > 3) {
        char *t = k1s__go_string_slice(ns);
        k1s__ferr_invalid_text(fe, k1s__fp(fp, "%s.dnsConfig.nameservers", path), t,
                               "must not have more than 3 nameservers");
        free(t);
    }
    const json_t *opts = k1s__arrv(cfg, "options");
    for (size_t i = 0; i < json_array_size(opts); i++)
        if (!*k1s__str0(json_array_get(opts, i), "name"))
            k1s_ferr_required(fe, k1s__fp(fp, "%s.dnsConfig.options[%zu]", path, i),
                              "must not be empty");
}

void k1s__validate_podspec(const json_t *spec, const char *path, const k1s_podspec_opts *o,
                           k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    static const k1s_podspec_opts none = {0};
    if (!o)
        o = &none;
    if (!k1s__has(spec, "terminationGracePeriodSeconds"))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.terminationGracePeriodSeconds", path), "");
    json_t *vols =
        k1s__validate_volumes(k1s__arrv(spec, "volumes"), k1s__fp(fp, "%s.volumes", path), o, fe);
    /* a StatefulSet's claim templates become volumes of its pods */
    for (size_t i = 0; vols && i < json_array_size(o->claim_templates); i++) {
        const json_t *ct = json_array_get(o->claim_templates, i);
        const char *n = k1s__str(k1s__objv(ct, "metadata"), "name");
        if (n && *n)
            json_object_set(vols, n, (json_t *)ct);
    }
    k1s__validate_containers(spec, path, vols, fe);
    json_decref(vols);
    host_network_deps(spec, path, o->is_pod, fe);
    enum_field(spec, "restartPolicy", path, restart_policies, fe);
    enum_field(spec, "dnsPolicy", path, dns_policies, fe);
    k1s__validate_labels(k1s__objv(spec, "nodeSelector"), k1s__fp(fp, "%s.nodeSelector", path), fe);
    dns_config(spec, path, fe);
    const json_t *gates = k1s__arrv(spec, "readinessGates");
    for (size_t i = 0; i < json_array_size(gates); i++) {
        json_t *ct = json_object_get(json_array_get(gates, i), "conditionType");
        json_t *empty = json_is_string(ct) ? NULL : json_string(""); /* new */
        k1s__check_qualified_name(fe, k1s__fp(fp, "%s.readinessGates[%zu].conditionType", path, i),
                                  empty ? empty : ct);
        json_decref(empty);
    }
    const json_t *sg = k1s__arrv(spec, "schedulingGates");
    json_t *seen = json_object(); /* new */
    for (size_t i = 0; i < json_array_size(sg); i++) {
        json_t *n = json_object_get(json_array_get(sg, i), "name");
        json_t *empty = json_is_string(n) ? NULL : json_string(""); /* new */
        k1s__fp(fp, "%s.schedulingGates[%zu]", path, i);
        k1s__check_qualified_name(fe, fp, empty ? empty : n);
        const char *s = json_string_value(empty ? empty : n);
        if (json_object_get(seen, s))
            k1s_ferr_duplicate(fe, fp, empty ? empty : n);
        json_object_set_new(seen, s, json_true());
        json_decref(empty);
    }
    json_decref(seen);
    subdomain_field(spec, "serviceAccountName", path, fe);
    subdomain_field(spec, "nodeName", path, fe);
    json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
    if (json_is_integer(ads) &&
        (json_integer_value(ads) < 1 || json_integer_value(ads) > 2147483647))
        k1s__ferr_msgs(fe, k1s__fp(fp, "%s.activeDeadlineSeconds", path), ads,
                       k1s_is_in_range(json_integer_value(ads), 1, 2147483647));
    label_field(spec, "hostname", path, fe);
    label_field(spec, "subdomain", path, fe);
    k1s__validate_tolerations(k1s__arrv(spec, "tolerations"), k1s__fp(fp, "%s.tolerations", path),
                              fe);
    subdomain_field(spec, "priorityClassName", path, fe);
    json_t *rc = json_object_get(spec, "runtimeClassName");
    if (json_is_string(rc))
        k1s__check_name_rule(fe, k1s__fp(fp, "%s.runtimeClassName", path), rc,
                             K1S_NAME_DNS1123_SUBDOMAIN, false);
    if (k1s__has(spec, "preemptionPolicy"))
        enum_field(spec, "preemptionPolicy", path, preemption_policies, fe);
    const json_t *os = k1s__objv(spec, "os");
    if (os) {
        json_t *n = json_object_get(os, "name");
        if (!json_is_string(n) || !json_string_length(n))
            k1s_ferr_required(fe, k1s__fp(fp, "%s.os.name", path), "cannot be empty");
        else if (!k1s__one_of(json_string_value(n), os_names))
            k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.os", path), n, os_names);
    }
}

void k1s__validate_pod_template(const json_t *tmpl, const char *path, const k1s_podspec_opts *o,
                                k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const json_t *meta = k1s__objv(tmpl, "metadata");
    k1s__validate_labels(k1s__objv(meta, "labels"), k1s__fp(fp, "%s.labels", path), fe);
    k1s__validate_annotations(k1s__objv(meta, "annotations"), k1s__fp(fp, "%s.annotations", path),
                              fe);
    const json_t *spec = k1s__objv(tmpl, "spec");
    k1s__validate_podspec(spec, k1s__fp(fp, "%s.spec", path), o, fe);
    if (json_array_size(k1s__arrv(spec, "ephemeralContainers")))
        k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.spec.ephemeralContainers", path),
                           "ephemeral containers not allowed in pod template");
}
