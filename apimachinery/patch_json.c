/*
 * patch_json.c - RFC 6902 JSON Patch as kube-apiserver applies it (the
 * evanphx/json-patch v4 library): same operations, same leniencies
 * (negative array indices, "replace" of a missing object member adds it,
 * a null member counts as missing) and the same error texts, which kube
 * answers with 422 (see k1s_patch.h for what reaches the client).
 */
#include "patch_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct jp {
    json_t *root;  /* the document being patched (owned) */
    size_t copied; /* bytes added by copy operations so far */
    k1s__perr e;
} jp;

/* ---- JSON pointers ------------------------------------------------------- */

/* One reference token, unescaped ("~1" -> "/", "~0" -> "~"). */
static char *decode_token(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            out[w++] = s[i + 1] == '1' ? '/' : '~';
            i++;
        } else {
            out[w++] = s[i];
        }
    }
    out[w] = '\0';
    return out;
}

/* "strconv.Atoi: parsing \"<s>\": <why>" */
static char *atoi_error(const char *s, const char *why)
{
    k1s_buf b = {0};
    k1s_buf_adds(&b, "strconv.Atoi: parsing ");
    k1s__goquote(&b, s, strlen(s));
    k1s_buf_addf(&b, ": %s", why);
    return k1s_buf_take(&b, NULL);
}

/* The container (object or array; borrowed, inside root) holding the last
 * token of path, with that token decoded into *key (malloc'd); NULL when the
 * path does not lead to one. */
static json_t *find_container(json_t *root, const char *path, char **key)
{
    *key = NULL;
    const char *first = strchr(path, '/');
    if (!first)
        return NULL; /* fewer than two segments */
    const char *last = strrchr(path, '/');
    json_t *cur = root;
    /* the segments between the first and the last '/' lead to the
     * container; whatever precedes the first '/' is ignored, as Go does */
    for (const char *seg = first + 1; seg <= last;) {
        const char *end = strchr(seg, '/');
        char *part = decode_token(seg, (size_t)(end - seg));
        if (!part)
            return NULL;
        json_t *next = NULL;
        if (json_is_object(cur)) {
            next = json_object_get(cur, part);
        } else if (json_is_array(cur)) {
            long long idx;
            const char *why;
            long long len = (long long)json_array_size(cur);
            if (k1s__go_parse_int(part, &idx, &why) && idx >= -len && idx < len)
                next = json_array_get(cur, (size_t)(idx < 0 ? idx + len : idx));
        }
        free(part);
        if (!json_is_object(next) && !json_is_array(next))
            return NULL;
        cur = next;
        seg = end + 1;
    }
    *key = decode_token(last + 1, strlen(last + 1));
    return *key ? cur : NULL;
}

/* ---- container operations ------------------------------------------------ */

/* An array index for get/set/remove; NULL or the error message. *out is
 * first set past any array, so that a message lost to out of memory (NULL
 * too) reads as a missing element instead of an uninitialised index. */
static char *array_index(json_t *a, const char *key, size_t *out)
{
    *out = SIZE_MAX;
    long long idx;
    const char *why;
    if (!k1s__go_parse_int(key, &idx, &why))
        return atoi_error(key, why);
    long long len = (long long)json_array_size(a);
    if (idx >= len || idx < -len)
        return k1s__asprintf("Unable to access invalid index: %lld: invalid "
                             "index referenced",
                             idx);
    *out = (size_t)(idx < 0 ? idx + len : idx);
    return NULL;
}

/* Value at key (borrowed; NULL for a missing or null object member).
 * Returns an error message for bad array indices, else NULL. */
static char *c_get(json_t *c, const char *key, json_t **val)
{
    *val = NULL;
    if (json_is_object(c)) {
        json_t *v = json_object_get(c, key);
        *val = json_is_null(v) ? NULL : v;
        return NULL;
    }
    size_t i;
    char *msg = array_index(c, key, &i);
    if (!msg) {
        json_t *v = json_array_get(c, i);
        *val = json_is_null(v) ? NULL : v;
    }
    return msg;
}

