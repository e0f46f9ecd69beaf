/* test_hot_read.c: the typed reads of the hot store (store/hot_read.h) over
 * a store written with the hot store's own writer (store/hot.h), each read
 * checked against an SQL query written here and run on a plain sqlite3
 * connection: rows and columns of every table in key order, each filter
 * (hour range, source, instance list, query_type, final, reason), limit and
 * offset, insertion order, aggregates (count, sum, total, min, max, count
 * distinct, group by, order by an aggregate), distinct values (the skip scan
 * and the plain path), the fixed tables (pipeline_health, schema_version,
 * store_meta), the store's time text, one snapshot per transaction, the
 * per-connection statement cache, and the errors. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/transform.h"
#include "plugins/redset_tables.h"
#include "schema/redset.h"
#include "store/hot.h"
#include "store/hot_read.h"
#include "t.h"

static char tmpdir[64];
static char err[SL_ERRLEN];
static char path[128];

/* The Redset pipeline's tables in the engine's order. */
enum { T_QUERY, T_SPILL, T_CACHE, T_TOP, T_JOINS, T_CORR, T_UTIL, T_BAD, T_LATE, T_EVENTS, T_N };
static const sc_schema *S;
static tb_def *g_bad, *g_late, *g_events;
static const tb_def *g_tv[T_N];
static tb_list TL;

#define H0 INT64_C(1709276400) /* 2024-03-01 07:00:00 UTC, epoch seconds */
#define US INT64_C(1000000)
#define NHOURS 4              /* hours H0 .. H0+3h: the last one provisional */

static const char *const SOURCES[] = {"fleet-a", "fleet-b"};
static const char *const QTYPES[] = {"copy", "insert", "select"};
static const char *const REASONS[] = {"malformed", "bad_timestamp", "missing_query_id"};

/* ------------------------------------------------------------------ setup */

/* Typed columns of a batch being filled; text and NULLs by the engine's
 * row helpers (engine/transform.h). */
#define I32(b, c) ((int32_t *)(b)->cols[c].data)
#define I64(b, c) ((int64_t *)(b)->cols[c].data)
#define F64(b, c) ((double *)(b)->cols[c].data)
static void set_str(sl_batch *b, size_t c, size_t r, const char *s) {
    if (en_set_str(b, c, r, s, strlen(s), err, sizeof err) != SL_OK) t_cur_failed = 1;
}

/* A batch of n rows of table t for hs_write_rows. */
static bool rows_of(const tb_def *t, sl_batch *b, size_t n) {
    sl_batch_init(b);
    bool ok = tb_init_batch(t, b, err, sizeof err) == SL_OK && sl_batch_reserve(b, n, err, sizeof err) == SL_OK;
    b->nrows = ok ? n : 0;
    if (!ok) fprintf(stderr, "  %s: %s\n", t->name, err);
    return ok;
}

/* A column of a runtime table by name (the test may name columns). */
static size_t cix(const tb_def *t, const char *name) {
    int c = tb_find(t, name);
    if (c < 0) {
        fprintf(stderr, "  %s has no column %s\n", t->name, name);
        t_cur_failed = 1;
        return 0;
    }
    return (size_t)c;
}

/* Every row of query_hourly and cache_hourly for hour h (epoch seconds). */
static bool write_hour(hs *h, int64_t hour, bool final) {
    sl_batch b;
    size_t n = 2 * 5 * 3, r = 0;
    bool ok = rows_of(&rs_query_hourly, &b, n);
    int64_t k = (hour - H0) / 3600;
    for (int s = 0; ok && s < 2; s++)
        for (int i = 1; i <= 5; i++)
            for (int q = 0; q < 3; q++, r++) {
                I64(&b, RS_QH_HOUR)[r] = hour * US;
                set_str(&b, RS_QH_SOURCE, r, SOURCES[s]);
                I32(&b, RS_QH_INSTANCE)[r] = i + 10 * s;
                set_str(&b, RS_QH_QUERY_TYPE, r, QTYPES[q]);
                I64(&b, RS_QH_QUERIES)[r] = 10 * i + q + k;
                I64(&b, RS_QH_ABORTED)[r] = q;
                I64(&b, RS_QH_CACHED)[r] = i % 3;
                I64(&b, RS_QH_SPILLED)[r] = (i + q) % 2;
                F64(&b, RS_QH_COMPILE_MS_SUM)[r] = 0.5 * i + 0.25 * q;
                I64(&b, RS_QH_QUEUE_MS_SUM)[r] = 7 * i;
                I64(&b, RS_QH_EXEC_MS_SUM)[r] = 100 * i + k;
                F64(&b, RS_QH_MBYTES_SCANNED_SUM)[r] = 1.125 * i * (q + 1);
                F64(&b, RS_QH_MBYTES_SPILLED_SUM)[r] = 0.0625 * (i + s);
            }
    ok = ok && hs_write_rows(h, T_QUERY, hour * US, final, &b, err, sizeof err) == SL_OK;
    sl_batch_free(&b);
    n = 2 * 5;
    r = 0;
    ok = ok && rows_of(&rs_cache_hourly, &b, n);
    for (int s = 0; ok && s < 2; s++)
        for (int i = 1; i <= 5; i++, r++) {
            I64(&b, RS_CA_HOUR)[r] = hour * US;
            set_str(&b, RS_CA_SOURCE, r, SOURCES[s]);
            I32(&b, RS_CA_INSTANCE)[r] = i + 10 * s;
            I64(&b, RS_CA_CACHED)[r] = i % 3;
            I64(&b, RS_CA_QUERIES)[r] = 10 * i;
            F64(&b, RS_CA_HIT_RATE)[r] = (double)(i % 3) / (10.0 * i);
        }
    ok = ok && hs_write_rows(h, T_CACHE, hour * US, final, &b, err, sizeof err) == SL_OK;
    sl_batch_free(&b);
    /* compile_corr_hourly: corr NULL in odd hours */
    ok = ok && rows_of(&rs_compile_corr_hourly, &b, 1);
    if (ok) {
        I64(&b, RS_CC_HOUR)[0] = hour * US;
        I64(&b, RS_CC_N)[0] = 20 + k;
        F64(&b, RS_CC_CORR)[0] = 0.25 * (double)k;
        if (k % 2) en_set_null(&b, RS_CC_CORR, 0);
    }
    ok = ok && hs_write_rows(h, T_CORR, hour * US, final, &b, err, sizeof err) == SL_OK;
    sl_batch_free(&b);
    if (ok && final) ok = hs_window_final(h, hour * US, err, sizeof err) == SL_OK;
    if (!ok) fprintf(stderr, "  write_hour: %s\n", err);
    return ok;
}

