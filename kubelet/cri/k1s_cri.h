/*
 * k1s_cri.h - a CRI v1 client: gRPC over HTTP/2 (libcurl) on containerd's
 * UNIX socket, messages encoded with protobuf-c from kubelet/cri.proto.
 *
 * Requests and replies are jansson objects shaped like the CRI messages,
 * keyed by the proto field names (snake_case, e.g. "pod_sandbox_id"), so
 * one generic encoder serves every call:
 *   - int32/int64/uint*: JSON integers; bool: true/false; string: string;
 *   - bytes: base64 strings;
 *   - enums: their proto value names on output ("SANDBOX_READY"); names or
 *     integers accepted on input;
 *   - map<string,string> (labels, annotations): JSON objects;
 *   - repeated: arrays; nested messages: objects. Unknown keys on input are
 *     an error (a typo must not silently drop a setting).
 *
 * Thread-safe: the kubelet's loop and the API server's request threads call
 * it at the same time.
 */
#ifndef K1S_CRI_H
#define K1S_CRI_H

#include <jansson.h>

typedef struct k1s_cri k1s_cri;

/* What went wrong in a call. code: the gRPC status code (5 NotFound,
 * 4 DeadlineExceeded, 14 Unavailable, ...) or -1 when the socket could not
 * be reached at all. message: malloc'd, "rpc error: code = NotFound desc =
 * ..." as kubelet would log it; free with k1s_cri_error_clear. */
typedef struct k1s_cri_error {
    int code;
    char *message;
} k1s_cri_error;

void k1s_cri_error_clear(k1s_cri_error *e);

/* socket_path: containerd's gRPC socket (a path, or unix:///path). Does not
 * connect yet. 0, or -1 with *err malloc'd. */
int k1s_cri_open(const char *socket_path, k1s_cri **out, char **err);
void k1s_cri_close(k1s_cri *c);

/* Call a CRI method by its name, e.g. "RunPodSandbox", "ListContainers",
 * "PullImage" (image methods go to runtime.v1.ImageService, the others to
 * runtime.v1.RuntimeService). request: borrowed, NULL for an empty message.
 * On success returns 0 and *reply gets a new object (maybe {}). On failure
 * returns -1 with *e filled (and *reply NULL). timeout_ms <= 0: 2 minutes. */
int k1s_cri_call(k1s_cri *c, const char *method, const json_t *request, json_t **reply,
                 int timeout_ms, k1s_cri_error *e);

/* The bytes of a bytes field of a reply (ExecSync's "stdout" and "stderr"
 * are base64 strings): malloc'd and NUL-terminated for convenience, *len
 * (len may be NULL) not counting the NUL. NULL when v is NULL, not a
 * string, or not base64. */
char *k1s_cri_bytes(const json_t *v, size_t *len);

#endif
