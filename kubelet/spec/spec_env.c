/*
 * spec_env.c - a container's environment as kubelet's
 * makeEnvironmentVariables builds it: envFrom first (later sources
 * overriding earlier ones), then env in order, each value either expanded
 * ($(VAR) against what is defined so far) or taken from its source.
 */
#include "spec_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_base64.h"

void k1s__spec_fail(k1s_spec_error *e, const char *reason, const char *fmt, ...)
{
    if (!e)
        return;
    snprintf(e->reason, sizeof e->reason, "%s", reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

int k1s__spec_errf(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, K1S__SPEC_ERRLEN, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- $(VAR) expansion ---- */

char *k1s__spec_expand(const char *in, spec_map_fn map, void *ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    size_t n = strlen(in);
    for (size_t i = 0; i < n; i++) {
        if (in[i] != '$' || i + 1 == n) {
            fputc(in[i], f);
            continue;
        }
        char next = in[i + 1];
        if (next == '$') { /* $$: an escaped operator */
            fputc('$', f);
            i++;
        } else if (next == '(') {
            const char *close = strchr(in + i + 2, ')');
            if (!close) { /* incomplete: copied as is */
                fputs("$(", f);
                i++;
                continue;
            }
            size_t nl = (size_t)(close - (in + i + 2));
            char *name = strndup(in + i + 2, nl);
            const char *v = name ? map(ctx, name) : NULL;
            if (v)
                fputs(v, f);
            else
                fprintf(f, "$(%.*s)", (int)nl, in + i + 2);
            free(name);
            i = (size_t)(close - in);
        } else { /* "$x": not an expression */
            fputc('$', f);
            fputc(next, f);
            i++;
        }
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- the environment ---- */

/* Names envFrom may contribute: what the API accepts as env names
 * (printable ASCII but '='); kubelet skips the others. */
static bool env_name_ok(const char *k)
{
    if (!*k)
        return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '=')
            return false;
    return true;
}

static const char *map_env(void *ctx, const char *name)
{
    return json_string_value(json_object_get(ctx, name));
}

/* Decoded Secret value (data is base64 in the object), NULL when absent. */
static json_t *secret_value(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s)
        return NULL;
    size_t n;
    unsigned char *raw = k1s_base64_decode(s, strlen(s), &n);
    if (!raw)
        return NULL;
    json_t *j = json_stringn_nocheck((const char *)raw, n);
    free(raw);
    return j;
}

/* envFrom: 0, or -1 with *e. */
static int env_from(const json_t *pod, const json_t *c, const k1s_spec_lookup *lk, bool lenient,
                    json_t *env, k1s_spec_error *e)
{
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    size_t i;
    const json_t *ef;
    json_array_foreach(json_object_get(c, "envFrom"), i, ef)
    {
        const char *prefix = k1s_json_str_or(ef, "prefix", "");
        bool secret = json_object_get(ef, "secretRef") != NULL;
        const json_t *ref = json_object_get(ef, secret ? "secretRef" : "configMapRef");
        if (!ref)
            continue;
        const char *name = k1s_json_str_or(ref, "name", "");
        const json_t *obj =
            lk && lk->get ? lk->get(lk->ctx, secret ? "Secret" : "ConfigMap", ns, name) : NULL;
        if (!obj) {
            if (lenient || k1s_json_bool(ref, "optional", false))
                continue;
            k1s__spec_fail(e, "CreateContainerConfigError", "%s \"%s\" not found",
                           secret ? "secret" : "configmap", name);
            return -1;
        }
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(obj, "data"), k, v)
        {
            char *key;
            if (asprintf(&key, "%s%s", prefix, k) < 0)
                goto oom;
            json_t *val = secret ? secret_value(v) : json_copy(v);
            if (env_name_ok(key) && json_is_string(val))
                json_object_set_new_nocheck(env, key, val);
            else
                json_decref(val);
            free(key);
        }
    }
    return 0;
oom:
    k1s__spec_fail(e, "CreateContainerConfigError", "out of memory");
    return -1;
}

/* configMapKeyRef / secretKeyRef: 1 with *out set, 0 to skip (optional),
 * -1 with *e. */
static int key_ref(const json_t *pod, const json_t *ref, bool secret, const k1s_spec_lookup *lk,
                   json_t **out, k1s_spec_error *e)
{
    const char *ns = k1s_json_str_or(pod, "metadata.namespace", "");
    const char *name = k1s_json_str_or(ref, "name", ""), *key = k1s_json_str_or(ref, "key", "");
    bool optional = k1s_json_bool(ref, "optional", false);
    const json_t *obj =
        lk && lk->get ? lk->get(lk->ctx, secret ? "Secret" : "ConfigMap", ns, name) : NULL;
    if (!obj) {
        if (optional)
            return 0;
        k1s__spec_fail(e, "CreateContainerConfigError", "%s \"%s\" not found",
                       secret ? "secret" : "configmap", name);
        return -1;
    }
    const json_t *v = json_object_get(json_object_get(obj, "data"), key);
    *out = secret ? secret_value(v) : json_copy((json_t *)v);
    if (!*out || !json_is_string(*out)) {
        json_decref(*out);
        *out = NULL;
        if (optional)
            return 0;
        k1s__spec_fail(e, "CreateContainerConfigError", "couldn't find key %s in %s %s/%s", key,
                       secret ? "Secret" : "ConfigMap", ns, name);
        return -1;
    }
    return 1;
}

/* One env entry's runtime value: 1 with *out, 0 to skip, -1 with *e. */
static int env_value(const json_t *pod, const json_t *c, const json_t *ev,
                     const k1s_spec_lookup *lk, json_t *env, json_t **out, k1s_spec_error *e)
{
    char err[K1S__SPEC_ERRLEN];
    char *s = NULL;
    const char *value = k1s_json_str_or(ev, "value", "");
    const json_t *from = json_object_get(ev, "valueFrom");
    const json_t *r;
    if (*value || !from) {
        s = k1s__spec_expand(value, map_env, env);
        if (!s) {
            k1s__spec_fail(e, "CreateContainerConfigError", "out of memory");
            return -1;
        }
    } else if ((r = json_object_get(from, "fieldRef"))) {
        if (k1s__spec_field_value(pod, r, lk, &s, err) < 0) {
            k1s__spec_fail(e, "CreateContainerConfigError", "%s", err);
            return -1;
        }
    } else if ((r = json_object_get(from, "resourceFieldRef"))) {
        if (k1s__spec_resource_value(pod, c, r, lk, &s, err) < 0) {
            k1s__spec_fail(e, "CreateContainerConfigError", "%s", err);
            return -1;
        }
    } else if ((r = json_object_get(from, "configMapKeyRef"))) {
        return key_ref(pod, r, false, lk, out, e);
    } else if ((r = json_object_get(from, "secretKeyRef"))) {
        return key_ref(pod, r, true, lk, out, e);
    } else {
        s = strdup(""); /* a source kubelet would skip */
    }
    *out = s ? json_stringn_nocheck(s, strlen(s)) : NULL;
    free(s);
    if (!*out) {
        k1s__spec_fail(e, "CreateContainerConfigError", "out of memory");
        return -1;
    }
    return 1;
}

int k1s_spec_envs(const json_t *pod, const json_t *container, const k1s_spec_lookup *lk,
                  json_t **envs, k1s_spec_error *e)
{
    return k1s__spec_envs(pod, container, lk, false, envs, e);
}

int k1s__spec_envs(const json_t *pod, const json_t *container, const k1s_spec_lookup *lk,
                   bool lenient, json_t **envs, k1s_spec_error *e)
{
    *envs = NULL;
    /* name -> value, in first-definition order (jansson keeps insertion
     * order; a redefinition replaces the value in place). */
    json_t *env = json_object();
    if (!env) {
        k1s__spec_fail(e, "CreateContainerConfigError", "out of memory");
        return -1;
    }
    if (env_from(pod, container, lk, lenient, env, e) < 0)
        goto fail;
    size_t i;
    const json_t *ev;
    json_array_foreach(json_object_get(container, "env"), i, ev)
    {
        const char *name = k1s_json_str_or(ev, "name", "");
        if (!*name)
            continue;
        json_t *v = NULL;
        int rc = env_value(pod, container, ev, lk, env, &v, e);
        if (rc < 0 && lenient)
            continue; /* left undefined */
        if (rc < 0)
            goto fail;
        if (rc > 0)
            json_object_set_new_nocheck(env, name, v);
    }
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(env, k, v)
    {
        json_t *kv = json_object();
        json_object_set_new_nocheck(kv, "key", json_stringn_nocheck(k, strlen(k)));
        json_object_set(kv, "value", v);
        if (json_array_append_new(arr, kv) < 0)
            break;
    }
    bool complete = arr && json_array_size(arr) == json_object_size(env);
    json_decref(env);
    if (!complete) {
        json_decref(arr);
        k1s__spec_fail(e, "CreateContainerConfigError", "out of memory");
        return -1;
    }
    *envs = arr;
    return 0;
fail:
    json_decref(env);
    return -1;
}
