/*
 * strategy_core.c - strategies of the small core/v1 kinds: Namespace,
 * ConfigMap, Secret, ServiceAccount, Node, Endpoints and Event, plus
 * k1s__strategy_prepare_update, the update preparation of every kind.
 * (Pod, Service and the storage kinds have files of their own.)
 */
#include "api_internal.h"
#include "strategy_internal.h"
#include "k1s_base64.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ConfigMaps and Secrets hold at most this much data. */
#define MAX_DATA_SIZE (1024 * 1024)

/* ---- Namespace ---------------------------------------------------------------- */

static void namespace_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Active"));
    json_t *spec = k1s__ensure_obj(obj, "spec");
    json_t *fins = k1s__arrv(spec, "finalizers");
    for (size_t i = 0; i < json_array_size(fins); i++)
        if (json_is_string(json_array_get(fins, i)) &&
            !strcmp(json_string_value(json_array_get(fins, i)), "kubernetes"))
            return;
    if (!fins) {
        json_object_set_new(spec, "finalizers", json_array());
        fins = k1s__arrv(spec, "finalizers");
    }
    json_array_append_new(fins, json_string("kubernetes"));
}

/* Every namespace carries its own name as a label (kube sets it on create
 * and on every update, so it cannot be removed). */
static void namespace_defaults(json_t *obj)
{
    json_t *m = k1s__objv(obj, "metadata");
    const char *name = k1s__str(m, "name");
    if (!name || !*name)
        return;
    json_t *labels = k1s__ensure_obj(m, "labels");
    if (labels)
        json_object_set_new(labels, "kubernetes.io/metadata.name", json_string(name));
}

static void namespace_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    static const char *const standard[] = {"kubernetes", "orphan", "foregroundDeletion", NULL};
    const json_t *fins = k1s__arrv(k1s__objv(obj, "spec"), "finalizers");
    /* updates keep the old finalizers (they change through finalize) */
    for (size_t i = 0; !old && i < json_array_size(fins); i++) {
        json_t *f = json_array_get(fins, i);
        const char *path = "spec.finalizers";
        k1s__check_qualified_name(fe, path, f);
        const char *s = json_string_value(f);
        if (s && !strchr(s, '/') && !k1s__one_of(s, standard))
            k1s_ferr_invalid(fe, path, f,
                             "name is neither a standard finalizer name nor is it fully qualified");
    }
    if (!old)
        return;
    /* the status rules of a namespace */
    json_t *phase = json_object_get(k1s__objv(obj, "status"), "phase");
    const char *p = json_string_value(phase);
    json_t *empty = p ? NULL : json_string(""); /* new */
    if (!k1s__has(k1s__objv(obj, "metadata"), "deletionTimestamp")) {
        if (!p || strcmp(p, "Active"))
            k1s_ferr_invalid(fe, "status.Phase", empty ? empty : phase,
                             "may only be 'Active' if `deletionTimestamp` is empty");
    } else if (!p || strcmp(p, "Terminating")) {
        k1s_ferr_invalid(fe, "status.Phase", empty ? empty : phase,
                         "may only be 'Terminating' if `deletionTimestamp` is not empty");
    }
    json_decref(empty);
}

static const char *const namespace_fields[] = {"status.phase", NULL};

/* the namespace controller's "kubernetes" finalizer in spec.finalizers */
static bool namespace_deletion_held(const json_t *obj)
{
    return json_array_size(json_object_get(json_object_get(obj, "spec"), "finalizers")) > 0;
}

static bool namespace_prepare_delete(json_t *obj)
{
    if (!namespace_deletion_held(obj))
        return false;
    json_t *status = json_object_get(obj, "status");
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(obj, "status", status);
    }
    json_object_set_new(status, "phase", json_string("Terminating"));
    return true;
}

/* kube's NamespaceLifecycle admission keeps these for good */
static int namespace_admit_delete(const char *name, k1s_status *st)
{
    static const char *const immortal[] = {"default", "kube-system", "kube-public", NULL};
    for (const char *const *n = immortal; name && *n; n++)
        if (!strcmp(name, *n)) {
            k1s_status_set(st, 403, "Forbidden",
                           "namespaces \"%s\" is forbidden: this namespace may not be deleted", *n);
            k1s_status_details(st, *n, "", "namespaces");
            return -1;
        }
    return 0;
}

const k1s_strategy k1s__strategy_namespace = {
    .name_rule = K1S_NAME_DNS1123_LABEL,
    .defaults = namespace_defaults,
    .prepare_create = namespace_prepare_create,
    .validate = namespace_validate,
    .deletion_held = namespace_deletion_held,
    .prepare_delete = namespace_prepare_delete,
    .admit_delete = namespace_admit_delete,
    .field_labels = namespace_fields,
};

