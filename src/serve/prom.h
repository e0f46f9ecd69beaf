/* prom.h: the /metrics page, Prometheus text exposition format 0.0.4.
 *
 * Every family's `# HELP` and `# TYPE` come from the health registry
 * (engine/health.h: hl_defs).  sv_prom_health turns pipeline_health rows
 * (store/hot_read.h; name = series name with optional labels, exactly as
 * stored) into families: rows are grouped by family name, each family gets
 * the HELP and TYPE of its registry entry (a family the registry does not
 * know: a generic HELP naming docs/pipeline.md, counter when the name ends in
 * `_total`, gauge otherwise), samples sorted by labels.  A NULL value prints
 * as NaN.  A row whose name is not a valid metric name with well-formed
 * labels, or whose family is one of the server's own (ids from HL_N on), is
 * left out and listed in a comment.  sv_prom_server appends the server's own
 * families.
 */
#ifndef SV_PROM_H
#define SV_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/health.h"
#include "store/hot_read.h"
#include "util/buf.h"

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
size_t sv_prom_health(sl_buf *out, const hr_health_row *rows, size_t n);
void sv_prom_server(sl_buf *out, const sv_prom_server_stats *s);
/* sluice_build_info{version="..",commit=".."} 1 */
void sv_prom_build_info(sl_buf *out);
/* One family with one unlabelled sample (a gauge of the registry). */
void sv_prom_gauge(sl_buf *out, hl_id id, double v);
/* A sample value as Prometheus text: shortest round-trip decimal, NaN, +Inf, -Inf. */
void sv_prom_value(sl_buf *out, double v);
/* Split "family{labels}" and check it: family matches [a-zA-Z_:][a-zA-Z0-9_:]*,
 * labels (optional) are name="value" pairs ([a-zA-Z_][a-zA-Z0-9_]*, values with
 * \\ \" \n escapes), comma-separated.  *flen = length of the family name. */
bool sv_prom_split(const char *name, size_t *flen);

#endif
