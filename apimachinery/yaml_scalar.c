/*
 * yaml_scalar.c - what a plain YAML scalar means, by YAML 1.1's resolution
 * rules as kube-apiserver's YAML library applies them (k1s_yaml.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_int.h"

static bool one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

/* Copies s without '_' separators into buf; false when it does not fit. */
static bool strip_underscores(const char *s, char *buf, size_t cap)
{
    size_t n = 0;
    for (; *s; s++) {
        if (*s == '_')
            continue;
        if (n + 1 >= cap)
            return false;
        buf[n++] = *s;
    }
    buf[n] = '\0';
    return n > 0;
}

static bool all_digits(const char *s, int base)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        int d = isdigit((unsigned char)*s)    ? *s - '0'
                : isxdigit((unsigned char)*s) ? 10 + (tolower((unsigned char)*s) - 'a')
                                              : 99;
        if (d >= base)
            return false;
    }
    return true;
}

/* An integer in one of YAML 1.1's notations; false when s is not one or it
 * does not fit in 64 bits (it may still be a float). */
static bool parse_int(const char *text, json_int_t *out)
{
    char buf[72];
    if (!strip_underscores(text, buf, sizeof buf))
        return false;
    const char *s = buf;
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2;
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, s += 2;
    else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
        base = 8, s += 2;
    else if (s[0] == '0' && s[1])
        base = 8, s += 1;
    if (!all_digits(s, base))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, base);
    if (errno == ERANGE || v > (unsigned long long)INT64_MAX + (neg ? 1u : 0u))
        return false;
    *out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
    return true;
}

/* [-+]?(.digits|digits[.digits])([eE][-+]?digits)? */
static bool float_syntax(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    bool digits = false;
    while (isdigit((unsigned char)*s) || *s == '_')
        digits = true, s++;
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s) || *s == '_')
            digits = true, s++;
    }
    if (!digits)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == '\0';
}

int k1s__yaml_plain(const char *s, json_t **out)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                        "True", "TRUE", "on",  "On",  "ON",  NULL};
    static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                         "False", "FALSE", "off", "Off", "OFF", NULL};
    static const char *const specials[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf",
                                           "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
                                           ".NaN",  ".NAN",  NULL};
    json_int_t i;
    *out = NULL;
    if (one_of(s, nulls))
        *out = json_null();
    else if (one_of(s, trues))
        *out = json_true();
    else if (one_of(s, falses))
        *out = json_false();
    else if (one_of(s, specials))
        return K1S_EINVAL; /* JSON has no infinities or NaN */
    else if (parse_int(s, &i))
        *out = json_integer(i);
    else if (float_syntax(s)) {
        char buf[128];
        if (!strip_underscores(s, buf, sizeof buf))
            return K1S_EINVAL;
        double d = strtod(buf, NULL);
        if (!isfinite(d))
            return K1S_EINVAL;
        /* Go's JSON writes an integral float like an integer */
        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            *out = json_integer((json_int_t)d);
        else
            *out = json_real(d);
    } else {
        *out = json_string(s);
        return *out ? 0 : K1S_EINVAL; /* not UTF-8 */
    }
    return *out ? 0 : K1S_ENOMEM;
}
