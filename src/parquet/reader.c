/* reader.c: footer, schema mapping and the page-streaming column reader. */
#include "parquet/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "parquet/codec.h"
#include "parquet/encoding.h"

#define WINDOW_MIN (1u << 20)        /* read-ahead per column */
#define HEADER_MAX (16u << 20)       /* largest page header we accept */
#define PAGE_MAX ((size_t)1 << 30)   /* largest page (compressed or not) */

/* ------------------------------------------------------------------------ */
/* Column chunk reader state                                                */

typedef struct colreader {
    int leaf;                 /* leaf index */
    const pq_leaf *L;
    const pq_column_chunk *cc;
    int rg;                   /* row group index (for messages) */
    uint64_t chunk_start, chunk_end, pos;
    int64_t values_total, values_done;
    int page_no;              /* pages seen in this chunk (for messages) */

    /* read-ahead window over the file: window->data holds [win_off, win_off+win_len) */
    sl_blob *window;
    uint64_t win_off;
    size_t win_len;

    /* current data page */
    sl_blob *page_blob;       /* decompressed page (or window) holding values */
    sl_blob *lvl_blob;        /* blob holding levels (v2: window or copy) */
    int64_t page_left;        /* levels (rows) left in page */
    int64_t page_nonnull_left;/* for BSS: values left in page */
    pq_encoding enc;
    const uint8_t *vp, *vend; /* values region */
    const uint8_t *vbase;     /* start of values region (BSS) */
    size_t bss_total, bss_pos;
    size_t bool_bit;          /* PLAIN boolean bit position */
    bool has_def;
    bool def_legacy;
    pq_rle def;
    uint32_t *legacy_lv;      /* all levels of a BIT_PACKED-level page */
    size_t def_legacy_pos;
    pq_rle idx;               /* dictionary indices / RLE booleans */
    pq_delta delta;
    pq_dlba dlba;
    bool dlba_live;
    pq_dba dba;
    bool dba_live;

    /* dictionary */
    sl_blob *dict_blob;       /* dictionary page bytes (strings point here) */
    sl_blob *dict_vals_blob;  /* typed values array */
    void *dict_vals;          /* typed values, width = batch type width */
    uint32_t dict_n;
    bool has_dict;

    /* scratch */
    uint32_t *lvl;            /* levels for one step */
    uint32_t *ibuf;           /* dictionary indices */
    size_t scratch_cap;
} colreader;

struct pq_reader {
    sl_source *src;
    pq_reader_opts opts;
    pq_meta *meta;
    pq_leaf *leaves;
    size_t n_leaves;
    char **names;             /* owned leaf names */
    int *sel;                 /* selected leaf indices */
    size_t n_sel;
    uint32_t *rgs;            /* selected row groups */
    size_t n_rgs;
    size_t rg_pos;            /* next index into rgs */
    int cur_rg;               /* current row group or -1 */
    int64_t rg_rows_left;
    colreader *cols;          /* n_sel readers */
    pq_reader_stats stats;
    uint64_t footer_start;
    bool started;
};

/* ------------------------------------------------------------------------ */
/* helpers                                                                  */

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static sl_err cr_fail(pq_reader *r, colreader *c, char *err, size_t errlen, sl_err code) {
    sl_err_prefix(err, errlen, "%s: row group %d, column '%s', page %d", r->src->name, c->rg, c->L->name, c->page_no);
    return code;
}

static void cr_release_page(colreader *c) {
    sl_blob_unref(c->page_blob);
    c->page_blob = NULL;
    sl_blob_unref(c->lvl_blob);
    c->lvl_blob = NULL;
    if (c->dlba_live) pq_dlba_free(&c->dlba);
    if (c->dba_live) pq_dba_free(&c->dba);
    c->dlba_live = c->dba_live = false;
    free(c->legacy_lv);
    c->legacy_lv = NULL;
    c->def_legacy = false;
    c->page_left = 0;
}

static void cr_release_chunk(colreader *c) {
    cr_release_page(c);
    sl_blob_unref(c->window);
    c->window = NULL;
    c->win_len = 0;
    sl_blob_unref(c->dict_blob);
    c->dict_blob = NULL;
    sl_blob_unref(c->dict_vals_blob);
    c->dict_vals_blob = NULL;
    c->dict_vals = NULL;
    c->has_dict = false;
    c->dict_n = 0;
}

/* Make [off, off+n) available in the window; returns pointer or NULL (err set). */
static const uint8_t *cr_ensure(pq_reader *r, colreader *c, uint64_t off, size_t n, char *err, size_t errlen) {
    if (c->window && off >= c->win_off && off + n <= c->win_off + c->win_len)
        return c->window->data + (off - c->win_off);
    if (off > c->chunk_end || n > c->chunk_end - off) {
        sl_err_set(err, errlen, SL_ERR_CORRUPT, "needs %zu bytes at offset %llu, past the column chunk end %llu", n,
                   (unsigned long long)off, (unsigned long long)c->chunk_end);
        return NULL;
    }
    size_t want = n < WINDOW_MIN ? WINDOW_MIN : n;
    if (want > c->chunk_end - off) want = (size_t)(c->chunk_end - off);
    if (!c->window || c->window->refs > 1 || c->window->cap < want) {
        sl_blob_unref(c->window);
        c->window = sl_blob_new(want);
        if (!c->window) {
            sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (%zu bytes)", want);
            return NULL;
        }
    }
    if (sl_source_read_at(r->src, off, c->window->data, want, err, errlen) != SL_OK) {
        c->win_len = 0;
        return NULL;
    }
    c->window->size = want;
    c->win_off = off;
    c->win_len = want;
    return c->window->data;
}

/* ------------------------------------------------------------------------ */
/* schema mapping                                                           */

