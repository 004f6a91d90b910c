/*
 * test_stream_fake.h - the node side for the pods/exec tests: a fake
 * runtime streaming server (answers a SPDY-style upgrade, then echoes, or
 * refuses, or hangs up) and a fake node backend that records what it was
 * asked and points at it.
 */
#ifndef K1S_TEST_STREAM_FAKE_H
#define K1S_TEST_STREAM_FAKE_H

#include <pthread.h>

#include "test_stream_client.h"

/* ---- a fake runtime streaming server ---------------------------------------- */

typedef struct fake_rt {
    int lfd, port;
    pthread_t th;
    bool refuse;     /* answer 404 instead of 101 */
    bool hangup;     /* close right after the 101 and HELLO */
    char head[4096]; /* the request it got */
    size_t echoed;
    bool saw_eof;
} fake_rt;

static inline void *fake_rt_main(void *arg)
{
    fake_rt *f = arg;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0)
        return NULL;
    tc_buf b = {0};
    if (!tc_wait_for(fd, &b, 0, "\r\n\r\n", 5000)) {
        close(fd);
        free(b.p);
        return NULL;
    }
    snprintf(f->head, sizeof f->head, "%.*s", (int)(strstr(b.p, "\r\n\r\n") - b.p + 2), b.p);
    if (f->refuse) {
        const char *r = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Length: 19\r\n\r\nunknown exec token\n";
        tc_send(fd, r, strlen(r));
    } else {
        /* early bytes right behind the 101, as a SPDY server may send */
        const char *r =
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
            "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\nHELLO";
        tc_send(fd, r, strlen(r));
        char buf[65536];
        while (!f->hangup) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                f->saw_eof = n == 0;
                break;
            }
            if (tc_send(fd, buf, (size_t)n))
                break;
            f->echoed += (size_t)n;
        }
    }
    free(b.p);
    close(fd);
    return NULL;
}

static inline int fake_rt_start(fake_rt *f, bool refuse, bool hangup)
{
    memset(f, 0, sizeof *f);
    f->refuse = refuse;
    f->hangup = hangup;
    f->lfd = fx_listen(NULL, 4, &f->port);
    if (f->lfd < 0)
        return -1;
    return pthread_create(&f->th, NULL, fake_rt_main, f);
}

static inline void fake_rt_stop(fake_rt *f)
{
    shutdown(f->lfd, SHUT_RDWR); /* unblocks accept if nobody came */
    pthread_join(f->th, NULL);
    close(f->lfd);
}

/* ---- a fake node backend ----------------------------------------------------- */

typedef struct fake_node {
    int rt_port;
    int calls;
    char verb[16], container[64], cmd[256];
    bool in, out, err, tty;
    int ports[8];
    size_t nports;
} fake_node;

static inline int fake_stream_url(void *ctx, const k1s_stream_request *rq, char **url,
                                  k1s_status *st)
{
    fake_node *n = ctx;
    (void)st;
    n->calls++;
    snprintf(n->verb, sizeof n->verb, "%s", rq->verb);
    snprintf(n->container, sizeof n->container, "%s", rq->container ? rq->container : "");
    n->cmd[0] = 0;
    for (size_t i = 0; i < rq->ncommand; i++) {
        strncat(n->cmd, rq->command[i], sizeof n->cmd - strlen(n->cmd) - 2);
        strcat(n->cmd, "|");
    }
    n->in = rq->in;
    n->out = rq->out;
    n->err = rq->err;
    n->tty = rq->tty;
    n->nports = rq->nports < 8 ? rq->nports : 8;
    if (n->nports)
        memcpy(n->ports, rq->ports, n->nports * sizeof(int));
    return asprintf(url, "http://127.0.0.1:%d/exec/tok123", n->rt_port) < 0 ? -1 : 0;
}

#endif
