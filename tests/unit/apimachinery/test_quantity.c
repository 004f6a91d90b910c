/*
 * test_quantity.c - resource.Quantity parsing (accepted syntax and kube's
 * errors), exact comparison, integer conversions with overflow detection,
 * and the canonical strings kube-apiserver stores.
 */
#include "k1s_test.h"
#include "k1s_quantity.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static k1s_quantity q(const char *s)
{
    k1s_quantity v;
    int rc = k1s_quantity_parse(s, &v);
    if (rc)
        fprintf(stderr, "parse(%s) failed: %d\n", s, rc);
    CHECK_INT(rc, 0);
    return v;
}

static int cmp(const char *a, const char *b)
{
    k1s_quantity x = q(a), y = q(b);
    return k1s_quantity_cmp(&x, &y);
}

/* kube's serialization of input s */
static void check_canonical(const char *s, const char *want)
{
    char *got = NULL;
    int rc = k1s_quantity_canonical(s, &got);
    CHECK_INT(rc, 0);
    if (!got || strcmp(got, want) != 0)
        fprintf(stderr, "canonical(%s)\n", s);
    CHECK_STR(got, want);
    free(got);
}

TEST(test_canonical_forms)
{
    /* already canonical: kept verbatim */
    check_canonical("1Gi", "1Gi");
    check_canonical("500m", "500m");
    check_canonical("10M", "10M");
    check_canonical("1e3", "1e3");
    check_canonical("12e6", "12e6");
    check_canonical("100Gi", "100Gi");
    check_canonical("3Mi", "3Mi");
    check_canonical("1E", "1E");
    check_canonical("0", "0");
    /* kube reuses these odd spellings too */
    check_canonical("1.500", "1.500");
    check_canonical("+1", "+1");
    check_canonical("01", "01");
    /* rewritten */
    check_canonical("1.5Gi", "1536Mi");
    check_canonical("1024Mi", "1Gi");
    check_canonical("2048Ki", "2Mi");
    check_canonical("8Gi", "8Gi");
    check_canonical("0.5", "500m");
    check_canonical("1000m", "1");
    check_canonical("2.5", "2500m");
    check_canonical("0.1m", "100u");
    check_canonical("1e-10", "1e-9");
    check_canonical("-1e-10", "-1e-9");
    check_canonical("0.5Ki", "512");
    check_canonical("1.1Ki", "1126400m");
    check_canonical("0.0001Ki", "102400u");
    check_canonical("-2Ki", "-2Ki");
    check_canonical("9.999999999999n", "10n");
    check_canonical("1000k", "1M");
    check_canonical("1500k", "1500k");
    check_canonical(".", "0");
    check_canonical("+", "0");
    check_canonical("-0", "0");
    check_canonical("0.0", "0");
    check_canonical("0Ki", "0");
    /* BinarySI is capped at 2^63-1 */
    check_canonical("8Ei", "9223372036854775807");
    /* decimal values beyond E keep exponent notation (kube drops the
     * suffix here, which changes the value) */
    check_canonical("1000E", "1e21");
}

