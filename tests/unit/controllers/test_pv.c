/*
 * test_pv.c - the persistentvolume-controller and the hostpath provisioner
 * running in a controller manager over an in-memory API: dynamic
 * provisioning for the scenario's StorageClass, both reclaim policies,
 * static binding (smallest fit, access modes, selectors, pre-binding),
 * missing and default classes, WaitForFirstConsumer, restarts, and the
 * provisioner's directory safety.
 */
#include "k1s_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostpath_internal.h"
#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

typedef struct env {
    k1s_api *api;
    k1s_controllers *ctl;
    char data[PATH_MAX]; /* real path of the data directory */
    char storage[PATH_MAX + 16];
} env;

static int start_controllers(env *e)
{
    k1s_controllers_config cfg = {.api = e->api, .node_name = "node1", .data_dir = e->data};
    e->ctl = fx_controllers_start_with(&cfg);
    return e->ctl ? 0 : -1;
}

static void stop_controllers(env *e)
{
    k1s_controllers_stop(e->ctl);
    e->ctl = NULL;
}

static void env_close(env *e)
{
    if (e->ctl)
        k1s_controllers_stop(e->ctl);
    if (e->api)
        k1s_api_close(e->api);
    fx_rmtree(e->data);
}

/* A data directory and an API, with the controllers when asked; false
 * (a failed check, everything undone) when something did not start. */
static bool env_open(env *e, bool controllers)
{
    memset(e, 0, sizeof *e);
    fx_tmpdir(e->data, sizeof e->data, "test-pv");
    snprintf(e->storage, sizeof e->storage, "%s/storage", e->data);
    e->api = fx_api_open();
    if (e->api && (!controllers || start_controllers(e) == 0))
        return true;
    CHECK(!"environment");
    env_close(e);
    return false;
}

/* ---- API helpers ------------------------------------------------------------------ */

static bool phase_is(env *e, const char *k, const char *ns, const char *name, const char *phase)
{
    json_t *o = fx_get(e->api, k, ns, name);
    const char *p = fx_str(o, "status.phase");
    bool ok = p && !strcmp(p, phase);
    json_decref(o);
    return ok;
}

static bool wait_phase(env *e, const char *k, const char *ns, const char *name, const char *phase)
{
    bool ok;
    FX_WAIT_UNTIL(ok, phase_is(e, k, ns, name, phase), FX_WAIT_MS);
    if (!ok)
        fprintf(stderr, "timeout: %s %s/%s never %s\n", k, ns ? ns : "", name, phase);
    return ok;
}

/* Whether the event about uid with type, reason and message (NULL: any)
 * was recorded. */
static bool has_event(env *e, const char *uid, const char *type, const char *reason,
                      const char *message)
{
    json_t *evs = fx_list(e->api, "Event", "default", NULL);
    bool found = false;
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        const char *u = fx_str(ev, "involvedObject.uid"), *t = fx_str(ev, "type");
        const char *r = fx_str(ev, "reason"), *m = fx_str(ev, "message");
        found |= u && t && r && m && !strcmp(u, uid) && !strcmp(t, type) && !strcmp(r, reason) &&
                 (!message || !strcmp(m, message));
    }
    json_decref(evs);
    return found;
}

static bool wait_event(env *e, const char *uid, const char *type, const char *reason,
                       const char *message)
{
    bool ok;
    FX_WAIT_UNTIL(ok, has_event(e, uid, type, reason, message), FX_WAIT_MS);
    if (!ok)
        fprintf(stderr, "timeout: no %s %s event \"%s\"\n", type, reason, message ? message : "*");
    return ok;
}

static int count_dirs(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static bool is_dir(const char *path, mode_t *mode)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    if (mode)
        *mode = st.st_mode & 07777;
    return true;
}

static void claim_uid(env *e, const char *ns, const char *name, char *buf, size_t len)
{
    json_t *o = fx_get(e->api, "PersistentVolumeClaim", ns, name);
    const char *uid = k1s_meta(o, "uid");
    snprintf(buf, len, "%s", uid ? uid : "?");
    json_decref(o);
}

static const char *SCENARIO_CLASS =
    "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
    "'metadata':{'name':'test-storage-class'},'provisioner':'docker.io/hostpath',"
    "'reclaimPolicy':'Retain'}";

