/* redset.h: the Redset schema (docs/metrics.md section 1-2): Amazon
 * Redshift's fleet telemetry, one row per query.  Its column rules are the
 * cleaning contract; its transform (plugins/tr_redset_metrics.c) computes the
 * metric tables. */
#ifndef SC_REDSET_H
#define SC_REDSET_H

#include "schema/schema.h"

extern const sc_def sc_redset_def;

/* The plausible event-time range, [2000-01-01, 2100-01-01) UTC in micros:
 * cleaning rejects arrivals outside it (bad_timestamp), and the replay does
 * not let them drive its pacing or its position. */
#define SC_REDSET_TS_MIN_US (INT64_C(946684800) * 1000000)
#define SC_REDSET_TS_MAX_US (INT64_C(4102444800) * 1000000)

#endif
