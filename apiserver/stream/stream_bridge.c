/*
 * stream_bridge.c - the sockets of a WebSocket exec/attach: one thread per
 * session (as for the SPDY tunnels: sessions are few and long-lived) reads
 * kubectl's upgraded socket and the runtime's SPDY connection, feeds the
 * translation (stream_bridge_xlate.c) and writes what it produces.
 *
 * Back-pressure: a side is read only while what its bytes turn into for
 * the other side is below a high-water mark, so a slow kubectl slows the
 * runtime's output down instead of filling memory, and the other way.
 *
 * The end: when the runtime's connection ends, kubectl gets the close
 * frame and the bridge waits for kubectl to close in turn, which it does
 * once it has read everything: closing first would let the kernel reset
 * the connection and drop output kubectl has not read yet. kubectl
 * leaving (close frame, EOF, or under TLS a hang-up on its TCP socket,
 * which libmicrohttpd does not pass through its socketpair) ends the
 * runtime's connection at once, as for the SPDY tunnel.
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

#define IN_CLIENT (64 * 1024)
/* a whole control frame must fit, plus room for DATA behind it */
#define IN_RUNTIME (8 + K1S_SPDY_MAX_CONTROL + 64 * 1024)
#define HIGH_WATER (256 * 1024)
/* after our close frame: how long kubectl may take to read the rest and
   answer (measured from the last byte it took) */
#define LINGER_MS 60000
/* kube's streamCreationTimeout: the runtime must answer our streams */
#define STREAM_CREATION_MS 30000
/* after TLS kubectl hung up, how long bytes it sent just before may take
   to come through libmicrohttpd's forwarding */
#define TLS_GRACE_MS 200

typedef struct bridge {
    k1s_hub_member member;
    k1s_stream_hub *hub;
    int client; /* borrowed from libmicrohttpd */
    int raw;    /* kubectl's TCP socket under TLS, else -1 */
    struct MHD_UpgradeResponseHandle *urh;
    int backend; /* owned; -1 once closed */
    int wake;    /* eventfd, owned */
    k1s_xlate x;
    uint8_t *cin, *rin; /* bytes read, not yet translated */
    size_t ncin, nrin;
    bool client_broken; /* broke the protocol: read no more */
    bool runtime_eof;
    int64_t deadline; /* 0: none */
    int64_t ready_by; /* the runtime's stream replies are due */
} bridge;

static void bridge_poke(void *ctx, bool stopping)
{
    bridge *b = ctx;
    if (stopping) {
        uint64_t one = 1;
        ssize_t n = write(b->wake, &one, sizeof one);
        (void)n; /* a full counter still wakes the thread */
    }
}

/* recv into buf[*n..cap). 1 got bytes or would block; 0 EOF; -1 error. */
static int fill(int fd, uint8_t *buf, size_t *n, size_t cap)
{
    if (*n == cap)
        return 1;
    ssize_t r = recv(fd, buf + *n, cap - *n, 0);
    if (r > 0) {
        *n += (size_t)r;
        return 1;
    }
    if (r == 0)
        return 0;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 1 : -1;
}

/* send what q holds. Bytes written, or -1 on a hard error. */
static ssize_t drain(int fd, k1s_outq *q)
{
    size_t n = k1s__outq_pending(q);
    if (!n)
        return 0;
    ssize_t w = send(fd, q->b.p + q->off, n, MSG_NOSIGNAL);
    if (w > 0) {
        k1s__outq_consumed(q, (size_t)w);
        return w;
    }
    return w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR ? -1 : 0;
}

static void shift(uint8_t *buf, size_t *n, size_t used)
{
    memmove(buf, buf + used, *n - used);
    *n -= used;
}

static void close_backend(bridge *b)
{
    if (b->backend >= 0) {
        close(b->backend);
        b->backend = -1;
    }
    b->nrin = 0;
}

/* Translate what was read. false: the session cannot go on at all. */
static bool translate(bridge *b)
{
    k1s_xlate *x = &b->x;
    if (b->backend >= 0 && b->nrin) {
        ssize_t r = k1s__xlate_runtime(x, b->rin, b->nrin);
        if (r < 0) {
            k1s__xlate_runtime_ended(x, "the container runtime broke the SPDY protocol");
            close_backend(b);
        } else {
            shift(b->rin, &b->nrin, (size_t)r);
        }
    }
    if (b->backend >= 0 && b->runtime_eof) {
        /* a frame cut short by the end is dropped with it */
        k1s__xlate_runtime_ended(x, "the container runtime closed the stream without a status");
        close_backend(b);
    }
    /* kubectl's input waits until the runtime has answered every stream:
       Go's SPDY servers drop data on a stream they have not replied to */
    if (b->ncin && (k1s__xlate_ready(x) || x->close_sent)) {
        ssize_t r = k1s__xlate_client(x, b->cin, b->ncin);
        if (r < 0) {
            if (!x->close_sent)
                return false; /* no memory: nothing sensible left to say */
            b->ncin = 0;      /* a protocol error: the close frame says so */
            b->client_broken = true;
        } else {
            shift(b->cin, &b->ncin, (size_t)r);
        }
    }
    /* our close frame is queued: whatever ended the session, the
       runtime's half is over */
    if (x->close_sent)
        close_backend(b);
    return true;
}

