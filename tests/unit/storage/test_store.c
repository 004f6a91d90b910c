/*
 * test_store.c - unit tests for the object store's non-watch side: the
 * mutate-callback write path, revisions and resourceVersion stamping,
 * restart persistence, list/count/continue, meta, limits and input checks.
 * Watch, compaction and concurrency tests are in test_store_watch.c.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "k1s_fixture.h"
#include "k1s_store.h"
#include "k1s_test.h"

enum { OP_CREATE, OP_UPDATE, OP_DELETE, OP_NOOP, OP_FAIL, OP_RAW };

typedef struct op {
    int kind;
    const char *json; /* object to store (CREATE/UPDATE) */
    json_t *raw;      /* OP_RAW: returned as-is (reference handed over) */
    int called;
    int saw_cur;
    int64_t cur_rev, new_rev;
} op;

static int mutate(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    op *o = ctx;
    o->called++;
    o->saw_cur = cur != NULL;
    o->cur_rev = cur_rev;
    o->new_rev = new_rev;
    switch (o->kind) {
    case OP_CREATE:
        if (cur)
            return K1S_EEXISTS;
        *out = json_loads(o->json, 0, NULL);
        return *out ? K1S_STORE_PUT : K1S_ENOMEM;
    case OP_UPDATE:
        if (!cur)
            return K1S_ENOTFOUND;
        *out = json_loads(o->json, 0, NULL);
        return *out ? K1S_STORE_PUT : K1S_ENOMEM;
    case OP_DELETE:
        return K1S_STORE_DELETE;
    case OP_NOOP:
        return K1S_STORE_NOOP;
    case OP_RAW:
        *out = o->raw;
        o->raw = NULL;
        return K1S_STORE_PUT;
    default:
        return -99;
    }
}

static int run(k1s_store *s, const char *res, const char *ns, const char *name, int kind,
               const char *json, json_t **result, int64_t *rev)
{
    k1s_key k = {"", res, ns, name};
    op o = {.kind = kind, .json = json};
    return k1s_store_update(s, &k, mutate, &o, result, rev);
}

static const char *rv_of(json_t *obj)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

/* metadata.resourceVersion of the stored text for a key, in buf. */
static const char *stored_rv(k1s_store *s, const char *res, const char *ns, const char *name,
                             char *buf, size_t n)
{
    k1s_key k = {"", res, ns, name};
    char *json = NULL;
    int64_t rev = 0;
    buf[0] = '\0';
    if (k1s_store_get(s, &k, &json, &rev) != 0)
        return NULL;
    json_t *o = json_loads(json, 0, NULL);
    const char *rv = rv_of(o);
    if (rv)
        snprintf(buf, n, "%s", rv);
    json_decref(o);
    free(json);
    return rv ? buf : NULL;
}

TEST(test_create_get_update_delete)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    CHECK_INT(k1s_store_revision(s), 0);
    json_t *res = NULL;
    int64_t rev = 0;

    k1s_key k = {"", "pods", "default", "p1"};
    op o = {.kind = OP_CREATE, .json = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\"},\"v\":1}"};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), 0);
    CHECK_INT(o.saw_cur, 0);
    CHECK_INT(o.cur_rev, 0);
    CHECK_INT(o.new_rev, 1);
    CHECK_INT(rev, 1);
    CHECK_STR(rv_of(res), "1");
    json_decref(res);
    CHECK_INT(k1s_store_revision(s), 1);

    char *json = NULL;
    CHECK_INT(k1s_store_get(s, &k, &json, &rev), 0);
    CHECK_INT(rev, 1);
    /* Compact serialization, key order kept, resourceVersion stamped. */
    CHECK_STR(json, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\","
                    "\"resourceVersion\":\"1\"},\"v\":1}");
    free(json);

    /* A second create sees the current object and refuses. */
    o = (op){.kind = OP_CREATE, .json = "{\"metadata\":{}}"};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), K1S_EEXISTS);
    CHECK(res == NULL);
    CHECK_INT(o.saw_cur, 1);
    CHECK_INT(o.cur_rev, 1);
    CHECK_INT(k1s_store_revision(s), 1);

    o = (op){.kind = OP_UPDATE,
             .json = "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\","
                     "\"resourceVersion\":\"999\"},\"v\":2}"};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), 0);
    CHECK_INT(o.cur_rev, 1);
    CHECK_INT(rev, 2);
    CHECK_STR(rv_of(res), "2");
    CHECK_INT(json_integer_value(json_object_get(res, "v")), 2);
    json_decref(res);
    char buf[32];
    CHECK_STR(stored_rv(s, "pods", "default", "p1", buf, sizeof buf), "2");

    o = (op){.kind = OP_DELETE};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), 0);
    CHECK_INT(rev, 3);
    CHECK_STR(rv_of(res), "3");
    CHECK_INT(json_integer_value(json_object_get(res, "v")), 2);
    json_decref(res);
    CHECK_INT(k1s_store_get(s, &k, &json, &rev), K1S_ENOTFOUND);
    CHECK(json == NULL);

    /* Deleting what is absent: the callback sees NULL; DELETE is refused. */
    o = (op){.kind = OP_DELETE};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), K1S_ENOTFOUND);
    CHECK_INT(o.saw_cur, 0);
    o = (op){.kind = OP_UPDATE, .json = "{}"};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, NULL, NULL), K1S_ENOTFOUND);
    CHECK_INT(k1s_store_revision(s), 3);
    k1s_store_close(s);
}

