/* test_clean.c: cl_clean (src/engine/clean.c) with the Redset schema
 * (src/schema/redset.c) against docs/metrics.md section 2.
 *
 * Hand-made rows (CSV text read by the csv input into canonical batches)
 * cover every bad-row reason, the check order, every repair and the
 * table-id token rules; a generated batch (gen API) must give exactly the
 * generator's injected counts; and the DuckDB oracle's results in
 * tests/fixtures/clean/expected.json (tests/oracle/make_clean_fixture.mjs)
 * must match for tests/fixtures/clean/gen.csv and, when present, the real
 * sample $SLUICE_SHARED/data/redset/serverless_sample_0.001.csv.
 * Reasons are numbered by the schema (sc_schema.reasons) and looked up by
 * name; columns by sc_find.  Run from the repository root (scripts/test.sh
 * does). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers" /* row tables below */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/clean.h"
#include "gen/gen.h"
#include "plugins/plugin.h"
#include "replay/input.h"
#include "replay/json.h"
#include "schema/redset.h"
#include "schema/schema.h"
#include "t.h"

#define CAP 604800000LL
#define NCOLS_REDSET 24
static char err[SL_ERRLEN];
static const sc_schema *S; /* the Redset schema, opened in main */

/* Column index by name (the test's own spelling of a Redset column). */
static int C(const char *name) {
    int c = sc_find(S, name);
    if (c < 0) {
        fprintf(stderr, "  no column %s in the schema\n", name);
        abort();
    }
    return c;
}

/* Reason number by name (-1 and a failed check when the schema has none). */
static int R(const char *name) {
    for (size_t r = 0; r < S->nreasons; r++)
        if (strcmp(S->reasons[r].name, name) == 0) return (int)r;
    fprintf(stderr, "  no reason %s in the schema\n", name);
    t_cur_failed = 1;
    return -1;
}
static const char *RN(int r) { return r >= 0 && (size_t)r < S->nreasons ? S->reasons[r].name : "?"; }

/* ------------------------------------------------------------------ CSV rows */

static const char *const HEADER =
    "instance_id,cluster_size,user_id,database_id,query_id,arrival_timestamp,compile_duration_ms,"
    "queue_duration_ms,execution_duration_ms,feature_fingerprint,was_aborted,was_cached,cache_source_query_id,"
    "query_type,num_permanent_tables_accessed,num_external_tables_accessed,num_system_tables_accessed,"
    "read_table_ids,write_table_ids,mbytes_scanned,mbytes_spilled,num_joins,num_scans,num_aggregations\n";

/* a good row, in HEADER's column order; fields as CSV text (already quoted where needed) */
static const char *const HEADER_COLS[NCOLS_REDSET] = {
    "instance_id", "cluster_size", "user_id", "database_id", "query_id", "arrival_timestamp", "compile_duration_ms",
    "queue_duration_ms", "execution_duration_ms", "feature_fingerprint", "was_aborted", "was_cached",
    "cache_source_query_id", "query_type", "num_permanent_tables_accessed", "num_external_tables_accessed",
    "num_system_tables_accessed", "read_table_ids", "write_table_ids", "mbytes_scanned", "mbytes_spilled",
    "num_joins", "num_scans", "num_aggregations"};
static const char *const BASE[NCOLS_REDSET] = {"1", "", "2", "3", "100", "2024-03-01 00:00:00", "10.0", "5", "20",
                                               "ab", "0", "0", "", "select", "1.0", "0.0", "0.0", "\"1,2\"", "",
                                               "100.0", "0.0", "1", "2", "3"};

typedef struct rowcase {
    const char *set[4][2]; /* column name, CSV field text */
    const char *raw;       /* whole line instead */
    const char *reason;    /* expected reason by name (NULL: "accept") */
    const char *detail;    /* expected detail prefix (NULL: not checked) */
} rowcase;

static int reason_of(const rowcase *rc) { return R(rc->reason ? rc->reason : "accept"); }

static void put_row(char *out, size_t cap, const rowcase *rc) {
    size_t n = strlen(out);
    if (rc->raw) {
        snprintf(out + n, cap - n, "%s\n", rc->raw);
        return;
    }
    for (int c = 0; c < NCOLS_REDSET; c++) {
        const char *v = BASE[c];
        for (int k = 0; k < 4 && rc->set[k][0]; k++)
            if (strcmp(rc->set[k][0], HEADER_COLS[c]) == 0) v = rc->set[k][1];
        n += (size_t)snprintf(out + n, cap - n, "%s%s", c ? "," : "", v);
    }
    snprintf(out + n, cap - n, "\n");
}

/* Read CSV text into one canonical batch (in file order). */
static int read_csv(const char *text, sl_batch *b) {
    rp_input *in = NULL;
    rp_input_opts o = {.path = "hand.csv", .source = "hand", .format = reg_input("csv"), .schema = S};
    sl_batch_init(b);
    if (sc_init_batch(S, b, err, sizeof err) != SL_OK) return -1;
    if (rp_input_open_mem(&in, &o, text, strlen(text), err, sizeof err) != SL_OK) {
        fprintf(stderr, "  open: %s\n", err);
        return -1;
    }
    long r = rp_input_next(in, b, 100000, err, sizeof err);
    rp_input_close(in);
    if (r < 0) fprintf(stderr, "  read: %s\n", err);
    return (int)r;
}

static int col_null(const sl_batch *b, int c, size_t i) { return sl_col_is_null(&b->cols[c], i); }
static int64_t i64(const sl_batch *b, int c, size_t i) { return ((const int64_t *)b->cols[c].data)[i]; }
static int32_t i32(const sl_batch *b, int c, size_t i) { return ((const int32_t *)b->cols[c].data)[i]; }
static double f64(const sl_batch *b, int c, size_t i) { return ((const double *)b->cols[c].data)[i]; }
static int str_is(const sl_batch *b, int c, size_t i, const char *s) {
    const sl_str *v = &((const sl_str *)b->cols[c].data)[i];
    return !col_null(b, c, i) && v->len == strlen(s) && memcmp(v->ptr, s, v->len) == 0;
}

/* ------------------------------------------------------------------ reasons */

