/*
 * kubelet_sim_node.c - the simulated kubelet's Node: registered at start
 * (or found and refreshed after a restart) with the host's real capacity
 * (CPUs, memory from /proc/meminfo, disk of the data directory), the
 * labels and system info a kubelet reports, conditions Ready and no
 * pressure; a Lease in kube-node-lease renewed every 10 s; the status
 * heartbeat (lastHeartbeatTime) posted about once a minute.
 */
#include "kubelet_sim_internal.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- facts about the host -------------------------------------------------------- */

/* The first line of a small file, without its newline, into buf ("" if
 * unreadable). */
static void first_line(const char *path, char *buf, size_t len)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(buf, (int)len, f))
        buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = 0;
}

static unsigned long long mem_total_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/* PRETTY_NAME from os-release, unquoted. */
static void os_image(char *buf, size_t len)
{
    snprintf(buf, len, "Linux");
    FILE *f = fopen("/etc/os-release", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "PRETTY_NAME=", 12) != 0)
            continue;
        char *v = line + 12;
        v[strcspn(v, "\r\n")] = 0;
        size_t n = strlen(v);
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
            v[n - 1] = 0;
            v++;
        }
        if (*v)
            snprintf(buf, len, "%.200s", v);
        break;
    }
    if (f)
        fclose(f);
}

/* Go's GOARCH for the machine uname reports. */
static const char *go_arch(void)
{
    struct utsname u;
    if (uname(&u) != 0)
        return "amd64";
    static const char *const map[][2] = {
        {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"},
        {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
        {NULL, NULL}};
    for (int i = 0; map[i][0]; i++)
        if (!strcmp(u.machine, map[i][0]))
            return map[i][1];
    return "amd64";
}

/* A machine ID for hosts without /etc/machine-id (containers): derived
 * from the node name, so it stays the same across restarts. */
static void machine_id(const char *node, char *buf, size_t len)
{
    first_line("/etc/machine-id", buf, len);
    if (strlen(buf) >= 32)
        return;
    unsigned char d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, node, strlen(node), d) != 0)
        memset(d, 0, sizeof d);
    size_t n = 0;
    for (int i = 0; i < 16 && n + 2 < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%02x", d[i]);
}

/* ---- the Node object -------------------------------------------------------------------- */

static json_t *resources(k1s__kubelet *k, bool allocatable)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long long mem = mem_total_kib();
    const k1s_controllers_config *cfg = k1s_ctrl_config(k->c);
    struct statvfs vfs;
    unsigned long long disk = 0;
    if (statvfs(cfg->data_dir ? cfg->data_dir : "/", &vfs) == 0)
        disk = (unsigned long long)vfs.f_blocks * vfs.f_frsize;
    char cpu[32], eph[48], memory[48];
    snprintf(cpu, sizeof cpu, "%ld", cpus > 0 ? cpus : 1);
    if (allocatable) {
        /* the kubelet's default hard eviction thresholds stay free:
         * memory.available<100Mi, nodefs.available<10% */
        snprintf(memory, sizeof memory, "%lluKi", mem > 102400 ? mem - 102400 : 0);
        snprintf(eph, sizeof eph, "%llu", disk / 10 * 9);
    } else {
        snprintf(memory, sizeof memory, "%lluKi", mem);
        snprintf(eph, sizeof eph, "%lluKi", disk / 1024);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "cpu", cpu, "ephemeral-storage", eph,
                     "hugepages-1Gi", "0", "hugepages-2Mi", "0", "memory", memory, "pods",
                     "110");
}

/* The four conditions a healthy kubelet posts; transition times carry
 * over from old (borrowed status, may be NULL) when nothing changed. */
