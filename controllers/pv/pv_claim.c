/*
 * pv_claim.c - the persistentvolume-controller's sync of one claim: an
 * unbound claim gets the volume it names or the best matching one, or
 * the default class, or is handed to an external provisioner (the
 * storage-provisioner annotations and an ExternalProvisioning event);
 * a bound claim is kept consistent with its volume or marked Lost.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "pv_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const no_class_msg =
    "no persistent volumes available for this claim and no storage class is set";

static bool delay_binding(k1s_ctrl *c, const json_t *claim)
{
    const json_t *class = k1s__pv_class(c, k1s__pv_claim_class(claim));
    const char *mode = json_string_value(json_object_get(class, "volumeBindingMode"));
    return mode && !strcmp(mode, "WaitForFirstConsumer");
}

/* ---- WaitForFirstConsumer ------------------------------------------------------ */

typedef struct podsctx {
    const char *claim;
    char names[768];
    size_t n, len;
} podsctx;

static bool pod_uses_claim(const json_t *pod, const char *claim)
{
    const char *pname = k1s_meta(pod, "name");
    const json_t *vols = json_object_get(json_object_get(pod, "spec"), "volumes");
    size_t i;
    const json_t *v;
    json_array_foreach(vols, i, v)
    {
        const char *cn = json_string_value(
            json_object_get(json_object_get(v, "persistentVolumeClaim"), "claimName"));
        if (cn && !strcmp(cn, claim))
            return true;
        /* a generic ephemeral volume's claim is named <pod>-<volume> */
        const char *vn = json_string_value(json_object_get(v, "name"));
        if (json_object_get(v, "ephemeral") && pname && vn) {
            size_t pl = strlen(pname);
            if (!strncmp(claim, pname, pl) && claim[pl] == '-' && !strcmp(claim + pl + 1, vn))
                return true;
        }
    }
    return false;
}

static int collect_unscheduled(void *vctx, const json_t *pod)
{
    podsctx *p = vctx;
    const char *phase = k1s_json_str_or(pod, "status.phase", "");
    if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))
        return 0;
    if (*k1s_json_str_or(pod, "spec.nodeName", "") || !pod_uses_claim(pod, p->claim))
        return 0;
    const char *name = k1s_meta(pod, "name");
    int w = snprintf(p->names + p->len, sizeof p->names - p->len, "%s%s", p->n ? "," : "",
                     name ? name : "");
    if (w < 0 || (size_t)w >= sizeof p->names - p->len)
        return 1; /* long enough to tell the story */
    p->len += (size_t)w;
    p->n++;
    return 0;
}

static void event_delay_binding(k1s_ctrl *c, const json_t *claim)
{
    podsctx p = {.claim = k1s_meta(claim, "name")};
    k1s_informer *pods = k1s_ctrl_informer(c, "", "Pod");
    if (pods && p.claim)
        k1s_informer_each(pods, k1s_meta(claim, "namespace"), collect_unscheduled, &p);
    if (p.n == 0)
        k1s_ctrl_event(c, K1S_PV_COMPONENT, claim, "Normal", "WaitForFirstConsumer",
                       "waiting for first consumer to be created before binding");
    else
        k1s_ctrl_event(c, K1S_PV_COMPONENT, claim, "Normal", "WaitForPodScheduled",
                       "waiting for %s %s to be scheduled", p.n > 1 ? "pods" : "pod", p.names);
}

/* ---- provisioning -------------------------------------------------------------- */

/* Annotate the claim with the provisioner that is to serve it; *out the
 * claim as saved (new reference). */