/* ---- ConfigMap and Secret ------------------------------------------------------------ */

/* Bytes a base64 string decodes to. */
static size_t b64_decoded_len(const json_t *v)
{
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    size_t pad = 0;
    if (n >= 1 && s[n - 1] == '=')
        pad++;
    if (n >= 2 && s[n - 2] == '=')
        pad++;
    size_t full = n / 4 * 3, rem = n % 4;
    if (rem)
        return full + (rem > 1 ? rem - 1 : 0);
    return full - pad;
}

static void data_keys(const json_t *data, const char *name, k1s_ferrs *fe)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v)
    {
        char fp[K1S_FP_MAX];
        json_t *key = json_string(k); /* new */
        k1s__check_str(fe, k1s__fp(fp, "%s[%s]", name, k), key, k1s_is_config_map_key);
        json_decref(key);
    }
}

/* The rules of an immutable ConfigMap or Secret. */
static void immutable_data(const json_t *obj, const json_t *old, const char *const *fields,
                           k1s_ferrs *fe)
{
    const char *msg = "field is immutable when `immutable` is set";
    if (!old || !json_is_true(json_object_get(old, "immutable")))
        return;
    if (!json_is_true(json_object_get(obj, "immutable")))
        k1s_ferr_forbidden(fe, "immutable", msg);
    for (const char *const *f = fields; *f; f++)
        if (!k1s_json_semantic_equal(json_object_get(obj, *f), json_object_get(old, *f)))
            k1s_ferr_forbidden(fe, *f, msg);
}

static void configmap_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    static const char *const fields[] = {"data", "binaryData", NULL};
    immutable_data(obj, old, fields, fe);
    const json_t *data = k1s__objv(obj, "data");
    const json_t *bin = k1s__objv(obj, "binaryData");
    size_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v)
    {
        char fp[K1S_FP_MAX];
        json_t *key = json_string(k); /* new */
        k1s__fp(fp, "data[%s]", k);
        k1s__check_str(fe, fp, key, k1s_is_config_map_key);
        if (json_object_get(bin, k))
            k1s_ferr_invalid(fe, fp, key, "duplicate of key present in binaryData");
        json_decref(key);
        total += json_string_length(v);
    }
    data_keys(bin, "binaryData", fe);
    json_object_foreach((json_t *)bin, k, v) total += b64_decoded_len(v);
    if (total > MAX_DATA_SIZE)
        k1s_ferr_too_long(fe, "[]", NULL, MAX_DATA_SIZE);
}

const k1s_strategy k1s__strategy_configmap = {
    .validate = configmap_validate,
};

/* stringData is a write-only convenience: its entries replace data's. */
static void secret_defaults(json_t *obj)
{
    json_t *sd = k1s__objv(obj, "stringData");
    if (sd) {
        json_t *data = k1s__ensure_obj(obj, "data");
        const char *k;
        json_t *v;
        json_object_foreach(sd, k, v)
        {
            char *enc = k1s_base64_encode(k1s__str0(sd, k), json_string_length(v));
            if (enc && data)
                json_object_set_new(data, k, json_string(enc));
            free(enc);
        }
    }
    json_object_del(obj, "stringData");
}

