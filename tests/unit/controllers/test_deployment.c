/*
 * test_deployment.c - the replicaset and deployment controllers with
 * kubelet "none" (the test makes pods ready itself): a ReplicaSet creates
 * and deletes pods towards spec.replicas (not-ready pods first) and
 * reports its status; a Deployment makes "<name>-<hash>" ReplicaSets with
 * revisions, rolls from v1 to v2 within maxSurge/maxUnavailable, reports
 * status and conditions as kube does, rolls back to an old template by
 * reusing its ReplicaSet, recreates, cleans up history, and converges after
 * a restart without duplicating anything.
 */
#include "k1s_test.h"
#include "wl_test.h"

#define NS "default"

static json_t *replicaset(const char *name, int replicas)
{
    return json_pack(
        "{s:s, s:s, s:{s:s}, s:{s:i, s:{s:{s:s}}, s:{s:{s:{s:s, s:s}}, s:{s:[{s:s, s:s}]}}}}",
        "apiVersion", "apps/v1", "kind", "ReplicaSet", "metadata", "name", name, "spec", "replicas",
        replicas, "selector", "matchLabels", "app", name, "template", "metadata", "labels", "app",
        name, "tier", "web", "spec", "containers", "name", "c", "image", "nginx:1");
}

static json_t *deployment(const char *name, int replicas, const char *image, const char *strategy)
{
    json_t *d = json_pack(
        "{s:s, s:s, s:{s:s}, s:{s:i, s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s}]}}}}",
        "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", name, "spec", "replicas",
        replicas, "selector", "matchLabels", "app", name, "template", "metadata", "labels", "app",
        name, "spec", "containers", "name", "c", "image", image);
    if (strategy)
        json_object_set_new(json_object_get(d, "spec"), "strategy",
                            json_pack("{s:s}", "type", strategy));
    return d;
}

/* ---- conditions to wait for ----------------------------------------------------- */

typedef struct podcount {
    const char *selector;
    size_t want;
    bool ready; /* also make them ready while waiting */
} podcount;

static bool live_pods_are(k1s_api *api, void *arg)
{
    podcount *p = arg;
    if (p->ready)
        wl_ready_all(api, NS, p->selector);
    json_t *pods = wl_live_pods(api, NS, p->selector);
    bool ok = json_array_size(pods) == p->want;
    json_decref(pods);
    return ok;
}

typedef struct statusis {
    const char *kind, *name, *field;
    long long want;
    const char *ready_selector; /* make these pods ready while waiting */
} statusis;

static bool status_is(k1s_api *api, void *arg)
{
    statusis *s = arg;
    if (s->ready_selector)
        wl_ready_all(api, NS, s->ready_selector);
    json_t *o = fx_get(api, s->kind, NS, s->name);
    bool ok = o && k1s_json_int(json_object_get(o, "status"), s->field, 0) == s->want;
    json_decref(o);
    return ok;
}

/* A Deployment fully rolled out: observed, all replicas updated and
 * available, no old ones left. */
typedef struct rolled {
    const char *name;
    long long replicas;
} rolled;

static bool rolled_out(k1s_api *api, void *arg)
{
    rolled *r = arg;
    char sel[128];
    snprintf(sel, sizeof sel, "app=%s", r->name);
    wl_ready_all(api, NS, sel);
    json_t *d = fx_get(api, "Deployment", NS, r->name);
    bool ok = d &&
              k1s_json_int(d, "status.observedGeneration", 0) ==
                  k1s_json_int(d, "metadata.generation", 0) &&
              k1s_json_int(d, "status.updatedReplicas", 0) == r->replicas &&
              k1s_json_int(d, "status.replicas", 0) == r->replicas &&
              k1s_json_int(d, "status.availableReplicas", 0) == r->replicas;
    json_decref(d);
    return ok;
}

static const json_t *condition(const json_t *obj, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "type")), type))
            return c;
    }
    return NULL;
}

static const char *cond_field(const json_t *obj, const char *type, const char *field)
{
    return json_string_value(json_object_get(condition(obj, type), field));
}

