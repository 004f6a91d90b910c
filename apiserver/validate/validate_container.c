/*
 * validate_container.c - the containers of a pod spec: names, image,
 * ports, environment, volume mounts, resources, probes and lifecycle
 * handlers, for regular and init containers. Called by validate_podspec.c;
 * wording follows kube's core validation.
 */
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "k1s_quantity.h"

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
static const char *const pull_policies[] = {"Always", "IfNotPresent", "Never", NULL};
static const char *const message_policies[] = {"File", "FallbackToLogsOnError", NULL};
static const char *const http_schemes[] = {"HTTP", "HTTPS", NULL};
static const char *const propagations[] = {"Bidirectional", "HostToContainer", "None", NULL};

/* ---- ports ------------------------------------------------------------------ */

static void validate_ports(const json_t *ports, const char *path, k1s_ferrs *fe)
{
    char ip[K1S_FP_MAX], fp[K1S_FP_MAX];
    json_t *names = json_object(); /* new: names seen */
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        k1s__fp(ip, "%s[%zu]", path, i);
        json_t *name = json_object_get(p, "name");
        const char *ns = json_string_value(name);
        if (ns && *ns) {
            size_t before = k1s_ferrs_count(fe);
            k1s__check_str(fe, k1s__fp(fp, "%s.name", ip), name, k1s_is_port_name);
            if (k1s_ferrs_count(fe) == before) {
                if (json_object_get(names, ns))
                    k1s_ferr_duplicate(fe, fp, name);
                else
                    json_object_set_new(names, ns, json_true());
            }
        }
        json_t *cp = json_object_get(p, "containerPort");
        if (!json_is_integer(cp) || json_integer_value(cp) == 0)
            k1s_ferr_required(fe, k1s__fp(fp, "%s.containerPort", ip), "");
        else
            k1s__check_port_num(fe, k1s__fp(fp, "%s.containerPort", ip), cp);
        json_t *hp = json_object_get(p, "hostPort");
        if (json_is_integer(hp) && json_integer_value(hp) != 0)
            k1s__check_port_num(fe, k1s__fp(fp, "%s.hostPort", ip), hp);
        json_t *proto = json_object_get(p, "protocol");
        if (!json_is_string(proto) || !json_string_length(proto))
            k1s_ferr_required(fe, k1s__fp(fp, "%s.protocol", ip), "");
        else if (!k1s__one_of(json_string_value(proto), protocols))
            k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.protocol", ip), proto, protocols);
    }
    json_decref(names);
}

/* checkHostPortConflicts: one protocol/hostIP/hostPort per pod. seen is a
 * JSON object used as a set across the containers checked together. */
static void host_port_conflicts(const json_t *ctrs, const char *path, json_t *seen, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    for (size_t c = 0; c < json_array_size(ctrs); c++) {
        const json_t *ports = k1s__arrv(json_array_get(ctrs, c), "ports");
        for (size_t i = 0; i < json_array_size(ports); i++) {
            const json_t *p = json_array_get(ports, i);
            json_int_t hp = json_integer_value(json_object_get(p, "hostPort"));
            if (hp == 0)
                continue;
            char key[K1S_FP_MAX];
            k1s__fp(key, "%s/%s/%lld", k1s__str0(p, "protocol"), k1s__str0(p, "hostIP"),
                    (long long)hp);
            if (json_object_get(seen, key)) {
                json_t *v = json_string(key);
                k1s_ferr_duplicate(fe, k1s__fp(fp, "%s[%zu].ports[%zu].hostPort", path, c, i), v);
                json_decref(v);
            } else {
                json_object_set_new(seen, key, json_true());
            }
        }
    }
}

/* ---- environment ------------------------------------------------------------- */

/* IsRelaxedEnvVarName (the RelaxedEnvironmentVariableValidation gate is on
 * by default): printable ASCII other than '='. */
static void env_name(const json_t *v, const char *path, k1s_ferrs *fe)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    for (size_t i = 0; s && i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch > 0x7e || ch == '=') {
            k1s_ferr_invalid(
                fe, path, v,
                "a valid environment variable name must consist only of printable ASCII characters other than '='");
            return;
        }
    }
}

