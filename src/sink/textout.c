#include "sink/textout.h"

#include <stdlib.h>
#include <string.h>

sl_err sl_textout_init(sl_textout *t, FILE *f, sl_fmt_mode mode, const sl_batch *schema, char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    if (mode != SL_FMT_JSON && mode != SL_FMT_CSV)
        return sl_err_set(err, errlen, SL_ERR_ARG, "textout: mode must be JSON or CSV");
    t->f = f;
    t->mode = mode;
    t->header = true;
    sl_buf_init(&t->out);
    t->ncols = schema->ncols;
    t->names = calloc(t->ncols ? t->ncols : 1, sizeof *t->names);
    t->keys = calloc(t->ncols ? t->ncols : 1, sizeof *t->keys);
    if (!t->names || !t->keys) {
        sl_textout_free(t);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (size_t c = 0; c < t->ncols; c++) {
        const char *nm = schema->cols[c].name ? schema->cols[c].name : "";
        t->names[c] = strdup(nm);
        sl_buf_init(&t->keys[c]);
        sl_buf_putc(&t->keys[c], c ? ',' : '{');
        sl_fmt_json_str(&t->keys[c], nm, strlen(nm));
        sl_buf_putc(&t->keys[c], ':');
        if (!t->names[c] || t->keys[c].oom) {
            sl_textout_free(t);
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
    }
    return SL_OK;
}

void sl_textout_free(sl_textout *t) {
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->names) free(t->names[c]);
        if (t->keys) sl_buf_free(&t->keys[c]);
    }
    free(t->names);
    free(t->keys);
    sl_buf_free(&t->out);
    memset(t, 0, sizeof *t);
}

static sl_err flush_out(sl_textout *t, char *err, size_t errlen) {
    if (t->out.oom) {
        t->failed = true;
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory formatting output");
    }
    if (!t->failed && t->out.len && !sl_buf_flush(&t->out, t->f)) t->failed = true;
    if (t->failed) return sl_err_set(err, errlen, SL_ERR_IO, "write failed");
    return SL_OK;
}

static void start(sl_textout *t) {
    if (t->started) return;
    t->started = true;
    if (t->mode != SL_FMT_CSV || !t->header) return;
    for (size_t c = 0; c < t->ncols; c++) {
        if (c) sl_buf_putc(&t->out, ',');
        sl_col tmp = {.t = {.type = SL_BYTES, .logical = SL_LOG_STRING},
                      .data = &(sl_str){t->names[c], (uint32_t)strlen(t->names[c])}};
        sl_fmt_value(&t->out, &tmp, 0, SL_FMT_CSV);
    }
    sl_buf_putc(&t->out, '\n');
}

static void put_value(sl_textout *t, const sl_col *c, size_t i, sl_buf *out) {
    if (t->ts_style == SL_TS_SPACE && c->t.type == SL_I64 && c->t.logical == SL_LOG_TIMESTAMP &&
        !sl_col_is_null(c, i)) {
        if (t->mode == SL_FMT_JSON) sl_buf_putc(out, '"');
        size_t ts = out->len;
        sl_fmt_timestamp(out, ((const int64_t *)c->data)[i], c->t.unit, false);
        if (out->len > ts + 10 && !out->oom && out->p[ts + 10] == 'T') out->p[ts + 10] = ' ';
        if (t->mode == SL_FMT_JSON) sl_buf_putc(out, '"');
        return;
    }
    sl_fmt_value(out, c, i, t->mode);
}

void sl_textout_format_row(sl_textout *t, const sl_batch *b, size_t i, sl_buf *out, int subst_col, const char *subst,
                           size_t subst_len) {
    size_t nc = b->ncols < t->ncols ? b->ncols : t->ncols;
    for (size_t c = 0; c < nc; c++) {
        if (t->mode == SL_FMT_JSON) sl_buf_put(out, t->keys[c].p, t->keys[c].len);
        else if (c) sl_buf_putc(out, ',');
        if ((int)c == subst_col) sl_buf_put(out, subst, subst_len);
        else put_value(t, &b->cols[c], i, out);
    }
    if (t->mode == SL_FMT_JSON) sl_buf_puts(out, nc ? "}" : "{}");
}

sl_err sl_textout_write_rows(sl_textout *t, const sl_batch *b, size_t from, size_t to, char *err, size_t errlen) {
    if (t->failed) return sl_err_set(err, errlen, SL_ERR_IO, "write failed");
    if (b->ncols != t->ncols) return sl_err_set(err, errlen, SL_ERR_ARG, "textout: batch has %zu columns, expected %zu", b->ncols, t->ncols);
    start(t);
    if (to > b->nrows) to = b->nrows;
    for (size_t i = from; i < to; i++) {
        sl_textout_format_row(t, b, i, &t->out, -1, NULL, 0);
        sl_buf_putc(&t->out, '\n');
        if (t->out.len >= (1u << 16)) {
            sl_err e = flush_out(t, err, errlen);
            if (e) return e;
        }
    }
    if (to > from) t->rows += to - from;
    return t->out.oom ? flush_out(t, err, errlen) : SL_OK;
}

sl_err sl_textout_write(sl_textout *t, const sl_batch *b, char *err, size_t errlen) {
    return sl_textout_write_rows(t, b, 0, b->nrows, err, errlen);
}

sl_err sl_textout_raw(sl_textout *t, const char *line, size_t n, char *err, size_t errlen) {
    if (t->failed) return sl_err_set(err, errlen, SL_ERR_IO, "write failed");
    start(t);
    sl_buf_put(&t->out, line, n);
    sl_buf_putc(&t->out, '\n');
    t->rows++;
    if (t->out.len >= (1u << 16)) return flush_out(t, err, errlen);
    return SL_OK;
}

sl_err sl_textout_finish(sl_textout *t, char *err, size_t errlen) {
    start(t);
    sl_err e = flush_out(t, err, errlen);
    if (e) return e;
    if (fflush(t->f) != 0 || ferror(t->f)) {
        t->failed = true;
        return sl_err_set(err, errlen, SL_ERR_IO, "write failed");
    }
    return SL_OK;
}
