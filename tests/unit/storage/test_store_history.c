/*
 * test_store_history.c - k1s_store_list_at: objects as they were at an
 * earlier revision, rebuilt from the event log (creates, updates, deletes
 * and re-creates after it), in (ns, name) order, per namespace, and
 * refused once compaction has dropped what it needs or for a revision not
 * reached yet.
 */
#include "k1s_test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "k1s_buf.h"
#include "k1s_store.h"

typedef struct put_op {
    const char *json; /* NULL: delete */
} put_op;

static int mutate(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    put_op *o = ctx;
    (void)cur, (void)cur_rev, (void)new_rev;
    if (!o->json)
        return K1S_STORE_DELETE;
    *out = json_loads(o->json, 0, NULL);
    return *out ? K1S_STORE_PUT : K1S_ENOMEM;
}

/* Writes (or with json NULL deletes) ns/name; returns the revision. */
static int64_t put(k1s_store *s, const char *ns, const char *name, const char *json)
{
    k1s_key k = {"", "configmaps", ns, name};
    put_op o = {json};
    int64_t rev = 0;
    json_t *res = NULL;
    CHECK_INT(k1s_store_update(s, &k, mutate, &o, &res, &rev), 0);
    json_decref(res);
    return rev;
}

/* "ns/name=v ..." of the list at rev, v being the object's "v". */
static int collect(void *ctx, const char *ns, const char *name, const char *json, size_t len,
                   int64_t rev)
{
    k1s_buf *b = ctx;
    (void)rev;
    json_t *o = json_loadb(json, len, 0, NULL);
    k1s_buf_addf(b, "%s%s/%s=%s", b->len ? " " : "", ns, name,
                 json_string_value(json_object_get(o, "v")));
    json_decref(o);
    return 0;
}

static void check_at(k1s_store *s, const char *ns, int64_t rev, const char *want)
{
    k1s_buf b = {0};
    CHECK_INT(k1s_store_list_at(s, "", "configmaps", ns, NULL, NULL, rev, collect, &b), 0);
    if (strcmp(k1s_buf_str(&b), want) != 0)
        fprintf(stderr, "at %lld:\n", (long long)rev);
    CHECK_STR(k1s_buf_str(&b), want);
    k1s_buf_free(&b);
}

TEST(test_list_at_earlier_revisions)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    if (!s)
        return;
    int64_t r1 = put(s, "default", "a", "{\"v\":\"1\"}");
    int64_t r2 = put(s, "default", "a", "{\"v\":\"2\"}");
    int64_t r3 = put(s, "other", "b", "{\"v\":\"b\"}");
    int64_t r4 = put(s, "default", "c", "{\"v\":\"c\"}");
    int64_t r5 = put(s, "default", "a", NULL);
    int64_t r6 = put(s, "default", "a", "{\"v\":\"3\"}");
    check_at(s, NULL, r1, "default/a=1");
    check_at(s, NULL, r2, "default/a=2");
    check_at(s, NULL, r3, "default/a=2 other/b=b");
    check_at(s, NULL, r4, "default/a=2 default/c=c other/b=b");
    check_at(s, NULL, r5, "default/c=c other/b=b");
    check_at(s, NULL, r6, "default/a=3 default/c=c other/b=b");
    check_at(s, "default", r3, "default/a=2");
    check_at(s, "other", r2, "");
    check_at(s, NULL, 0, "");
    /* the next page of a list made at r4, after default/a */
    k1s_buf b = {0};
    CHECK_INT(k1s_store_list_at(s, "", "configmaps", NULL, "default", "a", r4, collect, &b), 0);
    CHECK_STR(k1s_buf_str(&b), "default/c=c other/b=b");
    k1s_buf_free(&b);
    CHECK_INT(k1s_store_list_at(s, "", "configmaps", NULL, "default", "c", r5, collect, &b), 0);
    CHECK_STR(k1s_buf_str(&b), "other/b=b");
    k1s_buf_free(&b);
    CHECK_INT(k1s_store_list_at(s, "", "configmaps", NULL, NULL, NULL, r6 + 1, collect, &b),
              K1S_ETOOLARGE);
    /* after compaction up to r4, r2 is gone; r4 and later still answer */
    CHECK_INT(k1s_store_compact(s, r4), 0);
    CHECK_INT(k1s_store_list_at(s, "", "configmaps", NULL, NULL, NULL, r2, collect, &b), K1S_EGONE);
    check_at(s, NULL, r5, "default/c=c other/b=b");
    k1s_buf_free(&b);
    k1s_store_close(s);
}

K1S_TEST_MAIN(T(test_list_at_earlier_revisions))
