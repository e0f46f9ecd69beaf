/* test_proc.c: the event-time processor (stream/proc.h) against hand-computed
 * answers (docs/metrics.md sections 2.3, 3, 4).
 *
 * Events are built directly as canonical batches (replay/event.h) and go
 * through the real cleaning (stream/clean.c).  A capturing sink renders every
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
#include "replay/event.h"
#include "stream/proc.h"
#include "t.h"
#include "util/buf.h"
#include "util/time.h"

/* ------------------------------------------------------------------ times */

#define MIN_US INT64_C(60000000)
#define HOUR_US INT64_C(3600000000)
static int64_t T0; /* 2024-03-01T00:00:00Z */
static int64_t at(int h, int m) { return T0 + h * HOUR_US + m * MIN_US; }

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
    sl_col *col = &b->cols[c];
    if (valid) {
        if (col->valid) sl_bit_set(col->valid, i);
        return;
    }
    uint8_t *v = sl_col_valid_alloc(b, (size_t)c);
    /* bits of rows not yet written may be 1 (fresh bitmap): clear only this one */
    sl_bit_clear(v, i);
    col->null_count++;
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

static void new_batch(sl_batch *b) {
    char err[SL_ERRLEN];
    sl_batch_init(b);
    if (ev_init_batch(b, err, sizeof err) != SL_OK) abort();
    if (sl_batch_reserve(b, 4096, err, sizeof err) != SL_OK) abort();
}

static void add(sl_batch *b, const ev *e) {
    size_t i = b->nrows++;
    ((int32_t *)b->cols[EV_INSTANCE_ID].data)[i] = e->inst;
    set_valid(b, EV_INSTANCE_ID, i, true);
    for (int c = 0; c < EV_NCOLS; c++) {
        /* nullable columns we never fill */
        if (c == EV_CLUSTER_SIZE || c == EV_USER_ID || c == EV_DATABASE_ID || c == EV_CACHE_SOURCE_QID ||
            c == EV_NUM_PERM_TABLES || c == EV_NUM_EXT_TABLES || c == EV_NUM_SYS_TABLES || c == EV_WRITE_TABLE_IDS ||
            c == EV_NUM_SCANS || c == EV_NUM_AGGREGATIONS || c == EV_ERROR || c == EV_EXTRA) {
            memset((char *)b->cols[c].data + i * sl_type_width(b->cols[c].t.type), 0, sl_type_width(b->cols[c].t.type));
            set_valid(b, c, i, false);
        }
    }
    ((int64_t *)b->cols[EV_QUERY_ID].data)[i] = e->null_qid ? 0 : e->qid;
    set_valid(b, EV_QUERY_ID, i, !e->null_qid);
    ((int64_t *)b->cols[EV_ARRIVAL_TS].data)[i] = e->ts;
    set_valid(b, EV_ARRIVAL_TS, i, true);
    bool cnull = isnan(e->compile);
    ((double *)b->cols[EV_COMPILE_MS].data)[i] = cnull ? 0 : e->compile;
    set_valid(b, EV_COMPILE_MS, i, !cnull);
    ((int64_t *)b->cols[EV_QUEUE_MS].data)[i] = e->queue;
    set_valid(b, EV_QUEUE_MS, i, true);
    ((int64_t *)b->cols[EV_EXEC_MS].data)[i] = e->exec;
    set_valid(b, EV_EXEC_MS, i, true);
    put_str(b, EV_FINGERPRINT, i, e->fp);
    ((int32_t *)b->cols[EV_WAS_ABORTED].data)[i] = e->aborted;
    set_valid(b, EV_WAS_ABORTED, i, true);
    ((int32_t *)b->cols[EV_WAS_CACHED].data)[i] = e->cached;
    set_valid(b, EV_WAS_CACHED, i, true);
    put_str(b, EV_QUERY_TYPE, i, e->null_qtype ? NULL : e->qtype ? e->qtype : "select");
    bool snull = isnan(e->mbs), spnull = isnan(e->mbsp);
    ((double *)b->cols[EV_MBYTES_SCANNED].data)[i] = snull ? 0 : e->mbs;
    set_valid(b, EV_MBYTES_SCANNED, i, !snull);
    ((double *)b->cols[EV_MBYTES_SPILLED].data)[i] = spnull ? 0 : e->mbsp;
    set_valid(b, EV_MBYTES_SPILLED, i, !spnull);
    ((int64_t *)b->cols[EV_NUM_JOINS].data)[i] = e->joins;
    set_valid(b, EV_NUM_JOINS, i, true);
    put_str(b, EV_READ_TABLE_IDS, i, e->reads);
    put_str(b, EV_SOURCE, i, e->src ? e->src : "p");
    ((int32_t *)b->cols[EV_INPUT].data)[i] = 0;
    ((int64_t *)b->cols[EV_ROW].data)[i] = e->row;
}

/* ------------------------------------------------------------------ capture sink */

typedef struct crow {
    int t;
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
    int64_t ev_qid[65536]; /* query ids of delivered events, in call order */
    size_t nqid;
    int rows_after_final; /* metric rows of a window delivered after its window_final */
    int final_empty_calls;
} capture;

