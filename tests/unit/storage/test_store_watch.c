/*
 * test_store_watch.c - unit tests for the store's watch side: replay from
 * the in-memory ring and from the events table, live delivery, filters,
 * compaction (410 Gone), concurrent writers, slow-watcher overflow and the
 * guarantee that no notify runs after k1s_watch_close.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k1s_fixture.h"
#include "k1s_store.h"
#include "k1s_test.h"
#include "store_internal.h"

/* ---- helpers ------------------------------------------------------------- */

enum { OP_PUT, OP_DELETE };

static int mutate(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    (void)cur, (void)cur_rev, (void)new_rev;
    if (*(int *)ctx == OP_DELETE)
        return K1S_STORE_DELETE;
    *out = json_pack("{s:{},s:I}", "metadata", "n", (json_int_t)new_rev);
    return *out ? K1S_STORE_PUT : K1S_ENOMEM;
}

static int64_t put(k1s_store *s, const char *group, const char *res, const char *ns,
                   const char *name)
{
    k1s_key k = {group, res, ns, name};
    int kind = OP_PUT;
    int64_t rev = -1;
    int rc = k1s_store_update(s, &k, mutate, &kind, NULL, &rev);
    return rc ? rc : rev;
}

static int64_t del(k1s_store *s, const char *res, const char *ns, const char *name)
{
    k1s_key k = {"", res, ns, name};
    int kind = OP_DELETE;
    int64_t rev = -1;
    int rc = k1s_store_update(s, &k, mutate, &kind, NULL, &rev);
    return rc ? rc : rev;
}

typedef struct got {
    int64_t rev[8192];
    int type[8192];
    char name[8192][16];
    int n;
    int rc; /* last k1s_watch_next result that ended the drain */
} got;

/* Takes everything queued right now. */
static void drain(k1s_watch *w, got *g)
{
    k1s_event *e = NULL;
    int rc;
    while ((rc = k1s_watch_next(w, &e)) == 1) {
        if (g->n < 8192) {
            g->rev[g->n] = e->rev;
            g->type[g->n] = e->type;
            snprintf(g->name[g->n], sizeof g->name[0], "%s", e->name);
        }
        g->n++;
        k1s_event_unref(e);
    }
    g->rc = rc;
}

static void on_notify(void *ctx)
{
    atomic_fetch_add((atomic_int *)ctx, 1);
}

/* 1 if g holds exactly the revisions first..last, in order. */
static int consecutive(const got *g, int64_t first, int64_t last)
{
    if (g->n != last - first + 1)
        return 0;
    for (int i = 0; i < g->n; i++)
        if (g->rev[i] != first + i)
            return 0;
    return 1;
}

/* ---- replay and live ----------------------------------------------------- */

