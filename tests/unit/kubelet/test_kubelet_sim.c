/*
 * test_kubelet_sim.c - the kubelet's simulated mode, started as k1s starts
 * it (k1s_kubelet_start with simulated set, next to the built-in
 * controllers, whose scheduler binds the pods): the Node it registers
 * (labels, conditions, capacity from the host), the Lease it renews, pods
 * bound to it going Running and Ready with unique IPs and a kubelet's
 * status, deletion after the containers stop, a restart of the kubelet
 * that changes nothing already running, another pod CIDR, and what it
 * refuses. Needs no root and no containerd.
 */
#include "k1s_test.h"

#include <unistd.h>

#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_fixture.h"
#include "k1s_kubelet.h"
#include "k1s_time.h"

#define NODE "node1"

/* The simulated kubelet of node NODE; cidr NULL: the default. */
static k1s_kubelet *start_kubelet(k1s_api *api, const char *cidr)
{
    k1s_kubelet_config cfg = {.api = api,
                              .simulated = true,
                              .node_name = NODE,
                              .node_ip = "0.0.0.0",
                              .pod_cidr = cidr,
                              .quiet = true};
    k1s_kubelet *kl = NULL;
    char *err = NULL;
    if (k1s_kubelet_start(&cfg, &kl, &err) != 0) {
        fprintf(stderr, "kubelet: %s\n", err ? err : "?");
        free(err);
        return NULL;
    }
    return kl;
}

/* A cluster as k1s runs it: the built-in controllers (the scheduler binds
 * to NODE), then the kubelet. */
typedef struct cluster {
    k1s_api *api;
    k1s_controllers *ctl;
    k1s_kubelet *kl;
} cluster;

static bool start(cluster *cl, const char *cidr)
{
    *cl = (cluster){.api = fx_api_open()};
    if (!cl->api || !(cl->ctl = fx_controllers_start(cl->api, NODE)))
        return false;
    cl->kl = start_kubelet(cl->api, cidr);
    return cl->kl != NULL;
}

static void stop(cluster *cl)
{
    k1s_kubelet_stop(cl->kl);
    k1s_controllers_stop(cl->ctl);
    k1s_api_close(cl->api);
    *cl = (cluster){0};
}

/* A pod with an init container and an nginx container mounting a volume.
 * annotations: stolen, may be NULL. */
static json_t *pod(const char *name, json_t *annotations)
{
    json_t *p = json_pack(
        "{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:s}], s:[{s:s, s:s, s:{s:{s:s}}, s:[{s:s, s:s, s:b}]}],"
        " s:[{s:s, s:{}}]}}",
        "apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "spec", "initContainers",
        "name", "setup", "image", "busybox:1.36", "containers", "name", "nginx", "image",
        "k8s.gcr.io/nginx-slim:0.8", "resources", "requests", "cpu", "10m", "volumeMounts", "name",
        "cache", "mountPath", "/cache", "readOnly", 1, "volumes", "name", "cache", "emptyDir");
    if (annotations)
        json_object_set_new(json_object_get(p, "metadata"), "annotations", annotations);
    return p;
}

static bool running_ready(const json_t *p)
{
    return p && fx_str(p, "status.phase") && !strcmp(fx_str(p, "status.phase"), "Running") &&
           fx_condition(p, "Ready") &&
           !strcmp(fx_str(fx_condition(p, "Ready"), "status"), "True") && fx_str(p, "status.podIP");
}

static bool is_running_ready(const json_t *p, const void *unused)
{
    (void)unused;
    return running_ready(p);
}

/* Poll (<= ms) until the pod runs; the last pod seen (new ref) or NULL. */
static json_t *wait_running(k1s_api *api, const char *name, int ms)
{
    return fx_wait_obj(api, "Pod", "default", name, is_running_ready, NULL, ms);
}

/* Poll (<= ms) until the pod is gone; how long it took, or -1. */
static long long wait_gone(k1s_api *api, const char *name, int ms)
{
    long long t0 = k1s_time_mono_ms();
    return fx_wait_gone(api, "Pod", "default", name, ms) ? k1s_time_mono_ms() - t0 : -1;
}

/* Delete with the grace period: -1 on failure, else whether it went at once. */
static int delete_pod(k1s_api *api, const char *name)
{
    int removed = 0;
    return fx_delete_with(api, "Pod", "default", name, NULL, &removed) ? -1 : removed;
}

/* Whether ev is about kind/name and from component (NULL: any). */
static bool event_of(const json_t *ev, const char *kind, const char *name, const char *component)
{
    const char *k = fx_str(ev, "involvedObject.kind"), *n = fx_str(ev, "involvedObject.name");
    const char *c = fx_str(ev, "source.component");
    return k && n && !strcmp(k, kind) && !strcmp(n, name) &&
           (!component || (c && !strcmp(c, component)));
}

