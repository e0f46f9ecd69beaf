/* test_time: the calendar, formatting and parsing of src/util/time.c.
 *
 * The calendar is checked against an independent day-by-day counter (every
 * day from year -1000 to 3000) and the formatter against gmtime_r; the
 * parsers against hand-computed values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "t.h"
#include "util/time.h"

#define SEC INT64_C(1000000)
#define HOUR SL_US_PER_HOUR
#define DAY SL_US_PER_DAY
static const int64_t T0 = INT64_C(1709251200) * SEC; /* 2024-03-01T00:00:00Z */

/* ------------------------------------------------------------------ arithmetic */

static void test_floor_div_mod(void) {
    CHECK_EQ_I64(sl_floor_div(7, 2), 3);
    CHECK_EQ_I64(sl_floor_div(-7, 2), -4);
    CHECK_EQ_I64(sl_floor_div(-8, 2), -4);
    CHECK_EQ_I64(sl_floor_div(0, 5), 0);
    CHECK_EQ_I64(sl_floor_div(-1, 5), -1);
    CHECK_EQ_I64(sl_floor_div(-5, 5), -1);
    CHECK_EQ_I64(sl_floor_div(-6, 5), -2);
    CHECK_EQ_I64(sl_floor_mod(7, 2), 1);
    CHECK_EQ_I64(sl_floor_mod(-7, 2), 1);
    CHECK_EQ_I64(sl_floor_mod(-1, 5), 4);
    CHECK_EQ_I64(sl_floor_mod(-10, 5), 0);
    CHECK_EQ_I64(sl_floor_mod(-1, SL_US_PER_SEC), 999999);
    /* against a counting definition: q is the largest with q*b <= a */
    for (int64_t b = 1; b <= 7; b++)
        for (int64_t a = -60; a <= 60; a++) {
            int64_t q = -100;
            while ((q + 1) * b <= a) q++;
            if (sl_floor_div(a, b) != q || sl_floor_mod(a, b) != a - q * b) {
                fprintf(stderr, "  floor %lld / %lld\n", (long long)a, (long long)b);
                CHECK(0);
            }
        }
    /* the extremes: no overflow, and q*b + r == a */
    int64_t q = sl_floor_div(INT64_MIN, HOUR), r = sl_floor_mod(INT64_MIN, HOUR);
    CHECK(r >= 0 && r < HOUR);
    CHECK_EQ_I64(q, INT64_C(-2562047789));
    CHECK((uint64_t)q * (uint64_t)HOUR + (uint64_t)r == (uint64_t)INT64_MIN);
    CHECK_EQ_I64(sl_floor_mod(INT64_MAX, HOUR), INT64_MAX % HOUR);
    CHECK_EQ_I64(sl_floor_div(INT64_MAX, HOUR), INT64_MAX / HOUR);
}

static void test_hour_floor_ceil(void) {
    CHECK_EQ_I64(sl_hour_floor(0), 0);
    CHECK_EQ_I64(sl_hour_floor(1), 0);
    CHECK_EQ_I64(sl_hour_floor(HOUR - 1), 0);
    CHECK_EQ_I64(sl_hour_floor(HOUR), HOUR);
    CHECK_EQ_I64(sl_hour_floor(-1), -HOUR);
    CHECK_EQ_I64(sl_hour_floor(-HOUR), -HOUR);
    CHECK_EQ_I64(sl_hour_floor(-HOUR - 1), -2 * HOUR);
    CHECK_EQ_I64(sl_hour_floor(T0 + 5 * HOUR + 59 * 60 * SEC), T0 + 5 * HOUR);
    CHECK_EQ_I64(sl_hour_ceil(0), 0);
    CHECK_EQ_I64(sl_hour_ceil(1), HOUR);
    CHECK_EQ_I64(sl_hour_ceil(HOUR), HOUR);
    CHECK_EQ_I64(sl_hour_ceil(HOUR + 1), 2 * HOUR);
    CHECK_EQ_I64(sl_hour_ceil(-1), 0);
    CHECK_EQ_I64(sl_hour_ceil(-HOUR + 1), 0);
    CHECK_EQ_I64(sl_hour_ceil(-HOUR), -HOUR);
    CHECK_EQ_I64(sl_hour_ceil(-HOUR - 1), -HOUR);
    CHECK_EQ_I64(sl_hour_ceil(T0 + 1), T0 + HOUR);
}