static const char *SCENARIO_CLAIM =
    "{'apiVersion':'v1','kind':'PersistentVolumeClaim',"
    "'metadata':{'name':'html-volume-nginx-statefulset-0','namespace':'default'},"
    "'spec':{'accessModes':['ReadWriteOnce'],'storageClassName':'test-storage-class',"
    "'resources':{'requests':{'storage':'1Gi'}}}}";

static void claim_json(char *buf, size_t len, const char *name, const char *cls, const char *size,
                       const char *modes, const char *extra)
{
    snprintf(buf, len,
             "{'apiVersion':'v1','kind':'PersistentVolumeClaim',"
             "'metadata':{'name':'%s','namespace':'default'},"
             "'spec':{'accessModes':[%s],%s%s%s"
             "'resources':{'requests':{'storage':'%s'}}%s}}",
             name, modes, cls ? "'storageClassName':'" : "", cls ? cls : "", cls ? "'," : "", size,
             extra ? extra : "");
}

static void volume_json(char *buf, size_t len, const char *name, const char *cls, const char *size,
                        const char *modes, const char *extra_meta, const char *extra_spec)
{
    snprintf(buf, len,
             "{'apiVersion':'v1','kind':'PersistentVolume',"
             "'metadata':{'name':'%s'%s},"
             "'spec':{'capacity':{'storage':'%s'},'accessModes':[%s],"
             "'storageClassName':'%s','hostPath':{'path':'/tmp/k1s-test-static/%s'}%s}}",
             name, extra_meta ? extra_meta : "", size, modes, cls, name,
             extra_spec ? extra_spec : "");
}

/* ---- tests ---------------------------------------------------------------------------- */

