/*
 * test_kubelet.c - the real kubelet on a real containerd, in process: an
 * API on an in-memory store with the built-in controllers (the scheduler
 * binds pods to the node), the kubelet started on a temp data dir with its
 * own containerd. Checks the Node and its Lease; a pod of the pause image
 * going Running and Ready with a pod IP and kubelet's container status
 * (and how long create -> Running takes); an nginx pod (when
 * scripts/build-nginx-image.sh can build the image) with an init container
 * and a readiness probe answering on its pod IP, exec/port-forward URLs and
 * log paths, a crashing container's CrashLoopBackOff, a failing one's Failed
 * phase, a liveness restart, env and volumes from a ConfigMap, hostNetwork;
 * a missing image's ErrImagePull then ImagePullBackOff; deletion and force
 * deletion removing the sandbox; containerd hung -> NotReady -> Ready; a
 * kubelet restart adopting a running pod (same container, no status write)
 * and sweeping a stray sandbox; and that nothing remains after stop
 * (processes, mounts, CNI cache, the bridge it made). Needs root and
 * containerd; exits 77 (skip) otherwise.
 */
#include "k1s_test.h"
#include "leftovers.h"

#include <arpa/inet.h>
#include <signal.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k1s_api.h"
#include "k1s_containerd.h"
#include "k1s_controllers.h"
#include "k1s_cri.h"
#include "k1s_fixture.h"
#include "k1s_kubelet.h"
#include "k1s_time.h"

#define NODE "podsync-node"
#define CIDR_PREFIX "10.244.217."
#define NGINX "k8s.gcr.io/nginx-slim:0.8"

static char tmpdir[64], data_dir[128];
static k1s_api *api;
static k1s_controllers *ctl;
static k1s_kubelet *kl;
static k1s_cri *cri; /* the test's own client, to look at the runtime */
static bool have_nginx;
static json_t *sandbox_ids; /* every sandbox the test saw, for the end check */

/* ---- helpers ---------------------------------------------------------------------- */

/* The string at path, "" when absent (for strcmp and strstr). */
static const char *sat(const json_t *o, const char *path)
{
    const char *s = fx_str(o, path);
    return s ? s : "";
}

static json_t *create_pod(const char *text)
{
    return fx_create_get(api, "Pod", "default", fx_json(text));
}

static void delete_pod(const char *name)
{
    fx_delete(api, "Pod", "default", name, -1);
}

static void print_events(const char *obj);

/* Wait until the pod's path reads want; the pod then (new), or NULL. */
static json_t *wait_pod(const char *name, const char *path, const char *want, int ms)
{
    int64_t deadline = fx_deadline(ms);
    json_t *p = NULL;
    do {
        json_decref(p);
        p = fx_get(api, "Pod", "default", name);
        if (p && !strcmp(sat(p, path), want))
            return p;
    } while (fx_poll(deadline));
    fprintf(stderr, "  pod %s: %s is \"%s\", not \"%s\"\n", name, path, p ? sat(p, path) : "(gone)",
            want);
    if (p) {
        char *dump = json_dumps(json_object_get(p, "status"), JSON_COMPACT);
        fprintf(stderr, "  status: %s\n", dump ? dump : "?");
        free(dump);
    }
    json_decref(p);
    print_events(name);
    return NULL;
}

static bool wait_gone(const char *name, int ms)
{
    return fx_wait_gone(api, "Pod", "default", name, ms);
}

static json_t *cri_list(const char *method, const char *uid)
{
    json_t *rq =
        uid ? json_pack("{s:{s:{s:s}}}", "filter", "label_selector", "io.kubernetes.pod.uid", uid)
            : NULL;
    json_t *r = NULL;
    k1s_cri_error e = {0};
    if (k1s_cri_call(cri, method, rq, &r, 10000, &e) != 0) {
        fprintf(stderr, "  %s: %s\n", method, e.message ? e.message : "?");
        k1s_cri_error_clear(&e);
    }
    json_decref(rq);
    return r;
}

static size_t count_listed(const char *method, const char *items, const char *uid)
{
    json_t *r = cri_list(method, uid);
    size_t n = json_array_size(json_object_get(r, items));
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(r, items), i, x) if (!strcmp(method, "ListPodSandbox"))
        json_array_append_new(sandbox_ids, json_string(sat(x, "id")));
    json_decref(r);
    return n;
}