/* ------------------------------------------------------------------ calendar */

static int ref_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static unsigned ref_mdays(int64_t y, unsigned m) {
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ref_leap(y) ? 29 : dm[m - 1];
}

static void test_civil_every_day(void) {
    /* day number of -1000-01-01, counted by whole years back from 1970 */
    int64_t z = 0;
    for (int64_t y = 1969; y >= -1000; y--) z -= 365 + ref_leap(y);
    long bad = 0;
    for (int64_t y = -1000; y <= 3000; y++)
        for (unsigned m = 1; m <= 12; m++)
            for (unsigned d = 1; d <= ref_mdays(y, m); d++, z++) {
                int64_t yy;
                unsigned mm, dd;
                sl_civil_from_days(z, &yy, &mm, &dd);
                if (sl_days_from_civil(y, m, d) != z || yy != y || mm != m || dd != d) {
                    if (bad++ < 5)
                        fprintf(stderr, "  day %lld: %lld-%u-%u, got %lld / %lld-%u-%u\n", (long long)z, (long long)y,
                                m, d, (long long)sl_days_from_civil(y, m, d), (long long)yy, mm, dd);
                }
                /* the same day through micros, at a time of day varying with z */
                sl_civil c = {.year = y, .month = m, .day = d, .hour = (unsigned)(z & 15) + 8,
                              .minute = (unsigned)(z % 60 + 60) % 60, .second = 59, .micros = 999999};
                int64_t us;
                sl_civil back;
                if (!sl_us_from_civil(&c, &us)) {
                    if (bad++ < 5) fprintf(stderr, "  sl_us_from_civil refused %lld-%u-%u\n", (long long)y, m, d);
                    continue;
                }
                sl_civil_from_us(us, &back);
                if (sl_floor_div(us, DAY) != z || back.year != c.year || back.month != c.month ||
                    back.day != c.day || back.hour != c.hour || back.minute != c.minute || back.second != c.second ||
                    back.micros != c.micros)
                    if (bad++ < 5) fprintf(stderr, "  civil micros %lld-%u-%u\n", (long long)y, m, d);
            }
    CHECK_EQ_I64(bad, 0);
    CHECK_EQ_I64(z, sl_days_from_civil(3001, 1, 1));
    CHECK_EQ_I64(sl_days_from_civil(1970, 1, 1), 0);
    CHECK_EQ_I64(sl_days_from_civil(2000, 3, 1), 11017);
    CHECK_EQ_I64(sl_days_from_civil(2024, 3, 1) * DAY, T0);
    CHECK_EQ_I64(sl_days_from_civil(0, 1, 1) * DAY, SL_TIME_MIN_US);
    CHECK_EQ_I64(sl_days_from_civil(10000, 1, 1) * DAY - 1, SL_TIME_MAX_US);
}

static void test_leap_years(void) {
    struct {
        int64_t y;
        int leap;
    } ys[] = {{2000, 1}, {1900, 0}, {2024, 1}, {2100, 0}, {2023, 0}, {1600, 1}, {0, 1}, {-4, 1}, {-100, 0}};
    for (size_t i = 0; i < sizeof ys / sizeof *ys; i++) {
        int64_t y = ys[i].y;
        CHECK_EQ_I64(sl_days_from_civil(y, 3, 1) - sl_days_from_civil(y, 2, 28), 1 + ys[i].leap);
        CHECK_EQ_I64(sl_days_from_civil(y + 1, 1, 1) - sl_days_from_civil(y, 1, 1), 365 + ys[i].leap);
        sl_civil c = {.year = y, .month = 2, .day = 29};
        int64_t us;
        CHECK(sl_us_from_civil(&c, &us) == (bool)ys[i].leap);
    }
    int64_t us = 0;
    const char *why = NULL;
    CHECK(sl_parse_time("2000-02-29", 10, &us, &why) == SL_OK && us == INT64_C(951782400) * SEC);
    CHECK(sl_parse_time("2024-02-29", 10, &us, &why) == SL_OK && us == T0 - DAY);
    CHECK(sl_parse_time("1900-02-29", 10, &us, &why) == SL_ERR_ARG && !strcmp(why, "range"));
    CHECK(sl_parse_time("2100-02-29", 10, &us, &why) == SL_ERR_ARG && !strcmp(why, "range"));
    char t[SL_TIME_BUF];
    CHECK(sl_fmt_time(t, sizeof t, sl_days_from_civil(2100, 2, 28) * DAY + DAY, SL_TIME_DATE) == 10);
    CHECK_EQ_STR(t, "2100-03-01");
    CHECK(sl_fmt_time(t, sizeof t, sl_days_from_civil(2000, 2, 28) * DAY + DAY, SL_TIME_DATE) == 10);
    CHECK_EQ_STR(t, "2000-02-29");
}

