/*
 * table_time.c - timestamps and ages for table cells: metav1.Time /
 * MicroTime strings read with base's RFC 3339 parser, Go's zero time for
 * anything else, and the human duration kubectl shows in AGE-like columns
 * (apimachinery's duration.HumanDuration rules).
 *
 * Durations are kept in nanoseconds like Go's time.Duration, saturating at
 * its range as time.Sub does, so truncation matches kube exactly.
 */
#include "tables_int.h"
#include "k1s_tables.h"
#include "k1s_time.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL
/* Unix seconds of Go's zero time, 0001-01-01T00:00:00Z. */
#define GO_ZERO_SEC (-62135596800LL)
/* Largest whole number of seconds a Go time.Duration holds. */
#define MAX_DURATION_SEC (LLONG_MAX / NS_PER_SEC)

static const k1s__tb_time zero_time = {GO_ZERO_SEC, 0, true};

k1s__tb_time k1s__tb_parse_time(const char *s)
{
    k1s_time t;
    if (k1s_time_parse_str(s, &t) != 0)
        return zero_time;
    return (k1s__tb_time){t.sec, t.nsec, t.sec == GO_ZERO_SEC && t.nsec == 0};
}

k1s__tb_time k1s__tb_time_at(const json_t *obj, const char *path)
{
    return k1s__tb_parse_time(k1s_json_str(obj, path));
}

bool k1s__tb_time_before(k1s__tb_time a, k1s__tb_time b)
{
    return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec);
}

long long k1s__tb_time_sub_ns(k1s__tb_time b, k1s__tb_time a)
{
    long long dsec;
    if (__builtin_sub_overflow(b.sec, a.sec, &dsec))
        dsec = a.sec < 0 ? LLONG_MAX : LLONG_MIN;
    long long ns;
    if (__builtin_mul_overflow(dsec, NS_PER_SEC, &ns) ||
        __builtin_add_overflow(ns, (long long)(b.nsec - a.nsec), &ns))
        return dsec < 0 ? LLONG_MIN : LLONG_MAX;
    return ns;
}

void k1s__tb_human_duration_ns(char *buf, size_t len, long long ns)
{
    long long seconds = ns / NS_PER_SEC;

    if (!buf || len == 0)
        return;
    if (seconds < -1) {
        snprintf(buf, len, "<invalid>");
        return;
    }
    if (seconds < 0) {
        snprintf(buf, len, "0s");
        return;
    }
    if (seconds < 60 * 2) {
        snprintf(buf, len, "%llds", seconds);
        return;
    }
    long long minutes = seconds / 60;
    if (minutes < 10) {
        long long s = seconds % 60;
        if (s == 0)
            snprintf(buf, len, "%lldm", minutes);
        else
            snprintf(buf, len, "%lldm%llds", minutes, s);
        return;
    }
    if (minutes < 60 * 3) {
        snprintf(buf, len, "%lldm", minutes);
        return;
    }
    long long hours = minutes / 60;
    if (hours < 8) {
        long long m = minutes % 60;
        if (m == 0)
            snprintf(buf, len, "%lldh", hours);
        else
            snprintf(buf, len, "%lldh%lldm", hours, m);
    } else if (hours < 48) {
        snprintf(buf, len, "%lldh", hours);
    } else if (hours < 24 * 8) {
        long long h = hours % 24;
        if (h == 0)
            snprintf(buf, len, "%lldd", hours / 24);
        else
            snprintf(buf, len, "%lldd%lldh", hours / 24, h);
    } else if (hours < 24 * 365 * 2) {
        snprintf(buf, len, "%lldd", hours / 24);
    } else if (hours < 24 * 365 * 8) {
        long long dy = (hours / 24) % 365;
        if (dy == 0)
            snprintf(buf, len, "%lldy", hours / 24 / 365);
        else
            snprintf(buf, len, "%lldy%lldd", hours / 24 / 365, dy);
    } else {
        snprintf(buf, len, "%lldy", hours / 24 / 365);
    }
}

void k1s_table_duration(char *buf, size_t len, long long seconds)
{
    long long ns;
    if (seconds > MAX_DURATION_SEC)
        ns = LLONG_MAX;
    else if (seconds < -MAX_DURATION_SEC)
        ns = LLONG_MIN;
    else
        ns = seconds * NS_PER_SEC;
    k1s__tb_human_duration_ns(buf, len, ns);
}

void k1s__tb_since(char *buf, size_t len, k1s__tb_time t, time_t now)
{
    if (t.zero) {
        snprintf(buf, len, "<unknown>");
        return;
    }
    k1s__tb_time n = {(long long)now, 0, false};
    k1s__tb_human_duration_ns(buf, len, k1s__tb_time_sub_ns(n, t));
}

json_t *k1s__tb_jsince(k1s__tb_time t, time_t now)
{
    char buf[32];
    k1s__tb_since(buf, sizeof buf, t, now);
    return json_string(buf);
}
