/*
 * http_stream_logfile.c - reads a container's CRI-format log file for
 * pods/log as the kubelet does (pkg/kubelet/kuberuntime/logs): start at the
 * last tailLines lines, parse "<RFC3339Nano> stdout|stderr P|F <text>"
 * lines (P: part of a longer line, written without its newline), skip
 * messages before sinceTime, prefix the time in RFC3339Nano with nine
 * digits when timestamps are asked for, and stop after limitBytes.
 */
#include "stream_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)
/* a "line" longer than this without a newline is passed on as it is */
#define MAX_LINE (1024 * 1024)

struct k1s_logfile {
    char *path;
    int fd;
    dev_t dev;
    ino_t ino;
    off_t off;  /* file offset of the next byte to read */
    k1s_buf rb; /* bytes read and not yet parsed, from rpos */
    size_t rpos;
    k1s_logopts o;
    int64_t remain;     /* output bytes still allowed */
    int64_t lines_left; /* messages left with tail and no follow; -1 */
    bool finished;
};

/* ---- time ---------------------------------------------------------------- */

/* "2006-01-02T15:04:05.000000000+07:00" and room for what the compiler
 * cannot prove about the zone */
#define FIXED_LEN 48

/* Parse an RFC 3339 time; fixed (if not NULL, FIXED_LEN bytes) gets Go's
 * RFC3339NanoFixed rendering of it, in the zone it was written in. */
static int parse_time(const char *s, size_t n, int64_t *ns, char *fixed)
{
    k1s_time t;
    if (k1s_time_parse(s, n, &t) != 0)
        return -1;
    /* times beyond what nanoseconds since 1970 hold are clamped, not
     * overflowed */
    const int64_t lim = INT64_MAX / 1000000000LL - 1;
    int64_t secs = t.sec > lim ? lim : t.sec < -lim ? -lim : t.sec;
    *ns = secs * 1000000000LL + t.nsec;
    if (fixed) {
        char zone[16] = "Z";
        int off = t.offset < 0 ? -t.offset : t.offset;
        if (t.offset)
            snprintf(zone, sizeof zone, "%c%02d:%02d", t.offset < 0 ? '-' : '+', off / 3600,
                     off / 60 % 60);
        snprintf(fixed, FIXED_LEN, "%.19s.%09d%s", s, (int)t.nsec, zone);
    }
    return 0;
}

int k1s__parse_rfc3339(const char *s, size_t n, int64_t *ns)
{
    return parse_time(s, n, ns, NULL);
}

/* ---- opening ------------------------------------------------------------- */

/* kubelet's tail.FindTailLineStartIndex: just after the (n+1)th newline
 * from the end, counting the file's final one; 0 if there are fewer. */
static off_t tail_start(int fd, off_t size, int64_t n)
{
    if (n < 0)
        return 0;
    char block[8192];
    int64_t seen = 0;
    for (off_t right = size; right > 0;) {
        off_t left = right > (off_t)sizeof block ? right - (off_t)sizeof block : 0;
        ssize_t got = pread(fd, block, (size_t)(right - left), left);
        if (got != right - left)
            return 0;
        for (ssize_t i = got - 1; i >= 0; i--)
            if (block[i] == '\n' && ++seen == n + 1)
                return left + i + 1;
        right = left;
    }
    return 0;
}

k1s_logfile *k1s__logfile_open(const char *path, const k1s_logopts *o)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    k1s_logfile *f = calloc(1, sizeof *f);
    if (!f || fstat(fd, &st) || !(f->path = strdup(path))) {
        int e = f ? errno : ENOMEM;
        free(f);
        close(fd);
        errno = e;
        return NULL;
    }
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->o = *o;
    f->remain = o->limit >= 0 ? o->limit : INT64_MAX;
    f->lines_left = o->tail >= 0 && !o->follow ? o->tail : -1;
    f->off = tail_start(fd, st.st_size, o->tail);
    f->finished = f->lines_left == 0;
    return f;
}

void k1s__logfile_close(k1s_logfile *f)
{
    if (!f)
        return;
    close(f->fd);
    free(f->rb.p);
    free(f->path);
    free(f);
}

/* ---- messages -------------------------------------------------------------- */