/* What happened to obj, for a failure's diagnosis. */
static void print_events(const char *obj)
{
    json_t *evs = fx_list(api, "Event", NULL, NULL);
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e) if (!strcmp(sat(e, "involvedObject.name"), obj))
        fprintf(stderr, "  event %s %s: %s\n", sat(e, "type"), sat(e, "reason"), sat(e, "message"));
    json_decref(evs);
}

/* An event about obj with reason whose message contains part. */
static bool has_event(const char *obj, const char *reason, const char *part)
{
    json_t *evs = fx_list(api, "Event", NULL, NULL);
    bool found = false;
    size_t i;
    json_t *e;
    json_array_foreach(evs, i, e) found |= !strcmp(sat(e, "involvedObject.name"), obj) &&
                                           !strcmp(sat(e, "reason"), reason) &&
                                           strstr(sat(e, "message"), part);
    json_decref(evs);
    return found;
}

static int start_kubelet(void)
{
    k1s_kubelet_config cfg = {.api = api,
                              .node_name = NODE,
                              .data_dir = data_dir,
                              .pod_cidr = CIDR_PREFIX "0/24",
                              .quiet = !getenv("K1S_TEST_VERBOSE")};
    char *err = NULL;
    if (k1s_kubelet_start(&cfg, &kl, &err) != 0) {
        fprintf(stderr, "kubelet: %s\n", err ? err : "?");
        free(err);
        kl = NULL;
        return -1;
    }
    return 0;
}

/* ---- the node ----------------------------------------------------------------------- */

