/*
 * strategy_misc.c - strategies of the kinds outside core and apps:
 * discovery.k8s.io EndpointSlice, coordination.k8s.io Lease and
 * events.k8s.io Event. Basic required-field and format validation with
 * kube's wording.
 */
#include "strategy_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* ---- EndpointSlice -------------------------------------------------------------- */

#define MAX_ENDPOINTS 1000
#define MAX_ADDRESSES 100
#define MAX_PORTS 20000
#define MAX_TOPOLOGY_LABELS 16

static void too_many(k1s_ferrs *fe, const char *field, size_t n, size_t max)
{
    char body[96];
    snprintf(body, sizeof body, "Too many: %zu: must have at most %zu items", n, max);
    k1s__ferr_raw(fe, "FieldValueTooMany", field, body);
}

static void slice_address(json_t *v, const char *type, const char *path, k1s_ferrs *fe)
{
    const char *s = json_string_value(v);
    json_t *empty = s ? NULL : json_string(""); /* new */
    json_t *val = empty ? empty : v;
    struct in_addr a;
    struct in6_addr a6;
    if (!strcmp(type, "IPv4")) {
        if (!s || inet_pton(AF_INET, s, &a) != 1) {
            k1s_ferr_invalid(fe, path, val, "must be a valid IPv4 address");
        } else {
            k1s__validate_non_special_ipv4(val, path, fe);
        }
    } else if (!strcmp(type, "IPv6")) {
        if (!s || inet_pton(AF_INET6, s, &a6) != 1)
            k1s_ferr_invalid(fe, path, val, "must be a valid IPv6 address");
    } else if (!strcmp(type, "FQDN")) {
        k1s__check_dns_subdomain(fe, path, val);
    }
    json_decref(empty);
}

