/*
 * store_read.c - the read side of the object store: get, list and count.
 * Each runs on a reader connection (file mode: a pooled WAL reader, so it
 * never waits for the writer; a get borrows the writer connection instead
 * when no write is running), list inside one read transaction so the items
 * and the revision it reports come from the same snapshot. Called from inside
 * a mutate callback they run on the writer connection instead, inside the
 * open batch, so they see the writes applied before this one. Rows are
 * streamed to the caller's callback straight out of SQLite, without copies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

int k1s_store_get(k1s_store *s, const k1s_key *key, char **json, int64_t *rev)
{
    if (json)
        *json = NULL;
    if (rev)
        *rev = 0;
    if (!s || !k1s__key_valid(key) || !json)
        return K1S_EINVAL;
    k1s__conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int ret = k1s__reader_get_short(s, &c);
    if (ret)
        return ret;
    if ((ret = k1s__stmt(c, K1S__ST_GET, &st)))
        goto cleanup;
    if ((ret = k1s__bind_str(st, 1, key->group)) || (ret = k1s__bind_str(st, 2, key->resource)) ||
        (ret = k1s__bind_str(st, 3, key->ns)) || (ret = k1s__bind_str(st, 4, key->name)))
        goto cleanup;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ret = K1S_ENOTFOUND;
        goto cleanup;
    }
    if (rc != SQLITE_ROW) {
        ret = K1S_EIO;
        goto cleanup;
    }
    const char *text = (const char *)sqlite3_column_text(st, 0);
    int n = sqlite3_column_bytes(st, 0);
    if (!text || n < 0) {
        ret = K1S_ENOMEM;
        goto cleanup;
    }
    char *copy = malloc((size_t)n + 1);
    if (!copy) {
        ret = K1S_ENOMEM;
        goto cleanup;
    }
    memcpy(copy, text, (size_t)n);
    copy[n] = '\0';
    *json = copy;
    if (rev)
        *rev = sqlite3_column_int64(st, 1);
cleanup:
    if (st)
        k1s__stmt_done(c, K1S__ST_GET, st);
    k1s__reader_put(s, c);
    return ret;
}

static int list_args_valid(const char *group, const char *resource, const char *ns,
                           const char *after_ns, const char *after_name)
{
    if (!k1s__key_part_valid(group) || !k1s__key_part_valid(resource))
        return 0;
    if (ns && !k1s__key_part_valid(ns))
        return 0;
    if (after_ns && !k1s__key_part_valid(after_ns))
        return 0;
    if (after_name && !k1s__key_part_valid(after_name))
        return 0;
    return 1;
}

/* Streams rows of an already bound list statement to cb. */
static int list_rows(sqlite3_stmt *st, size_t limit, k1s_store_list_fn cb, void *ctx, int *more)
{
    size_t delivered = 0;
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_ROW)
            return K1S_EIO;
        if (limit && delivered == limit) {
            /* The statement fetched limit + 1 rows just to learn this. */
            if (more)
                *more = 1;
            return 0;
        }
        const char *ns = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *json = (const char *)sqlite3_column_text(st, 2);
        int len = sqlite3_column_bytes(st, 2);
        if (!ns || !name || !json || len < 0)
            return K1S_ENOMEM;
        int r = cb(ctx, ns, name, json, (size_t)len, sqlite3_column_int64(st, 3));
        if (r)
            return r;
        delivered++;
    }
}