TEST(test_noop_and_errors_use_no_revision)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    json_t *res = NULL;
    int64_t rev = 0;
    CHECK_INT(run(s, "cm", "ns", "a", OP_CREATE, "{\"metadata\":{}}", NULL, NULL), 0);
    CHECK_INT(run(s, "cm", "ns", "a", OP_NOOP, NULL, &res, &rev), 0);
    CHECK_INT(rev, 1);
    CHECK_STR(rv_of(res), "1");
    json_decref(res);
    CHECK_INT(run(s, "cm", "ns", "zz", OP_NOOP, NULL, &res, &rev), 0);
    CHECK(res == NULL);
    CHECK_INT(rev, 0);
    CHECK_INT(run(s, "cm", "ns", "a", OP_FAIL, NULL, &res, &rev), -99);
    CHECK_INT(k1s_store_revision(s), 1);

    /* The next real write gets the very next revision. */
    op o = {.kind = OP_CREATE, .json = "{\"metadata\":{}}"};
    k1s_key k = {"", "cm", "ns", "b"};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, NULL, &rev), 0);
    CHECK_INT(o.new_rev, 2);
    CHECK_INT(rev, 2);
    k1s_store_close(s);
}

TEST(test_put_shapes)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    k1s_key k = {"apps", "deployments", "ns", "d"};
    json_t *res = NULL;
    int64_t rev = 0;
    /* No metadata at all: the store adds it for the resourceVersion. */
    op o = {.kind = OP_RAW, .raw = json_pack("{s:i}", "x", 1)};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), 0);
    CHECK_STR(rv_of(res), "1");
    json_decref(res);
    /* metadata not an object, a non-object, or no object at all: EINVAL. */
    o = (op){.kind = OP_RAW, .raw = json_pack("{s:i}", "metadata", 3)};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), K1S_EINVAL);
    o = (op){.kind = OP_RAW, .raw = json_array()};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), K1S_EINVAL);
    o = (op){.kind = OP_RAW, .raw = NULL};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), K1S_EINVAL);
    CHECK_INT(k1s_store_revision(s), 1);
    /* Strings with NUL characters survive a store round trip. */
    o = (op){.kind = OP_RAW, .raw = json_pack("{s:{},s:s#}", "metadata", "data", "a\0b", 3)};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, NULL, NULL), 0);
    o = (op){.kind = OP_NOOP};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), 0);
    CHECK_INT(json_string_length(json_object_get(res, "data")), 3);
    json_decref(res);
    k1s_store_close(s);
}

TEST(test_too_large)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    size_t n = 3 * 1024 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[n] = '\0';
    k1s_key k = {"", "secrets", "ns", "big"};
    op o = {.kind = OP_RAW, .raw = json_pack("{s:{},s:s}", "metadata", "d", big)};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, NULL, NULL), K1S_ETOOLARGE);
    CHECK_INT(k1s_store_revision(s), 0);
    /* Just under the limit is fine. */
    big[n - 200] = '\0';
    o = (op){.kind = OP_RAW, .raw = json_pack("{s:{},s:s}", "metadata", "d", big)};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, NULL, NULL), 0);
    char *json = NULL;
    CHECK_INT(k1s_store_get(s, &k, &json, NULL), 0);
    CHECK(json && strlen(json) > n - 200);
    free(json);
    free(big);
    k1s_store_close(s);
}

