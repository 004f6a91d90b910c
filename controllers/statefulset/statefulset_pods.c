/*
 * statefulset_pods.c - making, fixing and deleting a StatefulSet's pods
 * and their claims, as kube's StatefulPodControl does: a pod's claims are
 * created (or reused) before the pod, the pod carries its identity
 * (hostname, subdomain, pod-name and pod-index labels) and one
 * persistentVolumeClaim volume per claim template, and the claims' owner
 * references follow persistentVolumeClaimRetentionPolicy. Every create
 * and delete is recorded as kube words its events.
 */
#include "statefulset_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---------------------------------------------------------------- */

static const char *template_name(const json_t *tmpl)
{
    const char *n = k1s_meta(tmpl, "name");
    return n && *n ? n : NULL;
}

static int claim_name(k1s__sts *s, const json_t *tmpl, long long ord, char *buf, size_t len)
{
    const char *t = template_name(tmpl);
    if (!t)
        return -1;
    int n = snprintf(buf, len, "%s-%s-%lld", t, s->name, ord);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static const json_t *claim_templates(k1s__sts *s)
{
    const json_t *a = k1s_json_at(s->set, "spec.volumeClaimTemplates");
    return json_is_array(a) ? a : NULL;
}

static long long pod_ordinal(k1s__sts *s, const json_t *pod)
{
    return k1s__sts_ordinal(s->name, k1s_meta(pod, "name"));
}

static bool in_range(k1s__sts *s, long long ord)
{
    return ord >= s->start && ord < s->start + s->replicas;
}

/* ---- new pods ---------------------------------------------------------------- */

/* A string-to-string map copied, or a new empty one. New. */
static json_t *copy_map(const json_t *m)
{
    return json_is_object(m) ? json_deep_copy(m) : json_object();
}

/* The template's volumes with one claim volume per claim template in
 * front, replacing template volumes of the same names (updateStorage). */
static void set_claim_volumes(k1s__sts *s, json_t *spec, long long ord)
{
    json_t *vols = json_array(); /* new */
    const json_t *tmpls = claim_templates(s);
    size_t i;
    const json_t *t;
    json_array_foreach(tmpls, i, t)
    {
        char cn[K1S_STS_NAME_MAX];
        if (claim_name(s, t, ord, cn, sizeof cn))
            continue;
        json_array_append_new(vols, json_pack("{s:s, s:{s:s}}", "name", template_name(t),
                                              "persistentVolumeClaim", "claimName", cn));
    }
    const json_t *old = json_object_get(spec, "volumes");
    const json_t *v;
    json_array_foreach(old, i, v)
    {
        const char *vn = k1s_json_str(v, "name");
        bool shadowed = false;
        size_t j;
        json_array_foreach(tmpls, j, t)
        {
            const char *tn = template_name(t);
            if (vn && tn && !strcmp(vn, tn))
                shadowed = true;
        }
        if (!shadowed)
            json_array_append(vols, (json_t *)v);
    }
    if (json_array_size(vols))
        json_object_set_new(spec, "volumes", vols);
    else
        json_decref(vols);
}

json_t *k1s__sts_new_pod(k1s__sts *s, const json_t *from_set, const char *rev, long long ord)
{
    char name[K1S_STS_NAME_MAX], prefix[K1S_STS_NAME_MAX], index[32];
    int n = snprintf(name, sizeof name, "%s-%lld", s->name, ord);
    if (n < 0 || (size_t)n >= sizeof name)
        return NULL;
    snprintf(prefix, sizeof prefix, "%s-", s->name);
    snprintf(index, sizeof index, "%lld", ord);
    const json_t *tmpl = k1s_json_at(from_set, "spec.template");
    const json_t *tmeta = json_object_get(tmpl, "metadata");
    const json_t *tspec = json_object_get(tmpl, "spec");

    json_t *labels = copy_map(json_object_get(tmeta, "labels")); /* new */
    json_object_set_new(labels, K1S_STS_POD_NAME_LABEL, json_string(name));
    json_object_set_new(labels, K1S_STS_POD_INDEX_LABEL, json_string(index));
    json_object_set_new(labels, K1S_STS_REVISION_LABEL, json_string(rev ? rev : ""));
    json_t *meta = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "generateName", prefix,
                             "namespace", s->ns, "labels", labels); /* new */
    const json_t *ann = json_object_get(tmeta, "annotations");
    if (json_is_object(ann) && json_object_size(ann))
        json_object_set_new(meta, "annotations", json_deep_copy(ann));
    json_object_set_new(
        meta, "ownerReferences",
        json_pack("[o]", k1s__sts_owner_ref("apps/v1", "StatefulSet", s->name, s->uid)));
    const json_t *fin = json_object_get(tmeta, "finalizers");
    if (json_is_array(fin) && json_array_size(fin))
        json_object_set_new(meta, "finalizers", json_deep_copy(fin));

    json_t *spec = json_is_object(tspec) ? json_deep_copy(tspec) : json_object(); /* new */
    json_object_set_new(spec, "hostname", json_string(name));
    const char *svc = k1s_json_str(s->set, "spec.serviceName");
    if (svc && *svc)
        json_object_set_new(spec, "subdomain", json_string(svc));
    set_claim_volumes(s, spec, ord);
    return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta,
                     "spec", spec);
}

