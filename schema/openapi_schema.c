/*
 * openapi_schema.c - OpenAPI schemas (v3 components.schemas, v2 definitions)
 * of the described types, shaped like kube-apiserver's: properties in name
 * order, required, defaults, the x-kubernetes-* patch and list extensions,
 * x-kubernetes-group-version-kind on kinds. In v3 a reference that carries
 * its own description or default is written allOf: [{$ref}] (kubectl explain
 * follows both forms). Quantity, IntOrString, Time and MicroTime are always
 * the built-in schemas; meta types that paths reference but the type
 * descriptions lack get a small stand-in so every $ref resolves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_schema_internal.h"

#define QUANTITY "io.k8s.apimachinery.pkg.api.resource.Quantity"
#define INTSTR "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
#define TIME K1S__META "Time"
#define MICROTIME K1S__META "MicroTime"
#define RAWEXT "io.k8s.apimachinery.pkg.runtime.RawExtension"

void k1s__oa_set(k1s__oa *oa, json_t *obj, const char *key, json_t *val)
{
    if (!val || json_object_set_new(obj, key, val) != 0)
        oa->oom = true;
}

void k1s__oa_push(k1s__oa *oa, json_t *arr, json_t *val)
{
    if (!val || json_array_append_new(arr, val) != 0)
        oa->oom = true;
}

json_t *k1s__oa_ref(k1s__oa *oa, const char *name)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s%s", oa->v3 ? "#/components/schemas/" : "#/definitions/",
                     name);
    if (n < 0 || (size_t)n >= sizeof buf) {
        oa->oom = true;
        return NULL;
    }
    return json_pack("{s:s}", "$ref", buf);
}

/* ---- work list of schema names still to add ------------------------------ */

typedef struct queue {
    const char **names; /* static strings: type names and literals */
    size_t n, cap;
} queue;

static void enqueue(k1s__oa *oa, queue *q, const char *name)
{
    if (json_object_get(oa->schemas, name))
        return;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 32;
        const char **p = realloc(q->names, cap * sizeof *p);
        if (!p) {
            oa->oom = true;
            return;
        }
        q->names = p;
        q->cap = cap;
    }
    q->names[q->n++] = name;
}

/* ---- built-in and stand-in schemas --------------------------------------- */

static json_t *builtin(k1s__oa *oa, const char *name)
{
    if (strcmp(name, QUANTITY) == 0) {
        const char *d = "A fixed-point number with an optional SI or binary "
                        "suffix, such as 500m, 2 or 1.5Gi. Written as a "
                        "string; numbers are accepted on input.";
        if (oa->v3)
            return json_pack("{s:s,s:[{s:s},{s:s}]}", "description", d, "oneOf", "type", "string",
                             "type", "number");
        return json_pack("{s:s,s:s}", "description", d, "type", "string");
    }
    if (strcmp(name, INTSTR) == 0) {
        const char *d = "Either an integer or a string, such as a port "
                        "number or a port name.";
        if (oa->v3)
            return json_pack("{s:s,s:s,s:[{s:s},{s:s}]}", "description", d, "format",
                             "int-or-string", "oneOf", "type", "integer", "type", "string");
        return json_pack("{s:s,s:s,s:s}", "description", d, "format", "int-or-string", "type",
                         "string");
    }
    if (strcmp(name, TIME) == 0)
        return json_pack("{s:s,s:s,s:s}", "description",
                         "An RFC 3339 timestamp with second precision.", "format", "date-time",
                         "type", "string");
    if (strcmp(name, MICROTIME) == 0)
        return json_pack("{s:s,s:s,s:s}", "description",
                         "An RFC 3339 timestamp with microsecond precision.", "format", "date-time",
                         "type", "string");
    return NULL;
}

/* For names no type description defines: enough for $refs to resolve. */
static json_t *stand_in(k1s__oa *oa, queue *q, const char *name)
{
    if (strcmp(name, K1S__META "WatchEvent") == 0) {
        enqueue(oa, q, RAWEXT);
        json_t *s = json_pack("{s:s,s:{s:{s:s},s:o},s:[s,s],s:s}", "description",
                              "One change to a watched object.", "properties", "type", "type",
                              "string", "object", k1s__oa_ref(oa, RAWEXT), "required", "type",
                              "object", "type", "object");
        return s;
    }
    const char *d = "An object; its fields are not described here.";
    if (strcmp(name, K1S__META "Patch") == 0)
        d = "The body of a PATCH request, in the format its content type "
            "names.";
    else if (strcmp(name, RAWEXT) == 0)
        d = "An embedded object of any kind.";
    return json_pack("{s:s,s:s}", "description", d, "type", "object");
}

