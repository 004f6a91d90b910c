/*
 * table_build.c - the one Table encoder: looks up the kind's column table
 * (or the default Name / Created At table), renders every row's cells from
 * it, and attaches each row's object as includeObject asks.
 *
 * This mirrors kube-apiserver: its printers always run "wide" on the server,
 * so rows carry every column; the object is a PartialObjectMetadata by
 * default; pods that finished carry a Completed row condition.
 */
#include "k1s_tables.h"
#include "tables_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum include_mode { INCLUDE_NONE, INCLUDE_METADATA, INCLUDE_OBJECT };

static bool parse_include(const char *s, enum include_mode *mode)
{
    if (!s || !*s || strcmp(s, "Metadata") == 0)
        *mode = INCLUDE_METADATA;
    else if (strcmp(s, "None") == 0)
        *mode = INCLUDE_NONE;
    else if (strcmp(s, "Object") == 0)
        *mode = INCLUDE_OBJECT;
    else
        return false;
    return true;
}

bool k1s_table_include_object_valid(const char *include_object)
{
    enum include_mode mode;
    return parse_include(include_object, &mode);
}

/* ---- kind lookup ----------------------------------------------------------- */

const k1s__tb_kind_table *k1s__tb_kind_lookup(const char *group, const char *kind)
{
    static const struct {
        const k1s__tb_kind_table *tables;
        const size_t *count;
    } all[] = {
        {k1s__tb_kinds_pod, &k1s__tb_kinds_pod_count},
        {k1s__tb_kinds_core, &k1s__tb_kinds_core_count},
        {k1s__tb_kinds_workloads, &k1s__tb_kinds_workloads_count},
        {k1s__tb_kinds_storage, &k1s__tb_kinds_storage_count},
        {k1s__tb_kinds_cluster, &k1s__tb_kinds_cluster_count},
    };
    if (!group)
        group = "";
    if (!kind)
        return NULL;
    for (size_t a = 0; a < sizeof all / sizeof all[0]; a++)
        for (size_t i = 0; i < *all[a].count; i++)
            if (strcmp(all[a].tables[i].kind, kind) == 0 &&
                strcmp(all[a].tables[i].group, group) == 0)
                return &all[a].tables[i];
    return NULL;
}

bool k1s_table_has_columns(const char *group, const char *kind)
{
    return k1s__tb_kind_lookup(group, kind) != NULL;
}

/* ---- the default table ------------------------------------------------------ */

/* Created At: the creation time in UTC, RFC 3339 without fractions. */
static json_t *cell_created_at(const json_t *obj, const k1s__tb_cell *cell, time_t now)
{
    (void)cell;
    (void)now;
    k1s__tb_time t = k1s__tb_time_at(obj, "metadata.creationTimestamp");
    time_t secs = (time_t)t.sec;
    struct tm tm;
    char buf[64];
    if (!gmtime_r(&secs, &tm))
        return json_string("0001-01-01T00:00:00Z");
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return json_string(buf);
}

const k1s__tb_column k1s__tb_default_columns[K1S__TB_DEFAULT_NCOLUMNS] = {
    K1S__COL_NAME,
    {"Created At", "date", "", 0, "Time the object was created, in UTC.", K1S__FN(cell_created_at)},
};

static const k1s__tb_kind_table default_table = {
    "", "", k1s__tb_default_columns, K1S__TB_DEFAULT_NCOLUMNS, NULL, NULL,
};

/* ---- rendering -------------------------------------------------------------- */

/* The columnDefinitions array (new reference), fields in kube's order. */
static json_t *column_definitions(const k1s__tb_kind_table *kt)
{
    json_t *cols = json_array();
    if (!cols)
        return NULL;
    for (size_t i = 0; i < kt->ncolumns; i++) {
        const k1s__tb_column *c = &kt->columns[i];
        json_t *def =
            json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name, "type", c->type, "format",
                      c->format, "description", c->description, "priority", c->priority);
        if (json_array_append_new(cols, def) != 0) {
            json_decref(cols);
            return NULL;
        }
    }
    return cols;
}

