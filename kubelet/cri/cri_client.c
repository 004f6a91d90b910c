/*
 * cri_client.c - the public CRI client (k1s_cri.h): a call is
 * JSON request -> protobuf message -> framed gRPC request on the runtime's
 * socket -> reply message -> JSON reply, each step in its own file.
 */
#include "cri_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#define DEFAULT_TIMEOUT_MS 120000

struct k1s_cri {
    k1s__cri_grpc *grpc;
    bool trace; /* K1S_TRACE_CRI set: each call's time on stderr */
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

void k1s_cri_error_clear(k1s_cri_error *e)
{
    if (!e)
        return;
    free(e->message);
    e->message = NULL;
    e->code = 0;
}

int k1s_cri_open(const char *socket_path, k1s_cri **out, char **err)
{
    *out = NULL;
    *err = NULL;
    const char *path = socket_path ? socket_path : "";
    if (strncmp(path, "unix://", 7) == 0)
        path += 7;
    struct sockaddr_un sa;
    if (!*path || strlen(path) >= sizeof sa.sun_path) {
        if (asprintf(err,
                     "invalid CRI endpoint \"%s\": want a socket path "
                     "or unix:///path, shorter than %zu bytes",
                     socket_path ? socket_path : "", sizeof sa.sun_path) < 0)
            *err = NULL;
        return -1;
    }
    k1s_cri *c = calloc(1, sizeof *c);
    if (!c) {
        *err = strdup("out of memory");
        return -1;
    }
    const char *trace = getenv("K1S_TRACE_CRI");
    c->trace = trace && *trace && strcmp(trace, "0");
    if (k1s__cri_grpc_open(path, &c->grpc, err) < 0) {
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void k1s_cri_close(k1s_cri *c)
{
    if (!c)
        return;
    k1s__cri_grpc_close(c->grpc);
    free(c);
}

/* The request as protobuf bytes. 0, or -1 with e filled. */
static int encode(const k1s__cri_method *m, const json_t *request, uint8_t **buf, size_t *len,
                  k1s_cri_error *e)
{
    ProtobufCMessage *msg;
    char *why = NULL;
    if (k1s__cri_json_to_pb(m->request, request, &msg, &why) < 0) {
        k1s__cri_error_set(e, 3, 3, "k1s: bad %s: %s", m->request->name,
                           why ? why : "out of memory");
        free(why);
        return -1;
    }
    *len = protobuf_c_message_get_packed_size(msg);
    *buf = malloc(*len ? *len : 1);
    if (!*buf) {
        protobuf_c_message_free_unpacked(msg, NULL);
        k1s__cri_error_set(e, 8, 8, "out of memory");
        return -1;
    }
    protobuf_c_message_pack(msg, *buf);
    protobuf_c_message_free_unpacked(msg, NULL);
    return 0;
}

int k1s_cri_call(k1s_cri *c, const char *method, const json_t *request, json_t **reply,
                 int timeout_ms, k1s_cri_error *e)
{
    k1s_cri_error scratch = {0, NULL};
    if (!e)
        e = &scratch;
    e->code = 0;
    e->message = NULL;
    *reply = NULL;
    if (!c) {
        k1s__cri_error_set(e, -1, 14, "k1s: the CRI client is not open");
        k1s_cri_error_clear(&scratch);
        return -1;
    }
    const k1s__cri_method *m = k1s__cri_method_find(method);
    if (!m) {
        k1s__cri_error_set(e, 12, 12, "k1s: unknown CRI method \"%s\"", method ? method : "");
        k1s_cri_error_clear(&scratch);
        return -1;
    }
    uint8_t *req = NULL, *rep = NULL;
    size_t req_len = 0, rep_len = 0;
    double t0 = c->trace ? now_ms() : 0;
    int rc = encode(m, request, &req, &req_len, e);
    if (rc == 0)
        rc = k1s__cri_grpc_unary(c->grpc, m->path, req, req_len,
                                 timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS, &rep, &rep_len,
                                 e);
    free(req);
    if (rc == 0) {
        ProtobufCMessage *msg = protobuf_c_message_unpack(m->reply, NULL, rep_len, rep);
        if (!msg) {
            k1s__cri_error_set(e, 13, 13, "grpc: failed to unmarshal the received %s",
                               m->reply->name);
            rc = -1;
        } else {
            *reply = k1s__cri_pb_to_json(msg);
            protobuf_c_message_free_unpacked(msg, NULL);
            if (!*reply) {
                k1s__cri_error_set(e, 8, 8, "out of memory");
                rc = -1;
            }
        }
    }
    free(rep);
    if (c->trace)
        fprintf(stderr, "k1s: cri [%.0f] %s %.1f ms%s%s\n", t0, method, now_ms() - t0,
                rc ? ": " : "", rc && e->message ? e->message : "");
    k1s_cri_error_clear(&scratch);
    return rc;
}

char *k1s_cri_bytes(const json_t *v, size_t *len)
{
    unsigned char *out;
    size_t n;
    if (!v || !json_is_string(v) ||
        !(out = k1s_base64_decode_any(json_string_value(v), json_string_length(v), &n)))
        return NULL;
    if (len)
        *len = n;
    return (char *)out;
}
