/*
 * test_containerd.c - k1s's own containerd for real: start in a temp data
 * dir, the pause image, tarballs in images/ (plain, gzip, zstd; skipped
 * when unchanged, re-imported when gone), restart of a killed child,
 * an endpoint, a containerd left by a killed k1s, and a stop that leaves
 * nothing behind. Needs root and containerd; exits 77 (skip) otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containerd_internal.h"
#include "k1s_fixture.h"
#include "k1s_test.h"
#include "leftovers.h"

static char tmpdir[64];
static char *data_dir;
static k1s_containerd *cd;

/* A shell command's status, its output in *out when out is given. */
static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = NULL;
    if (vasprintf(&cmd, fmt, ap) < 0)
        cmd = NULL;
    va_end(ap);
    char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    char *o = NULL;
    int st = cmd ? k1s__cd_run(argv, -1, &o) : -1;
    if (st != 0)
        fprintf(stderr, "  [%s] -> %d: %s\n", cmd, st, o ? o : "");
    free(cmd);
    if (out)
        *out = o;
    else
        free(o);
    return st;
}

/* `ctr images ls -q` in k8s.io; malloc'd. */
static char *images(void)
{
    char *out = NULL;
    sh(&out, "ctr --address %s -n k8s.io images ls -q", k1s_containerd_socket(cd));
    return out;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
            return true;
    return false;
}

/* The socket inode of fd, to find it among another process's fds. */
static ino_t inode_of(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

static bool process_has_socket(pid_t pid, ino_t ino)
{
    char dir[64], want[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)ino);
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[320], target[128];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(p, target, sizeof target - 1);
        if (n > 0) {
            target[n] = '\0';
            found |= strcmp(target, want) == 0;
        }
    }
    if (d)
        closedir(d);
    return found;
}

TEST(starts_and_answers)
{
    /* a listening socket k1s holds, which containerd must not inherit */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(lfd, 1) == 0);

    k1s_containerd_config cfg = {.data_dir = data_dir, .pod_cidr = "10.244.0.0/24"};
    char *err = NULL;
    int64_t t0 = k1s_time_mono_ms();
    int rc = k1s_containerd_start(&cfg, &cd, &err);
    CHECK_INT(rc, 0);
    if (rc != 0) {
        fprintf(stderr, "start: %s\n", err);
        free(err);
        exit(1); /* nothing else can run */
    }
    fprintf(stderr, "  first start (pause imported): %lld ms\n",
            (long long)(k1s_time_mono_ms() - t0));
    CHECK(k1s__cd_answers(cd));
    CHECK(strncmp(k1s_containerd_stream_base(cd), "http://127.0.0.1:", 17) == 0);
    CHECK(atoi(k1s_containerd_stream_base(cd) + 17) == cd->stream_port);
    CHECK(cd->pid > 0 && getpgid(cd->pid) == cd->pid);
    CHECK(!process_has_socket(cd->pid, inode_of(lfd)));
    CHECK(k1s_containerd_check(cd));
    close(lfd);

    char *p = k1s__cd_strf("%s/containerd/containerd.pid", data_dir);
    FILE *f = fopen(p, "re");
    int pid = 0;
    CHECK(f && fscanf(f, "%d", &pid) == 1);
    if (f)
        fclose(f);
    CHECK_INT(pid, cd->pid);
    free(p);

    free(err);
}

TEST(pause_image_present)
{
    char *out = images();
    CHECK(has_line(out, K1S_PAUSE_IMAGE));
    free(out);
    char *p = k1s__cd_strf("%s/containerd/pause.tar", data_dir);
    struct stat st;
    CHECK(stat(p, &st) == 0 && st.st_size > 10000);
    free(p);
}

static int import_dir_quietly(void)
{
    return k1s__cd_import_dir(cd);
}

