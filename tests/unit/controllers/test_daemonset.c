/*
 * test_daemonset.c - the daemonset controller with kubelet "none": no pod
 * without a Node; one pod pinned to the node through node affinity once it
 * exists, with the daemon tolerations and controller-revision-hash; status
 * counts; a template change makes revision 2 and replaces the pod; a node
 * selector that stops matching removes it; ControllerRevisions hold the
 * template patch kubectl rollout undo applies.
 */
#include "k1s_test.h"
#include "wl_test.h"

#define NS "default"

static json_t *daemonset(const char *image)
{
    return json_pack("{s:s, s:s, s:{s:s}, s:{s:{s:{s:s}}, s:{s:{s:{s:s}}, s:{s:[{s:s, s:s}]}}}}",
                     "apiVersion", "apps/v1", "kind", "DaemonSet", "metadata", "name", "agent",
                     "spec", "selector", "matchLabels", "app", "agent", "template", "metadata",
                     "labels", "app", "agent", "spec", "containers", "name", "a", "image", image);
}

typedef struct dsfield {
    const char *field;
    long long want;
} dsfield;

/* the status field has the value (pods made ready, deletions finished) */
static bool ds_status(k1s_api *api, void *arg)
{
    dsfield *f = arg;
    wl_finish_terminating(api, NS, "app=agent");
    wl_ready_all(api, NS, "app=agent");
    json_t *ds = fx_get(api, "DaemonSet", NS, "agent");
    bool ok = ds &&
              k1s_json_int(ds, "status.observedGeneration", 0) ==
                  k1s_json_int(ds, "metadata.generation", 0) &&
              k1s_json_int(json_object_get(ds, "status"), f->field, 0) == f->want;
    json_decref(ds);
    return ok;
}

static bool revisions_are(k1s_api *api, void *arg)
{
    json_t *revs = fx_list(api, "ControllerRevision", NS, "app=agent");
    bool ok = json_array_size(revs) == (size_t)(uintptr_t)arg;
    json_decref(revs);
    return ok;
}

static const char *pinned_node(const json_t *pod)
{
    const json_t *terms = json_object_get(
        json_object_get(json_object_get(json_object_get(json_object_get(pod, "spec"), "affinity"),
                                        "nodeAffinity"),
                        "requiredDuringSchedulingIgnoredDuringExecution"),
        "nodeSelectorTerms");
    const json_t *f = json_array_get(json_object_get(json_array_get(terms, 0), "matchFields"), 0);
    if (!f || strcmp(json_string_value(json_object_get(f, "key")), "metadata.name") ||
        strcmp(json_string_value(json_object_get(f, "operator")), "In"))
        return NULL;
    return json_string_value(json_array_get(json_object_get(f, "values"), 0));
}

static bool tolerates_not_ready(const json_t *pod)
{
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "tolerations"), i, t)
    {
        const char *k = json_string_value(json_object_get(t, "key"));
        const char *e = json_string_value(json_object_get(t, "effect"));
        if (k && e && !strcmp(k, "node.kubernetes.io/not-ready") && !strcmp(e, "NoExecute"))
            return true;
    }
    return false;
}

