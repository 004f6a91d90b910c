/*
 * test_replicationcontroller.c - the replicationcontroller controller (the
 * replicaset code over core/v1 ReplicationControllers) with kubelet "none",
 * the test making pods ready itself: pods "<rc>-xxxxx" with a v1
 * ReplicationController controller reference; replicas, fullyLabeled,
 * ready and available counts and observedGeneration; scaling through the
 * scale subresource and spec.replicas; adoption of selected orphans,
 * release of pods whose labels stop matching, replacement of deleted pods;
 * SuccessfulCreate/SuccessfulDelete events from "replication-controller".
 */
#include "k1s_test.h"
#include "wl_test.h"

#define NS "default"
#define SEL "app=web"

static json_t *rc(int replicas)
{
    return json_pack("{s:s, s:s, s:{s:s}, s:{s:i, s:{s:s}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s}]}}}}",
                     "apiVersion", "v1", "kind", "ReplicationController", "metadata", "name", "web",
                     "spec", "replicas", replicas, "selector", "app", "web", "template", "metadata",
                     "labels", "app", "web", "spec", "containers", "name", "c", "image", "nginx:1");
}

static json_t *orphan_pod(const char *name)
{
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:[{s:s, s:s}]}}", "apiVersion", "v1", "kind",
                     "Pod", "metadata", "name", name, "labels", "app", "web", "spec", "containers",
                     "name", "c", "image", "nginx:1");
}

/* Live pods selected by SEL number want (finishing graceful deletions and,
 * with ready, making pods ready while waiting). */
typedef struct podcount {
    size_t want;
    bool ready;
} podcount;

static bool live_pods_are(k1s_api *api, void *arg)
{
    podcount *p = arg;
    wl_finish_terminating(api, NS, SEL);
    if (p->ready)
        wl_ready_all(api, NS, SEL);
    json_t *pods = wl_live_pods(api, NS, SEL);
    bool ok = json_array_size(pods) == p->want;
    json_decref(pods);
    return ok;
}

/* status.<field> of the RC is want, for its current generation. */
typedef struct statusis {
    const char *field;
    long long want;
    bool ready;
} statusis;

static bool status_is(k1s_api *api, void *arg)
{
    statusis *s = arg;
    wl_finish_terminating(api, NS, SEL);
    if (s->ready)
        wl_ready_all(api, NS, SEL);
    json_t *o = fx_get(api, "ReplicationController", NS, "web");
    bool ok = o &&
              k1s_json_int(o, "status.observedGeneration", -1) ==
                  k1s_json_int(o, "metadata.generation", 0) &&
              k1s_json_int(json_object_get(o, "status"), s->field, 0) == s->want;
    json_decref(o);
    return ok;
}

/* The pod's controller reference is to the RC with uid (uid NULL: it has
 * no ownerReferences at all). */
static bool owned_by(const json_t *pod, const char *uid)
{
    const json_t *refs = json_object_get(json_object_get(pod, "metadata"), "ownerReferences");
    if (!uid)
        return json_array_size(refs) == 0;
    if (json_array_size(refs) != 1)
        return false;
    const json_t *r = json_array_get(refs, 0);
    return !strcmp(fx_str(r, "apiVersion"), "v1") &&
           !strcmp(fx_str(r, "kind"), "ReplicationController") &&
           !strcmp(fx_str(r, "name"), "web") && !strcmp(fx_str(r, "uid"), uid) &&
           json_is_true(json_object_get(r, "controller")) &&
           json_is_true(json_object_get(r, "blockOwnerDeletion"));
}

typedef struct ownedis {
    const char *name, *uid;
} ownedis;

static bool pod_owned(k1s_api *api, void *arg)
{
    ownedis *o = arg;
    json_t *pod = fx_get(api, "Pod", NS, o->name);
    bool ok = pod && owned_by(pod, o->uid);
    json_decref(pod);
    return ok;
}

static char *rc_uid(k1s_api *api)
{
    json_t *o = fx_get(api, "ReplicationController", NS, "web");
    const char *u = fx_str(o, "metadata.uid");
    char *uid = strdup(u ? u : "");
    json_decref(o);
    return uid;
}

/* Events of reason about the RC whose source is replication-controller. */
static int rc_events_from_component(k1s_api *api, const char *reason)
{
    json_t *evs = fx_list(api, "Event", NS, NULL);
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e)
    {
        const char *on = fx_str(e, "involvedObject.name"), *ok = fx_str(e, "involvedObject.kind");
        const char *r = fx_str(e, "reason"), *src = fx_str(e, "source.component");
        if (on && ok && r && src && !strcmp(on, "web") && !strcmp(ok, "ReplicationController") &&
            !strcmp(r, reason) && !strcmp(src, "replication-controller"))
            n++;
    }
    json_decref(evs);
    return n;
}