static void secret_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    static const char *const fields[] = {"data", NULL};
    if (old) {
        json_t *t = json_object_get(obj, "type");
        if (!k1s_json_semantic_equal(t, json_object_get(old, "type"))) {
            json_t *empty = t ? NULL : json_string(""); /* new */
            k1s_ferr_invalid(fe, "type", empty ? empty : t, "field is immutable");
            json_decref(empty);
        }
        immutable_data(obj, old, fields, fe);
    }
    const json_t *data = k1s__objv(obj, "data");
    size_t total = 0;
    const char *k;
    json_t *v;
    data_keys(data, "data", fe);
    json_object_foreach((json_t *)data, k, v) total += b64_decoded_len(v);
    if (total > MAX_DATA_SIZE)
        k1s_ferr_too_long(fe, "data", NULL, MAX_DATA_SIZE);
    const char *type = k1s__str0(obj, "type");
    const json_t *ann = k1s__objv(k1s__objv(obj, "metadata"), "annotations");
    if (!strcmp(type, "kubernetes.io/service-account-token")) {
        if (!*k1s__str0(ann, "kubernetes.io/service-account.name"))
            k1s_ferr_required(fe, "metadata.annotations[kubernetes.io/service-account.name]", "");
    } else if (!strcmp(type, "kubernetes.io/dockercfg")) {
        if (!json_object_get(data, ".dockercfg"))
            k1s_ferr_required(fe, "data[.dockercfg]", "");
    } else if (!strcmp(type, "kubernetes.io/dockerconfigjson")) {
        if (!json_object_get(data, ".dockerconfigjson"))
            k1s_ferr_required(fe, "data[.dockerconfigjson]", "");
    } else if (!strcmp(type, "kubernetes.io/basic-auth")) {
        if (!json_object_get(data, "username") && !json_object_get(data, "password")) {
            k1s_ferr_required(fe, "data[username]", "");
            k1s_ferr_required(fe, "data[password]", "");
        }
    } else if (!strcmp(type, "kubernetes.io/ssh-auth")) {
        if (json_string_length(json_object_get(data, "ssh-privatekey")) == 0)
            k1s_ferr_required(fe, "data[ssh-privatekey]", "");
    } else if (!strcmp(type, "kubernetes.io/tls")) {
        if (!json_object_get(data, "tls.crt"))
            k1s_ferr_required(fe, "data[tls.crt]", "");
        if (!json_object_get(data, "tls.key"))
            k1s_ferr_required(fe, "data[tls.key]", "");
    }
}

static const char *const secret_fields[] = {"type", NULL};

const k1s_strategy k1s__strategy_secret = {
    .defaults = secret_defaults,
    .validate = secret_validate,
    .field_labels = secret_fields,
};

/* ServiceAccounts have nothing beyond their metadata (a DNS subdomain). */
const k1s_strategy k1s__strategy_serviceaccount = {0};

/* ---- Node ------------------------------------------------------------------------ */

static void node_defaults(json_t *obj)
{
    json_t *status = k1s__objv(obj, "status");
    json_t *cap = k1s__objv(status, "capacity");
    if (cap && !k1s__has(status, "allocatable"))
        json_object_set_new(status, "allocatable", json_deep_copy(cap));
}

static void node_taints(const json_t *taints, k1s_ferrs *fe)
{
    static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute", NULL};
    char ip[K1S_FP_MAX], fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(taints); i++) {
        const json_t *t = json_array_get(taints, i);
        /* kube roots this path at metadata */
        k1s__fp(ip, "metadata.taints[%zu]", i);
        json_t *key = json_object_get(t, "key");
        json_t *empty = json_is_string(key) ? NULL : json_string(""); /* new */
        k1s__check_qualified_name(fe, k1s__fp(fp, "%s.key", ip), empty ? empty : key);
        json_decref(empty);
        json_t *val = json_object_get(t, "value");
        if (json_is_string(val)) {
            char **msgs = k1s_is_label_value(json_string_value(val));
            if (msgs) {
                char *joined = k1s_msgs_join(msgs, ";");
                k1s_ferr_invalid(fe, k1s__fp(fp, "%s.value", ip), val, joined ? joined : "");
                free(joined);
                k1s_msgs_free(msgs);
            }
        }
        const char *eff = k1s__str0(t, "effect");
        if (!*eff)
            k1s_ferr_required(fe, k1s__fp(fp, "%s.effect", ip), "");
        else if (!k1s__one_of(eff, effects))
            k1s__ferr_not_supported_str(fe, k1s__fp(fp, "%s.effect", ip), eff, effects);
        for (size_t j = 0; j < i; j++) {
            const json_t *o = json_array_get(taints, j);
            if (!strcmp(k1s__str0(o, "key"), k1s__str0(t, "key")) &&
                !strcmp(k1s__str0(o, "effect"), eff)) {
                char *txt = json_dumps(t, JSON_COMPACT);
                char *body = NULL;
                if (asprintf(&body,
                             "Duplicate value: %s: taints must be unique by key and effect pair",
                             txt ? txt : "") >= 0)
                    k1s__ferr_raw(fe, "FieldValueDuplicate", ip, body);
                free(body);
                free(txt);
                break;
            }
        }
    }
}

static void node_resources(const json_t *status, const char *section, k1s_ferrs *fe)
{
    const char *k;
    json_t *v;
    json_object_foreach(k1s__objv(status, section), k, v)
    {
        int sign;
        if (k1s__quantity_sign(v, &sign) == 0 && sign < 0) {
            char fp[K1S_FP_MAX];
            char *t = k1s__quantity_text(v);
            k1s_ferr_invalid_str(fe, k1s__fp(fp, "status.%s.%s", section, k), t ? t : "",
                                 "must be greater than or equal to 0");
            free(t);
        }
    }
}