json_t *k1s__sts_versioned_pod(k1s__sts *s, long long ord)
{
    /* newVersionedStatefulSetPod: below the partition (or, without
       rollingUpdate parameters, below currentReplicas) pods stay at the
       current revision */
    const json_t *us = k1s_json_at(s->set, "spec.updateStrategy");
    const char *type = k1s_json_str(us, "type");
    const json_t *ru = json_object_get(us, "rollingUpdate");
    bool current;
    if (json_is_object(ru))
        current = ord < s->start + k1s_json_int(ru, "partition", 0);
    else
        current = type && !strcmp(type, "RollingUpdate") &&
                  ord < s->start + k1s_json_int(s->set, "status.currentReplicas", 0);
    if (current)
        return k1s__sts_new_pod(s, s->current_set, s->current_rev, ord);
    return k1s__sts_new_pod(s, s->update_set, s->update_rev, ord);
}

/* ---- claims' owner references ---------------------------------------------------- */

typedef struct podid {
    const char *name, *uid; /* uid "" for a pod not made yet */
    bool scaled_down;
} podid;

static bool is_ref(const json_t *ref, const char *av, const char *kind, const char *name)
{
    const char *a = k1s_json_str(ref, "apiVersion"), *k = k1s_json_str(ref, "kind");
    const char *n = k1s_json_str(ref, "name");
    return a && k && n && !strcmp(a, av) && !strcmp(k, kind) && !strcmp(n, name);
}

static const char *ref_uid(const json_t *ref)
{
    const char *u = k1s_json_str(ref, "uid");
    return u ? u : "";
}

static bool is_set_ref(k1s__sts *s, const json_t *ref)
{
    return is_ref(ref, "apps/v1", "StatefulSet", s->name);
}

static bool is_pod_ref(const podid *p, const json_t *ref)
{
    return is_ref(ref, "v1", "Pod", p->name);
}

static const json_t *claim_refs(const json_t *claim)
{
    return k1s_json_at(claim, "metadata.ownerReferences");
}

/* A reference to the set or pod by name whose uid is another's: the
 * claim belongs to an earlier incarnation, hands off. */
static bool stale_ref(k1s__sts *s, const json_t *claim, const podid *p)
{
    bool stale = false, seen_set = false, seen_pod = false;
    size_t i;
    const json_t *r;
    json_array_foreach(claim_refs(claim), i, r)
    {
        if (!seen_set && is_set_ref(s, r)) {
            seen_set = true;
            stale |= strcmp(ref_uid(r), s->uid) != 0;
        }
        if (!seen_pod && is_pod_ref(p, r)) {
            seen_pod = true;
            stale |= strcmp(ref_uid(r), p->uid) != 0;
        }
    }
    return stale;
}

static bool has_owner(const json_t *claim, const char *uid)
{
    size_t i;
    const json_t *r;
    if (!uid || !*uid)
        return false;
    json_array_foreach(claim_refs(claim), i, r)
    {
        if (!strcmp(ref_uid(r), uid))
            return true;
    }
    return false;
}

static bool unexpected_controller(k1s__sts *s, const json_t *claim, const podid *p)
{
    if (!s->scaled_delete && !s->deleted_delete)
        return false; /* with Retain others may manage the claims */
    size_t i;
    const json_t *r;
    json_array_foreach(claim_refs(claim), i, r)
    {
        if (is_set_ref(s, r)) {
            if (strcmp(ref_uid(r), s->uid))
                return true;
            continue;
        }
        if (is_pod_ref(p, r)) {
            if (strcmp(ref_uid(r), p->uid))
                return true;
            continue;
        }
        if (json_is_true(json_object_get(r, "controller")))
            return true;
    }
    return false;
}

