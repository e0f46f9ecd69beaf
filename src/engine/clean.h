/* clean.h: the cleaning rules a schema declares per column (schema.h),
 * applied to a canonical event batch in place, column by column.
 *
 * For every row the result is a status: 0 = accepted (possibly repaired) or
 * the number of its bad-row reason (sc_schema.reasons: checks in priority
 * order malformed, missing_*, bad_timestamp, negative_*).  Repairs are
 * applied to the batch's values: NULL -> 0, flags -> 0/1, values clamped to
 * the duration cap, text trimmed and lower-cased (into the batch arena).
 * ID_LIST columns are parsed into per-row sets (CSR arrays).  Counters
 * accumulate across calls.
 */
#ifndef EN_CLEAN_H
#define EN_CLEAN_H

#include <stdint.h>

#include "batch/batch.h"
#include "schema/schema.h"
#include "util/err.h"

#define CL_MAX_REASONS 64 /* reasons of a schema, "accept" included (sc_open checks) */
#define CL_MAX_COLS SC_MAX_COLS /* columns of a schema (sc_open checks) */

typedef struct cl_opts {
    int64_t duration_cap_ms;       /* cap of the CLAMP columns */
    int64_t ts_min_us, ts_max_us;  /* accepted event-time range [min, max) */
} cl_opts;

/* The schema's defaults: its duration cap and plausible time range. */
cl_opts cl_opts_default(const sc_schema *s);

typedef struct cl_counters {
    uint64_t rows;                    /* rows cleaned */
    uint64_t accepted_clean;          /* status 0 (before dedupe/lateness) */
    uint64_t bad[CL_MAX_REASONS];     /* by reason number (bad[0] unused) */
    uint64_t repaired_rows;           /* accepted rows with at least one repair */
    uint64_t repaired[CL_MAX_COLS];   /* per column: values changed by a repair */
    uint64_t bad_id_tokens;           /* ignored tokens of the ID_LIST columns */
} cl_counters;

/* Per-row sets of ids: ids[off[i] .. off[i+1]) for row i (sorted, distinct).
 * Owned by the caller; reused across calls. */
typedef struct cl_idsets {
    uint32_t *off;    /* nrows + 1 */
    int64_t *ids;
    size_t cap_rows, cap_ids;
} cl_idsets;

void cl_idsets_free(cl_idsets *s);

/* Clean b (a canonical batch of s) in place.  status[i] receives row i's
 * reason number (status holds b->nrows entries); detail (may be NULL)
 * receives, for bad rows, a short text in the batch arena (e.g.
 * "arrival_timestamp 1999-12-31T... outside [2000-01-01..., 2100-01-01...)");
 * rows the input flagged (_error not NULL) keep their flag: "bad_timestamp:
 * ..." -> bad_timestamp (unless a required column is missing),
 * anything else -> malformed.  idsets (may be NULL) receives the parsed
 * sets of the s->nidlists ID_LIST columns, in their order. */
sl_err cl_clean(const sc_schema *s, const cl_opts *o, sl_batch *b, uint8_t *status, sl_str *detail, cl_idsets *idsets,
                cl_counters *c, char *err, size_t errlen);

#endif
