/*
 * sim_status.c - the PodStatus the simulated kubelet reports for a running
 * pod. The container statuses are made up here, as a runtime that starts
 * every container at once would report them (running, ready, started;
 * init containers terminated Completed, sidecars running; the image as the
 * runtime resolves it, an image ID and a container ID). Phase and
 * conditions come from the containerd mode's helpers
 * (pod_phase.c), which compute them from those statuses as kubelet
 * does: Running, and the five conditions True (Ready waits for readiness
 * gates).
 *
 * Level-triggered: the result is computed from the stored status, so
 * feeding it its own output gives the same status back (no write), and a
 * restart of k1s leaves running pods exactly as they were.
 */
#include "sim_internal.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define RUNTIME "simulated"

static void hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = 0;
}

/* ---- images -------------------------------------------------------------------- */

/* The image as containerd names it (docker's normalization: "nginx" is
 * docker.io/library/nginx:latest) into image, and the repository alone
 * (docker.io/library/nginx) into repo. */
static void normalize_image(const char *in, char *image, size_t ilen, char *repo, size_t rlen)
{
    char name[512], suffix[300] = "";
    snprintf(name, sizeof name, "%s", in);
    char *at = strchr(name, '@');
    if (at) {
        snprintf(suffix, sizeof suffix, "%s", at);
        *at = 0;
    } else {
        char *slash = strrchr(name, '/');
        char *colon = strrchr(slash ? slash : name, ':');
        if (colon) {
            snprintf(suffix, sizeof suffix, "%s", colon);
            *colon = 0;
        } else {
            snprintf(suffix, sizeof suffix, ":latest");
        }
    }
    const char *slash = strchr(name, '/');
    size_t first = slash ? (size_t)(slash - name) : 0;
    bool has_domain = slash && (memchr(name, '.', first) || memchr(name, ':', first) ||
                                (first == 9 && !strncmp(name, "localhost", 9)));
    if (has_domain)
        snprintf(repo, rlen, "%s", name);
    else if (slash)
        snprintf(repo, rlen, "docker.io/%s", name);
    else
        snprintf(repo, rlen, "docker.io/library/%s", name);
    snprintf(image, ilen, "%s%s", repo, suffix);
}

/* "<repo>@sha256:<64 hex>": the digest given in the reference, else one
 * derived from the image name (stable, so a restart reports the same). */
static void image_id(const char *spec_image, char *out, size_t len)
{
    char image[1024], repo[1024];
    normalize_image(spec_image, image, sizeof image, repo, sizeof repo);
    const char *at = strchr(spec_image, '@');
    if (at) {
        snprintf(out, len, "%s%s", repo, at);
        return;
    }
    unsigned char d[32];
    char h[65];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, image, strlen(image), d) != 0)
        memset(d, 0, sizeof d);
    hex(d, sizeof d, h);
    snprintf(out, len, "%s@sha256:%s", repo, h);
}

static json_t *new_container_id(void)
{
    unsigned char b[32];
    char h[65], id[96];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        memset(b, 0x5a, sizeof b);
    hex(b, sizeof b, h);
    snprintf(id, sizeof id, "%s://%s", RUNTIME, h);
    return json_string(id);
}

/* ---- containers ------------------------------------------------------------------ */

/* A container (re)started now. prev: its former status or NULL. running:
 * false for an init container, which has already run to completion. */
static json_t *started_status(const json_t *ctr, const json_t *prev, bool running, const char *now)
{
    char image[1024], repo[1024], id[1200];
    normalize_image(k1s_json_str_or(ctr, "image", ""), image, sizeof image, repo, sizeof repo);
    image_id(k1s_json_str_or(ctr, "image", ""), id, sizeof id);
    const json_t *prun = json_object_get(json_object_get(prev, "state"), "running");
    json_int_t restarts = json_integer_value(json_object_get(prev, "restartCount"));
    json_t *last = json_object(); /* new */
    if (prun) {
        /* replaced (a new image): the old one stopped cleanly */
        restarts++;
        json_object_set_new(last, "terminated",
                            json_pack("{s:i, s:s, s:O*, s:s, s:O*}", "exitCode", 0, "reason",
                                      "Completed", "startedAt", json_object_get(prun, "startedAt"),
                                      "finishedAt", now, "containerID",
                                      json_object_get(prev, "containerID")));
    }
    json_t *cid = new_container_id();
    json_t *state =
        running ? json_pack("{s:{s:s}}", "running", "startedAt", now)
                : json_pack("{s:{s:i, s:s, s:s, s:s, s:O}}", "terminated", "exitCode", 0, "reason",
                            "Completed", "startedAt", now, "finishedAt", now, "containerID", cid);
    json_t *s = json_pack("{s:s, s:o, s:o, s:b, s:I, s:s, s:s, s:o, s:b}", "name",
                          k1s_json_str_or(ctr, "name", ""), "state", state, "lastState", last,
                          "ready", 1, "restartCount", restarts, "image", image, "imageID", id,
                          "containerID", cid, "started", running);
    /* a simulated runtime can do anything, recursive read-only mounts too */
    json_t *mounts = k1s__mount_statuses(ctr, true);
    if (mounts)
        json_object_set_new(s, "volumeMounts", mounts);
    return s;
}

