/*
 * table_format.c - formatting shared by many kinds' cells: label maps and
 * label selectors as kube's labels package prints them, PV access modes,
 * host:port pairs and int-or-string values.
 */
#include "tables_int.h"

#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void k1s__tb_sort_strings(const char **v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_str);
}

void k1s__tb_add_lower(k1s_buf *sb, const char *s)
{
    size_t from = sb->len;
    k1s_buf_adds(sb, s);
    /* nothing was added when the piece did not fit */
    for (size_t i = from; i < sb->len; i++)
        if (sb->p[i] >= 'A' && sb->p[i] <= 'Z')
            sb->p[i] = (char)(sb->p[i] - 'A' + 'a');
}

/* ---- labels --------------------------------------------------------------- */

void k1s__tb_add_labels(k1s_buf *sb, const json_t *map)
{
    size_t n = json_is_object(map) ? json_object_size(map) : 0;
    if (n == 0) {
        k1s_buf_adds(sb, "<none>");
        return;
    }
    /* Go sorts the "key=value" strings themselves, not the keys. */
    char **pairs = calloc(n, sizeof *pairs);
    if (!pairs) {
        sb->oom = true;
        return;
    }
    size_t np = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)map, key, val)
    {
        if (np == n)
            break;
        k1s_buf p = K1S__CELL_BUF;
        k1s_buf_adds(&p, key);
        k1s_buf_adds(&p, "=");
        k1s_buf_adds(&p, json_is_string(val) ? json_string_value(val) : "");
        pairs[np] = k1s_buf_take(&p, NULL);
        if (!pairs[np]) {
            sb->oom = true; /* a pair past the cap is not valid either */
            goto cleanup;
        }
        np++;
    }
    k1s__tb_sort_strings((const char **)pairs, np);
    for (size_t i = 0; i < np; i++) {
        if (i)
            k1s_buf_adds(sb, ",");
        k1s_buf_adds(sb, pairs[i]);
    }
cleanup:
    for (size_t i = 0; i < np; i++)
        free(pairs[i]);
    free(pairs);
}

json_t *k1s__tb_jlabels(const json_t *map)
{
    k1s_buf sb = K1S__CELL_BUF;
    k1s__tb_add_labels(&sb, map);
    return k1s__tb_jbuf(&sb);
}

/* ---- label selectors ------------------------------------------------------ */

enum sel_op { OP_EQUALS, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS };

typedef struct sel_req {
    const char *key;
    enum sel_op op;
    const char *value;    /* OP_EQUALS */
    const json_t *values; /* OP_IN, OP_NOTIN: non-empty array */
    size_t index;         /* input order, to keep equal keys stable */
} sel_req;

