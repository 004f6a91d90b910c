/*
 * test_patch.c - JSON patch, JSON merge patch and strategic merge patch.
 *
 * The strategic cases use a hand-built copy of the patch metadata of the
 * real types (Pod, StatefulSet, ObjectMeta, Container, ...) and patches
 * shaped like the ones kubectl apply / kubectl patch send, including
 * $setElementOrder, $retainKeys and $deleteFromPrimitiveList. Expected
 * results follow kube-apiserver's strategicpatch semantics.
 */
#include "k1s_test.h"
#include "k1s_patch.h"

#include <stdlib.h>
#include <string.h>

/* ---- a hand-built schema ------------------------------------------------- */

#define FIELD(n, k)                  \
    {                                \
        .name = n, .kind = K1S_T_##k \
    }
#define OBJ(n, t)                                   \
    {                                               \
        .name = n, .kind = K1S_T_OBJECT, .type = &t \
    }
#define MAP_OF_STRINGS(n)                                  \
    {                                                      \
        .name = n, .kind = K1S_T_MAP, .elem = K1S_T_STRING \
    }
#define LIST(n, t, key, strategy)                                                           \
    {                                                                                       \
        .name = n, .kind = K1S_T_ARRAY, .elem = K1S_T_OBJECT, .type = &t, .merge_key = key, \
        .patch_strategy = strategy                                                          \
    }
#define SCALARS(n, strategy)                                                             \
    {                                                                                    \
        .name = n, .kind = K1S_T_ARRAY, .elem = K1S_T_STRING, .patch_strategy = strategy \
    }
#define TYPE(var, tname, flds)    \
    static const k1s_type var = { \
        .name = tname, .fields = flds, .nfields = sizeof flds / sizeof flds[0]}

static const k1s_field owner_ref_f[] = {FIELD("uid", STRING), FIELD("name", STRING),
                                        FIELD("kind", STRING)};
TYPE(owner_ref_t, "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference", owner_ref_f);
static const k1s_field meta_f[] = {
    FIELD("name", STRING),          FIELD("namespace", STRING),
    MAP_OF_STRINGS("labels"),       MAP_OF_STRINGS("annotations"),
    SCALARS("finalizers", "merge"), LIST("ownerReferences", owner_ref_t, "uid", "merge"),
};
TYPE(meta_t, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", meta_f);

static const k1s_field port_f[] = {FIELD("containerPort", INT32), FIELD("name", STRING),
                                   FIELD("protocol", STRING)};
TYPE(port_t, "io.k8s.api.core.v1.ContainerPort", port_f);
static const k1s_field env_f[] = {FIELD("name", STRING), FIELD("value", STRING),
                                  FIELD("valueFrom", ANY)};
TYPE(env_t, "io.k8s.api.core.v1.EnvVar", env_f);
static const k1s_field mount_f[] = {FIELD("mountPath", STRING), FIELD("name", STRING),
                                    FIELD("readOnly", BOOL)};
TYPE(mount_t, "io.k8s.api.core.v1.VolumeMount", mount_f);
static const k1s_field res_f[] = {
    {.name = "limits", .kind = K1S_T_MAP, .elem = K1S_T_QUANTITY},
    {.name = "requests", .kind = K1S_T_MAP, .elem = K1S_T_QUANTITY},
};
TYPE(res_t, "io.k8s.api.core.v1.ResourceRequirements", res_f);
static const k1s_field container_f[] = {
    FIELD("name", STRING),
    FIELD("image", STRING),
    SCALARS("command", NULL),
    SCALARS("args", NULL),
    LIST("ports", port_t, "containerPort", "merge"),
    LIST("env", env_t, "name", "merge"),
    LIST("volumeMounts", mount_t, "mountPath", "merge"),
    OBJ("resources", res_t),
};
TYPE(container_t, "io.k8s.api.core.v1.Container", container_f);
static const k1s_field cm_src_f[] = {FIELD("name", STRING)};
TYPE(cm_src_t, "io.k8s.api.core.v1.ConfigMapVolumeSource", cm_src_f);
static const k1s_field empty_dir_f[] = {FIELD("medium", STRING)};
TYPE(empty_dir_t, "io.k8s.api.core.v1.EmptyDirVolumeSource", empty_dir_f);
static const k1s_field volume_f[] = {FIELD("name", STRING), OBJ("configMap", cm_src_t),
                                     OBJ("emptyDir", empty_dir_t)};
TYPE(volume_t, "io.k8s.api.core.v1.Volume", volume_f);
static const k1s_field toleration_f[] = {FIELD("key", STRING), FIELD("effect", STRING)};
TYPE(toleration_t, "io.k8s.api.core.v1.Toleration", toleration_f);
static const k1s_field pod_spec_f[] = {
    LIST("containers", container_t, "name", "merge"),
    LIST("initContainers", container_t, "name", "merge"),
    LIST("volumes", volume_t, "name", "merge,retainKeys"),
    LIST("tolerations", toleration_t, NULL, NULL),
    MAP_OF_STRINGS("nodeSelector"),
    FIELD("restartPolicy", STRING),
};
TYPE(pod_spec_t, "io.k8s.api.core.v1.PodSpec", pod_spec_f);
static const k1s_field pod_f[] = {FIELD("apiVersion", STRING), FIELD("kind", STRING),
                                  OBJ("metadata", meta_t), OBJ("spec", pod_spec_t),
                                  FIELD("status", ANY)};
TYPE(pod_t, "io.k8s.api.core.v1.Pod", pod_f);
static const k1s_field template_f[] = {OBJ("metadata", meta_t), OBJ("spec", pod_spec_t)};
TYPE(template_t, "io.k8s.api.core.v1.PodTemplateSpec", template_f);
static const k1s_field pvc_f[] = {OBJ("metadata", meta_t), FIELD("spec", ANY)};
TYPE(pvc_t, "io.k8s.api.core.v1.PersistentVolumeClaim", pvc_f);
static const k1s_field sts_spec_f[] = {
    FIELD("replicas", INT32),
    FIELD("serviceName", STRING),
    FIELD("selector", ANY),
    OBJ("template", template_t),
    LIST("volumeClaimTemplates", pvc_t, NULL, NULL),
};
TYPE(sts_spec_t, "io.k8s.api.apps.v1.StatefulSetSpec", sts_spec_f);
static const k1s_field sts_f[] = {FIELD("apiVersion", STRING), FIELD("kind", STRING),
                                  OBJ("metadata", meta_t), OBJ("spec", sts_spec_t),
                                  FIELD("status", ANY)};
TYPE(sts_t, "io.k8s.api.apps.v1.StatefulSet", sts_f);

/* ---- helpers ------------------------------------------------------------- */

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    if (!v)
        fprintf(stderr, "bad test JSON (%s): %s\n", e.text, text);
    return v;
}

