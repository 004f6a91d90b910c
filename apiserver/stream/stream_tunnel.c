/*
 * http_stream_tunnel.c - the bytes of an upgraded exec/attach/portforward
 * connection: one thread per tunnel copies kubectl's socket to the
 * runtime's and back, without looking inside (SPDY is end to end between
 * kubectl and containerd). Streams are few and long-lived, so a thread
 * each keeps this simple and never blocks libmicrohttpd's threads.
 */
#include "stream_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define TUNNEL_BUF (64 * 1024)
/* once one side has closed, how long what it sent may take to flush */
#define FLUSH_MS 5000
/* after TLS kubectl hung up, how long bytes it sent just before may take
   to come through libmicrohttpd's forwarding */
#define TLS_GRACE_MS 200

typedef struct pipebuf {
    char *p;
    size_t len, off, cap;
    bool eof; /* the source has closed */
} pipebuf;

typedef struct tunnel {
    k1s_hub_member member;
    k1s_stream_hub *hub;
    int client; /* borrowed from libmicrohttpd */
    int raw;    /* kubectl's TCP socket when
                                                client is a TLS forwarding
                                                socketpair; -1 otherwise */
    struct MHD_UpgradeResponseHandle *urh;
    int backend;  /* owned */
    int wake;     /* eventfd, owned */
    pipebuf up;   /* client -> backend */
    pipebuf down; /* backend -> client */
} tunnel;

static void tunnel_poke(void *ctx, bool stopping)
{
    tunnel *t = ctx;
    if (stopping) {
        uint64_t one = 1;
        ssize_t n = write(t->wake, &one, sizeof one);
        (void)n; /* a full counter still wakes the thread */
    }
}

static int buf_init(pipebuf *b, const char *pre, size_t n)
{
    b->cap = n > TUNNEL_BUF ? n : TUNNEL_BUF;
    b->p = malloc(b->cap);
    if (!b->p)
        return -1;
    if (n)
        memcpy(b->p, pre, n);
    b->len = n;
    return 0;
}

static bool drained(const pipebuf *b)
{
    return b->off == b->len;
}

/* Read what fits from fd into b. -1 on a hard error. */
static int fill(int fd, pipebuf *b)
{
    if (b->len == b->cap || b->eof)
        return 0;
    ssize_t n = recv(fd, b->p + b->len, b->cap - b->len, 0);
    if (n > 0)
        b->len += (size_t)n;
    else if (n == 0)
        b->eof = true;
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return -1;
    return 0;
}

/* Write what b holds to fd. */
static int drain(int fd, pipebuf *b)
{
    if (b->len > b->off) {
        ssize_t n = send(fd, b->p + b->off, b->len - b->off, MSG_NOSIGNAL);
        if (n > 0)
            b->off += (size_t)n;
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        /* make room for reading again */
        if (b->off == b->len) {
            b->off = b->len = 0;
        } else if (b->off >= b->cap / 2) {
            memmove(b->p, b->p + b->off, b->len - b->off);
            b->len -= b->off;
            b->off = 0;
        }
    }
    return 0;
}

/* Copies until one side closes and what it sent has been delivered: the
 * other side is then closed too, as kube-apiserver's proxy does (SPDY
 * peers never half-close a connection). */
static void *tunnel_main(void *arg)
{
    tunnel *t = arg;
    int64_t deadline = 0;
    for (;;) {
        struct pollfd pf[4] = {
            {.fd = t->client, .events = 0},
            {.fd = t->backend, .events = 0},
            {.fd = t->wake, .events = POLLIN},
            {.fd = t->raw, .events = POLLRDHUP},
        };
        if (!t->up.eof && t->up.len < t->up.cap)
            pf[0].events |= POLLIN;
        if (!drained(&t->down))
            pf[0].events |= POLLOUT;
        if (!t->down.eof && t->down.len < t->down.cap)
            pf[1].events |= POLLIN;
        if (!drained(&t->up))
            pf[1].events |= POLLOUT;
        /* a side with nothing to do is left out: a closed socket reports
           POLLHUP whatever was asked, and must not spin the loop */
        for (int i = 0; i < 2; i++)
            if (!pf[i].events)
                pf[i].fd = -1;
        if (deadline)
            pf[3].fd = -1;
        int timeout = -1;
        if (deadline) {
            int64_t left = deadline - k1s_time_mono_ms();
            if (left <= 0)
                break;
            timeout = (int)left;
        }
        int n = poll(pf, 4, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (pf[2].revents)
            break; /* the server is stopping */
        if (n <= 0)
            continue;
        /* POLLHUP/POLLERR with nothing to read show up as recv() == 0 or -1 */
        if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) && fill(t->client, &t->up))
            break;
        if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && fill(t->backend, &t->down))
            break;
        if (drain(t->backend, &t->up) || drain(t->client, &t->down))
            break;
        if ((t->down.eof && drained(&t->down)) || (t->up.eof && drained(&t->up)))
            break; /* one side closed and all it sent was delivered */
        if (pf[3].revents) {
            /* kubectl hung up under TLS: libmicrohttpd does not pass the
               end through its socketpair, so let what is in flight
               arrive, then finish */
            deadline = k1s_time_mono_ms() + TLS_GRACE_MS;
        } else if ((t->up.eof || t->down.eof) && !deadline) {
            deadline = k1s_time_mono_ms() + FLUSH_MS;
        }
    }
    k1s_stream_hub *h = t->hub;
    k1s__hub_leave(h, &t->member);
    close(t->backend);
    close(t->wake);
    MHD_upgrade_action(t->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(t->up.p);
    free(t->down.p);
    free(t);
    k1s__hub_thread_done(h);
    return NULL;
}

void k1s__tunnel_start(k1s_stream_hub *h, int client, int raw,
                       struct MHD_UpgradeResponseHandle *urh, int backend, const char *to_backend,
                       size_t nb, const char *to_client, size_t nc)
{
    tunnel *t = calloc(1, sizeof *t);
    if (!t)
        goto fail;
    t->hub = h;
    t->client = client;
    t->raw = raw != client ? raw : -1;
    t->urh = urh;
    t->backend = backend;
    t->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    t->member = (k1s_hub_member){.poke = tunnel_poke, .ctx = t};
    if (t->wake < 0 || buf_init(&t->up, to_backend, nb) || buf_init(&t->down, to_client, nc))
        goto fail;
    if (k1s__hub_run(h, &t->member, client, backend, tunnel_main, t) == 0)
        return;
fail:
    if (t) {
        if (t->wake >= 0)
            close(t->wake);
        free(t->up.p);
        free(t->down.p);
        free(t);
    }
    close(backend);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}
