/* test_engine.c: the generic event-time engine (engine/engine.h) running the
 * redset_metrics transform (plugins/tr_redset_metrics.c) on the Redset schema
 * (schema/redset.c), against hand-computed answers (docs/metrics.md sections
 * 2.3, 3, 4); the schema checks of sc_open; and a second, small schema with
 * a tiny transform defined here, to show that nothing in the engine is
 * Redset-specific.
 *
 * Events are built directly as canonical batches (sc_init_batch) and go
 * through the real cleaning (engine/clean.c).  A capturing sink renders every
 * emitted row as text "v1|v2|..." (sl_fmt_value, text mode; NULL as "null";
 * timestamps ISO-8601; whole doubles without ".0") so expectations read like
 * table rows.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "engine/engine.h"
#include "engine/transform.h"
#include "plugins/plugin.h"
#include "plugins/redset_tables.h"
#include "replay/input.h"
#include "schema/redset.h"
#include "schema/schema.h"
#include "schema/table.h"
#include "t.h"
#include "util/buf.h"
#include "util/opt.h"
#include "util/time.h"

extern const tr_plugin tr_redset_metrics; /* plugins/tr_redset_metrics.c (no header declares it) */

/* ------------------------------------------------------------------ times */

#define MIN_US INT64_C(60000000)
#define HOUR_US INT64_C(3600000000)
static int64_t T0; /* 2024-03-01T00:00:00Z */
static int64_t at(int h, int m) { return T0 + h * HOUR_US + m * MIN_US; }

/* ------------------------------------------------------------------ the Redset schema and tables */

static const sc_schema *S; /* Redset, opened in main */

/* Column indexes of the canonical batch (found by name in main). */
static struct {
    int inst, qid, ts, compile, queue, exec, fp, aborted, cached, qtype, mbs, mbsp, joins, reads;
} K;

/* Columns add() never fills (NULL in every event), besides _error and _extra. */
static const char *const UNFILLED[] = {"cluster_size",
                                       "user_id",
                                       "database_id",
                                       "cache_source_query_id",
                                       "num_permanent_tables_accessed",
                                       "num_external_tables_accessed",
                                       "num_system_tables_accessed",
                                       "write_table_ids",
                                       "num_scans",
                                       "num_aggregations"};
static bool unfilled[SC_MAX_COLS];

/* Indexes of the tables in en_tables() (the transform's, then bad_rows,
 * late_events, events), found by name in main. */
static size_t T_QUERY, T_SPILL, T_CACHE, T_TOP, T_JOINS, T_CORR, T_UTIL, T_BAD, T_LATE, T_EVENTS;
static size_t N_METRIC; /* the transform's tables come first */

static int col(const char *name) {
    int c = sc_find(S, name);
    if (c < 0) {
        fprintf(stderr, "no column %s in the Redset schema\n", name);
        abort();
    }
    return c;
}

/* ------------------------------------------------------------------ events */

typedef struct ev {
    const char *src;
    int inst;
    int64_t qid;
    int64_t ts;
    const char *qtype;
    double compile; /* NAN = NULL */
    int64_t queue, exec;
    int aborted, cached;
    double mbs, mbsp; /* NAN = NULL */
    int64_t joins;
    const char *reads; /* NULL = NULL */
    const char *fp;    /* NULL = NULL */
    int64_t row;       /* _row */
    bool null_qtype;   /* bad row: missing_query_type */
    bool null_qid;     /* bad row: missing_query_id */
} ev;

static void set_valid(sl_batch *b, int c, size_t i, bool valid) {
    sl_col *cl = &b->cols[c];
    if (valid) {
        if (cl->valid) sl_bit_set(cl->valid, i);
        return;
    }
    uint8_t *v = sl_col_valid_alloc(b, (size_t)c);
    /* bits of rows not yet written may be 1 (fresh bitmap): clear only this one */
    sl_bit_clear(v, i);
    cl->null_count++;
}

static void put_str(sl_batch *b, int c, size_t i, const char *s) {
    sl_str *d = (sl_str *)b->cols[c].data + i;
    if (!s) {
        d->ptr = NULL;
        d->len = 0;
        set_valid(b, c, i, false);
        return;
    }
    size_t n = strlen(s);
    d->ptr = n ? sl_arena_dup(&b->arena, s, n) : "";
    d->len = (uint32_t)n;
    set_valid(b, c, i, true);
}

static void new_batch_of(const sc_schema *s, sl_batch *b) {
    char err[SL_ERRLEN];
    sl_batch_init(b);
    if (sc_init_batch(s, b, err, sizeof err) != SL_OK) abort();
    if (sl_batch_reserve(b, 4096, err, sizeof err) != SL_OK) abort();
}
static void new_batch(sl_batch *b) { new_batch_of(S, b); }

static void add(sl_batch *b, const ev *e) {
    size_t i = b->nrows++;
    ((int32_t *)b->cols[K.inst].data)[i] = e->inst;
    set_valid(b, K.inst, i, true);
    for (int c = 0; c < (int)S->nall; c++) {
        /* nullable columns we never fill */
        if (unfilled[c] || c == S->error || c == S->extra) {
            memset((char *)b->cols[c].data + i * sl_type_width(b->cols[c].t.type), 0, sl_type_width(b->cols[c].t.type));
            set_valid(b, c, i, false);
        }
    }
    ((int64_t *)b->cols[K.qid].data)[i] = e->null_qid ? 0 : e->qid;
    set_valid(b, K.qid, i, !e->null_qid);
    ((int64_t *)b->cols[K.ts].data)[i] = e->ts;
    set_valid(b, K.ts, i, true);
    bool cnull = isnan(e->compile);
    ((double *)b->cols[K.compile].data)[i] = cnull ? 0 : e->compile;
    set_valid(b, K.compile, i, !cnull);
    ((int64_t *)b->cols[K.queue].data)[i] = e->queue;
    set_valid(b, K.queue, i, true);
    ((int64_t *)b->cols[K.exec].data)[i] = e->exec;
    set_valid(b, K.exec, i, true);
    put_str(b, K.fp, i, e->fp);
    ((int32_t *)b->cols[K.aborted].data)[i] = e->aborted;
    set_valid(b, K.aborted, i, true);
    ((int32_t *)b->cols[K.cached].data)[i] = e->cached;
    set_valid(b, K.cached, i, true);
    put_str(b, K.qtype, i, e->null_qtype ? NULL : e->qtype ? e->qtype : "select");
    bool snull = isnan(e->mbs), spnull = isnan(e->mbsp);
    ((double *)b->cols[K.mbs].data)[i] = snull ? 0 : e->mbs;
    set_valid(b, K.mbs, i, !snull);
    ((double *)b->cols[K.mbsp].data)[i] = spnull ? 0 : e->mbsp;
    set_valid(b, K.mbsp, i, !spnull);
    ((int64_t *)b->cols[K.joins].data)[i] = e->joins;
    set_valid(b, K.joins, i, true);
    put_str(b, K.reads, i, e->reads);
    put_str(b, S->source, i, e->src ? e->src : "p");
    ((int32_t *)b->cols[S->input].data)[i] = 0;
    ((int64_t *)b->cols[S->row].data)[i] = e->row;
}

/* ------------------------------------------------------------------ capture sink */

typedef struct crow {
    size_t t;
    int64_t hour;
    bool final;
    char *line;
} crow;

typedef struct capture {
    crow *rows;
    size_t n, cap;
    int64_t finals[4096]; /* window_final hours, in call order */
    size_t nfinals;
    int64_t ev_hour[4096]; /* events calls */
    size_t ev_n[4096];
    size_t nev;
    int64_t ev_qid[65536]; /* dedupe column of delivered events (query ids), in call order */
    size_t nqid;
    int rows_after_final; /* metric rows of a window delivered after its window_final */
    int final_empty_calls;
    /* set by open_en / open_small */
    const tb_list *tables;  /* the engine's tables: every batch is checked against its table */
    size_t nmetric;         /* tables before bad_rows: the transforms' */
    int ev_key;             /* column recorded into ev_qid (an INT64 column, or -1) */
    void *tr_opts;          /* the transform's options buffer (freed with the capture) */
} capture;

static sl_err cap_rows(void *ctx, size_t t, int64_t hour, bool final, const sl_batch *b, char *err, size_t errlen) {
    capture *c = ctx;
    if (t < c->nmetric)
        for (size_t k = 0; k < c->nfinals; k++)
            if (c->finals[k] == hour) c->rows_after_final++;
    if (!c->tables || t >= c->tables->n) return sl_err_set(err, errlen, SL_ERR_ARG, "no table %zu", t);
    if (tb_check_batch(c->tables->v[t], b, err, errlen) != SL_OK) return SL_ERR_ARG; /* wrong column count/types */
    sl_buf line;
    sl_buf_init(&line);
    for (size_t i = 0; i < b->nrows; i++) {
        line.len = 0;
        for (size_t cl = 0; cl < b->ncols; cl++) {
            if (cl) sl_buf_putc(&line, '|');
            size_t at0 = line.len;
            sl_fmt_value(&line, &b->cols[cl], i, SL_FMT_TEXT);
            /* whole doubles: "30" rather than "30.0", so expectations read like integers */
            if (b->cols[cl].t.type == SL_F64 && line.len >= at0 + 3 && memcmp(line.p + line.len - 2, ".0", 2) == 0)
                line.len -= 2;
        }
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            c->rows = realloc(c->rows, c->cap * sizeof *c->rows);
        }
        c->rows[c->n++] = (crow){t, hour, final, strdup(sl_buf_cstr(&line))};
    }
    sl_buf_free(&line);
    return SL_OK;
}

static sl_err cap_events(void *ctx, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                         size_t errlen) {
    capture *c = ctx;
    c->ev_hour[c->nev] = hour;
    c->ev_n[c->nev++] = n;
    if (c->ev_key >= 0)
        for (size_t k = 0; k < n; k++) c->ev_qid[c->nqid++] = ((const int64_t *)b->cols[c->ev_key].data)[idx[k]];
    return SL_OK;
}

static sl_err cap_final(void *ctx, int64_t hour, char *err, size_t errlen) {
    capture *c = ctx;
    c->finals[c->nfinals++] = hour;
    return SL_OK;
}

static capture *cap_new(void) { return calloc(1, sizeof(capture)); }
static void cap_free(capture *c) {
    for (size_t i = 0; i < c->n; i++) free(c->rows[i].line);
    free(c->rows);
    free(c->tr_opts);
    free(c);
}
static en_sink cap_sink(capture *c) { return (en_sink){c, cap_rows, cap_events, cap_final, NULL, NULL}; }