TEST(images_dir_is_imported)
{
    const char *s = k1s_containerd_socket(cd);
    const char *ctr = "ctr --address";
    char *img = k1s__cd_strf("%s/images", data_dir);
    mkdir(img, 0755);
    static const char *const kinds[] = {"plain", "gz", "zst"};
    for (int i = 0; i < 3; i++) {
        CHECK(sh(NULL, "%s %s -n k8s.io images tag --force %s test.k1s.io/%s:1", ctr, s,
                 K1S_PAUSE_IMAGE, kinds[i]) == 0);
        CHECK(sh(NULL, "%s %s -n k8s.io images export %s/%s.x test.k1s.io/%s:1", ctr, s, tmpdir,
                 kinds[i], kinds[i]) == 0);
        CHECK(sh(NULL, "%s %s -n k8s.io images rm test.k1s.io/%s:1", ctr, s, kinds[i]) == 0);
    }
    CHECK(sh(NULL, "mv %s/plain.x %s/plain.tar", tmpdir, img) == 0);
    CHECK(sh(NULL, "gzip -c %s/gz.x > %s/gz.tar.gz", tmpdir, img) == 0);
    CHECK(sh(NULL, "zstd -q -c %s/zst.x > %s/zst.tar.zst", tmpdir, img) == 0);
    char *out = images();
    CHECK(!has_line(out, "test.k1s.io/plain:1"));
    free(out);

    CHECK_INT(import_dir_quietly(), 0);
    out = images();
    for (int i = 0; i < 3; i++) {
        char name[64];
        snprintf(name, sizeof name, "test.k1s.io/%s:1", kinds[i]);
        CHECK(has_line(out, name));
    }
    free(out);
    char *db = k1s__cd_strf("%s/containerd/imported.json", data_dir);
    json_t *j = json_load_file(db, 0, NULL);
    CHECK_STR(json_string_value(
                  json_array_get(json_object_get(json_object_get(j, "gz.tar.gz"), "images"), 0)),
              "test.k1s.io/gz:1");
    CHECK_INT(json_object_size(j), 3);
    json_decref(j);

    /* unchanged size and mtime: skipped (garbage would fail to import) */
    CHECK(sh(NULL,
             "f=%s/plain.tar; t=$(stat -c %%y $f); s=$(stat -c %%s $f);"
             " head -c $s /dev/zero > $f; touch -d \"$t\" $f",
             img) == 0);
    CHECK_INT(import_dir_quietly(), 0);
    /* an image removed from containerd: its file is imported again */
    CHECK(sh(NULL, "%s %s -n k8s.io images rm test.k1s.io/gz:1", ctr, s) == 0);
    CHECK_INT(import_dir_quietly(), 0);
    out = images();
    CHECK(has_line(out, "test.k1s.io/gz:1"));
    free(out);

    /* a broken file fails alone, is not recorded, and is retried */
    CHECK(sh(NULL, "echo not a tar > %s/bad.tar", img) == 0);
    CHECK_INT(import_dir_quietly(), 1);
    j = json_load_file(db, 0, NULL);
    CHECK(json_object_get(j, "bad.tar") == NULL);
    CHECK(json_object_get(j, "zst.tar.zst") != NULL);
    json_decref(j);
    char *bad = k1s__cd_strf("%s/bad.tar", img), *err = NULL;
    CHECK_INT(k1s_containerd_import(cd, bad, &err), -1);
    CHECK(err && strstr(err, "bad.tar"));
    free(err);
    unlink(bad);
    free(bad);

    /* one file by hand */
    char *plain = k1s__cd_strf("%s/plain.y", tmpdir);
    CHECK(sh(NULL, "%s %s -n k8s.io images export %s test.k1s.io/zst:1", ctr, s, plain) == 0);
    CHECK(sh(NULL, "%s %s -n k8s.io images rm test.k1s.io/zst:1", ctr, s) == 0);
    err = NULL;
    CHECK_INT(k1s_containerd_import(cd, plain, &err), 0);
    free(err);
    out = images();
    CHECK(has_line(out, "test.k1s.io/zst:1"));
    free(out);
    free(plain);
    free(db);
    free(img);
}

