/* in_parquet.c: the Parquet input plugin (replay/input.h) on pq_reader.
 *
 * Columns are matched by name or path (exact, else case-insensitive when
 * unique).  A missing schema column is NULL on every row; a missing
 * event-time column refuses the file (nothing could be replayed).  Other
 * leaves go to _extra (or the schema's rest column; unsupported nested
 * leaves are ignored).  Conversions, each a whole-column
 * loop per batch (file type -> canonical type):
 *   INT32 target (Redset: instance_id, flags): INT32 copy; UINT32 (> INT32_MAX is
 *     NULL+malformed); INT64 (out of range NULL+malformed); BOOLEAN 0/1;
 *     DOUBLE rounded (NaN/out of range NULL+malformed); STRING parsed.
 *   INT64 target: INT64 copy; UINT64 (> INT64_MAX NULL+malformed); INT32 /
 *     UINT32 widened; BOOLEAN 0/1; DOUBLE rounded to nearest (ties away from
 *     zero; NaN/out of range NULL+malformed); STRING parsed.
 *   DOUBLE target: DOUBLE copy; FLOAT, INT32, UINT32, INT64 widened; STRING
 *     parsed.
 *   the event time (TIMESTAMP columns): TIMESTAMP(MICROS) or INT64 without annotation copy
 *     (microseconds); TIMESTAMP(MILLIS) x1000 (overflow NULL+bad_timestamp);
 *     TIMESTAMP(NANOS) and INT96 floor to micros; DATE midnight; STRING parsed.
 *   STRING target: BYTE_ARRAY views kept (the batch retains the reader's
 *     page/dictionary blobs, nothing is copied); other types rendered as text.
 * DECIMAL and other combinations are refused at open with a message naming
 * the column and its type.
 * Errors: "malformed: row R: column 'c': V is out of range for INT32" (or
 * "... 'v' is not an integer" for text), "bad_timestamp: row R: ..."; R is
 * the 0-based row (= _row).  _extra: {"name": value, ...} rendered with
 * sl_fmt_value in JSON mode, on every row when the file has such columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch/format.h"
#include "parquet/reader.h"
#include "replay/coerce.h"
#include "plugins/plugin.h"
#include "replay/input_plugin.h"

typedef enum cvt {
    CV_NONE = 0,
    CV_COPY32,
    CV_COPY64,
    CV_U32_I32,
    CV_I64_I32,
    CV_BOOL_I32,
    CV_F64_I32,
    CV_I32_I64,
    CV_U32_I64,
    CV_U64_I64,
    CV_BOOL_I64,
    CV_F64_I64,
    CV_I32_F64,
    CV_U32_F64,
    CV_I64_F64,
    CV_F32_F64,
    CV_TS_MS,
    CV_TS_NS,
    CV_DATE,
    CV_STR,
    CV_FMT,
    CV_TEXT
} cvt;

typedef struct bad_ev {
    uint32_t row;
    uint8_t col;
    uint8_t text; /* 1: value came from text */
} bad_ev;

typedef struct rp_pq {
    sl_source *src;
    pq_reader *meta_r;          /* reader used for the schema (kept for meta) */
    pq_reader *r;               /* reader of the current projection */
    sl_batch raw;
    bool raw_init;
    bool keys_mode;
    int leaf[SC_MAX_COLS];      /* leaf index or -1 */
    cvt cv[SC_MAX_COLS];
    int raw_of[SC_MAX_COLS];    /* column in raw batch or -1 */
    int *xleaf;                 /* extra leaves */
    int *xraw;                  /* their raw columns */
    sl_buf *xkey;               /* `"name":` */
    size_t nx;
    uint32_t *bad;
    size_t badcap;
    bad_ev *ev;
    size_t nev, evcap;
    sl_batch kb;                /* canonical scratch for next_keys */
    bool kb_init;
    sl_buf xbuf, msg;
} rp_pq;

#define PQ(in) ((rp_pq *)(in)->impl)

