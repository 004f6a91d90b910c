/*
 * spdy_reader.c - cuts a SPDY/3.1 byte stream into frames for the bridge.
 * DATA payloads are passed on piece by piece as they arrive, so output
 * flows at once and no frame has to fit in memory; control frames are
 * small and handed over whole.
 */
#include "spdy_internal.h"

ssize_t k1s__spdy_read(k1s_spdy_reader *r, const uint8_t *p, size_t n, const k1s_spdy_events *ev,
                       void *ctx)
{
    size_t off = 0;
    for (;;) {
        if (r->in_data) {
            size_t take = n - off < r->left ? n - off : r->left;
            bool last = take == r->left;
            bool fin = last && (r->h.flags & K1S_SPDY_FLAG_FIN);
            /* a piece of nothing is only worth passing on when it ends
               the stream */
            if ((take || fin) && ev->data(ctx, r->h.sid, p + off, take, fin))
                return -1;
            off += take;
            r->left -= (uint32_t)take;
            if (!last)
                return (ssize_t)off;
            r->in_data = false;
            continue;
        }
        if (n - off < 8)
            return (ssize_t)off;
        k1s_spdy_head h;
        k1s__spdy_parse_head(p + off, &h);
        if (!h.control) {
            if (h.sid == 0)
                return -1;
            r->h = h;
            r->left = h.len;
            r->in_data = true;
            off += 8;
            continue;
        }
        if (h.version != K1S_SPDY_VERSION || h.len > K1S_SPDY_MAX_CONTROL)
            return -1;
        if (n - off - 8 < h.len)
            return (ssize_t)off; /* wait for the whole frame */
        if (ev->control(ctx, &h, p + off + 8))
            return -1;
        off += 8 + h.len;
    }
}
