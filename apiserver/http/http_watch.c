/*
 * http_watch.c - watch responses: long-lived chunked streams of
 * {"type":..,"object":..} lines, or of length-prefixed protobuf WatchEvent
 * frames for clients that ask for protobuf. A stream with nothing to send suspends its
 * connection; the store's notify callback (or the ticker, for timeouts and
 * bookmarks) resumes it. No thread waits per watcher.
 */
#include "k1s_json.h"
#include "http_internal.h"
#include "k1s_protobuf.h"
#include "k1s_tables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libmicrohttpd keeps a block of this size per watcher: small, since most
 * watchers are idle and events larger than a block just take more calls */
#define STREAM_BLOCK (8 * 1024)
/* a burst may grow a watcher's buffer; beyond this it is given back */
#define STREAM_KEEP (64 * 1024)

/* kube-apiserver sends a bookmark about once a minute */
#define BOOKMARK_EVERY_MS 60000

struct k1s_wstream {
    k1s_wstream *next; /* in server->streams */
    k1s_server *srv;
    struct MHD_Connection *con;
    pthread_mutex_t mu;
    k1s_watch *w; /* owned; NULL once closed */
    const k1s_kind *kind;
    k1s_filter *filter;   /* owned or NULL */
    json_t *known;        /* owned set ("ns/name" keys) of objects
                                        last sent as matching the filter;
                                        NULL when there is no filter */
    char *name;           /* owned: watch of one object, or NULL */
    bool table;           /* objects sent as meta.k8s.io Tables */
    bool meta;            /* objects sent as PartialObjectMetadata */
    bool pb;              /* protobuf frames, not JSON lines */
    char *include_object; /* owned: Table includeObject, or NULL */
    k1s_buf out;          /* bytes not yet handed to MHD */
    size_t off;
    bool suspended, ending, ended;
    int64_t deadline; /* ms on the monotonic clock, 0: none */
    bool bookmarks;
    int64_t next_bookmark; /* ms on the monotonic clock */
    int64_t last_rev;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stream_notify(void *ctx)
{
    k1s_wstream *ws = ctx;
    pthread_mutex_lock(&ws->mu);
    if (ws->suspended) {
        ws->suspended = false;
        MHD_resume_connection(ws->con);
    }
    pthread_mutex_unlock(&ws->mu);
}

static void add_event_text(k1s_buf *b, const char *type, const char *obj, size_t len)
{
    k1s_buf_adds(b, "{\"type\":\"");
    k1s_buf_adds(b, type);
    k1s_buf_adds(b, "\",\"object\":");
    k1s_buf_add(b, obj, len);
    k1s_buf_adds(b, "}\n");
}

static void add_event_json(k1s_wstream *ws, const char *type, const json_t *o);

/* A Status as an ERROR event. */
static void add_status_event(k1s_wstream *ws, const k1s_status *st)
{
    json_t *j = k1s_status_json(st);
    if (j)
        add_event_json(ws, "ERROR", j);
    json_decref(j);
}

/* One event of object o (borrowed), a line of JSON or a protobuf frame.
 * An object without a protobuf form ends the stream with an ERROR, as the
 * client cannot be given it. */
static void add_event_json(k1s_wstream *ws, const char *type, const json_t *o)
{
    if (ws->pb) {
        int rc = k1s_protobuf_watch_frame(type, o, &ws->out);
        if (rc == 0 || strcmp(type, "ERROR") == 0)
            return;
        k1s_status st = {0};
        k1s_err_internal(&st, "the object cannot be encoded as protobuf");
        add_status_event(ws, &st);
        k1s_status_clear(&st);
        ws->ending = true;
        return;
    }
    char *text = json_dumps(o, JSON_COMPACT);
    if (text)
        add_event_text(&ws->out, type, text, strlen(text));
    free(text);
}

/* The same for an object's JSON text: copied as it is when JSON goes out. */
static void add_event_raw(k1s_wstream *ws, const char *type, const char *obj, size_t len)
{
    if (!ws->pb) {
        add_event_text(&ws->out, type, obj, len);
        return;
    }
    json_t *o = k1s_json_load(obj, len, NULL);
    if (o)
        add_event_json(ws, type, o);
    json_decref(o);
}

/* An object event, as a one-row Table when the client asked for tables
 * (kubectl get -w), else the stored text as it is. */
static void add_object_event(k1s_wstream *ws, const char *type, const char *obj, size_t len)
{
    if (!ws->table && !ws->meta) {
        add_event_raw(ws, type, obj, len);
        return;
    }
    json_t *o = k1s_json_load(obj, len, NULL), *tbl = NULL;
    if (o && ws->meta)
        tbl = k1s__partial_metadata(o);
    else if (o)
        tbl = k1s_table_build(ws->kind->group, ws->kind->kind, o, ws->include_object, time(NULL));
    if (tbl && !ws->meta) {
        json_t *rv = json_object_get(json_object_get(o, "metadata"), "resourceVersion");
        if (rv)
            json_object_set_new(tbl, "metadata", json_pack("{s:O}", "resourceVersion", rv));
    }
    if (tbl)
        add_event_json(ws, type, tbl);
    json_decref(tbl);
    json_decref(o);
}

static void add_bookmark(k1s_wstream *ws, bool initial_end)
{
    char av[96], text[512];
    k1s_kind_api_version(ws->kind, av, sizeof av);
    snprintf(
        text, sizeof text,
        "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%lld\",\"creationTimestamp\":null%s}}",
        ws->meta ? "PartialObjectMetadata" : ws->kind->kind, ws->meta ? "meta.k8s.io/v1" : av,
        (long long)ws->last_rev,
        initial_end ? ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}" : "");
    add_event_raw(ws, "BOOKMARK", text, strlen(text));
}

static void key_of(char *buf, size_t len, const char *ns, const char *name)
{
    snprintf(buf, len, "%s/%s", ns ? ns : "", name ? name : "");
}

/* Which event, if any, a watcher with a filter sees: an object that starts
 * matching arrives as ADDED, one that stops matching as DELETED, as
 * kube-apiserver's watch cache reports them. NULL: nothing to send. */
static const char *filtered_type(k1s_wstream *ws, const k1s_event *ev)
{
    static const char *const names[] = {NULL, "ADDED", "MODIFIED", "DELETED"};
    if (ws->name && strcmp(ws->name, ev->name) != 0)
        return NULL;
    if (!ws->filter)
        return names[ev->type];
    json_t *o = k1s_json_load(ev->json, ev->len, NULL);
    bool match = o && k1s_filter_match(ws->filter, o);
    json_decref(o);
    char key[600];
    key_of(key, sizeof key, ev->ns, ev->name);
    bool known = json_object_get(ws->known, key) != NULL;
    if (ev->type == K1S_EV_DELETED) {
        json_object_del(ws->known, key);
        return match || known ? "DELETED" : NULL;
    }
    if (match && !known) {
        json_object_set_new(ws->known, key, json_true());
        return "ADDED";
    }
    if (!match && known) {
        json_object_del(ws->known, key);
        return "DELETED";
    }
    return match ? names[ev->type] : NULL;
}

/* Move queued store events into the output buffer. Caller holds ws->mu.
 * Nothing follows once the stream is ending: a dropped watcher stays
 * dropped, and its one ERROR event is the last thing sent. */
static void drain(k1s_wstream *ws)
{
    k1s_event *ev;
    int rc;
    while (ws->w && !ws->ending && ws->out.len - ws->off < 256 * 1024 &&
           (rc = k1s_watch_next(ws->w, &ev)) != 0) {
        if (rc < 0) {
            /* dropped for falling behind: the client relists */
            k1s_status st = {0};
            k1s_err_gone(&st, (long long)ws->last_rev, (long long)ws->last_rev);
            add_status_event(ws, &st);
            k1s_status_clear(&st);
            ws->ending = true;
            return;
        }
        ws->last_rev = ev->rev;
        const char *type = filtered_type(ws, ev);
        if (type)
            add_object_event(ws, type, ev->json, ev->len);
        k1s_event_unref(ev);
    }
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    k1s_wstream *ws = cls;
    (void)pos;
    pthread_mutex_lock(&ws->mu);
    if (ws->out.len == ws->off) {
        ws->out.len = ws->off = 0;
        if (ws->out.cap > STREAM_KEEP) {
            free(ws->out.p);
            ws->out = (k1s_buf){0};
        }
        drain(ws);
        int64_t now = now_ms();
        if (ws->out.len == 0 && ws->bookmarks && !ws->ending && now >= ws->next_bookmark) {
            add_bookmark(ws, false);
            ws->next_bookmark = now + BOOKMARK_EVERY_MS;
        }
        if (ws->out.len == 0 && (ws->ending || (ws->deadline && now >= ws->deadline))) {
            ws->ended = true;
            pthread_mutex_unlock(&ws->mu);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (ws->out.len == 0) {
            ws->suspended = true;
            MHD_suspend_connection(ws->con);
            pthread_mutex_unlock(&ws->mu);
            return 0;
        }
    }
    size_t n = ws->out.len - ws->off;
    if (n > max)
        n = max;
    memcpy(buf, ws->out.p + ws->off, n);
    ws->off += n;
    pthread_mutex_unlock(&ws->mu);
    return (ssize_t)n;
}

/* Release what a stream owns; it is not (or no longer) in the list. */
static void stream_destroy(k1s_wstream *ws)
{
    if (ws->w)
        k1s_watch_close(ws->w); /* no notify runs after this */
    k1s_filter_free(ws->filter);
    json_decref(ws->known);
    free(ws->include_object);
    free(ws->name);
    free(ws->out.p);
    pthread_mutex_destroy(&ws->mu);
    free(ws);
}

/* libmicrohttpd is done with the response: unlink, then release. */
static void stream_free(void *cls)
{
    k1s_wstream *ws = cls;
    k1s_server *s = ws->srv;
    pthread_mutex_lock(&s->streams_mu);
    for (k1s_wstream **p = &s->streams; *p; p = &(*p)->next)
        if (*p == ws) {
            *p = ws->next;
            break;
        }
    pthread_mutex_unlock(&s->streams_mu);
    stream_destroy(ws);
}

/* Wakes streams whose timeout or bookmark is due, once a second. */
void *k1s__watch_ticker(void *arg)
{
    k1s_server *s = arg;
    pthread_mutex_lock(&s->stop_mu);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->stop_cv, &s->stop_mu, &ts);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->stop_mu);
        int64_t now = now_ms();
        k1s__guard_sweep(s, now);
        pthread_mutex_lock(&s->streams_mu);
        for (k1s_wstream *ws = s->streams; ws; ws = ws->next) {
            pthread_mutex_lock(&ws->mu);
            bool due = (ws->deadline && now >= ws->deadline) ||
                       (ws->bookmarks && now >= ws->next_bookmark);
            if (due && ws->suspended) {
                ws->suspended = false;
                MHD_resume_connection(ws->con);
            }
            pthread_mutex_unlock(&ws->mu);
        }
        pthread_mutex_unlock(&s->streams_mu);
        pthread_mutex_lock(&s->stop_mu);
    }
    pthread_mutex_unlock(&s->stop_mu);
    return NULL;
}

