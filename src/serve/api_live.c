/* api_live.c: the live view and health endpoints (status, live, health) and
 * the store part of /metrics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve/api_int.h"
#include "serve/prom.h"

/* ------------------------------------------------------------------------ */
/* pipeline_health                                                          */

typedef struct health {
    sv_health_row *rows;
    size_t n;
    char updated[32]; /* max(updated_at), "" when no rows */
    char **names;     /* owned copies */
} health;

static void health_free(health *h) {
    for (size_t i = 0; i < h->n; i++) free(h->names[i]);
    free(h->names);
    free(h->rows);
    memset(h, 0, sizeof *h);
}

static sl_err health_load(sv_q *q, health *h) {
    memset(h, 0, sizeof *h);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, "SELECT name, value, updated_at FROM pipeline_health ORDER BY name", -1, &st,
                                NULL);
    if (rc != SQLITE_OK) return sv_q_dberr(q, rc, "pipeline_health");
    size_t cap = 0;
    sl_err e = SL_OK;
    while ((rc = sv_q_step(q, st, "pipeline_health")) == SQLITE_ROW) {
        if (h->n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            sv_health_row *nr = realloc(h->rows, nc * sizeof *nr);
            if (nr) h->rows = nr;
            char **nn = nr ? realloc(h->names, nc * sizeof *nn) : NULL;
            if (nn) h->names = nn;
            if (!nr || !nn) {
                e = sv_q_fail(q, 500, "out of memory");
                break;
            }
            cap = nc;
        }
        size_t n;
        const char *nm = sv_col_text(st, 0, &n);
        char *c = malloc(n + 1);
        if (!c) {
            e = sv_q_fail(q, 500, "out of memory");
            break;
        }
        memcpy(c, nm, n);
        c[n] = '\0';
        h->names[h->n] = c;
        h->rows[h->n].name = c;
        h->rows[h->n].null = sqlite3_column_type(st, 1) == SQLITE_NULL;
        h->rows[h->n].value = sqlite3_column_double(st, 1);
        const char *u = sv_col_text(st, 2, &n);
        if (n < sizeof h->updated && strncmp(u, h->updated, sizeof h->updated) > 0) {
            memcpy(h->updated, u, n);
            h->updated[n] = '\0';
        }
        h->n++;
    }
    sqlite3_finalize(st);
    if (e == SL_OK && rc != SQLITE_DONE) e = SL_ERR_IO;
    if (e != SL_OK) health_free(h);
    return e;
}

static const sv_health_row *hget(const health *h, const char *name) {
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->rows[i].name, name)) return &h->rows[i];
    return NULL;
}

/* "key": value of a health row, null when absent or NULL. */
static void knum(sv_q *q, const health *h, const char *key, const char *name) {
    const sv_health_row *r = hget(h, name);
    sv_json_key(&q->j, key);
    if (!r || r->null) sv_json_null(&q->j);
    else sv_json_f64(&q->j, r->value);
}

