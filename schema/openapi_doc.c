/*
 * openapi_doc.c - k1s_openapi_v2 and k1s_openapi_v3: the whole documents
 * served at /openapi/v2 (Swagger 2.0, every resource, every described type)
 * and /openapi/v3/{api/v1, apis/GROUP/VERSION} (OpenAPI 3.0, one
 * group/version: its resources' paths and the schemas they reach). The
 * apiserver caches them; building one takes a few milliseconds.
 */
#include <string.h>

#include "k1s_schema_internal.h"

static json_t *security_scheme(void)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "description", "Bearer token authentication", "in",
                     "header", "name", "authorization", "type", "apiKey");
}

static json_t *finish(k1s__oa *oa, json_t *doc)
{
    if (oa->oom) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

json_t *k1s_openapi_v3(const char *group, const char *version, const k1s_openapi_resource *res,
                       size_t n)
{
    if (!group || !version || (!res && n))
        return NULL;
    json_t *doc = json_object();
    json_t *schemas = json_object();
    json_t *paths = json_object();
    if (!doc || !schemas || !paths) {
        json_decref(doc);
        json_decref(schemas);
        json_decref(paths);
        return NULL;
    }
    k1s__oa oa = {.v3 = true, .schemas = schemas};
    json_t *components = json_pack("{s:o,s:{s:o}}", "schemas", schemas, "securitySchemes",
                                   "BearerToken", security_scheme());
    k1s__oa_set(&oa, doc, "components", components);
    k1s__oa_set(&oa, doc, "info", k1s__oa_info(&oa));
    k1s__oa_set(&oa, doc, "openapi", json_string("3.0.0"));
    k1s__oa_set(&oa, doc, "paths", paths);
    k1s__oa_set(&oa, doc, "security", json_pack("[{s:[]}]", "BearerToken"));
    if (oa.oom)
        return finish(&oa, doc);
    for (size_t i = 0; i < n && !oa.oom; i++) {
        const k1s_openapi_resource *r = &res[i];
        if (r->group && r->version && strcmp(r->group, group) == 0 &&
            strcmp(r->version, version) == 0)
            k1s__oa_add_paths(&oa, paths, r);
    }
    return finish(&oa, doc);
}

json_t *k1s_openapi_v2(const k1s_openapi_resource *res, size_t n)
{
    if (!res && n)
        return NULL;
    json_t *doc = json_object();
    json_t *defs = json_object();
    json_t *paths = json_object();
    if (!doc || !defs || !paths) {
        json_decref(doc);
        json_decref(defs);
        json_decref(paths);
        return NULL;
    }
    k1s__oa oa = {.v3 = false, .schemas = defs};
    k1s__oa_set(&oa, doc, "definitions", defs);
    k1s__oa_set(&oa, doc, "info", k1s__oa_info(&oa));
    k1s__oa_set(&oa, doc, "paths", paths);
    k1s__oa_set(&oa, doc, "security", json_pack("[{s:[]}]", "BearerToken"));
    k1s__oa_set(&oa, doc, "securityDefinitions",
                json_pack("{s:o}", "BearerToken", security_scheme()));
    k1s__oa_set(&oa, doc, "swagger", json_string("2.0"));
    for (size_t i = 0; i < n && !oa.oom; i++)
        k1s__oa_add_paths(&oa, paths, &res[i]);
    size_t nt;
    const k1s_type *const *all = k1s_schema_all(&nt);
    for (size_t i = 0; i < nt && !oa.oom; i++)
        k1s__oa_add_closure(&oa, all[i]->name);
    return finish(&oa, doc);
}