static json_t *node_conditions(const json_t *old, const char *now)
{
    static const char *const rows[][4] = {
        {"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
        {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
        {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
        {"Ready", "True", "KubeletReady", "kubelet is posting ready status"},
    };
    json_t *out = json_array();
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const char *since = now;
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(old, "conditions"), i, c)
        {
            if (!strcmp(str(c, "type"), rows[r][0]) && !strcmp(str(c, "status"), rows[r][1]) &&
                json_is_string(json_object_get(c, "lastTransitionTime")))
                since = str(c, "lastTransitionTime");
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", rows[r][0],
                                             "status", rows[r][1], "lastHeartbeatTime", now,
                                             "lastTransitionTime", since, "reason", rows[r][2],
                                             "message", rows[r][3]));
    }
    return out;
}

/* The status the kubelet reports now. old: the stored status or NULL;
 * fields others own there (images, volumes, config) are kept. New ref. */
static json_t *node_status(k1s__kubelet *k, const json_t *old)
{
    char now[32], kernel[128] = "", osimg[256], mid[80], boot[80], uuid[80];
    k1s__kubelet_now(now, sizeof now);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s", u.release);
    os_image(osimg, sizeof osimg);
    machine_id(k->node, mid, sizeof mid);
    first_line("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    first_line("/sys/class/dmi/id/product_uuid", uuid, sizeof uuid);
    if (!*uuid && strlen(mid) >= 32)
        snprintf(uuid, sizeof uuid, "%.8s-%.4s-%.4s-%.4s-%.12s", mid, mid + 8, mid + 12,
                 mid + 16, mid + 20);
    json_t *s = json_pack(
        "{s:o, s:o, s:o, s:[{s:s, s:s}, {s:s, s:s}], s:{s:{s:i}},"
        " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "capacity", resources(k, false), "allocatable", resources(k, true), "conditions",
        node_conditions(old, now), "addresses", "type", "InternalIP", "address", k->node_ip,
        "type", "Hostname", "address", k->node, "daemonEndpoints", "kubeletEndpoint", "Port",
        10250, "nodeInfo", "machineID", mid, "systemUUID", uuid, "bootID", boot,
        "kernelVersion", kernel, "osImage", osimg, "containerRuntimeVersion",
        K1S__KUBELET_RUNTIME "://1.0", "kubeletVersion", K1S__KUBELET_VERSION,
        "kubeProxyVersion", "", "operatingSystem", "linux", "architecture", go_arch());
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)old, key, v)
    {
        if (!json_object_get(s, key))
            json_object_set(s, key, v);
    }
    return s;
}

/* Labels the kubelet owns and sets again at every start. */
static json_t *kubelet_labels(k1s__kubelet *k)
{
    const char *arch = go_arch();
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "beta.kubernetes.io/arch", arch,
                     "beta.kubernetes.io/os", "linux", "kubernetes.io/arch", arch,
                     "kubernetes.io/hostname", k->node, "kubernetes.io/os", "linux");
}

static void node_event(k1s__kubelet *k, const json_t *node, const char *reason,
                       const char *message)
{
    k1s_ctrl_event(k->c, K1S__KUBELET, node, "Normal", reason, "%s", message);
}

/* A new node's conditions as they appear, and the node controller's
 * notice (k1s has no separate node controller to post it). */
static void status_events(k1s__kubelet *k, const json_t *node)
{
    static const char *const became[] = {"NodeHasSufficientMemory", "NodeHasNoDiskPressure",
                                         "NodeHasSufficientPID", "NodeReady", NULL};
    char msg[600];
    for (const char *const *r = became; *r; r++) {
        if (!strcmp(*r, "NodeReady")) {
            snprintf(msg, sizeof msg, "Node %.253s event: Registered Node %.253s in Controller",
                     k->node, k->node);
            k1s_ctrl_event(k->c, "node-controller", node, "Normal", "RegisteredNode", "%s", msg);
        }
        snprintf(msg, sizeof msg, "Node %.253s status is now: %s", k->node, *r);
        node_event(k, node, *r, msg);
    }
}

