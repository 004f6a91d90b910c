/*
 * k1s_store.h - the object store: SQLite (WAL) rows keyed by group, resource,
 * namespace and name, one global revision used as resourceVersion, and an event
 * log that feeds watches.
 *
 * Threading: every function may be called from any thread. Writes are
 * serialised inside the store (one writer connection) and concurrent ones
 * are committed together (group commit, see k1s_store_update); reads use
 * their own connections so they run beside the writer.
 *
 * Files: the process holds an exclusive lock on the database file while the
 * store is open; another process cannot open it meanwhile.
 *
 * Errors: functions return 0 on success or a negative K1S_E* code
 * (k1s_err.h).
 */
#ifndef K1S_STORE_H
#define K1S_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_err.h"

typedef struct k1s_store k1s_store;

/* The identity of one stored object. ns is "" for cluster-scoped kinds;
 * group is "" for the core group. All strings borrowed. */
typedef struct k1s_key {
    const char *group;
    const char *resource; /* plural, e.g. "pods" */
    const char *ns;
    const char *name;
} k1s_key;

/* path: a file name, or ":memory:" for a private in-memory database. */
int k1s_store_open(const char *path, k1s_store **out);
void k1s_store_close(k1s_store *s);

/* The newest revision written (0 for an empty store). Survives restarts. */
int64_t k1s_store_revision(k1s_store *s);
/* Events with rev <= this were compacted away; a watch from below it is 410. */
int64_t k1s_store_compacted_revision(k1s_store *s);

/* Get one object. *json: a malloc'd NUL-terminated copy of the stored text
 * (owned by the caller), *rev: the revision that last wrote it. */
int k1s_store_get(k1s_store *s, const k1s_key *key, char **json, int64_t *rev);

/* List objects of group/resource in namespace ns (NULL: every namespace),
 * ordered by (ns, name), starting strictly after (after_ns, after_name) when
 * after_name is non-NULL (continue tokens). At most limit items (0: all).
 * cb is called once per item with borrowed text; returning non-zero stops the
 * list and that value is returned. *list_rev: the store revision the list
 * reflects. *more: set to 1 if items remain after the last one delivered. */
typedef int (*k1s_store_list_fn)(void *ctx, const char *ns, const char *name, const char *json,
                                 size_t len, int64_t rev);
int k1s_store_list(k1s_store *s, const char *group, const char *resource, const char *ns,
                   const char *after_ns, const char *after_name, size_t limit, k1s_store_list_fn cb,
                   void *ctx, int64_t *list_rev, int *more);

/* The objects of group/resource in ns (NULL: all) as they were at revision
 * at_rev, ordered by (ns, name), rebuilt from the event log, starting
 * strictly after (after_ns, after_name) when after_name is non-NULL (the
 * next page of a list made at at_rev): cb as for k1s_store_list (its rev
 * argument is 0). K1S_EGONE when at_rev is older than what the log retains,
 * K1S_ETOOLARGE when it is in the future. */
int k1s_store_list_at(k1s_store *s, const char *group, const char *resource, const char *ns,
                      const char *after_ns, const char *after_name, int64_t at_rev,
                      k1s_store_list_fn cb, void *ctx);

/* Count objects of group/resource in ns (NULL: all); _after: only those
 * ordered strictly after (after_ns, after_name), as k1s_store_list. */
int k1s_store_count(k1s_store *s, const char *group, const char *resource, const char *ns,
                    int64_t *count);
int k1s_store_count_after(k1s_store *s, const char *group, const char *resource, const char *ns,
                          const char *after_ns, const char *after_name, int64_t *count);

/*
 * The one write primitive (kube-apiserver's GuaranteedUpdate): under the
 * writer lock, fn sees the current object (cur: borrowed, NULL when absent;
 * cur_rev 0 when absent) and the revision this write will get (new_rev).
 *
 * Group commit: calls made while another write is being committed queue up
 * and are applied together in one transaction, in arrival order, each with
 * its own revision (strictly increasing in that order) and rolled back on
 * its own if it fails. So fn may run on another caller's thread, while this
 * caller sleeps: it must not rely on thread-local state (errno, TLS, locks
 * it expects to hold). Reads of this store from inside fn (get, list, count,
 * meta_get) see the writes applied before it in the same batch; a list
 * there reports new_rev - 1 as its revision. fn must not write this store:
 * k1s_store_update, k1s_store_meta_set and k1s_store_compact called from
 * inside fn return K1S_EINVAL. It should not block for long either: every
 * writer waits for it.
 *
 * fn returns:
 *   K1S_STORE_PUT    and sets *out to a new reference: stored as the object.
 *                    The store sets metadata.resourceVersion to new_rev.
 *   K1S_STORE_DELETE the object is removed (DELETED event carries cur with
 *                    resourceVersion new_rev).
 *   K1S_STORE_NOOP   nothing is written; no revision is used.
 *   < 0              abort; that value is returned.
 * On success *result (if non-NULL) gets a new reference to the object as
 * stored (for DELETE: the deleted object; for NOOP: cur) and *rev its
 * revision. The event is published to watchers after commit. If the
 * transaction fails to commit, every write in it fails with K1S_EIO.
 */