TEST(test_scenario_class_provisions_binds_and_retains)
{
    env e;
    if (!env_open(&e, true))
        return;
    const char *claim = "html-volume-nginx-statefulset-0";
    CHECK_INT(fx_create(e.api, "StorageClass", NULL, fx_json(SCENARIO_CLASS)), 0);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(SCENARIO_CLAIM)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", claim, "Bound"));
    char uid[64], pvname[80], dir[PATH_MAX + 200];
    claim_uid(&e, "default", claim, uid, sizeof uid);
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, pvname, "Bound"));

    json_t *pv = fx_get(e.api, "PersistentVolume", NULL, pvname);
    json_t *pvc = fx_get(e.api, "PersistentVolumeClaim", "default", claim);
    CHECK(pv != NULL && pvc != NULL);
    snprintf(dir, sizeof dir, "%s/default_%s_%s", e.storage, claim, pvname);
    CHECK_STR(fx_str(pv, "spec.capacity.storage"), "1Gi");
    CHECK_STR(json_string_value(
                  json_array_get(json_object_get(json_object_get(pv, "spec"), "accessModes"), 0)),
              "ReadWriteOnce");
    CHECK_STR(fx_str(pv, "spec.persistentVolumeReclaimPolicy"), "Retain");
    CHECK_STR(fx_str(pv, "spec.storageClassName"), "test-storage-class");
    CHECK_STR(fx_str(pv, "spec.volumeMode"), "Filesystem");
    CHECK_STR(fx_str(pv, "spec.hostPath.path"), dir);
    CHECK_STR(fx_str(pv, "spec.hostPath.type"), "DirectoryOrCreate");
    CHECK_STR(fx_str(pv, "spec.claimRef.kind"), "PersistentVolumeClaim");
    CHECK_STR(fx_str(pv, "spec.claimRef.apiVersion"), "v1");
    CHECK_STR(fx_str(pv, "spec.claimRef.namespace"), "default");
    CHECK_STR(fx_str(pv, "spec.claimRef.name"), claim);
    CHECK_STR(fx_str(pv, "spec.claimRef.uid"), uid);
    CHECK(fx_str(pv, "spec.claimRef.resourceVersion") != NULL);
    const json_t *expr = json_array_get(
        json_object_get(
            json_array_get(
                json_object_get(
                    json_object_get(json_object_get(json_object_get(pv, "spec"), "nodeAffinity"),
                                    "required"),
                    "nodeSelectorTerms"),
                0),
            "matchExpressions"),
        0);
    CHECK_STR(fx_str(expr, "key"), "kubernetes.io/hostname");
    CHECK_STR(fx_str(expr, "operator"), "In");
    CHECK_STR(json_string_value(json_array_get(json_object_get(expr, "values"), 0)), "node1");
    CHECK_STR(k1s_meta_annotation(pv, "pv.kubernetes.io/provisioned-by"), "docker.io/hostpath");
    /* the provisioner set claimRef, so the binder does not claim it */
    CHECK(k1s_meta_annotation(pv, "pv.kubernetes.io/bound-by-controller") == NULL);

    CHECK_STR(fx_str(pvc, "spec.volumeName"), pvname);
    CHECK_STR(k1s_meta_annotation(pvc, "pv.kubernetes.io/bind-completed"), "yes");
    CHECK_STR(k1s_meta_annotation(pvc, "pv.kubernetes.io/bound-by-controller"), "yes");
    CHECK_STR(k1s_meta_annotation(pvc, "volume.kubernetes.io/storage-provisioner"),
              "docker.io/hostpath");
    CHECK_STR(k1s_meta_annotation(pvc, "volume.beta.kubernetes.io/storage-provisioner"),
              "docker.io/hostpath");
    CHECK_STR(fx_str(pvc, "status.capacity.storage"), "1Gi");
    CHECK_STR(json_string_value(json_array_get(
                  json_object_get(json_object_get(pvc, "status"), "accessModes"), 0)),
              "ReadWriteOnce");
    json_decref(pv);
    json_decref(pvc);

    mode_t mode = 0;
    CHECK(is_dir(dir, &mode));
    CHECK_INT(mode, 0777);
    CHECK(wait_event(&e, uid, "Normal", "ExternalProvisioning",
                     "Waiting for a volume to be created either by the external provisioner "
                     "'docker.io/hostpath' or manually by the system administrator. If volume "
                     "creation is delayed, please verify that the provisioner is running and "
                     "correctly registered."));
    char msg[256];
    snprintf(msg, sizeof msg,
             "External provisioner is provisioning volume for claim \"default/%s\"", claim);
    CHECK(wait_event(&e, uid, "Normal", "Provisioning", msg));
    snprintf(msg, sizeof msg, "Successfully provisioned volume %s", pvname);
    CHECK(wait_event(&e, uid, "Normal", "ProvisioningSucceeded", msg));

    /* Retain: the claim goes, the volume is Released and keeps its data */
    char file[PATH_MAX + 300];
    snprintf(file, sizeof file, "%s/whoami.html", dir);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("im 0\n", f);
        fclose(f);
    }
    CHECK_INT(fx_delete(e.api, "PersistentVolumeClaim", "default", claim, -1), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, pvname, "Released"));
    pv = fx_get(e.api, "PersistentVolume", NULL, pvname);
    CHECK_STR(fx_str(pv, "spec.claimRef.uid"), uid);
    json_decref(pv);
    fx_sleep_ms(200);
    CHECK(access(file, F_OK) == 0);

    /* the same name again is another claim: it gets a volume of its own */
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(SCENARIO_CLAIM)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", claim, "Bound"));
    char uid2[64];
    claim_uid(&e, "default", claim, uid2, sizeof uid2);
    CHECK(strcmp(uid, uid2) != 0);
    pvc = fx_get(e.api, "PersistentVolumeClaim", "default", claim);
    CHECK(fx_str(pvc, "spec.volumeName") && strcmp(fx_str(pvc, "spec.volumeName"), pvname) != 0);
    json_decref(pvc);
    CHECK(phase_is(&e, "PersistentVolume", NULL, pvname, "Released"));
    pv = fx_get(e.api, "PersistentVolume", NULL, pvname);
    CHECK_STR(fx_str(pv, "spec.claimRef.uid"), uid);
    json_decref(pv);
    CHECK_INT(fx_count(e.api, "PersistentVolume", NULL, NULL), 2);
    CHECK(access(file, F_OK) == 0);
    env_close(&e);
}

