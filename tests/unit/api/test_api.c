/*
 * test_api.c - the generic write path through the client interface:
 * metadata, generation, no-op updates, conflicts, finalizers, dry run,
 * subresources and selectors, on an in-memory store.
 */
#include "k1s_test.h"

#include "api_internal.h"
#include "k1s_api.h"
#include "k1s_fixture.h"
#include "k1s_json.h"

#include <string.h>

static json_t *cm(const char *name, const char *value)
{
    return json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                     "metadata", "name", name, "data", "k", value);
}

TEST(test_create_sets_metadata_and_conflicts)
{
    k1s_api *api = fx_api_open();
    CHECK(api != NULL);
    if (!api)
        return;
    k1s_target t = {k1s_registry_find_kind("", "ConfigMap"), "default", "a", NULL};
    k1s_status st = {0};
    json_t *in = cm("a", "1"), *out = NULL;
    CHECK_INT(k1s_api_create(api, &t, in, NULL, &out, &st), 0);
    CHECK(k1s_meta(out, "uid") != NULL);
    CHECK(k1s_meta(out, "creationTimestamp") != NULL);
    CHECK(k1s_meta(out, "resourceVersion") != NULL);
    CHECK_STR(k1s_meta(out, "namespace"), "default");
    json_decref(out);
    out = NULL;
    CHECK_INT(k1s_api_create(api, &t, in, NULL, &out, &st), -1);
    CHECK_INT(st.code, 409);
    CHECK_STR(st.reason, "AlreadyExists");
    CHECK_STR(st.message, "configmaps \"a\" already exists");
    k1s_status_clear(&st);
    json_decref(in);
    k1s_api_close(api);
}

/* The same five "random" bytes for the first three names, then others. */
static int random_calls;
static void colliding_random(unsigned char *buf, size_t n)
{
    memset(buf, random_calls++ < 3 ? 1 : 2, n);
}

TEST(test_generated_name_collisions_are_retried)
{
    k1s_api *api = fx_api_open();
    CHECK(api != NULL);
    if (!api)
        return;
    api->fill_random = colliding_random;
    k1s_target t = {k1s_registry_find_kind("", "ConfigMap"), "default", NULL, NULL};
    k1s_status st = {0};
    json_t *in = json_pack("{s:{s:s}}", "metadata", "generateName", "gen-"), *a = NULL, *b = NULL;
    CHECK_INT(k1s_api_create(api, &t, in, NULL, &a, &st), 0);
    /* the second create draws the taken name twice, then a free one */
    CHECK_INT(k1s_api_create(api, &t, in, NULL, &b, &st), 0);
    CHECK_INT(st.code, 0);
    CHECK_STR(k1s_meta(a, "name"), "gen-ccccc");
    CHECK_STR(k1s_meta(b, "name"), "gen-ddddd");
    CHECK_INT(random_calls, 4);
    /* a name the client chose is never changed */
    json_t *named = cm("gen-ccccc", "x"), *c = NULL;
    k1s_target tn = {t.kind, "default", "gen-ccccc", NULL};
    CHECK_INT(k1s_api_create(api, &tn, named, NULL, &c, &st), -1);
    CHECK_INT(st.code, 409);
    k1s_status_clear(&st);
    /* names that keep colliding give up after kube's 8 tries: 409 */
    random_calls = 0;
    json_decref(b);
    b = NULL;
    json_t *again = json_pack("{s:{s:s}}", "metadata", "generateName", "gen-");
    api->fill_random = colliding_random; /* 3 x "ccccc" then "ddddd" forever */
    CHECK_INT(k1s_api_create(api, &t, again, NULL, &b, &st), -1);
    CHECK_INT(st.code, 409);
    CHECK_INT(random_calls, 8);
    k1s_status_clear(&st);
    json_decref(again);
    json_decref(named);
    json_decref(in);
    json_decref(a);
    k1s_api_close(api);
}

