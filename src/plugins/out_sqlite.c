/* out_sqlite.c: the SQLite hot store as an output (store/hot.h): every table
 * with provisional rows refreshed once a second, the quarantine tables, the
 * recent events, and the health snapshot; what the dashboard reads. */
#include <stdlib.h>
#include <string.h>

#include "plugins/plugin.h"
#include "store/hot.h"
#include "util/time.h"

typedef struct sqlite_opts {
    const char *path;
    int retention_hours;
    size_t events_buffer;
} sqlite_opts;

static const sl_opt sqlite_opts_table[] = {
    {.name = "path", .type = SL_OPT_T_STRING, SL_OPT_F_(sqlite_opts, path), .def = "sluice.db", .arg = "FILE",
     .help = "the SQLite file (FILE-wal and FILE-shm beside it)"},
    {.name = "retention_hours", .type = SL_OPT_T_INT, SL_OPT_F_(sqlite_opts, retention_hours), .def = "24", .min = 0,
     .max = 2147483647.0,
     .help = "recent events kept, in event-time hours (0 = keep none: the events table stays empty, the cold store "
             "has them)"},
    {.name = "events_buffer", .type = SL_OPT_T_SIZE, SL_OPT_F_(sqlite_opts, events_buffer), .def = "256M", .min = 4096,
     .max = 9.2e18, .help = "write-behind buffer of recent events (docs/pipeline.md)"},
    SL_OPT_END,
};

static void sq_describe(const void *opts, out_desc *d) {
    const sqlite_opts *o = opts;
    d->caps = OUT_PROVISIONAL | OUT_QUARANTINE | OUT_HEALTH | OUT_LEDGER | (o->retention_hours > 0 ? OUT_EVENTS : 0);
    d->events_retention_us = (int64_t)o->retention_hours * SL_US_PER_HOUR;
    d->events_buffer_bytes = o->events_buffer;
    d->location = o->path;
}

/* The store's writer (output thread) and its ledger reader (processor thread). */
typedef struct sq {
    hs *h;
    hs_ledger *ledger;
} sq;

static sl_err sq_open(void **state, const void *opts, const out_env *env, char *err, size_t errlen) {
    const sqlite_opts *o = opts;
    hs_opts ho = hs_opts_default();
    if (o->retention_hours > 0) ho.retention_hours = o->retention_hours;
    else ho.keep_events = false;
    sq *q = calloc(1, sizeof *q);
    if (!q) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sl_err e = hs_open(&q->h, o->path, &ho, env->schema, env->tables, err, errlen);
    if (e == SL_OK && env->owner) {
        e = hs_set_owner(q->h, env->owner, env->owner_desc ? env->owner_desc : env->owner, env->owner_from_us,
                         env->owner_to_us, err, errlen);
        if (e == SL_OK && env->inputs && env->ninputs) { /* what _input means in this run's quarantine rows */
            hs_input *v = calloc(env->ninputs, sizeof *v);
            if (!v) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            for (size_t i = 0; e == SL_OK && i < env->ninputs; i++)
                v[i] = (hs_input){env->inputs[i].path, env->inputs[i].source, env->inputs[i].format};
            if (e == SL_OK) e = hs_write_inputs(q->h, v, env->ninputs, err, errlen);
            free(v);
        }
        if (e == SL_OK) e = hs_commit(q->h, err, errlen);
        if (e == SL_OK) e = hs_ledger_open(&q->ledger, o->path, env->owner, err, errlen);
    }
    if (e != SL_OK) {
        char ignore[64];
        hs_close(q->h, ignore, sizeof ignore);
        free(q);
        return e;
    }
    *state = q;
    return SL_OK;
}

static sl_err sq_rows(void *st, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err,
                      size_t errlen) {
    return hs_write_rows(((sq *)st)->h, table, hour_us, final, rows, err, errlen);
}

static sl_err sq_events(void *st, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                        size_t errlen) {
    (void)hour_us;
    return hs_write_events(((sq *)st)->h, b, idx, n, err, errlen);
}

/* Committed with the next health write: readers see the hour final then. */
static sl_err sq_final(void *st, int64_t hour_us, char *err, size_t errlen) {
    return hs_window_final(((sq *)st)->h, hour_us, err, errlen);
}

static sl_err sq_contribution(void *st, int64_t hour_us, const void *p, size_t len, char *err, size_t errlen) {
    return hs_write_contribution(((sq *)st)->h, hour_us, p, len, err, errlen);
}

static sl_err sq_ledger_coverage(void *st, en_span_fn fn, void *ctx, char *err, size_t errlen) {
    sq *q = st;
    return q->ledger ? hs_ledger_coverage(q->ledger, fn, ctx, err, errlen) : SL_OK;
}

static sl_err sq_ledger_hours(void *st, int64_t lo_us, int64_t hi_us, en_hour_fn fn, void *ctx, char *err,
                              size_t errlen) {
    sq *q = st;
    return q->ledger ? hs_ledger_hours(q->ledger, lo_us, hi_us, fn, ctx, err, errlen) : SL_OK;
}

static sl_err sq_ledger_load(void *st, int64_t hour_us, en_contrib_fn fn, void *ctx, char *err, size_t errlen) {
    sq *q = st;
    return q->ledger ? hs_ledger_load(q->ledger, hour_us, fn, ctx, err, errlen) : SL_OK;
}

static sl_err sq_checkpoint(void *st, const void *p, size_t len, uint64_t rows, char *err, size_t errlen) {
    return hs_write_checkpoint(((sq *)st)->h, p, len, rows, err, errlen);
}

static sl_err sq_checkpoint_load(void *st, en_contrib_fn fn, void *ctx, char *err, size_t errlen) {
    sq *q = st;
    return q->ledger ? hs_ledger_checkpoint(q->ledger, fn, ctx, err, errlen) : SL_OK;
}

static sl_err sq_commit(void *st, const char *const *names, const double *values, size_t n, bool end, char *err,
                        size_t errlen) {
    (void)end;
    hs *h = ((sq *)st)->h;
    sl_err e = hs_write_health(h, names, values, n, err, errlen);
    return e != SL_OK ? e : hs_commit(h, err, errlen);
}

static void sq_discard(void *st) { hs_rollback(((sq *)st)->h); }

static sl_err sq_close(void *st, bool ok, char *err, size_t errlen) {
    (void)ok; /* what was committed stays; the last commit records the final counters */
    sq *q = st;
    hs_ledger_close(q->ledger);
    sl_err e = hs_close(q->h, err, errlen);
    free(q);
    return e;
}

const out_plugin out_sqlite = {
    .name = "sqlite",
    .help = "the hot store: SQLite with every table (provisional rows refreshed every second), recent events and "
            "the pipeline's health",
    .instance = "hot",
    .opts = sqlite_opts_table,
    .opts_size = sizeof(sqlite_opts),
    .describe = sq_describe,
    .open = sq_open,
    .rows = sq_rows,
    .events = sq_events,
    .window_final = sq_final,
    .contribution = sq_contribution,
    .ledger_load = sq_ledger_load,
    .ledger_coverage = sq_ledger_coverage,
    .ledger_hours = sq_ledger_hours,
    .checkpoint = sq_checkpoint,
    .checkpoint_load = sq_checkpoint_load,
    .commit = sq_commit,
    .discard = sq_discard,
    .close = sq_close,
};

const pl_module pm_sqlite_out = {.name = "sqlite", .outputs = (const out_plugin *const[]){&out_sqlite, NULL}};
