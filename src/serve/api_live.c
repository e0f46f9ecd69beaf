/* api_live.c: the live view and health endpoints (status, live, health) and
 * the store part of /metrics.  Health values are looked up by their id in
 * the registry (engine/health.h), tables and columns by their definitions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "engine/health.h"
#include "plugins/redset_tables.h"
#include "serve/api_int.h"
#include "serve/prom.h"
#include "util/time.h"

/* ------------------------------------------------------------------------ */
/* pipeline_health                                                          */

static sl_err health_load(sv_q *q, hr_health *h) {
    char msg[SL_ERRLEN];
    sl_err e = hr_health_read(q->rd, h, msg, sizeof msg);
    return e == SL_OK ? SL_OK : sv_q_readerr(q, e, msg);
}

/* The row of series (id, label value), or NULL. */
static const hr_health_row *hget(const hr_health *h, hl_id id, const char *label) {
    sl_buf name;
    sl_buf_init(&name);
    hl_name(&name, id, label);
    const hr_health_row *r = NULL;
    for (size_t i = 0; i < h->n && !r && !name.oom; i++)
        if (!strcmp(h->rows[i].name, sl_buf_cstr(&name))) r = &h->rows[i];
    sl_buf_free(&name);
    return r;
}

/* "key": a value, null when absent or NULL. */
static void knum_row(sv_q *q, const char *key, const hr_health_row *r) {
    sv_json_key(&q->j, key);
    if (!r || r->null) sv_json_null(&q->j);
    else sv_json_f64(&q->j, r->value);
}

static void knum(sv_q *q, const hr_health *h, const char *key, hl_id id) { knum_row(q, key, hget(h, id, NULL)); }

/* "key": 'YYYY-MM-DD HH:MM:SS.ffffff' of epoch microseconds, null outside
 * the years 0000..9999. */
static void kus(sv_q *q, const char *key, int64_t us) {
    char t[SL_TIME_BUF];
    sv_json_key(&q->j, key);
    if (us != INT64_MIN && sl_fmt_time(t, sizeof t, us, SL_TIME_SQL_US)) sv_json_str(&q->j, t);
    else sv_json_null(&q->j);
}

/* "key": the timestamp text of a health value in epoch seconds. */
static void ktime(sv_q *q, const hr_health *h, const char *key, hl_id id) {
    const hr_health_row *r = hget(h, id, NULL);
    bool ok = r && !r->null && isfinite(r->value) && fabs(r->value) <= 1e12;
    kus(q, key, ok ? llround(r->value * 1e6) : INT64_MIN);
}

/* "key": the sum of a labelled family's rows; null if none. */
static void ksum_family(sv_q *q, const hr_health *h, const char *key, hl_id id) {
    const char *family = hl_defs[id].name;
    size_t fl = strlen(family);
    double sum = 0;
    bool any = false;
    for (size_t i = 0; i < h->n; i++) {
        const char *nm = h->rows[i].name;
        if (strncmp(nm, family, fl) != 0 || (nm[fl] != '{' && nm[fl] != '\0') || h->rows[i].null) continue;
        sum += h->rows[i].value;
        any = true;
    }
    sv_json_key(&q->j, key);
    if (any) sv_json_f64(&q->j, sum);
    else sv_json_null(&q->j);
}

/* "key": the first column of the first row of hq, null without a row. */
static sl_err kscalar(sv_q *q, const char *key, const hr_query *hq) {
    hr_cursor cur;
    sl_err e = sv_q_open(q, hq, &cur);
    if (e != SL_OK) return e;
    int r = sv_q_next(q, &cur);
    sv_json_key(&q->j, key);
    if (r == HR_ROW) sv_q_val(q, &cur, 0);
    else sv_json_null(&q->j);
    hr_close(&cur);
    return r < 0 ? (sl_err)r : SL_OK;
}

/* "key": one aggregate of table t over every row. */
static sl_err kagg(sv_q *q, const char *key, const tb_def *t, hr_fn fn, int col) {
    const hr_agg agg = {fn, col, NULL, 0};
    const hr_query hq = {.table = t, .aggs = &agg, .naggs = 1};
    return kscalar(q, key, &hq);
}

