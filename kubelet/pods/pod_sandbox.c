/*
 * pod_sandbox.c - a pod's sandbox as kubelet asks for it: metadata
 * (name, namespace, uid, attempt), hostname, the log directory, DNS from
 * the host's resolv.conf (loopback servers skipped: they do not answer
 * inside the pod's network namespace) plus spec.dnsConfig, host port
 * mappings, labels and annotations, the host namespaces; and the
 * /etc/hosts file kubelet manages for pods on the pod network.
 */
#include "pods_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

json_t *k1s__namespace_options(const json_t *spec)
{
    const char *pid = k1s_json_bool(spec, "hostPID", false)                 ? "NODE"
                      : k1s_json_bool(spec, "shareProcessNamespace", false) ? "POD"
                                                                            : "CONTAINER";
    return json_pack("{s:s, s:s, s:s}", "network",
                     k1s_json_bool(spec, "hostNetwork", false) ? "NODE" : "POD", "pid", pid, "ipc",
                     k1s_json_bool(spec, "hostIPC", false) ? "NODE" : "POD");
}

/* ---- DNS ---------------------------------------------------------------------------- */

static void append_words(json_t *arr, const char *s)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save))
        json_array_append_new(arr, json_string(w));
}

/* servers, searches, options from a resolv.conf. */
static void read_resolv(const char *path, json_t *dns)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        char *p = line + strspn(line, " \t");
        if (!strncmp(p, "nameserver", 10) && (p[10] == ' ' || p[10] == '\t')) {
            char ip[256];
            if (sscanf(p + 10, " %255s", ip) == 1 && strncmp(ip, "127.", 4) != 0 &&
                strcmp(ip, "::1") != 0)
                json_array_append_new(json_object_get(dns, "servers"), json_string(ip));
        } else if (!strncmp(p, "search", 6) && (p[6] == ' ' || p[6] == '\t')) {
            json_array_clear(json_object_get(dns, "searches")); /* the last one counts */
            append_words(json_object_get(dns, "searches"), p + 6);
        } else if (!strncmp(p, "options", 7) && (p[7] == ' ' || p[7] == '\t')) {
            append_words(json_object_get(dns, "options"), p + 7);
        }
    }
    if (f)
        fclose(f);
}

static json_t *dns_config(const json_t *spec)
{
    json_t *dns = json_pack("{s:[], s:[], s:[]}", "servers", "searches", "options");
    /* no cluster DNS runs in k1s: ClusterFirst falls back to the host's
     * resolver as kubelet does without --cluster-dns */
    if (strcmp(k1s_json_str_or(spec, "dnsPolicy", ""), "None") != 0) {
        read_resolv("/etc/resolv.conf", dns);
        if (!json_array_size(json_object_get(dns, "servers")))
            read_resolv("/run/systemd/resolve/resolv.conf", dns);
    }
    const json_t *cfg = json_object_get(spec, "dnsConfig");
    size_t i;
    const json_t *x;
    k1s__append_strings(json_object_get(dns, "servers"), json_object_get(cfg, "nameservers"));
    k1s__append_strings(json_object_get(dns, "searches"), json_object_get(cfg, "searches"));
    json_array_foreach(json_object_get(cfg, "options"), i, x)
    {
        char opt[512];
        const char *v = k1s_json_str_or(x, "value", "");
        snprintf(opt, sizeof opt, *v ? "%s:%s" : "%s", k1s_json_str_or(x, "name", ""), v);
        json_array_append_new(json_object_get(dns, "options"), json_string(opt));
    }
    return dns;
}

/* ---- the config ------------------------------------------------------------------------ */

static void port_mappings(const json_t *ctrs, json_t *out)
{
    size_t i, j;
    const json_t *c, *p;
    json_array_foreach(ctrs, i, c)
    {
        json_array_foreach(json_object_get(c, "ports"), j, p)
        {
            json_int_t hp = json_integer_value(json_object_get(p, "hostPort"));
            if (hp <= 0)
                continue;
            const char *proto = k1s_json_str_or(p, "protocol", "");
            json_array_append_new(
                out,
                json_pack("{s:s, s:I, s:I, s:s}", "protocol", *proto ? proto : "TCP",
                          "container_port", json_integer_value(json_object_get(p, "containerPort")),
                          "host_port", hp, "host_ip", k1s_json_str_or(p, "hostIP", "")));
        }
    }
}

static bool any_privileged(const json_t *spec)
{
    const char *lists[] = {"initContainers", "containers"};
    for (int l = 0; l < 2; l++) {
        size_t i;
        const json_t *c;
        json_array_foreach(
            json_object_get(spec, lists[l]), i,
            c) if (k1s_json_bool(c, "securityContext.privileged", false)) return true;
    }
    return false;
}

