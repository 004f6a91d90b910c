/*
 * test_openapi.c - the OpenAPI v3 and v2 documents built from the compiled
 * schema: the query parameters kubectl looks for (fieldValidation on PATCH),
 * operation GVKs, patch extensions, that every $ref resolves, and that the
 * lookup kubectl explain does (resource path -> GVK -> schema -> field path
 * through $ref/allOf/items) reaches statefulset.spec.volumeClaimTemplates.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_schema.h"
#include "k1s_test.h"

static const k1s_openapi_resource RES[] = {
    {"", "v1", "Pod", "pods", true, true, false, "PodList"},
    {"apps", "v1", "StatefulSet", "statefulsets", true, true, true, "StatefulSetList"},
    {"storage.k8s.io", "v1", "StorageClass", "storageclasses", false, false, false,
     "StorageClassList"},
};
#define NRES (sizeof RES / sizeof RES[0])

/* Counts $refs under j that do not name an entry of defs (prefix stripped). */
static size_t dangling_refs(const json_t *j, const json_t *defs, const char *prefix, size_t *seen)
{
    size_t bad = 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            if (strcmp(k, "$ref") == 0 && json_is_string(v)) {
                (*seen)++;
                const char *ref = json_string_value(v);
                if (strncmp(ref, prefix, strlen(prefix)) != 0 ||
                    !json_object_get(defs, ref + strlen(prefix))) {
                    fprintf(stderr, "dangling $ref %s\n", ref);
                    bad++;
                }
            } else {
                bad += dangling_refs(v, defs, prefix, seen);
            }
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v) bad += dangling_refs(v, defs, prefix, seen);
    }
    return bad;
}

static bool has_query_param(const json_t *op, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
    {
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0 &&
            strcmp(json_string_value(json_object_get(p, "in")), "query") == 0)
            return true;
    }
    return false;
}

static const char *gvk_kind(const json_t *op)
{
    return json_string_value(
        json_object_get(json_object_get(op, "x-kubernetes-group-version-kind"), "kind"));
}

/* Follows $ref or a one-element allOf to the named schema. */
static json_t *resolve(json_t *schemas, json_t *s)
{
    for (int i = 0; s && i < 4; i++) {
        json_t *ref = json_object_get(s, "$ref");
        json_t *all = json_object_get(s, "allOf");
        if (ref) {
            const char *r = strrchr(json_string_value(ref), '/');
            s = r ? json_object_get(schemas, r + 1) : NULL;
        } else if (json_array_size(all) == 1) {
            s = json_array_get(all, 0);
        } else {
            break;
        }
    }
    return s;
}

