/* test_conf: the configuration tree (src/util/conf.c): YAML and JSON loading
 * with positions, nulls and quoting, the load errors with their exact
 * locations, binding to an option table, merging flags over a file, and the
 * YAML dump reading back as the same tree. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "util/conf.h"

static cf_doc *load(const char *text) {
    char err[SL_ERRLEN] = "";
    cf_doc *d = NULL;
    sl_err e = cf_load_mem(&d, "t.yaml", text, strlen(text), err, sizeof err);
    if (e != SL_OK) fprintf(stderr, "  load failed: %s\n", err);
    CHECK(e == SL_OK);
    return d;
}

/* The error of loading text (static buffer). */
static const char *load_err(const char *text) {
    static char err[SL_ERRLEN];
    err[0] = 0;
    cf_doc *d = NULL;
    sl_err e = cf_load_mem(&d, "t.yaml", text, strlen(text), err, sizeof err);
    CHECK(e != SL_OK);
    CHECK(d == NULL);
    cf_free(d);
    return err;
}

static const char *where(const cf_doc *d, const cf_node *n) {
    static char s[256];
    sl_buf b;
    sl_buf_init(&b);
    cf_where(d, n, &b);
    snprintf(s, sizeof s, "%s", sl_buf_cstr(&b));
    sl_buf_free(&b);
    return s;
}

/* ------------------------------------------------------------------ loading */

static void test_nested_positions(void) {
    cf_doc *d = load("# a pipeline\n"              /* 1 */
                     "name: demo\n"                /* 2 */
                     "engine:\n"                   /* 3 */
                     "  k: 12\n"                   /* 4 */
                     "  lateness: 10m\n"           /* 5 */
                     "inputs:\n"                   /* 6 */
                     "  - a.jsonl\n"               /* 7 */
                     "  - path: b.csv\n"           /* 8 */
                     "    format: csv\n"           /* 9 */
                     "transforms:\n"               /* 10 */
                     "  - {type: top, k: 5}\n"     /* 11 */
                     "  - [x, [y, z]]\n");         /* 12 */
    if (!d) return;
    cf_node *r = cf_root(d);
    CHECK_EQ_STR(cf_name(d), "t.yaml");
    CHECK(r->kind == CF_MAP);
    CHECK_EQ_I64(r->n, 4);
    CHECK(r->key == NULL && r->parent == NULL);
    CHECK_EQ_STR(where(d, r), "t.yaml");

    cf_node *name = cf_get(r, "name");
    CHECK(name && name->kind == CF_SCALAR);
    CHECK_EQ_STR(name->value, "demo");
    CHECK_EQ_STR(name->key, "name");
    CHECK_EQ_I64(name->line, 2);
    CHECK_EQ_I64(name->col, 1);
    CHECK(name->used && !name->null && !name->quoted);
    CHECK(name->parent == r);

    cf_node *eng = cf_get(r, "engine");
    CHECK(eng && eng->kind == CF_MAP && eng->n == 2);
    CHECK(eng->value == NULL);
    CHECK_EQ_I64(eng->line, 3); /* the key's line, not the first member's */
    cf_node *k = cf_get(eng, "k");
    CHECK_EQ_STR(k->value, "12");
    CHECK_EQ_I64(k->line, 4);
    CHECK_EQ_I64(k->col, 3);
    CHECK_EQ_STR(where(d, k), "t.yaml:4: engine.k");
    CHECK_EQ_STR(cf_get(eng, "lateness")->value, "10m");
    CHECK(cf_get(eng, "missing") == NULL);
    CHECK(cf_get(k, "x") == NULL); /* not a map */

    cf_node *in = cf_get(r, "inputs");
    CHECK(in && in->kind == CF_SEQ && in->n == 2);
    cf_node *i0 = cf_at(in, 0), *i1 = cf_at(in, 1);
    CHECK(cf_at(in, 2) == NULL);
    CHECK(i0->key == NULL);
    CHECK_EQ_STR(i0->value, "a.jsonl");
    CHECK_EQ_I64(i0->line, 7);
    CHECK_EQ_I64(i0->col, 5);
    CHECK_EQ_STR(where(d, i0), "t.yaml:7: inputs[0]");
    CHECK(i1->kind == CF_MAP && i1->n == 2);
    CHECK_EQ_I64(i1->line, 8);
    CHECK_EQ_I64(i1->col, 5);
    cf_node *fmt = cf_get(i1, "format");
    CHECK_EQ_STR(fmt->value, "csv");
    CHECK_EQ_I64(fmt->line, 9);
    CHECK_EQ_I64(fmt->col, 5);
    CHECK_EQ_STR(where(d, fmt), "t.yaml:9: inputs[1].format");

    cf_node *tr = cf_get(r, "transforms");
    cf_node *t0 = cf_at(tr, 0);
    CHECK(t0->kind == CF_MAP);
    cf_node *tk = cf_get(t0, "k");
    CHECK_EQ_STR(tk->value, "5");
    CHECK_EQ_I64(tk->line, 11);
    CHECK_EQ_I64(tk->col, 17);
    CHECK_EQ_STR(where(d, tk), "t.yaml:11: transforms[0].k");
    cf_node *z = cf_at(cf_at(cf_at(tr, 1), 1), 1);
    CHECK_EQ_STR(z->value, "z");
    CHECK_EQ_I64(z->col, 13);
    CHECK_EQ_STR(where(d, z), "t.yaml:12: transforms[1][1][1]");
    /* children are in order, linked both ways */
    CHECK(r->first == name && r->last == tr && name->next == eng && tr->next == NULL);
    cf_free(d);
}

