/*
 * validate_service.c - ValidateService and ValidateServiceUpdate with
 * kube's wording, plus the IP family checks kube's allocator makes on a
 * single-stack IPv4 cluster. Validation works on a prepared copy of the
 * object (allocated values carried over), so it judges what will be stored.
 */
#include "service_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- validation ---------------------------------------------------------------------- */

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
static const char *const affinities[] = {"ClientIP", "None", NULL};
static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL};
static const char *const families[] = {"IPv4", "IPv6", NULL};
static const char *const family_policies[] = {"PreferDualStack", "RequireDualStack", "SingleStack",
                                              NULL};
static const char *const traffic_policies[] = {"Cluster", "Local", NULL};

static char *ips_text(const json_t *spec)
{
    return k1s__go_string_slice(k1s__arrv(spec, "clusterIPs"));
}

/* initIPFamilyFields' checks for a single-stack IPv4 cluster. true when it
 * found problems (kube stops there). */
static bool family_errors(const json_t *spec, k1s_ferrs *fe)
{
    if (!needs_cluster_ip(spec))
        return false;
    size_t before = k1s_ferrs_count(fe);
    json_t *pol = json_object_get(spec, "ipFamilyPolicy");
    const json_t *fams = k1s__arrv(spec, "ipFamilies");
    const json_t *ips = k1s__arrv(spec, "clusterIPs");
    if (!strcmp(k1s__str0(spec, "ipFamilyPolicy"), "SingleStack")) {
        if (json_array_size(ips) == 2)
            k1s_ferr_invalid(
                fe, "spec.ipFamilyPolicy", pol,
                "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified");
        if (json_array_size(fams) == 2)
            k1s_ferr_invalid(
                fe, "spec.ipFamilyPolicy", pol,
                "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
    }
    for (size_t i = 0; i < json_array_size(ips); i++) {
        const char *ip = json_string_value(json_array_get(ips, i));
        if (!ip || !strcmp(ip, "None"))
            break;
        struct in6_addr a6;
        if (i >= json_array_size(fams) && inet_pton(AF_INET6, ip, &a6) == 1) {
            char fp[K1S_FP_MAX];
            char *t = ips_text(spec);
            k1s__ferr_invalid_text(fe, k1s__fp(fp, "spec.clusterIPs[%zu]", i), t,
                                   "IPv6 is not configured on this cluster");
            free(t);
        }
    }
    if (k1s_ferrs_count(fe) > before)
        return true;
    if (!strcmp(k1s__str0(spec, "clusterIP"), "None") &&
        json_object_size(k1s__objv(spec, "selector")) == 0)
        return false;
    if (!strcmp(k1s__str0(spec, "ipFamilyPolicy"), "RequireDualStack"))
        k1s_ferr_invalid(fe, "spec.ipFamilyPolicy", pol,
                         "this cluster is not configured for dual-stack services");
    for (size_t i = 0; i < json_array_size(fams); i++) {
        json_t *f = json_array_get(fams, i);
        if (json_is_string(f) && !strcmp(json_string_value(f), "IPv6")) {
            char fp[K1S_FP_MAX];
            k1s_ferr_invalid(fe, k1s__fp(fp, "spec.ipFamilies[%zu]", i), f,
                             "not configured on this cluster");
        }
    }
    return k1s_ferrs_count(fe) > before;
}

/* ValidateServiceClusterIPsRelatedFields */
static void cluster_ip_fields(const json_t *spec, k1s_ferrs *fe)
{
    if (!needs_cluster_ip(spec))
        return;
    char fp[K1S_FP_MAX];
    const char *ip = k1s__str0(spec, "clusterIP");
    const json_t *ips = k1s__arrv(spec, "clusterIPs");
    const json_t *fams = k1s__arrv(spec, "ipFamilies");
    char *t = ips_text(spec);
    if (*ip) {
        if (json_array_size(ips) == 0)
            k1s_ferr_required(fe, "spec.clusterIPs", "");
        else if (strcmp(nth(ips, 0), ip))
            k1s__ferr_invalid_text(fe, "spec.clusterIPs", t, "first value must match `clusterIP`");
    } else if (json_array_size(ips)) {
        k1s__ferr_invalid_text(fe, "spec.clusterIPs", t,
                               "must be empty when `clusterIP` is not specified");
    }
    json_t *seen = json_object(); /* new */
    for (size_t i = 0; i < json_array_size(fams); i++) {
        json_t *f = json_array_get(fams, i);
        const char *fs = json_string_value(f);
        k1s__fp(fp, "spec.ipFamilies[%zu]", i);
        if (!k1s__one_of(fs, families))
            k1s_ferr_not_supported(fe, fp, f, families);
        if (fs && json_object_get(seen, fs))
            k1s_ferr_duplicate(fe, fp, f);
        if (fs)
            json_object_set_new(seen, fs, json_true());
    }
    json_decref(seen);
    json_t *pol = json_object_get(spec, "ipFamilyPolicy");
    if (pol && !json_is_null(pol) && !k1s__one_of(json_string_value(pol), family_policies))
        k1s_ferr_not_supported(fe, "spec.ipFamilyPolicy", pol, family_policies);
    bool bad = false;
    for (size_t i = 0; i < json_array_size(ips); i++) {
        json_t *v = json_array_get(ips, i);
        const char *s = json_string_value(v);
        if (i == 0 && s && !strcmp(s, "None")) {
            if (json_array_size(ips) > 1) {
                bad = true;
                k1s__ferr_invalid_text(fe, "spec.clusterIPs", t,
                                       "'None' must be the first and only value");
            }
            continue;
        }
        struct in6_addr a6;
        if (!s || (!is_ipv4(s) && inet_pton(AF_INET6, s, &a6) != 1)) {
            bad = true;
            json_t *empty = s ? NULL : json_string(""); /* new */
            k1s_ferr_invalid(fe, k1s__fp(fp, "spec.clusterIPs[%zu]", i), empty ? empty : v,
                             "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
            json_decref(empty);
        }
    }
    if (json_array_size(ips) > 2)
        k1s__ferr_invalid_text(fe, "spec.clusterIPs", t, "may only hold up to 2 values");
    if (!bad) {
        if (json_array_size(ips) > 1 && is_ipv4(json_string_value(json_array_get(ips, 0))) ==
                                            is_ipv4(json_string_value(json_array_get(ips, 1))))
            k1s__ferr_invalid_text(fe, "spec.clusterIPs", t,
                                   "may specify no more than one IP for each IP family");
        for (size_t i = 0; !headless(spec) && i < json_array_size(ips) && i < json_array_size(fams);
             i++) {
            json_t *v = json_array_get(ips, i);
            const char *f = json_string_value(json_array_get(fams, i));
            bool v4 = is_ipv4(json_string_value(v));
            char detail[128];
            if (f && !strcmp(f, "IPv4") && !v4) {
                snprintf(detail, sizeof detail,
                         "expected an IPv4 value as indicated by `ipFamilies[%zu]`", i);
                k1s_ferr_invalid(fe, k1s__fp(fp, "spec.clusterIPs[%zu]", i), v, detail);
            } else if (f && !strcmp(f, "IPv6") && v4) {
                snprintf(detail, sizeof detail,
                         "expected an IPv6 value as indicated by `ipFamilies[%zu]`", i);
                k1s_ferr_invalid(fe, k1s__fp(fp, "spec.clusterIPs[%zu]", i), v, detail);
            }
        }
    }
    free(t);
}

/* %#v of the (protocol, port) key kube uses to find duplicate ports. */
static char *port_key_text(const char *proto, json_int_t port)
{
    char *t = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("core.ServicePort{Name:\"\", Protocol:", f);
    k1s__go_quote(f, proto);
    fprintf(
        f,
        ", AppProtocol:(*string)(nil), Port:%lld, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
        (long long)port);
    if (fclose(f) == 0)
        t = buf;
    else
        free(buf);
    return t;
}

static void validate_ports(const json_t *spec, k1s_ferrs *fe)
{
    char ip[K1S_FP_MAX], fp[K1S_FP_MAX];
    const json_t *ports = k1s__arrv(spec, "ports");
    size_t n = json_array_size(ports);
    json_t *names = json_object(); /* new */
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(ports, i);
        k1s__fp(ip, "spec.ports[%zu]", i);
        json_t *name = json_object_get(p, "name");
        const char *ns = json_string_value(name);
        if (n > 1 && (!ns || !*ns)) {
            k1s_ferr_required(fe, k1s__fp(fp, "%s.name", ip), "");
        } else if (ns && *ns) {
            k1s__check_dns_label(fe, k1s__fp(fp, "%s.name", ip), name);
            if (json_object_get(names, ns))
                k1s_ferr_duplicate(fe, fp, name);
            else
                json_object_set_new(names, ns, json_true());
        }
        json_t *port = json_object_get(p, "port");
        k1s__check_port_num(fe, k1s__fp(fp, "%s.port", ip), port);
        json_t *proto = json_object_get(p, "protocol");
        if (!json_is_string(proto) || !json_string_length(proto))
            k1s_ferr_required(fe, k1s__fp(fp, "%s.protocol", ip), "");
        else if (!k1s__one_of(json_string_value(proto), protocols))
            k1s_ferr_not_supported(fe, k1s__fp(fp, "%s.protocol", ip), proto, protocols);
        json_t *tp = json_object_get(p, "targetPort");
        k1s__fp(fp, "%s.targetPort", ip);
        if (json_is_string(tp))
            k1s__check_str(fe, fp, tp, k1s_is_port_name);
        else
            k1s__check_port_num(fe, fp, tp);
        json_t *ap = json_object_get(p, "appProtocol");
        if (json_is_string(ap))
            k1s__check_qualified_name(fe, k1s__fp(fp, "%s.appProtocol", ip), ap);
    }
    json_decref(names);
}

static void validate_affinity(const json_t *spec, k1s_ferrs *fe)
{
    json_t *aff = json_object_get(spec, "sessionAffinity");
    const char *a = json_string_value(aff);
    if (!a || !*a)
        k1s_ferr_required(fe, "spec.sessionAffinity", "");
    else if (!k1s__one_of(a, affinities))
        k1s_ferr_not_supported(fe, "spec.sessionAffinity", aff, affinities);
    const json_t *cfg = k1s__objv(spec, "sessionAffinityConfig");
    const char *when = "when session affinity type is ClientIP";
    if (a && !strcmp(a, "ClientIP")) {
        const json_t *cip = k1s__objv(cfg, "clientIP");
        json_t *ts = json_object_get(cip, "timeoutSeconds");
        if (!cfg)
            k1s_ferr_required(fe, "spec.sessionAffinityConfig", when);
        else if (!cip)
            k1s_ferr_required(fe, "spec.sessionAffinityConfig.clientIP", when);
        else if (!ts || json_is_null(ts))
            k1s_ferr_required(fe, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", when);
        else if (json_integer_value(ts) <= 0 || json_integer_value(ts) > 86400)
            k1s_ferr_invalid(fe, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", ts,
                             "must be greater than 0 and less than 86400");
    } else if (a && !strcmp(a, "None") && k1s__has(spec, "sessionAffinityConfig")) {
        k1s_ferr_forbidden(fe, "spec.sessionAffinityConfig",
                           "must not be set when session affinity is None");
    }
}

static void validate_spec(const json_t *spec, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const char *type = svc_type(spec);
    bool hl = headless(spec);
    const json_t *ips = k1s__arrv(spec, "clusterIPs");
    if (json_array_size(k1s__arrv(spec, "ports")) == 0 && !hl && strcmp(type, "ExternalName"))
        k1s_ferr_required(fe, "spec.ports", "");
    if (!strcmp(type, "LoadBalancer") && hl)
        k1s_ferr_invalid(fe, "spec.clusterIPs[0]", json_array_get(ips, 0),
                         "may not be set to 'None' for LoadBalancer services");
    else if (!strcmp(type, "NodePort") && hl)
        k1s_ferr_invalid(fe, "spec.clusterIPs[0]", json_array_get(ips, 0),
                         "may not be set to 'None' for NodePort services");
    else if (!strcmp(type, "ExternalName")) {
        if (json_array_size(ips) > 0)
            k1s_ferr_forbidden(fe, "spec.clusterIPs", "may not be set for ExternalName services");
        if (json_array_size(k1s__arrv(spec, "ipFamilies")) > 0)
            k1s_ferr_forbidden(fe, "spec.ipFamilies", "may not be set for ExternalName services");
        if (k1s__has(spec, "ipFamilyPolicy"))
            k1s_ferr_forbidden(fe, "spec.ipFamilyPolicy",
                               "may not be set for ExternalName services");
        const char *en = k1s__str0(spec, "externalName");
        size_t n = strlen(en);
        if (n && en[n - 1] == '.')
            n--;
        if (n) {
            json_t *cname = json_stringn(en, n); /* new */
            k1s__check_dns_subdomain(fe, "spec.externalName", cname);
            json_decref(cname);
        } else {
            k1s_ferr_required(fe, "spec.externalName", "");
        }
    }
    validate_ports(spec, fe);
    if (k1s__has(spec, "selector"))
        k1s__validate_labels(k1s__objv(spec, "selector"), "spec.selector", fe);
    validate_affinity(spec, fe);
    cluster_ip_fields(spec, fe);
    const json_t *eips = k1s__arrv(spec, "externalIPs");
    for (size_t i = 0; i < json_array_size(eips); i++) {
        json_t *v = json_array_get(eips, i);
        const char *s = json_string_value(v);
        struct in6_addr a6;
        k1s__fp(fp, "spec.externalIPs[%zu]", i);
        if (!s || (!is_ipv4(s) && inet_pton(AF_INET6, s, &a6) != 1))
            k1s_ferr_invalid(fe, fp, v,
                             "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        else
            k1s__validate_non_special_ipv4(v, fp, fe);
    }
    json_t *tv = json_object_get(spec, "type");
    if (!json_is_string(tv) || !json_string_length(tv))
        k1s_ferr_required(fe, "spec.type", "");
    else if (!k1s__one_of(type, types))
        k1s_ferr_not_supported(fe, "spec.type", tv, types);
    const json_t *ports = k1s__arrv(spec, "ports");
    if (!strcmp(type, "ClusterIP"))
        for (size_t i = 0; i < json_array_size(ports); i++)
            if (json_integer_value(json_object_get(json_array_get(ports, i), "nodePort")) != 0)
                k1s_ferr_forbidden(fe, k1s__fp(fp, "spec.ports[%zu].nodePort", i),
                                   "may not be used when `type` is 'ClusterIP'");
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        json_t *np = json_object_get(p, "nodePort");
        if (json_integer_value(np) == 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            const json_t *q = json_array_get(ports, j);
            if (json_integer_value(json_object_get(q, "nodePort")) == json_integer_value(np) &&
                !strcmp(k1s__str0(q, "protocol"), k1s__str0(p, "protocol"))) {
                k1s_ferr_duplicate(fe, k1s__fp(fp, "spec.ports[%zu].nodePort", i), np);
                break;
            }
        }
    }
    for (size_t i = 0; i < json_array_size(ports); i++) {
        const json_t *p = json_array_get(ports, i);
        json_int_t port = json_integer_value(json_object_get(p, "port"));
        for (size_t j = 0; j < i; j++) {
            const json_t *q = json_array_get(ports, j);
            if (json_integer_value(json_object_get(q, "port")) == port &&
                !strcmp(k1s__str0(q, "protocol"), k1s__str0(p, "protocol"))) {
                char *t = port_key_text(k1s__str0(p, "protocol"), port);
                char *body = NULL;
                if (t && asprintf(&body, "Duplicate value: %s", t) >= 0)
                    k1s__ferr_raw(fe, "FieldValueDuplicate", k1s__fp(fp, "spec.ports[%zu]", i),
                                  body);
                free(body);
                free(t);
                break;
            }
        }
    }
    if (json_array_size(k1s__arrv(spec, "loadBalancerSourceRanges")) &&
        strcmp(type, "LoadBalancer"))
        k1s_ferr_forbidden(fe, "spec.LoadBalancerSourceRanges",
                           "may only be used when `type` is 'LoadBalancer'");
    if (k1s__has(spec, "allocateLoadBalancerNodePorts") && strcmp(type, "LoadBalancer"))
        k1s_ferr_forbidden(fe, "spec.allocateLoadBalancerNodePorts",
                           "may only be used when `type` is 'LoadBalancer'");
    if (!strcmp(type, "LoadBalancer") && !k1s__has(spec, "allocateLoadBalancerNodePorts"))
        k1s_ferr_required(fe, "allocateLoadBalancerNodePorts", "");
    json_t *etp = json_object_get(spec, "externalTrafficPolicy");
    const char *etps = json_string_value(etp);
    if (!externally_accessible(spec)) {
        if (etps && *etps)
            k1s_ferr_invalid(fe, "spec.externalTrafficPolicy", etp,
                             "may only be set for externally-accessible services");
    } else if (!etps || !*etps) {
        k1s_ferr_required(fe, "spec.externalTrafficPolicy", "");
    } else if (!k1s__one_of(etps, traffic_policies)) {
        k1s_ferr_not_supported(fe, "spec.externalTrafficPolicy", etp, traffic_policies);
    }
    json_t *hc = json_object_get(spec, "healthCheckNodePort");
    /* a missing health-check port is allocated after validation here */
    if (!needs_hc_node_port(spec) && json_integer_value(hc) != 0)
        k1s_ferr_invalid(
            fe, "spec.healthCheckNodePort", hc,
            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
    else if (needs_hc_node_port(spec) && json_integer_value(hc) != 0)
        k1s__check_port_num(fe, "spec.healthCheckNodePort", hc);
    json_t *itp = json_object_get(spec, "internalTrafficPolicy");
    if ((!itp || json_is_null(itp)) &&
        (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer") || !strcmp(type, "ClusterIP")))
        k1s_ferr_required(fe, "spec.internalTrafficPolicy", "");
    if (itp && !json_is_null(itp) && !k1s__one_of(json_string_value(itp), traffic_policies))
        k1s_ferr_not_supported(fe, "spec.internalTrafficPolicy", itp, traffic_policies);
    json_t *td = json_object_get(spec, "trafficDistribution");
    static const char *const distributions[] = {"PreferClose", NULL};
    if (td && !json_is_null(td) && !k1s__one_of(json_string_value(td), distributions))
        k1s_ferr_not_supported(fe, "spec.trafficDistribution", td, distributions);
}

/* validateUpgradeDowngradeClusterIPs / IPFamilies and the health-check
 * port for a single-stack cluster. */
static void validate_update(const json_t *spec, const json_t *ospec, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!needs_cluster_ip(spec) || !needs_cluster_ip(ospec))
        return;
    bool nh = headless(spec), oh = headless(ospec);
    const json_t *ips = k1s__arrv(spec, "clusterIPs");
    const json_t *oips = k1s__arrv(ospec, "clusterIPs");
    char *t = ips_text(spec);
    if (!(nh && oh)) {
        size_t n = json_array_size(ips), on = json_array_size(oips);
        if (n == on) {
            for (size_t i = 0; i < on; i++)
                if (!json_equal(json_array_get(ips, i), json_array_get(oips, i)))
                    k1s__ferr_invalid_text(fe, k1s__fp(fp, "spec.clusterIPs[%zu]", i), t,
                                           "may not change once set");
        } else if (on > n) {
            if (n == 0)
                k1s__ferr_invalid_text(fe, "spec.clusterIPs[0]", t,
                                       "primary clusterIP can not be unset");
            else if (!json_equal(json_array_get(ips, 0), json_array_get(oips, 0)))
                k1s__ferr_invalid_text(fe, "spec.clusterIPs[0]", t, "may not change once set");
        } else if (on > 0 && !json_equal(json_array_get(ips, 0), json_array_get(oips, 0))) {
            k1s__ferr_invalid_text(fe, "spec.clusterIPs[0]", t, "may not change once set");
        }
    }
    if (nh == oh && !nh) {
        const json_t *f = k1s__arrv(spec, "ipFamilies");
        const json_t *of = k1s__arrv(ospec, "ipFamilies");
        char *ft = k1s__go_string_slice(f);
        if (json_array_size(f) == json_array_size(of)) {
            for (size_t i = 0; i < json_array_size(of); i++)
                if (!json_equal(json_array_get(f, i), json_array_get(of, i)))
                    k1s__ferr_invalid_text(fe, "spec.ipFamilies[0]", ft, "may not change once set");
        } else if (json_array_size(f) > 0 && json_array_size(of) > 0 &&
                   !json_equal(json_array_get(f, 0), json_array_get(of, 0))) {
            k1s__ferr_invalid_text(fe, "spec.ipFamilies[0]", t, "may not change once set");
        }
        free(ft);
    }
    free(t);
    if (needs_hc_node_port(ospec) && needs_hc_node_port(spec) &&
        !same_field(spec, ospec, "healthCheckNodePort"))
        k1s_ferr_forbidden(fe, "spec.healthCheckNodePort", "field is immutable");
}

void k1s__service_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    /* validate what will be stored: allocated values carried over */
    json_t *copy = json_deep_copy(obj); /* new */
    if (!copy)
        return;
    if (old)
        k1s__service_prepare(copy, old);
    const json_t *spec = k1s__objv(copy, "spec");
    if (!spec) {
        k1s_ferr_required(fe, "spec.ports", "");
        json_decref(copy);
        return;
    }
    if (!family_errors(spec, fe)) {
        if (old)
            validate_update(spec, k1s__objv(old, "spec"), fe);
        validate_spec(spec, fe);
    }
    json_decref(copy);
}
