/* Unit tests: the in-memory bus between a producer and a consumer thread. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "pipeline/bus.h"
#include "t.h"

typedef struct prod_arg {
    sl_bus *bus;
    int batches;
    int rows_per;
    int put_errors;
} prod_arg;

static sl_batch *new_batch(void) {
    char err[SL_ERRLEN];
    sl_batch *b = calloc(1, sizeof *b);
    sl_batch_init(b);
    sl_coltype t = {.type = SL_I64};
    sl_batch_add_col(b, "seq", &t, false, err, sizeof err);
    return b;
}

/* Producer: batch k holds rows k*rows_per .. (k+1)*rows_per-1. */
static void *producer(void *p) {
    prod_arg *a = p;
    char err[SL_ERRLEN];
    for (int k = 0; k < a->batches; k++) {
        sl_batch *b = sl_bus_take_free(a->bus);
        if (!b) b = new_batch();
        sl_batch_reserve(b, (size_t)a->rows_per, err, sizeof err);
        int64_t *d = b->cols[0].data;
        for (int i = 0; i < a->rows_per; i++) d[i] = (int64_t)k * a->rows_per + i;
        b->nrows = (size_t)a->rows_per;
        if (sl_bus_put(a->bus, b, err, sizeof err) != SL_OK) {
            a->put_errors++;
            sl_batch_free(b);
            free(b);
            break;
        }
    }
    sl_bus_close_producer(a->bus);
    return NULL;
}

static void test_order_and_no_loss(void) {
    char err[SL_ERRLEN];
    sl_bus *bus;
    CHECK(sl_bus_mem_open(&bus, 4, err, sizeof err) == SL_OK);
    prod_arg a = {bus, 500, 100, 0};
    pthread_t th;
    pthread_create(&th, NULL, producer, &a);
    int64_t expect = 0;
    int got_batches = 0;
    bool ordered = true;
    sl_batch *b;
    int rc;
    while ((rc = sl_bus_get(bus, &b, 5.0)) != -1) {
        if (rc == 0) continue;
        const int64_t *d = b->cols[0].data;
        for (size_t i = 0; i < b->nrows; i++)
            if (d[i] != expect++) ordered = false;
        got_batches++;
        sl_bus_recycle(bus, b);
    }
    pthread_join(th, NULL);
    CHECK(ordered);
    CHECK_EQ_I64(expect, 500 * 100);
    CHECK_EQ_I64(got_batches, 500);
    sl_bus_stats st;
    sl_bus_stats_get(bus, &st);
    CHECK_EQ_I64(st.rows_in, 50000);
    CHECK_EQ_I64(st.rows_out, 50000);
    CHECK(st.max_depth <= 4);
    sl_bus_free(bus);
}

static void test_backpressure_blocks_producer(void) {
    char err[SL_ERRLEN];
    sl_bus *bus;
    CHECK(sl_bus_mem_open(&bus, 2, err, sizeof err) == SL_OK);
    prod_arg a = {bus, 20, 10, 0};
    pthread_t th;
    pthread_create(&th, NULL, producer, &a);
    /* slow consumer: the producer must wait on a full queue, and nothing is lost */
    struct timespec nap = {0, 5 * 1000 * 1000};
    int rows = 0;
    sl_batch *b;
    int rc;
    while ((rc = sl_bus_get(bus, &b, 5.0)) != -1) {
        if (rc == 0) continue;
        nanosleep(&nap, NULL);
        rows += (int)b->nrows;
        sl_bus_recycle(bus, b);
    }
    pthread_join(th, NULL);
    sl_bus_stats st;
    sl_bus_stats_get(bus, &st);
    CHECK_EQ_I64(rows, 200);
    CHECK(st.producer_waits > 0);
    CHECK(st.producer_wait_s > 0.01);
    CHECK(st.max_depth == 2);
    sl_bus_free(bus);
}

static void test_get_timeout_and_consumer_stop(void) {
    char err[SL_ERRLEN];
    sl_bus *bus;
    CHECK(sl_bus_mem_open(&bus, 1, err, sizeof err) == SL_OK);
    sl_batch *b;
    CHECK_EQ_I64(sl_bus_get(bus, &b, 0.05), 0); /* empty, producer open: timeout */
    /* consumer stops while the producer is blocked on a full queue */
    prod_arg a = {bus, 10, 1, 0};
    pthread_t th;
    pthread_create(&th, NULL, producer, &a);
    struct timespec nap = {0, 50 * 1000 * 1000};
    nanosleep(&nap, NULL);
    sl_bus_close_consumer(bus);
    pthread_join(th, NULL);
    CHECK_EQ_I64(a.put_errors, 1);
    sl_bus_free(bus); /* frees the batch still queued */
    CHECK(sl_bus_mem_open(&bus, 0, err, sizeof err) == SL_ERR_ARG);
}

int main(void) {
    RUN(test_order_and_no_loss);
    RUN(test_backpressure_blocks_producer);
    RUN(test_get_timeout_and_consumer_stop);
    return T_DONE();
}
