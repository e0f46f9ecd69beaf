/* test_async.c: the threaded sink wrapper (pipeline/async.c) around an
 * en_sink: order, copies, backpressure, sticky errors, calls and their
 * dispose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/batch.h"
#include "pipeline/async.h"
#include "t.h"

static char err[512];

/* the table index the rows are given for (the inner sink ignores it) */
#define T_ROWS 0

typedef struct rec {
    char log[8192];
    size_t len;
    int64_t sum;        /* sum of every I64 value seen */
    int fail_at;        /* fail the n-th operation (1-based), 0 = never */
    int n;
    useconds_t delay;   /* per operation */
} rec;

static sl_err note(rec *r, char kind, long long a, char *e, size_t el) {
    r->n++;
    if (r->delay) usleep(r->delay);
    r->len += (size_t)snprintf(r->log + r->len, sizeof r->log - r->len, "%c%lld ", kind, a);
    if (r->fail_at && r->n == r->fail_at) return sl_err_set(e, el, SL_ERR_IO, "disk on fire at op %d", r->n);
    return SL_OK;
}

static sl_err i_rows(void *ctx, size_t t, int64_t hour, bool final, const sl_batch *b, char *e, size_t el) {
    rec *r = ctx;
    for (size_t i = 0; i < b->nrows; i++) r->sum += ((const int64_t *)b->cols[0].data)[i];
    CHECK_EQ_I64(t, T_ROWS); /* the table index is passed through */
    (void)final;
    return note(r, 'R', (long long)hour, e, el);
}
static sl_err i_events(void *ctx, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *e, size_t el) {
    rec *r = ctx;
    CHECK_EQ_I64(b->ncols, 1); /* only ev_ncols columns are copied */
    for (size_t i = 0; i < n; i++) r->sum += ((const int64_t *)b->cols[0].data)[idx[i]];
    return note(r, 'E', (long long)hour, e, el);
}
static sl_err i_final(void *ctx, int64_t hour, char *e, size_t el) { return note(ctx, 'F', (long long)hour, e, el); }

static sl_err call_fn(void *ctx, char *e, size_t el) {
    int *p = ctx;
    (*p)++;
    (void)e;
    (void)el;
    return SL_OK;
}
static int disposed;
static void dispose(void *ctx) {
    (void)ctx;
    disposed++;
}

/* batch with two I64 columns: values v0..v0+n-1 and 1000+.. */
static void make(sl_batch *b, size_t n, int64_t v0) {
    sl_batch_init(b);
    sl_coltype t = {.type = SL_I64};
    CHECK(sl_batch_add_col(b, "a", &t, false, err, sizeof err) >= 0);
    CHECK(sl_batch_add_col(b, "b", &t, false, err, sizeof err) >= 0);
    CHECK(sl_batch_reserve(b, n, err, sizeof err) == SL_OK);
    b->nrows = n;
    for (size_t i = 0; i < n; i++) {
        ((int64_t *)b->cols[0].data)[i] = v0 + (int64_t)i;
        ((int64_t *)b->cols[1].data)[i] = 1000 + (int64_t)i;
    }
}

