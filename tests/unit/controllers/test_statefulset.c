/*
 * test_statefulset.c - the statefulset controller against a real API on an
 * in-memory store, with no kubelet: the tests play the kubelet, marking
 * pods Running and Ready through the status subresource and finishing
 * graceful deletions, and check what the controller does in between:
 * ordered creation, claims before pods, ordered scale-down keeping claims,
 * claim reuse, Parallel, rolling update with partition, revisions and
 * their history limit, status, retention policy Delete, adoption, failed
 * pods, claims being deleted, and convergence after a restart.
 */
#include "k1s_test.h"

#include <stdbool.h>

#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

#define NS "default"

/* ---- objects --------------------------------------------------------------- */

/* A StatefulSet with one claim template "data". pod_extra goes into the
 * pod spec, spec_extra into the set's spec (both start with a comma or
 * are empty). */
static json_t *sts(const char *name, int replicas, const char *policy, const char *pod_extra,
                   const char *spec_extra)
{
    return fx_jsonf(
        "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'%s'},"
        "'spec':{'replicas':%d,'serviceName':'svc-%s','podManagementPolicy':'%s',"
        "'selector':{'matchLabels':{'app':'%s'}},"
        "'template':{'metadata':{'labels':{'app':'%s','tier':'db'}},"
        "'spec':{'containers':[{'name':'c','image':'nginx:1',"
        "'volumeMounts':[{'name':'data','mountPath':'/data'}]}],"
        "'volumes':[{'name':'data','emptyDir':{}},{'name':'scratch','emptyDir':{}}]%s}},"
        "'volumeClaimTemplates':[{'metadata':{'name':'data','labels':{'disk':'fast','app':'other'}},"
        "'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'1Gi'}}}}]%s}}",
        name, replicas, name, policy, name, name, pod_extra, spec_extra);
}

/* Play the kubelet: the pod is Running with every container ready. Other
 * controllers (the scheduler saying it cannot place the pod) may write
 * the status in between: a conflict is retried as a kubelet would. */
static int make_ready(k1s_api *api, const char *name)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        json_t *pod = fx_get(api, "Pod", NS, name);
        if (!pod)
            return -1;
        char ts[K1S_TIME_LEN];
        k1s_time_format_now(ts, sizeof ts);
        json_t *status = json_object_get(pod, "status");
        json_object_set_new(status, "phase", json_string("Running"));
        json_object_set_new(
            status, "conditions",
            fx_jsonf("[{'type':'Initialized','status':'True','lastTransitionTime':'%s'},"
                     "{'type':'Ready','status':'True','lastTransitionTime':'%s'},"
                     "{'type':'ContainersReady','status':'True','lastTransitionTime':'%s'},"
                     "{'type':'PodScheduled','status':'True','lastTransitionTime':'%s'}]",
                     ts, ts, ts, ts));
        json_object_set_new(
            status, "containerStatuses",
            fx_jsonf("[{'name':'c','ready':true,'started':true,'restartCount':0,"
                     "'image':'nginx:1','imageID':'','state':{'running':{'startedAt':'%s'}}}]",
                     ts));
        int rc = fx_update(api, "Pod", NS, "status", pod);
        json_decref(pod);
        if (rc == 0)
            return 0;
        if (rc != 409)
            return -1;
        fx_sleep_ms(10);
    }
    return -1;
}

/* As a kubelet writes a pod's phase: read, change, write, and again when a
 * controller wrote the pod in between (409). */
static int set_phase(k1s_api *api, const char *name, const char *phase)
{
    int rc = 409;
    for (int attempt = 0; rc == 409 && attempt < 10; attempt++) {
        json_t *pod = fx_get(api, "Pod", NS, name);
        if (!pod)
            return -1;
        json_object_set_new(json_object_get(pod, "status"), "phase", json_string(phase));
        rc = fx_update(api, "Pod", NS, "status", pod);
        json_decref(pod);
    }
    return rc;
}

/* ---- predicates (each reads afresh) ------------------------------------------ */

static bool terminating(k1s_api *api, const char *name)
{
    json_t *o = fx_get(api, "Pod", NS, name);
    bool t = o && fx_at(o, "metadata.deletionTimestamp");
    json_decref(o);
    return t;
}

