/* reader.h: streaming Parquet reader producing columnar batches.
 *
 *   sl_source *src; sl_source_open_file(&src, path, err, sizeof err);
 *   pq_reader *r;   pq_reader_open(&r, src, NULL, err, sizeof err);
 *   pq_reader_select(r, names, n, ...);      // optional projection
 *   sl_batch b; sl_batch_init(&b); pq_reader_init_batch(r, &b, ...);
 *   while ((n = pq_reader_next(r, &b, 65536, err, sizeof err)) > 0) use(&b);
 *   sl_batch_free(&b); pq_reader_close(r); sl_source_close(src);
 *
 * Memory stays bounded by the batch size plus one page (and dictionary) per
 * selected column, whatever the file size: pages are read and decoded one at
 * a time.  The reader borrows src; the caller closes it after the reader.
 * Only flat columns are read (top-level, not repeated); a nested column is
 * listed with supported == false and a reason, and never stops the others.
 */
#ifndef PQ_READER_H
#define PQ_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "io/source.h"
#include "parquet/meta.h"
#include "util/err.h"

typedef struct pq_reader pq_reader;

typedef struct pq_reader_opts {
    bool verify_crc;            /* verify page CRCs when present (default true) */
    size_t max_page_bytes;      /* reject pages larger than this (default 1 GiB) */
} pq_reader_opts;

/* Defaults: verify_crc = true, max_page_bytes = 1 GiB. */
pq_reader_opts pq_reader_opts_default(void);

/* One leaf column of the file's schema. */
typedef struct pq_leaf {
    const char *name;           /* dotted path, owned by the reader */
    int schema_index;           /* index into meta->schema */
    int chunk_index;            /* index into row_group.columns */
    const pq_schema_elem *elem;
    int16_t max_def, max_rep;
    bool supported;
    char why[160];              /* reason when !supported */
    sl_coltype ctype;           /* type of the batch column it decodes to */
    bool nullable;
} pq_leaf;

/* Reader statistics (for progress and benchmarks). */
typedef struct pq_reader_stats {
    uint64_t pages, dict_pages, bytes_decompressed, rows_read;
} pq_reader_stats;

sl_err pq_reader_open(pq_reader **out, sl_source *src, const pq_reader_opts *opts, char *err, size_t errlen);
void pq_reader_close(pq_reader *r);

const pq_meta *pq_reader_meta(const pq_reader *r);
size_t pq_reader_num_leaves(const pq_reader *r);
const pq_leaf *pq_reader_leaf(const pq_reader *r, size_t i);
/* Index of the leaf named name (dotted path), or -1. */
int pq_reader_find(const pq_reader *r, const char *name);
const pq_reader_stats *pq_reader_get_stats(const pq_reader *r);

/* Choose the columns to read, in the given order.  Unknown or unsupported
 * names are SL_ERR_NOTFOUND / SL_ERR_UNSUPPORTED.  Default: every supported
 * leaf in schema order.  Must be called before the first pq_reader_next. */
sl_err pq_reader_select(pq_reader *r, const char *const *names, size_t n, char *err, size_t errlen);
/* Read only these row groups (ascending indices), e.g. after pruning with
 * statistics.  Default: all. */
sl_err pq_reader_select_row_groups(pq_reader *r, const uint32_t *idx, size_t n, char *err, size_t errlen);
/* Number and leaf indices of the selected columns. */
size_t pq_reader_num_selected(const pq_reader *r);
int pq_reader_selected_leaf(const pq_reader *r, size_t i);

/* Add one batch column per selected column to an empty batch. */
sl_err pq_reader_init_batch(pq_reader *r, sl_batch *b, char *err, size_t errlen);
/* Reset b and fill it with up to max_rows rows (never crossing a row group).
 * Returns the number of rows (>0), 0 at the end, or a negative sl_err with a
 * message naming file, row group, column and page. */
long pq_reader_next(pq_reader *r, sl_batch *b, size_t max_rows, char *err, size_t errlen);

/* Decode a statistics value (PLAIN bytes as stored in the footer) of leaf i
 * into a one-element scalar of the leaf's batch type: *out receives an
 * int32/int64/float/double/uint8 or an sl_str pointing into the bytes.
 * Returns SL_ERR_CORRUPT when the byte length does not fit the type. */
typedef union pq_scalar {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    sl_str s;
} pq_scalar;
sl_err pq_stat_decode(const pq_leaf *leaf, pq_bytes v, pq_scalar *out);

#endif
