/*
 * test_proxy_table.c - the proxy's choice of backends without any socket:
 * which Endpoints addresses and ports serve a service port, their order,
 * and how the round-robin turn carries over endpoint changes.
 */
#include "k1s_test.h"

#include "proxy_internal.h"

static json_t *eps(const char *json)
{
    json_error_t e;
    json_t *o = json_loads(json, 0, &e);
    if (!o)
        fprintf(stderr, "bad test json: %s\n", e.text);
    return o;
}

static const char *pod_at(const k1s__proxy_backends *b, size_t i)
{
    return i < b->n ? b->v[i].pod : "(none)";
}

TEST(test_sorted_by_pod_name_then_ip)
{
    json_t *e =
        eps("{\"subsets\":["
            "{\"addresses\":[{\"ip\":\"10.0.0.9\",\"targetRef\":{\"name\":\"web-10\"}},"
            "{\"ip\":\"10.0.0.3\",\"targetRef\":{\"name\":\"web-2\"}}],"
            "\"notReadyAddresses\":[{\"ip\":\"10.0.0.7\",\"targetRef\":{\"name\":\"web-0\"}}],"
            "\"ports\":[{\"name\":\"http\",\"port\":80}]},"
            "{\"addresses\":[{\"ip\":\"10.0.0.10\"},{\"ip\":\"10.0.0.2\"},"
            "{\"ip\":\"10.0.0.1\",\"targetRef\":{\"name\":\"web-1\"}}],"
            "\"ports\":[{\"name\":\"http\",\"port\":8080}]}]}");
    k1s__proxy_backends b;
    CHECK_INT(k1s__proxy_backends_from(e, "http", false, &b), 0);
    CHECK_INT(b.n, 5);
    /* no pod name first, by numeric IP; then web-1, web-2, web-10 */
    CHECK_STR(b.n == 5 ? b.v[0].ip : "", "10.0.0.2");
    CHECK_STR(b.n == 5 ? b.v[1].ip : "", "10.0.0.10");
    CHECK_STR(pod_at(&b, 2), "web-1");
    CHECK_STR(pod_at(&b, 3), "web-2");
    CHECK_STR(pod_at(&b, 4), "web-10");
    CHECK_INT(b.n == 5 ? b.v[2].port : 0, 8080);
    CHECK_INT(b.n == 5 ? b.v[3].port : 0, 80);
    k1s__proxy_backends_free(&b);
    json_decref(e);
}

TEST(test_port_matching)
{
    json_t *e =
        eps("{\"subsets\":["
            "{\"addresses\":[{\"ip\":\"10.0.0.1\",\"targetRef\":{\"name\":\"a\"}}],"
            "\"ports\":[{\"name\":\"metrics\",\"port\":9090},{\"name\":\"http\",\"port\":80}]},"
            "{\"addresses\":[{\"ip\":\"10.0.0.2\",\"targetRef\":{\"name\":\"b\"}}],"
            "\"ports\":[{\"port\":81}]},"
            "{\"addresses\":[{\"ip\":\"10.0.0.3\",\"targetRef\":{\"name\":\"c\"}}],"
            "\"ports\":[{\"name\":\"http\",\"port\":53,\"protocol\":\"UDP\"}]},"
            "{\"addresses\":[{\"ip\":\"not-an-ip\"},{\"ip\":\"fd00::5\"}],"
            "\"ports\":[{\"name\":\"http\",\"port\":82}]}]}");
    k1s__proxy_backends b;
    CHECK_INT(k1s__proxy_backends_from(e, "http", false, &b), 0);
    CHECK_INT(b.n, 2); /* a:80 and the IPv6 one; UDP and bad IP skipped */
    CHECK_STR(pod_at(&b, 1), "a");
    CHECK_INT(b.n == 2 ? b.v[1].port : 0, 80);
    CHECK_STR(b.n == 2 ? b.v[0].ip : "", "fd00::5");
    k1s__proxy_backends_free(&b);
    /* a one-port service takes a subset's only port whatever its name */
    CHECK_INT(k1s__proxy_backends_from(e, "web", true, &b), 0);
    CHECK_INT(b.n, 2);
    CHECK_STR(pod_at(&b, 1), "b");
    CHECK_INT(b.n == 2 ? b.v[1].port : 0, 81);
    CHECK_INT(b.n == 2 ? b.v[0].port : 0, 82);
    k1s__proxy_backends_free(&b);
    CHECK_INT(k1s__proxy_backends_from(e, "web", false, &b), 0);
    CHECK_INT(b.n, 0);
    k1s__proxy_backends_free(&b);
    CHECK_INT(k1s__proxy_backends_from(NULL, "", true, &b), 0);
    CHECK_INT(b.n, 0);
    json_decref(e);
}

