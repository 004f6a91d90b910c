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

#include <time.h>
#include <unistd.h>

#include "k1s_api.h"
#include "k1s_controllers.h"
#include "k1s_kubelet.h"
#include "k1s_time.h"

#define NODE "node1"

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

/* The simulated kubelet of node NODE; cidr NULL: the default. */
static k1s_kubelet *start_kubelet(k1s_api *api, const char *cidr)
{
    k1s_kubelet_config cfg = {.api = api, .simulated = true, .node_name = NODE,
                              .node_ip = "0.0.0.0", .pod_cidr = cidr, .quiet = true};
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
    *cl = (cluster){.api = open_api()};
    if (!cl->api)
        return false;
    k1s_controllers_config cfg = {.api = cl->api, .node_name = NODE,
                                  .api_host = "127.0.0.1"};
    char *err = NULL;
    if (k1s_controllers_start(&cfg, &cl->ctl, &err) != 0) {
        fprintf(stderr, "controllers: %s\n", err ? err : "?");
        free(err);
        return false;
    }
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

static const json_t *at(const json_t *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *p = strtok_r(buf, ".", &save); p && o; p = strtok_r(NULL, ".", &save)) {
        char *end = NULL;
        long i = strtol(p, &end, 10);
        o = *end == 0 && json_is_array(o) ? json_array_get(o, (size_t)i) : json_object_get(o, p);
    }
    return o;
}

static const char *sat(const json_t *o, const char *path)
{
    return json_string_value(at(o, path));
}

static json_t *get(k1s_api *api, const char *group, const char *kind, const char *ns,
                   const char *name)
{
    k1s_target t = {k1s_registry_find_kind(group, kind), ns, name, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    if (k1s_api_get(api, &t, &out, &st) != 0)
        out = NULL;
    k1s_status_clear(&st);
    return out;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const json_t *condition(const json_t *obj, const char *type)
{
    size_t i;
    const json_t *c;
    json_array_foreach(at(obj, "status.conditions"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "type")), type))
            return c;
    }
    return NULL;
}

static int create(k1s_api *api, const char *kind, json_t *obj)
{
    k1s_target t = {k1s_registry_find_kind("", kind), "default", NULL, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    int rc = k1s_api_create(api, &t, obj, NULL, &out, &st);
    if (rc)
        fprintf(stderr, "create: %s\n", st.message ? st.message : "?");
    k1s_status_clear(&st);
    json_decref(out);
    json_decref(obj);
    return rc;
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
        "k8s.gcr.io/nginx-slim:0.8", "resources", "requests", "cpu", "10m", "volumeMounts",
        "name", "cache", "mountPath", "/cache", "readOnly", 1, "volumes", "name", "cache",
        "emptyDir");
    if (annotations)
        json_object_set_new(json_object_get(p, "metadata"), "annotations", annotations);
    return p;
}

static bool running_ready(const json_t *p)
{
    return p && sat(p, "status.phase") && !strcmp(sat(p, "status.phase"), "Running") &&
           condition(p, "Ready") && !strcmp(sat(condition(p, "Ready"), "status"), "True") &&
           sat(p, "status.podIP");
}

/* Poll (<= ms) until the pod runs; the last pod seen (new ref) or NULL. */
static json_t *wait_running(k1s_api *api, const char *name, int ms)
{
    json_t *p = NULL;
    for (long long t0 = k1s_time_mono_ms(); k1s_time_mono_ms() - t0 <= ms; sleep_ms(5)) {
        json_decref(p);
        p = get(api, "", "Pod", "default", name);
        if (running_ready(p))
            break;
    }
    return p;
}

/* Poll (<= ms) until the pod is gone; how long it took, or -1. */
static long long wait_gone(k1s_api *api, const char *name, int ms)
{
    long long t0 = k1s_time_mono_ms();
    while (k1s_time_mono_ms() - t0 <= ms) {
        json_t *p = get(api, "", "Pod", "default", name);
        json_decref(p);
        if (!p)
            return k1s_time_mono_ms() - t0;
        sleep_ms(10);
    }
    return -1;
}

