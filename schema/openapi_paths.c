/*
 * openapi_paths.c - the OpenAPI paths of one served resource, in v2 or v3
 * form: list/create/deletecollection on the collection, read/replace/patch/
 * delete on the item, /status and /scale where the resource has them, and
 * the legacy watch paths. Operation ids, query parameter names, actions
 * (x-kubernetes-action) and x-kubernetes-group-version-kind follow
 * kube-apiserver, because clients read them: kubectl explain finds a
 * resource's kind through the operations' GVK, and kubectl >= 1.27 turns on
 * server-side field validation only if the PATCH operation of the kind lists
 * fieldValidation. Parameter descriptions are ours.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "k1s_schema_internal.h"

/* snprintf into a fixed buffer. Names are length-checked on entry
 * (k1s__oa_add_paths), so the buffers always suffice; truncation would
 * still only shorten a text, never overflow. */
static void fmt(char *buf, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, n, f, ap);
    va_end(ap);
}

typedef struct param {
    const char *name, *type, *desc;
} param;

static const param P_PRETTY = {"pretty", "string", "If 'true', indent the output for reading."};
static const param P_DRYRUN = {"dryRun", "string",
                               "If 'All', run every stage of the request but persist nothing."};
static const param P_FIELDMANAGER = {
    "fieldManager", "string", "Name of the actor making the change, recorded in managedFields."};
static const param P_FIELDVALIDATION = {
    "fieldValidation", "string",
    "What to do with unknown or duplicate fields in the body: Ignore, Warn "
    "(the default) or Strict."};
static const param P_FORCE = {"force", "boolean",
                              "For apply patches only: take over fields other managers own."};
static const param P_GRACE = {"gracePeriodSeconds", "integer",
                              "Seconds to give the object before it is deleted; 0 means at once."};
static const param P_ORPHAN = {
    "orphanDependents", "boolean",
    "Deprecated, use propagationPolicy: whether dependents are orphaned."};
static const param P_PROPAGATION = {
    "propagationPolicy", "string",
    "What garbage collection does with dependents: Orphan, Background or "
    "Foreground."};
static const param P_BOOKMARKS = {"allowWatchBookmarks", "boolean",
                                  "Ask for BOOKMARK events on a watch."};
static const param P_CONTINUE = {
    "continue", "string", "Token from the previous page of a paged list, to get the next page."};
static const param P_FIELDSEL = {"fieldSelector", "string", "Only objects whose fields match."};
static const param P_LABELSEL = {"labelSelector", "string", "Only objects whose labels match."};
static const param P_LIMIT = {"limit", "integer", "Most items to return in one page."};
static const param P_RV = {"resourceVersion", "string",
                           "Resource version the response must be at least as new as."};
static const param P_RVMATCH = {"resourceVersionMatch", "string",
                                "How resourceVersion applies to a list: Exact or NotOlderThan."};
static const param P_INITIAL = {"sendInitialEvents", "boolean",
                                "Begin a watch with ADDED events for the objects that exist."};
static const param P_TIMEOUT = {"timeoutSeconds", "integer",
                                "Time limit of the list or watch call."};
static const param P_WATCH = {"watch", "boolean",
                              "Stream changes to the listed objects instead of listing them."};

static const param *const LIST_PARAMS[] = {&P_BOOKMARKS, &P_CONTINUE, &P_FIELDSEL, &P_LABELSEL,
                                           &P_LIMIT,     &P_RV,       &P_RVMATCH,  &P_INITIAL,
                                           &P_TIMEOUT,   &P_WATCH,    NULL};
static const param *const WRITE_PARAMS[] = {&P_DRYRUN, &P_FIELDMANAGER, &P_FIELDVALIDATION, NULL};
static const param *const PATCH_PARAMS[] = {&P_DRYRUN, &P_FIELDMANAGER, &P_FIELDVALIDATION,
                                            &P_FORCE, NULL};
static const param *const DELETE_PARAMS[] = {&P_DRYRUN, &P_GRACE, &P_ORPHAN, &P_PROPAGATION, NULL};
static const param *const DELETECOLL_PARAMS[] = {
    &P_CONTINUE,    &P_DRYRUN, &P_FIELDSEL, &P_GRACE,   &P_LABELSEL, &P_LIMIT, &P_ORPHAN,
    &P_PROPAGATION, &P_RV,     &P_RVMATCH,  &P_INITIAL, &P_TIMEOUT,  NULL};
static const param *const NO_PARAMS[] = {NULL};

enum body { BODY_NONE, BODY_OBJECT, BODY_PATCH, BODY_DELETE };
enum resp { R_READ, R_CREATE, R_REPLACE, R_DELETE, R_STREAM };