/* Number of captured rows of table t (final or provisional). */
static size_t cap_count(const capture *c, size_t t, bool final) {
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) n += c->rows[i].t == t && c->rows[i].final == final;
    return n;
}
/* The k-th captured line of table t (final or provisional), or "". */
static const char *cap_line(const capture *c, size_t t, bool final, size_t k) {
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].t == t && c->rows[i].final == final && k-- == 0) return c->rows[i].line;
    return "";
}
/* Field f (0-based) of a line as a double (NAN when "null" or absent). */
static double field(const char *line, int f) {
    for (; f > 0 && line; f--) {
        line = strchr(line, '|');
        if (line) line++;
    }
    if (!line || strncmp(line, "null", 4) == 0) return NAN;
    return strtod(line, NULL);
}
static bool near(double a, double b) { return fabs(a - b) <= 1e-12 * (fabs(b) > 1 ? fabs(b) : 1); }
#define CHECK_NEAR(a, b)                                                                                        \
    do {                                                                                                        \
        double n_a = (a), n_b = (b);                                                                            \
        if (!near(n_a, n_b)) {                                                                                  \
            fprintf(stderr, "  %s:%d: %s == %.17g, expected %.17g\n", __FILE__, __LINE__, #a, n_a, n_b);       \
            t_cur_failed = 1;                                                                                   \
        }                                                                                                       \
    } while (0)

#define CHECK_PREFIX(s, pre)                                                                          \
    do {                                                                                              \
        const char *p_s = (s), *p_p = (pre);                                                          \
        if (strncmp(p_s, p_p, strlen(p_p)) != 0) {                                                    \
            fprintf(stderr, "  %s:%d: \"%s\" does not start with \"%s\"\n", __FILE__, __LINE__, p_s, p_p); \
            t_cur_failed = 1;                                                                         \
        }                                                                                             \
    } while (0)

/* The redset_metrics options: the defaults, then set[0..] = name, value
 * pairs (NULL-terminated), into a buffer the capture owns. */
static void *rm_options(capture *c, const char *const *set) {
    char err[SL_ERRLEN];
    void *o = calloc(1, tr_redset_metrics.opts_size);
    if (!o || sl_opt_defaults(tr_redset_metrics.opts, o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "redset_metrics defaults: %s\n", err);
        abort();
    }
    for (size_t k = 0; set && set[k]; k += 2) {
        const sl_opt *op = sl_opt_find(tr_redset_metrics.opts, set[k]);
        if (!op || sl_opt_set(op, o, set[k + 1], err, sizeof err) != SL_OK) {
            fprintf(stderr, "redset_metrics option %s: %s\n", set[k], op ? err : "unknown");
            abort();
        }
    }
    free(c->tr_opts);
    c->tr_opts = o;
    return o;
}

/* An engine over the Redset schema with the redset_metrics transform:
 * engine options o (NULL: the defaults), transform options set (see
 * rm_options; NULL: the defaults). */
static en *open_en(capture *c, const en_opts *o, const char *const *set) {
    char err[SL_ERRLEN];
    en *e = NULL;
    en_sink s = cap_sink(c);
    en_transform tr = {&tr_redset_metrics, rm_options(c, set)};
    if (en_open(&e, S, o, &tr, 1, &s, err, sizeof err) != SL_OK) {
        fprintf(stderr, "en_open: %s\n", err);
        abort();
    }
    c->tables = en_tables(e);
    c->nmetric = en_table_bad_rows(e);
    c->ev_key = K.qid;
    return e;
}

static void check_identity(const en *p) {
    const en_stats *s = en_get_stats(p);
    CHECK_EQ_I64(s->clean.rows, s->accepted + s->bad + s->duplicates + s->late);
}

/* Process the batch (and free it). */
static void feed_batch(en *p, sl_batch *b) {
    char err[SL_ERRLEN];
    sl_err r = en_process(p, b, err, sizeof err);
    if (r != SL_OK) fprintf(stderr, "  en_process: %s\n", err);
    CHECK(r == SL_OK);
    check_identity(p);
    sl_batch_free(b);
}

/* Process the events e[0..n) as one batch. */
static void feed(en *p, const ev *e, size_t n) {
    sl_batch b;
    new_batch(&b);
    for (size_t i = 0; i < n; i++) add(&b, &e[i]);
    feed_batch(p, &b);
}
static void finish(en *p) {
    char err[SL_ERRLEN];
    sl_err r = en_finish(p, err, sizeof err);
    if (r != SL_OK) fprintf(stderr, "  en_finish: %s\n", err);
    CHECK(r == SL_OK);
    check_identity(p);
}

#define H10 "2024-03-01T10:00:00.000000Z"
#define H11 "2024-03-01T11:00:00.000000Z"
#define H12 "2024-03-01T12:00:00.000000Z"
#define N NAN

/* ------------------------------------------------------------------ tests */

/* One hour, two sources, every metric table by hand. */
static void test_all_tables(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev e[] = {
        /* src inst qid ts       qtype     compile queue exec ab ca  mbs  mbsp joins reads fp */
        {"p", 1, 1, at(10, 0), "select", 10, 5, 100, 0, 0, 1.5, 0, 2, "5,7", NULL, 0, false, false},
        {"p", 1, 2, at(10, 10), "select", 20, 0, 200, 1, 0, 2.5, 3.0, 2, "7", NULL, 1, false, false},
        {"p", 1, 3, at(10, 20), "  INSERT ", N, 1, 10, 0, 0, N, 0.5, 0, NULL, NULL, 2, false, false},
        {"p", 2, 1, at(10, 30), "other", N, 0, 0, 0, 1, N, N, 0, NULL, NULL, 3, false, false},
        {"s", 1, 1, at(10, 40), "select", 30, 0, 0, 0, 0, 0, 1.0, 4, "", NULL, 4, false, false},
    };
    feed(p, e, 5);
    CHECK_EQ_I64(en_get_stats(p)->open_windows, 1);
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 0); /* nothing final yet */
    finish(p);
    CHECK_EQ_I64(en_get_stats(p)->accepted, 5);
    CHECK_EQ_I64(en_get_stats(p)->open_windows, 0);
    CHECK_EQ_I64(en_get_stats(p)->windows_final, 1);
    CHECK_EQ_I64(c->nfinals, 1);
    CHECK_EQ_I64(c->finals[0], at(10, 0));
    CHECK_EQ_I64(c->rows_after_final, 0);

    /* query_hourly: key order (source, instance, query_type); INSERT trimmed + lower-cased.
     * p|1|select = e1+e2: queries 2, aborted 1, cached 0, spilled 1 (e2), compile 30, queue 5, exec 300,
     * scanned 4, spilled 3. */
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 4);
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 0), H10 "|p|1|insert|1|0|0|1|0|1|10|0|0.5");
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 1), H10 "|p|1|select|2|1|0|1|30|5|300|4|3");
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 2), H10 "|p|2|other|1|0|1|0|0|0|0|0|0");
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 3), H10 "|s|1|select|1|0|0|1|30|0|0|0|1");
    /* spill_hourly by query_type: insert 1/0.5/1, other 0/0/1, select: spilled e2+e5 = 2, 3+1 = 4, 3 queries */
    CHECK_EQ_I64(cap_count(c, T_SPILL, true), 3);
    CHECK_EQ_STR(cap_line(c, T_SPILL, true, 0), H10 "|insert|1|0.5|1");
    CHECK_EQ_STR(cap_line(c, T_SPILL, true, 1), H10 "|other|0|0|1");
    CHECK_EQ_STR(cap_line(c, T_SPILL, true, 2), H10 "|select|2|4|3");
    /* cache_hourly: p|1 0 of 3, p|2 1 of 1, s|1 0 of 1 */
    CHECK_EQ_I64(cap_count(c, T_CACHE, true), 3);
    CHECK_EQ_STR(cap_line(c, T_CACHE, true, 0), H10 "|p|1|0|3|0");
    CHECK_EQ_STR(cap_line(c, T_CACHE, true, 1), H10 "|p|2|1|1|1");
    CHECK_EQ_STR(cap_line(c, T_CACHE, true, 2), H10 "|s|1|0|1|0");
    /* top tables: p|1 reads {5,7} and {7}: 7 -> 2, 5 -> 1; s|1 read "" (empty set): no rows */
    CHECK_EQ_I64(cap_count(c, T_TOP, true), 2);
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 0), H10 "|p|1|1|7|2");
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 1), H10 "|p|1|2|5|1");
    /* compile_joins: selects not cached: e1 (2 joins, 10), e2 (2, 20), e5 (4, 30) */
    CHECK_EQ_I64(cap_count(c, T_JOINS, true), 2);
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 0), H10 "|2|2|30|20");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 1), H10 "|4-5|1|30|30");
    /* corr of x = (2,2,4), y = (10,20,30): mean (8/3, 20), Sxy = 20, Sxx = 8/3, Syy = 200
     * -> 20 / sqrt(1600/3) = sqrt(3)/2 */
    CHECK_EQ_I64(cap_count(c, T_CORR, true), 1);
    const char *cl = cap_line(c, T_CORR, true, 0);
    CHECK_PREFIX(cl, H10 "|3|");
    CHECK_NEAR(field(cl, 2), sqrt(3.0) / 2);
    /* utilization.
     * p|1: busy e1 100 ms (start 10:00 + 5 + 10 ms), e2 200, e3 10 -> 310 ms; conc 310/3.6e6;
     *      q = 6 / (6 + 30 + 310), c = 30 / 346, s = 2/3 (e2, e3 spilled), p = conc / 5;
     *      composite = mean < 0.5 -> 0; no fingerprints -> slowdown NULL, fp_groups 0.
     * p|2: cached, exec 0: busy 0, q = c = 0 (denominator 0), s = 0, p = 0, composite 0.
     * s|1: busy 0, q = 0/30, c = 30/30 = 1, s = 1/1, p = 0: composite = 0.5 >= 0.5 -> 1. */
    CHECK_EQ_I64(cap_count(c, T_UTIL, true), 3);
    const char *u = cap_line(c, T_UTIL, true, 0);
    CHECK_PREFIX(u, H10 "|p|1|310|");
    double conc = 310 / 3.6e6;
    CHECK_NEAR(field(u, 4), conc);
    CHECK_NEAR(field(u, 5), 6.0 / 346);
    CHECK_NEAR(field(u, 6), 30.0 / 346);
    CHECK_NEAR(field(u, 7), 2.0 / 3);
    CHECK_NEAR(field(u, 8), conc / 5);
    CHECK_NEAR(field(u, 9), (6.0 / 346 + 2.0 / 3 + conc / 5 + 30.0 / 346) / 4);
    CHECK_EQ_I64(field(u, 10), 0);
    CHECK(isnan(field(u, 11)));
    CHECK_EQ_I64(field(u, 12), 0);
    CHECK_EQ_STR(cap_line(c, T_UTIL, true, 1), H10 "|p|2|0|0|0|0|0|0|0|0|null|0");
    CHECK_EQ_STR(cap_line(c, T_UTIL, true, 2), H10 "|s|1|0|0|0|1|1|0|0.5|1|null|0");
    /* accepted events delivered once, for hour 10, in input order */
    CHECK_EQ_I64(c->nev, 1);
    CHECK_EQ_I64(c->ev_hour[0], at(10, 0));
    CHECK_EQ_I64(c->ev_n[0], 5);
    en_close(p);
    cap_free(c);
}

/* W = max accepted arrival - 10 min; hour H is final once W >= H + 1h. */
static void test_watermark_and_late(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev a = {"p", 1, 1, at(10, 5), "select", 1, 0, 1, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    feed(p, &a, 1);
    CHECK_EQ_I64(en_get_stats(p)->watermark_us, at(9, 55));
    CHECK_EQ_I64(en_get_stats(p)->max_event_us, at(10, 5));
    ev b = a;
    b.qid = 2;
    b.ts = at(11, 10) - 1; /* W = 10:59:59.999999: hour 10 still open */
    feed(p, &b, 1);
    CHECK_EQ_I64(en_get_stats(p)->open_windows, 2);
    CHECK_EQ_I64(en_get_stats(p)->windows_final, 0);
    CHECK_EQ_I64(c->nfinals, 0);
    /* an event at 10:50 is below W but its window is open: accepted */
    ev b2 = a;
    b2.qid = 3;
    b2.ts = at(10, 50);
    feed(p, &b2, 1);
    CHECK_EQ_I64(en_get_stats(p)->accepted, 3);
    CHECK_EQ_I64(en_get_stats(p)->late, 0);
    ev d = a;
    d.qid = 4;
    d.ts = at(11, 10); /* W = 11:00 -> hour 10 final */
    feed(p, &d, 1);
    CHECK_EQ_I64(en_get_stats(p)->watermark_us, at(11, 0));
    CHECK_EQ_I64(c->nfinals, 1);
    CHECK_EQ_I64(c->finals[0], at(10, 0));
    CHECK_EQ_I64(en_get_stats(p)->windows_final, 1);
    CHECK_EQ_I64(en_get_stats(p)->open_windows, 1);
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 1);
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 0), H10 "|p|1|select|2|0|0|0|2|0|2|0|0");
    /* late: an event of the final hour 10, and one of hour 9 that never held an event;
     * a smaller arrival does not move W back; 11:59 is still accepted */
    ev l[3] = {a, a, a};
    l[0].qid = 5, l[0].ts = at(10, 59), l[0].row = 7;
    l[1].qid = 6, l[1].ts = at(9, 0), l[1].row = 3;
    l[2].qid = 7, l[2].ts = at(11, 59), l[2].row = 9;
    feed(p, l, 3);
    CHECK_EQ_I64(en_get_stats(p)->late, 2);
    CHECK_EQ_I64(en_get_stats(p)->accepted, 5);
    CHECK_EQ_I64(en_get_stats(p)->watermark_us, at(11, 49));
    CHECK_EQ_I64(cap_count(c, T_LATE, true), 2);
    /* sorted by (source, _input, _row): row 3 first */
    const char *l0 = cap_line(c, T_LATE, true, 0);
    const char *l1 = cap_line(c, T_LATE, true, 1);
    CHECK_PREFIX(l0, "2024-03-01T09:00:00.000000Z|p|0|3|2024-03-01T09:00:00.000000Z|1|6|2024-03-01T11:00:00.000000Z|{");
    CHECK_PREFIX(l1, H10 "|p|0|7|2024-03-01T10:59:00.000000Z|1|5|2024-03-01T11:00:00.000000Z|{");
    CHECK(strstr(l1, "\"query_id\":5") != NULL);
    CHECK(strstr(l1, "\"arrival_timestamp\":\"2024-03-01T10:59:00.000000Z\"") != NULL);
    CHECK(strstr(l1, "\"query_type\":\"select\"") != NULL);
    CHECK(strstr(l1, "\"feature_fingerprint\":null") != NULL);
    /* the late event was not applied: hour 10 was emitted once, with 2 queries */
    finish(p);
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 2);
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 1), H11 "|p|1|select|3|0|0|0|3|0|3|0|0");
    CHECK_EQ_I64(c->nfinals, 2);
    CHECK_EQ_I64(c->rows_after_final, 0);
    CHECK_EQ_I64(en_get_stats(p)->open_windows, 0);
    /* accepted events were delivered (late ones not): qids 1,2,3,4,7 */
    CHECK_EQ_I64(c->nqid, 5);
    CHECK_EQ_I64(c->ev_qid[4], 7);
    en_close(p);
    cap_free(c);
}

