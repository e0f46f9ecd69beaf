/* tables.h: the output tables of the pipeline as columnar batches.
 *
 * The processor emits every metric table of docs/metrics.md section 4 (and the
 * quarantine tables) as sl_batch rows with exactly these columns, in this
 * order; the hot store (SQLite) and the cold store (Parquet) write them as
 * they are.  `hour` is INT64 TIMESTAMP(MICROS, UTC): the window start.  The
 * hot store renders it as 'YYYY-MM-DD HH:00:00' text and adds `final`.
 * Keys are listed first; rows of one emission are sorted by key, so the
 * same input always gives byte-identical cold files.
 */
#ifndef ST_TABLES_H
#define ST_TABLES_H

#include <stdbool.h>

#include "batch/batch.h"
#include "util/err.h"

typedef enum st_table {
    ST_QUERY_HOURLY = 0,   /* hour, source, instance_id, query_type | queries, aborted, cached,
                              spilled (I64), compile_ms_sum (F64), queue_ms_sum, exec_ms_sum (I64),
                              mbytes_scanned_sum, mbytes_spilled_sum (F64) */
    ST_SPILL_HOURLY,       /* hour, query_type | spilled (I64), mbytes_spilled_sum (F64), queries (I64) */
    ST_CACHE_HOURLY,       /* hour, source, instance_id | cached, queries (I64), hit_rate (F64) */
    ST_TOP_TABLES_HOURLY,  /* hour, source, instance_id, rank (I32) | table_id, reads (I64) */
    ST_COMPILE_JOINS_HOURLY, /* hour, joins_bucket (STR '0','1','2','3','4-5','6-9','10+') |
                              queries (I64), compile_ms_sum, compile_ms_max (F64) */
    ST_COMPILE_CORR_HOURLY, /* hour | n (I64), corr (F64, NULL when undefined) */
    ST_UTILIZATION_HOURLY, /* hour, source, instance_id | busy_ms, avg_concurrency, q_score,
                              c_score, s_score, p_score, composite (F64), oversubscribed (I32 0/1),
                              slowdown (F64, nullable), fp_groups (I64) */
    ST_N_METRIC_TABLES,
    ST_BAD_ROWS = ST_N_METRIC_TABLES, /* source, _input (I32), _row (I64), reason (STR), detail (STR),
                              raw (STR: the event as a JSON object) */
    ST_LATE_EVENTS,        /* hour, source, _input, _row, arrival_timestamp, instance_id,
                              query_id, watermark (TIMESTAMP), raw (STR JSON) */
    ST_N_TABLES
} st_table;

typedef struct st_col_def {
    const char *name;
    sl_coltype type;
    bool nullable;
    bool key;
} st_col_def;

const char *st_table_name(st_table t);          /* "query_hourly", ... */
size_t st_table_ncols(st_table t);
const st_col_def *st_table_cols(st_table t);    /* ncols definitions */
size_t st_table_nkeys(st_table t);              /* leading key columns */
/* Add the table's columns to an empty batch. */
sl_err st_init_batch(st_table t, sl_batch *b, char *err, size_t errlen);

#endif
