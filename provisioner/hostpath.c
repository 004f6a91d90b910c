/*
 * hostpath.c - the hostpath provisioner: the external provisioner behind
 * StorageClasses whose provisioner is docker.io/hostpath (Docker
 * Desktop's), rancher.io/local-path, k8s.io/minikube-hostpath or
 * microk8s.io/hostpath. It provisions a directory-backed
 * PersistentVolume for each claim the persistentvolume-controller hands
 * it, and removes the directory when such a volume is released with
 * reclaim policy Delete.
 *
 * Keys: "ns/name" for claims (its primary kind), "/name" for volumes.
 *
 * json_t * values read from objects or caches are borrowed; the few this
 * file owns are marked new where they are made.
 */
#include "hostpath_internal.h"

#include <stdio.h>
#include <stdlib.h>

#include "k1s_pv.h"

static void *init(k1s_ctrl *c)
{
    k1s__hostpath *hp = calloc(1, sizeof *hp);
    if (!hp)
        return NULL;
    if (k1s__hostpath_open(hp, k1s_ctrl_config(c)->data_dir) != 0)
        fprintf(stderr, "k1s: hostpath-provisioner: %s\n", hp->error);
    return hp;
}

static void fini(void *state)
{
    k1s__hostpath *hp = state;
    if (!hp)
        return;
    k1s__hostpath_close(hp);
    free(hp);
}

static void map_class(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const char *name = k1s_meta(obj ? obj : old, "name");
    if (name)
        k1s__pv_enqueue_unbound_claims(c, id, name);
}

static int reconcile(k1s_ctrl *c, void *state, const char *ns, const char *name)
{
    k1s__hostpath *hp = state;
    if (!hp)
        return -1;
    if (!*ns) {
        k1s_informer *pvs = k1s_ctrl_informer(c, "", "PersistentVolume");
        const json_t *volume = pvs ? k1s_informer_get(pvs, "", name) : NULL;
        return volume ? k1s__hostpath_delete(c, hp, volume) : 0;
    }
    k1s_informer *pvcs = k1s_ctrl_informer(c, "", "PersistentVolumeClaim");
    const json_t *claim = pvcs ? k1s_informer_get(pvcs, ns, name) : NULL;
    return claim ? k1s__hostpath_provision(c, hp, claim) : 0;
}

const k1s_controller_def k1s__ctrl_hostpath_provisioner = {
    .name = "hostpath-provisioner",
    .group = "",
    .kind = "PersistentVolumeClaim",
    .reconcile = reconcile,
    .watches =
        {
            {"", "PersistentVolume", NULL},
            {"storage.k8s.io", "StorageClass", map_class},
        },
    .init = init,
    .fini = fini,
};
