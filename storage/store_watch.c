/*
 * store_watch.c - the watch hub: fan-out of committed events to watchers.
 *
 * The writer publishes every event here (in revision order, under the
 * store's write mutex). The hub keeps the newest K1S__RING_SIZE events in a
 * ring so live delivery and short replays never touch SQLite (fewer when
 * they are big: the ring holds at most K1S__RING_MAX_BYTES), and appends
 * each event (refcounted, shared) to the bounded queue of every matching
 * watcher. A new watch is registered first and then replayed up to the
 * revision it was registered at (from the ring, or from the events table
 * when older), so replay and live events meet with no gap and no duplicate.
 *
 * Notify callbacks run after all store locks are released. Each pending
 * call is counted on its watcher ("busy"); k1s_watch_close waits for the
 * count to drop, which is what guarantees no notify after close returns.
 *
 * The hub is refcounted (the store plus each open watch) so a watch closed
 * after its store is still safe.
 */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

struct k1s__hub {
    pthread_mutex_t mu;
    int refs;
    int closed;
    int64_t head;       /* newest published revision */
    int64_t ring_first; /* no revision below this is in the ring */
    size_t ring_bytes;  /* ev_cost of the events in the ring */
    k1s_watch *watchers;
    size_t max_events, max_bytes; /* for watches created from now on */
    k1s_event *ring[K1S__RING_SIZE];
};

struct k1s_watch {
    k1s__hub *hub;
    char *group, *resource, *ns; /* NULL: any */
    k1s_watch_notify_fn notify;
    void *ctx;
    /* Live events at or below this are skipped: the store's revision is
     * bumped at commit, a moment before the event is published, so a
     * caller may start from a revision the hub has not announced yet. */
    int64_t from_rev;
    size_t max_events, max_bytes;
    k1s_watch *prev, *next; /* hub list; guarded by hub->mu */
    int linked;             /* guarded by hub->mu */
    pthread_mutex_t mu;     /* guards everything below */
    pthread_cond_t cv;
    k1s_event **q; /* circular queue */
    size_t qcap, qhead, qlen, qbytes;
    int dropped;
    int closing;
    int busy; /* notify calls collected but not finished */
};

#define RING_MASK ((int64_t)K1S__RING_SIZE - 1)

/* Memory a queued event is charged with; the struct counts so that a flood
 * of tiny events is bounded too. */
static size_t ev_cost(const k1s_event *e)
{
    return e->len + sizeof *e;
}

static int str_match(const char *want, const char *have)
{
    return !want || strcmp(want, have) == 0;
}

static int watch_match(const k1s_watch *w, const k1s_event *e)
{
    return e->rev > w->from_rev && str_match(w->resource, e->resource) &&
           str_match(w->group, e->group) && str_match(w->ns, e->ns);
}

/* ---- watcher queue (w->mu held) ------------------------------------------ */

static void queue_clear(k1s_watch *w)
{
    for (size_t i = 0; i < w->qlen; i++)
        k1s_event_unref(w->q[(w->qhead + i) % w->qcap]);
    free(w->q);
    w->q = NULL;
    w->qcap = w->qhead = w->qlen = w->qbytes = 0;
}

static void watch_drop(k1s_watch *w)
{
    queue_clear(w);
    w->dropped = 1;
}

/* Copies the queue into a fresh buffer of cap slots, oldest first, leaving
 * `front` empty slots at the start for a replay to fill. */
static int queue_realloc(k1s_watch *w, size_t cap, size_t front)
{
    k1s_event **nq = malloc(cap * sizeof *nq);
    if (!nq)
        return K1S_ENOMEM;
    for (size_t i = 0; i < w->qlen; i++)
        nq[front + i] = w->q[(w->qhead + i) % w->qcap];
    free(w->q);
    w->q = nq;
    w->qcap = cap;
    w->qhead = 0;
    return 0;
}

/* Queues e (taking a new reference) or drops the watcher when its bound
 * is exceeded. Returns 1 if the watcher is (now) dropped. */
