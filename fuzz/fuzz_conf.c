/* libFuzzer target for the configuration tree (src/util/conf.c): load any
 * bytes as YAML; a load either gives a tree or a non-empty message.  A tree
 * is dumped, and the dump must load again as the same tree and dump to the
 * same text (the round trip `sluice config --print` relies on).  The tree is
 * also merged into a fresh document, its root bound to a small option table,
 * and every node's location formatted.  No crash, leak or hang. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/conf.h"

typedef struct fz_opts {
    int k;
    int64_t lateness_us;
    double w[4];
    int format;
    bool quiet;
    const char *label;
} fz_opts;

static const sl_opt fz_table[] = {
    SL_OPT_INT(fz_opts, k, "k", "10", 1, 1000, "k"),
    SL_OPT_DURATION(fz_opts, lateness_us, "lateness", "10m", "lateness"),
    {.name = "weights", .type = SL_OPT_T_DOUBLES, SL_OPT_F_(fz_opts, w), .def = "1,1,1,1", .help = "w", .min = 0,
     .max = 1000, .count = 4, .flags = SL_OPT_SUM_POS},
    SL_OPT_ENUM(fz_opts, format, "format", "jsonl", "jsonl|csv", "format"),
    SL_OPT_FLAG(fz_opts, quiet, "quiet", "quiet"),
    SL_OPT_STRING(fz_opts, label, "label", "x", "label"),
    SL_OPT_END};

static bool same_tree(const cf_node *a, const cf_node *b) {
    if (a->kind != b->kind || a->n != b->n) return false;
    if ((a->key == NULL) != (b->key == NULL) || (a->key && strcmp(a->key, b->key))) return false;
    if (a->kind == CF_SCALAR && (a->null != b->null || strcmp(a->value, b->value) || (a->quoted && !b->quoted)))
        return false;
    for (const cf_node *x = a->first, *y = b->first; x || y; x = x->next, y = y->next)
        if (!x || !y || !same_tree(x, y)) return false;
    return true;
}

static void walk(const cf_doc *d, const cf_node *n, sl_buf *b) {
    b->len = 0;
    cf_where(d, n, b);
    if (!b->len) abort();
    for (const cf_node *c = n->first; c; c = c->next) {
        if (c->parent != n) abort();
        walk(d, c, b);
    }
}

static void fail(const char *what, const char *in, size_t inlen, const char *a, const char *b) {
    fprintf(stderr, "%s\n--- input\n%.*s\n--- dump\n%s\n--- second\n%s\n", what, (int)inlen, in, a, b ? b : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[SL_ERRLEN];
    err[0] = 0;
    cf_doc *d = NULL;
    if (cf_load_mem(&d, "fuzz.yaml", (const char *)data, size, err, sizeof err) != SL_OK) {
        if (d || !err[0]) abort(); /* an error must say why */
        return 0;
    }
    cf_node *r = cf_root(d);
    if (!r || r->kind != CF_MAP) abort();

    sl_buf b1, b2, w;
    sl_buf_init(&b1);
    sl_buf_init(&b2);
    sl_buf_init(&w);
    walk(d, r, &w);
    cf_dump(r, 0, &b1);
    const char *s1 = sl_buf_cstr(&b1);
    cf_doc *d2 = NULL;
    if (cf_load_mem(&d2, "dump.yaml", b1.p, b1.len, err, sizeof err) != SL_OK)
        fail(err, (const char *)data, size, s1, NULL);
    if (!same_tree(r, cf_root(d2))) fail("the dump loads as another tree", (const char *)data, size, s1, NULL);
    cf_dump(cf_root(d2), 0, &b2);
    if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len))
        fail("the dump of the dump differs", (const char *)data, size, s1, sl_buf_cstr(&b2));
    cf_free(d2);

    /* a deep copy is the same tree, and outlives its source */
    cf_doc *m = NULL;
    if (cf_new(&m, NULL, err, sizeof err) != SL_OK) abort();
    if (cf_merge(m, cf_root(m), d, r, err, sizeof err) != SL_OK) abort();
    fz_opts o;
    if (sl_opt_defaults(fz_table, &o, err, sizeof err) != SL_OK) abort();
    err[0] = 0;
    if (cf_bind(d, r, fz_table, &o, NULL, err, sizeof err) != SL_OK && !err[0]) abort();
    for (cf_node *c = r->first; c; c = c->next)
        if (c->kind == CF_MAP) (void)cf_bind(d, c, fz_table, &o, NULL, err, sizeof err);
    cf_free(d);
    b2.len = 0;
    cf_dump(cf_root(m), 0, &b2);
    if (b1.len != b2.len || memcmp(b1.p, b2.p, b1.len))
        fail("the merged copy dumps differently", (const char *)data, size, s1, sl_buf_cstr(&b2));
    walk(m, cf_root(m), &w);
    cf_free(m);
    sl_buf_free(&b1);
    sl_buf_free(&b2);
    sl_buf_free(&w);
    return 0;
}