static int by_rv(const void *a, const void *b)
{
    long long x = atoll(fx_str(*(json_t *const *)a, "metadata.resourceVersion"));
    long long y = atoll(fx_str(*(json_t *const *)b, "metadata.resourceVersion"));
    return x < y ? -1 : x > y;
}

/* The reasons of the events about obj (kind/name) that component recorded
 * (NULL: any), in the order they were recorded ("," joined) into buf. */
static void event_reasons(k1s_api *api, const char *kind, const char *name, const char *component,
                          char *buf, size_t len)
{
    json_t *evs = fx_list(api, "Event", NULL, NULL);
    size_t n = 0, used = 0;
    json_t **items = calloc(json_array_size(evs) + 1, sizeof *items);
    size_t i;
    json_t *ev;
    json_array_foreach(evs, i, ev) if (event_of(ev, kind, name, component)) items[n++] = ev;
    qsort(items, n, sizeof *items, by_rv);
    buf[0] = 0;
    for (i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 fx_str(items[i], "reason"));
    free(items);
    json_decref(evs);
}

/* ---- the node ------------------------------------------------------------------------ */

TEST(test_node_and_lease)
{
    cluster cl;
    CHECK(start(&cl, NULL));
    k1s_api *api = cl.api;
    if (!cl.kl) {
        stop(&cl);
        return;
    }
    /* no exec or logs: nothing to reach */
    CHECK(k1s_kubelet_backend(cl.kl) == NULL);
    /* registered before k1s_kubelet_start returns */
    json_t *node = fx_get(api, "Node", "", NODE);
    CHECK(node != NULL);
    const json_t *labels = fx_at(node, "metadata.labels");
    /* label keys have dots: no path lookups */
    CHECK_STR(json_string_value(json_object_get(labels, "kubernetes.io/hostname")), NODE);
    CHECK_STR(json_string_value(json_object_get(labels, "kubernetes.io/os")), "linux");
    CHECK(json_string_value(json_object_get(labels, "kubernetes.io/arch")) != NULL);
    CHECK_STR(json_string_value(json_object_get(labels, "node-role.kubernetes.io/control-plane")),
              "");
    CHECK_STR(fx_str(node, "spec.podCIDR"), "10.244.0.0/24");
    const json_t *ready = fx_condition(node, "Ready");
    CHECK_STR(fx_str(ready, "status"), "True");
    CHECK_STR(fx_str(ready, "reason"), "KubeletReady");
    CHECK_STR(fx_str(ready, "message"), "kubelet is posting ready status");
    CHECK(fx_str(ready, "lastHeartbeatTime") != NULL);
    static const char *const calm[] = {"MemoryPressure", "DiskPressure", "PIDPressure", NULL};
    for (const char *const *c = calm; *c; c++)
        CHECK_STR(fx_str(fx_condition(node, *c), "status"), "False");
    char cpus[32];
    snprintf(cpus, sizeof cpus, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    CHECK_STR(fx_str(node, "status.capacity.cpu"), cpus);
    CHECK_STR(fx_str(node, "status.capacity.pods"), "110");
    CHECK_STR(fx_str(node, "status.allocatable.pods"), "110");
    const char *mem = fx_str(node, "status.capacity.memory");
    CHECK(mem && strlen(mem) > 2 && mem[strspn(mem, "0123456789")] != 0);
    CHECK(json_object_get(fx_at(node, "status.capacity"), "ephemeral-storage") != NULL);
    CHECK_STR(fx_str(node, "status.nodeInfo.kubeletVersion"), "v1.33.0-k1s");
    CHECK_STR(fx_str(node, "status.nodeInfo.containerRuntimeVersion"), "simulated://1.0");
    CHECK_STR(fx_str(node, "status.nodeInfo.operatingSystem"), "linux");
    CHECK(fx_str(node, "status.nodeInfo.kernelVersion") &&
          *fx_str(node, "status.nodeInfo.kernelVersion"));
    const char *mid = fx_str(node, "status.nodeInfo.machineID");
    CHECK(mid && strlen(mid) >= 32);
    CHECK(fx_str(node, "status.nodeInfo.systemUUID") &&
          *fx_str(node, "status.nodeInfo.systemUUID"));
    /* an unspecified node IP: 127.0.0.1, not the host's address */
    CHECK_STR(fx_str(node, "status.addresses.0.type"), "InternalIP");
    CHECK_STR(fx_str(node, "status.addresses.0.address"), "127.0.0.1");
    CHECK_STR(fx_str(node, "status.addresses.1.type"), "Hostname");
    CHECK_STR(fx_str(node, "status.addresses.1.address"), NODE);
    CHECK_INT(json_integer_value(fx_at(node, "status.daemonEndpoints.kubeletEndpoint.Port")),
              10250);
    json_decref(node);
    /* a kubelet's start, and the node controller's notice before NodeReady */
    char reasons[512];
    event_reasons(api, "Node", NODE, NULL, reasons, sizeof reasons);
    CHECK_STR(reasons, "Starting,NodeAllocatableEnforced,NodeHasSufficientMemory,"
                       "NodeHasNoDiskPressure,NodeHasSufficientPID,RegisteredNode,NodeReady");

    json_t *lease = fx_get(api, "Lease", "kube-node-lease", NODE);
    CHECK(lease != NULL);
    CHECK_STR(fx_str(lease, "spec.holderIdentity"), NODE);
    CHECK_INT(json_integer_value(fx_at(lease, "spec.leaseDurationSeconds")), 40);
    const char *renew = fx_str(lease, "spec.renewTime");
    /* MicroTime: 2006-01-02T15:04:05.000000Z */
    CHECK(renew && strlen(renew) == 27 && renew[19] == '.' && renew[26] == 'Z');
    CHECK_STR(fx_str(lease, "metadata.ownerReferences.0.kind"), "Node");
    char first[40];
    snprintf(first, sizeof first, "%s", renew ? renew : "");
    json_decref(lease);
    /* renewed every 10 s */
    bool renewed = false;
    for (long long t0 = k1s_time_mono_ms(); !renewed && k1s_time_mono_ms() - t0 < 15000;
         fx_sleep_ms(100)) {
        lease = fx_get(api, "Lease", "kube-node-lease", NODE);
        renew = fx_str(lease, "spec.renewTime");
        renewed = renew && strcmp(renew, first) > 0;
        json_decref(lease);
    }
    CHECK(renewed);
    stop(&cl);
}

/* ---- pods ----------------------------------------------------------------------------- */

TEST(test_pods_run_with_unique_ips)
{
    cluster cl;
    CHECK(start(&cl, NULL));
    k1s_api *api = cl.api;
    long long t0 = k1s_time_mono_ms();
    static const char *const names[] = {"web-0", "web-1", "web-2", NULL};
    for (const char *const *n = names; *n; n++)
        CHECK_INT(fx_create(api, "Pod", "default", pod(*n, NULL)), 0);
    char ips[3][32] = {"", "", ""};
    for (int i = 0; names[i]; i++) {
        json_t *p = wait_running(api, names[i], 10000);
        CHECK(running_ready(p));
        snprintf(ips[i], sizeof ips[i], "%s",
                 fx_str(p, "status.podIP") ? fx_str(p, "status.podIP") : "");
        CHECK(!strncmp(ips[i], "10.244.0.", 9));
        CHECK_STR(fx_str(p, "status.podIPs.0.ip"), ips[i]);
        CHECK_STR(fx_str(p, "status.hostIP"), "127.0.0.1");
        CHECK_STR(fx_str(p, "status.hostIPs.0.ip"), "127.0.0.1");
        CHECK(fx_str(p, "status.startTime") != NULL);
        CHECK_STR(fx_str(p, "status.qosClass"), "Burstable");
        static const char *const conds[] = {"PodReadyToStartContainers", "Initialized",  "Ready",
                                            "ContainersReady",           "PodScheduled", NULL};
        for (int c = 0; conds[c]; c++) {
            const json_t *cond = json_array_get(fx_at(p, "status.conditions"), (size_t)c);
            CHECK_STR(fx_str(cond, "type"), conds[c]);
            CHECK_STR(fx_str(cond, "status"), "True");
            CHECK(fx_str(cond, "lastTransitionTime") != NULL);
            CHECK(json_object_get(cond, "reason") == NULL);
        }
        const json_t *cs = fx_at(p, "status.containerStatuses.0");
        CHECK_STR(fx_str(cs, "name"), "nginx");
        CHECK_STR(fx_str(cs, "image"), "k8s.gcr.io/nginx-slim:0.8");
        const char *iid = fx_str(cs, "imageID");
        CHECK(iid && !strncmp(iid, "k8s.gcr.io/nginx-slim@sha256:", 29) && strlen(iid) == 29 + 64);
        const char *cid = fx_str(cs, "containerID");
        CHECK(cid && !strncmp(cid, "simulated://", 12) && strlen(cid) == 12 + 64);
        CHECK(json_is_true(fx_at(cs, "ready")));
        CHECK(json_is_true(fx_at(cs, "started")));
        CHECK_INT(json_integer_value(fx_at(cs, "restartCount")), 0);
        CHECK(fx_str(cs, "state.running.startedAt") != NULL);
        CHECK_STR(fx_str(cs, "volumeMounts.0.mountPath"), "/cache");
        CHECK_STR(fx_str(cs, "volumeMounts.0.recursiveReadOnly"), "Disabled");
        const json_t *ics = fx_at(p, "status.initContainerStatuses.0");
        CHECK_STR(fx_str(ics, "name"), "setup");
        CHECK_STR(fx_str(ics, "image"), "docker.io/library/busybox:1.36");
        CHECK_STR(fx_str(ics, "state.terminated.reason"), "Completed");
        CHECK_INT(json_integer_value(fx_at(ics, "state.terminated.exitCode")), 0);
        CHECK(json_is_false(fx_at(ics, "started")));
        json_decref(p);
    }
    /* quick: three pods scheduled and running well within a second (ASan) */
    CHECK(k1s_time_mono_ms() - t0 < 3000);
    CHECK(strcmp(ips[0], ips[1]) && strcmp(ips[1], ips[2]) && strcmp(ips[0], ips[2]));
    char reasons[512];
    /* the scheduler's Scheduled runs apart: the kubelet's own, in order */
    event_reasons(api, "Pod", "web-0", "kubelet", reasons, sizeof reasons);
    CHECK_STR(reasons, "Pulled,Created,Started,Pulled,Created,Started");
    stop(&cl);
}

TEST(test_readiness_gates_and_recursive_read_only)
{
    cluster cl;
    CHECK(start(&cl, NULL));
    k1s_api *api = cl.api;
    json_t *p = pod("gated", NULL);
    json_t *spec = json_object_get(p, "spec");
    json_object_set_new(spec, "readinessGates",
                        json_pack("[{s:s}]", "conditionType", "example.com/lb"));
    json_object_set_new(
        json_array_get(
            json_object_get(json_array_get(json_object_get(spec, "containers"), 0), "volumeMounts"),
            0),
        "recursiveReadOnly", json_string("IfPossible"));
    CHECK_INT(fx_create(api, "Pod", "default", p), 0);
    json_t *got = NULL;
    for (long long t0 = k1s_time_mono_ms(); k1s_time_mono_ms() - t0 < 10000; fx_sleep_ms(5)) {
        json_decref(got);
        got = fx_get(api, "Pod", "default", "gated");
        if (got && fx_str(got, "status.phase") && !strcmp(fx_str(got, "status.phase"), "Running"))
            break;
    }
    CHECK_STR(fx_str(got, "status.phase"), "Running");
    const json_t *ready = fx_condition(got, "Ready");
    CHECK_STR(fx_str(ready, "status"), "False");
    CHECK_STR(fx_str(ready, "reason"), "ReadinessGatesNotReady");
    CHECK_STR(fx_str(ready, "message"),
              "corresponding condition of pod readiness gate \"example.com/lb\" does not exist.");
    CHECK_STR(fx_str(fx_condition(got, "ContainersReady"), "status"), "True");
    /* a simulated runtime makes read-only mounts recursive when it may */
    CHECK_STR(fx_str(got, "status.containerStatuses.0.volumeMounts.0.recursiveReadOnly"),
              "Enabled");
    json_decref(got);
    stop(&cl);
}

TEST(test_deletion_after_the_containers_stop)
{
    cluster cl;
    CHECK(start(&cl, NULL));
    k1s_api *api = cl.api;
    CHECK_INT(fx_create(api, "Pod", "default", pod("quick", NULL)), 0);
    json_t *p = wait_running(api, "quick", 10000);
    CHECK(running_ready(p));
    json_decref(p);
    /* marked with the 30 s grace period, removed as soon as nginx stops */
    CHECK_INT(delete_pod(api, "quick"), 0);
    p = fx_get(api, "Pod", "default", "quick");
    CHECK(p == NULL || fx_str(p, "metadata.deletionTimestamp") != NULL);
    json_decref(p);
    long long took = wait_gone(api, "quick", 5000);
    CHECK(took >= 0 && took < 2000);
    char reasons[512];
    event_reasons(api, "Pod", "quick", "kubelet", reasons, sizeof reasons);
    CHECK_STR(reasons, "Pulled,Created,Started,Pulled,Created,Started,Killing");

    /* containers that take 2 s to stop keep the pod that long */
    CHECK_INT(fx_create(api, "Pod", "default",
                        pod("slow", json_pack("{s:s}", "k1s.io/simulated-stop-seconds", "2"))),
              0);
    p = wait_running(api, "slow", 10000);
    CHECK(running_ready(p));
    json_decref(p);
    CHECK_INT(delete_pod(api, "slow"), 0);
    took = wait_gone(api, "slow", 6000);
    CHECK(took >= 900 && took < 4000);
    stop(&cl);
}

TEST(test_restart_keeps_running_pods)
{
    cluster cl;
    CHECK(start(&cl, NULL));
    k1s_api *api = cl.api;
    CHECK_INT(fx_create(api, "Pod", "default", pod("stay", NULL)), 0);
    json_t *before = wait_running(api, "stay", 10000);
    CHECK(running_ready(before));
    json_t *node1 = fx_get(api, "Node", "", NODE);
    k1s_kubelet_stop(cl.kl);

    cl.kl = start_kubelet(api, NULL);
    CHECK(cl.kl != NULL);
    fx_sleep_ms(500);
    json_t *after = fx_get(api, "Pod", "default", "stay");
    /* not even rewritten */
    CHECK_STR(fx_str(after, "metadata.resourceVersion"),
              fx_str(before, "metadata.resourceVersion"));
    CHECK_STR(fx_str(after, "status.containerStatuses.0.containerID"),
              fx_str(before, "status.containerStatuses.0.containerID"));
    json_t *node2 = fx_get(api, "Node", "", NODE);
    CHECK_STR(fx_str(node2, "metadata.uid"), fx_str(node1, "metadata.uid"));
    CHECK_STR(fx_str(fx_condition(node2, "Ready"), "lastTransitionTime"),
              fx_str(fx_condition(node1, "Ready"), "lastTransitionTime"));
    /* a new pod after the restart gets an address no other pod has */
    CHECK_INT(fx_create(api, "Pod", "default", pod("new", NULL)), 0);
    json_t *fresh = wait_running(api, "new", 10000);
    CHECK(running_ready(fresh));
    CHECK(strcmp(fx_str(fresh, "status.podIP") ? fx_str(fresh, "status.podIP") : "",
                 fx_str(after, "status.podIP") ? fx_str(after, "status.podIP") : "") != 0);
    json_decref(fresh);
    json_decref(before);
    json_decref(after);
    json_decref(node1);
    json_decref(node2);
    stop(&cl);
}

/* ---- settings ----------------------------------------------------------------------------- */

TEST(test_other_pod_cidr)
{
    cluster cl;
    CHECK(start(&cl, "10.9.8.0/24"));
    k1s_api *api = cl.api;
    json_t *node = fx_get(api, "Node", "", NODE);
    CHECK_STR(fx_str(node, "spec.podCIDR"), "10.9.8.0/24");
    json_decref(node);
    CHECK_INT(fx_create(api, "Pod", "default", pod("here", NULL)), 0);
    json_t *p = wait_running(api, "here", 10000);
    CHECK(running_ready(p));
    CHECK_STR(fx_str(p, "status.podIP"), "10.9.8.2");
    json_decref(p);
    stop(&cl);
}

TEST(test_refused_settings)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    static const char *const bad[] = {"10.0.0.0/16",  "10.0.0.0",     "fd00::/64", "10.0.0.0/24x",
                                      "10.0.0.0/024", "10.0.0.0/ 24", NULL};
    for (const char *const *c = bad; *c; c++) {
        k1s_kubelet_config cfg = {
            .api = api, .simulated = true, .node_name = NODE, .pod_cidr = *c, .quiet = true};
        k1s_kubelet *kl = NULL;
        char *err = NULL;
        CHECK_INT(k1s_kubelet_start(&cfg, &kl, &err), -1);
        CHECK(kl == NULL);
        CHECK(err && strstr(err, "must be an IPv4 /24"));
        free(err);
    }
    /* the containerd mode wants a data directory; nothing was registered */
    k1s_kubelet_config cfg = {.api = api, .node_name = NODE, .quiet = true};
    k1s_kubelet *kl = NULL;
    char *err = NULL;
    CHECK_INT(k1s_kubelet_start(&cfg, &kl, &err), -1);
    CHECK(err && strstr(err, "data directory"));
    free(err);
    json_t *node = fx_get(api, "Node", "", NODE);
    CHECK(node == NULL);
    json_decref(node);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_node_and_lease), T(test_pods_run_with_unique_ips),
              T(test_readiness_gates_and_recursive_read_only),
              T(test_deletion_after_the_containers_stop), T(test_restart_keeps_running_pods),
              T(test_other_pod_cidr), T(test_refused_settings))
