/*
 * containerd_config.c - what k1s writes before starting containerd:
 * <data-dir>/containerd/config.toml (config version 2) and the CNI network
 * "k1s" in <data-dir>/containerd/cni/10-k1s.conflist.
 *
 * Everything containerd keeps (root, state, sockets, runc state, IPAM
 * leases) lives under the data directory, so it never collides with a
 * system containerd or another k1s. The settings are the ones known to work
 * on these machines; the why of each is
 * next to it below and in docs/internals/containerd.md.
 */
#include "containerd_internal.h"
#include "k1s_net.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Plugins k1s never uses. Skipping them saves ~50 ms of containerd's start
 * (btrfs/zfs probe the disk, aufs runs modprobe) and keeps it from
 * creating /opt/containerd (the "opt" plugin). runtime.v1.linux must stay:
 * the tasks service, and so the CRI plugin, need it. */
static const char *const disabled_plugins[] = {
    "io.containerd.snapshotter.v1.aufs",   "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.zfs",    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.native", "io.containerd.internal.v1.opt",
    "io.containerd.internal.v1.tracing",   "io.containerd.tracing.processor.v1.otlp",
};

bool k1s__cd_valid_cidr(const char *s)
{
    k1s_cidr4 c;
    /* host bits set ("10.244.0.1/24") would make host-local refuse it */
    return k1s_cidr4_parse(s, &c) == 0 && c.bits >= 8 && c.bits <= 30 && c.addr == c.net;
}

int k1s__cd_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* A TOML basic string: quotes, with '"', '\\' and control characters
 * escaped (a data directory may contain anything). */
static void toml_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* key = "<dir>/<leaf>" */
static void toml_path(FILE *f, const char *key, const char *dir, const char *leaf)
{
    char *p = k1s__cd_strf("%s/%s", dir, leaf);
    fprintf(f, "%s = ", key);
    toml_str(f, p ? p : "");
    fputc('\n', f);
    free(p);
}

char *k1s__cd_config_toml(const k1s_containerd *c)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    const char *cri = "[plugins.\"io.containerd.grpc.v1.cri\"";

    fputs("# Written by k1s at every start; edits are overwritten.\n"
          "version = 2\n",
          f);
    toml_path(f, "root", c->dir, "root");
    toml_path(f, "state", c->dir, "state");
    /* containerd must not try to lower its own OOM score either */
    fputs("oom_score = 0\ndisabled_plugins = [", f);
    for (size_t i = 0; i < sizeof disabled_plugins / sizeof *disabled_plugins; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", disabled_plugins[i]);
    fputs("]\n\n[grpc]\n", f);
    fputs("address = ", f);
    toml_str(f, c->socket);
    fputs("\n\n[ttrpc]\n", f);
    toml_path(f, "address", c->dir, "containerd.sock.ttrpc");

    fprintf(f, "\n%s]\n", cri);
    fputs("sandbox_image = \"" K1S_PAUSE_IMAGE "\"\n", f);
    /* Without CAP_SYS_RESOURCE nobody may lower oom_score_adj, and the
     * CRI plugin's -998 for sandboxes makes runc fail: mandatory here. */
    fputs("restrict_oom_score_adj = true\n"
          "disable_apparmor = true\n"
          "enable_selinux = false\n"
          "stream_server_address = \"127.0.0.1\"\n",
          f);
    fprintf(f, "stream_server_port = \"%d\"\n", c->stream_port);
    /* pod network namespaces under <state>/netns, not /var/run/netns */
    fputs("netns_mounts_under_state_dir = true\n", f);

    fprintf(f, "\n%s.containerd]\n", cri);
    fputs("snapshotter = \"overlayfs\"\n"
          "default_runtime_name = \"runc\"\n",
          f);
    fprintf(f, "\n%s.containerd.runtimes.runc]\n", cri);
    fputs("runtime_type = \"io.containerd.runc.v2\"\n", f);
    fprintf(f, "\n%s.containerd.runtimes.runc.options]\n", cri);
    fputs("BinaryName = \"/usr/sbin/runc\"\n"
          "SystemdCgroup = false\n",
          f);
    toml_path(f, "Root", c->dir, "runc");

    fprintf(f, "\n%s.cni]\n", cri);
    fputs("bin_dir = \"/usr/lib/cni\"\n", f);
    toml_path(f, "conf_dir", c->dir, "cni");
    fputs("max_conf_num = 1\n", f);

    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

char *k1s__cd_cni_conflist(const char *pod_cidr, const char *ipam_dir)
{
    /* bridge then portmap; loopback is set up by containerd itself */
    json_t *v =
        json_pack("{s:s, s:s, s:[{s:s, s:s, s:b, s:b, s:b, s:{s:s, s:[[{s:s}]],"
                  " s:[{s:s}], s:s}}, {s:s, s:{s:b}}]}",
                  "cniVersion", "1.0.0", "name", "k1s", "plugins", "type", "bridge", "bridge",
                  "k1s0", "isGateway", 1, "ipMasq", 0, "hairpinMode", 1, "ipam", "type",
                  "host-local", "ranges", "subnet", pod_cidr, "routes", "dst", "0.0.0.0/0",
                  "dataDir", ipam_dir, "type", "portmap", "capabilities", "portMappings", 1);
    if (!v)
        return NULL;
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    return s;
}

int k1s__cd_write_file(const char *path, const void *data, size_t len, char **err)
{
    char *tmp = k1s__cd_strf("%s.tmp", path);
    if (!tmp)
        return k1s__cd_err(err, "out of memory");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = -1;
    if (fd >= 0) {
        const char *p = data;
        size_t left = len;
        while (left > 0) {
            ssize_t n = write(fd, p, left);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            p += n;
            left -= (size_t)n;
        }
        rc = left == 0 ? 0 : -1;
        if (close(fd) != 0)
            rc = -1;
        if (rc == 0 && rename(tmp, path) != 0)
            rc = -1;
    }
    if (rc != 0) {
        k1s__cd_err(err, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return rc;
}

static int make_dir(const char *base, const char *leaf, char **err)
{
    char *p = leaf ? k1s__cd_strf("%s/%s", base, leaf) : strdup(base);
    if (!p)
        return k1s__cd_err(err, "out of memory");
    int rc = 0;
    if (mkdir(p, 0711) != 0 && errno != EEXIST)
        rc = k1s__cd_err(err, "cannot create %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

int k1s__cd_write_configs(const k1s_containerd *c, char **err)
{
    static const char *const dirs[] = {"root", "state", "cni", "cni-ipam", "runc"};
    if (make_dir(c->dir, NULL, err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        if (make_dir(c->dir, dirs[i], err) != 0)
            return -1;

    int rc = -1;
    char *toml = k1s__cd_config_toml(c);
    char *ipam = k1s__cd_strf("%s/cni-ipam", c->dir);
    char *cni_path = k1s__cd_strf("%s/cni/10-k1s.conflist", c->dir);
    char *conflist = ipam ? k1s__cd_cni_conflist(c->pod_cidr, ipam) : NULL;
    if (!toml || !ipam || !cni_path || !conflist)
        k1s__cd_err(err, "out of memory");
    else if (k1s__cd_write_file(c->config_path, toml, strlen(toml), err) == 0 &&
             k1s__cd_write_file(cni_path, conflist, strlen(conflist), err) == 0)
        rc = 0;
    free(toml);
    free(ipam);
    free(conflist);
    free(cni_path);
    return rc;
}
