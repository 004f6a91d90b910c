/*
 * k1s_proxy.h - the kube-proxy part of the node: every NodePort of every
 * Service listens on the host (all addresses, so localhost:<nodePort>
 * works) and forwards each TCP connection to the Service's ready endpoints
 * in turn (round-robin in a stable order: endpoints sorted by the name of
 * the pod they point at, then by IP), following Service and Endpoints
 * changes at once. Fed through the client interface (k1s_api_list/watch).
 */
#ifndef K1S_PROXY_H
#define K1S_PROXY_H

#include "k1s_api.h"

typedef struct k1s_proxy k1s_proxy;

typedef struct k1s_proxy_config {
    k1s_api *api;     /* borrowed; must outlive the proxy */
    const char *bind; /* address NodePorts listen on; default 0.0.0.0 */
    bool quiet;
    /* Also make each Service's ClusterIP reachable from the host and from
     * pods: the address goes on a local interface (a dummy one, or lo when
     * dummy links are not available) and ClusterIP:port is forwarded the
     * same way. Needs root; skipped with a message otherwise. */
    bool cluster_ips;
    const char *cluster_ip_iface; /* default "k1s-svc" (at most 12 chars) */
} k1s_proxy_config;

int k1s_proxy_start(const k1s_proxy_config *cfg, k1s_proxy **out, char **err);
void k1s_proxy_stop(k1s_proxy *p);

#endif
