/*
 * patch_int.h - the error record shared by the three patch
 * implementations (internal to apimachinery).
 *
 * A patch walk stops at the first failure; k1s__perr keeps that first
 * code and message so deep helpers can simply return -1 / NULL upwards.
 */
#ifndef K1S_PATCH_INT_H
#define K1S_PATCH_INT_H

#include "k1s_patch.h"
#include "am_util.h"

typedef struct k1s__perr {
    int code;  /* 0 until the first failure */
    char *msg; /* malloc'd, NULL when out of memory */
} k1s__perr;

/* Record a failure (msg owned; NULL means out of memory). Returns code. */
int k1s__perr_set(k1s__perr *e, int code, char *msg);
int k1s__perr_setf(k1s__perr *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int k1s__perr_oom(k1s__perr *e);
/* Record "patch exceeds the maximum nesting depth" and return its code. */
int k1s__perr_depth(k1s__perr *e);
/* Hand the failure to the public API's (*err, return code). */
int k1s__perr_finish(k1s__perr *e, char **err);

#endif
