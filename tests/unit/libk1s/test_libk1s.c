/*
 * test_libk1s.c - several in-process clusters side by side: each starts,
 * gets its own port and kubeconfig, accepts connections, and stops
 * leaving nothing behind.
 */
#include "k1s_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k1s.h"

static int port_of(const char *url)
{
    const char *colon = strrchr(url, ':');
    return colon ? atoi(colon + 1) : 0;
}

static int connects(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

TEST(test_side_by_side)
{
    enum { N = 3 };
    k1s *ks[N] = {0};
    char paths[N][4096];
    for (int i = 0; i < N; i++) {
        k1s_options o = {.kubelet = "simulated", .quiet = true};
        char *err = NULL;
        CHECK_INT(k1s_start(&o, &ks[i], &err), 0);
        if (!ks[i]) {
            fprintf(stderr, "%s\n", err ? err : "?");
            free(err);
            return;
        }
        snprintf(paths[i], sizeof paths[i], "%s", k1s_kubeconfig(ks[i]));
        CHECK(access(paths[i], R_OK) == 0);
        CHECK(connects(port_of(k1s_url(ks[i]))));
        CHECK(k1s_start_ms(ks[i]) > 0);
    }
    CHECK(port_of(k1s_url(ks[0])) != port_of(k1s_url(ks[1])));
    CHECK(strcmp(paths[0], paths[1]) != 0);
    for (int i = 0; i < N; i++) {
        int port = port_of(k1s_url(ks[i]));
        k1s_stop(ks[i]);
        CHECK(access(paths[i], F_OK) != 0); /* its temp kubeconfig is gone */
        CHECK(!connects(port));
    }
}

/* A data directory that exists with wider permissions is made the owner's
 * alone: it holds the database, the CA key and the admin token. */
TEST(test_data_dir_is_private)
{
    char dir[] = "/tmp/k1s-libtest-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(chmod(dir, 0755) == 0);
    k1s_options o = {.data_dir = dir, .kubelet = "none", .quiet = true};
    k1s *k = NULL;
    char *err = NULL;
    CHECK_INT(k1s_start(&o, &k, &err), 0);
    free(err);
    struct stat st;
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
    char db[4200];
    snprintf(db, sizeof db, "%s/k1s.db", dir);
    CHECK(stat(db, &st) == 0 && (st.st_mode & 0777) == 0600);
    k1s_stop(k);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

K1S_TEST_MAIN(T(test_side_by_side), T(test_data_dir_is_private))
