/*
 * k1s_patch.h - the three PATCH body types kube-apiserver accepts:
 *
 *   application/json-patch+json            k1s_patch_json       (RFC 6902)
 *   application/merge-patch+json           k1s_patch_merge      (RFC 7386)
 *   application/strategic-merge-patch+json k1s_patch_strategic  (kubectl's
 *                                          default for patch and apply)
 *
 * All take the current object and the decoded patch body as borrowed
 * references, and on success return 0 with *out a new reference to the
 * patched document; the inputs are never modified and *out shares no
 * nodes with them. On failure they return one of the codes below with
 * *err a malloc'd message (NULL only when out of memory) and *out NULL.
 * The patch's own codes are kube's HTTP status, negated (all below
 * K1S_EOWN); out of memory is base's K1S_ENOMEM (k1s_err.h).
 *
 * What kube-apiserver answers for each code (the caller builds the Status):
 *   K1S_PATCH_EBADREQUEST  400 BadRequest, message *err.
 *   K1S_PATCH_ETOOLARGE    413 RequestEntityTooLarge, message
 *                          "Request entity too large: " + *err.
 *   K1S_PATCH_EINVALID     422 Invalid, message K1S_PATCH_MSG_INVALID: kube
 *                          answers this generic text and drops the detail,
 *                          which *err still carries (worth logging).
 *   K1S_PATCH_EINTERNAL    500 with reason "" and message *err: kube treats
 *                          these strategic-merge failures (unknown $patch
 *                          directive, list entry without its merge key, ...)
 *                          as plain errors.
 *   K1S_ENOMEM             out of memory (answer 500).
 *
 * Limits: at most K1S_PATCH_MAX_OPERATIONS JSON patch operations (kube's
 * limit), copy operations may grow the document by at most
 * K1S_PATCH_MAX_COPY_BYTES in total, and documents are processed to a
 * nesting depth of K1S_PATCH_MAX_DEPTH.
 */
#ifndef K1S_PATCH_H
#define K1S_PATCH_H

#include <jansson.h>

#include "k1s_limits.h"

#include "k1s_err.h"
#include "k1s_schema.h"

#define K1S_PATCH_EBADREQUEST (-400)
#define K1S_PATCH_ETOOLARGE (-413)
#define K1S_PATCH_EINVALID (-422)
#define K1S_PATCH_EINTERNAL (-500)

#define K1S_PATCH_MSG_INVALID "the server rejected our request due to an error in our request"

#define K1S_PATCH_MAX_OPERATIONS 10000
/* kube bounds the bytes JSON patch copies by the request body limit */
#define K1S_PATCH_MAX_COPY_BYTES K1S_MAX_OBJECT_BYTES
#define K1S_PATCH_MAX_DEPTH 512

/*
 * RFC 6902 JSON Patch: patch is an array of operations (add, remove,
 * replace, move, copy, test). Paths are JSON pointers ("~1" is '/', "~0" is
 * '~'); "-" appends to an array; negative indices count from the end, as
 * in the library kube uses. Failures are worded like that library's:
 *   add operation does not apply: doc is missing path: "/a/b": missing value
 *   testing value /spec/replicas failed: test failed
 */
int k1s_patch_json(const json_t *doc, const json_t *patch, json_t **out, char **err);

/*
 * RFC 7386 JSON Merge Patch: null deletes a member, objects merge
 * recursively, anything else replaces. A non-object patch replaces the
 * whole document when it is an array, and is rejected ("Invalid JSON
 * Patch", 400) when it is null or a scalar.
 */
int k1s_patch_merge(const json_t *doc, const json_t *patch, json_t **out, char **err);

/*
 * Strategic merge patch, driven by the schema of the document's kind t
 * (k1s_schema.h): lists whose patch strategy includes "merge" are merged by
 * their merge key (containers by name, ports by containerPort, env by
 * name, volumes by name, volumeMounts by mountPath, ...) or, for lists of
 * scalars, as an order-preserving union; other lists are replaced; null
 * deletes a field. Directives: "$patch": "replace" | "delete" in maps and
 * list entries, "$deleteFromPrimitiveList/<field>", "$setElementOrder/
 * <field>", "$retainKeys". Where the schema says nothing (t NULL, a field
 * t does not know, free-form JSON) maps still merge and honour the
 * directives, and lists are replaced.
 */
int k1s_patch_strategic(const k1s_type *t, const json_t *doc, const json_t *patch, json_t **out,
                        char **err);

/*
 * The JSON merge patch that turns from into to (both borrowed): members
 * missing from to become null, differing objects are diffed recursively,
 * everything else is taken from to. *patch is a new reference ({} when
 * equal). Returns 0, K1S_ENOMEM, or K1S_PATCH_EBADREQUEST when the
 * documents nest deeper than K1S_PATCH_MAX_DEPTH.
 */
int k1s_merge_patch_create(const json_t *from, const json_t *to, json_t **patch);

#endif
