/* api_int.h: what the endpoint files (api_live.c, api_hist.c, api_table.c)
 * share with api.c.  Not a public header. */
#ifndef SV_API_INT_H
#define SV_API_INT_H

#include <sqlite3.h>

#include "serve/api.h"
#include "serve/json.h"
#include "serve/params.h"
#include "util/hashmap.h"
#include "util/buf.h"

/* Columns a table has, for filters (SV_PB bits of the filter parameters). */
#define SV_COLS_METRIC_FULL (SV_P_RANGE | SV_PB(SV_P_SOURCE) | SV_PB(SV_P_INSTANCE) | SV_PB(SV_P_FINAL))

/* One request being computed. */
typedef struct sv_q {
    sv_api *api;
    const char *path;          /* hot store file, for messages */
    sqlite3 *db;
    const sv_params *p;
    const char *table;         /* /table/<name> */
    /* resolved range (sv_q_range) */
    bool empty;                /* no data and no explicit range */
    int64_t from, to;
    char from_s[20], to_s[20];
    sl_buf out;
    sv_json j;
    int status;                /* for errors */
    char err[SL_ERRLEN];
} sv_q;

typedef sl_err (*sv_ep_fn)(sv_q *q);

/* Errors: a 400/404/500/503 with a message. */
sl_err sv_q_fail(sv_q *q, int status, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A SQLite error while doing `what` (500, or 503 when the store is busy,
 * unreadable or not a database). */
sl_err sv_q_dberr(sv_q *q, int rc, const char *what);

/* Resolve the hour range of the request (newest hour of query_hourly for the
 * defaults) and write "from"/"to" into the open JSON object. */
sl_err sv_q_range(sv_q *q);
/* Prepare "SELECT cols FROM table" + the WHERE clause of the request's
 * filters limited to `use` (SV_PB bits; range only when not empty) + tail. */
sl_err sv_q_prepare(sv_q *q, sqlite3_stmt **st, const char *cols, const char *table, unsigned use, const char *tail);
/* Step: SQLITE_ROW / SQLITE_DONE, anything else recorded as an error (returns it). */
int sv_q_step(sv_q *q, sqlite3_stmt *st, const char *what);
/* A column as JSON (integer, real, text, null; a blob as text). */
void sv_q_col(sv_q *q, sqlite3_stmt *st, int i);
/* Text of column i ("" for NULL) and its length. */
const char *sv_col_text(sqlite3_stmt *st, int i, size_t *n);

/* A table of distinct strings -> dense indexes. */
typedef struct sv_strtab {
    hm map;
    char **s;
    size_t *len;
    size_t n, cap;
} sv_strtab;
void sv_strtab_init(sv_strtab *t);
void sv_strtab_free(sv_strtab *t);
/* Index of s (added when new); -1 when out of memory. */
int64_t sv_strtab_intern(sv_strtab *t, const char *s, size_t n);

/* Growable array of hour texts (hours with data, in order). */
typedef struct sv_hours {
    char (*h)[20];
    size_t n, cap;
} sv_hours;
/* Index of hour text s in the list, appending it when it differs from the
 * last one (rows come in hour order); -1 when out of memory. */
int64_t sv_hours_add(sv_hours *hs, const char *s, size_t n);
void sv_hours_json(sv_q *q, const sv_hours *hs);

/* Endpoints. */
sl_err sv_ep_status(sv_q *q);
sl_err sv_ep_live(sv_q *q);
sl_err sv_ep_health(sv_q *q);
sl_err sv_ep_spill(sv_q *q);
sl_err sv_ep_cache(sv_q *q);
sl_err sv_ep_top_tables(sv_q *q);
sl_err sv_ep_compile(sv_q *q);
sl_err sv_ep_utilization(sv_q *q);
sl_err sv_ep_table(sv_q *q);
/* /table/<name>: the parameter spec of a table; NULL when unknown. */
const sv_pspec *sv_table_spec(const char *name);
/* "query_hourly, spill_hourly, ...": the tables /table/<name> serves. */
const char *sv_table_names(void);
/* pipeline_health as Prometheus text into q->out (not JSON). */
sl_err sv_ep_metrics(sv_q *q);

#endif
