/*
 * spdy_internal.h - the little of SPDY/3.1 the WebSocket bridge needs to
 * talk to a container runtime's streaming server as a client: the frame
 * codec (spdy_frame.c), header blocks with their zlib contexts
 * (spdy_headers.c, spdy_dict.c) and an incremental reader that cuts a
 * byte stream into frames (spdy_reader.c). No I/O here: the bridge owns
 * the sockets, so all of it is testable on buffers.
 *
 * The spec: SPDY Protocol - Draft 3.1 (chromium.org). Frame heads are 8
 * bytes: a control frame has the top bit set, a 15-bit version (3) and a
 * 16-bit type; a data frame a 31-bit stream id. Both then carry 8 bits of
 * flags and a 24-bit length.
 */
#ifndef K1S_SPDY_INTERNAL_H
#define K1S_SPDY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "k1s_wire.h"

#define K1S_SPDY_VERSION 3

enum {
    K1S_SPDY_SYN_STREAM = 1,
    K1S_SPDY_SYN_REPLY = 2,
    K1S_SPDY_RST_STREAM = 3,
    K1S_SPDY_SETTINGS = 4,
    K1S_SPDY_PING = 6,
    K1S_SPDY_GOAWAY = 7,
    K1S_SPDY_HEADERS = 8,
    K1S_SPDY_WINDOW_UPDATE = 9,
};

#define K1S_SPDY_FLAG_FIN 0x01            /* DATA, SYN_STREAM, SYN_REPLY */
#define K1S_SPDY_FLAG_UNIDIRECTIONAL 0x02 /* SYN_STREAM */
#define K1S_SPDY_MAX_LEN 0xffffffu        /* a frame's 24-bit length */
#define K1S_SPDY_INITIAL_WINDOW 65536     /* per stream and per session */

/* RST_STREAM status codes */
enum {
    K1S_SPDY_PROTOCOL_ERROR = 1,
    K1S_SPDY_INVALID_STREAM = 2,
    K1S_SPDY_REFUSED_STREAM = 3,
    K1S_SPDY_CANCEL = 5,
};

/* ---- header blocks (spdy_headers.c) ---------------------------------------- */

/* The SPDY/3 zlib dictionary every header block is compressed against. */
extern const unsigned char k1s__spdy_dict[];
extern const size_t k1s__spdy_dict_len;

/* One session's header compression: a deflate context for the blocks it
 * sends and an inflate context for those it receives. Each lives as long
 * as the session: a block is compressed against everything sent before. */
typedef struct k1s_spdy_zlib k1s_spdy_zlib;

k1s_spdy_zlib *k1s__spdy_zlib_new(void);
void k1s__spdy_zlib_free(k1s_spdy_zlib *z);

typedef struct k1s_spdy_header {
    const char *name;  /* lowercase, as SPDY/3 requires */
    const char *value; /* several values: joined with NUL bytes */
    size_t value_len;  /* 0: strlen(value) */
} k1s_spdy_header;

/* Append the compressed block holding hs to out. -1 on zlib failure. */
int k1s__spdy_block_encode(k1s_spdy_zlib *z, const k1s_spdy_header *hs, size_t n, k1s_buf *out);
/* Inflate one received block (n compressed bytes); the plain block is
 * appended to out, at most max bytes. -1 on a corrupt block. */
int k1s__spdy_block_decode(k1s_spdy_zlib *z, const uint8_t *in, size_t n, size_t max, k1s_buf *out);
/* Walk a plain block: fn for each name/value pair. The number of pairs,
 * or -1 when the block is malformed (fn may have seen some pairs). */
typedef void (*k1s_spdy_pair_fn)(void *ctx, const char *name, size_t nl, const char *value,
                                 size_t vl);
int k1s__spdy_block_pairs(const uint8_t *p, size_t n, k1s_spdy_pair_fn fn, void *ctx);

/* ---- frames (spdy_frame.c) ------------------------------------------------------ */

