/*
 * kubelet_backend.c - the node's side of pods/exec, attach, portforward
 * and log for the API server (k1s_node_backend). Called from the API
 * server's request threads: it uses only the CRI client (thread-safe) and
 * the files under <data-dir>/pods, never the loop's state.
 *
 * exec/attach: the running container is found by its labels (pod uid and
 * container name) and CRI Exec/Attach gives the runtime's streaming URL;
 * portforward: the pod's ready sandbox and CRI PortForward. log: the
 * container the pod's status names (current, or lastState for
 * --previous), its log file from CRI ContainerStatus, with kubelet's
 * messages when there is none.
 */
#include "pods_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cri_failed(k1s_status *st, const char *what, const k1s_cri_error *e)
{
    return k1s_status_set(st, 500, "InternalError", "%s: %s", what,
                          e->message ? e->message : "rpc error");
}

/* The id of the first listed item (ListContainers/ListPodSandbox) into id;
 * -1 with st set on a runtime error, 0 with id "" when there is none. */
static int first_id(k1s_kubelet *kl, const char *method, json_t *rq, const char *items, char *id,
                    size_t len, k1s_status *st)
{
    json_t *r = NULL;
    k1s_cri_error e = {0};
    id[0] = 0;
    int rc = k1s_cri_call(kl->cri, method, rq, &r, K1S__CRI_QUICK, &e);
    json_decref(rq);
    if (rc != 0) {
        cri_failed(st, "cannot list the runtime's containers", &e);
        k1s_cri_error_clear(&e);
        return -1;
    }
    const json_t *first = json_array_get(json_object_get(r, items), 0);
    snprintf(id, len, "%s", k1s_json_str_or(first, "id", ""));
    json_decref(r);
    return 0;
}

static int stream_url(void *ctx, const k1s_stream_request *rq, char **url, k1s_status *st)
{
    k1s_kubelet *kl = ctx;
    const char *uid = k1s_json_str_or(rq->pod, "metadata.uid", "");
    char id[160];
    json_t *req;
    const char *method;
    *url = NULL;
    if (!strcmp(rq->verb, "portforward")) {
        if (first_id(kl, "ListPodSandbox",
                     json_pack("{s:{s:{s:s}, s:{s:s}}}", "filter", "state", "state",
                               "SANDBOX_READY", "label_selector", K1S__L_POD_UID, uid),
                     "items", id, sizeof id, st) != 0)
            return -1;
        if (!*id)
            return k1s_err_bad_request(st, "pod not found (\"%s_%s\")",
                                       k1s_json_str_or(rq->pod, "metadata.name", ""),
                                       k1s_json_str_or(rq->pod, "metadata.namespace", ""));
        json_t *ports = json_array();
        for (size_t i = 0; i < rq->nports; i++)
            json_array_append_new(ports, json_integer(rq->ports[i]));
        req = json_pack("{s:s, s:o}", "pod_sandbox_id", id, "port", ports);
        method = "PortForward";
    } else {
        const char *name = rq->container ? rq->container : "";
        if (first_id(kl, "ListContainers",
                     json_pack("{s:{s:{s:s}, s:{s:s, s:s}}}", "filter", "state", "state",
                               "CONTAINER_RUNNING", "label_selector", K1S__L_POD_UID, uid,
                               K1S__L_CTR_NAME, name),
                     "containers", id, sizeof id, st) != 0)
            return -1;
        if (!*id)
            return k1s_err_bad_request(st, "container not found (\"%s\")", name);
        if (!strcmp(rq->verb, "exec")) {
            json_t *cmd = json_array();
            for (size_t i = 0; i < rq->ncommand; i++)
                json_array_append_new(cmd, json_string(rq->command[i] ? rq->command[i] : ""));
            req = json_pack("{s:s, s:o, s:b, s:b, s:b, s:b}", "container_id", id, "cmd", cmd, "tty",
                            rq->tty, "stdin", rq->in, "stdout", rq->out, "stderr",
                            rq->err && !rq->tty);
            method = "Exec";
        } else {
            req = json_pack("{s:s, s:b, s:b, s:b, s:b}", "container_id", id, "stdin", rq->in, "tty",
                            rq->tty, "stdout", rq->out, "stderr", rq->err && !rq->tty);
            method = "Attach";
        }
    }
    json_t *r = NULL;
    k1s_cri_error e = {0};
    int rc = k1s_cri_call(kl->cri, method, req, &r, K1S__CRI_QUICK, &e);
    json_decref(req);
    if (rc != 0) {
        char what[64];
        snprintf(what, sizeof what, "%s failed", method);
        cri_failed(st, what, &e);
        k1s_cri_error_clear(&e);
        return -1;
    }
    *url = strdup(k1s_json_str_or(r, "url", ""));
    json_decref(r);
    if (!*url || !**url) {
        free(*url);
        *url = NULL;
        return k1s_status_set(st, 500, "InternalError", "the runtime gave no streaming URL");
    }
    return 0;
}