static void endpointslice_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    static const char *const types[] = {"FQDN", "IPv4", "IPv6", NULL};
    static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
    char ep[K1S_FP_MAX], fp[K1S_FP_MAX];
    json_t *at = json_object_get(obj, "addressType");
    const char *type = k1s__str0(obj, "addressType");
    if (!*type)
        k1s_ferr_required(fe, "addressType", "");
    else if (!k1s__one_of(type, types))
        k1s_ferr_not_supported(fe, "addressType", at, types);
    const json_t *eps = k1s__arrv(obj, "endpoints");
    if (json_array_size(eps) > MAX_ENDPOINTS) {
        too_many(fe, "endpoints", json_array_size(eps), MAX_ENDPOINTS);
    } else {
        for (size_t i = 0; i < json_array_size(eps); i++) {
            const json_t *e = json_array_get(eps, i);
            k1s__fp(ep, "endpoints[%zu]", i);
            const json_t *addrs = k1s__arrv(e, "addresses");
            k1s__fp(fp, "%s.addresses", ep);
            if (json_array_size(addrs) == 0)
                k1s_ferr_required(fe, fp, "must contain at least 1 address");
            else if (json_array_size(addrs) > MAX_ADDRESSES)
                too_many(fe, fp, json_array_size(addrs), MAX_ADDRESSES);
            for (size_t j = 0; j < json_array_size(addrs) && j <= MAX_ADDRESSES; j++) {
                char ap[K1S_FP_MAX];
                slice_address(json_array_get(addrs, j), type,
                              k1s__fp(ap, "%s.addresses[%zu]", ep, j), fe);
            }
            json_t *nn = json_object_get(e, "nodeName");
            if (json_is_string(nn))
                k1s__check_name_rule(fe, k1s__fp(fp, "%s.nodeName", ep), nn,
                                     K1S_NAME_DNS1123_SUBDOMAIN, false);
            const json_t *topo = k1s__objv(e, "deprecatedTopology");
            k1s__fp(fp, "%s.deprecatedTopology", ep);
            if (json_object_size(topo) > MAX_TOPOLOGY_LABELS)
                too_many(fe, fp, json_object_size(topo), MAX_TOPOLOGY_LABELS);
            k1s__validate_labels(topo, fp, fe);
            json_t *hn = json_object_get(e, "hostname");
            if (json_is_string(hn))
                k1s__check_dns_label(fe, k1s__fp(fp, "%s.hostname", ep), hn);
        }
    }
    const json_t *ports = k1s__arrv(obj, "ports");
    if (json_array_size(ports) > MAX_PORTS) {
        too_many(fe, "ports", json_array_size(ports), MAX_PORTS);
    } else {
        json_t *names = json_object(); /* new */
        for (size_t i = 0; i < json_array_size(ports); i++) {
            const json_t *p = json_array_get(ports, i);
            k1s__fp(ep, "ports[%zu]", i);
            json_t *name = json_object_get(p, "name");
            const char *ns = json_is_string(name) ? json_string_value(name) : "";
            if (*ns)
                k1s__check_dns_label(fe, k1s__fp(fp, "%s.name", ep), name);
            if (json_object_get(names, ns)) {
                json_t *v = json_string(ns); /* new */
                k1s_ferr_duplicate(fe, k1s__fp(fp, "%s.name", ep), v);
                json_decref(v);
            } else {
                json_object_set_new(names, ns, json_true());
            }
            json_t *port = json_object_get(p, "port");
            if (json_is_integer(port))
                k1s__check_port_num(fe, k1s__fp(fp, "%s.port", ep), port);
            json_t *proto = json_object_get(p, "protocol");
            if (!json_is_string(proto))
                k1s_ferr_required(fe, k1s__fp(fp, "%s.protocol", ep), "");
            else if (!k1s__one_of(json_string_value(proto), protocols))
                k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.protocol", ep), proto, protocols);
            json_t *ap = json_object_get(p, "appProtocol");
            if (json_is_string(ap))
                k1s__check_qualified_name(fe, k1s__fp(fp, "%s.appProtocol", ep), ap);
        }
        json_decref(names);
    }
    if (old) {
        json_t *oat = json_object_get(old, "addressType");
        if (!k1s_json_semantic_equal(at, oat)) {
            json_t *empty = at ? NULL : json_string(""); /* new */
            k1s_ferr_invalid(fe, "addressType", empty ? empty : at, "field is immutable");
            json_decref(empty);
        }
    }
}

const k1s_strategy k1s__strategy_endpointslice = {
    .validate = endpointslice_validate,
};

/* ---- Lease -------------------------------------------------------------------------- */

static void lease_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *spec = k1s__objv(obj, "spec");
    json_t *d = json_object_get(spec, "leaseDurationSeconds");
    if (json_is_integer(d) && json_integer_value(d) <= 0)
        k1s_ferr_invalid(fe, "spec.leaseDurationSeconds", d, "must be greater than 0");
    k1s__ferr_nonneg(fe, "spec.leaseTransitions", json_object_get(spec, "leaseTransitions"));
}

const k1s_strategy k1s__strategy_lease = {
    .validate = lease_validate,
};

/* ---- events.k8s.io Event ---------------------------------------------------------- */

/* Checks kube runs on the core form of the event, so paths use the core
 * field names (involvedObject for regarding, message for note, ...). */
