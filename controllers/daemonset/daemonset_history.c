/*
 * daemonset_history.c - a DaemonSet's ControllerRevisions, as kube's
 * daemon controller keeps them (controller_history and update.go): one per
 * template, named "<daemonset>-<hash>", labelled with the template's labels
 * and controller-revision-hash, holding the patch that restores the
 * template ({"spec":{"template":{..., "$patch":"replace"}}}, keys sorted as
 * Go's encoder writes a map) and a revision number; the current one always
 * has the highest number. kubectl rollout history/undo read and apply
 * them.
 */
#include "daemonset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A copy of v with object keys sorted (new reference): Go marshals the
 * patch through a map, so its keys come out sorted. */
static json_t *sorted(const json_t *v, int depth)
{
    if (depth > 64)
        return json_deep_copy(v);
    if (json_is_array(v)) {
        json_t *a = json_array(); /* new */
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(a, sorted(x, depth + 1));
        return a;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    size_t n = json_object_size(v);
    const char **keys = n ? malloc(n * sizeof *keys) : NULL;
    if (n && !keys)
        return json_deep_copy(v);
    size_t k = 0;
    const char *key;
    const json_t *x;
    json_object_foreach((json_t *)v, key, x) keys[k++] = key;
    for (size_t i = 1; i < k; i++) /* insertion sort: few keys per object */
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    json_t *o = json_object(); /* new */
    for (size_t i = 0; i < k; i++)
        json_object_set_new(o, keys[i], sorted(json_object_get(v, keys[i]), depth + 1));
    free(keys);
    return o;
}

/* kube's getPatch (new reference). */
static json_t *patch_of(const json_t *ds)
{
    json_t *tmpl = json_deep_copy(json_object_get(json_object_get(ds, "spec"), "template"));
    if (!tmpl)
        tmpl = json_object();
    json_t *meta = json_object_get(tmpl, "metadata"); /* borrowed */
    if (!json_is_object(meta)) {
        meta = json_object();
        json_object_set_new(tmpl, "metadata", meta);
    }
    /* Go writes the template's zero creationTimestamp as null */
    if (!json_object_get(meta, "creationTimestamp"))
        json_object_set_new(meta, "creationTimestamp", json_null());
    json_object_set_new(tmpl, "$patch", json_string("replace"));
    json_t *p = json_pack("{s:{s:o}}", "spec", "template", tmpl); /* new */
    json_t *s = sorted(p, 0);                                     /* new */
    json_decref(p);
    return s;
}

static bool matches(const json_t *ds, const json_t *rev)
{
    json_t *p = patch_of(ds); /* new */
    bool eq = k1s_json_semantic_equal(p, json_object_get(rev, "data"));
    json_decref(p);
    return eq;
}

typedef struct histctx {
    k1s_ctrl *c;
    const json_t *ds;
    k1s_selector *sel;
    json_t *out; /* new once set */
} histctx;

/* kube's controlledHistories: owned revisions, selected orphans adopted. */
static int claim(void *vctx, const json_t *rev)
{
    histctx *h = vctx;
    if (k1s__wl_controller_of(rev)) {
        if (k1s__wl_controlled_by(rev, k1s__wl_uid(h->ds)))
            json_array_append(h->out, (json_t *)rev);
        return 0;
    }
    if (k1s__wl_matches(h->sel, rev) && !k1s__wl_deleting(h->ds) &&
        k1s__wl_adopt(h->c, "apps", "ControllerRevision", rev, h->ds, "apps/v1", "DaemonSet") == 0)
        json_array_append(h->out, (json_t *)rev);
    return 0;
}

static long long revision_of(const json_t *rev)
{
    return k1s_json_int(rev, "revision", 0);
}

static int update_rev(k1s_ctrl *c, json_t *rev)
{
    int rc = k1s_ctrl_update(c, "apps", "ControllerRevision", k1s__wl_ns(rev), NULL, rev, NULL);
    return rc == 409 ? 50 : rc && rc != 404 ? -1 : rc == 404 ? 50 : 0;
}

/* kube's snapshot: a new ControllerRevision for the template. */
static int snapshot(k1s_ctrl *c, const json_t *ds, long long revision, char *hash, size_t hashlen)
{
    const json_t *spec = json_object_get(ds, "spec");
    const json_t *tmpl = json_object_get(spec, "template");
    char h[16];
    k1s__wl_template_hash(tmpl, json_object_get(json_object_get(ds, "status"), "collisionCount"),
                          h);
    char name[300];
    snprintf(name, sizeof name, "%.223s-%s", k1s__wl_name(ds), h);
    json_t *labels = json_deep_copy(json_object_get(json_object_get(tmpl, "metadata"), "labels"));
    if (!json_is_object(labels)) {
        json_decref(labels);
        labels = json_object();
    }
    json_object_set_new(labels, K1S_DS_HASH_LABEL, json_string(h));
    /* new */
    json_t *meta =
        json_pack("{s:s, s:s, s:o, s:[o]}", "name", name, "namespace", k1s__wl_ns(ds), "labels",
                  labels, "ownerReferences", k1s__wl_owner_ref(ds, "apps/v1", "DaemonSet"));
    json_t *ann = json_object_get(json_object_get(ds, "metadata"), "annotations"); /* borrowed */
    if (json_object_size(ann))
        json_object_set_new(meta, "annotations", json_deep_copy(ann));
    /* new */
    json_t *rev = json_pack("{s:s, s:s, s:o, s:o, s:I}", "apiVersion", "apps/v1", "kind",
                            "ControllerRevision", "metadata", meta, "data", patch_of(ds),
                            "revision", (json_int_t)revision);
    int rc = k1s_ctrl_create(c, "apps", "ControllerRevision", k1s__wl_ns(ds), rev, NULL);
    json_decref(rev);
    if (rc == 409) {
        k1s_informer *ri = k1s_ctrl_informer(c, "apps", "ControllerRevision");
        const json_t *cur = ri ? k1s_informer_get(ri, k1s__wl_ns(ds), name) : NULL;
        if (cur && k1s__wl_controlled_by(cur, k1s__wl_uid(ds)) && matches(ds, cur)) {
            snprintf(hash, hashlen, "%s", h);
            return 0;
        }
        if (cur) {
            /* a hash collision: bump collisionCount and try again */
            json_t *up = json_deep_copy(ds);            /* new */
            json_t *st = json_object_get(up, "status"); /* borrowed */
            if (!json_is_object(st)) {
                st = json_object();
                json_object_set_new(up, "status", st);
            }
            json_object_set_new(st, "collisionCount",
                                json_integer(k1s_json_int(st, "collisionCount", 0) + 1));
            k1s_ctrl_update(c, "apps", "DaemonSet", k1s__wl_ns(ds), "status", up, NULL);
            json_decref(up);
        }
        return 50;
    }
    if (rc)
        return -1;
    snprintf(hash, hashlen, "%s", h);
    return 0;
}

int k1s__ds_history(k1s_ctrl *c, const json_t *ds, char *hash, size_t hashlen, json_t **old)
{
    *old = json_array();
    *hash = 0;
    k1s_informer *ri = k1s_ctrl_informer(c, "apps", "ControllerRevision");
    if (!ri)
        return -1;
    histctx h = {c, ds, k1s__wl_selector(json_object_get(json_object_get(ds, "spec"), "selector")),
                 json_array()};
    if (h.sel)
        k1s_informer_each(ri, k1s__wl_ns(ds), claim, &h);
    k1s_selector_free(h.sel);
    json_t *current = json_array(); /* new */
    int rc = 0;
    size_t i;
    json_t *rev; /* new once set */
    json_array_foreach(h.out, i, rev)
    {
        if (!k1s_meta_label(rev, K1S_DS_HASH_LABEL)) {
            /* kube labels old revisions by their name */
            json_t *up = json_deep_copy(rev);            /* new */
            json_t *m = json_object_get(up, "metadata"); /* borrowed */
            json_t *l = json_object_get(m, "labels");    /* borrowed */
            if (!json_is_object(l)) {
                l = json_object();
                json_object_set_new(m, "labels", l);
            }
            json_object_set_new(l, K1S_DS_HASH_LABEL, json_string(k1s__wl_name(rev)));
            rc = update_rev(c, up);
            json_decref(up);
            if (rc)
                goto cleanup;
        }
        json_array_append(matches(ds, rev) ? current : *old, rev);
    }
    long long next = 0;
    json_array_foreach(*old, i, rev) if (revision_of(rev) > next) next = revision_of(rev);
    next++;
    if (json_array_size(current) == 0) {
        rc = snapshot(c, ds, next, hash, hashlen);
        goto cleanup;
    }
    /* duplicates of the current template: keep the newest */
    json_t *keep = json_array_get(current, 0); /* borrowed */
    json_array_foreach(current, i, rev) if (revision_of(rev) > revision_of(keep)) keep = rev;
    json_array_foreach(current, i, rev)
    {
        if (rev == keep)
            continue;
        k1s_ctrl_delete(c, "apps", "ControllerRevision", k1s__wl_ns(rev), k1s__wl_name(rev), -1,
                        k1s__wl_uid(rev));
    }
    const char *h2 = k1s_meta_label(keep, K1S_DS_HASH_LABEL);
    snprintf(hash, hashlen, "%s", h2 ? h2 : k1s__wl_name(keep));
    if (revision_of(keep) < next) {
        json_t *up = json_deep_copy(keep); /* new */
        json_object_set_new(up, "revision", json_integer(next));
        rc = update_rev(c, up);
        json_decref(up);
    }
cleanup:
    json_decref(current);
    json_decref(h.out);
    return rc;
}

static int by_revision(const void *pa, const void *pb)
{
    long long a = revision_of(*(json_t *const *)pa), b = revision_of(*(json_t *const *)pb);
    return a < b ? -1 : a > b;
}

void k1s__ds_cleanup_history(k1s_ctrl *c, const json_t *ds, const json_t *pods, json_t *old)
{
    json_t *limit = json_object_get(json_object_get(ds, "spec"), "revisionHistoryLimit");
    long long keep = json_is_integer(limit) ? json_integer_value(limit) : 10;
    long long kill = (long long)json_array_size(old) - keep;
    if (kill <= 0)
        return;
    json_t *live = json_object(); /* hashes some pod still runs */
    size_t i;
    const json_t *p;
    json_array_foreach(pods, i, p)
    {
        const char *h = k1s_meta_label(p, K1S_DS_HASH_LABEL);
        if (h && *h)
            json_object_set_new(live, h, json_true());
    }
    size_t n = json_array_size(old);
    json_t **v = malloc(n * sizeof *v);
    if (v) {
        for (size_t k = 0; k < n; k++)
            v[k] = json_array_get(old, k);
        qsort(v, n, sizeof *v, by_revision);
        for (size_t k = 0; k < n && kill > 0; k++) {
            const char *h = k1s_meta_label(v[k], K1S_DS_HASH_LABEL);
            if (h && json_object_get(live, h))
                continue;
            k1s_ctrl_delete(c, "apps", "ControllerRevision", k1s__wl_ns(v[k]), k1s__wl_name(v[k]),
                            -1, k1s__wl_uid(v[k]));
            kill--;
        }
        free(v);
    }
    json_decref(live);
}
