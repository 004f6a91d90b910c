/*
 * node_host.c - what the Node says about the host, in both modes:
 * its address on the default route, CPUs, memory (/proc/meminfo), disk of
 * the data directory (statvfs), the machine ID, the OS image
 * (/etc/os-release PRETTY_NAME) and architecture (Go's names), as kubelet
 * reports them.
 */
#include "node_internal.h"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- facts ------------------------------------------------------ */

void k1s__host_first_line(const char *path, char *buf, size_t len)
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

void k1s__host_ip(char *buf, size_t len)
{
    snprintf(buf, len, "127.0.0.1");
    /* the interface of the default route, from the kernel's table */
    char ifname[IF_NAMESIZE + 1] = "", line[512];
    FILE *f = fopen("/proc/net/route", "r");
    while (f && fgets(line, sizeof line, f)) {
        char name[64];
        unsigned long dest, mask;
        if (sscanf(line, "%63s %lx %*x %*x %*d %*d %*d %lx", name, &dest, &mask) == 3 &&
            dest == 0 && mask == 0) {
            snprintf(ifname, sizeof ifname, "%.*s", IF_NAMESIZE, name);
            break;
        }
    }
    if (f)
        fclose(f);
    struct ifaddrs *ifs = NULL;
    if (!*ifname || getifaddrs(&ifs) != 0)
        return;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !strcmp(i->ifa_name, ifname)) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, (socklen_t)len);
            break;
        }
    }
    freeifaddrs(ifs);
}

static unsigned long long mem_kib(void)
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

void k1s__host_machine_id(const char *node, char *buf, size_t len)
{
    k1s__host_first_line("/etc/machine-id", buf, len);
    if (strlen(buf) >= 32)
        return;
    unsigned char d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, node, strlen(node), d) != 0)
        memset(d, 0, sizeof d);
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < 16 && n + 2 < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%02x", d[i]);
}

void k1s__host_os_image(char *buf, size_t len)
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
        if (n >= 2 && (*v == '"' || *v == '\'') && v[n - 1] == *v) {
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

const char *k1s__host_arch(void)
{
    struct utsname u;
    static const char *const map[][2] = {{"x86_64", "amd64"}, {"aarch64", "arm64"},
                                         {"armv7l", "arm"},   {"ppc64le", "ppc64le"},
                                         {"s390x", "s390x"},  {"riscv64", "riscv64"}};
    if (uname(&u) == 0)
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (!strcmp(u.machine, map[i][0]))
                return map[i][1];
    return "amd64";
}

/* ---- the Node object ---------------------------------------------------------------- */

json_t *k1s__host_resources(k1s_kubelet *kl, bool allocatable)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long long mem = mem_kib(), disk = 0;
    struct statvfs vfs;
    if (statvfs(kl->data_dir ? kl->data_dir : "/", &vfs) == 0)
        disk = (unsigned long long)vfs.f_blocks * vfs.f_frsize;
    char cpu[32], memory[48], eph[48];
    snprintf(cpu, sizeof cpu, "%ld", cpus > 0 ? cpus : 1);
    if (allocatable) {
        /* kubelet's default hard eviction thresholds stay free:
         * memory.available<100Mi, nodefs.available<10% */
        snprintf(memory, sizeof memory, "%lluKi", mem > 102400 ? mem - 102400 : 0);
        snprintf(eph, sizeof eph, "%llu", disk / 10 * 9);
    } else {
        snprintf(memory, sizeof memory, "%lluKi", mem);
        snprintf(eph, sizeof eph, "%lluKi", disk / 1024);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "cpu", cpu, "ephemeral-storage", eph,
                     "hugepages-1Gi", "0", "hugepages-2Mi", "0", "memory", memory, "pods", "110");
}
