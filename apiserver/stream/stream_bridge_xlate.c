/*
 * stream_bridge_xlate.c - what kube-apiserver's StreamTranslator does for
 * an exec or attach, without its goroutines: kubectl's WebSocket channels
 * (v5.channel.k8s.io, or v4) become SPDY/3.1 streams of the v4 stream
 * protocol towards the runtime, and back.
 *
 * Towards the runtime the bridge is the client kubectl would have been:
 * it opens one stream per channel with the header "streamtype" (error,
 * stdin, stdout, stderr, resize, in kubectl's order), sends stdin and
 * resize messages as DATA, and kubectl's close of stdin (channel 255) as
 * an empty DATA frame with FLAG_FIN, which the runtime reads as EOF.
 * Towards kubectl every DATA payload becomes a binary message on its
 * channel. The runtime's Status JSON on the error stream (with the exit
 * code cause) goes through unchanged; when the runtime's connection ends,
 * kubectl gets a normal close frame, which ends its streams.
 *
 * Pure state and buffers: the sockets are stream_bridge.c's.
 */
#include "stream_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stream_type[K1S_CH_N] = {"stdin", "stdout", "stderr", "error", "resize"};

void k1s__outq_consumed(k1s_outq *q, size_t n)
{
    q->off += n;
    if (q->off >= q->b.len) {
        q->off = q->b.len = 0;
    } else if (q->off > q->b.cap / 2) {
        memmove(q->b.p, q->b.p + q->off, q->b.len - q->off);
        q->b.len -= q->off;
        q->off = 0;
    }
}

static bool out_failed(const k1s_xlate *x)
{
    return x->failed || k1s_buf_failed(&x->to_client.b) || k1s_buf_failed(&x->to_runtime.b);
}

int k1s__xlate_init(k1s_xlate *x, const k1s_bridge_opts *o)
{
    memset(x, 0, sizeof *x);
    x->v5 = o->v5;
    x->z = k1s__spdy_zlib_new();
    if (!x->z)
        return -1;
    bool want[K1S_CH_N] = {
        [K1S_CH_STDIN] = o->in,
        [K1S_CH_STDOUT] = o->out,
        /* a terminal has no separate stderr */
        [K1S_CH_STDERR] = o->err && !o->tty,
        [K1S_CH_ERROR] = true,
        [K1S_CH_RESIZE] = o->tty,
    };
    static const int order[K1S_CH_N] = {K1S_CH_ERROR, K1S_CH_STDIN, K1S_CH_STDOUT, K1S_CH_STDERR,
                                        K1S_CH_RESIZE};
    uint32_t sid = 1; /* a client's streams have odd ids */
    for (int i = 0; i < K1S_CH_N; i++) {
        int ch = order[i];
        if (!want[ch])
            continue;
        k1s_spdy_header h = {"streamtype", stream_type[ch], 0};
        if (k1s__spdy_put_syn_stream(&x->to_runtime.b, x->z, sid, 0, 0, &h, 1))
            x->failed = true;
        x->ch[ch].sid = sid;
        sid += 2;
    }
    /* an empty message on the lowest channel kubectl reads tells it the
       streams are up, as kube-apiserver's translator does */
    uint8_t first = o->out ? K1S_CH_STDOUT : want[K1S_CH_STDERR] ? K1S_CH_STDERR : K1S_CH_ERROR;
    k1s__ws_put(&x->to_client.b, true, K1S_WS_BINARY, NULL, &first, 1, NULL, 0);
    return out_failed(x) ? -1 : 0;
}

void k1s__xlate_free(k1s_xlate *x)
{
    k1s__spdy_zlib_free(x->z);
    free(x->to_client.b.p);
    free(x->to_runtime.b.p);
    memset(x, 0, sizeof *x);
}

bool k1s__xlate_ready(const k1s_xlate *x)
{
    for (int ch = 0; ch < K1S_CH_N; ch++)
        if (x->ch[ch].sid && !x->ch[ch].replied)
            return false;
    return true;
}

static int channel_of(const k1s_xlate *x, uint32_t sid)
{
    for (int ch = 0; ch < K1S_CH_N; ch++)
        if (sid && x->ch[ch].sid == sid)
            return ch;
    return -1;
}

/* ---- kubectl -> runtime --------------------------------------------------- */