/* bad_rows (n rows, reasons cycling, detail NULL every third) and
 * late_events (n rows over the first hours). */
static bool write_quarantine(hs *h, int n, int row0) {
    sl_batch b;
    bool ok = rows_of(g_bad, &b, (size_t)n);
    for (int r = 0; ok && r < n; r++) {
        set_str(&b, cix(g_bad, "source"), (size_t)r, SOURCES[r % 2]);
        I32(&b, cix(g_bad, "_input"))[r] = r % 2;
        I64(&b, cix(g_bad, "_row"))[r] = row0 + r;
        set_str(&b, cix(g_bad, "reason"), (size_t)r, REASONS[r % 3 ? (r % 5 ? 0 : 1) : 2]);
        set_str(&b, cix(g_bad, "detail"), (size_t)r, "what was wrong");
        if (r % 3 == 1) en_set_null(&b, cix(g_bad, "detail"), (size_t)r);
        set_str(&b, cix(g_bad, "raw"), (size_t)r, "{\"x\":1}");
    }
    ok = ok && hs_write_rows(h, T_BAD, INT64_MIN, true, &b, err, sizeof err) == SL_OK;
    sl_batch_free(&b);
    ok = ok && rows_of(g_late, &b, (size_t)n);
    for (int r = 0; ok && r < n; r++) {
        int64_t hour = H0 + 3600 * (r % 3);
        for (size_t c = 0; c < g_late->ncols; c++) {
            const tb_col *col = &g_late->cols[c];
            if (col->type.logical == SL_LOG_TIMESTAMP) I64(&b, c)[r] = (hour + 60 * r) * US + (c ? 123456 : 0);
            else if (col->type.type == SL_I32) I32(&b, c)[r] = r % 4;
            else if (col->type.type == SL_I64) I64(&b, c)[r] = row0 + r;
            else set_str(&b, c, (size_t)r, SOURCES[r % 2]);
        }
        I64(&b, cix(g_late, "hour"))[r] = hour * US;
        en_set_null(&b, cix(g_late, "raw"), (size_t)r);
    }
    ok = ok && hs_write_rows(h, T_LATE, INT64_MIN, true, &b, err, sizeof err) == SL_OK;
    sl_batch_free(&b);
    if (!ok) fprintf(stderr, "  write_quarantine: %s\n", err);
    return ok;
}

static bool write_health(hs *h) {
    const char *names[] = {"sluice_running", "sluice_events_bad_total{reason=\"malformed\"}", "sluice_watermark_seconds",
                           "sluice_events_read_total", "custom_total"};
    double values[] = {1, 7, NAN, 12345, 2.5};
    return hs_write_health(h, names, values, 5, err, sizeof err) == SL_OK;
}

/* The store: NHOURS hours (the last provisional), quarantine rows, health. */
static bool make_store(void) {
    snprintf(path, sizeof path, "%s/hot.db", tmpdir);
    hs_opts o = hs_opts_default();
    hs *h = NULL;
    bool ok = hs_open(&h, path, &o, S, &TL, err, sizeof err) == SL_OK;
    /* the run's owner and its two inputs (_input 0 and 1; late rows also name 2 and 3, which it has not) */
    static const hs_input inputs[] = {{"/data/zero.parquet", "fleet-a", "parquet"}, {"/data/one.csv", "fleet-b", "csv"}};
    ok = ok && hs_set_owner(h, "run-1", "a test run", INT64_MIN, INT64_MAX, err, sizeof err) == SL_OK &&
         hs_write_inputs(h, inputs, 2, err, sizeof err) == SL_OK;
    for (int k = 0; ok && k < NHOURS; k++) ok = write_hour(h, H0 + 3600 * k, k < NHOURS - 1);
    ok = ok && write_quarantine(h, 40, 100) && write_health(h) && hs_commit(h, err, sizeof err) == SL_OK;
    if (h && hs_close(h, err, sizeof err) != SL_OK) ok = false;
    if (!ok) fprintf(stderr, "  make_store: %s\n", err);
    return ok;
}

