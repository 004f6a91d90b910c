/*
 * test_scheduler.c - the default-scheduler and the pods/binding
 * subresource it writes through: binding rules and errors, pods bound to
 * the node (registered here as a kubelet would), nodeSelector / taints / resources /
 * claims that keep a pod Pending with kube's Unschedulable condition and
 * FailedScheduling event, and the retry when the node changes.
 */
#include "k1s_test.h"

#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

#define NODE "node1"

/* The Node a kubelet registers (the kubelet, kubelet/, is not part of the
 * controllers): what the scheduler reads of it. */
static void register_node(k1s_api *api)
{
    json_t *node =
        json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:{s:s, s:s, s:s},"
                  " s:[{s:s, s:s}]}}",
                  "apiVersion", "v1", "kind", "Node", "metadata", "name", NODE, "labels",
                  "kubernetes.io/hostname", NODE, "status", "allocatable", "cpu", "2", "memory",
                  "4Gi", "pods", "110", "conditions", "type", "Ready", "status", "True");
    fx_create(api, "Node", "", node);
}

/* kubelet "simulated": with a node to schedule to; "none": without. */
static bool untainted(const json_t *node, const void *arg)
{
    (void)arg;
    return json_array_size(fx_at(node, "spec.taints")) == 0;
}

/* The controllers, and a Ready node once the node lifecycle controller
 * has lifted the not-ready taint a new node is created with. */
static k1s_controllers *start(k1s_api *api, const char *kubelet)
{
    bool node = !strcmp(kubelet, "simulated");
    if (node)
        register_node(api);
    k1s_controllers *ctl = fx_controllers_start(api, NODE);
    if (node)
        json_decref(fx_wait_obj(api, "Node", "", NODE, untainted, NULL, FX_WAIT_MS));
    return ctl;
}

/* A pod with one nginx container; extra (stolen, may be NULL) is merged
 * into its spec. */
static int create_pod(k1s_api *api, const char *name, json_t *extra)
{
    json_t *pod = json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:s}]}}", "apiVersion", "v1", "kind",
                            "Pod", "metadata", "name", name, "spec", "containers", "name", "nginx",
                            "image", "nginx");
    if (extra)
        json_object_update(json_object_get(pod, "spec"), extra);
    json_decref(extra);
    return fx_create(api, "Pod", "default", pod);
}

/* Poll (<= ms) until pred holds; the last pod seen (new ref) or NULL. */
static json_t *wait_pod(k1s_api *api, const char *name, fx_obj_pred pred, const void *arg, int ms)
{
    return fx_wait_obj(api, "Pod", "default", name, pred, arg, ms);
}

static bool is_bound(const json_t *pod, const void *arg)
{
    (void)arg;
    const char *n = fx_str(pod, "spec.nodeName");
    return n && *n;
}

static bool has_message(const json_t *pod, const void *arg)
{
    const char *m = fx_str(fx_condition(pod, "PodScheduled"), "message");
    return m && !strcmp(m, arg);
}

/* The first event with reason about object name (new ref) or NULL. */
static json_t *find_event(k1s_api *api, const char *name, const char *reason)
{
    json_t *evs = fx_list(api, "Event", NULL, NULL), *found = NULL;
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev)
    {
        const char *on = fx_str(ev, "involvedObject.name"), *r = fx_str(ev, "reason");
        if (on && r && !strcmp(on, name) && !strcmp(r, reason)) {
            found = json_incref(ev);
            break;
        }
    }
    json_decref(evs);
    return found;
}

/* The same, waiting <= 2 s for it. */
static json_t *event(k1s_api *api, const char *name, const char *reason)
{
    json_t *ev;
    int64_t deadline = fx_deadline(2000);
    while (!(ev = find_event(api, name, reason)) && fx_poll(deadline))
        ;
    return ev;
}

/* ---- the binding subresource ------------------------------------------------------ */

static json_t *binding(const char *name, const char *node)
{
    return json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Binding",
                     "metadata", "name", name, "target", "kind", "Node", "name", node);
}

