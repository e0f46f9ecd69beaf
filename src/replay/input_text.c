/* input_text.c: CSV and JSON Lines replay inputs (input.h).
 *
 * Both stream through one bounded buffer (csv.h) and convert row by row
 * into the canonical batch.  Values: see coerce.h for the accepted text of
 * each type.  CSV: an empty unquoted field is NULL; "" is the empty string
 * for string columns and NULL for the others.  JSON: null is NULL; numbers
 * and numeric strings fill numeric columns; true/false fill the flags; the
 * first occurrence of a duplicated key wins.
 * Errors (in _error; the row is kept, the value NULL):
 *   malformed: line N: column 'c': 'v' is not an integer | is not a number |
 *              is not a flag (0/1/true/false) | is out of range for INT32 |
 *              an object/array is not a <type>     (several joined by "; ")
 *   bad_timestamp: line N: 'v' is not a timestamp
 *   malformed: line N: expected K fields, got M       (CSV; all values NULL)
 *   malformed: line N: unterminated quoted field      (CSV; all values NULL)
 *   malformed: line N: record longer than B bytes     (all values NULL)
 *   malformed: line N: <JSON syntax error> at column C (all values NULL)
 * _extra: CSV columns / JSON keys that are not Redset columns, as a JSON
 * object: CSV values as JSON strings (empty unquoted field = null), JSON
 * values as written.  CSV: an object on every row when the header has such
 * columns; JSON: only on lines that have such keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/format.h"
#include "replay/coerce.h"
#include "replay/csv.h"
#include "replay/input_int.h"
#include "replay/json.h"

typedef enum vkind { V_TXT = 0, V_QTXT, V_NUM, V_BOOL, V_NESTED } vkind;

struct rp_text {
    int fd;
    size_t mempos;
    rp_tstream s;
    rp_csv csv;
    rp_json js;
    uint64_t line;            /* JSON: physical lines consumed */
    /* CSV header */
    size_t nhdr;
    int *map;                 /* per field: Redset column, or -1 - extra index */
    sl_buf *xkey;             /* per extra column: `"name":` */
    size_t nextra;
    uint32_t present;         /* Redset columns present in the header */
    /* JSON key prediction: column of the k-th key on the previous line */
    int pred[64];
    /* per row */
    sl_buf mal, bts, xbuf;
    uint64_t cur_line;
    bool bad_row;
};

static long read_fd(void *ctx, void *buf, size_t n, char *err, size_t errlen) {
    rp_input *in = ctx;
    for (;;) {
        ssize_t r = read(in->tx->fd, buf, n);
        if (r >= 0) return (long)r;
        if (errno == EINTR) continue;
        return sl_err_set(err, errlen, SL_ERR_IO, "%s: read failed: %s", in->path, strerror(errno));
    }
}

static long read_mem(void *ctx, void *buf, size_t n, char *err, size_t errlen) {
    rp_input *in = ctx;
    size_t k = in->memlen - in->tx->mempos;
    if (k > n) k = n;
    memcpy(buf, (const char *)in->mem + in->tx->mempos, k);
    in->tx->mempos += k;
    return (long)k;
}

static void free_header(rp_text *t) {
    free(t->map);
    t->map = NULL;
    for (size_t i = 0; i < t->nextra; i++) sl_buf_free(&t->xkey[i]);
    free(t->xkey);
    t->xkey = NULL;
    t->nhdr = t->nextra = 0;
    t->present = 0;
}

