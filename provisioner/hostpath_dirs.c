/*
 * hostpath_dirs.c - the hostpath provisioner's storage root and the
 * volume directories in it: creation with the modes local-path uses, and
 * removal of a whole tree relative to a directory descriptor (openat /
 * unlinkat with O_NOFOLLOW), so symlinks planted by a pod are removed
 * rather than followed and nothing outside the root is ever touched.
 */
#include "hostpath_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper trees than this are refused rather than recursed into. */
#define MAX_DEPTH 128
/* Passes over one directory before giving up on entries that reappear. */
#define MAX_PASSES 4

static void set_error(char *err, size_t len, const char *what, const char *name, int e)
{
    if (err && len)
        snprintf(err, len, "%s %.200s: %s", what, name, strerror(e));
}

/* Make (or reuse) the root: <data_dir>/storage, or a fresh temporary
 * directory when data_dir is NULL. 0, or -1 with hp->error set. */
static int make_root(k1s__hostpath *hp, const char *data_dir)
{
    char path[PATH_MAX];
    if (data_dir) {
        if (snprintf(path, sizeof path, "%s/storage", data_dir) >= (int)sizeof path) {
            snprintf(hp->error, sizeof hp->error, "data directory path too long");
            return -1;
        }
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            set_error(hp->error, sizeof hp->error, "cannot create", path, errno);
            return -1;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !*tmp || tmp[0] != '/')
            tmp = "/tmp";
        if (snprintf(path, sizeof path, "%s/k1s-storage-XXXXXX", tmp) >= (int)sizeof path ||
            !mkdtemp(path)) {
            set_error(hp->error, sizeof hp->error, "cannot create a directory in", tmp, errno);
            return -1;
        }
        /* pods running as other users must be able to reach their volume */
        chmod(path, 0755);
    }
    hp->root = realpath(path, NULL);
    struct stat st;
    if (hp->root)
        hp->root_fd = open(hp->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!hp->root || hp->root_fd < 0 || fstat(hp->root_fd, &st) != 0) {
        set_error(hp->error, sizeof hp->error, "cannot open", path, errno);
        if (hp->root_fd >= 0)
            close(hp->root_fd);
        hp->root_fd = -1;
        free(hp->root);
        hp->root = NULL;
        if (!data_dir)
            rmdir(path);
        return -1;
    }
    hp->root_dev = st.st_dev;
    hp->temporary = !data_dir;
    hp->error[0] = 0;
    return 0;
}

int k1s__hostpath_open(k1s__hostpath *hp, const char *data_dir)
{
    memset(hp, 0, sizeof *hp);
    hp->root_fd = -1;
    if (data_dir)
        return make_root(hp, data_dir);
    /* made when the first volume needs it: controllers that never
       provision (most tests) leave nothing behind, even when killed */
    hp->want_temporary = true;
    snprintf(hp->error, sizeof hp->error, "no volume was provisioned by this process");
    return 0;
}

static int remove_at(int dirfd, const char *name, dev_t dev, int depth, char *err, size_t errlen);

/* Remove everything inside the open directory fd (taken over). */
static int empty_dir(int fd, const char *name, dev_t dev, int depth, char *err, size_t errlen)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        set_error(err, errlen, "cannot read", name, errno);
        close(fd);
        return -1;
    }
    int rc = 0;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        size_t seen = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            if (remove_at(dirfd(d), e->d_name, dev, depth + 1, err, errlen) != 0) {
                rc = -1;
                goto cleanup;
            }
            seen++;
        }
        if (seen == 0)
            break;
        /* entries were removed while reading: read again to be sure */
        rewinddir(d);
    }
cleanup:
    closedir(d);
    return rc;
}

static int remove_at(int dirfd, const char *name, dev_t dev, int depth, char *err, size_t errlen)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0;
        set_error(err, errlen, "cannot stat", name, errno);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
            set_error(err, errlen, "cannot remove", name, errno);
            return -1;
        }
        return 0;
    }
    if (st.st_dev != dev) {
        if (err && errlen)
            snprintf(err, errlen, "%s is another filesystem's mount point", name);
        return -1;
    }
    if (depth >= MAX_DEPTH) {
        if (err && errlen)
            snprintf(err, errlen, "%s: directory tree deeper than %d levels", name, MAX_DEPTH);
        return -1;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        set_error(err, errlen, "cannot open", name, errno);
        return -1;
    }
    /* a pod may have made a directory read-only; its owner can still empty it */
    fchmod(fd, (st.st_mode & 07777) | S_IRWXU);
    if (empty_dir(fd, name, dev, depth, err, errlen) != 0)
        return -1;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        set_error(err, errlen, "cannot remove", name, errno);
        return -1;
    }
    return 0;
}

void k1s__hostpath_close(k1s__hostpath *hp)
{
    if (hp->temporary && hp->root) {
        char err[256];
        char *slash = strrchr(hp->root, '/');
        if (slash && slash != hp->root) {
            *slash = 0;
            int parent = open(hp->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            *slash = '/';
            if (parent < 0 || remove_at(parent, slash + 1, hp->root_dev, 0, err, sizeof err) != 0)
                fprintf(stderr, "k1s: hostpath-provisioner: cannot remove %s: %s\n", hp->root,
                        parent < 0 ? strerror(errno) : err);
            if (parent >= 0)
                close(parent);
        }
    }
    if (hp->root_fd >= 0)
        close(hp->root_fd);
    free(hp->root);
    hp->root = NULL;
    hp->root_fd = -1;
}

static bool name_part_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
            return false;
    }
    return true;
}

int k1s__hostpath_dir_name(char *buf, size_t len, const char *ns, const char *claim, const char *pv)
{
    /* API names are at most 253 characters; anything longer is not one */
    if (!name_part_ok(ns, 253) || !name_part_ok(claim, 253) || !name_part_ok(pv, 253))
        return -1;
    size_t fixed = strlen(ns) + strlen(pv) + 2;
    if (fixed >= NAME_MAX)
        return -1;
    size_t room = NAME_MAX - fixed;
    int claim_len = (int)(strlen(claim) < room ? strlen(claim) : room);
    int w = snprintf(buf, len, "%s_%.*s_%s", ns, claim_len, claim, pv);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

int k1s__hostpath_mkdir(k1s__hostpath *hp, const char *name, char *err, size_t errlen)
{
    if (hp->root_fd < 0 && hp->want_temporary)
        make_root(hp, NULL);
    if (hp->root_fd < 0) {
        snprintf(err, errlen, "%s", hp->error);
        return -1;
    }
    if (mkdirat(hp->root_fd, name, 0777) != 0 && errno != EEXIST) {
        set_error(err, errlen, "cannot create", name, errno);
        return -1;
    }
    int fd = openat(hp->root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        set_error(err, errlen, "cannot open", name, errno);
        return -1;
    }
    /* the umask must not narrow what pods of any user may write */
    int rc = fchmod(fd, 0777);
    if (rc != 0)
        set_error(err, errlen, "cannot chmod", name, errno);
    close(fd);
    return rc ? -1 : 0;
}

int k1s__hostpath_rmtree(k1s__hostpath *hp, const char *name, char *err, size_t errlen)
{
    if (hp->root_fd < 0) {
        snprintf(err, errlen, "%s", hp->error);
        return -1;
    }
    if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
        snprintf(err, errlen, "invalid directory name");
        return -1;
    }
    return remove_at(hp->root_fd, name, hp->root_dev, 0, err, errlen);
}
