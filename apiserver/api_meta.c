/*
 * api_meta.c - object metadata shared by every kind: timestamps, UIDs and
 * the decode-time checks of request bodies (apiVersion/kind, types, unknown
 * fields).
 */
#include "api_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void k1s__uuid(char *buf, size_t len)
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        /* getrandom cannot fail for 16 bytes after boot; keep going anyway */
        for (size_t i = 0; i < sizeof b; i++)
            b[i] = (unsigned char)rand();
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

const k1s_type *k1s__kind_schema(const k1s_kind *k)
{
    return k1s_schema_kind(k->group, k->version, k->kind);
}

/* apiVersion and kind must be strings when present; Go's decoder of the
 * type meta refuses anything else before it looks at the rest. */
static int type_meta_field(const json_t *obj, const char *key, const char **out, k1s_status *st)
{
    const json_t *v = json_object_get(obj, key);
    *out = json_string_value(v);
    if (!v || json_is_string(v) || json_is_null(v))
        return 0;
    const char *what = json_is_object(v)    ? "object"
                       : json_is_array(v)   ? "array"
                       : json_is_boolean(v) ? "bool"
                                            : "number";
    return k1s_err_bad_request(
        st,
        "couldn't get version/kind; json parse error: json: cannot unmarshal "
        "%s into Go struct field .%s of type string",
        what, key);
}

/* Sets kind and apiVersion as the object's first keys, where kube's
 * encoding puts them (objects otherwise keep their sender's key order). */
static void type_meta_first(json_t *obj, const char *kind, const char *api_version)
{
    json_t *rest = json_copy(obj);
    json_t *k = json_string(kind), *av = json_string(api_version);
    if (!rest) { /* out of memory: right values, any order */
        json_object_set_new(obj, "kind", k);
        json_object_set_new(obj, "apiVersion", av);
        return;
    }
    json_object_clear(obj);
    json_object_set_new(obj, "kind", k);
    json_object_set_new(obj, "apiVersion", av);
    json_object_del(rest, "kind");
    json_object_del(rest, "apiVersion");
    json_object_update(obj, rest);
    json_decref(rest);
}

int k1s__decode_check(const k1s_kind *k, json_t *obj, const k1s_opts *o, k1s_status *st)
{
    char av[96];
    k1s_kind_api_version(k, av, sizeof av);
    if (!json_is_object(obj))
        return k1s_err_bad_request(st, "the body of the request was not a JSON object");
    const char *bav = NULL, *bkind = NULL;
    if (type_meta_field(obj, "apiVersion", &bav, st) || type_meta_field(obj, "kind", &bkind, st))
        return -1;
    /* Like kube's decoder, a body that leaves apiVersion or kind out takes
     * them from the URL (client libraries' models send neither). */
    if (!bkind || !*bkind || !bav || !*bav) {
        type_meta_first(obj, bkind && *bkind ? bkind : k->kind, bav && *bav ? bav : av);
        bkind = json_string_value(json_object_get(obj, "kind"));
        bav = json_string_value(json_object_get(obj, "apiVersion"));
    }
    if (strcmp(bav, av) != 0)
        return k1s_err_bad_request(
            st, "the API version in the data (%.100s) does not match the expected API version (%s)",
            bav, av);
    if (strcmp(bkind, k->kind) != 0)
        return k1s_err_bad_request(
            st,
            "%.100s in version \"%s\" cannot be handled as a %s: no kind \"%.100s\" is registered for version \"%s\"",
            bkind, k->version, k->kind, bkind, av);
    if (json_object_get(obj, "metadata") && !json_is_object(json_object_get(obj, "metadata")))
        return k1s_err_bad_request(
            st, "%s in version \"%s\" cannot be handled as a %s: metadata must be an object",
            k->kind, k->version, k->kind);

    const k1s_type *t = k1s__kind_schema(k);
    if (!t)
        return 0;
    char *msg = NULL;
    if (k1s_schema_check_types(t, obj, &msg) != 0) {
        k1s_err_bad_request(st, "%s in version \"%s\" cannot be handled as a %s: %s", k->kind,
                            k->version, k->kind, msg ? msg : "invalid object");
        free(msg);
        return -1;
    }
    json_t *unknown = json_array();
    size_t n = k1s_schema_unknown_fields(t, obj, unknown);
    size_t ndup = o && o->duplicates ? json_array_size(o->duplicates) : 0;
    for (size_t i = 0; i < ndup; i++) {
        json_t *d = json_pack("s++", "duplicate field \"",
                              json_string_value(json_array_get(o->duplicates, i)), "\"");
        if (d && json_array_append_new(unknown, d) == 0)
            n++;
    }
    size_t nunknown = n - ndup;
    int rc = 0;
    if (n && o && o->field_validation == K1S_FV_STRICT) {
        /* kube joins several strict errors with ", " */
        size_t cap = 1;
        for (size_t i = 0; i < n; i++)
            cap += strlen(json_string_value(json_array_get(unknown, i))) + 2;
        char *all = calloc(1, cap);
        for (size_t i = 0; all && i < n; i++) {
            if (i)
                strcat(all, ", ");
            strcat(all, json_string_value(json_array_get(unknown, i)));
        }
        k1s_err_bad_request(
            st, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s",
            k->kind, k->version, k->kind, all ? all : "");
        free(all);
        rc = -1;
    } else if (n && o && o->field_validation == K1S_FV_WARN && o->warnings) {
        for (size_t i = 0; i < n; i++)
            json_array_append(o->warnings, json_array_get(unknown, i));
    }
    if (nunknown && rc == 0)
        k1s_schema_prune_unknown(t, obj);
    json_decref(unknown);
    return rc;
}