/* Duplicates: same (source, instance, query) in the same hour; not across hours or sources. */
static void test_duplicates(void) {
    capture *c = cap_new();
    en_opts o;
    en_opts_default(&o, S);
    o.lateness_us = 3 * HOUR_US;
    en *p = open_en(c, &o, NULL);
    ev base = {"p", 1, 7, at(10, 1), "select", 0, 0, 100, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[5] = {base, base, base, base, base};
    e[1].ts = at(10, 2), e[1].exec = 999;      /* same hour: duplicate, first copy (exec 100) wins */
    e[2].ts = at(11, 1), e[2].exec = 50;       /* other hour: accepted */
    e[3].src = "q", e[3].exec = 7;             /* other source: accepted */
    e[4].inst = 2, e[4].exec = 8;              /* other instance: accepted */
    feed(p, e, 5);
    CHECK_EQ_I64(en_get_stats(p)->duplicates, 1);
    CHECK_EQ_I64(en_get_stats(p)->accepted, 4);
    ev again = base; /* a later batch: still a duplicate while hour 10 is open */
    again.ts = at(10, 59);
    feed(p, &again, 1);
    CHECK_EQ_I64(en_get_stats(p)->duplicates, 2);
    finish(p);
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 4);
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 0), H10 "|p|1|select|1|0|0|0|0|0|100|0|0");
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 1), H10 "|p|2|select|1|0|0|0|0|0|8|0|0");
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 2), H10 "|q|1|select|1|0|0|0|0|0|7|0|0");
    CHECK_EQ_STR(cap_line(c, T_QUERY, true, 3), H11 "|p|1|select|1|0|0|0|0|0|50|0|0");
    en_close(p);
    cap_free(c);
}

/* Busy time of a long query spills into later hours (microsecond precision). */
static void test_busy_spillover(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev e[2] = {
        /* 10:30 + 0 + 0, exec 2 h: 30 min in 10, 60 in 11, 30 in 12 */
        {"p", 1, 1, at(10, 30), "select", N, 0, 7200000, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false},
        /* 10:59:59.999400 + compile 0.1006 ms (rounds to 101 us): start 10:59:59.999501, 1 ms:
         * 0.499 ms in 10 and 0.501 ms in 11 */
        {"p", 2, 1, at(11, 0) - 600, "select", 0.1006, 0, 1, 0, 0, 0, 0, 0, NULL, NULL, 1, false, false},
    };
    feed(p, e, 2);
    /* the future hours exist as open windows */
    CHECK_EQ_I64(en_get_stats(p)->open_windows, 3);
    char err[SL_ERRLEN];
    CHECK(en_refresh(p, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(cap_count(c, T_UTIL, false), 5);
    CHECK_EQ_I64(cap_count(c, T_UTIL, true), 0);
    finish(p);
    CHECK_EQ_I64(c->nfinals, 3);
    CHECK_EQ_I64(c->finals[2], at(12, 0));
    /* hour 10: p|1 busy 1,800,000 ms, conc 0.5, q = c = 0 (sums 0/7.2e6), s = 0, p = 0.1 -> 0.025
     *          p|2 busy 0.499 ms, q = 0, c = 0.1006 / 1.1006, s = 0, p = 0.499/3.6e6/5 */
    CHECK_EQ_I64(cap_count(c, T_UTIL, true), 5);
    CHECK_EQ_STR(cap_line(c, T_UTIL, true, 0), H10 "|p|1|1800000|0.5|0|0|0|0.1|0.025|0|null|0");
    const char *u = cap_line(c, T_UTIL, true, 1);
    CHECK_PREFIX(u, H10 "|p|2|0.499|");
    CHECK_NEAR(field(u, 6), 0.1006 / 1.1006);
    CHECK_NEAR(field(u, 8), 0.499 / 3.6e6 / 5);
    /* hour 11 (no arrivals): p|1 a full hour: conc 1, p = 0.2, composite 0.05; p|2 0.501 ms */
    CHECK_EQ_STR(cap_line(c, T_UTIL, true, 2), H11 "|p|1|3600000|1|0|0|0|0.2|0.05|0|null|0");
    u = cap_line(c, T_UTIL, true, 3);
    CHECK_PREFIX(u, H11 "|p|2|0.501|");
    CHECK_NEAR(field(u, 8), 0.501 / 3.6e6 / 5);
    /* hour 12: a row from spill-over alone */
    CHECK_EQ_STR(cap_line(c, T_UTIL, true, 4), H12 "|p|1|1800000|0.5|0|0|0|0.1|0.025|0|null|0");
    /* no arrivals in 11 and 12: no rows in the arrival tables */
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 2);
    CHECK_EQ_I64(cap_count(c, T_CACHE, true), 2);
    en_close(p);
    cap_free(c);
}

/* top-k: reads desc, then table_id asc; k rows at most; instances without reads get none. */
static void test_top_k_ties(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, (const char *const[]){"k", "3", NULL});
    ev b = {"p", 1, 0, at(10, 0), "select", 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[7] = {b, b, b, b, b, b, b};
    e[0].qid = 1, e[0].reads = "40,10,20,30";
    e[1].qid = 2, e[1].reads = "20, 30";
    e[2].qid = 3, e[2].reads = "030,10,abc"; /* 030 = 30; abc ignored */
    e[3].qid = 4, e[3].reads = "40";
    e[4].qid = 5, e[4].reads = "50,50,50"; /* a set: 50 read once */
    e[5].qid = 6, e[5].inst = 2, e[5].reads = "9";
    e[6].qid = 7, e[6].inst = 3; /* no reads */
    feed(p, e, 7);
    finish(p);
    /* inst 1: 30 -> 3, 10 -> 2, 20 -> 2, 40 -> 2, 50 -> 1: ranks 30, 10, 20 (40 loses the tie) */
    CHECK_EQ_I64(cap_count(c, T_TOP, true), 4);
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 0), H10 "|p|1|1|30|3");
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 1), H10 "|p|1|2|10|2");
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 2), H10 "|p|1|3|20|2");
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 3), H10 "|p|2|1|9|1");
    CHECK_EQ_I64(en_get_stats(p)->clean.bad_id_tokens, 1);
    en_close(p);
    cap_free(c);
}

/* A larger top-k selection (exercises the partial sort) against a full sort. */
static void test_top_k_many(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, (const char *const[]){"k", "5", NULL});
    /* 60 events; event j reads the ids {j % 7, 100 + j % 13, 200 + j % 4}: reads per id
     * id r (r < 7): 9 if r < 4 (60 = 8*7 + 4) else 8; 100 + r: 5 if r < 8 else 4; 200 + r: 15. */
    static ev e[60];
    static char txt[60][32];
    for (int j = 0; j < 60; j++) {
        snprintf(txt[j], sizeof txt[j], "%d,%d,%d", j % 7, 100 + j % 13, 200 + j % 4);
        e[j] = (ev){"p", 1, j, at(10, j % 60), "select", 0, 0, 0, 0, 0, 0, 0, 0, txt[j], NULL, j, false, false};
    }
    feed(p, e, 60);
    finish(p);
    CHECK_EQ_I64(cap_count(c, T_TOP, true), 5);
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 0), H10 "|p|1|1|200|15");
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 3), H10 "|p|1|4|203|15");
    CHECK_EQ_STR(cap_line(c, T_TOP, true, 4), H10 "|p|1|5|0|9");
    en_close(p);
    cap_free(c);
}

/* compile_corr NULL cases and the joins buckets in key (text) order. */
static void test_corr_and_joins(void) {
    capture *c = cap_new();
    en_opts o;
    en_opts_default(&o, S);
    o.lateness_us = 10 * HOUR_US;
    en *p = open_en(c, &o, NULL);
    ev b = {"p", 1, 0, 0, "select", 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[12];
    for (int i = 0; i < 12; i++) e[i] = b, e[i].qid = i;
    e[0].ts = at(10, 0), e[0].joins = 3, e[0].compile = 5;                   /* hour 10: n = 1 -> NULL */
    e[1].ts = at(11, 0), e[1].joins = 2, e[1].compile = 5;                   /* hour 11: all x = 2 -> NULL */
    e[2].ts = at(11, 1), e[2].joins = 2, e[2].compile = 9;
    e[3].ts = at(12, 0), e[3].joins = 0, e[3].compile = 4;                   /* hour 12: all y = 4 -> NULL */
    e[4].ts = at(12, 1), e[4].joins = 12, e[4].compile = 4;
    e[5].ts = at(12, 2), e[5].joins = 7, e[5].compile = 4;
    e[6].ts = at(13, 0), e[6].joins = 1, e[6].compile = 10;                  /* hour 13: (1,10), (3,30): 1 */
    e[7].ts = at(13, 1), e[7].joins = 3, e[7].compile = 30;
    e[8].ts = at(13, 2), e[8].joins = 100, e[8].compile = 1, e[8].qtype = "insert"; /* excluded */
    e[9].ts = at(13, 3), e[9].joins = 50, e[9].compile = 2, e[9].cached = 1;      /* excluded */
    e[10].ts = at(13, 4), e[10].joins = 5, e[10].compile = 20, e[10].aborted = 1; /* aborted: included */
    e[11].ts = at(14, 0), e[11].qtype = "insert";                                /* hour 14: no row */
    feed(p, e, 12);
    finish(p);
    CHECK_EQ_I64(cap_count(c, T_CORR, true), 4);
    CHECK_EQ_STR(cap_line(c, T_CORR, true, 0), H10 "|1|null");
    CHECK_EQ_STR(cap_line(c, T_CORR, true, 1), H11 "|2|null");
    CHECK_EQ_STR(cap_line(c, T_CORR, true, 2), H12 "|3|null");
    /* hour 13: x = (1,3,5), y = (10,30,20): mean (3, 20); Sxy = (-2)(-10) + 0 + 2*0 = 20, Sxx = 8,
     * Syy = 100 + 0 + 0 = 200 -> 20 / 40 = 0.5 */
    const char *l = cap_line(c, T_CORR, true, 3);
    CHECK_PREFIX(l, "2024-03-01T13:00:00.000000Z|3|");
    CHECK_NEAR(field(l, 2), 0.5);
    /* buckets of hour 12 in text order: 0, 10+, 6-9 */
    size_t n = cap_count(c, T_JOINS, true);
    CHECK_EQ_I64(n, 1 + 1 + 3 + 3);
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 0), H10 "|3|1|5|5");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 1), H11 "|2|2|14|9");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 2), H12 "|0|1|4|4");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 3), H12 "|10+|1|4|4");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 4), H12 "|6-9|1|4|4");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 5), "2024-03-01T13:00:00.000000Z|1|1|10|10");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 6), "2024-03-01T13:00:00.000000Z|3|1|30|30");
    CHECK_EQ_STR(cap_line(c, T_JOINS, true, 7), "2024-03-01T13:00:00.000000Z|4-5|1|20|20");
    en_close(p);
    cap_free(c);
}