static void test_nulls_and_quoting(void) {
    cf_doc *d = load("a: null\n"
                     "b: ~\n"
                     "c:\n"
                     "d: Null\n"
                     "e: NULL\n"
                     "f: 'null'\n"
                     "g: \"\"\n"
                     "h: \"x\\ty\"\n"
                     "i: nil\n"
                     "j: |\n"
                     "  two\n"
                     "  lines\n"
                     "k: !!str null\n"
                     "l: 'it''s'\n"
                     "m: [~, '', 0]\n"
                     "n: nUll\n"
                     "o: 'a # b'   # comment\n");
    if (!d) return;
    cf_node *r = cf_root(d);
    const char *nulls[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < 5; i++) {
        cf_node *n = cf_get(r, nulls[i]);
        CHECK(n && n->kind == CF_SCALAR && n->null && !n->quoted);
        CHECK_EQ_STR(n->value, "");
    }
    cf_node *f = cf_get(r, "f");
    CHECK(!f->null && f->quoted);
    CHECK_EQ_STR(f->value, "null");
    cf_node *g = cf_get(r, "g");
    CHECK(!g->null && g->quoted);
    CHECK_EQ_STR(g->value, "");
    CHECK_EQ_STR(cf_get(r, "h")->value, "x\ty");
    CHECK(!cf_get(r, "i")->null);
    cf_node *j = cf_get(r, "j");
    CHECK(!j->null && !j->quoted);
    CHECK_EQ_STR(j->value, "two\nlines\n");
    cf_node *k = cf_get(r, "k");
    CHECK(!k->null);
    CHECK_EQ_STR(k->value, "null");
    CHECK_EQ_STR(cf_get(r, "l")->value, "it's");
    cf_node *m = cf_get(r, "m");
    CHECK(cf_at(m, 0)->null);
    CHECK(!cf_at(m, 1)->null && cf_at(m, 1)->quoted);
    CHECK(!cf_at(m, 2)->null && !cf_at(m, 2)->quoted);
    CHECK(!cf_get(r, "n")->null);
    CHECK_EQ_STR(cf_get(r, "o")->value, "a # b");
    cf_free(d);
}

static void test_empty_documents(void) {
    const char *empties[] = {"", "# only a comment\n", "---\n", "~\n", "--- ~\n...\n", "{}"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        cf_doc *d = load(empties[i]);
        if (!d) continue;
        CHECK(cf_root(d)->kind == CF_MAP);
        CHECK_EQ_I64(cf_root(d)->n, 0);
        cf_free(d);
    }
}

static void test_load_errors(void) {
    /* libyaml's own errors: FILE:LINE:COL: problem context */
    CHECK_EQ_STR(load_err("a: b: c\n"), "t.yaml:1:5: mapping values are not allowed in this context");
    CHECK_EQ_STR(load_err("a:\n  - x\n  y: 1\n"),
                 "t.yaml:3:3: did not find expected '-' indicator while parsing a block collection");
    CHECK_EQ_STR(load_err("a: [1, 2\nb: 3\n"),
                 "t.yaml:2:2: did not find expected ',' or ']' while parsing a flow sequence");
    CHECK_EQ_STR(load_err("a: \"x\n"), "t.yaml:2:1: found unexpected end of stream while scanning a quoted scalar");
    /* reader errors have a byte offset: turned into line and column */
    CHECK_EQ_STR(load_err("a: 1\nb: \xff\n"), "t.yaml:2:4: invalid leading UTF-8 octet (#xFF)");
    CHECK_EQ_STR(load_err("a: 1\nb: x\x01\n"), "t.yaml:2:5: control characters are not allowed (#x1)");
    CHECK_EQ_STR(load_err("a: 1\r\nb: \xc3\xa9\xc3\xa9\x02\n"), "t.yaml:2:6: control characters are not allowed (#x2)");

    /* anchors and aliases, naming the line */
    CHECK_EQ_STR(load_err("a: 1\nb: &x 1\nc: *x\n"), "t.yaml:2: b: anchors and aliases are not supported (&x)");
    CHECK_EQ_STR(load_err("a: 1\nlist:\n  - 1\n  - *x\n"), "t.yaml:4: list[1]: aliases are not supported (*x)");
    CHECK_EQ_STR(load_err("sec:\n  *k : 1\n"), "t.yaml:2: sec: aliases are not supported (*k)");
    CHECK_EQ_STR(load_err("base: &b {x: 1}\n"), "t.yaml:1: base: anchors and aliases are not supported (&b)");

    /* one document */
    CHECK_EQ_STR(load_err("a: 1\n---\nb: 2\n"), "t.yaml:2: multiple documents are not supported");

    /* keys are scalars */
    CHECK_EQ_STR(load_err("a: 1\n? [x, y]\n: 2\n"), "t.yaml:2: a map key must be a scalar (text), not a list");
    CHECK_EQ_STR(load_err("s:\n  t:\n    {k: 1}: 2\n"), "t.yaml:3: s.t: a map key must be a scalar (text), not a map");

    /* duplicate keys name both lines */
    CHECK_EQ_STR(load_err("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n"), "t.yaml:5: b.x: duplicate key 'x' (first at line 3)");
    CHECK_EQ_STR(load_err("l:\n  - {k: 1, k: 2}\n"), "t.yaml:2: l[0].k: duplicate key 'k' (first at line 2)");
    {
        /* a large map (the sorted check): the earliest repeat is reported */
        sl_buf b;
        sl_buf_init(&b);
        for (int i = 0; i < 100; i++) sl_buf_printf(&b, "k%d: %d\n", i, i);
        sl_buf_puts(&b, "k70: x\nk7: y\n");
        CHECK_EQ_STR(load_err(sl_buf_cstr(&b)), "t.yaml:101: k70: duplicate key 'k70' (first at line 71)");
        sl_buf_free(&b);
    }

    /* the root is a map */
    CHECK_EQ_STR(load_err("- a\n- b\n"), "t.yaml:1: the root must be a map of keys, not a list");
    CHECK_EQ_STR(load_err("\n\nhello\n"), "t.yaml:3: the root must be a map of keys, not a scalar");
    CHECK_EQ_STR(load_err("'null'\n"), "t.yaml:1: the root must be a map of keys, not a scalar");

    /* NUL characters cannot be C strings */
    CHECK_EQ_STR(load_err("a: 1\nb: \"x\\0y\"\n"), "t.yaml:2: b: a NUL character is not supported");

    /* nesting: 64 levels (the root included) load, 65 do not */
    for (int levels = 63; levels <= 64; levels++) {
        char deep[200], want[400];
        size_t n = (size_t)snprintf(deep, sizeof deep, "a: ");
        for (int i = 0; i < levels; i++) deep[n++] = '[';
        for (int i = 0; i < levels; i++) deep[n++] = ']';
        deep[n] = 0;
        if (levels == 63) {
            cf_doc *d = load(deep);
            CHECK(d != NULL);
            cf_free(d);
            continue;
        }
        n = (size_t)snprintf(want, sizeof want, "t.yaml:1: a");
        for (int i = 1; i < levels; i++) n += (size_t)snprintf(want + n, sizeof want - n, "[0]");
        snprintf(want + n, sizeof want - n, ": nesting deeper than 64 levels is not supported");
        CHECK_EQ_STR(load_err(deep), want);
    }

    /* size */
    {
        size_t big = ((size_t)16 << 20) + 1;
        char *s = malloc(big);
        memset(s, '#', big);
        char err[SL_ERRLEN];
        cf_doc *d = NULL;
        CHECK(cf_load_mem(&d, "big.yaml", s, big, err, sizeof err) == SL_ERR_UNSUPPORTED);
        CHECK_EQ_STR(err, "big.yaml: too large (16777217 bytes; the limit is 16 MiB)");
        s[0] = '\n'; /* exactly the limit: a comment-only document */
        CHECK(cf_load_mem(&d, "big.yaml", s + 1, big - 1, err, sizeof err) == SL_OK);
        CHECK(d && cf_root(d)->n == 0);
        cf_free(d);
        free(s);
    }
}

