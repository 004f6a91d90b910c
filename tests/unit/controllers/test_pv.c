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
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostpath_internal.h"
#include "k1s_api.h"
#include "k1s_controllers.h"

#define WAIT_MS 10000

typedef struct env {
    k1s_api *api;
    k1s_controllers *ctl;
    char data[PATH_MAX]; /* real path of the data directory */
    char storage[PATH_MAX + 16];
} env;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int start_controllers(env *e)
{
    k1s_controllers_config cfg = {.api = e->api,
                                  .node_name = "node1", .data_dir = e->data};
    char *err = NULL;
    if (k1s_controllers_start(&cfg, &e->ctl, &err) != 0) {
        fprintf(stderr, "controllers: %s\n", err ? err : "?");
        free(err);
        e->ctl = NULL;
        return -1;
    }
    return 0;
}

static void stop_controllers(env *e)
{
    k1s_controllers_stop(e->ctl);
    e->ctl = NULL;
}

static int env_open(env *e, bool controllers)
{
    memset(e, 0, sizeof *e);
    char tmpl[] = "/tmp/k1s-test-pv-XXXXXX";
    if (!mkdtemp(tmpl) || !realpath(tmpl, e->data))
        return -1;
    snprintf(e->storage, sizeof e->storage, "%s/storage", e->data);
    k1s_api_config cfg = {.db_path = ":memory:"};
    char *err = NULL;
    if (k1s_api_open(&cfg, &e->api, &err) != 0) {
        fprintf(stderr, "open: %s\n", err ? err : "?");
        free(err);
        return -1;
    }
    char berr[256];
    if (k1s_api_bootstrap(e->api, 6443, berr, sizeof berr) != 0) {
        fprintf(stderr, "bootstrap: %s\n", berr);
        return -1;
    }
    return controllers ? start_controllers(e) : 0;
}

static void rm_rf(const char *path)
{
    char *cmd = NULL;
    if (strncmp(path, "/tmp/k1s-test-pv-", 17) != 0 &&
        strncmp(path, "/tmp/k1s-storage-", 17) != 0)
        return;
    if (asprintf(&cmd, "rm -rf '%s'", path) < 0 || system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", path);
    free(cmd);
}

static void env_close(env *e)
{
    if (e->ctl)
        k1s_controllers_stop(e->ctl);
    if (e->api)
        k1s_api_close(e->api);
    rm_rf(e->data);
}

/* ---- API helpers ------------------------------------------------------------------ */

static const k1s_kind *kind(const char *k)
{
    return k1s_registry_find_kind(!strcmp(k, "StorageClass") ? "storage.k8s.io" : "", k);
}

/* JSON with ' for " (new reference). */
static json_t *js(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t jerr;
    json_t *o = json_loads(s, 0, &jerr);
    if (!o)
        fprintf(stderr, "bad test JSON: %s: %s\n", jerr.text, s);
    free(s);
    return o;
}

static int create(env *e, const char *k, const char *ns, const char *text)
{
    json_t *o = js(text);
    const char *name = json_string_value(
        json_object_get(json_object_get(o, "metadata"), "name"));
    k1s_target t = {kind(k), ns, name, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = k1s_api_create(e->api, &t, o, NULL, &out, &st);
    json_decref(out);
    if (rc)
        fprintf(stderr, "create %s %s: %s\n", k, name ? name : "?", st.message ? st.message : "?");
    k1s_status_clear(&st);
    json_decref(o);
    return rc;
}

static json_t *get(env *e, const char *k, const char *ns, const char *name)
{
    k1s_target t = {kind(k), ns, name, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    if (k1s_api_get(e->api, &t, &out, &st) != 0)
        out = NULL;
    k1s_status_clear(&st);
    return out;
}

static int del(env *e, const char *k, const char *ns, const char *name)
{
    k1s_target t = {kind(k), ns, name, NULL};
    k1s_opts o = {.grace_seconds = -1};
    k1s_status st = {0};
    json_t *out = NULL;
    int removed = 0;
    int rc = k1s_api_delete(e->api, &t, &o, &out, &removed, &st);
    json_decref(out);
    k1s_status_clear(&st);
    return rc;
}

static const char *str_at(const json_t *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_object_get(cur, tok);
    return json_string_value(cur);
}

static const char *ann(const json_t *o, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(o, "metadata"), "annotations"), key));
}