TEST(test_bad_input)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    CHECK_INT(k1s_store_open(NULL, &s), K1S_EINVAL);
    char *json = NULL;
    k1s_key nok = {"", "pods", "ns", NULL};
    CHECK_INT(k1s_store_get(s, &nok, &json, NULL), K1S_EINVAL);
    k1s_key empty = {"", "pods", "ns", ""};
    CHECK_INT(k1s_store_get(s, &empty, &json, NULL), K1S_EINVAL);
    char longname[2000];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    k1s_key lk = {"", "pods", "ns", longname};
    op o = {.kind = OP_CREATE, .json = "{}"};
    CHECK_INT(k1s_store_update(s, &lk, mutate, &o, NULL, NULL), K1S_EINVAL);
    CHECK_INT(o.called, 0);
    k1s_key k = {"", "pods", "ns", "a"};
    CHECK_INT(k1s_store_update(s, &k, NULL, NULL, NULL, NULL), K1S_EINVAL);
    CHECK_INT(k1s_store_list(s, NULL, "pods", NULL, NULL, NULL, 0, (k1s_store_list_fn)NULL, NULL,
                             NULL, NULL),
              K1S_EINVAL);
    int64_t cnt = -1;
    CHECK_INT(k1s_store_count(s, "", longname, NULL, &cnt), K1S_EINVAL);
    k1s_watch *w = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, -1, NULL, NULL, &w), K1S_EINVAL);
    CHECK(w == NULL);
    CHECK_INT(k1s_store_revision(s), 0);
    k1s_store_close(s);
}

/* ---- list ---------------------------------------------------------------- */

typedef struct seen {
    char items[64][64];
    int64_t revs[64];
    int n;
    int stop_at; /* return 7 on this item (1-based), 0: never */
} seen;

static int collect(void *ctx, const char *ns, const char *name, const char *json, size_t len,
                   int64_t rev)
{
    seen *sn = ctx;
    if (strlen(json) != len || sn->n >= 64)
        return -1;
    snprintf(sn->items[sn->n], sizeof sn->items[0], "%s/%s", ns, name);
    sn->revs[sn->n] = rev;
    sn->n++;
    return sn->stop_at && sn->n == sn->stop_at ? 7 : 0;
}

static void fill(k1s_store *s)
{
    /* Created out of order on purpose. */
    const char *keys[][2] = {{"b", "x"}, {"a", "y"}, {"a", "x"},
                             {"c", "a"}, {"a", "z"}, {"b", "a"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        CHECK_INT(
            run(s, "pods", keys[i][0], keys[i][1], OP_CREATE, "{\"metadata\":{}}", NULL, NULL), 0);
    /* Other resources and groups must never show up. */
    CHECK_INT(run(s, "services", "a", "x", OP_CREATE, "{}", NULL, NULL), 0);
    k1s_key k = {"apps", "pods", "a", "q"};
    op o = {.kind = OP_CREATE, .json = "{}"};
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, NULL, NULL), 0);
}

