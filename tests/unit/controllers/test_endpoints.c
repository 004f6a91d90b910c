/*
 * test_endpoints.c - the endpoint and endpoint-slice controllers with
 * kubelet "none" (the test sets pod IPs and readiness): Endpoints and
 * EndpointSlices follow pod readiness both ways, named target ports
 * resolve to container ports, pods without an IP are left out, terminating
 * pods leave Endpoints and show terminating in slices, headless services
 * without ports, the placeholder slice, the `kubernetes` Service pointing
 * at the API server, and Endpoints going with their Service.
 */
#include "k1s_test.h"
#include "wl_test.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#define NS "default"

static json_t *service(const char *name, bool headless, bool ports)
{
    json_t *svc = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:{s:s}}}", "apiVersion", "v1", "kind",
                            "Service", "metadata", "name", name, "labels", "team", "blue", "spec",
                            "selector", "app", "web");
    json_t *spec = json_object_get(svc, "spec");
    if (headless)
        json_object_set_new(spec, "clusterIP", json_string("None"));
    if (ports)
        json_object_set_new(spec, "ports",
                            json_pack("[{s:s, s:i, s:s}, {s:s, s:i, s:i}]", "name", "http", "port",
                                      80, "targetPort", "web", "name", "metrics", "port", 9100,
                                      "targetPort", 9100));
    return svc;
}

static json_t *pod(const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:s, s:[{s:s, s:i}]}]}}",
                     "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "labels", "app",
                     "web", "spec", "nodeName", WL_NODE, "containers", "name", "c", "image",
                     "nginx:1", "ports", "name", "web", "containerPort", 8080);
}

/* ---- reading Endpoints and slices ------------------------------------------------- */

typedef struct epwant {
    const char *svc;
    int ready, notready; /* -1: do not care */
} epwant;

static int count_addrs(const json_t *ep, const char *key)
{
    int n = 0;
    size_t i;
    const json_t *ss;
    json_array_foreach(json_object_get(ep, "subsets"), i, ss) n +=
        (int)json_array_size(json_object_get(ss, key));
    return n;
}

static bool endpoints_are(k1s_api *api, void *arg)
{
    epwant *w = arg;
    json_t *ep = fx_get(api, "Endpoints", NS, w->svc);
    bool ok = ep && (w->ready < 0 || count_addrs(ep, "addresses") == w->ready) &&
              (w->notready < 0 || count_addrs(ep, "notReadyAddresses") == w->notready);
    json_decref(ep);
    return ok;
}

static json_t *slices_of(k1s_api *api, const char *svc)
{
    char sel[160];
    snprintf(sel, sizeof sel, "kubernetes.io/service-name=%s", svc);
    return fx_list(api, "EndpointSlice", NS, sel);
}

/* the slices' endpoints with ready == want */
static int slice_endpoints(const json_t *slices, bool want)
{
    int n = 0;
    size_t i, j;
    const json_t *s, *e;
    json_array_foreach(slices, i, s) json_array_foreach(json_object_get(s, "endpoints"), j, e) n +=
        json_is_true(json_object_get(json_object_get(e, "conditions"), "ready")) == want;
    return n;
}

static bool slices_are(k1s_api *api, void *arg)
{
    epwant *w = arg;
    json_t *sl = slices_of(api, w->svc);
    bool ok = json_array_size(sl) >= 1 && (w->ready < 0 || slice_endpoints(sl, true) == w->ready) &&
              (w->notready < 0 || slice_endpoints(sl, false) == w->notready);
    json_decref(sl);
    return ok;
}

static const json_t *find_endpoint(const json_t *slices, const char *pod)
{
    size_t i, j;
    const json_t *s, *e;
    json_array_foreach(slices, i, s) json_array_foreach(json_object_get(s, "endpoints"), j, e)
    {
        const char *n = json_string_value(json_object_get(json_object_get(e, "targetRef"), "name"));
        if (n && !strcmp(n, pod))
            return e;
    }
    return NULL;
}

static bool host_has_address(void)
{
    struct ifaddrs *ifs = NULL;
    bool yes = false;
    if (getifaddrs(&ifs) != 0)
        return false;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP) &&
            !(i->ifa_flags & IFF_LOOPBACK))
            yes = true;
    freeifaddrs(ifs);
    return yes;
}

/* ---- tests --------------------------------------------------------------------------- */

