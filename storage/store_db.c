/*
 * store_db.c - SQLite plumbing for the object store: opening connections
 * (WAL on the process-exclusive "unix-excl" VFS for files, one private
 * database for ":memory:"), the schema, the table of SQL statements with a
 * per-connection prepared-statement cache, and the choice of connection for
 * a read: a pooled reader beside the writer, the writer itself inside a
 * mutate callback, or the idle writer for a single-object get.
 *
 * Used only by the other storage sources through store_internal.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_internal.h"

/* Indexed by enum k1s__stmt_id. Parameters keep the same numbers across the
 * list variants (?1 group, ?2 resource, ?3 limit, ?4/?5 after ns/name, ?6 ns)
 * so one binding routine serves all four. */
static const char *const stmt_sql[K1S__ST_N] = {
    [K1S__ST_BEGIN] = "BEGIN",
    [K1S__ST_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [K1S__ST_COMMIT] = "COMMIT",
    [K1S__ST_ROLLBACK] = "ROLLBACK",
    [K1S__ST_SAVEPOINT] = "SAVEPOINT k1s_req",
    [K1S__ST_RELEASE] = "RELEASE k1s_req",
    [K1S__ST_ROLLBACK_TO] = "ROLLBACK TO k1s_req",
    [K1S__ST_GET] = "SELECT json, rev FROM objects"
                    " WHERE grp=?1 AND res=?2 AND ns=?3 AND name=?4",
    [K1S__ST_PUT] = "INSERT INTO objects(grp,res,ns,name,rev,json)"
                    " VALUES(?1,?2,?3,?4,?5,?6)"
                    " ON CONFLICT(grp,res,ns,name)"
                    " DO UPDATE SET rev=excluded.rev, json=excluded.json",
    [K1S__ST_DEL] = "DELETE FROM objects"
                    " WHERE grp=?1 AND res=?2 AND ns=?3 AND name=?4",
    [K1S__ST_EVENT_ADD] = "INSERT INTO events(rev,type,grp,res,ns,name,json)"
                          " VALUES(?1,?2,?3,?4,?5,?6,?7)",
    [K1S__ST_EVENTS_RANGE] = "SELECT rev,type,grp,res,ns,name,json FROM events"
                             " WHERE rev>?1 AND rev<=?2 AND (?3 IS NULL OR grp=?3)"
                             " AND (?4 IS NULL OR res=?4) AND (?5 IS NULL OR ns=?5) ORDER BY rev",
    [K1S__ST_COMPACT] = "DELETE FROM events WHERE rev<?1",
    /* The newest revision in this snapshot: every revision has an event row
     * until compaction, which records the compacted (and head) revision.
     * Meta values are stored as text (column affinity), hence the casts. */
    [K1S__ST_HEAD_REV] = "SELECT max(coalesce((SELECT max(rev) FROM events),0),"
                         " coalesce((SELECT CAST(v AS INTEGER) FROM meta"
                         " WHERE k='" K1S__META_COMPACTED "'),0),"
                         " coalesce((SELECT CAST(v AS INTEGER) FROM meta"
                         " WHERE k='" K1S__META_REV "'),0))",
    [K1S__ST_META_GET] = "SELECT v FROM meta WHERE k=?1",
    [K1S__ST_META_SET] = "INSERT INTO meta(k,v) VALUES(?1,?2)"
                         " ON CONFLICT(k) DO UPDATE SET v=excluded.v",
    [K1S__ST_META_DEL] = "DELETE FROM meta WHERE k=?1",
    [K1S__ST_LIST_ALL] = "SELECT ns,name,json,rev FROM objects"
                         " WHERE grp=?1 AND res=?2 ORDER BY ns,name LIMIT ?3",
    [K1S__ST_LIST_ALL_AFTER] = "SELECT ns,name,json,rev FROM objects"
                               " WHERE grp=?1 AND res=?2 AND (ns,name)>(?4,?5)"
                               " ORDER BY ns,name LIMIT ?3",
    [K1S__ST_LIST_NS] = "SELECT ns,name,json,rev FROM objects"
                        " WHERE grp=?1 AND res=?2 AND ns=?6"
                        " ORDER BY name LIMIT ?3",
    /* Written with name>?5 rather than a row value so the planner keeps
     * the ns equality in the index range (store_read.c maps other after_ns
     * values onto this or LIST_NS). */
    [K1S__ST_LIST_NS_AFTER] = "SELECT ns,name,json,rev FROM objects"
                              " WHERE grp=?1 AND res=?2 AND ns=?6 AND name>?5"
                              " ORDER BY name LIMIT ?3",
    [K1S__ST_COUNT_ALL] = "SELECT count(*) FROM objects WHERE grp=?1 AND res=?2",
    [K1S__ST_COUNT_NS] = "SELECT count(*) FROM objects"
                         " WHERE grp=?1 AND res=?2 AND ns=?3",
    [K1S__ST_COUNT_ALL_AFTER] = "SELECT count(*) FROM objects"
                                " WHERE grp=?1 AND res=?2 AND (ns,name)>(?4,?5)",
    [K1S__ST_COUNT_NS_AFTER] = "SELECT count(*) FROM objects"
                               " WHERE grp=?1 AND res=?2 AND ns=?3 AND name>?5",
    /* the event log's bytes, for its byte bound (store_ckpt.c) */
    [K1S__ST_EVENTS_BYTES] = "SELECT coalesce(sum(length(CAST(json AS BLOB))),0) FROM events"
                             " WHERE rev>?1 AND rev<=?2",
    [K1S__ST_EVENTS_SIZES] = "SELECT rev, length(CAST(json AS BLOB)) FROM events"
                             " WHERE rev>?1 ORDER BY rev LIMIT ?2",
};

/* objects is a rowid table (rows can be megabytes, which WITHOUT ROWID
 * handles badly); its primary key index gives one-lookup gets and ordered
 * range scans for list. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS objects("
    " grp TEXT NOT NULL, res TEXT NOT NULL, ns TEXT NOT NULL,"
    " name TEXT NOT NULL, rev INTEGER NOT NULL, json TEXT NOT NULL,"
    " PRIMARY KEY(grp,res,ns,name));"
    "CREATE TABLE IF NOT EXISTS events("
    " rev INTEGER PRIMARY KEY, type INTEGER NOT NULL, grp TEXT NOT NULL,"
    " res TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,"
    " json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL)"
    " WITHOUT ROWID;"
    "INSERT OR IGNORE INTO meta(k,v) VALUES('" K1S__META_SCHEMA "','1');";

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return K1S_ENOMEM;
    case SQLITE_TOOBIG:
        return K1S_ETOOLARGE;
    default:
        return K1S_EIO;
    }
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : map_rc(rc);
}

/* A pragma whose single result row must equal want (case-insensitively),
 * e.g. journal_mode, which silently stays put when it cannot change. */
static int pragma_expect(sqlite3 *db, const char *sql, const char *want)
{
    sqlite3_stmt *st = NULL;
    int ret = K1S_EIO;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        ret = map_rc(rc);
        goto cleanup;
    }
    if (sqlite3_step(st) != SQLITE_ROW)
        goto cleanup;
    const char *got = (const char *)sqlite3_column_text(st, 0);
    if (got && strcasecmp(got, want) == 0)
        ret = 0;
cleanup:
    sqlite3_finalize(st);
    return ret;
}

