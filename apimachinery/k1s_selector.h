/*
 * k1s_selector.h - label and field selectors with kube-apiserver's syntax,
 * matching rules and error messages.
 *
 * Label selectors come from the labelSelector query parameter
 * ("app=web,tier in (a,b),!canary"), from metav1.LabelSelector objects in
 * specs (matchLabels/matchExpressions) and from plain label maps (Service
 * .spec.selector). Field selectors come from the fieldSelector query
 * parameter ("metadata.name=x,status.phase!=Running"); which fields exist
 * is the caller's business: it lists the keys used (k1s_selector_at or
 * k1s_selector_first_unknown) to answer "field label not supported: X",
 * and supplies their values through a callback when matching.
 *
 * Parse errors are worded exactly as kube-apiserver's (it answers them
 * with 400 BadRequest), e.g.
 *   unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt
 *
 * A selector is immutable once built, so it can be shared between threads.
 */
#ifndef K1S_SELECTOR_H
#define K1S_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_err.h"

typedef enum k1s_selector_kind {
    K1S_SELECTOR_LABEL,
    K1S_SELECTOR_FIELD,
} k1s_selector_kind;

typedef enum k1s_selector_op {
    K1S_SEL_EQUALS,         /* =  */
    K1S_SEL_DOUBLE_EQUALS,  /* == */
    K1S_SEL_NOT_EQUALS,     /* != */
    K1S_SEL_IN,             /* in (a,b) */
    K1S_SEL_NOT_IN,         /* notin (a,b) */
    K1S_SEL_EXISTS,         /* key */
    K1S_SEL_DOES_NOT_EXIST, /* !key */
    K1S_SEL_GREATER_THAN,   /* key>3 (label strings only) */
    K1S_SEL_LESS_THAN,      /* key<3 (label strings only) */
} k1s_selector_op;

/* One requirement; all of a selector's requirements must hold. */
typedef struct k1s_requirement {
    char *key;
    k1s_selector_op op;
    char **values; /* nvalues strings; exactly one for field selectors */
    size_t nvalues;
} k1s_requirement;

typedef struct k1s_selector k1s_selector;

/* Return codes are base's (k1s_err.h): K1S_EINVAL when the selector is
 * invalid (*err holds kube's message), K1S_ENOMEM when out of memory. */

/*
 * Parse a label selector string. "" (or only blanks) selects everything.
 * Returns 0 with *out set (free with k1s_selector_free), or a negative code
 * with *err a malloc'd message (NULL when out of memory).
 */
int k1s_label_selector_parse(const char *s, k1s_selector **out, char **err);

/*
 * Build a label selector from a metav1.LabelSelector object (borrowed).
 * Two semantics, as in kube's LabelSelectorAsSelector:
 *   - ls NULL or JSON null (selector absent): selects NOTHING;
 *   - {} or no matchLabels/matchExpressions entries: selects EVERYTHING.
 * Operators are In, NotIn, Exists and DoesNotExist.
 */
int k1s_label_selector_from_json(const json_t *ls, k1s_selector **out, char **err);

/* Equality requirements from a label map such as a Service's
 * .spec.selector (borrowed; NULL, null or {} select everything). Values
 * are not validated, as in kube's SelectorFromValidatedSet; non-string
 * values are an error. */
int k1s_label_selector_from_map(const json_t *map, k1s_selector **out, char **err);

/*
 * Parse a field selector string: comma-separated "a=b", "a==b", "a!=b";
 * in values "\," "\=" and "\\" stand for ',', '=' and '\'. "" selects
 * everything.
 */
int k1s_field_selector_parse(const char *s, k1s_selector **out, char **err);

/* Selectors that select everything / nothing (NULL when out of memory). */
k1s_selector *k1s_selector_everything(k1s_selector_kind kind);
k1s_selector *k1s_selector_nothing(k1s_selector_kind kind);

void k1s_selector_free(k1s_selector *sel);

k1s_selector_kind k1s_selector_get_kind(const k1s_selector *sel);
/* No requirements: selects everything. */
bool k1s_selector_empty(const k1s_selector *sel);
/* The absent-selector case of k1s_label_selector_from_json. */
bool k1s_selector_matches_nothing(const k1s_selector *sel);

/* Requirements, sorted by key for label selectors and by term text for
 * field selectors (as kube orders them). */
size_t k1s_selector_len(const k1s_selector *sel);
const k1s_requirement *k1s_selector_at(const k1s_selector *sel, size_t i);
/* The first key not in the NULL-terminated list `supported`, or NULL. */
const char *k1s_selector_first_unknown(const k1s_selector *sel, const char *const *supported);
/* The single value key must equal for the selector to match (=, == or a
 * one-value in), or NULL; e.g. to narrow a list by metadata.name. */
const char *k1s_selector_exact(const k1s_selector *sel, const char *key);

/* Whether a label selector matches an object's labels (a JSON object of
 * strings, borrowed; NULL or null means no labels). */
bool k1s_selector_matches_labels(const k1s_selector *sel, const json_t *labels);

/* A field's value as a string, or NULL when the object has no such field
 * (kube then compares against ""). */
typedef const char *(*k1s_field_get_fn)(void *ctx, const char *field);
bool k1s_selector_matches_fields(const k1s_selector *sel, k1s_field_get_fn get, void *ctx);

/*
 * The canonical string form (malloc'd, NULL when out of memory), as kube's
 * Selector.String(): label requirements sorted by key with in/notin values
 * sorted ("a=b,c in (x,y),!d"), field values escaped. Used e.g. for a
 * Scale's status.selector. Selecting nothing prints as "".
 */
char *k1s_selector_string(const k1s_selector *sel);

#endif
