/*
 * http_logs.c - GET .../pods/NAME/log: kube-apiserver's checks (LogREST,
 * LogLocation, ValidatePodLogOptions), the kubelet's (the container must
 * have run), then the container's CRI log file from the node backend,
 * streamed as text/plain.
 *
 * With follow=true the response stays open: when the file has nothing new
 * the connection is suspended, and the stream hub's ticker resumes it when
 * the file grows, and once a second to check for rotation and whether the
 * container still runs, as the kubelet does. A stream ends after the
 * container has stopped (or its file is gone) and the rest was sent.
 */
#include "stream_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_BLOCK (32 * 1024)
#define CHECK_EVERY_MS 1000

typedef struct logstream {
    k1s_hub_member member; /* joined only when following */
    bool joined;
    k1s_stream_hub *hub;
    struct MHD_Connection *con;
    pthread_mutex_t mu;
    k1s_logfile *f; /* owned */
    k1s_buf out;
    size_t off;
    bool follow;
    bool final; /* the container stopped: read to the end */
    bool done, ending, suspended;
    int64_t next_check;               /* ms, monotonic */
    char *ns, *pod, *container, *cid; /* owned: whose run is followed */
} logstream;

/* ---- options ----------------------------------------------------------------- */

static int int_arg(struct MHD_Connection *c, const char *name, int64_t *v, bool *set,
                   k1s_status *st)
{
    const char *s = k1s__arg(c, name);
    *set = false;
    if (!s)
        return 0;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (!*s || *end || errno)
        return k1s_err_bad_request(st, "strconv.ParseInt: parsing \"%.64s\": %s", s,
                                   errno == ERANGE ? "value out of range" : "invalid syntax");
    *v = x;
    *set = true;
    return 0;
}

/* Query parameters into o; kube's ValidatePodLogOptions. */
static int log_options(struct MHD_Connection *c, const char *pod, k1s_logopts *o, k1s_status *st)
{
    int64_t since_s = 0, tail = 0, limit = 0, since_t = 0;
    bool has_since_s, has_tail, has_limit;
    if (int_arg(c, "sinceSeconds", &since_s, &has_since_s, st) ||
        int_arg(c, "tailLines", &tail, &has_tail, st) ||
        int_arg(c, "limitBytes", &limit, &has_limit, st))
        return -1;
    const char *stime = k1s__arg(c, "sinceTime");
    bool has_since_t = stime && *stime;
    if (has_since_t && k1s__parse_rfc3339(stime, strlen(stime), &since_t))
        return k1s_err_bad_request(
            st,
            "parsing time \"%.64s\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"%.64s\" as \"2006\"",
            stime, stime);
    k1s_ferrs fe;
    k1s_ferrs_init(&fe);
    if (has_tail && tail < 0) {
        json_t *v = json_integer(tail);
        k1s_ferr_invalid(&fe, "tailLines", v, "must be greater than or equal to 0");
        json_decref(v);
    }
    if (has_limit && limit < 1) {
        json_t *v = json_integer(limit);
        k1s_ferr_invalid(&fe, "limitBytes", v, "must be greater than 0");
        json_decref(v);
    }
    if (has_since_s && has_since_t) {
        k1s_ferr_forbidden(&fe, "",
                           "at most one of `sinceTime` or `sinceSeconds` may be specified");
    } else if (has_since_s && since_s < 1) {
        json_t *v = json_integer(since_s);
        k1s_ferr_invalid(&fe, "sinceSeconds", v, "must be greater than 0");
        json_decref(v);
    }
    int rc = 0;
    if (k1s_ferrs_count(&fe))
        rc = k1s_err_invalid(st, "", "PodLogOptions", pod, &fe);
    k1s_ferrs_free(&fe);
    if (rc)
        return rc;
    *o = (k1s_logopts){.timestamps = k1s__stream_bool(c, "timestamps"),
                       .follow = k1s__stream_bool(c, "follow"),
                       .tail = has_tail ? tail : -1,
                       .limit = has_limit ? limit : -1};
    if (has_since_s) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        /* further back than the epoch: everything (kube accepts any size) */
        o->since_ns = since_s >= (int64_t)now.tv_sec
                          ? 0
                          : ((int64_t)now.tv_sec - since_s) * 1000000000LL + now.tv_nsec;
    } else if (has_since_t) {
        /* the API server hands the kubelet whole seconds */
        o->since_ns = since_t - ((since_t % 1000000000LL) + 1000000000LL) % 1000000000LL;
    }
    return 0;
}

/* ---- the container's state (the kubelet's validateContainerLogStatus) ------ */

static const json_t *container_status(const json_t *pod, const char *name)
{
    static const char *const lists[] = {"containerStatuses", "initContainerStatuses",
                                        "ephemeralContainerStatuses"};
    const json_t *status = json_object_get(pod, "status");
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        json_t *cs;
        json_array_foreach(json_object_get(status, lists[l]), i, cs)
        {
            const char *n = json_string_value(json_object_get(cs, "name"));
            if (n && !strcmp(n, name))
                return cs;
        }
    }
    return NULL;
}

