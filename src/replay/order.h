/* order.h: put the events of one or more inputs into replay order,
 * (arrival_timestamp, source, instance_id, query_id) with NULL timestamps
 * first, within a memory budget, whatever the input order.
 *
 * Planning reads only the key columns of each input and finds its sorted
 * segments (maximal runs in key order).  Then, cheapest first:
 *   - every input is one sorted segment: merge the inputs as they stream
 *     (a single sorted input passes straight through);
 *   - few segments (like per-instance runs): merge the segments, one cursor
 *     per segment, when cursors x their estimated memory fit the budget;
 *   - otherwise sort externally: fill the budget with rows, sort them,
 *     spill the sorted run to a temporary directory, repeat, then merge all
 *     runs (k-way).  Temporary files are removed on close, on error, and by
 *     rp_order_cleanup_all() from a signal handler path.
 * Output rows are canonical batches (schema.h), unchanged but reordered.
 */
#ifndef RP_ORDER_H
#define RP_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "replay/input.h"
#include "util/err.h"

typedef struct rp_order rp_order;

typedef enum rp_strategy { RP_STRAT_STREAM = 0, RP_STRAT_MERGE_SEGMENTS, RP_STRAT_EXTERNAL_SORT } rp_strategy;

typedef struct rp_order_opts {
    size_t memory;            /* budget in bytes (default 1 GiB) */
    const char *tmpdir;       /* for spilled runs (default $TMPDIR or /tmp) */
    bool force_sort;          /* always sort externally (tests, benchmarks) */
    int64_t from_us, to_us;   /* only events with from <= ts < to (INT64_MIN/MAX = open);
                                 NULL-timestamp rows always pass */
    bool resume;              /* drop every row before event time resume_us, NULL timestamps
                                 included (they come first); sorted inputs and segments are
                                 seeked past them (not read): resuming a checkpoint */
    int64_t resume_us;
} rp_order_opts;

rp_order_opts rp_order_opts_default(void);

typedef struct rp_order_stats {
    rp_strategy strategy;
    uint64_t segments;        /* sorted segments found in planning */
    uint64_t runs_spilled;    /* external sort: runs written */
    uint64_t spill_bytes;     /* bytes written to the temporary directory */
    uint64_t rows_in, rows_out;
    uint64_t rows_resumed;    /* rows before resume_us: seeked past (not read) or dropped */
    double plan_seconds;
    /* added with the implementation: */
    uint64_t rows_filtered;   /* rows outside [from, to) */
    bool segments_partial;    /* planning stopped counting (more segments than could be merged) */
    uint64_t cursor_bytes;    /* estimated memory of one input cursor (largest input) */
    uint64_t merge_passes;    /* external sort: intermediate merge passes */
    uint64_t merge_fanin;     /* external sort: runs merged at once */
    uint64_t peak_mem;        /* bytes accounted against the budget, at most (batches, keys, cursors) */
    uint64_t rows_total;      /* rows the order gives in all (after --from/--to and a resume's
                                 start), exact in every strategy, known once rp_order_open
                                 returns: planning counts the keys (STREAM, MERGE_SEGMENTS),
                                 the external sort reads every row; for % done and an ETA */
    char reason[192];         /* why this strategy, for logs */
} rp_order_stats;

/* The inputs are borrowed (closed by the caller after rp_order_close); they
 * are read from their current position (the start).  inputs[i] must have been
 * opened with index i (the _input column), which maps rows to their source.
 * Planning happens here (for the external sort, also the whole sort phase:
 * reading, sorting and spilling the runs).  Extra instances of an input are
 * opened with rp_input_open from its path, source label and format. */
sl_err rp_order_open(rp_order **out, rp_input **inputs, size_t n, const rp_order_opts *o, char *err, size_t errlen);
/* Reset b (canonical batch) and fill it with the next up to max_rows rows
 * in replay order. Returns rows, 0 at the end, <0 on error. */
long rp_order_next(rp_order *o, sl_batch *b, size_t max_rows, char *err, size_t errlen);
const rp_order_stats *rp_order_get_stats(const rp_order *o);
const char *rp_strategy_name(rp_strategy s);
/* Remove temporary files; free. */
void rp_order_close(rp_order *o);
/* Remove the temporary files of every open rp_order (async-signal-safe:
 * unlink/rmdir only), for SIGINT/SIGTERM handlers. */
void rp_order_cleanup_all(void);

#endif
