/*
 * test_buf.c - the byte buffer and the vector: growth, the caps and their
 * latches, hand-over.
 */
#include "k1s_test.h"

#include "k1s_buf.h"
#include "k1s_err.h"
#include "k1s_vec.h"

TEST(test_buf_appends)
{
    k1s_buf b = {0};
    CHECK_STR(k1s_buf_str(&b), "");
    k1s_buf_adds(&b, "ab");
    k1s_buf_addc(&b, 'c');
    k1s_buf_add(&b, "d\0e", 3);
    k1s_buf_addf(&b, "-%d-%s", 42, "x");
    CHECK_INT(b.len, 11);
    CHECK(memcmp(b.p, "abcd\0e-42-x", 12) == 0);
    k1s_buf_truncate(&b, 3);
    CHECK_STR(k1s_buf_str(&b), "abc");
    size_t n = 0;
    char *p = k1s_buf_take(&b, &n);
    CHECK_STR(p, "abc");
    CHECK_INT(n, 3);
    CHECK(b.p == NULL && b.len == 0);
    free(p);
}

TEST(test_buf_grows_past_many_doublings)
{
    k1s_buf b = {0};
    for (int i = 0; i < 100000; i++)
        k1s_buf_addc(&b, (char)('a' + i % 26));
    CHECK_INT(b.len, 100000);
    CHECK(!k1s_buf_failed(&b));
    CHECK(b.p[99999] == 'a' + 99999 % 26 && b.p[100000] == 0);
    k1s_buf_free(&b);
}

TEST(test_buf_empty_take_is_empty_string)
{
    k1s_buf b = {0};
    size_t n = 7;
    char *p = k1s_buf_take(&b, &n);
    CHECK_STR(p, "");
    CHECK_INT(n, 0);
    free(p);
}

TEST(test_buf_cap_latches_and_drops_whole_pieces)
{
    k1s_buf b = {.max = 8};
    k1s_buf_adds(&b, "12345");
    k1s_buf_adds(&b, "6789"); /* would pass 8: dropped whole */
    CHECK(b.full && !b.oom && k1s_buf_failed(&b));
    k1s_buf_adds(&b, "x"); /* fits, but the latch holds */
    CHECK_STR(k1s_buf_str(&b), "12345");
    k1s_buf_addf(&b, "%s", "y");
    CHECK_INT(b.len, 5);
    size_t n = 1;
    CHECK(k1s_buf_take(&b, &n) == NULL);
    CHECK_INT(n, 0);
    CHECK_INT(b.max, 8); /* kept for reuse */
    CHECK(!b.full);
    k1s_buf_adds(&b, "12345678");
    CHECK(!k1s_buf_failed(&b));
    k1s_buf_free(&b);
}

TEST(test_buf_absurd_sizes_fail_instead_of_wrapping)
{
    k1s_buf b = {0};
    k1s_buf_adds(&b, "a");
    CHECK(!k1s_buf_reserve(&b, (size_t)-1));
    CHECK(b.full);
    k1s_buf_free(&b);
}

TEST(test_vec_push_append_remove)
{
    k1s_vec v = K1S_VEC(int);
    for (int i = 0; i < 1000; i++) {
        int *e = k1s_vec_push(&v);
        CHECK(e && *e == 0);
        if (e)
            *e = i;
    }
    CHECK_INT(v.n, 1000);
    int x = -1;
    CHECK_INT(k1s_vec_append(&v, &x), 0);
    CHECK_INT(*(int *)k1s_vec_at(&v, 1000), -1);
    k1s_vec_remove(&v, 0);
    CHECK_INT(((int *)v.p)[0], 1);
    CHECK_INT(((int *)v.p)[998], 999);
    CHECK_INT(v.n, 1000);
    k1s_vec_free(&v);
    CHECK(v.p == NULL && v.n == 0 && v.size == sizeof(int));
}

TEST(test_vec_max_refuses_loudly)
{
    k1s_vec v = K1S_VEC(long);
    v.max = 3;
    long one = 1;
    for (int i = 0; i < 3; i++)
        CHECK_INT(k1s_vec_append(&v, &one), 0);
    CHECK_INT(k1s_vec_append(&v, &one), K1S_ETOOLARGE);
    CHECK(k1s_vec_push(&v) == NULL);
    CHECK_INT(v.n, 3);
    k1s_vec_free(&v);
}

TEST(test_strerror)
{
    CHECK_STR(k1s_strerror(K1S_ENOMEM), "out of memory");
    CHECK_STR(k1s_strerror(K1S_EOWN - 5), "error");
}

K1S_TEST_MAIN(T(test_buf_appends), T(test_buf_grows_past_many_doublings),
              T(test_buf_empty_take_is_empty_string),
              T(test_buf_cap_latches_and_drops_whole_pieces),
              T(test_buf_absurd_sizes_fail_instead_of_wrapping), T(test_vec_push_append_remove),
              T(test_vec_max_refuses_loudly), T(test_strerror))
