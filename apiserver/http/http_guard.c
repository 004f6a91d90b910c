/*
 * http_guard.c - connections that have not shown a valid token yet. Any
 * local process can open them, so they get little: at most PENDING_CAP at
 * once (a new one pushes the oldest out) and PENDING_SECONDS from accept to
 * the first authenticated request (TLS handshake and headers included, so a
 * slowloris client cannot keep one). Once a request carries the token the
 * connection is the client's: it may idle IDLE_SECONDS between requests,
 * and long-running requests (watch, logs, exec) never time out.
 *
 * libmicrohttpd has no call to close a connection from outside its
 * callbacks, so the guard shuts the socket down and lets libmicrohttpd see
 * the end. That is safe because libmicrohttpd reports a connection closed
 * (guard_notify, which takes guard_mu) before it closes its descriptor, and
 * shutdown is only called under guard_mu on connections not reported closed.
 */
#include "http_internal.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "k1s_time.h"

/* Unauthenticated connections held at once, and how long each may take. */
#define PENDING_CAP 1024
#define PENDING_SECONDS 10
/* Idle time allowed between an authenticated client's requests: longer than
 * client-go's 90 s, so the client closes first and never races our close. */
#define IDLE_SECONDS 300

struct k1s_guard_conn {
    k1s_guard_conn *prev, *next; /* in the pending list while pending */
    int fd;
    int64_t since; /* accept time, monotonic ms */
    bool pending;  /* no authenticated request yet */
    bool shut;     /* shut down by the guard; libmicrohttpd closes it */
};

static void unlink_pending(k1s_server *s, k1s_guard_conn *g)
{
    if (!g->pending)
        return;
    if (g->prev)
        g->prev->next = g->next;
    else
        s->pending_head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        s->pending_tail = g->prev;
    g->prev = g->next = NULL;
    g->pending = false;
    if (!g->shut)
        s->pending_live--;
}

/* guard_mu held. */
static void shut(k1s_server *s, k1s_guard_conn *g)
{
    if (g->shut)
        return;
    g->shut = true;
    s->pending_live--;
    shutdown(g->fd, SHUT_RDWR);
}

void k1s__guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code)
{
    k1s_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        k1s_guard_conn *g = calloc(1, sizeof *g);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = g;
        if (ci) {
            /* A response goes out as several TLS records; with Nagle the
             * last waits for the client's delayed ACK (40 ms). */
            int one = 1;
            (void)setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (!g || !ci)
            return; /* unguarded: libmicrohttpd's own timeout still applies */
        g->fd = ci->connect_fd;
        g->since = k1s_time_mono_ms();
        g->pending = true;
        pthread_mutex_lock(&s->guard_mu);
        g->prev = s->pending_tail;
        if (s->pending_tail)
            s->pending_tail->next = g;
        else
            s->pending_head = g;
        s->pending_tail = g;
        s->pending_live++;
        /* the newest gets its chance: a flood pushes out its own oldest */
        for (k1s_guard_conn *o = s->pending_head; o && s->pending_live > PENDING_CAP; o = o->next)
            if (o != g)
                shut(s, o);
        pthread_mutex_unlock(&s->guard_mu);
        return;
    }
    k1s_guard_conn *g = *socket_context;
    if (!g)
        return;
    pthread_mutex_lock(&s->guard_mu);
    unlink_pending(s, g);
    pthread_mutex_unlock(&s->guard_mu);
    free(g);
    *socket_context = NULL;
}

void k1s__guard_authenticated(k1s_server *s, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    k1s_guard_conn *g = ci ? ci->socket_context : NULL;
    if (!g || !g->pending)
        return;
    pthread_mutex_lock(&s->guard_mu);
    bool ok = !g->shut;
    unlink_pending(s, g);
    pthread_mutex_unlock(&s->guard_mu);
    if (ok)
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned)IDLE_SECONDS);
}

void k1s__guard_long_running(struct MHD_Connection *c)
{
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
}

void k1s__guard_sweep(k1s_server *s, int64_t now)
{
    pthread_mutex_lock(&s->guard_mu);
    for (k1s_guard_conn *g = s->pending_head; g && now - g->since >= PENDING_SECONDS * 1000;
         g = g->next)
        shut(s, g);
    pthread_mutex_unlock(&s->guard_mu);
}

unsigned k1s__guard_pending_timeout(void)
{
    return PENDING_SECONDS;
}
