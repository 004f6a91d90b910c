/*
 * manager.c - runs the controllers: one loop thread that applies watch
 * events to the informer caches, turns changes into keys on the
 * controllers' work queues, fires delayed requeues, and calls the
 * reconcilers. Errors requeue with exponential backoff; a restart resumes
 * from what is stored, since every reconciler is level-triggered.
 */
#include "ctrl_internal.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "k1s_time.h"

int64_t k1s_ctrl_now_ms(void)
{
    return k1s_time_mono_ms();
}

k1s_api *k1s_ctrl_api(k1s_ctrl *c)
{
    return c->api;
}

const k1s_controllers_config *k1s_ctrl_config(k1s_ctrl *c)
{
    return &c->cfg;
}

void *k1s_ctrl_user(k1s_ctrl *c)
{
    return c->user;
}

void *k1s_ctrl_state(k1s_ctrl *c, int ctrl_id)
{
    if (ctrl_id < 0 || ctrl_id >= c->nctrls)
        return NULL;
    return c->ctrls[ctrl_id].state;
}

void k1s__ctrl_wake(void *ctx)
{
    k1s_ctrl *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->wake = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* ---- queues ---------------------------------------------------------------- */

static void queue_key(k1s_ctrl *c, int id, const char *key)
{
    /* ids are the manager's own: a controller's, or one handed to its map */
    assert(id >= 0 && id < c->nctrls);
    if (id < 0 || id >= c->nctrls)
        return;
    k1s__controller *k = &c->ctrls[id];
    if (json_object_get(k->queued, key))
        return;
    /* queued and in the fifo, or neither: a key marked queued but never
       run would be stuck for good */
    if (json_object_set_new(k->queued, key, json_true()) != 0 ||
        json_array_append_new(k->fifo, json_string(key)) != 0) {
        json_object_del(k->queued, key);
        fprintf(stderr, "k1s: controllers: %s: out of memory, %s not queued\n", k->def->name, key);
    }
}

void k1s_ctrl_enqueue(k1s_ctrl *c, int ctrl_id, const char *ns, const char *name)
{
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns ? ns : "", name ? name : "");
    queue_key(c, ctrl_id, key);
}

void k1s_ctrl_enqueue_after(k1s_ctrl *c, int ctrl_id, const char *ns, const char *name,
                            int64_t delay_ms)
{
    if (delay_ms <= 0) {
        k1s_ctrl_enqueue(c, ctrl_id, ns, name);
        return;
    }
    /* ids may be set before the loop runs (from init), but only ours */
    assert(ctrl_id >= 0 && ctrl_id < c->nctrls);
    char key[600];
    snprintf(key, sizeof key, "%s/%s", ns ? ns : "", name ? name : "");
    char *dup = strdup(key);
    k1s__timer *t = dup ? k1s_vec_push(&c->timers) : NULL;
    if (!t) {
        free(dup);
        fprintf(stderr, "k1s: controllers: out of memory, requeue of %s dropped\n", key);
        return;
    }
    *t = (k1s__timer){k1s_time_mono_ms() + delay_ms, ctrl_id, dup};
}

void k1s_ctrl_enqueue_owner(k1s_ctrl *c, int ctrl_id, const json_t *obj, const char *owner_kind)
{
    const json_t *m = json_object_get(obj, "metadata");
    const json_t *refs = json_object_get(m, "ownerReferences");
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *kind = json_string_value(json_object_get(r, "kind"));
        if (json_is_true(json_object_get(r, "controller")) && kind && !strcmp(kind, owner_kind))
            k1s_ctrl_enqueue(c, ctrl_id, json_string_value(json_object_get(m, "namespace")),
                             json_string_value(json_object_get(r, "name")));
    }
}

/* Move due timers to their queues; returns ms until the next one (or -1). */
static int64_t fire_timers(k1s_ctrl *c)
{
    int64_t now = k1s_time_mono_ms(), next = -1;
    k1s__timer *timers = c->timers.p;
    for (size_t i = 0; i < c->timers.n;) {
        k1s__timer *t = &timers[i];
        if (t->due <= now) {
            queue_key(c, t->ctrl_id, t->key);
            free(t->key);
            *t = timers[--c->timers.n]; /* order does not matter */
            continue;
        }
        if (next < 0 || t->due - now < next)
            next = t->due - now;
        i++;
    }
    return next;
}

/* ---- changes ----------------------------------------------------------------- */

void k1s__ctrl_changed(k1s_ctrl *c, k1s_informer *inf, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    const json_t *m = json_object_get(any, "metadata");
    const k1s__sub *subs = inf->subs.p;
    for (size_t i = 0; i < inf->subs.n; i++) {
        if (subs[i].map)
            subs[i].map(c, subs[i].ctrl_id, old, obj);
        else
            k1s_ctrl_enqueue(c, subs[i].ctrl_id, json_string_value(json_object_get(m, "namespace")),
                             json_string_value(json_object_get(m, "name")));
    }
}