TEST(test_binding_subresource)
{
    k1s_api *api = fx_api_open();
    CHECK(api != NULL);
    if (!api)
        return;
    CHECK_INT(create_pod(api, "p", NULL), 0);
    k1s_status st = {0};
    json_t *out = NULL, *b = binding("p", "n1");

    /* the name in the body must be the one in the URL */
    CHECK_INT(k1s_api_bind(api, "default", "other", b, &out, &st), -1);
    CHECK_INT(st.code, 400);
    CHECK_STR(st.message, "name in URL does not match name in Binding object");
    k1s_status_clear(&st);

    /* ValidatePodBinding: kube answers its aggregate as a 500 */
    json_t *noname = binding("p", "");
    CHECK_INT(k1s_api_bind(api, "default", "p", noname, &out, &st), -1);
    CHECK_INT(st.code, 500);
    CHECK_STR(st.message, "target.name: Required value");
    k1s_status_clear(&st);
    json_object_set_new(json_object_get(noname, "target"), "kind", json_string("Pod"));
    CHECK_INT(k1s_api_bind(api, "default", "p", noname, &out, &st), -1);
    CHECK_STR(
        st.message,
        "[target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\", target.name: Required value]");
    k1s_status_clear(&st);
    json_decref(noname);

    /* a wrong uid is a failed precondition */
    json_t *wrong = binding("p", "n1");
    json_object_set_new(json_object_get(wrong, "metadata"), "uid", json_string("nope"));
    CHECK_INT(k1s_api_bind(api, "default", "p", wrong, &out, &st), -1);
    CHECK_INT(st.code, 409);
    json_decref(wrong);
    k1s_status_clear(&st);

    json_t *gone = binding("missing", "n1");
    CHECK_INT(k1s_api_bind(api, "default", "missing", gone, &out, &st), -1);
    json_decref(gone);
    CHECK_INT(st.code, 404);
    CHECK_STR(st.message, "pods \"missing\" not found");
    k1s_status_clear(&st);

    json_object_set_new(json_object_get(b, "metadata"), "annotations",
                        json_pack("{s:s}", "scheduler.example/why", "test"));
    CHECK_INT(k1s_api_bind(api, "default", "p", b, &out, &st), 0);
    CHECK_STR(json_string_value(json_object_get(out, "kind")), "Status");
    CHECK_STR(json_string_value(json_object_get(out, "status")), "Success");
    CHECK_INT(json_integer_value(json_object_get(out, "code")), 201);
    json_decref(out);
    out = NULL;
    json_t *pod = fx_get(api, "Pod", "default", "p");
    CHECK_STR(fx_str(pod, "spec.nodeName"), "n1");
    CHECK_STR(k1s_meta_annotation(pod, "scheduler.example/why"), "test");
    const json_t *c = fx_condition(pod, "PodScheduled");
    CHECK_STR(json_string_value(json_object_get(c, "status")), "True");
    CHECK(json_is_string(json_object_get(c, "lastTransitionTime")));
    /* a binding is not a spec update: the generation stays */
    CHECK_INT(json_integer_value(json_object_get(json_object_get(pod, "metadata"), "generation")),
              1);
    json_decref(pod);

    CHECK_INT(k1s_api_bind(api, "default", "p", b, &out, &st), -1);
    CHECK_INT(st.code, 409);
    CHECK_STR(
        st.message,
        "Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"n1\"");
    k1s_status_clear(&st);
    json_decref(b);
    k1s_api_close(api);
}

/* ---- scheduling ---------------------------------------------------------------------- */

TEST(test_binds_to_the_node_with_an_event)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_controllers *ctl = start(api, "simulated");
    CHECK(ctl != NULL);
    CHECK_INT(create_pod(api, "web-0", NULL), 0);
    json_t *pod = wait_pod(api, "web-0", is_bound, NULL, 10000);
    CHECK(pod && is_bound(pod, NULL));
    CHECK_STR(fx_str(pod, "spec.nodeName"), NODE);
    CHECK_STR(json_string_value(json_object_get(fx_condition(pod, "PodScheduled"), "status")),
              "True");
    json_decref(pod);
    json_t *ev = event(api, "web-0", "Scheduled");
    CHECK(ev != NULL);
    CHECK_STR(json_string_value(json_object_get(ev, "message")),
              "Successfully assigned default/web-0 to " NODE);
    CHECK_STR(fx_str(ev, "source.component"), "default-scheduler");
    CHECK_STR(json_string_value(json_object_get(ev, "type")), "Normal");
    json_decref(ev);
    /* another scheduler's pods are not ours */
    CHECK_INT(create_pod(api, "other", json_pack("{s:s}", "schedulerName", "my-scheduler")), 0);
    fx_sleep_ms(300);
    pod = fx_get(api, "Pod", "default", "other");
    CHECK(pod && !is_bound(pod, NULL));
    json_decref(pod);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

#define SELECTOR_MSG                                                                 \
    "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. " \
    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."

