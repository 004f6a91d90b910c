/*
 * yaml_decode.c - k1s_yaml_decode (k1s_yaml.h): libyaml's event parser
 * builds the JSON tree on an explicit stack (no recursion on input), plain
 * scalars are resolved in yaml_scalar.c.
 *
 * Every finished node knows its height and its cost (what building it
 * charged to the output budget). An anchor keeps both, so an alias is
 * refused before it is copied when it would go over the depth or the
 * output limit: expanding hostile aliases costs nothing.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "yaml_int.h"

#define NODE_COST 64

typedef struct frame {
    json_t *node;   /* the object or array being filled */
    char *key;      /* a mapping's pending key, NULL when a key comes next */
    bool merge_key; /* the pending key is the merge key "<<" */
    json_t *merges; /* mappings merged into this one, in order */
    char *anchor;   /* what the node will be known as */
    int height;
    size_t cost;
} frame;

typedef struct ctx {
    frame stack[K1S_YAML_MAX_DEPTH];
    int depth;
    json_t *anchors; /* name -> [node, height, cost] */
    json_t *root;
    bool done;
    size_t cost;
    int code;
    char *err;
} ctx;

static int fail(ctx *c, int code, const char *fmt, ...)
{
    if (c->code)
        return c->code;
    c->code = code;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->err = strdup(msg);
    return code;
}

static int charge(ctx *c, size_t n)
{
    if (n > K1S_YAML_MAX_OUTPUT - c->cost)
        return fail(c, K1S_ETOOLARGE, "yaml: the document expands to more than %u bytes",
                    K1S_YAML_MAX_OUTPUT);
    c->cost += n;
    return 0;
}

/* The key a scalar value stands for, as Go's YAML-to-JSON conversion
 * spells it. */
static char *key_text(const json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_null(v))
        snprintf(buf, sizeof buf, "null");
    else
        return NULL;
    return strdup(buf);
}

static int remember(ctx *c, const char *anchor, json_t *node, int height, size_t cost)
{
    json_t *entry = json_pack("[O, i, I]", node, height, (json_int_t)cost);
    if (!entry || json_object_set_new(c->anchors, anchor, entry))
        return fail(c, K1S_ENOMEM, "out of memory");
    return 0;
}

/* Hands a finished node (owned, or NULL after a failure) to its parent. */
static int place(ctx *c, json_t *v, const char *anchor, int height, size_t cost, bool plain_merge)
{
    if (!v)
        return c->code ? c->code : fail(c, K1S_ENOMEM, "out of memory");
    if (anchor && remember(c, anchor, v, height, cost)) {
        json_decref(v);
        return c->code;
    }
    if (c->depth == 0) {
        c->root = v;
        c->done = true;
        return 0;
    }
    frame *f = &c->stack[c->depth - 1];
    if (height + 1 > f->height)
        f->height = height + 1;
    f->cost += cost;
    if (json_is_array(f->node))
        return json_array_append_new(f->node, v) ? fail(c, K1S_ENOMEM, "out of memory") : 0;
    if (!f->key) {
        f->key = key_text(v);
        f->merge_key = plain_merge;
        bool scalar = !json_is_object(v) && !json_is_array(v);
        json_decref(v);
        if (!scalar)
            return fail(c, K1S_EINVAL, "yaml: a mapping key must be a scalar");
        return f->key ? 0 : fail(c, K1S_ENOMEM, "out of memory");
    }
    int rc = 0;
    if (f->merge_key) {
        /* "<<: *base" or "<<: [*a, *b]": keys this mapping lacks */
        size_t i;
        json_t *m;
        if (json_is_object(v))
            rc = json_array_append(f->merges, v);
        else if (json_is_array(v)) {
            json_array_foreach(v, i, m)
            {
                if (!json_is_object(m)) {
                    rc = fail(c, K1S_EINVAL, "yaml: map merge requires map or sequence of maps");
                    break;
                }
                rc = rc || json_array_append(f->merges, m);
            }
        } else
            rc = fail(c, K1S_EINVAL, "yaml: map merge requires map or sequence of maps");
        json_decref(v);
    } else {
        rc = json_object_set_new(f->node, f->key, v);
    }
    free(f->key);
    f->key = NULL;
    if (rc && !c->code)
        fail(c, K1S_ENOMEM, "out of memory");
    return c->code;
}

static int push(ctx *c, json_t *node, const yaml_char_t *anchor)
{
    if (!node)
        return fail(c, K1S_ENOMEM, "out of memory");
    if (c->depth > 0) {
        frame *p = &c->stack[c->depth - 1];
        if (json_is_object(p->node) && !p->key) {
            json_decref(node);
            return fail(c, K1S_EINVAL, "yaml: a mapping key must be a scalar");
        }
    }
    if (c->depth == K1S_YAML_MAX_DEPTH) {
        json_decref(node);
        return fail(c, K1S_ETOOLARGE, "yaml: nesting deeper than %d levels", K1S_YAML_MAX_DEPTH);
    }
    if (charge(c, NODE_COST)) {
        json_decref(node);
        return c->code;
    }
    frame *f = &c->stack[c->depth++];
    memset(f, 0, sizeof *f);
    f->node = node;
    f->cost = NODE_COST;
    f->merges = json_is_object(node) ? json_array() : NULL;
    f->anchor = anchor ? strdup((const char *)anchor) : NULL;
    if ((json_is_object(node) && !f->merges) || (anchor && !f->anchor))
        return fail(c, K1S_ENOMEM, "out of memory");
    return 0;
}

