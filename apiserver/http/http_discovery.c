/*
 * http_discovery.c - non-resource URLs: /version, health checks, discovery
 * (plain and aggregated v2/v2beta1) and OpenAPI v2/v3, all built from the
 * kind table.
 */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_schema.h"
#include "k1s_schema_ext.h"

#define K1S_KUBE_MINOR "33"
#define K1S_KUBE_VERSION "v1.33.0-k1s"

static const char *const std_verbs[] = {
    "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch", NULL};

static json_t *verbs_json(void)
{
    json_t *a = json_array();
    for (const char *const *v = std_verbs; *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static json_t *strings_json(const char *const *s)
{
    json_t *a = json_array();
    for (; s && *s; s++)
        json_array_append_new(a, json_string(*s));
    return a;
}

/* Group names in discovery order (core first), deduplicated. */
/* Whether kind i is the first of its group in the table: walking the
 * table with this visits every served group once, in table order, with no
 * list to fill (so no limit on how many groups there are). */
static bool first_of_group(const k1s_kind *k, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(k[j].group, k[i].group))
            return false;
    return true;
}

/* ---- plain discovery ---------------------------------------------------- */

static void add_resource_entries(json_t *arr, const k1s_kind *k)
{
    json_t *r =
        json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", k->plural, "singularName", k->singular,
                  "namespaced", k->namespaced, "kind", k->kind, "verbs", verbs_json());
    if (k->short_names[0])
        json_object_set_new(r, "shortNames", strings_json(k->short_names));
    if (k->in_all)
        json_object_set_new(r, "categories", json_pack("[s]", "all"));
    json_object_set_new(r, "storageVersionHash", json_string(""));
    json_array_append_new(arr, r);
    for (const k1s_subresource *sr = k->subresources; sr && sr->name; sr++) {
        char name[160];
        snprintf(name, sizeof name, "%s/%s", k->plural, sr->name);
        json_t *e = json_pack("{s:s, s:s, s:b, s:s, s:o}", "name", name, "singularName", "",
                              "namespaced", k->namespaced, "kind", sr->kind ? sr->kind : k->kind,
                              "verbs", strings_json(sr->verbs));
        if (sr->group && *sr->group) {
            json_object_set_new(e, "group", json_string(sr->group));
            json_object_set_new(e, "version", json_string(sr->version));
        }
        json_array_append_new(arr, e);
    }
}

static json_t *resource_list(const char *group, const char *version)
{
    size_t n;
    const k1s_kind *k = k1s_registry_kinds(&n);
    json_t *res = json_array();
    for (size_t i = 0; i < n; i++)
        if (!strcmp(k[i].group, group) && !strcmp(k[i].version, version))
            add_resource_entries(res, &k[i]);
    if (json_array_size(res) == 0) {
        json_decref(res);
        return NULL;
    }
    char gv[128];
    snprintf(gv, sizeof gv, "%s%s%s", group, *group ? "/" : "", version);
    return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList", "apiVersion", "v1",
                     "groupVersion", gv, "resources", res);
}

/* A group is served at the version of its kinds (one per group). */
static json_t *group_entry(const char *group, const char *version)
{
    char gv[128];
    snprintf(gv, sizeof gv, "%s/%s", group, version);
    return json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s}}", "name", group, "versions",
                     "groupVersion", gv, "version", version, "preferredVersion", "groupVersion", gv,
                     "version", version);
}

/* ---- aggregated discovery -------------------------------------------------- */

