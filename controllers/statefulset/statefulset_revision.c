/*
 * statefulset_revision.c - a StatefulSet's history as ControllerRevisions,
 * the way kube's statefulset controller keeps it: each distinct pod
 * template is stored once as the patch that restores it
 * ({"spec":{"template":{"$patch":"replace",...}}}), named
 * <set>-<hash>, numbered; going back to an old template renumbers its
 * revision instead of copying it; old revisions are trimmed to
 * spec.revisionHistoryLimit. kubectl rollout history/undo read and apply
 * these same objects.
 */
#include "k1s_json.h"
#include "statefulset_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Name collisions are retried with a bumped collision count this often. */
#define MAX_COLLISIONS 64

/* ---- data and names ---------------------------------------------------------- */

json_t *k1s__sts_revision_data(const json_t *set)
{
    const json_t *t = k1s_json_at(set, "spec.template");
    json_t *tmpl = json_is_object(t) ? json_deep_copy(t) : json_object(); /* new */
    if (!tmpl)
        return NULL;
    /* kube's encoder writes the template's zero creationTimestamp as null;
       keeping it makes the bytes what kubectl computes for rollout undo */
    json_t *meta = k1s_json_object_at(tmpl, "metadata");
    if (!json_object_get(meta, "creationTimestamp"))
        json_object_set_new(meta, "creationTimestamp", json_null());
    json_object_set_new(tmpl, "$patch", json_string("replace"));
    json_t *d = json_pack("{s:{s:o}}", "spec", "template", tmpl); /* new */
    if (!d)
        return NULL;
    /* kube marshals the patch from a map: keys sorted at every level */
    char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    if (!text)
        return NULL;
    json_t *sorted = k1s_json_load(text, strlen(text), NULL);
    free(text);
    return sorted;
}

/* kube's rand.SafeEncodeString: digits to a vowel-free alphabet so names
 * never spell words. */
static void safe_encode(const char *in, char *out, size_t len)
{
    static const char alphanums[] = "bcdfghjklmnpqrstvwxz2456789";
    size_t i = 0;
    for (; in[i] && i + 1 < len; i++)
        out[i] = alphanums[(unsigned char)in[i] % (sizeof alphanums - 1)];
    out[i] = 0;
}

int k1s__sts_revision_name(const char *set_name, const json_t *data, long long collision, char *buf,
                           size_t len)
{
    char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return -1;
    /* FNV-1 (32 bits) of the data, then of the collision count, as
       history.HashControllerRevision */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h *= 16777619u;
        h ^= *p;
    }
    free(text);
    char probe[32];
    snprintf(probe, sizeof probe, "%lld", collision);
    for (const unsigned char *p = (const unsigned char *)probe; *p; p++) {
        h *= 16777619u;
        h ^= *p;
    }
    char digits[16], hash[16];
    snprintf(digits, sizeof digits, "%u", h);
    safe_encode(digits, hash, sizeof hash);
    int n = snprintf(buf, len, "%.223s-%s", set_name, hash);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The set as it was at revision rev: its template from the revision. New. */
static json_t *apply_revision(const json_t *set, const json_t *rev)
{
    json_t *copy = json_deep_copy(set); /* new */
    const json_t *t = k1s_json_at(rev, "data.spec.template");
    if (!copy || !json_is_object(t))
        return copy;
    json_t *tmpl = json_deep_copy(t); /* new */
    json_object_del(tmpl, "$patch");
    json_t *meta = json_object_get(tmpl, "metadata");
    if (json_is_null(json_object_get(meta, "creationTimestamp")))
        json_object_del(meta, "creationTimestamp");
    json_object_set_new(k1s_json_object_at(copy, "spec"), "template", tmpl);
    return copy;
}

/* ---- listing ------------------------------------------------------------------ */

typedef struct listctx {
    k1s__sts *s;
    k1s_vec items; /* of const json_t *, borrowed revisions */
    bool orphans;
} listctx;

static int collect(void *vctx, const json_t *rev)
{
    listctx *l = vctx;
    const json_t *ref = k1s__sts_controller_of(rev);
    if (ref) {
        const char *uid = k1s_json_str(ref, "uid");
        if (!uid || strcmp(uid, l->s->uid))
            return 0;
    } else if (!k1s_selector_matches_labels(l->s->sel, k1s_json_at(rev, "metadata.labels"))) {
        return 0;
    } else {
        l->orphans = true;
    }
    return k1s_vec_append(&l->items, &rev) != 0;
}