static int queue_push(k1s_watch *w, k1s_event *e)
{
    if (w->dropped)
        return 1;
    if (w->qlen + 1 > w->max_events || w->qbytes + ev_cost(e) > w->max_bytes) {
        watch_drop(w);
        return 1;
    }
    if (w->qlen == w->qcap) {
        size_t cap = w->qcap ? w->qcap * 2 : 64;
        if (cap > w->max_events)
            cap = w->max_events;
        if (queue_realloc(w, cap, 0)) {
            watch_drop(w);
            return 1;
        }
    }
    k1s_event_ref(e);
    w->q[(w->qhead + w->qlen) % w->qcap] = e;
    w->qlen++;
    w->qbytes += ev_cost(e);
    return 0;
}

/* ---- notify batches ------------------------------------------------------ */

void k1s__notify_batch_init(k1s__notify_batch *nb)
{
    nb->v = nb->inl;
    nb->n = 0;
    nb->cap = sizeof nb->inl / sizeof nb->inl[0];
}

static void notify_finish(k1s_watch *w)
{
    pthread_mutex_lock(&w->mu);
    w->busy--;
    if (w->busy == 0 && w->closing)
        pthread_cond_broadcast(&w->cv);
    /* w may be freed by k1s_watch_close as soon as this unlock completes. */
    pthread_mutex_unlock(&w->mu);
}

/* Records w for notification (w->busy already counted, hub->mu held). */
static void batch_add(k1s__notify_batch *nb, k1s_watch *w)
{
    if (nb->n == nb->cap) {
        size_t cap = nb->cap * 2;
        k1s_watch **v = malloc(cap * sizeof *v);
        if (!v) {
            /* Out of memory: notifying late would stall the watcher, so
             * notify now, under hub->mu, as the lesser evil. */
            if (w->notify)
                w->notify(w->ctx);
            notify_finish(w);
            return;
        }
        memcpy(v, nb->v, nb->n * sizeof *v);
        if (nb->v != nb->inl)
            free(nb->v);
        nb->v = v;
        nb->cap = cap;
    }
    nb->v[nb->n++] = w;
}

void k1s__notify_batch_run(k1s__notify_batch *nb)
{
    for (size_t i = 0; i < nb->n; i++) {
        k1s_watch *w = nb->v[i];
        if (w->notify)
            w->notify(w->ctx);
        notify_finish(w);
    }
    if (nb->v != nb->inl)
        free(nb->v);
    k1s__notify_batch_init(nb);
}

/* ---- hub ----------------------------------------------------------------- */

int k1s__hub_new(int64_t head, k1s__hub **out)
{
    k1s__hub *h = calloc(1, sizeof *h);
    if (!h)
        return K1S_ENOMEM;
    pthread_mutex_init(&h->mu, NULL);
    h->refs = 1;
    h->head = head;
    h->ring_first = head + 1;
    h->max_events = K1S__WATCH_MAX_EVENTS;
    h->max_bytes = K1S__WATCH_MAX_BYTES;
    *out = h;
    return 0;
}

static void hub_unlink(k1s__hub *h, k1s_watch *w)
{
    if (!w->linked)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        h->watchers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    w->linked = 0;
}

static void ring_clear(k1s__hub *h)
{
    for (size_t i = 0; i < K1S__RING_SIZE; i++) {
        k1s_event_unref(h->ring[i]);
        h->ring[i] = NULL;
    }
    h->ring_bytes = 0;
}

/* Puts e (the caller's reference) in its slot, then lets the oldest events
 * go until the ring is within its byte budget; replays from before
 * ring_first read the events table instead. */
static void ring_put(k1s__hub *h, k1s_event *e)
{
    int64_t slot = e->rev & RING_MASK;
    if (h->ring[slot]) {
        h->ring_bytes -= ev_cost(h->ring[slot]);
        k1s_event_unref(h->ring[slot]);
    }
    h->ring[slot] = e;
    h->ring_bytes += ev_cost(e);
    if (h->ring_first < e->rev - RING_MASK)
        h->ring_first = e->rev - RING_MASK;
    while (h->ring_bytes > K1S__RING_MAX_BYTES && h->ring_first < e->rev) {
        k1s_event **old = &h->ring[h->ring_first & RING_MASK];
        if (*old && (*old)->rev == h->ring_first) {
            h->ring_bytes -= ev_cost(*old);
            k1s_event_unref(*old);
            *old = NULL;
        }
        h->ring_first++;
    }
}

