/*
 * ctrl_client.c - the client interface as controllers use it: kinds by
 * name, failures logged (except the expected ones: conflicts and races
 * that the next reconcile settles), the HTTP code returned.
 */
#include "ctrl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int finish(k1s_status *st, const char *verb, const char *kind, const char *name)
{
    int code = st->code ? st->code : 500;
    if (code != 409 && code != 404)
        fprintf(stderr, "k1s: controllers: %s %s %s: %s\n", verb, kind, name ? name : "",
                st->message ? st->message : "?");
    k1s_status_clear(st);
    return code;
}

static const k1s_kind *kind_of(const char *group, const char *kind)
{
    return k1s_registry_find_kind(group, kind);
}

int k1s_ctrl_create(k1s_ctrl *c, const char *group, const char *kind, const char *ns, json_t *obj,
                    json_t **out)
{
    const k1s_kind *k = kind_of(group, kind);
    if (!k)
        return 404;
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    k1s_target t = {k, ns, name, NULL};
    k1s_status st = {0};
    json_t *res = NULL;
    if (k1s_api_create(c->api, &t, obj, NULL, &res, &st))
        return finish(&st, "create", kind, name);
    if (out)
        *out = res;
    else
        json_decref(res);
    return 0;
}

int k1s_ctrl_update(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                    const char *sub, json_t *obj, json_t **out)
{
    const k1s_kind *k = kind_of(group, kind);
    if (!k)
        return 404;
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
    k1s_target t = {k, ns, name, sub};
    k1s_status st = {0};
    json_t *res = NULL;
    if (k1s_api_update(c->api, &t, obj, NULL, &res, &st))
        return finish(&st, "update", kind, name);
    if (out)
        *out = res;
    else
        json_decref(res);
    return 0;
}

int k1s_ctrl_patch(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                   const char *name, const char *sub, const char *merge_patch_json)
{
    return k1s_ctrl_patch_get(c, group, kind, ns, name, sub, merge_patch_json, NULL);
}

int k1s_ctrl_patch_get(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                       const char *name, const char *sub, const char *merge_patch_json,
                       json_t **out)
{
    const k1s_kind *k = kind_of(group, kind);
    if (!k)
        return 404;
    json_t *p = json_loads(merge_patch_json, 0, NULL);
    if (!p)
        return 400;
    k1s_target t = {k, ns, name, sub};
    k1s_status st = {0};
    json_t *res = NULL;
    int rc = k1s_api_patch(c->api, &t, K1S_PATCH_MERGE, p, NULL, &res, &st);
    json_decref(p);
    if (rc)
        return finish(&st, "patch", kind, name);
    if (out)
        *out = res;
    else
        json_decref(res);
    return 0;
}

int k1s_ctrl_delete(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                    const char *name, long long grace_seconds, const char *precondition_uid)
{
    return k1s_ctrl_delete_propagate(c, group, kind, ns, name, grace_seconds, precondition_uid,
                                     NULL);
}

int k1s_ctrl_delete_propagate(k1s_ctrl *c, const char *group, const char *kind, const char *ns,
                              const char *name, long long grace_seconds,
                              const char *precondition_uid, const char *propagation)
{
    const k1s_kind *k = kind_of(group, kind);
    if (!k)
        return 404;
    k1s_target t = {k, ns, name, NULL};
    k1s_opts o = {.grace_seconds = grace_seconds,
                  .precondition_uid = precondition_uid,
                  .propagation = propagation};
    k1s_status st = {0};
    json_t *res = NULL;
    int removed = 0;
    if (k1s_api_delete(c->api, &t, &o, &res, &removed, &st))
        return finish(&st, "delete", kind, name);
    json_decref(res);
    return 0;
}
