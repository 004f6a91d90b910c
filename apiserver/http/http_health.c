/*
 * http_health.c - /healthz, /livez and /readyz as kube-apiserver answers
 * them: "ok", or with ?verbose one "[+]name ok" line per check and
 * "<endpoint> check passed"; /<endpoint>/<check> for one check;
 * ?exclude=<check> (repeatable) skips checks; a failing check makes the
 * answer a 500 that lists every check. The checks are rows: each says
 * which endpoints run it and how it is decided.
 */
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>

#define EP_HEALTHZ 1u
#define EP_LIVEZ 2u
#define EP_READYZ 4u
#define EP_ALL (EP_HEALTHZ | EP_LIVEZ | EP_READYZ)
#define MAX_EXCLUDES 32

typedef bool (*check_fn)(k1s_server *s);

typedef struct health_check {
    const char *name;
    unsigned endpoints;
    check_fn ok;
} health_check;

static bool always(k1s_server *s)
{
    (void)s;
    return true;
}

/* Reads namespace name: 0 when it exists, else the status code (404:
 * absent; anything else: the store failed). */
static int read_namespace(k1s_server *s, const char *name)
{
    k1s_target t = {k1s_registry_find_kind("", "Namespace"), "", name, NULL};
    char *text = NULL;
    k1s_status st = {0};
    int code = k1s_api_get_raw(s->api, &t, &text, &st) == 0 ? 0 : st.code ? st.code : 500;
    free(text);
    k1s_status_clear(&st);
    return code;
}

/* The store answers a read (kube's "etcd" check; tools look for it). */
static bool store_reads(k1s_server *s)
{
    int code = read_namespace(s, "kube-system");
    return code == 0 || code == 404;
}

/* The system namespaces exist: bootstrap has run. */
static bool system_namespaces(k1s_server *s)
{
    static const char *const names[] = {"default", "kube-system", "kube-public", "kube-node-lease",
                                        NULL};
    for (const char *const *n = names; *n; n++)
        if (read_namespace(s, *n) != 0)
            return false;
    return true;
}

static bool not_stopping(k1s_server *s)
{
    pthread_mutex_lock(&s->stop_mu);
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->stop_mu);
    return !stopping;
}

/* In kube's order. */
static const health_check checks[] = {
    {"ping", EP_ALL, always},
    {"log", EP_ALL, always},
    {"etcd", EP_ALL, store_reads},
    {"etcd-readiness", EP_READYZ, store_reads},
    {"informer-sync", EP_READYZ, always},
    {"poststarthook/start-system-namespaces-controller", EP_ALL, system_namespaces},
    {"shutdown", EP_READYZ, not_stopping},
};
#define NCHECKS (sizeof checks / sizeof checks[0])

typedef struct excludes {
    const char *names[MAX_EXCLUDES];
    size_t n;
    bool too_many;
    bool verbose; /* ?verbose, with or without a value, as kube tests it */
} excludes;

static enum MHD_Result collect_args(void *ctx, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    excludes *e = ctx;
    if (!strcmp(key, "verbose"))
        e->verbose = true;
    if (strcmp(key, "exclude") || !value)
        return MHD_YES;
    if (e->n == MAX_EXCLUDES) {
        e->too_many = true;
        return MHD_NO;
    }
    e->names[e->n++] = value;
    return MHD_YES;
}

static bool excluded(const excludes *e, const char *name, bool *used)
{
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->names[i], name)) {
            used[i] = true;
            return true;
        }
    return false;
}

static enum MHD_Result reply(struct MHD_Connection *c, int code, k1s_buf *b)
{
    if (b->oom)
        return MHD_NO;
    char *text = strndup(k1s_buf_str(b), b->len);
    size_t n = b->len;
    k1s_buf_free(b);
    return text ? k1s__reply_text(c, code, "text/plain; charset=utf-8", text, n, NULL) : MHD_NO;
}

/* One check: /readyz/etcd. */
static enum MHD_Result one_check(k1s_server *s, struct MHD_Connection *c, unsigned ep,
                                 const char *name)
{
    for (size_t i = 0; i < NCHECKS; i++) {
        if ((checks[i].endpoints & ep) && !strcmp(checks[i].name, name)) {
            k1s_buf b = {0};
            bool ok = checks[i].ok(s);
            k1s_buf_adds(&b, ok ? "ok" : "internal server error: check failed\n");
            return reply(c, ok ? 200 : 500, &b);
        }
    }
    k1s_buf b = {0};
    k1s_buf_adds(&b, "404 page not found\n");
    return reply(c, 404, &b);
}

enum MHD_Result k1s__handle_health(k1s_server *s, struct MHD_Connection *c, const char *url)
{
    static const struct {
        const char *path;
        unsigned ep;
    } eps[] = {{"/healthz", EP_HEALTHZ}, {"/livez", EP_LIVEZ}, {"/readyz", EP_READYZ}};
    for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++) {
        size_t n = strlen(eps[e].path);
        if (strncmp(url, eps[e].path, n) != 0 || (url[n] && url[n] != '/'))
            continue;
        const char *endpoint = eps[e].path + 1;
        if (url[n] == '/' && url[n + 1])
            return one_check(s, c, eps[e].ep, url + n + 1);
        excludes ex = {0};
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_args, &ex);
        if (ex.too_many)
            return k1s__reply_error(c, 400, "BadRequest", "too many exclude parameters");
        bool used[MAX_EXCLUDES] = {0};
        bool verbose = ex.verbose, failed = false;
        k1s_buf b = {0};
        for (size_t i = 0; i < NCHECKS; i++) {
            if (!(checks[i].endpoints & eps[e].ep))
                continue;
            if (excluded(&ex, checks[i].name, used)) {
                k1s_buf_addf(&b, "[+]%s excluded: ok\n", checks[i].name);
                continue;
            }
            bool ok = checks[i].ok(s);
            failed |= !ok;
            k1s_buf_addf(&b, ok ? "[+]%s ok\n" : "[-]%s failed: reason withheld\n", checks[i].name);
        }
        bool warned = false;
        for (size_t i = 0; i < ex.n; i++) {
            if (used[i])
                continue;
            k1s_buf_addf(&b, "%s\"%s\"",
                         warned ? ","
                                : "warn: some health checks cannot be excluded: no matches for ",
                         ex.names[i]);
            warned = true;
        }
        if (warned)
            k1s_buf_adds(&b, "\n");
        if (!verbose && !failed) {
            k1s_buf_free(&b);
            k1s_buf_adds(&b, "ok");
            return reply(c, 200, &b);
        }
        k1s_buf_addf(&b, "%s check %s\n", endpoint, failed ? "failed" : "passed");
        return reply(c, failed ? 500 : 200, &b);
    }
    return k1s__reply_error(c, 404, "NotFound", "the server could not find the requested resource");
}
