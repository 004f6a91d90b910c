/*
 * pod_image.c - making sure a container's image is there, as
 * kubelet's image manager does: imagePullPolicy (default Always for
 * ":latest" or no tag, else IfNotPresent), ImageStatus to see what is
 * present, PullImage in the background (one pull per image, shared by the
 * pods waiting for it; a pull can take minutes and must not stop the other
 * pods), ErrImagePull then ImagePullBackOff with a backoff per pod and
 * image (10 s doubling to 5 min), and kubelet's events (Pulling, Pulled,
 * Failed, BackOff).
 */
#include "pods_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PULL_KEEP_MS 30000 /* a finished pull's result stays this long */
#define PULL_POLL_MS 100
#define ERR_SHOWN_MS 2000 /* ErrImagePull before ImagePullBackOff */

typedef struct k1s__pull_job {
    k1s_cri *cri;
    char image[1024];
    bool ok;
    char ref[512];
    long long size;
    char err[1024];
    int64_t took_ms;
} k1s__pull_job;

static void pull_main(void *arg)
{
    k1s__pull_job *j = arg;
    int64_t t0 = k1s_ctrl_now_ms();
    json_t *rq = json_pack("{s:{s:s}}", "image", "image", j->image), *r = NULL;
    k1s_cri_error e = {0};
    if (k1s_cri_call(j->cri, "PullImage", rq, &r, K1S__CRI_PULL, &e) != 0) {
        snprintf(j->err, sizeof j->err, "%s", e.message ? e.message : "rpc error");
        k1s_cri_error_clear(&e);
    } else {
        j->ok = true;
        snprintf(j->ref, sizeof j->ref, "%s", k1s_json_str_or(r, "image_ref", ""));
        json_decref(r);
        r = NULL;
        if (k1s_cri_call(j->cri, "ImageStatus", rq, &r, K1S__CRI_QUICK, &e) == 0)
            j->size = json_integer_value(json_object_get(json_object_get(r, "image"), "size"));
        else
            k1s_cri_error_clear(&e);
    }
    json_decref(r);
    json_decref(rq);
    j->took_ms = k1s_ctrl_now_ms() - t0;
}

/* The last pull error of image ("" if none); the map is keyed by the
 * image name, dots and all, so never read it by a path. */
static const char *pull_error(const k1s__pod *ps, const char *image)
{
    const char *s = json_string_value(json_object_get(ps->pullmsg, image));
    return s ? s : "";
}

/* The pulls, valid until the next start_pull or drop_pull. */
static k1s__pull *find_pull(k1s_kubelet *kl, const char *image)
{
    for (size_t i = 0; i < kl->pulls.n; i++) {
        k1s__pull *p = k1s_vec_at(&kl->pulls, i);
        if (!strcmp(p->image, image))
            return p;
    }
    return NULL;
}

static k1s__pull *start_pull(k1s_kubelet *kl, const char *image)
{
    k1s__pull_job *j = calloc(1, sizeof *j);
    char *name = strdup(image);
    k1s__pull *p = j && name ? k1s_vec_push(&kl->pulls) : NULL;
    if (!p) {
        free(j);
        free(name);
        return NULL;
    }
    j->cri = kl->cri;
    snprintf(j->image, sizeof j->image, "%s", image);
    *p = (k1s__pull){.image = name, .job = j, .task = k1s__task_start(pull_main, j)};
    return p;
}

static void drop_pull(k1s_kubelet *kl, k1s__pull *p)
{
    size_t i = (size_t)(p - (k1s__pull *)kl->pulls.p);
    k1s__task_join(p->task);
    free(p->image);
    free(p->job);
    k1s_vec_remove(&kl->pulls, i);
}