static void test_civil_fields(void) {
    sl_civil c;
    sl_civil_from_us(T0 + 5 * HOUR + 6 * 60 * SEC + 7 * SEC + 89, &c);
    CHECK(c.year == 2024 && c.month == 3 && c.day == 1 && c.hour == 5 && c.minute == 6 && c.second == 7 &&
          c.micros == 89);
    sl_civil_from_us(-1, &c);
    CHECK(c.year == 1969 && c.month == 12 && c.day == 31 && c.hour == 23 && c.minute == 59 && c.second == 59 &&
          c.micros == 999999);
    int64_t us = 42;
    sl_civil ok = {.year = 2024, .month = 3, .day = 1, .hour = 5};
    CHECK(sl_us_from_civil(&ok, &us) && us == T0 + 5 * HOUR);
    sl_civil bad[] = {{.year = 2024, .month = 13, .day = 1},   {.year = 2024, .month = 0, .day = 1},
                      {.year = 2024, .month = 4, .day = 31},   {.year = 2024, .month = 4, .day = 0},
                      {.year = 2024, .month = 4, .day = 1, .hour = 24},
                      {.year = 2024, .month = 4, .day = 1, .minute = 60},
                      {.year = 2024, .month = 4, .day = 1, .second = 60},
                      {.year = 2024, .month = 4, .day = 1, .micros = 1000000},
                      {.year = 300000, .month = 1, .day = 1},  {.year = -300000, .month = 1, .day = 1}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        us = 42;
        CHECK(!sl_us_from_civil(&bad[i], &us) && us == 42);
    }
    /* the int64 extremes come back exactly */
    int64_t ext[] = {INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1};
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        sl_civil_from_us(ext[i], &c);
        CHECK(sl_us_from_civil(&c, &us) && us == ext[i]);
    }
    /* a microsecond field past them does not fit */
    sl_civil_from_us(INT64_MAX, &c);
    CHECK(c.year == 294247 && c.month == 1 && c.day == 10 && c.micros == 775807);
    c.micros = 775808;
    CHECK(!sl_us_from_civil(&c, &us));
    sl_civil_from_us(INT64_MIN, &c);
    CHECK(c.year == -290308 && c.month == 12 && c.day == 21 && c.micros == 224192);
    c.micros = 224191;
    CHECK(!sl_us_from_civil(&c, &us));
}

/* ------------------------------------------------------------------ formatting */

