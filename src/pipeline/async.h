/* async.h: run an en_sink on its own thread behind a bounded queue.
 *
 * The pipeline's processor calls the wrapper's en_sink (as_sink); each call
 * copies what it is given (rows, or the selected events' first `ev_ncols`
 * columns) into a queued operation and returns at once, and the worker thread
 * replays the operations, in order, on the inner sink.  So a slow store (the
 * cold store's Parquet encoding and file creation) runs on the second core
 * while the processor goes on.  The queue holds at most max_bytes of copied
 * rows: a call that would exceed it waits (backpressure, counted).
 *
 * Errors: the first error of the inner sink is kept; the worker then drops the
 * remaining operations and every later call returns that error (naming it as
 * the store's).  as_sync waits until the queue is empty and returns it too.
 * Ownership: the wrapper owns its copies; the inner sink's ctx stays the
 * caller's and must outlive as_close. */
#ifndef PL_ASYNC_H
#define PL_ASYNC_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "util/err.h"

typedef struct as_async as_async;

typedef struct as_stats {
    double busy_s;        /* worker time inside the inner sink */
    double max_call_s;    /* longest inner call since the last as_stats_reset_max */
    uint64_t ops, errors;
    size_t queued_bytes, peak_bytes;
    uint64_t waits;       /* calls that waited for room */
    double wait_s;
} as_stats;

/* name: for messages ("cold store").  ev_ncols: leading columns of an events
 * batch that the inner sink reads. */
sl_err as_open(as_async **out, const char *name, en_sink inner, size_t ev_ncols, size_t max_bytes, char *err,
               size_t errlen);
en_sink as_sink(as_async *a);
/* Queue fn(ctx) to run on the worker after everything queued so far; then
 * dispose(ctx) when dispose is not NULL (also when the call is dropped after
 * an error, or cannot be queued). */
sl_err as_call(as_async *a, sl_err (*fn)(void *ctx, char *err, size_t errlen), void *ctx, void (*dispose)(void *ctx),
               char *err, size_t errlen);
/* Wait until every queued operation ran; the first error, if any. */
sl_err as_sync(as_async *a, char *err, size_t errlen);
as_stats as_get_stats(as_async *a);
void as_stats_reset_max(as_async *a);
/* Stop the worker (after the queued operations unless an error stopped it) and free. */
void as_close(as_async *a);

#endif