static const char *state_id(const json_t *state, const char *which)
{
    const char *id =
        json_string_value(json_object_get(json_object_get(state, which), "containerID"));
    return id && *id ? id : NULL;
}

/* Which run of the container the logs are of: *cid (borrowed; may be ""
 * when the status has no ID), or -1 with a 400 as the kubelet says it. */
static int log_status(const json_t *pod, const char *pname, const char *cname, bool previous,
                      const char **cid, k1s_status *st)
{
    const json_t *cs = container_status(pod, cname);
    if (!cs)
        return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is not available", cname,
                                   pname);
    const json_t *state = json_object_get(cs, "state");
    const json_t *last = json_object_get(cs, "lastState");
    const char *own = json_string_value(json_object_get(cs, "containerID"));
    const char *last_id = state_id(last, "terminated");
    if (previous) {
        if (!last_id)
            return k1s_err_bad_request(
                st, "previous terminated container \"%s\" in pod \"%s\" not found", cname, pname);
        *cid = last_id;
    } else if (json_object_get(state, "running")) {
        *cid = own ? own : "";
    } else if (json_object_get(state, "terminated")) {
        const char *tid = state_id(state, "terminated");
        if (!tid)
            tid = last_id;
        if (!tid)
            return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is terminated", cname,
                                       pname);
        *cid = tid;
    } else if (json_object_get(last, "terminated")) {
        if (!last_id)
            return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is terminated", cname,
                                       pname);
        *cid = last_id;
    } else if (json_object_get(state, "waiting")) {
        const char *reason =
            json_string_value(json_object_get(json_object_get(state, "waiting"), "reason"));
        if (reason && !strcmp(reason, "ErrImagePull"))
            return k1s_err_bad_request(
                st, "container \"%s\" in pod \"%s\" is waiting to start: image can't be pulled",
                cname, pname);
        if (reason && !strcmp(reason, "ImagePullBackOff"))
            return k1s_err_bad_request(
                st,
                "container \"%s\" in pod \"%s\" is waiting to start: trying and failing to pull image",
                cname, pname);
        return k1s_err_bad_request(st, "container \"%s\" in pod \"%s\" is waiting to start: %s",
                                   cname, pname, reason ? reason : "");
    } else {
        return k1s_err_bad_request(
            st, "container \"%s\" in pod \"%s\" is waiting to start - no logs yet", cname, pname);
    }
    return 0;
}

/* Is the run being followed still going? */
static bool still_running(logstream *ls)
{
    k1s_status st = {0};
    json_t *pod = k1s__stream_pod(ls->hub, ls->ns, ls->pod, &st);
    k1s_status_clear(&st);
    const json_t *cs = pod ? container_status(pod, ls->container) : NULL;
    bool running = cs && json_object_get(json_object_get(cs, "state"), "running");
    const char *id = cs ? json_string_value(json_object_get(cs, "containerID")) : NULL;
    if (running && *ls->cid && (!id || strcmp(id, ls->cid)))
        running = false; /* restarted: this run is over */
    json_decref(pod);
    return running;
}

/* ---- the stream ---------------------------------------------------------------- */

/* A suspended connection is not watched by libmicrohttpd: look at the
 * socket itself, so a follower whose client left does not wait for the
 * container's next line to notice. */
