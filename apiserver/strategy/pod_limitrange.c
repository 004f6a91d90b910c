/*
 * pod_limitrange.c - kube's LimitRanger admission for created pods and
 * claims: the Container defaults (limits from `default`, requests from
 * `defaultRequest`) of every LimitRange in the namespace fill what a
 * container leaves out, noted in the kubernetes.io/limit-ranger
 * annotation; then each Container/Pod/PersistentVolumeClaim item's min,
 * max and maxLimitRequestRatio are checked with kube's messages, and a
 * violation is a 403. Runs inside the create's write transaction.
 */
#include "api_internal.h"
#include "k1s_json.h"
#include "k1s_quantity.h"
#include "strategy_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANNOTATION "kubernetes.io/limit-ranger"

typedef struct ranges {
    json_t *items; /* the LimitRanges of the namespace (owned array) */
} ranges;

static int collect(void *ctx, const char *ns, const char *name, const char *text, size_t len,
                   int64_t rev)
{
    ranges *r = ctx;
    (void)ns;
    (void)name;
    (void)rev;
    json_t *lr = k1s_json_load(text, len, NULL);
    if (lr)
        json_array_append_new(r->items, lr);
    return 0;
}

/* ---- messages ------------------------------------------------------------------- */

/* The errors found, kube's aggregate: one message, or "[a, b]". */
typedef struct errs {
    char buf[2048];
    size_t len;
    int n;
} errs;

static void add_err(errs *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_err(errs *e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int w = snprintf(e->buf + e->len, sizeof e->buf - e->len, "%s%s", e->n ? ", " : "", msg);
    if (w > 0 && (size_t)w < sizeof e->buf - e->len)
        e->len += (size_t)w;
    e->n++;
}

/* A quantity's canonical text (buf), "?" when it does not parse. */
static const char *qtext(const json_t *v, char *buf, size_t len)
{
    k1s_quantity q;
    char *s = NULL;
    if (k1s_quantity_from_json(v, &q) == 0)
        s = k1s_quantity_string(&q);
    snprintf(buf, len, "%s", s ? s : "?");
    free(s);
    return buf;
}

/* -1, 0, 1; a value that does not parse counts as 0 (validation has
 * refused such values already). */
static int qcmp(const json_t *a, const json_t *b)
{
    k1s_quantity qa, qb;
    if (k1s_quantity_from_json(a, &qa))
        k1s_quantity_parse("0", &qa);
    if (k1s_quantity_from_json(b, &qb))
        k1s_quantity_parse("0", &qb);
    return k1s_quantity_cmp(&qa, &qb);
}

static double qmilli(const json_t *v)
{
    k1s_quantity q;
    int64_t m = 0;
    if (k1s_quantity_from_json(v, &q) || k1s_quantity_milli(&q, &m))
        return 0;
    return (double)m;
}

/* kube's minConstraint, maxConstraint and limitRequestRatioConstraint
 * for one resource of one item type against requests and limits. */
static void check_min(errs *e, const char *type, const char *res, const json_t *min,
                      const json_t *req, const json_t *lim)
{
    char a[64], b[64];
    const json_t *r = json_object_get(req, res), *l = json_object_get(lim, res);
    if (!r)
        add_err(e, "minimum %s usage per %s is %s.  No request is specified.", res, type,
                qtext(min, a, sizeof a));
    else if (qcmp(r, min) < 0)
        add_err(e, "minimum %s usage per %s is %s, but request is %s.", res, type,
                qtext(min, a, sizeof a), qtext(r, b, sizeof b));
    else if (l && qcmp(l, min) < 0)
        add_err(e, "minimum %s usage per %s is %s, but limit is %s.", res, type,
                qtext(min, a, sizeof a), qtext(l, b, sizeof b));
}

static void check_max(errs *e, const char *type, const char *res, const json_t *max,
                      const json_t *req, const json_t *lim)
{
    char a[64], b[64];
    const json_t *r = json_object_get(req, res), *l = json_object_get(lim, res);
    if (!l)
        add_err(e, "maximum %s usage per %s is %s.  No limit is specified.", res, type,
                qtext(max, a, sizeof a));
    else if (qcmp(l, max) > 0)
        add_err(e, "maximum %s usage per %s is %s, but limit is %s.", res, type,
                qtext(max, a, sizeof a), qtext(l, b, sizeof b));
    else if (r && qcmp(r, max) > 0)
        add_err(e, "maximum %s usage per %s is %s, but request is %s.", res, type,
                qtext(max, a, sizeof a), qtext(r, b, sizeof b));
}

static void check_ratio(errs *e, const char *type, const char *res, const json_t *ratio,
                        const json_t *req, const json_t *lim)
{
    char a[64];
    const json_t *r = json_object_get(req, res), *l = json_object_get(lim, res);
    double rv = r ? qmilli(r) : 0, lv = l ? qmilli(l) : 0;
    if (rv == 0)
        add_err(e,
                "%s max limit to request ratio per %s is %s, but no request is specified or "
                "request is 0.",
                res, type, qtext(ratio, a, sizeof a));
    else if (lv == 0)
        add_err(e,
                "%s max limit to request ratio per %s is %s, but no limit is specified or limit "
                "is 0.",
                res, type, qtext(ratio, a, sizeof a));
    else if (lv / rv * 1000 > qmilli(ratio))
        add_err(e, "%s max limit to request ratio per %s is %s, but provided ratio is %f.", res,
                type, qtext(ratio, a, sizeof a), lv / rv);
}

static void check_item(errs *e, const json_t *item, const char *type, const json_t *req,
                       const json_t *lim, bool requests_only)
{
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(item, "min"), name, v)
        check_min(e, type, name, v, req, requests_only ? req : lim);
    json_object_foreach((json_t *)json_object_get(item, "max"), name, v)
        check_max(e, type, name, v, req, requests_only ? req : lim);
    json_object_foreach((json_t *)json_object_get(item, "maxLimitRequestRatio"), name, v)
        check_ratio(e, type, name, v, req, lim);
}