TEST(check_restarts_a_killed_child)
{
    pid_t old = cd->pid;
    cd->restart_interval_ms = 0;
    CHECK(kill(old, SIGKILL) == 0);
    usleep(100 * 1000);
    int64_t t0 = k1s_time_mono_ms();
    CHECK(k1s_containerd_check(cd));
    fprintf(stderr, "  restart after SIGKILL: %lld ms\n", (long long)(k1s_time_mono_ms() - t0));
    CHECK(cd->pid > 0 && cd->pid != old);
    CHECK(k1s__cd_answers(cd));
    char *out = images();
    CHECK(has_line(out, K1S_PAUSE_IMAGE));
    free(out);

    /* within the interval a dead child stays dead (no restart loop) */
    cd->restart_interval_ms = 60000;
    old = cd->pid;
    CHECK(kill(old, SIGKILL) == 0);
    usleep(100 * 1000);
    CHECK(!k1s_containerd_check(cd));
    CHECK_INT(cd->pid, 0);
    cd->restart_interval_ms = 0;
    CHECK(k1s_containerd_check(cd));
    CHECK(cd->pid > 0);
    cd->restart_interval_ms = K1S_CD_RESTART_INTERVAL_MS;
}

TEST(endpoint_mode_starts_nothing)
{
    char *d2 = k1s__cd_strf("%s/data2", tmpdir);
    k1s_containerd_config cfg = {
        .data_dir = d2, .endpoint = k1s_containerd_socket(cd), .quiet = true};
    k1s_containerd *e = NULL;
    char *err = NULL;
    CHECK_INT(k1s_containerd_start(&cfg, &e, &err), 0);
    free(err);
    if (e) {
        CHECK_STR(k1s_containerd_stream_base(e), "");
        CHECK_STR(k1s_containerd_socket(e), k1s_containerd_socket(cd));
        CHECK(k1s_containerd_check(e));
        k1s_containerd_stop(e);
    }
    char *conf = k1s__cd_strf("%s/containerd/config.toml", d2);
    CHECK(access(conf, F_OK) != 0);
    free(conf);
    CHECK(k1s__cd_answers(cd)); /* the endpoint's stop left it alone */

    cfg.endpoint = "/nonexistent/containerd.sock";
    err = NULL;
    CHECK_INT(k1s_containerd_start(&cfg, &e, &err), -1);
    CHECK(err && strstr(err, "does not answer"));
    free(err);
    free(d2);
}

TEST(bad_config_is_refused)
{
    k1s_containerd_config cfg = {.data_dir = data_dir, .pod_cidr = "10.1.2.3"};
    k1s_containerd *c = NULL;
    char *err = NULL;
    CHECK_INT(k1s_containerd_start(&cfg, &c, &err), -1);
    CHECK(err && strstr(err, "pod CIDR"));
    free(err);
    cfg = (k1s_containerd_config){0};
    err = NULL;
    CHECK_INT(k1s_containerd_start(&cfg, &c, &err), -1);
    free(err);
}

/* A second k1s on a data dir whose k1s still runs is refused; once that
 * k1s is SIGKILLed, its orphaned containerd is replaced. The other k1s is
 * a forked copy of this test. */
TEST(second_k1s_refused_then_killed_k1s_replaced)
{
    char *d3 = k1s__cd_strf("%s/data3", tmpdir);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t k1s = fork();
    if (k1s == 0) {
        close(p[0]);
        k1s_containerd_config cfg = {.data_dir = d3, .quiet = true};
        k1s_containerd *c = NULL;
        char *err = NULL;
        int pid = k1s_containerd_start(&cfg, &c, &err) == 0 ? c->pid : -1;
        if (write(p[1], &pid, sizeof pid) != sizeof pid)
            _exit(1);
        for (;;)
            pause();
    }
    close(p[1]);
    int old = -1;
    CHECK(read(p[0], &old, sizeof old) == sizeof old && old > 0);
    close(p[0]);

    k1s_containerd_config cfg = {.data_dir = d3};
    k1s_containerd *c = NULL;
    char *err = NULL;
    CHECK_INT(k1s_containerd_start(&cfg, &c, &err), -1);
    CHECK(err && strstr(err, "another k1s"));
    free(err);
    CHECK(old > 0 && kill(old, 0) == 0);

    kill(k1s, SIGKILL);
    waitpid(k1s, NULL, 0);
    err = NULL;
    int64_t t0 = k1s_time_mono_ms();
    CHECK_INT(k1s_containerd_start(&cfg, &c, &err), 0);
    fprintf(stderr, "  start replacing an orphaned containerd: %lld ms\n",
            (long long)(k1s_time_mono_ms() - t0));
    if (err)
        fprintf(stderr, "  %s\n", err);
    free(err);
    if (c) {
        CHECK(c->pid != old && k1s__cd_answers(c));
        k1s_containerd_stop(c);
    }
    /* the orphan was stopped (and reaped by init) */
    for (int i = 0; i < 100 && old > 0 && kill(old, 0) == 0; i++)
        usleep(20 * 1000);
    CHECK(old > 0 && kill(old, 0) == -1);
    free(d3);
}