static bool client_gone(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return false;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static ssize_t log_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    logstream *ls = cls;
    (void)pos;
    pthread_mutex_lock(&ls->mu);
    for (;;) {
        if (ls->out.len > ls->off) {
            size_t n = ls->out.len - ls->off;
            if (n > max)
                n = max;
            memcpy(buf, ls->out.p + ls->off, n);
            ls->off += n;
            pthread_mutex_unlock(&ls->mu);
            return (ssize_t)n;
        }
        ls->out.len = ls->off = 0;
        if (ls->done || ls->ending)
            break;
        bool done = false;
        int rc = k1s__logfile_read(ls->f, &ls->out, LOG_BLOCK, !ls->follow || ls->final, &done);
        if (rc < 0 || done)
            ls->done = true;
        if (ls->out.len || ls->done)
            continue;
        if (!ls->follow || ls->final) {
            ls->done = true;
            continue;
        }
        int64_t now = k1s_time_mono_ms();
        if (now >= ls->next_check) {
            ls->next_check = now + CHECK_EVERY_MS;
            if (client_gone(ls->con)) {
                ls->done = true;
                continue;
            }
            int rot = k1s__logfile_reopen_if_rotated(ls->f);
            if (rot > 0)
                continue;
            if (rot < 0 || !still_running(ls)) {
                ls->final = true; /* what is left, then the end */
                continue;
            }
        }
        ls->suspended = true;
        MHD_suspend_connection(ls->con);
        pthread_mutex_unlock(&ls->mu);
        return 0;
    }
    pthread_mutex_unlock(&ls->mu);
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/* The hub's ticker: wake a waiting follower when its file grew or a
 * check is due; at stop, end it. */
static void log_poke(void *ctx, bool stopping)
{
    logstream *ls = ctx;
    pthread_mutex_lock(&ls->mu);
    if (stopping)
        ls->ending = true;
    if (ls->suspended &&
        (stopping || k1s_time_mono_ms() >= ls->next_check || k1s__logfile_grown(ls->f))) {
        ls->suspended = false;
        MHD_resume_connection(ls->con);
    }
    pthread_mutex_unlock(&ls->mu);
}

static void log_destroy(logstream *ls)
{
    k1s__logfile_close(ls->f);
    free(ls->out.p);
    free(ls->ns);
    free(ls->pod);
    free(ls->container);
    free(ls->cid);
    pthread_mutex_destroy(&ls->mu);
    free(ls);
}

static void log_free(void *cls)
{
    logstream *ls = cls;
    if (ls->joined)
        k1s__hub_leave(ls->hub, &ls->member);
    log_destroy(ls);
}

static int open_failed(k1s_status *st, const char *path, int e)
{
    if (e == ENOENT)
        return k1s_err_bad_request(st,
                                   "failed to try resolving symlinks in path \"%s\": lstat %s: %s",
                                   path, path, strerror(e));
    return k1s_err_bad_request(st, "failed to open log file \"%s\": open %s: %s", path, path,
                               strerror(e));
}

enum MHD_Result k1s_stream_pod_log(k1s_stream_hub *hub, struct MHD_Connection *c,
                                   const char *method, const char *ns, const char *name)
{
    if (strcmp(method, "GET"))
        return k1s__reply_error(c, 405, "MethodNotAllowed",
                                "the server does not allow this method on the requested resource");
    k1s_status st = {0};
    k1s_logopts o;
    json_t *pod = NULL;
    char *path = NULL;
    logstream *ls = NULL;
    const char *cid = NULL;
    if (log_options(c, name, &o, &st))
        goto fail;
    pod = k1s__stream_pod(hub, ns, name, &st);
    if (!pod)
        goto fail;
    const char *container = k1s__stream_container(pod, k1s__arg(c, "container"), &st);
    if (!container)
        goto fail;
    const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    if (!node || !*node) {
        /* kube streams nothing for a pod without a node */
        json_decref(pod);
        return k1s__reply_text(c, 204, "text/plain", NULL, 0, NULL);
    }
    const k1s_node_backend *b = k1s__hub_node(hub);
    if (!b || !b->log_path) {
        char url[1024];
        snprintf(url, sizeof url, "https://%s:10250/containerLogs/%s/%s/%s", node, ns, name,
                 container);
        k1s__stream_no_node(&st, pod, url);
        goto fail;
    }
    bool previous = k1s__stream_bool(c, "previous");
    if (log_status(pod, name, container, previous, &cid, &st))
        goto fail;
    if (b->log_path(b->ctx, pod, container, previous, &path, &st) != 0 || !path) {
        if (!st.code)
            k1s_err_internal(&st, "the node returned no log file");
        goto fail;
    }
    ls = calloc(1, sizeof *ls);
    if (!ls) {
        k1s_err_internal(&st, "out of memory");
        goto fail;
    }
    pthread_mutex_init(&ls->mu, NULL);
    ls->hub = hub;
    ls->con = c;
    ls->follow = o.follow;
    ls->next_check = k1s_time_mono_ms() + CHECK_EVERY_MS;
    ls->ns = strdup(ns);
    ls->pod = strdup(name);
    ls->container = strdup(container);
    ls->cid = strdup(cid);
    ls->f = k1s__logfile_open(path, &o);
    if (!ls->f) {
        open_failed(&st, path, errno);
        goto fail;
    }
    if (!ls->ns || !ls->pod || !ls->container || !ls->cid) {
        k1s_err_internal(&st, "out of memory");
        goto fail;
    }
    if (o.follow) {
        ls->member = (k1s_hub_member){.poke = log_poke, .ctx = ls, .periodic = true};
        if (k1s__hub_join(hub, &ls->member)) {
            k1s_status_set(&st, 503, "ServiceUnavailable", "the server is shutting down");
            goto fail;
        }
        ls->joined = true;
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, LOG_BLOCK, log_read, ls, log_free);
    if (!r) {
        if (ls->joined)
            k1s__hub_leave(hub, &ls->member);
        log_destroy(ls);
        free(path);
        json_decref(pod);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/plain");
    MHD_add_response_header(r, "Cache-Control", "no-cache, private");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    free(path);
    json_decref(pod);
    return ret;

fail:;
    enum MHD_Result rr = k1s__reply_status(c, &st);
    k1s_status_clear(&st);
    if (ls)
        log_destroy(ls);
    free(path);
    json_decref(pod);
    return rr;
}