static void map_type(pq_leaf *L) {
    const pq_schema_elem *e = L->elem;
    sl_coltype *t = &L->ctype;
    memset(t, 0, sizeof *t);
    switch (e->type) {
    case PQ_BOOLEAN: t->type = SL_BOOL; break;
    case PQ_INT32: t->type = SL_I32; break;
    case PQ_INT64: t->type = SL_I64; break;
    case PQ_INT96:
        t->type = SL_I64;
        t->logical = SL_LOG_TIMESTAMP;
        t->unit = SL_UNIT_NANOS;
        t->utc = true;
        return;
    case PQ_FLOAT: t->type = SL_F32; break;
    case PQ_DOUBLE: t->type = SL_F64; break;
    case PQ_BYTE_ARRAY: t->type = SL_BYTES; break;
    case PQ_FIXED_LEN_BYTE_ARRAY:
        t->type = SL_BYTES;
        t->fixed_len = e->type_length;
        break;
    }
    const pq_logical *lg = &e->logical;
    switch (lg->kind) {
    case PQ_LT_STRING: t->logical = SL_LOG_STRING; return;
    case PQ_LT_ENUM: t->logical = SL_LOG_ENUM; return;
    case PQ_LT_JSON: t->logical = SL_LOG_JSON; return;
    case PQ_LT_UUID: t->logical = SL_LOG_UUID; return;
    case PQ_LT_FLOAT16: t->logical = SL_LOG_FLOAT16; return;
    case PQ_LT_DATE: t->logical = SL_LOG_DATE; return;
    case PQ_LT_DECIMAL:
        t->logical = SL_LOG_DECIMAL;
        t->precision = lg->precision;
        t->scale = lg->scale;
        return;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        t->logical = lg->kind == PQ_LT_TIME ? SL_LOG_TIME : SL_LOG_TIMESTAMP;
        t->utc = lg->utc;
        t->unit = lg->unit == PQ_UNIT_MILLIS ? SL_UNIT_MILLIS : lg->unit == PQ_UNIT_NANOS ? SL_UNIT_NANOS : SL_UNIT_MICROS;
        return;
    case PQ_LT_INTEGER:
        t->logical = SL_LOG_INT;
        t->bit_width = lg->bit_width;
        t->is_signed = lg->is_signed;
        return;
    default: break;
    }
    switch (e->converted) {
    case PQ_CT_UTF8: t->logical = SL_LOG_STRING; break;
    case PQ_CT_ENUM: t->logical = SL_LOG_ENUM; break;
    case PQ_CT_JSON: t->logical = SL_LOG_JSON; break;
    case PQ_CT_DATE: t->logical = SL_LOG_DATE; break;
    case PQ_CT_DECIMAL:
        t->logical = SL_LOG_DECIMAL;
        t->precision = e->precision;
        t->scale = e->scale;
        break;
    case PQ_CT_TIME_MILLIS: t->logical = SL_LOG_TIME; t->unit = SL_UNIT_MILLIS; t->utc = true; break;
    case PQ_CT_TIME_MICROS: t->logical = SL_LOG_TIME; t->unit = SL_UNIT_MICROS; t->utc = true; break;
    case PQ_CT_TIMESTAMP_MILLIS: t->logical = SL_LOG_TIMESTAMP; t->unit = SL_UNIT_MILLIS; t->utc = true; break;
    case PQ_CT_TIMESTAMP_MICROS: t->logical = SL_LOG_TIMESTAMP; t->unit = SL_UNIT_MICROS; t->utc = true; break;
    case PQ_CT_UINT_8: case PQ_CT_UINT_16: case PQ_CT_UINT_32: case PQ_CT_UINT_64:
        t->logical = SL_LOG_INT;
        t->is_signed = false;
        t->bit_width = e->converted == PQ_CT_UINT_8 ? 8 : e->converted == PQ_CT_UINT_16 ? 16 : e->converted == PQ_CT_UINT_32 ? 32 : 64;
        break;
    case PQ_CT_INT_8: case PQ_CT_INT_16: case PQ_CT_INT_32: case PQ_CT_INT_64:
        t->logical = SL_LOG_INT;
        t->is_signed = true;
        t->bit_width = e->converted == PQ_CT_INT_8 ? 8 : e->converted == PQ_CT_INT_16 ? 16 : e->converted == PQ_CT_INT_32 ? 32 : 64;
        break;
    case PQ_CT_INTERVAL: t->logical = SL_LOG_INTERVAL; break;
    default: break;
    }
}

static bool type_consistent(pq_leaf *L) {
    const pq_schema_elem *e = L->elem;
    const sl_coltype *t = &L->ctype;
    if (e->type == PQ_FIXED_LEN_BYTE_ARRAY && (e->type_length <= 0 || e->type_length > (1 << 24))) {
        snprintf(L->why, sizeof L->why, "FIXED_LEN_BYTE_ARRAY with invalid type_length %d", e->type_length);
        return false;
    }
    if ((int)e->type < PQ_BOOLEAN || (int)e->type > PQ_FIXED_LEN_BYTE_ARRAY) {
        snprintf(L->why, sizeof L->why, "unknown physical type %d", (int)e->type);
        return false;
    }
    if (t->logical == SL_LOG_DECIMAL && (t->scale < 0 || t->precision <= 0 || t->scale > t->precision || t->precision > 76)) {
        snprintf(L->why, sizeof L->why, "DECIMAL with invalid precision %d / scale %d", t->precision, t->scale);
        return false;
    }
    return true;
}

