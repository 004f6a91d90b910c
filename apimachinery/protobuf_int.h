/*
 * protobuf_int.h - pieces shared by the protobuf files (internal to
 * apimachinery): a bounds-checked wire reader (protobuf_wire.c), the
 * decoding state with its error and output budget, and the Kubernetes
 * well-known messages (protobuf_wellknown.c), which protobuf_decode.c uses
 * to walk the schema; and the writer the encoder (protobuf_encode.c,
 * protobuf_body.c) fills (protobuf_write.c).
 */
#ifndef K1S_PROTOBUF_INT_H
#define K1S_PROTOBUF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_protobuf.h"
#include "k1s_schema.h"

/* Wire types of the protobuf encoding. */
#define K1S__PB_VARINT 0
#define K1S__PB_FIXED64 1
#define K1S__PB_LEN 2
#define K1S__PB_FIXED32 5

/* One message's bytes being read; pos never passes len. */
typedef struct k1s__pb_reader {
    const unsigned char *p;
    size_t len, pos;
} k1s__pb_reader;

/* Decoding state: the first error wins; `cost` is charged against
 * K1S_PROTOBUF_MAX_OUTPUT. base is the whole body, for error offsets. */
typedef struct k1s__pb_ctx {
    const unsigned char *base;
    size_t cost;
    int rc;    /* 0 or the first error code (k1s_protobuf.h) */
    char *err; /* malloc'd message of the first error, or NULL */
} k1s__pb_ctx;

/* Records an error (only the first is kept) and returns c->rc. */
int k1s__pb_fail(k1s__pb_ctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Offset of the reader's position in the whole body, for messages. */
size_t k1s__pb_offset(const k1s__pb_ctx *c, const k1s__pb_reader *r);
/* Charges n units to the output budget: 0, or K1S_ETOOLARGE (recorded). */
int k1s__pb_charge(k1s__pb_ctx *c, size_t n);
/* Takes a newly built value (NULL means out of memory) and charges it.
 * Returns v, or NULL with the error recorded (v released). */
json_t *k1s__pb_node(k1s__pb_ctx *c, json_t *v);

/* ---- wire reading (protobuf_wire.c); each returns 0 or -1 on malformed
 * or truncated input, leaving the position unspecified. ---------------- */
int k1s__pb_varint(k1s__pb_reader *r, uint64_t *v);
/* A field key: number (1..2^29-1) and wire type. */
int k1s__pb_key(k1s__pb_reader *r, uint32_t *num, unsigned *wire);
/* A length-delimited payload, as a pointer into the buffer. */
int k1s__pb_len(k1s__pb_reader *r, const unsigned char **p, size_t *n);
int k1s__pb_fixed64(k1s__pb_reader *r, uint64_t *v);
int k1s__pb_fixed32(k1s__pb_reader *r, uint32_t *v);
/* Skips one value of the given wire type (groups are refused). */
int k1s__pb_skip(k1s__pb_reader *r, unsigned wire);

/* ---- values (protobuf_wellknown.c); each returns a new reference or NULL
 * with the error recorded in c. ----------------------------------------- */

/* A protobuf string as JSON, invalid UTF-8 replaced by U+FFFD as Go's JSON
 * encoder does. */
json_t *k1s__pb_string(k1s__pb_ctx *c, const unsigned char *s, size_t n);
/* []byte as its standard padded base64 JSON string. */
json_t *k1s__pb_base64(k1s__pb_ctx *c, const unsigned char *s, size_t n);
/* metav1.Time / MicroTime message {1 seconds, 2 nanos}: RFC 3339 in UTC,
 * with 6 fractional digits when micro; JSON null for an empty message (the
 * zero time). */
json_t *k1s__pb_time(k1s__pb_ctx *c, const unsigned char *p, size_t n, bool micro);
/* intstr.IntOrString {1 type, 2 intVal, 3 strVal}: a number or a string. */
json_t *k1s__pb_intorstring(k1s__pb_ctx *c, const unsigned char *p, size_t n);
/* resource.Quantity {1 string}: the string ("0" when absent). */
json_t *k1s__pb_quantity(k1s__pb_ctx *c, const unsigned char *p, size_t n);

/* The schema type of the served kind named by apiVersion ("group/version"
 * or "version") and kind; NULL when there is none (protobuf_wire.c). */
const k1s_type *k1s__pb_kind_type(const char *api_version, const char *kind);

/* v as a varint in b (at most 10 bytes); returns how many (protobuf_wire.c). */
size_t k1s__pb_varint_bytes(uint64_t v, unsigned char b[10]);

/* ---- writing (protobuf_write.c) -------------------------------------------
 * A buffer filled from its end towards its start: a nested message is
 * written first and its length and key put in front of it afterwards, so
 * the whole object takes one pass. Fields therefore go in backwards. The
 * first failure latches in rc and makes every later write a no-op. */
typedef struct k1s__pb_writer {
    unsigned char *p; /* malloc'd; the bytes are p[start..cap) */
    size_t cap, start;
    int rc; /* 0, K1S_ENOMEM or K1S_ETOOLARGE, or what k1s__pbw_fail set */
} k1s__pb_writer;

/* Bytes written so far: what k1s__pbw_close takes as a mark. */
static inline size_t k1s__pbw_size(const k1s__pb_writer *w)
{
    return w->cap - w->start;
}
/* Records rc (the first one wins) and returns w->rc. */
int k1s__pbw_fail(k1s__pb_writer *w, int rc);
void k1s__pbw_bytes(k1s__pb_writer *w, const void *s, size_t n);
void k1s__pbw_varint(k1s__pb_writer *w, uint64_t v);
void k1s__pbw_key(k1s__pb_writer *w, uint32_t num, unsigned wire);
void k1s__pbw_fixed64(k1s__pb_writer *w, uint64_t v);
/* Ends the length-delimited field num whose content is what was written
 * since the writer held mark bytes. */
void k1s__pbw_close(k1s__pb_writer *w, size_t mark, uint32_t num);
/* A whole length-delimited field num holding s[0..n). */
void k1s__pbw_field_bytes(k1s__pb_writer *w, uint32_t num, const void *s, size_t n);
void k1s__pbw_field_varint(k1s__pb_writer *w, uint32_t num, uint64_t v);
/* The bytes written (malloc'd, caller frees) and their count; NULL when
 * the writer failed. The writer is emptied either way. */
unsigned char *k1s__pbw_take(k1s__pb_writer *w, size_t *len);
/* Forgets the bytes (keeping the memory) and the failure. */
void k1s__pbw_reset(k1s__pb_writer *w);
void k1s__pbw_free(k1s__pb_writer *w);

/* The message of obj as type t (fields without a protobuf number, i.e.
 * apiVersion and kind, left out), written in front of what w holds
 * (protobuf_encode.c). depth counts enclosing messages. Returns w->rc. */
int k1s__pb_encode_message(k1s__pb_writer *w, const k1s_type *t, const json_t *obj, int depth);
#endif