static sl_err sources(sv_q *q) {
    hr_strings s;
    char msg[SL_ERRLEN];
    sl_err e = hr_distinct(q->rd, &rs_query_hourly, RS_QH_SOURCE, &s, msg, sizeof msg);
    if (e != SL_OK) return sv_q_readerr(q, e, msg);
    sv_json_key(&q->j, "sources");
    sv_json_arr(&q->j);
    for (size_t i = 0; i < s.n; i++) sv_json_str(&q->j, s.v[i]);
    sv_json_arr_end(&q->j);
    hr_strings_free(&s);
    return SL_OK;
}

sl_err sv_ep_status(sv_q *q) {
    hr_health h;
    sl_err e = health_load(q, &h);
    if (e != SL_OK) return e;
    sv_json_obj(&q->j);
    const hr_health_row *run = hget(&h, HL_RUNNING, NULL), *eps = hget(&h, HL_EVENTS_PER_SECOND, NULL);
    /* "state" and "events_per_second" depend on the wall clock: added per
     * request from these (api.c) */
    q->has_run = true;
    q->running = !run || run->null ? -1 : run->value == 1;
    q->eps = !eps || eps->null ? NAN : eps->value;
    q->health_us = h.updated_us;
    sv_json_key(&q->j, "running");
    if (!run || run->null) sv_json_null(&q->j);
    else sv_json_bool(&q->j, run->value == 1);
    knum(q, &h, "uptime_s", HL_UPTIME);
    ktime(q, &h, "event_time", HL_REPLAY_POSITION);
    ktime(q, &h, "watermark", HL_WATERMARK);
    knum(q, &h, "replay_lag_s", HL_REPLAY_LAG);
    knum(q, &h, "open_windows", HL_OPEN_WINDOWS);
    knum(q, &h, "events_read", HL_EVENTS_READ);
    knum(q, &h, "events_accepted", HL_EVENTS_ACCEPTED);
    ksum_family(q, &h, "bad", HL_EVENTS_BAD);
    knum(q, &h, "late", HL_EVENTS_LATE);
    knum(q, &h, "duplicates", HL_EVENTS_DUPLICATE);
    /* min and max apart: each alone is an index seek */
    if (e == SL_OK) e = kagg(q, "first_hour", &rs_query_hourly, HR_MIN, RS_QH_HOUR);
    if (e == SL_OK) e = kagg(q, "last_hour", &rs_query_hourly, HR_MAX, RS_QH_HOUR);
    if (e == SL_OK) { /* the newest final hour: backwards from the newest row */
        static const int hour[] = {RS_QH_HOUR};
        static const hr_order newest_first[] = {{RS_QH_HOUR, true}};
        const hr_query hq = {.table = &rs_query_hourly, .cols = hour, .ncols = 1, .where = {.final = HR_FINAL_ONLY},
                             .order = newest_first, .norder = 1, .limit = 1};
        e = kscalar(q, "last_final_hour", &hq);
    }
    if (e == SL_OK) e = sources(q);
    kus(q, "health_updated_at", h.updated_us);
    sv_json_obj_end(&q->j);
    hr_health_free(&h);
    return e;
}

/* ------------------------------------------------------------------------ */
/* live                                                                     */

sl_err sv_live_series(sv_q *q, bool have, int64_t newest);

/* The sums of query_hourly per query type, in this order (integer columns
 * summed exactly, real ones as doubles); the JSON keys are their names. */
static const int k_live_cols[] = {RS_QH_QUERIES,      RS_QH_ABORTED,        RS_QH_CACHED,
                                  RS_QH_SPILLED,      RS_QH_EXEC_MS_SUM,    RS_QH_QUEUE_MS_SUM,
                                  RS_QH_COMPILE_MS_SUM, RS_QH_MBYTES_SCANNED_SUM, RS_QH_MBYTES_SPILLED_SUM};
#define NLIVE (sizeof k_live_cols / sizeof *k_live_cols)

static bool live_real(size_t f) { return rs_query_hourly.cols[k_live_cols[f]].type.type == SL_F64; }

