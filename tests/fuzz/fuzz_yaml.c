/*
 * fuzz_yaml.c - libFuzzer target for k1s_yaml_decode (YAML request
 * bodies): it must never crash, leak or overrun, and a success must be a
 * JSON value that serializes.
 */
#include <stdlib.h>

#include "fuzz_common.h"
#include "k1s_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *out = NULL;
    char *err = NULL;
    int rc = k1s_yaml_decode((const char *)data, size, &out, &err);
    MUST((rc == 0) == (out != NULL));
    MUST(rc == 0 || err != NULL);
    if (out) {
        char *s = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
        MUST(s != NULL);
        free(s);
    }
    json_decref(out);
    free(err);
    return 0;
}
