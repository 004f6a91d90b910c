/*
 * tables_int.h - internals shared by the table files: the column and kind
 * descriptions (data, one static table per kind), and the small helpers the
 * cell functions are written with (JSON reads beside base's, cells built in
 * capped k1s_bufs, timestamps and ages, label and selector formatting).
 *
 * Cell functions read a borrowed object and return a new reference (a string,
 * integer or boolean, as kube-apiserver's printers put in the cell), or NULL
 * on allocation failure. They never fail on odd input: a missing or mistyped
 * field reads as Go's zero value, as it would after decoding.
 */
#ifndef K1S_TABLES_INT_H
#define K1S_TABLES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "k1s_buf.h"
#include "k1s_json.h"

/* ---- kind tables ---------------------------------------------------------- */

typedef json_t *(*k1s__tb_cell_fn)(const json_t *obj, time_t now);

typedef struct k1s__tb_column {
    const char *name;
    const char *type;        /* "string", "integer", "boolean", "date" */
    const char *format;      /* "name" for the object's name column, else "" */
    int priority;            /* 1: shown by `-o wide` only */
    const char *description;
    k1s__tb_cell_fn cell;
} k1s__tb_column;

typedef struct k1s__tb_kind_table {
    const char *group; /* "" for core */
    const char *kind;
    const k1s__tb_column *columns;
    size_t ncolumns;
    /* Row conditions (new reference) or NULL for none. May be NULL. */
    json_t *(*conditions)(const json_t *obj);
    /* Row order when kube sorts the list (FlowSchema); NULL keeps item order. */
    int (*compare)(const json_t *a, const json_t *b);
} k1s__tb_kind_table;

#define K1S__NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

/* The kind tables, one array per file; looked up by k1s__tb_kind_lookup. */
extern const k1s__tb_kind_table k1s__tb_kinds_pod[];
extern const size_t k1s__tb_kinds_pod_count;
extern const k1s__tb_kind_table k1s__tb_kinds_core[];
extern const size_t k1s__tb_kinds_core_count;
extern const k1s__tb_kind_table k1s__tb_kinds_workloads[];
extern const size_t k1s__tb_kinds_workloads_count;
extern const k1s__tb_kind_table k1s__tb_kinds_storage[];
extern const size_t k1s__tb_kinds_storage_count;
extern const k1s__tb_kind_table k1s__tb_kinds_cluster[];
extern const size_t k1s__tb_kinds_cluster_count;

/* The kind table for group/kind, or NULL (default table). */
const k1s__tb_kind_table *k1s__tb_kind_lookup(const char *group, const char *kind);

/* Cells every kind uses: metadata.name, and age since creationTimestamp. */
json_t *k1s__tb_cell_name(const json_t *obj, time_t now);
json_t *k1s__tb_cell_age(const json_t *obj, time_t now);

/* Column descriptions shared by many kinds. */
#define K1S__DESC_NAME "Name of the object, unique within its namespace or the cluster."
#define K1S__DESC_AGE "Time since the object was created."
#define K1S__DESC_CONTAINERS "Names of the containers in the pod template."
#define K1S__DESC_IMAGES "Images of the containers in the pod template."

/* The first column of almost every kind, and the age column. */
#define K1S__COL_NAME {"Name", "string", "name", 0, K1S__DESC_NAME, k1s__tb_cell_name}
#define K1S__COL_AGE {"Age", "string", "", 0, K1S__DESC_AGE, k1s__tb_cell_age}

/* ---- JSON reads (all borrowed; base's k1s_json_* for the rest) ---------- */

/* Elements of the array or members of the object at path; 0 otherwise. */
size_t k1s__tb_count(const json_t *obj, const char *path);
/* The array at path or NULL. */
const json_t *k1s__tb_array(const json_t *obj, const char *path);
/* Whether s is a non-empty string. */
static inline bool k1s__tb_nonempty(const char *s) { return s && *s; }

/* ---- cells ---------------------------------------------------------------- */

