/*
 * am_util.h - helpers shared inside the apimachinery component (internal).
 *
 * Error messages here must read exactly like kube-apiserver's, which are
 * produced by Go's fmt package; these helpers reproduce the few Go
 * formatting rules that leak into those messages (%v of decoded JSON,
 * reflect type names; %q quoting is schema's k1s_gotext.h, shared with the
 * schema engine), writing into base's k1s_buf, plus a small
 * index from JSON scalars to positions, used to keep list merges linear.
 *
 * Nothing here is part of the public API; other components must not use it.
 */
#ifndef K1S_AM_UTIL_H
#define K1S_AM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "k1s_buf.h"
#include "k1s_gotext.h" /* k1s__goquote, k1s__utf8_decode */

/* malloc'd formatted string, NULL when out of memory. */
char *k1s__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *k1s__vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Append v the way Go's %v prints the value json.Unmarshal decoded into
 * interface{} (maps as map[k:v ...] with sorted keys, slices as [a b]). */
void k1s__gofmt(k1s_buf *b, const json_t *v);
/* Go's strconv.ParseInt(s, 10, 64), which is also Atoi (Go's int has 64
 * bits): an optional sign, then decimal digits only. true with *out set
 * (out may be NULL); false with *why (may be NULL) the tail of Go's error
 * text: "invalid syntax" or "value out of range". */
bool k1s__go_parse_int(const char *s, long long *out, const char **why);
/* A JSON string's value as a C string, or NULL when v is not a string or
 * holds a NUL byte (which C code would silently truncate at). */
const char *k1s__json_cstr(const json_t *v);
/* The JSON type name Go's decoder uses in "json: cannot unmarshal <kind>
 * into ..." errors: object, array, string, number, bool or null. */
const char *k1s__json_kind(const json_t *v);
/* Go's reflect.TypeOf name of the decoded value, e.g. "string",
 * "map[string]interface {}", "[]interface {}", "int64", "<nil>". */
const char *k1s__gotype(const json_t *v);
/* Whether two decoded values have the same Go type (true and false do). */
bool k1s__same_gotype(const json_t *a, const json_t *b);
/* Go's == on interface values holding scalars: same type and value.
 * Containers are never equal (Go would panic comparing them). */
bool k1s__scalar_eq(const json_t *a, const json_t *b);

/*
 * An index from scalar JSON values to the first position they were added
 * at. Containers are not indexable (k1s__idx_find returns -1 for them),
 * matching Go where maps and slices are not comparable.
 */
typedef struct k1s__idx k1s__idx;
k1s__idx *k1s__idx_new(size_t hint);
void k1s__idx_free(k1s__idx *ix);
/* Record v at pos unless v is already present. 0, or -1 out of memory. */
int k1s__idx_add(k1s__idx *ix, const json_t *v, size_t pos);
/* Position recorded for v, or -1. */
long k1s__idx_find(const k1s__idx *ix, const json_t *v);

#endif
