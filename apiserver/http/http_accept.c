/*
 * http_accept.c - what form of an object the Accept header asks for: the
 * object, a meta.k8s.io Table, or only its metadata (PartialObjectMetadata,
 * and PartialObjectMetadataList for lists, as client-go's metadata client
 * and kubectl ask). The media ranges are read in order and the first one
 * k1s can answer wins; protobuf ones are passed over (we answer JSON).
 */
#include "http_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* One media range's type and its as/g/v parameters. */
typedef struct media {
    char type[64], as[40], g[24], v[16];
} media;

static void copy_trimmed(char *dst, size_t cap, const char *p, size_t n)
{
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    snprintf(dst, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
}

static void parse_media(const char *p, size_t n, media *m)
{
    memset(m, 0, sizeof *m);
    const char *semi = memchr(p, ';', n);
    copy_trimmed(m->type, sizeof m->type, p, semi ? (size_t)(semi - p) : n);
    while (semi) {
        const char *param = semi + 1;
        size_t left = n - (size_t)(param - p);
        semi = memchr(param, ';', left);
        size_t len = semi ? (size_t)(semi - param) : left;
        char kv[80];
        copy_trimmed(kv, sizeof kv, param, len);
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        if (!strcmp(kv, "as"))
            snprintf(m->as, sizeof m->as, "%s", eq + 1);
        else if (!strcmp(kv, "g"))
            snprintf(m->g, sizeof m->g, "%s", eq + 1);
        else if (!strcmp(kv, "v"))
            snprintf(m->v, sizeof m->v, "%s", eq + 1);
    }
}

static bool json_like(const char *type)
{
    return !strcasecmp(type, "application/json") || !strcmp(type, "*/*") ||
           !strcasecmp(type, "application/*") || !*type;
}

k1s_as k1s__accept_as(struct MHD_Connection *c, bool list)
{
    const char *a = k1s__header(c, "Accept");
    if (!a)
        return K1S_AS_OBJECT;
    for (const char *p = a; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        media m;
        parse_media(p, n, &m);
        p += n + (comma ? 1 : 0);
        if (!json_like(m.type))
            continue;
        if (!*m.as)
            return K1S_AS_OBJECT;
        bool meta_group =
            !strcmp(m.g, "meta.k8s.io") && (!strcmp(m.v, "v1") || !strcmp(m.v, "v1beta1"));
        if (!meta_group)
            continue;
        if (!strcmp(m.as, "Table"))
            return K1S_AS_TABLE;
        if (!strcmp(m.as, list ? "PartialObjectMetadataList" : "PartialObjectMetadata"))
            return K1S_AS_META;
    }
    return K1S_AS_OBJECT;
}

json_t *k1s__partial_metadata(const json_t *obj)
{
    json_t *m = json_object_get(obj, "metadata");
    return json_pack("{s:s, s:s, s:o}", "kind", "PartialObjectMetadata", "apiVersion",
                     "meta.k8s.io/v1", "metadata", m ? json_incref(m) : json_object());
}
