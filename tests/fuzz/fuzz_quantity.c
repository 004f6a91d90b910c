/*
 * fuzz_quantity.c - libFuzzer target for resource quantities (every
 * requests/limits/capacity value a client sends): never a crash, and a
 * quantity that parses has a canonical form that parses to an equal one.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "k1s_quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    MUST(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    k1s_quantity q, back;
    if (k1s_quantity_parse(s, &q) == 0) {
        char *c = k1s_quantity_string(&q);
        MUST(c != NULL);
        MUST(k1s_quantity_parse(c, &back) == 0);
        MUST(k1s_quantity_cmp(&q, &back) == 0);
        char *canon = NULL;
        MUST(k1s_quantity_canonical(s, &canon) == 0 && canon != NULL);
        free(canon);
        free(c);
    } else {
        MUST(k1s_quantity_strerror(k1s_quantity_parse(s, &q)) != NULL);
    }
    free(s);
    return 0;
}