static sqlite3 *open_ro(const char *p) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 2000);
    return db;
}

/* ---------------------------------------------------- reads against SQL */

/* Run q through the API and sql on db; every row and column must be equal
 * (type and value; names too when names is set).  Returns the row count. */
static int64_t same(sqlite3 *db, hr_conn *c, const hr_query *q, const char *sql, bool names) {
    hr_cursor cur;
    sqlite3_stmt *st = NULL;
    if (hr_open(c, q, &cur, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  hr_open: %s (for %s)\n", err, sql);
        t_cur_failed = 1;
        return -1;
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "  %s: %s\n", sql, sqlite3_errmsg(db));
        t_cur_failed = 1;
        hr_close(&cur);
        return -1;
    }
    int nc = sqlite3_column_count(st);
    CHECK_EQ_I64(hr_ncols(&cur), nc);
    for (int i = 0; names && i < nc && i < hr_ncols(&cur); i++) CHECK_EQ_STR(hr_col_name(&cur, i), sqlite3_column_name(st, i));
    int64_t rows = 0;
    int r, rc;
    bool bad = false;
    for (;;) { /* both must end at the same row */
        r = hr_next(&cur, err, sizeof err);
        rc = sqlite3_step(st);
        if (r != HR_ROW || rc != SQLITE_ROW || bad) break;
        for (int i = 0; i < nc && !bad; i++) {
            int t = sqlite3_column_type(st, i);
            hr_type ht = hr_type_of(&cur, i);
            bad = (t == SQLITE_NULL) != (ht == HR_NULL) || (t == SQLITE_INTEGER) != (ht == HR_INT) ||
                  (t == SQLITE_FLOAT) != (ht == HR_REAL);
            if (t == SQLITE_INTEGER) bad = bad || hr_i64(&cur, i) != sqlite3_column_int64(st, i);
            if (t == SQLITE_FLOAT) bad = bad || hr_f64(&cur, i) != sqlite3_column_double(st, i);
            if (t == SQLITE_TEXT) {
                size_t n;
                const char *s = hr_text(&cur, i, &n);
                bad = bad || n != (size_t)sqlite3_column_bytes(st, i) || memcmp(s, sqlite3_column_text(st, i), n);
            }
            if (bad) fprintf(stderr, "  row %lld column %d differs (%s)\n", (long long)rows, i, sql);
        }
        rows++;
    }
    if (r < 0) fprintf(stderr, "  hr_next: %s\n", err);
    else if (r != 0 || rc != SQLITE_DONE)
        fprintf(stderr, "  the row counts differ after %lld rows (%s)\n", (long long)rows, sql);
    CHECK(!bad && r == 0 && rc == SQLITE_DONE);
    sqlite3_finalize(st);
    hr_close(&cur);
    return rows;
}

static hr_conn *conn(sqlite3 *db) {
    hr_conn *c = NULL;
    CHECK(db && hr_conn_new(&c, db, err, sizeof err) == SL_OK);
    return c;
}

