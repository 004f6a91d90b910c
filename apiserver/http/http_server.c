/*
 * http_server.c - the libmicrohttpd daemon: accepts requests, gathers
 * bodies (bounded), checks the bearer token and hands each request to the
 * resource or non-resource handlers. Watches are suspended connections, not
 * threads, so thousands of them cost only memory.
 */
#include "http_internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "k1s_names.h"
#include "k1s_stream.h"
#include "k1s_time.h"

/* ---- requests ------------------------------------------------------------ */

/* At most this many libmicrohttpd messages a minute reach stderr. */
#define LOG_BURST 10

static void http_log(void *cls, const char *fmt, va_list ap)
{
    k1s_server *s = cls;
    int64_t now = k1s_time_mono_ms();
    unsigned dropped = 0;
    pthread_mutex_lock(&s->log_mu);
    if (now - s->log_window >= 60000) {
        dropped = s->log_dropped;
        s->log_window = now;
        s->log_shown = s->log_dropped = 0;
    }
    bool show = s->log_shown < LOG_BURST;
    if (show)
        s->log_shown++;
    else
        s->log_dropped++;
    pthread_mutex_unlock(&s->log_mu);
    if (dropped)
        fprintf(stderr, "k1s: http: %u more messages in the minute before were not shown\n",
                dropped);
    if (show) {
        fputs("k1s: http: ", stderr);
        vfprintf(stderr, fmt, ap);
    }
}

/* Health and version are public, as kube's system:public-info-viewer. */
static bool public_url(const char *url)
{
    return !strcmp(url, "/healthz") || !strcmp(url, "/livez") || !strcmp(url, "/readyz") ||
           !strcmp(url, "/version") || !strncmp(url, "/healthz/", 9) ||
           !strncmp(url, "/livez/", 7) || !strncmp(url, "/readyz/", 8);
}

/* Whether the request carries the token (or none is needed at all). */
static bool token_valid(k1s_server *s, struct MHD_Connection *c)
{
    if (!s->token)
        return true;
    const char *h = k1s__header(c, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    while (*h == ' ')
        h++;
    /* constant-time compare: the token guards the whole cluster */
    size_t n = strlen(s->token), m = strlen(h);
    unsigned diff = (unsigned)(n ^ m);
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)s->token[i] ^ (unsigned char)(i < m ? h[i] : 0);
    return diff == 0;
}