static json_t *three(bool p1_ready)
{
    char buf[600];
    snprintf(buf, sizeof buf,
             "{\"subsets\":[{\"addresses\":["
             "{\"ip\":\"10.1.0.3\",\"targetRef\":{\"name\":\"p-2\"}},"
             "{\"ip\":\"10.1.0.1\",\"targetRef\":{\"name\":\"p-0\"}}]%s,"
             "\"ports\":[{\"port\":80}]}]}",
             p1_ready ? "" : ",\"notReadyAddresses\":[{\"ip\":\"10.1.0.2\"}]");
    json_t *e = eps(buf);
    if (p1_ready) {
        json_t *addrs =
            json_object_get(json_array_get(json_object_get(e, "subsets"), 0), "addresses");
        json_array_append_new(
            addrs, json_pack("{s:s, s:{s:s}}", "ip", "10.1.0.2", "targetRef", "name", "p-1"));
    }
    return e;
}

TEST(test_round_robin_follows_changes)
{
    k1s__proxy_svcport sp = {.refs = 1};
    json_t *e = three(true);
    CHECK_INT(k1s__proxy_backends_from(e, "", true, &sp.be), 0);
    json_decref(e);
    const char *want1[] = {"p-0", "p-1", "p-2", "p-0"};
    for (int i = 0; i < 4; i++) {
        const k1s__proxy_backend *b = k1s__proxy_svcport_pick(&sp);
        CHECK_STR(b ? b->pod : "(none)", want1[i]);
    }
    /* p-1 not ready: the turn goes on from p-0 to p-2 */
    k1s__proxy_backends_free(&sp.be);
    e = three(false);
    CHECK_INT(k1s__proxy_backends_from(e, "", true, &sp.be), 0);
    json_decref(e);
    const char *want2[] = {"p-2", "p-0", "p-2"};
    for (int i = 0; i < 3; i++) {
        const k1s__proxy_backend *b = k1s__proxy_svcport_pick(&sp);
        CHECK_STR(b ? b->pod : "(none)", want2[i]);
    }
    /* back: after p-2 comes p-0, then p-1 again */
    k1s__proxy_backends_free(&sp.be);
    e = three(true);
    CHECK_INT(k1s__proxy_backends_from(e, "", true, &sp.be), 0);
    json_decref(e);
    const char *want3[] = {"p-0", "p-1", "p-2"};
    for (int i = 0; i < 3; i++) {
        const k1s__proxy_backend *b = k1s__proxy_svcport_pick(&sp);
        CHECK_STR(b ? b->pod : "(none)", want3[i]);
    }
    /* nothing ready: no pick, and the memory of the turn stays */
    k1s__proxy_backends_free(&sp.be);
    CHECK(k1s__proxy_svcport_pick(&sp) == NULL);
    CHECK_STR(sp.last.pod, "p-2");
    free(sp.last.pod);
}

TEST(test_port_protocol)
{
    json_t *e = eps("[{\"port\":80}, {\"protocol\":\"TCP\"}, {\"protocol\":\"UDP\"},"
                    " {\"protocol\":\"SCTP\"}, {\"protocol\":null}, {\"protocol\":7}]");
    CHECK(k1s__proxy_port_tcp(json_array_get(e, 0))); /* none named: TCP */
    CHECK(k1s__proxy_port_tcp(json_array_get(e, 1)));
    CHECK(!k1s__proxy_port_tcp(json_array_get(e, 2)));
    CHECK(!k1s__proxy_port_tcp(json_array_get(e, 3)));
    CHECK(k1s__proxy_port_tcp(json_array_get(e, 4))); /* null is absent */
    CHECK(k1s__proxy_port_tcp(json_array_get(e, 5))); /* not a string: absent */
    json_decref(e);
}

K1S_TEST_MAIN(T(test_sorted_by_pod_name_then_ip), T(test_port_matching),
              T(test_round_robin_follows_changes), T(test_port_protocol))
