/* in_text.c: the CSV and JSON Lines input plugins (replay/input.h).
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
 * _extra (or the schema's rest column): CSV columns / JSON keys that no
 * column takes, as a JSON object: CSV values as JSON strings (empty unquoted
 * field = null), JSON values as written.  CSV: an object on every row when
 * the header has such columns; JSON: only on lines that have such keys.
 * JSON nesting: a schema column whose path has dots ("context.page.url")
 * takes that member of nested objects; the members of a nested object that
 * no column takes stay in the rest object under their parent's key
 * ({"context":{"os":{...}}}); the members of the schema's hoisted objects
 * ("properties", "traits") are lifted to the top of the rest object.  The
 * rest column itself is never read from the input.
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
#include "plugins/plugin.h"
#include "replay/input_plugin.h"
#include "replay/json.h"

typedef enum vkind { V_TXT = 0, V_QTXT, V_NUM, V_BOOL, V_NESTED } vkind;

#define MAX_DEPTH 8 /* nesting of the schema's dotted paths */

/* The schema's JSON paths as a tree: a member name -> a column or deeper members. */
typedef struct pnode {
    const char *key;
    uint32_t klen;
    int col;               /* a leaf: its column; -1: interior */
    struct pnode *kids;    /* interior: children */
    size_t nkids;
} pnode;

typedef struct colset {
    uint64_t w[SC_MAX_COLS / 64];
} colset;
static inline bool cs_has(const colset *c, int col) { return (c->w[col >> 6] >> (col & 63)) & 1; }
static inline void cs_add(colset *c, int col) { c->w[col >> 6] |= (uint64_t)1 << (col & 63); }

typedef struct rp_text {
    int fd;
    size_t mempos;
    rp_tstream s;
    rp_csv csv;
    rp_json js;
    uint64_t line;            /* JSON: physical lines consumed */
    /* CSV header */
    size_t nhdr;
    int *map;                 /* per field: schema column, or -1 - extra index */
    sl_buf *xkey;             /* per extra column: `"name":` */
    size_t nextra;
    colset present;           /* schema columns present in the header */
    colset all;               /* every column an input may fill (the rest column excluded) */
    int xcol;                 /* where unknown fields go: the rest column or _extra */
    /* JSON key prediction: column of the k-th key on the previous line */
    int pred[64];
    /* JSON nesting (only when the schema has dotted paths or hoisted keys) */
    bool nested;
    pnode root;
    rp_json sub[MAX_DEPTH];   /* a parser per nesting level */
    sl_buf lvl[MAX_DEPTH];    /* unknown members per nesting level */
    /* per row */
    sl_buf mal, bts, xbuf, obuf;
    uint64_t cur_line;
    bool bad_row;
} rp_text;

#define TX(in) ((rp_text *)(in)->impl)

extern const in_plugin in_csv, in_jsonl;
#define IS_CSV(in) ((in)->fmt == &in_csv)

static long read_fd(void *ctx, void *buf, size_t n, char *err, size_t errlen) {
    rp_input *in = ctx;
    for (;;) {
        ssize_t r = read(TX(in)->fd, buf, n);
        if (r >= 0) return (long)r;
        if (errno == EINTR) continue;
        return sl_err_set(err, errlen, SL_ERR_IO, "%s: read failed: %s", in->path, strerror(errno));
    }
}

static long read_mem(void *ctx, void *buf, size_t n, char *err, size_t errlen) {
    rp_input *in = ctx;
    size_t k = in->memlen - TX(in)->mempos;
    if (k > n) k = n;
    memcpy(buf, (const char *)in->mem + TX(in)->mempos, k);
    TX(in)->mempos += k;
    return (long)k;
}

static void free_header(rp_text *t) {
    free(t->map);
    t->map = NULL;
    for (size_t i = 0; i < t->nextra; i++) sl_buf_free(&t->xkey[i]);
    free(t->xkey);
    t->xkey = NULL;
    t->nhdr = t->nextra = 0;
    memset(&t->present, 0, sizeof t->present);
}

