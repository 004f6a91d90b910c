/*
 * cri_grpc.c - gRPC unary calls over HTTP/2 (prior knowledge, no TLS) on a
 * UNIX socket, with libcurl.
 *
 * Each call takes an easy handle from a small pool and gives it back, so
 * the handle's HTTP/2 connection to the runtime stays open between calls
 * (a call then costs one stream, not a connect). Calls on different threads
 * use different handles; the mutex guards only the pool. A handle whose
 * call failed in transport is dropped rather than pooled, so a broken
 * connection is never reused.
 *
 * libcurl 7.88 (Debian 12) cannot reuse a connection made with HTTP/2
 * "prior knowledge": the second request on it fails at once with "Error in
 * the HTTP2 framing layer" (curl issue 10634, fixed in 8.0). So only a
 * handle's first call asks for prior knowledge; later calls ask for plain
 * HTTP/2, which reuses the open HTTP/2 connection as it should. If the
 * connection is gone by then (runtime restarted), curl dials again and
 * sends an HTTP/1.1 upgrade request that a gRPC server never executes; we
 * see a new connect was made, drop the handle and send the call once more
 * on a fresh handle with prior knowledge.
 *
 * gRPC over HTTP/2: POST /<service>/<method> with content-type
 * application/grpc and te: trailers; the body is the framed message
 * (k1s__cri_frame). The reply's grpc-status and grpc-message come as trailers,
 * or in the headers alone when the server fails early; libcurl hands both
 * to the header callback.
 */
#include "cri_internal.h"
#include "k1s_buf.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define POOL_MAX 4
/* kubelet accepts replies up to 16 MiB; ExecSync may carry two such
 * outputs, so allow a little more before calling it ResourceExhausted. */
#define REPLY_MAX ((size_t)40 << 20)

/* A pooled handle; warm: its HTTP/2 connection has served a call. */
typedef struct pooled {
    CURL *h;
    bool warm;
} pooled;

struct k1s__cri_grpc {
    char *socket_path;
    pthread_mutex_t mu;
    pooled idle[POOL_MAX];
    int n_idle;
};

/* What one call received. */
typedef struct reply_buf {
    k1s_buf body;    /* capped at REPLY_MAX */
    int grpc_status; /* -1: not received */
    char *grpc_message;
} reply_buf;

#define REPLY_BUF ((reply_buf){.body = {.max = REPLY_MAX}, .grpc_status = -1})

int k1s__cri_grpc_open(const char *socket_path, k1s__cri_grpc **out, char **err)
{
    *out = NULL;
    k1s__cri_grpc *g = calloc(1, sizeof *g);
    if (!g || !(g->socket_path = strdup(socket_path))) {
        free(g);
        *err = strdup("out of memory");
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(g->socket_path);
        free(g);
        *err = strdup("libcurl could not be initialised");
        return -1;
    }
    pthread_mutex_init(&g->mu, NULL);
    *out = g;
    return 0;
}

void k1s__cri_grpc_close(k1s__cri_grpc *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_idle; i++)
        curl_easy_cleanup(g->idle[i].h);
    pthread_mutex_destroy(&g->mu);
    free(g->socket_path);
    free(g);
    curl_global_cleanup();
}

/* A handle from the pool, or a new (cold) one; p->h NULL when out of
 * memory. */
static void acquire(k1s__cri_grpc *g, pooled *p)
{
    p->h = NULL;
    p->warm = false;
    pthread_mutex_lock(&g->mu);
    if (g->n_idle > 0)
        *p = g->idle[--g->n_idle];
    pthread_mutex_unlock(&g->mu);
    if (!p->h)
        p->h = curl_easy_init();
}