TEST(test_delete_class_removes_volume_and_directory)
{
    env e;
    if (!env_open(&e, true))
        return;
    CHECK_INT(
        fx_create(
            e.api, "StorageClass", NULL,
            fx_json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                    "'metadata':{'name':'local-path'},'provisioner':'rancher.io/local-path'}")),
        0);
    char buf[1024];
    claim_json(buf, sizeof buf, "data", "local-path", "2Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "data", "Bound"));
    char uid[64], pvname[80], dir[PATH_MAX + 200], path[PATH_MAX + 300];
    claim_uid(&e, "default", "data", uid, sizeof uid);
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, pvname, "Bound"));
    json_t *pv = fx_get(e.api, "PersistentVolume", NULL, pvname);
    CHECK_STR(fx_str(pv, "spec.persistentVolumeReclaimPolicy"), "Delete");
    CHECK_STR(k1s_meta_annotation(pv, "pv.kubernetes.io/provisioned-by"), "rancher.io/local-path");
    json_decref(pv);
    snprintf(dir, sizeof dir, "%s/default_data_%s", e.storage, pvname);
    CHECK(is_dir(dir, NULL));

    /* what a pod could leave: files, a read-only subtree, a symlink out */
    char outside[PATH_MAX + 32];
    snprintf(outside, sizeof outside, "%s/outside.txt", e.data);
    FILE *f = fopen(outside, "w");
    if (f) {
        fputs("keep me\n", f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/sub", dir);
    CHECK_INT(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/sub/file", dir);
    f = fopen(path, "w");
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/sub", dir);
    chmod(path, 0555);
    snprintf(path, sizeof path, "%s/escape", dir);
    CHECK_INT(symlink(e.data, path), 0);

    CHECK_INT(fx_delete(e.api, "PersistentVolumeClaim", "default", "data", -1), 0);
    CHECK(fx_wait_gone(e.api, "PersistentVolume", NULL, pvname, FX_WAIT_MS));
    CHECK(!is_dir(dir, NULL));
    CHECK(access(outside, F_OK) == 0);
    CHECK(is_dir(e.storage, NULL));
    CHECK_INT(count_dirs(e.storage), 0);

    /* volumes claiming to be ours, pointing at what we did not make: a
       directory outside the root, and another claim's directory inside */
    char victim[PATH_MAX + 64], precious[PATH_MAX + 64];
    snprintf(precious, sizeof precious, "%s/precious", e.data);
    CHECK_INT(mkdir(precious, 0755), 0);
    snprintf(victim, sizeof victim, "%s/default_victim_pvc-1", e.storage);
    CHECK_INT(mkdir(victim, 0755), 0);
    const char *paths[] = {precious, victim};
    for (int i = 0; i < 2; i++) {
        char vname[32];
        snprintf(vname, sizeof vname, "pvc-evil-%d", i);
        snprintf(buf, sizeof buf,
                 "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':'%s',"
                 "'annotations':{'pv.kubernetes.io/provisioned-by':'docker.io/hostpath'}},"
                 "'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],"
                 "'persistentVolumeReclaimPolicy':'Delete','storageClassName':'local-path',"
                 "'hostPath':{'path':'%s'},'claimRef':{'namespace':'default',"
                 "'name':'attacker','uid':'0000'}}}",
                 vname, paths[i]);
        CHECK_INT(fx_create(e.api, "PersistentVolume", NULL, fx_json(buf)), 0);
        CHECK(wait_phase(&e, "PersistentVolume", NULL, vname, "Released"));
        json_t *evil = fx_get(e.api, "PersistentVolume", NULL, vname);
        char euid[64], emsg[PATH_MAX * 2];
        snprintf(euid, sizeof euid, "%s",
                 fx_str(evil, "metadata.uid") ? fx_str(evil, "metadata.uid") : "");
        json_decref(evil);
        snprintf(emsg, sizeof emsg,
                 "refusing to delete %s: not a directory this provisioner created under %s",
                 paths[i], e.storage);
        CHECK(wait_event(&e, euid, "Warning", "VolumeFailedDelete", emsg));
        CHECK(phase_is(&e, "PersistentVolume", NULL, vname, "Released"));
    }
    CHECK(is_dir(precious, NULL));
    CHECK(is_dir(victim, NULL));
    env_close(&e);
}

TEST(test_static_volumes_smallest_fit_modes_selector_prebound)
{
    env e;
    if (!env_open(&e, true))
        return;
    char buf[1024];
    struct {
        const char *name, *cls, *size, *modes, *meta, *spec;
    } vols[] = {
        {"small", "manual", "1Gi", "'ReadWriteOnce'", NULL, NULL},
        {"medium", "manual", "5Gi", "'ReadWriteOnce'", NULL,
         ",'persistentVolumeReclaimPolicy':'Delete'"},
        {"big", "manual", "10Gi", "'ReadWriteOnce'", NULL, NULL},
        {"other-class", "slow", "3Gi", "'ReadWriteOnce'", NULL, NULL},
        {"shared", "manual", "20Gi", "'ReadWriteOnce','ReadWriteMany'", NULL, NULL},
        {"gold", "manual", "50Gi", "'ReadWriteOnce'", ",'labels':{'tier':'gold'}", NULL},
        {"reserved", "manual", "1Gi", "'ReadWriteOnce'", NULL,
         ",'claimRef':{'namespace':'default','name':'mine'}"},
        {"named", "manual", "1Gi", "'ReadWriteOnce'", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof vols / sizeof vols[0]; i++) {
        volume_json(buf, sizeof buf, vols[i].name, vols[i].cls, vols[i].size, vols[i].modes,
                    vols[i].meta, vols[i].spec);
        CHECK_INT(fx_create(e.api, "PersistentVolume", NULL, fx_json(buf)), 0);
    }
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "small", "Available"));
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "reserved", "Available"));

    /* 2Gi RWO of class manual: 5Gi is the smallest that fits */
    claim_json(buf, sizeof buf, "fit", "manual", "2Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "fit", "Bound"));
    json_t *pvc = fx_get(e.api, "PersistentVolumeClaim", "default", "fit");
    CHECK_STR(fx_str(pvc, "spec.volumeName"), "medium");
    CHECK_STR(fx_str(pvc, "status.capacity.storage"), "5Gi");
    CHECK_STR(k1s_meta_annotation(pvc, "pv.kubernetes.io/bound-by-controller"), "yes");
    CHECK_STR(k1s_meta_annotation(pvc, "pv.kubernetes.io/bind-completed"), "yes");
    json_decref(pvc);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "medium", "Bound"));
    json_t *pv = fx_get(e.api, "PersistentVolume", NULL, "medium");
    CHECK_STR(k1s_meta_annotation(pv, "pv.kubernetes.io/bound-by-controller"), "yes");
    CHECK_STR(fx_str(pv, "spec.claimRef.name"), "fit");
    json_decref(pv);

    /* RWX: only the volume offering it, however big */
    claim_json(buf, sizeof buf, "many", "manual", "1Gi", "'ReadWriteMany'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "many", "Bound"));
    pvc = fx_get(e.api, "PersistentVolumeClaim", "default", "many");
    CHECK_STR(fx_str(pvc, "spec.volumeName"), "shared");
    json_decref(pvc);

    /* a selector narrows to labelled volumes */
    claim_json(buf, sizeof buf, "picky", "manual", "1Gi", "'ReadWriteOnce'",
               ",'selector':{'matchLabels':{'tier':'gold'}}");
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "picky", "Bound"));
    pvc = fx_get(e.api, "PersistentVolumeClaim", "default", "picky");
    CHECK_STR(fx_str(pvc, "spec.volumeName"), "gold");
    json_decref(pvc);

    /* a volume reserved for a claim by name goes to that claim only */
    claim_json(buf, sizeof buf, "mine", "manual", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "mine", "Bound"));
    pvc = fx_get(e.api, "PersistentVolumeClaim", "default", "mine");
    CHECK_STR(fx_str(pvc, "spec.volumeName"), "reserved");
    char uid[64];
    snprintf(uid, sizeof uid, "%s", fx_str(pvc, "metadata.uid") ? fx_str(pvc, "metadata.uid") : "");
    json_decref(pvc);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "reserved", "Bound"));
    pv = fx_get(e.api, "PersistentVolume", NULL, "reserved");
    CHECK_STR(fx_str(pv, "spec.claimRef.uid"), uid);
    CHECK(k1s_meta_annotation(pv, "pv.kubernetes.io/bound-by-controller") == NULL);
    json_decref(pv);

    /* a claim naming its volume gets exactly that one */
    claim_json(buf, sizeof buf, "wants-named", "manual", "1Gi", "'ReadWriteOnce'",
               ",'volumeName':'named'");
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "wants-named", "Bound"));
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "named", "Bound"));
    pvc = fx_get(e.api, "PersistentVolumeClaim", "default", "wants-named");
    CHECK(k1s_meta_annotation(pvc, "pv.kubernetes.io/bound-by-controller") == NULL);
    json_decref(pvc);
    pv = fx_get(e.api, "PersistentVolume", NULL, "named");
    CHECK_STR(k1s_meta_annotation(pv, "pv.kubernetes.io/bound-by-controller"), "yes");
    json_decref(pv);

    /* nothing fits 100Gi: the claim waits, and has no class to provision */
    claim_json(buf, sizeof buf, "huge", "manual", "100Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    char huid[64];
    claim_uid(&e, "default", "huge", huid, sizeof huid);
    CHECK(wait_event(&e, huid, "Warning", "ProvisioningFailed",
                     "storageclass.storage.k8s.io \"manual\" not found"));
    CHECK(phase_is(&e, "PersistentVolumeClaim", "default", "huge", "Pending"));
    CHECK(phase_is(&e, "PersistentVolume", NULL, "small", "Available"));
    CHECK(phase_is(&e, "PersistentVolume", NULL, "big", "Available"));
    CHECK(phase_is(&e, "PersistentVolume", NULL, "other-class", "Available"));

    /* a static volume with Delete policy: k1s has no deleter for it */
    char muid[64];
    pv = fx_get(e.api, "PersistentVolume", NULL, "medium");
    snprintf(muid, sizeof muid, "%s", fx_str(pv, "metadata.uid") ? fx_str(pv, "metadata.uid") : "");
    json_decref(pv);
    CHECK_INT(fx_delete(e.api, "PersistentVolumeClaim", "default", "fit", -1), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "medium", "Failed"));
    CHECK(wait_event(&e, muid, "Warning", "VolumeFailedDelete",
                     "error getting deleter volume plugin for volume \"medium\": "
                     "no deletable volume plugin matched"));
    /* a Retain one just stays Released */
    CHECK_INT(fx_delete(e.api, "PersistentVolumeClaim", "default", "many", -1), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "shared", "Released"));
    env_close(&e);
}

