/* out_parquet.c: the Parquet cold store as an output (store/cold.h): every
 * final hour's tables and events as hour-partitioned Parquet files with
 * Redshift COPY manifests.  It keeps history, so it can give a published
 * hour's events back (read_events). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/source.h"
#include "parquet/reader.h"
#include "plugins/plugin.h"
#include "store/cold.h"

typedef struct parquet_opts {
    const char *dir;
    const char *url_prefix;
} parquet_opts;

static const sl_opt parquet_opts_table[] = {
    {.name = "dir", .type = SL_OPT_T_STRING, SL_OPT_F_(parquet_opts, dir), .flags = SL_OPT_REQUIRED, .arg = "DIR",
     .help = "the cold store directory: DIR/<table>/date=YYYY-MM-DD/hr=HH/part-00000.parquet"},
    {.name = "url_prefix", .type = SL_OPT_T_STRING, SL_OPT_F_(parquet_opts, url_prefix), .arg = "PREFIX",
     .help = "URL prefix in the COPY manifests (default file://DIR/)"},
    SL_OPT_END,
};

typedef struct pq_out {
    cs *c;
    const char *time;         /* the event-time column's name */
    _Atomic uint64_t visible; /* hours flushed into place (the output's thread writes it) */
} pq_out;

static sl_err po_check(const void *opts, char *err, size_t errlen) {
    const parquet_opts *o = opts;
    if (!o->dir || !*o->dir) return sl_err_set(err, errlen, SL_ERR_ARG, "dir: needs a directory");
    return SL_OK;
}

static void po_describe(const void *opts, out_desc *d) {
    d->caps = OUT_EVENTS | OUT_HISTORY;
    d->location = ((const parquet_opts *)opts)->dir;
}

static sl_err po_open(void **state, const void *opts, const out_env *env, char *err, size_t errlen) {
    const parquet_opts *o = opts;
    pq_out *p = calloc(1, sizeof *p);
    if (!p) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    p->time = env->schema->cols[env->schema->time].name;
    cs_opts co = cs_opts_default();
    co.url_prefix = o->url_prefix;
    co.group_sync = true; /* the pipeline's commit (once a second) flushes */
    co.leftovers = env->leftovers;
    co.owner = env->owner;
    sl_err e = cs_open(&p->c, o->dir, &co, env->schema, env->tables, err, errlen);
    if (e != SL_OK) {
        free(p);
        return e;
    }
    *state = p;
    return SL_OK;
}

static sl_err po_rows(void *st, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err,
                      size_t errlen) {
    return cs_write_rows(((pq_out *)st)->c, table, hour_us, final, rows, err, errlen);
}

static sl_err po_events(void *st, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                        size_t errlen) {
    return cs_write_events(((pq_out *)st)->c, hour_us, b, idx, n, err, errlen);
}

/* An hour this run covered in part: its events are published, its metric
 * files (other runs' complete hour, if any) stay. */
static sl_err po_partial(void *st, int64_t hour_us, char *err, size_t errlen) {
    pq_out *p = st;
    sl_err e = cs_publish_events(p->c, hour_us, err, errlen);
    atomic_store(&p->visible, cs_published_count(p->c)); /* a full group is flushed at once */
    return e;
}

/* Published in group-sync mode: the hour's files appear at the next commit
 * (or now, when the group is full). */
static sl_err po_final(void *st, int64_t hour_us, char *err, size_t errlen) {
    pq_out *p = st;
    sl_err e = cs_publish_hour(p->c, hour_us, err, errlen);
    atomic_store(&p->visible, cs_published_count(p->c));
    return e;
}

static sl_err po_commit(void *st, const char *const *names, const double *values, size_t n, bool end, char *err,
                        size_t errlen) {
    (void)names, (void)values, (void)n, (void)end;
    pq_out *p = st;
    sl_err e = cs_flush(p->c, err, errlen);
    atomic_store(&p->visible, cs_published_count(p->c));
    return e;
}

/* The events of a published hour with event time >= from_us. */
static sl_err po_read_events(void *st, int64_t hour_us, int64_t from_us, out_events_fn fn, void *ctx, char *err,
                             size_t errlen) {
    pq_out *p = st;
    char path[4096];
    if (!cs_events_path(p->c, hour_us, path, sizeof path) || access(path, F_OK) != 0) return SL_OK; /* no events */
    sl_source *src = NULL;
    pq_reader *rd = NULL;
    sl_batch b;
    sl_batch_init(&b);
    uint32_t *idx = NULL;
    size_t idxcap = 0;
    sl_err e = sl_source_open_file(&src, path, err, errlen);
    if (e == SL_OK) e = pq_reader_open(&rd, src, NULL, err, errlen);
    if (e == SL_OK) e = pq_reader_init_batch(rd, &b, err, errlen);
    while (e == SL_OK) {
        long n = pq_reader_next(rd, &b, 65536, err, errlen);
        if (n < 0) e = (sl_err)n;
        if (n <= 0) break;
        if ((size_t)n > idxcap) {
            uint32_t *ni = realloc(idx, (size_t)n * sizeof *ni);
            if (!ni) {
                e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                break;
            }
            idx = ni;
            idxcap = (size_t)n;
        }
        int tc = -1;
        for (size_t c = 0; c < b.ncols && tc < 0; c++)
            if (!strcmp(b.cols[c].name, p->time)) tc = (int)c;
        if (tc < 0) {
            e = sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: no %s column", path, p->time);
            break;
        }
        const int64_t *arr = b.cols[tc].data;
        size_t k = 0;
        for (size_t i = 0; i < (size_t)n; i++)
            if (arr[i] >= from_us) idx[k++] = (uint32_t)i;
        if (k) e = fn(ctx, hour_us, &b, idx, k, err, errlen);
    }
    free(idx);
    sl_batch_free(&b);
    pq_reader_close(rd);
    sl_source_close(src);
    return e;
}

static void po_health(void *st, hl_snap *s) {
    hl_put(s, HL_COLD_HOURS_PUBLISHED, NULL, (double)atomic_load(&((pq_out *)st)->visible));
}

static sl_err po_close(void *st, bool ok, char *err, size_t errlen) {
    pq_out *p = st;
    sl_err e = ok ? cs_flush(p->c, err, errlen) : SL_OK;
    if (e == SL_OK) atomic_store(&p->visible, cs_published_count(p->c));
    if (ok) cs_close(p->c); /* removes the temporary files of unpublished hours */
    else cs_abort(p->c);    /* and of published hours not yet in place */
    free(p);
    return e;
}

const out_plugin out_parquet = {
    .name = "parquet",
    .help = "the cold store: every final hour's tables and events as hour-partitioned Parquet with COPY manifests",
    .instance = "cold",
    .opts = parquet_opts_table,
    .opts_size = sizeof(parquet_opts),
    .check = po_check,
    .describe = po_describe,
    .open = po_open,
    .rows = po_rows,
    .events = po_events,
    .window_final = po_final,
    .window_partial = po_partial,
    .commit = po_commit,
    .read_events = po_read_events,
    .health = po_health,
    .close = po_close,
};

const pl_module pm_parquet_out = {.name = "parquet", .outputs = (const out_plugin *const[]){&out_parquet, NULL}};