/* Semantic JSON equality (object member order ignored, list order not). */
static void check_json(const char *file, int line, const json_t *got, const char *want)
{
    json_t *w = J(want);
    if (!got || !w || !json_equal((json_t *)got, w)) {
        char *g = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        fprintf(stderr, "%s:%d: got  %s\n%s:%d: want %s\n", file, line, g ? g : "(null)", file,
                line, want);
        free(g);
        k1s_test_failures++;
    }
    json_decref(w);
}
#define CHECK_JSON(got, want) check_json(__FILE__, __LINE__, got, want)

typedef int (*patch_fn)(const json_t *, const json_t *, json_t **, char **);

static const k1s_type *smp_type;
static int smp(const json_t *doc, const json_t *patch, json_t **out, char **err)
{
    return k1s_patch_strategic(smp_type, doc, patch, out, err);
}

/* Apply and compare; the inputs must come out unchanged. */
static void check_patch(const char *file, int line, patch_fn fn, const char *doc, const char *patch,
                        const char *want)
{
    json_t *d = J(doc), *p = J(patch), *out = NULL;
    char *before_d = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
    char *before_p = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
    char *err = NULL;
    int rc = fn(d, p, &out, &err);
    if (rc) {
        fprintf(stderr, "%s:%d: patch failed %d: %s\n", file, line, rc, err ? err : "(null)");
        k1s_test_failures++;
    } else {
        check_json(file, line, out, want);
    }
    char *after_d = json_dumps(d, JSON_COMPACT | JSON_ENCODE_ANY);
    char *after_p = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
    if (strcmp(before_d, after_d) || strcmp(before_p, after_p)) {
        fprintf(stderr, "%s:%d: inputs were modified\n", file, line);
        k1s_test_failures++;
    }
    free(before_d), free(before_p), free(after_d), free(after_p);
    free(err);
    json_decref(out);
    json_decref(d);
    json_decref(p);
}

/* Apply and expect failure with code and exact message. */
static void check_fail(const char *file, int line, patch_fn fn, const char *doc, const char *patch,
                       int code, const char *msg)
{
    json_t *d = J(doc), *p = J(patch), *out = (json_t *)1;
    char *err = NULL;
    int rc = fn(d, p, &out, &err);
    if (rc != code || out != NULL || !err || (msg && strcmp(err, msg) != 0)) {
        fprintf(stderr, "%s:%d: rc %d (want %d), err:\n  %s\nwant:\n  %s\n", file, line, rc, code,
                err ? err : "(null)", msg ? msg : "*");
        k1s_test_failures++;
        if (rc == 0)
            json_decref(out);
    }
    free(err);
    json_decref(d);
    json_decref(p);
}

#define CHECK_SMP(t, doc, patch, want)                          \
    do {                                                        \
        smp_type = (t);                                         \
        check_patch(__FILE__, __LINE__, smp, doc, patch, want); \
    } while (0)
#define CHECK_SMP_FAIL(t, doc, patch, code, msg)                    \
    do {                                                            \
        smp_type = (t);                                             \
        check_fail(__FILE__, __LINE__, smp, doc, patch, code, msg); \
    } while (0)
#define CHECK_JP(doc, patch, want) check_patch(__FILE__, __LINE__, k1s_patch_json, doc, patch, want)
#define CHECK_JP_FAIL(doc, patch, code, msg) \
    check_fail(__FILE__, __LINE__, k1s_patch_json, doc, patch, code, msg)
#define CHECK_MP(doc, patch, want) \
    check_patch(__FILE__, __LINE__, k1s_patch_merge, doc, patch, want)
#define CHECK_MP_FAIL(doc, patch, code, msg) \
    check_fail(__FILE__, __LINE__, k1s_patch_merge, doc, patch, code, msg)

/* ---- strategic merge patch: kubectl apply shapes ------------------------- */

static const char *STS =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
    "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\","
    "\"labels\":{\"app\":\"web\"},\"annotations\":{\"kubectl.kubernetes.io/"
    "last-applied-configuration\":\"old\"},\"finalizers\":[\"a\"]},"
    "\"spec\":{\"replicas\":2,\"serviceName\":\"web\","
    "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
    "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"restartPolicy\":\"Always\",\"containers\":["
    "{\"name\":\"nginx\",\"image\":\"nginx:1.24\","
    "\"ports\":[{\"containerPort\":80,\"name\":\"web\",\"protocol\":\"TCP\"}],"
    "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],"
    "\"volumeMounts\":[{\"mountPath\":\"/usr/share/nginx/html\",\"name\":\"www\"}],"
    "\"args\":[\"-g\",\"daemon off;\"]},"
    "{\"name\":\"sidecar\",\"image\":\"busybox\"}],"
    "\"volumes\":[{\"name\":\"cache\",\"emptyDir\":{}}]}},"
    "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"www\"},"
    "\"spec\":{\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}}}]},"
    "\"status\":{\"replicas\":2}}";

/* Run an SMP against STS and compare one member path of the result. */
static void check_sts(const char *file, int line, const char *patch, const char *path,
                      const char *want)
{
    json_t *d = J(STS), *p = J(patch), *out = NULL;
    char *err = NULL;
    int rc = k1s_patch_strategic(&sts_t, d, p, &out, &err);
    if (rc) {
        fprintf(stderr, "%s:%d: patch failed %d: %s\n", file, line, rc, err);
        k1s_test_failures++;
    } else {
        /* path is a dot-separated list of members / indices */
        json_t *v = out;
        char *copy = strdup(path), *save = NULL;
        for (char *tok = strtok_r(copy, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
            v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok)) : json_object_get(v, tok);
        free(copy);
        check_json(file, line, v, want);
    }
    free(err);
    json_decref(out);
    json_decref(d);
    json_decref(p);
}
#define CHECK_STS(patch, path, want) check_sts(__FILE__, __LINE__, patch, path, want)