/* Insert v (stolen) at key; an error message or NULL. */
static char *c_add(json_t *c, const char *key, json_t *v, bool *oom)
{
    *oom = false;
    if (json_is_object(c)) {
        *oom = json_object_set_new(c, key, v) != 0;
        return NULL;
    }
    if (strcmp(key, "-") == 0) {
        *oom = json_array_append_new(c, v) != 0;
        return NULL;
    }
    long long idx;
    const char *why;
    char *msg = NULL;
    if (!k1s__go_parse_int(key, &idx, &why)) {
        char *a = atoi_error(key, why);
        msg = a ? k1s__asprintf("value was not a proper array index: '%s': %s", key, a) : NULL;
        free(a);
        json_decref(v);
        return msg ? msg : strdup("out of memory");
    }
    long long sz = (long long)json_array_size(c) + 1;
    if (idx >= sz || idx < -sz) {
        json_decref(v);
        return k1s__asprintf("Unable to access invalid index: %lld: invalid "
                             "index referenced",
                             idx);
    }
    if (idx < 0)
        idx += sz;
    *oom = json_array_insert_new(c, (size_t)idx, v) != 0;
    return NULL;
}

static char *c_remove(json_t *c, const char *key)
{
    if (json_is_object(c)) {
        if (json_object_get(c, key)) {
            json_object_del(c, key);
            return NULL;
        }
        return k1s__asprintf("Unable to remove nonexistent key: %s: missing "
                             "value",
                             key);
    }
    size_t i;
    char *msg = array_index(c, key, &i);
    if (!msg)
        json_array_remove(c, i);
    return msg;
}

/* ---- operations ---------------------------------------------------------- */

/* A string member of the operation, or NULL when absent, null or not a
 * string (*bad set for the last case, which Go reports as a decode error). */
static const char *op_str(const json_t *op, const char *name, bool *bad)
{
    const json_t *v = json_object_get(op, name);
    const char *s = k1s__json_cstr(v);
    *bad = !s && v && !json_is_null(v);
    return s;
}

/* The message for a path or from member that is missing or malformed. */
static int bad_member(jp *p, const char *opname, const char *member, const json_t *op, bool plain)
{
    const json_t *v = json_object_get(op, member);
    if (plain) /* add, remove and copy's path say only "missing value" */
        return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                              "%s operation failed to decode %s: missing value", opname, member);
    if (v && !json_is_null(v))
        return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                              "%s operation failed to decode %s: json: cannot "
                              "unmarshal %s into Go value of type string",
                              opname, member, k1s__json_kind(v));
    return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                          "%s operation failed to decode %s: operation%s "
                          "missing %s field: missing value",
                          opname, member, strcmp(member, "from") ? "" : ",", member);
}

/* A deep copy of the operation's value (new reference; JSON null when it
 * has none), NULL when out of memory. */
static json_t *op_value(jp *p, const json_t *op)
{
    json_t *v = json_object_get(op, "value");
    json_t *c = v ? json_deep_copy(v) : json_null();
    if (!c)
        k1s__perr_oom(&p->e);
    return c;
}

static int fail_msg(jp *p, char *msg)
{
    return k1s__perr_set(&p->e, K1S_PATCH_EINVALID, msg);
}

static int op_add(jp *p, const json_t *op)
{
    bool bad;
    const char *path = op_str(op, "path", &bad);
    if (!path)
        return bad_member(p, "add", "path", op, true);
    char *key;
    json_t *c = find_container(p->root, path, &key);
    if (!c)
        return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                              "add operation does not apply: doc is missing "
                              "path: \"%s\": missing value",
                              path);
    json_t *v = op_value(p, op);
    int rc = 0;
    if (v) {
        bool oom;
        char *msg = c_add(c, key, v, &oom);
        if (msg) {
            rc = fail_msg(p, k1s__asprintf("error in add for path: '%s': %s", path, msg));
            free(msg);
        } else if (oom) {
            rc = k1s__perr_oom(&p->e);
        }
    } else {
        rc = p->e.code;
    }
    free(key);
    return rc;
}

static int op_remove(jp *p, const json_t *op)
{
    bool bad;
    const char *path = op_str(op, "path", &bad);
    if (!path)
        return bad_member(p, "remove", "path", op, true);
    char *key;
    json_t *c = find_container(p->root, path, &key);
    if (!c)
        return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                              "remove operation does not apply: doc is missing "
                              "path: \"%s\": missing value",
                              path);
    char *msg = c_remove(c, key);
    int rc = 0;
    if (msg) {
        rc = fail_msg(p, k1s__asprintf("error in remove for path: '%s': %s", path, msg));
        free(msg);
    }
    free(key);
    return rc;
}

