/*
 * proxy.c - the service proxy's life: one thread around one epoll set
 * holding the wake eventfd (watch notifications and stop), the listeners
 * and both sockets of every forwarded connection. A 1 s tick handles what
 * no fd announces: connect timeouts, listeners to retry, a lost watch.
 */
#include "proxy_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

void k1s__proxy_log(const k1s_proxy *p, const char *fmt, ...)
{
    if (p->quiet)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "k1s: proxy: %s\n", line);
}

static void on_wake(k1s_proxy *p)
{
    uint64_t v;
    ssize_t r = read(p->wakefd, &v, sizeof v);
    (void)r;
    int more = k1s__proxy_sync_drain(p, &p->svcs);
    more |= k1s__proxy_sync_drain(p, &p->eps);
    if (more) {
        uint64_t one = 1;
        r = write(p->wakefd, &one, sizeof one);
    }
}

static void tick(k1s_proxy *p, int64_t now)
{
    if (!p->svcs.w)
        k1s__proxy_sync_list(p, &p->svcs);
    if (!p->eps.w)
        k1s__proxy_sync_list(p, &p->eps);
    k1s__proxy_listeners_retry(p);
    k1s__proxy_conn_tick(p, now);
}

static void dispatch(k1s_proxy *p, struct epoll_event *ev)
{
    k1s__proxy_handle *h = ev->data.ptr;
    switch (h->kind) {
    case PH_LISTENER:
        k1s__proxy_accept(p, (k1s__proxy_listener *)h);
        break;
    case PH_CLIENT:
    case PH_BACKEND:
        k1s__proxy_conn_event(p, (k1s__proxy_side *)h, ev->events);
        break;
    default:
        break;
    }
}

static void *run(void *arg)
{
    k1s_proxy *p = arg;
    k1s__proxy_cip_init(p);
    k1s__proxy_sync_list(p, &p->svcs);
    k1s__proxy_sync_list(p, &p->eps);
    int64_t next_tick = k1s_time_mono_ms() + 1000;
    struct epoll_event evs[64];
    while (!atomic_load(&p->stop)) {
        if (p->dirty) {
            p->dirty = false;
            k1s__proxy_reconcile(p);
        }
        int64_t now = k1s_time_mono_ms();
        int timeout = p->again ? 0 : (int)(next_tick > now ? next_tick - now : 0);
        int n = epoll_wait(p->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            k1s__proxy_log(p, "epoll_wait: %s", strerror(errno));
            break;
        }
        /* Watch news first, so a connection accepted in this same turn
         * already sees an endpoint change that happened before it. */
        for (int i = 0; i < n; i++)
            if (((k1s__proxy_handle *)evs[i].data.ptr)->kind == PH_WAKE) {
                on_wake(p);
                if (p->dirty) {
                    p->dirty = false;
                    k1s__proxy_reconcile(p);
                }
            }
        for (int i = 0; i < n; i++)
            if (((k1s__proxy_handle *)evs[i].data.ptr)->kind != PH_WAKE)
                dispatch(p, &evs[i]);
        k1s__proxy_conn_run_again(p);
        k1s__proxy_conn_reap(p);
        k1s__proxy_listeners_reap(p);
        now = k1s_time_mono_ms();
        if (now >= next_tick) {
            tick(p, now);
            k1s__proxy_conn_reap(p);
            next_tick = now + 1000;
        }
    }
    return NULL;
}

static void destroy(k1s_proxy *p)
{
    k1s__proxy_sync_free(&p->svcs);
    k1s__proxy_sync_free(&p->eps);
    k1s__proxy_conn_close_all(p);
    k1s__proxy_conn_reap(p);
    k1s__proxy_reconcile_free(p);
    k1s__proxy_cip_fini(p);
    if (p->epfd >= 0)
        close(p->epfd);
    if (p->wakefd >= 0)
        close(p->wakefd);
    free(p->bind);
    free(p->iface);
    free(p->scratch);
    free(p);
}

int k1s_proxy_start(const k1s_proxy_config *cfg, k1s_proxy **out, char **err)
{
    *out = NULL;
    if (err)
        *err = NULL;
    const char *why = NULL;
    k1s_proxy *p = calloc(1, sizeof *p);
    if (!p) {
        why = "out of memory";
        goto fail_msg;
    }
    p->epfd = p->wakefd = -1;
    p->sps = K1S_VEC(k1s__proxy_svcport *);
    p->cip.nl = -1;
    p->api = cfg->api;
    p->quiet = cfg->quiet;
    p->cluster_ips = cfg->cluster_ips;
    p->wake.kind = PH_WAKE;
    p->svcs.kind = k1s_registry_find_kind("", "Service");
    p->eps.kind = k1s_registry_find_kind("", "Endpoints");
    p->bind = strdup(cfg->bind && *cfg->bind ? cfg->bind : "0.0.0.0");
    p->iface = strndup(
        cfg->cluster_ip_iface && *cfg->cluster_ip_iface ? cfg->cluster_ip_iface : "k1s-svc", 12);
    if (!p->api || !p->svcs.kind || !p->eps.kind) {
        why = "no API or no Service/Endpoints kinds";
        goto fail_msg;
    }
    p->scratch = malloc(K1S__PROXY_BUF);
    if (!p->bind || !p->iface || !p->scratch) {
        why = "out of memory";
        goto fail_msg;
    }
    p->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &p->wake};
    if (p->wakefd < 0 || p->epfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->wakefd, &ev) < 0)
        goto fail_errno;
    int rc = pthread_create(&p->thread, NULL, run, p);
    if (rc) {
        errno = rc;
        goto fail_errno;
    }
    *out = p;
    return 0;
fail_errno:
    if (err && asprintf(err, "proxy: %s", strerror(errno)) < 0)
        *err = NULL;
    destroy(p);
    return -1;
fail_msg:
    if (err && asprintf(err, "proxy: %s", why) < 0)
        *err = NULL;
    if (p)
        destroy(p);
    return -1;
}

void k1s_proxy_stop(k1s_proxy *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, true);
    uint64_t one = 1;
    ssize_t r = write(p->wakefd, &one, sizeof one);
    (void)r;
    pthread_join(p->thread, NULL);
    destroy(p);
}
