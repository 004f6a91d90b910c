/*
 * http_stream.c - pods/exec, pods/attach and pods/portforward: the checks
 * kube-apiserver makes (ExecLocation, AttachLocation, PortForwardLocation
 * in pkg/registry/core/pod/strategy.go) and the kubelet's request checks,
 * then the node backend's streaming URL and the upgrade proxy.
 *
 * Which upgrades are joined: SPDY/3.1, which every kubectl from 1.27 on
 * speaks, is proxied to the runtime as it is. kubectl >= 1.30 first tries
 * a WebSocket: v5.channel.k8s.io for exec/attach is bridged to SPDY
 * towards the runtime (http_ws.c, stream_bridge*.c), as kube-apiserver's
 * StreamTranslator does, because containerd's own WebSocket speaks only
 * v4, which cannot close stdin; port-forward's WebSocket (>= 1.31) gets a
 * 400 and kubectl falls back to SPDY. See docs/internals/streaming.md.
 */
#include "stream_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- query parameters ------------------------------------------------------ */

typedef struct argscan {
    const char *name;
    const char **vals;
    size_t n, cap;
    bool failed;
} argscan;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    argscan *a = cls;
    (void)kind;
    if (!key || strcmp(key, a->name) != 0)
        return MHD_YES;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        const char **v = realloc(a->vals, cap * sizeof *v);
        if (!v) {
            a->failed = true;
            return MHD_NO;
        }
        a->vals = v;
        a->cap = cap;
    }
    a->vals[a->n++] = value ? value : "";
    return MHD_YES;
}

const char **k1s__stream_args(struct MHD_Connection *c, const char *name, size_t *n)
{
    argscan a = {.name = name};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
    if (a.failed || a.n == 0) {
        free(a.vals);
        *n = 0;
        return NULL;
    }
    *n = a.n;
    return a.vals;
}

bool k1s__stream_bool(struct MHD_Connection *c, const char *name)
{
    const char *v = k1s__arg(c, name);
    return v && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

/* ---- pods ------------------------------------------------------------------ */

json_t *k1s__stream_pod(k1s_stream_hub *hub, const char *ns, const char *name, k1s_status *st)
{
    k1s_target t = {k1s_registry_find_kind("", "Pod"), ns ? ns : "", name, NULL};
    json_t *pod = NULL;
    if (k1s_api_get(k1s__hub_api(hub), &t, &pod, st))
        return NULL;
    return pod;
}

static const char *const container_lists[] = {"initContainers", "containers",
                                              "ephemeralContainers"};

const char *k1s__stream_container(const json_t *pod, const char *want, k1s_status *st)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *pname =
        json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
    if (!pname)
        pname = "";
    if (want && *want) {
        for (size_t l = 0; l < 3; l++) {
            size_t i;
            json_t *ct;
            json_array_foreach(json_object_get(spec, container_lists[l]), i, ct)
            {
                const char *n = json_string_value(json_object_get(ct, "name"));
                if (n && !strcmp(n, want))
                    return n;
            }
        }
        k1s_err_bad_request(st, "container %s is not valid for pod %s", want, pname);
        return NULL;
    }
    const json_t *cs = json_object_get(spec, "containers");
    if (json_array_size(cs) == 1) {
        const char *n = json_string_value(json_object_get(json_array_get(cs, 0), "name"));
        if (n)
            return n;
    }
    if (json_array_size(cs) == 0) {
        k1s_err_bad_request(st, "a container name must be specified for pod %s", pname);
        return NULL;
    }
    /* Go prints the []string of every container name as [a b c] */
    k1s_buf names = {0};
    k1s_buf_adds(&names, "[");
    bool first = true;
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        json_t *ct;
        json_array_foreach(json_object_get(spec, container_lists[l]), i, ct)
        {
            const char *n = json_string_value(json_object_get(ct, "name"));
            if (!first)
                k1s_buf_adds(&names, " ");
            k1s_buf_adds(&names, n ? n : "");
            first = false;
        }
    }
    k1s_buf_adds(&names, "]");
    size_t len;
    char *list = k1s_buf_take(&names, &len);
    k1s_err_bad_request(st, "a container name must be specified for pod %s, choose one of: %s",
                        pname, list ? list : "[]");
    free(list);
    return NULL;
}

