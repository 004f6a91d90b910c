/*
 * k1s_ctrl.h - what controller implementations share: the manager context
 * (k1s_ctrl), informer caches, work queues and the event recorder.
 *
 * Everything here runs on the manager's one loop thread: caches are read
 * and reconcilers run without locks. Cached objects are immutable (borrowed
 * json_t *): copy before changing, write through k1s_api_*.
 */
#ifndef K1S_CTRL_H
#define K1S_CTRL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_api.h"
#include "k1s_manager.h"

typedef struct k1s_ctrl k1s_ctrl;
typedef struct k1s_informer k1s_informer;

/* ---- informers ----------------------------------------------------------- */

/* The cache of every object of group/kind, kept current from a watch.
 * Created on first use; lives as long as the manager. NULL if the kind is
 * not served. */
k1s_informer *k1s_ctrl_informer(k1s_ctrl *c, const char *group, const char *kind);
/* One cached object (borrowed; valid until the loop returns to the
 * manager), or NULL. ns "" for cluster-scoped kinds. */
const json_t *k1s_informer_get(k1s_informer *inf, const char *ns, const char *name);
/* Call fn for each cached object in ns (NULL: all), in (ns, name) order.
 * fn returns non-zero to stop. */
typedef int (*k1s_informer_each_fn)(void *ctx, const json_t *obj);
void k1s_informer_each(k1s_informer *inf, const char *ns, k1s_informer_each_fn fn, void *ctx);
size_t k1s_informer_count(k1s_informer *inf);
/* The store revision the cache reflects: a write that returned an object
 * with resourceVersion <= this is visible in the cache. */
int64_t k1s_informer_revision(k1s_informer *inf);

/* ---- controllers ----------------------------------------------------------- */

/* Reconcile the object ns/name of the controller's primary kind (it may be
 * gone: reconcilers read the cache). Returns 0 when done, > 0 to be called
 * again after that many milliseconds, < 0 on error (retried with
 * exponential backoff). */
typedef int (*k1s_reconcile_fn)(k1s_ctrl *c, void *state, const char *ns, const char *name);
/* A change of a watched object (old/new borrowed, either NULL): enqueue the
 * primary keys it concerns with k1s_ctrl_enqueue. */
typedef void (*k1s_map_fn)(k1s_ctrl *c, int ctrl_id, const json_t *old, const json_t *obj);

/* The most watches a definition names: a fixed array, so more is a
 * compile error (excess initializers), never a silent drop. */
#define K1S_CTRL_MAX_WATCHES 6

typedef struct k1s_controller_def {
    const char *name;         /* for logs and event sources */
    const char *group, *kind; /* primary kind: its changes enqueue it
                                       (kind NULL: none, see watch_all) */
    k1s_reconcile_fn reconcile;
    struct {
        const char *group, *kind;
        k1s_map_fn map; /* NULL: enqueue the object itself */
    } watches[K1S_CTRL_MAX_WATCHES];
    /* Non-NULL: also watch every served kind through this map (for
     * controllers that follow all objects, e.g. the garbage collector). */
    k1s_map_fn watch_all;
    /* Optional per-controller state made at start and freed at stop.
     * init runs once every controller of the set has its id, so it may
     * queue work (k1s_ctrl_enqueue, _after) for its own. */
    void *(*init)(k1s_ctrl *c);
    void (*fini)(void *state);
} k1s_controller_def;

/* Queue ns/name for controller ctrl_id (deduplicated). */
void k1s_ctrl_enqueue(k1s_ctrl *c, int ctrl_id, const char *ns, const char *name);
/* Queue ns/name after delay_ms. */
void k1s_ctrl_enqueue_after(k1s_ctrl *c, int ctrl_id, const char *ns, const char *name,
                            int64_t delay_ms);
/* The controller owning obj through a controller ownerReference of the
 * given kind: enqueue that owner (a common k1s_map_fn shape). */
void k1s_ctrl_enqueue_owner(k1s_ctrl *c, int ctrl_id, const json_t *obj, const char *owner_kind);

/* The state made by controller ctrl_id's init (NULL if none), so that map
 * functions can keep their own index of what they saw. */
void *k1s_ctrl_state(k1s_ctrl *c, int ctrl_id);

k1s_api *k1s_ctrl_api(k1s_ctrl *c);
const k1s_controllers_config *k1s_ctrl_config(k1s_ctrl *c);
/* Milliseconds on the monotonic clock: base's k1s_time_mono_ms, which
 * new code calls directly (kept for the kubelet's callers). */
int64_t k1s_ctrl_now_ms(void);

/* ---- writing ---------------------------------------------------------------- */

/* Shorthands over k1s_api_* for controllers: group/kind by name, errors
 * logged; 0 or the HTTP code of the failure. *out (if non-NULL) gets a new
 * reference. */
int k1s_ctrl_create(k1s_ctrl *c, const char *group, const char *kind, const char *ns, json_t *obj,
                    json_t **out);
int k1s_ctrl_update(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                    const char *sub, json_t *obj, json_t **out);
int k1s_ctrl_patch(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                   const char *name, const char *sub, const char *merge_patch_json);
int k1s_ctrl_delete(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                    const char *name, long long grace_seconds, const char *precondition_uid);
/* The same with *out (if non-NULL) getting the patched object. */
int k1s_ctrl_patch_get(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                       const char *name, const char *sub, const char *merge_patch_json,
                       json_t **out);
/* A delete with a propagationPolicy (Background, Foreground, Orphan; NULL:
 * the kind's default, which for batch/v1 Jobs orphans their pods). */
int k1s_ctrl_delete_propagate(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                              const char *name, long long grace_seconds,
                              const char *precondition_uid, const char *propagation);

/* Record a core/v1 Event about obj (borrowed) as kube-controller-manager
 * does: type "Normal"/"Warning", reason, message; repeats bump count. */
void k1s_ctrl_event(k1s_ctrl *c, const char *component, const json_t *obj, const char *type,
                    const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The user pointer given to k1s_controllers_start_defs (NULL for the
 * built-in controllers). */
void *k1s_ctrl_user(k1s_ctrl *c);

/* Run defs (NULL-terminated, any number) on a loop thread of their own,
 * with their own informers: for a component that reuses the controller
 * machinery but must not hold up the built-in controllers (the kubelet,
 * whose calls into containerd block). Stop with k1s_controllers_stop.
 * 0, or -1 with *err (malloc'd, or NULL) saying why: a primary kind or a
 * watch that is not served, or out of memory; nothing is left running. */
int k1s_controllers_start_defs(const k1s_controllers_config *cfg,
                               const k1s_controller_def *const *defs, void *user,
                               k1s_controllers **out, char **err);

#endif
