/*
 * stream_hub.c - the owner of a server's long-lived pod streams:
 * upgraded exec/attach/portforward tunnels (a thread each) and followed
 * logs (suspended connections). It lets the server stop them all, wakes
 * followed logs on a ticker so no one polls in a loop, and reaps upgrade
 * answers libmicrohttpd never delivered.
 */
#include "stream_internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct k1s_stream_hub {
    k1s_api *api; /* borrowed */
    /* borrowed, set after start: read with k1s__hub_node() */
    const k1s_node_backend *node;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* ticker wake-ups; thread count changes */
    bool stopping;
    k1s_hub_member *members;
    size_t nperiodic;
    k1s_pending_upgrade *pending;
    size_t nthreads; /* tunnel threads still running */
    pthread_t ticker;
    bool ticker_running;
};

/* Reap pending upgrades past their deadline. Caller holds h->mu; the
 * reaped ones are returned as a list to discard outside the lock. */
static k1s_pending_upgrade *expired_pending(k1s_stream_hub *h, int64_t now)
{
    k1s_pending_upgrade *dead = NULL;
    for (k1s_pending_upgrade **p = &h->pending; *p;) {
        if ((*p)->deadline_ms <= now || h->stopping) {
            k1s_pending_upgrade *x = *p;
            *p = x->next;
            x->next = dead;
            dead = x;
        } else {
            p = &(*p)->next;
        }
    }
    return dead;
}

static void discard_all(k1s_pending_upgrade *list)
{
    while (list) {
        k1s_pending_upgrade *next = list->next;
        list->discard(list);
        list = next;
    }
}

/* Sleeps on the condition variable: every tick while something periodic
 * or pending is registered, otherwise until something is. */
static void *ticker_main(void *arg)
{
    k1s_stream_hub *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stopping) {
        if (h->nperiodic == 0 && !h->pending) {
            pthread_cond_wait(&h->cv, &h->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += K1S_HUB_TICK_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
        if (h->stopping)
            break;
        for (k1s_hub_member *m = h->members; m; m = m->next)
            if (m->periodic)
                m->poke(m->ctx, false);
        k1s_pending_upgrade *dead = expired_pending(h, k1s_time_mono_ms());
        if (dead) {
            pthread_mutex_unlock(&h->mu);
            discard_all(dead);
            pthread_mutex_lock(&h->mu);
        }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

k1s_stream_hub *k1s_stream_hub_new(k1s_api *api)
{
    k1s_stream_hub *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->api = api;
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&h->ticker, NULL, ticker_main, h) == 0)
        h->ticker_running = true;
    return h;
}

void k1s_stream_hub_stop(k1s_stream_hub *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->stopping = true;
    pthread_cond_broadcast(&h->cv);
    for (k1s_hub_member *m = h->members; m; m = m->next)
        m->poke(m->ctx, true);
    k1s_pending_upgrade *dead = expired_pending(h, INT64_MAX);
    pthread_mutex_unlock(&h->mu);
    discard_all(dead);
    if (h->ticker_running) {
        pthread_join(h->ticker, NULL);
        h->ticker_running = false;
    }
    /* tunnel threads close their upgraded sockets through libmicrohttpd,
       so they must be gone before the daemon stops */
    pthread_mutex_lock(&h->mu);
    while (h->nthreads)
        pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void k1s_stream_hub_free(k1s_stream_hub *h)
{
    if (!h)
        return;
    k1s_stream_hub_stop(h);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

k1s_api *k1s__hub_api(k1s_stream_hub *h)
{
    return h->api;
}

void k1s_stream_hub_set_node_backend(k1s_stream_hub *h, const k1s_node_backend *b)
{
    __atomic_store_n(&h->node, b, __ATOMIC_RELEASE);
}

const k1s_node_backend *k1s__hub_node(k1s_stream_hub *h)
{
    return __atomic_load_n(&h->node, __ATOMIC_ACQUIRE);
}

int k1s__hub_join(k1s_stream_hub *h, k1s_hub_member *m)
{
    pthread_mutex_lock(&h->mu);
    if (h->stopping) {
        pthread_mutex_unlock(&h->mu);
        return -1;
    }
    m->next = h->members;
    h->members = m;
    if (m->periodic && h->nperiodic++ == 0)
        pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void k1s__hub_leave(k1s_stream_hub *h, k1s_hub_member *m)
{
    pthread_mutex_lock(&h->mu);
    for (k1s_hub_member **p = &h->members; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            if (m->periodic)
                h->nperiodic--;
            break;
        }
    pthread_mutex_unlock(&h->mu);
}

int k1s__hub_thread_start(k1s_stream_hub *h)
{
    pthread_mutex_lock(&h->mu);
    int rc = h->stopping ? -1 : 0;
    if (!rc)
        h->nthreads++;
    pthread_mutex_unlock(&h->mu);
    return rc;
}

void k1s__hub_thread_done(k1s_stream_hub *h)
{
    pthread_mutex_lock(&h->mu);
    h->nthreads--;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

int k1s__hub_run(k1s_stream_hub *h, k1s_hub_member *m, int client, int backend, void *(*fn)(void *),
                 void *arg)
{
    fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK);
    fcntl(backend, F_SETFL, fcntl(backend, F_GETFL) | O_NONBLOCK);
    if (k1s__hub_thread_start(h))
        return -1;
    if (k1s__hub_join(h, m)) {
        k1s__hub_thread_done(h);
        return -1;
    }
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_t th;
    int rc = pthread_create(&th, &a, fn, arg);
    pthread_attr_destroy(&a);
    if (rc == 0)
        return 0;
    k1s__hub_leave(h, m);
    k1s__hub_thread_done(h);
    return -1;
}

void k1s__hub_pending_add(k1s_stream_hub *h, k1s_pending_upgrade *p)
{
    pthread_mutex_lock(&h->mu);
    if (h->stopping) {
        pthread_mutex_unlock(&h->mu);
        p->discard(p);
        return;
    }
    p->next = h->pending;
    h->pending = p;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

k1s_pending_upgrade *k1s__hub_pending_take(k1s_stream_hub *h, struct MHD_Connection *con)
{
    k1s_pending_upgrade *found = NULL;
    pthread_mutex_lock(&h->mu);
    for (k1s_pending_upgrade **p = &h->pending; *p; p = &(*p)->next)
        if ((*p)->con == con) {
            found = *p;
            *p = found->next;
            found->next = NULL;
            break;
        }
    pthread_mutex_unlock(&h->mu);
    return found;
}
