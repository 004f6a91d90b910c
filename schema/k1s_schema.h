/*
 * k1s_schema.h - the one description of every served type: fields, their
 * types, list merge keys and patch strategies, defaults and short
 * descriptions. It drives OpenAPI v2/v3, strict field validation,
 * strategic-merge patch and static defaulting.
 *
 * The description is immutable, compiled-in data: every function here is
 * thread-safe and every pointer returned lives for the whole process.
 */
#ifndef K1S_SCHEMA_H
#define K1S_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

typedef enum k1s_tkind {
    K1S_T_STRING,
    K1S_T_INT32,
    K1S_T_INT64,
    K1S_T_NUMBER,
    K1S_T_BOOL,
    K1S_T_OBJECT,        /* a named type: see k1s_field.type */
    K1S_T_ARRAY,         /* of elem */
    K1S_T_MAP,           /* string keys to elem */
    K1S_T_INT_OR_STRING, /* intstr.IntOrString */
    K1S_T_QUANTITY,      /* resource.Quantity: string or number in JSON */
    K1S_T_TIME,          /* metav1.Time: RFC 3339 string */
    K1S_T_BYTES,         /* []byte: base64 string */
    K1S_T_ANY,           /* free-form JSON (RawExtension, JSON) */
} k1s_tkind;

typedef struct k1s_type k1s_type;

typedef struct k1s_field {
    const char *name; /* JSON name */
    k1s_tkind kind;
    k1s_tkind elem;             /* element kind for ARRAY and MAP */
    const k1s_type *type;       /* for OBJECT, or ARRAY/MAP of OBJECT */
    const char *merge_key;      /* x-kubernetes-patch-merge-key, or NULL */
    const char *patch_strategy; /* "merge", "replace", "retainKeys",
                                    "merge,retainKeys", or NULL */
    const char *list_type;      /* x-kubernetes-list-type or NULL */
    bool required;
    const char *default_json; /* static default as JSON text, or NULL */
    const char *description;
} k1s_field;

struct k1s_type {
    const char *name; /* e.g. "io.k8s.api.core.v1.PodSpec" */
    const char *description;
    const k1s_field *fields;
    size_t nfields;
    /* group/version/kind for top-level kinds (x-kubernetes-group-version-kind),
       NULL otherwise. group "" is core. */
    const char *group, *version, *kind;
};

/* Look up a type by its OpenAPI definition name; NULL if unknown. */
const k1s_type *k1s_schema_type(const char *name);
/* The type of a served kind; NULL if unknown. */
const k1s_type *k1s_schema_kind(const char *group, const char *version, const char *kind);
/* A field of t by JSON name; NULL if t has no such field. */
const k1s_field *k1s_schema_field(const k1s_type *t, const char *name);
/* Every type, for iteration (OpenAPI generation). */
const k1s_type *const *k1s_schema_all(size_t *n);

/*
 * Strict decoding of obj as t: reports fields t does not have, recursively.
 * Each problem is appended to errs (a JSON array, borrowed) as a string in
 * kube-apiserver's wording, e.g.
 *   unknown field "spec.template.spec.containers[0].imagee"
 * Returns the number of problems appended.
 */
size_t k1s_schema_unknown_fields(const k1s_type *t, const json_t *obj, json_t *errs);

/* Drop the fields t does not have, recursively, as kube-apiserver's decoder
 * drops them when field validation is not Strict (obj modified in place). */
void k1s_schema_prune_unknown(const k1s_type *t, json_t *obj);

/*
 * Type check of obj against t, as Go's JSON decoding of the typed object
 * would fail (e.g. a string where an int32 is required). Returns 0, or -1
 * with *msg set to a malloc'd message worded like kube-apiserver's 400
 * BadRequest decode errors.
 */
int k1s_schema_check_types(const k1s_type *t, const json_t *obj, char **msg);

/* Fill absent fields that have a static default, recursively (obj borrowed,
 * modified in place). Conditional defaults are the strategies' job. */
void k1s_schema_apply_defaults(const k1s_type *t, json_t *obj);

/* ---- OpenAPI --------------------------------------------------------------- */

/* One served resource, as OpenAPI paths need it. */
typedef struct k1s_openapi_resource {
    const char *group, *version, *kind, *plural;
    bool namespaced;
    bool has_status, has_scale;
    const char *list_kind; /* e.g. "PodList" */
} k1s_openapi_resource;

/* Swagger 2.0 document for all resources (new reference). */
json_t *k1s_openapi_v2(const k1s_openapi_resource *res, size_t n);
/* OpenAPI 3.0 document for one group/version: paths of the resources in it
 * (every operation lists the query parameters kube-apiserver's does,
 * fieldValidation and dryRun included) and the component schemas they reach.
 * New reference. */
json_t *k1s_openapi_v3(const char *group, const char *version, const k1s_openapi_resource *res,
                       size_t n);

#endif