/* Drops every watcher and queues a notify for each (hub->mu held). */
static void hub_drop_all(k1s__hub *h, k1s__notify_batch *nb)
{
    while (h->watchers) {
        k1s_watch *w = h->watchers;
        hub_unlink(h, w);
        pthread_mutex_lock(&w->mu);
        watch_drop(w);
        w->busy++;
        pthread_mutex_unlock(&w->mu);
        batch_add(nb, w);
    }
}

static void hub_unref(k1s__hub *h)
{
    pthread_mutex_lock(&h->mu);
    int left = --h->refs;
    pthread_mutex_unlock(&h->mu);
    if (left)
        return;
    ring_clear(h);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void k1s__hub_shutdown(k1s__hub *h)
{
    k1s__notify_batch nb;
    k1s__notify_batch_init(&nb);
    pthread_mutex_lock(&h->mu);
    h->closed = 1;
    hub_drop_all(h, &nb);
    ring_clear(h);
    pthread_mutex_unlock(&h->mu);
    k1s__notify_batch_run(&nb);
    hub_unref(h);
}

void k1s__hub_lost(k1s__hub *h, int64_t rev, k1s__notify_batch *nb)
{
    pthread_mutex_lock(&h->mu);
    hub_drop_all(h, nb);
    ring_clear(h);
    h->head = rev;
    h->ring_first = rev + 1;
    pthread_mutex_unlock(&h->mu);
}

void k1s__hub_publish(k1s__hub *h, k1s_event *e, k1s__notify_batch *nb)
{
    pthread_mutex_lock(&h->mu);
    if (h->closed) {
        pthread_mutex_unlock(&h->mu);
        k1s_event_unref(e);
        return;
    }
    if (e->rev != h->head + 1) {
        /* A hole in the sequence: nobody can be served without a gap. */
        hub_drop_all(h, nb);
        ring_clear(h);
        h->ring_first = e->rev;
    }
    ring_put(h, e);
    h->head = e->rev;

    k1s_watch *next;
    for (k1s_watch *w = h->watchers; w; w = next) {
        next = w->next;
        if (!watch_match(w, e))
            continue;
        pthread_mutex_lock(&w->mu);
        if (w->dropped) {
            /* Dropped earlier, while replaying; it was told then. */
            pthread_mutex_unlock(&w->mu);
            hub_unlink(h, w);
            continue;
        }
        if (queue_push(w, e))
            hub_unlink(h, w);
        w->busy++;
        pthread_mutex_unlock(&w->mu);
        batch_add(nb, w);
    }
    pthread_mutex_unlock(&h->mu);
}

size_t k1s__store_ring_bytes(k1s_store *s)
{
    pthread_mutex_lock(&s->hub->mu);
    size_t n = s->hub->ring_bytes;
    pthread_mutex_unlock(&s->hub->mu);
    return n;
}

void k1s_store_set_watch_limits(k1s_store *s, size_t max_events, size_t max_bytes)
{
    pthread_mutex_lock(&s->hub->mu);
    s->hub->max_events = max_events ? max_events : K1S__WATCH_MAX_EVENTS;
    s->hub->max_bytes = max_bytes ? max_bytes : K1S__WATCH_MAX_BYTES;
    pthread_mutex_unlock(&s->hub->mu);
}

/* ---- replay from the events table ---------------------------------------- */

typedef struct replay_buf {
    k1s_event **v;
    size_t n, cap, bytes;
} replay_buf;

static void replay_free(replay_buf *rb)
{
    for (size_t i = 0; i < rb->n; i++)
        k1s_event_unref(rb->v[i]);
    free(rb->v);
    rb->v = NULL;
    rb->n = rb->cap = rb->bytes = 0;
}

/* Builds one event from an EVENTS_RANGE row and appends it to rb. */
static int replay_row(sqlite3_stmt *st, replay_buf *rb)
{
    int64_t rev = sqlite3_column_int64(st, 0);
    int type = sqlite3_column_int(st, 1);
    const char *g = (const char *)sqlite3_column_text(st, 2);
    const char *r = (const char *)sqlite3_column_text(st, 3);
    const char *ns = (const char *)sqlite3_column_text(st, 4);
    const char *name = (const char *)sqlite3_column_text(st, 5);
    const char *json = (const char *)sqlite3_column_text(st, 6);
    int n = sqlite3_column_bytes(st, 6);
    if (!g || !r || !ns || !name || !json || n < 0)
        return K1S_ENOMEM;
    if (type < K1S_EV_ADDED || type > K1S_EV_DELETED || !k1s__key_part_valid(g) ||
        !k1s__key_part_valid(r) || !k1s__key_part_valid(ns) || !k1s__key_part_valid(name))
        return K1S_EIO;
    if (rb->n == rb->cap) {
        size_t cap = rb->cap ? rb->cap * 2 : 64;
        k1s_event **v = realloc(rb->v, cap * sizeof *v);
        if (!v)
            return K1S_ENOMEM;
        rb->v = v;
        rb->cap = cap;
    }
    char *copy = malloc((size_t)n + 1);
    if (!copy)
        return K1S_ENOMEM;
    memcpy(copy, json, (size_t)n);
    copy[n] = '\0';
    k1s_event *e = k1s__event_new(rev, type, g, r, ns, name, copy, (size_t)n);
    if (!e) {
        free(copy);
        return K1S_ENOMEM;
    }
    rb->v[rb->n++] = e;
    rb->bytes += ev_cost(e);
    return 0;
}

/* Reads the matching events in (from_rev, upto] into rb, in order. Sets
 * *overflow instead of reading on once the watcher's bound is exceeded. */
static int replay_read(k1s_store *s, const k1s_watch *w, int64_t from_rev, int64_t upto,
                       replay_buf *rb, int *overflow)
{
    k1s__conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int in_tx = 0;
    int ret = k1s__reader_get(s, &c);
    if (ret)
        return ret;
    /* The compaction check and the rows must come from one snapshot, or
     * a compaction in between could silently open a gap. */
    if (c != s->writer) {
        if ((ret = k1s__exec(c, K1S__ST_BEGIN)))
            goto cleanup;
        in_tx = 1;
    }
    int64_t comp = 0;
    if ((ret = k1s__meta_get_int(c, K1S__META_COMPACTED, &comp)))
        goto cleanup;
    if (from_rev < comp) {
        ret = K1S_EGONE;
        goto cleanup;
    }
    if ((ret = k1s__stmt(c, K1S__ST_EVENTS_RANGE, &st)))
        goto cleanup;
    if (sqlite3_bind_int64(st, 1, from_rev) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, upto) != SQLITE_OK) {
        ret = K1S_EIO;
        goto cleanup;
    }
    if ((ret = k1s__bind_str(st, 3, w->group)) || (ret = k1s__bind_str(st, 4, w->resource)) ||
        (ret = k1s__bind_str(st, 5, w->ns)))
        goto cleanup;
    for (;;) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            ret = K1S_EIO;
            goto cleanup;
        }
        if ((ret = replay_row(st, rb)))
            goto cleanup;
        if (rb->n > w->max_events || rb->bytes > w->max_bytes) {
            *overflow = 1;
            break;
        }
    }
