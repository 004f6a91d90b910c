/*
 * image_pause.c - k1s's own sandbox image, K1S_PAUSE_IMAGE, so a fresh
 * machine runs pods with no registry: the static pause program embedded in
 * the k1s binary (kubelet/pause/pause.c, generated into k1s_pause_bin at
 * build time) wrapped into an OCI layout tarball and imported.
 *
 * The tarball is deterministic, so its config digest (what CRI reports as
 * the image id) identifies the binary: when containerd already has the
 * image with that id, start skips writing and importing (one ImageStatus
 * call instead of a ~150 ms ctr run). A k1s with a different pause binary
 * re-imports, which moves the name to the new image.
 */
#include "containerd_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether containerd's CRI knows ref with image id want ("sha256:..."). */
static bool has_image(k1s_containerd *c, const char *ref, const char *want)
{
    json_t *req = json_pack("{s:{s:s}}", "image", "image", ref);
    json_t *reply = NULL;
    k1s_cri_error e = {0};
    bool same = false;
    if (req && k1s_cri_call(c->cri, "ImageStatus", req, &reply, 10000, &e) == 0) {
        const char *id = json_string_value(json_object_get(json_object_get(reply, "image"), "id"));
        same = id && strcmp(id, want) == 0;
    }
    json_decref(req);
    json_decref(reply);
    k1s_cri_error_clear(&e);
    return same;
}

int k1s__cd_ensure_pause(k1s_containerd *c, char **err)
{
    k1s_buf tar = {0};
    char manifest[72], config[72];
    char *path = NULL, *names = NULL;
    int rc = -1;

    if (k1s__oci_single_file_image(K1S_PAUSE_IMAGE, "pause", k1s_pause_bin, k1s_pause_bin_len, &tar,
                                   manifest, config) != 0) {
        k1s__cd_err(err, "cannot build the pause image (out of memory)");
        goto cleanup;
    }
    if (has_image(c, K1S_PAUSE_IMAGE, config)) {
        rc = 0;
        goto cleanup;
    }
    path = k1s__cd_strf("%s/pause.tar", c->dir);
    if (!path) {
        k1s__cd_err(err, "out of memory");
        goto cleanup;
    }
    if (k1s__cd_write_file(path, tar.p, tar.len, err) != 0)
        goto cleanup;
    int64_t t0 = k1s_time_mono_ms();
    if (k1s__cd_ctr_import(c, path, &names, err) != 0)
        goto cleanup;
    if (!has_image(c, K1S_PAUSE_IMAGE, config)) {
        k1s__cd_err(err,
                    "%s was imported from %s but containerd does not "
                    "list it with id %s",
                    K1S_PAUSE_IMAGE, path, config);
        goto cleanup;
    }
    if (!c->quiet)
        fprintf(stderr, "k1s: imported %s in %lld ms\n", K1S_PAUSE_IMAGE,
                (long long)(k1s_time_mono_ms() - t0));
    rc = 0;

cleanup:
    k1s_buf_free(&tar);
    free(path);
    free(names);
    return rc;
}
