/*
 * http_body.c - request bodies to JSON, by their Content-Type: JSON (the
 * default), Kubernetes protobuf and YAML, as kube-apiserver's serializers
 * accept them for objects, DeleteOptions and other request types.
 */
#include "k1s_json.h"
#include "http_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "k1s_protobuf.h"
#include "k1s_strict.h"
#include "k1s_yaml.h"

#define ACCEPTED "application/json, application/yaml, application/vnd.kubernetes.protobuf"

/* Whether ctype names the media type mt: exactly, before any parameters. */
static bool media_type_is(const char *ctype, const char *mt)
{
    size_t n = strlen(mt);
    if (strncasecmp(ctype, mt, n) != 0)
        return false;
    const char *rest = ctype + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

json_t *k1s__body_json(const k1s_req *rq, k1s_status *st)
{
    if (rq->body.len == 0) {
        k1s_err_bad_request(st, "the request body is empty");
        return NULL;
    }
    if (!k1s_utf8_valid(rq->body.p, rq->body.len)) {
        k1s_err_bad_request(st, "the request body is not valid UTF-8");
        return NULL;
    }
    json_error_t je;
    json_t *j = k1s_json_load(rq->body.p, rq->body.len, &je);
    if (!j) {
        k1s_err_bad_request(st,
                            "couldn't get version/kind; json parse error: %s (line %d, column %d)",
                            je.text, je.line, je.column);
        return NULL;
    }
    return j;
}

json_t *k1s__body_duplicates(struct MHD_Connection *c, const k1s_req *rq)
{
    const char *ctype = k1s__header(c, "Content-Type");
    if (ctype && *ctype && !media_type_is(ctype, "application/json"))
        return NULL; /* YAML and protobuf bodies: their decoders keep one value */
    json_t *paths = json_array();
    if (paths && k1s_json_duplicate_fields(rq->body.p, rq->body.len, paths) == 0) {
        json_decref(paths);
        return NULL;
    }
    return paths;
}

json_t *k1s__body_decode(struct MHD_Connection *c, const k1s_req *rq, k1s_status *st)
{
    const char *ctype = k1s__header(c, "Content-Type");
    if (!ctype || !*ctype || media_type_is(ctype, "application/json"))
        return k1s__body_json(rq, st);
    json_t *out = NULL;
    char *err = NULL;
    int rc;
    if (k1s_protobuf_content_type(ctype)) {
        rc = k1s_protobuf_decode(k1s_buf_str(&rq->body), rq->body.len, &out, &err);
        if (rc)
            k1s_err_bad_request(st, "%s", err ? err : "invalid protobuf body");
    } else if (media_type_is(ctype, "application/yaml")) {
        if (rq->body.len == 0) {
            k1s_err_bad_request(st, "the request body is empty");
            return NULL;
        }
        rc = k1s_yaml_decode(k1s_buf_str(&rq->body), rq->body.len, &out, &err);
        if (rc) /* an alias bomb too: kube's YAML library refuses it with a 400 */
            k1s_err_bad_request(st, "error converting YAML to JSON: %s",
                                err ? err : "invalid YAML");
    } else {
        k1s_status_set(st, 415, "UnsupportedMediaType",
                       "the body of the request was in an unknown format - accepted media types "
                       "include: " ACCEPTED);
        return NULL;
    }
    free(err);
    return out;
}