static void node_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *spec = k1s__objv(obj, "spec");
    node_taints(k1s__arrv(spec, "taints"), fe);
    const json_t *status = k1s__objv(obj, "status");
    node_resources(status, "capacity", fe);
    node_resources(status, "allocatable", fe);
    if (!old)
        return;
    const json_t *ospec = k1s__objv(old, "spec");
    const json_t *ocidrs = k1s__arrv(ospec, "podCIDRs");
    if (json_array_size(ocidrs) > 0 &&
        !k1s_json_semantic_equal(ocidrs, json_object_get(spec, "podCIDRs")))
        k1s_ferr_forbidden(fe, "spec.podCIDRs",
                           "node updates may not change podCIDR except from \"\" to valid");
    const char *opid = k1s__str0(ospec, "providerID");
    if (*opid && strcmp(opid, k1s__str0(spec, "providerID")))
        k1s_ferr_forbidden(fe, "spec.providerID",
                           "node updates may not change providerID except from \"\" to valid");
    if (!k1s_json_semantic_equal(json_object_get(spec, "externalID"),
                                 json_object_get(ospec, "externalID")))
        k1s_ferr_forbidden(fe, "spec.externalID", "may not be updated");
}

static const char *const node_fields[] = {"spec.unschedulable", NULL};

/* kube's TaintNodesByCondition admission: a new node is not-ready until
 * the node lifecycle controller has seen it Ready. */
static int node_admit(struct k1s_api *api, json_t *obj, const json_t *old, k1s_status *st)
{
    (void)api;
    (void)st;
    if (old)
        return 0;
    json_t *spec = k1s__ensure_obj(obj, "spec");
    json_t *taints = json_object_get(spec, "taints");
    size_t i;
    const json_t *t;
    json_array_foreach(taints, i, t)
    {
        if (!strcmp(k1s__str0(t, "key"), "node.kubernetes.io/not-ready") &&
            !strcmp(k1s__str0(t, "effect"), "NoSchedule"))
            return 0;
    }
    if (!json_is_array(taints)) {
        taints = json_array();
        json_object_set_new(spec, "taints", taints);
    }
    json_array_append_new(taints, json_pack("{s:s, s:s}", "key", "node.kubernetes.io/not-ready",
                                            "effect", "NoSchedule"));
    return 0;
}

const k1s_strategy k1s__strategy_node = {
    .allocate = node_admit,
    .defaults = node_defaults,
    .validate = node_validate,
    .field_labels = node_fields,
};

/* ---- Endpoints ------------------------------------------------------------------------ */

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};

/* IsValidIP and ValidateNonSpecialIP for an endpoint address. */
static void endpoint_ip(json_t *v, const char *path, k1s_ferrs *fe)
{
    const char *s = json_string_value(v);
    struct in_addr a;
    struct in6_addr a6;
    json_t *empty = s ? NULL : json_string(""); /* new */
    if (!s || (inet_pton(AF_INET, s, &a) != 1 && inet_pton(AF_INET6, s, &a6) != 1)) {
        k1s_ferr_invalid(fe, path, empty ? empty : v,
                         "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        k1s_ferr_invalid(fe, path, empty ? empty : v, "must be a valid IP address");
        json_decref(empty);
        return;
    }
    json_decref(empty);
    k1s__validate_non_special_ipv4(v, path, fe);
}

static void endpoint_addresses(const json_t *addrs, const char *path, k1s_ferrs *fe)
{
    char ap[K1S_FP_MAX], fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(addrs); i++) {
        const json_t *a = json_array_get(addrs, i);
        k1s__fp(ap, "%s[%zu]", path, i);
        endpoint_ip(json_object_get(a, "ip"), k1s__fp(fp, "%s.ip", ap), fe);
        json_t *hn = json_object_get(a, "hostname");
        if (json_is_string(hn) && json_string_length(hn))
            k1s__check_dns_label(fe, k1s__fp(fp, "%s.hostname", ap), hn);
        json_t *nn = json_object_get(a, "nodeName");
        if (json_is_string(nn))
            k1s__check_name_rule(fe, k1s__fp(fp, "%s.nodeName", ap), nn, K1S_NAME_DNS1123_SUBDOMAIN,
                                 false);
    }
}

