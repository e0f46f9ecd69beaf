/* Unit tests: value formatting and the columnar batch. */
#include <math.h>
#include <stdlib.h>

#include "batch/batch.h"
#include "batch/format.h"
#include "t.h"
#include "util/time.h"

static sl_buf B;
static const char *fmt(const sl_coltype *t, const void *p, sl_fmt_mode m) {
    B.len = 0;
    sl_fmt_scalar(&B, t, p, m);
    return sl_buf_cstr(&B);
}

static void test_civil_roundtrip(void) {
    /* every day from 1600 to 2400 converts back and forth */
    int64_t prev = sl_days_from_civil(1600, 1, 1) - 1;
    for (int64_t z = sl_days_from_civil(1600, 1, 1); z < sl_days_from_civil(2400, 1, 1); z++) {
        int64_t y;
        unsigned m, d;
        sl_civil_from_days(z, &y, &m, &d);
        if (sl_days_from_civil(y, m, d) != z || z != prev + 1) {
            CHECK(0);
            break;
        }
        prev = z;
    }
    CHECK_EQ_I64(sl_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_I64(sl_days_from_civil(2024, 2, 29), 19782);
    CHECK_EQ_I64(sl_days_from_civil(2000, 3, 1), 11017);
}

static void test_timestamps(void) {
    sl_coltype t = {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true};
    int64_t v = 1709251199123456; /* 2024-02-29 23:59:59.123456 */
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_TEXT), "2024-02-29T23:59:59.123456Z");
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_JSON), "\"2024-02-29T23:59:59.123456Z\"");
    v = -1; /* one microsecond before the epoch */
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_TEXT), "1969-12-31T23:59:59.999999Z");
    t.unit = SL_UNIT_MILLIS;
    v = 0;
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_TEXT), "1970-01-01T00:00:00.000Z");
    t.unit = SL_UNIT_NANOS;
    v = 1235865600000000000; /* 2009-03-01 */
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_TEXT), "2009-03-01T00:00:00.000000000Z");
    sl_coltype d = {.type = SL_I32, .logical = SL_LOG_DATE};
    int32_t days = -719162; /* 0001-01-01 */
    CHECK_EQ_STR(fmt(&d, &days, SL_FMT_TEXT), "0001-01-01");
    sl_coltype tm = {.type = SL_I64, .logical = SL_LOG_TIME, .unit = SL_UNIT_MICROS};
    int64_t us = 45296789012; /* 12:34:56.789012 */
    CHECK_EQ_STR(fmt(&tm, &us, SL_FMT_TEXT), "12:34:56.789012");
}

static void test_decimals(void) {
    sl_coltype t = {.type = SL_I32, .logical = SL_LOG_DECIMAL, .precision = 4, .scale = 2};
    int32_t v = 150;
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_JSON), "1.50");
    v = -5;
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_JSON), "-0.05");
    v = 0;
    CHECK_EQ_STR(fmt(&t, &v, SL_FMT_JSON), "0.00");
    sl_coltype t64 = {.type = SL_I64, .logical = SL_LOG_DECIMAL, .precision = 18, .scale = 0};
    int64_t w = INT64_MIN;
    CHECK_EQ_STR(fmt(&t64, &w, SL_FMT_JSON), "-9223372036854775808");
    /* 16-byte big-endian: -1 with scale 10 and 10^30 */
    sl_coltype tb = {.type = SL_BYTES, .logical = SL_LOG_DECIMAL, .precision = 38, .scale = 10, .fixed_len = 16};
    uint8_t m1[16];
    memset(m1, 0xff, 16);
    sl_str s = {(const char *)m1, 16};
    CHECK_EQ_STR(fmt(&tb, &s, SL_FMT_JSON), "-0.0000000001");
    /* 10^30 = 0x0C9F2C9CD04674EDEA40000000 */
    uint8_t big[16] = {0, 0, 0, 0x0C, 0x9F, 0x2C, 0x9C, 0xD0, 0x46, 0x74, 0xED, 0xEA, 0x40, 0, 0, 0};
    s.ptr = (const char *)big;
    CHECK_EQ_STR(fmt(&tb, &s, SL_FMT_JSON), "100000000000000000000.0000000000");
}

static void test_floats(void) {
    sl_coltype d = {.type = SL_F64};
    double vals[] = {0.1, 1.0 / 3.0, 1e300, -2.5e-308, 123456789.125, 5e-324};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        const char *s = fmt(&d, &vals[i], SL_FMT_JSON);
        CHECK(strtod(s, NULL) == vals[i]);
    }
    double x = 0.1;
    CHECK_EQ_STR(fmt(&d, &x, SL_FMT_JSON), "0.1");
    x = 2;
    CHECK_EQ_STR(fmt(&d, &x, SL_FMT_JSON), "2.0");
    x = NAN;
    CHECK_EQ_STR(fmt(&d, &x, SL_FMT_JSON), "\"NaN\"");
    CHECK_EQ_STR(fmt(&d, &x, SL_FMT_CSV), "NaN");
    x = -INFINITY;
    CHECK_EQ_STR(fmt(&d, &x, SL_FMT_JSON), "\"-Infinity\"");
    sl_coltype f = {.type = SL_F32};
    float fv = 1.1f;
    CHECK_EQ_STR(fmt(&f, &fv, SL_FMT_JSON), "1.1");
    fv = 16777217.0f; /* rounds to 16777216 */
    CHECK_EQ_STR(fmt(&f, &fv, SL_FMT_JSON), "16777216.0");
    fv = 3.4028235e38f;
    CHECK(strtof(fmt(&f, &fv, SL_FMT_JSON), NULL) == fv);
}

