/*
 * test_watch_stop.c - the server stops cleanly while clients keep opening
 * watches: a watch linked after the streams were told to end must end too,
 * else libmicrohttpd aborts the process when it stops with a connection
 * still suspended.
 */
#include "k1s_test.h"
#include "test_stream_client.h"

#include <pthread.h>
#include <stdatomic.h>

#define ROUNDS 30
#define CLIENTS 12

typedef struct flood {
    int port;
    atomic_bool stop;
    atomic_int opened;
} flood;

static void *watcher(void *arg)
{
    flood *f = arg;
    static const char req[] = "GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\n"
                              "Host: x\r\nAuthorization: Bearer " FX_TOKEN "\r\n\r\n";
    while (!atomic_load(&f->stop)) {
        int fd = tc_connect(f->port);
        if (fd < 0)
            continue;
        if (tc_send(fd, req, sizeof req - 1) == 0)
            atomic_fetch_add(&f->opened, 1);
        /* keep it open a moment, as a watcher does, then the next one */
        fx_sleep_ms(2);
        close(fd);
    }
    return NULL;
}

TEST(test_stop_during_a_watch_flood)
{
    int opened = 0;
    for (int round = 0; round < ROUNDS; round++) {
        fx_server t;
        CHECK_INT(fx_server_start(&t, false), 0);
        flood f = {.port = t.port};
        pthread_t th[CLIENTS];
        for (int i = 0; i < CLIENTS; i++)
            pthread_create(&th[i], NULL, watcher, &f);
        fx_sleep_ms(30);
        fx_server_stop(&t); /* aborted here before the fix, now and then */
        atomic_store(&f.stop, true);
        for (int i = 0; i < CLIENTS; i++)
            pthread_join(th[i], NULL);
        opened += atomic_load(&f.opened);
    }
    CHECK(opened > ROUNDS); /* the flood really ran */
}

K1S_TEST_MAIN(T(test_stop_during_a_watch_flood))
