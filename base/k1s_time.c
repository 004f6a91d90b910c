/*
 * k1s_time.c - RFC 3339 times and clocks. The calendar arithmetic is done
 * here rather than with timegm(), which depends on the C library's range
 * and takes fields out of range without a word.
 */
#include "k1s_time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "k1s_err.h"

int64_t k1s_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* n digits at s in [lo, hi] into *out. */
static bool field(const char *s, int n, int lo, int hi, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return v >= lo && v <= hi;
}

int k1s_time_parse(const char *s, size_t n, k1s_time *t)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int Y, M, D, h, m, sec;
    if (!s || n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return K1S_EINVAL;
    if (!field(s, 4, 0, 9999, &Y) || !field(s + 5, 2, 1, 12, &M) || !field(s + 8, 2, 1, 31, &D) ||
        !field(s + 11, 2, 0, 23, &h) || !field(s + 14, 2, 0, 59, &m) ||
        !field(s + 17, 2, 0, 59, &sec))
        return K1S_EINVAL;
    if (D > mdays[M - 1] + (M == 2 && leap(Y)))
        return K1S_EINVAL;
    size_t i = 19;
    int32_t nsec = 0;
    if (i < n && s[i] == '.') {
        int k = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++)
            if (k < 9)
                nsec = nsec * 10 + (s[i] - '0');
        if (k == 0)
            return K1S_EINVAL;
        for (; k < 9; k++)
            nsec *= 10;
    }
    int offset = 0;
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i + 6 <= n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!field(s + i + 1, 2, 0, 23, &oh) || !field(s + i + 4, 2, 0, 59, &om))
            return K1S_EINVAL;
        offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return K1S_EINVAL;
    }
    if (i != n)
        return K1S_EINVAL;
    t->sec = k1s_days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - offset;
    t->nsec = nsec;
    t->offset = offset;
    return 0;
}

int k1s_time_parse_str(const char *s, k1s_time *t)
{
    return s ? k1s_time_parse(s, strlen(s), t) : K1S_EINVAL;
}

void k1s_time_format(int64_t sec, char *buf, size_t len)
{
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "%s", "1970-01-01T00:00:00Z");
}

void k1s_time_format_now(char *buf, size_t len)
{
    k1s_time_format(k1s_time_now(), buf, len);
}

int64_t k1s_time_now(void)
{
    return (int64_t)time(NULL);
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t k1s_time_wall_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

int64_t k1s_time_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}
