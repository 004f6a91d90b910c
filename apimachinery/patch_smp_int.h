/*
 * patch_smp_int.h - what the two halves of the strategic merge patch share
 * (patch_strategic.c: maps, directives, cleaning and the entry point;
 * patch_strategic_list.c: lists, their order and merge keys).
 */
#ifndef K1S_PATCH_SMP_INT_H
#define K1S_PATCH_SMP_INT_H

#include "patch_int.h"

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DELETE_PREFIX "$deleteFromPrimitiveList"
#define ORDER_PREFIX "$setElementOrder"

/* What the schema says about an object: a struct type, a map whose values
 * are of one type, or nothing. */
typedef struct schema {
    const k1s_type *type;
    bool is_map;
} schema;

/* What the schema says about one member: the schema of its value (of its
 * entries, for lists) and its list strategy. */
typedef struct meta {
    schema sub;
    const char *merge_key;
    bool merge;       /* lists: merge by merge_key, or union of scalars */
    bool replace;     /* maps: take the patch's value as it is */
    const char *name; /* the entry type's name, for messages */
} meta;

typedef struct smp {
    k1s__perr e;
    int depth;
    /* > 0 while cleaning a value kube would store as sent: malformed or
     * unknown directives there are dropped instead of failing the patch,
     * as kube's typed decoding drops them. */
    int cleaning;
} smp;

/* Positions of the entries of a list, by key_of. The keys are held by
 * reference so they survive the list's entries being replaced. */
typedef struct order {
    json_t **keys;
    size_t n, cap;
    k1s__idx *ix;
} order;

/* A borrowed view of a JSON array's entries. */
typedef struct items {
    json_t **v;
    size_t n, cap;
} items;

/* ---- patch_strategic.c ---- */

/* mergepatch's errors, and the nesting bound (enter fails past it). */
void k1s__smp_fail_bad_arg_type(smp *c, const char *expected, const json_t *got);
void k1s__smp_fail_no_merge_key(smp *c, const json_t *m, const char *key);
void k1s__smp_fail_bad_patch_type(smp *c, const json_t *t, const json_t *m);
bool k1s__smp_enter(smp *c);
void k1s__smp_leave(smp *c);
/* A patch object merged into orig (taken), per the schema s: new ref. */
json_t *k1s__smp_merge_map(smp *c, json_t *orig, const json_t *patch, const schema *s);
/* A value from the patch with its directives and nulls taken out. */
json_t *k1s__smp_clean(smp *c, const json_t *v, const meta *m);

/* ---- patch_strategic_list.c ---- */

/* A patch list merged into orig (taken), per the member's meta: new ref. */
json_t *k1s__smp_merge_list(smp *c, json_t *orig, const json_t *patch, const meta *m,
                            bool delete_list);
bool k1s__smp_is_string(const json_t *v, const char *s);
void k1s__smp_order_free(order *o);
int k1s__smp_order_of(smp *c, order *o, const json_t *arr, const char *mk);
int k1s__smp_items_push(smp *c, items *it, json_t *v);
int k1s__smp_check_merge_keys(smp *c, const json_t *list, const char *mk);
json_t *k1s__smp_normalize(smp *c, items *patch_items, items *server_only, const order *want,
                           const order *server, const char *mk);
int k1s__smp_partition(smp *c, json_t *merged, const order *by, const char *mk, items *in,
                       items *out);
int k1s__smp_element_kind(smp *c, const json_t *a, const json_t *b);

#endif
