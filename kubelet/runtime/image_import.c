/*
 * image_import.c - images from tarballs, for machines without a registry:
 * `ctr images import` into the k8s.io namespace, for one file
 * (k1s_containerd_import) or every file in <data-dir>/images at start.
 *
 * ctr reads docker-archive and OCI-layout tars but (in containerd 1.6) not
 * compressed ones, so .gz and .zst files (recognised by their magic bytes,
 * whatever the name says) go through `gzip -dc` / `zstd -dc` into ctr's
 * stdin ("-").
 *
 * So that restarts stay fast, <data-dir>/containerd/imported.json records
 * each file of images/ imported: its size, mtime and the image names ctr
 * reported. A file is imported again when its size or mtime changed, or
 * when one of its images is no longer in containerd (checked with one CRI
 * ImageStatus per name: someone removed it, or containerd's root was
 * wiped).
 */
#include "containerd_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const suffixes[] = {".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst"};

static bool is_image_file(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t sl = strlen(suffixes[i]);
        if (n > sl && strcmp(name + n - sl, suffixes[i]) == 0)
            return true;
    }
    return false;
}

/* The decompressor for the file's first bytes, or NULL for a plain tar. */
static const char *decompressor(int fd)
{
    unsigned char m[4] = {0};
    ssize_t n = pread(fd, m, sizeof m, 0);
    if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        return "gzip";
    if (n == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return "zstd";
    return NULL;
}

/* "unpacking NAME (sha256:...)...done" lines -> "NAME NAME2"; malloc'd. */
static char *imported_names(const char *out)
{
    k1s_buf b = {0};
    static const char tag[] = "unpacking ";
    for (const char *l = out; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (n > sizeof tag && strncmp(l, tag, sizeof tag - 1) == 0) {
            const char *name = l + sizeof tag - 1;
            const char *sp = memchr(name, ' ', n - (sizeof tag - 1));
            size_t nl = sp ? (size_t)(sp - name) : n - (sizeof tag - 1);
            if (b.len)
                k1s_buf_addc(&b, ' ');
            k1s_buf_add(&b, name, nl);
        }
        l = e ? e + 1 : NULL;
    }
    return k1s_buf_take(&b, NULL); /* NULL when out of memory */
}

/* ctr's output without trailing newlines, for an error message. */
static const char *trimmed(char *s)
{
    if (!s)
        return "";
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    return s;
}

int k1s__cd_ctr_import(k1s_containerd *c, const char *path, char **names, char **err)
{
    *names = NULL;
    if (!c->ctr_bin)
        return k1s__cd_err(err, "ctr not found: apt-get install containerd");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return k1s__cd_err(err, "cannot open %s: %s", path, strerror(errno));
    const char *dec = decompressor(fd);
    char *dec_bin = dec ? k1s__cd_which(dec) : NULL;
    if (dec && !dec_bin) {
        close(fd);
        return k1s__cd_err(err,
                           "%s is %s-compressed but %s is not "
                           "installed",
                           path, dec, dec);
    }

    char *argv[] = {c->ctr_bin, "--address", c->socket, "-n", K1S_CD_NAMESPACE, "images", "import",
                    /* unpack with the CRI plugin's snapshotter */
                    "--snapshotter", "overlayfs", (char *)(dec ? "-" : path), NULL};
    pid_t dpid = -1;
    int in = -1, rc = -1;
    char *out = NULL;
    if (dec) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) {
            k1s__cd_err(err, "pipe: %s", strerror(errno));
            goto cleanup;
        }
        char *dargv[] = {dec_bin, "-dc", NULL};
        int src = k1s__cd_spawn(dargv, fd, p[1], -1, false, &dpid);
        close(p[1]);
        if (src != 0) {
            close(p[0]);
            dpid = -1;
            k1s__cd_err(err, "cannot run %s: %s", dec_bin, strerror(src));
            goto cleanup;
        }
        in = p[0];
    }
    int st = k1s__cd_run(argv, dec ? in : -1, &out);
    int dst = 0;
    if (dpid > 0) {
        close(in);
        while (waitpid(dpid, &dst, 0) < 0 && errno == EINTR)
            ;
    }
    if (st != 0)
        k1s__cd_err(err, "ctr images import %s failed (status %d): %s", path, st, trimmed(out));
    else if (dpid > 0 && !(WIFEXITED(dst) && WEXITSTATUS(dst) == 0))
        k1s__cd_err(err, "%s -dc %s failed", dec, path);
    else if (!(*names = imported_names(out)))
        k1s__cd_err(err, "out of memory");
    else
        rc = 0;

cleanup:
    close(fd);
    free(dec_bin);
    free(out);
    return rc;
}

/* ---- the images directory ---- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the image files in dir; *n of them. NULL when none. */
static char **list_files(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_image_file(e->d_name))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nv = realloc(v, cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        if (!(v[*n] = strdup(e->d_name)))
            break;
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof *v, by_name);
    return v;
}