/* ---- field and type schemas ---------------------------------------------- */

static json_t *kind_schema(k1s__oa *oa, queue *q, k1s_tkind kind, k1s_tkind elem, k1s_tkind elem2,
                           const k1s_type *t)
{
    switch (kind) {
    case K1S_T_STRING:
        return json_pack("{s:s}", "type", "string");
    case K1S_T_INT32:
        return json_pack("{s:s,s:s}", "format", "int32", "type", "integer");
    case K1S_T_INT64:
        return json_pack("{s:s,s:s}", "format", "int64", "type", "integer");
    case K1S_T_NUMBER:
        return json_pack("{s:s,s:s}", "format", "double", "type", "number");
    case K1S_T_BOOL:
        return json_pack("{s:s}", "type", "boolean");
    case K1S_T_BYTES:
        return json_pack("{s:s,s:s}", "format", "byte", "type", "string");
    case K1S_T_OBJECT:
        if (!t)
            return json_pack("{s:s}", "type", "object");
        enqueue(oa, q, t->name);
        return k1s__oa_ref(oa, t->name);
    case K1S_T_QUANTITY:
        enqueue(oa, q, QUANTITY);
        return k1s__oa_ref(oa, QUANTITY);
    case K1S_T_INT_OR_STRING:
        enqueue(oa, q, INTSTR);
        return k1s__oa_ref(oa, INTSTR);
    case K1S_T_TIME:
        enqueue(oa, q, TIME);
        return k1s__oa_ref(oa, TIME);
    case K1S_T_ANY:
        if (oa->v3)
            return json_pack("{s:s,s:b}", "type", "object", "x-kubernetes-preserve-unknown-fields",
                             1);
        return json_pack("{s:s}", "type", "object");
    case K1S_T_ARRAY:
        return json_pack("{s:o,s:s}", "items", kind_schema(oa, q, elem, elem2, K1S_T_STRING, t),
                         "type", "array");
    case K1S_T_MAP:
        return json_pack("{s:o,s:s}", "additionalProperties",
                         kind_schema(oa, q, elem, elem2, K1S_T_STRING, t), "type", "object");
    }
    return NULL;
}

static json_t *field_schema(k1s__oa *oa, queue *q, const k1s_field *f)
{
    json_t *s = kind_schema(oa, q, f->kind, f->elem, k1s_schema_field_elem2(f), f->type);
    if (!s)
        return NULL;
    json_t *def = NULL;
    if (oa->v3 && f->default_json)
        def = json_loads(f->default_json, JSON_DECODE_ANY, NULL);
    const char *const *keys = k1s_schema_field_list_map_keys(f);
    const char *map_type = k1s_schema_field_map_type(f);
    bool decorated = f->description || def || f->merge_key || f->patch_strategy || f->list_type ||
                     keys || map_type;
    if (oa->v3 && decorated && json_object_get(s, "$ref")) {
        /* siblings of $ref are ignored by OpenAPI 3.0 tools: wrap it
           (json_pack releases s on failure too) */
        s = json_pack("{s:[o]}", "allOf", s);
        if (!s) {
            json_decref(def);
            return NULL;
        }
    }
    if (def)
        k1s__oa_set(oa, s, "default", def);
    if (f->description)
        k1s__oa_set(oa, s, "description", json_string(f->description));
    if (f->list_type)
        k1s__oa_set(oa, s, "x-kubernetes-list-type", json_string(f->list_type));
    if (keys) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && keys[i]; i++)
            k1s__oa_push(oa, arr, json_string(keys[i]));
        k1s__oa_set(oa, s, "x-kubernetes-list-map-keys", arr);
    }
    if (map_type)
        k1s__oa_set(oa, s, "x-kubernetes-map-type", json_string(map_type));
    if (f->merge_key)
        k1s__oa_set(oa, s, "x-kubernetes-patch-merge-key", json_string(f->merge_key));
    if (f->patch_strategy)
        k1s__oa_set(oa, s, "x-kubernetes-patch-strategy", json_string(f->patch_strategy));
    return s;
}