static sl_err cap_rows(void *ctx, st_table t, int64_t hour, bool final, const sl_batch *b, char *err, size_t errlen) {
    capture *c = ctx;
    if (t < ST_N_METRIC_TABLES)
        for (size_t k = 0; k < c->nfinals; k++)
            if (c->finals[k] == hour) c->rows_after_final++;
    if (b->ncols != st_table_ncols(t)) return sl_err_set(err, errlen, SL_ERR_ARG, "wrong column count");
    sl_buf line;
    sl_buf_init(&line);
    for (size_t i = 0; i < b->nrows; i++) {
        line.len = 0;
        for (size_t col = 0; col < b->ncols; col++) {
            if (col) sl_buf_putc(&line, '|');
            size_t at0 = line.len;
            sl_fmt_value(&line, &b->cols[col], i, SL_FMT_TEXT);
            /* whole doubles: "30" rather than "30.0", so expectations read like integers */
            if (b->cols[col].t.type == SL_F64 && line.len >= at0 + 3 && memcmp(line.p + line.len - 2, ".0", 2) == 0)
                line.len -= 2;
        }
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 256;
            c->rows = realloc(c->rows, c->cap * sizeof *c->rows);
        }
        c->rows[c->n++] = (crow){(int)t, hour, final, strdup(sl_buf_cstr(&line))};
    }
    sl_buf_free(&line);
    return SL_OK;
}

static sl_err cap_events(void *ctx, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                         size_t errlen) {
    capture *c = ctx;
    c->ev_hour[c->nev] = hour;
    c->ev_n[c->nev++] = n;
    for (size_t k = 0; k < n; k++) c->ev_qid[c->nqid++] = ((const int64_t *)b->cols[EV_QUERY_ID].data)[idx[k]];
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
    free(c);
}
static pr_sink cap_sink(capture *c) { return (pr_sink){c, cap_rows, cap_events, cap_final}; }

/* Number of captured rows of table t (final or provisional). */
static size_t cap_count(const capture *c, st_table t, bool final) {
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) n += c->rows[i].t == (int)t && c->rows[i].final == final;
    return n;
}
/* The k-th captured line of table t (final or provisional), or "". */
static const char *cap_line(const capture *c, st_table t, bool final, size_t k) {
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].t == (int)t && c->rows[i].final == final && k-- == 0) return c->rows[i].line;
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

static pr *open_pr(capture *c, const pr_opts *o) {
    char err[SL_ERRLEN];
    pr *p = NULL;
    pr_sink s = cap_sink(c);
    if (pr_open(&p, o, &s, err, sizeof err) != SL_OK) {
        fprintf(stderr, "pr_open: %s\n", err);
        abort();
    }
    return p;
}

static void check_identity(const pr *p) {
    const pr_stats *s = pr_get_stats(p);
    CHECK_EQ_I64(s->clean.rows, s->accepted + s->bad + s->duplicates + s->late);
}

