/*
 * k1s_json.h - reading and comparing API objects held as jansson values:
 * fields by dotted path, metadata, and the semantic equality kube's
 * controllers and validation use. Every json_t * here is borrowed.
 */
#ifndef K1S_JSON_H
#define K1S_JSON_H

#include <stdbool.h>
#include <jansson.h>

/* Parses the JSON text of an API object (a request body, a stored object,
 * an event): the values may hold \u0000, as kube's decoder allows, so every
 * reader of such text goes through here. New reference, or NULL with err
 * filled (err may be NULL). */
json_t *k1s_json_load(const char *text, size_t len, json_error_t *err);

/* The value at a dotted path of object keys ("spec.template.metadata"):
 * NULL when a step is missing or not an object, or the value is JSON null
 * (Go decodes both to the zero value). Keys holding dots cannot be named
 * this way: use json_object_get for those (labels, annotations). */
const json_t *k1s_json_at(const json_t *o, const char *path);
/* The string at path, or NULL when absent or not a string. */
const char *k1s_json_str(const json_t *o, const char *path);
/* ... or dflt. */
const char *k1s_json_str_or(const json_t *o, const char *path, const char *dflt);
/* The integer at path, or dflt when absent or not an integer. */
long long k1s_json_int(const json_t *o, const char *path, long long dflt);
/* The boolean at path, or dflt when absent or not a boolean. */
bool k1s_json_bool(const json_t *o, const char *path, bool dflt);

/* metadata.<field> as a string, or NULL. */
const char *k1s_meta(const json_t *o, const char *field);
/* A label's or an annotation's value, or NULL when absent. */
const char *k1s_meta_label(const json_t *o, const char *key);
const char *k1s_meta_annotation(const json_t *o, const char *key);

/* The object under key in o, made empty first when it is absent or not an
 * object (o is modified). NULL when out of memory or o is not an object. */
json_t *k1s_json_object_at(json_t *o, const char *key);

/* Whether a and b are equal as kube's Semantic.DeepEqual sees the Go
 * structs they decode into: an absent key, null, [] and {} are all the
 * zero value, and so is an object whose members all are; "", false and 0
 * are not (kube's pointer fields, such as a claim's storageClassName, keep
 * them apart from absent); numbers compare by value; beyond a nesting
 * depth of 64 plain equality decides. */
bool k1s_json_semantic_equal(const json_t *a, const json_t *b);

#endif