/* Field paths ConvertDownwardAPIFieldLabel knows, and those env may use. */
static const char *const downward_known[] = {"metadata.annotations",
                                             "metadata.labels",
                                             "metadata.name",
                                             "metadata.namespace",
                                             "metadata.uid",
                                             "spec.nodeName",
                                             "spec.restartPolicy",
                                             "spec.serviceAccountName",
                                             "spec.schedulerName",
                                             "status.phase",
                                             "status.hostIP",
                                             "status.hostIPs",
                                             "status.podIP",
                                             "status.podIPs",
                                             NULL};
static const char *const downward_env[] = {"metadata.name",
                                           "metadata.namespace",
                                           "metadata.uid",
                                           "spec.nodeName",
                                           "spec.serviceAccountName",
                                           "status.hostIP",
                                           "status.hostIPs",
                                           "status.podIP",
                                           "status.podIPs",
                                           NULL};
static const char *const resource_fields[] = {"limits.cpu",
                                              "limits.ephemeral-storage",
                                              "limits.memory",
                                              "requests.cpu",
                                              "requests.ephemeral-storage",
                                              "requests.memory",
                                              NULL};

static void field_ref(const json_t *fs, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!*k1s__str0(fs, "apiVersion")) {
        k1s_ferr_required(fe, k1s__fp(fp, "%s.apiVersion", path), "");
        return;
    }
    json_t *fpv = json_object_get(fs, "fieldPath");
    const char *f = json_string_value(fpv);
    if (!f || !*f) {
        k1s_ferr_required(fe, k1s__fp(fp, "%s.fieldPath", path), "");
        return;
    }
    const char *br = strchr(f, '[');
    size_t base = br ? (size_t)(br - f) : strlen(f);
    char head[K1S_FP_MAX];
    snprintf(head, sizeof head, "%.*s", (int)(base < 400 ? base : 400), f);
    if (br) {
        /* metadata.labels['key'] and metadata.annotations['key'] */
        size_t n = strlen(f);
        if (strcmp(head, "metadata.labels") && strcmp(head, "metadata.annotations")) {
            char detail[2 * K1S_FP_MAX];
            snprintf(detail, sizeof detail,
                     "error converting fieldPath: field label not supported: %.400s", f);
            k1s_ferr_invalid(fe, k1s__fp(fp, "%s.fieldPath", path), fpv, detail);
            return;
        }
        if (n < base + 4 || br[1] != '\'' || f[n - 1] != ']' || f[n - 2] != '\'') {
            k1s_ferr_invalid_str(fe, path, head, "does not support subscript");
            return;
        }
        json_t *key = json_stringn(br + 2, n - base - 4); /* new */
        if (!strcmp(head, "metadata.annotations") && key) {
            char *lower = strdup(json_string_value(key));
            for (char *p = lower; p && *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p += 32;
            if (lower)
                json_string_set(key, lower);
            free(lower);
        }
        if (key)
            k1s__check_qualified_name(fe, path, key);
        json_decref(key);
        return;
    }
    if (!k1s__one_of(f, downward_known)) {
        char detail[2 * K1S_FP_MAX];
        snprintf(detail, sizeof detail,
                 "error converting fieldPath: field label not supported: %.400s", f);
        k1s_ferr_invalid(fe, k1s__fp(fp, "%s.fieldPath", path), fpv, detail);
        return;
    }
    if (!k1s__one_of(f, downward_env))
        k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.fieldPath", path), fpv, downward_env);
}

static void key_selector(const json_t *s, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    json_t *name = json_object_get(s, "name");
    json_t *empty = json_is_string(name) ? NULL : json_string(""); /* new */
    k1s__check_name_rule(fe, k1s__fp(fp, "%s.name", path), empty ? empty : name,
                         K1S_NAME_DNS1123_SUBDOMAIN, false);
    json_decref(empty);
    json_t *key = json_object_get(s, "key");
    if (!json_is_string(key) || !json_string_length(key))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.key", path), "");
    else
        k1s__check_str(fe, fp, key, k1s_is_config_map_key);
}

