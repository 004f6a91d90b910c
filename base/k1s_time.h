/*
 * k1s_time.h - time as the API writes it (RFC 3339, metav1.Time) and the
 * clocks k1s reads.
 */
#ifndef K1S_TIME_H
#define K1S_TIME_H

#include <stddef.h>
#include <stdint.h>

/* "2006-01-02T15:04:05Z" and its NUL. */
#define K1S_TIME_LEN 21

typedef struct k1s_time {
    int64_t sec;    /* Unix seconds (UTC) */
    int32_t nsec;   /* 0..999999999 */
    int32_t offset; /* the zone it was written in, seconds east of UTC */
} k1s_time;

/* Parse n bytes of s as Go's time.Parse(time.RFC3339Nano, ...) does:
 * "YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)", every field in range
 * (the day within its month, seconds up to 59), fractions beyond
 * nanoseconds dropped. 0, or K1S_EINVAL with *t untouched. */
int k1s_time_parse(const char *s, size_t n, k1s_time *t);
/* The same for a C string; NULL is K1S_EINVAL too. */
int k1s_time_parse_str(const char *s, k1s_time *t);
/* sec as metav1.Time writes it (UTC, whole seconds) into buf (at least
 * K1S_TIME_LEN bytes). */
void k1s_time_format(int64_t sec, char *buf, size_t len);
/* The same for now. */
void k1s_time_format_now(char *buf, size_t len);

/* Clocks, in Unix seconds and in milliseconds; monotonic for intervals. */
int64_t k1s_time_now(void);
/* Days from 1970-01-01 to y-m-d (m 1-12) in the proleptic Gregorian
 * calendar; negative before. */
int64_t k1s_days_from_civil(int64_t y, int m, int d);
int64_t k1s_time_wall_ms(void);
int64_t k1s_time_mono_ms(void);

#endif