/* Process the events ev[0..n) as one batch. */
static void feed(pr *p, const ev *e, size_t n) {
    sl_batch b;
    new_batch(&b);
    for (size_t i = 0; i < n; i++) add(&b, &e[i]);
    char err[SL_ERRLEN];
    sl_err r = pr_process(p, &b, err, sizeof err);
    if (r != SL_OK) fprintf(stderr, "  pr_process: %s\n", err);
    CHECK(r == SL_OK);
    check_identity(p);
    sl_batch_free(&b);
}
static void finish(pr *p) {
    char err[SL_ERRLEN];
    sl_err r = pr_finish(p, err, sizeof err);
    if (r != SL_OK) fprintf(stderr, "  pr_finish: %s\n", err);
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
    pr *p = open_pr(c, NULL);
    ev e[] = {
        /* src inst qid ts       qtype     compile queue exec ab ca  mbs  mbsp joins reads fp */
        {"p", 1, 1, at(10, 0), "select", 10, 5, 100, 0, 0, 1.5, 0, 2, "5,7", NULL, 0, false, false},
        {"p", 1, 2, at(10, 10), "select", 20, 0, 200, 1, 0, 2.5, 3.0, 2, "7", NULL, 1, false, false},
        {"p", 1, 3, at(10, 20), "  INSERT ", N, 1, 10, 0, 0, N, 0.5, 0, NULL, NULL, 2, false, false},
        {"p", 2, 1, at(10, 30), "other", N, 0, 0, 0, 1, N, N, 0, NULL, NULL, 3, false, false},
        {"s", 1, 1, at(10, 40), "select", 30, 0, 0, 0, 0, 0, 1.0, 4, "", NULL, 4, false, false},
    };
    feed(p, e, 5);
    CHECK_EQ_I64(pr_get_stats(p)->open_windows, 1);
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 0); /* nothing final yet */
    finish(p);
    CHECK_EQ_I64(pr_get_stats(p)->accepted, 5);
    CHECK_EQ_I64(pr_get_stats(p)->open_windows, 0);
    CHECK_EQ_I64(pr_get_stats(p)->windows_final, 1);
    CHECK_EQ_I64(c->nfinals, 1);
    CHECK_EQ_I64(c->finals[0], at(10, 0));
    CHECK_EQ_I64(c->rows_after_final, 0);

    /* query_hourly: key order (source, instance, query_type); INSERT trimmed + lower-cased.
     * p|1|select = e1+e2: queries 2, aborted 1, cached 0, spilled 1 (e2), compile 30, queue 5, exec 300,
     * scanned 4, spilled 3. */
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 4);
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 0), H10 "|p|1|insert|1|0|0|1|0|1|10|0|0.5");
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 1), H10 "|p|1|select|2|1|0|1|30|5|300|4|3");
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 2), H10 "|p|2|other|1|0|1|0|0|0|0|0|0");
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 3), H10 "|s|1|select|1|0|0|1|30|0|0|0|1");
    /* spill_hourly by query_type: insert 1/0.5/1, other 0/0/1, select: spilled e2+e5 = 2, 3+1 = 4, 3 queries */
    CHECK_EQ_I64(cap_count(c, ST_SPILL_HOURLY, true), 3);
    CHECK_EQ_STR(cap_line(c, ST_SPILL_HOURLY, true, 0), H10 "|insert|1|0.5|1");
    CHECK_EQ_STR(cap_line(c, ST_SPILL_HOURLY, true, 1), H10 "|other|0|0|1");
    CHECK_EQ_STR(cap_line(c, ST_SPILL_HOURLY, true, 2), H10 "|select|2|4|3");
    /* cache_hourly: p|1 0 of 3, p|2 1 of 1, s|1 0 of 1 */
    CHECK_EQ_I64(cap_count(c, ST_CACHE_HOURLY, true), 3);
    CHECK_EQ_STR(cap_line(c, ST_CACHE_HOURLY, true, 0), H10 "|p|1|0|3|0");
    CHECK_EQ_STR(cap_line(c, ST_CACHE_HOURLY, true, 1), H10 "|p|2|1|1|1");
    CHECK_EQ_STR(cap_line(c, ST_CACHE_HOURLY, true, 2), H10 "|s|1|0|1|0");
    /* top tables: p|1 reads {5,7} and {7}: 7 -> 2, 5 -> 1; s|1 read "" (empty set): no rows */
    CHECK_EQ_I64(cap_count(c, ST_TOP_TABLES_HOURLY, true), 2);
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 0), H10 "|p|1|1|7|2");
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 1), H10 "|p|1|2|5|1");
    /* compile_joins: selects not cached: e1 (2 joins, 10), e2 (2, 20), e5 (4, 30) */
    CHECK_EQ_I64(cap_count(c, ST_COMPILE_JOINS_HOURLY, true), 2);
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 0), H10 "|2|2|30|20");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 1), H10 "|4-5|1|30|30");
    /* corr of x = (2,2,4), y = (10,20,30): mean (8/3, 20), Sxy = 20, Sxx = 8/3, Syy = 200
     * -> 20 / sqrt(1600/3) = sqrt(3)/2 */
    CHECK_EQ_I64(cap_count(c, ST_COMPILE_CORR_HOURLY, true), 1);
    const char *cl = cap_line(c, ST_COMPILE_CORR_HOURLY, true, 0);
    CHECK_PREFIX(cl, H10 "|3|");
    CHECK_NEAR(field(cl, 2), sqrt(3.0) / 2);
    /* utilization.
     * p|1: busy e1 100 ms (start 10:00 + 5 + 10 ms), e2 200, e3 10 -> 310 ms; conc 310/3.6e6;
     *      q = 6 / (6 + 30 + 310), c = 30 / 346, s = 2/3 (e2, e3 spilled), p = conc / 5;
     *      composite = mean < 0.5 -> 0; no fingerprints -> slowdown NULL, fp_groups 0.
     * p|2: cached, exec 0: busy 0, q = c = 0 (denominator 0), s = 0, p = 0, composite 0.
     * s|1: busy 0, q = 0/30, c = 30/30 = 1, s = 1/1, p = 0: composite = 0.5 >= 0.5 -> 1. */
    CHECK_EQ_I64(cap_count(c, ST_UTILIZATION_HOURLY, true), 3);
    const char *u = cap_line(c, ST_UTILIZATION_HOURLY, true, 0);
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
    CHECK_EQ_STR(cap_line(c, ST_UTILIZATION_HOURLY, true, 1), H10 "|p|2|0|0|0|0|0|0|0|0|null|0");
    CHECK_EQ_STR(cap_line(c, ST_UTILIZATION_HOURLY, true, 2), H10 "|s|1|0|0|0|1|1|0|0.5|1|null|0");
    /* accepted events delivered once, for hour 10, in input order */
    CHECK_EQ_I64(c->nev, 1);
    CHECK_EQ_I64(c->ev_hour[0], at(10, 0));
    CHECK_EQ_I64(c->ev_n[0], 5);
    pr_close(p);
    cap_free(c);
}

