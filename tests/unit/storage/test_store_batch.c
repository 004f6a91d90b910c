/*
 * test_store_batch.c - unit tests for group commit in the object store:
 * concurrent k1s_store_update calls applied as one transaction by a leader,
 * reads from inside a mutate callback that see the batch's earlier writes
 * (unique allocation under concurrency), failures that roll back only their
 * own request, re-entry refused from a callback, the head revision
 * surviving a restart after everything was compacted, WAL checkpoints done
 * by the store's thread, and the database file kept from other processes.
 *
 * Some tests line requests up in a known batch order by watching the write
 * queue through store_internal.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k1s_fixture.h"
#include "k1s_store.h"
#include "k1s_test.h"
#include "store_internal.h"

/* ---- helpers ------------------------------------------------------------- */

/* Requests waiting in the write queue right now (not yet taken). */
static size_t queued(k1s_store *s)
{
    size_t n = 0;
    pthread_mutex_lock(&s->q_mu);
    for (k1s__wreq *r = s->q_head; r; r = r->next)
        n++;
    pthread_mutex_unlock(&s->q_mu);
    return n;
}

/* Waits (at most ~10 s) until the queue holds n requests; 0 on timeout. */
static int wait_queued(k1s_store *s, size_t n)
{
    for (int i = 0; i < 100000; i++) {
        if (queued(s) >= n)
            return 1;
        usleep(100);
    }
    return 0;
}

/* A second connection of this process to a store's file, for setting up
 * failures and legacy rows behind the store's back. */
static int side_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    const char *vfs = sqlite3_vfs_find("unix-excl") ? "unix-excl" : NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, vfs);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static int64_t json_n(const char *json, size_t len)
{
    json_t *o = json_loadb(json, len, 0, NULL);
    json_t *n = json_object_get(o, "n");
    int64_t v = json_is_integer(n) ? json_integer_value(n) : -1;
    json_decref(o);
    return v;
}

/* ---- unique allocation from inside callbacks ------------------------------ */

#define ALLOC_THREADS 8
#define ALLOC_PER_THREAD 30
#define ALLOC_MAX (ALLOC_THREADS * ALLOC_PER_THREAD)

typedef struct alloc_ctx {
    k1s_store *s;
    int thread, seq;
    int64_t picked;
    int bad_list_rev; /* the list inside the callback reported a wrong rev */
    int list_failed;
} alloc_ctx;

typedef struct used_set {
    unsigned char used[ALLOC_MAX + 1];
    int items;
} used_set;

static int mark_used(void *ctx, const char *ns, const char *name, const char *json, size_t len,
                     int64_t rev)
{
    used_set *u = ctx;
    (void)ns, (void)name, (void)rev;
    int64_t n = json_n(json, len);
    if (n >= 0 && n <= ALLOC_MAX)
        u->used[n] = 1;
    u->items++;
    return 0;
}

/* Picks the lowest number no stored "allocs" object holds, as the Service
 * IP allocator does: only correct if the list sees the writes applied
 * earlier in the same batch. */
static int alloc_cb(void *vctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    alloc_ctx *a = vctx;
    (void)cur_rev;
    if (cur)
        return K1S_EEXISTS;
    used_set u;
    memset(&u, 0, sizeof u);
    int64_t lrev = -1;
    if (k1s_store_list(a->s, "", "allocs", NULL, NULL, NULL, 0, mark_used, &u, &lrev, NULL) != 0) {
        a->list_failed = 1;
        return -50;
    }
    if (lrev != new_rev - 1)
        a->bad_list_rev = 1;
    int64_t n = 0;
    while (n < ALLOC_MAX && u.used[n])
        n++;
    a->picked = n;
    /* Give the other threads time to queue up behind this leader. */
    if (a->seq % 4 == 0)
        usleep(200);
    *out = json_pack("{s:{},s:I}", "metadata", "n", (json_int_t)n);
    return *out ? K1S_STORE_PUT : K1S_ENOMEM;
}

typedef struct alloc_thread {
    k1s_store *s;
    int id;
    int errors, bad_list_rev, deleted;
} alloc_thread;

