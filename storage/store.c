/*
 * store.c - the object store's lifecycle and small operations: open/close,
 * the revision counters, the meta key/value table and event-log compaction,
 * and the database files' permissions.
 * Reads live in store_read.c, the write path in store_update.c and
 * store_apply.c, checkpoints in store_ckpt.c, watches in store_watch.c.
 * See docs/internals/storage.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_internal.h"

/* One integer from a one-off query (used only at open). */
static int scalar_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int ret = K1S_EIO;
    *out = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        ret = 0;
cleanup:
    sqlite3_finalize(st);
    return ret;
}

/* The newest revision ever used. Every revision writes an event row, and
 * only compaction removes event rows, recording the compacted revision (and
 * the head revision, in the meta row) as it does; so the head is the largest
 * of those, even when the newest object has been deleted since. The objects
 * maximum guards against manual editing; older versions of this code wrote
 * the revision row on every commit, which is read the same way. */
static int load_revisions(k1s_store *s)
{
    int64_t head = 0, obj_rev = 0, comp = 0;
    int ret = k1s__head_rev(s->writer, &head);
    if (!ret)
        ret = scalar_int(s->writer->db, "SELECT max(rev) FROM objects", &obj_rev);
    if (!ret)
        ret = k1s__meta_get_int(s->writer, K1S__META_COMPACTED, &comp);
    if (ret)
        return ret;
    int64_t rev = head > obj_rev ? head : obj_rev;
    if (rev < 0 || comp < 0 || comp > rev)
        return K1S_EIO;
    atomic_store(&s->rev, rev);
    atomic_store(&s->compacted, comp);
    return 0;
}

/* The database holds Secrets: it and its WAL and shared-memory files are
 * the owner's alone whatever the umask (SQLite gives the WAL and -shm the
 * database file's mode when it creates them). */
static int private_files(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return K1S_EIO;
    int rc = fchmod(fd, 0600);
    close(fd);
    if (rc != 0)
        return K1S_EIO;
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char side[4096];
        if ((size_t)snprintf(side, sizeof side, "%s%s", path, suffixes[i]) >= sizeof side)
            return K1S_EINVAL;
        if (chmod(side, 0600) != 0 && errno != ENOENT)
            return K1S_EIO;
    }
    return 0;
}

int k1s_store_open(const char *path, k1s_store **out)
{
    if (!path || !*path || !out)
        return K1S_EINVAL;
    k1s_store *s = calloc(1, sizeof *s);
    if (!s)
        return K1S_ENOMEM;
    int ret = K1S_ENOMEM;
    pthread_mutexattr_t ra;
    pthread_mutexattr_init(&ra);
    /* Recursive: a list callback in memory mode may read the store again
     * on the same thread while the list holds the shared connection. */
    pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->mem_mu, &ra);
    pthread_mutexattr_destroy(&ra);
    pthread_mutex_init(&s->write_mu, NULL);
    pthread_mutex_init(&s->pool_mu, NULL);
    pthread_mutex_init(&s->q_mu, NULL);
    s->mem = strcmp(path, ":memory:") == 0;
    if (!s->mem && !(s->path = strdup(path)))
        goto cleanup;
    if (!s->mem && (ret = private_files(path)))
        goto cleanup;
    if ((ret = k1s__conn_open(path, s->mem, 1, &s->writer)))
        goto cleanup;
    if ((ret = load_revisions(s)))
        goto cleanup;
    s->open_rev = atomic_load(&s->rev);
    if (!s->mem && (ret = k1s__ckpt_start(s)))
        goto cleanup;
    if ((ret = k1s__hub_new(atomic_load(&s->rev), &s->hub)))
        goto cleanup;
    *out = s;
    return 0;
cleanup:
    k1s_store_close(s);
    return ret;
}

void k1s_store_close(k1s_store *s)
{
    if (!s)
        return;
    if (s->hub)
        k1s__hub_shutdown(s->hub);
    k1s__ckpt_stop(s);
    while (s->idle) {
        k1s__conn *c = s->idle;
        s->idle = c->next;
        k1s__conn_close(c);
    }
    k1s__conn_close(s->writer);
    pthread_mutex_destroy(&s->mem_mu);
    pthread_mutex_destroy(&s->write_mu);
    pthread_mutex_destroy(&s->pool_mu);
    pthread_mutex_destroy(&s->q_mu);
    free(s->path);
    free(s);
}

int64_t k1s_store_revision(k1s_store *s)
{
    return atomic_load(&s->rev);
}

int64_t k1s_store_compacted_revision(k1s_store *s)
{
    return atomic_load(&s->compacted);
}

static int meta_key_valid(const char *key)
{
    return key && *key && strnlen(key, K1S__MAX_META_KEY + 1) <= K1S__MAX_META_KEY;
}

