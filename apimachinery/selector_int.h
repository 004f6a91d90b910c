/*
 * selector_int.h - the selector representation shared by the label and
 * field selector parsers (internal to apimachinery).
 */
#ifndef K1S_SELECTOR_INT_H
#define K1S_SELECTOR_INT_H

#include "k1s_selector.h"
#include "am_util.h"

struct k1s_selector {
    k1s_selector_kind kind;
    bool nothing; /* labels.Nothing(): matches no object */
    size_t n, cap;
    k1s_requirement *reqs; /* owned, with their strings */
};

k1s_selector *k1s__selector_new(k1s_selector_kind kind);
/* Append a requirement, taking ownership of key and values (freed on
 * failure too). 0, or K1S_ENOMEM. */
int k1s__selector_add(k1s_selector *sel, char *key, k1s_selector_op op, char **values,
                      size_t nvalues);
void k1s__requirement_clear(k1s_requirement *r);
/* Stable sort of the requirements by key (kube sorts by key; equal keys
 * keep their order here). */
void k1s__selector_sort(k1s_selector *sel);

/*
 * kube's labels.NewRequirement checks: the key is a qualified name, the
 * number of values suits op, the values are label values (and integers for
 * gt/lt). On failure returns K1S_EINVAL with *err the
 * aggregated message kube prints. nil_values renders an empty value list
 * as Go's nil slice ("[]string(nil)") rather than "[]string{}".
 */
int k1s__label_requirement_check(const char *key, k1s_selector_op op, char *const *values,
                                 size_t nvalues, bool nil_values, char **err);

/* field.Invalid(path, value, detail).Error() for a string value:
 * "<path>: Invalid value: \"<value>\": <detail>" (Go-quoted value).
 * malloc'd, NULL when out of memory. */
char *k1s__invalid_str(const char *path, const char *value, const char *detail);

/* Sort and deduplicate strings in place (sets.String semantics); returns
 * the new count, freeing the duplicates. */
size_t k1s__strings_sort_unique(char **v, size_t n);

#endif
