/*
 * test_stream_client.h - what the pods/exec and pods/log tests share
 * beyond the fixture's server (fx_server_start): pods written with a
 * status, and a tiny raw-socket HTTP/1.1 client (raw, because the tests
 * need to see upgrades and half-closes exactly).
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
#include <unistd.h>

#include "k1s_api.h"
#include "k1s_apiserver.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

/* A pod; status (NULL: none) is then written as a merge patch of
 * pods/status. Both JSON text as fx_json reads it. 0 or the HTTP code. */
static inline int tc_pod(fx_server *t, const char *json, const char *status)
{
    json_t *in = fx_json(json);
    char name[256];
    snprintf(name, sizeof name, "%s", k1s_meta(in, "name") ? k1s_meta(in, "name") : "");
    int rc = fx_create(t->api, "Pod", "default", in);
    if (rc == 0 && status)
        rc = fx_patch(t->api, "Pod", "default", name, "status", status);
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
    int64_t end = k1s_time_mono_ms() + ms;
    while (!(b->len > skip && memmem(b->p + skip, b->len - skip, needle, strlen(needle)))) {
        int64_t left = end - k1s_time_mono_ms();
        if (left <= 0 || tc_recv(fd, b, (int)left) <= 0)
            return false;
    }
    return true;
}

typedef struct tc_resp {
    int code;
    char *head; /* status line and headers */
    char *body; /* de-chunked */
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
static inline int tc_request(int port, const char *method, const char *path, const char *headers,
                             tc_resp *r)
{
    memset(r, 0, sizeof *r);
    int fd = tc_connect(port);
    if (fd < 0)
        return -1;
    char req[8192];
    snprintf(req, sizeof req,
             "%s %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " FX_TOKEN
             "\r\n%s%sContent-Length: 0\r\n\r\n",
             method, path,
             headers && strcasestr(headers, "Connection:") ? "" : "Connection: close\r\n",
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
            (have >= 5 &&
             (!memcmp(he + 4, "0\r\n\r\n", 5) || memmem(he + 4, have, "\r\n0\r\n\r\n", 7))))
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