/* The row's object as includeObject asks (new reference). */
static json_t *row_object(const json_t *item, enum include_mode mode)
{
    switch (mode) {
    case INCLUDE_NONE:
        return json_null();
    case INCLUDE_OBJECT:
        return json_incref((json_t *)item);
    case INCLUDE_METADATA:
        break;
    }
    json_t *meta = (json_t *)k1s_json_at(item, "metadata");
    json_t *partial = json_object();
    if (!partial)
        return NULL;
    if (json_object_set_new(partial, "kind", json_string("PartialObjectMetadata")) != 0 ||
        json_object_set_new(partial, "apiVersion", json_string("meta.k8s.io/v1")) != 0 ||
        json_object_set_new(partial, "metadata",
                            json_is_object(meta) ? json_incref(meta) : json_object()) != 0) {
        json_decref(partial);
        return NULL;
    }
    return partial;
}

/* One row (new reference) of the borrowed item: cells, conditions, object. */
static json_t *render_row(const k1s__tb_kind_table *kt, const json_t *item, enum include_mode mode,
                          time_t now)
{
    json_t *row = json_object();
    json_t *cells = json_array();
    json_t *conds = NULL;
    if (!row || !cells)
        goto cleanup;
    for (size_t i = 0; i < kt->ncolumns; i++)
        if (json_array_append_new(cells, k1s__tb_cell_render(&kt->columns[i].cell, item, now)) != 0)
            goto cleanup;
    if (json_object_set(row, "cells", cells) != 0)
        goto cleanup;
    if (kt->conditions && (conds = kt->conditions(item)) != NULL &&
        json_object_set(row, "conditions", conds) != 0)
        goto cleanup;
    if (json_object_set_new(row, "object", row_object(item, mode)) != 0)
        goto cleanup;
    json_decref(cells);
    json_decref(conds);
    return row;
cleanup:
    json_decref(row);
    json_decref(cells);
    json_decref(conds);
    return NULL;
}

typedef struct sort_item {
    const json_t *obj;
    size_t index;
    int (*compare)(const json_t *, const json_t *);
} sort_item;

static int cmp_items(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    int c = x->compare(x->obj, y->obj);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

json_t *k1s_table_build(const char *group, const char *kind, const json_t *items,
                        const char *include_object, time_t now)
{
    enum include_mode mode;
    json_t *table = NULL, *rows = NULL;
    sort_item *order = NULL;

    if (!parse_include(include_object, &mode))
        return NULL;
    const k1s__tb_kind_table *kt = k1s__tb_kind_lookup(group, kind);
    bool is_default = kt == NULL;
    if (is_default)
        kt = &default_table;

    /* A single object is a one-row table. */
    size_t n = json_is_array(items) ? json_array_size(items) : json_is_object(items) ? 1 : 0;
    order = calloc(n ? n : 1, sizeof *order);
    if (!order)
        goto cleanup;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_is_array(items) ? json_array_get(items, i) : items;
        if (json_is_object(it))
            order[m++] = (sort_item){it, i, kt->compare};
    }
    if (kt->compare && m > 1)
        qsort(order, m, sizeof *order, cmp_items);

    table = json_object();
    rows = json_array();
    if (!table || !rows)
        goto cleanup;
    if (json_object_set_new(table, "kind", json_string("Table")) != 0 ||
        json_object_set_new(table, "apiVersion", json_string("meta.k8s.io/v1")) != 0 ||
        json_object_set_new(table, "metadata", json_object()) != 0 ||
        json_object_set_new(table, "columnDefinitions", column_definitions(kt)) != 0)
        goto cleanup;
    for (size_t i = 0; i < m; i++)
        if (json_array_append_new(rows, render_row(kt, order[i].obj, mode, now)) != 0)
            goto cleanup;
    /* kube's default convertor leaves rows nil, encoded as null, when the
     * list is empty; its printers always make a (possibly empty) slice. */
    if (is_default && m == 0) {
        if (json_object_set_new(table, "rows", json_null()) != 0)
            goto cleanup;
    } else if (json_object_set(table, "rows", rows) != 0) {
        goto cleanup;
    }
    json_decref(rows);
    free(order);
    return table;
cleanup:
    json_decref(rows);
    json_decref(table);
    free(order);
    return NULL;
}

json_t *k1s_table_row(const char *group, const char *kind, const json_t *obj,
                      const char *include_object, time_t now)
{
    enum include_mode mode;
    if (!json_is_object(obj) || !parse_include(include_object, &mode))
        return NULL;
    const k1s__tb_kind_table *kt = k1s__tb_kind_lookup(group, kind);
    return render_row(kt ? kt : &default_table, obj, mode, now);
}

json_t *k1s_table_columns(const char *group, const char *kind)
{
    const k1s__tb_kind_table *kt = k1s__tb_kind_lookup(group, kind);
    return column_definitions(kt ? kt : &default_table);
}