/* W = max accepted arrival - 10 min; hour H is final once W >= H + 1h. */
static void test_watermark_and_late(void) {
    capture *c = cap_new();
    pr *p = open_pr(c, NULL);
    ev a = {"p", 1, 1, at(10, 5), "select", 1, 0, 1, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    feed(p, &a, 1);
    CHECK_EQ_I64(pr_get_stats(p)->watermark_us, at(9, 55));
    CHECK_EQ_I64(pr_get_stats(p)->max_arrival_us, at(10, 5));
    ev b = a;
    b.qid = 2;
    b.ts = at(11, 10) - 1; /* W = 10:59:59.999999: hour 10 still open */
    feed(p, &b, 1);
    CHECK_EQ_I64(pr_get_stats(p)->open_windows, 2);
    CHECK_EQ_I64(pr_get_stats(p)->windows_final, 0);
    CHECK_EQ_I64(c->nfinals, 0);
    /* an event at 10:50 is below W but its window is open: accepted */
    ev b2 = a;
    b2.qid = 3;
    b2.ts = at(10, 50);
    feed(p, &b2, 1);
    CHECK_EQ_I64(pr_get_stats(p)->accepted, 3);
    CHECK_EQ_I64(pr_get_stats(p)->late, 0);
    ev d = a;
    d.qid = 4;
    d.ts = at(11, 10); /* W = 11:00 -> hour 10 final */
    feed(p, &d, 1);
    CHECK_EQ_I64(pr_get_stats(p)->watermark_us, at(11, 0));
    CHECK_EQ_I64(c->nfinals, 1);
    CHECK_EQ_I64(c->finals[0], at(10, 0));
    CHECK_EQ_I64(pr_get_stats(p)->windows_final, 1);
    CHECK_EQ_I64(pr_get_stats(p)->open_windows, 1);
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 1);
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 0), H10 "|p|1|select|2|0|0|0|2|0|2|0|0");
    /* late: an event of the final hour 10, and one of hour 9 that never held an event;
     * a smaller arrival does not move W back; 11:59 is still accepted */
    ev l[3] = {a, a, a};
    l[0].qid = 5, l[0].ts = at(10, 59), l[0].row = 7;
    l[1].qid = 6, l[1].ts = at(9, 0), l[1].row = 3;
    l[2].qid = 7, l[2].ts = at(11, 59), l[2].row = 9;
    feed(p, l, 3);
    CHECK_EQ_I64(pr_get_stats(p)->late, 2);
    CHECK_EQ_I64(pr_get_stats(p)->accepted, 5);
    CHECK_EQ_I64(pr_get_stats(p)->watermark_us, at(11, 49));
    CHECK_EQ_I64(cap_count(c, ST_LATE_EVENTS, true), 2);
    /* sorted by (source, _input, _row): row 3 first */
    const char *l0 = cap_line(c, ST_LATE_EVENTS, true, 0);
    const char *l1 = cap_line(c, ST_LATE_EVENTS, true, 1);
    CHECK_PREFIX(l0, "2024-03-01T09:00:00.000000Z|p|0|3|2024-03-01T09:00:00.000000Z|1|6|2024-03-01T11:00:00.000000Z|{");
    CHECK_PREFIX(l1, H10 "|p|0|7|2024-03-01T10:59:00.000000Z|1|5|2024-03-01T11:00:00.000000Z|{");
    CHECK(strstr(l1, "\"query_id\":5") != NULL);
    CHECK(strstr(l1, "\"arrival_timestamp\":\"2024-03-01T10:59:00.000000Z\"") != NULL);
    CHECK(strstr(l1, "\"query_type\":\"select\"") != NULL);
    CHECK(strstr(l1, "\"feature_fingerprint\":null") != NULL);
    /* the late event was not applied: hour 10 was emitted once, with 2 queries */
    finish(p);
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 2);
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 1), H11 "|p|1|select|3|0|0|0|3|0|3|0|0");
    CHECK_EQ_I64(c->nfinals, 2);
    CHECK_EQ_I64(c->rows_after_final, 0);
    CHECK_EQ_I64(pr_get_stats(p)->open_windows, 0);
    /* accepted events were delivered (late ones not): qids 1,2,3,4,7 */
    CHECK_EQ_I64(c->nqid, 5);
    CHECK_EQ_I64(c->ev_qid[4], 7);
    pr_close(p);
    cap_free(c);
}

