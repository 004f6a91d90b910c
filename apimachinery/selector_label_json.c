/*
 * selector_label_json.c - label selectors built from JSON: a
 * metav1.LabelSelector (matchLabels + matchExpressions), as kube's
 * LabelSelectorAsSelector, and a plain label map, as SelectorFromSet.
 */
#include "selector_int.h"

#include <stdlib.h>
#include <string.h>

static int fail(char **err, char *msg)
{
    *err = msg;
    return msg ? K1S_EINVAL : K1S_ENOMEM;
}

/* Adds the requirement key=value (copies of both): 0 or K1S_ENOMEM. */
static int add_equals(k1s_selector *sel, const char *key, const char *value)
{
    char *k = strdup(key);
    char **values = malloc(sizeof *values);
    char *v = strdup(value);
    if (!k || !values || !v) {
        free(k);
        free(values);
        free(v);
        return K1S_ENOMEM;
    }
    values[0] = v;
    return k1s__selector_add(sel, k, K1S_SEL_EQUALS, values, 1);
}

static int add_match_labels(k1s_selector *sel, const json_t *ml, char **err)
{
    if (!ml || json_is_null(ml))
        return 0;
    if (!json_is_object(ml))
        return fail(err, strdup("matchLabels: expected an object of strings"));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ml, k, v)
    {
        const char *s = k1s__json_cstr(v);
        if (!s)
            return fail(err, k1s__asprintf("matchLabels: expected a string "
                                           "value for key %s",
                                           k));
        char *vals[1] = {(char *)s};
        int rc = k1s__label_requirement_check(k, K1S_SEL_EQUALS, vals, 1, false, err);
        if (rc)
            return rc;
        rc = add_equals(sel, k, s);
        if (rc)
            return rc;
    }
    return 0;
}

static int operator_of(const json_t *op, k1s_selector_op *out)
{
    const char *s = k1s__json_cstr(op);
    if (!s)
        return -1;
    if (strcmp(s, "In") == 0)
        *out = K1S_SEL_IN;
    else if (strcmp(s, "NotIn") == 0)
        *out = K1S_SEL_NOT_IN;
    else if (strcmp(s, "Exists") == 0)
        *out = K1S_SEL_EXISTS;
    else if (strcmp(s, "DoesNotExist") == 0)
        *out = K1S_SEL_DOES_NOT_EXIST;
    else
        return -1;
    return 0;
}

static int add_expression(k1s_selector *sel, const json_t *e, char **err)
{
    if (!json_is_object(e))
        return fail(err, strdup("matchExpressions: expected objects"));
    const json_t *jkey = json_object_get(e, "key");
    const char *key = jkey && !json_is_null(jkey) ? k1s__json_cstr(jkey) : "";
    if (!key)
        return fail(err, strdup("matchExpressions: key must be a string"));
    k1s_selector_op op;
    const json_t *jop = json_object_get(e, "operator");
    if (operator_of(jop, &op)) {
        /* "%q is not a valid label selector operator" */
        k1s_buf b = {0};
        const char *s = json_is_string(jop) ? json_string_value(jop) : "";
        k1s__goquote(&b, s, json_is_string(jop) ? json_string_length(jop) : 0);
        k1s_buf_adds(&b, " is not a valid label selector operator");
        return fail(err, k1s_buf_take(&b, NULL));
    }
    const json_t *jvals = json_object_get(e, "values");
    if (jvals && !json_is_null(jvals) && !json_is_array(jvals))
        return fail(err, strdup("matchExpressions: values must be an array of "
                                "strings"));
    size_t n = json_array_size(jvals);
    char **values = n ? calloc(n, sizeof *values) : NULL;
    char *kcopy = strdup(key);
    int rc = K1S_ENOMEM;
    if ((n && !values) || !kcopy)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        const char *s = k1s__json_cstr(json_array_get(jvals, i));
        if (!s) {
            rc = fail(err, strdup("matchExpressions: values must be an array "
                                  "of strings"));
            goto cleanup;
        }
        values[i] = strdup(s);
        if (!values[i]) {
            rc = K1S_ENOMEM;
            goto cleanup;
        }
    }
    rc = k1s__label_requirement_check(key, op, values, n, true, err);
    if (rc)
        goto cleanup;
    rc = k1s__selector_add(sel, kcopy, op, values, n);
    kcopy = NULL;
    values = NULL;
    n = 0;
cleanup:
    for (size_t i = 0; values && i < n; i++)
        free(values[i]);
    free(values);
    free(kcopy);
    return rc;
}

int k1s_label_selector_from_json(const json_t *ls, k1s_selector **out, char **err)
{
    *out = NULL;
    *err = NULL;
    if (!ls || json_is_null(ls)) {
        *out = k1s_selector_nothing(K1S_SELECTOR_LABEL);
        return *out ? 0 : K1S_ENOMEM;
    }
    if (!json_is_object(ls))
        return fail(err, strdup("label selector must be an object"));
    k1s_selector *sel = k1s__selector_new(K1S_SELECTOR_LABEL);
    if (!sel)
        return K1S_ENOMEM;
    int rc = add_match_labels(sel, json_object_get(ls, "matchLabels"), err);
    const json_t *me = json_object_get(ls, "matchExpressions");
    if (rc == 0 && me && !json_is_null(me) && !json_is_array(me))
        rc = fail(err, strdup("matchExpressions: expected an array"));
    for (size_t i = 0; rc == 0 && i < json_array_size(me); i++)
        rc = add_expression(sel, json_array_get(me, i), err);
    if (rc) {
        if (rc == K1S_ENOMEM) {
            free(*err);
            *err = NULL;
        }
        k1s_selector_free(sel);
        return rc;
    }
    k1s__selector_sort(sel);
    *out = sel;
    return 0;
}

int k1s_label_selector_from_map(const json_t *map, k1s_selector **out, char **err)
{
    *out = NULL;
    *err = NULL;
    if (map && !json_is_null(map) && !json_is_object(map))
        return fail(err, strdup("label selector map must be an object"));
    k1s_selector *sel = k1s__selector_new(K1S_SELECTOR_LABEL);
    if (!sel)
        return K1S_ENOMEM;
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)map, k, v)
    {
        const char *s = k1s__json_cstr(v);
        if (!s) {
            rc = fail(err, k1s__asprintf("label selector map: expected a "
                                         "string value for key %s",
                                         k));
            break;
        }
        rc = add_equals(sel, k, s);
        if (rc)
            break;
    }
    if (rc) {
        k1s_selector_free(sel);
        return rc;
    }
    k1s__selector_sort(sel);
    *out = sel;
    return 0;
}
