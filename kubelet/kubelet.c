/*
 * kubelet.c - the node agent, started the same way in both modes. For
 * `--kubelet containerd` it starts the container runtime
 * (k1s_containerd.h), opens the CRI client and starts the NodePort proxy;
 * for `--kubelet simulated` none of these (sim/). Then it runs the mode's
 * reconcilers on a controller loop of their own
 * (k1s_controllers_start_defs), so calls into containerd never hold up the
 * built-in controllers.
 *
 * Keys on the loop: "ns/name" of pods (pods/pod_sync.c, or sim/sim.c),
 * "/<node>" for the Node, its Lease and the runtime check (node/node.c),
 * and in containerd mode "/#poll" for the container poll and "/#sweep" for
 * the orphan sweep (pods/pod_runtime.c).
 */
#include "pods_internal.h"
#include "sim_internal.h"
#include "k1s_containerd.h"
#include "k1s_net.h"
#include "k1s_proxy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
    return -1;
}

/* ---- start and stop ------------------------------------------------------------------ */

/* The runtime answers Version: "<runtime_name>://<runtime_version>". */
static int wait_runtime(k1s_kubelet *kl, char **err)
{
    char why[512] = "";
    for (int i = 0; i < 200; i++) {
        json_t *req = json_pack("{s:s}", "version", "v1");
        json_t *r = k1s__cri(kl, "Version", req, 2000, why, sizeof why);
        json_decref(req);
        if (r) {
            const char *name = k1s_json_str_or(r, "runtime_name", "");
            snprintf(kl->runtime_version, sizeof kl->runtime_version, "%.60s://%.90s",
                     *name ? name : "containerd", k1s_json_str_or(r, "runtime_version", ""));
            json_decref(r);
            return 0;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return fail(err, "container runtime does not answer: %s", why);
}

/* The Node's InternalIP: the one configured if it is a specific IPv4
 * address, else the default route's (simulated: 127.0.0.1). */
static void pick_node_ip(k1s_kubelet *kl, const char *want)
{
    uint32_t a;
    if (k1s_ipv4_parse(want, &a) == 0 && a != 0)
        snprintf(kl->node_ip, sizeof kl->node_ip, "%s", want);
    else if (kl->simulated)
        snprintf(kl->node_ip, sizeof kl->node_ip, "127.0.0.1");
    else
        k1s__host_ip(kl->node_ip, sizeof kl->node_ip);
}

/* containerd mode: the runtime, the CRI client, the proxy, the backend. */
static int start_runtime(k1s_kubelet *kl, const k1s_kubelet_config *cfg, char **err)
{
    if (mkdir(kl->pods_dir, 0755) != 0 && errno != EEXIST)
        return fail(err, "cannot create %s: %s", kl->pods_dir, strerror(errno));
    k1s_containerd_config ccfg = {.data_dir = cfg->data_dir,
                                  .endpoint = cfg->runtime_endpoint,
                                  .pod_cidr = kl->pod_cidr,
                                  .quiet = cfg->quiet};
    if (k1s_containerd_start(&ccfg, &kl->ctd, err) != 0)
        return -1;
    if (k1s_cri_open(k1s_containerd_socket(kl->ctd), &kl->cri, err) != 0)
        return -1;
    if (wait_runtime(kl, err) != 0)
        return -1;
    k1s_proxy_config pcfg = {.api = cfg->api, .quiet = cfg->quiet};
    if (k1s_proxy_start(&pcfg, &kl->proxy, err) != 0)
        return -1;
    kl->backend = k1s__backend(kl);
    return 0;
}

int k1s_kubelet_start(const k1s_kubelet_config *cfg, k1s_kubelet **out, char **err)
{
    *out = NULL;
    *err = NULL;
    if (!cfg || !cfg->api)
        return fail(err, "kubelet: an API is required");
    bool has_dir = cfg->data_dir && *cfg->data_dir;
    if (!cfg->simulated && !has_dir)
        return fail(err, "kubelet: an API and a data directory are required");
    k1s_kubelet *kl = calloc(1, sizeof *kl);
    if (!kl)
        return fail(err, "out of memory");
    kl->api = cfg->api;
    kl->quiet = cfg->quiet;
    kl->simulated = cfg->simulated;
    char host[256] = "k1s";
    if (!cfg->node_name && gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "k1s");
    kl->node = strdup(cfg->node_name ? cfg->node_name : host);
    kl->pod_cidr = strdup(cfg->pod_cidr ? cfg->pod_cidr : K1S__KL_DEFAULT_CIDR);
    if (has_dir) {
        kl->data_dir = strdup(cfg->data_dir);
        if (asprintf(&kl->pods_dir, "%s/pods", cfg->data_dir) < 0)
            kl->pods_dir = NULL;
    }
    if (!kl->node || !kl->pod_cidr || (has_dir && (!kl->data_dir || !kl->pods_dir))) {
        k1s_kubelet_stop(kl);
        return fail(err, "out of memory");
    }
    pick_node_ip(kl, cfg->node_ip);
    if ((kl->simulated ? k1s__sim_prepare(kl, err) : start_runtime(kl, cfg, err)) != 0)
        goto fail;
    k1s_controllers_config lcfg = {
        .api = cfg->api, .data_dir = kl->data_dir, .node_name = kl->node, .api_host = kl->node_ip};
    static const k1s_controller_def *const real_defs[] = {&k1s__pods_def, NULL};
    static const k1s_controller_def *const sim_defs[] = {&k1s__sim_def, NULL};
    if (k1s_controllers_start_defs(&lcfg, kl->simulated ? sim_defs : real_defs, kl, &kl->loop,
                                   err) != 0)
        goto fail;
    if (!cfg->quiet)
        fprintf(stderr, "k1s: kubelet: node %s (%s), runtime %s\n", kl->node, kl->node_ip,
                kl->runtime_version);
    *out = kl;
    return 0;
fail:
    if (!*err)
        fail(err, "cannot start the kubelet");
    k1s_kubelet_stop(kl);
    return -1;
}

const k1s_node_backend *k1s_kubelet_backend(k1s_kubelet *k)
{
    return k && !k->simulated ? &k->backend : NULL;
}

void k1s_kubelet_stop(k1s_kubelet *k)
{
    if (!k)
        return;
    /* the loop first: it uses the CRI client and the runtime */
    k1s_controllers_stop(k->loop);
    k1s_proxy_stop(k->proxy);
    k1s_cri_close(k->cri);
    k1s_containerd_stop(k->ctd);
    free(k->node);
    free(k->data_dir);
    free(k->pods_dir);
    free(k->pod_cidr);
    free(k);
}
