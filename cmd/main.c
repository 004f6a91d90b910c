/*
 * main.c - the k1s command: `k1s server [flags]` and `k1s version`.
 * Starts the components in a fixed order (store, API, HTTP), logs each one's
 * effective settings, and stops them in reverse on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "k1s_apiserver.h"
#include "k1s_controllers.h"

/* Events kept for watches resuming from an older resourceVersion. */
#define K1S_KEEP_EVENTS 10000

#ifndef K1S_VERSION
#define K1S_VERSION "0.0.0"
#endif

typedef struct options {
    const char *data_dir;
    const char *bind;
    int port;
    const char *kubelet;
    int disable_controllers;
    const char *kubeconfig_out;
    const char *runtime_endpoint;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: k1s server [--data-dir DIR] [--bind ADDR] [--port N]\n"
            "                  [--kubelet none|simulated|containerd]\n"
            "                  [--disable-controllers] [--kubeconfig-out FILE]\n"
            "                  [--container-runtime-endpoint PATH]\n"
            "       k1s version\n"
            "  --data-dir :memory: keeps everything in memory (needs --kubeconfig-out)\n"
            "  --port 0 picks a free port\n");
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static int parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"bind", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"kubelet", required_argument, NULL, 'k'},
        {"disable-controllers", no_argument, NULL, 'C'},
        {"kubeconfig-out", required_argument, NULL, 'o'},
        {"container-runtime-endpoint", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (options){.data_dir = "./k1s-data", .bind = "127.0.0.1",
                   .port = 6443, .kubelet = "containerd"};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': o->data_dir = optarg; break;
        case 'b': o->bind = optarg; break;
        case 'p': {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "k1s: invalid --port %s\n", optarg);
                return -1;
            }
            o->port = (int)p;
            break;
        }
        case 'k':
            if (strcmp(optarg, "none") && strcmp(optarg, "simulated") &&
                strcmp(optarg, "containerd")) {
                fprintf(stderr, "k1s: --kubelet must be none, simulated or containerd\n");
                return -1;
            }
            o->kubelet = optarg;
            break;
        case 'C': o->disable_controllers = 1; break;
        case 'o': o->kubeconfig_out = optarg; break;
        case 'r': o->runtime_endpoint = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

static int run_server(int argc, char **argv)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    options o;
    if (parse(argc, argv, &o))
        return 2;
    bool memory = !strcmp(o.data_dir, ":memory:");
    if (memory && !o.kubeconfig_out) {
        fprintf(stderr, "k1s: --data-dir :memory: needs --kubeconfig-out FILE\n");
        return 2;
    }
    if (!memory && mkdir(o.data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "k1s: cannot create %s: %s\n", o.data_dir, strerror(errno));
        return 1;
    }
    /* signals are taken by sigwait below, not by any thread */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    char db[4096], kubeconfig[4096], token[128];
    snprintf(db, sizeof db, "%s", memory ? ":memory:" : "");
    if (!memory)
        snprintf(db, sizeof db, "%s/k1s.db", o.data_dir);
    if (o.kubeconfig_out)
        snprintf(kubeconfig, sizeof kubeconfig, "%s", o.kubeconfig_out);
    else
        snprintf(kubeconfig, sizeof kubeconfig, "%s/kubeconfig", o.data_dir);
    if (k1s_cmd_token(memory ? NULL : o.data_dir, token, sizeof token)) {
        fprintf(stderr, "k1s: cannot create the access token in %s\n", o.data_dir);
        return 1;
    }

    k1s_api_config acfg = {.db_path = db};
    k1s_api *api = NULL;
    char *err = NULL;
    if (k1s_api_open(&acfg, &api, &err)) {
        fprintf(stderr, "k1s: %s\n", err ? err : "cannot open the API");
        free(err);
        return 1;
    }
    fprintf(stderr, "k1s: store %s (revision %lld)\n", db,
            (long long)k1s_store_revision(k1s_api_store(api)));

    char *cert = NULL, *key = NULL;
    if (k1s_tls_material(memory ? NULL : o.data_dir, o.bind, &cert, &key)) {
        fprintf(stderr, "k1s: cannot create the serving certificate\n");
        k1s_api_close(api);
        return 1;
    }
    k1s_server_config scfg = {.api = api, .bind = o.bind, .port = o.port,
                              .token = token, .tls_cert = cert, .tls_key = key};
    k1s_server *srv = NULL;
    int rc = k1s_server_start(&scfg, &srv, &err);
    free(key);
    if (rc) {
        fprintf(stderr, "k1s: %s\n", err ? err : "cannot start the API server");
        free(err);
        free(cert);
        k1s_api_close(api);
        return 1;
    }
    int port = k1s_server_port(srv);
    char berr[512];
    if (k1s_api_bootstrap(api, port, berr, sizeof berr)) {
        fprintf(stderr, "k1s: %s\n", berr);
        k1s_server_stop(srv);
        k1s_api_close(api);
        return 1;
    }
    k1s_controllers *ctl = NULL;
    if (!o.disable_controllers) {
        k1s_controllers_config ccfg = {.api = api, .kubelet = o.kubelet,
                                       .data_dir = memory ? NULL : o.data_dir,
                                       .api_host = o.bind, .api_port = port};
        if (k1s_controllers_start(&ccfg, &ctl, &err)) {
            fprintf(stderr, "k1s: %s\n", err ? err : "cannot start the controllers");
            free(err);
            free(cert);
            k1s_server_stop(srv);
            k1s_api_close(api);
            return 1;
        }
    }
    char url[128];
    snprintf(url, sizeof url, "https://%s:%d", o.bind, port);
    rc = k1s_cmd_write_kubeconfig(kubeconfig, url, token, cert);
    free(cert);
    if (rc) {
        fprintf(stderr, "k1s: cannot write %s: %s\n", kubeconfig, strerror(errno));
        k1s_controllers_stop(ctl);
        k1s_server_stop(srv);
        k1s_api_close(api);
        return 1;
    }
    fprintf(stderr, "k1s: API server on %s (kubelet: %s, controllers: %s), ready in %.1f ms\n",
            url, o.kubelet, o.disable_controllers ? "off" : "on", ms_since(&t0));
    printf("export KUBECONFIG=%s\n%s\n", kubeconfig, url);
    fflush(stdout);

    /* The event log keeps a full copy of every write: trim it once a
     * minute, keeping enough history for watchers to resume. */
    int sig;
    for (;;) {
        struct timespec tick = {60, 0};
        sig = sigtimedwait(&sigs, NULL, &tick);
        if (sig > 0)
            break;
        k1s_store_compact_auto(k1s_api_store(api), K1S_KEEP_EVENTS);
    }
    fprintf(stderr, "k1s: signal %d, stopping\n", sig);
    k1s_controllers_stop(ctl);
    k1s_server_stop(srv);
    k1s_api_close(api);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "version")) {
        printf("k1s %s (Kubernetes API v1.33)\n", K1S_VERSION);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "server"))
        return run_server(argc - 1, argv + 1);
    usage(stderr);
    return 2;
}
