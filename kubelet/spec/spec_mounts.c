/*
 * spec_mounts.c - a container's CRI mounts (kubelet's makeMounts): one per
 * volumeMount, subPath/subPathExpr resolved inside the volume (created
 * when missing, never escaping it through "..", absolute paths or
 * symlinks), read-only when the mount or the volume says so.
 */
#include "spec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_ERR "CreateContainerConfigError"

/* Volumes kubelet always mounts read-only (their plugins say ReadOnly),
 * and a claim marked readOnly. */
static bool volume_read_only(const json_t *pod, const char *name)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "volumes"), i, v)
    {
        if (strcmp(k1s_json_str_or(v, "name", ""), name))
            continue;
        if (json_object_get(v, "configMap") || json_object_get(v, "secret") ||
            json_object_get(v, "downwardAPI") || json_object_get(v, "projected"))
            return true;
        return k1s_json_bool(v, "persistentVolumeClaim.readOnly", false);
    }
    return false;
}

static bool within(const char *path, const char *base)
{
    size_t n = strlen(base);
    return !strncmp(path, base, n) &&
           (path[n] == '\0' || path[n] == '/' || (n == 1 && base[0] == '/'));
}

/* Create what is missing of sub under the volume (real path root) without
 * following symlinks out of it: the existing prefix must resolve inside,
 * the rest is made with mkdirat/openat(O_NOFOLLOW). */
static int make_subpath(const char *root, const char *sub, mode_t mode)
{
    char *full = k1s__spec_join(root, sub);
    if (!full)
        return -1;
    /* longest existing prefix */
    size_t end = strlen(full);
    struct stat st;
    while (end > strlen(root)) {
        char c = full[end];
        full[end] = '\0';
        int ok = lstat(full, &st) == 0;
        full[end] = c;
        if (ok)
            break;
        while (end > strlen(root) && full[end - 1] != '/')
            end--;
        if (end > strlen(root))
            end--; /* drop the '/' */
    }
    char c = full[end];
    full[end] = '\0';
    char real[PATH_MAX];
    int rc = -1;
    int fd = -1;
    if (realpath(full, real) && within(real, root))
        fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    full[end] = c;
    if (fd < 0)
        goto out;
    rc = 0;
    for (char *p = full + end; *p && rc == 0;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (!n)
            break;
        char comp[NAME_MAX + 1];
        snprintf(comp, sizeof comp, "%.*s", (int)n, p);
        if (mkdirat(fd, comp, mode) == 0)
            fchmodat(fd, comp, mode, 0);
        else if (errno != EEXIST)
            rc = -1;
        int next = rc < 0 ? -1 : openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
        if (fd < 0)
            rc = -1;
        p += n;
    }
    if (fd >= 0)
        close(fd);
out:
    free(full);
    return rc;
}

/* The host path of sub inside volume: 0 with *out malloc'd, or -1 with *e
 * as kubelet words it. */
static int subpath(const char *volume, const char *sub, const char *mname, const char *cname,
                   char **out, k1s_spec_error *e)
{
    *out = NULL;
    char root[PATH_MAX], real[PATH_MAX];
    struct stat st;
    if (!realpath(volume, root) || stat(root, &st) < 0) {
        k1s__spec_fail(
            e, CONFIG_ERR,
            "failed to create subPath directory for volumeMount \"%s\" of container \"%s\"", mname,
            cname);
        return -1;
    }
    char *joined = k1s__spec_join(root, sub);
    if (!joined) {
        k1s__spec_fail(e, CONFIG_ERR, "out of memory");
        return -1;
    }
    mode_t mode = (st.st_mode & 07777) | 0700; /* the volume's own, as kubelet */
    if (lstat(joined, &st) < 0 && make_subpath(root, sub, mode) < 0) {
        free(joined);
        k1s__spec_fail(
            e, CONFIG_ERR,
            "failed to create subPath directory for volumeMount \"%s\" of container \"%s\"", mname,
            cname);
        return -1;
    }
    bool ok = realpath(joined, real) && within(real, root);
    free(joined);
    if (!ok || !(*out = strdup(real))) {
        k1s__spec_fail(e, CONFIG_ERR,
                       "failed to prepare subPath for volumeMount \"%s\" of container \"%s\"",
                       mname, cname);
        return -1;
    }
    return 0;
}

/* ---- subPathExpr ---- */

typedef struct expr_ctx {
    const json_t *envs; /* [{key, value}] */
    json_t *missing;    /* names without a (non-empty) value */
} expr_ctx;