static sl_err read_header(rp_input *in, char *err, size_t errlen) {
    rp_text *t = TX(in);
    const sc_schema *s = in->schema;
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
        int c = sc_match(s, p, n);
        if (c >= 0 && c != s->rest && !cs_has(&t->present, c)) {
            t->map[k] = c;
            cs_add(&t->present, c);
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
    /* every REQUIRED column (the event time among them) must be in the header:
     * without one, every row would be bad */
    sl_buf miss;
    sl_buf_init(&miss);
    size_t nmiss = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        if (!(s->cols[c].rules & SC_REQUIRED) || cs_has(&t->present, (int)c)) continue;
        if (nmiss++) sl_buf_puts(&miss, ", ");
        sl_buf_puts(&miss, s->cols[c].name);
    }
    if (nmiss) {
        sl_buf h;
        sl_buf_init(&h);
        for (size_t k = 0; k < nf && h.len < 200; k++) {
            if (k) sl_buf_putc(&h, ',');
            sl_buf_put_escaped(&h, t->csv.f[k].p, t->csv.f[k].len > 40 ? 40 : t->csv.f[k].len);
        }
        if (h.len >= 200) sl_buf_puts(&h, "...");
        sl_err e = sl_err_set(err, errlen, SL_ERR_CORRUPT,
                              "%s: the CSV header has no %s column%s (required by schema '%s'), so the file cannot be replayed "
                              "(header: %s)",
                              in->path, sl_buf_cstr(&miss), nmiss > 1 ? "s" : "", s->name, sl_buf_cstr(&h));
        sl_buf_free(&h);
        sl_buf_free(&miss);
        return e;
    }
    sl_buf_free(&miss);
    return SL_OK;
}

static sl_err text_start(rp_input *in, char *err, size_t errlen) {
    rp_text *t = TX(in);
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
    if (IS_CSV(in)) {
        free_header(t);
        return read_header(in, err, errlen);
    }
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* JSON paths                                                               */

static void pnode_free(pnode *n) {
    for (size_t k = 0; k < n->nkids; k++) pnode_free(&n->kids[k]);
    free(n->kids);
    n->kids = NULL;
    n->nkids = 0;
}

static pnode *pnode_kid(pnode *n, const char *key, size_t len) {
    for (size_t k = 0; k < n->nkids; k++)
        if (n->kids[k].klen == len && !memcmp(n->kids[k].key, key, len)) return &n->kids[k];
    return NULL;
}

/* Add column col at path p (dots separate members). */
static sl_err pnode_add(pnode *root, const char *p, int col, const char *path, char *err, size_t errlen) {
    pnode *n = root;
    int depth = 0;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!len || ++depth > MAX_DEPTH)
            return sl_err_set(err, errlen, SL_ERR_ARG, "schema path '%s' is empty or deeper than %d", path, MAX_DEPTH);
        pnode *k = pnode_kid(n, p, len);
        if (!k) {
            pnode *nk = realloc(n->kids, (n->nkids + 1) * sizeof *nk);
            if (!nk) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            n->kids = nk;
            k = &n->kids[n->nkids++];
            memset(k, 0, sizeof *k);
            k->key = p;
            k->klen = (uint32_t)len;
            k->col = -1;
        }
        if (!dot) {
            if (k->col >= 0 || k->nkids)
                return sl_err_set(err, errlen, SL_ERR_ARG, "schema path '%s' is also another column's", path);
            k->col = col;
            return SL_OK;
        }
        if (k->col >= 0) return sl_err_set(err, errlen, SL_ERR_ARG, "schema path '%s' goes through a column", path);
        n = k;
        p = dot + 1;
    }
}

static bool is_hoisted(const sc_schema *s, const char *key, size_t len) {
    for (size_t k = 0; k < 4 && s->def->hoist[k]; k++)
        if (strlen(s->def->hoist[k]) == len && !memcmp(s->def->hoist[k], key, len)) return true;
    return false;
}

