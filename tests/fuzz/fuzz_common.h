/* fuzz_common.h - what the fuzz targets share. */
#ifndef K1S_FUZZ_COMMON_H
#define K1S_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* checked in every build type: NDEBUG must not turn the oracle off */
#define MUST(c)                                                     \
    do {                                                            \
        if (!(c)) {                                                 \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                \
        }                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
