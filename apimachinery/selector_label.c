/*
 * selector_label.c - the label selector string parser.
 *
 * Grammar (as kube's labels.Parse):
 *   selector    := requirement { "," requirement }
 *   requirement := [ "!" ] KEY [ set-op "(" values ")" | exact-op VALUE
 *                                | ">" VALUE | "<" VALUE ]
 *   set-op      := "in" | "notin"        exact-op := "=" | "==" | "!="
 * Blanks separate tokens. The input is first cut into tokens, then parsed
 * by recursive descent with one token of lookahead; every error message is
 * the one kube's parser produces at the same point.
 */
#include "selector_int.h"
#include "k1s_names.h"

#include <stdlib.h>
#include <string.h>

typedef enum tok {
    T_EOS,
    T_CPAR,
    T_COMMA,
    T_NOT,
    T_DEQ,
    T_EQ,
    T_GT,
    T_ID,
    T_IN,
    T_LT,
    T_NEQ,
    T_NOTIN,
    T_OPAR,
} tok;

typedef struct token {
    tok t;
    const char *lit; /* into the input; not NUL-terminated */
    size_t len;
} token;

typedef struct parser {
    token *toks;
    size_t n, pos;
    char *err; /* first error, malloc'd */
    bool oom;
} parser;

/* In value position the keywords are plain identifiers: "x in (in)". */
typedef enum ctx { KEY_AND_OPERATOR, VALUES } ctx;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
    return c && strchr("=!(),><", c) != NULL;
}

static int lex(const char *s, parser *p)
{
    size_t cap = 8;
    p->toks = malloc(cap * sizeof *p->toks);
    if (!p->toks)
        return K1S_ENOMEM;
    size_t i = 0;
    for (;;) {
        if (p->n == cap) {
            cap *= 2;
            token *t = realloc(p->toks, cap * sizeof *t);
            if (!t)
                return K1S_ENOMEM;
            p->toks = t;
        }
        token *t = &p->toks[p->n++];
        while (is_blank(s[i]))
            i++;
        t->lit = s + i;
        if (!s[i]) {
            t->t = T_EOS;
            t->len = 0;
            return 0;
        }
        if (is_special(s[i])) {
            /* the longest operator: "!=" and "==" over "!" and "=" */
            if ((s[i] == '!' || s[i] == '=') && s[i + 1] == '=') {
                t->t = s[i] == '!' ? T_NEQ : T_DEQ;
                t->len = 2;
            } else {
                switch (s[i]) {
                case ')':
                    t->t = T_CPAR;
                    break;
                case ',':
                    t->t = T_COMMA;
                    break;
                case '!':
                    t->t = T_NOT;
                    break;
                case '=':
                    t->t = T_EQ;
                    break;
                case '>':
                    t->t = T_GT;
                    break;
                case '<':
                    t->t = T_LT;
                    break;
                default:
                    t->t = T_OPAR;
                    break;
                }
                t->len = 1;
            }
            i += t->len;
            continue;
        }
        size_t start = i;
        while (s[i] && !is_special(s[i]) && !is_blank(s[i]))
            i++;
        t->len = i - start;
        if (t->len == 2 && memcmp(t->lit, "in", 2) == 0)
            t->t = T_IN;
        else if (t->len == 5 && memcmp(t->lit, "notin", 5) == 0)
            t->t = T_NOTIN;
        else
            t->t = T_ID;
    }
}

static tok as_ctx(tok t, ctx c)
{
    return c == VALUES && (t == T_IN || t == T_NOTIN) ? T_ID : t;
}

static const token *lookahead(parser *p, ctx c, tok *t)
{
    const token *k = &p->toks[p->pos];
    *t = as_ctx(k->t, c);
    return k;
}

static const token *consume(parser *p, ctx c, tok *t)
{
    const token *k = &p->toks[p->pos];
    if (p->pos + 1 < p->n) /* the end token is never passed */
        p->pos++;
    *t = as_ctx(k->t, c);
    return k;
}

/* Record "found '<lit>', <rest>" style errors (fmt has one %.*s). */
__attribute__((format(printf, 2, 0))) static int fail(parser *p, const char *fmt, const token *k)
{
    if (!p->err) {
        p->err = k1s__asprintf(fmt, (int)k->len, k->lit);
        if (!p->err)
            p->oom = true;
    }
    return K1S_EINVAL;
}