static const char *type_desc(const pq_leaf *L, char *buf, size_t n) {
    const sl_coltype *t = &L->ctype;
    const char *phys = pq_type_name(L->elem->type);
    const char *lg = t->logical == SL_LOG_STRING      ? " STRING"
                     : t->logical == SL_LOG_DECIMAL   ? " DECIMAL"
                     : t->logical == SL_LOG_TIMESTAMP ? " TIMESTAMP"
                     : t->logical == SL_LOG_DATE      ? " DATE"
                     : t->logical == SL_LOG_TIME      ? " TIME"
                     : t->logical == SL_LOG_INT       ? " INT"
                                                      : "";
    snprintf(buf, n, "%s%s", phys, lg);
    return buf;
}

static cvt choose(const sc_schema *s, int col, const pq_leaf *L) {
    const sl_coltype *t = &L->ctype;
    rp_kind k = rp_col_kind(s, col);
    bool uns = t->logical == SL_LOG_INT && !t->is_signed;
    if (t->logical == SL_LOG_DECIMAL || t->logical == SL_LOG_INTERVAL || t->logical == SL_LOG_FLOAT16) return k == RP_K_STR ? CV_FMT : CV_NONE;
    bool text = t->type == SL_BYTES && t->fixed_len == 0 && t->logical != SL_LOG_UUID;
    switch (k) {
    case RP_K_I32:
    case RP_K_FLAG:
        if (t->logical == SL_LOG_TIMESTAMP || t->logical == SL_LOG_DATE || t->logical == SL_LOG_TIME) return CV_NONE;
        switch (t->type) {
        case SL_I32: return uns && t->bit_width == 32 ? CV_U32_I32 : CV_COPY32;
        case SL_I64: return CV_I64_I32;
        case SL_BOOL: return CV_BOOL_I32;
        case SL_F64: return CV_F64_I32;
        case SL_BYTES: return text ? CV_TEXT : CV_NONE;
        default: return CV_NONE;
        }
    case RP_K_I64:
        if (t->logical == SL_LOG_DATE || t->logical == SL_LOG_TIME) return CV_NONE;
        switch (t->type) {
        case SL_I64: return uns ? CV_U64_I64 : CV_COPY64;
        case SL_I32: return uns && t->bit_width == 32 ? CV_U32_I64 : CV_I32_I64;
        case SL_BOOL: return CV_BOOL_I64;
        case SL_F64: return CV_F64_I64;
        case SL_BYTES: return text ? CV_TEXT : CV_NONE;
        default: return CV_NONE;
        }
    case RP_K_F64:
        if (t->logical == SL_LOG_TIMESTAMP || t->logical == SL_LOG_DATE || t->logical == SL_LOG_TIME) return CV_NONE;
        switch (t->type) {
        case SL_F64: return CV_COPY64;
        case SL_F32: return CV_F32_F64;
        case SL_I32: return uns && t->bit_width == 32 ? CV_U32_F64 : CV_I32_F64;
        case SL_I64: return uns ? CV_NONE : CV_I64_F64;
        case SL_BYTES: return text ? CV_TEXT : CV_NONE;
        default: return CV_NONE;
        }
    case RP_K_TS:
        if (t->type == SL_I64 && t->logical == SL_LOG_TIMESTAMP)
            return t->unit == SL_UNIT_MILLIS ? CV_TS_MS : t->unit == SL_UNIT_NANOS ? CV_TS_NS : CV_COPY64;
        if (t->type == SL_I64 && (t->logical == SL_LOG_NONE || (t->logical == SL_LOG_INT && t->is_signed))) return CV_COPY64;
        if (t->type == SL_I32 && t->logical == SL_LOG_DATE) return CV_DATE;
        if (t->type == SL_BYTES && text) return CV_TEXT;
        return CV_NONE;
    case RP_K_STR:
        if (t->type == SL_BYTES && (t->logical == SL_LOG_STRING || t->logical == SL_LOG_NONE || t->logical == SL_LOG_JSON ||
                                    t->logical == SL_LOG_ENUM))
            return CV_STR;
        return CV_FMT;
    }
    return CV_NONE;
}

static int64_t total_rows(const pq_meta *m) {
    int64_t t = 0;
    for (uint32_t g = 0; g < m->n_row_groups; g++) t += m->row_groups[g].num_rows;
    return t;
}

