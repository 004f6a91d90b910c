/*
 * proxy_reconcile.c - from the Service and Endpoints caches to what the
 * proxy serves: one "service port" per TCP port of every Service (its
 * sorted ready backends and its round-robin position), and the listeners
 * pointing at them: <bind>:<nodePort> for NodePort and LoadBalancer
 * services, <clusterIP>:<port> when ClusterIPs are on. Everything is
 * recomputed on each change (services are few); a listener whose address
 * and port stay is kept open and only re-pointed, so endpoint changes
 * apply to the next connection without any listener restart. A changed
 * set of ready endpoints restarts the round from the first, so a user
 * scaling a StatefulSet up sees its pods answer 0, 1, 2 in turn.
 */
#include "proxy_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

void k1s__proxy_svcport_unref(k1s__proxy_svcport *sp)
{
    if (!sp || --sp->refs > 0)
        return;
    k1s__proxy_backends_free(&sp->be);
    free(sp->last.pod);
    free(sp->key);
    free(sp);
}

const k1s__proxy_backend *k1s__proxy_svcport_pick(k1s__proxy_svcport *sp)
{
    long i = k1s__proxy_rr_next(&sp->be, sp->has_last ? &sp->last : NULL);
    if (i < 0)
        return NULL;
    const k1s__proxy_backend *be = &sp->be.v[i];
    char *pod = strdup(be->pod);
    if (pod) {
        free(sp->last.pod);
        sp->last = *be;
        sp->last.pod = pod;
        sp->has_last = true;
    }
    return be;
}

static bool same_backends(const k1s__proxy_backends *a, const k1s__proxy_backends *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (k1s__proxy_backend_cmp(&a->v[i], &b->v[i]) != 0)
            return false;
    return true;
}

static k1s__proxy_svcport **svcports(const k1s_proxy *p)
{
    return p->sps.p;
}

static k1s__proxy_svcport *svcport_get(k1s_proxy *p, const char *key)
{
    for (size_t i = 0; i < p->sps.n; i++)
        if (!strcmp(svcports(p)[i]->key, key))
            return svcports(p)[i];
    k1s__proxy_svcport *sp = calloc(1, sizeof *sp);
    if (!sp || !(sp->key = strdup(key)) || k1s_vec_append(&p->sps, &sp) != 0) {
        if (sp)
            free(sp->key);
        free(sp);
        return NULL;
    }
    sp->refs = 1;
    return sp;
}

static void listener_close(k1s_proxy *p, k1s__proxy_listener *l)
{
    if (l->fd >= 0) {
        k1s__proxy_log(p, "stopped listening on %s:%d", l->addr, l->port);
        close(l->fd); /* also leaves the epoll set */
    }
    l->fd = -1;
}

static void want_listener(k1s_proxy *p, const char *addr, int port, k1s__proxy_svcport *sp,
                          bool cluster_ip)
{
    if (port < 1 || port > 65535 || strlen(addr) >= INET6_ADDRSTRLEN)
        return;
    for (k1s__proxy_listener *l = p->listeners; l; l = l->next)
        if (l->port == port && !strcmp(l->addr, addr)) {
            if (!l->want) { /* else taken by another port: first wins */
                l->want = true;
                l->sp = sp;
            }
            return;
        }
    k1s__proxy_listener *l = calloc(1, sizeof *l);
    if (!l)
        return;
    l->h.kind = PH_LISTENER;
    l->fd = -1;
    snprintf(l->addr, sizeof l->addr, "%s", addr);
    l->port = port;
    l->cluster_ip = cluster_ip;
    l->sp = sp;
    l->want = true;
    l->next = p->listeners;
    p->listeners = l;
}

static int listener_open(k1s_proxy *p, k1s__proxy_listener *l)
{
    k1s__proxy_backend where = {0};
    if (k1s__proxy_backend_addr(&where, l->addr, l->port)) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(where.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l->cluster_ip) /* the address may arrive a moment later */
        setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->h};
    if (bind(fd, (struct sockaddr *)&where.sa, where.salen) < 0 || listen(fd, 1024) < 0 ||
        epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    l->fd = fd;
    l->paused = false;
    return 0;
}

static void try_open(k1s_proxy *p, k1s__proxy_listener *l, int64_t now)
{
    if (l->fd >= 0 || l->retry_ms > now)
        return;
    if (listener_open(p, l) == 0) {
        k1s__proxy_log(p, "listening on %s:%d for %s", l->addr, l->port, l->sp->key);
        l->warned = false;
        return;
    }
    if (!l->warned)
        k1s__proxy_log(p, "cannot listen on %s:%d for %s: %s (retrying)", l->addr, l->port,
                       l->sp->key, strerror(errno));
    l->warned = true;
    l->retry_ms = now + 5000;
}