int k1s_store_list(k1s_store *s, const char *group, const char *resource, const char *ns,
                   const char *after_ns, const char *after_name, size_t limit, k1s_store_list_fn cb,
                   void *ctx, int64_t *list_rev, int *more)
{
    if (list_rev)
        *list_rev = 0;
    if (more)
        *more = 0;
    if (!s || !cb || !list_args_valid(group, resource, ns, after_ns, after_name))
        return K1S_EINVAL;
    /* Within one namespace, a continue point in an earlier namespace means
     * "from the start", one in a later namespace means "nothing left". */
    int empty = 0;
    if (ns && after_name && after_ns) {
        int cmp = strcmp(after_ns, ns);
        if (cmp < 0)
            after_name = NULL;
        else if (cmp > 0)
            empty = 1;
    }
    int id = ns ? (after_name ? K1S__ST_LIST_NS_AFTER : K1S__ST_LIST_NS)
                : (after_name ? K1S__ST_LIST_ALL_AFTER : K1S__ST_LIST_ALL);
    k1s__conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int in_tx = 0;
    int ret = k1s__reader_get(s, &c);
    if (ret)
        return ret;
    /* On the writer connection (memory mode, or inside a mutate callback)
     * the list is a snapshot already: nobody else writes meanwhile. WAL
     * readers need a transaction for that. */
    if (c != s->writer) {
        if ((ret = k1s__exec(c, K1S__ST_BEGIN)))
            goto cleanup;
        in_tx = 1;
    }
    int64_t rev = 0;
    /* Inside a callback the batch's earlier writes are visible, and they
     * are not committed yet: the leader knows which revision they reach. */
    if (k1s__in_callback(s))
        rev = s->tx_rev;
    else if ((ret = k1s__head_rev(c, &rev)))
        goto cleanup;
    if ((ret = k1s__stmt(c, id, &st)))
        goto cleanup;
    /* One extra row tells whether more remain; SQLite reads LIMIT -1 as
     * "no limit". */
    int64_t lim = (limit == 0 || limit >= (size_t)INT64_MAX) ? -1 : (int64_t)limit + 1;
    if ((ret = k1s__bind_str(st, 1, group)) || (ret = k1s__bind_str(st, 2, resource)))
        goto cleanup;
    if (sqlite3_bind_int64(st, 3, lim) != SQLITE_OK) {
        ret = K1S_EIO;
        goto cleanup;
    }
    if (after_name) {
        const char *an = after_ns ? after_ns : ns ? ns : "";
        if ((ret = k1s__bind_str(st, 4, an)) || (ret = k1s__bind_str(st, 5, after_name)))
            goto cleanup;
    }
    if (ns && (ret = k1s__bind_str(st, 6, ns)))
        goto cleanup;
    if (list_rev)
        *list_rev = rev;
    if (!empty)
        ret = list_rows(st, limit, cb, ctx, more);
cleanup:
    if (st)
        k1s__stmt_done(c, id, st);
    if (in_tx)
        k1s__rollback(c);
    k1s__reader_put(s, c);
    return ret;
}

int k1s_store_count(k1s_store *s, const char *group, const char *resource, const char *ns,
                    int64_t *count)
{
    return k1s_store_count_after(s, group, resource, ns, NULL, NULL, count);
}

int k1s_store_count_after(k1s_store *s, const char *group, const char *resource, const char *ns,
                          const char *after_ns, const char *after_name, int64_t *count)
{
    if (count)
        *count = 0;
    if (!s || !count || !list_args_valid(group, resource, ns, after_ns, after_name))
        return K1S_EINVAL;
    /* as for lists: within one namespace, a key in an earlier namespace
     * counts from the start, one in a later namespace leaves nothing */
    if (ns && after_name && after_ns) {
        int cmp = strcmp(after_ns, ns);
        if (cmp > 0)
            return 0;
        if (cmp < 0)
            after_name = NULL;
    }
    int id = ns ? (after_name ? K1S__ST_COUNT_NS_AFTER : K1S__ST_COUNT_NS)
                : (after_name ? K1S__ST_COUNT_ALL_AFTER : K1S__ST_COUNT_ALL);
    k1s__conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int ret = k1s__reader_get(s, &c);
    if (ret)
        return ret;
    if ((ret = k1s__stmt(c, id, &st)))
        goto cleanup;
    if ((ret = k1s__bind_str(st, 1, group)) || (ret = k1s__bind_str(st, 2, resource)))
        goto cleanup;
    if (ns && (ret = k1s__bind_str(st, 3, ns)))
        goto cleanup;
    if (after_name && !ns && (ret = k1s__bind_str(st, 4, after_ns ? after_ns : "")))
        goto cleanup;
    if (after_name && (ret = k1s__bind_str(st, 5, after_name)))
        goto cleanup;
    if (sqlite3_step(st) != SQLITE_ROW) {
        ret = K1S_EIO;
        goto cleanup;
    }
    *count = sqlite3_column_int64(st, 0);
cleanup:
    if (st)
        k1s__stmt_done(c, id, st);
    k1s__reader_put(s, c);
    return ret;
}
