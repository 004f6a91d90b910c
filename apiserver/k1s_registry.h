/*
 * k1s_registry.h - the one table of served kinds. Routing, discovery, OpenAPI
 * paths and the generic store are all driven by its rows; adding a kind is a
 * row here plus its strategy (defaults, validation) and its table columns.
 */
#ifndef K1S_REGISTRY_H
#define K1S_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "k1s_names.h"
#include "k1s_status.h"

struct k1s_api;

/* Per-kind behaviour. Every hook is optional. Objects are borrowed and may
 * be modified in place where the hook says so. */
typedef struct k1s_strategy {
    /* Conditional defaults the schema cannot express (static ones come from
     * the schema). Runs on create and update, after static defaults. */
    void (*defaults)(json_t *obj);
    /* Reset what a client may not set on create (e.g. status). */
    void (*prepare_create)(json_t *obj);
    /* Carry over or stamp what an update must keep (e.g. allocated
     * addresses a replace left out); obj is the new object. */
    void (*prepare_update)(json_t *obj, const json_t *old);
    /* Kind-specific validation. old is NULL on create. Append to fe. */
    void (*validate)(const json_t *obj, const json_t *old, k1s_ferrs *fe);
    /* Runs inside the write transaction after validation: allocations that
     * must see every other object (Service IPs and ports). old is NULL on
     * create. Return 0 or fill st and return -1. */
    int (*allocate)(struct k1s_api *api, json_t *obj, const json_t *old, k1s_status *st);
    /* Whether an object marked for deletion must stay even with no
     * metadata.finalizers left: a namespace until its spec.finalizers are
     * done, a pod until its kubelet has stopped it (grace period > 0).
     * NULL: it goes with its last finalizer. */
    bool (*deletion_held)(const json_t *obj);
    /* Seconds a delete waits before the object may go (a pod's grace
     * period; requested: the client's gracePeriodSeconds or -1). NULL: 0. */
    long long (*deletion_grace)(const json_t *obj, long long requested);
    /* Runs on the copy being marked for deletion; true when the object
     * must stay for now (a namespace with spec.finalizers turns
     * Terminating). */
    bool (*prepare_delete)(json_t *obj);
    /* Refuse a delete before anything is read (kube's admission, e.g. the
     * namespaces that may never go). Return 0 or fill st and return -1. */
    int (*admit_delete)(const char *name, k1s_status *st);
    /* Field selector support: the field names this kind accepts besides
     * metadata.name and metadata.namespace (NULL-terminated). */
    const char *const *field_labels;
    /* How metadata.name (and generateName) is checked, kube's per-kind
     * name validation: the zero value is a DNS-1123 subdomain. */
    k1s_name_rule name_rule;
    /* ObjectMeta keeps the legacy rules: only the namespace is checked
     * (core/v1 Events). */
    bool legacy_meta;
    /* The propagationPolicy of a delete that names none (kube's
     * DefaultGarbageCollectionPolicy; NULL: Background) and the warning
     * such a delete gets (NULL: none). */
    const char *default_propagation, *default_propagation_warning;
} k1s_strategy;

/* What a subresource is, and so which code serves it. */
typedef enum {
    K1S_SUBR_STATUS,   /* the object; a write through it changes its status */
    K1S_SUBR_SCALE,    /* an autoscaling/v1 Scale view of the replicas */
    K1S_SUBR_BINDING,  /* POST a core/v1 Binding (pods/binding) */
    K1S_SUBR_EVICTION, /* POST a policy/v1 Eviction (pods/eviction) */
    K1S_SUBR_CONNECT,  /* a stream to the node: exec, attach, portforward */
    K1S_SUBR_LOG,      /* a container's log, read on the node */
} k1s_subr_type;

/* One subresource of a kind, as discovery lists it and the API serves it.
 * Kinds share these rows (registry.c). */