/* Duplicates: same (source, instance, query) in the same hour; not across hours or sources. */
static void test_duplicates(void) {
    capture *c = cap_new();
    pr_opts o = pr_opts_default();
    o.lateness_us = 3 * HOUR_US;
    pr *p = open_pr(c, &o);
    ev base = {"p", 1, 7, at(10, 1), "select", 0, 0, 100, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[5] = {base, base, base, base, base};
    e[1].ts = at(10, 2), e[1].exec = 999;      /* same hour: duplicate, first copy (exec 100) wins */
    e[2].ts = at(11, 1), e[2].exec = 50;       /* other hour: accepted */
    e[3].src = "q", e[3].exec = 7;             /* other source: accepted */
    e[4].inst = 2, e[4].exec = 8;              /* other instance: accepted */
    feed(p, e, 5);
    CHECK_EQ_I64(pr_get_stats(p)->duplicates, 1);
    CHECK_EQ_I64(pr_get_stats(p)->accepted, 4);
    ev again = base; /* a later batch: still a duplicate while hour 10 is open */
    again.ts = at(10, 59);
    feed(p, &again, 1);
    CHECK_EQ_I64(pr_get_stats(p)->duplicates, 2);
    finish(p);
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 4);
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 0), H10 "|p|1|select|1|0|0|0|0|0|100|0|0");
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 1), H10 "|p|2|select|1|0|0|0|0|0|8|0|0");
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 2), H10 "|q|1|select|1|0|0|0|0|0|7|0|0");
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, true, 3), H11 "|p|1|select|1|0|0|0|0|0|50|0|0");
    pr_close(p);
    cap_free(c);
}

/* Busy time of a long query spills into later hours (microsecond precision). */
static void test_busy_spillover(void) {
    capture *c = cap_new();
    pr *p = open_pr(c, NULL);
    ev e[2] = {
        /* 10:30 + 0 + 0, exec 2 h: 30 min in 10, 60 in 11, 30 in 12 */
        {"p", 1, 1, at(10, 30), "select", N, 0, 7200000, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false},
        /* 10:59:59.999400 + compile 0.1006 ms (rounds to 101 us): start 10:59:59.999501, 1 ms:
         * 0.499 ms in 10 and 0.501 ms in 11 */
        {"p", 2, 1, at(11, 0) - 600, "select", 0.1006, 0, 1, 0, 0, 0, 0, 0, NULL, NULL, 1, false, false},
    };
    feed(p, e, 2);
    /* the future hours exist as open windows */
    CHECK_EQ_I64(pr_get_stats(p)->open_windows, 3);
    char err[SL_ERRLEN];
    CHECK(pr_refresh(p, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(cap_count(c, ST_UTILIZATION_HOURLY, false), 5);
    CHECK_EQ_I64(cap_count(c, ST_UTILIZATION_HOURLY, true), 0);
    finish(p);
    CHECK_EQ_I64(c->nfinals, 3);
    CHECK_EQ_I64(c->finals[2], at(12, 0));
    /* hour 10: p|1 busy 1,800,000 ms, conc 0.5, q = c = 0 (sums 0/7.2e6), s = 0, p = 0.1 -> 0.025
     *          p|2 busy 0.499 ms, q = 0, c = 0.1006 / 1.1006, s = 0, p = 0.499/3.6e6/5 */
    CHECK_EQ_I64(cap_count(c, ST_UTILIZATION_HOURLY, true), 5);
    CHECK_EQ_STR(cap_line(c, ST_UTILIZATION_HOURLY, true, 0), H10 "|p|1|1800000|0.5|0|0|0|0.1|0.025|0|null|0");
    const char *u = cap_line(c, ST_UTILIZATION_HOURLY, true, 1);
    CHECK_PREFIX(u, H10 "|p|2|0.499|");
    CHECK_NEAR(field(u, 6), 0.1006 / 1.1006);
    CHECK_NEAR(field(u, 8), 0.499 / 3.6e6 / 5);
    /* hour 11 (no arrivals): p|1 a full hour: conc 1, p = 0.2, composite 0.05; p|2 0.501 ms */
    CHECK_EQ_STR(cap_line(c, ST_UTILIZATION_HOURLY, true, 2), H11 "|p|1|3600000|1|0|0|0|0.2|0.05|0|null|0");
    u = cap_line(c, ST_UTILIZATION_HOURLY, true, 3);
    CHECK_PREFIX(u, H11 "|p|2|0.501|");
    CHECK_NEAR(field(u, 8), 0.501 / 3.6e6 / 5);
    /* hour 12: a row from spill-over alone */
    CHECK_EQ_STR(cap_line(c, ST_UTILIZATION_HOURLY, true, 4), H12 "|p|1|1800000|0.5|0|0|0|0.1|0.025|0|null|0");
    /* no arrivals in 11 and 12: no rows in the arrival tables */
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 2);
    CHECK_EQ_I64(cap_count(c, ST_CACHE_HOURLY, true), 2);
    pr_close(p);
    cap_free(c);
}

/* top-k: reads desc, then table_id asc; k rows at most; instances without reads get none. */
static void test_top_k_ties(void) {
    capture *c = cap_new();
    pr_opts o = pr_opts_default();
    o.top_k = 3;
    pr *p = open_pr(c, &o);
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
    CHECK_EQ_I64(cap_count(c, ST_TOP_TABLES_HOURLY, true), 4);
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 0), H10 "|p|1|1|30|3");
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 1), H10 "|p|1|2|10|2");
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 2), H10 "|p|1|3|20|2");
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 3), H10 "|p|2|1|9|1");
    CHECK_EQ_I64(pr_get_stats(p)->clean.bad_table_id, 1);
    pr_close(p);
    cap_free(c);
}