/* At shutdown every stream ends so MHD can close its connection. */
void k1s__watch_stop_all(k1s_server *s)
{
    pthread_mutex_lock(&s->streams_mu);
    s->streams_closed = true;
    for (k1s_wstream *ws = s->streams; ws; ws = ws->next) {
        pthread_mutex_lock(&ws->mu);
        ws->ending = true;
        if (ws->suspended) {
            ws->suspended = false;
            MHD_resume_connection(ws->con);
        }
        pthread_mutex_unlock(&ws->mu);
    }
    pthread_mutex_unlock(&s->streams_mu);
}

typedef struct initctx {
    k1s_wstream *ws;
    bool send; /* emit ADDED events, or only note what matches */
} initctx;

static int initial_item(void *ctx, const char *json, size_t len)
{
    initctx *ic = ctx;
    k1s_wstream *ws = ic->ws;
    /* list already applied the selectors; only a name filter remains */
    if (ws->name || ws->known) {
        json_t *o = k1s_json_load(json, len, NULL);
        const json_t *m = json_object_get(o, "metadata");
        const char *n = json_string_value(json_object_get(m, "name"));
        bool ok = n && (!ws->name || !strcmp(n, ws->name));
        if (ok && ws->known) {
            char key[600];
            key_of(key, sizeof key, json_string_value(json_object_get(m, "namespace")), n);
            json_object_set_new(ws->known, key, json_true());
        }
        json_decref(o);
        if (!ok)
            return 0;
    }
    if (ic->send)
        add_object_event(ws, "ADDED", json, len);
    return k1s_buf_failed(&ws->out) ? -1 : 0;
}