static bool non_controller_owner(k1s__sts *s, const json_t *claim, const podid *p)
{
    size_t i;
    const json_t *r;
    json_array_foreach(claim_refs(claim), i, r)
    {
        const char *u = ref_uid(r);
        if ((!strcmp(u, s->uid) || (*p->uid && !strcmp(u, p->uid))) &&
            !json_is_true(json_object_get(r, "controller")))
            return true;
    }
    return false;
}

/* isClaimOwnerUpToDate: Retain/Retain no owner; whenDeleted Delete the
 * set; whenScaled Delete the pod once it is scaled down. */
static bool claim_up_to_date(k1s__sts *s, const json_t *claim, const podid *p)
{
    if (stale_ref(s, claim, p))
        return true;
    bool has_set = has_owner(claim, s->uid), has_pod = has_owner(claim, p->uid);
    if (unexpected_controller(s, claim, p))
        return !(has_set || has_pod);
    if (non_controller_owner(s, claim, p))
        return false;
    bool want_set = s->deleted_delete && !(s->scaled_delete && p->scaled_down);
    bool want_pod = s->scaled_delete && p->scaled_down;
    return has_set == want_set && has_pod == want_pod;
}

/* updateClaimOwnerRefForSetAndPod on a copy of the claim. */
static void claim_set_refs(k1s__sts *s, json_t *claim, const podid *p)
{
    bool unexpected = unexpected_controller(s, claim, p);
    json_t *meta = k1s_json_object_at(claim, "metadata");
    const json_t *old = json_object_get(meta, "ownerReferences");
    json_t *refs = json_array(); /* new */
    size_t i;
    const json_t *r;
    json_array_foreach(old, i, r)
    {
        if (!is_set_ref(s, r) && !is_pod_ref(p, r))
            json_array_append(refs, (json_t *)r);
    }
    if (!unexpected) {
        if (s->scaled_delete && p->scaled_down && *p->uid)
            json_array_append_new(refs, k1s__sts_owner_ref("v1", "Pod", p->name, p->uid));
        else if (s->deleted_delete)
            json_array_append_new(refs,
                                  k1s__sts_owner_ref("apps/v1", "StatefulSet", s->name, s->uid));
    }
    if (json_array_size(refs))
        json_object_set_new(meta, "ownerReferences", refs);
    else {
        json_object_del(meta, "ownerReferences");
        json_decref(refs);
    }
}

static podid pod_id(k1s__sts *s, const json_t *pod)
{
    const char *uid = k1s_meta(pod, "uid");
    podid p = {k1s_meta(pod, "name"), uid ? uid : "", !in_range(s, pod_ordinal(s, pod))};
    if (!p.name)
        p.name = "";
    return p;
}

/* Bring the claims of pod in line with the policy; *changed set when a
 * claim was written. */
static int fix_claims(k1s__sts *s, const json_t *pod, bool *changed)
{
    podid p = pod_id(s, pod);
    long long ord = pod_ordinal(s, pod);
    const json_t *tmpls = claim_templates(s);
    size_t i;
    const json_t *t;
    int rc = 0;
    json_array_foreach(tmpls, i, t)
    {
        char cn[K1S_STS_NAME_MAX];
        if (claim_name(s, t, ord, cn, sizeof cn))
            continue;
        const json_t *claim = k1s_informer_get(s->st->claims, s->ns, cn);
        if (!claim || claim_up_to_date(s, claim, &p))
            continue;
        if (unexpected_controller(s, claim, &p))
            k1s_ctrl_event(
                s->c, K1S_STS_COMPONENT, s->set, "Warning", "ConflictingController",
                "PersistentVolumeClaim %s has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim",
                cn);
        json_t *copy = json_deep_copy(claim); /* new */
        claim_set_refs(s, copy, &p);
        if (k1s__sts_update(s, "", "PersistentVolumeClaim", NULL, copy, NULL, NULL))
            rc = -1;
        else if (changed)
            *changed = true;
        json_decref(copy);
    }
    return rc;
}

int k1s__sts_fix_claims(k1s__sts *s, const json_t *pod)
{
    return fix_claims(s, pod, NULL);
}