typedef struct k1s_spdy_head {
    bool control;
    uint16_t version, type; /* control frames */
    uint32_t sid;           /* data frames */
    uint8_t flags;
    uint32_t len; /* payload bytes after the 8-byte head */
} k1s_spdy_head;

void k1s__spdy_parse_head(const uint8_t p[8], k1s_spdy_head *h);

/* A control frame's fields; which ones are set depends on the type. */
typedef struct k1s_spdy_ctrl {
    uint16_t type;
    uint8_t flags;
    uint32_t sid;         /* SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS,
                           WINDOW_UPDATE; GOAWAY: the last good stream */
    uint32_t assoc;       /* SYN_STREAM */
    uint8_t priority;     /* SYN_STREAM, 0 (highest) to 7 */
    uint32_t value;       /* RST_STREAM and GOAWAY: status; PING: id;
                           WINDOW_UPDATE: delta; SETTINGS: entry count */
    const uint8_t *block; /* compressed header block (SYN_STREAM,
                              SYN_REPLY, HEADERS), inside the payload */
    size_t nblock;
} k1s_spdy_ctrl;

/* Decode a control frame's payload (h->len bytes). -1: malformed. */
int k1s__spdy_parse_control(const k1s_spdy_head *h, const uint8_t *payload, k1s_spdy_ctrl *c);

/* Frame writers: append one frame to b. Those with header blocks return
 * -1 on zlib failure; k1s_buf_failed(b) reports memory. */
int k1s__spdy_put_syn_stream(k1s_buf *b, k1s_spdy_zlib *z, uint32_t sid, uint8_t priority,
                             uint8_t flags, const k1s_spdy_header *hs, size_t n);
int k1s__spdy_put_syn_reply(k1s_buf *b, k1s_spdy_zlib *z, uint32_t sid, uint8_t flags,
                            const k1s_spdy_header *hs, size_t n);
/* n <= K1S_SPDY_MAX_LEN */
void k1s__spdy_put_data(k1s_buf *b, uint32_t sid, uint8_t flags, const void *p, size_t n);
void k1s__spdy_put_rst(k1s_buf *b, uint32_t sid, uint32_t status);
void k1s__spdy_put_ping(k1s_buf *b, uint32_t id);
void k1s__spdy_put_goaway(k1s_buf *b, uint32_t last_good, uint32_t status);
void k1s__spdy_put_window_update(k1s_buf *b, uint32_t sid, uint32_t delta);
/* SETTINGS with one entry (id, value), flags 0. */
void k1s__spdy_put_settings1(k1s_buf *b, uint32_t id, uint32_t value);

/* ---- reading a byte stream (spdy_reader.c) ------------------------------------ */

/* The largest control frame accepted: ours carry a few short headers. */
#define K1S_SPDY_MAX_CONTROL (64 * 1024)

typedef struct k1s_spdy_events {
    /* A piece of a DATA frame's payload; fin on the frame's last piece
     * when it carries FLAG_FIN (n may then be 0). */
    int (*data)(void *ctx, uint32_t sid, const uint8_t *p, size_t n, bool fin);
    /* A whole control frame. */
    int (*control)(void *ctx, const k1s_spdy_head *h, const uint8_t *payload);
} k1s_spdy_events;

/* Cuts frames out of a byte stream. DATA payloads are handed on as they
 * arrive (a 16 MiB frame needs no 16 MiB buffer); control frames once
 * whole, so the caller's buffer must hold 8 + K1S_SPDY_MAX_CONTROL. */
typedef struct k1s_spdy_reader {
    bool in_data; /* inside a DATA payload */
    k1s_spdy_head h;
    uint32_t left; /* payload bytes still to come */
} k1s_spdy_reader;

/* Feed n bytes: the number consumed (the rest waits for more), or -1 on a
 * protocol error or when a callback returned non-zero. */
ssize_t k1s__spdy_read(k1s_spdy_reader *r, const uint8_t *p, size_t n, const k1s_spdy_events *ev,
                       void *ctx);

#endif
