/*
 * api_internal.h - what the api_*.c files share: the context struct and the
 * metadata helpers of the generic write path.
 */
#ifndef K1S_API_INTERNAL_H
#define K1S_API_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "k1s_api.h"
#include "k1s_json.h"
#include "k1s_schema.h"
#include "k1s_time.h"

struct k1s_api {
    k1s_store *store;           /* owned */
    uint32_t svc_net, svc_mask; /* service CIDR, host order */
    int node_port_min, node_port_max;
    /* randomness of generated names: getrandom when NULL (tests set it
     * to make names collide) */
    void (*fill_random)(unsigned char *buf, size_t n);
};

/* A random RFC 4122 version 4 UUID into buf (>= 37 bytes). */
void k1s__uuid(char *buf, size_t len);
/* Object-metadata validation common to every kind (names, labels,
 * annotations, finalizers). old is NULL on create. */
void k1s__validate_meta(const k1s_kind *k, const json_t *obj, const json_t *old, k1s_ferrs *fe);
/* Decode-time checks of a request body against the kind's schema:
 * apiVersion/kind, types, unknown fields per o->field_validation; unknown
 * fields are dropped as kube-apiserver's decoder drops them. */
int k1s__decode_check(const k1s_kind *k, json_t *obj, const k1s_opts *o, k1s_status *st);
const k1s_type *k1s__kind_schema(const k1s_kind *k);
/* A metav1.LabelSelector (borrowed) in kube's string form; malloc'd, or
 * NULL when absent or invalid. */
char *k1s__selector_string(const json_t *label_selector);

#endif