static int delete_cb(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    (void)ctx, (void)cur_rev, (void)new_rev, (void)out;
    return cur ? K1S_STORE_DELETE : K1S_ENOTFOUND;
}

static void *alloc_main(void *p)
{
    alloc_thread *t = p;
    char name[32];
    for (int i = 0; i < ALLOC_PER_THREAD; i++) {
        snprintf(name, sizeof name, "t%d-%d", t->id, i);
        k1s_key k = {"", "allocs", "ns", name};
        alloc_ctx a = {.s = t->s, .thread = t->id, .seq = i};
        json_t *res = NULL;
        int64_t rev = 0;
        int rc = k1s_store_update(t->s, &k, alloc_cb, &a, &res, &rev);
        if (rc || json_integer_value(json_object_get(res, "n")) != a.picked)
            t->errors++;
        t->bad_list_rev += a.bad_list_rev;
        json_decref(res);
        /* Free some numbers again so later picks reuse them. */
        if (i % 3 == 2) {
            snprintf(name, sizeof name, "t%d-%d", t->id, i - 1);
            k1s_key d = {"", "allocs", "ns", name};
            if (k1s_store_update(t->s, &d, delete_cb, NULL, NULL, NULL))
                t->errors++;
            else
                t->deleted++;
        }
    }
    return NULL;
}

/* Replays every event and checks that no two live objects ever held the
 * same number, at any revision. */
static void check_history(k1s_watch *w, int64_t last, int *events)
{
    static char owner[ALLOC_MAX + 1][32];
    memset(owner, 0, sizeof owner);
    int64_t expect = 1;
    int dup = 0, gap = 0;
    k1s_event *e = NULL;
    while (k1s_watch_next(w, &e) == 1) {
        gap |= e->rev != expect;
        expect = e->rev + 1;
        int64_t n = json_n(e->json, e->len);
        if (n < 0 || n > ALLOC_MAX) {
            dup = 1;
        } else if (e->type == K1S_EV_ADDED) {
            dup |= owner[n][0] != '\0';
            snprintf(owner[n], sizeof owner[n], "%s", e->name);
        } else if (e->type == K1S_EV_DELETED) {
            dup |= strcmp(owner[n], e->name) != 0;
            owner[n][0] = '\0';
        }
        (*events)++;
        k1s_event_unref(e);
    }
    CHECK_INT(dup, 0);
    CHECK_INT(gap, 0);
    CHECK_INT(expect - 1, last);
}

static void unique_allocation_case(const char *path)
{
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(path, &s), 0);
    k1s_watch *w = NULL;
    CHECK_INT(k1s_store_watch(s, "", "allocs", NULL, 0, NULL, NULL, &w), 0);
    pthread_t th[ALLOC_THREADS];
    static alloc_thread args[ALLOC_THREADS];
    for (int i = 0; i < ALLOC_THREADS; i++) {
        args[i] = (alloc_thread){.s = s, .id = i};
        pthread_create(&th[i], NULL, alloc_main, &args[i]);
    }
    int errors = 0, bad_rev = 0, deleted = 0;
    for (int i = 0; i < ALLOC_THREADS; i++) {
        pthread_join(th[i], NULL);
        errors += args[i].errors;
        bad_rev += args[i].bad_list_rev;
        deleted += args[i].deleted;
    }
    CHECK_INT(errors, 0);
    CHECK_INT(bad_rev, 0);

    /* The final state: every live number unique. */
    used_set u;
    memset(&u, 0, sizeof u);
    CHECK_INT(k1s_store_list(s, "", "allocs", NULL, NULL, NULL, 0, mark_used, &u, NULL, NULL), 0);
    int live = 0;
    for (int i = 0; i <= ALLOC_MAX; i++)
        live += u.used[i];
    CHECK_INT(u.items, ALLOC_MAX - deleted);
    CHECK_INT(live, u.items);

    int events = 0;
    check_history(w, k1s_store_revision(s), &events);
    CHECK_INT(events, ALLOC_MAX + deleted);
    k1s_watch_close(w);

    /* The scenario is only a test if requests really shared batches. */
    uint64_t batches = 0, requests = 0;
    size_t max_batch = 0;
    k1s__store_batch_stats(s, &batches, &requests, &max_batch);
    CHECK_INT(requests, ALLOC_MAX + deleted + 0);
    CHECK(batches < requests);
    CHECK(max_batch > 1);
    printf("     %s: %llu writes in %llu batches, largest %zu\n",
           path[0] == ':' ? "memory" : "file", (unsigned long long)requests,
           (unsigned long long)batches, max_batch);
    k1s_store_close(s);
}

