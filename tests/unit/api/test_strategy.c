/*
 * test_strategy.c - the per-kind strategies and ObjectMeta validation:
 * defaults, create-time status and the exact 422 messages kube-apiserver
 * gives, driven the way the write path drives them (prepare_create, static
 * schema defaults, kind defaults, validation), plus Service allocation
 * through a k1s_api on an in-memory store.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "k1s_fixture.h"
#include "k1s_test.h"
#include "strategy_internal.h"

/* ---- helpers --------------------------------------------------------------- */

static const k1s_kind *kind(const char *group, const char *k)
{
    const k1s_kind *r = k1s_registry_find_kind(group, k);
    if (!r)
        fprintf(stderr, "no kind %s/%s\n", group, k);
    return r;
}

static void defaults(const k1s_kind *k, json_t *obj)
{
    const k1s_type *t = k1s__kind_schema(k);
    if (t)
        k1s_schema_apply_defaults(t, obj);
    if (k->strategy->defaults)
        k->strategy->defaults(obj);
}

/* What the write path does to a body before validating a create. */
static json_t *created(const k1s_kind *k, const char *text)
{
    json_t *obj = fx_json(text);
    json_t *m = k1s_json_object_at(obj, "metadata");
    if (k->namespaced && !json_object_get(m, "namespace"))
        json_object_set_new(m, "namespace", json_string("default"));
    if (k->strategy->prepare_create)
        k->strategy->prepare_create(obj);
    defaults(k, obj);
    return obj;
}

/* The 422 message for obj (old NULL on create), or NULL when valid.
 * malloc'd. */
static char *invalid(const k1s_kind *k, const json_t *obj, const json_t *old)
{
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    k1s__validate_meta(k, obj, old, &fe);
    if (k->strategy->validate)
        k->strategy->validate(obj, old, &fe);
    char *msg = NULL;
    if (k1s_ferrs_count(&fe)) {
        k1s_status st = {0};
        k1s_err_invalid(&st, k->group, k->kind, k1s_meta(obj, "name"), &fe);
        msg = st.message ? strdup(st.message) : strdup("?");
        k1s_status_clear(&st);
    }
    k1s_ferrs_free(&fe);
    return msg;
}

#define CHECK_VALID(k, obj, old)                                                          \
    do {                                                                                  \
        char *m_ = invalid((k), (obj), (old));                                            \
        if (m_) {                                                                         \
            fprintf(stderr, "%s:%d: unexpectedly invalid: %s\n", __FILE__, __LINE__, m_); \
            k1s_test_failures++;                                                          \
        }                                                                                 \
        free(m_);                                                                         \
    } while (0)

#define CHECK_INVALID(k, obj, old, want)       \
    do {                                       \
        char *m_ = invalid((k), (obj), (old)); \
        CHECK_STR(m_, (want));                 \
        free(m_);                              \
    } while (0)

/* ---- the scenario's manifests ------------------------------------------------ */

static const char *const sts_text =
    "{'apiVersion':'apps/v1','kind':'StatefulSet',"
    " 'metadata':{'name':'nginx-statefulset'},"
    " 'spec':{'selector':{'matchLabels':{'app':'nginx'}},"
    "  'serviceName':'nginx-service','replicas':3,"
    "  'template':{'metadata':{'labels':{'app':'nginx'}},"
    "   'spec':{'terminationGracePeriodSeconds':10,"
    "    'containers':[{'name':'nginx','image':'k8s.gcr.io/nginx-slim:0.8',"
    "     'ports':[{'containerPort':80,'name':'web'}],"
    "     'volumeMounts':[{'name':'html-volume','mountPath':'/usr/share/nginx/html'}]}]}},"
    "  'volumeClaimTemplates':[{'metadata':{'name':'html-volume'},"
    "   'spec':{'accessModes':['ReadWriteOnce'],'storageClassName':'test-storage-class',"
    "    'resources':{'requests':{'storage':'1Gi'}}}}]}}";

static const char *const svc_text =
    "{'apiVersion':'v1','kind':'Service',"
    " 'metadata':{'name':'nginx-service','labels':{'app':'nginx'}},"
    " 'spec':{'ports':[{'port':80,'name':'web','targetPort':80,'protocol':'TCP','nodePort':30080}],"
    "  'selector':{'app':'nginx'},'type':'NodePort'}}";

static const char *const sc_text = "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                                   " 'metadata':{'name':'test-storage-class'},"
                                   " 'provisioner':'docker.io/hostpath','reclaimPolicy':'Retain'}";

/* ---- StatefulSet ---------------------------------------------------------------- */

TEST(test_statefulset_scenario)
{
    const k1s_kind *k = kind("apps", "StatefulSet");
    json_t *sts = created(k, sts_text);
    CHECK_VALID(k, sts, NULL);
    CHECK_STR(fx_str(sts, "spec.updateStrategy.type"), "RollingUpdate");
    CHECK_INT(json_integer_value(fx_at(sts, "spec.updateStrategy.rollingUpdate.partition")), 0);
    CHECK_STR(fx_str(sts, "spec.podManagementPolicy"), "OrderedReady");
    CHECK_STR(fx_str(sts, "spec.template.spec.containers.0.imagePullPolicy"), "IfNotPresent");
    /* claim templates stay as written (see docs/supported.md) */
    CHECK(fx_str(sts, "spec.volumeClaimTemplates.0.apiVersion") == NULL);
    CHECK(fx_str(sts, "spec.volumeClaimTemplates.0.kind") == NULL);
    CHECK(fx_str(sts, "spec.volumeClaimTemplates.0.spec.volumeMode") == NULL);
    CHECK(fx_str(sts, "spec.volumeClaimTemplates.0.status.phase") == NULL);
    json_t *want = fx_json("{'availableReplicas':0,'replicas':0}");
    CHECK(json_equal(json_object_get(sts, "status"), want));
    json_decref(want);
    json_decref(sts);
}

