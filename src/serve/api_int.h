/* api_int.h: what the endpoint files (api_live.c, api_hist.c, api_table.c)
 * share with api.c.  Not a public header. */
#ifndef SV_API_INT_H
#define SV_API_INT_H

#include "serve/api.h"
#include "serve/json.h"
#include "serve/params.h"
#include "store/hot_read.h"
#include "util/hashmap.h"
#include "util/buf.h"

/* One request being computed. */
typedef struct sv_q {
    sv_api *api;
    const char *path;          /* hot store file, for messages */
    hr_conn *rd;               /* the store (hot_read.h), inside one read transaction */
    const sv_params *p;
    const char *table;         /* /table/<name> */
    /* resolved range (sv_q_range) */
    bool empty;                /* no data and no explicit range */
    int64_t from, to;
    char from_s[20], to_s[20];
    sl_buf out;
    sv_json j;
    int status;                /* for errors */
    /* status and /metrics: the run's state inputs, copied to the body (cache.h) */
    bool has_run;
    int running;
    double eps;
    int64_t health_us;
    char err[SL_ERRLEN];
} sv_q;

typedef sl_err (*sv_ep_fn)(sv_q *q);

/* Errors: a 400/404/500/503 with a message. */
sl_err sv_q_fail(sv_q *q, int status, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A hot_read.h error e with its message msg: 503 when the store is busy,
 * unreadable or not a database, else 500; "hot store PATH: msg". */
sl_err sv_q_readerr(sv_q *q, sl_err e, const char *msg);

/* The newest hour of query_hourly (epoch seconds); *have false when empty. */
sl_err sv_q_newest(sv_q *q, bool *have, int64_t *hour);
/* Resolve the hour range of the request (newest hour of query_hourly for the
 * defaults) and write "from"/"to" into the open JSON object. */
sl_err sv_q_range(sv_q *q);
/* The request's filters limited to `use` (SV_PB bits; the range as
 * resolved by sv_q_range: nothing matches when the store is empty). */
void sv_q_where(const sv_q *q, unsigned use, hr_where *w);
/* hr_open / hr_next with the errors recorded in q (sv_q_readerr); sv_q_next
 * returns HR_ROW, 0 at the end, or the error. */
sl_err sv_q_open(sv_q *q, const hr_query *hq, hr_cursor *cur);
int sv_q_next(sv_q *q, hr_cursor *cur);
/* Column i of the current row as a JSON value (integer, real, text, null). */
void sv_q_val(sv_q *q, const hr_cursor *cur, int i);

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
sl_err sv_ep_instances(sv_q *q);
sl_err sv_ep_health_history(sv_q *q);

/* /table/<name>: the parameter spec of a table; NULL when unknown. */
const sv_pspec *sv_table_spec(const char *name);
/* "query_hourly, spill_hourly, ...": the tables /table/<name> serves. */
const char *sv_table_names(void);
/* The engine's quarantine tables of the Redset schema (en_own_tables). */
const tb_def *sv_bad_rows(void);
const tb_def *sv_late_events(void);
/* pipeline_health as Prometheus text into q->out (not JSON). */
sl_err sv_ep_metrics(sv_q *q);

#endif