static sl_err read_header(rp_input *in, char *err, size_t errlen) {
    rp_text *t = in->tx;
    int r = rp_csv_next(&t->csv, err, errlen);
    if (r < 0) return (sl_err)r;
    if (r == 0) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: empty CSV file (a header line naming the columns is required)", in->path);
    if (t->csv.status != RP_CSV_OK)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: line %llu: unreadable CSV header", in->path, (unsigned long long)t->csv.line);
    size_t nf = t->csv.nf;
    t->map = calloc(nf, sizeof *t->map);
    t->xkey = calloc(nf, sizeof *t->xkey);
    if (!t->map || !t->xkey) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    t->nhdr = nf;
    for (size_t k = 0; k < nf; k++) {
        const char *p = t->csv.f[k].p;
        size_t n = t->csv.f[k].len;
        while (n && (*p == ' ' || *p == '\t')) p++, n--;
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        int c = rp_match_col(p, n);
        if (c >= 0 && !(t->present >> c & 1)) {
            t->map[k] = c;
            t->present |= 1u << c;
        } else {
            sl_buf *kb = &t->xkey[t->nextra];
            sl_buf_init(kb);
            sl_fmt_json_str(kb, p, n);
            sl_buf_putc(kb, ':');
            if (kb->oom) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            t->map[k] = -1 - (int)t->nextra;
            t->nextra++;
        }
    }
    if (!(t->present >> EV_ARRIVAL_TS & 1)) {
        sl_buf h;
        sl_buf_init(&h);
        for (size_t k = 0; k < nf && h.len < 200; k++) {
            if (k) sl_buf_putc(&h, ',');
            sl_buf_put(&h, t->csv.f[k].p, t->csv.f[k].len > 40 ? 40 : t->csv.f[k].len);
        }
        sl_err e = sl_err_set(err, errlen, SL_ERR_ARG,
                              "%s: the CSV header has no arrival_timestamp column, so nothing could be replayed (header: %s)",
                              in->path, sl_buf_cstr(&h));
        sl_buf_free(&h);
        return e;
    }
    return SL_OK;
}

static sl_err text_start(rp_input *in, char *err, size_t errlen) {
    rp_text *t = in->tx;
    if (in->mem) {
        t->mempos = 0;
        rp_tstream_init(&t->s, read_mem, in, 0, 0);
    } else {
        if (t->fd >= 0 && lseek(t->fd, 0, SEEK_SET) < 0)
            return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot seek: %s", in->path, strerror(errno));
        rp_tstream_init(&t->s, read_fd, in, 0, 0);
    }
    rp_csv_init(&t->csv, &t->s);
    t->line = 0;
    in->next_row = 0;
    if (in->fmt == RP_FMT_CSV) {
        free_header(t);
        return read_header(in, err, errlen);
    }
    return SL_OK;
}

sl_err rp_text_open(rp_input *in, char *err, size_t errlen) {
    rp_text *t = calloc(1, sizeof *t);
    if (!t) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    in->tx = t;
    t->fd = -1;
    rp_json_init(&t->js);
    sl_buf_init(&t->mal);
    sl_buf_init(&t->bts);
    sl_buf_init(&t->xbuf);
    for (int k = 0; k < 64; k++) t->pred[k] = -1;
    if (!in->mem) {
        t->fd = open(in->path, O_RDONLY | O_CLOEXEC);
        if (t->fd < 0) return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot open: %s", in->path, strerror(errno));
    }
    return text_start(in, err, errlen);
}

void rp_text_close(rp_input *in) {
    rp_text *t = in->tx;
    if (!t) return;
    if (t->fd >= 0) close(t->fd);
    rp_csv_free(&t->csv);
    rp_tstream_free(&t->s);
    rp_json_free(&t->js);
    free_header(t);
    sl_buf_free(&t->mal);
    sl_buf_free(&t->bts);
    sl_buf_free(&t->xbuf);
    free(t);
    in->tx = NULL;
}

/* ------------------------------------------------------------------------ */
/* values                                                                   */

static void mal_begin(rp_text *t, int col) {
    if (t->mal.len) sl_buf_puts(&t->mal, "; ");
    sl_buf_printf(&t->mal, "column '%s': ", ev_col_name(col));
}

static const char *kind_noun(rp_kind k) {
    switch (k) {
    case RP_K_I32:
    case RP_K_I64: return "an integer";
    case RP_K_FLAG: return "a flag (0/1/true/false)";
    case RP_K_TS: return "a timestamp";
    case RP_K_STR: return "a string";
    default: return "a number";
    }
}

