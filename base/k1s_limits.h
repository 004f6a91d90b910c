/*
 * k1s_limits.h - the limits several components must agree on, in one
 * place. Each is enforced where input arrives and fails loudly (a Status
 * error, an error code), never by dropping data.
 */
#ifndef K1S_LIMITS_H
#define K1S_LIMITS_H

/* The largest object (and request body) the API takes: kube-apiserver's
 * MaxRequestBodyBytes, 3 MiB. The HTTP layer answers 413 past it, the
 * store refuses to write more, and a JSON patch may not copy more. */
#define K1S_MAX_OBJECT_BYTES ((size_t)3 * 1024 * 1024)

#endif
