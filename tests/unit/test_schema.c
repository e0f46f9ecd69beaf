/* test_schema.c: the runtime schema (schema/schema.h): what sc_open derives
 * for Redset (schema/redset.c: system columns, keys, the cleaning reasons in
 * their exact order, the repair and id-list columns), the canonical batch,
 * and the definitions sc_open refuses (each with a message naming the schema
 * and the problem).  A second, non-Redset schema run through cleaning and
 * the engine is in test_engine.c. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* definitions below */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "schema/redset.h"
#include "schema/schema.h"
#include "t.h"

static char err[SL_ERRLEN];

#define TS {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}
#define STR {.type = SL_BYTES, .logical = SL_LOG_STRING}
#define I32 {.type = SL_I32}
#define I64 {.type = SL_I64}
#define F64 {.type = SL_F64}

static int find(const sc_schema *s, const char *name) {
    int c = sc_find(s, name);
    if (c < 0) {
        fprintf(stderr, "  no column %s\n", name);
        t_cur_failed = 1;
    }
    return c;
}

/* ------------------------------------------------------------------ Redset */

static void test_redset_columns(void) {
    const sc_schema *s = NULL;
    CHECK(sc_open(&s, &sc_redset_def, err, sizeof err) == SL_OK);
    if (!s) return;
    CHECK_EQ_STR(s->name, "redset");
    CHECK(s->def == &sc_redset_def);
    CHECK_EQ_I64(s->ncols, 24);
    CHECK_EQ_I64(s->nall, 24 + SC_N_SYS);
    CHECK_EQ_I64(SC_N_SYS, 5);
    /* system columns follow the schema's, in this order */
    CHECK_EQ_I64(s->source, 24);
    CHECK_EQ_I64(s->input, 25);
    CHECK_EQ_I64(s->row, 26);
    CHECK_EQ_I64(s->error, 27);
    CHECK_EQ_I64(s->extra, 28);
    CHECK_EQ_STR(sc_col_name(s, s->source), "source");
    CHECK_EQ_STR(sc_col_name(s, s->input), "_input");
    CHECK_EQ_STR(sc_col_name(s, s->row), "_row");
    CHECK_EQ_STR(sc_col_name(s, s->error), "_error");
    CHECK_EQ_STR(sc_col_name(s, s->extra), "_extra");
    CHECK_EQ_STR(sc_col_name(s, -1), "?");
    CHECK_EQ_STR(sc_col_name(s, 29), "?");
    CHECK(sc_col_type(s, 29) == NULL);
    CHECK(sc_col_type(s, s->source)->type == SL_BYTES);
    CHECK(sc_col_type(s, s->input)->type == SL_I32);
    CHECK(sc_col_type(s, s->row)->type == SL_I64);
    /* the columns, by name, at their place */
    static const char *const names[24] = {
        "instance_id", "cluster_size", "user_id", "database_id", "query_id", "arrival_timestamp", "compile_duration_ms",
        "queue_duration_ms", "execution_duration_ms", "feature_fingerprint", "was_aborted", "was_cached",
        "cache_source_query_id", "query_type", "num_permanent_tables_accessed", "num_external_tables_accessed",
        "num_system_tables_accessed", "read_table_ids", "write_table_ids", "mbytes_scanned", "mbytes_spilled",
        "num_joins", "num_scans", "num_aggregations"};
    for (int c = 0; c < 24; c++) {
        CHECK_EQ_STR(sc_col_name(s, c), names[c]);
        CHECK_EQ_I64(sc_find(s, names[c]), c);
    }
    CHECK_EQ_I64(sc_find(s, "nope"), -1);
    CHECK_EQ_I64(sc_find(s, "Instance_ID"), -1); /* exact */
    /* input fields: exact, else case-insensitive; never a system column */
    CHECK_EQ_I64(sc_match(s, "query_id", 8), 4);
    CHECK_EQ_I64(sc_match(s, "Query_ID", 8), 4);
    CHECK_EQ_I64(sc_match(s, "query_idx", 9), -1);
    CHECK_EQ_I64(sc_match(s, "source", 6), -1);
    CHECK_EQ_I64(sc_match(s, "_row", 4), -1);
    /* keys */
    CHECK_EQ_I64(s->time, find(s, "arrival_timestamp"));
    CHECK_EQ_I64(s->order[0], find(s, "instance_id"));
    CHECK_EQ_I64(s->order[1], find(s, "query_id"));
    CHECK_EQ_I64(s->ndedupe, 2);
    CHECK_EQ_I64(s->dedupe[0], find(s, "instance_id"));
    CHECK_EQ_I64(s->dedupe[1], find(s, "query_id"));
    CHECK_EQ_I64(s->npartition, 1);
    CHECK_EQ_I64(s->partition[0], find(s, "instance_id"));
    CHECK_EQ_I64(s->rest, -1);
    CHECK_EQ_I64(s->ts_min_us, SC_REDSET_TS_MIN_US);
    CHECK_EQ_I64(s->ts_max_us, SC_REDSET_TS_MAX_US);
    CHECK_EQ_I64(SC_REDSET_TS_MIN_US, 946684800000000LL);  /* 2000-01-01 */
    CHECK_EQ_I64(SC_REDSET_TS_MAX_US, 4102444800000000LL); /* 2100-01-01 */
    sc_close(s);
}