static void end_stream(k1s_xlate *x, int ch)
{
    if (!x->ch[ch].sid || x->ch[ch].sent_fin)
        return;
    k1s__spdy_put_data(&x->to_runtime.b, x->ch[ch].sid, K1S_SPDY_FLAG_FIN, NULL, 0);
    x->ch[ch].sent_fin = true;
}

static int client_data(void *ctx, uint8_t ch, const uint8_t *p, size_t n)
{
    k1s_xlate *x = ctx;
    if (x->close_received || x->close_sent)
        return 0; /* the session is ending: input has nowhere to go */
    if (ch == K1S_CH_CLOSE && x->v5) {
        for (size_t i = 0; i < n; i++)
            if (p[i] < K1S_CH_N)
                end_stream(x, p[i]);
        return 0;
    }
    /* kubectl writes only stdin and resize; anything else is dropped, as
       the translator's ignored channels drop it */
    if ((ch != K1S_CH_STDIN && ch != K1S_CH_RESIZE) || !x->ch[ch].sid || x->ch[ch].sent_fin)
        return 0;
    while (n) {
        size_t k = n < K1S_SPDY_MAX_LEN ? n : K1S_SPDY_MAX_LEN;
        k1s__spdy_put_data(&x->to_runtime.b, x->ch[ch].sid, 0, p, k);
        p += k;
        n -= k;
    }
    return 0;
}

static int client_control(void *ctx, uint8_t opcode, const uint8_t *p, size_t n)
{
    k1s_xlate *x = ctx;
    if (opcode == K1S_WS_PING && !x->close_sent) {
        k1s__ws_put(&x->to_client.b, true, K1S_WS_PONG, NULL, p, n, NULL, 0);
    } else if (opcode == K1S_WS_CLOSE) {
        x->close_received = true;
        if (!x->close_sent) {
            /* the answer echoes the status code (RFC 6455 5.5.1) */
            k1s__ws_put(&x->to_client.b, true, K1S_WS_CLOSE, NULL, p, n >= 2 ? 2 : 0, NULL, 0);
            x->close_sent = true;
        }
    }
    return 0;
}

static const k1s_ws_events client_events = {client_data, client_control};

ssize_t k1s__xlate_client(k1s_xlate *x, uint8_t *p, size_t n)
{
    ssize_t r = k1s__ws_read(&x->wr, p, n, &client_events, x);
    if (r < 0 && x->wr.error)
        k1s__xlate_close_client(x, x->wr.error, "protocol error");
    return r < 0 || out_failed(x) ? -1 : r;
}

/* ---- runtime -> kubectl --------------------------------------------------- */

/* Give received bytes back to the runtime's flow control, in half-window
 * steps, per stream and, as SPDY/3.1 adds, for the session (stream 0) -
 * but only to a runtime that does flow control, which it shows by sending
 * SETTINGS or WINDOW_UPDATE itself. containerd's server (Go's spdystream,
 * like kubectl's client) does none, and it ends an exec by closing its
 * connection as soon as everything is written: a frame sent to it after
 * that draws a TCP reset, which throws away the output not yet read. */
static void credit(k1s_xlate *x, int ch, size_t n)
{
    if (!x->peer_flow_control)
        return;
    x->ch[ch].unacked += (uint32_t)n;
    x->session_unacked += (uint32_t)n;
    if (x->ch[ch].unacked >= K1S_SPDY_INITIAL_WINDOW / 2 && !x->ch[ch].got_fin) {
        k1s__spdy_put_window_update(&x->to_runtime.b, x->ch[ch].sid, x->ch[ch].unacked);
        x->ch[ch].unacked = 0;
    }
    if (x->session_unacked >= K1S_SPDY_INITIAL_WINDOW / 2) {
        k1s__spdy_put_window_update(&x->to_runtime.b, 0, x->session_unacked);
        x->session_unacked = 0;
    }
}

static int runtime_data(void *ctx, uint32_t sid, const uint8_t *p, size_t n, bool fin)
{
    k1s_xlate *x = ctx;
    int ch = channel_of(x, sid);
    if (ch < 0)
        return 0; /* a stream we never opened: nothing to do with it */
    if (n && (ch == K1S_CH_STDOUT || ch == K1S_CH_STDERR || ch == K1S_CH_ERROR)) {
        uint8_t c = (uint8_t)ch;
        if (!x->close_sent)
            k1s__ws_put(&x->to_client.b, true, K1S_WS_BINARY, NULL, &c, 1, p, n);
        if (ch == K1S_CH_ERROR)
            x->status_seen = true;
    }
    if (fin)
        x->ch[ch].got_fin = true;
    if (n)
        credit(x, ch, n);
    return 0;
}