TEST(node_registered)
{
    json_t *n = fx_get(api, "Node", "", NODE);
    CHECK(n != NULL);
    const json_t *labels = fx_at(n, "metadata.labels");
    CHECK_STR(json_string_value(json_object_get(labels, "kubernetes.io/hostname")), NODE);
    CHECK_STR(json_string_value(json_object_get(labels, "kubernetes.io/os")), "linux");
    CHECK(json_object_get(labels, "kubernetes.io/arch") != NULL);
    CHECK_STR(json_string_value(json_object_get(labels, "node-role.kubernetes.io/control-plane")),
              "");
    const json_t *ready = NULL;
    size_t i;
    const json_t *c;
    json_array_foreach(fx_at(n, "status.conditions"), i, c) if (!strcmp(sat(c, "type"), "Ready"))
        ready = c;
    CHECK_STR(sat(ready, "status"), "True");
    CHECK_STR(sat(ready, "reason"), "KubeletReady");
    CHECK_STR(sat(ready, "message"), "kubelet is posting ready status");
    CHECK(!strncmp(sat(n, "status.nodeInfo.containerRuntimeVersion"), "containerd://", 13));
    CHECK_STR(sat(n, "status.nodeInfo.kubeletVersion"), "v1.33.0-k1s");
    CHECK(*sat(n, "status.nodeInfo.osImage") && *sat(n, "status.nodeInfo.kernelVersion"));
    char cpus[16];
    snprintf(cpus, sizeof cpus, "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    CHECK_STR(sat(n, "status.capacity.cpu"), cpus);
    CHECK_STR(sat(n, "status.capacity.pods"), "110");
    CHECK(strstr(sat(n, "status.capacity.memory"), "Ki") != NULL);
    CHECK_STR(sat(n, "status.addresses.0.type"), "InternalIP");
    CHECK(*sat(n, "status.addresses.0.address"));
    CHECK_STR(sat(n, "status.addresses.1.address"), NODE);
    CHECK_STR(sat(n, "spec.podCIDR"), CIDR_PREFIX "0/24");
    json_decref(n);
    json_t *l = fx_get(api, "Lease", "kube-node-lease", NODE);
    CHECK_STR(sat(l, "spec.holderIdentity"), NODE);
    json_decref(l);
}

/* ---- pods ------------------------------------------------------------------------------ */

static char pause_uid[64], pause_cid[200];

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

TEST(pause_pods_run_and_go)
{
    enum { N = 5 };
    long long took[N];
    char name[32], uids[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "p%d", i);
        char text[512];
        snprintf(text, sizeof text,
                 "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'%s','labels':{'app':'p'}},"
                 "'spec':{'containers':[{'name':'pause','image':'" K1S_PAUSE_IMAGE "'}]}}",
                 name);
        int64_t t0 = k1s_time_mono_ms();
        json_t *c = create_pod(text);
        snprintf(uids[i], sizeof uids[i], "%s", sat(c, "metadata.uid"));
        json_decref(c);
        json_t *p = wait_pod(name, "status.phase", "Running", 15000);
        took[i] = k1s_time_mono_ms() - t0;
        CHECK(p != NULL);
        if (i == 0 && p) {
            snprintf(pause_uid, sizeof pause_uid, "%s", uids[0]);
            snprintf(pause_cid, sizeof pause_cid, "%s",
                     sat(p, "status.containerStatuses.0.containerID"));
            CHECK(!strncmp(sat(p, "status.podIP"), CIDR_PREFIX, strlen(CIDR_PREFIX)));
            CHECK_STR(sat(p, "status.podIPs.0.ip"), sat(p, "status.podIP"));
            CHECK(*sat(p, "status.hostIP"));
            CHECK(*sat(p, "status.startTime"));
            const json_t *cs = fx_at(p, "status.containerStatuses.0");
            CHECK_STR(sat(cs, "name"), "pause");
            CHECK(*sat(cs, "state.running.startedAt"));
            CHECK(json_is_true(json_object_get(cs, "ready")));
            CHECK(json_is_true(json_object_get(cs, "started")));
            CHECK_INT(json_integer_value(json_object_get(cs, "restartCount")), 0);
            CHECK(!strncmp(sat(cs, "containerID"), "containerd://", 13));
            CHECK(*sat(cs, "imageID"));
            CHECK(strstr(sat(cs, "image"), "pause") != NULL);
            size_t j;
            const json_t *c2;
            int ready_true = 0;
            json_array_foreach(fx_at(p, "status.conditions"), j,
                               c2) if (!strcmp(sat(c2, "status"), "True")) ready_true++;
            CHECK_INT(ready_true, 5);
            CHECK(has_event("p0", "Started", "Started container pause"));
            CHECK(has_event("p0", "Pulled", "already present on machine"));
            CHECK_INT(count_listed("ListPodSandbox", "items", uids[0]), 1);
            CHECK_INT(count_listed("ListContainers", "containers", uids[0]), 1);
        }
        json_decref(p);
    }
    long long sorted[N];
    memcpy(sorted, took, sizeof took);
    qsort(sorted, N, sizeof sorted[0], cmp_ll);
    printf("create -> Running (ms):");
    for (int i = 0; i < N; i++)
        printf(" %lld", took[i]);
    printf("; p50 %lld ms\n", sorted[N / 2]);
    /* the target is 300 ms on an idle machine; most of it is containerd's
     * (RunPodSandbox, StartContainer), so only a gross regression fails */
    CHECK(sorted[N / 2] <= 2000);
    /* deletion: the pod leaves the API once its sandbox is gone */
    for (int i = 1; i < N; i++) {
        snprintf(name, sizeof name, "p%d", i);
        delete_pod(name);
    }
    for (int i = 1; i < N; i++) {
        snprintf(name, sizeof name, "p%d", i);
        CHECK(wait_gone(name, 15000));
        CHECK_INT(count_listed("ListPodSandbox", "items", uids[i]), 0);
        CHECK_INT(count_listed("ListContainers", "containers", uids[i]), 0);
        char dir[400];
        struct stat st;
        snprintf(dir, sizeof dir, "%s/pods/default_%s_%s", data_dir, name, uids[i]);
        CHECK(stat(dir, &st) != 0);
    }
    CHECK(has_event("p1", "Killing", "Stopping container pause"));
}

static void force_delete(const char *name)
{
    fx_delete(api, "Pod", "default", name, 0);
}

TEST(force_deleted_pod_is_cleaned_up)
{
    json_t *c = create_pod("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'gone'},'spec':{"
                           "'containers':[{'name':'pause','image':'" K1S_PAUSE_IMAGE "'}]}}");
    char uid[64];
    snprintf(uid, sizeof uid, "%s", sat(c, "metadata.uid"));
    json_decref(c);
    json_t *p = wait_pod("gone", "status.phase", "Running", 15000);
    CHECK(p != NULL);
    json_decref(p);
    force_delete("gone");
    CHECK(wait_gone("gone", 1000));
    size_t left = 1;
    for (int i = 0; i < 100 && left; i++) {
        left = count_listed("ListPodSandbox", "items", uid) +
               count_listed("ListContainers", "containers", uid);
        if (left)
            fx_sleep_ms(50);
    }
    CHECK_INT(left, 0);
}

