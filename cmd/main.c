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

#include "k1s.h"

#ifndef K1S_VERSION
#define K1S_VERSION "0.0.0"
#endif

typedef struct options {
    const char *data_dir;
    const char *bind;
    int port;
    const char *kubelet;
    int disable_controllers;
    int no_default_storage_class;
    const char *kubeconfig_out;
    const char *runtime_endpoint;
    size_t watch_queue_bytes;
    const char *tls_min_version, *tls_cipher_suites;
} options;

static void usage(FILE *f)
{
    fprintf(f, "usage: k1s server [--data-dir DIR] [--bind ADDR] [--port N]\n"
               "                  [--kubelet none|simulated|containerd]\n"
               "                  [--disable-controllers] [--no-default-storage-class]\n"
               "                  [--kubeconfig-out FILE]\n"
               "                  [--container-runtime-endpoint PATH] [--watch-queue-bytes N]\n"
               "                  [--tls-min-version VersionTLS12|VersionTLS13]\n"
               "                  [--tls-cipher-suites NAME,...]\n"
               "       k1s version\n"
               "  --data-dir :memory: keeps everything in memory (needs --kubeconfig-out)\n"
               "  --port 0 picks a free port\n");
}

static int parse(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"bind", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"kubelet", required_argument, NULL, 'k'},
        {"disable-controllers", no_argument, NULL, 'C'},
        {"no-default-storage-class", no_argument, NULL, 'D'},
        {"kubeconfig-out", required_argument, NULL, 'o'},
        {"container-runtime-endpoint", required_argument, NULL, 'r'},
        {"watch-queue-bytes", required_argument, NULL, 'w'},
        {"tls-min-version", required_argument, NULL, 'T'},
        {"tls-cipher-suites", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (options){
        .data_dir = "./k1s-data", .bind = "127.0.0.1", .port = 6443, .kubelet = "containerd"};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            o->data_dir = optarg;
            break;
        case 'b':
            o->bind = optarg;
            break;
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
        case 'C':
            o->disable_controllers = 1;
            break;
        case 'D':
            o->no_default_storage_class = 1;
            break;
        case 'o':
            o->kubeconfig_out = optarg;
            break;
        case 'r':
            o->runtime_endpoint = optarg;
            break;
        case 'T':
            o->tls_min_version = optarg;
            break;
        case 'S':
            o->tls_cipher_suites = optarg;
            break;
        case 'w': {
            char *end;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (*end || *optarg == '-' || n < 4096 || n > ((unsigned long long)1 << 40)) {
                fprintf(stderr, "k1s: --watch-queue-bytes must be 4096 to 2^40\n");
                return -1;
            }
            o->watch_queue_bytes = (size_t)n;
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
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
    options o;
    if (parse(argc, argv, &o))
        return 2;
    bool memory = !strcmp(o.data_dir, ":memory:");
    if (memory && !o.kubeconfig_out) {
        fprintf(stderr, "k1s: --data-dir :memory: needs --kubeconfig-out FILE\n");
        return 2;
    }
    /* signals are taken by sigtimedwait below, not by any thread */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    k1s_options ko = {.data_dir = o.data_dir,
                      .kubeconfig_out = o.kubeconfig_out,
                      .bind = o.bind,
                      .port = o.port,
                      .kubelet = o.kubelet,
                      .runtime_endpoint = o.runtime_endpoint,
                      .disable_controllers = o.disable_controllers,
                      .no_default_storage_class = o.no_default_storage_class,
                      .watch_queue_bytes = o.watch_queue_bytes,
                      .tls_min_version = o.tls_min_version,
                      .tls_cipher_suites = o.tls_cipher_suites};
    k1s *k = NULL;
    char *err = NULL;
    if (k1s_start(&ko, &k, &err)) {
        fprintf(stderr, "k1s: %s\n", err ? err : "cannot start");
        free(err);
        return 1;
    }
    printf("export KUBECONFIG=%s\n%s\n", k1s_kubeconfig(k), k1s_url(k));
    fflush(stdout);
    int sig;
    for (;;) {
        struct timespec tick = {60, 0};
        sig = sigtimedwait(&sigs, NULL, &tick);
        if (sig > 0)
            break;
        k1s_tick(k);
    }
    fprintf(stderr, "k1s: signal %d, stopping\n", sig);
    k1s_stop(k);
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
