/*
 * store_ckpt.c - background WAL checkpoints for file stores.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses its
 * threshold, on the writer, while every other writer waits: it copies the
 * WAL's pages into the database file and waits for two fdatasync calls,
 * which on a plain disk took about half of a lone writer's wall time. Here
 * a thread of the store does that work on its own connection (PASSIVE, so
 * it never blocks the writer), woken by the writer's WAL hook whenever
 * K1S__CKPT_FRAMES new frames have piled up.
 *
 * A passive checkpoint that runs beside writes never quite catches up, and
 * SQLite starts the WAL file over only once it is fully copied. So when the
 * WAL reaches K1S__CKPT_INLINE_FRAMES the committing writer still checkpoints
 * inline, as SQLite would: by then the thread has copied nearly everything,
 * and the file starts over at the next write. The WAL stays bounded.
 *
 * The same thread compacts the event log when k1s_store_set_retention asks
 * for it: the writer's hook sees the log pass its bound (in events, or in
 * bytes), and the thread deletes old events a step at a time, each step one
 * short transaction. For the byte bound it first reads the sizes of the
 * events an earlier run left, once, off the start path.
 *
 * Used by store.c (start at open, stop at close).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "store_internal.h"

/* Events deleted per transaction when compacting in the background. */
#define COMPACT_STEP 5000

/* Most bytes one byte-driven compaction step deletes. */
#define COMPACT_STEP_BYTES ((uint64_t)64 << 20)

/* Whether the log holds a quarter more than it should keep, in events or
 * in bytes (or its bytes are still to be read). */
static bool over_retention(k1s_store *s)
{
    int64_t keep = atomic_load(&s->keep_events), kb = atomic_load(&s->keep_bytes);
    int64_t events = atomic_load(&s->rev) - atomic_load(&s->compacted);
    if (keep > 0 && events > keep + keep / 4)
        return true;
    if (kb <= 0 || events <= K1S_STORE_MIN_EVENTS)
        return false;
    return !atomic_load(&s->log_bytes_known) ||
           atomic_load(&s->log_bytes) > (uint64_t)(kb + kb / 4);
}

