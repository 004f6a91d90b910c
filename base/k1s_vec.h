/*
 * k1s_vec.h - the one growable array: elements of one size, kept in
 * order, reached as ((T *)v.p)[i]. It can be capped (max elements): a
 * full vector refuses the next element and says so, never drops it
 * silently.
 *
 *     k1s_vec v = K1S_VEC(struct item);
 *     struct item *it = k1s_vec_push(&v);   // zeroed; NULL: no room
 *     ...
 *     k1s_vec_free(&v);
 */
#ifndef K1S_VEC_H
#define K1S_VEC_H

#include <stddef.h>

typedef struct k1s_vec {
    void *p; /* malloc'd: n elements of size bytes */
    size_t n, cap;
    size_t size; /* bytes per element (set before the first push) */
    size_t max;  /* most elements (0: as many as memory allows) */
} k1s_vec;

#define K1S_VEC(type) ((k1s_vec){.size = sizeof(type)})

/* A new zeroed element at the end (valid until the next push), or NULL
 * when out of memory or at max. */
void *k1s_vec_push(k1s_vec *v);
/* Copy elem in at the end: 0, K1S_ENOMEM or K1S_ETOOLARGE (at max). */
int k1s_vec_append(k1s_vec *v, const void *elem);
/* Element i (i < n). */
void *k1s_vec_at(const k1s_vec *v, size_t i);
/* Remove element i (i < n), keeping the order of the others. */
void k1s_vec_remove(k1s_vec *v, size_t i);
/* Free the elements (not what they point to) and empty it (size and max
 * kept). */
void k1s_vec_free(k1s_vec *v);

#endif
