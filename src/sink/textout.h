/* textout.h: write sl_batch rows as JSON Lines or CSV to a FILE*.
 *
 *   sl_textout t;
 *   sl_textout_init(&t, stdout, SL_FMT_CSV, &batch);   // column names and types from batch
 *   t.ts_style = SL_TS_SPACE;                           // optional
 *   while (more) sl_textout_write(&t, &batch, err, sizeof err);
 *   sl_textout_finish(&t, err, sizeof err);             // flush; reports write errors
 *   sl_textout_free(&t);
 *
 * Values are rendered by sl_fmt_value (format.h): JSON Lines writes one object
 * per row with the columns in batch order (NULL as null); CSV writes an
 * RFC 4180 header line on the first write and one line per row (NULL as an
 * empty field, the empty string as "").  Timestamp columns are ISO-8601 UTC
 * with 'Z' by default (SL_TS_ISO_Z, the same text as sluice cat), or
 * "YYYY-MM-DD HH:MM:SS.ffffff" (SL_TS_SPACE, no zone: the form of the Redset
 * CSV exports, which DuckDB's read_csv detects as TIMESTAMP).
 * Output is buffered (flushed every 64 KiB); write errors are sticky and
 * reported as SL_ERR_IO by the next call.  Every batch written must have the
 * columns the writer was initialised with (same order and types).
 */
#ifndef SL_TEXTOUT_H
#define SL_TEXTOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "batch/batch.h"
#include "batch/format.h"
#include "util/buf.h"
#include "util/err.h"

typedef enum sl_ts_style { SL_TS_ISO_Z = 0, SL_TS_SPACE } sl_ts_style;

typedef struct sl_textout {
    FILE *f;
    sl_fmt_mode mode;     /* SL_FMT_JSON or SL_FMT_CSV */
    sl_ts_style ts_style;
    bool header;          /* CSV: write the header line (default true) */
    size_t ncols;
    char **names;         /* owned copies */
    sl_buf *keys;         /* JSON: pre-rendered `{"name":` / `,"name":` per column */
    sl_buf out;
    bool started, failed;
    uint64_t rows;        /* rows (and raw lines) written */
} sl_textout;

sl_err sl_textout_init(sl_textout *t, FILE *f, sl_fmt_mode mode, const sl_batch *schema, char *err, size_t errlen);
/* Write all rows of b / rows [from, to) of b. */
sl_err sl_textout_write(sl_textout *t, const sl_batch *b, char *err, size_t errlen);
sl_err sl_textout_write_rows(sl_textout *t, const sl_batch *b, size_t from, size_t to, char *err, size_t errlen);
/* Render row i of b into out (no newline).  When subst_col >= 0, that column's
 * value is replaced by the bytes subst[0..subst_len) verbatim (already in the
 * output syntax, e.g. with quotes for JSON). */
void sl_textout_format_row(sl_textout *t, const sl_batch *b, size_t i, sl_buf *out, int subst_col, const char *subst,
                           size_t subst_len);
/* Write one raw line (a newline is added). */
sl_err sl_textout_raw(sl_textout *t, const char *line, size_t n, char *err, size_t errlen);
/* Write the CSV header if nothing was written yet, flush the buffer and the FILE. */
sl_err sl_textout_finish(sl_textout *t, char *err, size_t errlen);
void sl_textout_free(sl_textout *t);

#endif
