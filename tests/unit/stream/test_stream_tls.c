/*
 * test_stream_tls.c - an upgraded pods/exec stream over TLS, as kubectl
 * uses it: libmicrohttpd then forwards the upgraded bytes through a
 * socketpair, and does not pass kubectl hanging up through it; the tunnel
 * must notice anyway and close the runtime's connection.
 */
#include "k1s_test.h"
#include "test_stream_fake.h"

#include <gnutls/gnutls.h>

/* Read over TLS until needle arrives or ms pass. */
static bool tls_wait_for(gnutls_session_t s, tc_buf *b, const char *needle, int ms)
{
    gnutls_record_set_timeout(s, (unsigned)ms);
    while (!(b->len && memmem(b->p, b->len, needle, strlen(needle)))) {
        if (b->len + 4097 > b->cap) {
            b->cap = b->cap * 2 + 8192;
            b->p = realloc(b->p, b->cap);
        }
        ssize_t n = gnutls_record_recv(s, b->p + b->len, 4096);
        if (n <= 0)
            return false;
        b->len += (size_t)n;
        b->p[b->len] = 0;
    }
    return true;
}

TEST(test_tls_exec_and_hangup)
{
    fx_server ts;
    if (fx_server_start(&ts, true)) {
        CHECK(!"TLS server did not start");
        return;
    }
    fake_rt rt;
    CHECK_INT(fake_rt_start(&rt, false, false), 0);
    fake_node fn = {.rt_port = rt.port};
    k1s_node_backend b = {.ctx = &fn, .stream_url = fake_stream_url};
    k1s_server_set_node_backend(ts.srv, &b);
    CHECK_INT(
        tc_pod(&ts,
               "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
               "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
               NULL),
        0);

    gnutls_certificate_credentials_t cred;
    gnutls_session_t s;
    gnutls_certificate_allocate_credentials(&cred);
    gnutls_init(&s, GNUTLS_CLIENT);
    gnutls_set_default_priority(s);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
    int fd = tc_connect(ts.port);
    CHECK(fd >= 0);
    gnutls_transport_set_int(s, fd);
    gnutls_handshake_set_timeout(s, 5000);
    int rc;
    do
        rc = gnutls_handshake(s);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    CHECK_INT(rc, 0);
    const char *req =
        "POST /api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true&stdout=true HTTP/1.1\r\n"
        "Host: localhost\r\nAuthorization: Bearer " FX_TOKEN "\r\n"
        "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        "X-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n";
    tc_buf in = {0};
    if (rc == 0) {
        CHECK(gnutls_record_send(s, req, strlen(req)) == (ssize_t)strlen(req));
        CHECK(tls_wait_for(s, &in, "HELLO", 5000));
        CHECK(in.p && !strncmp(in.p, "HTTP/1.1 101", 12));
        CHECK(gnutls_record_send(s, "over-tls", 8) == 8);
        CHECK(tls_wait_for(s, &in, "HELLOover-tls", 5000));
    }
    /* kubectl is killed: no TLS goodbye, the socket just closes */
    int64_t t0 = k1s_time_mono_ms();
    close(fd);
    fake_rt_stop(&rt);
    CHECK(rt.saw_eof);
    CHECK(k1s_time_mono_ms() - t0 < 2000);
    gnutls_deinit(s);
    gnutls_certificate_free_credentials(cred);
    free(in.p);
    k1s_server_set_node_backend(ts.srv, NULL);
    fx_server_stop(&ts);
}

K1S_TEST_MAIN(T(test_tls_exec_and_hangup))