/* A growing list of owned value strings. */
typedef struct values {
    char **v;
    size_t n, cap;
} values;

static void values_free(values *vs)
{
    for (size_t i = 0; i < vs->n; i++)
        free(vs->v[i]);
    free(vs->v);
    vs->v = NULL;
    vs->n = vs->cap = 0;
}

static int values_add(parser *p, values *vs, const char *s, size_t len)
{
    char *c = strndup(s, len);
    if (c && vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 4;
        char **v = realloc(vs->v, cap * sizeof *v);
        if (!v) {
            free(c);
            c = NULL;
        } else {
            vs->v = v;
            vs->cap = cap;
        }
    }
    if (!c) {
        p->oom = true;
        return K1S_ENOMEM;
    }
    vs->v[vs->n++] = c;
    return 0;
}

/* The key of a requirement and, for "!key" and a bare "key", its
 * operator. *op is left unset when an operator follows. */
static int parse_key(parser *p, char **key, k1s_selector_op *op, bool *unary)
{
    tok t;
    *unary = false;
    const token *k = consume(p, VALUES, &t);
    bool not = t == T_NOT;
    if (not )
        k = consume(p, VALUES, &t);
    if (t != T_ID)
        return fail(p, "found '%.*s', expected: identifier", k);
    *key = strndup(k->lit, k->len);
    if (!*key) {
        p->oom = true;
        return K1S_ENOMEM;
    }
    char **msgs = k1s_is_qualified_name(*key);
    if (msgs) {
        /* kube validates with a nil field path, printed as "<nil>" */
        char *joined = k1s_msgs_join(msgs, "; ");
        p->err = joined ? k1s__invalid_str("<nil>", *key, joined) : NULL;
        free(joined);
        k1s_msgs_free(msgs);
        if (!p->err)
            p->oom = true;
        return K1S_EINVAL;
    }
    lookahead(p, VALUES, &t);
    if (not ) {
        *op = K1S_SEL_DOES_NOT_EXIST;
        *unary = true;
    } else if (t == T_EOS || t == T_COMMA) {
        *op = K1S_SEL_EXISTS;
        *unary = true;
    }
    return 0;
}

static int parse_operator(parser *p, k1s_selector_op *op)
{
    tok t;
    const token *k = consume(p, KEY_AND_OPERATOR, &t);
    switch (t) {
    case T_IN:
        *op = K1S_SEL_IN;
        return 0;
    case T_EQ:
        *op = K1S_SEL_EQUALS;
        return 0;
    case T_DEQ:
        *op = K1S_SEL_DOUBLE_EQUALS;
        return 0;
    case T_GT:
        *op = K1S_SEL_GREATER_THAN;
        return 0;
    case T_LT:
        *op = K1S_SEL_LESS_THAN;
        return 0;
    case T_NOTIN:
        *op = K1S_SEL_NOT_IN;
        return 0;
    case T_NEQ:
        *op = K1S_SEL_NOT_EQUALS;
        return 0;
    default:
        return fail(p, "found '%.*s', expected: in, notin, =, ==, !=, gt, lt", k);
    }
}

/* "(a,b,,c)": a possibly empty list of possibly empty identifiers. */
static int parse_identifiers(parser *p, values *vs)
{
    bool have_empty = false;
    for (;;) {
        tok t, t2;
        const token *k = consume(p, VALUES, &t);
        if (t == T_ID) {
            if (values_add(p, vs, k->lit, k->len))
                return K1S_ENOMEM;
            const token *k2 = lookahead(p, VALUES, &t2);
            if (t2 == T_COMMA)
                continue;
            if (t2 == T_CPAR)
                return 0;
            return fail(p, "found '%.*s', expected: ',' or ')'", k2);
        }
        if (t != T_COMMA)
            return fail(p, "found '%.*s', expected: ',', or identifier", k);
        /* a comma next to "(", ")" or another comma adds "" */
        bool add_empty = vs->n == 0;
        lookahead(p, VALUES, &t2);
        if (t2 == T_CPAR || t2 == T_COMMA)
            add_empty = true;
        if (add_empty && !have_empty) {
            if (values_add(p, vs, "", 0))
                return K1S_ENOMEM;
            have_empty = true;
        }
        if (t2 == T_CPAR)
            return 0;
    }
}

