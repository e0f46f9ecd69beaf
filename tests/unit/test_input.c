/* Unit tests of the replay inputs: CSV tokenizer, JSON parser, text value
 * parsing, CSV / JSON Lines / Parquet inputs into canonical batches. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/format.h"
#include "parquet/writer.h"
#include "plugins/plugin.h"
#include "replay/coerce.h"
#include "replay/csv.h"
#include "replay/input.h"
#include "replay/input_plugin.h"
#include "replay/json.h"
#include "replay/sortkey.h"
#include "schema/redset.h"
#include "schema/schema.h"
#include "t.h"

/* ---------------------------------------------------------------- helpers */

static const sc_schema *RS; /* the Redset schema (the ported tests read Redset files) */

/* Index of a Redset column by name (the old EV_* constants); a missing one fails loudly. */
static int col_of(const char *name) {
    int c = sc_find(RS, name);
    if (c < 0) {
        fprintf(stderr, "no column %s in the schema\n", name);
        abort();
    }
    return c;
}
#define C(name) col_of(name)

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
    rp_input_opts o = {.path = path, .index = 3, .schema = RS, .candidates = reg_inputs()};
    rp_input *in;
    if (rp_input_open_mem(&in, &o, text, strlen(text), err, sizeof err) != SL_OK) {
        fprintf(stderr, "  open %s: %s\n", path, err);
        return -1;
    }
    sl_batch_init(b);
    sc_init_batch(RS, b, err, sizeof err);
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
        CHECK(rp_input_format(in) == reg_input("csv"));
        CHECK_EQ_I64(rp_input_rows(in), -1);
        /* row 0 */
        CHECK_EQ_STR(cell(&b, 0, C("query_type")), "\"select\"");
        CHECK_EQ_STR(cell(&b, 0, C("arrival_timestamp")), "\"2024-03-01T05:00:00.123456Z\"");
        CHECK_EQ_STR(cell(&b, 0, C("instance_id")), "7");
        CHECK_EQ_STR(cell(&b, 0, C("query_id")), "100");
        CHECK_EQ_STR(cell(&b, 0, C("num_joins")), "2");
        CHECK_EQ_STR(cell(&b, 0, C("cluster_size")), "4.0");
        CHECK_EQ_STR(cell(&b, 0, C("read_table_ids")), "\"1,2\"");
        CHECK_EQ_STR(cell(&b, 0, C("user_id")), "null"); /* missing column */
        CHECK_EQ_STR(cell(&b, 0, RS->extra), "\"{\\\"extra one\\\":\\\"x\\\"}\"");
        CHECK_EQ_STR(cell(&b, 0, RS->error), "null");
        CHECK_EQ_STR(cell(&b, 0, RS->source), "\"t\"");
        CHECK_EQ_STR(cell(&b, 0, RS->input), "3");
        CHECK_EQ_STR(cell(&b, 0, RS->row), "0");
        /* row 1: "" string = empty, empty numeric = NULL, flag true */
        CHECK_EQ_STR(cell(&b, 1, C("query_type")), "\"\"");
        CHECK_EQ_STR(cell(&b, 1, C("arrival_timestamp")), "\"2024-03-01T05:00:01.000000Z\"");
        CHECK_EQ_STR(cell(&b, 1, C("was_aborted")), "1");
        CHECK_EQ_STR(cell(&b, 1, C("num_joins")), "null");
        CHECK_EQ_STR(cell(&b, 1, C("read_table_ids")), "null");
        CHECK_EQ_STR(cell(&b, 1, RS->extra), "\"{\\\"extra one\\\":null}\"");
        /* row 2: bad integer */
        CHECK_EQ_STR(cell(&b, 2, C("num_joins")), "null");
        CHECK_EQ_STR(cell(&b, 2, RS->error), "\"malformed: line 4: column 'num_joins': 'many' is not an integer\"");
        CHECK_EQ_STR(cell(&b, 2, C("cluster_size")), "1.5");
        CHECK_EQ_STR(cell(&b, 2, RS->extra), "\"{\\\"extra one\\\":\\\"q\\\\\\\"q\\\"}\"");
        /* row 3: wrong field count */
        CHECK_EQ_STR(cell(&b, 3, RS->error), "\"malformed: line 5: expected 9 fields, got 2\"");
        CHECK_EQ_STR(cell(&b, 3, C("query_type")), "null");
        CHECK_EQ_STR(cell(&b, 3, C("arrival_timestamp")), "null");
        CHECK_EQ_STR(cell(&b, 3, RS->row), "3");
        /* row 4 (line 7 after the blank line): two problems */
        CHECK_EQ_STR(cell(&b, 4, C("query_type")), "\"multi\\nline\"");
        CHECK_EQ_STR(cell(&b, 4, RS->error),
                     "\"malformed: line 7: column 'instance_id': '3000000000' is out of range for INT32; "
                     "bad_timestamp: line 7: 'yesterday' is not a timestamp\"");
        CHECK_EQ_STR(cell(&b, 4, C("read_table_ids")), "\"\"");
        CHECK_EQ_STR(cell(&b, 4, C("was_aborted")), "2");
        CHECK_EQ_STR(cell(&b, 4, RS->row), "4");
        const rp_input_stats *st = rp_input_get_stats(in);
        CHECK_EQ_I64(st->rows, 5);
        CHECK_EQ_I64(st->flagged, 3);
        CHECK(b.cols[RS->error].null_count == 2);
        CHECK(b.cols[RS->source].valid == NULL);
        /* seek (text: re-read) */
        char err[SL_ERRLEN];
        CHECK(rp_input_seek(in, 3, err, sizeof err) == SL_OK);
        CHECK_EQ_I64(rp_input_next(in, &b, 10, err, sizeof err), 2);
        CHECK_EQ_STR(cell(&b, 0, RS->row), "3");
        CHECK_EQ_STR(cell(&b, 1, C("query_type")), "\"multi\\nline\"");
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
    rp_input_opts o = {.path = "h.csv", .schema = RS, .candidates = reg_inputs()};
    rp_input *in;
    const char *t1 = "instance_id,query_id\n1,2\n";
    CHECK(rp_input_open_mem(&in, &o, t1, strlen(t1), err, sizeof err) == SL_ERR_CORRUPT);
    CHECK_EQ_STR(err, "h.csv: the CSV header has no arrival_timestamp, query_type columns (required by schema 'redset'), "
                      "so the file cannot be replayed (header: instance_id,query_id)");
    /* a required column other than the event time: refused too (every row would be bad) */
    const char *t2r = "instance_id,arrival_timestamp,query_type\n1,2024-03-01,select\n";
    CHECK(rp_input_open_mem(&in, &o, t2r, strlen(t2r), err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(strstr(err, "h.csv: the CSV header has no query_id column (required by schema 'redset')") != NULL);
    /* raw bytes of the header are escaped in the message */
    const char *t3r = "a\x01" "b,\"c\nd\",e\\f,\xff\n1,2,3,4\n";
    CHECK(rp_input_open_mem(&in, &o, t3r, strlen(t3r), err, sizeof err) == SL_ERR_CORRUPT);
    if (!strstr(err, "(header: a\\x01b,c\\nd,e\\\\f,\\xFF)")) fprintf(stderr, "  got: %s\n", err);
    CHECK(strstr(err, "(header: a\\x01b,c\\nd,e\\\\f,\\xFF)") != NULL);
    for (const char *q = err; *q; q++) CHECK((unsigned char)*q >= 0x20 && (unsigned char)*q != 0x7F);
    CHECK(rp_input_open_mem(&in, &o, "", 0, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(strstr(err, "empty CSV file") != NULL);
    /* header only: no rows */
    sl_batch b;
    CHECK_EQ_I64(read_mem("h.csv", "instance_id,query_id,arrival_timestamp,query_type\n", &b, NULL), 0);
    sl_batch_free(&b);
    /* format by magic */
    o.path = "noext";
    const char *t2 = "  {\"arrival_timestamp\":\"2024-01-01\"}\n";
    CHECK(rp_input_open_mem(&in, &o, t2, strlen(t2), err, sizeof err) == SL_OK);
    CHECK(rp_input_format(in) == reg_input("jsonl"));
    rp_input_close(in);
    const char *hdr = "instance_id,query_id,arrival_timestamp,query_type\n";
    CHECK(rp_input_open_mem(&in, &o, hdr, strlen(hdr), err, sizeof err) == SL_OK);
    CHECK(rp_input_format(in) == reg_input("csv"));
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
        CHECK_EQ_STR(cell(&b, 0, C("instance_id")), "7"); /* first duplicate wins */
        CHECK_EQ_STR(cell(&b, 0, C("query_id")), "12");
        CHECK_EQ_STR(cell(&b, 0, C("arrival_timestamp")), "\"2024-03-01T05:00:00.000001Z\"");
        CHECK_EQ_STR(cell(&b, 0, C("was_cached")), "1");
        CHECK_EQ_STR(cell(&b, 0, C("was_aborted")), "0");
        CHECK_EQ_STR(cell(&b, 0, C("cluster_size")), "\"NaN\"");
        CHECK_EQ_STR(cell(&b, 0, C("mbytes_scanned")), "12.0");
        CHECK_EQ_STR(cell(&b, 0, C("queue_duration_ms")), "3");
        CHECK_EQ_STR(cell(&b, 0, C("query_type")), "\"s\xc3\xa9lect\"");
        CHECK_EQ_STR(cell(&b, 0, C("user_id")), "null");
        CHECK_EQ_STR(cell(&b, 0, RS->error), "null");
        CHECK_EQ_STR(cell(&b, 0, RS->extra),
                     "\"{\\\"custom\\\":{\\\"a\\\":[1,2]},\\\"note\\\":\\\"x\\\\\\\"y\\\",\\\"instance_id\\\":99}\"");
        CHECK_EQ_STR(cell(&b, 0, RS->source), "\"x\"");
        /* line 4 */
        CHECK_EQ_STR(cell(&b, 1, RS->row), "1");
        CHECK_EQ_STR(cell(&b, 1, C("arrival_timestamp")), "null");
        CHECK_EQ_STR(cell(&b, 1, C("read_table_ids")), "\"156\"");
        CHECK_EQ_STR(cell(&b, 1, RS->error),
                     "\"malformed: line 4: column 'num_scans': 'x' is not an integer; column 'num_joins': 'true' is not an "
                     "integer; bad_timestamp: line 4: '1709269200' is not a timestamp\"");
        CHECK_EQ_STR(cell(&b, 1, RS->extra), "null");
        /* line 5: truncated object */
        CHECK_EQ_STR(cell(&b, 2, RS->error), "\"malformed: line 5: expected a key string at column 52\"");
        CHECK_EQ_STR(cell(&b, 2, C("instance_id")), "null");
        /* line 6: not an object */
        CHECK_EQ_STR(cell(&b, 3, RS->error), "\"malformed: line 6: not a JSON object at column 1\"");
        /* line 7: case-insensitive key, null ts is not an error, array value */
        CHECK_EQ_STR(cell(&b, 4, C("query_id")), "5");
        CHECK_EQ_STR(cell(&b, 4, C("arrival_timestamp")), "null");
        CHECK_EQ_STR(cell(&b, 4, C("query_type")), "null");
        CHECK_EQ_STR(cell(&b, 4, RS->error), "\"malformed: line 7: column 'query_type': an array is not a string\"");
        CHECK_EQ_I64(rp_input_get_stats(in)->flagged, 4);
        char err[SL_ERRLEN];
        CHECK(rp_input_seek(in, 4, err, sizeof err) == SL_OK);
        CHECK_EQ_I64(rp_input_next(in, &b, 10, err, sizeof err), 1);
        CHECK_EQ_STR(cell(&b, 0, RS->row), "4");
        CHECK_EQ_STR(cell(&b, 0, C("query_id")), "5");
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
    rp_input_opts o = {.path = path, .index = 1, .schema = RS, .candidates = reg_inputs()};
    rp_input *in;
    if (rp_input_open(&in, &o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  open: %s\n", err);
        t_cur_failed = 1;
        return;
    }
    CHECK(rp_input_format(in) == reg_input("parquet"));
    CHECK_EQ_I64(rp_input_rows(in), (int64_t)N);
    CHECK_EQ_STR(rp_input_source(in), "alt");
    sl_batch b;
    sl_batch_init(&b);
    sc_init_batch(RS, &b, err, sizeof err);
    long n = rp_input_next(in, &b, 1000, err, sizeof err);
    CHECK_EQ_I64(n, 100); /* a batch never crosses a row group */
    if (n == 100) {
        CHECK_EQ_STR(cell(&b, 3, C("instance_id")), "3");
        CHECK_EQ_STR(cell(&b, 5, C("instance_id")), "null");
        CHECK_EQ_STR(cell(&b, 5, RS->error), "\"malformed: row 5: column 'instance_id': 5000000000 is out of range for INT32\"");
        CHECK_EQ_STR(cell(&b, 9, C("instance_id")), "null");
        CHECK_EQ_STR(cell(&b, 9, RS->error), "null");
        CHECK_EQ_STR(cell(&b, 3, C("was_aborted")), "1");
        CHECK_EQ_STR(cell(&b, 3, C("was_cached")), "1");
        CHECK_EQ_STR(cell(&b, 4, C("was_cached")), "0");
        CHECK_EQ_STR(cell(&b, 2, C("arrival_timestamp")), "\"2024-03-01T05:00:02.002000Z\"");
        CHECK_EQ_STR(cell(&b, 7, C("arrival_timestamp")), "null");
        CHECK_EQ_STR(cell(&b, 2, C("queue_duration_ms")), "3"); /* 2.5 rounds away from zero */
        CHECK_EQ_STR(cell(&b, 1, C("queue_duration_ms")), "2");
        CHECK_EQ_STR(cell(&b, 4, C("compile_duration_ms")), "40.0");
        CHECK_EQ_STR(cell(&b, 4, C("query_id")), "1004");
        CHECK_EQ_STR(cell(&b, 4, C("query_type")), "\"insert\"");
        CHECK_EQ_STR(cell(&b, 8, C("query_type")), "null");
        CHECK_EQ_STR(cell(&b, 4, C("user_id")), "null");
        CHECK_EQ_STR(cell(&b, 4, C("feature_fingerprint")), "null");
        CHECK_EQ_STR(cell(&b, 2, RS->extra), "\"{\\\"zone\\\":\\\"eu\\\\\\\"1\\\",\\\"weight\\\":0.5}\"");
        CHECK_EQ_STR(cell(&b, 3, RS->extra), "\"{\\\"zone\\\":null,\\\"weight\\\":0.75}\"");
        CHECK_EQ_STR(cell(&b, 4, RS->source), "\"alt\"");
        CHECK_EQ_STR(cell(&b, 4, RS->input), "1");
        CHECK_EQ_STR(cell(&b, 42, RS->row), "42");
        CHECK(b.cols[RS->error].null_count == 99);
    }
    /* the batch owns its strings: still valid after the next read into another batch */
    sl_batch b2;
    sl_batch_init(&b2);
    sc_init_batch(RS, &b2, err, sizeof err);
    CHECK_EQ_I64(rp_input_next(in, &b2, 1000, err, sizeof err), 100);
    CHECK_EQ_STR(cell(&b2, 0, RS->row), "100");
    CHECK_EQ_STR(cell(&b, 4, C("query_type")), "\"insert\"");
    CHECK_EQ_I64(rp_input_next(in, &b2, 1000, err, sizeof err), 50);
    CHECK_EQ_I64(rp_input_next(in, &b2, 1000, err, sizeof err), 0);
    CHECK_EQ_I64(rp_input_get_stats(in)->rows, 250);
    CHECK_EQ_I64(rp_input_get_stats(in)->flagged, 1);
    /* seek into the middle of a row group */
    CHECK(rp_input_seek(in, 137, err, sizeof err) == SL_OK);
    n = rp_input_next(in, &b, 1000, err, sizeof err);
    CHECK_EQ_I64(n, 63);
    CHECK_EQ_STR(cell(&b, 0, RS->row), "137");
    CHECK_EQ_STR(cell(&b, 0, C("query_id")), "1137");
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
    CHECK_EQ_STR(cell(&b, 0, RS->row), "200");
    CHECK_EQ_STR(cell(&b, 0, C("query_type")), "\"copy\"");
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
    rp_input_opts io = {.path = path, .schema = RS, .candidates = reg_inputs()};
    rp_input *in;
    CHECK(rp_input_open(&in, &io, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(strstr(err, "nots.parquet: no query_id, arrival_timestamp, query_type columns (required by schema 'redset'), so the file cannot be replayed (columns: instance_id)") != NULL);
    unlink(path);
}

/* ---------------------------------------------------------------- a generic schema */

/* Product events shaped like Segment messages: a schema defined here, with
 * camelCase keys mapped to snake_case names, dotted paths into nested
 * objects, a rest column, hoisted objects and a string order key. */
#define T_TS {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}
#define T_STR {.type = SL_BYTES, .logical = SL_LOG_STRING}
#define T_I32 {.type = SL_I32}
#define T_F64 {.type = SL_F64}

static const sc_col pe_cols[] = {
    {"event_time", T_TS, SC_REQUIRED, "timestamp", "when it happened"},
    {"message_id", T_STR, SC_REQUIRED, "messageId", "unique per message"},
    {"type", T_STR, 0, NULL, "track, page or identify"},
    {"user_id", T_STR, 0, "userId", "the user"},
    {"context.page.url", T_STR, 0, NULL, "a dotted name is its own path"},
    {"screen_width", T_I32, 0, "context.screen.width", "pixels"},
    {"campaign", T_STR, 0, "context.campaign.name", "utm campaign"},
    {"rest", T_STR, 0, NULL, "every member no column takes"},
};
static const sc_def pe_def = {
    .name = "pe_test",
    .help = "product events (test)",
    .cols = pe_cols,
    .ncols = sizeof pe_cols / sizeof pe_cols[0],
    .time = "event_time",
    .order = {NULL, "message_id"},
    .dedupe = {"message_id"},
    .rest = "rest",
    .hoist = {"properties", "traits"},
};
static const sc_schema *PE;

static int pe_col(const char *name) {
    int c = sc_find(PE, name);
    if (c < 0) {
        fprintf(stderr, "no column %s in the test schema\n", name);
        abort();
    }
    return c;
}
#define P(name) pe_col(name)

/* The value of a cell as plain text (strings unquoted), "<NULL>" for NULL. */
static const char *sv(const sl_batch *b, size_t row, int col) {
    static char out[8][4096];
    static int k;
    k = (k + 1) % 8;
    const sl_col *c = &b->cols[col];
    if (sl_col_is_null(c, row)) return "<NULL>";
    if (c->t.type == SL_BYTES) {
        sl_str s = ((const sl_str *)c->data)[row];
        snprintf(out[k], sizeof out[k], "%.*s", (int)s.len, s.ptr ? s.ptr : "");
        return out[k];
    }
    sl_buf o;
    sl_buf_init(&o);
    sl_fmt_value(&o, c, row, SL_FMT_TEXT);
    snprintf(out[k], sizeof out[k], "%s", sl_buf_cstr(&o));
    sl_buf_free(&o);
    return out[k];
}

/* Open an in-memory input of schema s (format detected) and read it all into b. */
static long read_mem_schema(const sc_schema *s, const char *path, const void *data, size_t n, sl_batch *b,
                            rp_input **inp) {
    char err[SL_ERRLEN];
    rp_input_opts o = {.path = path, .schema = s, .candidates = reg_inputs()};
    rp_input *in;
    sl_batch_init(b);
    if (rp_input_open_mem(&in, &o, data, n, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  open %s: %s\n", path, err);
        if (inp) *inp = NULL;
        return -1;
    }
    sc_init_batch(s, b, err, sizeof err);
    long got = rp_input_next(in, b, 100000, err, sizeof err);
    if (got < 0) fprintf(stderr, "  next: %s\n", err);
    if (inp) *inp = in;
    else rp_input_close(in);
    return got;
}

static int64_t str_key(const char *s) { return (int64_t)rp_key_hash(s, strlen(s)); }

/* JSON Lines: dotted paths, camelCase paths, the rest object with unmapped
 * nested members under their parents, hoisted objects, the rest column's own
 * key, duplicates. */
static void test_jsonl_paths(void) {
    const char *text =
        /* line 1: every kind of member */
        "{\"type\":\"track\",\"messageId\":\"m1\",\"timestamp\":\"2024-03-01T05:00:00Z\",\"userId\":\"u1\","
        "\"context\":{\"page\":{\"url\":\"https://x.io/a\",\"title\":\"A\"},\"os\":{\"name\":\"iOS\",\"version\":\"17\"},"
        "\"screen\":{\"width\":390,\"height\":844}},"
        "\"properties\":{\"plan\":\"pro\",\"revenue\":9.5,\"items\":[1,2]},\"integrations\":{\"All\":true},"
        "\"rest\":\"mine\"}\n"
        /* line 2: every member mapped: no rest object */
        "{\"messageId\":\"m2\",\"timestamp\":\"2024-03-01T05:00:01Z\",\"type\":\"page\",\"userId\":null,"
        "\"context\":{\"page\":{\"url\":\"u2\"},\"campaign\":{\"name\":\"spring\"},\"screen\":{\"width\":1024}}}\n"
        /* line 3: case-insensitive paths; traits hoisted; an interior path that is not an object; null properties */
        "{\"MESSAGEID\":\"m3\",\"Timestamp\":\"2024-03-01 05:00:03\",\"context\":\"flat\",\"properties\":null,"
        "\"traits\":{\"email\":\"a@b.c\",\"age\":41}}\n"
        /* line 4: duplicates: the first wins, a later one stays in the rest under its parents; a
         * non-object at an interior path inside an object; a hoisted member that is not an object */
        "{\"messageId\":\"m1\",\"timestamp\":\"2024-03-01T05:00:04Z\",\"context\":{\"page\":{\"url\":\"first\"},\"screen\":7},"
        "\"context\":{\"page\":{\"url\":\"second\"}},\"properties\":[1]}\n"
        /* line 5: empty objects leave nothing behind; a number for a string column */
        "{\"messageId\":5,\"timestamp\":\"2024-03-01T05:00:05Z\",\"context\":{\"page\":{}},\"properties\":{}}\n";
    sl_batch b;
    rp_input *in;
    long n = read_mem_schema(PE, "ev.jsonl", text, strlen(text), &b, &in);
    CHECK_EQ_I64(n, 5);
    if (n == 5) {
        CHECK(rp_input_format(in) == reg_input("jsonl"));
        CHECK(rp_input_schema(in) == PE);
        /* line 1 */
        CHECK_EQ_STR(sv(&b, 0, P("event_time")), "2024-03-01T05:00:00.000000Z");
        CHECK_EQ_STR(sv(&b, 0, P("message_id")), "m1");
        CHECK_EQ_STR(sv(&b, 0, P("type")), "track");
        CHECK_EQ_STR(sv(&b, 0, P("user_id")), "u1");
        CHECK_EQ_STR(sv(&b, 0, P("context.page.url")), "https://x.io/a");
        CHECK_EQ_STR(sv(&b, 0, P("screen_width")), "390");
        CHECK_EQ_STR(sv(&b, 0, P("campaign")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, P("rest")),
                     "{\"context\":{\"page\":{\"title\":\"A\"},\"os\":{\"name\":\"iOS\",\"version\":\"17\"},"
                     "\"screen\":{\"height\":844}},\"plan\":\"pro\",\"revenue\":9.5,\"items\":[1,2],"
                     "\"integrations\":{\"All\":true},\"rest\":\"mine\"}");
        CHECK_EQ_STR(sv(&b, 0, PE->extra), "<NULL>"); /* the rest column takes them, not _extra */
        CHECK_EQ_STR(sv(&b, 0, PE->error), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, PE->source), "ev");
        CHECK_EQ_STR(sv(&b, 0, PE->row), "0");
        /* line 2 */
        CHECK_EQ_STR(sv(&b, 1, P("message_id")), "m2");
        CHECK_EQ_STR(sv(&b, 1, P("user_id")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, P("context.page.url")), "u2");
        CHECK_EQ_STR(sv(&b, 1, P("campaign")), "spring");
        CHECK_EQ_STR(sv(&b, 1, P("screen_width")), "1024");
        CHECK_EQ_STR(sv(&b, 1, P("rest")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, PE->error), "<NULL>");
        /* line 3 */
        CHECK_EQ_STR(sv(&b, 2, P("message_id")), "m3");
        CHECK_EQ_STR(sv(&b, 2, P("event_time")), "2024-03-01T05:00:03.000000Z");
        CHECK_EQ_STR(sv(&b, 2, P("context.page.url")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 2, P("rest")), "{\"context\":\"flat\",\"email\":\"a@b.c\",\"age\":41}");
        CHECK_EQ_STR(sv(&b, 2, PE->error), "<NULL>");
        /* line 4 */
        CHECK_EQ_STR(sv(&b, 3, P("message_id")), "m1");
        CHECK_EQ_STR(sv(&b, 3, P("context.page.url")), "first");
        CHECK_EQ_STR(sv(&b, 3, P("screen_width")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 3, P("rest")),
                     "{\"context\":{\"screen\":7},\"context\":{\"page\":{\"url\":\"second\"}},\"properties\":[1]}");
        CHECK_EQ_STR(sv(&b, 3, PE->error), "<NULL>");
        /* line 5 */
        CHECK_EQ_STR(sv(&b, 4, P("message_id")), "5");
        CHECK_EQ_STR(sv(&b, 4, P("context.page.url")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 4, P("rest")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 4, PE->error), "<NULL>");
        CHECK_EQ_I64(rp_input_get_stats(in)->flagged, 0);
        /* _extra is never used when the schema has a rest column */
        CHECK_EQ_I64(b.cols[PE->extra].null_count, 5);
    }
    sl_batch_free(&b);
    rp_input_close(in);
}

/* A row whose every column is present: the rest object is kept (the
 * baseline of test_jsonl_paths, where most rows lack some column). */
static void test_jsonl_rest_all_present(void) {
    const char *text =
        "{\"messageId\":\"m1\",\"timestamp\":\"2024-03-01T05:00:00Z\",\"type\":\"track\",\"userId\":\"u\","
        "\"context\":{\"page\":{\"url\":\"p\"},\"screen\":{\"width\":1},\"campaign\":{\"name\":\"c\"},\"os\":\"x\"},"
        "\"properties\":{\"plan\":\"pro\"},\"other\":1}\n";
    sl_batch b;
    long n = read_mem_schema(PE, "ev.jsonl", text, strlen(text), &b, NULL);
    CHECK_EQ_I64(n, 1);
    if (n == 1) {
        CHECK_EQ_STR(sv(&b, 0, P("rest")), "{\"context\":{\"os\":\"x\"},\"plan\":\"pro\",\"other\":1}");
        CHECK_EQ_STR(sv(&b, 0, P("campaign")), "c");
        CHECK_EQ_STR(sv(&b, 0, PE->extra), "<NULL>");
    }
    sl_batch_free(&b);
}

/* Type errors inside nested objects: the value is NULL, _error names the column. */
static void test_jsonl_nested_errors(void) {
    const char *text =
        "{\"messageId\":\"m3\",\"timestamp\":\"2024-03-01T05:00:02Z\",\"context\":{\"screen\":{\"width\":\"wide\"},"
        "\"page\":{\"url\":{\"href\":\"x\"}},\"campaign\":{\"name\":[\"a\"]}}}\n"
        "{\"messageId\":\"m4\",\"timestamp\":\"2024-03-01T05:00:02Z\",\"context\":{\"screen\":{\"width\":3000000000}}}\n"
        "{\"messageId\":\"m5\",\"timestamp\":1709269200,\"context\":{\"screen\":{\"width\":true}}}\n"
        "{\"messageId\":{\"id\":1},\"timestamp\":\"2024-03-01\",\"context\":{\"screen\":{\"width\":2.0}}}\n";
    sl_batch b;
    rp_input *in;
    long n = read_mem_schema(PE, "ev.jsonl", text, strlen(text), &b, &in);
    CHECK_EQ_I64(n, 4);
    if (n == 4) {
        CHECK_EQ_STR(sv(&b, 0, P("screen_width")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, P("context.page.url")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, P("campaign")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, P("message_id")), "m3");
        CHECK_EQ_STR(sv(&b, 0, PE->error),
                     "malformed: line 1: column 'screen_width': 'wide' is not an integer; column 'context.page.url': an "
                     "object is not a string; column 'campaign': an array is not a string");
        CHECK_EQ_STR(sv(&b, 1, P("screen_width")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, PE->error),
                     "malformed: line 2: column 'screen_width': '3000000000' is out of range for INT32");
        CHECK_EQ_STR(sv(&b, 2, P("screen_width")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 2, P("event_time")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 2, PE->error),
                     "malformed: line 3: column 'screen_width': 'true' is not an integer; bad_timestamp: line 3: "
                     "'1709269200' is not a timestamp");
        CHECK_EQ_STR(sv(&b, 3, P("message_id")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 3, P("screen_width")), "2");
        CHECK_EQ_STR(sv(&b, 3, PE->error), "malformed: line 4: column 'message_id': an object is not a string");
        CHECK_EQ_I64(rp_input_get_stats(in)->flagged, 4);
    }
    sl_batch_free(&b);
    rp_input_close(in);
}

/* A path as deep as allowed (8 members) works; a schema whose paths collide,
 * nest too deep or are empty is refused when a JSON input opens. */
static const sc_col deep_cols[] = {
    {"t", T_TS, SC_REQUIRED, NULL, ""},
    {"deep", T_STR, 0, "a.b.c.d.e.f.g.h", ""},
};
static const sc_col clash1_cols[] = {
    {"t", T_TS, SC_REQUIRED, NULL, ""},
    {"a.b", T_STR, 0, NULL, ""},
    {"x", T_STR, 0, "a.b.c", ""},
};
static const sc_col clash2_cols[] = {
    {"t", T_TS, SC_REQUIRED, NULL, ""},
    {"x", T_STR, 0, "a.b.c", ""},
    {"a.b", T_STR, 0, NULL, ""},
};
static const sc_col toodeep_cols[] = {
    {"t", T_TS, SC_REQUIRED, NULL, ""},
    {"x", T_STR, 0, "a.b.c.d.e.f.g.h.i", ""},
};
static const sc_col empty_cols[] = {
    {"t", T_TS, SC_REQUIRED, NULL, ""},
    {"x", T_STR, 0, "a..b", ""},
};
#define T_DEF(c) {.name = #c, .cols = c, .ncols = sizeof c / sizeof c[0], .time = "t"}

static void test_jsonl_path_limits(void) {
    static const sc_def deep = T_DEF(deep_cols);
    char err[SL_ERRLEN];
    const sc_schema *s;
    CHECK(sc_open(&s, &deep, err, sizeof err) == SL_OK);
    const char *text = "{\"t\":\"2024-03-01\",\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":\"deep\",\"i\":1}}}}}}}}\n";
    sl_batch b;
    long n = read_mem_schema(s, "d.jsonl", text, strlen(text), &b, NULL);
    CHECK_EQ_I64(n, 1);
    if (n == 1) {
        CHECK_EQ_STR(sv(&b, 0, 1), "deep");
        CHECK_EQ_STR(sv(&b, 0, s->extra), "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"i\":1}}}}}}}}");
        CHECK_EQ_STR(sv(&b, 0, s->error), "<NULL>");
    }
    sl_batch_free(&b);
    sc_close(s);
    static const struct {
        sc_def def;
        const char *msg;
    } bad[] = {
        {T_DEF(clash1_cols), "schema path 'a.b.c' goes through a column"},
        {T_DEF(clash2_cols), "schema path 'a.b' is also another column's"},
        {T_DEF(toodeep_cols), "schema path 'a.b.c.d.e.f.g.h.i' is empty or deeper than 8"},
        {T_DEF(empty_cols), "schema path 'a..b' is empty or deeper than 8"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        CHECK(sc_open(&s, &bad[k].def, err, sizeof err) == SL_OK);
        rp_input_opts o = {.path = "x.jsonl", .schema = s, .candidates = reg_inputs()};
        rp_input *in = NULL;
        const char *t = "{\"t\":\"2024-03-01\"}\n";
        CHECK(rp_input_open_mem(&in, &o, t, strlen(t), err, sizeof err) == SL_ERR_ARG);
        CHECK(in == NULL);
        if (!strstr(err, bad[k].msg)) {
            fprintf(stderr, "  %s: got '%s', want '%s'\n", bad[k].def.name, err, bad[k].msg);
            t_cur_failed = 1;
        }
        /* CSV reads by header names: no paths to build, the same schema opens */
        o.path = "x.csv";
        const char *c = "t,x\n2024-03-01,1\n";
        CHECK(rp_input_open_mem(&in, &o, c, strlen(c), err, sizeof err) == SL_OK);
        rp_input_close(in);
        sc_close(s);
    }
}

/* A column whose path goes into a hoisted object ("properties.revenue" with
 * "properties" hoisted): the input either reads it into the column (and
 * lifts the other members) or refuses the schema when it opens; it never
 * keeps the column silently NULL while its value lands in the rest object. */
static const sc_col hoistpath_cols[] = {
    {"t", T_TS, SC_REQUIRED, NULL, ""},
    {"revenue", T_F64, 0, "properties.revenue", ""},
    {"rest", T_STR, 0, NULL, ""},
};
static void test_jsonl_hoisted_path(void) {
    static const sc_def def = {.name = "hp",
                               .cols = hoistpath_cols,
                               .ncols = 3,
                               .time = "t",
                               .rest = "rest",
                               .hoist = {"properties"}};
    char err[SL_ERRLEN];
    const sc_schema *s;
    if (sc_open(&s, &def, err, sizeof err) != SL_OK) return; /* refused: fine */
    const char *text = "{\"t\":\"2024-03-01\",\"properties\":{\"revenue\":9.5,\"plan\":\"pro\"}}\n";
    rp_input_opts o = {.path = "h.jsonl", .schema = s, .candidates = reg_inputs()};
    rp_input *in;
    if (rp_input_open_mem(&in, &o, text, strlen(text), err, sizeof err) == SL_OK) {
        sl_batch b;
        sl_batch_init(&b);
        sc_init_batch(s, &b, err, sizeof err);
        CHECK_EQ_I64(rp_input_next(in, &b, 10, err, sizeof err), 1);
        if (b.nrows == 1) {
            CHECK_EQ_STR(sv(&b, 0, 1), "9.5");
            CHECK_EQ_STR(sv(&b, 0, 2), "{\"plan\":\"pro\"}");
        }
        sl_batch_free(&b);
        rp_input_close(in);
    }
    sc_close(s);
}

/* The rest column named like a hoisted object (the product_events layout:
 * "properties" is both): the input's "properties" object is lifted, never
 * read as the column's value; CSV has no objects, so a "properties" header
 * is an unknown column like any other. */
static const sc_col props_cols[] = {
    {"t", T_TS, SC_REQUIRED, NULL, ""},
    {"event", T_STR, 0, NULL, ""},
    {"properties", T_STR, 0, NULL, ""},
};
static void test_rest_named_like_hoisted(void) {
    static const sc_def def = {.name = "props",
                               .cols = props_cols,
                               .ncols = 3,
                               .time = "t",
                               .rest = "properties",
                               .hoist = {"properties", "traits"}};
    char err[SL_ERRLEN];
    const sc_schema *s;
    CHECK(sc_open(&s, &def, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(s->rest, 2);
    const char *text = "{\"t\":\"2024-03-01\",\"event\":\"buy\",\"properties\":{\"sku\":\"a1\",\"qty\":2},\"x\":true}\n"
                       "{\"t\":\"2024-03-01\",\"properties\":\"not an object\"}\n"
                       "{\"t\":\"2024-03-01\",\"event\":\"view\",\"properties\":{}}\n";
    sl_batch b;
    long n = read_mem_schema(s, "p.jsonl", text, strlen(text), &b, NULL);
    CHECK_EQ_I64(n, 3);
    if (n == 3) {
        CHECK_EQ_STR(sv(&b, 0, 1), "buy");
        CHECK_EQ_STR(sv(&b, 0, 2), "{\"sku\":\"a1\",\"qty\":2,\"x\":true}");
        CHECK_EQ_STR(sv(&b, 1, 2), "{\"properties\":\"not an object\"}");
        CHECK_EQ_STR(sv(&b, 1, 1), "<NULL>");
        CHECK_EQ_STR(sv(&b, 2, 2), "<NULL>");
        CHECK_EQ_STR(sv(&b, 2, s->extra), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, s->error), "<NULL>");
    }
    sl_batch_free(&b);
    const char *csv = "t,event,properties\n2024-03-01,buy,x\n";
    n = read_mem_schema(s, "p.csv", csv, strlen(csv), &b, NULL);
    CHECK_EQ_I64(n, 1);
    if (n == 1) {
        CHECK_EQ_STR(sv(&b, 0, 1), "buy");
        CHECK_EQ_STR(sv(&b, 0, 2), "{\"properties\":\"x\"}");
    }
    sl_batch_free(&b);
    sc_close(s);
}

/* The string order key: k2 is a hash of the string's bytes, equal strings
 * give equal keys in every format, NULL gives 0; k1 is 0 without a first
 * order column. */
static void test_string_order_key(void) {
    const char *text =
        "{\"messageId\":\"m1\",\"timestamp\":\"2024-03-01T05:00:00Z\"}\n"
        "{\"messageId\":\"m2\",\"timestamp\":\"2024-03-01T05:00:01Z\"}\n"
        "{\"messageId\":null,\"timestamp\":null}\n"
        "{\"messageId\":\"m1\",\"timestamp\":\"2024-03-01T05:00:03Z\"}\n"
        "{\"messageId\":\"\",\"timestamp\":\"2024-03-01T05:00:04Z\"}\n";
    char err[SL_ERRLEN];
    rp_input_opts o = {.path = "k.jsonl", .schema = PE, .candidates = reg_inputs()};
    rp_input *in;
    CHECK(rp_input_open_mem(&in, &o, text, strlen(text), err, sizeof err) == SL_OK);
    int64_t ts[8], k2[8];
    int32_t k1[8];
    memset(k1, 0x55, sizeof k1);
    CHECK_EQ_I64(rp_input_next_keys(in, ts, k1, k2, 8, err, sizeof err), 5);
    CHECK_EQ_I64(ts[0], 1709269200000000LL);
    CHECK_EQ_I64(ts[2], INT64_MIN);
    CHECK_EQ_I64(ts[3], 1709269203000000LL);
    for (int i = 0; i < 5; i++) CHECK_EQ_I64(k1[i], 0);
    CHECK_EQ_I64(k2[0], str_key("m1"));
    CHECK_EQ_I64(k2[1], str_key("m2"));
    CHECK_EQ_I64(k2[3], k2[0]);
    CHECK(k2[0] != k2[1]);
    CHECK_EQ_I64(k2[2], 0);
    CHECK_EQ_I64(k2[4], str_key(""));
    CHECK_EQ_I64(rp_input_next_keys(in, ts, k1, k2, 8, err, sizeof err), 0);
    /* the replay's sort key agrees: the same key word for equal strings, NULL first */
    CHECK(rp_input_seek(in, 0, err, sizeof err) == SL_OK);
    sl_batch b;
    sl_batch_init(&b);
    sc_init_batch(PE, &b, err, sizeof err);
    CHECK_EQ_I64(rp_input_next(in, &b, 8, err, sizeof err), 5);
    const char *lab[] = {"k"};
    rp_srcmap m;
    CHECK(rp_srcmap_init(&m, PE, lab, 1, err, sizeof err) == SL_OK);
    rp_key keys[5];
    rp_keys_extract(&b, &m, 0, 5, keys);
    CHECK(keys[0].qid == keys[3].qid);
    CHECK(keys[0].qid != keys[1].qid);
    CHECK_EQ_I64((int64_t)(keys[0].qid ^ RP_TS_BIAS), str_key("m1"));
    CHECK_EQ_I64(keys[2].qid, 0);
    CHECK((keys[2].mid & 1) == 0 && (keys[0].mid & 1) == 1); /* NULL k2 before any value */
    rp_key a = keys[0], c = keys[3];
    a.ts = c.ts = 0;
    CHECK(rp_key_cmp(&a, &c) == 0);
    rp_srcmap_free(&m);
    sl_batch_free(&b);
    rp_input_close(in);
}

/* CSV with the same schema: headers matched by name or path (case-insensitive
 * when unique), unknown columns (and the rest column's own name) to the rest
 * column, never to _extra. */
static void test_csv_schema(void) {
    const char *text = "timestamp,MessageId,type,userId,context.page.url,screen_width,plan,rest\n"
                       "2024-03-01 05:00:00,m1,track,u1,https://x.io/a,390,pro,r1\n"
                       "2024-03-01 05:00:01,m2,page,,,wide,,\n"
                       "2024-03-01 05:00:02,m1,track,u3,\"a,b\",1,\"\",x\n";
    sl_batch b;
    rp_input *in;
    long n = read_mem_schema(PE, "ev.csv", text, strlen(text), &b, &in);
    CHECK_EQ_I64(n, 3);
    if (n == 3) {
        CHECK(rp_input_format(in) == reg_input("csv"));
        CHECK_EQ_STR(sv(&b, 0, P("event_time")), "2024-03-01T05:00:00.000000Z");
        CHECK_EQ_STR(sv(&b, 0, P("message_id")), "m1");
        CHECK_EQ_STR(sv(&b, 0, P("type")), "track");
        CHECK_EQ_STR(sv(&b, 0, P("user_id")), "u1");
        CHECK_EQ_STR(sv(&b, 0, P("context.page.url")), "https://x.io/a");
        CHECK_EQ_STR(sv(&b, 0, P("screen_width")), "390");
        CHECK_EQ_STR(sv(&b, 0, P("campaign")), "<NULL>"); /* not in the header */
        CHECK_EQ_STR(sv(&b, 0, P("rest")), "{\"plan\":\"pro\",\"rest\":\"r1\"}");
        CHECK_EQ_STR(sv(&b, 0, PE->extra), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, PE->error), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, P("user_id")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, P("context.page.url")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, P("screen_width")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, PE->error), "malformed: line 3: column 'screen_width': 'wide' is not an integer");
        CHECK_EQ_STR(sv(&b, 1, P("rest")), "{\"plan\":null,\"rest\":null}");
        CHECK_EQ_STR(sv(&b, 2, P("context.page.url")), "a,b");
        CHECK_EQ_STR(sv(&b, 2, P("rest")), "{\"plan\":\"\",\"rest\":\"x\"}");
        CHECK_EQ_I64(b.cols[PE->extra].null_count, 3);
        /* the order key of a CSV input */
        char err[SL_ERRLEN];
        CHECK(rp_input_seek(in, 0, err, sizeof err) == SL_OK);
        int64_t ts[4], k2[4];
        int32_t k1[4];
        CHECK_EQ_I64(rp_input_next_keys(in, ts, k1, k2, 4, err, sizeof err), 3);
        CHECK(k2[0] == str_key("m1") && k2[1] == str_key("m2") && k2[2] == k2[0]);
        CHECK(ts[1] == 1709269201000000LL && k1[1] == 0);
    }
    sl_batch_free(&b);
    rp_input_close(in);
    /* a CSV whose every schema column is present keeps its rest object */
    const char *full = "timestamp,messageId,type,userId,context.page.url,context.screen.width,context.campaign.name,x\n"
                       "2024-03-01,m,t,u,p,1,c,9\n";
    long m = read_mem_schema(PE, "full.csv", full, strlen(full), &b, NULL);
    CHECK_EQ_I64(m, 1);
    if (m == 1) {
        CHECK_EQ_STR(sv(&b, 0, P("screen_width")), "1");
        CHECK_EQ_STR(sv(&b, 0, P("campaign")), "c");
        CHECK_EQ_STR(sv(&b, 0, P("rest")), "{\"x\":\"9\"}");
    }
    sl_batch_free(&b);
}

/* Parquet with the same schema: columns matched by name or path, unknown
 * columns (and one named like the rest column) to the rest column. */
static void test_parquet_schema(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/events.parquet", tmpdir);
    pq_write_col cols[] = {
        {"timestamp", {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MILLIS, .utc = true}, false},
        {"message_id", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true},
        {"USERID", {.type = SL_BYTES, .logical = SL_LOG_STRING}, false},
        {"context.page.url", {.type = SL_BYTES, .logical = SL_LOG_STRING}, false},
        {"screen_width", {.type = SL_I64}, false},
        {"plan", {.type = SL_BYTES, .logical = SL_LOG_STRING}, false},
        {"rest", {.type = SL_BYTES, .logical = SL_LOG_STRING}, false},
        {"n", {.type = SL_F64}, false},
    };
    const size_t nc = sizeof cols / sizeof *cols, N = 3;
    char err[SL_ERRLEN];
    pq_writer_opts wo = pq_writer_opts_default();
    pq_writer *w;
    if (pq_writer_open(&w, path, cols, nc, &wo, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  writer: %s\n", err);
        t_cur_failed = 1;
        return;
    }
    sl_batch b;
    sl_batch_init(&b);
    for (size_t c = 0; c < nc; c++) sl_batch_add_col(&b, cols[c].name, &cols[c].type, cols[c].nullable, err, sizeof err);
    sl_batch_reserve(&b, N, err, sizeof err);
    static const char *mid[] = {"m1", "m2", "m1"}, *uid[] = {"u0", "u1", "u2"}, *url[] = {"p0", "p1", "p2"};
    for (size_t i = 0; i < N; i++) {
        ((int64_t *)b.cols[0].data)[i] = 1709269200000LL + (int64_t)i * 1000;
        ((sl_str *)b.cols[1].data)[i] = (sl_str){mid[i], 2};
        ((sl_str *)b.cols[2].data)[i] = (sl_str){uid[i], 2};
        ((sl_str *)b.cols[3].data)[i] = (sl_str){url[i], 2};
        ((int64_t *)b.cols[4].data)[i] = i == 1 ? 5000000000LL : 390;
        ((sl_str *)b.cols[5].data)[i] = (sl_str){"pro", 3};
        ((sl_str *)b.cols[6].data)[i] = (sl_str){"r", 1};
        ((double *)b.cols[7].data)[i] = 0.25 + (double)i;
    }
    b.nrows = N;
    if (pq_writer_write(w, &b, err, sizeof err) != SL_OK || pq_writer_close(w, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  writer: %s\n", err);
        t_cur_failed = 1;
    }
    sl_batch_free(&b);
    rp_input_opts o = {.path = path, .schema = PE, .candidates = reg_inputs()};
    rp_input *in;
    if (rp_input_open(&in, &o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  open: %s\n", err);
        t_cur_failed = 1;
        unlink(path);
        return;
    }
    CHECK(rp_input_format(in) == reg_input("parquet"));
    sl_batch_init(&b);
    sc_init_batch(PE, &b, err, sizeof err);
    long n = rp_input_next(in, &b, 100, err, sizeof err);
    CHECK_EQ_I64(n, 3);
    if (n == 3) {
        CHECK_EQ_STR(sv(&b, 0, P("event_time")), "2024-03-01T05:00:00.000000Z");
        CHECK_EQ_STR(sv(&b, 2, P("event_time")), "2024-03-01T05:00:02.000000Z");
        CHECK_EQ_STR(sv(&b, 0, P("message_id")), "m1");
        CHECK_EQ_STR(sv(&b, 1, P("user_id")), "u1");
        CHECK_EQ_STR(sv(&b, 2, P("context.page.url")), "p2");
        CHECK_EQ_STR(sv(&b, 0, P("screen_width")), "390");
        CHECK_EQ_STR(sv(&b, 1, P("screen_width")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 1, PE->error), "malformed: row 1: column 'screen_width': 5000000000 is out of range for INT32");
        CHECK_EQ_STR(sv(&b, 0, PE->error), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, P("type")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, P("campaign")), "<NULL>");
        CHECK_EQ_STR(sv(&b, 0, P("rest")), "{\"plan\":\"pro\",\"rest\":\"r\",\"n\":0.25}");
        CHECK_EQ_STR(sv(&b, 2, P("rest")), "{\"plan\":\"pro\",\"rest\":\"r\",\"n\":2.25}");
        CHECK_EQ_I64(b.cols[PE->extra].null_count, 3);
    }
    /* keys: Parquet reads the order columns only; the same hash as the text formats */
    CHECK(rp_input_seek(in, 0, err, sizeof err) == SL_OK);
    int64_t ts[4], k2[4];
    int32_t k1[4];
    CHECK_EQ_I64(rp_input_next_keys(in, ts, k1, k2, 4, err, sizeof err), 3);
    CHECK(ts[2] == 1709269202000000LL && k1[0] == 0 && k1[2] == 0);
    CHECK(k2[0] == str_key("m1") && k2[1] == str_key("m2") && k2[2] == k2[0]);
    sl_batch_free(&b);
    rp_input_close(in);
    /* the same bytes from memory, named without an extension: detected by the magic number */
    FILE *f = fopen(path, "rb");
    char *data = malloc(1 << 16);
    size_t len = f ? fread(data, 1, 1 << 16, f) : 0;
    if (f) fclose(f);
    o.path = "blob";
    CHECK(rp_input_open_mem(&in, &o, data, len, err, sizeof err) == SL_OK);
    if (in) {
        CHECK(rp_input_format(in) == reg_input("parquet"));
        CHECK_EQ_I64(rp_input_rows(in), 3);
        rp_input_close(in);
    }
    free(data);
    unlink(path);
}

/* Format detection: by extension (case-insensitive, before the content), else
 * by the first bytes; restricted by the candidates. */
static void test_detect_format(void) {
    const in_plugin *pq = reg_input("parquet"), *csv = reg_input("csv"), *jl = reg_input("jsonl");
    CHECK(pq && csv && jl);
    CHECK(reg_input("xml") == NULL);
    const in_plugin *const *all = reg_inputs();
    size_t nall = 0;
    while (all[nall]) nall++;
    CHECK_EQ_I64(nall, 3);
    static const struct {
        const char *path, *head;
        const char *want; /* NULL: none */
    } tab[] = {
        {"a.parquet", "", "parquet"},
        {"dir.x/b.PARQUET", "", "parquet"},
        {"c.parq", "", "parquet"},
        {"c.pq", "", "parquet"},
        {"d.csv", "{\"a\":1}", "csv"}, /* the extension wins over the content */
        {"D.CSV", "", "csv"},
        {"e.jsonl", "a,b\n", "jsonl"},
        {"e.json", "", "jsonl"},
        {"e.NDJSON", "", "jsonl"},
        {"noext", "PAR1\x15\x04", "parquet"},
        {"noext", "  \r\n\t{\"a\":1}", "jsonl"},
        {"noext", "\xEF\xBB\xBF{\"a\":1}", "jsonl"},
        {"noext", "a,b\n1,2\n", "csv"},
        {"noext", "", "csv"},
        {"x.txt", "{", "jsonl"},
        {"x.csv.gz", "PAR1", "parquet"},
    };
    for (size_t k = 0; k < sizeof tab / sizeof *tab; k++) {
        const in_plugin *f =
            rp_detect_format(tab[k].path, (const unsigned char *)tab[k].head, strlen(tab[k].head), all);
        const char *got = f ? f->name : "(none)";
        if (strcmp(got, tab[k].want)) {
            fprintf(stderr, "  detect %s: got %s, want %s\n", tab[k].path, got, tab[k].want);
            t_cur_failed = 1;
        }
    }
    /* only the candidates count */
    const in_plugin *only_pq[] = {pq, NULL}, *only_text[] = {csv, jl, NULL};
    CHECK(rp_detect_format("a.csv", (const unsigned char *)"a,b\n", 4, only_pq) == NULL);
    CHECK(rp_detect_format("noext", (const unsigned char *)"PAR1", 4, only_text) == csv);
    CHECK(rp_detect_format("a.parquet", (const unsigned char *)"{", 1, only_text) == jl);
    CHECK(rp_detect_format("a.csv", (const unsigned char *)"a", 1, NULL) == NULL);
    /* head NULL: the file's first bytes are read */
    char p1[160], p2[160];
    snprintf(p1, sizeof p1, "%s/events", tmpdir);
    snprintf(p2, sizeof p2, "%s/table", tmpdir);
    FILE *f = fopen(p1, "w");
    if (f) {
        fputs("\n{\"timestamp\":\"2024-03-01\"}\n", f);
        fclose(f);
    }
    f = fopen(p2, "w");
    if (f) {
        fputs("timestamp,messageId\n2024-03-01,m\n", f);
        fclose(f);
    }
    CHECK(rp_detect_format(p1, NULL, 0, all) == jl);
    CHECK(rp_detect_format(p2, NULL, 0, all) == csv);
    CHECK(rp_detect_format("/nonexistent/file", NULL, 0, all) == NULL);
    CHECK(rp_detect_format("/nonexistent/file.parquet", NULL, 0, all) == pq);
    /* opening: detected, named explicitly, or refused */
    char err[SL_ERRLEN];
    rp_input *in = NULL;
    rp_input_opts o = {.path = p1, .schema = PE, .candidates = all};
    CHECK(rp_input_open(&in, &o, err, sizeof err) == SL_OK);
    if (in) {
        CHECK(rp_input_format(in) == jl);
        rp_input_close(in);
    }
    o.path = p2;
    CHECK(rp_input_open(&in, &o, err, sizeof err) == SL_OK);
    if (in) {
        CHECK(rp_input_format(in) == csv);
        sl_batch b;
        sl_batch_init(&b);
        sc_init_batch(PE, &b, err, sizeof err);
        CHECK_EQ_I64(rp_input_next(in, &b, 10, err, sizeof err), 1);
        CHECK_EQ_STR(sv(&b, 0, P("message_id")), "m");
        sl_batch_free(&b);
        rp_input_close(in);
    }
    /* an explicit format is used whatever the name and the candidates */
    o.path = "looks.jsonl";
    o.format = csv;
    o.candidates = NULL;
    const char *c = "timestamp,messageId\n2024-03-01,m\n";
    CHECK(rp_input_open_mem(&in, &o, c, strlen(c), err, sizeof err) == SL_OK);
    if (in) {
        CHECK(rp_input_format(in) == csv);
        rp_input_close(in);
    }
    /* nothing claims it */
    o.format = NULL;
    o.path = "noext";
    o.candidates = only_pq;
    in = (rp_input *)1;
    CHECK(rp_input_open_mem(&in, &o, c, strlen(c), err, sizeof err) == SL_ERR_ARG);
    CHECK(in == NULL);
    CHECK(strstr(err, "noext: cannot tell the file's format") != NULL);
    /* no schema */
    o.schema = NULL;
    o.candidates = all;
    CHECK(rp_input_open_mem(&in, &o, c, strlen(c), err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "no schema") != NULL);
    unlink(p1);
    unlink(p2);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-input-XXXXXX");
    if (!mkdtemp(tmpdir)) return 2;
    char err[SL_ERRLEN];
    if (sc_open(&RS, &sc_redset_def, err, sizeof err) != SL_OK) {
        fprintf(stderr, "schema: %s\n", err);
        return 2;
    }
    if (sc_open(&PE, &pe_def, err, sizeof err) != SL_OK) {
        fprintf(stderr, "test schema: %s\n", err);
        return 2;
    }
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
    RUN(test_jsonl_paths);
    RUN(test_jsonl_rest_all_present);
    RUN(test_jsonl_nested_errors);
    RUN(test_jsonl_path_limits);
    RUN(test_jsonl_hoisted_path);
    RUN(test_rest_named_like_hoisted);
    RUN(test_string_order_key);
    RUN(test_csv_schema);
    RUN(test_parquet_schema);
    RUN(test_detect_format);
    rmdir(tmpdir);
    sc_close(PE);
    sc_close(RS);
    sl_blob_pool_drain();
    return T_DONE();
}