TEST(test_endpoints_follow_readiness)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Node", "", wl_node(WL_NODE)), 0);
    CHECK_INT(fx_create(api, "Service", NS, service("web", false, true)), 0);
    CHECK_INT(fx_create(api, "Pod", NS, pod("a")), 0);
    CHECK_INT(fx_create(api, "Pod", NS, pod("b")), 0);
    CHECK_INT(fx_create(api, "Pod", NS, pod("noip")), 0);
    CHECK_INT(wl_set_pod_status(api, NS, "a", "10.1.0.1", true), 0);
    CHECK_INT(wl_set_pod_status(api, NS, "b", "10.1.0.2", false), 0);
    CHECK_INT(wl_set_pod_status(api, NS, "noip", NULL, true), 0);
    epwant one_one = {"web", 1, 1};
    CHECK(fx_wait_api(api, endpoints_are, &one_one, FX_WAIT_MS));
    json_t *ep = fx_get(api, "Endpoints", NS, "web");
    CHECK_STR(k1s_meta_label(ep, "team"), "blue");
    CHECK_STR(k1s_meta_label(ep, "endpoints.kubernetes.io/managed-by"), "endpoint-controller");
    CHECK(k1s_meta_label(ep, "service.kubernetes.io/headless") == NULL);
    CHECK(k1s_meta_annotation(ep, "endpoints.kubernetes.io/last-change-trigger-time") != NULL);
    const json_t *ss = json_array_get(json_object_get(ep, "subsets"), 0);
    CHECK_INT(json_array_size(json_object_get(ep, "subsets")), 1);
    const json_t *addr = json_array_get(json_object_get(ss, "addresses"), 0);
    CHECK_STR(json_string_value(json_object_get(addr, "ip")), "10.1.0.1");
    CHECK_STR(json_string_value(json_object_get(addr, "nodeName")), WL_NODE);
    const json_t *ref = json_object_get(addr, "targetRef");
    CHECK_STR(json_string_value(json_object_get(ref, "kind")), "Pod");
    CHECK_STR(json_string_value(json_object_get(ref, "name")), "a");
    CHECK_STR(json_string_value(json_object_get(ref, "namespace")), NS);
    json_t *pa = fx_get(api, "Pod", NS, "a");
    CHECK_STR(json_string_value(json_object_get(ref, "uid")), k1s_meta(pa, "uid"));
    json_decref(pa);
    const json_t *nr = json_array_get(json_object_get(ss, "notReadyAddresses"), 0);
    CHECK_STR(json_string_value(json_object_get(nr, "ip")), "10.1.0.2");
    /* the named port reaches the container's 8080, the numbered one 9100 */
    const json_t *ports = json_object_get(ss, "ports");
    CHECK_INT(json_array_size(ports), 2);
    const json_t *http = json_array_get(ports, 0), *metrics = json_array_get(ports, 1);
    CHECK_STR(json_string_value(json_object_get(http, "name")), "http");
    CHECK_INT(json_integer_value(json_object_get(http, "port")), 8080);
    CHECK_STR(json_string_value(json_object_get(http, "protocol")), "TCP");
    CHECK_STR(json_string_value(json_object_get(metrics, "name")), "metrics");
    CHECK_INT(json_integer_value(json_object_get(metrics, "port")), 9100);
    json_decref(ep);

    /* slices */
    epwant slices = {"web", 1, 1};
    CHECK(fx_wait_api(api, slices_are, &slices, FX_WAIT_MS));
    json_t *sl = slices_of(api, "web");
    CHECK_INT(json_array_size(sl), 1);
    const json_t *s = json_array_get(sl, 0);
    CHECK(!strncmp(k1s_meta(s, "name"), "web-", 4) && strlen(k1s_meta(s, "name")) == 9);
    CHECK_STR(k1s_meta_label(s, "endpointslice.kubernetes.io/managed-by"),
              "endpointslice-controller.k8s.io");
    CHECK_STR(k1s_meta_label(s, "team"), "blue");
    CHECK_STR(json_string_value(json_object_get(s, "addressType")), "IPv4");
    const json_t *e = find_endpoint(sl, "b");
    CHECK_STR(json_string_value(json_array_get(json_object_get(e, "addresses"), 0)), "10.1.0.2");
    const json_t *cond = json_object_get(e, "conditions");
    CHECK(json_is_false(json_object_get(cond, "ready")));
    CHECK(json_is_false(json_object_get(cond, "serving")));
    CHECK(json_is_false(json_object_get(cond, "terminating")));
    CHECK_STR(json_string_value(json_object_get(e, "nodeName")), WL_NODE);
    CHECK(find_endpoint(sl, "noip") == NULL);
    const json_t *sp = json_object_get(s, "ports");
    CHECK_INT(json_array_size(sp), 2);
    const json_t *ref0 =
        json_array_get(json_object_get(json_object_get(s, "metadata"), "ownerReferences"), 0);
    CHECK_STR(json_string_value(json_object_get(ref0, "kind")), "Service");
    json_decref(sl);

    /* b gets ready, a stops being ready */
    CHECK_INT(wl_set_pod_status(api, NS, "b", "10.1.0.2", true), 0);
    CHECK_INT(wl_set_pod_status(api, NS, "a", "10.1.0.1", false), 0);
    epwant flipped = {"web", 1, 1};
    CHECK(fx_wait_api(api, endpoints_are, &flipped, FX_WAIT_MS));
    for (int w = 0; w < 100; w++) {
        ep = fx_get(api, "Endpoints", NS, "web");
        const json_t *a0 = json_array_get(
            json_object_get(json_array_get(json_object_get(ep, "subsets"), 0), "addresses"), 0);
        bool done_flip = a0 && !strcmp(json_string_value(json_object_get(a0, "ip")), "10.1.0.2");
        json_decref(ep);
        if (done_flip)
            break;
        fx_sleep_ms(20);
    }
    ep = fx_get(api, "Endpoints", NS, "web");
    ss = json_array_get(json_object_get(ep, "subsets"), 0);
    CHECK_STR(json_string_value(
                  json_object_get(json_array_get(json_object_get(ss, "addresses"), 0), "ip")),
              "10.1.0.2");
    CHECK_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(ss, "notReadyAddresses"), 0), "ip")),
              "10.1.0.1");
    json_decref(ep);
    for (int w = 0; w < 200; w++) {
        sl = slices_of(api, "web");
        e = find_endpoint(sl, "b");
        const json_t *ea = find_endpoint(sl, "a");
        bool ok = e && json_is_true(json_object_get(json_object_get(e, "conditions"), "ready")) &&
                  ea && json_is_false(json_object_get(json_object_get(ea, "conditions"), "ready"));
        json_decref(sl);
        if (ok)
            break;
        fx_sleep_ms(20);
    }
    sl = slices_of(api, "web");
    e = find_endpoint(sl, "b");
    CHECK(e && json_is_true(json_object_get(json_object_get(e, "conditions"), "serving")));
    e = find_endpoint(sl, "a");
    CHECK(e && json_is_false(json_object_get(json_object_get(e, "conditions"), "ready")));
    json_decref(sl);

    /* a terminating pod leaves Endpoints; its slice entry says so */
    CHECK_INT(fx_delete(api, "Pod", NS, "b", -1), 0);
    epwant none = {"web", 0, 1};
    CHECK(fx_wait_api(api, endpoints_are, &none, FX_WAIT_MS));
    for (int w = 0; w < 200; w++) {
        sl = slices_of(api, "web");
        e = find_endpoint(sl, "b");
        bool ok =
            e && json_is_true(json_object_get(json_object_get(e, "conditions"), "terminating"));
        json_decref(sl);
        if (ok)
            break;
        fx_sleep_ms(20);
    }
    sl = slices_of(api, "web");
    e = find_endpoint(sl, "b");
    cond = json_object_get(e, "conditions");
    CHECK(e && json_is_true(json_object_get(cond, "terminating")));
    CHECK(json_is_false(json_object_get(cond, "ready")));
    CHECK(json_is_true(json_object_get(cond, "serving")));
    json_decref(sl);

    /* the Endpoints go with the Service */
    CHECK_INT(fx_delete(api, "Service", NS, "web", -1), 0);
    bool gone = false;
    for (int w = 0; w < 500 && !gone; w++) {
        ep = fx_get(api, "Endpoints", NS, "web");
        gone = ep == NULL;
        json_decref(ep);
        if (!gone)
            fx_sleep_ms(20);
    }
    CHECK(gone);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_headless_and_placeholder)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Node", "", wl_node(WL_NODE)), 0);
    /* a selector nothing matches yet: no Endpoints addresses, one empty slice */
    CHECK_INT(fx_create(api, "Service", NS, service("hl", true, false)), 0);
    epwant empty = {"hl", 0, 0};
    CHECK(fx_wait_api(api, slices_are, &empty, FX_WAIT_MS));
    json_t *sl = slices_of(api, "hl");
    CHECK_INT(json_array_size(sl), 1);
    CHECK_INT(json_array_size(json_object_get(json_array_get(sl, 0), "endpoints")), 0);
    CHECK_STR(k1s_meta_label(json_array_get(sl, 0), "service.kubernetes.io/headless"), "");
    char placeholder[128];
    snprintf(placeholder, sizeof placeholder, "%s", k1s_meta(json_array_get(sl, 0), "name"));
    json_decref(sl);
    CHECK(fx_wait_api(api, endpoints_are, &empty, FX_WAIT_MS));
    json_t *ep = fx_get(api, "Endpoints", NS, "hl");
    CHECK_STR(k1s_meta_label(ep, "service.kubernetes.io/headless"), "");
    CHECK(json_object_get(ep, "subsets") == NULL);
    json_decref(ep);

    /* a headless service without ports lists addresses without ports */
    CHECK_INT(fx_create(api, "Pod", NS, pod("h1")), 0);
    CHECK_INT(wl_set_pod_status(api, NS, "h1", "10.2.0.1", true), 0);
    epwant one = {"hl", 1, 0};
    CHECK(fx_wait_api(api, endpoints_are, &one, FX_WAIT_MS));
    ep = fx_get(api, "Endpoints", NS, "hl");
    const json_t *ss = json_array_get(json_object_get(ep, "subsets"), 0);
    CHECK(json_object_get(ss, "ports") == NULL);
    json_decref(ep);
    CHECK(fx_wait_api(api, slices_are, &one, FX_WAIT_MS));
    sl = slices_of(api, "hl");
    CHECK_INT(json_array_size(sl), 1);
    /* the placeholder was reused rather than replaced */
    CHECK_STR(k1s_meta(json_array_get(sl, 0), "name"), placeholder);
    json_decref(sl);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

