/* input.h: one replay input (a file in some format) read as canonical event
 * batches of a schema (schema.h), in file order; and the input plugin
 * interface every format implements (plugins/in_parquet.c, in_text.c).
 *
 * Columns are matched to the schema's by name or path (exact, else
 * case-insensitive when unique); the accepted alternative types are
 * converted; missing columns are NULL; fields no column takes go to the
 * schema's rest column or _extra as a JSON object.  A value that does not
 * parse as its column's type makes the row's value NULL and sets _error
 * ("malformed: line 12: column 'num_joins': 'x' is not an integer";
 * "bad_timestamp: ..." for the event-time column); a record that cannot be
 * read at all gives a row of NULLs with _error "malformed: ..." -- nothing
 * is dropped.  The formats' own rules are in their plugin files.
 * Ownership: the input owns its file handle and buffers; batches are the
 * caller's (set up with sc_init_batch).
 */
#ifndef RP_INPUT_H
#define RP_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/err.h"

#include "schema/schema.h"

typedef struct rp_input rp_input;

/* An input format.  The callbacks see the input's fields (input_plugin.h). */
typedef struct in_plugin {
    const char *name;                /* "parquet": --input-format, `format:` in a pipeline file */
    const char *help;
    const char *const *extensions;   /* NULL-terminated, with the dot (".parquet"); case-insensitive */
    /* How sure the format is that a file starting with head[0..n) is its own:
     * 0 (not it) .. 100 (a magic number). */
    int (*sniff)(const unsigned char *head, size_t n);
    sl_err (*open)(rp_input *in, char *err, size_t errlen);
    void (*close)(rp_input *in);
    long (*next)(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen);
    sl_err (*seek)(rp_input *in, uint64_t row, char *err, size_t errlen);
    /* The ordering key only (may be NULL: whole rows are read). */
    long (*next_keys)(rp_input *in, int64_t *ts, int32_t *k1, int64_t *k2, size_t max_rows, char *err, size_t errlen);
    /* Rows when known up front (may be NULL: unknown). */
    int64_t (*rows)(const rp_input *in);
    /* Memory of one more reader positioned anywhere (seek), for merging
     * sorted segments; NULL: seeking is not cheap (re-reads from the start). */
    size_t (*cursor_bytes)(const rp_input *in);
} in_plugin;

typedef struct rp_input_opts {
    const char *path;
    const char *source;   /* label; NULL = derived from the path (see rp_default_source) */
    const in_plugin *format;          /* NULL: detected among candidates */
    const in_plugin *const *candidates; /* NULL-terminated: by extension, else by sniffing the content */
    const sc_schema *schema;          /* the columns to read */
    int32_t index;        /* value of the _input column */
} rp_input_opts;

/* The format of path among candidates: by extension, else by the first
 * bytes (head may be NULL: the file is read); NULL when none claims it. */
const in_plugin *rp_detect_format(const char *path, const unsigned char *head, size_t n,
                                  const in_plugin *const *candidates);

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
const in_plugin *rp_input_format(const rp_input *in);
const sc_schema *rp_input_schema(const rp_input *in);
/* Total rows when known up front (Parquet), else -1. */
int64_t rp_input_rows(const rp_input *in);

/* Reset b (canonical batch) and fill it with up to max_rows rows.
 * Returns rows (>0), 0 at the end, or a negative sl_err (I/O or a corrupt
 * Parquet file: text problems never end the input, they flag rows). */
long rp_input_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen);

/* Continue reading at 0-based row `row` (Parquet: from the row group that
 * holds it, skipping rows inside it; text: re-reads from the start). */
sl_err rp_input_seek(rp_input *in, uint64_t row, char *err, size_t errlen);

/* Sort keys only, for planning: fills ts[i] (the event time in
 * microseconds; INT64_MIN when NULL or unreadable), k1[i] (the schema's first
 * order column, 0 when none or NULL), k2[i] (the second: its value, or a
 * hash of a string; 0 when none or NULL) for up to max_rows rows in file
 * order.  Parquet reads only those columns.  Returns rows, 0 at end, <0 on
 * error.  Use on a separately opened input (it advances the input). */
long rp_input_next_keys(rp_input *in, int64_t *ts, int32_t *k1, int64_t *k2, size_t max_rows, char *err,
                        size_t errlen);

/* Statistics: rows read, rows flagged with _error. */
typedef struct rp_input_stats {
    uint64_t rows, flagged, bytes;
} rp_input_stats;
const rp_input_stats *rp_input_get_stats(const rp_input *in);

#endif
