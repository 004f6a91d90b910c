/*
 * ctrl_internal.h - the manager's own structures, shared by manager.c,
 * informer.c and the client helpers. Controllers use ctrl.h only.
 */
#ifndef K1S_CTRL_INTERNAL_H
#define K1S_CTRL_INTERNAL_H

#include <pthread.h>

#include "ctrl.h"

#define K1S_CTRL_MAX_INFORMERS 24
#define K1S_CTRL_MAX 24

struct k1s_informer {
    const k1s_kind *kind;
    json_t *cache;        /* owned: "ns/name" -> object */
    k1s_watch *w;         /* owned */
    int64_t rev;          /* revision of the last list or event applied */
    /* controllers interested, with their map functions */
    struct {
        int ctrl_id;
        k1s_map_fn map;   /* NULL: the object is the primary itself */
    } subs[K1S_CTRL_MAX];
    int nsubs;
};

typedef struct k1s__timer {
    int64_t due;
    int ctrl_id;
    char *key; /* owned */
} k1s__timer;

typedef struct k1s__controller {
    const k1s_controller_def *def;
    void *state;
    json_t *queued;   /* owned set of keys waiting (dedup) */
    json_t *fifo;     /* owned array of keys, in order, from index head */
    size_t head;
    json_t *failures; /* owned: key -> consecutive failures */
} k1s__controller;

struct k1s_ctrl {
    k1s_api *api;
    k1s_controllers_config cfg;
    void *user;         /* borrowed: k1s_controllers_start_defs' user */
    char *node_name, *data_dir, *api_host; /* owned copies */
    k1s_informer informers[K1S_CTRL_MAX_INFORMERS];
    int ninformers;
    k1s__controller ctrls[K1S_CTRL_MAX];
    int nctrls;
    k1s__timer *timers; /* owned */
    size_t ntimers, captimers;
    pthread_t thread;
    pthread_mutex_t mu;  /* guards wake and stop only */
    pthread_cond_t cv;
    bool wake, stop, running;
};

void k1s__ctrl_wake(void *ctx);
void k1s__ctrl_changed(k1s_ctrl *c, k1s_informer *inf, const json_t *old,
                       const json_t *obj);
int k1s__informer_sync(k1s_ctrl *c, k1s_informer *inf);
int k1s__informer_drain(k1s_ctrl *c, k1s_informer *inf);

#endif