int k1s_store_meta_get(k1s_store *s, const char *key, char **value)
{
    if (!s || !meta_key_valid(key) || !value)
        return K1S_EINVAL;
    *value = NULL;
    k1s__conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int ret = k1s__reader_get(s, &c);
    if (ret)
        return ret;
    if ((ret = k1s__stmt(c, K1S__ST_META_GET, &st)))
        goto cleanup;
    if ((ret = k1s__bind_str(st, 1, key)))
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
    const char *v = (const char *)sqlite3_column_text(st, 0);
    int n = sqlite3_column_bytes(st, 0);
    if (!v || n < 0) {
        ret = K1S_ENOMEM;
        goto cleanup;
    }
    char *copy = malloc((size_t)n + 1);
    if (!copy) {
        ret = K1S_ENOMEM;
        goto cleanup;
    }
    memcpy(copy, v, (size_t)n);
    copy[n] = '\0';
    *value = copy;
cleanup:
    if (st)
        k1s__stmt_done(c, K1S__ST_META_GET, st);
    k1s__reader_put(s, c);
    return ret;
}

int k1s_store_meta_set(k1s_store *s, const char *key, const char *value)
{
    if (!s || !meta_key_valid(key))
        return K1S_EINVAL;
    /* The store's own bookkeeping must not be overwritten from outside. */
    if (strncmp(key, K1S__META_PREFIX, strlen(K1S__META_PREFIX)) == 0)
        return K1S_EINVAL;
    if (value && strnlen(value, K1S__MAX_META_VALUE + 1) > K1S__MAX_META_VALUE)
        return K1S_ETOOLARGE;
    /* A mutate callback's thread holds write_mu already. */
    if (k1s__in_callback(s))
        return K1S_EINVAL;
    int id = value ? K1S__ST_META_SET : K1S__ST_META_DEL;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->write_mu);
    k1s__db_enter(s);
    int ret = k1s__stmt(s->writer, id, &st);
    if (ret)
        goto cleanup;
    if ((ret = k1s__bind_str(st, 1, key)))
        goto cleanup;
    if (value && (ret = k1s__bind_str(st, 2, value)))
        goto cleanup;
    if (sqlite3_step(st) != SQLITE_DONE)
        ret = K1S_EIO;
cleanup:
    if (st)
        k1s__stmt_done(s->writer, id, st);
    k1s__db_leave(s);
    pthread_mutex_unlock(&s->write_mu);
    return ret;
}

int k1s_store_compact(k1s_store *s, int64_t keep_from)
{
    if (!s || k1s__in_callback(s))
        return K1S_EINVAL;
    sqlite3_stmt *st = NULL;
    int ret = 0, in_tx = 0;
    pthread_mutex_lock(&s->write_mu);
    k1s__db_enter(s);
    /* Never compact past the newest revision: a watch from the current
     * revision must stay valid. */
    int64_t cur = atomic_load(&s->rev);
    if (keep_from > cur + 1)
        keep_from = cur + 1;
    int64_t newc = keep_from - 1;
    if (newc <= atomic_load(&s->compacted))
        goto cleanup;
    if ((ret = k1s__exec(s->writer, K1S__ST_BEGIN_IMMEDIATE)))
        goto cleanup;
    in_tx = 1;
    /* what leaves the log's byte count: the events it counts (all once
     * they are known, else those committed since open) */
    int64_t freed = 0;
    if (atomic_load(&s->keep_bytes) > 0) {
        int64_t from = atomic_load(&s->compacted);
        if (!atomic_load(&s->log_bytes_known) && from < s->open_rev)
            from = s->open_rev;
        if ((ret = k1s__events_bytes(s->writer, from, newc, &freed)))
            goto cleanup;
    }
    if ((ret = k1s__stmt(s->writer, K1S__ST_COMPACT, &st)))
        goto cleanup;
    if (sqlite3_bind_int64(st, 1, keep_from) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        ret = K1S_EIO;
        goto cleanup;
    }
    /* The head revision too: the event rows that carried it may be gone,
     * and older versions of this code read the head from this row. */
    if ((ret = k1s__meta_set_int(s->writer, K1S__META_COMPACTED, newc)) ||
        (ret = k1s__meta_set_int(s->writer, K1S__META_REV, cur)))
        goto cleanup;
    if ((ret = k1s__exec(s->writer, K1S__ST_COMMIT)))
        goto cleanup;
    in_tx = 0;
    atomic_store(&s->compacted, newc);
    uint64_t have = atomic_load(&s->log_bytes);
    atomic_store(&s->log_bytes, have > (uint64_t)freed ? have - (uint64_t)freed : 0);
cleanup:
    if (st)
        k1s__stmt_done(s->writer, K1S__ST_COMPACT, st);
    if (in_tx)
        k1s__rollback(s->writer);
    k1s__db_leave(s);
    pthread_mutex_unlock(&s->write_mu);
    return ret;
}

int k1s_store_compact_auto(k1s_store *s, int64_t keep_events)
{
    if (!s || keep_events < 0)
        return K1S_EINVAL;
    int64_t cur = atomic_load(&s->rev);
    if (keep_events >= cur)
        return 0;
    return k1s_store_compact(s, cur - keep_events + 1);
}
