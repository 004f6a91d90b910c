/*
 * spec_mounts_hosts.c - the pod's managed /etc/hosts, as kubelet's
 * makeHostsMount writes it to <pod_dir>/etc-hosts and mounts it into every
 * container: localhost entries, the pod's IP with its hostname (and FQDN
 * under spec.subdomain), spec.hostAliases; hostNetwork pods get the node's
 * own file under a header.
 */
#include "spec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLUSTER_DOMAIN "cluster.local"

static void hosts_aliases(FILE *f, const json_t *spec)
{
    const json_t *aliases = json_object_get(spec, "hostAliases");
    if (!json_array_size(aliases))
        return;
    fputs("\n# Entries added by HostAliases.\n", f);
    size_t i, j;
    const json_t *a, *h;
    json_array_foreach(aliases, i, a)
    {
        fputs(k1s_json_str_or(a, "ip", ""), f);
        json_array_foreach(json_object_get(a, "hostnames"), j, h)
            fprintf(f, "\t%s", json_string_value(h) ? json_string_value(h) : "");
        fputc('\n', f);
    }
}

/* The hosts file's text, malloc'd (NULL with errno). */
static char *hosts_content(const json_t *pod, const char *pod_ip)
{
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *meta = json_object_get(pod, "metadata");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (k1s_json_bool(spec, "hostNetwork", false)) {
        fputs("# Kubernetes-managed hosts file (host network).\n", f);
        FILE *h = fopen("/etc/hosts", "r");
        char chunk[4096];
        size_t n;
        while (h && (n = fread(chunk, 1, sizeof chunk, h)) > 0)
            fwrite(chunk, 1, n, f);
        if (h)
            fclose(h);
    } else {
        /* GeneratePodHostNameAndDomain: hostname or name, at most 63
         * characters, no trailing '-' or '.' */
        const char *hn = k1s_json_str_or(spec, "hostname", "");
        if (!*hn)
            hn = k1s_json_str_or(meta, "name", "");
        char host[64];
        snprintf(host, sizeof host, "%s", hn);
        for (size_t n = strlen(host); n && (host[n - 1] == '-' || host[n - 1] == '.'); n--)
            host[n - 1] = '\0';
        fputs("# Kubernetes-managed hosts file.\n"
              "127.0.0.1\tlocalhost\n"
              "::1\tlocalhost ip6-localhost ip6-loopback\n"
              "fe00::0\tip6-localnet\n"
              "fe00::0\tip6-mcastprefix\n"
              "fe00::1\tip6-allnodes\n"
              "fe00::2\tip6-allrouters\n",
              f);
        const char *sub = k1s_json_str_or(spec, "subdomain", "");
        if (*sub)
            fprintf(f, "%s\t%s.%s.%s.svc.%s\t%s\n", pod_ip, host, sub,
                    k1s_json_str_or(meta, "namespace", ""), CLUSTER_DOMAIN, host);
        else
            fprintf(f, "%s\t%s\n", pod_ip, host);
    }
    hosts_aliases(f, spec);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int k1s_spec_etc_hosts(const json_t *pod, const char *pod_ip, const char *pod_dir, json_t **mount)
{
    *mount = NULL;
    bool host_net = k1s_json_bool(pod, "spec.hostNetwork", false);
    if (!host_net && (!pod_ip || !*pod_ip))
        return 0; /* kubelet waits for the IP */
    char *text = hosts_content(pod, pod_ip ? pod_ip : "");
    char *path = k1s__spec_join(pod_dir, "etc-hosts");
    int rc = -1;
    if (text && path && k1s__spec_mkdir_p(pod_dir, 0750) == 0) {
        /* rewritten in place: running containers have the inode mounted */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t len = strlen(text), off = 0;
        while (fd >= 0 && off < len) {
            ssize_t w = write(fd, text + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        if (fd >= 0 && off == len && fchmod(fd, 0644) == 0)
            rc = 0;
        if (fd >= 0)
            close(fd);
    }
    if (rc == 0) {
        *mount = json_pack("{s:s,s:s,s:b,s:b}", "container_path", "/etc/hosts", "host_path", path,
                           "readonly", 0, "selinux_relabel", 1);
        if (!*mount) {
            errno = ENOMEM;
            rc = -1;
        }
    }
    free(text);
    free(path);
    return rc;
}