/* Walk the flattened schema tree, naming leaves and computing levels. */
static sl_err build_leaves(pq_reader *r, char *err, size_t errlen) {
    const pq_meta *m = r->meta;
    if (m->n_schema < 1) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema is empty");
    size_t nleaves = 0;
    for (uint32_t i = 1; i < m->n_schema; i++)
        if (m->schema[i].num_children == 0) nleaves++;
    r->leaves = calloc(nleaves ? nleaves : 1, sizeof *r->leaves);
    r->names = calloc(nleaves ? nleaves : 1, sizeof *r->names);
    if (!r->leaves || !r->names) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");

    /* explicit stack of (children remaining, def, rep, name prefix length, nested flag) */
    enum { MAXD = 128 };
    struct frame { int32_t left; int16_t def, rep; size_t plen; bool nested; } st[MAXD];
    int sp = 0;
    char path[4096];
    path[0] = '\0';
    st[0] = (struct frame){m->schema[0].num_children, 0, 0, 0, false};
    if (st[0].left < 0) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema root has negative num_children");
    size_t li = 0;
    uint32_t i = 1;
    while (i < m->n_schema) {
        while (sp >= 0 && st[sp].left == 0) sp--;
        if (sp < 0) break;
        st[sp].left--;
        const pq_schema_elem *e = &m->schema[i];
        int16_t def = st[sp].def, rep = st[sp].rep;
        pq_repetition rp = e->has_repetition ? e->repetition : PQ_REQUIRED;
        if (rp == PQ_OPTIONAL) def++;
        if (rp == PQ_REPEATED) { def++; rep++; }
        size_t plen = st[sp].plen;
        size_t nl = strlen(e->name ? e->name : "");
        if (plen + nl + 2 >= sizeof path) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema path too long");
        if (sp > 0) path[plen++] = '.';
        memcpy(path + plen, e->name ? e->name : "", nl);
        plen += nl;
        path[plen] = '\0';
        bool nested = st[sp].nested || sp > 0 || rp == PQ_REPEATED;
        if (e->num_children < 0) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema element %u has negative num_children", i);
        if (e->num_children > 0) {
            if (sp + 1 >= MAXD) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema nesting deeper than %d", MAXD);
            sp++;
            st[sp] = (struct frame){e->num_children, def, rep, plen, true};
        } else {
            if (li >= nleaves) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema tree inconsistent");
            pq_leaf *L = &r->leaves[li];
            r->names[li] = strdup(path);
            if (!r->names[li]) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            L->name = r->names[li];
            L->schema_index = (int)i;
            L->chunk_index = (int)li;
            L->elem = e;
            L->max_def = def;
            L->max_rep = rep;
            L->nullable = def > 0;
            L->supported = true;
            if (!e->has_type) {
                L->supported = false;
                snprintf(L->why, sizeof L->why, "leaf without a physical type");
            } else if (nested) {
                L->supported = false;
                snprintf(L->why, sizeof L->why, "nested column (%s) is not supported; only flat columns are read",
                         rep > 0 ? "repeated" : "inside a group");
            } else {
                map_type(L);
                if (!type_consistent(L)) L->supported = false;
            }
            li++;
        }
        i++;
    }
    if (li != nleaves || i != m->n_schema)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema tree inconsistent: num_children do not match the element count");
    r->n_leaves = nleaves;
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* open / close                                                             */

pq_reader_opts pq_reader_opts_default(void) {
    pq_reader_opts o;
    memset(&o, 0, sizeof o);
    o.verify_crc = true;
    o.max_page_bytes = PAGE_MAX;
    return o;
}

sl_err pq_reader_open(pq_reader **out, sl_source *src, const pq_reader_opts *opts, char *err, size_t errlen) {
    *out = NULL;
    const char *fn = src->name;
    if (src->size < 12)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: not a Parquet file: only %llu bytes (a Parquet file has at least 12)",
                          fn, (unsigned long long)src->size);
    uint8_t tail[8], head[4];
    sl_err e;
    if ((e = sl_source_read_at(src, src->size - 8, tail, 8, err, errlen)) != SL_OK) return e;
    if ((e = sl_source_read_at(src, 0, head, 4, err, errlen)) != SL_OK) return e;
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: encrypted Parquet footer (PARE) is not supported", fn);
    if (memcmp(tail + 4, "PAR1", 4) != 0)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: not a Parquet file: bad magic at the end (expected PAR1)", fn);
    if (memcmp(head, "PAR1", 4) != 0)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: not a Parquet file: bad magic at the start (expected PAR1)", fn);
    uint32_t flen = le32(tail);
    if ((uint64_t)flen > src->size - 12)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: footer length %u is larger than the file allows (%llu bytes)", fn, flen,
                          (unsigned long long)(src->size - 12));
    uint8_t *fb = malloc(flen ? flen : 1);
    if (!fb) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory for a %u-byte footer", fn, flen);
    uint64_t fstart = src->size - 8 - flen;
    if ((e = sl_source_read_at(src, fstart, fb, flen, err, errlen)) != SL_OK) {
        free(fb);
        return e;
    }
    pq_reader *r = calloc(1, sizeof *r);
    if (!r) {
        free(fb);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    r->src = src;
    r->opts = opts ? *opts : pq_reader_opts_default();
    if (!r->opts.max_page_bytes) r->opts.max_page_bytes = PAGE_MAX;
    r->cur_rg = -1;
    r->footer_start = fstart;
    e = pq_meta_parse(&r->meta, fb, flen, err, errlen);
    free(fb);
    if (e != SL_OK) {
        sl_err_prefix(err, errlen, "%s: footer", fn);
        pq_reader_close(r);
        return e;
    }
    if (r->meta->encrypted) {
        pq_reader_close(r);
        return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: encrypted Parquet file is not supported", fn);
    }
    if ((e = build_leaves(r, err, errlen)) != SL_OK) {
        sl_err_prefix(err, errlen, "%s", fn);
        pq_reader_close(r);
        return e;
    }
    /* check row groups against the schema */
    for (uint32_t g = 0; g < r->meta->n_row_groups; g++) {
        const pq_row_group *rg = &r->meta->row_groups[g];
        if (rg->n_columns != r->n_leaves) {
            pq_reader_close(r);
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: row group %u has %u column chunks but the schema has %zu leaf columns",
                              fn, g, rg->n_columns, r->n_leaves);
        }
        if (rg->num_rows < 0) {
            pq_reader_close(r);
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: row group %u has negative num_rows", fn, g);
        }
    }
    /* default selection: all supported leaves */
    r->sel = calloc(r->n_leaves ? r->n_leaves : 1, sizeof *r->sel);
    r->n_rgs = r->meta->n_row_groups;
    r->rgs = calloc(r->n_rgs ? r->n_rgs : 1, sizeof *r->rgs);
    if (!r->sel || !r->rgs) {
        pq_reader_close(r);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < r->n_leaves; i++)
        if (r->leaves[i].supported) r->sel[r->n_sel++] = (int)i;
    for (size_t i = 0; i < r->n_rgs; i++) r->rgs[i] = (uint32_t)i;
    *out = r;
    return SL_OK;
}

static void free_cols(pq_reader *r) {
    if (!r->cols) return;
    for (size_t i = 0; i < r->n_sel; i++) {
        cr_release_chunk(&r->cols[i]);
        free(r->cols[i].lvl);
        free(r->cols[i].ibuf);
    }
    free(r->cols);
    r->cols = NULL;
}

void pq_reader_close(pq_reader *r) {
    if (!r) return;
    free_cols(r);
    if (r->names)
        for (size_t i = 0; i < r->n_leaves; i++) free(r->names[i]);
    free(r->names);
    free(r->leaves);
    free(r->sel);
    free(r->rgs);
    pq_meta_free(r->meta);
    free(r);
}

const pq_meta *pq_reader_meta(const pq_reader *r) { return r->meta; }
size_t pq_reader_num_leaves(const pq_reader *r) { return r->n_leaves; }
const pq_leaf *pq_reader_leaf(const pq_reader *r, size_t i) { return i < r->n_leaves ? &r->leaves[i] : NULL; }
const pq_reader_stats *pq_reader_get_stats(const pq_reader *r) { return &r->stats; }
size_t pq_reader_num_selected(const pq_reader *r) { return r->n_sel; }
int pq_reader_selected_leaf(const pq_reader *r, size_t i) { return i < r->n_sel ? r->sel[i] : -1; }

int pq_reader_find(const pq_reader *r, const char *name) {
    for (size_t i = 0; i < r->n_leaves; i++)
        if (strcmp(r->leaves[i].name, name) == 0) return (int)i;
    return -1;
}

