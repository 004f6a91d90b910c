/*
 * pod_runtime.c - what the runtime holds, as the kubelet sees it.
 *
 * A pod's pass reads its sandboxes and containers fresh (two list calls
 * filtered by the pod uid label), so decisions never rest on a stale
 * snapshot. Between passes the poll lists every sandbox and container once
 * per tick (every second, every 100 ms for a while after a start) and
 * enqueues the pods whose containers changed state: that is how exits are
 * noticed. The sweep (at start, then every 30 s) removes sandboxes,
 * containers and pod directories of pods this node does not run, and
 * resyncs every pod it does: pods found running after a restart are
 * adopted, not restarted, since every decision comes from the runtime's
 * state and the attempt numbers it records.
 */
#include "pods_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POLL_MS 1000
#define POLL_FAST_MS 100
#define FAST_FOR_MS 5000
#define SWEEP_MS 30000

/* A label of a sandbox or container ("" if none). Label keys hold dots
 * ("io.kubernetes.pod.uid"), so never read them by a path. */
static const char *label(const json_t *labels, const char *key)
{
    const char *s = json_string_value(json_object_get(labels, key));
    return s ? s : "";
}

static json_t *uid_filter(const char *uid)
{
    return json_pack("{s:{s:{s:s}}}", "filter", "label_selector", K1S__L_POD_UID, uid);
}

static json_int_t attempt(const json_t *x)
{
    return json_integer_value(json_object_get(json_object_get(x, "metadata"), "attempt"));
}

static json_int_t created(const json_t *x)
{
    return json_integer_value(json_object_get(x, "created_at"));
}

/* a newer than b: higher attempt, then later creation */
static bool newer(const json_t *a, const json_t *b)
{
    return attempt(a) != attempt(b) ? attempt(a) > attempt(b) : created(a) > created(b);
}

/* ---- a pod's view ------------------------------------------------------------------ */

int k1s__view_load(k1s_kubelet *kl, const char *uid, k1s__view *v)
{
    memset(v, 0, sizeof *v);
    json_t *req = uid_filter(uid);
    json_t *sb = k1s__cri(kl, "ListPodSandbox", req, K1S__CRI_QUICK, NULL, 0);
    json_t *ct = sb ? k1s__cri(kl, "ListContainers", req, K1S__CRI_QUICK, NULL, 0) : NULL;
    json_decref(req);
    if (!sb || !ct) {
        json_decref(sb);
        return -1;
    }
    /* newest first: insertion sort, the lists are short */
    json_t *items = json_object_get(sb, "items");
    v->sandboxes = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x)
    {
        size_t at = 0;
        while (at < json_array_size(v->sandboxes) && newer(json_array_get(v->sandboxes, at), x))
            at++;
        json_array_insert(v->sandboxes, at, x);
        if ((uint32_t)attempt(x) + 1 > v->next_attempt)
            v->next_attempt = (uint32_t)attempt(x) + 1;
    }
    json_decref(sb);
    v->containers = json_incref(json_object_get(ct, "containers"));
    if (!v->containers)
        v->containers = json_array();
    json_decref(ct);
    json_array_foreach(v->sandboxes, i, x)
    {
        if (!strcmp(k1s_json_str_or(x, "state", ""), "SANDBOX_READY")) {
            v->sandbox = x;
            break;
        }
    }
    if (v->sandbox) {
        json_t *rq = json_pack("{s:s}", "pod_sandbox_id", k1s_json_str_or(v->sandbox, "id", ""));
        json_t *st = k1s__cri(kl, "PodSandboxStatus", rq, K1S__CRI_QUICK, NULL, 0);
        json_decref(rq);
        if (st) {
            v->sb_status = json_incref(json_object_get(st, "status"));
            json_decref(st);
            snprintf(v->pod_ip, sizeof v->pod_ip, "%s",
                     k1s_json_str_or(v->sb_status, "network.ip", ""));
        }
    }
    return 0;
}

