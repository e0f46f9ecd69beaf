/* cache.h: the API's response cache.
 *
 * Entries are keyed by the request (path and canonical query) and tagged
 * with the hot store version they were computed at (sv_db_version: it
 * changes with every commit of the pipeline).  A request at version V gets
 * an entry of version >= V ("hit"); otherwise it computes the body itself
 * ("miss") while concurrent requests for the same key wait for that one
 * computation ("wait", single flight) -- or, when the entry of an older
 * version was stored at most stale_max_s seconds ago, take that one at once
 * ("stale": stale-while-revalidate, so a commit of the pipeline does not
 * make every concurrent request wait for the recomputation).  Only bodies with status
 * 200 are kept.  Memory is bounded (least recently used entries go first).
 * Bodies are immutable and reference-counted, so a body handed out stays
 * valid while the entry is replaced or evicted.  Thread-safe.
 */
#ifndef SV_CACHE_H
#define SV_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sv_body {
    int refs;     /* atomic */
    int status;   /* HTTP status */
    size_t len;
    char data[];  /* len bytes (+ NUL) */
} sv_body;

/* A body of status with a copy of p[0..len); NULL when out of memory. */
sv_body *sv_body_new(int status, const void *p, size_t len);
sv_body *sv_body_ref(sv_body *b);
void sv_body_unref(sv_body *b);

typedef enum sv_cache_how { SV_CACHE_NONE, SV_CACHE_HIT, SV_CACHE_MISS, SV_CACHE_WAIT, SV_CACHE_STALE } sv_cache_how;
const char *sv_cache_how_name(sv_cache_how h);

/* Computes the body of a request (any status; NULL = out of memory). */
typedef sv_body *(*sv_compute_fn)(void *ctx);

typedef struct sv_cache sv_cache;

/* stale_max_s <= 0: never serve an older version (every request waits). */
sv_cache *sv_cache_new(size_t max_bytes, double stale_max_s);
void sv_cache_free(sv_cache *c);

/* The body for key at store version `version` (one reference for the
 * caller), computed with fn(ctx) when needed; NULL when out of memory. */
sv_body *sv_cache_get(sv_cache *c, const char *key, size_t klen, uint64_t version, sv_compute_fn fn, void *ctx,
                      sv_cache_how *how);

typedef struct sv_cache_stats {
    uint64_t entries, bytes;
    uint64_t hits, misses, waits, stale;
} sv_cache_stats;
void sv_cache_get_stats(sv_cache *c, sv_cache_stats *s);

#endif