TEST(test_update_noop_conflict_and_generation)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_target t = {k1s_registry_find_kind("", "ConfigMap"), "default", "b", NULL};
    k1s_status st = {0};
    json_t *in = cm("b", "1"), *v1 = NULL, *v2 = NULL, *v3 = NULL;
    CHECK_INT(k1s_api_create(api, &t, in, NULL, &v1, &st), 0);
    /* the same object again: no write, same resourceVersion */
    CHECK_INT(k1s_api_update(api, &t, v1, NULL, &v2, &st), 0);
    CHECK_STR(k1s_meta(v2, "resourceVersion"), k1s_meta(v1, "resourceVersion"));
    json_t *changed = json_deep_copy(v1);
    json_object_set_new(json_object_get(changed, "data"), "k", json_string("2"));
    CHECK_INT(k1s_api_update(api, &t, changed, NULL, &v3, &st), 0);
    CHECK(strcmp(k1s_meta(v3, "resourceVersion"), k1s_meta(v1, "resourceVersion")) != 0);
    /* the stale version now conflicts, and nothing changes */
    json_t *out = NULL;
    CHECK_INT(k1s_api_update(api, &t, changed, NULL, &out, &st), -1);
    CHECK_INT(st.code, 409);
    CHECK_STR(
        st.message,
        "Operation cannot be fulfilled on configmaps \"b\": the object has been modified; please apply your changes to the latest version and try again");
    k1s_status_clear(&st);
    json_decref(in);
    json_decref(v1);
    json_decref(v2);
    json_decref(v3);
    json_decref(changed);

    /* generation moves with spec changes only */
    k1s_target d = {k1s_registry_find_kind("apps", "Deployment"), "default", "web", NULL};
    json_t *dep = fx_json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
                          "'spec':{'replicas':1,'selector':{'matchLabels':{'app':'web'}},"
                          "'template':{'metadata':{'labels':{'app':'web'}},"
                          "'spec':{'containers':[{'name':'c','image':'nginx:1'}]}}}}");
    json_t *d1 = NULL, *d2 = NULL, *d3 = NULL;
    CHECK_INT(k1s_api_create(api, &d, dep, NULL, &d1, &st), 0);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(d1, "metadata"), "generation")),
              1);
    json_t *lp = fx_json("{'metadata':{'labels':{'x':'y'}}}");
    CHECK_INT(k1s_api_patch(api, &d, K1S_PATCH_MERGE, lp, NULL, &d2, &st), 0);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(d2, "metadata"), "generation")),
              1);
    json_t *sp = fx_json("{'spec':{'replicas':3}}");
    CHECK_INT(k1s_api_patch(api, &d, K1S_PATCH_STRATEGIC, sp, NULL, &d3, &st), 0);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(d3, "metadata"), "generation")),
              2);
    json_decref(dep);
    json_decref(lp);
    json_decref(sp);
    json_decref(d1);
    json_decref(d2);
    json_decref(d3);
    k1s_status_clear(&st);
    k1s_api_close(api);
}

TEST(test_finalizers_hold_deletion)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_target t = {k1s_registry_find_kind("", "ConfigMap"), "default", "f", NULL};
    k1s_status st = {0};
    json_t *in = cm("f", "1");
    json_object_set_new(json_object_get(in, "metadata"), "finalizers",
                        json_pack("[s]", "example.com/hold"));
    json_t *out = NULL;
    CHECK_INT(k1s_api_create(api, &t, in, NULL, &out, &st), 0);
    json_decref(out);
    int removed = -1;
    CHECK_INT(k1s_api_delete(api, &t, NULL, &out, &removed, &st), 0);
    CHECK_INT(removed, 0);
    CHECK(k1s_meta(out, "deletionTimestamp") != NULL);
    json_decref(out);
    json_t *clear = fx_json("{'metadata':{'finalizers':null}}");
    CHECK_INT(k1s_api_patch(api, &t, K1S_PATCH_MERGE, clear, NULL, &out, &st), 0);
    json_decref(out);
    CHECK_INT(k1s_api_get(api, &t, &out, &st), -1);
    CHECK_INT(st.code, 404);
    k1s_status_clear(&st);
    json_decref(clear);
    json_decref(in);
    k1s_api_close(api);
}

TEST(test_dry_run_writes_nothing)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_target t = {k1s_registry_find_kind("", "ConfigMap"), "default", "dry", NULL};
    k1s_status st = {0};
    k1s_opts o = {.dry_run = true, .grace_seconds = -1};
    json_t *in = cm("dry", "1"), *out = NULL;
    int64_t before = k1s_store_revision(k1s_api_store(api));
    CHECK_INT(k1s_api_create(api, &t, in, &o, &out, &st), 0);
    CHECK(out != NULL);
    json_decref(out);
    CHECK_INT(k1s_store_revision(k1s_api_store(api)), before);
    CHECK_INT(k1s_api_get(api, &t, &out, &st), -1);
    k1s_status_clear(&st);
    json_decref(in);
    k1s_api_close(api);
}

