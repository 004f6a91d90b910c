/*
 * store_update.c - k1s_store_update, the store's only write path for objects
 * (the equivalent of kube-apiserver's GuaranteedUpdate), with group commit.
 *
 * Every call queues a request. A caller that finds no leader becomes the
 * leader at once; the others sleep. The leader takes what is queued right
 * now (never waiting for more, so a lone writer pays nothing; at most
 * K1S__BATCH_MAX), opens one write transaction, applies each request in
 * arrival order (store_apply.c: callback, then rows inside a savepoint),
 * gives each applied write the next revision, commits once, publishes the
 * events in revision order, wakes the callers with their results and hands
 * the leadership to the oldest caller that queued meanwhile. Watch
 * notifications run after every store lock and the leadership are released.
 * See docs/internals/storage.md.
 */
#include <semaphore.h>
#include <stdlib.h>

#include "store_internal.h"

/* A request that had succeeded inside a transaction that was then lost. */
static void fail_request(k1s__wreq *r, int ret)
{
    json_decref(r->result);
    r->result = NULL;
    free(r->text);
    r->text = NULL;
    r->type = 0;
    r->rev = 0;
    r->ret = ret;
}

/* Requests [from, to) ran in a transaction that is gone: whatever succeeded
 * in it fails now (NOOPs too: they may have read its uncommitted rows,
 * unless nothing had been written); a callback's own error is kept. */
static void fail_range(k1s__wreq **v, size_t from, size_t to, int wrote, int ret)
{
    for (size_t i = from; i < to; i++)
        if (v[i]->ret == 0 && (wrote || v[i]->type))
            fail_request(v[i], ret);
}

/* Leader only. Applies v[0..n) in one transaction (a new one if a failure
 * lost it), commits once, and publishes what it committed; collects the
 * watchers to notify in nb. */
static void run_batch(k1s_store *s, k1s__wreq **v, size_t n, k1s__notify_batch *nb)
{
    pthread_mutex_lock(&s->write_mu);
    k1s__db_enter(s);
    s->n_batches++;
    s->n_batched += n;
    if (n > s->max_batch)
        s->max_batch = n;
    int64_t base = atomic_load(&s->rev);
    s->tx_rev = base;
    size_t ran = 0, tx_first = 0; /* tx_first: first request of this tx */
    int ret = k1s__exec(s->writer, K1S__ST_BEGIN_IMMEDIATE);
    while (!ret && ran < n) {
        k1s__wreq *r = v[ran++];
        int wrote = s->tx_rev > base;
        if (k1s__apply(s, r, s->tx_rev + 1, !wrote)) {
            fail_range(v, tx_first, ran, wrote, K1S_EIO);
            s->tx_rev = base;
            tx_first = ran;
            ret = k1s__exec(s->writer, K1S__ST_BEGIN_IMMEDIATE);
        } else if (r->type) {
            s->tx_rev++;
        }
    }
    /* No revision row is written: the event rows carry the revision across
     * restarts (store.c), which keeps a lone commit at three pages. */
    if (!ret)
        ret = k1s__exec(s->writer, K1S__ST_COMMIT);
    if (ret) {
        k1s__rollback(s->writer);
        fail_range(v, tx_first, ran, s->tx_rev > base, ret);
        for (size_t i = ran; i < n; i++)
            v[i]->ret = ret;
        s->tx_rev = base;
    } else {
        atomic_store(&s->rev, s->tx_rev);
    }
    k1s__db_leave(s);

    /* Published under write_mu so watchers receive revisions in order. */
    for (size_t i = 0; i < n; i++) {
        k1s__wreq *r = v[i];
        if (!r->type)
            continue;
        k1s_event *ev = k1s__event_new(r->rev, r->type, r->key->group, r->key->resource, r->key->ns,
                                       r->key->name, r->text, r->len);
        atomic_fetch_add(&s->log_bytes, (uint64_t)r->len);
        if (ev) {
            r->text = NULL; /* owned by the event now */
            k1s__hub_publish(s->hub, ev, nb);
        } else {
            k1s__hub_lost(s->hub, r->rev, nb);
        }
    }
    pthread_mutex_unlock(&s->write_mu);
}

