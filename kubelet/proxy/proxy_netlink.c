/*
 * proxy_netlink.c - the rtnetlink requests the ClusterIP part needs
 * (create/up/delete a dummy link, add/delete/list addresses), so k1s does
 * not fork `ip` from a threaded process. Each request waits for its ack.
 */
#include "proxy_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef struct nlreq {
    struct nlmsghdr h;
    char room[512];
} nlreq;

int k1s__proxy_nl_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -1;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    struct timeval tv = {.tv_sec = 2}; /* never hang the proxy thread */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static struct rtattr *put(nlreq *r, int type, const void *data, size_t len)
{
    size_t off = NLMSG_ALIGN(r->h.nlmsg_len);
    if (off + RTA_SPACE(len) > sizeof *r)
        return NULL;
    struct rtattr *a = (struct rtattr *)((char *)r + off);
    a->rta_type = (unsigned short)type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    if (len)
        memcpy(RTA_DATA(a), data, len);
    r->h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
    return a;
}

static void nest_end(nlreq *r, struct rtattr *a)
{
    if (a)
        a->rta_len = (unsigned short)((char *)r + r->h.nlmsg_len - (char *)a);
}

/* Send r and wait for its ack: 0 or a negative errno. */
static int talk(int nl, nlreq *r)
{
    /* Only uniqueness matters: acks of an earlier request that timed out
     * must not be taken for this one's. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r->h.nlmsg_seq = (uint32_t)(ts.tv_sec * 1000000000ll + ts.tv_nsec);
    r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    if (send(nl, r, r->h.nlmsg_len, 0) < 0)
        return -errno;
    char buf[8192] __attribute__((aligned(4)));
    for (;;) {
        ssize_t n = recv(nl, buf, sizeof buf, 0);
        if (n < 0)
            return errno == EINTR ? -EINTR : -errno;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != r->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
                continue;
            const struct nlmsgerr *e = NLMSG_DATA(h);
            return e->error;
        }
    }
}

static void link_req(nlreq *r, int type, int flags, int ifindex)
{
    memset(r, 0, sizeof *r);
    r->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    r->h.nlmsg_type = (uint16_t)type;
    r->h.nlmsg_flags = (uint16_t)flags;
    struct ifinfomsg *ifi = NLMSG_DATA(&r->h);
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
}

int k1s__proxy_nl_link_add_dummy(int nl, const char *name)
{
    nlreq r;
    link_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
    put(&r, IFLA_IFNAME, name, strlen(name) + 1);
    struct rtattr *info = put(&r, IFLA_LINKINFO, NULL, 0);
    put(&r, IFLA_INFO_KIND, "dummy", 5);
    nest_end(&r, info);
    return talk(nl, &r);
}

int k1s__proxy_nl_link_up(int nl, int ifindex)
{
    nlreq r;
    link_req(&r, RTM_NEWLINK, 0, ifindex);
    struct ifinfomsg *ifi = NLMSG_DATA(&r.h);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return talk(nl, &r);
}

int k1s__proxy_nl_link_del(int nl, int ifindex)
{
    nlreq r;
    link_req(&r, RTM_DELLINK, 0, ifindex);
    return talk(nl, &r);
}

int k1s__proxy_nl_addr(int nl, bool add, int ifindex, const char *ip, const char *label)
{
    unsigned char a[16];
    int fam = inet_pton(AF_INET, ip, a) == 1    ? AF_INET
              : inet_pton(AF_INET6, ip, a) == 1 ? AF_INET6
                                                : 0;
    if (!fam)
        return -EINVAL;
    size_t alen = fam == AF_INET ? 4 : 16;
    nlreq r;
    memset(&r, 0, sizeof r);
    r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r.h.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
    r.h.nlmsg_flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
    struct ifaddrmsg *ifa = NLMSG_DATA(&r.h);
    ifa->ifa_family = (unsigned char)fam;
    ifa->ifa_prefixlen = (unsigned char)(alen * 8);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)ifindex;
    put(&r, IFA_LOCAL, a, alen);
    put(&r, IFA_ADDRESS, a, alen);
    if (label && *label && fam == AF_INET)
        put(&r, IFA_LABEL, label, strlen(label) + 1);
    return talk(nl, &r);
}

int k1s__proxy_nl_addr_each(int nl, int ifindex,
                            void (*fn)(void *ctx, const char *ip, const char *label), void *ctx)
{
    nlreq r;
    memset(&r, 0, sizeof r);
    r.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
    r.h.nlmsg_type = RTM_GETADDR;
    r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    r.h.nlmsg_seq = 0x6b317300u; /* dumps are not mixed with acks */
    if (send(nl, &r, r.h.nlmsg_len, 0) < 0)
        return -errno;
    char buf[16384] __attribute__((aligned(4)));
    for (;;) {
        ssize_t n = recv(nl, buf, sizeof buf, 0);
        if (n < 0)
            return -errno;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != r.h.nlmsg_seq)
                continue;
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (h->nlmsg_type == NLMSG_ERROR)
                return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
            if (h->nlmsg_type != RTM_NEWADDR)
                continue;
            const struct ifaddrmsg *ifa = NLMSG_DATA(h);
            if ((int)ifa->ifa_index != ifindex)
                continue;
            char ip[INET6_ADDRSTRLEN] = "", label[IFNAMSIZ] = "";
            int len = (int)IFA_PAYLOAD(h);
            for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                if (a->rta_type == IFA_LOCAL || (a->rta_type == IFA_ADDRESS && !*ip))
                    inet_ntop(ifa->ifa_family, RTA_DATA(a), ip, sizeof ip);
                else if (a->rta_type == IFA_LABEL)
                    snprintf(label, sizeof label, "%.*s", (int)RTA_PAYLOAD(a),
                             (const char *)RTA_DATA(a));
            }
            if (*ip)
                fn(ctx, ip, label);
        }
    }
}
