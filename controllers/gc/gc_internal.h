/*
 * gc_internal.h - what the garbage collector's files share (gc.c,
 * gc_graph.c, gc_attempt.c, gc_write.c): its state, the names it queues
 * objects under, and its writes.
 *
 * The manager's queue keys are "ns/name". The GC follows every kind, so it
 * puts the kind into the name part: "ns/group/Kind/name" (core group empty,
 * cluster-scoped objects with ns empty), e.g. "web/apps/StatefulSet/web" or
 * "web//Pod/web-0". Neither namespaces nor names may contain '/', so the
 * key splits back unambiguously; dedup, backoff and delayed requeues then
 * work per object as for any controller.
 */
#ifndef K1S_GC_INTERNAL_H
#define K1S_GC_INTERNAL_H

#include "k1s_ctrl.h"
#include "k1s_json.h"

#define K1S_GC_KEY_MAX 600

/* Rebuilt from the watches at every start (the initial lists count as
 * additions), so nothing here needs to survive a restart. */
typedef struct k1s__gc {
    int id;         /* the GC's controller id, learnt from its map calls */
    json_t *deps;   /* owned: owner uid -> {object key: true} */
    json_t *owners; /* owned: object key -> [owner uid, ...] indexed under */
} k1s__gc;

/* An object as the GC names it. */
typedef struct k1s__gc_id {
    const k1s_kind *kind;
    char ns[256];
    char name[256];
} k1s__gc_id;

/* ---- gc_graph.c: names and the owner index ------------------------------- */

/* The served kind an apiVersion/kind pair names (the version is not
 * checked: owners are found by group and kind). NULL if not served. */
const k1s_kind *k1s__gc_resolve(const char *api_version, const char *kind);
/* The key of obj (borrowed) of kind k into buf: 0, or -1 if it does not fit
 * or obj has no usable name. */
int k1s__gc_key(const k1s_kind *k, const json_t *obj, char *buf, size_t len);
/* Split a full key, or the (ns, name part) a reconcile gets: 0 or -1. */
int k1s__gc_parse_key(const char *key, k1s__gc_id *id);
int k1s__gc_parse(const char *ns, const char *rest, k1s__gc_id *id);
void k1s__gc_enqueue(k1s_ctrl *c, int id, const char *key);
/* The cached object named by id (borrowed) or NULL. */
const json_t *k1s__gc_cached(k1s_ctrl *c, const k1s__gc_id *id);
/* The watch map over every kind: keeps the index, queues what may need
 * collecting. */
void k1s__gc_map(k1s_ctrl *c, int id, const json_t *old, const json_t *obj);

/* The kind an ownerReference names (NULL when not served), with its name
 * and uid (NULL when absent). */
const k1s_kind *k1s__gc_ref(const json_t *ref, const char **name, const char **uid);
bool k1s__gc_deleting(const json_t *obj);
bool k1s__gc_has_finalizer(const json_t *obj, const char *f);

/* ---- gc_attempt.c: a dependent whose owners may be gone --------------------- */

/* Delete obj (cached, not being deleted, with ownerReferences) if none of
 * its owners exists any more, or drop the references to the missing ones
 * while another owner lives. A reconcile result. */
int k1s__gc_attempt_delete(k1s_ctrl *c, k1s__gc *g, const k1s__gc_id *id, const json_t *obj);

/* ---- gc_write.c: writes, each against the latest stored object --------------- */

/* Fetch ns/name of kind k: 0 with *out (new reference), or the HTTP code. */
int k1s__gc_get(k1s_ctrl *c, const k1s_kind *k, const char *ns, const char *name, json_t **out);
/* Delete with a propagation policy, the object's uid and resourceVersion as
 * preconditions (rv may be NULL). Pods bound to a node go gracefully. */
int k1s__gc_delete(k1s_ctrl *c, const k1s__gc_id *id, const char *uid, const char *rv,
                   const char *policy);
/* Remove the ownerReferences whose uid is in drop (array of strings, may
 * be NULL) and, if unblock, clear blockOwnerDeletion on the others. uid
 * (may be NULL): only if the stored object still has it. */
int k1s__gc_edit_refs(k1s_ctrl *c, const k1s__gc_id *id, const char *uid, const json_t *drop,
                      bool unblock);
/* Remove finalizer f from the object if it still has uid. */
int k1s__gc_remove_finalizer(k1s_ctrl *c, const k1s__gc_id *id, const char *uid, const char *f);

#endif
