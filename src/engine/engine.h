/* engine.h: the generic event-time engine.  Takes canonical event batches
 * (schema.h) in replay order, cleans them by the schema's column rules
 * (clean.h), assigns each accepted event to its UTC hour window, drops
 * duplicates (the schema's dedupe key, with source, within the window),
 * sends events of already-final windows to late_events, hands the rest to
 * the transforms (transform.h) that keep per-window state, advances the
 * watermark W = max accepted event time - lateness, and finalizes every
 * window whose end <= W.  Output goes to a sink.
 *
 *   en_opts o; en_opts_default(&o);
 *   en_transform tr[] = {{&tr_redset_metrics, &rm_opts}};
 *   en *e;
 *   if (en_open(&e, schema, &o, tr, 1, &sink, err, sizeof err)) fail(err);
 *   const tb_list *tables = en_tables(e);  // transforms' tables, bad_rows, late_events, events
 *   while (batch) en_process(e, batch, err, sizeof err);   // cleans the batch in place
 *   en_refresh(e, ...)   // provisional rows of the open windows (once a second)
 *   en_finish(e, ...)    // end of input: every window final
 *   en_close(e);
 *
 * Order of work per event: clean -> late? -> duplicate? -> transforms.
 * Accounting: read = accepted + bad + duplicates + late, at every call.
 * State is bounded by the open windows.  One thread calls an engine.
 */
#ifndef EN_ENGINE_H
#define EN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "engine/clean.h"
#include "engine/transform.h"
#include "schema/schema.h"
#include "schema/table.h"
#include "util/err.h"
#include "util/opt.h"

typedef struct en_opts {
    int64_t lateness_us;     /* default 10 min */
    int64_t duration_cap_ms; /* cap of the CLAMP columns; default: the schema's (7 days for Redset) */
} en_opts;

/* The engine's option table ("lateness", "duration_cap"). */
extern const sl_opt en_opts_table[];
void en_opts_default(en_opts *o, const sc_schema *s);

/* Where results go.  Batches are valid only during the call; rows of one
 * call are sorted by the table's key.  `table` is an index into
 * en_tables(). */
typedef struct en_sink {
    void *ctx;
    /* All rows of an hourly table for window hour_us, final or provisional;
     * or a batch of quarantined rows (bad_rows, late_events: hour_us =
     * INT64_MIN, final = true). */
    sl_err (*rows)(void *ctx, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen);
    /* Accepted (cleaned) events of window hour_us: rows idx[0..n) of the
     * canonical batch b, in processing order. */
    sl_err (*events)(void *ctx, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                     size_t errlen);
    /* Window hour_us is final: its final rows were delivered before this call. */
    sl_err (*window_final)(void *ctx, int64_t hour_us, char *err, size_t errlen);
    /* This run's contribution to window hour_us (docs/compose.md): the
     * transforms' saved states and the dedupe keys of the events this run
     * accepted, as one blob (valid during the call); delivered just before
     * the window's final rows.  NULL: not asked for. */
    sl_err (*contribution)(void *ctx, int64_t hour_us, const void *p, size_t len, char *err, size_t errlen);
    /* Window hour_us is done for this run, but the run covered only part of
     * the hour (en_set_span) and no other run's contribution covers the
     * rest: its rows were delivered provisional (final = false) and stay so
     * until a run that covers the rest makes the hour final.  NULL: ignored. */
    sl_err (*window_partial)(void *ctx, int64_t hour_us, char *err, size_t errlen);
} en_sink;

/* A contribution blob packed for storage (zstd; malloc'ed, the caller's);
 * the ledger reads packed and unpacked blobs alike.  Any thread. */
sl_err en_contrib_pack(const void *p, size_t len, uint8_t **out, size_t *outlen, char *err, size_t errlen);

/* Where the contributions of other runs are read (docs/compose.md). */
typedef sl_err (*en_contrib_fn)(void *fnctx, const void *p, size_t len, char *err, size_t errlen);
typedef sl_err (*en_span_fn)(void *fnctx, int64_t lo_us, int64_t hi_us, char *err, size_t errlen);
typedef sl_err (*en_hour_fn)(void *fnctx, int64_t hour_us, char *err, size_t errlen);
typedef struct en_ledger {
    void *ctx;
    /* Call fn with each contribution of another run to window hour_us. */
    sl_err (*load)(void *ctx, int64_t hour_us, en_contrib_fn fn, void *fnctx, char *err, size_t errlen);
    /* Call fn with the event-time range [lo, hi) of each other run that
     * finished (INT64_MIN / INT64_MAX: open).  May be NULL. */
    sl_err (*coverage)(void *ctx, en_span_fn fn, void *fnctx, char *err, size_t errlen);
    /* Call fn, in ascending order, with each hour in [lo_us, hi_us) that has
     * another run's contribution and none of this run's.  May be NULL. */
    sl_err (*hours)(void *ctx, int64_t lo_us, int64_t hi_us, en_hour_fn fn, void *fnctx, char *err, size_t errlen);
} en_ledger;

