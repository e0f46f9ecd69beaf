/* Unit tests of the replay inputs: CSV tokenizer, JSON parser, text value
 * parsing, CSV / JSON Lines / Parquet inputs into canonical batches. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/format.h"
#include "parquet/writer.h"
#include "replay/coerce.h"
#include "replay/csv.h"
#include "replay/event.h"
#include "replay/input.h"
#include "replay/json.h"
#include "t.h"

/* ---------------------------------------------------------------- helpers */

typedef struct memsrc {
    const char *p;
    size_t n, pos, chunk;
} memsrc;

static long mem_read(void *ctx, void *buf, size_t n, char *err, size_t errlen) {
    memsrc *m = ctx;
    size_t k = m->n - m->pos;
    if (k > n) k = n;
    if (m->chunk && k > m->chunk) k = m->chunk;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (long)k;
}

/* Tokenize text; render records as "line:f1|f2|..." with quoted fields in
 * [brackets], records separated by '\n'. */
static char *csv_dump(const char *text, size_t bufsize, size_t chunk, size_t maxrec) {
    memsrc m = {text, strlen(text), 0, chunk};
    rp_tstream s;
    rp_tstream_init(&s, mem_read, &m, bufsize, maxrec);
    rp_csv c;
    rp_csv_init(&c, &s);
    sl_buf o;
    sl_buf_init(&o);
    char err[256];
    int r;
    while ((r = rp_csv_next(&c, err, sizeof err)) > 0) {
        sl_buf_printf(&o, "%llu%s:", (unsigned long long)c.line,
                      c.status == RP_CSV_UNTERMINATED ? "U" : c.status == RP_CSV_TOO_LONG ? "L" : "");
        for (size_t k = 0; k < c.nf; k++) {
            if (k) sl_buf_putc(&o, '|');
            if (c.f[k].quoted) sl_buf_putc(&o, '[');
            sl_buf_put(&o, c.f[k].p, c.f[k].len);
            if (c.f[k].quoted) sl_buf_putc(&o, ']');
        }
        sl_buf_putc(&o, '\n');
    }
    if (r < 0) sl_buf_printf(&o, "ERROR %s", err);
    rp_csv_free(&c);
    rp_tstream_free(&s);
    char *res = strdup(sl_buf_cstr(&o));
    sl_buf_free(&o);
    return res;
}

static void check_csv(const char *text, const char *want) {
    /* every buffer size / read chunking must give the same records */
    size_t sizes[] = {1, 2, 3, 7, 64, 0};
    size_t chunks[] = {1, 5, 0};
    for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++)
        for (size_t b = 0; b < sizeof chunks / sizeof *chunks; b++) {
            char *got = csv_dump(text, sizes[a], chunks[b], 4096);
            if (strcmp(got, want) != 0) {
                fprintf(stderr, "  csv bufsize %zu chunk %zu:\n  got:  %s\n  want: %s\n", sizes[a], chunks[b], got, want);
                t_cur_failed = 1;
            }
            free(got);
        }
}

static const char *cell(const sl_batch *b, size_t row, int col) {
    static char out[8][4096];
    static int k;
    k = (k + 1) % 8;
    sl_buf o;
    sl_buf_init(&o);
    sl_fmt_value(&o, &b->cols[col], row, SL_FMT_JSON);
    snprintf(out[k], sizeof out[k], "%s", sl_buf_cstr(&o));
    sl_buf_free(&o);
    return out[k];
}

/* Open an in-memory input and read everything into one batch. */
static long read_mem(const char *path, const char *text, sl_batch *b, rp_input **inp) {
    char err[SL_ERRLEN];
    rp_input_opts o = {.path = path, .index = 3};
    rp_input *in;
    if (rp_input_open_mem(&in, &o, text, strlen(text), err, sizeof err) != SL_OK) {
        fprintf(stderr, "  open %s: %s\n", path, err);
        return -1;
    }
    sl_batch_init(b);
    ev_init_batch(b, err, sizeof err);
    long n = rp_input_next(in, b, 100000, err, sizeof err);
    if (n < 0) fprintf(stderr, "  next: %s\n", err);
    if (inp) *inp = in;
    else rp_input_close(in);
    return n;
}

/* ---------------------------------------------------------------- CSV tokenizer */

