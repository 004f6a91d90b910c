/*
 * spec_probe_http.c - the httpGet and grpc probes over libcurl, with
 * kubelet's rules (pkg/probe/http, pkg/probe/grpc): a fresh connection per
 * probe, TLS not verified, 200-399 healthy, redirects followed only on the
 * same host (a redirect elsewhere is a success with a warning), at most 10
 * KiB of body read, and failures worded as Go's net/http words them
 * (`Get "http://10.244.0.5:80/": dial tcp 10.244.0.5:80: connect:
 * connection refused`).
 */
#include "spec_internal.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (10 * 1024)
#define MAX_REDIRECTS 10
#define USER_AGENT "kube-probe/1.33"

typedef struct body {
    unsigned char buf[MAX_BODY];
    size_t len;
} body;

/* Keep the first MAX_BODY bytes (grpc reads its reply from there); the
 * rest is read and dropped, as kubelet's LimitReader leaves it. */
static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    body *b = ud;
    size_t len = sz * n, room = MAX_BODY - b->len;
    memcpy(b->buf + b->len, p, len < room ? len : room);
    b->len += len < room ? len : room;
    return len;
}

/* The host part of url (lower-cased), for the same-host rule. */
static void url_host(const char *url, char *out, size_t n)
{
    out[0] = '\0';
    CURLU *u = curl_url();
    char *h = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) {
        snprintf(out, n, "%s", h);
        for (char *c = out; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    curl_free(h);
    curl_url_cleanup(u);
}

/* Go's words for a transport error of curl handle c. */
static void go_error(CURL *c, CURLcode rc, const char *url, const char *host, int port, char *msg,
                     size_t msglen)
{
    long os = 0, rport = 0, lport = 0;
    char *rip = NULL, *lip = NULL;
    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os);
    curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &rip);
    curl_easy_getinfo(c, CURLINFO_PRIMARY_PORT, &rport);
    curl_easy_getinfo(c, CURLINFO_LOCAL_IP, &lip);
    curl_easy_getinfo(c, CURLINFO_LOCAL_PORT, &lport);
    char why[128] = "", remote[80] = "";
    if (os) {
        snprintf(why, sizeof why, "%s", strerror((int)os));
        why[0] = (char)tolower((unsigned char)why[0]);
    }
    /* where it connected to; curl does not say when it could not */
    if (rip && *rip)
        snprintf(remote, sizeof remote, strchr(rip, ':') ? "[%s]:%ld" : "%s:%ld", rip, rport);
    else
        snprintf(remote, sizeof remote, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(msg, msglen,
                 "Get \"%s\": context deadline exceeded "
                 "(Client.Timeout exceeded while awaiting headers)",
                 url);
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(msg, msglen, "Get \"%s\": dial tcp: lookup %s: no such host", url, host);
        break;
    case CURLE_COULDNT_CONNECT:
        snprintf(msg, msglen, "Get \"%s\": dial tcp %s: connect: %s", url, remote,
                 *why ? why : "connection refused");
        break;
    case CURLE_GOT_NOTHING:
        snprintf(msg, msglen, "Get \"%s\": EOF", url);
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        if (*why) {
            bool recv = rc == CURLE_RECV_ERROR;
            snprintf(msg, msglen, "Get \"%s\": %s tcp %s:%ld->%s: %s: %s", url,
                     recv ? "read" : "write", lip ? lip : "", lport, remote,
                     recv ? "read" : "write", why);
            break;
        }
        /* fall through */
    default:
        snprintf(msg, msglen, "Get \"%s\": %s", url, curl_easy_strerror(rc));
        break;
    }
}

/* The request headers: the probe's own, then kubelet's defaults for
 * User-Agent and Accept when the probe does not set them. */