static json_t *agg_resource(const k1s_kind *k)
{
    json_t *r = json_pack("{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o}", "resource", k->plural,
                          "responseKind", "group", k->group, "version", k->version, "kind", k->kind,
                          "scope", k->namespaced ? "Namespaced" : "Cluster", "singularResource",
                          k->singular, "verbs", verbs_json());
    if (k->short_names[0])
        json_object_set_new(r, "shortNames", strings_json(k->short_names));
    if (k->in_all)
        json_object_set_new(r, "categories", json_pack("[s]", "all"));
    json_t *subs = json_array();
    for (const k1s_subresource *sr = k->subresources; sr && sr->name; sr++) {
        const char *group = sr->group ? sr->group : k->group;
        const char *version = sr->group ? sr->version : k->version;
        json_array_append_new(subs, json_pack("{s:s, s:{s:s, s:s, s:s}, s:o}", "subresource",
                                              sr->name, "responseKind", "group", group, "version",
                                              version, "kind", sr->kind ? sr->kind : k->kind,
                                              "verbs", strings_json(sr->verbs)));
    }
    if (json_array_size(subs))
        json_object_set_new(r, "subresources", subs);
    else
        json_decref(subs);
    return r;
}

/* core: only the "" group (for /api); else every named group (/apis). */
static json_t *aggregated(bool core, const char *api_version)
{
    size_t n;
    const k1s_kind *k = k1s_registry_kinds(&n);
    json_t *items = json_array();
    for (size_t g = 0; g < n; g++) {
        const char *group = k[g].group;
        if (!first_of_group(k, g) || core != (*group == 0))
            continue;
        json_t *res = json_array();
        for (size_t i = 0; i < n; i++)
            if (!strcmp(k[i].group, group))
                json_array_append_new(res, agg_resource(&k[i]));
        json_t *meta = json_object();
        if (*group)
            json_object_set_new(meta, "name", json_string(group));
        else
            json_object_set_new(meta, "creationTimestamp", json_null());
        json_array_append_new(items, json_pack("{s:o, s:[{s:s, s:o, s:s}]}", "metadata", meta,
                                               "versions", "version", k[g].version, "resources",
                                               res, "freshness", "Current"));
    }
    return json_pack("{s:s, s:s, s:{}, s:o}", "kind", "APIGroupDiscoveryList", "apiVersion",
                     api_version, "metadata", "items", items);
}

/* Which aggregated discovery version, if any, the client accepts. */
static const char *agg_version(struct MHD_Connection *c)
{
    const char *a = k1s__header(c, "Accept");
    if (!a || !strstr(a, "g=apidiscovery.k8s.io"))
        return NULL;
    if (strstr(a, "v=v2;") || strstr(a, "v=v2,") || (strstr(a, "v=v2") && !strstr(a, "v=v2beta1")))
        return "v2";
    if (strstr(a, "v=v2beta1"))
        return "v2beta1";
    return NULL;
}

static enum MHD_Result reply_agg(struct MHD_Connection *c, bool core, const char *v)
{
    char av[64], ct[160];
    snprintf(av, sizeof av, "apidiscovery.k8s.io/%s", v);
    snprintf(ct, sizeof ct, "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList",
             v);
    json_t *j = aggregated(core, av);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text)
        return MHD_NO;
    return k1s__reply_text(c, 200, ct, text, strlen(text), NULL);
}

/* ---- OpenAPI ------------------------------------------------------------ */

/* The resources of group/version (NULL: all) for the OpenAPI documents,
 * in a malloc'd array of *m (room for every kind: no limit to pass), or
 * NULL when out of memory. */
static k1s_openapi_resource *openapi_resources(const char *group, const char *version, size_t *m)
{
    size_t n;
    const k1s_kind *k = k1s_registry_kinds(&n);
    k1s_openapi_resource *out = calloc(n ? n : 1, sizeof *out);
    *m = 0;
    for (size_t i = 0; out && i < n; i++) {
        if (group && (strcmp(k[i].group, group) || strcmp(k[i].version, version)))
            continue;
        k1s_openapi_resource *r = &out[(*m)++];
        r->group = k[i].group;
        r->version = k[i].version;
        r->kind = k[i].kind;
        r->plural = k[i].plural;
        r->namespaced = k[i].namespaced;
        r->has_status = k1s_kind_subresource_of(&k[i], K1S_SUBR_STATUS) != NULL;
        r->has_scale = k1s_kind_subresource_of(&k[i], K1S_SUBR_SCALE) != NULL;
        r->list_kind = NULL;
    }
    return out;
}