TEST(missing_image_backs_off)
{
    json_t *c = create_pod("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'ghost'},"
                           "'spec':{'containers':[{'name':'c','image':'k1s.invalid/ghost:1.0'}]}}");
    json_decref(c);
    json_t *p =
        wait_pod("ghost", "status.containerStatuses.0.state.waiting.reason", "ErrImagePull", 20000);
    CHECK(p != NULL);
    CHECK_STR(sat(p, "status.phase"), "Pending");
    CHECK(strstr(sat(p, "status.containerStatuses.0.state.waiting.message"), "ghost") != NULL);
    json_decref(p);
    p = wait_pod("ghost", "status.containerStatuses.0.state.waiting.reason", "ImagePullBackOff",
                 10000);
    CHECK(p != NULL);
    CHECK(!strncmp(sat(p, "status.containerStatuses.0.state.waiting.message"),
                   "Back-off pulling image \"k1s.invalid/ghost:1.0\"", 45));
    json_decref(p);
    CHECK(has_event("ghost", "Failed", "Failed to pull image \"k1s.invalid/ghost:1.0\""));
    CHECK(has_event("ghost", "BackOff", "Back-off pulling image"));
    CHECK(has_event("ghost", "Failed", "Error: ErrImagePull"));
    CHECK(has_event("ghost", "Failed", "Error: ImagePullBackOff"));
    if (getenv("K1S_TEST_VERBOSE"))
        print_events("ghost");
    delete_pod("ghost");
    CHECK(wait_gone("ghost", 15000));
}

