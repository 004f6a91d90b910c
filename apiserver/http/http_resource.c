/*
 * http_resource.c - REST verbs on resource URLs: get, list, create, update,
 * patch, delete and deletecollection, each translated to one call of the
 * client interface (k1s_api.h) and its answer encoded as kube-apiserver's.
 */
#include "k1s_json.h"
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k1s_names.h"
#include "k1s_protobuf.h"
#include "k1s_tables.h"
#include "k1s_stream.h"

/* ---- request options ---------------------------------------------------- */

static int write_opts(struct MHD_Connection *c, k1s_opts *o, json_t *warnings, k1s_status *st)
{
    memset(o, 0, sizeof *o);
    o->grace_seconds = -1;
    o->warnings = warnings;
    o->field_manager = k1s__arg(c, "fieldManager");
    const char *dry = k1s__arg(c, "dryRun");
    if (dry) {
        if (strcmp(dry, "All") != 0)
            return k1s_err_bad_request(st, "Invalid dry run value: %.64s", dry);
        o->dry_run = true;
    }
    const char *fv = k1s__arg(c, "fieldValidation");
    o->field_validation = K1S_FV_WARN;
    if (fv && *fv) {
        if (!strcmp(fv, "Strict"))
            o->field_validation = K1S_FV_STRICT;
        else if (!strcmp(fv, "Ignore"))
            o->field_validation = K1S_FV_IGNORE;
        else if (strcmp(fv, "Warn") != 0)
            return k1s_err_bad_request(
                st,
                "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got \"%.64s\"",
                fv);
    }
    return 0;
}

/* ---- answers ------------------------------------------------------------ */

static enum MHD_Result reply_object(struct MHD_Connection *c, int code, const k1s_kind *k,
                                    json_t *obj, const json_t *warnings)
{
    k1s_accept a = k1s__accept_kind(c, k, false);
    k1s_as as = a.as;
    if (as == K1S_AS_META) {
        json_t *pm = k1s__partial_metadata(obj);
        enum MHD_Result r = pm ? k1s__reply_encoded(c, code, pm, warnings, &a)
                               : k1s__reply_error(c, 500, "InternalError", "out of memory");
        json_decref(pm);
        return r;
    }
    if (as == K1S_AS_TABLE) {
        json_t *items = json_array();
        json_array_append(items, obj);
        json_t *tbl =
            k1s_table_build(k->group, k->kind, items, k1s__arg(c, "includeObject"), time(NULL));
        json_decref(items);
        json_t *meta = json_object_get(json_object_get(obj, "metadata"), "resourceVersion");
        if (meta)
            json_object_set_new(tbl, "metadata", json_pack("{s:O}", "resourceVersion", meta));
        enum MHD_Result r = k1s__reply_json(c, code, tbl, warnings);
        json_decref(tbl);
        return r;
    }
    return k1s__reply_encoded(c, code, obj, warnings, &a);
}

/* A list answer is built as text, item by item: the stored JSON is copied
 * as it is, and for tables each item becomes one row right away, so no tree
 * of every object is ever held in memory. */
typedef struct listout {
    k1s_buf buf; /* items, or table rows, comma-separated */
    const k1s_kind *kind;
    bool table;
    bool meta;           /* PartialObjectMetadata items */
    const char *include; /* Table includeObject */
    char *columns;       /* columnDefinitions text */
    time_t now;
    size_t count;
} listout;

/* What a list item becomes when it is not sent as stored: its Table row
 * or its metadata. New ref, NULL when it cannot be built. */
static json_t *item_view(const listout *lo, const json_t *o)
{
    if (lo->meta)
        return k1s__partial_metadata(o);
    return k1s_table_row(lo->kind->group, lo->kind->kind, o, lo->include, lo->now);
}

