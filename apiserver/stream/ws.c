/*
 * http_ws.c - the WebSocket upgrade of pods/exec and pods/attach (RFC 6455
 * section 4.2, with the channel.k8s.io subprotocols): the checks of
 * kubectl's handshake, then the runtime is asked for a SPDY/3.1 stream
 * connection (v4.channel.k8s.io), and only when it agreed does kubectl get
 * its 101; the bridge then translates between the two (stream_bridge*.c).
 *
 * Asking the runtime first means every failure reaches kubectl as a plain
 * HTTP error before any upgrade, which it treats as a failed WebSocket
 * attempt: it falls back to SPDY and gets the same error through the
 * proxy, the way it would report it against kube-apiserver.
 */
#include "stream_internal.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "k1s_base64.h"

/* RFC 6455's fixed GUID, appended to the key before hashing */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* how long an answered upgrade may wait for libmicrohttpd's hand-over */

char *k1s__ws_accept(const char *key)
{
    size_t kl = strlen(key);
    char *in = malloc(kl + sizeof WS_GUID);
    if (!in)
        return NULL;
    memcpy(in, key, kl);
    memcpy(in + kl, WS_GUID, sizeof WS_GUID);
    unsigned char digest[20];
    int rc = gnutls_hash_fast(GNUTLS_DIG_SHA1, in, kl + sizeof WS_GUID - 1, digest);
    free(in);
    return rc == 0 ? k1s_base64_encode(digest, sizeof digest) : NULL;
}

const char *k1s__ws_check(struct MHD_Connection *c, k1s_status *st)
{
    if (!k1s__header_has_token(c, "Sec-WebSocket-Version", "13")) {
        k1s_err_bad_request(
            st, "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header");
        return NULL;
    }
    const char *key = k1s__header(c, "Sec-WebSocket-Key");
    size_t n = 0;
    unsigned char *raw = key ? k1s_base64_decode(key, strlen(key), &n) : NULL;
    free(raw);
    if (!raw || n != 16) {
        k1s_err_bad_request(
            st,
            "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be Base64 encoded value of 16-byte in length");
        return NULL;
    }
    /* the translator speaks v5; v4 lacks only the close channel, so a
       client that knows nothing newer is served too */
    if (k1s__header_has_token(c, "Sec-WebSocket-Protocol", K1S_WS_V5))
        return K1S_WS_V5;
    if (k1s__header_has_token(c, "Sec-WebSocket-Protocol", K1S_WS_V4))
        return K1S_WS_V4;
    const char *asked = k1s__header(c, "Sec-WebSocket-Protocol");
    k1s_err_bad_request(st, "requested protocol(s) are not supported: [%s]; supports [%s %s]",
                        asked ? asked : "", K1S_WS_V5, K1S_WS_V4);
    return NULL;
}

/* The runtime must have taken SPDY/3.1 with the v4 stream protocol, the
 * only one the bridge speaks to it. */
static bool runtime_agreed(const char *head)
{
    char v[128];
    return k1s__head_value(head, "Upgrade", v, sizeof v) && !strcasecmp(v, "SPDY/3.1") &&
           k1s__head_value(head, "X-Stream-Protocol-Version", v, sizeof v) && !strcmp(v, K1S_WS_V4);
}

enum MHD_Result k1s__ws_bridge(k1s_stream_hub *hub, struct MHD_Connection *c, const char *url,
                               const k1s_stream_request *rq, const char *proto)
{
    char *accept = k1s__ws_accept(k1s__header(c, "Sec-WebSocket-Key"));
    if (!accept)
        return k1s__reply_error(c, 500, "InternalError", "out of memory");
    const char *ua = k1s__header(c, "User-Agent");
    char *hdrs = NULL;
    if (asprintf(&hdrs,
                 "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: %s\r\n"
                 "User-Agent: %s\r\n",
                 K1S_WS_V4, ua ? ua : "k1s") < 0) {
        free(accept);
        return k1s__reply_error(c, 500, "InternalError", "out of memory");
    }
    k1s_runtime_link l;
    enum MHD_Result ret;
    /* kube-apiserver's translator posts to the kubelet; the runtime's
       server takes both methods */
    int rc = k1s__runtime_upgrade(c, "POST", url, hdrs, &l, &ret);
    free(hdrs);
    if (rc) {
        free(accept);
        return ret;
    }
    if (!runtime_agreed(l.head)) {
        k1s__runtime_link_free(&l);
        free(accept);
        return k1s__reply_error(
            c, 500, "",
            "error dialing backend: the runtime did not accept SPDY/3.1 with " K1S_WS_V4);
    }
    k1s_bridge_opts o = {.v5 = !strcmp(proto, K1S_WS_V5),
                         .in = rq->in,
                         .out = rq->out,
                         .err = rq->err && !rq->tty,
                         .tty = rq->tty};
    const char *h[] = {
        "Upgrade", "websocket", "Sec-WebSocket-Accept", accept, "Sec-WebSocket-Protocol",
        proto,     NULL};
    ret = k1s__answer_upgrade(hub, c, &l, h, &o);
    free(accept);
    return ret;
}
