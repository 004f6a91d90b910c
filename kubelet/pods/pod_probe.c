/*
 * pod_probe.c - the prober: one thread runs the startup, readiness
 * and liveness probes of every running container when they are due (the
 * probe logic itself is kubelet_spec.h's k1s_prober), so a slow probe
 * (timeoutSeconds, an exec) never holds up the pod passes. The loop reads
 * results with k1s__probes_result and learns of changes and failures from
 * k1s__probes_drain (the poll turns them into pod passes and Unhealthy
 * events).
 *
 * As kubelet: readiness and liveness start once the startup probe has
 * succeeded; a container without a readiness probe is ready once started;
 * liveness is true until it fails failureThreshold times in a row.
 */
#include "pods_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { STARTUP, READINESS, LIVENESS, NKINDS };
static const char *const kind_field[NKINDS] = {"startupProbe", "readinessProbe", "livenessProbe"};
static const char *const kind_word[NKINDS] = {"Startup", "Readiness", "Liveness"};

typedef struct entry {
    char uid[64], key[600], cid[160], pod_ip[64];
    json_t *ctr; /* owned copy of the container's spec */
    int64_t started_ms;
    k1s_prober pr[NKINDS];
    bool armed[NKINDS]; /* this probe runs (defined, and its turn came) */
    k1s__probe_result r;
    bool busy, gone; /* a probe runs unlocked / forgotten meanwhile */
} entry;

struct k1s__probes {
    k1s_cri *cri;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool stop, running;
    k1s_vec e; /* of entry * (owned): at() */
    json_t *news;
};

static entry *at(const k1s__probes *p, size_t i)
{
    return *(entry **)k1s_vec_at(&p->e, i);
}

static int exec_probe(void *ctx, const char *cid, const char *const *argv, size_t argc,
                      int timeout_s, int *exit_code)
{
    k1s__probes *p = ctx;
    json_t *cmd = json_array();
    for (size_t i = 0; i < argc; i++)
        json_array_append_new(cmd, json_string(argv[i]));
    json_t *rq =
        json_pack("{s:s, s:o, s:i}", "container_id", cid, "cmd", cmd, "timeout", timeout_s);
    json_t *r = NULL;
    k1s_cri_error e = {0};
    int rc = k1s_cri_call(p->cri, "ExecSync", rq, &r, (timeout_s + 5) * 1000, &e);
    k1s_cri_error_clear(&e);
    json_decref(rq);
    if (rc == 0)
        *exit_code = (int)json_integer_value(json_object_get(r, "exit_code"));
    json_decref(r);
    return rc == 0 ? 0 : -1;
}

static void free_entry(entry *e)
{
    json_decref(e->ctr);
    free(e);
}

static void arm(entry *e, int kind, int64_t from_ms)
{
    const json_t *probe = json_object_get(e->ctr, kind_field[kind]);
    if (!probe)
        return;
    k1s_prober_init(&e->pr[kind], probe, from_ms, kind == LIVENESS);
    e->armed[kind] = true;
}

static int threshold(const json_t *probe)
{
    json_int_t t = json_integer_value(json_object_get(probe, "failureThreshold"));
    return t > 0 ? (int)t : 3;
}

/* Apply one run's outcome (locked). */
static void apply(k1s__probes *p, entry *e, int kind, const k1s_prober *after, const char *msg)
{
    k1s__probe_result before = e->r;
    e->pr[kind] = *after;
    const json_t *probe = json_object_get(e->ctr, kind_field[kind]);
    if (after->failures > 0) {
        char text[700];
        snprintf(text, sizeof text, "%s probe failed: %s", kind_word[kind], msg);
        json_array_append_new(p->news,
                              json_pack("{s:s, s:s, s:s, s:s}", "key", e->key, "type", "Warning",
                                        "reason", "Unhealthy", "message", text));
        snprintf(e->r.why, sizeof e->r.why, "%s", msg);
    }
    if (kind == STARTUP) {
        if (after->result && !e->r.started) {
            e->r.started = true;
            e->armed[STARTUP] = false;
            int64_t now = k1s_ctrl_now_ms();
            arm(e, READINESS, now);
            arm(e, LIVENESS, now);
        } else if (!after->result && after->failures >= threshold(probe)) {
            e->r.startup_failed = true;
        }
    } else if (kind == READINESS) {
        e->r.ready = after->result;
    } else {
        e->r.live = after->result;
    }
    if (!e->armed[READINESS])
        e->r.ready = e->r.started;
    if (memcmp(&before, &e->r, offsetof(k1s__probe_result, why)) != 0)
        json_array_append_new(p->news, json_pack("{s:s}", "key", e->key));
}

