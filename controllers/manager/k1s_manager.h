/*
 * k1s_manager.h - running reconcilers on a loop thread of their own, fed
 * by informers (k1s_ctrl.h says how controllers are written). The built-in
 * controllers (k1s_controllers.h) and the kubelet both run on it.
 */
#ifndef K1S_MANAGER_H
#define K1S_MANAGER_H

#include "k1s_api.h"

typedef struct k1s_controllers k1s_controllers;

typedef struct k1s_controllers_config {
    k1s_api *api;          /* borrowed; must outlive the controllers */
    const char *data_dir;  /* NULL for :memory: (provisioner uses a tmp dir) */
    const char *node_name; /* default: the host name */
    const char *api_host;  /* address the API is served on */
    int api_port;
} k1s_controllers_config;

/* Stop the loop (controllers' fini run on it), then free. NULL-safe. */
void k1s_controllers_stop(k1s_controllers *c);

#endif
