/*
 * k1s_protobuf.h - decoding of Kubernetes protobuf request bodies
 * (Content-Type: application/vnd.kubernetes.protobuf) into the JSON object
 * the same typed object would have been sent as.
 *
 * kubectl 1.33 (and client-go based controllers) send typed objects this
 * way and do not fall back to JSON when refused. The HTTP layer decodes the
 * body with k1s_protobuf_decode and then handles the result exactly like a
 * JSON body.
 *
 * The other way, k1s_protobuf_encode and its list and watch forms turn the
 * JSON of a served object into the bytes kube-apiserver answers with when a
 * client's Accept prefers protobuf (client-go's typed clients do).
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

#include "k1s_buf.h"
#include "k1s_err.h"

/* Error codes of k1s_protobuf_decode: base's (k1s_err.h) K1S_EINVAL (not
 * a well-formed protobuf object), K1S_ETOOLARGE (nesting or output size
 * over the limits) and K1S_ENOMEM, and its own: */
#define K1S_PROTOBUF_EKIND (K1S_EOWN) /* apiVersion/kind is not a served kind */
/* (encoding) the object holds a value its protobuf form cannot carry: a
 * field the schema does not know or gives no number, a value of the wrong
 * JSON type. The caller answers in JSON instead, so nothing is lost. */
#define K1S_PROTOBUF_ENOFORM (K1S_EOWN + 1)

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

/* ---- encoding -------------------------------------------------------------
 * Each returns 0, K1S_PROTOBUF_EKIND (apiVersion/kind is not a kind the
 * schema describes), K1S_PROTOBUF_ENOFORM (see above), K1S_ETOOLARGE (more
 * than K1S_PROTOBUF_MAX_ENCODED bytes, or nested deeper than
 * K1S_PROTOBUF_MAX_DEPTH) or K1S_ENOMEM. Nothing is written on failure.
 * Fields are written as Go writes them, except that values absent from the
 * JSON are absent from the message (their Go zero value either way). */

#define K1S_PROTOBUF_MAX_ENCODED ((size_t)1 << 30)

/* Whether objects of this kind have a protobuf form (built-in kinds do,
 * custom resources do not: kube answers 406 when only protobuf is
 * accepted for them). */
bool k1s_protobuf_kind_known(const char *group, const char *version, const char *kind);

/* A whole body for obj (borrowed), named by its apiVersion and kind
 * (meta.k8s.io/v1 PartialObjectMetadata too): the k8s\0 prefix and the
 * runtime.Unknown envelope around the object's message. On success *out is
 * malloc'd (caller frees) and holds *len bytes. */
int k1s_protobuf_encode(const json_t *obj, unsigned char **out, size_t *len);

/* Lists, as the HTTP layer has them: item by item, the list metadata last.
 * item_kind names the items' kind (apiVersion api_version); meta makes it a
 * meta.k8s.io/v1 PartialObjectMetadataList (items are then
 * PartialObjectMetadata objects). */
typedef struct k1s_protobuf_list k1s_protobuf_list;
/* NULL when the kind has no protobuf form or memory is short. */
k1s_protobuf_list *k1s_protobuf_list_new(const char *api_version, const char *item_kind, bool meta);
/* Appends one item (borrowed); a failure latches and is returned by every
 * later call and by k1s_protobuf_list_finish. */
int k1s_protobuf_list_add(k1s_protobuf_list *l, const json_t *item);
/* The whole body of the list, list_meta (a ListMeta object, borrowed) as
 * its metadata; *out as for k1s_protobuf_encode. */
int k1s_protobuf_list_finish(k1s_protobuf_list *l, const json_t *list_meta, unsigned char **out,
                             size_t *len);
void k1s_protobuf_list_free(k1s_protobuf_list *l);

/* Appends to out one frame of a protobuf watch stream: a 4-byte big-endian
 * length, then the metav1.WatchEvent message of type (ADDED, ...) whose
 * object holds obj's whole body (as k1s_protobuf_encode makes it). On
 * failure out is unchanged. */
int k1s_protobuf_watch_frame(const char *type, const json_t *obj, k1s_buf *out);

#endif