TEST(test_rc_creates_reports_and_scales)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "ReplicationController", NS, rc(3)), 0);
    char *uid = rc_uid(api);
    podcount three = {3, false};
    bool made = fx_wait_api(api, live_pods_are, &three, FX_WAIT_MS);
    CHECK(made);
    if (!made)
        goto out; /* no controller at work: every wait below would time out */
    json_t *pods = wl_live_pods(api, NS, SEL);
    CHECK_INT(json_array_size(pods), 3);
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        const char *name = k1s_meta(p, "name");
        CHECK(name && strlen(name) == strlen("web-xxxxx") && !strncmp(name, "web-", 4));
        CHECK_STR(fx_str(p, "metadata.generateName"), "web-");
        CHECK(owned_by(p, uid));
        CHECK_INT(wl_events(api, NS, "web", "SuccessfulCreate", name ? name : "?", 1), 1);
    }
    json_decref(pods);
    CHECK_INT(wl_events(api, NS, "web", "SuccessfulCreate", "Created pod: web-", 3), 3);
    CHECK_INT(rc_events_from_component(api, "SuccessfulCreate"), 3);

    /* not ready yet: counted and labelled, neither ready nor available */
    statusis replicas = {"replicas", 3, false}, labeled = {"fullyLabeledReplicas", 3, false};
    CHECK(fx_wait_api(api, status_is, &replicas, FX_WAIT_MS));
    CHECK(fx_wait_api(api, status_is, &labeled, FX_WAIT_MS));
    json_t *o = fx_get(api, "ReplicationController", NS, "web");
    CHECK_INT(k1s_json_int(o, "status.readyReplicas", 0), 0);
    CHECK_INT(k1s_json_int(o, "status.availableReplicas", 0), 0);
    json_decref(o);

    /* the kubelet's part: ready and available follow */
    statusis ready = {"readyReplicas", 3, true}, avail = {"availableReplicas", 3, true};
    CHECK(fx_wait_api(api, status_is, &ready, FX_WAIT_MS));
    CHECK(fx_wait_api(api, status_is, &avail, FX_WAIT_MS));

    /* kubectl scale rc web --replicas=1: two go */
    CHECK_INT(
        fx_patch(api, "ReplicationController", NS, "web", "scale", "{\"spec\":{\"replicas\":1}}"),
        0);
    podcount one = {1, true};
    CHECK(fx_wait_api(api, live_pods_are, &one, FX_WAIT_MS));
    statusis r1 = {"replicas", 1, true}, a1 = {"availableReplicas", 1, true};
    CHECK(fx_wait_api(api, status_is, &r1, FX_WAIT_MS));
    CHECK(fx_wait_api(api, status_is, &a1, FX_WAIT_MS));
    CHECK_INT(wl_events(api, NS, "web", "SuccessfulDelete", "Deleted pod: web-", 2), 2);
    CHECK_INT(rc_events_from_component(api, "SuccessfulDelete"), 2);

    /* and back up through spec.replicas */
    CHECK_INT(
        fx_patch(api, "ReplicationController", NS, "web", NULL, "{\"spec\":{\"replicas\":2}}"), 0);
    podcount two = {2, true};
    CHECK(fx_wait_api(api, live_pods_are, &two, FX_WAIT_MS));
    statusis a2 = {"availableReplicas", 2, true};
    CHECK(fx_wait_api(api, status_is, &a2, FX_WAIT_MS));
    CHECK_INT(wl_events(api, NS, "web", "SuccessfulCreate", "Created pod: web-", 4), 4);
out:
    free(uid);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_rc_adopts_releases_and_replaces)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* an orphan the RC selects is adopted and counts towards replicas */
    CHECK_INT(fx_create(api, "Pod", NS, orphan_pod("stray")), 0);
    /* let the pod cache see it first, or the RC would rightly make two
     * pods of its own and then delete a surplus one */
    fx_sleep_ms(200);
    CHECK_INT(fx_create(api, "ReplicationController", NS, rc(2)), 0);
    char *uid = rc_uid(api);
    ownedis adopted = {"stray", uid};
    bool took = fx_wait_api(api, pod_owned, &adopted, FX_WAIT_MS);
    CHECK(took);
    if (!took)
        goto out; /* no controller at work: every wait below would time out */
    podcount two = {2, false};
    CHECK(fx_wait_api(api, live_pods_are, &two, FX_WAIT_MS));
    statusis r2 = {"replicas", 2, false};
    CHECK(fx_wait_api(api, status_is, &r2, FX_WAIT_MS));
    fx_sleep_ms(300); /* a second creation would show by now */
    CHECK_INT(wl_count_events(api, NS, "web", "SuccessfulCreate", "Created pod: "), 1);
    CHECK(fx_exists(api, "Pod", NS, "stray"));

    /* labels that stop matching: released (no ownerReference left), and
     * replaced */
    CHECK_INT(
        fx_patch(api, "Pod", NS, "stray", NULL, "{\"metadata\":{\"labels\":{\"app\":\"x\"}}}"), 0);
    ownedis released = {"stray", NULL};
    CHECK(fx_wait_api(api, pod_owned, &released, FX_WAIT_MS));
    CHECK(fx_wait_api(api, live_pods_are, &two, FX_WAIT_MS));
    CHECK_INT(wl_events(api, NS, "web", "SuccessfulCreate", "Created pod: ", 2), 2);
    CHECK(fx_exists(api, "Pod", NS, "stray")); /* released, not deleted */

    /* a deleted pod is replaced by a new one */
    json_t *pods = wl_live_pods(api, NS, SEL);
    const char *victim = k1s_meta(json_array_get(pods, 0), "name");
    char gone[64];
    snprintf(gone, sizeof gone, "%s", victim ? victim : "");
    json_decref(pods);
    CHECK_INT(fx_delete(api, "Pod", NS, gone, 0), 0);
    CHECK(fx_wait_gone(api, "Pod", NS, gone, FX_WAIT_MS));
    CHECK_INT(wl_events(api, NS, "web", "SuccessfulCreate", "Created pod: ", 3), 3);
    CHECK(fx_wait_api(api, live_pods_are, &two, FX_WAIT_MS));
    pods = wl_live_pods(api, NS, SEL);
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        CHECK(strcmp(k1s_meta(p, "name"), gone) != 0);
        CHECK(owned_by(p, uid));
    }
    json_decref(pods);
    statusis r2b = {"replicas", 2, false};
    CHECK(fx_wait_api(api, status_is, &r2b, FX_WAIT_MS));
out:
    free(uid);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_rc_creates_reports_and_scales), T(test_rc_adopts_releases_and_replaces))