/* The ReplicaSets of a Deployment app=name, sorted by revision (new). */
static json_t *replicasets(k1s_api *api, const char *name)
{
    char sel[128];
    snprintf(sel, sizeof sel, "app=%s", name);
    return fx_list(api, "ReplicaSet", NS, sel);
}

static const json_t *rs_with_revision(const json_t *rss, const char *rev)
{
    size_t i;
    const json_t *rs;
    json_array_foreach(rss, i, rs)
    {
        const char *r = k1s_meta_annotation(rs, "deployment.kubernetes.io/revision");
        if (r && !strcmp(r, rev))
            return rs;
    }
    return NULL;
}

/* ---- tests ----------------------------------------------------------------------- */

TEST(test_replicaset_creates_and_deletes_pods)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "ReplicaSet", NS, replicaset("web", 3)), 0);
    podcount three = {"app=web", 3, false};
    CHECK(fx_wait_api(api, live_pods_are, &three, FX_WAIT_MS));
    json_t *pods = wl_live_pods(api, NS, "app=web");
    json_t *rs = fx_get(api, "ReplicaSet", NS, "web");
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p)
    {
        const char *n = k1s_meta(p, "name");
        CHECK(n && strncmp(n, "web-", 4) == 0 && strlen(n) == 9);
        CHECK_STR(k1s_meta_label(p, "tier"), "web");
        const json_t *ref =
            json_array_get(json_object_get(json_object_get(p, "metadata"), "ownerReferences"), 0);
        CHECK_STR(json_string_value(json_object_get(ref, "kind")), "ReplicaSet");
        CHECK_STR(json_string_value(json_object_get(ref, "uid")), k1s_meta(rs, "uid"));
        CHECK(json_is_true(json_object_get(ref, "controller")));
        CHECK_INT(wl_events(api, NS, "web", "SuccessfulCreate", n, 1), 1);
    }
    /* two of three ready */
    const char *keep = k1s_meta(json_array_get(pods, 0), "name");
    CHECK_INT(wl_set_pod_status(api, NS, keep, "10.0.0.1", true), 0);
    CHECK_INT(
        wl_set_pod_status(api, NS, k1s_meta(json_array_get(pods, 1), "name"), "10.0.0.2", true), 0);
    statusis ready = {"ReplicaSet", "web", "readyReplicas", 2, NULL};
    CHECK(fx_wait_api(api, status_is, &ready, FX_WAIT_MS));
    statusis avail = {"ReplicaSet", "web", "availableReplicas", 2, NULL};
    CHECK(fx_wait_api(api, status_is, &avail, FX_WAIT_MS));
    json_decref(rs);
    rs = fx_get(api, "ReplicaSet", NS, "web");
    CHECK_INT(k1s_json_int(rs, "status.replicas", 0), 3);
    CHECK_INT(k1s_json_int(rs, "status.fullyLabeledReplicas", 0), 3);
    CHECK_INT(k1s_json_int(rs, "status.observedGeneration", 0), 1);
    /* down to two: the not-ready pod goes first */
    CHECK_INT(fx_patch(api, "ReplicaSet", NS, "web", NULL, "{\"spec\":{\"replicas\":2}}"), 0);
    podcount two = {"app=web", 2, false};
    CHECK(fx_wait_api(api, live_pods_are, &two, FX_WAIT_MS));
    json_t *left = wl_live_pods(api, NS, "app=web");
    json_array_foreach(left, i, p) CHECK(wl_pod_ready(p));
    const char *gone = k1s_meta(json_array_get(pods, 2), "name");
    statusis observed = {"ReplicaSet", "web", "observedGeneration", 2, NULL};
    CHECK(fx_wait_api(api, status_is, &observed, FX_WAIT_MS));
    CHECK_INT(wl_events(api, NS, "web", "SuccessfulDelete", gone, 1), 1);
    json_decref(left);
    /* a pod deleted by someone else is replaced */
    CHECK_INT(fx_delete(api, "Pod", NS, keep, -1), 0);
    CHECK(fx_wait_api(api, live_pods_are, &two, FX_WAIT_MS));
    json_t *again = wl_live_pods(api, NS, "app=web");
    bool replaced = true;
    json_array_foreach(again, i, p) if (!strcmp(k1s_meta(p, "name"), keep)) replaced = false;
    CHECK(replaced);
    json_decref(again);
    json_decref(pods);
    json_decref(rs);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_replicaset_adopts_orphans)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    /* an orphan pod with the right labels counts as one of the replicas */
    CHECK_INT(
        fx_create(api, "Pod", NS,
                  json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}}, s:{s:[{s:s, s:s}]}}", "apiVersion",
                            "v1", "kind", "Pod", "metadata", "name", "stray", "labels", "app", "db",
                            "tier", "web", "spec", "containers", "name", "c", "image", "nginx:1")),
        0);
    CHECK_INT(fx_create(api, "ReplicaSet", NS, replicaset("db", 2)), 0);
    podcount two = {"app=db", 2, false};
    CHECK(fx_wait_api(api, live_pods_are, &two, FX_WAIT_MS));
    fx_sleep_ms(200);
    json_t *pods = wl_live_pods(api, NS, "app=db");
    CHECK_INT(json_array_size(pods), 2);
    json_t *stray = fx_get(api, "Pod", NS, "stray");
    const json_t *ref =
        json_array_get(json_object_get(json_object_get(stray, "metadata"), "ownerReferences"), 0);
    CHECK_STR(json_string_value(json_object_get(ref, "name")), "db");
    json_decref(stray);
    json_decref(pods);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_deployment_rolling_update)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Deployment", NS, deployment("web", 3, "nginx:1.25", NULL)), 0);
    rolled three = {"web", 3};
    CHECK(fx_wait_api(api, rolled_out, &three, FX_WAIT_MS));
    json_t *rss = replicasets(api, "web");
    CHECK_INT(json_array_size(rss), 1);
    const json_t *v1 = json_array_get(rss, 0);
    char hash[32];
    snprintf(hash, sizeof hash, "%s",
             k1s_meta_label(v1, "pod-template-hash") ? k1s_meta_label(v1, "pod-template-hash")
                                                     : "");
    CHECK(strlen(hash) >= 6);
    char want[128];
    snprintf(want, sizeof want, "web-%s", hash);
    CHECK_STR(k1s_meta(v1, "name"), want);
    CHECK_STR(json_string_value(json_object_get(
                  json_object_get(json_object_get(json_object_get(v1, "spec"), "selector"),
                                  "matchLabels"),
                  "pod-template-hash")),
              hash);
    CHECK_STR(k1s_meta_annotation(v1, "deployment.kubernetes.io/revision"), "1");
    CHECK_STR(k1s_meta_annotation(v1, "deployment.kubernetes.io/desired-replicas"), "3");
    CHECK_STR(k1s_meta_annotation(v1, "deployment.kubernetes.io/max-replicas"), "4");
    char msg[320];
    snprintf(msg, sizeof msg, "Scaled up replica set %s from 0 to 3", want);
    CHECK_INT(wl_events(api, NS, "web", "ScalingReplicaSet", msg, 1), 1);
    json_t *pods = wl_live_pods(api, NS, "app=web");
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) CHECK_STR(k1s_meta_label(p, "pod-template-hash"), hash);
    json_decref(pods);
    json_t *d = fx_get(api, "Deployment", NS, "web");
    CHECK_STR(k1s_meta_annotation(d, "deployment.kubernetes.io/revision"), "1");
    CHECK_STR(cond_field(d, "Available", "status"), "True");
    CHECK_STR(cond_field(d, "Available", "reason"), "MinimumReplicasAvailable");
    CHECK_STR(cond_field(d, "Available", "message"), "Deployment has minimum availability.");
    CHECK_STR(cond_field(d, "Progressing", "reason"), "NewReplicaSetAvailable");
    snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has successfully progressed.", want);
    CHECK_STR(cond_field(d, "Progressing", "message"), msg);
    CHECK_INT(k1s_json_int(d, "status.readyReplicas", 0), 3);
    CHECK(json_object_get(json_object_get(d, "status"), "unavailableReplicas") == NULL);
    json_decref(d);

    /* v2: 3 replicas, maxSurge 25% -> 1 up, maxUnavailable 25% -> 0 down:
       never more than 4 pods, never fewer than 3 available */
    CHECK_INT(
        fx_patch(
            api, "Deployment", NS, "web", NULL,
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.26\"}]}}}}"),
        0);
    bool bounded = true;
    for (int waited = 0; waited <= FX_WAIT_MS; waited += 10) {
        json_t *live = wl_live_pods(api, NS, "app=web");
        if (json_array_size(live) > 4)
            bounded = false;
        size_t ready = 0;
        json_array_foreach(live, i, p) ready += wl_pod_ready(p);
        if (ready < 3 && waited > 0)
            bounded = false;
        json_decref(live);
        if (rolled_out(api, &three))
            break;
        fx_sleep_ms(10);
    }
    CHECK(bounded);
    CHECK(rolled_out(api, &three));
    json_decref(rss);
    rss = replicasets(api, "web");
    CHECK_INT(json_array_size(rss), 2);
    const json_t *old = rs_with_revision(rss, "1"), *neu = rs_with_revision(rss, "2");
    CHECK(old && neu);
    if (old && neu) {
        CHECK_INT(k1s_json_int(old, "spec.replicas", 0), 0);
        CHECK_INT(k1s_json_int(neu, "spec.replicas", 0), 3);
        CHECK(strcmp(k1s_meta_label(neu, "pod-template-hash"), hash) != 0);
        snprintf(msg, sizeof msg, "Scaled up replica set %s from 0 to 1", k1s_meta(neu, "name"));
        CHECK_INT(wl_events(api, NS, "web", "ScalingReplicaSet", msg, 1), 1);
        snprintf(msg, sizeof msg, "Scaled down replica set %s from 3 to 2", k1s_meta(old, "name"));
        CHECK_INT(wl_events(api, NS, "web", "ScalingReplicaSet", msg, 1), 1);
    }
    d = fx_get(api, "Deployment", NS, "web");
    CHECK_STR(k1s_meta_annotation(d, "deployment.kubernetes.io/revision"), "2");
    CHECK_INT(k1s_json_int(d, "status.observedGeneration", 0), 2);
    json_decref(d);

    /* kubectl rollout undo: the old template comes back and its
       ReplicaSet is reused as revision 3 */
    CHECK_INT(
        fx_patch(
            api, "Deployment", NS, "web", NULL,
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}}}"),
        0);
    CHECK(fx_wait_api(api, rolled_out, &three, FX_WAIT_MS));
    json_decref(rss);
    rss = replicasets(api, "web");
    CHECK_INT(json_array_size(rss), 2);
    const json_t *back = rs_with_revision(rss, "3");
    CHECK(back != NULL);
    CHECK_STR(k1s_meta(back, "name"), want);
    CHECK_STR(k1s_meta_annotation(back, "deployment.kubernetes.io/revision-history"), "1");
    CHECK_INT(k1s_json_int(back, "spec.replicas", 0), 3);
    d = fx_get(api, "Deployment", NS, "web");
    CHECK_STR(k1s_meta_annotation(d, "deployment.kubernetes.io/revision"), "3");
    json_decref(d);

    /* scaling is proportional, not a rollout */
    CHECK_INT(fx_patch(api, "Deployment", NS, "web", "scale", "{\"spec\":{\"replicas\":5}}"), 0);
    rolled five = {"web", 5};
    CHECK(fx_wait_api(api, rolled_out, &five, FX_WAIT_MS));
    json_decref(rss);
    rss = replicasets(api, "web");
    back = rs_with_revision(rss, "3");
    CHECK(back && k1s_json_int(back, "spec.replicas", 0) == 5);
    CHECK_STR(k1s_meta_annotation(back, "deployment.kubernetes.io/desired-replicas"), "5");
    json_decref(rss);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_deployment_recreate)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Deployment", NS, deployment("rec", 2, "busybox:1", "Recreate")), 0);
    rolled two = {"rec", 2};
    CHECK(fx_wait_api(api, rolled_out, &two, FX_WAIT_MS));
    CHECK_INT(
        fx_patch(
            api, "Deployment", NS, "rec", NULL,
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox:2\"}]}}}}"),
        0);
    /* the new ReplicaSet gets replicas only when no old pod is left */
    bool overlap = false;
    for (int waited = 0; waited <= FX_WAIT_MS; waited += 10) {
        json_t *rss = replicasets(api, "rec");
        const json_t *neu = rs_with_revision(rss, "2"), *old = rs_with_revision(rss, "1");
        if (neu && old && k1s_json_int(neu, "spec.replicas", 0) > 0) {
            char sel[160];
            snprintf(sel, sizeof sel, "app=rec,pod-template-hash=%s",
                     k1s_meta_label(old, "pod-template-hash"));
            json_t *olds = fx_list(api, "Pod", NS, sel);
            if (json_array_size(olds))
                overlap = true;
            json_decref(olds);
        }
        json_decref(rss);
        if (rolled_out(api, &two))
            break;
        fx_sleep_ms(10);
    }
    CHECK(!overlap);
    CHECK(rolled_out(api, &two));
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

