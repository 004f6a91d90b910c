/*
 * test_gen_schema.c - runs schema/gen_schema.py (python3 from PATH) on
 * tests/unit/schema/sample.def and on small broken inputs written to a temp
 * directory: good input gives sorted C tables that compile (cc from PATH),
 * errors name FILE:LINE and fail, unknown attributes only warn, no input
 * gives empty tables, protobuf numbers are required where a kind reaches and
 * land in the field extension rows and the by-number index. The source tree is $K1S_SOURCE_DIR (set by ctest), or
 * found from this file's path. The interpreter is $K1S_PYTHON, else
 * /usr/bin/python3 (a pyenv shim costs a second per run), else python3.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "k1s_test.h"
#include "k1s_fixture.h"

static char src[4096], tmp[256], python[1024];

static void find_source(void)
{
    const char *py = getenv("K1S_PYTHON");
    if (py && *py)
        snprintf(python, sizeof python, "%s", py);
    else if (access("/usr/bin/python3", X_OK) == 0)
        snprintf(python, sizeof python, "/usr/bin/python3");
    else
        snprintf(python, sizeof python, "python3");
    const char *env = getenv("K1S_SOURCE_DIR");
    if (env && *env) {
        snprintf(src, sizeof src, "%s", env);
        return;
    }
    snprintf(src, sizeof src, "%s", __FILE__);
    char *cut = strstr(src, "/tests/unit/schema/");
    if (cut)
        *cut = '\0';
    else
        snprintf(src, sizeof src, ".");
}

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Runs the generator on args (paths relative to tmp unless absolute);
 * returns its exit status, output (stdout+stderr) in out. */
