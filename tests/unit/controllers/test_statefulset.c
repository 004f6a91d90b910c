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

#include <stdarg.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "k1s_api.h"
#include "k1s_controllers.h"

#define WAIT_MS 10000

/* Poll cond every 10 ms for at most WAIT_MS; ok gets the outcome. */
#define WAIT_UNTIL(ok, cond)                                                   \
    do {                                                                       \
        (ok) = false;                                                          \
        for (int w_ = 0; w_ < WAIT_MS / 10 && !((ok) = (cond)); w_++)          \
            sleep_ms(10);                                                      \
    } while (0)

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- fixture ------------------------------------------------------------------ */

static k1s_api *open_api(void)
{
    k1s_api_config cfg = {.db_path = ":memory:"};
    k1s_api *api = NULL;
    char *err = NULL;
    if (k1s_api_open(&cfg, &api, &err) != 0) {
        fprintf(stderr, "open: %s\n", err ? err : "?");
        free(err);
        return NULL;
    }
    char berr[256];
    if (k1s_api_bootstrap(api, 6443, berr, sizeof berr) != 0) {
        fprintf(stderr, "bootstrap: %s\n", berr);
        k1s_api_close(api);
        return NULL;
    }
    return api;
}

static k1s_controllers *start(k1s_api *api)
{
    k1s_controllers_config cfg = {.api = api,
                                  .node_name = "node1"};
    k1s_controllers *ctl = NULL;
    char *err = NULL;
    if (k1s_controllers_start(&cfg, &ctl, &err) != 0) {
        fprintf(stderr, "controllers: %s\n", err ? err : "?");
        free(err);
        return NULL;
    }
    return ctl;
}

/* JSON written with single quotes, printf-style. New reference. */
static json_t *J(const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *o = json_loads(buf, 0, &e);
    if (!o)
        fprintf(stderr, "bad test JSON: %s: %s\n", e.text, buf);
    return o;
}

static const k1s_kind *K(const char *kind)
{
    const k1s_kind *k = k1s_registry_find_kind("", kind);
    return k ? k : k1s_registry_find_kind("apps", kind);
}

static const char *meta(const json_t *o, const char *f)
{
    return json_string_value(json_object_get(json_object_get(o, "metadata"), f));
}

static const json_t *at(const json_t *o, const char *a, const char *b,
                        const char *c)
{
    o = json_object_get(o, a);
    if (b)
        o = json_object_get(o, b);
    if (c)
        o = json_object_get(o, c);
    return o;
}