TEST(test_missing_and_default_class)
{
    env e;
    if (!env_open(&e, true))
        return;
    char buf[1024], uid[64];
    claim_json(buf, sizeof buf, "x", "nope", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    claim_uid(&e, "default", "x", uid, sizeof uid);
    CHECK(wait_event(&e, uid, "Warning", "ProvisioningFailed",
                     "storageclass.storage.k8s.io \"nope\" not found"));
    CHECK(phase_is(&e, "PersistentVolumeClaim", "default", "x", "Pending"));
    CHECK_INT(fx_count(e.api, "PersistentVolume", NULL, NULL), 0);

    /* no class at all and no default one */
    claim_json(buf, sizeof buf, "classless", NULL, "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    char cuid[64];
    claim_uid(&e, "default", "classless", cuid, sizeof cuid);
    CHECK(wait_event(&e, cuid, "Normal", "FailedBinding",
                     "no persistent volumes available for this claim and no storage class is set"));

    /* the class appears: the waiting claim is provisioned */
    CHECK_INT(
        fx_create(e.api, "StorageClass", NULL,
                  fx_json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                          "'metadata':{'name':'nope'},'provisioner':'k8s.io/minikube-hostpath'}")),
        0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "x", "Bound"));

    /* a default class appears: the classless claim is given it, then served */
    CHECK_INT(fx_create(e.api, "StorageClass", NULL,
                        fx_json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                                "'metadata':{'name':'standard','annotations':"
                                "{'storageclass.kubernetes.io/is-default-class':'true'}},"
                                "'provisioner':'microk8s.io/hostpath'}")),
              0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "classless", "Bound"));
    json_t *pvc = fx_get(e.api, "PersistentVolumeClaim", "default", "classless");
    CHECK_STR(fx_str(pvc, "spec.storageClassName"), "standard");
    json_decref(pvc);
    env_close(&e);
}

