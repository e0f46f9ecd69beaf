/* schema.h: the runtime schema of an event stream.
 *
 * A schema module declares its columns once, as data (an sc_def), and every
 * generic stage derives what it needs from it: the inputs match fields to
 * columns and convert types, the replay orders by the order key, cleaning
 * applies the per-column rules, the engine windows by the event-time column
 * and deduplicates by the dedupe key, the stores derive their DDL and
 * Parquet schemas.  Redset (redset.c) and product events
 * (product_events.c) are two schema definitions; nothing generic knows
 * their columns.
 *
 *   const sc_schema *s;
 *   if (sc_open(&s, &sc_redset_def, err, sizeof err)) fail(err);
 *   sl_batch b; sl_batch_init(&b);
 *   sc_init_batch(s, &b, err, sizeof err);       // the canonical event batch
 *   int ts = s->time;                            // event-time column
 *   ... b.cols[s->source] ...                    // system columns follow the schema's
 *   sc_close(s);
 *
 * The canonical event batch: the schema's columns in order, then the system
 * columns (see enum below).  Ownership: sc_open builds an immutable
 * sc_schema that the caller closes after every user; it may be shared by
 * threads.  A definition (sc_def) is static data and outlives everything.
 */
#ifndef SC_SCHEMA_H
#define SC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/err.h"

/* Cleaning rules of a column (docs/metrics.md section 2: the Redset rules
 * are these, declared on its columns).  Bad-row rules are checked in this
 * priority: malformed (a flagged row, or FINITE failing), missing_<col>
 * (REQUIRED, in the order of sc_def.required), bad_timestamp (the event
 * time outside [ts_min, ts_max)), negative_<col> (NONNEG, column order).
 * Repairs apply to accepted rows and count per column. */
enum {
    SC_REQUIRED = 1u << 0,   /* NULL (or blank text) -> bad row "missing_<col>" */
    SC_NONNEG = 1u << 1,     /* < 0 -> bad row "negative_<col>" */
    SC_FINITE = 1u << 2,     /* DOUBLE: NaN or +-inf -> bad row "malformed" */
    SC_NULL_ZERO = 1u << 3,  /* NULL -> 0 (repair) */
    SC_FLAG01 = 1u << 4,     /* INT32: non-zero -> 1 (repair) */
    SC_CLAMP = 1u << 5,      /* > the duration cap -> the cap (repair; INT64 or DOUBLE, in ms) */
    SC_TRIM_LOWER = 1u << 6, /* text: trim spaces, ASCII lower-case (repair) */
    SC_ID_LIST = 1u << 7,    /* text: comma-separated non-negative int64 ids, parsed into a set per
                                row; bad tokens are dropped (repair) and counted (bad_id_tokens) */
    SC_TRIM = 1u << 8        /* text: trim spaces (repair) */
};

typedef struct sc_col {
    const char *name;     /* column name in every store */
    sl_coltype type;      /* canonical type: SL_I32, SL_I64 (TIMESTAMP(MICROS, UTC) when logical
                             says so), SL_F64 or SL_BYTES (STRING) */
    unsigned rules;       /* SC_* */
    const char *path;     /* where an input finds it: a CSV header / Parquet column name, or a JSON
                             key path with dots ("context.page.url"); NULL = name */
    const char *help;     /* one line, for docs */
} sc_col;

#define SC_MAX_KEY 4
#define SC_MAX_COLS 128 /* columns of a canonical batch, system columns included */