static void test_rows(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    /* every column, then final, in key order */
    hr_query q = {.table = &rs_query_hourly, .order_key = true};
    CHECK_EQ_I64(same(db, c, &q, "SELECT * FROM query_hourly ORDER BY hour, source, instance_id, query_type", true),
                 NHOURS * 30);
    q.table = &rs_cache_hourly;
    CHECK_EQ_I64(same(db, c, &q, "SELECT * FROM cache_hourly ORDER BY hour, source, instance_id", true), NHOURS * 10);
    q.table = &rs_compile_corr_hourly; /* a NULL corr */
    CHECK_EQ_I64(same(db, c, &q, "SELECT * FROM compile_corr_hourly ORDER BY hour", true), NHOURS);
    /* some columns, by index, in another order */
    static const int cols[] = {RS_QH_QUERIES, RS_QH_HOUR, HR_FINAL, RS_QH_MBYTES_SCANNED_SUM, RS_QH_SOURCE};
    static const hr_order by_hour[] = {{RS_QH_HOUR, false}};
    hr_query p = {.table = &rs_query_hourly, .cols = cols, .ncols = 5, .order_key = true};
    same(db, c, &p,
         "SELECT queries, hour, final, mbytes_scanned_sum, source FROM query_hourly ORDER BY hour, source, instance_id, "
         "query_type",
         true);
    /* each filter, alone and together */
    p.where = (hr_where){.range = true, .from = H0 + 3600, .to = H0 + 3 * 3600};
    CHECK_EQ_I64(same(db, c, &p,
                      "SELECT queries, hour, final, mbytes_scanned_sum, source FROM query_hourly WHERE hour >= "
                      "'2024-03-01 08:00:00' AND hour < '2024-03-01 10:00:00' ORDER BY hour, source, instance_id, "
                      "query_type",
                      false),
                 60);
    static const int64_t inst[] = {2, 4, 13};
    p.where = (hr_where){.source = "fleet-b", .instances = inst, .ninstances = 3, .query_type = "select"};
    p.order_key = false;
    p.order = by_hour;
    p.norder = 1;
    CHECK_EQ_I64(same(db, c, &p,
                      "SELECT queries, hour, final, mbytes_scanned_sum, source FROM query_hourly WHERE source = 'fleet-b' "
                      "AND instance_id IN (2, 4, 13) AND query_type = 'select' ORDER BY hour",
                      false),
                 NHOURS);
    p.where = (hr_where){.final = HR_PROVISIONAL};
    CHECK_EQ_I64(same(db, c, &p,
                      "SELECT queries, hour, final, mbytes_scanned_sum, source FROM query_hourly WHERE final = 0 ORDER BY "
                      "hour",
                      false),
                 30);
    p.where = (hr_where){.final = HR_FINAL_ONLY, .range = true, .from = H0, .to = H0 + 100 * 3600, .source = "fleet-a"};
    CHECK_EQ_I64(same(db, c, &p,
                      "SELECT queries, hour, final, mbytes_scanned_sum, source FROM query_hourly WHERE final = 1 AND "
                      "source = 'fleet-a' ORDER BY hour",
                      false),
                 (NHOURS - 1) * 15);
    p.where = (hr_where){.none = true, .source = "fleet-a"};
    CHECK_EQ_I64(same(db, c, &p, "SELECT queries, hour, final, mbytes_scanned_sum, source FROM query_hourly WHERE 0", false),
                 0);
    /* limit and offset; newest first */
    static const hr_order newest[] = {{RS_QH_HOUR, true}, {RS_QH_QUERIES, false}};
    p.where = (hr_where){0};
    p.order = newest;
    p.norder = 2;
    p.limit = 7;
    p.offset = 5;
    CHECK_EQ_I64(same(db, c, &p,
                      "SELECT queries, hour, final, mbytes_scanned_sum, source FROM query_hourly ORDER BY hour DESC, "
                      "queries LIMIT 7 OFFSET 5",
                      false),
                 7);
    /* the hour as epoch seconds */
    static const int hour_only[] = {RS_QH_HOUR};
    hr_query hq = {.table = &rs_query_hourly, .cols = hour_only, .ncols = 1, .order = newest, .norder = 1, .limit = 1};
    hr_cursor cur;
    int64_t hour_s = 0;
    CHECK(hr_open(c, &hq, &cur, err, sizeof err) == SL_OK && hr_next(&cur, err, sizeof err) == HR_ROW &&
          hr_hour(&cur, 0, &hour_s));
    CHECK_EQ_I64(hour_s, H0 + (NHOURS - 1) * 3600);
    /* rewind: the same rows again */
    CHECK(hr_next(&cur, err, sizeof err) == 0);
    hr_rewind(&cur);
    CHECK(hr_next(&cur, err, sizeof err) == HR_ROW && hr_hour(&cur, 0, &hour_s) && hour_s == H0 + (NHOURS - 1) * 3600);
    hr_close(&cur);
    hr_close(&cur); /* idempotent */
    hr_conn_free(c);
    sqlite3_close(db);
}

/* The quarantine tables' columns (the store's tables also have owner). */
#define BAD_COLS "source, _input, _row, reason, detail, raw"
#define LATE_COLS "hour, source, _input, _row, arrival_timestamp, instance_id, query_id, watermark, raw"

/* input_file: every row's input's path, by its owner and _input (make_store:
 * 0 /data/zero.parquet, 1 /data/one.csv, other numbers none). */
static void test_input_file(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    static const char *const files[] = {"/data/zero.parquet", "/data/one.csv"};
    const tb_def *tables[] = {g_bad, g_late};
    int64_t seen[2][3] = {{0}};
    for (int t = 0; t < 2; t++) {
        hr_query q = {.table = tables[t], .order_key = true, .input_file = true};
        hr_cursor cur;
        CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_OK);
        int n = hr_ncols(&cur), in = (int)cix(tables[t], "_input");
        CHECK_EQ_I64(n, (int64_t)tables[t]->ncols + 1);
        CHECK_EQ_STR(hr_col_name(&cur, n - 1), "input_file");
        int r;
        while ((r = hr_next(&cur, err, sizeof err)) == HR_ROW) {
            int64_t k = hr_i64(&cur, in);
            size_t len;
            const char *f = hr_text(&cur, n - 1, &len);
            if (k == 0 || k == 1) {
                CHECK_EQ_STR(f, files[k]);
                seen[t][k]++;
            } else {
                CHECK(hr_null(&cur, n - 1));
                seen[t][2]++;
            }
        }
        CHECK_EQ_I64(r, 0);
        hr_close(&cur);
    }
    /* bad_rows: _input = r % 2 of 40 rows; late_events: r % 4 */
    CHECK_EQ_I64(seen[0][0], 20);
    CHECK_EQ_I64(seen[0][1], 20);
    CHECK_EQ_I64(seen[0][2], 0);
    CHECK_EQ_I64(seen[1][0], 10);
    CHECK_EQ_I64(seen[1][1], 10);
    CHECK_EQ_I64(seen[1][2], 20);
    /* the same rows as the tables' own, in the same order (the key, then the owner) */
    hr_query q = {.table = g_bad, .order_key = true, .input_file = true, .limit = 7, .offset = 3};
    CHECK_EQ_I64(same(db, c, &q,
                      "SELECT " BAD_COLS ", CASE _input WHEN 0 THEN '/data/zero.parquet' WHEN 1 THEN '/data/one.csv' END "
                      "AS input_file FROM bad_rows ORDER BY source, _input, _row LIMIT 7 OFFSET 3",
                      true),
                 7);
    /* only for quarantine tables, all columns */
    q = (hr_query){.table = &rs_query_hourly, .input_file = true};
    hr_cursor cur;
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "input_file") != NULL);
    static const int two[] = {0, 1};
    q = (hr_query){.table = g_bad, .cols = two, .ncols = 2, .input_file = true};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG);
    hr_conn_free(c);
    sqlite3_close(db);
}

