/*
 * test_logs.c - pods/log over real HTTP: a fake node backend hands out a
 * CRI-format log file with partial (P) and full (F) lines on both streams;
 * the answers are checked for tailLines, sinceTime, timestamps, limitBytes,
 * kube's option validation and errors, and for follow while the file
 * grows, is rotated, and the container stops.
 */
#include "k1s_test.h"
#include "test_stream_client.h"

#include <fcntl.h>
#include <sys/stat.h>

typedef struct fake_node {
    char path[256];
    int calls;
    bool previous;
} fake_node;

static int fake_log_path(void *ctx, const json_t *pod, const char *container, bool previous,
                         char **path, k1s_status *st)
{
    fake_node *n = ctx;
    (void)pod;
    n->calls++;
    n->previous = previous;
    if (!strcmp(container, "gone"))
        return k1s_err_bad_request(st, "the node lost container %s", container);
    *path = strdup(n->path);
    return 0;
}

static const char *LOG_TEXT = "2024-01-01T00:00:01.000000001Z stdout F line one\n"
                              "2024-01-01T00:00:02.5Z stderr F err one\n"
                              "2024-01-01T00:00:03Z stdout P part-a \n"
                              "2024-01-01T00:00:03.1Z stdout P part-b \n"
                              "2024-01-01T00:00:03.2Z stdout F part-c\n"
                              "not a CRI line\n"
                              "2024-01-01T02:00:04+02:00 stdout F zoned\n"
                              "2024-01-01T00:00:05.123456789Z stderr F last\n";

static const char *RUNNING =
    "{\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"c\",\"ready\":true,"
    "\"restartCount\":1,\"image\":\"x\",\"imageID\":\"\",\"containerID\":\"containerd://abc\","
    "\"state\":{\"running\":{\"startedAt\":\"2024-01-01T00:00:00Z\"}},"
    "\"lastState\":{\"terminated\":{\"exitCode\":1,\"containerID\":\"containerd://old\","
    "\"startedAt\":\"2023-01-01T00:00:00Z\",\"finishedAt\":\"2023-01-01T00:00:01Z\"}}}]}}";
static const char *STOPPED =
    "{\"status\":{\"phase\":\"Succeeded\",\"containerStatuses\":[{\"name\":\"c\",\"ready\":false,"
    "\"restartCount\":1,\"image\":\"x\",\"imageID\":\"\",\"containerID\":\"containerd://abc\","
    "\"state\":{\"terminated\":{\"exitCode\":0,\"containerID\":\"containerd://abc\","
    "\"startedAt\":\"2024-01-01T00:00:00Z\",\"finishedAt\":\"2024-01-01T00:00:09Z\"}}}]}}";
static const char *WAITING =
    "{\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"name\":\"c\",\"ready\":false,"
    "\"restartCount\":0,\"image\":\"x\",\"imageID\":\"\","
    "\"state\":{\"waiting\":{\"reason\":\"ContainerCreating\"}}}]}}";

static const char *pod_json(const char *name, bool bound)
{
    static char buf[512];
    snprintf(buf, sizeof buf,
             "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
             "\"spec\":{%s\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
             name, bound ? "\"nodeName\":\"n1\"," : "");
    return buf;
}