static void test_fmt_styles(void) {
    char t[SL_TIME_BUF];
    int64_t v = T0 + 12 * HOUR + 34 * 60 * SEC + 56 * SEC + 789012;
    struct {
        sl_time_style st;
        const char *want;
    } tab[] = {{SL_TIME_ISO, "2024-03-01T12:34:56.789012Z"}, {SL_TIME_ISO_S, "2024-03-01T12:34:56Z"},
               {SL_TIME_SQL, "2024-03-01 12:34:56"},         {SL_TIME_SQL_US, "2024-03-01 12:34:56.789012"},
               {SL_TIME_DATE, "2024-03-01"},                 {SL_TIME_PARTITION, "date=2024-03-01/hr=12"}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        size_t want = strlen(tab[i].want);
        CHECK_EQ_I64(sl_fmt_time(t, sizeof t, v, tab[i].st), want);
        CHECK_EQ_STR(t, tab[i].want);
        /* exactly long enough: the text and its NUL; one byte less: nothing */
        memset(t, 'x', sizeof t);
        CHECK_EQ_I64(sl_fmt_time(t, want + 1, v, tab[i].st), want);
        CHECK_EQ_STR(t, tab[i].want);
        memset(t, 'x', sizeof t);
        CHECK_EQ_I64(sl_fmt_time(t, want, v, tab[i].st), 0);
        CHECK_EQ_STR(t, "");
        /* year limits: 0000 and 9999 print; one microsecond outside does not */
        CHECK_EQ_I64(sl_fmt_time(t, sizeof t, SL_TIME_MIN_US, tab[i].st), want);
        CHECK_EQ_I64(sl_fmt_time(t, sizeof t, SL_TIME_MAX_US, tab[i].st), want);
        memset(t, 'x', sizeof t);
        CHECK_EQ_I64(sl_fmt_time(t, sizeof t, SL_TIME_MIN_US - 1, tab[i].st), 0);
        CHECK_EQ_STR(t, "");
        memset(t, 'x', sizeof t);
        CHECK_EQ_I64(sl_fmt_time(t, sizeof t, SL_TIME_MAX_US + 1, tab[i].st), 0);
        CHECK_EQ_STR(t, "");
        CHECK_EQ_I64(sl_fmt_time(t, sizeof t, INT64_MIN, tab[i].st), 0);
        CHECK_EQ_I64(sl_fmt_time(t, sizeof t, INT64_MAX, tab[i].st), 0);
    }
    t[0] = 'x';
    CHECK_EQ_I64(sl_fmt_time(t, 0, v, SL_TIME_ISO), 0);
    CHECK(t[0] == 'x'); /* n == 0: nothing written */
    sl_fmt_time(t, sizeof t, SL_TIME_MIN_US, SL_TIME_ISO);
    CHECK_EQ_STR(t, "0000-01-01T00:00:00.000000Z");
    sl_fmt_time(t, sizeof t, SL_TIME_MAX_US, SL_TIME_ISO);
    CHECK_EQ_STR(t, "9999-12-31T23:59:59.999999Z");
    sl_fmt_time(t, sizeof t, SL_TIME_MAX_US, SL_TIME_PARTITION);
    CHECK_EQ_STR(t, "date=9999-12-31/hr=23");
    sl_fmt_time(t, sizeof t, -1, SL_TIME_ISO);
    CHECK_EQ_STR(t, "1969-12-31T23:59:59.999999Z");
    sl_fmt_time(t, sizeof t, -1, SL_TIME_PARTITION);
    CHECK_EQ_STR(t, "date=1969-12-31/hr=23");
    sl_fmt_time(t, sizeof t, 0, SL_TIME_SQL_US);
    CHECK_EQ_STR(t, "1970-01-01 00:00:00.000000");
    sl_fmt_time(t, sizeof t, 5, SL_TIME_ISO);
    CHECK_EQ_STR(t, "1970-01-01T00:00:00.000005Z");
}

/* Against gmtime_r over pseudo-random times of years 0000..9999. */
static void test_fmt_vs_gmtime(void) {
    uint64_t x = 88172645463325252ull;
    long bad = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t us = SL_TIME_MIN_US + (int64_t)(x % (uint64_t)(SL_TIME_MAX_US - SL_TIME_MIN_US + 1));
        if (i < 1000) us = (int64_t)(x % (uint64_t)(200 * DAY)) - 100 * DAY; /* around 1970 too */
        time_t s = (time_t)sl_floor_div(us, SEC);
        struct tm tm;
        if (!gmtime_r(&s, &tm)) {
            CHECK(0);
            break;
        }
        char want[64], got[SL_TIME_BUF];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)sl_floor_mod(us, SEC));
        if (sl_fmt_time(got, sizeof got, us, SL_TIME_ISO) != 27 || strcmp(got, want) != 0)
            if (bad++ < 5) fprintf(stderr, "  %lld: %s, want %s\n", (long long)us, got, want);
        int64_t back = 0;
        if (sl_parse_time(got, 27, &back, NULL) != SL_OK || back != us)
            if (bad++ < 5) fprintf(stderr, "  %s parses as %lld, want %lld\n", got, (long long)back, (long long)us);
    }
    CHECK_EQ_I64(bad, 0);
}

/* ------------------------------------------------------------------ parsing */

