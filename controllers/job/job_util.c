/*
 * job_util.c - small judgements the Job controller makes about pods and
 * status (kube's isPodFailed, completion indexes, the tracking
 * finalizer), the completed-index intervals of Indexed Jobs, and the
 * failure backoff between pod creations.
 */
#include "job_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pods ----------------------------------------------------------------------- */

bool job_pod_tracked(const json_t *pod)
{
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(json_object_get(pod, "metadata"), "finalizers"), i, f)
    {
        if (json_is_string(f) && !strcmp(json_string_value(f), JOB_FINALIZER))
            return true;
    }
    return false;
}

long long job_pod_index(const json_t *pod)
{
    const char *v = k1s_meta_annotation(pod, JOB_INDEX_KEY);
    if (!v || !*v)
        return -1;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (*end || n < 0 || n > 2147483647LL)
        return -1;
    return n;
}

static const char *phase(const json_t *pod)
{
    const char *p = k1s_json_str(pod, "status.phase");
    return p ? p : "";
}

bool job_only_replace_failed(const json_t *job)
{
    const char *p = k1s_json_str(job, "spec.podReplacementPolicy");
    if (p)
        return !strcmp(p, "Failed");
    /* the API defaults it; an object stored before that has none */
    return json_object_get(json_object_get(job, "spec"), "podFailurePolicy") != NULL;
}

bool job_pod_failed(const json_t *job, const json_t *pod)
{
    if (!strcmp(phase(pod), "Failed"))
        return true;
    if (job_only_replace_failed(job))
        return false;
    /* a pod deleted before it ended may never reach Failed (orphaned,
     * evicted): kube counts it as failed now */
    return k1s__wl_deleting(pod) && strcmp(phase(pod), "Succeeded") != 0;
}

bool job_uncounted_has(const json_t *status, const char *list, const char *uid)
{
    size_t i;
    const json_t *u;
    json_array_foreach(json_object_get(json_object_get(status, "uncountedTerminatedPods"), list), i,
                       u)
    {
        if (json_is_string(u) && !strcmp(json_string_value(u), uid))
            return true;
    }
    return false;
}

int64_t job_pod_finish_ms(const json_t *pod)
{
    int64_t best = -1;
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses", NULL};
    for (const char *const *l = lists; *l; l++) {
        size_t i;
        const json_t *cs;
        json_array_foreach(json_object_get(json_object_get(pod, "status"), *l), i, cs)
        {
            int64_t t = k1s__wl_parse_time(k1s_json_str(cs, "state.terminated.finishedAt"));
            if (t > best)
                best = t;
        }
    }
    return best >= 0 ? best * 1000 : k1s_time_wall_ms();
}

/* ---- intervals ------------------------------------------------------------------ */

static job_interval *iv_at(const job_intervals *iv, size_t i)
{
    return k1s_vec_at(iv, i);
}

int job_intervals_add(job_intervals *iv, long long ix)
{
    size_t i = 0;
    while (i < iv->n && iv_at(iv, i)->last < ix - 1)
        i++;
    if (i < iv->n && iv_at(iv, i)->first <= ix + 1) {
        job_interval *cur = iv_at(iv, i);
        if (ix >= cur->first && ix <= cur->last)
            return 0;
        if (ix == cur->first - 1)
            cur->first = ix;
        else
            cur->last = ix;
        /* growing to the right may meet the next interval */
        if (i + 1 < iv->n && iv_at(iv, i + 1)->first == cur->last + 1) {
            cur->last = iv_at(iv, i + 1)->last;
            k1s_vec_remove(iv, i + 1);
        }
        return 0;
    }
    /* a new interval at position i */
    if (!k1s_vec_push(iv))
        return -1;
    job_interval *base = iv->p;
    memmove(base + i + 1, base + i, (iv->n - 1 - i) * sizeof *base);
    base[i] = (job_interval){ix, ix};
    return 0;
}