/* ---- logs ------------------------------------------------------------------------------ */

static const json_t *status_of(const json_t *pod, const char *name)
{
    const char *lists[] = {"containerStatuses", "initContainerStatuses",
                           "ephemeralContainerStatuses"};
    const json_t *status = json_object_get(pod, "status"), *cs = NULL;
    for (int l = 0; l < 3 && !cs; l++)
        cs = k1s__named(json_object_get(status, lists[l]), name);
    return cs;
}

/* The highest (or, with second, the next highest) N of "<N>.log" in dir;
 * -1 when none. */
static long log_number(const char *dir, bool second)
{
    long best = -1, next = -1;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char *end = NULL;
        long n = strtol(e->d_name, &end, 10);
        if (end == e->d_name || strcmp(end, ".log") != 0 || n < 0)
            continue;
        if (n > best) {
            next = best;
            best = n;
        } else if (n > next) {
            next = n;
        }
    }
    if (d)
        closedir(d);
    return second ? next : best;
}

/* The log file of container id "containerd://<id>": from the runtime,
 * else by the attempt numbers on disk. */
static char *log_file(k1s_kubelet *kl, const json_t *pod, const char *name, const char *cid,
                      bool previous)
{
    const char *id = strstr(cid, "://") ? strstr(cid, "://") + 3 : cid;
    char dir[4200];
    k1s__pod_dir(kl, k1s_json_str_or(pod, "metadata.namespace", ""),
                 k1s_json_str_or(pod, "metadata.name", ""),
                 k1s_json_str_or(pod, "metadata.uid", ""), dir, sizeof dir);
    json_t *rq = json_pack("{s:s}", "container_id", id), *r = NULL;
    k1s_cri_error e = {0};
    char *path = NULL;
    if (k1s_cri_call(kl->cri, "ContainerStatus", rq, &r, K1S__CRI_QUICK, &e) == 0) {
        const char *lp = k1s_json_str_or(r, "status.log_path", "");
        if (*lp == '/')
            path = strdup(lp);
        else if (*lp && asprintf(&path, "%s/%s", dir, lp) < 0)
            path = NULL;
    }
    k1s_cri_error_clear(&e);
    json_decref(rq);
    json_decref(r);
    if (path)
        return path;
    char cdir[4500];
    snprintf(cdir, sizeof cdir, "%s/%s", dir, name);
    long n = log_number(cdir, previous);
    if (n < 0 || asprintf(&path, "%s/%ld.log", cdir, n) < 0)
        return NULL;
    return path;
}

static int log_path(void *ctx, const json_t *pod, const char *container, bool previous, char **path,
                    k1s_status *st)
{
    k1s_kubelet *kl = ctx;
    const char *pname = k1s_json_str_or(pod, "metadata.name", "");
    *path = NULL;
    const json_t *cs = status_of(pod, container);
    if (!cs)
        return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is not available", container,
                                   pname);
    const json_t *state = json_object_get(cs, "state");
    const json_t *last = json_object_get(json_object_get(cs, "lastState"), "terminated");
    const json_t *term = json_object_get(state, "terminated");
    const char *cid = NULL;
    if (previous) {
        cid = k1s_json_str_or(last, "containerID", "");
        if (!*cid)
            return k1s_err_bad_request(
                st, "previous terminated container \"%s\" in pod \"%s\" not found", container,
                pname);
    } else if (json_object_get(state, "running")) {
        cid = k1s_json_str_or(cs, "containerID", "");
    } else if (term) {
        cid = *k1s_json_str_or(term, "containerID", "") ? k1s_json_str_or(term, "containerID", "")
                                                        : k1s_json_str_or(last, "containerID", "");
        if (!*cid)
            return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is terminated",
                                       container, pname);
    } else if (last) {
        cid = k1s_json_str_or(last, "containerID", "");
        if (!*cid)
            return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is terminated",
                                       container, pname);
    } else {
        const char *reason = k1s_json_str_or(state, "waiting.reason", "");
        const char *why = !strcmp(reason, "ErrImagePull")       ? "image can't be pulled"
                          : !strcmp(reason, "ImagePullBackOff") ? "trying and failing to pull image"
                                                                : reason;
        if (!*why)
            return k1s_err_bad_request(
                st, "container \"%s\" in pod \"%s\" is waiting to start - no logs yet", container,
                pname);
        return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is waiting to start: %s",
                                   container, pname, why);
    }
    *path = log_file(kl, pod, container, cid, previous);
    if (!*path)
        return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is not available", container,
                                   pname);
    return 0;
}

k1s_node_backend k1s__backend(k1s_kubelet *kl)
{
    return (k1s_node_backend){.ctx = kl, .stream_url = stream_url, .log_path = log_path};
}