enum { K1S_STORE_NOOP = 0, K1S_STORE_PUT = 1, K1S_STORE_DELETE = 2 };
typedef int (*k1s_store_mutate_fn)(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev,
                                   json_t **out);
int k1s_store_update(k1s_store *s, const k1s_key *key, k1s_store_mutate_fn fn, void *ctx,
                     json_t **result, int64_t *rev);

/* Drop events with rev < keep_from from the event log. */
int k1s_store_compact(k1s_store *s, int64_t keep_from);
/* Compaction policy for a periodic timer: keep only the newest keep_events
 * events (>= 0). A no-op while the log is shorter than that. */
int k1s_store_compact_auto(k1s_store *s, int64_t keep_events);
/* Keep about keep_events events (0: no automatic compaction, the default)
 * and about keep_bytes of their JSON (0: no byte bound; the newest
 * K1S_STORE_MIN_EVENTS stay whatever their size): a file store compacts on
 * its background thread as soon as the log holds a quarter more than
 * either, at once if it already does (a server restarted often still
 * compacts), in steps that never hold writers up for long, and the WAL file
 * is cut back after its checkpoints. Memory stores compact on
 * k1s_store_compact_auto only. */
#define K1S_STORE_MIN_EVENTS 64
void k1s_store_set_retention(k1s_store *s, int64_t keep_events, int64_t keep_bytes);

/* Small key/value table for the server's own settings (e.g. the token). */
int k1s_store_meta_get(k1s_store *s, const char *key, char **value);
int k1s_store_meta_set(k1s_store *s, const char *key, const char *value);

/* ---- watch --------------------------------------------------------------- */

enum { K1S_EV_ADDED = 1, K1S_EV_MODIFIED = 2, K1S_EV_DELETED = 3 };

/* One change. Shared between watchers: refcounted, immutable. */
typedef struct k1s_event {
    int64_t rev;
    int type; /* K1S_EV_* */
    char *group, *resource, *ns, *name;
    char *json; /* the object as stored at rev (for DELETED: last state) */
    size_t len;
    int refs; /* private: use k1s_event_ref/unref */
} k1s_event;
void k1s_event_ref(k1s_event *e);
void k1s_event_unref(k1s_event *e);

typedef struct k1s_watch k1s_watch;
/* Called from the writing thread (the one that committed the batch, which
 * may be another caller's; possibly just after the writing call returned),
 * with no store lock held, whenever new events are queued for this watch
 * (or it is dropped). Must not block and must not write the store. */
typedef void (*k1s_watch_notify_fn)(void *ctx);

/* Watch group/resource in ns (NULL: all namespaces; resource NULL: all
 * resources) for events with rev > from_rev. from_rev below the compacted
 * revision: K1S_EGONE. Events already in the log are replayed first, in
 * revision order, then live ones, with no gap and no duplicate. */
int k1s_store_watch(k1s_store *s, const char *group, const char *resource, const char *ns,
                    int64_t from_rev, k1s_watch_notify_fn notify, void *ctx, k1s_watch **out);
/* Non-blocking. 1: *ev is the next event (caller unrefs), 0: none queued now,
 * K1S_EOVERFLOW: the watcher was dropped (client must relist). */
int k1s_watch_next(k1s_watch *w, k1s_event **ev);
/* Stop watching; no notify call runs after this returns. */
void k1s_watch_close(k1s_watch *w);
/* The bound on one watcher's queue (events not yet taken by k1s_watch_next)
 * for watches created later; past it the watcher is dropped. 0 keeps the
 * default (100 000 events, 128 MiB). */
void k1s_store_set_watch_limits(k1s_store *s, size_t max_events, size_t max_bytes);

#endif
