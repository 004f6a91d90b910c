/*
 * k1s_containerd.h - the container runtime k1s runs pods on: its own
 * containerd child process with a generated config (or one already running,
 * named by --container-runtime-endpoint), the CNI network config, and the
 * images k1s provides offline (its own pause image, tarballs in
 * <data-dir>/images).
 *
 * Layout under <data-dir>/containerd: config.toml, root/, state/,
 * containerd.sock, cni/ (conflist), cni-ipam/, runc/, containerd.log.
 */
#ifndef K1S_CONTAINERD_H
#define K1S_CONTAINERD_H

#include <stdbool.h>

typedef struct k1s_containerd k1s_containerd;

/* The sandbox image k1s builds itself and imports at start. */
#define K1S_PAUSE_IMAGE "k1s.io/pause:1.0"

typedef struct k1s_containerd_config {
    const char *data_dir; /* required */
    const char *endpoint; /* non-NULL: a running containerd's socket;
                                  start nothing, write no config */
    const char *pod_cidr; /* default 10.244.0.0/24 */
    bool quiet;           /* no progress lines on stderr */
} k1s_containerd_config;

/* Write the configs, start containerd (unless endpoint), wait until its
 * socket answers, import the pause image and every tarball in
 * <data-dir>/images (docker-archive or OCI layout; .tar, .tar.gz, .tgz,
 * .tar.zst) into the k8s.io namespace, logging progress. 0, or -1 with
 * *err malloc'd. */
int k1s_containerd_start(const k1s_containerd_config *cfg, k1s_containerd **out, char **err);
/* The gRPC socket path (for k1s_cri_open). */
const char *k1s_containerd_socket(const k1s_containerd *c);
/* The CRI streaming server's base URL (http://127.0.0.1:PORT), "" when
 * containerd was not started by k1s. */
const char *k1s_containerd_stream_base(const k1s_containerd *c);
/* Whether the runtime answers now. A child that died is started again
 * (at most once every few seconds), so the node comes back by itself. */
bool k1s_containerd_check(k1s_containerd *c);
/* Import one image tarball. 0, or -1 with *err malloc'd. */
int k1s_containerd_import(k1s_containerd *c, const char *path, char **err);
/* Stop the child (SIGTERM, then SIGKILL after 10 s) and free. Containers
 * keep running in their shims, as with k3s; a new k1s adopts them. */
void k1s_containerd_stop(k1s_containerd *c);

#endif
