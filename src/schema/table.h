/* table.h: the definition of an output table, the one contract between
 * whoever produces its rows (a transform, the engine) and every store that
 * keeps them (SQLite DDL, Parquet schema, text headers, the typed reads of
 * the hot store that the server uses).
 *
 *   static const tb_col cols[] = {{"hour", TB_TS, .key = true}, {"events", TB_I64}};
 *   const tb_def t = {"event_hourly", TB_HOURLY, cols, 2, "events per hour"};
 *   sl_batch b; sl_batch_init(&b); tb_init_batch(&t, &b, err, sizeof err);
 *
 * Rows travel as sl_batch with exactly the table's columns, in order.
 * Keys come first.  An hourly table's first column is `hour` (TIMESTAMP
 * micros UTC, the window start); the hot store adds `final` and renders hour
 * as 'YYYY-MM-DD HH:00:00' text, the cold store partitions by it.  Static
 * definitions (a transform's tables) are plain data; tables derived at run
 * time (from a schema: the events table, late_events) are built with
 * tb_build and owned by whoever built them.
 */
#ifndef TB_TABLE_H
#define TB_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "batch/batch.h"
#include "util/err.h"

#define TB_TS {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}
#define TB_STR {.type = SL_BYTES, .logical = SL_LOG_STRING}
#define TB_I32 {.type = SL_I32}
#define TB_I64 {.type = SL_I64}
#define TB_F64 {.type = SL_F64}

typedef struct tb_col {
    const char *name;
    sl_coltype type;
    bool nullable;
    bool key;
    const char *help;
} tb_col;

typedef enum tb_kind {
    TB_HOURLY = 1,   /* one row per key per hour window; provisional (final = 0) while the window is
                        open, final once; the cold store keeps final rows by hour partition */
    TB_QUARANTINE,   /* rows appended as they are found (bad_rows, late_events); no window */
    TB_EVENTS        /* the accepted events themselves (a schema's columns + source, _input, _row),
                        delivered per hour window */
} tb_kind;

typedef struct tb_def {
    const char *name;
    tb_kind kind;
    const tb_col *cols;
    size_t ncols;
    const char *help;
} tb_def;

size_t tb_nkeys(const tb_def *t);
/* Column index by name, -1 when absent. */
int tb_find(const tb_def *t, const char *name);
/* Add the table's columns to an empty batch. */
sl_err tb_init_batch(const tb_def *t, sl_batch *b, char *err, size_t errlen);
/* Check that b has the table's columns (count, names, types). */
sl_err tb_check_batch(const tb_def *t, const sl_batch *b, char *err, size_t errlen);

/* A table built at run time: name, kind and columns are copied; free with
 * tb_free. */
sl_err tb_build(tb_def **out, const char *name, tb_kind kind, const tb_col *cols, size_t ncols, const char *help,
                char *err, size_t errlen);
void tb_free(tb_def *t);

/* The tables a pipeline produces, in a fixed order: every transform's
 * tables, then the engine's (bad_rows, late_events), then events.  Outputs
 * refer to a table by its index in this list. */
typedef struct tb_list {
    const tb_def *const *v;
    size_t n;
} tb_list;

/* Index of the table named name in l, -1 when absent. */
int tb_list_find(const tb_list *l, const char *name);

#endif