/* The reason list, exactly: accept, malformed, missing_* in the order of
 * sc_def.required, bad_timestamp, then negative_* in column order. */
static void test_redset_reasons(void) {
    const sc_schema *s = NULL;
    CHECK(sc_open(&s, &sc_redset_def, err, sizeof err) == SL_OK);
    if (!s) return;
    static const struct {
        const char *name, *col; /* col NULL: -1 */
    } want[] = {
        {"accept", NULL},
        {"malformed", NULL},
        {"missing_arrival_timestamp", "arrival_timestamp"},
        {"missing_instance_id", "instance_id"},
        {"missing_query_id", "query_id"},
        {"missing_query_type", "query_type"},
        {"bad_timestamp", "arrival_timestamp"},
        {"negative_compile_duration_ms", "compile_duration_ms"},
        {"negative_queue_duration_ms", "queue_duration_ms"},
        {"negative_execution_duration_ms", "execution_duration_ms"},
        {"negative_num_permanent_tables_accessed", "num_permanent_tables_accessed"},
        {"negative_num_external_tables_accessed", "num_external_tables_accessed"},
        {"negative_num_system_tables_accessed", "num_system_tables_accessed"},
        {"negative_mbytes_scanned", "mbytes_scanned"},
        {"negative_mbytes_spilled", "mbytes_spilled"},
        {"negative_num_joins", "num_joins"},
        {"negative_num_scans", "num_scans"},
        {"negative_num_aggregations", "num_aggregations"},
    };
    size_t n = sizeof want / sizeof *want;
    CHECK_EQ_I64(s->nreasons, n);
    for (size_t r = 0; r < n && r < s->nreasons; r++) {
        CHECK_EQ_STR(s->reasons[r].name, want[r].name);
        CHECK_EQ_I64(s->reasons[r].col, want[r].col ? find(s, want[r].col) : -1);
    }
    CHECK_EQ_I64(s->reason_malformed, 1);
    CHECK_EQ_I64(s->reason_bad_timestamp, 6);
    /* the columns with a repair rule, in column order */
    static const char *const rep[] = {"compile_duration_ms",
                                      "queue_duration_ms",
                                      "execution_duration_ms",
                                      "was_aborted",
                                      "was_cached",
                                      "query_type",
                                      "num_permanent_tables_accessed",
                                      "num_external_tables_accessed",
                                      "num_system_tables_accessed",
                                      "read_table_ids",
                                      "write_table_ids",
                                      "mbytes_scanned",
                                      "mbytes_spilled",
                                      "num_joins",
                                      "num_scans",
                                      "num_aggregations"};
    size_t nrep = sizeof rep / sizeof *rep;
    CHECK_EQ_I64(s->nrepair, nrep);
    for (size_t k = 0; k < nrep && k < s->nrepair; k++) CHECK_EQ_I64(s->repair_cols[k], find(s, rep[k]));
    /* the id lists */
    CHECK_EQ_I64(s->nidlists, 2);
    if (s->nidlists == 2) {
        CHECK_EQ_I64(s->idlist_cols[0], find(s, "read_table_ids"));
        CHECK_EQ_I64(s->idlist_cols[1], find(s, "write_table_ids"));
    }
    sc_close(s);
}

