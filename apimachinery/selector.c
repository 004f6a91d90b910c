/*
 * selector.c - what label and field selectors share: building, requirement
 * checks, matching, accessors and the canonical string form. The parsers
 * live in selector_label.c, selector_label_json.c and selector_field.c.
 */
#include "selector_int.h"
#include "k1s_names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- construction --------------------------------------------------------- */

k1s_selector *k1s__selector_new(k1s_selector_kind kind)
{
    k1s_selector *sel = calloc(1, sizeof *sel);
    if (sel)
        sel->kind = kind;
    return sel;
}

k1s_selector *k1s_selector_everything(k1s_selector_kind kind)
{
    return k1s__selector_new(kind);
}

k1s_selector *k1s_selector_nothing(k1s_selector_kind kind)
{
    k1s_selector *sel = k1s__selector_new(kind);
    if (sel)
        sel->nothing = true;
    return sel;
}

void k1s__requirement_clear(k1s_requirement *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
    memset(r, 0, sizeof *r);
}

int k1s__selector_add(k1s_selector *sel, char *key, k1s_selector_op op, char **values,
                      size_t nvalues)
{
    k1s_requirement r = {key, op, values, nvalues};
    if (sel->n == sel->cap) {
        size_t cap = sel->cap ? sel->cap * 2 : 4;
        k1s_requirement *reqs = realloc(sel->reqs, cap * sizeof *reqs);
        if (!reqs) {
            k1s__requirement_clear(&r);
            return K1S_ENOMEM;
        }
        sel->reqs = reqs;
        sel->cap = cap;
    }
    sel->reqs[sel->n++] = r;
    return 0;
}

void k1s_selector_free(k1s_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->n; i++)
        k1s__requirement_clear(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

typedef struct ranked_req {
    k1s_requirement r;
    size_t pos;
} ranked_req;

static int cmp_ranked_req(const void *a, const void *b)
{
    const ranked_req *x = a, *y = b;
    int c = strcmp(x->r.key, y->r.key);
    if (c)
        return c;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

void k1s__selector_sort(k1s_selector *sel)
{
    if (sel->n < 2)
        return;
    ranked_req *tmp = malloc(sel->n * sizeof *tmp);
    if (!tmp) {
        /* out of memory: fall back to an in-place insertion sort */
        for (size_t i = 1; i < sel->n; i++) {
            k1s_requirement r = sel->reqs[i];
            size_t j = i;
            while (j > 0 && strcmp(sel->reqs[j - 1].key, r.key) > 0) {
                sel->reqs[j] = sel->reqs[j - 1];
                j--;
            }
            sel->reqs[j] = r;
        }
        return;
    }
    for (size_t i = 0; i < sel->n; i++)
        tmp[i] = (ranked_req){sel->reqs[i], i};
    qsort(tmp, sel->n, sizeof *tmp, cmp_ranked_req); /* stable via pos */
    for (size_t i = 0; i < sel->n; i++)
        sel->reqs[i] = tmp[i].r;
    free(tmp);
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t k1s__strings_sort_unique(char **v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_strp);
    size_t w = 1;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(v[i], v[w - 1]) == 0)
            free(v[i]);
        else
            v[w++] = v[i];
    }
    return w;
}

/* ---- requirement checks (labels.NewRequirement) ------------------------- */

/* A hostile "in (...)" list can hold thousands of bad values; their
 * messages are capped so the error stays small (kube lists them all). */
#define MAX_REQUIREMENT_ERRORS 32

typedef struct errlist {
    char **v;
    size_t n;
    bool oom;
} errlist;

static void errlist_add(errlist *e, char *msg)
{
    if (!msg) {
        e->oom = true;
        return;
    }
    if (e->n >= MAX_REQUIREMENT_ERRORS) {
        free(msg);
        return;
    }
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->v[i], msg) == 0) { /* ToAggregate drops duplicates */
            free(msg);
            return;
        }
    }
    char **v = realloc(e->v, (e->n + 1) * sizeof *v);
    if (!v) {
        free(msg);
        e->oom = true;
        return;
    }
    e->v = v;
    e->v[e->n++] = msg;
}

/* utilerrors.Aggregate.Error(): one message as is, several in brackets. */
static char *errlist_take(errlist *e)
{
    k1s_buf b = {0};
    if (e->n > 1)
        k1s_buf_addc(&b, '[');
    for (size_t i = 0; i < e->n; i++) {
        if (i)
            k1s_buf_adds(&b, ", ");
        k1s_buf_adds(&b, e->v[i]);
        free(e->v[i]);
    }
    if (e->n > 1)
        k1s_buf_addc(&b, ']');
    free(e->v);
    e->v = NULL;
    char *s = k1s_buf_take(&b, NULL);
    return e->oom ? (free(s), NULL) : s;
}

char *k1s__invalid_str(const char *path, const char *value, const char *detail)
{
    k1s_buf b = {0};
    k1s_buf_addf(&b, "%s: Invalid value: ", path);
    k1s__goquote(&b, value, strlen(value));
    k1s_buf_addf(&b, ": %s", detail);
    return k1s_buf_take(&b, NULL);
}