/* An HTTP GET / to ip:80; the reply's first bytes into buf. */
static bool http_get(const char *ip, char *buf, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    bool ok = false;
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        const char req[] = "GET / HTTP/1.0\r\nHost: test\r\nUser-Agent: podsync-test\r\n\r\n";
        if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1)) {
            ssize_t n = read(fd, buf, len - 1);
            if (n > 0) {
                buf[n] = 0;
                ok = true;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

static bool file_contains(const char *path, const char *part)
{
    FILE *f = fopen(path, "r");
    char buf[65536];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return strstr(buf, part) != NULL;
}

TEST(nginx_serves_execs_and_logs)
{
    if (!have_nginx) {
        printf("  (no nginx image: skipped)\n");
        return;
    }
    json_t *c = create_pod("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web'},'spec':{"
                           "'initContainers':[{'name':'setup','image':'" NGINX "',"
                           "'command':['sh','-c','echo init done']}],"
                           "'containers':[{'name':'nginx','image':'" NGINX "',"
                           "'ports':[{'containerPort':80}],"
                           "'readinessProbe':{'tcpSocket':{'port':80},'periodSeconds':1}}]}}");
    json_decref(c);
    json_t *p = wait_pod("web", "status.conditions.2.status", "True", 15000);
    CHECK(p != NULL);
    CHECK_STR(sat(p, "status.phase"), "Running");
    CHECK_STR(sat(p, "status.initContainerStatuses.0.state.terminated.reason"), "Completed");
    CHECK_STR(sat(p, "status.conditions.2.type"), "Ready");
    char reply[512] = "";
    CHECK(http_get(sat(p, "status.podIP"), reply, sizeof reply));
    CHECK(!strncmp(reply, "HTTP/1.1 200", 12));
    const k1s_node_backend *b = k1s_kubelet_backend(kl);
    const char *cmd[] = {"echo", "hi"};
    k1s_stream_request rq = {.verb = "exec",
                             .pod = p,
                             .container = "nginx",
                             .command = cmd,
                             .ncommand = 2,
                             .out = true,
                             .err = true};
    char *url = NULL;
    k1s_status st = {0};
    CHECK(b->stream_url(b->ctx, &rq, &url, &st) == 0);
    CHECK(url && !strncmp(url, "http://127.0.0.1:", 17));
    free(url);
    url = NULL;
    int port = 80;
    k1s_stream_request pf = {.verb = "portforward", .pod = p, .ports = &port, .nports = 1};
    CHECK(b->stream_url(b->ctx, &pf, &url, &st) == 0);
    CHECK(url && strstr(url, "/portforward/") != NULL);
    free(url);
    url = NULL;
    k1s_stream_request bad = rq;
    bad.container = "setup"; /* exited: not running */
    CHECK(b->stream_url(b->ctx, &bad, &url, &st) != 0);
    CHECK_INT(st.code, 400);
    CHECK_STR(st.message, "container not found (\"setup\")");
    k1s_status_clear(&st);
    char *path = NULL;
    CHECK(b->log_path(b->ctx, p, "nginx", false, &path, &st) == 0);
    fx_sleep_ms(200);
    CHECK(path && file_contains(path, "podsync-test"));
    CHECK(path && strstr(path, "/nginx/0.log") != NULL);
    free(path);
    path = NULL;
    CHECK(b->log_path(b->ctx, p, "setup", false, &path, &st) == 0);
    CHECK(path && file_contains(path, "stdout F init done"));
    free(path);
    path = NULL;
    CHECK(b->log_path(b->ctx, p, "nginx", true, &path, &st) != 0);
    CHECK_STR(st.message, "previous terminated container \"nginx\" in pod \"web\" not found");
    k1s_status_clear(&st);
    json_decref(p);
    delete_pod("web");
    CHECK(wait_gone("web", 15000));
}

TEST(crashing_containers)
{
    if (!have_nginx) {
        printf("  (no nginx image: skipped)\n");
        return;
    }
    json_decref(create_pod("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'crash'},'spec':{"
                           "'containers':[{'name':'c','image':'" NGINX "',"
                           "'command':['sh','-c','echo bye; exit 1']}]}}"));
    json_decref(create_pod("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'once'},'spec':{"
                           "'restartPolicy':'Never','containers':[{'name':'c','image':'" NGINX "',"
                           "'command':['sh','-c','exit 3']}]}}"));
    json_decref(create_pod("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'sick'},'spec':{"
                           "'containers':[{'name':'nginx','image':'" NGINX "',"
                           "'livenessProbe':{'exec':{'command':['false']},'periodSeconds':1,"
                           "'failureThreshold':1}}]}}"));
    json_t *p = wait_pod("crash", "status.containerStatuses.0.state.waiting.reason",
                         "CrashLoopBackOff", 15000);
    CHECK(p != NULL);
    CHECK(json_integer_value(fx_at(p, "status.containerStatuses.0.restartCount")) >= 1);
    CHECK_INT(
        json_integer_value(fx_at(p, "status.containerStatuses.0.lastState.terminated.exitCode")),
        1);
    CHECK_STR(sat(p, "status.containerStatuses.0.lastState.terminated.reason"), "Error");
    CHECK_STR(sat(p, "status.phase"), "Running");
    CHECK(strstr(sat(p, "status.containerStatuses.0.state.waiting.message"),
                 "back-off 10s restarting failed container=c pod=crash_default(") != NULL);
    CHECK(has_event("crash", "BackOff",
                    "Back-off restarting failed container c in pod crash_default("));
    const k1s_node_backend *b = k1s_kubelet_backend(kl);
    char *path = NULL;
    k1s_status st = {0};
    CHECK(b->log_path(b->ctx, p, "c", true, &path, &st) == 0);
    CHECK(path && file_contains(path, "stdout F bye"));
    free(path);
    k1s_status_clear(&st);
    json_decref(p);
    p = wait_pod("once", "status.phase", "Failed", 15000);
    CHECK(p != NULL);
    CHECK_INT(json_integer_value(fx_at(p, "status.containerStatuses.0.state.terminated.exitCode")),
              3);
    CHECK_STR(sat(p, "status.containerStatuses.0.state.terminated.reason"), "Error");
    CHECK_INT(json_integer_value(fx_at(p, "status.containerStatuses.0.restartCount")), 0);
    /* a pod that is done gives its sandbox (and IP) back, keeps its logs */
    json_t *sb = NULL;
    for (int i = 0; i < 100; i++) {
        json_decref(sb);
        sb = cri_list("ListPodSandbox", sat(p, "metadata.uid"));
        if (!strcmp(sat(sb, "items.0.state"), "SANDBOX_NOTREADY"))
            break;
        fx_sleep_ms(20);
    }
    CHECK_STR(sat(sb, "items.0.state"), "SANDBOX_NOTREADY");
    json_decref(sb);
    json_decref(p);
    /* liveness: killed and restarted */
    int64_t end = k1s_time_mono_ms() + 15000;
    json_int_t restarts = 0;
    while (k1s_time_mono_ms() < end && restarts < 1) {
        p = fx_get(api, "Pod", "default", "sick");
        restarts = json_integer_value(fx_at(p, "status.containerStatuses.0.restartCount"));
        json_decref(p);
        fx_sleep_ms(50);
    }
    CHECK(restarts >= 1);
    CHECK(has_event("sick", "Killing", "Container nginx failed liveness probe, will be restarted"));
    CHECK(has_event("sick", "Unhealthy", "Liveness probe failed"));
    delete_pod("crash");
    delete_pod("once");
    delete_pod("sick");
    CHECK(wait_gone("crash", 15000));
    CHECK(wait_gone("once", 15000));
    CHECK(wait_gone("sick", 15000));
}

TEST(config_env_and_volumes)
{
    if (!have_nginx) {
        printf("  (no nginx image: skipped)\n");
        return;
    }
    CHECK(fx_create(api, "ConfigMap", "default",
                    fx_json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cfg'},"
                            "'data':{'greeting':'hello from cfg','file':'file body'}}")) == 0);
    k1s_status st = {0};
    json_decref(create_pod(
        "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'cfg'},'spec':{"
        "'restartPolicy':'Never','hostname':'custom','volumes':[{'name':'v','configMap':{'name':'cfg'}},"
        "{'name':'scratch','emptyDir':{}}],'containers':[{'name':'c','image':'" NGINX "',"
        "'command':['sh','-c','echo $GREETING; cat /cfg/file; echo; hostname; echo x > /s/f && cat /s/f'],"
        "'env':[{'name':'GREETING','valueFrom':{'configMapKeyRef':{'name':'cfg','key':'greeting'}}}],"
        "'volumeMounts':[{'name':'v','mountPath':'/cfg'},{'name':'scratch','mountPath':'/s'}]}]}}"));
    json_t *p = wait_pod("cfg", "status.phase", "Succeeded", 15000);
    CHECK(p != NULL);
    const k1s_node_backend *b = k1s_kubelet_backend(kl);
    char *path = NULL;
    CHECK(p && b->log_path(b->ctx, p, "c", false, &path, &st) == 0);
    CHECK(path && file_contains(path, "stdout F hello from cfg"));
    CHECK(path && file_contains(path, "stdout F file body"));
    CHECK(path && file_contains(path, "stdout F custom"));
    CHECK(path && file_contains(path, "stdout F x"));
    free(path);
    k1s_status_clear(&st);
    CHECK_STR(sat(p, "status.conditions.2.reason"), "PodCompleted");
    json_decref(p);
    /* hostNetwork: the node's address */
    json_decref(create_pod(
        "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'hostnet'},'spec':{"
        "'hostNetwork':true,'containers':[{'name':'pause','image':'" K1S_PAUSE_IMAGE "'}]}}"));
    p = wait_pod("hostnet", "status.phase", "Running", 15000);
    CHECK(p != NULL);
    CHECK_STR(sat(p, "status.podIP"), sat(p, "status.hostIP"));
    json_decref(p);
    delete_pod("cfg");
    delete_pod("hostnet");
    CHECK(wait_gone("cfg", 15000));
    CHECK(wait_gone("hostnet", 15000));
}

/* ---- the runtime ---------------------------------------------------------------------- */

static const json_t *node_ready(const json_t *n)
{
    size_t i;
    const json_t *c;
    json_array_foreach(fx_at(n, "status.conditions"), i,
                       c) if (!strcmp(sat(c, "type"), "Ready")) return c;
    return NULL;
}

static bool wait_node_ready(const char *status, const char *message, int ms)
{
    int64_t deadline = fx_deadline(ms);
    do {
        json_t *n = fx_get(api, "Node", "", NODE);
        const json_t *r = node_ready(n);
        bool ok = !strcmp(sat(r, "status"), status) && !strcmp(sat(r, "message"), message);
        json_decref(n);
        if (ok)
            return true;
    } while (fx_poll(deadline));
    return false;
}

TEST(runtime_down_and_back)
{
    /* containerd hung (stopped): the node goes NotReady with kubelet's
     * words, and Ready again by itself when it answers */
    char path[300], buf[32] = "";
    snprintf(path, sizeof path, "%s/containerd/containerd.pid", data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
    }
    pid_t pid = (pid_t)atoi(buf);
    CHECK(pid > 1);
    if (pid <= 1)
        return;
    kill(pid, SIGSTOP);
    bool down = wait_node_ready("False", "container runtime is down", 20000);
    kill(pid, SIGCONT);
    CHECK(down);
    CHECK(wait_node_ready("True", "kubelet is posting ready status", 20000));
    CHECK(has_event(NODE, "NodeNotReady", "status is now: NodeNotReady"));
    json_t *p = fx_get(api, "Pod", "default", "p0");
    CHECK_STR(sat(p, "status.phase"), "Running");
    CHECK_STR(sat(p, "status.containerStatuses.0.containerID"), pause_cid);
    json_decref(p);
}

/* ---- restart and stop --------------------------------------------------------------------- */

TEST(restart_adopts_running_pods)
{
    json_t *before = fx_get(api, "Pod", "default", "p0");
    CHECK_STR(sat(before, "status.phase"), "Running");
    /* a sandbox of no pod (as a crash between create and record would
     * leave): the sweep at start removes it */
    json_t *stray =
        json_pack("{s:{s:{s:s, s:s, s:s, s:i}, s:{s:s, s:s, s:s}, s:{s:{s:{s:s}}}}}", "config",
                  "metadata", "name", "stray", "uid", "stray-uid", "namespace", "default",
                  "attempt", 0, "labels", "io.kubernetes.pod.uid", "stray-uid",
                  "io.kubernetes.pod.name", "stray", "io.kubernetes.pod.namespace", "default",
                  "linux", "security_context", "namespace_options", "network", "NODE");
    json_t *r = NULL;
    k1s_cri_error e = {0};
    CHECK(k1s_cri_call(cri, "RunPodSandbox", stray, &r, 30000, &e) == 0);
    k1s_cri_error_clear(&e);
    json_decref(r);
    json_decref(stray);
    CHECK_INT(count_listed("ListPodSandbox", "items", "stray-uid"), 1);
    k1s_kubelet_stop(kl);
    kl = NULL;
    CHECK(start_kubelet() == 0);
    fx_sleep_ms(1500); /* the sweep and a pass of every pod have run */
    CHECK_INT(count_listed("ListPodSandbox", "items", "stray-uid"), 0);
    json_t *after = fx_get(api, "Pod", "default", "p0");
    CHECK_STR(sat(after, "status.phase"), "Running");
    CHECK_STR(sat(after, "status.containerStatuses.0.containerID"), pause_cid);
    CHECK_INT(json_integer_value(fx_at(after, "status.containerStatuses.0.restartCount")), 0);
    CHECK(json_equal(json_object_get(before, "status"), json_object_get(after, "status")));
    /* nothing was written: a status that did not change is not posted */
    CHECK_STR(sat(after, "metadata.resourceVersion"), sat(before, "metadata.resourceVersion"));
    CHECK_INT(count_listed("ListContainers", "containers", pause_uid), 1);
    CHECK_INT(count_listed("ListPodSandbox", "items", pause_uid), 1);
    json_decref(before);
    json_decref(after);
}

static bool dir_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n == 0;
}

