/*
 * http_stream_proxy.c - joins kubectl's upgrade request to the runtime's
 * streaming server, as kube-apiserver's UpgradeAwareProxyHandler joins it
 * to the kubelet: the upgrade is replayed on a new connection to the
 * streaming URL (kubectl's Upgrade, Connection and X-Stream-Protocol-Version
 * headers, not its credentials), and kubectl gets the runtime's answer:
 * 101 with the protocol the runtime chose, after which the tunnel copies
 * bytes; or the runtime's error as it was sent. The dialing and the
 * replayed upgrade (k1s__runtime_upgrade) also serve the WebSocket bridge
 * (http_ws.c), which asks the runtime for SPDY itself.
 */
#include "stream_internal.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* the runtime is local: a handshake slower than this is a dead runtime */
/* the runtime is on this host: a few seconds is plenty, and the request
 * thread waits that long at most */
#define HANDSHAKE_MS 3000
#define MAX_HEAD (16 * 1024)
#define MAX_ERROR_BODY (64 * 1024)
/* how long an answered upgrade may wait for libmicrohttpd's hand-over */
#define PENDING_MS 30000

typedef struct target {
    char host[256], port[8];
    const char *path; /* into the URL: "/exec/TOKEN?..." */
} target;

static int parse_url(const char *url, target *t)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    t->path = slash ? slash : "/";
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    const char *colon;
    const char *hs = h;
    size_t hostlen;
    if (*h == '[') {
        const char *end = memchr(h, ']', hl);
        if (!end)
            return -1;
        hs = h + 1;
        hostlen = (size_t)(end - hs);
        colon = end + 1 < h + hl && end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = memchr(h, ':', hl);
        hostlen = colon ? (size_t)(colon - h) : hl;
    }
    size_t portlen = colon ? (size_t)(h + hl - colon - 1) : 2;
    if (hostlen == 0 || hostlen >= sizeof t->host || portlen == 0 || portlen >= sizeof t->port)
        return -1;
    memcpy(t->host, hs, hostlen);
    t->host[hostlen] = 0;
    if (colon) {
        memcpy(t->port, colon + 1, portlen);
        t->port[portlen] = 0;
    } else {
        strcpy(t->port, "80");
    }
    return 0;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - k1s_time_mono_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = ev};
        int n = poll(&p, 1, (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static int dial(const target *t, int64_t deadline, char *err, size_t errlen)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(t->host, t->port, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "dial tcp: lookup %s: %s", t->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int e = 0;
        socklen_t el = sizeof e;
        if ((connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
             (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
              getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)))
            break;
        snprintf(err, errlen, "dial tcp %s:%s: connect: %s", t->host, t->port,
                 strerror(e       ? e
                          : errno ? errno
                                  : ETIMEDOUT));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline))
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Read more into b (cap bytes at most). 1: got bytes; 0: EOF; -1: error. */
static int read_more(int fd, k1s_buf *b, size_t cap, int64_t deadline)
{
    char chunk[8192];
    for (;;) {
        size_t room = cap > b->len ? cap - b->len : 0;
        if (room == 0)
            return -1;
        ssize_t n = recv(fd, chunk, room < sizeof chunk ? room : sizeof chunk, 0);
        if (n > 0) {
            k1s_buf_add(b, chunk, (size_t)n);
            return k1s_buf_failed(b) ? -1 : 1;
        }
        if (n == 0)
            return 0;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
        if (wait_fd(fd, POLLIN, deadline))
            return -1;
    }
}

/* The value of header name in a response head ("Name: value\r\n" lines),
 * copied into out; false when absent. */
bool k1s__head_value(const char *head, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
        const char *h = l + 2;
        if (h[0] == '\r' && h[1] == '\n')
            break; /* the end of the head: the body is not searched */
        if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
            const char *v = h + nl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vl = strcspn(v, "\r\n");
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (vl >= outlen)
                vl = outlen - 1;
            memcpy(out, v, vl);
            out[vl] = 0;
            return true;
        }
    }
    return false;
}

/* ---- the request to the runtime ---------------------------------------------- */

/* kubectl's protocol headers go through as they came, one line each:
 * the runtime picks one version from the list. */
static enum MHD_Result copy_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    k1s_buf *b = cls;
    (void)kind;
    /* the WebSocket ones for port-forward's channel protocol, which the
       runtime's streaming server speaks itself */
    static const char *const pass[] = {"X-Stream-Protocol-Version",
                                       "Upgrade",
                                       "User-Agent",
                                       "Sec-WebSocket-Key",
                                       "Sec-WebSocket-Version",
                                       "Sec-WebSocket-Protocol",
                                       NULL};
    for (const char *const *p = pass; *p; p++)
        if (key && value && !strcasecmp(key, *p)) {
            k1s_buf_adds(b, *p);
            k1s_buf_adds(b, ": ");
            k1s_buf_adds(b, value);
            k1s_buf_adds(b, "\r\n");
        }
    return MHD_YES;
}

