/* api_table.c: /api/v1/table/<name>, raw rows of a metric or quarantine
 * table in key order, with filters, limit and offset. */
#include <pthread.h>
#include <string.h>

#include "engine/engine.h"
#include "plugins/redset_tables.h"
#include "schema/redset.h"
#include "serve/api_int.h"

#define LIM (SV_PB(SV_P_LIMIT) | SV_PB(SV_P_OFFSET))

/* The tables the API serves: the Redset metric tables and the engine's
 * quarantine tables of the Redset schema, from their definitions; each
 * table's filters are the columns it has. */
#define MAX_TABLES 16
static struct {
    const tb_def *def[MAX_TABLES];
    sv_pspec spec[MAX_TABLES];
    char endpoint[MAX_TABLES][64];
    size_t n;
    char names[512];
} g_tables;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_tables(void) {
    static const tb_def *const redset[] = {&rs_query_hourly,         &rs_spill_hourly,        &rs_cache_hourly,
                                           &rs_top_tables_hourly,    &rs_compile_joins_hourly, &rs_compile_corr_hourly,
                                           &rs_utilization_hourly};
    size_t n = 0;
    for (size_t i = 0; i < sizeof redset / sizeof *redset; i++) g_tables.def[n++] = redset[i];
    const sc_schema *s = NULL;
    char err[SL_ERRLEN];
    tb_def *bad = NULL, *late = NULL, *ev = NULL;
    if (sc_open(&s, &sc_redset_def, err, sizeof err) == SL_OK &&
        en_own_tables(s, &bad, &late, &ev, err, sizeof err) == SL_OK) {
        g_tables.def[n++] = bad; /* kept for the life of the process */
        g_tables.def[n++] = late;
        bad = late = NULL;
    }
    tb_free(bad);
    tb_free(late);
    tb_free(ev);
    sc_close(s);
    size_t at = 0;
    for (size_t t = 0; t < n; t++) {
        const tb_def *d = g_tables.def[t];
        unsigned allowed = LIM;
        if (d->kind == TB_HOURLY) allowed |= SV_P_RANGE | SV_PB(SV_P_FINAL);
        else if (tb_find(d, "hour") >= 0) allowed |= SV_P_RANGE; /* late_events: an explicit range only */
        if (tb_find(d, "source") >= 0) allowed |= SV_PB(SV_P_SOURCE);
        if (tb_find(d, "instance_id") >= 0) allowed |= SV_PB(SV_P_INSTANCE);
        if (tb_find(d, "query_type") >= 0) allowed |= SV_PB(SV_P_QUERY_TYPE);
        if (tb_find(d, "reason") >= 0) allowed |= SV_PB(SV_P_REASON);
        snprintf(g_tables.endpoint[t], sizeof g_tables.endpoint[t], "/api/v1/table/%s", d->name);
        g_tables.spec[t] = (sv_pspec){g_tables.endpoint[t], d->name, allowed, 1000, 50000};
        at += (size_t)snprintf(g_tables.names + at, sizeof g_tables.names - at, "%s%s", t ? ", " : "", d->name);
        if (at >= sizeof g_tables.names) at = sizeof g_tables.names - 1;
    }
    g_tables.n = n;
}

static int table_of(const char *name) {
    pthread_once(&g_once, init_tables);
    for (size_t t = 0; t < g_tables.n; t++)
        if (!strcmp(g_tables.def[t]->name, name)) return (int)t;
    return -1;
}

const sv_pspec *sv_table_spec(const char *name) {
    int t = table_of(name);
    return t < 0 ? NULL : &g_tables.spec[t];
}

const char *sv_table_names(void) {
    pthread_once(&g_once, init_tables);
    return g_tables.names;
}

sl_err sv_ep_table(sv_q *q) {
    int t = table_of(q->table);
    if (t < 0) return sv_q_fail(q, 404, "unknown table '%.64s'", q->table);
    const tb_def *d = g_tables.def[t];
    bool metric = d->kind == TB_HOURLY;
    const tb_col *c = d->cols;
    size_t nc = d->ncols;
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
    unsigned use = g_tables.spec[t].allowed;
    if (!metric) use &= ~SV_P_RANGE;
    if (!metric && tb_find(d, "hour") >= 0 && (q->p->given & SV_P_RANGE)) use |= SV_P_RANGE;
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