static enum MHD_Result dispatch(k1s_server *s, struct MHD_Connection *c, const char *url,
                                const char *method, k1s_req *rq)
{
    /* decided at the headers; should libmicrohttpd still hand us a body
     * after the 401, it is refused again here */
    if (!rq->authorized)
        return k1s__reply_error(c, 401, "Unauthorized", "Unauthorized");
    if (rq->too_large)
        return k1s__reply_errorf(c, 413, "RequestEntityTooLarge",
                                 "Request entity too large: limit is %zu", K1S_MAX_OBJECT_BYTES);
    if (strlen(url) > 4096)
        return k1s__reply_error(c, 414, "RequestURITooLong", "the request URI is too long");
    char *path = strdup(url);
    if (!path)
        return MHD_NO;
    k1s_route r;
    int kind = k1s__route_parse(path, &r);
    enum MHD_Result ret;
    if (kind == 0)
        ret = k1s__handle_resource(s, c, method, &r, rq);
    else if (kind == 1)
        ret = k1s__handle_nonresource(s, c, method, url);
    else
        ret = k1s__reply_error(c, 404, "NotFound",
                               "the server could not find the requested resource");
    free(path);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    k1s_server *s = cls;
    (void)version;
    k1s_req *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        rq->body.max = K1S_MAX_OBJECT_BYTES;
        *con_cls = rq;
        if (token_valid(s, c))
            k1s__guard_authenticated(s, c);
        else if (!public_url(url)) /* refused before any body is read, as kube */
            return k1s__reply_error(c, 401, "Unauthorized", "Unauthorized");
        rq->authorized = true;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_large)
            return MHD_YES;
        k1s_buf_add(&rq->body, upload, n);
        if (rq->body.oom)
            return MHD_NO;
        if (rq->body.full) {
            rq->too_large = true; /* keep reading, answer 413 at the end */
            k1s_buf_free(&rq->body);
        }
        return MHD_YES;
    }
    return dispatch(s, c, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    k1s_req *rq = *con_cls;
    if (rq) {
        k1s_buf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

int k1s_server_start(const k1s_server_config *cfg, k1s_server **out, char **err)
{
    k1s_server *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->api = cfg->api;
    s->token = cfg->token ? strdup(cfg->token) : NULL;
    s->bind = strdup(cfg->bind ? cfg->bind : "127.0.0.1");
    pthread_mutex_init(&s->streams_mu, NULL);
    pthread_mutex_init(&s->stop_mu, NULL);
    pthread_cond_init(&s->stop_cv, NULL);
    pthread_mutex_init(&s->log_mu, NULL);
    pthread_mutex_init(&s->guard_mu, NULL);
    s->log_window = k1s_time_mono_ms();
    s->stream_hub = k1s_stream_hub_new(s->api);
    if (!s->stream_hub) {
        *err = strdup("out of memory");
        goto fail;
    }

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, s->bind, &sa.sin_addr) != 1) {
        if (asprintf(err, "invalid bind address %s", s->bind) < 0)
            *err = NULL;
        goto fail;
    }
    /* one descriptor per watcher: make room for thousands */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    unsigned threads = cfg->threads > 0 ? (unsigned)cfg->threads : 4;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG;
    bool tls = cfg->tls_cert && cfg->tls_key;
    if (tls)
        flags |= MHD_USE_TLS;
    s->tls = tls;
    char priority[256], perr[256];
    if (tls && k1s__tls_priority(cfg->tls_min_version, cfg->tls_cipher_suites, priority,
                                 sizeof priority, perr, sizeof perr) != 0) {
        *err = strdup(perr);
        goto fail;
    }
    /* the certificate only with TLS: libmicrohttpd warns about it otherwise */
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, priority},
        {MHD_OPTION_END, 0, NULL},
    };
    if (!tls)
        tls_opts[0].option = MHD_OPTION_END;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, tls_opts,
                            MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
                            /* per-connection pool: headers and read buffer (bodies are copied
           out as they arrive), small so idle watchers stay cheap */
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)20000,
                            /* until the guard knows better (http_guard.c) */
                            MHD_OPTION_CONNECTION_TIMEOUT, k1s__guard_pending_timeout(),
                            MHD_OPTION_NOTIFY_CONNECTION, k1s__guard_notify, s,
                            MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_EXTERNAL_LOGGER, http_log, s, MHD_OPTION_END);
    if (!s->d) {
        if (asprintf(err, "cannot listen on %s:%d", s->bind, cfg->port) < 0)
            *err = NULL;
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : cfg->port;
    if (pthread_create(&s->ticker, NULL, k1s__watch_ticker, s) == 0)
        s->ticker_running = true;
    *out = s;
    return 0;
fail:
    k1s_stream_hub_free(s->stream_hub);
    free(s->token);
    free(s->bind);
    free(s);
    return -1;
}

int k1s_server_port(const k1s_server *s)
{
    return s->port;
}

void k1s_server_set_node_backend(k1s_server *s, const k1s_node_backend *b)
{
    k1s_stream_hub_set_node_backend(s->stream_hub, b);
}

void k1s_server_stop(k1s_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->stop_mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->stop_cv);
    pthread_mutex_unlock(&s->stop_mu);
    if (s->ticker_running)
        pthread_join(s->ticker, NULL);
    k1s__watch_stop_all(s);
    k1s_stream_hub_stop(s->stream_hub);
    MHD_stop_daemon(s->d);
    k1s_stream_hub_free(s->stream_hub);
    pthread_mutex_destroy(&s->streams_mu);
    pthread_mutex_destroy(&s->stop_mu);
    pthread_cond_destroy(&s->stop_cv);
    pthread_mutex_destroy(&s->log_mu);
    pthread_mutex_destroy(&s->guard_mu);
    free(s->token);
    free(s->bind);
    free(s);
}