void k1s__pulls_gc(k1s_kubelet *kl, bool all)
{
    int64_t now = k1s_ctrl_now_ms();
    for (size_t i = 0; i < kl->pulls.n;) {
        k1s__pull *p = k1s_vec_at(&kl->pulls, i);
        if (p->task && (all || k1s__task_done(p->task))) {
            k1s__task_join(p->task);
            p->task = NULL;
            p->done_ms = now;
        }
        if (!p->task && (all || now - p->done_ms > PULL_KEEP_MS)) {
            drop_pull(kl, p);
            continue;
        }
        i++;
    }
}

/* The image with ":latest" when it names no tag or digest, as kubelet's
 * applyDefaultImageTag (and its messages) have it. */
static void with_default_tag(const char *image, char *out, size_t len)
{
    const char *slash = strrchr(image, '/');
    bool tagged = strchr(image, '@') || strchr(slash ? slash : image, ':');
    snprintf(out, len, tagged ? "%s" : "%s:latest", image);
}

static bool pull_always(const json_t *ctr)
{
    const char *policy = k1s_json_str_or(ctr, "imagePullPolicy", "");
    if (*policy)
        return !strcmp(policy, "Always");
    const char *image = k1s_json_str_or(ctr, "image", "");
    if (strchr(image, '@'))
        return false;
    const char *slash = strrchr(image, '/'), *colon = strrchr(slash ? slash : image, ':');
    return !colon || !strcmp(colon, ":latest");
}

/* The image's id when present (ImageStatus), "" when not; -1 when the
 * runtime does not answer. */
static int image_present(k1s_kubelet *kl, const char *image, char *ref, size_t len, char *err,
                         size_t errlen)
{
    json_t *rq = json_pack("{s:{s:s}}", "image", "image", image);
    json_t *r = k1s__cri(kl, "ImageStatus", rq, K1S__CRI_QUICK, err, errlen);
    json_decref(rq);
    if (!r)
        return -1;
    snprintf(ref, len, "%s", k1s_json_str_or(r, "image.id", ""));
    json_decref(r);
    return 0;
}

static int pull_failed(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, const char *name,
                       const char *image, const char *msg, int64_t *retry_ms)
{
    char key[1100];
    snprintf(key, sizeof key, "i:%s", image);
    K1S__EVENT(kl, pod, "Warning", "Failed", "Failed to pull image \"%s\": %s", image, msg);
    K1S__EVENT(kl, pod, "Warning", "Failed", "Error: ErrImagePull");
    k1s__backoff_next(ps, key, k1s_time_wall_ms());
    json_object_set_new(ps->pullmsg, image, json_string(msg));
    k1s__set_waiting(ps, name, "ErrImagePull", msg);
    *retry_ms = ERR_SHOWN_MS; /* the pass then reports the backoff */
    return K1S__IMAGE_FAILED;
}

/* A finished pull's result for this pod: READY or FAILED, or -1 when it
 * says nothing (no result kept, no image reference). */
static int consume(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, const json_t *ctr,
                   const k1s__pull *p, char *ref, size_t reflen, int64_t *retry_ms)
{
    char image[1024];
    with_default_tag(k1s_json_str_or(ctr, "image", ""), image, sizeof image);
    if (!p || p->task)
        return -1;
    if (!p->job->ok)
        return pull_failed(kl, ps, pod, k1s_json_str_or(ctr, "name", ""), image, p->job->err,
                           retry_ms);
    if (!*p->job->ref)
        return -1;
    char took[48], key[1100];
    k1s__go_duration(p->job->took_ms, took, sizeof took);
    K1S__EVENT(kl, pod, "Normal", "Pulled",
               "Successfully pulled image \"%s\" in %s (%s including waiting). Image size: "
               "%lld bytes.",
               image, took, took, p->job->size);
    snprintf(key, sizeof key, "i:%s", image);
    json_object_del(ps->backoff, key);
    snprintf(ref, reflen, "%s", p->job->ref);
    return K1S__IMAGE_READY;
}

