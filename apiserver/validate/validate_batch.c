/*
 * validate_batch.c - batch/v1 validation as kube's batch validation does
 * it: the Job's pod template (restart policy Never or OnFailure), its
 * counts, and a CronJob's schedule and job template.
 */
#include "strategy_internal.h"

#include <string.h>

static void jobspec(const json_t *spec, const char *path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    static const char *const counts[] = {"parallelism",
                                         "completions",
                                         "activeDeadlineSeconds",
                                         "backoffLimit",
                                         "ttlSecondsAfterFinished",
                                         NULL};
    for (const char *const *c = counts; *c; c++)
        k1s__ferr_nonneg(fe, k1s__fp(fp, "%s.%s", path, *c), json_object_get(spec, *c));
    const json_t *tmpl = k1s__objv(spec, "template");
    k1s_podspec_opts o = {0};
    k1s__validate_pod_template(tmpl, k1s__fp(fp, "%s.template", path), &o, fe);
    const char *rp = k1s__str0(k1s__objv(tmpl, "spec"), "restartPolicy");
    static const char *const allowed[] = {"OnFailure", "Never", NULL};
    if (!k1s__one_of(rp, allowed))
        k1s__ferr_not_supported_str(fe, k1s__fp(fp, "%s.template.spec.restartPolicy", path), rp,
                                    allowed);
}

void k1s__validate_job(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    jobspec(k1s__objv(obj, "spec"), "spec", fe);
}

void k1s__validate_cronjob(const json_t *obj, const json_t *old, k1s_ferrs *fe)
{
    (void)old;
    const json_t *spec = k1s__objv(obj, "spec");
    k1s__validate_cron_schedule(spec, "spec", fe);
    jobspec(k1s__objv(k1s__objv(spec, "jobTemplate"), "spec"), "spec.jobTemplate.spec", fe);
}
