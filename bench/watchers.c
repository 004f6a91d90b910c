/* The client side of the watchers benchmark (bench/b_watch.py): opens N
 * HTTPS watch connections to a k1s server on 127.0.0.1, waits for a "go"
 * line on stdin (the caller samples the server's memory meanwhile), then
 * creates one ConfigMap on a separate connection and times until every
 * watcher has read the event that names it. Written in C with GnuTLS and
 * epoll so that the figure is the server's delivery time, not a slow
 * client's. Usage:
 *   watchers PORT TOKEN WATCH_PATH POST_PATH NAME COUNT
 * Prints "opened O of N in S s, errors E", then "ready"; after "go":
 *   "received R of O all_ms A p50_ms P first_ms F post_status C post_ms M". */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WATCHERS 20000L
#define MAX_NAME 63
#define MAX_ARG 4096
#define HEAD_MAX 8192
#define READ_MAX 16384
/* with the caller's margins the whole section stays within 30 s */
#define OPEN_BUDGET_S 18.0
#define EVENT_BUDGET_S 8.0

struct conn {
    int fd;
    gnutls_session_t s;
    double seen;     /* seconds after the create was sent; 0 until seen */
    size_t tail_len; /* bytes of the previous read kept for a split marker */
    char tail[MAX_NAME + 16];
};

