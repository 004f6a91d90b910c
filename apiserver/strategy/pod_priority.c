/*
 * pod_priority.c - kube's Priority admission: a pod created with
 * spec.priorityClassName gets that PriorityClass's value and preemption
 * policy; one without gets the global default class (the lowest value
 * among those marked globalDefault), else priority 0 and
 * PreemptLowerPriority. A pod that states a priority or a preemption
 * policy other than the class's is refused, as kube refuses it. It runs
 * inside the create's write transaction, so the classes it reads are the
 * committed ones.
 */
#include "api_internal.h"
#include "k1s_json.h"
#include "strategy_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct priority_pick {
    const char *want; /* the class asked for, or NULL: the global default */
    json_t *found;    /* new reference once found */
} priority_pick;

static int consider(void *ctx, const char *ns, const char *name, const char *text, size_t len,
                    int64_t rev)
{
    priority_pick *p = ctx;
    (void)ns;
    (void)rev;
    if (p->want && strcmp(name, p->want) != 0)
        return 0;
    json_t *pc = k1s_json_load(text, len, NULL); /* new */
    if (!pc)
        return 0;
    if (p->want) {
        p->found = pc;
        return 1;
    }
    long long v = k1s_json_int(pc, "value", 0);
    if (json_is_true(json_object_get(pc, "globalDefault")) &&
        (!p->found || v < k1s_json_int(p->found, "value", 0))) {
        json_decref(p->found);
        p->found = pc;
    } else {
        json_decref(pc);
    }
    return 0;
}

static int forbidden(k1s_status *st, const json_t *pod, const char *why)
{
    const char *name = k1s_meta(pod, "name");
    k1s_status_set(st, 403, "Forbidden", "pods \"%s\" is forbidden: %s", name ? name : "", why);
    k1s_status_details(st, name ? name : "", "", "pods");
    return -1;
}

int k1s__pod_priority(struct k1s_api *api, json_t *pod, const json_t *old, k1s_status *st)
{
    if (old)
        return 0; /* priority is immutable: validation sees to updates */
    json_t *spec = k1s__ensure_obj(pod, "spec");
    const char *cls = k1s__str(spec, "priorityClassName");
    priority_pick p = {cls && *cls ? cls : NULL, NULL};
    int64_t list_rev = 0;
    int more = 0;
    if (k1s_store_list(api->store, "scheduling.k8s.io", "priorityclasses", NULL, NULL, NULL, 0,
                       consider, &p, &list_rev, &more) < 0) {
        json_decref(p.found);
        return k1s_err_internal(st, "failed to list priority classes");
    }
    char why[512];
    if (p.want && !p.found) {
        snprintf(why, sizeof why, "no PriorityClass with name %.253s was found", p.want);
        return forbidden(st, pod, why);
    }
    long long priority = p.found ? k1s_json_int(p.found, "value", 0) : 0;
    const char *policy = p.found ? k1s__str(p.found, "preemptionPolicy") : NULL;
    if (!policy)
        policy = "PreemptLowerPriority";
    int rc = 0;
    const json_t *given = json_object_get(spec, "priority");
    const char *given_policy = k1s__str(spec, "preemptionPolicy");
    if (json_is_integer(given) && json_integer_value(given) != priority) {
        snprintf(why, sizeof why,
                 "the integer value of priority (%lld) must not be provided in pod spec; priority "
                 "admission controller computed %lld from the given PriorityClass name",
                 (long long)json_integer_value(given), priority);
        rc = forbidden(st, pod, why);
    } else if (given_policy && strcmp(given_policy, policy) != 0) {
        snprintf(why, sizeof why,
                 "the string value of PreemptionPolicy (%.64s) must not be provided in pod spec; "
                 "priority admission controller computed %.64s from the given PriorityClass name",
                 given_policy, policy);
        rc = forbidden(st, pod, why);
    } else {
        if (p.found && !p.want)
            json_object_set_new(spec, "priorityClassName", json_string(k1s_meta(p.found, "name")));
        json_object_set_new(spec, "priority", json_integer(priority));
        json_object_set_new(spec, "preemptionPolicy", json_string(policy));
    }
    json_decref(p.found);
    return rc;
}
