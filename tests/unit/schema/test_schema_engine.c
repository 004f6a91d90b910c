/*
 * test_schema_engine.c - lookups, strict unknown-field reports, type checks
 * and static defaults of the schema engine, run on the compiled schema
 * (schema/defs). Uses only types and fields every build of the Kubernetes
 * API has (Pod, PodSpec, Container, StatefulSet, StorageClass, ObjectMeta,
 * Secret), so it also runs against tests/unit/schema/sample.def.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_schema.h"
#include "k1s_schema_ext.h"
#include "k1s_test.h"

#define POD "io.k8s.api.core.v1.Pod"
#define STS "io.k8s.api.apps.v1.StatefulSet"

static json_t *parse(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fprintf(stderr, "bad test JSON: %s: %s\n", err.text, text);
    return j;
}

/* The one message check_types gives for text as type name, or "" if none. */
static char *type_msg(const char *name, const char *text)
{
    json_t *j = parse(text);
    char *msg = NULL;
    int rc = k1s_schema_check_types(k1s_schema_type(name), j, &msg);
    json_decref(j);
    if (rc == 0) {
        CHECK(msg == NULL);
        return strdup("");
    }
    CHECK(msg != NULL);
    return msg ? msg : strdup("(null)");
}

#define CHECK_TYPE_MSG(name, text, want) \
    do {                                 \
        char *m_ = type_msg(name, text); \
        CHECK_STR(m_, want);             \
        free(m_);                        \
    } while (0)

TEST(test_lookup)
{
    const k1s_type *pod = k1s_schema_type(POD);
    CHECK(pod != NULL);
    if (!pod)
        return;
    CHECK_STR(pod->name, POD);
    CHECK_STR(pod->kind, "Pod");
    CHECK_STR(pod->group, "");
    CHECK_STR(pod->version, "v1");
    CHECK(k1s_schema_kind("", "v1", "Pod") == pod);
    CHECK(k1s_schema_kind("apps", "v1", "StatefulSet") == k1s_schema_type(STS));
    CHECK(k1s_schema_kind("storage.k8s.io", "v1", "StorageClass") ==
          k1s_schema_type("io.k8s.api.storage.v1.StorageClass"));
    CHECK(k1s_schema_kind("apps", "v1", "Pod") == NULL);
    CHECK(k1s_schema_kind("", "v2", "Pod") == NULL);
    CHECK(k1s_schema_type("io.k8s.api.core.v1.Nope") == NULL);
    CHECK(k1s_schema_type("") == NULL);
    CHECK(k1s_schema_type(NULL) == NULL);

    const k1s_field *spec = k1s_schema_field(pod, "spec");
    CHECK(spec && spec->kind == K1S_T_OBJECT);
    CHECK(spec && spec->type == k1s_schema_type("io.k8s.api.core.v1.PodSpec"));
    CHECK(k1s_schema_field(pod, "spex") == NULL);
    CHECK(k1s_schema_field(pod, "Spec") == NULL); /* case-sensitive */

    const k1s_field *c = spec ? k1s_schema_field(spec->type, "containers") : NULL;
    CHECK(c != NULL);
    if (c) {
        CHECK(c->kind == K1S_T_ARRAY);
        CHECK(c->elem == K1S_T_OBJECT);
        CHECK_STR(c->type->name, "io.k8s.api.core.v1.Container");
        CHECK_STR(c->merge_key, "name");
        CHECK_STR(c->patch_strategy, "merge");
        CHECK(c->required);
    }
    const k1s_type *ctr = k1s_schema_type("io.k8s.api.core.v1.Container");
    const k1s_field *ports = k1s_schema_field(ctr, "ports");
    CHECK(ports != NULL);
    const char *const *keys = k1s_schema_field_list_map_keys(ports);
    CHECK(keys && keys[0] && strcmp(keys[0], "containerPort") == 0);
    CHECK(keys && keys[0] && keys[1] && strcmp(keys[1], "protocol") == 0);
    CHECK(keys && keys[0] && keys[1] && keys[2] == NULL);

    /* every field of every type is found by name, and types are sorted */
    size_t n;
    const k1s_type *const *all = k1s_schema_all(&n);
    CHECK(n > 20);
    for (size_t i = 0; i < n; i++) {
        CHECK(k1s_schema_type(all[i]->name) == all[i]);
        if (i)
            CHECK(strcmp(all[i - 1]->name, all[i]->name) < 0);
        for (size_t j = 0; j < all[i]->nfields; j++)
            CHECK(k1s_schema_field(all[i], all[i]->fields[j].name) == &all[i]->fields[j]);
        if (all[i]->kind)
            CHECK(k1s_schema_kind(all[i]->group, all[i]->version, all[i]->kind) == all[i]);
    }
}

