/* db.h: the server's read-only view of the hot store (SQLite, WAL).
 *
 * - A version: sv_db_version() returns a number that changes whenever the
 *   store changed: another connection committed (PRAGMA data_version on a
 *   dedicated watcher connection, polled every few milliseconds) or the file
 *   was replaced (different inode: the pooled connections are reopened).  The
 *   response cache keys its entries with it.
 * - A pool of at most max_conns read-only connections (SQLITE_OPEN_READONLY,
 *   query_only, busy_timeout), opened on demand and handed to one thread at
 *   a time: sv_db_acquire waits while all are busy.
 * Nothing is opened by sv_db_new: a missing file is reported by every call
 * (SL_ERR_NOTFOUND, the message names the file) until it appears, so the
 * server can start before `sluice run` creates the store.  Readers in WAL
 * mode never block the pipeline's writes.  Thread-safe.
 */
#ifndef SV_DB_H
#define SV_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/hot_read.h"
#include "util/err.h"

typedef struct sv_db sv_db;

sl_err sv_db_new(sv_db **out, const char *path, int max_conns, char *err, size_t errlen);
void sv_db_free(sv_db *d);
const char *sv_db_path(const sv_db *d);

/* The store's current version (see above).  Normally the version published
 * by the poller thread (sv_db_start_poller: at most poll_ms old) -- no SQLite
 * call on the request's path; fresh: check now.  Errors: SL_ERR_NOTFOUND (no
 * file), SL_ERR_IO (cannot open or read it), SL_ERR_CORRUPT (not a sluice hot
 * store, another layout version, or the tables of another schema than
 * Redset's). */
sl_err sv_db_version(sv_db *d, bool fresh, uint64_t *version, char *err, size_t errlen);
/* Check the store every poll_ms in a thread (stopped by sv_db_free). */
sl_err sv_db_start_poller(sv_db *d, int poll_ms, char *err, size_t errlen);
/* Versions seen so far (for /metrics). */
uint64_t sv_db_changes(sv_db *d);

/* A borrowed connection. */
typedef struct sv_conn {
    sqlite3 *db;
    hr_conn *rd;    /* the typed reads over db (statements kept per connection) */
    uint64_t epoch; /* the file identity it was opened for */
} sv_conn;

/* Borrow a read-only connection; give it back with sv_db_release (broken:
 * close it instead of pooling it, e.g. after an I/O error).  An open read
 * transaction is rolled back on release. */
sl_err sv_db_acquire(sv_db *d, sv_conn *out, char *err, size_t errlen);
void sv_db_release(sv_db *d, sv_conn *c, bool broken);

#endif
