/* transform.h: the transform plugin interface.  A transform keeps state per
 * hour window, is given the accepted, deduplicated events of a window, and
 * emits the rows of its tables when the engine asks (provisional once a
 * second, final when the watermark passes the window).  The engine owns the
 * windows, the watermark, cleaning and dedupe; a transform only computes.
 *
 *   static const tr_plugin tr_mine = {
 *       .name = "mine", .help = "...", .opts = mine_opts_table, .opts_size = sizeof(mine_opts),
 *       .tables = mine_tables,                  // its output tables (tb_def), NULL-terminated
 *       .init = mine_init, .window_new = mine_wnew, .window_free = mine_wfree,
 *       .apply = mine_apply, .emit = mine_emit, .close = mine_close};
 *
 * Calls come from the engine's thread only.  Batches and index arrays are
 * valid during the call.  A transform's window state is created by the
 * engine through window_new (also for a later window that apply asks for
 * with en_rows_window: a long query's busy time) and freed after its final
 * emission.  Errors: return an sl_err and fill err (the engine prefixes the
 * transform's name).
 */
#ifndef EN_TRANSFORM_H
#define EN_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "engine/clean.h"
#include "schema/schema.h"
#include "schema/table.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"

/* What the engine shares with its transforms for a run. */
typedef struct en_env en_env;
const sc_schema *en_env_schema(const en_env *env);
/* Sources are interned per run: a dense id per label. */
const char *en_env_source(const en_env *env, uint32_t id, uint32_t *len);
/* Rank of a source among all sources seen so far, by the bytes of its label
 * (stable during one emit call; use for sorting keys). */
uint32_t en_env_source_rank(en_env *env, uint32_t id);
/* The id of a source label (interned when new; UINT32_MAX: out of memory):
 * for loading saved state, which names sources by label. */
uint32_t en_env_intern(en_env *env, const char *label, uint32_t len);

/* The batch being applied. */
typedef struct en_rows en_rows;
/* Interned source id of each row of the batch (valid for the rows given to apply). */
const uint32_t *en_rows_source(const en_rows *r);
/* The parsed id sets of the k-th ID_LIST column of the schema (sc_schema.idlist_cols[k]). */
const cl_idsets *en_rows_idset(const en_rows *r, size_t k);
/* This transform's state for another window (created, for every transform,
 * when absent and create is set); NULL when absent, already final, or out of
 * memory (create).  For contributions of an event to later windows. */
void *en_rows_window(en_rows *r, int64_t hour_us, bool create);

/* Emission of a window's rows, table by table. */
typedef struct en_emit en_emit;
/* Start the transform's k-th table with n rows: *b is reset, has room for n
 * rows and a validity bitmap on every nullable column (so en_set_null
 * cannot fail).  Fill every row, then en_emit_send. */
sl_err en_emit_begin(en_emit *em, size_t k, size_t n, sl_batch **b, char *err, size_t errlen);
/* Deliver the table's rows (sorted by the table's key) to the sink. */
sl_err en_emit_send(en_emit *em, size_t k, char *err, size_t errlen);
/* Row helpers for emitted batches: a string copied into the batch arena, a NULL. */
sl_err en_set_str(sl_batch *b, size_t col, size_t row, const char *s, size_t len, char *err, size_t errlen);
void en_set_null(sl_batch *b, size_t col, size_t row);

typedef struct tr_plugin {
    const char *name;
    const char *help;
    const sl_opt *opts;          /* option table (may be NULL: no options) */
    size_t opts_size;            /* size of the options struct */
    const tb_def *const *tables; /* hourly output tables, NULL-terminated */
    /* Cross-option checks after every option is set (may be NULL). */
    sl_err (*check)(const void *opts, char *err, size_t errlen);
    /* Check the schema has the columns it needs (by name, with their types);
     * allocate its state.  opts stays the caller's and outlives the state. */
    sl_err (*init)(void **state, const void *opts, en_env *env, char *err, size_t errlen);
    void *(*window_new)(void *state, int64_t hour_us); /* NULL: out of memory */
    void (*window_free)(void *state, void *w);
    /* Accepted, deduplicated events of window w: rows idx[0..n) of the
     * canonical batch b, in processing order. */
    sl_err (*apply)(void *state, void *w, int64_t hour_us, en_rows *rows, const sl_batch *b, const uint32_t *idx,
                    size_t n, char *err, size_t errlen);
    /* Every table's rows for window w (the engine knows if they are final). */
    sl_err (*emit)(void *state, void *w, int64_t hour_us, en_emit *em, char *err, size_t errlen);
    /* Contributions (docs/compose.md): append window w's state to out in a
     * form window_load can merge into a window of the same hour in another
     * run (sources by label, not by id).  Both NULL: the transform's results
     * do not compose (a run replaces them). */
    sl_err (*window_save)(void *state, const void *w, sl_buf *out, char *err, size_t errlen);
    /* Merge saved state (window_save's bytes) into window w: w becomes the
     * state of both sets of events.  A malformed blob is SL_ERR_CORRUPT. */
    sl_err (*window_load)(void *state, void *w, const void *p, size_t len, char *err, size_t errlen);
    void (*close)(void *state);
} tr_plugin;

/* A transform in a pipeline: the plugin and its options (struct of
 * p->opts_size bytes, filled through p->opts). */
typedef struct en_transform {
    const tr_plugin *p;
    const void *opts;
} en_transform;

#endif
