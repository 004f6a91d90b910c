/* The ceiling for the creates/s benchmark: how many single-row transactions
 * per second SQLite itself commits on this disk with the durability k1s
 * uses (WAL, synchronous=NORMAL), each row a JSON text of about the size of
 * a stored ConfigMap, in a table whose primary key is an index like k1s's.
 * bench/b_create.py compiles it (cc -O2 ... -lsqlite3) and runs
 *   sqlite_ceiling DB_PATH SECONDS ROW_BYTES
 * (DB_PATH may hold rows of an earlier run: the new ones are added) which
 * prints one line: "<rows> rows in <seconds> s: <rows/s> inserts/s". */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Bounds the run even on a disk that is faster than any we expect. */
#define MAX_ROWS 20000000L
#define MAX_ROW_BYTES (1 << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exec_ok(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: sqlite_ceiling DB_PATH SECONDS ROW_BYTES\n");
        return 2;
    }
    double seconds = atof(argv[2]);
    long row_bytes = atol(argv[3]);
    if (seconds <= 0 || seconds > 600 || row_bytes < 16 || row_bytes > MAX_ROW_BYTES) {
        fprintf(stderr, "sqlite_ceiling: SECONDS in (0,600], ROW_BYTES in [16,1MiB]\n");
        return 2;
    }

    int rc = 1;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *row = malloc((size_t)row_bytes + 1);
    if (!row)
        goto cleanup;
    /* a JSON-looking payload: compressibility does not matter to SQLite,
     * but the size does */
    memset(row, 'x', (size_t)row_bytes);
    memcpy(row, "{\"data\":\"", 9);
    memcpy(row + row_bytes - 2, "\"}", 2);
    row[row_bytes] = '\0';

    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: cannot open %s\n", argv[1]);
        goto cleanup;
    }
    if (exec_ok(db, "PRAGMA journal_mode=WAL") || exec_ok(db, "PRAGMA synchronous=NORMAL") ||
        exec_ok(db, "CREATE TABLE IF NOT EXISTS objects(grp TEXT NOT NULL,"
                    " res TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,"
                    " rev INTEGER NOT NULL, json TEXT NOT NULL,"
                    " PRIMARY KEY(grp,res,ns,name))"))
        goto cleanup;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO objects(grp,res,ns,name,rev,json)"
                           " VALUES('','configmaps','default',?1,?2,?3)",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: prepare: %s\n", sqlite3_errmsg(db));
        goto cleanup;
    }

    long n = 0;
    double start = now_s(), end = start + seconds, t = start;
    char name[64];
    /* outside an explicit BEGIN each INSERT is its own transaction: one
     * commit (one WAL append) per row, as one create is in k1s */
    while (n < MAX_ROWS && t < end) {
        /* the pid keeps names unique when a later run reuses the file */
        snprintf(name, sizeof name, "bench-%ld-%ld", (long)getpid(), n);
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, n + 1);
        sqlite3_bind_text(st, 3, row, (int)row_bytes, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "sqlite_ceiling: insert: %s\n", sqlite3_errmsg(db));
            goto cleanup;
        }
        sqlite3_reset(st);
        n++;
        if ((n & 63) == 0)
            t = now_s();
    }
    t = now_s();
    printf("%ld rows in %.3f s: %.1f inserts/s\n", n, t - start, (double)n / (t - start));
    rc = 0;
cleanup:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(row);
    return rc;
}
