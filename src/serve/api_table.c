/* api_table.c: /api/v1/table/<name>, raw rows of a metric or quarantine
 * table in key order, with filters, limit and offset. */
#include <string.h>

#include "serve/api_int.h"
#include "stream/tables.h"

#define LIM (SV_PB(SV_P_LIMIT) | SV_PB(SV_P_OFFSET))
#define SRC SV_PB(SV_P_SOURCE)
#define INST SV_PB(SV_P_INSTANCE)
#define QT SV_PB(SV_P_QUERY_TYPE)
#define FIN SV_PB(SV_P_FINAL)

static const sv_pspec k_specs[ST_N_TABLES] = {
    [ST_QUERY_HOURLY] = {"/api/v1/table/query_hourly", "query_hourly", SV_P_RANGE | SRC | INST | QT | FIN | LIM, 1000,
                         50000},
    [ST_SPILL_HOURLY] = {"/api/v1/table/spill_hourly", "spill_hourly", SV_P_RANGE | QT | FIN | LIM, 1000, 50000},
    [ST_CACHE_HOURLY] = {"/api/v1/table/cache_hourly", "cache_hourly", SV_P_RANGE | SRC | INST | FIN | LIM, 1000,
                         50000},
    [ST_TOP_TABLES_HOURLY] = {"/api/v1/table/top_tables_hourly", "top_tables_hourly",
                              SV_P_RANGE | SRC | INST | FIN | LIM, 1000, 50000},
    [ST_COMPILE_JOINS_HOURLY] = {"/api/v1/table/compile_joins_hourly", "compile_joins_hourly", SV_P_RANGE | FIN | LIM,
                                 1000, 50000},
    [ST_COMPILE_CORR_HOURLY] = {"/api/v1/table/compile_corr_hourly", "compile_corr_hourly", SV_P_RANGE | FIN | LIM,
                                1000, 50000},
    [ST_UTILIZATION_HOURLY] = {"/api/v1/table/utilization_hourly", "utilization_hourly",
                               SV_P_RANGE | SRC | INST | FIN | LIM, 1000, 50000},
    [ST_BAD_ROWS] = {"/api/v1/table/bad_rows", "bad_rows", SRC | SV_PB(SV_P_REASON) | LIM, 1000, 50000},
    [ST_LATE_EVENTS] = {"/api/v1/table/late_events", "late_events", SV_P_RANGE | SRC | INST | LIM, 1000, 50000},
};

static int table_of(const char *name) {
    for (int t = 0; t < ST_N_TABLES; t++)
        if (!strcmp(st_table_name((st_table)t), name)) return t;
    return -1;
}

const sv_pspec *sv_table_spec(const char *name) {
    int t = table_of(name);
    return t < 0 ? NULL : &k_specs[t];
}

sl_err sv_ep_table(sv_q *q) {
    int t = table_of(q->table);
    if (t < 0) return sv_q_fail(q, 404, "unknown table '%.64s'", q->table);
    bool metric = t < ST_N_METRIC_TABLES;
    const st_col_def *c = st_table_cols((st_table)t);
    size_t nc = st_table_ncols((st_table)t);
    sl_buf cols, order;
    sl_buf_init(&cols);
    sl_buf_init(&order);
    for (size_t i = 0; i < nc; i++) sl_buf_printf(&cols, "%s\"%s\"", i ? ", " : "", c[i].name);
    if (metric) sl_buf_puts(&cols, ", \"final\"");
    sl_buf_puts(&order, "ORDER BY ");
    for (size_t i = 0, k = 0; i < nc; i++)
        if (c[i].key) sl_buf_printf(&order, "%s\"%s\"", k++ ? ", " : "", c[i].name);
    sl_buf_puts(&order, " LIMIT ? OFFSET ?");
    sl_err e = cols.oom || order.oom ? sv_q_fail(q, 500, "out of memory") : SL_OK;

    sv_json_obj(&q->j);
    sv_json_kstr(&q->j, "table", q->table);
    /* metric tables: a range always (the default one when not given);
     * late_events: only an explicit range; bad_rows has no hour. */
    unsigned use = k_specs[t].allowed;
    if (!metric) use &= ~SV_P_RANGE;
    if (t == ST_LATE_EVENTS && (q->p->given & SV_P_RANGE)) use |= SV_P_RANGE;
    if (e == SL_OK && (use & SV_P_RANGE)) e = sv_q_range(q);
    else if (e == SL_OK) {
        sv_json_knull(&q->j, "from");
        sv_json_knull(&q->j, "to");
    }
    sqlite3_stmt *st = NULL;
    if (e == SL_OK) e = sv_q_prepare(q, &st, sl_buf_cstr(&cols), q->table, use, sl_buf_cstr(&order));
    sl_buf_free(&cols);
    sl_buf_free(&order);
    if (e != SL_OK) return e;
    int np = sqlite3_bind_parameter_count(st);
    sqlite3_bind_int64(st, np - 1, q->p->limit + 1); /* one more: is there more? */
    sqlite3_bind_int64(st, np, q->p->offset);
    sv_json_ki64(&q->j, "limit", q->p->limit);
    sv_json_ki64(&q->j, "offset", q->p->offset);
    int n = sqlite3_column_count(st);
    sv_json_key(&q->j, "columns");
    sv_json_arr(&q->j);
    for (int i = 0; i < n; i++) sv_json_str(&q->j, sqlite3_column_name(st, i));
    sv_json_arr_end(&q->j);
    sv_json_key(&q->j, "rows");
    sv_json_arr(&q->j);
    int64_t rows = 0;
    bool truncated = false;
    int rc;
    while ((rc = sv_q_step(q, st, q->table)) == SQLITE_ROW) {
        if (rows == q->p->limit || q->out.len > SV_TABLE_BODY_LIMIT) {
            truncated = true;
            break;
        }
        sv_json_arr(&q->j);
        for (int i = 0; i < n; i++) sv_q_col(q, st, i);
        sv_json_arr_end(&q->j);
        rows++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return SL_ERR_IO;
    sv_json_arr_end(&q->j);
    sv_json_kbool(&q->j, "truncated", truncated);
    sv_json_obj_end(&q->j);
    return SL_OK;
}