static void test_order_and_copies(void) {
    static rec r;
    memset(&r, 0, sizeof r);
    r.delay = 2000;
    as_async *a;
    en_sink in = {.ctx = &r, .rows = i_rows, .events = i_events, .window_final = i_final};
    CHECK(as_open(&a, "test store", in, 1, 1 << 20, err, sizeof err) == SL_OK);
    en_sink s = as_sink(a);
    int calls = 0;
    int64_t want = 0;
    for (int h = 0; h < 20; h++) {
        sl_batch b;
        make(&b, 100, h * 100);
        CHECK(s.rows(s.ctx, T_ROWS, h, true, &b, err, sizeof err) == SL_OK);
        uint32_t idx[] = {99, 0, 50};
        CHECK(s.events(s.ctx, h, &b, idx, 3, err, sizeof err) == SL_OK);
        for (int i = 0; i < 100; i++) want += h * 100 + i;
        want += (h * 100 + 99) + (h * 100) + (h * 100 + 50);
        sl_batch_free(&b); /* the queue holds copies */
        CHECK(s.window_final(s.ctx, h, err, sizeof err) == SL_OK);
    }
    CHECK(as_call(a, call_fn, &calls, dispose, err, sizeof err) == SL_OK);
    CHECK(as_sync(a, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(calls, 1);
    CHECK_EQ_I64(disposed, 1);
    CHECK_EQ_I64(r.sum, want);
    CHECK_EQ_I64(r.n, 60);
    CHECK(strncmp(r.log, "R0 E0 F0 R1 E1 F1 R2 ", 21) == 0);
    as_stats st = as_get_stats(a);
    CHECK_EQ_I64(st.ops, 61);
    CHECK_EQ_I64(st.queued_bytes, 0);
    CHECK(st.busy_s > 0.02); /* 60 operations of 2 ms */
    as_close(a);
}

/* A queue of ~3 batches: the producer waits (counted), nothing is lost. */
static void test_backpressure(void) {
    static rec r;
    memset(&r, 0, sizeof r);
    r.delay = 3000;
    as_async *a;
    en_sink in = {.ctx = &r, .rows = i_rows};
    CHECK(as_open(&a, "small", in, 1, 3 * (1000 * 16 + 300), err, sizeof err) == SL_OK);
    en_sink s = as_sink(a);
    int64_t want = 0;
    for (int k = 0; k < 30; k++) {
        sl_batch b;
        make(&b, 1000, k);
        for (int i = 0; i < 1000; i++) want += k + i;
        CHECK(s.rows(s.ctx, T_ROWS, k, false, &b, err, sizeof err) == SL_OK);
        sl_batch_free(&b);
    }
    CHECK(as_sync(a, err, sizeof err) == SL_OK);
    as_stats st = as_get_stats(a);
    CHECK(st.waits > 0);
    CHECK(st.peak_bytes <= 3 * (1000 * 16 + 300));
    CHECK_EQ_I64(r.sum, want);
    as_close(a);
}

/* The first error sticks: later calls return it, queued work is dropped,
 * dropped calls are still disposed. */
static void test_sticky_error(void) {
    static rec r;
    memset(&r, 0, sizeof r);
    r.fail_at = 3;
    r.delay = 1000;
    disposed = 0;
    as_async *a;
    en_sink in = {.ctx = &r, .rows = i_rows, .window_final = i_final};
    CHECK(as_open(&a, "cold store", in, 1, 1 << 20, err, sizeof err) == SL_OK);
    en_sink s = as_sink(a);
    for (int h = 0; h < 5; h++) CHECK(s.window_final(s.ctx, h, err, sizeof err) == SL_OK || h >= 3);
    int calls = 0;
    (void)as_call(a, call_fn, &calls, dispose, err, sizeof err);
    CHECK(as_sync(a, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "disk on fire at op 3") != NULL);
    CHECK_EQ_I64(r.n, 3); /* nothing ran after the failure */
    CHECK_EQ_I64(calls, 0);
    CHECK_EQ_I64(disposed, 1);
    sl_batch b;
    make(&b, 10, 0);
    err[0] = 0;
    CHECK(s.rows(s.ctx, T_ROWS, 9, true, &b, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "disk on fire") != NULL);
    CHECK(as_call(a, call_fn, &calls, dispose, err, sizeof err) == SL_ERR_IO);
    CHECK_EQ_I64(disposed, 2);
    CHECK_EQ_I64(as_get_stats(a).errors, 1);
    sl_batch_free(&b);
    as_close(a);
}

int main(void) {
    RUN(test_order_and_copies);
    RUN(test_backpressure);
    RUN(test_sticky_error);
    return T_DONE();
}