/* The same with the value a []string printed by Go's %#v. */
static char *invalid_strs(const char *path, char *const *values, size_t n, bool nil_values,
                          const char *detail)
{
    k1s_buf b = {0};
    k1s_buf_addf(&b, "%s: Invalid value: ", path);
    if (n == 0 && nil_values) {
        k1s_buf_adds(&b, "[]string(nil)");
    } else {
        k1s_buf_adds(&b, "[]string{");
        for (size_t i = 0; i < n; i++) {
            if (i)
                k1s_buf_adds(&b, ", ");
            k1s__goquote(&b, values[i], strlen(values[i]));
        }
        k1s_buf_addc(&b, '}');
    }
    k1s_buf_addf(&b, ": %s", detail);
    return k1s_buf_take(&b, NULL);
}

int k1s__label_requirement_check(const char *key, k1s_selector_op op, char *const *values,
                                 size_t nvalues, bool nil_values, char **err)
{
    errlist e = {0};
    char **msgs = k1s_is_qualified_name(key);
    if (msgs) {
        char *joined = k1s_msgs_join(msgs, "; ");
        errlist_add(&e, joined ? k1s__invalid_str("key", key, joined) : NULL);
        free(joined);
        k1s_msgs_free(msgs);
    }
    switch (op) {
    case K1S_SEL_IN:
    case K1S_SEL_NOT_IN:
        if (nvalues == 0)
            errlist_add(&e, invalid_strs("values", values, nvalues, nil_values,
                                         "for 'in', 'notin' operators, values "
                                         "set can't be empty"));
        break;
    case K1S_SEL_EQUALS:
    case K1S_SEL_DOUBLE_EQUALS:
    case K1S_SEL_NOT_EQUALS:
        if (nvalues != 1)
            errlist_add(&e, invalid_strs("values", values, nvalues, nil_values,
                                         "exact-match compatibility requires "
                                         "one single value"));
        break;
    case K1S_SEL_EXISTS:
    case K1S_SEL_DOES_NOT_EXIST:
        if (nvalues != 0)
            errlist_add(&e, invalid_strs("values", values, nvalues, nil_values,
                                         "values set must be empty for exists "
                                         "and does not exist"));
        break;
    case K1S_SEL_GREATER_THAN:
    case K1S_SEL_LESS_THAN:
        if (nvalues != 1)
            errlist_add(&e, invalid_strs("values", values, nvalues, nil_values,
                                         "for 'Gt', 'Lt' operators, exactly one "
                                         "value is required"));
        for (size_t i = 0; i < nvalues; i++) {
            if (k1s__go_parse_int(values[i], NULL, NULL))
                continue;
            char *path = k1s__asprintf("values[%zu]", i);
            errlist_add(&e, path ? k1s__invalid_str(path, values[i],
                                                    "for 'Gt', 'Lt' operators, the "
                                                    "value must be an integer")
                                 : NULL);
            free(path);
        }
        break;
    }
    for (size_t i = 0; i < nvalues; i++) {
        msgs = k1s_is_label_value(values[i]);
        if (!msgs)
            continue;
        char *joined = k1s_msgs_join(msgs, "; ");
        char *path = k1s__asprintf("values[%zu][%s]", i, key);
        errlist_add(&e, joined && path ? k1s__invalid_str(path, values[i], joined) : NULL);
        free(joined);
        free(path);
        k1s_msgs_free(msgs);
    }
    if (e.n == 0 && !e.oom)
        return 0;
    bool oom = e.oom;
    *err = errlist_take(&e);
    return oom || !*err ? K1S_ENOMEM : K1S_EINVAL;
}

/* ---- accessors ----------------------------------------------------------- */

k1s_selector_kind k1s_selector_get_kind(const k1s_selector *sel)
{
    return sel->kind;
}

bool k1s_selector_empty(const k1s_selector *sel)
{
    return !sel->nothing && sel->n == 0;
}

bool k1s_selector_matches_nothing(const k1s_selector *sel)
{
    return sel->nothing;
}

size_t k1s_selector_len(const k1s_selector *sel)
{
    return sel->n;
}

const k1s_requirement *k1s_selector_at(const k1s_selector *sel, size_t i)
{
    return i < sel->n ? &sel->reqs[i] : NULL;
}

const char *k1s_selector_first_unknown(const k1s_selector *sel, const char *const *supported)
{
    for (size_t i = 0; i < sel->n; i++) {
        bool known = false;
        for (size_t j = 0; supported && supported[j] && !known; j++)
            known = strcmp(supported[j], sel->reqs[i].key) == 0;
        if (!known)
            return sel->reqs[i].key;
    }
    return NULL;
}

const char *k1s_selector_exact(const k1s_selector *sel, const char *key)
{
    if (sel->nothing)
        return NULL;
    for (size_t i = 0; i < sel->n; i++) {
        const k1s_requirement *r = &sel->reqs[i];
        if (strcmp(r->key, key) != 0)
            continue;
        bool exact = r->op == K1S_SEL_EQUALS || r->op == K1S_SEL_DOUBLE_EQUALS ||
                     (r->op == K1S_SEL_IN && sel->kind == K1S_SELECTOR_LABEL);
        if (exact && r->nvalues == 1)
            return r->values[0];
        if (sel->kind == K1S_SELECTOR_LABEL)
            return NULL; /* kube looks at the first requirement on the key */
    }
    return NULL;
}