static void validate_env(const json_t *env, const char *path, k1s_ferrs *fe)
{
    char ip[K1S_FP_MAX], fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(env); i++) {
        const json_t *ev = json_array_get(env, i);
        k1s__fp(ip, "%s[%zu]", path, i);
        json_t *name = json_object_get(ev, "name");
        if (!json_is_string(name) || !json_string_length(name))
            k1s_ferr_required(fe, k1s__fp(fp, "%s.name", ip), "");
        else
            env_name(name, k1s__fp(fp, "%s.name", ip), fe);
        const json_t *vf = k1s__objv(ev, "valueFrom");
        if (!vf)
            continue;
        char vp[K1S_FP_MAX];
        k1s__fp(vp, "%s.valueFrom", ip);
        int n = 0;
        const json_t *src;
        if ((src = k1s__objv(vf, "fieldRef"))) {
            n++;
            field_ref(src, k1s__fp(fp, "%s.fieldRef", vp), fe);
        }
        if ((src = k1s__objv(vf, "resourceFieldRef"))) {
            n++;
            json_t *res = json_object_get(src, "resource");
            const char *r = json_string_value(res);
            if (!r || !*r)
                k1s_ferr_required(fe, k1s__fp(fp, "%s.resourceFieldRef.resource", vp), "");
            else if (!k1s__one_of(r, resource_fields) && strncmp(r, "requests.hugepages-", 19) &&
                     strncmp(r, "limits.hugepages-", 17))
                k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.resourceFieldRef.resource", vp), res,
                                       resource_fields);
        }
        if ((src = k1s__objv(vf, "configMapKeyRef"))) {
            n++;
            key_selector(src, k1s__fp(fp, "%s.configMapKeyRef", vp), fe);
        }
        if ((src = k1s__objv(vf, "secretKeyRef"))) {
            n++;
            key_selector(src, k1s__fp(fp, "%s.secretKeyRef", vp), fe);
        }
        if (n == 0)
            k1s_ferr_invalid_str(
                fe, vp, "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
        else if (*k1s__str0(ev, "value"))
            k1s_ferr_invalid_str(fe, vp, "", "may not be specified when `value` is not empty");
        else if (n > 1)
            k1s_ferr_invalid_str(fe, vp, "",
                                 "may not have more than one field specified at a time");
    }
}

static void env_source_name(const json_t *ref, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    json_t *name = json_object_get(ref, "name");
    if (!json_is_string(name) || !json_string_length(name))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.name", path), "");
    else
        k1s__check_name_rule(fe, k1s__fp(fp, "%s.name", path), name, K1S_NAME_DNS1123_SUBDOMAIN,
                             true);
}

static void validate_env_from(const json_t *list, const char *path, k1s_ferrs *fe)
{
    char ip[K1S_FP_MAX], fp[K1S_FP_MAX];
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *ev = json_array_get(list, i);
        k1s__fp(ip, "%s[%zu]", path, i);
        json_t *prefix = json_object_get(ev, "prefix");
        if (json_is_string(prefix) && json_string_length(prefix))
            env_name(prefix, k1s__fp(fp, "%s.prefix", ip), fe);
        int n = 0;
        if (k1s__objv(ev, "configMapRef")) {
            n++;
            env_source_name(k1s__objv(ev, "configMapRef"), k1s__fp(fp, "%s.configMapRef", ip), fe);
        }
        if (k1s__objv(ev, "secretRef")) {
            n++;
            env_source_name(k1s__objv(ev, "secretRef"), k1s__fp(fp, "%s.secretRef", ip), fe);
        }
        if (n == 0)
            k1s_ferr_invalid_str(fe, path, "",
                                 "must specify one of: `configMapRef` or `secretRef`");
        else if (n > 1)
            k1s_ferr_invalid_str(fe, path, "",
                                 "may not have more than one field specified at a time");
    }
}

/* ---- volume mounts ------------------------------------------------------------- */

/* validateLocalDescendingPath: relative, no "..". */
static void descending_path(const json_t *v, const char *path, k1s_ferrs *fe)
{
    const char *p = json_string_value(v);
    if (!p)
        return;
    if (p[0] == '/')
        k1s_ferr_invalid(fe, path, v, "must be a relative path");
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.') {
            k1s_ferr_invalid(fe, path, v, "must not contain '..'");
            return;
        }
        s += n + (e ? 1 : 0);
    }
}