TEST(test_unknown_fields)
{
    json_t *obj = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\","
                        "\"metadata\":{\"name\":\"web\",\"labelz\":{},"
                        "\"labels\":{\"any-key\":\"v\"},"
                        "\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:x\":{}}}]},"
                        "\"spec\":{\"replicass\":3,\"selector\":{\"matchLabels\":{\"a\":\"b\"}},"
                        "\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
                        "\"spec\":{\"containers\":[{\"name\":\"c\",\"imagee\":\"x\"},"
                        "{\"name\":\"d\",\"ports\":[{\"containerPort\":80,\"hostPortt\":1}]}]}}},"
                        "\"extra\":true,\"spec2\":{\"deep\":{}}}");
    json_t *errs = json_array();
    size_t n = k1s_schema_unknown_fields(k1s_schema_type(STS), obj, errs);
    CHECK_INT(n, 6);
    CHECK_INT(json_array_size(errs), 6);
    const char *want[] = {
        "unknown field \"metadata.labelz\"",
        "unknown field \"spec.replicass\"",
        "unknown field \"spec.template.spec.containers[0].imagee\"",
        "unknown field \"spec.template.spec.containers[1].ports[0].hostPortt\"",
        "unknown field \"extra\"",
        "unknown field \"spec2\"",
    };
    for (size_t i = 0; i < 6; i++)
        CHECK_STR(json_string_value(json_array_get(errs, i)), want[i]);

    /* the same problem again is not repeated; new ones are appended */
    json_t *obj2 = parse("{\"extra\":1,\"metadata\":{\"a\\\"b\\n\":1}}");
    n = k1s_schema_unknown_fields(k1s_schema_type(STS), obj2, errs);
    CHECK_INT(n, 1);
    CHECK_STR(json_string_value(json_array_get(errs, 6)), "unknown field \"metadata.a\\\"b\\n\"");
    json_decref(obj2);

    /* quoted as strconv.Quote: printable runes as they are, the others
     * (a C1 control, a zero-width space) escaped */
    json_t *obj3 = json_object();
    json_object_set_new(obj3, "caf\xc3\xa9\xc2\x85\xe2\x80\x8b", json_true());
    json_t *errs3 = json_array();
    CHECK_INT(k1s_schema_unknown_fields(k1s_schema_type(STS), obj3, errs3), 1);
    CHECK_STR(json_string_value(json_array_get(errs3, 0)),
              "unknown field \"caf\xc3\xa9\\u0085\\u200b\"");
    json_decref(errs3);
    json_decref(obj3);

    /* a clean object reports nothing; wrong-typed values are not walked */
    json_t *ok = parse("{\"metadata\":{\"name\":\"x\"},\"spec\":{\"containers\":"
                       "\"oops\",\"nodeSelector\":{\"a\":\"b\"}}}");
    json_t *errs2 = json_array();
    CHECK_INT(k1s_schema_unknown_fields(k1s_schema_type(POD), ok, errs2), 0);
    CHECK_INT(json_array_size(errs2), 0);
    json_decref(ok);

    /* at most 100 problems, as the Go decoder keeps */
    json_t *many = json_object();
    char key[32];
    for (int i = 0; i < 150; i++) {
        snprintf(key, sizeof key, "bogus%d", i);
        json_object_set_new(many, key, json_true());
    }
    CHECK_INT(k1s_schema_unknown_fields(k1s_schema_type(POD), many, errs2), 100);
    json_decref(many);
    json_decref(errs2);
    json_decref(errs);
    json_decref(obj);
}

