/*
 * registry.c - the table of served kinds (see k1s_registry.h). Routing,
 * discovery and OpenAPI iterate this table; nothing else lists kinds.
 */
#include "k1s_registry.h"

#include <stdio.h>
#include <string.h>

#include "k1s_schema.h"

#define ST K1S_SUB_STATUS
#define SC K1S_SUB_SCALE

static const k1s_kind kinds[] = {
    /* group, version, kind, plural, singular, short names, namespaced,
       in "all", subresources, metadata.generation tracked, strategy */
    {"", "v1", "Namespace", "namespaces", "namespace", {"ns"}, false, false,
     ST, false, &k1s__strategy_namespace},
    {"", "v1", "Pod", "pods", "pod", {"po"}, true, true,
     ST | K1S_SUB_BINDING | K1S_SUB_NODE, true, &k1s__strategy_pod},
    {"", "v1", "Service", "services", "service", {"svc"}, true, true, ST, false,
     &k1s__strategy_service},
    {"", "v1", "Endpoints", "endpoints", "endpoints", {"ep"}, true, false, 0,
     false, &k1s__strategy_endpoints},
    {"", "v1", "ConfigMap", "configmaps", "configmap", {"cm"}, true, false, 0,
     false, &k1s__strategy_configmap},
    {"", "v1", "Secret", "secrets", "secret", {NULL}, true, false, 0, false,
     &k1s__strategy_secret},
    {"", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", {"sa"},
     true, false, 0, false, &k1s__strategy_serviceaccount},
    {"", "v1", "Node", "nodes", "node", {"no"}, false, false, ST, false,
     &k1s__strategy_node},
    {"", "v1", "Event", "events", "event", {"ev"}, true, false, 0, false,
     &k1s__strategy_event},
    {"", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume",
     {"pv"}, false, false, ST, false, &k1s__strategy_pv},
    {"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims",
     "persistentvolumeclaim", {"pvc"}, true, false, ST, false,
     &k1s__strategy_pvc},
    {"apps", "v1", "StatefulSet", "statefulsets", "statefulset", {"sts"}, true,
     true, ST | SC, true, &k1s__strategy_statefulset},
    {"apps", "v1", "Deployment", "deployments", "deployment", {"deploy"}, true,
     true, ST | SC, true, &k1s__strategy_deployment},
    {"apps", "v1", "ReplicaSet", "replicasets", "replicaset", {"rs"}, true,
     true, ST | SC, true, &k1s__strategy_replicaset},
    {"apps", "v1", "DaemonSet", "daemonsets", "daemonset", {"ds"}, true, true,
     ST, true, &k1s__strategy_daemonset},
    {"apps", "v1", "ControllerRevision", "controllerrevisions",
     "controllerrevision", {NULL}, true, false, 0, false,
     &k1s__strategy_controllerrevision},
    {"storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass",
     {"sc"}, false, false, 0, false, &k1s__strategy_storageclass},
    {"discovery.k8s.io", "v1", "EndpointSlice", "endpointslices",
     "endpointslice", {NULL}, true, false, 0, false,
     &k1s__strategy_endpointslice},
    {"coordination.k8s.io", "v1", "Lease", "leases", "lease", {NULL}, true,
     false, 0, false, &k1s__strategy_lease},
    {"events.k8s.io", "v1", "Event", "events", "event", {"ev"}, true, false, 0,
     false, &k1s__strategy_events_event},
};

const k1s_kind *k1s_registry_kinds(size_t *n)
{
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

const k1s_kind *k1s_registry_find(const char *group, const char *version,
                                  const char *plural)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].group, group) &&
            !strcmp(kinds[i].version, version) &&
            !strcmp(kinds[i].plural, plural))
            return &kinds[i];
    return NULL;
}

const k1s_kind *k1s_registry_find_kind(const char *group, const char *kind)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].group, group) && !strcmp(kinds[i].kind, kind))
            return &kinds[i];
    return NULL;
}

void k1s_kind_api_version(const k1s_kind *k, char *buf, size_t len)
{
    if (*k->group)
        snprintf(buf, len, "%s/%s", k->group, k->version);
    else
        snprintf(buf, len, "%s", k->version);
}

int k1s_registry_check(char *err, size_t errlen)
{
    size_t n = sizeof kinds / sizeof kinds[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            if (!strcmp(kinds[i].group, kinds[j].group) &&
                !strcmp(kinds[i].plural, kinds[j].plural)) {
                snprintf(err, errlen, "duplicate resource %s in group '%s'",
                         kinds[i].plural, kinds[i].group);
                return -1;
            }
        if (!k1s_schema_kind(kinds[i].group, kinds[i].version, kinds[i].kind)) {
            snprintf(err, errlen, "no schema for %s/%s %s", kinds[i].group,
                     kinds[i].version, kinds[i].kind);
            return -1;
        }
    }
    return 0;
}