static bool phase_is(env *e, const char *k, const char *ns, const char *name,
                     const char *phase)
{
    json_t *o = get(e, k, ns, name);
    const char *p = str_at(o, "status.phase");
    bool ok = p && !strcmp(p, phase);
    json_decref(o);
    return ok;
}

static bool wait_phase(env *e, const char *k, const char *ns, const char *name,
                       const char *phase)
{
    for (int t = 0; t < WAIT_MS; t += 10) {
        if (phase_is(e, k, ns, name, phase))
            return true;
        sleep_ms(10);
    }
    fprintf(stderr, "timeout: %s %s/%s never %s\n", k, ns ? ns : "", name, phase);
    return false;
}

static bool wait_gone(env *e, const char *k, const char *ns, const char *name)
{
    for (int t = 0; t < WAIT_MS; t += 10) {
        json_t *o = get(e, k, ns, name);
        json_decref(o);
        if (!o)
            return true;
        sleep_ms(10);
    }
    fprintf(stderr, "timeout: %s %s/%s still there\n", k, ns ? ns : "", name);
    return false;
}

typedef struct evfind {
    const char *uid, *type, *reason, *message;
    bool found;
} evfind;

static int ev_item(void *vctx, const char *json, size_t len)
{
    evfind *f = vctx;
    json_t *ev = json_loadb(json, len, 0, NULL);
    const char *uid = str_at(ev, "involvedObject.uid");
    const char *type = str_at(ev, "type");
    const char *reason = str_at(ev, "reason");
    const char *msg = str_at(ev, "message");
    if (uid && type && reason && msg && !strcmp(uid, f->uid) && !strcmp(type, f->type) &&
        !strcmp(reason, f->reason) && (!f->message || !strcmp(msg, f->message)))
        f->found = true;
    json_decref(ev);
    return 0;
}

static bool has_event(env *e, const char *uid, const char *type, const char *reason,
                      const char *message)
{
    evfind f = {uid, type, reason, message, false};
    k1s_list_opts lo = {0};
    k1s_list_result res;
    k1s_status st = {0};
    if (k1s_api_list(e->api, kind("Event"), "default", &lo, ev_item, &f, &res, &st) == 0)
        k1s_list_result_free(&res);
    k1s_status_clear(&st);
    return f.found;
}

static bool wait_event(env *e, const char *uid, const char *type, const char *reason,
                       const char *message)
{
    for (int t = 0; t < WAIT_MS; t += 10) {
        if (has_event(e, uid, type, reason, message))
            return true;
        sleep_ms(10);
    }
    fprintf(stderr, "timeout: no %s %s event \"%s\"\n", type, reason, message ? message : "*");
    return false;
}

static int count_item(void *vctx, const char *json, size_t len)
{
    (void)json;
    (void)len;
    (*(int *)vctx)++;
    return 0;
}