/* As history.SortControllerRevisions: by number, then age, then name. */
static int by_revision(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    long long rx = k1s_json_int(x, "revision", 0), ry = k1s_json_int(y, "revision", 0);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    const char *cx = k1s_meta(x, "creationTimestamp");
    const char *cy = k1s_meta(y, "creationTimestamp");
    int c = strcmp(cx ? cx : "", cy ? cy : "");
    if (c)
        return c;
    const char *nx = k1s_meta(x, "name"), *ny = k1s_meta(y, "name");
    return strcmp(nx ? nx : "", ny ? ny : "");
}

static int adopt(k1s__sts *s, const json_t *rev)
{
    json_t *copy = json_deep_copy(rev); /* new */
    json_t *meta = k1s_json_object_at(copy, "metadata");
    json_t *refs = json_object_get(meta, "ownerReferences");
    if (!json_is_array(refs)) {
        refs = json_array();
        json_object_set_new(meta, "ownerReferences", refs);
    }
    json_array_append_new(refs, k1s__sts_owner_ref("apps/v1", "StatefulSet", s->name, s->uid));
    int rc = k1s__sts_update(s, "apps", "ControllerRevision", NULL, copy, NULL, NULL);
    json_decref(copy);
    return rc;
}

/* ---- current and update revisions ---------------------------------------------- */

/* A new revision object for data (owned by the caller). New. */
static json_t *new_revision(k1s__sts *s, const char *name, json_t *data, long long number)
{
    char hash[64];
    const char *dash = strrchr(name, '-');
    snprintf(hash, sizeof hash, "%.32s", dash ? dash + 1 : name);
    const json_t *tl = k1s_json_at(s->set, "spec.template.metadata.labels");
    json_t *labels = json_is_object(tl) ? json_deep_copy(tl) : json_object();
    json_object_set_new(labels, K1S_STS_HASH_LABEL, json_string(hash));
    json_t *meta =
        json_pack("{s:s, s:s, s:o, s:[o]}", "name", name, "namespace", s->ns, "labels", labels,
                  "ownerReferences", k1s__sts_owner_ref("apps/v1", "StatefulSet", s->name, s->uid));
    /* the set's annotations travel with the revision: kubectl rollout
       history shows kubernetes.io/change-cause from there */
    const json_t *ann = k1s_json_at(s->set, "metadata.annotations");
    if (meta && json_is_object(ann) && json_object_size(ann))
        json_object_set_new(meta, "annotations", json_deep_copy(ann));
    return json_pack("{s:s, s:s, s:o, s:O, s:I}", "apiVersion", "apps/v1", "kind",
                     "ControllerRevision", "metadata", meta, "data", data, "revision",
                     (json_int_t)number);
}

/* Create the revision for data, stepping the collision count past names
 * taken by other data. *out: the revision (new reference). */
static int create_revision(k1s__sts *s, json_t *data, long long number, json_t **out)
{
    const k1s_kind *k = k1s_registry_find_kind("apps", "ControllerRevision");
    for (int i = 0; i < MAX_COLLISIONS; i++) {
        char name[K1S_STS_NAME_MAX];
        if (k1s__sts_revision_name(s->name, data, s->collision_count, name, sizeof name))
            return -1;
        json_t *rev = new_revision(s, name, data, number); /* new */
        if (!rev)
            return -1;
        int rc = k1s__sts_create(s, "apps", "ControllerRevision", rev, out, NULL);
        json_decref(rev);
        if (rc == 0)
            return 0;
        if (rc != 409)
            return -1;
        /* the name is taken: the same data is ours to use, else collide */
        k1s_target t = {k, s->ns, name, NULL};
        k1s_status st = {0};
        json_t *have = NULL; /* new */
        if (k1s_api_get(k1s_ctrl_api(s->c), &t, &have, &st)) {
            k1s_status_clear(&st);
            return -1;
        }
        if (json_equal(json_object_get(have, "data"), data)) {
            *out = have;
            return 0;
        }
        json_decref(have);
        s->collision_count++;
    }
    return -1;
}

