/*
 * k1s_wire.h - what goes on the wire of the API server's HTTP face, shared
 * by the request handlers (http/) and the streams (stream/): replies with
 * kube's headers, Status errors, query arguments and request headers.
 * Internal to apiserver/ (k1s__ names).
 */
#ifndef K1S_WIRE_H
#define K1S_WIRE_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_buf.h"
#include "k1s_status.h"

/* Replies. All return MHD_YES/MHD_NO as the access handler must. */
enum MHD_Result k1s__reply_json(struct MHD_Connection *c, int code, const json_t *body,
                                const json_t *warnings);
enum MHD_Result k1s__reply_text(struct MHD_Connection *c, int code, const char *content_type,
                                char *text, size_t len, const json_t *warnings);
enum MHD_Result k1s__reply_status(struct MHD_Connection *c, const k1s_status *st);
enum MHD_Result k1s__reply_error(struct MHD_Connection *c, int code, const char *reason,
                                 const char *msg);
enum MHD_Result k1s__reply_errorf(struct MHD_Connection *c, int code, const char *reason,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const char *k1s__arg(struct MHD_Connection *c, const char *name);
bool k1s__arg_true(struct MHD_Connection *c, const char *name);
const char *k1s__header(struct MHD_Connection *c, const char *name);

#endif