TEST(test_wait_for_first_consumer)
{
    env e;
    if (!env_open(&e, true))
        return;
    CHECK_INT(fx_create(e.api, "StorageClass", NULL,
                        fx_json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                                "'metadata':{'name':'later'},'provisioner':'rancher.io/local-path',"
                                "'volumeBindingMode':'WaitForFirstConsumer'}")),
              0);
    json_t *node = fx_get(e.api, "Node", NULL, "node1");
    if (!node)
        CHECK_INT(
            fx_create(e.api, "Node", NULL,
                      fx_json("{'apiVersion':'v1','kind':'Node','metadata':{'name':'node1'}}")),
            0);
    json_decref(node);
    char buf[1024], uid[64];
    claim_json(buf, sizeof buf, "w", "later", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    claim_uid(&e, "default", "w", uid, sizeof uid);
    CHECK(wait_event(&e, uid, "Normal", "WaitForFirstConsumer",
                     "waiting for first consumer to be created before binding"));
    fx_sleep_ms(100);
    CHECK_INT(fx_count(e.api, "PersistentVolume", NULL, NULL), 0);

    /* what the scheduler does for a pod using the claim */
    json_t *pvc = fx_get(e.api, "PersistentVolumeClaim", "default", "w");
    json_t *m = json_object_get(pvc, "metadata");
    json_object_set_new(m, "annotations",
                        json_pack("{s:s}", "volume.kubernetes.io/selected-node", "node1"));
    CHECK_INT(fx_update(e.api, "PersistentVolumeClaim", "default", NULL, pvc), 0);
    json_decref(pvc);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "w", "Bound"));
    char pvname[80];
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    json_t *pv = fx_get(e.api, "PersistentVolume", NULL, pvname);
    CHECK(pv != NULL);
    env_close(&e);
    json_decref(pv);
}