TEST(test_daemonset_one_pod_per_node)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    CHECK_INT(fx_create(api, "DaemonSet", NS, daemonset("busybox:1")), 0);
    /* no node yet (kubelet none): nothing to run, but a first revision */
    dsfield none = {"desiredNumberScheduled", 0};
    CHECK(fx_wait_api(api, ds_status, &none, FX_WAIT_MS));
    CHECK(fx_wait_api(api, revisions_are, (void *)(uintptr_t)1, FX_WAIT_MS));
    json_t *pods = wl_live_pods(api, NS, "app=agent");
    CHECK_INT(json_array_size(pods), 0);
    json_decref(pods);

    CHECK_INT(fx_create(api, "Node", "", wl_node(WL_NODE)), 0);
    dsfield avail = {"numberAvailable", 1};
    CHECK(fx_wait_api(api, ds_status, &avail, FX_WAIT_MS));
    json_t *ds = fx_get(api, "DaemonSet", NS, "agent");
    CHECK_INT(k1s_json_int(ds, "status.desiredNumberScheduled", 0), 1);
    CHECK_INT(k1s_json_int(ds, "status.currentNumberScheduled", 0), 1);
    CHECK_INT(k1s_json_int(ds, "status.numberReady", 0), 1);
    CHECK_INT(k1s_json_int(ds, "status.updatedNumberScheduled", 0), 1);
    CHECK_INT(k1s_json_int(ds, "status.numberMisscheduled", 0), 0);
    json_decref(ds);
    pods = wl_live_pods(api, NS, "app=agent");
    CHECK_INT(json_array_size(pods), 1);
    const json_t *pod = json_array_get(pods, 0);
    const char *first = k1s_meta(pod, "name");
    CHECK(first && !strncmp(first, "agent-", 6));
    CHECK_STR(pinned_node(pod), WL_NODE);
    CHECK(tolerates_not_ready(pod));
    json_t *revs = fx_list(api, "ControllerRevision", NS, "app=agent");
    const json_t *rev1 = json_array_get(revs, 0);
    CHECK_STR(k1s_meta_label(pod, "controller-revision-hash"),
              k1s_meta_label(rev1, "controller-revision-hash"));
    CHECK_INT(json_integer_value(json_object_get(rev1, "revision")), 1);
    CHECK_STR(
        json_string_value(json_object_get(
            json_object_get(json_object_get(json_object_get(rev1, "data"), "spec"), "template"),
            "$patch")),
        "replace");
    CHECK_INT(wl_events(api, NS, "agent", "SuccessfulCreate", first, 1), 1);
    char first_name[128];
    snprintf(first_name, sizeof first_name, "%s", first ? first : "");
    json_decref(revs);
    json_decref(pods);

    /* a new template: revision 2, the pod replaced */
    CHECK_INT(
        fx_patch(
            api, "DaemonSet", NS, "agent", NULL,
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"busybox:2\"}]}}}}"),
        0);
    CHECK(fx_wait_api(api, revisions_are, (void *)(uintptr_t)2, FX_WAIT_MS));
    dsfield updated = {"numberAvailable", 1};
    CHECK(fx_wait_api(api, ds_status, &updated, FX_WAIT_MS));
    dsfield updated2 = {"updatedNumberScheduled", 1};
    CHECK(fx_wait_api(api, ds_status, &updated2, FX_WAIT_MS));
    pods = wl_live_pods(api, NS, "app=agent");
    CHECK_INT(json_array_size(pods), 1);
    pod = json_array_get(pods, 0);
    CHECK(pod && strcmp(k1s_meta(pod, "name"), first_name) != 0);
    const char *image = json_string_value(json_object_get(
        json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0), "image"));
    CHECK_STR(image, "busybox:2");
    revs = fx_list(api, "ControllerRevision", NS, "app=agent");
    const json_t *cur = NULL;
    size_t i;
    const json_t *r;
    json_array_foreach(revs, i, r) if (json_integer_value(json_object_get(r, "revision")) == 2)
        cur = r;
    CHECK(cur != NULL);
    CHECK_STR(k1s_meta_label(pod, "controller-revision-hash"),
              k1s_meta_label(cur, "controller-revision-hash"));
    CHECK_INT(wl_events(api, NS, "agent", "SuccessfulDelete", first_name, 1), 1);
    json_decref(revs);
    json_decref(pods);

    /* a node selector the node does not match: nothing runs there */
    CHECK_INT(
        fx_patch(api, "DaemonSet", NS, "agent", NULL,
                 "{\"spec\":{\"template\":{\"spec\":{\"nodeSelector\":{\"disk\":\"ssd\"}}}}}"),
        0);
    dsfield gone = {"desiredNumberScheduled", 0};
    CHECK(fx_wait_api(api, ds_status, &gone, FX_WAIT_MS));
    dsfield gone2 = {"currentNumberScheduled", 0};
    CHECK(fx_wait_api(api, ds_status, &gone2, FX_WAIT_MS));
    pods = wl_live_pods(api, NS, "app=agent");
    CHECK_INT(json_array_size(pods), 0);
    json_decref(pods);
    /* until the node gets the label */
    CHECK_INT(
        fx_patch(api, "Node", "", WL_NODE, NULL, "{\"metadata\":{\"labels\":{\"disk\":\"ssd\"}}}"),
        0);
    dsfield back = {"numberAvailable", 1};
    CHECK(fx_wait_api(api, ds_status, &back, FX_WAIT_MS));
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_daemonset_taints)
{
    k1s_api *api = fx_api_open();
    k1s_controllers *ctl = api ? fx_controllers_start(api, WL_NODE) : NULL;
    CHECK(ctl != NULL);
    if (!ctl)
        goto done;
    json_t *node = wl_node(WL_NODE);
    json_object_set_new(
        node, "spec",
        json_pack("{s:[{s:s, s:s}]}", "taints", "key", "dedicated", "effect", "NoSchedule"));
    CHECK_INT(fx_create(api, "Node", "", node), 0);
    CHECK_INT(fx_create(api, "DaemonSet", NS, daemonset("busybox:1")), 0);
    dsfield none = {"desiredNumberScheduled", 0};
    CHECK(fx_wait_api(api, ds_status, &none, FX_WAIT_MS));
    json_t *pods = wl_live_pods(api, NS, "app=agent");
    CHECK_INT(json_array_size(pods), 0);
    json_decref(pods);
    /* a toleration lets it run */
    CHECK_INT(
        fx_patch(
            api, "DaemonSet", NS, "agent", NULL,
            "{\"spec\":{\"template\":{\"spec\":{\"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Exists\"}]}}}}"),
        0);
    dsfield one = {"numberAvailable", 1};
    CHECK(fx_wait_api(api, ds_status, &one, FX_WAIT_MS));
done:
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_daemonset_one_pod_per_node), T(test_daemonset_taints))