TEST(test_scale_subresource_and_namespace_checks)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_status st = {0};
    k1s_target d = {k1s_registry_find_kind("apps", "Deployment"), "default", "s", NULL};
    json_t *dep = fx_json("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'s'},"
                          "'spec':{'selector':{'matchLabels':{'app':'s'}},"
                          "'template':{'metadata':{'labels':{'app':'s'}},"
                          "'spec':{'containers':[{'name':'c','image':'nginx:1'}]}}}}");
    json_t *out = NULL;
    CHECK_INT(k1s_api_create(api, &d, dep, NULL, &out, &st), 0);
    json_decref(out);
    k1s_target sc = {d.kind, "default", "s", "scale"};
    json_t *p = fx_json("{'spec':{'replicas':4}}");
    CHECK_INT(k1s_api_patch(api, &sc, K1S_PATCH_MERGE, p, NULL, &out, &st), 0);
    CHECK_STR(json_string_value(json_object_get(out, "kind")), "Scale");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(out, "spec"), "replicas")), 4);
    CHECK_STR(json_string_value(json_object_get(json_object_get(out, "status"), "selector")),
              "app=s");
    json_decref(out);
    CHECK_INT(k1s_api_get(api, &d, &out, &st), 0);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(out, "spec"), "replicas")), 4);
    json_decref(out);
    /* a namespace that does not exist */
    k1s_target missing = {k1s_registry_find_kind("", "ConfigMap"), "nowhere", "x", NULL};
    json_t *c = cm("x", "1");
    CHECK_INT(k1s_api_create(api, &missing, c, NULL, &out, &st), -1);
    CHECK_INT(st.code, 404);
    CHECK_STR(st.message, "namespaces \"nowhere\" not found");
    k1s_status_clear(&st);
    json_decref(c);
    json_decref(p);
    json_decref(dep);
    k1s_api_close(api);
}

typedef struct {
    int n;
} counter;

static int count_item(void *ctx, const char *json, size_t len)
{
    (void)json;
    (void)len;
    ((counter *)ctx)->n++;
    return 0;
}

TEST(test_list_selectors_and_pages)
{
    k1s_api *api = fx_api_open();
    if (!api)
        return;
    k1s_status st = {0};
    const k1s_kind *k = k1s_registry_find_kind("", "ConfigMap");
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i);
        json_t *c = cm(name, "v"), *out = NULL;
        json_object_set_new(json_object_get(c, "metadata"), "labels",
                            json_pack("{s:s}", "even", i % 2 ? "no" : "yes"));
        k1s_target t = {k, "default", name, NULL};
        CHECK_INT(k1s_api_create(api, &t, c, NULL, &out, &st), 0);
        json_decref(out);
        json_decref(c);
    }
    counter n = {0};
    k1s_list_result res;
    k1s_list_opts lo = {.label_selector = "even=yes"};
    CHECK_INT(k1s_api_list(api, k, "default", &lo, count_item, &n, &res, &st), 0);
    CHECK_INT(n.n, 3);
    k1s_list_result_free(&res);
    k1s_list_opts fo = {.field_selector = "metadata.name=c4"};
    n.n = 0;
    CHECK_INT(k1s_api_list(api, k, NULL, &fo, count_item, &n, &res, &st), 0);
    CHECK_INT(n.n, 1);
    k1s_list_result_free(&res);
    k1s_list_opts bad = {.field_selector = "spec.nothing=x"};
    CHECK_INT(k1s_api_list(api, k, NULL, &bad, count_item, &n, &res, &st), -1);
    CHECK_INT(st.code, 400);
    CHECK_STR(st.message, "field label not supported: spec.nothing");
    k1s_status_clear(&st);
    /* pages of two, following continue tokens */
    int total = 0, pages = 0;
    char *tok = NULL;
    do {
        k1s_list_opts po = {.limit = 2, .continue_token = tok};
        n.n = 0;
        CHECK_INT(k1s_api_list(api, k, "default", &po, count_item, &n, &res, &st), 0);
        free(tok);
        tok = res.continue_token ? strdup(res.continue_token) : NULL;
        k1s_list_result_free(&res);
        total += n.n;
        pages++;
    } while (tok && pages < 10);
    CHECK_INT(total, 5);
    CHECK_INT(pages, 3);
    free(tok);
    k1s_api_close(api);
}

/* resourceVersion arguments: digits that fit int64, nothing else (a
 * 19-digit value past INT64_MAX must not overflow). */
TEST(test_parse_rv)
{
    int64_t v = -1;
    CHECK_INT(k1s_parse_rv("0", &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(k1s_parse_rv("9223372036854775807", &v), 0);
    CHECK(v == INT64_MAX);
    CHECK_INT(k1s_parse_rv("9223372036854775808", &v), -1);
    CHECK_INT(k1s_parse_rv("9999999999999999999", &v), -1);
    CHECK_INT(k1s_parse_rv("99999999999999999999", &v), -1);
    CHECK_INT(k1s_parse_rv("12a", &v), -1);
    CHECK_INT(k1s_parse_rv("-1", &v), -1);
    CHECK_INT(k1s_parse_rv("", &v), -1);
    CHECK_INT(k1s_parse_rv(NULL, &v), -1);
}

K1S_TEST_MAIN(T(test_parse_rv), T(test_create_sets_metadata_and_conflicts),
              T(test_generated_name_collisions_are_retried),
              T(test_update_noop_conflict_and_generation), T(test_finalizers_hold_deletion),
              T(test_dry_run_writes_nothing), T(test_scale_subresource_and_namespace_checks),
              T(test_list_selectors_and_pages))
