/*
 * statefulset_util.c - the statefulset controller's small helpers: requeues,
 * member ordinals, pod readiness and availability as kube's
 * podutil judges them, owner references, and API writes that keep the
 * failure text for the Warning events kube records.
 */
#include "statefulset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_time.h"

/* ---- requeues ---------------------------------------------------------------- */

void k1s__sts_want(k1s__sts *s, int64_t ms)
{
    if (ms <= 0)
        ms = 1;
    if (s->requeue_ms == 0 || ms < s->requeue_ms)
        s->requeue_ms = ms;
}

/* ---- pods ------------------------------------------------------------------- */

long long k1s__sts_ordinal(const char *set_name, const char *pod_name)
{
    if (!set_name || !pod_name)
        return -1;
    size_t n = strlen(set_name);
    if (strncmp(pod_name, set_name, n) != 0 || pod_name[n] != '-')
        return -1;
    const char *d = pod_name + n + 1;
    size_t len = strlen(d);
    /* kube parses the digits as a 32-bit number; only the canonical
       spelling names a member (web-01 is not web-1) */
    if (len == 0 || len > 10 || (len > 1 && d[0] == '0'))
        return -1;
    long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (d[i] < '0' || d[i] > '9')
            return -1;
        v = v * 10 + (d[i] - '0');
    }
    return v > 2147483647LL ? -1 : v;
}

const char *k1s__sts_pod_phase(const json_t *pod)
{
    return k1s_json_str_or(pod, "status.phase", "");
}

static const json_t *ready_condition(const json_t *pod)
{
    const json_t *conds = k1s_json_at(pod, "status.conditions");
    size_t i;
    const json_t *cnd;
    json_array_foreach(conds, i, cnd)
    {
        const char *type = k1s_json_str(cnd, "type");
        if (type && !strcmp(type, "Ready"))
            return cnd;
    }
    return NULL;
}

static bool pod_ready(const json_t *pod)
{
    const char *st = k1s_json_str(ready_condition(pod), "status");
    return st && !strcmp(st, "True");
}

bool k1s__sts_pod_running_ready(const json_t *pod)
{
    return !strcmp(k1s__sts_pod_phase(pod), "Running") && pod_ready(pod);
}

/* Seconds since the epoch of an RFC 3339 time, or -1. */
static long long parse_time(const char *s)
{
    k1s_time t;
    return k1s_time_parse_str(s, &t) == 0 ? (long long)t.sec : -1;
}

bool k1s__sts_pod_available(const json_t *pod, long long min_ready, int64_t *wait_ms)
{
    if (!pod_ready(pod))
        return false;
    if (min_ready <= 0)
        return true;
    long long since = parse_time(k1s_json_str(ready_condition(pod), "lastTransitionTime"));
    if (since < 0)
        return false;
    long long now = (long long)k1s_time_now();
    if (since + min_ready < now)
        return true;
    if (wait_ms) {
        /* a timestamp from the future must not stall the set for ages */
        long long secs = since + min_ready - now + 1;
        *wait_ms = (int64_t)(secs > 3600 ? 3600 : secs) * 1000;
    }
    return false;
}

bool k1s__sts_pod_terminating(const json_t *pod)
{
    return k1s_json_at(pod, "metadata.deletionTimestamp") != NULL;
}

const char *k1s__sts_pod_revision(const json_t *pod)
{
    const char *r = k1s_meta_label(pod, K1S_STS_REVISION_LABEL);
    return r ? r : "";
}

bool k1s__sts_pod_unavailable(const json_t *pod, long long min_ready)
{
    return !k1s__sts_pod_available(pod, min_ready, NULL) || k1s__sts_pod_terminating(pod);
}

/* ---- owner references ----------------------------------------------------- */

json_t *k1s__sts_owner_ref(const char *api_version, const char *kind, const char *name,
                           const char *uid)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "apiVersion", api_version, "kind", kind,
                     "name", name ? name : "", "uid", uid ? uid : "", "controller", 1,
                     "blockOwnerDeletion", 1);
}

const json_t *k1s__sts_controller_of(const json_t *obj)
{
    const json_t *refs = k1s_json_at(obj, "metadata.ownerReferences");
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        if (json_is_true(json_object_get(r, "controller")))
            return r;
    }
    return NULL;
}

/* ---- writes ------------------------------------------------------------------ */

static int finish(k1s_status *st, const char *verb, const char *kind, const char *name, char **msg)
{
    int code = st->code ? st->code : 500;
    const char *text = st->message ? st->message : "unknown error";
    if (code != 409 && code != 404)
        fprintf(stderr, "k1s: controllers: statefulset: %s %s %s: %s\n", verb, kind,
                name ? name : "", text);
    if (msg)
        *msg = strdup(text);
    k1s_status_clear(st);
    return code;
}

int k1s__sts_create(k1s__sts *s, const char *group, const char *kind, json_t *obj, json_t **out,
                    char **msg)
{
    const k1s_kind *k = k1s_registry_find_kind(group, kind);
    const char *name = k1s_meta(obj, "name");
    if (!k)
        return 404;
    k1s_target t = {k, s->ns, name, NULL};
    k1s_status st = {0};
    json_t *res = NULL;
    if (k1s_api_create(k1s_ctrl_api(s->c), &t, obj, NULL, &res, &st))
        return finish(&st, "create", kind, name, msg);
    if (out)
        *out = res;
    else
        json_decref(res);
    return 0;
}

int k1s__sts_update(k1s__sts *s, const char *group, const char *kind, const char *sub, json_t *obj,
                    json_t **out, char **msg)
{
    const k1s_kind *k = k1s_registry_find_kind(group, kind);
    const char *name = k1s_meta(obj, "name");
    if (!k)
        return 404;
    k1s_target t = {k, s->ns, name, sub};
    k1s_status st = {0};
    json_t *res = NULL;
    if (k1s_api_update(k1s_ctrl_api(s->c), &t, obj, NULL, &res, &st))
        return finish(&st, "update", kind, name, msg);
    if (out)
        *out = res;
    else
        json_decref(res);
    return 0;
}

int k1s__sts_delete(k1s__sts *s, const char *group, const char *kind, const char *name,
                    const char *uid, char **msg)
{
    const k1s_kind *k = k1s_registry_find_kind(group, kind);
    if (!k)
        return 404;
    k1s_target t = {k, s->ns, name, NULL};
    k1s_opts o = {.grace_seconds = -1, .precondition_uid = uid};
    k1s_status st = {0};
    json_t *res = NULL;
    int removed = 0;
    if (k1s_api_delete(k1s_ctrl_api(s->c), &t, &o, &res, &removed, &st))
        return finish(&st, "delete", kind, name, msg);
    json_decref(res);
    return 0;
}

bool k1s__sts_can_adopt(k1s__sts *s)
{
    const k1s_kind *k = k1s_registry_find_kind("apps", "StatefulSet");
    k1s_target t = {k, s->ns, s->name, NULL};
    k1s_status st = {0};
    json_t *fresh = NULL; /* new */
    if (!k || k1s_api_get(k1s_ctrl_api(s->c), &t, &fresh, &st)) {
        k1s_status_clear(&st);
        return false;
    }
    const char *uid = k1s_meta(fresh, "uid");
    bool ok = uid && !strcmp(uid, s->uid) && !k1s_json_at(fresh, "metadata.deletionTimestamp");
    json_decref(fresh);
    return ok;
}