static void validate_mounts(const json_t *mounts, const char *path, const json_t *vols,
                            k1s_ferrs *fe)
{
    char ip[K1S_FP_MAX], fp[K1S_FP_MAX];
    json_t *points = json_object(); /* new: mount paths seen */
    for (size_t i = 0; i < json_array_size(mounts); i++) {
        const json_t *m = json_array_get(mounts, i);
        k1s__fp(ip, "%s[%zu]", path, i);
        json_t *name = json_object_get(m, "name");
        const char *ns = json_string_value(name);
        if (!ns || !*ns)
            k1s_ferr_required(fe, k1s__fp(fp, "%s.name", ip), "");
        if (!json_object_get(vols, ns ? ns : "")) {
            json_t *empty = ns ? NULL : json_string(""); /* new */
            k1s__ferr_not_found(fe, k1s__fp(fp, "%s.name", ip), empty ? empty : name);
            json_decref(empty);
        }
        json_t *mp = json_object_get(m, "mountPath");
        const char *mps = json_string_value(mp);
        if (!mps || !*mps)
            k1s_ferr_required(fe, k1s__fp(fp, "%s.mountPath", ip), "");
        if (json_object_get(points, mps ? mps : ""))
            k1s_ferr_invalid(fe, k1s__fp(fp, "%s.mountPath", ip), mp, "must be unique");
        json_object_set_new(points, mps ? mps : "", json_true());
        json_t *sub = json_object_get(m, "subPath");
        json_t *expr = json_object_get(m, "subPathExpr");
        if (json_is_string(sub) && json_string_length(sub))
            descending_path(sub, k1s__fp(fp, "%s.subPath", path), fe);
        if (json_is_string(expr) && json_string_length(expr)) {
            if (json_is_string(sub) && json_string_length(sub))
                k1s_ferr_invalid(fe, k1s__fp(fp, "%s.subPathExpr", ip), expr,
                                 "subPathExpr and subPath are mutually exclusive");
            descending_path(expr, k1s__fp(fp, "%s.subPathExpr", path), fe);
        }
        json_t *prop = json_object_get(m, "mountPropagation");
        if (json_is_string(prop) && !k1s__one_of(json_string_value(prop), propagations))
            k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.mountPropagation", path), prop,
                                   propagations);
    }
    json_decref(points);
}

/* ---- resources ------------------------------------------------------------------- */

static const char *const standard_resources[] = {"cpu",
                                                 "memory",
                                                 "ephemeral-storage",
                                                 "requests.cpu",
                                                 "requests.memory",
                                                 "requests.ephemeral-storage",
                                                 "limits.cpu",
                                                 "limits.memory",
                                                 "limits.ephemeral-storage",
                                                 "pods",
                                                 "services",
                                                 "replicationcontrollers",
                                                 "resourcequotas",
                                                 "secrets",
                                                 "persistentvolumeclaims",
                                                 "configmaps",
                                                 "services.nodeports",
                                                 "services.loadbalancers",
                                                 "requests.storage",
                                                 NULL};

static bool is_hugepages(const char *r)
{
    return !strncmp(r, "hugepages-", 10);
}

static bool is_native(const char *r)
{
    return !strchr(r, '/') || strstr(r, "kubernetes.io/");
}

/* IsOvercommitAllowed: native resources but huge pages. */
static bool overcommit_allowed(const char *r)
{
    return is_native(r) && !is_hugepages(r);
}

static void resource_name(const char *r, const char *path, k1s_ferrs *fe)
{
    json_t *v = json_string(r); /* new */
    if (!v)
        return;
    size_t before = k1s_ferrs_count(fe);
    k1s__check_qualified_name(fe, path, v);
    if (k1s_ferrs_count(fe) == before) {
        if (!strchr(r, '/')) {
            if (!k1s__one_of(r, standard_resources) && !is_hugepages(r) &&
                strncmp(r, "requests.hugepages-", 19))
                k1s_ferr_invalid(fe, path, v,
                                 "must be a standard resource type or fully qualified");
            if (strcmp(r, "cpu") && strcmp(r, "memory") && strcmp(r, "ephemeral-storage") &&
                !is_hugepages(r))
                k1s_ferr_invalid(fe, path, v, "must be a standard resource for containers");
        } else if (!is_native(r) && !strncmp(r, "requests.", 9)) {
            k1s_ferr_invalid(fe, path, v, "doesn't follow extended resource name standard");
        }
    }
    json_decref(v);
}