static int count(env *e, const char *k)
{
    int n = 0;
    k1s_list_opts lo = {0};
    k1s_list_result res;
    k1s_status st = {0};
    if (k1s_api_list(e->api, kind(k), NULL, &lo, count_item, &n, &res, &st) == 0)
        k1s_list_result_free(&res);
    k1s_status_clear(&st);
    return n;
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
    json_t *o = get(e, "PersistentVolumeClaim", ns, name);
    const char *uid = str_at(o, "metadata.uid");
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

static void claim_json(char *buf, size_t len, const char *name, const char *cls,
                       const char *size, const char *modes, const char *extra)
{
    snprintf(buf, len,
             "{'apiVersion':'v1','kind':'PersistentVolumeClaim',"
             "'metadata':{'name':'%s','namespace':'default'},"
             "'spec':{'accessModes':[%s],%s%s%s"
             "'resources':{'requests':{'storage':'%s'}}%s}}",
             name, modes, cls ? "'storageClassName':'" : "", cls ? cls : "",
             cls ? "'," : "", size, extra ? extra : "");
}

static void volume_json(char *buf, size_t len, const char *name, const char *cls,
                        const char *size, const char *modes, const char *extra_meta,
                        const char *extra_spec)
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
    if (env_open(&e, true) != 0) {
        CHECK(!"environment");
        env_close(&e);
        return;
    }
    const char *claim = "html-volume-nginx-statefulset-0";
    CHECK_INT(create(&e, "StorageClass", NULL, SCENARIO_CLASS), 0);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", SCENARIO_CLAIM), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", claim, "Bound"));
    char uid[64], pvname[80], dir[PATH_MAX + 200];
    claim_uid(&e, "default", claim, uid, sizeof uid);
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, pvname, "Bound"));

    json_t *pv = get(&e, "PersistentVolume", NULL, pvname);
    json_t *pvc = get(&e, "PersistentVolumeClaim", "default", claim);
    CHECK(pv != NULL && pvc != NULL);
    snprintf(dir, sizeof dir, "%s/default_%s_%s", e.storage, claim, pvname);
    CHECK_STR(str_at(pv, "spec.capacity.storage"), "1Gi");
    CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(pv, "spec"),
                                                               "accessModes"), 0)),
              "ReadWriteOnce");
    CHECK_STR(str_at(pv, "spec.persistentVolumeReclaimPolicy"), "Retain");
    CHECK_STR(str_at(pv, "spec.storageClassName"), "test-storage-class");
    CHECK_STR(str_at(pv, "spec.volumeMode"), "Filesystem");
    CHECK_STR(str_at(pv, "spec.hostPath.path"), dir);
    CHECK_STR(str_at(pv, "spec.hostPath.type"), "DirectoryOrCreate");
    CHECK_STR(str_at(pv, "spec.claimRef.kind"), "PersistentVolumeClaim");
    CHECK_STR(str_at(pv, "spec.claimRef.apiVersion"), "v1");
    CHECK_STR(str_at(pv, "spec.claimRef.namespace"), "default");
    CHECK_STR(str_at(pv, "spec.claimRef.name"), claim);
    CHECK_STR(str_at(pv, "spec.claimRef.uid"), uid);
    CHECK(str_at(pv, "spec.claimRef.resourceVersion") != NULL);
    const json_t *expr = json_array_get(
        json_object_get(json_array_get(json_object_get(json_object_get(json_object_get(
                                           json_object_get(pv, "spec"), "nodeAffinity"),
                                           "required"), "nodeSelectorTerms"), 0),
                        "matchExpressions"), 0);
    CHECK_STR(str_at(expr, "key"), "kubernetes.io/hostname");
    CHECK_STR(str_at(expr, "operator"), "In");
    CHECK_STR(json_string_value(json_array_get(json_object_get(expr, "values"), 0)), "node1");
    CHECK_STR(ann(pv, "pv.kubernetes.io/provisioned-by"), "docker.io/hostpath");
    /* the provisioner set claimRef, so the binder does not claim it */
    CHECK(ann(pv, "pv.kubernetes.io/bound-by-controller") == NULL);

    CHECK_STR(str_at(pvc, "spec.volumeName"), pvname);
    CHECK_STR(ann(pvc, "pv.kubernetes.io/bind-completed"), "yes");
    CHECK_STR(ann(pvc, "pv.kubernetes.io/bound-by-controller"), "yes");
    CHECK_STR(ann(pvc, "volume.kubernetes.io/storage-provisioner"), "docker.io/hostpath");
    CHECK_STR(ann(pvc, "volume.beta.kubernetes.io/storage-provisioner"), "docker.io/hostpath");
    CHECK_STR(str_at(pvc, "status.capacity.storage"), "1Gi");
    CHECK_STR(json_string_value(json_array_get(json_object_get(json_object_get(pvc, "status"),
                                                               "accessModes"), 0)),
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
    snprintf(msg, sizeof msg, "External provisioner is provisioning volume for claim \"default/%s\"",
             claim);
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
    CHECK_INT(del(&e, "PersistentVolumeClaim", "default", claim), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, pvname, "Released"));
    pv = get(&e, "PersistentVolume", NULL, pvname);
    CHECK_STR(str_at(pv, "spec.claimRef.uid"), uid);
    json_decref(pv);
    sleep_ms(200);
    CHECK(access(file, F_OK) == 0);

    /* the same name again is another claim: it gets a volume of its own */
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", SCENARIO_CLAIM), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", claim, "Bound"));
    char uid2[64];
    claim_uid(&e, "default", claim, uid2, sizeof uid2);
    CHECK(strcmp(uid, uid2) != 0);
    pvc = get(&e, "PersistentVolumeClaim", "default", claim);
    CHECK(str_at(pvc, "spec.volumeName") && strcmp(str_at(pvc, "spec.volumeName"), pvname) != 0);
    json_decref(pvc);
    CHECK(phase_is(&e, "PersistentVolume", NULL, pvname, "Released"));
    pv = get(&e, "PersistentVolume", NULL, pvname);
    CHECK_STR(str_at(pv, "spec.claimRef.uid"), uid);
    json_decref(pv);
    CHECK_INT(count(&e, "PersistentVolume"), 2);
    CHECK(access(file, F_OK) == 0);
    env_close(&e);
}