int k1s__conn_open(const char *path, int mem, int writer, k1s__conn **out)
{
    k1s__conn *c = calloc(1, sizeof *c);
    int ret = K1S_ENOMEM;
    if (!c)
        goto cleanup;
    /* NOMUTEX: a connection is only ever used by one thread at a time (pool
     * ownership, write_mu or mem_mu guarantee it). */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (writer)
        flags |= SQLITE_OPEN_CREATE;
    /* unix-excl: the process takes an exclusive lock on the database file
     * once and keeps the WAL index in its own memory, so transactions cost
     * no fcntl lock calls at all; connections of this process still share
     * the file. Another process cannot open the database meanwhile, which
     * the in-memory revision counter requires anyway. */
    const char *vfs = NULL;
    if (!mem && sqlite3_vfs_find("unix-excl"))
        vfs = "unix-excl";
    int rc = sqlite3_open_v2(mem ? ":memory:" : path, &c->db, flags, vfs);
    if (rc != SQLITE_OK) {
        ret = map_rc(rc);
        goto cleanup;
    }
    sqlite3_extended_result_codes(c->db, 1);
    /* Readers wait out WAL recovery or a checkpoint; the writer waits for
     * another process only in pathological setups. */
    sqlite3_busy_timeout(c->db, 10000);
    if ((ret = exec_sql(c->db, "PRAGMA secure_delete=OFF")))
        goto cleanup;
    if (writer && !mem) {
        if ((ret = pragma_expect(c->db, "PRAGMA journal_mode=WAL", "wal")))
            goto cleanup;
        /* the WAL file is cut back to 16 MiB whenever it starts over, so
         * a burst (or a big compaction) does not keep its peak size */
        if ((ret = exec_sql(c->db, "PRAGMA synchronous=NORMAL;"
                                   "PRAGMA cache_size=-16384;"
                                   "PRAGMA journal_size_limit=16777216")))
            goto cleanup;
    }
    if (writer) {
        /* Savepoint journals stay in memory: no temporary files per batch. */
        if ((ret = exec_sql(c->db, "PRAGMA temp_store=MEMORY")))
            goto cleanup;
        if ((ret = exec_sql(c->db, "BEGIN IMMEDIATE")))
            goto cleanup;
        ret = exec_sql(c->db, schema_sql);
        if (ret) {
            exec_sql(c->db, "ROLLBACK");
            goto cleanup;
        }
        if ((ret = exec_sql(c->db, "COMMIT")))
            goto cleanup;
    }
    *out = c;
    return 0;
cleanup:
    k1s__conn_close(c);
    return ret;
}

