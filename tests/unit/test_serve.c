/* test_serve.c: the HTTP server's parts -- the JSON writer (escaping, number
 * formatting, structure), query-parameter parsing and validation, the
 * Prometheus text, listen addresses, the response cache (single flight,
 * stale answers, eviction), the API over a small hand-made hot store (every
 * endpoint's numbers, ordering, filters, errors, cache invalidation by a
 * commit and by replacing the file, a missing store), and the server over
 * real sockets (status codes, keep-alive, HEAD, address errors). */
#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/health.h"
#include "plugins/redset_tables.h"
#include "schema/redset.h"
#include "serve/api.h"
#include "serve/cache.h"
#include "serve/json.h"
#include "serve/listen.h"
#include "serve/params.h"
#include "serve/prom.h"
#include "serve/serve.h"
#include "store/hot.h"
#include "t.h"
#include "util/time.h"

static char tmpdir[64];
static char err[SL_ERRLEN];

/* ------------------------------------------------------------------ JSON */

static const char *esc(sl_buf *b, const char *s, size_t n) {
    b->len = 0;
    sv_json_escape(b, s, n);
    return sl_buf_cstr(b);
}

static void test_json_escape(void) {
    sl_buf b;
    sl_buf_init(&b);
    CHECK_EQ_STR(esc(&b, "plain", 5), "\"plain\"");
    CHECK_EQ_STR(esc(&b, "a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    CHECK_EQ_STR(esc(&b, "\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
    CHECK_EQ_STR(esc(&b, "\x01\x1f\x7f", 3), "\"\\u0001\\u001f\x7f\"");
    CHECK_EQ_STR(esc(&b, "a\0b", 3), "\"a\\u0000b\"");
    /* valid UTF-8 passes through: 2, 3 and 4 byte sequences */
    CHECK_EQ_STR(esc(&b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* invalid UTF-8 becomes U+FFFD, one per bad byte */
    CHECK_EQ_STR(esc(&b, "\xff", 1), "\"\xef\xbf\xbd\"");
    CHECK_EQ_STR(esc(&b, "x\xe2\x82", 3), "\"x\xef\xbf\xbd\xef\xbf\xbd\"");    /* truncated */
    CHECK_EQ_STR(esc(&b, "\xc0\xaf", 2), "\"\xef\xbf\xbd\xef\xbf\xbd\"");      /* overlong */
    CHECK_EQ_STR(esc(&b, "\xed\xa0\x80", 3), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
    CHECK_EQ_STR(esc(&b, "\xf4\x90\x80\x80", 4),
                 "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* > U+10FFFF */
    CHECK_EQ_STR(esc(&b, "", 0), "\"\"");
    sl_buf_free(&b);
}

static const char *dbl(char *t, double v) {
    size_t n = sv_fmt_double(t, v);
    t[n] = '\0';
    return t;
}

static void test_json_numbers(void) {
    char t[32];
    CHECK_EQ_STR(dbl(t, 0.1), "0.1");
    CHECK_EQ_STR(dbl(t, 17.0), "17");
    CHECK_EQ_STR(dbl(t, -2.5), "-2.5");
    CHECK_EQ_STR(dbl(t, 0.0), "0");
    CHECK_EQ_STR(dbl(t, -0.0), "-0");
    CHECK_EQ_STR(dbl(t, 1e300), "1e+300");
    CHECK_EQ_STR(dbl(t, 1.0 / 3), "0.3333333333333333");
    CHECK_EQ_STR(dbl(t, 0.1 + 0.2), "0.30000000000000004");
    CHECK_EQ_STR(dbl(t, 123456789012345678.0), "1.2345678901234568e+17");
    CHECK_EQ_STR(dbl(t, 5e-324), "4.94065645841247e-324"); /* 15 digits already read back */
    /* every output reads back exactly */
    double vs[] = {1.7976931348623157e308, 2.2250738585072014e-308, 1709269200.5, 0.2, 4924704433.64568};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) CHECK(strtod(dbl(t, vs[i]), NULL) == vs[i]);

    sl_buf b;
    sl_buf_init(&b);
    sv_json j;
    sv_json_init(&j, &b);
    sv_json_obj(&j);
    sv_json_kf64(&j, "nan", NAN);
    sv_json_kf64(&j, "inf", INFINITY);
    sv_json_kf64(&j, "ninf", -INFINITY);
    sv_json_ki64(&j, "big", INT64_MIN);
    sv_json_kbool(&j, "t", true);
    sv_json_kstr(&j, "null", NULL);
    sv_json_key(&j, "a");
    sv_json_arr(&j);
    sv_json_i64(&j, 1);
    sv_json_arr(&j);
    sv_json_arr_end(&j);
    sv_json_obj(&j);
    sv_json_obj_end(&j);
    sv_json_raw(&j, "{\"x\":1}", 7);
    sv_json_arr_end(&j);
    sv_json_obj_end(&j);
    CHECK(sv_json_finish(&j, err, sizeof err) == SL_OK);
    CHECK_EQ_STR(sl_buf_cstr(&b), "{\"nan\":null,\"inf\":null,\"ninf\":null,\"big\":-9223372036854775808,\"t\":true,"
                                  "\"null\":null,\"a\":[1,[],{},{\"x\":1}]}");
    sl_buf_free(&b);
}

static void test_json_misuse(void) {
    sl_buf b;
    sv_json j;
    /* a value without a key inside an object */
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    sv_json_obj(&j);
    sv_json_i64(&j, 1);
    sv_json_obj_end(&j);
    CHECK(sv_json_finish(&j, err, sizeof err) != SL_OK);
    sl_buf_free(&b);
    /* unclosed */
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    sv_json_arr(&j);
    CHECK(sv_json_finish(&j, err, sizeof err) != SL_OK);
    sl_buf_free(&b);
    /* mismatched close, key in an array, two top-level values, empty document */
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    sv_json_arr(&j);
    sv_json_obj_end(&j);
    CHECK(sv_json_finish(&j, err, sizeof err) != SL_OK);
    sl_buf_free(&b);
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    sv_json_arr(&j);
    sv_json_key(&j, "k");
    CHECK(sv_json_finish(&j, err, sizeof err) != SL_OK);
    sl_buf_free(&b);
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    sv_json_i64(&j, 1);
    sv_json_i64(&j, 2);
    CHECK(sv_json_finish(&j, err, sizeof err) != SL_OK);
    sl_buf_free(&b);
    sl_buf_init(&b);
    sv_json_init(&j, &b);
    CHECK(sv_json_finish(&j, err, sizeof err) != SL_OK);
    /* too deep */
    for (int i = 0; i < SV_JSON_MAX_DEPTH + 2; i++) sv_json_arr(&j);
    CHECK(sv_json_finish(&j, err, sizeof err) != SL_OK);
    sl_buf_free(&b);
}

/* ---------------------------------------------------------------- params */

/* Parse "k=v&k2=v2" (no decoding; a pair without '=' has a NULL value). */
static size_t split_query(const char *q, sv_kv *kv, size_t max, char *store) {
    size_t n = 0;
    if (!q || !*q) return 0;
    strcpy(store, q);
    char *save = NULL;
    for (char *tok = strtok_r(store, "&", &save); tok && n < max; tok = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(tok, '=');
        kv[n].key = tok;
        if (eq) {
            *eq = '\0';
            kv[n].val = eq + 1;
            kv[n].vlen = strlen(eq + 1);
        } else {
            kv[n].val = NULL;
            kv[n].vlen = 0;
        }
        kv[n].klen = strlen(tok);
        n++;
    }
    return n;
}

static const sv_pspec SPEC_ALL = {"/api/v1/test", "test_hourly", 0x3ff, 50, 1000};
static const sv_pspec SPEC_RANGE = {"/api/v1/compile", "compile_joins_hourly, compile_corr_hourly",
                                    SV_P_RANGE | SV_PB(SV_P_FINAL), 0, 0};

static sl_err parse(sv_params *p, const sv_pspec *spec, const char *q) {
    sv_kv kv[32];
    char store[4096];
    size_t n = split_query(q, kv, 32, store);
    return sv_params_parse(p, spec, kv, n, err, sizeof err);
}

#define T2024_03_01 INT64_C(1709251200)

static void test_params_time(void) {
    int64_t v;
    struct {
        const char *s;
        int64_t want;
    } ok[] = {
        {"2024-03-01", T2024_03_01},
        {"2024-03-01T05", T2024_03_01 + 5 * 3600},
        {"2024-03-01T05:30", T2024_03_01 + 5 * 3600 + 1800},
        {"2024-03-01T05:30:15Z", T2024_03_01 + 5 * 3600 + 1815},
        {"2024-03-01 05:30:15.123456", T2024_03_01 + 5 * 3600 + 1815},
        {"2024-03-01Z", T2024_03_01},
        {"1709251200", T2024_03_01},
        {"0", 0},
        {"1970-01-01", 0},
        {"1969-12-31T23", -3600},
        {"2024-02-29", T2024_03_01 - 86400},
        {"2000-02-29", 951782400},
        {"0000-01-01", INT64_C(-62167219200)},
        {"9999-12-31T23:59:59", INT64_C(253402300799)},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        v = -1;
        sl_err e = sv_parse_time("from", ok[i].s, strlen(ok[i].s), &v, NULL, err, sizeof err);
        if (e != SL_OK || v != ok[i].want) fprintf(stderr, "  time '%s': %s %lld\n", ok[i].s, err, (long long)v);
        CHECK(e == SL_OK && v == ok[i].want);
    }
    const char *bad[] = {"yesterday", "2024-13-01", "2024-02-30", "2023-02-29", "1900-02-29", "2024-03-01T24",
                         "2024-03-01T05:60", "2024-03-01T05:00:60", "", "2024-3-1", "2024-03-01T5",
                         "2024-03-01T05:00:00.", "2024-03-01T05:00:00.1234567890",
                         "-5", "1e9", " 2024-03-01", "2024-03-01ZZ", "253402300800", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sl_err e = sv_parse_time("to", bad[i], strlen(bad[i]), &v, NULL, err, sizeof err);
        if (e == SL_OK) fprintf(stderr, "  time '%s' accepted\n", bad[i]);
        CHECK(e == SL_ERR_ARG && !strncmp(err, "to: ", 4));
    }
    CHECK(sv_parse_time("from", "yesterday", 9, &v, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "from: expected YYYY-MM-DD[THH[:MM[:SS]]][Z|+HH:MM], epoch seconds or a relative time (now, "
                      "now-24h, -7d), got 'yesterday'");
    /* offsets and relative times */
    CHECK(sv_parse_time("from", "2024-03-01T05:00:00+01:00", 25, &v, NULL, err, sizeof err) == SL_OK &&
          v == T2024_03_01 + 4 * 3600);
    CHECK(sv_parse_time("from", "2024-03-01T05:00:00-0130", 24, &v, NULL, err, sizeof err) == SL_OK &&
          v == T2024_03_01 + 6 * 3600 + 1800);
    bool rel = false;
    CHECK(sv_parse_time("from", "now-24h", 7, &v, &rel, err, sizeof err) == SL_OK && rel && v == -86400);
    CHECK(sv_parse_time("from", "-7d", 3, &v, &rel, err, sizeof err) == SL_OK && rel && v == -7 * 86400);
    CHECK(sv_parse_time("from", "now", 3, &v, &rel, err, sizeof err) == SL_OK && rel && v == 0);
    CHECK(sv_parse_time("from", "now+2w", 6, &v, &rel, err, sizeof err) == SL_OK && rel && v == 14 * 86400);
    CHECK(sv_parse_time("from", "now-24h", 7, &v, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK(sv_parse_time("from", "now-24", 6, &v, &rel, err, sizeof err) == SL_ERR_ARG);
    CHECK(sv_parse_time("from", "now-h", 5, &v, &rel, err, sizeof err) == SL_ERR_ARG);
    CHECK(sv_parse_time("from", "2024-02-30", 10, &v, NULL, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "from: '2024-02-30' is not a valid date and time");

    /* formatting and the calendar */
    char t[20];
    CHECK(sv_fmt_time(t, T2024_03_01 + 5 * 3600 + 7));
    CHECK_EQ_STR(t, "2024-03-01 05:00:07");
    CHECK(sv_fmt_time(t, -1));
    CHECK_EQ_STR(t, "1969-12-31 23:59:59");
    CHECK(sv_fmt_time(t, INT64_C(-62167219200)));
    CHECK_EQ_STR(t, "0000-01-01 00:00:00");
    CHECK(!sv_fmt_time(t, INT64_C(253402300800)));
    CHECK_EQ_I64(sl_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_I64(sl_days_from_civil(2000, 3, 1), 11017);
    for (int64_t d = -800000; d < 3000000; d += 997) { /* round trip over 8000 years */
        int64_t y;
        unsigned m, dd;
        sl_civil_from_days(d, &y, &m, &dd);
        if (sl_days_from_civil(y, m, dd) != d) {
            CHECK(0);
            break;
        }
    }
}

static void test_params_parse(void) {
    sv_params p;
    CHECK(parse(&p, &SPEC_ALL, "") == SL_OK);
    CHECK(p.given == 0 && p.final == -1 && p.limit == 50 && p.offset == 0 && p.k == 10);
    CHECK(parse(&p, &SPEC_ALL, "from=2024-03-01T05:30&to=2024-03-01T07:10&source=serverless&final=1&limit=1000&"
                               "offset=10000000&k=100&query_type=select&reason=bad_timestamp") == SL_OK);
    CHECK_EQ_I64(p.from, T2024_03_01 + 5 * 3600); /* floored */
    CHECK_EQ_I64(p.to, T2024_03_01 + 8 * 3600);   /* rounded up: hour 07 overlaps */
    CHECK_EQ_STR(p.source, "serverless");
    CHECK_EQ_STR(p.query_type, "select");
    CHECK_EQ_STR(p.reason, "bad_timestamp");
    CHECK(p.final == 1 && p.limit == 1000 && p.offset == 10000000 && p.k == 100);
    CHECK(parse(&p, &SPEC_ALL, "final=all") == SL_OK && p.final == -1);
    CHECK(parse(&p, &SPEC_ALL, "final=0") == SL_OK && p.final == 0);
    sv_kv empty[2] = {{"", 0, NULL, 0}, {"", 0, "", 0}}; /* "?&" */
    CHECK(sv_params_parse(&p, &SPEC_ALL, empty, 2, err, sizeof err) == SL_OK && p.given == 0);
    CHECK(parse(&p, &SPEC_ALL, "=3") == SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown parameter '' (/api/v1/test takes: from, to, source, instance, query_type, final, limit, "
                      "offset, k, reason)");
    CHECK(parse(&p, &SPEC_ALL, "to=2024-03-01T05") == SL_OK && p.to == T2024_03_01 + 5 * 3600);

    /* instances: sorted, distinct, int32, at most 200 */
    CHECK(parse(&p, &SPEC_ALL, "instance=3,1,3,-7") == SL_OK);
    CHECK(p.ninstances == 3 && p.instances[0] == -7 && p.instances[1] == 1 && p.instances[2] == 3);
    CHECK(parse(&p, &SPEC_ALL, "instance=2147483647") == SL_OK && p.instances[0] == 2147483647);
    char q[4096] = "instance=";
    for (int i = 0; i < 200; i++) sprintf(q + strlen(q), "%s%d", i ? "," : "", i);
    CHECK(parse(&p, &SPEC_ALL, q) == SL_OK && p.ninstances == 200);
    strcat(q, ",200");
    CHECK(parse(&p, &SPEC_ALL, q) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "instance: more than 200 instances");

    struct {
        const char *q, *msg;
    } bad[] = {
        {"foo=1", "unknown parameter 'foo' (/api/v1/test takes: from, to, source, instance, query_type, final, limit, "
                  "offset, k, reason)"},
        {"from=2024-03-01&from=2024-03-02", "from: given more than once"},
        {"final", "final: missing value (final=...)"},
        {"source=", "source: empty value"},
        {"final=yes", "final: expected 1, 0 or all, got 'yes'"},
        {"limit=0", "limit: expected an integer from 1 to 1000, got '0'"},
        {"limit=1001", "limit: expected an integer from 1 to 1000, got '1001'"},
        {"limit=+5", "limit: expected an integer from 1 to 1000, got '+5'"},
        {"limit=1e3", "limit: expected an integer from 1 to 1000, got '1e3'"},
        {"offset=-1", "offset: expected an integer from 0 to 10000000, got '-1'"},
        {"offset=10000001", "offset: expected an integer from 0 to 10000000, got '10000001'"},
        {"k=101", "k: expected an integer from 1 to 100, got '101'"},
        {"k=0", "k: expected an integer from 1 to 100, got '0'"},
        {"instance=abc", "instance: expected an integer or a comma-separated list of up to 200 integers, got 'abc'"},
        {"instance=1,,2", "instance: expected an integer or a comma-separated list of up to 200 integers, got '1,,2'"},
        {"instance=1,", "instance: expected an integer or a comma-separated list of up to 200 integers, got '1,'"},
        {"instance=2147483648",
         "instance: expected an integer or a comma-separated list of up to 200 integers, got '2147483648'"},
        {"instance=1%202", "instance: expected an integer or a comma-separated list of up to 200 integers, got '1%202'"},
        {"reason=Bad-Row", "reason: expected a bad-row reason like 'malformed' (a-z, 0-9, _; up to 64 bytes), got "
                           "'Bad-Row'"},
        {"to=2024-03-01&from=2024-03-02", "to: must be after from (from 2024-03-02 00:00:00, to 2024-03-01 00:00:00)"},
        {"from=2024-03-01&to=2024-03-01", "to: must be after from (from 2024-03-01 00:00:00, to 2024-03-01 00:00:00)"},
        {"from=2023-01-01&to=2024-03-01", "to: the range is longer than 400 days (10200 hours)"},
        {"source=0123456789012345678901234567890123456789012345678901234567890123456789",
         "source: longer than 64 bytes: '0123456789012345678901234567890123456789012345678901234567890123...'"},
        {"query_type=012345678901234567890123456789012", "query_type: longer than 32 bytes: "
                                                         "'012345678901234567890123456789012'"},
        {"source=a\tb", "source: contains a control character: 'a?b'"},
        {"source=\xff", "source: not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        sl_err e = parse(&p, &SPEC_ALL, bad[i].q);
        if (e != SL_ERR_ARG || strcmp(err, bad[i].msg) != 0)
            fprintf(stderr, "  query '%s': got '%s'\n   expected '%s'\n", bad[i].q, err, bad[i].msg);
        CHECK(e == SL_ERR_ARG && !strcmp(err, bad[i].msg));
    }
    /* exactly 400 days is allowed */
    CHECK(parse(&p, &SPEC_ALL, "from=2024-01-01&to=2025-02-04") == SL_OK);
    /* a NUL byte inside a value */
    sv_kv kv = {"source", 6, "a\0b", 3};
    CHECK(sv_params_parse(&p, &SPEC_ALL, &kv, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "source: contains a NUL byte");
    /* parameters an endpoint does not take */
    CHECK(parse(&p, &SPEC_RANGE, "instance=1") == SL_ERR_ARG);
    CHECK_EQ_STR(err, "instance: /api/v1/compile cannot filter by instance (compile_joins_hourly, "
                      "compile_corr_hourly: no instance_id column)");
    CHECK(parse(&p, &SPEC_RANGE, "source=a") == SL_ERR_ARG);
    CHECK(strstr(err, "source: /api/v1/compile cannot filter by source") != NULL);
    CHECK(parse(&p, &SPEC_RANGE, "limit=5") == SL_ERR_ARG);
    CHECK_EQ_STR(err, "limit: not a parameter of /api/v1/compile");
    sv_pspec none = {"/api/v1/status", "pipeline_health", 0, 0, 0};
    CHECK(parse(&p, &none, "x=1") == SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown parameter 'x' (/api/v1/status takes no parameters)");
}

static void test_params_range(void) {
    sv_params p;
    int64_t f, t;
    bool empty;
    int64_t newest = T2024_03_01 + 7 * 3600;
    CHECK(parse(&p, &SPEC_ALL, "") == SL_OK);
    CHECK(sv_range_resolve(&p, true, newest, &f, &t, &empty, err, sizeof err) == SL_OK && !empty);
    CHECK(t == newest + 3600 && f == t - 7 * 86400);
    CHECK(sv_range_resolve(&p, false, 0, &f, &t, &empty, err, sizeof err) == SL_OK && empty);
    CHECK(parse(&p, &SPEC_ALL, "to=2024-03-10") == SL_OK);
    CHECK(sv_range_resolve(&p, true, newest, &f, &t, &empty, err, sizeof err) == SL_OK);
    CHECK(t == T2024_03_01 + 9 * 86400 && f == T2024_03_01 + 2 * 86400);
    CHECK(parse(&p, &SPEC_ALL, "from=2024-02-01") == SL_OK);
    CHECK(sv_range_resolve(&p, true, newest, &f, &t, &empty, err, sizeof err) == SL_OK);
    CHECK(f == T2024_03_01 - 29 * 86400 && t == newest + 3600);
    CHECK(parse(&p, &SPEC_ALL, "from=2024-04-01") == SL_OK); /* after the data: one hour */
    CHECK(sv_range_resolve(&p, true, newest, &f, &t, &empty, err, sizeof err) == SL_OK);
    CHECK(t == f + 3600);
    CHECK(parse(&p, &SPEC_ALL, "from=2022-01-01") == SL_OK);
    CHECK(sv_range_resolve(&p, true, newest, &f, &t, &empty, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "from: the range from 2022-01-01 00:00:00 to the end of the data (2024-03-01 08:00:00) is "
                      "longer than 400 days") != NULL);
    /* relative: to the newest hour + 1 h */
    CHECK(parse(&p, &SPEC_ALL, "from=now-1d&to=now") == SL_OK);
    CHECK(sv_range_resolve(&p, true, newest, &f, &t, &empty, err, sizeof err) == SL_OK);
    CHECK(t == newest + 3600 && f == t - 86400);
    CHECK(parse(&p, &SPEC_ALL, "from=now&to=now-1h") == SL_OK);
    CHECK(sv_range_resolve(&p, true, newest, &f, &t, &empty, err, sizeof err) == SL_ERR_ARG);
}

/* ------------------------------------------------------------ Prometheus */

static void test_prom(void) {
    size_t fl;
    CHECK(sv_prom_split("sluice_events_read_total", &fl) && fl == 24);
    CHECK(sv_prom_split("a:b_c{x=\"1\",y_2=\"q\\\"\\\\\\n\"}", &fl) && fl == 5);
    CHECK(sv_prom_split("x{}", &fl) && fl == 1);
    const char *bad[] = {"", "1abc", "a-b", "a{", "a{x=1}", "a{x=\"1\"", "a{x=\"1\"}y", "a{x=\"1\",}", "a{1x=\"1\"}",
                         "a{x=\"\\q\"}", "a b", "a{x=\"1\"\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        bool ok = sv_prom_split(bad[i], &fl);
        if (ok) fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(!ok);
    }
    sl_buf b;
    sl_buf_init(&b);
    sv_prom_value(&b, NAN);
    sl_buf_putc(&b, ' ');
    sv_prom_value(&b, INFINITY);
    sl_buf_putc(&b, ' ');
    sv_prom_value(&b, -INFINITY);
    sl_buf_putc(&b, ' ');
    sv_prom_value(&b, 1e-7);
    sl_buf_putc(&b, ' ');
    sv_prom_value(&b, 20191);
    CHECK_EQ_STR(sl_buf_cstr(&b), "NaN +Inf -Inf 1e-07 20191");
    b.len = 0;

    hr_health_row rows[] = {
        {"sluice_running", 1, false, 0},
        {"sluice_events_bad_total{reason=\"malformed\"}", 9, false, 0},
        {"sluice_watermark_seconds", NAN, true, 0},
        {"sluice_events_bad_total{reason=\"bad_timestamp\"}", 7, false, 0},
        {"bad name", 1, false, 0},
        {"sluice_http_requests_total{code=\"200\"}", 5, false, 0},
        {"sluice_health_updated_timestamp_seconds", 5, false, 0},
        {"custom_total", 2.5, false, 0},
    };
    size_t skipped = sv_prom_health(&b, rows, sizeof rows / sizeof *rows);
    CHECK_EQ_I64(skipped, 3);
    CHECK_EQ_STR(sl_buf_cstr(&b),
                 "# skipped pipeline_health row, not a valid metric name: bad name\n"
                 "# skipped pipeline_health row, not a valid metric name: sluice_http_requests_total{code=\"200\"}\n"
                 "# skipped pipeline_health row, not a valid metric name: sluice_health_updated_timestamp_seconds\n"
                 "# HELP custom_total pipeline_health value custom_total (docs/pipeline.md).\n"
                 "# TYPE custom_total counter\n"
                 "custom_total 2.5\n"
                 "# HELP sluice_events_bad_total Bad rows quarantined, by reason.\n"
                 "# TYPE sluice_events_bad_total counter\n"
                 "sluice_events_bad_total{reason=\"bad_timestamp\"} 7\n"
                 "sluice_events_bad_total{reason=\"malformed\"} 9\n"
                 "# HELP sluice_running 1 while the pipeline runs, 0 after it ended.\n"
                 "# TYPE sluice_running gauge\n"
                 "sluice_running 1\n"
                 "# HELP sluice_watermark_seconds The watermark W, epoch seconds.\n"
                 "# TYPE sluice_watermark_seconds gauge\n"
                 "sluice_watermark_seconds NaN\n");
    b.len = 0;
    /* families whose names share a prefix stay apart and sorted */
    hr_health_row pre[] = {{"a_total", 1, false, 0}, {"a", 2, false, 0}, {"a_total{x=\"1\"}", 3, false, 0}};
    sv_prom_health(&b, pre, 3);
    const char *s = sl_buf_cstr(&b);
    CHECK(strstr(s, "# TYPE a gauge\na 2\n# HELP a_total") != NULL);
    CHECK(strstr(s, "# TYPE a_total counter\na_total 1\na_total{x=\"1\"} 3\n") != NULL);
    b.len = 0;

    sv_prom_server_stats st;
    memset(&st, 0, sizeof st);
    st.ncodes = 2;
    st.codes[0] = 200;
    st.code_count[0] = 10;
    st.codes[1] = 503;
    st.code_count[1] = 2;
    st.seconds_total = 0.25;
    for (int i = 0; i < SV_PROM_NBUCKETS; i++) st.bucket[i] = (uint64_t)(i < 3 ? 5 : 12);
    st.count = 12;
    st.cache_hits = 7;
    st.store_changes = 3;
    sv_prom_server(&b, &st);
    s = sl_buf_cstr(&b);
    CHECK(strstr(s, "# TYPE sluice_http_requests_total counter\nsluice_http_requests_total{code=\"200\"} 10\n"
                    "sluice_http_requests_total{code=\"503\"} 2\n") != NULL);
    CHECK(strstr(s, "sluice_http_request_seconds_total 0.25\n") != NULL);
    CHECK(strstr(s, "# TYPE sluice_http_request_duration_seconds histogram\n") != NULL);
    CHECK(strstr(s, "sluice_http_request_duration_seconds_bucket{le=\"0.0005\"} 5\n") != NULL);
    CHECK(strstr(s, "sluice_http_request_duration_seconds_bucket{le=\"2.5\"} 12\n"
                    "sluice_http_request_duration_seconds_bucket{le=\"+Inf\"} 12\n"
                    "sluice_http_request_duration_seconds_sum 0.25\n"
                    "sluice_http_request_duration_seconds_count 12\n") != NULL);
    CHECK(strstr(s, "sluice_http_cache_requests_total{outcome=\"hit\"} 7\n") != NULL);
    CHECK(strstr(s, "sluice_http_store_changes_total 3\n") != NULL);
    /* every family's HELP and TYPE are its registry entry's */
    size_t nfam = 0;
    for (const char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char name[96];
        if (sscanf(l, "# HELP %95s", name) != 1) continue;
        const hl_def *d = hl_find(name, strlen(name));
        CHECK(d != NULL && d->id >= HL_N);
        if (!d) continue;
        char want[512];
        snprintf(want, sizeof want, "# HELP %s %s\n# TYPE %s %s\n", d->name, d->help, d->name, hl_type_name(d->type));
        CHECK(!strncmp(l, want, strlen(want)));
        nfam++;
    }
    CHECK_EQ_I64(nfam, HL_HTTP_STORE_CHANGES - HL_HTTP_REQUESTS + 1);
    /* every line is a comment or "name[{labels}] value" */
    char *copy = strdup(s), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') continue;
        char *sp = strrchr(line, ' ');
        CHECK(sp != NULL);
        if (!sp) continue;
        *sp = '\0';
        CHECK(sv_prom_split(line, &fl));
    }
    free(copy);
    b.len = 0;
    sv_prom_gauge(&b, HL_HTTP_STORE_UP, 1);
    CHECK_EQ_STR(sl_buf_cstr(&b), "# HELP sluice_http_store_up 1 when the hot store could be read for this scrape, else 0.\n"
                                  "# TYPE sluice_http_store_up gauge\nsluice_http_store_up 1\n");
    /* a pipeline family takes the registry's HELP and TYPE (not a guess from the name) */
    b.len = 0;
    hr_health_row sink[] = {{"sluice_sink_errors_total{store=\"hot\"}", 0, false, 0}};
    sv_prom_health(&b, sink, 1);
    CHECK_EQ_STR(sl_buf_cstr(&b), "# HELP sluice_sink_errors_total Output write errors.\n"
                                  "# TYPE sluice_sink_errors_total counter\n"
                                  "sluice_sink_errors_total{store=\"hot\"} 0\n");
    sl_buf_free(&b);
}

/* The registry: one entry per id, found by name; a counter's name ends in
 * _total and only a counter's does (what the _total rule of /metrics assumes
 * for families the registry does not know); the series names. */
static void test_registry(void) {
    for (int i = 0; i < HL_NALL; i++) {
        const hl_def *d = &hl_defs[i];
        size_t n = d->name ? strlen(d->name) : 0;
        CHECK(d->id == (hl_id)i && n > 0 && d->help && *d->help);
        CHECK(hl_find(d->name, n) == d);
        bool total = n > 6 && !strcmp(d->name + n - 6, "_total");
        if (total != (d->type == HL_COUNTER)) fprintf(stderr, "  %s: type %s\n", d->name, hl_type_name(d->type));
        CHECK(total == (d->type == HL_COUNTER));
    }
    CHECK(hl_find("sluice_nope", 11) == NULL);
    sl_buf b;
    sl_buf_init(&b);
    hl_name(&b, HL_EVENTS_BAD, "a\"b");
    CHECK_EQ_STR(sl_buf_cstr(&b), "sluice_events_bad_total{reason=\"a\\\"b\"}");
    b.len = 0;
    hl_name(&b, HL_RUNNING, "ignored");
    CHECK_EQ_STR(sl_buf_cstr(&b), "sluice_running");
    sl_buf_free(&b);
    /* the pipeline cannot put the server's families */
    hl_snap sn;
    hl_snap_init(&sn);
    hl_put(&sn, HL_HTTP_REQUESTS, "200", 1);
    hl_put(&sn, HL_EVENTS_READ, NULL, 2);
    CHECK(sn.n == 1 && hl_get(&sn, HL_EVENTS_READ, NULL) == 2);
    hl_snap_free(&sn);
}

/* sluice serve's flags: the option table (defaults = sv_opts_default). */
static void test_opts(void) {
    sv_opts d = sv_opts_default();
    CHECK(d.listen && !strcmp(d.listen, "127.0.0.1:8080") && d.threads == 4 && d.cache_mb == 64 && !d.allow_any &&
          !d.quiet && !d.hot_path && !d.cold_dir);
    sv_opts o = sv_opts_default();
    const sl_opt *const tables[] = {sv_opts_table, NULL};
    void *const objs[] = {&o};
    sl_opt_cmd cmd = {.name = "serve", .tables = tables, .objs = objs};
    char *argv[] = {"--hot", "h.db", "--cold=c", "--listen", "[::1]:0", "--listen-any", "--threads", "9",
                    "--cache-mb", "128", "-q"};
    CHECK(sl_opt_parse_argv(&cmd, 11, argv, err, sizeof err) == SL_OK);
    CHECK(!strcmp(o.hot_path, "h.db") && !strcmp(o.cold_dir, "c") && !strcmp(o.listen, "[::1]:0") && o.allow_any &&
          o.threads == 9 && o.cache_mb == 128 && o.quiet);
    char *bad[] = {"--threads", "0"};
    CHECK(sl_opt_parse_argv(&cmd, 2, bad, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "--threads needs an integer in 1..64, got '0'");
    char *bad2[] = {"--cache-mb", "4097"};
    CHECK(sl_opt_parse_argv(&cmd, 2, bad2, err, sizeof err) == SL_ERR_ARG);
    char *help[] = {"--help"};
    CHECK(sl_opt_parse_argv(&cmd, 1, help, err, sizeof err) == SL_OPT_HELP);
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_help(sv_opts_table, "", &b);
    const char *h = sl_buf_cstr(&b);
    CHECK(strstr(h, "  --hot FILE ") && strstr(h, "  --listen-any ") && strstr(h, "127.0.0.1:8080)") && /* "(default" may end the line before */
          strstr(h, "  --cache-mb N ") && strstr(h, "  --quiet, -q "));
    sl_buf_free(&b);
}

/* ---------------------------------------------------------------- listen */

static void test_listen(void) {
    sv_listen l;
    CHECK(sv_listen_parse("127.0.0.1:8080", &l, err, sizeof err) == SL_OK && l.loopback && l.port == 8080);
    CHECK_EQ_STR(l.host, "127.0.0.1");
    CHECK(sv_listen_parse("127.9.9.9:0", &l, err, sizeof err) == SL_OK && l.loopback && l.port == 0);
    CHECK(sv_listen_parse("localhost:1", &l, err, sizeof err) == SL_OK && l.loopback);
    CHECK(sv_listen_parse("0.0.0.0:80", &l, err, sizeof err) == SL_OK && !l.loopback);
    CHECK(sv_listen_parse("10.1.2.3:65535", &l, err, sizeof err) == SL_OK && !l.loopback && l.port == 65535);
    CHECK(sv_listen_parse("[::1]:9", &l, err, sizeof err) == SL_OK && l.loopback);
    CHECK_EQ_STR(l.host, "[::1]");
    CHECK(sv_listen_parse("[::]:9", &l, err, sizeof err) == SL_OK && !l.loopback);
    CHECK(sv_listen_parse("[::ffff:127.0.0.1]:9", &l, err, sizeof err) == SL_OK && l.loopback);
    /* an IPv4-mapped address listens on its IPv4 address (an IPv6-only socket cannot bind it) */
    CHECK_EQ_STR(l.host, "127.0.0.1");
    CHECK(l.ss.ss_family == AF_INET && l.len == sizeof(struct sockaddr_in));
    int fd = -1, port = 0;
    CHECK(sv_listen_parse("[::ffff:127.0.0.1]:0", &l, err, sizeof err) == SL_OK);
    CHECK(sv_listen_open(&l, &fd, &port, err, sizeof err) == SL_OK && port > 0);
    if (fd >= 0) close(fd);
    fd = -1;
    CHECK(sv_listen_parse("[::1]:0", &l, err, sizeof err) == SL_OK);
    if (sv_listen_open(&l, &fd, &port, err, sizeof err) == SL_OK) close(fd); /* no IPv6 on the host: skipped */
    CHECK(sv_listen_parse("[::ffff:10.0.0.1]:9", &l, err, sizeof err) == SL_OK && !l.loopback);
    const char *bad[] = {"", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                         "127.0.0.1:80a", "::1:80", "[::1:80", "[zz]:80", "example.com:80", "256.0.0.1:1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sl_err e = sv_listen_parse(bad[i], &l, err, sizeof err);
        if (e == SL_OK) fprintf(stderr, "  accepted '%s'\n", bad[i]);
        CHECK(e == SL_ERR_ARG && strstr(err, "listen address") != NULL);
    }
}

/* ----------------------------------------------------------------- cache */

typedef struct cctx {
    int calls;
    int status;
    const char *text;
    int sleep_ms;
    pthread_mutex_t mu;
} cctx;

static sv_body *compute_fn(void *p) {
    cctx *c = p;
    pthread_mutex_lock(&c->mu);
    c->calls++;
    const char *text = c->text;
    int st = c->status, ms = c->sleep_ms;
    pthread_mutex_unlock(&c->mu);
    if (ms) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return sv_body_new(st, text, strlen(text));
}
static void *clone_fn(const void *p) { return (void *)p; } /* shared: the tests own it */
static void release_fn(void *p) { (void)p; }
static const sv_cache_fns FNS = {compute_fn, clone_fn, release_fn};

typedef struct getter {
    sv_cache *cache;
    cctx *c;
    uint64_t version;
    sv_cache_how how;
    char got[32];
} getter;

static void *get_thread(void *p) {
    getter *g = p;
    sv_body *b = sv_cache_get(g->cache, "k", 1, g->version, false, g->c, &g->how);
    snprintf(g->got, sizeof g->got, "%s", b ? b->data : "(null)");
    sv_body_unref(b);
    return NULL;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void set_text(cctx *c, const char *t, int ms) {
    pthread_mutex_lock(&c->mu);
    c->text = t;
    c->sleep_ms = ms;
    pthread_mutex_unlock(&c->mu);
}

static void test_cache(void) {
    cctx c = {0, 200, "one", 0, PTHREAD_MUTEX_INITIALIZER};
    sv_cache *ca = sv_cache_new(1 << 20, 0, 0, &FNS);
    sv_cache_how how;
    sv_body *b = sv_cache_get(ca, "k", 1, 1, false, &c, &how);
    CHECK(b && !strcmp(b->data, "one") && how == SV_CACHE_MISS && c.calls == 1);
    sv_body_unref(b);
    b = sv_cache_get(ca, "k", 1, 1, false, &c, &how);
    CHECK(b && how == SV_CACHE_HIT && c.calls == 1);
    sv_body_unref(b);
    c.text = "two";
    b = sv_cache_get(ca, "k", 1, 2, false, &c, &how); /* a newer store version; no stale answers here */
    CHECK(b && !strcmp(b->data, "two") && how == SV_CACHE_MISS && c.calls == 2);
    sv_body_unref(b);
    b = sv_cache_get(ca, "k", 1, 1, false, &c, &how); /* an older version: the newer answer is fine */
    CHECK(b && !strcmp(b->data, "two") && how == SV_CACHE_HIT);
    sv_body_unref(b);
    /* errors are not kept */
    c.status = 500;
    c.text = "bad";
    b = sv_cache_get(ca, "e", 1, 1, false, &c, &how);
    CHECK(b && b->status == 500 && c.calls == 3);
    sv_body_unref(b);
    b = sv_cache_get(ca, "e", 1, 1, false, &c, &how);
    CHECK(b && how == SV_CACHE_MISS && c.calls == 4);
    sv_body_unref(b);
    sv_cache_stats st;
    sv_cache_get_stats(ca, &st);
    CHECK(st.entries == 1 && st.hits == 2 && st.misses == 4);

    /* single flight: 8 threads asking at once compute once */
    c.status = 200;
    c.text = "three";
    c.sleep_ms = 100;
    c.calls = 0;
    getter g[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        g[i] = (getter){ca, &c, 3, SV_CACHE_NONE, ""};
        pthread_create(&th[i], NULL, get_thread, &g[i]);
    }
    int misses = 0, waits = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_STR(g[i].got, "three");
        misses += g[i].how == SV_CACHE_MISS;
        waits += g[i].how == SV_CACHE_WAIT;
    }
    CHECK(c.calls == 1 && misses == 1 && waits == 7);
    sv_cache_free(ca);

    /* stale-while-revalidate: at a new version the previous answer comes at
     * once and one background recomputation replaces it */
    ca = sv_cache_new(1 << 20, 5.0, 2, &FNS);
    c.calls = 0;
    set_text(&c, "v1", 0);
    sv_body_unref(sv_cache_get(ca, "k", 1, 1, false, &c, &how));
    set_text(&c, "v2", 200);
    for (int i = 0; i < 3; i++) {
        b = sv_cache_get(ca, "k", 1, 2, false, &c, &how);
        CHECK(b && !strcmp(b->data, "v1") && how == SV_CACHE_STALE);
        sv_body_unref(b);
    }
    sleep_ms(400);
    b = sv_cache_get(ca, "k", 1, 2, false, &c, &how);
    CHECK(b && !strcmp(b->data, "v2") && how == SV_CACHE_HIT);
    sv_body_unref(b);
    sv_cache_get_stats(ca, &st);
    CHECK(c.calls == 2 && st.refreshes == 1 && st.stale == 3);
    /* fresh: no stale answer, wait for the current version */
    set_text(&c, "v3", 100);
    b = sv_cache_get(ca, "k", 1, 3, true, &c, &how);
    CHECK(b && !strcmp(b->data, "v3") && how == SV_CACHE_MISS);
    sv_body_unref(b);
    /* a fresh request while a refresh runs waits for it */
    set_text(&c, "v4", 200);
    b = sv_cache_get(ca, "k", 1, 4, false, &c, &how);
    CHECK(b && !strcmp(b->data, "v3") && how == SV_CACHE_STALE);
    sv_body_unref(b);
    b = sv_cache_get(ca, "k", 1, 4, true, &c, &how);
    CHECK(b && !strcmp(b->data, "v4") && how == SV_CACHE_WAIT);
    sv_body_unref(b);
    CHECK(c.calls == 4);
    /* freeing while a refresh is queued or running is clean */
    set_text(&c, "v5", 100);
    sv_body_unref(sv_cache_get(ca, "k", 1, 5, false, &c, &how));
    sv_cache_free(ca);
    /* an answer older than stale_max_s is not served stale */
    ca = sv_cache_new(1 << 20, 0.05, 1, &FNS);
    set_text(&c, "w1", 0);
    sv_body_unref(sv_cache_get(ca, "k", 1, 1, false, &c, &how));
    sleep_ms(100);
    set_text(&c, "w2", 0);
    b = sv_cache_get(ca, "k", 1, 2, false, &c, &how);
    CHECK(b && !strcmp(b->data, "w2") && how == SV_CACHE_MISS);
    sv_body_unref(b);
    sv_cache_free(ca);

    /* the byte budget evicts the least recently used entries */
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cctx cb = {0, 200, big, 0, PTHREAD_MUTEX_INITIALIZER};
    ca = sv_cache_new(20000, 0, 0, &FNS);
    for (int i = 0; i < 30; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        sv_body_unref(sv_cache_get(ca, k, strlen(k), 1, false, &cb, &how));
    }
    sv_cache_get_stats(ca, &st);
    CHECK(st.bytes <= 20000 && st.entries >= 5 && st.entries < 30);
    sv_body_unref(sv_cache_get(ca, "k29", 3, 1, false, &cb, &how));
    CHECK(how == SV_CACHE_HIT);
    sv_body_unref(sv_cache_get(ca, "k0", 2, 1, false, &cb, &how));
    CHECK(how == SV_CACHE_MISS);
    sv_cache_free(ca);
}

/* ------------------------------------------------------- a tiny hot store */

static void rm_rf(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static const char *ROWS_SQL =
    "INSERT INTO query_hourly VALUES "
    "('2024-03-01 05:00:00','a',1,'select',10,1,2,3,1.5,4,100,10.25,2.5,1),"
    "('2024-03-01 05:00:00','a',2,'select',5,0,1,1,0.5,0,50,1.0,0.5,1),"
    "('2024-03-01 05:00:00','b',1,'insert',7,0,0,2,2.0,1,70,3.0,1.0,1),"
    "('2024-03-01 07:00:00','a',1,'select',4,0,0,0,1.0,0,40,0.0,0.0,0);"
    "INSERT INTO spill_hourly VALUES ('2024-03-01 05:00:00','insert',2,1.0,7,1),"
    "('2024-03-01 05:00:00','select',4,3.0,15,1),('2024-03-01 07:00:00','select',0,0.0,4,0);"
    "INSERT INTO cache_hourly VALUES ('2024-03-01 05:00:00','a',1,2,10,0.2,1),('2024-03-01 05:00:00','a',2,1,5,0.2,1),"
    "('2024-03-01 05:00:00','b',1,0,7,0.0,1),('2024-03-01 07:00:00','a',1,0,4,0.0,0);"
    "INSERT INTO top_tables_hourly VALUES ('2024-03-01 05:00:00','a',1,1,100,5,1),('2024-03-01 05:00:00','a',1,2,200,3,1),"
    "('2024-03-01 05:00:00','b',1,1,200,5,1),('2024-03-01 07:00:00','a',1,1,100,1,0);"
    "INSERT INTO compile_joins_hourly VALUES ('2024-03-01 05:00:00','0',10,5.0,2.0,1),"
    "('2024-03-01 05:00:00','2',2,4.0,3.0,1),('2024-03-01 07:00:00','0',1,1.0,1.0,0);"
    "INSERT INTO compile_corr_hourly VALUES ('2024-03-01 05:00:00',12,0.5,1),('2024-03-01 07:00:00',1,NULL,0);"
    "INSERT INTO utilization_hourly VALUES "
    "('2024-03-01 05:00:00','a',1,1000.0,1.5,0.1,0.2,0.3,0.4,0.7,1,2.0,3,1),"
    "('2024-03-01 05:00:00','a',2,1000.0,1.5,0.1,0.2,0.3,0.4,0.9,0,NULL,3,1),"
    "('2024-03-01 05:00:00','b',1,1000.0,1.5,0.1,0.2,0.3,0.4,0.7,1,4.0,3,1),"
    "('2024-03-01 07:00:00','a',1,10.0,0.5,0.0,0.0,0.0,0.0,0.1,0,NULL,1,0),"
    "('2024-03-01 07:00:00','b',2,10.0,0.5,0.0,0.0,0.0,0.0,0.7,1,NULL,1,0);"
    /* quarantined rows of two runs (owners o1, o2): their inputs' files by (owner, _input) */
    "INSERT INTO bad_rows VALUES ('a',0,5,'malformed','bad json','{\"x\":1}','o1'),"
    "('a',0,9,'bad_timestamp','ts','raw\n\"q\"','o2');"
    "INSERT INTO late_events VALUES ('2024-03-01 04:00:00','a',0,3,'2024-03-01 04:10:00.000000',1,77,"
    "'2024-03-01 05:20:00.000000',NULL,'o2');"
    "INSERT INTO inputs VALUES ('o1',0,'/data/one.parquet','a','parquet'),('o2',0,'/data/two.csv','a','csv'),"
    "('o2',1,'/data/three.csv','b','csv');"
    "INSERT INTO pipeline_health VALUES ('sluice_running',1,'2024-06-01 00:00:01.000000'),"
    "('sluice_events_read_total',100,'2024-06-01 00:00:02.500000'),"
    "('sluice_events_bad_total{reason=\"malformed\"}',1,'2024-06-01 00:00:01.000000'),"
    "('sluice_events_bad_total{reason=\"bad_timestamp\"}',1,'2024-06-01 00:00:01.000000'),"
    "('sluice_watermark_seconds',1709269200.5,'2024-06-01 00:00:01.000000'),"
    "('sluice_replay_position_seconds',NULL,'2024-06-01 00:00:01.000000'),"
    "('sluice_sink_write_seconds_total{store=\"hot\"}',0.5,'2024-06-01 00:00:01.000000');";

/* The Redset pipeline's tables, as the engine lists them: the metric tables,
 * bad_rows, late_events, events (set up in main). */
static const sc_schema *g_schema;
static tb_def *g_bad, *g_late, *g_events;
static const tb_def *g_tv[10];
static tb_list g_tables;

static bool tables_open(void) {
    if (sc_open(&g_schema, &sc_redset_def, err, sizeof err) != SL_OK ||
        en_own_tables(g_schema, &g_bad, &g_late, &g_events, err, sizeof err) != SL_OK) {
        fprintf(stderr, "tables: %s\n", err);
        return false;
    }
    const tb_def *v[] = {&rs_query_hourly,        &rs_spill_hourly,         &rs_cache_hourly,
                         &rs_top_tables_hourly,   &rs_compile_joins_hourly, &rs_compile_corr_hourly,
                         &rs_utilization_hourly,  g_bad,                    g_late,
                         g_events};
    memcpy(g_tv, v, sizeof v);
    g_tables = (tb_list){g_tv, sizeof v / sizeof v[0]};
    return true;
}

static void tables_close(void) {
    tb_free(g_bad);
    tb_free(g_late);
    tb_free(g_events);
    sc_close(g_schema);
}

static bool make_store(const char *path, const char *extra_sql) {
    hs *h = NULL;
    hs_opts o = hs_opts_default();
    if (hs_open(&h, path, &o, g_schema, &g_tables, err, sizeof err) != SL_OK || hs_close(h, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  hs_open %s: %s\n", path, err);
        return false;
    }
    sqlite3 *db = NULL;
    bool ok = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, ROWS_SQL, NULL, NULL, NULL) == SQLITE_OK &&
              (!extra_sql || sqlite3_exec(db, extra_sql, NULL, NULL, NULL) == SQLITE_OK);
    if (!ok) fprintf(stderr, "  rows: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return ok;
}

static bool exec_sql(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    bool ok = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) fprintf(stderr, "  exec: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return ok;
}

static char body[1 << 16];
static int status;
static sv_cache_how how_last;

/* GET path?query through the API (no HTTP); the answer in body/status. */
static const char *get_how(sv_api *a, const char *path, const char *query, bool fresh) {
    sv_kv kv[32];
    char store[4096];
    size_t n = split_query(query, kv, 32, store);
    sv_reply r;
    sv_api_handle(a, path, kv, n, fresh, &r);
    status = r.status;
    how_last = r.how;
    snprintf(body, sizeof body, "%s", r.body ? r.body->data : "(null)");
    sv_body_unref(r.body);
    return body;
}
static const char *get(sv_api *a, const char *path, const char *query) { return get_how(a, path, query, false); }

#define HAS(s) CHECK(strstr(body, s) != NULL)
#define EXPECT(path, query, st, frag)                                                                     \
    do {                                                                                                  \
        get(a, path, query);                                                                              \
        if (status != (st) || !strstr(body, frag))                                                        \
            fprintf(stderr, "  %s?%s -> %d %.600s\n   expected %d and %s\n", path, query, status, body, st, frag); \
        CHECK(status == (st) && strstr(body, frag) != NULL);                                              \
    } while (0)

static void test_api_endpoints(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/api.db", tmpdir);
    if (!make_store(path, NULL)) {
        CHECK(0);
        return;
    }
    sv_api *a = NULL;
    sv_api_opts o = {path, 2, 1 << 20, 0, 0};
    CHECK(sv_api_new(&a, &o, err, sizeof err) == SL_OK);
    if (!a) return;

    /* the default range: 7 days ending after the newest hour (07:00) */
    EXPECT("/api/v1/spill", "", 200, "{\"from\":\"2024-02-23 08:00:00\",\"to\":\"2024-03-01 08:00:00\"");
    /* unfiltered: spill_hourly */
    HAS("\"hours\":[\"2024-03-01 05:00:00\",\"2024-03-01 07:00:00\"],\"series\":["
        "{\"query_type\":\"insert\",\"spilled\":[2,0],\"mbytes\":[1,0],\"queries\":[7,0]},"
        "{\"query_type\":\"select\",\"spilled\":[4,0],\"mbytes\":[3,0],\"queries\":[15,4]}]}");
    /* filtered by source: query_hourly */
    EXPECT("/api/v1/spill", "source=a", 200,
           "\"hours\":[\"2024-03-01 05:00:00\",\"2024-03-01 07:00:00\"],\"series\":[{\"query_type\":\"select\","
           "\"spilled\":[4,0],\"mbytes\":[3,0],\"queries\":[15,4]}]}");
    EXPECT("/api/v1/spill", "instance=2&final=1", 200,
           "\"hours\":[\"2024-03-01 05:00:00\"],\"series\":[{\"query_type\":\"select\",\"spilled\":[1],"
           "\"mbytes\":[0.5],\"queries\":[5]}]}");
    EXPECT("/api/v1/spill", "from=2024-03-01T06&to=2024-03-01T06:30&query_type=select", 200,
           "{\"from\":\"2024-03-01 06:00:00\",\"to\":\"2024-03-01 07:00:00\",\"hours\":[],\"series\":[]}");
    EXPECT("/api/v1/spill", "query_type=nope", 200, "\"hours\":[],\"series\":[]}");

    EXPECT("/api/v1/cache", "", 200,
           "\"instances\":[{\"source\":\"a\",\"instance_id\":1,\"queries\":14,\"cached\":2,\"hit_rate\":"
           "0.14285714285714285},{\"source\":\"b\",\"instance_id\":1,\"queries\":7,\"cached\":0,\"hit_rate\":0},"
           "{\"source\":\"a\",\"instance_id\":2,\"queries\":5,\"cached\":1,\"hit_rate\":0.2}],\"instances_total\":3,"
           "\"hours\":[\"2024-03-01 05:00:00\",\"2024-03-01 07:00:00\"],\"hit_rate\":[0.13636363636363635,0]}");
    EXPECT("/api/v1/cache", "limit=1&source=b", 200,
           "\"instances\":[{\"source\":\"b\",\"instance_id\":1,\"queries\":7,\"cached\":0,\"hit_rate\":0}],"
           "\"instances_total\":1,\"hours\":[\"2024-03-01 05:00:00\"],\"hit_rate\":[0]}");

    /* per (source, instance_id, table_id): table 200 of a/1 and of b/1 are different tables */
    EXPECT("/api/v1/top_tables", "", 200,
           "\"tables\":[{\"source\":\"a\",\"instance_id\":1,\"table_id\":100,\"reads\":6,\"hours\":2},"
           "{\"source\":\"b\",\"instance_id\":1,\"table_id\":200,\"reads\":5,\"hours\":1},"
           "{\"source\":\"a\",\"instance_id\":1,\"table_id\":200,\"reads\":3,\"hours\":1}]}");
    EXPECT("/api/v1/top_tables", "k=1&instance=1", 200,
           "\"tables\":[{\"source\":\"a\",\"instance_id\":1,\"table_id\":100,\"reads\":6,\"hours\":2}]}");
    EXPECT("/api/v1/top_tables", "final=0", 200, "\"tables\":[{\"source\":\"a\",\"instance_id\":1,\"table_id\":100,\"reads\":1,\"hours\":1}]}");
    EXPECT("/api/v1/top_tables", "k=2&format=csv", 200,
           "source,instance_id,table_id,reads,hours\r\na,1,100,6,2\r\nb,1,200,5,1\r\n");

    EXPECT("/api/v1/compile", "", 200,
           "\"buckets\":[{\"joins_bucket\":\"0\",\"queries\":11,\"compile_ms_sum\":6,\"compile_ms_avg\":"
           "0.5454545454545454,\"compile_ms_max\":2},{\"joins_bucket\":\"1\",\"queries\":0,\"compile_ms_sum\":0,"
           "\"compile_ms_avg\":null,\"compile_ms_max\":null},{\"joins_bucket\":\"2\",\"queries\":2,"
           "\"compile_ms_sum\":4,\"compile_ms_avg\":2,\"compile_ms_max\":3},");
    HAS("{\"joins_bucket\":\"10+\",\"queries\":0,\"compile_ms_sum\":0,\"compile_ms_avg\":null,\"compile_ms_max\":null}],"
        "\"hours\":[\"2024-03-01 05:00:00\",\"2024-03-01 07:00:00\"],\"corr\":[0.5,null],\"n\":[12,1]}");

    /* top: oversubscribed first, composite desc, newest hour first, then source, instance */
    EXPECT("/api/v1/utilization", "", 200,
           "\"hours\":[\"2024-03-01 05:00:00\",\"2024-03-01 07:00:00\"],\"composite_max\":[0.9,0.7],"
           "\"composite_avg\":[0.7666666666666666,0.39999999999999997],\"oversubscribed\":[2,1],"
           "\"slowdown_avg\":[3,null],\"instances\":[3,2],\"top\":[{\"hour\":\"2024-03-01 07:00:00\",\"source\":\"b\","
           "\"instance_id\":2,\"composite\":0.7,\"q_score\":0,\"c_score\":0,\"s_score\":0,\"p_score\":0,"
           "\"oversubscribed\":true,\"slowdown\":null},{\"hour\":\"2024-03-01 05:00:00\",\"source\":\"a\",\"instance_id\":1,"
           "\"composite\":0.7,\"q_score\":0.1,\"c_score\":0.2,\"s_score\":0.3,\"p_score\":0.4,\"oversubscribed\":true,"
           "\"slowdown\":2},{\"hour\":\"2024-03-01 05:00:00\",\"source\":\"b\",\"instance_id\":1,");
    HAS("{\"hour\":\"2024-03-01 05:00:00\",\"source\":\"a\",\"instance_id\":2,\"composite\":0.9,");
    HAS("\"oversubscribed\":false,\"slowdown\":null},{\"hour\":\"2024-03-01 07:00:00\",\"source\":\"a\","
        "\"instance_id\":1,\"composite\":0.1,");
    EXPECT("/api/v1/utilization", "limit=2&source=a", 200,
           "\"top\":[{\"hour\":\"2024-03-01 05:00:00\",\"source\":\"a\",\"instance_id\":1,\"composite\":0.7,");
    CHECK(strstr(body, "\"source\":\"b\"") == NULL && strstr(body, "\"instance_id\":2,\"composite\":0.9") != NULL &&
          strstr(body, "\"composite\":0.1") == NULL);

    EXPECT("/api/v1/live", "", 200,
           "{\"hour\":\"2024-03-01 07:00:00\",\"final\":false,\"by_query_type\":[{\"query_type\":\"select\","
           "\"queries\":4,\"aborted\":0,\"cached\":0,\"spilled\":0,\"exec_ms_sum\":40,\"queue_ms_sum\":0,"
           "\"compile_ms_sum\":1,\"mbytes_scanned_sum\":0,\"mbytes_spilled_sum\":0}],\"totals\":{\"queries\":4,");
    HAS("\"instances\":1,\"series\":[{\"hour\":\"2024-03-01 07:00:00\",\"final\":false,\"queries\":4,");
    EXPECT("/api/v1/live", "source=b", 200, "\"by_query_type\":[],\"totals\":{\"queries\":0,");

    EXPECT("/api/v1/status", "", 200, "{\"now\":\"");
    /* sluice_running 1 but the row is from 2024: a killed run, no throughput */
    HAS("\",\"state\":\"stale\",\"events_per_second\":0,\"running\":true,");
    HAS("\"running\":true,\"uptime_s\":null,\"event_time\":null,\"watermark\":\"2024-03-01 05:00:00.500000\","
        "\"replay_lag_s\":null,\"open_windows\":null,\"events_read\":100,"
        "\"events_accepted\":null,\"bad\":2,\"late\":null,\"duplicates\":null,\"first_hour\":\"2024-03-01 05:00:00\","
        "\"last_hour\":\"2024-03-01 07:00:00\",\"last_final_hour\":\"2024-03-01 05:00:00\",\"sources\":[\"a\",\"b\"],"
        "\"health_updated_at\":\"2024-06-01 00:00:02.500000\"}");

    EXPECT("/api/v1/health", "limit=1", 200, "\"counters\":{\"sluice_events_bad_total{reason=\\\"bad_timestamp\\\"}\":1,");
    HAS("\"updated_at\":\"2024-06-01 00:00:02.500000\",\"bad_total\":2,\"bad_by_reason\":[{\"reason\":"
        "\"bad_timestamp\",\"count\":1},{\"reason\":\"malformed\",\"count\":1}],\"bad_sample\":[{\"source\":\"a\","
        "\"_input\":0,\"_row\":9,\"reason\":\"bad_timestamp\",\"detail\":\"ts\",\"raw\":\"raw\\n\\\"q\\\"\","
        "\"input_file\":\"/data/two.csv\"}],"
        "\"late\":{\"count\":1,\"sample\":[{\"hour\":\"2024-03-01 04:00:00\",\"source\":\"a\",\"_input\":0,\"_row\":3,");
    HAS("\"raw\":null,\"input_file\":\"/data/two.csv\"}]}");
    HAS("\"duplicates\":null,\"replay_lag_s\":null,\"sink\":{\"hot\":{\"seconds_total\":0.5,\"max_seconds\":null,"
        "\"errors\":null},\"cold\":null}}");

    EXPECT("/api/v1/table/cache_hourly", "limit=2", 200,
           "{\"table\":\"cache_hourly\",\"from\":\"2024-02-23 08:00:00\",\"to\":\"2024-03-01 08:00:00\",\"limit\":2,"
           "\"offset\":0,\"columns\":[\"hour\",\"source\",\"instance_id\",\"cached\",\"queries\",\"hit_rate\",\"final\"],"
           "\"rows\":[[\"2024-03-01 05:00:00\",\"a\",1,2,10,0.2,1],[\"2024-03-01 05:00:00\",\"a\",2,1,5,0.2,1]],"
           "\"truncated\":true}");
    EXPECT("/api/v1/table/cache_hourly", "limit=2&offset=2", 200,
           "\"rows\":[[\"2024-03-01 05:00:00\",\"b\",1,0,7,0,1],[\"2024-03-01 07:00:00\",\"a\",1,0,4,0,0]],"
           "\"truncated\":false}");
    EXPECT("/api/v1/table/bad_rows", "reason=malformed", 200,
           "{\"table\":\"bad_rows\",\"from\":null,\"to\":null,\"limit\":1000,\"offset\":0,\"columns\":[\"source\","
           "\"_input\",\"_row\",\"reason\",\"detail\",\"raw\",\"input_file\"],\"rows\":[[\"a\",0,5,\"malformed\","
           "\"bad json\",\"{\\\"x\\\":1}\",\"/data/one.parquet\"]],\"truncated\":false}");
    EXPECT("/api/v1/table/bad_rows", "", 200, "\"raw\\n\\\"q\\\"\",\"/data/two.csv\"]],\"truncated\":false}");
    EXPECT("/api/v1/table/bad_rows", "format=csv", 200, "source,_input,_row,reason,detail,raw,input_file\r\n");
    HAS("/data/one.parquet\r\n");
    EXPECT("/api/v1/table/late_events", "", 200, "\"rows\":[[\"2024-03-01 04:00:00\",\"a\",0,3,");
    HAS("\"2024-03-01 05:20:00.000000\",null,\"/data/two.csv\"]]");
    EXPECT("/api/v1/table/late_events", "from=2024-03-02", 200, "\"rows\":[]");
    EXPECT("/api/v1/table/compile_corr_hourly", "final=0", 200, "\"rows\":[[\"2024-03-01 07:00:00\",1,null,0]]");

    /* errors */
    EXPECT("/api/v1/table/nope", "", 404, "{\"error\":\"unknown table 'nope' (tables: query_hourly,");
    EXPECT("/api/v1/table/bad_rows", "from=2024-03-01", 400,
           "{\"error\":\"from: /api/v1/table/bad_rows takes no time range\"}");
    EXPECT("/api/v1/table/spill_hourly", "source=a", 400, "source: /api/v1/table/spill_hourly cannot filter by source");
    EXPECT("/api/v1/cache", "query_type=select", 400,
           "query_type: /api/v1/cache cannot filter by query_type (cache_hourly: no query_type column)");
    EXPECT("/api/v1/spill", "from=yesterday", 400,
           "{\"error\":\"from: expected YYYY-MM-DD[THH[:MM[:SS]]][Z|+HH:MM], epoch seconds or a relative time (now, "
           "now-24h, -7d), got 'yesterday'\"}");
    EXPECT("/api/v1/spill", "from=2020-01-01", 400, "from: the range from 2020-01-01 00:00:00 to the end of the data");
    EXPECT("/api/v1/nope", "", 404, "not found: /api/v1/nope");
    EXPECT("/api/v2/status", "", 404, "not found: /api/v2/status");
    EXPECT("/api/v1/status/", "", 404, "not found");
    sv_api_free(a);
}

static void test_api_versions(void) {
    char path[128], other[128];
    snprintf(path, sizeof path, "%s/ver.db", tmpdir);
    snprintf(other, sizeof other, "%s/ver2.db", tmpdir);
    sv_api *a = NULL;
    sv_api_opts o = {path, 2, 1 << 20, 5.0, 5}; /* as sluice serve: stale answers, a poller */
    CHECK(sv_api_new(&a, &o, err, sizeof err) == SL_OK);
    if (!a) return;
    /* no file yet: 503 naming it, and /metrics' store part too */
    EXPECT("/api/v1/status", "", 503, "hot store ");
    HAS(path);
    HAS("does not exist");
    sv_reply r;
    sv_api_metrics(a, false, &r);
    CHECK(r.status == 503 && r.body && strstr(r.body->data, path));
    sv_body_unref(r.body);
    /* not a hot store */
    CHECK(exec_sql(path, "CREATE TABLE x (a)"));
    EXPECT("/api/v1/status", "", 503, "is not a sluice hot store (no schema_version table)");
    unlink(path);
    /* the tables of another schema (store_meta) */
    CHECK(make_store(other, "UPDATE store_meta SET value = 'other' WHERE key = 'schema'"));
    CHECK(rename(other, path) == 0);
    sleep_ms(50);
    EXPECT("/api/v1/live", "", 503, "holds the tables of schema 'other'; this server reads 'redset'");
    unlink(path);
    /* a later layout is refused */
    CHECK(make_store(other, "UPDATE schema_version SET version = 3"));
    CHECK(rename(other, path) == 0);
    sleep_ms(50);
    EXPECT("/api/v1/status", "", 503, "schema version 3, this server reads versions 1 to 2");
    unlink(path);
    /* a version-1 store (before table inputs and the quarantine rows' owner)
     * is read: input_file is null */
    CHECK(make_store(other, "DROP TABLE inputs; DROP TABLE bad_rows; CREATE TABLE bad_rows (source TEXT NOT NULL, "
                            "_input INTEGER NOT NULL, _row INTEGER NOT NULL, reason TEXT NOT NULL, detail TEXT, raw TEXT, "
                            "PRIMARY KEY (source, _input, _row)); INSERT INTO bad_rows VALUES "
                            "('a',0,5,'malformed','bad json','x'); UPDATE schema_version SET version = 1"));
    CHECK(rename(other, path) == 0);
    sleep_ms(50);
    EXPECT("/api/v1/table/bad_rows", "", 200,
           "\"columns\":[\"source\",\"_input\",\"_row\",\"reason\",\"detail\",\"raw\",\"input_file\"],"
           "\"rows\":[[\"a\",0,5,\"malformed\",\"bad json\",\"x\",null]]");
    unlink(path);
    /* it appears */
    CHECK(make_store(path, NULL));
    sleep_ms(50); /* the poller sees it */
    EXPECT("/api/v1/top_tables", "", 200, "{\"source\":\"b\",\"instance_id\":1,\"table_id\":200,\"reads\":5,\"hours\":1}");
    CHECK(how_last == SV_CACHE_MISS);
    EXPECT("/api/v1/top_tables", "", 200, "{\"source\":\"b\",\"instance_id\":1,\"table_id\":200,\"reads\":5,\"hours\":1}");
    CHECK(how_last == SV_CACHE_HIT);
    /* a commit by another connection: a fresh request sees it at once */
    CHECK(exec_sql(path, "UPDATE top_tables_hourly SET reads = 50 WHERE table_id = 100 AND final = 0"));
    get_how(a, "/api/v1/top_tables", "", true);
    CHECK(status == 200 && strstr(body, "\"tables\":[{\"source\":\"a\",\"instance_id\":1,\"table_id\":100,\"reads\":55,\"hours\":2}") &&
          how_last == SV_CACHE_MISS);
    /* another commit: other requests get the previous answer ("stale") until
     * the background recomputation is in, within milliseconds */
    CHECK(exec_sql(path, "UPDATE top_tables_hourly SET reads = 60 WHERE table_id = 100 AND final = 0"));
    sleep_ms(50);
    get(a, "/api/v1/top_tables", "");
    CHECK(status == 200 && how_last == SV_CACHE_STALE && strstr(body, "\"reads\":55,"));
    int tries = 0;
    do {
        sleep_ms(10);
        get(a, "/api/v1/top_tables", "");
    } while (!strstr(body, "\"reads\":65,") && ++tries < 200);
    CHECK(status == 200 && how_last == SV_CACHE_HIT && strstr(body, "{\"source\":\"a\",\"instance_id\":1,\"table_id\":100,\"reads\":65,\"hours\":2}"));
    sv_api_metrics(a, true, &r);
    CHECK(r.status == 200 && r.body && strstr(r.body->data, "sluice_events_read_total 100\n") &&
          strstr(r.body->data, "sluice_health_updated_timestamp_seconds 1717200002.5\n"));
    sv_body_unref(r.body);
    /* the file is replaced: removed with its -wal and -shm (as scripts/demo.sh
     * does), a new store renamed into its place */
    CHECK(make_store(other, "UPDATE top_tables_hourly SET reads = 1000 WHERE table_id = 200 AND source = 'b'"));
    char side[160];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    CHECK(rename(other, path) == 0);
    get_how(a, "/api/v1/top_tables", "", true);
    CHECK(status == 200 && strstr(body, "\"tables\":[{\"source\":\"b\",\"instance_id\":1,\"table_id\":200,\"reads\":1000,\"hours\":1}"));
    /* and removed */
    unlink(path);
    sleep_ms(50);
    EXPECT("/api/v1/top_tables", "", 503, "does not exist");
    sv_cache_stats cs;
    sv_api_cache_stats(a, &cs);
    CHECK(cs.hits >= 1 && cs.misses >= 3);
    sv_api_free(a);
}

/* ------------------------------------------------------- over HTTP */

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send a request on fd and read one response (headers + Content-Length body). */
static char *roundtrip(int fd, const char *req) {
    static char buf[1 << 17];
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) return NULL;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        buf[n] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (!end) continue;
        const char *cl = strstr(buf, "Content-Length: ");
        size_t want = cl ? (size_t)atol(cl + 16) : 0;
        if (!strncmp(req, "HEAD", 4)) want = 0;
        if (n >= (size_t)(end + 4 - buf) + want) break;
    }
    buf[n] = '\0';
    return buf;
}

static char *http(int port, const char *req) {
    int fd = connect_to(port);
    if (fd < 0) return NULL;
    char *r = roundtrip(fd, req);
    close(fd);
    return r;
}

static void test_http(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/http.db", tmpdir);
    CHECK(make_store(path, NULL));
    sv_opts o = sv_opts_default();
    CHECK_EQ_STR(o.listen, "127.0.0.1:8080");
    o.hot_path = path;
    o.listen = "127.0.0.1:0";
    o.quiet = true;
    sv_server *s = NULL;
    CHECK(sv_start(&s, &o, err, sizeof err) == SL_OK);
    if (!s) {
        fprintf(stderr, "  sv_start: %s\n", err);
        return;
    }
    int port = sv_port(s);
    CHECK(port > 0);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d/", port);
    CHECK_EQ_STR(sv_url(s), want);

    char *r = http(port, "GET /api/v1/top_tables?k=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    CHECK(r && !strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "Content-Type: application/json; charset=utf-8") &&
          strstr(r, "Cache-Control: no-store") && strstr(r, "X-Sluice-Cache: miss") &&
          strstr(r, "\"tables\":[{\"source\":\"a\",\"instance_id\":1,\"table_id\":100,\"reads\":6,\"hours\":2}]}"));
    /* keep-alive: two requests on one connection; the second is a cache hit */
    int fd = connect_to(port);
    r = roundtrip(fd, "GET /api/v1/top_tables?k=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(r && strstr(r, "HTTP/1.1 200") && strstr(r, "X-Sluice-Cache: hit") && !strstr(r, "Connection: close"));
    r = roundtrip(fd, "GET /api/v1/spill?from=bad HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(r && !strncmp(r, "HTTP/1.1 400", 12) && strstr(r, "from: expected"));
    close(fd);
    /* URL-decoded parameters */
    r = http(port, "GET /api/v1/spill?from=2024-03-01%2005:00:00&to=2024-03-01T06 HTTP/1.0\r\n\r\n");
    CHECK(r && !strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "\"from\":\"2024-03-01 05:00:00\",\"to\":\"2024-03-01 06:00:00\""));
    r = http(port, "HEAD /api/v1/status HTTP/1.0\r\n\r\n");
    CHECK(r && !strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "Content-Length: ") && !strstr(r, "{\"now\""));
    r = http(port, "POST /api/v1/status HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
    CHECK(r && !strncmp(r, "HTTP/1.1 405", 12) && strstr(r, "Allow: GET, HEAD") && strstr(r, "method POST not allowed"));
    r = http(port, "GET /nope HTTP/1.0\r\n\r\n");
    CHECK(r && !strncmp(r, "HTTP/1.1 404", 12) && strstr(r, "{\"error\":\"not found: /nope\"}"));
    r = http(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    CHECK(r && !strncmp(r, "HTTP/1.1 400", 12));
    r = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
    CHECK(r && !strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8") &&
          strstr(r, "\nsluice_events_read_total 100\n") && strstr(r, "\nsluice_http_store_up 1\n") &&
          strstr(r, "sluice_http_requests_total{code=\"405\"} 1\n") &&
          strstr(r, "sluice_http_requests_total{code=\"404\"} 1\n"));
    /* the embedded dashboard (when the build has assets) */
    r = http(port, "GET / HTTP/1.0\r\n\r\n");
    CHECK(r && (!strncmp(r, "HTTP/1.1 200", 12) || !strncmp(r, "HTTP/1.1 404", 12)));
    if (r && !strncmp(r, "HTTP/1.1 200", 12)) {
        CHECK(strstr(r, "ETag: \"") != NULL);
        char req[256], *et = strstr(r, "ETag: ") + 6, tag[40];
        snprintf(tag, sizeof tag, "%.18s", et);
        snprintf(req, sizeof req, "GET / HTTP/1.0\r\nIf-None-Match: %s\r\n\r\n", tag);
        r = http(port, req);
        CHECK(r && !strncmp(r, "HTTP/1.1 304", 12));
    }

    /* the address is taken now */
    sv_server *s2 = NULL;
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    o.listen = listen;
    CHECK(sv_start(&s2, &o, err, sizeof err) == SL_ERR_IO && s2 == NULL);
    CHECK(strstr(err, "already in use") && strstr(err, listen));
    sv_stop(s);
    /* a missing store still starts (503 per request); a directory as --cold must exist */
    o.listen = "127.0.0.1:0";
    o.hot_path = "/nonexistent/dir/x.db";
    CHECK(sv_start(&s, &o, err, sizeof err) == SL_OK);
    if (s) {
        r = http(sv_port(s), "GET /api/v1/live HTTP/1.0\r\n\r\n");
        CHECK(r && !strncmp(r, "HTTP/1.1 503", 12) && strstr(r, "/nonexistent/dir/x.db"));
        r = http(sv_port(s), "GET /metrics HTTP/1.0\r\n\r\n");
        CHECK(r && !strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "\nsluice_http_store_up 0\n"));
        sv_stop(s);
    }
    o.cold_dir = "/nonexistent/cold";
    CHECK(sv_start(&s, &o, err, sizeof err) == SL_ERR_ARG && strstr(err, "/nonexistent/cold"));
    o.cold_dir = NULL;
    /* non-loopback needs allow_any */
    o.listen = "0.0.0.0:0";
    CHECK(sv_start(&s, &o, err, sizeof err) == SL_ERR_ARG && strstr(err, "not a loopback address") &&
          strstr(err, "--listen-any"));
    o.allow_any = true;
    CHECK(sv_start(&s, &o, err, sizeof err) == SL_OK && sv_port(s) > 0);
    sv_stop(s);
    o.threads = 0;
    CHECK(sv_start(&s, &o, err, sizeof err) == SL_ERR_ARG);
    sv_stop(NULL);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-serve-XXXXXX");
    if (!mkdtemp(tmpdir) || !tables_open()) return 2;
    RUN(test_json_escape);
    RUN(test_json_numbers);
    RUN(test_json_misuse);
    RUN(test_params_time);
    RUN(test_params_parse);
    RUN(test_params_range);
    RUN(test_prom);
    RUN(test_registry);
    RUN(test_opts);
    RUN(test_listen);
    RUN(test_cache);
    RUN(test_api_endpoints);
    RUN(test_api_versions);
    RUN(test_http);
    rm_rf(tmpdir);
    tables_close();
    return T_DONE();
}