/* A larger top-k selection (exercises the partial sort) against a full sort. */
static void test_top_k_many(void) {
    capture *c = cap_new();
    pr_opts o = pr_opts_default();
    o.top_k = 5;
    pr *p = open_pr(c, &o);
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
    CHECK_EQ_I64(cap_count(c, ST_TOP_TABLES_HOURLY, true), 5);
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 0), H10 "|p|1|1|200|15");
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 3), H10 "|p|1|4|203|15");
    CHECK_EQ_STR(cap_line(c, ST_TOP_TABLES_HOURLY, true, 4), H10 "|p|1|5|0|9");
    pr_close(p);
    cap_free(c);
}

/* compile_corr NULL cases and the joins buckets in key (text) order. */
static void test_corr_and_joins(void) {
    capture *c = cap_new();
    pr_opts o = pr_opts_default();
    o.lateness_us = 10 * HOUR_US;
    pr *p = open_pr(c, &o);
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
    CHECK_EQ_I64(cap_count(c, ST_COMPILE_CORR_HOURLY, true), 4);
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_CORR_HOURLY, true, 0), H10 "|1|null");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_CORR_HOURLY, true, 1), H11 "|2|null");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_CORR_HOURLY, true, 2), H12 "|3|null");
    /* hour 13: x = (1,3,5), y = (10,30,20): mean (3, 20); Sxy = (-2)(-10) + 0 + 2*0 = 20, Sxx = 8,
     * Syy = 100 + 0 + 0 = 200 -> 20 / 40 = 0.5 */
    const char *l = cap_line(c, ST_COMPILE_CORR_HOURLY, true, 3);
    CHECK_PREFIX(l, "2024-03-01T13:00:00.000000Z|3|");
    CHECK_NEAR(field(l, 2), 0.5);
    /* buckets of hour 12 in text order: 0, 10+, 6-9 */
    size_t n = cap_count(c, ST_COMPILE_JOINS_HOURLY, true);
    CHECK_EQ_I64(n, 1 + 1 + 3 + 3);
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 0), H10 "|3|1|5|5");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 1), H11 "|2|2|14|9");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 2), H12 "|0|1|4|4");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 3), H12 "|10+|1|4|4");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 4), H12 "|6-9|1|4|4");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 5), "2024-03-01T13:00:00.000000Z|1|1|10|10");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 6), "2024-03-01T13:00:00.000000Z|3|1|30|30");
    CHECK_EQ_STR(cap_line(c, ST_COMPILE_JOINS_HOURLY, true, 7), "2024-03-01T13:00:00.000000Z|4-5|1|20|20");
    pr_close(p);
    cap_free(c);
}

/* slowdown = sum exec / sum(count * min exec) over fingerprint groups of >= 2. */
static void test_slowdown(void) {
    capture *c = cap_new();
    pr *p = open_pr(c, NULL);
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
    CHECK_EQ_I64(cap_count(c, ST_UTILIZATION_HOURLY, true), 2);
    const char *u = cap_line(c, ST_UTILIZATION_HOURLY, true, 0);
    CHECK_NEAR(field(u, 11), 1.75);
    CHECK_EQ_I64(field(u, 12), 2);
    u = cap_line(c, ST_UTILIZATION_HOURLY, true, 1);
    CHECK(isnan(field(u, 11)));
    CHECK_EQ_I64(field(u, 12), 0);
    /* busy of inst 1: 100+200+300+1000+50+50+10+10+20+10+30 = 1780 ms */
    CHECK_NEAR(field(cap_line(c, ST_UTILIZATION_HOURLY, true, 0), 3), 1780);
    pr_close(p);
    cap_free(c);
}