TEST(test_delete_class_removes_volume_and_directory)
{
    env e;
    if (env_open(&e, true) != 0) {
        CHECK(!"environment");
        env_close(&e);
        return;
    }
    CHECK_INT(create(&e, "StorageClass", NULL,
                     "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                     "'metadata':{'name':'local-path'},'provisioner':'rancher.io/local-path'}"),
              0);
    char buf[1024];
    claim_json(buf, sizeof buf, "data", "local-path", "2Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "data", "Bound"));
    char uid[64], pvname[80], dir[PATH_MAX + 200], path[PATH_MAX + 300];
    claim_uid(&e, "default", "data", uid, sizeof uid);
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, pvname, "Bound"));
    json_t *pv = get(&e, "PersistentVolume", NULL, pvname);
    CHECK_STR(str_at(pv, "spec.persistentVolumeReclaimPolicy"), "Delete");
    CHECK_STR(ann(pv, "pv.kubernetes.io/provisioned-by"), "rancher.io/local-path");
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

    CHECK_INT(del(&e, "PersistentVolumeClaim", "default", "data"), 0);
    CHECK(wait_gone(&e, "PersistentVolume", NULL, pvname));
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
        CHECK_INT(create(&e, "PersistentVolume", NULL, buf), 0);
        CHECK(wait_phase(&e, "PersistentVolume", NULL, vname, "Released"));
        json_t *evil = get(&e, "PersistentVolume", NULL, vname);
        char euid[64], emsg[PATH_MAX * 2];
        snprintf(euid, sizeof euid, "%s", str_at(evil, "metadata.uid") ? str_at(evil, "metadata.uid") : "");
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
    if (env_open(&e, true) != 0) {
        CHECK(!"environment");
        env_close(&e);
        return;
    }
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
        CHECK_INT(create(&e, "PersistentVolume", NULL, buf), 0);
    }
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "small", "Available"));
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "reserved", "Available"));

    /* 2Gi RWO of class manual: 5Gi is the smallest that fits */
    claim_json(buf, sizeof buf, "fit", "manual", "2Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "fit", "Bound"));
    json_t *pvc = get(&e, "PersistentVolumeClaim", "default", "fit");
    CHECK_STR(str_at(pvc, "spec.volumeName"), "medium");
    CHECK_STR(str_at(pvc, "status.capacity.storage"), "5Gi");
    CHECK_STR(ann(pvc, "pv.kubernetes.io/bound-by-controller"), "yes");
    CHECK_STR(ann(pvc, "pv.kubernetes.io/bind-completed"), "yes");
    json_decref(pvc);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "medium", "Bound"));
    json_t *pv = get(&e, "PersistentVolume", NULL, "medium");
    CHECK_STR(ann(pv, "pv.kubernetes.io/bound-by-controller"), "yes");
    CHECK_STR(str_at(pv, "spec.claimRef.name"), "fit");
    json_decref(pv);

    /* RWX: only the volume offering it, however big */
    claim_json(buf, sizeof buf, "many", "manual", "1Gi", "'ReadWriteMany'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "many", "Bound"));
    pvc = get(&e, "PersistentVolumeClaim", "default", "many");
    CHECK_STR(str_at(pvc, "spec.volumeName"), "shared");
    json_decref(pvc);

    /* a selector narrows to labelled volumes */
    claim_json(buf, sizeof buf, "picky", "manual", "1Gi", "'ReadWriteOnce'",
               ",'selector':{'matchLabels':{'tier':'gold'}}");
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "picky", "Bound"));
    pvc = get(&e, "PersistentVolumeClaim", "default", "picky");
    CHECK_STR(str_at(pvc, "spec.volumeName"), "gold");
    json_decref(pvc);

    /* a volume reserved for a claim by name goes to that claim only */
    claim_json(buf, sizeof buf, "mine", "manual", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "mine", "Bound"));
    pvc = get(&e, "PersistentVolumeClaim", "default", "mine");
    CHECK_STR(str_at(pvc, "spec.volumeName"), "reserved");
    char uid[64];
    snprintf(uid, sizeof uid, "%s", str_at(pvc, "metadata.uid") ? str_at(pvc, "metadata.uid") : "");
    json_decref(pvc);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "reserved", "Bound"));
    pv = get(&e, "PersistentVolume", NULL, "reserved");
    CHECK_STR(str_at(pv, "spec.claimRef.uid"), uid);
    CHECK(ann(pv, "pv.kubernetes.io/bound-by-controller") == NULL);
    json_decref(pv);

    /* a claim naming its volume gets exactly that one */
    claim_json(buf, sizeof buf, "wants-named", "manual", "1Gi", "'ReadWriteOnce'",
               ",'volumeName':'named'");
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "wants-named", "Bound"));
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "named", "Bound"));
    pvc = get(&e, "PersistentVolumeClaim", "default", "wants-named");
    CHECK(ann(pvc, "pv.kubernetes.io/bound-by-controller") == NULL);
    json_decref(pvc);
    pv = get(&e, "PersistentVolume", NULL, "named");
    CHECK_STR(ann(pv, "pv.kubernetes.io/bound-by-controller"), "yes");
    json_decref(pv);

    /* nothing fits 100Gi: the claim waits, and has no class to provision */
    claim_json(buf, sizeof buf, "huge", "manual", "100Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
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
    pv = get(&e, "PersistentVolume", NULL, "medium");
    snprintf(muid, sizeof muid, "%s", str_at(pv, "metadata.uid") ? str_at(pv, "metadata.uid") : "");
    json_decref(pv);
    CHECK_INT(del(&e, "PersistentVolumeClaim", "default", "fit"), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "medium", "Failed"));
    CHECK(wait_event(&e, muid, "Warning", "VolumeFailedDelete",
                     "error getting deleter volume plugin for volume \"medium\": "
                     "no deletable volume plugin matched"));
    /* a Retain one just stays Released */
    CHECK_INT(del(&e, "PersistentVolumeClaim", "default", "many"), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, "shared", "Released"));
    env_close(&e);
}

