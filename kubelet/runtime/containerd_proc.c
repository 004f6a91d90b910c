/*
 * containerd_proc.c - the containerd child process: spawning it, knowing
 * when it is ready, stopping it, and dealing with one left behind by a k1s
 * that was killed.
 *
 * Ready means the CRI plugin answers Version on the gRPC socket, not just
 * that the socket accepts: containerd 1.6 starts serving before its CRI
 * plugin has finished initialising, and until then every CRI call fails.
 *
 * containerd.pid in <data-dir>/containerd holds "<containerd pid> <k1s
 * pid>". At start, a containerd found there (alive, and a containerd
 * started with our config path, so a reused pid is never touched) is
 *   - refused when it is still the child of that k1s and that k1s is not
 *     us: two k1s on one data directory would fight over it;
 *   - otherwise (its k1s was killed; it was re-parented) stopped, and a
 *     fresh one started, rather than adopted: the config may have changed
 *     (stream port, pod CIDR, sandbox image), and only a child of ours can
 *     be watched and restarted by k1s_containerd_check. Containers are not
 *     affected: they live in their shims and the new containerd
 *     reconnects to them.
 */
#include "containerd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 5
#define LOG_MAX (16 << 20)

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

bool k1s__cd_socket_accepts(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strncmp(path, "unix://", 7) == 0)
        path += 7;
    if (strlen(path) >= sizeof sa.sun_path)
        return false;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

bool k1s__cd_answers(const k1s_containerd *c)
{
    /* connect() first: cheap, and it spares curl a failing attempt */
    if (!k1s__cd_socket_accepts(c->socket))
        return false;
    json_t *req = json_pack("{s:s}", "version", "v1");
    json_t *reply = NULL;
    k1s_cri_error e = {0};
    bool ok = req && k1s_cri_call(c->cri, "Version", req, &reply, 2000, &e) == 0;
    json_decref(req);
    json_decref(reply);
    k1s_cri_error_clear(&e);
    return ok;
}

/* ---- the process left by an earlier k1s ---- */

/* The whole of a small /proc file (cmdline: NUL-separated). */
static char *read_small(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(8192);
    ssize_t n = buf ? read(fd, buf, 8191) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Whether pid is a live (not zombie) containerd run with our config;
 * its parent's pid into *ppid. */
static bool is_our_containerd(const k1s_containerd *c, pid_t pid, pid_t *ppid)
{
    char path[64];
    size_t len;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *stat = read_small(path, &len);
    /* "pid (comm) S ppid ...": comm may hold spaces, so from the last ')' */
    const char *rp = stat ? strrchr(stat, ')') : NULL;
    bool live = rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
    if (live && ppid)
        *ppid = (pid_t)atoi(rp + 4);
    free(stat);
    if (!live)
        return false;

    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    char *cmd = read_small(path, &len);
    bool ours = false;
    if (cmd) {
        /* argv[0] ends in "containerd" and "--config" "<our path>" follows */
        const char *base = strrchr(cmd, '/');
        base = base ? base + 1 : cmd;
        if (strcmp(base, "containerd") == 0) {
            for (size_t i = strlen(cmd) + 1; i < len; i += strlen(cmd + i) + 1)
                if (strcmp(cmd + i, "--config") == 0 && i + 9 < len &&
                    strcmp(cmd + i + 9, c->config_path) == 0)
                    ours = true;
        }
    }
    free(cmd);
    return ours;
}

static bool gone(const k1s_containerd *c, pid_t pid)
{
    return kill(pid, 0) != 0 || !is_our_containerd(c, pid, NULL);
}

int k1s__cd_stop_stale(k1s_containerd *c, char **err)
{
    size_t len;
    char *txt = read_small(c->pid_path, &len);
    int pid = 0, owner = 0; /* "<containerd pid> <k1s pid>" */
    if (txt && sscanf(txt, "%d %d", &pid, &owner) < 1)
        pid = 0;
    free(txt);
    pid_t ppid = 0;
    if (pid > 1 && is_our_containerd(c, pid, &ppid)) {
        /* still the child of the k1s that started it: that k1s runs */
        if (owner > 1 && owner != (int)getpid() && ppid == owner)
            return k1s__cd_err(err,
                               "another k1s (pid %d) is running on "
                               "this data directory with its "
                               "containerd (pid %d)",
                               owner, pid);
        if (!c->quiet)
            fprintf(stderr,
                    "k1s: stopping containerd (pid %d) left by an earlier "
                    "k1s\n",
                    (int)pid);
        kill(pid, SIGTERM);
        int64_t end = k1s_time_mono_ms() + K1S_CD_STOP_TIMEOUT_MS;
        while (!gone(c, pid) && k1s_time_mono_ms() < end)
            sleep_ms(20);
        if (!gone(c, pid)) {
            kill(pid, SIGKILL);
            end = k1s_time_mono_ms() + 2000;
            while (!gone(c, pid) && k1s_time_mono_ms() < end)
                sleep_ms(20);
        }
        if (!gone(c, pid))
            return k1s__cd_err(err,
                               "containerd (pid %d) from an earlier k1s "
                               "does not stop",
                               (int)pid);
    }
    unlink(c->pid_path);
    /* a socket nobody serves is stale; one somebody serves is not ours */
    if (k1s__cd_socket_accepts(c->socket))
        return k1s__cd_err(err,
                           "%s is served by a containerd k1s did not start; "
                           "stop it or pass --container-runtime-endpoint",
                           c->socket);
    unlink(c->socket);
    return 0;
}

/* ---- the child ---- */

/* The error lines containerd logged after offset (or its last line),
 * to say why it did not come up. Malloc'd, maybe "". */
static char *log_reason(const char *path, off_t offset)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return strdup("");
    fseeko(f, offset, SEEK_SET);
    char line[1024], last[1024] = "";
    k1s_buf b = {0};
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strstr(line, "level=fatal") || strstr(line, "level=error")) {
            if (b.len < 2048) {
                k1s_buf_add(&b, "\n  ", b.len ? 3 : 2);
                k1s_buf_adds(&b, line);
            }
        } else if (line[0]) {
            snprintf(last, sizeof last, "%s", line);
        }
    }
    fclose(f);
    if (b.len == 0 && last[0]) {
        k1s_buf_adds(&b, "  ");
        k1s_buf_adds(&b, last);
    }
    char *s = k1s_buf_take(&b, NULL);
    return s ? s : strdup("");
}

