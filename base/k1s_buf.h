/*
 * k1s_buf.h - the one growable byte buffer: bodies, messages, frames and
 * table cells are built in it. It can be capped (max): hostile input can
 * then not make it grow without bound, and the limit fails loudly.
 *
 * The first failure latches: out of memory sets oom, going past max sets
 * full; either way every later append is dropped whole, so callers append
 * freely and look once at the end. Start from a zeroed struct (no cap but
 * K1S_BUF_LIMIT) or set max first; free with k1s_buf_free or hand the
 * bytes over with k1s_buf_take.
 */
#ifndef K1S_BUF_H
#define K1S_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* What a buffer without its own max may hold: far beyond any body k1s
 * accepts or builds, far below trouble. */
#define K1S_BUF_LIMIT ((size_t)1 << 30)

typedef struct k1s_buf {
    char *p; /* malloc'd; NUL-terminated after any append that fit */
    size_t len, cap;
    size_t max; /* most bytes it may hold (0: K1S_BUF_LIMIT) */
    bool oom;   /* an allocation failed */
    bool full;  /* an append would have passed max */
} k1s_buf;

void k1s_buf_add(k1s_buf *b, const void *s, size_t n);
void k1s_buf_adds(k1s_buf *b, const char *s);
void k1s_buf_addc(k1s_buf *b, char c);
void k1s_buf_addf(k1s_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void k1s_buf_vaddf(k1s_buf *b, const char *fmt, va_list ap);
/* Room for n more bytes; false (and the latch set) when it cannot be. */
bool k1s_buf_reserve(k1s_buf *b, size_t n);
/* Cut back to len bytes (len <= b->len); the latches stay. */
void k1s_buf_truncate(k1s_buf *b, size_t len);
/* oom or full. */
static inline bool k1s_buf_failed(const k1s_buf *b)
{
    return b->oom || b->full;
}
/* The text so far ("" when empty), valid until the next append. */
const char *k1s_buf_str(const k1s_buf *b);
/* The malloc'd bytes (NUL-terminated; "" when empty) with their length in
 * *len (may be NULL), or NULL when the buffer failed. b is reset (max
 * kept) either way. */
char *k1s_buf_take(k1s_buf *b, size_t *len);
/* Free the bytes and reset (max kept). */
void k1s_buf_free(k1s_buf *b);

#endif