TEST(test_missing_and_default_class)
{
    env e;
    if (env_open(&e, true) != 0) {
        CHECK(!"environment");
        env_close(&e);
        return;
    }
    char buf[1024], uid[64];
    claim_json(buf, sizeof buf, "x", "nope", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    claim_uid(&e, "default", "x", uid, sizeof uid);
    CHECK(wait_event(&e, uid, "Warning", "ProvisioningFailed",
                     "storageclass.storage.k8s.io \"nope\" not found"));
    CHECK(phase_is(&e, "PersistentVolumeClaim", "default", "x", "Pending"));
    CHECK_INT(count(&e, "PersistentVolume"), 0);

    /* no class at all and no default one */
    claim_json(buf, sizeof buf, "classless", NULL, "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    char cuid[64];
    claim_uid(&e, "default", "classless", cuid, sizeof cuid);
    CHECK(wait_event(&e, cuid, "Normal", "FailedBinding",
                     "no persistent volumes available for this claim and no storage class is set"));

    /* the class appears: the waiting claim is provisioned */
    CHECK_INT(create(&e, "StorageClass", NULL,
                     "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                     "'metadata':{'name':'nope'},'provisioner':'k8s.io/minikube-hostpath'}"),
              0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "x", "Bound"));

    /* a default class appears: the classless claim is given it, then served */
    CHECK_INT(create(&e, "StorageClass", NULL,
                     "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                     "'metadata':{'name':'standard','annotations':"
                     "{'storageclass.kubernetes.io/is-default-class':'true'}},"
                     "'provisioner':'microk8s.io/hostpath'}"),
              0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "classless", "Bound"));
    json_t *pvc = get(&e, "PersistentVolumeClaim", "default", "classless");
    CHECK_STR(str_at(pvc, "spec.storageClassName"), "standard");
    json_decref(pvc);
    env_close(&e);
}

TEST(test_wait_for_first_consumer)
{
    env e;
    if (env_open(&e, true) != 0) {
        CHECK(!"environment");
        env_close(&e);
        return;
    }
    CHECK_INT(create(&e, "StorageClass", NULL,
                     "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                     "'metadata':{'name':'later'},'provisioner':'rancher.io/local-path',"
                     "'volumeBindingMode':'WaitForFirstConsumer'}"),
              0);
    json_t *node = get(&e, "Node", NULL, "node1");
    if (!node)
        CHECK_INT(create(&e, "Node", NULL,
                         "{'apiVersion':'v1','kind':'Node','metadata':{'name':'node1'}}"),
                  0);
    json_decref(node);
    char buf[1024], uid[64];
    claim_json(buf, sizeof buf, "w", "later", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    claim_uid(&e, "default", "w", uid, sizeof uid);
    CHECK(wait_event(&e, uid, "Normal", "WaitForFirstConsumer",
                     "waiting for first consumer to be created before binding"));
    sleep_ms(100);
    CHECK_INT(count(&e, "PersistentVolume"), 0);

    /* what the scheduler does for a pod using the claim */
    json_t *pvc = get(&e, "PersistentVolumeClaim", "default", "w");
    json_t *m = json_object_get(pvc, "metadata");
    json_object_set_new(m, "annotations",
                        json_pack("{s:s}", "volume.kubernetes.io/selected-node", "node1"));
    k1s_target t = {kind("PersistentVolumeClaim"), "default", "w", NULL};
    k1s_status st = {0};
    json_t *saved = NULL;
    CHECK_INT(k1s_api_update(e.api, &t, pvc, NULL, &saved, &st), 0);
    json_decref(saved);
    k1s_status_clear(&st);
    json_decref(pvc);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "w", "Bound"));
    char pvname[80];
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    json_t *pv = get(&e, "PersistentVolume", NULL, pvname);
    CHECK(pv != NULL);
    env_close(&e);
    json_decref(pv);
}