int k1s__stream_no_node(k1s_status *st, const json_t *pod, const char *url)
{
    const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    if (url)
        k1s_status_set(st, 500, "", "Get \"%s\": no kubelet is serving node \"%s\"", url,
                       node ? node : "");
    else
        k1s_status_set(st, 500, "", "error dialing backend: no kubelet is serving node \"%s\"",
                       node ? node : "");
    return -1;
}

/* ---- the request ------------------------------------------------------------ */

typedef struct tokscan {
    const char *name, *token;
    bool found;
} tokscan;

/* One header line: does its comma-separated list hold the token? */
static enum MHD_Result scan_token(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *v)
{
    tokscan *ts = cls;
    (void)kind;
    if (!key || strcasecmp(key, ts->name) != 0)
        return MHD_YES;
    size_t n = strlen(ts->token);
    while (v && *v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        size_t len = strcspn(v, ",");
        size_t l = len;
        while (l && (v[l - 1] == ' ' || v[l - 1] == '\t'))
            l--;
        if (l == n && !strncasecmp(v, ts->token, n)) {
            ts->found = true;
            return MHD_NO;
        }
        v += len;
    }
    return MHD_YES;
}

bool k1s__header_has_token(struct MHD_Connection *c, const char *name, const char *token)
{
    tokscan ts = {name, token, false};
    MHD_get_connection_values(c, MHD_HEADER_KIND, scan_token, &ts);
    return ts.found;
}

/* kube's Convert_Slice_string_To_Slice_int32: repeated and/or
 * comma-separated values. */
static int parse_ports(struct MHD_Connection *c, int **ports, size_t *nports, k1s_status *st)
{
    size_t n;
    const char **vals = k1s__stream_args(c, "ports", &n);
    *ports = NULL;
    *nports = 0;
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        /* every comma-separated piece, empty ones included (kube refuses
         * "ports=" and "ports=80,") */
        for (const char *p = vals[i];; p++) {
            size_t len = strcspn(p, ",");
            char word[32];
            size_t wl = len < sizeof word ? len : sizeof word - 1;
            memcpy(word, p, wl);
            word[wl] = 0;
            char *end = NULL;
            errno = 0;
            unsigned long v = isdigit((unsigned char)word[0]) ? strtoul(word, &end, 10) : 0;
            const char *why = !end || *end || len != wl ? "invalid syntax"
                              : errno || v > 65535      ? "value out of range"
                                                        : NULL;
            if (why) {
                free(vals);
                free(*ports);
                *ports = NULL;
                *nports = 0;
                return k1s_err_bad_request(st,
                                           "cannot convert to []int32: strconv.ParseUint: "
                                           "parsing \"%s\": %s",
                                           word, why);
            }
            if (*nports == cap) {
                cap = cap ? cap * 2 : 4;
                int *np = realloc(*ports, cap * sizeof *np);
                if (!np) {
                    free(vals);
                    return k1s_err_internal(st, "out of memory");
                }
                *ports = np;
            }
            (*ports)[(*nports)++] = (int)v;
            p += len;
            if (*p != ',')
                break;
        }
    }
    free(vals);
    return 0;
}

/* The kubelet refuses a stream to a pod that has finished; kubectl checks
 * the same before it connects, with these words. */
static int check_phase(const char *verb, const json_t *pod, k1s_status *st)
{
    const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
    if (!phase || (strcmp(phase, "Succeeded") && strcmp(phase, "Failed")))
        return 0;
    if (!strcmp(verb, "exec"))
        return k1s_err_bad_request(
            st, "cannot exec into a container in a completed pod; current phase is %s", phase);
    if (!strcmp(verb, "attach"))
        return k1s_err_bad_request(
            st, "cannot attach a container in a completed pod; current phase is %s", phase);
    return k1s_err_bad_request(
        st, "unable to forward port because pod is not running. Current status=%s", phase);
}

