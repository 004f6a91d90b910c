/*
 * tables_int.h - internals shared by the table files: the column and kind
 * descriptions (data, one static table per kind, read by one cell renderer),
 * and the small helpers the computed cells are written with (JSON reads
 * beside base's, cells built in capped k1s_bufs, timestamps and ages, label
 * and selector formatting).
 *
 * A column says where its cell comes from: a dotted JSON path read in one of
 * a few ways (K1S__STR, K1S__INT, K1S__AGE, ...), or a function for the
 * cells that compute. Cells are new references (a string, integer or
 * boolean, as kube-apiserver's printers put in the cell), or NULL on
 * allocation failure. They never fail on odd input: a missing or mistyped
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

/* ---- columns ---------------------------------------------------------------- */

/* How a cell is read from the object at the column's path. What dflt (or
 * ival) stands in for is said per format. */
typedef enum k1s__tb_format {
    K1S__CELL_STR,      /* the string; dflt ("" when NULL) when absent */
    K1S__CELL_NONEMPTY, /* the string; dflt when absent or "" */
    K1S__CELL_INT,      /* the integer; ival when absent */
    K1S__CELL_BOOL,     /* the boolean; ival (0 or 1) when absent */
    K1S__CELL_COUNT,    /* elements of the array, or members of the object */
    K1S__CELL_AGE,      /* time since the timestamp ("<unknown>" for Go's zero
                         * time); dflt, when not NULL, when it is absent */
    K1S__CELL_LABELS,   /* the string map as labels.FormatLabels: "k=v,..." */
    K1S__CELL_SELECTOR, /* the LabelSelector as metav1.FormatLabelSelector */
    K1S__CELL_LIST,     /* the array's strings (or each element's member arg)
                         * joined with ","; dflt when that is empty */
    K1S__CELL_QUANTITY, /* the quantity as stored; dflt when absent */
    K1S__CELL_PAIR,     /* the object's two string members named by arg "a/b",
                         * joined with "/"; dflt, when not NULL, when there is
                         * no object */
    K1S__CELL_FN,       /* computed by fn */
} k1s__tb_format;

typedef struct k1s__tb_cell k1s__tb_cell;

/* A computed cell of obj (borrowed): a new reference, NULL on allocation
 * failure. cell is the column's (its path and arg, when the function takes
 * them); now is the time ages are measured to. */
typedef json_t *(*k1s__tb_cell_fn)(const json_t *obj, const k1s__tb_cell *cell, time_t now);

struct k1s__tb_cell {
    k1s__tb_format as;
    const char *path;   /* the dotted path read (fn: its own, or NULL) */
    const char *arg;    /* LIST: member of each element (NULL: the element);
                         * PAIR: "a/b"; fn: its own, or NULL */
    const char *dflt;   /* see the format */
    long long ival;     /* INT and BOOL: the value when absent */
    k1s__tb_cell_fn fn; /* K1S__CELL_FN */
};

/* The cell (new reference) of obj as c says; NULL on allocation failure. */
json_t *k1s__tb_cell_render(const k1s__tb_cell *c, const json_t *obj, time_t now);

/* How columns say where their cells come from. */
#define K1S__STR(p)                      \
    {                                    \
        .as = K1S__CELL_STR, .path = (p) \
    }
#define K1S__STR_OR(p, d)                             \
    {                                                 \
        .as = K1S__CELL_STR, .path = (p), .dflt = (d) \
    }
#define K1S__NONEMPTY_OR(p, d)                             \
    {                                                      \
        .as = K1S__CELL_NONEMPTY, .path = (p), .dflt = (d) \
    }
#define K1S__INT(p, d)                                \
    {                                                 \
        .as = K1S__CELL_INT, .path = (p), .ival = (d) \
    }
#define K1S__BOOL(p, d)                                \
    {                                                  \
        .as = K1S__CELL_BOOL, .path = (p), .ival = (d) \
    }
#define K1S__COUNT(p)                      \
    {                                      \
        .as = K1S__CELL_COUNT, .path = (p) \
    }
#define K1S__AGE(p)                      \
    {                                    \
        .as = K1S__CELL_AGE, .path = (p) \
    }
#define K1S__AGE_OR(p, d)                             \
    {                                                 \
        .as = K1S__CELL_AGE, .path = (p), .dflt = (d) \
    }
#define K1S__LABELS(p)                      \
    {                                       \
        .as = K1S__CELL_LABELS, .path = (p) \
    }
#define K1S__SELECTOR(p)                      \
    {                                         \
        .as = K1S__CELL_SELECTOR, .path = (p) \
    }
#define K1S__LIST(p, member, d)                                         \
    {                                                                   \
        .as = K1S__CELL_LIST, .path = (p), .arg = (member), .dflt = (d) \
    }
#define K1S__QUANTITY(p, d)                                \
    {                                                      \
        .as = K1S__CELL_QUANTITY, .path = (p), .dflt = (d) \
    }