TEST(test_smp_apply_image_and_replicas)
{
    /* what kubectl apply sends after editing image and replicas */
    const char *patch = "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-"
                        "configuration\":\"new\"}},\"spec\":{\"replicas\":3,\"template\":{"
                        "\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"nginx\"},"
                        "{\"name\":\"sidecar\"}],\"containers\":[{\"$setElementOrder/ports\":"
                        "[{\"containerPort\":80}],\"$setElementOrder/volumeMounts\":["
                        "{\"mountPath\":\"/usr/share/nginx/html\"}],\"image\":\"nginx:1.25\","
                        "\"name\":\"nginx\"}]}}}}";
    CHECK_STS(patch, "spec.replicas", "3");
    CHECK_STS(patch, "metadata.annotations",
              "{\"kubectl.kubernetes.io/last-applied-configuration\":\"new\"}");
    CHECK_STS(patch, "spec.template.spec.containers",
              "[{\"name\":\"nginx\",\"image\":\"nginx:1.25\","
              "\"ports\":[{\"containerPort\":80,\"name\":\"web\",\"protocol\":"
              "\"TCP\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"},"
              "{\"name\":\"B\",\"value\":\"2\"}],\"volumeMounts\":[{"
              "\"mountPath\":\"/usr/share/nginx/html\",\"name\":\"www\"}],"
              "\"args\":[\"-g\",\"daemon off;\"]},"
              "{\"name\":\"sidecar\",\"image\":\"busybox\"}]");
    /* untouched parts stay */
    CHECK_STS(patch, "status", "{\"replicas\":2}");
    CHECK_STS(patch, "spec.volumeClaimTemplates.0.metadata.name", "\"www\"");
}

TEST(test_smp_apply_add_and_remove_containers)
{
    /* add a container between the two: $setElementOrder places it */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/"
              "containers\":[{\"name\":\"nginx\"},{\"name\":\"init\"},"
              "{\"name\":\"sidecar\"}],\"containers\":[{\"name\":\"init\","
              "\"image\":\"alpine\"}]}}}}",
              "spec.template.spec.containers",
              "[{\"name\":\"nginx\",\"image\":\"nginx:1.24\",\"ports\":[{"
              "\"containerPort\":80,\"name\":\"web\",\"protocol\":\"TCP\"}],"
              "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\","
              "\"value\":\"2\"}],\"volumeMounts\":[{\"mountPath\":\"/usr/share/"
              "nginx/html\",\"name\":\"www\"}],\"args\":[\"-g\",\"daemon "
              "off;\"]},{\"name\":\"init\",\"image\":\"alpine\"},"
              "{\"name\":\"sidecar\",\"image\":\"busybox\"}]");
    /* remove the sidecar */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/"
              "containers\":[{\"name\":\"nginx\"}],\"containers\":[{\"$patch\":"
              "\"delete\",\"name\":\"sidecar\"},{\"name\":\"nginx\",\"args\":"
              "null,\"env\":null,\"ports\":null,\"volumeMounts\":null}]}}}}",
              "spec.template.spec.containers", "[{\"name\":\"nginx\",\"image\":\"nginx:1.24\"}]");
    /* reorder only */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/"
              "containers\":[{\"name\":\"sidecar\"},{\"name\":\"nginx\"}]}}}}",
              "spec.template.spec.containers.0.name", "\"sidecar\"");
    /* kubectl patch (no order directive): new entries come first */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"new\",\"image\":\"x\"}]}}}}",
              "spec.template.spec.containers.0", "{\"name\":\"new\",\"image\":\"x\"}");
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"new\",\"image\":\"x\"}]}}}}",
              "spec.template.spec.containers.2.name", "\"sidecar\"");
}

TEST(test_smp_env_ports_mounts)
{
    /* env by name: change B, add C (ordered), keep A */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/"
              "containers\":[{\"name\":\"nginx\"},{\"name\":\"sidecar\"}],"
              "\"containers\":[{\"$setElementOrder/env\":[{\"name\":\"A\"},"
              "{\"name\":\"C\"},{\"name\":\"B\"}],\"env\":[{\"name\":\"C\","
              "\"value\":\"3\"},{\"name\":\"B\",\"value\":\"22\"}],\"name\":"
              "\"nginx\"}]}}}}",
              "spec.template.spec.containers.0.env",
              "[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"C\",\"value\":"
              "\"3\"},{\"name\":\"B\",\"value\":\"22\"}]");
    /* env: delete A, switch B from value to valueFrom */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"nginx\",\"env\":[{\"$patch\":\"delete\",\"name\":\"A\"},"
              "{\"name\":\"B\",\"value\":null,\"valueFrom\":{\"fieldRef\":{"
              "\"fieldPath\":\"metadata.name\"}}}]}]}}}}",
              "spec.template.spec.containers.0.env",
              "[{\"name\":\"B\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":"
              "\"metadata.name\"}}}]");
    /* ports by containerPort */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"nginx\",\"$setElementOrder/ports\":[{\"containerPort\":80},"
              "{\"containerPort\":443}],\"ports\":[{\"containerPort\":80,"
              "\"name\":\"http\"},{\"containerPort\":443,\"name\":\"tls\"}]}]}}}}",
              "spec.template.spec.containers.0.ports",
              "[{\"containerPort\":80,\"name\":\"http\",\"protocol\":\"TCP\"},"
              "{\"containerPort\":443,\"name\":\"tls\"}]");
    /* volumeMounts by mountPath */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"nginx\",\"volumeMounts\":[{\"mountPath\":\"/usr/share/nginx/"
              "html\",\"readOnly\":true},{\"mountPath\":\"/cache\",\"name\":"
              "\"cache\"}]}]}}}}",
              "spec.template.spec.containers.0.volumeMounts",
              "[{\"mountPath\":\"/usr/share/nginx/html\",\"name\":\"www\","
              "\"readOnly\":true},{\"mountPath\":\"/cache\",\"name\":"
              "\"cache\"}]");
    /* args has no strategy: replaced */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"nginx\",\"args\":[\"-v\"]}]}}}}",
              "spec.template.spec.containers.0.args", "[\"-v\"]");
    /* volumeClaimTemplates has no strategy: replaced */
    CHECK_STS("{\"spec\":{\"volumeClaimTemplates\":[{\"metadata\":{\"name\":"
              "\"data\"}}]}}",
              "spec.volumeClaimTemplates", "[{\"metadata\":{\"name\":\"data\"}}]");
    /* resources: maps merge, null deletes */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"sidecar\",\"resources\":{\"limits\":{\"cpu\":\"500m\"}}}]}}}}",
              "spec.template.spec.containers.1",
              "{\"name\":\"sidecar\",\"image\":\"busybox\",\"resources\":{"
              "\"limits\":{\"cpu\":\"500m\"}}}");
}