static void test_parse_time_forms(void) {
    struct {
        const char *s;
        int64_t want;
    } ok[] = {
        {"2024-03-01", T0},
        {"2024-03-01T05", T0 + 5 * HOUR},
        {"2024-03-01t05", T0 + 5 * HOUR},
        {"2024-03-01 05", T0 + 5 * HOUR},
        {"2024-03-01T05:06", T0 + 5 * HOUR + 6 * 60 * SEC},
        {"2024-03-01 05:06:07", T0 + 5 * HOUR + 6 * 60 * SEC + 7 * SEC},
        {"2024-03-01T05:06:07.5", T0 + 5 * HOUR + 6 * 60 * SEC + 7 * SEC + 500000},
        {"2024-03-01T05:06:07,25", T0 + 5 * HOUR + 6 * 60 * SEC + 7 * SEC + 250000},
        {"2024-03-01T00:00:00.000001", T0 + 1},
        {"2024-03-01T00:00:00.123456", T0 + 123456},
        {"2024-03-01T00:00:00.1234567", T0 + 123456},
        {"2024-03-01T00:00:00.123456789", T0 + 123456}, /* 9 digits, truncated */
        {"2024-03-01T00:00:00.999999999", T0 + 999999},
        {"2024-03-01T05:00:00Z", T0 + 5 * HOUR},
        {"2024-03-01T05:00:00z", T0 + 5 * HOUR},
        {"2024-03-01T05:00:00UTC", T0 + 5 * HOUR},
        {"2024-03-01 05:00:00 UTC", T0 + 5 * HOUR},
        {"2024-03-01 05:00:00 utc", T0 + 5 * HOUR},
        {"2024-03-01T05:00:00 Z", T0 + 5 * HOUR},
        {"2024-03-01T05:30:00+05:30", T0},
        {"2024-03-01T05:30:00+0530", T0},
        {"2024-03-01T05:00:00+05", T0},
        {"2024-03-01T05:00:00 +05", T0},
        {"2024-02-29T16:00:00-0800", T0},
        {"2024-02-29T16:00:00-08:00", T0},
        {"2024-03-01T00:00:00+00", T0},
        {"2024-03-01T00:00:00-00:00", T0},
        {"2024-03-01Z", T0},
        {"2024-03-01 UTC", T0},
        {"2024-03-01+01:00", T0 - HOUR},
        {"2024-03-01T05+01", T0 + 4 * HOUR},
        {"2024-03-01T05:06Z", T0 + 5 * HOUR + 6 * 60 * SEC},
        {"  2024-03-01  ", T0},
        {"\t 2024-03-01T05:00:00Z \t", T0 + 5 * HOUR},
        {"1970-01-01", 0},
        {"1969-12-31T23:59:59.999999", -1},
        {"0000-01-01", SL_TIME_MIN_US},
        {"9999-12-31T23:59:59.999999Z", SL_TIME_MAX_US},
        {"9999-12-31T23:59:59.999999999", SL_TIME_MAX_US},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t v = 42;
        const char *why = "untouched";
        sl_err e = sl_parse_time(ok[i].s, strlen(ok[i].s), &v, &why);
        if (e != SL_OK || v != ok[i].want)
            fprintf(stderr, "  '%s': %d %lld, want %lld\n", ok[i].s, (int)e, (long long)v, (long long)ok[i].want);
        CHECK(e == SL_OK && v == ok[i].want && !strcmp(why, "untouched"));
    }
    /* n bounds the text: no NUL needed, what follows is not read */
    int64_t v = 0;
    CHECK(sl_parse_time("2024-03-01T05:00:00Zgarbage", 20, &v, NULL) == SL_OK && v == T0 + 5 * HOUR);
    CHECK(sl_parse_time("2024-03-01T05:00:00Zgarbage", 13, &v, NULL) == SL_OK && v == T0 + 5 * HOUR);
    CHECK(sl_parse_time("2024-03-01T05:00:00Zgarbage", 11, &v, NULL) == SL_ERR_ARG);
    CHECK(sl_parse_time(NULL, 0, &v, NULL) == SL_ERR_ARG);
}

