/* Unit tests of util/opt.h: declarative option tables -- every value type
 * and its messages, defaults, lookup and suggestions, formatting round
 * trips, --help text, the Markdown docs and the command-line parser. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "util/opt.h"
#include "util/time.h"

/* ---------------------------------------------------------------- the table under test */

typedef struct topts {
    bool quiet;
    bool verbose;
    int batch_rows;       /* INT on an int, range 1..1000000 */
    int32_t shards;       /* INT on an int32_t, >= 1 */
    int64_t offset;       /* INT on an int64_t, no range */
    int64_t count;        /* INT on an int64_t, 0..10^12 */
    double ratio;         /* DOUBLE > 0 */
    double frac;          /* DOUBLE in [0, 1] */
    double share;         /* DOUBLE in (0, 1] */
    double temp;          /* DOUBLE <= 100 */
    const char *name;     /* STRING, no default */
    const char *label;    /* STRING, "" allowed */
    int64_t lateness_us;  /* DURATION */
    int64_t tick_us;      /* DURATION of at least 1ms */
    int64_t timeout_ms;   /* DURATION in whole milliseconds */
    size_t memory;        /* SIZE of at least 1M */
    size_t chunk;         /* SIZE without a minimum */
    int64_t from_us;      /* TIME, default "min" */
    int64_t to_us;        /* TIME, default "max" */
    int64_t at_us;        /* TIME, no default */
    int format;           /* ENUM of three */
    int side;             /* ENUM of two */
    double weights[4];    /* DOUBLES with a positive sum */
    double speed;         /* CUSTOM with its own message */
    int even;             /* CUSTOM without a message, with an expect text */
    int mode;             /* CUSTOM without a message or expect */
    int secret;           /* HIDDEN */
    int file_key;         /* FILE_ONLY */
    int cli_key;          /* CLI_ONLY */
    int untouched;        /* not in the table */
} topts;

/* "max" or a positive number; its own message. */
static sl_err parse_speed(void *field, const char *v, char *err, size_t errlen) {
    double *d = field;
    if (!strcmp(v, "max")) {
        *d = 0;
        return SL_OK;
    }
    char *end;
    double x = strtod(v, &end);
    if (*v && !*end && x > 0) {
        *d = x;
        return SL_OK;
    }
    if (!strcmp(v, "slow")) return sl_err_set(err, errlen, SL_ERR_ARG, "'slow' is not a speed, use a number");
    return sl_err_set(err, errlen, SL_ERR_ARG, "needs a positive number or 'max', got '%s'", v);
}

/* An even integer; no message of its own. */
static sl_err parse_even(void *field, const char *v, char *err, size_t errlen) {
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x % 2) return SL_ERR_ARG;
    *(int *)field = (int)x;
    return SL_OK;
}

static const sl_opt T[] = {
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(topts, quiet), .def = "false", .help = "no progress line",
     .alias = "-q", .section = "General"},
    SL_OPT_FLAG(topts, verbose, "verbose", "more output"),
    SL_OPT_INT(topts, batch_rows, "batch_rows", "65536", 1, 1000000, "rows per batch"),
    SL_OPT_INT(topts, shards, "shards", "4", 1, 9.2e18, "shards"),
    {.name = "offset", .type = SL_OPT_T_INT, SL_OPT_F_(topts, offset), .def = "-7", .help = "offset"},
    SL_OPT_INT(topts, count, "count", "1000000000000", 0, 1e12, "count"),
    {.name = "ratio", .type = SL_OPT_T_DOUBLE, SL_OPT_F_(topts, ratio), .def = "1.5", .help = "ratio", .min = 0,
     .max = 1e308, .flags = SL_OPT_MIN_EXCL, .section = "Numbers"},
    SL_OPT_DOUBLE(topts, frac, "frac", "0.25", 0, 1, "fraction"),
    {.name = "share", .type = SL_OPT_T_DOUBLE, SL_OPT_F_(topts, share), .def = "1", .help = "share", .min = 0, .max = 1,
     .flags = SL_OPT_MIN_EXCL},
    SL_OPT_DOUBLE(topts, temp, "temp", "20", -INFINITY, 100, "temperature"),
    {.name = "name", .type = SL_OPT_T_STRING, SL_OPT_F_(topts, name), .help = "a name", .alias = "-n", .arg = "LABEL",
     .section = "Text"},
    {.name = "label", .type = SL_OPT_T_STRING, SL_OPT_F_(topts, label), .def = "", .help = "a label",
     .flags = SL_OPT_EMPTY_OK},
    SL_OPT_DURATION(topts, lateness_us, "lateness", "10m", "allowed lateness"),
    {.name = "tick", .type = SL_OPT_T_DURATION, SL_OPT_F_(topts, tick_us), .def = "1s", .help = "tick", .min = 1000,
     .max = 9.2e18},
    {.name = "timeout", .type = SL_OPT_T_DURATION, SL_OPT_F_(topts, timeout_ms), .def = "1500ms", .help = "timeout",
     .min = 0, .max = 9.2e18, .flags = SL_OPT_MS},
    SL_OPT_SIZE(topts, memory, "memory", "1G", 1048576, "memory budget"),
    SL_OPT_SIZE(topts, chunk, "chunk", "64K", 0, "chunk size"),
    {.name = "from", .type = SL_OPT_T_TIME, SL_OPT_F_(topts, from_us), .def = "min", .help = "first event"},
    {.name = "to", .type = SL_OPT_T_TIME, SL_OPT_F_(topts, to_us), .def = "max", .help = "end"},
    SL_OPT_TIME(topts, at_us, "at", "a moment"),
    SL_OPT_ENUM(topts, format, "format", "jsonl", "jsonl|csv|parquet", "output format"),
    SL_OPT_ENUM(topts, side, "side", "left", "left|right", "side"),
    {.name = "weights", .type = SL_OPT_T_DOUBLES, SL_OPT_F_(topts, weights), .def = "1,1,1,1", .help = "weights",
     .min = 0, .max = 1e308, .count = 4, .flags = SL_OPT_SUM_POS},
    {.name = "speed", .type = SL_OPT_T_CUSTOM, SL_OPT_F_(topts, speed), .def = "60", .help = "speed",
     .parse = parse_speed, .arg = "N|max"},
    {.name = "even", .type = SL_OPT_T_CUSTOM, SL_OPT_F_(topts, even), .def = "2", .help = "an even number",
     .parse = parse_even, .expect = "an even integer"},
    {.name = "mode", .type = SL_OPT_T_CUSTOM, SL_OPT_F_(topts, mode), .help = "mode", .parse = parse_even},
    {.name = "secret", .type = SL_OPT_T_INT, SL_OPT_F_(topts, secret), .def = "3", .help = "hidden",
     .flags = SL_OPT_HIDDEN},
    {.name = "file_key", .type = SL_OPT_T_INT, SL_OPT_F_(topts, file_key), .def = "5", .help = "file only",
     .flags = SL_OPT_FILE_ONLY},
    {.name = "cli_key", .type = SL_OPT_T_INT, SL_OPT_F_(topts, cli_key), .def = "6", .help = "flag only",
     .flags = SL_OPT_CLI_ONLY},
    SL_OPT_END,
};

static const sl_opt *opt(const char *name) {
    const sl_opt *o = sl_opt_find(T, name);
    if (!o) {
        fprintf(stderr, "  no option %s\n", name);
        abort();
    }
    return o;
}

/* Set name=value into o; "" on success, else the message. */
static const char *set(topts *o, const char *name, const char *value) {
    static char err[SL_ERRLEN];
    strcpy(err, "(untouched)");
    sl_err e = sl_opt_set(opt(name), o, value, err, sizeof err);
    if (e == SL_OK) return "";
    if (e != SL_ERR_ARG) return "(not SL_ERR_ARG)";
    return err;
}

