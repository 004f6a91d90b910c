/*
 * protobuf_body.c - whole protobuf bodies around the messages
 * protobuf_encode.c writes: the k8s\0 prefix and runtime.Unknown envelope
 * {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding,
 * 4 contentType} of an object or a list, and the frames of a watch stream
 * (a 4-byte big-endian length, then a bare metav1.WatchEvent {1 type,
 * 2 object {1 raw}} whose raw is the object's whole body, as kube's
 * streaming serializer writes them). See k1s_protobuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "k1s_schema.h"
#include "protobuf_int.h"

#define MAGIC "k8s\0"
#define MAGIC_LEN 4
#define META_GROUP "meta.k8s.io"
#define OBJECT_META "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
#define LIST_META "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"

struct k1s_protobuf_list {
    const k1s_type *item_type; /* NULL for PartialObjectMetadata items */
    char *api_version, *kind;
    k1s__pb_writer item; /* scratch: one item's message */
    k1s_buf items;       /* the items as fields 2 of the list message */
    int rc;
};

static bool partial_metadata(const char *api_version, const char *kind)
{
    return !strcmp(kind, "PartialObjectMetadata") &&
           (!strcmp(api_version, META_GROUP "/v1") || !strcmp(api_version, META_GROUP "/v1beta1"));
}

/* PartialObjectMetadata {1 metadata}: what obj's metadata makes of it. */
static int write_partial(k1s__pb_writer *w, const json_t *obj, int depth)
{
    const json_t *m = json_object_get(obj, "metadata");
    if (!m || json_is_null(m))
        return w->rc;
    if (!json_is_object(m))
        return k1s__pbw_fail(w, K1S_PROTOBUF_ENOFORM);
    size_t mark = k1s__pbw_size(w);
    k1s__pb_encode_message(w, k1s_schema_type(OBJECT_META), m, depth + 1);
    k1s__pbw_close(w, mark, 1);
    return w->rc;
}

/* The envelope's fields after raw (written first, going backwards). */
static void write_envelope_tail(k1s__pb_writer *w)
{
    k1s__pbw_field_bytes(w, 4, "", 0);
    k1s__pbw_field_bytes(w, 3, "", 0);
}

/* typeMeta and the prefix, once raw (started at raw_mark) is written. */
static void write_envelope_head(k1s__pb_writer *w, size_t raw_mark, const char *api_version,
                                const char *kind)
{
    k1s__pbw_close(w, raw_mark, 2);
    size_t mark = k1s__pbw_size(w);
    k1s__pbw_field_bytes(w, 2, kind, strlen(kind));
    k1s__pbw_field_bytes(w, 1, api_version, strlen(api_version));
    k1s__pbw_close(w, mark, 1);
    k1s__pbw_bytes(w, MAGIC, MAGIC_LEN);
}

/* The whole body of obj, in front of what w holds. */
static int write_body(k1s__pb_writer *w, const json_t *obj, int depth)
{
    const char *api_version = json_string_value(json_object_get(obj, "apiVersion"));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (!json_is_object(obj) || !api_version || !kind)
        return k1s__pbw_fail(w, K1S_PROTOBUF_EKIND);
    bool partial = partial_metadata(api_version, kind);
    const k1s_type *t = partial ? NULL : k1s__pb_kind_type(api_version, kind);
    if (!partial && !t)
        return k1s__pbw_fail(w, K1S_PROTOBUF_EKIND);
    write_envelope_tail(w);
    size_t raw_mark = k1s__pbw_size(w);
    if (partial)
        write_partial(w, obj, depth);
    else
        k1s__pb_encode_message(w, t, obj, depth + 1);
    write_envelope_head(w, raw_mark, api_version, kind);
    return w->rc;
}

bool k1s_protobuf_kind_known(const char *group, const char *version, const char *kind)
{
    return group && version && kind && k1s_schema_kind(group, version, kind) != NULL;
}

int k1s_protobuf_encode(const json_t *obj, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    k1s__pb_writer w = {0};
    if (write_body(&w, obj, 0) != 0) {
        int rc = w.rc;
        k1s__pbw_free(&w);
        return rc;
    }
    *out = k1s__pbw_take(&w, len);
    return *out ? 0 : K1S_ENOMEM;
}