static void test_csv_basic(void) {
    check_csv("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
    check_csv("a,b\r\n1,2\r\n", "1:a|b\n2:1|2\n");
    check_csv("a,b\n1,2", "1:a|b\n2:1|2\n");                 /* no final newline */
    check_csv("a,b\n,\n", "1:a|b\n2:|\n");                     /* empty fields */
    check_csv("a,b\n1,\n", "1:a|b\n2:1|\n");
    check_csv("a,b\n1,", "1:a|b\n2:1|\n");                     /* trailing comma at EOF */
    check_csv("a\n\n\nb\n", "1:a\n4:b\n");                     /* empty lines skipped, lines counted */
    check_csv("a\r\n\r\nb\r\n", "1:a\n3:b\n");
    check_csv("\xEF\xBB\xBFx,y\n1,2\n", "1:x|y\n2:1|2\n");     /* BOM */
    check_csv("", "");
    check_csv("\n", "");
}

static void test_csv_quotes(void) {
    check_csv("\"a\",\"\"\n", "1:[a]|[]\n");
    check_csv("\"a\"\"b\",c\n", "1:[a\"b]|c\n");
    check_csv("\"\"\"\"\n", "1:[\"]\n");
    check_csv("\"x,y\",z\n", "1:[x,y]|z\n");
    check_csv("\"line1\nline2\",z\nnext,1\n", "1:[line1\nline2]|z\n3:next|1\n");
    check_csv("\"a\r\nb\"\r\nc\r\n", "1:[a\r\nb]\n3:c\n");
    check_csv("\"q\"\r\n", "1:[q]\n");
    check_csv("\"q\"", "1:[q]\n");
    check_csv("\"ab\"cd,e\n", "1:[abcd]|e\n");                 /* lenient: data after quote */
    check_csv("ab\"cd,e\n", "1:ab\"cd|e\n");                   /* lenient: stray quote */
    check_csv("\"open,1\n2\n", "1U:[open,1\n2\n]\n");          /* unterminated */
    check_csv("x\n\"a\"\"\n", "1:x\n2U:[a\"\n]\n");
}

static void test_csv_too_long(void) {
    char big[300];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = 0;
    sl_buf t;
    sl_buf_init(&t);
    sl_buf_printf(&t, "a,b\n%s,\"q\n%s\"\n1,2\n", big, big);
    char *got = csv_dump(sl_buf_cstr(&t), 16, 0, 64);
    CHECK_EQ_STR(got, "1:a|b\n2L:\n4:1|2\n");
    free(got);
    sl_buf_free(&t);
}

/* ---------------------------------------------------------------- JSON parser */

static void test_json_parser(void) {
    rp_json j;
    rp_json_init(&j);
    char why[128];
    const char *s = "{\"a\":1,\"b\":\"x\\ny\\u00e9\\ud83d\\ude00\\\"\",\"c\":null,\"d\":true,\"e\":false,"
                    "\"f\":{\"g\":[1,{\"h\":\"}\"}]},\"k\\u0041\":-1.5e3,\"n\":NaN,\"i\":-Infinity}";
    CHECK(rp_json_parse_object(&j, s, strlen(s), why, sizeof why));
    CHECK_EQ_I64(j.n, 9);
    if (j.n == 9) {
        CHECK(j.kv[0].kind == RP_J_NUM && j.kv[0].vlen == 1 && j.kv[0].val[0] == '1');
        CHECK(j.kv[1].kind == RP_J_STR);
        CHECK(j.kv[1].vlen == strlen("x\ny\xc3\xa9\xf0\x9f\x98\x80\"") &&
              memcmp(j.kv[1].val, "x\ny\xc3\xa9\xf0\x9f\x98\x80\"", j.kv[1].vlen) == 0);
        CHECK(j.kv[1].rawlen == strlen("\"x\\ny\\u00e9\\ud83d\\ude00\\\"\""));
        CHECK(j.kv[2].kind == RP_J_NULL);
        CHECK(j.kv[3].kind == RP_J_BOOL && j.kv[3].b);
        CHECK(j.kv[4].kind == RP_J_BOOL && !j.kv[4].b);
        CHECK(j.kv[5].kind == RP_J_NESTED && j.kv[5].rawlen == strlen("{\"g\":[1,{\"h\":\"}\"}]}"));
        CHECK(j.kv[6].klen == 2 && memcmp(j.kv[6].key, "kA", 2) == 0);
        CHECK(j.kv[6].kind == RP_J_NUM && j.kv[6].vlen == 6);
        CHECK(j.kv[7].kind == RP_J_NUM && j.kv[7].vlen == 3);
        CHECK(j.kv[8].kind == RP_J_NUM && j.kv[8].vlen == 9);
    }
    /* lone surrogates -> U+FFFD */
    s = "{\"a\":\"\\ud800x\\udc00\"}";
    CHECK(rp_json_parse_object(&j, s, strlen(s), why, sizeof why));
    CHECK(j.n == 1 && j.kv[0].vlen == 7 && memcmp(j.kv[0].val, "\xef\xbf\xbdx\xef\xbf\xbd", 7) == 0);
    s = "  {}  ";
    CHECK(rp_json_parse_object(&j, s, strlen(s), why, sizeof why) && j.n == 0);
    static const char *bad[] = {"", "[]", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01x}", "{a:1}",
                                "{\"a\":1}x", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12g4\"}", "{\"a\":[1,]}",
                                "{\"a\":{\"b\"}}", "{\"a\":tru}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":\"abc", "{\"a\":[}",
                                "{\"a\":-}"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        bool ok = rp_json_parse_object(&j, bad[k], strlen(bad[k]), why, sizeof why);
        if (ok) fprintf(stderr, "  accepted bad JSON: %s\n", bad[k]);
        CHECK(!ok);
    }
    CHECK(!rp_json_parse_object(&j, "{\"a\":1,}", 8, why, sizeof why));
    CHECK(strstr(why, "at column 8") != NULL);
    /* nesting cap */
    sl_buf d;
    sl_buf_init(&d);
    sl_buf_puts(&d, "{\"a\":");
    for (int k = 0; k < 300; k++) sl_buf_putc(&d, '[');
    for (int k = 0; k < 300; k++) sl_buf_putc(&d, ']');
    sl_buf_putc(&d, '}');
    CHECK(!rp_json_parse_object(&j, d.p, d.len, why, sizeof why));
    CHECK(strstr(why, "nesting too deep") != NULL);
    sl_buf_free(&d);
    rp_json_free(&j);
}

/* ---------------------------------------------------------------- values */