void job_intervals_parse(job_intervals *out, const char *s, long long completions)
{
    assert(out->size == sizeof(job_interval));
    while (s && *s) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        char part[64];
        if (len < sizeof part) {
            memcpy(part, s, len);
            part[len] = 0;
            char *end = NULL;
            long long first = strtoll(part, &end, 10), last = first;
            bool ok = end != part && first >= 0;
            if (ok && *end == '-') {
                char *e2 = NULL;
                last = strtoll(end + 1, &e2, 10);
                ok = e2 != end + 1 && !*e2 && last >= first;
            } else if (ok && *end) {
                ok = false;
            }
            if (ok && first < completions) {
                if (last >= completions)
                    last = completions - 1;
                /* bounded by completions, which validation caps */
                for (long long ix = first; ix <= last; ix++)
                    if (job_intervals_add(out, ix))
                        return;
            }
        }
        s = comma ? comma + 1 : NULL;
    }
}

bool job_intervals_has(const job_intervals *iv, long long ix)
{
    for (size_t i = 0; i < iv->n; i++)
        if (ix >= iv_at(iv, i)->first && ix <= iv_at(iv, i)->last)
            return true;
    return false;
}

long long job_intervals_total(const job_intervals *iv)
{
    long long n = 0;
    for (size_t i = 0; i < iv->n; i++)
        n += iv_at(iv, i)->last - iv_at(iv, i)->first + 1;
    return n;
}

char *job_intervals_format(const job_intervals *iv)
{
    size_t cap = iv->n * 24 + 1, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = 0;
    for (size_t i = 0; i < iv->n; i++) {
        const job_interval *v = iv_at(iv, i);
        const char *sep = i ? "," : "";
        int w;
        if (v->last == v->first)
            w = snprintf(out + len, cap - len, "%s%lld", sep, v->first);
        else
            w = snprintf(out + len, cap - len, "%s%lld%c%lld", sep, v->first,
                         v->last == v->first + 1 ? ',' : '-', v->last);
        assert(w > 0 && (size_t)w < cap - len);
        len += (size_t)w;
    }
    return out;
}

/* ---- backoff -------------------------------------------------------------------- */

job_backoff *job_backoff_of(job_state *s, const char *ns, const char *name, bool create)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    for (size_t i = 0; i < s->backoffs.n; i++) {
        job_backoff *b = k1s_vec_at(&s->backoffs, i);
        if (!strcmp(b->key, key))
            return b;
    }
    if (!create)
        return NULL;
    job_backoff *b = k1s_vec_push(&s->backoffs);
    if (b)
        snprintf(b->key, sizeof b->key, "%s", key);
    return b;
}

void job_backoff_forget(job_state *s, const char *ns, const char *name)
{
    job_backoff *b = job_backoff_of(s, ns, name, false);
    if (b)
        k1s_vec_remove(&s->backoffs, (size_t)(b - (job_backoff *)s->backoffs.p));
}

int64_t job_backoff_remaining(const job_backoff *b, int64_t now_ms)
{
    if (!b || b->failures <= 0)
        return 0;
    int64_t delay = JOB_BACKOFF_MS;
    for (int i = 1; i < b->failures && delay < JOB_BACKOFF_MAX_MS; i++)
        delay *= 2;
    if (delay > JOB_BACKOFF_MAX_MS)
        delay = JOB_BACKOFF_MAX_MS;
    int64_t left = b->last_failure_ms + delay - now_ms;
    return left > 0 ? left : 0;
}

void job_backoff_update(job_backoff *b, const k1s_vec *new_succeeded, const k1s_vec *new_failed)
{
    int64_t last_success = -1;
    for (size_t i = 0; i < new_succeeded->n; i++) {
        int64_t t = job_pod_finish_ms(*(const json_t *const *)k1s_vec_at(new_succeeded, i));
        if (t > last_success)
            last_success = t;
    }
    if (last_success >= 0) {
        b->failures = 0;
        b->last_failure_ms = 0;
    }
    for (size_t i = 0; i < new_failed->n; i++) {
        int64_t t = job_pod_finish_ms(*(const json_t *const *)k1s_vec_at(new_failed, i));
        if (t <= last_success)
            continue;
        b->failures++;
        if (t > b->last_failure_ms)
            b->last_failure_ms = t;
    }
}
