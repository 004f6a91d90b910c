/*
 * k1s_schema_internal.h - layout of the tables schema/gen_schema.py writes
 * into schema_data.c, and helpers shared by the schema engine's files.
 * Only the engine (the .c files of schema/) includes it.
 *
 * Types are sorted by name (strcmp order) so k1s_schema_type can bisect;
 * a type's fields stay in declaration order (the order of the Go struct) and
 * k1s__schema_by_name gives, per type, their indexes sorted by name.
 * k1s__schema_field_ext runs parallel to k1s__schema_fields and carries what
 * the public k1s_field has no room for (list-map keys, map type, protobuf
 * numbering); k1s__schema_by_pb indexes fields by protobuf number.
 */
#ifndef K1S_SCHEMA_INTERNAL_H
#define K1S_SCHEMA_INTERNAL_H

#include "k1s_schema.h"
#include "k1s_schema_ext.h"
#include "k1s_buf.h"
#include "k1s_gotext.h"

typedef struct k1s__field_ext {
    const char *const *list_map_keys; /* NULL-terminated, or NULL */
    const char *map_type;             /* x-kubernetes-map-type, or NULL */
    k1s_tkind elem2;                  /* element kind of a nested container ([][]T, map[[]T]) */
    int pb;                           /* protobuf field number, 0 when not carried (pb=-) */
    int pb_outer;                     /* number of the inline message holding it, or 0 */
    unsigned pb_flags;                /* K1S_PB_* */
    bool no_defaults;                 /* static defaults do not descend into this field */
} k1s__field_ext;

typedef struct k1s__type_ext {
    size_t by_name; /* offset of this type's slice of k1s__schema_by_name */
    size_t by_pb;   /* offset of its slice of k1s__schema_by_pb */
    size_t npb;     /* fields with a protobuf number (length of that slice) */
} k1s__type_ext;

extern const size_t k1s__schema_nfields;
extern const k1s_field k1s__schema_fields[];
extern const k1s__field_ext k1s__schema_field_ext[];
extern const unsigned short k1s__schema_by_name[];
/* Per type, the indexes of its fields that have a protobuf number, sorted by
 * (pb_outer, pb). */
extern const unsigned short k1s__schema_by_pb[];
extern const size_t k1s__schema_ntypes;
extern const k1s_type k1s__schema_types[];
extern const k1s__type_ext k1s__schema_type_ext[];
extern const k1s_type *const k1s__schema_type_ptrs[];
extern const size_t k1s__schema_nkinds;
extern const unsigned k1s__schema_kinds[];

/* Deepest object nesting the recursive walkers follow; real objects stay far
 * below it, hostile ones are cut off rather than exhausting the stack. */
#define K1S__SCHEMA_MAX_DEPTH 64

/* The extension row of f, or NULL if f is not one of the compiled fields. */
const k1s__field_ext *k1s__schema_field_ext_of(const k1s_field *f);

/* Indexes into t->fields in name order, or NULL for a type that is not
 * from the compiled tables. */
const unsigned short *k1s__schema_field_order(const k1s_type *t);

/* A type with no fields stands for an opaque value with its own JSON
 * decoding (RawExtension, FieldsV1, Patch): anything goes inside it. */
static inline bool k1s__schema_opaque(const k1s_type *t)
{
    return t == NULL || t->nfields == 0;
}

/* Most bytes a message or path the engine builds may hold: the max of
 * every k1s_buf it writes them in. */
#define K1S__SB_MAX ((size_t)1 << 20)

/* ---- scalar syntax (schema_scalar.c) -------------------------------------- */

/* Each returns 0 if s (n bytes) is valid, else -1 and appends the error
 * message Go's decoder gives for it to err. */
int k1s__check_quantity(const char *s, size_t n, k1s_buf *err);
int k1s__check_rfc3339(const char *s, size_t n, k1s_buf *err);
int k1s__check_base64(const char *s, size_t n, k1s_buf *err);

/* ---- OpenAPI helpers (openapi_schema.c, openapi_paths.c) ----------------- */

#define K1S__META "io.k8s.apimachinery.pkg.apis.meta.v1."

/* Building state shared by the OpenAPI files: every json_t built is checked
 * through k1s__oa_set/k1s__oa_push, which record a failure instead of
 * returning one, so builders stay linear; the caller checks oom once. */
typedef struct k1s__oa {
    bool v3;
    bool oom;
    json_t *schemas; /* borrowed: components.schemas or definitions */
} k1s__oa;

/* obj[key] = val, stealing val; records failure (val NULL included). */
void k1s__oa_set(k1s__oa *oa, json_t *obj, const char *key, json_t *val);
/* Appends val to arr, stealing it. */
void k1s__oa_push(k1s__oa *oa, json_t *arr, json_t *val);
/* A new {"$ref": ...} to the named schema. */
json_t *k1s__oa_ref(k1s__oa *oa, const char *name);
/* Adds the named schema and every schema it reaches to oa->schemas. */
void k1s__oa_add_closure(k1s__oa *oa, const char *name);
/* Adds the list schema for a kind (x-kubernetes-group-version-kind set to
 * group/version/list_kind, items of item_name); name is its schema name. */
void k1s__oa_add_list(k1s__oa *oa, const char *name, const char *item_name, const char *group,
                      const char *version, const char *list_kind);
/* The schema name of a served kind (its type's name, or a derived name when
 * the schema does not describe it; then a stub is added for it). Writes at
 * most n bytes to buf. */
void k1s__oa_kind_name(const char *group, const char *version, const char *kind, char *buf,
                       size_t n);
/* Adds paths for one resource to paths (borrowed). */
void k1s__oa_add_paths(k1s__oa *oa, json_t *paths, const k1s_openapi_resource *r);
/* The securitySchemes/securityDefinitions entry and info block. */
json_t *k1s__oa_info(k1s__oa *oa);

#endif
