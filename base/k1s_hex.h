/*
 * k1s_hex.h - hexadecimal digits, as JSON \u escapes and percent-encoding
 * (URL paths from the CRI) write them.
 */
#ifndef K1S_HEX_H
#define K1S_HEX_H

/* The value of one hex digit (either case), or -1 if c is not one. */
static inline int k1s_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
