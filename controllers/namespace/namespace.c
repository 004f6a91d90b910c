/*
 * namespace.c - the namespace controller, as kube-controller-manager's: a
 * namespace being deleted (deletionTimestamp set; the API keeps it, phase
 * Terminating, while spec.finalizers holds "kubernetes") has everything
 * in it deleted, every namespaced kind of the registry, pods gracefully;
 * once nothing is left, "kubernetes" is removed from spec.finalizers with
 * an update (k1s has no /finalize), and the API removes the namespace when
 * no finalizer of either kind remains. On the way it keeps kube's five
 * deletion conditions in status.conditions.
 *
 * Content is found in the informer caches; before the namespace is let go
 * the store itself is asked, so an object a cache has not seen yet is not
 * left behind. While content remains (pods stopping, finalizers pending)
 * the namespace is looked at again on a timer, and whenever a pod or claim
 * in it goes.
 */
#include "k1s_ctrl.h"
#include "k1s_json.h"
#include "k1s_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINALIZER "kubernetes"

typedef struct ns_state {
    json_t *timer; /* owned: namespace -> ms its pending requeue is due */
} ns_state;

/* What one pass over a namespace's content found. */
typedef struct tally {
    k1s_ctrl *c;
    const k1s_kind *kind;
    json_t *remaining;  /* owned: "plural.group" -> count */
    json_t *finalizers; /* owned: finalizer -> count */
    json_t *errors;     /* owned: "plural.group" -> first failure */
    int left;
} tally;

static bool deleting(const json_t *o)
{
    return k1s_json_at(o, "metadata.deletionTimestamp") != NULL;
}

static bool has_spec_finalizer(const json_t *ns)
{
    const json_t *fins = json_object_get(json_object_get(ns, "spec"), "finalizers");
    size_t i;
    const json_t *v;
    json_array_foreach(fins, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), FINALIZER))
            return true;
    }
    return false;
}

static void bump(json_t *counts, const char *key)
{
    json_object_set_new(counts, key,
                        json_integer(json_integer_value(json_object_get(counts, key)) + 1));
}

/* An object that is still there: count it and what holds it. */
static void count_left(tally *t, const json_t *obj)
{
    char res[256];
    snprintf(res, sizeof res, "%s.%s", t->kind->plural, t->kind->group);
    bump(t->remaining, res);
    t->left++;
    const json_t *fins = json_object_get(json_object_get(obj, "metadata"), "finalizers");
    size_t i;
    const json_t *v;
    json_array_foreach(fins, i, v)
    {
        if (json_is_string(v))
            bump(t->finalizers, json_string_value(v));
    }
}

static int delete_one(void *ctx, const json_t *obj)
{
    tally *t = ctx;
    if (deleting(obj)) {
        count_left(t, obj);
        return 0;
    }
    k1s_target tg = {t->kind, k1s_meta(obj, "namespace"), k1s_meta(obj, "name"), NULL};
    /* background, as kube's namespace deleter; pods keep their grace */
    k1s_opts o = {
        .propagation = "Background", .grace_seconds = -1, .precondition_uid = k1s_meta(obj, "uid")};
    k1s_status st = {0};
    json_t *out = NULL; /* new */
    int removed = 0;
    if (k1s_api_delete(k1s_ctrl_api(t->c), &tg, &o, &out, &removed, &st) == 0) {
        if (!removed)
            count_left(t, out);
    } else if (st.code != 404 && st.code != 409) {
        char res[256];
        snprintf(res, sizeof res, "%s.%s", t->kind->plural, t->kind->group);
        if (!json_object_get(t->errors, res))
            json_object_set_new(t->errors, res,
                                json_string(st.message ? st.message : "delete failed"));
        count_left(t, obj);
    } else if (st.code == 409) {
        count_left(t, obj); /* replaced meanwhile: the next pass sees it */
    }
    json_decref(out);
    k1s_status_clear(&st);
    return 0;
}

static int count_item(void *ctx, const char *json, size_t len)
{
    tally *t = ctx;
    json_t *o = k1s_json_load(json, len, NULL); /* new */
    if (o)
        count_left(t, o);
    json_decref(o);
    return 0;
}

/* Ask the store (not the caches) whether anything is left in ns. */
static void confirm_empty(tally *t, const char *ns)
{
    size_t n;
    const k1s_kind *kinds = k1s_registry_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        if (!kinds[i].namespaced)
            continue;
        t->kind = &kinds[i];
        k1s_list_opts lo = {.limit = 1};
        k1s_list_result res = {0};
        k1s_status st = {0};
        if (k1s_api_list(k1s_ctrl_api(t->c), t->kind, ns, &lo, count_item, t, &res, &st) == 0)
            k1s_list_result_free(&res);
        else
            t->left++;
        k1s_status_clear(&st);
    }
}

/* ---- status conditions -------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "prefix" + the counts as "<key><sep><n> resource instances", sorted,
 * joined by ", ". New string. */