static void bad_value(rp_text *t, sl_batch *b, int col, size_t i, const char *s, size_t n, vkind vk, const char *what) {
    rp_set_null(b, col, i);
    rp_kind k = rp_col_kind(col);
    if (k == RP_K_TS && vk != V_NESTED) {
        if (!t->bts.len) {
            sl_buf_printf(&t->bts, "bad_timestamp: line %llu: ", (unsigned long long)t->cur_line);
            rp_msg_value(&t->bts, s, n);
            sl_buf_puts(&t->bts, " is not a timestamp");
        }
        return;
    }
    mal_begin(t, col);
    if (vk == V_NESTED) {
        sl_buf_printf(&t->mal, "%s is not %s", n && s[0] == '[' ? "an array" : "an object", kind_noun(k));
        return;
    }
    rp_msg_value(&t->mal, s, n);
    if (what) sl_buf_printf(&t->mal, " %s", what);
    else sl_buf_printf(&t->mal, " is not %s", kind_noun(k));
}

static inline void put_value(rp_text *t, sl_batch *b, int col, size_t i, const char *s, size_t n, vkind vk) {
    sl_col *c = &b->cols[col];
    rp_kind k = rp_col_kind(col);
    if (n == 0 && (vk == V_TXT || k != RP_K_STR)) {
        rp_set_null(b, col, i);
        return;
    }
    if (vk == V_NESTED) {
        bad_value(t, b, col, i, s, n, vk, NULL);
        return;
    }
    if (vk == V_BOOL && k != RP_K_FLAG && k != RP_K_STR) {
        bad_value(t, b, col, i, s, n, vk, NULL);
        return;
    }
    switch (k) {
    case RP_K_STR:
        if (!rp_set_str(b, col, i, s, n)) rp_set_null(b, col, i);
        return;
    case RP_K_I64:
        if (!rp_parse_i64(s, n, &((int64_t *)c->data)[i])) bad_value(t, b, col, i, s, n, vk, NULL);
        return;
    case RP_K_F64:
        if (!rp_parse_f64(s, n, &((double *)c->data)[i])) bad_value(t, b, col, i, s, n, vk, NULL);
        return;
    case RP_K_FLAG:
    case RP_K_I32: {
        int32_t *d = &((int32_t *)c->data)[i];
        if (k == RP_K_FLAG ? rp_parse_flag(s, n, d) : rp_parse_i32(s, n, d)) return;
        int64_t v;
        bad_value(t, b, col, i, s, n, vk, rp_parse_i64(s, n, &v) ? "is out of range for INT32" : NULL);
        return;
    }
    case RP_K_TS:
        if (vk == V_NUM || !rp_parse_timestamp(s, n, &((int64_t *)c->data)[i])) bad_value(t, b, col, i, s, n, vk, NULL);
        return;
    }
}

static void row_all_null(sl_batch *b, size_t i) {
    for (int c = 0; c < EV_N_REDSET; c++) rp_set_null(b, c, i);
    rp_set_null(b, EV_EXTRA, i);
}

/* Write _error of row i from the collected messages; returns true if flagged. */
static bool row_finish(rp_input *in, sl_batch *b, size_t i) {
    rp_text *t = in->tx;
    if (!t->mal.len && !t->bts.len) {
        rp_set_null(b, EV_ERROR, i);
        return false;
    }
    sl_buf *o = &t->xbuf;
    o->len = 0;
    if (t->mal.len) {
        if (!t->bad_row) sl_buf_printf(o, "malformed: line %llu: ", (unsigned long long)t->cur_line);
        sl_buf_put(o, t->mal.p, t->mal.len);
        if (t->bts.len) sl_buf_puts(o, "; ");
    }
    sl_buf_put(o, t->bts.p, t->bts.len);
    if (o->oom || !rp_set_str(b, EV_ERROR, i, o->p, o->len)) rp_set_null(b, EV_ERROR, i);
    return true;
}