static void test_quarantine(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    /* the filters each table has */
    CHECK_EQ_I64(hr_filter_col(&rs_query_hourly, HR_F_HOUR), RS_QH_HOUR);
    CHECK_EQ_I64(hr_filter_col(&rs_query_hourly, HR_F_INSTANCE), RS_QH_INSTANCE);
    CHECK_EQ_I64(hr_filter_col(&rs_query_hourly, HR_F_FINAL), HR_FINAL);
    CHECK_EQ_I64(hr_filter_col(&rs_spill_hourly, HR_F_SOURCE), HR_NOCOL);
    CHECK_EQ_I64(hr_filter_col(g_bad, HR_F_HOUR), HR_NOCOL);
    CHECK_EQ_I64(hr_filter_col(g_bad, HR_F_FINAL), HR_NOCOL);
    CHECK_EQ_I64(hr_filter_col(g_bad, HR_F_REASON), (int)cix(g_bad, "reason"));
    CHECK_EQ_I64(hr_filter_col(g_late, HR_F_HOUR), (int)cix(g_late, "hour"));
    CHECK_EQ_I64(hr_filter_col(g_late, HR_F_INSTANCE), (int)cix(g_late, "instance_id"));
    CHECK_EQ_STR(hr_filter_name(HR_F_INSTANCE), "instance_id");
    /* every column, newest first; in key order with filters */
    static const hr_order newest[] = {{HR_ROWID, true}};
    hr_query q = {.table = g_bad, .order = newest, .norder = 1, .limit = 5};
    CHECK_EQ_I64(same(db, c, &q, "SELECT " BAD_COLS " FROM bad_rows ORDER BY rowid DESC LIMIT 5", true), 5);
    q = (hr_query){.table = g_bad, .order_key = true, .where = {.reason = "malformed", .source = "fleet-b"}};
    CHECK(same(db, c, &q,
               "SELECT " BAD_COLS " FROM bad_rows WHERE source = 'fleet-b' AND reason = 'malformed' ORDER BY source, _input, "
               "_row",
               true) > 0);
    q = (hr_query){.table = g_late, .order = newest, .norder = 1, .limit = 100};
    CHECK_EQ_I64(same(db, c, &q, "SELECT " LATE_COLS " FROM late_events ORDER BY rowid DESC", true), 40);
    static const int64_t inst[] = {1, 3};
    q = (hr_query){.table = g_late,
                   .order_key = true,
                   .where = {.range = true, .from = H0 + 3600, .to = H0 + 3 * 3600, .instances = inst, .ninstances = 2},
                   .limit = 3,
                   .offset = 1};
    CHECK(same(db, c, &q,
               "SELECT " LATE_COLS " FROM late_events WHERE hour >= '2024-03-01 08:00:00' AND hour < '2024-03-01 10:00:00' AND "
               "instance_id IN (1, 3) ORDER BY source, _input, _row LIMIT 3 OFFSET 1",
               true) > 0);
    /* count by reason, count desc then reason */
    int reason = hr_filter_col(g_bad, HR_F_REASON);
    const int group[] = {reason};
    static const hr_agg count[] = {{HR_COUNT, 0, NULL, 0}};
    const hr_order by_count[] = {{HR_AGG(0), true}, {reason, false}};
    q = (hr_query){.table = g_bad, .aggs = count, .naggs = 1, .group = group, .ngroup = 1, .order = by_count,
                   .norder = 2, .limit = 1000};
    CHECK_EQ_I64(same(db, c, &q, "SELECT reason, count(*) FROM bad_rows GROUP BY reason ORDER BY count(*) DESC, reason", false),
                 3);
    hr_conn_free(c);
    sqlite3_close(db);
}