/* slowdown = sum exec / sum(count * min exec) over fingerprint groups of >= 2. */
static void test_slowdown(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev b = {"p", 1, 0, at(10, 0), "select", 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[14];
    for (int i = 0; i < 14; i++) e[i] = b, e[i].qid = i;
    e[0].fp = "A", e[0].exec = 100;
    e[1].fp = "A", e[1].exec = 200;
    e[2].fp = "A", e[2].exec = 300;
    e[3].fp = "A", e[3].exec = 1000, e[3].aborted = 1; /* excluded: aborted */
    e[4].fp = "B", e[4].exec = 50;
    e[5].fp = "B", e[5].exec = 50;
    e[6].fp = "B", e[6].exec = 0;                      /* excluded: exec < 1 */
    e[7].fp = "C", e[7].exec = 10;                     /* group of 1: dropped */
    e[8].fp = "D", e[8].exec = 10, e[8].cached = 1;    /* excluded: cached */
    e[9].fp = "D", e[9].exec = 20, e[9].cached = 1;
    e[10].fp = "E", e[10].exec = 10, e[10].qtype = "insert"; /* excluded: not select */
    e[11].fp = "E", e[11].exec = 30, e[11].qtype = "insert";
    e[12].exec = 5, e[12].inst = 2; /* inst 2: NULL fingerprints only */
    e[13].exec = 6, e[13].inst = 2;
    feed(p, e, 14);
    finish(p);
    /* groups A (100,200,300: 600 / 3*100) and B (50,50: 100 / 2*50): 700 / 400 = 1.75 */
    CHECK_EQ_I64(cap_count(c, T_UTIL, true), 2);
    const char *u = cap_line(c, T_UTIL, true, 0);
    CHECK_NEAR(field(u, 11), 1.75);
    CHECK_EQ_I64(field(u, 12), 2);
    u = cap_line(c, T_UTIL, true, 1);
    CHECK(isnan(field(u, 11)));
    CHECK_EQ_I64(field(u, 12), 0);
    /* busy of inst 1: 100+200+300+1000+50+50+10+10+20+10+30 = 1780 ms */
    CHECK_NEAR(field(cap_line(c, T_UTIL, true, 0), 3), 1780);
    en_close(p);
    cap_free(c);
}

/* Bad rows: reason, detail, raw; key order; identity after every batch. */
static void test_bad_rows_and_identity(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev g = {"p", 1, 1, at(10, 0), "select", 1, 1, 1, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[6] = {g, g, g, g, g, g};
    e[0].row = 10, e[0].null_qtype = true;             /* missing_query_type */
    e[1].row = 4, e[1].qid = 2, e[1].exec = -5;        /* negative_execution_duration_ms */
    e[2].row = 6, e[2].qid = 3, e[2].ts = at(-300000, 0); /* before 2000: bad_timestamp */
    e[3].row = 1, e[3].qid = 4;                        /* good */
    e[4].row = 2, e[4].qid = 4;                        /* duplicate */
    e[5].row = 3, e[5].null_qid = true;                /* missing_query_id */
    feed(p, e, 6);
    const en_stats *s = en_get_stats(p);
    CHECK_EQ_I64(s->bad, 4);
    CHECK_EQ_I64(s->accepted, 1);
    CHECK_EQ_I64(s->duplicates, 1);
    CHECK_EQ_I64(s->clean.rows, 6);
    /* the bad timestamp did not move W */
    CHECK_EQ_I64(s->watermark_us, at(9, 50));
    CHECK_EQ_I64(cap_count(c, T_BAD, true), 4);
    /* sorted by _row: 3, 4, 6, 10 */
    CHECK_PREFIX(cap_line(c, T_BAD, true, 0), "p|0|3|missing_query_id|");
    CHECK_PREFIX(cap_line(c, T_BAD, true, 1), "p|0|4|negative_execution_duration_ms|");
    CHECK_PREFIX(cap_line(c, T_BAD, true, 2), "p|0|6|bad_timestamp|");
    CHECK_PREFIX(cap_line(c, T_BAD, true, 3), "p|0|10|missing_query_type|");
    CHECK(strstr(cap_line(c, T_BAD, true, 1), "\"execution_duration_ms\":-5") != NULL);
    CHECK(strstr(cap_line(c, T_BAD, true, 0), "\"query_id\":null") != NULL);
    /* later batches: identity checked in feed() after each */
    ev f[3] = {g, g, g};
    f[0].qid = 9, f[0].ts = at(12, 0); /* W = 11:50: hour 10 final */
    f[1].qid = 10, f[1].ts = at(10, 30); /* late (same batch: judged against the previous W) */
    f[2].qid = 11, f[2].ts = at(10, 31);
    feed(p, f, 3);
    CHECK_EQ_I64(en_get_stats(p)->late, 0); /* hour 10 was still open when the batch started */
    ev l = g;
    l.qid = 12, l.ts = at(10, 59);
    feed(p, &l, 1);
    CHECK_EQ_I64(en_get_stats(p)->late, 1);
    finish(p);
    /* read = sum(final queries) + late + bad + duplicates */
    int64_t q = 0;
    for (size_t i = 0; i < cap_count(c, T_QUERY, true); i++)
        q += (int64_t)field(cap_line(c, T_QUERY, true, i), 4);
    CHECK_EQ_I64(q, 4);
    CHECK_EQ_I64(en_get_stats(p)->clean.rows,
                 q + (int64_t)cap_count(c, T_LATE, true) + (int64_t)cap_count(c, T_BAD, true) +
                     (int64_t)en_get_stats(p)->duplicates);
    en_close(p);
    cap_free(c);
}

/* Accepted events are delivered per hour (ascending), in processing order within the hour. */
static void test_events_grouping(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev g = {"p", 1, 1, at(11, 0), "select", 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[5] = {g, g, g, g, g};
    e[1].qid = 2, e[1].ts = at(10, 30);
    e[2].qid = 3, e[2].ts = at(11, 5);
    e[3].qid = 1, e[3].ts = at(11, 6); /* duplicate of qid 1: not delivered */
    e[4].qid = 5, e[4].ts = at(10, 1);
    feed(p, e, 5);
    CHECK_EQ_I64(c->nev, 2);
    CHECK_EQ_I64(c->ev_hour[0], at(10, 0));
    CHECK_EQ_I64(c->ev_n[0], 2);
    CHECK_EQ_I64(c->ev_hour[1], at(11, 0));
    CHECK_EQ_I64(c->ev_n[1], 2);
    CHECK_EQ_I64(c->nqid, 4);
    CHECK_EQ_I64(c->ev_qid[0], 2);
    CHECK_EQ_I64(c->ev_qid[1], 5);
    CHECK_EQ_I64(c->ev_qid[2], 1);
    CHECK_EQ_I64(c->ev_qid[3], 3);
    en_close(p);
    cap_free(c);
}

/* ------------------------------------------------------------------ order independence */

static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = rng_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define NGEN 3000
static ev gen[NGEN];
static char gen_reads[NGEN][48];
static char gen_fp[NGEN][8];

static void make_gen(void) {
    rng_state = 42;
    static const char *const qts[] = {"select", "select", "select", "insert", "copy", "Select "};
    for (int i = 0; i < NGEN; i++) {
        ev *e = &gen[i];
        memset(e, 0, sizeof *e);
        e->src = rnd() % 3 ? "provisioned" : "serverless";
        e->inst = (int)(rnd() % 5);
        e->qid = i; /* distinct events never share a key (only redeliveries do) */
        (void)rnd();
        e->ts = at(8, 0) + (int64_t)(rnd() % (uint64_t)(5 * HOUR_US));
        e->qtype = qts[rnd() % 6];
        e->compile = rnd() % 4 ? (double)(rnd() % 500) : NAN;
        e->queue = (int64_t)(rnd() % 2000);
        e->exec = rnd() % 50 ? (int64_t)(rnd() % 100000) : (int64_t)(rnd() % 20000000);
        e->aborted = rnd() % 20 == 0;
        e->cached = rnd() % 10 == 0;
        e->mbs = (double)(rnd() % 4000) / 4;
        e->mbsp = rnd() % 5 ? 0 : (double)(rnd() % 400) / 8;
        e->joins = (int64_t)(rnd() % 14);
        if (rnd() % 3) {
            snprintf(gen_reads[i], sizeof gen_reads[i], "%d,%d", (int)(rnd() % 30), (int)(rnd() % 30));
            e->reads = gen_reads[i];
        }
        if (rnd() % 2) {
            snprintf(gen_fp[i], sizeof gen_fp[i], "f%d", (int)(rnd() % 12));
            e->fp = gen_fp[i];
        }
        e->row = i;
        if (i % 97 == 5) e->exec = -1; /* bad */
        if (i % 50 == 7 && i > 0) {    /* redelivery of an earlier event */
            int j = (int)(rnd() % (uint64_t)i);
            *e = gen[j];
            e->row = i;
        }
    }
}

/* Run the generated events in the given order, in batches of the given size; return the final
 * metric rows (table-tagged lines, in emission order). */
static capture *run_order(const int *order, size_t batch) {
    capture *c = cap_new();
    en_opts o;
    en_opts_default(&o, S);
    o.lateness_us = 6 * HOUR_US; /* every event within lateness: nothing late */
    en *p = open_en(c, &o, NULL);
    ev *tmp = malloc(NGEN * sizeof *tmp);
    for (size_t i = 0; i < NGEN; i += batch) {
        size_t n = NGEN - i < batch ? NGEN - i : batch;
        for (size_t k = 0; k < n; k++) tmp[k] = gen[order[i + k]];
        feed(p, tmp, n);
    }
    finish(p);
    CHECK_EQ_I64(en_get_stats(p)->late, 0);
    free(tmp);
    en_close(p);
    return c;
}

/* Two captures hold the same final metric rows: integers/text exact, floats within 1e-9 relative. */
static bool same_final(const capture *a, const capture *b) {
    bool ok = true;
    for (size_t t = 0; t < N_METRIC; t++) {
        const char *tname = tr_redset_metrics.tables[t]->name; /* the transform's tables come first */
        size_t n = cap_count(a, t, true);
        if (n != cap_count(b, t, true)) {
            fprintf(stderr, "  %s: %zu vs %zu rows\n", tname, n, cap_count(b, t, true));
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            const char *x = cap_line(a, t, true, i), *y = cap_line(b, t, true, i);
            if (strcmp(x, y) == 0) continue;
            /* compare field by field */
            for (int f = 0;; f++) {
                const char *xe = strchr(x, '|'), *ye = strchr(y, '|');
                size_t xl = xe ? (size_t)(xe - x) : strlen(x), yl = ye ? (size_t)(ye - y) : strlen(y);
                if (xl != yl || memcmp(x, y, xl) != 0) {
                    char *xx, *yy;
                    double dx = strtod(x, &xx), dy = strtod(y, &yy);
                    if (xx != x + xl || yy != y + yl || fabs(dx - dy) > 1e-9 * fmax(fabs(dx), fabs(dy))) {
                        fprintf(stderr, "  %s row %zu field %d: %.*s vs %.*s\n", tname, i, f,
                                (int)xl, x, (int)yl, y);
                        ok = false;
                    }
                }
                if (!xe || !ye) break;
                x = xe + 1;
                y = ye + 1;
            }
        }
    }
    return ok;
}

static void test_order_independence(void) {
    make_gen();
    int *ord = malloc(NGEN * sizeof *ord);
    for (int i = 0; i < NGEN; i++) ord[i] = i;
    /* reference: arrival order */
    for (int i = 1; i < NGEN; i++) /* insertion sort by ts (stable) */
        for (int j = i; j > 0 && gen[ord[j]].ts < gen[ord[j - 1]].ts; j--) {
            int t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    capture *ref = run_order(ord, 500);
    CHECK(cap_count(ref, T_QUERY, true) > 50);
    CHECK(cap_count(ref, T_TOP, true) > 50);
    CHECK(cap_count(ref, T_UTIL, true) > 40);
    size_t nslow = 0;
    for (size_t i = 0; i < cap_count(ref, T_UTIL, true); i++)
        nslow += !isnan(field(cap_line(ref, T_UTIL, true, i), 11));
    CHECK(nslow > 5);
    static const size_t batches[] = {1, 7, 256, NGEN};
    for (int round = 0; round < 4; round++) {
        for (int i = NGEN - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)(rnd() % (uint64_t)(i + 1)), t = ord[i];
            ord[i] = ord[j];
            ord[j] = t;
        }
        capture *c = run_order(ord, batches[round]);
        CHECK(same_final(ref, c));
        cap_free(c);
    }
    /* the identity over the final tables */
    int64_t q = 0;
    for (size_t i = 0; i < cap_count(ref, T_QUERY, true); i++)
        q += (int64_t)field(cap_line(ref, T_QUERY, true, i), 4);
    CHECK(q > 2500 && q < NGEN);
    cap_free(ref);
    free(ord);
}

/* A checkpoint between batches, then a new engine restored from it and fed
 * the rows from its resume time on (a resumed run): the final rows of the
 * first engine (the hours it finalized before the checkpoint) and of the
 * second together equal an uninterrupted run; the second counts every row
 * once and delivers again exactly the accepted events of the windows open
 * at the checkpoint. */
static void test_checkpoint_resume(void) {
    make_gen();
    int *ord = malloc(NGEN * sizeof *ord);
    for (int i = 0; i < NGEN; i++) ord[i] = i;
    for (int i = 1; i < NGEN; i++)
        for (int j = i; j > 0 && gen[ord[j]].ts < gen[ord[j - 1]].ts; j--) {
            int t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    capture *ref = run_order(ord, 300);
    en_opts o;
    en_opts_default(&o, S);
    o.lateness_us = 20 * MIN_US;
    capture *refl = cap_new(); /* the reference with this lateness */
    en *r0 = open_en(refl, &o, NULL);
    ev *tmp = malloc(NGEN * sizeof *tmp);
    for (size_t i = 0; i < NGEN; i += 300) {
        for (size_t k = 0; k < 300; k++) tmp[k] = gen[ord[i + k]];
        feed(r0, tmp, 300);
    }
    finish(r0);
    uint64_t acc = en_get_stats(r0)->accepted, dups = en_get_stats(r0)->duplicates;
    en_close(r0);
    int any_skipped = 0;
    for (size_t cut = 600; cut <= 2400; cut += 900) {
        capture *a = cap_new(), *b = cap_new();
        en *p = open_en(a, &o, NULL);
        for (size_t i = 0; i < cut; i += 300) {
            for (size_t k = 0; k < 300; k++) tmp[k] = gen[ord[i + k]];
            feed(p, tmp, 300);
        }
        size_t a_final = a->nfinals;
        CHECK(en_get_stats(p)->open_windows > 0);
        const void *ck;
        size_t cklen;
        char err[SL_ERRLEN];
        CHECK(en_checkpoint(p, &ck, &cklen, err, sizeof err) == SL_OK);
        void *copy = malloc(cklen);
        memcpy(copy, ck, cklen);
        en_close(p); /* killed */
        en *q = open_en(b, &o, NULL);
        sl_err re = en_restore(q, copy, cklen, err, sizeof err);
        if (re != SL_OK) fprintf(stderr, "  en_restore: %s\n", err);
        CHECK(re == SL_OK);
        CHECK_EQ_I64(en_resume_rows(q), cut);
        /* the replay resumes at the checkpoint's resume time: the rows before it
         * (in event-time order) are not given again */
        int64_t rus = INT64_MIN;
        bool has = en_resume_from(q, &rus);
        CHECK(has);
        size_t skipped = 0;
        while (skipped < NGEN && gen[ord[skipped]].ts < rus) skipped++;
        CHECK(skipped <= cut);
        any_skipped += skipped > 0; /* whole hours were final before a later cut */
        CHECK(rus == sl_hour_floor(rus));
        for (size_t i = skipped; i < NGEN;) {
            size_t k = 0;
            for (; k < 300 && i < NGEN; k++, i++) tmp[k] = gen[ord[i]];
            feed(q, tmp, k);
        }
        finish(q);
        CHECK_EQ_I64(en_get_stats(q)->clean.rows, NGEN);
        CHECK_EQ_I64(en_get_stats(q)->accepted, acc);
        CHECK_EQ_I64(en_get_stats(q)->duplicates, dups);
        CHECK_EQ_I64(a_final + b->nfinals, refl->nfinals);
        /* a's final rows then b's = the reference's */
        for (size_t i = 0; i < b->n; i++) {
            if (a->n == a->cap) {
                a->cap = a->cap ? a->cap * 2 : 64;
                a->rows = realloc(a->rows, a->cap * sizeof *a->rows);
            }
            a->rows[a->n] = b->rows[i];
            a->rows[a->n++].line = strdup(b->rows[i].line);
        }
        CHECK(same_final(refl, a));
        /* events delivered again: every accepted event once, over a's finalized hours and b */
        size_t evs = 0;
        for (size_t i = 0; i < a->nev; i++)
            for (size_t f = 0; f < a_final; f++)
                if (a->ev_hour[i] == a->finals[f]) evs += a->ev_n[i];
        for (size_t i = 0; i < b->nev; i++) evs += b->ev_n[i];
        CHECK_EQ_I64(evs, acc);
        free(copy);
        en_close(q);
        cap_free(a);
        cap_free(b);
    }
    CHECK(any_skipped > 0);
    CHECK(same_final(ref, refl)); /* the lateness does not change an ordered run's results */
    cap_free(refl);
    cap_free(ref);
    free(tmp);
    free(ord);
}

/* State is freed with the windows: a long ordered run keeps ~2 windows open. */
static void test_state_bounded(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev g = {"p", 1, 0, 0, "select", 1, 1, 1000, 0, 0, 0, 0, 1, "1,2", "x", 0, false, false};
    uint64_t max_open = 0;
    ev e[60];
    for (int h = 0; h < 48; h++) {
        for (int m = 0; m < 60; m++) e[m] = g, e[m].qid = h * 100 + m, e[m].ts = at(h, m);
        feed(p, e, 60);
        if (en_get_stats(p)->open_windows > max_open) max_open = en_get_stats(p)->open_windows;
    }
    CHECK(max_open <= 2);
    CHECK_EQ_I64(en_get_stats(p)->windows_final, 47);
    CHECK_EQ_I64(c->nfinals, 47);
    finish(p);
    CHECK_EQ_I64(en_get_stats(p)->open_windows, 0);
    CHECK_EQ_I64(en_get_stats(p)->windows_final, 48);
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 48);
    /* hours finalized in order */
    for (size_t i = 1; i < c->nfinals; i++) CHECK(c->finals[i] > c->finals[i - 1]);
    /* a second finish is harmless; processing after finish is an error */
    char err[SL_ERRLEN];
    CHECK(en_finish(p, err, sizeof err) == SL_OK);
    sl_batch b;
    new_batch(&b);
    add(&b, &g);
    CHECK(en_process(p, &b, err, sizeof err) == SL_ERR_ARG);
    sl_batch_free(&b);
    en_close(p);
    cap_free(c);
}

/* Provisional rows: final = false for every open window; they grow until final. */
static void test_refresh(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    ev g = {"p", 1, 1, at(10, 0), "select", 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    feed(p, &g, 1);
    char err[SL_ERRLEN];
    CHECK(en_refresh(p, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(cap_count(c, T_QUERY, false), 1);
    CHECK_EQ_STR(cap_line(c, T_QUERY, false, 0), H10 "|p|1|select|1|0|0|0|0|0|0|0|0");
    g.qid = 2;
    feed(p, &g, 1);
    CHECK(en_refresh(p, err, sizeof err) == SL_OK);
    CHECK_EQ_STR(cap_line(c, T_QUERY, false, 1), H10 "|p|1|select|2|0|0|0|0|0|0|0|0");
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 0);
    finish(p);
    CHECK_EQ_I64(cap_count(c, T_QUERY, true), 1);
    en_close(p);
    cap_free(c);
}

/* Options: the engine's (en_opts: lateness and duration cap, checked by
 * en_open; en_opts_table) and the transform's (its option table: ranges
 * checked by sl_opt_set, whose message says what the value must be). */
static void test_opts(void) {
    char err[SL_ERRLEN];
    sl_buf t;
    sl_buf_init(&t);
    en_opts o;
    en_opts_default(&o, S);
    CHECK_EQ_I64(o.lateness_us, 600000000);
    CHECK_EQ_I64(o.duration_cap_ms, 604800000); /* the schema's: 7 days */
    const sl_opt *ok = sl_opt_find(tr_redset_metrics.opts, "k"), *ow = sl_opt_find(tr_redset_metrics.opts, "weights"),
                 *os = sl_opt_find(tr_redset_metrics.opts, "slots");
    CHECK(ok != NULL && ow != NULL && os != NULL);
    if (!ok || !ow || !os) return;
    void *rm = calloc(1, tr_redset_metrics.opts_size);
    CHECK(sl_opt_defaults(tr_redset_metrics.opts, rm, err, sizeof err) == SL_OK);
    sl_opt_format(ok, rm, &t);
    CHECK_EQ_STR(sl_buf_cstr(&t), "10");
    /* the defaults are valid */
    en_transform tr = {&tr_redset_metrics, rm};
    en *p = NULL;
    CHECK(en_open(&p, S, &o, &tr, 1, NULL, err, sizeof err) == SL_OK);
    CHECK(p != NULL);
    en_close(p);
    /* k >= 1 */
    CHECK(sl_opt_set(ok, rm, "0", err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "an integer in 1..1000000") != NULL);
    CHECK(strstr(err, "got '0'") != NULL);
    t.len = 0;
    sl_opt_format(ok, rm, &t);
    CHECK_EQ_STR(sl_buf_cstr(&t), "10"); /* unchanged */
    /* a negative weight (w_s, the second of q,s,p,c) */
    CHECK(sl_opt_set(ow, rm, "1,-1,1,1", err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, ">= 0") != NULL);
    CHECK(strstr(err, "got '1,-1,1,1'") != NULL);
    /* every weight 0 */
    CHECK(sl_opt_set(ow, rm, "0,0,0,0", err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "positive sum") != NULL);
    /* slots > 0 */
    CHECK(sl_opt_set(os, rm, "0", err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "> 0") != NULL);
    /* lateness >= 0: the option table, and en_open */
    CHECK(sl_opt_set(sl_opt_find(en_opts_table, "lateness"), &o, "-1s", err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_I64(o.lateness_us, 600000000);
    o.lateness_us = -1;
    CHECK(en_open(&p, S, &o, &tr, 1, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "lateness") != NULL);
    CHECK(p == NULL);
    /* the duration cap: [0, 1e12] ms in en_open */
    en_opts_default(&o, S);
    o.duration_cap_ms = -1;
    p = NULL;
    CHECK(en_open(&p, S, &o, &tr, 1, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "duration cap") != NULL);
    CHECK(p == NULL);
    o.duration_cap_ms = INT64_C(1000000000001);
    CHECK(en_open(&p, S, &o, &tr, 1, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "duration cap") != NULL);
    CHECK(p == NULL);
    o.duration_cap_ms = INT64_C(1000000000000);
    CHECK(en_open(&p, S, &o, &tr, 1, NULL, err, sizeof err) == SL_OK);
    en_close(p);
    /* ... and in the option table: whole milliseconds, at most 1e12 ms */
    const sl_opt *oc = sl_opt_find(en_opts_table, "duration_cap");
    CHECK(oc != NULL);
    if (oc) {
        CHECK(sl_opt_set(oc, &o, "2d", err, sizeof err) == SL_OK);
        CHECK_EQ_I64(o.duration_cap_ms, 2 * 86400000LL);
        CHECK(sl_opt_set(oc, &o, "1500us", err, sizeof err) == SL_ERR_ARG);
        CHECK(sl_opt_set(oc, &o, "100000000h", err, sizeof err) == SL_ERR_ARG);
        CHECK_EQ_I64(o.duration_cap_ms, 2 * 86400000LL);
    }
    sl_buf_free(&t);
    free(rm);
}

/* Weights and threshold change composite / oversubscribed. */
static void test_weights(void) {
    capture *c = cap_new();
    /* w_q = 0, w_s = 0, w_p = 1, w_c = 3: composite = (p + 3c) / 4 */
    en *p = open_en(c, NULL, (const char *const[]){"weights", "0,0,1,3", "threshold", "0.75", NULL});
    /* c = 30 / (0 + 30 + 0) = 1, p = 0: composite 0.75 -> oversubscribed */
    ev g = {"p", 1, 1, at(10, 0), "select", 30, 0, 0, 0, 0, 0, 5, 0, NULL, NULL, 0, false, false};
    feed(p, &g, 1);
    finish(p);
    CHECK_EQ_STR(cap_line(c, T_UTIL, true, 0), H10 "|p|1|0|0|0|1|1|0|0.75|1|null|0");
    en_close(p);
    cap_free(c);
}

/* ------------------------------------------------------------------ the Redset tables */

/* en_tables: the transform's tables (its own definitions, in its order),
 * then bad_rows, late_events, events, with the columns derived from the
 * schema. */
static void test_tables(void) {
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    const tb_list *l = en_tables(p);
    CHECK_EQ_I64(l->n, 10);
    CHECK_EQ_I64(N_METRIC, 7);
    for (size_t t = 0; t < N_METRIC && t < l->n; t++) CHECK(l->v[t] == tr_redset_metrics.tables[t]);
    CHECK(tr_redset_metrics.tables[7] == NULL);
    CHECK(l->v[T_QUERY] == &rs_query_hourly && l->v[T_SPILL] == &rs_spill_hourly && l->v[T_CACHE] == &rs_cache_hourly);
    CHECK(l->v[T_TOP] == &rs_top_tables_hourly && l->v[T_JOINS] == &rs_compile_joins_hourly);
    CHECK(l->v[T_CORR] == &rs_compile_corr_hourly && l->v[T_UTIL] == &rs_utilization_hourly);
    CHECK_EQ_I64(en_table_bad_rows(p), 7);
    CHECK_EQ_I64(en_table_late_events(p), 8);
    CHECK_EQ_I64(en_table_events(p), 9);
    CHECK_EQ_I64(T_BAD, 7);
    CHECK_EQ_I64(T_LATE, 8);
    CHECK_EQ_I64(T_EVENTS, 9);
    CHECK(l->v[T_BAD]->kind == TB_QUARANTINE && l->v[T_LATE]->kind == TB_QUARANTINE && l->v[T_EVENTS]->kind == TB_EVENTS);
    static const char *const bad[] = {"source", "_input", "_row", "reason", "detail", "raw"};
    static const char *const late[] = {"hour",     "source",   "_input",    "_row", "arrival_timestamp",
                                       "instance_id", "query_id", "watermark", "raw"};
    CHECK_EQ_I64(l->v[T_BAD]->ncols, 6);
    for (size_t k = 0; k < 6 && k < l->v[T_BAD]->ncols; k++) CHECK_EQ_STR(l->v[T_BAD]->cols[k].name, bad[k]);
    CHECK_EQ_I64(l->v[T_LATE]->ncols, 9);
    for (size_t k = 0; k < 9 && k < l->v[T_LATE]->ncols; k++) CHECK_EQ_STR(l->v[T_LATE]->cols[k].name, late[k]);
    /* events: the schema's 24 columns, then source, _input, _row */
    const tb_def *evt = l->v[T_EVENTS];
    CHECK_EQ_I64(evt->ncols, S->ncols + 3);
    for (size_t k = 0; k < S->ncols && k < evt->ncols; k++) {
        CHECK_EQ_STR(evt->cols[k].name, S->cols[k].name);
        CHECK(evt->cols[k].type.type == S->cols[k].type.type);
        CHECK(evt->cols[k].nullable == !(S->cols[k].rules & SC_REQUIRED));
    }
    if (evt->ncols == S->ncols + 3) {
        CHECK_EQ_STR(evt->cols[S->ncols].name, "source");
        CHECK_EQ_STR(evt->cols[S->ncols + 1].name, "_input");
        CHECK_EQ_STR(evt->cols[S->ncols + 2].name, "_row");
    }
    CHECK(reg_transform("redset_metrics") == &tr_redset_metrics);
    en_close(p);
    cap_free(c);
}

/* ------------------------------------------------------------------ a second schema */

/* Page views: a STRING dedupe key, a STRING order key, no id lists, no
 * clamped columns, another time column name and range.  Nothing here is
 * Redset's; the engine and cleaning must work the same. */
static const sc_col pv_cols[] = {
    {"view_id", TB_STR, SC_REQUIRED | SC_TRIM, NULL, "the dedupe key"},
    {"user", TB_STR, SC_REQUIRED | SC_TRIM_LOWER, NULL, "the order key"},
    {"at", TB_TS, SC_REQUIRED, NULL, "the event time"},
    {"secs", TB_F64, SC_FINITE | SC_NONNEG | SC_NULL_ZERO, NULL, "time on the page"},
    {"clicks", TB_I64, SC_NONNEG, NULL, NULL},
    {"page", TB_STR, 0, NULL, NULL},
};
#define PV_2024 INT64_C(1704067200000000) /* 2024-01-01 */
#define PV_2025 INT64_C(1735689600000000) /* 2025-01-01 */
static const sc_def pv_def = {
    .name = "pageviews",
    .help = "page views (test)",
    .cols = pv_cols,
    .ncols = sizeof pv_cols / sizeof pv_cols[0],
    .time = "at",
    .order = {NULL, "user"},
    .dedupe = {"view_id"},
    .partition = {"user"},
    .required = {"at", "view_id"},
    .ts_min_us = PV_2024,
    .ts_max_us = PV_2025,
};
static const sc_schema *PS;
enum { PV_ID, PV_USER, PV_AT, PV_SECS, PV_CLICKS, PV_PAGE };

typedef struct pv {
    const char *src;
    const char *id, *user; /* NULL = NULL */
    int64_t at;
    double secs;           /* NULL when null_secs */
    int64_t clicks;
    int64_t row;
    bool null_at, null_secs;
    const char *error;     /* _error (NULL: read cleanly) */
    const char *extra;     /* _extra (NULL: none) */
} pv;

static void pv_add(sl_batch *b, const pv *e) {
    size_t i = b->nrows++;
    put_str(b, PV_ID, i, e->id);
    put_str(b, PV_USER, i, e->user);
    ((int64_t *)b->cols[PV_AT].data)[i] = e->null_at ? 0 : e->at;
    set_valid(b, PV_AT, i, !e->null_at);
    ((double *)b->cols[PV_SECS].data)[i] = e->null_secs ? 0 : e->secs;
    set_valid(b, PV_SECS, i, !e->null_secs);
    ((int64_t *)b->cols[PV_CLICKS].data)[i] = e->clicks;
    set_valid(b, PV_CLICKS, i, true);
    put_str(b, PV_PAGE, i, "/home");
    put_str(b, PS->source, i, e->src ? e->src : "w");
    ((int32_t *)b->cols[PS->input].data)[i] = 0;
    ((int64_t *)b->cols[PS->row].data)[i] = e->row;
    put_str(b, PS->error, i, e->error);
    put_str(b, PS->extra, i, e->extra);
}

static int pv_reason(const char *name) {
    for (size_t r = 0; r < PS->nreasons; r++)
        if (!strcmp(PS->reasons[r].name, name)) return (int)r;
    fprintf(stderr, "  no reason %s\n", name);
    t_cur_failed = 1;
    return -1;
}

/* sc_open derives the keys and reasons of the second schema. */
static void test_small_schema_open(void) {
    CHECK_EQ_I64(PS->ncols, 6);
    CHECK_EQ_I64(PS->nall, 6 + SC_N_SYS);
    CHECK_EQ_I64(PS->source, 6);
    CHECK_EQ_I64(PS->extra, 10);
    CHECK_EQ_I64(PS->time, PV_AT);
    CHECK_EQ_I64(PS->order[0], -1);
    CHECK_EQ_I64(PS->order[1], PV_USER);
    CHECK_EQ_I64(PS->ndedupe, 1);
    CHECK_EQ_I64(PS->dedupe[0], PV_ID);
    CHECK_EQ_I64(PS->npartition, 1);
    CHECK_EQ_I64(PS->partition[0], PV_USER);
    CHECK_EQ_I64(PS->nidlists, 0);
    CHECK_EQ_I64(PS->rest, -1);
    static const char *const reasons[] = {"accept",        "malformed",    "missing_at",     "missing_view_id",
                                          "missing_user",  "bad_timestamp", "negative_secs", "negative_clicks"};
    CHECK_EQ_I64(PS->nreasons, 8);
    for (size_t r = 0; r < 8 && r < PS->nreasons; r++) CHECK_EQ_STR(PS->reasons[r].name, reasons[r]);
    CHECK_EQ_I64(PS->nrepair, 3);
    if (PS->nrepair == 3) {
        CHECK_EQ_I64(PS->repair_cols[0], PV_ID);
        CHECK_EQ_I64(PS->repair_cols[1], PV_USER);
        CHECK_EQ_I64(PS->repair_cols[2], PV_SECS);
    }
    cl_opts o = cl_opts_default(PS);
    CHECK_EQ_I64(o.ts_min_us, PV_2024);
    CHECK_EQ_I64(o.ts_max_us, PV_2025);
}

/* s contains the text t. */
static bool has_text(sl_str s, const char *t) {
    size_t n = strlen(t);
    for (size_t i = 0; i + n <= s.len; i++)
        if (!memcmp(s.ptr + i, t, n)) return true;
    return false;
}

/* The csv input reads the second schema: columns by name, unknown fields
 * into _extra; the order keys are (time, -, hash of the user text). */
static void test_small_schema_input(void) {
    char err[SL_ERRLEN];
    static const char text[] = "user,view_id,at,secs,clicks,page,referrer\n"
                               "ann,v1,2024-03-01 10:00:00,1.5,2,/a,x.org\n"
                               "bob,v2,2024-03-01 10:00:01,,0,/b,\n"
                               "ann,v3,2024-03-01 10:00:02,3,1,,y.org\n";
    rp_input *in = NULL;
    rp_input_opts o = {.path = "views.csv", .source = "w", .format = reg_input("csv"), .schema = PS};
    CHECK(rp_input_open_mem(&in, &o, text, strlen(text), err, sizeof err) == SL_OK);
    if (!in) return;
    sl_batch b;
    new_batch_of(PS, &b);
    CHECK_EQ_I64(rp_input_next(in, &b, 100, err, sizeof err), 3);
    rp_input_close(in);
    if (b.nrows == 3) {
        const sl_str *id = b.cols[PV_ID].data, *user = b.cols[PV_USER].data;
        CHECK(id[2].len == 2 && !memcmp(id[2].ptr, "v3", 2));
        CHECK(user[1].len == 3 && !memcmp(user[1].ptr, "bob", 3));
        CHECK_EQ_I64(((int64_t *)b.cols[PV_AT].data)[1], at(10, 0) + 1000000);
        CHECK(sl_col_is_null(&b.cols[PV_SECS], 1));
        CHECK(((double *)b.cols[PV_SECS].data)[0] == 1.5);
        CHECK(sl_col_is_null(&b.cols[PS->error], 0) && sl_col_is_null(&b.cols[PS->error], 2));
        const sl_str *x = b.cols[PS->extra].data;
        CHECK(!sl_col_is_null(&b.cols[PS->extra], 0) && x[0].len > 0 && has_text(x[0], "\"referrer\""));
    }
    sl_batch_free(&b);
    /* the order keys */
    int64_t ts[4];
    int32_t k1[4];
    int64_t k2[4];
    CHECK(rp_input_open_mem(&in, &o, text, strlen(text), err, sizeof err) == SL_OK);
    if (!in) return;
    CHECK_EQ_I64(rp_input_next_keys(in, ts, k1, k2, 4, err, sizeof err), 3);
    rp_input_close(in);
    CHECK_EQ_I64(ts[0], at(10, 0));
    CHECK_EQ_I64(ts[2], at(10, 0) + 2000000);
    CHECK_EQ_I64(k1[0], 0); /* no first order column */
    CHECK_EQ_I64(k1[1], 0);
    CHECK(k2[0] == k2[2]); /* the same user, the same key */
    CHECK(k2[0] != k2[1]);
    CHECK(k2[0] != 0);
}

/* cl_clean by the second schema's rules: reasons in priority order,
 * repairs, details; no id lists (idsets may be NULL). */
static void test_small_schema_clean(void) {
    char err[SL_ERRLEN];
    const int64_t t = at(10, 0);
    pv g = {"w", "v2", "bob", t, 1, 0, 0, false, false, NULL, NULL};
    pv e[14];
    for (int i = 0; i < 14; i++) e[i] = g, e[i].row = i;
    e[0].id = " v1 ", e[0].user = "Alice ", e[0].null_secs = true; /* repaired: trimmed, lower-cased, 0 */
    e[1].id = NULL;                                             /* missing_view_id */
    e[2].user = "  ";                                           /* missing_user (blank) */
    e[3].null_at = true;                                        /* missing_at */
    e[4].secs = NAN;                                            /* malformed */
    e[5].secs = -1;                                             /* negative_secs */
    e[6].clicks = -2;                                           /* negative_clicks */
    e[7].at = PV_2024 - 1;                                      /* bad_timestamp */
    e[8].null_at = true, e[8].id = NULL;                        /* missing_at: listed first */
    e[9].id = NULL, e[9].user = NULL;                           /* missing_view_id: listed, user is not */
    e[10].error = "malformed: line 11: x";                      /* the input's flag */
    e[11].error = "bad_timestamp: line 12: 'soon'", e[11].null_at = true;
    e[12].error = "bad_timestamp: line 13: 'soon'", e[12].null_at = true, e[12].user = NULL; /* missing_user */
    /* e[13]: clean, nothing to repair */
    sl_batch b;
    new_batch_of(PS, &b);
    for (int i = 0; i < 14; i++) pv_add(&b, &e[i]);
    const char *id13 = ((const sl_str *)b.cols[PV_ID].data)[13].ptr;
    uint8_t st[14];
    sl_str det[14];
    cl_counters c;
    memset(&c, 0, sizeof c);
    cl_opts o = cl_opts_default(PS);
    CHECK(cl_clean(PS, &o, &b, st, det, NULL, &c, err, sizeof err) == SL_OK);
    static const char *const want[14] = {"accept",          "missing_view_id", "missing_user",  "missing_at",
                                         "malformed",       "negative_secs",   "negative_clicks", "bad_timestamp",
                                         "missing_at",      "missing_view_id", "malformed",     "bad_timestamp",
                                         "missing_user",    "accept"};
    for (int i = 0; i < 14; i++) {
        if (st[i] != pv_reason(want[i]))
            fprintf(stderr, "  row %d: %s, expected %s\n", i, PS->reasons[st[i]].name, want[i]);
        CHECK_EQ_I64(st[i], pv_reason(want[i]));
    }
#define DETAIL(i, s) CHECK(det[i].len >= strlen(s) && memcmp(det[i].ptr, s, strlen(s)) == 0)
    DETAIL(1, "view_id is NULL");
    DETAIL(2, "user is empty");
    DETAIL(3, "at is NULL");
    DETAIL(4, "secs = NaN");
    DETAIL(5, "secs = -1");
    DETAIL(6, "clicks = -2");
    DETAIL(7, "at 2023-12-31T23:59:59.999999Z outside [2024-01-01T00:00:00.000000Z, 2025-01-01T00:00:00.000000Z)");
    DETAIL(10, "malformed: line 11: x");
    DETAIL(11, "bad_timestamp: line 12");
#undef DETAIL
    CHECK(det[0].ptr == NULL && det[13].ptr == NULL);
    /* repairs of the accepted rows */
    const sl_str *id = b.cols[PV_ID].data, *user = b.cols[PV_USER].data;
    CHECK(id[0].len == 2 && !memcmp(id[0].ptr, "v1", 2));
    CHECK(user[0].len == 5 && !memcmp(user[0].ptr, "alice", 5));
    CHECK(!sl_col_is_null(&b.cols[PV_SECS], 0) && ((double *)b.cols[PV_SECS].data)[0] == 0.0);
    CHECK(id[13].ptr == id13); /* unchanged: not rewritten */
    /* counters */
    CHECK_EQ_I64(c.rows, 14);
    CHECK_EQ_I64(c.accepted_clean, 2);
    CHECK_EQ_I64(c.bad[pv_reason("malformed")], 2);
    CHECK_EQ_I64(c.bad[pv_reason("missing_at")], 2);
    CHECK_EQ_I64(c.bad[pv_reason("missing_view_id")], 2);
    CHECK_EQ_I64(c.bad[pv_reason("missing_user")], 2);
    CHECK_EQ_I64(c.bad[pv_reason("bad_timestamp")], 2);
    CHECK_EQ_I64(c.bad[pv_reason("negative_secs")], 1);
    CHECK_EQ_I64(c.bad[pv_reason("negative_clicks")], 1);
    CHECK_EQ_I64(c.repaired[PV_ID], 1);
    CHECK_EQ_I64(c.repaired[PV_USER], 1);
    CHECK_EQ_I64(c.repaired[PV_SECS], 1);
    CHECK_EQ_I64(c.repaired[PV_CLICKS] + c.repaired[PV_PAGE] + c.repaired[PV_AT], 0);
    CHECK_EQ_I64(c.repaired_rows, 1);
    CHECK_EQ_I64(c.bad_id_tokens, 0);
    /* a Redset batch is not a pageviews batch */
    sl_batch r;
    new_batch(&r);
    CHECK(cl_clean(PS, &o, &r, st, NULL, NULL, &c, err, sizeof err) == SL_ERR_ARG);
    sl_batch_free(&r);
    sl_batch_free(&b);
}

/* A tiny transform: events and the sum of secs per source and hour. */
typedef struct cnt_win {
    uint32_t n;
    int64_t events[8]; /* by source id */
    double secs[8];
} cnt_win;
typedef struct cnt_state {
    en_env *env;
    int secs, time;
} cnt_state;
static int cnt_windows_made, cnt_windows_live;

static const tb_col cnt_cols[] = {
    {"hour", TB_TS, false, true, "window start"},
    {"source", TB_STR, false, true, NULL},
    {"events", TB_I64, false, false, NULL},
    {"secs_sum", TB_F64, false, false, NULL},
};
static const tb_def cnt_table = {"event_counts", TB_HOURLY, cnt_cols, 4, "events per source and hour"};
static const tb_def *const cnt_tables[] = {&cnt_table, NULL};

static sl_err cnt_init(void **state, const void *opts, en_env *env, char *err, size_t errlen) {
    const sc_schema *s = en_env_schema(env);
    int c = sc_find(s, "secs");
    if (c < 0 || s->cols[c].type.type != SL_F64) return sl_err_set(err, errlen, SL_ERR_ARG, "no DOUBLE column secs");
    cnt_state *st = calloc(1, sizeof *st);
    if (!st) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    st->env = env;
    st->secs = c;
    st->time = s->time;
    *state = st;
    return SL_OK;
}
static void *cnt_window_new(void *state, int64_t hour) {
    cnt_windows_made++;
    cnt_windows_live++;
    return calloc(1, sizeof(cnt_win));
}
static void cnt_window_free(void *state, void *w) {
    cnt_windows_live--;
    free(w);
}
static sl_err cnt_apply(void *state, void *wp, int64_t hour, en_rows *rows, const sl_batch *b, const uint32_t *idx,
                        size_t n, char *err, size_t errlen) {
    const cnt_state *st = state;
    cnt_win *w = wp;
    const uint32_t *src = en_rows_source(rows);
    const double *secs = b->cols[st->secs].data;
    const int64_t *ts = b->cols[st->time].data;
    for (size_t k = 0; k < n; k++) {
        uint32_t i = idx[k], s = src[i];
        if (s >= 8) return sl_err_set(err, errlen, SL_ERR_ARG, "too many sources");
        if (sl_hour_floor(ts[i]) != hour) return sl_err_set(err, errlen, SL_ERR_ARG, "an event of another window");
        if (s >= w->n) w->n = s + 1;
        w->events[s]++;
        w->secs[s] += secs[i];
    }
    return SL_OK;
}
static sl_err cnt_emit(void *state, void *wp, int64_t hour, en_emit *em, char *err, size_t errlen) {
    const cnt_state *st = state;
    const cnt_win *w = wp;
    uint32_t ids[8];
    size_t n = 0;
    for (uint32_t s = 0; s < w->n; s++)
        if (w->events[s]) ids[n++] = s;
    for (size_t i = 1; i < n; i++) /* key order: source */
        for (size_t j = i; j > 0 && en_env_source_rank(st->env, ids[j - 1]) > en_env_source_rank(st->env, ids[j]); j--) {
            uint32_t x = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = x;
        }
    sl_batch *b;
    sl_err r = en_emit_begin(em, 0, n, &b, err, errlen);
    if (r != SL_OK) return r;
    for (size_t k = 0; k < n; k++) {
        uint32_t len;
        const char *name = en_env_source(st->env, ids[k], &len);
        ((int64_t *)b->cols[0].data)[k] = hour;
        if ((r = en_set_str(b, 1, k, name, len, err, errlen)) != SL_OK) return r;
        ((int64_t *)b->cols[2].data)[k] = w->events[ids[k]];
        ((double *)b->cols[3].data)[k] = w->secs[ids[k]];
    }
    return en_emit_send(em, 0, err, errlen);
}
static void cnt_close(void *state) { free(state); }
static const tr_plugin tr_count = {
    .name = "count_hourly",
    .help = "events and secs per source and hour (test)",
    .tables = cnt_tables,
    .init = cnt_init,
    .window_new = cnt_window_new,
    .window_free = cnt_window_free,
    .apply = cnt_apply,
    .emit = cnt_emit,
    .close = cnt_close,
};

static void pv_feed(en *p, const pv *e, size_t n) {
    sl_batch b;
    new_batch_of(PS, &b);
    for (size_t i = 0; i < n; i++) pv_add(&b, &e[i]);
    feed_batch(p, &b);
}

/* The dedupe keys of delivered pageviews events, "k1,k2,...". */
static char pv_delivered[1024];
static sl_err pv_events(void *ctx, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                        size_t errlen) {
    const sl_str *id = b->cols[PV_ID].data;
    for (size_t k = 0; k < n; k++) {
        size_t l = strlen(pv_delivered);
        snprintf(pv_delivered + l, sizeof pv_delivered - l, "%.*s,", (int)id[idx[k]].len, id[idx[k]].ptr);
    }
    return cap_events(ctx, hour, b, idx, n, err, errlen);
}

/* The engine on the second schema with the tiny transform: dedupe by the
 * string key (with source, within the window, after cleaning), late
 * events, the watermark, and late_events' columns from the schema. */
static void test_small_schema_engine(void) {
    char err[SL_ERRLEN];
    /* redset_metrics needs the Redset columns */
    {
        capture *c = cap_new();
        en_transform tr = {&tr_redset_metrics, rm_options(c, NULL)};
        en *x = NULL;
        CHECK(en_open(&x, PS, NULL, &tr, 1, NULL, err, sizeof err) == SL_ERR_ARG);
        CHECK(x == NULL);
        CHECK(strstr(err, "redset_metrics") != NULL);
        CHECK(strstr(err, "pageviews") != NULL);
        cap_free(c);
    }
    cnt_windows_made = cnt_windows_live = 0;
    pv_delivered[0] = 0;
    capture *c = cap_new();
    en_sink sink = {c, cap_rows, pv_events, cap_final, NULL, NULL};
    en_transform tr = {&tr_count, NULL};
    en *p = NULL;
    CHECK(en_open(&p, PS, NULL, &tr, 1, &sink, err, sizeof err) == SL_OK);
    if (!p) {
        fprintf(stderr, "  en_open: %s\n", err);
        cap_free(c);
        return;
    }
    c->tables = en_tables(p);
    c->nmetric = en_table_bad_rows(p);
    c->ev_key = -1;
    CHECK(en_schema(p) == PS);
    /* the tables: the transform's, then bad_rows, late_events, events from the schema */
    const tb_list *l = en_tables(p);
    CHECK_EQ_I64(l->n, 4);
    CHECK(l->v[0] == &cnt_table);
    CHECK_EQ_I64(en_table_bad_rows(p), 1);
    CHECK_EQ_I64(en_table_late_events(p), 2);
    CHECK_EQ_I64(en_table_events(p), 3);
    const size_t TC = 0, TB = 1, TL = 2;
    const tb_def *late = l->v[TL];
    static const char *const late_cols[] = {"hour", "source", "_input", "_row", "at", "view_id", "watermark", "raw"};
    CHECK_EQ_STR(late->name, "late_events");
    CHECK_EQ_I64(late->ncols, 8);
    for (size_t k = 0; k < 8 && k < late->ncols; k++) CHECK_EQ_STR(late->cols[k].name, late_cols[k]);
    if (late->ncols == 8) {
        CHECK(late->cols[4].type.type == SL_I64 && late->cols[4].type.logical == SL_LOG_TIMESTAMP);
        CHECK(late->cols[5].type.type == SL_BYTES); /* the dedupe column keeps its type */
        CHECK(late->cols[6].type.logical == SL_LOG_TIMESTAMP);
    }
    const tb_def *evt = l->v[3];
    static const char *const ev_cols[] = {"view_id", "user", "at", "secs", "clicks", "page", "source", "_input", "_row"};
    CHECK_EQ_I64(evt->ncols, 9);
    for (size_t k = 0; k < 9 && k < evt->ncols; k++) CHECK_EQ_STR(evt->cols[k].name, ev_cols[k]);
    if (evt->ncols == 9) CHECK(!evt->cols[0].nullable && evt->cols[3].nullable);
    /* en_own_tables gives the same, for the outputs */
    tb_def *ob = NULL, *ol = NULL, *oe = NULL;
    CHECK(en_own_tables(PS, &ob, &ol, &oe, err, sizeof err) == SL_OK);
    if (ol) {
        CHECK_EQ_I64(ol->ncols, 8);
        for (size_t k = 0; k < 8 && k < ol->ncols; k++) CHECK_EQ_STR(ol->cols[k].name, late_cols[k]);
    }
    if (oe) CHECK_EQ_I64(oe->ncols, 9);
    tb_free(ob);
    tb_free(ol);
    tb_free(oe);

    /* batch 1: hour 10 and one event of hour 11 */
    pv g = {"a", "x1", "u", at(10, 0), 1, 0, 0, false, false, NULL, NULL};
    pv e[9];
    for (int i = 0; i < 9; i++) e[i] = g, e[i].row = i;
    e[1].at = at(10, 30), e[1].secs = 100;           /* duplicate: the first copy (secs 1) wins */
    e[2].src = "b", e[2].at = at(10, 5), e[2].secs = 2; /* other source: accepted */
    e[3].id = " x1 ", e[3].at = at(10, 45), e[3].secs = 50; /* the same key once trimmed: duplicate */
    e[4].at = at(11, 0), e[4].secs = 4;              /* other window: accepted */
    e[5].id = "x10", e[5].at = at(10, 10), e[5].secs = 8; /* keys that share a prefix differ */
    e[6].id = "x", e[6].at = at(10, 11), e[6].secs = 16;
    e[7].id = "X1", e[7].at = at(10, 12), e[7].secs = 32; /* TRIM keeps the case: another key */
    e[8].id = "x9", e[8].clicks = -1, e[8].at = at(10, 20); /* bad row */
    e[8].extra = "{\"referrer\":\"x.org\"}";          /* raw: the schema's columns, then _extra's members */
    pv_feed(p, e, 9);
    const en_stats *s = en_get_stats(p);
    CHECK_EQ_I64(s->clean.rows, 9);
    CHECK_EQ_I64(s->accepted, 6);
    CHECK_EQ_I64(s->duplicates, 2);
    CHECK_EQ_I64(s->bad, 1);
    CHECK_EQ_I64(s->late, 0);
    CHECK_EQ_I64(s->max_event_us, at(11, 0));
    CHECK_EQ_I64(s->watermark_us, at(10, 50)); /* 11:00 - 10 min */
    CHECK_EQ_I64(s->open_windows, 2);
    CHECK_EQ_I64(c->nfinals, 0);
    CHECK_EQ_I64(cap_count(c, TB, true), 1);
    CHECK_PREFIX(cap_line(c, TB, true, 0), "a|0|8|negative_clicks|clicks = -1|{");
    CHECK(strstr(cap_line(c, TB, true, 0), "\"view_id\":\"x9\"") != NULL);
    CHECK(strstr(cap_line(c, TB, true, 0), "\"page\":\"/home\",\"referrer\":\"x.org\"}") != NULL);
    /* events per window, in processing order */
    CHECK_EQ_I64(c->nev, 2);
    CHECK_EQ_I64(c->ev_hour[0], at(10, 0));
    CHECK_EQ_I64(c->ev_n[0], 5);
    CHECK_EQ_I64(c->ev_hour[1], at(11, 0));
    CHECK_EQ_I64(c->ev_n[1], 1);
    CHECK_EQ_STR(pv_delivered, "x1,x1,x10,x,X1,x1,");
    /* provisional rows */
    CHECK(en_refresh(p, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(cap_count(c, TC, false), 3);
    CHECK_EQ_STR(cap_line(c, TC, false, 0), H10 "|a|4|57");
    CHECK_EQ_STR(cap_line(c, TC, false, 1), H10 "|b|1|2");
    CHECK_EQ_STR(cap_line(c, TC, false, 2), H11 "|a|1|4");

    /* batch 2: W = 11:05, hour 10 final after the batch; a copy of x1 in
     * hour 10 is judged while hour 10 is still open: a duplicate */
    pv f[2] = {g, g};
    f[0].id = "y1", f[0].at = at(11, 15), f[0].secs = 64, f[0].row = 9;
    f[1].at = at(10, 40), f[1].row = 10;
    pv_feed(p, f, 2);
    CHECK_EQ_I64(en_get_stats(p)->duplicates, 3);
    CHECK_EQ_I64(en_get_stats(p)->watermark_us, at(11, 5));
    CHECK_EQ_I64(c->nfinals, 1);
    CHECK_EQ_I64(c->finals[0], at(10, 0));
    CHECK_EQ_I64(cap_count(c, TC, true), 2);
    CHECK_EQ_STR(cap_line(c, TC, true, 0), H10 "|a|4|57");
    CHECK_EQ_STR(cap_line(c, TC, true, 1), H10 "|b|1|2");

    /* batch 3: late (hour 10 is final; hour 9 never had an event); a late
     * copy of x1 is late, not a duplicate; late events do not move W */
    pv l3[3] = {g, g, g};
    l3[0].id = "x3", l3[0].at = at(10, 59), l3[0].row = 11;
    l3[1].at = at(10, 40), l3[1].row = 12;
    l3[2].src = "b", l3[2].id = "z", l3[2].at = at(9, 0), l3[2].row = 13;
    pv_feed(p, l3, 3);
    s = en_get_stats(p);
    CHECK_EQ_I64(s->late, 3);
    CHECK_EQ_I64(s->duplicates, 3);
    CHECK_EQ_I64(s->accepted, 7);
    CHECK_EQ_I64(s->watermark_us, at(11, 5));
    CHECK_EQ_I64(cap_count(c, TL, true), 3);
    /* sorted by (source, _input, _row) */
    CHECK_PREFIX(cap_line(c, TL, true, 0), H10 "|a|0|11|2024-03-01T10:59:00.000000Z|x3|2024-03-01T11:05:00.000000Z|{");
    CHECK_PREFIX(cap_line(c, TL, true, 1), H10 "|a|0|12|2024-03-01T10:40:00.000000Z|x1|2024-03-01T11:05:00.000000Z|{");
    CHECK_PREFIX(cap_line(c, TL, true, 2),
                 "2024-03-01T09:00:00.000000Z|b|0|13|2024-03-01T09:00:00.000000Z|z|2024-03-01T11:05:00.000000Z|{");
    CHECK(strstr(cap_line(c, TL, true, 0), "\"view_id\":\"x3\"") != NULL);
    CHECK(strstr(cap_line(c, TL, true, 0), "\"at\":\"2024-03-01T10:59:00.000000Z\"") != NULL);
    CHECK(strstr(cap_line(c, TL, true, 0), "\"page\":\"/home\"") != NULL);

    finish(p);
    s = en_get_stats(p);
    CHECK_EQ_I64(s->open_windows, 0);
    CHECK_EQ_I64(s->windows_final, 2);
    CHECK_EQ_I64(c->nfinals, 2);
    CHECK_EQ_I64(c->finals[1], at(11, 0));
    CHECK_EQ_I64(c->rows_after_final, 0);
    CHECK_EQ_I64(cap_count(c, TC, true), 3);
    CHECK_EQ_STR(cap_line(c, TC, true, 2), H11 "|a|2|68");
    /* read = accepted + bad + duplicates + late; the final rows hold the accepted events */
    CHECK_EQ_I64(s->clean.rows, 14);
    int64_t q = 0;
    for (size_t i = 0; i < cap_count(c, TC, true); i++) q += (int64_t)field(cap_line(c, TC, true, i), 2);
    CHECK_EQ_I64(q, (int64_t)s->accepted);
    CHECK_EQ_I64(cnt_windows_made, 2);
    CHECK_EQ_I64(cnt_windows_live, 0); /* freed with their windows */
    en_close(p);
    cap_free(c);
}

/* A schema without a dedupe key: sc_open accepts it (the key is an optional,
 * NULL-terminated list), so the engine must not treat distinct events as
 * duplicates of each other (nothing can be a duplicate without a key). */
static const sc_col nk_cols[] = {{"id", TB_STR, SC_REQUIRED, NULL, NULL}, {"t", TB_TS, SC_REQUIRED, NULL, NULL}};
static const sc_def nk_def = {.name = "nokey", .cols = nk_cols, .ncols = 2, .time = "t"};

static void test_no_dedupe_key(void) {
    char err[SL_ERRLEN];
    const sc_schema *ks = NULL;
    if (sc_open(&ks, &nk_def, err, sizeof err) != SL_OK) return; /* refusing it is also consistent */
    CHECK_EQ_I64(ks->ndedupe, 0);
    capture *c = cap_new();
    en_sink sink = cap_sink(c);
    en *p = NULL;
    CHECK(en_open(&p, ks, NULL, NULL, 0, &sink, err, sizeof err) == SL_OK);
    if (p) {
        c->tables = en_tables(p);
        c->nmetric = en_table_bad_rows(p);
        c->ev_key = -1;
        sl_batch b;
        new_batch_of(ks, &b);
        static const char *const ids[] = {"a", "b", "c"};
        for (size_t i = 0; i < 3; i++) {
            b.nrows++;
            put_str(&b, 0, i, ids[i]);
            ((int64_t *)b.cols[1].data)[i] = at(10, (int)i);
            put_str(&b, ks->source, i, "s");
            ((int32_t *)b.cols[ks->input].data)[i] = 0;
            ((int64_t *)b.cols[ks->row].data)[i] = (int64_t)i;
            put_str(&b, ks->error, i, NULL);
            put_str(&b, ks->extra, i, NULL);
        }
        feed_batch(p, &b);
        /* three distinct events, one source, one window */
        CHECK_EQ_I64(en_get_stats(p)->duplicates, 0);
        CHECK_EQ_I64(en_get_stats(p)->accepted, 3);
        CHECK_EQ_I64(c->nev == 1 ? c->ev_n[0] : 0, 3);
        en_close(p);
    }
    cap_free(c);
    sc_close(ks);
}

/* A time column without SC_REQUIRED: sc_open accepts it (it only asks for
 * a TIMESTAMP), so cleaning must still not accept an event without a time
 * (the engine would window it at 1970-01-01). */
static const sc_col nt_cols[] = {{"id", TB_STR, SC_REQUIRED, NULL, NULL}, {"t", TB_TS, 0, NULL, NULL}};
static const sc_def nt_def = {.name = "opttime", .cols = nt_cols, .ncols = 2, .time = "t", .dedupe = {"id"}};

static void test_null_time_not_accepted(void) {
    char err[SL_ERRLEN];
    const sc_schema *ts = NULL;
    if (sc_open(&ts, &nt_def, err, sizeof err) != SL_OK) return; /* refusing it is also consistent */
    sl_batch b;
    new_batch_of(ts, &b);
    for (size_t i = 0; i < 2; i++) {
        b.nrows++;
        put_str(&b, 0, i, i ? "b" : "a");
        ((int64_t *)b.cols[1].data)[i] = i ? at(10, 0) : 0;
        set_valid(&b, 1, i, i != 0); /* row 0: NULL time */
        put_str(&b, ts->source, i, "s");
        ((int32_t *)b.cols[ts->input].data)[i] = 0;
        ((int64_t *)b.cols[ts->row].data)[i] = (int64_t)i;
        put_str(&b, ts->error, i, NULL);
        put_str(&b, ts->extra, i, NULL);
    }
    uint8_t st[2];
    cl_counters c;
    memset(&c, 0, sizeof c);
    CHECK(cl_clean(ts, NULL, &b, st, NULL, NULL, &c, err, sizeof err) == SL_OK);
    CHECK(st[0] != 0); /* no event time: a bad row */
    CHECK_EQ_I64(st[1], 0);
    CHECK_EQ_I64(c.accepted_clean, 1);
    sl_batch_free(&b);
    sc_close(ts);
}

/* Redset: the column indexes and table indexes the tests use. */
static bool setup_redset(void) {
    char err[SL_ERRLEN];
    if (sc_open(&S, &sc_redset_def, err, sizeof err) != SL_OK) {
        fprintf(stderr, "sc_open: %s\n", err);
        return false;
    }
    K.inst = col("instance_id"), K.qid = col("query_id"), K.ts = col("arrival_timestamp");
    K.compile = col("compile_duration_ms"), K.queue = col("queue_duration_ms"), K.exec = col("execution_duration_ms");
    K.fp = col("feature_fingerprint"), K.aborted = col("was_aborted"), K.cached = col("was_cached");
    K.qtype = col("query_type"), K.mbs = col("mbytes_scanned"), K.mbsp = col("mbytes_spilled");
    K.joins = col("num_joins"), K.reads = col("read_table_ids");
    for (size_t k = 0; k < sizeof UNFILLED / sizeof *UNFILLED; k++) unfilled[col(UNFILLED[k])] = true;
    capture *c = cap_new();
    en *p = open_en(c, NULL, NULL);
    const tb_list *l = en_tables(p);
    static const char *const names[] = {"query_hourly",      "spill_hourly",        "cache_hourly",
                                        "top_tables_hourly", "compile_joins_hourly", "compile_corr_hourly",
                                        "utilization_hourly", "bad_rows",           "late_events",
                                        "events"};
    size_t *idx[] = {&T_QUERY, &T_SPILL, &T_CACHE, &T_TOP, &T_JOINS, &T_CORR, &T_UTIL, &T_BAD, &T_LATE, &T_EVENTS};
    bool ok = true;
    for (size_t k = 0; k < 10; k++) {
        int i = tb_list_find(l, names[k]);
        if (i < 0) {
            fprintf(stderr, "no table %s\n", names[k]);
            ok = false;
        }
        *idx[k] = (size_t)i;
    }
    N_METRIC = en_table_bad_rows(p);
    en_close(p);
    cap_free(c);
    return ok;
}

int main(void) {
    T0 = sl_days_from_civil(2024, 3, 1) * 86400 * INT64_C(1000000);
    if (!setup_redset()) return 1;
    char err[SL_ERRLEN];
    if (sc_open(&PS, &pv_def, err, sizeof err) != SL_OK) {
        fprintf(stderr, "sc_open(pageviews): %s\n", err);
        return 1;
    }
    RUN(test_tables);
    RUN(test_all_tables);
    RUN(test_watermark_and_late);
    RUN(test_duplicates);
    RUN(test_busy_spillover);
    RUN(test_top_k_ties);
    RUN(test_top_k_many);
    RUN(test_corr_and_joins);
    RUN(test_slowdown);
    RUN(test_bad_rows_and_identity);
    RUN(test_events_grouping);
    RUN(test_order_independence);
    RUN(test_checkpoint_resume);
    RUN(test_state_bounded);
    RUN(test_refresh);
    RUN(test_opts);
    RUN(test_weights);
    RUN(test_small_schema_open);
    RUN(test_small_schema_input);
    RUN(test_small_schema_clean);
    RUN(test_small_schema_engine);
    RUN(test_no_dedupe_key);
    RUN(test_null_time_not_accepted);
    sc_close(PS);
    sc_close(S);
    return T_DONE();
}