sl_err pq_reader_select(pq_reader *r, const char *const *names, size_t n, char *err, size_t errlen) {
    if (r->started) return sl_err_set(err, errlen, SL_ERR_ARG, "pq_reader_select after reading started");
    int *sel = calloc(n ? n : 1, sizeof *sel);
    if (!sel) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int li = pq_reader_find(r, names[i]);
        if (li < 0) {
            free(sel);
            return sl_err_set(err, errlen, SL_ERR_NOTFOUND, "%s: no column named '%s'", r->src->name, names[i]);
        }
        if (!r->leaves[li].supported) {
            free(sel);
            return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: column '%s': %s", r->src->name, names[i], r->leaves[li].why);
        }
        sel[i] = li;
    }
    free(r->sel);
    r->sel = sel;
    r->n_sel = n;
    return SL_OK;
}

sl_err pq_reader_select_row_groups(pq_reader *r, const uint32_t *idx, size_t n, char *err, size_t errlen) {
    if (r->started) return sl_err_set(err, errlen, SL_ERR_ARG, "pq_reader_select_row_groups after reading started");
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= r->meta->n_row_groups || (i && idx[i] <= idx[i - 1]))
            return sl_err_set(err, errlen, SL_ERR_ARG, "row group selection must be ascending indices below %u", r->meta->n_row_groups);
    uint32_t *c = calloc(n ? n : 1, sizeof *c);
    if (!c) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    if (n) memcpy(c, idx, n * sizeof *c);
    free(r->rgs);
    r->rgs = c;
    r->n_rgs = n;
    return SL_OK;
}

sl_err pq_reader_init_batch(pq_reader *r, sl_batch *b, char *err, size_t errlen) {
    for (size_t i = 0; i < r->n_sel; i++) {
        const pq_leaf *L = &r->leaves[r->sel[i]];
        sl_err e = sl_batch_add_col(b, L->name, &L->ctype, L->nullable, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* row groups and pages                                                     */

static sl_err open_row_group(pq_reader *r, int g, char *err, size_t errlen) {
    const pq_row_group *rg = &r->meta->row_groups[g];
    for (size_t i = 0; i < r->n_sel; i++) {
        colreader *c = &r->cols[i];
        cr_release_chunk(c);
        c->leaf = r->sel[i];
        c->L = &r->leaves[c->leaf];
        c->rg = g;
        c->page_no = 0;
        c->values_done = 0;
        c->cc = &rg->columns[c->L->chunk_index];
        const pq_column_chunk *cc = c->cc;
        if (cc->file_path)
            return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: row group %d, column '%s': data in an external file ('%s') is not supported",
                              r->src->name, g, c->L->name, cc->file_path);
        if (cc->encrypted)
            return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: row group %d, column '%s': encrypted column is not supported",
                              r->src->name, g, c->L->name);
        if (!cc->has_meta)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: row group %d, column '%s': column chunk has no metadata",
                              r->src->name, g, c->L->name);
        const pq_column_meta *cm = &cc->meta;
        if (cm->type != c->L->elem->type)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: row group %d, column '%s': chunk type %s differs from schema type %s",
                              r->src->name, g, c->L->name, pq_type_name(cm->type), pq_type_name(c->L->elem->type));
        int64_t start = cm->data_page_offset;
        if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 && cm->dictionary_page_offset < start)
            start = cm->dictionary_page_offset;
        if (start < 4 || (uint64_t)start >= r->footer_start || cm->total_compressed_size < 0)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: row group %d, column '%s': chunk offset %lld outside the data area [4, %llu)",
                              r->src->name, g, c->L->name, (long long)start, (unsigned long long)r->footer_start);
        uint64_t end = (uint64_t)start + (uint64_t)cm->total_compressed_size;
        /* Some writers under-report total_compressed_size; never trust it past the footer. */
        if (end > r->footer_start || cm->total_compressed_size == 0) end = r->footer_start;
        c->chunk_start = (uint64_t)start;
        c->chunk_end = end;
        c->pos = c->chunk_start;
        c->values_total = cm->num_values;
        if (cm->num_values < rg->num_rows)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: row group %d, column '%s': chunk has %lld values for %lld rows",
                              r->src->name, g, c->L->name, (long long)cm->num_values, (long long)rg->num_rows);
        if (!pq_codec_supported(cm->codec))
            return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: row group %d, column '%s': codec %s is not supported",
                              r->src->name, g, c->L->name, pq_codec_name(cm->codec));
    }
    r->cur_rg = g;
    r->rg_rows_left = rg->num_rows;
    return SL_OK;
}

/* Decode n PLAIN values of the leaf's type from [p, end) into dst (batch type). */
static sl_err plain_fixed(const pq_leaf *L, const uint8_t *p, const uint8_t *end, size_t n, void *dst, const uint8_t **next,
                          char *err, size_t errlen) {
    size_t avail = (size_t)(end - p);
    switch (L->elem->type) {
    case PQ_INT32:
    case PQ_FLOAT:
        if (avail / 4 < n) goto short_;
        memcpy(dst, p, n * 4);
        *next = p + n * 4;
        return SL_OK;
    case PQ_INT64:
    case PQ_DOUBLE:
        if (avail / 8 < n) goto short_;
        memcpy(dst, p, n * 8);
        *next = p + n * 8;
        return SL_OK;
    case PQ_INT96: {
        if (avail / 12 < n) goto short_;
        int64_t *o = dst;
        for (size_t i = 0; i < n; i++, p += 12) {
            uint64_t nanos;
            memcpy(&nanos, p, 8);
            int32_t jd = (int32_t)le32(p + 8);
            o[i] = (int64_t)((uint64_t)((int64_t)jd - 2440588) * 86400000000000ull + nanos);
        }
        *next = p;
        return SL_OK;
    }
    case PQ_FIXED_LEN_BYTE_ARRAY: {
        size_t w = (size_t)L->elem->type_length;
        if (avail / w < n) goto short_;
        sl_str *o = dst;
        for (size_t i = 0; i < n; i++, p += w) o[i] = (sl_str){(const char *)p, (uint32_t)w};
        *next = p;
        return SL_OK;
    }
    default: break;
    }
    return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "PLAIN fixed decode of %s", pq_type_name(L->elem->type));
short_:
    return sl_err_set(err, errlen, SL_ERR_CORRUPT, "PLAIN values run past the end of the page (%zu values of %s need more than %zu bytes)",
                      n, pq_type_name(L->elem->type), avail);
}