TEST(test_unique_allocation_file)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    unique_allocation_case(t.path);
    fx_tmpdb_remove(&t);
}

TEST(test_unique_allocation_memory)
{
    unique_allocation_case(":memory:");
}

/* ---- one batch, failures inside it --------------------------------------- */

enum {
    B_CREATE, /* PUT {"v":1} unless present */
    B_UPDATE, /* PUT {"v":2} */
    B_DELETE,
    B_NOOP,
    B_FAIL, /* the callback returns -42 */
    B_HUGE, /* PUT an object over the size limit */
    B_HOLD, /* create, but first wait for `hold` requests to queue up */
};

typedef struct breq {
    k1s_store *s;
    int kind;
    const char *name;
    size_t hold;
    atomic_int ran;
    int64_t new_rev, got_rev;
    int rc;
    json_t *res;
} breq;

static int batch_cb(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    breq *b = ctx;
    (void)cur_rev;
    b->ran = 1;
    b->new_rev = new_rev;
    switch (b->kind) {
    case B_HOLD:
        if (!wait_queued(b->s, b->hold))
            return -77;
        /* fall through */
    case B_CREATE:
        if (cur)
            return K1S_EEXISTS;
        *out = json_pack("{s:{},s:i}", "metadata", "v", 1);
        return K1S_STORE_PUT;
    case B_UPDATE:
        *out = json_pack("{s:{},s:i}", "metadata", "v", 2);
        return K1S_STORE_PUT;
    case B_DELETE:
        return K1S_STORE_DELETE;
    case B_NOOP:
        return K1S_STORE_NOOP;
    case B_HUGE: {
        size_t n = K1S_MAX_OBJECT_BYTES + 10;
        char *big = malloc(n + 1);
        if (!big)
            return K1S_ENOMEM;
        memset(big, 'x', n);
        big[n] = '\0';
        *out = json_pack("{s:{},s:s}", "metadata", "d", big);
        free(big);
        return K1S_STORE_PUT;
    }
    default:
        return -42;
    }
}

static void *breq_main(void *p)
{
    breq *b = p;
    k1s_key k = {"", "things", "ns", b->name};
    b->rc = k1s_store_update(b->s, &k, batch_cb, b, &b->res, &b->got_rev);
    return NULL;
}

static int stored_v(k1s_store *s, const char *name, int64_t *rev)
{
    k1s_key k = {"", "things", "ns", name};
    char *json = NULL;
    int rc = k1s_store_get(s, &k, &json, rev);
    if (rc)
        return rc;
    json_t *o = json_loads(json, 0, NULL);
    int v = (int)json_integer_value(json_object_get(o, "v"));
    json_decref(o);
    free(json);
    return v;
}

