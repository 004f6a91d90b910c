/*
 * pv_match.c - which PersistentVolume a claim gets: a volume already
 * reserved for it (pre-bound by a user or provisioned for it), else the
 * best Available volume of its class; and which StorageClass is the
 * default. Pure reads of the informer caches.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "pv_internal.h"

#include <stdlib.h>
#include <string.h>

#include "k1s_selector.h"

static bool has_string(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *vs = json_string_value(v);
        if (vs && !strcmp(vs, s))
            return true;
    }
    return false;
}

/* kube's CheckAccessModes: the volume offers every mode the claim asks. */
static bool access_modes_ok(const json_t *volume, const json_t *claim)
{
    const json_t *vm = json_object_get(json_object_get(volume, "spec"), "accessModes");
    const json_t *cm = json_object_get(json_object_get(claim, "spec"), "accessModes");
    size_t i;
    const json_t *m;
    json_array_foreach(cm, i, m)
    {
        const char *s = json_string_value(m);
        if (!s || !has_string(vm, s))
            return false;
    }
    return true;
}

static size_t distinct_modes(const json_t *volume)
{
    const json_t *vm = json_object_get(json_object_get(volume, "spec"), "accessModes");
    static const char *const all[] = {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                                      "ReadWriteOncePod"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        n += has_string(vm, all[i]);
    return n;
}

static bool same_mode(const json_t *volume, const json_t *claim)
{
    return !strcmp(k1s__pv_volume_mode(volume), k1s__pv_volume_mode(claim));
}

static const char *vac_of(const json_t *obj)
{
    return k1s_json_str_or(obj, "spec.volumeAttributesClassName", "");
}

typedef struct matchctx {
    const json_t *claim;
    bool delay_binding;
    k1s_quantity request;
    const char *class_name;
    k1s_selector *selector; /* owned; NULL: no selector */
    const json_t *prebound, *best;
    k1s_quantity best_cap;
    size_t best_modes;
} matchctx;

static int consider(void *vctx, const json_t *volume)
{
    matchctx *m = vctx;
    const json_t *ref = json_object_get(json_object_get(volume, "spec"), "claimRef");
    bool bound_here = k1s__pv_bound_to_claim(volume, m->claim);
    if (json_is_object(ref) && !bound_here)
        return 0;
    if (!access_modes_ok(volume, m->claim))
        return 0;
    k1s_quantity cap;
    if (k1s__pv_capacity(volume, &cap) != 0 || k1s_quantity_cmp(&cap, &m->request) < 0)
        return 0;
    if (!same_mode(volume, m->claim))
        return 0;
    /* the VolumeAttributesClass gate is off, as in kube 1.33 by default */
    if (*vac_of(volume))
        return 0;
    if (json_object_get(json_object_get(volume, "metadata"), "deletionTimestamp"))
        return 0;
    if (bound_here) {
        m->prebound = volume;
        return 1;
    }
    if (m->delay_binding)
        return 0;
    if (strcmp(k1s_json_str_or(volume, "status.phase", ""), "Available") != 0)
        return 0;
    if (m->selector &&
        !k1s_selector_matches_labels(
            m->selector, json_object_get(json_object_get(volume, "metadata"), "labels")))
        return 0;
    if (strcmp(k1s__pv_volume_class(volume), m->class_name) != 0)
        return 0;
    /* kube looks at volumes with the fewest access modes first, then takes
       the smallest; ties go to the first name for a stable choice */
    size_t modes = distinct_modes(volume);
    if (m->best) {
        if (modes > m->best_modes)
            return 0;
        if (modes == m->best_modes) {
            int cmp = k1s_quantity_cmp(&cap, &m->best_cap);
            if (cmp > 0)
                return 0;
            if (cmp == 0 && strcmp(k1s_meta(volume, "name"), k1s_meta(m->best, "name")) > 0)
                return 0;
        }
    }
    m->best = volume;
    m->best_cap = cap;
    m->best_modes = modes;
    return 0;
}

const json_t *k1s__pv_find_match(k1s_ctrl *c, const json_t *claim, bool delay_binding)
{
    k1s_informer *inf = k1s_ctrl_informer(c, "", "PersistentVolume");
    if (!inf)
        return NULL;
    if (*vac_of(claim))
        return NULL; /* kube refuses such claims while the gate is off */
    matchctx m = {.claim = claim, .delay_binding = delay_binding};
    k1s__pv_request(claim, &m.request);
    m.class_name = k1s__pv_claim_class(claim);
    const json_t *sel = json_object_get(json_object_get(claim, "spec"), "selector");
    if (sel && !json_is_null(sel)) {
        char *err = NULL;
        if (k1s_label_selector_from_json(sel, &m.selector, &err) != 0) {
            /* validation makes this unreachable; match nothing */
            free(err);
            return NULL;
        }
    }
    k1s_informer_each(inf, NULL, consider, &m);
    k1s_selector_free(m.selector);
    return m.prebound ? m.prebound : m.best;
}

const char *k1s__pv_unsatisfied(const json_t *volume, const json_t *claim)
{
    if (json_object_get(json_object_get(volume, "metadata"), "deletionTimestamp"))
        return "the volume is marked for deletion";
    k1s_quantity cap, req;
    k1s__pv_capacity(volume, &cap);
    k1s__pv_request(claim, &req);
    if (k1s_quantity_cmp(&cap, &req) < 0)
        return "requested PV is too small";
    if (strcmp(k1s__pv_volume_class(volume), k1s__pv_claim_class(claim)) != 0)
        return "storageClassName does not match";
    if (!same_mode(volume, claim))
        return "incompatible volumeMode";
    if (!access_modes_ok(volume, claim))
        return "incompatible accessMode";
    return NULL;
}

static bool marked_default(const json_t *class)
{
    const char *a = k1s_meta_annotation(class, K1S_ANN_DEFAULT_CLASS);
    const char *b = k1s_meta_annotation(class, K1S_ANN_BETA_DEFAULT_CLASS);
    return (a && !strcmp(a, "true")) || (b && !strcmp(b, "true"));
}

typedef struct defctx {
    const json_t *best;
} defctx;

static int pick_default(void *vctx, const json_t *class)
{
    defctx *d = vctx;
    if (!marked_default(class))
        return 0;
    if (d->best) {
        /* RFC 3339 UTC timestamps order as strings; the newest wins, then
           the first name, as kube's GetDefaultClass */
        const char *t = k1s_meta(class, "creationTimestamp");
        const char *bt = k1s_meta(d->best, "creationTimestamp");
        int cmp = strcmp(t ? t : "", bt ? bt : "");
        if (cmp < 0)
            return 0;
        if (cmp == 0 && strcmp(k1s_meta(class, "name"), k1s_meta(d->best, "name")) > 0)
            return 0;
    }
    d->best = class;
    return 0;
}

const json_t *k1s__pv_default_class(k1s_ctrl *c)
{
    k1s_informer *inf = k1s_ctrl_informer(c, "storage.k8s.io", "StorageClass");
    if (!inf)
        return NULL;
    defctx d = {NULL};
    k1s_informer_each(inf, NULL, pick_default, &d);
    return d.best;
}