/* ValidateResourceQuantityValue: not negative; extended resources whole. */
static void quantity_value(const char *r, const json_t *q, const char *path, k1s_ferrs *fe)
{
    k1s_quantity qq;
    if (k1s_quantity_from_json(q, &qq) != 0)
        return; /* decoding rejects what does not parse */
    char *t = k1s_quantity_string(&qq);
    if (qq.sign < 0)
        k1s_ferr_invalid_str(fe, path, t ? t : "", "must be greater than or equal to 0");
    int64_t milli;
    if (!is_native(r) && (k1s_quantity_milli(&qq, &milli) != 0 || milli % 1000 != 0))
        k1s__ferr_invalid_text(fe, path, t, "must be an integer");
    free(t);
}

static void validate_resources(const json_t *res, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX], lp[K1S_FP_MAX], rp[K1S_FP_MAX];
    const json_t *limits = k1s__objv(res, "limits");
    const json_t *requests = k1s__objv(res, "requests");
    k1s__fp(lp, "%s.limits", path);
    k1s__fp(rp, "%s.requests", path);
    bool lim_cm = false, req_cm = false, huge = false;
    const char *r;
    json_t *q;
    json_object_foreach((json_t *)limits, r, q)
    {
        k1s__fp(fp, "%s[%s]", lp, r);
        resource_name(r, fp, fe);
        quantity_value(r, q, fp, fe);
        huge |= is_hugepages(r);
        lim_cm |= !strcmp(r, "cpu") || !strcmp(r, "memory");
    }
    json_object_foreach((json_t *)requests, r, q)
    {
        k1s__fp(fp, "%s[%s]", rp, r);
        resource_name(r, fp, fe);
        quantity_value(r, q, fp, fe);
        json_t *lim = json_object_get(limits, r);
        k1s_quantity a, b;
        if (lim) {
            if (k1s_quantity_from_json(q, &a) == 0 && k1s_quantity_from_json(lim, &b) == 0) {
                int c = k1s_quantity_cmp(&a, &b);
                char *at = k1s_quantity_string(&a), *bt = k1s_quantity_string(&b);
                char detail[2 * K1S_FP_MAX];
                if (c != 0 && !overcommit_allowed(r)) {
                    snprintf(detail, sizeof detail, "must be equal to %s limit of %s", r,
                             bt ? bt : "");
                    k1s_ferr_invalid_str(fe, rp, at ? at : "", detail);
                } else if (c > 0) {
                    snprintf(detail, sizeof detail, "must be less than or equal to %s limit of %s",
                             r, bt ? bt : "");
                    k1s_ferr_invalid_str(fe, rp, at ? at : "", detail);
                }
                free(at);
                free(bt);
            }
        } else if (!overcommit_allowed(r)) {
            k1s_ferr_required(fe, lp, "Limit must be set for non overcommitable resources");
        }
        huge |= is_hugepages(r);
        req_cm |= !strcmp(r, "cpu") || !strcmp(r, "memory");
    }
    if (huge && !lim_cm && !req_cm)
        k1s_ferr_forbidden(fe, path, "HugePages require cpu or memory");
}

/* ---- probes and handlers ----------------------------------------------------------- */

static void port_num_or_name(const json_t *port, const char *path, k1s_ferrs *fe)
{
    if (json_is_string(port))
        k1s__check_str(fe, path, port, k1s_is_port_name);
    else
        k1s__check_port_num(fe, path, port);
}

static void handler(const json_t *h, const char *path, bool probe, k1s_ferrs *fe)
{
    static const char *const probe_kinds[] = {"exec", "httpGet", "tcpSocket", "grpc", NULL};
    static const char *const life_kinds[] = {"exec", "httpGet", "tcpSocket", "sleep", NULL};
    char fp[K1S_FP_MAX];
    int n = 0;
    for (const char *const *k = probe ? probe_kinds : life_kinds; *k; k++) {
        const json_t *a = k1s__objv(h, *k);
        if (!a)
            continue;
        if (n++ > 0) {
            k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.%s", path, *k),
                               "may not specify more than 1 handler type");
            continue;
        }
        if (!strcmp(*k, "exec")) {
            if (json_array_size(k1s__arrv(a, "command")) == 0)
                k1s_ferr_required(fe, k1s__fp(fp, "%s.exec.command", path), "");
        } else if (!strcmp(*k, "httpGet")) {
            if (!*k1s__str0(a, "path"))
                k1s_ferr_required(fe, k1s__fp(fp, "%s.httpGet.path", path), "");
            port_num_or_name(json_object_get(a, "port"), k1s__fp(fp, "%s.httpGet.port", path), fe);
            json_t *scheme = json_object_get(a, "scheme");
            const char *s = json_string_value(scheme);
            if (!k1s__one_of(s ? s : "", http_schemes)) {
                json_t *empty = s ? NULL : json_string(""); /* new */
                k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.httpGet.scheme", path),
                                       empty ? empty : scheme, http_schemes);
                json_decref(empty);
            }
        } else if (!strcmp(*k, "tcpSocket")) {
            port_num_or_name(json_object_get(a, "port"), k1s__fp(fp, "%s.tcpSocket.port", path),
                             fe);
        } else if (!strcmp(*k, "grpc")) {
            json_t *port = json_object_get(a, "port");
            k1s__check_port_num(fe, k1s__fp(fp, "%s.grpc.port", path), port);
        }
    }
    if (n == 0)
        k1s_ferr_required(fe, path, "must specify a handler type");
}

