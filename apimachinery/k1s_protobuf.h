/*
 * k1s_protobuf.h - decoding of Kubernetes protobuf request bodies
 * (Content-Type: application/vnd.kubernetes.protobuf) into the JSON object
 * the same typed object would have been sent as.
 *
 * kubectl 1.33 (and client-go based controllers) send typed objects this
 * way and do not fall back to JSON when refused. The HTTP layer decodes the
 * body with k1s_protobuf_decode and then handles the result exactly like a
 * JSON body; we always answer in JSON, which every client accepts.
 *
 * The message layouts come from the schema (k1s_schema_ext.h: every field
 * carries its protobuf number), so every served kind decodes, with no
 * per-kind code. Thread-safe; no global state.
 */
#ifndef K1S_PROTOBUF_H
#define K1S_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_err.h"

/* Error codes of k1s_protobuf_decode: base's (k1s_err.h) K1S_EINVAL (not
 * a well-formed protobuf object), K1S_ETOOLARGE (nesting or output size
 * over the limits) and K1S_ENOMEM, and its own: */
#define K1S_PROTOBUF_EKIND (K1S_EOWN) /* apiVersion/kind is not a served kind */

/* Deepest message nesting decoded (objects, list items, map values and
 * embedded objects all count); real objects stay far below it. */
#define K1S_PROTOBUF_MAX_DEPTH 64
/* Bound on what one body may make us build: every JSON value costs 64,
 * plus the length of each string and 32 per byte of embedded raw JSON. */
#define K1S_PROTOBUF_MAX_OUTPUT (64u << 20)

/* Whether a Content-Type header names the Kubernetes protobuf media type
 * (parameters after ';' ignored, case-insensitive). */
bool k1s_protobuf_content_type(const char *content_type);

/*
 * Decodes a whole request body: the 4-byte magic "k8s\0" then a
 * runtime.Unknown envelope whose typeMeta names the kind and whose raw bytes
 * are the object's message.
 *
 * On success returns 0 and *out is a new JSON object starting with "kind"
 * and "apiVersion", its fields as Go's JSON encoding of the typed object
 * would write them: zero scalars that Go omits (omitempty, non-pointer) are
 * dropped, empty nested objects are kept, metav1.Time is RFC 3339 (null
 * when zero), MicroTime has microseconds, IntOrString is a number or a
 * string, Quantity a string, []byte base64, embedded RawExtension/FieldsV1
 * JSON is embedded as JSON, invalid UTF-8 is replaced by U+FFFD. Field
 * numbers the schema does not know are skipped.
 *
 * On failure returns one of the codes above, *out is NULL and, when err is
 * not NULL, *err is a malloc'd message for a 400 response (callers free
 * it). buf is never read past len.
 */
int k1s_protobuf_decode(const char *buf, size_t len, json_t **out, char **err);

#endif
