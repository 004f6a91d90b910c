/*
 * k1s_apiserver.h - the HTTP face of the API: a libmicrohttpd server that
 * answers kubectl as kube-apiserver does, on top of the client interface
 * (k1s_api.h).
 */
#ifndef K1S_APISERVER_H
#define K1S_APISERVER_H

#include "k1s_api.h"
#include "k1s_node_backend.h"

typedef struct k1s_server k1s_server;

typedef struct k1s_server_config {
    k1s_api *api;         /* borrowed; must outlive the server */
    const char *bind;     /* IPv4 address, default 127.0.0.1 */
    int port;             /* 0: pick a free port */
    const char *token;    /* bearer token clients must send; NULL: no auth */
    int threads;          /* worker threads, default 4 */
    const char *tls_cert; /* PEM; NULL: plain HTTP (tests of the HTTP layer) */
    const char *tls_key;  /* PEM */
    /* kube-apiserver's --tls-min-version (VersionTLS12 when NULL, or
     * VersionTLS13) and --tls-cipher-suites (Go's names, comma-separated;
     * NULL: every ECDHE AEAD suite). Anything weaker is refused at start. */
    const char *tls_min_version;
    const char *tls_cipher_suites;
} k1s_server_config;

int k1s_server_start(const k1s_server_config *cfg, k1s_server **out, char **err);
/* The port actually bound (useful with port 0). */
int k1s_server_port(const k1s_server *s);
void k1s_server_stop(k1s_server *s);
/* Serve pods/exec, attach, portforward and log through b (borrowed; must
 * outlive the server or be reset to NULL first). Without one they answer
 * as kube-apiserver does when the node cannot be reached. */
void k1s_server_set_node_backend(k1s_server *s, const k1s_node_backend *b);

/* The serving certificate and key (PEM, malloc'd): read from dir, or made
 * and saved there at first start; dir NULL: made fresh, not saved. */
int k1s_tls_material(const char *dir, const char *bind, char **cert_pem, char **key_pem);

#endif
