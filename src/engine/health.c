/* health.c: the health registry (see health.h).  The one list of metric
 * names; docs/pipeline.md's table is generated from it (sluice config
 * --health-md). */
#include "engine/health.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define C HL_COUNTER
#define G HL_GAUGE
#define H HL_HISTOGRAM

const hl_def hl_defs[HL_NALL] = {
    [HL_EVENTS_READ] = {HL_EVENTS_READ, "sluice_events_read_total", "Rows or messages read from the inputs.", C, NULL},
    [HL_EVENTS_ACCEPTED] = {HL_EVENTS_ACCEPTED, "sluice_events_accepted_total", "Events applied to a window.", C, NULL},
    [HL_EVENTS_REPAIRED] = {HL_EVENTS_REPAIRED, "sluice_events_repaired_total",
                            "Accepted events that needed at least one repair.", C, NULL},
    [HL_REPAIRS] = {HL_REPAIRS, "sluice_repairs_total", "Repairs by column.", C, "column"},
    [HL_BAD_ID_TOKENS] = {HL_BAD_ID_TOKENS, "sluice_bad_table_ids_total",
                          "Tokens of id-list columns (Redset: read_table_ids, write_table_ids) ignored as invalid.", C,
                          NULL},
    [HL_EVENTS_BAD] = {HL_EVENTS_BAD, "sluice_events_bad_total", "Bad rows quarantined, by reason.", C, "reason"},
    [HL_EVENTS_DUPLICATE] = {HL_EVENTS_DUPLICATE, "sluice_events_duplicate_total", "Duplicate events dropped.", C, NULL},
    [HL_EVENTS_LATE] = {HL_EVENTS_LATE, "sluice_events_late_total",
                        "Events that arrived after their window was final (late_events).", C, NULL},
    [HL_REPLAY_ROWS] = {HL_REPLAY_ROWS, "sluice_replay_rows_total", "Rows handed out by the replay.", C, NULL},
    [HL_REPLAY_POSITION] = {HL_REPLAY_POSITION, "sluice_replay_position_seconds",
                            "Event time the replay has reached, epoch seconds.", G, NULL},
    [HL_REPLAY_LAG] = {HL_REPLAY_LAG, "sluice_replay_lag_seconds",
                       "How far the replay is behind its wall-clock schedule.", G, NULL},
    [HL_REPLAY_MAX_LAG] = {HL_REPLAY_MAX_LAG, "sluice_replay_max_lag_seconds", "Largest replay lag so far.", G, NULL},
    [HL_WATERMARK] = {HL_WATERMARK, "sluice_watermark_seconds", "The watermark W, epoch seconds.", G, NULL},
    [HL_OPEN_WINDOWS] = {HL_OPEN_WINDOWS, "sluice_open_windows", "Hour windows not yet final.", G, NULL},
    [HL_WINDOWS_FINAL] = {HL_WINDOWS_FINAL, "sluice_windows_final_total", "Hour windows finalized.", C, NULL},
    [HL_BUS_DEPTH] = {HL_BUS_DEPTH, "sluice_bus_depth", "Batches on the bus.", G, NULL},
    [HL_BUS_MAX_DEPTH] = {HL_BUS_MAX_DEPTH, "sluice_bus_max_depth", "Largest bus depth so far.", G, NULL},
    [HL_BUS_PRODUCER_WAITS] = {HL_BUS_PRODUCER_WAITS, "sluice_bus_producer_waits_total",
                               "Times the replay waited for room on the bus (backpressure).", C, NULL},
    [HL_BUS_PRODUCER_WAIT_SECONDS] = {HL_BUS_PRODUCER_WAIT_SECONDS, "sluice_bus_producer_wait_seconds_total",
                                      "Time the replay waited for room on the bus.", C, NULL},
    [HL_SINK_WRITE_SECONDS] = {HL_SINK_WRITE_SECONDS, "sluice_sink_write_seconds_total",
                               "Time spent writing to an output (store).", C, "store"},
    [HL_SINK_WRITE_MAX_SECONDS] = {HL_SINK_WRITE_MAX_SECONDS, "sluice_sink_write_max_seconds",
                                   "Longest output write call since the previous health update.", G, "store"},
    [HL_SINK_ERRORS] = {HL_SINK_ERRORS, "sluice_sink_errors_total", "Output write errors.", C, "store"},
    [HL_SINK_QUEUE_BYTES] = {HL_SINK_QUEUE_BYTES, "sluice_sink_queue_bytes",
                             "Bytes queued for an output's writer thread.", G, "store"},
    [HL_SINK_QUEUE_WAIT_SECONDS] = {HL_SINK_QUEUE_WAIT_SECONDS, "sluice_sink_queue_wait_seconds_total",
                                    "Time the pipeline waited for room in an output's queue.", C, "store"},
    [HL_COLD_HOURS_PUBLISHED] = {HL_COLD_HOURS_PUBLISHED, "sluice_cold_hours_published_total",
                                 "Hours published to the cold store (files and manifests in place).", C, NULL},
    [HL_HOT_EVENTS_BUFFERED] = {HL_HOT_EVENTS_BUFFERED, "sluice_hot_events_buffered",
                                "Accepted events held back before their write to the hot store.", G, NULL},
    [HL_HOT_EVENTS_BUFFER_PEAK_BYTES] = {HL_HOT_EVENTS_BUFFER_PEAK_BYTES, "sluice_hot_events_buffer_peak_bytes",
                                         "Largest size of the hot store's event write-behind buffer.", G, NULL},
    [HL_HOT_EVENTS_WRITTEN] = {HL_HOT_EVENTS_WRITTEN, "sluice_hot_events_written_total",
                               "Accepted events written to the hot store's events table.", C, NULL},
    [HL_HOT_EVENTS_EXPIRED] = {HL_HOT_EVENTS_EXPIRED, "sluice_hot_events_expired_total",
                               "Accepted events never written to the hot store (older than its retention).", C, NULL},
    [HL_HOT_EVENTS_SHED] = {HL_HOT_EVENTS_SHED, "sluice_hot_events_shed_total",
                            "Events dropped from a full write-behind buffer (the cold store has them).", C, NULL},
    [HL_HOT_EVENTS_RELOADED] = {HL_HOT_EVENTS_RELOADED, "sluice_hot_events_reloaded_total",
                                "Shed events still inside the retention, read back from the cold store at the end.", C,
                                NULL},
    [HL_EVENTS_PER_SECOND] = {HL_EVENTS_PER_SECOND, "sluice_events_per_second",
                              "Throughput since the previous health update.", G, NULL},
    [HL_UPTIME] = {HL_UPTIME, "sluice_uptime_seconds", "Seconds since the pipeline started.", G, NULL},
    [HL_RUNNING] = {HL_RUNNING, "sluice_running", "1 while the pipeline runs, 0 after it ended.", G, NULL},
    /* sluice serve */
    [HL_HTTP_REQUESTS] = {HL_HTTP_REQUESTS, "sluice_http_requests_total",
                          "HTTP requests answered by sluice serve, by status code.", C, "code"},
    [HL_HTTP_REQUEST_SECONDS] = {HL_HTTP_REQUEST_SECONDS, "sluice_http_request_seconds_total",
                                 "Time spent answering HTTP requests.", C, NULL},
    [HL_HTTP_REQUEST_DURATION] = {HL_HTTP_REQUEST_DURATION, "sluice_http_request_duration_seconds",
                                  "HTTP request handling time.", H, NULL},
    [HL_HTTP_CACHE_REQUESTS] = {HL_HTTP_CACHE_REQUESTS, "sluice_http_cache_requests_total",
                                "API answers by response cache outcome: hit (current store version), miss (computed for "
                                "this request), stale (a previous version's answer, recomputed in the background), wait "
                                "(waited for a computation in progress).",
                                C, "outcome"},
    [HL_HTTP_CACHE_REFRESHES] = {HL_HTTP_CACHE_REFRESHES, "sluice_http_cache_refreshes_total",
                                 "Answers recomputed in the background after the store changed (stale-while-revalidate).",
                                 C, NULL},
    [HL_HTTP_CACHE_ENTRIES] = {HL_HTTP_CACHE_ENTRIES, "sluice_http_cache_entries", "Responses held in the response cache.",
                               G, NULL},
    [HL_HTTP_CACHE_BYTES] = {HL_HTTP_CACHE_BYTES, "sluice_http_cache_bytes",
                             "Bytes of the responses held in the response cache.", G, NULL},
    [HL_HTTP_STORE_CHANGES] = {HL_HTTP_STORE_CHANGES, "sluice_http_store_changes_total",
                               "Hot store versions seen by the server (commits by the pipeline, the file replaced).", C,
                               NULL},
    [HL_HTTP_STORE_UP] = {HL_HTTP_STORE_UP, "sluice_http_store_up",
                          "1 when the hot store could be read for this scrape, else 0.", G, NULL},
    [HL_HEALTH_UPDATED] = {HL_HEALTH_UPDATED, "sluice_health_updated_timestamp_seconds",
                           "When pipeline_health was last written (max updated_at), epoch seconds.", G, NULL},
};

