/*
 * test_base64.c - RFC 4648 vectors and rejection of non-canonical text.
 */
#include "k1s_test.h"

#include <stdlib.h>

#include "k1s_base64.h"

TEST(test_vectors)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                        "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char *e = k1s_base64_encode(plain[i], strlen(plain[i]));
        CHECK_STR(e, coded[i]);
        size_t n = 99;
        unsigned char *d = k1s_base64_decode(coded[i], strlen(coded[i]), &n);
        CHECK(d != NULL);
        CHECK_INT(n, strlen(plain[i]));
        CHECK(d && memcmp(d, plain[i], n) == 0);
        free(e);
        free(d);
    }
}

TEST(test_binary_round_trip)
{
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char *e = k1s_base64_encode(all, sizeof all);
    size_t n = 0;
    unsigned char *d = k1s_base64_decode(e, strlen(e), &n);
    CHECK_INT(n, 256);
    CHECK(d && memcmp(d, all, 256) == 0);
    free(e);
    free(d);
}

TEST(test_rejects_bad_text)
{
    static const char *const bad[] = {"Zg=", "Z===", "Zg=a", "Zm9v!", "Zm9\n", "=Zm9", "Zg==Zg=="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n;
        unsigned char *d = k1s_base64_decode(bad[i], strlen(bad[i]), &n);
        CHECK(d == NULL);
        free(d);
    }
}

/* protobuf's JSON mapping: either alphabet, padding optional. */
TEST(test_decode_any)
{
    static const struct {
        const char *in, *out;
    } ok[] = {
        {"", ""},
        {"Zg==", "f"},
        {"Zg", "f"},
        {"Zm8", "fo"},
        {"Zm9vYmFy", "foobar"},
        {"-_8", "\xfb\xff"},
        {"+/8=", "\xfb\xff"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = 99;
        unsigned char *d = k1s_base64_decode_any(ok[i].in, strlen(ok[i].in), &n);
        CHECK(d != NULL);
        CHECK_INT(n, strlen(ok[i].out));
        CHECK(d && memcmp(d, ok[i].out, n) == 0 && d[n] == 0);
        free(d);
    }
    static const char *const bad[] = {"Zm9=v", "Z", "Zm 9", "Zm9v!"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n;
        CHECK(k1s_base64_decode_any(bad[i], strlen(bad[i]), &n) == NULL);
    }
    /* the strict decoder refuses what only the lenient one takes */
    size_t n;
    CHECK(k1s_base64_decode("Zg", 2, &n) == NULL);
    CHECK(k1s_base64_decode("-_8=", 4, &n) == NULL);
}

K1S_TEST_MAIN(T(test_decode_any), T(test_vectors), T(test_binary_round_trip),
              T(test_rejects_bad_text))
