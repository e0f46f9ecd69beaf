/* serve.h: sluice's HTTP server (`sluice serve`, `sluice run --serve`).
 *
 * The JSON API of docs/api.md over the hot store, /metrics (Prometheus text
 * 0.0.4) and the embedded dashboard (assets.h), served by libmicrohttpd
 * with one thread per connection.  The store is read through a small pool
 * of read-only SQLite connections, so the pipeline writing the same file
 * (WAL mode) is never blocked; answers are cached per store version.  The
 * store file may not exist yet: the API answers 503 (naming the file) until
 * it does.
 *
 *   sv_opts o = sv_opts_default();
 *   o.hot_path = "sluice.db";
 *   sv_server *s;
 *   if (sv_start(&s, &o, err, sizeof err) != SL_OK) ...;   // listening on return
 *   printf("%s\n", sv_url(s));
 *   ...
 *   sv_stop(s);                                            // stops and frees
 *
 * SIGPIPE: libmicrohttpd suppresses it for its own sends (MSG_NOSIGNAL).
 */
#ifndef SV_SERVE_H
#define SV_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/opt.h"

typedef struct sv_server sv_server;

typedef struct sv_opts {
    const char *hot_path;  /* hot store (SQLite) file; required */
    const char *cold_dir;  /* cold store directory, may be NULL (reserved: not read yet) */
    const char *listen;    /* "ADDR:PORT" ("[v6]:PORT"), default "127.0.0.1:8080"; port 0 = ephemeral */
    bool allow_any;        /* allow a non-loopback listen address */
    int threads;           /* store connections = requests computing at once (1..64, default 4);
                              connections are served by one thread each, at most 512 at once */
    bool quiet;            /* no log lines on stderr */
    int64_t cache_mb;      /* response cache budget in MiB (1..4096, default 64; 0 = default) */
    bool enabled;          /* a pipeline file's `serve:` section: serve while the pipeline runs
                              (sluice run; ignored by sv_start) */
} sv_opts;

/* The options as flags of `sluice serve` (hot, cold, listen, listen_any,
 * threads, cache_mb, quiet) and as the keys of a pipeline file's `serve:`
 * section (enabled, listen, listen_any, threads, cache_mb: the hot store is
 * the pipeline's sqlite output): names, defaults, ranges and help in one
 * place (util/opt.h).  sv_opts_default() is this table's defaults. */
extern const sl_opt sv_opts_table[];
sv_opts sv_opts_default(void);

/* Check the listen address alone (its syntax; loopback unless allow_any), as
 * sv_start does: for a caller that must refuse it before creating anything. */
sl_err sv_check_listen(const sv_opts *o, char *err, size_t errlen);
/* Validate the options, bind the address and start serving; returns once
 * listening.  Errors (SL_ERR_ARG: bad option, non-loopback address without
 * allow_any; SL_ERR_IO: address in use, cannot bind) name the address. */
sl_err sv_start(sv_server **out, const sv_opts *o, char *err, size_t errlen);
/* The bound port (the ephemeral one when listen asked for port 0). */
int sv_port(const sv_server *s);
/* "http://127.0.0.1:PORT/" */
const char *sv_url(const sv_server *s);
/* Stop serving (waits for requests in progress) and free. NULL is a no-op. */
void sv_stop(sv_server *s);

#endif