/* The pod bridge carries this test's gateway address. */
static bool bridge_is_ours(void)
{
    return system("ip -4 addr show k1s0 2>/dev/null | grep -q 'inet " CIDR_PREFIX "1/'") == 0;
}

TEST(stop_leaves_nothing)
{
    delete_pod("p0");
    CHECK(wait_gone("p0", 15000));
    CHECK_INT(count_listed("ListPodSandbox", "items", NULL), 0);
    CHECK_INT(count_listed("ListContainers", "containers", NULL), 0);
    char pods[300];
    snprintf(pods, sizeof pods, "%s/pods", data_dir);
    CHECK(dir_empty(pods));
    k1s_cri_close(cri);
    cri = NULL;
    k1s_kubelet_stop(kl);
    kl = NULL;
    int left = 0;
    for (int i = 0; i < 50 && (left = k1s_test_procs_mentioning(tmpdir, i == 49)) > 0; i++)
        fx_sleep_ms(100); /* shims exit a moment after their last task */
    CHECK_INT(left, 0);
    CHECK(!k1s_test_mounts_under(tmpdir));
    /* the bridge this test's pod CIDR made goes too, so the next k1s on the
     * host (with its own CIDR) can make it again */
    if (bridge_is_ours() && dir_empty("/sys/class/net/k1s0/brif"))
        CHECK(system("ip link del k1s0") == 0);
    size_t i;
    const json_t *id;
    json_array_foreach(sandbox_ids, i, id)
    {
        char cache[400];
        snprintf(cache, sizeof cache, "/var/lib/cni/results/k1s-%s-eth0", json_string_value(id));
        CHECK(access(cache, F_OK) != 0);
    }
}