/* Back to the pool (keep) or closed with its connection. */
static void release(k1s__cri_grpc *g, pooled *p, bool keep)
{
    CURL *h = p->h;
    p->h = NULL;
    if (!h)
        return;
    /* nothing of this call's stack may stay referenced by a pooled handle */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    if (keep) {
        pthread_mutex_lock(&g->mu);
        if (g->n_idle < POOL_MAX) {
            g->idle[g->n_idle++] = (pooled){h, true};
            h = NULL;
        }
        pthread_mutex_unlock(&g->mu);
    }
    if (h)
        curl_easy_cleanup(h);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    reply_buf *r = arg;
    size_t add = size * n;
    k1s_buf_add(&r->body, data, add);
    return k1s_buf_failed(&r->body) ? 0 : add; /* 0 aborts the transfer */
}

/* Header and trailer lines: "name: value\r\n". */
static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    reply_buf *r = arg;
    size_t len = size * n;
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return len; /* the status line, the blank end line */
    size_t name_len = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    if (name_len == 11 && strncasecmp(line, "grpc-status", 11) == 0) {
        int code = 0;
        for (const char *p = v; p < end && code <= 1000; p++)
            code = (*p >= '0' && *p <= '9') ? code * 10 + (*p - '0') : 1001;
        r->grpc_status = (v == end || code > 1000) ? 2 /* Unknown */ : code;
    } else if (name_len == 12 && strncasecmp(line, "grpc-message", 12) == 0) {
        free(r->grpc_message);
        r->grpc_message = k1s__cri_percent_decode(v, (size_t)(end - v));
    }
    return len;
}

/* Why connecting failed, in Go's words ("connect: no such file or
 * directory"), found by trying once more ourselves. */
static void dial_error(const char *path, char *buf, size_t len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int err = ENAMETOOLONG;
    if (strlen(path) < sizeof sa.sun_path) {
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        err = errno;
        if (fd >= 0) {
            err = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
            close(fd);
        }
    }
    if (err)
        snprintf(buf, len, "%s", strerror(err));
    else
        snprintf(buf, len, "the runtime did not answer");
    for (char *p = buf; *p; p++) /* Go prints errno text in lower case */
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

static struct curl_slist *call_headers(int timeout_ms)
{
    char tmo[48];
    if (timeout_ms <= 99999999) /* the header allows at most 8 digits */
        snprintf(tmo, sizeof tmo, "grpc-timeout: %dm", timeout_ms);
    else
        snprintf(tmo, sizeof tmo, "grpc-timeout: %dS", timeout_ms / 1000);
    const char *lines[] = {"Content-Type: application/grpc", "TE: trailers", tmo,
                           "Expect:", "Accept:"};
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct curl_slist *nl = curl_slist_append(list, lines[i]);
        if (!nl) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = nl;
    }
    return list;
}

