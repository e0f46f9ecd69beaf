/* cold.h: the cold store, hour-partitioned Parquet history.
 *
 * For every finalized hour: one Parquet file of the cleaned events and one
 * per hourly table (the tables of schema/table.h), in a Hive-style layout
 *     DIR/<table>/date=YYYY-MM-DD/hr=HH/part-00000.parquet
 *     DIR/events/date=YYYY-MM-DD/hr=HH/part-00000.parquet
 * (hour as TIMESTAMP(MICROS, UTC); no `final` column: cold rows are final),
 * and a Redshift COPY manifest per hour per table
 *     DIR/_manifests/<table>/date=YYYY-MM-DD/hr=HH.manifest
 * ({"entries":[{"url":..., "mandatory":true, "meta":{"content_length":N}}]}),
 * written after its files.  Every file is written to a temporary name and
 * renamed, so readers never see a partial file; running the same input again
 * rewrites identical bytes (deterministic rows and writer), so there are no
 * duplicates, ever.  DuckDB reads it with hive_partitioning.
 */
#ifndef ST_COLD_H
#define ST_COLD_H

#include <stdint.h>

#include "batch/batch.h"
#include "schema/schema.h"
#include "schema/table.h"
#include "util/err.h"
#include "util/leftover.h"

typedef struct cs cs;

typedef struct cs_opts {
    const char *url_prefix;   /* manifest URLs: prefix + relative path (default "file://" + absolute DIR) */
    bool group_sync;          /* false (default): cs_publish_hour makes the hour durable and visible
                                 before it returns.  true: it finishes the hour's files under
                                 temporary names and queues it; cs_flush (or every 64 queued
                                 hours, or cs_close) syncs the whole group with a few file-system
                                 syncs instead of ~3 fsyncs per file, then renames it into place. */
    const char *owner;        /* the run's owner id (docs/compose.md): the events of an hour go to
                                 events/.../part-OWNER.parquet with manifest .../hr=HH-OWNER.manifest,
                                 so runs that share an hour keep each other's events (NULL:
                                 part-00000.parquet, one writer per hour) */
    sl_leftovers *leftovers;  /* cs_open removes the temporary files that dead runs left in DIR
                                 (util/leftover.h) and adds them here (may be NULL) */
} cs_opts;

cs_opts cs_opts_default(void);

/* tables: the pipeline's tables (hourly ones and the events get files;
 * quarantine tables are ignored); s and tables outlive the store. */
sl_err cs_open(cs **out, const char *dir, const cs_opts *o, const sc_schema *s, const tb_list *tables, char *err,
               size_t errlen);
/* Events of a still-open hour (streamed into that hour's temporary file). */
sl_err cs_write_events(cs *c, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen);
/* Final rows of an hourly table (an index into the tables) for an hour
 * (provisional and quarantine rows are ignored). */
sl_err cs_write_rows(cs *c, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen);
/* Publish the hour: close and rename its files, then write the manifests
 * (with group_sync: queue it for the next cs_flush). */
sl_err cs_publish_hour(cs *c, int64_t hour_us, char *err, size_t errlen);
/* Publish only the hour's events (an hour this run saw in part, docs/compose.md):
 * the metric tables' files of the hour are left as they are. */
sl_err cs_publish_events(cs *c, int64_t hour_us, char *err, size_t errlen);
/* Make every queued hour durable and visible: sync the temporary files, rename
 * the data files into place, sync, then the manifests.  No-op when none. */
sl_err cs_flush(cs *c, char *err, size_t errlen);
/* The path of hour_us's published events file (DIR/events/date=.../hr=HH/
 * part-00000.parquet) into out; false when it does not fit or the hour is
 * outside years 0000..9999.  The file exists once the hour is flushed and had
 * events. */
bool cs_events_path(const cs *c, int64_t hour_us, char *out, size_t n);
/* Hours published (visible) so far. */
uint64_t cs_published_count(const cs *c);
/* Flush queued hours (best effort: call cs_flush first to see errors), abort
 * unpublished hours (temporary files removed) and free. */
void cs_close(cs *c);
/* Close after a failure: hours published but not yet flushed are removed
 * (their temporary files), not put in place -- the hot store did not commit
 * them final either. */
void cs_abort(cs *c);

#endif