/* "key": 'YYYY-MM-DD HH:MM:SS.ffffff' of epoch seconds in a health row. */
static void ktime(sv_q *q, const health *h, const char *key, const char *name) {
    const sv_health_row *r = hget(h, name);
    char t[20];
    sv_json_key(&q->j, key);
    if (!r || r->null || !isfinite(r->value) || fabs(r->value) > 1e12) {
        sv_json_null(&q->j);
        return;
    }
    int64_t us = llround(r->value * 1e6);
    int64_t s = us / 1000000 - (us % 1000000 < 0), frac = us - s * 1000000;
    if (!sv_fmt_time(t, s)) {
        sv_json_null(&q->j);
        return;
    }
    char full[32];
    memcpy(full, t, 19);
    full[19] = '.';
    for (int i = 25; i >= 20; i--) {
        full[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    full[26] = '\0';
    sv_json_str(&q->j, full);
}

/* Sum of a labelled family, e.g. sluice_events_bad_total{...}; null if none. */
static void ksum_family(sv_q *q, const health *h, const char *key, const char *family) {
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

/* The first column of a one-row query as JSON (null when no row). */
static sl_err kscalar(sv_q *q, const char *key, const char *sql) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return sv_q_dberr(q, rc, "query_hourly");
    rc = sv_q_step(q, st, "query_hourly");
    sv_json_key(&q->j, key);
    if (rc == SQLITE_ROW) sv_q_col(q, st, 0);
    else sv_json_null(&q->j);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SL_OK : SL_ERR_IO;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Distinct sources of query_hourly without reading every row: a skip scan
 * over the primary key (hour, source, ...), two index seeks per distinct
 * (hour, source): the next source within the hour, else the first row of
 * the next hour.  (A row-value seek (hour, source) > (?, ?) is not enough:
 * SQLite steps through the rows of the same (hour, source).) */
static sl_err sources(sv_q *q) {
    sqlite3_stmt *st[3] = {NULL, NULL, NULL};
    static const char *const sql[3] = {
        "SELECT hour, source FROM query_hourly ORDER BY hour, source LIMIT 1",
        "SELECT ?1, source FROM query_hourly WHERE hour = ?1 AND source > ?2 ORDER BY source LIMIT 1",
        "SELECT hour, source FROM query_hourly WHERE hour > ?1 ORDER BY hour, source LIMIT 1",
    };
    sv_strtab t;
    sv_strtab_init(&t);
    sl_err e = SL_OK;
    for (int i = 0; i < 3; i++) {
        int rc = sqlite3_prepare_v2(q->db, sql[i], -1, &st[i], NULL);
        if (rc != SQLITE_OK) {
            e = sv_q_dberr(q, rc, "query_hourly");
            goto out;
        }
    }
    char hour[64], src[SV_SOURCE_MAX * 4 + 1];
    int rc = sv_q_step(q, st[0], "query_hourly");
    sqlite3_stmt *at = st[0]; /* the statement whose row is current */
    for (;;) {
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) {
            e = SL_ERR_IO;
            goto out;
        }
        size_t hn, sn;
        const char *h = sv_col_text(at, 0, &hn), *s = sv_col_text(at, 1, &sn);
        if (hn >= sizeof hour || sn >= sizeof src) break; /* cannot seek past it exactly: stop listing */
        memmove(hour, h, hn);
        hour[hn] = '\0';
        memmove(src, s, sn);
        src[sn] = '\0';
        if (sv_strtab_intern(&t, src, sn) < 0) {
            e = sv_q_fail(q, 500, "out of memory");
            goto out;
        }
        sqlite3_reset(st[1]);
        sqlite3_bind_text(st[1], 1, hour, (int)hn, SQLITE_STATIC);
        sqlite3_bind_text(st[1], 2, src, (int)sn, SQLITE_STATIC);
        at = st[1];
        rc = sv_q_step(q, at, "query_hourly");
        if (rc == SQLITE_DONE) { /* no other source in this hour: the next hour */
            sqlite3_reset(st[2]);
            sqlite3_bind_text(st[2], 1, hour, (int)hn, SQLITE_STATIC);
            at = st[2];
            rc = sv_q_step(q, at, "query_hourly");
        }
    }
    if (t.n) qsort(t.s, t.n, sizeof *t.s, cmp_str);
    sv_json_key(&q->j, "sources");
    sv_json_arr(&q->j);
    for (size_t i = 0; i < t.n; i++) sv_json_str(&q->j, t.s[i]);
    sv_json_arr_end(&q->j);
out:
    for (int i = 0; i < 3; i++) sqlite3_finalize(st[i]);
    sv_strtab_free(&t);
    return e;
}

sl_err sv_ep_status(sv_q *q) {
    health h;
    sl_err e = health_load(q, &h);
    if (e != SL_OK) return e;
    sv_json_obj(&q->j);
    const sv_health_row *run = hget(&h, "sluice_running");
    sv_json_key(&q->j, "running");
    if (!run || run->null) sv_json_null(&q->j);
    else sv_json_bool(&q->j, run->value == 1);
    knum(q, &h, "uptime_s", "sluice_uptime_seconds");
    ktime(q, &h, "event_time", "sluice_replay_position_seconds");
    ktime(q, &h, "watermark", "sluice_watermark_seconds");
    knum(q, &h, "events_per_second", "sluice_events_per_second");
    knum(q, &h, "replay_lag_s", "sluice_replay_lag_seconds");
    knum(q, &h, "open_windows", "sluice_open_windows");
    knum(q, &h, "events_read", "sluice_events_read_total");
    knum(q, &h, "events_accepted", "sluice_events_accepted_total");
    ksum_family(q, &h, "bad", "sluice_events_bad_total");
    knum(q, &h, "late", "sluice_events_late_total");
    knum(q, &h, "duplicates", "sluice_events_duplicate_total");
    if (e == SL_OK) e = kscalar(q, "first_hour", "SELECT min(hour) FROM query_hourly");
    if (e == SL_OK) e = kscalar(q, "last_hour", "SELECT max(hour) FROM query_hourly");
    if (e == SL_OK)
        e = kscalar(q, "last_final_hour", "SELECT hour FROM query_hourly WHERE final = 1 ORDER BY hour DESC LIMIT 1");
    if (e == SL_OK) e = sources(q);
    sv_json_key(&q->j, "health_updated_at");
    if (h.updated[0]) sv_json_str(&q->j, h.updated);
    else sv_json_null(&q->j);
    sv_json_obj_end(&q->j);
    health_free(&h);
    return e;
}

/* ------------------------------------------------------------------------ */
/* live                                                                     */

static const char *const k_live_fields[] = {"queries",      "aborted",        "cached",
                                            "spilled",      "exec_ms_sum",    "queue_ms_sum",
                                            "compile_ms_sum", "mbytes_scanned_sum", "mbytes_spilled_sum"};
#define NLIVE (sizeof k_live_fields / sizeof *k_live_fields)
/* integer sums first, then real sums */
#define NLIVE_INT 6

sl_err sv_ep_live(sv_q *q) {
    sqlite3_stmt *st = NULL;
    sl_err e = SL_OK;
    char hour[20] = "";
    int rc = sqlite3_prepare_v2(q->db, "SELECT max(hour) FROM query_hourly", -1, &st, NULL);
    if (rc != SQLITE_OK) return sv_q_dberr(q, rc, "query_hourly");
    rc = sv_q_step(q, st, "query_hourly");
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
        size_t n;
        const char *s = sv_col_text(st, 0, &n);
        if (n < sizeof hour) memcpy(hour, s, n + 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return SL_ERR_IO;
    bool src = q->p->given & SV_PB(SV_P_SOURCE);
    sv_json_obj(&q->j);
    sv_json_key(&q->j, "hour");
    if (hour[0]) sv_json_str(&q->j, hour);
    else sv_json_null(&q->j);
    /* final: every row of the hour is final (a window becomes final at once) */
    sv_json_key(&q->j, "final");
    if (!hour[0]) sv_json_null(&q->j);
    else {
        rc = sqlite3_prepare_v2(q->db, "SELECT min(final) FROM query_hourly WHERE hour = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK) return sv_q_dberr(q, rc, "query_hourly");
        sqlite3_bind_text(st, 1, hour, -1, SQLITE_STATIC);
        rc = sv_q_step(q, st, "query_hourly");
        sv_json_bool(&q->j, rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) return SL_ERR_IO;
    }
    rc = sqlite3_prepare_v2(q->db,
                            src ? "SELECT query_type, sum(queries), sum(aborted), sum(cached), sum(spilled), "
                                  "sum(exec_ms_sum), sum(queue_ms_sum), total(compile_ms_sum), "
                                  "total(mbytes_scanned_sum), total(mbytes_spilled_sum), count(*) FROM query_hourly "
                                  "WHERE hour = ?1 AND source = ?2 GROUP BY query_type ORDER BY query_type"
                                : "SELECT query_type, sum(queries), sum(aborted), sum(cached), sum(spilled), "
                                  "sum(exec_ms_sum), sum(queue_ms_sum), total(compile_ms_sum), "
                                  "total(mbytes_scanned_sum), total(mbytes_spilled_sum), count(*) FROM query_hourly "
                                  "WHERE hour = ?1 GROUP BY query_type ORDER BY query_type",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) return sv_q_dberr(q, rc, "query_hourly");
    sqlite3_bind_text(st, 1, hour, -1, SQLITE_STATIC);
    if (src) sqlite3_bind_text(st, 2, q->p->source, -1, SQLITE_STATIC);
    int64_t ti[NLIVE_INT] = {0};
    double tr[NLIVE - NLIVE_INT] = {0};
    sv_json_key(&q->j, "by_query_type");
    sv_json_arr(&q->j);
    while ((rc = sv_q_step(q, st, "query_hourly")) == SQLITE_ROW) {
        sv_json_obj(&q->j);
        sv_json_key(&q->j, "query_type");
        sv_q_col(q, st, 0);
        for (size_t f = 0; f < NLIVE; f++) {
            sv_json_key(&q->j, k_live_fields[f]);
            if (f < NLIVE_INT) {
                int64_t v = sqlite3_column_int64(st, (int)f + 1);
                ti[f] += v;
                sv_json_i64(&q->j, v);
            } else {
                double v = sqlite3_column_double(st, (int)f + 1);
                tr[f - NLIVE_INT] += v;
                sv_json_f64(&q->j, v);
            }
        }
        sv_json_obj_end(&q->j);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return SL_ERR_IO;
    sv_json_arr_end(&q->j);
    sv_json_key(&q->j, "totals");
    sv_json_obj(&q->j);
    for (size_t f = 0; f < NLIVE; f++) {
        sv_json_key(&q->j, k_live_fields[f]);
        if (f < NLIVE_INT) sv_json_i64(&q->j, ti[f]);
        else sv_json_f64(&q->j, tr[f - NLIVE_INT]);
    }
    sv_json_obj_end(&q->j);
    rc = sqlite3_prepare_v2(q->db,
                            src ? "SELECT count(*) FROM (SELECT DISTINCT source, instance_id FROM query_hourly "
                                  "WHERE hour = ?1 AND source = ?2)"
                                : "SELECT count(*) FROM (SELECT DISTINCT source, instance_id FROM query_hourly "
                                  "WHERE hour = ?1)",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) return sv_q_dberr(q, rc, "query_hourly");
    sqlite3_bind_text(st, 1, hour, -1, SQLITE_STATIC);
    if (src) sqlite3_bind_text(st, 2, q->p->source, -1, SQLITE_STATIC);
    rc = sv_q_step(q, st, "query_hourly");
    sv_json_ki64(&q->j, "instances", rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return SL_ERR_IO;
    sv_json_obj_end(&q->j);
    return e;
}

/* ------------------------------------------------------------------------ */
/* health                                                                   */

/* Rows of a query as objects (column names as keys). */
static sl_err rows_as_objects(sv_q *q, const char *sql, int64_t limit, const char *what) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return sv_q_dberr(q, rc, what);
    sqlite3_bind_int64(st, 1, limit);
    int nc = sqlite3_column_count(st);
    sv_json_arr(&q->j);
    while ((rc = sv_q_step(q, st, what)) == SQLITE_ROW) {
        sv_json_obj(&q->j);
        for (int i = 0; i < nc; i++) {
            sv_json_key(&q->j, sqlite3_column_name(st, i));
            sv_q_col(q, st, i);
        }
        sv_json_obj_end(&q->j);
    }
    sv_json_arr_end(&q->j);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SL_OK : SL_ERR_IO;
}

static void sink_obj(sv_q *q, const health *h, const char *store) {
    char a[96], b[96], c[96];
    snprintf(a, sizeof a, "sluice_sink_write_seconds_total{store=\"%s\"}", store);
    snprintf(b, sizeof b, "sluice_sink_write_max_seconds{store=\"%s\"}", store);
    snprintf(c, sizeof c, "sluice_sink_errors_total{store=\"%s\"}", store);
    sv_json_key(&q->j, store);
    if (!hget(h, a) && !hget(h, b) && !hget(h, c)) {
        sv_json_null(&q->j);
        return;
    }
    sv_json_obj(&q->j);
    knum(q, h, "seconds_total", a);
    knum(q, h, "max_seconds", b);
    knum(q, h, "errors", c);
    sv_json_obj_end(&q->j);
}

sl_err sv_ep_health(sv_q *q) {
    health h;
    sl_err e = health_load(q, &h);
    if (e != SL_OK) return e;
    sv_json_obj(&q->j);
    sv_json_key(&q->j, "counters");
    sv_json_obj(&q->j);
    for (size_t i = 0; i < h.n; i++) {
        sv_json_key(&q->j, h.rows[i].name);
        if (h.rows[i].null) sv_json_null(&q->j);
        else sv_json_f64(&q->j, h.rows[i].value);
    }
    sv_json_obj_end(&q->j);
    sv_json_key(&q->j, "updated_at");
    if (h.updated[0]) sv_json_str(&q->j, h.updated);
    else sv_json_null(&q->j);
    if (e == SL_OK) e = kscalar(q, "bad_total", "SELECT count(*) FROM bad_rows");
    sv_json_key(&q->j, "bad_by_reason");
    if (e == SL_OK)
        e = rows_as_objects(q,
                            "SELECT reason, count(*) AS count FROM bad_rows GROUP BY reason "
                            "ORDER BY count(*) DESC, reason LIMIT ?1",
                            1000, "bad_rows");
    sv_json_key(&q->j, "bad_sample");
    if (e == SL_OK)
        e = rows_as_objects(q,
                            "SELECT source, _input, _row, reason, detail, raw FROM bad_rows ORDER BY rowid DESC LIMIT ?1",
                            q->p->limit, "bad_rows");
    sv_json_key(&q->j, "late");
    sv_json_obj(&q->j);
    if (e == SL_OK) e = kscalar(q, "count", "SELECT count(*) FROM late_events");
    sv_json_key(&q->j, "sample");
    if (e == SL_OK)
        e = rows_as_objects(q,
                            "SELECT hour, source, _input, _row, arrival_timestamp, instance_id, query_id, watermark, raw "
                            "FROM late_events ORDER BY rowid DESC LIMIT ?1",
                            q->p->limit, "late_events");
    sv_json_obj_end(&q->j);
    knum(q, &h, "duplicates", "sluice_events_duplicate_total");
    knum(q, &h, "replay_lag_s", "sluice_replay_lag_seconds");
    sv_json_key(&q->j, "sink");
    sv_json_obj(&q->j);
    sink_obj(q, &h, "hot");
    sink_obj(q, &h, "cold");
    sv_json_obj_end(&q->j);
    sv_json_obj_end(&q->j);
    health_free(&h);
    return e;
}

/* ------------------------------------------------------------------------ */
/* /metrics (store part)                                                    */

sl_err sv_ep_metrics(sv_q *q) {
    health h;
    sl_err e = health_load(q, &h);
    if (e != SL_OK) return e;
    sv_prom_health(&q->out, h.rows, h.n);
    double upd = NAN;
    int64_t s;
    if (strlen(h.updated) >= 19 && sv_parse_store_time(h.updated, 19, &s)) {
        upd = (double)s;
        if (h.updated[19] == '.') upd += strtod(h.updated + 19, NULL);
    }
    sv_prom_gauge(&q->out, "sluice_health_updated_timestamp_seconds",
                  "When pipeline_health was last written (max updated_at), epoch seconds.", upd);
    health_free(&h);
    return SL_OK;
}