static sl_err build_paths(rp_input *in, char *err, size_t errlen) {
    rp_text *t = TX(in);
    const sc_schema *s = in->schema;
    t->nested = s->def->hoist[0] != NULL;
    for (size_t c = 0; c < s->ncols; c++) {
        const char *p = s->cols[c].path ? s->cols[c].path : s->cols[c].name;
        if (strchr(p, '.')) t->nested = true;
    }
    if (!t->nested) return SL_OK;
    for (size_t c = 0; c < s->ncols; c++) {
        if ((int)c == s->rest) continue;
        const char *p = s->cols[c].path ? s->cols[c].path : s->cols[c].name;
        sl_err e = pnode_add(&t->root, p, (int)c, p, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

static sl_err text_open(rp_input *in, char *err, size_t errlen) {
    const sc_schema *s = in->schema;
    rp_text *t = calloc(1, sizeof *t);
    if (!t) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    in->impl = t;
    t->fd = -1;
    rp_json_init(&t->js);
    for (int k = 0; k < MAX_DEPTH; k++) {
        rp_json_init(&t->sub[k]);
        sl_buf_init(&t->lvl[k]);
    }
    sl_buf_init(&t->mal);
    sl_buf_init(&t->bts);
    sl_buf_init(&t->xbuf);
    sl_buf_init(&t->obuf);
    for (int k = 0; k < 64; k++) t->pred[k] = -1;
    for (size_t c = 0; c < s->ncols; c++)
        if ((int)c != s->rest) cs_add(&t->all, (int)c);
    t->xcol = s->rest >= 0 ? s->rest : s->extra;
    if (!IS_CSV(in)) {
        sl_err e = build_paths(in, err, errlen);
        if (e != SL_OK) return e;
    }
    if (!in->mem) {
        t->fd = open(in->path, O_RDONLY | O_CLOEXEC);
        if (t->fd < 0) return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot open: %s", in->path, strerror(errno));
    }
    return text_start(in, err, errlen);
}

static void text_close(rp_input *in) {
    rp_text *t = TX(in);
    if (!t) return;
    pnode_free(&t->root);
    for (int k = 0; k < MAX_DEPTH; k++) {
        rp_json_free(&t->sub[k]);
        sl_buf_free(&t->lvl[k]);
    }
    sl_buf_free(&t->obuf);
    if (t->fd >= 0) close(t->fd);
    rp_csv_free(&t->csv);
    rp_tstream_free(&t->s);
    rp_json_free(&t->js);
    free_header(t);
    sl_buf_free(&t->mal);
    sl_buf_free(&t->bts);
    sl_buf_free(&t->xbuf);
    free(t);
    in->impl = NULL;
}

/* ------------------------------------------------------------------------ */
/* values                                                                   */

static void mal_begin(const sc_schema *s, rp_text *t, int col) {
    if (t->mal.len) sl_buf_puts(&t->mal, "; ");
    sl_buf_printf(&t->mal, "column '%s': ", s->cols[col].name);
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

static void bad_value(const sc_schema *sc, rp_text *t, sl_batch *b, int col, size_t i, const char *s, size_t n, vkind vk,
                      const char *what) {
    rp_set_null(b, col, i);
    rp_kind k = rp_col_kind(sc, col);
    if (k == RP_K_TS && vk != V_NESTED) {
        if (!t->bts.len) {
            sl_buf_printf(&t->bts, "bad_timestamp: line %llu: ", (unsigned long long)t->cur_line);
            rp_msg_value(&t->bts, s, n);
            sl_buf_puts(&t->bts, " is not a timestamp");
        }
        return;
    }
    mal_begin(sc, t, col);
    if (vk == V_NESTED) {
        sl_buf_printf(&t->mal, "%s is not %s", n && s[0] == '[' ? "an array" : "an object", kind_noun(k));
        return;
    }
    rp_msg_value(&t->mal, s, n);
    if (what) sl_buf_printf(&t->mal, " %s", what);
    else sl_buf_printf(&t->mal, " is not %s", kind_noun(k));
}

static inline void put_value(const sc_schema *sc, rp_text *t, sl_batch *b, int col, size_t i, const char *s, size_t n,
                             vkind vk) {
    sl_col *c = &b->cols[col];
    rp_kind k = rp_col_kind(sc, col);
    if (n == 0 && (vk == V_TXT || k != RP_K_STR)) {
        rp_set_null(b, col, i);
        return;
    }
    if (vk == V_NESTED) {
        bad_value(sc, t, b, col, i, s, n, vk, NULL);
        return;
    }
    if (vk == V_BOOL && k != RP_K_FLAG && k != RP_K_STR) {
        bad_value(sc, t, b, col, i, s, n, vk, NULL);
        return;
    }
    switch (k) {
    case RP_K_STR:
        if (!rp_set_str(b, col, i, s, n)) rp_set_null(b, col, i);
        return;
    case RP_K_I64:
        if (!rp_parse_i64(s, n, &((int64_t *)c->data)[i])) bad_value(sc, t, b, col, i, s, n, vk, NULL);
        return;
    case RP_K_F64:
        if (!rp_parse_f64(s, n, &((double *)c->data)[i])) bad_value(sc, t, b, col, i, s, n, vk, NULL);
        return;
    case RP_K_FLAG:
    case RP_K_I32: {
        int32_t *d = &((int32_t *)c->data)[i];
        if (k == RP_K_FLAG ? rp_parse_flag(s, n, d) : rp_parse_i32(s, n, d)) return;
        int64_t v;
        bad_value(sc, t, b, col, i, s, n, vk, rp_parse_i64(s, n, &v) ? "is out of range for INT32" : NULL);
        return;
    }
    case RP_K_TS:
        if (vk == V_NUM || !rp_parse_timestamp(s, n, &((int64_t *)c->data)[i])) bad_value(sc, t, b, col, i, s, n, vk, NULL);
        return;
    }
}

static void row_all_null(const sc_schema *s, sl_batch *b, size_t i) {
    for (int c = 0; c < (int)s->ncols; c++) rp_set_null(b, c, i);
    rp_set_null(b, s->extra, i);
}

/* Write _error of row i from the collected messages; returns true if flagged. */
static bool row_finish(rp_input *in, sl_batch *b, size_t i) {
    rp_text *t = TX(in);
    const int ec = in->schema->error;
    if (!t->mal.len && !t->bts.len) {
        rp_set_null(b, ec, i);
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
    if (o->oom || !rp_set_str(b, ec, i, o->p, o->len)) rp_set_null(b, ec, i);
    return true;
}

static void row_begin(rp_text *t, uint64_t line) {
    t->mal.len = 0;
    t->bts.len = 0;
    t->cur_line = line;
    t->bad_row = false;
}

static void whole_row_bad(const sc_schema *s, rp_text *t, sl_batch *b, size_t i, const char *fmt_detail) {
    row_all_null(s, b, i);
    t->bad_row = true;
    sl_buf_printf(&t->mal, "malformed: line %llu: %s", (unsigned long long)t->cur_line, fmt_detail);
}

/* ------------------------------------------------------------------------ */
/* CSV                                                                      */

static void csv_row(rp_input *in, sl_batch *b, size_t i) {
    rp_text *t = TX(in);
    const sc_schema *s = in->schema;
    rp_csv *c = &t->csv;
    row_begin(t, c->line);
    char tmp[96];
    if (c->status == RP_CSV_TOO_LONG) {
        snprintf(tmp, sizeof tmp, "record longer than %zu bytes", t->s.max_record);
        whole_row_bad(s, t, b, i, tmp);
        return;
    }
    if (c->nf != t->nhdr) {
        snprintf(tmp, sizeof tmp, "expected %zu fields, got %zu", t->nhdr, c->nf);
        whole_row_bad(s, t, b, i, tmp);
        return;
    }
    if (c->status == RP_CSV_UNTERMINATED) {
        whole_row_bad(s, t, b, i, "unterminated quoted field");
        return;
    }
    sl_buf *x = &t->xbuf;
    x->len = 0;
    for (size_t k = 0; k < c->nf; k++) {
        const rp_csv_field *f = &c->f[k];
        int col = t->map[k];
        if (col >= 0) {
            put_value(s, t, b, col, i, f->p, f->len, f->quoted ? V_QTXT : V_TXT);
        } else {
            sl_buf_putc(x, x->len ? ',' : '{');
            const sl_buf *kb = &t->xkey[-1 - col];
            sl_buf_put(x, kb->p, kb->len);
            if (f->len == 0 && !f->quoted) sl_buf_puts(x, "null");
            else sl_fmt_json_str(x, f->p, f->len);
        }
    }
    if (memcmp(&t->present, &t->all, sizeof t->all))
        for (int col = 0; col < (int)s->ncols; col++)
            if (col != t->xcol && !cs_has(&t->present, col)) rp_set_null(b, col, i);
    if (t->xcol != s->extra) rp_set_null(b, s->extra, i);
    if (x->len) {
        sl_buf_putc(x, '}');
        if (x->oom || !rp_set_str(b, t->xcol, i, x->p, x->len)) rp_set_null(b, t->xcol, i);
    } else {
        rp_set_null(b, t->xcol, i);
    }
}

/* ------------------------------------------------------------------------ */
/* JSON Lines                                                               */

static bool blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return false;
    return true;
}

/* Set column col of row i from a JSON member. */
static void json_value(const sc_schema *s, rp_text *t, sl_batch *b, int col, size_t i, const rp_jkv *kv) {
    switch (kv->kind) {
    case RP_J_NULL: rp_set_null(b, col, i); break;
    case RP_J_STR: put_value(s, t, b, col, i, kv->val, kv->vlen, V_QTXT); break;
    case RP_J_NUM: put_value(s, t, b, col, i, kv->val, kv->vlen, V_NUM); break;
    case RP_J_BOOL:
        if (rp_col_kind(s, col) == RP_K_FLAG) ((int32_t *)b->cols[col].data)[i] = kv->b;
        else put_value(s, t, b, col, i, kv->val, kv->vlen, V_BOOL);
        break;
    case RP_J_NESTED: put_value(s, t, b, col, i, kv->raw, kv->rawlen, V_NESTED); break;
    }
}

static void rest_member(sl_buf *x, const char *key, size_t klen, const char *raw, size_t rawlen) {
    sl_buf_putc(x, x->len ? ',' : '{');
    sl_fmt_json_str(x, key, klen);
    sl_buf_putc(x, ':');
    sl_buf_put(x, raw, rawlen);
}

static bool is_object(const rp_jkv *kv) { return kv->kind == RP_J_NESTED && kv->rawlen && kv->raw[0] == '{'; }

/* The members of nested object kv (at depth d) under node n: columns set,
 * the rest collected in t->lvl[d] (without braces' closing).  false: the
 * object did not parse (it was validated, so only out of memory). */
static bool json_nested(rp_input *in, sl_batch *b, size_t i, const pnode *n, const rp_jkv *kv, int d, colset *seen) {
    rp_text *t = TX(in);
    const sc_schema *s = in->schema;
    char why[128];
    sl_buf *x = &t->lvl[d];
    x->len = 0;
    if (d >= MAX_DEPTH || !rp_json_parse_object(&t->sub[d], kv->raw, kv->rawlen, why, sizeof why)) return false;
    const rp_json *js = &t->sub[d];
    for (size_t k = 0; k < js->n; k++) {
        const rp_jkv *m = &js->kv[k];
        const pnode *c = n ? pnode_kid((pnode *)n, m->key, m->klen) : NULL;
        if (c && c->col >= 0 && !cs_has(seen, c->col)) {
            cs_add(seen, c->col);
            json_value(s, t, b, c->col, i, m);
        } else if (c && c->col < 0 && is_object(m) && d + 1 < MAX_DEPTH && json_nested(in, b, i, c, m, d + 1, seen)) {
            if (t->lvl[d + 1].len) {
                sl_buf_putc(&t->lvl[d + 1], '}');
                rest_member(x, m->key, m->klen, t->lvl[d + 1].p, t->lvl[d + 1].len);
            }
        } else {
            rest_member(x, m->key, m->klen, m->raw, m->rawlen);
        }
    }
    return true;
}

static void json_row(rp_input *in, sl_batch *b, size_t i, const char *str, size_t n, bool too_long) {
    rp_text *t = TX(in);
    const sc_schema *s = in->schema;
    row_begin(t, t->line);
    if (too_long) {
        char tmp[96];
        snprintf(tmp, sizeof tmp, "line longer than %zu bytes", t->s.max_record);
        whole_row_bad(s, t, b, i, tmp);
        return;
    }
    char why[128];
    if (!rp_json_parse_object(&t->js, str, n, why, sizeof why)) {
        whole_row_bad(s, t, b, i, why);
        return;
    }
    colset seen;
    memset(&seen, 0, sizeof seen);
    sl_buf *x = &t->xbuf;
    x->len = 0;
    for (size_t k = 0; k < t->js.n; k++) {
        const rp_jkv *kv = &t->js.kv[k];
        if (t->nested) {
            if (is_hoisted(s, kv->key, kv->klen)) {
                /* its members go to the top of the rest object (those a column's path names excepted) */
                const pnode *hn = pnode_kid(&t->root, kv->key, kv->klen);
                if (is_object(kv) && json_nested(in, b, i, hn && hn->col < 0 ? hn : NULL, kv, 0, &seen)) {
                    if (t->lvl[0].len) {
                        sl_buf_putc(x, x->len ? ',' : '{');
                        sl_buf_put(x, t->lvl[0].p + 1, t->lvl[0].len - 1); /* without its '{' */
                    }
                } else if (kv->kind != RP_J_NULL) {
                    rest_member(x, kv->key, kv->klen, kv->raw, kv->rawlen);
                }
                continue;
            }
            const pnode *c = pnode_kid(&t->root, kv->key, kv->klen);
            if (c && c->col < 0) {
                if (is_object(kv) && json_nested(in, b, i, c, kv, 0, &seen)) {
                    if (t->lvl[0].len) {
                        sl_buf_putc(&t->lvl[0], '}');
                        rest_member(x, kv->key, kv->klen, t->lvl[0].p, t->lvl[0].len);
                    }
                } else {
                    rest_member(x, kv->key, kv->klen, kv->raw, kv->rawlen);
                }
                continue;
            }
        }
        int col = k < 64 ? t->pred[k] : -1;
        if (col < 0 || kv->klen != strlen(s->cols[col].name) || memcmp(kv->key, s->cols[col].name, kv->klen) != 0) {
            col = sc_match(s, kv->key, kv->klen);
            if (col == s->rest) col = -1;
            if (k < 64) t->pred[k] = col;
        }
        if (col >= 0 && !cs_has(&seen, col)) {
            cs_add(&seen, col);
            json_value(s, t, b, col, i, kv);
        } else {
            rest_member(x, kv->key, kv->klen, kv->raw, kv->rawlen);
        }
    }
    if (memcmp(&seen, &t->all, sizeof seen))
        for (int col = 0; col < (int)s->ncols; col++)
            if (col != t->xcol && !cs_has(&seen, col)) rp_set_null(b, col, i);
    if (t->xcol != s->extra) rp_set_null(b, s->extra, i);
    if (x->len) {
        sl_buf_putc(x, '}');
        if (x->oom || !rp_set_str(b, t->xcol, i, x->p, x->len)) rp_set_null(b, t->xcol, i);
    } else {
        rp_set_null(b, t->xcol, i);
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

static long text_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    rp_text *t = TX(in);
    sl_err e = rp_batch_begin(b, max_rows, err, errlen);
    if (e != SL_OK) return e;
    size_t i = 0;
    uint64_t flagged = 0;
    while (i < max_rows) {
        if (IS_CSV(in)) {
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

static sl_err text_seek(rp_input *in, uint64_t row, char *err, size_t errlen) {
    rp_text *t = TX(in);
    rp_csv_free(&t->csv);
    rp_tstream_free(&t->s);
    sl_err e = text_start(in, err, errlen);
    if (e != SL_OK) return e;
    for (uint64_t k = 0; k < row; k++) {
        int r;
        if (IS_CSV(in)) {
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

/* ------------------------------------------------------------------------ */
/* the plugins                                                              */

/* A '{' first (after a BOM and blanks): JSON Lines; anything else could be CSV. */
static int jsonl_sniff(const unsigned char *h, size_t n) {
    size_t i = 0;
    if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < n && (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n')) i++;
    return i < n && h[i] == '{' ? 60 : 0;
}
static int csv_sniff(const unsigned char *h, size_t n) { return n ? 10 : 1; }

static const char *const csv_ext[] = {".csv", NULL};
static const char *const jsonl_ext[] = {".jsonl", ".json", ".ndjson", NULL};

const in_plugin in_csv = {
    .name = "csv",
    .help = "CSV (RFC 4180) with a header line naming the columns",
    .extensions = csv_ext,
    .sniff = csv_sniff,
    .open = text_open,
    .close = text_close,
    .next = text_next,
    .seek = text_seek,
};

const in_plugin in_jsonl = {
    .name = "jsonl",
    .help = "JSON Lines: one JSON object per line, nested members by the schema's dotted paths",
    .extensions = jsonl_ext,
    .sniff = jsonl_sniff,
    .open = text_open,
    .close = text_close,
    .next = text_next,
    .seek = text_seek,
};

const pl_module pm_text_in = {.name = "text", .inputs = (const in_plugin *const[]){&in_csv, &in_jsonl, NULL}};