static sl_err read_dictionary(pq_reader *r, colreader *c, const pq_page_header *h, sl_blob *blob, const uint8_t *p,
                              size_t len, char *err, size_t errlen) {
    if (c->has_dict) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "second dictionary page in a column chunk");
    if (h->dict.num_values < 0) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary page with negative num_values");
    if (h->dict.encoding != PQ_ENC_PLAIN && h->dict.encoding != PQ_ENC_PLAIN_DICTIONARY)
        return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "dictionary page encoding %s is not supported",
                          pq_encoding_name(h->dict.encoding));
    size_t n = (size_t)h->dict.num_values;
    const pq_leaf *L = c->L;
    size_t w = sl_type_width(L->ctype.type);
    const uint8_t *end = p + len;
    if (n > len * 8 + 8)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary claims %zu values in %zu bytes", n, len);
    sl_blob *vals = sl_blob_new(n * w + 16);
    if (!vals) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory for a dictionary of %zu values", n);
    sl_err e = SL_OK;
    if (L->elem->type == PQ_BYTE_ARRAY) {
        const uint8_t *q = p;
        int64_t got = pq_plain_bytes_decode(&q, end, (sl_str *)(void *)vals->data, n);
        if (got != (int64_t)n)
            e = sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary page holds fewer than its %zu byte arrays", n);
    } else if (L->elem->type == PQ_BOOLEAN) {
        if ((n + 7) / 8 > len) e = sl_err_set(err, errlen, SL_ERR_CORRUPT, "boolean dictionary too short");
        else pq_unpack_bools(p, 0, vals->data, n);
    } else {
        const uint8_t *q;
        e = plain_fixed(L, p, end, n, vals->data, &q, err, errlen);
    }
    if (e != SL_OK) {
        sl_blob_unref(vals);
        return e;
    }
    c->dict_blob = sl_blob_ref(blob);
    c->dict_vals_blob = vals;
    c->dict_vals = vals->data;
    c->dict_n = (uint32_t)n;
    c->has_dict = true;
    r->stats.dict_pages++;
    return SL_OK;
}

/* Bytes of a page body as a (blob, ptr, len): the window itself when stored
 * uncompressed, else a fresh blob holding the decompressed bytes. */
static sl_err page_bytes(pq_reader *r, colreader *c, const uint8_t *body, size_t clen, size_t ulen, bool compressed,
                         sl_blob **blob, const uint8_t **p, size_t *len, char *err, size_t errlen) {
    pq_codec codec = c->cc->meta.codec;
    if (!compressed || codec == PQ_CODEC_UNCOMPRESSED) {
        *blob = sl_blob_ref(c->window);
        *p = body;
        *len = clen;
        return SL_OK;
    }
    sl_blob *b = sl_blob_new(ulen);
    if (!b) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory for a %zu-byte page", ulen);
    sl_err e = pq_decompress(codec, body, clen, b->data, ulen, err, errlen);
    if (e != SL_OK) {
        sl_blob_unref(b);
        return e;
    }
    /* A window grown for one huge compressed page is not needed once the page
     * is decompressed: drop it rather than hold both. */
    if (c->window && c->window->cap > 4 * (size_t)WINDOW_MIN && body >= c->window->data &&
        body + clen == c->window->data + c->win_len) {
        sl_blob_unref(c->window);
        c->window = NULL;
        c->win_len = 0;
    }
    r->stats.bytes_decompressed += ulen;
    *blob = b;
    *p = b->data;
    *len = ulen;
    return SL_OK;
}

static int bit_width_of(uint32_t v) {
    int w = 0;
    while (v) {
        w++;
        v >>= 1;
    }
    return w;
}

static sl_err init_values(colreader *c, const uint8_t *p, size_t len, pq_encoding enc, char *err, size_t errlen) {
    const pq_leaf *L = c->L;
    pq_type pt = L->elem->type;
    c->enc = enc;
    c->vp = c->vbase = p;
    c->vend = p + len;
    c->bool_bit = 0;
    switch (enc) {
    case PQ_ENC_PLAIN: return SL_OK;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        if (!c->has_dict) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary-encoded page without a dictionary page");
        if (len == 0) {
            pq_rle_init(&c->idx, p, 0, 0);
            return SL_OK;
        }
        if (p[0] > 32) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary index bit width %u > 32", p[0]);
        pq_rle_init(&c->idx, p + 1, len - 1, p[0]);
        return SL_OK;
    case PQ_ENC_RLE:
        if (pt != PQ_BOOLEAN) break;
        if (len < 4) {
            if (len == 0) {
                pq_rle_init(&c->idx, p, 0, 1);
                return SL_OK;
            }
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "RLE boolean page shorter than its length prefix");
        }
        {
            uint32_t n = le32(p);
            if (n > len - 4) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "RLE boolean length %u past the page end", n);
            pq_rle_init(&c->idx, p + 4, n, 1);
        }
        return SL_OK;
    case PQ_ENC_DELTA_BINARY_PACKED:
        if (pt != PQ_INT32 && pt != PQ_INT64) break;
        if (len == 0) {
            memset(&c->delta, 0, sizeof c->delta);
            return SL_OK;
        }
        return pq_delta_init(&c->delta, p, len, err, errlen);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (pt != PQ_BYTE_ARRAY) break;
        if (len == 0) {
            memset(&c->dlba, 0, sizeof c->dlba);
            return SL_OK;
        }
        if (pq_dlba_init(&c->dlba, p, len, (uint64_t)c->page_left, err, errlen) != SL_OK) return SL_ERR_CORRUPT;
        c->dlba_live = true;
        return SL_OK;
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (pt != PQ_BYTE_ARRAY && pt != PQ_FIXED_LEN_BYTE_ARRAY) break;
        if (len == 0) {
            memset(&c->dba, 0, sizeof c->dba);
            return SL_OK;
        }
        if (pq_dba_init(&c->dba, p, len, (uint64_t)c->page_left, err, errlen) != SL_OK) return SL_ERR_CORRUPT;
        c->dba_live = true;
        return SL_OK;
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        size_t w = pt == PQ_FLOAT || pt == PQ_INT32 ? 4 : pt == PQ_DOUBLE || pt == PQ_INT64 ? 8
                   : pt == PQ_FIXED_LEN_BYTE_ARRAY ? (size_t)L->elem->type_length : 0;
        if (!w) break;
        if (len % w) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "BYTE_STREAM_SPLIT data of %zu bytes is not a multiple of %zu", len, w);
        c->bss_total = len / w;
        c->bss_pos = 0;
        return SL_OK;
    }
    default: break;
    }
    return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "encoding %s is not supported for %s", pq_encoding_name(enc), pq_type_name(pt));
}

