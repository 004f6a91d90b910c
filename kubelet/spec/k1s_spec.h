/*
 * kubelet_spec.h - turning a pod's spec into what CRI needs: environment,
 * volumes and mounts, cgroup resources, and the probes. Pure functions of
 * the pod and the objects it names (looked up through k1s_spec_lookup), so
 * they are unit-tested without containerd; the pod sync (kubelet_pod*.c)
 * calls them.
 */
#ifndef K1S_KUBELET_SPEC_H
#define K1S_KUBELET_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

/* Objects a pod refers to, from the kubelet's caches: kind is "ConfigMap",
 * "Secret", "PersistentVolumeClaim" or "PersistentVolume" (ns "" for
 * PVs). Borrowed result, NULL when absent. */
typedef struct k1s_spec_lookup {
    void *ctx;
    const json_t *(*get)(void *ctx, const char *kind, const char *ns, const char *name);
} k1s_spec_lookup;

/* Why a container cannot be created yet, as kubelet reports it in the
 * container's Waiting state: reason (e.g. "CreateContainerConfigError")
 * and message (e.g. `configmap "cfg" not found`). */
typedef struct k1s_spec_error {
    char reason[64];
    char message[512];
} k1s_spec_error;

/* ---- environment ---------------------------------------------------------- */

/* The CRI "envs" array ([{"key","value"}], new reference) for container
 * (borrowed, an element of spec.containers or spec.initContainers) of pod:
 * env (value, valueFrom fieldRef / resourceFieldRef / configMapKeyRef /
 * secretKeyRef) and envFrom (configMapRef / secretRef, prefix), with
 * $(VAR) expansion as kubelet does, plus the service-link variables are not
 * added (enableServiceLinks is not supported). 0, or -1 with *e set. */
int k1s_spec_envs(const json_t *pod, const json_t *container, const k1s_spec_lookup *lk,
                  json_t **envs, k1s_spec_error *e);

/* ---- volumes ---------------------------------------------------------------- */

/* Make every volume of pod ready on the host and return {volume name: host
 * path} (new reference). pod_dir: the pod's own directory
 * (<data-dir>/pods/<ns>_<name>_<uid>), where emptyDir, configMap, secret,
 * downwardAPI and projected volumes live (contents rewritten on each call,
 * so updates of a ConfigMap show up). persistentVolumeClaim: the bound PV's
 * hostPath/local path (Waiting while unbound); hostPath: the path, checked
 * or created per its type. 0, or -1 with *e set (e.g. reason
 * "CreateContainerConfigError"/"ContainerCreating" style messages). */
int k1s_spec_volumes(const json_t *pod, const char *pod_dir, const k1s_spec_lookup *lk,
                     json_t **paths, k1s_spec_error *e);
/* The CRI "mounts" array (new reference) for container given the paths of
 * k1s_spec_volumes: volumeMounts with readOnly, subPath (created if
 * missing), subPathExpr. 0, or -1 with *e set. */
int k1s_spec_mounts(const json_t *pod, const json_t *container, const json_t *paths,
                    json_t **mounts, k1s_spec_error *e);
/* Remove what k1s_spec_volumes made under pod_dir (never PV or hostPath
 * data). */
void k1s_spec_volumes_cleanup(const char *pod_dir);

/* ---- resources ---------------------------------------------------------------- */

/* The CRI LinuxContainerResources object (new reference) for container's
 * resources: cpu limit -> cpu_quota/cpu_period, cpu request -> cpu_shares,
 * memory limit -> memory_limit_in_bytes, as kubelet computes them. */
json_t *k1s_spec_resources(const json_t *container);

/* ---- probes ---------------------------------------------------------------------- */

/* Run a command in a container (CRI ExecSync), for exec probes: 0 with
 * *exit_code set, or -1 when it could not run (probe error). */
typedef int (*k1s_spec_exec_fn)(void *ctx, const char *container_id, const char *const *argv,
                                size_t argc, int timeout_s, int *exit_code);

/* One probe's running state for one container. */
typedef struct k1s_prober {
    int64_t next_ms;         /* when the next run is due (monotonic ms) */
    int successes, failures; /* consecutive */
    bool result;             /* current outcome after the thresholds */
} k1s_prober;

/* Start probing a container that started at started_ms: first run after
 * initialDelaySeconds. initial: the result until the probe decides
 * (false for readiness and startup, true for liveness). */
void k1s_prober_init(k1s_prober *p, const json_t *probe, int64_t started_ms, bool initial);
bool k1s_prober_due(const k1s_prober *p, int64_t now_ms);
/* Run probe (borrowed; httpGet, tcpSocket, exec or grpc) against the
 * container now: pod_ip for network probes (httpGet host defaults to it),
 * container (borrowed) for named ports; exec through exec_fn. Applies
 * successThreshold/failureThreshold, schedules the next run after
 * periodSeconds, and returns the current result. msg (if non-NULL) gets
 * the last failure's text, as kubelet words it in events ("Get
 * \"http://10.244.0.5:80/\": dial tcp ...: connect: connection refused"). */
bool k1s_prober_step(k1s_prober *p, const json_t *probe, const char *pod_ip,
                     const json_t *container, const char *container_id, k1s_spec_exec_fn exec_fn,
                     void *exec_ctx, int64_t now_ms, char *msg, size_t msglen);

/* ---- additions (spec helper) ------------------------------------------------- */

/* k1s_spec_mounts with the container's environment given (the "envs" array
 * of k1s_spec_envs, borrowed) for subPathExpr; k1s_spec_mounts computes it
 * itself without lookups, so variables from ConfigMaps and Secrets are
 * unknown there ("missing value for X"): the pod sync should call this
 * one. envs may be NULL when no volumeMount has a subPathExpr. 0, or -1
 * with *e set (CreateContainerConfigError). */
int k1s_spec_mounts_env(const json_t *pod, const json_t *container, const json_t *paths,
                        const json_t *envs, json_t **mounts, k1s_spec_error *e);

/* The pod's managed /etc/hosts, as kubelet writes it to pod_dir/etc-hosts:
 * localhost lines, "<pod_ip>\t<hostname>" (or FQDN with spec.subdomain),
 * spec.hostAliases; for hostNetwork pods the node's /etc/hosts. *mount
 * (new reference) is the CRI Mount to add to every container that does
 * not mount /etc/hosts itself; NULL (and 0) when kubelet would not mount
 * it (pod network and no pod_ip yet). 0, or -1 with errno. */
int k1s_spec_etc_hosts(const json_t *pod, const char *pod_ip, const char *pod_dir, json_t **mount);

/* The container's oom_score_adj by its pod's QoS class (Guaranteed -997,
 * BestEffort 1000, Burstable 1000 - 1000*memoryRequest/hostMemory within
 * [3, 999]), as kubelet puts it into LinuxContainerResources. */
int k1s_spec_oom_score_adj(const json_t *pod, const json_t *container);

#endif
