/*
 * pv_bind.c - the persistentvolume-controller's writes: binding a volume
 * and a claim to each other (volume.spec.claimRef first, then its status,
 * then claim.spec.volumeName with the bind-completed annotation, then the
 * claim's status), undoing the controller's half of a binding, and phase
 * changes through the status subresource.
 *
 * Each step writes the object the previous step returned, so its
 * resourceVersion is current; a step that loses a race (409) stops the
 * bind and the next sync resumes where the objects stand.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "pv_internal.h"

#include <stdio.h>
#include <string.h>

/* Map a k1s_ctrl_* result to a reconcile result: conflicts and objects
 * that vanished meanwhile are settled by a later sync. */
static int write_result(int code)
{
    if (code == 0)
        return 0;
    if (code == 409 || code == 404)
        return K1S_PV_RETRY_MS;
    return -1;
}

static json_t *status_of(json_t *obj)
{
    json_t *st = json_object_get(obj, "status");
    if (!json_is_object(st)) {
        st = json_object();
        json_object_set_new(obj, "status", st);
    }
    return st;
}

int k1s__pv_update_claim_status(k1s_ctrl *c, const json_t *claim, const char *phase,
                                const json_t *volume, json_t **out)
{
    if (out)
        *out = NULL;
    json_t *copy = json_deep_copy(claim); /* new */
    if (!copy)
        return -1;
    int rc = -1;
    json_t *st = status_of(copy);
    if (!st)
        goto cleanup;
    bool phase_changes = strcmp(k1s_json_str_or(claim, "status.phase", ""), phase) != 0;
    bool dirty = phase_changes;
    if (phase_changes)
        json_object_set_new(st, "phase", json_string(phase));
    if (!volume) {
        if (json_object_get(st, "accessModes")) {
            json_object_del(st, "accessModes");
            dirty = true;
        }
        if (json_object_get(st, "capacity")) {
            json_object_del(st, "capacity");
            dirty = true;
        }
    } else {
        const json_t *spec = json_object_get(volume, "spec");
        json_t *modes = json_object_get(spec, "accessModes");
        if (!json_equal(json_object_get(st, "accessModes"), modes)) {
            if (modes)
                json_object_set_new(st, "accessModes", json_deep_copy(modes));
            else
                json_object_del(st, "accessModes");
            dirty = true;
        }
        /* capacity is copied when the claim becomes Bound only: a later
           difference may be a filesystem resize in progress */
        if (phase_changes) {
            k1s_quantity vq, cq;
            if (k1s__pv_capacity(volume, &vq) != 0) {
                fprintf(stderr, "k1s: %s: PersistentVolume %s is without a storage capacity\n",
                        K1S_PV_COMPONENT, k1s_meta(volume, "name"));
                goto cleanup;
            }
            const json_t *cur = json_object_get(json_object_get(st, "capacity"), "storage");
            if (!cur || k1s_quantity_from_json(cur, &cq) != 0 || k1s_quantity_cmp(&vq, &cq) != 0) {
                json_object_set_new(st, "capacity",
                                    json_deep_copy(json_object_get(spec, "capacity")));
                dirty = true;
            }
        }
    }
    if (!dirty) {
        if (out)
            *out = json_incref((json_t *)claim);
        rc = 0;
        goto cleanup;
    }
    rc = write_result(k1s_ctrl_update(c, "", "PersistentVolumeClaim", k1s_meta(claim, "namespace"),
                                      "status", copy, out));
cleanup:
    json_decref(copy);
    return rc;
}

int k1s__pv_update_volume_phase(k1s_ctrl *c, const json_t *volume, const char *phase,
                                const char *message, json_t **out)
{
    if (out)
        *out = NULL;
    if (!strcmp(k1s_json_str_or(volume, "status.phase", ""), phase)) {
        if (out)
            *out = json_incref((json_t *)volume);
        return 0;
    }
    json_t *copy = json_deep_copy(volume); /* new */
    if (!copy)
        return -1;
    int rc = -1;
    json_t *st = status_of(copy);
    if (!st)
        goto cleanup;
    json_object_set_new(st, "phase", json_string(phase));
    if (message && *message)
        json_object_set_new(st, "message", json_string(message));
    else
        json_object_del(st, "message");
    rc = write_result(k1s_ctrl_update(c, "", "PersistentVolume", NULL, "status", copy, out));
cleanup:
    json_decref(copy);
    return rc;
}

/* The phase write of a claim or a volume, then the event on what it
 * saved, unless the phase is already there. */
static int phase_event(k1s_ctrl *c, const json_t *obj, bool claim, const char *phase,
                       const char *type, const char *reason, const char *message)
{
    if (!strcmp(k1s_json_str_or(obj, "status.phase", ""), phase))
        return 0;
    json_t *saved = NULL; /* new */
    int rc = claim ? k1s__pv_update_claim_status(c, obj, phase, NULL, &saved)
                   : k1s__pv_update_volume_phase(c, obj, phase, message, &saved);
    if (rc == 0 && saved)
        k1s_ctrl_event(c, K1S_PV_COMPONENT, saved, type, reason, "%s", message);
    json_decref(saved);
    return rc;
}

int k1s__pv_update_claim_phase_event(k1s_ctrl *c, const json_t *claim, const char *phase,
                                     const char *type, const char *reason, const char *message)
{
    return phase_event(c, claim, true, phase, type, reason, message);
}