TEST(test_v3_apps)
{
    json_t *doc = k1s_openapi_v3("apps", "v1", RES, NRES);
    CHECK(doc != NULL);
    if (!doc)
        return;
    CHECK_STR(json_string_value(json_object_get(doc, "openapi")), "3.0.0");
    json_t *paths = json_object_get(doc, "paths");
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    /* only apps/v1 paths */
    CHECK(json_object_get(paths, "/api/v1/namespaces/{namespace}/pods") == NULL);
    CHECK(json_object_get(paths, "/apis/storage.k8s.io/v1/storageclasses") == NULL);

    json_t *item =
        json_object_get(paths, "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}");
    CHECK(item != NULL);
    json_t *patch = json_object_get(item, "patch");
    CHECK(has_query_param(patch, "fieldValidation"));
    CHECK(has_query_param(patch, "dryRun"));
    CHECK(has_query_param(patch, "fieldManager"));
    CHECK(has_query_param(patch, "force"));
    CHECK_STR(gvk_kind(patch), "StatefulSet");
    CHECK_STR(json_string_value(json_object_get(patch, "x-kubernetes-action")), "patch");
    CHECK_STR(json_string_value(json_object_get(patch, "operationId")),
              "patchAppsV1NamespacedStatefulSet");
    CHECK(json_object_get(json_object_get(json_object_get(patch, "requestBody"), "content"),
                          "application/strategic-merge-patch+json") != NULL);
    CHECK(has_query_param(json_object_get(item, "put"), "fieldValidation"));
    CHECK(has_query_param(json_object_get(item, "delete"), "dryRun"));
    CHECK(has_query_param(json_object_get(item, "delete"), "propagationPolicy"));
    json_t *coll = json_object_get(paths, "/apis/apps/v1/namespaces/{namespace}/statefulsets");
    CHECK(has_query_param(json_object_get(coll, "post"), "fieldValidation"));
    CHECK(has_query_param(json_object_get(coll, "get"), "watch"));
    CHECK(has_query_param(json_object_get(coll, "get"), "labelSelector"));
    CHECK_STR(
        json_string_value(json_object_get(json_object_get(coll, "delete"), "x-kubernetes-action")),
        "deletecollection");
    /* every PATCH, status and scale included, lists fieldValidation */
    const char *path;
    json_t *pi;
    size_t npatch = 0;
    json_object_foreach(paths, path, pi)
    {
        json_t *p = json_object_get(pi, "patch");
        if (p) {
            npatch++;
            CHECK(has_query_param(p, "fieldValidation"));
        }
    }
    CHECK_INT(npatch, 3);
    json_t *scale =
        json_object_get(paths, "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale");
    CHECK_STR(gvk_kind(json_object_get(scale, "get")), "Scale");
    CHECK(json_object_get(
              paths, "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/status") != NULL);
    CHECK(json_object_get(paths, "/apis/apps/v1/watch/statefulsets") != NULL);

    /* schemas: kinds carry their GVK, lists exist, patch extensions */
    json_t *sts = json_object_get(schemas, "io.k8s.api.apps.v1.StatefulSet");
    json_t *gvk = json_array_get(json_object_get(sts, "x-kubernetes-group-version-kind"), 0);
    CHECK_STR(json_string_value(json_object_get(gvk, "group")), "apps");
    CHECK_STR(json_string_value(json_object_get(gvk, "kind")), "StatefulSet");
    CHECK(json_object_get(schemas, "io.k8s.api.apps.v1.StatefulSetList"));
    json_t *podspec = json_object_get(schemas, "io.k8s.api.core.v1.PodSpec");
    json_t *containers = json_object_get(json_object_get(podspec, "properties"), "containers");
    CHECK_STR(json_string_value(json_object_get(containers, "x-kubernetes-patch-merge-key")),
              "name");
    CHECK_STR(json_string_value(json_object_get(containers, "x-kubernetes-patch-strategy")),
              "merge");
    CHECK_STR(json_string_value(json_object_get(containers, "x-kubernetes-list-type")), "map");
    json_t *rp = json_object_get(json_object_get(podspec, "properties"), "restartPolicy");
    CHECK_STR(json_string_value(json_object_get(rp, "default")), "Always");
    CHECK(json_array_size(json_object_get(podspec, "required")) >= 1);
    CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.api.resource.Quantity"));
    CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"));
    CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"));
    CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"));
    CHECK(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.Status"));

    size_t seen = 0;
    CHECK_INT(dangling_refs(doc, schemas, "#/components/schemas/", &seen), 0);
    CHECK(seen > 50);
    json_decref(doc);
}

/* What kubectl explain statefulset.spec.volumeClaimTemplates does. */
TEST(test_v3_explain_walk)
{
    json_t *doc = k1s_openapi_v3("apps", "v1", RES, NRES);
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    json_t *op = json_object_get(
        json_object_get(json_object_get(doc, "paths"), "/apis/apps/v1/statefulsets"), "get");
    json_t *gvk = json_object_get(op, "x-kubernetes-group-version-kind");
    CHECK(gvk != NULL);
    json_t *found = NULL;
    const char *name;
    json_t *s;
    json_object_foreach(schemas, name, s)
    {
        json_t *g = json_array_get(json_object_get(s, "x-kubernetes-group-version-kind"), 0);
        if (g && json_equal(g, gvk))
            found = s;
    }
    CHECK(found == json_object_get(schemas, "io.k8s.api.apps.v1.StatefulSet"));
    const char *fieldpath[] = {"spec", "volumeClaimTemplates"};
    json_t *cur = found;
    for (size_t i = 0; cur && i < 2; i++)
        cur = json_object_get(json_object_get(resolve(schemas, cur), "properties"), fieldpath[i]);
    CHECK(cur != NULL);
    CHECK_STR(json_string_value(json_object_get(cur, "type")), "array");
    json_t *pvc = resolve(schemas, json_object_get(cur, "items"));
    CHECK(pvc == json_object_get(schemas, "io.k8s.api.core.v1.PersistentVolumeClaim"));
    CHECK(json_object_get(json_object_get(pvc, "properties"), "spec"));
    /* a described reference is wrapped as allOf, kube-apiserver style */
    json_t *spec = json_object_get(
        json_object_get(json_object_get(schemas, "io.k8s.api.apps.v1.StatefulSet"), "properties"),
        "spec");
    CHECK(json_object_get(spec, "allOf") != NULL);
    CHECK(json_object_get(spec, "description") != NULL);
    json_decref(doc);
}

TEST(test_v3_core_and_cluster_scoped)
{
    json_t *doc = k1s_openapi_v3("", "v1", RES, NRES);
    json_t *paths = json_object_get(doc, "paths");
    json_t *pods = json_object_get(paths, "/api/v1/namespaces/{namespace}/pods");
    CHECK_STR(json_string_value(json_object_get(json_object_get(pods, "get"), "operationId")),
              "listCoreV1NamespacedPod");
    CHECK(json_object_get(paths, "/api/v1/pods") != NULL);
    CHECK(json_object_get(paths, "/apis/apps/v1/statefulsets") == NULL);
    json_decref(doc);

    doc = k1s_openapi_v3("storage.k8s.io", "v1", RES, NRES);
    paths = json_object_get(doc, "paths");
    json_t *sc = json_object_get(paths, "/apis/storage.k8s.io/v1/storageclasses");
    CHECK_STR(json_string_value(json_object_get(json_object_get(sc, "post"), "operationId")),
              "createStorageV1StorageClass");
    json_t *item = json_object_get(paths, "/apis/storage.k8s.io/v1/storageclasses/{name}");
    CHECK(has_query_param(json_object_get(item, "patch"), "fieldValidation"));
    CHECK(json_object_get(paths, "/apis/storage.k8s.io/v1/storageclasses/{name}/status") == NULL);
    json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    size_t seen = 0;
    CHECK_INT(dangling_refs(doc, schemas, "#/components/schemas/", &seen), 0);
    json_decref(doc);

    /* a group/version nothing is served in: a valid, empty document */
    doc = k1s_openapi_v3("nope.example.com", "v1", RES, NRES);
    CHECK(doc != NULL);
    CHECK_INT(json_object_size(json_object_get(doc, "paths")), 0);
    json_decref(doc);
}

TEST(test_v2)
{
    json_t *doc = k1s_openapi_v2(RES, NRES);
    CHECK(doc != NULL);
    if (!doc)
        return;
    CHECK_STR(json_string_value(json_object_get(doc, "swagger")), "2.0");
    json_t *defs = json_object_get(doc, "definitions");
    json_t *pod = json_object_get(defs, "io.k8s.api.core.v1.Pod");
    CHECK(pod != NULL);
    CHECK_STR(
        json_string_value(json_object_get(
            json_array_get(json_object_get(pod, "x-kubernetes-group-version-kind"), 0), "kind")),
        "Pod");
    /* every described type is defined, not only the reachable ones */
    size_t n;
    const k1s_type *const *all = k1s_schema_all(&n);
    for (size_t i = 0; i < n; i++)
        CHECK(json_object_get(defs, all[i]->name) != NULL);
    json_t *paths = json_object_get(doc, "paths");
    json_t *patch = json_object_get(
        json_object_get(paths, "/api/v1/namespaces/{namespace}/pods/{name}"), "patch");
    CHECK_STR(json_string_value(json_object_get(patch, "x-kubernetes-action")), "patch");
    CHECK_STR(gvk_kind(patch), "Pod");
    CHECK(has_query_param(patch, "fieldValidation"));
    CHECK(json_object_get(
              paths, "/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/scale") != NULL);
    /* v2 keeps $ref beside the description (no allOf) */
    json_t *spec = json_object_get(json_object_get(pod, "properties"), "spec");
    CHECK(json_object_get(spec, "$ref") != NULL);
    size_t seen = 0;
    CHECK_INT(dangling_refs(doc, defs, "#/definitions/", &seen), 0);
    CHECK(seen > 50);
    json_decref(doc);
}

K1S_TEST_MAIN(T(test_v3_apps), T(test_v3_explain_walk), T(test_v3_core_and_cluster_scoped),
              T(test_v2))
