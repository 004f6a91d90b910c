/*
 * spec_volumes_payload.c - what the files of a configMap, secret,
 * downwardAPI or projected volume contain (pkg/volume/configmap|secret
 * MakePayload, downwardapi CollectData, projected collectData): relative
 * path -> bytes and mode, written afterwards by k1s__spec_atomic_write.
 */
#include "spec_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_base64.h"

#define DEFAULT_MODE 0644

static const char *pod_ns(const json_t *pod)
{
    return k1s_json_str_or(pod, "metadata.namespace", "");
}

static int item_mode(const json_t *item, int default_mode)
{
    return (int)k1s_json_int(item, "mode", default_mode);
}

/* One value of an object's data map: ConfigMap data is text and binaryData
 * base64; Secret data is base64. 1 with *raw malloc'd, 0 when absent. */
static int object_value(const json_t *obj, bool secret, const char *key, unsigned char **raw,
                        size_t *len)
{
    const json_t *v = json_object_get(json_object_get(obj, "data"), key);
    if (v && !secret) {
        const char *s = json_string_value(v);
        if (!s)
            return 0;
        *len = json_string_length(v);
        *raw = malloc(*len + 1);
        if (*raw)
            memcpy(*raw, s, *len + 1);
        return *raw ? 1 : -1;
    }
    if (!v && !secret)
        v = json_object_get(json_object_get(obj, "binaryData"), key);
    const char *b64 = json_string_value(v);
    if (!b64)
        return 0;
    *raw = k1s_base64_decode(b64, strlen(b64), len);
    return *raw ? 1 : 0;
}

/* configMap or secret source (also as a projected source): obj is the
 * object (NULL: missing and optional). */
static int project_object(const json_t *obj, const json_t *src, bool secret, int default_mode,
                          k1s__spec_payload *p, char *err)
{
    bool optional = k1s_json_bool(src, "optional", false);
    const json_t *items = json_object_get(src, "items");
    unsigned char *raw = NULL;
    size_t len = 0;
    if (json_array_size(items) == 0) {
        static const char *const maps[] = {"data", "binaryData"};
        for (size_t m = 0; m < (secret ? 1u : 2u); m++) {
            const char *k;
            json_t *v;
            json_object_foreach(json_object_get(obj, maps[m]), k, v)
            {
                if (object_value(obj, secret, k, &raw, &len) <= 0)
                    continue;
                int rc = k1s__spec_payload_add(p, k, raw, len, default_mode);
                free(raw);
                if (rc < 0)
                    return k1s__spec_errf(err, "out of memory");
            }
        }
        return 0;
    }
    size_t i;
    const json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *key = k1s_json_str_or(it, "key", "");
        int rc = obj ? object_value(obj, secret, key, &raw, &len) : 0;
        if (rc < 0)
            return k1s__spec_errf(err, "out of memory");
        if (rc == 0) {
            if (optional)
                continue;
            return secret ? k1s__spec_errf(err, "references non-existent secret key: %s", key)
                          : k1s__spec_errf(err, "configmap references non-existent config key: %s",
                                           key);
        }
        const char *path = k1s_json_str_or(it, "path", "");
        if (k1s__spec_check_rel_path(path, err) < 0) {
            free(raw);
            return -1;
        }
        rc = k1s__spec_payload_add(p, path, raw, len, item_mode(it, default_mode));
        free(raw);
        if (rc < 0)
            return k1s__spec_errf(err, "out of memory");
    }
    return 0;
}

/* Look the object up: 1 found, 0 missing but optional, -1 error. */
static int fetch(const json_t *pod, const k1s_spec_lookup *lk, bool secret, const char *name,
                 bool optional, const json_t **obj, char *err)
{
    *obj =
        lk && lk->get ? lk->get(lk->ctx, secret ? "Secret" : "ConfigMap", pod_ns(pod), name) : NULL;
    if (*obj)
        return 1;
    if (optional)
        return 0;
    return k1s__spec_errf(err, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
}

int k1s__spec_payload_configmap(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                                int default_mode, k1s__spec_payload *p, char *err)
{
    const json_t *obj;
    if (fetch(pod, lk, false, k1s_json_str_or(src, "name", ""),
              k1s_json_bool(src, "optional", false), &obj, err) < 0)
        return -1;
    return project_object(obj, src, false, default_mode, p, err);
}

int k1s__spec_payload_secret(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                             int default_mode, k1s__spec_payload *p, char *err)
{
    /* the secret volume names it secretName; a projected source, name */
    const char *name = json_object_get(src, "secretName") ? k1s_json_str_or(src, "secretName", "")
                                                          : k1s_json_str_or(src, "name", "");
    const json_t *obj;
    if (fetch(pod, lk, true, name, k1s_json_bool(src, "optional", false), &obj, err) < 0)
        return -1;
    return project_object(obj, src, true, default_mode, p, err);
}

int k1s__spec_payload_downward(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                               int default_mode, k1s__spec_payload *p, char *err)
{
    size_t i;
    const json_t *it;
    json_array_foreach(json_object_get(src, "items"), i, it)
    {
        const char *path = k1s_json_str_or(it, "path", "");
        if (k1s__spec_check_rel_path(path, err) < 0)
            return -1;
        char *value = NULL;
        const json_t *ref;
        int rc = 0;
        if ((ref = json_object_get(it, "fieldRef")))
            rc = k1s__spec_field_value(pod, ref, lk, &value, err);
        else if ((ref = json_object_get(it, "resourceFieldRef")))
            rc = k1s__spec_resource_value(pod, NULL, ref, lk, &value, err);
        if (rc < 0)
            return -1;
        rc = k1s__spec_payload_add(p, path, value ? value : "", value ? strlen(value) : 0,
                                   item_mode(it, default_mode));
        free(value);
        if (rc < 0)
            return k1s__spec_errf(err, "out of memory");
    }
    return 0;
}

int k1s__spec_payload_projected(const json_t *pod, const json_t *src, const k1s_spec_lookup *lk,
                                k1s__spec_payload *p, char *err)
{
    int mode = (int)k1s_json_int(src, "defaultMode", DEFAULT_MODE);
    size_t i;
    const json_t *s, *v;
    json_array_foreach(json_object_get(src, "sources"), i, s)
    {
        int rc = 0;
        if ((v = json_object_get(s, "configMap")))
            rc = k1s__spec_payload_configmap(pod, v, lk, mode, p, err);
        else if ((v = json_object_get(s, "secret")))
            rc = k1s__spec_payload_secret(pod, v, lk, mode, p, err);
        else if ((v = json_object_get(s, "downwardAPI")))
            rc = k1s__spec_payload_downward(pod, v, lk, mode, p, err);
        else if ((v = json_object_get(s, "serviceAccountToken"))) {
            /* k1s issues no tokens: an empty file where the token goes,
             * so images that read it find it. */
            const char *path = k1s_json_str_or(v, "path", "");
            if (k1s__spec_check_rel_path(path, err) < 0)
                return -1;
            if (k1s__spec_payload_add(p, path, "", 0, mode) < 0)
                return k1s__spec_errf(err, "out of memory");
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}
