/*
 * statefulset.c - placeholder: the statefulset-controller is not written yet (disabled).
 */
#include "ctrl.h"

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)c;
    (void)state;
    (void)ns;
    (void)name;
    return 0;
}

static bool disabled(const k1s_controllers_config *cfg)
{
    (void)cfg;
    return false;
}

const k1s_controller_def k1s__ctrl_statefulset = {
    .name = "statefulset-controller",
    .group = "apps",
    .kind = "StatefulSet",
    .reconcile = reconcile,
    .enabled = disabled,
};