static json_t *create(k1s_api *api, const char *kind, json_t *body)
{
    k1s_target t = {K(kind), "default", NULL, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    if (!body || k1s_api_create(api, &t, body, NULL, &out, &st)) {
        fprintf(stderr, "create %s: %s\n", kind, st.message ? st.message : "?");
        out = NULL;
    }
    k1s_status_clear(&st);
    json_decref(body);
    return out;
}

static json_t *get(k1s_api *api, const char *kind, const char *name)
{
    k1s_target t = {K(kind), "default", name, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    if (k1s_api_get(api, &t, &out, &st))
        out = NULL;
    k1s_status_clear(&st);
    return out;
}

static int update(k1s_api *api, const char *kind, const char *sub, json_t *obj)
{
    k1s_target t = {K(kind), "default", meta(obj, "name"), sub};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = k1s_api_update(api, &t, obj, NULL, &out, &st);
    if (rc)
        fprintf(stderr, "update %s: %s\n", kind, st.message ? st.message : "?");
    k1s_status_clear(&st);
    json_decref(out);
    return rc;
}

static int del(k1s_api *api, const char *kind, const char *name, long long grace)
{
    k1s_target t = {K(kind), "default", name, NULL};
    k1s_opts o = {.grace_seconds = grace};
    k1s_status st = {0};
    json_t *out = NULL;
    int removed = 0;
    int rc = k1s_api_delete(api, &t, &o, &out, &removed, &st);
    k1s_status_clear(&st);
    json_decref(out);
    return rc;
}

/* Merge a patch (single-quoted JSON) into an object's spec and store it. */
static int patch_spec(k1s_api *api, const char *name, const char *patch)
{
    k1s_target t = {K("StatefulSet"), "default", name, NULL};
    k1s_status st = {0};
    json_t *p = J(patch), *out = NULL;
    int rc = k1s_api_patch(api, &t, K1S_PATCH_MERGE, p, NULL, &out, &st);
    if (rc)
        fprintf(stderr, "patch: %s\n", st.message ? st.message : "?");
    k1s_status_clear(&st);
    json_decref(p);
    json_decref(out);
    return rc;
}

/* ---- objects --------------------------------------------------------------- */

/* A StatefulSet with one claim template "data". pod_extra goes into the
 * pod spec, spec_extra into the set's spec (both start with a comma or
 * are empty). */
static json_t *sts(const char *name, int replicas, const char *policy,
                   const char *pod_extra, const char *spec_extra)
{
    return J("{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'%s'},"
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

static void now_rfc3339(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Play the kubelet: the pod is Running with every container ready. Other
 * controllers (the scheduler saying it cannot place the pod) may write
 * the status in between: a conflict is retried as a kubelet would. */
static int make_ready(k1s_api *api, const char *name)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        json_t *pod = get(api, "Pod", name);
        if (!pod)
            return -1;
        char ts[32];
        now_rfc3339(ts, sizeof ts);
        json_t *status = json_object_get(pod, "status");
        json_object_set_new(status, "phase", json_string("Running"));
        json_object_set_new(
            status, "conditions",
            J("[{'type':'Initialized','status':'True','lastTransitionTime':'%s'},"
              "{'type':'Ready','status':'True','lastTransitionTime':'%s'},"
              "{'type':'ContainersReady','status':'True','lastTransitionTime':'%s'},"
              "{'type':'PodScheduled','status':'True','lastTransitionTime':'%s'}]",
              ts, ts, ts, ts));
        json_object_set_new(
            status, "containerStatuses",
            J("[{'name':'c','ready':true,'started':true,'restartCount':0,"
              "'image':'nginx:1','imageID':'','state':{'running':{'startedAt':'%s'}}}]",
              ts));
        k1s_target t = {K("Pod"), "default", name, "status"};
        k1s_status st = {0};
        json_t *out = NULL;
        int rc = k1s_api_update(api, &t, pod, NULL, &out, &st);
        int code = st.code;
        k1s_status_clear(&st);
        json_decref(out);
        json_decref(pod);
        if (rc == 0)
            return 0;
        if (code != 409)
            return -1;
        sleep_ms(10);
    }
    return -1;
}

static int set_phase(k1s_api *api, const char *name, const char *phase)
{
    json_t *pod = get(api, "Pod", name);
    if (!pod)
        return -1;
    json_object_set_new(json_object_get(pod, "status"), "phase", json_string(phase));
    int rc = update(api, "Pod", "status", pod);
    json_decref(pod);
    return rc;
}

/* ---- predicates (each reads afresh) ------------------------------------------ */

static bool exists(k1s_api *api, const char *kind, const char *name)
{
    json_t *o = get(api, kind, name);
    json_decref(o);
    return o != NULL;
}

static bool terminating(k1s_api *api, const char *name)
{
    json_t *o = get(api, "Pod", name);
    bool t = o && at(o, "metadata", "deletionTimestamp", NULL);
    json_decref(o);
    return t;
}

static long long status_int(k1s_api *api, const char *name, const char *field)
{
    json_t *o = get(api, "StatefulSet", name);
    long long v = o ? (long long)json_integer_value(at(o, "status", field, NULL)) : -1;
    json_decref(o);
    return v;
}

/* A string field of the set's status, copied into buf. */
static const char *status_str(k1s_api *api, const char *name, const char *field,
                              char *buf, size_t len)
{
    json_t *o = get(api, "StatefulSet", name);
    const char *v = json_string_value(at(o, "status", field, NULL));
    snprintf(buf, len, "%s", v ? v : "");
    json_decref(o);
    return buf;
}

static bool pod_at_revision(k1s_api *api, const char *name, const char *rev)
{
    json_t *o = get(api, "Pod", name);
    const char *r = json_string_value(
        at(o, "metadata", "labels", "controller-revision-hash"));
    bool ok = r && !strcmp(r, rev) && !at(o, "metadata", "deletionTimestamp", NULL);
    json_decref(o);
    return ok;
}

/* Whether the pod exists with this uid (it was not replaced). */
static bool pod_uid_is(k1s_api *api, const char *name, const char *uid)
{
    json_t *o = get(api, "Pod", name);
    bool ok = o && meta(o, "uid") && uid && !strcmp(meta(o, "uid"), uid);
    json_decref(o);
    return ok;
}

/* Whether the pod exists with a uid other than this one. */
static bool replaced(k1s_api *api, const char *name, const char *uid)
{
    json_t *o = get(api, "Pod", name);
    bool ok = o && meta(o, "uid") && uid && strcmp(meta(o, "uid"), uid) != 0;
    json_decref(o);
    return ok;
}

static bool has_owner(k1s_api *api, const char *kind, const char *name)
{
    json_t *o = get(api, kind, name);
    bool owned = o && json_array_size(at(o, "metadata", "ownerReferences", NULL));
    json_decref(o);
    return owned;
}

/* Whether the pod's controller is the object with this uid. */
static bool owned_by(k1s_api *api, const char *name, const char *uid)
{
    json_t *p = get(api, "Pod", name);
    const char *u = json_string_value(json_object_get(
        json_array_get(at(p, "metadata", "ownerReferences", NULL), 0), "uid"));
    bool mine = u && uid && !strcmp(u, uid);
    json_decref(p);
    return mine;
}

typedef struct listctx {
    const char *a, *b; /* filters, meaning per use */
    int n;
    json_t *items;     /* owned array, or NULL */
} listctx;

static int keep_item(void *vctx, const char *json, size_t len)
{
    listctx *l = vctx;
    json_t *o = json_loadb(json, len, 0, NULL);
    if (o && l->items)
        json_array_append(l->items, o);
    l->n++;
    json_decref(o);
    return 0;
}

static json_t *list(k1s_api *api, const char *kind, const char *selector)
{
    listctx l = {.items = json_array()};
    k1s_list_opts lo = {.label_selector = selector};
    k1s_list_result res;
    k1s_status st = {0};
    if (k1s_api_list(api, K(kind), "default", &lo, keep_item, &l, &res, &st) == 0)
        k1s_list_result_free(&res);
    k1s_status_clear(&st);
    return l.items;
}

static int count(k1s_api *api, const char *kind, const char *selector)
{
    json_t *items = list(api, kind, selector);
    int n = (int)json_array_size(items);
    json_decref(items);
    return n;
}

/* How many times an event with this reason and message was recorded. */
static int events(k1s_api *api, const char *reason, const char *message)
{
    json_t *items = list(api, "Event", NULL);
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
    const char *r = meta(o, "resourceVersion");
    return r ? atoll(r) : -1;
}

/* Bring pods name-0 .. name-(n-1) up, readying each as it appears. */
static bool ready_all(k1s_api *api, const char *name, int n)
{
    for (int i = 0; i < n; i++) {
        char pod[64];
        snprintf(pod, sizeof pod, "%s-%d", name, i);
        bool ok;
        WAIT_UNTIL(ok, exists(api, "Pod", pod));
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
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet", sts("web", 3, "OrderedReady", "", ""));
    CHECK(set != NULL);
    bool ok;
    WAIT_UNTIL(ok, exists(api, "Pod", "web-0"));
    CHECK(ok);
    /* the claim came first, labelled from its template and the selector */
    json_t *claim = get(api, "PersistentVolumeClaim", "data-web-0");
    json_t *pod = get(api, "Pod", "web-0");
    CHECK(claim != NULL && pod != NULL);
    CHECK(rv(claim) < rv(pod));
    CHECK_STR(json_string_value(at(claim, "metadata", "labels", "app")), "web");
    CHECK_STR(json_string_value(at(claim, "metadata", "labels", "disk")), "fast");
    CHECK(at(claim, "metadata", "ownerReferences", NULL) == NULL);
    CHECK_STR(json_string_value(at(claim, "spec", "resources", NULL) ? json_object_get(at(claim, "spec", "resources", "requests"), "storage") : NULL), "1Gi");
    /* the pod's identity */
    const json_t *labels = at(pod, "metadata", "labels", NULL);
    CHECK_STR(json_string_value(json_object_get(labels, "statefulset.kubernetes.io/pod-name")), "web-0");
    CHECK_STR(json_string_value(json_object_get(labels, "apps.kubernetes.io/pod-index")), "0");
    CHECK_STR(json_string_value(json_object_get(labels, "tier")), "db");
    char hash[128];
    const char *h = json_string_value(json_object_get(labels, "controller-revision-hash"));
    snprintf(hash, sizeof hash, "%s", h ? h : "");
    CHECK(!strncmp(hash, "web-", 4) && strlen(hash) == 14);
    CHECK_STR(meta(pod, "generateName"), "web-");
    CHECK_STR(json_string_value(at(pod, "spec", "hostname", NULL)), "web-0");
    CHECK_STR(json_string_value(at(pod, "spec", "subdomain", NULL)), "svc-web");
    const json_t *ref = json_array_get(at(pod, "metadata", "ownerReferences", NULL), 0);
    CHECK_STR(json_string_value(json_object_get(ref, "apiVersion")), "apps/v1");
    CHECK_STR(json_string_value(json_object_get(ref, "kind")), "StatefulSet");
    CHECK_STR(json_string_value(json_object_get(ref, "name")), "web");
    CHECK_STR(json_string_value(json_object_get(ref, "uid")), meta(set, "uid"));
    CHECK(json_is_true(json_object_get(ref, "controller")));
    CHECK(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
    /* the claim's volume replaced the template volume of the same name */
    const json_t *vols = at(pod, "spec", "volumes", NULL);
    CHECK_INT(json_array_size(vols), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(vols, 0), "name")), "data");
    CHECK_STR(json_string_value(at(json_array_get(vols, 0), "persistentVolumeClaim", "claimName", NULL)), "data-web-0");
    CHECK(at(json_array_get(vols, 0), "emptyDir", NULL, NULL) == NULL);
    CHECK_STR(json_string_value(json_object_get(json_array_get(vols, 1), "name")), "scratch");
    json_decref(claim);
    json_decref(pod);

    /* nothing more until web-0 is Running and Ready */
    sleep_ms(300);
    CHECK(!exists(api, "Pod", "web-1"));
    CHECK(!exists(api, "PersistentVolumeClaim", "data-web-1"));
    CHECK_INT(make_ready(api, "web-0"), 0);
    WAIT_UNTIL(ok, exists(api, "Pod", "web-1"));
    CHECK(ok);
    sleep_ms(300);
    CHECK(!exists(api, "Pod", "web-2"));
    CHECK_INT(make_ready(api, "web-1"), 0);
    WAIT_UNTIL(ok, exists(api, "Pod", "web-2"));
    CHECK(ok);
    CHECK_INT(make_ready(api, "web-2"), 0);
    WAIT_UNTIL(ok, status_int(api, "web", "readyReplicas") == 3 &&
                       status_int(api, "web", "currentReplicas") == 3);
    CHECK(ok);

    /* status and revision */
    json_t *now = get(api, "StatefulSet", "web");
    const json_t *status = json_object_get(now, "status");
    CHECK_INT(json_integer_value(json_object_get(status, "replicas")), 3);
    CHECK_INT(json_integer_value(json_object_get(status, "updatedReplicas")), 3);
    CHECK_INT(json_integer_value(json_object_get(status, "availableReplicas")), 3);
    CHECK_INT(json_integer_value(json_object_get(status, "observedGeneration")), 1);
    CHECK(json_is_integer(json_object_get(status, "collisionCount")));
    CHECK_STR(json_string_value(json_object_get(status, "currentRevision")), hash);
    CHECK_STR(json_string_value(json_object_get(status, "updateRevision")), hash);
    json_t *rev = get(api, "ControllerRevision", hash);
    CHECK(rev != NULL);
    CHECK_INT(json_integer_value(json_object_get(rev, "revision")), 1);
    CHECK_STR(json_string_value(at(rev, "metadata", "labels", "controller.kubernetes.io/hash")), hash + 4);
    CHECK_STR(json_string_value(at(rev, "data", "spec", "template") ? json_object_get(at(rev, "data", "spec", "template"), "$patch") : NULL), "replace");
    CHECK_STR(json_string_value(json_object_get(json_array_get(at(rev, "metadata", "ownerReferences", NULL), 0), "uid")), meta(set, "uid"));
    json_decref(rev);
    json_decref(now);
    CHECK_INT(count(api, "ControllerRevision", NULL), 1);

    /* events as kube words them, once each */
    CHECK_INT(events(api, "SuccessfulCreate", "create Pod web-0 in StatefulSet web successful"), 1);
    CHECK_INT(events(api, "SuccessfulCreate", "create Pod web-2 in StatefulSet web successful"), 1);
    CHECK_INT(events(api, "SuccessfulCreate", "create Claim data-web-1 Pod web-1 in StatefulSet web success"), 1);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_scale_down_in_order_keeps_claims_and_scale_up_reuses_them)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* bound to a node, so deletion is graceful and the test finishes it */
    json_t *set = create(api, "StatefulSet",
                         sts("db", 3, "OrderedReady", ",'nodeName':'node1'", ""));
    CHECK(ready_all(api, "db", 3));
    bool ok;
    WAIT_UNTIL(ok, status_int(api, "db", "readyReplicas") == 3);
    CHECK(ok);
    json_t *claim1 = get(api, "PersistentVolumeClaim", "data-db-1");
    CHECK(claim1 != NULL);

    CHECK_INT(patch_spec(api, "db", "{'spec':{'replicas':1}}"), 0);
    WAIT_UNTIL(ok, terminating(api, "db-2"));
    CHECK(ok);
    sleep_ms(300);
    CHECK(!terminating(api, "db-1")); /* waits for db-2 to be gone */
    CHECK_INT(del(api, "Pod", "db-2", 0), 0);
    WAIT_UNTIL(ok, terminating(api, "db-1"));
    CHECK(ok);
    CHECK(!terminating(api, "db-0"));
    CHECK_INT(del(api, "Pod", "db-1", 0), 0);
    WAIT_UNTIL(ok, status_int(api, "db", "replicas") == 1);
    CHECK(ok);
    sleep_ms(200);
    CHECK(!terminating(api, "db-0"));
    CHECK(exists(api, "PersistentVolumeClaim", "data-db-1"));
    CHECK(exists(api, "PersistentVolumeClaim", "data-db-2"));
    CHECK_INT(events(api, "SuccessfulDelete", "delete Pod db-2 in StatefulSet db successful"), 1);
    CHECK_INT(events(api, "SuccessfulDelete", "delete Pod db-1 in StatefulSet db successful"), 1);

    /* back up: the retained claim is used again, not made anew */
    CHECK_INT(patch_spec(api, "db", "{'spec':{'replicas':2}}"), 0);
    WAIT_UNTIL(ok, exists(api, "Pod", "db-1"));
    CHECK(ok);
    json_t *again = get(api, "PersistentVolumeClaim", "data-db-1");
    CHECK_STR(meta(again, "uid"), meta(claim1, "uid"));
    CHECK_INT(events(api, "SuccessfulCreate", "create Claim data-db-1 Pod db-1 in StatefulSet db success"), 1);
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
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet", sts("par", 3, "Parallel", "", ""));
    bool ok;
    /* no pod is ever ready, yet all three are made */
    WAIT_UNTIL(ok, exists(api, "Pod", "par-0") && exists(api, "Pod", "par-1") &&
                       exists(api, "Pod", "par-2"));
    CHECK(ok);
    CHECK_INT(count(api, "PersistentVolumeClaim", "app=par"), 3);
    WAIT_UNTIL(ok, status_int(api, "par", "replicas") == 3);
    CHECK(ok);
    CHECK_INT(patch_spec(api, "par", "{'spec':{'replicas':0}}"), 0);
    WAIT_UNTIL(ok, count(api, "Pod", "app=par") == 0);
    CHECK(ok);
    WAIT_UNTIL(ok, status_int(api, "par", "replicas") == 0);
    CHECK(ok);
    CHECK_INT(count(api, "PersistentVolumeClaim", "app=par"), 3);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_rolling_update_partition_and_rollback)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet", sts("ru", 3, "OrderedReady", "", ""));
    CHECK(ready_all(api, "ru", 3));
    bool ok;
    WAIT_UNTIL(ok, status_int(api, "ru", "currentReplicas") == 3);
    CHECK(ok);
    char rev1[128], rev2[128], buf[128];
    status_str(api, "ru", "currentRevision", rev1, sizeof rev1);
    json_t *p0 = get(api, "Pod", "ru-0"), *p1 = get(api, "Pod", "ru-1");

    /* a new template, only ordinals >= 2 move */
    CHECK_INT(patch_spec(api, "ru",
                         "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':2}},"
                         "'template':{'metadata':{'annotations':{'v':'2'}}}}}"),
              0);
    WAIT_UNTIL(ok, strcmp(status_str(api, "ru", "updateRevision", rev2, sizeof rev2), rev1) != 0 &&
                       *rev2);
    CHECK(ok);
    WAIT_UNTIL(ok, pod_at_revision(api, "ru-2", rev2));
    CHECK(ok);
    json_t *p2 = get(api, "Pod", "ru-2");
    CHECK_STR(json_string_value(at(p2, "metadata", "annotations", "v")), "2");
    json_decref(p2);
    CHECK_INT(make_ready(api, "ru-2"), 0);
    WAIT_UNTIL(ok, status_int(api, "ru", "updatedReplicas") == 1 &&
                       status_int(api, "ru", "readyReplicas") == 3);
    CHECK(ok);
    sleep_ms(300);
    CHECK(pod_uid_is(api, "ru-1", meta(p1, "uid")));
    CHECK(pod_uid_is(api, "ru-0", meta(p0, "uid")));
    CHECK_INT(status_int(api, "ru", "currentReplicas"), 2);
    CHECK_STR(status_str(api, "ru", "currentRevision", buf, sizeof buf), rev1);

    /* partition 0: ru-1 then ru-0, each after its successor is ready */
    CHECK_INT(patch_spec(api, "ru", "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':0}}}}"), 0);
    WAIT_UNTIL(ok, pod_at_revision(api, "ru-1", rev2));
    CHECK(ok);
    sleep_ms(300);
    CHECK(pod_uid_is(api, "ru-0", meta(p0, "uid")));
    CHECK_INT(make_ready(api, "ru-1"), 0);
    WAIT_UNTIL(ok, pod_at_revision(api, "ru-0", rev2));
    CHECK(ok);
    CHECK_INT(make_ready(api, "ru-0"), 0);
    WAIT_UNTIL(ok, !strcmp(status_str(api, "ru", "currentRevision", buf, sizeof buf), rev2) &&
                       status_int(api, "ru", "currentReplicas") == 3 &&
                       status_int(api, "ru", "updatedReplicas") == 3);
    CHECK(ok);
    CHECK_INT(count(api, "ControllerRevision", NULL), 2);
    json_t *r2 = get(api, "ControllerRevision", rev2);
    CHECK_INT(json_integer_value(json_object_get(r2, "revision")), 2);
    json_decref(r2);

    /* back to the first template: its revision is renumbered, not copied */
    CHECK_INT(patch_spec(api, "ru", "{'spec':{'template':{'metadata':{'annotations':null}}}}"), 0);
    WAIT_UNTIL(ok, !strcmp(status_str(api, "ru", "updateRevision", buf, sizeof buf), rev1));
    CHECK(ok);
    json_t *r1 = get(api, "ControllerRevision", rev1);
    CHECK_INT(json_integer_value(json_object_get(r1, "revision")), 3);
    json_decref(r1);
    CHECK_INT(count(api, "ControllerRevision", NULL), 2);
    WAIT_UNTIL(ok, pod_at_revision(api, "ru-2", rev1));
    CHECK(ok);
    json_decref(p0);
    json_decref(p1);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_on_delete_and_history_limit)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet",
                         sts("od", 1, "OrderedReady", "",
                             ",'revisionHistoryLimit':1,'updateStrategy':{'type':'OnDelete'}"));
    CHECK(ready_all(api, "od", 1));
    bool ok;
    char rev[128], buf[128];
    WAIT_UNTIL(ok, *status_str(api, "od", "updateRevision", rev, sizeof rev));
    CHECK(ok);
    json_t *p0 = get(api, "Pod", "od-0");
    /* three new templates; OnDelete leaves the pod alone */
    for (int v = 1; v <= 3; v++) {
        char patch[160];
        snprintf(patch, sizeof patch, "{'spec':{'template':{'metadata':{'annotations':{'v':'%d'}}}}}", v);
        CHECK_INT(patch_spec(api, "od", patch), 0);
        WAIT_UNTIL(ok, strcmp(status_str(api, "od", "updateRevision", buf, sizeof buf), rev) != 0);
        CHECK(ok);
        snprintf(rev, sizeof rev, "%s", buf);
    }
    /* live: the pod's revision (current) and the update revision; one
       more old one may stay */
    WAIT_UNTIL(ok, count(api, "ControllerRevision", NULL) == 3);
    CHECK(ok);
    CHECK(pod_uid_is(api, "od-0", meta(p0, "uid")));
    CHECK_INT(status_int(api, "od", "updatedReplicas"), 0);
    CHECK_INT(status_int(api, "od", "currentReplicas"), 1);
    /* deleting the pod brings it back at the update revision */
    CHECK_INT(del(api, "Pod", "od-0", 0), 0);
    WAIT_UNTIL(ok, pod_at_revision(api, "od-0", rev));
    CHECK(ok);
    CHECK_INT(make_ready(api, "od-0"), 0);
    WAIT_UNTIL(ok, status_int(api, "od", "updatedReplicas") == 1 &&
                       status_int(api, "od", "readyReplicas") == 1);
    CHECK(ok);
    /* as in kube, OnDelete never moves currentRevision: the first
       revision stays live, and so the count */
    CHECK_INT(status_int(api, "od", "currentReplicas"), 0);
    CHECK_INT(count(api, "ControllerRevision", NULL), 3);
    json_decref(p0);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_min_ready_seconds_and_availability)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet",
                         sts("mr", 2, "OrderedReady", "", ",'minReadySeconds':2"));
    bool ok;
    WAIT_UNTIL(ok, exists(api, "Pod", "mr-0"));
    CHECK(ok);
    CHECK_INT(make_ready(api, "mr-0"), 0);
    WAIT_UNTIL(ok, status_int(api, "mr", "readyReplicas") == 1);
    CHECK(ok);
    /* ready but not yet available: mr-1 waits */
    CHECK_INT(status_int(api, "mr", "availableReplicas"), 0);
    CHECK(!exists(api, "Pod", "mr-1"));
    WAIT_UNTIL(ok, status_int(api, "mr", "availableReplicas") == 1);
    CHECK(ok);
    WAIT_UNTIL(ok, exists(api, "Pod", "mr-1"));
    CHECK(ok);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_retention_policy_delete)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet",
                         sts("rd", 2, "Parallel", "",
                             ",'persistentVolumeClaimRetentionPolicy':{'whenDeleted':'Delete','whenScaled':'Delete'}"));
    bool ok;
    WAIT_UNTIL(ok, exists(api, "Pod", "rd-1"));
    CHECK(ok);
    json_t *c0 = get(api, "PersistentVolumeClaim", "data-rd-0");
    const json_t *ref = json_array_get(at(c0, "metadata", "ownerReferences", NULL), 0);
    CHECK_STR(json_string_value(json_object_get(ref, "kind")), "StatefulSet");
    CHECK_STR(json_string_value(json_object_get(ref, "uid")), meta(set, "uid"));
    CHECK(json_is_true(json_object_get(ref, "controller")));
    json_decref(c0);
    /* scaled away: the claim goes with its pod */
    CHECK_INT(patch_spec(api, "rd", "{'spec':{'replicas':1}}"), 0);
    WAIT_UNTIL(ok, !exists(api, "Pod", "rd-1") &&
                       !exists(api, "PersistentVolumeClaim", "data-rd-1"));
    CHECK(ok);
    CHECK(exists(api, "PersistentVolumeClaim", "data-rd-0"));
    /* and a scale-up makes a fresh one */
    CHECK_INT(patch_spec(api, "rd", "{'spec':{'replicas':2}}"), 0);
    WAIT_UNTIL(ok, exists(api, "Pod", "rd-1") &&
                       exists(api, "PersistentVolumeClaim", "data-rd-1"));
    CHECK(ok);
    /* Retain on deletion, Delete on scale-down: no owner while in range */
    CHECK_INT(patch_spec(api, "rd", "{'spec':{'persistentVolumeClaimRetentionPolicy':{'whenDeleted':'Retain'}}}"), 0);
    WAIT_UNTIL(ok, !has_owner(api, "PersistentVolumeClaim", "data-rd-0"));
    CHECK(ok);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_failed_pod_recreated_and_deleted_pod_recreated)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet", sts("fp", 1, "OrderedReady", "", ""));
    CHECK(ready_all(api, "fp", 1));
    json_t *p = get(api, "Pod", "fp-0");
    CHECK_INT(set_phase(api, "fp-0", "Failed"), 0);
    bool ok;
    WAIT_UNTIL(ok, replaced(api, "fp-0", meta(p, "uid")));
    CHECK(ok);
    json_decref(p);
    p = get(api, "Pod", "fp-0");
    CHECK_INT(del(api, "Pod", "fp-0", 0), 0);
    WAIT_UNTIL(ok, replaced(api, "fp-0", meta(p, "uid")));
    CHECK(ok);
    CHECK_INT(count(api, "PersistentVolumeClaim", "app=fp"), 1);
    json_decref(p);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_adopts_orphans_and_blocks_on_claim_being_deleted)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* an orphan member, and a claim on its way out */
    json_t *orphan = create(api, "Pod",
                            J("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'ad-0','labels':{'app':'ad'}},"
                              "'spec':{'containers':[{'name':'c','image':'nginx:1'}]}}"));
    json_t *claim = create(api, "PersistentVolumeClaim",
                           J("{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'data-ad-1',"
                             "'finalizers':['example.com/hold']},'spec':{'accessModes':['ReadWriteOnce'],"
                             "'resources':{'requests':{'storage':'1Gi'}}}}"));
    CHECK(orphan && claim);
    CHECK_INT(del(api, "PersistentVolumeClaim", "data-ad-1", -1), 0);
    json_t *set = create(api, "StatefulSet", sts("ad", 2, "Parallel", "", ""));
    bool ok;
    WAIT_UNTIL(ok, owned_by(api, "ad-0", meta(set, "uid")));
    CHECK(ok);
    CHECK(pod_uid_is(api, "ad-0", meta(orphan, "uid")));
    WAIT_UNTIL(ok, events(api, "FailedCreate",
                          "create Pod ad-1 in StatefulSet ad failed error: pvc data-ad-1 is being deleted") >= 1);
    CHECK(ok);
    CHECK(!exists(api, "Pod", "ad-1"));
    /* the old claim goes; a new one and the pod follow */
    json_t *c = get(api, "PersistentVolumeClaim", "data-ad-1");
    json_object_del(json_object_get(c, "metadata"), "finalizers");
    CHECK_INT(update(api, "PersistentVolumeClaim", NULL, c), 0);
    json_decref(c);
    WAIT_UNTIL(ok, exists(api, "Pod", "ad-1"));
    CHECK(ok);
    c = get(api, "PersistentVolumeClaim", "data-ad-1");
    CHECK(c && strcmp(meta(c, "uid"), meta(claim, "uid")) != 0);
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
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet", sts("rs", 2, "OrderedReady", ",'nodeName':'node1'", ""));
    bool ok;
    WAIT_UNTIL(ok, exists(api, "Pod", "rs-0"));
    CHECK(ok);
    /* stopped mid-scale: the pod gets ready, the set grows meanwhile */
    k1s_controllers_stop(ctl);
    ctl = NULL;
    CHECK_INT(make_ready(api, "rs-0"), 0);
    CHECK_INT(patch_spec(api, "rs", "{'spec':{'replicas':3}}"), 0);
    ctl = start(api);
    CHECK(ctl != NULL);
    CHECK(ready_all(api, "rs", 3));
    WAIT_UNTIL(ok, status_int(api, "rs", "readyReplicas") == 3);
    CHECK(ok);
    CHECK_INT(count(api, "ControllerRevision", NULL), 1);
    CHECK_INT(count(api, "PersistentVolumeClaim", "app=rs"), 3);
    CHECK_INT(events(api, "SuccessfulCreate", "create Pod rs-0 in StatefulSet rs successful"), 1);

    /* stopped mid-scale-down, with a pod terminating */
    CHECK_INT(patch_spec(api, "rs", "{'spec':{'replicas':1}}"), 0);
    WAIT_UNTIL(ok, terminating(api, "rs-2"));
    CHECK(ok);
    k1s_controllers_stop(ctl);
    ctl = NULL;
    CHECK_INT(del(api, "Pod", "rs-2", 0), 0);
    CHECK_INT(del(api, "Pod", "rs-0", 0), 0); /* and one lost meanwhile */
    ctl = start(api);
    CHECK(ctl != NULL);
    /* rs-0 comes back first; rs-1 goes only once rs-0 is ready again */
    WAIT_UNTIL(ok, exists(api, "Pod", "rs-0"));
    CHECK(ok);
    sleep_ms(300);
    CHECK(!terminating(api, "rs-1"));
    CHECK_INT(make_ready(api, "rs-0"), 0);
    WAIT_UNTIL(ok, terminating(api, "rs-1"));
    CHECK(ok);
    CHECK_INT(del(api, "Pod", "rs-1", 0), 0);
    WAIT_UNTIL(ok, status_int(api, "rs", "replicas") == 1 &&
                       status_int(api, "rs", "readyReplicas") == 1);
    CHECK(ok);
    CHECK_INT(count(api, "Pod", "app=rs"), 1);
    CHECK_INT(count(api, "ControllerRevision", NULL), 1);
    CHECK_INT(events(api, "SuccessfulDelete", "delete Pod rs-2 in StatefulSet rs successful"), 1);
    json_decref(set);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_set_deleted_midway)
{
    k1s_api *api = open_api();
    k1s_controllers *ctl = api ? start(api) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *set = create(api, "StatefulSet", sts("gone", 3, "Parallel", "", ""));
    bool ok;
    WAIT_UNTIL(ok, exists(api, "Pod", "gone-0"));
    CHECK(ok);
    CHECK_INT(del(api, "StatefulSet", "gone", -1), 0);
    sleep_ms(300);
    /* nothing more is made for a set that is gone */
    int before = count(api, "Pod", "app=gone");
    sleep_ms(300);
    CHECK_INT(count(api, "Pod", "app=gone"), before);
    /* a new set of the same name does not take the old set's pods; once
       they are gone (the garbage collector's job) it makes its own */
    json_t *again = create(api, "StatefulSet", sts("gone", 1, "Parallel", "", ""));
    CHECK(again != NULL);
    sleep_ms(300);
    if (before > 0)
        CHECK(owned_by(api, "gone-0", meta(set, "uid")) || !exists(api, "Pod", "gone-0"));
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "gone-%d", i);
        if (owned_by(api, name, meta(set, "uid")))
            del(api, "Pod", name, 0);
    }
    WAIT_UNTIL(ok, owned_by(api, "gone-0", meta(again, "uid")));
    CHECK(ok);
    json_decref(set);
    json_decref(again);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_ordered_creation_claims_and_identity),
              T(test_scale_down_in_order_keeps_claims_and_scale_up_reuses_them),
              T(test_parallel_creates_and_deletes_at_once),
              T(test_rolling_update_partition_and_rollback),
              T(test_on_delete_and_history_limit),
              T(test_min_ready_seconds_and_availability),
              T(test_retention_policy_delete),
              T(test_failed_pod_recreated_and_deleted_pod_recreated),
              T(test_adopts_orphans_and_blocks_on_claim_being_deleted),
              T(test_restart_converges_without_duplicates),
              T(test_set_deleted_midway))
