/*
 * containerd_bridge.c - the CNI bridge k1s0 left by an earlier run with
 * another pod CIDR. The bridge plugin refuses to add pods to a bridge whose
 * address differs from the gateway it wants ("k1s0" already has an IP
 * address different from ...), so every pod would fail. A bridge with no
 * pod attached is k1s's own leftover and safe to remove; one with pods
 * belongs to another running k1s and is left alone.
 *
 * Masquerading of pod traffic leaving the node is one rule for the whole
 * pod CIDR, set here once, instead of the bridge plugin's ipMasq, which
 * makes a chain and rules per pod and costs ~70 ms of every sandbox's
 * start and stop. scripts/k1s-cleanup.sh removes it with the bridge.
 */
#include "containerd_internal.h"
#include "k1s_net.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BRIDGE "k1s0"

static int attached_ports(void)
{
    DIR *d = opendir("/sys/class/net/" BRIDGE "/brif");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* "a.b.c.(d+1)/n" for the CIDR "a.b.c.d/n": the gateway the plugin sets. */
static int gateway_of(const char *cidr, char *out, size_t len)
{
    k1s_cidr4 c;
    if (k1s_cidr4_parse(cidr, &c) != 0)
        return -1;
    char ip[K1S_IPV4_LEN];
    k1s_ipv4_format(c.addr + 1, ip, sizeof ip);
    snprintf(out, len, "%s/%u", ip, c.bits);
    return 0;
}

void k1s__cd_reset_stale_bridge(const char *pod_cidr, bool quiet)
{
    if (access("/sys/class/net/" BRIDGE, F_OK) != 0)
        return;
    char want[48];
    char *ip_bin = k1s__cd_which("ip");
    if (!ip_bin || gateway_of(pod_cidr, want, sizeof want) != 0) {
        free(ip_bin);
        return;
    }
    char *show[] = {ip_bin, "-4", "-o", "addr", "show", "dev", BRIDGE, NULL};
    char *out = NULL;
    int rc = k1s__cd_run(show, -1, &out);
    /* no address yet, or ours: the plugin is happy with it */
    bool stale = rc == 0 && out && strstr(out, " inet ") && !strstr(out, want);
    free(out);
    if (stale && attached_ports() == 0) {
        char *del[] = {ip_bin, "link", "delete", BRIDGE, NULL};
        out = NULL;
        rc = k1s__cd_run(del, -1, &out);
        if (!quiet)
            fprintf(stderr,
                    "k1s: removed the bridge %s left by a run with another "
                    "pod CIDR%s%s\n",
                    BRIDGE, rc ? ": " : "", rc && out ? out : "");
        free(out);
    } else if (stale && !quiet) {
        fprintf(stderr,
                "k1s: warning: bridge %s has pods of another k1s with "
                "another pod CIDR; pods here will fail to get a network\n",
                BRIDGE);
    }
    free(ip_bin);
}

void k1s__cd_ensure_masquerade(const char *pod_cidr, bool quiet)
{
    char *ipt = k1s__cd_which("iptables");
    if (!ipt) {
        if (!quiet)
            fprintf(stderr, "k1s: warning: iptables not found; pods cannot reach "
                            "addresses outside the node\n");
        return;
    }
    char cidr[64];
    snprintf(cidr, sizeof cidr, "%s", pod_cidr);
    char *check[] = {
        ipt,  "-w",         "5",  "-t", "nat", "-C",      "POSTROUTING", "-s",
        cidr, "!",          "-d", cidr, "-m",  "comment", "--comment",   K1S_MASQ_COMMENT,
        "-j", "MASQUERADE", NULL};
    char *out = NULL;
    if (k1s__cd_run(check, -1, &out) != 0) {
        free(out);
        out = NULL;
        check[5] = "-A";
        if (k1s__cd_run(check, -1, &out) != 0 && !quiet)
            fprintf(stderr, "k1s: warning: cannot add the pod masquerade rule: %s\n",
                    out ? out : "");
    }
    free(out);
    free(ipt);
}