/* Read the next data page of the chunk (dictionary pages are absorbed). */
static sl_err next_data_page(pq_reader *r, colreader *c, char *err, size_t errlen) {
    cr_release_page(c);
    for (;;) {
        if (c->pos >= c->chunk_end)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "column chunk ended after %lld of %lld values",
                              (long long)c->values_done, (long long)c->values_total);
        uint64_t avail = c->chunk_end - c->pos;
        size_t want = avail < 1024 ? (size_t)avail : 1024;
        pq_page_header h;
        size_t hlen = 0;
        for (;;) {
            const uint8_t *hp = cr_ensure(r, c, c->pos, want, err, errlen);
            if (!hp) return SL_ERR_CORRUPT;
            size_t inwin = (size_t)(c->win_off + c->win_len - c->pos);
            int rc = pq_page_header_parse(&h, hp, inwin, &hlen, err, errlen);
            if (rc == SL_OK) break;
            if (rc == PQ_TRUNCATED) {
                if (inwin >= avail || inwin >= HEADER_MAX)
                    return sl_err_set(err, errlen, SL_ERR_CORRUPT, "page header at offset %llu is truncated (%zu bytes available)",
                                      (unsigned long long)c->pos, inwin);
                want = inwin * 2 > avail ? (size_t)avail : inwin * 2;
                continue;
            }
            sl_err_prefix(err, errlen, "page header at offset %llu", (unsigned long long)c->pos);
            return SL_ERR_CORRUPT;
        }
        if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0 || (size_t)h.compressed_page_size > r->opts.max_page_bytes ||
            (size_t)h.uncompressed_page_size > r->opts.max_page_bytes)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "page at offset %llu has invalid sizes (compressed %d, uncompressed %d)",
                              (unsigned long long)c->pos, h.compressed_page_size, h.uncompressed_page_size);
        size_t clen = (size_t)h.compressed_page_size, ulen = (size_t)h.uncompressed_page_size;
        if (clen > avail - hlen)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "page at offset %llu (%zu bytes) runs past the column chunk end",
                              (unsigned long long)c->pos, clen);
        uint64_t body_off = c->pos + hlen;
        const uint8_t *body = cr_ensure(r, c, body_off, clen, err, errlen);
        if (!body) return SL_ERR_CORRUPT;
        if (h.has_crc && r->opts.verify_crc && (h.type == PQ_PAGE_DATA || h.type == PQ_PAGE_DATA_V2 || h.type == PQ_PAGE_DICTIONARY)) {
            uint32_t crc = (uint32_t)crc32(0L, body, (uInt)clen);
            if (crc != h.crc)
                return sl_err_set(err, errlen, SL_ERR_CHECKSUM, "page CRC mismatch: stored %08x, computed %08x (page at offset %llu)",
                                  h.crc, crc, (unsigned long long)c->pos);
        }
        c->pos = body_off + clen;
        c->page_no++;
        r->stats.pages++;
        sl_err e;
        if (h.type == PQ_PAGE_DICTIONARY) {
            if (!h.has_dict) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary page without its header");
            sl_blob *blob;
            const uint8_t *p;
            size_t len;
            if ((e = page_bytes(r, c, body, clen, ulen, true, &blob, &p, &len, err, errlen)) != SL_OK) return e;
            e = read_dictionary(r, c, &h, blob, p, len, err, errlen);
            sl_blob_unref(blob);
            if (e != SL_OK) return e;
            continue;
        }
        if (h.type == PQ_PAGE_DATA) {
            if (!h.has_data) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "data page without its header");
            if (h.data.num_values < 0) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "data page with negative num_values");
            if (h.data.num_values == 0) continue;
            const uint8_t *p;
            size_t len;
            if ((e = page_bytes(r, c, body, clen, ulen, true, &c->page_blob, &p, &len, err, errlen)) != SL_OK) return e;
            c->has_def = c->L->max_def > 0;
            if (c->has_def) {
                int bw = bit_width_of((uint32_t)c->L->max_def);
                if (h.data.def_encoding == PQ_ENC_RLE) {
                    if (len < 4) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "data page too short for its definition levels");
                    uint32_t n = le32(p);
                    if (n > len - 4) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "definition levels length %u past the page end", n);
                    pq_rle_init(&c->def, p + 4, n, bw);
                    c->def_legacy = false;
                    p += 4 + n;
                    len -= 4 + (size_t)n;
                } else if (h.data.def_encoding == PQ_ENC_BIT_PACKED) {
                    size_t n = ((size_t)h.data.num_values * (size_t)bw + 7) / 8;
                    if (n > len) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "BIT_PACKED definition levels past the page end");
                    c->def_legacy = true;
                    c->legacy_lv = malloc((size_t)h.data.num_values * sizeof *c->legacy_lv);
                    if (!c->legacy_lv) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory for definition levels");
                    if (pq_bitpacked_legacy_decode(p, n, bw, c->legacy_lv, (size_t)h.data.num_values) != h.data.num_values)
                        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "BIT_PACKED definition levels are malformed");
                    c->def_legacy_pos = 0;
                    p += n;
                    len -= n;
                } else {
                    return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "definition level encoding %s",
                                      pq_encoding_name(h.data.def_encoding));
                }
            }
            c->page_left = h.data.num_values;
            return init_values(c, p, len, h.data.encoding, err, errlen);
        }
        if (h.type == PQ_PAGE_DATA_V2) {
            if (!h.has_data_v2) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "data page v2 without its header");
            const pq_data_page_header_v2 *v = &h.data_v2;
            if (v->num_values < 0 || v->def_levels_byte_length < 0 || v->rep_levels_byte_length < 0)
                return sl_err_set(err, errlen, SL_ERR_CORRUPT, "data page v2 with negative counts");
            if (v->num_values == 0) continue;
            size_t rl = (size_t)v->rep_levels_byte_length, dl = (size_t)v->def_levels_byte_length;
            if (rl + dl > clen || rl + dl > ulen)
                return sl_err_set(err, errlen, SL_ERR_CORRUPT, "data page v2 levels (%zu bytes) exceed the page size", rl + dl);
            c->lvl_blob = sl_blob_ref(c->window);
            c->has_def = c->L->max_def > 0;
            if (c->has_def) {
                pq_rle_init(&c->def, body + rl, dl, bit_width_of((uint32_t)c->L->max_def));
                c->def_legacy = false;
            }
            const uint8_t *p;
            size_t len;
            if ((e = page_bytes(r, c, body + rl + dl, clen - rl - dl, ulen - rl - dl, v->is_compressed, &c->page_blob, &p, &len, err,
                                errlen)) != SL_OK)
                return e;
            c->page_left = v->num_values;
            return init_values(c, p, len, v->encoding, err, errlen);
        }
        /* index pages and unknown page types are skipped */
    }
}