/* The service ports, listeners and cluster IPs one Service asks for. */
static void want_service(k1s_proxy *p, const char *key, const json_t *svc, json_t *cips)
{
    const json_t *spec = json_object_get(svc, "spec");
    const char *type = k1s_json_str_or(spec, "type", "ClusterIP");
    bool node = !strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer");
    const char *cip = k1s_json_str_or(spec, "clusterIP", "");
    uint32_t a4;
    bool has_cip = p->cip.on && k1s_ipv4_parse(cip, &a4) == 0;
    const json_t *ports = json_object_get(spec, "ports");
    const json_t *eps = json_object_get(p->eps.cache, key);
    size_t n = json_array_size(ports);
    for (size_t i = 0; i < n; i++) {
        const json_t *pt = json_array_get(ports, i);
        if (!k1s__proxy_port_tcp(pt))
            continue;
        const char *name = k1s_json_str_or(pt, "name", "");
        int port = (int)json_integer_value(json_object_get(pt, "port"));
        char spkey[700];
        snprintf(spkey, sizeof spkey, "%s:%s", key, *name ? name : "");
        k1s__proxy_svcport *sp = svcport_get(p, spkey);
        if (!sp)
            continue;
        k1s__proxy_backends be;
        if (!sp->seen && k1s__proxy_backends_from(eps, name, n == 1, &be) == 0) {
            /* a new set of ready endpoints starts a new round from the
             * first (the scenario's im 0, im 1, im 2 after scaling up) */
            if (!same_backends(&sp->be, &be))
                sp->has_last = false;
            k1s__proxy_backends_free(&sp->be);
            sp->be = be;
        }
        sp->seen = true;
        int np = (int)json_integer_value(json_object_get(pt, "nodePort"));
        if (node && np > 0)
            want_listener(p, p->bind, np, sp, false);
        if (has_cip) {
            want_listener(p, cip, port, sp, true);
            json_object_set_new(cips, cip, json_true());
        }
    }
}

void k1s__proxy_reconcile(k1s_proxy *p)
{
    for (size_t i = 0; i < p->sps.n; i++)
        svcports(p)[i]->seen = false;
    for (k1s__proxy_listener *l = p->listeners; l; l = l->next)
        l->want = false;
    json_t *cips = json_object();
    const char *key;
    json_t *svc;
    json_object_foreach(p->svcs.cache, key, svc) want_service(p, key, svc, cips);
    k1s__proxy_cip_add(p, cips);
    /* Close what is no longer wanted before opening, so a nodePort that
     * moved from one service to another can be bound again. */
    for (k1s__proxy_listener **pl = &p->listeners; *pl;) {
        k1s__proxy_listener *l = *pl;
        if (l->want) {
            pl = &l->next;
            continue;
        }
        *pl = l->next;
        listener_close(p, l);
        /* Events of this epoll batch may still point at it. */
        l->h.kind = PH_GONE;
        l->next = p->gone;
        p->gone = l;
    }
    int64_t now = k1s_time_mono_ms();
    for (k1s__proxy_listener *l = p->listeners; l; l = l->next)
        try_open(p, l, now);
    k1s__proxy_cip_del(p, cips);
    json_decref(cips);
    for (size_t i = 0; i < p->sps.n;) {
        k1s__proxy_svcport *sp = svcports(p)[i];
        if (sp->seen) {
            i++;
            continue;
        }
        k1s_vec_remove(&p->sps, i);
        sp->dead = true;
        k1s__proxy_svcport_unref(sp);
    }
}

void k1s__proxy_listeners_retry(k1s_proxy *p)
{
    int64_t now = k1s_time_mono_ms();
    for (k1s__proxy_listener *l = p->listeners; l; l = l->next) {
        if (l->fd >= 0 && l->paused) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->h};
            if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, l->fd, &ev) == 0)
                l->paused = false;
        }
        try_open(p, l, now);
    }
}

void k1s__proxy_listeners_reap(k1s_proxy *p)
{
    while (p->gone) {
        k1s__proxy_listener *l = p->gone;
        p->gone = l->next;
        free(l);
    }
}

void k1s__proxy_reconcile_free(k1s_proxy *p)
{
    k1s__proxy_listeners_reap(p);
    while (p->listeners) {
        k1s__proxy_listener *l = p->listeners;
        p->listeners = l->next;
        listener_close(p, l);
        free(l);
    }
    for (size_t i = 0; i < p->sps.n; i++) {
        svcports(p)[i]->dead = true;
        k1s__proxy_svcport_unref(svcports(p)[i]);
    }
    k1s_vec_free(&p->sps);
}