static const rowcase REASONS[] = {
    {.reason = "accept"},
    {.raw = "1,2,3", .reason = "malformed", .detail = "malformed: line "},
    {{{"num_joins", "many"}}, .reason = "malformed", .detail = "malformed: line "},
    {{{"mbytes_scanned", "NaN"}}, .reason = "malformed", .detail = "mbytes_scanned = NaN"},
    {{{"compile_duration_ms", "Infinity"}}, .reason = "malformed", .detail = "compile_duration_ms = Infinity"},
    {{{"cluster_size", "-Infinity"}}, .reason = "malformed", .detail = "cluster_size = -Infinity"},
    {{{"cache_source_query_id", "NaN"}}, .reason = "malformed", .detail = "cache_source_query_id = NaN"},
    {{{"num_system_tables_accessed", "-Infinity"}}, .reason = "malformed"},
    {{{"arrival_timestamp", ""}}, .reason = "missing_arrival_timestamp", .detail = "arrival_timestamp is NULL"},
    {{{"instance_id", ""}}, .reason = "missing_instance_id", .detail = "instance_id is NULL"},
    {{{"query_id", ""}}, .reason = "missing_query_id", .detail = "query_id is NULL"},
    {{{"query_type", ""}}, .reason = "missing_query_type", .detail = "query_type is NULL"},
    {{{"query_type", "\"\""}}, .reason = "missing_query_type", .detail = "query_type is empty"},
    {{{"query_type", "   "}}, .reason = "missing_query_type", .detail = "query_type is empty"},
    {{{"arrival_timestamp", "1999-12-31 23:59:59.999999"}},
     .reason = "bad_timestamp",
     .detail = "arrival_timestamp 1999-12-31T23:59:59.999999Z outside [2000-01-01T00:00:00.000000Z, "
               "2100-01-01T00:00:00.000000Z)"},
    {{{"arrival_timestamp", "2000-01-01 00:00:00"}}, .reason = "accept"},
    {{{"arrival_timestamp", "2100-01-01 00:00:00"}}, .reason = "bad_timestamp", .detail = "arrival_timestamp 2100-01-01T00:00:00.000000Z outside"},
    {{{"arrival_timestamp", "2099-12-31 23:59:59.999999"}}, .reason = "accept"},
    {{{"arrival_timestamp", "1970-01-01 00:00:00"}}, .reason = "bad_timestamp"},
    {{{"arrival_timestamp", "not a timestamp"}}, .reason = "bad_timestamp", .detail = "bad_timestamp: line "},
    {{{"compile_duration_ms", "-0.5"}}, .reason = "negative_compile_duration_ms", .detail = "compile_duration_ms = -0.5"},
    {{{"queue_duration_ms", "-5"}}, .reason = "negative_queue_duration_ms", .detail = "queue_duration_ms = -5"},
    {{{"execution_duration_ms", "-1"}}, .reason = "negative_execution_duration_ms", .detail = "execution_duration_ms = -1"},
    {{{"num_permanent_tables_accessed", "-1.0"}}, .reason = "negative_num_permanent_tables_accessed", .detail = "num_permanent_tables_accessed = -1"},
    {{{"num_external_tables_accessed", "-2"}}, .reason = "negative_num_external_tables_accessed"},
    {{{"num_system_tables_accessed", "-3"}}, .reason = "negative_num_system_tables_accessed"},
    {{{"mbytes_scanned", "-4"}}, .reason = "negative_mbytes_scanned", .detail = "mbytes_scanned = -4"},
    {{{"mbytes_spilled", "-0.25"}}, .reason = "negative_mbytes_spilled", .detail = "mbytes_spilled = -0.25"},
    {{{"num_joins", "-6"}}, .reason = "negative_num_joins", .detail = "num_joins = -6"},
    {{{"num_scans", "-7"}}, .reason = "negative_num_scans"},
    {{{"num_aggregations", "-8"}}, .reason = "negative_num_aggregations", .detail = "num_aggregations = -8"},
    {{{"compile_duration_ms", "-0.0"}}, .reason = "accept"}, /* -0 is not negative */
    {{{"num_joins", "0"}, {"mbytes_scanned", "0"}}, .reason = "accept"},
    /* several problems: the first in the documented order wins */
    {{{"mbytes_scanned", "NaN"}, {"arrival_timestamp", ""}, {"instance_id", ""}}, .reason = "malformed"},
    {{{"arrival_timestamp", ""}, {"num_joins", "x"}}, .reason = "malformed"},
    {{{"arrival_timestamp", ""}, {"instance_id", ""}, {"query_id", ""}}, .reason = "missing_arrival_timestamp"},
    {{{"instance_id", ""}, {"query_id", ""}, {"query_type", ""}}, .reason = "missing_instance_id"},
    {{{"query_id", ""}, {"query_type", " "}}, .reason = "missing_query_id"},
    {{{"query_type", "  "}, {"arrival_timestamp", "1999-01-01 00:00:00"}}, .reason = "missing_query_type"},
    {{{"query_type", ""}, {"queue_duration_ms", "-1"}}, .reason = "missing_query_type"},
    {{{"arrival_timestamp", "yesterday"}, {"instance_id", ""}}, .reason = "missing_instance_id", .detail = "instance_id is NULL"},
    {{{"arrival_timestamp", "yesterday"}, {"query_id", ""}}, .reason = "missing_query_id"},
    {{{"arrival_timestamp", "yesterday"}, {"query_type", "\"\""}}, .reason = "missing_query_type"},
    {{{"arrival_timestamp", "yesterday"}, {"queue_duration_ms", "-1"}}, .reason = "bad_timestamp", .detail = "bad_timestamp: line "},
    {{{"arrival_timestamp", "2100-06-01 00:00:00"}, {"compile_duration_ms", "-1"}}, .reason = "bad_timestamp"},
    {{{"queue_duration_ms", "-1"}, {"compile_duration_ms", "-1"}}, .reason = "negative_compile_duration_ms"},
    {{{"execution_duration_ms", "-1"}, {"queue_duration_ms", "-2"}}, .reason = "negative_queue_duration_ms"},
    {{{"mbytes_scanned", "-1"}, {"num_permanent_tables_accessed", "-1"}}, .reason = "negative_num_permanent_tables_accessed"},
    {{{"mbytes_scanned", "-1"}, {"num_system_tables_accessed", "-1"}}, .reason = "negative_num_system_tables_accessed"},
    {{{"num_joins", "-1"}, {"mbytes_spilled", "-1"}}, .reason = "negative_mbytes_spilled"},
    {{{"num_aggregations", "-1"}, {"num_joins", "-1"}, {"num_scans", "-1"}}, .reason = "negative_num_joins"},
    {{{"num_aggregations", "-1"}, {"num_scans", "-1"}}, .reason = "negative_num_scans"},
    /* a bad row is not repaired */
    {{{"queue_duration_ms", "-1"}, {"was_aborted", "2"}, {"compile_duration_ms", ""}, {"query_type", "SELECT"}},
     .reason = "negative_queue_duration_ms"},
};
#define N_REASON_ROWS (sizeof REASONS / sizeof REASONS[0])

