/*
 * cron_tz.c - IANA zones from TZif files, read per zone rather than
 * through TZ/tzset, which is process-global.
 */
#include "k1s_cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct k1s_tz {
    size_t n;      /* transitions */
    int64_t *at;   /* n instants, ascending */
    int *off;      /* offset in force from at[i] */
    int first_off; /* before at[0], or always when n == 0 */
};

static char *errf(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s", a, b);
    return s;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parse the TZif body at buf (n bytes); 64-bit data when v2+. */
static int parse_tzif(const unsigned char *buf, size_t n, k1s_tz *tz)
{
    if (n < 44 || memcmp(buf, "TZif", 4) != 0)
        return -1;
    int wide = buf[4] >= '2';
    const unsigned char *h = buf;
    size_t tsz = 4;
    uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28), timecnt = be32(h + 32),
             typecnt = be32(h + 36), charcnt = be32(h + 40);
    if (wide) {
        size_t v1 = 44 + (size_t)timecnt * 5 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 8 +
                    isstd + isut;
        if (v1 + 44 > n || memcmp(buf + v1, "TZif", 4) != 0)
            return -1;
        h = buf + v1;
        tsz = 8;
        isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28), timecnt = be32(h + 32),
        typecnt = be32(h + 36), charcnt = be32(h + 40);
    }
    size_t need = (size_t)timecnt * (tsz + 1) + (size_t)typecnt * 6;
    if (typecnt == 0 || (size_t)(h + 44 - buf) + need > n)
        return -1;
    const unsigned char *tt = h + 44, *ti = tt + (size_t)timecnt * tsz, *ty = ti + timecnt;
    tz->at = malloc((timecnt ? timecnt : 1) * sizeof *tz->at);
    tz->off = malloc((timecnt ? timecnt : 1) * sizeof *tz->off);
    if (!tz->at || !tz->off)
        return -1;
    tz->n = timecnt;
    for (uint32_t i = 0; i < timecnt; i++) {
        tz->at[i] = tsz == 8 ? be64(tt + 8 * i) : (int64_t)(int32_t)be32(tt + 4 * i);
        uint8_t k = ti[i];
        if (k >= typecnt)
            return -1;
        tz->off[i] = (int32_t)be32(ty + 6 * k);
    }
    /* Before the first transition: the first standard-time type, as Go. */
    tz->first_off = (int32_t)be32(ty);
    for (uint32_t k = 0; k < typecnt; k++)
        if (!ty[6 * k + 4]) {
            tz->first_off = (int32_t)be32(ty + 6 * k);
            break;
        }
    return 0;
}

int k1s_tz_load(const char *name, k1s_tz **out, char **err)
{
    *out = NULL;
    k1s_tz *tz = calloc(1, sizeof *tz);
    if (!tz) {
        *err = errf("out of memory", "");
        return -1;
    }
    if (!*name || !strcmp(name, "UTC") || !strcmp(name, "Local")) {
        *out = tz;
        return 0;
    }
    if (name[0] == '/' || name[0] == '\\' || strstr(name, "..")) {
        free(tz);
        *err = errf("time: invalid location name", "");
        return -1;
    }
    char path[512];
    int rc = -1;
    if (snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name) < (int)sizeof path) {
        FILE *f = fopen(path, "rb");
        if (f) {
            unsigned char *buf = malloc(1 << 20);
            size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
            fclose(f);
            if (buf && n > 0 && n < (1 << 20))
                rc = parse_tzif(buf, n, tz);
            free(buf);
        }
    }
    if (rc != 0) {
        k1s_tz_free(tz);
        *err = errf("unknown time zone ", name);
        return -1;
    }
    *out = tz;
    return 0;
}

void k1s_tz_free(k1s_tz *tz)
{
    if (!tz)
        return;
    free(tz->at);
    free(tz->off);
    free(tz);
}

/* The offset at t and the span [*start, *end) it holds for. */
int k1s__tz_lookup(const k1s_tz *tz, int64_t t, int64_t *start, int64_t *end)
{
    *start = INT64_MIN;
    *end = INT64_MAX;
    if (!tz || tz->n == 0 || t < tz->at[0]) {
        if (tz && tz->n)
            *end = tz->at[0];
        return tz ? tz->first_off : 0;
    }
    size_t lo = 0, hi = tz->n; /* at[lo] <= t < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    *start = tz->at[lo];
    if (hi < tz->n)
        *end = tz->at[hi];
    return tz->off[lo];
}

int k1s_tz_offset(const k1s_tz *tz, int64_t t)
{
    int64_t s, e;
    return k1s__tz_lookup(tz, t, &s, &e);
}