static json_t *gvk_list(const char *g, const char *v, const char *k)
{
    return json_pack("[{s:s,s:s,s:s}]", "group", g, "kind", k, "version", v);
}

static json_t *type_schema(k1s__oa *oa, queue *q, const k1s_type *t)
{
    json_t *s = json_object();
    if (!s)
        return NULL;
    if (t->description)
        k1s__oa_set(oa, s, "description", json_string(t->description));
    if (t->nfields) {
        const unsigned short *order = k1s__schema_field_order(t);
        json_t *props = json_object();
        json_t *req = json_array();
        for (size_t i = 0; props && req && i < t->nfields; i++) {
            const k1s_field *f = &t->fields[order ? order[i] : i];
            k1s__oa_set(oa, props, f->name, field_schema(oa, q, f));
        }
        for (size_t i = 0; req && i < t->nfields; i++)
            if (t->fields[i].required)
                k1s__oa_push(oa, req, json_string(t->fields[i].name));
        k1s__oa_set(oa, s, "properties", props);
        if (json_array_size(req))
            k1s__oa_set(oa, s, "required", req);
        else
            json_decref(req);
    }
    k1s__oa_set(oa, s, "type", json_string("object"));
    if (t->kind)
        k1s__oa_set(oa, s, "x-kubernetes-group-version-kind",
                    gvk_list(t->group, t->version, t->kind));
    return s;
}

static void drain(k1s__oa *oa, queue *q)
{
    while (q->n && !oa->oom) {
        const char *name = q->names[--q->n];
        if (json_object_get(oa->schemas, name))
            continue;
        json_t *s = builtin(oa, name);
        if (!s) {
            const k1s_type *t = k1s_schema_type(name);
            s = t ? type_schema(oa, q, t) : stand_in(oa, q, name);
        }
        k1s__oa_set(oa, oa->schemas, name, s);
    }
    free(q->names);
    q->names = NULL;
    q->n = q->cap = 0;
}

void k1s__oa_add_closure(k1s__oa *oa, const char *name)
{
    queue q = {0};
    enqueue(oa, &q, name);
    drain(oa, &q);
}

void k1s__oa_add_list(k1s__oa *oa, const char *name, const char *item_name, const char *group,
                      const char *version, const char *list_kind)
{
    if (json_object_get(oa->schemas, name))
        return;
    const k1s_type *t = k1s_schema_type(name);
    if (t) {
        k1s__oa_add_closure(oa, name);
        return;
    }
    queue q = {0};
    enqueue(oa, &q, K1S__META "ListMeta");
    enqueue(oa, &q, item_name);
    char desc[256];
    snprintf(desc, sizeof desc, "A list of %s objects.", list_kind);
    json_t *s =
        json_pack("{s:s,s:{s:{s:s},s:{s:o,s:s},s:{s:s},s:o},s:[s],s:s,s:o}", "description", desc,
                  "properties", "apiVersion", "type", "string", "items", "items",
                  k1s__oa_ref(oa, item_name), "type", "array", "kind", "type", "string", "metadata",
                  k1s__oa_ref(oa, K1S__META "ListMeta"), "required", "items", "type", "object",
                  "x-kubernetes-group-version-kind", gvk_list(group, version, list_kind));
    k1s__oa_set(oa, oa->schemas, name, s);
    drain(oa, &q);
}

void k1s__oa_kind_name(const char *group, const char *version, const char *kind, char *buf,
                       size_t n)
{
    const k1s_type *t = k1s_schema_kind(group, version, kind);
    if (t) {
        snprintf(buf, n, "%s", t->name);
        return;
    }
    /* io.k8s.api.<first label of the group, core for "">.<version>.<kind> */
    size_t glen = strcspn(group, ".");
    if (glen == 0)
        snprintf(buf, n, "io.k8s.api.core.%s.%s", version, kind);
    else
        snprintf(buf, n, "io.k8s.api.%.*s.%s.%s", (int)glen, group, version, kind);
}

json_t *k1s__oa_info(k1s__oa *oa)
{
    (void)oa;
    return json_pack("{s:s,s:s}", "title", "Kubernetes", "version", "unversioned");
}
