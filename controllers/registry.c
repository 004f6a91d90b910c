/*
 * registry.c - the list of built-in controllers, in start order.
 */
#include "ctrl.h"

const k1s_controller_def *const k1s__controller_defs[] = {
    NULL,
};
