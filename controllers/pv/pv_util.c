/*
 * pv_util.c - readers of PersistentVolume, PersistentVolumeClaim and
 * StorageClass fields with kube's defaults and legacy annotations, shared
 * by the persistentvolume-controller and the hostpath provisioner.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "pv_internal.h"

#include <string.h>

const char *k1s__pv_claim_class(const json_t *claim)
{
    const char *beta = k1s_meta_annotation(claim, K1S_ANN_BETA_STORAGE_CLASS);
    if (beta)
        return beta;
    return k1s_json_str_or(claim, "spec.storageClassName", "");
}

bool k1s__pv_claim_has_class(const json_t *claim)
{
    if (k1s_meta_annotation(claim, K1S_ANN_BETA_STORAGE_CLASS))
        return true;
    return k1s_json_str(claim, "spec.storageClassName") != NULL;
}

const char *k1s__pv_volume_class(const json_t *pv)
{
    const char *beta = k1s_meta_annotation(pv, K1S_ANN_BETA_STORAGE_CLASS);
    if (beta)
        return beta;
    return k1s_json_str_or(pv, "spec.storageClassName", "");
}

const char *k1s__pv_volume_mode(const json_t *obj)
{
    const char *m = k1s_json_str_or(obj, "spec.volumeMode", "");
    return *m ? m : "Filesystem";
}

static int storage_of(const json_t *v, k1s_quantity *q)
{
    memset(q, 0, sizeof *q);
    if (!v || k1s_quantity_from_json(v, q) != 0) {
        memset(q, 0, sizeof *q);
        return -1;
    }
    return 0;
}

int k1s__pv_request(const json_t *claim, k1s_quantity *q)
{
    return storage_of(k1s_json_at(claim, "spec.resources.requests.storage"), q);
}

int k1s__pv_capacity(const json_t *pv, k1s_quantity *q)
{
    return storage_of(k1s_json_at(pv, "spec.capacity.storage"), q);
}

json_t *k1s__pv_claim_ref(const json_t *claim)
{
    const char *ns = k1s_meta(claim, "namespace");
    const char *name = k1s_meta(claim, "name");
    const char *uid = k1s_meta(claim, "uid");
    const char *rv = k1s_meta(claim, "resourceVersion");
    /* field order as kube serializes an ObjectReference */
    json_t *ref = json_object(); /* new */
    if (!ref)
        return NULL;
    json_object_set_new(ref, "kind", json_string("PersistentVolumeClaim"));
    json_object_set_new(ref, "namespace", json_string(ns ? ns : ""));
    json_object_set_new(ref, "name", json_string(name ? name : ""));
    json_object_set_new(ref, "uid", json_string(uid ? uid : ""));
    json_object_set_new(ref, "apiVersion", json_string("v1"));
    if (rv)
        json_object_set_new(ref, "resourceVersion", json_string(rv));
    return ref;
}

typedef struct ids {
    const char *name, *ns, *uid; /* each NULL when absent */
} ids;

/* What the volume's claimRef names and what the claim is; false when the
 * volume has no claimRef. */
static bool ref_and_claim(const json_t *pv, const json_t *claim, ids *r, ids *c)
{
    const json_t *ref = k1s_json_at(pv, "spec.claimRef");
    *r = (ids){k1s_json_str(ref, "name"), k1s_json_str(ref, "namespace"), k1s_json_str(ref, "uid")};
    *c = (ids){k1s_meta(claim, "name"), k1s_meta(claim, "namespace"), k1s_meta(claim, "uid")};
    return json_is_object(ref);
}

static bool same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

bool k1s__pv_bound_to_claim(const json_t *pv, const json_t *claim)
{
    ids r, c;
    if (!ref_and_claim(pv, claim, &r, &c) || !same(r.name, c.name))
        return false;
    if (strcmp(r.ns ? r.ns : "", c.ns ? c.ns : "") != 0)
        return false;
    return !r.uid || !*r.uid || same(r.uid, c.uid);
}

bool k1s__pv_ref_is_exactly(const json_t *pv, const json_t *claim)
{
    ids r, c;
    return ref_and_claim(pv, claim, &r, &c) && same(r.name, c.name) && same(r.ns, c.ns) &&
           same(r.uid, c.uid);
}

void k1s__pv_set_ann(json_t *obj, const char *key, const char *value)
{
    json_t *m = json_object_get(obj, "metadata");
    if (json_is_object(m))
        json_object_set_new(k1s_json_object_at(m, "annotations"), key, json_string(value));
}

int k1s__pv_get_live(k1s_ctrl *c, const char *kind, const char *ns, const char *name, json_t **out)
{
    *out = NULL;
    const k1s_kind *k = k1s_registry_find_kind("", kind);
    if (!k)
        return 404;
    k1s_target t = {k, k->namespaced ? ns : NULL, name, NULL};
    k1s_status st = {0};
    if (k1s_api_get(k1s_ctrl_api(c), &t, out, &st) != 0) {
        int code = st.code ? st.code : 500;
        k1s_status_clear(&st);
        *out = NULL;
        return code;
    }
    return 0;
}

const json_t *k1s__pv_class(k1s_ctrl *c, const char *name)
{
    k1s_informer *inf = k1s_ctrl_informer(c, "storage.k8s.io", "StorageClass");
    return inf && name && *name ? k1s_informer_get(inf, "", name) : NULL;
}

typedef struct unbound_ctx {
    k1s_ctrl *c;
    int id;
    const char *class_name;
} unbound_ctx;

static int enqueue_unbound(void *vctx, const json_t *claim)
{
    unbound_ctx *u = vctx;
    if (k1s_meta_annotation(claim, K1S_ANN_BIND_COMPLETED))
        return 0;
    if (u->class_name && strcmp(k1s__pv_claim_class(claim), u->class_name) != 0)
        return 0;
    k1s_ctrl_enqueue(u->c, u->id, k1s_meta(claim, "namespace"), k1s_meta(claim, "name"));
    return 0;
}

void k1s__pv_enqueue_unbound_claims(k1s_ctrl *c, int ctrl_id, const char *class_name)
{
    k1s_informer *inf = k1s_ctrl_informer(c, "", "PersistentVolumeClaim");
    if (!inf)
        return;
    unbound_ctx u = {c, ctrl_id, class_name};
    k1s_informer_each(inf, NULL, enqueue_unbound, &u);
}
