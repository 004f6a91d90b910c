/*
 * kubelet_sim_status.c - the PodStatus a kubelet reports for a running
 * pod, built the way the kubelet's status manager does: phase Running,
 * the five conditions in the kubelet's order, host and pod IPs, start
 * time, one status per container (running, ready, started; init
 * containers terminated Completed, sidecars running) with the image as
 * the runtime resolves it, an image ID and a container ID.
 *
 * Level-triggered: the result is computed from the stored status, so
 * feeding it its own output gives the same status back (no write), and a
 * restart of k1s leaves running pods exactly as they were.
 */
#include "kubelet_sim_internal.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

void k1s__kubelet_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

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
static void normalize_image(const char *in, char *image, size_t ilen,
                            char *repo, size_t rlen)
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
    snprintf(id, sizeof id, "%s://%s", K1S__KUBELET_RUNTIME, h);
    return json_string(id);
}

/* ---- containers ------------------------------------------------------------------ */

static const json_t *find_named(const json_t *arr, const char *name)
{
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i, x)
    {
        if (!strcmp(str(x, "name"), name))
            return x;
    }
    return NULL;
}

/* The mounts as the runtime reports them (RecursiveReadOnlyMounts):
 * read-only ones say whether the read-only is recursive. New ref or NULL. */
static json_t *mount_statuses(const json_t *ctr)
{
    const json_t *mounts = json_object_get(ctr, "volumeMounts");
    if (!json_array_size(mounts))
        return NULL;
    json_t *out = json_array();
    size_t i;
    const json_t *m;
    json_array_foreach(mounts, i, m)
    {
        json_t *s = json_pack("{s:s, s:s}", "name", str(m, "name"), "mountPath",
                              str(m, "mountPath"));
        if (json_is_true(json_object_get(m, "readOnly"))) {
            const char *rro = str(m, "recursiveReadOnly");
            json_object_set_new(s, "readOnly", json_true());
            json_object_set_new(s, "recursiveReadOnly",
                                json_string(!strcmp(rro, "Enabled") || !strcmp(rro, "IfPossible")
                                                ? "Enabled"
                                                : "Disabled"));
        }
        json_array_append_new(out, s);
    }
    return out;
}

/* A container (re)started now. prev: its former status or NULL. running:
 * false for an init container, which has already run to completion. */
static json_t *started_status(const json_t *ctr, const json_t *prev, bool running,
                              const char *now)
{
    char image[1024], repo[1024], id[1200];
    normalize_image(str(ctr, "image"), image, sizeof image, repo, sizeof repo);
    image_id(str(ctr, "image"), id, sizeof id);
    const json_t *prun = json_object_get(json_object_get(prev, "state"), "running");
    json_int_t restarts = json_integer_value(json_object_get(prev, "restartCount"));
    json_t *last = json_object(); /* new */
    if (prun) {
        /* replaced (a new image): the old one stopped cleanly */
        restarts++;
        json_object_set_new(last, "terminated",
                            json_pack("{s:i, s:s, s:O*, s:s, s:O*}", "exitCode", 0, "reason",
                                      "Completed", "startedAt",
                                      json_object_get(prun, "startedAt"), "finishedAt", now,
                                      "containerID", json_object_get(prev, "containerID")));
    }
    json_t *cid = new_container_id();
    json_t *state = running
                        ? json_pack("{s:{s:s}}", "running", "startedAt", now)
                        : json_pack("{s:{s:i, s:s, s:s, s:s, s:O}}", "terminated", "exitCode", 0,
                                    "reason", "Completed", "startedAt", now, "finishedAt", now,
                                    "containerID", cid);
    json_t *s = json_pack("{s:s, s:o, s:o, s:b, s:I, s:s, s:s, s:o, s:b}", "name",
                          str(ctr, "name"), "state", state, "lastState", last, "ready", 1,
                          "restartCount", restarts, "image", image, "imageID", id,
                          "containerID", cid, "started", running);
    json_t *mounts = mount_statuses(ctr);
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
        const json_t *prev = find_named(prevs, str(ctr, "name"));
        const json_t *pstate = json_object_get(prev, "state");
        bool sidecar = init && !strcmp(str(ctr, "restartPolicy"), "Always");
        bool keep;
        if (init && !sidecar) {
            /* an init container that completed is never run again */
            keep = json_object_get(pstate, "terminated") != NULL;
        } else {
            char image[1024], repo[1024];
            normalize_image(str(ctr, "image"), image, sizeof image, repo, sizeof repo);
            keep = json_object_get(pstate, "running") && !strcmp(str(prev, "image"), image);
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

/* ---- conditions ---------------------------------------------------------------------- */

/* Ready also waits for the pod's readiness gates. NULL: ready, else the
 * message why not into buf. */
static const char *gates_message(const json_t *pod, char *buf, size_t len)
{
    const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions");
    size_t i;
    const json_t *g;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "readinessGates"), i, g)
    {
        const char *type = str(g, "conditionType");
        const json_t *c = NULL;
        size_t j;
        const json_t *x;
        json_array_foreach(conds, j, x)
        {
            if (!strcmp(str(x, "type"), type))
                c = x;
        }
        if (!c) {
            snprintf(buf, len, "corresponding condition of pod readiness gate \"%.200s\" does not exist.",
                     type);
            return buf;
        }
        if (strcmp(str(c, "status"), "True") != 0) {
            snprintf(buf, len, "the status of pod readiness gate \"%.200s\" is not \"True\", but %.32s",
                     type, str(c, "status"));
            return buf;
        }
    }
    return NULL;
}