static void test_reason_names(void) {
    /* the numbers the reasons had as an enum (CL_MALFORMED = 1, ...): the schema numbers them the same */
    CHECK_EQ_I64(S->nreasons, 18);
    CHECK_EQ_STR(RN(0), "accept");
    CHECK_EQ_STR(RN(1), "malformed");
    CHECK_EQ_STR(RN(5), "missing_query_type");
    CHECK_EQ_STR(RN(6), "bad_timestamp");
    CHECK_EQ_STR(RN(10), "negative_num_permanent_tables_accessed");
    CHECK_EQ_STR(RN(13), "negative_mbytes_scanned");
    CHECK_EQ_STR(RN(17), "negative_num_aggregations");
    CHECK_EQ_I64(S->reason_malformed, 1);
    CHECK_EQ_I64(S->reason_bad_timestamp, 6);
    cl_opts o = cl_opts_default(S);
    CHECK_EQ_I64(o.duration_cap_ms, CAP);
    CHECK_EQ_I64(o.ts_min_us, 946684800000000LL);
    CHECK_EQ_I64(o.ts_max_us, 4102444800000000LL);
}

static void test_reasons(void) {
    static char text[1 << 16];
    snprintf(text, sizeof text, "%s", HEADER);
    for (size_t k = 0; k < N_REASON_ROWS; k++) put_row(text, sizeof text, &REASONS[k]);
    sl_batch b;
    CHECK_EQ_I64(read_csv(text, &b), N_REASON_ROWS);
    uint8_t st[N_REASON_ROWS];
    sl_str det[N_REASON_ROWS];
    cl_idsets ids[2] = {{0}}; /* read_table_ids, write_table_ids */
    cl_counters c;
    memset(&c, 0, sizeof c);
    cl_opts o = cl_opts_default(S);
    CHECK(cl_clean(S, &o, &b, st, det, ids, &c, err, sizeof err) == SL_OK);
    uint64_t want[CL_MAX_REASONS] = {0};
    for (size_t i = 0; i < N_REASON_ROWS && i < b.nrows; i++) {
        int want_r = reason_of(&REASONS[i]);
        if (want_r >= 0) want[want_r]++;
        if (st[i] != want_r)
            fprintf(stderr, "  row %zu: status %s, expected %s\n", i, RN(st[i]), RN(reason_of(&REASONS[i])));
        CHECK_EQ_I64(st[i], want_r);
        if (st[i] == R("accept")) {
            CHECK(det[i].ptr == NULL && det[i].len == 0);
        } else {
            CHECK(det[i].ptr != NULL && det[i].len > 0);
        }
        if (REASONS[i].detail) {
            size_t L = strlen(REASONS[i].detail);
            int ok = det[i].len >= L && memcmp(det[i].ptr, REASONS[i].detail, L) == 0;
            if (!ok) fprintf(stderr, "  row %zu: detail '%.*s', expected '%s...'\n", i, (int)det[i].len, det[i].ptr ? det[i].ptr : "", REASONS[i].detail);
            CHECK(ok);
        }
        /* bad rows get empty id sets */
        if (st[i] != R("accept")) CHECK_EQ_I64(ids[0].off[i + 1] - ids[0].off[i], 0);
    }
    CHECK_EQ_I64(c.rows, N_REASON_ROWS);
    CHECK_EQ_I64(c.accepted_clean, want[0]);
    for (int r = 1; r < (int)S->nreasons; r++) {
        CHECK(want[r] > 0); /* every reason is covered */
        CHECK_EQ_I64(c.bad[r], want[r]);
    }
    /* the last row is bad: left as read */
    size_t last = N_REASON_ROWS - 1;
    CHECK_EQ_I64(i32(&b, C("was_aborted"), last), 2);
    CHECK(col_null(&b, C("compile_duration_ms"), last));
    CHECK(str_is(&b, C("query_type"), last, "SELECT"));
    CHECK_EQ_I64(c.repaired_rows, 0);
    for (int k = 0; k < (int)S->ncols; k++) CHECK_EQ_I64(c.repaired[k], 0);
    cl_idsets_free(&ids[0]);
    cl_idsets_free(&ids[1]);
    sl_batch_free(&b);
}

/* ------------------------------------------------------------------ repairs */

static const rowcase REPAIRS[] = {
    /* 0 */ {.reason = NULL},
    /* 1 */ {{{"compile_duration_ms", ""}, {"queue_duration_ms", ""}, {"execution_duration_ms", ""}}},
    /* 2 */ {{{"compile_duration_ms", "604800001"}, {"queue_duration_ms", "604800000"}, {"execution_duration_ms", "9999999999"}}},
    /* 3 */ {{{"compile_duration_ms", "604800000.5"}, {"queue_duration_ms", "604800001"}}},
    /* 4 */ {{{"was_aborted", ""}, {"was_cached", "2"}}},
    /* 5 */ {{{"was_aborted", "-1"}, {"was_cached", "7"}}},
    /* 6 */ {{{"was_aborted", "1"}, {"was_cached", "1"}}},
    /* 7 */ {{{"num_permanent_tables_accessed", ""}, {"num_external_tables_accessed", ""}, {"num_system_tables_accessed", ""}}},
    /* 8 */ {{{"mbytes_scanned", ""}, {"mbytes_spilled", ""}, {"num_joins", ""}, {"num_scans", ""}}},
    /* 9 */ {{{"num_aggregations", ""}, {"cluster_size", ""}, {"user_id", ""}, {"database_id", ""}}},
    /* 10 */ {{{"query_type", "SELECT"}}},
    /* 11 */ {{{"query_type", "  insert "}}},
    /* 12 */ {{{"query_type", " Copy"}}},
    /* 13 */ {{{"query_type", "merge"}}},
    /* 14 */ {{{"query_type", "MeRGE  "}}},
    /* 15 */ {{{"feature_fingerprint", ""}, {"cache_source_query_id", ""}}},
    /* 16 */ {{{"execution_duration_ms", "604800000"}, {"compile_duration_ms", "604800000.0"}}},
};
#define N_REPAIR_ROWS (sizeof REPAIRS / sizeof REPAIRS[0])