/* The claim's first reference to the pod's name has another uid. */
static bool stale_pod_ref(const json_t *claim, const podid *p)
{
    size_t i;
    const json_t *r;
    json_array_foreach(claim_refs(claim), i, r)
    {
        if (is_pod_ref(p, r))
            return strcmp(ref_uid(r), p->uid) != 0;
    }
    return false;
}

bool k1s__sts_claim_is_stale(k1s__sts *s, const json_t *pod)
{
    if (!s->scaled_delete)
        return false; /* retained claims are meant to be reused */
    podid p = pod_id(s, pod);
    long long ord = pod_ordinal(s, pod);
    size_t i;
    const json_t *t;
    json_array_foreach(claim_templates(s), i, t)
    {
        char cn[K1S_STS_NAME_MAX];
        if (claim_name(s, t, ord, cn, sizeof cn))
            continue;
        const json_t *claim = k1s_informer_get(s->st->claims, s->ns, cn);
        if (claim && stale_pod_ref(claim, &p))
            return true;
    }
    return false;
}

/* ---- creating claims and pods ------------------------------------------------------- */

/* A claim for ordinal ord from template tmpl. New. */
static json_t *new_claim(k1s__sts *s, const json_t *tmpl, const char *name)
{
    json_t *claim = json_deep_copy(tmpl); /* new */
    if (!json_is_object(claim)) {
        json_decref(claim);
        return NULL;
    }
    json_object_del(claim, "status");
    json_object_set_new(claim, "apiVersion", json_string("v1"));
    json_object_set_new(claim, "kind", json_string("PersistentVolumeClaim"));
    json_t *meta = k1s_json_object_at(claim, "metadata");
    static const char *const drop[] = {"uid",
                                       "resourceVersion",
                                       "creationTimestamp",
                                       "generateName",
                                       "ownerReferences",
                                       "deletionTimestamp",
                                       "deletionGracePeriodSeconds",
                                       NULL};
    for (const char *const *d = drop; *d; d++)
        json_object_del(meta, *d);
    json_object_set_new(meta, "name", json_string(name));
    json_object_set_new(meta, "namespace", json_string(s->ns));
    /* the template's labels, then the selector's matchLabels over them */
    json_t *labels = copy_map(json_object_get(meta, "labels")); /* new */
    const json_t *ml = k1s_json_at(s->set, "spec.selector.matchLabels");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ml, k, v) json_object_set(labels, k, v);
    if (json_object_size(labels))
        json_object_set_new(meta, "labels", labels);
    else
        json_decref(labels);
    if (s->deleted_delete)
        json_object_set_new(
            meta, "ownerReferences",
            json_pack("[o]", k1s__sts_owner_ref("apps/v1", "StatefulSet", s->name, s->uid)));
    return claim;
}

/* Append "what" to the aggregate error text *errs. */
static void add_error(char **errs, int *nerrs, const char *what)
{
    char *next = NULL;
    if (!*errs) {
        next = strdup(what);
    } else if (asprintf(&next, "%s, %s", *errs, what) < 0) {
        next = NULL;
    }
    if (next) {
        free(*errs);
        *errs = next;
    }
    (*nerrs)++;
}

/* createPersistentVolumeClaims: make the missing claims of the pod named
 * pod_name (ordinal ord). Returns 0 or -1 with *err the aggregate text. */
static int create_claims(k1s__sts *s, const char *pod_name, long long ord, char **err)
{
    char *errs = NULL;
    int nerrs = 0;
    size_t i;
    const json_t *t;
    json_array_foreach(claim_templates(s), i, t)
    {
        char cn[K1S_STS_NAME_MAX], line[1400];
        if (claim_name(s, t, ord, cn, sizeof cn))
            continue;
        const json_t *have = k1s_informer_get(s->st->claims, s->ns, cn);
        if (have) {
            if (k1s__sts_pod_terminating(have)) {
                snprintf(line, sizeof line, "pvc %s is being deleted", cn);
                add_error(&errs, &nerrs, line);
            }
            continue; /* an existing claim is reused as it is */
        }
        json_t *claim = new_claim(s, t, cn); /* new */
        if (!claim)
            continue;
        char *msg = NULL;
        int rc = k1s__sts_create(s, "", "PersistentVolumeClaim", claim, NULL, &msg);
        json_decref(claim);
        if (rc == 0) {
            k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Normal", "SuccessfulCreate",
                           "create Claim %s Pod %s in StatefulSet %s success", cn, pod_name,
                           s->name);
        } else if (rc != 409) {
            /* (409: made meanwhile, the cache had not caught up; it is
               reused like any existing claim) */
            snprintf(line, sizeof line, "failed to create PVC %s: %s", cn, msg ? msg : "");
            add_error(&errs, &nerrs, line);
            k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Warning", "FailedCreate",
                           "create Claim %s for Pod %s in StatefulSet %s failed error: %s", cn,
                           pod_name, s->name, msg ? msg : "");
        }
        free(msg);
    }
    if (!nerrs)
        return 0;
    /* utilerrors.NewAggregate brackets two or more */
    if (nerrs > 1) {
        char *b = NULL;
        if (asprintf(&b, "[%s]", errs) >= 0) {
            free(errs);
            errs = b;
        }
    }
    *err = errs;
    return -1;
}