TEST(test_watch_replay_then_live)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    CHECK_INT(put(s, "", "pods", "ns", "a"), 1);
    CHECK_INT(put(s, "", "pods", "ns", "b"), 2);
    CHECK_INT(put(s, "", "pods", "ns", "a"), 3);
    CHECK_INT(del(s, "pods", "ns", "b"), 4);
    CHECK_INT(put(s, "", "pods", "ns", "c"), 5);

    atomic_int n0 = 0, n2 = 0, n5 = 0;
    k1s_watch *w0 = NULL, *w2 = NULL, *w5 = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 0, on_notify, &n0, &w0), 0);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 2, on_notify, &n2, &w2), 0);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 5, on_notify, &n5, &w5), 0);

    k1s_event *e = NULL;
    CHECK_INT(k1s_watch_next(w0, &e), 1);
    CHECK_INT(e->rev, 1);
    CHECK_INT(e->type, K1S_EV_ADDED);
    CHECK_STR(e->group, "");
    CHECK_STR(e->resource, "pods");
    CHECK_STR(e->ns, "ns");
    CHECK_STR(e->name, "a");
    CHECK(strstr(e->json, "\"resourceVersion\":\"1\"") != NULL);
    CHECK_INT(e->len, strlen(e->json));
    k1s_event_unref(e);
    got g = {0};
    drain(w0, &g);
    CHECK_INT(g.rc, 0);
    CHECK(consecutive(&g, 2, 5));
    const int want[] = {K1S_EV_ADDED, K1S_EV_MODIFIED, K1S_EV_DELETED, K1S_EV_ADDED};
    for (int i = 0; i < 4 && i < g.n; i++)
        CHECK_INT(g.type[i], want[i]);
    CHECK_STR(g.name[2], "b");

    got g2 = {0};
    drain(w2, &g2);
    CHECK(consecutive(&g2, 3, 5));
    CHECK_INT(g2.type[1], K1S_EV_DELETED);
    got g5 = {0};
    drain(w5, &g5);
    CHECK_INT(g5.n, 0);
    CHECK_INT(atomic_load(&n0) + atomic_load(&n2) + atomic_load(&n5), 0);

    /* Live: every watcher gets rev 6 once, and is notified. */
    CHECK_INT(put(s, "", "pods", "ns", "d"), 6);
    CHECK(atomic_load(&n0) >= 1);
    CHECK(atomic_load(&n5) >= 1);
    k1s_event *a = NULL, *b = NULL;
    CHECK_INT(k1s_watch_next(w0, &a), 1);
    CHECK_INT(k1s_watch_next(w5, &b), 1);
    CHECK(a && b && a->rev == 6 && b->rev == 6);
    CHECK(a == b); /* one shared, refcounted event */
    k1s_event_unref(a);
    k1s_event_unref(b);
    g2 = (got){0};
    drain(w2, &g2);
    CHECK(consecutive(&g2, 6, 6));
    CHECK_INT(k1s_watch_next(w0, &e), 0);
    CHECK(e == NULL);

    /* The DELETED event carries the last state at the deleting revision. */
    k1s_watch *wd = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 3, NULL, NULL, &wd), 0);
    CHECK_INT(k1s_watch_next(wd, &e), 1);
    CHECK_INT(e->type, K1S_EV_DELETED);
    CHECK(strstr(e->json, "\"resourceVersion\":\"4\"") != NULL);
    CHECK(strstr(e->json, "\"n\":2") != NULL);
    k1s_event_unref(e);
    k1s_watch_close(wd);

    k1s_watch_close(w0);
    k1s_watch_close(w2);
    k1s_watch_close(w5);
    k1s_store_close(s);
}

/* More events than the ring holds: old starting points replay from the
 * events table, recent ones from memory, both continuing live. */
TEST(test_watch_replay_beyond_ring)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    const int n = K1S__RING_SIZE + 900;
    char name[16];
    for (int i = 1; i <= n; i++) {
        snprintf(name, sizeof name, "o%d", i % 50);
        if (put(s, "", "cm", i % 2 ? "odd" : "even", name) != i) {
            CHECK(0);
            break;
        }
    }
    k1s_watch *old = NULL, *recent = NULL, *odd = NULL;
    CHECK_INT(k1s_store_watch(s, "", "cm", NULL, 10, NULL, NULL, &old), 0);
    CHECK_INT(k1s_store_watch(s, "", "cm", NULL, n - 100, NULL, NULL, &recent), 0);
    CHECK_INT(k1s_store_watch(s, "", "cm", "odd", 10, NULL, NULL, &odd), 0);
    CHECK_INT(put(s, "", "cm", "odd", "live"), n + 1);
    static got g;
    g = (got){0};
    drain(old, &g);
    CHECK(consecutive(&g, 11, n + 1));
    g = (got){0};
    drain(recent, &g);
    CHECK(consecutive(&g, n - 99, n + 1));
    g = (got){0};
    drain(odd, &g);
    /* odd revisions 11..n+1 */
    int ok = g.n == (n + 1 - 11) / 2 + 1;
    for (int i = 0; ok && i < g.n; i++)
        ok = g.rev[i] == 11 + 2 * i;
    CHECK(ok);
    k1s_watch_close(old);
    k1s_watch_close(recent);
    k1s_watch_close(odd);
    k1s_store_close(s);
}

/* Big objects: the ring keeps fewer of them (its byte budget), and watches
 * from before what it holds replay from the events table, in order. */