/* The outcome of a finished transfer: 0 and the reply bytes, or -1. */
static int finish(CURL *h, CURLcode rc, const char *errbuf, reply_buf *r, const char *socket_path,
                  uint8_t **reply, size_t *reply_len, k1s_cri_error *e)
{
    if (r->body.full) {
        k1s__cri_error_set(e, 8, 8, "grpc: received message larger than max (%zu)", REPLY_MAX);
        return -1;
    }
    if (r->body.oom) {
        k1s__cri_error_set(e, 8, 8, "out of memory reading the reply");
        return -1;
    }
    if (rc == CURLE_COULDNT_CONNECT) {
        char why[128];
        dial_error(socket_path, why, sizeof why);
        k1s__cri_error_set(e, -1, 14,
                           "connection error: desc = \"transport: Error while "
                           "dialing: dial unix %s: connect: %s\"",
                           socket_path, why);
        return -1;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        k1s__cri_error_set(e, 4, 4, "context deadline exceeded");
        return -1;
    }
    if (rc != CURLE_OK) {
        k1s__cri_error_set(e, 14, 14, "transport: %s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return -1;
    }
    long http = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
    if (r->grpc_status < 0) {
        if (http != 200) {
            int code = k1s__cri_code_from_http(http);
            k1s__cri_error_set(e, code, code,
                               "unexpected HTTP status code received from server: %ld", http);
        } else {
            k1s__cri_error_set(e, 13, 13, "server closed the stream without sending trailers");
        }
        return -1;
    }
    if (r->grpc_status != 0) {
        k1s__cri_error_set(e, r->grpc_status, r->grpc_status, "%s",
                           r->grpc_message ? r->grpc_message : "");
        return -1;
    }
    const uint8_t *msg;
    size_t len;
    const char *why;
    if (k1s__cri_unframe((const uint8_t *)r->body.p, r->body.len, &msg, &len, &why) < 0) {
        k1s__cri_error_set(e, 13, 13, "grpc: %s", why);
        return -1;
    }
    memmove(r->body.p, msg, len); /* hand over the buffer, unframed */
    k1s_buf_truncate(&r->body, len);
    *reply = (uint8_t *)k1s_buf_take(&r->body, reply_len);
    return 0;
}

/* One transfer on p->h. Returns curl's code; *new_conn: whether it had to
 * open a connection. */
static CURLcode perform(k1s__cri_grpc *g, pooled *p, const char *url, struct curl_slist *hdrs,
                        const uint8_t *framed, size_t framed_len, int timeout_ms, reply_buf *r,
                        char *errbuf, bool *new_conn)
{
    CURL *h = p->h;
    long version = p->warm ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, g->socket_path);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, version);
    curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never an http_proxy from the environment */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_MAXAGE_CONN, 3600L); /* idle kubelets keep it */
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)framed_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, framed);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "k1s-cri/1.0");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_ms < 10000 ? timeout_ms : 10000));
    CURLcode rc = curl_easy_perform(h);
    long connects = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
    *new_conn = connects > 0;
    return rc;
}

int k1s__cri_grpc_unary(k1s__cri_grpc *g, const char *path, const uint8_t *req, size_t req_len,
                        int timeout_ms, uint8_t **reply, size_t *reply_len, k1s_cri_error *e)
{
    *reply = NULL;
    *reply_len = 0;
    size_t framed_len;
    uint8_t *framed = k1s__cri_frame(req, req_len, &framed_len);
    char *url = NULL;
    struct curl_slist *hdrs = call_headers(timeout_ms);
    if (!framed || !hdrs || asprintf(&url, "http://localhost%s", path) < 0) {
        k1s__cri_error_set(e, 8, 8, "out of memory");
        free(framed);
        curl_slist_free_all(hdrs);
        return -1;
    }
    reply_buf r = REPLY_BUF;
    char errbuf[CURL_ERROR_SIZE];
    pooled p;
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    acquire(g, &p);
    for (int attempt = 0; p.h && attempt < 2; attempt++) {
        bool new_conn;
        rc = perform(g, &p, url, hdrs, framed, framed_len, timeout_ms, &r, errbuf, &new_conn);
        bool understood = rc == CURLE_OK && r.grpc_status >= 0;
        if (!p.warm || !new_conn || understood || rc == CURLE_OPERATION_TIMEDOUT)
            break;
        /* the kept connection was gone: the request went out as HTTP/1.1
         * on a new one and was not executed; again, on a fresh handle */
        release(g, &p, false);
        k1s_buf_free(&r.body);
        free(r.grpc_message);
        r = REPLY_BUF;
        p.h = curl_easy_init();
        p.warm = false;
        rc = CURLE_OUT_OF_MEMORY;
    }
    int ret;
    if (!p.h) {
        k1s__cri_error_set(e, 8, 8, "out of memory");
        ret = -1;
    } else {
        ret = finish(p.h, rc, errbuf, &r, g->socket_path, reply, reply_len, e);
    }
    release(g, &p, rc == CURLE_OK);
    curl_slist_free_all(hdrs);
    free(framed);
    free(url);
    k1s_buf_free(&r.body);
    free(r.grpc_message);
    return ret;
}