int k1s__pv_update_volume_phase_event(k1s_ctrl *c, const json_t *volume, const char *phase,
                                      const char *type, const char *reason, const char *message)
{
    return phase_event(c, volume, false, phase, type, reason, message);
}

/* volume.spec.claimRef := the claim; *out the saved volume (new). */
static int bind_volume_to_claim(k1s_ctrl *c, const json_t *volume, const json_t *claim,
                                json_t **out)
{
    *out = NULL;
    bool set_ref = !k1s__pv_ref_is_exactly(volume, claim);
    /* a claimRef the user wrote (pre-binding) is not the controller's */
    bool by_controller = !k1s__pv_bound_to_claim(volume, claim) &&
                         !k1s_meta_annotation(volume, K1S_ANN_BOUND_BY_CONTROLLER);
    if (!set_ref && !by_controller) {
        *out = json_incref((json_t *)volume);
        return 0;
    }
    json_t *copy = json_deep_copy(volume); /* new */
    if (!copy)
        return -1;
    int rc = -1;
    json_t *spec = json_object_get(copy, "spec");
    if (!json_is_object(spec))
        goto cleanup;
    if (set_ref) {
        json_t *nref = k1s__pv_claim_ref(claim); /* new */
        if (!nref)
            goto cleanup;
        json_object_set_new(spec, "claimRef", nref);
    }
    if (by_controller)
        k1s__pv_set_ann(copy, K1S_ANN_BOUND_BY_CONTROLLER, "yes");
    rc = write_result(k1s_ctrl_update(c, "", "PersistentVolume", NULL, NULL, copy, out));
cleanup:
    json_decref(copy);
    return rc;
}

/* claim.spec.volumeName := the volume, and the bind-completed mark. */
static int bind_claim_to_volume(k1s_ctrl *c, const json_t *claim, const json_t *volume,
                                json_t **out)
{
    *out = NULL;
    const char *vname = k1s_meta(volume, "name");
    if (!vname)
        return -1;
    bool set_name = strcmp(k1s_json_str_or(claim, "spec.volumeName", ""), vname) != 0;
    bool set_done = !k1s_meta_annotation(claim, K1S_ANN_BIND_COMPLETED);
    if (!set_name && !set_done) {
        *out = json_incref((json_t *)claim);
        return 0;
    }
    json_t *copy = json_deep_copy(claim); /* new */
    if (!copy)
        return -1;
    int rc = -1;
    json_t *spec = json_object_get(copy, "spec");
    if (!json_is_object(spec))
        goto cleanup;
    if (set_name) {
        json_object_set_new(spec, "volumeName", json_string(vname));
        if (!k1s_meta_annotation(copy, K1S_ANN_BOUND_BY_CONTROLLER))
            k1s__pv_set_ann(copy, K1S_ANN_BOUND_BY_CONTROLLER, "yes");
    }
    if (set_done)
        k1s__pv_set_ann(copy, K1S_ANN_BIND_COMPLETED, "yes");
    rc = write_result(k1s_ctrl_update(c, "", "PersistentVolumeClaim", k1s_meta(claim, "namespace"),
                                      NULL, copy, out));
cleanup:
    json_decref(copy);
    return rc;
}

int k1s__pv_bind(k1s_ctrl *c, const json_t *volume, const json_t *claim)
{
    json_t *vol = NULL, *bound = NULL, *cl = NULL; /* new, each */
    int rc = bind_volume_to_claim(c, volume, claim, &vol);
    if (rc != 0)
        goto cleanup;
    rc = k1s__pv_update_volume_phase(c, vol, "Bound", NULL, &bound);
    if (rc != 0)
        goto cleanup;
    rc = bind_claim_to_volume(c, claim, bound, &cl);
    if (rc != 0)
        goto cleanup;
    rc = k1s__pv_update_claim_status(c, cl, "Bound", bound, NULL);
cleanup:
    json_decref(vol);
    json_decref(bound);
    json_decref(cl);
    return rc;
}

int k1s__pv_unbind_volume(k1s_ctrl *c, const json_t *volume)
{
    json_t *copy = json_deep_copy(volume); /* new */
    json_t *saved = NULL;                  /* new */
    if (!copy)
        return -1;
    int rc = -1;
    json_t *spec = json_object_get(copy, "spec");
    if (!json_is_object(spec))
        goto cleanup;
    if (k1s_meta_annotation(volume, K1S_ANN_BOUND_BY_CONTROLLER)) {
        json_object_del(spec, "claimRef");
        json_t *ann = json_object_get(json_object_get(copy, "metadata"), "annotations");
        json_object_del(ann, K1S_ANN_BOUND_BY_CONTROLLER);
        if (json_is_object(ann) && json_object_size(ann) == 0)
            json_object_del(json_object_get(copy, "metadata"), "annotations");
    } else {
        /* pre-bound by the user: stays reserved for the claim's name */
        json_object_del(json_object_get(spec, "claimRef"), "uid");
    }
    rc = write_result(k1s_ctrl_update(c, "", "PersistentVolume", NULL, NULL, copy, &saved));
    if (rc == 0 && saved)
        rc = k1s__pv_update_volume_phase(c, saved, "Available", NULL, NULL);
cleanup:
    json_decref(copy);
    json_decref(saved);
    return rc;
}
