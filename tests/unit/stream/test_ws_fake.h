/*
 * test_ws_fake.h - the node side for the WebSocket exec tests: a runtime
 * streaming server speaking SPDY/3.1 with the v4 stream protocol, as
 * containerd's does (the codec under test plays its part): it answers the
 * upgrade, replies to every stream, echoes stdin on stdout and, when stdin
 * ends, sends some bulk output, the exit status (code 3), resets, GOAWAY
 * and closes, as the kubelet's streaming server ends a command.
 */
#ifndef K1S_TEST_WS_FAKE_H
#define K1S_TEST_WS_FAKE_H

#include "stream_internal.h"
#include "test_stream_fake.h"

#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_POD                                                               \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}," \
    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}"
/* the kubelet's words for exit code 3 */
#define WS_STATUS                                                             \
    "{\"metadata\":{},\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\"," \
    "\"details\":{\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"3\"}]}}"

/* ---- a runtime speaking SPDY ------------------------------------------------- */

typedef struct spdy_rt {
    int lfd, port, fd;
    pthread_t th;
    bool refuse; /* answer 404 */
    size_t bulk; /* stdout bytes to send once stdin ends */
    char head[4096];
    char types[16][16]; /* streamtype by stream id */
    k1s_buf resize, out;
    k1s_spdy_zlib *z;
    bool saw_stdin_fin, saw_eof, done;
} spdy_rt;

static inline uint32_t sid_of(const spdy_rt *r, const char *type)
{
    for (uint32_t i = 1; i < 16; i++)
        if (!strcmp(r->types[i], type))
            return i;
    return 0;
}

static inline void rt_pair(void *ctx, const char *n, size_t nl, const char *v, size_t vl)
{
    if (nl == 10 && !memcmp(n, "streamtype", 10))
        snprintf(ctx, 16, "%.*s", (int)vl, v);
}

static inline int rt_control(void *ctx, const k1s_spdy_head *h, const uint8_t *payload)
{
    spdy_rt *r = ctx;
    k1s_spdy_ctrl c;
    if (k1s__spdy_parse_control(h, payload, &c) || c.sid >= 16)
        return -1;
    if (c.type != K1S_SPDY_SYN_STREAM)
        return 0;
    k1s_buf plain = {0};
    int rc = k1s__spdy_block_decode(r->z, c.block, c.nblock, 4096, &plain);
    if (rc == 0)
        k1s__spdy_block_pairs((uint8_t *)plain.p, plain.len, rt_pair, r->types[c.sid]);
    free(plain.p);
    return rc ? rc : k1s__spdy_put_syn_reply(&r->out, r->z, c.sid, 0, NULL, 0);
}

/* stdin is echoed on stdout; its end ends the command as the kubelet's
 * streaming server ends one: output, status, resets, GOAWAY, close */
static inline int rt_data(void *ctx, uint32_t sid, const uint8_t *p, size_t n, bool fin)
{
    spdy_rt *r = ctx;
    if (sid == sid_of(r, "resize"))
        k1s_buf_add(&r->resize, (const char *)p, n);
    if (sid != sid_of(r, "stdin"))
        return 0;
    if (n)
        k1s__spdy_put_data(&r->out, sid_of(r, "stdout"), 0, p, n);
    if (!fin)
        return 0;
    r->saw_stdin_fin = true;
    static char chunk[32768];
    memset(chunk, 'z', sizeof chunk);
    for (size_t left = r->bulk; left;) {
        size_t k = left < sizeof chunk ? left : sizeof chunk;
        k1s__spdy_put_data(&r->out, sid_of(r, "stdout"), 0, chunk, k);
        left -= k;
    }
    k1s__spdy_put_data(&r->out, sid_of(r, "error"), 0, WS_STATUS, strlen(WS_STATUS));
    for (uint32_t i = 1; i < 16; i += 2)
        if (r->types[i][0])
            k1s__spdy_put_rst(&r->out, i, K1S_SPDY_CANCEL);
    k1s__spdy_put_goaway(&r->out, 0, 0);
    r->done = true;
    return 0;
}

static inline void *spdy_rt_main(void *arg)
{
    spdy_rt *r = arg;
    r->fd = accept(r->lfd, NULL, NULL);
    tc_buf b = {0};
    if (r->fd < 0 || !tc_wait_for(r->fd, &b, 0, "\r\n\r\n", 5000))
        goto out;
    size_t head = (size_t)(strstr(b.p, "\r\n\r\n") + 4 - b.p);
    snprintf(r->head, sizeof r->head, "%.*s", (int)head, b.p);
    const char *a =
        r->refuse ? "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
                    "Content-Length: 19\r\n\r\nunknown exec token\n"
                  : "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                    "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n";
    if (tc_send(r->fd, a, strlen(a)) || r->refuse)
        goto out;
    k1s_spdy_reader rd = {0};
    const k1s_spdy_events events = {rt_data, rt_control};
    size_t used = head;
    for (;;) {
        ssize_t n = k1s__spdy_read(&rd, (uint8_t *)b.p + used, b.len - used, &events, r);
        if (n < 0 || tc_send(r->fd, r->out.p, r->out.len))
            break;
        used += (size_t)n;
        r->out.len = 0;
        if (r->done)
            break;
        int rc = tc_recv(r->fd, &b, 10000);
        if (rc == 0)
            r->saw_eof = true;
        if (rc <= 0)
            break;
    }
out:
    free(b.p);
    if (r->fd >= 0)
        close(r->fd);
    return NULL;
}

static inline int spdy_rt_start(spdy_rt *r, bool refuse, size_t bulk)
{
    memset(r, 0, sizeof *r);
    r->refuse = refuse;
    r->bulk = bulk;
    r->z = k1s__spdy_zlib_new();
    r->lfd = fx_listen(NULL, 4, &r->port);
    if (r->lfd < 0)
        return -1;
    return pthread_create(&r->th, NULL, spdy_rt_main, r);
}

static inline void spdy_rt_stop(spdy_rt *r)
{
    shutdown(r->lfd, SHUT_RDWR);
    pthread_join(r->th, NULL);
    close(r->lfd);
}

/* After spdy_rt_stop, once the test has looked at what it recorded. */
static inline void spdy_rt_free(spdy_rt *r)
{
    k1s__spdy_zlib_free(r->z);
    free(r->resize.p);
    free(r->out.p);
}

#endif