TEST(test_failures_roll_back_only_themselves)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    /* A statement failure after the object row was written: only the
     * savepoint (or, for the first write of a transaction, the whole
     * transaction, which is then begun again) may undo it. */
    CHECK_INT(side_exec(t.path, "CREATE TRIGGER boom BEFORE INSERT ON events"
                                " WHEN NEW.name LIKE 'boom%'"
                                " BEGIN SELECT RAISE(ABORT, 'boom'); END"),
              SQLITE_OK);
    k1s_watch *w = NULL;
    CHECK_INT(k1s_store_watch(s, NULL, NULL, NULL, 0, NULL, NULL, &w), 0);

    breq reqs[] = {
        {.kind = B_HOLD, .name = "first"},    /* leads a batch of its own */
        {.kind = B_CREATE, .name = "boom-1"}, /* first write: no savepoint */
        {.kind = B_CREATE, .name = "ok-1"},
        {.kind = B_FAIL, .name = "ok-1"},
        {.kind = B_HUGE, .name = "huge"},
        {.kind = B_CREATE, .name = "boom-2"}, /* inside a savepoint */
        {.kind = B_NOOP, .name = "ok-1"},     /* sees ok-1, uncommitted */
        {.kind = B_UPDATE, .name = "ok-1"},
        {.kind = B_DELETE, .name = "first"},
        {.kind = B_DELETE, .name = "absent"},
        {.kind = B_CREATE, .name = "ok-2"},
    };
    enum { NREQ = sizeof reqs / sizeof reqs[0] };
    reqs[0].hold = NREQ - 1;
    pthread_t th[NREQ];
    for (int i = 0; i < NREQ; i++) {
        reqs[i].s = s;
        pthread_create(&th[i], NULL, breq_main, &reqs[i]);
        /* Queue them in this order behind the first (held) leader. */
        if (i == NREQ - 1) {
            /* The last one releases the first; the batch may be gone
             * before the queue could be looked at. */
        } else if (i > 0) {
            CHECK(wait_queued(s, (size_t)i));
        } else {
            /* The first must have taken its batch before anyone queues. */
            for (int spin = 0; spin < 100000 && !atomic_load(&reqs[0].ran); spin++)
                usleep(100);
        }
    }
    for (int i = 0; i < NREQ; i++)
        pthread_join(th[i], NULL);

    CHECK_INT(reqs[0].rc, 0);
    CHECK_INT(reqs[0].got_rev, 1);
    CHECK_INT(reqs[1].rc, K1S_EIO);
    CHECK(reqs[1].res == NULL);
    CHECK_INT(reqs[2].rc, 0);
    CHECK_INT(reqs[2].got_rev, 2);
    CHECK_INT(reqs[3].rc, -42);
    CHECK_INT(reqs[4].rc, K1S_ETOOLARGE);
    CHECK_INT(reqs[5].rc, K1S_EIO);
    CHECK_INT(reqs[6].rc, 0); /* NOOP: the object as the batch left it */
    CHECK_INT(reqs[6].got_rev, 2);
    CHECK_INT(json_integer_value(json_object_get(reqs[6].res, "v")), 1);
    CHECK_INT(reqs[7].rc, 0);
    CHECK_INT(reqs[7].got_rev, 3);
    CHECK_INT(reqs[8].rc, 0);
    CHECK_INT(reqs[8].got_rev, 4);
    CHECK_INT(reqs[9].rc, K1S_ENOTFOUND);
    CHECK_INT(reqs[10].rc, 0);
    CHECK_INT(reqs[10].got_rev, 5);
    /* Revisions handed to the callbacks: strictly increasing over the
     * applied ones, and the failed ones got what the next one used. */
    CHECK_INT(reqs[2].new_rev, 2);
    CHECK_INT(reqs[5].new_rev, 3);
    CHECK_INT(reqs[7].new_rev, 3);
    CHECK_INT(reqs[10].new_rev, 5);
    for (int i = 0; i < NREQ; i++)
        json_decref(reqs[i].res);

    uint64_t batches = 0, requests = 0;
    size_t max_batch = 0;
    k1s__store_batch_stats(s, &batches, &requests, &max_batch);
    CHECK_INT(batches, 2);
    CHECK_INT(max_batch, NREQ - 1);

    CHECK_INT(k1s_store_revision(s), 5);
    int64_t rev = 0;
    CHECK_INT(stored_v(s, "boom-1", &rev), K1S_ENOTFOUND);
    CHECK_INT(stored_v(s, "boom-2", &rev), K1S_ENOTFOUND);
    CHECK_INT(stored_v(s, "huge", &rev), K1S_ENOTFOUND);
    CHECK_INT(stored_v(s, "first", &rev), K1S_ENOTFOUND);
    CHECK_INT(stored_v(s, "ok-1", &rev), 2);
    CHECK_INT(rev, 3);
    CHECK_INT(stored_v(s, "ok-2", &rev), 1);
    CHECK_INT(rev, 5);
    int64_t cnt = 0;
    CHECK_INT(k1s_store_count(s, "", "things", NULL, &cnt), 0);
    CHECK_INT(cnt, 2);

    /* Watchers got every committed revision once, in order. */
    static const int types[] = {K1S_EV_ADDED, K1S_EV_ADDED, K1S_EV_MODIFIED, K1S_EV_DELETED,
                                K1S_EV_ADDED};
    static const char *names[] = {"first", "ok-1", "ok-1", "first", "ok-2"};
    k1s_event *e = NULL;
    int n = 0;
    while (k1s_watch_next(w, &e) == 1) {
        if (n < 5) {
            CHECK_INT(e->rev, n + 1);
            CHECK_INT(e->type, types[n]);
            CHECK_STR(e->name, names[n]);
        }
        n++;
        k1s_event_unref(e);
    }
    CHECK_INT(n, 5);
    k1s_watch_close(w);
    k1s_store_close(s);

    /* The same after a restart, from the events table. */
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(k1s_store_revision(s), 5);
    CHECK_INT(k1s_store_watch(s, NULL, NULL, NULL, 0, NULL, NULL, &w), 0);
    n = 0;
    while (k1s_watch_next(w, &e) == 1) {
        CHECK_INT(e->rev, n + 1);
        n++;
        k1s_event_unref(e);
    }
    CHECK_INT(n, 5);
    k1s_watch_close(w);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

