/*
 * table_json.c - the JSON helpers the cell functions are written with
 * beside base's k1s_json_* (see tables_int.h): counts, arrays, and cells
 * as JSON values.
 *
 * Reads treat a missing, null or mistyped field as absent, which is what
 * Go's zero values give the printers in kube-apiserver.
 */
#include "tables_int.h"

/* ---- reads ---------------------------------------------------------------- */

size_t k1s__tb_count(const json_t *obj, const char *path)
{
    const json_t *v = k1s_json_at(obj, path);
    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_object(v))
        return json_object_size(v);
    return 0;
}

const json_t *k1s__tb_array(const json_t *obj, const char *path)
{
    const json_t *v = k1s_json_at(obj, path);
    return json_is_array(v) ? v : NULL;
}

/* ---- cells ---------------------------------------------------------------- */

json_t *k1s__tb_jstr(const char *s)
{
    return json_string(s ? s : "");
}

json_t *k1s__tb_jint(long long v)
{
    return json_integer((json_int_t)v);
}

json_t *k1s__tb_jbool(bool v)
{
    return json_boolean(v);
}

void k1s__tb_add_quantity(k1s_buf *sb, const json_t *q, const char *missing)
{
    /* Stored quantities are kept as the client sent them (string or
     * number); kube canonicalises ("1024Mi" -> "1Gi") when it decodes. */
    if (json_is_string(q))
        k1s_buf_adds(sb, json_string_value(q));
    else if (json_is_integer(q))
        k1s_buf_addf(sb, "%lld", (long long)json_integer_value(q));
    else if (json_is_real(q))
        k1s_buf_addf(sb, "%.17g", json_real_value(q));
    else
        k1s_buf_adds(sb, missing);
}

json_t *k1s__tb_jquantity(const json_t *q)
{
    k1s_buf sb = K1S__CELL_BUF;
    k1s__tb_add_quantity(&sb, q, "0");
    return k1s__tb_jbuf(&sb);
}

json_t *k1s__tb_jbuf(k1s_buf *b)
{
    /* A full cell keeps the text that fit (see K1S__CELL_MAX). */
    json_t *j = b->oom ? NULL : json_stringn(k1s_buf_str(b), b->len);
    k1s_buf_free(b);
    return j;
}
