/*
 * job_ttl.c - the ttl-after-finished-controller, as kube's
 * pkg/controller/ttlafterfinished: a finished Job with
 * spec.ttlSecondsAfterFinished is deleted (propagation Foreground, so its
 * pods go first; precondition on its uid) that many seconds after it
 * completed or failed.
 */
#include "job_internal.h"

#include <string.h>

/* When the Job finished (epoch s), or -1. */
static int64_t finish_time(const json_t *job)
{
    const json_t *st = json_object_get(job, "status");
    static const char *const types[] = {"Complete", "Failed", NULL};
    for (const char *const *t = types; *t; t++) {
        const json_t *c = job_find_condition(st, *t);
        const char *s = k1s_json_str(c, "status");
        if (s && !strcmp(s, "True")) {
            if (!strcmp(*t, "Complete") && json_object_get(st, "completionTime"))
                return k1s__wl_parse_time(k1s_json_str(st, "completionTime"));
            return k1s__wl_parse_time(k1s_json_str(c, "lastTransitionTime"));
        }
    }
    return -1;
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)state;
    k1s_informer *ji = k1s_ctrl_informer(c, "batch", "Job");
    const json_t *job = ji ? k1s_informer_get(ji, ns, name) : NULL;
    if (!job || k1s__wl_deleting(job))
        return 0;
    const json_t *ttl = json_object_get(json_object_get(job, "spec"), "ttlSecondsAfterFinished");
    int64_t done = finish_time(job);
    if (!json_is_integer(ttl) || done < 0)
        return 0;
    int64_t left = done + json_integer_value(ttl) - k1s_time_now();
    if (left > 0)
        /* a long wait is cut into hours: the loop's delays are ints */
        return (int)(left > 3600 ? 3600000 : left * 1000 + 10);
    int rc =
        k1s_ctrl_delete_propagate(c, "batch", "Job", ns, name, -1, k1s__wl_uid(job), "Foreground");
    return rc == 0 || rc == 404 || rc == 409 ? 0 : -1;
}

const k1s_controller_def k1s__ctrl_ttl_after_finished = {
    .name = "ttl-after-finished-controller",
    .group = "batch",
    .kind = "Job",
    .reconcile = reconcile,
};
