/*
 * k1s.h - libk1s: a whole k1s cluster (store, API server, controllers,
 * kubelet) inside your process, e.g. as a test fixture. Start it, point a
 * client at k1s_kubeconfig(), stop it. Instances are independent: many can
 * run side by side.
 *
 *     k1s_options o = {.kubelet = "simulated"};   // in memory, free port
 *     k1s *k;
 *     char *err;
 *     if (k1s_start(&o, &k, &err) != 0) { ... }
 *     setenv("KUBECONFIG", k1s_kubeconfig(k), 1);
 *     ...
 *     k1s_stop(k);
 */
#ifndef K1S_H
#define K1S_H

#include <stdbool.h>
#include <stddef.h>

/* What libk1s.so exports: these functions and nothing else (everything
 * inside is built with hidden visibility). */
#define K1S_EXPORT __attribute__((visibility("default")))

typedef struct k1s k1s;

typedef struct k1s_options {
    const char *data_dir;         /* NULL or ":memory:": everything in memory */
    const char *kubeconfig_out;   /* NULL: DATA_DIR/kubeconfig, or a temp file
                                   for in-memory instances */
    const char *bind;             /* default 127.0.0.1 */
    int port;                     /* 0: a free port */
    const char *kubelet;          /* "none", "simulated" (default) or "containerd" */
    const char *runtime_endpoint; /* containerd kubelet: a running containerd's
                                     socket; NULL: k1s starts its own */
    bool disable_controllers;
    bool quiet;                    /* no start-up lines on stderr */
    size_t watch_queue_bytes;      /* most a watch may fall behind by before it
                                 is ended with 410 Expired; 0: 128 MiB */
    const char *tls_min_version;   /* VersionTLS12 (NULL) or VersionTLS13 */
    const char *tls_cipher_suites; /* Go's names, comma-separated; NULL: all
                                      ECDHE AEAD suites */
    bool no_default_storage_class; /* do not create the default StorageClass
                                      `hostpath` at start */
} k1s_options;

/* 0, or -1 with *err a malloc'd message. */
K1S_EXPORT int k1s_start(const k1s_options *o, k1s **out, char **err);
/* Path of the kubeconfig that reaches this instance. */
K1S_EXPORT const char *k1s_kubeconfig(const k1s *k);
/* https://ADDR:PORT */
K1S_EXPORT const char *k1s_url(const k1s *k);
/* Milliseconds from k1s_start's call to ready. */
K1S_EXPORT double k1s_start_ms(const k1s *k);
/* Stop everything and free it; removes a kubeconfig it made in /tmp. */
K1S_EXPORT void k1s_stop(k1s *k);
/* Housekeeping to run about once a minute (trims the watch event log). */
K1S_EXPORT void k1s_tick(k1s *k);

#endif
