/*
 * store_update.c - k1s_store_update, the store's only write path for objects
 * (the equivalent of kube-apiserver's GuaranteedUpdate). Under the writer
 * mutex it reads the current row, lets the caller's mutate callback decide,
 * stamps metadata.resourceVersion, writes object row + event row + revision
 * in one transaction, and after commit hands the event to the watch hub.
 * Watch notifications run after every store lock has been released.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* *cur: new reference, NULL when absent. */
static int read_current(k1s__conn *c, const k1s_key *key, json_t **cur,
                        int64_t *cur_rev)
{
    sqlite3_stmt *st = NULL;
    *cur = NULL;
    *cur_rev = 0;
    int ret = k1s__stmt(c, K1S__ST_GET, &st);
    if (ret)
        return ret;
    if ((ret = k1s__bind_str(st, 1, key->group)) ||
        (ret = k1s__bind_str(st, 2, key->resource)) ||
        (ret = k1s__bind_str(st, 3, key->ns)) ||
        (ret = k1s__bind_str(st, 4, key->name)))
        goto cleanup;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        goto cleanup;
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
    /* The text came from json_dumps, which writes NUL characters as
     * \u0000; accept them back. */
    json_error_t jerr;
    *cur = json_loadb(text, (size_t)n, JSON_ALLOW_NUL, &jerr);
    if (!*cur || !json_is_object(*cur)) {
        json_decref(*cur);
        *cur = NULL;
        ret = K1S_EIO;
        goto cleanup;
    }
    *cur_rev = sqlite3_column_int64(st, 1);
cleanup:
    k1s__stmt_done(c, K1S__ST_GET, st);
    return ret;
}

/* Sets obj.metadata.resourceVersion to rev as a decimal string. obj: borrowed. */
static int stamp_rv(json_t *obj, int64_t rev)
{
    json_t *md = json_object_get(obj, "metadata"); /* borrowed */
    if (!md) {
        md = json_object();
        if (!md || json_object_set_new(obj, "metadata", md))
            return K1S_ENOMEM;
    } else if (!json_is_object(md)) {
        return K1S_EINVAL;
    }
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRId64, rev);
    if (json_object_set_new(md, "resourceVersion", json_string(buf)))
        return K1S_ENOMEM;
    return 0;
}

/* *text: malloc'd compact JSON of obj, bounded by K1S__MAX_OBJECT_BYTES. */
static int serialize(json_t *obj, char **text, size_t *len)
{
    *text = json_dumps(obj, JSON_COMPACT);
    if (!*text)
        return K1S_ENOMEM;
    *len = strlen(*text);
    if (*len > K1S__MAX_OBJECT_BYTES) {
        free(*text);
        *text = NULL;
        return K1S_ETOOLARGE;
    }
    return 0;
}

static int write_rows(k1s__conn *c, const k1s_key *key, int type,
                      int64_t rev, const char *text, size_t len)
{
    int id = type == K1S_EV_DELETED ? K1S__ST_DEL : K1S__ST_PUT;
    sqlite3_stmt *st = NULL, *ev = NULL;
    int ret = k1s__stmt(c, id, &st);
    if (ret)
        goto cleanup;
    if ((ret = k1s__bind_str(st, 1, key->group)) ||
        (ret = k1s__bind_str(st, 2, key->resource)) ||
        (ret = k1s__bind_str(st, 3, key->ns)) ||
        (ret = k1s__bind_str(st, 4, key->name)))
        goto cleanup;
    if (id == K1S__ST_PUT &&
        (sqlite3_bind_int64(st, 5, rev) != SQLITE_OK ||
         sqlite3_bind_text(st, 6, text, (int)len, SQLITE_STATIC) != SQLITE_OK)) {
        ret = K1S_EIO;
        goto cleanup;
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        ret = K1S_EIO;
        goto cleanup;
    }
    if ((ret = k1s__stmt(c, K1S__ST_EVENT_ADD, &ev)))
        goto cleanup;
    if (sqlite3_bind_int64(ev, 1, rev) != SQLITE_OK ||
        sqlite3_bind_int(ev, 2, type) != SQLITE_OK ||
        (ret = k1s__bind_str(ev, 3, key->group)) ||
        (ret = k1s__bind_str(ev, 4, key->resource)) ||
        (ret = k1s__bind_str(ev, 5, key->ns)) ||
        (ret = k1s__bind_str(ev, 6, key->name)) ||
        sqlite3_bind_text(ev, 7, text, (int)len, SQLITE_STATIC) != SQLITE_OK) {
        ret = ret ? ret : K1S_EIO;
        goto cleanup;
    }
    if (sqlite3_step(ev) != SQLITE_DONE) {
        ret = K1S_EIO;
        goto cleanup;
    }
    ret = k1s__meta_set_int(c, K1S__META_REV, rev);
cleanup:
    if (st)
        k1s__stmt_done(c, id, st);
    if (ev)
        k1s__stmt_done(c, K1S__ST_EVENT_ADD, ev);
    return ret;
}

