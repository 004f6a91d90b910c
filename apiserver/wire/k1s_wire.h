/*
 * k1s_wire.h - what goes on the wire of the API server's HTTP face, shared
 * by the request handlers (http/) and the streams (stream/): replies with
 * kube's headers, Status errors, query arguments and request headers, and
 * the byte buffer bodies are built in. Internal to apiserver/ (k1s__ names).
 */
#ifndef K1S_WIRE_H
#define K1S_WIRE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_status.h"

/* A growable byte buffer for building responses. */
typedef struct k1s_buf {
    char *p;
    size_t len, cap;
    bool failed;
} k1s_buf;
void k1s_buf_add(k1s_buf *b, const char *s, size_t n);
void k1s_buf_adds(k1s_buf *b, const char *s);
/* Hand the bytes over (caller frees); NULL if an allocation failed. */
char *k1s_buf_take(k1s_buf *b, size_t *len);

/* Replies. All return MHD_YES/MHD_NO as the access handler must. */
enum MHD_Result k1s__reply_json(struct MHD_Connection *c, int code,
                                const json_t *body, const json_t *warnings);
enum MHD_Result k1s__reply_text(struct MHD_Connection *c, int code,
                                const char *content_type, char *text,
                                size_t len, const json_t *warnings);
enum MHD_Result k1s__reply_status(struct MHD_Connection *c,
                                  const k1s_status *st);
enum MHD_Result k1s__reply_error(struct MHD_Connection *c, int code,
                                 const char *reason, const char *msg);

const char *k1s__arg(struct MHD_Connection *c, const char *name);
bool k1s__arg_true(struct MHD_Connection *c, const char *name);
const char *k1s__header(struct MHD_Connection *c, const char *name);

#endif
