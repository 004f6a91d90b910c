/*
 * api.c - the read side of the client interface (get, list) and the API
 * context's life cycle. Lists stream stored text straight to the caller;
 * objects are parsed only when a selector needs their fields.
 */
#include "k1s_json.h"
#include "api_internal.h"
#include "k1s_net.h"
#include "k1s_base64.h"

#include <assert.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int k1s_parse_rv(const char *s, int64_t *rev)
{
    if (!s || !*s || strlen(s) > 19)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        int d = *p - '0';
        if (v > (INT64_MAX - d) / 10) /* 19 digits can pass int64 */
            return -1;
        v = v * 10 + d;
    }
    *rev = v;
    return 0;
}

/* The service CIDR: IPv4, a prefix of 8 to 30 bits (host bits ignored). */
static int parse_cidr(const char *cidr, uint32_t *net, uint32_t *mask)
{
    k1s_cidr4 c;
    if (k1s_cidr4_parse(cidr, &c) != 0 || c.bits < 8 || c.bits > 30)
        return -1;
    *net = c.net;
    *mask = c.mask;
    return 0;
}

int k1s_api_open(const k1s_api_config *cfg, k1s_api **out, char **err)
{
    k1s_api *api = calloc(1, sizeof *api);
    if (!api)
        return -1;
    const char *cidr = cfg->service_cidr ? cfg->service_cidr : "10.96.0.0/12";
    if (parse_cidr(cidr, &api->svc_net, &api->svc_mask)) {
        if (asprintf(err, "invalid service CIDR %s", cidr) < 0)
            *err = NULL;
        free(api);
        return -1;
    }
    api->node_port_min = cfg->node_port_min ? cfg->node_port_min : 30000;
    api->node_port_max = cfg->node_port_max ? cfg->node_port_max : 32767;
    char regerr[256];
    if (k1s_registry_check(regerr, sizeof regerr)) {
        *err = strdup(regerr);
        free(api);
        return -1;
    }
    int rc = k1s_store_open(cfg->db_path, &api->store);
    if (rc) {
        if (asprintf(err, "cannot open store %s (error %d)", cfg->db_path, rc) < 0)
            *err = NULL;
        free(api);
        return -1;
    }
    *out = api;
    return 0;
}

void k1s_api_close(k1s_api *api)
{
    if (!api)
        return;
    k1s_store_close(api->store);
    free(api);
}

k1s_store *k1s_api_store(k1s_api *api)
{
    return api->store;
}

static const char *target_ns(const k1s_target *t)
{
    return t->kind->namespaced && t->ns ? t->ns : "";
}

int k1s_api_get_raw(k1s_api *api, const k1s_target *t, char **json, k1s_status *st)
{
    assert(api && t && t->kind && t->name && st && json);
    k1s_key k = {t->kind->group, t->kind->plural, target_ns(t), t->name};
    int64_t rev;
    int rc = k1s_store_get(api->store, &k, json, &rev);
    if (rc == K1S_ENOTFOUND)
        return k1s_err_not_found(st, t->kind->group, t->kind->plural, t->name);
    if (rc)
        return k1s_err_internal(st, "storage failure");
    return 0;
}

int k1s_api_get(k1s_api *api, const k1s_target *t, json_t **out, k1s_status *st)
{
    assert(api && t && t->kind && t->name && st && out);
    char *text = NULL;
    if (k1s_api_get_raw(api, t, &text, st))
        return -1;
    json_error_t je;
    *out = k1s_json_load(text, strlen(text), &je);
    free(text);
    if (!*out)
        return k1s_err_internal(st, "stored object is not valid JSON");
    return 0;
}

/* ---- list ------------------------------------------------------------------ */

/* Continue tokens: base64 of "<rev>\n<namespace>\n<name>". Opaque to
 * clients; validated on the way back in. */

typedef struct listctx {
    const k1s_filter *filter;
    k1s_list_item_fn cb;
    void *ctx;
    long long want; /* items still to deliver; <0: unlimited */
    long long delivered;
    char *last_ns, *last_name; /* key of the last item looked at */
    int stopped_full;          /* stopped because want reached 0 */
    k1s_status *st;
} listctx;