/* ---- re-entry from a callback --------------------------------------------- */

typedef struct reenter {
    k1s_store *s, *other;
    int update_rc, meta_rc, compact_rc, other_get_rc, own_get_rc;
} reenter;

static int nop_cb(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    (void)ctx, (void)cur, (void)cur_rev, (void)new_rev;
    *out = json_object();
    return K1S_STORE_PUT;
}

static int reenter_cb(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    reenter *r = ctx;
    (void)cur, (void)cur_rev, (void)new_rev;
    k1s_key k = {"", "things", "ns", "inner"};
    /* Each of these would need the writer this thread already holds. */
    r->update_rc = k1s_store_update(r->s, &k, nop_cb, NULL, NULL, NULL);
    r->meta_rc = k1s_store_meta_set(r->s, "k", "v");
    r->compact_rc = k1s_store_compact(r->s, 1);
    /* Another store is not affected by this one's callback. */
    char *json = NULL;
    k1s_key ok = {"", "things", "ns", "there"};
    r->other_get_rc = k1s_store_get(r->other, &ok, &json, NULL);
    free(json);
    json = NULL;
    r->own_get_rc = k1s_store_get(r->s, &ok, &json, NULL);
    free(json);
    /* Writing the other store from here works too. */
    k1s_key nk = {"", "things", "ns", "from-callback"};
    if (k1s_store_update(r->other, &nk, nop_cb, NULL, NULL, NULL) != 0)
        r->other_get_rc = -1000;
    *out = json_object();
    return K1S_STORE_PUT;
}

TEST(test_reentry_from_callback)
{
    fx_tmpdb ta, tb;
    fx_tmpdb_make(&ta, "batch-test");
    fx_tmpdb_make(&tb, "batch-test");
    k1s_store *a = NULL, *b = NULL;
    CHECK_INT(k1s_store_open(ta.path, &a), 0);
    CHECK_INT(k1s_store_open(tb.path, &b), 0);
    k1s_key there = {"", "things", "ns", "there"};
    CHECK_INT(k1s_store_update(b, &there, nop_cb, NULL, NULL, NULL), 0);
    reenter r = {.s = a, .other = b};
    k1s_key k = {"", "things", "ns", "outer"};
    int64_t rev = 0;
    CHECK_INT(k1s_store_update(a, &k, reenter_cb, &r, NULL, &rev), 0);
    CHECK_INT(rev, 1);
    CHECK_INT(r.update_rc, K1S_EINVAL);
    CHECK_INT(r.meta_rc, K1S_EINVAL);
    CHECK_INT(r.compact_rc, K1S_EINVAL);
    CHECK_INT(r.other_get_rc, 0);
    CHECK_INT(r.own_get_rc, K1S_ENOTFOUND);
    CHECK_INT(k1s_store_revision(a), 1);
    CHECK_INT(k1s_store_revision(b), 2);
    /* Outside a callback all of them work again. */
    CHECK_INT(k1s_store_meta_set(a, "k", "v"), 0);
    CHECK_INT(k1s_store_compact(a, 1), 0);
    k1s_store_close(a);
    k1s_store_close(b);
    fx_tmpdb_remove(&ta);
    fx_tmpdb_remove(&tb);
}