static int big_mutate(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    (void)cur, (void)cur_rev;
    *out = json_pack("{s:{},s:I,s:s}", "metadata", "n", (json_int_t)new_rev, "blob", (char *)ctx);
    return *out ? K1S_STORE_PUT : K1S_ENOMEM;
}

TEST(test_ring_is_bounded_by_bytes)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    size_t big = 1024 * 1024;
    char *blob = malloc(big + 1);
    memset(blob, 'x', big);
    blob[big] = '\0';
    const int n = 100; /* 100 MiB of events: past the budget, within a queue */
    k1s_key k = {"", "configmaps", "ns", "big"};
    for (int i = 1; i <= n; i++)
        if (k1s_store_update(s, &k, big_mutate, blob, NULL, NULL) != 0) {
            CHECK(0);
            break;
        }
    size_t held = k1s__store_ring_bytes(s);
    CHECK(held <= K1S__RING_MAX_BYTES + big + 4096);
    CHECK(held >= K1S__RING_MAX_BYTES / 2);
    k1s_watch *old = NULL, *recent = NULL;
    CHECK_INT(k1s_store_watch(s, "", "configmaps", NULL, 0, NULL, NULL, &old), 0);
    CHECK_INT(k1s_store_watch(s, "", "configmaps", NULL, n - 5, NULL, NULL, &recent), 0);
    static got g;
    g = (got){0};
    drain(old, &g);
    CHECK(consecutive(&g, 1, n));
    g = (got){0};
    drain(recent, &g);
    CHECK(consecutive(&g, n - 4, n));
    k1s_watch_close(old);
    k1s_watch_close(recent);
    free(blob);
    k1s_store_close(s);
}

TEST(test_watch_after_restart)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "watch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(put(s, "", "pods", "ns", "a"), 1);
    CHECK_INT(put(s, "", "pods", "ns", "b"), 2);
    CHECK_INT(del(s, "pods", "ns", "b"), 3);
    k1s_store_close(s);

    CHECK_INT(k1s_store_open(t.path, &s), 0);
    k1s_watch *w = NULL, *wnow = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", "ns", 0, NULL, NULL, &w), 0);
    CHECK_INT(k1s_store_watch(s, "", "pods", "ns", 3, NULL, NULL, &wnow), 0);
    CHECK_INT(put(s, "", "pods", "ns", "c"), 4);
    got g = {0};
    drain(w, &g);
    CHECK(consecutive(&g, 1, 4));
    CHECK_INT(g.type[2], K1S_EV_DELETED);
    CHECK_STR(g.name[2], "b");
    g = (got){0};
    drain(wnow, &g);
    CHECK(consecutive(&g, 4, 4));
    k1s_watch_close(w);
    k1s_watch_close(wnow);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

/* ---- filters ------------------------------------------------------------- */

static void write_mix(k1s_store *s)
{
    CHECK_INT(put(s, "", "pods", "a", "p"), k1s_store_revision(s));
    CHECK_INT(put(s, "", "pods", "b", "p"), k1s_store_revision(s));
    CHECK_INT(put(s, "", "services", "a", "p"), k1s_store_revision(s));
    CHECK_INT(put(s, "apps", "pods", "a", "p"), k1s_store_revision(s));
    CHECK_INT(put(s, "apps", "deployments", "a", "d"), k1s_store_revision(s));
}

typedef struct fcase {
    const char *group, *resource, *ns;
    int64_t want[5];
    int nwant;
} fcase;