static bool rs_count_is(k1s_api *api, void *arg)
{
    json_t *rss = replicasets(api, "hist");
    bool ok = json_array_size(rss) == (size_t)(uintptr_t)arg;
    json_decref(rss);
    wl_ready_all(api, NS, "app=hist");
    return ok;
}

TEST(test_deployment_history_limit)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *d = deployment("hist", 1, "img:1", NULL);
    json_object_set_new(json_object_get(d, "spec"), "revisionHistoryLimit", json_integer(1));
    CHECK_INT(fx_create(api, "Deployment", NS, d), 0);
    rolled one = {"hist", 1};
    CHECK(fx_wait_api(api, rolled_out, &one, FX_WAIT_MS));
    for (int v = 2; v <= 4; v++) {
        char patch[200];
        snprintf(
            patch, sizeof patch,
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"img:%d\"}]}}}}",
            v);
        CHECK_INT(fx_patch(api, "Deployment", NS, "hist", NULL, patch), 0);
        CHECK(fx_wait_api(api, rolled_out, &one, FX_WAIT_MS));
    }
    /* the new one and one old one */
    CHECK(fx_wait_api(api, rs_count_is, (void *)(uintptr_t)2, FX_WAIT_MS));
    json_t *rss = replicasets(api, "hist");
    CHECK(rs_with_revision(rss, "4") != NULL);
    CHECK(rs_with_revision(rss, "3") != NULL);
    json_decref(rss);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_restart_converges_without_duplicates)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "Deployment", NS, deployment("rs1", 2, "img:1", NULL)), 0);
    rolled two = {"rs1", 2};
    CHECK(fx_wait_api(api, rolled_out, &two, FX_WAIT_MS));
    k1s_controllers_stop(ctl);
    /* while the controllers are down: scale up */
    CHECK_INT(fx_patch(api, "Deployment", NS, "rs1", "scale", "{\"spec\":{\"replicas\":4}}"), 0);
    ctl = fx_controllers_start(api, WL_NODE);
    CHECK(ctl != NULL);
    rolled four = {"rs1", 4};
    CHECK(fx_wait_api(api, rolled_out, &four, FX_WAIT_MS));
    /* and a restart with nothing to do changes nothing */
    k1s_controllers_stop(ctl);
    json_t *before = fx_get(api, "Deployment", NS, "rs1");
    ctl = fx_controllers_start(api, WL_NODE);
    CHECK(ctl != NULL);
    fx_sleep_ms(500);
    json_t *after = fx_get(api, "Deployment", NS, "rs1");
    CHECK_STR(k1s_meta(after, "resourceVersion"), k1s_meta(before, "resourceVersion"));
    json_t *rss = replicasets(api, "rs1");
    CHECK_INT(json_array_size(rss), 1);
    json_t *pods = wl_live_pods(api, NS, "app=rs1");
    CHECK_INT(json_array_size(pods), 4);
    json_decref(pods);
    json_decref(rss);
    json_decref(before);
    json_decref(after);
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_replicaset_creates_and_deletes_pods), T(test_replicaset_adopts_orphans),
              T(test_deployment_rolling_update), T(test_deployment_recreate),
              T(test_deployment_history_limit), T(test_restart_converges_without_duplicates))
