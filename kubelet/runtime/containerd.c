/*
 * containerd.c - the public side of k1s_containerd.h: the order of the
 * start-up steps, the health check that brings a dead containerd back,
 * and stop. The steps themselves live in the files listed in
 * containerd_internal.h; docs/internals/containerd.md tells the story.
 *
 * Start, with k1s's own containerd:
 *   1. find containerd and ctr in PATH,
 *   2. stop a containerd an earlier (killed) k1s left on this data dir,
 *   3. pick a free port for CRI streaming, write config.toml and the CNI
 *      conflist,
 *   4. spawn containerd, wait until its CRI plugin answers Version,
 *   5. import the pause image unless containerd already has it,
 *   6. import the tarballs in <data-dir>/images not imported before.
 * With an endpoint only 4's check, 5 and 6 run.
 */
#include "containerd_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

static void destroy(k1s_containerd *c)
{
    if (!c)
        return;
    if (c->cri)
        k1s_cri_close(c->cri);
    free(c->dir);
    free(c->images_dir);
    free(c->config_path);
    free(c->socket);
    free(c->log_path);
    free(c->pid_path);
    free(c->stream_base);
    free(c->pod_cidr);
    free(c->containerd_bin);
    free(c->ctr_bin);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->import_lock);
    free(c);
}

/* The struct with its paths; NULL when out of memory. */
static k1s_containerd *create(const k1s_containerd_config *cfg)
{
    k1s_containerd *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->import_lock, NULL);
    c->quiet = cfg->quiet;
    c->restart_interval_ms = K1S_CD_RESTART_INTERVAL_MS;
    c->own = cfg->endpoint == NULL;
    const char *d = cfg->data_dir;
    c->dir = k1s__cd_strf("%s/containerd", d);
    c->images_dir = k1s__cd_strf("%s/images", d);
    c->config_path = k1s__cd_strf("%s/containerd/config.toml", d);
    c->log_path = k1s__cd_strf("%s/containerd/containerd.log", d);
    c->pid_path = k1s__cd_strf("%s/containerd/containerd.pid", d);
    c->pod_cidr = strdup(cfg->pod_cidr ? cfg->pod_cidr : K1S_CD_DEFAULT_CIDR);
    if (cfg->endpoint) {
        const char *ep = cfg->endpoint;
        /* ctr and connect() want a path; CRI takes either */
        c->socket = strdup(strncmp(ep, "unix://", 7) == 0 ? ep + 7 : ep);
        c->stream_base = strdup("");
    } else {
        c->socket = k1s__cd_strf("%s/containerd/containerd.sock", d);
    }
    if (!c->dir || !c->images_dir || !c->config_path || !c->log_path || !c->pid_path ||
        !c->pod_cidr || !c->socket || (cfg->endpoint && !c->stream_base)) {
        destroy(c);
        return NULL;
    }
    return c;
}

static int start_own(k1s_containerd *c, char **err)
{
    struct sockaddr_un sa;
    if (strlen(c->socket) >= sizeof sa.sun_path)
        return k1s__cd_err(err,
                           "data directory path too long for a UNIX "
                           "socket: %s",
                           c->socket);
    c->containerd_bin = k1s__cd_which("containerd");
    if (!c->containerd_bin)
        return k1s__cd_err(err, "containerd not found: apt-get install "
                                "containerd runc containernetworking-plugins");
    if (k1s__cd_stop_stale(c, err) != 0)
        return -1;
    c->stream_port = k1s__cd_free_port();
    if (c->stream_port <= 0)
        return k1s__cd_err(err, "no free TCP port on 127.0.0.1 for CRI "
                                "streaming");
    c->stream_base = k1s__cd_strf("http://127.0.0.1:%d", c->stream_port);
    if (!c->stream_base)
        return k1s__cd_err(err, "out of memory");
    if (k1s__cd_write_configs(c, err) != 0)
        return -1;
    k1s__cd_reset_stale_bridge(c->pod_cidr, c->quiet);
    k1s__cd_ensure_masquerade(c->pod_cidr, c->quiet);

    int64_t t0 = k1s_time_mono_ms();
    if (k1s__cd_spawn_and_wait(c, K1S_CD_READY_TIMEOUT_MS, err) != 0)
        return -1;
    if (!c->quiet)
        fprintf(stderr, "k1s: containerd ready in %lld ms (pid %d, %s)\n",
                (long long)(k1s_time_mono_ms() - t0), (int)c->pid, c->socket);
    return 0;
}

