/*
 * strategy_rc.c - the core/v1 kinds around pod templates and quotas:
 * ReplicationController, PodTemplate, ResourceQuota and LimitRange. Their
 * conditional defaults (an RC's selector from its template, a LimitRange's
 * container defaults from its max and min), create-time status, and the
 * checks beyond the schema's.
 */
#include "strategy_internal.h"

#include <string.h>

static json_t *template_labels(const json_t *holder)
{
    return k1s__objv(k1s__objv(k1s__objv(holder, "template"), "metadata"), "labels");
}

/* ---- ReplicationController ---------------------------------------------------------- */

/* SetDefaults_ReplicationController: selector and labels from the
 * template when not given. */
static void rc_defaults(json_t *obj)
{
    json_t *spec = k1s__objv(obj, "spec");
    if (!spec)
        return;
    k1s__template_defaults(spec);
    json_t *tl = template_labels(spec);
    if (!json_object_size(tl))
        return;
    if (!json_object_size(k1s__objv(spec, "selector")))
        json_object_set_new(spec, "selector", json_deep_copy(tl));
    json_t *meta = k1s__objv(obj, "metadata");
    if (meta && !json_object_size(k1s__objv(meta, "labels")))
        json_object_set_new(meta, "labels", json_deep_copy(tl));
}

static void rc_prepare_create(json_t *obj)
{
    json_object_set_new(obj, "status", json_pack("{s:i}", "replicas", 0));
}

static void rc_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *spec = k1s__objv(obj, "spec");
    k1s__ferr_nonneg(fe, "spec.replicas", json_object_get(spec, "replicas"));
    k1s__ferr_nonneg(fe, "spec.minReadySeconds", json_object_get(spec, "minReadySeconds"));
    const json_t *sel = k1s__objv(spec, "selector");
    if (!json_object_size(sel)) {
        k1s_ferr_required(fe, "spec.selector", "");
    } else {
        k1s__validate_labels(sel, "spec.selector", fe);
        const json_t *tmpl = k1s__objv(spec, "template");
        if (!tmpl) {
            k1s_ferr_required(fe, "spec.template", "");
            return;
        }
        if (!k1s__selector_matches(sel, true, template_labels(spec)))
            k1s__ferr_selector_mismatch(fe, "spec.template.metadata.labels", template_labels(spec));
        k1s_podspec_opts o = {0};
        k1s__validate_pod_template(tmpl, "spec.template", &o, fe);
        k1s__workload_template_rules(spec, "ReplicationController", fe);
    }
}

const k1s_strategy k1s__strategy_replicationcontroller = {
    .defaults = rc_defaults,
    .prepare_create = rc_prepare_create,
    .validate = rc_validate,
};

/* ---- PodTemplate ---------------------------------------------------------------------- */

static void podtemplate_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    k1s_podspec_opts o = {0};
    k1s__validate_pod_template(k1s__objv(obj, "template"), "template", &o, fe);
}

const k1s_strategy k1s__strategy_podtemplate = {
    .defaults = k1s__template_defaults,
    .validate = podtemplate_validate,
};

/* ---- ResourceQuota ---------------------------------------------------------------------- */

/* Every amount a quantity that is not negative. */
static void nonneg_quantities(const json_t *list, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)list, key, v)
    {
        int sign = 0;
        if (k1s__quantity_sign(v, &sign) == 0 && sign < 0)
            k1s_ferr_invalid(fe, k1s__fp(fp, "%s[%s]", path, key), v,
                             "must be greater than or equal to 0");
    }
}

static void quota_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    nonneg_quantities(k1s__objv(k1s__objv(obj, "spec"), "hard"), "spec.hard", fe);
    nonneg_quantities(k1s__objv(k1s__objv(obj, "status"), "hard"), "status.hard", fe);
    nonneg_quantities(k1s__objv(k1s__objv(obj, "status"), "used"), "status.used", fe);
}

const k1s_strategy k1s__strategy_resourcequota = {
    .prepare_create = k1s__empty_status,
    .validate = quota_validate,
};

/* ---- LimitRange ------------------------------------------------------------------------- */

/* Copy every entry of from that to lacks. */
static void fill_missing(json_t *to, const json_t *from)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)from, key, v)
    {
        if (!json_object_get(to, key))
            json_object_set(to, key, v);
    }
}

/* SetDefaults_LimitRangeItem for containers: the default limit from max,
 * the default request from the default limit, then from min. */
static void limitrange_defaults(json_t *obj)
{
    size_t i;
    json_t *item;
    json_array_foreach(k1s__arrv(k1s__objv(obj, "spec"), "limits"), i, item)
    {
        if (strcmp(k1s__str0(item, "type"), "Container"))
            continue;
        json_t *dflt = json_deep_copy(k1s__objv(item, "default"));
        json_t *req = json_deep_copy(k1s__objv(item, "defaultRequest"));
        if (!dflt)
            dflt = json_object();
        if (!req)
            req = json_object();
        fill_missing(dflt, k1s__objv(item, "max"));
        fill_missing(req, dflt);
        fill_missing(req, k1s__objv(item, "min"));
        if (json_object_size(dflt))
            json_object_set(item, "default", dflt);
        if (json_object_size(req))
            json_object_set(item, "defaultRequest", req);
        json_decref(dflt);
        json_decref(req);
    }
}

static void limitrange_validate(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    char fp[K1S_FP_MAX];
    size_t i;
    json_t *item;
    static const char *const types[] = {"Container", "Pod", "PersistentVolumeClaim", NULL};
    json_array_foreach(k1s__arrv(k1s__objv(obj, "spec"), "limits"), i, item)
    {
        const char *t = k1s__str0(item, "type");
        if (!*t)
            k1s_ferr_required(fe, k1s__fp(fp, "spec.limits[%zu].type", i), "");
        else if (!k1s__one_of(t, types))
            k1s__ferr_not_supported_str(fe, k1s__fp(fp, "spec.limits[%zu].type", i), t, types);
        static const char *const maps[] = {"max", "min", "default", "defaultRequest", NULL};
        for (const char *const *m = maps; *m; m++)
            nonneg_quantities(k1s__objv(item, *m), k1s__fp(fp, "spec.limits[%zu].%s", i, *m), fe);
    }
}

const k1s_strategy k1s__strategy_limitrange = {
    .defaults = limitrange_defaults,
    .validate = limitrange_validate,
};