int k1s_store_update(k1s_store *s, const k1s_key *key, k1s_store_mutate_fn fn,
                     void *ctx, json_t **result, int64_t *rev)
{
    if (result)
        *result = NULL;
    if (rev)
        *rev = 0;
    if (!s || !k1s__key_valid(key) || !fn)
        return K1S_EINVAL;
    json_t *cur = NULL; /* new reference */
    json_t *out = NULL; /* new reference, from fn */
    char *text = NULL;
    size_t len = 0;
    int64_t cur_rev = 0;
    int in_tx = 0, entered = 0, type = 0;
    k1s__notify_batch nb;
    k1s__notify_batch_init(&nb);

    pthread_mutex_lock(&s->write_mu);
    k1s__db_enter(s);
    entered = 1;
    int ret = 0;
    /* File mode reads inside the write transaction. In memory mode the one
     * connection is shared with readers, so it is held only around SQL and
     * not across the callback; write_mu alone keeps the row stable there. */
    if (!s->mem) {
        if ((ret = k1s__exec(s->writer, K1S__ST_BEGIN_IMMEDIATE)))
            goto cleanup;
        in_tx = 1;
    }
    if ((ret = read_current(s->writer, key, &cur, &cur_rev)))
        goto cleanup;
    if (s->mem) {
        k1s__db_leave(s);
        entered = 0;
    }

    int64_t new_rev = atomic_load(&s->rev) + 1;
    int r = fn(ctx, cur, cur_rev, new_rev, &out);
    if (r < 0) {
        ret = r;
        goto cleanup;
    }
    if (r == K1S_STORE_NOOP) {
        if (result)
            *result = json_incref(cur);
        if (rev)
            *rev = cur_rev;
        goto cleanup;
    } else if (r == K1S_STORE_PUT) {
        if (!out || !json_is_object(out)) {
            ret = K1S_EINVAL;
            goto cleanup;
        }
        if ((ret = stamp_rv(out, new_rev)) || (ret = serialize(out, &text, &len)))
            goto cleanup;
        type = cur ? K1S_EV_MODIFIED : K1S_EV_ADDED;
    } else if (r == K1S_STORE_DELETE) {
        if (!cur) {
            ret = K1S_ENOTFOUND;
            goto cleanup;
        }
        /* The DELETED event shows the last state at the deleting revision. */
        if ((ret = stamp_rv(cur, new_rev)) || (ret = serialize(cur, &text, &len)))
            goto cleanup;
        type = K1S_EV_DELETED;
    } else {
        ret = K1S_EINVAL;
        goto cleanup;
    }

    if (s->mem) {
        k1s__db_enter(s);
        entered = 1;
        if ((ret = k1s__exec(s->writer, K1S__ST_BEGIN_IMMEDIATE)))
            goto cleanup;
        in_tx = 1;
    }
    if ((ret = write_rows(s->writer, key, type, new_rev, text, len)))
        goto cleanup;
    if ((ret = k1s__exec(s->writer, K1S__ST_COMMIT)))
        goto cleanup;
    in_tx = 0;
    atomic_store(&s->rev, new_rev);
    k1s__db_leave(s);
    entered = 0;

    /* Published under write_mu so watchers receive revisions in order. */
    k1s_event *ev = k1s__event_new(new_rev, type, key->group, key->resource,
                                   key->ns, key->name, text, len);
    if (ev) {
        text = NULL; /* owned by the event now */
        k1s__hub_publish(s->hub, ev, &nb);
    } else {
        k1s__hub_lost(s->hub, new_rev, &nb);
    }
    if (result) {
        if (type == K1S_EV_DELETED) {
            *result = cur;
            cur = NULL;
        } else {
            *result = out;
            out = NULL;
        }
    }
    if (rev)
        *rev = new_rev;

cleanup:
    if (in_tx)
        k1s__rollback(s->writer);
    if (entered)
        k1s__db_leave(s);
    pthread_mutex_unlock(&s->write_mu);
    k1s__notify_batch_run(&nb);
    json_decref(cur);
    json_decref(out);
    free(text);
    return ret;
}
