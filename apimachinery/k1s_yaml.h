/*
 * k1s_yaml.h - decoding of YAML request bodies (Content-Type:
 * application/yaml) into the JSON the same object would have been sent as.
 *
 * kube-apiserver turns YAML into JSON before decoding it, resolving plain
 * scalars by YAML 1.1's rules as its YAML library does: null/~/empty are
 * null, true/false/yes/no/on/off/y/n (any of their case forms) are booleans,
 * decimal, 0x, 0o/leading-0 octal and 0b integers (with '_' separators) are
 * integers, decimal floats are numbers (integral ones as integers, as Go's
 * JSON prints them); quoted, literal and folded scalars and anything else
 * are strings. Anchors and aliases are expanded, merge keys ("<<") fill keys
 * the mapping does not set itself. Only the first document is read.
 *
 * Hostile input is bounded: nesting depth, and the output a body may make
 * us build (an alias costs what it expands to, so "billion laughs" bodies
 * are refused, not expanded). Thread-safe; no global state.
 */
#ifndef K1S_YAML_H
#define K1S_YAML_H

#include <stddef.h>
#include <jansson.h>

#include "k1s_err.h"

/* Deepest nesting of mappings and sequences decoded. */
#define K1S_YAML_MAX_DEPTH 128
/* Bound on what one body may make us build: 64 per value plus the bytes of
 * each string, counting every copy an alias makes. */
#define K1S_YAML_MAX_OUTPUT (64u << 20)

/*
 * Decodes buf[0..len). On success returns 0 and *out is the new JSON value
 * of the first document (JSON null for an empty body). On failure returns
 * K1S_EINVAL (not YAML, or YAML that has no JSON form: a non-scalar key,
 * an unknown alias, .inf/.nan), K1S_ETOOLARGE (depth or output limit) or
 * K1S_ENOMEM; *out is NULL and, when err is not NULL, *err is a malloc'd
 * message for a 400 response (callers free it).
 */
int k1s_yaml_decode(const char *buf, size_t len, json_t **out, char **err);

#endif
