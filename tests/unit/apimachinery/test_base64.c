/*
 * test_base64.c - RFC 4648 vectors and rejection of non-canonical text.
 */
#include "k1s_test.h"

#include <stdlib.h>

#include "k1s_base64.h"

TEST(test_vectors)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
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

K1S_TEST_MAIN(T(test_vectors), T(test_binary_round_trip), T(test_rejects_bad_text))