static int64_t pq_rows(const rp_input *in) { return PQ(in) && PQ(in)->meta_r ? total_rows(pq_reader_meta(PQ(in)->meta_r)) : -1; }

static int match_leaf(pq_reader *r, const char *name) {
    size_t nl = pq_reader_num_leaves(r);
    int exact = pq_reader_find(r, name);
    if (exact >= 0) return exact;
    int ci = -1, cnt = 0;
    for (size_t i = 0; i < nl; i++) {
        const pq_leaf *L = pq_reader_leaf(r, i);
        if (strcasecmp(L->name, name) == 0) {
            ci = (int)i;
            cnt++;
        }
    }
    return cnt == 1 ? ci : -1;
}

/* (Re)open the reader on the projection of the current mode, positioned at
 * row `row` (row groups from the one holding it; leading rows discarded). */
static sl_err position(rp_input *in, bool keys_mode, uint64_t row, char *err, size_t errlen) {
    rp_pq *p = PQ(in);
    const sc_schema *s = in->schema;
    if (p->r) pq_reader_close(p->r);
    p->r = NULL;
    if (p->raw_init) sl_batch_free(&p->raw);
    sl_batch_init(&p->raw);
    p->raw_init = true;
    p->keys_mode = keys_mode;
    sl_err e = pq_reader_open(&p->r, p->src, NULL, err, errlen);
    if (e != SL_OK) return e;
    const char *names[SC_MAX_COLS + 1024];
    const char **nm = names;
    size_t nsel = 0, cap = s->ncols + p->nx;
    if (cap > SC_MAX_COLS + 1024) {
        nm = malloc(cap * sizeof *nm);
        if (!nm) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (int c = 0; c < (int)s->ncols; c++) {
        p->raw_of[c] = -1;
        if (p->leaf[c] < 0) continue;
        if (keys_mode && c != s->time && c != s->order[0] && c != s->order[1]) continue;
        p->raw_of[c] = (int)nsel;
        nm[nsel++] = pq_reader_leaf(p->r, (size_t)p->leaf[c])->name;
    }
    if (!keys_mode)
        for (size_t x = 0; x < p->nx; x++) {
            p->xraw[x] = (int)nsel;
            nm[nsel++] = pq_reader_leaf(p->r, (size_t)p->xleaf[x])->name;
        }
    e = pq_reader_select(p->r, nm, nsel, err, errlen);
    if (nm != names) free(nm);
    if (e != SL_OK) return e;
    const pq_meta *m = pq_reader_meta(p->r);
    uint64_t start = 0;
    uint32_t g = 0;
    for (; g < m->n_row_groups; g++) {
        uint64_t nr = m->row_groups[g].num_rows > 0 ? (uint64_t)m->row_groups[g].num_rows : 0;
        if (row < start + nr) break;
        start += nr;
    }
    if (g > 0 || row > 0) {
        size_t nrg = m->n_row_groups - g;
        uint32_t *idx = malloc((nrg ? nrg : 1) * sizeof *idx);
        if (!idx) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < nrg; k++) idx[k] = g + (uint32_t)k;
        e = pq_reader_select_row_groups(p->r, idx, nrg, err, errlen);
        free(idx);
        if (e != SL_OK) return e;
    }
    if ((e = pq_reader_init_batch(p->r, &p->raw, err, errlen)) != SL_OK) return e;
    in->next_row = start;
    uint64_t skip = g < m->n_row_groups ? row - start : 0;
    while (skip > 0) {
        long n = pq_reader_next(p->r, &p->raw, skip < 65536 ? (size_t)skip : 65536, err, errlen);
        if (n < 0) return (sl_err)n;
        if (n == 0) break;
        skip -= (uint64_t)n;
        in->next_row += (uint64_t)n;
    }
    sl_batch_reset(&p->raw);
    return SL_OK;
}

