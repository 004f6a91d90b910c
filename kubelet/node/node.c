/*
 * node.c - the Node this kubelet runs, in both modes: registered at
 * start (or refreshed after a restart) with the host's real capacity,
 * addresses and system info (node_host.c); a Lease in
 * kube-node-lease renewed every 10 s; the status heartbeat every 60 s.
 * containerd mode also checks the runtime every 2 s (containerd alive, CRI
 * Status conditions): Ready False "container runtime is down" while it is
 * not, back to True by itself. The simulated mode has no runtime to check:
 * its Node is always Ready, its runtime version "simulated://1.0".
 */
#include "node_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#define LEASE_RENEW_MS 10000
#define STATUS_REPORT_MS 60000
#define CHECK_MS 2000

static json_t *conditions(k1s_kubelet *kl, const json_t *old, const char *now)
{
    bool ready = kl->runtime_ok;
    const char *rows[][4] = {
        {"MemoryPressure", "False", "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available"},
        {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
        {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
        {"Ready", ready ? "True" : "False", ready ? "KubeletReady" : "KubeletNotReady",
         ready ? "kubelet is posting ready status" : kl->runtime_msg},
    };
    json_t *out = json_array();
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const char *since = now;
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(old, "conditions"), i, c)
        {
            if (!strcmp(k1s_json_str_or(c, "type", ""), rows[r][0]) &&
                !strcmp(k1s_json_str_or(c, "status", ""), rows[r][1]) &&
                json_is_string(json_object_get(c, "lastTransitionTime")))
                since = k1s_json_str_or(c, "lastTransitionTime", "");
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", rows[r][0],
                                             "status", rows[r][1], "lastHeartbeatTime", now,
                                             "lastTransitionTime", since, "reason", rows[r][2],
                                             "message", rows[r][3]));
    }
    return out;
}

static json_t *node_status(k1s_kubelet *kl, const json_t *old)
{
    char now[32], kernel[128] = "", osimg[256], mid[80], boot[80], uuid[80];
    k1s_time_format_now(now, sizeof now);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s", u.release);
    k1s__host_os_image(osimg, sizeof osimg);
    k1s__host_machine_id(kl->node, mid, sizeof mid);
    k1s__host_first_line("/proc/sys/kernel/random/boot_id", boot, sizeof boot);
    k1s__host_first_line("/sys/class/dmi/id/product_uuid", uuid, sizeof uuid);
    if (!*uuid && strlen(mid) >= 32) /* no DMI (containers, some VMs) */
        snprintf(uuid, sizeof uuid, "%.8s-%.4s-%.4s-%.4s-%.12s", mid, mid + 8, mid + 12, mid + 16,
                 mid + 20);
    json_t *s = json_pack(
        "{s:o, s:o, s:o, s:[{s:s, s:s}, {s:s, s:s}], s:{s:{s:i}},"
        " s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "capacity", k1s__host_resources(kl, false), "allocatable", k1s__host_resources(kl, true),
        "conditions", conditions(kl, old, now), "addresses", "type", "InternalIP", "address",
        kl->node_ip, "type", "Hostname", "address", kl->node, "daemonEndpoints", "kubeletEndpoint",
        "Port", 10250, "nodeInfo", "machineID", mid, "systemUUID", uuid, "bootID", boot,
        "kernelVersion", kernel, "osImage", osimg, "containerRuntimeVersion", kl->runtime_version,
        "kubeletVersion", K1S__KL_VERSION, "kubeProxyVersion", "", "operatingSystem", "linux",
        "architecture", k1s__host_arch());
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)old, key, v)
    {
        if (!json_object_get(s, key))
            json_object_set(s, key, v); /* fields others own */
    }
    return s;
}

/* The labels kubelet owns and sets again at every start. (The node-role
 * label is not one of them: kubelet may not set it; k1s's node gets it at
 * creation, as kubeadm gives it to a control-plane node once.) */
static json_t *own_labels(k1s_kubelet *kl)
{
    const char *arch = k1s__host_arch();
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "beta.kubernetes.io/arch", arch,
                     "beta.kubernetes.io/os", "linux", "kubernetes.io/arch", arch,
                     "kubernetes.io/hostname", kl->node, "kubernetes.io/os", "linux");
}

static void node_event(k1s_kubelet *kl, const json_t *node, const char *reason, const char *msg)
{
    k1s_ctrl_event(kl->c, K1S__KL, node, "Normal", reason, "%s", msg);
}

/* ---- the Lease ---------------------------------------------------------------------------- */