k1s_protobuf_list *k1s_protobuf_list_new(const char *api_version, const char *item_kind, bool meta)
{
    const k1s_type *t = meta ? NULL : k1s__pb_kind_type(api_version, item_kind);
    if (!meta && !t)
        return NULL;
    k1s_protobuf_list *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->item_type = t;
    l->api_version = strdup(meta ? META_GROUP "/v1" : api_version);
    size_t kn = strlen(item_kind);
    l->kind = meta ? strdup("PartialObjectMetadataList") : malloc(kn + 5);
    if (l->kind && !meta)
        memcpy(l->kind, item_kind, kn), memcpy(l->kind + kn, "List", 5);
    if (!l->api_version || !l->kind) {
        k1s_protobuf_list_free(l);
        return NULL;
    }
    l->items.max = K1S_PROTOBUF_MAX_ENCODED;
    return l;
}

int k1s_protobuf_list_add(k1s_protobuf_list *l, const json_t *item)
{
    if (l->rc)
        return l->rc;
    k1s__pbw_reset(&l->item);
    if (!json_is_object(item))
        k1s__pbw_fail(&l->item, K1S_PROTOBUF_ENOFORM);
    else if (l->item_type)
        k1s__pb_encode_message(&l->item, l->item_type, item, 1);
    else
        write_partial(&l->item, item, 1);
    if (l->item.rc)
        return l->rc = l->item.rc;
    size_t n = k1s__pbw_size(&l->item);
    unsigned char head[11];
    head[0] = (2u << 3) | K1S__PB_LEN;
    k1s_buf_add(&l->items, head, 1 + k1s__pb_varint_bytes(n, head + 1));
    k1s_buf_add(&l->items, l->item.p + l->item.start, n);
    if (k1s_buf_failed(&l->items))
        l->rc = l->items.oom ? K1S_ENOMEM : K1S_ETOOLARGE;
    return l->rc;
}

int k1s_protobuf_list_finish(k1s_protobuf_list *l, const json_t *list_meta, unsigned char **out,
                             size_t *len)
{
    *out = NULL;
    *len = 0;
    if (l->rc)
        return l->rc;
    k1s__pb_writer w = {0};
    write_envelope_tail(&w);
    size_t raw_mark = k1s__pbw_size(&w);
    k1s__pbw_bytes(&w, l->items.p, l->items.len);
    if (json_is_object(list_meta)) {
        size_t mark = k1s__pbw_size(&w);
        k1s__pb_encode_message(&w, k1s_schema_type(LIST_META), list_meta, 1);
        k1s__pbw_close(&w, mark, 1);
    }
    write_envelope_head(&w, raw_mark, l->api_version, l->kind);
    if (w.rc) {
        int rc = w.rc;
        k1s__pbw_free(&w);
        return rc;
    }
    *out = k1s__pbw_take(&w, len);
    return *out ? 0 : K1S_ENOMEM;
}

void k1s_protobuf_list_free(k1s_protobuf_list *l)
{
    if (!l)
        return;
    free(l->api_version);
    free(l->kind);
    k1s__pbw_free(&l->item);
    k1s_buf_free(&l->items);
    free(l);
}

int k1s_protobuf_watch_frame(const char *type, const json_t *obj, k1s_buf *out)
{
    k1s__pb_writer w = {0};
    size_t object_mark = k1s__pbw_size(&w);
    size_t raw_mark = k1s__pbw_size(&w);
    write_body(&w, obj, 1);
    k1s__pbw_close(&w, raw_mark, 1);
    k1s__pbw_close(&w, object_mark, 2);
    k1s__pbw_field_bytes(&w, 1, type, strlen(type));
    size_t n = k1s__pbw_size(&w);
    if (!w.rc && n > UINT32_MAX)
        k1s__pbw_fail(&w, K1S_ETOOLARGE);
    unsigned char be[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                           (unsigned char)(n >> 8), (unsigned char)n};
    k1s__pbw_bytes(&w, be, sizeof be);
    if (w.rc) {
        int rc = w.rc;
        k1s__pbw_free(&w);
        return rc;
    }
    size_t before = out->len;
    k1s_buf_add(out, w.p + w.start, k1s__pbw_size(&w));
    k1s__pbw_free(&w);
    if (k1s_buf_failed(out)) {
        if (out->len > before)
            k1s_buf_truncate(out, before);
        return out->oom ? K1S_ENOMEM : K1S_ETOOLARGE;
    }
    return 0;
}
