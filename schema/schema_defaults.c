/*
 * schema_defaults.c - k1s_schema_apply_defaults: static defaulting from the
 * default= values of the type descriptions. A field that is absent or null
 * (Go decodes null to the zero value, which its defaulter then fills) gets
 * its default; the walk then descends into object fields, list items and map
 * values, so defaults inside a default ({} for securityContext) apply too.
 * Nothing is created where the parent object is missing.
 */
#include "k1s_schema_internal.h"

static void defaults_object(const k1s_type *t, json_t *obj, int depth);

static void defaults_value(k1s_tkind kind, k1s_tkind elem, k1s_tkind elem2, const k1s_type *t,
                           json_t *v, int depth)
{
    if (depth > K1S__SCHEMA_MAX_DEPTH)
        return;
    if (kind == K1S_T_OBJECT) {
        defaults_object(t, v, depth + 1);
    } else if (kind == K1S_T_ARRAY && json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            defaults_value(elem, elem2, K1S_T_STRING, t, item, depth + 1);
    } else if (kind == K1S_T_MAP && json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item)
            defaults_value(elem, elem2, K1S_T_STRING, t, item, depth + 1);
    }
}

static bool has_objects(k1s_tkind kind, k1s_tkind elem, k1s_tkind elem2)
{
    if (kind == K1S_T_OBJECT)
        return true;
    if (kind == K1S_T_ARRAY || kind == K1S_T_MAP)
        return elem == K1S_T_OBJECT ||
               ((elem == K1S_T_ARRAY || elem == K1S_T_MAP) && elem2 == K1S_T_OBJECT);
    return false;
}

static void defaults_object(const k1s_type *t, json_t *obj, int depth)
{
    if (k1s__schema_opaque(t) || !json_is_object(obj))
        return;
    for (size_t i = 0; i < t->nfields; i++) {
        const k1s_field *f = &t->fields[i];
        json_t *v = json_object_get(obj, f->name); /* borrowed */
        if (f->default_json && (!v || json_is_null(v))) {
            /* new reference, handed to obj; the text was checked by the
               generator, so a failure here can only be out of memory */
            json_t *d = json_loads(f->default_json, JSON_DECODE_ANY, NULL);
            if (d && json_object_set_new(obj, f->name, d) == 0)
                v = json_object_get(obj, f->name);
        }
        const k1s__field_ext *ext = k1s__schema_field_ext_of(f);
        if (ext && ext->no_defaults)
            continue;
        if (v && has_objects(f->kind, f->elem, k1s_schema_field_elem2(f)))
            defaults_value(f->kind, f->elem, k1s_schema_field_elem2(f), f->type, v, depth);
    }
}

void k1s_schema_apply_defaults(const k1s_type *t, json_t *obj)
{
    if (t && obj)
        defaults_object(t, obj, 0);
}
