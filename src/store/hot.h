/* hot.h: the hot store, one SQLite file in WAL mode, so the dashboard and
 * the sqlite3 shell can read while the pipeline writes.
 *
 * Tables (docs/stores.md), derived from the pipeline's table definitions
 * (schema/table.h): every hourly table with the same name and columns,
 * `hour` as 'YYYY-MM-DD HH:00:00' text, plus `final` (0/1), primary key =
 * the table's key columns; the quarantine tables (bad_rows, late_events);
 * `events` (recent cleaned events: the schema's columns, source, _input,
 * _row and their hour, pruned to the last `retention_hours` of event time);
 * `inputs` (each run owner's input files by their _input number);
 * `pipeline_health` (name, value, updated_at); `store_meta` (the schema the
 * store holds).  Writes are idempotent upserts by key, grouped into one
 * transaction per hs_commit (the pipeline commits about once a second).
 * A final row is never overwritten by a provisional one.  The reader's half
 * of this contract is hot_read.h: typed reads that build their SQL from the
 * same table definitions, with typed reads of pipeline_health, schema_version
 * (HR_SCHEMA_VERSION is the layout written here) and store_meta.
 */
#ifndef ST_HOT_H
#define ST_HOT_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/batch.h"
#include "schema/schema.h"
#include "schema/table.h"
#include "util/err.h"

typedef struct hs hs;

typedef struct hs_opts {
    int retention_hours;    /* recent events kept, in event-time hours (default 24) */
    bool keep_events;       /* write the events table (default true) */
} hs_opts;

hs_opts hs_opts_default(void);

/* Create or open path with the tables of `tables` (the TB_EVENTS one holds
 * the events of schema s); sets WAL.  A store made for another schema is
 * refused.  s and tables must outlive the handle. */
sl_err hs_open(hs **out, const char *path, const hs_opts *o, const sc_schema *s, const tb_list *tables, char *err,
               size_t errlen);
/* Upsert rows of table `table` (an index into the tables; hourly or
 * quarantine) for window hour_us. */
sl_err hs_write_rows(hs *h, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen);
/* Recent cleaned events (rows idx[0..n) of canonical batch b). */
sl_err hs_write_events(hs *h, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen);
/* Health counters: name -> value (upsert).  A few series (events per
 * second, replay lag, the stores' queue wait counters and longest calls:
 * k_history in hot.c) are also appended to `health_history` (ts, name,
 * value) with the same wall-clock ts; rows older than retention_hours of
 * wall-clock time are deleted. */
sl_err hs_write_health(hs *h, const char *const *names, const double *values, size_t n, char *err, size_t errlen);
/* Commit the open transaction (and start the next lazily); prunes events
 * older than the retention relative to the newest event. */
sl_err hs_commit(hs *h, char *err, size_t errlen);
/* Window hour_us is final (its final rows were written): delete the rows of
 * that hour still provisional (final = 0) in every hourly table -- they are
 * not part of the final result.  Part of the open transaction: readers see
 * the hour final at the next hs_commit (the runner commits once a second,
 * after the cold store has put the hour's files in place). */
sl_err hs_window_final(hs *h, int64_t hour_us, char *err, size_t errlen);
/* Roll back the open transaction (nothing written since the last commit stays). */
void hs_rollback(hs *h);
/* Commit and close. */
sl_err hs_close(hs *h, char *err, size_t errlen);

/* The ledger of composed runs (docs/compose.md): table `contributions`
 * (hour, owner, state, updated_at), `owners` (owner, description,
 * first_run, last_run) and `coverage` (owner, from_us, to_us, finished_at:
 * the event-time range of each owner whose last run finished; NULL open).
 * hs_set_owner names the run that this handle writes for and its range
 * (INT64_MIN / INT64_MAX: open); hs_write_contribution stores its
 * contribution to an hour (replacing its own earlier one) in the open
 * transaction, with the hour's rows. */
sl_err hs_set_owner(hs *h, const char *owner, const char *description, int64_t from_us, int64_t to_us, char *err,
                    size_t errlen);
sl_err hs_write_contribution(hs *h, int64_t hour_us, const void *p, size_t len, char *err, size_t errlen);

/* The run's inputs (docs/stores.md, table `inputs`): v[i] is the input whose
 * rows carry `_input` = i.  Replaces the owner's earlier list (hs_set_owner
 * first), in the open transaction.  The quarantine rows (bad_rows,
 * late_events) carry their run's owner, so (owner, _input) names a row's
 * input unambiguously across runs.  When the owner's earlier list numbered
 * the same inputs (same path and source) differently -- the same command
 * with its inputs in another order -- the owner's quarantine rows are
 * renumbered to the new list, so they keep naming their file. */
typedef struct hs_input {
    const char *path;   /* as the run's owner names it: absolute when the file exists */
    const char *source; /* its source label */
    const char *format; /* its input format ("parquet", "csv", "jsonl"); NULL: not known */
} hs_input;
sl_err hs_write_inputs(hs *h, const hs_input *v, size_t n, char *err, size_t errlen);

/* A read-only connection for the processor's thread: the committed
 * contributions of every owner but `owner` to an hour. */
typedef struct hs_ledger hs_ledger;
typedef sl_err (*hs_ledger_fn)(void *ctx, const void *p, size_t len, char *err, size_t errlen);
sl_err hs_ledger_open(hs_ledger **out, const char *path, const char *owner, char *err, size_t errlen);
sl_err hs_ledger_load(hs_ledger *l, int64_t hour_us, hs_ledger_fn fn, void *ctx, char *err, size_t errlen);
/* The ranges of the other owners whose last run finished (coverage). */
typedef sl_err (*hs_span_fn)(void *ctx, int64_t lo_us, int64_t hi_us, char *err, size_t errlen);
sl_err hs_ledger_coverage(hs_ledger *l, hs_span_fn fn, void *ctx, char *err, size_t errlen);
/* The hours in [lo_us, hi_us), ascending, that hold another owner's
 * contribution and none of this owner's. */
typedef sl_err (*hs_hour_fn)(void *ctx, int64_t hour_us, char *err, size_t errlen);
sl_err hs_ledger_hours(hs_ledger *l, int64_t lo_us, int64_t hi_us, hs_hour_fn fn, void *ctx, char *err, size_t errlen);
void hs_ledger_close(hs_ledger *l);
/* The run's checkpoint (docs/compose.md): one row per owner in table
 * `checkpoints` (owner, state, rows, updated_at), written in the open
 * transaction with the rows it covers (len 0: the run finished: delete it
 * and record the owner's range in `coverage`).
 * hs_ledger_checkpoint gives the owner's committed checkpoint to fn, if any. */
sl_err hs_write_checkpoint(hs *h, const void *p, size_t len, uint64_t rows, char *err, size_t errlen);
sl_err hs_ledger_checkpoint(hs_ledger *l, hs_ledger_fn fn, void *ctx, char *err, size_t errlen);

#endif
