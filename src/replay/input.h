/* input.h: one replay input (a Parquet, CSV or JSON Lines file) read as
 * canonical event batches (event.h), in file order.
 *
 * Parquet: columns are matched by name; the accepted alternative types are
 * converted; missing optional columns are NULL; unknown columns go to _extra.
 * CSV: RFC 4180 with a header line naming the columns (any order, any subset
 * that includes arrival_timestamp); timestamps "YYYY-MM-DD HH:MM:SS[.f]",
 * optional 'T' and 'Z'/+00:00; empty field = NULL.
 * JSON Lines: one object per line; keys are column names; null = NULL;
 * numbers or numeric strings for numeric columns.
 * A text value that does not parse as its column's type makes the row's
 * value NULL and sets _error ("malformed: line 12: column 'num_joins': 'x'
 * is not an integer"; "bad_timestamp: ..." for arrival_timestamp); a line
 * that is not a record at all (bad JSON, wrong field count) gives a row of
 * NULLs with _error "malformed: ..." -- nothing is dropped.
 * Ownership: the input owns its file handle and buffers; batches are the
 * caller's (set up with ev_init_batch).
 */
#ifndef RP_INPUT_H
#define RP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/err.h"

typedef enum rp_format { RP_FMT_AUTO = 0, RP_FMT_PARQUET, RP_FMT_CSV, RP_FMT_JSONL } rp_format;

typedef struct rp_input rp_input;

typedef struct rp_input_opts {
    const char *path;
    const char *source;   /* label; NULL = derived from the path (see rp_default_source) */
    rp_format format;     /* AUTO: by extension (.parquet, .csv, .jsonl/.json/.ndjson), else by magic */
    int32_t index;        /* value of the _input column */
} rp_input_opts;

/* Default source label for a path: the file name without directory and
 * extension; a trailing "-00012"/"_00012" part number is dropped; and when
 * a directory in the path is named "provisioned" or "serverless" that name
 * is used.  Writes at most n bytes (NUL-terminated). */
void rp_default_source(const char *path, char *out, size_t n);

sl_err rp_input_open(rp_input **out, const rp_input_opts *o, char *err, size_t errlen);
/* The same over a caller-owned memory buffer (it must outlive the input);
 * o->path names it (messages, source label, format by extension). */
sl_err rp_input_open_mem(rp_input **out, const rp_input_opts *o, const void *data, size_t n, char *err, size_t errlen);
void rp_input_close(rp_input *in);

const char *rp_input_source(const rp_input *in);
const char *rp_input_path(const rp_input *in);
rp_format rp_input_format(const rp_input *in);
/* Total rows when known up front (Parquet), else -1. */
int64_t rp_input_rows(const rp_input *in);

/* Reset b (canonical batch) and fill it with up to max_rows rows.
 * Returns rows (>0), 0 at the end, or a negative sl_err (I/O or a corrupt
 * Parquet file: text problems never end the input, they flag rows). */
long rp_input_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen);

/* Continue reading at 0-based row `row` (Parquet: from the row group that
 * holds it, skipping rows inside it; text: re-reads from the start). */
sl_err rp_input_seek(rp_input *in, uint64_t row, char *err, size_t errlen);

/* Sort keys only, for planning: fills ts[i] (microseconds; INT64_MIN when
 * NULL or unreadable), inst[i], qid[i] for up to max_rows rows in file
 * order.  Parquet reads only those three columns.  Returns rows, 0 at end,
 * <0 on error.  Use on a separately opened input (it advances the input). */
long rp_input_next_keys(rp_input *in, int64_t *ts, int32_t *inst, int64_t *qid, size_t max_rows, char *err,
                        size_t errlen);

/* Statistics: rows read, rows flagged with _error. */
typedef struct rp_input_stats {
    uint64_t rows, flagged, bytes;
} rp_input_stats;
const rp_input_stats *rp_input_get_stats(const rp_input *in);

#endif
