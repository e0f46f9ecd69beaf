/* hot_read.h: typed reads of the hot store (hot.h), for its readers
 * (`sluice serve`).
 *
 * The reader's half of the store's contract: tables are named by their
 * definition (schema/table.h) and columns by index into it, never by name;
 * the SQL (identifiers from the definitions, every value a bound parameter)
 * is built here, so a reader cannot drift from what hot.c writes.  The
 * store's conventions live here too: an hourly table's `hour` is
 * 'YYYY-MM-DD HH:00:00' text (hours cross this API as epoch seconds), it
 * has a `final` column (HR_FINAL), quarantine tables keep insertion order
 * (HR_ROWID), and the fixed tables (pipeline_health, schema_version,
 * store_meta) have their own typed reads.
 *
 *   hr_conn *c;
 *   hr_conn_new(&c, db, err, sizeof err);     // db: read-only, kept open by the caller
 *   static const int cols[] = {RS_CA_HOUR, RS_CA_INSTANCE, RS_CA_QUERIES};
 *   hr_query q = {.table = &rs_cache_hourly, .cols = cols, .ncols = 3,
 *                 .where = {.range = true, .from = t0, .to = t1, .source = "alpha"},
 *                 .order = (const hr_order[]){{RS_CA_HOUR}}, .norder = 1};
 *   hr_cursor cur;
 *   int r = hr_open(c, &q, &cur, err, sizeof err);
 *   while (r == SL_OK && (r = hr_next(&cur, err, sizeof err)) == HR_ROW) {
 *       size_t n;
 *       const char *hour = hr_text(&cur, 0, &n);
 *       int64_t queries = hr_i64(&cur, 2);
 *   }
 *   hr_close(&cur);                           // r < 0: an sl_err, message in err
 *   hr_conn_free(c);                          // before the caller closes db
 *
 * Aggregates: .aggs (and .group) instead of .cols; the cursor's columns are
 * the group columns, then the aggregates.  A lone HR_MIN or HR_MAX of a
 * table's leading key column is an index seek; together in one query they
 * are a full scan, so ask for them separately.
 *
 * Errors (negative sl_err, message "TABLE: what SQLite said"): SL_ERR_IO
 * the store is busy, locked or unreadable; SL_ERR_CORRUPT not a database
 * or damaged; SL_ERR_NOTFOUND a table or column the store lacks (another
 * schema); SL_ERR_ARG a query this API refuses (a column index out of
 * range, a filter the table has no column for); SL_ERR_NOMEM;
 * SL_ERR_UNSUPPORTED anything else SQLite reports.
 *
 * Statements are prepared once per connection and kept (by SQL text, up to
 * HR_STMT_CACHE, least recently used out), so a repeated query costs no
 * parse.  An hr_conn and its cursors belong to one thread at a time.
 */
#ifndef ST_HOT_READ_H
#define ST_HOT_READ_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/table.h"
#include "util/err.h"

/* The store layout hot.c writes (schema_version), and the oldest one these
 * reads understand (version 1: no inputs table, no owner column in the
 * quarantine tables: input_file is NULL). */
#define HR_SCHEMA_VERSION 2
#define HR_SCHEMA_VERSION_MIN 1
#define HR_STMT_CACHE 48

typedef struct hr_conn hr_conn;

sl_err hr_conn_new(hr_conn **out, sqlite3 *db, char *err, size_t errlen);
/* Finalizes the kept statements; does not close the connection.  NULL: no-op. */
void hr_conn_free(hr_conn *c);

/* One read transaction around several reads: they all see one snapshot. */
sl_err hr_begin(hr_conn *c, char *err, size_t errlen);
void hr_end(hr_conn *c);

/* ------------------------------------------------------------------ queries */

/* Column indexes besides 0..ncols-1 of the table. */
#define HR_NOCOL (-1)       /* hr_filter_col: the table has no such column */
#define HR_FINAL (-2)       /* an hourly table's `final` (0/1) */
#define HR_ROWID (-3)       /* order only: insertion order (quarantine tables) */
#define HR_AGG(i) (-4 - (i)) /* order only: the query's aggregate i */

