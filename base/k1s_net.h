/*
 * k1s_net.h - IPv4 addresses and prefixes as text, in host byte order.
 */
#ifndef K1S_NET_H
#define K1S_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "255.255.255.255" and its NUL. */
#define K1S_IPV4_LEN 16

/* A dotted-quad IPv4 address (nothing else: no names, no prefix): 0 with
 * *addr set, or K1S_EINVAL. */
int k1s_ipv4_parse(const char *s, uint32_t *addr);
void k1s_ipv4_format(uint32_t addr, char *buf, size_t len);
/* Loopback (127/8) or unspecified (0.0.0.0). */
bool k1s_ipv4_is_local(uint32_t addr);

typedef struct k1s_cidr4 {
    uint32_t addr; /* as written, host bits and all */
    uint32_t net;  /* addr & mask */
    uint32_t mask;
    unsigned bits; /* 0..32 */
} k1s_cidr4;

/* "a.b.c.d/n": 0 with *c set, or K1S_EINVAL. Callers judge the prefix
 * length and host bits they accept. */
int k1s_cidr4_parse(const char *s, k1s_cidr4 *c);
/* Whether addr is inside c. */
bool k1s_cidr4_contains(const k1s_cidr4 *c, uint32_t addr);

#endif