/* ---- the head revision across restarts ----------------------------------- */

TEST(test_revision_after_full_compaction)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    k1s_key k = {"", "things", "ns", "x"};
    breq c = {.kind = B_CREATE}, d = {.kind = B_DELETE};
    CHECK_INT(k1s_store_update(s, &k, batch_cb, &c, NULL, NULL), 0);
    CHECK_INT(k1s_store_update(s, &k, batch_cb, &d, NULL, NULL), 0);
    /* Every event row goes, and with it the newest object's traces. */
    CHECK_INT(k1s_store_compact(s, 1000), 0);
    CHECK_INT(k1s_store_compacted_revision(s), 2);
    k1s_store_close(s);

    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(k1s_store_revision(s), 2);
    int64_t lrev = 0;
    used_set u;
    memset(&u, 0, sizeof u);
    CHECK_INT(k1s_store_list(s, "", "things", NULL, NULL, NULL, 0, mark_used, &u, &lrev, NULL), 0);
    CHECK_INT(lrev, 2);
    int64_t rev = 0;
    CHECK_INT(k1s_store_update(s, &k, batch_cb, &c, NULL, &rev), 0);
    CHECK_INT(rev, 3);
    k1s_store_close(s);

    /* A revision row written by an older version (on every commit) that
     * is ahead of the event rows is honoured. */
    CHECK_INT(side_exec(t.path, "UPDATE meta SET v='40'"
                                " WHERE k='k1s.store.revision'"),
              SQLITE_OK);
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(k1s_store_revision(s), 40);
    CHECK_INT(k1s_store_list(s, "", "things", NULL, NULL, NULL, 0, mark_used, &u, &lrev, NULL), 0);
    CHECK_INT(lrev, 40);
    CHECK_INT(k1s_store_update(s, &k, batch_cb, &d, NULL, &rev), 0);
    CHECK_INT(rev, 41);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

/* ---- background checkpoints ---------------------------------------------- */

static long file_size(const char *path, const char *suffix)
{
    char p[160];
    snprintf(p, sizeof p, "%s%s", path, suffix);
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

TEST(test_wal_checkpoints_in_background)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    long db0 = file_size(t.path, "");
    /* About 3 WAL pages per create: well past the background threshold,
     * well short of the inline one. */
    char name[32];
    int n = 4 * K1S__CKPT_FRAMES / 5;
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "c%05d", i);
        k1s_key k = {"", "things", "ns", name};
        if (k1s_store_update(s, &k, nop_cb, NULL, NULL, NULL) != 0) {
            CHECK(0);
            break;
        }
    }
    /* No inline checkpoint ran (SQLite's own would have started the WAL
     * over at K1S__CKPT_FRAMES), yet pages reach the database file: only
     * the checkpoint thread copies them. */
    CHECK(file_size(t.path, "-wal") > 3L * K1S__CKPT_FRAMES / 2 * (4096 + 24));
    long db1 = db0;
    for (int i = 0; i < 2000 && db1 <= db0 + 4096; i++) {
        usleep(1000);
        db1 = file_size(t.path, "");
    }
    CHECK(db1 > db0 + 4096);

    /* Many cycles: the WAL file starts over instead of growing. */
    for (int i = n; i < 12 * K1S__CKPT_FRAMES / 3 + n; i++) {
        snprintf(name, sizeof name, "c%05d", i);
        k1s_key k = {"", "things", "ns", name};
        if (k1s_store_update(s, &k, nop_cb, NULL, NULL, NULL) != 0) {
            CHECK(0);
            break;
        }
    }
    long wal = file_size(t.path, "-wal");
    CHECK(wal > 0);
    CHECK(wal <= 2L * K1S__CKPT_INLINE_FRAMES * (4096 + 24) + 32);
    int64_t last = k1s_store_revision(s);
    k1s_store_close(s);

    CHECK_INT(k1s_store_open(t.path, &s), 0);
    CHECK_INT(k1s_store_revision(s), last);
    int64_t cnt = 0;
    CHECK_INT(k1s_store_count(s, "", "things", NULL, &cnt), 0);
    CHECK_INT(cnt, last);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

