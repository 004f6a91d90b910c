/*
 * cron.c - the cron syntax CronJobs accept (robfig/cron v3's standard
 * parser, whose error texts kube returns verbatim) and the next
 * activation, stepping through civil time the way that library does so
 * that DST gaps and overlaps fire when kube's controller would fire.
 */
#include "k1s_cron.h"
#include "k1s_time.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STAR_BIT (UINT64_C(1) << 63)

struct k1s_cron {
    uint64_t minute, hour, dom, month, dow;
    int64_t every; /* > 0: "@every", seconds between runs */
    k1s_tz *owned; /* a zone named in the spec */
    const k1s_tz *tz;
};

typedef struct {
    int min, max;
    const char *const *names; /* names[i] is value i + name_base */
    int name_base, name_count;
} bounds;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const bounds b_minute = {0, 59, NULL, 0, 0}, b_hour = {0, 23, NULL, 0, 0},
                    b_dom = {1, 31, NULL, 0, 0}, b_month = {1, 12, month_names, 1, 12},
                    b_dow = {0, 6, dow_names, 0, 7};

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, f);
        vsnprintf(s, (size_t)n + 1, f, ap);
        va_end(ap);
    }
    return s;
}

/* Go's strconv.Atoi on s[0..n), then the parser's non-negative rule. */
static int parse_int(const char *s, size_t n, int *out, char **err)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '+' || s[0] == '-'))
        neg = s[i++] == '-';
    long long v = 0;
    bool range = false;
    if (i == n)
        goto syntax;
    for (; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            goto syntax;
        if (v > (INT64_MAX - 9) / 10)
            range = true;
        else
            v = v * 10 + (s[i] - '0');
    }
    if (range) {
        *err =
            fmt("failed to parse int from %.*s: strconv.Atoi: parsing \"%.*s\": value out of range",
                (int)n, s, (int)n, s);
        return -1;
    }
    if (neg)
        v = -v;
    if (v < 0) {
        *err = fmt("negative number (%lld) not allowed: %.*s", v, (int)n, s);
        return -1;
    }
    /* Bounds checks follow; clamp so they report rather than overflow. */
    *out = v > 1000000000 ? 1000000000 : (int)v;
    return 0;
syntax:
    *err = fmt("failed to parse int from %.*s: strconv.Atoi: parsing \"%.*s\": invalid syntax",
               (int)n, s, (int)n, s);
    return -1;
}

static int parse_int_or_name(const char *s, size_t n, const bounds *b, int *out, char **err)
{
    for (int i = 0; b->names && i < b->name_count; i++)
        if (n == strlen(b->names[i]) && !strncasecmp(s, b->names[i], n)) {
            *out = i + b->name_base;
            return 0;
        }
    return parse_int(s, n, out, err);
}

static uint64_t bits(int lo, int hi, int step)
{
    uint64_t r = 0;
    for (int i = lo; i <= hi; i += step)
        r |= UINT64_C(1) << i;
    return r;
}

/* One element of a list: "*", "?", "a", "a-b", any of them "/step". */
static int parse_range(const char *e, size_t n, const bounds *b, uint64_t *acc, char **err)
{
    const char *slash = memchr(e, '/', n);
    size_t rn = slash ? (size_t)(slash - e) : n;
    if (slash && memchr(slash + 1, '/', n - rn - 1)) {
        *err = fmt("too many slashes: %.*s", (int)n, e);
        return -1;
    }
    const char *dash = memchr(e, '-', rn);
    int start, end, step = 1;
    uint64_t extra = 0;
    if ((rn == 1 && (e[0] == '*' || e[0] == '?'))) {
        start = b->min;
        end = b->max;
        extra = STAR_BIT;
    } else {
        size_t ln = dash ? (size_t)(dash - e) : rn;
        if (parse_int_or_name(e, ln, b, &start, err))
            return -1;
        if (!dash) {
            end = start;
        } else {
            const char *h = dash + 1;
            size_t hn = rn - ln - 1;
            if (memchr(h, '-', hn)) {
                *err = fmt("too many hyphens: %.*s", (int)rn, e);
                return -1;
            }
            if (parse_int_or_name(h, hn, b, &end, err))
                return -1;
        }
    }
    if (slash) {
        if (parse_int(slash + 1, n - rn - 1, &step, err))
            return -1;
        if (!dash && !extra)
            end = b->max; /* "N/step" means N through the maximum */
        if (step > 1)
            extra = 0;
    }
    if (start < b->min) {
        *err = fmt("beginning of range (%d) below minimum (%d): %.*s", start, b->min, (int)n, e);
        return -1;
    }
    if (end > b->max) {
        *err = fmt("end of range (%d) above maximum (%d): %.*s", end, b->max, (int)n, e);
        return -1;
    }
    if (start > end) {
        *err = fmt("beginning of range (%d) beyond end of range (%d): %.*s", start, end, (int)n, e);
        return -1;
    }
    if (step == 0) {
        *err = fmt("step of range should be a positive number: %.*s", (int)n, e);
        return -1;
    }
    *acc |= bits(start, end, step) | extra;
    return 0;
}

