/*
 * cronjob_sched.c - when a CronJob should have run: the most recent
 * missed activation (kube's mostRecentScheduleTime), how long to sleep
 * until the next one (nextScheduleTimeDuration), and the time texts the
 * controller writes (RFC 3339 in the CronJob's zone, RFC 1123Z, Go's %q).
 */
#include "cronjob_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t k1s__cj_next_after_ms(const k1s_cron *sched, int64_t ms)
{
    /* activations fall on whole seconds: the first one after the second
     * holding ms is also the first one after ms itself */
    return k1s_cron_next(sched, floor_div(ms, 1000));
}

static int64_t time_ms(const char *s)
{
    k1s_time t;
    if (!s || k1s_time_parse_str(s, &t) != 0)
        return INT64_MIN;
    return t.sec * 1000 + t.nsec / 1000000;
}

k1s__cj_recent k1s__cj_most_recent(const json_t *cj, int64_t now_ms, const k1s_cron *sched,
                                   bool with_deadline)
{
    k1s__cj_recent r = {.missed = K1S_CJ_NONE_MISSED};
    int64_t earliest = time_ms(k1s_json_str(cj, "status.lastScheduleTime"));
    if (earliest == INT64_MIN)
        earliest = time_ms(k1s_json_str(cj, "metadata.creationTimestamp"));
    if (earliest == INT64_MIN)
        earliest = 0; /* Go's zero time is far older; either way "long ago" */
    const json_t *dl = json_object_get(json_object_get(cj, "spec"), "startingDeadlineSeconds");
    if (with_deadline && json_is_integer(dl)) {
        /* nothing older than the deadline is ever started */
        int64_t floor_ms = now_ms - (int64_t)json_integer_value(dl) * 1000;
        if (floor_ms > earliest)
            earliest = floor_ms;
    }
    r.earliest_ms = earliest;

    int64_t t1 = k1s__cj_next_after_ms(sched, earliest);
    if (t1 == 0 || now_ms < t1 * 1000)
        return r;
    int64_t t2 = k1s_cron_next(sched, t1);
    if (t2 == 0 || now_ms < t2 * 1000) {
        r.most_recent = t1;
        return r;
    }
    int64_t interval = t2 - t1;
    if (interval < 1) {
        r.invalid = true;
        return r;
    }
    /* Counting every activation since a wedged controller (or a skewed
     * clock) stopped could take unbounded time: estimate the count from
     * the first interval, jump close to now and walk the last few, as kube
     * does. */
    int64_t elapsed = (now_ms - t1 * 1000) / 1000;
    int64_t missed = elapsed / interval + 1;
    int64_t t = t1 + (missed - 2) * interval;
    int64_t most = 0;
    for (t = k1s_cron_next(sched, t); t != 0 && t * 1000 <= now_ms; t = k1s_cron_next(sched, t))
        most = t;
    r.missed = missed > K1S_CJ_MANY_MISSED ? K1S_CJ_MANY_MISSED_TIMES : K1S_CJ_FEW_MISSED;
    r.most_recent = most;
    return r;
}

int64_t k1s__cj_next_delay(const json_t *cj, int64_t now_ms, const k1s_cron *sched)
{
    k1s__cj_recent r = k1s__cj_most_recent(cj, now_ms, sched, false);
    int64_t base_ms;
    if (r.invalid)
        base_ms = now_ms; /* still wake up some time: the next slot after now */
    else if (r.most_recent)
        base_ms = r.most_recent * 1000;
    else if (r.missed == K1S_CJ_NONE_MISSED)
        base_ms = r.earliest_ms;
    else
        base_ms = now_ms;
    int64_t next = k1s__cj_next_after_ms(sched, base_ms);
    if (next == 0)
        return 0;
    int64_t d = next * 1000 + K1S_CJ_NEXT_DELTA_MS - now_ms;
    return d > 0 ? d : 1;
}

/* ---- texts ---------------------------------------------------------------------- */

static void civil(int64_t t, struct tm *tm)
{
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, tm))
        memset(tm, 0, sizeof *tm);
}

void k1s__cj_format_rfc3339(int64_t t, const k1s_tz *tz, char *buf, size_t len)
{
    assert(buf && len >= 26);
    int off = tz ? k1s_tz_offset(tz, t) : 0;
    struct tm tm;
    civil(t + off, &tm);
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n < 0 || (size_t)n >= len)
        return;
    if (off == 0) {
        snprintf(buf + n, len - (size_t)n, "Z");
        return;
    }
    int a = off < 0 ? -off : off;
    /* Go writes whole minutes; a zone with seconds in its offset (LMT)
     * loses them, as in Go */
    snprintf(buf + n, len - (size_t)n, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, (a / 60) % 60);
}

void k1s__cj_format_rfc1123z(int64_t t, char *buf, size_t len)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    civil(t, &tm);
    /* names written out rather than strftime'd: locale must not matter */
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void k1s__cj_quote(const char *s, char *buf, size_t len)
{
    assert(buf && len >= 3);
    size_t o = 0;
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\')
            snprintf(esc, sizeof esc, "\\%c", *p);
        else if (*p == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (*p == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else if (*p < 0x20 || *p == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        else
            snprintf(esc, sizeof esc, "%c", *p);
        size_t n = strlen(esc);
        if (o + n + 2 > len)
            break; /* truncated, still closed */
        memcpy(buf + o, esc, n);
        o += n;
    }
    buf[o++] = '"';
    buf[o] = 0;
}
