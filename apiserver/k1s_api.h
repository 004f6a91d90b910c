/*
 * k1s_api.h - the client interface: get/list/watch/create/update/patch/delete
 * on any served kind, in process. HTTP handlers, controllers and the kubelet
 * all go through these functions, so defaults, validation, admission checks
 * and allocation are the same whoever writes.
 *
 * Every function returns 0 on success, or -1 with *st filled with the
 * Status kube-apiserver would answer. Objects passed in are borrowed; objects
 * handed out are new references owned by the caller.
 */
#ifndef K1S_API_H
#define K1S_API_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_registry.h"
#include "k1s_status.h"
#include "k1s_store.h"

typedef struct k1s_api k1s_api;

typedef struct k1s_api_config {
    const char *db_path;              /* SQLite file, or ":memory:" */
    const char *service_cidr;         /* default "10.96.0.0/12" */
    int node_port_min, node_port_max; /* default 30000-32767 */
} k1s_api_config;

int k1s_api_open(const k1s_api_config *cfg, k1s_api **out, char **err);
void k1s_api_close(k1s_api *api);
k1s_store *k1s_api_store(k1s_api *api);

typedef enum {
    K1S_FV_IGNORE,
    K1S_FV_WARN,
    K1S_FV_STRICT,
} k1s_field_validation;

typedef enum {
    K1S_PATCH_JSON,      /* application/json-patch+json */
    K1S_PATCH_MERGE,     /* application/merge-patch+json */
    K1S_PATCH_STRATEGIC, /* application/strategic-merge-patch+json */
} k1s_patch_type;

/* What a request names. ns: "" or NULL for cluster-scoped kinds. sub: NULL,
 * "status" or "scale". All borrowed. */
typedef struct k1s_target {
    const k1s_kind *kind;
    const char *ns;
    const char *name;
    const char *sub;
} k1s_target;

/* Options of a write. Zero-initialised means kube-apiserver's defaults. */
typedef struct k1s_opts {
    bool dry_run;
    const char *field_manager;
    k1s_field_validation field_validation;
    json_t *warnings; /* borrowed array: warnings are appended, may be NULL */
    /* create/update: the body's repeated keys as field paths (borrowed
     * array of strings, may be NULL), which fieldValidation treats like
     * unknown fields, as kube's strict decoder does */
    const json_t *duplicates;
    /* delete only */
    const char *propagation; /* Background, Foreground, Orphan or NULL */
    long long grace_seconds; /* -1: not given */
    const char *precondition_uid, *precondition_rv;
} k1s_opts;

int k1s_api_get(k1s_api *api, const k1s_target *t, json_t **out, k1s_status *st);
/* The stored text as is, for answering GET without re-encoding.
 * *json is malloc'd, owned by the caller. */
int k1s_api_get_raw(k1s_api *api, const k1s_target *t, char **json, k1s_status *st);
/* out may be NULL when the caller does not want the created object. */
int k1s_api_create(k1s_api *api, const k1s_target *t, json_t *obj, const k1s_opts *o, json_t **out,
                   k1s_status *st);
int k1s_api_update(k1s_api *api, const k1s_target *t, json_t *obj, const k1s_opts *o, json_t **out,
                   k1s_status *st);
int k1s_api_patch(k1s_api *api, const k1s_target *t, k1s_patch_type type, const json_t *patch,
                  const k1s_opts *o, json_t **out, k1s_status *st);
/* *out: the object as it is after the call (marked for deletion, or the
 * last state when removed). *removed: 1 if it is gone from the store. */
int k1s_api_delete(k1s_api *api, const k1s_target *t, const k1s_opts *o, json_t **out, int *removed,
                   k1s_status *st);

/* ---- list --------------------------------------------------------------- */

typedef struct k1s_list_opts {
    const char *label_selector; /* NULL: everything */
    const char *field_selector;
    long long limit; /* 0: no limit */
    const char *continue_token;
    const char *resource_version;       /* NULL, "0" or a revision */
    const char *resource_version_match; /* NULL, Exact or NotOlderThan */
} k1s_list_opts;

/* cb gets each matching object's stored text (borrowed). Returning non-zero
 * stops the list (-1 with st unset: internal error). */
typedef int (*k1s_list_item_fn)(void *ctx, const char *json, size_t len);

typedef struct k1s_list_result {
    int64_t rev;          /* resourceVersion of the list */
    char *continue_token; /* malloc'd or NULL */
    long long remaining;  /* remainingItemCount when limited, else -1 */
} k1s_list_result;

int k1s_api_list(k1s_api *api, const k1s_kind *kind, const char *ns, const k1s_list_opts *lo,
                 k1s_list_item_fn cb, void *ctx, k1s_list_result *res, k1s_status *st);
void k1s_list_result_free(k1s_list_result *r);

/* Parsed selectors of a list or watch, to test objects against. */
typedef struct k1s_filter k1s_filter;
int k1s_filter_new(const k1s_kind *kind, const char *label_selector, const char *field_selector,
                   k1s_filter **out, k1s_status *st);
/* obj: borrowed. NULL filter matches everything. */
bool k1s_filter_match(const k1s_filter *f, const json_t *obj);
void k1s_filter_free(k1s_filter *f);

/* Watch objects of a kind in ns (NULL: all namespaces) for changes after
 * from_rev (the rev of a list). See k1s_store_watch for the contract of
 * notify and k1s_watch_next. 0, or -1 with st set (410 when from_rev was
 * compacted away). */
int k1s_api_watch(k1s_api *api, const k1s_kind *kind, const char *ns, int64_t from_rev,
                  k1s_watch_notify_fn notify, void *ctx, k1s_watch **out, k1s_status *st);

/* Parse a resourceVersion string: 0 on success with *rev set. */
int k1s_parse_rv(const char *s, int64_t *rev);

/* ---- pods/binding --------------------------------------------------------- */

/* POST .../namespaces/ns/pods/name/binding: bind the pod to the node named
 * by binding (borrowed; a core/v1 Binding whose target is {kind: Node,
 * name}). Sets spec.nodeName once (409 on pods/binding when it is already
 * set or the pod is being deleted) and marks PodScheduled True. The
 * binding's metadata.uid and resourceVersion, when given, are
 * preconditions. *out: a new reference to the Status kube answers. */
int k1s_api_bind(k1s_api *api, const char *ns, const char *name, const json_t *binding,
                 json_t **out, k1s_status *st);

/* POST .../pods/NAME/eviction: delete the pod if its PodDisruptionBudget
 * allows (a policy/v1 Eviction, borrowed). 0, or -1 with st (429 when the
 * budget refuses). */
int k1s_api_evict(k1s_api *api, const char *ns, const char *name, const json_t *eviction,
                  bool dry_run, k1s_status *st);

/* ---- bootstrap -------------------------------------------------------------- */

/* Create the system namespaces and the `kubernetes` service if absent.
 * api_port: the port the API server answers on (the service's targetPort). */
int k1s_api_bootstrap(k1s_api *api, int api_port, char *err, size_t errlen);
/* The default StorageClass `hostpath` (provisioner docker.io/hostpath,
 * marked default) when it does not exist. 0, or -1 with err. */
int k1s_api_bootstrap_storage_class(k1s_api *api, char *err, size_t errlen);

#endif