static void test_repairs(void) {
    static char text[1 << 15];
    snprintf(text, sizeof text, "%s", HEADER);
    for (size_t k = 0; k < N_REPAIR_ROWS; k++) put_row(text, sizeof text, &REPAIRS[k]);
    sl_batch b;
    CHECK_EQ_I64(read_csv(text, &b), N_REPAIR_ROWS);
    uint8_t st[N_REPAIR_ROWS];
    cl_idsets ids[2] = {{0}};
    cl_counters c;
    memset(&c, 0, sizeof c);
    const char *qt_before = ((sl_str *)b.cols[C("query_type")].data)[0].ptr;
    CHECK(cl_clean(S, NULL, &b, st, NULL, ids, &c, err, sizeof err) == SL_OK);
    for (size_t i = 0; i < N_REPAIR_ROWS; i++) CHECK_EQ_I64(st[i], R("accept"));
    CHECK_EQ_I64(c.accepted_clean, N_REPAIR_ROWS);
    /* NULL durations -> 0 */
    CHECK(!col_null(&b, C("compile_duration_ms"), 1) && f64(&b, C("compile_duration_ms"), 1) == 0.0);
    CHECK(!col_null(&b, C("queue_duration_ms"), 1) && i64(&b, C("queue_duration_ms"), 1) == 0);
    CHECK(!col_null(&b, C("execution_duration_ms"), 1) && i64(&b, C("execution_duration_ms"), 1) == 0);
    /* cap */
    CHECK(f64(&b, C("compile_duration_ms"), 2) == (double)CAP);
    CHECK_EQ_I64(i64(&b, C("queue_duration_ms"), 2), CAP);  /* exactly the cap: unchanged */
    CHECK_EQ_I64(i64(&b, C("execution_duration_ms"), 2), CAP);
    CHECK(f64(&b, C("compile_duration_ms"), 3) == (double)CAP);
    CHECK_EQ_I64(i64(&b, C("queue_duration_ms"), 3), CAP);
    CHECK(f64(&b, C("compile_duration_ms"), 16) == (double)CAP);
    CHECK_EQ_I64(i64(&b, C("execution_duration_ms"), 16), CAP);
    CHECK_EQ_I64(i64(&b, C("execution_duration_ms"), 0), 20);
    /* flags */
    CHECK(!col_null(&b, C("was_aborted"), 4) && i32(&b, C("was_aborted"), 4) == 0);
    CHECK_EQ_I64(i32(&b, C("was_cached"), 4), 1);
    CHECK_EQ_I64(i32(&b, C("was_aborted"), 5), 1);
    CHECK_EQ_I64(i32(&b, C("was_cached"), 5), 1);
    CHECK_EQ_I64(i32(&b, C("was_aborted"), 6), 1);
    CHECK_EQ_I64(i32(&b, C("was_cached"), 6), 1);
    /* counts and mbytes */
    for (int col = C("num_permanent_tables_accessed"); col <= C("num_system_tables_accessed"); col++)
        CHECK(!col_null(&b, col, 7) && f64(&b, col, 7) == 0.0);
    CHECK(!col_null(&b, C("mbytes_scanned"), 8) && f64(&b, C("mbytes_scanned"), 8) == 0.0);
    CHECK(!col_null(&b, C("mbytes_spilled"), 8) && f64(&b, C("mbytes_spilled"), 8) == 0.0);
    CHECK(!col_null(&b, C("num_joins"), 8) && i64(&b, C("num_joins"), 8) == 0);
    CHECK(!col_null(&b, C("num_scans"), 8) && i64(&b, C("num_scans"), 8) == 0);
    CHECK(!col_null(&b, C("num_aggregations"), 9) && i64(&b, C("num_aggregations"), 9) == 0);
    /* kept NULL */
    CHECK(col_null(&b, C("cluster_size"), 9) && col_null(&b, C("user_id"), 9) && col_null(&b, C("database_id"), 9));
    CHECK(col_null(&b, C("feature_fingerprint"), 15) && col_null(&b, C("cache_source_query_id"), 15));
    /* query_type */
    CHECK(str_is(&b, C("query_type"), 0, "select"));
    CHECK(((sl_str *)b.cols[C("query_type")].data)[0].ptr == qt_before); /* unchanged: not rewritten */
    CHECK(str_is(&b, C("query_type"), 10, "select"));
    CHECK(str_is(&b, C("query_type"), 11, "insert"));
    CHECK(str_is(&b, C("query_type"), 12, "copy"));
    CHECK(str_is(&b, C("query_type"), 13, "merge"));
    CHECK(str_is(&b, C("query_type"), 14, "merge"));
    /* counters: values changed */
    CHECK_EQ_I64(c.repaired[C("compile_duration_ms")], 3);  /* rows 1, 2, 3 (16: exactly the cap) */
    CHECK_EQ_I64(c.repaired[C("queue_duration_ms")], 2);    /* rows 1, 3 */
    CHECK_EQ_I64(c.repaired[C("execution_duration_ms")], 2);     /* rows 1, 2 */
    CHECK_EQ_I64(c.repaired[C("was_aborted")], 2); /* rows 4, 5 */
    CHECK_EQ_I64(c.repaired[C("was_cached")], 2);  /* rows 4, 5 */
    CHECK_EQ_I64(c.repaired[C("num_permanent_tables_accessed")], 1);
    CHECK_EQ_I64(c.repaired[C("num_external_tables_accessed")], 1);
    CHECK_EQ_I64(c.repaired[C("num_system_tables_accessed")], 1);
    CHECK_EQ_I64(c.repaired[C("mbytes_scanned")], 1);
    CHECK_EQ_I64(c.repaired[C("mbytes_spilled")], 1);
    CHECK_EQ_I64(c.repaired[C("num_joins")], 1);
    CHECK_EQ_I64(c.repaired[C("num_scans")], 1);
    CHECK_EQ_I64(c.repaired[C("num_aggregations")], 1);
    CHECK_EQ_I64(c.repaired[C("query_type")], 4); /* rows 10, 11, 12, 14 */
    CHECK_EQ_I64(c.repaired[C("cluster_size")] + c.repaired[C("user_id")] + c.repaired[C("feature_fingerprint")], 0);
    CHECK_EQ_I64(c.repaired_rows, 12); /* all but rows 0, 6, 13, 15, 16 */
    CHECK_EQ_I64(c.bad_id_tokens, 0);
    /* accumulate across calls: a clean batch adds rows, no repairs */
    uint64_t rr = c.repaired_rows;
    CHECK(cl_clean(S, NULL, &b, st, NULL, ids, &c, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(c.rows, 2 * N_REPAIR_ROWS);
    CHECK_EQ_I64(c.accepted_clean, 2 * N_REPAIR_ROWS);
    CHECK_EQ_I64(c.repaired_rows, rr); /* already cleaned: nothing changes */
    cl_idsets_free(&ids[0]);
    cl_idsets_free(&ids[1]);
    sl_batch_free(&b);
}

/* ------------------------------------------------------------------ table ids */

typedef struct idcase {
    const char *field; /* CSV field text of read_table_ids */
    int n;
    int64_t ids[4];
    int bad;
} idcase;

static const idcase IDS[] = {
    {"156", 1, {156}, 0},
    {"007", 1, {7}, 0},
    {"\" 12 \"", 1, {12}, 0},
    {"-3", 0, {0}, 1},
    {"1.5", 0, {0}, 1},
    {"abc", 0, {0}, 1},
    {"9223372036854775808", 0, {0}, 1},
    {"99999999999999999999", 0, {0}, 1},
    {"9223372036854775807", 1, {INT64_MAX}, 0},
    {"\"5,5,5\"", 1, {5}, 0},
    {"+5", 0, {0}, 1},
    {"-0", 0, {0}, 1},
    {"1 2", 0, {0}, 1},
    {"\"1,,2\"", 2, {1, 2}, 1},
    {"\"1,\"", 1, {1}, 1},
    {"\",\"", 0, {0}, 2},
    {"\"  \"", 0, {0}, 0},
    {"\"\"", 0, {0}, 0},
    {"", 0, {0}, 0},
    {"\"3,1,2,1\"", 3, {1, 2, 3}, 0},
    {"0", 1, {0}, 0},
    {"00000000000000000000000042", 1, {42}, 0},
    {"\"12 ,  7, x ,\t8\"", 2, {7, 12}, 2},
    {"\"156,90\"", 2, {90, 156}, 0},
    {"\"1e3,0x10, 4\"", 1, {4}, 2},
};
#define N_IDS (sizeof IDS / sizeof IDS[0])

static void test_table_ids(void) {
    static char text[1 << 15];
    snprintf(text, sizeof text, "%s", HEADER);
    for (size_t k = 0; k < N_IDS; k++) {
        rowcase rc = {{{"read_table_ids", IDS[k].field}}};
        put_row(text, sizeof text, &rc);
    }
    /* write_table_ids: parsed and counted too */
    rowcase w1 = {{{"write_table_ids", "\"x,4,4\""}, {"read_table_ids", ""}}};
    rowcase w2 = {{{"write_table_ids", "\"9,8\""}, {"read_table_ids", "abc"}}};
    rowcase bad = {{{"read_table_ids", "abc"}, {"num_joins", "-1"}}}; /* bad row: tokens not counted */
    put_row(text, sizeof text, &w1);
    put_row(text, sizeof text, &w2);
    put_row(text, sizeof text, &bad);
    size_t nr = N_IDS + 3;
    sl_batch b;
    CHECK_EQ_I64(read_csv(text, &b), nr);
    uint8_t st[N_IDS + 3];
    /* the schema's ID_LIST columns, in column order: read_table_ids, write_table_ids */
    CHECK_EQ_I64(S->nidlists, 2);
    CHECK_EQ_I64(S->idlist_cols[0], C("read_table_ids"));
    CHECK_EQ_I64(S->idlist_cols[1], C("write_table_ids"));
    cl_idsets ids[2] = {{0}};
    cl_idsets *rs = &ids[0], *ws = &ids[1];
    cl_counters c;
    memset(&c, 0, sizeof c);
    CHECK(cl_clean(S, NULL, &b, st, NULL, ids, &c, err, sizeof err) == SL_OK);
    int bad_total = 0, bad_rows = 0;
    for (size_t k = 0; k < N_IDS; k++) {
        CHECK_EQ_I64(st[k], R("accept"));
        uint32_t a = rs->off[k], e = rs->off[k + 1];
        if ((int)(e - a) != IDS[k].n) fprintf(stderr, "  ids row %zu (%s): %u ids, expected %d\n", k, IDS[k].field, e - a, IDS[k].n);
        CHECK_EQ_I64(e - a, IDS[k].n);
        for (int j = 0; j < IDS[k].n && (uint32_t)j < e - a; j++) CHECK_EQ_I64(rs->ids[a + j], IDS[k].ids[j]);
        bad_total += IDS[k].bad;
        bad_rows += IDS[k].bad > 0;
        CHECK_EQ_I64(ws->off[k + 1] - ws->off[k], 0);
    }
    /* w1 */
    size_t r = N_IDS;
    CHECK_EQ_I64(ws->off[r + 1] - ws->off[r], 1);
    CHECK_EQ_I64(ws->ids[ws->off[r]], 4);
    CHECK_EQ_I64(rs->off[r + 1] - rs->off[r], 0);
    /* w2 */
    r++;
    CHECK_EQ_I64(ws->off[r + 1] - ws->off[r], 2);
    CHECK_EQ_I64(ws->ids[ws->off[r]], 8);
    CHECK_EQ_I64(ws->ids[ws->off[r] + 1], 9);
    CHECK_EQ_I64(rs->off[r + 1] - rs->off[r], 0);
    /* bad row */
    r++;
    CHECK_EQ_I64(st[r], R("negative_num_joins"));
    CHECK_EQ_I64(rs->off[r + 1] - rs->off[r], 0);
    CHECK_EQ_I64(c.bad_id_tokens, bad_total + 1 + 1);
    CHECK_EQ_I64(c.repaired[C("read_table_ids")], bad_rows + 1);
    CHECK_EQ_I64(c.repaired[C("write_table_ids")], 1);
    CHECK_EQ_I64(c.repaired_rows, bad_rows + 2);
    /* idsets == NULL (no sets wanted): the same counters */
    sl_batch b2;
    CHECK_EQ_I64(read_csv(text, &b2), nr);
    cl_counters c2;
    memset(&c2, 0, sizeof c2);
    CHECK(cl_clean(S, NULL, &b2, st, NULL, NULL, &c2, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(c2.bad_id_tokens, c.bad_id_tokens);
    CHECK_EQ_I64(c2.repaired_rows, c.repaired_rows);
    cl_idsets_free(rs);
    cl_idsets_free(ws);
    sl_batch_free(&b);
    sl_batch_free(&b2);
}

/* A batch built by hand, without validity bitmaps on most columns, and a
 * schema check. */
static void test_direct_batch(void) {
    sl_batch b;
    sl_batch_init(&b);
    CHECK(sc_init_batch(S, &b, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(&b, 20, err, sizeof err) == SL_OK);
    b.nrows = 20;
    for (size_t col = 0; col < S->nall; col++) memset(b.cols[col].data, 0, 20 * sl_type_width(b.cols[col].t.type));
    sl_str *qt = b.cols[C("query_type")].data;
    int64_t *ts = b.cols[C("arrival_timestamp")].data;
    for (int i = 0; i < 20; i++) {
        qt[i] = (sl_str){"Select ", 7};
        ts[i] = 1709251200000000LL + i;
    }
    uint8_t *ev = sl_col_valid_alloc(&b, S->error);
    memset(ev, 0, 3);
    b.cols[S->error].null_count = 20;
    uint8_t *ex = sl_col_valid_alloc(&b, S->extra);
    memset(ex, 0, 3);
    ((int64_t *)b.cols[C("queue_duration_ms")].data)[3] = -1;
    ((double *)b.cols[C("mbytes_spilled")].data)[4] = NAN;
    ((int32_t *)b.cols[C("was_cached")].data)[5] = 5;
    ts[6] = 0;
    /* a replay flag on row 7 */
    sl_bit_set(ev, 7);
    ((sl_str *)b.cols[S->error].data)[7] = (sl_str){"bad_timestamp: x", 16};
    uint8_t st[20];
    sl_str det[20];
    cl_idsets ids[2] = {{0}};
    cl_counters c;
    memset(&c, 0, sizeof c);
    CHECK(cl_clean(S, NULL, &b, st, det, ids, &c, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(st[3], R("negative_queue_duration_ms"));
    CHECK_EQ_I64(st[4], R("malformed"));
    CHECK_EQ_I64(st[5], R("accept"));
    CHECK_EQ_I64(st[6], R("bad_timestamp"));
    CHECK_EQ_I64(st[7], R("bad_timestamp"));
    CHECK(det[7].len == 16 && memcmp(det[7].ptr, "bad_timestamp: x", 16) == 0);
    CHECK(det[6].len > 0 && strncmp(det[6].ptr, "arrival_timestamp 1970-01-01T00:00:00.000000Z outside", 53) == 0);
    CHECK_EQ_I64(((int32_t *)b.cols[C("was_cached")].data)[5], 1);
    CHECK(str_is(&b, C("query_type"), 0, "select"));
    CHECK(str_is(&b, C("query_type"), 3, "Select ")); /* bad row: untouched */
    CHECK_EQ_I64(c.accepted_clean, 16);
    CHECK_EQ_I64(c.repaired[C("query_type")], 16);
    CHECK_EQ_I64(c.repaired[C("was_cached")], 1);
    CHECK_EQ_I64(c.repaired_rows, 16);
    /* a batch that is not canonical is refused */
    sl_batch x;
    sl_batch_init(&x);
    sl_coltype t = {.type = SL_I64};
    CHECK(sl_batch_add_col(&x, "a", &t, true, err, sizeof err) == SL_OK);
    CHECK(cl_clean(S, NULL, &x, st, NULL, ids, &c, err, sizeof err) == SL_ERR_ARG);
    sl_batch_free(&x);
    cl_idsets_free(&ids[0]);
    cl_idsets_free(&ids[1]);
    sl_batch_free(&b);
}

/* ------------------------------------------------------------------ generated batches */

/* Copy a generator batch (24 Redset columns) into a canonical batch, column
 * by name (with the same type); string views keep pointing into g's batch. */
static void to_canonical(const sl_batch *g, sl_batch *b, int64_t row0) {
    size_t n = g->nrows;
    sl_batch_reset(b);
    sl_batch_reserve(b, n, err, sizeof err);
    b->nrows = n;
    CHECK_EQ_I64(g->ncols, NCOLS_REDSET);
    for (size_t gc = 0; gc < g->ncols; gc++) {
        int c = C(g->cols[gc].name);
        if (b->cols[c].t.type != g->cols[gc].t.type) {
            fprintf(stderr, "  gen column %s: type differs from the schema's\n", g->cols[gc].name);
            abort();
        }
        memcpy(b->cols[c].data, g->cols[gc].data, n * sl_type_width(g->cols[gc].t.type));
        if (g->cols[gc].valid) {
            memcpy(sl_col_valid_alloc(b, (size_t)c), g->cols[gc].valid, (n + 7) / 8);
            b->cols[c].null_count = g->cols[gc].null_count;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ((sl_str *)b->cols[S->source].data)[i] = (sl_str){"gen", 3};
        ((int32_t *)b->cols[S->input].data)[i] = 0;
        ((int64_t *)b->cols[S->row].data)[i] = row0 + (int64_t)i;
        ((sl_str *)b->cols[S->error].data)[i] = (sl_str){NULL, 0};
        ((sl_str *)b->cols[S->extra].data)[i] = (sl_str){NULL, 0};
    }
    memset(sl_col_valid_alloc(b, S->error), 0, (n + 7) / 8);
    b->cols[S->error].null_count = n;
    memset(sl_col_valid_alloc(b, S->extra), 0, (n + 7) / 8);
    b->cols[S->extra].null_count = n;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void run_gen(uint64_t rows, double bad, double rep, int check, double *secs, size_t bsz) {
    gen_opts go = gen_opts_default();
    go.rows = rows;
    go.seed = 99;
    go.profile = "none";
    go.bad_rows = bad;
    go.repairs = rep;
    gen *g = NULL;
    CHECK(gen_open(&g, &go, err, sizeof err) == SL_OK);
    if (!g) return;
    sl_batch gb, b;
    sl_batch_init(&gb);
    sl_batch_init(&b);
    CHECK(gen_init_batch(g, &gb, err, sizeof err) == SL_OK);
    CHECK(sc_init_batch(S, &b, err, sizeof err) == SL_OK);
    uint8_t *st = malloc(bsz);
    cl_idsets ids[2] = {{0}};
    cl_counters c;
    memset(&c, 0, sizeof c);
    long n;
    int64_t row0 = 0;
    double t = 0;
    while ((n = gen_next(g, &gb, bsz, err, sizeof err)) > 0) {
        to_canonical(&gb, &b, row0);
        row0 += n;
        double t0 = now_s();
        CHECK(cl_clean(S, NULL, &b, st, NULL, ids, &c, err, sizeof err) == SL_OK);
        t += now_s() - t0;
    }
    CHECK(n == 0);
    *secs = t;
    if (check) {
        const gen_counts *gc = gen_get_counts(g);
        CHECK_EQ_I64(c.rows, gc->rows_out);
        CHECK(gc->bad_total > 1000);
        uint64_t badsum = 0;
        for (int k = 0; k < GEN_BAD_NKINDS; k++) {
            int r = 1;
            while (r < (int)S->nreasons && strcmp(RN(r), gen_bad_names[k]) != 0) r++;
            CHECK(r < (int)S->nreasons);
            if (r < (int)S->nreasons) {
                if (c.bad[r] != gc->bad[k]) fprintf(stderr, "  %s: %llu, generator %llu\n", gen_bad_names[k], (unsigned long long)c.bad[r], (unsigned long long)gc->bad[k]);
                CHECK_EQ_I64(c.bad[r], gc->bad[k]);
                CHECK(gc->bad[k] > 0);
            }
        }
        for (int r = 1; r < (int)S->nreasons; r++) badsum += c.bad[r];
        CHECK_EQ_I64(badsum, gc->bad_total);
        CHECK_EQ_I64(c.accepted_clean, gc->rows_out - gc->bad_total);
        CHECK_EQ_I64(c.bad_id_tokens, gc->bad_table_id_tokens);
        CHECK_EQ_I64(c.repaired[C("read_table_ids")] + c.repaired[C("write_table_ids")], gc->rep[GEN_REP_BAD_TABLE_ID]);
        CHECK_EQ_I64(c.repaired[C("was_aborted")], gc->rep[GEN_REP_FLAG_ABORTED]);
        CHECK_EQ_I64(c.repaired[C("was_cached")], gc->rep[GEN_REP_FLAG_CACHED]);
        CHECK_EQ_I64(c.repaired[C("query_type")], gc->rep[GEN_REP_QUERY_TYPE]);
        CHECK_EQ_I64(c.repaired[C("queue_duration_ms")] + c.repaired[C("execution_duration_ms")],
                     gc->rep[GEN_REP_NULL_QUEUE] + gc->rep[GEN_REP_NULL_EXEC] + gc->rep[GEN_REP_DURATION_CAP]);
        CHECK_EQ_I64(c.repaired[C("num_joins")], gc->rep[GEN_REP_NULL_NUM_JOINS]);
        /* NULL compile: injected + natural (uncached and cached rows) */
        CHECK(c.repaired[C("compile_duration_ms")] >= gc->rep[GEN_REP_NULL_COMPILE] + gc->null_compile);
        CHECK(c.repaired_rows >= gc->repaired_rows - gc->rep[GEN_REP_TABLE_ID_ODD]);
    }
    free(st);
    cl_idsets_free(&ids[0]);
    cl_idsets_free(&ids[1]);
    sl_batch_free(&gb);
    sl_batch_free(&b);
    gen_close(g);
}

static void test_gen_counts(void) {
    double t;
    run_gen(300000, 0.05, 0.1, 1, &t, 65536);
}

/* Throughput of cl_clean on generated Redset batches (1% bad rows, 5%
 * repairs), timed around cl_clean only.  Printed, not asserted (ASan). */
static void test_speed(void) {
    uint64_t rows = 2000000;
    static const size_t sizes[] = {65536, 8192};
    for (int k = 0; k < 2; k++) {
        double t = 0;
        run_gen(rows, 0.01, 0.05, 0, &t, sizes[k]);
        printf("  cl_clean: %.1f M rows/s (%llu rows in batches of %zu, %.3f s)\n", rows / t / 1e6,
               (unsigned long long)rows, sizes[k], t);
    }
}

/* ------------------------------------------------------------------ DuckDB fixture */

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long L = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)L + 1);
    if (p && fread(p, 1, (size_t)L, f) != (size_t)L) {
        free(p);
        p = NULL;
    }
    if (p) p[L] = 0;
    fclose(f);
    if (n) *n = (size_t)L;
    return p;
}

/* Value of key in the JSON object text (malloc'd: raw text for numbers and
 * nested values, unescaped for strings), or NULL. */
static char *jget(const char *obj, const char *key) {
    rp_json j;
    rp_json_init(&j);
    char why[200];
    char *out = NULL;
    if (rp_json_parse_object(&j, obj, strlen(obj), why, sizeof why)) {
        for (size_t k = 0; k < j.n; k++) {
            const rp_jkv *kv = &j.kv[k];
            if (kv->klen != strlen(key) || memcmp(kv->key, key, kv->klen) != 0) continue;
            const char *v = kv->kind == RP_J_STR ? kv->val : kv->raw;
            uint32_t vl = kv->kind == RP_J_STR ? kv->vlen : kv->rawlen;
            out = malloc(vl + 1);
            memcpy(out, v, vl);
            out[vl] = 0;
            break;
        }
    } else {
        fprintf(stderr, "  fixture JSON: %s\n", why);
    }
    rp_json_free(&j);
    return out;
}

static uint64_t jnum(const char *obj, const char *key) {
    char *v = jget(obj, key);
    if (!v) {
        fprintf(stderr, "  fixture: no key '%s'\n", key);
        t_cur_failed = 1;
        return UINT64_MAX;
    }
    uint64_t x = strtoull(v, NULL, 10);
    free(v);
    return x;
}

typedef struct qtent {
    char s[32];
    uint64_t n, rsum;
} qtent;

static const char *const SUM_COLS[] = {"compile_duration_ms", "queue_duration_ms", "execution_duration_ms",
                                       "was_aborted", "was_cached", "num_permanent_tables_accessed",
                                       "num_external_tables_accessed", "num_system_tables_accessed", "mbytes_scanned",
                                       "mbytes_spilled", "num_joins", "num_scans", "num_aggregations"};
#define N_SUM ((int)(sizeof SUM_COLS / sizeof SUM_COLS[0]))

/* Clean the CSV file in batches of 1000 rows and compare with dataset ds. */
static void check_dataset(const char *csv, const char *ds, const char *label) {
    rp_input *in = NULL;
    rp_input_opts o = {.path = csv, .format = reg_input("csv"), .schema = S};
    if (rp_input_open(&in, &o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  %s: %s\n", label, err);
        t_cur_failed = 1;
        return;
    }
    uint64_t rows = jnum(ds, "rows");
    char *status = jget(ds, "status");
    CHECK(status && strlen(status) == rows);
    char *got = calloc(rows + 1, 1);
    sl_batch b;
    sl_batch_init(&b);
    sc_init_batch(S, &b, err, sizeof err);
    uint8_t st[1000];
    cl_idsets sets[2] = {{0}};
    const cl_idsets *rs = &sets[0], *ws = &sets[1];
    cl_counters c;
    memset(&c, 0, sizeof c);
    uint64_t sums[N_SUM] = {0}, idn[2] = {0}, idw[2] = {0};
    qtent qts[64];
    int nq = 0;
    long n;
    int order_ok = 1, nonnull_ok = 1;
    while ((n = rp_input_next(in, &b, 1000, err, sizeof err)) > 0) {
        CHECK(cl_clean(S, NULL, &b, st, NULL, sets, &c, err, sizeof err) == SL_OK);
        for (long i = 0; i < n; i++) {
            int64_t r = ((int64_t *)b.cols[S->row].data)[i];
            if (r < 0 || (uint64_t)r >= rows) {
                t_cur_failed = 1;
                continue;
            }
            got[r] = st[i] ? (char)('a' + st[i] - 1) : '.';
            if (st[i]) continue;
            uint64_t w = (uint64_t)r + 1;
            for (int k = 0; k < N_SUM; k++) {
                const sl_col *col = &b.cols[C(SUM_COLS[k])];
                if (sl_col_is_null(col, (size_t)i)) nonnull_ok = 0;
                int64_t v = col->t.type == SL_F64 ? (int64_t)((double *)col->data)[i]
                          : col->t.type == SL_I32 ? ((int32_t *)col->data)[i]
                                                  : ((int64_t *)col->data)[i];
                sums[k] += w * (uint64_t)v;
            }
            const sl_str *q = &((sl_str *)b.cols[C("query_type")].data)[i];
            int f = 0;
            while (f < nq && !(strlen(qts[f].s) == q->len && memcmp(qts[f].s, q->ptr, q->len) == 0)) f++;
            if (f == nq && nq < 64 && q->len < 32) {
                memcpy(qts[nq].s, q->ptr, q->len);
                qts[nq].s[q->len] = 0;
                qts[nq].n = qts[nq].rsum = 0;
                nq++;
            }
            if (f < nq) {
                qts[f].n++;
                qts[f].rsum += w;
            }
            for (int s = 0; s < 2; s++) {
                const cl_idsets *X = s ? ws : rs;
                for (uint32_t k = X->off[i]; k < X->off[i + 1]; k++) {
                    idn[s]++;
                    idw[s] += w * (uint64_t)X->ids[k];
                    if (k > X->off[i] && X->ids[k] <= X->ids[k - 1]) order_ok = 0;
                }
            }
        }
    }
    CHECK_EQ_I64(n, 0);
    CHECK(order_ok);
    CHECK(nonnull_ok);
    rp_input_close(in);
    CHECK_EQ_I64(c.rows, rows);
    CHECK_EQ_I64(c.accepted_clean, jnum(ds, "accepted"));
    char *bad = jget(ds, "bad"), *rep = jget(ds, "repaired"), *cs = jget(ds, "checksums"), *qj = jget(ds, "query_types"),
         *ids = jget(ds, "ids");
    CHECK(bad && rep && cs && qj && ids);
    if (bad && rep && cs && qj && ids) {
        for (int r = 1; r < (int)S->nreasons; r++) {
            uint64_t want = jnum(bad, RN(r));
            if (c.bad[r] != want) fprintf(stderr, "  %s %s: sluice %llu, DuckDB %llu\n", label, RN(r), (unsigned long long)c.bad[r], (unsigned long long)want);
            CHECK_EQ_I64(c.bad[r], want);
        }
        for (int col = 0; col < (int)S->ncols; col++) {
            char *v = jget(rep, S->cols[col].name);
            uint64_t want = v ? strtoull(v, NULL, 10) : 0;
            if (c.repaired[col] != want) fprintf(stderr, "  %s repaired %s: sluice %llu, DuckDB %llu\n", label, S->cols[col].name, (unsigned long long)c.repaired[col], (unsigned long long)want);
            CHECK_EQ_I64(c.repaired[col], want);
            free(v);
        }
        CHECK_EQ_I64(c.repaired_rows, jnum(ds, "repaired_rows"));
        CHECK_EQ_I64(c.bad_id_tokens, jnum(ds, "bad_table_id"));
        for (int k = 0; k < N_SUM; k++) {
            uint64_t want = jnum(cs, SUM_COLS[k]);
            if (sums[k] != want) fprintf(stderr, "  %s checksum %s: sluice %llu, DuckDB %llu\n", label, SUM_COLS[k], (unsigned long long)sums[k], (unsigned long long)want);
            CHECK(sums[k] == want);
        }
        int nkeys = 0;
        for (int f = 0; f < nq; f++) {
            char *e = jget(qj, qts[f].s);
            CHECK(e != NULL);
            if (e) {
                nkeys++;
                if (jnum(e, "n") != qts[f].n || jnum(e, "rsum") != qts[f].rsum) fprintf(stderr, "  %s query_type '%s' differs\n", label, qts[f].s);
                CHECK_EQ_I64(jnum(e, "n"), qts[f].n);
                CHECK_EQ_I64(jnum(e, "rsum"), qts[f].rsum);
                free(e);
            } else {
                fprintf(stderr, "  %s: query_type '%s' not in the fixture\n", label, qts[f].s);
            }
        }
        /* same number of keys */
        rp_json j;
        rp_json_init(&j);
        char why[100];
        CHECK(rp_json_parse_object(&j, qj, strlen(qj), why, sizeof why));
        CHECK_EQ_I64(j.n, nkeys);
        rp_json_free(&j);
        for (int s = 0; s < 2; s++) {
            char *e = jget(ids, s ? "write_table_ids" : "read_table_ids");
            CHECK(e != NULL);
            if (e) {
                CHECK_EQ_I64(jnum(e, "n"), idn[s]);
                CHECK(jnum(e, "wsum") == idw[s]);
                free(e);
            }
        }
    }
    if (status && strlen(status) == rows && strcmp(status, got) != 0) {
        for (uint64_t r = 0, shown = 0; r < rows && shown < 10; r++)
            if (status[r] != got[r]) {
                fprintf(stderr, "  %s row %llu: sluice '%c', DuckDB '%c'\n", label, (unsigned long long)r, got[r], status[r]);
                shown++;
            }
        t_cur_failed = 1;
    }
    free(bad);
    free(rep);
    free(cs);
    free(qj);
    free(ids);
    free(status);
    free(got);
    cl_idsets_free(&sets[0]);
    cl_idsets_free(&sets[1]);
    sl_batch_free(&b);
}

static char *fixture_dataset(const char *name) {
    char *fx = slurp("tests/fixtures/clean/expected.json", NULL);
    if (!fx) {
        fprintf(stderr, "  tests/fixtures/clean/expected.json not found (run from the repository root)\n");
        t_cur_failed = 1;
        return NULL;
    }
    char *dss = jget(fx, "datasets");
    free(fx);
    if (!dss) {
        t_cur_failed = 1;
        return NULL;
    }
    char *ds = jget(dss, name);
    free(dss);
    return ds;
}

static void test_fixture_gen(void) {
    char *ds = fixture_dataset("gen");
    CHECK(ds != NULL);
    if (!ds) return;
    char *p = jget(ds, "path");
    CHECK(p != NULL);
    if (p) check_dataset(p, ds, "gen.csv");
    /* the oracle's counts are also the generator's */
    char *g = jget(ds, "generator");
    char *gb = g ? jget(g, "bad") : NULL;
    char *bad = jget(ds, "bad");
    CHECK(gb && bad);
    if (gb && bad)
        for (int r = 1; r < (int)S->nreasons; r++) CHECK_EQ_I64(jnum(bad, RN(r)), jnum(gb, RN(r)));
    if (g) CHECK_EQ_I64(jnum(ds, "bad_table_id"), jnum(g, "bad_table_id_tokens"));
    free(gb);
    free(bad);
    free(g);
    free(p);
    free(ds);
}

static void test_fixture_sample(void) {
    const char *shared = getenv("SLUICE_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/redset/serverless_sample_0.001.csv", shared ? shared : "../shared");
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("skip test_fixture_sample: %s not found (set SLUICE_SHARED to the shared data folder)\n", path);
        return;
    }
    fclose(f);
    char *ds = fixture_dataset("sample");
    if (!ds) {
        fprintf(stderr, "  the fixture has no 'sample' dataset: regenerate it with node tests/oracle/make_clean_fixture.mjs\n");
        t_cur_failed = 1;
        return;
    }
    check_dataset(path, ds, "serverless_sample_0.001.csv");
    free(ds);
}

int main(void) {
    if (sc_open(&S, &sc_redset_def, err, sizeof err) != SL_OK) {
        fprintf(stderr, "sc_open: %s\n", err);
        return 1;
    }
    RUN(test_reason_names);
    RUN(test_reasons);
    RUN(test_repairs);
    RUN(test_table_ids);
    RUN(test_direct_batch);
    RUN(test_gen_counts);
    RUN(test_fixture_gen);
    RUN(test_fixture_sample);
    RUN(test_speed);
    sc_close(S);
    return T_DONE();
}
