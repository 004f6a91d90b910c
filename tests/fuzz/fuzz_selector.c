/*
 * fuzz_selector.c - libFuzzer target for the label and field selector
 * parsers (?labelSelector=, ?fieldSelector=): never a crash or a leak, an
 * error comes with a message, and a parsed selector prints as a string
 * that parses again; printing is a fixed point after one round (the first
 * may reorder: field terms are sorted as written, and "==" prints as "=",
 * as in kube).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "k1s_selector.h"

typedef int (*parse_fn)(const char *, k1s_selector **, char **);

static void one(parse_fn parse, const char *s)
{
    k1s_selector *sel = NULL;
    char *err = NULL;
    int rc = parse(s, &sel, &err);
    MUST((rc == 0) == (sel != NULL));
    if (rc != 0) {
        MUST(err != NULL);
        free(err);
        return;
    }
    char *text = k1s_selector_string(sel);
    MUST(text != NULL);
    k1s_selector *again = NULL;
    char *err2 = NULL;
    MUST(parse(text, &again, &err2) == 0);
    char *text2 = k1s_selector_string(again);
    MUST(text2 != NULL);
    k1s_selector *third = NULL;
    char *err3 = NULL;
    MUST(parse(text2, &third, &err3) == 0);
    char *text3 = k1s_selector_string(third);
    MUST(text3 && strcmp(text2, text3) == 0);
    free(text3);
    free(err3);
    k1s_selector_free(third);
    free(text2);
    free(text);
    free(err2);
    k1s_selector_free(again);
    k1s_selector_free(sel);
    free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    MUST(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    one(k1s_label_selector_parse, s);
    one(k1s_field_selector_parse, s);
    free(s);
    return 0;
}
