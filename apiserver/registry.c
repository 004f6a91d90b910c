/*
 * registry.c - the table of served kinds (see k1s_registry.h). Routing,
 * discovery and OpenAPI iterate this table; nothing else lists kinds.
 */
#include "k1s_registry.h"

#include <stdio.h>
#include <string.h>

#include "k1s_schema.h"
#include "k1s_tables.h"

/* ---- subresources: rows the kinds share -------------------------------------- */

/* The rows read as a table */
/* clang-format off */
#define STATUS {"status", K1S_SUBR_STATUS, NULL, NULL, NULL, {"get", "patch", "update"}, NULL, \
                NULL, NULL, NULL}
/* the workloads' Scale: spec.replicas, status.replicas, spec.selector */
#define SCALE {"scale", K1S_SUBR_SCALE, "autoscaling", "v1", "Scale", {"get", "patch", "update"}, \
               NULL, "spec.replicas", "status.replicas", "spec.selector"}
#define END {NULL, 0, NULL, NULL, NULL, {NULL}, NULL, NULL, NULL, NULL}

static const k1s_subresource status_only[] = {STATUS, END};
static const k1s_subresource scale_status[] = {SCALE, STATUS, END};
/* kube's HPA status strategy checks only the status counts */
static const k1s_subresource hpa_status[] = {
    {"status", K1S_SUBR_STATUS, NULL, NULL, NULL, {"get", "patch", "update"},
     &k1s__strategy_hpa_status, NULL, NULL, NULL},
    END,
};
static const k1s_subresource pod_subresources[] = {
    {"attach", K1S_SUBR_CONNECT, "", "v1", "PodAttachOptions", {"create", "get"}, NULL, NULL,
     NULL, NULL},
    {"binding", K1S_SUBR_BINDING, "", "v1", "Binding", {"create"}, NULL, NULL, NULL, NULL},
    {"eviction", K1S_SUBR_EVICTION, "policy", "v1", "Eviction", {"create"}, NULL, NULL, NULL,
     NULL},
    {"exec", K1S_SUBR_CONNECT, "", "v1", "PodExecOptions", {"create", "get"}, NULL, NULL, NULL,
     NULL},
    {"log", K1S_SUBR_LOG, "", "v1", "Pod", {"get"}, NULL, NULL, NULL, NULL},
    {"portforward", K1S_SUBR_CONNECT, "", "v1", "PodPortForwardOptions", {"create", "get"}, NULL,
     NULL, NULL, NULL},
    STATUS,
    END,
};

/* ---- the kinds ------------------------------------------------------------------ */

static const k1s_kind kinds[] = {
    /* group, version, kind, plural, singular, short names, namespaced,
       in "all", metadata.generation tracked, delete returns the object,
       strategy, subresources */
    {"", "v1", "Namespace", "namespaces", "namespace", {"ns"}, false, false, false, false,
     &k1s__strategy_namespace, status_only},
    {"", "v1", "Pod", "pods", "pod", {"po"}, true, true, true, true, &k1s__strategy_pod,
     pod_subresources},
    {"", "v1", "Service", "services", "service", {"svc"}, true, true, false, true,
     &k1s__strategy_service, status_only},
    {"", "v1", "Endpoints", "endpoints", "endpoints", {"ep"}, true, false, false, false,
     &k1s__strategy_endpoints, NULL},
    {"", "v1", "ConfigMap", "configmaps", "configmap", {"cm"}, true, false, false, false,
     &k1s__strategy_configmap, NULL},
    {"", "v1", "Secret", "secrets", "secret", {NULL}, true, false, false, false,
     &k1s__strategy_secret, NULL},
    {"", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", {"sa"}, true, false, false,
     false, &k1s__strategy_serviceaccount, NULL},
    {"", "v1", "Node", "nodes", "node", {"no"}, false, false, false, false, &k1s__strategy_node,
     status_only},
    {"", "v1", "Event", "events", "event", {"ev"}, true, false, false, false,
     &k1s__strategy_event, NULL},
    {"", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", {"pv"}, false, false,
     false, false, &k1s__strategy_pv, status_only},
    {"", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim",
     {"pvc"}, true, false, false, false, &k1s__strategy_pvc, status_only},
    {"", "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller",
     {"rc"}, true, true, true, false, &k1s__strategy_replicationcontroller, scale_status},
    {"", "v1", "PodTemplate", "podtemplates", "podtemplate", {NULL}, true, false, false, false,
     &k1s__strategy_podtemplate, NULL},
    {"", "v1", "ResourceQuota", "resourcequotas", "resourcequota", {"quota"}, true, false, false,
     false, &k1s__strategy_resourcequota, status_only},
    {"", "v1", "LimitRange", "limitranges", "limitrange", {"limits"}, true, false, false, false,
     &k1s__strategy_limitrange, NULL},
    {"apps", "v1", "StatefulSet", "statefulsets", "statefulset", {"sts"}, true, true, true, false,
     &k1s__strategy_statefulset, scale_status},
    {"apps", "v1", "Deployment", "deployments", "deployment", {"deploy"}, true, true, true, false,
     &k1s__strategy_deployment, scale_status},
    {"apps", "v1", "ReplicaSet", "replicasets", "replicaset", {"rs"}, true, true, true, false,
     &k1s__strategy_replicaset, scale_status},
    {"apps", "v1", "DaemonSet", "daemonsets", "daemonset", {"ds"}, true, true, true, false,
     &k1s__strategy_daemonset, status_only},
    {"apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", {NULL},
     true, false, false, false, &k1s__strategy_controllerrevision, NULL},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
     "horizontalpodautoscaler", {"hpa"}, true, true, false, false, &k1s__strategy_hpa, hpa_status},
    {"batch", "v1", "Job", "jobs", "job", {NULL}, true, true, true, false, &k1s__strategy_job,
     status_only},
    {"batch", "v1", "CronJob", "cronjobs", "cronjob", {"cj"}, true, true, true, false,
     &k1s__strategy_cronjob, status_only},
    {"policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget",
     {"pdb"}, true, false, true, false, &k1s__strategy_pdb, status_only},
    {"networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", {"ing"}, true, false, true,
     false, &k1s__strategy_ingress, status_only},
    {"networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", {NULL}, false,
     false, true, false, &k1s__strategy_ingressclass, NULL},
    {"networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "networkpolicy",
     {"netpol"}, true, false, true, false, &k1s__strategy_networkpolicy, NULL},
    {"networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", "servicecidr", {NULL}, false,
     false, false, false, &k1s__strategy_servicecidr, status_only},
    {"networking.k8s.io", "v1", "IPAddress", "ipaddresses", "ipaddress", {"ip"}, false, false,
     false, false, &k1s__strategy_ipaddress, NULL},
    {"scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass", {"pc"},
     false, false, false, false, &k1s__strategy_priorityclass, NULL},
    {"node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", "runtimeclass", {NULL}, false, false,
     false, false, &k1s__strategy_runtimeclass, NULL},
    {"storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", {"sc"}, false,
     false, false, false, &k1s__strategy_storageclass, NULL},
    {"storage.k8s.io", "v1", "CSIDriver", "csidrivers", "csidriver", {NULL}, false, false, false,
     false, &k1s__strategy_csidriver, NULL},
    {"storage.k8s.io", "v1", "CSINode", "csinodes", "csinode", {NULL}, false, false, false,
     false, &k1s__strategy_csinode, NULL},
    {"storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities",
     "csistoragecapacity", {NULL}, true, false, false, false, &k1s__strategy_csistoragecapacity,
     NULL},
    {"storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", "volumeattachment", {NULL},
     false, false, false, false, &k1s__strategy_volumeattachment, status_only},
    {"discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", {NULL}, true,
     false, false, false, &k1s__strategy_endpointslice, NULL},
    {"coordination.k8s.io", "v1", "Lease", "leases", "lease", {NULL}, true, false, false, false,
     &k1s__strategy_lease, NULL},
    {"events.k8s.io", "v1", "Event", "events", "event", {"ev"}, true, false, false, false,
     &k1s__strategy_events_event, NULL},
    {"flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", "flowschemas", "flowschema", {NULL},
     false, false, true, false, &k1s__strategy_flowschema, status_only},
    {"flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration",
     "prioritylevelconfigurations", "prioritylevelconfiguration", {NULL}, false, false, true,
     false, &k1s__strategy_prioritylevelconfiguration, status_only},
};
/* clang-format on */

