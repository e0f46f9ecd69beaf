/* plugin.h: the plugin kinds and the registry.
 *
 * sluice is an engine plus plugins, as Fluent Bit is: every input format,
 * transform and output is a struct of a name, a declarative option table
 * (util/opt.h: the same table parses the pipeline file and the flags, and
 * writes --help and the docs) and callbacks.  The engine keeps a list of
 * instances and never knows a plugin by name.
 *
 *   input      in_plugin    (replay/input.h)     a file format read as canonical event batches
 *   schema     sc_def       (schema/schema.h)    the columns and cleaning rules of an event stream
 *   transform  tr_plugin    (engine/transform.h) per-window state -> hourly tables
 *   output     out_plugin   (below)              where tables and events go
 *
 * A plugin file defines its plugins and one pl_module naming them; the
 * registry (registry.c) is a list of modules, one line each.  Adding an
 * input, transform, schema or output is one new file plus one registry
 * line; nothing else changes.
 */
#ifndef PG_PLUGIN_H
#define PG_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "engine/engine.h"
#include "engine/health.h"
#include "engine/transform.h"
#include "replay/input.h"
#include "schema/schema.h"
#include "schema/table.h"
#include "util/err.h"
#include "util/leftover.h"
#include "util/opt.h"

/* ------------------------------------------------------------------ outputs */

/* What an output wants from the pipeline (out_desc.caps). */
enum {
    OUT_PROVISIONAL = 1u << 0, /* provisional rows of open windows (else final rows only) */
    OUT_QUARANTINE = 1u << 1,  /* bad_rows and late_events */
    OUT_EVENTS = 1u << 2,      /* the accepted events */
    OUT_HEALTH = 1u << 3,      /* the health snapshot at every commit (pipeline_health) */
    OUT_HISTORY = 1u << 4,     /* keeps every published hour's events and can read them back (read_events) */
    OUT_LEDGER = 1u << 5       /* keeps the runs' contributions so that runs compose (docs/compose.md) */
};

typedef struct out_desc {
    unsigned caps;
    int64_t events_retention_us; /* > 0: keeps only the events of this much recent event time; the pipeline
                                    then holds events back in a write-behind buffer and never writes those that
                                    fall out of the retention first (a backfill); 0: keeps all */
    size_t events_buffer_bytes;  /* the write-behind buffer's size when events_retention_us > 0 */
    const char *location;        /* path or URL, for messages and the run summary */
} out_desc;

/* One input of the run: the rows it yields carry `_input` = its index in
 * out_env.inputs. */
typedef struct out_input {
    const char *path;   /* absolute when the file exists (as in owner_desc), else as given */
    const char *source; /* its source label (given or derived from the path) */
    const char *format; /* the input format's name; NULL when it cannot be told (the replay then fails) */
} out_input;

/* What the pipeline tells an output when it opens it (valid until the
 * output is closed). */
typedef struct out_env {
    const char *name;           /* the instance's name ("hot", "cold"): messages, health labels */
    const sc_schema *schema;
    const tb_list *tables;      /* every table of the pipeline: rows() names one by its index */
    size_t events_table;        /* index of the events table (its columns: the schema's, source, _input, _row) */
    sl_leftovers *leftovers;    /* open() adds what it removed of dead runs' temporary files (util/leftover.h) */
    const char *owner;          /* this run's owner id (docs/compose.md): names its contributions and files */
    const char *owner_desc;     /* what the owner is, in words (inputs, sources, time range) */
    int64_t owner_from_us, owner_to_us; /* the owner's event-time range (INT64_MIN / INT64_MAX: open) */
    const out_input *inputs;    /* the run's inputs by their _input number (NULL: not known) */
    size_t ninputs;
} out_env;

/* A callback for read_events: rows idx[0..n) of canonical batch b. */
typedef sl_err (*out_events_fn)(void *ctx, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                                size_t errlen);

