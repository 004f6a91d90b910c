/*
 * stream_internal.h - what the pods/exec, attach, portforward and log code
 * (http_stream*.c, http_logs.c) shares: the stream hub that owns the
 * long-lived streams of one server, the pod checks kube-apiserver makes
 * before it contacts the node, the upgrade proxy, and the WebSocket bridge
 * (WebSocket frames, the v5 <-> SPDY translation, its thread).
 */
#ifndef K1S_STREAM_INTERNAL_H
#define K1S_STREAM_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "k1s_stream.h"
#include "k1s_time.h"
#include "k1s_wire.h"
#include "spdy_internal.h"

/* ---- the stream hub (k1s_stream.h), from within -------------------------- */

k1s_api *k1s__hub_api(k1s_stream_hub *h);
/* The node backend now (NULL: none), safe from any thread. */
const k1s_node_backend *k1s__hub_node(k1s_stream_hub *h);

/* Something the hub wakes: poke(ctx, stopping) runs on the ticker thread
 * every K1S_HUB_TICK_MS while the member is periodic, and once with
 * stopping=true at stop. It runs under the hub lock: it must not call
 * back into the hub. */
#define K1S_HUB_TICK_MS 200

typedef struct k1s_hub_member {
    struct k1s_hub_member *next;
    void (*poke)(void *ctx, bool stopping);
    void *ctx;
    bool periodic;
} k1s_hub_member;

/* -1 when the hub is stopping (the caller answers 503 and frees). */
int k1s__hub_join(k1s_stream_hub *h, k1s_hub_member *m);
void k1s__hub_leave(k1s_stream_hub *h, k1s_hub_member *m);
/* Threads the hub waits for at stop: _start before pthread_create
 * (-1 when stopping), _done as the thread's last act. */
int k1s__hub_thread_start(k1s_stream_hub *h);
void k1s__hub_thread_done(k1s_stream_hub *h);
/* Start a stream's copying thread: both sockets made non-blocking (never
 * block on one side while the other has data), m joined to the hub, and
 * fn(arg) run detached; fn ends with k1s__hub_leave and
 * k1s__hub_thread_done. 0, or -1 with nothing joined (the caller frees). */
int k1s__hub_run(k1s_stream_hub *h, k1s_hub_member *m, int client, int backend, void *(*fn)(void *),
                 void *arg);

/* An upgrade queued but not yet handed over by libmicrohttpd: the
 * handler takes it back by connection; if the 101 never reaches the
 * client the ticker reaps it after a while. */
typedef struct k1s_pending_upgrade {
    struct k1s_pending_upgrade *next;
    struct MHD_Connection *con;
    int64_t deadline_ms;
    void (*discard)(struct k1s_pending_upgrade *p); /* frees p */
} k1s_pending_upgrade;

void k1s__hub_pending_add(k1s_stream_hub *h, k1s_pending_upgrade *p);
/* The pending upgrade of con (removed from the hub), or NULL. */
k1s_pending_upgrade *k1s__hub_pending_take(k1s_stream_hub *h, struct MHD_Connection *con);

/* ---- pods ----------------------------------------------------------------- */

/* The pod, or NULL with st set (404 as kube). New reference. */
json_t *k1s__stream_pod(k1s_stream_hub *hub, const char *ns, const char *name, k1s_status *st);
/* kube's validateContainer: want if it names one of the pod's containers
 * (init, regular or ephemeral), else the only container when want is
 * empty; NULL with a 400 in st otherwise. Borrowed from pod. */
const char *k1s__stream_container(const json_t *pod, const char *want, k1s_status *st);
/* The error kube-apiserver gives when it cannot reach the node's kubelet
 * (500, no reason): for a stream when url is NULL, else for the kubelet
 * URL it would have fetched. */
int k1s__stream_no_node(k1s_status *st, const json_t *pod, const char *url);

/* Every value of a repeated query parameter, in order. Borrowed strings
 * in a malloc'd array (free it); NULL when there is none or no memory. */