static void test_text(void) {
    sl_coltype t = {.type = SL_BYTES, .logical = SL_LOG_STRING};
    sl_str s = {"a\"b\\c\nd\x01", 8};
    CHECK_EQ_STR(fmt(&t, &s, SL_FMT_JSON), "\"a\\\"b\\\\c\\nd\\u0001\"");
    sl_str c = {"x,\"y\"", 5};
    CHECK_EQ_STR(fmt(&t, &c, SL_FMT_CSV), "\"x,\"\"y\"\"\"");
    sl_str e = {"", 0};
    CHECK_EQ_STR(fmt(&t, &e, SL_FMT_CSV), "\"\"");
    sl_str plain = {"plain", 5};
    CHECK_EQ_STR(fmt(&t, &plain, SL_FMT_CSV), "plain");
    sl_coltype bin = {.type = SL_BYTES};
    uint8_t raw[] = {'A', 0, 0xff, '\\', '"', '\''};
    sl_str r = {(const char *)raw, 6};
    CHECK_EQ_STR(fmt(&bin, &r, SL_FMT_TEXT), "A\\x00\\xFF\\x5C\\x22\\x27");
    sl_coltype u = {.type = SL_BYTES, .logical = SL_LOG_UUID, .fixed_len = 16};
    uint8_t id[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    sl_str us = {(const char *)id, 16};
    CHECK_EQ_STR(fmt(&u, &us, SL_FMT_TEXT), "12345678-9abc-def0-0123-456789abcdef");
    sl_coltype un = {.type = SL_I32, .logical = SL_LOG_INT, .bit_width = 32, .is_signed = false};
    int32_t neg = -1;
    CHECK_EQ_STR(fmt(&un, &neg, SL_FMT_JSON), "4294967295");
    sl_coltype h = {.type = SL_BYTES, .logical = SL_LOG_FLOAT16, .fixed_len = 2};
    uint8_t half[2] = {0x00, 0x3e}; /* 1.5 */
    sl_str hs = {(const char *)half, 2};
    CHECK_EQ_STR(fmt(&h, &hs, SL_FMT_JSON), "1.5");
}

static void test_batch_nulls(void) {
    char err[SL_ERRLEN];
    sl_batch b;
    sl_batch_init(&b);
    sl_coltype t = {.type = SL_I64};
    CHECK(sl_batch_add_col(&b, "x", &t, true, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(&b, 100, err, sizeof err) == SL_OK);
    int64_t *d = b.cols[0].data;
    for (int i = 0; i < 100; i++) d[i] = i;
    uint8_t *v = sl_col_valid_alloc(&b, 0);
    CHECK(v != NULL);
    sl_bit_clear(v, 7);
    b.nrows = 100;
    CHECK(sl_col_is_null(&b.cols[0], 7));
    CHECK(!sl_col_is_null(&b.cols[0], 8));
    sl_buf o;
    sl_buf_init(&o);
    sl_fmt_value(&o, &b.cols[0], 7, SL_FMT_JSON);
    sl_fmt_value(&o, &b.cols[0], 8, SL_FMT_CSV);
    CHECK_EQ_STR(sl_buf_cstr(&o), "null8");
    sl_buf_free(&o);
    sl_batch_reset(&b);
    CHECK(b.cols[0].valid == NULL && b.nrows == 0);
    /* retained blobs are released with the batch */
    sl_blob *blob = sl_blob_new(10);
    CHECK(sl_batch_retain(&b, blob) == SL_OK);
    CHECK_EQ_I64(blob->refs, 2);
    sl_batch_reset(&b);
    CHECK_EQ_I64(blob->refs, 1);
    sl_blob_unref(blob);
    sl_batch_free(&b);
}

static void test_err_prefix(void) {
    char err[64];
    sl_err_set(err, sizeof err, SL_ERR_CORRUPT, "bad %s", "thing");
    sl_err_prefix(err, sizeof err, "file.parquet");
    CHECK_EQ_STR(err, "file.parquet: bad thing");
    char tiny[16];
    sl_err_set(tiny, sizeof tiny, SL_ERR_CORRUPT, "0123456789abcdef");
    sl_err_prefix(tiny, sizeof tiny, "pre");
    CHECK(strlen(tiny) == sizeof tiny - 1 && strncmp(tiny, "pre: ", 5) == 0);
}

int main(void) {
    sl_buf_init(&B);
    RUN(test_civil_roundtrip);
    RUN(test_timestamps);
    RUN(test_decimals);
    RUN(test_floats);
    RUN(test_text);
    RUN(test_batch_nulls);
    RUN(test_err_prefix);
    sl_buf_free(&B);
    return T_DONE();
}