static char *build_request(const char *method, const target *t, const char *hdrs, size_t *len)
{
    k1s_buf b = {0};
    k1s_buf_adds(&b, method);
    k1s_buf_adds(&b, " ");
    k1s_buf_adds(&b, t->path);
    k1s_buf_adds(&b, " HTTP/1.1\r\nHost: ");
    bool v6 = strchr(t->host, ':') != NULL;
    k1s_buf_adds(&b, v6 ? "[" : "");
    k1s_buf_adds(&b, t->host);
    k1s_buf_adds(&b, v6 ? "]:" : ":");
    k1s_buf_adds(&b, t->port);
    k1s_buf_adds(&b, "\r\nConnection: Upgrade\r\n");
    k1s_buf_adds(&b, hdrs);
    k1s_buf_adds(&b, "Content-Length: 0\r\n\r\n");
    return k1s_buf_take(&b, len);
}

/* ---- the runtime's answer ---------------------------------------------------- */

static bool chunked_complete(const char *body, size_t n)
{
    return (n >= 5 && !memcmp(body, "0\r\n\r\n", 5)) || memmem(body, n, "\r\n0\r\n\r\n", 7) != NULL;
}

/* A refused upgrade: pass the runtime's status and body on to kubectl. */
static enum MHD_Result relay_error(struct MHD_Connection *c, int fd, int code, k1s_buf *in,
                                   size_t head_len, int64_t deadline)
{
    char v[64];
    bool has_len = k1s__head_value(in->p, "Content-Length", v, sizeof v);
    size_t want = has_len ? (size_t)strtoull(v, NULL, 10) : MAX_ERROR_BODY;
    if (want > MAX_ERROR_BODY)
        want = MAX_ERROR_BODY;
    bool chunked =
        k1s__head_value(in->p, "Transfer-Encoding", v, sizeof v) && strcasestr(v, "chunked");
    while (in->len - head_len < want &&
           !(chunked && chunked_complete(in->p + head_len, in->len - head_len)) &&
           read_more(fd, in, head_len + MAX_ERROR_BODY + 1024, deadline) > 0)
        ;
    const char *body = in->p + head_len;
    size_t blen = in->len - head_len;
    if (blen > want)
        blen = want;
    k1s_buf out = {0};
    if (chunked) {
        /* HTTP/1.1 chunked body: size line, bytes, CRLF, ... 0 */
        const char *p = body, *end = body + blen;
        while (p < end) {
            char *e = NULL;
            unsigned long n = strtoul(p, &e, 16);
            /* the size line may be cut off by want: stay inside the body */
            const char *data = e && e < end ? memmem(e, (size_t)(end - e), "\r\n", 2) : NULL;
            if (!data || n == 0)
                break;
            data += 2;
            if (data > end)
                break;
            if ((size_t)(end - data) < n)
                n = (unsigned long)(end - data);
            k1s_buf_add(&out, data, n);
            p = data + n + 2;
        }
    } else {
        k1s_buf_add(&out, body, blen);
    }
    char ctype[128] = "text/plain; charset=utf-8";
    k1s__head_value(in->p, "Content-Type", ctype, sizeof ctype);
    size_t len;
    char *text = k1s_buf_take(&out, &len);
    if (!text)
        return k1s__reply_error(c, 500, "InternalError", "out of memory");
    return k1s__reply_text(c, code, ctype, text, len, NULL);
}

typedef struct pending {
    k1s_pending_upgrade base; /* first: the hub hands this back */
    int backend;
    char *early; /* runtime bytes that followed its 101 */
    size_t nearly;
    bool bridge; /* WebSocket to translate, else raw */
    k1s_bridge_opts opts;
} pending;

static void pending_discard(k1s_pending_upgrade *p)
{
    pending *x = (pending *)p;
    close(x->backend);
    free(x->early);
    free(x);
}

