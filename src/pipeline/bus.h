/* bus.h: the embedded bus, a bounded in-process queue of columnar batches
 * between the replay thread (producer) and the processor (consumer).
 *
 * The bus is an interface (sl_bus_ops): this file provides the in-memory
 * implementation; a Kafka bus (librdkafka) plugs into the same calls later.
 * Batches move by pointer: bus_put hands a batch over, bus_get takes it,
 * bus_recycle gives an emptied batch back to the producer's free list, so a
 * steady pipeline allocates nothing.  A full queue blocks the producer
 * (backpressure: the replay then reports lag; nothing is dropped).
 */
#ifndef ST_BUS_H
#define ST_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/err.h"

typedef struct sl_bus sl_bus;

typedef struct sl_bus_stats {
    uint64_t batches_in, batches_out, rows_in, rows_out;
    uint64_t producer_waits;   /* times the producer blocked on a full queue */
    double producer_wait_s;    /* total time blocked */
    size_t depth, max_depth;
} sl_bus_stats;

typedef struct sl_bus_ops {
    /* Hand b over (ownership moves to the bus). Blocks while full.  Returns
     * SL_ERR_ARG if the bus was closed by the consumer. */
    sl_err (*put)(sl_bus *bus, sl_batch *b, char *err, size_t errlen);
    /* Take the next batch: 1 = *out set, 0 = timeout, -1 = producer closed and queue empty. */
    int (*get)(sl_bus *bus, sl_batch **out, double timeout_s);
    /* Give a consumed batch back for reuse (it is reset). */
    void (*recycle)(sl_bus *bus, sl_batch *b);
    /* A batch for the producer to fill: a recycled one or NULL (make your own). */
    sl_batch *(*take_free)(sl_bus *bus);
    /* Producer: no more batches. */
    void (*close_producer)(sl_bus *bus);
    /* Consumer: stop accepting (wakes a blocked producer with an error). */
    void (*close_consumer)(sl_bus *bus);
    void (*stats)(sl_bus *bus, sl_bus_stats *out);
    void (*free)(sl_bus *bus);
} sl_bus_ops;

struct sl_bus {
    const sl_bus_ops *ops;
};

/* In-memory bus holding at most capacity batches in flight. */
sl_err sl_bus_mem_open(sl_bus **out, size_t capacity, char *err, size_t errlen);

static inline sl_err sl_bus_put(sl_bus *b, sl_batch *x, char *err, size_t errlen) { return b->ops->put(b, x, err, errlen); }
static inline int sl_bus_get(sl_bus *b, sl_batch **out, double timeout_s) { return b->ops->get(b, out, timeout_s); }
static inline void sl_bus_recycle(sl_bus *b, sl_batch *x) { b->ops->recycle(b, x); }
static inline sl_batch *sl_bus_take_free(sl_bus *b) { return b->ops->take_free(b); }
static inline void sl_bus_close_producer(sl_bus *b) { b->ops->close_producer(b); }
static inline void sl_bus_close_consumer(sl_bus *b) { b->ops->close_consumer(b); }
static inline void sl_bus_stats_get(sl_bus *b, sl_bus_stats *s) { b->ops->stats(b, s); }
static inline void sl_bus_free(sl_bus *b) { if (b) b->ops->free(b); }

#endif