static int write_file(const char *path, const char *text, const char *mode)
{
    FILE *f = fopen(path, mode);
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

typedef struct fixture {
    fx_server t;
    fake_node fn;
    k1s_node_backend b;
    char dir[128];
} fixture;

static int setup(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    fx_tmpdir(fx->dir, sizeof fx->dir, "stream-logs");
    if (fx_server_start(&fx->t, false))
        return -1;
    snprintf(fx->fn.path, sizeof fx->fn.path, "%s/c.log", fx->dir);
    fx->b = (k1s_node_backend){.ctx = &fx->fn, .log_path = fake_log_path};
    k1s_server_set_node_backend(fx->t.srv, &fx->b);
    if (write_file(fx->fn.path, LOG_TEXT, "w") || tc_pod(&fx->t, pod_json("p", true), RUNNING))
        return -1;
    return 0;
}

static void teardown(fixture *fx)
{
    k1s_server_set_node_backend(fx->t.srv, NULL);
    fx_server_stop(&fx->t);
    fx_rmtree(fx->dir);
}

/* GET the log with a query; the body, or NULL (code in *code). */
static char *get_log(fixture *fx, const char *pod, const char *query, int *code)
{
    char path[512];
    snprintf(path, sizeof path, "/api/v1/namespaces/default/pods/%s/log%s%s", pod, query ? "?" : "",
             query ? query : "");
    tc_resp r;
    *code = 0;
    if (tc_request(fx->t.port, "GET", path, NULL, &r))
        return NULL;
    *code = r.code;
    char *body = r.body;
    r.body = NULL;
    if (*code == 200 && !strcasestr(r.head, "\r\nContent-Type: text/plain\r\n"))
        *code = -200;
    tc_resp_free(&r);
    return body;
}

#define CHECK_LOG(fx, pod, query, want_code, want_body) \
    do {                                                \
        int code_;                                      \
        char *b_ = get_log(fx, pod, query, &code_);     \
        CHECK_INT(code_, want_code);                    \
        CHECK_STR(b_, want_body);                       \
        free(b_);                                       \
    } while (0)

#define CHECK_LOG_HAS(fx, pod, query, want_code, needle)         \
    do {                                                         \
        int code_;                                               \
        char *b_ = get_log(fx, pod, query, &code_);              \
        CHECK_INT(code_, want_code);                             \
        CHECK(b_ &&strstr(b_, needle));                          \
        if (!(b_ && strstr(b_, needle)))                         \
            fprintf(stderr, "  body: %s\n", b_ ? b_ : "(none)"); \
        free(b_);                                                \
    } while (0)

TEST(test_log_options)
{
    fixture fx;
    if (setup(&fx))
        return;
    CHECK_LOG(&fx, "p", NULL, 200, "line one\nerr one\npart-a part-b part-c\nzoned\nlast\n");
    CHECK_LOG(&fx, "p", "container=c&timestamps=true", 200,
              "2024-01-01T00:00:01.000000001Z line one\n"
              "2024-01-01T00:00:02.500000000Z err one\n"
              "2024-01-01T00:00:03.000000000Z part-a 2024-01-01T00:00:03.100000000Z part-b "
              "2024-01-01T00:00:03.200000000Z part-c\n"
              "2024-01-01T02:00:04.000000000+02:00 zoned\n"
              "2024-01-01T00:00:05.123456789Z last\n");
    CHECK_LOG(&fx, "p", "tailLines=2", 200, "zoned\nlast\n");
    CHECK_LOG(&fx, "p", "tailLines=4", 200, "part-c\nzoned\nlast\n");
    CHECK_LOG(&fx, "p", "tailLines=0", 200, "");
    CHECK_LOG(&fx, "p", "tailLines=100", 200,
              "line one\nerr one\npart-a part-b part-c\nzoned\nlast\n");
    CHECK_LOG(&fx, "p", "sinceTime=2024-01-01T00:00:03Z", 200,
              "part-a part-b part-c\nzoned\nlast\n");
    CHECK_LOG(&fx, "p", "sinceTime=2024-01-01T02:00:04%2B02:00", 200, "zoned\nlast\n");
    CHECK_LOG(&fx, "p", "sinceSeconds=60", 200, "");
    /* further back than the epoch, or beyond 2262: clamped, never overflowed */
    CHECK_LOG(&fx, "p", "sinceSeconds=100000000000&tailLines=1", 200, "last\n");
    CHECK_LOG(&fx, "p", "sinceTime=0001-01-01T00:00:00Z&tailLines=1", 200, "last\n");
    CHECK_LOG(&fx, "p", "sinceTime=3000-01-01T00:00:00Z", 200, "");
    CHECK_LOG(&fx, "p", "limitBytes=12", 200, "line one\nerr");
    CHECK_LOG(&fx, "p", "limitBytes=1000&tailLines=1&timestamps=1", 200,
              "2024-01-01T00:00:05.123456789Z last\n");
    CHECK(!fx.fn.previous);
    CHECK_LOG(&fx, "p", "previous=true", 200,
              "line one\nerr one\npart-a part-b part-c\nzoned\nlast\n");
    CHECK(fx.fn.previous);
    teardown(&fx);
}

TEST(test_log_errors)
{
    fixture fx;
    if (setup(&fx))
        return;
    CHECK_LOG_HAS(
        &fx, "p", "tailLines=-1", 422,
        "PodLogOptions \\\"p\\\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0");
    CHECK_LOG_HAS(&fx, "p", "limitBytes=0", 422,
                  "limitBytes: Invalid value: 0: must be greater than 0");
    CHECK_LOG_HAS(&fx, "p", "sinceSeconds=5&sinceTime=2024-01-01T00:00:03Z", 422,
                  ": Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified");
    CHECK_LOG_HAS(&fx, "p", "sinceSeconds=0", 422,
                  "sinceSeconds: Invalid value: 0: must be greater than 0");
    CHECK_LOG_HAS(&fx, "p", "tailLines=abc", 400,
                  "strconv.ParseInt: parsing \\\"abc\\\": invalid syntax");
    CHECK_LOG_HAS(&fx, "nope", NULL, 404, "pods \\\"nope\\\" not found");
    CHECK_LOG_HAS(&fx, "p", "container=zz", 400, "container zz is not valid for pod p");
    CHECK_LOG_HAS(&fx, "p", "container=c&previous=1", 200, "line one");
    CHECK_INT(tc_pod(&fx.t, pod_json("w", true), WAITING), 0);
    CHECK_LOG_HAS(&fx, "w", NULL, 400,
                  "container \\\"c\\\" in pod \\\"w\\\" is waiting to start: ContainerCreating");
    CHECK_LOG_HAS(&fx, "w", "previous=true", 400,
                  "previous terminated container \\\"c\\\" in pod \\\"w\\\" not found");
    /* a pod not on a node yet: kube answers with no content */
    CHECK_INT(tc_pod(&fx.t, pod_json("u", false), NULL), 0);
    CHECK_LOG(&fx, "u", NULL, 204, "");
    /* the file is gone */
    char moved[300];
    snprintf(moved, sizeof moved, "%s.1", fx.fn.path);
    rename(fx.fn.path, moved);
    CHECK_LOG_HAS(&fx, "p", NULL, 400, "failed to try resolving symlinks in path");
    rename(moved, fx.fn.path);
    /* without a kubelet: kube-apiserver's error when it cannot reach it */
    k1s_server_set_node_backend(fx.t.srv, NULL);
    CHECK_LOG_HAS(&fx, "p", NULL, 500,
                  "Get \\\"https://n1:10250/containerLogs/default/p/c\\\": no kubelet");
    teardown(&fx);
}

/* Open a follow stream; its fd, or -1. */
static int open_follow(fixture *fx, const char *query)
{
    int fd = tc_connect(fx->t.port);
    char req[512];
    snprintf(req, sizeof req,
             "GET /api/v1/namespaces/default/pods/p/log?follow=true%s HTTP/1.1\r\n"
             "Host: localhost\r\nAuthorization: Bearer " FX_TOKEN "\r\n\r\n",
             query ? query : "");
    if (fd < 0 || tc_send(fd, req, strlen(req))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

TEST(test_log_follow)
{
    fixture fx;
    if (setup(&fx))
        return;
    tc_buf in = {0};
    int fd = open_follow(&fx, "&tailLines=1");
    CHECK(fd >= 0);
    if (fd < 0) {
        teardown(&fx);
        return;
    }
    CHECK(tc_wait_for(fd, &in, 0, "last\n", 5000));
    CHECK(strstr(in.p, "zoned") == NULL);
    CHECK(strncmp(in.p, "HTTP/1.1 200", 12) == 0);
    /* the file grows: the new line arrives promptly */
    int64_t t0 = k1s_time_mono_ms();
    write_file(fx.fn.path, "2024-01-01T00:00:06Z stdout F appended one\n", "a");
    CHECK(tc_wait_for(fd, &in, 0, "appended one\n", 3000));
    CHECK(k1s_time_mono_ms() - t0 < 1500);
    /* a partial line is passed on as soon as it is complete */
    write_file(fx.fn.path, "2024-01-01T00:00:07Z stdout P foo ", "a");
    usleep(300 * 1000);
    write_file(fx.fn.path, "\n2024-01-01T00:00:07Z stdout F bar\n", "a");
    CHECK(tc_wait_for(fd, &in, 0, "foo bar\n", 3000));
    /* rotation: the new file is read from its start */
    char moved[300];
    snprintf(moved, sizeof moved, "%s.1", fx.fn.path);
    rename(fx.fn.path, moved);
    write_file(fx.fn.path, "2024-01-01T00:00:08Z stderr F after rotation\n", "w");
    CHECK(tc_wait_for(fd, &in, 0, "after rotation\n", 4000));
    /* the container stops: what is left is sent, then the stream ends */
    write_file(fx.fn.path, "2024-01-01T00:00:09Z stdout F final words\n", "a");
    const k1s_kind *k = k1s_registry_find_kind("", "Pod");
    k1s_target ts = {k, "default", "p", "status"};
    json_t *patch = json_loads(STOPPED, 0, NULL), *out = NULL;
    k1s_status st = {0};
    CHECK_INT(k1s_api_patch(fx.t.api, &ts, K1S_PATCH_MERGE, patch, NULL, &out, &st), 0);
    json_decref(patch);
    json_decref(out);
    k1s_status_clear(&st);
    t0 = k1s_time_mono_ms();
    int rc;
    while ((rc = tc_recv(fd, &in, 5000)) > 0 && !strstr(in.p, "\r\n0\r\n\r\n"))
        ;
    CHECK(strstr(in.p, "final words\n") != NULL);
    CHECK(strstr(in.p, "\r\n0\r\n\r\n") != NULL); /* the chunked end */
    CHECK(k1s_time_mono_ms() - t0 < 4000);
    close(fd);
    free(in.p);
    teardown(&fx);
}

static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 4096; fd++)
        if (fcntl(fd, F_GETFD) != -1)
            n++;
    return n;
}

TEST(test_follower_ends_when_client_leaves)
{
    fixture fx;
    if (setup(&fx))
        return;
    int before = open_fds();
    tc_buf in = {0};
    int fd = open_follow(&fx, NULL);
    CHECK(fd >= 0 && tc_wait_for(fd, &in, 0, "last\n", 5000));
    CHECK(open_fds() > before); /* our socket, the server's, the log file */
    if (fd >= 0)
        close(fd);
    /* the container stays quiet; the server notices within its check */
    int64_t deadline = fx_deadline(4000);
    while (open_fds() > before && fx_poll(deadline))
        ;
    CHECK_INT(open_fds(), before);
    free(in.p);
    teardown(&fx);
}

TEST(test_stop_ends_followers)
{
    fixture fx;
    if (setup(&fx))
        return;
    tc_buf in = {0};
    int fd = open_follow(&fx, NULL);
    CHECK(fd >= 0 && tc_wait_for(fd, &in, 0, "last\n", 5000));
    int64_t t0 = k1s_time_mono_ms();
    teardown(&fx);
    CHECK(k1s_time_mono_ms() - t0 < 3000);
    if (fd >= 0)
        close(fd);
    free(in.p);
}

K1S_TEST_MAIN(T(test_log_options), T(test_log_errors), T(test_log_follow),
              T(test_follower_ends_when_client_leaves), T(test_stop_ends_followers))
