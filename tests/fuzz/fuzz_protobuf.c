/*
 * fuzz_protobuf.c - libFuzzer target for k1s_protobuf_decode (Kubernetes
 * protobuf request bodies, for every kind the schema knows): never a
 * crash, a leak or an overrun; a success is an object that serializes.
 */
#include <stdlib.h>

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
    }
    json_decref(out);
    free(err);
    return 0;
}