typedef struct out_plugin {
    const char *name;      /* "sqlite": chosen by `type:` in a pipeline file */
    const char *help;
    const char *instance;  /* default instance name ("hot") */
    const sl_opt *opts;
    size_t opts_size;
    /* Cross-option checks (may be NULL). */
    sl_err (*check)(const void *opts, char *err, size_t errlen);
    /* What it wants, from its options. */
    void (*describe)(const void *opts, out_desc *d);
    /* Open (create directories, schema, ...): errors before any input is read.
     * Every callback below except health runs on the output's own thread. */
    sl_err (*open)(void **state, const void *opts, const out_env *env, char *err, size_t errlen);
    /* Rows of table `table` (an index into env->tables) for window hour_us
     * (hourly tables), or quarantined rows (hour_us = INT64_MIN). */
    sl_err (*rows)(void *st, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen);
    /* Accepted events of window hour_us: rows idx[0..n) of canonical batch b. */
    sl_err (*events)(void *st, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                     size_t errlen);
    /* Window hour_us is final: its final rows and events were delivered. */
    sl_err (*window_final)(void *st, int64_t hour_us, char *err, size_t errlen);
    /* The pipeline's timer (about once a second) and the end (end = true):
     * make what was written visible; OUT_HEALTH: store the health series
     * names[i] = values[i] first. */
    sl_err (*commit)(void *st, const char *const *names, const double *values, size_t n, bool end, char *err,
                     size_t errlen);
    /* Drop what was written since the last commit (may be NULL): called
     * before a commit when the history output failed to put the hours of
     * this interval in place, so that no hour shows final without its files;
     * the commit that follows then records only the health. */
    void (*discard)(void *st);
    /* OUT_HISTORY: the events of published hour hour_us with event time >=
     * from_us, to fn (nothing when the hour has none). */
    sl_err (*read_events)(void *st, int64_t hour_us, int64_t from_us, out_events_fn fn, void *ctx, char *err,
                          size_t errlen);
    /* Window hour_us is done for this run but only part of its hour was
     * covered (engine.h): its rows came provisional and stay so; publish what
     * is this run's own (its events).  May be NULL. */
    sl_err (*window_partial)(void *st, int64_t hour_us, char *err, size_t errlen);
    /* OUT_LEDGER: this run's contribution to window hour_us (engine.h), in
     * the same transaction as the hour's final rows that follow it. */
    sl_err (*contribution)(void *st, int64_t hour_us, const void *p, size_t len, char *err, size_t errlen);
    /* OUT_LEDGER: the committed contributions of other owners to hour_us, to
     * fn.  Called from the pipeline's processor thread while the output
     * works on its own: use a connection of its own. */
    sl_err (*ledger_load)(void *st, int64_t hour_us, en_contrib_fn fn, void *ctx, char *err, size_t errlen);
    /* OUT_LEDGER (processor thread, as ledger_load): the event-time ranges
     * of the other owners whose last run finished; the hours in [lo, hi)
     * with other owners' contributions and none of this one's (en_ledger). */
    sl_err (*ledger_coverage)(void *st, en_span_fn fn, void *ctx, char *err, size_t errlen);
    sl_err (*ledger_hours)(void *st, int64_t lo_us, int64_t hi_us, en_hour_fn fn, void *ctx, char *err, size_t errlen);
    /* OUT_LEDGER: store the run's checkpoint (engine.h en_checkpoint) in the
     * transaction of the next commit; len 0: the run finished -- delete it
     * and record the owner's range (out_env) as covered. */
    sl_err (*checkpoint)(void *st, const void *p, size_t len, uint64_t rows, char *err, size_t errlen);
    /* OUT_LEDGER: this owner's committed checkpoint to fn, if there is one
     * (the pipeline's thread, at open). */
    sl_err (*checkpoint_load)(void *st, en_contrib_fn fn, void *ctx, char *err, size_t errlen);
    /* Its own health series (may be NULL).  Called from the pipeline's thread
     * while the output works: read only what is safe to read (atomics). */
    void (*health)(void *st, hl_snap *s);
    /* Flush and free.  ok = false: the run failed; leave published data as it
     * is and remove unpublished work. */
    sl_err (*close)(void *st, bool ok, char *err, size_t errlen);
} out_plugin;

/* ------------------------------------------------------------------ modules and the registry */

typedef struct pl_module {
    const char *name;
    const sc_def *const *schemas;        /* NULL-terminated, may be NULL */
    const tr_plugin *const *transforms;
    const in_plugin *const *inputs;
    const out_plugin *const *outputs;
    /* `sluice config --example NAME`: a commented pipeline file (NULL: none) */
    const char *example_name;
    const char *example;
} pl_module;

/* Every registered module (NULL-terminated). */
const pl_module *const *reg_modules(void);
/* Lookups by name (NULL when unknown). */
const sc_def *reg_schema(const char *name);
const tr_plugin *reg_transform(const char *name);
const in_plugin *reg_input(const char *name);
const out_plugin *reg_output(const char *name);
/* Every registered input format (NULL-terminated), for detection. */
const in_plugin *const *reg_inputs(void);
/* The example pipeline file called name (NULL when none). */
const char *reg_example(const char *name);
/* "a, b or c": the registered names of a kind ("schema", "transform",
 * "input", "output"), for messages. */
void reg_names(const char *kind, sl_buf *out);

#endif
