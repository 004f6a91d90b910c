/*
 * http_accept.c - what form of an object the Accept header asks for: the
 * object, a meta.k8s.io Table, or only its metadata (PartialObjectMetadata,
 * and PartialObjectMetadataList for lists, as client-go's metadata client
 * and kubectl ask), and in which encoding: JSON, or Kubernetes protobuf
 * for kinds that have a protobuf form (client-go's typed clients put it
 * first). The media ranges are read in order and the first one k1s can
 * answer wins. Also the replies that follow from it.
 */
#include "http_internal.h"
#include "k1s_protobuf.h"

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

static bool protobuf_type(const char *type)
{
    return !strcasecmp(type, "application/vnd.kubernetes.protobuf");
}

/* The form one media range asks for, or -1 when k1s cannot give it. */
static int form_of(const media *m, bool list, bool protobuf)
{
    if (!*m->as)
        return K1S_AS_OBJECT;
    bool meta_group =
        !strcmp(m->g, "meta.k8s.io") && (!strcmp(m->v, "v1") || !strcmp(m->v, "v1beta1"));
    if (!meta_group)
        return -1;
    if (!strcmp(m->as, "Table"))
        return protobuf ? -1 : K1S_AS_TABLE; /* Tables have no protobuf form */
    if (!strcmp(m->as, list ? "PartialObjectMetadataList" : "PartialObjectMetadata"))
        return K1S_AS_META;
    return -1;
}

k1s_accept k1s__accept(struct MHD_Connection *c, bool list, bool protobuf)
{
    k1s_accept out = {K1S_AS_OBJECT, false, true};
    const char *a = k1s__header(c, "Accept");
    if (!a)
        return out;
    bool chosen = false, only_protobuf = true;
    for (const char *p = a; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        media m;
        parse_media(p, n, &m);
        p += n + (comma ? 1 : 0);
        bool pb = protobuf_type(m.type);
        if (!pb)
            only_protobuf = false;
        if (chosen || !(pb ? protobuf : json_like(m.type)))
            continue;
        int form = form_of(&m, list, pb);
        if (form < 0)
            continue;
        out.as = (k1s_as)form;
        out.protobuf = pb;
        chosen = true;
    }
    /* Anything else unknown is answered in JSON, as before; a client that
     * takes nothing but protobuf gets 406 where there is none. */
    out.json = !only_protobuf;
    return out;
}

k1s_accept k1s__accept_kind(struct MHD_Connection *c, const k1s_kind *k, bool list)
{
    return k1s__accept(c, list, k1s_protobuf_kind_known(k->group, k->version, k->kind));
}

bool k1s__accept_none(const k1s_accept *a)
{
    return !a->protobuf && !a->json;
}

enum MHD_Result k1s__reply_not_acceptable(struct MHD_Connection *c, bool protobuf)
{
    return k1s__reply_errorf(c, 406, "NotAcceptable",
                             "only the following media types are accepted: application/json, "
                             "application/yaml%s",
                             protobuf ? ", application/vnd.kubernetes.protobuf" : "");
}

enum MHD_Result k1s__reply_encoded(struct MHD_Connection *c, int code, const json_t *obj,
                                   const json_t *warnings, const k1s_accept *a)
{
    if (a->protobuf) {
        unsigned char *b = NULL;
        size_t n = 0;
        if (k1s_protobuf_encode(obj, &b, &n) == 0)
            return k1s__reply_text(c, code, K1S_PROTOBUF_MEDIA_TYPE, (char *)b, n, warnings);
        /* something the message cannot carry: JSON loses nothing */
        if (!a->json)
            return k1s__reply_not_acceptable(c, false);
    }
    return k1s__reply_json(c, code, obj, warnings);
}

json_t *k1s__partial_metadata(const json_t *obj)
{
    json_t *m = json_object_get(obj, "metadata");
    return json_pack("{s:s, s:s, s:o}", "kind", "PartialObjectMetadata", "apiVersion",
                     "meta.k8s.io/v1", "metadata", m ? json_incref(m) : json_object());
}