void k1s__view_free(k1s__view *v)
{
    json_decref(v->sandboxes);
    json_decref(v->containers);
    json_decref(v->sb_status);
    memset(v, 0, sizeof *v);
}

static const char *ctr_name(const json_t *c)
{
    return k1s_json_str_or(c, "metadata.name", "");
}

const json_t *k1s__view_latest(const k1s__view *v, const char *name, const char *sandbox_id)
{
    const json_t *best = NULL;
    size_t i;
    const json_t *c;
    json_array_foreach(v->containers, i, c)
    {
        if (strcmp(ctr_name(c), name) != 0)
            continue;
        if (sandbox_id && strcmp(k1s_json_str_or(c, "pod_sandbox_id", ""), sandbox_id) != 0)
            continue;
        if (!best || newer(c, best))
            best = c;
    }
    return best;
}

const json_t *k1s__view_previous(const k1s__view *v, const char *name)
{
    const json_t *latest = k1s__view_latest(v, name, NULL), *best = NULL;
    size_t i;
    const json_t *c;
    json_array_foreach(v->containers, i, c)
    {
        if (c == latest || strcmp(ctr_name(c), name) != 0)
            continue;
        if (!best || newer(c, best))
            best = c;
    }
    return best;
}

const json_t *k1s__container_status(k1s_kubelet *kl, k1s__pod *ps, const json_t *ctr)
{
    const char *id = k1s_json_str_or(ctr, "id", "");
    const json_t *have = json_object_get(ps->cstatus, id);
    if (have && !strcmp(k1s_json_str_or(have, "state", ""), k1s_json_str_or(ctr, "state", "")))
        return have;
    json_t *rq = json_pack("{s:s}", "container_id", id);
    json_t *r = k1s__cri(kl, "ContainerStatus", rq, K1S__CRI_QUICK, NULL, 0);
    json_decref(rq);
    json_t *st = json_object_get(r, "status");
    if (st)
        json_object_set(ps->cstatus, id, st);
    json_decref(r);
    return json_object_get(ps->cstatus, id);
}

void k1s__view_gc(k1s_kubelet *kl, k1s__pod *ps, const k1s__view *v)
{
    json_t *keep = json_object();
    size_t i;
    const json_t *c;
    json_array_foreach(v->containers, i, c)
    {
        const char *name = ctr_name(c);
        const json_t *latest = k1s__view_latest(v, name, NULL);
        const json_t *prev = k1s__view_previous(v, name);
        bool exited = !strcmp(k1s_json_str_or(c, "state", ""), "CONTAINER_EXITED");
        if (c == latest || c == prev || !exited) {
            json_object_set_new(keep, k1s_json_str_or(c, "id", ""), json_true());
            continue;
        }
        /* older than the previous instance: kubelet's container GC keeps
         * one dead instance per container; its log goes with it */
        const json_t *st = k1s__container_status(kl, ps, c);
        const char *log = k1s_json_str_or(st, "log_path", "");
        json_t *rq = json_pack("{s:s}", "container_id", k1s_json_str_or(c, "id", ""));
        json_t *r = k1s__cri(kl, "RemoveContainer", rq, K1S__CRI_QUICK, NULL, 0);
        json_decref(rq);
        if (r && !strncmp(log, kl->pods_dir, strlen(kl->pods_dir)))
            unlink(log);
        json_decref(r);
    }
    const char *id;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(ps->cstatus, tmp, id, val)
    {
        if (!json_object_get(keep, id))
            json_object_del(ps->cstatus, id);
    }
    json_object_foreach_safe(ps->unhealthy, tmp, id, val)
    {
        if (!json_object_get(keep, id))
            json_object_del(ps->unhealthy, id);
    }
    json_decref(keep);
}

/* ---- the poll ------------------------------------------------------------------------- */

void k1s__poll_soon(k1s_kubelet *kl)
{
    kl->fast_until = k1s_ctrl_now_ms() + FAST_FOR_MS;
    if (kl->poll_armed > k1s_ctrl_now_ms() + POLL_FAST_MS)
        k1s_ctrl_enqueue_after(kl->c, 0, "", K1S__KEY_POLL, POLL_FAST_MS);
}

