/*
 * test_time_net.c - RFC 3339 as Go's time.Parse reads it, formatting, and
 * IPv4 addresses and prefixes.
 */
#include "k1s_test.h"

#include "k1s_err.h"
#include "k1s_net.h"
#include "k1s_time.h"

TEST(test_time_parse)
{
    static const struct {
        const char *s;
        int rc;
        long long sec;
        int nsec, offset;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0, 0, 0, 0},
        {"2024-02-29T12:34:56Z", 0, 1709210096, 0, 0},
        {"2024-02-29T12:34:56.5Z", 0, 1709210096, 500000000, 0},
        {"2024-02-29T12:34:56.123456789123Z", 0, 1709210096, 123456789, 0},
        {"2024-02-29T14:34:56+02:00", 0, 1709210096, 0, 7200},
        {"2024-02-29T10:04:56-02:30", 0, 1709210096, 0, -9000},
        {"0001-01-01T00:00:00Z", 0, -62135596800LL, 0, 0},
        {"1969-12-31T23:59:59Z", 0, -1, 0, 0},
        {"2023-02-29T00:00:00Z", K1S_EINVAL, 0, 0, 0}, /* not a leap year */
        {"2024-04-31T00:00:00Z", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01T24:00:00Z", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01T00:00:60Z", K1S_EINVAL, 0, 0, 0}, /* Go has no leap seconds */
        {"2024-01-01t00:00:00Z", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01 00:00:00Z", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01T00:00:00z", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01T00:00:00", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01T00:00:00.Z", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01T00:00:00+0200", K1S_EINVAL, 0, 0, 0},
        {"2024-01-01T00:00:00Zjunk", K1S_EINVAL, 0, 0, 0},
        {"2024-1-01T00:00:00Z", K1S_EINVAL, 0, 0, 0},
        {"", K1S_EINVAL, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        k1s_time t = {-7, -7, -7};
        int rc = k1s_time_parse(cases[i].s, strlen(cases[i].s), &t);
        if (rc != cases[i].rc)
            fprintf(stderr, "case %zu: %s\n", i, cases[i].s);
        CHECK_INT(rc, cases[i].rc);
        if (rc == 0) {
            CHECK_INT(t.sec, cases[i].sec);
            CHECK_INT(t.nsec, cases[i].nsec);
            CHECK_INT(t.offset, cases[i].offset);
        } else {
            CHECK_INT(t.sec, -7); /* untouched */
        }
    }
    CHECK_INT(k1s_time_parse(NULL, 0, NULL), K1S_EINVAL);
    CHECK_INT(k1s_time_parse_str(NULL, NULL), K1S_EINVAL);
    /* n bounds the text: no NUL needed */
    k1s_time t;
    CHECK_INT(k1s_time_parse("1970-01-01T00:00:01Zxx", 20, &t), 0);
    CHECK_INT(t.sec, 1);
}

TEST(test_time_format_round_trips)
{
    char buf[K1S_TIME_LEN];
    k1s_time_format(1709210096, buf, sizeof buf);
    CHECK_STR(buf, "2024-02-29T12:34:56Z");
    k1s_time t;
    CHECK_INT(k1s_time_parse(buf, strlen(buf), &t), 0);
    CHECK_INT(t.sec, 1709210096);
    k1s_time_format_now(buf, sizeof buf);
    CHECK_INT(k1s_time_parse(buf, strlen(buf), &t), 0);
    CHECK(t.sec - k1s_time_now() <= 1 && k1s_time_now() - t.sec <= 1);
    CHECK(k1s_time_mono_ms() > 0 && k1s_time_wall_ms() / 1000 - k1s_time_now() <= 1);
}

TEST(test_ipv4)
{
    uint32_t a = 0;
    CHECK_INT(k1s_ipv4_parse("10.96.0.1", &a), 0);
    CHECK_INT(a, 0x0a600001);
    char buf[K1S_IPV4_LEN];
    k1s_ipv4_format(a, buf, sizeof buf);
    CHECK_STR(buf, "10.96.0.1");
    k1s_ipv4_format(0xffffffffu, buf, sizeof buf);
    CHECK_STR(buf, "255.255.255.255");
    static const char *const bad[] = {"",    "10.96.0",   "10.96.0.256", "10.96.0.1/24",
                                      "::1", "localhost", " 10.0.0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(k1s_ipv4_parse(bad[i], &a), K1S_EINVAL);
    CHECK_INT(k1s_ipv4_parse(NULL, &a), K1S_EINVAL);
    CHECK(k1s_ipv4_is_local(0x7f000001) && k1s_ipv4_is_local(0) && !k1s_ipv4_is_local(0x0a000001));
}

TEST(test_cidr4)
{
    k1s_cidr4 c;
    CHECK_INT(k1s_cidr4_parse("10.96.0.0/12", &c), 0);
    CHECK_INT(c.bits, 12);
    CHECK_INT(c.mask, 0xfff00000u);
    CHECK_INT(c.net, 0x0a600000u);
    CHECK(k1s_cidr4_contains(&c, 0x0a6f0001u) && !k1s_cidr4_contains(&c, 0x0a700000u));
    CHECK_INT(k1s_cidr4_parse("10.244.0.7/24", &c), 0);
    CHECK_INT(c.addr, 0x0af40007u);
    CHECK_INT(c.net, 0x0af40000u); /* host bits kept in addr, off in net */
    CHECK_INT(k1s_cidr4_parse("0.0.0.0/0", &c), 0);
    CHECK_INT(c.mask, 0);
    CHECK_INT(k1s_cidr4_parse("1.2.3.4/32", &c), 0);
    CHECK_INT(c.mask, 0xffffffffu);
    static const char *const bad[] = {"10.0.0.0",    "10.0.0.0/",    "10.0.0.0/33",
                                      "10.0.0.0/-1", "10.0.0.0/024", "10.0.0.0/2x",
                                      "10.0.0/8",    "/8",           "10.0.0.0/1000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(k1s_cidr4_parse(bad[i], &c), K1S_EINVAL);
}

K1S_TEST_MAIN(T(test_time_parse), T(test_time_format_round_trips), T(test_ipv4), T(test_cidr4))