/* Cells are built in a k1s_buf capped at K1S__CELL_MAX, so hostile objects
 * cannot make huge tables: the first piece that does not fit is dropped
 * whole, and so is everything after it, so the text stays valid UTF-8 and
 * ends cleanly. A full cell keeps its text; only out of memory fails. */
#define K1S__CELL_MAX (64 * 1024)
#define K1S__CELL_BUF {.max = K1S__CELL_MAX}

/* New references for cells; NULL s is "". */
json_t *k1s__tb_jstr(const char *s);
json_t *k1s__tb_jint(long long v);
json_t *k1s__tb_jbool(bool v);
/* A JSON string of b's text (new reference, NULL when b ran out of
 * memory); frees b. */
json_t *k1s__tb_jbuf(k1s_buf *b);
/* Quantity as Go's Quantity.String() prints a stored one; missing is "0". */
json_t *k1s__tb_jquantity(const json_t *q);
/* Append a stored quantity (string or number) to a cell, or missing. */
void k1s__tb_sb_quantity(k1s_buf *sb, const json_t *q, const char *missing);

/* ---- time --------------------------------------------------------------- */

/* A point in time; zero is Go's zero time (absent, null or unparsable). */
typedef struct k1s__tb_time {
    long long sec; /* Unix seconds */
    long nsec;
    bool zero;
} k1s__tb_time;

/* Parse RFC 3339 as Go's time.Parse(RFC3339) does (base's k1s_time_parse);
 * anything it refuses is the zero time. */
k1s__tb_time k1s__tb_parse_time(const char *s);
k1s__tb_time k1s__tb_time_at(const json_t *obj, const char *path);
/* a < b (Go's Before). */
bool k1s__tb_time_before(k1s__tb_time a, k1s__tb_time b);
/* b - a in nanoseconds, saturating like Go's Time.Sub. */
long long k1s__tb_time_sub_ns(k1s__tb_time b, k1s__tb_time a);
/* HumanDuration of a signed duration in nanoseconds. */
void k1s__tb_human_duration_ns(char *buf, size_t len, long long ns);
/* Duration from t to now ("<unknown>" for the zero time) into buf. */
void k1s__tb_since(char *buf, size_t len, k1s__tb_time t, time_t now);
/* The same as a cell (new reference). */
json_t *k1s__tb_jsince(k1s__tb_time t, time_t now);

/* ---- formatting helpers --------------------------------------------------- */

/* labels.FormatLabels: "k=v,..." sorted, "<none>" when empty. */
void k1s__tb_sb_labels(k1s_buf *sb, const json_t *map);
json_t *k1s__tb_jlabels(const json_t *map);
/*
 * A metav1.LabelSelector as labels.Selector.String() prints it. Returns 0,
 * 1 for a nil selector (matches nothing, prints ""), or -1 when the selector
 * is invalid (nothing appended).
 */
int k1s__tb_sb_selector(k1s_buf *sb, const json_t *sel);
/* metav1.FormatLabelSelector: "<none>" for empty, "<error>" when invalid. */
json_t *k1s__tb_jformat_selector(const json_t *sel);
/* Names or images of a container list, joined with ",". */
json_t *k1s__tb_jcontainers(const json_t *containers, const char *field);
/* Access modes as "RWO,ROX,RWX,RWOP" (always in that order). */
json_t *k1s__tb_jaccess_modes(const json_t *modes);
/* Append "host:port", bracketing IPv6 hosts like net.JoinHostPort. */
void k1s__tb_sb_hostport(k1s_buf *sb, const char *host, long long port);
/* Append an int-or-string value as intstr.String() prints it. */
void k1s__tb_sb_intstr(k1s_buf *sb, const json_t *v);
/* Lower-case ASCII copy appended. */
void k1s__tb_sb_lower(k1s_buf *sb, const char *s);
/* Sort strings with strcmp (Go's sort.Strings). */
void k1s__tb_sort_strings(const char **v, size_t n);

#endif
