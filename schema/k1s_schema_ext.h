/*
 * k1s_schema_ext.h - field facts that k1s_field (k1s_schema.h) has no member
 * for. Server-side apply, OpenAPI and the protobuf decoder need them;
 * everything else can ignore this header. Same guarantees as k1s_schema.h:
 * immutable, thread-safe, pointers live for the whole process.
 */
#ifndef K1S_SCHEMA_EXT_H
#define K1S_SCHEMA_EXT_H

#include "k1s_err.h"
#include "k1s_schema.h"

/* x-kubernetes-list-map-keys of a list field: a NULL-terminated array of key
 * field names, or NULL if the field declares none (or f is not a field from
 * the compiled schema). */
const char *const *k1s_schema_field_list_map_keys(const k1s_field *f);

/* x-kubernetes-map-type ("atomic" or "granular") of f, or NULL. */
const char *k1s_schema_field_map_type(const k1s_field *f);

/* For a list or map whose elements are themselves lists or maps ([][]T,
 * map[[]T]), the kind of the inner elements (f->type then names the innermost
 * object type, if any). K1S_T_STRING when f is not such a field. */
k1s_tkind k1s_schema_field_elem2(const k1s_field *f);

/* ---- protobuf numbering (Kubernetes' generated.proto) -------------------- */

/* A zero scalar read from protobuf is meaningful and kept: the Go field is a
 * pointer or not omitempty. Without it gogo-protobuf's always-written zero
 * values ("", 0, false) stand for "unset" and are dropped, as Go's JSON
 * encoding drops them. */
#define K1S_PB_KEEPZERO 1u
/* A time field that is a metav1.MicroTime (JSON with microseconds). */
#define K1S_PB_MICROTIME 2u

/* The protobuf field number of f (> 0), or 0 when protobuf does not carry f
 * (or f is not from the compiled schema). When outer is not NULL it gets the
 * number of the inline message f sits in (Go embeds e.g. VolumeSource in
 * Volume: its fields travel inside Volume's field 2), 0 if none; when flags
 * is not NULL it gets f's K1S_PB_* bits. */
int k1s_schema_field_pb(const k1s_field *f, int *outer, unsigned *flags);

/* The field of t numbered num in t's message (outer 0) or inside t's inline
 * message numbered outer; NULL if there is none. */
const k1s_field *k1s_schema_field_by_pb(const k1s_type *t, int outer, int num);

/* Whether num is, in t's message, an inline message whose fields are t's
 * own JSON fields (see k1s_schema_field_pb). */
bool k1s_schema_pb_inline(const k1s_type *t, int num);

/* ---- OpenAPI v2 as protobuf ---------------------------------------------- */

/* The Swagger 2.0 document swagger (borrowed; k1s_openapi_v2's output) as
 * gnostic's openapi.v2.Document protobuf message, what kube-apiserver sends
 * for Accept: application/com.github.proto-openapi.spec.v2.v1.0+protobuf.
 * On success returns 0 and *out (malloc'd, caller frees) holds *len bytes;
 * otherwise *out is NULL and the result is K1S_EINVAL (not an object, NULL
 * out/len), K1S_ENOMEM or K1S_ETOOLARGE (over 64 MiB, or nested too
 * deeply).
 * JSON gnostic has no field for is left out. */
int k1s_openapi_v2_protobuf(const json_t *swagger, unsigned char **out, size_t *len);

#endif