static long long status_int(k1s_api *api, const char *name, const char *field)
{
    json_t *o = fx_get(api, "StatefulSet", NS, name);
    long long v = o ? k1s_json_int(json_object_get(o, "status"), field, 0) : -1;
    json_decref(o);
    return v;
}

/* A string field of the set's status, copied into buf. */
static const char *status_str(k1s_api *api, const char *name, const char *field, char *buf,
                              size_t len)
{
    json_t *o = fx_get(api, "StatefulSet", NS, name);
    const char *v = json_string_value(json_object_get(json_object_get(o, "status"), field));
    snprintf(buf, len, "%s", v ? v : "");
    json_decref(o);
    return buf;
}

static bool pod_at_revision(k1s_api *api, const char *name, const char *rev)
{
    json_t *o = fx_get(api, "Pod", NS, name);
    const char *r = k1s_meta_label(o, "controller-revision-hash");
    bool ok = r && !strcmp(r, rev) && !fx_at(o, "metadata.deletionTimestamp");
    json_decref(o);
    return ok;
}

/* Whether the pod exists with this uid (it was not replaced). */
static bool pod_uid_is(k1s_api *api, const char *name, const char *uid)
{
    json_t *o = fx_get(api, "Pod", NS, name);
    bool ok = o && k1s_meta(o, "uid") && uid && !strcmp(k1s_meta(o, "uid"), uid);
    json_decref(o);
    return ok;
}

/* Whether the pod exists with a uid other than this one. */
static bool replaced(k1s_api *api, const char *name, const char *uid)
{
    json_t *o = fx_get(api, "Pod", NS, name);
    bool ok = o && k1s_meta(o, "uid") && uid && strcmp(k1s_meta(o, "uid"), uid) != 0;
    json_decref(o);
    return ok;
}

static bool has_owner(k1s_api *api, const char *kind, const char *name)
{
    json_t *o = fx_get(api, kind, NS, name);
    bool owned = o && json_array_size(fx_at(o, "metadata.ownerReferences"));
    json_decref(o);
    return owned;
}

/* Whether the pod's controller is the object with this uid. */
static bool owned_by(k1s_api *api, const char *name, const char *uid)
{
    json_t *p = fx_get(api, "Pod", NS, name);
    const char *u = json_string_value(
        json_object_get(json_array_get(fx_at(p, "metadata.ownerReferences"), 0), "uid"));
    bool mine = u && uid && !strcmp(u, uid);
    json_decref(p);
    return mine;
}

/* How many times an event with this reason and message was recorded. */
static int events(k1s_api *api, const char *reason, const char *message)
{
    json_t *items = fx_list(api, "Event", NS, NULL);
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(items, i, e)
    {
        const char *r = json_string_value(json_object_get(e, "reason"));
        const char *m = json_string_value(json_object_get(e, "message"));
        if (r && m && !strcmp(r, reason) && !strcmp(m, message))
            n += (int)json_integer_value(json_object_get(e, "count"));
    }
    json_decref(items);
    return n;
}

static long long rv(const json_t *o)
{
    const char *r = k1s_meta(o, "resourceVersion");
    return r ? atoll(r) : -1;
}

/* Bring pods name-0 .. name-(n-1) up, readying each as it appears. */
static bool ready_all(k1s_api *api, const char *name, int n)
{
    for (int i = 0; i < n; i++) {
        char pod[64];
        snprintf(pod, sizeof pod, "%s-%d", name, i);
        bool ok;
        FX_WAIT_UNTIL(ok, fx_exists(api, "Pod", NS, pod), FX_WAIT_MS);
        if (!ok || make_ready(api, pod)) {
            fprintf(stderr, "pod %s did not appear\n", pod);
            return false;
        }
    }
    return true;
}

/* ---- tests --------------------------------------------------------------------- */