static void test_aggregates(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    /* the live view's sums by query type over one hour and one source */
    static const hr_agg sums[] = {{HR_SUM, RS_QH_QUERIES, NULL, 0},
                                  {HR_SUM, RS_QH_EXEC_MS_SUM, NULL, 0},
                                  {HR_TOTAL, RS_QH_COMPILE_MS_SUM, NULL, 0},
                                  {HR_TOTAL, RS_QH_MBYTES_SCANNED_SUM, NULL, 0},
                                  {HR_COUNT, 0, NULL, 0},
                                  {HR_MAX, RS_QH_MBYTES_SPILLED_SUM, NULL, 0},
                                  {HR_MIN, HR_FINAL, NULL, 0}};
    static const int by_type[] = {RS_QH_QUERY_TYPE};
    static const hr_order type_order[] = {{RS_QH_QUERY_TYPE, false}};
    hr_query q = {.table = &rs_query_hourly,
                  .aggs = sums,
                  .naggs = 7,
                  .group = by_type,
                  .ngroup = 1,
                  .where = {.range = true, .from = H0 + 3600, .to = H0 + 7200, .source = "fleet-a"},
                  .order = type_order,
                  .norder = 1};
    CHECK_EQ_I64(same(db, c, &q,
                      "SELECT query_type, sum(queries), sum(exec_ms_sum), total(compile_ms_sum), "
                      "total(mbytes_scanned_sum), count(*), max(mbytes_spilled_sum), min(final) FROM query_hourly WHERE "
                      "hour = '2024-03-01 08:00:00' AND source = 'fleet-a' GROUP BY query_type ORDER BY query_type",
                      false),
                 3);
    /* over no rows: sum and min NULL, total 0, count 0 */
    q.group = NULL;
    q.ngroup = 0;
    q.order = NULL;
    q.norder = 0;
    q.where = (hr_where){.source = "nope"};
    CHECK_EQ_I64(same(db, c, &q,
                      "SELECT sum(queries), sum(exec_ms_sum), total(compile_ms_sum), total(mbytes_scanned_sum), count(*), "
                      "max(mbytes_spilled_sum), min(final) FROM query_hourly WHERE source = 'nope'",
                      false),
                 1);
    /* min and max of the hour, each alone */
    static const hr_agg lo[] = {{HR_MIN, RS_QH_HOUR, NULL, 0}}, hi[] = {{HR_MAX, RS_QH_HOUR, NULL, 0}};
    hr_query m = {.table = &rs_query_hourly, .aggs = lo, .naggs = 1};
    same(db, c, &m, "SELECT min(hour) FROM query_hourly", false);
    m.aggs = hi;
    same(db, c, &m, "SELECT max(hour) FROM query_hourly", false);
    /* distinct (source, instance_id), overall and per query type */
    static const int si[] = {RS_QH_SOURCE, RS_QH_INSTANCE};
    static const hr_agg distinct[] = {{HR_COUNT_DISTINCT, 0, si, 2}};
    hr_query d = {.table = &rs_query_hourly, .aggs = distinct, .naggs = 1,
                  .where = {.range = true, .from = H0, .to = H0 + 3600}};
    CHECK_EQ_I64(same(db, c, &d,
                      "SELECT count(*) FROM (SELECT DISTINCT source, instance_id FROM query_hourly WHERE hour = "
                      "'2024-03-01 07:00:00')",
                      false),
                 1);
    d.group = by_type;
    d.ngroup = 1;
    d.order = type_order;
    d.norder = 1;
    d.where = (hr_where){.query_type = "copy"};
    CHECK_EQ_I64(same(db, c, &d,
                      "SELECT query_type, count(*) FROM (SELECT DISTINCT query_type, source, instance_id FROM query_hourly "
                      "WHERE query_type = 'copy') GROUP BY query_type ORDER BY query_type",
                      false),
                 1);
    hr_conn_free(c);
    sqlite3_close(db);
}

/* The distinct values of a column against SELECT DISTINCT. */
static void check_distinct(sqlite3 *db, hr_conn *c, const tb_def *t, int col, const char *sql, size_t expect) {
    hr_strings s;
    CHECK(hr_distinct(c, t, col, &s, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(s.n, expect);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    size_t i = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        CHECK(i < s.n && !strcmp(s.v[i], (const char *)sqlite3_column_text(st, 0)));
        i++;
    }
    CHECK_EQ_I64(i, s.n);
    sqlite3_finalize(st);
    hr_strings_free(&s);
}

static void test_distinct(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    /* source follows hour in the key: the skip scan */
    check_distinct(db, c, &rs_query_hourly, RS_QH_SOURCE, "SELECT DISTINCT source FROM query_hourly ORDER BY source", 2);
    check_distinct(db, c, &rs_cache_hourly, RS_CA_SOURCE, "SELECT DISTINCT source FROM cache_hourly ORDER BY source", 2);
    /* elsewhere in the key, or in a table with no second key column: read every row */
    check_distinct(db, c, &rs_query_hourly, RS_QH_QUERY_TYPE,
                   "SELECT DISTINCT query_type FROM query_hourly ORDER BY query_type", 3);
    check_distinct(db, c, g_bad, (int)cix(g_bad, "reason"), "SELECT DISTINCT reason FROM bad_rows ORDER BY reason", 3);
    /* an empty table */
    check_distinct(db, c, &rs_spill_hourly, RS_SP_QUERY_TYPE, "SELECT DISTINCT query_type FROM spill_hourly", 0);
    hr_strings s;
    CHECK(hr_distinct(c, &rs_query_hourly, RS_QH_QUERIES, &s, err, sizeof err) == SL_ERR_ARG); /* not text */
    hr_conn_free(c);
    sqlite3_close(db);
}

static void test_fixed_tables(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    hr_health h;
    CHECK(hr_health_read(c, &h, err, sizeof err) == SL_OK);
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_prepare_v2(db, "SELECT name, value, updated_at FROM pipeline_health ORDER BY name", -1, &st, NULL) ==
          SQLITE_OK);
    size_t i = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        CHECK(i < h.n);
        if (i >= h.n) break;
        CHECK_EQ_STR(h.rows[i].name, (const char *)sqlite3_column_text(st, 0));
        CHECK(h.rows[i].null == (sqlite3_column_type(st, 1) == SQLITE_NULL));
        CHECK(h.rows[i].null ? isnan(h.rows[i].value) : h.rows[i].value == sqlite3_column_double(st, 1));
        int64_t us;
        CHECK(hr_parse_ts((const char *)sqlite3_column_text(st, 2), 26, &us) && us == h.rows[i].updated_us);
        i++;
    }
    sqlite3_finalize(st);
    CHECK_EQ_I64(i, 5);
    CHECK_EQ_I64(h.n, 5);
    int64_t newest;
    char maxu[64];
    st = NULL;
    CHECK(sqlite3_prepare_v2(db, "SELECT max(updated_at) FROM pipeline_health", -1, &st, NULL) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW);
    snprintf(maxu, sizeof maxu, "%s", st ? (const char *)sqlite3_column_text(st, 0) : "");
    sqlite3_finalize(st);
    CHECK(hr_parse_ts(maxu, strlen(maxu), &newest) && newest == h.updated_us);
    hr_health_free(&h);
    CHECK(h.n == 0 && h.rows == NULL);

    /* schema_version: what hot.c writes is what this reader reads */
    int64_t v = 0;
    CHECK(hr_schema_version(c, &v, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(v, HR_SCHEMA_VERSION);
    st = NULL;
    CHECK(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, NULL) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == v);
    sqlite3_finalize(st);
    char name[32];
    CHECK(hr_store_schema(c, name, sizeof name, err, sizeof err) == SL_OK);
    CHECK_EQ_STR(name, sc_redset_def.name);
    hr_conn_free(c);
    sqlite3_close(db);

    /* not a hot store; an empty schema_version; no store_meta */
    char other[160];
    snprintf(other, sizeof other, "%s/other.db", tmpdir);
    sqlite3 *w = NULL;
    CHECK(sqlite3_open(other, &w) == SQLITE_OK && sqlite3_exec(w, "CREATE TABLE x (a)", NULL, NULL, NULL) == SQLITE_OK);
    db = open_ro(other);
    c = conn(db);
    CHECK(c && hr_schema_version(c, &v, err, sizeof err) == SL_ERR_NOTFOUND);
    CHECK(c && hr_store_schema(c, name, sizeof name, err, sizeof err) == SL_OK && name[0] == '\0');
    hr_health hh;
    CHECK(c && hr_health_read(c, &hh, err, sizeof err) == SL_ERR_NOTFOUND && strstr(err, HR_HEALTH_TABLE));
    hr_conn_free(c);
    sqlite3_close(db);
    CHECK(sqlite3_exec(w, "CREATE TABLE schema_version (version INTEGER NOT NULL)", NULL, NULL, NULL) == SQLITE_OK);
    db = open_ro(other);
    c = conn(db);
    CHECK(c && hr_schema_version(c, &v, err, sizeof err) == SL_ERR_CORRUPT);
    hr_conn_free(c);
    sqlite3_close(db);
    sqlite3_close(w);
}