static sl_err pq_open(rp_input *in, char *err, size_t errlen) {
    const sc_schema *s = in->schema;
    rp_pq *p = calloc(1, sizeof *p);
    if (!p) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    in->impl = p;
    sl_buf_init(&p->xbuf);
    sl_buf_init(&p->msg);
    sl_err e = in->mem ? sl_source_open_mem(&p->src, in->mem, in->memlen, in->path, err, errlen)
                       : sl_source_open_file(&p->src, in->path, err, errlen);
    if (e != SL_OK) return e;
    if ((e = pq_reader_open(&p->meta_r, p->src, NULL, err, errlen)) != SL_OK) return e;
    pq_reader *r = p->meta_r;
    size_t nl = pq_reader_num_leaves(r);
    bool *used = calloc(nl ? nl : 1, sizeof *used);
    p->xleaf = calloc(nl ? nl : 1, sizeof *p->xleaf);
    p->xraw = calloc(nl ? nl : 1, sizeof *p->xraw);
    p->xkey = calloc(nl ? nl : 1, sizeof *p->xkey);
    if (!used || !p->xleaf || !p->xraw || !p->xkey) {
        free(used);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (int c = 0; c < (int)s->ncols; c++) {
        p->leaf[c] = c == s->rest ? -1 : match_leaf(r, s->cols[c].name); /* the rest column is never read */
        if (p->leaf[c] < 0 && c != s->rest && s->cols[c].path) p->leaf[c] = match_leaf(r, s->cols[c].path);
        if (p->leaf[c] < 0) continue;
        const pq_leaf *L = pq_reader_leaf(r, (size_t)p->leaf[c]);
        used[p->leaf[c]] = true;
        char td[64];
        if (!L->supported) {
            free(used);
            return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: column '%s' cannot be read: %s", in->path, L->name, L->why);
        }
        p->cv[c] = choose(s, c, L);
        if (p->cv[c] == CV_NONE) {
            free(used);
            return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: column '%s' has type %s, which cannot be read as %s", in->path,
                              L->name, type_desc(L, td, sizeof td),
                              rp_col_kind(s, c) == RP_K_TS ? "a timestamp" : rp_col_kind(s, c) == RP_K_F64 ? "DOUBLE"
                              : rp_col_kind(s, c) == RP_K_I64 ? "INT64" : "INT32");
        }
    }
    /* every REQUIRED column (the event time among them) must be in the file:
     * without one, every row would be bad */
    sl_buf miss;
    sl_buf_init(&miss);
    size_t nmiss = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        if (!(s->cols[c].rules & SC_REQUIRED) || p->leaf[c] >= 0) continue;
        if (nmiss++) sl_buf_puts(&miss, ", ");
        sl_buf_puts(&miss, s->cols[c].name);
    }
    if (nmiss) {
        sl_buf h;
        sl_buf_init(&h);
        for (size_t i = 0; i < nl && h.len < 200; i++) {
            const pq_leaf *L = pq_reader_leaf(r, i);
            size_t ln = strlen(L->name);
            if (i) sl_buf_putc(&h, ',');
            sl_buf_put_escaped(&h, L->name, ln > 40 ? 40 : ln);
        }
        if (h.len >= 200) sl_buf_puts(&h, "...");
        free(used);
        sl_err me = sl_err_set(err, errlen, SL_ERR_CORRUPT,
                              "%s: no %s column%s (required by schema '%s'), so the file cannot be replayed (columns: %s)",
                              in->path, sl_buf_cstr(&miss), nmiss > 1 ? "s" : "", s->name, sl_buf_cstr(&h));
        sl_buf_free(&h);
        sl_buf_free(&miss);
        return me;
    }
    for (size_t i = 0; i < nl; i++) {
        const pq_leaf *L = pq_reader_leaf(r, i);
        if (used[i] || !L->supported) continue;
        sl_buf_init(&p->xkey[p->nx]);
        sl_fmt_json_str(&p->xkey[p->nx], L->name, strlen(L->name));
        sl_buf_putc(&p->xkey[p->nx], ':');
        p->xleaf[p->nx++] = (int)i;
    }
    free(used);
    return position(in, false, 0, err, errlen);
}

