/*
 * http_internal.h - what the http_*.c files share: the server context, one
 * request's state, and the reply helpers.
 */
#ifndef K1S_HTTP_INTERNAL_H
#define K1S_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>

#include "k1s_apiserver.h"
#include "k1s_limits.h"
#include "k1s_stream.h"
#include "k1s_wire.h"

typedef struct k1s_wstream k1s_wstream;
typedef struct k1s_guard_conn k1s_guard_conn;

struct k1s_server {
    struct MHD_Daemon *d;
    k1s_api *api;
    char *token; /* owned or NULL */
    int port;
    char *bind; /* owned */
    bool tls;
    pthread_mutex_t streams_mu;
    k1s_wstream *streams; /* live watch streams, linked by ->next */
    /* set by k1s__watch_stop_all: a watch linked afterwards ends at once,
       since libmicrohttpd aborts when it stops with a connection suspended */
    bool streams_closed;
    /* pods exec/attach/portforward tunnels and followed logs, and the
       node they go to (owned; k1s_stream.h) */
    k1s_stream_hub *stream_hub;
    pthread_t ticker;
    bool ticker_running;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    bool stopping;
    /* libmicrohttpd's messages (failed handshakes, ...), which any client
       can cause: a few per minute are shown, the rest counted */
    pthread_mutex_t log_mu;
    int64_t log_window; /* start of the current minute, monotonic ms */
    unsigned log_shown, log_dropped;
    /* connections without an authenticated request yet (http_guard.c),
       oldest first; pending_live counts those not shut down already */
    pthread_mutex_t guard_mu;
    k1s_guard_conn *pending_head, *pending_tail;
    unsigned pending_live;
};

/* The connection guard (http_guard.c): libmicrohttpd's connection
 * notifications; a connection's first request with the token; a request
 * that may run for ever (watch, logs, exec); the once-a-second sweep; and
 * libmicrohttpd's own inactivity timeout for what the guard does not see. */
void k1s__guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                       enum MHD_ConnectionNotificationCode code);
void k1s__guard_authenticated(k1s_server *s, struct MHD_Connection *c);
void k1s__guard_long_running(struct MHD_Connection *c);
void k1s__guard_sweep(k1s_server *s, int64_t now_ms);
unsigned k1s__guard_pending_timeout(void);

/* One HTTP request, accumulated across libmicrohttpd's calls. */
typedef struct k1s_req {
    k1s_buf body;    /* capped at K1S_MAX_OBJECT_BYTES */
    bool too_large;  /* it went past: the rest is read and dropped, 413 */
    bool authorized; /* the token is valid, or the URL is public */
} k1s_req;

/* The GnuTLS priority string for --tls-min-version and --tls-cipher-suites
 * (tls_priority.c): 0, or -1 with a message in err. */
int k1s__tls_priority(const char *min_version, const char *cipher_suites, char *out, size_t cap,
                      char *err, size_t errcap);

/* The body as JSON: k1s__body_json parses JSON, k1s__body_decode first
 * looks at the Content-Type (JSON, YAML or Kubernetes protobuf; 415 for
 * anything else). NULL with *st set (400, 413, 415) when it cannot. */
json_t *k1s__body_json(const k1s_req *rq, k1s_status *st);
json_t *k1s__body_decode(struct MHD_Connection *c, const k1s_req *rq, k1s_status *st);
/* The repeated keys of a JSON body as field paths (k1s_strict.h): a new
 * array, or NULL when there are none or the body is not JSON. */
json_t *k1s__body_duplicates(struct MHD_Connection *c, const k1s_req *rq);

/* The form the Accept header asks objects in, and how to encode them
 * (http_accept.c): list says whether the answer is a list
 * (PartialObjectMetadataList) or one object or watch event
 * (PartialObjectMetadata); protobuf whether the kind has a protobuf form
 * (k1s_protobuf_kind_known). */
typedef enum k1s_as { K1S_AS_OBJECT, K1S_AS_TABLE, K1S_AS_META } k1s_as;
typedef struct k1s_accept {
    k1s_as as;
    bool protobuf; /* answer in protobuf */
    bool json;     /* JSON is acceptable too (the fallback) */
} k1s_accept;
#define K1S_PROTOBUF_MEDIA_TYPE "application/vnd.kubernetes.protobuf"
k1s_accept k1s__accept(struct MHD_Connection *c, bool list, bool protobuf);
/* The same for objects of kind k. */
k1s_accept k1s__accept_kind(struct MHD_Connection *c, const k1s_kind *k, bool list);
/* Whether nothing the client takes can be given: answer 406 before acting. */
bool k1s__accept_none(const k1s_accept *a);
/* kube's 406; protobuf says whether protobuf is among what could be given. */
enum MHD_Result k1s__reply_not_acceptable(struct MHD_Connection *c, bool protobuf);
/* obj (borrowed) in the negotiated encoding: protobuf when asked and obj
 * has that form, else JSON (406 when JSON is not acceptable either). */
enum MHD_Result k1s__reply_encoded(struct MHD_Connection *c, int code, const json_t *obj,
                                   const json_t *warnings, const k1s_accept *a);
/* {kind: PartialObjectMetadata, apiVersion: meta.k8s.io/v1, metadata}. New ref. */
json_t *k1s__partial_metadata(const json_t *obj);

/* What a resource URL names (kube's RequestInfo). */
typedef struct k1s_route {
    const char *group, *version; /* borrowed from the path copy */
    const char *ns;              /* NULL when not in the path */
    const char *resource, *name, *sub;
    bool legacy_watch; /* /api/v1/watch/... */
} k1s_route;

/* Parse path (modified in place: '/' become NUL). 0: a resource path;
 * 1: not a resource path (discovery etc.); -1: malformed. */
int k1s__route_parse(char *path, k1s_route *r);

enum MHD_Result k1s__handle_resource(k1s_server *s, struct MHD_Connection *c, const char *method,
                                     k1s_route *r, k1s_req *rq);
enum MHD_Result k1s__handle_nonresource(k1s_server *s, struct MHD_Connection *c, const char *method,
                                        const char *url);
enum MHD_Result k1s__handle_watch(k1s_server *s, struct MHD_Connection *c, const k1s_kind *kind,
                                  const char *ns, const char *name);
/* /healthz, /livez, /readyz and their /<check> paths (http_health.c). */
enum MHD_Result k1s__handle_health(k1s_server *s, struct MHD_Connection *c, const char *url);
void *k1s__watch_ticker(void *arg);
void k1s__watch_stop_all(k1s_server *s);

#endif
