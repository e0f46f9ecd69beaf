/* health.h: the health registry.  Every counter and gauge the pipeline
 * exposes is one row of one table (hl_defs): its id, Prometheus name, HELP
 * text, type and label.  The pipeline fills a snapshot by id once a second;
 * the hot store keeps the snapshot as `pipeline_health` rows (name with
 * labels, value); `sluice serve` renders /metrics with the HELP and TYPE of
 * this table and reads the API's numbers by id.  The server's own families
 * (sluice_http_*, ids from HL_N on) are in the same table.  No metric name
 * is written anywhere else (docs/pipeline.md lists the pipeline's from this
 * table).
 *
 *   hl_snap s; hl_snap_init(&s);
 *   hl_put(&s, HL_EVENTS_READ, NULL, 1234);
 *   hl_put(&s, HL_EVENTS_BAD, "malformed", 3);        // sluice_events_bad_total{reason="malformed"}
 *   for (size_t i = 0; i < s.n; i++) write(hl_series_name(&s, i), s.v[i].value);
 *   hl_snap_free(&s);
 *
 * Thread-safety: the table is constant; a snapshot belongs to one thread.
 */
#ifndef EN_HEALTH_H
#define EN_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef enum hl_id {
    HL_EVENTS_READ = 0,
    HL_EVENTS_ACCEPTED,
    HL_EVENTS_REPAIRED,
    HL_REPAIRS,               /* {column} */
    HL_BAD_ID_TOKENS,
    HL_EVENTS_BAD,            /* {reason} */
    HL_EVENTS_DUPLICATE,
    HL_EVENTS_LATE,
    HL_REPLAY_ROWS,
    HL_REPLAY_POSITION,
    HL_REPLAY_LAG,
    HL_REPLAY_MAX_LAG,
    HL_WATERMARK,
    HL_OPEN_WINDOWS,
    HL_WINDOWS_FINAL,
    HL_BUS_DEPTH,
    HL_BUS_MAX_DEPTH,
    HL_BUS_PRODUCER_WAITS,
    HL_BUS_PRODUCER_WAIT_SECONDS,
    HL_SINK_WRITE_SECONDS,    /* {store} */
    HL_SINK_WRITE_MAX_SECONDS,/* {store} */
    HL_SINK_ERRORS,           /* {store} */
    HL_SINK_QUEUE_BYTES,      /* {store} */
    HL_SINK_QUEUE_WAIT_SECONDS, /* {store} */
    HL_COLD_HOURS_PUBLISHED,
    HL_HOT_EVENTS_BUFFERED,
    HL_HOT_EVENTS_BUFFER_PEAK_BYTES,
    HL_HOT_EVENTS_WRITTEN,
    HL_HOT_EVENTS_EXPIRED,
    HL_HOT_EVENTS_SHED,
    HL_HOT_EVENTS_RELOADED,
    HL_EVENTS_PER_SECOND,
    HL_UPTIME,
    HL_RUNNING,
    HL_N, /* the pipeline's families (pipeline_health rows) end here */
    /* sluice serve's own families (/metrics); never in a snapshot */
    HL_HTTP_REQUESTS = HL_N,  /* {code} */
    HL_HTTP_REQUEST_SECONDS,
    HL_HTTP_REQUEST_DURATION, /* histogram: _bucket{le}, _sum, _count */
    HL_HTTP_CACHE_REQUESTS,   /* {outcome} */
    HL_HTTP_CACHE_REFRESHES,
    HL_HTTP_CACHE_ENTRIES,
    HL_HTTP_CACHE_BYTES,
    HL_HTTP_STORE_CHANGES,
    HL_HTTP_STORE_UP,
    HL_HEALTH_UPDATED,        /* max updated_at of pipeline_health */
    HL_NALL
} hl_id;

typedef enum hl_type { HL_COUNTER = 1, HL_GAUGE, HL_HISTOGRAM } hl_type;

typedef struct hl_def {
    hl_id id;
    const char *name;   /* Prometheus family name */
    const char *help;   /* the HELP line */
    hl_type type;
    const char *label;  /* the one label's name, or NULL */
} hl_def;

/* hl_defs[id] for every id. */
extern const hl_def hl_defs[HL_NALL];
/* The definition of a family name (exact, length len), or NULL. */
const hl_def *hl_find(const char *family, size_t len);
/* "counter", "gauge", "histogram" (Prometheus TYPE). */
const char *hl_type_name(hl_type t);
/* Append the series name of family id with label value `label` (NULL: "";
 * ignored for a family without a label): "family" or
 * "family{label=\"value\"}" with the value escaped. */
void hl_name(sl_buf *out, hl_id id, const char *label);

/* One value of a snapshot. */
typedef struct hl_value {
    hl_id id;
    char label[64];  /* the label's value ("" when the family has no label) */
    double value;
} hl_value;

typedef struct hl_snap {
    hl_value *v;
    size_t n, cap;
    bool oom;        /* sticky: an hl_put could not grow */
    sl_buf name;     /* scratch of hl_series_name */
} hl_snap;

void hl_snap_init(hl_snap *s);
void hl_snap_free(hl_snap *s);
void hl_snap_clear(hl_snap *s);
/* Append a value (label: the label's value, NULL for a family without one);
 * a pipeline family only (id < HL_N). */
void hl_put(hl_snap *s, hl_id id, const char *label, double value);
/* "family" or "family{label=\"value\"}" (escaped) of value i; valid until the next call. */
const char *hl_series_name(hl_snap *s, size_t i);
/* The value of (id, label) in s, or NaN when absent. */
double hl_get(const hl_snap *s, hl_id id, const char *label);

#endif
