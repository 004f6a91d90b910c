/*
 * test_schema_pb.c - the protobuf numbering of the compiled schema
 * (k1s_schema_ext.h): every numbered field is found again by its number,
 * numbers are unique per message, inline messages (Volume's VolumeSource)
 * resolve, and the keepzero flag follows Go's pointer/omitempty facts.
 * Uses only fields sample.def also has, so it runs against it too.
 */
#include <string.h>

#include "k1s_schema.h"
#include "k1s_schema_ext.h"
#include "k1s_test.h"

static const k1s_field *field(const char *type, const char *name)
{
    return k1s_schema_field(k1s_schema_type(type), name);
}

/* Whatever the .def files say, every field with a number comes back from
 * k1s_schema_field_by_pb, so the index is sorted and complete. */
TEST(test_roundtrip_all_fields)
{
    size_t n = 0, numbered = 0;
    const k1s_type *const *all = k1s_schema_all(&n);
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        const k1s_type *t = all[i];
        for (size_t j = 0; j < t->nfields; j++) {
            const k1s_field *f = &t->fields[j];
            int outer = -1;
            int num = k1s_schema_field_pb(f, &outer, NULL);
            CHECK(num >= 0 && outer >= 0);
            if (num == 0) {
                CHECK_INT(outer, 0);
                continue;
            }
            numbered++;
            if (k1s_schema_field_by_pb(t, outer, num) != f) {
                fprintf(stderr, "%s.%s pb=%d.%d not found back\n", t->name, f->name, outer, num);
                CHECK(0);
            }
            if (outer)
                CHECK(k1s_schema_pb_inline(t, outer));
            else
                CHECK(!k1s_schema_pb_inline(t, num));
        }
    }
    CHECK(numbered > 50);
}

/* Facts from k8s.io/api: Pod {metadata 1, spec 2, status 3}, apiVersion and
 * kind travel in the runtime.Unknown envelope instead. */
TEST(test_pod_numbers)
{
    const k1s_type *pod = k1s_schema_kind("", "v1", "Pod");
    CHECK(pod != NULL);
    CHECK(k1s_schema_field_by_pb(pod, 0, 1) == k1s_schema_field(pod, "metadata"));
    CHECK(k1s_schema_field_by_pb(pod, 0, 2) == k1s_schema_field(pod, "spec"));
    CHECK(k1s_schema_field_by_pb(pod, 0, 3) == k1s_schema_field(pod, "status"));
    CHECK(k1s_schema_field_by_pb(pod, 0, 4) == NULL);
    CHECK(k1s_schema_field_by_pb(pod, 0, 0) == NULL);
    CHECK(k1s_schema_field_by_pb(pod, 0, -1) == NULL);
    CHECK(k1s_schema_field_by_pb(NULL, 0, 1) == NULL);
    CHECK_INT(k1s_schema_field_pb(k1s_schema_field(pod, "kind"), NULL, NULL), 0);
    CHECK_INT(k1s_schema_field_pb(NULL, NULL, NULL), 0);

    const k1s_type *spec = k1s_schema_type("io.k8s.api.core.v1.PodSpec");
    CHECK(k1s_schema_field_by_pb(spec, 0, 2) == k1s_schema_field(spec, "containers"));
    CHECK(k1s_schema_field_by_pb(spec, 0, 20) == k1s_schema_field(spec, "initContainers"));
    CHECK(k1s_schema_field_by_pb(spec, 0, 11) == k1s_schema_field(spec, "hostNetwork"));

    const k1s_type *meta = k1s_schema_type("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    CHECK(k1s_schema_field_by_pb(meta, 0, 8) == k1s_schema_field(meta, "creationTimestamp"));
    CHECK(k1s_schema_field_by_pb(meta, 0, 11) == k1s_schema_field(meta, "labels"));
    CHECK(k1s_schema_field_by_pb(meta, 0, 17) == k1s_schema_field(meta, "managedFields"));
}

/* Volume embeds VolumeSource inline as its field 2: emptyDir is 2.2,
 * configMap 2.19, while name is plain 1. */
TEST(test_inline_message)
{
    const k1s_type *vol = k1s_schema_type("io.k8s.api.core.v1.Volume");
    CHECK(vol != NULL);
    CHECK(k1s_schema_pb_inline(vol, 2));
    CHECK(!k1s_schema_pb_inline(vol, 1));
    CHECK(!k1s_schema_pb_inline(vol, 3));
    CHECK(k1s_schema_field_by_pb(vol, 0, 1) == k1s_schema_field(vol, "name"));
    CHECK(k1s_schema_field_by_pb(vol, 0, 2) == NULL);
    CHECK(k1s_schema_field_by_pb(vol, 2, 2) == k1s_schema_field(vol, "emptyDir"));
    CHECK(k1s_schema_field_by_pb(vol, 2, 19) == k1s_schema_field(vol, "configMap"));
    CHECK(k1s_schema_field_by_pb(vol, 2, 1) != k1s_schema_field(vol, "name"));
    int outer = 0;
    CHECK_INT(k1s_schema_field_pb(k1s_schema_field(vol, "emptyDir"), &outer, NULL), 2);
    CHECK_INT(outer, 2);
}

/* keepzero: containerPort is not omitempty, terminationGracePeriodSeconds
 * is a pointer; hostPort and hostNetwork are plain omitempty values. */
TEST(test_keepzero)
{
    unsigned flags = 99;
    k1s_schema_field_pb(field("io.k8s.api.core.v1.ContainerPort", "containerPort"), NULL, &flags);
    CHECK_INT(flags, K1S_PB_KEEPZERO);
    k1s_schema_field_pb(field("io.k8s.api.core.v1.ContainerPort", "hostPort"), NULL, &flags);
    CHECK_INT(flags, 0);
    k1s_schema_field_pb(field("io.k8s.api.core.v1.PodSpec", "terminationGracePeriodSeconds"), NULL,
                        &flags);
    CHECK_INT(flags, K1S_PB_KEEPZERO);
    k1s_schema_field_pb(field("io.k8s.api.core.v1.PodSpec", "hostNetwork"), NULL, &flags);
    CHECK_INT(flags, 0);
    k1s_schema_field_pb(field("io.k8s.api.core.v1.EnvVar", "name"), NULL, &flags);
    CHECK_INT(flags, K1S_PB_KEEPZERO);
    /* metav1.Time, not MicroTime */
    k1s_schema_field_pb(
        field("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "creationTimestamp"), NULL,
        &flags);
    CHECK_INT(flags, 0);
}

K1S_TEST_MAIN(T(test_roundtrip_all_fields), T(test_pod_numbers), T(test_inline_message),
              T(test_keepzero))
