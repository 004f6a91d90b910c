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
 * for it: the writer's hook sees the log pass its bound, and the thread
 * deletes old events a step at a time, each step one short transaction.
 *
 * Used by store.c (start at open, stop at close).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "store_internal.h"

/* Runs on the writer's thread after every commit, write_mu held; nframes:
 * frames now in the WAL. */
/* Events deleted per transaction when compacting in the background. */
#define COMPACT_STEP 5000

/* Whether the log holds a quarter more events than it should keep. */
static bool over_retention(k1s_store *s)
{
    int64_t keep = atomic_load(&s->keep_events);
    return keep > 0 && atomic_load(&s->rev) - atomic_load(&s->compacted) > keep + keep / 4;
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

/* Down to the retention, in steps; stops early when the store closes. */
static void compact_steps(k1s_store *s)
{
    for (;;) {
        int64_t keep = atomic_load(&s->keep_events);
        int64_t target = atomic_load(&s->rev) - keep, done = atomic_load(&s->compacted);
        pthread_mutex_lock(&s->ckpt_mu);
        bool stop = s->ckpt_stop;
        pthread_mutex_unlock(&s->ckpt_mu);
        if (keep <= 0 || done >= target || stop)
            return;
        int64_t next = target - done > COMPACT_STEP ? done + COMPACT_STEP : target;
        if (k1s_store_compact(s, next + 1) != 0)
            return; /* tried again when the log grows */
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

void k1s_store_set_retention(k1s_store *s, int64_t keep_events)
{
    atomic_store(&s->keep_events, keep_events > 0 ? keep_events : 0);
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