#define main kubelet_tests
K1S_TEST_MAIN(T(node_registered), T(pause_pods_run_and_go), T(force_deleted_pod_is_cleaned_up),
              T(missing_image_backs_off), T(nginx_serves_execs_and_logs), T(crashing_containers),
              T(config_env_and_volumes), T(runtime_down_and_back), T(restart_adopts_running_pods),
              T(stop_leaves_nothing))
#undef main

/* The nginx stand-in image into <data-dir>/images, imported at start. */
static bool build_nginx(void)
{
    const char *src = getenv("K1S_SOURCE_DIR");
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s/scripts/build-nginx-image.sh", src ? src : ".");
    if (access(cmd, X_OK) != 0)
        return false;
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/images' && '%s/scripts/build-nginx-image.sh' "
             "'%s/images/nginx.tar' >/dev/null 2>&1",
             data_dir, src ? src : ".", data_dir);
    return system(cmd) == 0;
}

/* Whether another k1s's containerd runs on this host (its CNI config names
 * the same bridge). */
static bool other_k1s_containerd(void)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    bool found = false;
    while (d && !found && (de = readdir(d))) {
        char buf[4096];
        if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
            k1s_test_cmdline(de->d_name, buf, sizeof buf))
            found = strstr(buf, "containerd --config ") && strstr(buf, "/containerd/config.toml");
    }
    if (d)
        closedir(d);
    return found;
}

