/*
 * spec_internal.h - what the kubelet_spec.h files share:
 *   spec_env.c              env, envFrom, $(VAR) expansion
 *   spec_env_fields.c       downward API pod field values (fieldRef)
 *   spec_resources.c        cgroup numbers, resourceFieldRef values, QoS
 *   spec_volumes.c          the volume dispatcher, emptyDir, hostPath, PVC
 *   spec_volumes_payload.c  configMap/secret/downwardAPI/projected contents
 *   spec_volumes_atomic.c   kubelet's AtomicWriter layout (..data symlink)
 *   spec_mounts.c           volumeMounts, subPath, subPathExpr
 *   spec_mounts_hosts.c     the pod's managed /etc/hosts
 *   spec_probe.c            probe state, thresholds, exec and tcp probes
 *   spec_probe_http.c       httpGet and grpc probes over libcurl
 */
#ifndef K1S_SPEC_INTERNAL_H
#define K1S_SPEC_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "k1s_json.h"
#include "k1s_spec.h"
#include "k1s_time.h"
#include "k1s_vec.h"

/* Messages built inside (then maybe wrapped) fit this. */
#define K1S__SPEC_ERRLEN 400

/* Fill *e (when non-NULL). */
void k1s__spec_fail(k1s_spec_error *e, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* snprintf into a K1S__SPEC_ERRLEN-sized buffer; returns -1 for "return -1;". */
int k1s__spec_errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- environment (spec_env.c) ---- */

/* k1s_spec_envs; lenient: a variable whose source cannot be resolved is
 * left out instead of failing (what k1s_spec_mounts can know without a
 * lookup). */
int k1s__spec_envs(const json_t *pod, const json_t *container, const k1s_spec_lookup *lk,
                   bool lenient, json_t **envs, k1s_spec_error *e);

/* ---- pod fields (spec_env_fields.c) ---- */

/* The value of a downward API fieldRef ({apiVersion, fieldPath}) for pod:
 * metadata.name/namespace/uid, metadata.labels / metadata.annotations
 * (whole, as kubelet's FormatMap, or ['key']), spec.nodeName,
 * spec.serviceAccountName, status.hostIP(s), status.podIP(s). 0 with *out
 * malloc'd, or -1 with err set. lk may be NULL (used for the Node's IP
 * when the pod's status has no hostIP). */
int k1s__spec_field_value(const json_t *pod, const json_t *field_ref, const k1s_spec_lookup *lk,
                          char **out, char *err);

/* $(VAR) expansion as kubelet's expansion.Expand: $$ is a literal $,
 * $(NAME) the mapping's value (or "$(NAME)" left as written when map
 * returns NULL), anything else copied. NULL only when out of memory. */
typedef const char *(*spec_map_fn)(void *ctx, const char *name);
char *k1s__spec_expand(const char *in, spec_map_fn map, void *ctx);

/* ---- resources (spec_resources.c) ---- */

/* The value of a resourceFieldRef ({containerName, resource, divisor})
 * of container (when containerName is empty) or of the named container of
 * pod, limits defaulting to the node's allocatable (lk "Node" lookup of
 * spec.nodeName, else the host's CPUs and memory). 0 with *out malloc'd,
 * or -1 with err set. */
int k1s__spec_resource_value(const json_t *pod, const json_t *container, const json_t *ref,
                             const k1s_spec_lookup *lk, char **out, char *err);

/* ---- paths (spec_volumes_atomic.c) ---- */

/* A relative path a volume may write: not absolute, no ".." element, not
 * starting with "..", not empty. 0, or -1 with err as kubelet words it. */
int k1s__spec_check_rel_path(const char *path, char *err);
/* mkdir -p with mode for the directories it creates (not umasked). */
int k1s__spec_mkdir_p(const char *path, mode_t mode);
/* rm -rf that never follows symlinks nor crosses into other mounts. */
int k1s__spec_remove_tree(const char *path);
/* malloc'd "a/b", NULL when out of memory. */
char *k1s__spec_join(const char *a, const char *b);

/* ---- volume contents (spec_volumes_payload.c, spec_volumes_atomic.c) ---- */

typedef struct k1s__spec_file {
    char *path; /* relative, checked */
    unsigned char *data;
    size_t len;
    int mode; /* permission bits */
} k1s__spec_file;

/* Start one from K1S__SPEC_PAYLOAD. */
typedef struct k1s__spec_payload {
    k1s_vec files; /* of k1s__spec_file (owned): k1s__spec_file_at */
} k1s__spec_payload;

#define K1S__SPEC_PAYLOAD ((k1s__spec_payload){K1S_VEC(k1s__spec_file)})

static inline k1s__spec_file *k1s__spec_file_at(const k1s__spec_payload *p, size_t i)
{
    return k1s_vec_at(&p->files, i);
}

/* Add (or replace, like kubelet's map) path -> data; data is copied. */
int k1s__spec_payload_add(k1s__spec_payload *p, const char *path, const void *data, size_t len,
                          int mode);
void k1s__spec_payload_free(k1s__spec_payload *p);

/* The payloads of the volume kinds that project objects: 0, or -1 with err
 * (kubelet's message, without the "MountVolume.SetUp failed" prefix). */
int k1s__spec_payload_configmap(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                                int default_mode, k1s__spec_payload *p, char *err);
int k1s__spec_payload_secret(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                             int default_mode, k1s__spec_payload *p, char *err);
int k1s__spec_payload_downward(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                               int default_mode, k1s__spec_payload *p, char *err);
int k1s__spec_payload_projected(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                                k1s__spec_payload *p, char *err);

/* Make dir hold exactly payload the way kubelet's AtomicWriter does:
 * a timestamped ..YYYY_MM_DD_HH_MM_SS.NNNNNN directory with the files, the
 * ..data symlink to it swapped by rename, and one top-level symlink per
 * first path element pointing into ..data. Nothing is touched when the
 * contents are already the same. 0, or -1 with err. */
int k1s__spec_atomic_write(const char *dir, const k1s__spec_payload *p, char *err);

/* ---- probes (spec_probe.c, spec_probe_http.c) ---- */

typedef enum k1s__spec_probe_result {
    SPEC_PROBE_SUCCESS,
    SPEC_PROBE_WARNING, /* success, with something to say (a redirect
                             to another host that was not followed) */
    SPEC_PROBE_FAILURE, /* msg says why */
    SPEC_PROBE_ERROR,   /* the probe could not run; kubelet retries */
} k1s__spec_probe_result;

/* GET scheme://host:port/path as kubelet's HTTP prober (msg: the failure
 * text). */
k1s__spec_probe_result k1s__spec_probe_http(const json_t *http_get, const char *host, int port,
                                            int timeout_s, char *msg, size_t msglen);
/* grpc.health.v1.Health/Check on host:port (h2c), service may be "". */
k1s__spec_probe_result k1s__spec_probe_grpc(const char *host, int port, const char *service,
                                            int timeout_s, char *msg, size_t msglen);
/* A Go time.Duration's String() for whole seconds ("1s", "1m30s"). */
void k1s__spec_go_seconds(char *buf, size_t n, long long s);

#endif