TEST(test_statefulset_strategy_defaults)
{
    const k1s_kind *k = kind("apps", "StatefulSet");
    /* a typed strategy keeps no rollingUpdate (kube leaves it nil) */
    json_t *a =
        created(k, "{'metadata':{'name':'a'},'spec':{'updateStrategy':{'type':'RollingUpdate'}}}");
    CHECK(fx_at(a, "spec.updateStrategy.rollingUpdate") == NULL);
    /* an untyped one becomes a rolling update from partition 0 */
    json_t *b = created(k, "{'metadata':{'name':'b'},'spec':{'updateStrategy':{}}}");
    CHECK_STR(fx_str(b, "spec.updateStrategy.type"), "RollingUpdate");
    CHECK_INT(json_integer_value(fx_at(b, "spec.updateStrategy.rollingUpdate.partition")), 0);
    json_decref(a);
    json_decref(b);
}

TEST(test_statefulset_selector_mismatch)
{
    const k1s_kind *k = kind("apps", "StatefulSet");
    json_t *sts = created(k, sts_text);
    json_object_set_new(fx_at(sts, "spec.template.metadata.labels"), "app", json_string("other"));
    CHECK_INVALID(
        k, sts, NULL,
        "StatefulSet.apps \"nginx-statefulset\" is invalid: "
        "spec.template.metadata.labels: Invalid value: "
        "map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`");
    json_decref(sts);
}

TEST(test_statefulset_spec_errors)
{
    const k1s_kind *k = kind("apps", "StatefulSet");
    json_t *sts = created(k, sts_text);
    json_object_set_new(fx_at(sts, "spec"), "replicas", json_integer(-1));
    json_object_set_new(fx_at(sts, "spec.template.spec"), "restartPolicy", json_string("Never"));
    CHECK_INVALID(
        k, sts, NULL,
        "StatefulSet.apps \"nginx-statefulset\" is invalid: ["
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0, "
        "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"]");
    json_decref(sts);
    /* a mount of neither a volume nor a claim template */
    sts = created(k, sts_text);
    json_object_set_new(fx_at(sts, "spec.template.spec.containers.0.volumeMounts.0"), "name",
                        json_string("nope"));
    CHECK_INVALID(k, sts, NULL,
                  "StatefulSet.apps \"nginx-statefulset\" is invalid: "
                  "spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"nope\"");
    json_decref(sts);
    /* names are DNS labels */
    sts = created(k, sts_text);
    json_object_set_new(fx_at(sts, "metadata"), "name", json_string("web.v1"));
    char *m = invalid(k, sts, NULL);
    CHECK(m && strstr(m, "metadata.name: Invalid value: \"web.v1\": must not contain dots"));
    free(m);
    json_decref(sts);
}

TEST(test_statefulset_update)
{
    const k1s_kind *k = kind("apps", "StatefulSet");
    json_t *old = created(k, sts_text);
    json_t *cur = json_deep_copy(old);
    json_object_set_new(fx_at(cur, "spec"), "replicas", json_integer(1));
    json_object_set_new(fx_at(cur, "spec.template.spec.containers.0"), "image",
                        json_string("nginx:1.27"));
    CHECK_VALID(k, cur, old);
    json_object_set_new(fx_at(cur, "spec"), "serviceName", json_string("other"));
    CHECK_INVALID(k, cur, old,
                  "StatefulSet.apps \"nginx-statefulset\" is invalid: spec: Forbidden: "
                  "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                  "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                  "'minReadySeconds' are forbidden");
    json_decref(cur);
    json_decref(old);
}

/* ---- Deployment, DaemonSet ------------------------------------------------------- */