json_t *k1s__sandbox_config(k1s_kubelet *kl, const json_t *pod, uint32_t attempt)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    const char *name = k1s_json_str_or(pod, "metadata.name", "");
    const char *uid = k1s_json_str_or(pod, "metadata.uid", "");
    const char *want = k1s_json_str_or(spec, "hostname", "");
    bool host_net = k1s_json_bool(spec, "hostNetwork", false);
    char hostname[64] = "", dir[4200];
    if (!host_net) /* runc cannot name a host it does not own */
        snprintf(hostname, sizeof hostname, "%.63s", *want ? want : name);
    k1s__pod_dir(kl, ns, name, uid, dir, sizeof dir);
    json_t *labels = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(pod, "metadata"), "labels"), k,
                        v) if (json_is_string(v)) json_object_set(labels, k, v);
    json_object_set_new(labels, K1S__L_POD_NAME, json_string(name));
    json_object_set_new(labels, K1S__L_POD_NS, json_string(ns));
    json_object_set_new(labels, K1S__L_POD_UID, json_string(uid));
    json_t *ann = json_object();
    json_object_foreach(json_object_get(json_object_get(pod, "metadata"), "annotations"), k,
                        v) if (json_is_string(v)) json_object_set(ann, k, v);
    json_t *ports = json_array();
    port_mappings(json_object_get(spec, "initContainers"), ports);
    port_mappings(json_object_get(spec, "containers"), ports);
    json_t *sysctls = json_object();
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(json_object_get(spec, "securityContext"), "sysctls"), i, x)
        json_object_set_new(sysctls, k1s_json_str_or(x, "name", ""),
                            json_string(k1s_json_str_or(x, "value", "")));
    return json_pack("{s:{s:s, s:s, s:s, s:i}, s:s, s:s, s:o, s:o, s:o, s:o,"
                     " s:{s:{s:o, s:b}, s:o}}",
                     "metadata", "name", name, "uid", uid, "namespace", ns, "attempt", (int)attempt,
                     "hostname", hostname, "log_directory", dir, "dns_config", dns_config(spec),
                     "port_mappings", ports, "labels", labels, "annotations", ann, "linux",
                     "security_context", "namespace_options", k1s__namespace_options(spec),
                     "privileged", any_privileged(spec), "sysctls", sysctls);
}

int k1s__sandbox_run(k1s_kubelet *kl, const json_t *pod, uint32_t attempt, char *id, size_t idlen,
                     char *err, size_t errlen)
{
    json_t *cfg = k1s__sandbox_config(kl, pod, attempt);
    const char *dir = k1s_json_str_or(cfg, "log_directory", "");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "create pod log directory %s: %s", dir, strerror(errno));
        json_decref(cfg);
        return -1;
    }
    json_t *rq = json_pack("{s:o}", "config", cfg);
    json_t *r = k1s__cri(kl, "RunPodSandbox", rq, K1S__CRI_WORK, err, errlen);
    json_decref(rq);
    if (!r)
        return -1;
    snprintf(id, idlen, "%s", k1s_json_str_or(r, "pod_sandbox_id", ""));
    json_decref(r);
    return 0;
}

/* ---- /etc/hosts ------------------------------------------------------------------------------ */

void k1s__etc_hosts(k1s_kubelet *kl, const json_t *pod, const char *pod_ip, char *path, size_t len)
{
    const json_t *spec = json_object_get(pod, "spec");
    path[0] = 0;
    if (k1s_json_bool(spec, "hostNetwork", false) || !pod_ip || !*pod_ip)
        return;
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    const char *name = k1s_json_str_or(pod, "metadata.name", "");
    const char *host = k1s_json_str_or(spec, "hostname", "");
    if (!*host)
        host = name;
    const char *sub = k1s_json_str_or(spec, "subdomain", "");
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    if (!m)
        return;
    fputs("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
          "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
          "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n",
          m);
    if (*sub)
        fprintf(m, "%s\t%.63s.%s.%s.svc.cluster.local\t%.63s\n", pod_ip, host, sub, ns, host);
    else
        fprintf(m, "%s\t%.63s\n", pod_ip, host);
    size_t i, j;
    const json_t *a, *h;
    json_array_foreach(json_object_get(spec, "hostAliases"), i, a)
    {
        if (i == 0)
            fputs("\n# Entries added by HostAliases.\n", m);
        fputs(k1s_json_str_or(a, "ip", ""), m);
        json_array_foreach(json_object_get(a, "hostnames"), j, h)
            fprintf(m, "\t%s", json_string_value(h) ? json_string_value(h) : "");
        fputc('\n', m);
    }
    fclose(m);
    char dir[4200];
    k1s__pod_dir(kl, ns, name, k1s_json_str_or(pod, "metadata.uid", ""), dir, sizeof dir);
    mkdir(dir, 0755);
    snprintf(path, len, "%s/.etc-hosts", dir); /* a dot: no container name */
    /* written in place (not renamed over), so containers that mount it
     * already see a change of pod IP after a new sandbox */
    char old[8192];
    FILE *f = fopen(path, "r");
    size_t got = f ? fread(old, 1, sizeof old, f) : 0;
    if (f)
        fclose(f);
    if (got != n || memcmp(old, text, n) != 0) {
        f = fopen(path, "w");
        if (!f || fwrite(text, 1, n, f) != n)
            path[0] = 0;
        if (f && fclose(f) != 0)
            path[0] = 0;
    }
    free(text);
}
