/*
 * k1s_node_backend.h - the node's side of pods/exec, attach, portforward
 * and log: what the API server asks of the kubelet once it has checked a
 * request as kube-apiserver does. The kubelet implements it; the API's
 * HTTP face calls it.
 */
#ifndef K1S_NODE_BACKEND_H
#define K1S_NODE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_status.h"

/* What kubectl asked of a pod's container, already checked by the API
 * server (pod exists and is bound; container resolved; for exec at least
 * one command word). All borrowed. */
typedef struct k1s_stream_request {
    const char *verb;           /* "exec", "attach" or "portforward" */
    const json_t *pod;          /* the pod as stored */
    const char *container;      /* exec, attach */
    const char *const *command; /* exec: ncommand words */
    size_t ncommand;
    bool in, out, err, tty; /* exec, attach: which streams */
    const int *ports;       /* portforward: nports ports */
    size_t nports;
} k1s_stream_request;

/* Implemented by the kubelet; called from request threads (thread-safe). */
typedef struct k1s_node_backend {
    void *ctx;
    /* The runtime's streaming URL to join kubectl's upgraded connection to
     * (containerd's CRI streaming server). 0 with *url malloc'd, or -1 with
     * *st set as kubelet answers (e.g. 400 "container not found"). */
    int (*stream_url)(void *ctx, const k1s_stream_request *rq, char **url, k1s_status *st);
    /* The container's CRI-format log file (the previous instance's when
     * previous). 0 with *path malloc'd, or -1 with *st set as kubelet
     * answers (e.g. 400 "previous terminated container \"c\" in pod \"p\"
     * not found"). */
    int (*log_path)(void *ctx, const json_t *pod, const char *container, bool previous, char **path,
                    k1s_status *st);
} k1s_node_backend;

#endif