TEST(test_smp_volumes_retain_keys)
{
    /* switching a volume source: kubectl sends $retainKeys */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"$retainKeys\":"
              "[\"configMap\",\"name\"],\"configMap\":{\"name\":\"cfg\"},"
              "\"name\":\"cache\"}]}}}}",
              "spec.template.spec.volumes",
              "[{\"name\":\"cache\",\"configMap\":{\"name\":\"cfg\"}}]");
    /* without it the sources would pile up */
    CHECK_STS("{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"configMap\":"
              "{\"name\":\"cfg\"},\"name\":\"cache\"}]}}}}",
              "spec.template.spec.volumes",
              "[{\"name\":\"cache\",\"emptyDir\":{},\"configMap\":{\"name\":"
              "\"cfg\"}}]");
    CHECK_SMP_FAIL(&pod_t, "{\"spec\":{\"volumes\":[{\"name\":\"v\"}]}}",
                   "{\"spec\":{\"volumes\":[{\"$retainKeys\":\"name\","
                   "\"name\":\"v\"}]}}",
                   K1S_PATCH_EBADREQUEST, "invalid patch format of retainKeys");
    CHECK_SMP_FAIL(&pod_t, "{\"spec\":{\"volumes\":[{\"name\":\"v\"}]}}",
                   "{\"spec\":{\"volumes\":[{\"$retainKeys\":[\"name\"],"
                   "\"emptyDir\":{},\"name\":\"v\"}]}}",
                   K1S_PATCH_EBADREQUEST, "invalid patch format of retainKeys");
    /* every entry of $retainKeys is a field name */
    CHECK_SMP_FAIL(&pod_t, "{\"spec\":{\"volumes\":[{\"name\":\"v\"}]}}",
                   "{\"spec\":{\"volumes\":[{\"$retainKeys\":[\"name\",7],"
                   "\"name\":\"v\"}]}}",
                   K1S_PATCH_EBADREQUEST, "invalid patch format of retainKeys");
}

TEST(test_smp_metadata)
{
    const char *doc = "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\","
                      "\"b\":\"2\"},\"finalizers\":[\"x\",\"y\"],"
                      "\"ownerReferences\":[{\"uid\":\"u1\",\"name\":\"rs\"}]}}";
    CHECK_SMP(&pod_t, doc, "{\"metadata\":{\"labels\":{\"b\":null,\"c\":\"3\"}}}",
              "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\",\"c\":"
              "\"3\"},\"finalizers\":[\"x\",\"y\"],\"ownerReferences\":[{"
              "\"uid\":\"u1\",\"name\":\"rs\"}]}}");
    /* finalizers: merge strategy on scalars (union, new ones first) */
    CHECK_SMP(&pod_t, doc, "{\"metadata\":{\"finalizers\":[\"z\",\"x\"]}}",
              "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\",\"b\":"
              "\"2\"},\"finalizers\":[\"z\",\"x\",\"y\"],\"ownerReferences\":"
              "[{\"uid\":\"u1\",\"name\":\"rs\"}]}}");
    CHECK_SMP(&pod_t, doc,
              "{\"metadata\":{\"$setElementOrder/finalizers\":[\"x\",\"y\","
              "\"z\"],\"finalizers\":[\"z\"]}}",
              "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\",\"b\":"
              "\"2\"},\"finalizers\":[\"x\",\"y\",\"z\"],\"ownerReferences\":"
              "[{\"uid\":\"u1\",\"name\":\"rs\"}]}}");
    CHECK_SMP(&pod_t, doc,
              "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"x\","
              "\"nope\"]}}",
              "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\",\"b\":"
              "\"2\"},\"finalizers\":[\"y\"],\"ownerReferences\":[{\"uid\":"
              "\"u1\",\"name\":\"rs\"}]}}");
    /* deleting from a list the object does not have is a no-op */
    CHECK_SMP(&pod_t, "{\"metadata\":{}}",
              "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"x\"]}}",
              "{\"metadata\":{}}");
    /* ownerReferences by uid */
    CHECK_SMP(&pod_t, doc,
              "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"u1\",\"kind\":"
              "\"ReplicaSet\"},{\"uid\":\"u2\",\"name\":\"other\"}]}}",
              "{\"metadata\":{\"name\":\"p\",\"labels\":{\"a\":\"1\",\"b\":"
              "\"2\"},\"finalizers\":[\"x\",\"y\"],\"ownerReferences\":[{"
              "\"uid\":\"u1\",\"name\":\"rs\",\"kind\":\"ReplicaSet\"},{"
              "\"uid\":\"u2\",\"name\":\"other\"}]}}");
    /* a new map loses its nulls */
    CHECK_SMP(&pod_t, "{\"metadata\":{\"name\":\"p\"}}",
              "{\"metadata\":{\"annotations\":{\"k\":\"v\",\"gone\":null}}}",
              "{\"metadata\":{\"name\":\"p\",\"annotations\":{\"k\":\"v\"}}}");
    /* null on a missing member is ignored */
    CHECK_SMP(&pod_t, "{\"metadata\":{\"name\":\"p\"}}", "{\"metadata\":{\"labels\":null}}",
              "{\"metadata\":{\"name\":\"p\"}}");
}

