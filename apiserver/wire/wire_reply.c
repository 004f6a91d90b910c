/*
 * wire_reply.c - answering a request: JSON, text and Status bodies with
 * kube's headers (Content-Type, Cache-Control, Warning), and reading its
 * query arguments and headers.
 */
#include "k1s_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_warnings(struct MHD_Response *r, const json_t *warnings)
{
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w)
    {
        char *q = json_dumps(w, JSON_ENCODE_ANY);
        char *h = NULL;
        if (q && asprintf(&h, "299 - %s", q) >= 0)
            MHD_add_response_header(r, "Warning", h);
        free(q);
        free(h);
    }
}

enum MHD_Result k1s__reply_text(struct MHD_Connection *c, int code, const char *content_type,
                                char *text, size_t len, const json_t *warnings)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", content_type);
    MHD_add_response_header(r, "Cache-Control", "no-cache, private");
    add_warnings(r, warnings);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)code, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result k1s__reply_json(struct MHD_Connection *c, int code, const json_t *body,
                                const json_t *warnings)
{
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text)
        return k1s__reply_error(c, 500, "InternalError", "encoding failed");
    size_t n = strlen(text);
    /* kube ends JSON bodies with a newline; clients do not care, curl users do */
    char *t2 = realloc(text, n + 2);
    if (t2) {
        t2[n] = '\n';
        t2[n + 1] = 0;
        text = t2;
        n++;
    }
    return k1s__reply_text(c, code, "application/json", text, n, warnings);
}

enum MHD_Result k1s__reply_status(struct MHD_Connection *c, const k1s_status *st)
{
    json_t *j = k1s_status_json(st);
    enum MHD_Result r = k1s__reply_json(c, st->code ? st->code : 500, j, NULL);
    json_decref(j);
    return r;
}

enum MHD_Result k1s__reply_error(struct MHD_Connection *c, int code, const char *reason,
                                 const char *msg)
{
    k1s_status st = {0};
    k1s_status_set(&st, code, reason, "%s", msg);
    enum MHD_Result r = k1s__reply_status(c, &st);
    k1s_status_clear(&st);
    return r;
}

enum MHD_Result k1s__reply_errorf(struct MHD_Connection *c, int code, const char *reason,
                                  const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    enum MHD_Result r = k1s__reply_error(c, code, reason, msg ? msg : "out of memory");
    free(msg);
    return r;
}

const char *k1s__arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

bool k1s__arg_true(struct MHD_Connection *c, const char *name)
{
    const char *v = k1s__arg(c, name);
    return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "True"));
}

const char *k1s__header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}