static int parse_values(parser *p, values *vs)
{
    tok t;
    const token *k = consume(p, VALUES, &t);
    if (t != T_OPAR)
        return fail(p, "found '%.*s' expected: '('", k);
    k = lookahead(p, VALUES, &t);
    if (t == T_ID || t == T_COMMA) {
        int rc = parse_identifiers(p, vs);
        if (rc)
            return rc;
        consume(p, VALUES, &t);
        if (t != T_CPAR)
            return fail(p, "found '%.*s', expected: ')'", k);
        return 0;
    }
    if (t == T_CPAR) {
        consume(p, VALUES, &t);
        return values_add(p, vs, "", 0); /* "()" is the set {""} */
    }
    return fail(p, "found '%.*s', expected: ',', ')' or identifier", k);
}

static int parse_exact_value(parser *p, values *vs)
{
    tok t;
    lookahead(p, VALUES, &t);
    if (t == T_EOS || t == T_COMMA)
        return values_add(p, vs, "", 0);
    const token *k = consume(p, VALUES, &t);
    if (t == T_ID)
        return values_add(p, vs, k->lit, k->len);
    return fail(p, "found '%.*s', expected: identifier", k);
}

static int parse_requirement(parser *p, k1s_selector *sel)
{
    char *key = NULL;
    values vs = {0};
    k1s_selector_op op = K1S_SEL_EXISTS;
    bool unary;
    int rc = parse_key(p, &key, &op, &unary);
    if (rc)
        goto cleanup;
    if (!unary) {
        rc = parse_operator(p, &op);
        if (rc)
            goto cleanup;
        if (op == K1S_SEL_IN || op == K1S_SEL_NOT_IN)
            rc = parse_values(p, &vs);
        else
            rc = parse_exact_value(p, &vs);
        if (rc)
            goto cleanup;
        vs.n = k1s__strings_sort_unique(vs.v, vs.n);
    }
    char *err = NULL;
    rc = k1s__label_requirement_check(key, op, vs.v, vs.n, false, &err);
    if (rc) {
        p->err = err;
        p->oom = rc == K1S_ENOMEM;
        goto cleanup;
    }
    rc = k1s__selector_add(sel, key, op, vs.v, vs.n);
    key = NULL;
    vs.v = NULL;
    vs.n = vs.cap = 0;
    if (rc)
        p->oom = true;
cleanup:
    free(key);
    values_free(&vs);
    return rc;
}

static int parse(parser *p, k1s_selector *sel)
{
    for (;;) {
        tok t;
        const token *k = lookahead(p, VALUES, &t);
        if (t == T_EOS)
            return 0;
        if (t != T_ID && t != T_NOT)
            return fail(p,
                        "found '%.*s', expected: !, identifier, or 'end of "
                        "string'",
                        k);
        int rc = parse_requirement(p, sel);
        if (rc) {
            if (rc == K1S_EINVAL && p->err) {
                char *wrapped = k1s__asprintf("unable to parse requirement: %s", p->err);
                free(p->err);
                p->err = wrapped;
                if (!wrapped)
                    p->oom = true;
            }
            return rc;
        }
        k = consume(p, VALUES, &t);
        if (t == T_EOS)
            return 0;
        if (t != T_COMMA)
            return fail(p, "found '%.*s', expected: ',' or 'end of string'", k);
        k = lookahead(p, VALUES, &t);
        if (t != T_ID && t != T_NOT)
            return fail(p, "found '%.*s', expected: identifier after ','", k);
    }
}

int k1s_label_selector_parse(const char *s, k1s_selector **out, char **err)
{
    *out = NULL;
    *err = NULL;
    parser p = {0};
    k1s_selector *sel = k1s__selector_new(K1S_SELECTOR_LABEL);
    int rc = sel ? lex(s, &p) : K1S_ENOMEM;
    if (rc == 0)
        rc = parse(&p, sel);
    if (rc == 0 && p.oom)
        rc = K1S_ENOMEM;
    if (rc) {
        if (p.oom || !p.err) {
            rc = K1S_ENOMEM;
            free(p.err);
            p.err = NULL;
        }
        *err = p.err;
        k1s_selector_free(sel);
        goto cleanup;
    }
    k1s__selector_sort(sel);
    *out = sel;
cleanup:
    free(p.toks);
    return rc;
}