TEST(test_check_types)
{
    const char *sts = STS;
    CHECK_TYPE_MSG(sts, "{\"spec\":{\"replicas\":3}}", "");
    CHECK_TYPE_MSG(sts, "{\"spec\":{\"replicas\":\"3\"}}",
                   "json: cannot unmarshal string into Go struct field "
                   "StatefulSetSpec.spec.replicas of type int32");
    CHECK_TYPE_MSG(sts, "{\"spec\":{\"replicas\":1.5}}",
                   "json: cannot unmarshal number 1.5 into Go struct field "
                   "StatefulSetSpec.spec.replicas of type int32");
    CHECK_TYPE_MSG(sts, "{\"spec\":{\"replicas\":3000000000}}",
                   "json: cannot unmarshal number 3000000000 into Go struct "
                   "field StatefulSetSpec.spec.replicas of type int32");
    CHECK_TYPE_MSG(sts, "{\"spec\":\"x\"}",
                   "json: cannot unmarshal string into Go struct field "
                   "StatefulSet.spec of type v1.StatefulSetSpec");
    CHECK_TYPE_MSG(sts,
                   "{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                   "[{\"name\":\"a\",\"image\":5}]}}}}",
                   "json: cannot unmarshal number into Go struct field "
                   "Container.spec.template.spec.containers.image of type "
                   "string");
    /* null is the zero value everywhere */
    CHECK_TYPE_MSG(sts,
                   "{\"metadata\":null,\"spec\":{\"replicas\":null,"
                   "\"template\":{\"spec\":{\"containers\":[null]}}}}",
                   "");
    CHECK_TYPE_MSG(POD, "{\"spec\":{\"containers\":{}}}",
                   "json: cannot unmarshal object into Go struct field "
                   "PodSpec.spec.containers of type []v1.Container");
    CHECK_TYPE_MSG(POD, "{\"spec\":{\"hostNetwork\":\"true\"}}",
                   "json: cannot unmarshal string into Go struct field "
                   "PodSpec.spec.hostNetwork of type bool");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"labels\":{\"a\":1}}}",
                   "json: cannot unmarshal number into Go struct field "
                   "ObjectMeta.metadata.labels of type string");
    CHECK_TYPE_MSG(POD, "[1]",
                   "json: cannot unmarshal array into Go value of type "
                   "v1.Pod");
    /* quantities: strings or numbers in Go's syntax */
    CHECK_TYPE_MSG(POD,
                   "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":"
                   "{\"limits\":{\"cpu\":\"500m\",\"memory\":536870912,"
                   "\"x\":\"1.5Gi\",\"y\":\"1e3\",\"z\":0.5}}}]}}",
                   "");
    CHECK_TYPE_MSG(POD,
                   "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":"
                   "{\"limits\":{\"cpu\":\"lots\"}}}]}}",
                   "quantities must match the regular expression "
                   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    CHECK_TYPE_MSG(POD,
                   "{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":"
                   "{\"requests\":{\"cpu\":\"1ki\"}}}]}}",
                   "unable to parse quantity's suffix");
    /* int-or-string: strings, or numbers that fit int32 */
    CHECK_TYPE_MSG(POD,
                   "{\"spec\":{\"containers\":[{\"name\":\"a\",\"livenessProbe\":"
                   "{\"httpGet\":{\"port\":\"http\"}}}]}}",
                   "");
    CHECK_TYPE_MSG(POD,
                   "{\"spec\":{\"containers\":[{\"name\":\"a\",\"livenessProbe\":"
                   "{\"httpGet\":{\"port\":true}}}]}}",
                   "json: cannot unmarshal bool into Go struct field "
                   "HTTPGetAction.spec.containers.livenessProbe.httpGet.port "
                   "of type int32");
    /* times */
    CHECK_TYPE_MSG(POD,
                   "{\"metadata\":{\"creationTimestamp\":"
                   "\"2024-02-29T23:59:59.5+01:00\"}}",
                   "");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":\"yesterday\"}}",
                   "parsing time \"yesterday\" as "
                   "\"2006-01-02T15:04:05Z07:00\": cannot parse \"yesterday\" "
                   "as \"2006\"");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":\"2023-02-29T00:00:00Z\"}}",
                   "parsing time \"2023-02-29T00:00:00Z\": day out of range");
    /* the calendar: centuries leap only every 400 years, day 00 and a
     * day past the month's end are out of range, but only once the rest
     * parsed (Go checks the day last) */
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":\"2000-02-29T00:00:00,5Z\"}}", "");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":\"1900-02-29T00:00:00Z\"}}",
                   "parsing time \"1900-02-29T00:00:00Z\": day out of range");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":\"2024-04-31T00:00:00Z\"}}",
                   "parsing time \"2024-04-31T00:00:00Z\": day out of range");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":\"2024-01-00T00:00:00Z\"}}",
                   "parsing time \"2024-01-00T00:00:00Z\": day out of range");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":\"2024-04-31T00:00:00Zx\"}}",
                   "parsing time \"2024-04-31T00:00:00Zx\": extra text: \"x\"");
    CHECK_TYPE_MSG(POD, "{\"metadata\":{\"creationTimestamp\":5}}",
                   "json: cannot unmarshal number into Go struct field "
                   "ObjectMeta.metadata.creationTimestamp of type string");
    /* bytes: standard base64 */
    CHECK_TYPE_MSG("io.k8s.api.core.v1.Secret", "{\"data\":{\"a\":\"aGVsbG8=\",\"b\":\"\"}}", "");
    CHECK_TYPE_MSG("io.k8s.api.core.v1.Secret", "{\"data\":{\"a\":\"a!==\"}}",
                   "illegal base64 data at input byte 1");
    /* unknown fields are not type checked */
    CHECK_TYPE_MSG(POD, "{\"bogus\":{\"x\":1}}", "");
}