static int list_collect(void *ctx, const char *json, size_t len)
{
    listout *lo = ctx;
    if (lo->count)
        k1s_buf_add(&lo->buf, ",", 1);
    if (!lo->table && !lo->meta) {
        k1s_buf_add(&lo->buf, json, len);
    } else {
        json_t *o = k1s_json_load(json, len, NULL);
        json_t *v = o ? item_view(lo, o) : NULL;
        char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
        if (text)
            k1s_buf_adds(&lo->buf, text);
        free(text);
        json_decref(v);
        json_decref(o);
        if (!text)
            return -1;
    }
    lo->count++;
    return k1s_buf_failed(&lo->buf) ? -1 : 0;
}

static void list_opts_from(struct MHD_Connection *c, k1s_list_opts *lo, k1s_status *st, int *bad)
{
    memset(lo, 0, sizeof *lo);
    lo->label_selector = k1s__arg(c, "labelSelector");
    lo->field_selector = k1s__arg(c, "fieldSelector");
    lo->continue_token = k1s__arg(c, "continue");
    lo->resource_version = k1s__arg(c, "resourceVersion");
    lo->resource_version_match = k1s__arg(c, "resourceVersionMatch");
    const char *limit = k1s__arg(c, "limit");
    *bad = 0;
    if (limit && *limit) {
        char *end = NULL;
        long long v = strtoll(limit, &end, 10);
        if (*end || v < 0) {
            k1s_err_bad_request(st, "invalid limit: %.32s", limit);
            *bad = 1;
        }
        lo->limit = v;
    }
}

/* ---- lists in protobuf ---------------------------------------------------- */

typedef struct pbout {
    k1s_protobuf_list *l;
    int rc; /* the first encoding failure */
} pbout;

static int pb_collect(void *ctx, const char *json, size_t len)
{
    pbout *po = ctx;
    json_t *o = k1s_json_load(json, len, NULL);
    po->rc = o ? k1s_protobuf_list_add(po->l, o) : K1S_ENOMEM;
    json_decref(o);
    return po->rc ? -1 : 0;
}

/* Answers the list in protobuf; false (nothing sent, *st unset) when an
 * item has no protobuf form and JSON will do. */
static bool list_protobuf(k1s_server *s, struct MHD_Connection *c, const k1s_kind *k,
                          const char *ns, const k1s_list_opts *lo, const k1s_accept *a,
                          enum MHD_Result *r)
{
    char av[96];
    k1s_kind_api_version(k, av, sizeof av);
    k1s_protobuf_list *l = k1s_protobuf_list_new(av, k->kind, a->as == K1S_AS_META);
    pbout po = {l, 0};
    if (!l) {
        *r = k1s__reply_error(c, 500, "InternalError", "out of memory");
        return true;
    }
    k1s_status st = {0};
    k1s_list_result res;
    if (k1s_api_list(s->api, k, ns, lo, pb_collect, &po, &res, &st)) {
        bool fall_back = po.rc == K1S_PROTOBUF_ENOFORM && a->json;
        if (!fall_back)
            *r = po.rc == K1S_PROTOBUF_ENOFORM ? k1s__reply_not_acceptable(c, false)
                 : po.rc ? k1s__reply_error(c, 500, "InternalError", "encoding failed")
                         : k1s__reply_status(c, &st);
        k1s_status_clear(&st);
        k1s_protobuf_list_free(l);
        return !fall_back;
    }
    char rv[32];
    snprintf(rv, sizeof rv, "%lld", (long long)res.rev);
    json_t *meta = json_pack("{s:s}", "resourceVersion", rv);
    if (meta && res.continue_token)
        json_object_set_new(meta, "continue", json_string(res.continue_token));
    if (meta && res.remaining >= 0)
        json_object_set_new(meta, "remainingItemCount", json_integer(res.remaining));
    unsigned char *b = NULL;
    size_t n = 0;
    int rc = meta ? k1s_protobuf_list_finish(l, meta, &b, &n) : K1S_ENOMEM;
    json_decref(meta);
    k1s_protobuf_list_free(l);
    k1s_list_result_free(&res);
    *r = rc == 0 ? k1s__reply_text(c, 200, K1S_PROTOBUF_MEDIA_TYPE, (char *)b, n, NULL)
                 : k1s__reply_error(c, 500, "InternalError", "encoding failed");
    return true;
}

