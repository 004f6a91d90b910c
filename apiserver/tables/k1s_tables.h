/*
 * k1s_tables.h - server-side printing: the meta.k8s.io/v1 Table that
 * kube-apiserver answers to `Accept: application/json;as=Table;...`, which is
 * what `kubectl get` prints. Each served kind has the columns kube-apiserver
 * 1.33 gives it; kinds without their own columns get the default table
 * (Name, Created At).
 *
 * Like kube-apiserver, every row carries the cells of all columns, the
 * priority 1 (`-o wide`) ones included: kubectl drops those unless asked.
 *
 * Everything here is pure computation on JSON: no I/O, no global state, safe
 * to call from any thread.
 */
#ifndef K1S_TABLES_H
#define K1S_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

/*
 * Build a meta.k8s.io/v1 Table (new reference) for objects of group/kind
 * (group "" or NULL is the core group).
 *
 * items: borrowed JSON array of full objects, as stored (defaults applied);
 * a single object is also accepted and gives a one-row table. Elements that
 * are not objects are skipped.
 * include_object: "None", "Metadata" (the default, also for NULL or "") or
 * "Object". Rows share (incref) the items' metadata or objects: do not modify
 * items while the table is in use.
 * now: the time ages are measured to.
 *
 * The caller adds metadata (resourceVersion, continue, remainingItemCount).
 * Returns NULL if include_object is not one of the values above (kube answers
 * 400 BadRequest `unrecognized includeObject value: "<value>"`) or on
 * allocation failure.
 */
json_t *k1s_table_build(const char *group, const char *kind, const json_t *items,
                        const char *include_object, time_t now);

/* One row (new reference) of a table of group/kind for obj (borrowed), as
 * k1s_table_build would render it; NULL for a bad include_object. Lets a
 * long list be rendered row by row without holding every object. Kinds
 * whose rows kube sorts (FlowSchema) come out in the caller's order. */
json_t *k1s_table_row(const char *group, const char *kind, const json_t *obj,
                      const char *include_object, time_t now);
/* The columnDefinitions array (new reference) of group/kind. */
json_t *k1s_table_columns(const char *group, const char *kind);

/* Whether include_object is a value k1s_table_build accepts. */
bool k1s_table_include_object_valid(const char *include_object);

/* Whether group/kind has its own columns (false: the default table). */
bool k1s_table_has_columns(const char *group, const char *kind);

/*
 * Human duration as kubectl prints ages (apimachinery's HumanDuration):
 * "119s", "6m18s", "30m", "3h5m", "20h", "2d3h", "45d", "2y30d", "9y";
 * "0s" for -1s, "<invalid>" below that. Writes a NUL-terminated string into
 * buf (truncated to len).
 */
void k1s_table_duration(char *buf, size_t len, long long seconds);

#endif
