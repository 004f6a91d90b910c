/*
 * store_internal.h - private structures and helpers shared by the files of
 * the storage component (store.c, store_db.c, store_read.c, store_update.c,
 * store_apply.c, store_ckpt.c, store_event.c, store_watch.c). Nothing outside storage/
 * includes this, except the storage unit tests, which use the test hooks
 * at the end (and peek at the write queue to line up batches).
 *
 * Locking order (outer first): write_mu -> mem_mu -> hub->mu -> watch->mu.
 * pool_mu, q_mu and ckpt_mu are leaf locks. Leadership of the write queue (q_leader)
 * is taken before write_mu and is never waited for while holding a lock.
 */
#ifndef K1S_STORE_INTERNAL_H
#define K1S_STORE_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sqlite3.h>

#include "k1s_limits.h"
#include "k1s_store.h"

/* Longest group/resource/namespace/name accepted; real ones are < 254. */
#define K1S__MAX_KEY_PART 1024
#define K1S__MAX_META_KEY 1024
#define K1S__MAX_META_VALUE ((size_t)1024 * 1024)
/* Recent events kept in memory so live fan-out and short replays never
 * touch SQLite. A power of two: slots are indexed by rev & (size - 1). */
#define K1S__RING_SIZE 4096
/* ... and at most this many bytes of them (ev_cost), so big objects do not
 * make the ring hold gigabytes. */
#define K1S__RING_MAX_BYTES ((size_t)64 * 1024 * 1024)
/* Per-watcher queue bound; past it the watcher is dropped. */
#define K1S__WATCH_MAX_EVENTS ((size_t)100000)
#define K1S__WATCH_MAX_BYTES ((size_t)128 * 1024 * 1024)
/* Idle reader connections kept open; more are opened on demand. */
#define K1S__MAX_IDLE_READERS 8
/* Most queued writes one group commit applies in a single transaction. */
#define K1S__BATCH_MAX 64
/* WAL frames (pages) that wake the background checkpointer, and the WAL
 * size at which the committing writer checkpoints inline (store_ckpt.c). */
#define K1S__CKPT_FRAMES 1000
#define K1S__CKPT_INLINE_FRAMES 4000

/* Meta keys the store itself owns; k1s_store_meta_set refuses them. */
#define K1S__META_PREFIX "k1s.store."
#define K1S__META_REV "k1s.store.revision"
#define K1S__META_COMPACTED "k1s.store.compacted"
#define K1S__META_SCHEMA "k1s.store.schema"

/* Every SQL statement the store runs; each connection prepares them lazily
 * and keeps them for its lifetime. */
enum k1s__stmt_id {
    K1S__ST_BEGIN,
    K1S__ST_BEGIN_IMMEDIATE,
    K1S__ST_COMMIT,
    K1S__ST_ROLLBACK,
    K1S__ST_SAVEPOINT,
    K1S__ST_RELEASE,
    K1S__ST_ROLLBACK_TO,
    K1S__ST_GET,
    K1S__ST_PUT,
    K1S__ST_DEL,
    K1S__ST_EVENT_ADD,
    K1S__ST_EVENTS_RANGE,
    K1S__ST_COMPACT,
    K1S__ST_HEAD_REV,
    K1S__ST_META_GET,
    K1S__ST_META_SET,
    K1S__ST_META_DEL,
    K1S__ST_LIST_ALL,
    K1S__ST_LIST_ALL_AFTER,
    K1S__ST_LIST_NS,
    K1S__ST_LIST_NS_AFTER,
    K1S__ST_COUNT_ALL,
    K1S__ST_COUNT_NS,
    K1S__ST_COUNT_ALL_AFTER,
    K1S__ST_COUNT_NS_AFTER,
    K1S__ST_EVENTS_BYTES,
    K1S__ST_EVENTS_SIZES,
    K1S__ST_N
};

typedef struct k1s__conn {
    sqlite3 *db;
    sqlite3_stmt *st[K1S__ST_N];
    struct k1s__conn *next; /* idle pool link */
} k1s__conn;

typedef struct k1s__hub k1s__hub;

/* One queued k1s_store_update call. It lives on the caller's stack. A
 * caller that finds a leader at work sleeps on sem, which is posted exactly
 * once: after the leader applied the request (state K1S__WREQ_DONE) or when
 * leadership is handed to it (K1S__WREQ_LEAD). The fields below are written
 * before that post and read after it. */