static int parse_field(const char *f, size_t n, const bounds *b, uint64_t *out, char **err)
{
    *out = 0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && f[j] != ',')
            j++;
        if (j > i && parse_range(f + i, j - i, b, out, err))
            return -1;
        i = j + 1;
    }
    return 0;
}

/* Go's time.ParseDuration, to whole seconds (robfig rounds down, min 1s). */
static int parse_duration(const char *s, int64_t *out, char **err)
{
    const char *orig = s;
    double total = 0;
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!strcmp(s, "0")) {
        *out = 0;
        return 0;
    }
    if (!*s)
        goto bad;
    while (*s) {
        if (!isdigit((unsigned char)*s) && *s != '.')
            goto bad;
        char *endp;
        errno = 0;
        double v = strtod(s, &endp);
        if (endp == s || errno)
            goto bad;
        s = endp;
        static const struct {
            const char *u;
            double ns;
        } units[] = {{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
                     {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t l = strlen(units[i].u);
            if (!strncmp(s, units[i].u, l) && l > best)
                best = l, bi = i;
        }
        if (!best) {
            size_t l = 0;
            while (s[l] && !isdigit((unsigned char)s[l]) && s[l] != '.')
                l++;
            if (!l)
                *err = fmt("failed to parse duration %s: time: missing unit in duration \"%s\"",
                           orig, orig);
            else
                *err = fmt("failed to parse duration %s: time: unknown unit \"%.*s\" in duration "
                           "\"%s\"",
                           orig, (int)l, s, orig);
            return -1;
        }
        total += v * units[bi].ns;
        s += best;
    }
    if (total > 9.2233720368547758e18)
        goto bad;
    if (neg)
        total = -total;
    *out = (int64_t)(total / 1e9);
    if (total < 1e9)
        *out = 1;
    return 0;
bad:
    *err = fmt("failed to parse duration %s: time: invalid duration \"%s\"", orig, orig);
    return -1;
}

static int parse_spec(const char *spec, k1s_cron *c, char **err)
{
    if (!*spec) {
        *err = fmt("empty spec string");
        return -1;
    }
    if (!strncmp(spec, "TZ=", 3) || !strncmp(spec, "CRON_TZ=", 8)) {
        const char *eq = strchr(spec, '='), *sp = strchr(spec, ' ');
        if (!sp || sp < eq) {
            /* robfig slices past the end here and panics; kube answers as
             * for an unknown zone, which is what is reported. */
            *err = fmt("provided bad location %s: unknown time zone %s", eq + 1, eq + 1);
            return -1;
        }
        char name[256];
        size_t n = (size_t)(sp - eq - 1);
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, eq + 1, n);
        name[n] = 0;
        char *e = NULL;
        if (k1s_tz_load(name, &c->owned, &e)) {
            *err = fmt("provided bad location %s: %s", name, e ? e : "");
            free(e);
            return -1;
        }
        c->tz = c->owned;
        spec = sp;
        while (isspace((unsigned char)*spec))
            spec++;
    }
    static const struct {
        const char *name, *expand;
    } macros[] = {{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
                  {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
                  {"@hourly", "0 * * * *"}};
    if (spec[0] == '@') {
        size_t n = strlen(spec);
        while (n && isspace((unsigned char)spec[n - 1]))
            n--;
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
            if (n == strlen(macros[i].name) && !strncmp(spec, macros[i].name, n))
                return parse_spec(macros[i].expand, c, err);
        if (!strncmp(spec, "@every ", 7)) {
            char *d = fmt("%.*s", (int)(n - 7), spec + 7);
            if (!d) {
                *err = fmt("out of memory");
                return -1;
            }
            int rc = parse_duration(d, &c->every, err);
            free(d);
            if (rc == 0 && c->every <= 0)
                c->every = 1;
            return rc;
        }
        *err = fmt("unrecognized descriptor: %s", spec);
        return -1;
    }
    const char *f[6];
    size_t fl[6], count = 0;
    char listed[1024];
    size_t ll = 0;
    for (const char *p = spec; *p;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && !isspace((unsigned char)*q))
            q++;
        if (count < 6) {
            f[count] = p;
            fl[count] = (size_t)(q - p);
        }
        if (ll < sizeof listed)
            ll += (size_t)snprintf(listed + ll, sizeof listed - ll, "%s%.*s", count ? " " : "",
                                   (int)(q - p), p);
        count++;
        p = q;
    }
    if (ll >= sizeof listed)
        ll = sizeof listed - 1;
    listed[ll] = 0;
    if (count != 5) {
        *err = fmt("expected exactly 5 fields, found %zu: [%s]", count, listed);
        return -1;
    }
    if (parse_field(f[0], fl[0], &b_minute, &c->minute, err) ||
        parse_field(f[1], fl[1], &b_hour, &c->hour, err) ||
        parse_field(f[2], fl[2], &b_dom, &c->dom, err) ||
        parse_field(f[3], fl[3], &b_month, &c->month, err) ||
        parse_field(f[4], fl[4], &b_dow, &c->dow, err))
        return -1;
    return 0;
}

int k1s_cron_parse(const char *spec, const k1s_tz *default_tz, k1s_cron **out, char **err)
{
    *out = NULL;
    *err = NULL;
    k1s_cron *c = calloc(1, sizeof *c);
    if (!c) {
        *err = fmt("out of memory");
        return -1;
    }
    c->tz = default_tz;
    if (parse_spec(spec, c, err)) {
        if (!*err)
            *err = fmt("out of memory");
        k1s_cron_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void k1s_cron_free(k1s_cron *c)
{
    if (!c)
        return;
    k1s_tz_free(c->owned);
    free(c);
}

const k1s_tz *k1s_cron_tz(const k1s_cron *c)
{
    return c->tz;
}

/* ---- civil time ---------------------------------------------------------- */

typedef struct {
    int64_t year;
    int month, day, hour, min, sec, wday;
} civil;

static civil to_civil(const k1s_tz *tz, int64_t t)
{
    int64_t s, e;
    int64_t l = t + k1s__tz_lookup(tz, t, &s, &e);
    int64_t z = (l >= 0 ? l : l - 86399) / 86400, sod = l - z * 86400;
    civil c;
    c.wday = (int)(((z % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    c.hour = (int)(sod / 3600);
    c.min = (int)(sod / 60 % 60);
    c.sec = (int)(sod % 60);
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    c.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c.year = yoe + era * 400 + (c.month <= 2);
    return c;
}

/* A local date and time to an instant, normalising overflowing fields and
 * resolving gaps and overlaps with the same guess Go's time.Date makes. */
static int64_t from_civil(const k1s_tz *tz, int64_t y, int mon, int d, int h, int mi, int s)
{
    int64_t m0 = mon - 1;
    y += (m0 >= 0 ? m0 : m0 - 11) / 12;
    m0 -= ((m0 >= 0 ? m0 : m0 - 11) / 12) * 12;
    int64_t local = (k1s_days_from_civil(y, (int)m0 + 1, 1) + d - 1) * 86400 + (int64_t)h * 3600 +
                    (int64_t)mi * 60 + s;
    int64_t st, en;
    int off = k1s__tz_lookup(tz, local, &st, &en);
    if (off) {
        int64_t utc = local - off;
        if (utc < st || utc >= en)
            off = k1s__tz_lookup(tz, utc, &st, &en);
        local -= off;
    }
    return local;
}

static bool day_matches(const k1s_cron *c, const civil *t)
{
    bool dom = c->dom & (UINT64_C(1) << t->day), dow = c->dow & (UINT64_C(1) << t->wday);
    if ((c->dom & STAR_BIT) || (c->dow & STAR_BIT))
        return dom && dow;
    return dom || dow;
}

int64_t k1s_cron_next(const k1s_cron *c, int64_t t)
{
    if (c->every > 0)
        return t + c->every;
    const k1s_tz *tz = c->tz;
    t += 1;
    bool added = false;
    civil v = to_civil(tz, t);
    int64_t year_limit = v.year + 5;
wrap:
    v = to_civil(tz, t);
    if (v.year > year_limit)
        return 0;
    while (!(c->month & (UINT64_C(1) << v.month))) {
        if (!added) {
            added = true;
            t = from_civil(tz, v.year, v.month, 1, 0, 0, 0);
            v = to_civil(tz, t);
        }
        t = from_civil(tz, v.year, v.month + 1, v.day, v.hour, v.min, v.sec);
        v = to_civil(tz, t);
        if (v.month == 1)
            goto wrap;
    }
    while (!day_matches(c, &v)) {
        if (!added) {
            added = true;
            t = from_civil(tz, v.year, v.month, v.day, 0, 0, 0);
            v = to_civil(tz, t);
        }
        t = from_civil(tz, v.year, v.month, v.day + 1, v.hour, v.min, v.sec);
        v = to_civil(tz, t);
        if (v.hour != 0) {
            /* Midnight moved by a DST change: get back onto it. */
            t += v.hour > 12 ? (int64_t)(24 - v.hour) * 3600 : -(int64_t)v.hour * 3600;
            v = to_civil(tz, t);
        }
        if (v.day == 1)
            goto wrap;
    }
    while (!(c->hour & (UINT64_C(1) << v.hour))) {
        if (!added) {
            added = true;
            t = from_civil(tz, v.year, v.month, v.day, v.hour, 0, 0);
        }
        t += 3600;
        v = to_civil(tz, t);
        if (v.hour == 0)
            goto wrap;
    }
    while (!(c->minute & (UINT64_C(1) << v.min))) {
        if (!added) {
            added = true;
            t -= ((t % 60) + 60) % 60;
        }
        t += 60;
        v = to_civil(tz, t);
        if (v.min == 0)
            goto wrap;
    }
    /* Seconds: the standard syntax fires at second 0 only. */
    while (v.sec != 0) {
        if (!added) {
            added = true;
        }
        t += 1;
        v = to_civil(tz, t);
        if (v.sec == 0)
            goto wrap;
    }
    return t;
}