const char **k1s__stream_args(struct MHD_Connection *c, const char *name, size_t *n);
/* Query booleans as kube's parameter codec reads them: present and not
 * "0"/"false". */
bool k1s__stream_bool(struct MHD_Connection *c, const char *name);

/* ---- the upgrade proxy (http_stream_proxy.c) ------------------------------ */

/* Join kubectl's upgrade request on c to the runtime's streaming URL:
 * replay the upgrade there, answer kubectl as the runtime answered, and
 * on 101 copy bytes both ways on a thread of the hub. */
enum MHD_Result k1s__stream_proxy(k1s_stream_hub *hub, struct MHD_Connection *c, const char *method,
                                  const char *url);

/* The runtime's answer to an upgrade replayed by k1s__runtime_upgrade. */
typedef struct k1s_runtime_link {
    int fd;      /* the upgraded connection (owned by the caller) */
    char *head;  /* the 101 answer's head, NUL-terminated (malloc'd) */
    char *early; /* bytes the runtime sent right behind it (malloc'd) */
    size_t nearly;
} k1s_runtime_link;

/* Dial the streaming URL and send "METHOD path HTTP/1.1" with Host,
 * Connection: Upgrade and the header lines in hdrs ("Name: value\r\n"
 * each). 0 when the runtime answered 101 (*l filled, caller frees with
 * k1s__runtime_link_free); otherwise -1 and *ret holds kubectl's answer,
 * already queued: the runtime's refusal relayed, or 500 when it could not
 * be reached. */
int k1s__runtime_upgrade(struct MHD_Connection *c, const char *method, const char *url,
                         const char *hdrs, k1s_runtime_link *l, enum MHD_Result *ret);
void k1s__runtime_link_free(k1s_runtime_link *l);
/* The value of header name in a response head, copied into out; false
 * when absent. */
bool k1s__head_value(const char *head, const char *name, char *out, size_t outlen);
/* Does a request header's comma-separated list hold token (any case)? */
bool k1s__header_has_token(struct MHD_Connection *c, const char *name, const char *token);

/* Copy bytes both ways between an upgraded client socket and the backend
 * on a thread of the hub, until one end closes (then the other is closed
 * once what the first sent is delivered), or the hub stops. raw: the
 * connection's own socket (differs from client under TLS), watched for
 * kubectl hanging up. Owns backend and urh from here on, also on failure.
 * to_backend/to_client: bytes already read that belong to the other side
 * (copied). */
void k1s__tunnel_start(k1s_stream_hub *h, int client, int raw,
                       struct MHD_UpgradeResponseHandle *urh, int backend, const char *to_backend,
                       size_t nb, const char *to_client, size_t nc);

/* ---- WebSocket exec/attach (http_ws*.c, stream_bridge*.c) --------------- */

/* kubectl >= 1.30 speaks WebSocket with the channel.k8s.io framing: each
 * binary message starts with its channel (0 stdin, 1 stdout, 2 stderr,
 * 3 error, 4 resize; v5 adds 255 "close", whose next byte names the
 * channel closed). The bridge translates that to SPDY/3.1 towards the
 * runtime, as kube-apiserver's StreamTranslator does. */
#define K1S_WS_V5 "v5.channel.k8s.io"
#define K1S_WS_V4 "v4.channel.k8s.io"

enum {
    K1S_WS_CONTINUATION = 0,
    K1S_WS_TEXT = 1,
    K1S_WS_BINARY = 2,
    K1S_WS_CLOSE = 8,
    K1S_WS_PING = 9,
    K1S_WS_PONG = 10,
};
/* close codes */
#define K1S_WS_NORMAL 1000
#define K1S_WS_GOING_AWAY 1001
#define K1S_WS_PROTOCOL_ERROR 1002
#define K1S_WS_INTERNAL_ERROR 1011

enum {
    K1S_CH_STDIN,
    K1S_CH_STDOUT,
    K1S_CH_STDERR,
    K1S_CH_ERROR,
    K1S_CH_RESIZE,
    K1S_CH_N,
    K1S_CH_CLOSE = 255
};