TEST(test_restart_converges_without_duplicates)
{
    env e;
    if (!env_open(&e, false))
        return;
    /* objects made while no controller runs */
    CHECK_INT(fx_create(e.api, "StorageClass", NULL, fx_json(SCENARIO_CLASS)), 0);
    CHECK_INT(
        fx_create(e.api, "StorageClass", NULL,
                  fx_json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                          "'metadata':{'name':'scratch'},'provisioner':'docker.io/hostpath'}")),
        0);
    char buf[1024], name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "claim-%d", i);
        claim_json(buf, sizeof buf, name, "test-storage-class", "1Gi", "'ReadWriteOnce'", NULL);
        CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    }
    /* stopped mid-way, as soon as the first volume exists */
    CHECK_INT(start_controllers(&e), 0);
    for (int t = 0; t < FX_WAIT_MS && fx_count(e.api, "PersistentVolume", NULL, NULL) == 0; t += 1)
        fx_sleep_ms(1);
    stop_controllers(&e);
    CHECK_INT(start_controllers(&e), 0);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "claim-%d", i);
        CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", name, "Bound"));
    }
    stop_controllers(&e);
    CHECK_INT(start_controllers(&e), 0);
    fx_sleep_ms(300);
    CHECK_INT(fx_count(e.api, "PersistentVolume", NULL, NULL), 4);
    CHECK_INT(count_dirs(e.storage), 4);
    for (int i = 0; i < 4; i++) {
        char uid[64], pvname[80];
        snprintf(name, sizeof name, "claim-%d", i);
        claim_uid(&e, "default", name, uid, sizeof uid);
        snprintf(pvname, sizeof pvname, "pvc-%s", uid);
        CHECK(phase_is(&e, "PersistentVolume", NULL, pvname, "Bound"));
    }

    /* deleted and re-created while the controllers are down: the new
       claim is another claim, the old volume is released, not handed over */
    char olduid[64], oldpv[80];
    claim_uid(&e, "default", "claim-0", olduid, sizeof olduid);
    snprintf(oldpv, sizeof oldpv, "pvc-%s", olduid);
    stop_controllers(&e);
    CHECK_INT(fx_delete(e.api, "PersistentVolumeClaim", "default", "claim-0", -1), 0);
    claim_json(buf, sizeof buf, "claim-0", "test-storage-class", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK_INT(start_controllers(&e), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, oldpv, "Released"));
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "claim-0", "Bound"));
    json_t *again = fx_get(e.api, "PersistentVolumeClaim", "default", "claim-0");
    const char *vn = fx_str(again, "spec.volumeName");
    CHECK(vn && strcmp(vn, oldpv) != 0);
    json_decref(again);
    CHECK_INT(fx_count(e.api, "PersistentVolume", NULL, NULL), 5);
    CHECK_INT(count_dirs(e.storage), 5);

    /* a claim of a Delete class removed while the controllers are down */
    claim_json(buf, sizeof buf, "temp", "scratch", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(fx_create(e.api, "PersistentVolumeClaim", "default", fx_json(buf)), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "temp", "Bound"));
    char uid[64], pvname[80];
    claim_uid(&e, "default", "temp", uid, sizeof uid);
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    CHECK_INT(count_dirs(e.storage), 6);
    stop_controllers(&e);
    CHECK_INT(fx_delete(e.api, "PersistentVolumeClaim", "default", "temp", -1), 0);
    CHECK_INT(start_controllers(&e), 0);
    CHECK(fx_wait_gone(e.api, "PersistentVolume", NULL, pvname, FX_WAIT_MS));
    CHECK_INT(count_dirs(e.storage), 5);
    CHECK_INT(fx_count(e.api, "PersistentVolume", NULL, NULL), 5);
    env_close(&e);
}