TEST(test_smp_directives)
{
    const char *doc = "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}},"
                      "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
                      "\"x\"},{\"name\":\"b\",\"image\":\"y\"}]}}";
    /* $patch: replace on a map */
    CHECK_SMP(&pod_t, doc, "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"c\":\"3\"}}}",
              "{\"metadata\":{\"labels\":{\"c\":\"3\"}},\"spec\":{\"containers\":"
              "[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":"
              "\"y\"}]}}");
    /* $patch: delete on a map leaves it empty */
    CHECK_SMP(&pod_t, doc, "{\"metadata\":{\"labels\":{\"$patch\":\"delete\"}}}",
              "{\"metadata\":{\"labels\":{}},\"spec\":{\"containers\":[{"
              "\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":"
              "\"y\"}]}}");
    /* $patch: replace in a list */
    CHECK_SMP(&pod_t, doc,
              "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"z\"},"
              "{\"$patch\":\"replace\"}]}}",
              "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{"
              "\"containers\":[{\"name\":\"c\",\"image\":\"z\"}]}}");
    /* whole document */
    CHECK_SMP(&pod_t, doc, "{\"$patch\":\"delete\"}", "{}");
    CHECK_SMP(&pod_t, doc, "{\"$patch\":\"replace\",\"kind\":\"Pod\"}", "{\"kind\":\"Pod\"}");
    /* values with nothing to merge into are stored without directives or
     * nulls, lists as sent */
    CHECK_SMP(&pod_t, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
              "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},"
              "{\"name\":\"b\"}],\"containers\":[{\"name\":\"b\","
              "\"$setElementOrder/ports\":[{\"containerPort\":2},{"
              "\"containerPort\":1}],\"ports\":[{\"containerPort\":1},{"
              "\"containerPort\":2,\"name\":null}]}]}}",
              "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\","
              "\"ports\":[{\"containerPort\":1},{\"containerPort\":2}]}]}}");
    CHECK_SMP(&pod_t, "{\"spec\":{}}",
              "{\"spec\":{\"initContainers\":[{\"name\":\"x\",\"$patch\":"
              "\"delete\"},{\"name\":\"y\",\"$patch\":\"bogus\"}],"
              "\"volumes\":[{\"name\":\"v\",\"$retainKeys\":\"bad\"}]}}",
              "{\"spec\":{\"initContainers\":[{\"name\":\"y\"}],\"volumes\":"
              "[{\"name\":\"v\"}]}}");
    /* a null patch changes nothing */
    CHECK_SMP(&pod_t, doc, "null", doc);
    CHECK_SMP(&pod_t, doc, "{}", doc);
}

TEST(test_smp_errors)
{
    const char *doc = "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
                      "\"x\"}]}}";
    CHECK_SMP_FAIL(&pod_t, doc, "{\"spec\":{\"containers\":[{\"image\":\"y\"}]}}",
                   K1S_PATCH_EINTERNAL,
                   "map: map[image:y] does not contain declared merge key: name");
    CHECK_SMP_FAIL(&pod_t, doc, "{\"$patch\":\"bogus\",\"a\":1}", K1S_PATCH_EINTERNAL,
                   "unknown patch type: bogus in map: map[$patch:bogus a:1]");
    CHECK_SMP_FAIL(&pod_t, doc, "{\"spec\":{\"$patch\":\"merge\"}}", K1S_PATCH_EINTERNAL,
                   "unknown patch type: merge in map: map[$patch:merge]");
    CHECK_SMP_FAIL(&pod_t, doc,
                   "{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":"
                   "\"merge\"}]}}",
                   K1S_PATCH_EINTERNAL, "merging lists cannot yet be specified in the patch");
    CHECK_SMP_FAIL(&pod_t, doc, "{\"spec\":{\"containers\":[{\"$patch\":\"delete\"}]}}",
                   K1S_PATCH_EINTERNAL,
                   "map: map[$patch:delete] does not contain declared merge "
                   "key: name");
    CHECK_SMP_FAIL(&pod_t, doc, "{\"spec\":{\"$setElementOrderX/containers\":[]}}",
                   K1S_PATCH_EBADREQUEST, "invalid patch format of setElementOrder list");
    CHECK_SMP_FAIL(&pod_t, doc, "{\"spec\":{\"$setElementOrder/containers\":1}}",
                   K1S_PATCH_EINTERNAL, "expected a []interface {}, but received a int64");
    CHECK_SMP_FAIL(&pod_t, "{\"metadata\":{\"finalizers\":[\"a\"]}}",
                   "{\"metadata\":{\"$deleteFromPrimitiveList\":[\"a\"]}}", K1S_PATCH_EBADREQUEST,
                   "invalid patch format of primitive list");
    /* its value is a list, whatever the object holds */
    CHECK_SMP_FAIL(&pod_t, "{\"metadata\":{\"finalizers\":[\"a\"]}}",
                   "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":\"a\"}}",
                   K1S_PATCH_EBADREQUEST, "invalid patch format of primitive list");
    CHECK_SMP_FAIL(&pod_t, "{\"metadata\":{}}",
                   "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":{}}}",
                   K1S_PATCH_EBADREQUEST, "invalid patch format of primitive list");
    CHECK_SMP_FAIL(&pod_t, "{\"metadata\":{\"finalizers\":[\"a\"]}}",
                   "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":null}}",
                   K1S_PATCH_EBADREQUEST, "invalid patch format of primitive list");
    CHECK_SMP_FAIL(&pod_t, "{\"metadata\":{\"finalizers\":[[\"a\"]]}}",
                   "{\"metadata\":{\"finalizers\":[[\"b\"]]}}", K1S_PATCH_EINVALID,
                   "lists of lists are not supported");
    CHECK_SMP_FAIL(&pod_t, "{\"metadata\":{\"finalizers\":[\"a\"]}}",
                   "{\"metadata\":{\"finalizers\":[1]}}", K1S_PATCH_EINTERNAL,
                   "list element types are not identical: [[a] [1]]");
    CHECK_SMP_FAIL(&pod_t, doc,
                   "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":"
                   "\"a\"}],\"containers\":[{\"name\":\"b\"}]}}",
                   K1S_PATCH_EINTERNAL,
                   "The order in patch list:\n[map[name:b]]\n doesn't match "
                   "$setElementOrder list:\n[map[name:a]]\n");
    CHECK_SMP_FAIL(&pod_t, doc, "[1]", K1S_PATCH_EBADREQUEST,
                   "json: cannot unmarshal array into Go value of type "
                   "map[string]interface {}");
    CHECK_SMP_FAIL(&pod_t, "[]", "{}", K1S_PATCH_EINTERNAL, "invalid JSON document");
}

TEST(test_smp_without_schema)
{
    /* unknown fields and a NULL type: maps merge, lists are replaced */
    CHECK_SMP(NULL, "{\"a\":{\"x\":1,\"y\":[1,2]},\"b\":[{\"name\":\"k\"}]}",
              "{\"a\":{\"y\":[3],\"z\":null},\"b\":[{\"name\":\"j\"}]}",
              "{\"a\":{\"x\":1,\"y\":[3]},\"b\":[{\"name\":\"j\"}]}");
    CHECK_SMP(&pod_t, "{\"spec\":{\"unknown\":[1,2],\"containers\":[]}}",
              "{\"spec\":{\"unknown\":[3]}}", "{\"spec\":{\"unknown\":[3],\"containers\":[]}}");
    /* free-form fields (status) still honour directives */
    CHECK_SMP(&pod_t, "{\"status\":{\"a\":1,\"b\":2}}",
              "{\"status\":{\"$patch\":\"replace\",\"c\":3}}", "{\"status\":{\"c\":3}}");
    /* type changes replace */
    CHECK_SMP(&pod_t, "{\"spec\":{\"restartPolicy\":{\"x\":1}}}",
              "{\"spec\":{\"restartPolicy\":\"Never\"}}",
              "{\"spec\":{\"restartPolicy\":\"Never\"}}");
}