/* ---- matching ----------------------------------------------------------- */

static bool has_value(const k1s_requirement *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return true;
    return false;
}

/* The label's value, or NULL when absent (or not a clean string). */
static const char *label_value(const json_t *labels, const char *key)
{
    return json_is_object(labels) ? k1s__json_cstr(json_object_get(labels, key)) : NULL;
}

static bool requirement_matches(const k1s_requirement *r, const json_t *labels)
{
    const char *v = label_value(labels, r->key);
    long long lv, rv;
    switch (r->op) {
    case K1S_SEL_IN:
    case K1S_SEL_EQUALS:
    case K1S_SEL_DOUBLE_EQUALS:
        return v && has_value(r, v);
    case K1S_SEL_NOT_IN:
    case K1S_SEL_NOT_EQUALS:
        return !v || !has_value(r, v);
    case K1S_SEL_EXISTS:
        return v != NULL;
    case K1S_SEL_DOES_NOT_EXIST:
        return v == NULL;
    case K1S_SEL_GREATER_THAN:
    case K1S_SEL_LESS_THAN:
        if (!v || r->nvalues != 1 || !k1s__go_parse_int(v, &lv, NULL) ||
            !k1s__go_parse_int(r->values[0], &rv, NULL))
            return false;
        return r->op == K1S_SEL_GREATER_THAN ? lv > rv : lv < rv;
    }
    return false;
}

bool k1s_selector_matches_labels(const k1s_selector *sel, const json_t *labels)
{
    if (sel->nothing)
        return false;
    for (size_t i = 0; i < sel->n; i++)
        if (!requirement_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

bool k1s_selector_matches_fields(const k1s_selector *sel, k1s_field_get_fn get, void *ctx)
{
    if (sel->nothing)
        return false;
    for (size_t i = 0; i < sel->n; i++) {
        const k1s_requirement *r = &sel->reqs[i];
        const char *v = get(ctx, r->key);
        bool eq = strcmp(v ? v : "", r->nvalues ? r->values[0] : "") == 0;
        if (r->op == K1S_SEL_NOT_EQUALS ? eq : !eq)
            return false;
    }
    return true;
}

/* ---- string form ---------------------------------------------------------- */

static void put_field_value(k1s_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == ',' || *v == '=')
            k1s_buf_addc(b, '\\');
        k1s_buf_addc(b, *v);
    }
}

static void put_label_requirement(k1s_buf *b, const k1s_requirement *r)
{
    static const char *const ops[] = {
        [K1S_SEL_EQUALS] = "=",        [K1S_SEL_DOUBLE_EQUALS] = "==", [K1S_SEL_NOT_EQUALS] = "!=",
        [K1S_SEL_IN] = " in ",         [K1S_SEL_NOT_IN] = " notin ",   [K1S_SEL_EXISTS] = "",
        [K1S_SEL_DOES_NOT_EXIST] = "", [K1S_SEL_GREATER_THAN] = ">",   [K1S_SEL_LESS_THAN] = "<",
    };
    if (r->op == K1S_SEL_DOES_NOT_EXIST)
        k1s_buf_addc(b, '!');
    k1s_buf_adds(b, r->key);
    if (r->op == K1S_SEL_EXISTS || r->op == K1S_SEL_DOES_NOT_EXIST)
        return;
    k1s_buf_adds(b, ops[r->op]);
    bool set = r->op == K1S_SEL_IN || r->op == K1S_SEL_NOT_IN;
    if (set)
        k1s_buf_addc(b, '(');
    /* values print sorted, without changing the requirement */
    const char **sorted = r->nvalues ? malloc(r->nvalues * sizeof *sorted) : NULL;
    if (r->nvalues && !sorted) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < r->nvalues; i++)
        sorted[i] = r->values[i];
    if (r->nvalues > 1)
        qsort(sorted, r->nvalues, sizeof *sorted, cmp_strp);
    for (size_t i = 0; i < r->nvalues; i++) {
        if (i)
            k1s_buf_addc(b, ',');
        k1s_buf_adds(b, sorted[i]);
    }
    free(sorted);
    if (set)
        k1s_buf_addc(b, ')');
}

char *k1s_selector_string(const k1s_selector *sel)
{
    k1s_buf b = {0};
    for (size_t i = 0; !sel->nothing && i < sel->n; i++) {
        const k1s_requirement *r = &sel->reqs[i];
        if (i)
            k1s_buf_addc(&b, ',');
        if (sel->kind == K1S_SELECTOR_LABEL) {
            put_label_requirement(&b, r);
            continue;
        }
        k1s_buf_adds(&b, r->key);
        k1s_buf_adds(&b, r->op == K1S_SEL_NOT_EQUALS ? "!=" : "=");
        put_field_value(&b, r->nvalues ? r->values[0] : "");
    }
    return k1s_buf_take(&b, NULL);
}