typedef struct en_stats {
    cl_counters clean;         /* read = clean.rows */
    uint64_t accepted, duplicates, late;
    uint64_t bad;              /* sum of clean.bad[] */
    int64_t watermark_us;      /* INT64_MIN before the first accepted event */
    int64_t max_event_us;      /* largest applied event time */
    uint64_t open_windows, windows_final;
    uint64_t windows_partial;  /* done for this run but covered only in part (provisional) */
} en_stats;

typedef struct en en;

/* The transforms run in the given order; each keeps its options pointer
 * (the caller's, alive until en_close).  The sink is copied. */
sl_err en_open(en **out, const sc_schema *s, const en_opts *o, const en_transform *tr, size_t ntr, const en_sink *sink,
               char *err, size_t errlen);
/* Every table the engine produces (transforms' hourly tables, bad_rows,
 * late_events, the events table); valid until en_close. */
const tb_list *en_tables(const en *e);
/* The engine's own tables for schema s, as en_tables lists them: bad_rows,
 * late_events (hour, source, _input, _row, the event time, the dedupe key,
 * watermark, raw) and events (the schema's columns, source, _input, _row).
 * The caller frees each with tb_free. */
sl_err en_own_tables(const sc_schema *s, tb_def **bad_rows, tb_def **late_events, tb_def **events, char *err,
                     size_t errlen);
/* Index of the events table / bad_rows / late_events in en_tables. */
size_t en_table_events(const en *e);
size_t en_table_bad_rows(const en *e);
size_t en_table_late_events(const en *e);
/* Process a canonical batch (cleaned in place). */
sl_err en_process(en *e, sl_batch *b, char *err, size_t errlen);
/* Deliver the provisional rows (final = false) of every open window. */
sl_err en_refresh(en *e, char *err, size_t errlen);
/* End of input: finalize every open window in hour order.  With a ledger,
 * then also make final each hour that other runs contributed to, that this
 * run did not open, and that this run's span completes (docs/compose.md,
 * "Hours a run covers only in part"): its rows are the other runs' merged
 * state. */
sl_err en_finish(en *e, char *err, size_t errlen);
const en_stats *en_get_stats(const en *e);
/* Compose with earlier runs (before the first en_process): when a window
 * opens, the other runs' contributions to its hour are loaded; their events'
 * keys count as already accepted (a repeated event is a duplicate) and every
 * emission is of the merged state.  The ledger is copied. */
void en_set_ledger(en *e, const en_ledger *l);
/* Checkpoint (docs/compose.md): the engine's state between batches -- the
 * counters, the watermark and final hours, the rows processed, each open
 * window's own state and dedupe keys -- as bytes valid until the next call. */
sl_err en_checkpoint(en *e, const void **p, size_t *len, char *err, size_t errlen);
/* Resume from a checkpoint of the same run (same inputs and options, so the
 * replay gives the same rows in the same order), after en_set_ledger and
 * before the first en_process: the first rows processed then are the ones
 * it counted (skipped: only their open windows' events are delivered again). */
sl_err en_restore(en *e, const void *p, size_t len, char *err, size_t errlen);
/* Rows en_restore said were done (0 without). */
uint64_t en_resume_rows(const en *e);
/* After en_restore: the event time the replay resumes at (its rows before
 * that time, and those without one, are done: a replay in event-time order
 * starts there, RP resume_us); false: from the start. */
bool en_resume_from(const en *e, int64_t *us);
/* The event-time range [from_us, to_us) this run covers (default: all
 * time).  A window whose hour it covers only in part is complete -- final --
 * only when other runs' contributions cover the rest (docs/compose.md). */
void en_set_span(en *e, int64_t from_us, int64_t to_us);
const sc_schema *en_schema(const en *e);
void en_close(en *e);

#endif
