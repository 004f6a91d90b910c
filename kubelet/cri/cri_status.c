/*
 * cri_status.c - the gRPC protocol details that need no connection: the
 * 5-byte message framing, status code names, the HTTP-to-gRPC code mapping
 * for replies without grpc-status, percent-decoding of grpc-message, and
 * the error text kubelet would log ("rpc error: code = NotFound desc = ...").
 */
#include "cri_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_hex.h"

static const char *const code_names[] = {
    "OK",       "Canceled",        "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",   "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",      "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated",
};

const char *k1s__cri_code_name(int code)
{
    if (code < 0 || code >= (int)(sizeof code_names / sizeof code_names[0]))
        return NULL;
    return code_names[code];
}

int k1s__cri_code_from_http(long http_status)
{
    switch (http_status) {
    case 400:
        return 13; /* Internal */
    case 401:
        return 16; /* Unauthenticated */
    case 403:
        return 7; /* PermissionDenied */
    case 404:
        return 12; /* Unimplemented */
    case 429:
    case 502:
    case 503:
    case 504:
        return 14; /* Unavailable */
    default:
        return 2; /* Unknown */
    }
}

char *k1s__cri_percent_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = k1s_hex_digit(s[i + 1])) >= 0 &&
            (lo = k1s_hex_digit(s[i + 2])) >= 0) {
            char c = (char)(hi << 4 | lo);
            if (c != '\0') { /* a NUL would cut the C string short */
                *o++ = c;
                i += 2;
                continue;
            }
        }
        *o++ = s[i];
    }
    *o = '\0';
    return out;
}

void k1s__cri_error_set(k1s_cri_error *e, int code, int display_code, const char *fmt, ...)
{
    if (!e)
        return;
    free(e->message);
    e->message = NULL;
    e->code = code;
    char *desc = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&desc, fmt, ap) < 0)
        desc = NULL;
    va_end(ap);
    const char *name = k1s__cri_code_name(display_code);
    char num[24];
    if (!name) {
        snprintf(num, sizeof num, "Code(%d)", display_code);
        name = num;
    }
    if (asprintf(&e->message, "rpc error: code = %s desc = %s", name,
                 desc ? desc : "out of memory") < 0)
        e->message = NULL;
    free(desc);
}

uint8_t *k1s__cri_frame(const uint8_t *msg, size_t len, size_t *framed_len)
{
    if (len > UINT32_MAX)
        return NULL;
    uint8_t *f = malloc(len + 5);
    if (!f)
        return NULL;
    f[0] = 0; /* not compressed */
    f[1] = (uint8_t)(len >> 24);
    f[2] = (uint8_t)(len >> 16);
    f[3] = (uint8_t)(len >> 8);
    f[4] = (uint8_t)len;
    if (len)
        memcpy(f + 5, msg, len);
    *framed_len = len + 5;
    return f;
}

int k1s__cri_unframe(const uint8_t *body, size_t body_len, const uint8_t **msg, size_t *len,
                     const char **why)
{
    if (body_len == 0) {
        *why = "the reply has no message";
        return -1;
    }
    if (body_len < 5) {
        *why = "the reply's message header is cut short";
        return -1;
    }
    if (body[0] != 0) {
        /* we send no grpc-accept-encoding, so nothing may be compressed */
        *why = body[0] == 1 ? "the reply is compressed" : "the reply's message flag is not 0";
        return -1;
    }
    size_t n = (size_t)body[1] << 24 | (size_t)body[2] << 16 | (size_t)body[3] << 8 | body[4];
    if (n > body_len - 5) {
        *why = "the reply's message is cut short";
        return -1;
    }
    if (n < body_len - 5) {
        *why = "the reply holds more than one message";
        return -1;
    }
    *msg = body + 5;
    *len = n;
    return 0;
}