/* Note what is listed now as id -> "ns/name state"; enqueue the pods of
 * entries that are new, changed or gone since the last poll. */
static void diff(json_t *now, const json_t *items)
{
    size_t i;
    const json_t *x;
    json_array_foreach(items, i, x)
    {
        const json_t *labels = json_object_get(x, "labels");
        const char *uid = label(labels, K1S__L_POD_UID);
        if (!*uid)
            continue;
        char v[700];
        snprintf(v, sizeof v, "%s/%s %s", label(labels, K1S__L_POD_NS),
                 label(labels, K1S__L_POD_NAME), k1s_json_str_or(x, "state", ""));
        json_object_set_new(now, k1s_json_str_or(x, "id", ""), json_string(v));
    }
}

/* entry: "ns/name" or "ns/name state" */
static void enqueue_entry(k1s_kubelet *kl, const char *entry)
{
    char key[700];
    snprintf(key, sizeof key, "%s", entry ? entry : "");
    char *sp = strchr(key, ' ');
    if (sp)
        *sp = 0;
    char *slash = strchr(key, '/');
    if (!slash)
        return;
    *slash = 0;
    k1s_ctrl_enqueue(kl->c, 0, key, slash + 1);
}

static void probe_news(k1s_kubelet *kl)
{
    json_t *news = k1s__probes_drain(kl->probes);
    k1s_informer *pods = k1s_ctrl_informer(kl->c, "", "Pod");
    size_t i;
    const json_t *n;
    json_array_foreach(news, i, n)
    {
        char key[600];
        snprintf(key, sizeof key, "%s", k1s_json_str_or(n, "key", ""));
        char *slash = strchr(key, '/');
        if (!slash)
            continue;
        *slash = 0;
        const char *reason = k1s_json_str_or(n, "reason", "");
        if (!*reason) {
            k1s_ctrl_enqueue(kl->c, 0, key, slash + 1);
            continue;
        }
        const json_t *pod = pods ? k1s_informer_get(pods, key, slash + 1) : NULL;
        if (pod)
            K1S__EVENT(kl, pod, k1s_json_str_or(n, "type", ""), reason, "%s",
                       k1s_json_str_or(n, "message", ""));
    }
    json_decref(news);
}

int k1s__poll(k1s_kubelet *kl)
{
    int64_t now_ms = k1s_ctrl_now_ms();
    json_t *sb = k1s__cri(kl, "ListPodSandbox", NULL, K1S__CRI_LIST, NULL, 0);
    json_t *ct = sb ? k1s__cri(kl, "ListContainers", NULL, K1S__CRI_LIST, NULL, 0) : NULL;
    if (sb && ct) {
        json_t *now = json_object();
        diff(now, json_object_get(sb, "items"));
        diff(now, json_object_get(ct, "containers"));
        const char *id;
        json_t *v;
        json_object_foreach(now, id, v)
        {
            if (!json_equal(json_object_get(kl->seen, id), v))
                enqueue_entry(kl, json_string_value(v));
        }
        json_object_foreach(kl->seen, id, v)
        {
            if (!json_object_get(now, id))
                enqueue_entry(kl, json_string_value(v));
        }
        json_decref(kl->seen);
        kl->seen = now;
    }
    json_decref(sb);
    json_decref(ct);
    probe_news(kl);
    k1s__reaps_join(kl, false);
    k1s__pulls_gc(kl, false);
    return k1s__requeue(&kl->poll_armed, now_ms < kl->fast_until ? POLL_FAST_MS : POLL_MS);
}

/* ---- the sweep ---------------------------------------------------------------------------- */

typedef struct known_ctx {
    const char *node;
    json_t *uids; /* uid -> "ns/name" */
} known_ctx;

