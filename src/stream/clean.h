/* clean.h: the cleaning rules of docs/metrics.md section 2, applied to a
 * canonical event batch (replay/event.h) in place, column by column.
 *
 * For every row the result is a status: CL_ACCEPT (possibly repaired) or the
 * one bad-row reason (checks in the documented order: malformed, missing_*,
 * bad_timestamp, negative_*).  Repairs are applied to the batch's values:
 * NULL durations/mbytes/num_* -> 0, NULL flags -> 0, non-zero flags -> 1,
 * durations clamped to the cap, query_type trimmed and lower-cased (into the
 * batch arena).  Table id lists are parsed into per-row sets (CSR arrays).
 * Counters accumulate across calls.
 */
#ifndef ST_CLEAN_H
#define ST_CLEAN_H

#include <stdint.h>

#include "batch/batch.h"
#include "replay/event.h"
#include "util/err.h"

typedef enum cl_reason {
    CL_ACCEPT = 0,
    CL_MALFORMED,
    CL_MISSING_ARRIVAL_TIMESTAMP,
    CL_MISSING_INSTANCE_ID,
    CL_MISSING_QUERY_ID,
    CL_MISSING_QUERY_TYPE,
    CL_BAD_TIMESTAMP,
    CL_NEGATIVE_COMPILE_DURATION_MS,
    CL_NEGATIVE_QUEUE_DURATION_MS,
    CL_NEGATIVE_EXECUTION_DURATION_MS,
    CL_NEGATIVE_NUM_PERMANENT_TABLES_ACCESSED,
    CL_NEGATIVE_NUM_EXTERNAL_TABLES_ACCESSED,
    CL_NEGATIVE_NUM_SYSTEM_TABLES_ACCESSED,
    CL_NEGATIVE_MBYTES_SCANNED,
    CL_NEGATIVE_MBYTES_SPILLED,
    CL_NEGATIVE_NUM_JOINS,
    CL_NEGATIVE_NUM_SCANS,
    CL_NEGATIVE_NUM_AGGREGATIONS,
    CL_N_REASONS
} cl_reason;

/* "malformed", "missing_arrival_timestamp", ..., "negative_num_aggregations". */
const char *cl_reason_name(cl_reason r);

typedef struct cl_opts {
    int64_t duration_cap_ms;   /* default 604,800,000 (7 days) */
    int64_t ts_min_us, ts_max_us; /* accepted arrival range, default [2000-01-01, 2100-01-01) */
} cl_opts;

cl_opts cl_opts_default(void);

typedef struct cl_counters {
    uint64_t rows;                        /* rows cleaned */
    uint64_t accepted_clean;              /* status CL_ACCEPT (before dedupe/lateness) */
    uint64_t bad[CL_N_REASONS];           /* by reason (bad[0] unused) */
    uint64_t repaired_rows;               /* accepted rows with at least one repair */
    uint64_t repaired[EV_N_REDSET];       /* per column: values changed by a repair */
    uint64_t bad_table_id;                /* ignored table-id tokens (read and write) */
} cl_counters;

/* Per-row sets of table ids: ids[off[i] .. off[i+1]) for row i (sorted,
 * distinct).  Owned by the caller; reused across calls. */
typedef struct cl_idsets {
    uint32_t *off;    /* nrows + 1 */
    int64_t *ids;
    size_t cap_rows, cap_ids;
} cl_idsets;

void cl_idsets_free(cl_idsets *s);

/* Clean b in place.  status[i] receives the cl_reason of row i (status must
 * hold b->nrows entries); detail (may be NULL) receives, for bad rows, a short
 * text per row in the batch arena (e.g. "arrival_timestamp 1999-12-31T..."
 * outside [2000-01-01, 2100-01-01)); rows already flagged by the replay
 * (_error not NULL) keep their flag: "malformed: ..." -> CL_MALFORMED,
 * "bad_timestamp: ..." -> CL_BAD_TIMESTAMP.  read_ids / write_ids receive
 * the parsed sets (write_ids may be NULL if not needed). */
sl_err cl_clean(const cl_opts *o, sl_batch *b, uint8_t *status, sl_str *detail, cl_idsets *read_ids,
                cl_idsets *write_ids, cl_counters *c, char *err, size_t errlen);

#endif