TEST(test_watch_filters)
{
    static const fcase cases[] = {
        {"", "pods", "a", {1}, 1},
        {"", "pods", NULL, {1, 2}, 2},
        {"apps", "pods", NULL, {4}, 1},
        {"apps", NULL, NULL, {4, 5}, 2},
        {NULL, "pods", "a", {1, 4}, 2},
        {NULL, NULL, "a", {1, 3, 4, 5}, 4},
        {NULL, NULL, NULL, {1, 2, 3, 4, 5}, 5},
        {"", "pods", "zzz", {0}, 0},
    };
    const size_t nc = sizeof cases / sizeof cases[0];
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    k1s_watch *live[8];
    for (size_t i = 0; i < nc; i++)
        CHECK_INT(k1s_store_watch(s, cases[i].group, cases[i].resource, cases[i].ns, 0, NULL, NULL,
                                  &live[i]),
                  0);
    write_mix(s);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nc; i++) {
            k1s_watch *w = live[i];
            if (pass == 1) /* replay instead of live */
                CHECK_INT(k1s_store_watch(s, cases[i].group, cases[i].resource, cases[i].ns, 0,
                                          NULL, NULL, &w),
                          0);
            got g = {0};
            drain(w, &g);
            int ok = g.n == cases[i].nwant;
            for (int j = 0; ok && j < g.n; j++)
                ok = g.rev[j] == cases[i].want[j];
            if (!ok)
                fprintf(stderr, "filter case %zu pass %d: %d events\n", i, pass, g.n);
            CHECK(ok);
            k1s_watch_close(w);
        }
    }
    k1s_store_close(s);
}

/* ---- compaction ---------------------------------------------------------- */

TEST(test_compaction_gone)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "watch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    char name[16];
    for (int i = 1; i <= 10; i++) {
        snprintf(name, sizeof name, "x%d", i);
        CHECK_INT(put(s, "", "pods", "ns", name), i);
    }
    CHECK_INT(k1s_store_compacted_revision(s), 0);
    CHECK_INT(k1s_store_compact(s, 6), 0);
    CHECK_INT(k1s_store_compacted_revision(s), 5);
    k1s_watch *w = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 4, NULL, NULL, &w), K1S_EGONE);
    CHECK(w == NULL);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 0, NULL, NULL, &w), K1S_EGONE);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 5, NULL, NULL, &w), 0);
    got g = {0};
    drain(w, &g);
    CHECK(consecutive(&g, 6, 10));
    k1s_watch_close(w);
    /* Compacting backwards changes nothing. */
    CHECK_INT(k1s_store_compact(s, 3), 0);
    CHECK_INT(k1s_store_compacted_revision(s), 5);
    k1s_store_close(s);

    /* After a restart the events come from the table, and it was pruned. */
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(k1s_store_compacted_revision(s), 5);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 4, NULL, NULL, &w), K1S_EGONE);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 5, NULL, NULL, &w), 0);
    g = (got){0};
    drain(w, &g);
    CHECK(consecutive(&g, 6, 10));
    k1s_watch_close(w);

    /* Keep the newest 3 events. */
    CHECK_INT(k1s_store_compact_auto(s, 3), 0);
    CHECK_INT(k1s_store_compacted_revision(s), 7);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 6, NULL, NULL, &w), K1S_EGONE);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 7, NULL, NULL, &w), 0);
    g = (got){0};
    drain(w, &g);
    CHECK(consecutive(&g, 8, 10));
    k1s_watch_close(w);
    CHECK_INT(k1s_store_compact_auto(s, 100), 0);
    CHECK_INT(k1s_store_compacted_revision(s), 7);
    CHECK_INT(k1s_store_compact_auto(s, -1), K1S_EINVAL);

    /* Compacting past the head stops at the head; watching from the head
     * still works and sees new writes. */
    CHECK_INT(k1s_store_compact(s, 1000), 0);
    CHECK_INT(k1s_store_compacted_revision(s), 10);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 10, NULL, NULL, &w), 0);
    CHECK_INT(put(s, "", "pods", "ns", "y"), 11);
    g = (got){0};
    drain(w, &g);
    CHECK(consecutive(&g, 11, 11));
    k1s_watch_close(w);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

/* ---- concurrency --------------------------------------------------------- */

#define WRITERS 4
#define PER_WRITER 300

typedef struct wr_arg {
    k1s_store *s;
    int id;
    int64_t revs[PER_WRITER];
    int errors;
} wr_arg;

static void *writer_main(void *p)
{
    wr_arg *a = p;
    char ns[16], name[16];
    snprintf(ns, sizeof ns, "t%d", a->id);
    for (int i = 0; i < PER_WRITER; i++) {
        snprintf(name, sizeof name, "o%d", i % 37);
        int64_t r = put(a->s, "", "cm", ns, name);
        a->revs[i] = r;
        if (r <= 0)
            a->errors++;
        if (i % 50 == 0)
            sched_yield();
    }
    return NULL;
}