enum MHD_Result k1s__handle_watch(k1s_server *s, struct MHD_Connection *c, const k1s_kind *kind,
                                  const char *ns, const char *name)
{
    k1s_status st = {0};
    const char *rvs = k1s__arg(c, "resourceVersion");
    const char *ts = k1s__arg(c, "timeoutSeconds");
    bool send_initial = k1s__arg_true(c, "sendInitialEvents");
    int64_t rv = 0;
    if (rvs && *rvs && k1s_parse_rv(rvs, &rv))
        return k1s__reply_error(c, 400, "BadRequest", "invalid resource version");
    k1s_wstream *ws = calloc(1, sizeof *ws);
    if (!ws)
        return MHD_NO;
    pthread_mutex_init(&ws->mu, NULL);
    ws->srv = s;
    ws->con = c;
    ws->kind = kind;
    ws->name = name ? strdup(name) : NULL;
    k1s_accept a = k1s__accept_kind(c, kind, false);
    ws->table = a.as == K1S_AS_TABLE;
    ws->meta = a.as == K1S_AS_META;
    ws->pb = a.protobuf;
    const char *inc = k1s__arg(c, "includeObject");
    ws->include_object = inc ? strdup(inc) : NULL;
    ws->bookmarks = k1s__arg_true(c, "allowWatchBookmarks");
    ws->next_bookmark = now_ms() + BOOKMARK_EVERY_MS;
    if (ts && *ts) {
        long long t = atoll(ts);
        if (t > 0 && t < 365LL * 24 * 3600)
            ws->deadline = now_ms() + t * 1000;
    }
    if (k1s_filter_new(kind, k1s__arg(c, "labelSelector"), k1s__arg(c, "fieldSelector"),
                       &ws->filter, &st))
        goto fail_status;

    if (ws->filter)
        ws->known = json_object();
    int64_t from = rv;
    bool initial = send_initial || !rvs || !*rvs || rv == 0;
    if (send_initial && !ws->bookmarks) {
        k1s_status_set(
            &st, 422, "Invalid",
            "ListOptions.meta.k8s.io \"\" is invalid: allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks=true");
        goto fail_status;
    }
    if (initial) {
        k1s_list_opts lo = {.label_selector = k1s__arg(c, "labelSelector"),
                            .field_selector = k1s__arg(c, "fieldSelector")};
        k1s_list_result res;
        initctx ic = {ws, true};
        if (k1s_api_list(s->api, kind, ns, &lo, initial_item, &ic, &res, &st))
            goto fail_status;
        k1s_list_result_free(&res);
        from = res.rev;
        ws->last_rev = res.rev;
        if (send_initial)
            add_bookmark(ws, true);
    } else {
        ws->last_rev = rv;
        if (ws->known) {
            /* what matches now stands in for what matched at rv: the log
               keeps events, not past states */
            k1s_list_opts lo = {.label_selector = k1s__arg(c, "labelSelector"),
                                .field_selector = k1s__arg(c, "fieldSelector")};
            k1s_list_result res;
            initctx ic = {ws, false};
            if (k1s_api_list(s->api, kind, ns, &lo, initial_item, &ic, &res, &st))
                goto fail_status;
            k1s_list_result_free(&res);
        }
    }
    if (k1s_api_watch(s->api, kind, ns, from, stream_notify, ws, &ws->w, &st)) {
        if (st.code != 410)
            goto fail_status;
        /* kube answers 200 and an ERROR event for a compacted revision */
        add_status_event(ws, &st);
        k1s_status_clear(&st);
        ws->ending = true;
        ws->w = NULL;
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK,
                                                                  stream_read, ws, stream_free);
    if (!resp) {
        stream_destroy(ws);
        return MHD_NO;
    }
    pthread_mutex_lock(&s->streams_mu);
    if (s->streams_closed) {
        pthread_mutex_lock(&ws->mu); /* the store's notify may run already */
        ws->ending = true;
        pthread_mutex_unlock(&ws->mu);
    }
    ws->next = s->streams;
    s->streams = ws;
    pthread_mutex_unlock(&s->streams_mu);
    MHD_add_response_header(resp, "Content-Type",
                            ws->pb ? K1S_PROTOBUF_MEDIA_TYPE ";stream=watch" : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
    enum MHD_Result ret = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    return ret;

fail_status:;
    enum MHD_Result r = k1s__reply_status(c, &st);
    k1s_status_clear(&st);
    stream_destroy(ws);
    return r;
}
