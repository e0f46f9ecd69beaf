/* replay.h: the replay object: inputs -> replay order -> wall-clock pacing.
 *
 *   rp_replay_input in[] = {{.path = "a.parquet"}, {.path = "b.csv", .source = "fleet-b"}};
 *   rp_replay_opts o = rp_replay_opts_default();   // speed 60, 1 GiB, open range
 *   o.schema = schema; o.formats = reg_inputs();
 *   rp_replay *r;
 *   if (rp_replay_open(&r, in, 2, &o, err, sizeof err)) ...
 *   sl_batch b; sl_batch_init(&b); sc_init_batch(schema, &b, err, sizeof err);
 *   for (;;) {
 *       long n = rp_replay_next(r, &b, 0.25, err, sizeof err);
 *       if (n == RP_REPLAY_AGAIN) continue;         // nothing due yet: tick, poll, ...
 *       if (n < 0) fail(err);
 *       if (n == 0) break;                          // end (or rp_replay_stop)
 *       consume(&b);                                // canonical rows, replay order
 *   }
 *   rp_replay_close(r);
 *
 * Batches are canonical (schema.h) and in replay order (order.h).  Each call
 * returns the rows that are due by the pacing schedule (pace.h): a prefix of
 * what the order produced, possibly a whole batch.  Nothing is ever dropped:
 * a slow consumer makes the replay late (rp_replay_lag_s), not lossy.  The
 * object has no UI and installs no signal handlers; it is what both the
 * `sluice replay` command and an embedded consumer drive.
 */
#ifndef RP_REPLAY_H
#define RP_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "replay/input.h"
#include "replay/order.h"
#include "util/err.h"
#include "util/opt.h"

/* rp_replay_next: nothing became due within max_wait_s (not an error; call
 * again).  Distinct from every sl_err code. */
#define RP_REPLAY_AGAIN (-100)
/* A batch of rp_replay_next spans less than this much event time. */
#define RP_BATCH_SPAN_US ((int64_t)86400 * 1000000)

typedef struct rp_replay rp_replay;

typedef struct rp_replay_input {
    const char *path;
    const char *source;        /* label; NULL = rp_default_source(path) */
    const in_plugin *format;   /* NULL: detected among rp_replay_opts.formats */
} rp_replay_input;

typedef struct rp_replay_opts {
    const sc_schema *schema;   /* the columns of the events (required) */
    const in_plugin *const *formats; /* candidates for inputs without a format (NULL-terminated) */
    double speed;          /* event seconds per wall second; 0 = as fast as possible (default 60) */
    int64_t from_us;       /* first event time replayed (INT64_MIN = open); also the pacing origin */
    int64_t to_us;         /* end, exclusive (INT64_MAX = open) */
    size_t memory;         /* ordering budget in bytes (default 1 GiB) */
    const char *tmpdir;    /* for spilled runs (NULL = $TMPDIR or /tmp) */
    bool force_sort;       /* always sort externally */
    size_t batch_rows;     /* rows per batch pulled from the order (default 65536) */
    bool resume;           /* resume a checkpoint from event time resume_us (order.h; not an option) */
    int64_t resume_us;
} rp_replay_opts;

rp_replay_opts rp_replay_opts_default(void);
/* The options' table (speed, from, to, memory, tmpdir; util/opt.h): `sluice
 * replay`'s flags and a pipeline file's `replay:` section. */
extern const sl_opt rp_replay_opts_table[];
/* The same options with speed max by default: the pipeline's (`sluice run`,
 * a pipeline file's `replay:` section).  A pipeline run is a load: paced at
 * 60x a three-month file would take 36 hours; pacing is asked for. */
extern const sl_opt rp_pipeline_replay_opts_table[];

typedef struct rp_replay_stats {
    uint64_t rows;         /* rows released */
    uint64_t rows_total;   /* rows the replay releases in all when it runs to the end (the
                              order's rows_total: exact, --from/--to and a resume applied),
                              known once rp_replay_open returns; rows / rows_total = done */
    uint64_t flagged;      /* of which with a non-NULL _error */
    uint64_t batches;      /* non-empty results of rp_replay_next */
    double lag_s, max_lag_s;
    int64_t position_us;   /* event time reached (INT64_MIN = none yet) */
    double open_seconds;   /* spent in rp_replay_open (inputs + planning) */
    rp_order_stats order;  /* strategy, segments, runs spilled, spill bytes */
} rp_replay_stats;

/* Opens the n inputs (index i = the _input column value), plans the order
 * (order.h) and sets up the pacer; the schedule starts with the first
 * rp_replay_next.  Errors: SL_ERR_ARG for bad options, the input's or the
 * order's error otherwise (message names the file). */
sl_err rp_replay_open(rp_replay **out, const rp_replay_input *inputs, size_t n, const rp_replay_opts *o, char *err,
                      size_t errlen);

/* Reset b (a canonical batch: sc_init_batch) and fill it with the rows due
 * now, in replay order, waiting at most max_wait_s for the next one
 * (max_wait_s < 0: as long as needed).  Returns rows (> 0); 0 at the end (or
 * after rp_replay_stop); RP_REPLAY_AGAIN when nothing became due within
 * max_wait_s; another negative sl_err on error (message in err). */
long rp_replay_next(rp_replay *r, sl_batch *b, double max_wait_s, char *err, size_t errlen);

/* Ask the replay to end: the next rp_replay_next returns 0 (a wait in
 * progress ends within its slice).  Async-signal-safe. */
void rp_replay_stop(rp_replay *r);

/* Event time reached: the arrival_timestamp of the last released row with a
 * time (INT64_MIN before any).  Rows come in event-time order, so no later
 * row has an earlier time: a watermark hint for the consumer. */
int64_t rp_replay_position_us(const rp_replay *r);
/* How far behind schedule the last released rows were, in wall seconds
 * (0 when on time or at speed max). */
double rp_replay_lag_s(const rp_replay *r);
double rp_replay_speed(const rp_replay *r);
/* Counters so far (the order's stats are refreshed on each call). */
const rp_replay_stats *rp_replay_get_stats(rp_replay *r);

/* Close the order (removes temporary files) and the inputs; free. */
void rp_replay_close(rp_replay *r);

#endif