typedef struct sc_def {
    const char *name;     /* "redset": chosen by name in a pipeline file */
    const char *help;
    const sc_col *cols;
    size_t ncols;
    const char *time;     /* the event-time column (TIMESTAMP, REQUIRED) */
    const char *order[2]; /* the replay's tie-breakers after (time, source): an INT32 column (or
                             NULL), then an INT64 or STRING column (or NULL); a string orders by a
                             64-bit hash of its bytes (deterministic, not alphabetical) */
    const char *dedupe[SC_MAX_KEY]; /* with source: an event whose key was already accepted in the same
                                        window is a duplicate; REQUIRED columns (NULL-terminated; none:
                                        no dedupe) */
    const char *partition[SC_MAX_KEY]; /* with source: the entity an event belongs to (a bus's message
                                           key; per-entity outputs) (NULL-terminated) */
    const char *required[8]; /* REQUIRED columns in the priority of their missing_* reasons
                                (NULL-terminated); columns not listed follow in column order */
    const char *rest;     /* a STRING column that receives, as a JSON object, every input field that
                             no column takes (NULL: the _extra system column does) */
    const char *hoist[4]; /* JSON inputs: members of these objects are lifted to the top of the rest
                             object ("properties", "traits") (NULL-terminated) */
    int64_t ts_min_us, ts_max_us; /* plausible event times; outside -> bad_timestamp (0, 0 = any) */
    int64_t duration_cap_ms;      /* default cap of the CLAMP columns */
} sc_def;

/* System columns, after the schema's own (offsets from sc_schema.ncols). */
enum {
    SC_SYS_SOURCE = 0, /* STRING, never NULL: the input's label */
    SC_SYS_INPUT,      /* INT32: index of the input */
    SC_SYS_ROW,        /* INT64: 0-based row (line for text, header excluded) in that input */
    SC_SYS_ERROR,      /* STRING: NULL when the row was read cleanly, else "malformed: ..." /
                          "bad_timestamp: ..." (the row is flagged, never dropped) */
    SC_SYS_EXTRA,      /* STRING: NULL, or a JSON object of the input fields no column takes
                          (when the schema has no rest column) */
    SC_N_SYS
};

/* Bad-row reasons are numbered: 0 = accepted, then these, in priority. */
typedef struct sc_reason {
    const char *name;  /* "malformed", "missing_query_id", "bad_timestamp", "negative_num_joins" */
    int col;           /* the column it is about, -1 for malformed */
} sc_reason;

typedef struct sc_schema {
    const sc_def *def;
    const char *name;
    size_t ncols;           /* the schema's columns */
    size_t nall;            /* + SC_N_SYS */
    const sc_col *cols;     /* = def->cols */
    int source, input, row, error, extra; /* system column indexes */
    int time;
    int order[2];           /* -1: none */
    int dedupe[SC_MAX_KEY], ndedupe;
    int partition[SC_MAX_KEY], npartition;
    int rest;               /* -1: none (the _extra column takes unknown fields) */
    /* cleaning, derived from the rules */
    size_t nreasons;        /* including reason 0 = "accept" */
    const sc_reason *reasons;
    int reason_malformed, reason_bad_timestamp; /* their numbers */
    size_t nrepair;         /* columns that have a repair rule, in column order */
    const int *repair_cols;
    size_t nidlists;        /* SC_ID_LIST columns, in column order */
    const int *idlist_cols;
    int64_t ts_min_us, ts_max_us;
} sc_schema;

/* Check the definition (names unique, key columns exist with usable types,
 * the time column is a TIMESTAMP, dedupe columns are REQUIRED, ...) and
 * derive the rest.  Errors name the schema and the problem. */
sl_err sc_open(const sc_schema **out, const sc_def *def, char *err, size_t errlen);
void sc_close(const sc_schema *s);

/* Column index by name (exact; -1 when absent). */
int sc_find(const sc_schema *s, const char *name);
/* Column index for an input field name: exact name or path, else the one
 * column whose name or path matches case-insensitively; -1 otherwise
 * (system column names are never matched). */
int sc_match(const sc_schema *s, const char *name, size_t len);
/* Name of any column of the canonical batch, system columns included. */
const char *sc_col_name(const sc_schema *s, int col);
const sl_coltype *sc_col_type(const sc_schema *s, int col);
/* Add the nall canonical columns to an empty batch. */
sl_err sc_init_batch(const sc_schema *s, sl_batch *b, char *err, size_t errlen);
/* Check that b is a canonical batch of s (column count and types). */
sl_err sc_check_batch(const sc_schema *s, const sl_batch *b, char *err, size_t errlen);

#endif