static json_t *count_message(const char *prefix, json_t *counts, const char *sep)
{
    size_t n = json_object_size(counts), k = 0;
    char **parts = calloc(n ? n : 1, sizeof *parts);
    const char *key;
    json_t *v;
    json_object_foreach(counts, key, v)
    {
        if (!parts || asprintf(&parts[k], "%s%s%lld resource instances", key, sep,
                               (long long)json_integer_value(v)) < 0)
            break;
        k++;
    }
    qsort(parts, k, sizeof *parts, cmp_str);
    size_t len = strlen(prefix) + 1;
    for (size_t i = 0; i < k; i++)
        len += strlen(parts[i]) + 2;
    char *msg = malloc(len);
    if (msg) {
        strcpy(msg, prefix);
        for (size_t i = 0; i < k; i++) {
            if (i)
                strcat(msg, ", ");
            strcat(msg, parts[i]);
        }
    }
    for (size_t i = 0; i < k; i++)
        free(parts[i]);
    free(parts);
    json_t *s = json_string(msg ? msg : prefix);
    free(msg);
    return s;
}

static json_t *failure_message(json_t *errors)
{
    size_t n = json_object_size(errors), k = 0;
    const char **msgs = calloc(n ? n : 1, sizeof *msgs);
    const char *key;
    json_t *v;
    json_object_foreach(errors, key, v)
    {
        if (msgs)
            msgs[k++] = json_string_value(v);
    }
    qsort(msgs, k, sizeof *msgs, cmp_str);
    size_t len = 96;
    for (size_t i = 0; i < k; i++)
        len += strlen(msgs[i]) + 2;
    char *buf = malloc(len);
    json_t *s = NULL;
    if (buf) {
        int off = snprintf(buf, len, "Failed to delete all resource types, %zu remaining: ", k);
        for (size_t i = 0; i < k && off >= 0 && (size_t)off < len; i++)
            off += snprintf(buf + off, len - (size_t)off, "%s%s", i ? ", " : "", msgs[i]);
        s = json_string(buf);
    }
    free(buf);
    free(msgs);
    return s ? s : json_string("Failed to delete all resource types");
}

/* Set condition type in conds (borrowed array) as kube does: a transition
 * time when it is new or its status changes. Returns true if it changed. */
static bool set_condition(json_t *conds, const char *type, bool on, const char *reason,
                          json_t *message /* stolen */)
{
    const char *status = on ? "True" : "False";
    char now[K1S_TIME_LEN];
    k1s_time_format_now(now, sizeof now);
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (!t || strcmp(t, type))
            continue;
        const char *os = json_string_value(json_object_get(c, "status"));
        const char *orr = json_string_value(json_object_get(c, "reason"));
        bool changed = !os || strcmp(os, status) || !orr || strcmp(orr, reason) ||
                       !json_equal(json_object_get(c, "message"), message);
        if (!os || strcmp(os, status))
            json_object_set_new(c, "lastTransitionTime", json_string(now));
        json_object_set_new(c, "status", json_string(status));
        json_object_set_new(c, "reason", json_string(reason));
        json_object_set_new(c, "message", message);
        return changed;
    }
    json_array_append_new(conds, json_pack("{s:s, s:s, s:s, s:s, s:o}", "type", type, "status",
                                           status, "lastTransitionTime", now, "reason", reason,
                                           "message", message));
    return true;
}

/* Bring the namespace's conditions up to date with the pass. *ns is the
 * stored namespace, replaced by the updated one. A reconcile result. */
static int update_conditions(k1s_ctrl *c, json_t **ns, const tally *t)
{
    json_t *obj = json_deep_copy(*ns); /* new */
    json_t *status = json_object_get(obj, "status");
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(obj, "status", status);
    }
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    bool changed = false;
    changed |=
        set_condition(conds, "NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered",
                      json_string("All resources successfully discovered"));
    changed |= set_condition(conds, "NamespaceDeletionGroupVersionParsingFailure", false,
                             "ParsedGroupVersions",
                             json_string("All legacy kube types successfully parsed"));
    bool failed = json_object_size(t->errors) > 0;
    changed |= set_condition(
        conds, "NamespaceDeletionContentFailure", failed,
        failed ? "ContentDeletionFailed" : "ContentDeleted",
        failed ? failure_message(t->errors)
               : json_string("All content successfully deleted, may be waiting on finalization"));
    bool left = json_object_size(t->remaining) > 0;
    changed |= set_condition(
        conds, "NamespaceContentRemaining", left, left ? "SomeResourcesRemain" : "ContentRemoved",
        left ? count_message("Some resources are remaining: ", t->remaining, " has ")
             : json_string("All content successfully removed"));
    bool held = json_object_size(t->finalizers) > 0;
    changed |= set_condition(
        conds, "NamespaceFinalizersRemaining", held,
        held ? "SomeFinalizersRemain" : "ContentHasNoFinalizers",
        held ? count_message("Some content in the namespace has finalizers remaining: ",
                             t->finalizers, " in ")
             : json_string("All content-preserving finalizers finished"));
    int rc = 0;
    if (changed) {
        json_t *out = NULL; /* new */
        int code = k1s_ctrl_update(c, "", "Namespace", "", "status", obj, &out);
        if (code == 0) {
            json_decref(*ns);
            *ns = out;
        } else {
            rc = code == 409 ? 20 : code == 404 ? 0 : -1;
        }
    }
    json_decref(obj);
    return rc;
}

