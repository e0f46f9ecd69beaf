/* writer.h: streaming Parquet writer for flat schemas.
 *
 *   pq_write_col cols[] = {{"id", {.type = SL_I64}, false}, ...};
 *   pq_writer_opts o = pq_writer_opts_default();
 *   pq_writer *w; pq_writer_open(&w, "out.parquet", cols, n, &o, err, sizeof err);
 *   while (more) pq_writer_write(w, &batch, err, sizeof err);
 *   pq_writer_close(w, err, sizeof err);   // or pq_writer_abort(w) on error
 *
 * Column types: SL_BOOL (BOOLEAN), SL_I32 (INT32), SL_I64 (INT64, or
 * TIMESTAMP(MICROS, UTC) when logical == SL_LOG_TIMESTAMP, unit MICROS),
 * SL_F32 (FLOAT), SL_F64 (DOUBLE), SL_BYTES with logical SL_LOG_STRING
 * (BYTE_ARRAY STRING) or none (binary).  Required or optional.
 * Memory is bounded by one row group: pages are encoded and compressed as
 * the rows arrive and a row group is flushed when it reaches its target
 * rows or bytes.  Output goes to a byte target (io/target.h): a local file
 * is written under a temporary name in the same directory and renamed to
 * the final path by pq_writer_close, so a crash never leaves a partial file
 * under the final name; another target (an S3 object) plugs in the same way.
 * Ownership: the writer copies the column definitions and options and owns
 * its target; batches stay the caller's.
 */
#ifndef PQ_WRITER_H
#define PQ_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "io/target.h"
#include "parquet/meta.h"
#include "util/err.h"

typedef struct pq_writer pq_writer;

typedef struct pq_write_col {
    const char *name;
    sl_coltype type;
    bool nullable;
} pq_write_col;

typedef struct pq_writer_opts {
    pq_codec codec;           /* default PQ_CODEC_ZSTD; also UNCOMPRESSED, SNAPPY */
    int level;                /* codec level; 0 = codec default */
    size_t row_group_rows;    /* flush a row group at this many rows (default 1,048,576) */
    size_t row_group_bytes;   /* ... or at this many uncompressed bytes (default 128 MiB) */
    size_t page_bytes;        /* target uncompressed data page size (default 1 MiB) */
    bool dictionary;          /* dictionary-encode when it pays (default true) */
    size_t dict_max_bytes;    /* per column chunk; beyond it fall back to PLAIN (default 1 MiB) */
    int page_version;         /* 1 (default) or 2 */
    bool write_crc;           /* page CRC32 (default true) */
    const pq_kv *kv;          /* extra key-value metadata (copied) */
    size_t n_kv;
    bool no_sync;             /* close without fsync of the file and its directory
                                 (the caller syncs a group of files at once; default false) */
} pq_writer_opts;

pq_writer_opts pq_writer_opts_default(void);

/* A local file at path (a file target). */
sl_err pq_writer_open(pq_writer **out, const char *path, const pq_write_col *cols, size_t ncols,
                      const pq_writer_opts *opts, char *err, size_t errlen);
/* Any target; the writer owns it from here on (also when this fails). */
sl_err pq_writer_open_target(pq_writer **out, sl_target *t, const pq_write_col *cols, size_t ncols,
                             const pq_writer_opts *opts, char *err, size_t errlen);
/* Append all rows of b; its columns must match the writer's in order and type. */
sl_err pq_writer_write(pq_writer *w, const sl_batch *b, char *err, size_t errlen);
/* Flush, write the footer, finish and commit the target (fsync and rename
 * for a file, unless no_sync), free the writer (also on error, in which case
 * what was written is removed). */
sl_err pq_writer_close(pq_writer *w, char *err, size_t errlen);
/* pq_writer_close that also copies the final statistics (rows, row groups,
 * pages, file size incl. footer) to *st when it succeeds; st may be NULL. */
struct pq_writer_stats;
sl_err pq_writer_close_stats(pq_writer *w, struct pq_writer_stats *st, char *err, size_t errlen);
/* Finish the file but do not publish it, and free the writer: flush,
 * footer, sl_target_finish (synced unless opts.no_sync).  On success *out
 * is the finished target (the caller commits it, e.g. a group of files
 * after one file-system sync, and closes it) and *st the statistics (st may
 * be NULL).  On error what was written is removed and *out is NULL. */
sl_err pq_writer_finish(pq_writer *w, struct pq_writer_stats *st, sl_target **out, char *err, size_t errlen);
/* Remove what was written and free the writer. */
void pq_writer_abort(pq_writer *w);

typedef struct pq_writer_stats {
    uint64_t rows, row_groups, pages, bytes_written, dict_fallbacks;
} pq_writer_stats;
const pq_writer_stats *pq_writer_get_stats(const pq_writer *w);

#endif