static topts defaults(void) {
    topts o;
    memset(&o, 0xA5, sizeof o);
    o.untouched = 77;
    char err[SL_ERRLEN];
    if (sl_opt_defaults(T, &o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  defaults: %s\n", err);
        t_cur_failed = 1;
    }
    return o;
}

static const char *fmt(const topts *o, const char *name) {
    static char out[4][256];
    static int k;
    k = (k + 1) % 4;
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_format(opt(name), o, &b);
    snprintf(out[k], sizeof out[k], "%s", sl_buf_cstr(&b));
    sl_buf_free(&b);
    return out[k];
}

static const char *expect(const char *name) {
    static char out[256];
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_expect(opt(name), &b);
    snprintf(out, sizeof out, "%s", sl_buf_cstr(&b));
    sl_buf_free(&b);
    return out;
}

/* ---------------------------------------------------------------- defaults, lookup */

static void test_defaults(void) {
    topts o = defaults();
    CHECK(o.quiet == false && o.verbose == false);
    CHECK_EQ_I64(o.batch_rows, 65536);
    CHECK_EQ_I64(o.shards, 4);
    CHECK_EQ_I64(o.offset, -7);
    CHECK_EQ_I64(o.count, 1000000000000LL);
    CHECK(o.ratio == 1.5 && o.frac == 0.25 && o.share == 1.0 && o.temp == 20.0);
    CHECK(o.name == NULL);          /* no default: zeroed */
    CHECK(o.label != NULL && o.label[0] == 0);
    CHECK_EQ_I64(o.lateness_us, 600000000LL);
    CHECK_EQ_I64(o.tick_us, 1000000);
    CHECK_EQ_I64(o.timeout_ms, 1500);
    CHECK_EQ_I64(o.memory, (int64_t)1 << 30);
    CHECK_EQ_I64(o.chunk, 65536);
    CHECK_EQ_I64(o.from_us, INT64_MIN); /* "min": an open start */
    CHECK_EQ_I64(o.to_us, INT64_MAX);   /* "max": an open end */
    CHECK_EQ_I64(o.at_us, 0);           /* no default: zeroed */
    CHECK_EQ_I64(o.format, 0);
    CHECK_EQ_I64(o.side, 0);
    CHECK(o.weights[0] == 1 && o.weights[1] == 1 && o.weights[2] == 1 && o.weights[3] == 1);
    CHECK(o.speed == 60.0);
    CHECK_EQ_I64(o.even, 2);
    CHECK_EQ_I64(o.mode, 0);
    CHECK_EQ_I64(o.secret, 3);
    CHECK_EQ_I64(o.file_key, 5);
    CHECK_EQ_I64(o.cli_key, 6);
    CHECK_EQ_I64(o.untouched, 77); /* the rest of the struct is left alone */
    /* a default that does not parse is a bug, reported with the option's name */
    typedef struct one {
        int n;
    } one;
    static const sl_opt bad[] = {SL_OPT_INT(one, n, "n", "0", 1, 10, "n"), SL_OPT_END};
    one x;
    char err[SL_ERRLEN];
    CHECK(sl_opt_defaults(bad, &x, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "default of option 'n': needs an integer in 1..10, got '0'");
    /* an empty table */
    static const sl_opt none[] = {SL_OPT_END};
    CHECK(sl_opt_defaults(none, &x, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(sl_opt_count(none), 0);
}

static void test_find_suggest(void) {
    CHECK_EQ_I64(sl_opt_count(T), 29);
    CHECK(sl_opt_find(T, "batch_rows") == &T[2]);
    CHECK(sl_opt_find(T, "quiet") == &T[0]);
    CHECK(sl_opt_find(T, "batch-rows") == NULL); /* table keys are exact */
    CHECK(sl_opt_find(T, "Quiet") == NULL);
    CHECK(sl_opt_find(T, "") == NULL);
    CHECK(sl_opt_find(T, "secret") != NULL); /* hidden options are still found */
    CHECK(sl_opt_suggest(T, "latenes") == opt("lateness"));
    CHECK(sl_opt_suggest(T, "qiuet") == opt("quiet"));
    CHECK(sl_opt_suggest(T, "batch_row") == opt("batch_rows"));
    CHECK(sl_opt_suggest(T, "memroy") == opt("memory"));
    CHECK(sl_opt_suggest(T, "xyzzyq") == NULL);     /* too far */
    CHECK(sl_opt_suggest(T, "secrett") == NULL);    /* hidden: never suggested */
    CHECK(sl_opt_suggest(T, "lateness") == opt("lateness"));
}

/* ---------------------------------------------------------------- values */

static void test_flag(void) {
    topts o = defaults();
    CHECK_EQ_STR(set(&o, "quiet", NULL), ""); /* without a value: set */
    CHECK(o.quiet == true);
    static const char *yes[] = {"true", "TRUE", "yes", "On", "1"}, *no[] = {"false", "False", "no", "OFF", "0"};
    for (int i = 0; i < 5; i++) {
        o.quiet = false;
        CHECK_EQ_STR(set(&o, "quiet", yes[i]), "");
        CHECK(o.quiet == true);
        CHECK_EQ_STR(set(&o, "quiet", no[i]), "");
        CHECK(o.quiet == false);
    }
    o.quiet = true;
    CHECK_EQ_STR(set(&o, "quiet", "maybe"), "needs true or false, got 'maybe'");
    CHECK_EQ_STR(set(&o, "quiet", ""), "needs true or false, got ''");
    CHECK_EQ_STR(set(&o, "quiet", "2"), "needs true or false, got '2'");
    CHECK(o.quiet == true); /* a bad value leaves the field alone */
    CHECK_EQ_STR(expect("quiet"), "true or false");
}

static void test_int(void) {
    topts o = defaults();
    CHECK_EQ_STR(set(&o, "batch_rows", "1"), "");
    CHECK_EQ_I64(o.batch_rows, 1);
    CHECK_EQ_STR(set(&o, "batch_rows", "1000000"), "");
    CHECK_EQ_I64(o.batch_rows, 1000000);
    CHECK_EQ_STR(set(&o, "batch_rows", "0"), "needs an integer in 1..1000000, got '0'");
    CHECK_EQ_STR(set(&o, "batch_rows", "1000001"), "needs an integer in 1..1000000, got '1000001'");
    CHECK_EQ_STR(set(&o, "batch_rows", "-3"), "needs an integer in 1..1000000, got '-3'");
    CHECK_EQ_STR(set(&o, "batch_rows", "12x"), "needs an integer in 1..1000000, got '12x'");
    CHECK_EQ_STR(set(&o, "batch_rows", "1.5"), "needs an integer in 1..1000000, got '1.5'");
    CHECK_EQ_STR(set(&o, "batch_rows", ""), "needs an integer in 1..1000000, got ''");
    CHECK_EQ_STR(set(&o, "batch_rows", NULL), "needs an integer in 1..1000000, got ''");
    CHECK_EQ_I64(o.batch_rows, 1000000);
    /* int32_t with an open top: ">= min", and the field's own range */
    CHECK_EQ_STR(expect("shards"), "an integer >= 1");
    CHECK_EQ_STR(set(&o, "shards", "2147483647"), "");
    CHECK_EQ_I64(o.shards, INT32_MAX);
    CHECK_EQ_STR(set(&o, "shards", "2147483648"), "needs an integer >= 1, got '2147483648'");
    CHECK_EQ_STR(set(&o, "shards", "0"), "needs an integer >= 1, got '0'");
    CHECK_EQ_I64(o.shards, INT32_MAX);
    /* int64_t without a range */
    CHECK_EQ_STR(expect("offset"), "an integer");
    CHECK_EQ_STR(set(&o, "offset", "-9223372036854775808"), "");
    CHECK_EQ_I64(o.offset, INT64_MIN);
    CHECK_EQ_STR(set(&o, "offset", "9223372036854775807"), "");
    CHECK_EQ_I64(o.offset, INT64_MAX);
    CHECK_EQ_STR(set(&o, "offset", "9223372036854775808"), "needs an integer, got '9223372036854775808'");
    CHECK_EQ_STR(set(&o, "offset", "0x10"), "needs an integer, got '0x10'");
    CHECK_EQ_I64(o.offset, INT64_MAX);
    /* int64_t with a range past int32 */
    CHECK_EQ_STR(set(&o, "count", "5000000000"), "");
    CHECK_EQ_I64(o.count, 5000000000LL);
    CHECK_EQ_STR(set(&o, "count", "1000000000001"), "needs an integer in 0..1000000000000, got '1000000000001'");
    CHECK_EQ_STR(set(&o, "count", "0"), "");
    CHECK_EQ_I64(o.count, 0);
}

static void test_double(void) {
    topts o = defaults();
    CHECK_EQ_STR(expect("ratio"), "a number > 0");
    CHECK_EQ_STR(set(&o, "ratio", "0"), "needs a number > 0, got '0'");
    CHECK_EQ_STR(set(&o, "ratio", "-1"), "needs a number > 0, got '-1'");
    CHECK_EQ_STR(set(&o, "ratio", "1e-300"), "");
    CHECK(o.ratio == 1e-300);
    CHECK_EQ_STR(set(&o, "ratio", "nan"), "needs a number > 0, got 'nan'");
    CHECK_EQ_STR(set(&o, "ratio", "inf"), "needs a number > 0, got 'inf'");
    CHECK_EQ_STR(set(&o, "ratio", "1e999"), "needs a number > 0, got '1e999'");
    CHECK_EQ_STR(set(&o, "ratio", "2.5x"), "needs a number > 0, got '2.5x'");
    CHECK(o.ratio == 1e-300);
    CHECK_EQ_STR(expect("frac"), "a number in [0, 1]");
    CHECK_EQ_STR(set(&o, "frac", "0"), "");
    CHECK(o.frac == 0);
    CHECK_EQ_STR(set(&o, "frac", "1"), "");
    CHECK(o.frac == 1);
    CHECK_EQ_STR(set(&o, "frac", "1.0000001"), "needs a number in [0, 1], got '1.0000001'");
    CHECK_EQ_STR(expect("share"), "a number in (0, 1]");
    CHECK_EQ_STR(set(&o, "share", "0"), "needs a number in (0, 1], got '0'");
    CHECK_EQ_STR(set(&o, "share", "0.001"), "");
    CHECK(o.share == 0.001);
    CHECK_EQ_STR(expect("temp"), "a number <= 100");
    CHECK_EQ_STR(set(&o, "temp", "-1e30"), "");
    CHECK(o.temp == -1e30);
    CHECK_EQ_STR(set(&o, "temp", "100.5"), "needs a number <= 100, got '100.5'");
}

static void test_string(void) {
    topts o = defaults();
    const char *v = "alpha";
    CHECK_EQ_STR(set(&o, "name", v), "");
    CHECK(o.name == v); /* the caller's pointer is kept, not a copy */
    CHECK_EQ_STR(set(&o, "name", ""), "needs a non-empty value, got ''");
    CHECK(o.name == v);
    const char *empty = "";
    CHECK_EQ_STR(set(&o, "label", empty), "");
    CHECK(o.label == empty);
    CHECK_EQ_STR(set(&o, "label", "x y"), "");
    CHECK_EQ_STR(o.label, "x y");
    CHECK_EQ_STR(expect("name"), "a non-empty value");
    CHECK_EQ_STR(expect("label"), "a value");
}

static void test_duration(void) {
    topts o = defaults();
    CHECK_EQ_STR(set(&o, "lateness", "1h30m"), "");
    CHECK_EQ_I64(o.lateness_us, 5400000000LL);
    CHECK_EQ_STR(set(&o, "lateness", "90"), ""); /* a bare number is seconds */
    CHECK_EQ_I64(o.lateness_us, 90000000);
    CHECK_EQ_STR(set(&o, "lateness", "250ms"), "");
    CHECK_EQ_I64(o.lateness_us, 250000);
    CHECK_EQ_STR(set(&o, "lateness", "7us"), "");
    CHECK_EQ_I64(o.lateness_us, 7);
    CHECK_EQ_STR(set(&o, "lateness", "0"), "");
    CHECK_EQ_I64(o.lateness_us, 0);
    CHECK_EQ_STR(set(&o, "lateness", "2d"), "");
    CHECK_EQ_I64(o.lateness_us, 172800000000LL);
    CHECK_EQ_STR(set(&o, "lateness", "1h30"), "needs a duration like 10m, 90s or 1h30m, got '1h30'");
    CHECK_EQ_STR(set(&o, "lateness", "soon"), "needs a duration like 10m, 90s or 1h30m, got 'soon'");
    CHECK_EQ_STR(set(&o, "lateness", "-5s"), "needs a duration like 10m, 90s or 1h30m, got '-5s'");
    CHECK_EQ_STR(set(&o, "lateness", ""), "needs a duration like 10m, 90s or 1h30m, got ''");
    CHECK_EQ_I64(o.lateness_us, 172800000000LL);
    /* a minimum */
    CHECK_EQ_STR(expect("tick"), "a duration of at least 1ms like 10m, 90s or 1h30m");
    CHECK_EQ_STR(set(&o, "tick", "500us"), "needs a duration of at least 1ms like 10m, 90s or 1h30m, got '500us'");
    CHECK_EQ_STR(set(&o, "tick", "1ms"), "");
    CHECK_EQ_I64(o.tick_us, 1000);
    /* SL_OPT_MS: the field holds whole milliseconds */
    CHECK_EQ_STR(expect("timeout"), "a duration of whole milliseconds like 10m, 90s or 1h30m");
    CHECK_EQ_STR(set(&o, "timeout", "2s"), "");
    CHECK_EQ_I64(o.timeout_ms, 2000);
    CHECK_EQ_STR(set(&o, "timeout", "1m30s"), "");
    CHECK_EQ_I64(o.timeout_ms, 90000);
    CHECK_EQ_STR(set(&o, "timeout", "7ms"), "");
    CHECK_EQ_I64(o.timeout_ms, 7);
    CHECK_EQ_STR(set(&o, "timeout", "1500us"),
                 "needs a duration of whole milliseconds like 10m, 90s or 1h30m, got '1500us'");
    CHECK_EQ_STR(set(&o, "timeout", "1.5ms"),
                 "needs a duration of whole milliseconds like 10m, 90s or 1h30m, got '1.5ms'");
    CHECK_EQ_I64(o.timeout_ms, 7);
}

static void test_size(void) {
    topts o = defaults();
    CHECK_EQ_STR(expect("memory"), "a size like 512M or 2G"); /* the minimum is named when a value is below it */
    CHECK_EQ_STR(set(&o, "memory", "100K"), "needs a size of at least 1M, got '100K'");
    CHECK_EQ_STR(set(&o, "memory", "1048575"), "needs a size of at least 1M, got '1048575'");
    CHECK_EQ_STR(set(&o, "memory", "1M"), "");
    CHECK_EQ_I64(o.memory, 1048576);
    CHECK_EQ_STR(set(&o, "memory", "512M"), "");
    CHECK_EQ_I64(o.memory, 536870912);
    CHECK_EQ_STR(set(&o, "memory", "2G"), "");
    CHECK_EQ_I64(o.memory, 2147483648LL);
    CHECK_EQ_STR(set(&o, "memory", "1.5G"), "");
    CHECK_EQ_I64(o.memory, 1610612736LL);
    CHECK_EQ_STR(set(&o, "memory", "2GiB"), "");
    CHECK_EQ_I64(o.memory, 2147483648LL);
    CHECK_EQ_STR(set(&o, "memory", "lots"), "needs a size like 512M or 2G, got 'lots'");
    CHECK_EQ_I64(o.memory, 2147483648LL);
    /* without a minimum */
    CHECK_EQ_STR(expect("chunk"), "a size like 512M or 2G");
    CHECK_EQ_STR(set(&o, "chunk", "1"), "");
    CHECK_EQ_I64(o.chunk, 1);
    CHECK_EQ_STR(set(&o, "chunk", "4k"), "");
    CHECK_EQ_I64(o.chunk, 4096);
    CHECK_EQ_STR(set(&o, "chunk", "0"), "needs a size like 512M or 2G, got '0'");
    CHECK_EQ_STR(set(&o, "chunk", "5X"), "needs a size like 512M or 2G, got '5X'");
}

static void test_time(void) {
    topts o = defaults();
    CHECK_EQ_STR(set(&o, "from", "2024-03-01"), "");
    CHECK_EQ_I64(o.from_us, 1709251200000000LL);
    CHECK_EQ_STR(set(&o, "to", "2024-03-01T05:00:00Z"), "");
    CHECK_EQ_I64(o.to_us, 1709269200000000LL);
    /* a UTC time: a zero offset is fine, another one is refused */
    CHECK_EQ_STR(set(&o, "at", "2024-03-01T04:00:00+00:00"), "");
    CHECK_EQ_I64(o.at_us, 1709265600000000LL);
    CHECK_EQ_STR(set(&o, "at", "2024-03-01T05:00:00+01:00"),
                 "needs a UTC time like 2024-03-01 or 2024-03-01T05:00:00Z, got '2024-03-01T05:00:00+01:00'");
    CHECK_EQ_I64(o.at_us, 1709265600000000LL); /* unchanged */
    const char *want = "needs a UTC time like 2024-03-01 or 2024-03-01T05:00:00Z, got 'yesterday'";
    CHECK_EQ_STR(set(&o, "from", "yesterday"), want);
    CHECK_EQ_STR(set(&o, "from", "2024-02-30"), "needs a UTC time like 2024-03-01 or 2024-03-01T05:00:00Z, got '2024-02-30'");
    CHECK_EQ_I64(o.from_us, 1709251200000000LL);
    /* "min"/"max" are defaults only, not values */
    CHECK_EQ_STR(set(&o, "from", "min"), "needs a UTC time like 2024-03-01 or 2024-03-01T05:00:00Z, got 'min'");
}

static void test_enum(void) {
    topts o = defaults();
    CHECK_EQ_STR(set(&o, "format", "parquet"), "");
    CHECK_EQ_I64(o.format, 2);
    CHECK_EQ_STR(set(&o, "format", "CSV"), ""); /* case-insensitive */
    CHECK_EQ_I64(o.format, 1);
    CHECK_EQ_STR(set(&o, "format", "xml"), "needs one of jsonl, csv or parquet, got 'xml'");
    CHECK_EQ_STR(set(&o, "format", "json"), "needs one of jsonl, csv or parquet, got 'json'");
    CHECK_EQ_STR(set(&o, "format", "jsonl|csv"), "needs one of jsonl, csv or parquet, got 'jsonl|csv'");
    CHECK_EQ_STR(set(&o, "format", ""), "needs one of jsonl, csv or parquet, got ''");
    CHECK_EQ_I64(o.format, 1);
    CHECK_EQ_STR(set(&o, "side", "right"), "");
    CHECK_EQ_I64(o.side, 1);
    CHECK_EQ_STR(set(&o, "side", "up"), "needs left or right, got 'up'");
}

static void test_doubles(void) {
    topts o = defaults();
    CHECK_EQ_STR(expect("weights"), "4 comma-separated numbers each >= 0 with a positive sum");
    CHECK_EQ_STR(set(&o, "weights", "1,2,3,4"), "");
    CHECK(o.weights[0] == 1 && o.weights[1] == 2 && o.weights[2] == 3 && o.weights[3] == 4);
    CHECK_EQ_STR(set(&o, "weights", " 0.5 , 0,0 ,2"), "");
    CHECK(o.weights[0] == 0.5 && o.weights[1] == 0 && o.weights[2] == 0 && o.weights[3] == 2);
    const char *need = "needs 4 comma-separated numbers each >= 0 with a positive sum, got ";
    char want[256];
    snprintf(want, sizeof want, "%s'0,0,0,0'", need);
    CHECK_EQ_STR(set(&o, "weights", "0,0,0,0"), want);
    snprintf(want, sizeof want, "%s'1,2,3'", need);
    CHECK_EQ_STR(set(&o, "weights", "1,2,3"), want);
    snprintf(want, sizeof want, "%s'1,2,3,4,5'", need);
    CHECK_EQ_STR(set(&o, "weights", "1,2,3,4,5"), want);
    snprintf(want, sizeof want, "%s'1,-1,1,1'", need);
    CHECK_EQ_STR(set(&o, "weights", "1,-1,1,1"), want);
    snprintf(want, sizeof want, "%s'1,x,1,1'", need);
    CHECK_EQ_STR(set(&o, "weights", "1,x,1,1"), want);
    snprintf(want, sizeof want, "%s'1,,1,1'", need);
    CHECK_EQ_STR(set(&o, "weights", "1,,1,1"), want);
    CHECK(o.weights[0] == 0.5 && o.weights[3] == 2); /* unchanged */
    /* a list from a file: each value on its own; the bad one is named */
    char err[SL_ERRLEN];
    const char *ok[] = {"4", "3", "2", "1"}, *bad[] = {"1", "x", "1", "1"}, *zero[] = {"0", "0", "0", "0"};
    CHECK(sl_opt_set_list(opt("weights"), &o, ok, 4, err, sizeof err) == SL_OK);
    CHECK(o.weights[0] == 4 && o.weights[1] == 3 && o.weights[2] == 2 && o.weights[3] == 1);
    CHECK(sl_opt_set_list(opt("weights"), &o, bad, 4, err, sizeof err) == SL_ERR_ARG);
    snprintf(want, sizeof want, "%s'x'", need);
    CHECK_EQ_STR(err, want);
    CHECK(sl_opt_set_list(opt("weights"), &o, ok, 3, err, sizeof err) == SL_ERR_ARG);
    snprintf(want, sizeof want, "%s'4'", need);
    CHECK_EQ_STR(err, want);
    CHECK(sl_opt_set_list(opt("weights"), &o, zero, 4, err, sizeof err) == SL_ERR_ARG);
    CHECK(o.weights[0] == 4 && o.weights[3] == 1);
    /* a list for a single-valued option */
    CHECK(sl_opt_set_list(opt("batch_rows"), &o, ok, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK_EQ_STR(err, "needs a single value, not a list");
}

static void test_custom(void) {
    topts o = defaults();
    CHECK_EQ_STR(set(&o, "speed", "max"), "");
    CHECK(o.speed == 0);
    CHECK_EQ_STR(set(&o, "speed", "2.5"), "");
    CHECK(o.speed == 2.5);
    /* its own message, as it wrote it */
    CHECK_EQ_STR(set(&o, "speed", "-1"), "needs a positive number or 'max', got '-1'");
    CHECK_EQ_STR(set(&o, "speed", "slow"), "'slow' is not a speed, use a number");
    CHECK(o.speed == 2.5);
    /* no message: the table's expect text, else a generic one */
    CHECK_EQ_STR(set(&o, "even", "4"), "");
    CHECK_EQ_I64(o.even, 4);
    CHECK_EQ_STR(set(&o, "even", "3"), "needs an even integer, got '3'");
    CHECK_EQ_STR(set(&o, "mode", "3"), "needs a valid value, got '3'");
    CHECK_EQ_STR(expect("mode"), "a valid value");
    CHECK_EQ_STR(fmt(&o, "speed"), "?");
}

/* Values in messages are clipped to 64 bytes and control bytes shown as '?'. */
static void test_clipping(void) {
    topts o = defaults();
    char big[200];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = 0;
    char want[256];
    snprintf(want, sizeof want, "needs an integer in 1..1000000, got '%.64s...'", big);
    CHECK_EQ_STR(set(&o, "batch_rows", big), want);
    big[64] = 0; /* exactly 64: no ellipsis */
    snprintf(want, sizeof want, "needs an integer in 1..1000000, got '%s'", big);
    CHECK_EQ_STR(set(&o, "batch_rows", big), want);
    CHECK_EQ_STR(set(&o, "batch_rows", "1\t2\n3\x01\x7f"), "needs an integer in 1..1000000, got '1?2?3?" "?'");
    CHECK_EQ_STR(set(&o, "format", "\x1b[31mred"), "needs one of jsonl, csv or parquet, got '?[31mred'");
    /* the same for a size below the minimum: a control byte as '?', a long value clipped with "..." */
    const char *m = set(&o, "memory", "\t100K");
    CHECK(strstr(m, "at least 1M") != NULL);
    CHECK(strchr(m, '\t') == NULL);
    CHECK(strlen(m) > 7 && strcmp(m + strlen(m) - 7, "'?100K'") == 0);
    char zeros[128];
    memset(zeros, '0', 100);
    strcpy(zeros + 100, "100K"); /* 104 bytes: 100K */
    m = set(&o, "memory", zeros);
    CHECK(strstr(m, "at least 1M") != NULL);
    snprintf(want, sizeof want, "'%.64s...'", zeros);
    CHECK(strlen(m) > strlen(want) && strcmp(m + strlen(m) - strlen(want), want) == 0);
    /* UTF-8 is kept */
    CHECK_EQ_STR(set(&o, "side", "g\xc3\xa9"), "needs left or right, got 'g\xc3\xa9'");
    /* a short error buffer is cut, still terminated */
    char small[16];
    CHECK(sl_opt_set(opt("batch_rows"), &o, "0", small, sizeof small) == SL_ERR_ARG);
    CHECK_EQ_I64(strlen(small), 15);
    CHECK(strncmp(small, "needs an intege", 15) == 0);
}

/* ---------------------------------------------------------------- formatting */

static void test_format_round_trip(void) {
    topts o = defaults();
    CHECK_EQ_STR(fmt(&o, "quiet"), "false");
    CHECK_EQ_STR(fmt(&o, "batch_rows"), "65536");
    CHECK_EQ_STR(fmt(&o, "offset"), "-7");
    CHECK_EQ_STR(fmt(&o, "count"), "1000000000000");
    CHECK_EQ_STR(fmt(&o, "ratio"), "1.5");
    CHECK_EQ_STR(fmt(&o, "name"), "");
    CHECK_EQ_STR(fmt(&o, "lateness"), "10m");
    CHECK_EQ_STR(fmt(&o, "tick"), "1s");
    CHECK_EQ_STR(fmt(&o, "timeout"), "1500ms");
    CHECK_EQ_STR(fmt(&o, "memory"), "1G");
    CHECK_EQ_STR(fmt(&o, "chunk"), "64K");
    CHECK_EQ_STR(fmt(&o, "from"), ""); /* open ends print as nothing */
    CHECK_EQ_STR(fmt(&o, "to"), "");
    CHECK_EQ_STR(fmt(&o, "format"), "jsonl");
    CHECK_EQ_STR(fmt(&o, "weights"), "1,1,1,1");
    /* set -> format -> set gives the same field */
    static const struct {
        const char *name, *value, *text;
    } tab[] = {
        {"quiet", "yes", "true"},
        {"verbose", "off", "false"},
        {"batch_rows", "123456", "123456"},
        {"shards", "2147483647", "2147483647"},
        {"offset", "-9223372036854775808", "-9223372036854775808"},
        {"count", "999999999999", "999999999999"},
        {"ratio", "0.1", "0.10000000000000001"},
        {"frac", "0.3333333333333333", "0.33333333333333331"},
        {"temp", "-273.15", "-273.14999999999998"},
        {"name", "alpha beta", "alpha beta"},
        {"lateness", "1h30m", "90m"},
        {"lateness", "36h", "36h"},
        {"lateness", "1500us", "1500us"},
        {"lateness", "2d", "2d"},
        {"lateness", "0", "0"},
        {"timeout", "90s", "90s"},
        {"timeout", "1234ms", "1234ms"},
        {"memory", "512M", "512M"},
        {"memory", "1.5G", "1536M"},
        {"chunk", "1536", "1536"},
        {"chunk", "3T", "3T"},
        {"at", "2024-03-01T05:06:07.123456Z", "2024-03-01T05:06:07.123456Z"},
        {"at", "2024-03-01 04:00:00-00:00", "2024-03-01T04:00:00.000000Z"},
        {"format", "PARQUET", "parquet"},
        {"side", "right", "right"},
        {"weights", "0.5,1,2,0.25", "0.5,1,2,0.25"},
    };
    for (size_t k = 0; k < sizeof tab / sizeof *tab; k++) {
        topts a = defaults(), b = defaults();
        const char *e = set(&a, tab[k].name, tab[k].value);
        if (*e) {
            fprintf(stderr, "  set %s=%s: %s\n", tab[k].name, tab[k].value, e);
            t_cur_failed = 1;
            continue;
        }
        char text[256];
        snprintf(text, sizeof text, "%s", fmt(&a, tab[k].name));
        if (strcmp(text, tab[k].text)) {
            fprintf(stderr, "  format %s=%s: got '%s', want '%s'\n", tab[k].name, tab[k].value, text, tab[k].text);
            t_cur_failed = 1;
        }
        e = set(&b, tab[k].name, text);
        if (*e) {
            fprintf(stderr, "  reparse %s='%s': %s\n", tab[k].name, text, e);
            t_cur_failed = 1;
            continue;
        }
        const sl_opt *op = opt(tab[k].name);
        bool same = op->type == SL_OPT_T_STRING
                        ? !strcmp(*(char **)((char *)&a + op->offset), *(char **)((char *)&b + op->offset))
                        : !memcmp((char *)&a + op->offset, (char *)&b + op->offset, op->size);
        if (!same) {
            fprintf(stderr, "  round trip of %s=%s through '%s' changed the value\n", tab[k].name, tab[k].value, text);
            t_cur_failed = 1;
        }
    }
}

/* ---------------------------------------------------------------- help and docs */

typedef struct hopts {
    int64_t lateness_us;
    int batch_rows;
    bool quiet;
    int format;
    int kind;
    int very_long;
    int64_t from_us;
    size_t memory;
    const char *name;
    int secret;
    int file_key;
} hopts;

static const sl_opt H[] = {
    {.name = "lateness", .type = SL_OPT_T_DURATION, SL_OPT_F_(hopts, lateness_us), .def = "10m",
     .help = "allowed lateness", .max = 9.2e18, .section = "Windows"},
    SL_OPT_INT(hopts, batch_rows, "batch_rows", "65536", 1, 1000000, "rows per batch"),
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(hopts, quiet), .def = "false", .help = "no progress line",
     .alias = "-q"},
    SL_OPT_ENUM(hopts, format, "format", "jsonl", "jsonl|csv|parquet", "output format"),
    SL_OPT_ENUM(hopts, kind, "kind", "a", "a|b", "kind: a|b"),
    {.name = "very_long_option_name", .type = SL_OPT_T_INT, SL_OPT_F_(hopts, very_long), .def = "3",
     .help = "a long one\nsecond line", .arg = "COUNT"},
    {.name = "from", .type = SL_OPT_T_TIME, SL_OPT_F_(hopts, from_us), .def = "min", .help = "first event",
     .section = "Range"},
    SL_OPT_SIZE(hopts, memory, "memory", "1G", 1048576, "budget | cap (default: all of it)"),
    {.name = "name", .type = SL_OPT_T_STRING, SL_OPT_F_(hopts, name), .help = "a name", .alias = "-n", .arg = "LABEL",
     .flags = SL_OPT_REQUIRED | SL_OPT_CLI_ONLY},
    {.name = "secret", .type = SL_OPT_T_INT, SL_OPT_F_(hopts, secret), .def = "1", .help = "hidden",
     .flags = SL_OPT_HIDDEN},
    {.name = "file_key", .type = SL_OPT_T_INT, SL_OPT_F_(hopts, file_key), .def = "2", .help = "in files only",
     .flags = SL_OPT_FILE_ONLY},
    SL_OPT_END,
};

static void test_help(void) {
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_help(H, "", &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "\n"
                                  "Windows:\n"
                                  "  --lateness DUR        allowed lateness (default 10m)\n"
                                  "  --batch-rows N        rows per batch (default 65536)\n"
                                  "  --quiet, -q           no progress line\n"
                                  "  --format VALUE        output format (default jsonl): jsonl, csv or parquet\n"
                                  "  --kind VALUE          kind: a|b (default a)\n"
                                  "  --very-long-option-name COUNT\n"
                                  "                        a long one\n"
                                  "                        second line (default 3)\n"
                                  "\n"
                                  "Range:\n"
                                  "  --from TIME           first event\n"
                                  "  --memory SIZE         budget | cap (default: all of it)\n"
                                  "  --name, -n LABEL      a name\n");
    /* a prefix goes between the dashes and the name */
    b.len = 0;
    sl_opt_help(H, "hot-", &b);
    CHECK(strstr(sl_buf_cstr(&b), "\n  --hot-lateness DUR    allowed lateness (default 10m)\n") != NULL);
    CHECK(strstr(sl_buf_cstr(&b), "\n  --hot-batch-rows N    rows per batch (default 65536)\n") != NULL);
    CHECK(strstr(sl_buf_cstr(&b), "\n  --hot-quiet, -q       no progress line\n") != NULL);
    CHECK(strstr(sl_buf_cstr(&b), "secret") == NULL);
    CHECK(strstr(sl_buf_cstr(&b), "file-key") == NULL);
    /* NULL prefix = "" */
    sl_buf c;
    sl_buf_init(&c);
    sl_opt_help(H, NULL, &c);
    b.len = 0;
    sl_opt_help(H, "", &b);
    CHECK_EQ_STR(sl_buf_cstr(&c), sl_buf_cstr(&b));
    sl_buf_free(&c);
    sl_buf_free(&b);
}

/* Long help wraps at 100 columns under the option's column (24). */
static void test_help_wrap(void) {
    typedef struct { int64_t n; } wopts;
    static const sl_opt W[] = {
        SL_OPT_INT(wopts, n, "n", "7", 0, 100,
                   "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                   "sixteen seventeen eighteen"),
        SL_OPT_END,
    };
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_help(W, "", &b);
    CHECK_EQ_STR(sl_buf_cstr(&b),
                 "  --n N                 one two three four five six seven eight nine ten eleven twelve thirteen\n"
                 "                        fourteen fifteen sixteen seventeen eighteen (default 7)\n");
    sl_buf_free(&b);
}

static void test_doc_md(void) {
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_doc_md(H, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b),
                 "| key | type | default | meaning |\n"
                 "|---|---|---|---|\n"
                 "| `lateness` | duration | `10m` | allowed lateness (a duration like 10m, 90s or 1h30m) |\n"
                 "| `batch_rows` | integer | `65536` | rows per batch (an integer in 1..1000000) |\n"
                 "| `quiet` | bool | `false` | no progress line |\n"
                 "| `format` | enum | `jsonl` | output format (one of jsonl, csv or parquet) |\n"
                 "| `kind` | enum | `a` | kind: a\\|b (a or b) |\n"
                 "| `very_long_option_name` | integer | `3` | a long one second line (an integer) |\n"
                 "| `from` | time | open | first event |\n"
                 "| `memory` | size | `1G` | budget \\| cap (default: all of it) (a size like 512M or 2G, at least 1M) "
                 "|\n"
                 "| `file_key` | integer | `2` | in files only (an integer) |\n");
    /* required options without a default say so */
    typedef struct r {
        const char *path;
        int n;
    } r;
    static const sl_opt R[] = {
        {.name = "path", .type = SL_OPT_T_STRING, SL_OPT_F_(r, path), .help = "where", .flags = SL_OPT_REQUIRED},
        {.name = "n", .type = SL_OPT_T_INT, SL_OPT_F_(r, n), .help = "how many"},
        SL_OPT_END,
    };
    b.len = 0;
    sl_opt_doc_md(R, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "| key | type | default | meaning |\n"
                                  "|---|---|---|---|\n"
                                  "| `path` | string | required | where |\n"
                                  "| `n` | integer | - | how many (an integer) |\n");
    sl_buf_free(&b);
}

/* ---------------------------------------------------------------- unsigned, peek, a command's help and reference */

typedef struct uopts {
    uint64_t seed;
    uint64_t rows;
    int64_t start_us;
    int kind;
    bool quiet;
    const char *out;
    int hidden;
} uopts;

static const sl_opt U[] = {
    {.name = "seed", .type = SL_OPT_T_INT, SL_OPT_F_(uopts, seed), .def = "1", .min = 0, .max = 18446744073709551615.0,
     .flags = SL_OPT_UNSIGNED, .help = "random seed"},
    {.name = "rows", .type = SL_OPT_T_INT, SL_OPT_F_(uopts, rows), .def = "10", .min = 1, .max = 100,
     .flags = SL_OPT_UNSIGNED, .help = "rows"},
    {.name = "start", .type = SL_OPT_T_TIME, SL_OPT_F_(uopts, start_us), .def = "2024-03-01", .arg = "DATE",
     .help = "first hour"},
    {.name = "kind", .type = SL_OPT_T_ENUM, SL_OPT_F_(uopts, kind), .def = "small", .choices = "small|large",
     .help = "small or large", .section = "shape"},
    SL_OPT_END,
};
static const sl_opt U2[] = {
    {.name = "out", .type = SL_OPT_T_STRING, SL_OPT_F_(uopts, out), .alias = "-o", .arg = "FILE", .help = "output | file"},
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(uopts, quiet), .def = "false", .alias = "-q", .help = "silent"},
    {.name = "hidden", .type = SL_OPT_T_INT, SL_OPT_F_(uopts, hidden), .def = "0", .flags = SL_OPT_HIDDEN,
     .help = "not shown"},
    SL_OPT_END,
};

static void test_unsigned(void) {
    uopts o;
    char err[SL_ERRLEN];
    CHECK_EQ_I64(sl_opt_defaults(U, &o, err, sizeof err), SL_OK);
    CHECK(o.seed == 1);
    CHECK_EQ_I64(sl_opt_set(&U[0], &o, "18446744073709551615", err, sizeof err), SL_OK);
    CHECK(o.seed == UINT64_MAX);
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_format(&U[0], &o, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "18446744073709551615");
    sl_buf_free(&b);
    CHECK_EQ_I64(sl_opt_set(&U[0], &o, "18446744073709551616", err, sizeof err), SL_ERR_ARG);
    CHECK_EQ_STR(err, "needs an integer >= 0, got '18446744073709551616'");
    CHECK_EQ_I64(sl_opt_set(&U[0], &o, "-1", err, sizeof err), SL_ERR_ARG); /* strtoull would wrap it */
    CHECK_EQ_I64(sl_opt_set(&U[0], &o, " -1", err, sizeof err), SL_ERR_ARG);
    CHECK_EQ_I64(sl_opt_set(&U[0], &o, "", err, sizeof err), SL_ERR_ARG);
    CHECK_EQ_I64(sl_opt_set(&U[0], &o, "12x", err, sizeof err), SL_ERR_ARG);
    CHECK(o.seed == UINT64_MAX);
    /* the range still applies */
    CHECK_EQ_I64(sl_opt_set(&U[1], &o, "0", err, sizeof err), SL_ERR_ARG);
    CHECK_EQ_STR(err, "needs an integer in 1..100, got '0'");
    CHECK_EQ_I64(sl_opt_set(&U[1], &o, "100", err, sizeof err), SL_OK);
    CHECK(o.rows == 100);
    /* a TIME with a date as its default: parsed, and shown in --help */
    CHECK_EQ_I64(o.start_us, sl_days_from_civil(2024, 3, 1) * SL_US_PER_DAY);
}

static void test_peek(void) {
    static const sl_opt *const tables[] = {U, U2, NULL};
    char *a1[] = {"--out", "--kind", "--kind=large", "x", "-q", "--kind", "small", "--", "--kind", "large"};
    CHECK_EQ_STR(sl_opt_peek(tables, 10, a1, "kind"), "small"); /* the last one before "--"; --out's value is no flag */
    CHECK_EQ_STR(sl_opt_peek(tables, 10, a1, "out"), "--kind");
    CHECK_EQ_STR(sl_opt_peek(tables, 10, a1, "quiet"), "true");
    CHECK(sl_opt_peek(tables, 10, a1, "seed") == NULL);
    char *a2[] = {"--bogus", "--kind", "--seed"}; /* unknown words are skipped; a value is the next word, as parsed */
    CHECK_EQ_STR(sl_opt_peek(tables, 3, a2, "kind"), "--seed");
    CHECK(sl_opt_peek(tables, 3, a2, "seed") == NULL);
    CHECK(sl_opt_peek(tables, 1, a2 + 1, "kind") == NULL); /* no value at the end: none */
    char *a3[] = {"-o", "f.txt", "--kind=LARGE"};
    CHECK_EQ_STR(sl_opt_peek(tables, 3, a3, "out"), "f.txt");
    CHECK_EQ_STR(sl_opt_peek(tables, 3, a3, "kind"), "LARGE"); /* not validated */
}

static void test_cmd_parse(void) {
    static const sl_opt *const tables[] = {U, U2, NULL};
    uopts o;
    memset(&o, 0xA5, sizeof o);
    char err[SL_ERRLEN];
    sl_opt_cmd cmd = {.name = "demo", .tables = tables, .objs = (void *const[]){&o, &o}};
    char *a1[] = {"--rows=5", "-o", "x"};
    CHECK_EQ_I64(sl_opt_cmd_parse(&cmd, 3, a1, err, sizeof err), SL_OK); /* every default first, then argv */
    CHECK(o.seed == 1 && o.rows == 5 && !o.quiet && o.kind == 0 && !strcmp(o.out, "x"));
    char *a2[] = {"--rows", "5", "-h"};
    CHECK_EQ_I64(sl_opt_cmd_parse(&cmd, 3, a2, err, sizeof err), SL_OPT_HELP);
    char *a3[] = {"--seed", "x"};
    CHECK_EQ_I64(sl_opt_cmd_parse(&cmd, 2, a3, err, sizeof err), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--seed needs an integer >= 0, got 'x'");
}

static void test_cmd_help_doc(void) {
    static const sl_opt *const tables[] = {U, U2, NULL};
    static const char *const titles[] = {"numbers", "output"};
    sl_opt_cmd cmd = {.name = "demo", .tables = tables, .titles = titles, .usage = "demo FILE [options]\ndemo --list",
                      .about = "Does a demo.\nSecond line.", .notes = "Exit status: 0 ok."};
    sl_buf b;
    sl_buf_init(&b);
    sl_opt_cmd_help(&cmd, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "usage: demo FILE [options]\n"
                                  "       demo --list\n"
                                  "  Does a demo.\n"
                                  "  Second line.\n"
                                  "\n"
                                  "numbers:\n"
                                  "  --seed N              random seed (default 1)\n"
                                  "  --rows N              rows (default 10)\n"
                                  "  --start DATE          first hour (default 2024-03-01)\n"
                                  "\n"
                                  "shape:\n"
                                  "  --kind VALUE          small or large (default small)\n"
                                  "\n"
                                  "output:\n"
                                  "  --out, -o FILE        output | file\n"
                                  "  --quiet, -q           silent\n"
                                  "\n"
                                  "Exit status: 0 ok.\n");
    b.len = 0;
    sl_opt_cmd_doc_md(&cmd, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "```\n"
                                  "demo FILE [options]\n"
                                  "demo --list\n"
                                  "```\n"
                                  "\n"
                                  "Does a demo.\n"
                                  "Second line.\n"
                                  "\n"
                                  "**numbers**\n"
                                  "\n"
                                  "| flag | type | default | meaning |\n"
                                  "|---|---|---|---|\n"
                                  "| `--seed N` | integer | `1` | random seed (an integer >= 0) |\n"
                                  "| `--rows N` | integer | `10` | rows (an integer in 1..100) |\n"
                                  "| `--start DATE` | time | `2024-03-01` | first hour |\n"
                                  "\n"
                                  "**shape**\n"
                                  "\n"
                                  "| flag | type | default | meaning |\n"
                                  "|---|---|---|---|\n"
                                  "| `--kind VALUE` | enum | `small` | small or large |\n"
                                  "\n"
                                  "**output**\n"
                                  "\n"
                                  "| flag | type | default | meaning |\n"
                                  "|---|---|---|---|\n"
                                  "| `--out FILE` (`-o`) | string | - | output \\| file |\n"
                                  "| `--quiet` (`-q`) | bool | `false` | silent |\n"
                                  "\n"
                                  "Exit status: 0 ok.\n");
    /* without titles the first table is under "options", the next ones continue the last section */
    static const sl_opt *const one[] = {U2, NULL};
    sl_opt_cmd plain = {.tables = one, .usage = "plain"};
    b.len = 0;
    sl_opt_cmd_help(&plain, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "usage: plain\n\noptions:\n  --out, -o FILE        output | file\n"
                                  "  --quiet, -q           silent\n");
    b.len = 0;
    sl_opt_cmd_doc_md(&plain, &b);
    CHECK_EQ_STR(sl_buf_cstr(&b), "```\nplain\n```\n\n**options**\n\n| flag | type | default | meaning |\n|---|---|---|---|\n"
                                  "| `--out FILE` (`-o`) | string | - | output \\| file |\n"
                                  "| `--quiet` (`-q`) | bool | `false` | silent |\n");
    sl_buf_free(&b);
}

/* ---------------------------------------------------------------- argv */

typedef struct second {
    int level;
    const char *dir;
} second;

static const sl_opt S2[] = {
    SL_OPT_INT(second, level, "level", "1", 0, 9, "compression level"),
    SL_OPT_STRING(second, dir, "dir", "/tmp", "where"),
    SL_OPT_END,
};

typedef struct cli_ctx {
    topts *o;
    char seen[16][64]; /* positional words with the batch_rows in effect: "word@N" */
    int npos;
    char after[16][64]; /* "name=value" of each flag set */
    int nafter;
    bool fail_pos, fail_after;
} cli_ctx;

static sl_err on_pos(void *ctx, const char *word, char *err, size_t errlen) {
    cli_ctx *c = ctx;
    if (c->fail_pos) return sl_err_set(err, errlen, SL_ERR_ARG, "no inputs allowed here: '%s'", word);
    if (c->npos < 16) snprintf(c->seen[c->npos++], 64, "%s@%d", word, c->o->batch_rows);
    return SL_OK;
}

static sl_err on_after(void *ctx, const sl_opt *o, const char *value, char *err, size_t errlen) {
    cli_ctx *c = ctx;
    if (c->fail_after && !strcmp(o->name, "name"))
        return sl_err_set(err, errlen, SL_ERR_ARG, "--name must come after an input");
    if (c->nafter < 16) snprintf(c->after[c->nafter++], 64, "%s=%s", o->name, value ? value : "(none)");
    return SL_OK;
}

/* Parse a NULL-terminated word list into fresh defaults; returns the result code. */
static int parse(cli_ctx *c, topts *o, second *s, bool positional, char *err, const char **words) {
    *o = defaults();
    char e2[SL_ERRLEN];
    sl_opt_defaults(S2, s, e2, sizeof e2);
    memset(c, 0, sizeof *c);
    c->o = o;
    static const sl_opt *const tables[] = {T, S2, NULL};
    void *objs[] = {o, s};
    sl_opt_cmd cmd = {.name = "test", .tables = tables, .objs = objs, .positional = positional ? on_pos : NULL,
                      .after = on_after, .ctx = c};
    char *argv[32];
    int argc = 0;
    while (words[argc]) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    strcpy(err, "(untouched)");
    return sl_opt_parse_argv(&cmd, argc, argv, err, SL_ERRLEN);
}

#define WORDS(...) ((const char *[]){__VA_ARGS__, NULL})

static void test_argv_values(void) {
    cli_ctx c;
    topts o;
    second s;
    char err[SL_ERRLEN];
    /* --name value, --name=value, bare flags, aliases, the second table */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err,
                       WORDS("--batch-rows", "12", "--lateness=90s", "--quiet", "-n", "alpha", "--level", "7",
                             "--dir=/data", "--format=csv", "--weights", "1,2,3,4", "--label=")),
                 SL_OK);
    CHECK_EQ_I64(o.batch_rows, 12);
    CHECK_EQ_I64(o.lateness_us, 90000000);
    CHECK(o.quiet == true);
    CHECK_EQ_STR(o.name, "alpha");
    CHECK_EQ_I64(s.level, 7);
    CHECK_EQ_STR(s.dir, "/data");
    CHECK_EQ_I64(o.format, 1);
    CHECK(o.weights[1] == 2);
    CHECK_EQ_STR(o.label, "");
    CHECK_EQ_I64(c.npos, 0);
    /* the after callback sees every flag in order, with its value */
    CHECK_EQ_I64(c.nafter, 9);
    CHECK_EQ_STR(c.after[0], "batch_rows=12");
    CHECK_EQ_STR(c.after[1], "lateness=90s");
    CHECK_EQ_STR(c.after[2], "quiet=(none)");
    CHECK_EQ_STR(c.after[3], "name=alpha");
    CHECK_EQ_STR(c.after[8], "label=");
    /* later flags override earlier ones; a flag takes an explicit value only after '=' */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err,
                       WORDS("--batch-rows=5", "--batch-rows", "6", "-q", "--quiet=no", "--verbose", "false")),
                 SL_OK);
    CHECK_EQ_I64(o.batch_rows, 6);
    CHECK(o.quiet == false);
    CHECK(o.verbose == true);
    CHECK_EQ_I64(c.npos, 1);
    CHECK_EQ_STR(c.seen[0], "false@6"); /* the word after a bare flag is a positional */
    /* a value that starts with '-' is still the value */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--offset", "-5", "--temp", "-40")), SL_OK);
    CHECK_EQ_I64(o.offset, -5);
    CHECK(o.temp == -40);
    /* "--" ends the flags; "-" alone is a positional */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("-", "--batch-rows", "9", "--", "--batch-rows", "-h", "x")), SL_OK);
    CHECK_EQ_I64(o.batch_rows, 9);
    CHECK_EQ_I64(c.npos, 4);
    CHECK_EQ_STR(c.seen[0], "-@65536");
    CHECK_EQ_STR(c.seen[1], "--batch-rows@9");
    CHECK_EQ_STR(c.seen[2], "-h@9");
    CHECK_EQ_STR(c.seen[3], "x@9");
    /* positionals see the flags given before them */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("a", "--batch-rows", "5", "b", "--batch-rows=7", "c")), SL_OK);
    CHECK_EQ_I64(c.npos, 3);
    CHECK_EQ_STR(c.seen[0], "a@65536");
    CHECK_EQ_STR(c.seen[1], "b@5");
    CHECK_EQ_STR(c.seen[2], "c@7");
    /* nothing at all */
    const char *none[] = {NULL};
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, none), SL_OK);
    CHECK_EQ_I64(o.batch_rows, 65536);
}

