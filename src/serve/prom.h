/* prom.h: the /metrics page, Prometheus text exposition format 0.0.4.
 *
 * sv_prom_health turns pipeline_health rows (name = metric name with
 * optional labels, exactly as stored, e.g.
 * `sluice_events_bad_total{reason="malformed"}`) into families: rows are
 * grouped by metric name, each family gets one `# HELP` (a description for
 * the names docs/pipeline.md lists, a generic one otherwise) and one
 * `# TYPE` (counter for names ending in `_total`, gauge otherwise), samples
 * sorted by labels.  A NULL value prints as NaN.  A row whose name is not a
 * valid metric name with well-formed labels, or that would clash with the
 * server's own sluice_http_* families, is left out and listed in a comment.
 * sv_prom_server appends the server's own metrics.
 */
#ifndef SV_PROM_H
#define SV_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct sv_health_row {
    const char *name;
    double value;
    bool null;
} sv_health_row;

/* Request latency histogram buckets (seconds, upper bounds; +Inf implied). */
#define SV_PROM_NBUCKETS 12
extern const double sv_prom_buckets[SV_PROM_NBUCKETS];

/* A snapshot of the server's counters. */
typedef struct sv_prom_server_stats {
    int ncodes;
    int codes[16];                 /* HTTP status codes seen */
    uint64_t code_count[16];       /* requests answered with codes[i] */
    double seconds_total;          /* sum of request handling time */
    uint64_t bucket[SV_PROM_NBUCKETS]; /* requests with duration <= sv_prom_buckets[i] (cumulative) */
    uint64_t count;                /* all requests */
    uint64_t cache_hits, cache_misses, cache_stale, cache_waits;
    uint64_t cache_refreshes;      /* background recomputations */
    uint64_t cache_entries, cache_bytes;
    uint64_t store_changes;        /* versions of the hot store seen */
} sv_prom_server_stats;

/* Append the families of rows[0..n) to out.  Returns the number of rows left
 * out (invalid names). */
size_t sv_prom_health(sl_buf *out, const sv_health_row *rows, size_t n);
void sv_prom_server(sl_buf *out, const sv_prom_server_stats *s);
/* One gauge family with one unlabelled sample. */
void sv_prom_gauge(sl_buf *out, const char *name, const char *help, double v);
/* A sample value as Prometheus text: shortest round-trip decimal, NaN, +Inf, -Inf. */
void sv_prom_value(sl_buf *out, double v);
/* Split "family{labels}" and check it: family matches [a-zA-Z_:][a-zA-Z0-9_:]*,
 * labels (optional) are name="value" pairs ([a-zA-Z_][a-zA-Z0-9_]*, values with
 * \\ \" \n escapes), comma-separated.  *flen = length of the family name. */
bool sv_prom_split(const char *name, size_t *flen);

#endif
