/*
 * fuzz_protobuf.c - libFuzzer target for k1s_protobuf_decode (Kubernetes
 * protobuf request bodies, for every kind the schema knows): never a
 * crash, a leak or an overrun; a success is an object that serializes, and
 * that k1s_protobuf_encode turns into a body decoding to the same object.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "k1s_protobuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *out = NULL;
    char *err = NULL;
    int rc = k1s_protobuf_decode((const char *)data, size, &out, &err);
    MUST((rc == 0) == (out != NULL));
    if (out) {
        MUST(json_is_object(out));
        char *s = json_dumps(out, JSON_COMPACT);
        MUST(s != NULL);
        free(s);
        unsigned char *b = NULL;
        size_t n = 0;
        int erc = k1s_protobuf_encode(out, &b, &n);
        if (erc != 0)
            fprintf(stderr, "encode: %d\n", erc);
        MUST(erc == 0);
        json_t *back = NULL;
        char *berr = NULL;
        MUST(k1s_protobuf_decode((const char *)b, n, &back, &berr) == 0);
        /* compared as sorted text: json_equal stops at a NUL inside a key */
        char *x = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
        char *y = json_dumps(back, JSON_COMPACT | JSON_SORT_KEYS);
        MUST(x && y);
        if (strcmp(x, y) != 0)
            fprintf(stderr, "decoded  %s\nre-coded %s\n", x, y);
        MUST(strcmp(x, y) == 0);
        free(x);
        free(y);
        json_decref(back);
        free(berr);
        free(b);
    }
    json_decref(out);
    free(err);
    return 0;
}
