/*
 * serviceaccount.c - the serviceaccounts controller, as
 * kube-controller-manager's: every active namespace has a ServiceAccount
 * named "default", created with the namespace and again whenever it is
 * deleted. Namespaces being deleted are left alone (the API refuses new
 * content in them anyway).
 */
#include "k1s_ctrl.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_SA "default"

static int reconcile(k1s_ctrl *c, void *state, const char *unused, const char *name)
{
    (void)state;
    (void)unused;
    k1s_informer *nsi = k1s_ctrl_informer(c, "", "Namespace");
    k1s_informer *sai = k1s_ctrl_informer(c, "", "ServiceAccount");
    const json_t *ns = nsi ? k1s_informer_get(nsi, "", name) : NULL;
    if (!ns || !sai)
        return 0;
    const json_t *m = json_object_get(ns, "metadata");
    const char *phase = json_string_value(json_object_get(json_object_get(ns, "status"), "phase"));
    if (json_object_get(m, "deletionTimestamp") || (phase && strcmp(phase, "Active")))
        return 0;
    if (k1s_informer_get(sai, name, DEFAULT_SA))
        return 0;
    json_t *sa = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "ServiceAccount",
                           "metadata", "name", DEFAULT_SA, "namespace", name); /* new */
    k1s_target t = {k1s_registry_find_kind("", "ServiceAccount"), name, DEFAULT_SA, NULL};
    k1s_status st = {0};
    json_t *out = NULL; /* new */
    int rc = 0;
    if (k1s_api_create(k1s_ctrl_api(c), &t, sa, NULL, &out, &st)) {
        /* 409: the cache had not seen it yet; 403/404: the namespace is
         * going, which its own events tell us */
        if (st.code != 409 && st.code != 403 && st.code != 404) {
            fprintf(stderr, "k1s: serviceaccount-controller: create %s/%s: %s\n", name, DEFAULT_SA,
                    st.message ? st.message : "?");
            rc = -1;
        }
        k1s_status_clear(&st);
    }
    json_decref(out);
    json_decref(sa);
    return rc;
}

/* The default ServiceAccount went: make it again. */
static void sa_changed(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *m = json_object_get(obj ? obj : old, "metadata");
    const char *name = json_string_value(json_object_get(m, "name"));
    if (obj || !name || strcmp(name, DEFAULT_SA))
        return;
    k1s_ctrl_enqueue(c, id, "", json_string_value(json_object_get(m, "namespace")));
}

const k1s_controller_def k1s__ctrl_serviceaccount = {
    .name = "serviceaccount-controller",
    .group = "",
    .kind = "Namespace",
    .reconcile = reconcile,
    .watches = {{"", "ServiceAccount", sa_changed}},
};