/* Statuses of one container list. init: the list is initContainers. */
static json_t *container_statuses(const json_t *ctrs, const json_t *prevs, bool init,
                                  const char *now, json_t *started)
{
    json_t *out = json_array();
    size_t i;
    const json_t *ctr;
    json_array_foreach(ctrs, i, ctr)
    {
        const json_t *prev = k1s__named(prevs, k1s_json_str_or(ctr, "name", ""));
        bool sidecar = init && !strcmp(k1s_json_str_or(ctr, "restartPolicy", ""), "Always");
        bool keep;
        if (init && !sidecar) {
            /* an init container that completed is never run again */
            keep = k1s__cs_has(prev, "terminated");
        } else {
            char image[1024], repo[1024];
            normalize_image(k1s_json_str_or(ctr, "image", ""), image, sizeof image, repo,
                            sizeof repo);
            keep =
                k1s__cs_has(prev, "running") && !strcmp(k1s_json_str_or(prev, "image", ""), image);
        }
        if (keep) {
            json_array_append(out, (json_t *)prev);
            continue;
        }
        json_array_append_new(out, started_status(ctr, prev, !init || sidecar, now));
        json_array_append(started, (json_t *)ctr);
    }
    return out;
}

/* ---- the status ------------------------------------------------------------------------ */

json_t *k1s__sim_pod_status(const json_t *pod, const char *host_ip, const char *pod_ip,
                            json_t **started)
{
    char now[32];
    k1s_time_format_now(now, sizeof now);
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *old = json_object_get(pod, "status");
    *started = json_array();
    json_t *inits = NULL;
    if (json_array_size(json_object_get(spec, "initContainers")))
        inits =
            container_statuses(json_object_get(spec, "initContainers"),
                               json_object_get(old, "initContainerStatuses"), true, now, *started);
    json_t *ctrs =
        container_statuses(json_object_get(spec, "containers"),
                           json_object_get(old, "containerStatuses"), false, now, *started);
    /* phase and conditions as kubelet derives them from these statuses;
     * the pod is not terminal and its init containers are done */
    json_t *s = json_object();
    json_object_set_new(s, "phase", json_string(k1s__pod_phase(spec, inits, ctrs, false, true)));
    if (inits)
        json_object_set(s, "initContainerStatuses", inits);
    json_object_set(s, "containerStatuses", ctrs);
    json_t *conds = k1s__pod_conditions(pod, s, true, now);
    json_object_del(s, "initContainerStatuses");
    json_object_del(s, "containerStatuses");
    /* the keys in the order of v1.PodStatus, then anything else kept */
    json_object_set_new(s, "conditions", conds);
    static const char *const between[] = {"message", "reason", "nominatedNodeName", NULL};
    for (const char *const *k = between; *k; k++)
        if (json_object_get(old, *k))
            json_object_set(s, *k, json_object_get(old, *k));
    json_object_set_new(s, "hostIP", json_string(host_ip));
    json_object_set_new(s, "hostIPs", json_pack("[{s:s}]", "ip", host_ip));
    json_object_set_new(s, "podIP", json_string(pod_ip));
    json_object_set_new(s, "podIPs", json_pack("[{s:s}]", "ip", pod_ip));
    const json_t *start = json_object_get(old, "startTime");
    json_object_set_new(s, "startTime",
                        json_is_string(start) ? json_incref((json_t *)start) : json_string(now));
    if (inits)
        json_object_set_new(s, "initContainerStatuses", inits);
    json_object_set_new(s, "containerStatuses", ctrs);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)old, k, v)
    {
        if (!json_object_get(s, k))
            json_object_set(s, k, v);
    }
    return s;
}