const k1s_kind *k1s_registry_kinds(size_t *n)
{
    *n = sizeof kinds / sizeof kinds[0];
    return kinds;
}

const k1s_kind *k1s_registry_find(const char *group, const char *version, const char *plural)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].group, group) && !strcmp(kinds[i].version, version) &&
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

const k1s_subresource *k1s_kind_subresource(const k1s_kind *k, const char *name)
{
    for (const k1s_subresource *sr = k->subresources; name && sr && sr->name; sr++)
        if (!strcmp(sr->name, name))
            return sr;
    return NULL;
}

const k1s_subresource *k1s_kind_subresource_of(const k1s_kind *k, k1s_subr_type t)
{
    for (const k1s_subresource *sr = k->subresources; sr && sr->name; sr++)
        if (sr->type == t)
            return sr;
    return NULL;
}

static int check_subresources(const k1s_kind *k, char *err, size_t errlen)
{
    for (const k1s_subresource *sr = k->subresources; sr && sr->name; sr++) {
        if (!sr->verbs[0]) {
            snprintf(err, errlen, "%s/%s has no verbs", k->plural, sr->name);
            return -1;
        }
        if (sr->type == K1S_SUBR_SCALE &&
            (!sr->spec_replicas || !sr->status_replicas || !sr->selector ||
             !k1s_schema_kind(sr->group, sr->version, sr->kind))) {
            snprintf(err, errlen,
                     "%s/%s needs its replicas and selector paths and the Scale schema", k->plural,
                     sr->name);
            return -1;
        }
    }
    return 0;
}

int k1s_registry_check(char *err, size_t errlen)
{
    size_t n = sizeof kinds / sizeof kinds[0];
    for (size_t i = 0; i < n; i++) {
        const k1s_kind *k = &kinds[i];
        for (size_t j = i + 1; j < n; j++)
            if (!strcmp(k->group, kinds[j].group) && !strcmp(k->plural, kinds[j].plural)) {
                snprintf(err, errlen, "duplicate resource %s in group '%s'", k->plural, k->group);
                return -1;
            }
        if (!k1s_schema_kind(k->group, k->version, k->kind)) {
            snprintf(err, errlen, "no schema for %s/%s %s", k->group, k->version, k->kind);
            return -1;
        }
        if (!k->strategy) {
            snprintf(err, errlen, "no strategy for %s/%s %s", k->group, k->version, k->kind);
            return -1;
        }
        if (!k1s_table_has_columns(k->group, k->kind)) {
            snprintf(err, errlen, "no table columns for %s/%s %s", k->group, k->version, k->kind);
            return -1;
        }
        if (check_subresources(k, err, errlen))
            return -1;
    }
    return 0;
}
