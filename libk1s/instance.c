/*
 * instance.c - one k1s cluster: data directory, store and API, serving
 * certificate, HTTP server, bootstrap objects, controllers and kubelet,
 * credentials. Started in that fixed order, stopped in reverse. Both the
 * k1s command and embedders (libk1s) use it.
 */
#include "k1s.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "credentials.h"
#include "k1s_apiserver.h"
#include "k1s_controllers.h"
#include "k1s_kubelet.h"

/* Events kept for watches resuming from an older resourceVersion. */
#define K1S_KEEP_EVENTS 10000
/* ... and at most about this much of their JSON: big objects rewritten
 * often must not make a database of gigabytes */
#define K1S_KEEP_EVENT_BYTES ((int64_t)256 << 20)

struct k1s {
    k1s_api *api;
    k1s_server *srv;
    k1s_controllers *ctl;
    k1s_kubelet *kubelet; /* --kubelet simulated or containerd */
    char kubeconfig[4096];
    char url[128];
    bool own_kubeconfig; /* a temp file this instance made */
    double start_ms;
};

static int fail(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
    return -1;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int k1s_start(const k1s_options *o, k1s **out, char **err)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *err = NULL;
    bool memory = !o->data_dir || !strcmp(o->data_dir, ":memory:");
    const char *bind = o->bind ? o->bind : "127.0.0.1";
    const char *kubelet = o->kubelet ? o->kubelet : "simulated";
    bool real_kubelet = !strcmp(kubelet, "containerd");
    if (memory && real_kubelet)
        return fail(err, "the containerd kubelet needs a data directory "
                         "(--data-dir DIR), not :memory:");
    if (!memory && mkdir(o->data_dir, 0700) != 0 && errno != EEXIST)
        return fail(err, "cannot create %s: %s", o->data_dir, strerror(errno));
    /* it holds the database (Secrets), the CA key and the admin token */
    if (!memory && chmod(o->data_dir, 0700) != 0)
        return fail(err, "cannot make %s private: %s", o->data_dir, strerror(errno));
    k1s *k = calloc(1, sizeof *k);
    if (!k)
        return fail(err, "out of memory");
    char db[4096], token[128];
    char *cert = NULL, *key = NULL;
    snprintf(db, sizeof db, "%s%s", memory ? ":memory:" : o->data_dir, memory ? "" : "/k1s.db");
    if (o->kubeconfig_out) {
        snprintf(k->kubeconfig, sizeof k->kubeconfig, "%s", o->kubeconfig_out);
    } else if (memory) {
        snprintf(k->kubeconfig, sizeof k->kubeconfig, "/tmp/k1s-kubeconfig-XXXXXX");
        int fd = mkstemp(k->kubeconfig);
        if (fd < 0) {
            free(k);
            return fail(err, "cannot create a kubeconfig file: %s", strerror(errno));
        }
        close(fd);
        k->own_kubeconfig = true;
    } else {
        snprintf(k->kubeconfig, sizeof k->kubeconfig, "%s/kubeconfig", o->data_dir);
    }
    if (k1s_cmd_token(memory ? NULL : o->data_dir, token, sizeof token)) {
        fail(err, "cannot create the access token in %s", o->data_dir);
        goto fail;
    }
    k1s_api_config acfg = {.db_path = db};
    if (k1s_api_open(&acfg, &k->api, err))
        goto fail;
    k1s_store_set_watch_limits(k1s_api_store(k->api), 0, o->watch_queue_bytes);
    /* compacts now if a former run left a long log, and as writes go on */
    k1s_store_set_retention(k1s_api_store(k->api), K1S_KEEP_EVENTS, K1S_KEEP_EVENT_BYTES);
    if (k1s_tls_material(memory ? NULL : o->data_dir, bind, &cert, &key)) {
        fail(err, "cannot create the serving certificate");
        goto fail;
    }
    k1s_server_config scfg = {.api = k->api,
                              .bind = bind,
                              .port = o->port,
                              .token = token,
                              .tls_cert = cert,
                              .tls_key = key,
                              .tls_min_version = o->tls_min_version,
                              .tls_cipher_suites = o->tls_cipher_suites};
    if (k1s_server_start(&scfg, &k->srv, err))
        goto fail;
    int port = k1s_server_port(k->srv);
    char berr[512];
    if (k1s_api_bootstrap(k->api, port, berr, sizeof berr) ||
        (!o->no_default_storage_class &&
         k1s_api_bootstrap_storage_class(k->api, berr, sizeof berr)) ||
        k1s_api_bootstrap_flowcontrol(k->api, berr, sizeof berr)) {
        fail(err, "%s", berr);
        goto fail;
    }
    if (!o->disable_controllers) {
        k1s_controllers_config ccfg = {.api = k->api,
                                       .data_dir = memory ? NULL : o->data_dir,
                                       .api_host = bind,
                                       .api_port = port};
        if (k1s_controllers_start(&ccfg, &k->ctl, err))
            goto fail;
    }
    if ((real_kubelet || !strcmp(kubelet, "simulated")) && !o->disable_controllers) {
        /* containerd's config, mounts and log paths need absolute paths */
        char abs_dir[PATH_MAX];
        if (!memory && !realpath(o->data_dir, abs_dir)) {
            fail(err, "cannot resolve %s: %s", o->data_dir, strerror(errno));
            goto fail;
        }
        /* the simulated node's address is the API's (127.0.0.1 when the
         * API listens everywhere); the real one's, its host's */
        k1s_kubelet_config kcfg = {.api = k->api,
                                   .simulated = !real_kubelet,
                                   .data_dir = memory ? NULL : abs_dir,
                                   .runtime_endpoint = o->runtime_endpoint,
                                   .node_ip = real_kubelet ? NULL : bind,
                                   .quiet = o->quiet};
        if (k1s_kubelet_start(&kcfg, &k->kubelet, err))
            goto fail;
        /* NULL in simulated mode: exec and logs answer that no node serves them */
        k1s_server_set_node_backend(k->srv, k1s_kubelet_backend(k->kubelet));
    }
    snprintf(k->url, sizeof k->url, "https://%s:%d", bind, port);
    if (k1s_cmd_write_kubeconfig(k->kubeconfig, k->url, token, cert)) {
        fail(err, "cannot write %s: %s", k->kubeconfig, strerror(errno));
        goto fail;
    }
    free(cert);
    free(key);
    k->start_ms = ms_since(&t0);
    if (!o->quiet)
        fprintf(stderr, "k1s: store %s, API %s, kubelet %s, controllers %s, ready in %.1f ms\n", db,
                k->url, kubelet, o->disable_controllers ? "off" : "on", k->start_ms);
    *out = k;
    return 0;
fail:
    free(cert);
    free(key);
    k1s_stop(k);
    if (!*err)
        fail(err, "cannot start k1s");
    return -1;
}

const char *k1s_kubeconfig(const k1s *k)
{
    return k->kubeconfig;
}

const char *k1s_url(const k1s *k)
{
    return k->url;
}

double k1s_start_ms(const k1s *k)
{
    return k->start_ms;
}

void k1s_tick(k1s *k)
{
    k1s_store_compact_auto(k1s_api_store(k->api), K1S_KEEP_EVENTS);
}

void k1s_stop(k1s *k)
{
    if (!k)
        return;
    /* the HTTP server first: once it has stopped no request thread can be
     * inside the kubelet's exec/log backend, which the kubelet frees */
    k1s_server_stop(k->srv);
    k1s_kubelet_stop(k->kubelet);
    k1s_controllers_stop(k->ctl);
    k1s_api_close(k->api);
    if (k->own_kubeconfig)
        unlink(k->kubeconfig);
    free(k);
}