const char *hl_type_name(hl_type t) { return t == HL_COUNTER ? "counter" : t == HL_HISTOGRAM ? "histogram" : "gauge"; }

const hl_def *hl_find(const char *family, size_t len) {
    for (int i = 0; i < HL_NALL; i++)
        if (strlen(hl_defs[i].name) == len && !memcmp(hl_defs[i].name, family, len)) return &hl_defs[i];
    return NULL;
}

void hl_snap_init(hl_snap *s) {
    memset(s, 0, sizeof *s);
    sl_buf_init(&s->name);
}

void hl_snap_free(hl_snap *s) {
    free(s->v);
    sl_buf_free(&s->name);
    memset(s, 0, sizeof *s);
}

void hl_snap_clear(hl_snap *s) { s->n = 0; }

void hl_put(hl_snap *s, hl_id id, const char *label, double value) {
    if ((unsigned)id >= HL_N) return;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        hl_value *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv) {
            s->oom = true;
            return;
        }
        s->v = nv;
        s->cap = nc;
    }
    hl_value *v = &s->v[s->n++];
    v->id = id;
    v->value = value;
    size_t l = label ? strlen(label) : 0;
    if (l >= sizeof v->label) l = sizeof v->label - 1;
    if (l) memcpy(v->label, label, l);
    v->label[l] = 0;
}

void hl_name(sl_buf *out, hl_id id, const char *label) {
    const hl_def *d = &hl_defs[id];
    sl_buf_puts(out, d->name);
    if (!d->label) return;
    if (!label) label = "";
    sl_buf_printf(out, "{%s=\"", d->label);
    for (const char *p = label; *p; p++) {
        if (*p == '\\' || *p == '"') sl_buf_putc(out, '\\');
        if (*p == '\n') {
            sl_buf_puts(out, "\\n");
            continue;
        }
        sl_buf_putc(out, *p);
    }
    sl_buf_puts(out, "\"}");
}

const char *hl_series_name(hl_snap *s, size_t i) {
    s->name.len = 0;
    hl_name(&s->name, s->v[i].id, s->v[i].label);
    return sl_buf_cstr(&s->name);
}

double hl_get(const hl_snap *s, hl_id id, const char *label) {
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].id == id && !strcmp(s->v[i].label, label ? label : "")) return s->v[i].value;
    return NAN;
}