static int delete_pod(k1s_api *api, const char *name)
{
    k1s_target t = {k1s_registry_find_kind("", "Pod"), "default", name, NULL};
    k1s_opts o = {.grace_seconds = -1};
    k1s_status st = {0};
    json_t *out = NULL;
    int removed = 0;
    int rc = k1s_api_delete(api, &t, &o, &out, &removed, &st);
    k1s_status_clear(&st);
    json_decref(out);
    return rc ? -1 : removed;
}

/* The reasons of the events about obj (kind/name) that component recorded
 * (NULL: any), in the order they were recorded ("," joined) into buf. */
typedef struct evscan {
    const char *kind, *name, *component;
    json_t *found; /* [rv, reason] pairs */
} evscan;

static int ev_item(void *ctx, const char *text, size_t len)
{
    evscan *e = ctx;
    json_t *ev = json_loadb(text, len, 0, NULL);
    if (ev && !strcmp(sat(ev, "involvedObject.kind") ? sat(ev, "involvedObject.kind") : "", e->kind) &&
        !strcmp(sat(ev, "involvedObject.name") ? sat(ev, "involvedObject.name") : "", e->name) &&
        (!e->component || (sat(ev, "source.component") && !strcmp(sat(ev, "source.component"), e->component))))
        json_array_append_new(e->found, json_pack("[I, s]", atoll(sat(ev, "metadata.resourceVersion")),
                                                  sat(ev, "reason")));
    json_decref(ev);
    return 0;
}

static int by_rv(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_array_get(*(json_t *const *)a, 0));
    json_int_t y = json_integer_value(json_array_get(*(json_t *const *)b, 0));
    return x < y ? -1 : x > y;
}

