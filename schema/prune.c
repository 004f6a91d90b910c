/*
 * prune.c - drops fields the schema does not know, as Go's decoder drops
 * them when a request is not decoded strictly. Written by the API server
 * lead; lives here because it only walks the schema.
 */
#include "k1s_schema.h"

static void prune_value(const k1s_field *f, json_t *v, int depth);

static void prune_object(const k1s_type *t, json_t *obj, int depth)
{
    if (!t || !json_is_object(obj) || depth > 64)
        return;
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, val)
    {
        const k1s_field *f = k1s_schema_field(t, key);
        if (!f)
            json_object_del(obj, key);
        else
            prune_value(f, val, depth + 1);
    }
}

static void prune_value(const k1s_field *f, json_t *v, int depth)
{
    if (f->kind == K1S_T_OBJECT) {
        prune_object(f->type, v, depth);
    } else if ((f->kind == K1S_T_ARRAY || f->kind == K1S_T_MAP) && f->elem == K1S_T_OBJECT &&
               f->type) {
        if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) prune_object(f->type, e, depth);
        } else if (json_is_object(v)) {
            const char *k;
            json_t *e;
            json_object_foreach(v, k, e) prune_object(f->type, e, depth);
        }
    }
}

void k1s_schema_prune_unknown(const k1s_type *t, json_t *obj)
{
    prune_object(t, obj, 0);
}