/* Every header block goes through the session's one inflate stream, even
 * those nobody reads: the next block depends on it. */
static int take_block(k1s_xlate *x, const k1s_spdy_ctrl *c)
{
    k1s_buf plain = {0};
    int rc = k1s__spdy_block_decode(x->z, c->block, c->nblock, 4 * K1S_SPDY_MAX_CONTROL, &plain);
    if (rc == 0 && k1s__spdy_block_pairs((const uint8_t *)plain.p, plain.len, NULL, NULL) < 0)
        rc = -1;
    free(plain.p);
    return rc;
}

static int runtime_control(void *ctx, const k1s_spdy_head *h, const uint8_t *payload)
{
    k1s_xlate *x = ctx;
    k1s_spdy_ctrl c;
    if (k1s__spdy_parse_control(h, payload, &c))
        return -1;
    if (c.block && take_block(x, &c))
        return -1;
    int ch = channel_of(x, c.sid);
    switch (c.type) {
    case K1S_SPDY_SYN_REPLY:
    case K1S_SPDY_HEADERS:
        if (ch >= 0) {
            x->ch[ch].replied = true;
            if (c.flags & K1S_SPDY_FLAG_FIN)
                x->ch[ch].got_fin = true;
        }
        break;
    case K1S_SPDY_SYN_STREAM:
        /* the v4 protocol has no streams opened by the runtime */
        k1s__spdy_put_rst(&x->to_runtime.b, c.sid, K1S_SPDY_REFUSED_STREAM);
        break;
    case K1S_SPDY_RST_STREAM:
        if (ch >= 0)
            x->ch[ch].replied = x->ch[ch].sent_fin = x->ch[ch].got_fin = true;
        break;
    case K1S_SPDY_PING:
        /* the runtime's own pings have even ids; ours (none) odd */
        if (!(c.value & 1))
            k1s__spdy_put_ping(&x->to_runtime.b, c.value);
        break;
    case K1S_SPDY_GOAWAY:
        x->goaway = true;
        break;
    case K1S_SPDY_SETTINGS:
    case K1S_SPDY_WINDOW_UPDATE:
        /* a runtime that does flow control: give its bytes back. The
           bridge's own sending is not held to the runtime's window, as
           kubectl's spdystream client does not hold it: stdin is bounded
           by kubectl, and Go's servers never open the window */
        x->peer_flow_control = true;
        break;
    default:
        break;
    }
    return 0;
}

static const k1s_spdy_events runtime_events = {runtime_data, runtime_control};

ssize_t k1s__xlate_runtime(k1s_xlate *x, const uint8_t *p, size_t n)
{
    ssize_t r = k1s__spdy_read(&x->sr, p, n, &runtime_events, x);
    return r < 0 || out_failed(x) ? -1 : r;
}

/* ---- the end ---------------------------------------------------------------- */

void k1s__xlate_runtime_ended(k1s_xlate *x, const char *why)
{
    if (x->close_sent)
        return;
    if (!x->status_seen) {
        /* what kube's translator reports when the SPDY side fails:
           apierrors.NewInternalError */
        char msg[256];
        snprintf(msg, sizeof msg, "Internal error occurred: %s", why);
        json_t *st = json_pack("{s:{},s:s,s:s,s:s,s:{s:[{s:s}]},s:i}", "metadata", "status",
                               "Failure", "message", msg, "reason", "InternalError", "details",
                               "causes", "message", why, "code", 500);
        char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
        json_decref(st);
        if (text) {
            uint8_t c = K1S_CH_ERROR;
            k1s__ws_put(&x->to_client.b, true, K1S_WS_BINARY, NULL, &c, 1, text, strlen(text));
            free(text);
        } else {
            x->failed = true;
        }
    }
    k1s__ws_put_close(&x->to_client.b, K1S_WS_NORMAL, NULL);
    x->close_sent = true;
}

void k1s__xlate_close_client(k1s_xlate *x, uint16_t code, const char *reason)
{
    if (x->close_sent)
        return;
    k1s__ws_put_close(&x->to_client.b, code, reason);
    x->close_sent = true;
}
