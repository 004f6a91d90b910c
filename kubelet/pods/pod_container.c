/*
 * pod_container.c - creating and starting one container as
 * kubelet does: the ContainerConfig (metadata with the attempt = restart
 * count, image, command, args, working dir, env, mounts, resources,
 * security context, the log path "<name>/<attempt>.log", labels by which
 * the container is found again), then CreateContainer and StartContainer,
 * with kubelet's events and, on failure, its waiting reasons
 * (CreateContainerConfigError, CreateContainerError, RunContainerError).
 */
#include "pods_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The gRPC description alone, as kubelet quotes CRI errors in events:
 * "rpc error: code = X desc = text" -> "text". */
static const char *grpc_desc(const char *msg)
{
    const char *d = strstr(msg, "desc = ");
    return d ? d + 7 : msg;
}

void k1s__set_waiting(k1s__pod *ps, const char *name, const char *reason, const char *message)
{
    json_object_set_new(ps->waiting, name,
                        json_pack("{s:s, s:s}", "reason", reason, "message", message));
}

/* The container's user, groups and privileges: the container's own
 * securityContext over the pod's. */
static json_t *security_context(const json_t *spec, const json_t *ctr)
{
    const json_t *psc = json_object_get(spec, "securityContext");
    const json_t *csc = json_object_get(ctr, "securityContext");
    json_t *sc = json_pack("{s:o}", "namespace_options", k1s__namespace_options(spec));
    const char *ids[][2] = {{"runAsUser", "run_as_user"}, {"runAsGroup", "run_as_group"}};
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(csc, ids[i][0]);
        if (!json_is_integer(v))
            v = json_object_get(psc, ids[i][0]);
        if (json_is_integer(v))
            json_object_set_new(sc, ids[i][1], json_pack("{s:I}", "value", json_integer_value(v)));
    }
    json_t *groups = json_array();
    size_t i;
    const json_t *g;
    json_array_foreach(json_object_get(psc, "supplementalGroups"), i, g) if (json_is_integer(g))
        json_array_append(groups, (json_t *)g);
    if (json_is_integer(json_object_get(psc, "fsGroup")))
        json_array_append(groups, json_object_get(psc, "fsGroup"));
    json_object_set_new(sc, "supplemental_groups", groups);
    if (k1s_json_bool(csc, "privileged", false))
        json_object_set_new(sc, "privileged", json_true());
    if (k1s_json_bool(csc, "readOnlyRootFilesystem", false))
        json_object_set_new(sc, "readonly_rootfs", json_true());
    const json_t *ape = json_object_get(csc, "allowPrivilegeEscalation");
    if (json_is_false(ape))
        json_object_set_new(sc, "no_new_privs", json_true());
    const json_t *caps = json_object_get(csc, "capabilities");
    if (caps) {
        json_t *c = json_pack("{s:[], s:[]}", "add_capabilities", "drop_capabilities");
        k1s__append_strings(json_object_get(c, "add_capabilities"), json_object_get(caps, "add"));
        k1s__append_strings(json_object_get(c, "drop_capabilities"), json_object_get(caps, "drop"));
        json_object_set_new(sc, "capabilities", c);
    }
    return sc;
}

static json_t *strings(const json_t *arr)
{
    json_t *out = json_array();
    size_t i;
    const json_t *s;
    json_array_foreach(arr, i, s)
        json_array_append_new(out, json_string(json_string_value(s) ? json_string_value(s) : ""));
    return out;
}

/* The ContainerConfig; NULL with *e set when the spec cannot be honoured
 * yet (a missing ConfigMap key, a volume not ready). */