static int set_claim_provisioner(k1s_ctrl *c, const json_t *claim, const char *provisioner,
                                 json_t **out)
{
    *out = NULL;
    const char *cur = k1s_meta_annotation(claim, K1S_ANN_STORAGE_PROVISIONER);
    if (cur && !strcmp(cur, provisioner)) {
        *out = json_incref((json_t *)claim);
        return 0;
    }
    json_t *copy = json_deep_copy(claim); /* new */
    if (!copy)
        return -1;
    k1s__pv_set_ann(copy, K1S_ANN_BETA_STORAGE_PROVISIONER, provisioner);
    k1s__pv_set_ann(copy, K1S_ANN_STORAGE_PROVISIONER, provisioner);
    int code = k1s_ctrl_update(c, "", "PersistentVolumeClaim", k1s_meta(claim, "namespace"), NULL,
                               copy, out);
    json_decref(copy);
    if (code == 409 || code == 404)
        return K1S_PV_RETRY_MS;
    return code ? -1 : 0;
}

static int provision_claim(k1s_ctrl *c, const json_t *claim)
{
    const char *cname = k1s__pv_claim_class(claim);
    const json_t *class = k1s__pv_class(c, cname);
    if (!class) {
        k1s_ctrl_event(c, K1S_PV_COMPONENT, claim, "Warning", "ProvisioningFailed",
                       "storageclass.storage.k8s.io \"%s\" not found", cname);
        return 0;
    }
    const char *prov = json_string_value(json_object_get(class, "provisioner"));
    if (!prov || !*prov)
        return 0;
    /* in-tree plugins are not part of k1s; kube reports an unknown one so */
    if (!strncmp(prov, "kubernetes.io/", 14)) {
        k1s_ctrl_event(c, K1S_PV_COMPONENT, claim, "Warning", "ProvisioningFailed",
                       "no volume plugin matched name: %s", prov);
        return 0;
    }
    json_t *saved = NULL; /* new */
    int rc = set_claim_provisioner(c, claim, prov, &saved);
    if (rc != 0)
        return rc;
    k1s_ctrl_event(c, K1S_PV_COMPONENT, saved ? saved : claim, "Normal", "ExternalProvisioning",
                   "Waiting for a volume to be created either by the external "
                   "provisioner '%s' or manually by the system administrator. If "
                   "volume creation is delayed, please verify that the provisioner "
                   "is running and correctly registered.",
                   prov);
    json_decref(saved);
    return 0;
}

/* Retroactive default StorageClass: a claim that names no class gets the
 * default one; *updated tells whether it was saved (its watch event then
 * resumes the sync). */
static int assign_default_class(k1s_ctrl *c, const json_t *claim, bool *updated)
{
    *updated = false;
    if (k1s__pv_claim_has_class(claim))
        return 0;
    const json_t *def = k1s__pv_default_class(c);
    const char *dname = def ? k1s_meta(def, "name") : NULL;
    if (!dname)
        return 0;
    json_t *copy = json_deep_copy(claim); /* new */
    json_t *spec = json_object_get(copy, "spec");
    if (!json_is_object(spec)) {
        json_decref(copy);
        return -1;
    }
    json_object_set_new(spec, "storageClassName", json_string(dname));
    int code = k1s_ctrl_update(c, "", "PersistentVolumeClaim", k1s_meta(claim, "namespace"), NULL,
                               copy, NULL);
    json_decref(copy);
    if (code == 409 || code == 404)
        return K1S_PV_RETRY_MS;
    *updated = code == 0;
    return code ? -1 : 0;
}

/* ---- the syncs ----------------------------------------------------------------- */

static int sync_unbound_any(k1s_ctrl *c, const json_t *claim)
{
    bool delay = delay_binding(c, claim);
    const json_t *volume = k1s__pv_find_match(c, claim, delay);
    if (volume)
        return k1s__pv_bind(c, volume, claim);
    bool updated;
    int rc = assign_default_class(c, claim, &updated);
    if (rc != 0 || updated)
        return rc;
    if (delay && !k1s_meta_annotation(claim, K1S_ANN_SELECTED_NODE))
        event_delay_binding(c, claim);
    else if (*k1s__pv_claim_class(claim))
        return provision_claim(c, claim);
    else
        k1s_ctrl_event(c, K1S_PV_COMPONENT, claim, "Normal", "FailedBinding", "%s", no_class_msg);
    return k1s__pv_update_claim_status(c, claim, "Pending", NULL, NULL);
}