int k1s_containerd_start(const k1s_containerd_config *cfg, k1s_containerd **out, char **err)
{
    *out = NULL;
    *err = NULL;
    if (!cfg || !cfg->data_dir || !cfg->data_dir[0])
        return k1s__cd_err(err, "containerd: a data directory is required");
    if (cfg->pod_cidr && !k1s__cd_valid_cidr(cfg->pod_cidr))
        return k1s__cd_err(err,
                           "invalid pod CIDR %s: want an IPv4 network "
                           "such as " K1S_CD_DEFAULT_CIDR,
                           cfg->pod_cidr);
    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST)
        return k1s__cd_err(err, "cannot create %s: %s", cfg->data_dir, strerror(errno));
    /* absolute: containerd's config wants absolute paths, and the stale
     * check compares the --config argument */
    char *abs = realpath(cfg->data_dir, NULL);
    if (!abs)
        return k1s__cd_err(err, "%s: %s", cfg->data_dir, strerror(errno));
    k1s_containerd_config real = *cfg;
    real.data_dir = abs;
    k1s_containerd *c = create(&real);
    free(abs);
    if (!c)
        return k1s__cd_err(err, "out of memory");
    /* also without a config: it holds pause.tar and imported.json */
    if (mkdir(c->dir, 0711) != 0 && errno != EEXIST) {
        k1s__cd_err(err, "cannot create %s: %s", c->dir, strerror(errno));
        goto fail;
    }
    c->ctr_bin = k1s__cd_which("ctr");
    if (k1s_cri_open(c->socket, &c->cri, err) != 0)
        goto fail;

    if (c->own) {
        if (start_own(c, err) != 0)
            goto fail;
    } else if (!k1s__cd_answers(c)) {
        k1s__cd_err(err, "container runtime endpoint %s does not answer", c->socket);
        goto fail;
    }
    if (k1s__cd_ensure_pause(c, err) != 0)
        goto fail;
    k1s__cd_import_dir(c); /* failures are logged; the node runs anyway */
    *out = c;
    return 0;

fail:
    k1s__cd_terminate(c, K1S_CD_STOP_TIMEOUT_MS);
    destroy(c);
    return -1;
}

const char *k1s_containerd_socket(const k1s_containerd *c)
{
    return c->socket;
}

const char *k1s_containerd_stream_base(const k1s_containerd *c)
{
    return c->own ? c->stream_base : "";
}

bool k1s_containerd_check(k1s_containerd *c)
{
    if (!c)
        return false;
    if (!c->own)
        return k1s__cd_answers(c);
    pthread_mutex_lock(&c->lock);
    bool ok;
    if (k1s__cd_child_alive(c)) {
        ok = k1s__cd_answers(c);
    } else if (k1s_time_mono_ms() - c->started_ms < c->restart_interval_ms) {
        ok = false; /* rate limit: a crash loop must not spin */
    } else {
        char *err = NULL;
        if (!c->quiet)
            fprintf(stderr, "k1s: containerd is not running; starting it "
                            "again\n");
        int64_t t0 = k1s_time_mono_ms();
        ok = k1s__cd_spawn_and_wait(c, K1S_CD_READY_TIMEOUT_MS, &err) == 0;
        if (!ok)
            fprintf(stderr, "k1s: %s\n", err);
        else if (!c->quiet)
            fprintf(stderr, "k1s: containerd ready in %lld ms (pid %d)\n",
                    (long long)(k1s_time_mono_ms() - t0), (int)c->pid);
        free(err);
    }
    pthread_mutex_unlock(&c->lock);
    return ok;
}

int k1s_containerd_import(k1s_containerd *c, const char *path, char **err)
{
    *err = NULL;
    if (!c || !path)
        return k1s__cd_err(err, "no file to import");
    return k1s__cd_import_one(c, path, err);
}

void k1s_containerd_stop(k1s_containerd *c)
{
    if (!c)
        return;
    if (c->own) {
        pthread_mutex_lock(&c->lock);
        k1s__cd_terminate(c, K1S_CD_STOP_TIMEOUT_MS);
        pthread_mutex_unlock(&c->lock);
    }
    destroy(c);
}