/* A consumer driven by notify, as a server thread would be. */
typedef struct consumer {
    k1s_watch *w;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int signalled;
    int expect;
    got g;
} consumer;

static void consumer_notify(void *ctx)
{
    consumer *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->signalled = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void *consumer_main(void *p)
{
    consumer *c = p;
    while (c->g.n < c->expect) {
        pthread_mutex_lock(&c->mu);
        while (!c->signalled)
            pthread_cond_wait(&c->cv, &c->mu);
        c->signalled = 0;
        pthread_mutex_unlock(&c->mu);
        int before = c->g.n;
        drain(c->w, &c->g);
        if (c->g.rc < 0 || (c->g.n == before && c->g.n >= c->expect))
            break;
    }
    return NULL;
}

typedef struct reader_arg {
    k1s_store *s;
    atomic_int stop;
    int errors, lists;
} reader_arg;

static int nop_cb(void *ctx, const char *ns, const char *name, const char *json, size_t len,
                  int64_t rev)
{
    (void)ctx, (void)ns, (void)name, (void)json, (void)len, (void)rev;
    return 0;
}

static void *reader_main(void *p)
{
    reader_arg *a = p;
    while (!atomic_load(&a->stop)) {
        int64_t lrev = 0, cnt = 0;
        if (k1s_store_list(a->s, "", "cm", NULL, NULL, NULL, 0, nop_cb, NULL, &lrev, NULL) ||
            k1s_store_count(a->s, "", "cm", "t1", &cnt))
            a->errors++;
        a->lists++;
    }
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void concurrent_case(const char *path)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(path, &s), 0);
    const int total = WRITERS * PER_WRITER;
    static consumer c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    c.expect = total;
    CHECK_INT(k1s_store_watch(s, NULL, NULL, NULL, 0, consumer_notify, &c, &c.w), 0);
    k1s_watch *per_ns = NULL;
    CHECK_INT(k1s_store_watch(s, "", "cm", "t1", 0, NULL, NULL, &per_ns), 0);

    pthread_t ct, rt, wt[WRITERS];
    static wr_arg args[WRITERS];
    static reader_arg ra;
    memset(&ra, 0, sizeof ra);
    ra.s = s;
    pthread_create(&ct, NULL, consumer_main, &c);
    pthread_create(&rt, NULL, reader_main, &ra);
    for (int i = 0; i < WRITERS; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].s = s;
        args[i].id = i;
        pthread_create(&wt[i], NULL, writer_main, &args[i]);
    }
    /* A watch that starts in the middle of the storm. */
    while (k1s_store_revision(s) < total / 3)
        usleep(100);
    int64_t mid = k1s_store_revision(s);
    k1s_watch *late = NULL;
    CHECK_INT(k1s_store_watch(s, NULL, "cm", NULL, mid, NULL, NULL, &late), 0);

    for (int i = 0; i < WRITERS; i++)
        pthread_join(wt[i], NULL);
    atomic_store(&ra.stop, 1);
    pthread_join(rt, NULL);
    pthread_join(ct, NULL);

    static int64_t all[WRITERS * PER_WRITER];
    int errors = 0;
    for (int i = 0; i < WRITERS; i++) {
        errors += args[i].errors;
        for (int j = 0; j < PER_WRITER; j++) {
            all[i * PER_WRITER + j] = args[i].revs[j];
            /* each writer's own revisions strictly increase */
            if (j && args[i].revs[j] <= args[i].revs[j - 1])
                errors++;
        }
    }
    CHECK_INT(errors, 0);
    qsort(all, (size_t)total, sizeof all[0], cmp64);
    int unique = 1;
    for (int i = 0; i < total; i++)
        unique &= all[i] == i + 1;
    CHECK(unique);
    CHECK_INT(k1s_store_revision(s), total);

    CHECK_INT(c.g.rc, 0);
    CHECK(consecutive(&c.g, 1, total));
    static got g;
    g = (got){0};
    drain(late, &g);
    CHECK(consecutive(&g, mid + 1, total));
    g = (got){0};
    drain(per_ns, &g);
    CHECK_INT(g.n, PER_WRITER);
    int inc = 1;
    for (int i = 0; i < g.n; i++) {
        inc &= i == 0 || g.rev[i] > g.rev[i - 1];
        inc &= g.rev[i] == args[1].revs[i];
    }
    CHECK(inc);
    CHECK_INT(ra.errors, 0);
    CHECK(ra.lists > 0);
    k1s_watch_close(late);
    k1s_watch_close(per_ns);
    k1s_watch_close(c.w);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    k1s_store_close(s);
}