static void *bridge_main(void *arg)
{
    bridge *b = arg;
    k1s_xlate *x = &b->x;
    bool hangup = false;
    for (;;) {
        if (!translate(b))
            break;
        int64_t now = k1s_time_mono_ms();
        bool waiting = b->backend >= 0 && !x->close_sent && !k1s__xlate_ready(x);
        if (waiting && now >= b->ready_by) {
            k1s__xlate_runtime_ended(x, "timed out waiting for the container runtime's streams");
            close_backend(b);
            continue;
        }
        if (x->close_sent && !b->deadline)
            b->deadline = now + LINGER_MS;
        bool out_empty = k1s__outq_pending(&x->to_client) == 0;
        if (x->close_sent && out_empty && (x->close_received || b->client_broken))
            break; /* the closing handshake is complete, or will never be */
        if (b->deadline && now >= b->deadline)
            break;
        struct pollfd pf[4] = {
            {.fd = b->client, .events = 0},
            {.fd = b->backend, .events = 0},
            {.fd = b->wake, .events = POLLIN},
            {.fd = hangup ? -1 : b->raw, .events = POLLRDHUP},
        };
        /* kubectl's pings queue pongs: stop reading a client that does
           not read its own answers */
        if (!b->client_broken && b->ncin < IN_CLIENT &&
            k1s__outq_pending(&x->to_runtime) < HIGH_WATER &&
            k1s__outq_pending(&x->to_client) < HIGH_WATER)
            pf[0].events |= POLLIN;
        if (!out_empty)
            pf[0].events |= POLLOUT;
        if (b->backend >= 0) {
            if (!b->runtime_eof && b->nrin < IN_RUNTIME &&
                k1s__outq_pending(&x->to_client) < HIGH_WATER)
                pf[1].events |= POLLIN;
            if (k1s__outq_pending(&x->to_runtime))
                pf[1].events |= POLLOUT;
        }
        /* a side with nothing to do is left out: a closed socket reports
           POLLHUP whatever was asked, and must not spin the loop */
        for (int i = 0; i < 2; i++)
            if (!pf[i].events)
                pf[i].fd = -1;
        int timeout = b->deadline ? (int)(b->deadline - now) : -1;
        if (waiting && (timeout < 0 || b->ready_by - now < timeout))
            timeout = (int)(b->ready_by - now);
        int n = poll(pf, 4, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (pf[2].revents) {
            /* the server is stopping: say so, as far as it goes at once */
            k1s__xlate_close_client(x, K1S_WS_GOING_AWAY, "the server is stopping");
            drain(b->client, &x->to_client);
            break;
        }
        if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int r = fill(b->client, b->cin, &b->ncin, IN_CLIENT);
            if (r <= 0)
                break; /* kubectl left: nothing more can reach it */
        }
        if ((pf[1].revents & (POLLIN | POLLHUP | POLLERR)) && b->backend >= 0 &&
            fill(b->backend, b->rin, &b->nrin, IN_RUNTIME) <= 0)
            b->runtime_eof = true;
        if (b->backend >= 0 && drain(b->backend, &x->to_runtime) < 0)
            b->runtime_eof = true;
        ssize_t w = drain(b->client, &x->to_client);
        if (w < 0)
            break;
        if (w > 0 && b->deadline && !hangup)
            b->deadline = k1s_time_mono_ms() + LINGER_MS;
        if (pf[3].revents) {
            /* kubectl hung up under TLS: let what is in flight arrive */
            hangup = true;
            b->deadline = k1s_time_mono_ms() + TLS_GRACE_MS;
        }
    }
    k1s_stream_hub *h = b->hub;
    k1s__hub_leave(h, &b->member);
    close_backend(b);
    close(b->wake);
    MHD_upgrade_action(b->urh, MHD_UPGRADE_ACTION_CLOSE);
    k1s__xlate_free(x);
    free(b->cin);
    free(b->rin);
    free(b);
    k1s__hub_thread_done(h);
    return NULL;
}

void k1s__bridge_start(k1s_stream_hub *h, int client, int raw,
                       struct MHD_UpgradeResponseHandle *urh, int backend, const k1s_bridge_opts *o,
                       const char *from_client, size_t nc, const char *from_runtime, size_t nr)
{
    bridge *b = calloc(1, sizeof *b);
    if (b)
        b->ready_by = k1s_time_mono_ms() + STREAM_CREATION_MS;
    if (!b)
        goto fail;
    b->hub = h;
    b->client = client;
    b->raw = raw != client ? raw : -1;
    b->urh = urh;
    b->backend = backend;
    b->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    b->member = (k1s_hub_member){.poke = bridge_poke, .ctx = b};
    b->cin = malloc(IN_CLIENT);
    b->rin = malloc(IN_RUNTIME);
    if (b->wake < 0 || !b->cin || !b->rin || nc > IN_CLIENT || nr > IN_RUNTIME ||
        k1s__xlate_init(&b->x, o))
        goto fail;
    if (nc)
        memcpy(b->cin, from_client, nc);
    if (nr)
        memcpy(b->rin, from_runtime, nr);
    b->ncin = nc;
    b->nrin = nr;
    if (k1s__hub_run(h, &b->member, client, backend, bridge_main, b) == 0)
        return;
fail:
    if (b) {
        if (b->wake >= 0)
            close(b->wake);
        k1s__xlate_free(&b->x);
        free(b->cin);
        free(b->rin);
        free(b);
    }
    close(backend);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}
