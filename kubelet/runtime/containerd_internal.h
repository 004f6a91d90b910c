/*
 * containerd_internal.h - what the files behind k1s_containerd.h share
 * (internal; the kubelet uses k1s_containerd.h only).
 *
 *   containerd.c          the public API: start, check, import, stop
 *   containerd_config.c   config.toml, the CNI conflist, a free port
 *   containerd_proc.c     spawning, readiness, stopping, stale children
 *   containerd_run.c      running helper programs (ctr, gzip, zstd)
 *   image_tar.c           a ustar writer, sha256 digests
 *   image_oci.c           a one-file OCI image layout as a tarball
 *   image_pause.c         k1s's pause image: build, compare, import
 *   image_import.c        importing tarballs with ctr, imported.json
 */
#ifndef K1S_CONTAINERD_INTERNAL_H
#define K1S_CONTAINERD_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "k1s_buf.h"
#include "k1s_containerd.h"
#include "k1s_cri.h"
#include "k1s_time.h"

/* The containerd namespace the CRI plugin works in. */
#define K1S_CD_NAMESPACE "k8s.io"
#define K1S_CD_DEFAULT_CIDR "10.244.0.0/24"
/* How long start waits for a fresh containerd to answer. */
#define K1S_CD_READY_TIMEOUT_MS 30000
/* How long stop waits after SIGTERM before SIGKILL. */
#define K1S_CD_STOP_TIMEOUT_MS 10000
/* check restarts a dead child at most this often. */
#define K1S_CD_RESTART_INTERVAL_MS 5000

struct k1s_containerd {
    /* all strings malloc'd and owned here */
    char *dir;         /* <data-dir>/containerd */
    char *images_dir;  /* <data-dir>/images */
    char *config_path; /* dir/config.toml */
    char *socket;      /* gRPC socket (ours, or the given endpoint) */
    char *log_path;    /* dir/containerd.log */
    char *pid_path;    /* dir/containerd.pid */
    char *stream_base; /* "http://127.0.0.1:PORT" or "" */
    char *pod_cidr;
    char *containerd_bin; /* resolved path, NULL with an endpoint */
    char *ctr_bin;        /* resolved path of ctr */
    k1s_cri *cri;         /* for readiness (Version) and ImageStatus */
    bool own;             /* k1s started (and stops) containerd */
    bool quiet;
    int stream_port;
    pid_t pid;               /* the child, 0 when none */
    int64_t started_ms;      /* monotonic time of the last spawn */
    int restart_interval_ms; /* K1S_CD_RESTART_INTERVAL_MS; tests lower it */
    /* check() may run from several threads; spawn/reap under this lock */
    pthread_mutex_t lock;
    /* imports are serialised so imported.json is read-modify-written once */
    pthread_mutex_t import_lock;
};

/* ---- containerd_bridge.c ---- */

/* Remove the k1s0 bridge when an earlier run left it with another pod
 * CIDR's address and no pod is attached (else every pod would fail). */
void k1s__cd_reset_stale_bridge(const char *pod_cidr, bool quiet);
/* The one nat rule that masquerades pod traffic leaving the pod CIDR
 * (added if missing; kept after stop for pods that keep running). */
#define K1S_MASQ_COMMENT "k1s pod masquerade"
void k1s__cd_ensure_masquerade(const char *pod_cidr, bool quiet);

/* ---- containerd_config.c ---- */

/* Whether s is an IPv4 CIDR "a.b.c.d/n" with n in 8..30. */
bool k1s__cd_valid_cidr(const char *s);
/* A TCP port on 127.0.0.1 nobody listens on now (bind port 0, read it,
 * close). -1 on failure. */
int k1s__cd_free_port(void);
/* config.toml for c (dir, socket, stream_port, pod_cidr). A new malloc'd
 * string, NULL when out of memory. */
char *k1s__cd_config_toml(const k1s_containerd *c);
/* The CNI conflist "k1s" for the pod CIDR; new string or NULL. */
char *k1s__cd_cni_conflist(const char *pod_cidr, const char *ipam_dir);
/* Write the directories, config.toml and cni/10-k1s.conflist.
 * 0, or -1 with *err malloc'd. */
int k1s__cd_write_configs(const k1s_containerd *c, char **err);
/* Write data to path atomically (temp file + rename), mode 0644.
 * 0, or -1 with *err malloc'd. */
int k1s__cd_write_file(const char *path, const void *data, size_t len, char **err);

/* ---- containerd_proc.c ---- */

