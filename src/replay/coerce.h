/* coerce.h: text -> typed value parsing and Parquet type conversions for the
 * replay inputs (docs/metrics.md section 1.2 lists the accepted types).
 *
 * Text parsers take (s, n) without a terminating NUL, ignore ASCII spaces
 * and tabs around the value, and return false when the whole text is not a
 * value of the type (the caller flags the row):
 *   integers   [+-]digits; overflow is an error.  An integral decimal form
 *              ("12.0", "1e3") is accepted too (pandas writes integer columns
 *              holding NULLs that way); "1.5" is not an integer.
 *   doubles    strtod syntax, locale-independent for the decimal point
 *              (fast exact path for <= 15 significant digits), NaN/Infinity
 *              kept as parsed (the cleaner decides what they mean).
 *   flags      integers (any int32: the cleaner maps non-zero to 1) or
 *              true/false (case-insensitive).
 *   timestamps sl_parse_time (util/time.h):
 *              "YYYY-MM-DD[( |T|t)HH[:MM[:SS[(.|,)f{1,9}]]]][ ][Z|UTC|(+|-)HH[[:]MM]]";
 *              date only = midnight; fractions below a microsecond are
 *              truncated; an offset converts to UTC; year 0001..9999 (the
 *              text's year: 0000 is refused).  A bare integer (epoch?) is
 *              rejected as ambiguous.
 * Vector converters (rp_cv_*) turn a whole column of n values from the
 * Parquet reader's batch type into the canonical type; a value that cannot
 * be represented gets slot 0 and its row
 * index is appended to bad[] (the caller writes the _error text).  NULL
 * source slots hold 0 (batch.h), which always converts, so the converters
 * need not look at the source bitmap.
 */
#ifndef RP_COERCE_H
#define RP_COERCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/time.h"

bool rp_parse_i64(const char *s, size_t n, int64_t *out);
bool rp_parse_i32(const char *s, size_t n, int32_t *out);
bool rp_parse_f64(const char *s, size_t n, double *out);
bool rp_parse_flag(const char *s, size_t n, int32_t *out);
static inline bool rp_parse_timestamp(const char *s, size_t n, int64_t *us) {
    int64_t v;
    if (sl_parse_time(s, n, &v, NULL) != SL_OK) return false;
    while (*s == ' ' || *s == '\t') s++; /* the date follows the blanks */
    if (s[0] == '0' && s[1] == '0' && s[2] == '0' && s[3] == '0') return false;
    *us = v;
    return true;
}

/* Vector conversions over n values; the sized ones return how many rows
 * they put in bad[] (room for n), which the caller makes NULL. */
size_t rp_cv_i64_to_i32(const int64_t *src, int32_t *dst, size_t n, uint32_t *bad);
void rp_cv_u8_to_i32(const uint8_t *src, int32_t *dst, size_t n);
void rp_cv_i32_to_i64(const int32_t *src, int64_t *dst, size_t n, bool is_unsigned);
void rp_cv_i32_to_f64(const int32_t *src, double *dst, size_t n, bool is_unsigned);
void rp_cv_i64_to_f64(const int64_t *src, double *dst, size_t n);
void rp_cv_f32_to_f64(const float *src, double *dst, size_t n);
/* Round to nearest (ties away from zero); NaN/out of range -> NULL. */
size_t rp_cv_f64_to_i64(const double *src, int64_t *dst, size_t n, uint32_t *bad);
size_t rp_cv_f64_to_i32(const double *src, int32_t *dst, size_t n, uint32_t *bad);
/* Unsigned 64-bit above INT64_MAX (stored negative) -> NULL. */
size_t rp_cv_u64_check(int64_t *v, size_t n, uint32_t *bad);
/* Timestamps to microseconds: millis x1000 (overflow -> NULL), nanos floor. */
size_t rp_cv_ms_to_us(const int64_t *src, int64_t *dst, size_t n, uint32_t *bad);
void rp_cv_ns_to_us(const int64_t *src, int64_t *dst, size_t n);
void rp_cv_days_to_us(const int32_t *src, int64_t *dst, size_t n);

#endif