TEST(test_restart_converges_without_duplicates)
{
    env e;
    if (env_open(&e, false) != 0) {
        CHECK(!"environment");
        env_close(&e);
        return;
    }
    /* objects made while no controller runs */
    CHECK_INT(create(&e, "StorageClass", NULL, SCENARIO_CLASS), 0);
    CHECK_INT(create(&e, "StorageClass", NULL,
                     "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                     "'metadata':{'name':'scratch'},'provisioner':'docker.io/hostpath'}"),
              0);
    char buf[1024], name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "claim-%d", i);
        claim_json(buf, sizeof buf, name, "test-storage-class", "1Gi", "'ReadWriteOnce'", NULL);
        CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    }
    /* stopped mid-way, as soon as the first volume exists */
    CHECK_INT(start_controllers(&e), 0);
    for (int t = 0; t < WAIT_MS && count(&e, "PersistentVolume") == 0; t += 1)
        sleep_ms(1);
    stop_controllers(&e);
    CHECK_INT(start_controllers(&e), 0);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "claim-%d", i);
        CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", name, "Bound"));
    }
    stop_controllers(&e);
    CHECK_INT(start_controllers(&e), 0);
    sleep_ms(300);
    CHECK_INT(count(&e, "PersistentVolume"), 4);
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
    CHECK_INT(del(&e, "PersistentVolumeClaim", "default", "claim-0"), 0);
    claim_json(buf, sizeof buf, "claim-0", "test-storage-class", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK_INT(start_controllers(&e), 0);
    CHECK(wait_phase(&e, "PersistentVolume", NULL, oldpv, "Released"));
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "claim-0", "Bound"));
    json_t *again = get(&e, "PersistentVolumeClaim", "default", "claim-0");
    const char *vn = str_at(again, "spec.volumeName");
    CHECK(vn && strcmp(vn, oldpv) != 0);
    json_decref(again);
    CHECK_INT(count(&e, "PersistentVolume"), 5);
    CHECK_INT(count_dirs(e.storage), 5);

    /* a claim of a Delete class removed while the controllers are down */
    claim_json(buf, sizeof buf, "temp", "scratch", "1Gi", "'ReadWriteOnce'", NULL);
    CHECK_INT(create(&e, "PersistentVolumeClaim", "default", buf), 0);
    CHECK(wait_phase(&e, "PersistentVolumeClaim", "default", "temp", "Bound"));
    char uid[64], pvname[80];
    claim_uid(&e, "default", "temp", uid, sizeof uid);
    snprintf(pvname, sizeof pvname, "pvc-%s", uid);
    CHECK_INT(count_dirs(e.storage), 6);
    stop_controllers(&e);
    CHECK_INT(del(&e, "PersistentVolumeClaim", "default", "temp"), 0);
    CHECK_INT(start_controllers(&e), 0);
    CHECK(wait_gone(&e, "PersistentVolume", NULL, pvname));
    CHECK_INT(count_dirs(e.storage), 5);
    CHECK_INT(count(&e, "PersistentVolume"), 5);
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
    char target[] = "/tmp/k1s-test-pv-XXXXXX";
    CHECK(mkdtemp(target) != NULL);
    snprintf(path, sizeof path, "%s/default_b_pvc-2", root);
    CHECK_INT(symlink(target, path), 0);
    CHECK_INT(k1s__hostpath_mkdir(&hp, "default_b_pvc-2", err, sizeof err), -1);
    CHECK_INT(k1s__hostpath_rmtree(&hp, "default_b_pvc-2", err, sizeof err), 0);
    CHECK(is_dir(target, NULL));
    snprintf(path, sizeof path, "%s/default_a_pvc-1", root);
    rm_rf(path);
    k1s__hostpath_close(&hp);
    CHECK(!is_dir(root, NULL));
    rm_rf(target);
}

K1S_TEST_MAIN(T(test_scenario_class_provisions_binds_and_retains),
              T(test_delete_class_removes_volume_and_directory),
              T(test_static_volumes_smallest_fit_modes_selector_prebound),
              T(test_missing_and_default_class), T(test_wait_for_first_consumer),
              T(test_restart_converges_without_duplicates),
              T(test_directory_names_and_removal_stay_in_the_root))