/* Whether something accepts connections on the UNIX socket path. */
bool k1s__cd_socket_accepts(const char *path);
/* Whether the runtime behind c->socket answers a request (CRI Version). */
bool k1s__cd_answers(const k1s_containerd *c);
/* Stop a containerd left running by an earlier k1s with this data dir
 * (found through the pid file). 0, or -1 with *err when it would not go. */
int k1s__cd_stop_stale(k1s_containerd *c, char **err);
/* Start the child and wait until it answers or timeout_ms passes.
 * Caller holds c->lock (or is the only thread). 0, or -1 with *err. */
int k1s__cd_spawn_and_wait(k1s_containerd *c, int timeout_ms, char **err);
/* SIGTERM the child, SIGKILL after timeout_ms, reap, remove the pid file. */
void k1s__cd_terminate(k1s_containerd *c, int timeout_ms);
/* Whether the child is still running; reaps it (pid = 0) when it died. */
bool k1s__cd_child_alive(k1s_containerd *c);

/* ---- containerd_run.c ---- */

/* malloc'd formatted string, NULL when out of memory. */
char *k1s__cd_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set *err to a malloc'd message; returns -1 for `return k1s__cd_err(..)`. */
int k1s__cd_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* posix_spawn argv[0] (a full path) with stdin, stdout, stderr from
 * in_fd, out_fd, err_fd (-1: /dev/null), nothing else inherited, default
 * signals, completed PATH; in its own process group when own_pgroup.
 * 0 or an errno value. */
int k1s__cd_spawn(char *const argv[], int in_fd, int out_fd, int err_fd, bool own_pgroup,
                  pid_t *pid);

/* The full path of an executable found in PATH (or /usr/sbin, /sbin,
 * /usr/local/sbin, which a non-login root PATH may lack); NULL if none. */
char *k1s__cd_which(const char *name);
/* Run argv[0] (a full path) with stdin from stdin_fd (-1: /dev/null),
 * stdout+stderr captured into *out (malloc'd, NUL-terminated; may be NULL
 * when out is NULL), no inherited descriptors. Returns the exit status
 * (0..255), 128+signal when killed, or -1 when it could not run (*out then
 * holds why). */
int k1s__cd_run(char *const argv[], int stdin_fd, char **out);

/* ---- image_tar.c ---- */

/* "sha256:<64 hex>" of data into out (72 bytes). 0, or -1. */
int k1s__cd_sha256(const void *data, size_t len, char out[72]);

/* One ustar entry appended to b: a regular file (data, len) or, with data
 * NULL and a name ending in '/', a directory. Owner root, mtime 0, so
 * equal input gives equal bytes (and equal digests). -1 when name does not
 * fit or b has failed. */
int k1s__tar_add(k1s_buf *b, const char *name, unsigned mode, const void *data, size_t len);
/* The two zero blocks that end an archive. */
void k1s__tar_end(k1s_buf *b);

/* ---- image_oci.c ---- */

/* An OCI image layout tarball holding one image named ref whose single
 * uncompressed layer contains one executable file (path without the
 * leading '/', e.g. "pause"), entrypoint "/<path>". On success fills *out
 * and the digests of the manifest and config ("sha256:..."). 0, or -1. */
int k1s__oci_single_file_image(const char *ref, const char *path, const unsigned char *data,
                               size_t len, k1s_buf *out, char manifest_digest[72],
                               char config_digest[72]);
/* GOARCH for this build ("amd64", "arm64", ...). */
const char *k1s__oci_arch(void);

/* ---- image_pause.c ---- */

/* Make sure K1S_PAUSE_IMAGE with the embedded binary is in containerd:
 * build the layout, skip when the image already has that digest, else
 * write dir/pause.tar and import it. 0, or -1 with *err. */
int k1s__cd_ensure_pause(k1s_containerd *c, char **err);

/* ---- image_import.c ---- */

/* Import one tarball with ctr; names of the images it held into *names
 * (malloc'd, space-separated; may be ""). 0, or -1 with *err. */
int k1s__cd_ctr_import(k1s_containerd *c, const char *path, char **names, char **err);
/* k1s_containerd_import: one file with progress lines. 0, or -1. */
int k1s__cd_import_one(k1s_containerd *c, const char *path, char **err);
/* Import every tarball in images_dir not imported before with the same
 * size and mtime. Failures are logged, not fatal: one bad file must not
 * keep the node down. Returns how many failed. */
int k1s__cd_import_dir(k1s_containerd *c);

/* The embedded pause binary (generated at build time from kubelet/pause). */
extern const unsigned char k1s_pause_bin[];
extern const size_t k1s_pause_bin_len;

#endif