enum { K1S__WREQ_WAITING, K1S__WREQ_DONE, K1S__WREQ_LEAD };
typedef struct k1s__wreq {
    const k1s_key *key;
    k1s_store_mutate_fn fn;
    void *ctx;
    struct k1s__wreq *next; /* queue link, guarded by q_mu */
    sem_t sem;
    int state;
    int ret;
    int type; /* K1S_EV_* when the write was applied, else 0 */
    int64_t rev;
    json_t *result; /* new reference for the caller (may be NULL) */
    char *text;     /* serialized object until it becomes the event */
    size_t len;
} k1s__wreq;

struct k1s_store {
    int mem;    /* 1: private in-memory database, one shared connection */
    char *path; /* file name (file mode) */
    k1s__conn *writer;
    pthread_mutex_t write_mu; /* serialises every write transaction */
    /* Memory mode only: the single connection is shared by the writer and
     * every reader, so all SQL on it runs under this (recursive) mutex. */
    pthread_mutex_t mem_mu;
    pthread_mutex_t pool_mu; /* file mode: idle reader connections */
    k1s__conn *idle;
    size_t nidle;
    _Atomic int64_t rev;       /* newest committed revision */
    _Atomic int64_t compacted; /* events <= this are gone */
    k1s__hub *hub;
    /* Group commit: k1s_store_update calls wait here in arrival order. */
    pthread_mutex_t q_mu;
    k1s__wreq *q_head, *q_tail;
    int q_leader; /* 1 while some thread leads (or is being handed) it */
    /* The newest revision applied in the open write transaction (leader
     * only, under write_mu): what a list inside a callback reflects. */
    int64_t tx_rev;
    /* Group commit counters for tests (under write_mu). */
    uint64_t n_batches, n_batched;
    size_t max_batch;
    /* Background checkpoints (file mode, store_ckpt.c). ckpt_mu guards
     * ckpt_want, ckpt_stop and ckpt_done; it is a leaf lock. */
    pthread_mutex_t ckpt_mu;
    pthread_cond_t ckpt_cv;
    pthread_t ckpt_thread;
    k1s__conn *ckpt_conn;
    int ckpt_inited, ckpt_running, ckpt_want, ckpt_stop;
    int ckpt_done; /* WAL frames the last background checkpoint copied */
    /* k1s_store_set_retention: events to keep (0: off), and whether the
     * background thread has a compaction to do (under ckpt_mu) */
    _Atomic int64_t keep_events;
    int compact_want;
    /* ... and the log's byte bound (0: none). log_bytes counts the JSON of
     * the events after the compacted revision: those committed since open
     * as they commit, the older ones once the background thread has read
     * them (log_bytes_known); open_rev is the head at open. */
    _Atomic int64_t keep_bytes;
    _Atomic uint64_t log_bytes;
    _Atomic int log_bytes_known;
    int64_t open_rev;
};

/* ---- store_db.c ---------------------------------------------------------- */
int k1s__conn_open(const char *path, int mem, int writer, k1s__conn **out);
void k1s__conn_close(k1s__conn *c);
/* A ready (reset, unbound) statement. Normally the connection's cached one;
 * when that one is already running (a list callback re-entering the store
 * in memory mode) a temporary one is prepared. Give it back with stmt_done. */
int k1s__stmt(k1s__conn *c, int id, sqlite3_stmt **out);
void k1s__stmt_done(k1s__conn *c, int id, sqlite3_stmt *st);
/* Run a statement that returns no rows (BEGIN, COMMIT, ...). */
int k1s__exec(k1s__conn *c, int id);
int k1s__meta_get_int(k1s__conn *c, const char *key, int64_t *out);
int k1s__meta_set_int(k1s__conn *c, const char *key, int64_t v);
/* Bind a key part; parts are validated by k1s__key_valid first. */
int k1s__bind_str(sqlite3_stmt *st, int idx, const char *v);
int k1s__key_part_valid(const char *v);
int k1s__key_valid(const k1s_key *k);
/* ROLLBACK if (and only if) a transaction is still open: SQLite rolls some
 * failed statements back on its own. */
