/*
 * k1s_net.c - IPv4 addresses and prefixes.
 */
#include "k1s_net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "k1s_err.h"

int k1s_ipv4_parse(const char *s, uint32_t *addr)
{
    struct in_addr a;
    if (!s || inet_pton(AF_INET, s, &a) != 1)
        return K1S_EINVAL;
    *addr = ntohl(a.s_addr);
    return 0;
}

void k1s_ipv4_format(uint32_t addr, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
             addr & 255);
}

bool k1s_ipv4_is_local(uint32_t addr)
{
    return addr == 0 || (addr >> 24) == 127;
}

int k1s_cidr4_parse(const char *s, k1s_cidr4 *c)
{
    char ip[K1S_IPV4_LEN];
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || (size_t)(slash - s) >= sizeof ip)
        return K1S_EINVAL;
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = 0;
    uint32_t addr;
    if (k1s_ipv4_parse(ip, &addr) != 0)
        return K1S_EINVAL;
    const char *p = slash + 1;
    unsigned bits = 0;
    size_t nd = 0;
    for (; *p >= '0' && *p <= '9' && nd < 3; p++, nd++)
        bits = bits * 10 + (unsigned)(*p - '0');
    /* the prefix length: decimal digits only, no sign, no leading zero */
    if (nd == 0 || *p || bits > 32 || (nd > 1 && slash[1] == '0'))
        return K1S_EINVAL;
    c->addr = addr;
    c->bits = bits;
    c->mask = bits ? 0xffffffffu << (32 - bits) : 0;
    c->net = addr & c->mask;
    return 0;
}

bool k1s_cidr4_contains(const k1s_cidr4 *c, uint32_t addr)
{
    return (addr & c->mask) == c->net;
}