static void want_compaction(k1s_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    if (!s->compact_want) {
        s->compact_want = 1;
        pthread_cond_signal(&s->ckpt_cv);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
}

/* Runs on the writer's thread after every commit, write_mu held; nframes:
 * frames now in the WAL. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int nframes)
{
    k1s_store *s = ctx;
    if (over_retention(s))
        want_compaction(s);
    if (nframes >= K1S__CKPT_INLINE_FRAMES) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (nframes < K1S__CKPT_FRAMES)
        return SQLITE_OK;
    pthread_mutex_lock(&s->ckpt_mu);
    /* nframes below the covered count: the WAL was started over. */
    if (!s->ckpt_want && (nframes - s->ckpt_done >= K1S__CKPT_FRAMES || nframes < s->ckpt_done)) {
        s->ckpt_want = 1;
        pthread_cond_signal(&s->ckpt_cv);
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    return SQLITE_OK;
}

/* The revision up to which dropping the oldest events frees about want
 * bytes (at most COMPACT_STEP_BYTES, keeping K1S_STORE_MIN_EVENTS), and
 * those bytes in *freed; done when nothing may go. */
static int64_t bytes_target(k1s_store *s, int64_t done, uint64_t want, uint64_t *freed)
{
    int64_t last = atomic_load(&s->rev) - K1S_STORE_MIN_EVENTS, next = done;
    sqlite3_stmt *st = NULL;
    *freed = 0;
    if (want > COMPACT_STEP_BYTES)
        want = COMPACT_STEP_BYTES;
    if (last <= done || k1s__stmt(s->ckpt_conn, K1S__ST_EVENTS_SIZES, &st))
        return done;
    if (sqlite3_bind_int64(st, 1, done) == SQLITE_OK &&
        sqlite3_bind_int64(st, 2, COMPACT_STEP) == SQLITE_OK)
        while (*freed < want && sqlite3_step(st) == SQLITE_ROW) {
            int64_t rev = sqlite3_column_int64(st, 0);
            if (rev > last)
                break;
            *freed += (uint64_t)sqlite3_column_int64(st, 1);
            next = rev;
        }
    k1s__stmt_done(s->ckpt_conn, K1S__ST_EVENTS_SIZES, st);
    return next;
}

static bool stopping(k1s_store *s)
{
    pthread_mutex_lock(&s->ckpt_mu);
    bool stop = s->ckpt_stop;
    pthread_mutex_unlock(&s->ckpt_mu);
    return stop;
}

/* Down to the retention, in steps; stops early when the store closes. */
static void compact_steps(k1s_store *s)
{
    int64_t kb = atomic_load(&s->keep_bytes);
    if (kb > 0 && !atomic_load(&s->log_bytes_known)) {
        /* What an earlier run left: events after the compacted revision up
         * to the head at open (later ones were counted as they committed).
         * Read without holding writers up; a compaction running meanwhile
         * (k1s_store_compact_auto) can make the count a little high, which
         * only compacts a little early. */
        int64_t old = 0;
        if (k1s__events_bytes(s->ckpt_conn, atomic_load(&s->compacted), s->open_rev, &old))
            return;
        atomic_fetch_add(&s->log_bytes, (uint64_t)old);
        atomic_store(&s->log_bytes_known, 1);
    }
    for (;;) {
        int64_t keep = atomic_load(&s->keep_events);
        int64_t target = atomic_load(&s->rev) - keep, done = atomic_load(&s->compacted);
        if (stopping(s))
            return;
        if (keep > 0 && done < target) {
            int64_t next = target - done > COMPACT_STEP ? done + COMPACT_STEP : target;
            if (k1s_store_compact(s, next + 1) != 0)
                return; /* tried again when the log grows */
            continue;
        }
        uint64_t have = atomic_load(&s->log_bytes), goal = (uint64_t)(kb - kb / 4);
        if (kb <= 0 || have <= goal)
            return;
        uint64_t freed = 0;
        int64_t next = bytes_target(s, done, have - goal, &freed);
        if (next <= done || k1s_store_compact(s, next + 1) != 0)
            return;
    }
}

static void *ckpt_main(void *arg)
{
    k1s_store *s = arg;
    pthread_mutex_lock(&s->ckpt_mu);
    for (;;) {
        while (!s->ckpt_want && !s->compact_want && !s->ckpt_stop)
            pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
        if (s->ckpt_stop)
            break;
        if (s->compact_want) {
            s->compact_want = 0;
            pthread_mutex_unlock(&s->ckpt_mu);
            compact_steps(s);
            pthread_mutex_lock(&s->ckpt_mu);
        }
        s->ckpt_want = 0;
        pthread_mutex_unlock(&s->ckpt_mu);
        int nlog = 0, nckpt = 0;
        /* Failures (SQLITE_BUSY while the writer checkpoints inline, I/O)
         * only mean the work is done later, inline or on the next wake. */
        int rc = sqlite3_wal_checkpoint_v2(s->ckpt_conn->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog,
                                           &nckpt);
        pthread_mutex_lock(&s->ckpt_mu);
        if (rc == SQLITE_OK && nckpt >= 0)
            s->ckpt_done = nckpt;
    }
    pthread_mutex_unlock(&s->ckpt_mu);
    return NULL;
}

int k1s__ckpt_start(k1s_store *s)
{
    pthread_mutex_init(&s->ckpt_mu, NULL);
    pthread_cond_init(&s->ckpt_cv, NULL);
    s->ckpt_inited = 1;
    int ret = k1s__conn_open(s->path, 0, 0, &s->ckpt_conn);
    if (ret)
        return ret;
    /* A connection learns that the file is in WAL mode only by reading it;
     * until then a checkpoint on it does nothing. */
    int64_t schema = 0;
    if ((ret = k1s__meta_get_int(s->ckpt_conn, K1S__META_SCHEMA, &schema)))
        return ret;
    if (pthread_create(&s->ckpt_thread, NULL, ckpt_main, s) != 0) {
        /* SQLite's own inline checkpoints stay in place. */
        k1s__conn_close(s->ckpt_conn);
        s->ckpt_conn = NULL;
        return 0;
    }
    s->ckpt_running = 1;
    sqlite3_wal_hook(s->writer->db, wal_hook, s);
    return 0;
}

uint64_t k1s__store_log_bytes(k1s_store *s)
{
    return atomic_load(&s->log_bytes_known) ? atomic_load(&s->log_bytes) : 0;
}

void k1s_store_set_retention(k1s_store *s, int64_t keep_events, int64_t keep_bytes)
{
    atomic_store(&s->keep_events, keep_events > 0 ? keep_events : 0);
    atomic_store(&s->keep_bytes, keep_bytes > 0 ? keep_bytes : 0);
    if (s->ckpt_running && over_retention(s))
        want_compaction(s);
}

void k1s__ckpt_stop(k1s_store *s)
{
    if (!s->ckpt_inited)
        return;
    if (s->ckpt_running) {
        pthread_mutex_lock(&s->ckpt_mu);
        s->ckpt_stop = 1;
        pthread_cond_signal(&s->ckpt_cv);
        pthread_mutex_unlock(&s->ckpt_mu);
        pthread_join(s->ckpt_thread, NULL);
        s->ckpt_running = 0;
    }
    if (s->writer)
        sqlite3_wal_hook(s->writer->db, NULL, NULL);
    k1s__conn_close(s->ckpt_conn);
    s->ckpt_conn = NULL;
    pthread_cond_destroy(&s->ckpt_cv);
    pthread_mutex_destroy(&s->ckpt_mu);
    s->ckpt_inited = 0;
}
