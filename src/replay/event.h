/* event.h: the canonical event batch every input is converted to.
 *
 * Columns 0..23 are the 24 Redset columns with the physical types of the
 * real files (docs/metrics.md section 1); the replay converts the accepted
 * alternatives (INT64 instance_id or flags, BOOLEAN flags, INT64 counts,
 * TIMESTAMP millis/nanos/INT96, text) into these.  Four system columns
 * follow:
 *   source  STRING, never NULL: the input's label (instance ids repeat
 *           across fleets, so every per-instance key is (source, instance)).
 *   _input  INT32: index of the input (0-based, command-line order).
 *   _row    INT64: 0-based row (line for text, header excluded) in that input,
 *           so a bad row can be reported by position.
 *   _error  STRING, NULL when the row was read cleanly; otherwise why not,
 *           starting with the cleaning reason it implies: "bad_timestamp: ...",
 *           "malformed: ...".  A row with a NULL or unreadable
 *           arrival_timestamp is never dropped: it is flagged and passed on.
 *   _extra  STRING, NULL unless the input had columns sluice does not know:
 *           then a JSON object of those columns' values for this row.
 * Ordering key of the replay: (arrival_timestamp, source, instance_id,
 * query_id), NULL arrival_timestamp first.
 */
#ifndef RP_EVENT_H
#define RP_EVENT_H

#include "batch/batch.h"
#include "util/err.h"

enum {
    EV_INSTANCE_ID = 0,   /* INT32 */
    EV_CLUSTER_SIZE,      /* DOUBLE */
    EV_USER_ID,           /* INT64 */
    EV_DATABASE_ID,       /* INT64 */
    EV_QUERY_ID,          /* INT64 */
    EV_ARRIVAL_TS,        /* INT64 TIMESTAMP(MICROS) */
    EV_COMPILE_MS,        /* DOUBLE */
    EV_QUEUE_MS,          /* INT64 */
    EV_EXEC_MS,           /* INT64 */
    EV_FINGERPRINT,       /* STRING */
    EV_WAS_ABORTED,       /* INT32 */
    EV_WAS_CACHED,        /* INT32 */
    EV_CACHE_SOURCE_QID,  /* DOUBLE */
    EV_QUERY_TYPE,        /* STRING */
    EV_NUM_PERM_TABLES,   /* DOUBLE */
    EV_NUM_EXT_TABLES,    /* DOUBLE */
    EV_NUM_SYS_TABLES,    /* DOUBLE */
    EV_READ_TABLE_IDS,    /* STRING */
    EV_WRITE_TABLE_IDS,   /* STRING */
    EV_MBYTES_SCANNED,    /* DOUBLE */
    EV_MBYTES_SPILLED,    /* DOUBLE */
    EV_NUM_JOINS,         /* INT64 */
    EV_NUM_SCANS,         /* INT64 */
    EV_NUM_AGGREGATIONS,  /* INT64 */
    EV_N_REDSET,          /* = 24 */
    EV_SOURCE = EV_N_REDSET, /* STRING */
    EV_INPUT,             /* INT32 */
    EV_ROW,               /* INT64 */
    EV_ERROR,             /* STRING */
    EV_EXTRA,             /* STRING (JSON object) */
    EV_NCOLS
};

/* The plausible event-time range, [2000-01-01, 2100-01-01) UTC in micros
 * (docs/metrics.md 2): cleaning rejects arrivals outside it (bad_timestamp),
 * and the replay does not let them drive its pacing or its position. */
#define EV_TS_MIN_US (INT64_C(946684800) * 1000000)
#define EV_TS_MAX_US (INT64_C(4102444800) * 1000000)

/* Column name ("instance_id", ..., "source", "_input", "_row", "_error", "_extra"). */
const char *ev_col_name(int col);
/* Column type of the canonical batch. */
const sl_coltype *ev_col_type(int col);
/* Index of a Redset column by name, or -1. */
int ev_col_find(const char *name);
/* Add the EV_NCOLS canonical columns to an empty batch. */
sl_err ev_init_batch(sl_batch *b, char *err, size_t errlen);

#endif