typedef struct k1s_ws_events {
    /* A piece of a data message on a channel (the message's first byte;
     * the rest of the message follows in further pieces). */
    int (*data)(void *ctx, uint8_t channel, const uint8_t *p, size_t n);
    /* A whole control frame: close, ping or pong, payload unmasked. */
    int (*control)(void *ctx, uint8_t opcode, const uint8_t *p, size_t n);
} k1s_ws_events;

/* Reads frames incrementally: a data payload is handed on as it arrives,
 * control frames (125 bytes at most) once whole. */
typedef struct k1s_ws_reader {
    bool from_server;  /* reading a server's frames (unmasked): tests */
    bool in_message;   /* a fragmented message goes on */
    bool need_channel; /* the message's first byte is still to come */
    uint8_t channel;
    uint8_t mask[4];
    uint64_t left, off; /* payload bytes to come; offset for the mask */
    uint16_t error;     /* close code of a protocol error; 0: a callback */
} k1s_ws_reader;

/* Feed n bytes (unmasked in place): the number consumed, the rest waits
 * for more; -1 on a protocol error or a callback's non-zero. */
ssize_t k1s__ws_read(k1s_ws_reader *r, uint8_t *p, size_t n, const k1s_ws_events *ev, void *ctx);
void k1s__ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off);
/* Append one frame holding p1 then p2; masked with mask unless NULL. */
void k1s__ws_put(k1s_buf *b, bool fin, uint8_t opcode, const uint8_t *mask, const void *p1,
                 size_t n1, const void *p2, size_t n2);
