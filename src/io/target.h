/* target.h: a write-side byte target, the mirror of sl_source: what the
 * Parquet writer (and every file a store writes) writes into.  A target is
 * written front to back, then published atomically under its name, or
 * aborted: a reader never sees a partial object.  A local file today (a
 * temporary sibling renamed into place), an S3 object next (a multipart
 * upload completed on commit) -- SQLite's VFS idea on the write side.
 *
 *   sl_target *t;
 *   if (sl_target_open_file(&t, "dir/part.parquet", err, sizeof err)) fail(err);
 *   sl_target_write(t, bytes, n, err, sizeof err);       // ... as often as needed
 *   if (sl_target_finish(t, true, err, sizeof err) ||     // all bytes durable, not yet visible
 *       sl_target_commit(t, true, err, sizeof err))       // visible under its name
 *       sl_target_abort(t);                               // removes what was written, frees
 *   else
 *       sl_target_close(t);                               // frees
 *
 * States: open -> (finish) -> finished -> (commit) -> committed.  write
 * only when open; commit needs finished; abort in any state but committed;
 * close after commit (or abort).  Errors name the target.  One thread uses a
 * target.  Ownership: the creator owns it until sl_target_close or
 * sl_target_abort (each frees it).
 */
#ifndef SL_TARGET_H
#define SL_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct sl_target sl_target;

typedef struct sl_target_ops {
    /* Append n bytes. */
    sl_err (*write)(sl_target *t, const void *p, size_t n, char *err, size_t errlen);
    /* Every byte written; durable when sync (fsync), still invisible. */
    sl_err (*finish)(sl_target *t, bool sync, char *err, size_t errlen);
    /* Publish under the final name, atomically (replacing an older object);
     * sync: the publication itself is durable (the directory fsynced). */
    sl_err (*commit)(sl_target *t, bool sync, char *err, size_t errlen);
    /* Remove what was written (nothing is published). */
    void (*abort)(sl_target *t);
    /* Release the target's memory. */
    void (*free)(sl_target *t);
} sl_target_ops;

enum { SL_TARGET_OPEN = 0, SL_TARGET_FINISHED, SL_TARGET_COMMITTED, SL_TARGET_FAILED };

struct sl_target {
    const sl_target_ops *ops;
    char *name;              /* the final name (owned): messages */
    uint64_t bytes_written;
    int state;
};

/* A local file: bytes go to a temporary sibling ".NAME.tmp-PID-N" created
 * exclusively; commit renames it onto path. */
sl_err sl_target_open_file(sl_target **out, const char *path, char *err, size_t errlen);
/* The temporary file of a file target (NULL for other targets): for a
 * caller that syncs many finished files at once (syncfs). */
const char *sl_target_file_tmp(const sl_target *t);

/* A memory target (tests): after commit, sl_target_mem_data gives the bytes. */
sl_err sl_target_open_mem(sl_target **out, const char *name, char *err, size_t errlen);
const void *sl_target_mem_data(const sl_target *t, size_t *n);
/* Fault injection for tests: the write that would pass byte `at` fails
 * (SL_ERR_IO "injected"); commit fails when fail_commit is set. */
void sl_target_mem_fail(sl_target *t, uint64_t at, bool fail_commit);

sl_err sl_target_write(sl_target *t, const void *p, size_t n, char *err, size_t errlen);
sl_err sl_target_finish(sl_target *t, bool sync, char *err, size_t errlen);
sl_err sl_target_commit(sl_target *t, bool sync, char *err, size_t errlen);
void sl_target_abort(sl_target *t);
void sl_target_close(sl_target *t);

#endif