static void pq_close(rp_input *in) {
    rp_pq *p = PQ(in);
    if (!p) return;
    if (p->r) pq_reader_close(p->r);
    if (p->meta_r) pq_reader_close(p->meta_r);
    if (p->raw_init) sl_batch_free(&p->raw);
    if (p->kb_init) sl_batch_free(&p->kb);
    if (p->src) sl_source_close(p->src);
    for (size_t x = 0; x < p->nx; x++) sl_buf_free(&p->xkey[x]);
    free(p->xkey);
    free(p->xleaf);
    free(p->xraw);
    free(p->bad);
    free(p->ev);
    sl_buf_free(&p->xbuf);
    sl_buf_free(&p->msg);
    free(p);
    in->impl = NULL;
}

static sl_err pq_seek(rp_input *in, uint64_t row, char *err, size_t errlen) { return position(in, PQ(in)->keys_mode, row, err, errlen); }

/* ------------------------------------------------------------------------ */
/* conversion                                                               */

static bool add_ev(rp_pq *p, uint32_t row, int col, bool text) {
    if (p->nev == p->evcap) {
        size_t nc = p->evcap ? p->evcap * 2 : 64;
        bad_ev *ne = realloc(p->ev, nc * sizeof *ne);
        if (!ne) return false;
        p->ev = ne;
        p->evcap = nc;
    }
    p->ev[p->nev++] = (bad_ev){row, (uint8_t)col, text};
    return true;
}

static void copy_validity(sl_batch *b, int c, const sl_col *rc, size_t n) {
    sl_col *col = &b->cols[c];
    if (!rc->valid || rc->null_count == 0) return;
    uint8_t *v = sl_col_valid_alloc(b, (size_t)c);
    if (!v) return;
    memcpy(v, rc->valid, (n + 7) / 8);
    col->null_count = rc->null_count;
}

static void text_col(const sc_schema *sc, rp_pq *p, sl_batch *b, int c, const sl_col *rc, size_t n) {
    const sl_str *s = rc->data;
    sl_col *col = &b->cols[c];
    rp_kind k = rp_col_kind(sc, c);
    memset(col->data, 0, n * sl_type_width(col->t.type));
    for (size_t i = 0; i < n; i++) {
        if (sl_col_is_null(rc, i)) continue; /* validity copied */
        bool ok;
        if (s[i].len == 0) {
            rp_set_null(b, c, i);
            continue;
        }
        switch (k) {
        case RP_K_I32: ok = rp_parse_i32(s[i].ptr, s[i].len, &((int32_t *)col->data)[i]); break;
        case RP_K_FLAG: ok = rp_parse_flag(s[i].ptr, s[i].len, &((int32_t *)col->data)[i]); break;
        case RP_K_I64: ok = rp_parse_i64(s[i].ptr, s[i].len, &((int64_t *)col->data)[i]); break;
        case RP_K_F64: ok = rp_parse_f64(s[i].ptr, s[i].len, &((double *)col->data)[i]); break;
        case RP_K_TS: ok = rp_parse_timestamp(s[i].ptr, s[i].len, &((int64_t *)col->data)[i]); break;
        default: ok = true; break;
        }
        if (!ok) {
            rp_set_null(b, c, i);
            add_ev(p, (uint32_t)i, c, true);
        }
    }
}