static void test_timestamps(void) {
    static const struct {
        const char *s;
        bool ok;
        int64_t us;
    } tab[] = {
        {"2024-03-01 05:00:00", true, 1709269200000000LL},
        {"2024-03-01T05:00:00", true, 1709269200000000LL},
        {"2024-03-01 05:00:00.5", true, 1709269200500000LL},
        {"2024-03-01 05:00:00.123456", true, 1709269200123456LL},
        {"2024-03-01 05:00:00.123456789", true, 1709269200123456LL},
        {"2024-03-01T05:00:00.123Z", true, 1709269200123000LL},
        {"2024-03-01T05:00:00+00:00", true, 1709269200000000LL},
        {"2024-03-01T05:00:00+01:00", true, 1709265600000000LL},
        {"2024-03-01T05:00:00-0130", true, 1709274600000000LL},
        {"2024-03-01T05:00:00 +02", true, 1709262000000000LL},
        {"2024-03-01 05:00:00 UTC", true, 1709269200000000LL},
        {"2024-03-01 05:00", true, 1709269200000000LL},
        {"2024-03-01", true, 1709251200000000LL},
        {" 2024-03-01 ", true, 1709251200000000LL},
        {"1970-01-01 00:00:00", true, 0},
        {"1969-12-31 23:59:59.999999", true, -1},
        {"0001-01-01", true, -62135596800000000LL},
        {"9999-12-31 23:59:59.999999", true, 253402300799999999LL},
        {"2024-02-29", true, 1709164800000000LL},
        {"2023-02-29", false, 0},
        {"2024-13-45 25:61:61", false, 0},
        {"2024-03-01T12:00:00+99:99", false, 0},
        {"not a timestamp", false, 0},
        {"yesterday", false, 0},
        {"1709269200", false, 0},
        {"2024-03-01 24:00:00", false, 0},
        {"2024-03-01 05:00:00.", false, 0},
        {"2024-03-01 05:00:00.1234567890", false, 0},
        {"2024-03-01 5:00:00", false, 0},
        {"2024-3-01", false, 0},
        {"0000-01-01", false, 0},
        {"2024-03-01 05:00:00Zx", false, 0},
        {"", false, 0},
    };
    for (size_t k = 0; k < sizeof tab / sizeof *tab; k++) {
        int64_t v = 12345;
        bool ok = rp_parse_timestamp(tab[k].s, strlen(tab[k].s), &v);
        if (ok != tab[k].ok || (ok && v != tab[k].us)) {
            fprintf(stderr, "  timestamp '%s': ok=%d v=%lld, want ok=%d v=%lld\n", tab[k].s, ok, (long long)v, tab[k].ok,
                    (long long)tab[k].us);
            t_cur_failed = 1;
        }
    }
}

static void test_numbers(void) {
    int64_t v;
    CHECK(rp_parse_i64("0", 1, &v) && v == 0);
    CHECK(rp_parse_i64("-12", 3, &v) && v == -12);
    CHECK(rp_parse_i64("+5", 2, &v) && v == 5);
    CHECK(rp_parse_i64("9223372036854775807", 19, &v) && v == INT64_MAX);
    CHECK(rp_parse_i64("-9223372036854775808", 20, &v) && v == INT64_MIN);
    CHECK(!rp_parse_i64("9223372036854775808", 19, &v));
    CHECK(!rp_parse_i64("99999999999999999999999", 23, &v));
    CHECK(rp_parse_i64("12.0", 4, &v) && v == 12);
    CHECK(rp_parse_i64("1e3", 3, &v) && v == 1000);
    CHECK(!rp_parse_i64("1.5", 3, &v));
    CHECK(!rp_parse_i64("many", 4, &v));
    CHECK(!rp_parse_i64("", 0, &v));
    CHECK(!rp_parse_i64("-", 1, &v));
    CHECK(!rp_parse_i64("1 2", 3, &v));
    CHECK(!rp_parse_i64("NaN", 3, &v));
    CHECK(!rp_parse_i64("0x10", 4, &v));
    int32_t i;
    CHECK(rp_parse_i32("2147483647", 10, &i) && i == INT32_MAX);
    CHECK(!rp_parse_i32("2147483648", 10, &i));
    CHECK(rp_parse_flag("true", 4, &i) && i == 1);
    CHECK(rp_parse_flag("FALSE", 5, &i) && i == 0);
    CHECK(rp_parse_flag("2", 1, &i) && i == 2);
    CHECK(rp_parse_flag("-1", 2, &i) && i == -1);
    CHECK(!rp_parse_flag("yes", 3, &i));
    double d;
    CHECK(rp_parse_f64("1.5", 3, &d) && d == 1.5);
    CHECK(rp_parse_f64("-0.1", 4, &d) && d == -0.1);
    CHECK(rp_parse_f64("0.1", 3, &d) && d == 0.1);
    CHECK(rp_parse_f64("123456789012345678901234567890", 30, &d) && d == 123456789012345678901234567890.0);
    CHECK(rp_parse_f64("1e308", 5, &d) && d == 1e308);
    CHECK(rp_parse_f64("2.2250738585072014e-308", 23, &d) && d == 2.2250738585072014e-308);
    CHECK(rp_parse_f64("0.30000000000000004", 19, &d) && d == 0.30000000000000004);
    CHECK(rp_parse_f64("5.", 2, &d) && d == 5.0);
    CHECK(rp_parse_f64(".5", 2, &d) && d == 0.5);
    CHECK(rp_parse_f64("NaN", 3, &d) && isnan(d));
    CHECK(rp_parse_f64("Infinity", 8, &d) && isinf(d) && d > 0);
    CHECK(rp_parse_f64("-inf", 4, &d) && isinf(d) && d < 0);
    CHECK(rp_parse_f64("-0", 2, &d) && d == 0 && signbit(d));
    CHECK(!rp_parse_f64("1,5", 3, &d));
    CHECK(!rp_parse_f64("0x1p3", 5, &d));
    CHECK(!rp_parse_f64("abc", 3, &d));
    CHECK(!rp_parse_f64("1e", 2, &d));
    CHECK(!rp_parse_f64(".", 1, &d));
    CHECK(!rp_parse_f64("", 0, &d));
    /* round trip of many doubles through their shortest text */
    uint64_t x = 88172645463325252ull;
    for (int k = 0; k < 20000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double want;
        uint64_t bits = x & 0x7fefffffffffffffull;
        memcpy(&want, &bits, 8);
        if (k % 2) want = (double)(x % 100000000) / 1000.0;
        sl_buf o;
        sl_buf_init(&o);
        sl_fmt_double(&o, want);
        double got = 0;
        bool ok = rp_parse_f64(o.p, o.len, &got);
        if (!ok || got != want) {
            fprintf(stderr, "  f64 round trip '%s' failed\n", sl_buf_cstr(&o));
            t_cur_failed = 1;
            sl_buf_free(&o);
            break;
        }
        sl_buf_free(&o);
    }
}

