/*
 * bootstrap_internal.h - what the bootstrap files (bootstrap.c,
 * bootstrap_flowcontrol.c) share: creating an object only when absent.
 */
#ifndef K1S_BOOTSTRAP_INTERNAL_H
#define K1S_BOOTSTRAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "k1s_api.h"

/* Create obj (consumed; NULL means out of memory) in ns unless an object
 * of its name exists; *created (may be NULL) says which. 0, or -1 with
 * err. Later starts find it and change nothing. */
int k1s__bootstrap_ensure(k1s_api *api, const k1s_kind *k, const char *ns, json_t *obj,
                          bool *created, char *err, size_t errlen);

#endif
