/*
 * spec_probe.c - a probe's running state as kubelet's prober worker keeps
 * it (pkg/kubelet/prober/worker.go): runs every periodSeconds after
 * initialDelaySeconds, the result flips only after successThreshold /
 * failureThreshold consecutive outcomes; plus the probes that need no
 * HTTP (tcpSocket, exec) and the dispatch (prober.go runProbe, with its
 * three attempts when a probe errors).
 */
#include "spec_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The API's defaults, for probes that were not defaulted. */
#define DEF_PERIOD 10
#define DEF_TIMEOUT 1
#define DEF_SUCCESS 1
#define DEF_FAILURE 3
#define MAX_RETRIES 3 /* prober.go maxProbeRetries */

static long long positive(const json_t *probe, const char *key, long long def)
{
    long long v = k1s_json_int(probe, key, def);
    return v > 0 ? v : def;
}

void k1s__spec_go_seconds(char *buf, size_t n, long long s)
{
    if (s < 60)
        snprintf(buf, n, "%llds", s);
    else if (s < 3600)
        snprintf(buf, n, "%lldm%llds", s / 60, s % 60);
    else
        snprintf(buf, n, "%lldh%lldm%llds", s / 3600, s / 60 % 60, s % 60);
}

void k1s_prober_init(k1s_prober *p, const json_t *probe, int64_t started_ms, bool initial)
{
    long long delay = k1s_json_int(probe, "initialDelaySeconds", 0);
    p->next_ms = started_ms + (delay > 0 ? delay : 0) * 1000;
    p->successes = p->failures = 0;
    p->result = initial;
}

bool k1s_prober_due(const k1s_prober *p, int64_t now_ms)
{
    return now_ms >= p->next_ms;
}

/* extractPort: a number, or a named port of the container (its
 * containerPort), or a number written as a string. -1 with msg. */
static int probe_port(const json_t *v, const json_t *container, char *msg, size_t msglen)
{
    long long port = -1;
    if (json_is_integer(v)) {
        port = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *name = json_string_value(v);
        size_t i;
        const json_t *cp;
        bool found = false;
        json_array_foreach(json_object_get(container, "ports"), i, cp)
        {
            if (!strcmp(k1s_json_str_or(cp, "name", ""), name)) {
                port = k1s_json_int(cp, "containerPort", -1);
                found = true;
                break;
            }
        }
        if (!found) {
            /* strconv.Atoi: optional sign, then only digits */
            const char *d = name + (*name == '+' || *name == '-');
            bool digits = *d != '\0';
            for (const char *c = d; *c && digits; c++)
                digits = isdigit((unsigned char)*c);
            if (!digits || strlen(d) > 18) {
                snprintf(msg, msglen, "strconv.Atoi: parsing \"%s\": invalid syntax", name);
                return -1;
            }
            port = strtoll(name, NULL, 10);
        }
    } else {
        snprintf(msg, msglen, "intOrString had no kind: %s", "null");
        return -1;
    }
    if (port > 0 && port < 65536)
        return (int)port;
    snprintf(msg, msglen, "invalid port number: %lld", port);
    return -1;
}

/* Go's errno text: glibc's, first letter lowered. */
static void go_errno(char *buf, size_t n, int err)
{
    snprintf(buf, n, "%s", strerror(err));
    buf[0] = (char)tolower((unsigned char)buf[0]);
}

/* net.DialTimeout("tcp", host:port) then close. */
static k1s__spec_probe_result probe_tcp(const char *host, int port, int timeout_s, char *msg,
                                        size_t msglen)
{
    char sport[16], addr[INET6_ADDRSTRLEN + 16], why[128];
    snprintf(sport, sizeof sport, "%d", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, sport, &hints, &ai) != 0 || !ai) {
        snprintf(msg, msglen, "dial tcp: lookup %s: no such host", host);
        return SPEC_PROBE_FAILURE;
    }
    char ip[INET6_ADDRSTRLEN] = "";
    const void *a = ai->ai_family == AF_INET6
                        ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                        : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
    inet_ntop(ai->ai_family, a, ip, sizeof ip);
    snprintf(addr, sizeof addr, ai->ai_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, ai->ai_addr, ai->ai_addrlen);
    int err = rc == 0 ? 0 : errno;
    freeaddrinfo(ai);
    if (fd >= 0 && rc < 0 && err == EINPROGRESS) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int64_t deadline = k1s_time_mono_ms() + (int64_t)timeout_s * 1000;
        int pr;
        do {
            int64_t left = deadline - k1s_time_mono_ms();
            pr = poll(&pfd, 1, left > 0 ? (int)left : 0);
        } while (pr < 0 && errno == EINTR);
        socklen_t len = sizeof err;
        if (pr == 0)
            err = ETIMEDOUT;
        else if (pr < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
    }
    if (fd >= 0)
        close(fd);
    if (err == 0)
        return SPEC_PROBE_SUCCESS;
    if (err == ETIMEDOUT) {
        snprintf(msg, msglen, "dial tcp %s: i/o timeout", addr);
    } else {
        go_errno(why, sizeof why, err);
        snprintf(msg, msglen, "dial tcp %s: connect: %s", addr, why);
    }
    return SPEC_PROBE_FAILURE;
}