TEST(test_defaults)
{
    json_t *pod = parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"restartPolicy\":null,"
                        "\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":80},"
                        "{\"containerPort\":53,\"protocol\":\"UDP\"}]},{\"name\":\"b\"}]}}");
    k1s_schema_apply_defaults(k1s_schema_type(POD), pod);
    json_t *spec = json_object_get(pod, "spec");
    CHECK_STR(json_string_value(json_object_get(spec, "restartPolicy")), "Always");
    CHECK_INT(json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")), 30);
    json_t *c0 = json_array_get(json_object_get(spec, "containers"), 0);
    json_t *c1 = json_array_get(json_object_get(spec, "containers"), 1);
    json_t *ports = json_object_get(c0, "ports");
    CHECK_STR(json_string_value(json_object_get(json_array_get(ports, 0), "protocol")), "TCP");
    CHECK_STR(json_string_value(json_object_get(json_array_get(ports, 1), "protocol")),
              "UDP");                            /* given values stay */
    CHECK(json_object_get(c1, "ports") == NULL); /* no parent, no default */
    CHECK_STR(json_string_value(json_object_get(c0, "name")), "a");
    json_decref(pod);

    /* an object without the field's parent gets no nested defaults */
    json_t *sc = parse("{\"provisioner\":\"x\"}");
    k1s_schema_apply_defaults(k1s_schema_type("io.k8s.api.storage.v1.StorageClass"), sc);
    CHECK_STR(json_string_value(json_object_get(sc, "reclaimPolicy")), "Delete");
    CHECK_STR(json_string_value(json_object_get(sc, "volumeBindingMode")), "Immediate");
    json_decref(sc);
}

TEST(test_hostile_input)
{
    /* deep nesting where the schema allows it, and junk everywhere */
    json_t *root = json_object();
    json_t *cur = root;
    for (int i = 0; i < 500; i++) {
        json_t *next = json_object();
        json_object_set_new(cur, i % 2 ? "spec" : "template", next);
        cur = next;
    }
    json_t *errs = json_array();
    size_t n = k1s_schema_unknown_fields(k1s_schema_type(STS), root, errs);
    CHECK(n >= 1);
    char *msg = NULL;
    k1s_schema_check_types(k1s_schema_type(STS), root, &msg);
    free(msg);
    k1s_schema_apply_defaults(k1s_schema_type(STS), root);
    json_decref(root);
    json_decref(errs);
    CHECK_INT(k1s_schema_unknown_fields(NULL, NULL, NULL), 0);
    CHECK_INT(k1s_schema_check_types(NULL, NULL, NULL), 0);
    k1s_schema_apply_defaults(NULL, NULL);
}

K1S_TEST_MAIN(T(test_lookup), T(test_unknown_fields), T(test_check_types), T(test_defaults),
              T(test_hostile_input))
