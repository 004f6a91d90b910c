/*
 * bootstrap.c - what exists after the first start of every cluster: the
 * system namespaces, the `kubernetes` service, the system-node-critical and
 * system-cluster-critical PriorityClasses, and unless turned off the
 * default StorageClass. Idempotent: later starts find them and change
 * nothing.
 */
#include <stdio.h>
#include <string.h>

#include "bootstrap_internal.h"

int k1s__bootstrap_ensure(k1s_api *api, const k1s_kind *k, const char *ns, json_t *obj,
                          bool *created, char *err, size_t errlen)
{
    if (created)
        *created = false;
    if (!obj) {
        snprintf(err, errlen, "bootstrap of %s: out of memory", k->kind);
        return -1;
    }
    k1s_target t = {
        k, ns, json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")), NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = 0;
    if (k1s_api_get(api, &t, &out, &st) == 0) {
        json_decref(out);
    } else if (st.code == 404) {
        k1s_status_clear(&st);
        if (k1s_api_create(api, &t, obj, NULL, &out, &st) == 0) {
            json_decref(out);
            if (created)
                *created = true;
        } else {
            rc = -1;
        }
    } else {
        rc = -1;
    }
    if (rc)
        snprintf(err, errlen, "bootstrap of %s %s failed: %s", k->kind, t.name,
                 st.message ? st.message : "unknown error");
    k1s_status_clear(&st);
    json_decref(obj);
    return rc;
}

int k1s_api_bootstrap(k1s_api *api, int api_port, char *err, size_t errlen)
{
    static const char *const namespaces[] = {"default", "kube-system", "kube-public",
                                             "kube-node-lease", NULL};
    const k1s_kind *nsk = k1s_registry_find_kind("", "Namespace");
    for (const char *const *n = namespaces; *n; n++)
        if (k1s__bootstrap_ensure(api, nsk, "",
                                  json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind",
                                            "Namespace", "metadata", "name", *n),
                                  NULL, err, errlen))
            return -1;
    /* the classes kube-apiserver's scheduling post-start hook makes */
    static const struct {
        const char *name, *description;
        long long value;
    } classes[] = {
        {"system-node-critical",
         "Used for system critical pods that must not be moved from their current node.",
         2000001000},
        {"system-cluster-critical",
         "Used for system critical pods that must run in the cluster, but can be moved to another "
         "node if necessary.",
         2000000000},
    };
    const k1s_kind *pck = k1s_registry_find_kind("scheduling.k8s.io", "PriorityClass");
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
        if (k1s__bootstrap_ensure(
                api, pck, "",
                json_pack("{s:s, s:s, s:{s:s}, s:I, s:s}", "apiVersion", "scheduling.k8s.io/v1",
                          "kind", "PriorityClass", "metadata", "name", classes[i].name, "value",
                          (json_int_t)classes[i].value, "description", classes[i].description),
                NULL, err, errlen))
            return -1;
    json_t *svc =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:s, s:[{s:s, s:i, s:s, s:i}]}}",
                  "apiVersion", "v1", "kind", "Service", "metadata", "name", "kubernetes",
                  "namespace", "default", "labels", "component", "apiserver", "provider",
                  "kubernetes", "spec", "type", "ClusterIP", "clusterIP", "10.96.0.1", "ports",
                  "name", "https", "port", 443, "protocol", "TCP", "targetPort", api_port);
    return k1s__bootstrap_ensure(api, k1s_registry_find_kind("", "Service"), "default", svc, NULL,
                                 err, errlen);
}

int k1s_api_bootstrap_storage_class(k1s_api *api, char *err, size_t errlen)
{
    /* Docker Desktop's class, so manifests written for it bind as they do */
    json_t *sc = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:s, s:s, s:s}", "apiVersion",
                           "storage.k8s.io/v1", "kind", "StorageClass", "metadata", "name",
                           "hostpath", "annotations", "storageclass.kubernetes.io/is-default-class",
                           "true", "provisioner", "docker.io/hostpath", "reclaimPolicy", "Delete",
                           "volumeBindingMode", "Immediate");
    return k1s__bootstrap_ensure(api, k1s_registry_find_kind("storage.k8s.io", "StorageClass"), "",
                                 sc, NULL, err, errlen);
}
