/*
 * registry.c - the built-in controllers, in start order, and their start.
 */
#include "k1s_ctrl.h"
#include "k1s_controllers.h"

extern const k1s_controller_def k1s__ctrl_statefulset;
extern const k1s_controller_def k1s__ctrl_scheduler;
extern const k1s_controller_def k1s__ctrl_pv_binder;
extern const k1s_controller_def k1s__ctrl_hostpath_provisioner;
extern const k1s_controller_def k1s__ctrl_namespace;
extern const k1s_controller_def k1s__ctrl_serviceaccount;
extern const k1s_controller_def k1s__ctrl_gc;
extern const k1s_controller_def k1s__ctrl_endpoints;
extern const k1s_controller_def k1s__ctrl_endpointslice;
extern const k1s_controller_def k1s__ctrl_deployment;
extern const k1s_controller_def k1s__ctrl_replicaset;
extern const k1s_controller_def k1s__ctrl_replicationcontroller;
extern const k1s_controller_def k1s__ctrl_daemonset;
extern const k1s_controller_def k1s__ctrl_job;
extern const k1s_controller_def k1s__ctrl_cronjob;
extern const k1s_controller_def k1s__ctrl_ttl_after_finished;
extern const k1s_controller_def k1s__ctrl_disruption;
extern const k1s_controller_def k1s__ctrl_podgc;
extern const k1s_controller_def k1s__ctrl_nodelifecycle;
extern const k1s_controller_def k1s__ctrl_taint_eviction;

static const k1s_controller_def *const defs[] = {
    &k1s__ctrl_statefulset,
    &k1s__ctrl_scheduler,
    &k1s__ctrl_pv_binder,
    &k1s__ctrl_hostpath_provisioner,
    &k1s__ctrl_namespace,
    &k1s__ctrl_serviceaccount,
    &k1s__ctrl_gc,
    &k1s__ctrl_endpoints,
    &k1s__ctrl_endpointslice,
    &k1s__ctrl_deployment,
    &k1s__ctrl_replicaset,
    &k1s__ctrl_replicationcontroller,
    &k1s__ctrl_daemonset,
    &k1s__ctrl_job,
    &k1s__ctrl_cronjob,
    &k1s__ctrl_ttl_after_finished,
    &k1s__ctrl_disruption,
    &k1s__ctrl_podgc,
    &k1s__ctrl_nodelifecycle,
    &k1s__ctrl_taint_eviction,
    NULL,
};

int k1s_controllers_start(const k1s_controllers_config *cfg, k1s_controllers **out, char **err)
{
    return k1s_controllers_start_defs(cfg, defs, NULL, out, err);
}
