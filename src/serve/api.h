/* api.h: the JSON API of docs/api.md over the hot store.
 *
 * sv_api_handle answers one GET of /api/v1/... : it validates the query
 * parameters (params.h; a problem is a 400 before the store is touched),
 * reads the store's version (db.h; a missing or unreadable store is a 503
 * naming the file) and returns the cached answer of that version (cache.h:
 * possibly the previous version's while it is recomputed in the background)
 * or computes it on a pooled read-only connection inside one read
 * transaction (a consistent snapshot), with parameterized statements only.  Every answer
 * is a JSON body (errors: {"error": "..."}), bounded in size.
 */
#ifndef SV_API_H
#define SV_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/cache.h"
#include "serve/params.h"
#include "util/buf.h"
#include "util/err.h"

typedef struct sv_api sv_api;

typedef struct sv_api_opts {
    const char *hot_path;
    int conns;           /* pooled read-only connections (concurrent computations) */
    size_t cache_bytes;  /* response cache budget */
    double stale_max_s;  /* see cache.h (0: always wait for the current version) */
    int poll_ms;         /* check the store for changes every poll_ms (0: at every request) */
} sv_api_opts;

/* Largest body an endpoint may produce (a larger one is a 500 asking to
 * narrow the request); /table stops adding rows (truncated) before it. */
#define SV_MAX_BODY (64u << 20)
#define SV_TABLE_BODY_LIMIT (32u << 20)

sl_err sv_api_new(sv_api **out, const sv_api_opts *o, char *err, size_t errlen);
void sv_api_free(sv_api *a);

typedef struct sv_reply {
    int status;
    sv_body *body;       /* one reference for the caller; NULL only when out of memory */
    sv_cache_how how;
} sv_reply;

/* Answer path (starting with /api/) with the query parameters kv[0..n).
 * fresh: the answer reflects the store as of this call (no stale answer, no
 * published version: the store is checked now). */
void sv_api_handle(sv_api *a, const char *path, const sv_kv *kv, size_t n, bool fresh, sv_reply *r);
/* The store part of /metrics (Prometheus text of pipeline_health, cached by
 * store version) into r.  Errors as in sv_api_handle (JSON body, 503/500). */
void sv_api_metrics(sv_api *a, bool fresh, sv_reply *r);

/* GET /healthz: 200 {"ok":true} when the store can be read now, else 503
 * {"ok":false,"error":"..."} (never cached). */
void sv_api_healthz(sv_api *a, sv_reply *r);

void sv_api_cache_stats(sv_api *a, sv_cache_stats *s);
uint64_t sv_api_store_changes(sv_api *a);

/* The health row is older than this (s) while sluice_running is 1: the run
 * was killed ("stale"). */
#define SV_STALE_S 10
/* "running", "stopped" or "stale" of a body's run fields (cache.h) at now_us. */
const char *sv_run_state(int running, int64_t health_us, int64_t now_us);

/* A JSON error body {"error": msg}. */
sv_body *sv_error_body(int status, const char *msg);

#endif
