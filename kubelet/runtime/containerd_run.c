/*
 * containerd_run.c - starting other programs (containerd, ctr, gzip,
 * zstd) from inside k1s, plus the two string helpers the containerd files
 * share.
 *
 * k1s is multi-threaded and holds listening sockets, so children are made
 * with posix_spawn (no fork of a big address space) and get only fds 0-2:
 * everything from 3 up is closed in the child whatever its O_CLOEXEC flag,
 * so containerd can never keep k1s's API port open after k1s exits. Signal
 * mask and dispositions are reset (k1s may block signals in its threads or
 * ignore SIGPIPE). PATH is completed with the sbin directories because
 * CNI plugins look up iptables there.
 */
#include "containerd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Directories every child's PATH gets, in case k1s's own lacks them. */
static const char std_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/* ctr's output is only read for names and digests; more is dropped. */
#define RUN_OUTPUT_MAX (1 << 20)

char *k1s__cd_strf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    return n < 0 ? NULL : s;
}

int k1s__cd_err(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    *err = s ? s : strdup("out of memory");
    return -1;
}

/* Whether dir is one of the ':'-separated entries of path. */
static bool path_has(const char *path, const char *dir, size_t dl)
{
    for (const char *p = path; p && *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == dl && strncmp(p, dir, dl) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* PATH plus whichever standard directories it lacks; malloc'd. */
static char *full_path(void)
{
    const char *cur = getenv("PATH");
    char *p = strdup(cur && *cur ? cur : "");
    for (const char *d = std_path; p && *d;) {
        const char *e = strchr(d, ':');
        size_t n = e ? (size_t)(e - d) : strlen(d);
        if (!path_has(p, d, n)) {
            char *q = k1s__cd_strf("%s%s%.*s", p, *p ? ":" : "", (int)n, d);
            free(p);
            p = q;
        }
        d = e ? e + 1 : d + n;
    }
    return p;
}

char *k1s__cd_which(const char *name)
{
    char *path = full_path();
    char *found = NULL;
    for (const char *d = path; d && *d && !found;) {
        const char *e = strchr(d, ':');
        size_t n = e ? (size_t)(e - d) : strlen(d);
        char *cand = k1s__cd_strf("%.*s/%s", (int)n, d, name);
        struct stat st;
        if (n > 0 && cand && stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            found = cand;
        else
            free(cand);
        d = e ? e + 1 : d + n;
    }
    free(path);
    return found;
}

/* environ with PATH replaced by full_path(). The array is malloc'd; its
 * strings are environ's except *path_entry, which the caller frees. */
static char **child_env(char **path_entry)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    char *path = full_path();
    *path_entry = path ? k1s__cd_strf("PATH=%s", path) : NULL;
    free(path);
    if (!env || !*path_entry) {
        free(env);
        free(*path_entry);
        *path_entry = NULL;
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "PATH=", 5) != 0)
            env[j++] = environ[i];
    env[j++] = *path_entry;
    env[j] = NULL;
    return env;
}

int k1s__cd_spawn(char *const argv[], int in_fd, int out_fd, int err_fd, bool own_pgroup,
                  pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    char *path_entry = NULL;
    char **env = child_env(&path_entry);
    if (!env)
        return ENOMEM;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc) {
        free(env);
        free(path_entry);
        return rc;
    }
    rc = posix_spawnattr_init(&at);
    if (rc) {
        posix_spawn_file_actions_destroy(&fa);
        free(env);
        free(path_entry);
        return rc;
    }
    if (in_fd >= 0)
        rc = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else
        rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    int to[2] = {out_fd, err_fd};
    for (int i = 0; i < 2 && !rc; i++)
        rc = to[i] >= 0 ? posix_spawn_file_actions_adddup2(&fa, to[i], i + 1)
                        : posix_spawn_file_actions_addopen(&fa, i + 1, "/dev/null", O_WRONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (own_pgroup)
        flags |= POSIX_SPAWN_SETPGROUP; /* pgroup 0: its own */
    if (!rc)
        rc = posix_spawnattr_setflags(&at, flags);
    if (!rc)
        rc = posix_spawnattr_setsigmask(&at, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(&at, &all);
    if (!rc)
        rc = posix_spawn(pid, argv[0], &fa, &at, argv, env);

    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    free(path_entry);
    return rc;
}

int k1s__cd_run(char *const argv[], int stdin_fd, char **out)
{
    int p[2] = {-1, -1};
    if (out)
        *out = NULL;
    if (pipe2(p, O_CLOEXEC) != 0) {
        if (out)
            *out = k1s__cd_strf("pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid;
    int rc = k1s__cd_spawn(argv, stdin_fd, p[1], p[1], false, &pid);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        if (out)
            *out = k1s__cd_strf("cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }

    k1s_buf b = {0};
    char chunk[4096];
    for (;;) {
        ssize_t n = read(p[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (b.len + (size_t)n <= RUN_OUTPUT_MAX)
            k1s_buf_add(&b, chunk, (size_t)n);
    }
    close(p[0]);

    int st = 0;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (out)
        *out = k1s_buf_take(&b, NULL); /* NULL when out of memory */
    k1s_buf_free(&b);
    if (w < 0) /* someone else reaped it (SIGCHLD ignored?) */
        return -1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
}
