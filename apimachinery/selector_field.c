/*
 * selector_field.c - the field selector string parser (kube's
 * fields.ParseSelector): terms split on unescaped commas and sorted; each
 * term split at its first operator ("!=", "==" or "="); the value
 * unescaped ("\\", "\,", "\=" are the only escapes, and a bare '=' in a
 * value is an error). Keys are not checked here: which fields exist is the
 * caller's decision.
 */
#include "selector_int.h"

#include <stdlib.h>
#include <string.h>

/* A term of the selector: a slice of the input. */
typedef struct term {
    const char *s;
    size_t len;
} term;

static int cmp_term(const void *a, const void *b)
{
    const term *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

/* Split on commas not preceded by an escaping backslash. */
static term *split_terms(const char *s, size_t *n)
{
    size_t count = 1;
    bool esc = false;
    for (const char *p = s; *p; p++) {
        if (esc)
            esc = false;
        else if (*p == '\\')
            esc = true;
        else if (*p == ',')
            count++;
    }
    term *t = calloc(count, sizeof *t);
    if (!t)
        return NULL;
    size_t i = 0;
    const char *start = s;
    esc = false;
    for (const char *p = s;; p++) {
        if (!*p) {
            t[i].s = start;
            t[i++].len = (size_t)(p - start);
            break;
        }
        if (esc)
            esc = false;
        else if (*p == '\\')
            esc = true;
        else if (*p == ',') {
            t[i].s = start;
            t[i++].len = (size_t)(p - start);
            start = p + 1;
        }
    }
    *n = i;
    return t;
}

/* Unescape a value; on error *err is kube's message. */
static int unescape(const char *s, size_t n, char **out, char **err)
{
    char *v = malloc(n + 1);
    if (!v)
        return K1S_ENOMEM;
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = k1s__utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (len == 0)
            len = 1; /* an invalid byte: kept as is */
        if (s[i] == '\\') {
            if (i + 1 >= n) {
                *err = strdup("invalid field selector: invalid escape sequence: \\");
                goto fail;
            }
            char c = s[i + 1];
            if (c != '\\' && c != ',' && c != '=') {
                size_t clen = k1s__utf8_decode((const unsigned char *)s + i + 1, n - i - 1, &cp);
                /* Go reads an invalid byte as U+FFFD */
                *err = clen ? k1s__asprintf("invalid field selector: invalid "
                                            "escape sequence: \\%.*s",
                                            (int)clen, s + i + 1)
                            : strdup("invalid field selector: invalid escape "
                                     "sequence: \\\xef\xbf\xbd");
                goto fail;
            }
            v[w++] = c;
            i += 2;
            continue;
        }
        if (s[i] == ',' || s[i] == '=') {
            /* Go prints the rune with %v: its code point as a number */
            *err = k1s__asprintf("invalid field selector: unescaped character "
                                 "in value: %d",
                                 s[i]);
            goto fail;
        }
        memcpy(v + w, s + i, len);
        w += len;
        i += len;
    }
    v[w] = '\0';
    *out = v;
    return 0;
fail:
    free(v);
    return *err ? K1S_EINVAL : K1S_ENOMEM;
}

int k1s_field_selector_parse(const char *s, k1s_selector **out, char **err)
{
    *out = NULL;
    *err = NULL;
    size_t nterms = 0;
    term *terms = NULL;
    k1s_selector *sel = k1s__selector_new(K1S_SELECTOR_FIELD);
    int rc = K1S_ENOMEM;
    if (!sel)
        goto cleanup;
    if (!*s) {
        *out = sel;
        return 0;
    }
    terms = split_terms(s, &nterms);
    if (!terms)
        goto cleanup;
    qsort(terms, nterms, sizeof *terms, cmp_term);
    for (size_t i = 0; i < nterms; i++) {
        const term *t = &terms[i];
        if (t->len == 0)
            continue;
        size_t at = 0, oplen = 0;
        k1s_selector_op op = K1S_SEL_EQUALS;
        for (; at < t->len; at++) {
            const char *p = t->s + at;
            size_t left = t->len - at;
            if (left >= 2 && p[0] == '!' && p[1] == '=') {
                op = K1S_SEL_NOT_EQUALS, oplen = 2;
                break;
            }
            if (left >= 2 && p[0] == '=' && p[1] == '=') {
                op = K1S_SEL_DOUBLE_EQUALS, oplen = 2;
                break;
            }
            if (p[0] == '=') {
                op = K1S_SEL_EQUALS, oplen = 1;
                break;
            }
        }
        if (oplen == 0) {
            *err = k1s__asprintf("invalid selector: '%s'; can't understand '%.*s'", s, (int)t->len,
                                 t->s);
            rc = *err ? K1S_EINVAL : K1S_ENOMEM;
            goto cleanup;
        }
        char *value = NULL;
        rc = unescape(t->s + at + oplen, t->len - at - oplen, &value, err);
        if (rc)
            goto cleanup;
        char *key = strndup(t->s, at);
        char **values = malloc(sizeof *values);
        if (!key || !values) {
            free(key);
            free(values);
            free(value);
            rc = K1S_ENOMEM;
            goto cleanup;
        }
        values[0] = value;
        rc = k1s__selector_add(sel, key, op, values, 1);
        if (rc)
            goto cleanup;
    }
    *out = sel;
    sel = NULL;
    rc = 0;
cleanup:
    free(terms);
    k1s_selector_free(sel);
    return rc;
}
