/*
 * daemonset_update.c - the RollingUpdate strategy of kube's daemon
 * controller (update.go rollingUpdate): without surge, old pods are
 * deleted while the unavailable ones stay within maxUnavailable (the
 * manage loop then makes new ones); with maxSurge, a new pod is started
 * next to an old one and the old one goes once the new one is available.
 */
#include "daemonset_internal.h"

#include <string.h>

static const json_t *update_strategy(const json_t *ds)
{
    return json_object_get(json_object_get(ds, "spec"), "updateStrategy");
}

void k1s__ds_counts(const json_t *ds, long long desired, long long *surge, long long *unavailable)
{
    *surge = *unavailable = 0;
    const json_t *us = update_strategy(ds);
    const char *type = json_string_value(json_object_get(us, "type"));
    const json_t *ru = json_object_get(us, "rollingUpdate");
    if (type && !strcmp(type, "RollingUpdate") && ru) {
        if (k1s__wl_scaled(json_object_get(ru, "maxSurge"), desired, true, surge))
            *surge = 0;
        if (k1s__wl_scaled(json_object_get(ru, "maxUnavailable"), desired, true, unavailable))
            *unavailable = 0;
    }
    /* neither surge nor unavailability: kube allows one unavailable */
    if (desired > 0 && *surge == 0 && *unavailable == 0)
        *unavailable = 1;
}

/* kube's findUpdatedPodsOnNode: the node's one new and one old pod (not
 * being deleted); false when there are more of either. */
static bool new_and_old(const json_t *pods, const char *hash, long long gen, const json_t **newp,
                        const json_t **oldp)
{
    *newp = *oldp = NULL;
    size_t i;
    const json_t *p;
    json_array_foreach(pods, i, p)
    {
        if (k1s__wl_deleting(p))
            continue;
        const json_t **slot = k1s__ds_pod_updated(p, hash, gen) ? newp : oldp;
        if (*slot)
            return false;
        *slot = p;
    }
    return true;
}

void k1s__ds_rolling(const json_t *ds, const json_t *nodes, const json_t *by_node, const char *hash,
                     json_t *del, json_t *create)
{
    long long min_ready = k1s_json_int(ds, "spec.minReadySeconds", 0);
    long long gen = k1s__ds_template_generation(ds);
    int64_t now = k1s_time_now();
    long long desired = 0;
    size_t i;
    const json_t *node;
    json_array_foreach(nodes, i, node)
    {
        bool run, keep;
        k1s__ds_should_run(node, ds, &run, &keep);
        desired += run;
    }
    long long surge, unavailable;
    k1s__ds_counts(ds, desired, &surge, &unavailable);
    const char *name;
    const json_t *pods;
    if (surge == 0) {
        long long n_unavail = 0;
        json_t *replace = json_array(), *candidates = json_array(); /* new */
        json_object_foreach((json_t *)by_node, name, pods)
        {
            const json_t *np, *op;
            if (!new_and_old(pods, hash, gen, &np, &op)) {
                n_unavail++; /* the manage loop sorts this node out */
                continue;
            }
            if ((!op && !np) || (op && np)) {
                n_unavail++;
            } else if (np) {
                if (!k1s__wl_pod_available(np, min_ready, now))
                    n_unavail++;
            } else if (!k1s__wl_pod_available(op, min_ready, now)) {
                json_array_append_new(replace, json_string(k1s__wl_name(op)));
            } else if (n_unavail < unavailable) {
                json_array_append_new(candidates, json_string(k1s__wl_name(op)));
            }
        }
        long long room = unavailable - n_unavail;
        if (room < 0)
            room = 0;
        if (room > (long long)json_array_size(candidates))
            room = (long long)json_array_size(candidates);
        json_array_extend(del, replace);
        for (long long k = 0; k < room; k++)
            json_array_append(del, json_array_get(candidates, (size_t)k));
        json_decref(replace);
        json_decref(candidates);
        return;
    }
    long long n_surge = 0;
    json_t *allowed = json_array(), *candidates = json_array(); /* new */
    json_object_foreach((json_t *)by_node, name, pods)
    {
        const json_t *np, *op;
        if (!new_and_old(pods, hash, gen, &np, &op)) {
            n_surge++;
            continue;
        }
        if (!op)
            continue; /* the manage loop handles it */
        if (!np) {
            if (!k1s__wl_pod_available(op, min_ready, now))
                json_array_append_new(allowed, json_string(name));
            else if (n_surge < surge)
                json_array_append_new(candidates, json_string(name));
            continue;
        }
        if (!k1s__wl_pod_available(np, min_ready, now)) {
            n_surge++; /* waiting for the new one */
            continue;
        }
        json_array_append_new(del, json_string(k1s__wl_name(op)));
    }
    long long room = surge - n_surge;
    if (room < 0)
        room = 0;
    if (room > (long long)json_array_size(candidates))
        room = (long long)json_array_size(candidates);
    json_array_extend(create, allowed);
    for (long long k = 0; k < room; k++)
        json_array_append(create, json_array_get(candidates, (size_t)k));
    json_decref(allowed);
    json_decref(candidates);
}