TEST(test_parse_errors)
{
    static const struct {
        const char *in;
        int rc;
    } bad[] = {
        {"", K1S_QUANTITY_EFORMAT},
        {" 1", K1S_QUANTITY_EFORMAT},
        {"1 ", K1S_QUANTITY_EFORMAT},
        {"1.2.3", K1S_QUANTITY_EFORMAT},
        {"abc", K1S_QUANTITY_EFORMAT},
        {"1Gi ", K1S_QUANTITY_EFORMAT},
        {"1e5e", K1S_QUANTITY_EFORMAT},
        {"1gi", K1S_QUANTITY_EFORMAT},
        {"1K", K1S_QUANTITY_ESUFFIX},
        {"1i", K1S_QUANTITY_ESUFFIX},
        {"1e", K1S_QUANTITY_ESUFFIX},
        {"1ee3", K1S_QUANTITY_ESUFFIX},
        {"1Ki3", K1S_QUANTITY_ESUFFIX},
        {"1mm", K1S_QUANTITY_ESUFFIX},
        {"--1", K1S_QUANTITY_ESUFFIX},
        {"1Mi+5", K1S_QUANTITY_ESUFFIX},
        {"1e99999999999999999999", K1S_QUANTITY_ESUFFIX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        k1s_quantity v;
        int rc = k1s_quantity_parse(bad[i].in, &v);
        if (rc != bad[i].rc)
            fprintf(stderr, "input %s\n", bad[i].in);
        CHECK_INT(rc, bad[i].rc);
    }
    CHECK_STR(k1s_quantity_strerror(K1S_QUANTITY_EFORMAT),
              "quantities must match the regular expression "
              "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    CHECK_STR(k1s_quantity_strerror(K1S_QUANTITY_ESUFFIX), "unable to parse quantity's suffix");
    CHECK_STR(k1s_quantity_strerror(K1S_QUANTITY_ENUMERIC),
              "unable to parse numeric part of quantity");
    CHECK_STR(k1s_quantity_strerror(K1S_QUANTITY_ERANGE),
              "quantity does not fit in a 64-bit integer");
    CHECK_STR(k1s_quantity_strerror(K1S_ENOMEM), "out of memory");
    /* the quantity's own codes sit below base's common ones */
    CHECK(K1S_QUANTITY_EFORMAT <= K1S_EOWN && K1S_QUANTITY_ERANGE <= K1S_EOWN);
    char *out = (char *)"untouched";
    CHECK_INT(k1s_quantity_canonical("12X", &out), K1S_QUANTITY_EFORMAT);
    CHECK(out == NULL);
}

TEST(test_compare)
{
    CHECK_INT(cmp("1Gi", "1024Mi"), 0);
    CHECK_INT(cmp("1Gi", "1G"), 1);
    CHECK_INT(cmp("1G", "1Gi"), -1);
    CHECK_INT(cmp("1000m", "1"), 0);
    CHECK_INT(cmp("1e3", "1k"), 0);
    CHECK_INT(cmp("0.5", "500m"), 0);
    CHECK_INT(cmp("499m", "0.5"), -1);
    CHECK_INT(cmp("-1", "0"), -1);
    CHECK_INT(cmp("-2", "-1"), -1);
    CHECK_INT(cmp("-1Ki", "-1000"), -1);
    CHECK_INT(cmp("0", "-0"), 0);
    CHECK_INT(cmp("10Gi", "5Gi"), 1);
    CHECK_INT(cmp("1e100", "9E"), 1);
    CHECK_INT(cmp("123456789012345678901234567890", "123456789012345678901234567891"), -1);
    CHECK_INT(cmp("1n", "0"), 1);
    CHECK_INT(cmp("1e-20", "1n"), 0); /* rounded up to 1n */
    CHECK_INT(cmp("1.0000000001", "1.000000001"), 0);
    /* PVC/PV matching: a 2Gi volume satisfies a 1500Mi claim */
    CHECK(cmp("2Gi", "1500Mi") >= 0);
    CHECK(cmp("1Gi", "1.5Gi") < 0);
}

TEST(test_integers)
{
    int64_t v = 0;
    k1s_quantity x = q("1Gi");
    CHECK_INT(k1s_quantity_value(&x, &v), 0);
    CHECK_INT(v, 1073741824);
    CHECK_INT(k1s_quantity_milli(&x, &v), 0);
    CHECK_INT(v, 1073741824000LL);
    x = q("1.5m");
    CHECK_INT(k1s_quantity_milli(&x, &v), 0);
    CHECK_INT(v, 2); /* rounded up */
    CHECK_INT(k1s_quantity_value(&x, &v), 0);
    CHECK_INT(v, 1);
    x = q("-1.5m");
    CHECK_INT(k1s_quantity_milli(&x, &v), 0);
    CHECK_INT(v, -2); /* away from zero */
    x = q("250m");
    CHECK_INT(k1s_quantity_milli(&x, &v), 0);
    CHECK_INT(v, 250);
    x = q("9223372036854775807");
    CHECK_INT(k1s_quantity_value(&x, &v), 0);
    CHECK_INT(v, INT64_MAX);
    CHECK_INT(k1s_quantity_milli(&x, &v), K1S_QUANTITY_ERANGE);
    x = q("9223372036854775808");
    CHECK_INT(k1s_quantity_value(&x, &v), K1S_QUANTITY_ERANGE);
    x = q("1e100");
    CHECK_INT(k1s_quantity_value(&x, &v), K1S_QUANTITY_ERANGE);
    x = q("8Ei"); /* capped at 2^63-1 */
    CHECK_INT(k1s_quantity_value(&x, &v), 0);
    CHECK_INT(v, INT64_MAX);
    x = q("0");
    CHECK(k1s_quantity_is_zero(&x));
    CHECK_INT(k1s_quantity_milli(&x, &v), 0);
    CHECK_INT(v, 0);
    x = q("1");
    CHECK_INT(k1s_quantity_scaled(&x, 3, &v), 0); /* in thousands */
    CHECK_INT(v, 1);
}

TEST(test_formats)
{
    CHECK_INT(q("1Gi").format, K1S_QUANTITY_BINARY_SI);
    CHECK_INT(q("1G").format, K1S_QUANTITY_DECIMAL_SI);
    CHECK_INT(q("1e9").format, K1S_QUANTITY_DECIMAL_EXPONENT);
    CHECK_INT(q("1E9").format, K1S_QUANTITY_DECIMAL_EXPONENT);
    CHECK_INT(q("0.5Mi").format, K1S_QUANTITY_BINARY_SI);
    CHECK_INT(q("0.0001Ki").format, K1S_QUANTITY_DECIMAL_SI); /* below 1 */
    k1s_quantity x = q("1.5Gi");
    CHECK_STR(x.digits, "1610612736");
    CHECK_INT(x.exp, 0);
    x = q("-0.25");
    CHECK_INT(x.sign, -1);
    CHECK_STR(x.digits, "25");
    CHECK_INT(x.exp, -2);
}

TEST(test_from_json)
{
    k1s_quantity v;
    json_t *j = json_integer(2);
    CHECK_INT(k1s_quantity_from_json(j, &v), 0);
    CHECK_INT(k1s_quantity_cmp(&v, &(k1s_quantity){0}) > 0, 1);
    json_decref(j);
    j = json_real(0.1);
    CHECK_INT(k1s_quantity_from_json(j, &v), 0);
    char *s = k1s_quantity_string(&v);
    CHECK_STR(s, "100m"); /* not 0.10000000000000001 */
    free(s);
    json_decref(j);
    j = json_string(" 1Gi\t");
    CHECK_INT(k1s_quantity_from_json(j, &v), 0);
    k1s_quantity w = q("1Gi");
    CHECK_INT(k1s_quantity_cmp(&v, &w), 0);
    json_decref(j);
    j = json_null();
    CHECK_INT(k1s_quantity_from_json(j, &v), 0);
    CHECK(k1s_quantity_is_zero(&v));
    j = json_true();
    CHECK_INT(k1s_quantity_from_json(j, &v), K1S_QUANTITY_EFORMAT);
    j = json_object();
    CHECK_INT(k1s_quantity_from_json(j, &v), K1S_QUANTITY_EFORMAT);
    json_decref(j);
    j = json_stringn("1\0Gi", 4);
    CHECK_INT(k1s_quantity_from_json(j, &v), K1S_QUANTITY_EFORMAT);
    json_decref(j);
}

TEST(test_hostile)
{
    k1s_quantity v;
    /* many significant digits: refused rather than truncated */
    char big[2001];
    memset(big, '7', 2000);
    big[2000] = '\0';
    CHECK_INT(k1s_quantity_parse(big, &v), K1S_QUANTITY_ENUMERIC);
    /* many leading zeros and a long fraction are fine */
    char zeros[5003];
    memset(zeros, '0', 5000);
    memcpy(zeros + 5000, "12", 3);
    CHECK_INT(k1s_quantity_parse(zeros, &v), 0);
    CHECK_STR(v.digits, "12");
    char frac[4003] = "0.";
    memset(frac + 2, '9', 4000);
    frac[4002] = '\0';
    CHECK_INT(k1s_quantity_parse(frac, &v), 0);
    char *s = k1s_quantity_string(&v);
    CHECK_STR(s, "1"); /* 0.999...9 rounds up at 1n */
    free(s);
    /* huge and tiny exponents stay exact */
    CHECK_INT(k1s_quantity_parse("1e2147483647", &v), 0);
    CHECK_INT(v.exp, 2147483647);
    CHECK_INT(k1s_quantity_parse("5e-2147483648", &v), 0);
    CHECK_STR(v.digits, "1");
    CHECK_INT(v.exp, -9);
    /* Go truncates a 64-bit exponent to 32 bits: 2^32 + 3 reads as 3 */
    CHECK_INT(k1s_quantity_parse("1e4294967299", &v), 0);
    CHECK_INT(v.exp, 3);
    /* garbage of every kind */
    const char *junk[] = {"\xff", "1\xc3\xa9", "1e+",   "++1", "1..",
                          "1,5",  "0x10",      "1_000", "NaN", "Inf"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        CHECK(k1s_quantity_parse(junk[i], &v) < 0);
    /* kube's scanner lets a bare suffix through as zero */
    CHECK_INT(k1s_quantity_parse("Gi", &v), 0);
    CHECK(k1s_quantity_is_zero(&v));
    CHECK_INT(k1s_quantity_parse("e3", &v), 0);
    CHECK(k1s_quantity_is_zero(&v));
}

K1S_TEST_MAIN(T(test_canonical_forms), T(test_parse_errors), T(test_compare), T(test_integers),
              T(test_formats), T(test_from_json), T(test_hostile))