static int note_pod(void *vctx, const json_t *pod)
{
    known_ctx *k = vctx;
    if (strcmp(k1s_json_str_or(pod, "spec.nodeName", ""), k->node) != 0)
        return 0;
    char key[600];
    snprintf(key, sizeof key, "%s/%s", k1s_json_str_or(pod, "metadata.namespace", ""),
             k1s_json_str_or(pod, "metadata.name", ""));
    json_object_set_new(k->uids, k1s_json_str_or(pod, "metadata.uid", ""), json_string(key));
    return 0;
}

/* orphans: uid -> {sandboxes: [...], containers: [...], dir} */
static json_t *orphan(json_t *orphans, const json_t *labels)
{
    const char *uid = label(labels, K1S__L_POD_UID);
    json_t *o = json_object_get(orphans, uid);
    if (!o) {
        o = json_pack("{s:[], s:[], s:s, s:s}", "sandboxes", "containers", "ns",
                      label(labels, K1S__L_POD_NS), "name", label(labels, K1S__L_POD_NAME));
        json_object_set_new(orphans, uid, o);
    }
    return o;
}

/* The ids of the listed items (sandboxes or containers) of pods not in
 * known, into their orphan's list which. */
static void add_orphans(json_t *orphans, const json_t *known, const json_t *items,
                        const char *which)
{
    size_t i;
    const json_t *x;
    json_array_foreach(items, i, x)
    {
        const json_t *labels = json_object_get(x, "labels");
        const char *uid = label(labels, K1S__L_POD_UID);
        if (*uid && !json_object_get(known, uid))
            json_array_append_new(json_object_get(orphan(orphans, labels), which),
                                  json_string(k1s_json_str_or(x, "id", "")));
    }
}

static void sweep_dirs(k1s_kubelet *kl, const json_t *known, const json_t *orphans)
{
    DIR *d = opendir(kl->pods_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        const char *us = strrchr(e->d_name, '_');
        if (e->d_name[0] == '.' || !us || json_object_get(known, us + 1) ||
            json_object_get(orphans, us + 1))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", kl->pods_dir, e->d_name);
        k1s__reap(kl, us + 1, NULL, NULL, path);
    }
    if (d)
        closedir(d);
}

int k1s__sweep(k1s_kubelet *kl)
{
    known_ctx k = {kl->node, json_object()};
    k1s_informer *pods = k1s_ctrl_informer(kl->c, "", "Pod");
    if (pods)
        k1s_informer_each(pods, NULL, note_pod, &k);
    json_t *sb = k1s__cri(kl, "ListPodSandbox", NULL, K1S__CRI_LIST, NULL, 0);
    json_t *ct = sb ? k1s__cri(kl, "ListContainers", NULL, K1S__CRI_LIST, NULL, 0) : NULL;
    if (pods && sb && ct) {
        json_t *orphans = json_object();
        add_orphans(orphans, k.uids, json_object_get(sb, "items"), "sandboxes");
        add_orphans(orphans, k.uids, json_object_get(ct, "containers"), "containers");
        const char *uid;
        json_t *o;
        json_object_foreach(orphans, uid, o)
        {
            char dir[4200];
            const char *ns = k1s_json_str_or(o, "ns", ""), *name = k1s_json_str_or(o, "name", "");
            k1s__pod_dir(kl, ns, name, uid, dir, sizeof dir);
            if (!kl->quiet)
                fprintf(stderr, "k1s: kubelet: removing what is left of pod %s/%s (%s)\n", ns, name,
                        uid);
            k1s__reap(kl, uid, json_object_get(o, "sandboxes"), json_object_get(o, "containers"),
                      dir);
        }
        sweep_dirs(kl, k.uids, orphans);
        json_decref(orphans);
        /* every pod of this node gets a pass: adoption after a restart,
         * and a safety net for anything the poll missed */
        json_t *key;
        json_object_foreach(k.uids, uid, key) enqueue_entry(kl, json_string_value(key));
    }
    json_decref(sb);
    json_decref(ct);
    json_decref(k.uids);
    return k1s__requeue(&kl->sweep_armed, SWEEP_MS);
}