static void test_vector_conversions(void) {
    int64_t s64[4] = {1, 3000000000LL, -5, INT32_MIN};
    int32_t d32[4];
    uint32_t bad[4];
    CHECK_EQ_I64(rp_cv_i64_to_i32(s64, d32, 4, bad), 1);
    CHECK(bad[0] == 1 && d32[0] == 1 && d32[1] == 0 && d32[2] == -5 && d32[3] == INT32_MIN);
    double f[5] = {1.5, -1.5, 2.4, NAN, 1e300};
    int64_t d64[5];
    CHECK_EQ_I64(rp_cv_f64_to_i64(f, d64, 5, bad), 2);
    CHECK(d64[0] == 2 && d64[1] == -2 && d64[2] == 2 && bad[0] == 3 && bad[1] == 4);
    int64_t ns[3] = {1999, -1, -1000};
    rp_cv_ns_to_us(ns, d64, 3);
    CHECK(d64[0] == 1 && d64[1] == -1 && d64[2] == -1);
    int64_t ms[2] = {1709269200123LL, INT64_MAX / 10};
    CHECK_EQ_I64(rp_cv_ms_to_us(ms, d64, 2, bad), 1);
    CHECK(d64[0] == 1709269200123000LL && bad[0] == 1);
}

static void test_default_source(void) {
    static const char *tab[][2] = {
        {"data/redset/provisioned/full.parquet", "provisioned"},
        {"/x/serverless/parts/17.parquet", "serverless"},
        {"/x/provisioned/serverless/a.csv", "serverless"},
        {"events-00012.jsonl", "events"},
        {"events_00012.csv", "events"},
        {"/tmp/sample_0.01.parquet", "sample_0.01"},
        {"run_2024.csv", "run_2024"},
        {"a/b/c", "c"},
        {"noext", "noext"},
        {".hidden", ".hidden"},
        {"dir/", "input"},
        {"provisioned.parquet", "provisioned"},
    };
    char out[64];
    for (size_t k = 0; k < sizeof tab / sizeof *tab; k++) {
        rp_default_source(tab[k][0], out, sizeof out);
        CHECK_EQ_STR(out, tab[k][1]);
    }
    rp_default_source("abcdefgh.csv", out, 4);
    CHECK_EQ_STR(out, "abc");
}

/* ---------------------------------------------------------------- CSV input */