static int list_item(void *vctx, const char *ns, const char *name, const char *json, size_t len,
                     int64_t rev)
{
    listctx *c = vctx;
    (void)rev;
    if (c->want == 0) {
        c->stopped_full = 1;
        return 1;
    }
    free(c->last_ns);
    free(c->last_name);
    c->last_ns = strdup(ns);
    c->last_name = strdup(name);
    if (c->filter) {
        json_t *obj = k1s_json_load(json, len, NULL);
        bool ok = obj && k1s_filter_match(c->filter, obj);
        json_decref(obj);
        if (!ok)
            return 0;
    }
    int rc = c->cb(c->ctx, json, len);
    if (rc)
        return rc;
    c->delivered++;
    if (c->want > 0)
        c->want--;
    return 0;
}

/* Sets res's continue token after c's last key, at list_rev. */
static void set_continue(k1s_list_result *res, const listctx *c, int64_t list_rev)
{
    char *raw = NULL;
    if (asprintf(&raw, "%lld\n%s\n%s", (long long)list_rev, c->last_ns, c->last_name) >= 0) {
        res->continue_token = k1s_base64_encode(raw, strlen(raw));
        free(raw);
    }
}

/* The list as it was at an earlier revision, from the event log (410 once
 * it no longer reaches back): resourceVersionMatch=Exact, and the later
 * pages of a list whose first page was made at rv (after the token's key). */
static int list_exact(k1s_api *api, const k1s_kind *kind, const char *ns, int64_t rv,
                      const char *after_ns, const char *after_name, const k1s_filter *filter,
                      const k1s_list_opts *lo, k1s_list_item_fn cb, void *ctx, k1s_list_result *res,
                      k1s_status *st)
{
    listctx c = {
        .filter = filter, .cb = cb, .ctx = ctx, .want = lo->limit > 0 ? lo->limit : -1, .st = st};
    int rc = k1s_store_list_at(api->store, kind->group, kind->plural, ns, after_ns, after_name, rv,
                               list_item, &c);
    int64_t head = k1s_store_revision(api->store);
    if (rc == K1S_EGONE && after_name)
        k1s_status_set(st, 410, "Expired",
                       "The provided continue parameter is too old to display a consistent list "
                       "result. You can start a new list without the continue parameter.");
    else if (rc == K1S_EGONE)
        k1s_err_gone(st, (long long)rv, (long long)head);
    else if (rc == K1S_ETOOLARGE)
        k1s_status_set(st, 504, "Timeout", "Too large resource version: %lld, current: %lld",
                       (long long)rv, (long long)head);
    else if (rc < 0 || (rc > 0 && !c.stopped_full))
        if (!st->code)
            k1s_err_internal(st, "storage failure");
    if (st->code) {
        free(c.last_ns);
        free(c.last_name);
        return -1;
    }
    res->rev = rv;
    if (c.stopped_full && c.last_ns)
        set_continue(res, &c, rv);
    free(c.last_ns);
    free(c.last_name);
    return 0;
}

