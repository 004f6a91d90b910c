/*
 * strict_dups.c - k1s_json_duplicate_fields (k1s_strict.h): a second,
 * read-only pass over a request body's JSON text that notes every object
 * key seen before in the same object, with the field path kube's strict
 * decoder gives it. Keys are compared unescaped (so "a" and "\u0061" are
 * the same key); each object's keys are kept in a hash set while it is
 * open, so a body with many keys costs linear time. Nesting past
 * K1S_STRICT_MAX_DEPTH is skipped, not followed, so recursion is bounded.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "k1s_buf.h"
#include "k1s_hex.h"
#include "k1s_strict.h"

typedef struct scan {
    const char *p;
    size_t n, i;
    k1s_buf path; /* the path of the value being read */
    k1s_buf key;  /* the last key, unescaped */
    json_t *out;
    size_t found;
} scan;

static void ws(scan *s)
{
    while (s->i < s->n &&
           (s->p[s->i] == ' ' || s->p[s->i] == '\t' || s->p[s->i] == '\n' || s->p[s->i] == '\r'))
        s->i++;
}

static bool eat(scan *s, char c)
{
    ws(s);
    if (s->i < s->n && s->p[s->i] == c) {
        s->i++;
        return true;
    }
    return false;
}

/* Four hex digits at s->i; -1 if not. */
static long hex4(scan *s)
{
    if (s->n - s->i < 4)
        return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = k1s_hex_digit(s->p[s->i + (size_t)k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    s->i += 4;
    return v;
}

static void put_utf8(k1s_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    k1s_buf_add(b, u, n);
}

/* A string at s->i (its opening quote); into out unescaped when out is not
 * NULL. Lone surrogates become U+FFFD, as Go decodes them. */
static bool string(scan *s, k1s_buf *out)
{
    if (!eat(s, '"'))
        return false;
    while (s->i < s->n) {
        char c = s->p[s->i++];
        if (c == '"')
            return true;
        if (c != '\\') {
            if (out)
                k1s_buf_addc(out, c);
            continue;
        }
        if (s->i >= s->n)
            return false;
        char e = s->p[s->i++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *at = e ? strchr(from, e) : NULL;
        if (at) {
            if (out)
                k1s_buf_addc(out, to[at - from]);
            continue;
        }
        if (e != 'u')
            return false;
        long cp = hex4(s);
        if (cp < 0)
            return false;
        if (cp >= 0xd800 && cp < 0xdc00 && s->n - s->i >= 6 && s->p[s->i] == '\\' &&
            s->p[s->i + 1] == 'u') {
            size_t save = s->i;
            s->i += 2;
            long lo = hex4(s);
            if (lo >= 0xdc00 && lo < 0xe000)
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            else
                s->i = save, cp = 0xfffd;
        } else if (cp >= 0xd800 && cp < 0xe000) {
            cp = 0xfffd;
        }
        if (out)
            put_utf8(out, (unsigned long)cp);
    }
    return false;
}

static bool value(scan *s, int depth);

/* Skips a number or a literal. */
static bool scalar(scan *s)
{
    size_t start = s->i;
    while (s->i < s->n && strchr("+-.0123456789eEtruefalsn", s->p[s->i]) && s->p[s->i])
        s->i++;
    return s->i > start;
}

static bool object(scan *s, int depth)
{
    s->i++; /* { */
    json_t *seen = json_object();
    size_t base = s->path.len;
    bool ok = seen != NULL;
    if (ok && eat(s, '}'))
        goto done;
    while (ok) {
        k1s_buf_truncate(&s->key, 0);
        ws(s);
        if (!string(s, &s->key) || k1s_buf_failed(&s->key) || !eat(s, ':')) {
            ok = false;
            break;
        }
        const char *k = k1s_buf_str(&s->key);
        k1s_buf_truncate(&s->path, base);
        if (base)
            k1s_buf_addc(&s->path, '.');
        k1s_buf_add(&s->path, k, s->key.len);
        if (json_object_getn(seen, k, s->key.len)) {
            json_t *pv = json_stringn(k1s_buf_str(&s->path), s->path.len);
            if (pv && json_array_append_new(s->out, pv) == 0)
                s->found++;
        } else if (json_object_setn_new(seen, k, s->key.len, json_true()) != 0) {
            ok = false;
            break;
        }
        if (!value(s, depth + 1)) {
            ok = false;
            break;
        }
        if (eat(s, ','))
            continue;
        ok = eat(s, '}');
        break;
    }
done:
    k1s_buf_truncate(&s->path, base);
    json_decref(seen);
    return ok;
}

static bool array(scan *s, int depth)
{
    s->i++; /* [ */
    size_t base = s->path.len;
    if (eat(s, ']'))
        return true;
    for (size_t idx = 0;; idx++) {
        k1s_buf_truncate(&s->path, base);
        k1s_buf_addf(&s->path, "[%zu]", idx);
        if (!value(s, depth + 1))
            return false;
        if (eat(s, ','))
            continue;
        k1s_buf_truncate(&s->path, base);
        return eat(s, ']');
    }
}

/* Past the depth limit a container is skipped by counting brackets. */
static bool skip_container(scan *s)
{
    int open = 0;
    while (s->i < s->n) {
        char c = s->p[s->i];
        if (c == '"') {
            if (!string(s, NULL))
                return false;
            continue;
        }
        s->i++;
        if (c == '{' || c == '[')
            open++;
        else if ((c == '}' || c == ']') && --open == 0)
            return true;
    }
    return false;
}

static bool value(scan *s, int depth)
{
    ws(s);
    if (s->i >= s->n || k1s_buf_failed(&s->path))
        return false;
    char c = s->p[s->i];
    if ((c == '{' || c == '[') && depth >= K1S_STRICT_MAX_DEPTH)
        return skip_container(s);
    if (c == '{')
        return object(s, depth);
    if (c == '[')
        return array(s, depth);
    if (c == '"')
        return string(s, NULL);
    return scalar(s);
}

size_t k1s_json_duplicate_fields(const char *text, size_t len, json_t *paths)
{
    if (!text || !json_is_array(paths))
        return 0;
    scan s = {.p = text, .n = len, .out = paths};
    s.path.max = s.key.max = (size_t)1 << 20; /* a path past 1 MiB stops the scan */
    value(&s, 0);
    k1s_buf_free(&s.path);
    k1s_buf_free(&s.key);
    return s.found;
}
