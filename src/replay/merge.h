/* merge.h: k-way merge of sorted canonical-batch cursors (loser tree), and
 * the columnar gather both the merge and the in-memory sort use.
 *
 * A cursor is a callback that fills a canonical batch with its next rows in
 * key order (sortkey.h); 0 = end.  The merge keeps two batches per cursor (the
 * current one and the previous one, whose rows may still be waiting to be
 * gathered), computes the keys of each batch once when it is loaded, picks
 * rows with a loser tree (ties: lower cursor index first, so the merge is
 * stable), and gathers the picked rows column by column into the output.
 * Rows outside [from, to) (event time; NULL timestamps always pass) are
 * skipped.  With check_order, a cursor whose rows are not in key order is an
 * error (the planner's promise broken: the input changed).
 */
#ifndef RP_MERGE_H
#define RP_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "replay/sortkey.h"
#include "util/err.h"

/* Fill b (reset by the callee) with the cursor's next rows. >0 rows, 0 end, <0 error. */
typedef long (*rp_cursor_fn)(void *ctx, sl_batch *b, char *err, size_t errlen);

/* How the gather treats strings of the source batches. */
typedef enum rp_strmode {
    RP_STR_COPY = 0, /* copy the bytes into the output's arena */
    RP_STR_RETAIN,   /* the source strings live in blobs the sources retain: retain them too */
    RP_STR_BORROW    /* views only: the sources outlive the output (internal use) */
} rp_strmode;

/* Append rows (src[i], row[i]) for i < n to out (canonical, reserved by the
 * callee).  srcs: the source batches (same columns as out). */
sl_err rp_gather(sl_batch *out, sl_batch *const *srcs, size_t nsrc, const uint32_t *src, const uint32_t *row, size_t n,
                 rp_strmode mode, char *err, size_t errlen);

/* Bytes a batch holds (column arrays at capacity, bitmaps, arena, retained
 * blobs), for budget accounting. */
size_t rp_batch_bytes(const sl_batch *b);

typedef struct rp_merge rp_merge;

typedef struct rp_merge_opts {
    int64_t from_us, to_us;  /* INT64_MIN / INT64_MAX = open */
    bool check_order;
    bool drop_null;          /* NULL timestamps fail the filter too (resume) */
    rp_strmode strings;      /* RP_STR_COPY for input cursors, RP_STR_RETAIN for spill cursors */
} rp_merge_opts;

/* k cursors fn(ctx[i]); m maps _input to source ranks (borrowed).  Loads the
 * first batch of every cursor. */
sl_err rp_merge_open(rp_merge **out, size_t k, rp_cursor_fn fn, void *const *ctx, const rp_srcmap *m,
                     const rp_merge_opts *o, char *err, size_t errlen);
/* Reset out (canonical) and fill it with up to max_rows rows in order. */
long rp_merge_next(rp_merge *mg, sl_batch *out, size_t max_rows, char *err, size_t errlen);
/* Bytes held by the cursors' batches and key arrays now / at most so far. */
size_t rp_merge_mem(const rp_merge *mg);
size_t rp_merge_peak_mem(const rp_merge *mg);
/* Rows skipped by the from/to filter. */
uint64_t rp_merge_filtered(const rp_merge *mg);
void rp_merge_close(rp_merge *mg);

#endif
