/*
 * fuzz_cron.c - libFuzzer harness for the cron parser and, for what it
 * accepts, the next-activation walk (which must end: five years at most).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    k1s_cron *c = NULL;
    char *err = NULL;
    if (k1s_cron_parse(s, NULL, &c, &err) == 0) {
        int64_t t = k1s_cron_next(c, 1765000000);
        if (t)
            (void)k1s_cron_next(c, t);
    }
    free(err);
    k1s_cron_free(c);
    free(s);
    return 0;
}