cleanup:
    if (st)
        k1s__stmt_done(c, K1S__ST_EVENTS_RANGE, st);
    if (in_tx)
        k1s__rollback(c);
    k1s__reader_put(s, c);
    return ret;
}

/* Puts the replayed events in front of whatever arrived live meanwhile. */
static void replay_merge(k1s_watch *w, replay_buf *rb, int overflow)
{
    pthread_mutex_lock(&w->mu);
    if (w->dropped) {
        /* nothing: already dropped */
    } else if (overflow || rb->n + w->qlen > w->max_events ||
               rb->bytes + w->qbytes > w->max_bytes) {
        watch_drop(w);
    } else if (rb->n) {
        size_t cap = rb->n + w->qlen;
        if (cap < 64)
            cap = 64;
        if (queue_realloc(w, cap, rb->n)) {
            watch_drop(w);
        } else {
            memcpy(w->q, rb->v, rb->n * sizeof *rb->v);
            w->qlen += rb->n;
            w->qbytes += rb->bytes;
            rb->n = 0; /* references moved into the queue */
        }
    }
    pthread_mutex_unlock(&w->mu);
    replay_free(rb);
}

/* ---- public watch API ---------------------------------------------------- */

static int dup_opt(const char *v, char **out)
{
    *out = NULL;
    if (!v)
        return 0;
    if (!k1s__key_part_valid(v))
        return K1S_EINVAL;
    *out = strdup(v);
    return *out ? 0 : K1S_ENOMEM;
}