static void events_event_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const char *ns = k1s__str0(k1s__objv(obj, "metadata"), "namespace");
    const json_t *reg = k1s__objv(obj, "regarding");
    json_t *regns = json_object_get(reg, "namespace");
    json_t *empty = json_is_string(regns) ? NULL : json_string(""); /* new */
    json_t *rnv = empty ? empty : regns;
    const char *rn = json_string_value(rnv);
    bool has_time = k1s__has(obj, "eventTime");
    if (!has_time) {
        if (!*rn ? strcmp(ns, "") && strcmp(ns, "default") : strcmp(ns, rn))
            k1s_ferr_invalid(fe, "involvedObject.namespace", rnv, "does not match event.namespace");
    } else {
        if (!*rn && strcmp(ns, "default") && strcmp(ns, "kube-system"))
            k1s_ferr_invalid(fe, "involvedObject.namespace", rnv, "does not match event.namespace");
        json_t *rc = json_object_get(obj, "reportingController");
        if (!*k1s__str0(obj, "reportingController"))
            k1s_ferr_required(fe, "reportingController", "");
        json_t *rce = json_is_string(rc) ? NULL : json_string(""); /* new */
        k1s__check_qualified_name(fe, "reportingController", rce ? rce : rc);
        json_decref(rce);
        static const struct {
            const char *json, *field;
            size_t max;
            bool required;
        } limits[] = {{"reportingInstance", "reportingInstance", 128, true},
                      {"action", "action", 128, true},
                      {"reason", "reason", 128, true},
                      {"note", "message", 1024, false}};
        for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
            size_t n = json_string_length(json_object_get(obj, limits[i].json));
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
    if (old) {
        static const struct {
            const char *json, *field;
        } fixed[] = {{"regarding", "involvedObject"},
                     {"reason", "reason"},
                     {"note", "message"},
                     {"deprecatedSource", "source"},
                     {"deprecatedFirstTimestamp", "firstTimestamp"},
                     {"deprecatedLastTimestamp", "lastTimestamp"},
                     {"deprecatedCount", "count"},
                     {"type", "type"},
                     {"action", "action"},
                     {"related", "related"},
                     {"reportingController", "reportingController"},
                     {"reportingInstance", "reportingInstance"}};
        for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
            json_t *v = json_object_get(obj, fixed[i].json);
            if (k1s_json_semantic_equal(v, json_object_get(old, fixed[i].json)))
                continue;
            char *t = v ? k1s__go_plain(v) : NULL;
            if (json_is_string(v))
                k1s_ferr_invalid(fe, fixed[i].field, v, "field is immutable");
            else
                k1s__ferr_invalid_text(fe, fixed[i].field, t ? t : "null", "field is immutable");
            free(t);
        }
        return;
    }
    /* the rules of events written through events.k8s.io */
    if (!has_time)
        k1s_ferr_required(fe, "eventTime", "");
    const json_t *series = k1s__objv(obj, "series");
    if (series) {
        if (json_integer_value(json_object_get(series, "count")) < 2)
            k1s_ferr_invalid_str(fe, "series.count", "", "should be at least 2");
        if (!k1s__has(series, "lastObservedTime"))
            k1s_ferr_required(fe, "series.lastObservedTime", "");
    }
    const char *type = k1s__str0(obj, "type");
    if (strcmp(type, "Normal") && strcmp(type, "Warning")) {
        char detail[K1S_FP_MAX];
        snprintf(detail, sizeof detail, "has invalid value: %.400s", type);
        k1s_ferr_invalid_str(fe, "type", "", detail);
    }
    if (k1s__has(obj, "deprecatedFirstTimestamp"))
        k1s_ferr_invalid_str(fe, "firstTimestamp", "", "needs to be unset");
    if (k1s__has(obj, "deprecatedLastTimestamp"))
        k1s_ferr_invalid_str(fe, "lastTimestamp", "", "needs to be unset");
    if (json_integer_value(json_object_get(obj, "deprecatedCount")) != 0)
        k1s_ferr_invalid_str(fe, "count", "", "needs to be unset");
    const json_t *src = k1s__objv(obj, "deprecatedSource");
    if (*k1s__str0(src, "component") || *k1s__str0(src, "host"))
        k1s_ferr_invalid_str(fe, "source", "", "needs to be unset");
}

static const char *const events_event_fields[] = {"regarding.kind",
                                                  "regarding.namespace",
                                                  "regarding.name",
                                                  "regarding.uid",
                                                  "regarding.apiVersion",
                                                  "regarding.resourceVersion",
                                                  "regarding.fieldPath",
                                                  "reason",
                                                  "reportingController",
                                                  "type",
                                                  NULL};

const k1s_strategy k1s__strategy_events_event = {
    .validate = events_event_validate,
    .field_labels = events_event_fields,
};