static int create_node(k1s__kubelet *k, json_t **out)
{
    json_t *labels = kubelet_labels(k);
    json_object_set_new(labels, "node-role.kubernetes.io/control-plane", json_string(""));
    json_t *node = json_pack(
        "{s:s, s:s, s:{s:s, s:o, s:{s:s, s:s}}, s:{s:s, s:[s]}, s:o}", "apiVersion", "v1",
        "kind", "Node", "metadata", "name", k->node, "labels", labels, "annotations",
        "node.alpha.kubernetes.io/ttl", "0",
        "volumes.kubernetes.io/controller-managed-attach-detach", "true", "spec", "podCIDR",
        K1S__POD_CIDR, "podCIDRs", K1S__POD_CIDR, "status", node_status(k, NULL));
    int rc = k1s_ctrl_create(k->c, "", "Node", "", node, out);
    json_decref(node);
    return rc;
}

/* A restart finds the node: labels the kubelet owns set again, status
 * refreshed. cur: borrowed. */
static int refresh_node(k1s__kubelet *k, const json_t *cur, json_t **out)
{
    json_t *node = json_deep_copy(cur); /* new */
    json_t *m = json_object_get(node, "metadata");
    json_t *labels = json_object_get(m, "labels");
    if (!json_is_object(labels)) {
        labels = json_object();
        json_object_set_new(m, "labels", labels);
    }
    json_t *want = kubelet_labels(k);
    bool changed = false;
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v)
    {
        if (!json_equal(json_object_get(labels, key), v)) {
            json_object_set(labels, key, v);
            changed = true;
        }
    }
    json_decref(want);
    int rc = 0;
    if (changed) {
        json_t *upd = NULL;
        rc = k1s_ctrl_update(k->c, "", "Node", "", NULL, node, &upd);
        json_decref(node);
        node = upd;
    }
    if (rc == 0) {
        json_object_set_new(node, "status", node_status(k, json_object_get(cur, "status")));
        rc = k1s_ctrl_update(k->c, "", "Node", "", "status", node, out);
    }
    json_decref(node);
    return rc;
}

/* ---- the Lease ---------------------------------------------------------------------------- */

static void micro_time(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char sec[32];
    strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%.20s.%06dZ", sec, (int)(ts.tv_nsec / 1000) % 1000000);
}

/* Create or renew the node's lease. cur: the cached lease or NULL;
 * node_uid: for the owner reference (the lease goes with the node). */
static int renew_lease(k1s__kubelet *k, const json_t *cur, const char *node_uid)
{
    char now[40];
    micro_time(now, sizeof now);
    if (!cur) {
        json_t *lease = json_pack(
            "{s:s, s:s, s:{s:s, s:s, s:[{s:s, s:s, s:s, s:s}]}, s:{s:s, s:i, s:s}}",
            "apiVersion", "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
            k->node, "namespace", K1S__LEASE_NS, "ownerReferences", "apiVersion", "v1", "kind",
            "Node", "name", k->node, "uid", node_uid, "spec", "holderIdentity", k->node,
            "leaseDurationSeconds", 40, "renewTime", now);
        int rc = k1s_ctrl_create(k->c, "coordination.k8s.io", "Lease", K1S__LEASE_NS, lease, NULL);
        json_decref(lease);
        return rc == 409 ? 0 : rc; /* there already: the cache is behind */
    }
    json_t *lease = json_deep_copy(cur); /* new */
    json_t *spec = json_object_get(lease, "spec");
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(lease, "spec", spec);
    }
    json_object_set_new(spec, "holderIdentity", json_string(k->node));
    json_object_set_new(spec, "leaseDurationSeconds", json_integer(40));
    json_object_set_new(spec, "renewTime", json_string(now));
    int rc = k1s_ctrl_update(k->c, "coordination.k8s.io", "Lease", K1S__LEASE_NS, NULL, lease, NULL);
    json_decref(lease);
    return rc;
}

