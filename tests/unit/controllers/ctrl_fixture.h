/*
 * ctrl_fixture.h - what the controller tests share: an API on an in-memory
 * store with the bootstrap objects, controllers started on it, and small
 * get/create/wait helpers. Included by the test files (static functions:
 * each test program gets its own copy, and may leave some unused).
 */
#ifndef K1S_CTRL_FIXTURE_H
#define K1S_CTRL_FIXTURE_H

#include <time.h>
#include <unistd.h>

#include "k1s_api.h"
#include "k1s_controllers.h"

#define WAIT_MS 10000

/* A test program uses the helpers it needs; the rest are not warned of. */
#define FIXTURE_FN static __attribute__((unused))

FIXTURE_FN k1s_api *open_api(void)
{
    k1s_api_config cfg = {.db_path = ":memory:"};
    k1s_api *api = NULL;
    char *err = NULL;
    if (k1s_api_open(&cfg, &api, &err) != 0) {
        fprintf(stderr, "open: %s\n", err ? err : "?");
        free(err);
        return NULL;
    }
    char berr[256];
    if (k1s_api_bootstrap(api, 6443, berr, sizeof berr) != 0) {
        fprintf(stderr, "bootstrap: %s\n", berr);
        k1s_api_close(api);
        return NULL;
    }
    return api;
}

FIXTURE_FN k1s_controllers *start(k1s_api *api)
{
    k1s_controllers_config cfg = {.api = api,
                                  .node_name = "node1"};
    k1s_controllers *ctl = NULL;
    char *err = NULL;
    if (k1s_controllers_start(&cfg, &ctl, &err) != 0) {
        fprintf(stderr, "controllers: %s\n", err ? err : "?");
        free(err);
        return NULL;
    }
    return ctl;
}

FIXTURE_FN void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* JSON written with single quotes, for readability. New reference. */
FIXTURE_FN json_t *J(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *o = json_loads(s, 0, &e);
    if (!o)
        fprintf(stderr, "bad test JSON: %s: %s\n", e.text, s);
    free(s);
    return o;
}

FIXTURE_FN const k1s_kind *K(const char *kind)
{
    return k1s_registry_find_kind("", kind);
}

FIXTURE_FN const char *meta(const json_t *o, const char *f)
{
    return json_string_value(json_object_get(json_object_get(o, "metadata"), f));
}

/* Create an object; returns it as stored (new) or NULL. */
FIXTURE_FN json_t *create(k1s_api *api, const char *kind, const char *ns,
                      const char *text)
{
    json_t *body = J(text);
    k1s_target t = {K(kind), ns, NULL, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    if (!body || k1s_api_create(api, &t, body, NULL, &out, &st)) {
        fprintf(stderr, "create %s: %s\n", kind, st.message ? st.message : "?");
        out = NULL;
    }
    k1s_status_clear(&st);
    json_decref(body);
    return out;
}

FIXTURE_FN json_t *get(k1s_api *api, const char *kind, const char *ns,
                   const char *name)
{
    k1s_target t = {K(kind), ns, name, NULL};
    k1s_status st = {0};
    json_t *out = NULL;
    if (k1s_api_get(api, &t, &out, &st))
        out = NULL;
    k1s_status_clear(&st);
    return out;
}

FIXTURE_FN int del(k1s_api *api, const char *kind, const char *ns, const char *name,
               const char *propagation)
{
    k1s_target t = {K(kind), ns, name, NULL};
    k1s_opts o = {.propagation = propagation, .grace_seconds = -1};
    k1s_status st = {0};
    json_t *out = NULL;
    int removed = 0;
    int rc = k1s_api_delete(api, &t, &o, &out, &removed, &st);
    json_decref(out);
    k1s_status_clear(&st);
    return rc;
}

FIXTURE_FN bool wait_gone(k1s_api *api, const char *kind, const char *ns,
                      const char *name)
{
    for (int waited = 0; waited < WAIT_MS; waited += 10) {
        json_t *o = get(api, kind, ns, name);
        if (!o)
            return true;
        json_decref(o);
        sleep_ms(10);
    }
    return false;
}

FIXTURE_FN bool exists(k1s_api *api, const char *kind, const char *ns,
                   const char *name)
{
    json_t *o = get(api, kind, ns, name);
    json_decref(o);
    return o != NULL;
}

#endif