sl_err sv_ep_live(sv_q *q) {
    bool have;
    int64_t newest;
    sl_err e = sv_q_newest(q, &have, &newest);
    if (e != SL_OK) return e;
    char hour[20];
    have = have && sv_fmt_time(hour, newest);
    /* the rows of the newest hour (nothing without one), of the source if given */
    hr_where w = {.none = !have, .range = have, .from = newest, .to = newest + SV_HOUR_S};
    sv_json_obj(&q->j);
    sv_json_key(&q->j, "hour");
    if (have) sv_json_str(&q->j, hour);
    else sv_json_null(&q->j);
    /* final: every row of the hour is final (a window becomes final at once) */
    sv_json_key(&q->j, "final");
    hr_cursor cur;
    int r = 0;
    if (!have) {
        sv_json_null(&q->j);
    } else {
        static const hr_agg min_final[] = {{HR_MIN, HR_FINAL, NULL, 0}};
        const hr_query hq = {.table = &rs_query_hourly, .aggs = min_final, .naggs = 1, .where = w};
        if ((e = sv_q_open(q, &hq, &cur)) != SL_OK) return e;
        r = sv_q_next(q, &cur);
        sv_json_bool(&q->j, r == HR_ROW && hr_i64(&cur, 0) == 1);
        hr_close(&cur);
        if (r < 0) return (sl_err)r;
    }
    if (q->p->given & SV_PB(SV_P_SOURCE)) w.source = q->p->source;
    hr_agg sums[NLIVE];
    for (size_t f = 0; f < NLIVE; f++) sums[f] = (hr_agg){live_real(f) ? HR_TOTAL : HR_SUM, k_live_cols[f], NULL, 0};
    static const int by_type[] = {RS_QH_QUERY_TYPE};
    static const hr_order type_order[] = {{RS_QH_QUERY_TYPE, false}};
    const hr_query hq = {.table = &rs_query_hourly, .aggs = sums, .naggs = NLIVE, .group = by_type, .ngroup = 1,
                         .where = w, .order = type_order, .norder = 1};
    if ((e = sv_q_open(q, &hq, &cur)) != SL_OK) return e;
    int64_t ti[NLIVE] = {0};
    double tr[NLIVE] = {0};
    sv_json_key(&q->j, "by_query_type");
    sv_json_arr(&q->j);
    while ((r = sv_q_next(q, &cur)) == HR_ROW) {
        sv_json_obj(&q->j);
        sv_json_key(&q->j, rs_query_hourly.cols[RS_QH_QUERY_TYPE].name);
        sv_q_val(q, &cur, 0);
        for (size_t f = 0; f < NLIVE; f++) {
            sv_json_key(&q->j, rs_query_hourly.cols[k_live_cols[f]].name);
            if (live_real(f)) {
                double v = hr_f64(&cur, (int)f + 1);
                tr[f] += v;
                sv_json_f64(&q->j, v);
            } else {
                int64_t v = hr_i64(&cur, (int)f + 1);
                ti[f] += v;
                sv_json_i64(&q->j, v);
            }
        }
        sv_json_obj_end(&q->j);
    }
    hr_close(&cur);
    if (r < 0) return (sl_err)r;
    sv_json_arr_end(&q->j);
    sv_json_key(&q->j, "totals");
    sv_json_obj(&q->j);
    for (size_t f = 0; f < NLIVE; f++) {
        sv_json_key(&q->j, rs_query_hourly.cols[k_live_cols[f]].name);
        if (live_real(f)) sv_json_f64(&q->j, tr[f]);
        else sv_json_i64(&q->j, ti[f]);
    }
    sv_json_obj_end(&q->j);
    /* distinct (source, instance_id) */
    static const int inst[] = {RS_QH_SOURCE, RS_QH_INSTANCE};
    static const hr_agg distinct[] = {{HR_COUNT_DISTINCT, 0, inst, 2}};
    const hr_query hi = {.table = &rs_query_hourly, .aggs = distinct, .naggs = 1, .where = w};
    if ((e = sv_q_open(q, &hi, &cur)) != SL_OK) return e;
    r = sv_q_next(q, &cur);
    sv_json_ki64(&q->j, "instances", r == HR_ROW ? hr_i64(&cur, 0) : 0);
    hr_close(&cur);
    if (r < 0) return (sl_err)r;
    if ((e = sv_live_series(q, have, newest)) != SL_OK) return e;
    sv_json_obj_end(&q->j);
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* health                                                                   */

/* The rows of hq as objects: keys[i], or the column's name when keys is
 * NULL. */
static sl_err rows_as_objects(sv_q *q, const hr_query *hq, const char *const *keys) {
    hr_cursor cur;
    sl_err e = sv_q_open(q, hq, &cur);
    if (e != SL_OK) return e;
    int nc = hr_ncols(&cur), r;
    sv_json_arr(&q->j);
    while ((r = sv_q_next(q, &cur)) == HR_ROW) {
        sv_json_obj(&q->j);
        for (int i = 0; i < nc; i++) {
            sv_json_key(&q->j, keys ? keys[i] : hr_col_name(&cur, i));
            sv_q_val(q, &cur, i);
        }
        sv_json_obj_end(&q->j);
    }
    sv_json_arr_end(&q->j);
    hr_close(&cur);
    return r < 0 ? (sl_err)r : SL_OK;
}

/* The newest rows of a quarantine table, every column. */
static sl_err newest_rows(sv_q *q, const tb_def *t) {
    static const hr_order newest_first[] = {{HR_ROWID, true}};
    const hr_query hq = {.table = t, .order = newest_first, .norder = 1, .limit = q->p->limit, .input_file = true};
    return rows_as_objects(q, &hq, NULL);
}

static void sink_obj(sv_q *q, const hr_health *h, const char *store) {
    const hr_health_row *a = hget(h, HL_SINK_WRITE_SECONDS, store), *b = hget(h, HL_SINK_WRITE_MAX_SECONDS, store),
                        *c = hget(h, HL_SINK_ERRORS, store);
    sv_json_key(&q->j, store);
    if (!a && !b && !c) {
        sv_json_null(&q->j);
        return;
    }
    sv_json_obj(&q->j);
    knum_row(q, "seconds_total", a);
    knum_row(q, "max_seconds", b);
    knum_row(q, "errors", c);
    sv_json_obj_end(&q->j);
}

sl_err sv_ep_health(sv_q *q) {
    const tb_def *bad = sv_bad_rows(), *late = sv_late_events();
    if (!bad || !late) return sv_q_fail(q, 500, "the quarantine tables' definitions are unavailable");
    hr_health h;
    sl_err e = health_load(q, &h);
    if (e != SL_OK) return e;
    sv_json_obj(&q->j);
    sv_json_key(&q->j, "counters");
    sv_json_obj(&q->j);
    for (size_t i = 0; i < h.n; i++) knum_row(q, h.rows[i].name, &h.rows[i]);
    sv_json_obj_end(&q->j);
    kus(q, "updated_at", h.updated_us);
    if (e == SL_OK) e = kagg(q, "bad_total", bad, HR_COUNT, 0);
    sv_json_key(&q->j, "bad_by_reason");
    if (e == SL_OK) { /* count desc, then reason */
        int reason = hr_filter_col(bad, HR_F_REASON);
        const int group[] = {reason};
        static const hr_agg count[] = {{HR_COUNT, 0, NULL, 0}};
        const hr_order order[] = {{HR_AGG(0), true}, {reason, false}};
        const char *keys[] = {reason >= 0 ? bad->cols[reason].name : "", "count"};
        const hr_query hq = {.table = bad, .aggs = count, .naggs = 1, .group = group, .ngroup = 1,
                             .order = order, .norder = 2, .limit = 1000};
        e = rows_as_objects(q, &hq, keys);
    }
    sv_json_key(&q->j, "bad_sample");
    if (e == SL_OK) e = newest_rows(q, bad);
    sv_json_key(&q->j, "late");
    sv_json_obj(&q->j);
    if (e == SL_OK) e = kagg(q, "count", late, HR_COUNT, 0);
    sv_json_key(&q->j, "sample");
    if (e == SL_OK) e = newest_rows(q, late);
    sv_json_obj_end(&q->j);
    knum(q, &h, "duplicates", HL_EVENTS_DUPLICATE);
    knum(q, &h, "replay_lag_s", HL_REPLAY_LAG);
    sv_json_key(&q->j, "sink");
    sv_json_obj(&q->j);
    sink_obj(q, &h, "hot");
    sink_obj(q, &h, "cold");
    sv_json_obj_end(&q->j);
    sv_json_obj_end(&q->j);
    hr_health_free(&h);
    return e;
}

/* ------------------------------------------------------------------------ */
/* /metrics (store part)                                                    */

sl_err sv_ep_metrics(sv_q *q) {
    hr_health h;
    sl_err e = health_load(q, &h);
    if (e != SL_OK) return e;
    /* sluice_events_per_second is added per request (http.c): 0 unless running */
    const hr_health_row *run = hget(&h, HL_RUNNING, NULL), *eps = hget(&h, HL_EVENTS_PER_SECOND, NULL);
    q->has_run = true;
    q->running = !run || run->null ? -1 : run->value == 1;
    q->eps = !eps || eps->null ? NAN : eps->value;
    q->health_us = h.updated_us;
    size_t m = 0, at = eps ? (size_t)(eps - h.rows) : h.n;
    hr_health_row eps_row;
    if (eps) eps_row = *eps;
    for (size_t i = 0; i < h.n; i++)
        if (i != at) h.rows[m++] = h.rows[i];
    sv_prom_health(&q->out, h.rows, m);
    if (eps) h.rows[m] = eps_row; /* back: freed with the others */
    double upd = NAN;
    if (h.updated_us != INT64_MIN) { /* whole seconds + the fraction, as the text reads */
        int64_t s = sl_floor_div(h.updated_us, SL_US_PER_SEC);
        upd = (double)s + (double)(h.updated_us - s * SL_US_PER_SEC) / 1e6;
    }
    sv_prom_gauge(&q->out, HL_HEALTH_UPDATED, upd);
    hr_health_free(&h);
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* live: the series of the last hours                                       */

/* "series": the hours [newest - (hours-1) h, newest] oldest first, each with
 * the totals of query_hourly (of the source, if given) and whether it is
 * final (every row of the hour, of all sources, is final; an hour without
 * rows: at or before the newest final hour). */
sl_err sv_live_series(sv_q *q, bool have, int64_t newest) {
    sv_json_key(&q->j, "series");
    sv_json_arr(&q->j);
    if (!have) {
        sv_json_arr_end(&q->j);
        return SL_OK;
    }
    int64_t n = q->p->hours, from = newest - (n - 1) * SV_HOUR_S;
    enum { QUERIES, SPILLED, CACHED, EXEC, NV };
    struct hv {
        int64_t v[3];
        double exec;
        int final; /* -1 no row */
    } *hv = calloc((size_t)n, sizeof *hv);
    if (!hv) return sv_q_fail(q, 500, "out of memory");
    for (int64_t i = 0; i < n; i++) hv[i].final = -1;
    sl_err e = SL_OK;
    hr_cursor cur;
    int r = 0;
    /* the newest final hour (rows in hour order from the newest) */
    int64_t last_final = INT64_MIN;
    {
        static const int hour[] = {RS_QH_HOUR};
        static const hr_order newest_first[] = {{RS_QH_HOUR, true}};
        const hr_query hq = {.table = &rs_query_hourly, .cols = hour, .ncols = 1, .where = {.final = HR_FINAL_ONLY},
                             .order = newest_first, .norder = 1, .limit = 1};
        if ((e = sv_q_open(q, &hq, &cur)) == SL_OK) {
            if ((r = sv_q_next(q, &cur)) == HR_ROW && !hr_hour(&cur, 0, &last_final)) last_final = INT64_MIN;
            hr_close(&cur);
            if (r < 0) e = (sl_err)r;
        }
    }
    static const int by_hour[] = {RS_QH_HOUR};
    if (e == SL_OK) { /* final per hour, all sources */
        static const hr_agg min_final[] = {{HR_MIN, HR_FINAL, NULL, 0}};
        const hr_query hq = {.table = &rs_query_hourly, .aggs = min_final, .naggs = 1, .group = by_hour, .ngroup = 1,
                             .where = {.range = true, .from = from, .to = newest + SV_HOUR_S}};
        if ((e = sv_q_open(q, &hq, &cur)) == SL_OK) {
            while ((r = sv_q_next(q, &cur)) == HR_ROW) {
                int64_t h;
                if (hr_hour(&cur, 0, &h) && h >= from && h <= newest) hv[(h - from) / SV_HOUR_S].final = hr_i64(&cur, 1) == 1;
            }
            hr_close(&cur);
            if (r < 0) e = (sl_err)r;
        }
    }
    if (e == SL_OK) { /* totals per hour */
        const hr_agg sums[] = {{HR_SUM, RS_QH_QUERIES, NULL, 0},
                               {HR_SUM, RS_QH_SPILLED, NULL, 0},
                               {HR_SUM, RS_QH_CACHED, NULL, 0},
                               {HR_TOTAL, RS_QH_EXEC_MS_SUM, NULL, 0}};
        hr_query hq = {.table = &rs_query_hourly, .aggs = sums, .naggs = 4, .group = by_hour, .ngroup = 1,
                       .where = {.range = true, .from = from, .to = newest + SV_HOUR_S}};
        if (q->p->given & SV_PB(SV_P_SOURCE)) hq.where.source = q->p->source;
        if ((e = sv_q_open(q, &hq, &cur)) == SL_OK) {
            while ((r = sv_q_next(q, &cur)) == HR_ROW) {
                int64_t h;
                if (!hr_hour(&cur, 0, &h) || h < from || h > newest) continue;
                struct hv *x = &hv[(h - from) / SV_HOUR_S];
                for (int k = 0; k < 3; k++) x->v[k] = hr_i64(&cur, k + 1);
                x->exec = hr_f64(&cur, 4);
            }
            hr_close(&cur);
            if (r < 0) e = (sl_err)r;
        }
    }
    bool exec_real = rs_query_hourly.cols[RS_QH_EXEC_MS_SUM].type.type == SL_F64;
    for (int64_t i = 0; e == SL_OK && i < n; i++) {
        int64_t h = from + i * SV_HOUR_S;
        char t[20];
        if (!sv_fmt_time(t, h)) continue;
        sv_json_obj(&q->j);
        sv_json_kstr(&q->j, "hour", t);
        sv_json_kbool(&q->j, "final", hv[i].final >= 0 ? hv[i].final == 1 : h <= last_final);
        sv_json_ki64(&q->j, "queries", hv[i].v[QUERIES]);
        sv_json_ki64(&q->j, "spilled", hv[i].v[SPILLED]);
        sv_json_ki64(&q->j, "cached", hv[i].v[CACHED]);
        if (exec_real) sv_json_kf64(&q->j, "exec_ms_sum", hv[i].exec);
        else sv_json_ki64(&q->j, "exec_ms_sum", (int64_t)hv[i].exec);
        sv_json_obj_end(&q->j);
    }
    (void)NV;
    free(hv);
    sv_json_arr_end(&q->j);
    return e;
}

/* ------------------------------------------------------------------------ */
/* health/history                                                           */

enum { HH_EPS, HH_LAG, HH_QUEUE, HH_HOT, HH_COLD, HH_N };
static const char *const k_hh_keys[HH_N] = {"events_per_second", "replay_lag_s", "queue_wait_s", "hot_write_s",
                                            "cold_write_s"};

typedef struct hh_pt {
    int64_t us;
    double v; /* NaN: null */
} hh_pt;

typedef struct hh_ctx {
    hh_pt *pt[HH_N];
    size_t n[HH_N], cap[HH_N];
    /* queue wait: the stores' counters summed per sample */
    int64_t q_us;   /* the sample being summed, INT64_MIN none */
    double q_sum;
    bool q_any;
    double q_prev;  /* the previous sample's sum, NaN none */
} hh_ctx;

static sl_err hh_add(hh_ctx *c, int s, int64_t us, double v, char *err, size_t errlen) {
    if (c->n[s] == c->cap[s]) {
        size_t nc = c->cap[s] ? c->cap[s] * 2 : 256;
        hh_pt *np = realloc(c->pt[s], nc * sizeof *np);
        if (!np) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        c->pt[s] = np;
        c->cap[s] = nc;
    }
    c->pt[s][c->n[s]++] = (hh_pt){us, v};
    return SL_OK;
}

/* The queue wait of the sample summed so far: the increase of the counters
 * since the previous sample (a new run restarts them: its value). */
static sl_err hh_flush_queue(hh_ctx *c, char *err, size_t errlen) {
    if (c->q_us == INT64_MIN) return SL_OK;
    sl_err e = SL_OK;
    if (c->q_any && !isnan(c->q_prev))
        e = hh_add(c, HH_QUEUE, c->q_us, c->q_sum >= c->q_prev ? c->q_sum - c->q_prev : c->q_sum, err, errlen);
    c->q_prev = c->q_any ? c->q_sum : NAN;
    c->q_us = INT64_MIN;
    c->q_sum = 0;
    c->q_any = false;
    return e;
}

static bool label_is(const char *name, const char *family, const char *store) {
    size_t f = strlen(family);
    if (strncmp(name, family, f) != 0) return false;
    char l[64];
    snprintf(l, sizeof l, "{store=\"%s\"}", store);
    return !strcmp(name + f, l);
}

static sl_err hh_row(void *ctx, int64_t us, const char *name, double v, bool null, char *err, size_t errlen) {
    hh_ctx *c = ctx;
    sl_err e = SL_OK;
    if (c->q_us != INT64_MIN && us != c->q_us) e = hh_flush_queue(c, err, errlen);
    if (e != SL_OK) return e;
    const char *wait = hl_defs[HL_SINK_QUEUE_WAIT_SECONDS].name, *mx = hl_defs[HL_SINK_WRITE_MAX_SECONDS].name;
    size_t wl = strlen(wait);
    if (!strcmp(name, hl_defs[HL_EVENTS_PER_SECOND].name)) return hh_add(c, HH_EPS, us, null ? NAN : v, err, errlen);
    if (!strcmp(name, hl_defs[HL_REPLAY_LAG].name)) return hh_add(c, HH_LAG, us, null ? NAN : v, err, errlen);
    if (label_is(name, mx, "hot")) return hh_add(c, HH_HOT, us, null ? NAN : v, err, errlen);
    if (label_is(name, mx, "cold")) return hh_add(c, HH_COLD, us, null ? NAN : v, err, errlen);
    if (!strncmp(name, wait, wl) && name[wl] == '{') {
        c->q_us = us;
        if (!null) {
            c->q_sum += v;
            c->q_any = true;
        }
    }
    return SL_OK;
}

sl_err sv_ep_health_history(sv_q *q) {
    char msg[SL_ERRLEN];
    int64_t newest_us;
    sl_err e = hr_history_newest(q->rd, &newest_us, msg, sizeof msg);
    if (e != SL_OK) return sv_q_readerr(q, e, msg);
    int64_t now = (int64_t)time(NULL);
    int64_t nsec = newest_us == INT64_MIN ? now : sl_floor_div(newest_us, SL_US_PER_SEC);
    int64_t from, to;
    /* default: the last hour of samples (to the newest one, included) */
    if ((e = sv_range_wall(q->p, now, nsec + 1 - SV_HOUR_S, nsec + 1, &from, &to, q->err, sizeof q->err)) != SL_OK) {
        q->status = 400;
        return e;
    }
    char fs[20], ts[20];
    if (!sv_fmt_time(fs, from) || !sv_fmt_time(ts, to)) return sv_q_fail(q, 400, "from/to: the range leaves the years 0000..9999");
    hh_ctx c;
    memset(&c, 0, sizeof c);
    c.q_us = INT64_MIN;
    c.q_prev = NAN;
    e = hr_history_read(q->rd, from * SL_US_PER_SEC, to * SL_US_PER_SEC, hh_row, &c, msg, sizeof msg);
    if (e == SL_OK) e = hh_flush_queue(&c, msg, sizeof msg);
    if (e != SL_OK) e = e == SL_ERR_NOMEM ? sv_q_fail(q, 500, "out of memory") : sv_q_readerr(q, e, msg);
    if (e == SL_OK) {
        sv_json_obj(&q->j);
        sv_json_kstr(&q->j, "from", fs);
        sv_json_kstr(&q->j, "to", ts);
        sv_json_key(&q->j, "series");
        sv_json_obj(&q->j);
        for (int s = 0; s < HH_N; s++) {
            sv_json_key(&q->j, k_hh_keys[s]);
            sv_json_arr(&q->j);
            for (size_t i = 0; i < c.n[s]; i++) {
                int64_t sec = sl_floor_div(c.pt[s][i].us, SL_US_PER_SEC);
                sv_json_arr(&q->j);
                sv_json_f64(&q->j, (double)sec + (double)(c.pt[s][i].us - sec * SL_US_PER_SEC) / 1e6);
                sv_json_f64(&q->j, c.pt[s][i].v);
                sv_json_arr_end(&q->j);
            }
            sv_json_arr_end(&q->j);
        }
        sv_json_obj_end(&q->j);
        sv_json_obj_end(&q->j);
    }
    for (int s = 0; s < HH_N; s++) free(c.pt[s]);
    return e;
}
