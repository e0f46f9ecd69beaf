/* source.h: random-access byte source, the reader's only view of storage.
 *
 * A source is a small vtable (read_at, size, close) so a file read with
 * pread today and an HTTP range source later plug in the same way.
 * Ownership: the creator owns the source and calls sl_source_close() once.
 */
#ifndef SL_SOURCE_H
#define SL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct sl_source sl_source;

typedef struct sl_source_ops {
    /* Read exactly n bytes at off into buf; short read past the end is an error. */
    sl_err (*read_at)(sl_source *s, uint64_t off, void *buf, size_t n, char *err, size_t errlen);
    void (*close)(sl_source *s);
} sl_source_ops;

struct sl_source {
    const sl_source_ops *ops;
    uint64_t size;     /* total bytes */
    char *name;        /* for error messages (owned) */
    uint64_t bytes_read, reads; /* counters */
};

/* Open a local file for reading via pread. */
sl_err sl_source_open_file(sl_source **out, const char *path, char *err, size_t errlen);
/* Wrap a caller-owned memory buffer (must outlive the source); name is copied. */
sl_err sl_source_open_mem(sl_source **out, const void *data, size_t n, const char *name,
                          char *err, size_t errlen);
sl_err sl_source_read_at(sl_source *s, uint64_t off, void *buf, size_t n, char *err, size_t errlen);
void sl_source_close(sl_source *s);

#endif