int k1s__sts_revisions(k1s__sts *s)
{
    listctx l = {.s = s, .items = K1S_VEC(const json_t *)};
    k1s_informer_each(s->st->revisions, s->ns, collect, &l);
    s->revs = l.items.p; /* the vector's array, now s's */
    s->nrevs = l.items.n;
    if (l.orphans && !k1s__sts_pod_terminating(s->set) && k1s__sts_can_adopt(s)) {
        for (size_t i = 0; i < s->nrevs; i++)
            if (!k1s__sts_controller_of(s->revs[i]) && adopt(s, s->revs[i]))
                return -1;
    }
    if (s->nrevs > 1)
        qsort(s->revs, s->nrevs, sizeof *s->revs, by_revision);
    /* both are int32/int64 counters a client can set anywhere: kept in
       range so that stepping them cannot overflow */
    s->collision_count = k1s_json_int(s->set, "status.collisionCount", 0);
    if (s->collision_count < 0 || s->collision_count > 2147483647LL - MAX_COLLISIONS)
        s->collision_count = 0;
    long long last = s->nrevs ? k1s_json_int(s->revs[s->nrevs - 1], "revision", 0) : 0;
    long long next = last < 0 ? 1 : last < LLONG_MAX ? last + 1 : LLONG_MAX;

    json_t *data = k1s__sts_revision_data(s->set); /* new */
    if (!data)
        return -1;
    const json_t *equal = NULL;
    for (size_t i = 0; i < s->nrevs; i++)
        if (json_equal(json_object_get(s->revs[i], "data"), data))
            equal = s->revs[i];
    int rc = 0;
    if (equal && equal == s->revs[s->nrevs - 1]) {
        /* the newest revision is this template: nothing changed */
        s->update_obj = json_deep_copy(equal);
    } else if (equal) {
        /* back to an older template: it becomes the newest revision */
        json_t *copy = json_deep_copy(equal); /* new */
        json_object_set_new(copy, "revision", json_integer(next));
        rc = k1s__sts_update(s, "apps", "ControllerRevision", NULL, copy, &s->update_obj, NULL) ? -1
                                                                                                : 0;
        json_decref(copy);
    } else {
        rc = create_revision(s, data, next, &s->update_obj);
    }
    json_decref(data);
    if (rc || !s->update_obj)
        return -1;

    const char *cur = k1s_json_str(s->set, "status.currentRevision");
    for (size_t i = 0; cur && i < s->nrevs; i++) {
        const char *n = k1s_meta(s->revs[i], "name");
        if (n && !strcmp(n, cur)) {
            s->current_obj = json_deep_copy(s->revs[i]);
            break;
        }
    }
    if (!s->current_obj)
        s->current_obj = json_deep_copy(s->update_obj);
    s->update_rev = k1s_meta(s->update_obj, "name");
    s->current_rev = k1s_meta(s->current_obj, "name");
    s->update_set = apply_revision(s->set, s->update_obj);
    s->current_set = apply_revision(s->set, s->current_obj);
    if (!s->update_rev || !s->current_rev || !s->update_set || !s->current_set)
        return -1;
    return 0;
}

/* ---- history limit ------------------------------------------------------------------ */

static bool live(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && !strcmp(names[i], name))
            return true;
    return false;
}

void k1s__sts_truncate_history(k1s__sts *s, const json_t *const *pods, size_t npods)
{
    long long limit = k1s_json_int(s->set, "spec.revisionHistoryLimit", 10);
    if (limit < 0 || s->nrevs <= (size_t)limit)
        return;
    const char **names = calloc(npods + 2, sizeof *names);
    if (!names)
        return;
    names[0] = s->current_rev;
    names[1] = s->update_rev;
    for (size_t i = 0; i < npods; i++)
        names[i + 2] = k1s__sts_pod_revision(pods[i]);
    size_t old = 0;
    for (size_t i = 0; i < s->nrevs; i++) {
        const char *n = k1s_meta(s->revs[i], "name");
        if (n && !live(n, names, npods + 2))
            old++;
    }
    /* the oldest go first, until the limit holds */
    for (size_t i = 0; i < s->nrevs && old > (size_t)limit; i++) {
        const char *n = k1s_meta(s->revs[i], "name");
        if (!n || live(n, names, npods + 2))
            continue;
        k1s__sts_delete(s, "apps", "ControllerRevision", n, k1s_meta(s->revs[i], "uid"), NULL);
        old--;
    }
    free(names);
}