static void test_csv_input(void) {
    const char *text =
        "query_type,Arrival_Timestamp,instance_id,query_id,was_aborted,num_joins,cluster_size,extra one,read_table_ids\n"
        "select,2024-03-01 05:00:00.123456,7,100,0,2,4.0,x,\"1,2\"\n"
        "\"\",2024-03-01T05:00:01Z,8,101,true,,,,\n"
        "copy,2024-03-01 05:00:02,9,102,1,many,1.5,\"q\"\"q\",\n"
        "short,1\n"
        "\n"
        "\"multi\nline\",yesterday,3000000000,103,2,1,2,,\"\"\n";
    sl_batch b;
    rp_input *in;
    long n = read_mem("t.csv", text, &b, &in);
    CHECK_EQ_I64(n, 5);
    if (n == 5) {
        CHECK_EQ_STR(rp_input_source(in), "t");
        CHECK(rp_input_format(in) == RP_FMT_CSV);
        CHECK_EQ_I64(rp_input_rows(in), -1);
        /* row 0 */
        CHECK_EQ_STR(cell(&b, 0, EV_QUERY_TYPE), "\"select\"");
        CHECK_EQ_STR(cell(&b, 0, EV_ARRIVAL_TS), "\"2024-03-01T05:00:00.123456Z\"");
        CHECK_EQ_STR(cell(&b, 0, EV_INSTANCE_ID), "7");
        CHECK_EQ_STR(cell(&b, 0, EV_QUERY_ID), "100");
        CHECK_EQ_STR(cell(&b, 0, EV_NUM_JOINS), "2");
        CHECK_EQ_STR(cell(&b, 0, EV_CLUSTER_SIZE), "4.0");
        CHECK_EQ_STR(cell(&b, 0, EV_READ_TABLE_IDS), "\"1,2\"");
        CHECK_EQ_STR(cell(&b, 0, EV_USER_ID), "null"); /* missing column */
        CHECK_EQ_STR(cell(&b, 0, EV_EXTRA), "\"{\\\"extra one\\\":\\\"x\\\"}\"");
        CHECK_EQ_STR(cell(&b, 0, EV_ERROR), "null");
        CHECK_EQ_STR(cell(&b, 0, EV_SOURCE), "\"t\"");
        CHECK_EQ_STR(cell(&b, 0, EV_INPUT), "3");
        CHECK_EQ_STR(cell(&b, 0, EV_ROW), "0");
        /* row 1: "" string = empty, empty numeric = NULL, flag true */
        CHECK_EQ_STR(cell(&b, 1, EV_QUERY_TYPE), "\"\"");
        CHECK_EQ_STR(cell(&b, 1, EV_ARRIVAL_TS), "\"2024-03-01T05:00:01.000000Z\"");
        CHECK_EQ_STR(cell(&b, 1, EV_WAS_ABORTED), "1");
        CHECK_EQ_STR(cell(&b, 1, EV_NUM_JOINS), "null");
        CHECK_EQ_STR(cell(&b, 1, EV_READ_TABLE_IDS), "null");
        CHECK_EQ_STR(cell(&b, 1, EV_EXTRA), "\"{\\\"extra one\\\":null}\"");
        /* row 2: bad integer */
        CHECK_EQ_STR(cell(&b, 2, EV_NUM_JOINS), "null");
        CHECK_EQ_STR(cell(&b, 2, EV_ERROR), "\"malformed: line 4: column 'num_joins': 'many' is not an integer\"");
        CHECK_EQ_STR(cell(&b, 2, EV_CLUSTER_SIZE), "1.5");
        CHECK_EQ_STR(cell(&b, 2, EV_EXTRA), "\"{\\\"extra one\\\":\\\"q\\\\\\\"q\\\"}\"");
        /* row 3: wrong field count */
        CHECK_EQ_STR(cell(&b, 3, EV_ERROR), "\"malformed: line 5: expected 9 fields, got 2\"");
        CHECK_EQ_STR(cell(&b, 3, EV_QUERY_TYPE), "null");
        CHECK_EQ_STR(cell(&b, 3, EV_ARRIVAL_TS), "null");
        CHECK_EQ_STR(cell(&b, 3, EV_ROW), "3");
        /* row 4 (line 7 after the blank line): two problems */
        CHECK_EQ_STR(cell(&b, 4, EV_QUERY_TYPE), "\"multi\\nline\"");
        CHECK_EQ_STR(cell(&b, 4, EV_ERROR),
                     "\"malformed: line 7: column 'instance_id': '3000000000' is out of range for INT32; "
                     "bad_timestamp: line 7: 'yesterday' is not a timestamp\"");
        CHECK_EQ_STR(cell(&b, 4, EV_READ_TABLE_IDS), "\"\"");
        CHECK_EQ_STR(cell(&b, 4, EV_WAS_ABORTED), "2");
        CHECK_EQ_STR(cell(&b, 4, EV_ROW), "4");
        const rp_input_stats *st = rp_input_get_stats(in);
        CHECK_EQ_I64(st->rows, 5);
        CHECK_EQ_I64(st->flagged, 3);
        CHECK(b.cols[EV_ERROR].null_count == 2);
        CHECK(b.cols[EV_SOURCE].valid == NULL);
        /* seek (text: re-read) */
        char err[SL_ERRLEN];
        CHECK(rp_input_seek(in, 3, err, sizeof err) == SL_OK);
        CHECK_EQ_I64(rp_input_next(in, &b, 10, err, sizeof err), 2);
        CHECK_EQ_STR(cell(&b, 0, EV_ROW), "3");
        CHECK_EQ_STR(cell(&b, 1, EV_QUERY_TYPE), "\"multi\\nline\"");
        CHECK_EQ_I64(rp_input_next(in, &b, 10, err, sizeof err), 0);
        /* next_keys from the start */
        CHECK(rp_input_seek(in, 0, err, sizeof err) == SL_OK);
        int64_t ts[8], q[8];
        int32_t ii[8];
        CHECK_EQ_I64(rp_input_next_keys(in, ts, ii, q, 8, err, sizeof err), 5);
        CHECK(ts[0] == 1709269200123456LL && ii[0] == 7 && q[0] == 100);
        CHECK(ts[3] == INT64_MIN && ts[4] == INT64_MIN && q[4] == 103);
    }
    sl_batch_free(&b);
    rp_input_close(in);
}