/* Convert column c of the raw batch into the canonical batch. */
static sl_err convert_col(rp_input *in, sl_batch *b, int c, size_t n, char *err, size_t errlen) {
    rp_pq *p = PQ(in);
    sl_col *col = &b->cols[c];
    const sl_col *rc = &p->raw.cols[p->raw_of[c]];
    copy_validity(b, c, rc, n);
    size_t nb = 0;
    uint32_t *bad = p->bad;
    switch (p->cv[c]) {
    case CV_NONE: break;
    case CV_COPY32: memcpy(col->data, rc->data, n * 4); break;
    case CV_COPY64: memcpy(col->data, rc->data, n * 8); break;
    case CV_U32_I32: {
        const int32_t *s = rc->data;
        int32_t *d = col->data;
        for (size_t i = 0; i < n; i++) {
            d[i] = s[i];
            if (s[i] < 0) bad[nb++] = (uint32_t)i;
        }
        break;
    }
    case CV_I64_I32: nb = rp_cv_i64_to_i32(rc->data, col->data, n, bad); break;
    case CV_BOOL_I32: rp_cv_u8_to_i32(rc->data, col->data, n); break;
    case CV_F64_I32: nb = rp_cv_f64_to_i32(rc->data, col->data, n, bad); break;
    case CV_I32_I64: rp_cv_i32_to_i64(rc->data, col->data, n, false); break;
    case CV_U32_I64: rp_cv_i32_to_i64(rc->data, col->data, n, true); break;
    case CV_U64_I64:
        memcpy(col->data, rc->data, n * 8);
        nb = rp_cv_u64_check(col->data, n, bad);
        break;
    case CV_BOOL_I64: {
        const uint8_t *s = rc->data;
        int64_t *d = col->data;
        for (size_t i = 0; i < n; i++) d[i] = s[i];
        break;
    }
    case CV_F64_I64: nb = rp_cv_f64_to_i64(rc->data, col->data, n, bad); break;
    case CV_I32_F64: rp_cv_i32_to_f64(rc->data, col->data, n, false); break;
    case CV_U32_F64: rp_cv_i32_to_f64(rc->data, col->data, n, true); break;
    case CV_I64_F64: rp_cv_i64_to_f64(rc->data, col->data, n); break;
    case CV_F32_F64: rp_cv_f32_to_f64(rc->data, col->data, n); break;
    case CV_TS_MS: nb = rp_cv_ms_to_us(rc->data, col->data, n, bad); break;
    case CV_TS_NS: rp_cv_ns_to_us(rc->data, col->data, n); break;
    case CV_DATE: rp_cv_days_to_us(rc->data, col->data, n); break;
    case CV_STR:
        if (p->raw.arena.used == 0) {
            memcpy(col->data, rc->data, n * sizeof(sl_str));
        } else {
            const sl_str *s = rc->data;
            for (size_t i = 0; i < n; i++)
                if (!rp_set_str(b, c, i, s[i].ptr, s[i].len)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        break;
    case CV_FMT: {
        sl_buf *x = &p->xbuf;
        for (size_t i = 0; i < n; i++) {
            if (sl_col_is_null(rc, i)) {
                ((sl_str *)col->data)[i] = (sl_str){NULL, 0};
                continue;
            }
            x->len = 0;
            sl_fmt_value(x, rc, i, SL_FMT_TEXT);
            if (x->oom || !rp_set_str(b, c, i, x->p, x->len)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        break;
    }
    case CV_TEXT: text_col(in->schema, p, b, c, rc, n); break;
    }
    for (size_t k = 0; k < nb; k++) {
        if (sl_col_is_null(rc, bad[k])) continue;
        rp_set_null(b, c, bad[k]);
        if (!p->keys_mode && !add_ev(p, bad[k], c, false)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    return SL_OK;
}

static _Thread_local int g_time_col;
static int ev_cmp(const void *a, const void *b) {
    const bad_ev *x = a, *y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    bool tx = x->col == g_time_col, ty = y->col == g_time_col;
    if (tx != ty) return tx ? 1 : -1; /* malformed first */
    return (int)x->col - (int)y->col;
}

/* _error texts for the collected bad values; returns flagged rows. */
static uint64_t write_errors(rp_input *in, sl_batch *b, size_t n) {
    rp_pq *p = PQ(in);
    const sc_schema *s = in->schema;
    uint64_t flagged = 0;
    g_time_col = s->time;
    qsort(p->ev, p->nev, sizeof *p->ev, ev_cmp);
    sl_buf *m = &p->msg;
    size_t k = 0;
    while (k < p->nev) {
        uint32_t row = p->ev[k].row;
        m->len = 0;
        bool any_mal = false;
        unsigned long long rowno = (unsigned long long)(in->next_row + row);
        for (; k < p->nev && p->ev[k].row == row; k++) {
            const bad_ev *e = &p->ev[k];
            const sl_col *rc = &p->raw.cols[p->raw_of[e->col]];
            bool ts = e->col == s->time;
            if (ts) sl_buf_printf(m, "%sbad_timestamp: row %llu: ", m->len ? "; " : "", rowno);
            else if (!any_mal) sl_buf_printf(m, "malformed: row %llu: column '%s': ", rowno, s->cols[e->col].name);
            else sl_buf_printf(m, "; column '%s': ", s->cols[e->col].name);
            if (!ts) any_mal = true;
            p->xbuf.len = 0;
            sl_fmt_value(&p->xbuf, rc, row, SL_FMT_TEXT);
            if (e->text) rp_msg_value(m, p->xbuf.p, p->xbuf.len);
            else sl_buf_put(m, p->xbuf.p, p->xbuf.len);
            rp_kind kd = rp_col_kind(s, e->col);
            if (ts) sl_buf_puts(m, e->text ? " is not a timestamp" : " is out of the timestamp range");
            else if (!e->text) sl_buf_puts(m, kd == RP_K_I32 || kd == RP_K_FLAG ? " is out of range for INT32" : " is out of range for INT64");
            else sl_buf_puts(m, kd == RP_K_I32 || kd == RP_K_I64 ? " is not an integer" : kd == RP_K_FLAG ? " is not a flag (0/1/true/false)" : " is not a number");
        }
        if (!m->oom && rp_set_str(b, s->error, row, m->p, m->len)) {
            sl_col *ce = &b->cols[s->error];
            if (ce->valid && !sl_bit_get(ce->valid, row)) {
                sl_bit_set(ce->valid, row);
                ce->null_count--;
            }
        }
        flagged++;
    }
    (void)n;
    return flagged;
}

static sl_err extra_col(rp_input *in, sl_batch *b, int xc, size_t n, char *err, size_t errlen) {
    rp_pq *p = PQ(in);
    sl_buf *x = &p->xbuf;
    for (size_t i = 0; i < n; i++) {
        x->len = 0;
        for (size_t k = 0; k < p->nx; k++) {
            sl_buf_putc(x, k ? ',' : '{');
            sl_buf_put(x, p->xkey[k].p, p->xkey[k].len);
            sl_fmt_value(x, &p->raw.cols[p->xraw[k]], i, SL_FMT_JSON);
        }
        sl_buf_putc(x, '}');
        if (x->oom || !rp_set_str(b, xc, i, x->p, x->len)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    return SL_OK;
}

static void all_null(sl_batch *b, int c, size_t n) {
    sl_col *col = &b->cols[c];
    memset(col->data, 0, n * sl_type_width(col->t.type));
    uint8_t *v = sl_col_valid_alloc(b, (size_t)c);
    if (!v) return;
    memset(v, 0, (n + 7) / 8);
    col->null_count = n;
}

/* Read the next raw batch and convert it into b. */
static long next_into(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    rp_pq *p = PQ(in);
    const sc_schema *s = in->schema;
    long n = pq_reader_next(p->r, &p->raw, max_rows, err, errlen);
    if (n <= 0) return n;
    sl_err e = rp_batch_begin(b, (size_t)n, err, errlen);
    if (e != SL_OK) return e;
    if (p->badcap < (size_t)n) {
        free(p->bad);
        p->bad = malloc((size_t)n * sizeof *p->bad);
        if (!p->bad) {
            p->badcap = 0;
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        p->badcap = (size_t)n;
    }
    p->nev = 0;
    b->nrows = (size_t)n;
    for (int c = 0; c < (int)s->ncols; c++) {
        if (p->raw_of[c] >= 0) {
            if ((e = convert_col(in, b, c, (size_t)n, err, errlen)) != SL_OK) return e;
        } else if (!p->keys_mode && c != s->rest) { /* the rest column is filled below */
            all_null(b, c, (size_t)n);
        }
    }
    if (p->keys_mode) return n;
    for (size_t k = 0; k < p->raw.nblobs; k++)
        if (sl_batch_retain(b, p->raw.blobs[k]) != SL_OK) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    if ((e = rp_fill_system(in, b, (size_t)n, err, errlen)) != SL_OK) return e;
    all_null(b, s->error, (size_t)n);
    /* unknown columns: into the schema's rest column, else _extra */
    int xc = s->rest >= 0 ? s->rest : s->extra;
    if (xc != s->extra) all_null(b, s->extra, (size_t)n);
    if (p->nx) {
        if ((e = extra_col(in, b, xc, (size_t)n, err, errlen)) != SL_OK) return e;
    } else {
        all_null(b, xc, (size_t)n);
    }
    uint64_t flagged = p->nev ? write_errors(in, b, (size_t)n) : 0;
    rp_batch_finish(b);
    in->st.flagged += flagged;
    return n;
}

static long pq_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    rp_pq *p = PQ(in);
    if (p->keys_mode) {
        sl_err e = position(in, false, in->next_row, err, errlen);
        if (e != SL_OK) return e;
    }
    long n = next_into(in, b, max_rows, err, errlen);
    if (n <= 0) {
        if (n == 0) sl_batch_reset(b);
        return n;
    }
    in->next_row += (uint64_t)n;
    in->st.rows += (uint64_t)n;
    in->st.bytes = p->src->bytes_read;
    return n;
}

static long pq_next_keys(rp_input *in, int64_t *ts, int32_t *k1, int64_t *k2, size_t max_rows, char *err, size_t errlen) {
    rp_pq *p = PQ(in);
    if (!p->keys_mode) {
        sl_err e = position(in, true, in->next_row, err, errlen);
        if (e != SL_OK) return e;
    }
    if (!p->kb_init) {
        sl_batch_init(&p->kb);
        p->kb_init = true;
        sl_err e = sc_init_batch(in->schema, &p->kb, err, errlen);
        if (e != SL_OK) return e;
    }
    long n = next_into(in, &p->kb, max_rows, err, errlen);
    if (n <= 0) return n;
    /* columns the file lacks were not touched in keys mode: zero them first */
    const sc_schema *s = in->schema;
    for (int k = 0; k < 2; k++)
        if (s->order[k] >= 0 && p->raw_of[s->order[k]] < 0) {
            sl_col *c = &p->kb.cols[s->order[k]];
            memset(c->data, 0, (size_t)n * sl_type_width(c->t.type));
            if (c->valid) memset(c->valid, 0xff, ((size_t)n + 7) / 8);
            c->null_count = 0;
        }
    rp_keys_from_batch(s, &p->kb, (size_t)n, ts, k1, k2);
    in->next_row += (uint64_t)n;
    return n;
}

/* Memory of one more reader: per selected column a read window and a page. */
static size_t pq_cursor_bytes(const rp_input *in) {
    const rp_pq *p = PQ(in);
    const pq_reader *r = p->meta_r;
    const pq_meta *m = pq_reader_meta(r);
    size_t est = 0, nl = pq_reader_num_leaves(r);
    for (size_t l = 0; l < nl; l++) {
        const pq_leaf *lf = pq_reader_leaf(r, l);
        if (!lf->supported) continue;
        int64_t maxu = 0;
        for (uint32_t g = 0; g < m->n_row_groups; g++) {
            const pq_row_group *rg = &m->row_groups[g];
            if (lf->chunk_index < 0 || (uint32_t)lf->chunk_index >= rg->n_columns) continue;
            const pq_column_chunk *cc = &rg->columns[lf->chunk_index];
            if (cc->has_meta && cc->meta.total_uncompressed_size > maxu) maxu = cc->meta.total_uncompressed_size;
        }
        size_t page = maxu < (2 << 20) ? (size_t)maxu : (size_t)(2 << 20);
        est += (1u << 20) + page;
    }
    return est;
}

static int pq_sniff(const unsigned char *h, size_t n) { return n >= 4 && memcmp(h, "PAR1", 4) == 0 ? 100 : 0; }

static const char *const pq_ext[] = {".parquet", ".parq", ".pq", NULL};

const in_plugin in_parquet = {
    .name = "parquet",
    .help = "Apache Parquet files: columns matched by name, the accepted alternative types converted",
    .extensions = pq_ext,
    .sniff = pq_sniff,
    .open = pq_open,
    .close = pq_close,
    .next = pq_next,
    .seek = pq_seek,
    .next_keys = pq_next_keys,
    .rows = pq_rows,
    .cursor_bytes = pq_cursor_bytes,
};

const pl_module pm_parquet_in = {.name = "parquet", .inputs = (const in_plugin *const[]){&in_parquet, NULL}};
