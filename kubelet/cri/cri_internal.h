/*
 * cri_internal.h - the pieces behind k1s_cri.h, each in its own file so the
 * unit tests can reach them without a runtime:
 *   cri_methods.c    method name -> service path and message descriptors
 *   cri_json_in.c    JSON object -> protobuf-c message (requests)
 *   cri_json_out.c   protobuf-c message -> JSON object (replies)
 *   cri_status.c     gRPC framing, status codes, error text
 *   cri_grpc.c       the HTTP/2 transport over libcurl (handle pool)
 *   cri_client.c     the public k1s_cri_* functions
 */
#ifndef K1S_CRI_INTERNAL_H
#define K1S_CRI_INTERNAL_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "k1s_base64.h"
#include "k1s_cri.h"

/* ---- methods (cri_methods.c) ---- */

typedef struct k1s__cri_method {
    const char *name; /* "RunPodSandbox" */
    const char *path; /* "/runtime.v1.RuntimeService/RunPodSandbox" */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *reply;
} k1s__cri_method;

/* The method called name, or NULL. */
const k1s__cri_method *k1s__cri_method_find(const char *name);

/* ---- JSON <-> protobuf (cri_json_in.c, cri_json_out.c) ---- */

/* Build a message of type desc from obj (NULL: the empty message). 0 and
 * *out (free with protobuf_c_message_free_unpacked(*out, NULL)), or -1 and
 * *err malloc'd, naming the offending field by its path
 * ("config.linux.security_context.privileged: expected true or false"). */
int k1s__cri_json_to_pb(const ProtobufCMessageDescriptor *desc, const json_t *obj,
                        ProtobufCMessage **out, char **err);

/* The JSON object for msg (see k1s_cri.h for the shape). NULL only when
 * out of memory. */
json_t *k1s__cri_pb_to_json(const ProtobufCMessage *msg);

/* Whether a repeated message field of this type is a protobuf map: protoc
 * generates a nested "<Name>Entry" message with fields key = 1, value = 2. */
int k1s__cri_is_map_entry(const ProtobufCMessageDescriptor *d);

/* ---- gRPC status and framing (cri_status.c) ---- */

/* "NotFound" for 5, ...; "Code(17)" style is left to the caller: NULL
 * for a number outside 0..16. */
const char *k1s__cri_code_name(int code);
/* The gRPC code for an HTTP status when the server sent no grpc-status
 * (gRPC's http-grpc-status-mapping). */
int k1s__cri_code_from_http(long http_status);
/* Percent-decode a grpc-message value (%XX escapes; anything malformed is
 * kept as is). Malloc'd; NULL only when out of memory. */
char *k1s__cri_percent_decode(const char *s, size_t len);
/* Fill e: code, and message "rpc error: code = <Name> desc = <desc>".
 * display_code names the code in the text when it differs from code (the
 * -1 of an unreachable socket is shown as Unavailable, as kubelet logs it). */
void k1s__cri_error_set(k1s_cri_error *e, int code, int display_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Frame a message: flag 0, 4-byte big-endian length, the bytes. Malloc'd
 * (*framed_len = len + 5); NULL when out of memory or too big. */
uint8_t *k1s__cri_frame(const uint8_t *msg, size_t len, size_t *framed_len);
/* Find the one uncompressed message in a reply body. 0 with *msg and *len
 * pointing into body, or -1 with *why set (static text). */
int k1s__cri_unframe(const uint8_t *body, size_t body_len, const uint8_t **msg, size_t *len,
                     const char **why);

/* ---- transport (cri_grpc.c) ---- */

typedef struct k1s__cri_grpc k1s__cri_grpc;

int k1s__cri_grpc_open(const char *socket_path, k1s__cri_grpc **out, char **err);
void k1s__cri_grpc_close(k1s__cri_grpc *g);
/* One unary call: POST the framed request to path and wait for the reply.
 * 0 with *reply (length *reply_len) malloc'd (the unframed message bytes), or -1
 * with e filled. */
int k1s__cri_grpc_unary(k1s__cri_grpc *g, const char *path, const uint8_t *req, size_t req_len,
                        int timeout_ms, uint8_t **reply, size_t *reply_len, k1s_cri_error *e);

#endif