static void row_begin(rp_text *t, uint64_t line) {
    t->mal.len = 0;
    t->bts.len = 0;
    t->cur_line = line;
    t->bad_row = false;
}

static void whole_row_bad(rp_text *t, sl_batch *b, size_t i, const char *fmt_detail) {
    row_all_null(b, i);
    t->bad_row = true;
    sl_buf_printf(&t->mal, "malformed: line %llu: %s", (unsigned long long)t->cur_line, fmt_detail);
}

/* ------------------------------------------------------------------------ */
/* CSV                                                                      */

static void csv_row(rp_input *in, sl_batch *b, size_t i) {
    rp_text *t = in->tx;
    rp_csv *c = &t->csv;
    row_begin(t, c->line);
    char tmp[96];
    if (c->status == RP_CSV_TOO_LONG) {
        snprintf(tmp, sizeof tmp, "record longer than %zu bytes", t->s.max_record);
        whole_row_bad(t, b, i, tmp);
        return;
    }
    if (c->nf != t->nhdr) {
        snprintf(tmp, sizeof tmp, "expected %zu fields, got %zu", t->nhdr, c->nf);
        whole_row_bad(t, b, i, tmp);
        return;
    }
    if (c->status == RP_CSV_UNTERMINATED) {
        whole_row_bad(t, b, i, "unterminated quoted field");
        return;
    }
    sl_buf *x = &t->xbuf;
    x->len = 0;
    for (size_t k = 0; k < c->nf; k++) {
        const rp_csv_field *f = &c->f[k];
        int col = t->map[k];
        if (col >= 0) {
            put_value(t, b, col, i, f->p, f->len, f->quoted ? V_QTXT : V_TXT);
        } else {
            sl_buf_putc(x, x->len ? ',' : '{');
            const sl_buf *kb = &t->xkey[-1 - col];
            sl_buf_put(x, kb->p, kb->len);
            if (f->len == 0 && !f->quoted) sl_buf_puts(x, "null");
            else sl_fmt_json_str(x, f->p, f->len);
        }
    }
    if ((t->present & ((1u << EV_N_REDSET) - 1)) != ((1u << EV_N_REDSET) - 1))
        for (int col = 0; col < EV_N_REDSET; col++)
            if (!(t->present >> col & 1)) rp_set_null(b, col, i);
    if (x->len) {
        sl_buf_putc(x, '}');
        if (x->oom || !rp_set_str(b, EV_EXTRA, i, x->p, x->len)) rp_set_null(b, EV_EXTRA, i);
    } else {
        rp_set_null(b, EV_EXTRA, i);
    }
}

/* ------------------------------------------------------------------------ */
/* JSON Lines                                                               */

static bool blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return false;
    return true;
}