struct run {
    int port;
    const char *token, *watch_path, *post_path, *name;
    long count;
    gnutls_certificate_credentials_t cred;
    struct conn *w; /* count watchers, then the control connection */
    long opened;
    char marker[MAX_NAME + 16];
    size_t marker_len;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int send_all(gnutls_session_t s, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = gnutls_record_send(s, buf, len);
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void conn_close(struct conn *c)
{
    if (c->s)
        gnutls_deinit(c->s);
    if (c->fd >= 0)
        close(c->fd);
    c->s = NULL;
    c->fd = -1;
}

/* Blocking connect + handshake (bounded by socket timeouts), then the
 * request; for a watch also its response head, which must say 200. */
static int conn_open(struct run *r, struct conn *c, const char *req, size_t req_len, int want_head)
{
    c->fd = -1;
    c->s = NULL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    c->fd = fd;
    struct timeval tv = {.tv_sec = 5};
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)r->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        goto fail;
    if (gnutls_init(&c->s, GNUTLS_CLIENT) < 0) {
        c->s = NULL;
        goto fail;
    }
    /* loopback and a self-signed certificate: no verification wanted */
    if (gnutls_set_default_priority(c->s) < 0 ||
        gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE, r->cred) < 0)
        goto fail;
    gnutls_transport_set_int(c->s, fd);
    gnutls_handshake_set_timeout(c->s, 5000);
    int rc;
    do {
        rc = gnutls_handshake(c->s);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    if (rc < 0 || send_all(c->s, req, req_len) < 0)
        goto fail;
    if (want_head) {
        char head[HEAD_MAX];
        size_t got = 0;
        char *end = NULL;
        while (!end && got < sizeof head - 1) {
            ssize_t n = gnutls_record_recv(c->s, head + got, sizeof head - 1 - got);
            if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                continue;
            if (n <= 0)
                goto fail;
            got += (size_t)n;
            head[got] = '\0';
            end = strstr(head, "\r\n\r\n");
        }
        if (!end || strncmp(head, "HTTP/1.1 200", 12) != 0)
            goto fail;
        /* anything after the head is the start of the stream: keep its end */
        size_t body = got - (size_t)(end + 4 - head);
        size_t keep = body < r->marker_len ? body : r->marker_len;
        memcpy(c->tail, head + got - keep, keep);
        c->tail_len = keep;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        goto fail;
    return 0;
fail:
    conn_close(c);
    return -1;
}

/* True when marker went by in this read (or straddles the previous one);
 * n is at most READ_MAX. */
static int scan(struct run *r, struct conn *c, const char *buf, size_t n)
{
    char joined[sizeof c->tail + READ_MAX];
    memcpy(joined, c->tail, c->tail_len);
    memcpy(joined + c->tail_len, buf, n);
    size_t len = c->tail_len + n;
    int hit = memmem(joined, len, r->marker, r->marker_len) != NULL;
    size_t keep = len < r->marker_len ? len : r->marker_len;
    memcpy(c->tail, joined + len - keep, keep);
    c->tail_len = keep;
    return hit;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int event_phase(struct run *r, int ep)
{
    struct conn *ctl = &r->w[r->count];
    char body[256], req[MAX_ARG * 3];
    int blen = snprintf(body, sizeof body,
                        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                        "{\"name\":\"%s\"},\"data\":{\"k\":\"v\"}}",
                        r->name);
    int qlen = snprintf(req, sizeof req,
                        "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                        r->post_path, r->token, blen, body);
    if (qlen <= 0 || (size_t)qlen >= sizeof req)
        return -1;
    /* the control connection is opened before timing starts */
    if (conn_open(r, ctl, "", 0, 0) < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)r->count};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ctl->fd, &ev) < 0)
        return -1;

    double t0 = now_s();
    if (send_all(ctl->s, req, (size_t)qlen) < 0)
        return -1;
    int post_status = 0;
    double post_ms = -1;
    long received = 0;
    double deadline = t0 + EVENT_BUDGET_S;
    struct epoll_event evs[256];
    char buf[READ_MAX];
    while ((received < r->opened || post_status == 0) && now_s() < deadline) {
        int n = epoll_wait(ep, evs, 256, 50);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            long idx = (long)evs[i].data.u64;
            struct conn *c = &r->w[idx];
            for (;;) {
                ssize_t got = c->s ? gnutls_record_recv(c->s, buf, sizeof buf) : -1;
                if (got == GNUTLS_E_AGAIN)
                    break;
                if (got == GNUTLS_E_INTERRUPTED)
                    continue;
                if (got <= 0) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    conn_close(c);
                    break;
                }
                if (idx == r->count) {
                    if (post_status == 0 && got >= 12 && strncmp(buf, "HTTP/1.1 ", 9) == 0) {
                        post_status = atoi(buf + 9);
                        post_ms = (now_s() - t0) * 1e3;
                    }
                    continue;
                }
                if (c->seen == 0 && scan(r, c, buf, (size_t)got)) {
                    c->seen = now_s() - t0;
                    received++;
                }
            }
        }
    }

    double *times = calloc((size_t)(received > 0 ? received : 1), sizeof *times);
    if (!times)
        return -1;
    long k = 0;
    for (long i = 0; i < r->count && k < received; i++)
        if (r->w[i].seen > 0)
            times[k++] = r->w[i].seen * 1e3;
    qsort(times, (size_t)k, sizeof *times, cmp_double);
    printf("received %ld of %ld all_ms %.3f p50_ms %.3f first_ms %.3f post_status %d"
           " post_ms %.3f\n",
           received, r->opened, k ? times[k - 1] : -1.0, k ? times[k / 2] : -1.0,
           k ? times[0] : -1.0, post_status, post_ms);
    free(times);
    return 0;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: watchers PORT TOKEN WATCH_PATH POST_PATH NAME COUNT\n");
        return 2;
    }
    struct run r = {.port = atoi(argv[1]),
                    .token = argv[2],
                    .watch_path = argv[3],
                    .post_path = argv[4],
                    .name = argv[5],
                    .count = atol(argv[6])};
    for (int i = 2; i < 5; i++)
        if (strlen(argv[i]) > MAX_ARG || strpbrk(argv[i], "\r\n")) {
            fprintf(stderr, "watchers: argument %d is too long or has a line break\n", i);
            return 2;
        }
    if (r.port <= 0 || r.port > 65535 || r.count < 1 || r.count > MAX_WATCHERS ||
        !valid_name(r.name)) {
        fprintf(stderr, "watchers: PORT 1..65535, COUNT 1..%ld, NAME [a-z0-9-]{1,%d}\n",
                MAX_WATCHERS, MAX_NAME);
        return 2;
    }
    /* a server that drops a connection must not kill the client mid-run */
    signal(SIGPIPE, SIG_IGN);
    r.marker_len = (size_t)snprintf(r.marker, sizeof r.marker, "\"name\":\"%s\"", r.name);

    int rc = 1, ep = -1;
    char req[MAX_ARG * 3];
    int qlen = snprintf(req, sizeof req,
                        "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                        "Accept: application/json\r\n\r\n",
                        r.watch_path, r.token);
    if (qlen <= 0 || (size_t)qlen >= sizeof req)
        return 2;
    if (gnutls_global_init() < 0)
        return 1;
    if (gnutls_certificate_allocate_credentials(&r.cred) < 0)
        goto cleanup;
    r.w = calloc((size_t)r.count + 1, sizeof *r.w);
    if (!r.w)
        goto cleanup;
    for (long i = 0; i <= r.count; i++)
        r.w[i].fd = -1;
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        goto cleanup;

    double t0 = now_s();
    long errors = 0;
    for (long i = 0; i < r.count && now_s() < t0 + OPEN_BUDGET_S; i++) {
        if (conn_open(&r, &r.w[i], req, (size_t)qlen, 1) < 0) {
            errors++;
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, r.w[i].fd, &ev) < 0) {
            conn_close(&r.w[i]);
            errors++;
            continue;
        }
        r.opened++;
    }
    printf("opened %ld of %ld in %.3f s, errors %ld\nready\n", r.opened, r.count, now_s() - t0,
           errors);
    fflush(stdout);

    char line[64];
    if (!fgets(line, sizeof line, stdin) || strncmp(line, "go", 2) != 0) {
        rc = 0;
        goto cleanup;
    }
    rc = event_phase(&r, ep) < 0 ? 1 : 0;
    fflush(stdout);
cleanup:
    if (ep >= 0)
        close(ep);
    if (r.w)
        for (long i = 0; i <= r.count; i++)
            conn_close(&r.w[i]);
    free(r.w);
    if (r.cred)
        gnutls_certificate_free_credentials(r.cred);
    gnutls_global_deinit();
    return rc;
}
