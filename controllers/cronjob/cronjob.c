/*
 * cronjob.c - the CronJob controller (placeholder until it is written).
 */
#include "k1s_ctrl.h"

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)c;
    (void)state;
    (void)ns;
    (void)name;
    return 0;
}

const k1s_controller_def k1s__ctrl_cronjob = {
    .name = "cronjob-controller",
    .group = "batch",
    .kind = "CronJob",
    .reconcile = reconcile,
};
