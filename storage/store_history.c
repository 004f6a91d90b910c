/*
 * store_history.c - k1s_store_list_at: the objects of a resource as they
 * were at an earlier revision, rebuilt from the current rows and the event
 * log in one read snapshot (kube serves resourceVersionMatch=Exact from
 * etcd's history; ours is the log since the compacted revision).
 *
 * A key changed after the revision was, at the revision, absent when its
 * first later event is ADDED, else the object of its last event at or
 * before the revision; when that event was compacted away the revision is
 * gone. Keys untouched since are their current rows.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* "ns\1name": sorts as (ns, name) does, \1 being below any name byte. */
static char *map_key(const char *ns, const char *name)
{
    size_t a = strlen(ns), b = strlen(name);
    char *k = malloc(a + b + 2);
    if (k) {
        memcpy(k, ns, a);
        k[a] = '\1';
        memcpy(k + a + 1, name, b + 1);
    }
    return k;
}

static int put(json_t *map, const char *ns, const char *name, const char *json)
{
    char *k = map_key(ns, name);
    json_t *v = json_string(json);
    int rc = k && v && json_object_set_new(map, k, v) == 0 ? 0 : K1S_ENOMEM;
    if (rc && !k)
        json_decref(v);
    free(k);
    return rc;
}

static int read_rows(k1s__conn *c, const char *group, const char *resource, const char *ns,
                     json_t *map)
{
    int id = ns ? K1S__ST_LIST_NS : K1S__ST_LIST_ALL;
    sqlite3_stmt *st = NULL;
    int ret = k1s__stmt(c, id, &st);
    if (ret)
        return ret;
    if ((ret = k1s__bind_str(st, 1, group)) || (ret = k1s__bind_str(st, 2, resource)) ||
        (ns && (ret = k1s__bind_str(st, 6, ns))) || sqlite3_bind_int64(st, 3, -1) != SQLITE_OK) {
        ret = ret ? ret : K1S_EIO;
        goto out;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !ret)
        ret =
            put(map, (const char *)sqlite3_column_text(st, 0),
                (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
    if (!ret && rc != SQLITE_DONE)
        ret = K1S_EIO;
out:
    k1s__stmt_done(c, id, st);
    return ret;
}

/* Undoes, in map, every change made after at_rev (events in (from, to]). */
static int undo_changes(k1s__conn *c, const char *group, const char *resource, const char *ns,
                        int64_t from, int64_t to, int64_t at_rev, json_t *map)
{
    json_t *before = json_object(); /* key -> [type, json] at or before at_rev */
    json_t *after = json_object();  /* key -> type of its first event after */
    sqlite3_stmt *st = NULL;
    int ret = before && after ? k1s__stmt(c, K1S__ST_EVENTS_RANGE, &st) : K1S_ENOMEM;
    if (ret)
        goto out;
    if (sqlite3_bind_int64(st, 1, from) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, to) != SQLITE_OK || (ret = k1s__bind_str(st, 3, group)) ||
        (ret = k1s__bind_str(st, 4, resource)) || (ns && (ret = k1s__bind_str(st, 5, ns)))) {
        ret = ret ? ret : K1S_EIO;
        goto out;
    }
    int rc = SQLITE_DONE;
    while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t rev = sqlite3_column_int64(st, 0);
        int type = sqlite3_column_int(st, 1);
        char *k = map_key((const char *)sqlite3_column_text(st, 4),
                          (const char *)sqlite3_column_text(st, 5));
        if (!k) {
            ret = K1S_ENOMEM;
            break;
        }
        if (rev <= at_rev) {
            json_t *e = json_pack("[i, s]", type, (const char *)sqlite3_column_text(st, 6));
            ret = e && json_object_set_new(before, k, e) == 0 ? 0 : K1S_ENOMEM;
        } else if (!json_object_get(after, k)) {
            ret = json_object_set_new(after, k, json_integer(type)) ? K1S_ENOMEM : 0;
        }
        free(k);
    }
    if (!ret && rc != SQLITE_DONE)
        ret = K1S_EIO;
    const char *k;
    json_t *first;
    json_object_foreach(after, k, first)
    {
        if (ret)
            break;
        json_t *b = json_object_get(before, k);
        if (json_integer_value(first) == K1S_EV_ADDED ||
            (b && json_integer_value(json_array_get(b, 0)) == K1S_EV_DELETED))
            json_object_del(map, k);
        else if (b)
            ret = json_object_set(map, k, json_array_get(b, 1)) ? K1S_ENOMEM : 0;
        else
            ret = K1S_EGONE; /* its state then is older than the log */
    }
out:
    if (st)
        k1s__stmt_done(c, K1S__ST_EVENTS_RANGE, st);
    json_decref(before);
    json_decref(after);
    return ret;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Calls cb for the objects of map in key order, those after the key
 * `after` only when it is not NULL. */
static int deliver(json_t *map, const char *after, k1s_store_list_fn cb, void *ctx)
{
    size_t n = json_object_size(map), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return K1S_ENOMEM;
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, cmp_keys);
    int ret = 0;
    for (i = 0; i < n && !ret; i++) {
        if (after && strcmp(keys[i], after) <= 0)
            continue;
        char *sep = strchr(keys[i], '\1');
        char ns[256];
        size_t nl = (size_t)(sep - keys[i]);
        if (nl >= sizeof ns)
            nl = sizeof ns - 1;
        memcpy(ns, keys[i], nl);
        ns[nl] = '\0';
        json_t *text = json_object_get(map, keys[i]);
        ret = cb(ctx, ns, sep + 1, json_string_value(text), json_string_length(text), 0);
    }
    free(keys);
    return ret;
}

int k1s_store_list_at(k1s_store *s, const char *group, const char *resource, const char *ns,
                      const char *after_ns, const char *after_name, int64_t at_rev,
                      k1s_store_list_fn cb, void *ctx)
{
    if (!s || !cb || !k1s__key_part_valid(group) || !k1s__key_part_valid(resource) ||
        (ns && !k1s__key_part_valid(ns)))
        return K1S_EINVAL;
    char *after = after_name ? map_key(after_ns ? after_ns : "", after_name) : NULL;
    if (after_name && !after)
        return K1S_ENOMEM;
    k1s__conn *c = NULL;
    int ret = k1s__reader_get(s, &c);
    if (ret)
        return ret;
    bool in_tx = false;
    json_t *map = json_object();
    if (!map) {
        ret = K1S_ENOMEM;
        goto out;
    }
    if (c != s->writer) {
        if ((ret = k1s__exec(c, K1S__ST_BEGIN)))
            goto out;
        in_tx = true;
    }
    int64_t head = 0, compacted = k1s_store_compacted_revision(s);
    if (k1s__in_callback(s))
        head = s->tx_rev;
    else if ((ret = k1s__head_rev(c, &head)))
        goto out;
    if (at_rev > head) {
        ret = K1S_ETOOLARGE;
        goto out;
    }
    if (at_rev < compacted) {
        ret = K1S_EGONE;
        goto out;
    }
    if ((ret = read_rows(c, group, resource, ns, map)) ||
        (ret = undo_changes(c, group, resource, ns, compacted, head, at_rev, map)))
        goto out;
    ret = deliver(map, after, cb, ctx);
out:
    if (in_tx)
        k1s__rollback(c);
    k1s__reader_put(s, c);
    json_decref(map);
    free(after);
    return ret;
}
