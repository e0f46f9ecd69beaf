/* format.h: text rendering of batch values (JSON Lines, CSV, display).
 *
 * One value's text depends only on its column type, so cat, inspect
 * statistics and later sinks render identically:
 *   integers exact (unsigned logical ints unsigned); floats as the shortest
 *   decimal that round-trips (NaN/Infinity/-Infinity); timestamps ISO-8601
 *   UTC "YYYY-MM-DDTHH:MM:SS.fff[fff[fff]]Z" by unit; dates YYYY-MM-DD;
 *   decimals with exactly `scale` fractional digits; UUID 8-4-4-4-12;
 *   binary as printable ASCII with other bytes (and the quotes and '\') as \xHH.
 */
#ifndef SL_FORMAT_H
#define SL_FORMAT_H

#include "batch/batch.h"
#include "util/buf.h"

typedef enum sl_fmt_mode {
    SL_FMT_JSON, /* JSON value: null, numbers bare, text quoted+escaped */
    SL_FMT_CSV,  /* RFC 4180 field: NULL empty, "" for empty text */
    SL_FMT_TEXT  /* plain text for humans: NULL as "null" */
} sl_fmt_mode;

/* Append the value of row i of column c. */
void sl_fmt_value(sl_buf *out, const sl_col *c, size_t i, sl_fmt_mode mode);
/* Append a scalar held at p (int32/int64/float/double/uint8/sl_str per t->type). */
void sl_fmt_scalar(sl_buf *out, const sl_coltype *t, const void *p, sl_fmt_mode mode);
/* JSON string literal with escapes. */
void sl_fmt_json_str(sl_buf *out, const char *s, size_t n);
/* Shortest round-trip decimal of a double / float. */
void sl_fmt_double(sl_buf *out, double v);
void sl_fmt_float(sl_buf *out, float v);
/* ISO-8601 timestamp of v units since the epoch; digits 0, 3, 6 or 9. */
void sl_fmt_timestamp(sl_buf *out, int64_t v, sl_time_unit unit, bool zulu);
void sl_fmt_date(sl_buf *out, int32_t days);

#endif