TEST(test_deployment)
{
    const k1s_kind *k = kind("apps", "Deployment");
    const char *text =
        "{'metadata':{'name':'web'},'spec':{'selector':{'matchLabels':{'app':'web'}},"
        "'strategy':{'type':'RollingUpdate'},"
        "'template':{'metadata':{'labels':{'app':'web'}},"
        "'spec':{'containers':[{'name':'web','image':'nginx'}]}}}}";
    json_t *d = created(k, text);
    CHECK_VALID(k, d, NULL);
    CHECK_STR(fx_str(d, "spec.strategy.rollingUpdate.maxUnavailable"), "25%");
    CHECK_STR(fx_str(d, "spec.strategy.rollingUpdate.maxSurge"), "25%");
    CHECK_STR(fx_str(d, "spec.template.spec.containers.0.imagePullPolicy"), "Always");
    CHECK(json_is_object(fx_at(d, "status")) && json_object_size(fx_at(d, "status")) == 0);
    json_t *cur = json_deep_copy(d);
    json_object_set_new(fx_at(cur, "spec.selector.matchLabels"), "app", json_string("x"));
    json_object_set_new(fx_at(cur, "spec.template.metadata.labels"), "app", json_string("x"));
    CHECK_INVALID(k, cur, d,
                  "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: "
                  "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, "
                  "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
    json_decref(cur);
    json_decref(d);
    d = created(
        k,
        "{'metadata':{'name':'web'},'spec':{'template':{'spec':{'containers':[{'name':'a','image':'x'}]}}}}");
    char *m = invalid(k, d, NULL);
    CHECK(m && strstr(m, "spec.selector: Required value"));
    free(m);
    json_decref(d);
}

TEST(test_daemonset_defaults)
{
    const k1s_kind *k = kind("apps", "DaemonSet");
    json_t *d =
        created(k, "{'metadata':{'name':'agent'},'spec':{'selector':{'matchLabels':{'a':'b'}},"
                   "'updateStrategy':{'type':'RollingUpdate'},"
                   "'template':{'metadata':{'labels':{'a':'b'}},"
                   "'spec':{'containers':[{'name':'a','image':'x:1'}]}}}}");
    CHECK_VALID(k, d, NULL);
    CHECK_INT(json_integer_value(fx_at(d, "spec.updateStrategy.rollingUpdate.maxUnavailable")), 1);
    CHECK_INT(json_integer_value(fx_at(d, "spec.updateStrategy.rollingUpdate.maxSurge")), 0);
    CHECK_INT(json_integer_value(fx_at(d, "status.numberReady")), 0);
    json_decref(d);
}

/* ---- Service ----------------------------------------------------------------------- */

TEST(test_service_scenario_defaults)
{
    const k1s_kind *k = kind("", "Service");
    json_t *svc = created(k, svc_text);
    CHECK_VALID(k, svc, NULL);
    CHECK_STR(fx_str(svc, "spec.externalTrafficPolicy"), "Cluster");
    CHECK_STR(fx_str(svc, "spec.internalTrafficPolicy"), "Cluster");
    CHECK_STR(fx_str(svc, "spec.ipFamilyPolicy"), "SingleStack");
    CHECK_STR(fx_str(svc, "spec.ipFamilies.0"), "IPv4");
    CHECK_INT(json_array_size(fx_at(svc, "spec.ipFamilies")), 1);
    CHECK_STR(fx_str(svc, "spec.sessionAffinity"), "None");
    CHECK_INT(json_integer_value(fx_at(svc, "spec.ports.0.targetPort")), 80);
    json_t *want = fx_json("{'loadBalancer':{}}");
    CHECK(json_equal(fx_at(svc, "status"), want));
    json_decref(want);
    json_decref(svc);
    /* targetPort follows port; ClientIP affinity gets its timeout */
    svc = created(k, "{'metadata':{'name':'a'},'spec':{'sessionAffinity':'ClientIP',"
                     "'ports':[{'port':8080}]}}");
    CHECK_INT(json_integer_value(fx_at(svc, "spec.ports.0.targetPort")), 8080);
    CHECK_INT(json_integer_value(fx_at(svc, "spec.sessionAffinityConfig.clientIP.timeoutSeconds")),
              10800);
    CHECK(fx_at(svc, "spec.externalTrafficPolicy") == NULL);
    CHECK_VALID(k, svc, NULL);
    json_decref(svc);
    /* headless without selector is dual-stack by default, as in kube */
    svc = created(k, "{'metadata':{'name':'h'},'spec':{'clusterIP':'None'}}");
    CHECK_STR(fx_str(svc, "spec.ipFamilyPolicy"), "RequireDualStack");
    CHECK_STR(fx_str(svc, "spec.ipFamilies.1"), "IPv6");
    CHECK_STR(fx_str(svc, "spec.clusterIPs.0"), "None");
    CHECK_VALID(k, svc, NULL);
    json_decref(svc);
}

TEST(test_service_validation)
{
    const k1s_kind *k = kind("", "Service");
    json_t *svc =
        created(k, "{'metadata':{'name':'s'},'spec':{'ports':[{'port':80,'nodePort':30001}]}}");
    CHECK_INVALID(k, svc, NULL,
                  "Service \"s\" is invalid: spec.ports[0].nodePort: Forbidden: "
                  "may not be used when `type` is 'ClusterIP'");
    json_decref(svc);
    svc = created(k,
                  "{'metadata':{'name':'s'},'spec':{'ports':[{'port':80},{'port':0,'name':'b'}]}}");
    CHECK_INVALID(
        k, svc, NULL,
        "Service \"s\" is invalid: [spec.ports[0].name: Required value, "
        "spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive, "
        "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]");
    json_decref(svc);
    svc = created(k, "{'metadata':{'name':'s'},'spec':{'type':'Magic','ports':[{'port':80}]}}");
    char *m = invalid(k, svc, NULL);
    CHECK(m && strstr(m, "spec.type: Unsupported value: \"Magic\": supported values: "
                         "\"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""));
    free(m);
    json_decref(svc);
    svc = created(k, "{'metadata':{'name':'1svc'},'spec':{'ports':[{'port':80}]}}");
    m = invalid(k, svc, NULL);
    CHECK(m && strstr(m, "metadata.name: Invalid value: \"1svc\": a DNS-1035 label"));
    free(m);
    json_decref(svc);
    svc = created(
        k,
        "{'metadata':{'name':'s'},'spec':{'ipFamilyPolicy':'RequireDualStack','ports':[{'port':80}]}}");
    CHECK_INVALID(k, svc, NULL,
                  "Service \"s\" is invalid: spec.ipFamilyPolicy: Invalid value: "
                  "\"RequireDualStack\": this cluster is not configured for dual-stack services");
    json_decref(svc);
    svc = created(
        k, "{'metadata':{'name':'s'},'spec':{'ports':[{'port':80},{'port':80,'name':'b'}]}}");
    m = invalid(k, svc, NULL);
    CHECK(m &&
          strstr(m, "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", "
                    "Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, "
                    "TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"));
    free(m);
    json_decref(svc);
}

TEST(test_service_update_keeps_allocations)
{
    const k1s_kind *k = kind("", "Service");
    json_t *old = created(k, svc_text);
    json_object_set_new(fx_at(old, "spec"), "clusterIP", json_string("10.96.0.10"));
    json_object_set_new(fx_at(old, "spec"), "clusterIPs", json_pack("[s]", "10.96.0.10"));
    /* a replace without the allocated values carries them over */
    json_t *cur = fx_json(svc_text);
    json_object_del(fx_at(cur, "spec.ports.0"), "nodePort");
    json_object_set_new(fx_at(cur, "metadata"), "namespace", json_string("default"));
    if (k->strategy->prepare_update)
        k->strategy->prepare_update(cur, old);
    defaults(k, cur);
    CHECK_VALID(k, cur, old);
    CHECK_STR(fx_str(cur, "spec.clusterIP"), "10.96.0.10");
    CHECK_INT(json_integer_value(fx_at(cur, "spec.ports.0.nodePort")), 30080);
    /* changing the address is refused */
    json_object_set_new(fx_at(cur, "spec"), "clusterIP", json_string("10.96.0.20"));
    json_object_del(fx_at(cur, "spec"), "clusterIPs");
    CHECK_INVALID(k, cur, old,
                  "Service \"nginx-service\" is invalid: spec.clusterIPs[0]: Invalid value: "
                  "[]string{\"10.96.0.20\"}: may not change once set");
    json_decref(cur);
    /* going ClusterIP drops the node ports kube allocated */
    cur = json_deep_copy(old);
    json_object_set_new(fx_at(cur, "spec"), "type", json_string("ClusterIP"));
    if (k->strategy->prepare_update)
        k->strategy->prepare_update(cur, old);
    defaults(k, cur);
    CHECK(fx_at(cur, "spec.ports.0.nodePort") == NULL);
    CHECK(fx_at(cur, "spec.externalTrafficPolicy") == NULL);
    CHECK_VALID(k, cur, old);
    json_decref(cur);
    json_decref(old);
}

/* Creates through the API (allocation runs in the write transaction). */
static int api_create(k1s_api *api, const k1s_kind *k, const char *text, json_t **out, char **msg)
{
    json_t *body = fx_json(text);
    char av[64];
    k1s_kind_api_version(k, av, sizeof av);
    json_object_set_new(body, "apiVersion", json_string(av));
    json_object_set_new(body, "kind", json_string(k->kind));
    k1s_target t = {k, k->namespaced ? "default" : "", k1s_meta(body, "name"), NULL};
    k1s_status st = {0};
    *out = NULL;
    int rc = k1s_api_create(api, &t, body, NULL, out, &st);
    *msg = st.message ? strdup(st.message) : NULL;
    k1s_status_clear(&st);
    json_decref(body);
    return rc;
}

static bool in_cidr(const char *ip)
{
    unsigned a, b, c, d;
    return ip && sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) == 4 && a == 10 && b >= 96 && b <= 111 &&
           strcmp(ip, "10.96.0.1") != 0;
}

TEST(test_service_allocation)
{
    /* no bootstrap: its kubernetes Service would take an address */
    k1s_api_config cfg = {.db_path = ":memory:"};
    k1s_api *api = fx_api_open_with(&cfg, false);
    CHECK(api != NULL);
    if (!api)
        return;
    const k1s_kind *svck = kind("", "Service");
    json_t *out = NULL;
    char *msg = NULL;
    CHECK_INT(api_create(api, kind("", "Namespace"), "{'metadata':{'name':'default'}}", &out, &msg),
              0);
    json_decref(out);
    free(msg);

    CHECK_INT(api_create(api, svck, svc_text, &out, &msg), 0);
    const char *ip = fx_str(out, "spec.clusterIP");
    char first[64];
    snprintf(first, sizeof first, "%s", ip ? ip : "");
    CHECK(in_cidr(first));
    CHECK_STR(fx_str(out, "spec.clusterIPs.0"), first);
    CHECK_INT(json_integer_value(fx_at(out, "spec.ports.0.nodePort")), 30080);
    json_decref(out);
    free(msg);

    /* the same node port again */
    CHECK(api_create(api, svck,
                     "{'metadata':{'name':'b'},'spec':{'type':'NodePort',"
                     "'ports':[{'port':81,'nodePort':30080}]}}",
                     &out, &msg) != 0);
    CHECK_STR(msg, "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: "
                   "provided port is already allocated");
    free(msg);
    /* out of the node-port range */
    CHECK(api_create(api, svck,
                     "{'metadata':{'name':'b'},'spec':{'type':'NodePort',"
                     "'ports':[{'port':81,'nodePort':40000}]}}",
                     &out, &msg) != 0);
    CHECK_STR(msg,
              "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: "
              "provided port is not in the valid range. The range of valid ports is 30000-32767");
    free(msg);
    /* the same cluster IP again */
    char text[512], want[512];
    snprintf(text, sizeof text,
             "{'metadata':{'name':'c'},'spec':{'clusterIP':'%s','ports':[{'port':80}]}}", first);
    CHECK(api_create(api, svck, text, &out, &msg) != 0);
    snprintf(want, sizeof want,
             "Service \"c\" is invalid: spec.clusterIPs: Invalid value: []string{\"%s\"}: "
             "failed to allocate IP %s: provided IP is already allocated",
             first, first);
    CHECK_STR(msg, want);
    free(msg);
    /* outside the service CIDR */
    CHECK(api_create(
              api, svck,
              "{'metadata':{'name':'c'},'spec':{'clusterIP':'10.200.0.5','ports':[{'port':80}]}}",
              &out, &msg) != 0);
    CHECK_STR(msg,
              "Service \"c\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.200.0.5\"}: "
              "failed to allocate IP 10.200.0.5: the provided IP (10.200.0.5) is not in the "
              "valid range. The range of valid IPs is 10.96.0.0/12");
    free(msg);
    /* a requested free address, the kubernetes one */
    CHECK_INT(api_create(api, svck,
                         "{'metadata':{'name':'kubernetes'},'spec':{'clusterIP':'10.96.0.1',"
                         "'ports':[{'port':443}]}}",
                         &out, &msg),
              0);
    CHECK_STR(fx_str(out, "spec.clusterIPs.0"), "10.96.0.1");
    json_decref(out);
    free(msg);
    /* picked node ports are in range and distinct, TCP and UDP share one */
    CHECK_INT(api_create(api, svck,
                         "{'metadata':{'name':'dns'},'spec':{'type':'NodePort','ports':["
                         "{'name':'a','port':53,'protocol':'UDP'},"
                         "{'name':'b','port':53,'protocol':'TCP'},"
                         "{'name':'c','port':9153}]}}",
                         &out, &msg),
              0);
    json_int_t p0 = json_integer_value(fx_at(out, "spec.ports.0.nodePort"));
    json_int_t p1 = json_integer_value(fx_at(out, "spec.ports.1.nodePort"));
    json_int_t p2 = json_integer_value(fx_at(out, "spec.ports.2.nodePort"));
    CHECK(p0 >= 30000 && p0 <= 32767 && p0 != 30080);
    CHECK_INT(p1, p0);
    CHECK(p2 >= 30000 && p2 <= 32767 && p2 != p0 && p2 != 30080);
    CHECK(in_cidr(fx_str(out, "spec.clusterIP")) &&
          strcmp(fx_str(out, "spec.clusterIP"), first) != 0);
    json_decref(out);
    free(msg);

    /* a replace without the allocated values keeps them */
    k1s_target t = {svck, "default", "nginx-service", NULL};
    json_t *body = fx_json(svc_text);
    json_object_del(fx_at(body, "spec.ports.0"), "nodePort");
    k1s_status st = {0};
    CHECK_INT(k1s_api_update(api, &t, body, NULL, &out, &st), 0);
    if (st.message)
        fprintf(stderr, "update: %s\n", st.message);
    CHECK_STR(fx_str(out, "spec.clusterIP"), first);
    CHECK_INT(json_integer_value(fx_at(out, "spec.ports.0.nodePort")), 30080);
    json_decref(out);
    json_decref(body);
    k1s_status_clear(&st);

    /* deleting releases: the address can be asked for again */
    k1s_opts o = {.grace_seconds = -1};
    int removed = 0;
    CHECK_INT(k1s_api_delete(api, &t, &o, &out, &removed, &st), 0);
    json_decref(out);
    k1s_status_clear(&st);
    CHECK_INT(api_create(api, svck, text, &out, &msg), 0);
    CHECK_STR(fx_str(out, "spec.clusterIP"), first);
    json_decref(out);
    free(msg);
    k1s_api_close(api);
}

/* ---- Pod ------------------------------------------------------------------------------ */

static const char *pod_qos(const char *resources)
{
    static char buf[32];
    char text[512];
    snprintf(text, sizeof text,
             "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a','image':'x'%s%s}]}}",
             *resources ? ",'resources':" : "", resources);
    json_t *p = created(kind("", "Pod"), text);
    snprintf(buf, sizeof buf, "%s",
             fx_str(p, "status.qosClass") ? fx_str(p, "status.qosClass") : "");
    json_decref(p);
    return buf;
}

TEST(test_pod_create)
{
    const k1s_kind *k = kind("", "Pod");
    json_t *p =
        created(k, "{'metadata':{'name':'p'},'spec':{'containers':["
                   "{'name':'a','image':'nginx'},{'name':'b','image':'nginx:latest'},"
                   "{'name':'c','image':'nginx:1.27'},{'name':'d','image':'localhost:5000/app'},"
                   "{'name':'e','image':'app@sha256:abc'}],"
                   "'initContainers':[{'name':'i','image':'busybox:1'}],"
                   "'serviceAccountName':'builder'},"
                   "'status':{'phase':'Running'}}");
    CHECK_VALID(k, p, NULL);
    CHECK_STR(fx_str(p, "status.phase"), "Pending");
    CHECK_STR(fx_str(p, "status.qosClass"), "BestEffort");
    CHECK_STR(fx_str(p, "spec.containers.0.imagePullPolicy"), "Always");
    CHECK_STR(fx_str(p, "spec.containers.1.imagePullPolicy"), "Always");
    CHECK_STR(fx_str(p, "spec.containers.2.imagePullPolicy"), "IfNotPresent");
    CHECK_STR(fx_str(p, "spec.containers.3.imagePullPolicy"), "Always");
    CHECK_STR(fx_str(p, "spec.containers.4.imagePullPolicy"), "IfNotPresent");
    CHECK_STR(fx_str(p, "spec.initContainers.0.imagePullPolicy"), "IfNotPresent");
    CHECK(json_is_true(fx_at(p, "spec.enableServiceLinks")));
    CHECK_STR(fx_str(p, "spec.serviceAccount"), "builder");
    CHECK_STR(fx_str(p, "spec.tolerations.0.key"), "node.kubernetes.io/not-ready");
    CHECK_INT(json_integer_value(fx_at(p, "spec.tolerations.1.tolerationSeconds")), 300);
    CHECK_INT(json_integer_value(fx_at(p, "spec.priority")), 0);
    json_decref(p);

    CHECK_STR(pod_qos(""), "BestEffort");
    CHECK_STR(pod_qos("{'requests':{'cpu':'100m'}}"), "Burstable");
    CHECK_STR(pod_qos("{'limits':{'cpu':'1','memory':'1Gi'}}"), "Guaranteed");
    CHECK_STR(pod_qos("{'limits':{'cpu':'1','memory':'1Gi'},'requests':{'cpu':'1000m'}}"),
              "Guaranteed");
    CHECK_STR(pod_qos("{'limits':{'cpu':'1','memory':'1Gi'},'requests':{'cpu':'500m'}}"),
              "Burstable");
    CHECK_STR(pod_qos("{'limits':{'cpu':'1'}}"), "Burstable");
}

TEST(test_pod_validation)
{
    const k1s_kind *k = kind("", "Pod");
    json_t *p = created(k, "{'metadata':{'name':'p'},'spec':{}}");
    CHECK_INVALID(k, p, NULL, "Pod \"p\" is invalid: spec.containers: Required value");
    json_decref(p);
    p = created(k, "{'metadata':{'name':'p'},'spec':{'volumes':[{'name':'v','emptyDir':{},"
                   "'hostPath':{'path':'/x'}}],'containers':[{'name':'a','image':'x',"
                   "'ports':[{'containerPort':70000}],"
                   "'volumeMounts':[{'name':'data','mountPath':'/d'}]},{'name':'a','image':''}]}}");
    CHECK_INVALID(
        k, p, NULL,
        "Pod \"p\" is invalid: ["
        "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type, "
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive, "
        "spec.containers[0].volumeMounts[0].name: Not found: \"data\", "
        "spec.containers[1].image: Required value, "
        "spec.containers[1].name: Duplicate value: \"a\"]");
    json_decref(p);
    /* a volume without a source is an emptyDir */
    p = created(
        k,
        "{'metadata':{'name':'p'},'spec':{'volumes':[{'name':'v'}],"
        "'containers':[{'name':'a','image':'x','volumeMounts':[{'name':'v','mountPath':'/v'}]}]}}");
    CHECK(json_is_object(fx_at(p, "spec.volumes.0.emptyDir")));
    CHECK_VALID(k, p, NULL);
    json_decref(p);
    p = created(k, "{'metadata':{'name':'p'},'spec':{'restartPolicy':'Sometimes',"
                   "'containers':[{'name':'a','image':'x'}]}}");
    CHECK_INVALID(k, p, NULL,
                  "Pod \"p\" is invalid: spec.restartPolicy: Unsupported value: \"Sometimes\": "
                  "supported values: \"Always\", \"OnFailure\", \"Never\"");
    json_decref(p);
}

TEST(test_pod_update)
{
    const k1s_kind *k = kind("", "Pod");
    json_t *old =
        created(k, "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a','image':'x:1'}]}}");
    json_t *cur = json_deep_copy(old);
    json_object_set_new(fx_at(cur, "spec.containers.0"), "image", json_string("x:2"));
    json_array_append_new(fx_at(cur, "spec.tolerations"),
                          fx_json("{'key':'k','operator':'Exists'}"));
    CHECK_VALID(k, cur, old);
    json_object_set_new(fx_at(cur, "spec.containers.0"), "command", json_pack("[s]", "sh"));
    char *m = invalid(k, cur, old);
    CHECK(m &&
          strstr(m, "Pod \"p\" is invalid: spec: Forbidden: pod updates may not change "
                    "fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 "
                    "if it was previously negative)\n"));
    free(m);
    json_decref(cur);
    cur = json_deep_copy(old);
    json_array_append_new(
        fx_at(cur, "spec.containers"),
        fx_json(
            "{'name':'b','image':'y','imagePullPolicy':'Always','terminationMessagePolicy':'File'}"));
    m = invalid(k, cur, old);
    CHECK(m &&
          strstr(m, "spec.containers: Forbidden: pod updates may not add or remove containers"));
    free(m);
    json_decref(cur);
    json_decref(old);
}

/* ---- storage ---------------------------------------------------------------------------- */

TEST(test_pvc)
{
    const k1s_kind *k = kind("", "PersistentVolumeClaim");
    json_t *c = created(k, "{'metadata':{'name':'c'},'spec':{'resources':{}}}");
    CHECK_STR(fx_str(c, "status.phase"), "Pending");
    CHECK_INVALID(k, c, NULL,
                  "PersistentVolumeClaim \"c\" is invalid: ["
                  "spec.accessModes: Required value: at least 1 access mode is required, "
                  "spec.resources[storage]: Required value]");
    json_decref(c);
    json_t *old = created(k, "{'metadata':{'name':'c'},'spec':{'accessModes':['ReadWriteOnce'],"
                             "'resources':{'requests':{'storage':'1Gi'}}}}");
    CHECK_VALID(k, old, NULL);
    json_t *cur = json_deep_copy(old);
    json_object_set_new(fx_at(cur, "spec"), "volumeName", json_string("pv-1"));
    CHECK_VALID(k, cur, old);
    json_object_set_new(fx_at(cur, "spec"), "accessModes", json_pack("[s]", "ReadWriteMany"));
    char *m = invalid(k, cur, old);
    CHECK(m && strstr(m, "spec: Forbidden: spec is immutable after creation except "
                         "resources.requests and volumeAttributesClassName for bound claims\n"));
    free(m);
    json_decref(cur);
    json_decref(old);
}

TEST(test_pv)
{
    const k1s_kind *k = kind("", "PersistentVolume");
    json_t *pv = created(k, "{'metadata':{'name':'pv-1'},'spec':{'capacity':{'storage':'1Gi'},"
                            "'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/data/pv-1'}}}");
    CHECK_VALID(k, pv, NULL);
    CHECK_STR(fx_str(pv, "status.phase"), "Pending");
    CHECK(fx_str(pv, "status.lastPhaseTransitionTime") != NULL);
    CHECK_STR(fx_str(pv, "spec.persistentVolumeReclaimPolicy"), "Retain");
    json_decref(pv);
    pv = created(k, "{'metadata':{'name':'pv-1'},'spec':{'capacity':{'storage':'1Gi'},"
                    "'accessModes':['ReadWriteOnce']}}");
    CHECK_INVALID(
        k, pv, NULL,
        "PersistentVolume \"pv-1\" is invalid: spec: Required value: must specify a volume type");
    json_decref(pv);
}

TEST(test_storageclass)
{
    const k1s_kind *k = kind("storage.k8s.io", "StorageClass");
    json_t *old = created(k, sc_text);
    CHECK_VALID(k, old, NULL);
    CHECK_STR(fx_str(old, "volumeBindingMode"), "Immediate");
    json_t *cur = json_deep_copy(old);
    json_object_set_new(cur, "reclaimPolicy", json_string("Delete"));
    json_object_set_new(cur, "parameters", fx_json("{'a':'b'}"));
    CHECK_INVALID(k, cur, old,
                  "StorageClass.storage.k8s.io \"test-storage-class\" is invalid: ["
                  "parameters: Forbidden: updates to parameters are forbidden., "
                  "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.]");
    json_decref(cur);
    cur = created(
        k, "{'metadata':{'name':'x'},'reclaimPolicy':'Recycle','volumeBindingMode':'Later'}");
    CHECK_INVALID(
        k, cur, NULL,
        "StorageClass.storage.k8s.io \"x\" is invalid: [provisioner: Required value, "
        "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\", "
        "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", "
        "\"WaitForFirstConsumer\"]");
    json_decref(cur);
    json_decref(old);
}

/* ---- core kinds -------------------------------------------------------------------------- */

TEST(test_namespace)
{
    const k1s_kind *k = kind("", "Namespace");
    json_t *ns = created(k, "{'metadata':{'name':'team-a'}}");
    CHECK_VALID(k, ns, NULL);
    CHECK_STR(fx_str(ns, "spec.finalizers.0"), "kubernetes");
    CHECK_STR(fx_str(ns, "status.phase"), "Active");
    CHECK_STR(json_string_value(
                  json_object_get(fx_at(ns, "metadata.labels"), "kubernetes.io/metadata.name")),
              "team-a");
    json_decref(ns);
    ns = created(k, "{'metadata':{'name':'team.a'}}");
    char *m = invalid(k, ns, NULL);
    CHECK_STR(m, "Namespace \"team.a\" is invalid: metadata.name: Invalid value: "
                 "\"team.a\": must not contain dots");
    free(m);
    json_decref(ns);
}

TEST(test_configmap_and_secret)
{
    const k1s_kind *cm = kind("", "ConfigMap");
    json_t *c = created(cm, "{'metadata':{'name':'c'},'data':{'a b':'x','ok':'y'}}");
    CHECK_INVALID(
        cm, c, NULL,
        "ConfigMap \"c\" is invalid: data[a b]: Invalid value: \"a b\": a valid config key "
        "must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
        "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    json_decref(c);
    const k1s_kind *sk = kind("", "Secret");
    json_t *s = created(sk, "{'metadata':{'name':'s'},'data':{'a':'b2xk'},"
                            "'stringData':{'a':'hello','b':''}}");
    CHECK_VALID(sk, s, NULL);
    CHECK(fx_at(s, "stringData") == NULL);
    CHECK_STR(fx_str(s, "data.a"), "aGVsbG8=");
    CHECK_STR(fx_str(s, "data.b"), "");
    CHECK_STR(fx_str(s, "type"), "Opaque");
    json_t *cur = json_deep_copy(s);
    json_object_set_new(cur, "type", json_string("kubernetes.io/tls"));
    CHECK_INVALID(
        sk, cur, s,
        "Secret \"s\" is invalid: [type: Invalid value: \"kubernetes.io/tls\": field is immutable, "
        "data[tls.crt]: Required value, data[tls.key]: Required value]");
    json_decref(cur);
    json_decref(s);
}

TEST(test_object_meta)
{
    const k1s_kind *cm = kind("", "ConfigMap");
    json_t *c = created(cm, "{'metadata':{'name':'Bad_Name','labels':{'a':'b c'},"
                            "'finalizers':['custom']}}");
    char *m = invalid(cm, c, NULL);
    CHECK(m &&
          strstr(m, "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"));
    CHECK(m && strstr(m, "metadata.labels: Invalid value: \"b c\": a valid label must be"));
    CHECK(m && strstr(m, "metadata.finalizers[0]: Invalid value: \"custom\": name is neither a "
                         "standard finalizer name nor is it fully qualified"));
    free(m);
    json_decref(c);
    /* annotations are limited to 256 KiB in all */
    c = created(cm, "{'metadata':{'name':'c'}}");
    char *big = malloc(300 * 1024);
    memset(big, 'x', 300 * 1024 - 1);
    big[300 * 1024 - 1] = 0;
    json_object_set_new(k1s__ensure_obj(fx_at(c, "metadata"), "annotations"), "a",
                        json_string(big));
    free(big);
    CHECK_INVALID(cm, c, NULL,
                  "ConfigMap \"c\" is invalid: metadata.annotations: Too long: may not be more "
                  "than 262144 bytes");
    json_decref(c);
    /* owner references need their identity */
    c = created(cm, "{'metadata':{'name':'c','ownerReferences':[{'apiVersion':'apps/v1',"
                    "'kind':'ReplicaSet','name':'rs'}]}}");
    CHECK_INVALID(cm, c, NULL,
                  "ConfigMap \"c\" is invalid: metadata.ownerReferences.uid: Invalid value: \"\": "
                  "must not be empty");
    json_decref(c);
    /* identity fields are immutable on update */
    json_t *old = created(cm, "{'metadata':{'name':'c','uid':'u1'}}");
    json_t *cur = created(cm, "{'metadata':{'name':'c','uid':'u2'}}");
    CHECK_INVALID(
        cm, cur, old,
        "ConfigMap \"c\" is invalid: metadata.uid: Invalid value: \"u2\": field is immutable");
    json_decref(cur);
    json_decref(old);
}

TEST(test_events)
{
    const k1s_kind *k = kind("", "Event");
    json_t *e = created(k, "{'metadata':{'name':'x.1','namespace':'default'},"
                           "'involvedObject':{'kind':'Pod','namespace':'other','name':'p'}}");
    CHECK_INVALID(k, e, NULL,
                  "Event \"x.1\" is invalid: involvedObject.namespace: Invalid value: \"other\": "
                  "does not match event.namespace");
    json_decref(e);
    e = created(k, "{'metadata':{'name':'x.1','namespace':'default'},"
                   "'eventTime':'2024-01-01T00:00:00.000000Z',"
                   "'involvedObject':{'kind':'Pod','namespace':'default','name':'p'}}");
    /* kube checks the empty name's format too */
    char *m = invalid(k, e, NULL);
    CHECK(m && !strncmp(m,
                        "Event \"x.1\" is invalid: [reportingComponent: Required value, "
                        "reportingComponent: Invalid value: \"\": name part must be non-empty, ",
                        110));
    CHECK(m && strstr(m, ", reportingInstance: Required value, action: Required value, "
                         "reason: Required value]"));
    free(m);
    json_decref(e);
    const k1s_kind *ek = kind("events.k8s.io", "Event");
    e = created(ek, "{'metadata':{'name':'x.2'},'eventTime':'2024-01-01T00:00:00.000000Z',"
                    "'regarding':{'kind':'Pod','namespace':'default','name':'p'},"
                    "'reportingController':'k1s.io/kubelet','reportingInstance':'node-1',"
                    "'action':'Pulling','reason':'Pulling','type':'Odd'}");
    CHECK_INVALID(ek, e, NULL,
                  "Event.events.k8s.io \"x.2\" is invalid: type: Invalid value: \"\": "
                  "has invalid value: Odd");
    json_decref(e);
}

TEST(test_misc_kinds)
{
    const k1s_kind *k = kind("discovery.k8s.io", "EndpointSlice");
    json_t *s =
        created(k, "{'metadata':{'name':'web-abc'},'addressType':'IPv4',"
                   "'endpoints':[{'addresses':['10.1.2.3']},{'addresses':['300.1.1.1']},"
                   "{'addresses':[]}],'ports':[{'name':'web','port':80,'protocol':'TCP'}]}");
    CHECK_INVALID(
        k, s, NULL,
        "EndpointSlice.discovery.k8s.io \"web-abc\" is invalid: ["
        "endpoints[1].addresses[0]: Invalid value: \"300.1.1.1\": must be a valid IPv4 address, "
        "endpoints[2].addresses: Required value: must contain at least 1 address]");
    json_decref(s);
    const k1s_kind *lk = kind("coordination.k8s.io", "Lease");
    json_t *l = created(lk, "{'metadata':{'name':'node-1'},'spec':{'leaseDurationSeconds':0}}");
    CHECK_INVALID(lk, l, NULL,
                  "Lease.coordination.k8s.io \"node-1\" is invalid: spec.leaseDurationSeconds: "
                  "Invalid value: 0: must be greater than 0");
    json_decref(l);
    const k1s_kind *nk = kind("", "Node");
    json_t *n = created(
        nk, "{'metadata':{'name':'node-1'},'spec':{'taints':[{'key':'a','effect':'Sometimes'}]},"
            "'status':{'capacity':{'cpu':'4','memory':'8Gi'}}}");
    CHECK_INVALID(
        nk, n, NULL,
        "Node \"node-1\" is invalid: metadata.taints[0].effect: Unsupported value: "
        "\"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
    CHECK_STR(fx_str(n, "status.allocatable.memory"), "8Gi");
    json_decref(n);
    const k1s_kind *epk = kind("", "Endpoints");
    json_t *ep = created(epk, "{'metadata':{'name':'web'},'subsets':[{'ports':[{'port':80}]}]}");
    CHECK_INVALID(epk, ep, NULL,
                  "Endpoints \"web\" is invalid: subsets[0]: Required value: must specify "
                  "`addresses` or `notReadyAddresses`");
    json_decref(ep);
}

/* Bodies with every field of the wrong shape: the hooks must neither crash
 * nor leak (ASan runs these tests), whatever they report. */
TEST(test_hostile_shapes)
{
    static const char *const bodies[] = {
        "{}",
        "{'metadata':5,'spec':5,'status':'x'}",
        "{'metadata':{'name':5,'labels':[1],'annotations':{'a':5},'finalizers':{},"
        "'ownerReferences':[5,{'controller':true},{'controller':true}]},"
        "'spec':{'containers':'x','volumes':[5,null,{'name':5}],'ports':[5,null,{}],"
        "'selector':5,'template':[],'type':5,'clusterIP':5,'clusterIPs':[5,null],"
        "'ipFamilies':[5],'accessModes':[5],'resources':{'requests':{'storage':[]}},"
        "'updateStrategy':{'type':5,'rollingUpdate':5},'strategy':{'rollingUpdate':{'maxSurge':[]}},"
        "'finalizers':[5],'taints':[5,{'key':5}],'capacity':5,'nodeAffinity':5}}",
        "{'metadata':{'name':'a'},'spec':{'containers':[5,null,{'name':5,'ports':[5,{'containerPort':'x'}],"
        "'env':[5,{'valueFrom':{'fieldRef':{'fieldPath':'metadata.labels[x'}}}],"
        "'volumeMounts':[5,{}],'resources':{'limits':5,'requests':{'cpu':{}}},"
        "'livenessProbe':{'httpGet':{'port':[]}}}],"
        "'template':{'metadata':{'labels':5},'spec':{'containers':[{}]}},"
        "'selector':{'matchExpressions':[5,{'operator':5,'values':[5]}]},"
        "'volumeClaimTemplates':[5,{'metadata':5}],'ports':[{'port':'x','nodePort':[]}],"
        "'sessionAffinity':'ClientIP','sessionAffinityConfig':{'clientIP':5}},"
        "'data':{'a':5},'stringData':{'b':5},'subsets':[5,{'addresses':[5]}],"
        "'endpoints':[5,{'addresses':[5]}],'regarding':5,'involvedObject':5}",
        "{'metadata':[],'spec':[],'status':[],'data':[],'stringData':[],'subsets':{},"
        "'provisioner':[],'parameters':[],'type':{},'addressType':[]}",
        "{'metadata':{'name':'a','namespace':7},'spec':{'type':'LoadBalancer','clusterIP':'None',"
        "'clusterIPs':['None','x','y'],'ipFamilies':['IPv6','IPv6'],'externalIPs':[5,'0.0.0.0'],"
        "'externalTrafficPolicy':'Local','healthCheckNodePort':-1,"
        "'ports':[{'port':99999,'nodePort':1,'targetPort':'BAD_NAME'},{'port':99999}],"
        "'containers':[{'name':'a','image':' x ','resources':{'limits':{'foo/bar':'1.5',"
        "'hugepages-2Mi':'1Mi'},'requests':{'cpu':'-1','foo/bar':'2'}},"
        "'livenessProbe':{'exec':{},'httpGet':{},'successThreshold':2}}],"
        "'volumes':[{'name':'v','ephemeral':{'volumeClaimTemplate':{'metadata':{'name':'n'},"
        "'spec':{'dataSource':{'kind':'X'},'dataSourceRef':{'kind':'Y','namespace':'z'}}}}}],"
        "'accessModes':['ReadWriteOncePod','ReadWriteOnce'],'capacity':{'storage':'-1'},"
        "'hostPath':{'path':'/','type':'Odd'},'nfs':{'path':'rel'},"
        "'persistentVolumeReclaimPolicy':'Recycle'}}",
    };
    size_t n;
    const k1s_kind *kinds = k1s_registry_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        const k1s_kind *k = &kinds[i];
        for (size_t b = 0; b < sizeof bodies / sizeof bodies[0]; b++) {
            json_t *obj = fx_json(bodies[b]);
            json_t *old = fx_json(bodies[b]);
            CHECK(obj && old);
            if (!obj || !old)
                return;
            if (k->strategy->prepare_create)
                k->strategy->prepare_create(obj);
            if (k->strategy->defaults) {
                k->strategy->defaults(obj);
                k->strategy->defaults(old);
            }
            if (k->strategy->prepare_update)
                k->strategy->prepare_update(obj, old);
            free(invalid(k, obj, NULL));
            free(invalid(k, obj, old));
            json_decref(obj);
            json_decref(old);
        }
    }
    CHECK(1); /* reaching here without a sanitizer report is the test */
}

TEST(test_field_labels)
{
    const k1s_kind *pod = kind("", "Pod");
    bool found = false;
    for (const char *const *f = pod->strategy->field_labels; f && *f; f++)
        found |= !strcmp(*f, "spec.nodeName");
    CHECK(found);
    CHECK_STR(kind("", "Secret")->strategy->field_labels[0], "type");
    CHECK_STR(kind("", "Node")->strategy->field_labels[0], "spec.unschedulable");
    CHECK_STR(kind("", "Namespace")->strategy->field_labels[0], "status.phase");
    CHECK_STR(kind("apps", "ReplicaSet")->strategy->field_labels[0], "status.replicas");
}

K1S_TEST_MAIN(T(test_statefulset_scenario), T(test_statefulset_strategy_defaults),
              T(test_statefulset_selector_mismatch), T(test_statefulset_spec_errors),
              T(test_statefulset_update), T(test_deployment), T(test_daemonset_defaults),
              T(test_service_scenario_defaults), T(test_service_validation),
              T(test_service_update_keeps_allocations), T(test_service_allocation),
              T(test_pod_create), T(test_pod_validation), T(test_pod_update), T(test_pvc),
              T(test_pv), T(test_storageclass), T(test_namespace), T(test_configmap_and_secret),
              T(test_object_meta), T(test_events), T(test_misc_kinds), T(test_hostile_shapes),
              T(test_field_labels))
