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
    d->caps = OUT_PROVISIONAL | OUT_QUARANTINE | OUT_HEALTH | (o->retention_hours > 0 ? OUT_EVENTS : 0);
    d->events_retention_us = (int64_t)o->retention_hours * SL_US_PER_HOUR;
    d->events_buffer_bytes = o->events_buffer;
    d->location = o->path;
}

static sl_err sq_open(void **state, const void *opts, const out_env *env, char *err, size_t errlen) {
    const sqlite_opts *o = opts;
    hs_opts ho = hs_opts_default();
    if (o->retention_hours > 0) ho.retention_hours = o->retention_hours;
    else ho.keep_events = false;
    return hs_open((hs **)state, o->path, &ho, env->schema, env->tables, err, errlen);
}

static sl_err sq_rows(void *st, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err,
                      size_t errlen) {
    return hs_write_rows(st, table, hour_us, final, rows, err, errlen);
}

static sl_err sq_events(void *st, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                        size_t errlen) {
    (void)hour_us;
    return hs_write_events(st, b, idx, n, err, errlen);
}

/* Committed with the next health write: readers see the hour final then. */
static sl_err sq_final(void *st, int64_t hour_us, char *err, size_t errlen) {
    return hs_window_final(st, hour_us, err, errlen);
}

static sl_err sq_commit(void *st, const char *const *names, const double *values, size_t n, bool end, char *err,
                        size_t errlen) {
    (void)end;
    sl_err e = hs_write_health(st, names, values, n, err, errlen);
    return e != SL_OK ? e : hs_commit(st, err, errlen);
}

static sl_err sq_close(void *st, bool ok, char *err, size_t errlen) {
    (void)ok; /* what was committed stays; the last commit records the final counters */
    return hs_close(st, err, errlen);
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
    .commit = sq_commit,
    .close = sq_close,
};

const pl_module pm_sqlite_out = {.name = "sqlite", .outputs = (const out_plugin *const[]){&out_sqlite, NULL}};