TEST(test_ordered_creation_claims_and_identity)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS, sts("web", 3, "OrderedReady", "", ""));
    CHECK(set != NULL);
    CHECK_SOON(fx_exists(api, "Pod", NS, "web-0"));
    /* the claim came first, labelled from its template and the selector */
    json_t *claim = fx_get(api, "PersistentVolumeClaim", NS, "data-web-0");
    json_t *pod = fx_get(api, "Pod", NS, "web-0");
    CHECK(claim != NULL && pod != NULL);
    CHECK(rv(claim) < rv(pod));
    CHECK_STR(k1s_meta_label(claim, "app"), "web");
    CHECK_STR(k1s_meta_label(claim, "disk"), "fast");
    CHECK(fx_at(claim, "metadata.ownerReferences") == NULL);
    CHECK_STR(fx_str(claim, "spec.resources.requests.storage"), "1Gi");
    /* the pod's identity */
    const json_t *labels = fx_at(pod, "metadata.labels");
    CHECK_STR(json_string_value(json_object_get(labels, "statefulset.kubernetes.io/pod-name")),
              "web-0");
    CHECK_STR(json_string_value(json_object_get(labels, "apps.kubernetes.io/pod-index")), "0");
    CHECK_STR(json_string_value(json_object_get(labels, "tier")), "db");
    char hash[128];
    const char *h = json_string_value(json_object_get(labels, "controller-revision-hash"));
    snprintf(hash, sizeof hash, "%s", h ? h : "");
    CHECK(!strncmp(hash, "web-", 4) && strlen(hash) == 14);
    CHECK_STR(k1s_meta(pod, "generateName"), "web-");
    CHECK_STR(fx_str(pod, "spec.hostname"), "web-0");
    CHECK_STR(fx_str(pod, "spec.subdomain"), "svc-web");
    const json_t *ref = json_array_get(fx_at(pod, "metadata.ownerReferences"), 0);
    CHECK_STR(json_string_value(json_object_get(ref, "apiVersion")), "apps/v1");
    CHECK_STR(json_string_value(json_object_get(ref, "kind")), "StatefulSet");
    CHECK_STR(json_string_value(json_object_get(ref, "name")), "web");
    CHECK_STR(json_string_value(json_object_get(ref, "uid")), k1s_meta(set, "uid"));
    CHECK(json_is_true(json_object_get(ref, "controller")));
    CHECK(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
    /* the claim's volume replaced the template volume of the same name */
    const json_t *vols = fx_at(pod, "spec.volumes");
    CHECK_INT(json_array_size(vols), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(vols, 0), "name")), "data");
    CHECK_STR(fx_str(json_array_get(vols, 0), "persistentVolumeClaim.claimName"), "data-web-0");
    CHECK(fx_at(json_array_get(vols, 0), "emptyDir") == NULL);
    CHECK_STR(json_string_value(json_object_get(json_array_get(vols, 1), "name")), "scratch");
    json_decref(claim);
    json_decref(pod);

    /* nothing more until web-0 is Running and Ready */
    fx_sleep_ms(300);
    CHECK(!fx_exists(api, "Pod", NS, "web-1"));
    CHECK(!fx_exists(api, "PersistentVolumeClaim", NS, "data-web-1"));
    CHECK_INT(make_ready(api, "web-0"), 0);
    CHECK_SOON(fx_exists(api, "Pod", NS, "web-1"));
    fx_sleep_ms(300);
    CHECK(!fx_exists(api, "Pod", NS, "web-2"));
    CHECK_INT(make_ready(api, "web-1"), 0);
    CHECK_SOON(fx_exists(api, "Pod", NS, "web-2"));
    CHECK_INT(make_ready(api, "web-2"), 0);
    CHECK_SOON(status_int(api, "web", "readyReplicas") == 3 &&
               status_int(api, "web", "currentReplicas") == 3);

    /* status and revision */
    json_t *now = fx_get(api, "StatefulSet", NS, "web");
    const json_t *status = json_object_get(now, "status");
    CHECK_INT(json_integer_value(json_object_get(status, "replicas")), 3);
    CHECK_INT(json_integer_value(json_object_get(status, "updatedReplicas")), 3);
    CHECK_INT(json_integer_value(json_object_get(status, "availableReplicas")), 3);
    CHECK_INT(json_integer_value(json_object_get(status, "observedGeneration")), 1);
    CHECK(json_is_integer(json_object_get(status, "collisionCount")));
    CHECK_STR(json_string_value(json_object_get(status, "currentRevision")), hash);
    CHECK_STR(json_string_value(json_object_get(status, "updateRevision")), hash);
    json_t *rev = fx_get(api, "ControllerRevision", NS, hash);
    CHECK(rev != NULL);
    CHECK_INT(json_integer_value(json_object_get(rev, "revision")), 1);
    CHECK_STR(k1s_meta_label(rev, "controller.kubernetes.io/hash"), hash + 4);
    CHECK_STR(fx_str(rev, "data.spec.template.$patch"), "replace");
    CHECK_STR(fx_str(rev, "metadata.ownerReferences.0.uid"), k1s_meta(set, "uid"));
    json_decref(rev);
    json_decref(now);
    CHECK_INT(fx_count(api, "ControllerRevision", NS, NULL), 1);

    /* events as kube words them, once each */
    CHECK_INT(events(api, "SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"), 1);
    CHECK_INT(events(api, "SuccessfulCreate", "create Pod web-2 in StatefulSet web successful"), 1);
    CHECK_INT(events(api, "SuccessfulCreate",
                     "create Claim data-web-1 Pod web-1 in StatefulSet web success"),
              1);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_scale_down_in_order_keeps_claims_and_scale_up_reuses_them)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* bound to a node, so deletion is graceful and the test finishes it */
    json_t *set = fx_create_get(api, "StatefulSet", NS,
                                sts("db", 3, "OrderedReady", ",'nodeName':'node1'", ""));
    CHECK(ready_all(api, "db", 3));
    CHECK_SOON(status_int(api, "db", "readyReplicas") == 3);
    json_t *claim1 = fx_get(api, "PersistentVolumeClaim", NS, "data-db-1");
    CHECK(claim1 != NULL);

    CHECK_INT(fx_patch(api, "StatefulSet", NS, "db", NULL, "{'spec':{'replicas':1}}"), 0);
    CHECK_SOON(terminating(api, "db-2"));
    fx_sleep_ms(300);
    CHECK(!terminating(api, "db-1")); /* waits for db-2 to be gone */
    CHECK_INT(fx_delete(api, "Pod", NS, "db-2", 0), 0);
    CHECK_SOON(terminating(api, "db-1"));
    CHECK(!terminating(api, "db-0"));
    CHECK_INT(fx_delete(api, "Pod", NS, "db-1", 0), 0);
    CHECK_SOON(status_int(api, "db", "replicas") == 1);
    fx_sleep_ms(200);
    CHECK(!terminating(api, "db-0"));
    CHECK(fx_exists(api, "PersistentVolumeClaim", NS, "data-db-1"));
    CHECK(fx_exists(api, "PersistentVolumeClaim", NS, "data-db-2"));
    CHECK_INT(events(api, "SuccessfulDelete", "delete Pod db-2 in StatefulSet db successful"), 1);
    CHECK_INT(events(api, "SuccessfulDelete", "delete Pod db-1 in StatefulSet db successful"), 1);

    /* back up: the retained claim is used again, not made anew */
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "db", NULL, "{'spec':{'replicas':2}}"), 0);
    CHECK_SOON(fx_exists(api, "Pod", NS, "db-1"));
    json_t *again = fx_get(api, "PersistentVolumeClaim", NS, "data-db-1");
    CHECK_STR(k1s_meta(again, "uid"), k1s_meta(claim1, "uid"));
    CHECK_INT(events(api, "SuccessfulCreate",
                     "create Claim data-db-1 Pod db-1 in StatefulSet db success"),
              1);
    CHECK_INT(events(api, "SuccessfulCreate", "create Pod db-1 in StatefulSet db successful"), 2);
    json_decref(again);
    json_decref(claim1);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_parallel_creates_and_deletes_at_once)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS, sts("par", 3, "Parallel", "", ""));
    /* no pod is ever ready, yet all three are made */
    CHECK_SOON(fx_exists(api, "Pod", NS, "par-0") && fx_exists(api, "Pod", NS, "par-1") &&
               fx_exists(api, "Pod", NS, "par-2"));
    CHECK_INT(fx_count(api, "PersistentVolumeClaim", NS, "app=par"), 3);
    CHECK_SOON(status_int(api, "par", "replicas") == 3);
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "par", NULL, "{'spec':{'replicas':0}}"), 0);
    CHECK_SOON(fx_count(api, "Pod", NS, "app=par") == 0);
    CHECK_SOON(status_int(api, "par", "replicas") == 0);
    CHECK_INT(fx_count(api, "PersistentVolumeClaim", NS, "app=par"), 3);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_rolling_update_partition_and_rollback)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS, sts("ru", 3, "OrderedReady", "", ""));
    CHECK(ready_all(api, "ru", 3));
    CHECK_SOON(status_int(api, "ru", "currentReplicas") == 3);
    char rev1[128], rev2[128], buf[128];
    status_str(api, "ru", "currentRevision", rev1, sizeof rev1);
    json_t *p0 = fx_get(api, "Pod", NS, "ru-0"), *p1 = fx_get(api, "Pod", NS, "ru-1");

    /* a new template, only ordinals >= 2 move */
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "ru", NULL,
                       "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':2}},"
                       "'template':{'metadata':{'annotations':{'v':'2'}}}}}"),
              0);
    CHECK_SOON(strcmp(status_str(api, "ru", "updateRevision", rev2, sizeof rev2), rev1) != 0 &&
               *rev2);
    CHECK_SOON(pod_at_revision(api, "ru-2", rev2));
    json_t *p2 = fx_get(api, "Pod", NS, "ru-2");
    CHECK_STR(k1s_meta_annotation(p2, "v"), "2");
    json_decref(p2);
    CHECK_INT(make_ready(api, "ru-2"), 0);
    CHECK_SOON(status_int(api, "ru", "updatedReplicas") == 1 &&
               status_int(api, "ru", "readyReplicas") == 3);
    fx_sleep_ms(300);
    CHECK(pod_uid_is(api, "ru-1", k1s_meta(p1, "uid")));
    CHECK(pod_uid_is(api, "ru-0", k1s_meta(p0, "uid")));
    CHECK_INT(status_int(api, "ru", "currentReplicas"), 2);
    CHECK_STR(status_str(api, "ru", "currentRevision", buf, sizeof buf), rev1);

    /* partition 0: ru-1 then ru-0, each after its successor is ready */
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "ru", NULL,
                       "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':0}}}}"),
              0);
    CHECK_SOON(pod_at_revision(api, "ru-1", rev2));
    fx_sleep_ms(300);
    CHECK(pod_uid_is(api, "ru-0", k1s_meta(p0, "uid")));
    CHECK_INT(make_ready(api, "ru-1"), 0);
    CHECK_SOON(pod_at_revision(api, "ru-0", rev2));
    CHECK_INT(make_ready(api, "ru-0"), 0);
    CHECK_SOON(!strcmp(status_str(api, "ru", "currentRevision", buf, sizeof buf), rev2) &&
               status_int(api, "ru", "currentReplicas") == 3 &&
               status_int(api, "ru", "updatedReplicas") == 3);
    CHECK_INT(fx_count(api, "ControllerRevision", NS, NULL), 2);
    json_t *r2 = fx_get(api, "ControllerRevision", NS, rev2);
    CHECK_INT(json_integer_value(json_object_get(r2, "revision")), 2);
    json_decref(r2);

    /* back to the first template: its revision is renumbered, not copied */
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "ru", NULL,
                       "{'spec':{'template':{'metadata':{'annotations':null}}}}"),
              0);
    CHECK_SOON(!strcmp(status_str(api, "ru", "updateRevision", buf, sizeof buf), rev1));
    json_t *r1 = fx_get(api, "ControllerRevision", NS, rev1);
    CHECK_INT(json_integer_value(json_object_get(r1, "revision")), 3);
    json_decref(r1);
    CHECK_INT(fx_count(api, "ControllerRevision", NS, NULL), 2);
    CHECK_SOON(pod_at_revision(api, "ru-2", rev1));
    json_decref(p0);
    json_decref(p1);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_on_delete_and_history_limit)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set =
        fx_create_get(api, "StatefulSet", NS,
                      sts("od", 1, "OrderedReady", "",
                          ",'revisionHistoryLimit':1,'updateStrategy':{'type':'OnDelete'}"));
    CHECK(ready_all(api, "od", 1));
    char rev[128], buf[128];
    CHECK_SOON(*status_str(api, "od", "updateRevision", rev, sizeof rev));
    json_t *p0 = fx_get(api, "Pod", NS, "od-0");
    /* three new templates; OnDelete leaves the pod alone */
    for (int v = 1; v <= 3; v++) {
        char patch[160];
        snprintf(patch, sizeof patch,
                 "{'spec':{'template':{'metadata':{'annotations':{'v':'%d'}}}}}", v);
        CHECK_INT(fx_patch(api, "StatefulSet", NS, "od", NULL, patch), 0);
        CHECK_SOON(strcmp(status_str(api, "od", "updateRevision", buf, sizeof buf), rev) != 0);
        snprintf(rev, sizeof rev, "%s", buf);
    }
    /* live: the pod's revision (current) and the update revision; one
       more old one may stay */
    CHECK_SOON(fx_count(api, "ControllerRevision", NS, NULL) == 3);
    CHECK(pod_uid_is(api, "od-0", k1s_meta(p0, "uid")));
    CHECK_INT(status_int(api, "od", "updatedReplicas"), 0);
    CHECK_INT(status_int(api, "od", "currentReplicas"), 1);
    /* deleting the pod brings it back at the update revision */
    CHECK_INT(fx_delete(api, "Pod", NS, "od-0", 0), 0);
    CHECK_SOON(pod_at_revision(api, "od-0", rev));
    CHECK_INT(make_ready(api, "od-0"), 0);
    CHECK_SOON(status_int(api, "od", "updatedReplicas") == 1 &&
               status_int(api, "od", "readyReplicas") == 1);
    /* as in kube, OnDelete never moves currentRevision: the first
       revision stays live, and so the count */
    CHECK_INT(status_int(api, "od", "currentReplicas"), 0);
    CHECK_INT(fx_count(api, "ControllerRevision", NS, NULL), 3);
    json_decref(p0);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_min_ready_seconds_and_availability)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS,
                                sts("mr", 2, "OrderedReady", "", ",'minReadySeconds':2"));
    CHECK_SOON(fx_exists(api, "Pod", NS, "mr-0"));
    CHECK_INT(make_ready(api, "mr-0"), 0);
    CHECK_SOON(status_int(api, "mr", "readyReplicas") == 1);
    /* ready but not yet available: mr-1 waits */
    CHECK_INT(status_int(api, "mr", "availableReplicas"), 0);
    CHECK(!fx_exists(api, "Pod", NS, "mr-1"));
    CHECK_SOON(status_int(api, "mr", "availableReplicas") == 1);
    CHECK_SOON(fx_exists(api, "Pod", NS, "mr-1"));
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_retention_policy_delete)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS,
                                sts("rd", 2, "Parallel", "",
                                    ",'persistentVolumeClaimRetentionPolicy':"
                                    "{'whenDeleted':'Delete','whenScaled':'Delete'}"));
    CHECK_SOON(fx_exists(api, "Pod", NS, "rd-1"));
    json_t *c0 = fx_get(api, "PersistentVolumeClaim", NS, "data-rd-0");
    const json_t *ref = json_array_get(fx_at(c0, "metadata.ownerReferences"), 0);
    CHECK_STR(json_string_value(json_object_get(ref, "kind")), "StatefulSet");
    CHECK_STR(json_string_value(json_object_get(ref, "uid")), k1s_meta(set, "uid"));
    CHECK(json_is_true(json_object_get(ref, "controller")));
    json_decref(c0);
    /* scaled away: the claim goes with its pod */
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "rd", NULL, "{'spec':{'replicas':1}}"), 0);
    CHECK_SOON(!fx_exists(api, "Pod", NS, "rd-1") &&
               !fx_exists(api, "PersistentVolumeClaim", NS, "data-rd-1"));
    CHECK(fx_exists(api, "PersistentVolumeClaim", NS, "data-rd-0"));
    /* and a scale-up makes a fresh one */
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "rd", NULL, "{'spec':{'replicas':2}}"), 0);
    CHECK_SOON(fx_exists(api, "Pod", NS, "rd-1") &&
               fx_exists(api, "PersistentVolumeClaim", NS, "data-rd-1"));
    /* Retain on deletion, Delete on scale-down: no owner while in range */
    CHECK_INT(
        fx_patch(api, "StatefulSet", NS, "rd", NULL,
                 "{'spec':{'persistentVolumeClaimRetentionPolicy':{'whenDeleted':'Retain'}}}"),
        0);
    CHECK_SOON(!has_owner(api, "PersistentVolumeClaim", "data-rd-0"));
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_failed_pod_recreated_and_deleted_pod_recreated)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS, sts("fp", 1, "OrderedReady", "", ""));
    CHECK(ready_all(api, "fp", 1));
    json_t *p = fx_get(api, "Pod", NS, "fp-0");
    CHECK_INT(set_phase(api, "fp-0", "Failed"), 0);
    CHECK_SOON(replaced(api, "fp-0", k1s_meta(p, "uid")));
    json_decref(p);
    p = fx_get(api, "Pod", NS, "fp-0");
    CHECK_INT(fx_delete(api, "Pod", NS, "fp-0", 0), 0);
    CHECK_SOON(replaced(api, "fp-0", k1s_meta(p, "uid")));
    CHECK_INT(fx_count(api, "PersistentVolumeClaim", NS, "app=fp"), 1);
    json_decref(p);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_adopts_orphans_and_blocks_on_claim_being_deleted)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* an orphan member, and a claim on its way out */
    json_t *orphan = fx_create_get(
        api, "Pod", NS,
        fx_json("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'ad-0','labels':{'app':'ad'}},"
                "'spec':{'containers':[{'name':'c','image':'nginx:1'}]}}"));
    json_t *claim = fx_create_get(
        api, "PersistentVolumeClaim", NS,
        fx_json("{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'data-ad-1',"
                "'finalizers':['example.com/hold']},'spec':{'accessModes':['ReadWriteOnce'],"
                "'resources':{'requests':{'storage':'1Gi'}}}}"));
    CHECK(orphan && claim);
    CHECK_INT(fx_delete(api, "PersistentVolumeClaim", NS, "data-ad-1", -1), 0);
    json_t *set = fx_create_get(api, "StatefulSet", NS, sts("ad", 2, "Parallel", "", ""));
    CHECK_SOON(owned_by(api, "ad-0", k1s_meta(set, "uid")));
    CHECK(pod_uid_is(api, "ad-0", k1s_meta(orphan, "uid")));
    CHECK_SOON(
        events(api, "FailedCreate",
               "create Pod ad-1 in StatefulSet ad failed error: pvc data-ad-1 is being deleted") >=
        1);
    CHECK(!fx_exists(api, "Pod", NS, "ad-1"));
    /* the old claim goes; a new one and the pod follow */
    json_t *c = fx_get(api, "PersistentVolumeClaim", NS, "data-ad-1");
    json_object_del(json_object_get(c, "metadata"), "finalizers");
    CHECK_INT(fx_update(api, "PersistentVolumeClaim", NS, NULL, c), 0);
    json_decref(c);
    CHECK_SOON(fx_exists(api, "Pod", NS, "ad-1"));
    c = fx_get(api, "PersistentVolumeClaim", NS, "data-ad-1");
    CHECK(c && strcmp(k1s_meta(c, "uid"), k1s_meta(claim, "uid")) != 0);
    json_decref(c);
    json_decref(orphan);
    json_decref(claim);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_restart_converges_without_duplicates)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS,
                                sts("rs", 2, "OrderedReady", ",'nodeName':'node1'", ""));
    CHECK_SOON(fx_exists(api, "Pod", NS, "rs-0"));
    /* stopped mid-scale: the pod gets ready, the set grows meanwhile */
    k1s_controllers_stop(ctl);
    ctl = NULL;
    CHECK_INT(make_ready(api, "rs-0"), 0);
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "rs", NULL, "{'spec':{'replicas':3}}"), 0);
    ctl = fx_controllers_start(api, "node1");
    CHECK(ctl != NULL);
    CHECK(ready_all(api, "rs", 3));
    CHECK_SOON(status_int(api, "rs", "readyReplicas") == 3);
    CHECK_INT(fx_count(api, "ControllerRevision", NS, NULL), 1);
    CHECK_INT(fx_count(api, "PersistentVolumeClaim", NS, "app=rs"), 3);
    CHECK_INT(events(api, "SuccessfulCreate", "create Pod rs-0 in StatefulSet rs successful"), 1);

    /* stopped mid-scale-down, with a pod terminating */
    CHECK_INT(fx_patch(api, "StatefulSet", NS, "rs", NULL, "{'spec':{'replicas':1}}"), 0);
    CHECK_SOON(terminating(api, "rs-2"));
    k1s_controllers_stop(ctl);
    ctl = NULL;
    CHECK_INT(fx_delete(api, "Pod", NS, "rs-2", 0), 0);
    CHECK_INT(fx_delete(api, "Pod", NS, "rs-0", 0), 0); /* and one lost meanwhile */
    ctl = fx_controllers_start(api, "node1");
    CHECK(ctl != NULL);
    /* rs-0 comes back first; rs-1 goes only once rs-0 is ready again */
    CHECK_SOON(fx_exists(api, "Pod", NS, "rs-0"));
    fx_sleep_ms(300);
    CHECK(!terminating(api, "rs-1"));
    CHECK_INT(make_ready(api, "rs-0"), 0);
    CHECK_SOON(terminating(api, "rs-1"));
    CHECK_INT(fx_delete(api, "Pod", NS, "rs-1", 0), 0);
    CHECK_SOON(status_int(api, "rs", "replicas") == 1 &&
               status_int(api, "rs", "readyReplicas") == 1);
    CHECK_INT(fx_count(api, "Pod", NS, "app=rs"), 1);
    CHECK_INT(fx_count(api, "ControllerRevision", NS, NULL), 1);
    CHECK_INT(events(api, "SuccessfulDelete", "delete Pod rs-2 in StatefulSet rs successful"), 1);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_set_deleted_midway)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, "node1") : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = fx_create_get(api, "StatefulSet", NS, sts("gone", 3, "Parallel", "", ""));
    CHECK_SOON(fx_exists(api, "Pod", NS, "gone-0"));
    CHECK_INT(fx_delete(api, "StatefulSet", NS, "gone", -1), 0);
    fx_sleep_ms(300);
    /* nothing more is made for a set that is gone */
    int before = fx_count(api, "Pod", NS, "app=gone");
    fx_sleep_ms(300);
    CHECK_INT(fx_count(api, "Pod", NS, "app=gone"), before);
    /* a new set of the same name does not take the old set's pods; once
       they are gone (the garbage collector's job) it makes its own */
    json_t *again = fx_create_get(api, "StatefulSet", NS, sts("gone", 1, "Parallel", "", ""));
    CHECK(again != NULL);
    fx_sleep_ms(300);
    if (before > 0)
        CHECK(owned_by(api, "gone-0", k1s_meta(set, "uid")) ||
              !fx_exists(api, "Pod", NS, "gone-0"));
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "gone-%d", i);
        if (owned_by(api, name, k1s_meta(set, "uid")))
            fx_delete(api, "Pod", NS, name, 0);
    }
    CHECK_SOON(owned_by(api, "gone-0", k1s_meta(again, "uid")));
    json_decref(set);
    json_decref(again);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_ordered_creation_claims_and_identity),
              T(test_scale_down_in_order_keeps_claims_and_scale_up_reuses_them),
              T(test_parallel_creates_and_deletes_at_once),
              T(test_rolling_update_partition_and_rollback), T(test_on_delete_and_history_limit),
              T(test_min_ready_seconds_and_availability), T(test_retention_policy_delete),
              T(test_failed_pod_recreated_and_deleted_pod_recreated),
              T(test_adopts_orphans_and_blocks_on_claim_being_deleted),
              T(test_restart_converges_without_duplicates), T(test_set_deleted_midway))