/* One read transaction: one snapshot, whatever the writer commits. */
static void test_snapshot(void) {
    char p2[160];
    snprintf(p2, sizeof p2, "%s/snap.db", tmpdir);
    hs_opts o = hs_opts_default();
    hs *h = NULL;
    CHECK(hs_open(&h, p2, &o, S, &TL, err, sizeof err) == SL_OK && write_hour(h, H0, true) &&
          hs_commit(h, err, sizeof err) == SL_OK);
    sqlite3 *db = open_ro(p2);
    hr_conn *c = conn(db);
    if (!c || !h) {
        hs_close(h, err, sizeof err);
        return;
    }
    static const hr_agg count[] = {{HR_COUNT, 0, NULL, 0}};
    hr_query q = {.table = &rs_query_hourly, .aggs = count, .naggs = 1};
    CHECK(hr_begin(c, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(same(db, c, &q, "SELECT 30", false), 1);
    CHECK(write_hour(h, H0 + 3600, true) && hs_commit(h, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(same(db, c, &q, "SELECT 30", false), 1); /* still the snapshot */
    hr_end(c);
    CHECK_EQ_I64(same(db, c, &q, "SELECT 60", false), 1);
    hr_conn_free(c);
    sqlite3_close(db);
    CHECK(hs_close(h, err, sizeof err) == SL_OK);
}

static int nstmts(sqlite3 *db) {
    int n = 0;
    for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s; s = sqlite3_next_stmt(db, s)) n++;
    return n;
}

/* Statements are kept per connection: the same query with other values
 * prepares nothing; two open at once get two; at most HR_STMT_CACHE kept. */
static void test_stmt_cache(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    static const int cols[] = {RS_QH_QUERIES};
    hr_query q = {.table = &rs_query_hourly, .cols = cols, .ncols = 1, .where = {.source = "fleet-a"}, .limit = 3};
    hr_cursor a, b;
    CHECK(hr_open(c, &q, &a, err, sizeof err) == SL_OK);
    hr_close(&a);
    CHECK_EQ_I64(nstmts(db), 1);
    q.where.source = "fleet-b";
    q.limit = 5;
    CHECK(hr_open(c, &q, &a, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(nstmts(db), 1);
    CHECK(hr_open(c, &q, &b, err, sizeof err) == SL_OK); /* the same query while the first is open */
    CHECK_EQ_I64(nstmts(db), 2);
    int na = 0, nb = 0;
    while (hr_next(&a, err, sizeof err) == HR_ROW && hr_next(&b, err, sizeof err) == HR_ROW) na++, nb++;
    CHECK(na == 5 && nb == 5);
    hr_close(&a);
    hr_close(&b);
    /* other SQL texts (instance lists of every length) fill the cache, then replace the oldest */
    int64_t inst[HR_STMT_CACHE + 8];
    for (int i = 0; i < HR_STMT_CACHE + 8; i++) inst[i] = i;
    for (size_t n = 1; n <= HR_STMT_CACHE + 8; n++) {
        q.where.instances = inst;
        q.where.ninstances = n;
        int64_t rows = 0;
        CHECK(hr_open(c, &q, &a, err, sizeof err) == SL_OK);
        while (hr_next(&a, err, sizeof err) == HR_ROW) rows++;
        hr_close(&a);
        CHECK(rows == (n > 11 ? 5 : 0)); /* fleet-b's instances are 11..15 */
    }
    CHECK_EQ_I64(nstmts(db), HR_STMT_CACHE);
    /* BEGIN and COMMIT are kept too */
    CHECK(hr_begin(c, err, sizeof err) == SL_OK);
    hr_end(c);
    CHECK(sqlite3_get_autocommit(db));
    hr_conn_free(c);
    CHECK_EQ_I64(nstmts(db), 0);
    sqlite3_close(db);
}

static void test_errors(void) {
    sqlite3 *db = open_ro(path);
    hr_conn *c = conn(db);
    if (!c) return;
    hr_cursor cur;
    static const int bad_col[] = {RS_QH_NCOLS};
    hr_query q = {.table = &rs_query_hourly, .cols = bad_col, .ncols = 1};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG && strstr(err, "query_hourly"));
    hr_close(&cur); /* a no-op after a failed open */
    q = (hr_query){.table = &rs_spill_hourly, .where = {.source = "x"}};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "spill_hourly: no source column to filter by");
    q = (hr_query){.table = g_bad, .where = {.final = HR_FINAL_ONLY}};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG);
    static const hr_order rowid[] = {{HR_ROWID, true}};
    q = (hr_query){.table = &rs_query_hourly, .order = rowid, .norder = 1}; /* WITHOUT ROWID */
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG);
    static const int si[] = {RS_QH_SOURCE};
    static const hr_agg two[] = {{HR_COUNT_DISTINCT, 0, si, 1}, {HR_COUNT, 0, NULL, 0}};
    q = (hr_query){.table = &rs_query_hourly, .aggs = two, .naggs = 2};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG);
    q = (hr_query){.table = &rs_query_hourly, .where = {.range = true, .from = INT64_C(253402300800), .to = INT64_C(253402304400)}};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG && strstr(err, "0000..9999"));
    q = (hr_query){.table = &rs_query_hourly, .offset = 3};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_ARG);
    /* a table the store does not have */
    static const tb_col nope_cols[] = {{"hour", TB_TS, false, true, NULL}, {"x", TB_I64, false, false, NULL}};
    static const tb_def nope = {"nope_hourly", TB_HOURLY, nope_cols, 2, NULL};
    q = (hr_query){.table = &nope};
    CHECK(hr_open(c, &q, &cur, err, sizeof err) == SL_ERR_NOTFOUND && strstr(err, "nope_hourly: no such table"));
    /* the store's time text */
    int64_t us;
    CHECK(hr_parse_ts("2024-03-01 07:00:00", 19, &us) && us == H0 * US);
    CHECK(hr_parse_ts("2024-03-01 07:00:00.250000", 26, &us) && us == H0 * US + 250000);
    CHECK(!hr_parse_ts("2024-03-01T07:00:00", 19, &us));
    CHECK(!hr_parse_ts("2024-03-01 07:00", 16, &us));
    CHECK(!hr_parse_ts("2024-03-01 07:00:00.25", 22, &us));
    CHECK(!hr_parse_ts("2024-02-30 07:00:00", 19, &us));
    hr_conn_free(c);
    sqlite3_close(db);
}