/* q_mu held. Moves up to K1S__BATCH_MAX queued requests into v. */
static size_t take_batch(k1s_store *s, k1s__wreq **v)
{
    size_t n = 0;
    while (n < K1S__BATCH_MAX && s->q_head) {
        v[n++] = s->q_head;
        s->q_head = s->q_head->next;
    }
    if (!s->q_head)
        s->q_tail = NULL;
    return n;
}

/* Wakes a sleeping caller. Nothing of r may be touched afterwards: the
 * caller may return at once and its request is on its stack. */
static void wake(k1s__wreq *r, int state)
{
    r->state = state;
    sem_post(&r->sem);
}

/* The leader's work: batches from the head of the queue until its own
 * request r is applied, then leadership goes to the next queued caller (or
 * lapses). Watch notifications are collected in nb. */
static void lead(k1s_store *s, k1s__wreq *r, k1s__notify_batch *nb)
{
    int own_done = 0;
    while (!own_done) {
        k1s__wreq *v[K1S__BATCH_MAX];
        pthread_mutex_lock(&s->q_mu);
        size_t n = take_batch(s, v);
        pthread_mutex_unlock(&s->q_mu);
        run_batch(s, v, n, nb);
        for (size_t i = 0; i < n; i++) {
            if (v[i] == r)
                own_done = 1;
            else
                wake(v[i], K1S__WREQ_DONE);
        }
        if (!own_done)
            k1s__notify_batch_run(nb); /* more than a batch was ahead */
    }
    pthread_mutex_lock(&s->q_mu);
    k1s__wreq *next = s->q_head; /* stays queued: it takes its own batch */
    if (!next)
        s->q_leader = 0;
    pthread_mutex_unlock(&s->q_mu);
    if (next)
        wake(next, K1S__WREQ_LEAD);
}

int k1s_store_update(k1s_store *s, const k1s_key *key, k1s_store_mutate_fn fn, void *ctx,
                     json_t **result, int64_t *rev)
{
    if (result)
        *result = NULL;
    if (rev)
        *rev = 0;
    if (!s || !k1s__key_valid(key) || !fn)
        return K1S_EINVAL;
    /* From inside one of this store's callbacks the write could never be
     * applied: this thread is the leader that would have to apply it. */
    if (k1s__in_callback(s))
        return K1S_EINVAL;
    k1s__wreq r = {.key = key, .fn = fn, .ctx = ctx};
    if (sem_init(&r.sem, 0, 0))
        return K1S_ENOMEM;
    k1s__notify_batch nb;
    k1s__notify_batch_init(&nb);

    pthread_mutex_lock(&s->q_mu);
    if (s->q_tail)
        s->q_tail->next = &r;
    else
        s->q_head = &r;
    s->q_tail = &r;
    int leader = !s->q_leader;
    s->q_leader = 1;
    pthread_mutex_unlock(&s->q_mu);
    if (!leader) {
        while (sem_wait(&r.sem) != 0)
            ; /* EINTR */
        leader = r.state == K1S__WREQ_LEAD;
    }
    if (leader)
        lead(s, &r, &nb);
    k1s__notify_batch_run(&nb);
    sem_destroy(&r.sem);

    if (result)
        *result = r.result;
    else
        json_decref(r.result);
    if (rev)
        *rev = r.rev;
    return r.ret;
}

void k1s__store_batch_stats(k1s_store *s, uint64_t *batches, uint64_t *requests, size_t *max_batch)
{
    pthread_mutex_lock(&s->write_mu);
    *batches = s->n_batches;
    *requests = s->n_batched;
    *max_batch = s->max_batch;
    pthread_mutex_unlock(&s->write_mu);
}