static void json_row(rp_input *in, sl_batch *b, size_t i, const char *s, size_t n, bool too_long) {
    rp_text *t = in->tx;
    row_begin(t, t->line);
    if (too_long) {
        char tmp[96];
        snprintf(tmp, sizeof tmp, "line longer than %zu bytes", t->s.max_record);
        whole_row_bad(t, b, i, tmp);
        return;
    }
    char why[128];
    if (!rp_json_parse_object(&t->js, s, n, why, sizeof why)) {
        whole_row_bad(t, b, i, why);
        return;
    }
    uint32_t seen = 0;
    sl_buf *x = &t->xbuf;
    x->len = 0;
    for (size_t k = 0; k < t->js.n; k++) {
        const rp_jkv *kv = &t->js.kv[k];
        int col = k < 64 ? t->pred[k] : -1;
        if (col < 0 || kv->klen != strlen(ev_col_name(col)) || memcmp(kv->key, ev_col_name(col), kv->klen) != 0) {
            col = rp_match_col(kv->key, kv->klen);
            if (k < 64) t->pred[k] = col;
        }
        if (col >= 0 && !(seen >> col & 1)) {
            seen |= 1u << col;
            switch (kv->kind) {
            case RP_J_NULL: rp_set_null(b, col, i); break;
            case RP_J_STR: put_value(t, b, col, i, kv->val, kv->vlen, V_QTXT); break;
            case RP_J_NUM: put_value(t, b, col, i, kv->val, kv->vlen, V_NUM); break;
            case RP_J_BOOL:
                if (rp_col_kind(col) == RP_K_FLAG) {
                    ((int32_t *)b->cols[col].data)[i] = kv->b;
                } else {
                    put_value(t, b, col, i, kv->val, kv->vlen, V_BOOL);
                }
                break;
            case RP_J_NESTED: put_value(t, b, col, i, kv->raw, kv->rawlen, V_NESTED); break;
            }
        } else {
            sl_buf_putc(x, x->len ? ',' : '{');
            sl_fmt_json_str(x, kv->key, kv->klen);
            sl_buf_putc(x, ':');
            sl_buf_put(x, kv->raw, kv->rawlen);
        }
    }
    const uint32_t all = (1u << EV_N_REDSET) - 1;
    if (seen != all)
        for (int col = 0; col < EV_N_REDSET; col++)
            if (!(seen >> col & 1)) rp_set_null(b, col, i);
    if (x->len) {
        sl_buf_putc(x, '}');
        if (x->oom || !rp_set_str(b, EV_EXTRA, i, x->p, x->len)) rp_set_null(b, EV_EXTRA, i);
    } else {
        rp_set_null(b, EV_EXTRA, i);
    }
}

/* Next JSON line that is not blank: 1, 0 at end, <0 error. */
static int json_next_line(rp_text *t, const char **s, size_t *n, bool *too_long, char *err, size_t errlen) {
    for (;;) {
        int r = rp_tstream_line(&t->s, s, n, too_long, err, errlen);
        if (r <= 0) return r;
        t->line++;
        if (!*too_long && t->line == 1 && *n >= 3 && memcmp(*s, "\xEF\xBB\xBF", 3) == 0) {
            *s += 3;
            *n -= 3;
        }
        if (*too_long || !blank(*s, *n)) return 1;
    }
}

/* ------------------------------------------------------------------------ */

long rp_text_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    rp_text *t = in->tx;
    sl_err e = rp_batch_begin(b, max_rows, err, errlen);
    if (e != SL_OK) return e;
    size_t i = 0;
    uint64_t flagged = 0;
    while (i < max_rows) {
        if (in->fmt == RP_FMT_CSV) {
            int r = rp_csv_next(&t->csv, err, errlen);
            if (r < 0) return r;
            if (r == 0) break;
            csv_row(in, b, i);
        } else {
            const char *s;
            size_t n;
            bool tl;
            int r = json_next_line(t, &s, &n, &tl, err, errlen);
            if (r < 0) return r;
            if (r == 0) break;
            json_row(in, b, i, s, n, tl);
        }
        flagged += row_finish(in, b, i);
        i++;
    }
    b->nrows = i;
    if (i == 0) {
        in->st.bytes = t->s.bytes;
        return 0;
    }
    if ((e = rp_fill_system(in, b, i, err, errlen)) != SL_OK) return e;
    rp_batch_finish(b);
    in->next_row += i;
    in->st.rows += i;
    in->st.flagged += flagged;
    in->st.bytes = t->s.bytes;
    return (long)i;
}

sl_err rp_text_seek(rp_input *in, uint64_t row, char *err, size_t errlen) {
    rp_text *t = in->tx;
    rp_csv_free(&t->csv);
    rp_tstream_free(&t->s);
    sl_err e = text_start(in, err, errlen);
    if (e != SL_OK) return e;
    for (uint64_t k = 0; k < row; k++) {
        int r;
        if (in->fmt == RP_FMT_CSV) {
            r = rp_csv_next(&t->csv, err, errlen);
        } else {
            const char *s;
            size_t n;
            bool tl;
            r = json_next_line(t, &s, &n, &tl, err, errlen);
        }
        if (r < 0) return (sl_err)r;
        if (r == 0) break;
        in->next_row++;
    }
    return SL_OK;
}