/* One line of the file (with its newline, or without for an unfinished
 * last line). Lines that do not parse are skipped, as the kubelet does. */
static void emit(k1s_logfile *f, const char *line, size_t len, k1s_buf *out)
{
    const char *end = line + len;
    const char *sp = memchr(line, ' ', len);
    int64_t ns;
    char fixed[FIXED_LEN];
    if (!sp || parse_time(line, (size_t)(sp - line), &ns, fixed))
        return;
    const char *stream = sp + 1;
    const char *sp2 = memchr(stream, ' ', (size_t)(end - stream));
    if (!sp2)
        return;
    size_t sl = (size_t)(sp2 - stream);
    if (!(sl == 6 && (!memcmp(stream, "stdout", 6) || !memcmp(stream, "stderr", 6))))
        return;
    const char *tag = sp2 + 1;
    const char *sp3 = memchr(tag, ' ', (size_t)(end - tag));
    if (!sp3)
        return;
    /* tags are ':'-separated; the first says partial or full */
    const char *colon = memchr(tag, ':', (size_t)(sp3 - tag));
    size_t first = colon ? (size_t)(colon - tag) : (size_t)(sp3 - tag);
    bool partial = first == 1 && tag[0] == 'P';
    const char *text = sp3 + 1;
    size_t textlen = (size_t)(end - text);
    if (partial && textlen && text[textlen - 1] == '\n')
        textlen--;
    if (f->lines_left > 0 && --f->lines_left == 0)
        f->finished = true;
    if (f->o.since_ns && ns < f->o.since_ns)
        return;
    size_t start = out->len;
    if (f->o.timestamps) {
        k1s_buf_adds(out, fixed);
        k1s_buf_add(out, " ", 1);
    }
    k1s_buf_add(out, text, textlen);
    int64_t n = (int64_t)(out->len - start);
    if (n >= f->remain) {
        out->len = start + (size_t)f->remain;
        if (out->p)
            out->p[out->len] = 0;
        f->remain = 0;
        f->finished = true;
    } else {
        f->remain -= n;
    }
}

int k1s__logfile_read(k1s_logfile *f, k1s_buf *out, size_t want, bool final, bool *done)
{
    size_t start = out->len;
    while (!f->finished && out->len - start < want) {
        const char *p = f->rb.p ? f->rb.p + f->rpos : NULL;
        size_t avail = f->rb.len - f->rpos;
        const char *nl = p ? memchr(p, '\n', avail) : NULL;
        if (nl) {
            size_t ll = (size_t)(nl - p) + 1;
            emit(f, p, ll, out);
            f->rpos += ll;
            continue;
        }
        /* keep the unfinished line, read more after it */
        if (f->rpos) {
            memmove(f->rb.p, f->rb.p + f->rpos, avail);
            f->rb.len = avail;
            f->rpos = 0;
        }
        char chunk[READ_CHUNK];
        ssize_t n = pread(f->fd, chunk, sizeof chunk, f->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n > 0) {
            f->off += n;
            k1s_buf_add(&f->rb, chunk, (size_t)n);
            if (k1s_buf_failed(&f->rb))
                return -1;
            continue;
        }
        if (avail && (final || avail >= MAX_LINE)) {
            emit(f, f->rb.p, avail, out);
            f->rb.len = f->rpos = 0;
        }
        break;
    }
    if (k1s_buf_failed(out))
        return -1;
    *done = f->finished;
    return out->len > start ? 1 : 0;
}

bool k1s__logfile_grown(k1s_logfile *f)
{
    struct stat st;
    return fstat(f->fd, &st) == 0 && st.st_size != f->off;
}

int k1s__logfile_reopen_if_rotated(k1s_logfile *f)
{
    struct stat st;
    if (stat(f->path, &st) != 0)
        return -1;
    if (st.st_dev == f->dev && st.st_ino == f->ino) {
        if (st.st_size >= f->off)
            return 0;
        /* truncated in place: what is there now is new */
        f->off = 0;
        f->rb.len = f->rpos = 0;
        return 1;
    }
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    close(f->fd);
    f->fd = fd;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->off = 0;
    f->rb.len = f->rpos = 0;
    return 1;
}