static void write_pid_file(const k1s_containerd *c)
{
    char txt[48];
    int n = snprintf(txt, sizeof txt, "%d %d\n", (int)c->pid, (int)getpid());
    char *err = NULL;
    if (k1s__cd_write_file(c->pid_path, txt, (size_t)n, &err) != 0 && !c->quiet)
        fprintf(stderr, "k1s: warning: %s\n", err);
    free(err);
}

/* Keep one old log: containerd.log -> containerd.log.1 past LOG_MAX. */
static void rotate_log(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size < LOG_MAX)
        return;
    char *old = k1s__cd_strf("%s.1", path);
    if (old)
        rename(path, old);
    free(old);
}

int k1s__cd_spawn_and_wait(k1s_containerd *c, int timeout_ms, char **err)
{
    rotate_log(c->log_path);
    int log = open(c->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0)
        return k1s__cd_err(err, "cannot open %s: %s", c->log_path, strerror(errno));
    off_t offset = lseek(log, 0, SEEK_END);
    char *argv[] = {c->containerd_bin, "--config", c->config_path, NULL};
    pid_t pid;
    /* own process group: a Ctrl-C in k1s's terminal must not reach it
     * before k1s has stopped the pods' runtime in order */
    int rc = k1s__cd_spawn(argv, -1, log, log, true, &pid);
    close(log);
    if (rc != 0)
        return k1s__cd_err(err, "cannot start %s: %s", c->containerd_bin, strerror(rc));
    c->pid = pid;
    c->started_ms = k1s_time_mono_ms();
    write_pid_file(c);

    int64_t end = c->started_ms + timeout_ms;
    for (;;) {
        if (!k1s__cd_child_alive(c)) {
            char *why = log_reason(c->log_path, offset);
            k1s__cd_err(err, "containerd exited at start (log: %s)%s%s", c->log_path,
                        why && *why ? ":\n" : "", why ? why : "");
            free(why);
            return -1;
        }
        if (k1s__cd_answers(c))
            return 0;
        if (k1s_time_mono_ms() >= end)
            break;
        sleep_ms(POLL_MS);
    }
    k1s__cd_terminate(c, 2000);
    return k1s__cd_err(err,
                       "containerd did not answer on %s within %d s "
                       "(log: %s)",
                       c->socket, timeout_ms / 1000, c->log_path);
}

/* Whether the child runs; reaps it when it ended, saying how if report. */
static bool reap(k1s_containerd *c, bool report)
{
    if (c->pid <= 0)
        return false;
    int st;
    pid_t r = waitpid(c->pid, &st, WNOHANG);
    if (r == 0)
        return true;
    if (r == c->pid && report && !c->quiet) {
        if (WIFSIGNALED(st))
            fprintf(stderr, "k1s: containerd (pid %d) killed by signal %d\n", (int)c->pid,
                    WTERMSIG(st));
        else
            fprintf(stderr, "k1s: containerd (pid %d) exited with status %d\n", (int)c->pid,
                    WEXITSTATUS(st));
    }
    /* r < 0: not our child any more (reaped elsewhere); treat as gone */
    c->pid = 0;
    return false;
}

bool k1s__cd_child_alive(k1s_containerd *c)
{
    return reap(c, true);
}

void k1s__cd_terminate(k1s_containerd *c, int timeout_ms)
{
    if (c->pid <= 0)
        return; /* nothing of ours; the pid file may be another k1s's */
    kill(c->pid, SIGTERM);
    int64_t end = k1s_time_mono_ms() + timeout_ms;
    while (reap(c, false) && k1s_time_mono_ms() < end)
        sleep_ms(POLL_MS);
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        c->pid = 0;
    }
    unlink(c->pid_path);
}