void k1s__rollback(k1s__conn *c);

/* A connection for reading. Inside a mutate callback of s: the writer
 * connection, so the open batch's earlier writes are visible. Otherwise in
 * file mode: from the pool (never blocks on the writer); memory mode: the
 * shared connection, with mem_mu held. A read that needs a snapshot opens
 * its own transaction only when c != s->writer. */
int k1s__reader_get(k1s_store *s, k1s__conn **out);
/* For one short statement: the writer connection when no write is running
 * (its page cache is warm), else as k1s__reader_get. */
int k1s__reader_get_short(k1s_store *s, k1s__conn **out);
void k1s__reader_put(k1s_store *s, k1s__conn *c);
/* The newest revision visible on c (see K1S__ST_HEAD_REV). */
/* Bytes of the events' JSON in (after, upto]. */
int k1s__events_bytes(k1s__conn *c, int64_t after, int64_t upto, int64_t *out);
int k1s__head_rev(k1s__conn *c, int64_t *out);
/* Bracket SQL on the writer connection (locks mem_mu in memory mode). */
void k1s__db_enter(k1s_store *s);
void k1s__db_leave(k1s_store *s);

/* ---- store_apply.c ------------------------------------------------------- */
/* 1 while this thread runs a mutate callback of s (a per-thread marker that
 * names the store, so stores never see each other's callbacks). */
int k1s__in_callback(const k1s_store *s);
/* Leader, write_mu held, write transaction open on s->writer: reads r's
 * current object, runs its callback with new_rev and, for PUT/DELETE,
 * writes the object and event rows (inside a savepoint unless first_write:
 * no write applied yet in this transaction). Fills r's results; r->type != 0
 * means the write was applied and used new_rev. Returns 0, or K1S_EIO when
 * the transaction is no longer open (r->ret says what happened to r). */
int k1s__apply(k1s_store *s, k1s__wreq *r, int64_t new_rev, int first_write);

/* ---- store_ckpt.c -------------------------------------------------------- */
/* File mode, after the writer is open: the checkpoint thread and the
 * writer's WAL hook. Stop joins the thread; safe to call when not started. */
int k1s__ckpt_start(k1s_store *s);
void k1s__ckpt_stop(k1s_store *s);

/* ---- store_event.c ------------------------------------------------------- */
/* A new event with refs = 1. Takes ownership of json (malloc'd, NUL
 * terminated, len bytes) only on success. */
k1s_event *k1s__event_new(int64_t rev, int type, const char *group, const char *resource,
                          const char *ns, const char *name, char *json, size_t len);

/* ---- store_watch.c ------------------------------------------------------- */
/* Watchers collected by a publish, to be notified once locks are dropped. */
typedef struct k1s__notify_batch {
    k1s_watch *inl[16];
    k1s_watch **v;
    size_t n, cap;
} k1s__notify_batch;

int k1s__hub_new(int64_t head, k1s__hub **out);
/* Drops every watcher (their next k1s_watch_next reports overflow) and
 * releases the store's reference; watches still open keep the hub alive. */
void k1s__hub_shutdown(k1s__hub *h);
/* Called with write_mu held, in revision order. Takes the caller's reference
 * to e. Fills nb with watchers to notify after write_mu is released. */
void k1s__hub_publish(k1s__hub *h, k1s_event *e, k1s__notify_batch *nb);
/* A committed revision whose event could not be built: no watcher can be
 * served without a gap any more, so all are dropped. */
void k1s__hub_lost(k1s__hub *h, int64_t rev, k1s__notify_batch *nb);
void k1s__notify_batch_init(k1s__notify_batch *nb);
/* Calls every collected notify (no store lock may be held) and empties nb. */
void k1s__notify_batch_run(k1s__notify_batch *nb);

/* Test hook: how many batches the leaders applied, how many requests they
 * held in all, and the largest one. */
void k1s__store_batch_stats(k1s_store *s, uint64_t *batches, uint64_t *requests, size_t *max_batch);
/* Test hook: bytes the hub's ring holds. */
size_t k1s__store_ring_bytes(k1s_store *s);
/* Test hook: the event log's bytes as counted for its bound (0 until known). */
uint64_t k1s__store_log_bytes(k1s_store *s);

#endif
