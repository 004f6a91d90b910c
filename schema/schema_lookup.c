/*
 * schema_lookup.c - the lookups of k1s_schema.h and k1s_schema_ext.h over the
 * generated tables (schema_data.c): types by name, kinds by
 * group/version/kind, fields by JSON name and by protobuf number, each by
 * binary search, so nothing is built at start-up.
 */
#include <stdint.h>
#include <string.h>

#include "k1s_schema_internal.h"

const k1s_type *k1s_schema_type(const char *name)
{
    if (!name)
        return NULL;
    size_t lo = 0, hi = k1s__schema_ntypes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, k1s__schema_types[mid].name);
        if (c == 0)
            return &k1s__schema_types[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int gvk_cmp(const char *g, const char *v, const char *k, const k1s_type *t)
{
    int c = strcmp(g, t->group);
    if (c == 0)
        c = strcmp(v, t->version);
    if (c == 0)
        c = strcmp(k, t->kind);
    return c;
}

const k1s_type *k1s_schema_kind(const char *group, const char *version, const char *kind)
{
    if (!group || !version || !kind)
        return NULL;
    size_t lo = 0, hi = k1s__schema_nkinds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const k1s_type *t = &k1s__schema_types[k1s__schema_kinds[mid]];
        int c = gvk_cmp(group, version, kind, t);
        if (c == 0)
            return t;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Index of t in the type table, or SIZE_MAX for a type not from it (callers
 * may pass their own k1s_type; those are searched linearly). Compared as
 * integers because t may point anywhere. */
static size_t type_index(const k1s_type *t)
{
    uintptr_t base = (uintptr_t)k1s__schema_types;
    uintptr_t p = (uintptr_t)t;
    if (k1s__schema_ntypes == 0 || p < base)
        return SIZE_MAX;
    uintptr_t off = p - base;
    if (off % sizeof(k1s_type) != 0 || off / sizeof(k1s_type) >= k1s__schema_ntypes)
        return SIZE_MAX;
    return off / sizeof(k1s_type);
}

const k1s_field *k1s_schema_field(const k1s_type *t, const char *name)
{
    if (!t || !name || t->nfields == 0)
        return NULL;
    size_t ti = type_index(t);
    if (ti == SIZE_MAX) {
        for (size_t i = 0; i < t->nfields; i++)
            if (strcmp(t->fields[i].name, name) == 0)
                return &t->fields[i];
        return NULL;
    }
    const unsigned short *order = &k1s__schema_by_name[k1s__schema_type_ext[ti].by_name];
    size_t lo = 0, hi = t->nfields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const k1s_field *f = &t->fields[order[mid]];
        int c = strcmp(name, f->name);
        if (c == 0)
            return f;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const k1s_type *const *k1s_schema_all(size_t *n)
{
    if (n)
        *n = k1s__schema_ntypes;
    return k1s__schema_type_ptrs;
}

const k1s__field_ext *k1s__schema_field_ext_of(const k1s_field *f)
{
    uintptr_t base = (uintptr_t)k1s__schema_fields;
    uintptr_t p = (uintptr_t)f;
    if (!f || k1s__schema_nfields == 0 || p < base)
        return NULL;
    uintptr_t off = p - base;
    if (off % sizeof(k1s_field) != 0 || off / sizeof(k1s_field) >= k1s__schema_nfields)
        return NULL;
    return &k1s__schema_field_ext[off / sizeof(k1s_field)];
}

const char *const *k1s_schema_field_list_map_keys(const k1s_field *f)
{
    const k1s__field_ext *x = k1s__schema_field_ext_of(f);
    return x ? x->list_map_keys : NULL;
}

const char *k1s_schema_field_map_type(const k1s_field *f)
{
    const k1s__field_ext *x = k1s__schema_field_ext_of(f);
    return x ? x->map_type : NULL;
}

k1s_tkind k1s_schema_field_elem2(const k1s_field *f)
{
    const k1s__field_ext *x = k1s__schema_field_ext_of(f);
    return x ? x->elem2 : K1S_T_STRING;
}

const unsigned short *k1s__schema_field_order(const k1s_type *t)
{
    size_t ti = type_index(t);
    if (ti == SIZE_MAX)
        return NULL;
    return &k1s__schema_by_name[k1s__schema_type_ext[ti].by_name];
}

int k1s_schema_field_pb(const k1s_field *f, int *outer, unsigned *flags)
{
    const k1s__field_ext *x = k1s__schema_field_ext_of(f);
    if (outer)
        *outer = x ? x->pb_outer : 0;
    if (flags)
        *flags = x ? x->pb_flags : 0;
    return x ? x->pb : 0;
}

/* Position of the first entry of t's by-pb slice not below (outer, num). */
static size_t pb_lower_bound(const k1s_type *t, const unsigned short *order, size_t n, int outer,
                             int num)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const k1s__field_ext *x = k1s__schema_field_ext_of(&t->fields[order[mid]]);
        if (x->pb_outer < outer || (x->pb_outer == outer && x->pb < num))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const k1s_field *k1s_schema_field_by_pb(const k1s_type *t, int outer, int num)
{
    size_t ti = type_index(t);
    if (ti == SIZE_MAX || num <= 0 || outer < 0)
        return NULL;
    const k1s__type_ext *te = &k1s__schema_type_ext[ti];
    const unsigned short *order = &k1s__schema_by_pb[te->by_pb];
    size_t i = pb_lower_bound(t, order, te->npb, outer, num);
    if (i == te->npb)
        return NULL;
    const k1s_field *f = &t->fields[order[i]];
    const k1s__field_ext *x = k1s__schema_field_ext_of(f);
    return x->pb_outer == outer && x->pb == num ? f : NULL;
}

bool k1s_schema_pb_inline(const k1s_type *t, int num)
{
    size_t ti = type_index(t);
    if (ti == SIZE_MAX || num <= 0)
        return false;
    const k1s__type_ext *te = &k1s__schema_type_ext[ti];
    const unsigned short *order = &k1s__schema_by_pb[te->by_pb];
    size_t i = pb_lower_bound(t, order, te->npb, num, 1);
    return i < te->npb && k1s__schema_field_ext_of(&t->fields[order[i]])->pb_outer == num;
}