/* libmicrohttpd sent our 101 and hands over kubectl's socket. */
static void on_upgraded(void *cls, struct MHD_Connection *c, void *con_cls, const char *extra_in,
                        size_t extra_in_size, MHD_socket sock,
                        struct MHD_UpgradeResponseHandle *urh)
{
    k1s_stream_hub *h = cls;
    (void)con_cls;
    pending *p = (pending *)k1s__hub_pending_take(h, c);
    if (!p) {
        /* reaped, or the server is stopping */
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    int raw = ci ? ci->connect_fd : -1;
    if (p->bridge)
        k1s__bridge_start(h, sock, raw, urh, p->backend, &p->opts, extra_in, extra_in_size,
                          p->early, p->nearly);
    else
        k1s__tunnel_start(h, sock, raw, urh, p->backend, extra_in, extra_in_size, p->early,
                          p->nearly);
    free(p->early);
    free(p);
}

enum MHD_Result k1s__answer_upgrade(k1s_stream_hub *hub, struct MHD_Connection *c,
                                    k1s_runtime_link *l, const char *const *headers,
                                    const k1s_bridge_opts *bridge)
{
    pending *p = calloc(1, sizeof *p);
    struct MHD_Response *r = p ? MHD_create_response_for_upgrade(on_upgraded, hub) : NULL;
    if (!r) {
        free(p);
        k1s__runtime_link_free(l);
        return k1s__reply_error(c, 500, "InternalError", "out of memory");
    }
    for (; headers && headers[0]; headers += 2)
        MHD_add_response_header(r, headers[0], headers[1]);
    p->backend = l->fd;
    p->early = l->early;
    p->nearly = l->nearly;
    free(l->head);
    p->bridge = bridge != NULL;
    if (bridge)
        p->opts = *bridge;
    p->base.con = c;
    p->base.deadline_ms = k1s_time_mono_ms() + PENDING_MS;
    p->base.discard = pending_discard;
    k1s__hub_pending_add(hub, &p->base);
    enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    if (ret != MHD_YES) {
        k1s_pending_upgrade *back = k1s__hub_pending_take(hub, c);
        if (back)
            back->discard(back);
    }
    return ret;
}

/* The runtime said 101: say it to kubectl, with the runtime's protocol. */
static enum MHD_Result answer_upgrade(k1s_stream_hub *hub, struct MHD_Connection *c,
                                      k1s_runtime_link *l)
{
    static const char *const names[] = {"Upgrade", "X-Stream-Protocol-Version",
                                        "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol"};
    char vals[4][256];
    const char *h[2 * 4 + 1] = {NULL};
    int n = 0;
    for (int i = 0; i < 4; i++) {
        if (k1s__head_value(l->head, names[i], vals[i], sizeof vals[i])) {
            h[n++] = names[i];
            h[n++] = vals[i];
        }
    }
    return k1s__answer_upgrade(hub, c, l, h, NULL);
}

int k1s__runtime_upgrade(struct MHD_Connection *c, const char *method, const char *url,
                         const char *hdrs, k1s_runtime_link *l, enum MHD_Result *ret)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    target t;
    if (parse_url(url, &t)) {
        *ret = k1s__reply_error(
            c, 500, "InternalError",
            "Internal error occurred: the node returned an unusable streaming URL");
        return -1;
    }
    int64_t deadline = k1s_time_mono_ms() + HANDSHAKE_MS;
    char err[512];
    int fd = dial(&t, deadline, err, sizeof err);
    if (fd < 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "error dialing backend: %s", err);
        *ret = k1s__reply_error(c, 500, "", msg);
        return -1;
    }
    size_t rlen;
    char *req = build_request(method, &t, hdrs, &rlen);
    k1s_buf in = {0};
    int rc = req ? send_all(fd, req, rlen, deadline) : -1;
    free(req);
    const char *end = NULL;
    while (rc == 0 && !(end = in.p ? strstr(in.p, "\r\n\r\n") : NULL))
        rc = read_more(fd, &in, MAX_HEAD, deadline) > 0 ? 0 : -1;
    int code = 0;
    if (end && sscanf(in.p, "HTTP/1.%*d %d", &code) != 1)
        code = 0;
    /* only a 101 or a final status kubectl can be answered with */
    if (!end || (code != 101 && (code < 200 || code > 599))) {
        close(fd);
        *ret = k1s__reply_error(
            c, 500, "",
            "error dialing backend: the runtime's streaming server gave no valid answer");
        free(in.p);
        return -1;
    }
    size_t head_len = (size_t)(end + 4 - in.p);
    if (code != 101) {
        *ret = relay_error(c, fd, code, &in, head_len, deadline);
        close(fd);
        free(in.p);
        return -1;
    }
    l->fd = fd;
    l->nearly = in.len - head_len;
    if (l->nearly) {
        l->early = malloc(l->nearly);
        if (l->early)
            memcpy(l->early, in.p + head_len, l->nearly);
        else
            l->nearly = 0;
    }
    in.p[head_len] = 0; /* in.p keeps the head only */
    l->head = in.p;
    return 0;
}

void k1s__runtime_link_free(k1s_runtime_link *l)
{
    if (l->fd >= 0)
        close(l->fd);
    free(l->head);
    free(l->early);
    memset(l, 0, sizeof *l);
    l->fd = -1;
}

enum MHD_Result k1s__stream_proxy(k1s_stream_hub *hub, struct MHD_Connection *c, const char *method,
                                  const char *url)
{
    k1s_buf hdrs = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, copy_header, &hdrs);
    size_t hl;
    char *h = k1s_buf_take(&hdrs, &hl);
    if (!h)
        return k1s__reply_error(c, 500, "InternalError", "out of memory");
    k1s_runtime_link l;
    enum MHD_Result ret;
    int rc = k1s__runtime_upgrade(c, method, url, h, &l, &ret);
    free(h);
    if (rc)
        return ret;
    return answer_upgrade(hub, c, &l);
}