static int renew_lease(k1s_kubelet *kl, const json_t *cur, const char *node_uid)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char now[48], sec[32];
    k1s_time_format(ts.tv_sec, sec, sizeof sec);
    snprintf(now, sizeof now, "%.19s.%06ldZ", sec, ts.tv_nsec / 1000);
    if (!cur) {
        json_t *lease =
            json_pack("{s:s, s:s, s:{s:s, s:s, s:[{s:s, s:s, s:s, s:s}]}, s:{s:s, s:i, s:s}}",
                      "apiVersion", "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                      kl->node, "namespace", K1S__KL_LEASE_NS, "ownerReferences", "apiVersion",
                      "v1", "kind", "Node", "name", kl->node, "uid", node_uid, "spec",
                      "holderIdentity", kl->node, "leaseDurationSeconds", 40, "renewTime", now);
        int rc =
            k1s_ctrl_create(kl->c, "coordination.k8s.io", "Lease", K1S__KL_LEASE_NS, lease, NULL);
        json_decref(lease);
        return rc == 409 ? 0 : rc;
    }
    json_t *lease = json_deep_copy(cur);
    json_t *spec = json_object_get(lease, "spec");
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(lease, "spec", spec);
    }
    json_object_set_new(spec, "holderIdentity", json_string(kl->node));
    json_object_set_new(spec, "leaseDurationSeconds", json_integer(40));
    json_object_set_new(spec, "renewTime", json_string(now));
    int rc =
        k1s_ctrl_update(kl->c, "coordination.k8s.io", "Lease", K1S__KL_LEASE_NS, NULL, lease, NULL);
    json_decref(lease);
    return rc;
}

/* ---- registration --------------------------------------------------------------------------- */

int k1s__node_register(k1s_kubelet *kl)
{
    k1s_target t = {k1s_registry_find_kind("", "Node"), "", kl->node, NULL};
    k1s_status st = {0};
    json_t *cur = NULL, *node = NULL;
    int rc;
    if (k1s_api_get(kl->api, &t, &cur, &st) == 0) {
        /* a restart: the labels kubelet owns set again, status refreshed */
        json_t *copy = json_deep_copy(cur);
        json_t *m = json_object_get(copy, "metadata");
        if (!json_is_object(json_object_get(m, "labels")))
            json_object_set_new(m, "labels", json_object());
        json_t *labels = json_object_get(m, "labels"), *want = own_labels(kl);
        bool changed = false;
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v)
        {
            if (!json_equal(json_object_get(labels, k), v)) {
                json_object_set(labels, k, v);
                changed = true;
            }
        }
        json_decref(want);
        rc = 0;
        if (changed) {
            json_t *upd = NULL;
            rc = k1s_ctrl_update(kl->c, "", "Node", "", NULL, copy, &upd);
            json_decref(copy);
            copy = upd;
        }
        if (rc == 0) {
            json_object_set_new(copy, "status", node_status(kl, json_object_get(cur, "status")));
            rc = k1s_ctrl_update(kl->c, "", "Node", "", "status", copy, &node);
        }
        json_decref(copy);
    } else if (st.code == 404) {
        json_t *labels = own_labels(kl);
        json_object_set_new(labels, "node-role.kubernetes.io/control-plane", json_string(""));
        json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:o, s:{s:s, s:s}}, s:{s:s, s:[s]}, s:o}",
                                "apiVersion", "v1", "kind", "Node", "metadata", "name", kl->node,
                                "labels", labels, "annotations", "node.alpha.kubernetes.io/ttl",
                                "0", "volumes.kubernetes.io/controller-managed-attach-detach",
                                "true", "spec", "podCIDR", kl->pod_cidr, "podCIDRs", kl->pod_cidr,
                                "status", node_status(kl, NULL));
        rc = k1s_ctrl_create(kl->c, "", "Node", "", obj, &node);
        json_decref(obj);
    } else {
        fprintf(stderr, "k1s: kubelet: reading node %s: %s\n", kl->node,
                st.message ? st.message : "?");
        rc = -1;
    }
    k1s_status_clear(&st);
    bool created = !cur;
    json_decref(cur);
    if (rc) {
        json_decref(node);
        return -1;
    }
    node_event(kl, node, "Starting", "Starting kubelet.");
    node_event(kl, node, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods");
    if (created) {
        /* the new node's conditions as they appear, and the node
         * controller's notice (k1s has no node controller to post it),
         * which comes before the node is Ready */
        static const char *const became[] = {"NodeHasSufficientMemory", "NodeHasNoDiskPressure",
                                             "NodeHasSufficientPID", "NodeReady"};
        char msg[600];
        for (size_t i = 0; i < sizeof became / sizeof became[0]; i++) {
            if (!strcmp(became[i], "NodeReady")) {
                snprintf(msg, sizeof msg, "Node %.253s event: Registered Node %.253s in Controller",
                         kl->node, kl->node);
                k1s_ctrl_event(kl->c, "node-controller", node, "Normal", "RegisteredNode", "%s",
                               msg);
            }
            snprintf(msg, sizeof msg, "Node %.253s status is now: %s", kl->node, became[i]);
            node_event(kl, node, became[i], msg);
        }
    }
    int64_t now = k1s_ctrl_now_ms();
    kl->next_status = now + STATUS_REPORT_MS;
    json_t *lease = NULL;
    k1s_target lt = {k1s_registry_find_kind("coordination.k8s.io", "Lease"), K1S__KL_LEASE_NS,
                     kl->node, NULL};
    if (k1s_api_get(kl->api, &lt, &lease, &st) != 0)
        k1s_status_clear(&st);
    if (renew_lease(kl, lease, k1s_json_str_or(node, "metadata.uid", "")) == 0)
        kl->next_lease = now + LEASE_RENEW_MS;
    json_decref(lease);
    json_decref(node);
    return 0;
}