static void watch_free(k1s_watch *w)
{
    queue_clear(w);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->group);
    free(w->resource);
    free(w->ns);
    free(w);
}

int k1s_store_watch(k1s_store *s, const char *group, const char *resource, const char *ns,
                    int64_t from_rev, k1s_watch_notify_fn notify, void *ctx, k1s_watch **out)
{
    if (out)
        *out = NULL;
    if (!s || !out || from_rev < 0)
        return K1S_EINVAL;
    k1s_watch *w = calloc(1, sizeof *w);
    if (!w)
        return K1S_ENOMEM;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int ret;
    if ((ret = dup_opt(group, &w->group)) || (ret = dup_opt(resource, &w->resource)) ||
        (ret = dup_opt(ns, &w->ns))) {
        watch_free(w);
        return ret;
    }
    w->notify = notify;
    w->ctx = ctx;
    w->from_rev = from_rev;

    k1s__hub *h = s->hub;
    pthread_mutex_lock(&h->mu);
    if (h->closed || from_rev < atomic_load(&s->compacted)) {
        ret = h->closed ? K1S_EINVAL : K1S_EGONE;
        pthread_mutex_unlock(&h->mu);
        watch_free(w);
        return ret;
    }
    w->max_events = h->max_events;
    w->max_bytes = h->max_bytes;
    w->hub = h;
    h->refs++;
    /* Registered first: every event after `head` reaches the queue live. */
    w->next = h->watchers;
    if (h->watchers)
        h->watchers->prev = w;
    h->watchers = w;
    w->linked = 1;
    int64_t head = h->head;
    int need_db = 0;
    if (from_rev < head) {
        int64_t oldest = head - RING_MASK;
        if (oldest < h->ring_first)
            oldest = h->ring_first;
        if (from_rev + 1 >= oldest) {
            pthread_mutex_lock(&w->mu);
            for (int64_t r = from_rev + 1; r <= head; r++) {
                k1s_event *e = h->ring[r & RING_MASK];
                if (!e || e->rev != r) {
                    /* Cannot happen while the ring invariant holds; never
                     * serve a gap if it does. */
                    watch_drop(w);
                    break;
                }
                if (watch_match(w, e) && queue_push(w, e))
                    break;
            }
            pthread_mutex_unlock(&w->mu);
        } else {
            need_db = 1;
        }
    }
    pthread_mutex_unlock(&h->mu);

    if (need_db) {
        replay_buf rb = {0};
        int overflow = 0;
        ret = replay_read(s, w, from_rev, head, &rb, &overflow);
        if (ret) {
            replay_free(&rb);
            k1s_watch_close(w);
            return ret;
        }
        replay_merge(w, &rb, overflow);
    }
    *out = w;
    return 0;
}

int k1s_watch_next(k1s_watch *w, k1s_event **ev)
{
    if (ev)
        *ev = NULL;
    if (!w || !ev)
        return K1S_EINVAL;
    pthread_mutex_lock(&w->mu);
    int ret = 0;
    if (w->dropped) {
        ret = K1S_EOVERFLOW;
    } else if (w->qlen) {
        *ev = w->q[w->qhead];
        w->q[w->qhead] = NULL;
        w->qhead = (w->qhead + 1) % w->qcap;
        w->qlen--;
        w->qbytes -= ev_cost(*ev);
        /* Give back a queue that grew large during a burst. */
        if (w->qlen == 0 && w->qcap > 1024)
            queue_clear(w);
        ret = 1;
    }
    pthread_mutex_unlock(&w->mu);
    return ret;
}

void k1s_watch_close(k1s_watch *w)
{
    if (!w)
        return;
    k1s__hub *h = w->hub;
    pthread_mutex_lock(&h->mu);
    hub_unlink(h, w);
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_lock(&w->mu);
    w->closing = 1;
    while (w->busy)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    watch_free(w);
    hub_unref(h);
}
