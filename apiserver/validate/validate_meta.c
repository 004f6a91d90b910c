/*
 * validate_meta.c - ObjectMeta validation common to every kind
 * (k1s__validate_meta, called by the write path before the kind's own
 * validation) and the metadata pieces strategies reuse: labels,
 * annotations, label selectors and the metadata of embedded templates.
 *
 * Rules and wording follow apimachinery's ValidateObjectMeta /
 * ValidateObjectMetaUpdate plus core's finalizer-name check, which every
 * built-in kind goes through.
 */
#include "api_internal.h"
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "k1s_selector.h"

/* metadata.annotations may hold this many bytes of keys and values. */
#define ANNOTATIONS_MAX (256 * 1024)

/* ---- labels, annotations, selectors ---------------------------------------- */

void k1s__validate_labels(const json_t *labels, const char *path, k1s_ferrs *fe)
{
    if (!json_is_object(labels))
        return;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)labels, k, v)
    {
        json_t *key = json_string(k);
        k1s__check_qualified_name(fe, path, key);
        json_decref(key);
        k1s__check_str(fe, path, v, k1s_is_label_value);
    }
}

void k1s__validate_annotations(const json_t *ann, const char *path, k1s_ferrs *fe)
{
    if (!json_is_object(ann))
        return;
    size_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ann, k, v)
    {
        /* the rule is a qualified name with case ignored */
        size_t n = strlen(k);
        char *lower = malloc(n + 1);
        if (lower) {
            for (size_t i = 0; i <= n; i++)
                lower[i] = (k[i] >= 'A' && k[i] <= 'Z') ? k[i] + 32 : k[i];
            char **msgs = k1s_is_qualified_name(lower);
            json_t *key = json_string(k);
            k1s__ferr_msgs(fe, path, key, msgs);
            json_decref(key);
            free(lower);
        }
        total += n + json_string_length(v);
    }
    if (total > ANNOTATIONS_MAX)
        k1s_ferr_too_long(fe, path, NULL, ANNOTATIONS_MAX);
}

static void validate_requirement(const json_t *req, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const char *op = k1s__str0(req, "operator");
    const json_t *values = k1s__arrv(req, "values");
    if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
        if (json_array_size(values) == 0)
            k1s_ferr_required(fe, k1s__fp(fp, "%s.values", path),
                              "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
        if (json_array_size(values) > 0)
            k1s_ferr_forbidden(
                fe, k1s__fp(fp, "%s.values", path),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
        k1s_ferr_invalid_str(fe, k1s__fp(fp, "%s.operator", path), op,
                             "not a valid selector operator");
    }
    json_t *key = json_object_get(req, "key");
    json_t *empty = json_is_string(key) ? NULL : json_string(""); /* new */
    k1s__check_qualified_name(fe, k1s__fp(fp, "%s.key", path), empty ? empty : key);
    json_decref(empty);
    for (size_t i = 0; i < json_array_size(values); i++)
        k1s__check_str(fe, k1s__fp(fp, "%s.values[%zu]", path, i), json_array_get(values, i),
                       k1s_is_label_value);
}

void k1s__validate_label_selector(const json_t *sel, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!json_is_object(sel))
        return;
    k1s__validate_labels(k1s__objv(sel, "matchLabels"), k1s__fp(fp, "%s.matchLabels", path), fe);
    const json_t *exprs = k1s__arrv(sel, "matchExpressions");
    for (size_t i = 0; i < json_array_size(exprs); i++) {
        char ep[K1S_FP_MAX];
        validate_requirement(json_array_get(exprs, i),
                             k1s__fp(ep, "%s.matchExpressions[%zu]", path, i), fe);
    }
}

bool k1s__selector_matches(const json_t *sel, bool map_form, const json_t *labels)
{
    k1s_selector *s = NULL;
    char *err = NULL;
    int rc = map_form ? k1s_label_selector_from_map(sel, &s, &err)
                      : k1s_label_selector_from_json(sel, &s, &err);
    free(err);
    if (rc != 0)
        return false;
    bool ok = k1s_selector_matches_labels(s, labels);
    k1s_selector_free(s);
    return ok;
}

