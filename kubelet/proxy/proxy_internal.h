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

#include "k1s_json.h"
#include "k1s_net.h"
#include "k1s_proxy.h"
#include "k1s_time.h"
#include "k1s_vec.h"

/* ---- backends (proxy_table.c; pure, unit-tested) ----------------------- */

typedef struct k1s__proxy_backend {
    char *pod; /* targetRef.name; "" when none (owned) */
    struct sockaddr_storage sa;
    socklen_t salen;
    char ip[INET6_ADDRSTRLEN];
    int port;
} k1s__proxy_backend;

typedef struct k1s__proxy_backends {
    k1s__proxy_backend *v; /* malloc'd, n of them */
    size_t n;
} k1s__proxy_backends;

/* The ready backends of one service port in eps (an Endpoints object, may
 * be NULL), sorted by pod name (natural order), IP, port. A subset's port
 * is used when its name is port_name, or when it is the subset's only port
 * and the service has only one port (only_port). 0, or -1 (no memory). */
int k1s__proxy_backends_from(const json_t *eps, const char *port_name, bool only_port,
                             k1s__proxy_backends *out);
void k1s__proxy_backends_free(k1s__proxy_backends *b);
int k1s__proxy_backend_cmp(const k1s__proxy_backend *a, const k1s__proxy_backend *b);
/* Index of the backend that follows last in the sorted order (wrapping);
 * the first one when last is NULL; -1 when there is none. */
long k1s__proxy_rr_next(const k1s__proxy_backends *b, const k1s__proxy_backend *last);
/* Whether a Service's or an Endpoints subset's port is TCP (the
 * default when it names no protocol). */
bool k1s__proxy_port_tcp(const json_t *port);
/* Parse ip and port into be (pod borrowed as "" unless set later). */
int k1s__proxy_backend_addr(k1s__proxy_backend *be, const char *ip, int port);

/* ---- epoll handles ------------------------------------------------------ */

/* PH_GONE: closed, freed at the end of the loop turn; events ignored. */
enum { PH_GONE, PH_WAKE, PH_LISTENER, PH_CLIENT, PH_BACKEND };

/* First member of everything registered with epoll (data.ptr). */
typedef struct k1s__proxy_handle {
    int kind;
} k1s__proxy_handle;

/* ---- service ports and listeners (proxy_reconcile.c) -------------------- */

typedef struct k1s__proxy_svcport {
    char *key; /* "ns/name:port" for logs and lookup */
    k1s__proxy_backends be;
    k1s__proxy_backend last; /* the last one chosen (pod owned) */
    bool has_last;
    bool seen; /* reconcile mark */
    bool dead; /* removed from the table */
    int refs;  /* the table's + each connection's */
} k1s__proxy_svcport;

typedef struct k1s__proxy_listener {
    k1s__proxy_handle h;
    int fd; /* -1 until bound; retried on the tick */
    char addr[INET6_ADDRSTRLEN];
    int port;
    bool cluster_ip;        /* bound to a ClusterIP (IP_FREEBIND) */
    k1s__proxy_svcport *sp; /* borrowed from the table */
    bool want;              /* reconcile mark */
    bool paused;            /* out of fds: out of epoll until the tick */
    bool warned;            /* the bind failure was logged */
    int64_t retry_ms;
    struct k1s__proxy_listener *next;
} k1s__proxy_listener;

void k1s__proxy_svcport_unref(k1s__proxy_svcport *sp);
/* The next backend of sp in round-robin order, or NULL. */
const k1s__proxy_backend *k1s__proxy_svcport_pick(k1s__proxy_svcport *sp);
void k1s__proxy_reconcile(k1s_proxy *p);
/* Open listeners whose bind failed earlier, resume paused ones. */
void k1s__proxy_listeners_retry(k1s_proxy *p);
/* Free the listeners closed during this loop turn. */
void k1s__proxy_listeners_reap(k1s_proxy *p);
void k1s__proxy_reconcile_free(k1s_proxy *p);

/* ---- connections (proxy_conn.c) ----------------------------------------- */

#define K1S__PROXY_BUF (64 * 1024)

typedef struct k1s__proxy_buf {
    char *data;        /* what dst did not take yet, or NULL */
    size_t head, tail; /* pending bytes: data[head..tail) */
    bool eof;          /* the source sent FIN */
    bool shut;         /* the FIN was passed on */
} k1s__proxy_buf;