/* The filters a query can apply, each to one conventional column. */
typedef enum hr_filter {
    HR_F_HOUR,       /* the hour (window) column: range */
    HR_F_SOURCE,     /* source = */
    HR_F_INSTANCE,   /* instance_id IN (...) */
    HR_F_QUERY_TYPE, /* query_type = */
    HR_F_REASON,     /* reason = (bad_rows) */
    HR_F_FINAL       /* final = (hourly tables: HR_FINAL) */
} hr_filter;

/* The column of t that filter f applies to, or HR_NOCOL. */
int hr_filter_col(const tb_def *t, hr_filter f);
/* The name of the column filter f applies to ("hour", "source", ...). */
const char *hr_filter_name(hr_filter f);

typedef enum hr_final_is { HR_ANY = 0, HR_PROVISIONAL, HR_FINAL_ONLY } hr_final_is;

/* Row filters, all ANDed; zeroed: every row. */
typedef struct hr_where {
    bool none;                 /* no row at all (e.g. an empty store without a range) */
    bool range;                /* hour >= from AND hour < to; one whole hour: hour = from (the
                                  store's hours are whole: the key's next columns narrow too) */
    int64_t from, to;          /* epoch seconds, years 0000..9999 */
    const char *source;        /* NULL: any */
    const int64_t *instances;  /* instance_id IN instances[0..ninstances); 0: any */
    size_t ninstances;
    const char *query_type;    /* NULL: any */
    const char *reason;        /* NULL: any */
    hr_final_is final;
} hr_where;

typedef enum hr_fn {
    HR_COUNT = 1,      /* rows (col unused) */
    HR_SUM,            /* sum(col): an integer for integer columns; NULL without rows */
    HR_TOTAL,          /* total(col): a double, 0 without rows */
    HR_MIN,            /* min(col), max(col): NULL without rows */
    HR_MAX,
    HR_COUNT_DISTINCT  /* distinct tuples of cols[0..ncols); the query's only aggregate */
} hr_fn;

typedef struct hr_agg {
    hr_fn fn;
    int col;               /* a column or HR_FINAL */
    const int *cols;       /* HR_COUNT_DISTINCT */
    size_t ncols;
} hr_agg;

typedef struct hr_order {
    int col;               /* a column, HR_FINAL, HR_ROWID or HR_AGG(i) */
    bool desc;
} hr_order;

typedef struct hr_query {
    const tb_def *table;
    /* rows: these columns (a column index or HR_FINAL); NULL: every column
     * of the table, then final for an hourly table */
    const int *cols;
    size_t ncols;
    /* or aggregates (naggs > 0): the group columns, then the aggregates */
    const hr_agg *aggs;
    size_t naggs;
    const int *group;
    size_t ngroup;
    hr_where where;
    bool order_key;        /* ORDER BY the table's key columns (then `order`) */
    const hr_order *order;
    size_t norder;
    int64_t limit;         /* > 0: at most limit rows */
    int64_t offset;        /* with a limit: skip this many first */
    /* rows of a quarantine table (bad_rows, late_events): one more column
     * after the others, `input_file`, the path of the row's input (table
     * inputs, by the row's owner and _input; hot.h hs_write_inputs); NULL
     * when the store does not know it (a row written by a version-1 sluice,
     * or a version-1 store).  order_key then also orders by the owner. */
    bool input_file;
} hr_query;

/* An open query.  The fields are private. */
typedef struct hr_cursor {
    sqlite3_stmt *st;
    hr_conn *conn;
    int slot;
    const char *table;
} hr_cursor;

#define HR_ROW 1

/* Open q (its strings are copied: they need not outlive the call).  On
 * failure the cursor is closed (hr_close is a no-op). */
sl_err hr_open(hr_conn *c, const hr_query *q, hr_cursor *cur, char *err, size_t errlen);
/* HR_ROW (a row is current), 0 (no more), or a negative sl_err. */
int hr_next(hr_cursor *cur, char *err, size_t errlen);
/* Back before the first row (same query, same parameters). */
void hr_rewind(hr_cursor *cur);
/* Done; the statement goes back to the connection.  Idempotent. */
void hr_close(hr_cursor *cur);

/* The current row's columns. */
typedef enum hr_type { HR_NULL, HR_INT, HR_REAL, HR_TEXT } hr_type;