static int gen(const char *args, char *out, size_t n)
{
    char *cmd = NULL;
    if (asprintf(&cmd, "cd '%s' && '%s' '%s/schema/gen_schema.py' -o out.c %s 2>&1", tmp, python,
                 src, args) < 0) {
        out[0] = '\0';
        return -1;
    }
    FILE *p = popen(cmd, "r");
    free(cmd);
    size_t len = 0;
    if (p) {
        len = fread(out, 1, n - 1, p);
        int st = pclose(p);
        out[len] = '\0';
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
    out[0] = '\0';
    return -1;
}

static char *read_out(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/out.c", tmp);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* Not a check of the generator: makes the scratch directory the others
 * write to (test_cleanup removes it). */
TEST(test_setup)
{
    find_source();
    fx_tmpdir(tmp, sizeof tmp, "gen-schema");
}

TEST(test_cleanup)
{
    CHECK_INT(fx_rmtree(tmp), 0);
}

TEST(test_sample)
{
    char out[8192], args[5000];
    snprintf(args, sizeof args, "'%s/tests/unit/schema/sample.def'", src);
    CHECK_INT(gen(args, out, sizeof out), 0);
    CHECK_STR(out, "");
    char *c = read_out();
    CHECK(c != NULL);
    if (!c)
        return;
    /* types sorted by name; defaults stored as JSON text */
    char *sts = strstr(c, "{\"io.k8s.api.apps.v1.StatefulSet\", ");
    char *pod = strstr(c, "{\"io.k8s.api.core.v1.Pod\", ");
    char *meta = strstr(c, "{\"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta\", ");
    CHECK(sts && pod && meta && sts < pod && pod < meta);
    CHECK(strstr(c, "{\"protocol\", K1S_T_STRING, K1S_T_STRING, NULL, NULL, "
                    "NULL, NULL, false, \"\\\"TCP\\\"\", NULL},") != NULL);
    CHECK(strstr(c, "{\"containerPort\", \"protocol\", NULL}") != NULL);
    CHECK(strstr(c, "k1s__schema_nkinds = 5;") != NULL);
    /* protobuf numbers: ContainerPort.containerPort is pb=3 keepzero, the
     * ports list of Container (keys containerPort,protocol) is pb=6 */
    CHECK(strstr(c, "    {k1s__keys_0, NULL, K1S_T_STRING, 6, 0, 0, false},") != NULL);
    CHECK(strstr(c, "    {NULL, NULL, K1S_T_STRING, 3, 0, 1, false},") != NULL);

    /* the output is valid C */
    char cmd[12288];
    snprintf(cmd, sizeof cmd,
             "cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I'%s/schema' "
             "-I'%s/base' '%s/out.c' 2>&1",
             src, src, tmp);
    CHECK_INT(system(cmd), 0);
}

TEST(test_empty)
{
    char out[4096];
    CHECK_INT(gen("", out, sizeof out), 0);
    char *c = read_out();
    CHECK(c && strstr(c, "k1s__schema_ntypes = 0;"));
    CHECK(c && strstr(c, "k1s__schema_nkinds = 0;"));
}

TEST(test_nested_and_warnings)
{
    char out[4096];
    write_file("nested.def", "# comment\n"
                             "type core.v1.A gvk=/v1/A\n"
                             "  \"A thing.\"\n"
                             "  grid [][]string pb=- \"rows \\\"quoted\\\"\"\n"
                             "  groups map[[]string] pb=9\n"
                             "  objs []map[core.v1.B] pb=2.1\n"
                             "  b core.v1.B pb=3 union optional\n"
                             "type core.v1.B\n"
                             "  x int32 default=7 pb=1 keepzero\n"
                             "  t time pb=2 microtime\n");
    CHECK_INT(gen("nested.def", out, sizeof out), 0);
    CHECK(strstr(out, "nested.def:7: warning: unknown attribute 'optional'") != NULL);
    CHECK(strstr(out, "union") == NULL);
    char *c = read_out();
    CHECK(c && strstr(c, "{\"grid\", K1S_T_ARRAY, K1S_T_ARRAY, NULL,"));
    CHECK(c && strstr(c, "rows \\\"quoted\\\""));
    CHECK(c && strstr(c, "{\"objs\", K1S_T_ARRAY, K1S_T_MAP, "
                         "&k1s__schema_types[1],"));
    /* ext rows: keys, map type, inner kind, pb, inline message, flags */
    CHECK(c && strstr(c, "{NULL, NULL, K1S_T_OBJECT, 1, 2, 0, false},"));
    CHECK(c && strstr(c, "{NULL, NULL, K1S_T_STRING, 0, 0, 0, false},"));
    CHECK(c && strstr(c, "{NULL, NULL, K1S_T_STRING, 1, 0, 1, false},"));
    CHECK(c && strstr(c, "{NULL, NULL, K1S_T_STRING, 2, 0, 2, false},"));
    /* A's numbered fields by (inline, number): b(3), groups(9), objs(2.1);
     * grid has none */
    CHECK(c && strstr(c, "k1s__schema_by_pb[] = {\n    3, 1, 2, 0, 1,\n"));
    CHECK(c && strstr(c, "{0, 0, 3}, {4, 3, 2},"));
}

/* pb= is required on every field a kind reaches, and checked. */
TEST(test_pb_errors)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"type core.v1.A gvk=/v1/A\n  a string pb=1\n  b core.v1.B pb=2\n"
         "type core.v1.B\n  c []core.v1.C pb=1\ntype core.v1.C\n  d int32\n",
         "bad.def:7: error: field d of io.k8s.api.core.v1.C has no pb="},
        {"type core.v1.A\n  a string pb=0\n", "bad.def:2: error: pb must be"},
        {"type core.v1.A\n  a string pb=x\n", "bad.def:2: error: pb must be"},
        {"type core.v1.A\n  a string pb=1.2.3\n", "bad.def:2: error: pb must be"},
        {"type core.v1.A\n  a string pb=536870912\n", "bad.def:2: error: pb must be"},
        {"type core.v1.A\n  a string pb=1 pb=2\n", "bad.def:2: error: pb= given twice"},
        {"type core.v1.A\n  a string pb=4\n  b int32 pb=4\n",
         "bad.def:3: error: pb=4 of io.k8s.api.core.v1.A.b is also the number "
         "of a (bad.def:2)"},
        {"type core.v1.A\n  a string pb=2\n  b int32 pb=2.1\n",
         "bad.def:2: error: pb=2 of io.k8s.api.core.v1.A.a is also used as an "
         "inline message number"},
        {"type core.v1.A\n  a []string pb=1 keepzero\n",
         "bad.def:2: error: keepzero on a, which is not a"},
        {"type core.v1.A\n  a string pb=1 microtime\n",
         "bad.def:2: error: microtime on a, which is not a time field"},
    };
    char out[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file("bad.def", cases[i].text);
        int rc = gen("bad.def", out, sizeof out);
        CHECK_INT(rc, 1);
        if (!strstr(out, cases[i].want)) {
            fprintf(stderr, "case %zu: want \"%s\" in:\n%s\n", i, cases[i].want, out);
            CHECK(0);
        }
    }
    /* types no kind reaches need no numbers */
    write_file("ok.def", "type core.v1.A\n  a string\n");
    CHECK_INT(gen("ok.def", out, sizeof out), 0);
}