int k1s__sts_create_missing_claims(k1s__sts *s, const json_t *pod)
{
    char *err = NULL;
    const char *name = k1s_meta(pod, "name");
    int rc = create_claims(s, name ? name : "", pod_ordinal(s, pod), &err);
    free(err);
    if (rc == 0)
        rc = fix_claims(s, pod, NULL);
    return rc;
}

int k1s__sts_create_pod(k1s__sts *s, json_t *pod)
{
    const char *name = k1s_meta(pod, "name");
    char *err = NULL;
    if (create_claims(s, name, pod_ordinal(s, pod), &err)) {
        k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Warning", "FailedCreate",
                       "create Pod %s in StatefulSet %s failed error: %s", name, s->name,
                       err ? err : "");
        free(err);
        return -1;
    }
    json_t *made = NULL; /* new */
    int rc = k1s__sts_create(s, "", "Pod", pod, &made, &err);
    if (rc == 409) {
        free(err);
        return -1; /* someone has the name: retried with backoff */
    }
    if (rc == 0) {
        /* reused claims may need the policy's owner references */
        if (fix_claims(s, made, NULL))
            rc = -1;
        k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Normal", "SuccessfulCreate",
                       "create Pod %s in StatefulSet %s successful", name, s->name);
    } else {
        k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Warning", "FailedCreate",
                       "create Pod %s in StatefulSet %s failed error: %s", name, s->name,
                       err ? err : "");
    }
    json_decref(made);
    free(err);
    return rc ? -1 : 0;
}

int k1s__sts_delete_pod(k1s__sts *s, const json_t *pod)
{
    const char *name = k1s_meta(pod, "name");
    char *err = NULL;
    int rc = k1s__sts_delete(s, "", "Pod", name, k1s_meta(pod, "uid"), &err);
    if (rc == 404) {
        free(err);
        return 0; /* already gone */
    }
    if (rc == 0)
        k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Normal", "SuccessfulDelete",
                       "delete Pod %s in StatefulSet %s successful", name, s->name);
    else
        k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Warning", "FailedDelete",
                       "delete Pod %s in StatefulSet %s failed error: %s", name, s->name,
                       err ? err : "");
    free(err);
    return rc ? -1 : 0;
}

/* ---- keeping pods consistent ---------------------------------------------------------- */

static bool identity_matches(k1s__sts *s, const json_t *pod)
{
    const json_t *labels = k1s_json_at(pod, "metadata.labels");
    const char *name = k1s_meta(pod, "name");
    const char *pn = json_string_value(json_object_get(labels, K1S_STS_POD_NAME_LABEL));
    const char *pi = json_string_value(json_object_get(labels, K1S_STS_POD_INDEX_LABEL));
    char index[32];
    snprintf(index, sizeof index, "%lld", pod_ordinal(s, pod));
    return name && pn && pi && !strcmp(pn, name) && !strcmp(pi, index);
}

static bool storage_matches(k1s__sts *s, const json_t *pod)
{
    long long ord = pod_ordinal(s, pod);
    const json_t *vols = k1s_json_at(pod, "spec.volumes");
    size_t i;
    const json_t *t;
    json_array_foreach(claim_templates(s), i, t)
    {
        char cn[K1S_STS_NAME_MAX];
        if (claim_name(s, t, ord, cn, sizeof cn))
            continue;
        bool found = false;
        size_t j;
        const json_t *v;
        json_array_foreach(vols, j, v)
        {
            const char *vn = k1s_json_str(v, "name");
            const char *claim =
                json_string_value(k1s_json_at(v, "persistentVolumeClaim.claimName"));
            if (vn && !strcmp(vn, template_name(t)))
                found = claim && !strcmp(claim, cn);
        }
        if (!found)
            return false;
    }
    return true;
}