TEST(test_concurrent_writers_memory)
{
    concurrent_case(":memory:");
}

TEST(test_concurrent_writers_file)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "watch-test");
    concurrent_case(t.path);
    fx_tmpdb_remove(&t);
}

/* Watches that must replay from the events table start while a writer
 * keeps publishing: the table replay and the live queue must join with no
 * gap and no duplicate. */
typedef struct bg_writer {
    k1s_store *s;
    int count, errors;
} bg_writer;

static void *bg_writer_main(void *p)
{
    bg_writer *b = p;
    for (int i = 0; i < b->count; i++)
        if (put(b->s, "", "cm", "ns", i % 2 ? "a" : "b") <= 0)
            b->errors++;
    return NULL;
}

TEST(test_db_replay_races_live)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "watch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    const int pre = K1S__RING_SIZE + 200;
    for (int i = 0; i < pre; i++)
        if (put(s, "", "cm", "ns", "x") != i + 1) {
            CHECK(0);
            break;
        }
    bg_writer b = {.s = s, .count = 1500};
    pthread_t th;
    pthread_create(&th, NULL, bg_writer_main, &b);
    enum { NW = 6 };
    k1s_watch *w[NW] = {0};
    int64_t from[NW];
    for (int i = 0; i < NW; i++) {
        from[i] = 1 + i * 20;
        CHECK_INT(k1s_store_watch(s, "", "cm", NULL, from[i], NULL, NULL, &w[i]), 0);
        usleep(2000);
    }
    pthread_join(th, NULL);
    CHECK_INT(b.errors, 0);
    int64_t last = k1s_store_revision(s);
    CHECK_INT(last, pre + 1500);
    static got g;
    for (int i = 0; i < NW; i++) {
        g = (got){0};
        drain(w[i], &g);
        CHECK_INT(g.rc, 0);
        CHECK(consecutive(&g, from[i] + 1, last));
        k1s_watch_close(w[i]);
    }
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

/* ---- overflow and close -------------------------------------------------- */

TEST(test_slow_watcher_overflows)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    k1s_store_set_watch_limits(s, 10, 0);
    atomic_int slow_n = 0;
    k1s_watch *slow = NULL, *fast = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 0, on_notify, &slow_n, &slow), 0);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 0, NULL, NULL, &fast), 0);
    got gf = {0};
    for (int i = 1; i <= 10; i++) {
        CHECK_INT(put(s, "", "pods", "ns", "p"), i);
        drain(fast, &gf);
    }
    k1s_event *e = NULL;
    /* Ten queued is the limit, not past it. */
    CHECK_INT(k1s_watch_next(slow, &e), 1);
    k1s_event_unref(e);
    CHECK_INT(put(s, "", "pods", "ns", "p"), 11);
    CHECK_INT(put(s, "", "pods", "ns", "p"), 12);
    int before = atomic_load(&slow_n);
    CHECK_INT(before, 12); /* the drop itself was notified */
    CHECK_INT(k1s_watch_next(slow, &e), K1S_EOVERFLOW);
    CHECK(e == NULL);
    CHECK_INT(put(s, "", "pods", "ns", "p"), 13);
    CHECK_INT(atomic_load(&slow_n), before); /* dropped: no more notifies */
    CHECK_INT(k1s_watch_next(slow, &e), K1S_EOVERFLOW);
    drain(fast, &gf);
    CHECK(consecutive(&gf, 1, 13));
    CHECK_INT(gf.rc, 0);

    /* A replay longer than the bound overflows at once. */
    k1s_watch *replay = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 0, NULL, NULL, &replay), 0);
    CHECK_INT(k1s_watch_next(replay, &e), K1S_EOVERFLOW);
    k1s_watch_close(replay);

    /* The byte bound applies too. */
    k1s_store_set_watch_limits(s, 0, 4000);
    k1s_watch *bytes = NULL, *roomy = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 13, NULL, NULL, &bytes), 0);
    k1s_store_set_watch_limits(s, 0, 1 << 20);
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 13, NULL, NULL, &roomy), 0);
    for (int i = 0; i < 200; i++)
        put(s, "", "pods", "ns", "p");
    CHECK_INT(k1s_watch_next(bytes, &e), K1S_EOVERFLOW);
    got gr = {0};
    drain(roomy, &gr);
    CHECK(consecutive(&gr, 14, 213));
    k1s_watch_close(bytes);
    k1s_watch_close(roomy);

    k1s_watch_close(slow);
    k1s_watch_close(fast);
    k1s_store_close(s);
}

