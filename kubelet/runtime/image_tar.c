/*
 * image_tar.c - the small pieces k1s needs to write an image tarball
 * itself (into a k1s_buf): a ustar (POSIX.1-1988) entry writer and sha256
 * digests in the "sha256:<hex>" form OCI descriptors use.
 *
 * Entries are written deterministically (owner root, mtime 0, fixed
 * names), so the same input always gives the same bytes and the image's
 * digests only change when its content does; that is what lets a restart
 * see that containerd already has the pause image.
 */
#include "containerd_internal.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <string.h>

#define TAR_BLOCK 512

int k1s__cd_sha256(const void *data, size_t len, char out[72])
{
    unsigned char d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, d) != 0)
        return -1;
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
    return 0;
}

/* An octal number filling a field of w bytes: w-1 digits and a NUL. */
static void octal(unsigned char *field, size_t w, unsigned long long v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%0*llo", (int)(w - 1), v);
    memcpy(field, tmp, w - 1);
    field[w - 1] = '\0';
}

int k1s__tar_add(k1s_buf *b, const char *name, unsigned mode, const void *data, size_t len)
{
    size_t nl = strlen(name);
    bool dir = data == NULL && nl > 0 && name[nl - 1] == '/';
    /* ustar's size field holds 11 octal digits: 8 GiB */
    if (nl == 0 || nl > 100 || (!dir && !data && len > 0) ||
        (unsigned long long)len >= (1ULL << 33))
        return -1;

    unsigned char h[TAR_BLOCK] = {0};
    memcpy(h, name, nl);
    octal(h + 100, 8, mode & 07777);
    octal(h + 108, 8, 0); /* uid */
    octal(h + 116, 8, 0); /* gid */
    octal(h + 124, 12, dir ? 0 : len);
    octal(h + 136, 12, 0); /* mtime: fixed, for stable digests */
    h[156] = dir ? '5' : '0';
    memcpy(h + 257, "ustar", 6); /* magic with its NUL */
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "root", 4);
    memcpy(h + 297, "root", 4);
    octal(h + 329, 8, 0);
    octal(h + 337, 8, 0);
    /* the checksum is computed with its own field read as spaces */
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < TAR_BLOCK; i++)
        sum += h[i];
    char ck[8];
    snprintf(ck, sizeof ck, "%06o", sum & 0777777);
    memcpy(h + 148, ck, 6);
    h[154] = '\0';
    h[155] = ' ';

    k1s_buf_add(b, h, sizeof h);
    if (!dir && len > 0) {
        static const unsigned char zeros[TAR_BLOCK];
        k1s_buf_add(b, data, len);
        if (len % TAR_BLOCK)
            k1s_buf_add(b, zeros, TAR_BLOCK - len % TAR_BLOCK);
    }
    return k1s_buf_failed(b) ? -1 : 0;
}

void k1s__tar_end(k1s_buf *b)
{
    static const unsigned char zeros[2 * TAR_BLOCK];
    k1s_buf_add(b, zeros, sizeof zeros);
}