/* ---- registration and the periodic sync ------------------------------------------------------ */

int k1s__kubelet_register(k1s__kubelet *k)
{
    const k1s_kind *nk = k1s_registry_find_kind("", "Node");
    const k1s_kind *lk = k1s_registry_find_kind("coordination.k8s.io", "Lease");
    k1s_target t = {nk, "", k->node, NULL};
    k1s_status st = {0};
    json_t *cur = NULL, *node = NULL;
    int rc;
    if (k1s_api_get(k1s_ctrl_api(k->c), &t, &cur, &st) == 0) {
        rc = refresh_node(k, cur, &node);
    } else if (st.code == 404) {
        rc = create_node(k, &node);
    } else {
        fprintf(stderr, "k1s: kubelet: reading node %s: %s\n", k->node,
                st.message ? st.message : "?");
        rc = -1;
    }
    k1s_status_clear(&st);
    bool created = cur == NULL;
    json_decref(cur);
    if (rc) {
        json_decref(node);
        return -1;
    }
    /* the events of a kubelet's start, in its order */
    node_event(k, node, "Starting", "Starting kubelet.");
    node_event(k, node, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods");
    if (created)
        status_events(k, node);
    int64_t now = k1s_ctrl_now_ms();
    k->next_status = now + K1S__STATUS_REPORT_MS;
    json_t *lease = NULL;
    k1s_target lt = {lk, K1S__LEASE_NS, k->node, NULL};
    if (k1s_api_get(k1s_ctrl_api(k->c), &lt, &lease, &st) != 0)
        k1s_status_clear(&st);
    if (renew_lease(k, lease, json_string_value(json_object_get(
                                  json_object_get(node, "metadata"), "uid"))) == 0)
        k->next_lease = now + K1S__LEASE_RENEW_MS;
    json_decref(lease);
    json_decref(node);
    return 0;
}

int k1s__kubelet_sync_node(k1s__kubelet *k)
{
    int64_t now = k1s_ctrl_now_ms();
    k1s_informer *nodes = k1s_ctrl_informer(k->c, "", "Node");
    k1s_informer *leases = k1s_ctrl_informer(k->c, "coordination.k8s.io", "Lease");
    const json_t *node = nodes ? k1s_informer_get(nodes, "", k->node) : NULL;
    if (!node) {
        /* gone (deleted by someone): register again */
        if (k1s__kubelet_register(k) != 0)
            k->next_status = now + 1000;
    } else {
        if (now >= k->next_status) {
            json_t *copy = json_deep_copy(node); /* new */
            json_object_set_new(copy, "status", node_status(k, json_object_get(node, "status")));
            int rc = k1s_ctrl_update(k->c, "", "Node", "", "status", copy, NULL);
            json_decref(copy);
            k->next_status = now + (rc == 0 ? K1S__STATUS_REPORT_MS : rc == 409 ? 100 : 1000);
        }
        const json_t *lease = leases ? k1s_informer_get(leases, K1S__LEASE_NS, k->node) : NULL;
        const json_t *spec = json_object_get(lease, "spec");
        bool foreign = lease && (strcmp(str(spec, "holderIdentity"), k->node) != 0 ||
                                 json_integer_value(json_object_get(spec, "leaseDurationSeconds")) != 40);
        if (now >= k->next_lease || !lease || foreign) {
            int rc = renew_lease(k, lease, str(json_object_get(node, "metadata"), "uid"));
            k->next_lease = now + (rc == 0 ? K1S__LEASE_RENEW_MS : rc == 409 ? 100 : 1000);
        }
    }
    /* keep one timer armed for the earliest due time */
    int64_t next = k->next_lease < k->next_status ? k->next_lease : k->next_status;
    if (k->armed > now && k->armed <= next)
        return 0;
    k->armed = next;
    return next - now > 0 ? (int)(next - now) : 1;
}