/* Everything before the backend is asked: 0, or -1 with st set. */
static int check_request(k1s_stream_hub *hub, struct MHD_Connection *c, const char *verb,
                         const json_t *pod, k1s_stream_request *rq, k1s_status *st)
{
    bool pf = !strcmp(verb, "portforward");
    if (!pf) {
        rq->container = k1s__stream_container(pod, k1s__arg(c, "container"), st);
        if (!rq->container)
            return -1;
    }
    const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
    const char *pname =
        json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
    if (!node || !*node)
        return k1s_err_bad_request(st, "pod %s does not have a host assigned", pname ? pname : "");
    if (!k1s__hub_node(hub))
        return k1s__stream_no_node(st, pod, NULL);
    if (!k1s__header_has_token(c, "Connection", "upgrade") || !k1s__header(c, "Upgrade"))
        return k1s_err_bad_request(st, "Upgrade request required");
    if (!pf) {
        rq->in = k1s__stream_bool(c, "stdin");
        rq->out = k1s__stream_bool(c, "stdout");
        rq->tty = k1s__stream_bool(c, "tty");
        /* a terminal has no separate stderr: the kubelet drops it */
        rq->err = k1s__stream_bool(c, "stderr") && !rq->tty;
        if (!strcmp(verb, "exec") && rq->ncommand == 0)
            return k1s_err_bad_request(st, "you must specify at least 1 command");
        if (!rq->in && !rq->out && !rq->err)
            return k1s_err_bad_request(st, "you must specify at least 1 of stdin, stdout, stderr");
    }
    return check_phase(verb, pod, st);
}

enum MHD_Result k1s_stream_pod_connect(k1s_stream_hub *hub, struct MHD_Connection *c,
                                       const char *method, const char *ns, const char *name,
                                       const char *sub)
{
    if (strcmp(method, "GET") && strcmp(method, "POST"))
        return k1s__reply_error(c, 405, "MethodNotAllowed",
                                "the server does not allow this method on the requested resource");
    k1s_status st = {0};
    k1s_stream_request rq = {.verb = sub};
    const char **command = NULL;
    int *ports = NULL;
    char *url = NULL;
    json_t *pod = NULL;
    enum MHD_Result ret;

    if (!strcmp(sub, "exec")) {
        command = k1s__stream_args(c, "command", &rq.ncommand);
        rq.command = command;
    }
    if (!strcmp(sub, "portforward") && parse_ports(c, &ports, &rq.nports, &st))
        goto fail;
    rq.ports = ports;
    pod = k1s__stream_pod(hub, ns, name, &st);
    if (!pod)
        goto fail;
    rq.pod = pod;
    if (check_request(hub, c, sub, pod, &rq, &st))
        goto fail;
    const char *wsproto = NULL;
    if (!strcasecmp(k1s__header(c, "Upgrade"), "websocket")) {
        /* port-forward: the channel protocol (v4.channel.k8s.io, as the
           Python client speaks it) is the runtime's own and goes through
           the tunnel; kubectl 1.31+'s SPDY inside WebSocket messages is
           not bridged: any answer but 101 makes it fall back to SPDY */
        if (!strcmp(sub, "portforward")) {
            if (k1s__header_has_token(c, "Sec-WebSocket-Protocol", "SPDY/3.1+portforward.k8s.io")) {
                k1s_err_bad_request(
                    &st, "WebSocket port forwarding is not supported by this server; use SPDY/3.1");
                goto fail;
            }
        } else if (!(wsproto = k1s__ws_check(c, &st))) {
            goto fail;
        }
    }
    const k1s_node_backend *b = k1s__hub_node(hub);
    if (!b || !b->stream_url) {
        k1s__stream_no_node(&st, pod, NULL);
        goto fail;
    }
    if (b->stream_url(b->ctx, &rq, &url, &st) != 0 || !url) {
        if (!st.code)
            k1s_err_internal(&st, "the node returned no streaming URL");
        goto fail;
    }
    ret = wsproto ? k1s__ws_bridge(hub, c, url, &rq, wsproto)
                  : k1s__stream_proxy(hub, c, method, url);
    free(url);
    free(command);
    free(ports);
    json_decref(pod);
    return ret;

fail:
    ret = k1s__reply_status(c, &st);
    k1s_status_clear(&st);
    free(url);
    free(command);
    free(ports);
    json_decref(pod);
    return ret;
}