/* Bad rows: reason, detail, raw; key order; identity after every batch. */
static void test_bad_rows_and_identity(void) {
    capture *c = cap_new();
    pr *p = open_pr(c, NULL);
    ev g = {"p", 1, 1, at(10, 0), "select", 1, 1, 1, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    ev e[6] = {g, g, g, g, g, g};
    e[0].row = 10, e[0].null_qtype = true;             /* missing_query_type */
    e[1].row = 4, e[1].qid = 2, e[1].exec = -5;        /* negative_execution_duration_ms */
    e[2].row = 6, e[2].qid = 3, e[2].ts = at(-300000, 0); /* before 2000: bad_timestamp */
    e[3].row = 1, e[3].qid = 4;                        /* good */
    e[4].row = 2, e[4].qid = 4;                        /* duplicate */
    e[5].row = 3, e[5].null_qid = true;                /* missing_query_id */
    feed(p, e, 6);
    const pr_stats *s = pr_get_stats(p);
    CHECK_EQ_I64(s->bad, 4);
    CHECK_EQ_I64(s->accepted, 1);
    CHECK_EQ_I64(s->duplicates, 1);
    CHECK_EQ_I64(s->clean.rows, 6);
    /* the bad timestamp did not move W */
    CHECK_EQ_I64(s->watermark_us, at(9, 50));
    CHECK_EQ_I64(cap_count(c, ST_BAD_ROWS, true), 4);
    /* sorted by _row: 3, 4, 6, 10 */
    CHECK_PREFIX(cap_line(c, ST_BAD_ROWS, true, 0), "p|0|3|missing_query_id|");
    CHECK_PREFIX(cap_line(c, ST_BAD_ROWS, true, 1), "p|0|4|negative_execution_duration_ms|");
    CHECK_PREFIX(cap_line(c, ST_BAD_ROWS, true, 2), "p|0|6|bad_timestamp|");
    CHECK_PREFIX(cap_line(c, ST_BAD_ROWS, true, 3), "p|0|10|missing_query_type|");
    CHECK(strstr(cap_line(c, ST_BAD_ROWS, true, 1), "\"execution_duration_ms\":-5") != NULL);
    CHECK(strstr(cap_line(c, ST_BAD_ROWS, true, 0), "\"query_id\":null") != NULL);
    /* later batches: identity checked in feed() after each */
    ev f[3] = {g, g, g};
    f[0].qid = 9, f[0].ts = at(12, 0); /* W = 11:50: hour 10 final */
    f[1].qid = 10, f[1].ts = at(10, 30); /* late (same batch: judged against the previous W) */
    f[2].qid = 11, f[2].ts = at(10, 31);
    feed(p, f, 3);
    CHECK_EQ_I64(pr_get_stats(p)->late, 0); /* hour 10 was still open when the batch started */
    ev l = g;
    l.qid = 12, l.ts = at(10, 59);
    feed(p, &l, 1);
    CHECK_EQ_I64(pr_get_stats(p)->late, 1);
    finish(p);
    /* read = sum(final queries) + late + bad + duplicates */
    int64_t q = 0;
    for (size_t i = 0; i < cap_count(c, ST_QUERY_HOURLY, true); i++)
        q += (int64_t)field(cap_line(c, ST_QUERY_HOURLY, true, i), 4);
    CHECK_EQ_I64(q, 4);
    CHECK_EQ_I64(pr_get_stats(p)->clean.rows,
                 q + (int64_t)cap_count(c, ST_LATE_EVENTS, true) + (int64_t)cap_count(c, ST_BAD_ROWS, true) +
                     (int64_t)pr_get_stats(p)->duplicates);
    pr_close(p);
    cap_free(c);
}

/* Accepted events are delivered per hour (ascending), in processing order within the hour. */
static void test_events_grouping(void) {
    capture *c = cap_new();
    pr *p = open_pr(c, NULL);
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
    pr_close(p);
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
    pr_opts o = pr_opts_default();
    o.lateness_us = 6 * HOUR_US; /* every event within lateness: nothing late */
    pr *p = open_pr(c, &o);
    ev *tmp = malloc(NGEN * sizeof *tmp);
    for (size_t i = 0; i < NGEN; i += batch) {
        size_t n = NGEN - i < batch ? NGEN - i : batch;
        for (size_t k = 0; k < n; k++) tmp[k] = gen[order[i + k]];
        feed(p, tmp, n);
    }
    finish(p);
    CHECK_EQ_I64(pr_get_stats(p)->late, 0);
    free(tmp);
    pr_close(p);
    return c;
}

/* Two captures hold the same final metric rows: integers/text exact, floats within 1e-9 relative. */
static bool same_final(const capture *a, const capture *b) {
    bool ok = true;
    for (int t = 0; t < ST_N_METRIC_TABLES; t++) {
        size_t n = cap_count(a, (st_table)t, true);
        if (n != cap_count(b, (st_table)t, true)) {
            fprintf(stderr, "  %s: %zu vs %zu rows\n", st_table_name((st_table)t), n, cap_count(b, (st_table)t, true));
            return false;
        }
        for (size_t i = 0; i < n; i++) {
            const char *x = cap_line(a, (st_table)t, true, i), *y = cap_line(b, (st_table)t, true, i);
            if (strcmp(x, y) == 0) continue;
            /* compare field by field */
            for (int f = 0;; f++) {
                const char *xe = strchr(x, '|'), *ye = strchr(y, '|');
                size_t xl = xe ? (size_t)(xe - x) : strlen(x), yl = ye ? (size_t)(ye - y) : strlen(y);
                if (xl != yl || memcmp(x, y, xl) != 0) {
                    char *xx, *yy;
                    double dx = strtod(x, &xx), dy = strtod(y, &yy);
                    if (xx != x + xl || yy != y + yl || fabs(dx - dy) > 1e-9 * fmax(fabs(dx), fabs(dy))) {
                        fprintf(stderr, "  %s row %zu field %d: %.*s vs %.*s\n", st_table_name((st_table)t), i, f,
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
    CHECK(cap_count(ref, ST_QUERY_HOURLY, true) > 50);
    CHECK(cap_count(ref, ST_TOP_TABLES_HOURLY, true) > 50);
    CHECK(cap_count(ref, ST_UTILIZATION_HOURLY, true) > 40);
    size_t nslow = 0;
    for (size_t i = 0; i < cap_count(ref, ST_UTILIZATION_HOURLY, true); i++)
        nslow += !isnan(field(cap_line(ref, ST_UTILIZATION_HOURLY, true, i), 11));
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
    for (size_t i = 0; i < cap_count(ref, ST_QUERY_HOURLY, true); i++)
        q += (int64_t)field(cap_line(ref, ST_QUERY_HOURLY, true, i), 4);
    CHECK(q > 2500 && q < NGEN);
    cap_free(ref);
    free(ord);
}

/* State is freed with the windows: a long ordered run keeps ~2 windows open. */
static void test_state_bounded(void) {
    capture *c = cap_new();
    pr *p = open_pr(c, NULL);
    ev g = {"p", 1, 0, 0, "select", 1, 1, 1000, 0, 0, 0, 0, 1, "1,2", "x", 0, false, false};
    uint64_t max_open = 0;
    ev e[60];
    for (int h = 0; h < 48; h++) {
        for (int m = 0; m < 60; m++) e[m] = g, e[m].qid = h * 100 + m, e[m].ts = at(h, m);
        feed(p, e, 60);
        if (pr_get_stats(p)->open_windows > max_open) max_open = pr_get_stats(p)->open_windows;
    }
    CHECK(max_open <= 2);
    CHECK_EQ_I64(pr_get_stats(p)->windows_final, 47);
    CHECK_EQ_I64(c->nfinals, 47);
    finish(p);
    CHECK_EQ_I64(pr_get_stats(p)->open_windows, 0);
    CHECK_EQ_I64(pr_get_stats(p)->windows_final, 48);
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 48);
    /* hours finalized in order */
    for (size_t i = 1; i < c->nfinals; i++) CHECK(c->finals[i] > c->finals[i - 1]);
    /* a second finish is harmless; processing after finish is an error */
    char err[SL_ERRLEN];
    CHECK(pr_finish(p, err, sizeof err) == SL_OK);
    sl_batch b;
    new_batch(&b);
    add(&b, &g);
    CHECK(pr_process(p, &b, err, sizeof err) == SL_ERR_ARG);
    sl_batch_free(&b);
    pr_close(p);
    cap_free(c);
}

/* Provisional rows: final = false for every open window; they grow until final. */
static void test_refresh(void) {
    capture *c = cap_new();
    pr *p = open_pr(c, NULL);
    ev g = {"p", 1, 1, at(10, 0), "select", 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, false, false};
    feed(p, &g, 1);
    char err[SL_ERRLEN];
    CHECK(pr_refresh(p, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, false), 1);
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, false, 0), H10 "|p|1|select|1|0|0|0|0|0|0|0|0");
    g.qid = 2;
    feed(p, &g, 1);
    CHECK(pr_refresh(p, err, sizeof err) == SL_OK);
    CHECK_EQ_STR(cap_line(c, ST_QUERY_HOURLY, false, 1), H10 "|p|1|select|2|0|0|0|0|0|0|0|0");
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 0);
    finish(p);
    CHECK_EQ_I64(cap_count(c, ST_QUERY_HOURLY, true), 1);
    pr_close(p);
    cap_free(c);
}

static void test_opts(void) {
    char err[SL_ERRLEN];
    pr_opts o = pr_opts_default();
    CHECK(pr_opts_check(&o, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(o.lateness_us, 600000000);
    CHECK_EQ_I64(o.top_k, 10);
    o.top_k = 0;
    CHECK(pr_opts_check(&o, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "top-k") != NULL);
    o = pr_opts_default();
    o.w_s = -1;
    CHECK(pr_opts_check(&o, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "w_s") != NULL);
    o = pr_opts_default();
    o.w_q = o.w_s = o.w_p = o.w_c = 0;
    CHECK(pr_opts_check(&o, err, sizeof err) == SL_ERR_ARG);
    o = pr_opts_default();
    o.slots = 0;
    CHECK(pr_opts_check(&o, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "slots") != NULL);
    o = pr_opts_default();
    o.lateness_us = -1;
    CHECK(pr_opts_check(&o, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "lateness") != NULL);
    pr *p = NULL;
    CHECK(pr_open(&p, &o, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK(p == NULL);
}

/* Weights and threshold change composite / oversubscribed. */
static void test_weights(void) {
    capture *c = cap_new();
    pr_opts o = pr_opts_default();
    o.w_q = 0, o.w_s = 0, o.w_p = 1, o.w_c = 3; /* composite = (p + 3c) / 4 */
    o.threshold = 0.75;
    pr *p = open_pr(c, &o);
    /* c = 30 / (0 + 30 + 0) = 1, p = 0: composite 0.75 -> oversubscribed */
    ev g = {"p", 1, 1, at(10, 0), "select", 30, 0, 0, 0, 0, 0, 5, 0, NULL, NULL, 0, false, false};
    feed(p, &g, 1);
    finish(p);
    CHECK_EQ_STR(cap_line(c, ST_UTILIZATION_HOURLY, true, 0), H10 "|p|1|0|0|0|1|1|0|0.75|1|null|0");
    pr_close(p);
    cap_free(c);
}

int main(void) {
    T0 = sl_days_from_civil(2024, 3, 1) * 86400 * INT64_C(1000000);
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
    RUN(test_state_bounded);
    RUN(test_refresh);
    RUN(test_opts);
    RUN(test_weights);
    return T_DONE();
}