int k1s__image_ensure(k1s_kubelet *kl, k1s__pod *ps, const json_t *pod, const json_t *ctr,
                      char *ref, size_t reflen, int64_t *retry_ms)
{
    char image[1024];
    with_default_tag(k1s_json_str_or(ctr, "image", ""), image, sizeof image);
    const char *name = k1s_json_str_or(ctr, "name", "");
    char key[1100], err[1024];
    snprintf(key, sizeof key, "i:%s", image);
    *retry_ms = 0;
    ref[0] = 0;
    k1s__pulls_gc(kl, false); /* joins pulls that are over */
    k1s__pull *p = find_pull(kl, image);
    if (p && p->task && !k1s__task_done(p->task)) {
        json_object_set_new(ps->pulling, image, json_true());
        *retry_ms = PULL_POLL_MS;
        return K1S__IMAGE_PULLING;
    }
    if (json_object_get(ps->pulling, image)) {
        /* the pull this pod waited for is over */
        json_object_del(ps->pulling, image);
        int rc = consume(kl, ps, pod, ctr, p, ref, reflen, retry_ms);
        if (rc >= 0)
            return rc;
    }
    bool always = pull_always(ctr);
    bool never = !strcmp(k1s_json_str_or(ctr, "imagePullPolicy", ""), "Never");
    if (image_present(kl, image, ref, reflen, err, sizeof err) != 0) {
        k1s__set_waiting(ps, name, "ErrImagePull", err);
        *retry_ms = 2000;
        return K1S__IMAGE_FAILED;
    }
    if (*ref && !always) {
        K1S__EVENT(kl, pod, "Normal", "Pulled", "Container image \"%s\" already present on machine",
                   image);
        return K1S__IMAGE_READY;
    }
    if (never) {
        char msg[1200];
        snprintf(msg, sizeof msg, "Container image \"%s\" is not present with pull policy of Never",
                 image);
        k1s__set_waiting(ps, name, "ErrImageNeverPull", msg);
        K1S__EVENT(kl, pod, "Warning", "ErrImageNeverPull", "%s", msg);
        *retry_ms = 10000;
        return K1S__IMAGE_FAILED;
    }
    int64_t left;
    if (k1s__backoff_since_update(ps, key, &left)) {
        /* the failure stays ErrImagePull for a moment: our own status
         * write wakes the pod at once, where kubelet would not look again
         * before its next sync */
        int64_t since = k1s__backoff_delay(ps, key) - left;
        if (since < ERR_SHOWN_MS) {
            k1s__set_waiting(ps, name, "ErrImagePull", pull_error(ps, image));
            *retry_ms = ERR_SHOWN_MS - since;
            return K1S__IMAGE_FAILED;
        }
        char msg[2400];
        snprintf(msg, sizeof msg, "Back-off pulling image \"%s\": ErrImagePull: %s", image,
                 pull_error(ps, image));
        K1S__EVENT(kl, pod, "Normal", "BackOff", "Back-off pulling image \"%s\"", image);
        K1S__EVENT(kl, pod, "Warning", "Failed", "Error: ImagePullBackOff");
        k1s__set_waiting(ps, name, "ImagePullBackOff", msg);
        *retry_ms = left;
        return K1S__IMAGE_FAILED;
    }
    if (p && !p->task) {
        /* a pull of this image ended moments ago (for another pod): its
         * result counts for this one too */
        int rc = consume(kl, ps, pod, ctr, p, ref, reflen, retry_ms);
        if (rc >= 0)
            return rc;
        drop_pull(kl, p);
        p = NULL;
    }
    if (!p && !start_pull(kl, image)) {
        k1s__set_waiting(ps, name, "ErrImagePull", "cannot start a pull");
        *retry_ms = 1000;
        return K1S__IMAGE_FAILED;
    }
    K1S__EVENT(kl, pod, "Normal", "Pulling", "Pulling image \"%s\"", image);
    json_object_set_new(ps->pulling, image, json_true());
    *retry_ms = PULL_POLL_MS;
    return K1S__IMAGE_PULLING;
}