static sl_err decode_values(pq_reader *r, colreader *c, sl_batch *b, size_t ci, size_t at, size_t n, char *err, size_t errlen) {
    sl_col *col = &b->cols[ci];
    const pq_leaf *L = c->L;
    size_t w = sl_type_width(col->t.type);
    uint8_t *dst = (uint8_t *)col->data + at * w;
    pq_type pt = L->elem->type;
    if (n == 0) return SL_OK;
    switch (c->enc) {
    case PQ_ENC_PLAIN:
        if (pt == PQ_BOOLEAN) {
            size_t have = (size_t)(c->vend - c->vp) * 8;
            if (c->bool_bit + n > have) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "PLAIN booleans run past the end of the page");
            pq_unpack_bools(c->vp, c->bool_bit, dst, n);
            c->bool_bit += n;
            return SL_OK;
        }
        if (pt == PQ_BYTE_ARRAY) {
            int64_t got = pq_plain_bytes_decode(&c->vp, c->vend, (sl_str *)(void *)dst, n);
            if (got != (int64_t)n) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "PLAIN byte arrays run past the end of the page");
            return sl_batch_retain(b, c->page_blob) == SL_OK ? SL_OK : sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        if (plain_fixed(L, c->vp, c->vend, n, dst, &c->vp, err, errlen) != SL_OK) return SL_ERR_CORRUPT;
        if (pt == PQ_FIXED_LEN_BYTE_ARRAY && sl_batch_retain(b, c->page_blob) != SL_OK)
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        return SL_OK;
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: {
        int64_t got = pq_rle_decode(&c->idx, c->ibuf, n);
        if (got != (int64_t)n)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary indices %s (%lld of %zu values)", got < 0 ? "are malformed" : "end early",
                              (long long)(got < 0 ? 0 : got), n);
        const uint32_t *ix = c->ibuf;
        uint32_t dn = c->dict_n;
        uint32_t bad = 0;
        for (size_t i = 0; i < n; i++) bad |= (uint32_t)(ix[i] >= dn);
        if (bad) {
            for (size_t i = 0; i < n; i++)
                if (ix[i] >= dn)
                    return sl_err_set(err, errlen, SL_ERR_CORRUPT, "dictionary index %u out of range (dictionary has %u values)", ix[i], dn);
        }
        switch (w) {
        case 1: { const uint8_t *d = c->dict_vals; for (size_t i = 0; i < n; i++) dst[i] = d[ix[i]]; break; }
        case 4: { const uint32_t *d = c->dict_vals; uint32_t *o = (uint32_t *)(void *)dst; for (size_t i = 0; i < n; i++) o[i] = d[ix[i]]; break; }
        case 8: { const uint64_t *d = c->dict_vals; uint64_t *o = (uint64_t *)(void *)dst; for (size_t i = 0; i < n; i++) o[i] = d[ix[i]]; break; }
        default: {
            const sl_str *d = c->dict_vals;
            sl_str *o = (sl_str *)(void *)dst;
            for (size_t i = 0; i < n; i++) o[i] = d[ix[i]];
            if (sl_batch_retain(b, c->dict_blob) != SL_OK) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        }
        return SL_OK;
    }
    case PQ_ENC_RLE: {
        int64_t got = pq_rle_decode(&c->idx, c->ibuf, n);
        if (got != (int64_t)n) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "RLE booleans end early or are malformed");
        for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(c->ibuf[i] & 1);
        return SL_OK;
    }
    case PQ_ENC_DELTA_BINARY_PACKED: {
        int64_t got = pt == PQ_INT32 ? pq_delta_decode_i32(&c->delta, (int32_t *)(void *)dst, n)
                                     : pq_delta_decode_i64(&c->delta, (int64_t *)(void *)dst, n);
        if (got != (int64_t)n) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_BINARY_PACKED values end early or are malformed");
        return SL_OK;
    }
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: {
        int64_t got = c->dlba_live ? pq_dlba_decode(&c->dlba, (sl_str *)(void *)dst, n) : 0;
        if (got != (int64_t)n) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_LENGTH_BYTE_ARRAY values end early or are malformed");
        return sl_batch_retain(b, c->page_blob) == SL_OK ? SL_OK : sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    case PQ_ENC_DELTA_BYTE_ARRAY: {
        sl_str *o = (sl_str *)(void *)dst;
        int64_t got = c->dba_live ? pq_dba_decode(&c->dba, o, n, &b->arena) : 0;
        if (got != (int64_t)n) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_BYTE_ARRAY values end early or are malformed");
        if (pt == PQ_FIXED_LEN_BYTE_ARRAY)
            for (size_t i = 0; i < n; i++)
                if (o[i].len != (uint32_t)L->elem->type_length)
                    return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_BYTE_ARRAY value of %u bytes in a FIXED_LEN_BYTE_ARRAY(%d) column",
                                      o[i].len, L->elem->type_length);
        return SL_OK;
    }
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        if (c->bss_pos + n > c->bss_total) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "BYTE_STREAM_SPLIT page holds fewer values than its levels");
        size_t vw = pt == PQ_FIXED_LEN_BYTE_ARRAY ? (size_t)L->elem->type_length : w;
        uint8_t *out = dst;
        if (pt == PQ_FIXED_LEN_BYTE_ARRAY) {
            out = sl_arena_alloc(&b->arena, n * vw);
            if (!out) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        if (pq_bss_decode(c->vbase, (size_t)(c->vend - c->vbase), c->bss_total, (int)vw, c->bss_pos, n, out) != SL_OK)
            return sl_err_set(err, errlen, SL_ERR_CORRUPT, "BYTE_STREAM_SPLIT data is malformed");
        c->bss_pos += n;
        if (pt == PQ_FIXED_LEN_BYTE_ARRAY) {
            sl_str *o = (sl_str *)(void *)dst;
            for (size_t i = 0; i < n; i++) o[i] = (sl_str){(const char *)out + i * vw, (uint32_t)vw};
        }
        return SL_OK;
    }
    default: break;
    }
    (void)r;
    return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "encoding %s", pq_encoding_name(c->enc));
}

/* Spread nn dense values at [at, at+nn) over k slots following the levels. */
#define SPREAD(T)                                   \
    do {                                            \
        T *v_ = (T *)(void *)base;                  \
        size_t j_ = nn;                             \
        for (size_t i_ = k; i_-- > 0;) {            \
            if (lvl[i_] == maxd) v_[i_] = v_[--j_]; \
            else {                                  \
                memset(&v_[i_], 0, sizeof(T));      \
                sl_bit_clear(valid, at + i_);       \
            }                                       \
        }                                           \
    } while (0)
static void spread_nulls(sl_batch *b, size_t ci, size_t at, size_t k, size_t nn, const uint32_t *lvl, uint32_t maxd, uint8_t *valid) {
    sl_col *col = &b->cols[ci];
    uint8_t *base = (uint8_t *)col->data + at * sl_type_width(col->t.type);
    switch (sl_type_width(col->t.type)) {
    case 1: SPREAD(uint8_t); break;
    case 4: SPREAD(uint32_t); break;
    case 8: SPREAD(uint64_t); break;
    default: SPREAD(sl_str); break;
    }
}
#undef SPREAD

