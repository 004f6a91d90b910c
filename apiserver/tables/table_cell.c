/*
 * table_cell.c - the one cell renderer: reads a cell from an object as its
 * column's data says (see k1s__tb_format in tables_int.h), or asks the
 * column's function for the cells that compute.
 */
#include "tables_int.h"

#include <assert.h>
#include <string.h>

/* Elements of the array at path (or each one's member), joined with ",". */
static json_t *list_cell(const json_t *obj, const k1s__tb_cell *c)
{
    const json_t *list = k1s__tb_array(obj, c->path);
    k1s_buf sb = K1S__CELL_BUF;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *e = json_array_get(list, i);
        if (i)
            k1s_buf_adds(&sb, ",");
        if (c->arg)
            k1s_buf_adds(&sb, k1s_json_str_or(e, c->arg, ""));
        else
            k1s_buf_adds(&sb, json_is_string(e) ? json_string_value(e) : "");
    }
    if (sb.len == 0 && c->dflt)
        k1s_buf_adds(&sb, c->dflt);
    return k1s__tb_jbuf(&sb);
}

/* The string member of obj named by the n bytes at name, or "". */
static const char *member_n(const json_t *obj, const char *name, size_t n)
{
    const json_t *v = json_object_getn((json_t *)obj, name, n);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* "a/b" of the object at path: its members a and b, as kube's "%s/%s". */
static json_t *pair_cell(const json_t *obj, const k1s__tb_cell *c)
{
    const json_t *o = k1s_json_at(obj, c->path);
    if (!json_is_object(o) && c->dflt)
        return json_string(c->dflt);
    const char *slash = strchr(c->arg, '/');
    assert(slash); /* K1S__PAIR's members are "a/b" */
    k1s_buf sb = K1S__CELL_BUF;
    k1s_buf_adds(&sb, member_n(o, c->arg, (size_t)(slash - c->arg)));
    k1s_buf_adds(&sb, "/");
    k1s_buf_adds(&sb, member_n(o, slash + 1, strlen(slash + 1)));
    return k1s__tb_jbuf(&sb);
}

json_t *k1s__tb_cell_render(const k1s__tb_cell *c, const json_t *obj, time_t now)
{
    const char *s;
    k1s_buf sb = K1S__CELL_BUF;
    switch (c->as) {
    case K1S__CELL_STR:
        return k1s__tb_jstr(k1s_json_str_or(obj, c->path, c->dflt));
    case K1S__CELL_NONEMPTY:
        s = k1s_json_str(obj, c->path);
        return k1s__tb_jstr(k1s__tb_nonempty(s) ? s : c->dflt);
    case K1S__CELL_INT:
        return k1s__tb_jint(k1s_json_int(obj, c->path, c->ival));
    case K1S__CELL_BOOL:
        return k1s__tb_jbool(k1s_json_bool(obj, c->path, c->ival != 0));
    case K1S__CELL_COUNT:
        return k1s__tb_jint((long long)k1s__tb_count(obj, c->path));
    case K1S__CELL_AGE:
        if (c->dflt && !k1s_json_at(obj, c->path))
            return json_string(c->dflt);
        return k1s__tb_jsince(k1s__tb_time_at(obj, c->path), now);
    case K1S__CELL_LABELS:
        return k1s__tb_jlabels(k1s_json_at(obj, c->path));
    case K1S__CELL_SELECTOR:
        return k1s__tb_jformat_selector(k1s_json_at(obj, c->path));
    case K1S__CELL_LIST:
        return list_cell(obj, c);
    case K1S__CELL_QUANTITY:
        assert(c->dflt);
        k1s__tb_add_quantity(&sb, k1s_json_at(obj, c->path), c->dflt);
        return k1s__tb_jbuf(&sb);
    case K1S__CELL_PAIR:
        return pair_cell(obj, c);
    case K1S__CELL_FN:
        break;
    }
    return c->fn(obj, c, now);
}
