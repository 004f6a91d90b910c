/*
 * fuzz_strict.c - libFuzzer target for k1s_json_duplicate_fields (the
 * duplicate-key pass over request bodies): never a crash, a leak or an
 * overrun, and it agrees with jansson's own duplicate check: a text jansson
 * parses with JSON_REJECT_DUPLICATES has none, and one where we find any is
 * refused by it.
 */
#include <jansson.h>

#include "fuzz_common.h"
#include "k1s_strict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *paths = json_array();
    MUST(paths != NULL);
    size_t n = k1s_json_duplicate_fields((const char *)data, size, paths);
    MUST(n == json_array_size(paths));
    json_error_t e;
    json_t *strict =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (strict)
        MUST(n == 0);
    json_decref(strict);
    json_decref(paths);
    return 0;
}