static void test_load_file(void) {
    char err[SL_ERRLEN];
    cf_doc *d = (cf_doc *)&err; /* set to NULL on failure */
    CHECK(cf_load_file(&d, "/nonexistent/run.yaml", err, sizeof err) == SL_ERR_IO);
    CHECK(d == NULL);
    CHECK_EQ_STR(err, "/nonexistent/run.yaml: cannot open: No such file or directory");
    CHECK(cf_load_file(&d, "/", err, sizeof err) == SL_ERR_IO);
    CHECK_EQ_STR(err, "/: cannot read: Is a directory");

    char path[] = "/tmp/test_conf_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "engine:\n  lateness: soon\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    CHECK(cf_load_file(&d, path, err, sizeof err) == SL_OK);
    cf_node *l = cf_get(cf_get(cf_root(d), "engine"), "lateness");
    char want[128];
    snprintf(want, sizeof want, "%s:2: engine.lateness", path);
    CHECK_EQ_STR(where(d, l), want);
    CHECK_EQ_STR(cf_name(d), path);
    cf_free(d);
    /* too large: the reading stops after the limit */
    FILE *f = fopen(path, "wb");
    for (int i = 0; i < 16 * 1024; i++) fprintf(f, "%01023d\n", 0);
    fputs("x", f);
    fclose(f);
    CHECK(cf_load_file(&d, path, err, sizeof err) == SL_ERR_UNSUPPORTED);
    snprintf(want, sizeof want, "%s: too large (more than 16 MiB)", path);
    CHECK_EQ_STR(err, want);
    unlink(path);
}