/* The canonical batch: the schema's columns, then the system columns. */
static void test_redset_batch(void) {
    const sc_schema *s = NULL;
    CHECK(sc_open(&s, &sc_redset_def, err, sizeof err) == SL_OK);
    if (!s) return;
    sl_batch b;
    sl_batch_init(&b);
    CHECK(sc_init_batch(s, &b, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(b.ncols, s->nall);
    for (size_t c = 0; c < b.ncols && c < s->nall; c++) {
        CHECK_EQ_STR(b.cols[c].name, sc_col_name(s, (int)c));
        CHECK(b.cols[c].t.type == sc_col_type(s, (int)c)->type);
    }
    CHECK(b.cols[s->time].t.logical == SL_LOG_TIMESTAMP && b.cols[s->time].t.unit == SL_UNIT_MICROS);
    CHECK(!b.cols[s->source].nullable && !b.cols[s->input].nullable && !b.cols[s->row].nullable);
    CHECK(b.cols[s->error].nullable && b.cols[s->extra].nullable);
    CHECK(sc_check_batch(s, &b, err, sizeof err) == SL_OK);
    /* not canonical: a column short, or a wrong type */
    sl_batch x;
    sl_batch_init(&x);
    for (size_t c = 0; c + 1 < s->nall; c++) {
        const sl_coltype *t = sc_col_type(s, (int)c);
        CHECK(sl_batch_add_col(&x, sc_col_name(s, (int)c), t, true, err, sizeof err) == SL_OK);
    }
    CHECK(sc_check_batch(s, &x, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "redset") != NULL);
    sl_coltype i64 = {.type = SL_I64};
    CHECK(sl_batch_add_col(&x, "_extra", &i64, true, err, sizeof err) == SL_OK);
    CHECK(sc_check_batch(s, &x, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "_extra") != NULL);
    sl_batch_free(&x);
    sl_batch_free(&b);
    sc_close(s);
}

/* ------------------------------------------------------------------ definitions sc_open refuses */

static const sc_col good_cols[] = {
    {"id", STR, SC_REQUIRED},
    {"t", TS, SC_REQUIRED},
    {"n", I64, SC_NONNEG | SC_NULL_ZERO},
};
static const sc_def good_def = {.name = "good", .cols = good_cols, .ncols = 3, .time = "t", .dedupe = {"id"}};

/* sc_open must refuse d with SL_ERR_ARG, leave *out NULL, and say `what`
 * in a message that names the schema (named: when the definition is not
 * empty). */
static void refuse(const sc_def *d, const char *what, bool named, int line) {
    const sc_schema *s = (const sc_schema *)&good_def; /* not NULL: sc_open must clear it */
    err[0] = 0;
    sl_err e = sc_open(&s, d, err, sizeof err);
    if (e != SL_ERR_ARG || s != NULL || !strstr(err, what) || (named && !strstr(err, d->name))) {
        fprintf(stderr, "  line %d: sc_open(%s) = %d, message '%s', expected '%s'\n", line, d && d->name ? d->name : "?",
                (int)e, err, what);
        t_cur_failed = 1;
    }
    if (e == SL_OK && s) sc_close(s);
}
#define REFUSE(d, what) refuse(d, what, true, __LINE__)

static void test_open_errors(void) {
    /* the base definition is fine */
    const sc_schema *s = NULL;
    CHECK(sc_open(&s, &good_def, err, sizeof err) == SL_OK);
    if (s) {
        CHECK_EQ_I64(s->nreasons, 6); /* accept, malformed, missing_id, missing_t, bad_timestamp, negative_n */
        CHECK_EQ_STR(s->reasons[2].name, "missing_id");
        CHECK_EQ_STR(s->reasons[3].name, "missing_t");
        CHECK_EQ_STR(s->reasons[5].name, "negative_n");
        CHECK_EQ_I64(s->ts_min_us, INT64_MIN); /* (0, 0): any time */
        CHECK_EQ_I64(s->ts_max_us, INT64_MAX);
        sc_close(s);
    }
    /* empty */
    refuse(NULL, "schema (unnamed): an empty definition (no columns)", false, __LINE__);
    sc_def d0 = good_def;
    d0.ncols = 0;
    refuse(&d0, "an empty definition (no columns)", false, __LINE__);
    d0 = good_def;
    d0.cols = NULL;
    refuse(&d0, "an empty definition (no columns)", false, __LINE__);

    /* a duplicate column */
    static const sc_col dup_cols[] = {{"id", STR, SC_REQUIRED}, {"t", TS, SC_REQUIRED}, {"id", I64, 0}};
    sc_def d = good_def;
    d.name = "dup";
    d.cols = dup_cols;
    REFUSE(&d, "column id appears twice");

    /* a system column's name */
    static const sc_col sys_cols[] = {{"id", STR, SC_REQUIRED}, {"t", TS, SC_REQUIRED}, {"_row", I64, 0}};
    d = good_def;
    d.name = "sys";
    d.cols = sys_cols;
    REFUSE(&d, "system column");

    /* the time column: missing, absent, not a TIMESTAMP */
    d = good_def;
    d.name = "notime";
    d.time = NULL;
    REFUSE(&d, "event-time column '(none)' does not exist");
    d.time = "when";
    REFUSE(&d, "event-time column 'when' does not exist");
    static const sc_col i64_time[] = {{"id", STR, SC_REQUIRED}, {"t", I64, SC_REQUIRED}, {"n", I64, 0}};
    d = good_def;
    d.name = "i64time";
    d.cols = i64_time;
    REFUSE(&d, "must be a TIMESTAMP");
    static const sc_col ms_time[] = {
        {"id", STR, SC_REQUIRED}, {"t", {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MILLIS}, 0}, {"n", I64, 0}};
    d.name = "mstime";
    d.cols = ms_time;
    REFUSE(&d, "must be a TIMESTAMP");
    static const sc_col str_time[] = {{"id", STR, SC_REQUIRED}, {"t", STR, SC_REQUIRED}, {"n", I64, 0}};
    d.name = "strtime";
    d.cols = str_time;
    REFUSE(&d, "must be a TIMESTAMP");

    /* dedupe columns: REQUIRED, existing */
    d = good_def;
    d.name = "dedupe";
    d.dedupe[0] = "n";
    REFUSE(&d, "dedupe column n must be REQUIRED");
    d.dedupe[0] = "nope";
    REFUSE(&d, "dedupe column 'nope' does not exist");
    d.dedupe[0] = "id";
    d.dedupe[1] = "n";
    REFUSE(&d, "dedupe column n must be REQUIRED");

    /* order columns: exist, INT32 then INT64 or STRING */
    d = good_def;
    d.name = "order";
    d.order[0] = "n";
    REFUSE(&d, "first order column n must be an INT32");
    d.order[0] = "zz";
    REFUSE(&d, "order column 'zz' does not exist");
    static const sc_col f_cols[] = {{"id", STR, SC_REQUIRED}, {"t", TS, SC_REQUIRED}, {"x", F64, 0}};
    d = good_def;
    d.name = "order2";
    d.cols = f_cols;
    d.order[1] = "x";
    REFUSE(&d, "second order column x must be an INT64 or a STRING");

    /* partition, rest, required */
    d = good_def;
    d.name = "part";
    d.partition[0] = "nope";
    REFUSE(&d, "partition column 'nope' does not exist");
    d = good_def;
    d.name = "rest";
    d.rest = "n";
    REFUSE(&d, "rest column 'n' must be a STRING column");
    d = good_def;
    d.name = "req";
    d.required[0] = "n";
    REFUSE(&d, "'n' is not a REQUIRED column");
    d.required[0] = "id";
    d.required[1] = "id";
    REFUSE(&d, "required column id listed twice");

    /* a rule on a column of the wrong type */
    static const struct {
        sc_col c;
        const char *what;
    } bad_rules[] = {
        {{"r", I64, SC_FINITE}, "FINITE needs a DOUBLE"},
        {{"r", I64, SC_FLAG01}, "FLAG01 needs an INT32"},
        {{"r", F64, SC_FLAG01}, "FLAG01 needs an INT32"},
        {{"r", I32, SC_CLAMP}, "CLAMP needs an INT64 or a DOUBLE"},
        {{"r", STR, SC_CLAMP}, "CLAMP needs an INT64 or a DOUBLE"},
        {{"r", STR, SC_NONNEG}, "NONNEG needs a number"},
        {{"r", STR, SC_NULL_ZERO}, "NULL_ZERO needs a number"},
        {{"r", I64, SC_TRIM}, "need a STRING"},
        {{"r", I32, SC_TRIM_LOWER}, "need a STRING"},
        {{"r", I64, SC_ID_LIST}, "need a STRING"},
        {{"r", I64, SC_REQUIRED | SC_NULL_ZERO}, "contradict"},
        {{"r", {.type = SL_BOOL}, 0}, "type must be INT32, INT64, DOUBLE or STRING"},
    };
    for (size_t k = 0; k < sizeof bad_rules / sizeof *bad_rules; k++) {
        sc_col cols[3] = {{"id", STR, SC_REQUIRED}, {"t", TS, SC_REQUIRED}, bad_rules[k].c};
        d = good_def;
        d.name = "rules";
        d.cols = cols;
        REFUSE(&d, bad_rules[k].what);
        /* the message names the column */
        REFUSE(&d, "column r");
    }
    /* the same rules on the right types are fine */
    static const sc_col ok_rules[] = {{"id", STR, SC_REQUIRED | SC_TRIM},
                                      {"t", TS, SC_REQUIRED},
                                      {"f", F64, SC_FINITE | SC_NONNEG | SC_NULL_ZERO | SC_CLAMP},
                                      {"g", I32, SC_FLAG01 | SC_NULL_ZERO},
                                      {"h", I64, SC_CLAMP | SC_NONNEG},
                                      {"s", STR, SC_TRIM_LOWER},
                                      {"l", STR, SC_ID_LIST}};
    d = good_def;
    d.name = "okrules";
    d.cols = ok_rules;
    d.ncols = sizeof ok_rules / sizeof *ok_rules;
    s = NULL;
    CHECK(sc_open(&s, &d, err, sizeof err) == SL_OK);
    if (s) {
        CHECK_EQ_I64(s->nrepair, 6); /* id, f, g, h, s, l */
        CHECK_EQ_I64(s->nidlists, 1);
        CHECK_EQ_I64(s->idlist_cols[0], 6);
        sc_close(s);
    }
}

int main(void) {
    RUN(test_redset_columns);
    RUN(test_redset_reasons);
    RUN(test_redset_batch);
    RUN(test_open_errors);
    return T_DONE();
}
