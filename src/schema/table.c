/* table.c: output table definitions (see table.h). */
#include "schema/table.h"

#include <stdlib.h>
#include <string.h>

size_t tb_nkeys(const tb_def *t) {
    size_t k = 0;
    for (size_t i = 0; i < t->ncols; i++) k += t->cols[i].key;
    return k;
}

int tb_find(const tb_def *t, const char *name) {
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcmp(t->cols[i].name, name)) return (int)i;
    return -1;
}

sl_err tb_init_batch(const tb_def *t, sl_batch *b, char *err, size_t errlen) {
    for (size_t i = 0; i < t->ncols; i++) {
        sl_err e = sl_batch_add_col(b, t->cols[i].name, &t->cols[i].type, t->cols[i].nullable, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

sl_err tb_check_batch(const tb_def *t, const sl_batch *b, char *err, size_t errlen) {
    if (b->ncols != t->ncols)
        return sl_err_set(err, errlen, SL_ERR_ARG, "table %s: a batch of %zu columns, expected %zu", t->name, b->ncols,
                          t->ncols);
    for (size_t i = 0; i < t->ncols; i++)
        if (b->cols[i].t.type != t->cols[i].type.type || strcmp(b->cols[i].name, t->cols[i].name))
            return sl_err_set(err, errlen, SL_ERR_ARG, "table %s: column %zu is '%s', expected '%s' of its type", t->name,
                              i, b->cols[i].name, t->cols[i].name);
    return SL_OK;
}

/* One allocation: the def, its columns, then the strings. */
sl_err tb_build(tb_def **out, const char *name, tb_kind kind, const tb_col *cols, size_t ncols, const char *help,
                char *err, size_t errlen) {
    *out = NULL;
    size_t strs = strlen(name) + 1 + (help ? strlen(help) + 1 : 0);
    for (size_t i = 0; i < ncols; i++) strs += strlen(cols[i].name) + 1 + (cols[i].help ? strlen(cols[i].help) + 1 : 0);
    size_t head = sizeof(tb_def) + ncols * sizeof(tb_col);
    char *m = malloc(head + strs);
    if (!m) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    tb_def *t = (tb_def *)m;
    tb_col *c = (tb_col *)(m + sizeof(tb_def));
    char *s = m + head;
#define DUP(dst, src)                      \
    do {                                   \
        size_t l_ = strlen(src) + 1;       \
        memcpy(s, src, l_);                \
        dst = s;                           \
        s += l_;                           \
    } while (0)
    DUP(t->name, name);
    t->help = NULL;
    if (help) DUP(t->help, help);
    t->kind = kind;
    t->ncols = ncols;
    t->cols = c;
    for (size_t i = 0; i < ncols; i++) {
        c[i] = cols[i];
        DUP(c[i].name, cols[i].name);
        c[i].help = NULL;
        if (cols[i].help) DUP(c[i].help, cols[i].help);
    }
#undef DUP
    *out = t;
    return SL_OK;
}

void tb_free(tb_def *t) { free(t); }

int tb_list_find(const tb_list *l, const char *name) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i]->name, name)) return (int)i;
    return -1;
}