/* exec through the runtime: exit 0 is success. */
static k1s__spec_probe_result probe_exec(const json_t *ex, const char *cid, k1s_spec_exec_fn fn,
                                         void *ctx, int timeout_s, char *msg, size_t msglen)
{
    const json_t *cmd = json_object_get(ex, "command");
    size_t n = json_array_size(cmd);
    const char **argv = calloc(n + 1, sizeof *argv);
    if (!argv || !fn) {
        free(argv);
        snprintf(msg, msglen, "%s", fn ? "out of memory" : "exec probes are not available");
        return SPEC_PROBE_ERROR;
    }
    for (size_t i = 0; i < n; i++)
        argv[i] = json_string_value(json_array_get(cmd, i))
                      ? json_string_value(json_array_get(cmd, i))
                      : "";
    int code = -1;
    int rc = fn(ctx, cid ? cid : "", argv, n, timeout_s, &code);
    /* the command line as kubelet quotes it in its messages */
    char line[256] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? " " : "", argv[i]);
    free(argv);
    if (rc < 0) {
        snprintf(msg, msglen, "failed to exec in container: command \"%s\" could not be run", line);
        return SPEC_PROBE_ERROR;
    }
    if (code == 0)
        return SPEC_PROBE_SUCCESS;
    /* kubelet shows the command's output, which ExecSync through exec_fn
     * does not give back: say what failed instead. */
    snprintf(msg, msglen, "command \"%s\" exited with %d", line, code);
    return SPEC_PROBE_FAILURE;
}

/* An httpGet's or tcpSocket's host: its own, else the pod's IP. */
static const char *probe_host(const json_t *h, const char *pod_ip)
{
    const char *host = k1s_json_str_or(h, "host", "");
    return *host ? host : pod_ip ? pod_ip : "";
}

static k1s__spec_probe_result run_once(const json_t *probe, const char *pod_ip,
                                       const json_t *container, const char *cid,
                                       k1s_spec_exec_fn exec_fn, void *exec_ctx, char *msg,
                                       size_t msglen)
{
    int timeout = (int)positive(probe, "timeoutSeconds", DEF_TIMEOUT);
    const json_t *h;
    if ((h = json_object_get(probe, "exec")))
        return probe_exec(h, cid, exec_fn, exec_ctx, timeout, msg, msglen);
    if ((h = json_object_get(probe, "httpGet"))) {
        int port = probe_port(json_object_get(h, "port"), container, msg, msglen);
        if (port < 0)
            return SPEC_PROBE_ERROR;
        return k1s__spec_probe_http(h, probe_host(h, pod_ip), port, timeout, msg, msglen);
    }
    if ((h = json_object_get(probe, "tcpSocket"))) {
        int port = probe_port(json_object_get(h, "port"), container, msg, msglen);
        if (port < 0)
            return SPEC_PROBE_ERROR;
        return probe_tcp(probe_host(h, pod_ip), port, timeout, msg, msglen);
    }
    if ((h = json_object_get(probe, "grpc"))) {
        long long port = k1s_json_int(h, "port", -1);
        if (port <= 0 || port >= 65536) {
            snprintf(msg, msglen, "invalid port number: %lld", port);
            return SPEC_PROBE_ERROR;
        }
        return k1s__spec_probe_grpc(pod_ip ? pod_ip : "", (int)port,
                                    k1s_json_str_or(h, "service", ""), timeout, msg, msglen);
    }
    snprintf(msg, msglen, "missing probe handler for %s", k1s_json_str_or(container, "name", ""));
    return SPEC_PROBE_ERROR;
}

bool k1s_prober_step(k1s_prober *p, const json_t *probe, const char *pod_ip,
                     const json_t *container, const char *container_id, k1s_spec_exec_fn exec_fn,
                     void *exec_ctx, int64_t now_ms, char *msg, size_t msglen)
{
    char buf[512] = "";
    k1s__spec_probe_result r = SPEC_PROBE_ERROR;
    for (int i = 0; i < MAX_RETRIES && r == SPEC_PROBE_ERROR; i++) {
        buf[0] = '\0';
        r = run_once(probe, pod_ip, container, container_id, exec_fn, exec_ctx, buf, sizeof buf);
    }
    bool ok = r == SPEC_PROBE_SUCCESS || r == SPEC_PROBE_WARNING;
    if (ok) {
        p->successes++;
        p->failures = 0;
        if (p->successes >= positive(probe, "successThreshold", DEF_SUCCESS))
            p->result = true;
    } else {
        p->failures++;
        p->successes = 0;
        if (p->failures >= positive(probe, "failureThreshold", DEF_FAILURE))
            p->result = false;
    }
    p->next_ms = now_ms + positive(probe, "periodSeconds", DEF_PERIOD) * 1000;
    if (msg && msglen)
        snprintf(msg, msglen, "%s", ok ? "" : buf);
    return p->result;
}