static void test_parse_time_rejects(void) {
    const char *syntax[] = {"",
                            "   ",
                            "yesterday",
                            "1709269200",
                            "2024-3-01",
                            "2024-03-1",
                            "2024/03/01",
                            "-2024-03-01",
                            "12024-03-01",
                            "2024-03-01x",
                            "2024-03-01T",
                            "2024-03-01T5",
                            "2024-03-01T05:",
                            "2024-03-01T05:6",
                            "2024-03-01T05:06:7",
                            "2024-03-01T05:00:00.",
                            "2024-03-01T05:00:00.1234567890",
                            "2024-03-01T05:00:00.5.5",
                            "2024-03-01T05.5",
                            "2024-03-01  05",
                            "2024-03-01T05:00:00  Z",
                            "2024-03-01T05:00:00ZZ",
                            "2024-03-01T05:00:00Zx",
                            "2024-03-01T05:00:00UT",
                            "2024-03-01T05:00:00UTCx",
                            "2024-03-01T05:00:00GMT",
                            "2024-03-01T05:00:00+5",
                            "2024-03-01T05:00:00+05:3",
                            "2024-03-01T05:00:00+05:300",
                            "2024-03-01T05:00:00+05:",
                            "2024-03-01T05:00:00+",
                            "2024-13-01x", /* syntax wins over the month */
                            "2024-03-01T05:00:00\n"};
    for (size_t i = 0; i < sizeof syntax / sizeof *syntax; i++) {
        int64_t v = 42;
        const char *why = NULL;
        sl_err e = sl_parse_time(syntax[i], strlen(syntax[i]), &v, &why);
        if (e != SL_ERR_ARG || !why || strcmp(why, "syntax") != 0)
            fprintf(stderr, "  '%s': %d why %s\n", syntax[i], (int)e, why ? why : "(null)");
        CHECK(e == SL_ERR_ARG && v == 42 && why && !strcmp(why, "syntax"));
        CHECK(sl_parse_time(syntax[i], strlen(syntax[i]), &v, NULL) == SL_ERR_ARG);
    }
    const char *range[] = {"2024-02-30",          "2023-02-29",          "2024-04-31",          "2024-13-01",
                           "2024-00-10",          "2024-01-00",          "2024-01-32",          "2024-03-01T24",
                           "2024-03-01T23:60",    "2024-03-01T23:59:60", "2024-03-01T99:99:99", "1900-02-29",
                           "2024-03-01T05+24",    "2024-03-01T05+05:60", "2024-03-01T05:00:00-99:99",
                           " 2024-02-30T05:00:00.5Z "};
    for (size_t i = 0; i < sizeof range / sizeof *range; i++) {
        int64_t v = 42;
        const char *why = NULL;
        sl_err e = sl_parse_time(range[i], strlen(range[i]), &v, &why);
        if (e != SL_ERR_ARG || !why || strcmp(why, "range") != 0)
            fprintf(stderr, "  '%s': %d why %s\n", range[i], (int)e, why ? why : "(null)");
        CHECK(e == SL_ERR_ARG && v == 42 && why && !strcmp(why, "range"));
    }
}