TEST(test_smp_output_is_independent)
{
    json_t *doc = J("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");
    json_t *patch = J("{\"spec\":{\"containers\":[{\"name\":\"b\",\"env\":[{"
                      "\"name\":\"E\",\"value\":\"1\"}]}],\"nodeSelector\":{"
                      "\"k\":\"v\"}}}");
    json_t *out;
    char *err;
    CHECK_INT(k1s_patch_strategic(&pod_t, doc, patch, &out, &err), 0);
    /* mutate everything reachable in the output */
    json_t *spec = json_object_get(out, "spec");
    json_object_set_new(json_object_get(spec, "nodeSelector"), "k", json_string("changed"));
    json_t *b = json_array_get(json_object_get(spec, "containers"), 0);
    json_object_set_new(json_array_get(json_object_get(b, "env"), 0), "value",
                        json_string("changed"));
    json_object_set_new(json_array_get(json_object_get(spec, "containers"), 1), "name",
                        json_string("changed"));
    CHECK_JSON(patch, "{\"spec\":{\"containers\":[{\"name\":\"b\",\"env\":[{"
                      "\"name\":\"E\",\"value\":\"1\"}]}],\"nodeSelector\":{"
                      "\"k\":\"v\"}}}");
    CHECK_JSON(doc, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");
    json_decref(out);
    json_decref(doc);
    json_decref(patch);
}

/* Nest `levels` objects under key "a" with a leaf value. */
static json_t *nested(int levels, json_t *leaf)
{
    json_t *v = leaf;
    for (int i = 0; i < levels; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "a", v);
        v = o;
    }
    return v;
}

TEST(test_patch_hostile)
{
    json_t *out;
    char *err;
    /* nesting beyond the limit fails cleanly in all three patch types */
    json_t *doc = nested(K1S_PATCH_MAX_DEPTH + 50, json_integer(1));
    json_t *patch = nested(K1S_PATCH_MAX_DEPTH + 50, json_integer(2));
    CHECK_INT(k1s_patch_strategic(&pod_t, doc, patch, &out, &err), K1S_PATCH_EBADREQUEST);
    CHECK_STR(err, "patch exceeds the maximum nesting depth of 512");
    free(err);
    CHECK_INT(k1s_patch_merge(doc, patch, &out, &err), K1S_PATCH_EBADREQUEST);
    free(err);
    json_t *diff;
    CHECK_INT(k1s_merge_patch_create(doc, patch, &diff), K1S_PATCH_EBADREQUEST);
    json_decref(patch);
    /* a new deep value is cleaned with the same bound */
    patch = json_object();
    json_object_set_new(patch, "new", nested(K1S_PATCH_MAX_DEPTH + 50, json_null()));
    CHECK_INT(k1s_patch_strategic(NULL, doc, patch, &out, &err), K1S_PATCH_EBADREQUEST);
    free(err);
    json_decref(patch);
    json_decref(doc);
    /* within the limit it works */
    doc = nested(100, json_integer(1));
    patch = nested(100, json_integer(2));
    CHECK_INT(k1s_patch_strategic(NULL, doc, patch, &out, &err), 0);
    CHECK(json_equal(out, patch));
    json_decref(out);
    json_decref(doc);
    json_decref(patch);

    /* big merge lists stay fast: 20000 env entries against 20000 */
    size_t n = 20000;
    json_t *env = json_array(), *penv = json_array(), *order = json_array();
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "E%zu", i);
        json_array_append_new(env, json_pack("{s:s,s:s}", "name", name, "value", "a"));
        snprintf(name, sizeof name, "E%zu", n - 1 - i);
        json_array_append_new(penv, json_pack("{s:s,s:s}", "name", name, "value", "b"));
        json_array_append_new(order, json_pack("{s:s}", "name", name));
    }
    doc = json_pack("{s:{s:[{s:s,s:o}]}}", "spec", "containers", "name", "c", "env", env);
    patch = json_pack("{s:{s:[{s:s,s:o,s:o}]}}", "spec", "containers", "name", "c", "env", penv,
                      "$setElementOrder/env", order);
    CHECK_INT(k1s_patch_strategic(&pod_t, doc, patch, &out, &err), 0);
    json_t *e = json_object_get(
        json_array_get(json_object_get(json_object_get(out, "spec"), "containers"), 0), "env");
    CHECK_INT(json_array_size(e), n);
    CHECK_STR(json_string_value(json_object_get(json_array_get(e, 0), "name")), "E19999");
    CHECK_STR(json_string_value(json_object_get(json_array_get(e, 0), "value")), "b");
    json_decref(out);
    json_decref(doc);
    json_decref(patch);

    /* scalar unions too */
    json_t *a = json_array(), *b = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_integer((json_int_t)i));
        json_array_append_new(b, json_integer((json_int_t)(i + n / 2)));
    }
    doc = json_pack("{s:{s:o}}", "metadata", "finalizers", a);
    patch = json_pack("{s:{s:o}}", "metadata", "finalizers", b);
    CHECK_INT(k1s_patch_strategic(&pod_t, doc, patch, &out, &err), 0);
    CHECK_INT(json_array_size(json_object_get(json_object_get(out, "metadata"), "finalizers")),
              n + n / 2);
    json_decref(out);
    json_decref(doc);
    json_decref(patch);
}

/* ---- JSON patch ------------------------------------------------------------ */