static void test_json(void) {
    cf_doc *d = load("{\n"
                     "  \"name\": \"demo\",\n"
                     "  \"engine\": {\"k\": 12, \"lateness\": \"10m\", \"weights\": [1, 2.5, 0, 1e3]},\n"
                     "  \"inputs\": [\"a.jsonl\", {\"path\": \"b.csv\"}],\n"
                     "  \"none\": null,\n"
                     "  \"text\": \"null\",\n"
                     "  \"esc\": \"tab\\tquote\\\" \\u00e9 \\U0001F600\",\n"
                     "  \"yes\": true,\n"
                     "  \"empty\": {}, \"list\": []\n"
                     "}\n");
    if (!d) return;
    cf_node *r = cf_root(d);
    CHECK_EQ_I64(r->n, 9);
    CHECK_EQ_STR(cf_get(r, "name")->value, "demo");
    CHECK(cf_get(r, "name")->quoted);
    cf_node *eng = cf_get(r, "engine");
    CHECK_EQ_STR(cf_get(eng, "k")->value, "12");
    CHECK(!cf_get(eng, "k")->quoted);
    CHECK_EQ_I64(cf_get(eng, "k")->line, 3);
    CHECK_EQ_STR(where(d, cf_get(eng, "lateness")), "t.yaml:3: engine.lateness");
    cf_node *w = cf_get(eng, "weights");
    CHECK(w->kind == CF_SEQ && w->n == 4);
    CHECK_EQ_STR(cf_at(w, 3)->value, "1e3");
    CHECK_EQ_STR(cf_get(cf_at(cf_get(r, "inputs"), 1), "path")->value, "b.csv");
    CHECK_EQ_STR(where(d, cf_get(cf_at(cf_get(r, "inputs"), 1), "path")), "t.yaml:4: inputs[1].path");
    CHECK(cf_get(r, "none")->null);
    CHECK(!cf_get(r, "text")->null);
    CHECK_EQ_STR(cf_get(r, "text")->value, "null");
    CHECK_EQ_STR(cf_get(r, "esc")->value, "tab\tquote\" \xc3\xa9 \xf0\x9f\x98\x80");
    CHECK_EQ_STR(cf_get(r, "yes")->value, "true");
    CHECK(cf_get(r, "empty")->kind == CF_MAP && cf_get(r, "empty")->n == 0);
    CHECK(cf_get(r, "list")->kind == CF_SEQ && cf_get(r, "list")->n == 0);
    cf_free(d);

    /* compact JSON (no spaces after ':') and one line */
    d = load("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
    if (!d) return;
    r = cf_root(d);
    CHECK_EQ_STR(cf_get(r, "a")->value, "1");
    CHECK(cf_at(cf_get(r, "b"), 2)->null);
    CHECK_EQ_STR(cf_get(cf_get(r, "c"), "d")->value, "e");
    CHECK_EQ_I64(cf_get(cf_get(r, "c"), "d")->col, 35);
    cf_free(d);

    /* libyaml reads no UTF-16 surrogate pairs (\ud83d\ude00): a limitation, reported clearly */
    CHECK_EQ_STR(load_err("{\"s\": \"\\ud83d\\ude00\"}"),
                 "t.yaml:1:10: found invalid Unicode character escape code while parsing a quoted scalar");
    /* a JSON array is not a configuration; duplicate JSON keys are caught */
    CHECK_EQ_STR(load_err("[1, 2]"), "t.yaml:1: the root must be a map of keys, not a list");
    CHECK_EQ_STR(load_err("{\"a\": 1,\n \"a\": 2}"), "t.yaml:2: a: duplicate key 'a' (first at line 1)");
}

/* ------------------------------------------------------------------ building */

static void test_build(void) {
    char err[SL_ERRLEN];
    cf_doc *d;
    CHECK(cf_new(&d, NULL, err, sizeof err) == SL_OK);
    CHECK_EQ_STR(cf_name(d), "command line");
    cf_node *r = cf_root(d);
    CHECK(r->kind == CF_MAP && r->n == 0);
    cf_node *eng = cf_add_map(d, r, "engine");
    CHECK(eng && eng->kind == CF_MAP);
    CHECK(cf_add_map(d, r, "engine") == eng); /* a second flag of the section */
    cf_node *k = cf_set(d, eng, "k", "12", "--k");
    cf_node *q = cf_set(d, eng, "quiet", NULL, "--quiet");
    CHECK(k && q && eng->n == 2);
    CHECK(q->null);
    CHECK_EQ_STR(q->value, "");
    CHECK_EQ_STR(k->flag, "--k");
    CHECK_EQ_I64(k->line, 0);
    CHECK_EQ_STR(where(d, k), "--k");
    CHECK_EQ_STR(where(d, eng), "command line: engine");
    /* cf_set replaces in place */
    cf_node *k2 = cf_set(d, eng, "k", "14", "--k");
    CHECK(eng->n == 2 && eng->first == k2 && k2->next == q && eng->last == q);
    CHECK_EQ_STR(cf_get(eng, "k")->value, "14");
    cf_node *q2 = cf_set(d, eng, "quiet", "false", "--quiet");
    CHECK(eng->last == q2 && k2->next == q2);
    /* sequences */
    cf_node *in = cf_add_seq(d, r, "inputs");
    CHECK(cf_append(d, in, "a.jsonl", "--input") != NULL);
    CHECK(cf_add_seq(d, r, "inputs") == in);
    CHECK(cf_append(d, in, "b.jsonl", "--input") != NULL);
    cf_node *m = cf_add_map(d, in, "ignored");
    CHECK(m && m->key == NULL && in->n == 3);
    CHECK(cf_set(d, m, "path", "c.csv", NULL) != NULL);
    CHECK_EQ_STR(where(d, cf_get(m, "path")), "command line: inputs[2].path");
    CHECK_EQ_STR(cf_at(in, 1)->value, "b.jsonl");
    /* wrong parents */
    CHECK(cf_append(d, eng, "x", NULL) == NULL);
    CHECK(cf_set(d, in, "x", "y", NULL) == NULL);
    CHECK(cf_add_map(d, k2, "x") == NULL);
    CHECK(cf_add_map(d, r, NULL) == NULL);
    /* a key of another kind is replaced */
    cf_node *eng2 = cf_add_seq(d, r, "engine");
    CHECK(eng2 && eng2->kind == CF_SEQ && r->first == eng2 && r->n == 2);
    /* strings are copies */
    char key[8] = "name", val[8] = "demo";
    cf_node *nm = cf_set(d, r, key, val, NULL);
    strcpy(key, "xxxx");
    strcpy(val, "yyyy");
    CHECK_EQ_STR(nm->key, "name");
    CHECK_EQ_STR(nm->value, "demo");
    cf_mark_used(nm);
    CHECK(nm->used);
    /* cf_fail */
    CHECK(cf_fail(d, k2, err, sizeof err, SL_ERR_ARG, "needs %s", "more") == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--k needs more");
    cf_fail(d, k2, err, sizeof err, SL_ERR_ARG, "is %d", 3);
    CHECK_EQ_STR(err, "--k: is 3");
    cf_fail(d, r, err, sizeof err, SL_ERR_ARG, "bad");
    CHECK_EQ_STR(err, "command line: bad");
    cf_free(d);
}

/* ------------------------------------------------------------------ binding */

typedef struct bo {
    int k;
    int64_t lateness_us;
    double w[4];
    int format;
    bool quiet;
    const char *label;
    const char *note;
    int port;
    int secret;
} bo;

static const sl_opt bo_table[] = {
    SL_OPT_INT(bo, k, "k", "10", 1, 1000, "ranks kept"),
    SL_OPT_DURATION(bo, lateness_us, "lateness", "10m", "allowed lateness"),
    {.name = "weights", .type = SL_OPT_T_DOUBLES, SL_OPT_F_(bo, w), .def = "1,1,1,1", .help = "weights",
     .min = 0, .max = 1000, .count = 4, .flags = SL_OPT_SUM_POS},
    SL_OPT_ENUM(bo, format, "format", "jsonl", "jsonl|csv|parquet", "input format"),
    SL_OPT_FLAG(bo, quiet, "quiet", "no progress line"),
    SL_OPT_STRING(bo, label, "label", "main", "a label"),
    {.name = "note", .type = SL_OPT_T_STRING, SL_OPT_F_(bo, note), .def = "", .help = "a note",
     .flags = SL_OPT_EMPTY_OK},
    {.name = "port", .type = SL_OPT_T_INT, SL_OPT_F_(bo, port), .def = "8080", .help = "port", .min = 1,
     .max = 65535, .flags = SL_OPT_CLI_ONLY},
    {.name = "secret", .type = SL_OPT_T_INT, SL_OPT_F_(bo, secret), .def = "0", .help = "tests", .min = 0,
     .max = 9, .flags = SL_OPT_HIDDEN},
    SL_OPT_END};

#define KNOWN "known: k, lateness, weights, format, quiet, label, note"

/* Bind section "s" of text; the error (static) or "" on success. */
static const char *bind_text(const char *text, bo *o, const char *const *skip) {
    static char err[SL_ERRLEN];
    err[0] = 0;
    char e2[SL_ERRLEN];
    CHECK(sl_opt_defaults(bo_table, o, e2, sizeof e2) == SL_OK);
    cf_doc *d = load(text);
    if (!d) return "(load failed)";
    sl_err e = cf_bind(d, cf_get(cf_root(d), "s"), bo_table, o, skip, err, sizeof err);
    CHECK((e == SL_OK) == (err[0] == 0));
    if (o->label && e == SL_OK) o->label = strcmp(o->label, "main") ? "(other)" : "main"; /* the doc is freed */
    cf_free(d);
    return err;
}

static void test_bind(void) {
    bo o;
    char err[SL_ERRLEN];
    cf_doc *d = load("s:\n"
                     "  k: 12\n"
                     "  lateness: 1h30m\n"
                     "  weights: [1, 2, 0.5, 0]\n"
                     "  format: CSV\n"
                     "  quiet: yes\n"
                     "  label: 'blue'\n"
                     "  note:\n"
                     "  secret: 3\n"
                     "  transforms: [a]\n"
                     "other: 1\n");
    if (!d) return;
    CHECK(sl_opt_defaults(bo_table, &o, err, sizeof err) == SL_OK);
    CHECK_EQ_STR(o.note, "");
    o.note = "(unset)";
    cf_node *s = cf_get(cf_root(d), "s");
    const char *skip[] = {"transforms", NULL};
    CHECK(cf_bind(d, s, bo_table, &o, skip, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(o.k, 12);
    CHECK_EQ_I64(o.lateness_us, 5400LL * 1000000);
    CHECK(o.w[0] == 1 && o.w[1] == 2 && o.w[2] == 0.5 && o.w[3] == 0);
    CHECK_EQ_I64(o.format, 1);
    CHECK(o.quiet);
    CHECK_EQ_STR(o.label, "blue");
    CHECK(o.label == cf_get(s, "label")->value); /* points into the document */
    CHECK_EQ_STR(o.note, "");
    CHECK_EQ_I64(o.secret, 3);
    CHECK_EQ_I64(o.port, 8080);
    /* bound members are used, skipped ones are not */
    CHECK(cf_at(s, 0)->used && cf_at(s, 6)->used && cf_at(s, 7)->used);
    CHECK(!cf_at(s, 8)->used);
    CHECK(cf_at(cf_at(s, 2), 3)->used);
    cf_free(d);

    /* values that do not parse, with the location of the value */
    CHECK_EQ_STR(bind_text("s:\n  k: 5\n\n  lateness: soon\n", &o, NULL),
                 "t.yaml:4: s.lateness: needs a duration like 10m, 90s or 1h30m, got 'soon'");
    CHECK_EQ_STR(bind_text("s:\n  k: 0\n", &o, NULL), "t.yaml:2: s.k: needs an integer in 1..1000, got '0'");
    CHECK_EQ_STR(bind_text("s:\n  k: \"1001\"\n", &o, NULL), "t.yaml:2: s.k: needs an integer in 1..1000, got '1001'");
    CHECK_EQ_STR(bind_text("s:\n  format: xml\n", &o, NULL),
                 "t.yaml:2: s.format: needs one of jsonl, csv or parquet, got 'xml'");
    CHECK_EQ_STR(bind_text("s:\n  quiet: maybe\n", &o, NULL), "t.yaml:2: s.quiet: needs true or false, got 'maybe'");
    CHECK_EQ_STR(bind_text("s:\n  label: ''\n", &o, NULL), "t.yaml:2: s.label: needs a non-empty value, got ''");
    CHECK_EQ_STR(bind_text("s:\n  weights: [0, 0, 0, 0]\n", &o, NULL),
                 "t.yaml:2: s.weights: needs 4 comma-separated numbers each in [0, 1000] with a positive sum, got '0'");
    CHECK_EQ_STR(bind_text("s:\n  weights: [1, 2, 3]\n", &o, NULL),
                 "t.yaml:2: s.weights: needs 4 comma-separated numbers each in [0, 1000] with a positive sum, got '1'");
    CHECK_EQ_STR(bind_text("s:\n  weights:\n    - 1\n    - x\n    - 1\n    - 1\n", &o, NULL),
                 "t.yaml:2: s.weights: needs 4 comma-separated numbers each in [0, 1000] with a positive sum, got 'x'");
    CHECK_EQ_STR(bind_text("s:\n  weights: [1, [2], 3, 4]\n", &o, NULL),
                 "t.yaml:2: s.weights[1]: needs a number, not a list");
    /* the scalar form of a list still works */
    CHECK_EQ_STR(bind_text("s:\n  weights: 1,1,2,0\n", &o, NULL), "");
    CHECK(o.w[2] == 2);
    /* shapes */
    CHECK_EQ_STR(bind_text("s:\n  k: [1, 2]\n", &o, NULL), "t.yaml:2: s.k: needs a single value, not a list");
    CHECK_EQ_STR(bind_text("s:\n  k: {a: 1}\n", &o, NULL), "t.yaml:2: s.k: needs an integer in 1..1000, not a map");
    CHECK_EQ_STR(bind_text("s:\n  lateness:\n    m: 1\n", &o, NULL),
                 "t.yaml:2: s.lateness: needs a duration like 10m, 90s or 1h30m, not a map");
    CHECK_EQ_STR(bind_text("s: 5\n", &o, NULL), "t.yaml:1: s: needs a map of keys, not a scalar");
    /* nulls */
    CHECK_EQ_STR(bind_text("s:\n  k:\n", &o, NULL), "t.yaml:2: s.k: needs a value (an integer in 1..1000)");
    CHECK_EQ_STR(bind_text("s:\n  quiet: ~\n", &o, NULL), "t.yaml:2: s.quiet: needs a value (true or false)");
    CHECK_EQ_STR(bind_text("s:\n  label: null\n", &o, NULL), "t.yaml:2: s.label: needs a value");
    o.note = "x";
    CHECK_EQ_STR(bind_text("s:\n  note: null\n", &o, NULL), "");
    CHECK_EQ_STR(o.note, "");
    CHECK_EQ_STR(bind_text("s:\n  note: \"null\"\n", &o, NULL), "");
    /* a missing section binds nothing */
    CHECK_EQ_STR(bind_text("t: 1\n", &o, NULL), "");
    CHECK_EQ_I64(o.k, 10);

    /* unknown keys */
    CHECK_EQ_STR(bind_text("s:\n  k: 3\n  latenes: 5m\n", &o, NULL),
                 "t.yaml:3: s.latenes: unknown key 'latenes' (did you mean 'lateness'?; " KNOWN ")");
    CHECK_EQ_STR(bind_text("s:\n  bogus_key: 1\n", &o, NULL),
                 "t.yaml:2: s.bogus_key: unknown key 'bogus_key' (" KNOWN ")");
    CHECK_EQ_STR(bind_text("s:\n  transform: []\n", &o, skip),
                 "t.yaml:2: s.transform: unknown key 'transform' (did you mean 'transforms'?; " KNOWN ", transforms)");
    /* CLI_ONLY is not a file key, HIDDEN is never suggested */
    CHECK_EQ_STR(bind_text("s:\n  port: 9000\n", &o, NULL),
                 "t.yaml:2: s.port: unknown key 'port' (--port is a command-line flag only; " KNOWN ")");
    CHECK_EQ_STR(bind_text("s:\n  secrets: 1\n", &o, NULL), "t.yaml:2: s.secrets: unknown key 'secrets' (" KNOWN ")");
    {
        static const sl_opt none[] = {SL_OPT_END};
        d = load("s: {x: 1}\n");
        CHECK(cf_bind(d, cf_get(cf_root(d), "s"), none, &o, NULL, err, sizeof err) == SL_ERR_ARG);
        CHECK_EQ_STR(err, "t.yaml:1: s.x: unknown key 'x' (no keys are known here)");
        cf_free(d);
    }

    /* from flags: "--k needs ...", CLI_ONLY allowed, a bare flag is true */
    CHECK(cf_new(&d, NULL, err, sizeof err) == SL_OK);
    cf_node *r = cf_root(d);
    CHECK(sl_opt_defaults(bo_table, &o, err, sizeof err) == SL_OK);
    cf_set(d, r, "port", "9000", "--port");
    cf_set(d, r, "quiet", NULL, "--quiet");
    CHECK(cf_bind(d, r, bo_table, &o, NULL, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(o.port, 9000);
    CHECK(o.quiet);
    cf_set(d, r, "lateness", "soon", "--lateness");
    CHECK(cf_bind(d, r, bo_table, &o, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--lateness needs a duration like 10m, 90s or 1h30m, got 'soon'");
    cf_set(d, r, "lateness", NULL, "--lateness");
    CHECK(cf_bind(d, r, bo_table, &o, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--lateness needs a value (a duration like 10m, 90s or 1h30m)");
    cf_set(d, r, "lateness", "2m", "--lateness");
    cf_set(d, r, "bogus", "1", "--bogus");
    CHECK(cf_bind(d, r, bo_table, &o, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--bogus: unknown key 'bogus' (" KNOWN ")");
    cf_free(d);
}

/* ------------------------------------------------------------------ merging */

static void test_merge(void) {
    char err[SL_ERRLEN];
    cf_doc *file = load("name: demo\n"
                        "engine:\n"
                        "  k: 5\n"
                        "  lateness: 10m\n"
                        "  weights: [1, 1, 1, 1]\n"
                        "inputs: [a, b]\n");
    if (!file) return;
    cf_doc *flags;
    CHECK(cf_new(&flags, NULL, err, sizeof err) == SL_OK);
    cf_node *fe = cf_add_map(flags, cf_root(flags), "engine");
    cf_set(flags, fe, "lateness", "soon", "--lateness");
    cf_set(flags, fe, "quiet", NULL, "--quiet");
    cf_node *fi = cf_add_seq(flags, cf_root(flags), "inputs");
    cf_append(flags, fi, "c", "--input");
    cf_add_map(flags, cf_root(flags), "extra");
    CHECK(cf_merge(file, cf_root(file), flags, cf_root(flags), err, sizeof err) == SL_OK);
    cf_free(flags); /* the merge copied everything */

    cf_node *r = cf_root(file);
    CHECK_EQ_I64(r->n, 4);
    CHECK_EQ_STR(cf_get(r, "name")->value, "demo");
    cf_node *eng = cf_get(r, "engine");
    CHECK_EQ_I64(eng->n, 4);
    cf_node *k = cf_get(eng, "k");
    CHECK_EQ_STR(k->value, "5"); /* left alone */
    CHECK_EQ_STR(where(file, k), "t.yaml:3: engine.k");
    cf_node *l = cf_get(eng, "lateness");
    CHECK(l == cf_at(eng, 1)); /* replaced in place */
    CHECK_EQ_STR(l->value, "soon");
    CHECK_EQ_STR(l->flag, "--lateness");
    CHECK_EQ_I64(l->line, 0);
    CHECK_EQ_STR(where(file, l), "--lateness");
    CHECK(cf_get(eng, "quiet")->null && eng->last == cf_get(eng, "quiet"));
    cf_node *in = cf_get(r, "inputs"); /* a sequence is replaced whole */
    CHECK(in->kind == CF_SEQ && in->n == 1);
    CHECK_EQ_STR(cf_at(in, 0)->value, "c");
    CHECK_EQ_STR(where(file, cf_get(r, "extra")), "command line: extra");

    bo o;
    CHECK(sl_opt_defaults(bo_table, &o, err, sizeof err) == SL_OK);
    CHECK(cf_bind(file, eng, bo_table, &o, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--lateness needs a duration like 10m, 90s or 1h30m, got 'soon'");

    /* a second command line fixes it; the file's other keys still bind */
    CHECK(cf_new(&flags, NULL, err, sizeof err) == SL_OK);
    cf_set(flags, cf_add_map(flags, cf_root(flags), "engine"), "lateness", "90s", "--lateness");
    CHECK(cf_merge(file, cf_root(file), flags, cf_root(flags), err, sizeof err) == SL_OK);
    cf_free(flags);
    CHECK(cf_bind(file, eng, bo_table, &o, NULL, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(o.k, 5);
    CHECK_EQ_I64(o.lateness_us, 90LL * 1000000);
    CHECK(o.quiet);

    /* a file merged into another keeps its own name in messages */
    cf_doc *other;
    CHECK(cf_load_mem(&other, "site.yaml", "engine:\n  k: 0\n", 14, err, sizeof err) == SL_OK);
    CHECK(cf_merge(file, cf_root(file), other, cf_root(other), err, sizeof err) == SL_OK);
    cf_free(other);
    CHECK(cf_bind(file, eng, bo_table, &o, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "site.yaml:2: engine.k: needs an integer in 1..1000, got '0'");

    /* a map over a scalar replaces it; a scalar over a map too */
    CHECK(cf_new(&flags, NULL, err, sizeof err) == SL_OK);
    cf_set(flags, cf_add_map(flags, cf_root(flags), "name"), "first", "x", NULL);
    cf_set(flags, cf_root(flags), "engine", "off", "--engine");
    CHECK(cf_merge(file, cf_root(file), flags, cf_root(flags), err, sizeof err) == SL_OK);
    CHECK(cf_get(r, "name")->kind == CF_MAP);
    CHECK_EQ_STR(cf_get(cf_get(r, "name"), "first")->value, "x");
    CHECK_EQ_STR(cf_get(r, "engine")->value, "off");
    /* not maps */
    CHECK(cf_merge(file, cf_get(r, "engine"), flags, cf_root(flags), err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--engine: cannot merge into a scalar");
    cf_free(flags);
    cf_free(file);
}

/* ------------------------------------------------------------------ dumping */

static bool same_tree(const cf_node *a, const cf_node *b) {
    if (a->kind != b->kind || a->n != b->n) return false;
    if ((a->key == NULL) != (b->key == NULL) || (a->key && strcmp(a->key, b->key))) return false;
    if (a->kind == CF_SCALAR && (a->null != b->null || strcmp(a->value, b->value) || (a->quoted && !b->quoted)))
        return false;
    for (const cf_node *x = a->first, *y = b->first; x; x = x->next, y = y->next)
        if (!same_tree(x, y)) return false;
    return true;
}

static char *dump(const cf_node *n) {
    sl_buf b;
    sl_buf_init(&b);
    cf_dump(n, 0, &b);
    char *s = strdup(sl_buf_cstr(&b));
    sl_buf_free(&b);
    return s;
}

static void test_dump(void) {
    cf_doc *d = load("name: demo\n"
                     "engine:\n"
                     "  k: 12\n"
                     "  none: ~\n"
                     "  text: 'null'\n"
                     "  empty: ''\n"
                     "inputs:\n"
                     "  - a.jsonl\n"
                     "  - {path: b.csv, format: csv}\n"
                     "  - [x, [y]]\n"
                     "  - []\n"
                     "  - {}\n"
                     "nothing: {}\n");
    if (!d) return;
    char *s = dump(cf_root(d));
    CHECK_EQ_STR(s, "name: demo\n"
                    "engine:\n"
                    "  k: 12\n"
                    "  none: ~\n"
                    "  text: \"null\"\n"
                    "  empty: \"\"\n"
                    "inputs:\n"
                    "  - a.jsonl\n"
                    "  - path: b.csv\n"
                    "    format: csv\n"
                    "  - - x\n"
                    "    - - y\n"
                    "  - []\n"
                    "  - {}\n"
                    "nothing: {}\n");
    cf_doc *d2 = load(s);
    CHECK(d2 && same_tree(cf_root(d), cf_root(d2)));
    cf_free(d2);
    free(s);
    /* indent and a subtree */
    sl_buf b;
    sl_buf_init(&b);
    cf_dump(cf_get(cf_root(d), "engine"), 4, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "    k: 12\n    none: ~\n    text: \"null\"\n    empty: \"\"\n");
    b.len = 0;
    cf_dump(cf_get(cf_get(cf_root(d), "engine"), "k"), 0, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "12\n");
    sl_buf_free(&b);
    cf_free(d);

    /* values that need quoting round-trip */
    sl_buf y;
    sl_buf_init(&y);
    sl_buf_puts(&y, "tricky:\n"
                    "  - \"a: b\"\n"
                    "  - \"- x\"\n"
                    "  - \" lead\"\n"
                    "  - \"trail \"\n"
                    "  - \"#c\"\n"
                    "  - \"x #y\"\n"
                    "  - \"x# y\"\n"
                    "  - \"caf\\u00e9\"\n"
                    "  - \"tab\\there\"\n"
                    "  - \"nl\\nhere\\r\"\n"
                    "  - \"\\x01\\x7f\\x85\\u2028\\u2029\\ufeff\\uffff\"\n"
                    "  - \"---\"\n"
                    "  - \"...\"\n"
                    "  - \"-\"\n"
                    "  - -5\n"
                    "  - \"ends:\"\n"
                    "  - \"back\\\\slash \\\"q\\\"\"\n"
                    "  - \"%x\"\n"
                    "  - \"@x\"\n"
                    "  - \"!x\"\n"
                    "  - \"*x\"\n"
                    "  - \"&x\"\n"
                    "  - \"{x}\"\n"
                    "  - \"[x]\"\n"
                    "  - \"a,b\"\n"
                    "  - \"~\"\n"
                    "  - \"Null\"\n"
                    "  - plain,with[brackets]\n"
                    "  - |\n"
                    "      block\n"
                    "      text\n"
                    "  - >\n"
                    "      folded\n"
                    "      text\n"
                    "\"key: with colon\": 1\n"
                    "\"\": empty key\n"
                    "\"---\": dashes\n"
                    "~: tilde key\n"
                    "null: null key\n"
                    "\"\\u00e9\": accent key\n"
                    "? \"");
    for (int i = 0; i < 1500; i++) sl_buf_putc(&y, (char)('a' + i % 26));
    sl_buf_puts(&y, "\"\n: {long: key}\n");
    d = load(sl_buf_cstr(&y));
    sl_buf_free(&y);
    if (!d) return;
    CHECK_EQ_STR(cf_at(cf_get(cf_root(d), "tricky"), 10)->value,
                 "\x01\x7f\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\xef\xbf\xbf");
    s = dump(cf_root(d));
    CHECK(strstr(s, "\n  - \"a: b\"\n") != NULL);
    CHECK(strstr(s, "\n  - -5\n") != NULL);
    CHECK(strstr(s, "\n  - plain,with[brackets]\n") != NULL);
    CHECK(strstr(s, "\n  - \"block\\ntext\\n\"\n") != NULL);
    CHECK(strstr(s, "\n  - \"\\x01\\x7F\\x85\\L\\P\\uFEFF\\uFFFF\"\n") != NULL);
    CHECK(strstr(s, "\n~: tilde key\nnull: null key\n") != NULL);
    CHECK(strstr(s, "\n? abcdefg") != NULL);
    CHECK(strstr(s, "\n:\n  long: key\n") != NULL);
    d2 = load(s);
    CHECK(d2 && same_tree(cf_root(d), cf_root(d2)));
    char *s2 = d2 ? dump(cf_root(d2)) : NULL;
    CHECK(s2 && !strcmp(s, s2));
    free(s2);
    free(s);
    cf_free(d2);
    cf_free(d);

    /* a built tree: flag values are text ("null" is not a null), bytes that are not UTF-8 are escaped */
    char err[SL_ERRLEN];
    CHECK(cf_new(&d, NULL, err, sizeof err) == SL_OK);
    cf_set(d, cf_root(d), "a", "null", "--a");
    cf_set(d, cf_root(d), "b", NULL, "--b");
    cf_set(d, cf_root(d), "c", "x\xff", "--c");
    cf_add_seq(d, cf_add_map(d, cf_root(d), "m"), "s");
    s = dump(cf_root(d));
    CHECK_EQ_STR(s, "a: \"null\"\nb: ~\nc: \"x\\xFF\"\nm:\n  s: []\n");
    d2 = load(s);
    CHECK(d2 && !cf_get(cf_root(d2), "a")->null && cf_get(cf_root(d2), "b")->null);
    CHECK(d2 && !strcmp(cf_get(cf_root(d2), "c")->value, "x\xc3\xbf"));
    free(s);
    cf_free(d2);
    cf_free(d);
}

int main(void) {
    RUN(test_nested_positions);
    RUN(test_nulls_and_quoting);
    RUN(test_empty_documents);
    RUN(test_load_errors);
    RUN(test_load_file);
    RUN(test_json);
    RUN(test_build);
    RUN(test_bind);
    RUN(test_merge);
    RUN(test_dump);
    return T_DONE();
}