static int op_replace(jp *p, const json_t *op)
{
    bool bad;
    const char *path = op_str(op, "path", &bad);
    if (!path)
        return bad_member(p, "replace", "path", op, false);
    if (!*path) {
        /* the whole document; a scalar value is silently ignored */
        json_t *v = json_object_get(op, "value");
        if (json_is_object(v) || json_is_array(v)) {
            json_t *c = json_deep_copy(v);
            if (!c)
                return k1s__perr_oom(&p->e);
            json_decref(p->root);
            p->root = c;
        }
        return 0;
    }
    char *key;
    json_t *c = find_container(p->root, path, &key);
    if (!c)
        return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                              "replace operation does not apply: doc is "
                              "missing path: %s: missing value",
                              path);
    /* an object member is set whether or not it exists; an array index
     * must exist */
    size_t i = 0;
    char *msg = json_is_array(c) ? array_index(c, key, &i) : NULL;
    int rc = 0;
    if (msg) {
        free(msg);
        rc = k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                            "replace operation does not apply: doc is missing "
                            "key: %s: missing value",
                            path);
        goto cleanup;
    }
    json_t *v = op_value(p, op);
    if (!v)
        rc = p->e.code;
    else if (json_is_object(c) ? json_object_set_new(c, key, v) : json_array_set_new(c, i, v))
        rc = k1s__perr_oom(&p->e);
cleanup:
    free(key);
    return rc;
}

static int op_move(jp *p, const json_t *op)
{
    bool bad;
    const char *from = op_str(op, "from", &bad);
    if (!from)
        return bad_member(p, "move", "from", op, false);
    char *key = NULL, *dkey = NULL;
    json_t *val = NULL;
    int rc = 0;
    json_t *c = find_container(p->root, from, &key);
    if (!c) {
        rc = k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                            "move operation does not apply: doc is missing "
                            "from path: %s: missing value",
                            from);
        goto cleanup;
    }
    json_t *v;
    char *msg = c_get(c, key, &v);
    if (!msg) {
        val = v ? json_incref(v) : json_null();
        msg = c_remove(c, key);
    }
    if (msg) {
        rc = fail_msg(p, k1s__asprintf("error in move for path: '%s': %s", key, msg));
        free(msg);
        goto cleanup;
    }
    const char *path = op_str(op, "path", &bad);
    if (!path) {
        rc = bad_member(p, "move", "path", op, false);
        goto cleanup;
    }
    json_t *d = find_container(p->root, path, &dkey);
    if (!d) {
        rc = k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                            "move operation does not apply: doc is missing "
                            "destination path: %s: missing value",
                            path);
        goto cleanup;
    }
    bool oom;
    msg = c_add(d, dkey, val, &oom);
    val = NULL;
    if (msg) {
        rc = fail_msg(p, k1s__asprintf("error in move for path: '%s': %s", path, msg));
        free(msg);
    } else if (oom) {
        rc = k1s__perr_oom(&p->e);
    }
cleanup:
    json_decref(val);
    free(key);
    free(dkey);
    return rc;
}

static int op_test(jp *p, const json_t *op)
{
    bool bad;
    const char *path = op_str(op, "path", &bad);
    if (!path)
        return bad_member(p, "test", "path", op, false);
    char *key;
    json_t *c = find_container(p->root, path, &key);
    if (!c)
        return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                              "test operation does not apply: is missing path: "
                              "%s: missing value",
                              path);
    json_t *val;
    char *msg = c_get(c, key, &val);
    free(key);
    if (msg) {
        int rc = fail_msg(p, k1s__asprintf("error in test for path: '%s': %s", path, msg));
        free(msg);
        return rc;
    }
    const json_t *want = json_object_get(op, "value");
    bool ok;
    if (!val) /* missing and null are the same to the library */
        ok = want && json_is_null(want);
    else
        ok = want && json_equal(val, (json_t *)want);
    if (ok)
        return 0;
    return k1s__perr_setf(&p->e, K1S_PATCH_EINVALID, "testing value %s failed: test failed", path);
}

