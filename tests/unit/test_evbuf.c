/* test_evbuf.c: sl_batch_append_rows (batch/gather.c) and the hot store's
 * write-behind event buffer (pipeline/evbuf.c), on Redset events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/batch.h"
#include "pipeline/evbuf.h"
#include "schema/redset.h"
#include "schema/schema.h"
#include "t.h"

#define HOUR_US INT64_C(3600000000)
#define T0 INT64_C(1709251200000000) /* 2024-03-01 00:00:00 UTC */

static char err[512];

/* The Redset schema and the columns used here (set in main). */
static const sc_schema *S;
static int C_ARRIVAL, C_ROW, C_QUERY_ID, C_QUERY_TYPE, C_MBYTES_SPILLED;
#define NKEEP ((size_t)S->row + 1) /* the schema's columns, source, _input, _row */

/* A canonical batch of n events, one every `step_us` from start; _row = row0 + i;
 * every third has NULL mbytes_spilled; query_type "qt<i%5>". */
static void make(sl_batch *b, size_t n, int64_t start, int64_t step_us, int64_t row0) {
    sl_batch_init(b);
    CHECK(sc_init_batch(S, b, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(b, n, err, sizeof err) == SL_OK);
    b->nrows = n;
    for (size_t c = 0; c < b->ncols; c++) memset(b->cols[c].data, 0, n * sl_type_width(b->cols[c].t.type));
    uint8_t *v = sl_col_valid_alloc(b, C_MBYTES_SPILLED);
    for (size_t i = 0; i < n; i++) {
        ((int64_t *)b->cols[C_ARRIVAL].data)[i] = start + (int64_t)i * step_us;
        ((int64_t *)b->cols[C_ROW].data)[i] = row0 + (int64_t)i;
        ((int64_t *)b->cols[C_QUERY_ID].data)[i] = 1000 + (int64_t)i;
        char s[16];
        snprintf(s, sizeof s, "qt%zu", i % 5);
        sl_str *qs = &((sl_str *)b->cols[C_QUERY_TYPE].data)[i];
        qs->len = (uint32_t)strlen(s);
        qs->ptr = sl_arena_dup(&b->arena, s, qs->len);
        if (i % 3 == 0) {
            sl_bit_clear(v, i);
            b->cols[C_MBYTES_SPILLED].null_count++;
        } else {
            ((double *)b->cols[C_MBYTES_SPILLED].data)[i] = (double)i / 4;
        }
    }
}

static void test_append_rows(void) {
    sl_batch src, dst;
    make(&src, 10, T0, 1000000, 0);
    sl_batch_init(&dst);
    uint32_t idx1[] = {9, 0, 3}, idx2[] = {4, 5};
    CHECK(sl_batch_append_rows(&dst, &src, NKEEP, idx1, 3, err, sizeof err) == SL_OK);
    CHECK(sl_batch_append_rows(&dst, &src, NKEEP, idx2, 2, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(dst.ncols, NKEEP);
    CHECK_EQ_I64(dst.nrows, 5);
    int64_t want_row[] = {9, 0, 3, 4, 5};
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ_I64(((int64_t *)dst.cols[C_ROW].data)[i], want_row[i]);
        bool null = want_row[i] % 3 == 0;
        CHECK(sl_col_is_null(&dst.cols[C_MBYTES_SPILLED], i) == null);
        if (!null) CHECK(((double *)dst.cols[C_MBYTES_SPILLED].data)[i] == (double)want_row[i] / 4);
        sl_str s = ((sl_str *)dst.cols[C_QUERY_TYPE].data)[i];
        char w[16];
        snprintf(w, sizeof w, "qt%d", (int)(want_row[i] % 5));
        CHECK(s.len == strlen(w) && memcmp(s.ptr, w, s.len) == 0);
    }
    CHECK_EQ_I64(dst.cols[C_MBYTES_SPILLED].null_count, 3);
    sl_batch_free(&src); /* dst must not depend on src */
    sl_str s = ((sl_str *)dst.cols[C_QUERY_TYPE].data)[0];
    CHECK(s.len == 3 && memcmp(s.ptr, "qt4", 3) == 0);
    /* errors: index out of range, too many columns */
    sl_batch other;
    make(&other, 2, T0, 1, 0);
    uint32_t bad[] = {2};
    CHECK(sl_batch_append_rows(&dst, &other, NKEEP, bad, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "row 2 of a batch of 2") != NULL);
    CHECK(sl_batch_append_rows(&dst, &other, 99, bad, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_I64(dst.nrows, 5);
    sl_batch_free(&other);
    sl_batch_free(&dst);
}

typedef struct sink {
    int64_t rows[200000];
    size_t n;
    int calls;
    bool fail;
} sink;

static sl_err collect(void *ctx, const sl_batch *b, const uint32_t *idx, size_t n, char *e, size_t el) {
    sink *s = ctx;
    s->calls++;
    if (s->fail) return sl_err_set(e, el, SL_ERR_IO, "disk full");
    CHECK_EQ_I64(b->ncols, NKEEP);
    for (size_t i = 0; i < n; i++) s->rows[s->n++] = ((const int64_t *)b->cols[C_ROW].data)[idx[i]];
    return SL_OK;
}

/* 100 hours of events, one a minute (6000), retention 24 h: only the last 24
 * hours reach the writer, in the order added. */
static void test_retention(void) {
    eb *x;
    CHECK(eb_open(&x, S, 24 * HOUR_US, (size_t)1 << 30, err, sizeof err) == SL_OK);
    int64_t row = 0;
    for (int h = 0; h < 100; h++) {
        sl_batch b;
        make(&b, 60, T0 + h * HOUR_US, 60000000, row);
        uint32_t idx[60];
        for (uint32_t i = 0; i < 60; i++) idx[i] = i;
        CHECK(eb_add(x, &b, idx, 60, err, sizeof err) == SL_OK);
        sl_batch_free(&b);
        row += 60;
    }
    eb_stats st = eb_get_stats(x);
    CHECK_EQ_I64(st.added, 6000);
    CHECK_EQ_I64(st.rows, 6000); /* one chunk (16384 rows), not yet wholly out of the retention */
    CHECK(st.bytes > 6000 * 8 * 20);
    CHECK(!eb_over_cap(x));
    static sink s;
    memset(&s, 0, sizeof s);
    CHECK(eb_drain(x, collect, &s, err, sizeof err) == SL_OK);
    /* newest = hour 99 + 59 min; cut = newest - 24 h = hour 75 + 59 min:
     * rows of hours 76..99 plus the last minute of hour 75 */
    CHECK_EQ_I64(s.n, 24 * 60 + 1);
    CHECK_EQ_I64(s.rows[0], 75 * 60 + 59);
    for (size_t i = 1; i < s.n; i++) CHECK_EQ_I64(s.rows[i], s.rows[i - 1] + 1);
    CHECK_EQ_I64(s.rows[s.n - 1], 5999);
    st = eb_get_stats(x);
    CHECK_EQ_I64(st.written, 24 * 60 + 1);
    CHECK_EQ_I64(st.expired + st.written, 6000);
    CHECK_EQ_I64(st.rows, 0);
    CHECK_EQ_I64(st.bytes, 0);
    /* drained: a second drain writes nothing */
    CHECK_EQ_I64(eb_shed_max_us(x), INT64_MIN);
    s.n = 0;
    CHECK(eb_drain(x, collect, &s, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(s.n, 0);
    eb_close(x);
}

/* Out of order: an old event added after newer ones is held only while it is
 * inside the retention; the cap reports fullness; a write error is returned. */
static void test_cap_and_errors(void) {
    eb *x;
    CHECK(eb_open(&x, S, HOUR_US, 4096, err, sizeof err) == SL_OK);
    sl_batch b;
    make(&b, 100, T0 + 10 * HOUR_US, 1000000, 0);
    uint32_t idx[100];
    for (uint32_t i = 0; i < 100; i++) idx[i] = i;
    CHECK(eb_add(x, &b, idx, 100, err, sizeof err) == SL_OK);
    CHECK(eb_over_cap(x)); /* 100 rows of 27 columns > 4 KiB */
    sl_batch old;
    make(&old, 2, T0, 1, 500); /* 10 hours older: out of the retention */
    CHECK(eb_add(x, &old, idx, 2, err, sizeof err) == SL_OK);
    static sink s;
    memset(&s, 0, sizeof s);
    CHECK(eb_drain(x, collect, &s, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(s.n, 100);
    CHECK_EQ_I64(eb_get_stats(x).expired, 2);
    CHECK(!eb_over_cap(x));
    /* NULL arrival is refused; nothing added */
    sl_bit_clear(sl_col_valid_alloc(&b, C_ARRIVAL), 5);
    CHECK(eb_add(x, &b, idx, 10, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "NULL arrival_timestamp") != NULL);
    CHECK_EQ_I64(eb_get_stats(x).added, 102);
    /* write error: returned, buffer emptied */
    CHECK(eb_add(x, &b, idx + 10, 5, err, sizeof err) == SL_OK);
    s.fail = true;
    CHECK(eb_drain(x, collect, &s, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "disk full") != NULL);
    CHECK_EQ_I64(eb_get_stats(x).rows, 0);
    sl_batch_free(&b);
    sl_batch_free(&old);
    eb_close(x);
    CHECK(eb_open(&x, S, 0, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(x == NULL);
}

/* eb_shed drops the oldest chunks down to a byte target and remembers the
 * newest arrival it dropped. */
static void test_shed(void) {
    eb *x;
    CHECK(eb_open(&x, S, 1000 * HOUR_US, (size_t)1 << 30, err, sizeof err) == SL_OK);
    int64_t row = 0;
    for (int k = 0; k < 4; k++) { /* 4 chunks of 16384 rows, one a second */
        sl_batch b;
        make(&b, 16384, T0 + row * 1000000, 1000000, row);
        static uint32_t idx[16384];
        for (uint32_t i = 0; i < 16384; i++) idx[i] = i;
        CHECK(eb_add(x, &b, idx, 16384, err, sizeof err) == SL_OK);
        sl_batch_free(&b);
        row += 16384;
    }
    eb_stats st = eb_get_stats(x);
    CHECK_EQ_I64(st.rows, 4 * 16384);
    CHECK_EQ_I64(eb_shed(x, st.bytes / 2), 2 * 16384); /* the two oldest chunks */
    CHECK_EQ_I64(eb_shed_max_us(x), T0 + (2 * 16384 - 1) * INT64_C(1000000));
    CHECK_EQ_I64(eb_get_stats(x).shed, 2 * 16384);
    CHECK_EQ_I64(eb_cut_us(x), T0 + (4 * 16384 - 1) * INT64_C(1000000) - 1000 * HOUR_US);
    static sink s;
    memset(&s, 0, sizeof s);
    CHECK(eb_drain(x, collect, &s, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(s.n, 2 * 16384);
    CHECK_EQ_I64(s.rows[0], 2 * 16384); /* the newer half, in order */
    eb_close(x);
}

/* Another schema: the buffer keeps that schema's columns and system columns,
 * and takes its event time from the schema's time column. */
#define TSCOL {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}
static const sc_col tiny_cols[] = {
    {"device", {.type = SL_BYTES, .logical = SL_LOG_STRING}, SC_REQUIRED, NULL, "the device"},
    {"seq", {.type = SL_I64}, SC_REQUIRED, NULL, "reading number"},
    {"ts", TSCOL, SC_REQUIRED, NULL, "when"},
};
static const sc_def tiny_def = {
    .name = "tiny",
    .cols = tiny_cols,
    .ncols = 3,
    .time = "ts",
    .dedupe = {"device", "seq"},
    .required = {"ts", "device", "seq"},
};

typedef struct tsink {
    int64_t seq[64];
    size_t n;
} tsink;

static sl_err tcollect(void *ctx, const sl_batch *b, const uint32_t *idx, size_t n, char *e, size_t el) {
    (void)e, (void)el;
    tsink *s = ctx;
    CHECK_EQ_I64(b->ncols, 6); /* device, seq, ts, source, _input, _row */
    CHECK_EQ_STR(b->cols[2].name, "ts");
    CHECK_EQ_STR(b->cols[3].name, "source");
    for (size_t i = 0; i < n && s->n < 64; i++) {
        s->seq[s->n++] = ((const int64_t *)b->cols[1].data)[idx[i]];
        sl_str d = ((const sl_str *)b->cols[0].data)[idx[i]];
        CHECK(d.len == 2 && d.ptr[0] == 'd');
    }
    return SL_OK;
}

static void test_other_schema(void) {
    const sc_schema *ts = NULL;
    CHECK(sc_open(&ts, &tiny_def, err, sizeof err) == SL_OK);
    if (!ts) return;
    CHECK_EQ_I64(ts->row, 5);
    sl_batch b;
    sl_batch_init(&b);
    CHECK(sc_init_batch(ts, &b, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(&b, 10, err, sizeof err) == SL_OK);
    b.nrows = 10;
    for (size_t i = 0; i < 10; i++) { /* one reading every 10 minutes; seq 100.. */
        sl_str *d = &((sl_str *)b.cols[0].data)[i];
        d->ptr = sl_arena_dup(&b.arena, i % 2 ? "d1" : "d0", 2);
        d->len = 2;
        ((int64_t *)b.cols[1].data)[i] = 100 + (int64_t)i;
        ((int64_t *)b.cols[2].data)[i] = T0 + (int64_t)i * 600000000;
        sl_str *src = &((sl_str *)b.cols[ts->source].data)[i];
        src->ptr = sl_arena_dup(&b.arena, "lab", 3);
        src->len = 3;
        ((int32_t *)b.cols[ts->input].data)[i] = 0;
        ((int64_t *)b.cols[ts->row].data)[i] = (int64_t)i;
    }
    eb *x;
    CHECK(eb_open(&x, ts, HOUR_US, (size_t)1 << 20, err, sizeof err) == SL_OK);
    uint32_t idx[10];
    for (uint32_t i = 0; i < 10; i++) idx[i] = i;
    CHECK(eb_add(x, &b, idx, 10, err, sizeof err) == SL_OK);
    /* newest 01:30 -> cut 00:30: readings 3..9 */
    CHECK_EQ_I64(eb_cut_us(x), T0 + 9 * INT64_C(600000000) - HOUR_US);
    static tsink s;
    memset(&s, 0, sizeof s);
    CHECK(eb_drain(x, tcollect, &s, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(s.n, 7);
    CHECK_EQ_I64(s.seq[0], 103);
    CHECK_EQ_I64(s.seq[6], 109);
    CHECK_EQ_I64(eb_get_stats(x).expired, 3);
    /* a Redset batch is not an event batch of this schema (column 2 is no timestamp) */
    sl_batch r;
    make(&r, 2, T0, 1, 0);
    CHECK(eb_add(x, &r, idx, 2, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "not a canonical event batch") != NULL);
    sl_batch_free(&r);
    eb_close(x);
    sl_batch_free(&b);
    sc_close(ts);
}

int main(void) {
    if (sc_open(&S, &sc_redset_def, err, sizeof err) != SL_OK) {
        fprintf(stderr, "sc_open: %s\n", err);
        return 2;
    }
    C_ARRIVAL = S->time;
    C_ROW = S->row;
    C_QUERY_ID = sc_find(S, "query_id");
    C_QUERY_TYPE = sc_find(S, "query_type");
    C_MBYTES_SPILLED = sc_find(S, "mbytes_spilled");
    if (C_QUERY_ID < 0 || C_QUERY_TYPE < 0 || C_MBYTES_SPILLED < 0 || NKEEP != 27) return 2;
    RUN(test_append_rows);
    RUN(test_retention);
    RUN(test_cap_and_errors);
    RUN(test_shed);
    RUN(test_other_schema);
    sc_close(S);
    return T_DONE();
}