int k1s__sts_update_pod(k1s__sts *s, const json_t *pod)
{
    const char *name = k1s_meta(pod, "name");
    bool dirty = false;
    int rc = 0;
    json_t *copy = json_deep_copy(pod); /* new */
    if (!identity_matches(s, pod)) {
        char index[32];
        snprintf(index, sizeof index, "%lld", pod_ordinal(s, pod));
        json_t *labels = k1s_json_object_at(k1s_json_object_at(copy, "metadata"), "labels");
        json_object_set_new(labels, K1S_STS_POD_NAME_LABEL, json_string(name));
        json_object_set_new(labels, K1S_STS_POD_INDEX_LABEL, json_string(index));
        dirty = true;
    }
    /* a running pod's volumes cannot change; what can be done is to make
       the claims it should have */
    if (!storage_matches(s, pod)) {
        char *err = NULL;
        if (create_claims(s, name ? name : "", pod_ordinal(s, pod), &err))
            rc = -1;
        free(err);
    }
    bool claims_changed = false;
    if (fix_claims(s, pod, &claims_changed))
        rc = -1;
    if (dirty || claims_changed) {
        char *err = NULL;
        int urc = k1s__sts_update(s, "", "Pod", NULL, copy, NULL, &err);
        if (urc == 0)
            k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Normal", "SuccessfulUpdate",
                           "update Pod %s in StatefulSet %s successful", name, s->name);
        else if (urc != 409)
            k1s_ctrl_event(s->c, K1S_STS_COMPONENT, s->set, "Warning", "FailedUpdate",
                           "update Pod %s in StatefulSet %s failed error: %s", name, s->name,
                           err ? err : "");
        if (urc)
            rc = -1;
        free(err);
    }
    json_decref(copy);
    return rc;
}

/* ---- claims whose pod is gone ------------------------------------------------------------ */

typedef struct gcctx {
    k1s__sts *s;
    json_t *doomed; /* owned: claim name -> uid */
} gcctx;

/* The ordinal of a claim of this set (<template>-<set>-<n>), or -1. */
static long long claim_ordinal(k1s__sts *s, const char *claim)
{
    size_t i;
    const json_t *t;
    json_array_foreach(claim_templates(s), i, t)
    {
        char prefix[K1S_STS_NAME_MAX];
        const char *tn = template_name(t);
        int n = tn ? snprintf(prefix, sizeof prefix, "%s-%s", tn, s->name) : -1;
        if (n < 0 || (size_t)n >= sizeof prefix)
            continue;
        long long ord = k1s__sts_ordinal(prefix, claim);
        if (ord >= 0)
            return ord;
    }
    return -1;
}

static int find_orphaned_claim(void *vctx, const json_t *claim)
{
    gcctx *g = vctx;
    k1s__sts *s = g->s;
    const char *name = k1s_meta(claim, "name");
    const json_t *refs = claim_refs(claim);
    if (!name || !json_array_size(refs) || k1s__sts_pod_terminating(claim) ||
        claim_ordinal(s, name) < 0)
        return 0;
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *kind = k1s_json_str(r, "kind"), *av = k1s_json_str(r, "apiVersion");
        if (!kind || !av || strcmp(kind, "Pod") || strcmp(av, "v1"))
            return 0; /* some other owner: not ours to judge */
        const json_t *pod = k1s_informer_get(s->st->pods, s->ns, k1s_json_str(r, "name"));
        const char *uid = k1s_meta(pod, "uid");
        if (uid && !strcmp(uid, ref_uid(r)))
            return 0; /* its pod is still there */
    }
    const char *uid = k1s_meta(claim, "uid");
    json_object_set_new(g->doomed, name, json_string(uid ? uid : ""));
    return 0;
}

void k1s__sts_collect_claims(k1s__sts *s)
{
    if (!json_array_size(claim_templates(s)))
        return;
    gcctx g = {s, json_object()};
    k1s_informer_each(s->st->claims, s->ns, find_orphaned_claim, &g);
    const char *name;
    json_t *uid;
    json_object_foreach(g.doomed, name, uid)
        k1s__sts_delete(s, "", "PersistentVolumeClaim", name, json_string_value(uid), NULL);
    json_decref(g.doomed);
}
