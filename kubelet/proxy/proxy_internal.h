/*
 * proxy_internal.h - the pieces of the user-space service proxy
 * (k1s_proxy.h) and how they share state. Everything here runs on the
 * proxy's one thread except the watch notify, which only writes the
 * eventfd; so nothing needs a lock.
 *
 *   proxy.c           start/stop, the epoll loop, the 1 s tick
 *   proxy_sync.c      list+watch of Services and Endpoints into caches
 *   proxy_table.c     Endpoints -> sorted backends, round-robin choice
 *   proxy_reconcile.c caches -> service ports, listeners, ClusterIPs
 *   proxy_conn.c      accepted connections: connect, copy, half-close
 *   proxy_cip.c       ClusterIP addresses on the k1s-svc interface
 *   proxy_netlink.c   the few rtnetlink requests proxy_cip.c needs
 */
#ifndef K1S_PROXY_INTERNAL_H
#define K1S_PROXY_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "k1s_proxy.h"

/* ---- backends (proxy_table.c; pure, unit-tested) ----------------------- */

typedef struct proxy_backend {
    char *pod;                 /* targetRef.name; "" when none (owned) */
    struct sockaddr_storage sa;
    socklen_t salen;
    char ip[INET6_ADDRSTRLEN];
    int port;
} proxy_backend;

typedef struct proxy_backends {
    proxy_backend *v;
    size_t n;
} proxy_backends;

/* The ready backends of one service port in eps (an Endpoints object, may
 * be NULL), sorted by pod name (natural order), IP, port. A subset's port
 * is used when its name is port_name, or when it is the subset's only port
 * and the service has only one port (only_port). 0, or -1 (no memory). */
int proxy_backends_from(const json_t *eps, const char *port_name,
                        bool only_port, proxy_backends *out);
void proxy_backends_free(proxy_backends *b);
int proxy_backend_cmp(const proxy_backend *a, const proxy_backend *b);
/* Index of the backend that follows last in the sorted order (wrapping);
 * the first one when last is NULL; -1 when there is none. */
long proxy_rr_next(const proxy_backends *b, const proxy_backend *last);
/* Parse ip and port into be (pod borrowed as "" unless set later). */
int proxy_backend_addr(proxy_backend *be, const char *ip, int port);

/* ---- epoll handles ------------------------------------------------------ */

/* PH_GONE: closed, freed at the end of the loop turn; events ignored. */
enum { PH_GONE, PH_WAKE, PH_LISTENER, PH_CLIENT, PH_BACKEND };

/* First member of everything registered with epoll (data.ptr). */
typedef struct proxy_handle {
    int kind;
} proxy_handle;

/* ---- service ports and listeners (proxy_reconcile.c) -------------------- */

typedef struct proxy_svcport {
    char *key;                 /* "ns/name:port" for logs and lookup */
    proxy_backends be;
    proxy_backend last;        /* the last one chosen (pod owned) */
    bool has_last;
    bool seen;                 /* reconcile mark */
    bool dead;                 /* removed from the table */
    int refs;                  /* the table's + each connection's */
} proxy_svcport;

typedef struct proxy_listener {
    proxy_handle h;
    int fd;                    /* -1 until bound; retried on the tick */
    char addr[INET6_ADDRSTRLEN];
    int port;
    bool cluster_ip;           /* bound to a ClusterIP (IP_FREEBIND) */
    proxy_svcport *sp;         /* borrowed from the table */
    bool want;                 /* reconcile mark */
    bool paused;               /* out of fds: out of epoll until the tick */
    bool warned;               /* the bind failure was logged */
    int64_t retry_ms;
    struct proxy_listener *next;
} proxy_listener;

void proxy_svcport_unref(proxy_svcport *sp);
/* The next backend of sp in round-robin order, or NULL. */
const proxy_backend *proxy_svcport_pick(proxy_svcport *sp);
void proxy_reconcile(k1s_proxy *p);
/* Open listeners whose bind failed earlier, resume paused ones. */
void proxy_listeners_retry(k1s_proxy *p);
/* Free the listeners closed during this loop turn. */
void proxy_listeners_reap(k1s_proxy *p);
void proxy_reconcile_free(k1s_proxy *p);

/* ---- connections (proxy_conn.c) ----------------------------------------- */

#define PROXY_BUF (64 * 1024)