/* Whether every image the record names is still in containerd. */
static bool images_present(k1s_containerd *c, const json_t *rec)
{
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(rec, "images"), i, name)
    {
        json_t *req = json_pack("{s:{s:s?}}", "image", "image", json_string_value(name));
        json_t *reply = NULL;
        k1s_cri_error e = {0};
        bool ok = req && k1s_cri_call(c->cri, "ImageStatus", req, &reply, 10000, &e) == 0 &&
                  json_object_get(reply, "image");
        json_decref(req);
        json_decref(reply);
        k1s_cri_error_clear(&e);
        if (!ok)
            return false;
    }
    return true;
}

/* The record's size/mtime match st, and its images are all there. */
static bool up_to_date(k1s_containerd *c, const json_t *rec, const struct stat *st)
{
    return rec && json_integer_value(json_object_get(rec, "size")) == st->st_size &&
           json_integer_value(json_object_get(rec, "mtime")) == st->st_mtim.tv_sec &&
           json_integer_value(json_object_get(rec, "mtime_ns")) == st->st_mtim.tv_nsec &&
           images_present(c, rec);
}

/* A record for a file just imported: size, mtime, names (space-separated). */
static json_t *record(const struct stat *st, const char *names)
{
    json_t *imgs = json_array();
    char *copy = strdup(names);
    char *save = NULL;
    for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save))
        json_array_append_new(imgs, json_string(t));
    free(copy);
    return json_pack("{s:I, s:I, s:I, s:o}", "size", (json_int_t)st->st_size, "mtime",
                     (json_int_t)st->st_mtim.tv_sec, "mtime_ns", (json_int_t)st->st_mtim.tv_nsec,
                     "images", imgs);
}

/* Import path with the progress lines ("importing images/x.tar",
 * "imported NAMES in N ms"). names: malloc'd on success. 0, or -1 with
 * *err malloc'd. Caller holds import_lock. */
static int import_logged(k1s_containerd *c, const char *path, const char *shown, char **names,
                         char **err)
{
    if (!c->quiet)
        fprintf(stderr, "k1s: importing %s\n", shown);
    int64_t t0 = k1s_time_mono_ms();
    if (k1s__cd_ctr_import(c, path, names, err) != 0)
        return -1;
    if (!c->quiet)
        fprintf(stderr, "k1s: imported %s in %lld ms\n", **names ? *names : "(no named images)",
                (long long)(k1s_time_mono_ms() - t0));
    return 0;
}

int k1s__cd_import_one(k1s_containerd *c, const char *path, char **err)
{
    /* "images/x.tar" for a file of the images directory */
    size_t dl = strlen(c->images_dir);
    char *rel = NULL;
    if (strncmp(path, c->images_dir, dl) == 0 && path[dl] == '/')
        rel = k1s__cd_strf("images%s", path + dl);
    char *names = NULL;
    pthread_mutex_lock(&c->import_lock);
    int rc = import_logged(c, path, rel ? rel : path, &names, err);
    pthread_mutex_unlock(&c->import_lock);
    free(names);
    free(rel);
    return rc;
}

int k1s__cd_import_dir(k1s_containerd *c)
{
    size_t n;
    char **files = list_files(c->images_dir, &n);
    if (!files)
        return 0;
    char *db_path = k1s__cd_strf("%s/imported.json", c->dir);
    json_t *old = db_path ? json_load_file(db_path, 0, NULL) : NULL;
    json_t *now = json_object();
    int failed = 0;

    pthread_mutex_lock(&c->import_lock);
    for (size_t i = 0; i < n; i++) {
        char *path = k1s__cd_strf("%s/%s", c->images_dir, files[i]);
        char *shown = k1s__cd_strf("images/%s", files[i]);
        struct stat st;
        json_t *rec = json_object_get(old, files[i]);
        char *names = NULL, *err = NULL;
        if (!path || !shown || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            /* vanished or not a file: nothing to do */
        } else if (up_to_date(c, rec, &st)) {
            json_object_set(now, files[i], rec);
        } else if (import_logged(c, path, shown, &names, &err) == 0) {
            json_object_set_new(now, files[i], record(&st, names));
        } else {
            /* not recorded: tried again at the next start */
            fprintf(stderr, "k1s: cannot import %s: %s\n", shown, err);
            failed++;
        }
        free(err);
        free(names);
        free(path);
        free(shown);
        free(files[i]);
    }
    pthread_mutex_unlock(&c->import_lock);
    free(files);

    if (db_path && now && !json_equal(old, now) &&
        json_dump_file(now, db_path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 && !c->quiet)
        fprintf(stderr, "k1s: warning: cannot write %s\n", db_path);
    json_decref(old);
    json_decref(now);
    free(db_path);
    return failed;
}
