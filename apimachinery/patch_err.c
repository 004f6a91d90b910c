/*
 * patch_err.c - first-failure error record for the patch implementations
 * (see patch_int.h).
 */
#include "patch_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int k1s__perr_set(k1s__perr *e, int code, char *msg)
{
    if (e->code) { /* keep the first failure */
        free(msg);
        return e->code;
    }
    e->code = msg ? code : K1S_ENOMEM;
    e->msg = msg;
    return e->code;
}

int k1s__perr_setf(k1s__perr *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = k1s__vasprintf(fmt, ap);
    va_end(ap);
    return k1s__perr_set(e, code, msg);
}

int k1s__perr_oom(k1s__perr *e)
{
    return k1s__perr_set(e, K1S_ENOMEM, NULL);
}

int k1s__perr_depth(k1s__perr *e)
{
    return k1s__perr_setf(e, K1S_PATCH_EBADREQUEST, "patch exceeds the maximum nesting depth of %d",
                          K1S_PATCH_MAX_DEPTH);
}

int k1s__perr_finish(k1s__perr *e, char **err)
{
    if (e->code == K1S_ENOMEM) {
        free(e->msg);
        e->msg = strdup("out of memory");
    }
    *err = e->msg;
    e->msg = NULL;
    return e->code;
}
