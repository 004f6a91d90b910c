/*
 * k1s_controllers.h - the built-in controllers (StatefulSet, PV binding, the
 * hostpath provisioner, scheduler, ...) running inside
 * k1s server as level-triggered reconcile loops on one thread, fed by
 * watches through the client interface (k1s_api.h).
 */
#ifndef K1S_CONTROLLERS_H
#define K1S_CONTROLLERS_H

#include "k1s_manager.h"

/* Start every controller; returns once their caches are filled. */
int k1s_controllers_start(const k1s_controllers_config *cfg, k1s_controllers **out, char **err);

#endif
