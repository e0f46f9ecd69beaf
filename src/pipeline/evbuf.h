/* evbuf.h: the write-behind buffer of recent events, for an output that
 * keeps only recent events (the hot store).
 *
 * Such an output keeps only the events of the last `retention` of event time
 * (the hot store's retention_hours).  When the pipeline runs far ahead of real
 * time (a backfill, `--speed max`), most events it accepts would be inserted
 * into SQLite and deleted again by the next retention prune.  The runner
 * therefore copies accepted events into this buffer and writes them to the
 * hot store later (eb_drain): rows that have fallen out of the retention by
 * then -- relative to the newest arrival seen -- are dropped without ever
 * being written, exactly what the prune would have deleted.  Nothing else is
 * dropped: every row still inside the retention is written at the next drain,
 * and the buffer is drained whenever it holds more than cap_bytes.
 * Ownership: the buffer owns copies of the rows it holds. */
#ifndef PL_EVBUF_H
#define PL_EVBUF_H

#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "schema/schema.h"
#include "util/err.h"

typedef struct eb eb;

typedef struct eb_stats {
    uint64_t added;      /* rows given to eb_add */
    uint64_t written;    /* rows handed to the writer */
    uint64_t expired;    /* rows dropped: out of the retention before they were written */
    uint64_t shed;       /* rows dropped by eb_shed (the caller has them elsewhere) */
    size_t rows, bytes;  /* held now (bytes: approximate) */
    size_t peak_bytes;
} eb_stats;

/* retention_us > 0; cap_bytes: drain when more is held (eb_over_cap). */
/* Events of schema s (its event time is "arrival" below). */
sl_err eb_open(eb **out, const sc_schema *s, int64_t retention_us, size_t cap_bytes, char *err, size_t errlen);
/* Copy rows idx[0..n) of canonical batch b (the schema's columns, source,
 * _input, _row; the event time must be non-NULL) into the buffer. */
sl_err eb_add(eb *x, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen);
bool eb_over_cap(const eb *x);
/* Drop the oldest chunks until at most target_bytes are held, for a caller
 * that can get those rows back elsewhere (sluice run: the cold store's
 * events files).  Returns the rows dropped; eb_shed_max_us then tells the
 * newest arrival ever shed (INT64_MIN: none). */
size_t eb_shed(eb *x, size_t target_bytes);
int64_t eb_shed_max_us(const eb *x);
/* newest arrival - retention: rows older than this are out (INT64_MIN: none seen). */
int64_t eb_cut_us(const eb *x);
/* Hand every held row still inside the retention (arrival >= newest -
 * retention) to write(ctx, batch, idx, n), in the order added, then empty the
 * buffer.  On a write error the buffer is emptied all the same (the caller
 * fails the pipeline) and the error is returned. */
typedef sl_err (*eb_write_fn)(void *ctx, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen);
sl_err eb_drain(eb *x, eb_write_fn write, void *ctx, char *err, size_t errlen);
eb_stats eb_get_stats(const eb *x);
void eb_close(eb *x);

#endif
