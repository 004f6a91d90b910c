/*
 * store_update.c - k1s_store_update, the store's only write path for objects
 * (the equivalent of kube-apiserver's GuaranteedUpdate), with group commit.
 *
 * Every call queues a request and sleeps. The first caller that finds no
 * leader becomes the leader: it takes what is queued right now (never
 * waiting for more, so a lone writer pays nothing; at most K1S__BATCH_MAX),
 * opens one write transaction, applies each request in arrival order
 * (store_apply.c: callback, then rows inside a savepoint), gives each
 * applied write the next revision, writes the revision meta row, commits
 * once, publishes the events in revision order, and wakes the callers with
 * their results. Callers that queued meanwhile form the next batch. Watch
 * notifications run after every store lock and the leadership are released.
 */
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

/* Leader only. Applies v[0..n) in one transaction and publishes what it
 * committed; collects the watchers to notify in nb. */
static void run_batch(k1s_store *s, k1s__wreq **v, size_t n,
                      k1s__notify_batch *nb)
{
    pthread_mutex_lock(&s->write_mu);
    k1s__db_enter(s);
    int64_t base = atomic_load(&s->rev);
    s->tx_rev = base;
    size_t ran = 0;
    int ret = k1s__exec(s->writer, K1S__ST_BEGIN_IMMEDIATE);
    while (!ret && ran < n) {
        k1s__wreq *r = v[ran++];
        ret = k1s__apply(s, r, s->tx_rev + 1);
        if (r->type)
            s->tx_rev++;
    }
    /* The meta row keeps the revision across restarts even when the newest
     * object is deleted later; once per batch is enough. */
    if (!ret && s->tx_rev > base)
        ret = k1s__meta_set_int(s->writer, K1S__META_REV, s->tx_rev);
    if (!ret)
        ret = k1s__exec(s->writer, K1S__ST_COMMIT);
    if (ret) {
        k1s__rollback(s->writer);
        /* Nothing of this transaction is kept: whatever succeeded in it
         * (and NOOPs, which may have read its uncommitted rows) fails now;
         * a request whose callback refused keeps its own error. */
        for (size_t i = 0; i < n; i++) {
            if (i >= ran)
                v[i]->ret = ret;
            else if (v[i]->ret == 0)
                fail_request(v[i], ret);
        }
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
        k1s_event *ev = k1s__event_new(r->rev, r->type, r->key->group,
                                       r->key->resource, r->key->ns,
                                       r->key->name, r->text, r->len);
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

int k1s_store_update(k1s_store *s, const k1s_key *key, k1s_store_mutate_fn fn,
                     void *ctx, json_t **result, int64_t *rev)
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
    pthread_cond_init(&r.cv, NULL);
    k1s__notify_batch nb;
    k1s__notify_batch_init(&nb);

    pthread_mutex_lock(&s->q_mu);
    if (s->q_tail)
        s->q_tail->next = &r;
    else
        s->q_head = &r;
    s->q_tail = &r;
    while (!r.done && s->q_leader)
        pthread_cond_wait(&r.cv, &s->q_mu);
    if (!r.done) {
        s->q_leader = 1;
        while (!r.done) {
            k1s__wreq *v[K1S__BATCH_MAX];
            size_t n = take_batch(s, v);
            pthread_mutex_unlock(&s->q_mu);
            run_batch(s, v, n, &nb);
            pthread_mutex_lock(&s->q_mu);
            /* A woken caller may return and free its request at once:
             * nothing of v[i] is touched after its signal. */
            for (size_t i = 0; i < n; i++) {
                v[i]->done = 1;
                if (v[i] != &r)
                    pthread_cond_signal(&v[i]->cv);
            }
            if (!r.done) {
                /* More than a batch was queued ahead of this caller. */
                pthread_mutex_unlock(&s->q_mu);
                k1s__notify_batch_run(&nb);
                pthread_mutex_lock(&s->q_mu);
            }
        }
        s->q_leader = 0;
        /* Whoever queued meanwhile leads the next batch. */
        if (s->q_head)
            pthread_cond_signal(&s->q_head->cv);
    }
    pthread_mutex_unlock(&s->q_mu);
    k1s__notify_batch_run(&nb);
    pthread_cond_destroy(&r.cv);

    if (result)
        *result = r.result;
    else
        json_decref(r.result);
    if (rev)
        *rev = r.rev;
    return r.ret;
}
