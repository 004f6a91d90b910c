/*
 * admit_classes.c - two admission plugins of a default kube-apiserver
 * that resolve a class named (or not) by a created object:
 * DefaultIngressClass (an Ingress naming no class gets the default
 * IngressClass, the newest when several are marked) and RuntimeClass (a
 * pod's runtimeClassName must exist; its overhead and scheduling
 * constraints are copied into the pod, conflicts refused with kube's 403).
 * Both run inside the create's write transaction.
 */
#include "api_internal.h"
#include "k1s_json.h"
#include "strategy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int forbidden(k1s_status *st, const char *plural, const json_t *obj, const char *why)
{
    const char *name = k1s_meta(obj, "name");
    k1s_status_set(st, 403, "Forbidden", "%s \"%s\" is forbidden: %s", plural, name ? name : "",
                   why);
    k1s_status_details(st, name ? name : "", "", plural);
    return -1;
}

/* ---- DefaultIngressClass ---------------------------------------------------------- */

typedef struct newest {
    char name[256];
    char created[32];
} newest;

static int consider_class(void *ctx, const char *ns, const char *name, const char *text, size_t len,
                          int64_t rev)
{
    newest *n = ctx;
    (void)ns;
    (void)rev;
    json_t *ic = k1s_json_load(text, len, NULL); /* new */
    const char *mark = k1s_meta_annotation(ic, "ingressclass.kubernetes.io/is-default-class");
    const char *created = k1s_meta(ic, "creationTimestamp");
    if (mark && !strcmp(mark, "true") && created &&
        (!*n->name || strcmp(created, n->created) > 0)) {
        snprintf(n->name, sizeof n->name, "%s", name);
        snprintf(n->created, sizeof n->created, "%s", created);
    }
    json_decref(ic);
    return 0;
}

int k1s__ingress_default_class(struct k1s_api *api, json_t *ing, const json_t *old, k1s_status *st)
{
    json_t *spec = k1s__ensure_obj(ing, "spec");
    /* the class is the client's choice when named either way */
    if (old || k1s__has(spec, "ingressClassName") ||
        k1s_meta_annotation(ing, "kubernetes.io/ingress.class"))
        return 0;
    newest n = {"", ""};
    int64_t list_rev = 0;
    int more = 0;
    if (k1s_store_list(api->store, "networking.k8s.io", "ingressclasses", NULL, NULL, NULL, 0,
                       consider_class, &n, &list_rev, &more) < 0)
        return k1s_err_internal(st, "failed to list ingress classes");
    if (*n.name)
        json_object_set_new(spec, "ingressClassName", json_string(n.name));
    return 0;
}

/* ---- RuntimeClass ------------------------------------------------------------------ */

/* kube's mergeNodeSelector and mergeTolerations for the class's
 * scheduling; 0 or -1 with why. */
static int merge_scheduling(json_t *spec, const json_t *sched, char *why, size_t len)
{
    const char *k;
    const json_t *v;
    json_t *sel = NULL;
    json_object_foreach((json_t *)json_object_get(sched, "nodeSelector"), k, v)
    {
        if (!sel)
            sel = k1s__ensure_obj(spec, "nodeSelector");
        const json_t *have = json_object_get(sel, k);
        if (have && !json_equal((json_t *)have, (json_t *)v)) {
            snprintf(why, len,
                     "pod rejected: conflict: runtimeClass.scheduling.nodeSelector[%.64s] = %.64s; "
                     "pod.spec.nodeSelector[%.64s] = %.64s",
                     k, json_string_value(v), k, json_string_value(have));
            return -1;
        }
        json_object_set(sel, k, (json_t *)v);
    }
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(sched, "tolerations"), i, t)
    {
        json_t *tols = json_object_get(spec, "tolerations");
        bool dup = false;
        size_t j;
        const json_t *u;
        json_array_foreach(tols, j, u) if (json_equal((json_t *)u, (json_t *)t)) dup = true;
        if (dup)
            continue;
        if (!json_is_array(tols)) {
            tols = json_array();
            json_object_set_new(spec, "tolerations", tols);
        }
        json_array_append(tols, (json_t *)t);
    }
    return 0;
}

int k1s__pod_runtime_class(struct k1s_api *api, json_t *pod, const json_t *old, k1s_status *st)
{
    json_t *spec = k1s__ensure_obj(pod, "spec");
    const char *cls = k1s__str(spec, "runtimeClassName");
    if (old || !cls || !*cls)
        return 0;
    k1s_key key = {"node.k8s.io", "runtimeclasses", "", cls};
    char *text = NULL;
    int64_t rev = 0;
    int rc = k1s_store_get(api->store, &key, &text, &rev);
    char why[512];
    if (rc == K1S_ENOTFOUND) {
        snprintf(why, sizeof why, "pod rejected: RuntimeClass \"%.253s\" not found", cls);
        return forbidden(st, "pods", pod, why);
    }
    if (rc)
        return k1s_err_internal(st, "failed to read the runtime class");
    json_t *rtc = k1s_json_load(text, strlen(text), NULL); /* new */
    free(text);
    const json_t *fixed = json_object_get(json_object_get(rtc, "overhead"), "podFixed");
    const json_t *have = json_object_get(spec, "overhead");
    rc = 0;
    if (fixed) {
        if (have && !k1s_json_semantic_equal(have, fixed)) {
            rc = forbidden(st, "pods", pod,
                           "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined "
                           "Overhead");
        } else {
            json_object_set(spec, "overhead", (json_t *)fixed);
        }
    } else if (have) {
        rc = forbidden(st, "pods", pod,
                       "pod rejected: Pod Overhead set without corresponding RuntimeClass defined "
                       "Overhead");
    }
    if (rc == 0 && merge_scheduling(spec, json_object_get(rtc, "scheduling"), why, sizeof why))
        rc = forbidden(st, "pods", pod, why);
    json_decref(rtc);
    return rc;
}
