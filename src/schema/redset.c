/* redset.c: the Redset schema as data (see redset.h and docs/metrics.md).
 * Columns and physical types as in the real files; the accepted
 * alternatives (INT64 ids, BOOLEAN flags, TIMESTAMP millis/nanos/INT96,
 * text) are converted by the inputs. */
#include "schema/redset.h"

#define I32 {.type = SL_I32}
#define I64 {.type = SL_I64}
#define F64 {.type = SL_F64}
#define STR {.type = SL_BYTES, .logical = SL_LOG_STRING}
#define TS {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}

/* durations: negative -> bad row, NULL -> 0, above the cap -> the cap */
#define DURATION (SC_NONNEG | SC_NULL_ZERO | SC_CLAMP)
/* mbytes and num_*: negative -> bad row, NULL -> 0 */
#define AMOUNT (SC_NONNEG | SC_NULL_ZERO)

static const sc_col cols[] = {
    {"instance_id", I32, SC_REQUIRED, NULL, "the Redshift instance (ids repeat across fleets: key with source)"},
    {"cluster_size", F64, SC_FINITE, NULL, "nodes; NULL for serverless"},
    {"user_id", I64, 0, NULL, "user"},
    {"database_id", I64, 0, NULL, "database"},
    {"query_id", I64, SC_REQUIRED, NULL, "unique per instance, not time-ordered"},
    {"arrival_timestamp", TS, SC_REQUIRED, NULL, "when the query arrived (UTC): the event time"},
    {"compile_duration_ms", F64, SC_FINITE | DURATION, NULL, "compile time"},
    {"queue_duration_ms", I64, DURATION, NULL, "time in the queue"},
    {"execution_duration_ms", I64, DURATION, NULL, "execution time"},
    {"feature_fingerprint", STR, 0, NULL, "64 hex chars: queries with the same features"},
    {"was_aborted", I32, SC_NULL_ZERO | SC_FLAG01, NULL, "0/1"},
    {"was_cached", I32, SC_NULL_ZERO | SC_FLAG01, NULL, "0/1: answered from the result cache"},
    {"cache_source_query_id", F64, SC_FINITE, NULL, "the query whose cached result was used"},
    {"query_type", STR, SC_REQUIRED | SC_TRIM_LOWER, NULL, "select, insert, copy, ..."},
    {"num_permanent_tables_accessed", F64, SC_FINITE | AMOUNT, NULL, "permanent tables read"},
    {"num_external_tables_accessed", F64, SC_FINITE | AMOUNT, NULL, "external tables read"},
    {"num_system_tables_accessed", F64, SC_FINITE | AMOUNT, NULL, "system tables read"},
    {"read_table_ids", STR, SC_ID_LIST, NULL, "comma-separated ids of the tables read"},
    {"write_table_ids", STR, SC_ID_LIST, NULL, "comma-separated ids of the tables written"},
    {"mbytes_scanned", F64, SC_FINITE | AMOUNT, NULL, "MB scanned"},
    {"mbytes_spilled", F64, SC_FINITE | AMOUNT, NULL, "MB spilled to disk"},
    {"num_joins", I64, AMOUNT, NULL, "joins in the plan"},
    {"num_scans", I64, AMOUNT, NULL, "scans in the plan"},
    {"num_aggregations", I64, AMOUNT, NULL, "aggregations in the plan"},
};

const sc_def sc_redset_def = {
    .name = "redset",
    .help = "Amazon Redshift fleet telemetry (Redset): one row per query",
    .cols = cols,
    .ncols = sizeof cols / sizeof cols[0],
    .time = "arrival_timestamp",
    .order = {"instance_id", "query_id"},
    .dedupe = {"instance_id", "query_id"},
    .partition = {"instance_id"},
    .required = {"arrival_timestamp", "instance_id", "query_id", "query_type"},
    .ts_min_us = SC_REDSET_TS_MIN_US,
    .ts_max_us = SC_REDSET_TS_MAX_US,
    .duration_cap_ms = 604800000,
};
