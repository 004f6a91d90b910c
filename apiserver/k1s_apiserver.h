/*
 * k1s_apiserver.h - the HTTP face of the API: a libmicrohttpd server that
 * answers kubectl as kube-apiserver does, on top of the client interface
 * (k1s_api.h).
 */
#ifndef K1S_APISERVER_H
#define K1S_APISERVER_H

#include "k1s_api.h"

typedef struct k1s_server k1s_server;

typedef struct k1s_server_config {
    k1s_api *api;          /* borrowed; must outlive the server */
    const char *bind;      /* IPv4 address, default 127.0.0.1 */
    int port;              /* 0: pick a free port */
    const char *token;     /* bearer token clients must send; NULL: no auth */
    int threads;           /* worker threads, default 4 */
    const char *tls_cert;  /* PEM; NULL: plain HTTP (tests of the HTTP layer) */
    const char *tls_key;   /* PEM */
} k1s_server_config;

/* ---- the node's side of pods/exec, attach, portforward and log ---------- */

/* What kubectl asked of a pod's container, already checked by the API
 * server (pod exists and is bound; container resolved; for exec at least
 * one command word). All borrowed. */
typedef struct k1s_stream_request {
    const char *verb;               /* "exec", "attach" or "portforward" */
    const json_t *pod;              /* the pod as stored */
    const char *container;          /* exec, attach */
    const char *const *command;     /* exec: ncommand words */
    size_t ncommand;
    bool in, out, err, tty;         /* exec, attach: which streams */
    const int *ports;               /* portforward: nports ports */
    size_t nports;
} k1s_stream_request;

/* Implemented by the kubelet; called from request threads (thread-safe). */
typedef struct k1s_node_backend {
    void *ctx;
    /* The runtime's streaming URL to join kubectl's upgraded connection to
     * (containerd's CRI streaming server). 0 with *url malloc'd, or -1 with
     * *st set as kubelet answers (e.g. 400 "container not found"). */
    int (*stream_url)(void *ctx, const k1s_stream_request *rq, char **url,
                      k1s_status *st);
    /* The container's CRI-format log file (the previous instance's when
     * previous). 0 with *path malloc'd, or -1 with *st set as kubelet
     * answers (e.g. 400 "previous terminated container \"c\" in pod \"p\"
     * not found"). */
    int (*log_path)(void *ctx, const json_t *pod, const char *container,
                    bool previous, char **path, k1s_status *st);
} k1s_node_backend;

int k1s_server_start(const k1s_server_config *cfg, k1s_server **out,
                     char **err);
/* The port actually bound (useful with port 0). */
int k1s_server_port(const k1s_server *s);
void k1s_server_stop(k1s_server *s);
/* Serve pods/exec, attach, portforward and log through b (borrowed; must
 * outlive the server or be reset to NULL first). Without one they answer
 * as kube-apiserver does when the node cannot be reached. */
void k1s_server_set_node_backend(k1s_server *s, const k1s_node_backend *b);

/* The serving certificate and key (PEM, malloc'd): read from dir, or made
 * and saved there at first start; dir NULL: made fresh, not saved. */
int k1s_tls_material(const char *dir, const char *bind, char **cert_pem,
                     char **key_pem);

/* Create the system namespaces and the `kubernetes` service if absent.
 * api_port: the port the API server answers on (the service's targetPort). */
int k1s_api_bootstrap(k1s_api *api, int api_port, char *err, size_t errlen);

#endif