static inline int hr_ncols(const hr_cursor *c) { return sqlite3_column_count(c->st); }
/* A table column's name or "final"; an aggregate's SQL text. */
static inline const char *hr_col_name(const hr_cursor *c, int i) { return sqlite3_column_name(c->st, i); }
static inline hr_type hr_type_of(const hr_cursor *c, int i) {
    switch (sqlite3_column_type(c->st, i)) {
    case SQLITE_NULL: return HR_NULL;
    case SQLITE_INTEGER: return HR_INT;
    case SQLITE_FLOAT: return HR_REAL;
    default: return HR_TEXT;
    }
}
static inline bool hr_null(const hr_cursor *c, int i) { return sqlite3_column_type(c->st, i) == SQLITE_NULL; }
/* 0 for NULL. */
static inline int64_t hr_i64(const hr_cursor *c, int i) { return sqlite3_column_int64(c->st, i); }
static inline double hr_f64(const hr_cursor *c, int i) { return sqlite3_column_double(c->st, i); }
/* Text and its length ("" for NULL), valid until the cursor moves. */
static inline const char *hr_text(const hr_cursor *c, int i, size_t *n) {
    const char *s = (const char *)sqlite3_column_text(c->st, i);
    *n = s ? (size_t)sqlite3_column_bytes(c->st, i) : 0;
    return s ? s : "";
}
/* An hour column as epoch seconds; false for NULL or text that is not an hour. */
bool hr_hour(const hr_cursor *c, int i, int64_t *epoch_s);

/* The distinct values of text column col of t, sorted bytewise.  When col
 * is the key column right after the table's leading one (source in the
 * metric tables: key (hour, source, ...)), a skip scan: two index seeks per
 * distinct (hour, value) instead of reading every row. */
typedef struct hr_strings {
    char **v;
    size_t n;
} hr_strings;
sl_err hr_distinct(hr_conn *c, const tb_def *t, int col, hr_strings *out, char *err, size_t errlen);
void hr_strings_free(hr_strings *s);

/* ------------------------------------------------------------ fixed tables */

/* pipeline_health: one row per health series. */
#define HR_HEALTH_TABLE "pipeline_health"
typedef struct hr_health_row {
    const char *name;    /* family name with labels, as stored */
    double value;        /* NaN when NULL */
    bool null;
    int64_t updated_us;  /* updated_at, epoch microseconds; INT64_MIN when not a timestamp */
} hr_health_row;

typedef struct hr_health {
    hr_health_row *rows; /* by name */
    size_t n;
    int64_t updated_us;  /* the newest updated_at; INT64_MIN without one */
} hr_health;

sl_err hr_health_read(hr_conn *c, hr_health *out, char *err, size_t errlen);
void hr_health_free(hr_health *h);

/* health_history (hot.h: hs_write_health): samples of a few health series
 * at each health commit.  fn gets the rows with from_us <= ts < to_us in
 * ts order (then name); a store without the table has no rows. */
#define HR_HISTORY_TABLE "health_history"
typedef sl_err (*hr_history_fn)(void *ctx, int64_t ts_us, const char *name, double value, bool null, char *err,
                                size_t errlen);
sl_err hr_history_read(hr_conn *c, int64_t from_us, int64_t to_us, hr_history_fn fn, void *ctx, char *err,
                       size_t errlen);
/* The newest sample's ts (INT64_MIN: none). */
sl_err hr_history_newest(hr_conn *c, int64_t *ts_us, char *err, size_t errlen);

/* schema_version's version.  SL_ERR_NOTFOUND: no schema_version table (not
 * a hot store); SL_ERR_CORRUPT: the table is empty. */
sl_err hr_schema_version(hr_conn *c, int64_t *version, char *err, size_t errlen);
/* The name of the schema whose tables the store holds (store_meta) into
 * name[0..n); "" when not recorded (a store older than store_meta holds
 * Redset's). */
sl_err hr_store_schema(hr_conn *c, char *name, size_t n, char *err, size_t errlen);

/* The store's timestamp text, 'YYYY-MM-DD HH:MM:SS' (hours) or
 * 'YYYY-MM-DD HH:MM:SS.ffffff', as epoch microseconds; false otherwise. */
bool hr_parse_ts(const char *s, size_t n, int64_t *us);

#endif
