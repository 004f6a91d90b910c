/*
 * store_apply.c - applies one queued k1s_store_update request inside the
 * write transaction a group-commit leader has open (store_update.c runs the
 * batch around it): reads the current row, runs the caller's mutate
 * callback, stamps metadata.resourceVersion, and writes the object row and
 * the event row inside a savepoint, so a failing statement undoes only this
 * request and leaves the batch's earlier writes in place.
 *
 * It also owns the per-thread marker that tells the read functions a mutate
 * callback of a given store is running on this thread: such reads must use
 * the writer connection to see the uncommitted writes of the batch.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_json.h"
#include "store_internal.h"

/* The store whose mutate callback this thread is running, NULL when none.
 * Per thread by nature, and it names the store, so a callback of one store
 * that reads another store goes through that store's reader pool. */
static _Thread_local const k1s_store *tl_cb_store;

int k1s__in_callback(const k1s_store *s)
{
    return s && tl_cb_store == s;
}

/* *cur: new reference, NULL when absent. */
static int read_current(k1s__conn *c, const k1s_key *key, json_t **cur, int64_t *cur_rev)
{
    sqlite3_stmt *st = NULL;
    *cur = NULL;
    *cur_rev = 0;
    int ret = k1s__stmt(c, K1S__ST_GET, &st);
    if (ret)
        return ret;
    if ((ret = k1s__bind_str(st, 1, key->group)) || (ret = k1s__bind_str(st, 2, key->resource)) ||
        (ret = k1s__bind_str(st, 3, key->ns)) || (ret = k1s__bind_str(st, 4, key->name)))
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
    *cur = k1s_json_load(text, (size_t)n, &jerr);
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

/* *text: malloc'd compact JSON of obj, bounded by K1S_MAX_OBJECT_BYTES. */
static int serialize(json_t *obj, char **text, size_t *len)
{
    *text = json_dumps(obj, JSON_COMPACT);
    if (!*text)
        return K1S_ENOMEM;
    *len = strlen(*text);
    if (*len > K1S_MAX_OBJECT_BYTES) {
        free(*text);
        *text = NULL;
        return K1S_ETOOLARGE;
    }
    return 0;
}

/* The object row and the event row; the revision meta row is written once
 * per batch by the leader. */
static int write_rows(k1s__conn *c, const k1s_key *key, int type, int64_t rev, const char *text,
                      size_t len)
{
    int id = type == K1S_EV_DELETED ? K1S__ST_DEL : K1S__ST_PUT;
    sqlite3_stmt *st = NULL, *ev = NULL;
    int ret = k1s__stmt(c, id, &st);
    if (ret)
        goto cleanup;
    if ((ret = k1s__bind_str(st, 1, key->group)) || (ret = k1s__bind_str(st, 2, key->resource)) ||
        (ret = k1s__bind_str(st, 3, key->ns)) || (ret = k1s__bind_str(st, 4, key->name)))
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
    if (sqlite3_bind_int64(ev, 1, rev) != SQLITE_OK || sqlite3_bind_int(ev, 2, type) != SQLITE_OK ||
        (ret = k1s__bind_str(ev, 3, key->group)) || (ret = k1s__bind_str(ev, 4, key->resource)) ||
        (ret = k1s__bind_str(ev, 5, key->ns)) || (ret = k1s__bind_str(ev, 6, key->name)) ||
        sqlite3_bind_text(ev, 7, text, (int)len, SQLITE_STATIC) != SQLITE_OK) {
        ret = ret ? ret : K1S_EIO;
        goto cleanup;
    }
    if (sqlite3_step(ev) != SQLITE_DONE)
        ret = K1S_EIO;
cleanup:
    if (st)
        k1s__stmt_done(c, id, st);
    if (ev)
        k1s__stmt_done(c, K1S__ST_EVENT_ADD, ev);
    return ret;
}

static int tx_open(k1s__conn *c)
{
    return !sqlite3_get_autocommit(c->db);
}

int k1s__apply(k1s_store *s, k1s__wreq *r, int64_t new_rev, int first_write)
{
    json_t *cur = NULL; /* new reference */
    json_t *out = NULL; /* new reference, from the callback */
    int64_t cur_rev = 0;
    int type = 0, in_sp = 0, wrote = 0;
    r->type = 0;
    r->result = NULL;
    r->rev = 0;
    r->text = NULL;
    r->len = 0;
    int ret = read_current(s->writer, r->key, &cur, &cur_rev);
    if (ret)
        goto cleanup;

    const k1s_store *prev = tl_cb_store; /* a callback of another store */
    tl_cb_store = s;
    int rc = r->fn(r->ctx, cur, cur_rev, new_rev, &out);
    tl_cb_store = prev;

    if (rc < 0) {
        ret = rc;
        goto cleanup;
    }
    if (rc == K1S_STORE_NOOP) {
        r->result = cur;
        cur = NULL;
        r->rev = cur_rev;
        goto cleanup;
    } else if (rc == K1S_STORE_PUT) {
        if (!out || !json_is_object(out)) {
            ret = K1S_EINVAL;
            goto cleanup;
        }
        if ((ret = stamp_rv(out, new_rev)) || (ret = serialize(out, &r->text, &r->len)))
            goto cleanup;
        type = cur ? K1S_EV_MODIFIED : K1S_EV_ADDED;
    } else if (rc == K1S_STORE_DELETE) {
        if (!cur) {
            ret = K1S_ENOTFOUND;
            goto cleanup;
        }
        /* The DELETED event shows the last state at the deleting revision. */
        if ((ret = stamp_rv(cur, new_rev)) || (ret = serialize(cur, &r->text, &r->len)))
            goto cleanup;
        type = K1S_EV_DELETED;
    } else {
        ret = K1S_EINVAL;
        goto cleanup;
    }

    /* The first write of a transaction needs no savepoint: if it fails,
     * rolling back the whole transaction undoes only this request, and the
     * leader begins a new one. That keeps a lone writer as cheap as before
     * group commit (a savepoint copies every page it touches). */
    if (!first_write) {
        if ((ret = k1s__exec(s->writer, K1S__ST_SAVEPOINT)))
            goto cleanup;
        in_sp = 1;
    }
    wrote = 1;
    if ((ret = write_rows(s->writer, r->key, type, new_rev, r->text, r->len)))
        goto cleanup;
    if (in_sp) {
        if ((ret = k1s__exec(s->writer, K1S__ST_RELEASE)))
            goto cleanup;
        in_sp = 0;
    }
    r->type = type;
    r->rev = new_rev;
    if (type == K1S_EV_DELETED) {
        r->result = cur;
        cur = NULL;
    } else {
        r->result = out;
        out = NULL;
    }

cleanup:
    /* Only this request's rows are undone (SQLite may already have rolled
     * back the whole transaction after some failures: full disk, I/O). */
    if (ret && wrote && !in_sp)
        k1s__rollback(s->writer); /* the first write: nothing else to keep */
    else if (in_sp && tx_open(s->writer) &&
             (k1s__exec(s->writer, K1S__ST_ROLLBACK_TO) || k1s__exec(s->writer, K1S__ST_RELEASE)))
        k1s__rollback(s->writer); /* never commit half of a request */
    if (ret) {
        free(r->text);
        r->text = NULL;
        r->len = 0;
    }
    r->ret = ret;
    json_decref(cur);
    json_decref(out);
    return tx_open(s->writer) ? 0 : K1S_EIO;
}
