/* api_table.c: /api/v1/table/<name>, raw rows of a metric or quarantine
 * table in key order, with filters, limit and offset; the quarantine
 * tables' rows end with input_file (hot_read.h). */
#include <pthread.h>
#include <string.h>

#include "engine/engine.h"
#include "plugins/redset_tables.h"
#include "schema/redset.h"
#include "serve/api_int.h"

#define LIM (SV_PB(SV_P_LIMIT) | SV_PB(SV_P_OFFSET) | SV_PB(SV_P_FORMAT))

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
    const tb_def *bad, *late;
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
        g_tables.def[n++] = g_tables.bad = bad; /* kept for the life of the process */
        g_tables.def[n++] = g_tables.late = late;
        g_tables.def[n++] = ev; /* range: on its time column (hot_read.h: HR_F_HOUR) */
        bad = late = ev = NULL;
    }
    /* pipeline_health (hot.h): name, value, updated_at; key name */
    static const tb_col health[] = {{"name", TB_STR, false, true, NULL},
                                    {"value", TB_F64, true, false, NULL},
                                    {"updated_at", TB_STR, false, false, NULL}};
    tb_def *hd = NULL;
    if (tb_build(&hd, HR_HEALTH_TABLE, TB_QUARANTINE, health, 3, "the pipeline's health counters", err, sizeof err) ==
        SL_OK)
        g_tables.def[n++] = hd; /* kept for the life of the process */
    tb_free(bad);
    tb_free(late);
    tb_free(ev);
    sc_close(s);
    size_t at = 0;
    for (size_t t = 0; t < n; t++) {
        const tb_def *d = g_tables.def[t];
        static const struct {
            hr_filter f;
            unsigned params;
        } filters[] = {{HR_F_HOUR, SV_P_RANGE},
                       {HR_F_FINAL, SV_PB(SV_P_FINAL)},
                       {HR_F_SOURCE, SV_PB(SV_P_SOURCE)},
                       {HR_F_INSTANCE, SV_PB(SV_P_INSTANCE)},
                       {HR_F_QUERY_TYPE, SV_PB(SV_P_QUERY_TYPE)},
                       {HR_F_REASON, SV_PB(SV_P_REASON)}};
        unsigned allowed = LIM; /* late_events: a range, but only an explicit one (sv_ep_table) */
        for (size_t f = 0; f < sizeof filters / sizeof *filters; f++)
            if (hr_filter_col(d, filters[f].f) != HR_NOCOL) allowed |= filters[f].params;
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

const tb_def *sv_bad_rows(void) {
    pthread_once(&g_once, init_tables);
    return g_tables.bad;
}

const tb_def *sv_late_events(void) {
    pthread_once(&g_once, init_tables);
    return g_tables.late;
}

sl_err sv_ep_table(sv_q *q) {
    int t = table_of(q->table);
    if (t < 0) return sv_q_fail(q, 404, "unknown table '%.64s'", q->table);
    const tb_def *d = g_tables.def[t];
    bool metric = d->kind == TB_HOURLY;
    sv_json_obj(&q->j);
    sv_json_kstr(&q->j, "table", q->table);
    /* metric tables: a range always (the default one when not given);
     * late_events: only an explicit range; bad_rows has no hour. */
    unsigned use = g_tables.spec[t].allowed;
    if (!metric && !(q->p->given & SV_P_RANGE)) use &= ~SV_P_RANGE;
    sl_err e = SL_OK;
    if (use & SV_P_RANGE) {
        e = sv_q_range(q);
    } else {
        sv_json_knull(&q->j, "from");
        sv_json_knull(&q->j, "to");
    }
    /* every column (metric tables: then final), in key order; one row more
     * than the limit: is there more? */
    hr_query hq = {.table = d, .order_key = true, .limit = q->p->limit + 1, .offset = q->p->offset};
    /* quarantined rows: then the path of the input each came from */
    hq.input_file = d == g_tables.bad || d == g_tables.late;
    sv_q_where(q, use, &hq.where);
    hr_cursor cur;
    if (e == SL_OK) e = sv_q_open(q, &hq, &cur);
    if (e != SL_OK) return e;
    sv_json_ki64(&q->j, "limit", q->p->limit);
    sv_json_ki64(&q->j, "offset", q->p->offset);
    int n = hr_ncols(&cur);
    sv_json_key(&q->j, "columns");
    sv_json_arr(&q->j);
    for (int i = 0; i < n; i++) sv_json_str(&q->j, hr_col_name(&cur, i));
    sv_json_arr_end(&q->j);
    sv_json_key(&q->j, "rows");
    sv_json_arr(&q->j);
    int64_t rows = 0;
    bool truncated = false;
    int r;
    while ((r = sv_q_next(q, &cur)) == HR_ROW) {
        if (rows == q->p->limit || q->out.len > SV_TABLE_BODY_LIMIT) {
            truncated = true;
            break;
        }
        sv_json_arr(&q->j);
        for (int i = 0; i < n; i++) sv_q_val(q, &cur, i);
        sv_json_arr_end(&q->j);
        rows++;
    }
    hr_close(&cur);
    if (r < 0) return (sl_err)r;
    sv_json_arr_end(&q->j);
    sv_json_kbool(&q->j, "truncated", truncated);
    sv_json_obj_end(&q->j);
    return SL_OK;
}
