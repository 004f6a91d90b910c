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
                              "Host: x\r\nAuthorization: Bearer " TC_TOKEN "\r\n\r\n";
    while (!atomic_load(&f->stop)) {
        int fd = tc_connect(f->port);
        if (fd < 0)
            continue;
        if (tc_send(fd, req, sizeof req - 1) == 0)
            atomic_fetch_add(&f->opened, 1);
        /* keep it open a moment, as a watcher does, then the next one */
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
        close(fd);
    }
    return NULL;
}

TEST(test_stop_during_a_watch_flood)
{
    int opened = 0;
    for (int round = 0; round < ROUNDS; round++) {
        tc_server t;
        CHECK_INT(tc_start(&t), 0);
        flood f = {.port = t.port};
        pthread_t th[CLIENTS];
        for (int i = 0; i < CLIENTS; i++)
            pthread_create(&th[i], NULL, watcher, &f);
        struct timespec ts = {0, 30 * 1000000L};
        nanosleep(&ts, NULL);
        tc_stop(&t); /* aborted here before the fix, now and then */
        atomic_store(&f.stop, true);
        for (int i = 0; i < CLIENTS; i++)
            pthread_join(th[i], NULL);
        opened += atomic_load(&f.opened);
    }
    CHECK(opened > ROUNDS); /* the flood really ran */
}

K1S_TEST_MAIN(T(test_stop_during_a_watch_flood))