/* ---- pods ------------------------------------------------------------------------ */

/* Fill a container's missing limits and requests from the defaults;
 * the annotation's parts for it go into note. */
static void default_container(json_t *ctr, const json_t *dlim, const json_t *dreq, const char *what,
                              char *note, size_t notelen)
{
    json_t *res = k1s__ensure_obj(ctr, "resources");
    static const char *const sides[] = {"requests", "limits"};
    const json_t *defaults[] = {dreq, dlim};
    for (int s = 0; s < 2; s++) {
        if (!json_object_size(defaults[s]))
            continue;
        json_t *have = k1s__ensure_obj(res, sides[s]);
        char set[256] = "";
        size_t n = 0;
        /* kube sorts the names it set */
        const char **keys = malloc(json_object_size(defaults[s]) * sizeof *keys);
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)defaults[s], k, v)
        {
            if (!json_object_get(have, k)) {
                json_object_set(have, k, (json_t *)v);
                if (keys)
                    keys[n++] = k;
            }
        }
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                const char *t = keys[j];
                keys[j] = keys[j - 1];
                keys[j - 1] = t;
            }
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            int w = snprintf(set + len, sizeof set - len, "%s%s", i ? ", " : "", keys[i]);
            if (w > 0 && (size_t)w < sizeof set - len)
                len += (size_t)w;
        }
        free(keys);
        if (n) {
            size_t at = strlen(note);
            snprintf(note + at, notelen - at, "%s%s %s for %s %s", at ? "; " : "", set,
                     s == 0 ? "request" : "limit", what, k1s__str0(ctr, "name"));
        }
        if (!json_object_size(have))
            json_object_del(res, sides[s]);
    }
}

/* kube's sum: a resource every container names, added up (cpu in
 * milli-units), as a new object of canonical quantities. */
static json_t *sum_side(const json_t *containers, const char *side)
{
    json_t *out = json_object();
    const json_t *first =
        json_object_get(json_object_get(json_array_get(containers, 0), "resources"), side);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)first, k, v)
    {
        bool cpu = !strcmp(k, "cpu"), all = true;
        int64_t total = 0;
        size_t i;
        const json_t *c;
        json_array_foreach(containers, i, c)
        {
            const json_t *q =
                json_object_get(json_object_get(json_object_get(c, "resources"), side), k);
            k1s_quantity qq;
            int64_t x = 0;
            if (!q || k1s_quantity_from_json(q, &qq) ||
                (cpu ? k1s_quantity_milli(&qq, &x) : k1s_quantity_value(&qq, &x))) {
                all = false;
                break;
            }
            total += x;
        }
        if (!all)
            continue;
        char text[40];
        snprintf(text, sizeof text, cpu ? "%lldm" : "%lld", (long long)total);
        k1s_quantity q;
        char *s = NULL;
        if (k1s_quantity_parse(text, &q) == 0) {
            q.keep_input = false;
            s = k1s_quantity_string(&q);
        }
        if (s)
            json_object_set_new(out, k, json_string(s));
        free(s);
    }
    return out;
}