/* The CNI bridge (k1s0) is one per host, and its address is the pod CIDR's
 * gateway: another k1s running now (a different CIDR) and this test cannot
 * share it, so the test waits for that one to stop. A bridge left with
 * another address by a k1s that is gone, with no pod attached, is removed
 * so it is made afresh. 0 free, 77 still in use after a minute (skip). */
static int free_bridge(void)
{
    for (int i = 0; i < 600; i++) {
        bool others = other_k1s_containerd();
        if (!others && (access("/sys/class/net/k1s0", F_OK) != 0 || bridge_is_ours()))
            return 0;
        if (!others && dir_empty("/sys/class/net/k1s0/brif")) {
            if (system("ip link del k1s0 2>/dev/null") != 0)
                fprintf(stderr, "could not remove the bridge k1s0\n");
            return 0;
        }
        if (i == 0)
            fprintf(stderr, "waiting for another k1s on this host (bridge k1s0) to stop\n");
        fx_sleep_ms(100);
    }
    fprintf(stderr, "\n*** SKIPPED test_kubelet: another k1s on this host uses the pod bridge "
                    "k1s0 ***\n\n");
    return 77;
}

int main(void)
{
    if (geteuid() != 0 || system("command -v containerd >/dev/null && "
                                 "command -v runc >/dev/null") != 0) {
        fprintf(stderr, "\n*** SKIPPED test_kubelet: needs root, containerd and runc "
                        "(apt-get install containerd runc containernetworking-plugins) ***\n\n");
        return 77;
    }
    int busy = free_bridge();
    if (busy)
        return busy;
    fx_tmpdir(tmpdir, sizeof tmpdir, "podsync");
    snprintf(data_dir, sizeof data_dir, "%s/data", tmpdir);
    mkdir(data_dir, 0755);
    have_nginx = build_nginx();
    if (!have_nginx)
        fprintf(stderr, "note: the nginx image could not be built; its tests are skipped\n");
    sandbox_ids = json_array();
    int rc = 1;
    char *err = NULL;
    if ((api = fx_api_open()) && (ctl = fx_controllers_start(api, NODE)) && start_kubelet() == 0) {
        char sock[300];
        snprintf(sock, sizeof sock, "%s/containerd/containerd.sock", data_dir);
        if (k1s_cri_open(sock, &cri, &err) != 0) {
            fprintf(stderr, "cri: %s\n", err ? err : "?");
            free(err);
        } else {
            rc = kubelet_tests();
        }
    }
    k1s_cri_close(cri);
    k1s_kubelet_stop(kl);
    k1s_controllers_stop(ctl);
    k1s_api_close(api);
    json_decref(sandbox_ids);
    if (k1s_test_procs_mentioning(tmpdir, false) || k1s_test_mounts_under(tmpdir)) {
        /* a failed run: take away what it left, as an operator would */
        const char *src = getenv("K1S_SOURCE_DIR");
        char cmd[600];
        snprintf(cmd, sizeof cmd, "'%s/scripts/k1s-cleanup.sh' '%s' >/dev/null 2>&1",
                 src ? src : ".", data_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cleanup script failed\n");
        rc = 1;
    }
    if (k1s_test_mounts_under(tmpdir)) {
        fprintf(stderr, "mounts remain under %s; not removed\n", tmpdir);
        return 1;
    }
    if (fx_rmtree(tmpdir) != 0)
        rc = 1;
    return rc;
}