typedef struct k1s_subresource {
    const char *name; /* "status", "scale", "exec", ... */
    k1s_subr_type type;
    /* The kind a request or answer carries, as discovery names it; NULL
     * group: the parent's own kind. */
    const char *group, *version, *kind;
    const char *verbs[4]; /* NULL-terminated */
    /* K1S_SUBR_STATUS: kube's status strategy, the hooks a write through
     * the subresource runs (prepare_update, defaults, validate). NULL:
     * the kind's own strategy. */
    const struct k1s_strategy *strategy;
    /* K1S_SUBR_SCALE: dotted paths of the replicas wanted and seen, and
     * of the pods' label selector (a LabelSelector object, or a selector
     * string as custom resources keep it). */
    const char *spec_replicas, *status_replicas, *selector;
} k1s_subresource;

typedef struct k1s_kind {
    const char *group; /* "" for core */
    const char *version;
    const char *kind;
    const char *plural;
    const char *singular;
    const char *short_names[4]; /* NULL-terminated */
    bool namespaced;
    bool in_all;   /* member of the "all" category */
    bool has_spec; /* metadata.generation is set, and bumped on
                             spec changes (kube does so for workloads) */
    /* A delete that removes the object answers with the object rather
     * than a Status (kube's ReturnDeletedObject: pods, services). */
    bool return_deleted;
    const k1s_strategy *strategy;
    /* Its subresources, in discovery order, ended by a NULL name; NULL:
     * none. */
    const k1s_subresource *subresources;
} k1s_kind;

/* Every served kind, in discovery order. */
const k1s_kind *k1s_registry_kinds(size_t *n);
/* By group, version and plural (the URL form); NULL if not served. */
const k1s_kind *k1s_registry_find(const char *group, const char *version, const char *plural);
/* By group and Kind; NULL if not served. */
const k1s_kind *k1s_registry_find_kind(const char *group, const char *kind);
/* The apiVersion string of a kind ("v1" or "apps/v1") into buf. */
void k1s_kind_api_version(const k1s_kind *k, char *buf, size_t len);
/* A kind's subresource by name, or NULL. */
const k1s_subresource *k1s_kind_subresource(const k1s_kind *k, const char *name);
/* Its first subresource of type t, or NULL. */
const k1s_subresource *k1s_kind_subresource_of(const k1s_kind *k, k1s_subr_type t);
/* Check the table at start-up: plurals unique, and every kind has a
 * strategy, a schema and table columns, every subresource what its type
 * needs. 0, or -1 with the first problem in err. */
int k1s_registry_check(char *err, size_t errlen);

/* Strategies, defined next to their kinds (strategy_<group>.c). */
extern const k1s_strategy k1s__strategy_namespace, k1s__strategy_pod, k1s__strategy_service,
    k1s__strategy_endpoints, k1s__strategy_configmap, k1s__strategy_secret,
    k1s__strategy_serviceaccount, k1s__strategy_node, k1s__strategy_event, k1s__strategy_pv,
    k1s__strategy_pvc, k1s__strategy_statefulset, k1s__strategy_deployment,
    k1s__strategy_replicaset, k1s__strategy_daemonset, k1s__strategy_controllerrevision,
    k1s__strategy_storageclass, k1s__strategy_endpointslice, k1s__strategy_lease,
    k1s__strategy_events_event, k1s__strategy_replicationcontroller, k1s__strategy_podtemplate,
    k1s__strategy_resourcequota, k1s__strategy_limitrange, k1s__strategy_job, k1s__strategy_cronjob,
    k1s__strategy_pdb, k1s__strategy_ingress, k1s__strategy_ingressclass,
    k1s__strategy_networkpolicy, k1s__strategy_servicecidr, k1s__strategy_ipaddress,
    k1s__strategy_priorityclass, k1s__strategy_runtimeclass, k1s__strategy_csidriver,
    k1s__strategy_csinode, k1s__strategy_csistoragecapacity, k1s__strategy_volumeattachment,
    k1s__strategy_hpa, k1s__strategy_hpa_status, k1s__strategy_flowschema,
    k1s__strategy_prioritylevelconfiguration;

/* kube's bootstrap FlowSchemas and PriorityLevelConfigurations, created
 * when absent (bootstrap_flowcontrol.c). 0, or -1 with err. */
int k1s_api_bootstrap_flowcontrol(struct k1s_api *api, char *err, size_t errlen);

#endif