/* The test's files: the stores and their WAL companions. */
static void remove_files(void) {
    static const char *const names[] = {"hot.db", "other.db", "snap.db"}, *const sfx[] = {"", "-wal", "-shm"};
    char p[256];
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s/%s%s", tmpdir, names[i], sfx[k]);
            unlink(p);
        }
    rmdir(tmpdir);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice_hot_read_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    if (sc_open(&S, &sc_redset_def, err, sizeof err) != SL_OK ||
        en_own_tables(S, &g_bad, &g_late, &g_events, err, sizeof err) != SL_OK) {
        fprintf(stderr, "tables: %s\n", err);
        return 1;
    }
    const tb_def *v[T_N] = {&rs_query_hourly,        &rs_spill_hourly,        &rs_cache_hourly, &rs_top_tables_hourly,
                            &rs_compile_joins_hourly, &rs_compile_corr_hourly, &rs_utilization_hourly, g_bad, g_late,
                            g_events};
    memcpy(g_tv, v, sizeof v);
    TL = (tb_list){g_tv, T_N};
    if (!make_store()) return 1;
    RUN(test_rows);
    RUN(test_quarantine);
    RUN(test_input_file);
    RUN(test_aggregates);
    RUN(test_distinct);
    RUN(test_fixed_tables);
    RUN(test_snapshot);
    RUN(test_stmt_cache);
    RUN(test_errors);
    tb_free(g_bad);
    tb_free(g_late);
    tb_free(g_events);
    sc_close(S);
    remove_files();
    return T_DONE();
}