static int op_copy(jp *p, const json_t *op)
{
    bool bad;
    const char *from = op_str(op, "from", &bad);
    if (!from)
        return bad_member(p, "copy", "from", op, false);
    char *key = NULL, *dkey = NULL;
    json_t *copy = NULL;
    int rc = 0;
    json_t *c = find_container(p->root, from, &key);
    if (!c) {
        rc = k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                            "copy operation does not apply: doc is missing "
                            "from path: %s: missing value",
                            from);
        goto cleanup;
    }
    json_t *v;
    char *msg = c_get(c, key, &v);
    if (msg) {
        rc = fail_msg(p, k1s__asprintf("error in copy for from: '%s': %s", from, msg));
        free(msg);
        goto cleanup;
    }
    const char *path = op_str(op, "path", &bad);
    if (!path) {
        rc = bad_member(p, "copy", "path", op, true);
        goto cleanup;
    }
    json_t *d = find_container(p->root, path, &dkey);
    if (!d) {
        rc = k1s__perr_setf(&p->e, K1S_PATCH_EINVALID,
                            "copy operation does not apply: doc is missing "
                            "destination path: %s: missing value",
                            path);
        goto cleanup;
    }
    /* Copies are the one way a patch can grow a document beyond its own
     * size (a value copied onto itself doubles); bound the total. */
    size_t sz = v ? json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 4;
    p->copied += sz;
    if (p->copied > K1S_PATCH_MAX_COPY_BYTES) {
        rc = k1s__perr_setf(&p->e, K1S_PATCH_ETOOLARGE,
                            "Unable to complete the copy, the accumulated size "
                            "increase of copy is %zu, exceeding the limit %zu",
                            p->copied, K1S_PATCH_MAX_COPY_BYTES);
        goto cleanup;
    }
    copy = v ? json_deep_copy(v) : json_null();
    if (!copy) {
        rc = k1s__perr_oom(&p->e);
        goto cleanup;
    }
    bool oom;
    msg = c_add(d, dkey, copy, &oom);
    copy = NULL;
    if (msg) {
        rc = fail_msg(p, k1s__asprintf("error while adding value during copy: "
                                       "%s",
                                       msg));
        free(msg);
    } else if (oom) {
        rc = k1s__perr_oom(&p->e);
    }
cleanup:
    json_decref(copy);
    free(key);
    free(dkey);
    return rc;
}

int k1s_patch_json(const json_t *doc, const json_t *patch, json_t **out, char **err)
{
    jp p = {0};
    *out = NULL;
    *err = NULL;
    if (patch && !json_is_null(patch) && !json_is_array(patch)) {
        k1s__perr_setf(&p.e, K1S_PATCH_EBADREQUEST,
                       "json: cannot unmarshal %s into Go value of type "
                       "jsonpatch.Patch",
                       k1s__json_kind(patch));
        goto cleanup;
    }
    size_t n = json_array_size(patch);
    for (size_t i = 0; i < n; i++) {
        const json_t *op = json_array_get(patch, i);
        if (!json_is_object(op) && !json_is_null(op)) {
            k1s__perr_setf(&p.e, K1S_PATCH_EBADREQUEST,
                           "json: cannot unmarshal %s into Go value of type "
                           "jsonpatch.Operation",
                           k1s__json_kind(op));
            goto cleanup;
        }
    }
    if (n > K1S_PATCH_MAX_OPERATIONS) {
        k1s__perr_setf(&p.e, K1S_PATCH_ETOOLARGE,
                       "The allowed maximum operations in a JSON patch is %d, "
                       "got %zu",
                       K1S_PATCH_MAX_OPERATIONS, n);
        goto cleanup;
    }
    p.root = json_deep_copy(doc);
    if (!p.root) {
        k1s__perr_oom(&p.e);
        goto cleanup;
    }
    for (size_t i = 0; i < n && !p.e.code; i++) {
        const json_t *op = json_array_get(patch, i);
        bool bad;
        const char *kind = json_is_object(op) ? op_str(op, "op", &bad) : NULL;
        if (!kind)
            kind = "unknown";
        if (strcmp(kind, "add") == 0)
            op_add(&p, op);
        else if (strcmp(kind, "remove") == 0)
            op_remove(&p, op);
        else if (strcmp(kind, "replace") == 0)
            op_replace(&p, op);
        else if (strcmp(kind, "move") == 0)
            op_move(&p, op);
        else if (strcmp(kind, "test") == 0)
            op_test(&p, op);
        else if (strcmp(kind, "copy") == 0)
            op_copy(&p, op);
        else
            k1s__perr_setf(&p.e, K1S_PATCH_EINVALID, "Unexpected kind: %s", kind);
    }
cleanup:
    if (p.e.code) {
        json_decref(p.root);
        return k1s__perr_finish(&p.e, err);
    }
    *out = p.root;
    return 0;
}