static struct curl_slist *probe_headers(const json_t *hg)
{
    struct curl_slist *h = NULL;
    bool ua = false, accept = false;
    size_t i;
    const json_t *kv;
    json_array_foreach(json_object_get(hg, "httpHeaders"), i, kv)
    {
        const char *name = k1s_json_str_or(kv, "name", "");
        const char *value = k1s_json_str_or(kv, "value", "");
        char *line;
        if (!*name || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
            continue; /* would split the request */
        ua = ua || !strcasecmp(name, "User-Agent");
        accept = accept || !strcasecmp(name, "Accept");
        /* "Name;" is curl's way to send an empty value */
        if (asprintf(&line, *value ? "%s: %s" : "%s;", name, value) < 0)
            continue;
        struct curl_slist *n = curl_slist_append(h, line);
        free(line);
        if (n)
            h = n;
    }
    if (!ua) {
        struct curl_slist *n = curl_slist_append(h, "User-Agent: " USER_AGENT);
        h = n ? n : h;
    }
    if (!accept) {
        struct curl_slist *n = curl_slist_append(h, "Accept: */*");
        h = n ? n : h;
    }
    return h;
}

static bool redirect_code(long code)
{
    /* the codes Go's client follows */
    return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

k1s__spec_probe_result k1s__spec_probe_http(const json_t *hg, const char *host, int port,
                                            int timeout_s, char *msg, size_t msglen)
{
    char scheme[16], first_host[256], url[2048];
    const char *want = k1s_json_str_or(hg, "scheme", "");
    snprintf(scheme, sizeof scheme, "%s", *want ? want : "HTTP");
    for (char *c = scheme; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const char *path = k1s_json_str_or(hg, "path", "");
    snprintf(url, sizeof url, strchr(host, ':') ? "%s://[%s]:%d%s%s" : "%s://%s:%d%s%s", scheme,
             host, port, path[0] == '/' ? "" : "/", path);
    url_host(url, first_host, sizeof first_host);
    CURL *c = curl_easy_init();
    struct curl_slist *headers = probe_headers(hg);
    body *b = malloc(sizeof *b);
    if (!c || !b) {
        snprintf(msg, msglen, "out of memory");
        curl_easy_cleanup(c);
        curl_slist_free_all(headers);
        free(b);
        return SPEC_PROBE_ERROR;
    }
    int64_t deadline = k1s_time_mono_ms() + (int64_t)timeout_s * 1000;
    k1s__spec_probe_result res = SPEC_PROBE_FAILURE;
    for (int hops = 0;; hops++) {
        if (hops > MAX_REDIRECTS) {
            snprintf(msg, msglen, "Get \"%s\": stopped after %d redirects", url, MAX_REDIRECTS);
            break;
        }
        int64_t left = deadline - k1s_time_mono_ms();
        b->len = 0;
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(left > 1 ? left : 1));
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        CURLcode rc = curl_easy_perform(c);
        if (rc != CURLE_OK) {
            go_error(c, rc, url, host, port, msg, msglen);
            break;
        }
        long code = 0;
        char *next = NULL, next_host[256];
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next);
        if (redirect_code(code) && next) {
            url_host(next, next_host, sizeof next_host);
            if (!strcmp(next_host, first_host) && strlen(next) < sizeof url) {
                snprintf(url, sizeof url, "%s", next);
                continue;
            }
        }
        if (code >= 200 && code < 300) {
            res = SPEC_PROBE_SUCCESS;
        } else if (code >= 300 && code < 400) {
            res = SPEC_PROBE_WARNING;
            snprintf(msg, msglen, "Probe terminated redirects, Response body: %.*s",
                     (int)(b->len < 256 ? b->len : 256), (const char *)b->buf);
        } else {
            snprintf(msg, msglen, "HTTP probe failed with statuscode: %ld", code);
        }
        break;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    free(b);
    return res;
}

/* ---- grpc.health.v1 ---- */

typedef struct grpc_hdrs {
    int status; /* grpc-status, -1 when not seen */
    char message[200];
} grpc_hdrs;

/* grpc-status and grpc-message arrive as trailers or, on early errors, as
 * headers: the header callback sees both. */
static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    grpc_hdrs *g = ud;
    size_t len = sz * n;
    if (len > 12 && !strncasecmp(p, "grpc-status:", 12))
        g->status = atoi(p + 12);
    else if (len > 13 && !strncasecmp(p, "grpc-message:", 13)) {
        size_t off = 13;
        while (off < len && p[off] == ' ')
            off++;
        size_t m = len - off;
        while (m && (p[off + m - 1] == '\r' || p[off + m - 1] == '\n'))
            m--;
        snprintf(g->message, sizeof g->message, "%.*s", (int)m, p + off);
    }
    return len;
}

static const char *const grpc_codes[] = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

static const char *const serving_names[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};

/* HealthCheckResponse.status (field 1, varint) from a gRPC frame. */
static long serving_status(const body *b)
{
    if (b->len < 5 || b->buf[0] != 0)
        return 0;
    size_t n = ((size_t)b->buf[1] << 24) | ((size_t)b->buf[2] << 16) | ((size_t)b->buf[3] << 8) |
               b->buf[4];
    const unsigned char *p = b->buf + 5, *end = p + (n < b->len - 5 ? n : b->len - 5);
    while (p < end) {
        unsigned key = *p++;
        long v = 0;
        int shift = 0;
        if ((key & 7) != 0)
            return 0; /* only varints in this message */
        while (p < end && shift < 63) {
            v |= (long)(*p & 0x7f) << shift;
            shift += 7;
            if (!(*p++ & 0x80))
                break;
        }
        if (key >> 3 == 1)
            return v;
    }
    return 0;
}

static bool complete_frame(const body *b)
{
    if (b->len < 5 || b->buf[0] != 0)
        return false;
    size_t n = ((size_t)b->buf[1] << 24) | ((size_t)b->buf[2] << 16) | ((size_t)b->buf[3] << 8) |
               b->buf[4];
    return b->len == 5 + n;
}

k1s__spec_probe_result k1s__spec_probe_grpc(const char *host, int port, const char *service,
                                            int timeout_s, char *msg, size_t msglen)
{
    char url[512], addr[300], within[32];
    snprintf(addr, sizeof addr, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    snprintf(url, sizeof url, "http://%s/grpc.health.v1.Health/Check", addr);
    k1s__spec_go_seconds(within, sizeof within, timeout_s);
    /* HealthCheckRequest{service} in one gRPC frame */
    size_t sl = strlen(service) > 120 ? 120 : strlen(service);
    unsigned char req[5 + 2 + 120];
    size_t plen = sl ? 2 + sl : 0;
    req[0] = 0;
    req[1] = req[2] = req[3] = 0;
    req[4] = (unsigned char)plen;
    if (sl) {
        req[5] = 0x0a;
        req[6] = (unsigned char)sl;
        memcpy(req + 7, service, sl);
    }
    CURL *c = curl_easy_init();
    body *b = malloc(sizeof *b);
    struct curl_slist *h = NULL, *t;
    static const char *const lines[] = {"Content-Type: application/grpc", "TE: trailers",
                                        ("User-Agent: " USER_AGENT), "Expect:"};
    for (size_t i = 0; i < 4; i++)
        if ((t = curl_slist_append(h, lines[i])))
            h = t;
    grpc_hdrs g = {.status = -1};
    k1s__spec_probe_result res = SPEC_PROBE_FAILURE;
    if (!c || !b) {
        snprintf(msg, msglen, "out of memory");
        res = SPEC_PROBE_ERROR;
        goto out;
    }
    b->len = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_s * 1000);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)req);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(5 + plen));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &g);
    CURLcode rc = curl_easy_perform(c);
    /* libcurl drops trailers that arrive just before the server closes the
     * connection: a whole reply message without a status is taken as OK */
    if (rc == CURLE_OK && g.status < 0 && complete_frame(b))
        g.status = 0;
    curl_off_t connected = 0;
    curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        (rc == CURLE_OPERATION_TIMEDOUT && !connected)) {
        /* grpc-go keeps dialling until the deadline */
        snprintf(msg, msglen,
                 "timeout: failed to connect service \"%s\" within %s: "
                 "context deadline exceeded",
                 addr, within);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(msg, msglen, "timeout: health rpc did not complete within %s", within);
    } else if (rc != CURLE_OK) {
        snprintf(msg, msglen,
                 "error: health rpc probe failed: rpc error: code = Unavailable desc = %s",
                 curl_easy_strerror(rc));
    } else if (g.status == 12) {
        snprintf(msg, msglen,
                 "error: this server does not implement the grpc health protocol "
                 "(grpc.health.v1.Health): %s",
                 g.message);
    } else if (g.status != 0) {
        int code = g.status < 0 || g.status > 16 ? 2 : g.status;
        snprintf(msg, msglen, "error: health rpc probe failed: rpc error: code = %s desc = %s",
                 grpc_codes[code], g.message);
    } else {
        long st = serving_status(b);
        if (st == 1)
            res = SPEC_PROBE_SUCCESS;
        else
            snprintf(msg, msglen, "service unhealthy (responded with \"%s\")",
                     st >= 0 && st <= 3 ? serving_names[st] : "UNKNOWN");
    }
out:
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(b);
    return res;
}
