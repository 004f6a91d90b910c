/*
 * k1s_vec.c - the growable array.
 */
#include "k1s_vec.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_err.h"

static int grow(k1s_vec *v)
{
    assert(v->size > 0);
    if (v->max && v->n >= v->max)
        return K1S_ETOOLARGE;
    if (v->n < v->cap)
        return 0;
    size_t cap = v->cap ? v->cap * 2 : 8;
    if (v->max && cap > v->max)
        cap = v->max;
    if (cap > SIZE_MAX / v->size)
        return K1S_ENOMEM;
    void *p = realloc(v->p, cap * v->size);
    if (!p)
        return K1S_ENOMEM;
    v->p = p;
    v->cap = cap;
    return 0;
}

void *k1s_vec_push(k1s_vec *v)
{
    if (grow(v) != 0)
        return NULL;
    void *e = (char *)v->p + v->n * v->size;
    memset(e, 0, v->size);
    v->n++;
    return e;
}

int k1s_vec_append(k1s_vec *v, const void *elem)
{
    int rc = grow(v);
    if (rc != 0)
        return rc;
    memcpy((char *)v->p + v->n * v->size, elem, v->size);
    v->n++;
    return 0;
}

void *k1s_vec_at(const k1s_vec *v, size_t i)
{
    assert(i < v->n);
    return (char *)v->p + i * v->size;
}

void k1s_vec_remove(k1s_vec *v, size_t i)
{
    assert(i < v->n);
    char *e = (char *)v->p + i * v->size;
    memmove(e, e + v->size, (v->n - i - 1) * v->size);
    v->n--;
}

void k1s_vec_free(k1s_vec *v)
{
    free(v->p);
    v->p = NULL;
    v->n = v->cap = 0;
}
