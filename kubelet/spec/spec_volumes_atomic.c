/*
 * spec_volumes_atomic.c - writing a projected volume (configMap, secret,
 * downwardAPI, projected) the way kubelet's AtomicWriter does, so a
 * container never sees half an update:
 *
 *   NAME/..2024_05_01_10_00_00.a1b2c3/   the files of one version
 *   NAME/..data -> ..2024_05_01_...      swapped with one rename()
 *   NAME/key    -> ..data/key            one link per top-level element
 *
 * plus the path checks, payload list and directory helpers the volume
 * files share.
 */
#include "spec_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PATH_LEN 4096
#define MAX_NAME_LEN 255

int k1s__spec_check_rel_path(const char *path, char *err)
{
    if (!*path)
        return k1s__spec_errf(err, "invalid path: must not be empty: \"\"");
    if (path[0] == '/')
        return k1s__spec_errf(err, "invalid path: must be relative path: %s", path);
    if (strlen(path) > MAX_PATH_LEN)
        return k1s__spec_errf(err, "invalid path: must be less than or equal to %d characters",
                              MAX_PATH_LEN);
    const char *p = path;
    bool first = true;
    while (1) {
        size_t n = strcspn(p, "/");
        if (n == 2 && !strncmp(p, "..", 2))
            return k1s__spec_errf(err, "invalid path: must not contain '..': %s", path);
        if (n > MAX_NAME_LEN)
            return k1s__spec_errf(
                err, "invalid path: filenames must be less than or equal to %d characters",
                MAX_NAME_LEN);
        if (first && n > 2 && !strncmp(p, "..", 2))
            return k1s__spec_errf(err, "invalid path: must not start with '..': %s", path);
        first = false;
        if (!p[n])
            break;
        p += n + 1;
    }
    return 0;
}

char *k1s__spec_join(const char *a, const char *b)
{
    /* not asprintf(&s, ...): gcc 12 at -O3 then takes the result for a
     * pointer to the local s and fails the build (-Wdangling-pointer) */
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", a, b);
    return s;
}

int k1s__spec_mkdir_p(const char *path, mode_t mode)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, mode) == 0) {
            chmod(p, mode); /* not the umask's idea */
        } else {
            struct stat st;
            if (errno != EEXIST || stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
                if (errno == EEXIST)
                    errno = ENOTDIR;
                rc = -1;
                break;
            }
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path); /* best effort: a busy mount point stays */
    return 0;
}

int k1s__spec_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    /* depth first, symlinks not followed, other filesystems not entered */
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    return access(path, F_OK) == 0 ? -1 : 0;
}

/* ---- payload ---- */

/* path.Clean for relative paths: no "", "." elements, no trailing '/'. */
static char *clean_path(const char *in)
{
    char *out = malloc(strlen(in) + 2);
    if (!out)
        return NULL;
    size_t o = 0;
    for (const char *p = in; *p;) {
        size_t n = strcspn(p, "/");
        if (n && !(n == 1 && p[0] == '.')) {
            if (o)
                out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
        while (*p == '/')
            p++;
    }
    if (!o && in[0] != '/')
        out[o++] = '.';
    out[o] = '\0';
    return out;
}

int k1s__spec_payload_add(k1s__spec_payload *p, const char *path, const void *data, size_t len,
                          int mode)
{
    char *clean = path[0] == '/' ? strdup(path) : clean_path(path);
    unsigned char *copy = malloc(len + 1);
    if (!clean || !copy) {
        free(clean);
        free(copy);
        return -1;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    k1s__spec_file *f = NULL;
    for (size_t i = 0; i < p->files.n && !f; i++) {
        f = k1s__spec_file_at(p, i);
        if (strcmp(f->path, clean) != 0)
            f = NULL;
    }
    if (f) { /* same key: replaced */
        free(f->path);
        free(f->data);
    } else if (!(f = k1s_vec_push(&p->files))) {
        free(clean);
        free(copy);
        return -1;
    }
    *f = (k1s__spec_file){clean, copy, len, mode};
    return 0;
}

void k1s__spec_payload_free(k1s__spec_payload *p)
{
    for (size_t i = 0; i < p->files.n; i++) {
        free(k1s__spec_file_at(p, i)->path);
        free(k1s__spec_file_at(p, i)->data);
    }
    k1s_vec_free(&p->files);
}

/* ---- the writer ---- */

static size_t count_files(int dirfd)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return SIZE_MAX;
    }
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            size_t k = sub < 0 ? SIZE_MAX : count_files(sub);
            n = k == SIZE_MAX ? SIZE_MAX : n + k;
        } else {
            n++;
        }
        if (n == SIZE_MAX)
            break;
    }
    closedir(d);
    return n;
}

static bool same_file(const char *path, const k1s__spec_file *f)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd < 0)
        return false;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                (st.st_mode & 07777) == (mode_t)(f->mode & 07777) && (size_t)st.st_size == f->len;
    unsigned char buf[8192];
    for (size_t off = 0; same && off < f->len;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0 || off + (size_t)r > f->len || memcmp(buf, f->data + off, (size_t)r))
            same = false;
        else
            off += (size_t)r;
    }
    close(fd);
    return same;
}

/* Whether dir/..data already holds exactly p. */
static bool unchanged(const char *dir, const char *old, const k1s__spec_payload *p)
{
    if (!*old)
        return false;
    char *base = k1s__spec_join(dir, old);
    if (!base)
        return false;
    bool same = true;
    for (size_t i = 0; same && i < p->files.n; i++) {
        char *fp = k1s__spec_join(base, k1s__spec_file_at(p, i)->path);
        same = fp && same_file(fp, k1s__spec_file_at(p, i));
        free(fp);
    }
    int fd = same ? open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : -1;
    same = same && fd >= 0 && count_files(fd) == p->files.n;
    free(base);
    return same;
}