int k1s_api_list(k1s_api *api, const k1s_kind *kind, const char *ns, const k1s_list_opts *lo,
                 k1s_list_item_fn cb, void *ctx, k1s_list_result *res, k1s_status *st)
{
    assert(api && kind && cb && res && st);
    memset(res, 0, sizeof *res);
    res->remaining = -1;
    if (!kind->namespaced || (ns && !*ns))
        ns = kind->namespaced ? NULL : "";
    k1s_filter *filter = NULL;
    if (k1s_filter_new(kind, lo->label_selector, lo->field_selector, &filter, st))
        return -1;
    int64_t rv = 0;
    if (lo->resource_version && *lo->resource_version && k1s_parse_rv(lo->resource_version, &rv)) {
        k1s_filter_free(filter);
        return k1s_err_bad_request(st, "invalid resource version: %.64s", lo->resource_version);
    }
    if (lo->resource_version_match && *lo->resource_version_match) {
        const char *m = lo->resource_version_match;
        if (strcmp(m, "Exact") && strcmp(m, "NotOlderThan")) {
            k1s_filter_free(filter);
            return k1s_status_set(
                st, 422, "Invalid",
                "resourceVersionMatch: Unsupported value: \"%.64s\": supported values: \"Exact\", \"NotOlderThan\"",
                m);
        }
        if (!lo->resource_version || !*lo->resource_version) {
            k1s_filter_free(filter);
            return k1s_status_set(
                st, 422, "Invalid",
                "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
        }
        if (!strcmp(m, "Exact") && rv != k1s_store_revision(api->store) &&
            !(lo->continue_token && *lo->continue_token)) {
            int rc = list_exact(api, kind, ns, rv, NULL, NULL, filter, lo, cb, ctx, res, st);
            k1s_filter_free(filter);
            return rc;
        }
    }
    char *after_ns = NULL, *after_name = NULL, *tok = NULL;
    if (lo->continue_token && *lo->continue_token) {
        size_t tl = 0;
        tok = (char *)k1s_base64_decode(lo->continue_token, strnlen(lo->continue_token, 4097), &tl);
        char *nl1 = tok ? strchr(tok, '\n') : NULL;
        char *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
        if (!nl2 || strlen(tok) != tl) {
            free(tok);
            k1s_filter_free(filter);
            return k1s_err_bad_request(
                st,
                "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
        *nl1 = *nl2 = 0;
        after_ns = nl1 + 1;
        after_name = nl2 + 1;
        /* later pages show the list as it was when the first was made */
        int64_t token_rev = 0;
        if (k1s_parse_rv(tok, &token_rev) == 0 && token_rev > 0 &&
            token_rev < k1s_store_revision(api->store)) {
            int rc = list_exact(api, kind, ns, token_rev, after_ns, after_name, filter, lo, cb, ctx,
                                res, st);
            free(tok);
            k1s_filter_free(filter);
            return rc;
        }
    }
    listctx c = {
        .filter = filter, .cb = cb, .ctx = ctx, .want = lo->limit > 0 ? lo->limit : -1, .st = st};
    int more = 0;
    int64_t list_rev = 0;
    /* one extra row tells whether anything follows the last item */
    int rc = k1s_store_list(api->store, kind->group, kind->plural, ns, after_ns, after_name, 0,
                            list_item, &c, &list_rev, &more);
    free(tok);
    k1s_filter_free(filter);
    if (rc < 0 || (rc > 0 && !c.stopped_full)) {
        free(c.last_ns);
        free(c.last_name);
        if (!st->code)
            k1s_err_internal(st, "storage failure");
        return -1;
    }
    res->rev = list_rev;
    if (c.stopped_full && c.last_ns) {
        set_continue(res, &c, list_rev);
        /* kube counts what is left only when nothing is filtered out */
        int64_t left = 0;
        bool unfiltered = !(lo->label_selector && *lo->label_selector) &&
                          !(lo->field_selector && *lo->field_selector);
        if (unfiltered && k1s_store_count_after(api->store, kind->group, kind->plural, ns,
                                                c.last_ns, c.last_name, &left) == 0)
            res->remaining = left;
    }
    free(c.last_ns);
    free(c.last_name);
    return 0;
}

void k1s_list_result_free(k1s_list_result *r)
{
    free(r->continue_token);
    r->continue_token = NULL;
}

int k1s_api_watch(k1s_api *api, const k1s_kind *kind, const char *ns, int64_t from_rev,
                  k1s_watch_notify_fn notify, void *ctx, k1s_watch **out, k1s_status *st)
{
    assert(api && kind && out && st);
    int rc = k1s_store_watch(api->store, kind->group, kind->plural,
                             kind->namespaced && ns && *ns ? ns : NULL, from_rev, notify, ctx, out);
    if (rc == K1S_EGONE)
        return k1s_err_gone(st, (long long)from_rev,
                            (long long)k1s_store_compacted_revision(api->store) + 1);
    if (rc)
        return k1s_err_internal(st, "cannot start watch");
    return 0;
}