static const char *const PATCH_TYPES[] = {
    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json", NULL};

/* What every operation of one resource shares. */
typedef struct res {
    k1s__oa *oa;
    const k1s_openapi_resource *r;
    char gv[192];   /* AppsV1, CoreV1: operation id infix */
    char tag[128];  /* apps_v1, core_v1 */
    char base[256]; /* /apis/apps/v1 or /api/v1 */
    char kind_name[256], list_name[256];
} res;

static json_t *param_json(k1s__oa *oa, const param *p, const char *in, bool required)
{
    json_t *j = json_pack("{s:s,s:s,s:s}", "description", p->desc, "in", in, "name", p->name);
    if (!j)
        return NULL;
    if (required)
        k1s__oa_set(oa, j, "required", json_true());
    if (oa->v3) {
        k1s__oa_set(oa, j, "schema", json_pack("{s:s,s:b}", "type", p->type, "uniqueItems", 1));
    } else {
        k1s__oa_set(oa, j, "type", json_string(p->type));
        k1s__oa_set(oa, j, "uniqueItems", json_true());
    }
    return j;
}

static json_t *content(k1s__oa *oa, const char *const *mimes, const char *ref)
{
    json_t *c = json_object();
    for (size_t i = 0; c && mimes[i]; i++)
        k1s__oa_set(oa, c, mimes[i], json_pack("{s:o}", "schema", k1s__oa_ref(oa, ref)));
    return c;
}

static const char *const MIMES[] = {"application/json", "application/yaml",
                                    "application/vnd.kubernetes.protobuf", NULL};
static const char *const STREAM_MIMES[] = {"application/json",
                                           "application/yaml",
                                           "application/vnd.kubernetes.protobuf",
                                           "application/json;stream=watch",
                                           "application/vnd.kubernetes.protobuf;stream=watch",
                                           NULL};

static json_t *responses(k1s__oa *oa, enum resp kind, const char *ref)
{
    static const struct {
        const char *code, *text;
    } CODES[] = {{"200", "OK"}, {"201", "Created"}, {"202", "Accepted"}};
    bool use[3] = {true, kind == R_CREATE || kind == R_REPLACE,
                   kind == R_CREATE || kind == R_DELETE};
    const char *const *mimes = kind == R_STREAM ? STREAM_MIMES : MIMES;
    json_t *rs = json_object();
    for (size_t i = 0; rs && i < 3; i++) {
        if (!use[i])
            continue;
        json_t *r = json_pack("{s:s}", "description", CODES[i].text);
        if (r && oa->v3)
            k1s__oa_set(oa, r, "content", content(oa, mimes, ref));
        else if (r)
            k1s__oa_set(oa, r, "schema", k1s__oa_ref(oa, ref));
        k1s__oa_set(oa, rs, CODES[i].code, r);
    }
    if (rs)
        k1s__oa_set(oa, rs, "401", json_pack("{s:s}", "description", "Unauthorized"));
    return rs;
}

typedef struct opdesc {
    const char *action, *desc, *opid;
    const param *const *params;
    enum body body;
    const char *body_ref;
    enum resp resp;
    const char *resp_ref;
    const char *group, *version, *kind; /* x-kubernetes-group-version-kind */
} opdesc;

static json_t *operation(res *rs, const opdesc *d)
{
    k1s__oa *oa = rs->oa;
    json_t *op = json_pack("{s:s,s:s,s:[s]}", "description", d->desc, "operationId", d->opid,
                           "tags", rs->tag);
    if (!op)
        return NULL;
    json_t *params = json_array();
    for (size_t i = 0; params && d->params[i]; i++)
        k1s__oa_push(oa, params, param_json(oa, d->params[i], "query", false));
    if (!oa->v3 && params && d->body != BODY_NONE)
        k1s__oa_push(oa, params,
                     json_pack("{s:s,s:s,s:b,s:o}", "in", "body", "name", "body", "required",
                               d->body != BODY_DELETE, "schema", k1s__oa_ref(oa, d->body_ref)));
    if (json_array_size(params))
        k1s__oa_set(oa, op, "parameters", params);
    else
        json_decref(params);
    static const char *const ANY[] = {"*/*", NULL};
    const char *const *in_mimes = d->body == BODY_PATCH ? PATCH_TYPES : ANY;
    if (oa->v3 && d->body != BODY_NONE) {
        json_t *rb = json_pack("{s:o}", "content", content(oa, in_mimes, d->body_ref));
        if (rb && d->body != BODY_DELETE)
            k1s__oa_set(oa, rb, "required", json_true());
        k1s__oa_set(oa, op, "requestBody", rb);
    }
    if (!oa->v3) {
        json_t *c = json_array(), *p = json_array();
        for (size_t i = 0; c && in_mimes[i]; i++)
            k1s__oa_push(oa, c, json_string(in_mimes[i]));
        const char *const *out = d->resp == R_STREAM ? STREAM_MIMES : MIMES;
        for (size_t i = 0; p && out[i]; i++)
            k1s__oa_push(oa, p, json_string(out[i]));
        k1s__oa_set(oa, op, "consumes", c);
        k1s__oa_set(oa, op, "produces", p);
        k1s__oa_set(oa, op, "schemes", json_pack("[s]", "https"));
    }
    k1s__oa_set(oa, op, "responses", responses(oa, d->resp, d->resp_ref));
    k1s__oa_set(oa, op, "x-kubernetes-action", json_string(d->action));
    k1s__oa_set(
        oa, op, "x-kubernetes-group-version-kind",
        json_pack("{s:s,s:s,s:s}", "group", d->group, "kind", d->kind, "version", d->version));
    return op;
}

/* The path item: its shared parameters, then the operations. */
static json_t *path_item(res *rs, bool with_name, bool with_ns, bool with_pretty)
{
    k1s__oa *oa = rs->oa;
    json_t *item = json_object();
    json_t *params = json_array();
    if (!item || !params) {
        json_decref(item);
        json_decref(params);
        return NULL;
    }
    char desc[200];
    if (with_name) {
        fmt(desc, sizeof desc, "Name of the %s.", rs->r->kind);
        const param p = {"name", "string", desc};
        k1s__oa_push(oa, params, param_json(oa, &p, "path", true));
    }
    if (with_ns) {
        const param p = {"namespace", "string", "Namespace of the objects."};
        k1s__oa_push(oa, params, param_json(oa, &p, "path", true));
    }
    if (with_pretty)
        k1s__oa_push(oa, params, param_json(oa, &P_PRETTY, "query", false));
    k1s__oa_set(oa, item, "parameters", params);
    return item;
}

static void add_op(res *rs, json_t *item, const char *method, const opdesc *d)
{
    if (item)
        k1s__oa_set(rs->oa, item, method, operation(rs, d));
}

/* Adds the item/status/scale ops; ns is "Namespaced" or "". */
static void item_paths(res *rs, json_t *paths, const char *prefix, bool namespaced)
{
    k1s__oa *oa = rs->oa;
    const k1s_openapi_resource *r = rs->r;
    const char *ns = namespaced ? "Namespaced" : "";
    char path[512], opid[300], desc[300];
    struct sub {
        const char *suffix, *idsuffix, *what, *ref, *g, *v, *k;
        bool on;
    } subs[] = {
        {"", "", "the", rs->kind_name, r->group, r->version, r->kind, true},
        {"/status", "Status", "status of the", rs->kind_name, r->group, r->version, r->kind,
         r->has_status},
        {"/scale", "Scale", "scale of the", "io.k8s.api.autoscaling.v1.Scale", "autoscaling", "v1",
         "Scale", r->has_scale},
    };
    for (size_t s = 0; s < 3; s++) {
        if (!subs[s].on)
            continue;
        if (s == 2)
            k1s__oa_add_closure(oa, subs[s].ref);
        fmt(path, sizeof path, "%s/%s/{name}%s", prefix, r->plural, subs[s].suffix);
        json_t *item = path_item(rs, true, namespaced, true);
        opdesc d = {.group = subs[s].g,
                    .version = subs[s].v,
                    .kind = subs[s].k,
                    .resp_ref = subs[s].ref,
                    .body_ref = subs[s].ref,
                    .opid = opid,
                    .desc = desc};

        fmt(opid, sizeof opid, "read%s%s%s%s", rs->gv, ns, r->kind, subs[s].idsuffix);
        fmt(desc, sizeof desc, "Read %s %s.", subs[s].what, r->kind);
        d.action = "get", d.params = NO_PARAMS, d.body = BODY_NONE;
        d.resp = R_READ;
        add_op(rs, item, "get", &d);

        fmt(opid, sizeof opid, "replace%s%s%s%s", rs->gv, ns, r->kind, subs[s].idsuffix);
        fmt(desc, sizeof desc, "Replace %s %s.", subs[s].what, r->kind);
        d.action = "put", d.params = WRITE_PARAMS, d.body = BODY_OBJECT;
        d.resp = R_REPLACE;
        add_op(rs, item, "put", &d);

        fmt(opid, sizeof opid, "patch%s%s%s%s", rs->gv, ns, r->kind, subs[s].idsuffix);
        fmt(desc, sizeof desc, "Patch %s %s.", subs[s].what, r->kind);
        d.action = "patch", d.params = PATCH_PARAMS, d.body = BODY_PATCH;
        d.body_ref = K1S__META "Patch", d.resp = R_REPLACE;
        add_op(rs, item, "patch", &d);

        if (s == 0) {
            fmt(opid, sizeof opid, "delete%s%s%s", rs->gv, ns, r->kind);
            fmt(desc, sizeof desc, "Delete a %s.", r->kind);
            d.action = "delete", d.params = DELETE_PARAMS;
            d.body = BODY_DELETE, d.body_ref = K1S__META "DeleteOptions";
            d.resp = R_DELETE, d.resp_ref = K1S__META "Status";
            add_op(rs, item, "delete", &d);
        }
        k1s__oa_set(oa, paths, path, item);
    }
}

static void collection_paths(res *rs, json_t *paths, const char *prefix, bool namespaced)
{
    k1s__oa *oa = rs->oa;
    const k1s_openapi_resource *r = rs->r;
    const char *ns = namespaced ? "Namespaced" : "";
    char path[512], opid[300], desc[300];
    fmt(path, sizeof path, "%s/%s", prefix, r->plural);
    json_t *item = path_item(rs, false, namespaced, true);
    opdesc d = {
        .group = r->group, .version = r->version, .kind = r->kind, .opid = opid, .desc = desc};

    fmt(opid, sizeof opid, "list%s%s%s", rs->gv, ns, r->kind);
    fmt(desc, sizeof desc, "List or watch %s objects.", r->kind);
    d.action = "list", d.params = LIST_PARAMS, d.body = BODY_NONE;
    d.resp = R_STREAM, d.resp_ref = rs->list_name;
    add_op(rs, item, "get", &d);

    fmt(opid, sizeof opid, "create%s%s%s", rs->gv, ns, r->kind);
    fmt(desc, sizeof desc, "Create a %s.", r->kind);
    d.action = "post", d.params = WRITE_PARAMS, d.body = BODY_OBJECT;
    d.body_ref = rs->kind_name, d.resp = R_CREATE;
    d.resp_ref = rs->kind_name;
    add_op(rs, item, "post", &d);

    fmt(opid, sizeof opid, "delete%sCollection%s%s", rs->gv, ns, r->kind);
    fmt(desc, sizeof desc, "Delete a collection of %s objects.", r->kind);
    d.action = "deletecollection", d.params = DELETECOLL_PARAMS;
    d.body = BODY_DELETE, d.body_ref = K1S__META "DeleteOptions";
    d.resp = R_READ, d.resp_ref = K1S__META "Status";
    add_op(rs, item, "delete", &d);
    k1s__oa_set(oa, paths, path, item);
}

/* A GET-only path: list across namespaces, or a legacy watch path. */
static void get_path(res *rs, json_t *paths, const char *path, bool with_name, bool with_ns,
                     const char *action, const char *opid, const char *desc, const char *ref)
{
    json_t *item = path_item(rs, with_name, with_ns, true);
    json_t *params = item ? json_object_get(item, "parameters") : NULL;
    for (size_t i = 0; params && LIST_PARAMS[i]; i++)
        k1s__oa_push(rs->oa, params, param_json(rs->oa, LIST_PARAMS[i], "query", false));
    opdesc d = {.action = action,
                .desc = desc,
                .opid = opid,
                .params = NO_PARAMS,
                .body = BODY_NONE,
                .resp = R_STREAM,
                .resp_ref = ref,
                .group = rs->r->group,
                .version = rs->r->version,
                .kind = rs->r->kind};
    add_op(rs, item, "get", &d);
    k1s__oa_set(rs->oa, paths, path, item);
}

static void camel_group(char *buf, size_t n, const char *group, bool lower_first)
{
    size_t len = 0;
    const char *g = group[0] ? group : "core";
    size_t glen = strlen(g);
    const char *suffix = ".k8s.io";
    if (glen > strlen(suffix) && strcmp(g + glen - strlen(suffix), suffix) == 0)
        glen -= strlen(suffix);
    bool up = !lower_first;
    for (size_t i = 0; i < glen && len + 1 < n; i++) {
        if (g[i] == '.' || g[i] == '-') {
            up = true;
            continue;
        }
        buf[len++] = up ? (char)toupper((unsigned char)g[i]) : g[i];
        up = false;
    }
    buf[len] = '\0';
}

void k1s__oa_add_paths(k1s__oa *oa, json_t *paths, const k1s_openapi_resource *r)
{
    if (!r || !r->group || !r->version || !r->kind || !r->plural || strlen(r->group) > 253 ||
        !r->version[0] || strlen(r->version) > 63 || !r->kind[0] || strlen(r->kind) > 63 ||
        !r->plural[0] || strlen(r->plural) > 63 || (r->list_kind && strlen(r->list_kind) > 63))
        return; /* not a resource kube-apiserver could serve either */
    res rs = {.oa = oa, .r = r};
    char g[96], v[64];
    camel_group(g, sizeof g, r->group, false);
    fmt(v, sizeof v, "%s", r->version);
    v[0] = (char)toupper((unsigned char)v[0]);
    fmt(rs.gv, sizeof rs.gv, "%s%s", g, v);
    camel_group(g, sizeof g, r->group, true);
    fmt(rs.tag, sizeof rs.tag, "%s_%s", g, r->version);
    if (r->group[0])
        fmt(rs.base, sizeof rs.base, "/apis/%s/%s", r->group, r->version);
    else
        fmt(rs.base, sizeof rs.base, "/api/%s", r->version);

    k1s__oa_kind_name(r->group, r->version, r->kind, rs.kind_name, sizeof rs.kind_name);
    k1s__oa_add_closure(oa, rs.kind_name);
    char list_kind[200];
    fmt(list_kind, sizeof list_kind, "%s", r->list_kind ? r->list_kind : "");
    if (!list_kind[0])
        fmt(list_kind, sizeof list_kind, "%sList", r->kind);
    const k1s_type *lt = k1s_schema_kind(r->group, r->version, list_kind);
    if (lt) {
        fmt(rs.list_name, sizeof rs.list_name, "%s", lt->name);
    } else {
        /* same package as the kind's schema */
        const char *dot = strrchr(rs.kind_name, '.');
        int pkg = dot ? (int)(dot - rs.kind_name) : 0;
        fmt(rs.list_name, sizeof rs.list_name, "%.*s.%s", pkg, rs.kind_name, list_kind);
    }
    k1s__oa_add_list(oa, rs.list_name, rs.kind_name, r->group, r->version, list_kind);
    k1s__oa_add_closure(oa, K1S__META "Status");
    k1s__oa_add_closure(oa, K1S__META "DeleteOptions");
    k1s__oa_add_closure(oa, K1S__META "Patch");
    k1s__oa_add_closure(oa, K1S__META "WatchEvent");

    char prefix[512], path[768], opid[300], desc[300];
    const char *watchref = K1S__META "WatchEvent";
    if (r->namespaced) {
        fmt(path, sizeof path, "%s/%s", rs.base, r->plural);
        fmt(opid, sizeof opid, "list%s%sForAllNamespaces", rs.gv, r->kind);
        fmt(desc, sizeof desc,
            "List or watch %s objects in all "
            "namespaces.",
            r->kind);
        get_path(&rs, paths, path, false, false, "list", opid, desc, rs.list_name);
        fmt(prefix, sizeof prefix, "%s/namespaces/{namespace}", rs.base);
    } else {
        fmt(prefix, sizeof prefix, "%s", rs.base);
    }
    collection_paths(&rs, paths, prefix, r->namespaced);
    item_paths(&rs, paths, prefix, r->namespaced);

    const char *ns = r->namespaced ? "Namespaced" : "";
    fmt(desc, sizeof desc,
        "Watch changes to %s objects (legacy; use "
        "watch=true on the list).",
        r->kind);
    if (r->namespaced) {
        fmt(path, sizeof path, "%s/watch/%s", rs.base, r->plural);
        fmt(opid, sizeof opid, "watch%s%sListForAllNamespaces", rs.gv, r->kind);
        get_path(&rs, paths, path, false, false, "watchlist", opid, desc, watchref);
        fmt(prefix, sizeof prefix, "%s/watch/namespaces/{namespace}", rs.base);
    } else {
        fmt(prefix, sizeof prefix, "%s/watch", rs.base);
    }
    fmt(path, sizeof path, "%s/%s", prefix, r->plural);
    fmt(opid, sizeof opid, "watch%s%s%sList", rs.gv, ns, r->kind);
    get_path(&rs, paths, path, false, r->namespaced, "watchlist", opid, desc, watchref);
    fmt(path, sizeof path, "%s/%s/{name}", prefix, r->plural);
    fmt(opid, sizeof opid, "watch%s%s%s", rs.gv, ns, r->kind);
    get_path(&rs, paths, path, true, r->namespaced, "watch", opid, desc, watchref);
}