static const char *map_expr(void *vctx, const char *name)
{
    expr_ctx *ctx = vctx;
    const char *val = NULL;
    size_t i;
    const json_t *kv;
    json_array_foreach(ctx->envs, i, kv) if (!strcmp(k1s_json_str_or(kv, "key", ""), name)) val =
        k1s_json_str_or(kv, "value", ""); /* the last definition wins */
    if (!val || !*val) {
        json_object_set_new(ctx->missing, name, json_null());
        return "";
    }
    return val;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* kubecontainer.ExpandContainerVolumeMounts: 0 with *out, or -1 with *e. */
static int expand_expr(const char *expr, const json_t *envs, char **out, k1s_spec_error *e)
{
    expr_ctx ctx = {envs, json_object()};
    *out = ctx.missing ? k1s__spec_expand(expr, map_expr, &ctx) : NULL;
    size_t n = json_object_size(ctx.missing);
    if (*out && n) {
        const char **names = calloc(n, sizeof *names);
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach(ctx.missing, key, v) if (names) names[k++] = key;
        if (names)
            qsort(names, k, sizeof *names, cmp_str);
        char list[K1S__SPEC_ERRLEN] = "";
        for (size_t i = 0; i < k; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     names[i]);
        free(names);
        k1s__spec_fail(e, CONFIG_ERR, "missing value for %s", list);
        free(*out);
        *out = NULL;
        json_decref(ctx.missing);
        return -1;
    }
    json_decref(ctx.missing);
    if (!*out) {
        k1s__spec_fail(e, CONFIG_ERR, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- mounts ---- */

static const char *propagation(const char *mode)
{
    if (!*mode || !strcmp(mode, "None"))
        return "PROPAGATION_PRIVATE";
    if (!strcmp(mode, "HostToContainer"))
        return "PROPAGATION_HOST_TO_CONTAINER";
    if (!strcmp(mode, "Bidirectional"))
        return "PROPAGATION_BIDIRECTIONAL";
    return NULL;
}

/* volumevalidation.ValidatePathNoBacksteps: any ".." element. */
static bool has_backstep(const char *p)
{
    while (1) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        if (!p[n])
            return false;
        p += n + 1;
    }
}

/* One volumeMount: a new CRI Mount, or NULL with *e. */
static json_t *one_mount(const json_t *pod, const json_t *c, const json_t *vm, const json_t *paths,
                         const json_t *envs, k1s_spec_error *e)
{
    const char *name = k1s_json_str_or(vm, "name", ""), *cname = k1s_json_str_or(c, "name", "");
    const char *host = json_string_value(json_object_get(paths, name));
    if (!host) {
        k1s__spec_fail(e, CONFIG_ERR, "cannot find volume \"%s\" to mount into container \"%s\"",
                       name, cname);
        return NULL;
    }
    char *sub = NULL, *host_path = NULL;
    if (*k1s_json_str_or(vm, "subPathExpr", "")) {
        if (expand_expr(k1s_json_str_or(vm, "subPathExpr", ""), envs, &sub, e) < 0)
            return NULL;
    } else if (!(sub = strdup(k1s_json_str_or(vm, "subPath", "")))) {
        k1s__spec_fail(e, CONFIG_ERR, "out of memory");
        return NULL;
    }
    json_t *m = NULL;
    const char *prop = propagation(k1s_json_str_or(vm, "mountPropagation", ""));
    if (*sub && sub[0] == '/') {
        k1s__spec_fail(e, CONFIG_ERR, "error SubPath `%s` must not be an absolute path", sub);
    } else if (has_backstep(sub)) {
        k1s__spec_fail(e, CONFIG_ERR, "unable to provision SubPath `%s`: must not contain '..'",
                       sub);
    } else if (*sub && subpath(host, sub, name, cname, &host_path, e) < 0) {
        /* *e set */
    } else if (!prop) {
        k1s__spec_fail(e, CONFIG_ERR, "invalid MountPropagation mode: \"%s\"",
                       k1s_json_str_or(vm, "mountPropagation", ""));
    } else {
        const char *cp = k1s_json_str_or(vm, "mountPath", "");
        m = json_pack("{s:s,s:s,s:b}", "container_path", cp, "host_path",
                      host_path ? host_path : host, "readonly",
                      k1s_json_bool(vm, "readOnly", false) || volume_read_only(pod, name));
        if (m && strcmp(prop, "PROPAGATION_PRIVATE"))
            json_object_set_new(m, "propagation", json_string(prop));
        if (!m)
            k1s__spec_fail(e, CONFIG_ERR, "invalid mount of volume \"%s\"", name);
    }
    free(sub);
    free(host_path);
    return m;
}

int k1s_spec_mounts_env(const json_t *pod, const json_t *container, const json_t *paths,
                        const json_t *envs, json_t **mounts, k1s_spec_error *e)
{
    *mounts = json_array();
    if (!*mounts) {
        k1s__spec_fail(e, CONFIG_ERR, "out of memory");
        return -1;
    }
    size_t i;
    const json_t *vm;
    json_array_foreach(json_object_get(container, "volumeMounts"), i, vm)
    {
        json_t *m = one_mount(pod, container, vm, paths, envs, e);
        if (!m || json_array_append_new(*mounts, m) < 0) {
            json_decref(*mounts);
            *mounts = NULL;
            return -1;
        }
    }
    return 0;
}

int k1s_spec_mounts(const json_t *pod, const json_t *container, const json_t *paths,
                    json_t **mounts, k1s_spec_error *e)
{
    bool exprs = false;
    size_t i;
    const json_t *vm;
    json_array_foreach(json_object_get(container, "volumeMounts"), i, vm) exprs =
        exprs || *k1s_json_str_or(vm, "subPathExpr", "");
    json_t *envs = NULL;
    if (exprs && k1s__spec_envs(pod, container, NULL, true, &envs, e) < 0) {
        *mounts = NULL;
        return -1;
    }
    int rc = k1s_spec_mounts_env(pod, container, paths, envs, mounts, e);
    json_decref(envs);
    return rc;
}