static json_t *container_config(k1s_kubelet *kl, const k1s__start *s, k1s_spec_error *e)
{
    const json_t *pod = s->pod, *ctr = s->container;
    const json_t *spec = json_object_get(pod, "spec");
    const char *name = k1s_json_str_or(ctr, "name", "");
    k1s_spec_lookup lk = k1s__lookup(kl);
    json_t *envs = NULL, *mounts = NULL;
    if (k1s_spec_envs(pod, ctr, &lk, &envs, e) != 0)
        return NULL;
    if (k1s_spec_mounts(pod, ctr, s->volumes, &mounts, e) != 0) {
        json_decref(envs);
        return NULL;
    }
    bool own_hosts = false;
    size_t i;
    const json_t *m;
    json_array_foreach(mounts, i, m) own_hosts |=
        !strcmp(k1s_json_str_or(m, "container_path", ""), "/etc/hosts");
    if (*s->etc_hosts && !own_hosts)
        json_array_append_new(mounts, json_pack("{s:s, s:s}", "container_path", "/etc/hosts",
                                                "host_path", s->etc_hosts));
    char log_path[400], restarts[16], grace[32];
    snprintf(log_path, sizeof log_path, "%s/%u.log", name, s->attempt);
    snprintf(restarts, sizeof restarts, "%u", s->attempt);
    snprintf(grace, sizeof grace, "%lld", (long long)k1s__grace(pod));
    json_t *labels = json_pack("{s:s, s:s, s:s, s:s}", K1S__L_CTR_NAME, name, K1S__L_POD_NAME,
                               k1s_json_str_or(pod, "metadata.name", ""), K1S__L_POD_NS,
                               k1s_json_str_or(pod, "metadata.namespace", ""), K1S__L_POD_UID,
                               k1s_json_str_or(pod, "metadata.uid", ""));
    json_t *ann = json_pack("{s:s, s:s}", "io.kubernetes.container.restartCount", restarts,
                            "io.kubernetes.pod.terminationGracePeriod", grace);
    if (s->init)
        json_object_set_new(ann, K1S__A_INIT, json_string("true"));
    json_t *cfg = json_pack(
        "{s:{s:s, s:i}, s:{s:s, s:s}, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:s,"
        " s:b, s:b, s:b, s:{s:o, s:o}}",
        "metadata", "name", name, "attempt", (int)s->attempt, "image", "image", s->image_ref,
        "user_specified_image", k1s_json_str_or(ctr, "image", ""), "command",
        strings(json_object_get(ctr, "command")), "args", strings(json_object_get(ctr, "args")),
        "working_dir", k1s_json_str_or(ctr, "workingDir", ""), "envs", envs, "mounts", mounts,
        "labels", labels, "annotations", ann, "log_path", log_path, "stdin",
        k1s_json_bool(ctr, "stdin", false), "stdin_once", k1s_json_bool(ctr, "stdinOnce", false),
        "tty", k1s_json_bool(ctr, "tty", false), "linux", "resources", k1s_spec_resources(ctr),
        "security_context", security_context(spec, ctr));
    return cfg;
}

int k1s__container_start(k1s_kubelet *kl, k1s__pod *ps, const k1s__start *s)
{
    const json_t *pod = s->pod;
    const char *name = k1s_json_str_or(s->container, "name", "");
    k1s_spec_error e = {{0}, {0}};
    json_t *cfg = container_config(kl, s, &e);
    if (!cfg) {
        const char *reason = *e.reason ? e.reason : "CreateContainerConfigError";
        k1s__set_waiting(ps, name, reason, e.message);
        K1S__EVENT(kl, pod, "Warning", "Failed", "Error: %s", e.message);
        ps->config_wait = true;
        return -1;
    }
    char err[1024];
    json_t *sbc = k1s__sandbox_config(kl, pod, 0);
    json_t *rq = json_pack("{s:s, s:o, s:o}", "pod_sandbox_id", s->sandbox_id, "config", cfg,
                           "sandbox_config", sbc);
    json_t *r = k1s__cri(kl, "CreateContainer", rq, K1S__CRI_WORK, err, sizeof err);
    json_decref(rq);
    if (!r) {
        k1s__set_waiting(ps, name, "CreateContainerError", grpc_desc(err));
        K1S__EVENT(kl, pod, "Warning", "Failed", "Error: %s", grpc_desc(err));
        return -1;
    }
    char id[160];
    snprintf(id, sizeof id, "%s", k1s_json_str_or(r, "container_id", ""));
    json_decref(r);
    K1S__EVENT(kl, pod, "Normal", "Created", "Created container: %s", name);
    rq = json_pack("{s:s}", "container_id", id);
    r = k1s__cri(kl, "StartContainer", rq, K1S__CRI_WORK, err, sizeof err);
    json_decref(rq);
    if (!r) {
        k1s__set_waiting(ps, name, "RunContainerError", grpc_desc(err));
        K1S__EVENT(kl, pod, "Warning", "Failed", "Error: %s", grpc_desc(err));
        return -1;
    }
    json_decref(r);
    json_object_del(ps->waiting, name);
    K1S__EVENT(kl, pod, "Normal", "Started", "Started container %s", name);
    return 0;
}
