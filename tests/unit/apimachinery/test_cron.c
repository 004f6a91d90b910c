/*
 * test_cron.c - the cron parser and next-activation maths of k1s_cron.h:
 * syntax, macros, time zones with DST, and kube's error texts.
 */
#define _DEFAULT_SOURCE
#include "k1s_test.h"
#include "k1s_cron.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm);
}

/* The next activation of spec after t in zone (NULL: UTC), -1 on error. */
static int64_t next_in(const char *spec, const char *zone, int64_t t)
{
    k1s_tz *tz = NULL;
    char *err = NULL;
    if (zone && k1s_tz_load(zone, &tz, &err)) {
        free(err);
        return -1;
    }
    k1s_cron *c = NULL;
    int64_t r = -1;
    if (k1s_cron_parse(spec, tz, &c, &err) == 0)
        r = k1s_cron_next(c, t);
    free(err);
    k1s_cron_free(c);
    k1s_tz_free(tz);
    return r;
}

static void check_err(const char *spec, const char *want)
{
    k1s_cron *c = NULL;
    char *err = NULL;
    CHECK_INT(k1s_cron_parse(spec, NULL, &c, &err), -1);
    CHECK(c == NULL);
    CHECK_STR(err, want);
    free(err);
}

TEST(test_fields)
{
    int64_t t = utc(2026, 12, 7, 10, 7); /* a Monday */
    CHECK_INT(next_in("* * * * *", NULL, t), utc(2026, 12, 7, 10, 8));
    CHECK_INT(next_in("*/15 * * * *", NULL, t), utc(2026, 12, 7, 10, 15));
    CHECK_INT(next_in("5/20 * * * *", NULL, t), utc(2026, 12, 7, 10, 25));
    CHECK_INT(next_in("0,30 9-17 * * *", NULL, t), utc(2026, 12, 7, 10, 30));
    CHECK_INT(next_in("0 9 * * MON-FRI", NULL, utc(2026, 12, 5, 12, 0)), utc(2026, 12, 7, 9, 0));
    CHECK_INT(next_in("0 0 1 jan ?", NULL, t), utc(2027, 1, 1, 0, 0));
    CHECK_INT(next_in("0 0 29 2 *", NULL, t), utc(2028, 2, 29, 0, 0));
    /* day of month and day of week both restricted: either matches */
    CHECK_INT(next_in("0 0 13 * FRI", NULL, t), utc(2026, 12, 11, 0, 0));
    /* never: February 30th */
    CHECK_INT(next_in("0 0 30 2 *", NULL, t), 0);
    /* strictly after */
    CHECK_INT(next_in("7 10 * * *", NULL, t), utc(2026, 12, 8, 10, 7));
}

TEST(test_macros)
{
    int64_t t = utc(2026, 12, 7, 10, 7);
    CHECK_INT(next_in("@yearly", NULL, t), utc(2027, 1, 1, 0, 0));
    CHECK_INT(next_in("@annually", NULL, t), utc(2027, 1, 1, 0, 0));
    CHECK_INT(next_in("@monthly", NULL, t), utc(2027, 1, 1, 0, 0));
    CHECK_INT(next_in("@weekly", NULL, t), utc(2026, 12, 13, 0, 0));
    CHECK_INT(next_in("@daily", NULL, t), utc(2026, 12, 8, 0, 0));
    CHECK_INT(next_in("@midnight", NULL, t), utc(2026, 12, 8, 0, 0));
    CHECK_INT(next_in("@hourly", NULL, t), utc(2026, 12, 7, 11, 0));
    CHECK_INT(next_in("@every 90s", NULL, t), t + 90);
    CHECK_INT(next_in("@every 1h30m", NULL, t), t + 5400);
    CHECK_INT(next_in("@every 10ms", NULL, t), t + 1);
}

