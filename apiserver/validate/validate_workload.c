/*
 * validate_workload.c - what the kinds that hold a pod template share
 * (apps/v1 workloads, ReplicationController, PodTemplate, Job, CronJob):
 * the template's pod defaults, kube's selector/labels mismatch error, the
 * template rules of long-running workloads, int-or-percent budgets, and
 * the empty status a create starts from.
 */
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

void k1s__template_defaults(json_t *holder)
{
    json_t *tspec = k1s__objv(k1s__objv(holder, "template"), "spec");
    if (tspec)
        k1s__podspec_defaults(tspec);
}

void k1s__ferr_selector_mismatch(k1s_ferrs *fe, const char *path, const json_t *labels)
{
    char *t = k1s__go_string_map(labels);
    k1s__ferr_invalid_text(fe, path, t, "`selector` does not match template `labels`");
    free(t);
}

void k1s__workload_template_rules(const json_t *spec, const char *kind, k1s_ferrs *fe)
{
    static const char *const always[] = {"Always", NULL};
    const json_t *tspec = k1s__objv(k1s__objv(spec, "template"), "spec");
    json_t *rp = json_object_get(tspec, "restartPolicy");
    if (!json_is_string(rp) || strcmp(json_string_value(rp), "Always")) {
        json_t *empty = json_is_string(rp) ? NULL : json_string(""); /* new */
        k1s_ferr_not_supported(fe, "spec.template.spec.restartPolicy", empty ? empty : rp, always);
        json_decref(empty);
    }
    if (k1s__has(tspec, "activeDeadlineSeconds")) {
        char detail[80];
        snprintf(detail, sizeof detail, "activeDeadlineSeconds in %s is not Supported", kind);
        k1s_ferr_forbidden(fe, "spec.template.spec.activeDeadlineSeconds", detail);
    }
}

void k1s__int_or_percent(const json_t *v, const char *path, bool max100, long long *out,
                         k1s_ferrs *fe)
{
    *out = 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        k1s__ferr_nonneg(fe, path, v);
        return;
    }
    if (!json_is_string(v))
        return;
    char **msgs = k1s_is_percent(json_string_value(v));
    if (msgs) {
        for (char **m = msgs; *m; m++)
            k1s__ferr_invalid_text(fe, path, json_string_value(v), *m);
        k1s_msgs_free(msgs);
        return;
    }
    *out = strtoll(json_string_value(v), NULL, 10);
    if (max100 && *out > 100)
        k1s__ferr_invalid_text(fe, path, json_string_value(v), "must not be greater than 100%");
}

void k1s__empty_status(json_t *obj)
{
    json_object_set_new(obj, "status", json_object());
}
