/*
 * proxy_conn.c - one forwarded TCP connection: a non-blocking connect to
 * the service port's next backend (the next one again if that fails, a
 * few times), then a copy in each direction through a fixed buffer. A FIN
 * is passed on with shutdown(SHUT_WR) once its direction's buffer is
 * flushed, so half-closed protocols work; the connection ends when both
 * directions have, or at once (with RST) on an error.
 *
 * Both sockets are in epoll edge-triggered for in and out, registered
 * once. pump() moves data until nothing moves; when it stops early to be
 * fair to other connections, the connection goes on the "again" list and
 * is pumped again before the next epoll_wait, since no new edge would come.
 * Closed connections are freed at the end of the loop turn (the graveyard),
 * as later events of the same epoll batch may still point at them.
 */
#include "proxy_internal.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 3000
#define MAX_TRIES 3
#define PUMP_ROUNDS 16

static void reset_close(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void conn_close(k1s_proxy *p, k1s__proxy_conn *c, bool reset)
{
    if (c->closed)
        return;
    c->closed = true;
    if (c->cl.fd >= 0)
        reset ? reset_close(c->cl.fd) : (void)close(c->cl.fd);
    if (c->be.fd >= 0)
        reset ? reset_close(c->be.fd) : (void)close(c->be.fd);
    c->cl.fd = c->be.fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else
        p->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    p->nconns--;
    if (!c->queued) { /* else freed once the again list lets go of it */
        c->again = p->graveyard;
        p->graveyard = c;
        c->queued = true;
    }
}

static void conn_free(k1s__proxy_conn *c)
{
    k1s__proxy_svcport_unref(c->sp);
    free(c->up.data);
    free(c->down.data);
    free(c);
}

static int add_fd(k1s_proxy *p, k1s__proxy_side *s)
{
    struct epoll_event ev = {
        .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
        .data.ptr = &s->h,
    };
    return epoll_ctl(p->epfd, EPOLL_CTL_ADD, s->fd, &ev);
}

/* Start connecting to the next backend. 0: in progress or done; -1: no
 * backend could be tried (the client was reset). */
static int conn_connect(k1s_proxy *p, k1s__proxy_conn *c)
{
    if (c->be.fd >= 0) {
        close(c->be.fd);
        c->be.fd = -1;
    }
    size_t limit = c->sp->be.n < MAX_TRIES ? c->sp->be.n : MAX_TRIES;
    while ((size_t)c->tries < limit && !c->sp->dead) {
        c->tries++;
        const k1s__proxy_backend *be = k1s__proxy_svcport_pick(c->sp);
        if (!be)
            break;
        int fd = socket(be->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        c->be.fd = fd;
        memcpy(c->to_ip, be->ip, sizeof c->to_ip);
        c->to_port = be->port;
        if (add_fd(p, &c->be) < 0)
            break;
        if (connect(fd, (const struct sockaddr *)&be->sa, be->salen) == 0 || errno == EINPROGRESS) {
            c->connecting = true;
            c->deadline_ms = k1s_time_mono_ms() + CONNECT_TIMEOUT_MS;
            return 0;
        }
        k1s__proxy_log(p, "%s: connect to %s:%d: %s", c->sp->key, be->ip, be->port,
                       strerror(errno));
        close(fd);
        c->be.fd = -1;
    }
    conn_close(p, c, true);
    return -1;
}

void k1s__proxy_accept(k1s_proxy *p, k1s__proxy_listener *l)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Level-triggered: it would spin. Resume on the tick. */
                k1s__proxy_log(p, "accept on %s:%d: %s; pausing", l->addr, l->port,
                               strerror(errno));
                epoll_ctl(p->epfd, EPOLL_CTL_DEL, l->fd, NULL);
                l->paused = true;
            }
            return;
        }
        if (!l->sp->be.n) { /* nothing ready: refuse like kube-proxy */
            reset_close(fd);
            continue;
        }
        k1s__proxy_conn *c = calloc(1, sizeof *c);
        if (!c) {
            reset_close(fd);
            continue;
        }
        c->cl = (k1s__proxy_side){{PH_CLIENT}, fd, c};
        c->be = (k1s__proxy_side){{PH_BACKEND}, -1, c};
        c->sp = l->sp;
        c->sp->refs++;
        c->next = p->conns;
        if (p->conns)
            p->conns->prev = c;
        p->conns = c;
        p->nconns++;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (add_fd(p, &c->cl) < 0) {
            conn_close(p, c, true);
            continue;
        }
        conn_connect(p, c);
    }
}