static int sync_unbound_named(k1s_ctrl *c, const json_t *claim, const char *vname)
{
    k1s_informer *pvs = k1s_ctrl_informer(c, "", "PersistentVolume");
    const json_t *volume = pvs ? k1s_informer_get(pvs, "", vname) : NULL;
    if (!volume) /* not there (yet): the volume's arrival requeues us */
        return k1s__pv_update_claim_status(c, claim, "Pending", NULL, NULL);
    const json_t *ref = json_object_get(json_object_get(volume, "spec"), "claimRef");
    if (!json_is_object(ref)) {
        const char *why = k1s__pv_unsatisfied(volume, claim);
        if (!why)
            return k1s__pv_bind(c, volume, claim);
        k1s_ctrl_event(c, K1S_PV_COMPONENT, claim, "Warning", "VolumeMismatch",
                       "Cannot bind to requested volume \"%s\": %s", vname, why);
        return k1s__pv_update_claim_status(c, claim, "Pending", NULL, NULL);
    }
    if (k1s__pv_bound_to_claim(volume, claim))
        return k1s__pv_bind(c, volume, claim);
    k1s_ctrl_event(c, K1S_PV_COMPONENT, claim, "Warning", "FailedBinding",
                   "volume \"%s\" already bound to a different claim.", vname);
    if (k1s_meta_annotation(claim, K1S_ANN_BOUND_BY_CONTROLLER)) {
        /* only a user removing bind-completed gets here */
        fprintf(stderr, "k1s: %s: claim %s/%s: volume %s already claimed by another claim\n",
                K1S_PV_COMPONENT, k1s_meta(claim, "namespace"), k1s_meta(claim, "name"), vname);
        return -1;
    }
    return k1s__pv_update_claim_status(c, claim, "Pending", NULL, NULL);
}

static int sync_bound(k1s_ctrl *c, const json_t *claim)
{
    const char *vname = k1s_json_str_or(claim, "spec.volumeName", "");
    if (!*vname)
        return k1s__pv_update_claim_phase_event(
            c, claim, "Lost", "Warning", "ClaimLost",
            "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!");
    k1s_informer *pvs = k1s_ctrl_informer(c, "", "PersistentVolume");
    const json_t *volume = pvs ? k1s_informer_get(pvs, "", vname) : NULL;
    json_t *live = NULL; /* new */
    int rc;
    if (!volume) {
        /* Lost is for good: ask the API, not a cache that may lag */
        int code = k1s__pv_get_live(c, "PersistentVolume", NULL, vname, &live);
        if (code != 0 && code != 404)
            return -1;
        volume = live;
    }
    if (!volume) {
        rc = k1s__pv_update_claim_phase_event(
            c, claim, "Lost", "Warning", "ClaimLost",
            "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
        goto cleanup;
    }
    const json_t *ref = json_object_get(json_object_get(volume, "spec"), "claimRef");
    const char *ruid = json_string_value(json_object_get(ref, "uid"));
    const char *uid = k1s_meta(claim, "uid");
    if (!json_is_object(ref) || (ruid && uid && !strcmp(ruid, uid)))
        rc = k1s__pv_bind(c, volume, claim);
    else
        rc = k1s__pv_update_claim_phase_event(
            c, claim, "Lost", "Warning", "ClaimMisbound",
            "Two claims are bound to the same volume, this one is bound incorrectly");
cleanup:
    json_decref(live);
    return rc;
}

int k1s__pv_sync_claim(k1s_ctrl *c, const json_t *claim)
{
    if (k1s_meta_annotation(claim, K1S_ANN_BIND_COMPLETED))
        return sync_bound(c, claim);
    const char *vname = k1s_json_str_or(claim, "spec.volumeName", "");
    if (*vname)
        return sync_unbound_named(c, claim, vname);
    return sync_unbound_any(c, claim);
}