TEST(test_directory_names_and_removal_stay_in_the_root)
{
    char n[NAME_MAX + 1];
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", "data", "pvc-1"), 0);
    CHECK_STR(n, "default_data_pvc-1");
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", "../etc", "pvc-1"), -1);
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", "a/b", "pvc-1"), -1);
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "..", "x", "pvc-1"), -1);
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", ".", "pvc-1"), -1);
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", "", "pvc-1"), -1);
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", "Upper", "pvc-1"), -1);
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", NULL, "pvc-1"), -1);
    char longname[254];
    memset(longname, 'a', 253);
    longname[253] = 0;
    CHECK_INT(k1s__hostpath_dir_name(n, sizeof n, "default", longname,
                                     "pvc-0123456789abcdef0123456789abcdef0123"),
              0);
    CHECK_INT(strlen(n), NAME_MAX);
    CHECK(strstr(n, "_pvc-0123456789abcdef0123456789abcdef0123") != NULL);

    /* a temporary root: made, used, removed with its content */
    setenv("TMPDIR", "/tmp", 1);
    k1s__hostpath hp;
    CHECK_INT(k1s__hostpath_open(&hp, NULL), 0);
    CHECK(hp.root == NULL); /* nothing on disk until a volume needs it */
    char root[PATH_MAX], err[256], path[PATH_MAX + 64];
    CHECK_INT(k1s__hostpath_mkdir(&hp, "default_a_pvc-1", err, sizeof err), 0);
    snprintf(root, sizeof root, "%s", hp.root ? hp.root : "");
    CHECK(is_dir(root, NULL));
    CHECK(!strncmp(root, "/tmp/k1s-storage-", 17));
    CHECK_INT(k1s__hostpath_mkdir(&hp, "default_a_pvc-1", err, sizeof err), 0);
    /* a tree deeper than the removal allows is refused, not recursed */
    snprintf(path, sizeof path, "%s/default_a_pvc-1", root);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    for (int i = 0; i < 140 && fd >= 0; i++) {
        if (mkdirat(fd, "d", 0700) != 0)
            break;
        int next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
        close(fd);
        fd = next;
    }
    if (fd >= 0)
        close(fd);
    CHECK_INT(k1s__hostpath_rmtree(&hp, "default_a_pvc-1", err, sizeof err), -1);
    CHECK(strstr(err, "deeper") != NULL);
    CHECK_INT(k1s__hostpath_rmtree(&hp, "../x", err, sizeof err), -1);
    CHECK_INT(k1s__hostpath_rmtree(&hp, "absent", err, sizeof err), 0);
    /* a volume directory replaced by a symlink: the link goes, not the target */
    char target[PATH_MAX];
    fx_tmpdir(target, sizeof target, "test-pv");
    snprintf(path, sizeof path, "%s/default_b_pvc-2", root);
    CHECK_INT(symlink(target, path), 0);
    CHECK_INT(k1s__hostpath_mkdir(&hp, "default_b_pvc-2", err, sizeof err), -1);
    CHECK_INT(k1s__hostpath_rmtree(&hp, "default_b_pvc-2", err, sizeof err), 0);
    CHECK(is_dir(target, NULL));
    snprintf(path, sizeof path, "%s/default_a_pvc-1", root);
    fx_rmtree(path);
    k1s__hostpath_close(&hp);
    CHECK(!is_dir(root, NULL));
    fx_rmtree(target);
}

K1S_TEST_MAIN(T(test_scenario_class_provisions_binds_and_retains),
              T(test_delete_class_removes_volume_and_directory),
              T(test_static_volumes_smallest_fit_modes_selector_prebound),
              T(test_missing_and_default_class), T(test_wait_for_first_consumer),
              T(test_restart_converges_without_duplicates),
              T(test_directory_names_and_removal_stay_in_the_root))
