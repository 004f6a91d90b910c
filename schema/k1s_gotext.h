/*
 * k1s_gotext.h - the Go text rules that leak into kube-apiserver's messages
 * (its messages are made by Go's fmt and strconv, so ours must format the
 * same): UTF-8 decoding as Go's utf8 package, %q quoting as strconv.Quote,
 * and a decoded JSON number as the sender wrote it.
 *
 * Internal to k1s, not a public API: shared by the schema engine and
 * apimachinery (which links schema), so it lives here, the lower of the
 * two. Everything appends to a k1s_buf and so follows its latch.
 */
#ifndef K1S_GOTEXT_H
#define K1S_GOTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_buf.h"

/* Length (1..4) of the valid UTF-8 sequence at s, storing its code point,
 * or 0 when the bytes there are not valid UTF-8 (truncated, overlong,
 * surrogate, above U+10FFFF). n (>= 1) is the number of bytes available. */
size_t k1s__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Appends s[0..n) quoted the way Go's %q / strconv.Quote does: invalid
 * bytes as \xNN, non-printable runes escaped (printable is roughly Go's
 * unicode.IsPrint), the rest as is. */
void k1s__goquote(k1s_buf *b, const char *s, size_t n);

/* Appends a JSON number (borrowed) as its shortest round-tripping text, a
 * real that looks integral with ".0" (1.0, not 1). */
void k1s__gonumber(k1s_buf *b, const json_t *num);

#endif
