/*
 * k1s_strict.h - what kube's strict JSON decoder reports that the parsed
 * tree no longer shows: duplicate object keys (jansson keeps the last).
 * With fieldValidation=Strict kube refuses them (400), with Warn it warns.
 */
#ifndef K1S_STRICT_H
#define K1S_STRICT_H

#include <stddef.h>
#include <jansson.h>

/* Objects nested deeper than this are not looked into (jansson refuses
 * documents deeper than 2048 anyway; real objects stay far below). */
#define K1S_STRICT_MAX_DEPTH 256

/*
 * Appends to paths (a JSON array, borrowed) one string per repeated key of
 * an object in the JSON text, as kube names the field: `a`, `spec.b`,
 * `items[0].c` (a key repeated n times is reported n-1 times); returns the
 * count appended. text need not be NUL-terminated and is never read past
 * len; anything that is not JSON ends the scan with what was found so far.
 */
size_t k1s_json_duplicate_fields(const char *text, size_t len, json_t *paths);

#endif