k1s_informer *k1s_ctrl_informer(k1s_ctrl *c, const char *group, const char *kind)
{
    const k1s_kind *k = k1s_registry_find_kind(group, kind);
    if (!k)
        return NULL;
    for (size_t i = 0; i < c->informers.n; i++)
        if (k1s__ctrl_informer_at(c, i)->kind == k)
            return k1s__ctrl_informer_at(c, i);
    k1s_informer *inf = calloc(1, sizeof *inf);
    if (inf)
        inf->cache = json_object();
    if (!inf || !inf->cache || k1s_vec_append(&c->informers, &inf) != 0) {
        fprintf(stderr, "k1s: controllers: out of memory for an informer of %s\n", k->plural);
        if (inf)
            json_decref(inf->cache);
        free(inf);
        return NULL;
    }
    inf->kind = k;
    inf->subs = K1S_VEC(k1s__sub);
    if (k1s__informer_sync(c, inf) != 0)
        fprintf(stderr, "k1s: controllers: cannot watch %s\n", k->plural);
    return inf;
}

/* Subscribe controller id to group/kind: 0, or -1 with *err saying why. */
static int subscribe(k1s_ctrl *c, int id, const char *group, const char *kind, k1s_map_fn map,
                     char **err)
{
    const char *cname = c->ctrls[id].def->name ? c->ctrls[id].def->name : "?";
    k1s_informer *inf = k1s_ctrl_informer(c, group, kind);
    if (!inf) {
        if (asprintf(err, "controller %s: cannot watch %s%s%s: %s", cname, group, *group ? "/" : "",
                     kind,
                     k1s_registry_find_kind(group, kind) ? "out of memory" : "kind not served") < 0)
            *err = NULL;
        return -1;
    }
    if (k1s_vec_append(&inf->subs, &(k1s__sub){id, map}) != 0) {
        if (asprintf(err, "controller %s: out of memory subscribing to %s", cname, kind) < 0)
            *err = NULL;
        return -1;
    }
    /* what is already cached counts as added */
    const char *key;
    json_t *obj;
    json_object_foreach(inf->cache, key, obj)
    {
        if (map)
            map(c, id, NULL, obj);
        else
            queue_key(c, id, key);
    }
    return 0;
}

/* Every subscription def id asks for: its primary kind, every kind
 * (watch_all), its watches. 0, or -1 with *err. */
static int subscribe_all(k1s_ctrl *c, int id, char **err)
{
    const k1s_controller_def *d = c->ctrls[id].def;
    if (d->kind && subscribe(c, id, d->group ? d->group : "", d->kind, NULL, err))
        return -1;
    if (d->watch_all) {
        size_t n;
        const k1s_kind *kinds = k1s_registry_kinds(&n);
        for (size_t i = 0; i < n; i++)
            if (subscribe(c, id, kinds[i].group, kinds[i].kind, d->watch_all, err))
                return -1;
    }
    /* the compiler refuses more than K1S_CTRL_MAX_WATCHES initializers */
    for (int w = 0; w < K1S_CTRL_MAX_WATCHES && d->watches[w].kind; w++) {
        const char *g = d->watches[w].group ? d->watches[w].group : "";
        if (subscribe(c, id, g, d->watches[w].kind, d->watches[w].map, err))
            return -1;
    }
    return 0;
}

/* ---- the loop ------------------------------------------------------------------ */

/* Exponential backoff per key, as client-go's default rate limiter: 5 ms
 * doubling up to about 16 s. */
static int64_t backoff_ms(int failures)
{
    int64_t d = 5;
    for (int i = 1; i < failures && d < 16000; i++)
        d *= 2;
    return d > 16000 ? 16000 : d;
}

static bool run_one(k1s_ctrl *c, int id)
{
    k1s__controller *k = &c->ctrls[id];
    if (k->head >= json_array_size(k->fifo))
        return false;
    char full[600], key[600];
    snprintf(full, sizeof full, "%s", json_string_value(json_array_get(k->fifo, k->head++)));
    json_object_del(k->queued, full);
    if (k->head == json_array_size(k->fifo)) {
        /* drained: start the array afresh rather than shifting it */
        json_array_clear(k->fifo);
        k->head = 0;
    }
    memcpy(key, full, sizeof key);
    char *slash = strchr(key, '/');
    if (!slash)
        return true;
    *slash = 0;
    const char *ns = key, *name = slash + 1;
    int rc = k->def->reconcile(c, k->state, ns, name);
    if (rc == 0) {
        json_object_del(k->failures, full);
    } else if (rc > 0) {
        json_object_del(k->failures, full);
        k1s_ctrl_enqueue_after(c, id, ns, name, rc);
    } else {
        int n = (int)json_integer_value(json_object_get(k->failures, full)) + 1;
        json_object_set_new(k->failures, full, json_integer(n));
        k1s_ctrl_enqueue_after(c, id, ns, name, backoff_ms(n));
    }
    return true;
}