/* One object rewritten n times, as a Lease is renewed. */
static void renew(k1s_store *s, int n)
{
    k1s_key k = {"coordination.k8s.io", "leases", "ns", "lease"};
    for (int i = 0; i < n; i++)
        if (k1s_store_update(s, &k, nop_cb, NULL, NULL, NULL) != 0) {
            CHECK(0);
            return;
        }
}

TEST(test_retention_compacts_in_background)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    renew(s, 3000);
    CHECK_INT(k1s_store_compacted_revision(s), 0); /* no retention: no compaction */
    k1s_store_close(s);

    /* a server restarted with a long log compacts at once, not a minute on */
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    k1s_store_set_retention(s, 1000, 0);
    CHECK_SOON(k1s_store_compacted_revision(s) == 3000 - 1000);
    /* and keeps the log near its bound as writes go on */
    renew(s, 5000);
    CHECK_SOON(k1s_store_revision(s) - k1s_store_compacted_revision(s) <= 1250);
    CHECK(k1s_store_revision(s) - k1s_store_compacted_revision(s) >= 1000);
    /* watches from what was compacted are 410, from what is kept work */
    k1s_watch *w = NULL;
    CHECK_INT(k1s_store_watch(s, "", NULL, NULL, 100, NULL, NULL, &w), K1S_EGONE);
    CHECK_INT(k1s_store_watch(s, "", NULL, NULL, k1s_store_revision(s) - 10, NULL, NULL, &w), 0);
    if (w)
        k1s_watch_close(w);
    /* the WAL is cut back once it starts over */
    renew(s, 50);
    CHECK(file_size(t.path, "-wal") <= 16L * 1024 * 1024 + 2L * K1S__CKPT_INLINE_FRAMES * 4120);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

static int lease_cb(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    (void)ctx, (void)cur, (void)cur_rev;
    char holder[1024];
    memset(holder, 'h', sizeof holder - 1);
    holder[sizeof holder - 1] = '\0';
    *out =
        json_pack("{s:{s:s,s:I}}", "spec", "holderIdentity", holder, "renew", (json_int_t)new_rev);
    return *out ? K1S_STORE_PUT : K1S_ENOMEM;
}

/* The growth bound of docs/reliability.md: a 1 KiB Lease renewed 100 000
 * times, 10 000 events kept, stays within 48 MiB of database and WAL. */
TEST(test_lease_renewals_stay_bounded)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    k1s_store_set_retention(s, 10000, 0);
    k1s_key k = {"coordination.k8s.io", "leases", "kube-node-lease", "vm"};
    long peak = 0;
    for (int i = 0; i < 100000; i++) {
        if (k1s_store_update(s, &k, lease_cb, NULL, NULL, NULL) != 0) {
            CHECK(0);
            break;
        }
        if (i % 5000 == 0) {
            long sz = file_size(t.path, "") + file_size(t.path, "-wal");
            peak = sz > peak ? sz : peak;
        }
    }
    CHECK_SOON(k1s_store_revision(s) - k1s_store_compacted_revision(s) <= 12500);
    long db = file_size(t.path, ""), wal = file_size(t.path, "-wal");
    fprintf(stderr, "  100000 renewals: database %ld KiB, WAL %ld KiB, peak %ld KiB\n", db / 1024,
            wal / 1024, peak / 1024);
    CHECK(db + wal <= 48L * 1024 * 1024 && peak <= 48L * 1024 * 1024);
    k1s_store_close(s);
    fx_tmpdb_remove(&t);
}

static int blob_cb(void *ctx, json_t *cur, int64_t cur_rev, int64_t new_rev, json_t **out)
{
    (void)cur, (void)cur_rev;
    *out = json_pack("{s:s,s:I}", "blob", (const char *)ctx, "rev", (json_int_t)new_rev);
    return *out ? K1S_STORE_PUT : K1S_ENOMEM;
}

