#include "serve/prom.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve/json.h"

const double sv_prom_buckets[SV_PROM_NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1,    2.5};

/* Descriptions of the pipeline_health families (docs/pipeline.md). */
static const struct {
    const char *name, *help;
} k_help[] = {
    {"sluice_events_read_total", "Rows or messages read from the inputs."},
    {"sluice_events_accepted_total", "Events applied to a window."},
    {"sluice_events_repaired_total", "Accepted events that needed at least one repair."},
    {"sluice_repairs_total", "Repairs by column."},
    {"sluice_bad_table_ids_total", "Table-id tokens ignored as invalid."},
    {"sluice_events_bad_total", "Bad rows quarantined, by reason."},
    {"sluice_events_duplicate_total", "Duplicate events dropped."},
    {"sluice_events_late_total", "Events that arrived after their window was final (late_events)."},
    {"sluice_replay_rows_total", "Rows handed out by the replay."},
    {"sluice_replay_position_seconds", "Event time the replay has reached, epoch seconds."},
    {"sluice_replay_lag_seconds", "How far the replay is behind its wall-clock schedule."},
    {"sluice_replay_max_lag_seconds", "Largest replay lag so far."},
    {"sluice_watermark_seconds", "The watermark W, epoch seconds."},
    {"sluice_open_windows", "Hour windows not yet final."},
    {"sluice_windows_final_total", "Hour windows finalized."},
    {"sluice_bus_depth", "Batches on the bus."},
    {"sluice_bus_max_depth", "Largest bus depth so far."},
    {"sluice_bus_producer_waits_total", "Times the replay waited for room on the bus (backpressure)."},
    {"sluice_bus_producer_wait_seconds_total", "Time the replay waited for room on the bus."},
    {"sluice_sink_write_seconds_total", "Time spent writing to a store."},
    {"sluice_sink_write_max_seconds", "Longest store write call since the previous health update."},
    {"sluice_sink_errors_total", "Store write errors."},
    {"sluice_sink_queue_bytes", "Bytes queued for a store's writer thread."},
    {"sluice_sink_queue_wait_seconds_total", "Time the pipeline waited for room in a store's queue."},
    {"sluice_hot_events_buffered", "Accepted events held back before their write to the hot store."},
    {"sluice_hot_events_written_total", "Accepted events written to the hot store's events table."},
    {"sluice_hot_events_expired_total", "Accepted events never written to the hot store (older than its retention)."},
    {"sluice_cold_hours_published_total", "Hours published to the cold store."},
    {"sluice_events_per_second", "Throughput since the previous health update."},
    {"sluice_uptime_seconds", "Seconds since the pipeline started."},
    {"sluice_running", "1 while the pipeline runs, 0 after it ended."},
};

static bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

bool sv_prom_split(const char *s, size_t *flen) {
    size_t i = 0;
    if (!name_start(s[0]) && s[0] != ':') return false;
    while (name_char(s[i]) || s[i] == ':') i++;
    *flen = i;
    if (s[i] == '\0') return true;
    if (s[i] != '{') return false;
    i++;
    if (s[i] == '}') return s[i + 1] == '\0';
    for (;;) {
        if (!name_start(s[i])) return false;
        while (name_char(s[i])) i++;
        if (s[i++] != '=' || s[i++] != '"') return false;
        for (;;) {
            char c = s[i];
            if (c == '\0' || c == '\n') return false;
            if (c == '"') break;
            if (c == '\\') {
                char e = s[i + 1];
                if (e != '\\' && e != '"' && e != 'n') return false;
                i += 2;
                continue;
            }
            i++;
        }
        i++; /* closing quote */
        if (s[i] == ',') {
            i++;
            continue;
        }
        if (s[i] == '}') return s[i + 1] == '\0';
        return false;
    }
}

void sv_prom_value(sl_buf *out, double v) {
    if (isnan(v)) sl_buf_puts(out, "NaN");
    else if (isinf(v)) sl_buf_puts(out, v > 0 ? "+Inf" : "-Inf");
    else {
        char t[32];
        sl_buf_put(out, t, sv_fmt_double(t, v));
    }
}

static void help_text(sl_buf *out, const char *family, size_t flen) {
    for (size_t i = 0; i < sizeof k_help / sizeof *k_help; i++)
        if (strlen(k_help[i].name) == flen && !memcmp(k_help[i].name, family, flen)) {
            sl_buf_puts(out, k_help[i].help);
            return;
        }
    sl_buf_puts(out, "pipeline_health value ");
    sl_buf_put(out, family, flen);
    sl_buf_puts(out, " (docs/pipeline.md).");
}

static bool ends_with_total(const char *s, size_t n) { return n >= 6 && !memcmp(s + n - 6, "_total", 6); }

typedef struct item {
    const sv_health_row *r;
    size_t flen;
} item;

static int cmp_item(const void *a, const void *b) {
    const item *x = a, *y = b;
    size_t n = x->flen < y->flen ? x->flen : y->flen;
    int c = memcmp(x->r->name, y->r->name, n);
    if (c) return c;
    if (x->flen != y->flen) return x->flen < y->flen ? -1 : 1;
    return strcmp(x->r->name + x->flen, y->r->name + y->flen);
}

/* A comment line with the name made safe (no newlines). */
static void skip_comment(sl_buf *out, const char *name) {
    sl_buf_puts(out, "# skipped pipeline_health row, not a valid metric name: ");
    for (size_t i = 0; name[i] && i < 200; i++) sl_buf_putc(out, name[i] == '\n' || name[i] == '\r' ? ' ' : name[i]);
    sl_buf_putc(out, '\n');
}

