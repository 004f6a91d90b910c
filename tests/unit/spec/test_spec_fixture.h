/*
 * test_spec_fixture.h - what the kubelet_spec.h tests share beyond the
 * fixture (k1s_fixture.h: JSON written with single quotes, temporary
 * directories): a fake object cache behind k1s_spec_lookup, and reading
 * CRI environment lists.
 */
#ifndef TEST_SPEC_FIXTURE_H
#define TEST_SPEC_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_fixture.h"
#include "k1s_spec.h"

/* Objects by "Kind/ns/name". */
typedef struct fake_cache {
    json_t *objs;
} fake_cache;

static inline const json_t *fake_get(void *ctx, const char *kind, const char *ns, const char *name)
{
    fake_cache *c = ctx;
    char key[512];
    snprintf(key, sizeof key, "%s/%s/%s", kind, ns, name);
    return json_object_get(c->objs, key);
}

/* Add obj (stolen) under kind/ns/name. */
static inline void fake_put(fake_cache *c, const char *kind, const char *ns, const char *name,
                            json_t *obj)
{
    char key[512];
    snprintf(key, sizeof key, "%s/%s/%s", kind, ns, name);
    json_object_set_new(c->objs, key, obj);
}

/* The value of key in a CRI envs array, NULL when absent. */
static inline const char *env_get(const json_t *envs, const char *key)
{
    size_t i;
    const json_t *kv;
    json_array_foreach(envs, i,
                       kv) if (!strcmp(json_string_value(json_object_get(kv, "key")),
                                       key)) return json_string_value(json_object_get(kv, "value"));
    return NULL;
}

#endif
