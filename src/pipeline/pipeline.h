/* pipeline.h: a running pipeline: inputs -> replay -> bus -> engine (clean,
 * windows, watermark, transforms) -> outputs, with its threads, bounded
 * queues, timer and health.  `sluice run` is: parse -> pl_open -> pl_run ->
 * summary.
 *
 *   pl_config c = {.schema = s, .inputs = in, .ninputs = 2, .replay = ro, .engine = eo,
 *                  .transforms = tr, .ntransforms = 1, .outputs = out, .noutputs = 2};
 *   pl *p;
 *   if (pl_open(&p, &c, err, sizeof err)) fail(err);     // outputs opened: bad paths fail here
 *   install a signal handler that calls pl_stop(p);       // async-signal-safe
 *   sl_err e = pl_run(p, err, sizeof err);                // until the end of input, pl_stop or an error
 *   pl_summary sm; pl_get_summary(p, &sm);
 *   pl_close(p, err, sizeof err);
 *
 * Threads: the replay reads and orders the inputs on its own thread and puts
 * batches on a bounded bus (backpressure: the replay lags, nothing is
 * dropped); pl_run's thread is the processor and the event loop: it takes
 * batches off the bus and runs the engine, and its timer (Redis's
 * serverCron) refreshes the provisional rows, commits the outputs and
 * writes the health snapshot once a second.  Every output works on its own
 * thread behind a bounded queue of copied rows (sink/async.h), in order;
 * the first output error stops the run.  An output that keeps only recent
 * events gets them through a write-behind buffer (store/evbuf.h) and, when
 * that buffer overflows in a backfill, what it shed is read back from an
 * output that keeps history (OUT_HISTORY) at the end.
 *
 * Stop: pl_stop ends the replay; what the bus holds is processed, the
 * outputs commit, windows still open stay provisional.  End of input: every
 * window is finalized.  Ownership: pl_open copies the config's arrays; the
 * schema, plugins, option structs and strings it points to stay the
 * caller's and must outlive the pipeline.
 */
#ifndef PL_PIPELINE_H
#define PL_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/health.h"
#include "plugins/plugin.h"
#include "replay/replay.h"
#include "schema/schema.h"
#include "util/err.h"
#include "util/leftover.h"

typedef struct pl_output {
    const out_plugin *p;
    const void *opts;  /* its options struct (p->opts_size bytes) */
    const char *name;  /* instance name: health labels, messages (NULL: p->instance) */
} pl_output;

typedef struct pl_progress {
    const en_stats *engine;
    int64_t position_us;   /* event time the replay reached */
    double lag_s;
    double rate;           /* events per second since the start */
    bool planned;          /* the replay order is planned (reading has started) */
    bool final;            /* the last call: the replay ended (or stopped) and the bus is
                              empty; not made after a failure */
    uint64_t rows_done;    /* rows the processor took off the bus in this run */
    uint64_t rows_total;   /* rows the replay gives in all (rp_replay_stats.rows_total: exact,
                              --from/--to and a resume applied; 0 before planned):
                              rows_done / rows_total is the share done */
} pl_progress;

/* The pipeline's own options (a pipeline file's `pipeline:` section). */
typedef struct pl_opts {
    int64_t commit_interval_us; /* outputs commit (and the run checkpoints) this often */
} pl_opts;
extern const sl_opt pl_opts_table[];

typedef struct pl_config {
    const sc_schema *schema;
    const rp_replay_input *inputs; /* files (globs expanded), formats chosen */
    size_t ninputs;
    rp_replay_opts replay;
    en_opts engine;
    const en_transform *transforms;
    size_t ntransforms;
    const pl_output *outputs;
    size_t noutputs;
    double tick_s;         /* the timer's period (default 1 s when 0) */
    size_t bus_batches;    /* batches in flight between replay and engine (default 8) */
    size_t queue_bytes;    /* copied rows queued per output (default 64 MiB) */
    /* Progress (may be NULL), from pl_run's thread every progress_s (default 0.25 s). */
    void (*on_progress)(void *ctx, const pl_progress *p);
    void *progress_ctx;
    double progress_s;
} pl_config;

typedef struct pl pl;

/* Opens every output (a bad path or schema fails here, before any input is
 * read) and the engine, and writes the first health snapshot (running = 1). */
sl_err pl_open(pl **out, const pl_config *c, char *err, size_t errlen);

/* Plan the replay, run until the end of input (every window final), a
 * pl_stop (open windows stay provisional) or an error, then commit every
 * output (the last health snapshot says running = 0).  The error of the
 * first failure (an input, the engine, an output) is returned; the run
 * stops at once after it. */
sl_err pl_run(pl *p, char *err, size_t errlen);

/* Ask pl_run to stop soon: the replay ends, what the bus holds is processed.
 * Async-signal-safe; any thread. */
void pl_stop(pl *p);

typedef struct pl_output_summary {
    const char *name;
    const char *plugin;
    const char *location;
    double busy_s;          /* time its thread spent in the output */
} pl_output_summary;

typedef struct pl_summary {
    en_stats engine;
    uint64_t replay_rows;
    int64_t position_us;
    double max_lag_s;
    bool planned;           /* the replay started (its order was planned) */
    rp_strategy strategy;
    bool stopped;           /* pl_stop was called */
    bool failed;
    bool finished;          /* every window final and taken by every output (false after a failure) */
    double seconds;
    uint64_t cold_hours_published; /* hours an OUT_HISTORY output published */
    sl_leftovers leftovers;        /* temporary files and spill directories of dead runs removed at open */
    uint64_t resumed_rows;         /* rows a checkpoint of the same owner said were done (docs/compose.md) */
    bool resume_ignored;           /* its checkpoint was of other options: started over */
    int64_t resume_from_us;        /* resumed: the event time the replay started at (INT64_MIN: the start) */
    uint64_t resume_unread_rows;   /* resumed: rows before it that ordered inputs seeked past, not read */
    size_t noutputs;
    pl_output_summary outputs[16];
} pl_summary;

void pl_get_summary(pl *p, pl_summary *s);
/* The latest health snapshot (for tests and the summary); valid until the next pl call. */
const hl_snap *pl_health(pl *p);

/* Close the outputs (if pl_run was not called or failed: without
 * publishing unfinished work), stop threads, free. */
sl_err pl_close(pl *p, char *err, size_t errlen);

#endif