size_t sv_prom_health(sl_buf *out, const sv_health_row *rows, size_t n) {
    size_t skipped = 0, m = 0;
    item *it = malloc((n ? n : 1) * sizeof *it);
    if (!it) {
        out->oom = true;
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        size_t fl;
        if (!rows[i].name || !sv_prom_split(rows[i].name, &fl) || !strncmp(rows[i].name, "sluice_http_", 12)) {
            skip_comment(out, rows[i].name ? rows[i].name : "(null)");
            skipped++;
            continue;
        }
        it[m].r = &rows[i];
        it[m].flen = fl;
        m++;
    }
    qsort(it, m, sizeof *it, cmp_item);
    for (size_t i = 0; i < m; i++) {
        const char *nm = it[i].r->name;
        size_t fl = it[i].flen;
        bool first = i == 0 || it[i - 1].flen != fl || memcmp(it[i - 1].r->name, nm, fl) != 0;
        if (first) {
            sl_buf_puts(out, "# HELP ");
            sl_buf_put(out, nm, fl);
            sl_buf_putc(out, ' ');
            help_text(out, nm, fl);
            sl_buf_puts(out, "\n# TYPE ");
            sl_buf_put(out, nm, fl);
            sl_buf_puts(out, ends_with_total(nm, fl) ? " counter\n" : " gauge\n");
        } else if (!strcmp(it[i - 1].r->name, nm)) {
            continue; /* the same name twice (cannot happen with a primary key) */
        }
        sl_buf_puts(out, nm);
        sl_buf_putc(out, ' ');
        sv_prom_value(out, it[i].r->null ? NAN : it[i].r->value);
        sl_buf_putc(out, '\n');
    }
    free(it);
    return skipped;
}

static void family(sl_buf *out, const char *name, const char *type, const char *help) {
    sl_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void sv_prom_server(sl_buf *out, const sv_prom_server_stats *s) {
    family(out, "sluice_http_requests_total", "counter", "HTTP requests answered by sluice serve, by status code.");
    for (int i = 0; i < s->ncodes; i++)
        sl_buf_printf(out, "sluice_http_requests_total{code=\"%d\"} %" PRIu64 "\n", s->codes[i], s->code_count[i]);
    family(out, "sluice_http_request_seconds_total", "counter", "Time spent answering HTTP requests.");
    sl_buf_puts(out, "sluice_http_request_seconds_total ");
    sv_prom_value(out, s->seconds_total);
    sl_buf_putc(out, '\n');
    family(out, "sluice_http_request_duration_seconds", "histogram", "HTTP request handling time.");
    for (int i = 0; i < SV_PROM_NBUCKETS; i++) {
        sl_buf_puts(out, "sluice_http_request_duration_seconds_bucket{le=\"");
        sv_prom_value(out, sv_prom_buckets[i]);
        sl_buf_printf(out, "\"} %" PRIu64 "\n", s->bucket[i]);
    }
    sl_buf_printf(out, "sluice_http_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", s->count);
    sl_buf_puts(out, "sluice_http_request_duration_seconds_sum ");
    sv_prom_value(out, s->seconds_total);
    sl_buf_printf(out, "\nsluice_http_request_duration_seconds_count %" PRIu64 "\n", s->count);
    family(out, "sluice_http_cache_requests_total", "counter",
           "API answers by response cache outcome: hit (current store version), miss (computed for this request), "
           "stale (a previous version's answer, recomputed in the background), wait (waited for a computation "
           "in progress).");
    sl_buf_printf(out, "sluice_http_cache_requests_total{outcome=\"hit\"} %" PRIu64 "\n", s->cache_hits);
    sl_buf_printf(out, "sluice_http_cache_requests_total{outcome=\"miss\"} %" PRIu64 "\n", s->cache_misses);
    sl_buf_printf(out, "sluice_http_cache_requests_total{outcome=\"stale\"} %" PRIu64 "\n", s->cache_stale);
    sl_buf_printf(out, "sluice_http_cache_requests_total{outcome=\"wait\"} %" PRIu64 "\n", s->cache_waits);
    family(out, "sluice_http_cache_refreshes_total", "counter",
           "Answers recomputed in the background after the store changed (stale-while-revalidate).");
    sl_buf_printf(out, "sluice_http_cache_refreshes_total %" PRIu64 "\n", s->cache_refreshes);
    family(out, "sluice_http_cache_entries", "gauge", "Responses held in the response cache.");
    sl_buf_printf(out, "sluice_http_cache_entries %" PRIu64 "\n", s->cache_entries);
    family(out, "sluice_http_cache_bytes", "gauge", "Bytes of the responses held in the response cache.");
    sl_buf_printf(out, "sluice_http_cache_bytes %" PRIu64 "\n", s->cache_bytes);
    family(out, "sluice_http_store_changes_total", "counter",
           "Hot store versions seen by the server (commits by the pipeline, the file replaced).");
    sl_buf_printf(out, "sluice_http_store_changes_total %" PRIu64 "\n", s->store_changes);
}

void sv_prom_gauge(sl_buf *out, const char *name, const char *help, double v) {
    family(out, name, "gauge", help);
    sl_buf_puts(out, name);
    sl_buf_putc(out, ' ');
    sv_prom_value(out, v);
    sl_buf_putc(out, '\n');
}