static bool transient(int e)
{
    return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

/* Move what can move from src to dst. Data goes through the proxy's one
 * scratch buffer straight on; only what dst does not take at once is kept
 * (b->data, malloc'd, at most K1S__PROXY_BUF), and nothing more is read from
 * src until it is flushed: so an idle connection costs no buffer, and a
 * slow reader holds back its writer. 1: progress, 0: none, -1: a socket
 * error. dst_ok: dst is connected and may be written. */
static int move(k1s_proxy *p, int src, int dst, k1s__proxy_buf *b, bool dst_ok)
{
    int progress = 0;
    if (dst_ok && b->tail > b->head) {
        ssize_t n = send(dst, b->data + b->head, b->tail - b->head, MSG_NOSIGNAL);
        if (n > 0) {
            b->head += (size_t)n;
            progress = 1;
        } else if (n < 0 && !transient(errno)) {
            return -1;
        }
    }
    if (b->head == b->tail && b->data) {
        free(b->data);
        b->data = NULL;
        b->head = b->tail = 0;
    }
    if (!b->data && !b->eof) {
        ssize_t n = recv(src, p->scratch, K1S__PROXY_BUF, 0);
        if (n == 0) {
            b->eof = true;
            progress = 1;
        } else if (n < 0) {
            if (!transient(errno))
                return -1;
        } else {
            progress = 1;
            ssize_t sent = dst_ok ? send(dst, p->scratch, (size_t)n, MSG_NOSIGNAL) : 0;
            if (sent < 0) {
                if (!transient(errno))
                    return -1;
                sent = 0;
            }
            if (sent < n) {
                if (!(b->data = malloc((size_t)(n - sent))))
                    return -1;
                memcpy(b->data, p->scratch + sent, (size_t)(n - sent));
                b->tail = (size_t)(n - sent);
            }
        }
    }
    if (dst_ok && b->eof && b->head == b->tail && !b->shut) {
        shutdown(dst, SHUT_WR);
        b->shut = true;
        progress = 1;
    }
    return progress;
}

static void pump(k1s_proxy *p, k1s__proxy_conn *c)
{
    bool ok = !c->connecting;
    for (int round = 0; round < PUMP_ROUNDS; round++) {
        int a = move(p, c->cl.fd, c->be.fd, &c->up, ok);
        int b = ok ? move(p, c->be.fd, c->cl.fd, &c->down, true) : 0;
        if (a < 0 || b < 0) {
            conn_close(p, c, true);
            return;
        }
        if (c->up.shut && c->down.shut) {
            conn_close(p, c, false);
            return;
        }
        if (!a && !b)
            return;
    }
    if (!c->queued) {
        c->queued = true;
        c->again = p->again;
        p->again = c;
    }
}

/* The backend socket is writable or failed while connecting. */
static void connect_done(k1s_proxy *p, k1s__proxy_conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->be.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        k1s__proxy_log(p, "%s: connect to %s:%d: %s", c->sp->key, c->to_ip, c->to_port,
                       strerror(err));
        conn_connect(p, c); /* the next backend, or the client is reset */
        return;
    }
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    if (getpeername(c->be.fd, (struct sockaddr *)&peer, &plen) < 0)
        return; /* not yet: a stray edge; the real one will come */
    c->connecting = false;
    int one = 1;
    setsockopt(c->be.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void k1s__proxy_conn_event(k1s_proxy *p, k1s__proxy_side *s, uint32_t events)
{
    k1s__proxy_conn *c = s->conn;
    if (c->closed)
        return;
    if (s == &c->be && c->connecting) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        connect_done(p, c);
        if (c->closed || c->connecting)
            return;
    }
    pump(p, c);
}

void k1s__proxy_conn_run_again(k1s_proxy *p)
{
    k1s__proxy_conn *list = p->again;
    p->again = NULL;
    while (list) {
        k1s__proxy_conn *c = list;
        list = c->again;
        c->queued = false;
        if (c->closed) {
            c->again = p->graveyard;
            p->graveyard = c;
            c->queued = true;
            continue;
        }
        pump(p, c);
    }
}

void k1s__proxy_conn_tick(k1s_proxy *p, int64_t now)
{
    k1s__proxy_conn *next;
    for (k1s__proxy_conn *c = p->conns; c; c = next) {
        next = c->next; /* conn_connect may close c */
        if (c->connecting && now >= c->deadline_ms) {
            k1s__proxy_log(p, "%s: connect to %s:%d timed out", c->sp->key, c->to_ip, c->to_port);
            conn_connect(p, c);
        }
    }
}

void k1s__proxy_conn_reap(k1s_proxy *p)
{
    while (p->graveyard) {
        k1s__proxy_conn *c = p->graveyard;
        p->graveyard = c->again;
        conn_free(c);
    }
}

void k1s__proxy_conn_close_all(k1s_proxy *p)
{
    while (p->conns)
        conn_close(p, p->conns, true);
    k1s__proxy_conn_run_again(p); /* moves closed queued ones to the graveyard */
}