TEST(test_node_selector_waits_for_a_matching_node)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_controllers *ctl = start(api, "simulated");
    CHECK_INT(create_pod(api, "picky", json_pack("{s:{s:s}}", "nodeSelector", "disktype", "ssd")),
              0);
    json_t *pod = wait_pod(api, "picky", has_message, SELECTOR_MSG, 10000);
    const json_t *c = fx_condition(pod, "PodScheduled");
    CHECK_STR(json_string_value(json_object_get(c, "status")), "False");
    CHECK_STR(json_string_value(json_object_get(c, "reason")), "Unschedulable");
    CHECK_STR(json_string_value(json_object_get(c, "message")), SELECTOR_MSG);
    CHECK(!is_bound(pod, NULL));
    CHECK_STR(fx_str(pod, "status.phase"), "Pending");
    CHECK_STR(fx_str(pod, "status.qosClass"), "BestEffort");
    json_decref(pod);
    json_t *ev = event(api, "picky", "FailedScheduling");
    CHECK(ev != NULL);
    CHECK_STR(json_string_value(json_object_get(ev, "type")), "Warning");
    CHECK_STR(json_string_value(json_object_get(ev, "message")), SELECTOR_MSG);
    /* the condition write that follows does not record the failure again */
    fx_sleep_ms(300);
    json_decref(ev);
    ev = event(api, "picky", "FailedScheduling");
    CHECK_INT(json_integer_value(json_object_get(ev, "count")), 1);
    json_decref(ev);
    /* required node affinity: a label In a set, or the node's name */
    CHECK_INT(
        create_pod(
            api, "affine",
            fx_json("{'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                    "{'nodeSelectorTerms':[{'matchExpressions':[{'key':'disktype','operator':'In',"
                    "'values':['nvme','ssd']}]}]}}}}")),
        0);
    CHECK_INT(
        create_pod(
            api, "elsewhere",
            fx_json(
                "{'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':"
                "{'nodeSelectorTerms':[{'matchFields':[{'key':'metadata.name','operator':'NotIn',"
                "'values':['" NODE "']}]}]}}}}")),
        0);
    pod = wait_pod(api, "affine", has_message, SELECTOR_MSG, 10000);
    CHECK(has_message(pod, SELECTOR_MSG));
    json_decref(pod);
    /* a node that starts matching takes the pods */
    CHECK_INT(fx_patch(api, "Node", "", NODE, NULL, "{'metadata':{'labels':{'disktype':'ssd'}}}"),
              0);
    pod = wait_pod(api, "picky", is_bound, NULL, 10000);
    CHECK(is_bound(pod, NULL));
    CHECK_STR(json_string_value(json_object_get(fx_condition(pod, "PodScheduled"), "status")),
              "True");
    json_decref(pod);
    pod = wait_pod(api, "affine", is_bound, NULL, 10000);
    CHECK(is_bound(pod, NULL));
    json_decref(pod);
    pod = wait_pod(api, "elsewhere", has_message, SELECTOR_MSG, 10000);
    CHECK(has_message(pod, SELECTOR_MSG) && !is_bound(pod, NULL));
    json_decref(pod);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

#define TAINT_MSG                                                                            \
    "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: db}. preemption: " \
    "0/1 nodes are available: 1 Preemption is not helpful for scheduling."

TEST(test_taints_and_tolerations)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_controllers *ctl = start(api, "simulated");
    CHECK_INT(
        fx_patch(api, "Node", "", NODE, NULL,
                 "{'spec':{'taints':[{'key':'dedicated','value':'db','effect':'NoSchedule'}]}}"),
        0);
    fx_sleep_ms(100);
    CHECK_INT(create_pod(api, "plain", NULL), 0);
    CHECK_INT(create_pod(api, "tolerant",
                         json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "tolerations", "key", "dedicated",
                                   "operator", "Equal", "value", "db", "effect", "NoSchedule")),
              0);
    json_t *pod = wait_pod(api, "plain", has_message, TAINT_MSG, 10000);
    CHECK(has_message(pod, TAINT_MSG));
    json_decref(pod);
    pod = wait_pod(api, "tolerant", is_bound, NULL, 10000);
    CHECK(is_bound(pod, NULL));
    json_decref(pod);
    /* PreferNoSchedule is no hard rule */
    CHECK_INT(
        fx_patch(
            api, "Node", "", NODE, NULL,
            "{'spec':{'taints':[{'key':'dedicated','value':'db','effect':'PreferNoSchedule'}]}}"),
        0);
    pod = wait_pod(api, "plain", is_bound, NULL, 10000);
    CHECK(is_bound(pod, NULL));
    json_decref(pod);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_resources_and_claims)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_controllers *ctl = start(api, "simulated");
    CHECK_INT(create_pod(api, "huge",
                         json_pack("{s:[{s:s, s:s, s:{s:{s:s}}}]}", "containers", "name", "big",
                                   "image", "nginx", "resources", "requests", "cpu", "100000")),
              0);
    const char *cpu_msg =
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    json_t *pod = wait_pod(api, "huge", has_message, cpu_msg, 10000);
    CHECK(has_message(pod, cpu_msg));
    json_decref(pod);
    CHECK_INT(create_pod(api, "claimer",
                         json_pack("{s:[{s:s, s:{s:s}}]}", "volumes", "name", "data",
                                   "persistentVolumeClaim", "claimName", "data-claimer")),
              0);
    const char *claim_msg =
        "0/1 nodes are available: persistentvolumeclaim \"data-claimer\" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    pod = wait_pod(api, "claimer", has_message, claim_msg, 10000);
    CHECK(has_message(pod, claim_msg));
    json_decref(pod);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

static bool selected(const json_t *pvc, const void *arg)
{
    (void)arg;
    const char *n = k1s_meta_annotation(pvc, "volume.kubernetes.io/selected-node");
    return n && !strcmp(n, NODE);
}

TEST(test_wait_for_first_consumer_claims)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_controllers *ctl = start(api, "simulated");
    /* a provisioner nobody runs: only this test binds the claim */
    CHECK_INT(fx_create(api, "StorageClass", "",
                        fx_json("{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass',"
                                "'metadata':{'name':'late'},'provisioner':'example.com/none',"
                                "'volumeBindingMode':'WaitForFirstConsumer'}")),
              0);
    CHECK_INT(
        fx_create(
            api, "PersistentVolumeClaim", "default",
            fx_json("{'apiVersion':'v1','kind':'PersistentVolumeClaim',"
                    "'metadata':{'name':'data'},'spec':{'accessModes':['ReadWriteOnce'],"
                    "'storageClassName':'late','resources':{'requests':{'storage':'1Gi'}}}}")),
        0);
    CHECK_INT(create_pod(api, "consumer",
                         json_pack("{s:[{s:s, s:{s:s}}]}", "volumes", "name", "data",
                                   "persistentVolumeClaim", "claimName", "data")),
              0);
    /* the claim is told where the pod goes; the pod waits for it */
    json_t *pvc =
        fx_wait_obj(api, "PersistentVolumeClaim", "default", "data", selected, NULL, FX_WAIT_MS);
    CHECK(pvc && selected(pvc, NULL));
    json_decref(pvc);
    fx_sleep_ms(200);
    json_t *pod = fx_get(api, "Pod", "default", "consumer");
    CHECK(pod && !is_bound(pod, NULL) && !fx_condition(pod, "PodScheduled"));
    json_decref(pod);
    /* bound (as a provisioner would): the pod follows */
    CHECK_INT(
        fx_create(
            api, "PersistentVolume", "",
            fx_json("{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':'pv-data'},"
                    "'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce'],"
                    "'storageClassName':'late','hostPath':{'path':'/tmp/pv-data'},"
                    "'claimRef':{'namespace':'default','name':'data'}}}")),
        0);
    CHECK_INT(fx_patch(api, "PersistentVolumeClaim", "default", "data", NULL,
                       "{'spec':{'volumeName':'pv-data'}}"),
              0);
    CHECK_INT(fx_patch(api, "PersistentVolumeClaim", "default", "data", "status",
                       "{'status':{'phase':'Bound'}}"),
              0);
    pod = wait_pod(api, "consumer", is_bound, NULL, 10000);
    CHECK(is_bound(pod, NULL));
    json_decref(pod);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

TEST(test_no_node_without_a_kubelet)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_controllers *ctl = start(api, "none");
    CHECK_INT(create_pod(api, "lonely", NULL), 0);
    json_t *pod =
        wait_pod(api, "lonely", has_message, "no nodes available to schedule pods", 10000);
    CHECK(has_message(pod, "no nodes available to schedule pods"));
    CHECK(!is_bound(pod, NULL));
    CHECK_STR(fx_str(pod, "status.phase"), "Pending");
    json_decref(pod);
    json_t *node = fx_get(api, "Node", "", NODE);
    CHECK(node == NULL);
    json_decref(node);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_binding_subresource), T(test_binds_to_the_node_with_an_event),
              T(test_node_selector_waits_for_a_matching_node), T(test_taints_and_tolerations),
              T(test_resources_and_claims), T(test_wait_for_first_consumer_claims),
              T(test_no_node_without_a_kubelet))
