/*
 * k1s_status.h - Kubernetes Status errors and field-error lists.
 *
 * Every failure the API answers is a k1s_status: the HTTP code, the reason
 * and the message exactly as kube-apiserver words them, plus details. Only
 * these helpers build them, so wording stays in one place.
 */
#ifndef K1S_STATUS_H
#define K1S_STATUS_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

typedef struct k1s_status {
    int code;           /* HTTP status; 0 means success */
    const char *reason; /* static string, e.g. "NotFound" */
    char *message;      /* owned, malloc'd */
    json_t *details;    /* owned (new reference) or NULL */
} k1s_status;

/* Release what st owns and zero it. */
void k1s_status_clear(k1s_status *st);
/* Set a status with a printf-style message (replaces what st held). Returns -1
 * so callers can write `return k1s_status_set(...)`. */
int k1s_status_set(k1s_status *st, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Details {name, group, kind[, uid]} as kube-apiserver attaches them. */
void k1s_status_details(k1s_status *st, const char *name, const char *group, const char *kind);
/* The Status object (new reference). */
json_t *k1s_status_json(const k1s_status *st);

/* "pods" or "statefulsets.apps": how kube names a resource in messages. */
void k1s_qualified_resource(char *buf, size_t len, const char *group, const char *resource);

int k1s_err_not_found(k1s_status *st, const char *group, const char *resource, const char *name);
int k1s_err_already_exists(k1s_status *st, const char *group, const char *resource,
                           const char *name);
int k1s_err_conflict(k1s_status *st, const char *group, const char *resource, const char *name,
                     const char *why);
int k1s_err_bad_request(k1s_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int k1s_err_internal(k1s_status *st, const char *what);
int k1s_err_method_not_allowed(k1s_status *st, const char *verb, const char *group,
                               const char *resource);
int k1s_err_gone(k1s_status *st, long long asked, long long oldest);

/* ---- field errors (422 Invalid) ------------------------------------------ */

typedef struct k1s_ferrs {
    json_t *causes; /* owned array of {reason, message, field} */
    json_t *text;   /* owned array of "field: message" strings */
} k1s_ferrs;

void k1s_ferrs_init(k1s_ferrs *fe);
void k1s_ferrs_free(k1s_ferrs *fe);
size_t k1s_ferrs_count(const k1s_ferrs *fe);
void k1s_ferr_required(k1s_ferrs *fe, const char *field, const char *detail);
/* value: borrowed, printed as kube prints it (strings quoted). */
/* Writes the n bytes of s as Go's %q writes a string (control characters
 * as \x00 and the like), so messages quote values as kube's do. */
void k1s_go_quote(FILE *f, const char *s, size_t n);
void k1s_ferr_invalid(k1s_ferrs *fe, const char *field, const json_t *value, const char *detail);
void k1s_ferr_invalid_str(k1s_ferrs *fe, const char *field, const char *value, const char *detail);
/* supported: NULL-terminated list of allowed strings. */
void k1s_ferr_not_supported(k1s_ferrs *fe, const char *field, const json_t *value,
                            const char *const *supported);
void k1s_ferr_forbidden(k1s_ferrs *fe, const char *field, const char *detail);
void k1s_ferr_duplicate(k1s_ferrs *fe, const char *field, const json_t *value);
void k1s_ferr_too_long(k1s_ferrs *fe, const char *field, const json_t *value, int max);
/* Turn fe into a 422 Invalid status for kind Kind.group "name". */
int k1s_err_invalid(k1s_status *st, const char *group, const char *kind, const char *name,
                    const k1s_ferrs *fe);

#endif
