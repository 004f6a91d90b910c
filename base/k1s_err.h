/*
 * k1s_err.h - the one error-code convention of k1s's pure parts (store,
 * patch, selector, quantity, protobuf, base): 0 on success, a negative
 * K1S_E* code on failure. The common codes below mean the same
 * everywhere; a component's own codes (a quantity's format errors, a
 * patch's HTTP-coded ones) are K1S_EOWN or below, so they never collide.
 */
#ifndef K1S_ERR_H
#define K1S_ERR_H

enum {
    K1S_OK = 0,
    K1S_ENOMEM = -1,    /* out of memory */
    K1S_EINVAL = -2,    /* malformed input */
    K1S_ETOOLARGE = -3, /* over a size, count or depth limit */
    K1S_ENOTFOUND = -4, /* no such object */
    K1S_EEXISTS = -5,   /* it exists already */
    K1S_ECONFLICT = -6, /* a precondition (resourceVersion, uid) failed */
    K1S_EGONE = -7,     /* compacted away (410 Expired) */
    K1S_EIO = -8,       /* the disk or the database failed */
    K1S_EOVERFLOW = -9, /* a reader fell too far behind and was dropped */
    K1S_EOWN = -100,    /* a component's own codes start here, going down */
};

/* A short English text for a common code ("out of memory"), or "error". */
const char *k1s_strerror(int code);

#endif