/* ---- finishing ------------------------------------------------------------------------ */

/* Everything is gone: take "kubernetes" out of spec.finalizers. */
static int finalize(k1s_ctrl *c, const json_t *ns)
{
    json_t *obj = json_deep_copy(ns); /* new */
    json_t *spec = json_object_get(obj, "spec");
    json_t *fins = json_object_get(spec, "finalizers");
    json_t *keep = json_array(); /* new */
    size_t i;
    json_t *v;
    json_array_foreach(fins, i, v)
    {
        if (!json_is_string(v) || strcmp(json_string_value(v), FINALIZER))
            json_array_append(keep, v);
    }
    json_object_set_new(spec, "finalizers", keep);
    int code = k1s_ctrl_update(c, "", "Namespace", "", NULL, obj, NULL);
    json_decref(obj);
    return code == 0 || code == 404 ? 0 : code == 409 ? 20 : -1;
}

/* How long to wait before looking again: soon at first, then less often
 * for a namespace stuck on something (a pod without a kubelet, a
 * finalizer nobody removes). */
static int64_t recheck_ms(const json_t *ns)
{
    const char *ts = k1s_meta(ns, "deletionTimestamp");
    k1s_time t;
    if (k1s_time_parse_str(ts, &t) != 0)
        return 1000;
    int64_t age = k1s_time_now() - t.sec;
    return age < 10 ? 200 : age < 120 ? 1000 : 5000;
}

/* One requeue timer per namespace, however often events wake it. */
static int requeue(ns_state *s, const char *name, const json_t *ns)
{
    int64_t now = k1s_time_mono_ms();
    json_int_t due = json_integer_value(json_object_get(s->timer, name));
    if (due > now)
        return 0;
    int64_t d = recheck_ms(ns);
    json_object_set_new(s->timer, name, json_integer(now + d));
    return (int)d;
}

static int reconcile(k1s_ctrl *c, void *state, const char *unused, const char *name)
{
    ns_state *s = state;
    (void)unused;
    k1s_informer *nsi = k1s_ctrl_informer(c, "", "Namespace");
    const json_t *cached = nsi ? k1s_informer_get(nsi, "", name) : NULL;
    if (!s || !cached || !deleting(cached) || !has_spec_finalizer(cached)) {
        if (s)
            json_object_del(s->timer, name);
        return 0;
    }
    json_t *ns = NULL; /* new: the stored namespace */
    k1s_target t = {k1s_registry_find_kind("", "Namespace"), "", name, NULL};
    k1s_status st = {0};
    if (k1s_api_get(k1s_ctrl_api(c), &t, &ns, &st)) {
        int code = st.code;
        k1s_status_clear(&st);
        return code == 404 ? 0 : -1;
    }
    int rc = 0;
    tally tl = {c, NULL, json_object(), json_object(), json_object(), 0};
    if (!deleting(ns) || !has_spec_finalizer(ns))
        goto cleanup;
    size_t n;
    const k1s_kind *kinds = k1s_registry_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        if (!kinds[i].namespaced)
            continue;
        k1s_informer *inf = k1s_ctrl_informer(c, kinds[i].group, kinds[i].kind);
        if (!inf)
            continue;
        tl.kind = &kinds[i];
        k1s_informer_each(inf, name, delete_one, &tl);
    }
    if (tl.left == 0)
        confirm_empty(&tl, name);
    rc = update_conditions(c, &ns, &tl);
    if (rc)
        goto cleanup;
    if (tl.left || json_object_size(tl.errors)) {
        rc = requeue(s, name, ns);
        goto cleanup;
    }
    json_object_del(s->timer, name);
    rc = finalize(c, ns);
cleanup:
    json_decref(tl.remaining);
    json_decref(tl.finalizers);
    json_decref(tl.errors);
    json_decref(ns);
    return rc;
}

/* A pod or claim went: its namespace may be empty now. */
static void content_gone(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (obj || !old)
        return;
    const char *ns = k1s_meta(old, "namespace");
    k1s_informer *nsi = k1s_ctrl_informer(c, "", "Namespace");
    const json_t *n = nsi && ns ? k1s_informer_get(nsi, "", ns) : NULL;
    if (n && deleting(n))
        k1s_ctrl_enqueue(c, id, "", ns);
}

static void *ns_init(k1s_ctrl *c)
{
    (void)c;
    ns_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->timer = json_object();
    return s;
}

static void ns_fini(void *state)
{
    ns_state *s = state;
    if (!s)
        return;
    json_decref(s->timer);
    free(s);
}

const k1s_controller_def k1s__ctrl_namespace = {
    .name = "namespace-controller",
    .group = "",
    .kind = "Namespace",
    .reconcile = reconcile,
    .watches = {{"", "Pod", content_gone}, {"", "PersistentVolumeClaim", content_gone}},
    .init = ns_init,
    .fini = ns_fini,
};