typedef enum { LIVENESS, READINESS, STARTUP } probe_kind;

static void validate_probe(const json_t *p, const char *path, probe_kind kind, k1s_ferrs *fe)
{
    static const char *const counts[] = {"initialDelaySeconds", "timeoutSeconds",   "periodSeconds",
                                         "successThreshold",    "failureThreshold", NULL};
    char fp[K1S_FP_MAX];
    if (!p)
        return;
    handler(p, path, true, fe);
    for (const char *const *c = counts; *c; c++)
        k1s__ferr_nonneg(fe, k1s__fp(fp, "%s.%s", path, *c), json_object_get(p, *c));
    json_t *tg = json_object_get(p, "terminationGracePeriodSeconds");
    if (json_is_integer(tg) && json_integer_value(tg) <= 0)
        k1s_ferr_invalid(fe, k1s__fp(fp, "%s.terminationGracePeriodSeconds", path), tg,
                         "must be greater than 0");
    json_t *st = json_object_get(p, "successThreshold");
    if (kind != READINESS && json_is_integer(st) && json_integer_value(st) != 1)
        k1s_ferr_invalid(fe, k1s__fp(fp, "%s.successThreshold", path), st, "must be 1");
    if (kind == READINESS && tg && !json_is_null(tg))
        k1s_ferr_invalid(fe, k1s__fp(fp, "%s.terminationGracePeriodSeconds", path), tg,
                         "must not be set for readinessProbes");
}

static void validate_lifecycle(const json_t *lc, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (k1s__objv(lc, "postStart"))
        handler(k1s__objv(lc, "postStart"), k1s__fp(fp, "%s.postStart", path), false, fe);
    if (k1s__objv(lc, "preStop"))
        handler(k1s__objv(lc, "preStop"), k1s__fp(fp, "%s.preStop", path), false, fe);
}

/* ---- containers ---------------------------------------------------------------------- */

/* validateContainerCommon. */
static void container_common(const json_t *c, const char *path, const json_t *vols, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    json_t *name = json_object_get(c, "name");
    if (!json_is_string(name) || !json_string_length(name))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.name", path), "");
    else
        k1s__check_dns_label(fe, k1s__fp(fp, "%s.name", path), name);
    if (!*k1s__str0(c, "image"))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.image", path), "");
    json_t *tmp = json_object_get(c, "terminationMessagePolicy");
    if (!json_is_string(tmp) || !json_string_length(tmp))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.terminationMessagePolicy", path), "");
    else if (!k1s__one_of(json_string_value(tmp), message_policies))
        k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.terminationMessagePolicy", path), tmp,
                               message_policies);
    validate_ports(k1s__arrv(c, "ports"), k1s__fp(fp, "%s.ports", path), fe);
    validate_env(k1s__arrv(c, "env"), k1s__fp(fp, "%s.env", path), fe);
    validate_env_from(k1s__arrv(c, "envFrom"), k1s__fp(fp, "%s.envFrom", path), fe);
    validate_mounts(k1s__arrv(c, "volumeMounts"), k1s__fp(fp, "%s.volumeMounts", path), vols, fe);
    json_t *pp = json_object_get(c, "imagePullPolicy");
    if (!json_is_string(pp) || !json_string_length(pp))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.imagePullPolicy", path), "");
    else if (!k1s__one_of(json_string_value(pp), pull_policies))
        k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.imagePullPolicy", path), pp, pull_policies);
    validate_resources(k1s__objv(c, "resources"), k1s__fp(fp, "%s.resources", path), fe);
}

