/*
 * ctrl_internal.h - the manager's own structures, shared by manager.c,
 * informer.c and the client helpers. Controllers use ctrl.h only.
 */
#ifndef K1S_CTRL_INTERNAL_H
#define K1S_CTRL_INTERNAL_H

#include <pthread.h>

#include "k1s_ctrl.h"
#include "k1s_vec.h"

/* A controller interested in an informer's kind, with its map function. */
typedef struct k1s__sub {
    int ctrl_id;
    k1s_map_fn map; /* NULL: the object is the primary itself */
} k1s__sub;

struct k1s_informer {
    const k1s_kind *kind;
    json_t *cache; /* owned: "ns/name" -> object */
    k1s_watch *w;  /* owned */
    int64_t rev;   /* revision of the last list or event applied */
    k1s_vec subs;  /* of k1s__sub, fixed once the manager runs */
};

typedef struct k1s__timer {
    int64_t due;
    int ctrl_id;
    char *key; /* owned */
} k1s__timer;

typedef struct k1s__controller {
    const k1s_controller_def *def;
    void *state;
    json_t *queued; /* owned set of keys waiting (dedup) */
    json_t *fifo;   /* owned array of keys, in order, from index head */
    size_t head;
    json_t *failures; /* owned: key -> consecutive failures */
    bool inited;      /* init has run: fini is owed */
} k1s__controller;

/* No count here is capped: informers, controllers, subscriptions and
 * timers grow as needed, and what cannot be added (out of memory, a kind
 * that is not served) is an error, never a silent drop. */
struct k1s_ctrl {
    k1s_api *api;
    k1s_controllers_config cfg;
    void *user;                            /* borrowed: k1s_controllers_start_defs' user */
    char *node_name, *data_dir, *api_host; /* owned copies */
    /* of k1s_informer *, each owned and never moved: controllers keep
       the pointers */
    k1s_vec informers;
    k1s__controller *ctrls; /* owned array of nctrls, ids are indexes */
    int nctrls;
    k1s_vec timers; /* of k1s__timer */
    pthread_t thread;
    pthread_mutex_t mu; /* guards wake and stop only */
    pthread_cond_t cv;
    bool wake, stop, running;
};

/* The informer at index i of c->informers. */
static inline k1s_informer *k1s__ctrl_informer_at(const k1s_ctrl *c, size_t i)
{
    return ((k1s_informer **)c->informers.p)[i];
}

void k1s__ctrl_wake(void *ctx);
void k1s__ctrl_changed(k1s_ctrl *c, k1s_informer *inf, const json_t *old, const json_t *obj);
int k1s__informer_sync(k1s_ctrl *c, k1s_informer *inf);
int k1s__informer_drain(k1s_ctrl *c, k1s_informer *inf);

#endif