typedef struct churn_arg {
    k1s_store *s;
    atomic_int stop;
    atomic_int writes;
} churn_arg;

static void *churn_writer(void *p)
{
    churn_arg *a = p;
    while (!atomic_load(&a->stop) && atomic_load(&a->writes) < 20000) {
        put(a->s, "", "pods", "ns", "churn");
        atomic_fetch_add(&a->writes, 1);
    }
    return NULL;
}

TEST(test_no_notify_after_close)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    atomic_int n = 0;
    k1s_watch *w = NULL;
    CHECK_INT(k1s_store_watch(s, "", "pods", NULL, 0, on_notify, &n, &w), 0);
    put(s, "", "pods", "ns", "a");
    CHECK_INT(atomic_load(&n), 1);
    k1s_watch_close(w);
    put(s, "", "pods", "ns", "a");
    CHECK_INT(atomic_load(&n), 1);

    /* Open and close watches while a writer publishes: each notify target
     * is freed right after close, so a late notify is a use-after-free
     * that the sanitizer build reports. */
    churn_arg a = {.s = s};
    pthread_t t;
    pthread_create(&t, NULL, churn_writer, &a);
    int opened = 0;
    /* Keep churning until the writer has really run alongside. */
    for (int i = 0; i < 300 || (atomic_load(&a.writes) < 200 && i < 100000); i++) {
        atomic_int *ctr = malloc(sizeof *ctr);
        atomic_init(ctr, 0);
        k1s_watch *cw = NULL;
        if (k1s_store_watch(s, "", "pods", NULL, k1s_store_revision(s), on_notify, ctr, &cw) == 0) {
            opened++;
            k1s_event *e = NULL;
            if (k1s_watch_next(cw, &e) == 1)
                k1s_event_unref(e);
            k1s_watch_close(cw);
        }
        free(ctr);
    }
    atomic_store(&a.stop, 1);
    pthread_join(t, NULL);
    CHECK(opened >= 300);
    CHECK(atomic_load(&a.writes) >= 200);
    k1s_store_close(s);
}

TEST(test_watch_outlives_store)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(":memory:", &s), 0);
    atomic_int n = 0;
    k1s_watch *w = NULL;
    CHECK_INT(k1s_store_watch(s, NULL, NULL, NULL, 0, on_notify, &n, &w), 0);
    put(s, "", "pods", "ns", "a");
    k1s_store_close(s);
    CHECK_INT(atomic_load(&n), 2); /* the event, then the shutdown */
    k1s_event *e = NULL;
    CHECK_INT(k1s_watch_next(w, &e), K1S_EOVERFLOW);
    k1s_watch_close(w);
}

K1S_TEST_MAIN(T(test_watch_replay_then_live), T(test_watch_replay_beyond_ring),
              T(test_ring_is_bounded_by_bytes), T(test_watch_after_restart), T(test_watch_filters),
              T(test_compaction_gone), T(test_concurrent_writers_memory),
              T(test_concurrent_writers_file), T(test_db_replay_races_live),
              T(test_slow_watcher_overflows), T(test_no_notify_after_close),
              T(test_watch_outlives_store))
