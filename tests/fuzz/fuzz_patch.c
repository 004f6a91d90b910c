/*
 * fuzz_patch.c - libFuzzer target for the three patch types: the input is a
 * document and a patch (JSON, split at the first newline), applied as a JSON
 * patch, a merge patch and a strategic merge patch with the Pod schema:
 * never a crash or a leak, and each result is an object or an error.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "k1s_patch.h"
#include "k1s_schema.h"

static void check(int rc, json_t *out, char *err)
{
    MUST((rc == 0) == (out != NULL));
    if (out) {
        char *s = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
        MUST(s != NULL);
        free(s);
    }
    json_decref(out);
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (!nl)
        return 0;
    json_t *doc = json_loadb((const char *)data, (size_t)(nl - data), JSON_DECODE_ANY, NULL);
    json_t *patch =
        json_loadb((const char *)nl + 1, size - (size_t)(nl - data) - 1, JSON_DECODE_ANY, NULL);
    if (doc && patch) {
        json_t *out = NULL;
        char *err = NULL;
        check(k1s_patch_json(doc, patch, &out, &err), out, err);
        out = NULL, err = NULL;
        check(k1s_patch_merge(doc, patch, &out, &err), out, err);
        out = NULL, err = NULL;
        check(k1s_patch_strategic(k1s_schema_kind("", "v1", "Pod"), doc, patch, &out, &err), out,
              err);
    }
    json_decref(doc);
    json_decref(patch);
    return 0;
}
