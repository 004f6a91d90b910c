/*
 * proxy_cip.c - ClusterIPs as local addresses, so ClusterIP:port reaches
 * the proxy's listener from the host, and from pods (their default route
 * is the bridge, i.e. the host, which delivers locally to any address it
 * owns). Each address is a /32 on a dummy link "k1s-svc" (as kube-proxy's
 * IPVS mode does with kube-ipvs0), deleted at stop. Where dummy links are
 * not available (a container without the module), the addresses go on lo
 * with the label "lo:k1s-svc", so stale ones can be found and removed.
 */
#include "proxy_internal.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct stale_ctx {
    const char *label;
    json_t *ips;
} stale_ctx;

static void collect_stale(void *vctx, const char *ip, const char *label)
{
    stale_ctx *s = vctx;
    if (!strcmp(label, s->label))
        json_object_set_new(s->ips, ip, json_true());
}

/* Addresses left on lo by a run that did not stop cleanly. */
static void drop_stale(k1s_proxy *p)
{
    stale_ctx s = {p->cip.label, json_object()};
    if (s.ips && k1s__proxy_nl_addr_each(p->cip.nl, p->cip.ifindex, collect_stale, &s) == 0) {
        const char *ip;
        json_t *v;
        json_object_foreach(s.ips, ip, v)
            k1s__proxy_nl_addr(p->cip.nl, false, p->cip.ifindex, ip, NULL);
    }
    json_decref(s.ips);
}

int k1s__proxy_cip_init(k1s_proxy *p)
{
    k1s__proxy_cip *c = &p->cip;
    if (!p->cluster_ips)
        return 0;
    if (geteuid() != 0) {
        k1s__proxy_log(p, "ClusterIPs are not served: that needs root");
        return 0;
    }
    if ((c->nl = k1s__proxy_nl_open()) < 0 || !(c->have = json_object())) {
        k1s__proxy_log(p, "ClusterIPs are not served: netlink: %s", strerror(errno));
        return -1;
    }
    int idx = (int)if_nametoindex(p->iface);
    if (idx > 0) /* ours, from a run that did not stop cleanly */
        k1s__proxy_nl_link_del(c->nl, idx);
    int rc = k1s__proxy_nl_link_add_dummy(c->nl, p->iface);
    if (rc == 0 && (idx = (int)if_nametoindex(p->iface)) > 0 &&
        (rc = k1s__proxy_nl_link_up(c->nl, idx)) == 0) {
        c->ifindex = idx;
        c->own_iface = true;
    } else {
        if (idx > 0 && rc == 0)
            k1s__proxy_nl_link_del(c->nl, idx);
        c->ifindex = (int)if_nametoindex("lo");
        snprintf(c->label, sizeof c->label, "lo:%s", p->iface);
        k1s__proxy_log(p, "no dummy link %s (%s); ClusterIPs go on lo as %s", p->iface,
                       strerror(rc < 0 ? -rc : ENODEV), c->label);
        if (c->ifindex <= 0)
            return -1;
        drop_stale(p);
    }
    c->on = true;
    return 0;
}

void k1s__proxy_cip_add(k1s_proxy *p, const json_t *want)
{
    k1s__proxy_cip *c = &p->cip;
    if (!c->on)
        return;
    const char *ip;
    json_t *v;
    json_object_foreach((json_t *)want, ip, v)
    {
        if (json_object_get(c->have, ip))
            continue;
        int rc = k1s__proxy_nl_addr(c->nl, true, c->ifindex, ip, c->label);
        if (rc == 0)
            json_object_set_new(c->have, ip, json_true());
        else if (rc != -EEXIST) /* someone else's: used, never removed */
            k1s__proxy_log(p, "cannot add ClusterIP %s: %s", ip, strerror(-rc));
    }
}

void k1s__proxy_cip_del(k1s_proxy *p, const json_t *want)
{
    k1s__proxy_cip *c = &p->cip;
    if (!c->on)
        return;
    const char *ip;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(c->have, tmp, ip, v)
    {
        if (json_object_get(want, ip))
            continue;
        k1s__proxy_nl_addr(c->nl, false, c->ifindex, ip, NULL);
        json_object_del(c->have, ip);
    }
}

void k1s__proxy_cip_fini(k1s_proxy *p)
{
    k1s__proxy_cip *c = &p->cip;
    if (c->on) {
        if (c->own_iface) {
            k1s__proxy_nl_link_del(c->nl, c->ifindex); /* takes its addresses */
        } else {
            json_t *none = json_object();
            if (none)
                k1s__proxy_cip_del(p, none);
            json_decref(none);
        }
    }
    c->on = false;
    if (c->nl >= 0)
        close(c->nl);
    c->nl = -1;
    json_decref(c->have);
    c->have = NULL;
}