void k1s__ws_put_close(k1s_buf *b, uint16_t code, const char *reason);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (malloc'd), NULL when out
 * of memory. */
char *k1s__ws_accept(const char *key);
/* The checks of a WebSocket exec/attach upgrade: the subprotocol to
 * answer (v5, or v4 when only that is offered), or NULL with a 400 in
 * st. */
const char *k1s__ws_check(struct MHD_Connection *c, k1s_status *st);
/* Join kubectl's WebSocket to the runtime's streaming URL over SPDY. */
enum MHD_Result k1s__ws_bridge(k1s_stream_hub *hub, struct MHD_Connection *c, const char *url,
                               const k1s_stream_request *rq, const char *proto);

/* Bytes waiting to be written, consumed from the front. */
typedef struct k1s_outq {
    k1s_buf b;
    size_t off;
} k1s_outq;
void k1s__outq_consumed(k1s_outq *q, size_t n);
static inline size_t k1s__outq_pending(const k1s_outq *q)
{
    return q->b.len - q->off;
}

typedef struct k1s_bridge_opts {
    bool v5;                /* else v4: no close channel */
    bool in, out, err, tty; /* the streams of the exec/attach */
} k1s_bridge_opts;

/* The translation between the two protocols, without sockets: bytes in
 * from either side, frames out in to_client / to_runtime. */
typedef struct k1s_xlate {
    bool v5;
    struct {
        uint32_t sid;     /* SPDY stream; 0: not opened */
        bool replied;     /* SYN_REPLY (or RST_STREAM) seen */
        bool sent_fin;    /* we closed our half (or it was reset) */
        bool got_fin;     /* the runtime closed its half */
        uint32_t unacked; /* received, not yet given back by
                                WINDOW_UPDATE */
    } ch[K1S_CH_N];
    uint32_t session_unacked;
    bool peer_flow_control; /* the runtime sent SETTINGS/WINDOW_UPDATE */
    struct k1s_spdy_zlib *z;
    k1s_spdy_reader sr;
    k1s_ws_reader wr;
    k1s_outq to_client, to_runtime;
    bool status_seen;    /* the error stream carried something */
    bool close_received; /* kubectl's close frame */
    bool close_sent;     /* ours: nothing more goes to kubectl */
    bool goaway;         /* the runtime's GOAWAY */
    bool failed;         /* out of memory or zlib trouble */
} k1s_xlate;

/* Open the SPDY streams (SYN_STREAMs queued in to_runtime) and queue the
 * empty message that tells kubectl the streams are up. -1: no memory. */
int k1s__xlate_init(k1s_xlate *x, const k1s_bridge_opts *o);
void k1s__xlate_free(k1s_xlate *x);
/* Every stream opened has been answered: kubectl's input may flow. */
bool k1s__xlate_ready(const k1s_xlate *x);
/* Bytes from kubectl (unmasked in place) / from the runtime: the number
 * consumed, or -1 when that side broke the protocol (a close frame with
 * the reason is queued to kubectl when it was kubectl). */
ssize_t k1s__xlate_client(k1s_xlate *x, uint8_t *p, size_t n);
ssize_t k1s__xlate_runtime(k1s_xlate *x, const uint8_t *p, size_t n);
/* The runtime's connection is over: the error channel gets a Status if
 * the runtime sent none, then kubectl gets the close frame. */
void k1s__xlate_runtime_ended(k1s_xlate *x, const char *why);
/* End towards kubectl with code (no Status): server stop, errors. */
void k1s__xlate_close_client(k1s_xlate *x, uint16_t code, const char *reason);

/* Run a bridge on a thread of the hub between kubectl's upgraded socket
 * (client; raw: the connection's own socket, watched for kubectl hanging
 * up under TLS) and the runtime's SPDY connection (backend). Owns backend
 * and urh from here on, also on failure. from_client / from_runtime:
 * bytes already read from each side (copied). */
/* Queue kubectl's 101 with headers (name, value pairs, NULL-terminated)
 * and park the runtime link l (taken) until libmicrohttpd hands kubectl's
 * socket over; then a raw tunnel (bridge NULL) or the WebSocket bridge
 * runs between them. */
enum MHD_Result k1s__answer_upgrade(k1s_stream_hub *hub, struct MHD_Connection *c,
                                    k1s_runtime_link *l, const char *const *headers,
                                    const k1s_bridge_opts *bridge);

void k1s__bridge_start(k1s_stream_hub *h, int client, int raw,
                       struct MHD_UpgradeResponseHandle *urh, int backend, const k1s_bridge_opts *o,
                       const char *from_client, size_t nc, const char *from_runtime, size_t nr);

/* ---- CRI log files (http_stream_logfile.c) -------------------------------- */

/* What kubectl logs asks for, as the kubelet's LogOptions. */
typedef struct k1s_logopts {
    bool timestamps;
    bool follow;
    int64_t tail;     /* lines from the end; -1: all */
    int64_t limit;    /* bytes of output; -1: no limit */
    int64_t since_ns; /* skip messages before (Unix ns); 0: none */
} k1s_logopts;

typedef struct k1s_logfile k1s_logfile;

/* Open a CRI-format log ("<RFC3339Nano> stdout|stderr P|F <text>" lines)
 * at the start of its last o->tail lines. NULL with errno set. */
k1s_logfile *k1s__logfile_open(const char *path, const k1s_logopts *o);
void k1s__logfile_close(k1s_logfile *f);
/* Append the text of the messages now in the file to out, about want
 * bytes at most. An unfinished last line waits for its end unless final.
 * 1: something was added or more may follow at once; 0: at the end of
 * what the file holds; -1: read error. *done: the tail or byte limit has
 * been reached, nothing more will ever be added. */
int k1s__logfile_read(k1s_logfile *f, k1s_buf *out, size_t want, bool final, bool *done);
/* Bytes in the file beyond what was read (for waking followers). */
bool k1s__logfile_grown(k1s_logfile *f);
/* After the end was reached: 0 the file at the path is the one being
 * read; 1 it was replaced (rotated) and is now read from its start; -1 it
 * is gone. */
int k1s__logfile_reopen_if_rotated(k1s_logfile *f);
/* RFC 3339 time (fractional seconds optional) to Unix ns; -1 if invalid. */
int k1s__parse_rfc3339(const char *s, size_t n, int64_t *ns);

#endif