static void endpoints_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    char sp[K1S_FP_MAX], fp[K1S_FP_MAX], pp[K1S_FP_MAX];
    const json_t *subsets = k1s__arrv(obj, "subsets");
    for (size_t i = 0; i < json_array_size(subsets); i++) {
        const json_t *ss = json_array_get(subsets, i);
        k1s__fp(sp, "subsets[%zu]", i);
        const json_t *ready = k1s__arrv(ss, "addresses");
        const json_t *notready = k1s__arrv(ss, "notReadyAddresses");
        if (json_array_size(ready) == 0 && json_array_size(notready) == 0)
            k1s_ferr_required(fe, sp, "must specify `addresses` or `notReadyAddresses`");
        endpoint_addresses(ready, k1s__fp(fp, "%s.addresses", sp), fe);
        endpoint_addresses(notready, k1s__fp(fp, "%s.notReadyAddresses", sp), fe);
        const json_t *ports = k1s__arrv(ss, "ports");
        for (size_t j = 0; j < json_array_size(ports); j++) {
            const json_t *p = json_array_get(ports, j);
            k1s__fp(pp, "%s.ports[%zu]", sp, j);
            json_t *name = json_object_get(p, "name");
            if (json_array_size(ports) > 1 && !*k1s__str0(p, "name"))
                k1s_ferr_required(fe, k1s__fp(fp, "%s.name", pp), "");
            else if (*k1s__str0(p, "name"))
                k1s__check_dns_label(fe, k1s__fp(fp, "%s.name", pp), name);
            json_t *port = json_object_get(p, "port");
            k1s__check_port_num(fe, k1s__fp(fp, "%s.port", pp), port);
            json_t *proto = json_object_get(p, "protocol");
            if (!*k1s__str0(p, "protocol"))
                k1s_ferr_required(fe, k1s__fp(fp, "%s.protocol", pp), "");
            else if (!k1s__one_of(json_string_value(proto), protocols))
                k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.protocol", pp), proto, protocols);
            json_t *ap = json_object_get(p, "appProtocol");
            if (json_is_string(ap))
                k1s__check_qualified_name(fe, k1s__fp(fp, "%s.appProtocol", pp), ap);
        }
    }
}

const k1s_strategy k1s__strategy_endpoints = {
    .validate = endpoints_validate,
};

/* ---- Event (core/v1) ---------------------------------------------------------------- */

/* The legacy rules core/v1 Events keep (kube's legacyValidateEvent for a
 * v1 request). */
static void event_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const char *ns = k1s__str0(k1s__objv(obj, "metadata"), "namespace");
    const json_t *io = k1s__objv(obj, "involvedObject");
    json_t *ions = json_object_get(io, "namespace");
    json_t *empty = json_is_string(ions) ? NULL : json_string(""); /* new */
    json_t *ionv = empty ? empty : ions;
    const char *ion = json_string_value(ionv);
    if (!k1s__has(obj, "eventTime")) {
        if (!*ion ? strcmp(ns, "") && strcmp(ns, "default") : strcmp(ns, ion))
            k1s_ferr_invalid(fe, "involvedObject.namespace", ionv,
                             "does not match event.namespace");
    } else {
        if (!*ion && strcmp(ns, "default") && strcmp(ns, "kube-system"))
            k1s_ferr_invalid(fe, "involvedObject.namespace", ionv,
                             "does not match event.namespace");
        json_t *rc = json_object_get(obj, "reportingComponent");
        if (!*k1s__str0(obj, "reportingComponent"))
            k1s_ferr_required(fe, "reportingComponent", "");
        json_t *rce = json_is_string(rc) ? NULL : json_string(""); /* new */
        k1s__check_qualified_name(fe, "reportingComponent", rce ? rce : rc);
        json_decref(rce);
        static const struct {
            const char *field;
            size_t max;
            bool required;
        } limits[] = {{"reportingInstance", 128, true},
                      {"action", 128, true},
                      {"reason", 128, true},
                      {"message", 1024, false}};
        for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
            size_t n = json_string_length(json_object_get(obj, limits[i].field));
            char detail[64];
            if (limits[i].required && n == 0)
                k1s_ferr_required(fe, limits[i].field, "");
            if (n > limits[i].max) {
                snprintf(detail, sizeof detail, "can have at most %zu characters", limits[i].max);
                k1s_ferr_invalid_str(fe, limits[i].field, "", detail);
            }
        }
    }
    json_decref(empty);
}

static const char *const event_fields[] = {"involvedObject.kind",
                                           "involvedObject.namespace",
                                           "involvedObject.name",
                                           "involvedObject.uid",
                                           "involvedObject.apiVersion",
                                           "involvedObject.resourceVersion",
                                           "involvedObject.fieldPath",
                                           "reason",
                                           "reportingComponent",
                                           "source",
                                           "type",
                                           NULL};

const k1s_strategy k1s__strategy_event = {
    .legacy_meta = true,
    .validate = event_validate,
    .field_labels = event_fields,
};