/* max(the sum of containers, any init container), kube's pod totals */
static void with_init(json_t *total, const json_t *inits, const char *side)
{
    size_t i;
    const json_t *c;
    json_array_foreach(inits, i, c)
    {
        const char *k;
        const json_t *v;
        json_object_foreach(json_object_get(json_object_get(c, "resources"), side), k, v)
        {
            const json_t *have = json_object_get(total, k);
            if (!have || qcmp(v, have) > 0)
                json_object_set(total, k, (json_t *)v);
        }
    }
}

static void limit_pod(const json_t *lr, json_t *pod, errs *e, char *note, size_t notelen)
{
    json_t *spec = k1s__ensure_obj(pod, "spec");
    json_t *dlim = json_object(), *dreq = json_object();
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(json_object_get(lr, "spec"), "limits"), i, item)
    {
        if (strcmp(k1s__str0(item, "type"), "Container") != 0)
            continue;
        json_object_update(dreq, json_object_get(item, "defaultRequest"));
        json_object_update(dlim, json_object_get(item, "default"));
    }
    static const struct {
        const char *list, *what;
    } lists[] = {{"containers", "container"}, {"initContainers", "init container"}};
    for (size_t l = 0; l < 2; l++) {
        size_t j;
        json_t *ctr;
        json_array_foreach(json_object_get(spec, lists[l].list), j, ctr)
            default_container(ctr, dlim, dreq, lists[l].what, note, notelen);
    }
    json_decref(dlim);
    json_decref(dreq);

    json_array_foreach(json_object_get(json_object_get(lr, "spec"), "limits"), i, item)
    {
        const char *type = k1s__str0(item, "type");
        if (!strcmp(type, "Container")) {
            for (size_t l = 0; l < 2; l++) {
                size_t j;
                const json_t *ctr;
                json_array_foreach(json_object_get(spec, lists[l].list), j, ctr)
                {
                    const json_t *res = json_object_get(ctr, "resources");
                    check_item(e, item, type, json_object_get(res, "requests"),
                               json_object_get(res, "limits"), false);
                }
            }
        } else if (!strcmp(type, "Pod")) {
            const json_t *ctrs = json_object_get(spec, "containers");
            json_t *req = sum_side(ctrs, "requests"), *lim = sum_side(ctrs, "limits");
            with_init(req, json_object_get(spec, "initContainers"), "requests");
            with_init(lim, json_object_get(spec, "initContainers"), "limits");
            check_item(e, item, type, req, lim, false);
            json_decref(req);
            json_decref(lim);
        }
    }
}

/* A claim has only requests: kube checks max against them as if they were
 * limits, so its message says "limit". */
static void limit_claim(const json_t *lr, const json_t *pvc, errs *e)
{
    const json_t *req =
        json_object_get(json_object_get(json_object_get(pvc, "spec"), "resources"), "requests");
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(json_object_get(lr, "spec"), "limits"), i, item)
    {
        if (!strcmp(k1s__str0(item, "type"), "PersistentVolumeClaim"))
            check_item(e, item, "PersistentVolumeClaim", req, req, true);
    }
}

int k1s__limitranger(struct k1s_api *api, json_t *obj, bool is_pod, bool *changed, k1s_status *st)
{
    *changed = false;
    const char *ns = k1s_meta(obj, "namespace");
    ranges r = {json_array()};
    int64_t list_rev = 0;
    int more = 0;
    if (k1s_store_list(api->store, "", "limitranges", ns ? ns : "", NULL, NULL, 0, collect, &r,
                       &list_rev, &more) < 0) {
        json_decref(r.items);
        return k1s_err_internal(st, "failed to list limit ranges");
    }
    errs e = {.len = 0, .n = 0};
    char note[1024] = "";
    size_t i;
    const json_t *lr;
    json_array_foreach(r.items, i, lr)
    {
        if (is_pod)
            limit_pod(lr, obj, &e, note, sizeof note);
        else
            limit_claim(lr, obj, &e);
        if (e.n)
            break; /* kube stops at the first range that refuses */
    }
    json_decref(r.items);
    if (*note) {
        json_t *ann = k1s__ensure_obj(k1s__ensure_obj(obj, "metadata"), "annotations");
        char val[1100];
        snprintf(val, sizeof val, "LimitRanger plugin set: %s", note);
        json_object_set_new(ann, ANNOTATION, json_string(val));
        *changed = true;
    }
    if (!e.n)
        return 0;
    const char *name = k1s_meta(obj, "name");
    const char *plural = is_pod ? "pods" : "persistentvolumeclaims";
    k1s_status_set(st, 403, "Forbidden", "%s \"%s\" is forbidden: %s%s%s", plural, name ? name : "",
                   e.n > 1 ? "[" : "", e.buf, e.n > 1 ? "]" : "");
    k1s_status_details(st, name ? name : "", "", plural);
    return -1;
}
