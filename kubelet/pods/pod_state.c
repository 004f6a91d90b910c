/*
 * pod_state.c - what the kubelet keeps between passes of a pod
 * (the table of k1s__pod), the restart backoff as kubelet's
 * flowcontrol.Backoff computes it, background tasks, and the small
 * helpers the pod files use (durations, string arrays, directories).
 */
#include "pods_internal.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------- */

void k1s__go_duration(int64_t ms, char *buf, size_t len)
{
    if (ms < 1000) {
        snprintf(buf, len, "%lldms", (long long)ms);
        return;
    }
    char sec[32];
    snprintf(sec, sizeof sec, "%lld.%03lld", (long long)(ms / 1000 % 60), (long long)(ms % 1000));
    size_t n = strlen(sec);
    while (sec[n - 1] == '0')
        sec[--n] = 0;
    if (sec[n - 1] == '.')
        sec[--n] = 0;
    if (ms >= 60000)
        snprintf(buf, len, "%lldm%ss", (long long)(ms / 60000), sec);
    else
        snprintf(buf, len, "%ss", sec);
}

void k1s__append_strings(json_t *to, const json_t *from)
{
    size_t i;
    const json_t *x;
    json_array_foreach(from, i, x) if (json_is_string(x)) json_array_append(to, (json_t *)x);
}

void k1s__retry_min(int64_t *retry, int64_t ms)
{
    if (ms > 0 && (*retry <= 0 || ms < *retry))
        *retry = ms;
}

void k1s__pod_dir(const k1s_kubelet *kl, const char *ns, const char *name, const char *uid,
                  char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s_%s_%s", kl->pods_dir, ns, name, uid);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb;
    (void)f;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void k1s__rmtree(const char *dir)
{
    /* FTW_PHYS: symlinks are removed, never followed; FTW_MOUNT: a mount
     * that is still there (a volume) is left alone, and so is its parent */
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ---- background tasks ------------------------------------------------------------------ */

struct k1s__task {
    pthread_t th;
    pthread_mutex_t mu;
    bool done;
    void (*fn)(void *);
    void *arg;
};

static void *task_main(void *p)
{
    k1s__task *t = p;
    t->fn(t->arg);
    pthread_mutex_lock(&t->mu);
    t->done = true;
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

k1s__task *k1s__task_start(void (*fn)(void *arg), void *arg)
{
    k1s__task *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fn = fn;
    t->arg = arg;
    pthread_mutex_init(&t->mu, NULL);
    if (pthread_create(&t->th, NULL, task_main, t) != 0) {
        /* no thread: do it here, so the caller's flow stays the same */
        fn(arg);
        t->done = true;
        t->th = pthread_self();
        t->fn = NULL;
    }
    return t;
}

bool k1s__task_done(k1s__task *t)
{
    if (!t)
        return true;
    pthread_mutex_lock(&t->mu);
    bool d = t->done;
    pthread_mutex_unlock(&t->mu);
    return d;
}

void *k1s__task_join(k1s__task *t)
{
    if (!t)
        return NULL;
    if (t->fn)
        pthread_join(t->th, NULL);
    void *arg = t->arg;
    pthread_mutex_destroy(&t->mu);
    free(t);
    return arg;
}

/* ---- pod states -------------------------------------------------------------------------- */

k1s__pod *k1s__pod_find(k1s_kubelet *kl, const char *uid)
{
    for (size_t i = 0; i < kl->pods.n; i++)
        if (!strcmp(k1s__pod_at(kl, i)->uid, uid))
            return k1s__pod_at(kl, i);
    return NULL;
}

k1s__pod *k1s__pod_get(k1s_kubelet *kl, const json_t *pod)
{
    const char *uid = k1s_json_str_or(pod, "metadata.uid", "");
    k1s__pod *ps = k1s__pod_find(kl, uid);
    if (ps)
        return ps;
    ps = calloc(1, sizeof *ps);
    if (!ps || k1s_vec_append(&kl->pods, &ps) != 0) {
        free(ps);
        return NULL;
    }
    snprintf(ps->uid, sizeof ps->uid, "%s", uid);
    snprintf(ps->ns, sizeof ps->ns, "%s", k1s_json_str_or(pod, "metadata.namespace", ""));
    snprintf(ps->name, sizeof ps->name, "%s", k1s_json_str_or(pod, "metadata.name", ""));
    ps->waiting = json_object();
    ps->backoff = json_object();
    ps->pullmsg = json_object();
    ps->cstatus = json_object();
    ps->pulling = json_object();
    ps->unhealthy = json_object();
    return ps;
}

void k1s__pod_drop(k1s_kubelet *kl, k1s__pod *ps)
{
    for (size_t i = 0; i < kl->pods.n; i++) {
        if (k1s__pod_at(kl, i) == ps) {
            k1s_vec_remove(&kl->pods, i);
            break;
        }
    }
    if (ps->task) {
        k1s__task_join(ps->task);
        ps->task = NULL;
    }
    if (ps->job) {
        json_decref(ps->job->containers);
        json_decref(ps->job->sandboxes);
        free(ps->job->dir);
        free(ps->job);
    }
    if (kl->probes)
        k1s__probes_retain(kl->probes, ps->uid, NULL);
    json_decref(ps->waiting);
    json_decref(ps->backoff);
    json_decref(ps->pullmsg);
    json_decref(ps->cstatus);
    json_decref(ps->pulling);
    json_decref(ps->latest);
    json_decref(ps->unhealthy);
    free(ps);
}

/* ---- backoff ------------------------------------------------------------------------------ */

/* flowcontrol.Backoff: an entry unused for twice the maximum is reset. */
static bool expired(const json_t *e, int64_t event_ms)
{
    return event_ms - json_integer_value(json_object_get(e, "last")) > 2 * K1S__BACKOFF_MAX_MS;
}

bool k1s__backoff_active(k1s__pod *ps, const char *key, int64_t event_ms, int64_t *left)
{
    const json_t *e = json_object_get(ps->backoff, key);
    *left = 0;
    if (!e || expired(e, event_ms))
        return false;
    int64_t delay = json_integer_value(json_object_get(e, "delay"));
    int64_t since = k1s_time_wall_ms() - event_ms;
    if (since >= delay)
        return false;
    *left = delay - since;
    return true;
}

void k1s__backoff_next(k1s__pod *ps, const char *key, int64_t event_ms)
{
    const json_t *e = json_object_get(ps->backoff, key);
    int64_t delay = K1S__BACKOFF_INITIAL_MS;
    if (e && !expired(e, event_ms)) {
        delay = json_integer_value(json_object_get(e, "delay")) * 2;
        if (delay > K1S__BACKOFF_MAX_MS)
            delay = K1S__BACKOFF_MAX_MS;
    }
    json_object_set_new(ps->backoff, key,
                        json_pack("{s:I, s:I}", "delay", (json_int_t)delay, "last",
                                  (json_int_t)k1s_time_wall_ms()));
}

int64_t k1s__backoff_delay(k1s__pod *ps, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(ps->backoff, key), "delay"));
}

bool k1s__backoff_since_update(k1s__pod *ps, const char *key, int64_t *left)
{
    const json_t *e = json_object_get(ps->backoff, key);
    *left = 0;
    int64_t now = k1s_time_wall_ms();
    if (!e || expired(e, now))
        return false;
    int64_t since = now - json_integer_value(json_object_get(e, "last"));
    int64_t delay = json_integer_value(json_object_get(e, "delay"));
    if (since >= delay)
        return false;
    *left = delay - since;
    return true;
}