static enum MHD_Result reply_openapi_v3(struct MHD_Connection *c, const char *url)
{
    if (!strcmp(url, "/openapi/v3") || !strcmp(url, "/openapi/v3/")) {
        size_t n;
        const k1s_kind *k = k1s_registry_kinds(&n);
        json_t *paths = json_object();
        for (size_t g = 0; g < n; g++) {
            if (!first_of_group(k, g))
                continue;
            char p[160];
            if (*k[g].group)
                snprintf(p, sizeof p, "apis/%s/%s", k[g].group, k[g].version);
            else
                snprintf(p, sizeof p, "api/v1");
            char url2[200];
            snprintf(url2, sizeof url2, "/openapi/v3/%s?hash=k1s%s", p, K1S_KUBE_MINOR);
            json_object_set_new(paths, p, json_pack("{s:s}", "serverRelativeURL", url2));
        }
        json_t *j = json_pack("{s:o}", "paths", paths);
        enum MHD_Result r = k1s__reply_json(c, 200, j, NULL);
        json_decref(j);
        return r;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", url + strlen("/openapi/v3/"));
    const char *group, *version;
    char *save = NULL;
    char *a = strtok_r(buf, "/", &save);
    if (a && !strcmp(a, "api")) {
        group = "";
        version = strtok_r(NULL, "/", &save);
    } else if (a && !strcmp(a, "apis")) {
        group = strtok_r(NULL, "/", &save);
        version = strtok_r(NULL, "/", &save);
    } else {
        group = version = NULL;
    }
    size_t m = 0;
    k1s_openapi_resource *res = group && version ? openapi_resources(group, version, &m) : NULL;
    if (group && version && !res)
        return k1s__reply_error(c, 500, "InternalError", "out of memory");
    if (!m) {
        free(res);
        return k1s__reply_error(c, 404, "NotFound",
                                "the server could not find the requested resource");
    }
    json_t *doc = k1s_openapi_v3(group, version, res, m);
    free(res);
    enum MHD_Result r = k1s__reply_json(c, 200, doc, NULL);
    json_decref(doc);
    return r;
}

/* Whether Accept asks for gnostic's protobuf form of /openapi/v2 (media
 * type ...spec.v2.v1.0+protobuf, or the deprecated ...spec.v2@v1.0+protobuf)
 * ahead of JSON. kube-apiserver serves the first acceptable type listed;
 * kubectl 1.27/1.28 list only the protobuf one. */
static bool wants_openapi_pb(const char *accept)
{
    const char *pb = accept ? strstr(accept, "application/com.github.proto-openapi.spec.v2") : NULL;
    if (!pb)
        return false;
    const char *js = strstr(accept, "application/json");
    return !js || pb < js;
}

static enum MHD_Result reply_openapi_v2(struct MHD_Connection *c)
{
    const char *a = k1s__header(c, "Accept");
    bool pb = wants_openapi_pb(a);
    if (!pb && a && strstr(a, "protobuf") && !strstr(a, "application/json"))
        return k1s__reply_error(
            c, 406, "NotAcceptable",
            "only application/json and application/com.github.proto-openapi.spec.v2.v1.0+protobuf are supported for /openapi/v2");
    size_t m = 0;
    k1s_openapi_resource *res = openapi_resources(NULL, NULL, &m);
    json_t *doc = res ? k1s_openapi_v2(res, m) : NULL; /* new reference */
    free(res);
    if (!doc)
        return k1s__reply_error(c, 500, "InternalError", "building the OpenAPI document failed");
    if (!pb) {
        enum MHD_Result r = k1s__reply_json(c, 200, doc, NULL);
        json_decref(doc);
        return r;
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    int rc = k1s_openapi_v2_protobuf(doc, &bytes, &len);
    json_decref(doc);
    if (rc < 0)
        return k1s__reply_error(c, 500, "InternalError",
                                "encoding the OpenAPI document as protobuf failed");
    return k1s__reply_text(c, 200, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
                           (char *)bytes, len, NULL);
}

/* ---- entry -------------------------------------------------------------- */

enum MHD_Result k1s__handle_nonresource(k1s_server *s, struct MHD_Connection *c, const char *method,
                                        const char *url)
{
    (void)s;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return k1s__reply_error(c, 405, "MethodNotAllowed",
                                "the server does not allow this method on the requested resource");
    if (!strncmp(url, "/healthz", 8) || !strncmp(url, "/livez", 6) || !strncmp(url, "/readyz", 7))
        return k1s__handle_health(s, c, url);
    if (!strcmp(url, "/version")) {
        json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "major", "1",
                              "minor", K1S_KUBE_MINOR, "gitVersion", K1S_KUBE_VERSION, "gitCommit",
                              "0000000000000000000000000000000000000000", "gitTreeState", "clean",
                              "buildDate", "2026-11-25T00:00:00Z", "goVersion", "go1.24.0",
                              "compiler", "gc", "platform", "linux/amd64");
        enum MHD_Result r = k1s__reply_json(c, 200, v, NULL);
        json_decref(v);
        return r;
    }
    if (!strcmp(url, "/api") || !strcmp(url, "/api/")) {
        const char *v = agg_version(c);
        if (v)
            return reply_agg(c, true, v);
        json_t *j = json_pack("{s:s, s:[s], s:[{s:s, s:s}]}", "kind", "APIVersions", "versions",
                              "v1", "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
                              "serverAddress", s->bind);
        enum MHD_Result r = k1s__reply_json(c, 200, j, NULL);
        json_decref(j);
        return r;
    }
    if (!strcmp(url, "/apis") || !strcmp(url, "/apis/")) {
        const char *v = agg_version(c);
        if (v)
            return reply_agg(c, false, v);
        size_t n;
        const k1s_kind *k = k1s_registry_kinds(&n);
        json_t *arr = json_array();
        for (size_t g = 0; g < n; g++)
            if (*k[g].group && first_of_group(k, g))
                json_array_append_new(arr, group_entry(k[g].group, k[g].version));
        json_t *j =
            json_pack("{s:s, s:s, s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", arr);
        enum MHD_Result r = k1s__reply_json(c, 200, j, NULL);
        json_decref(j);
        return r;
    }
    if (!strncmp(url, "/apis/", 6) || !strncmp(url, "/api/", 5)) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", url);
        char *save = NULL;
        char *a = strtok_r(buf, "/", &save);
        char *b = strtok_r(NULL, "/", &save);
        char *cpart = strtok_r(NULL, "/", &save);
        json_t *j = NULL;
        if (!strcmp(a, "api") && b && !cpart)
            j = resource_list("", b);
        else if (!strcmp(a, "apis") && b && cpart)
            j = resource_list(b, cpart);
        else if (!strcmp(a, "apis") && b && !cpart) {
            size_t n;
            const k1s_kind *k = k1s_registry_kinds(&n);
            for (size_t g = 0; g < n && !j; g++)
                if (!strcmp(k[g].group, b)) {
                    j = group_entry(b, k[g].version);
                    json_object_set_new(j, "kind", json_string("APIGroup"));
                    json_object_set_new(j, "apiVersion", json_string("v1"));
                }
        }
        if (!j)
            return k1s__reply_error(c, 404, "NotFound",
                                    "the server could not find the requested resource");
        enum MHD_Result r = k1s__reply_json(c, 200, j, NULL);
        json_decref(j);
        return r;
    }
    if (!strcmp(url, "/openapi/v2"))
        return reply_openapi_v2(c);
    if (!strncmp(url, "/openapi/v3", 11))
        return reply_openapi_v3(c, url);
    return k1s__reply_error(c, 404, "NotFound", "the server could not find the requested resource");
}