/* A restart finds the pause image: no pause.tar written, no import. */
TEST(restart_skips_the_pause_import)
{
    char *pause = k1s__cd_strf("%s/containerd/pause.tar", data_dir);
    struct stat before, after;
    CHECK(stat(pause, &before) == 0);
    k1s_containerd_stop(cd);
    k1s_containerd_config cfg = {.data_dir = data_dir};
    char *err = NULL;
    int64_t t0 = k1s_time_mono_ms();
    CHECK_INT(k1s_containerd_start(&cfg, &cd, &err), 0);
    fprintf(stderr, "  restart, pause image already there: %lld ms\n",
            (long long)(k1s_time_mono_ms() - t0));
    free(err);
    CHECK(stat(pause, &after) == 0);
    CHECK(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
          before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
    free(pause);
}

TEST(stop_leaves_nothing)
{
    char *sock = strdup(k1s_containerd_socket(cd));
    pid_t pid = cd->pid;
    int64_t t0 = k1s_time_mono_ms();
    k1s_containerd_stop(cd);
    fprintf(stderr, "  stop: %lld ms\n", (long long)(k1s_time_mono_ms() - t0));
    cd = NULL;
    CHECK(kill(pid, 0) == -1 && errno == ESRCH);
    CHECK_INT(k1s_test_procs_mentioning(tmpdir, false), 0);
    CHECK(!k1s_test_mounts_under(tmpdir));
    CHECK(!k1s__cd_socket_accepts(sock));
    char *pidf = k1s__cd_strf("%s/containerd/containerd.pid", data_dir);
    CHECK(access(pidf, F_OK) != 0);
    free(pidf);
    free(sock);
}

#define main containerd_tests
K1S_TEST_MAIN(T(starts_and_answers), T(pause_image_present), T(images_dir_is_imported),
              T(check_restarts_a_killed_child), T(endpoint_mode_starts_nothing),
              T(bad_config_is_refused), T(second_k1s_refused_then_killed_k1s_replaced),
              T(restart_skips_the_pause_import), T(stop_leaves_nothing))
#undef main

int main(void)
{
    char *c1 = k1s__cd_which("containerd"), *c2 = k1s__cd_which("ctr");
    bool can = geteuid() == 0 && c1 && c2;
    free(c1);
    free(c2);
    if (!can) {
        fprintf(stderr, "\n*** SKIPPED test_containerd: needs root and containerd + "
                        "ctr in PATH (apt-get install containerd runc "
                        "containernetworking-plugins) ***\n\n");
        return 77;
    }
    fx_tmpdir(tmpdir, sizeof tmpdir, "containerd");
    data_dir = k1s__cd_strf("%s/data", tmpdir);
    int rc = containerd_tests();
    if (cd) /* a failed check above: still stop it */
        k1s_containerd_stop(cd);
    if (k1s_test_procs_mentioning(tmpdir, false) != 0) {
        fprintf(stderr, "processes of %s remain\n", tmpdir);
        rc = 1;
    }
    if (!k1s_test_mounts_under(tmpdir))
        fx_rmtree(tmpdir);
    else
        fprintf(stderr, "mounts remain under %s; not removed\n", tmpdir);
    free(data_dir);
    return rc;
}
