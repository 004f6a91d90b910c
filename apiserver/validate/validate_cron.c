/*
 * validate_cron.c - a CronJob's schedule and time zone, checked as
 * kube-apiserver's validateScheduleFormat and validateTimeZone do.
 */
#include "strategy_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "k1s_cron.h"

/* kube's ^[A-Za-z\.\-_0-9+]{1,14}$ on each '/'-separated part. */
static int tz_part_ok(const char *p, size_t n)
{
    if (n == 0 || n > 14 || p[0] == '-' || (n == 1 && p[0] == '.') ||
        (n == 2 && p[0] == '.' && p[1] == '.'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr(".-_+", p[i]))
            return 0;
    return 1;
}

static void validate_tz(const char *tz, const char *field, k1s_ferrs *fe)
{
    char msg[512];
    if (!*tz) {
        k1s_ferr_invalid_str(fe, field, tz, "timeZone must be nil or non-empty string");
        return;
    }
    for (const char *p = tz;;) {
        const char *s = strchr(p, '/');
        size_t n = s ? (size_t)(s - p) : strlen(p);
        if (!tz_part_ok(p, n)) {
            snprintf(msg, sizeof msg, "unknown time zone %s", tz);
            k1s_ferr_invalid_str(fe, field, tz, msg);
            return;
        }
        if (!s)
            break;
        p = s + 1;
    }
    if (!strcasecmp(tz, "Local"))
        k1s_ferr_invalid_str(fe, field, tz,
                             "timeZone must be an explicit time zone as defined in "
                             "https://www.iana.org/time-zones");
    k1s_tz *z = NULL;
    char *err = NULL;
    if (k1s_tz_load(tz, &z, &err))
        k1s_ferr_invalid_str(fe, field, tz, err ? err : "unknown time zone");
    free(err);
    k1s_tz_free(z);
}

void k1s__validate_cron_schedule(const json_t *spec, const char *spec_path, k1s_ferrs *fe)
{
    char fp[K1S_FP_MAX];
    const char *sched = k1s__str0(spec, "schedule");
    const json_t *tzv = json_object_get(spec, "timeZone");
    if (!*sched) {
        k1s_ferr_required(fe, k1s__fp(fp, "%s.schedule", spec_path), "");
    } else {
        k1s_cron *c = NULL;
        char *err = NULL;
        if (k1s_cron_parse(sched, NULL, &c, &err))
            k1s_ferr_invalid_str(fe, k1s__fp(fp, "%s.schedule", spec_path), sched,
                                 err ? err : "invalid schedule");
        free(err);
        k1s_cron_free(c);
        /* The create rule: kube lets an update keep a TZ prefix the old
         * object already had, which this signature cannot see. */
        if (strstr(sched, "TZ"))
            k1s_ferr_invalid_str(
                fe, k1s__fp(fp, "%s.schedule", spec_path), sched,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
    }
    if (json_is_string(tzv))
        validate_tz(json_string_value(tzv), k1s__fp(fp, "%s.timeZone", spec_path), fe);
}