/* Each broken input fails, naming the file and line. */
TEST(test_errors)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"type core.v1.A\n  name\n", "bad.def:2: error: field name has no type"},
        {"type core.v1.A\n  b core.v1.Missing\n",
         "bad.def:2: error: field b of io.k8s.api.core.v1.A refers to "
         "undefined type io.k8s.api.core.v1.Missing"},
        {"  a string\n", "bad.def:1: error: field line outside a type block"},
        {"typ core.v1.A\n", "bad.def:1: error: expected 'type NAME'"},
        {"type core.v1.A\n  a string \"unterminated\n", "bad.def:2: error: unterminated string"},
        {"type core.v1.A\n  a int32 default=\"x\"\n",
         "bad.def:2: error: default \"x\" does not fit the type of a"},
        {"type core.v1.A\n  a int32 default={\n", "bad.def:2: error: default of a is not JSON"},
        {"type core.v1.A\n  a [][][]string\n",
         "bad.def:2: error: type nests containers deeper than 2"},
        {"type core.v1.A\n  a string\n  a int32\n", "bad.def:3: error: field a defined twice"},
        {"type core.v1.A\n  a []core.v1.A merge=nme\n  nme2 string\n",
         "bad.def:2: error: key nme of io.k8s.api.core.v1.A.a is not a field"},
        {"type core.v1.A\n  a string strategy=mrge\n", "bad.def:2: error: strategy must be one of"},
        {"type core.v1.A\n  a string list=set\n",
         "bad.def:2: error: list=set on a, which is not a list"},
        {"type core.v1.A gvk=v1/A\n", "bad.def:1: error: gvk must be"},
        {"type A\n", "bad.def:1: error: cannot resolve type name A"},
        {"type core.v1.A\n  a map[string\n", "bad.def:2: error: malformed map"},
        {"type core.v1.A\n  a string \"x\" required\n",
         "bad.def:2: error: the description must be the last item"},
    };
    char out[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_file("bad.def", cases[i].text);
        int rc = gen("bad.def", out, sizeof out);
        CHECK_INT(rc, 1);
        if (!strstr(out, cases[i].want)) {
            fprintf(stderr, "case %zu: want \"%s\" in:\n%s\n", i, cases[i].want, out);
            CHECK(0);
        }
        char path[512];
        snprintf(path, sizeof path, "%s/out.c", tmp);
        CHECK(access(path, F_OK) != 0); /* no stale output */
    }
}

TEST(test_duplicates_across_files)
{
    char out[4096];
    write_file("one.def", "type core.v1.A gvk=/v1/A\n  a string pb=1\n");
    write_file("two.def", "\n\ntype core.v1.A\n  b string\n");
    CHECK_INT(gen("one.def two.def", out, sizeof out), 1);
    CHECK(strstr(out, "two.def:3: error: type io.k8s.api.core.v1.A defined "
                      "twice (first at one.def:1)") != NULL);
    write_file("two.def", "type core.v1.B gvk=/v1/A\n");
    CHECK_INT(gen("one.def two.def", out, sizeof out), 1);
    CHECK(strstr(out, "error: gvk /v1/A given to") != NULL);
}

K1S_TEST_MAIN(T(test_setup), T(test_sample), T(test_empty), T(test_nested_and_warnings),
              T(test_errors), T(test_pb_errors), T(test_duplicates_across_files), T(test_cleanup))