static int write_one(const char *base, const k1s__spec_file *f, char *err)
{
    char *fp = k1s__spec_join(base, f->path);
    if (!fp)
        return k1s__spec_errf(err, "out of memory");
    char *slash = strrchr(fp, '/');
    int rc = 0;
    *slash = '\0';
    if (k1s__spec_mkdir_p(fp, 0755) < 0)
        rc = k1s__spec_errf(err, "mkdir %s: %s", fp, strerror(errno));
    *slash = '/';
    int fd = rc < 0 ? -1 : open(fp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (rc == 0 && fd < 0)
        rc = k1s__spec_errf(err, "open %s: %s", fp, strerror(errno));
    for (size_t off = 0; fd >= 0 && rc == 0 && off < f->len;) {
        ssize_t w = write(fd, f->data + off, f->len - off);
        if (w <= 0)
            rc = k1s__spec_errf(err, "write %s: %s", fp, strerror(errno));
        else
            off += (size_t)w;
    }
    if (fd >= 0 && rc == 0 && fchmod(fd, (mode_t)(f->mode & 07777)) < 0)
        rc = k1s__spec_errf(err, "chmod %s: %s", fp, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(fp);
    return rc;
}

/* The first element of a payload path, in buf. */
static const char *top_of(const char *path, char *buf, size_t n)
{
    snprintf(buf, n, "%.*s", (int)strcspn(path, "/"), path);
    return buf;
}

static bool in_payload(const k1s__spec_payload *p, const char *name)
{
    char top[MAX_NAME_LEN + 1];
    for (size_t i = 0; i < p->files.n; i++)
        if (!strcmp(top_of(k1s__spec_file_at(p, i)->path, top, sizeof top), name))
            return true;
    return false;
}

/* Top-level links for p, and none for what left it. */
static int relink(const char *dir, const k1s__spec_payload *p, char *err)
{
    char top[MAX_NAME_LEN + 1], target[MAX_NAME_LEN + 16];
    for (size_t i = 0; i < p->files.n; i++) {
        top_of(k1s__spec_file_at(p, i)->path, top, sizeof top);
        snprintf(target, sizeof target, "..data/%s", top);
        char *link = k1s__spec_join(dir, top);
        if (!link)
            return k1s__spec_errf(err, "out of memory");
        struct stat st;
        int rc = 0;
        if (lstat(link, &st) == 0) {
            if (!S_ISLNK(st.st_mode))
                rc = k1s__spec_errf(err, "%s exists and is not a symlink", link);
        } else if (errno != ENOENT || (symlink(target, link) < 0 && errno != EEXIST)) {
            rc = k1s__spec_errf(err, "symlink %s: %s", link, strerror(errno));
        }
        free(link);
        if (rc < 0)
            return rc;
    }
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strncmp(de->d_name, "..", 2) || !strcmp(de->d_name, ".") || in_payload(p, de->d_name))
            continue;
        char lt[PATH_MAX];
        ssize_t n = readlinkat(dirfd(d), de->d_name, lt, sizeof lt - 1);
        if (n > 7 && !strncmp(lt, "..data/", 7))
            unlinkat(dirfd(d), de->d_name, 0);
    }
    if (d)
        closedir(d);
    return 0;
}

int k1s__spec_atomic_write(const char *dir, const k1s__spec_payload *p, char *err)
{
    for (size_t i = 0; i < p->files.n; i++)
        if (k1s__spec_check_rel_path(k1s__spec_file_at(p, i)->path, err) < 0)
            return -1;
    char *data = k1s__spec_join(dir, "..data"), *tmp = k1s__spec_join(dir, "..data_tmp");
    char old[NAME_MAX + 1] = "", *ts = NULL;
    int rc = 0;
    if (!data || !tmp) {
        rc = k1s__spec_errf(err, "out of memory");
        goto out;
    }
    ssize_t n = readlink(data, old, sizeof old - 1);
    old[n > 0 ? n : 0] = '\0';
    if (strchr(old, '/') || strncmp(old, "..", 2) || !strcmp(old, ".."))
        old[0] = '\0'; /* not ours: never follow it */
    if (unchanged(dir, old, p))
        goto out;
    char stamp[64];
    time_t now = (time_t)k1s_time_now();
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "..%Y_%m_%d_%H_%M_%S.XXXXXX", &tm);
    ts = k1s__spec_join(dir, stamp);
    if (!ts || !mkdtemp(ts)) {
        rc = k1s__spec_errf(err, "mkdtemp in %s: %s", dir, strerror(errno));
        goto out;
    }
    chmod(ts, 0755);
    for (size_t i = 0; rc == 0 && i < p->files.n; i++)
        rc = write_one(ts, k1s__spec_file_at(p, i), err);
    unlink(tmp);
    if (rc == 0 && (symlink(strrchr(ts, '/') + 1, tmp) < 0 || rename(tmp, data) < 0))
        rc = k1s__spec_errf(err, "swapping %s: %s", data, strerror(errno));
    if (rc < 0) {
        k1s__spec_remove_tree(ts);
        unlink(tmp);
        goto out;
    }
    rc = relink(dir, p, err);
    if (*old) {
        char *o = k1s__spec_join(dir, old);
        if (o)
            k1s__spec_remove_tree(o);
        free(o);
    }
out:
    free(data);
    free(tmp);
    free(ts);
    return rc;
}