TEST(test_zones)
{
    /* 09:00 in New York is 14:00 UTC in winter, 13:00 in summer */
    CHECK_INT(next_in("0 9 * * *", "America/New_York", utc(2026, 12, 7, 15, 0)),
              utc(2026, 12, 8, 14, 0));
    CHECK_INT(next_in("CRON_TZ=America/New_York 0 9 * * *", NULL, utc(2026, 7, 1, 0, 0)),
              utc(2026, 7, 1, 13, 0));
    CHECK_INT(next_in("TZ=UTC 0 9 * * *", "America/New_York", utc(2026, 7, 1, 0, 0)),
              utc(2026, 7, 1, 9, 0));
    /* spring forward (2026-03-08 02:00 EST -> 03:00 EDT): 02:30 does not
     * exist that day and is skipped, as robfig/cron skips it */
    CHECK_INT(next_in("30 2 * * *", "America/New_York", utc(2026, 3, 7, 8, 0)),
              utc(2026, 3, 9, 6, 30));
    /* the hour after the gap still fires */
    CHECK_INT(next_in("30 3 * * *", "America/New_York", utc(2026, 3, 8, 5, 0)),
              utc(2026, 3, 8, 7, 30));
    /* fall back (2026-11-01 02:00 EDT -> 01:00 EST): 01:30 happens twice,
     * and fires twice */
    CHECK_INT(next_in("30 1 * * *", "America/New_York", utc(2026, 11, 1, 4, 0)),
              utc(2026, 11, 1, 5, 30));
    CHECK_INT(next_in("30 1 * * *", "America/New_York", utc(2026, 11, 1, 5, 30)),
              utc(2026, 11, 1, 6, 30));
    CHECK_INT(next_in("0 0 * * *", "America/New_York", utc(2026, 11, 1, 6, 30)),
              utc(2026, 11, 2, 5, 0));
    k1s_tz *tz = NULL;
    char *err = NULL;
    CHECK_INT(k1s_tz_load("Mars/Olympus", &tz, &err), -1);
    CHECK_STR(err, "unknown time zone Mars/Olympus");
    free(err);
    CHECK_INT(k1s_tz_load("Europe/Berlin", &tz, &err), 0);
    CHECK_INT(k1s_tz_offset(tz, utc(2026, 7, 1, 0, 0)), 7200);
    CHECK_INT(k1s_tz_offset(tz, utc(2026, 1, 1, 0, 0)), 3600);
    k1s_tz_free(tz);
}

TEST(test_errors)
{
    check_err("", "empty spec string");
    check_err("x", "expected exactly 5 fields, found 1: [x]");
    check_err("* * * *", "expected exactly 5 fields, found 4: [* * * *]");
    check_err("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]");
    check_err("60 * * * *", "end of range (60) above maximum (59): 60");
    check_err("* 24 * * *", "end of range (24) above maximum (23): 24");
    check_err("* * 0 * *", "beginning of range (0) below minimum (1): 0");
    check_err("* * * 13 *", "end of range (13) above maximum (12): 13");
    check_err("* * * * 7", "end of range (7) above maximum (6): 7");
    check_err("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1");
    check_err("*/0 * * * *", "step of range should be a positive number: */0");
    check_err("1-2-3 * * * *", "too many hyphens: 1-2-3");
    check_err("*/2/3 * * * *", "too many slashes: */2/3");
    check_err("a * * * *",
              "failed to parse int from a: strconv.Atoi: parsing \"a\": invalid syntax");
    check_err("-1 * * * *",
              "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax");
    check_err("* * * FOO *",
              "failed to parse int from FOO: strconv.Atoi: parsing \"FOO\": invalid syntax");
    check_err("@fortnightly", "unrecognized descriptor: @fortnightly");
    check_err("@every x", "failed to parse duration x: time: invalid duration \"x\"");
    check_err("TZ=Nowhere/Land * * * * *",
              "provided bad location Nowhere/Land: unknown time zone Nowhere/Land");
}

K1S_TEST_MAIN(T(test_fields), T(test_macros), T(test_zones), T(test_errors))