typedef struct proxy_buf {
    char *data;                /* what dst did not take yet, or NULL */
    size_t head, tail;         /* pending bytes: data[head..tail) */
    bool eof;                  /* the source sent FIN */
    bool shut;                 /* the FIN was passed on */
} proxy_buf;

struct proxy_conn;
typedef struct proxy_side {
    proxy_handle h;
    int fd;
    struct proxy_conn *conn;
} proxy_side;

typedef struct proxy_conn {
    proxy_side cl, be;         /* client, backend */
    proxy_buf up, down;        /* client->backend, backend->client */
    proxy_svcport *sp;         /* a reference, for retries */
    bool connecting, closed, queued;
    int tries;
    int64_t deadline_ms;       /* of the connect in progress */
    char to_ip[INET6_ADDRSTRLEN]; /* the backend tried last, for logs */
    int to_port;
    struct proxy_conn *prev, *next; /* all live connections */
    struct proxy_conn *again;  /* the again list or the graveyard */
} proxy_conn;

void proxy_accept(k1s_proxy *p, proxy_listener *l);
void proxy_conn_event(k1s_proxy *p, proxy_side *s, uint32_t events);
/* Pump the connections whose copy loop stopped before EAGAIN. */
void proxy_conn_run_again(k1s_proxy *p);
/* Connect timeouts. */
void proxy_conn_tick(k1s_proxy *p, int64_t now);
/* Free what was closed during this loop turn. */
void proxy_conn_reap(k1s_proxy *p);
void proxy_conn_close_all(k1s_proxy *p);

/* ---- cluster IPs (proxy_cip.c, proxy_netlink.c) ------------------------- */

typedef struct proxy_cip {
    bool on;                   /* usable: root and the interface is there */
    int nl;                    /* rtnetlink socket */
    int ifindex;
    bool own_iface;            /* we created it (dummy): delete at stop */
    char label[16];            /* IFA_LABEL on lo when no dummy */
    json_t *have;              /* ip -> true: addresses we added */
} proxy_cip;

int proxy_cip_init(k1s_proxy *p);
/* Make the set of addresses equal want (ip -> anything) once add and del
 * phases are both run: add before listeners open, del after they close. */
void proxy_cip_add(k1s_proxy *p, const json_t *want);
void proxy_cip_del(k1s_proxy *p, const json_t *want);
void proxy_cip_fini(k1s_proxy *p);

int proxy_nl_open(void);
/* All return 0 or a negative errno. */
int proxy_nl_link_add_dummy(int nl, const char *name);
int proxy_nl_link_up(int nl, int ifindex);
int proxy_nl_link_del(int nl, int ifindex);
int proxy_nl_addr(int nl, bool add, int ifindex, const char *ip,
                  const char *label);
/* Call fn for each address on ifindex with its label (may be ""). */
int proxy_nl_addr_each(int nl, int ifindex,
                       void (*fn)(void *ctx, const char *ip, const char *label),
                       void *ctx);

/* ---- the proxy ---------------------------------------------------------- */

typedef struct proxy_informer {
    const k1s_kind *kind;
    json_t *cache;             /* "ns/name" -> object */
    k1s_watch *w;              /* NULL: relist on the tick */
} proxy_informer;

struct k1s_proxy {
    k1s_api *api;
    char *bind;
    char *iface;
    bool quiet;
    bool cluster_ips;
    int epfd, wakefd;
    proxy_handle wake;
    pthread_t thread;
    atomic_bool stop;
    proxy_informer svcs, eps;
    bool dirty;                /* caches changed: reconcile */

    proxy_svcport **sps;
    size_t nsps, capsps;
    proxy_listener *listeners;
    proxy_listener *gone;      /* closed this turn, freed at its end */

    proxy_conn *conns;         /* live */
    size_t nconns;
    proxy_conn *again;         /* to pump again this turn */
    proxy_conn *graveyard;     /* closed this turn, freed at its end */
    char *scratch;             /* PROXY_BUF: every copy passes through it */

    proxy_cip cip;
};

int64_t proxy_now_ms(void);
void proxy_log(const k1s_proxy *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int proxy_sync_list(k1s_proxy *p, proxy_informer *inf);
/* Apply queued watch events; 1 when more are queued (call again). */
int proxy_sync_drain(k1s_proxy *p, proxy_informer *inf);
void proxy_sync_free(proxy_informer *inf);

#endif