static void event_reasons(k1s_api *api, const char *kind, const char *name,
                          const char *component, char *buf, size_t len)
{
    evscan e = {kind, name, component, json_array()};
    k1s_list_opts lo = {0};
    k1s_list_result res = {0};
    k1s_status st = {0};
    if (k1s_api_list(api, k1s_registry_find_kind("", "Event"), NULL, &lo, ev_item, &e, &res, &st) == 0)
        k1s_list_result_free(&res);
    k1s_status_clear(&st);
    size_t n = json_array_size(e.found), used = 0;
    json_t **items = calloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(e.found, i);
    qsort(items, n, sizeof *items, by_rv);
    buf[0] = 0;
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 json_string_value(json_array_get(items[i], 1)));
    free(items);
    json_decref(e.found);
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
    json_t *node = get(api, "", "Node", "", NODE);
    CHECK(node != NULL);
    const json_t *labels = at(node, "metadata.labels");
    /* label keys have dots: no path lookups */
    CHECK_STR(json_string_value(json_object_get(labels, "kubernetes.io/hostname")), NODE);
    CHECK_STR(json_string_value(json_object_get(labels, "kubernetes.io/os")), "linux");
    CHECK(json_string_value(json_object_get(labels, "kubernetes.io/arch")) != NULL);
    CHECK_STR(json_string_value(json_object_get(labels, "node-role.kubernetes.io/control-plane")), "");
    CHECK_STR(sat(node, "spec.podCIDR"), "10.244.0.0/24");
    const json_t *ready = condition(node, "Ready");
    CHECK_STR(sat(ready, "status"), "True");
    CHECK_STR(sat(ready, "reason"), "KubeletReady");
    CHECK_STR(sat(ready, "message"), "kubelet is posting ready status");
    CHECK(sat(ready, "lastHeartbeatTime") != NULL);
    static const char *const calm[] = {"MemoryPressure", "DiskPressure", "PIDPressure", NULL};
    for (const char *const *c = calm; *c; c++)
        CHECK_STR(sat(condition(node, *c), "status"), "False");
    char cpus[32];
    snprintf(cpus, sizeof cpus, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    CHECK_STR(sat(node, "status.capacity.cpu"), cpus);
    CHECK_STR(sat(node, "status.capacity.pods"), "110");
    CHECK_STR(sat(node, "status.allocatable.pods"), "110");
    const char *mem = sat(node, "status.capacity.memory");
    CHECK(mem && strlen(mem) > 2 && mem[strspn(mem, "0123456789")] != 0);
    CHECK(json_object_get(at(node, "status.capacity"), "ephemeral-storage") != NULL);
    CHECK_STR(sat(node, "status.nodeInfo.kubeletVersion"), "v1.33.0-k1s");
    CHECK_STR(sat(node, "status.nodeInfo.containerRuntimeVersion"), "simulated://1.0");
    CHECK_STR(sat(node, "status.nodeInfo.operatingSystem"), "linux");
    CHECK(sat(node, "status.nodeInfo.kernelVersion") && *sat(node, "status.nodeInfo.kernelVersion"));
    const char *mid = sat(node, "status.nodeInfo.machineID");
    CHECK(mid && strlen(mid) >= 32);
    CHECK(sat(node, "status.nodeInfo.systemUUID") && *sat(node, "status.nodeInfo.systemUUID"));
    /* an unspecified node IP: 127.0.0.1, not the host's address */
    CHECK_STR(sat(node, "status.addresses.0.type"), "InternalIP");
    CHECK_STR(sat(node, "status.addresses.0.address"), "127.0.0.1");
    CHECK_STR(sat(node, "status.addresses.1.type"), "Hostname");
    CHECK_STR(sat(node, "status.addresses.1.address"), NODE);
    CHECK_INT(json_integer_value(at(node, "status.daemonEndpoints.kubeletEndpoint.Port")), 10250);
    json_decref(node);
    /* a kubelet's start, and the node controller's notice before NodeReady */
    char reasons[512];
    event_reasons(api, "Node", NODE, NULL, reasons, sizeof reasons);
    CHECK_STR(reasons, "Starting,NodeAllocatableEnforced,NodeHasSufficientMemory,"
                       "NodeHasNoDiskPressure,NodeHasSufficientPID,RegisteredNode,NodeReady");

    json_t *lease = get(api, "coordination.k8s.io", "Lease", "kube-node-lease", NODE);
    CHECK(lease != NULL);
    CHECK_STR(sat(lease, "spec.holderIdentity"), NODE);
    CHECK_INT(json_integer_value(at(lease, "spec.leaseDurationSeconds")), 40);
    const char *renew = sat(lease, "spec.renewTime");
    /* MicroTime: 2006-01-02T15:04:05.000000Z */
    CHECK(renew && strlen(renew) == 27 && renew[19] == '.' && renew[26] == 'Z');
    CHECK_STR(sat(lease, "metadata.ownerReferences.0.kind"), "Node");
    char first[40];
    snprintf(first, sizeof first, "%s", renew ? renew : "");
    json_decref(lease);
    /* renewed every 10 s */
    bool renewed = false;
    for (long long t0 = k1s_time_mono_ms(); !renewed && k1s_time_mono_ms() - t0 < 15000; sleep_ms(100)) {
        lease = get(api, "coordination.k8s.io", "Lease", "kube-node-lease", NODE);
        renew = sat(lease, "spec.renewTime");
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
        CHECK_INT(create(api, "Pod", pod(*n, NULL)), 0);
    char ips[3][32] = {"", "", ""};
    for (int i = 0; names[i]; i++) {
        json_t *p = wait_running(api, names[i], 10000);
        CHECK(running_ready(p));
        snprintf(ips[i], sizeof ips[i], "%s", sat(p, "status.podIP") ? sat(p, "status.podIP") : "");
        CHECK(!strncmp(ips[i], "10.244.0.", 9));
        CHECK_STR(sat(p, "status.podIPs.0.ip"), ips[i]);
        CHECK_STR(sat(p, "status.hostIP"), "127.0.0.1");
        CHECK_STR(sat(p, "status.hostIPs.0.ip"), "127.0.0.1");
        CHECK(sat(p, "status.startTime") != NULL);
        CHECK_STR(sat(p, "status.qosClass"), "Burstable");
        static const char *const conds[] = {"PodReadyToStartContainers", "Initialized", "Ready",
                                            "ContainersReady", "PodScheduled", NULL};
        for (int c = 0; conds[c]; c++) {
            const json_t *cond = json_array_get(at(p, "status.conditions"), (size_t)c);
            CHECK_STR(sat(cond, "type"), conds[c]);
            CHECK_STR(sat(cond, "status"), "True");
            CHECK(sat(cond, "lastTransitionTime") != NULL);
            CHECK(json_object_get(cond, "reason") == NULL);
        }
        const json_t *cs = at(p, "status.containerStatuses.0");
        CHECK_STR(sat(cs, "name"), "nginx");
        CHECK_STR(sat(cs, "image"), "k8s.gcr.io/nginx-slim:0.8");
        const char *iid = sat(cs, "imageID");
        CHECK(iid && !strncmp(iid, "k8s.gcr.io/nginx-slim@sha256:", 29) && strlen(iid) == 29 + 64);
        const char *cid = sat(cs, "containerID");
        CHECK(cid && !strncmp(cid, "simulated://", 12) && strlen(cid) == 12 + 64);
        CHECK(json_is_true(at(cs, "ready")));
        CHECK(json_is_true(at(cs, "started")));
        CHECK_INT(json_integer_value(at(cs, "restartCount")), 0);
        CHECK(sat(cs, "state.running.startedAt") != NULL);
        CHECK_STR(sat(cs, "volumeMounts.0.mountPath"), "/cache");
        CHECK_STR(sat(cs, "volumeMounts.0.recursiveReadOnly"), "Disabled");
        const json_t *ics = at(p, "status.initContainerStatuses.0");
        CHECK_STR(sat(ics, "name"), "setup");
        CHECK_STR(sat(ics, "image"), "docker.io/library/busybox:1.36");
        CHECK_STR(sat(ics, "state.terminated.reason"), "Completed");
        CHECK_INT(json_integer_value(at(ics, "state.terminated.exitCode")), 0);
        CHECK(json_is_false(at(ics, "started")));
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
    json_object_set_new(spec, "readinessGates", json_pack("[{s:s}]", "conditionType", "example.com/lb"));
    json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(spec, "containers"), 0),
                                                       "volumeMounts"), 0),
                        "recursiveReadOnly", json_string("IfPossible"));
    CHECK_INT(create(api, "Pod", p), 0);
    json_t *got = NULL;
    for (long long t0 = k1s_time_mono_ms(); k1s_time_mono_ms() - t0 < 10000; sleep_ms(5)) {
        json_decref(got);
        got = get(api, "", "Pod", "default", "gated");
        if (got && sat(got, "status.phase") && !strcmp(sat(got, "status.phase"), "Running"))
            break;
    }
    CHECK_STR(sat(got, "status.phase"), "Running");
    const json_t *ready = condition(got, "Ready");
    CHECK_STR(sat(ready, "status"), "False");
    CHECK_STR(sat(ready, "reason"), "ReadinessGatesNotReady");
    CHECK_STR(sat(ready, "message"),
              "corresponding condition of pod readiness gate \"example.com/lb\" does not exist.");
    CHECK_STR(sat(condition(got, "ContainersReady"), "status"), "True");
    /* a simulated runtime makes read-only mounts recursive when it may */
    CHECK_STR(sat(got, "status.containerStatuses.0.volumeMounts.0.recursiveReadOnly"), "Enabled");
    json_decref(got);
    stop(&cl);
}