static void test_argv_help(void) {
    cli_ctx c;
    topts o;
    second s;
    char err[SL_ERRLEN];
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("-h")), SL_OPT_HELP);
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--batch-rows", "3", "--help", "--bogus")), SL_OPT_HELP);
    CHECK_EQ_I64(o.batch_rows, 3); /* flags before it were applied */
    CHECK_EQ_I64(parse(&c, &o, &s, false, err, WORDS("x", "--help")), SL_ERR_ARG); /* the word before it fails first */
    CHECK_EQ_STR(err, "unexpected argument 'x'");
}

static void test_argv_errors(void) {
    cli_ctx c;
    topts o;
    second s;
    char err[SL_ERRLEN];
    /* unknown options, with and without a suggestion */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--bogus")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '--bogus'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--bogus=3")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '--bogus'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--latenes", "5m")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '--latenes' (did you mean --lateness?)");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--batch-row=5")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '--batch-row' (did you mean --batch-rows?)");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--batch_rows", "5")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '--batch_rows' (did you mean --batch-rows?)");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--levle", "5")), SL_ERR_ARG); /* the second table */
    CHECK_EQ_STR(err, "unknown option '--levle' (did you mean --level?)");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("-x")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '-x'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("-n=alpha")), SL_ERR_ARG); /* an alias takes no '=' */
    CHECK_EQ_STR(err, "unknown option '-n=alpha'");
    /* file-only keys are not flags, nor suggested; hidden ones are flags but not suggested */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--file-key", "1")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '--file-key'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--secret", "9", "--cli-key", "8")), SL_OK);
    CHECK_EQ_I64(o.secret, 9);
    CHECK_EQ_I64(o.cli_key, 8);
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--secrt", "9")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unknown option '--secrt'");
    /* a missing value */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--batch-rows", "5", "--name")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "option --name needs a value");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("-n")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "option -n needs a value");
    /* a bad value, prefixed with the flag as a flag */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--batch-rows", "0")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--batch-rows needs an integer in 1..1000000, got '0'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--batch-rows=0")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--batch-rows needs an integer in 1..1000000, got '0'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--memory", "100K")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--memory needs a size of at least 1M, got '100K'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("-n", "")), SL_ERR_ARG); /* an alias is named by its flag */
    CHECK_EQ_STR(err, "--name needs a non-empty value, got ''");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--quiet=maybe")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--quiet needs true or false, got 'maybe'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--level", "10")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--level needs an integer in 0..9, got '10'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--speed", "-1")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--speed needs a positive number or 'max', got '-1'");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--speed", "slow")), SL_ERR_ARG); /* a custom text after a colon */
    CHECK_EQ_STR(err, "--speed: 'slow' is not a speed, use a number");
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--even=3")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "--even needs an even integer, got '3'");
    /* the flags before the error were applied, none after */
    CHECK_EQ_I64(parse(&c, &o, &s, true, err, WORDS("--batch-rows", "5", "--level", "x", "--dir", "/d")), SL_ERR_ARG);
    CHECK_EQ_I64(o.batch_rows, 5);
    CHECK_EQ_STR(s.dir, "/tmp");
    /* positionals where none are taken; the callbacks' own errors */
    CHECK_EQ_I64(parse(&c, &o, &s, false, err, WORDS("--quiet", "input.csv")), SL_ERR_ARG);
    CHECK_EQ_STR(err, "unexpected argument 'input.csv'");
    CHECK(o.quiet == true);
    parse(&c, &o, &s, true, err, (const char *[]){NULL});
    memset(&c, 0, sizeof c);
    c.o = &o;
    c.fail_pos = true;
    {
        static const sl_opt *const tables[] = {T, S2, NULL};
        void *objs[] = {&o, &s};
        sl_opt_cmd cmd = {.name = "t", .tables = tables, .objs = objs, .positional = on_pos, .after = on_after, .ctx = &c};
        char *argv[] = {"--quiet", "in.csv"};
        CHECK_EQ_I64(sl_opt_parse_argv(&cmd, 2, argv, err, sizeof err), SL_ERR_ARG);
        CHECK_EQ_STR(err, "no inputs allowed here: 'in.csv'");
        c.fail_pos = false;
        c.fail_after = true;
        char *argv2[] = {"-n", "a", "in.csv"};
        CHECK_EQ_I64(sl_opt_parse_argv(&cmd, 3, argv2, err, sizeof err), SL_ERR_ARG);
        CHECK_EQ_STR(err, "--name must come after an input");
        CHECK_EQ_I64(c.npos, 0);
    }
}

int main(void) {
    RUN(test_defaults);
    RUN(test_find_suggest);
    RUN(test_flag);
    RUN(test_int);
    RUN(test_double);
    RUN(test_string);
    RUN(test_duration);
    RUN(test_size);
    RUN(test_time);
    RUN(test_enum);
    RUN(test_doubles);
    RUN(test_custom);
    RUN(test_clipping);
    RUN(test_format_round_trip);
    RUN(test_help);
    RUN(test_help_wrap);
    RUN(test_doc_md);
    RUN(test_argv_values);
    RUN(test_argv_help);
    RUN(test_argv_errors);
    RUN(test_unsigned);
    RUN(test_peek);
    RUN(test_cmd_parse);
    RUN(test_cmd_help_doc);
    return T_DONE();
}
