#include "stream/tables.h"

#define TS {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}
#define STR {.type = SL_BYTES, .logical = SL_LOG_STRING}
#define I32 {.type = SL_I32}
#define I64 {.type = SL_I64}
#define F64 {.type = SL_F64}

/* name, type, nullable, key */
static const st_col_def query_hourly[] = {
    {"hour", TS, false, true},          {"source", STR, false, true},       {"instance_id", I32, false, true},
    {"query_type", STR, false, true},   {"queries", I64, false, false},     {"aborted", I64, false, false},
    {"cached", I64, false, false},      {"spilled", I64, false, false},     {"compile_ms_sum", F64, false, false},
    {"queue_ms_sum", I64, false, false}, {"exec_ms_sum", I64, false, false}, {"mbytes_scanned_sum", F64, false, false},
    {"mbytes_spilled_sum", F64, false, false},
};
static const st_col_def spill_hourly[] = {
    {"hour", TS, false, true},
    {"query_type", STR, false, true},
    {"spilled", I64, false, false},
    {"mbytes_spilled_sum", F64, false, false},
    {"queries", I64, false, false},
};
static const st_col_def cache_hourly[] = {
    {"hour", TS, false, true},     {"source", STR, false, true},   {"instance_id", I32, false, true},
    {"cached", I64, false, false}, {"queries", I64, false, false}, {"hit_rate", F64, false, false},
};
static const st_col_def top_tables_hourly[] = {
    {"hour", TS, false, true}, {"source", STR, false, true},       {"instance_id", I32, false, true},
    {"rank", I32, false, true}, {"table_id", I64, false, false}, {"reads", I64, false, false},
};
static const st_col_def compile_joins_hourly[] = {
    {"hour", TS, false, true},
    {"joins_bucket", STR, false, true},
    {"queries", I64, false, false},
    {"compile_ms_sum", F64, false, false},
    {"compile_ms_max", F64, false, false},
};
static const st_col_def compile_corr_hourly[] = {
    {"hour", TS, false, true},
    {"n", I64, false, false},
    {"corr", F64, true, false},
};
static const st_col_def utilization_hourly[] = {
    {"hour", TS, false, true},          {"source", STR, false, true},         {"instance_id", I32, false, true},
    {"busy_ms", F64, false, false},     {"avg_concurrency", F64, false, false}, {"q_score", F64, false, false},
    {"c_score", F64, false, false},     {"s_score", F64, false, false},       {"p_score", F64, false, false},
    {"composite", F64, false, false},   {"oversubscribed", I32, false, false}, {"slowdown", F64, true, false},
    {"fp_groups", I64, false, false},
};
static const st_col_def bad_rows[] = {
    {"source", STR, false, true}, {"_input", I32, false, true}, {"_row", I64, false, true},
    {"reason", STR, false, false}, {"detail", STR, true, false}, {"raw", STR, true, false},
};
static const st_col_def late_events[] = {
    {"hour", TS, false, false},   {"source", STR, false, true},  {"_input", I32, false, true},
    {"_row", I64, false, true},   {"arrival_timestamp", TS, false, false}, {"instance_id", I32, true, false},
    {"query_id", I64, true, false}, {"watermark", TS, false, false}, {"raw", STR, true, false},
};

#define N(a) (sizeof(a) / sizeof(a[0]))
static const struct {
    const char *name;
    const st_col_def *cols;
    size_t n;
} tabs[ST_N_TABLES] = {
    {"query_hourly", query_hourly, N(query_hourly)},
    {"spill_hourly", spill_hourly, N(spill_hourly)},
    {"cache_hourly", cache_hourly, N(cache_hourly)},
    {"top_tables_hourly", top_tables_hourly, N(top_tables_hourly)},
    {"compile_joins_hourly", compile_joins_hourly, N(compile_joins_hourly)},
    {"compile_corr_hourly", compile_corr_hourly, N(compile_corr_hourly)},
    {"utilization_hourly", utilization_hourly, N(utilization_hourly)},
    {"bad_rows", bad_rows, N(bad_rows)},
    {"late_events", late_events, N(late_events)},
};

const char *st_table_name(st_table t) { return (unsigned)t < ST_N_TABLES ? tabs[t].name : "?"; }
size_t st_table_ncols(st_table t) { return (unsigned)t < ST_N_TABLES ? tabs[t].n : 0; }
const st_col_def *st_table_cols(st_table t) { return (unsigned)t < ST_N_TABLES ? tabs[t].cols : NULL; }

size_t st_table_nkeys(st_table t) {
    size_t k = 0;
    for (size_t i = 0; i < st_table_ncols(t); i++)
        if (tabs[t].cols[i].key) k++;
    return k;
}

sl_err st_init_batch(st_table t, sl_batch *b, char *err, size_t errlen) {
    if ((unsigned)t >= ST_N_TABLES) return sl_err_set(err, errlen, SL_ERR_ARG, "unknown table %d", (int)t);
    for (size_t i = 0; i < tabs[t].n; i++) {
        sl_err e = sl_batch_add_col(b, tabs[t].cols[i].name, &tabs[t].cols[i].type, tabs[t].cols[i].nullable, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}