void k1s__conn_close(k1s__conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < K1S__ST_N; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    free(c);
}

int k1s__stmt(k1s__conn *c, int id, sqlite3_stmt **out)
{
    if (id < 0 || id >= K1S__ST_N)
        return K1S_EINVAL;
    if (c->st[id] && !sqlite3_stmt_busy(c->st[id])) {
        *out = c->st[id];
        return 0;
    }
    sqlite3_stmt *st = NULL;
    unsigned pf = c->st[id] ? 0 : SQLITE_PREPARE_PERSISTENT;
    int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, pf, &st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return map_rc(rc);
    }
    if (!c->st[id])
        c->st[id] = st;
    *out = st;
    return 0;
}

void k1s__stmt_done(k1s__conn *c, int id, sqlite3_stmt *st)
{
    if (!st)
        return;
    if (id >= 0 && id < K1S__ST_N && c->st[id] == st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
}

int k1s__exec(k1s__conn *c, int id)
{
    sqlite3_stmt *st = NULL;
    int ret = k1s__stmt(c, id, &st);
    if (ret)
        return ret;
    int rc = sqlite3_step(st);
    ret = rc == SQLITE_DONE ? 0 : map_rc(rc);
    k1s__stmt_done(c, id, st);
    return ret;
}

int k1s__meta_get_int(k1s__conn *c, const char *key, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int ret = k1s__stmt(c, K1S__ST_META_GET, &st);
    if (ret)
        return ret;
    *out = 0;
    if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK) {
        ret = K1S_EIO;
        goto cleanup;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        ret = map_rc(rc);
cleanup:
    k1s__stmt_done(c, K1S__ST_META_GET, st);
    return ret;
}

int k1s__meta_set_int(k1s__conn *c, const char *key, int64_t v)
{
    sqlite3_stmt *st = NULL;
    int ret = k1s__stmt(c, K1S__ST_META_SET, &st);
    if (ret)
        return ret;
    if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, v) != SQLITE_OK) {
        ret = K1S_EIO;
        goto cleanup;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        ret = map_rc(rc);
cleanup:
    k1s__stmt_done(c, K1S__ST_META_SET, st);
    return ret;
}

