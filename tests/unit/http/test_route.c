/*
 * test_route.c - request paths split into kube's RequestInfo.
 */
#include "k1s_test.h"

#include "http_internal.h"

static int route(const char *path, k1s_route *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    return k1s__route_parse(buf, r);
}

TEST(test_core_namespaced)
{
    char b[256];
    k1s_route r;
    CHECK_INT(route("/api/v1/namespaces/default/pods/web-0/status", &r, b, sizeof b), 0);
    CHECK_STR(r.group, "");
    CHECK_STR(r.version, "v1");
    CHECK_STR(r.ns, "default");
    CHECK_STR(r.resource, "pods");
    CHECK_STR(r.name, "web-0");
    CHECK_STR(r.sub, "status");
}

TEST(test_group_collection)
{
    char b[256];
    k1s_route r;
    CHECK_INT(route("/apis/apps/v1/namespaces/ns1/statefulsets", &r, b, sizeof b), 0);
    CHECK_STR(r.group, "apps");
    CHECK_STR(r.ns, "ns1");
    CHECK_STR(r.resource, "statefulsets");
    CHECK(r.name == NULL);
    CHECK_INT(route("/apis/storage.k8s.io/v1/storageclasses", &r, b, sizeof b), 0);
    CHECK(r.ns == NULL);
    CHECK_STR(r.resource, "storageclasses");
}

TEST(test_namespace_itself)
{
    char b[256];
    k1s_route r;
    CHECK_INT(route("/api/v1/namespaces/kube-system", &r, b, sizeof b), 0);
    CHECK_STR(r.resource, "namespaces");
    CHECK_STR(r.name, "kube-system");
    CHECK(r.ns == NULL);
    CHECK_INT(route("/api/v1/namespaces/x/finalize", &r, b, sizeof b), 0);
    CHECK_STR(r.resource, "namespaces");
    CHECK_STR(r.sub, "finalize");
    CHECK_INT(route("/api/v1/namespaces", &r, b, sizeof b), 0);
    CHECK_STR(r.resource, "namespaces");
    CHECK(r.name == NULL);
}

TEST(test_legacy_watch_and_discovery)
{
    char b[256];
    k1s_route r;
    CHECK_INT(route("/api/v1/watch/namespaces/default/pods", &r, b, sizeof b), 0);
    CHECK(r.legacy_watch);
    CHECK_STR(r.resource, "pods");
    CHECK_INT(route("/api/v1", &r, b, sizeof b), 1);
    CHECK_INT(route("/apis/apps/v1", &r, b, sizeof b), 1);
    CHECK_INT(route("/version", &r, b, sizeof b), 1);
    CHECK_INT(route("/api/v1/namespaces/a/pods/b/c/d", &r, b, sizeof b), -1);
    CHECK_INT(route("/api/v1/a/b/c/d/e/f/g/h/i/j/k", &r, b, sizeof b), -1);
}

K1S_TEST_MAIN(T(test_core_namespaced), T(test_group_collection), T(test_namespace_itself),
              T(test_legacy_watch_and_discovery))
