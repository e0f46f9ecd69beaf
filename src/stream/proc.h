/* proc.h: the event-time processor.  Takes canonical event batches in replay
 * order, cleans them (clean.h), assigns each accepted event to its UTC hour
 * window, drops duplicates (same source, instance_id, query_id within the
 * window), sends events of already-final windows to late_events, applies the
 * rest to the metric accumulators of their window (docs/metrics.md section
 * 4), advances the watermark W = max accepted arrival - lateness, and
 * finalizes every window whose end <= W.  State is bounded by the open
 * windows.  Output goes to a sink (hot store, cold store, or both).
 *
 * Order of work per event: clean -> late? -> duplicate? -> apply.
 * Accounting: read = accepted + bad + duplicates + late, at every call.
 */
#ifndef ST_PROC_H
#define ST_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "stream/clean.h"
#include "stream/tables.h"
#include "util/err.h"

typedef struct pr_opts {
    cl_opts clean;
    int64_t lateness_us;       /* default 10 min */
    int top_k;                 /* default 10 */
    double slots;              /* default 5 */
    double w_q, w_s, w_p, w_c; /* default 1 each; >= 0, sum > 0 */
    double threshold;          /* default 0.5 */
} pr_opts;

pr_opts pr_opts_default(void);
/* Checks ranges (weights, k >= 1, slots > 0, lateness >= 0); message names the option. */
sl_err pr_opts_check(const pr_opts *o, char *err, size_t errlen);

/* Where results go.  Every callback may be NULL.  Batches are valid only
 * during the call.  Rows of one call are sorted by the table's key. */
typedef struct pr_sink {
    void *ctx;
    /* All rows of table t for window hour_us (a metric table), final or
     * provisional; or a batch of quarantined rows (ST_BAD_ROWS,
     * ST_LATE_EVENTS: hour_us = INT64_MIN, final = true). */
    sl_err (*rows)(void *ctx, st_table t, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen);
    /* Accepted (cleaned) events of window hour_us: rows idx[0..n) of b, in
     * processing order.  b is a canonical batch (replay/event.h). */
    sl_err (*events)(void *ctx, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                     size_t errlen);
    /* Window hour_us is final: its final rows were delivered before this call. */
    sl_err (*window_final)(void *ctx, int64_t hour_us, char *err, size_t errlen);
} pr_sink;

typedef struct pr_stats {
    cl_counters clean;         /* read = clean.rows */
    uint64_t accepted, duplicates, late;
    uint64_t bad;              /* sum of clean.bad[] */
    int64_t watermark_us;      /* INT64_MIN before the first accepted event */
    int64_t max_arrival_us;
    uint64_t open_windows, windows_final;
} pr_stats;

typedef struct pr pr;

sl_err pr_open(pr **out, const pr_opts *o, const pr_sink *sink, char *err, size_t errlen);
/* Process a canonical batch (it is cleaned in place). */
sl_err pr_process(pr *p, sl_batch *b, char *err, size_t errlen);
/* Deliver the provisional rows (final = false) of every open window. */
sl_err pr_refresh(pr *p, char *err, size_t errlen);
/* End of input: finalize every open window in hour order. */
sl_err pr_finish(pr *p, char *err, size_t errlen);
const pr_stats *pr_get_stats(const pr *p);
void pr_close(pr *p);

#endif