static void test_csv_input_errors(void) {
    char err[SL_ERRLEN];
    rp_input_opts o = {.path = "h.csv"};
    rp_input *in;
    const char *t1 = "instance_id,query_id\n1,2\n";
    CHECK(rp_input_open_mem(&in, &o, t1, strlen(t1), err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "no arrival_timestamp column") != NULL);
    CHECK(rp_input_open_mem(&in, &o, "", 0, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(strstr(err, "empty CSV file") != NULL);
    /* header only: no rows */
    sl_batch b;
    CHECK_EQ_I64(read_mem("h.csv", "arrival_timestamp\n", &b, NULL), 0);
    sl_batch_free(&b);
    /* format by magic */
    o.path = "noext";
    const char *t2 = "  {\"arrival_timestamp\":\"2024-01-01\"}\n";
    CHECK(rp_input_open_mem(&in, &o, t2, strlen(t2), err, sizeof err) == SL_OK);
    CHECK(rp_input_format(in) == RP_FMT_JSONL);
    rp_input_close(in);
    CHECK(rp_input_open_mem(&in, &o, "arrival_timestamp\n", 18, err, sizeof err) == SL_OK);
    CHECK(rp_input_format(in) == RP_FMT_CSV);
    rp_input_close(in);
    o.path = "/nonexistent/x.csv";
    CHECK(rp_input_open(&in, &o, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "/nonexistent/x.csv") != NULL);
}

/* ---------------------------------------------------------------- JSONL input */

static void test_jsonl_input(void) {
    const char *text =
        "{\"instance_id\":7,\"query_id\":\"12\",\"arrival_timestamp\":\"2024-03-01T05:00:00.000001Z\",\"was_cached\":true,"
        "\"was_aborted\":false,\"cluster_size\":\"NaN\",\"mbytes_scanned\":12,\"queue_duration_ms\":3.0,"
        "\"query_type\":\"s\\u00e9lect\",\"custom\":{\"a\":[1,2]},\"note\":\"x\\\"y\",\"instance_id\":99}\n"
        "\n"
        "   \r\n"
        "{\"arrival_timestamp\":1709269200,\"num_scans\":\"x\",\"read_table_ids\":156,\"num_joins\":true}\r\n"
        "{\"arrival_timestamp\":\"2024-03-01\", \"instance_id\":1,\n"
        "[1,2]\n"
        "{\"Query_ID\":5,\"arrival_timestamp\":null,\"query_type\":[\"x\"]}";
    sl_batch b;
    rp_input *in;
    long n = read_mem("dir/x.jsonl", text, &b, &in);
    CHECK_EQ_I64(n, 5);
    if (n == 5) {
        CHECK_EQ_STR(cell(&b, 0, EV_INSTANCE_ID), "7"); /* first duplicate wins */
        CHECK_EQ_STR(cell(&b, 0, EV_QUERY_ID), "12");
        CHECK_EQ_STR(cell(&b, 0, EV_ARRIVAL_TS), "\"2024-03-01T05:00:00.000001Z\"");
        CHECK_EQ_STR(cell(&b, 0, EV_WAS_CACHED), "1");
        CHECK_EQ_STR(cell(&b, 0, EV_WAS_ABORTED), "0");
        CHECK_EQ_STR(cell(&b, 0, EV_CLUSTER_SIZE), "\"NaN\"");
        CHECK_EQ_STR(cell(&b, 0, EV_MBYTES_SCANNED), "12.0");
        CHECK_EQ_STR(cell(&b, 0, EV_QUEUE_MS), "3");
        CHECK_EQ_STR(cell(&b, 0, EV_QUERY_TYPE), "\"s\xc3\xa9lect\"");
        CHECK_EQ_STR(cell(&b, 0, EV_USER_ID), "null");
        CHECK_EQ_STR(cell(&b, 0, EV_ERROR), "null");
        CHECK_EQ_STR(cell(&b, 0, EV_EXTRA),
                     "\"{\\\"custom\\\":{\\\"a\\\":[1,2]},\\\"note\\\":\\\"x\\\\\\\"y\\\",\\\"instance_id\\\":99}\"");
        CHECK_EQ_STR(cell(&b, 0, EV_SOURCE), "\"x\"");
        /* line 4 */
        CHECK_EQ_STR(cell(&b, 1, EV_ROW), "1");
        CHECK_EQ_STR(cell(&b, 1, EV_ARRIVAL_TS), "null");
        CHECK_EQ_STR(cell(&b, 1, EV_READ_TABLE_IDS), "\"156\"");
        CHECK_EQ_STR(cell(&b, 1, EV_ERROR),
                     "\"malformed: line 4: column 'num_scans': 'x' is not an integer; column 'num_joins': 'true' is not an "
                     "integer; bad_timestamp: line 4: '1709269200' is not a timestamp\"");
        CHECK_EQ_STR(cell(&b, 1, EV_EXTRA), "null");
        /* line 5: truncated object */
        CHECK_EQ_STR(cell(&b, 2, EV_ERROR), "\"malformed: line 5: expected a key string at column 52\"");
        CHECK_EQ_STR(cell(&b, 2, EV_INSTANCE_ID), "null");
        /* line 6: not an object */
        CHECK_EQ_STR(cell(&b, 3, EV_ERROR), "\"malformed: line 6: not a JSON object at column 1\"");
        /* line 7: case-insensitive key, null ts is not an error, array value */
        CHECK_EQ_STR(cell(&b, 4, EV_QUERY_ID), "5");
        CHECK_EQ_STR(cell(&b, 4, EV_ARRIVAL_TS), "null");
        CHECK_EQ_STR(cell(&b, 4, EV_QUERY_TYPE), "null");
        CHECK_EQ_STR(cell(&b, 4, EV_ERROR), "\"malformed: line 7: column 'query_type': an array is not a string\"");
        CHECK_EQ_I64(rp_input_get_stats(in)->flagged, 4);
        char err[SL_ERRLEN];
        CHECK(rp_input_seek(in, 4, err, sizeof err) == SL_OK);
        CHECK_EQ_I64(rp_input_next(in, &b, 10, err, sizeof err), 1);
        CHECK_EQ_STR(cell(&b, 0, EV_ROW), "4");
        CHECK_EQ_STR(cell(&b, 0, EV_QUERY_ID), "5");
    }
    sl_batch_free(&b);
    rp_input_close(in);
}

/* ---------------------------------------------------------------- Parquet input */

static char tmpdir[64];

static void write_pq(const char *path, size_t nrows) {
    /* instance_id INT64, was_aborted BOOLEAN, was_cached INT64, arrival TIMESTAMP(MILLIS),
     * queue_duration_ms DOUBLE, compile_duration_ms INT64, query_id INT64, query_type STRING,
     * extra "zone" STRING + "weight" DOUBLE; everything else missing */
    pq_write_col cols[] = {
        {"instance_id", {.type = SL_I64}, true},
        {"was_aborted", {.type = SL_BOOL}, false},
        {"was_cached", {.type = SL_I64}, false},
        {"arrival_timestamp", {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MILLIS, .utc = false}, true},
        {"queue_duration_ms", {.type = SL_F64}, true},
        {"compile_duration_ms", {.type = SL_I64}, true},
        {"QUERY_ID", {.type = SL_I64}, false},
        {"query_type", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true},
        {"zone", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true},
        {"weight", {.type = SL_F64}, false},
    };
    size_t nc = sizeof cols / sizeof *cols;
    char err[SL_ERRLEN];
    pq_writer_opts o = pq_writer_opts_default();
    o.row_group_rows = 100;
    pq_writer *w;
    if (pq_writer_open(&w, path, cols, nc, &o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  writer: %s\n", err);
        t_cur_failed = 1;
        return;
    }
    sl_batch b;
    sl_batch_init(&b);
    for (size_t c = 0; c < nc; c++) sl_batch_add_col(&b, cols[c].name, &cols[c].type, cols[c].nullable, err, sizeof err);
    sl_batch_reserve(&b, nrows, err, sizeof err);
    static const char *qt[] = {"select", "insert", "copy"};
    for (size_t i = 0; i < nrows; i++) {
        ((int64_t *)b.cols[0].data)[i] = i == 5 ? 5000000000LL : (int64_t)(i % 7);
        ((uint8_t *)b.cols[1].data)[i] = i % 2;
        ((int64_t *)b.cols[2].data)[i] = i % 3 == 0;
        ((int64_t *)b.cols[3].data)[i] = 1709269200000LL + (int64_t)i * 1001;
        ((double *)b.cols[4].data)[i] = (double)i + 0.5;
        ((int64_t *)b.cols[5].data)[i] = (int64_t)i * 10;
        ((int64_t *)b.cols[6].data)[i] = 1000 + (int64_t)i;
        ((sl_str *)b.cols[7].data)[i] = (sl_str){qt[i % 3], (uint32_t)strlen(qt[i % 3])};
        ((sl_str *)b.cols[8].data)[i] = (sl_str){"eu\"1", 4};
        ((double *)b.cols[9].data)[i] = 0.25 * (double)i;
    }
    b.nrows = nrows;
    /* NULLs: arrival of row 7, query_type of row 8, zone of odd rows, instance of row 9 */
    uint8_t *v = sl_col_valid_alloc(&b, 3);
    sl_bit_clear(v, 7);
    ((int64_t *)b.cols[3].data)[7] = 0;
    b.cols[3].null_count = 1;
    v = sl_col_valid_alloc(&b, 7);
    sl_bit_clear(v, 8);
    ((sl_str *)b.cols[7].data)[8] = (sl_str){NULL, 0};
    b.cols[7].null_count = 1;
    v = sl_col_valid_alloc(&b, 8);
    for (size_t i = 1; i < nrows; i += 2) {
        sl_bit_clear(v, i);
        ((sl_str *)b.cols[8].data)[i] = (sl_str){NULL, 0};
        b.cols[8].null_count++;
    }
    v = sl_col_valid_alloc(&b, 0);
    sl_bit_clear(v, 9);
    ((int64_t *)b.cols[0].data)[9] = 0;
    b.cols[0].null_count = 1;
    if (pq_writer_write(w, &b, err, sizeof err) != SL_OK || pq_writer_close(w, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  writer: %s\n", err);
        t_cur_failed = 1;
    }
    sl_batch_free(&b);
}

static void test_parquet_input(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/alt-00003.parquet", tmpdir);
    const size_t N = 250;
    write_pq(path, N);
    char err[SL_ERRLEN];
    rp_input_opts o = {.path = path, .index = 1};
    rp_input *in;
    if (rp_input_open(&in, &o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  open: %s\n", err);
        t_cur_failed = 1;
        return;
    }
    CHECK(rp_input_format(in) == RP_FMT_PARQUET);
    CHECK_EQ_I64(rp_input_rows(in), (int64_t)N);
    CHECK_EQ_STR(rp_input_source(in), "alt");
    sl_batch b;
    sl_batch_init(&b);
    ev_init_batch(&b, err, sizeof err);
    long n = rp_input_next(in, &b, 1000, err, sizeof err);
    CHECK_EQ_I64(n, 100); /* a batch never crosses a row group */
    if (n == 100) {
        CHECK_EQ_STR(cell(&b, 3, EV_INSTANCE_ID), "3");
        CHECK_EQ_STR(cell(&b, 5, EV_INSTANCE_ID), "null");
        CHECK_EQ_STR(cell(&b, 5, EV_ERROR), "\"malformed: row 5: column 'instance_id': 5000000000 is out of range for INT32\"");
        CHECK_EQ_STR(cell(&b, 9, EV_INSTANCE_ID), "null");
        CHECK_EQ_STR(cell(&b, 9, EV_ERROR), "null");
        CHECK_EQ_STR(cell(&b, 3, EV_WAS_ABORTED), "1");
        CHECK_EQ_STR(cell(&b, 3, EV_WAS_CACHED), "1");
        CHECK_EQ_STR(cell(&b, 4, EV_WAS_CACHED), "0");
        CHECK_EQ_STR(cell(&b, 2, EV_ARRIVAL_TS), "\"2024-03-01T05:00:02.002000Z\"");
        CHECK_EQ_STR(cell(&b, 7, EV_ARRIVAL_TS), "null");
        CHECK_EQ_STR(cell(&b, 2, EV_QUEUE_MS), "3"); /* 2.5 rounds away from zero */
        CHECK_EQ_STR(cell(&b, 1, EV_QUEUE_MS), "2");
        CHECK_EQ_STR(cell(&b, 4, EV_COMPILE_MS), "40.0");
        CHECK_EQ_STR(cell(&b, 4, EV_QUERY_ID), "1004");
        CHECK_EQ_STR(cell(&b, 4, EV_QUERY_TYPE), "\"insert\"");
        CHECK_EQ_STR(cell(&b, 8, EV_QUERY_TYPE), "null");
        CHECK_EQ_STR(cell(&b, 4, EV_USER_ID), "null");
        CHECK_EQ_STR(cell(&b, 4, EV_FINGERPRINT), "null");
        CHECK_EQ_STR(cell(&b, 2, EV_EXTRA), "\"{\\\"zone\\\":\\\"eu\\\\\\\"1\\\",\\\"weight\\\":0.5}\"");
        CHECK_EQ_STR(cell(&b, 3, EV_EXTRA), "\"{\\\"zone\\\":null,\\\"weight\\\":0.75}\"");
        CHECK_EQ_STR(cell(&b, 4, EV_SOURCE), "\"alt\"");
        CHECK_EQ_STR(cell(&b, 4, EV_INPUT), "1");
        CHECK_EQ_STR(cell(&b, 42, EV_ROW), "42");
        CHECK(b.cols[EV_ERROR].null_count == 99);
    }
    /* the batch owns its strings: still valid after the next read into another batch */
    sl_batch b2;
    sl_batch_init(&b2);
    ev_init_batch(&b2, err, sizeof err);
    CHECK_EQ_I64(rp_input_next(in, &b2, 1000, err, sizeof err), 100);
    CHECK_EQ_STR(cell(&b2, 0, EV_ROW), "100");
    CHECK_EQ_STR(cell(&b, 4, EV_QUERY_TYPE), "\"insert\"");
    CHECK_EQ_I64(rp_input_next(in, &b2, 1000, err, sizeof err), 50);
    CHECK_EQ_I64(rp_input_next(in, &b2, 1000, err, sizeof err), 0);
    CHECK_EQ_I64(rp_input_get_stats(in)->rows, 250);
    CHECK_EQ_I64(rp_input_get_stats(in)->flagged, 1);
    /* seek into the middle of a row group */
    CHECK(rp_input_seek(in, 137, err, sizeof err) == SL_OK);
    n = rp_input_next(in, &b, 1000, err, sizeof err);
    CHECK_EQ_I64(n, 63);
    CHECK_EQ_STR(cell(&b, 0, EV_ROW), "137");
    CHECK_EQ_STR(cell(&b, 0, EV_QUERY_ID), "1137");
    CHECK(rp_input_seek(in, 250, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(rp_input_next(in, &b, 1000, err, sizeof err), 0);
    /* keys */
    CHECK(rp_input_seek(in, 95, err, sizeof err) == SL_OK);
    int64_t ts[300], q[300];
    int32_t ii[300];
    n = rp_input_next_keys(in, ts, ii, q, 300, err, sizeof err);
    CHECK_EQ_I64(n, 5);
    CHECK(ts[0] == (1709269200000LL + 95 * 1001) * 1000 && q[0] == 1095 && ii[0] == 95 % 7);
    n = rp_input_next_keys(in, ts, ii, q, 300, err, sizeof err);
    CHECK_EQ_I64(n, 100);
    CHECK(q[0] == 1100);
    /* next after keys continues at the current row */
    n = rp_input_next(in, &b, 10, err, sizeof err);
    CHECK_EQ_I64(n, 10);
    CHECK_EQ_STR(cell(&b, 0, EV_ROW), "200");
    CHECK_EQ_STR(cell(&b, 0, EV_QUERY_TYPE), "\"copy\"");
    rp_input_close(in);
    /* keys from the start with NULLs */
    CHECK(rp_input_open(&in, &o, err, sizeof err) == SL_OK);
    n = rp_input_next_keys(in, ts, ii, q, 300, err, sizeof err);
    CHECK_EQ_I64(n, 100);
    CHECK(ts[7] == INT64_MIN && ii[5] == 0 && ii[9] == 0 && q[9] == 1009);
    rp_input_close(in);
    sl_batch_free(&b);
    sl_batch_free(&b2);
    unlink(path);
}

static void test_parquet_refused(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/nots.parquet", tmpdir);
    pq_write_col cols[] = {{"instance_id", {.type = SL_I32}, false}};
    char err[SL_ERRLEN];
    pq_writer_opts o = pq_writer_opts_default();
    pq_writer *w;
    CHECK(pq_writer_open(&w, path, cols, 1, &o, err, sizeof err) == SL_OK);
    sl_batch b;
    sl_batch_init(&b);
    sl_batch_add_col(&b, "instance_id", &cols[0].type, false, err, sizeof err);
    sl_batch_reserve(&b, 1, err, sizeof err);
    b.nrows = 1;
    ((int32_t *)b.cols[0].data)[0] = 1;
    CHECK(pq_writer_write(w, &b, err, sizeof err) == SL_OK);
    CHECK(pq_writer_close(w, err, sizeof err) == SL_OK);
    sl_batch_free(&b);
    rp_input_opts io = {.path = path};
    rp_input *in;
    CHECK(rp_input_open(&in, &io, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "no arrival_timestamp column") != NULL);
    unlink(path);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-input-XXXXXX");
    if (!mkdtemp(tmpdir)) return 2;
    RUN(test_csv_basic);
    RUN(test_csv_quotes);
    RUN(test_csv_too_long);
    RUN(test_json_parser);
    RUN(test_timestamps);
    RUN(test_numbers);
    RUN(test_vector_conversions);
    RUN(test_default_source);
    RUN(test_csv_input);
    RUN(test_csv_input_errors);
    RUN(test_jsonl_input);
    RUN(test_parquet_input);
    RUN(test_parquet_refused);
    rmdir(tmpdir);
    sl_blob_pool_drain();
    return T_DONE();
}
