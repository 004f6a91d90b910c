/*
 * k1s_quantity.h - resource.Quantity ("1Gi", "500m", "1e3", "10M") parsed
 * exactly as k8s.io/apimachinery's ParseQuantity does: the same accepted
 * syntax, the same error messages, the same rounding (values finer than
 * 1n are rounded up, away from zero, to 1n; binary-suffixed values are
 * capped at 2^63-1) and the same canonical serialization.
 *
 * Used for PVC/PV capacity matching, resource validation and to store
 * quantities the way kube-apiserver would echo them back.
 *
 * The value is kept as an exact decimal (up to K1S_QUANTITY_MAX_DIGITS
 * significant digits and an int64 exponent), so any two quantities compare
 * exactly, however large.
 */
#ifndef K1S_QUANTITY_H
#define K1S_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_err.h"

#define K1S_QUANTITY_MAX_DIGITS 64

typedef enum k1s_quantity_format {
    K1S_QUANTITY_DECIMAL_SI,       /* 12M, 500m, 7 */
    K1S_QUANTITY_BINARY_SI,        /* 12Mi */
    K1S_QUANTITY_DECIMAL_EXPONENT, /* 12e6 */
} k1s_quantity_format;

typedef struct k1s_quantity {
    int sign; /* -1, 0 or 1 */
    /* |value| = digits * 10^exp; digits has no leading or trailing '0' */
    int64_t exp;
    unsigned ndigits; /* 0 for zero */
    char digits[K1S_QUANTITY_MAX_DIGITS + 1];
    k1s_quantity_format format;
    /* The parsed string is already what kube would serialize (kube then
     * keeps it verbatim, e.g. "1.500" or "+1"). */
    bool keep_input;
} k1s_quantity;

/* Errors: the quantity's own codes (below K1S_EOWN), or base's K1S_ENOMEM
 * (k1s_err.h); k1s_quantity_strerror gives kube's message for each. */
#define K1S_QUANTITY_EFORMAT (K1S_EOWN)      /* must match the regular ... */
#define K1S_QUANTITY_ENUMERIC (K1S_EOWN - 1) /* unable to parse numeric part */
#define K1S_QUANTITY_ESUFFIX (K1S_EOWN - 2)  /* unable to parse the suffix */
#define K1S_QUANTITY_ERANGE (K1S_EOWN - 3)   /* does not fit the int64 asked */

/* The regular expression quoted in kube's format error. */
#define K1S_QUANTITY_REGEX "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"

/* Parse s (whole string, no surrounding spaces). 0 or a negative error. */
int k1s_quantity_parse(const char *s, k1s_quantity *q);
/* Parse a JSON value as kube decodes a Quantity field (v borrowed): a
 * string (surrounding whitespace ignored), an integer, a real, or null
 * (zero). Reals are read back in their shortest round-trip form. */
int k1s_quantity_from_json(const json_t *v, k1s_quantity *q);
const char *k1s_quantity_strerror(int err);

/* -1, 0 or 1 as a < b, a == b, a > b. */
int k1s_quantity_cmp(const k1s_quantity *a, const k1s_quantity *b);
bool k1s_quantity_is_zero(const k1s_quantity *q);
/* ceil(q * 10^-scale) rounded away from zero, into *out; ERANGE when it
 * does not fit int64. value: scale 0; milli-value: scale -3. */
int k1s_quantity_scaled(const k1s_quantity *q, int scale, int64_t *out);
int k1s_quantity_value(const k1s_quantity *q, int64_t *out);
int k1s_quantity_milli(const k1s_quantity *q, int64_t *out);

/* kube's canonical string for q, malloc'd (NULL when out of memory):
 * "1536Mi" for 1.5Gi, "500m" for 0.5, "1" for 1000m. */
char *k1s_quantity_string(const k1s_quantity *q);
/* The string kube stores for input s: s itself when already canonical,
 * else k1s_quantity_string. 0 with *out malloc'd, or a negative error. */
int k1s_quantity_canonical(const char *s, char **out);

#endif
