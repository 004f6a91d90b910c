/*
 * stream_internal.h - what the pods/exec, attach, portforward and log code
 * (http_stream*.c, http_logs.c) shares: the stream hub that owns the
 * long-lived streams of one server, the pod checks kube-apiserver makes
 * before it contacts the node, and the upgrade proxy.
 */
#ifndef K1S_STREAM_INTERNAL_H
#define K1S_STREAM_INTERNAL_H

#include <stdint.h>

#include "http_internal.h"

/* ---- entry points (called from http_resource.c / http_server.c) --------- */

/* GET/POST .../pods/NAME/{exec,attach,portforward}. */
enum MHD_Result k1s__handle_pod_connect(k1s_server *s, struct MHD_Connection *c,
                                        const char *method, const char *ns,
                                        const char *name, const char *sub);
/* GET .../pods/NAME/log. */
enum MHD_Result k1s__handle_pod_log(k1s_server *s, struct MHD_Connection *c,
                                    const char *method, const char *ns,
                                    const char *name);

/* ---- the stream hub ------------------------------------------------------ */

/* One per server: knows every live tunnel and followed log so that stop
 * can end them, runs the ticker that wakes followed logs, and reaps
 * upgrades libmicrohttpd never completed. Created with the server;
 * k1s__stream_hub_stop before MHD_stop_daemon (ends everything, waits for
 * the tunnel threads); k1s__stream_hub_free after it. */
typedef struct k1s_stream_hub k1s_stream_hub;

k1s_stream_hub *k1s__stream_hub_new(void);
void k1s__stream_hub_stop(k1s_stream_hub *h);
void k1s__stream_hub_free(k1s_stream_hub *h);

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
k1s_pending_upgrade *k1s__hub_pending_take(k1s_stream_hub *h,
                                           struct MHD_Connection *con);

int64_t k1s__mono_ms(void);

/* ---- pods ----------------------------------------------------------------- */

/* The pod, or NULL with st set (404 as kube). New reference. */
json_t *k1s__stream_pod(k1s_server *s, const char *ns, const char *name,
                        k1s_status *st);
/* kube's validateContainer: want if it names one of the pod's containers
 * (init, regular or ephemeral), else the only container when want is
 * empty; NULL with a 400 in st otherwise. Borrowed from pod. */
const char *k1s__stream_container(const json_t *pod, const char *want,
                                  k1s_status *st);
/* The error kube-apiserver gives when it cannot reach the node's kubelet
 * (500, no reason): for a stream when url is NULL, else for the kubelet
 * URL it would have fetched. */
int k1s__stream_no_node(k1s_status *st, const json_t *pod, const char *url);

/* Every value of a repeated query parameter, in order. Borrowed strings
 * in a malloc'd array (free it); NULL when there is none or no memory. */
const char **k1s__stream_args(struct MHD_Connection *c, const char *name,
                              size_t *n);
/* Query booleans as kube's parameter codec reads them: present and not
 * "0"/"false". */
bool k1s__stream_bool(struct MHD_Connection *c, const char *name);

/* ---- the upgrade proxy (http_stream_proxy.c) ------------------------------ */

/* Join kubectl's upgrade request on c to the runtime's streaming URL:
 * replay the upgrade there, answer kubectl as the runtime answered, and
 * on 101 copy bytes both ways on a thread of the hub. */
enum MHD_Result k1s__stream_proxy(k1s_server *s, struct MHD_Connection *c,
                                  const char *method, const char *url);

/* Copy bytes both ways between an upgraded client socket and the backend
 * on a thread of the hub, until one end closes (then the other is closed
 * once what the first sent is delivered), or the hub stops. raw: the
 * connection's own socket (differs from client under TLS), watched for
 * kubectl hanging up. Owns backend and urh from here on, also on failure.
 * to_backend/to_client: bytes already read that belong to the other side
 * (copied). */
void k1s__tunnel_start(k1s_stream_hub *h, int client, int raw,
                       struct MHD_UpgradeResponseHandle *urh, int backend,
                       const char *to_backend, size_t nb,
                       const char *to_client, size_t nc);

/* ---- CRI log files (http_stream_logfile.c) -------------------------------- */

/* What kubectl logs asks for, as the kubelet's LogOptions. */
typedef struct k1s_logopts {
    bool timestamps;
    bool follow;
    int64_t tail;       /* lines from the end; -1: all */
    int64_t limit;      /* bytes of output; -1: no limit */
    int64_t since_ns;   /* skip messages before (Unix ns); 0: none */
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
int k1s__logfile_read(k1s_logfile *f, k1s_buf *out, size_t want, bool final,
                      bool *done);
/* Bytes in the file beyond what was read (for waking followers). */
bool k1s__logfile_grown(k1s_logfile *f);
/* After the end was reached: 0 the file at the path is the one being
 * read; 1 it was replaced (rotated) and is now read from its start; -1 it
 * is gone. */
int k1s__logfile_reopen_if_rotated(k1s_logfile *f);
/* RFC 3339 time (fractional seconds optional) to Unix ns; -1 if invalid. */
int k1s__parse_rfc3339(const char *s, size_t n, int64_t *ns);

#endif
