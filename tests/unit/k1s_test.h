/*
 * k1s_test.h - the few macros unit tests use. A test file defines test
 * functions with TEST(name), lists them in K1S_TESTS, and gets a main that
 * runs them all and exits non-zero if any check failed.
 */
#ifndef K1S_TEST_H
#define K1S_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int k1s_test_failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            k1s_test_failures++;                                                     \
        }                                                                            \
    } while (0)

#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *k1s_a_ = (a), *k1s_b_ = (b);                             \
        if (!k1s_a_ || !k1s_b_ || strcmp(k1s_a_, k1s_b_) != 0) {             \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
                    k1s_a_ ? k1s_a_ : "(null)", k1s_b_ ? k1s_b_ : "(null)"); \
            k1s_test_failures++;                                             \
        }                                                                    \
    } while (0)

#define CHECK_INT(a, b)                                                                           \
    do {                                                                                          \
        long long k1s_a_ = (long long)(a), k1s_b_ = (long long)(b);                               \
        if (k1s_a_ != k1s_b_) {                                                                   \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, k1s_a_, \
                    k1s_b_);                                                                      \
            k1s_test_failures++;                                                                  \
        }                                                                                         \
    } while (0)

/* cond comes true within FX_WAIT_MS (polled with FX_WAIT_UNTIL: the test
 * includes k1s_fixture.h to use it). */
#define CHECK_SOON(cond)                                                                          \
    do {                                                                                          \
        bool k1s_ok_;                                                                             \
        FX_WAIT_UNTIL(k1s_ok_, (cond), FX_WAIT_MS);                                               \
        if (!k1s_ok_) {                                                                           \
            fprintf(stderr, "%s:%d: not true within %d ms: %s\n", __FILE__, __LINE__, FX_WAIT_MS, \
                    #cond);                                                                       \
            k1s_test_failures++;                                                                  \
        }                                                                                         \
    } while (0)

#define TEST(name) static void name(void)

typedef struct {
    const char *name;
    void (*fn)(void);
} k1s_test_case;

#define K1S_TEST_MAIN(...)                                           \
    int main(void)                                                   \
    {                                                                \
        static const k1s_test_case cases[] = {__VA_ARGS__};          \
        size_t n = sizeof cases / sizeof cases[0], failed = 0;       \
        for (size_t i = 0; i < n; i++) {                             \
            int before = k1s_test_failures;                          \
            cases[i].fn();                                           \
            int bad = k1s_test_failures != before;                   \
            failed += bad;                                           \
            printf("%s %s\n", bad ? "FAIL" : "ok  ", cases[i].name); \
        }                                                            \
        printf("%zu passed, %zu failed\n", n - failed, failed);      \
        return failed ? 1 : 0;                                       \
    }
#define T(fn)   \
    {           \
#fn, fn \
    }

#endif
