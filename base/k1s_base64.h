/*
 * k1s_base64.h - standard base64 (RFC 4648, with padding), as Kubernetes
 * uses it for []byte fields, Secret data and kubeconfig certificate data,
 * and the lenient form protobuf's JSON mapping reads (CRI bytes fields).
 */
#ifndef K1S_BASE64_H
#define K1S_BASE64_H

#include <stddef.h>

/* The encoding of n bytes: malloc'd, NUL-terminated; NULL when out of
 * memory or n is absurdly large. */
char *k1s_base64_encode(const void *in, size_t n);
/* Decode n characters: malloc'd bytes (NUL-terminated for convenience)
 * and their count in *outlen; NULL if the text is not canonical padded
 * base64 or memory ran out. */
unsigned char *k1s_base64_decode(const char *in, size_t n, size_t *outlen);
/* Decode as protobuf's JSON mapping accepts bytes: the standard or the
 * URL-safe alphabet, with or without padding. Same result as above. */
unsigned char *k1s_base64_decode_any(const char *in, size_t n, size_t *outlen);

#endif
