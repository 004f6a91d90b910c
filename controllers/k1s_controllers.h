/*
 * k1s_controllers.h - the built-in controllers (StatefulSet, PV binding, the
 * hostpath provisioner, scheduler, ...) running inside
 * k1s server as level-triggered reconcile loops on one thread, fed by
 * watches through the client interface (k1s_api.h).
 */
#ifndef K1S_CONTROLLERS_H
#define K1S_CONTROLLERS_H

#include "k1s_api.h"

typedef struct k1s_controllers k1s_controllers;

typedef struct k1s_controllers_config {
    k1s_api *api;            /* borrowed; must outlive the controllers */
    const char *data_dir;    /* NULL for :memory: (provisioner uses a tmp dir) */
    const char *node_name;   /* default: the host name */
    const char *api_host;    /* address the API is served on */
    int api_port;
} k1s_controllers_config;

/* Start every controller; returns once their caches are filled. */
int k1s_controllers_start(const k1s_controllers_config *cfg,
                          k1s_controllers **out, char **err);
void k1s_controllers_stop(k1s_controllers *c);

#endif