static enum MHD_Result do_list(k1s_server *s, struct MHD_Connection *c, const k1s_kind *k,
                               const char *ns)
{
    k1s_status st = {0};
    k1s_list_opts lo;
    int bad;
    list_opts_from(c, &lo, &st, &bad);
    if (bad) {
        enum MHD_Result r = k1s__reply_status(c, &st);
        k1s_status_clear(&st);
        return r;
    }
    k1s_accept a = k1s__accept_kind(c, k, true);
    enum MHD_Result pr;
    if (a.protobuf && list_protobuf(s, c, k, ns, &lo, &a, &pr))
        return pr;
    k1s_as as = a.as;
    listout out = {.kind = k,
                   .table = as == K1S_AS_TABLE,
                   .meta = as == K1S_AS_META,
                   .include = k1s__arg(c, "includeObject"),
                   .now = time(NULL)};
    if (out.table && out.include && !k1s_table_include_object_valid(out.include)) {
        k1s_err_bad_request(&st, "unrecognized includeObject value: \"%.64s\"", out.include);
        enum MHD_Result r = k1s__reply_status(c, &st);
        k1s_status_clear(&st);
        return r;
    }
    k1s_list_result res;
    if (k1s_api_list(s->api, k, ns, &lo, list_collect, &out, &res, &st)) {
        free(out.buf.p);
        free(out.columns);
        enum MHD_Result r = k1s__reply_status(c, &st);
        k1s_status_clear(&st);
        return r;
    }
    char rv[32];
    snprintf(rv, sizeof rv, "%lld", (long long)res.rev);
    char av[96];
    k1s_kind_api_version(k, av, sizeof av);
    k1s_buf b = {0};
    if (out.table) {
        json_t *cols = k1s_table_columns(k->group, k->kind);
        out.columns = cols ? json_dumps(cols, JSON_COMPACT) : NULL;
        json_decref(cols);
        k1s_buf_adds(&b, "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\"");
    } else if (out.meta) {
        k1s_buf_adds(&b,
                     "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/v1\"");
    } else {
        k1s_buf_adds(&b, "{\"kind\":\"");
        k1s_buf_adds(&b, k->kind);
        k1s_buf_adds(&b, "List\",\"apiVersion\":\"");
        k1s_buf_adds(&b, av);
        k1s_buf_adds(&b, "\"");
    }
    k1s_buf_adds(&b, ",\"metadata\":{\"resourceVersion\":\"");
    k1s_buf_adds(&b, rv);
    k1s_buf_adds(&b, "\"");
    if (res.continue_token) {
        k1s_buf_adds(&b, ",\"continue\":\"");
        k1s_buf_adds(&b, res.continue_token); /* base64: no escaping needed */
        k1s_buf_adds(&b, "\"");
    }
    if (res.remaining >= 0)
        k1s_buf_addf(&b, ",\"remainingItemCount\":%lld", res.remaining);
    if (out.table) {
        k1s_buf_adds(&b, "},\"columnDefinitions\":");
        k1s_buf_adds(&b, out.columns ? out.columns : "[]");
        k1s_buf_adds(&b, ",\"rows\":[");
    } else {
        k1s_buf_adds(&b, "},\"items\":[");
    }
    if (out.buf.p)
        k1s_buf_add(&b, out.buf.p, out.buf.len);
    k1s_buf_adds(&b, "]}\n");
    free(out.buf.p);
    free(out.columns);
    size_t len;
    char *text = k1s_buf_take(&b, &len);
    enum MHD_Result r = text ? k1s__reply_text(c, 200, "application/json", text, len, NULL)
                             : k1s__reply_error(c, 500, "InternalError", "out of memory");
    k1s_list_result_free(&res);
    return r;
}

