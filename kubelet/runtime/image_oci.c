/*
 * image_oci.c - builds, in memory, an OCI image layout tarball (image-spec
 * v1 "image-layout") holding one image whose single uncompressed layer is
 * one executable: what k1s's pause image is. `ctr images import` (and any
 * OCI tool) reads it.
 *
 *   oci-layout                 {"imageLayoutVersion":"1.0.0"}
 *   index.json                 one manifest descriptor, named by both the
 *                              org.opencontainers.image.ref.name and the
 *                              io.containerd.image.name annotations
 *                              (containerd 1.6 drops the name without the
 *                              latter)
 *   blobs/sha256/<manifest>    config + one layer
 *   blobs/sha256/<config>      os, architecture, entrypoint, diff_ids
 *   blobs/sha256/<layer>       a tar holding the file
 *
 * JSON is written compact with sorted keys, so digests are stable.
 */
#include "containerd_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

const char *k1s__oci_arch(void)
{
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__i386__)
    return "386";
#elif defined(__arm__)
    return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64le";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#else
    return "unknown";
#endif
}

static json_t *descriptor(const char *media_type, const char *digest, size_t size)
{
    return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
                     (json_int_t)size);
}

/* Serialise v (stolen) compactly with sorted keys; NULL on failure. */
static char *dump(json_t *v)
{
    if (!v)
        return NULL;
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    return s;
}

/* "blobs/sha256/<hex>" for a "sha256:<hex>" digest. */
static int add_blob(k1s_buf *tar, const char *digest, const char *data, size_t len)
{
    char name[96];
    snprintf(name, sizeof name, "blobs/sha256/%s", digest + 7);
    return k1s__tar_add(tar, name, 0644, data, len);
}

int k1s__oci_single_file_image(const char *ref, const char *path, const unsigned char *data,
                               size_t len, k1s_buf *out, char manifest_digest[72],
                               char config_digest[72])
{
    int rc = -1;
    k1s_buf layer = {0};
    char *config = NULL, *manifest = NULL, *index = NULL, *entry = NULL;
    char layer_digest[72];

    if (!ref || !path || !path[0] || path[0] == '/' || !data)
        return -1;
    if (k1s__tar_add(&layer, path, 0755, data, len) != 0)
        goto cleanup;
    k1s__tar_end(&layer);
    if (k1s_buf_failed(&layer) || k1s__cd_sha256(layer.p, layer.len, layer_digest) != 0)
        goto cleanup;

    if (asprintf(&entry, "/%s", path) < 0) {
        entry = NULL;
        goto cleanup;
    }
    /* uncompressed layer: its diff_id is its own digest */
    config =
        dump(json_pack("{s:s, s:s, s:{s:[s], s:s}, s:{s:s, s:[s]}}", "architecture",
                       k1s__oci_arch(), "os", "linux", "config", "Entrypoint", entry, "WorkingDir",
                       "/", "rootfs", "type", "layers", "diff_ids", layer_digest));
    if (!config || k1s__cd_sha256(config, strlen(config), config_digest))
        goto cleanup;

    manifest =
        dump(json_pack("{s:i, s:s, s:o, s:[o]}", "schemaVersion", 2, "mediaType", MT_MANIFEST,
                       "config", descriptor(MT_CONFIG, config_digest, strlen(config)), "layers",
                       descriptor(MT_LAYER, layer_digest, layer.len)));
    if (!manifest || k1s__cd_sha256(manifest, strlen(manifest), manifest_digest))
        goto cleanup;

    json_t *md = descriptor(MT_MANIFEST, manifest_digest, strlen(manifest));
    /* json_object_set_new consumes the value even when it fails */
    int bad = json_object_set_new(md, "annotations",
                                  json_pack("{s:s, s:s}", "io.containerd.image.name", ref,
                                            "org.opencontainers.image.ref.name", ref));
    bad |= json_object_set_new(
        md, "platform", json_pack("{s:s, s:s}", "architecture", k1s__oci_arch(), "os", "linux"));
    if (bad) {
        json_decref(md);
        goto cleanup;
    }
    index = dump(
        json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType", MT_INDEX, "manifests", md));
    if (!index)
        goto cleanup;

    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    if (k1s__tar_add(out, "blobs/", 0755, NULL, 0) ||
        k1s__tar_add(out, "blobs/sha256/", 0755, NULL, 0) ||
        add_blob(out, layer_digest, layer.p, layer.len) ||
        add_blob(out, config_digest, config, strlen(config)) ||
        add_blob(out, manifest_digest, manifest, strlen(manifest)) ||
        k1s__tar_add(out, "oci-layout", 0644, layout, strlen(layout)) ||
        k1s__tar_add(out, "index.json", 0644, index, strlen(index)))
        goto cleanup;
    k1s__tar_end(out);
    rc = k1s_buf_failed(out) ? -1 : 0;

cleanup:
    k1s_buf_free(&layer);
    free(config);
    free(manifest);
    free(index);
    free(entry);
    return rc;
}
