/* cache.h: the API's response cache.
 *
 * Entries are keyed by the request (endpoint and canonical parameters) and
 * tagged with the hot store version they were computed at (sv_db_version:
 * it changes with every commit of the pipeline).  A request at version V:
 *  - "hit": the entry's version is >= V;
 *  - "stale": (allowed unless the request asks for a fresh answer) the entry
 *    is older but was stored at most stale_max_s seconds ago: it is returned
 *    at once and the entry is recomputed in the background by one of the
 *    cache's worker threads (stale-while-revalidate: a commit never makes a
 *    request wait for a recomputation, and one recomputation per key serves
 *    everyone);
 *  - "wait": the entry is being computed at version >= V (or has no usable
 *    answer while being computed): wait for that computation (single flight);
 *  - "miss": compute it in the calling thread.
 * Only bodies with status 200 are kept.  Memory is bounded (least recently
 * used entries go first; entries being computed stay).  Bodies are
 * immutable and reference-counted, so a body handed out stays valid while
 * the entry is replaced or evicted.  Thread-safe.
 */
#ifndef SV_CACHE_H
#define SV_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sv_body {
    int refs;     /* atomic */
    int status;   /* HTTP status */
    bool csv;     /* text/csv (format=csv), else JSON */
    char name[48]; /* csv: the download's file name without ".csv" */
    /* /api/v1/status and /metrics: what the per-request part needs (the
     * state depends on the wall clock, not only on the store) */
    bool has_run;  /* the fields below are set */
    int running;   /* sluice_running: 1, 0, or -1 absent */
    double eps;    /* sluice_events_per_second (NaN absent) */
    int64_t health_us; /* newest updated_at of pipeline_health, INT64_MIN none */
    size_t len;
    char data[];  /* len bytes (+ NUL) */
} sv_body;

/* A body of status with a copy of p[0..len); NULL when out of memory. */
sv_body *sv_body_new(int status, const void *p, size_t len);
sv_body *sv_body_ref(sv_body *b);
void sv_body_unref(sv_body *b);

typedef enum sv_cache_how { SV_CACHE_NONE, SV_CACHE_HIT, SV_CACHE_MISS, SV_CACHE_WAIT, SV_CACHE_STALE } sv_cache_how;
const char *sv_cache_how_name(sv_cache_how h);

/* How answers are computed: compute(ctx) returns the body of a request (any
 * status; NULL = out of memory).  A background recomputation gets a copy of
 * the request's context made by clone (NULL = out of memory) and released by
 * release after compute. */
typedef struct sv_cache_fns {
    sv_body *(*compute)(void *ctx);
    void *(*clone)(const void *ctx);
    void (*release)(void *ctx);
} sv_cache_fns;

typedef struct sv_cache sv_cache;

/* workers: background recomputation threads (0: stale answers are never
 * served, every recomputation happens in a request). */
sv_cache *sv_cache_new(size_t max_bytes, double stale_max_s, int workers, const sv_cache_fns *fns);
/* Stops the workers (waiting for computations in progress) and frees. */
void sv_cache_free(sv_cache *c);

/* The body for key at store version `version` (one reference for the
 * caller); NULL when out of memory.  fresh: no stale answer. */
sv_body *sv_cache_get(sv_cache *c, const char *key, size_t klen, uint64_t version, bool fresh, void *ctx,
                      sv_cache_how *how);

typedef struct sv_cache_stats {
    uint64_t entries, bytes;
    uint64_t hits, misses, waits, stale, refreshes;
} sv_cache_stats;
void sv_cache_get_stats(sv_cache *c, sv_cache_stats *s);

#endif