TEST(test_json_patch_ops)
{
    const char *doc = "{\"a\":{\"b\":1},\"arr\":[1,2,3],\"x/y\":2,\"m~n\":3}";
    CHECK_JP(doc, "[{\"op\":\"add\",\"path\":\"/a/c\",\"value\":{\"d\":[]}}]",
             "{\"a\":{\"b\":1,\"c\":{\"d\":[]}},\"arr\":[1,2,3],\"x/y\":2,"
             "\"m~n\":3}");
    CHECK_JP(doc,
             "[{\"op\":\"add\",\"path\":\"/arr/-\",\"value\":4},"
             "{\"op\":\"add\",\"path\":\"/arr/0\",\"value\":0}]",
             "{\"a\":{\"b\":1},\"arr\":[0,1,2,3,4],\"x/y\":2,\"m~n\":3}");
    CHECK_JP(doc,
             "[{\"op\":\"remove\",\"path\":\"/arr/1\"},{\"op\":\"remove\","
             "\"path\":\"/x~1y\"},{\"op\":\"remove\",\"path\":\"/m~0n\"}]",
             "{\"a\":{\"b\":1},\"arr\":[1,3]}");
    CHECK_JP(doc, "[{\"op\":\"replace\",\"path\":\"/a/b\",\"value\":\"s\"}]",
             "{\"a\":{\"b\":\"s\"},\"arr\":[1,2,3],\"x/y\":2,\"m~n\":3}");
    /* replace of a missing member adds it (as kube's library does) */
    CHECK_JP(doc, "[{\"op\":\"replace\",\"path\":\"/a/z\",\"value\":1}]",
             "{\"a\":{\"b\":1,\"z\":1},\"arr\":[1,2,3],\"x/y\":2,\"m~n\":3}");
    CHECK_JP(doc, "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/arr/-\"}]",
             "{\"a\":{},\"arr\":[1,2,3,1],\"x/y\":2,\"m~n\":3}");
    CHECK_JP(doc,
             "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
             "{\"op\":\"replace\",\"path\":\"/c/b\",\"value\":9}]",
             "{\"a\":{\"b\":1},\"c\":{\"b\":9},\"arr\":[1,2,3],\"x/y\":2,"
             "\"m~n\":3}");
    CHECK_JP(doc,
             "[{\"op\":\"test\",\"path\":\"/arr\",\"value\":[1,2,3]},"
             "{\"op\":\"test\",\"path\":\"/missing\",\"value\":null}]",
             doc);
    /* negative indices count from the end */
    CHECK_JP(doc, "[{\"op\":\"remove\",\"path\":\"/arr/-1\"}]",
             "{\"a\":{\"b\":1},\"arr\":[1,2],\"x/y\":2,\"m~n\":3}");
    CHECK_JP(doc, "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"n\":1}}]", "{\"n\":1}");
    CHECK_JP(doc, "[]", doc);
    CHECK_JP(doc, "null", doc);
    /* a kubectl-style scale and label edit */
    CHECK_JP("{\"metadata\":{\"labels\":{}},\"spec\":{\"replicas\":1}}",
             "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":1},"
             "{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3},"
             "{\"op\":\"add\",\"path\":\"/metadata/labels/app.kubernetes.io~1"
             "name\",\"value\":\"web\"}]",
             "{\"metadata\":{\"labels\":{\"app.kubernetes.io/name\":\"web\"}},"
             "\"spec\":{\"replicas\":3}}");
}

TEST(test_json_patch_errors)
{
    const char *doc = "{\"a\":{\"b\":1},\"arr\":[1,2,3]}";
    CHECK_JP_FAIL(doc, "[{\"op\":\"add\",\"path\":\"/x/y\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "add operation does not apply: doc is missing path: "
                  "\"/x/y\": missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"remove\",\"path\":\"/x\"}]", K1S_PATCH_EINVALID,
                  "error in remove for path: '/x': Unable to remove "
                  "nonexistent key: x: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"test\",\"path\":\"/a/b\",\"value\":2}]", K1S_PATCH_EINVALID,
                  "testing value /a/b failed: test failed");
    CHECK_JP_FAIL(doc, "[{\"op\":\"test\",\"path\":\"/a/b\",\"value\":1.0}]", K1S_PATCH_EINVALID,
                  "testing value /a/b failed: test failed");
    CHECK_JP_FAIL(doc, "[{\"op\":\"add\",\"path\":\"/arr/5\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "error in add for path: '/arr/5': Unable to access invalid "
                  "index: 5: invalid index referenced");
    CHECK_JP_FAIL(doc, "[{\"op\":\"add\",\"path\":\"/arr/x\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "error in add for path: '/arr/x': value was not a proper "
                  "array index: 'x': strconv.Atoi: parsing \"x\": invalid "
                  "syntax");
    CHECK_JP_FAIL(doc, "[{\"op\":\"remove\",\"path\":\"/arr/99999999999999999999\"}]",
                  K1S_PATCH_EINVALID,
                  "error in remove for path: '/arr/99999999999999999999': "
                  "strconv.Atoi: parsing \"99999999999999999999\": value out "
                  "of range");
    CHECK_JP_FAIL(doc, "[{\"op\":\"remove\",\"path\":\"/arr/-4\"}]", K1S_PATCH_EINVALID,
                  "error in remove for path: '/arr/-4': Unable to access "
                  "invalid index: -4: invalid index referenced");
    CHECK_JP_FAIL(doc, "[{\"op\":\"replace\",\"path\":\"/arr/3\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "replace operation does not apply: doc is missing key: "
                  "/arr/3: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"replace\",\"path\":\"/q/r\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "replace operation does not apply: doc is missing path: "
                  "/q/r: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"frob\",\"path\":\"/a\"}]", K1S_PATCH_EINVALID,
                  "Unexpected kind: frob");
    CHECK_JP_FAIL(doc, "[{\"path\":\"/a\"}]", K1S_PATCH_EINVALID, "Unexpected kind: unknown");
    CHECK_JP_FAIL(doc, "[null]", K1S_PATCH_EINVALID, "Unexpected kind: unknown");
    CHECK_JP_FAIL(doc, "[{\"op\":\"add\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "add operation failed to decode path: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"replace\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "replace operation failed to decode path: operation missing "
                  "path field: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"replace\",\"path\":5}]", K1S_PATCH_EINVALID,
                  "replace operation failed to decode path: json: cannot "
                  "unmarshal number into Go value of type string");
    CHECK_JP_FAIL(doc, "[{\"op\":\"move\",\"path\":\"/a\"}]", K1S_PATCH_EINVALID,
                  "move operation failed to decode from: operation, missing "
                  "from field: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}]", K1S_PATCH_EINVALID,
                  "move operation does not apply: doc is missing destination "
                  "path: /a/b: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"copy\",\"from\":\"/nope/x\",\"path\":\"/c\"}]",
                  K1S_PATCH_EINVALID,
                  "copy operation does not apply: doc is missing from path: "
                  "/nope/x: missing value");
    CHECK_JP_FAIL(doc, "[{\"op\":\"add\",\"path\":\"\",\"value\":1}]", K1S_PATCH_EINVALID,
                  "add operation does not apply: doc is missing path: \"\": "
                  "missing value");
    /* the operations run in order and the first failure wins */
    CHECK_JP_FAIL(doc,
                  "[{\"op\":\"remove\",\"path\":\"/a\"},{\"op\":\"test\","
                  "\"path\":\"/a/b\",\"value\":1}]",
                  K1S_PATCH_EINVALID,
                  "test operation does not apply: is missing path: /a/b: "
                  "missing value");
    CHECK_JP_FAIL(doc, "{\"op\":\"add\"}", K1S_PATCH_EBADREQUEST,
                  "json: cannot unmarshal object into Go value of type "
                  "jsonpatch.Patch");
    CHECK_JP_FAIL(doc, "[1]", K1S_PATCH_EBADREQUEST,
                  "json: cannot unmarshal number into Go value of type "
                  "jsonpatch.Operation");
}

