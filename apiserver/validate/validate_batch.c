/*
 * validate_batch.c - batch/v1 validation as kube's batch validation does
 * it: the Job's pod template (restart policy Never or OnFailure), its
 * counts, and a CronJob's schedule and job template.
 */
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

static void jobspec(const json_t *spec, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    static const char *const counts[] = {"parallelism", "completions", "backoffLimit",
                                         "ttlSecondsAfterFinished", NULL};
    for (const char *const *c = counts; *c; c++)
        k1s__ferr_nonneg(fe, k1s__fp(fp, "%s.%s", path, *c), json_object_get(spec, *c));
    const json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
    if (json_is_integer(ads) && json_integer_value(ads) <= 0)
        k1s_ferr_invalid(fe, k1s__fp(fp, "%s.activeDeadlineSeconds", path), ads,
                         "must be greater than zero");
    const json_t *tmpl = k1s__objv(spec, "template");
    k1s_podspec_opts o = {0};
    k1s__validate_pod_template(tmpl, k1s__fp(fp, "%s.template", path), &o, fe);
    const char *rp = k1s__str0(k1s__objv(tmpl, "spec"), "restartPolicy");
    static const char *const allowed[] = {"OnFailure", "Never", NULL};
    if (!k1s__one_of(rp, allowed))
        k1s__ferr_not_supported_str(fe, k1s__fp(fp, "%s.template.spec.restartPolicy", path), rp,
                                    allowed);
}

/* ValidateJobSpec's own part: a Job (not a CronJob's template) has a
 * selector that must select its pods. */
static void job_selector(const json_t *spec, k1s_ferrs *fe)
{
    const char *path = "spec";
    char fp[K1S_FP_MAX];
    const json_t *tmpl = k1s__objv(spec, "template");
    const json_t *sel = k1s__objv(spec, "selector");
    if (!sel)
        k1s_ferr_required(fe, k1s__fp(fp, "%s.selector", path), "");
    else
        k1s__validate_label_selector(sel, k1s__fp(fp, "%s.selector", path), fe);
    /* an absent selector selects nothing, so it mismatches too */
    const json_t *labels = k1s__objv(k1s__objv(tmpl, "metadata"), "labels");
    if (!k1s__selector_matches(sel, false, labels))
        k1s__ferr_selector_mismatch(fe, k1s__fp(fp, "%s.template.metadata.labels", path), labels);
}

void k1s__validate_job(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    job_selector(k1s__objv(obj, "spec"), fe);
    jobspec(k1s__objv(obj, "spec"), "spec", fe);
}

void k1s__validate_cronjob(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *spec = k1s__objv(obj, "spec");
    k1s__validate_cron_schedule(spec, "spec", fe);
    static const char *const policies[] = {"Allow", "Forbid", "Replace", NULL};
    const char *cp = k1s__str0(spec, "concurrencyPolicy");
    if (!*cp)
        k1s_ferr_required(fe, "spec.concurrencyPolicy", "");
    else if (!k1s__one_of(cp, policies))
        k1s__ferr_not_supported_str(fe, "spec.concurrencyPolicy", cp, policies);
    k1s__ferr_nonneg(fe, "spec.startingDeadlineSeconds",
                     json_object_get(spec, "startingDeadlineSeconds"));
    k1s__ferr_nonneg(fe, "spec.successfulJobsHistoryLimit",
                     json_object_get(spec, "successfulJobsHistoryLimit"));
    k1s__ferr_nonneg(fe, "spec.failedJobsHistoryLimit",
                     json_object_get(spec, "failedJobsHistoryLimit"));
    jobspec(k1s__objv(k1s__objv(spec, "jobTemplate"), "spec"), "spec.jobTemplate.spec", fe);
    /* kube checks the name length after the spec */
    const json_t *name = json_object_get(k1s__objv(obj, "metadata"), "name");
    if (!old && json_is_string(name) && json_string_length(name) > 52)
        k1s_ferr_invalid(fe, "metadata.name", name, "must be no more than 52 characters");
}