static void frame_free(frame *f)
{
    json_decref(f->node);
    json_decref(f->merges);
    free(f->key);
    free(f->anchor);
}

static int pop(ctx *c)
{
    frame f = c->stack[--c->depth];
    if (f.key) {
        frame_free(&f);
        return fail(c, K1S_EINVAL, "yaml: a mapping key has no value");
    }
    size_t i;
    json_t *m;
    json_array_foreach(f.merges, i, m)
    {
        if (json_object_update_missing(f.node, m)) {
            frame_free(&f);
            return fail(c, K1S_ENOMEM, "out of memory");
        }
    }
    json_t *node = f.node;
    f.node = NULL;
    int rc = place(c, node, f.anchor, f.height, f.cost, false);
    frame_free(&f);
    return rc;
}

/* A copy of v for an alias: depth and budget were checked beforehand. */
static json_t *copy(const json_t *v)
{
    json_t *out = NULL, *x;
    const char *k;
    size_t i;
    if (json_is_object(v)) {
        out = json_object();
        json_object_foreach((json_t *)v, k, x)
        {
            if (!out || json_object_set_new(out, k, copy(x))) {
                json_decref(out);
                return NULL;
            }
        }
    } else if (json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, x)
        {
            if (!out || json_array_append_new(out, copy(x))) {
                json_decref(out);
                return NULL;
            }
        }
    } else {
        out = json_copy((json_t *)v);
    }
    return out;
}

static int alias(ctx *c, const char *name)
{
    json_t *entry = json_object_get(c->anchors, name);
    if (!entry)
        return fail(c, K1S_EINVAL, "yaml: unknown anchor '%.100s' referenced", name);
    json_t *node = json_array_get(entry, 0);
    int height = (int)json_integer_value(json_array_get(entry, 1));
    size_t cost = (size_t)json_integer_value(json_array_get(entry, 2));
    if (c->depth + height > K1S_YAML_MAX_DEPTH)
        return fail(c, K1S_ETOOLARGE, "yaml: nesting deeper than %d levels", K1S_YAML_MAX_DEPTH);
    if (charge(c, cost))
        return c->code;
    return place(c, copy(node), NULL, height, cost, false);
}

static int scalar(ctx *c, const yaml_event_t *e)
{
    const char *text = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    const char *tag = (const char *)e->data.scalar.tag;
    if (charge(c, NODE_COST + len))
        return c->code;
    if (strlen(text) != len)
        return fail(c, K1S_EINVAL, "yaml: a scalar holds a NUL character");
    bool plain = e->data.scalar.plain_implicit && !tag;
    bool as_string = !plain && (!tag || !strcmp(tag, YAML_STR_TAG) || !strcmp(tag, "!") ||
                                e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE);
    json_t *v = NULL;
    if (as_string) {
        v = json_stringn(text, len);
        if (!v)
            return fail(c, K1S_EINVAL, "yaml: a scalar is not valid UTF-8");
    } else {
        int rc = k1s__yaml_plain(text, &v);
        if (rc == K1S_EINVAL)
            return fail(c, rc, "yaml: the value '%.64s' has no JSON form", text);
        if (rc)
            return fail(c, rc, "out of memory");
    }
    bool merge = plain && !strcmp(text, "<<");
    return place(c, v, (const char *)e->data.scalar.anchor, 0, NODE_COST + len, merge);
}

static int event(ctx *c, const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_SCALAR_EVENT:
        return scalar(c, e);
    case YAML_ALIAS_EVENT:
        return alias(c, (const char *)e->data.alias.anchor);
    case YAML_SEQUENCE_START_EVENT:
        return push(c, json_array(), e->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
        return push(c, json_object(), e->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return pop(c);
    case YAML_DOCUMENT_END_EVENT:
    case YAML_STREAM_END_EVENT:
        c->done = true;
        return 0;
    default:
        return 0;
    }
}

int k1s_yaml_decode(const char *buf, size_t len, json_t **out, char **err)
{
    *out = NULL;
    if (err)
        *err = NULL;
    ctx *c = calloc(1, sizeof *c);
    yaml_parser_t p;
    if (!c || !(c->anchors = json_object()) || !yaml_parser_initialize(&p)) {
        if (c)
            json_decref(c->anchors);
        free(c);
        if (err)
            *err = strdup("out of memory");
        return K1S_ENOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    while (!c->done && !c->code) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            fail(c, K1S_EINVAL, "yaml: line %zu: %s", p.problem_mark.line + 1,
                 p.problem ? p.problem : "invalid YAML");
            break;
        }
        event(c, &e);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);
    while (c->depth > 0)
        frame_free(&c->stack[--c->depth]);
    json_decref(c->anchors);
    int rc = c->code;
    if (rc) {
        json_decref(c->root);
        if (err)
            *err = c->err;
        else
            free(c->err);
    } else {
        *out = c->root ? c->root : json_null();
    }
    free(c);
    return rc;
}