static void *loop(void *arg)
{
    k1s_ctrl *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        bool stop = c->stop;
        c->wake = false;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        int work = 0;
        /* by index: a reconciler may add an informer (k1s_ctrl_informer) */
        for (size_t i = 0; i < c->informers.n; i++)
            work += k1s__informer_drain(c, k1s__ctrl_informer_at(c, i));
        int64_t next = fire_timers(c);
        /* a bounded slice per controller keeps watch events flowing */
        for (int round = 0; round < 32; round++) {
            bool any = false;
            for (int i = 0; i < c->nctrls; i++)
                any |= run_one(c, i);
            if (!any)
                break;
            work++;
        }
        if (work)
            continue;
        pthread_mutex_lock(&c->mu);
        if (!c->wake && !c->stop) {
            /* the condition variable's clock is the wall clock */
            int64_t wait = next < 0 || next > 1000 ? 1000 : next;
            int64_t until = k1s_time_wall_ms() + wait;
            struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000};
            pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        }
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

/* ---- start and stop ---------------------------------------------------------------- */

static void release(k1s_ctrl *c)
{
    for (int i = 0; i < c->nctrls; i++) {
        k1s__controller *k = &c->ctrls[i];
        if (k->inited && k->def->fini)
            k->def->fini(k->state);
        json_decref(k->queued);
        json_decref(k->fifo);
        json_decref(k->failures);
    }
    free(c->ctrls);
    for (size_t i = 0; i < c->informers.n; i++) {
        k1s_informer *inf = k1s__ctrl_informer_at(c, i);
        if (inf->w)
            k1s_watch_close(inf->w);
        json_decref(inf->cache);
        k1s_vec_free(&inf->subs);
        free(inf);
    }
    k1s_vec_free(&c->informers);
    for (size_t i = 0; i < c->timers.n; i++)
        free(((k1s__timer *)c->timers.p)[i].key);
    k1s_vec_free(&c->timers);
    free(c->node_name);
    free(c->data_dir);
    free(c->api_host);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

int k1s_controllers_start_defs(const k1s_controllers_config *cfg,
                               const k1s_controller_def *const *defs, void *user,
                               k1s_controllers **out, char **err)
{
    *err = NULL;
    k1s_ctrl *c = calloc(1, sizeof *c);
    if (!c) {
        *err = strdup("out of memory");
        return -1;
    }
    c->api = cfg->api;
    c->cfg = *cfg;
    c->user = user;
    char host[256] = "k1s";
    if (!cfg->node_name && gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "k1s");
    c->node_name = strdup(cfg->node_name ? cfg->node_name : host);
    c->data_dir = cfg->data_dir ? strdup(cfg->data_dir) : NULL;
    c->api_host = strdup(cfg->api_host ? cfg->api_host : "127.0.0.1");
    c->cfg.node_name = c->node_name;
    c->cfg.data_dir = c->data_dir;
    c->cfg.api_host = c->api_host;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->informers = K1S_VEC(k1s_informer *);
    c->timers = K1S_VEC(k1s__timer);
    size_t n = 0;
    while (defs[n])
        n++;
    if (n > INT_MAX || !(c->ctrls = calloc(n ? n : 1, sizeof *c->ctrls)))
        goto oom;
    /* every id is valid before any init runs, so init may queue work */
    for (size_t id = 0; id < n; id++) {
        k1s__controller *k = &c->ctrls[c->nctrls++];
        k->def = defs[id];
        k->queued = json_object();
        k->fifo = json_array();
        k->failures = json_object();
        if (!k->queued || !k->fifo || !k->failures)
            goto oom;
    }
    for (int id = 0; id < c->nctrls; id++) {
        k1s__controller *k = &c->ctrls[id];
        k->state = k->def->init ? k->def->init(c) : NULL;
        k->inited = true;
    }
    for (int id = 0; id < c->nctrls; id++)
        if (subscribe_all(c, id, err) != 0)
            goto fail;
    if (pthread_create(&c->thread, NULL, loop, c) != 0) {
        if (asprintf(err, "cannot start the controller thread") < 0)
            *err = NULL;
        release(c);
        return -1;
    }
    c->running = true;
    *out = (k1s_controllers *)c;
    return 0;
oom:
    *err = strdup("out of memory");
fail:
    release(c);
    return -1;
}

void k1s_controllers_stop(k1s_controllers *ctl)
{
    k1s_ctrl *c = (k1s_ctrl *)ctl;
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (c->running)
        pthread_join(c->thread, NULL);
    release(c);
}