static void write_blobs(k1s_store *s, const char *blob, int n)
{
    k1s_key k = {"", "configmaps", "ns", "big"};
    for (int i = 0; i < n; i++)
        if (k1s_store_update(s, &k, blob_cb, (void *)blob, NULL, NULL) != 0) {
            CHECK(0);
            return;
        }
}

/* Big events: the byte bound keeps the log near it (never below the
 * newest K1S_STORE_MIN_EVENTS), also for what an earlier run left. */
TEST(test_retention_by_bytes)
{
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    size_t big = 64 * 1024;
    char *blob = malloc(big + 1);
    memset(blob, 'b', big);
    blob[big] = '\0';
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    write_blobs(s, blob, 300); /* ~19 MiB, no bound yet */
    k1s_store_close(s);

    int64_t bound = 8 << 20;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    k1s_store_set_retention(s, 10000, bound);
    /* what the last run left is read and cut down to 3/4 of the bound */
    CHECK_SOON(k1s__store_log_bytes(s) > 0 &&
               k1s__store_log_bytes(s) <= (uint64_t)bound - bound / 4 + big + 4096);
    int64_t kept = k1s_store_revision(s) - k1s_store_compacted_revision(s);
    CHECK(kept >= K1S_STORE_MIN_EVENTS && kept < 150);
    write_blobs(s, blob, 300);
    CHECK_SOON(k1s__store_log_bytes(s) <= (uint64_t)bound + bound / 4 + big);
    kept = k1s_store_revision(s) - k1s_store_compacted_revision(s);
    CHECK(kept >= K1S_STORE_MIN_EVENTS);
    /* the count matches the log */
    k1s_watch *w = NULL;
    CHECK_INT(
        k1s_store_watch(s, "", "configmaps", NULL, k1s_store_compacted_revision(s), NULL, NULL, &w),
        0);
    uint64_t sum = 0;
    k1s_event *e;
    while (w && k1s_watch_next(w, &e) == 1) {
        sum += e->len;
        k1s_event_unref(e);
    }
    if (w)
        k1s_watch_close(w);
    CHECK(sum == k1s__store_log_bytes(s));
    k1s_store_close(s);
    free(blob);
    fx_tmpdb_remove(&t);
}

/* ---- another process is kept out ----------------------------------------- */

TEST(test_file_is_exclusive_to_the_process)
{
    if (!sqlite3_vfs_find("unix-excl"))
        return; /* the lock is then SQLite's usual one */
    fx_tmpdb t;
    fx_tmpdb_make(&t, "batch-test");
    k1s_store *s = NULL;
    CHECK_INT(k1s_store_open(t.path, &s), 0);
    k1s_key k = {"", "things", "ns", "x"};
    CHECK_INT(k1s_store_update(s, &k, nop_cb, NULL, NULL, NULL), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* Another process: would a reader there get its shared lock? That
         * lock is a read lock on SQLite's shared byte range (just after
         * the pending byte at 1 GiB). The child has no locks of its own,
         * so it sees the parent's. (Only a child that never used SQLite
         * itself can ask: SQLite's lock bookkeeping is per process.) */
        int fd = open(t.path, O_RDONLY);
        struct flock fl = {
            .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0x40000002, .l_len = 510};
        int ok = fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK &&
                 fl.l_pid == getppid();
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    k1s_store_close(s);

    /* Once closed, the file is free again. */
    pid = fork();
    if (pid == 0) {
        int fd = open(t.path, O_RDONLY);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        int ok = fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK;
        _exit(ok ? 0 : 1);
    }
    status = -1;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    fx_tmpdb_remove(&t);
}

K1S_TEST_MAIN(T(test_unique_allocation_file), T(test_unique_allocation_memory),
              T(test_failures_roll_back_only_themselves), T(test_reentry_from_callback),
              T(test_revision_after_full_compaction), T(test_wal_checkpoints_in_background),
              T(test_retention_compacts_in_background), T(test_lease_renewals_stay_bounded),
              T(test_retention_by_bytes), T(test_file_is_exclusive_to_the_process))