/* One condition: the stored one when it already says the same, else a
 * fresh one with the transition time moved only if the status changed. */
static json_t *condition(const json_t *prevs, const char *type, bool ok,
                         const char *reason, const char *message, const char *now)
{
    const json_t *prev = NULL;
    size_t i;
    const json_t *x;
    json_array_foreach(prevs, i, x)
    {
        if (!strcmp(str(x, "type"), type))
            prev = x;
    }
    const char *status = ok ? "True" : "False";
    if (prev && !strcmp(str(prev, "status"), status) && !strcmp(str(prev, "reason"), reason ? reason : "") &&
        !strcmp(str(prev, "message"), message ? message : ""))
        return json_incref((json_t *)prev);
    json_t *c = json_pack("{s:s, s:s, s:n, s:s}", "type", type, "status", status,
                          "lastProbeTime", "lastTransitionTime", now);
    json_t *was = json_object_get(prev, "lastTransitionTime");
    if (prev && !strcmp(str(prev, "status"), status) && json_is_string(was))
        json_object_set(c, "lastTransitionTime", was);
    if (reason)
        json_object_set_new(c, "reason", json_string(reason));
    if (message)
        json_object_set_new(c, "message", json_string(message));
    return c;
}

static json_t *conditions(const json_t *pod, const char *now)
{
    static const char *const ours[] = {"PodReadyToStartContainers", "Initialized", "Ready",
                                       "ContainersReady", "PodScheduled", NULL};
    const json_t *prevs = json_object_get(json_object_get(pod, "status"), "conditions");
    char why[300];
    const char *gates = gates_message(pod, why, sizeof why);
    json_t *out = json_array();
    for (const char *const *t = ours; *t; t++) {
        bool gated = gates && !strcmp(*t, "Ready");
        json_array_append_new(out, condition(prevs, *t, !gated,
                                             gated ? "ReadinessGatesNotReady" : NULL,
                                             gated ? gates : NULL, now));
    }
    /* conditions others own (readiness gates, DisruptionTarget) stay */
    size_t i;
    const json_t *x;
    json_array_foreach(prevs, i, x)
    {
        bool mine = false;
        for (const char *const *t = ours; *t; t++)
            mine |= !strcmp(str(x, "type"), *t);
        if (!mine)
            json_array_append(out, (json_t *)x);
    }
    return out;
}

/* ---- the status ------------------------------------------------------------------------ */

json_t *k1s__kubelet_pod_status(const json_t *pod, const char *host_ip,
                                const char *pod_ip, json_t **started)
{
    char now[32];
    k1s__kubelet_now(now, sizeof now);
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *old = json_object_get(pod, "status");
    *started = json_array();
    /* the keys in the order of v1.PodStatus, then anything else kept */
    json_t *s = json_object();
    json_object_set_new(s, "phase", json_string("Running"));
    json_object_set_new(s, "conditions", conditions(pod, now));
    static const char *const between[] = {"message", "reason", "nominatedNodeName", NULL};
    for (const char *const *k = between; *k; k++)
        if (json_object_get(old, *k))
            json_object_set(s, *k, json_object_get(old, *k));
    json_object_set_new(s, "hostIP", json_string(host_ip));
    json_object_set_new(s, "hostIPs", json_pack("[{s:s}]", "ip", host_ip));
    json_object_set_new(s, "podIP", json_string(pod_ip));
    json_object_set_new(s, "podIPs", json_pack("[{s:s}]", "ip", pod_ip));
    const json_t *start = json_object_get(old, "startTime");
    json_object_set_new(s, "startTime", json_is_string(start) ? json_incref((json_t *)start)
                                                              : json_string(now));
    if (json_array_size(json_object_get(spec, "initContainers")))
        json_object_set_new(s, "initContainerStatuses",
                            container_statuses(json_object_get(spec, "initContainers"),
                                               json_object_get(old, "initContainerStatuses"),
                                               true, now, *started));
    json_object_set_new(s, "containerStatuses",
                        container_statuses(json_object_get(spec, "containers"),
                                           json_object_get(old, "containerStatuses"), false,
                                           now, *started));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)old, k, v)
    {
        if (!json_object_get(s, k))
            json_object_set(s, k, v);
    }
    return s;
}