int k1s__events_bytes(k1s__conn *c, int64_t after, int64_t upto, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    *out = 0;
    int ret = k1s__stmt(c, K1S__ST_EVENTS_BYTES, &st);
    if (ret)
        return ret;
    if (sqlite3_bind_int64(st, 1, after) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, upto) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        ret = K1S_EIO;
    else
        *out = sqlite3_column_int64(st, 0);
    k1s__stmt_done(c, K1S__ST_EVENTS_BYTES, st);
    return ret;
}

int k1s__head_rev(k1s__conn *c, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    *out = 0;
    int ret = k1s__stmt(c, K1S__ST_HEAD_REV, &st);
    if (ret)
        return ret;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        ret = map_rc(rc);
    k1s__stmt_done(c, K1S__ST_HEAD_REV, st);
    return ret;
}

int k1s__bind_str(sqlite3_stmt *st, int idx, const char *v)
{
    int rc = v ? sqlite3_bind_text(st, idx, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
    return rc == SQLITE_OK ? 0 : map_rc(rc);
}

int k1s__key_part_valid(const char *v)
{
    return v && strnlen(v, K1S__MAX_KEY_PART + 1) <= K1S__MAX_KEY_PART;
}

int k1s__key_valid(const k1s_key *k)
{
    return k && k1s__key_part_valid(k->group) && k1s__key_part_valid(k->resource) &&
           k1s__key_part_valid(k->ns) && k1s__key_part_valid(k->name) && *k->resource && *k->name;
}

void k1s__rollback(k1s__conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        k1s__exec(c, K1S__ST_ROLLBACK);
}

int k1s__reader_get_short(k1s_store *s, k1s__conn **out)
{
    /* The writer's page cache is always current, while a pooled reader's
     * is dropped by every commit and re-read from the file; a lookup that
     * finds no write running borrows the writer for a few microseconds. */
    if (!s->mem && !k1s__in_callback(s) && pthread_mutex_trylock(&s->write_mu) == 0) {
        *out = s->writer;
        return 0;
    }
    return k1s__reader_get(s, out);
}

int k1s__reader_get(k1s_store *s, k1s__conn **out)
{
    /* The leader holds write_mu (and mem_mu) for the whole batch, so this
     * thread already owns the writer connection. */
    if (s->mem || k1s__in_callback(s)) {
        pthread_mutex_lock(&s->mem_mu);
        *out = s->writer;
        return 0;
    }
    pthread_mutex_lock(&s->pool_mu);
    k1s__conn *c = s->idle;
    if (c) {
        s->idle = c->next;
        s->nidle--;
        c->next = NULL;
    }
    pthread_mutex_unlock(&s->pool_mu);
    if (c) {
        *out = c;
        return 0;
    }
    /* Growing on demand (rather than waiting for a free connection) means
     * a list callback that reads the store again can never deadlock. */
    return k1s__conn_open(s->path, 0, 0, out);
}

void k1s__reader_put(k1s_store *s, k1s__conn *c)
{
    if (c == s->writer) {
        /* Never roll back here: inside a callback that would undo the open
         * batch (and a borrowed writer has no transaction open). */
        if (!s->mem && !k1s__in_callback(s))
            pthread_mutex_unlock(&s->write_mu); /* borrowed */
        else
            pthread_mutex_unlock(&s->mem_mu);
        return;
    }
    /* A reader must never go back with a transaction open: it would pin an
     * old WAL snapshot forever. */
    k1s__rollback(c);
    pthread_mutex_lock(&s->pool_mu);
    if (s->nidle < K1S__MAX_IDLE_READERS) {
        c->next = s->idle;
        s->idle = c;
        s->nidle++;
        c = NULL;
    }
    pthread_mutex_unlock(&s->pool_mu);
    k1s__conn_close(c);
}

void k1s__db_enter(k1s_store *s)
{
    if (s->mem)
        pthread_mutex_lock(&s->mem_mu);
}

void k1s__db_leave(k1s_store *s)
{
    if (s->mem)
        pthread_mutex_unlock(&s->mem_mu);
}