#define K1S__PAIR(p, members, d)                                         \
    {                                                                    \
        .as = K1S__CELL_PAIR, .path = (p), .arg = (members), .dflt = (d) \
    }
#define K1S__FN(f)                    \
    {                                 \
        .as = K1S__CELL_FN, .fn = (f) \
    }
#define K1S__FN_AT(f, p, a)                                    \
    {                                                          \
        .as = K1S__CELL_FN, .path = (p), .arg = (a), .fn = (f) \
    }

typedef struct k1s__tb_column {
    const char *name;
    const char *type;   /* "string", "integer", "boolean", "date" */
    const char *format; /* "name" for the object's name column, else "" */
    int priority;       /* 1: shown by `-o wide` only */
    const char *description;
    k1s__tb_cell cell;
} k1s__tb_column;

/* ---- kinds ------------------------------------------------------------------ */

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

/* Column descriptions shared by many kinds. */
#define K1S__DESC_NAME "Name of the object, unique within its namespace or the cluster."
#define K1S__DESC_AGE "Time since the object was created."
#define K1S__DESC_CONTAINERS "Names of the containers in the pod template."
#define K1S__DESC_IMAGES "Images of the containers in the pod template."

/* Columns many kinds share: the name (first, in almost every kind), the
 * age, and the containers and images of a pod template's container list. */
#define K1S__COL_NAME                                                          \
    {                                                                          \
        "Name", "string", "name", 0, K1S__DESC_NAME, K1S__STR("metadata.name") \
    }
#define K1S__COL_AGE                                                                  \
    {                                                                                 \
        "Age", "string", "", 0, K1S__DESC_AGE, K1S__AGE("metadata.creationTimestamp") \
    }
#define K1S__COL_CONTAINERS(containers, prio)                   \
    {                                                           \
        "Containers", "string", "", prio, K1S__DESC_CONTAINERS, \
            K1S__LIST(containers, "name", NULL)                 \
    }
#define K1S__COL_IMAGES(containers, prio)                                                    \
    {                                                                                        \
        "Images", "string", "", prio, K1S__DESC_IMAGES, K1S__LIST(containers, "image", NULL) \
    }

/* ---- JSON reads (all borrowed; base's k1s_json_* for the rest) ---------- */

/* Elements of the array or members of the object at path; 0 otherwise. */
size_t k1s__tb_count(const json_t *obj, const char *path);
/* The array at path or NULL. */
const json_t *k1s__tb_array(const json_t *obj, const char *path);
/* Whether s is a non-empty string. */
static inline bool k1s__tb_nonempty(const char *s)
{
    return s && *s;
}

/* ---- cells ---------------------------------------------------------------- */

/* Cells are built in a k1s_buf capped at K1S__CELL_MAX, so hostile objects
 * cannot make huge tables: the first piece that does not fit is dropped
 * whole, and so is everything after it, so the text stays valid UTF-8 and
 * ends cleanly. A full cell keeps its text; only out of memory fails. */
#define K1S__CELL_MAX (64 * 1024)
#define K1S__CELL_BUF        \
    {                        \
        .max = K1S__CELL_MAX \
    }

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
void k1s__tb_add_quantity(k1s_buf *sb, const json_t *q, const char *missing);

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
void k1s__tb_add_labels(k1s_buf *sb, const json_t *map);
json_t *k1s__tb_jlabels(const json_t *map);
/*
 * A metav1.LabelSelector as labels.Selector.String() prints it. Returns 0,
 * 1 for a nil selector (matches nothing, prints ""), or -1 when the selector
 * is invalid (nothing appended).
 */
int k1s__tb_add_selector(k1s_buf *sb, const json_t *sel);
/* metav1.FormatLabelSelector: "<none>" for empty, "<error>" when invalid. */
json_t *k1s__tb_jformat_selector(const json_t *sel);
/* Access modes as "RWO,ROX,RWX,RWOP" (always in that order). */
json_t *k1s__tb_jaccess_modes(const json_t *modes);
/* Append "host:port", bracketing IPv6 hosts like net.JoinHostPort. */
void k1s__tb_add_hostport(k1s_buf *sb, const char *host, long long port);
/* Append an int-or-string value as intstr.String() prints it. */
void k1s__tb_add_intstr(k1s_buf *sb, const json_t *v);
/* Lower-case ASCII copy appended. */
void k1s__tb_add_lower(k1s_buf *sb, const char *s);
/* Sort strings with strcmp (Go's sort.Strings). */
void k1s__tb_sort_strings(const char **v, size_t n);

/* The default table's columns (Name, Created At), for kinds kube prints
 * that way but that are listed on purpose (LimitRange). */
#define K1S__TB_DEFAULT_NCOLUMNS 2
extern const k1s__tb_column k1s__tb_default_columns[K1S__TB_DEFAULT_NCOLUMNS];

#endif