static enum MHD_Result do_get(k1s_server *s, struct MHD_Connection *c, const k1s_target *t)
{
    k1s_status st = {0};
    enum MHD_Result r;
    const k1s_subresource *sr = t->sub ? k1s_kind_subresource(t->kind, t->sub) : NULL;
    if (t->sub && !(sr && (sr->type == K1S_SUBR_STATUS || sr->type == K1S_SUBR_SCALE)))
        return k1s__reply_error(c, 404, "NotFound",
                                "the server could not find the requested resource");
    k1s_accept a = k1s__accept_kind(c, t->kind, false);
    if (!t->sub && a.as == K1S_AS_OBJECT && !a.protobuf) {
        char *text = NULL;
        if (k1s_api_get_raw(s->api, t, &text, &st)) {
            r = k1s__reply_status(c, &st);
            k1s_status_clear(&st);
            return r;
        }
        return k1s__reply_text(c, 200, "application/json", text, strlen(text), NULL);
    }
    json_t *obj = NULL;
    if (sr && sr->type == K1S_SUBR_SCALE) {
        /* an empty merge patch yields the Scale view without writing */
        json_t *empty = json_object();
        k1s_opts o = {.dry_run = true, .grace_seconds = -1};
        int rc = k1s_api_patch(s->api, t, K1S_PATCH_MERGE, empty, &o, &obj, &st);
        json_decref(empty);
        if (rc) {
            r = k1s__reply_status(c, &st);
            k1s_status_clear(&st);
            return r;
        }
        r = k1s__reply_encoded(c, 200, obj, NULL, &a);
        json_decref(obj);
        return r;
    }
    if (k1s_api_get(s->api, t, &obj, &st)) {
        r = k1s__reply_status(c, &st);
        k1s_status_clear(&st);
        return r;
    }
    r = reply_object(c, 200, t->kind, obj, NULL);
    json_decref(obj);
    return r;
}

static enum MHD_Result finish(struct MHD_Connection *c, const k1s_kind *k, int rc, int code,
                              json_t *obj, json_t *warnings, k1s_status *st)
{
    enum MHD_Result r;
    if (rc)
        r = k1s__reply_status(c, st);
    else
        r = reply_object(c, code, k, obj, warnings);
    json_decref(obj);
    json_decref(warnings);
    k1s_status_clear(st);
    return r;
}

