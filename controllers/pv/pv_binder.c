/*
 * pv_binder.c - the persistentvolume-controller of kube-controller-manager:
 * binds PersistentVolumeClaims to PersistentVolumes, drives both through
 * their phases and applies a released volume's reclaim policy.
 *
 * One work queue serves claims and volumes: a claim's key is "ns/name",
 * a volume's "/name" (volumes are cluster-scoped, claims never are). The
 * map functions below connect the two: a volume's change queues the claim
 * it points at, a claim's deletion queues the volumes that point at it,
 * a volume becoming free queues the claims still waiting, a class's change
 * queues the claims of that class.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "pv_internal.h"

#include <string.h>

static void enqueue_ref_claim(k1s_ctrl *c, int id, const json_t *volume)
{
    const json_t *ref = json_object_get(json_object_get(volume, "spec"), "claimRef");
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    if (ns && *ns && name && *name)
        k1s_ctrl_enqueue(c, id, ns, name);
}

static void map_volume(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    const char *name = k1s_meta(any, "name");
    if (!name)
        return;
    k1s_ctrl_enqueue(c, id, "", name);
    if (old)
        enqueue_ref_claim(c, id, old);
    if (obj)
        enqueue_ref_claim(c, id, obj);
    /* a free volume may be what a waiting claim needs */
    if (obj && !json_object_get(json_object_get(obj, "spec"), "claimRef") &&
        !strcmp(k1s_json_str_or(obj, "status.phase", ""), "Available"))
        k1s__pv_enqueue_unbound_claims(c, id, NULL);
}

typedef struct refctx {
    k1s_ctrl *c;
    int id;
    const char *ns, *name;
} refctx;

static int enqueue_if_refers(void *vctx, const json_t *volume)
{
    refctx *r = vctx;
    const json_t *ref = json_object_get(json_object_get(volume, "spec"), "claimRef");
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    if (ns && name && !strcmp(ns, r->ns) && !strcmp(name, r->name))
        k1s_ctrl_enqueue(r->c, r->id, "", k1s_meta(volume, "name"));
    return 0;
}

/* The claim itself is queued by its primary watch; here only a deleted
 * claim's volumes, which must be released. */
static void map_claim(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    if (obj || !old)
        return;
    refctx r = {c, id, k1s_meta(old, "namespace"), k1s_meta(old, "name")};
    k1s_informer *pvs = k1s_ctrl_informer(c, "", "PersistentVolume");
    if (pvs && r.ns && r.name)
        k1s_informer_each(pvs, NULL, enqueue_if_refers, &r);
}

static void map_class(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    (void)old;
    (void)obj;
    /* any class may be the default one, so every waiting claim may care */
    k1s__pv_enqueue_unbound_claims(c, id, NULL);
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    (void)state;
    if (!*ns) {
        k1s_informer *pvs = k1s_ctrl_informer(c, "", "PersistentVolume");
        const json_t *volume = pvs ? k1s_informer_get(pvs, "", name) : NULL;
        return volume ? k1s__pv_sync_volume(c, volume) : 0;
    }
    k1s_informer *pvcs = k1s_ctrl_informer(c, "", "PersistentVolumeClaim");
    const json_t *claim = pvcs ? k1s_informer_get(pvcs, ns, name) : NULL;
    return claim ? k1s__pv_sync_claim(c, claim) : 0;
}

const k1s_controller_def k1s__ctrl_pv_binder = {
    .name = K1S_PV_COMPONENT,
    .group = "",
    .kind = "PersistentVolumeClaim",
    .reconcile = reconcile,
    .watches =
        {
            {"", "PersistentVolume", map_volume},
            {"", "PersistentVolumeClaim", map_claim},
            {"storage.k8s.io", "StorageClass", map_class},
        },
};
