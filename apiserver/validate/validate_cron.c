/*
 * validate_cron.c - a CronJob's schedule and time zone (placeholder: only
 * presence is checked until the cron parser lands).
 */
#include "strategy_internal.h"

void k1s__validate_cron_schedule(const json_t *spec, const char *spec_path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    if (!*k1s__str0(spec, "schedule"))
        k1s_ferr_required(fe, k1s__fp(fp, "%s.schedule", spec_path), "");
}