TEST(test_deletion_after_the_containers_stop)
{
    cluster cl;
    CHECK(start(&cl, NULL));
    k1s_api *api = cl.api;
    CHECK_INT(create(api, "Pod", pod("quick", NULL)), 0);
    json_t *p = wait_running(api, "quick", 10000);
    CHECK(running_ready(p));
    json_decref(p);
    /* marked with the 30 s grace period, removed as soon as nginx stops */
    CHECK_INT(delete_pod(api, "quick"), 0);
    p = get(api, "", "Pod", "default", "quick");
    CHECK(p == NULL || sat(p, "metadata.deletionTimestamp") != NULL);
    json_decref(p);
    long long took = wait_gone(api, "quick", 5000);
    CHECK(took >= 0 && took < 2000);
    char reasons[512];
    event_reasons(api, "Pod", "quick", "kubelet", reasons, sizeof reasons);
    CHECK_STR(reasons, "Pulled,Created,Started,Pulled,Created,Started,Killing");

    /* containers that take 2 s to stop keep the pod that long */
    CHECK_INT(create(api, "Pod", pod("slow", json_pack("{s:s}", "k1s.io/simulated-stop-seconds", "2"))), 0);
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
    CHECK_INT(create(api, "Pod", pod("stay", NULL)), 0);
    json_t *before = wait_running(api, "stay", 10000);
    CHECK(running_ready(before));
    json_t *node1 = get(api, "", "Node", "", NODE);
    k1s_kubelet_stop(cl.kl);

    cl.kl = start_kubelet(api, NULL);
    CHECK(cl.kl != NULL);
    sleep_ms(500);
    json_t *after = get(api, "", "Pod", "default", "stay");
    /* not even rewritten */
    CHECK_STR(sat(after, "metadata.resourceVersion"), sat(before, "metadata.resourceVersion"));
    CHECK_STR(sat(after, "status.containerStatuses.0.containerID"),
              sat(before, "status.containerStatuses.0.containerID"));
    json_t *node2 = get(api, "", "Node", "", NODE);
    CHECK_STR(sat(node2, "metadata.uid"), sat(node1, "metadata.uid"));
    CHECK_STR(sat(condition(node2, "Ready"), "lastTransitionTime"),
              sat(condition(node1, "Ready"), "lastTransitionTime"));
    /* a new pod after the restart gets an address no other pod has */
    CHECK_INT(create(api, "Pod", pod("new", NULL)), 0);
    json_t *fresh = wait_running(api, "new", 10000);
    CHECK(running_ready(fresh));
    CHECK(strcmp(sat(fresh, "status.podIP") ? sat(fresh, "status.podIP") : "",
                 sat(after, "status.podIP") ? sat(after, "status.podIP") : "") != 0);
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
    json_t *node = get(api, "", "Node", "", NODE);
    CHECK_STR(sat(node, "spec.podCIDR"), "10.9.8.0/24");
    json_decref(node);
    CHECK_INT(create(api, "Pod", pod("here", NULL)), 0);
    json_t *p = wait_running(api, "here", 10000);
    CHECK(running_ready(p));
    CHECK_STR(sat(p, "status.podIP"), "10.9.8.2");
    json_decref(p);
    stop(&cl);
}

TEST(test_refused_settings)
{
    k1s_api *api = open_api();
    if (!api)
        return;
    static const char *const bad[] = {"10.0.0.0/16", "10.0.0.0", "fd00::/64", "10.0.0.0/24x",
                                      "10.0.0.0/024", "10.0.0.0/ 24", NULL};
    for (const char *const *c = bad; *c; c++) {
        k1s_kubelet_config cfg = {.api = api, .simulated = true, .node_name = NODE,
                                  .pod_cidr = *c, .quiet = true};
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
    json_t *node = get(api, "", "Node", "", NODE);
    CHECK(node == NULL);
    json_decref(node);
    k1s_api_close(api);
}

K1S_TEST_MAIN(T(test_node_and_lease), T(test_pods_run_with_unique_ips),
              T(test_readiness_gates_and_recursive_read_only),
              T(test_deletion_after_the_containers_stop), T(test_restart_keeps_running_pods),
              T(test_other_pod_cidr), T(test_refused_settings))