TEST(test_json_patch_limits)
{
    json_t *doc = J("{\"d\":{\"a\":[],\"k\":\"01234567890123456789\"}}");
    json_t *out;
    char *err;
    /* too many operations */
    json_t *ops = json_array();
    for (int i = 0; i < K1S_PATCH_MAX_OPERATIONS + 1; i++)
        json_array_append_new(ops,
                              json_pack("{s:s,s:s,s:i}", "op", "test", "path", "/x", "value", 1));
    CHECK_INT(k1s_patch_json(doc, ops, &out, &err), K1S_PATCH_ETOOLARGE);
    CHECK_STR(err, "The allowed maximum operations in a JSON patch is 10000, "
                   "got 10001");
    free(err);
    json_decref(ops);
    /* a copy bomb: the document doubles with each copy */
    ops = json_array();
    for (int i = 0; i < 40; i++)
        json_array_append_new(
            ops, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "/d", "path", "/d/a/-"));
    CHECK_INT(k1s_patch_json(doc, ops, &out, &err), K1S_PATCH_ETOOLARGE);
    CHECK(strncmp(err,
                  "Unable to complete the copy, the accumulated size "
                  "increase of copy is ",
                  70) == 0);
    free(err);
    json_decref(ops);
    /* deep paths into missing members fail cleanly */
    char path[20001];
    for (int i = 0; i < 10000; i++)
        memcpy(path + i * 2, "/a", 2);
    path[20000] = '\0';
    ops = json_pack("[{s:s,s:s,s:i}]", "op", "add", "path", path, "value", 1);
    CHECK_INT(k1s_patch_json(doc, ops, &out, &err), K1S_PATCH_EINVALID);
    free(err);
    json_decref(ops);
    json_decref(doc);
}

/* ---- JSON merge patch ------------------------------------------------------ */

TEST(test_merge_patch_rfc7386)
{
    /* the examples of RFC 7386 appendix A */
    CHECK_MP("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    CHECK_MP("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    CHECK_MP("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    CHECK_MP("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    CHECK_MP("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    CHECK_MP("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    CHECK_MP("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
    CHECK_MP("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    CHECK_MP("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    CHECK_MP("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    CHECK_MP("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    CHECK_MP("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    CHECK_MP("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
    /* kube rejects a null or scalar patch */
    CHECK_MP_FAIL("{\"a\":\"foo\"}", "null", K1S_PATCH_EBADREQUEST, "Invalid JSON Patch");
    CHECK_MP_FAIL("{\"a\":\"foo\"}", "\"bar\"", K1S_PATCH_EBADREQUEST, "Invalid JSON Patch");
    /* lists are never merged: a merge patch on containers replaces them */
    CHECK_MP("{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
             "\"replicas\":1}}",
             "{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}",
             "{\"spec\":{\"containers\":[{\"name\":\"c\"}],\"replicas\":1}}");
    /* array values are taken as they are, nulls included */
    CHECK_MP("{\"a\":{}}", "{\"a\":{\"l\":[null,{\"x\":null}]}}", "{\"a\":{\"l\":[null,{}]}}");
}

static void check_roundtrip(const char *from, const char *to)
{
    json_t *f = J(from), *t = J(to), *p = NULL, *out = NULL;
    char *err = NULL;
    CHECK_INT(k1s_merge_patch_create(f, t, &p), 0);
    CHECK_INT(k1s_patch_merge(f, p, &out, &err), 0);
    if (!out || !json_equal(out, t)) {
        char *ps = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(stderr, "roundtrip %s -> %s via %s failed\n", from, to, ps);
        free(ps);
        k1s_test_failures++;
    }
    free(err);
    json_decref(out);
    json_decref(p);
    json_decref(f);
    json_decref(t);
}

TEST(test_merge_patch_create)
{
    json_t *f = J("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":[1]}");
    json_t *t = J("{\"a\":1,\"b\":{\"c\":4},\"e\":[1],\"f\":\"new\"}");
    json_t *p;
    CHECK_INT(k1s_merge_patch_create(f, t, &p), 0);
    CHECK_JSON(p, "{\"b\":{\"c\":4,\"d\":null},\"f\":\"new\"}");
    json_decref(p);
    CHECK_INT(k1s_merge_patch_create(f, f, &p), 0);
    CHECK_JSON(p, "{}");
    json_decref(p);
    json_decref(f);
    json_decref(t);
    check_roundtrip("{}", "{\"a\":{\"b\":[1,2]}}");
    check_roundtrip("{\"a\":{\"b\":[1,2]}}", "{}");
    check_roundtrip("{\"metadata\":{\"labels\":{\"a\":\"1\"}},\"spec\":{"
                    "\"replicas\":1,\"containers\":[{\"name\":\"x\"}]}}",
                    "{\"metadata\":{\"labels\":{\"b\":\"2\"}},\"spec\":{"
                    "\"replicas\":3,\"containers\":[{\"name\":\"y\"}]}}");
    check_roundtrip("{\"a\":{\"x\":1}}", "{\"a\":[1]}");
    check_roundtrip("{\"a\":\"s\"}", "{\"a\":{\"deep\":{\"er\":true}}}");
}

K1S_TEST_MAIN(T(test_smp_apply_image_and_replicas), T(test_smp_apply_add_and_remove_containers),
              T(test_smp_env_ports_mounts), T(test_smp_volumes_retain_keys), T(test_smp_metadata),
              T(test_smp_directives), T(test_smp_errors), T(test_smp_without_schema),
              T(test_smp_output_is_independent), T(test_patch_hostile), T(test_json_patch_ops),
              T(test_json_patch_errors), T(test_json_patch_limits), T(test_merge_patch_rfc7386),
              T(test_merge_patch_create))