static enum MHD_Result do_write(k1s_server *s, struct MHD_Connection *c, const char *method,
                                const k1s_target *t, k1s_req *rq)
{
    k1s_status st = {0};
    json_t *warnings = json_array();
    k1s_opts o;
    json_t *out = NULL;
    int rc = write_opts(c, &o, warnings, &st);
    json_t *body = NULL;
    if (!rc)
        body = strcmp(method, "PATCH") ? k1s__body_decode(c, rq, &st) : k1s__body_json(rq, &st);
    if (!body)
        return finish(c, t->kind, -1, 0, NULL, warnings, &st);
    json_t *dups = strcmp(method, "PATCH") && o.field_validation != K1S_FV_IGNORE
                       ? k1s__body_duplicates(c, rq)
                       : NULL;
    o.duplicates = dups;
    int code = 200;
    if (!strcmp(method, "POST")) {
        rc = k1s_api_create(s->api, t, body, &o, &out, &st);
        code = 201;
    } else if (!strcmp(method, "PUT")) {
        rc = k1s_api_update(s->api, t, body, &o, &out, &st);
    } else {
        const char *ct = k1s__header(c, "Content-Type");
        k1s_patch_type pt;
        if (ct && !strncmp(ct, "application/json-patch+json", 27))
            pt = K1S_PATCH_JSON;
        else if (ct && !strncmp(ct, "application/merge-patch+json", 28))
            pt = K1S_PATCH_MERGE;
        else if (ct && !strncmp(ct, "application/strategic-merge-patch+json", 38))
            pt = K1S_PATCH_STRATEGIC;
        else {
            json_decref(body);
            k1s_status_set(
                &st, 415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json");
            return finish(c, t->kind, -1, 0, NULL, warnings, &st);
        }
        if (pt == K1S_PATCH_JSON ? !json_is_array(body) : !json_is_object(body)) {
            json_decref(body);
            k1s_err_bad_request(
                &st,
                pt == K1S_PATCH_JSON
                    ? "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
                    : "json: cannot unmarshal array into Go value of type map[string]interface {}");
            return finish(c, t->kind, -1, 0, NULL, warnings, &st);
        }
        rc = k1s_api_patch(s->api, t, pt, body, &o, &out, &st);
    }
    json_decref(dups);
    json_decref(body);
    return finish(c, t->kind, rc, code, out, warnings, &st);
}

/* DeleteOptions come as a body, as query parameters, or both. */
static int delete_opts(struct MHD_Connection *c, k1s_req *rq, k1s_opts *o, json_t *warnings,
                       json_t **holder, k1s_status *st)
{
    if (write_opts(c, o, warnings, st))
        return -1;
    *holder = NULL;
    const char *pp = k1s__arg(c, "propagationPolicy");
    const char *gp = k1s__arg(c, "gracePeriodSeconds");
    if (rq->body.len) {
        json_t *b = k1s__body_decode(c, rq, st);
        if (!b)
            return -1;
        *holder = b;
        const char *bpp = json_string_value(json_object_get(b, "propagationPolicy"));
        if (bpp)
            pp = bpp;
        json_t *bgp = json_object_get(b, "gracePeriodSeconds");
        if (json_is_integer(bgp))
            o->grace_seconds = json_integer_value(bgp);
        json_t *pre = json_object_get(b, "preconditions");
        o->precondition_uid = json_string_value(json_object_get(pre, "uid"));
        o->precondition_rv = json_string_value(json_object_get(pre, "resourceVersion"));
        json_t *dr = json_object_get(b, "dryRun");
        if (json_array_size(dr))
            o->dry_run = true;
        json_t *orphan = json_object_get(b, "orphanDependents");
        if (!pp && json_is_boolean(orphan))
            pp = json_is_true(orphan) ? "Orphan" : "Background";
    }
    if (gp && o->grace_seconds < 0)
        o->grace_seconds = atoll(gp);
    if (pp && strcmp(pp, "Orphan") && strcmp(pp, "Foreground") && strcmp(pp, "Background")) {
        k1s_status_set(
            st, 422, "Invalid",
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"%.64s\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
            pp);
        return -1;
    }
    o->propagation = pp;
    return 0;
}

static json_t *deleted_status(const k1s_target *t, const json_t *obj)
{
    json_t *st = json_pack("{s:s, s:s, s:{}, s:s, s:{s:s, s:s}}", "kind", "Status", "apiVersion",
                           "v1", "metadata", "status", "Success", "details", "name", t->name,
                           "kind", t->kind->plural);
    json_t *d = json_object_get(st, "details");
    if (*t->kind->group)
        json_object_set_new(d, "group", json_string(t->kind->group));
    const char *uid = json_string_value(json_object_get(json_object_get(obj, "metadata"), "uid"));
    if (uid)
        json_object_set_new(d, "uid", json_string(uid));
    return st;
}

static enum MHD_Result do_delete(k1s_server *s, struct MHD_Connection *c, const k1s_target *t,
                                 k1s_req *rq)
{
    k1s_status st = {0};
    k1s_opts o;
    json_t *holder = NULL, *out = NULL, *warnings = json_array();
    int removed = 0;
    enum MHD_Result r;
    if (delete_opts(c, rq, &o, warnings, &holder, &st) ||
        k1s_api_delete(s->api, t, &o, &out, &removed, &st)) {
        json_decref(holder);
        json_decref(warnings);
        r = k1s__reply_status(c, &st);
        k1s_status_clear(&st);
        return r;
    }
    json_decref(holder);
    if (removed && !t->kind->return_deleted) {
        json_t *ok = deleted_status(t, out);
        k1s_accept a = k1s__accept(c, false, true); /* a Status */
        r = k1s__reply_encoded(c, 200, ok, warnings, &a);
        json_decref(ok);
    } else {
        r = reply_object(c, 200, t->kind, out, warnings);
    }
    json_decref(out);
    json_decref(warnings);
    return r;
}

typedef struct namelist {
    json_t *names;
} namelist;

static int collect_name(void *ctx, const char *json, size_t len)
{
    namelist *nl = ctx;
    json_t *o = k1s_json_load(json, len, NULL);
    const char *ns =
        json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace"));
    const char *name = json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
    if (name)
        json_array_append_new(nl->names, json_pack("[s,s]", ns ? ns : "", name));
    json_decref(o);
    return 0;
}

static enum MHD_Result do_delete_collection(k1s_server *s, struct MHD_Connection *c,
                                            const k1s_kind *k, const char *ns, k1s_req *rq)
{
    k1s_status st = {0};
    k1s_list_opts lo;
    int bad;
    enum MHD_Result r;
    list_opts_from(c, &lo, &st, &bad);
    lo.limit = 0;
    lo.continue_token = NULL;
    namelist nl = {json_array()};
    k1s_list_result res;
    k1s_opts o;
    json_t *holder = NULL;
    if (bad || delete_opts(c, rq, &o, NULL, &holder, &st) ||
        k1s_api_list(s->api, k, ns, &lo, collect_name, &nl, &res, &st)) {
        json_decref(holder);
        json_decref(nl.names);
        r = k1s__reply_status(c, &st);
        k1s_status_clear(&st);
        return r;
    }
    k1s_list_result_free(&res);
    char av[96];
    k1s_kind_api_version(k, av, sizeof av);
    json_t *items = json_array();
    size_t i;
    json_t *pair;
    json_array_foreach(nl.names, i, pair)
    {
        k1s_target t = {k, json_string_value(json_array_get(pair, 0)),
                        json_string_value(json_array_get(pair, 1)), NULL};
        json_t *out = NULL;
        int removed;
        k1s_status est = {0};
        if (k1s_api_delete(s->api, &t, &o, &out, &removed, &est) == 0)
            json_array_append_new(items, out);
        k1s_status_clear(&est); /* gone meanwhile: nothing to report */
    }
    char kl[128];
    snprintf(kl, sizeof kl, "%sList", k->kind);
    json_t *list = json_pack("{s:s, s:s, s:{}, s:o}", "kind", kl, "apiVersion", av, "metadata",
                             "items", items);
    r = k1s__reply_json(c, 200, list, NULL);
    json_decref(list);
    json_decref(nl.names);
    json_decref(holder);
    return r;
}

/* POST .../pods/NAME/binding (the scheduler's verb): k1s_api_bind. */
static enum MHD_Result do_bind(k1s_server *s, struct MHD_Connection *c, const k1s_target *t,
                               k1s_req *rq)
{
    k1s_status st = {0};
    json_t *out = NULL, *body = NULL;
    body = k1s__body_decode(c, rq, &st);
    int rc = body ? k1s_api_bind(s->api, t->ns, t->name, body, &out, &st) : -1;
    json_decref(body);
    enum MHD_Result r = rc ? k1s__reply_status(c, &st) : k1s__reply_json(c, 201, out, NULL);
    json_decref(out);
    k1s_status_clear(&st);
    return r;
}

/* POST .../pods/NAME/eviction (kubectl drain's verb): k1s_api_evict,
 * answered with a Success Status and 201 as kube does. */
static enum MHD_Result do_evict(k1s_server *s, struct MHD_Connection *c, const k1s_target *t,
                                k1s_req *rq)
{
    k1s_status st = {0};
    json_t *body = k1s__body_decode(c, rq, &st); /* new once set */
    const char *dr = k1s__arg(c, "dryRun");
    int rc = body ? k1s_api_evict(s->api, t->ns, t->name, body, dr && *dr, &st) : -1;
    json_decref(body);
    enum MHD_Result r;
    if (rc) {
        r = k1s__reply_status(c, &st);
    } else {
        json_t *ok = json_pack("{s:s, s:s, s:{}, s:s}", "kind", "Status", "apiVersion", "v1",
                               "metadata", "status", "Success"); /* new */
        k1s_accept a = k1s__accept(c, false, true);
        r = k1s__reply_encoded(c, 201, ok, NULL, &a);
        json_decref(ok);
    }
    k1s_status_clear(&st);
    return r;
}

/* URL segments become keys and messages: keep them sane. */
static bool segment_ok(const char *s)
{
    if (!s)
        return true;
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return k1s_utf8_valid(s, n);
}

enum MHD_Result k1s__handle_resource(k1s_server *s, struct MHD_Connection *c, const char *method,
                                     k1s_route *r, k1s_req *rq)
{
    const k1s_kind *k = k1s_registry_find(r->group, r->version, r->resource);
    if (!k || (r->ns && !k->namespaced) || !segment_ok(r->ns) || !segment_ok(r->name) ||
        !segment_ok(r->sub))
        return k1s__reply_error(c, 404, "NotFound",
                                "the server could not find the requested resource");
    k1s_target t = {k, r->ns ? r->ns : "", r->name, r->sub};
    const k1s_subresource *sr = r->name ? k1s_kind_subresource(k, r->sub) : NULL;
    /* exec, attach, port-forward and logs: streams, not objects */
    bool stream = sr && (sr->type == K1S_SUBR_CONNECT || sr->type == K1S_SUBR_LOG);
    /* refused before anything is done, as kube negotiates first */
    k1s_accept acc = k1s__accept_kind(c, k, r->name == NULL);
    if (k1s__accept_none(&acc) && !stream)
        return k1s__reply_not_acceptable(c, false);
    bool watch = r->legacy_watch || k1s__arg_true(c, "watch");
    if (watch || stream)
        k1s__guard_long_running(c);
    /* the node's subresources: streams, not objects */
    if (sr && r->ns && sr->type == K1S_SUBR_CONNECT)
        return k1s_stream_pod_connect(s->stream_hub, c, method, r->ns, r->name, r->sub);
    if (sr && r->ns && sr->type == K1S_SUBR_LOG)
        return k1s_stream_pod_log(s->stream_hub, c, method, r->ns, r->name);
    if (!strcmp(method, "GET")) {
        if (watch)
            return k1s__handle_watch(s, c, k, r->ns, r->name);
        if (!r->name)
            return do_list(s, c, k, r->ns);
        if (k->namespaced && !r->ns)
            return k1s__reply_error(c, 404, "NotFound",
                                    "the server could not find the requested resource");
        return do_get(s, c, &t);
    }
    if (watch)
        return k1s__reply_error(c, 405, "MethodNotAllowed", "watch is only supported with GET");
    if (k->namespaced && !r->ns && !(r->name == NULL && !strcmp(method, "POST")))
        return k1s__reply_error(c, 404, "NotFound",
                                "the server could not find the requested resource");
    if (!strcmp(method, "POST")) {
        if (sr && sr->type == K1S_SUBR_BINDING)
            return do_bind(s, c, &t, rq);
        if (sr && sr->type == K1S_SUBR_EVICTION)
            return do_evict(s, c, &t, rq);
        if (r->name)
            return k1s__reply_error(
                c, 405, "MethodNotAllowed",
                "the server does not allow this method on the requested resource");
        return do_write(s, c, method, &t, rq);
    }
    if (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
        if (!r->name)
            return k1s__reply_error(
                c, 405, "MethodNotAllowed",
                "the server does not allow this method on the requested resource");
        return do_write(s, c, method, &t, rq);
    }
    if (!strcmp(method, "DELETE")) {
        if (!r->name)
            return do_delete_collection(s, c, k, r->ns, rq);
        return do_delete(s, c, &t, rq);
    }
    return k1s__reply_error(c, 405, "MethodNotAllowed",
                            "the server does not allow this method on the requested resource");
}