/* ---- template metadata ---------------------------------------------------------- */

/* ObjectMeta fields in Go's order, with the name reflection gives them after
 * lowering the first letter (UID becomes "uID"). */
static const struct {
    const char *json, *go;
} meta_fields[] = {
    {"name", "name"},
    {"generateName", "generateName"},
    {"namespace", "namespace"},
    {"selfLink", "selfLink"},
    {"uid", "uID"},
    {"resourceVersion", "resourceVersion"},
    {"generation", "generation"},
    {"creationTimestamp", "creationTimestamp"},
    {"deletionTimestamp", "deletionTimestamp"},
    {"deletionGracePeriodSeconds", "deletionGracePeriodSeconds"},
    {"ownerReferences", "ownerReferences"},
    {"finalizers", "finalizers"},
    {"managedFields", "managedFields"},
};

static bool zero_value(const json_t *v)
{
    return !v || json_is_null(v) || json_is_false(v) ||
           (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_integer(v) && json_integer_value(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_object(v) && json_object_size(v) == 0);
}

void k1s__validate_template_meta(const json_t *meta, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    k1s__validate_annotations(k1s__objv(meta, "annotations"), k1s__fp(fp, "%s.annotations", path),
                              fe);
    k1s__validate_labels(k1s__objv(meta, "labels"), k1s__fp(fp, "%s.labels", path), fe);
    for (size_t i = 0; i < sizeof meta_fields / sizeof meta_fields[0]; i++)
        if (!zero_value(json_object_get(meta, meta_fields[i].json)))
            k1s_ferr_forbidden(fe, k1s__fp(fp, "%s.%s", path, meta_fields[i].go), "cannot be set");
}

/* ---- owner references and finalizers ------------------------------------------ */

static void go_bool_ptr(FILE *f, const json_t *v)
{
    /* Go prints a pointer's address; any fixed one serves */
    fputs(json_is_boolean(v) ? "(*bool)(0xc000010000)" : "(*bool)(nil)", f);
}

static void go_owner_ref(FILE *f, const json_t *r)
{
    fputs("v1.OwnerReference{APIVersion:", f);
    k1s__go_quote(f, k1s__str0(r, "apiVersion"));
    fputs(", Kind:", f);
    k1s__go_quote(f, k1s__str0(r, "kind"));
    fputs(", Name:", f);
    k1s__go_quote(f, k1s__str0(r, "name"));
    fputs(", UID:", f);
    k1s__go_quote(f, k1s__str0(r, "uid"));
    fputs(", Controller:", f);
    go_bool_ptr(f, json_object_get(r, "controller"));
    fputs(", BlockOwnerDeletion:", f);
    go_bool_ptr(f, json_object_get(r, "blockOwnerDeletion"));
    fputc('}', f);
}

/* %#v of one reference, or of the whole list when refs is an array. */
static char *go_owner_refs(const json_t *refs)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (json_is_array(refs)) {
        fputs("[]v1.OwnerReference{", f);
        for (size_t i = 0; i < json_array_size(refs); i++) {
            if (i)
                fputs(", ", f);
            go_owner_ref(f, json_array_get(refs, i));
        }
        fputc('}', f);
    } else {
        go_owner_ref(f, refs);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The version part of an apiVersion as schema.ParseGroupVersion reads it:
 * "" when empty, "g/" or more than one '/'. */
static bool api_version_has_version(const char *av)
{
    const char *slash = strchr(av, '/');
    if (!slash)
        return *av != 0;
    return slash[1] != 0 && !strchr(slash + 1, '/');
}

static void validate_owner_refs(const json_t *refs, k1s_ferrs *fe)
{
    const char *path = "metadata.ownerReferences";
    char first[K1S_FP_MAX] = "";
    for (size_t i = 0; i < json_array_size(refs); i++) {
        const json_t *r = json_array_get(refs, i);
        const char *av = k1s__str0(r, "apiVersion");
        const char *kind = k1s__str0(r, "kind");
        if (!api_version_has_version(av))
            k1s_ferr_invalid_str(fe, "metadata.ownerReferences.apiVersion", av,
                                 "version must not be empty");
        if (!*kind)
            k1s_ferr_invalid_str(fe, "metadata.ownerReferences.kind", kind, "must not be empty");
        if (!*k1s__str0(r, "name"))
            k1s_ferr_invalid_str(fe, "metadata.ownerReferences.name", "", "must not be empty");
        if (!*k1s__str0(r, "uid"))
            k1s_ferr_invalid_str(fe, "metadata.ownerReferences.uid", "", "must not be empty");
        if (!strcmp(av, "v1") && !strcmp(kind, "Event")) {
            char *t = go_owner_refs(r);
            k1s__ferr_invalid_text(fe, path, t,
                                   "/v1, Kind=Event is disallowed from being an owner");
            free(t);
        }
        if (json_is_true(json_object_get(r, "controller"))) {
            char cur[K1S_FP_MAX];
            k1s__fp(cur, "%s/%s", kind, k1s__str0(r, "name"));
            if (*first) {
                char detail[3 * K1S_FP_MAX];
                snprintf(
                    detail, sizeof detail,
                    "Only one reference can have Controller set to true. Found \"true\" in references for %s and %s",
                    first, cur);
                char *t = go_owner_refs(refs);
                k1s__ferr_invalid_text(fe, path, t, detail);
                free(t);
            } else {
                memcpy(first, cur, sizeof first);
            }
        }
    }
}

static const char *const standard_finalizers[] = {"kubernetes", "orphan", "foregroundDeletion",
                                                  NULL};

static void validate_finalizers(const json_t *fins, k1s_ferrs *fe)
{
    bool orphan = false, foreground = false;
    for (size_t i = 0; i < json_array_size(fins); i++) {
        const json_t *f = json_array_get(fins, i);
        k1s__check_qualified_name(fe, "metadata.finalizers", f);
        const char *s = json_string_value(f);
        orphan |= s && !strcmp(s, "orphan");
        foreground |= s && !strcmp(s, "foregroundDeletion");
    }
    if (orphan && foreground) {
        char *t = k1s__go_string_slice(fins);
        k1s__ferr_invalid_text(fe, "metadata.finalizers", t,
                               "finalizer orphan and foregroundDeletion cannot be both set");
        free(t);
    }
    /* core's own rule: a name without '/' must be a standard one */
    for (size_t i = 0; i < json_array_size(fins); i++) {
        const char *s = json_string_value(json_array_get(fins, i));
        if (s && !strchr(s, '/') && !k1s__one_of(s, standard_finalizers)) {
            char fp[K1S_FP_MAX];
            k1s_ferr_invalid_str(
                fe, k1s__fp(fp, "metadata.finalizers[%zu]", i), s,
                "name is neither a standard finalizer name nor is it fully qualified");
        }
    }
}

/* Forbidden when finalizers are added to an object being deleted. */
static void validate_no_new_finalizers(const json_t *fins, const json_t *old, k1s_ferrs *fe)
{
    json_t *added = json_array(); /* new reference */
    if (!added)
        return;
    for (size_t i = 0; i < json_array_size(fins); i++) {
        json_t *f = json_array_get(fins, i);
        bool known = false;
        for (size_t j = 0; j < json_array_size(old) && !known; j++)
            known = json_equal(f, json_array_get(old, j));
        for (size_t j = 0; j < json_array_size(added) && !known; j++)
            known = json_equal(f, json_array_get(added, j));
        if (!known && json_is_string(f))
            json_array_append(added, f);
    }
    if (json_array_size(added)) {
        /* Go prints the sorted set */
        size_t n = json_array_size(added);
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0; j--) {
                json_t *a = json_array_get(added, j - 1);
                json_t *b = json_array_get(added, j);
                if (strcmp(json_string_value(a), json_string_value(b)) <= 0)
                    break;
                json_incref(a);
                json_array_set(added, j - 1, b);
                json_array_set_new(added, j, a);
            }
        char *t = k1s__go_string_slice(added);
        char *detail = NULL;
        if (t &&
            asprintf(
                &detail,
                "no new finalizers can be added if the object is being deleted, found new finalizers %s",
                t) >= 0)
            k1s_ferr_forbidden(fe, "metadata.finalizers", detail);
        free(detail);
        free(t);
    }
    json_decref(added);
}

/* ---- ObjectMeta ------------------------------------------------------------------ */

static void immutable(const json_t *m, const json_t *om, const char *field, k1s_ferrs *fe)
{
    json_t *v = json_object_get(m, field), *ov = json_object_get(om, field);
    if (k1s_json_semantic_equal(v, ov))
        return;
    char fp[K1S_FP_MAX];
    if (v)
        k1s_ferr_invalid(fe, k1s__fp(fp, "metadata.%s", field), v, "field is immutable");
    else
        k1s__ferr_invalid_text(fe, k1s__fp(fp, "metadata.%s", field), "null", "field is immutable");
}

/* The common part of create and update. */
static void validate_meta_common(const json_t *m, k1s_ferrs *fe)
{
    k1s__validate_labels(k1s__objv(m, "labels"), "metadata.labels", fe);
    k1s__validate_annotations(k1s__objv(m, "annotations"), "metadata.annotations", fe);
    validate_owner_refs(k1s__arrv(m, "ownerReferences"), fe);
}

void k1s__validate_meta(const k1s_kind *k, const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    const json_t *m = k1s__objv(obj, "metadata");
    if (k->strategy && k->strategy->legacy_meta) {
        /* core/v1 Events keep their legacy rules, on create and update:
           only the namespace is checked */
        json_t *ns = json_object_get(m, "namespace");
        json_t *empty = json_is_string(ns) ? NULL : json_string(""); /* new */
        k1s__check_dns_subdomain(fe, "namespace", empty ? empty : ns);
        json_decref(empty);
        return;
    }
    if (old) {
        const json_t *om = k1s__objv(old, "metadata");
        if (k1s__has(om, "deletionTimestamp"))
            validate_no_new_finalizers(k1s__arrv(m, "finalizers"), k1s__arrv(om, "finalizers"), fe);
        static const char *const fixed[] = {"name",
                                            "namespace",
                                            "uid",
                                            "creationTimestamp",
                                            "deletionTimestamp",
                                            "deletionGracePeriodSeconds",
                                            NULL};
        for (const char *const *f = fixed; *f; f++)
            immutable(m, om, *f, fe);
        validate_meta_common(m, fe);
        validate_finalizers(k1s__arrv(m, "finalizers"), fe);
        return;
    }
    k1s_name_rule rule = k->strategy ? k->strategy->name_rule : K1S_NAME_DNS1123_SUBDOMAIN;
    json_t *gen = json_object_get(m, "generateName");
    if (json_is_string(gen) && json_string_length(gen))
        k1s__check_name_rule(fe, "metadata.generateName", gen, rule, true);
    json_t *name = json_object_get(m, "name");
    if (!json_is_string(name) || !json_string_length(name))
        k1s_ferr_required(fe, "metadata.name", "name or generateName is required");
    else
        k1s__check_name_rule(fe, "metadata.name", name, rule, false);
    json_t *ns = json_object_get(m, "namespace");
    if (k->namespaced) {
        if (!json_is_string(ns) || !json_string_length(ns))
            k1s_ferr_required(fe, "metadata.namespace", "");
        else
            k1s__check_dns_label(fe, "metadata.namespace", ns);
    } else if (json_is_string(ns) && json_string_length(ns)) {
        k1s_ferr_forbidden(fe, "metadata.namespace", "not allowed on this type");
    }
    k1s__ferr_nonneg(fe, "metadata.generation", json_object_get(m, "generation"));
    validate_meta_common(m, fe);
    validate_finalizers(k1s__arrv(m, "finalizers"), fe);
}
