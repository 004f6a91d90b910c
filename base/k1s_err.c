/*
 * k1s_err.c - texts of the common error codes.
 */
#include "k1s_err.h"

const char *k1s_strerror(int code)
{
    switch (code) {
    case K1S_OK:
        return "success";
    case K1S_ENOMEM:
        return "out of memory";
    case K1S_EINVAL:
        return "invalid input";
    case K1S_ETOOLARGE:
        return "over a limit";
    case K1S_ENOTFOUND:
        return "not found";
    case K1S_EEXISTS:
        return "already exists";
    case K1S_ECONFLICT:
        return "precondition failed";
    case K1S_EGONE:
        return "too old: compacted away";
    case K1S_EIO:
        return "I/O error";
    case K1S_EOVERFLOW:
        return "fell behind";
    default:
        return "error";
    }
}
