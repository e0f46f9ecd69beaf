#include "replay/event.h"

#include <string.h>

#define T_I32 {.type = SL_I32}
#define T_I64 {.type = SL_I64}
#define T_F64 {.type = SL_F64}
#define T_STR {.type = SL_BYTES, .logical = SL_LOG_STRING}
#define T_TS {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}

static const struct {
    const char *name;
    sl_coltype type;
    bool nullable;
} cols[EV_NCOLS] = {
    {"instance_id", T_I32, true},
    {"cluster_size", T_F64, true},
    {"user_id", T_I64, true},
    {"database_id", T_I64, true},
    {"query_id", T_I64, true},
    {"arrival_timestamp", T_TS, true},
    {"compile_duration_ms", T_F64, true},
    {"queue_duration_ms", T_I64, true},
    {"execution_duration_ms", T_I64, true},
    {"feature_fingerprint", T_STR, true},
    {"was_aborted", T_I32, true},
    {"was_cached", T_I32, true},
    {"cache_source_query_id", T_F64, true},
    {"query_type", T_STR, true},
    {"num_permanent_tables_accessed", T_F64, true},
    {"num_external_tables_accessed", T_F64, true},
    {"num_system_tables_accessed", T_F64, true},
    {"read_table_ids", T_STR, true},
    {"write_table_ids", T_STR, true},
    {"mbytes_scanned", T_F64, true},
    {"mbytes_spilled", T_F64, true},
    {"num_joins", T_I64, true},
    {"num_scans", T_I64, true},
    {"num_aggregations", T_I64, true},
    {"source", T_STR, false},
    {"_input", T_I32, false},
    {"_row", T_I64, false},
    {"_error", T_STR, true},
    {"_extra", T_STR, true},
};

const char *ev_col_name(int col) { return col >= 0 && col < EV_NCOLS ? cols[col].name : "?"; }

const sl_coltype *ev_col_type(int col) { return col >= 0 && col < EV_NCOLS ? &cols[col].type : NULL; }

int ev_col_find(const char *name) {
    for (int i = 0; i < EV_N_REDSET; i++)
        if (strcmp(cols[i].name, name) == 0) return i;
    return -1;
}

sl_err ev_init_batch(sl_batch *b, char *err, size_t errlen) {
    for (int i = 0; i < EV_NCOLS; i++) {
        sl_err e = sl_batch_add_col(b, cols[i].name, &cols[i].type, cols[i].nullable, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}