/* ---- the periodic sync ------------------------------------------------ */

int k1s__node_sync(k1s_kubelet *kl)
{
    int64_t now = k1s_ctrl_now_ms();
    if (!kl->registered) {
        kl->registered = k1s__node_register(kl) == 0;
        if (!kl->registered)
            return k1s__requeue(&kl->node_armed, 1000);
    }
    if (kl->runtime_check && now >= kl->next_check) {
        bool was = kl->runtime_ok;
        char before[sizeof kl->runtime_msg];
        memcpy(before, kl->runtime_msg, sizeof before);
        kl->runtime_ok = kl->runtime_check(kl);
        kl->next_check = now + CHECK_MS;
        if (was != kl->runtime_ok || strcmp(before, kl->runtime_msg) != 0)
            kl->next_status = now; /* post the change at once */
        if (!was && kl->runtime_ok && kl->runtime_back)
            kl->runtime_back(kl);
    }
    k1s_informer *nodes = k1s_ctrl_informer(kl->c, "", "Node");
    const json_t *node = nodes ? k1s_informer_get(nodes, "", kl->node) : NULL;
    if (!node) {
        kl->registered = k1s__node_register(kl) == 0; /* deleted by someone */
        return k1s__requeue(&kl->node_armed, kl->registered ? CHECK_MS : 1000);
    }
    if (now >= kl->next_status) {
        const json_t *old = json_object_get(node, "status");
        bool was_ready = false;
        size_t i;
        const json_t *c;
        json_array_foreach(json_object_get(old, "conditions"), i,
                           c) if (!strcmp(k1s_json_str_or(c, "type", ""), "Ready")) was_ready =
            !strcmp(k1s_json_str_or(c, "status", ""), "True");
        json_t *copy = json_deep_copy(node);
        json_object_set_new(copy, "status", node_status(kl, old));
        int rc = k1s_ctrl_update(kl->c, "", "Node", "", "status", copy, NULL);
        json_decref(copy);
        kl->next_status = now + (rc == 0 ? STATUS_REPORT_MS : rc == 409 ? 100 : 1000);
        if (rc == 0 && was_ready != kl->runtime_ok) {
            char msg[400];
            snprintf(msg, sizeof msg, "Node %.253s status is now: %s", kl->node,
                     kl->runtime_ok ? "NodeReady" : "NodeNotReady");
            node_event(kl, node, kl->runtime_ok ? "NodeReady" : "NodeNotReady", msg);
        }
    }
    k1s_informer *leases = k1s_ctrl_informer(kl->c, "coordination.k8s.io", "Lease");
    const json_t *lease = leases ? k1s_informer_get(leases, K1S__KL_LEASE_NS, kl->node) : NULL;
    const json_t *spec = json_object_get(lease, "spec");
    bool foreign =
        lease && (strcmp(k1s_json_str_or(spec, "holderIdentity", ""), kl->node) != 0 ||
                  json_integer_value(json_object_get(spec, "leaseDurationSeconds")) != 40);
    if (now >= kl->next_lease || !lease || foreign) {
        int rc = renew_lease(kl, lease, k1s_json_str_or(node, "metadata.uid", ""));
        kl->next_lease = now + (rc == 0 ? LEASE_RENEW_MS : rc == 409 ? 100 : 1000);
    }
    int64_t next = kl->next_lease < kl->next_status ? kl->next_lease : kl->next_status;
    if (!kl->simulated && kl->next_check < next)
        next = kl->next_check;
    return k1s__requeue(&kl->node_armed, next - now);
}

void k1s__map_node(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    const char *node = k1s_ctrl_config(c)->node_name;
    if (!strcmp(k1s_json_str_or(any, "metadata.name", ""), node))
        k1s_ctrl_enqueue(c, id, "", node);
}

void k1s__map_lease(k1s_ctrl *c, int id, const json_t *old, const json_t *obj)
{
    const json_t *any = obj ? obj : old;
    if (!strcmp(k1s_json_str_or(any, "metadata.namespace", ""), K1S__KL_LEASE_NS))
        k1s__map_node(c, id, old, obj);
}