TEST(test_list_order_filter_continue)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    fill(s);
    seen sn = {0};
    int64_t lrev = 0;
    int more = -1;
    CHECK_INT(k1s_store_list(s, "", "pods", NULL, NULL, NULL, 0, collect, &sn, &lrev, &more), 0);
    CHECK_INT(sn.n, 6);
    const char *want[] = {"a/x", "a/y", "a/z", "b/a", "b/x", "c/a"};
    for (int i = 0; i < 6 && i < sn.n; i++)
        CHECK_STR(sn.items[i], want[i]);
    CHECK_INT(sn.revs[0], 3); /* a/x was the third write */
    CHECK_INT(lrev, 8);
    CHECK_INT(more, 0);

    /* Namespace filter. */
    sn = (seen){0};
    CHECK_INT(k1s_store_list(s, "", "pods", "b", NULL, NULL, 0, collect, &sn, &lrev, &more), 0);
    CHECK_INT(sn.n, 2);
    CHECK_STR(sn.items[0], "b/a");
    CHECK_STR(sn.items[1], "b/x");

    /* Pages of 2 over all namespaces, continuing after the last item. */
    const char *an = NULL, *am = NULL;
    char last_ns[64], last_name[64];
    int pages = 0, total = 0;
    do {
        sn = (seen){0};
        CHECK_INT(k1s_store_list(s, "", "pods", NULL, an, am, 2, collect, &sn, &lrev, &more), 0);
        CHECK(sn.n <= 2);
        for (int i = 0; i < sn.n; i++)
            CHECK_STR(sn.items[i], want[total + i]);
        total += sn.n;
        pages++;
        if (sn.n) {
            char *slash = strchr(sn.items[sn.n - 1], '/');
            *slash = '\0';
            snprintf(last_ns, sizeof last_ns, "%s", sn.items[sn.n - 1]);
            snprintf(last_name, sizeof last_name, "%s", slash + 1);
            an = last_ns;
            am = last_name;
        }
        CHECK_INT(more, total < 6);
    } while (more && pages < 10);
    CHECK_INT(total, 6);
    CHECK_INT(pages, 3);

    /* Continue within one namespace (after_ns NULL defaults to ns). */
    sn = (seen){0};
    CHECK_INT(k1s_store_list(s, "", "pods", "a", NULL, "x", 1, collect, &sn, &lrev, &more), 0);
    CHECK_INT(sn.n, 1);
    CHECK_STR(sn.items[0], "a/y");
    CHECK_INT(more, 1);

    /* A continue point in another namespace than the one listed. */
    sn = (seen){0};
    CHECK_INT(k1s_store_list(s, "", "pods", "b", "a", "zzz", 0, collect, &sn, &lrev, &more), 0);
    CHECK_INT(sn.n, 2);
    CHECK_STR(sn.items[0], "b/a");
    sn = (seen){0};
    CHECK_INT(k1s_store_list(s, "", "pods", "b", "c", "", 0, collect, &sn, &lrev, &more), 0);
    CHECK_INT(sn.n, 0);
    CHECK_INT(more, 0);
    CHECK_INT(lrev, 8);

    /* A callback's non-zero return stops the list and is returned. */
    sn = (seen){.stop_at = 2};
    CHECK_INT(k1s_store_list(s, "", "pods", NULL, NULL, NULL, 0, collect, &sn, NULL, NULL), 7);
    CHECK_INT(sn.n, 2);

    /* Empty result. */
    sn = (seen){0};
    CHECK_INT(k1s_store_list(s, "", "pods", "nope", NULL, NULL, 0, collect, &sn, &lrev, &more), 0);
    CHECK_INT(sn.n, 0);
    CHECK_INT(lrev, 8);

    int64_t cnt = 0;
    CHECK_INT(k1s_store_count(s, "", "pods", NULL, &cnt), 0);
    CHECK_INT(cnt, 6);
    CHECK_INT(k1s_store_count(s, "", "pods", "a", &cnt), 0);
    CHECK_INT(cnt, 3);
    CHECK_INT(k1s_store_count(s, "apps", "pods", NULL, &cnt), 0);
    CHECK_INT(cnt, 1);
    k1s_store_close(s);
}

/* A list callback may read the store again (memory mode shares a single
 * connection, so this exercises the nested statement path). */
typedef struct nested {
    k1s_store *s;
    int gets_ok, inner_items;
} nested;

static int count_cb(void *ctx, const char *ns, const char *name, const char *json, size_t len,
                    int64_t rev)
{
    (void)ns, (void)name, (void)json, (void)len, (void)rev;
    (*(int *)ctx)++;
    return 0;
}

static int nested_cb(void *ctx, const char *ns, const char *name, const char *json, size_t len,
                     int64_t rev)
{
    nested *n = ctx;
    (void)len;
    k1s_key k = {"", "pods", ns, name};
    char *got = NULL;
    int64_t grev = 0;
    if (k1s_store_get(n->s, &k, &got, &grev) == 0 && strcmp(got, json) == 0 && grev == rev)
        n->gets_ok++;
    free(got);
    k1s_store_list(n->s, "", "pods", NULL, NULL, NULL, 0, count_cb, &n->inner_items, NULL, NULL);
    return 0;
}

/* A mutate callback may read the store (it runs under the writer lock
 * only, never under a reader's). */