struct k1s__proxy_conn;
typedef struct k1s__proxy_side {
    k1s__proxy_handle h;
    int fd;
    struct k1s__proxy_conn *conn;
} k1s__proxy_side;

typedef struct k1s__proxy_conn {
    k1s__proxy_side cl, be;  /* client, backend */
    k1s__proxy_buf up, down; /* client->backend, backend->client */
    k1s__proxy_svcport *sp;  /* a reference, for retries */
    bool connecting, closed, queued;
    int tries;
    int64_t deadline_ms;          /* of the connect in progress */
    char to_ip[INET6_ADDRSTRLEN]; /* the backend tried last, for logs */
    int to_port;
    struct k1s__proxy_conn *prev, *next; /* all live connections */
    struct k1s__proxy_conn *again;       /* the again list or the graveyard */
} k1s__proxy_conn;

void k1s__proxy_accept(k1s_proxy *p, k1s__proxy_listener *l);
void k1s__proxy_conn_event(k1s_proxy *p, k1s__proxy_side *s, uint32_t events);
/* Pump the connections whose copy loop stopped before EAGAIN. */
void k1s__proxy_conn_run_again(k1s_proxy *p);
/* Connect timeouts. */
void k1s__proxy_conn_tick(k1s_proxy *p, int64_t now);
/* Free what was closed during this loop turn. */
void k1s__proxy_conn_reap(k1s_proxy *p);
void k1s__proxy_conn_close_all(k1s_proxy *p);

/* ---- cluster IPs (proxy_cip.c, proxy_netlink.c) ------------------------- */

typedef struct k1s__proxy_cip {
    bool on; /* usable: root and the interface is there */
    int nl;  /* rtnetlink socket */
    int ifindex;
    bool own_iface; /* we created it (dummy): delete at stop */
    char label[16]; /* IFA_LABEL on lo when no dummy */
    json_t *have;   /* ip -> true: addresses we added */
} k1s__proxy_cip;

int k1s__proxy_cip_init(k1s_proxy *p);
/* Make the set of addresses equal want (ip -> anything) once add and del
 * phases are both run: add before listeners open, del after they close. */
void k1s__proxy_cip_add(k1s_proxy *p, const json_t *want);
void k1s__proxy_cip_del(k1s_proxy *p, const json_t *want);
void k1s__proxy_cip_fini(k1s_proxy *p);

int k1s__proxy_nl_open(void);
/* All return 0 or a negative errno. */
int k1s__proxy_nl_link_add_dummy(int nl, const char *name);
int k1s__proxy_nl_link_up(int nl, int ifindex);
int k1s__proxy_nl_link_del(int nl, int ifindex);
int k1s__proxy_nl_addr(int nl, bool add, int ifindex, const char *ip, const char *label);
/* Call fn for each address on ifindex with its label (may be ""). */
int k1s__proxy_nl_addr_each(int nl, int ifindex,
                            void (*fn)(void *ctx, const char *ip, const char *label), void *ctx);

/* ---- the proxy ---------------------------------------------------------- */

typedef struct k1s__proxy_informer {
    const k1s_kind *kind;
    json_t *cache; /* "ns/name" -> object */
    k1s_watch *w;  /* NULL: relist on the tick */
} k1s__proxy_informer;

struct k1s_proxy {
    k1s_api *api;
    char *bind;
    char *iface;
    bool quiet;
    bool cluster_ips;
    int epfd, wakefd;
    k1s__proxy_handle wake;
    pthread_t thread;
    atomic_bool stop;
    k1s__proxy_informer svcs, eps;
    bool dirty; /* caches changed: reconcile */

    k1s_vec sps; /* of k1s__proxy_svcport * (a reference each) */
    k1s__proxy_listener *listeners;
    k1s__proxy_listener *gone; /* closed this turn, freed at its end */

    k1s__proxy_conn *conns; /* live */
    size_t nconns;
    k1s__proxy_conn *again;     /* to pump again this turn */
    k1s__proxy_conn *graveyard; /* closed this turn, freed at its end */
    char *scratch;              /* K1S__PROXY_BUF: every copy passes through it */

    k1s__proxy_cip cip;
};

void k1s__proxy_log(const k1s_proxy *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int k1s__proxy_sync_list(k1s_proxy *p, k1s__proxy_informer *inf);
/* Apply queued watch events; 1 when more are queued (call again). */
int k1s__proxy_sync_drain(k1s_proxy *p, k1s__proxy_informer *inf);
void k1s__proxy_sync_free(k1s__proxy_informer *inf);

#endif