static int cmp_req(const void *a, const void *b)
{
    const sel_req *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void sb_values(k1s_buf *sb, const json_t *values)
{
    size_t n = json_array_size(values);
    const char **v = calloc(n, sizeof *v);
    if (!v) {
        sb->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(values, i);
        v[i] = json_is_string(e) ? json_string_value(e) : "";
    }
    k1s__tb_sort_strings(v, n);
    for (size_t i = 0; i < n; i++) {
        if (i)
            k1s_buf_adds(sb, ",");
        k1s_buf_adds(sb, v[i]);
    }
    free(v);
}

int k1s__tb_add_selector(k1s_buf *sb, const json_t *sel)
{
    if (!json_is_object(sel))
        return 1;
    const json_t *labels = k1s_json_at(sel, "matchLabels");
    const json_t *exprs = k1s__tb_array(sel, "matchExpressions");
    size_t nl = json_is_object(labels) ? json_object_size(labels) : 0;
    size_t ne = json_array_size(exprs);
    if (nl + ne == 0)
        return 0;

    sel_req *reqs = calloc(nl + ne, sizeof *reqs);
    if (!reqs) {
        sb->oom = true;
        return 0;
    }
    int rc = 0;
    size_t n = 0;
    const char *key;
    json_t *val;
    if (nl) {
        json_object_foreach((json_t *)labels, key, val)
        {
            if (n == nl)
                break;
            reqs[n] = (sel_req){key, OP_EQUALS, json_is_string(val) ? json_string_value(val) : "",
                                NULL, n};
            n++;
        }
    }
    for (size_t i = 0; i < ne; i++) {
        const json_t *e = json_array_get(exprs, i);
        const char *op = k1s_json_str_or(e, "operator", "");
        const json_t *values = k1s__tb_array(e, "values");
        sel_req r = {k1s_json_str_or(e, "key", ""), OP_EXISTS, NULL, values, n};
        bool want_values;
        if (strcmp(op, "In") == 0) {
            r.op = OP_IN;
            want_values = true;
        } else if (strcmp(op, "NotIn") == 0) {
            r.op = OP_NOTIN;
            want_values = true;
        } else if (strcmp(op, "Exists") == 0) {
            r.op = OP_EXISTS;
            want_values = false;
        } else if (strcmp(op, "DoesNotExist") == 0) {
            r.op = OP_NOT_EXISTS;
            want_values = false;
        } else {
            rc = -1;
            goto cleanup;
        }
        if (want_values != (json_array_size(values) > 0)) {
            rc = -1;
            goto cleanup;
        }
        reqs[n++] = r;
    }
    for (size_t i = 0; i < n; i++) {
        if (!*reqs[i].key) {
            rc = -1; /* an empty key is not a valid label key */
            goto cleanup;
        }
    }

    qsort(reqs, n, sizeof *reqs, cmp_req);
    for (size_t i = 0; i < n; i++) {
        const sel_req *r = &reqs[i];
        if (i)
            k1s_buf_adds(sb, ",");
        if (r->op == OP_NOT_EXISTS)
            k1s_buf_adds(sb, "!");
        k1s_buf_adds(sb, r->key);
        switch (r->op) {
        case OP_EQUALS:
            k1s_buf_adds(sb, "=");
            k1s_buf_adds(sb, r->value);
            break;
        case OP_IN:
        case OP_NOTIN:
            k1s_buf_adds(sb, r->op == OP_IN ? " in (" : " notin (");
            sb_values(sb, r->values);
            k1s_buf_adds(sb, ")");
            break;
        case OP_EXISTS:
        case OP_NOT_EXISTS:
            break;
        }
    }
cleanup:
    free(reqs);
    return rc;
}

json_t *k1s__tb_jformat_selector(const json_t *sel)
{
    k1s_buf sb = K1S__CELL_BUF;
    if (k1s__tb_add_selector(&sb, sel) < 0) {
        k1s_buf_free(&sb);
        return json_string("<error>");
    }
    if (sb.len == 0 && !sb.oom)
        k1s_buf_adds(&sb, "<none>");
    return k1s__tb_jbuf(&sb);
}

/* ---- volumes, addresses ---------------------------------------- */

json_t *k1s__tb_jaccess_modes(const json_t *modes)
{
    static const struct {
        const char *mode, *abbrev;
    } known[] = {
        {"ReadWriteOnce", "RWO"},
        {"ReadOnlyMany", "ROX"},
        {"ReadWriteMany", "RWX"},
        {"ReadWriteOncePod", "RWOP"},
    };
    k1s_buf sb = K1S__CELL_BUF;
    size_t n = json_is_array(modes) ? json_array_size(modes) : 0;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        for (size_t i = 0; i < n; i++) {
            const json_t *m = json_array_get(modes, i);
            if (json_is_string(m) && strcmp(json_string_value(m), known[k].mode) == 0) {
                if (sb.len)
                    k1s_buf_adds(&sb, ",");
                k1s_buf_adds(&sb, known[k].abbrev);
                break;
            }
        }
    }
    return k1s__tb_jbuf(&sb);
}

void k1s__tb_add_hostport(k1s_buf *sb, const char *host, long long port)
{
    bool v6 = host && strchr(host, ':');
    if (v6)
        k1s_buf_adds(sb, "[");
    k1s_buf_adds(sb, host);
    k1s_buf_addf(sb, v6 ? "]:%lld" : ":%lld", port);
}

void k1s__tb_add_intstr(k1s_buf *sb, const json_t *v)
{
    if (json_is_string(v))
        k1s_buf_adds(sb, json_string_value(v));
    else
        k1s_buf_addf(sb, "%lld", json_is_integer(v) ? (long long)json_integer_value(v) : 0LL);
}