void k1s__validate_containers(const json_t *spec, const char *path, const json_t *vols,
                              k1s_ferrs *fe)
{
    char cp[K1S_FP_MAX], fp[K1S_FP_MAX], base[K1S_FP_MAX];
    const json_t *ctrs = k1s__arrv(spec, "containers");
    json_t *names = json_object(); /* new: regular container names */
    k1s__fp(base, "%s.containers", path);
    if (json_array_size(ctrs) == 0)
        k1s_ferr_required(fe, base, "");
    for (size_t i = 0; i < json_array_size(ctrs); i++) {
        const json_t *c = json_array_get(ctrs, i);
        k1s__fp(cp, "%s[%zu]", base, i);
        container_common(c, cp, vols, fe);
        json_t *name = json_object_get(c, "name");
        const char *ns = json_string_value(name);
        if (json_object_get(names, ns ? ns : ""))
            k1s_ferr_duplicate(fe, k1s__fp(fp, "%s.name", cp), name);
        else
            json_object_set_new(names, ns ? ns : "", json_true());
        if (k1s__objv(c, "lifecycle"))
            validate_lifecycle(k1s__objv(c, "lifecycle"), k1s__fp(fp, "%s.lifecycle", cp), fe);
        validate_probe(k1s__objv(c, "livenessProbe"), k1s__fp(fp, "%s.livenessProbe", cp), LIVENESS,
                       fe);
        validate_probe(k1s__objv(c, "readinessProbe"), k1s__fp(fp, "%s.readinessProbe", cp),
                       READINESS, fe);
        validate_probe(k1s__objv(c, "startupProbe"), k1s__fp(fp, "%s.startupProbe", cp), STARTUP,
                       fe);
        if (k1s__has(c, "restartPolicy"))
            k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.restartPolicy", cp),
                               "may not be set for non-init containers");
    }
    json_t *seen = json_object(); /* new */
    host_port_conflicts(ctrs, base, seen, fe);
    json_decref(seen);

    const json_t *inits = k1s__arrv(spec, "initContainers");
    k1s__fp(base, "%s.initContainers", path);
    for (size_t i = 0; i < json_array_size(inits); i++) {
        const json_t *c = json_array_get(inits, i);
        k1s__fp(cp, "%s[%zu]", base, i);
        container_common(c, cp, vols, fe);
        bool always = false;
        json_t *rp = json_object_get(c, "restartPolicy");
        if (json_is_string(rp)) {
            static const char *const only_always[] = {"Always", NULL};
            always = !strcmp(json_string_value(rp), "Always");
            if (!always)
                k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.restartPolicy", cp), rp, only_always);
        }
        json_t *name = json_object_get(c, "name");
        const char *ns = json_string_value(name);
        if (json_object_get(names, ns ? ns : ""))
            k1s_ferr_duplicate(fe, k1s__fp(fp, "%s.name", cp), name);
        else if (ns && *ns)
            json_object_set_new(names, ns, json_true());
        json_t *one = json_array(), *seen1 = json_object(); /* new */
        json_array_append((json_t *)one, (json_t *)c);
        host_port_conflicts(one, base, seen1, fe);
        json_decref(one);
        json_decref(seen1);
        if (always) {
            if (k1s__objv(c, "lifecycle"))
                validate_lifecycle(k1s__objv(c, "lifecycle"), k1s__fp(fp, "%s.lifecycle", cp), fe);
            validate_probe(k1s__objv(c, "livenessProbe"), k1s__fp(fp, "%s.livenessProbe", cp),
                           LIVENESS, fe);
            validate_probe(k1s__objv(c, "readinessProbe"), k1s__fp(fp, "%s.readinessProbe", cp),
                           READINESS, fe);
            validate_probe(k1s__objv(c, "startupProbe"), k1s__fp(fp, "%s.startupProbe", cp),
                           STARTUP, fe);
        } else {
            static const char *const banned[] = {"lifecycle", "livenessProbe", "readinessProbe",
                                                 "startupProbe", NULL};
            for (const char *const *b = banned; *b; b++)
                if (k1s__has(c, *b))
                    k1s_ferr_forbidden(
                        fe, k1s__fp(fp, "%s.%s", cp, *b),
                        "may not be set for init containers without restartPolicy=Always");
        }
    }
    json_decref(names);
}
