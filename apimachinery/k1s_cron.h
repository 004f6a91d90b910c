/*
 * k1s_cron.h - cron schedules as a CronJob's spec.schedule accepts them
 * (the 5-field standard syntax, @-macros, @every, a TZ=/CRON_TZ= prefix),
 * the next activation in an IANA zone read from the system's TZif files,
 * and the parser's error texts as kube-apiserver reports them.
 *
 * Times are Unix seconds. Values are immutable once made: share freely
 * between threads.
 */
#ifndef K1S_CRON_H
#define K1S_CRON_H

#include <stdint.h>

typedef struct k1s_tz k1s_tz;
typedef struct k1s_cron k1s_cron;

/* Load the zone name ("" and "UTC": UTC) from /usr/share/zoneinfo.
 * 0, or -1 with *err (malloc'd) "unknown time zone <name>". */
int k1s_tz_load(const char *name, k1s_tz **out, char **err);
void k1s_tz_free(k1s_tz *tz);
/* Offset east of UTC in seconds at instant t. */
int k1s_tz_offset(const k1s_tz *tz, int64_t t);

/* The offset at t and the span [*start, *end) it holds for (tz NULL:
 * UTC); for cron.c's civil-time arithmetic. */
int k1s__tz_lookup(const k1s_tz *tz, int64_t t, int64_t *start, int64_t *end);

/* Parse spec; default_tz (borrowed, NULL: UTC) applies unless the spec
 * names its own zone. 0, or -1 with *err (malloc'd) as kube reports it. */
int k1s_cron_parse(const char *spec, const k1s_tz *default_tz, k1s_cron **out, char **err);
void k1s_cron_free(k1s_cron *c);
/* The first activation strictly after t; 0 when there is none within
 * five years (e.g. "0 0 30 2 *"). */
int64_t k1s_cron_next(const k1s_cron *c, int64_t t);
/* The zone the schedule is computed in (borrowed from c). */
const k1s_tz *k1s_cron_tz(const k1s_cron *c);

#endif