static int reading_mutate(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    nested *n = ctx;
    (void)cur, (void)cur_rev, (void)new_rev;
    k1s_key k = {"", "pods", "a", "x"};
    char *got = NULL;
    if (k1s_store_get(n->s, &k, &got, NULL) == 0)
        n->gets_ok++;
    free(got);
    k1s_store_list(n->s, "", "pods", NULL, NULL, NULL, 0, count_cb, &n->inner_items, NULL, NULL);
    *out = json_object();
    return K1S_STORE_PUT;
}

static void check_nested(k1s_store *s)
{
    fill(s);
    nested n = {.s = s};
    CHECK_INT(k1s_store_list(s, "", "pods", NULL, NULL, NULL, 0, nested_cb, &n, NULL, NULL), 0);
    CHECK_INT(n.gets_ok, 6);
    CHECK_INT(n.inner_items, 36);
    n = (nested){.s = s};
    k1s_key k = {"", "pods", "z", "new"};
    CHECK_INT(k1s_store_update(s, &k, reading_mutate, &n, NULL, NULL), 0);
    CHECK_INT(n.gets_ok, 1);
    CHECK_INT(n.inner_items, 6);
}

/* ---- files: restart ------------------------------------------------------ */

TEST(test_nested_reads)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    check_nested(s);
    k1s_store_close(s);
    fx_tmpdb t;
    fx_tmpdb_make(&t, "store-test");
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    check_nested(s);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

TEST(test_restart_keeps_data_and_revision)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "store-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(run(s, "pods", "ns", "keep", OP_CREATE, "{\"metadata\":{}}", NULL, NULL), 0);
    CHECK_INT(run(s, "pods", "ns", "newest", OP_CREATE, "{\"metadata\":{}}", NULL, NULL), 0);
    int64_t rev = 0;
    CHECK_INT(run(s, "pods", "ns", "newest", OP_DELETE, NULL, NULL, &rev), 0);
    CHECK_INT(rev, 3);
    CHECK_INT(k1s_store_meta_set(s, "token", "sekrit"), 0);
    k1s_store_close(s);

    s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    /* The newest object is gone, yet revisions continue after it. */
    CHECK_INT(k1s_store_revision(s), 3);
    char buf[32];
    CHECK_STR(stored_rv(s, "pods", "ns", "keep", buf, sizeof buf), "1");
    char *json = NULL;
    k1s_key gone = {"", "pods", "ns", "newest"};
    CHECK_INT(k1s_store_get(s, &gone, &json, NULL), K1S_ENOTFOUND);
    CHECK_INT(run(s, "pods", "ns", "next", OP_CREATE, "{\"metadata\":{}}", NULL, &rev), 0);
    CHECK_INT(rev, 4);
    char *v = NULL;
    CHECK_INT(k1s_store_meta_get(s, "token", &v), 0);
    CHECK_STR(v, "sekrit");
    free(v);
    int64_t cnt = 0;
    CHECK_INT(k1s_store_count(s, "", "pods", "ns", &cnt), 0);
    CHECK_INT(cnt, 2);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

/* The database holds Secrets: owner-only files whatever the umask, and a
 * database left readable by an older k1s is tightened on open. */
TEST(test_files_are_private)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "store-perm");
    mode_t old = umask(022);
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(run(s, "secrets", "ns", "x", OP_CREATE, "{\"metadata\":{}}", NULL, NULL), 0);
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", t.path);
    struct stat st;
    CHECK(stat(t.path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(wal, &st) == 0 && (st.st_mode & 0777) == 0600);
    k1s_store_close(s);
    CHECK(chmod(t.path, 0644) == 0);
    s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK(stat(t.path, &st) == 0 && (st.st_mode & 0777) == 0600);
    k1s_store_close(s);
    umask(old);
    fx_tmpdb_remove(&t);
}