static bool apiserver_endpoints(k1s_api *api, void *arg)
{
    (void)arg;
    json_t *ep = fx_get(api, "Endpoints", NS, "kubernetes");
    json_t *sl = fx_get(api, "EndpointSlice", NS, "kubernetes");
    bool ok = ep && sl;
    json_decref(ep);
    json_decref(sl);
    return ok;
}

TEST(test_kubernetes_service_endpoints)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    if (!host_has_address()) {
        /* Endpoints may not hold loopback addresses: nothing to point at */
        fx_sleep_ms(300);
        json_t *ep = fx_get(api, "Endpoints", NS, "kubernetes");
        CHECK(ep == NULL);
        json_decref(ep);
        goto done;
    }
    CHECK(fx_wait_api(api, apiserver_endpoints, NULL, FX_WAIT_MS));
    json_t *ep = fx_get(api, "Endpoints", NS, "kubernetes");
    CHECK_STR(k1s_meta_label(ep, "endpointslice.kubernetes.io/skip-mirror"), "true");
    const json_t *ss = json_array_get(json_object_get(ep, "subsets"), 0);
    const char *ip = json_string_value(
        json_object_get(json_array_get(json_object_get(ss, "addresses"), 0), "ip"));
    CHECK(ip && strncmp(ip, "127.", 4) != 0 && strcmp(ip, "0.0.0.0") != 0);
    const json_t *port = json_array_get(json_object_get(ss, "ports"), 0);
    CHECK_STR(json_string_value(json_object_get(port, "name")), "https");
    CHECK_INT(json_integer_value(json_object_get(port, "port")), 6443);
    CHECK_STR(json_string_value(json_object_get(port, "protocol")), "TCP");
    json_t *sl = fx_get(api, "EndpointSlice", NS, "kubernetes");
    CHECK_STR(k1s_meta_label(sl, "kubernetes.io/service-name"), "kubernetes");
    CHECK(k1s_meta_label(sl, "endpointslice.kubernetes.io/managed-by") == NULL);
    const json_t *e = json_array_get(json_object_get(sl, "endpoints"), 0);
    CHECK_STR(json_string_value(json_array_get(json_object_get(e, "addresses"), 0)), ip);
    CHECK(json_is_true(json_object_get(json_object_get(e, "conditions"), "ready")));
    CHECK_INT(json_integer_value(
                  json_object_get(json_array_get(json_object_get(sl, "ports"), 0), "port")),
              6443);
    json_decref(sl);
    /* someone breaking it gets it put back */
    json_object_set_new(json_array_get(json_object_get(ss, "ports"), 0), "port", json_integer(1));
    CHECK_INT(fx_update(api, "Endpoints", NS, NULL, ep), 0);
    json_decref(ep);
    bool restored = false;
    for (int w = 0; w < 500 && !restored; w++) {
        ep = fx_get(api, "Endpoints", NS, "kubernetes");
        restored =
            json_integer_value(json_object_get(
                json_array_get(
                    json_object_get(json_array_get(json_object_get(ep, "subsets"), 0), "ports"), 0),
                "port")) == 6443;
        json_decref(ep);
        if (!restored)
            fx_sleep_ms(20);
    }
    CHECK(restored);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_endpoints_follow_readiness), T(test_headless_and_placeholder),
              T(test_kubernetes_service_endpoints))