static void *prober_main(void *arg)
{
    k1s__probes *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        int64_t now = k1s_ctrl_now_ms(), next = now + 1000;
        entry *due = NULL;
        int kind = 0;
        for (size_t i = 0; i < p->e.n && !due; i++) {
            entry *e = at(p, i);
            for (int k = 0; k < NKINDS && !e->busy; k++) {
                if (!e->armed[k] || e->r.startup_failed)
                    continue;
                if (k1s_prober_due(&e->pr[k], now)) {
                    due = e;
                    kind = k;
                    break;
                }
                if (e->pr[k].next_ms < next)
                    next = e->pr[k].next_ms;
            }
        }
        if (!due) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t wait = next - now < 1 ? 1 : next - now;
            ts.tv_sec += wait / 1000;
            ts.tv_nsec += (wait % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&p->cv, &p->mu, &ts);
            continue;
        }
        /* run it unlocked: the entry's spec copy does not change */
        due->busy = true;
        k1s_prober pr = due->pr[kind];
        char ip[64], cid[160], msg[512] = "";
        snprintf(ip, sizeof ip, "%s", due->pod_ip);
        snprintf(cid, sizeof cid, "%s", due->cid);
        const json_t *probe = json_object_get(due->ctr, kind_field[kind]);
        pthread_mutex_unlock(&p->mu);
        k1s_prober_step(&pr, probe, ip, due->ctr, cid, exec_probe, p, now, msg, sizeof msg);
        pthread_mutex_lock(&p->mu);
        due->busy = false;
        if (due->gone)
            free_entry(due);
        else
            apply(p, due, kind, &pr, msg);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

k1s__probes *k1s__probes_new(k1s_cri *cri)
{
    k1s__probes *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cri = cri;
    p->e = K1S_VEC(entry *);
    p->news = json_array();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->running = pthread_create(&p->th, NULL, prober_main, p) == 0;
    return p;
}

void k1s__probes_free(k1s__probes *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (p->running)
        pthread_join(p->th, NULL);
    for (size_t i = 0; i < p->e.n; i++)
        free_entry(at(p, i));
    k1s_vec_free(&p->e);
    json_decref(p->news);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

static entry *find(k1s__probes *p, const char *cid)
{
    for (size_t i = 0; i < p->e.n; i++)
        if (!strcmp(at(p, i)->cid, cid))
            return at(p, i);
    return NULL;
}

void k1s__probes_watch(k1s__probes *p, const char *uid, const char *key, const char *cid,
                       const json_t *container, const char *pod_ip, int64_t started_ms)
{
    if (!p)
        return;
    bool any = false;
    for (int k = 0; k < NKINDS; k++)
        any |= json_object_get(container, kind_field[k]) != NULL;
    pthread_mutex_lock(&p->mu);
    if (!any || find(p, cid)) {
        pthread_mutex_unlock(&p->mu);
        return;
    }
    entry *e = calloc(1, sizeof *e);
    if (!e || k1s_vec_append(&p->e, &e) != 0) {
        free(e);
        pthread_mutex_unlock(&p->mu);
        return;
    }
    snprintf(e->uid, sizeof e->uid, "%s", uid);
    snprintf(e->key, sizeof e->key, "%s", key);
    snprintf(e->cid, sizeof e->cid, "%s", cid);
    snprintf(e->pod_ip, sizeof e->pod_ip, "%s", pod_ip ? pod_ip : "");
    e->ctr = json_deep_copy(container);
    e->started_ms = started_ms;
    e->r.live = true;
    if (json_object_get(container, kind_field[STARTUP])) {
        arm(e, STARTUP, started_ms);
    } else {
        e->r.started = true;
        arm(e, READINESS, started_ms);
        arm(e, LIVENESS, started_ms);
    }
    if (!e->armed[READINESS])
        e->r.ready = e->r.started;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void k1s__probes_retain(k1s__probes *p, const char *uid, const json_t *keep)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->e.n;) {
        entry *e = at(p, i);
        if (strcmp(e->uid, uid) != 0 || (keep && json_object_get(keep, e->cid))) {
            i++;
            continue;
        }
        k1s_vec_remove(&p->e, i);
        if (e->busy)
            e->gone = true; /* the prober frees it when its run ends */
        else
            free_entry(e);
    }
    pthread_mutex_unlock(&p->mu);
}

bool k1s__probes_result(k1s__probes *p, const char *cid, k1s__probe_result *r)
{
    memset(r, 0, sizeof *r);
    r->live = true;
    if (!p)
        return false;
    pthread_mutex_lock(&p->mu);
    entry *e = find(p, cid);
    if (e)
        *r = e->r;
    pthread_mutex_unlock(&p->mu);
    return e != NULL;
}

json_t *k1s__probes_drain(k1s__probes *p)
{
    if (!p)
        return json_array();
    pthread_mutex_lock(&p->mu);
    json_t *out = p->news;
    p->news = json_array();
    pthread_mutex_unlock(&p->mu);
    return out;
}