TEST(test_meta)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    char *v = (char *)"junk";
    CHECK_INT(k1s_store_meta_get(s, "missing", &v), K1S_ENOTFOUND);
    CHECK(v == NULL);
    CHECK_INT(k1s_store_meta_set(s, "a", "1"), 0);
    CHECK_INT(k1s_store_meta_set(s, "a", "two"), 0);
    CHECK_INT(k1s_store_meta_get(s, "a", &v), 0);
    CHECK_STR(v, "two");
    free(v);
    CHECK_INT(k1s_store_meta_set(s, "a", NULL), 0);
    CHECK_INT(k1s_store_meta_get(s, "a", &v), K1S_ENOTFOUND);
    /* The store's own keys are readable but not writable. */
    CHECK_INT(k1s_store_meta_set(s, "k1s.store.revision", "100"), K1S_EINVAL);
    CHECK_INT(k1s_store_meta_set(s, "k1s.store.compacted", "100"), K1S_EINVAL);
    CHECK_INT(run(s, "pods", "n", "x", OP_CREATE, "{}", NULL, NULL), 0);
    CHECK_INT(k1s_store_meta_get(s, "k1s.store.schema", &v), 0);
    CHECK_STR(v, "1");
    free(v);
    CHECK_INT(k1s_store_meta_set(s, "", "x"), K1S_EINVAL);
    /* Meta writes use no revision. */
    CHECK_INT(k1s_store_revision(s), 1);
    k1s_store_close(s);
}

TEST(test_two_memory_stores_are_independent)
{
    k1s_store *a = NULL, *b = NULL;
    CHECK_INT(k1s_store_open(":memory:", &a), 0);
    CHECK_INT(k1s_store_open(":memory:", &b), 0);
    CHECK_INT(run(a, "pods", "n", "only-in-a", OP_CREATE, "{}", NULL, NULL), 0);
    CHECK_INT(k1s_store_meta_set(a, "k", "a"), 0);
    CHECK_INT(k1s_store_revision(a), 1);
    CHECK_INT(k1s_store_revision(b), 0);
    k1s_key k = {"", "pods", "n", "only-in-a"};
    char *json = NULL;
    CHECK_INT(k1s_store_get(b, &k, &json, NULL), K1S_ENOTFOUND);
    char *v = NULL;
    CHECK_INT(k1s_store_meta_get(b, "k", &v), K1S_ENOTFOUND);
    CHECK_INT(run(b, "pods", "n", "only-in-a", OP_CREATE, "{}", NULL, NULL), 0);
    CHECK_INT(k1s_store_revision(b), 1);
    k1s_store_close(a);
    /* b still works after a is gone. */
    CHECK_INT(k1s_store_get(b, &k, &json, NULL), 0);
    free(json);
    k1s_store_close(b);
}

/* ---- performance smoke ---------------------------------------------------- */

static double now_s(void)
{
    return (double)k1s_time_mono_ms() / 1000;
}

TEST(test_throughput)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "store-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    const int n = 10000;
    char name[32], body[160];
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "cm-%05d", i);
        snprintf(body, sizeof body,
                 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                 "{\"name\":\"%s\",\"namespace\":\"default\"},\"data\":{\"k\":\"v\"}}",
                 name);
        if (run(s, "configmaps", "default", name, OP_CREATE, body, NULL, NULL)) {
            CHECK(0);
            break;
        }
    }
    double t1 = now_s();
    int items = 0;
    int64_t lrev = 0;
    CHECK_INT(
        k1s_store_list(s, "", "configmaps", NULL, NULL, NULL, 0, count_cb, &items, &lrev, NULL), 0);
    double t2 = now_s();
    CHECK_INT(items, n);
    CHECK_INT(lrev, n);
    k1s_key k = {"", "configmaps", "default", "cm-05000"};
    char *json = NULL;
    for (int i = 0; i < 1000; i++) {
        CHECK_INT(k1s_store_get(s, &k, &json, NULL), 0);
        free(json);
    }
    double t3 = now_s();
    printf("     %d creates: %.0f/s; list of %d: %.1f ms; get: %.1f us\n", n, n / (t1 - t0), n,
           (t2 - t1) * 1e3, (t3 - t2) * 1e3);
    /* Generous floors (sanitizer builds are several times slower); they
     * catch e.g. a lost WAL setting or a per-write fsync. */
    CHECK(n / (t1 - t0) > 500);
    CHECK((t2 - t1) < 2.0);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

K1S_TEST_MAIN(T(test_files_are_private), T(test_create_get_update_delete),
              T(test_noop_and_errors_use_no_revision), T(test_put_shapes), T(test_too_large),
              T(test_bad_input), T(test_list_order_filter_continue), T(test_nested_reads),
              T(test_restart_keeps_data_and_revision), T(test_meta),
              T(test_two_memory_stores_are_independent), T(test_throughput))