static void test_parse_duration(void) {
    struct {
        const char *s;
        int64_t want;
    } ok[] = {
        {"0", 0},
        {"90", 90 * SEC},
        {"0.5", 500000},
        {"90s", 90 * SEC},
        {"250ms", 250000},
        {"5us", 5},
        {"10m", 600 * SEC},
        {"10min", 600 * SEC},
        {"2h", 2 * HOUR},
        {"7d", 7 * DAY},
        {"1.5h", 90 * 60 * SEC},
        {".5s", 500000},
        {"5.s", 5 * SEC},
        {"0.1s", 100000},
        {"0.001ms", 1},
        {"0.0000009s", 0}, /* below the microsecond: truncated */
        {"1e3ms", SEC},
        {"2.5E-1s", 250000},
        {"1h30m", 90 * 60 * SEC},
        {"1m30s", 90 * SEC},
        {"30m1h", 90 * 60 * SEC},
        {"1d2h3m4s5ms6us", DAY + 2 * HOUR + 3 * 60 * SEC + 4 * SEC + 5000 + 6},
        {"1min30s", 90 * SEC},
        {"0s", 0},
        {"106751991d", 106751991 * DAY},
        {" 1h", HOUR}, /* blanks and a '+' first: strtod took them */
        {"+1s", SEC},
        {"\t+90", 90 * SEC},
        {"9223372036854775807us", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t v = 42;
        sl_err e = sl_parse_duration(ok[i].s, &v);
        if (e != SL_OK || v != ok[i].want)
            fprintf(stderr, "  '%s': %d %lld, want %lld\n", ok[i].s, (int)e, (long long)v, (long long)ok[i].want);
        CHECK(e == SL_OK && v == ok[i].want);
    }
    const char *bad[] = {
        "", " ", "-1s", " -1s", "++1s", "1h30", "1h30m5", "abc", "1x", "h", "1H", "1S", "1h-30m", "1h+30m", "1h ",
        "1 h", "1hh", "1mins", ".", "1e", "nan", "inf", "0x10s",
        /* more than INT64_MAX microseconds */
        "106751992d", "106751991d1d", "9223372036854775808us", "99999999999999999999999s", "1e30s"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v = 42;
        sl_err e = sl_parse_duration(bad[i], &v);
        if (e != SL_ERR_ARG) fprintf(stderr, "  '%s' accepted: %lld\n", bad[i], (long long)v);
        CHECK(e == SL_ERR_ARG && v == 42);
    }
    int64_t v = 0;
    CHECK(sl_parse_duration(NULL, &v) == SL_ERR_ARG);
}

static void test_parse_size(void) {
    struct {
        const char *s;
        size_t want;
    } ok[] = {
        {"1", 1},
        {"1000", 1000},
        {"1000B", 1000},
        {"1b", 1},
        {"1K", 1024},
        {"1k", 1024},
        {"1KB", 1024},
        {"1KiB", 1024},
        {"1kib", 1024},
        {"512M", (size_t)512 << 20},
        {"256MB", (size_t)256 << 20},
        {"1G", (size_t)1 << 30},
        {"2GiB", (size_t)2 << 30},
        {"2T", (size_t)2 << 40},
        {"1.5G", (size_t)3 << 29},
        {"0.5K", 512},
        {"1.5", 1},
        {".5M", (size_t)1 << 19},
        {"1e3", 1000},
        {"1e1K", 10240},
        {"16777215T", SIZE_MAX - (((size_t)1 << 40) - 1)},
        {"18446744073709551615", SIZE_MAX},
        {" 1K", 1024}, /* blanks and a '+' first: strtod took them */
        {"+1K", 1024},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        size_t v = 42;
        sl_err e = sl_parse_size(ok[i].s, &v);
        if (e != SL_OK || v != ok[i].want)
            fprintf(stderr, "  '%s': %d %zu, want %zu\n", ok[i].s, (int)e, v, ok[i].want);
        CHECK(e == SL_OK && v == ok[i].want);
    }
    const char *bad[] = {"", " ", "0", "0K", "0.1", "0.0001K", "-1", " -1", "-1G", "+-1", "12X", "K", "G", "nan",
                         "inf", "0x10", "1iB", "1KiBx", "1 K", "1K ", "1KK", "1BB",
                         /* more than SIZE_MAX */
                         "16777216T", "18446744073709551616", "99999999999999999999999", "1e30"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t v = 42;
        sl_err e = sl_parse_size(bad[i], &v);
        if (e != SL_ERR_ARG) fprintf(stderr, "  '%s' accepted: %zu\n", bad[i], v);
        CHECK(e == SL_ERR_ARG && v == 42);
    }
    size_t v = 0;
    CHECK(sl_parse_size(NULL, &v) == SL_ERR_ARG);
}

static void test_clocks(void) {
    double a = sl_now_mono(), b = sl_now_mono();
    CHECK(a > 0 && b >= a);
    int64_t now = sl_now_us(), wall = (int64_t)time(NULL) * SEC;
    CHECK(now > wall - 5 * SEC && now < wall + 5 * SEC);
}

int main(void) {
    RUN(test_floor_div_mod);
    RUN(test_hour_floor_ceil);
    RUN(test_civil_every_day);
    RUN(test_leap_years);
    RUN(test_civil_fields);
    RUN(test_fmt_styles);
    RUN(test_fmt_vs_gmtime);
    RUN(test_parse_time_forms);
    RUN(test_parse_time_rejects);
    RUN(test_parse_duration);
    RUN(test_parse_size);
    RUN(test_clocks);
    return T_DONE();
}