/* k NULL rows at [at, at+k). */
static void fill_nulls(sl_batch *b, size_t ci, size_t at, size_t k, uint8_t *valid) {
    sl_col *col = &b->cols[ci];
    size_t w = sl_type_width(col->t.type);
    memset((uint8_t *)col->data + at * w, 0, k * w);
    size_t i = at, end = at + k;
    for (; i < end && (i & 7); i++) sl_bit_clear(valid, i);
    if (end - i >= 8) {
        memset(valid + i / 8, 0, (end - i) / 8);
        i += (end - i) / 8 * 8;
    }
    for (; i < end; i++) sl_bit_clear(valid, i);
}

static sl_err read_column(pq_reader *r, colreader *c, sl_batch *b, size_t ci, size_t n, char *err, size_t errlen) {
    size_t done = 0;
    uint32_t maxd = (uint32_t)c->L->max_def;
    while (done < n) {
        if (c->page_left == 0) {
            sl_err e = next_data_page(r, c, err, errlen);
            if (e != SL_OK) return cr_fail(r, c, err, errlen, e);
        }
        size_t k = n - done;
        if ((int64_t)k > c->page_left) k = (size_t)c->page_left;
        size_t nn = k;
        bool all_null = false;
        if (c->has_def && !c->def_legacy) {
            /* whole RLE runs of levels need no per-value work */
            uint32_t v;
            int64_t run = pq_rle_take_run(&c->def, k, &v);
            if (run < 0) {
                sl_err_set(err, errlen, SL_ERR_CORRUPT, "definition levels are malformed");
                return cr_fail(r, c, err, errlen, SL_ERR_CORRUPT);
            }
            if (run > 0) {
                if (v > maxd) {
                    sl_err_set(err, errlen, SL_ERR_CORRUPT, "definition level %u above the maximum %u", v, maxd);
                    return cr_fail(r, c, err, errlen, SL_ERR_CORRUPT);
                }
                k = (size_t)run;
                nn = v == maxd ? k : 0;
                all_null = nn == 0;
                goto levels_done;
            }
        }
        if (c->has_def) {
            int64_t got;
            if (c->def_legacy) {
                memcpy(c->lvl, c->legacy_lv + c->def_legacy_pos, k * sizeof *c->lvl);
                c->def_legacy_pos += k;
                got = (int64_t)k;
            } else {
                got = pq_rle_decode(&c->def, c->lvl, k);
            }
            if (got != (int64_t)k) {
                sl_err_set(err, errlen, SL_ERR_CORRUPT, "definition levels %s (%lld of %zu)", got < 0 ? "are malformed" : "end early",
                           (long long)(got < 0 ? 0 : got), k);
                return cr_fail(r, c, err, errlen, SL_ERR_CORRUPT);
            }
            nn = 0;
            uint32_t over = 0;
            for (size_t i = 0; i < k; i++) {
                nn += c->lvl[i] == maxd;
                over |= (uint32_t)(c->lvl[i] > maxd);
            }
            if (over) {
                sl_err_set(err, errlen, SL_ERR_CORRUPT, "definition level above the maximum %u", maxd);
                return cr_fail(r, c, err, errlen, SL_ERR_CORRUPT);
            }
        }
    levels_done:;
        size_t at = b->nrows + done;
        sl_err e = decode_values(r, c, b, ci, at, nn, err, errlen);
        if (e != SL_OK) return cr_fail(r, c, err, errlen, e);
        if (nn < k) {
            uint8_t *valid = sl_col_valid_alloc(b, ci);
            if (!valid) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            if (all_null) fill_nulls(b, ci, at, k, valid);
            else spread_nulls(b, ci, at, k, nn, c->lvl, maxd, valid);
            b->cols[ci].null_count += k - nn;
        }
        c->page_left -= (int64_t)k;
        c->values_done += (int64_t)k;
        done += k;
    }
    return SL_OK;
}

long pq_reader_next(pq_reader *r, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    if (b->ncols != r->n_sel)
        return sl_err_set(err, errlen, SL_ERR_ARG, "batch has %zu columns but %zu are selected (use pq_reader_init_batch)", b->ncols, r->n_sel);
    if (max_rows == 0) max_rows = 65536;
    if (!r->started) {
        r->started = true;
        r->cols = calloc(r->n_sel ? r->n_sel : 1, sizeof *r->cols);
        if (!r->cols) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    sl_batch_reset(b);
    while (r->rg_rows_left == 0) {
        if (r->rg_pos >= r->n_rgs) {
            for (size_t i = 0; i < r->n_sel; i++) cr_release_chunk(&r->cols[i]);
            return 0;
        }
        sl_err e = open_row_group(r, (int)r->rgs[r->rg_pos++], err, errlen);
        if (e != SL_OK) return e;
        if (r->n_sel == 0 && r->rg_rows_left > 0) break;
    }
    size_t n = max_rows;
    if ((int64_t)n > r->rg_rows_left) n = (size_t)r->rg_rows_left;
    sl_err e = sl_batch_reserve(b, n, err, errlen);
    if (e != SL_OK) return e;
    for (size_t i = 0; i < r->n_sel; i++) {
        colreader *c = &r->cols[i];
        if (c->scratch_cap < n) {
            free(c->lvl);
            free(c->ibuf);
            c->lvl = malloc(n * sizeof *c->lvl);
            c->ibuf = malloc(n * sizeof *c->ibuf);
            if (!c->lvl || !c->ibuf) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            c->scratch_cap = n;
        }
        if ((e = read_column(r, c, b, i, n, err, errlen)) != SL_OK) return e;
    }
    b->nrows = n;
    r->rg_rows_left -= (int64_t)n;
    r->stats.rows_read += n;
    return (long)n;
}

sl_err pq_stat_decode(const pq_leaf *L, pq_bytes v, pq_scalar *out) {
    memset(out, 0, sizeof *out);
    switch (L->elem->type) {
    case PQ_BOOLEAN:
        if (v.len < 1) return SL_ERR_CORRUPT;
        out->b = v.ptr[0] & 1;
        return SL_OK;
    case PQ_INT32:
    case PQ_FLOAT:
        if (v.len != 4) return SL_ERR_CORRUPT;
        memcpy(&out->i32, v.ptr, 4);
        return SL_OK;
    case PQ_INT64:
    case PQ_DOUBLE:
        if (v.len != 8) return SL_ERR_CORRUPT;
        memcpy(&out->i64, v.ptr, 8);
        return SL_OK;
    case PQ_INT96: {
        if (v.len != 12) return SL_ERR_CORRUPT;
        const uint8_t *q;
        return plain_fixed(L, v.ptr, v.ptr + 12, 1, &out->i64, &q, NULL, 0);
    }
    case PQ_BYTE_ARRAY:
    case PQ_FIXED_LEN_BYTE_ARRAY:
        out->s = (sl_str){(const char *)v.ptr, v.len};
        return SL_OK;
    }
    return SL_ERR_CORRUPT;
}
