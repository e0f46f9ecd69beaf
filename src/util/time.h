/* time.h: the one place for calendar and clock arithmetic.
 *
 *   int64_t h = sl_hour_floor(ts_us);                 // start of ts's UTC hour
 *   char t[SL_TIME_BUF];
 *   sl_fmt_time(t, sizeof t, ts_us, SL_TIME_ISO);      // 2024-03-01T12:00:00.000000Z
 *   int64_t us;
 *   if (sl_parse_time("2024-03-01T05", 13, &us, NULL) != SL_OK) ...
 *   if (sl_parse_duration("1h30m", &us) != SL_OK) ...
 *   size_t bytes;
 *   if (sl_parse_size("256M", &bytes) != SL_OK) ...
 *
 * Times are int64 microseconds since 1970-01-01T00:00:00Z (UTC, proleptic
 * Gregorian calendar, no leap seconds).  Every helper is pure and
 * thread-safe; none allocates.  Errors: the parsers return SL_ERR_ARG and
 * touch nothing else (callers word the message, naming their option).
 */
#ifndef SL_TIME_H
#define SL_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SL_US_PER_MS INT64_C(1000)
#define SL_US_PER_SEC INT64_C(1000000)
#define SL_US_PER_MIN INT64_C(60000000)
#define SL_US_PER_HOUR INT64_C(3600000000)
#define SL_US_PER_DAY INT64_C(86400000000)

/* Years 0000..9999: the range where fixed-width text sorts as time does. */
#define SL_TIME_MIN_US (INT64_C(-62167219200) * SL_US_PER_SEC) /* 0000-01-01T00:00:00Z */
#define SL_TIME_MAX_US (INT64_C(253402300800) * SL_US_PER_SEC - 1) /* 9999-12-31T23:59:59.999999Z */

/* Floor division and modulo (b > 0): the quotient rounds toward -infinity,
 * the remainder is in [0, b). */
static inline int64_t sl_floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }
static inline int64_t sl_floor_mod(int64_t a, int64_t b) {
    int64_t r = a % b; /* not a - floor_div(a, b) * b: that overflows near INT64_MIN */
    return r != 0 && (r < 0) != (b < 0) ? r + b : r;
}
/* Start of the UTC hour holding us; the start of the next hour (us within an
 * hour of INT64_MIN / INT64_MAX has no such hour: undefined). */
static inline int64_t sl_hour_floor(int64_t us) { return sl_floor_div(us, SL_US_PER_HOUR) * SL_US_PER_HOUR; }
static inline int64_t sl_hour_ceil(int64_t us) { return -sl_floor_div(-us, SL_US_PER_HOUR) * SL_US_PER_HOUR; }

/* Days since 1970-01-01 <-> civil date (H. Hinnant's algorithms). */
int64_t sl_days_from_civil(int64_t y, unsigned m, unsigned d);
void sl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* A time broken into its fields. */
typedef struct sl_civil {
    int64_t year;
    unsigned month, day, hour, minute, second;
    unsigned micros; /* 0..999999 */
} sl_civil;
void sl_civil_from_us(int64_t us, sl_civil *out);
/* Fields -> micros; false when a field is out of range (month 1..12, day of
 * the month, hour 0..23, minute 0..59, second 0..59, micros 0..999999). */
bool sl_us_from_civil(const sl_civil *c, int64_t *us);

/* Text forms.  Every style is fixed width for years 0000..9999, so text
 * order is time order. */
typedef enum sl_time_style {
    SL_TIME_ISO,       /* 2024-03-01T12:00:00.000000Z  (27 chars) */
    SL_TIME_ISO_S,     /* 2024-03-01T12:00:00Z         (20)  whole seconds */
    SL_TIME_SQL,       /* 2024-03-01 12:00:00          (19)  the hot store's hour text */
    SL_TIME_SQL_US,    /* 2024-03-01 12:00:00.000000   (26)  the hot store's timestamps */
    SL_TIME_DATE,      /* 2024-03-01                   (10) */
    SL_TIME_PARTITION  /* date=2024-03-01/hr=12        (21)  Hive partition of the hour */
} sl_time_style;
#define SL_TIME_BUF 40
/* Write us in style into out (NUL-terminated); returns the length, or 0
 * (out = "") when the year is outside 0000..9999 or n is too small. */
size_t sl_fmt_time(char *out, size_t n, int64_t us, sl_time_style style);

/* Parse a time, UTC unless an offset says otherwise:
 *   YYYY-MM-DD[(T|t| )HH[:MM[:SS[(.|,)f{1,9}]]]][ ][Z|z|UTC|(+|-)HH[[:]MM]]
 * with optional ASCII spaces/tabs around the whole text; "UTC" in any case;
 * one space may come before the zone ("2024-03-01 05:00:00 UTC").  A date
 * alone is midnight; "2024-03-01T05" is 05:00; digits of a fraction below
 * the microsecond are truncated; an offset (hours 0..23, minutes 0..59)
 * converts to UTC.  Year 0000..9999.
 * why (may be NULL) gets "syntax" or "range" (a well-formed time with a
 * field out of range, e.g. month 13 or Feb 30) when it fails. */
sl_err sl_parse_time(const char *s, size_t n, int64_t *us, const char **why);

/* The same, but a time in UTC only: an offset other than zero ("+00",
 * "-00:00") is refused (options that say "a UTC time"). */
sl_err sl_parse_time_utc(const char *s, size_t n, int64_t *us);

/* Durations: a number with a unit, units may be combined ("1h30m",
 * "1m30s", "1.5h", "250ms", "90s", "7d"); units us, ms, s, m (also min),
 * h, d.  A bare number is seconds ("0" = zero).  Negative, NaN, or more
 * than about 292,000 years -> SL_ERR_ARG.  Numbers are decimal, exact
 * ("0.1s" = 100000 us, digits below the microsecond truncated), with an
 * optional exponent ("1e3ms"); leading blanks and a '+' are skipped. */
sl_err sl_parse_duration(const char *s, int64_t *us);

/* Sizes in bytes: "1073741824", "512K", "256M", "1G", "1.5G", "2T" (binary
 * multiples, case-insensitive, optional "B" or "iB" after the multiple).
 * Zero, negative or more than SIZE_MAX -> SL_ERR_ARG.  Numbers as for
 * durations (a fraction of a byte is truncated: "0.5K" = 512). */
sl_err sl_parse_size(const char *s, size_t *out);

/* Monotonic clock, seconds (for rates and timeouts); wall clock, micros. */
double sl_now_mono(void);
int64_t sl_now_us(void);

#endif
