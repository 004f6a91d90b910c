/*
 * test_stream_client.h - what the pods/exec and pods/log tests share: an
 * API server on a random port over an in-memory store, pods written
 * through the client interface, and a tiny raw-socket HTTP/1.1 client
 * (raw, because the tests need to see upgrades and half-closes exactly).
 */
#ifndef K1S_TEST_STREAM_CLIENT_H
#define K1S_TEST_STREAM_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "k1s_api.h"
#include "k1s_apiserver.h"

#define TC_TOKEN "test-token"

typedef struct tc_server {
    k1s_api *api;
    k1s_server *srv;
    int port;
} tc_server;

static inline int tc_start(tc_server *t)
{
    memset(t, 0, sizeof *t);
    k1s_api_config cfg = {.db_path = ":memory:"};
    char *err = NULL;
    if (k1s_api_open(&cfg, &t->api, &err) != 0) {
        fprintf(stderr, "open: %s\n", err ? err : "?");
        free(err);
        return -1;
    }
    char berr[256];
    if (k1s_api_bootstrap(t->api, 6443, berr, sizeof berr) != 0) {
        fprintf(stderr, "bootstrap: %s\n", berr);
        k1s_api_close(t->api);
        return -1;
    }
    k1s_server_config sc = {.api = t->api, .port = 0, .token = TC_TOKEN, .threads = 2};
    if (k1s_server_start(&sc, &t->srv, &err) != 0) {
        fprintf(stderr, "server: %s\n", err ? err : "?");
        free(err);
        k1s_api_close(t->api);
        return -1;
    }
    t->port = k1s_server_port(t->srv);
    return 0;
}

static inline void tc_stop(tc_server *t)
{
    k1s_server_stop(t->srv);
    k1s_api_close(t->api);
}

/* A pod; status (JSON text or NULL) is then written as a merge patch of
 * pods/status. */
static inline int tc_pod(tc_server *t, const char *json, const char *status)
{
    const k1s_kind *k = k1s_registry_find_kind("", "Pod");
    json_t *in = json_loads(json, 0, NULL), *out = NULL;
    k1s_status st = {0};
    const char *name = json_string_value(json_object_get(json_object_get(in, "metadata"), "name"));
    k1s_target tg = {k, "default", name, NULL};
    int rc = in ? k1s_api_create(t->api, &tg, in, NULL, &out, &st) : -1;
    json_decref(out);
    out = NULL;
    if (rc == 0 && status) {
        json_t *patch = json_loads(status, 0, NULL);
        k1s_target ts = {k, "default", name, "status"};
        rc = patch ? k1s_api_patch(t->api, &ts, K1S_PATCH_MERGE, patch, NULL, &out, &st) : -1;
        json_decref(patch);
        json_decref(out);
    }
    if (rc)
        fprintf(stderr, "pod: %s\n", st.message ? st.message : "bad JSON");
    k1s_status_clear(&st);
    json_decref(in);
    return rc;
}

static inline int tc_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static inline int64_t tc_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int tc_send(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A growable receive buffer, NUL-terminated. */
typedef struct tc_buf {
    char *p;
    size_t len, cap;
} tc_buf;

/* Receive once (waiting up to ms). 1 data, 0 EOF, -1 timeout/error. */
static inline int tc_recv(int fd, tc_buf *b, int ms)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (poll(&pf, 1, ms) <= 0)
        return -1;
    if (b->len + 65537 > b->cap) {
        b->cap = b->len + 65537 + b->cap;
        b->p = realloc(b->p, b->cap);
    }
    ssize_t n = recv(fd, b->p + b->len, 65536, 0);
    if (n < 0)
        return -1;
    b->len += (size_t)n;
    b->p[b->len] = 0;
    return n > 0 ? 1 : 0;
}

/* Read until needle shows up (after skip bytes) or ms pass. */
static inline bool tc_wait_for(int fd, tc_buf *b, size_t skip, const char *needle, int ms)
{
    int64_t end = tc_ms() + ms;
    while (!(b->len > skip && memmem(b->p + skip, b->len - skip, needle, strlen(needle)))) {
        int64_t left = end - tc_ms();
        if (left <= 0 || tc_recv(fd, b, (int)left) <= 0)
            return false;
    }
    return true;
}

typedef struct tc_resp {
    int code;
    char *head;     /* status line and headers */
    char *body;     /* de-chunked */
    size_t blen;
} tc_resp;

static inline void tc_resp_free(tc_resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Undo chunked transfer coding (enough for these tests). */
static inline size_t tc_dechunk(const char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        char *e = NULL;
        unsigned long len = strtoul(in + i, &e, 16);
        const char *data = e ? strstr(e, "\r\n") : NULL;
        if (!data || len == 0)
            break;
        data += 2;
        size_t at = (size_t)(data - in);
        if (at + len > n)
            len = n - at;
        memcpy(out + o, data, len);
        o += len;
        i = at + len + 2;
    }
    return o;
}

/* One request on a fresh connection (Connection: close), whole answer. */
static inline int tc_request(int port, const char *method, const char *path,
                      const char *headers, tc_resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = tc_connect(port);
    if (fd < 0)
        return -1;
    char req[8192];
    snprintf(req, sizeof req,
             "%s %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " TC_TOKEN
             "\r\n%s%sContent-Length: 0\r\n\r\n",
             method, path, headers && strcasestr(headers, "Connection:") ? "" : "Connection: close\r\n",
             headers ? headers : "");
    tc_buf b = {0};
    int rc = tc_send(fd, req, strlen(req));
    /* until the body is complete (the connection may stay open) */
    while (rc == 0 && tc_recv(fd, &b, 10000) > 0) {
        char *he = strstr(b.p, "\r\n\r\n");
        if (!he)
            continue;
        size_t have = b.len - (size_t)(he + 4 - b.p);
        const char *cl = strcasestr(b.p, "\r\nContent-Length:");
        if (cl && cl < he && have >= (size_t)atol(cl + 17))
            break;
        if (strcasestr(b.p, "Transfer-Encoding: chunked") &&
            (have >= 5 && (!memcmp(he + 4, "0\r\n\r\n", 5) ||
                           memmem(he + 4, have, "\r\n0\r\n\r\n", 7))))
            break;
    }
    close(fd);
    char *end = b.p ? strstr(b.p, "\r\n\r\n") : NULL;
    if (rc || !end || sscanf(b.p, "HTTP/1.%*d %d", &r->code) != 1) {
        free(b.p);
        return -1;
    }
    r->head = strndup(b.p, (size_t)(end - b.p + 2));
    const char *body = end + 4;
    size_t blen = b.len - (size_t)(body - b.p);
    r->body = calloc(1, blen + 1);
    if (strcasestr(r->head, "Transfer-Encoding: chunked"))
        r->blen = tc_dechunk(body, blen, r->body);
    else {
        memcpy(r->body, body, blen);
        r->blen = blen;
    }
    free(b.p);
    return 0;
}

#endif
