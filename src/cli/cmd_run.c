/* sluice run: the pipeline.  Replay (inputs -> event-time order -> pacing) on
 * one thread, the embedded bus between the threads, and the processor
 * (cleaning, hour windows, watermark, metric tables) on the other, writing
 * into the hot store (SQLite) and, optionally, the cold store (Parquet).
 * See docs/pipeline.md. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "batch/format.h"
#include "cli/cli.h"
#include "cli/inputs.h"
#include "replay/event.h"
#include "replay/replay.h"
#include "store/cold.h"
#include "io/source.h"
#include "parquet/reader.h"
#include "store/evbuf.h"
#include "sink/async.h"
#include "store/hot.h"
#include "serve/serve.h"
#include "stream/bus.h"
#include "stream/proc.h"
#include "util/buf.h"
#include "util/time.h"

#define BUS_CAPACITY 8

static int usage(FILE *f) {
    fputs("usage: sluice run INPUT... [options]\n"
          "  Run the pipeline: replay the events of INPUT files (Parquet, CSV, JSON Lines; globs allowed)\n"
          "  in event-time order, paced on the wall clock; clean them, assign them to UTC hour windows\n"
          "  with a watermark, compute the metric tables (docs/metrics.md) and write them into the hot\n"
          "  store (SQLite, provisional rows refreshed every second, final rows when a window closes)\n"
          "  and the cold store (hour-partitioned Parquet, one publish per final hour).  docs/pipeline.md\n"
          "\n"
          "inputs and replay:\n"
          "  INPUT                 a file or a glob ('data/*.parquet')\n"
          "  --source LABEL        source label of the INPUT that follows (default: from the file name)\n"
          "  --input-format F      parquet, csv or jsonl for every input (default: by extension)\n"
          "  --speed N|max         N event seconds per wall second (default 60); max = no pacing\n"
          "  --from TIME, --to TIME  event time range [from, to), e.g. 2024-03-01 or 2024-03-01T05:00:00Z\n"
          "  --memory SIZE         replay ordering memory budget (default 1G)\n"
          "  --tmpdir DIR          where the replay's external sort spills (default $TMPDIR or /tmp)\n"
          "  --force-sort          always sort externally (tests, benchmarks)\n"
          "\n"
          "stores:\n"
          "  --hot FILE            hot store, SQLite (default sluice.db; FILE-wal and FILE-shm beside it)\n"
          "  --cold DIR            cold store directory (default: none)\n"
          "  --cold-url PREFIX     URL prefix in the cold store's COPY manifests (default file://DIR/)\n"
          "  --serve               also serve the dashboard and JSON API (docs/api.md) on 127.0.0.1:8080\n"
          "                        while the pipeline runs; after the run it keeps serving until Ctrl-C\n"
          "  --listen ADDR:PORT    address for --serve (implies it; port 0 = any free port)\n"
          "  --listen-any          allow a non-loopback --listen address\n"
          "  --hot-events-buffer SIZE  the hot store's write-behind buffer of recent events (default 256M;\n"
          "                        docs/pipeline.md)\n"
          "  --retention-hours N   recent events kept in the hot store, event-time hours (default 24;\n"
          "                        0 = keep none: the events table stays empty, the cold store has them)\n"
          "\n"
          "processing (docs/metrics.md):\n"
          "  --lateness DUR        allowed lateness of the watermark (default 10m; e.g. 0, 90s, 1h30m)\n"
          "  --duration-cap DUR    durations above are clamped (default 7d)\n"
          "  --k N                 top_tables_hourly ranks (default 10)\n"
          "  --slots N             utilization slots (default 5)\n"
          "  --weights q,s,p,c     composite weights (default 1,1,1,1; >= 0, positive sum)\n"
          "  --threshold X         oversubscribed when composite >= X (default 0.5)\n"
          "\n"
          "output:\n"
          "  --json                print the summary as JSON on stdout\n"
          "  --summary FILE        write the summary as JSON to FILE ('-' = stdout)\n"
          "  --quiet               no progress or summary line on stderr\n"
          "\n"
          "Durations: a number with a unit (us, ms, s, m, h, d), units may be combined (1h30m); a bare\n"
          "number is seconds.  Ctrl-C / SIGTERM stop the replay, process what is already on the bus,\n"
          "commit, and exit 130 / 143: windows still open stay provisional (final = 0) and are not\n"
          "published to the cold store.  A second Ctrl-C exits at once (the hot store keeps its last\n"
          "commit).  Exit status: 0 ok, 1 bad option, 2 I/O or runtime error.\n",
          f);
    return f == stderr ? 1 : 0;
}

/* ------------------------------------------------------------------ signals */

static volatile sig_atomic_t g_signal;
static rp_replay *volatile g_replay;

static void on_signal(int sig) {
    rp_order_cleanup_all(); /* unlink/rmdir only */
    if (g_signal) _exit(128 + sig);
    g_signal = sig;
    if (g_replay) rp_replay_stop(g_replay);
}

/* ------------------------------------------------------------------ option values */

static int parse_int(const char *v, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    if (!v || !*v) return -1;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static int parse_double(const char *v, double *out) {
    char *end;
    errno = 0;
    if (!v || !*v) return -1;
    double x = strtod(v, &end);
    if (errno || *end || !isfinite(x)) return -1;
    *out = x;
    return 0;
}

/* ------------------------------------------------------------------ the combined sink */

typedef struct fan {
    hs *hot;
    cs *cold;
    eb *evb;            /* write-behind buffer of the hot store's events (NULL: events not kept) */
    bool backfill;      /* --speed max: drain evb only when full and at the end */
    uint64_t published; /* hours published to the cold store */
    uint64_t reloaded;  /* events read back from the cold store at the end (reload_shed) */
    as_async *hot_as;   /* the hot store runs on its own thread behind this queue */
    pr_sink hot_q;      /* as_sink(hot_as) */
    as_async *cold_as;  /* the cold store runs on its own thread behind this queue */
    pr_sink cold_q;     /* as_sink(cold_as) */
    _Atomic uint64_t cold_visible; /* hours flushed into place (written by the cold thread) */
    double cold_busy_s;            /* the cold thread's time in the store, at the end */
    double hot_busy_s;             /* the hot thread's */
} fan;

#define COLD_QUEUE_BYTES ((size_t)64 << 20) /* rows copied for the cold thread, at most */
#define HOT_QUEUE_BYTES ((size_t)64 << 20)  /* ... and for the hot thread */

/* The hot store's operations, run on its thread (as_async). */
static sl_err hot_rows(void *ctx, st_table t, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen) {
    return hs_write_rows(ctx, t, hour_us, final, rows, err, errlen);
}
static sl_err hot_events(void *ctx, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                         size_t errlen) {
    (void)hour_us;
    return hs_write_events(ctx, b, idx, n, err, errlen);
}
static sl_err hot_final(void *ctx, int64_t hour_us, char *err, size_t errlen) {
    return hs_window_final(ctx, hour_us, err, errlen); /* committed with the next health write */
}

/* On the cold thread: make the published hours visible (cs_flush). */
static sl_err flush_cold(void *ctx, char *err, size_t errlen) {
    fan *f = ctx;
    sl_err e = cs_flush(f->cold, err, errlen);
    atomic_store(&f->cold_visible, cs_published_count(f->cold));
    return e;
}

#define EVB_CAP ((size_t)256 << 20) /* events held for the hot store before a forced drain */

static sl_err write_hot_events(void *ctx, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen) {
    fan *f = ctx;
    return f->hot_q.events(f->hot_q.ctx, 0, b, idx, n, err, errlen); /* copied, queued */
}

/* The end of a backfill that shed events: the hours that hold events still
 * inside the retention are read back from the cold store's events files
 * (complete: the cold store was flushed before this) and written (an upsert
 * by (source, _input, _row), so rows also still in the buffer are simply
 * written twice).  Only hours from the retention cut to the newest shed row. */
static sl_err reload_shed(fan *f, char *err, size_t errlen) {
    int64_t cut = eb_cut_us(f->evb), shed_max = eb_shed_max_us(f->evb);
    if (!f->cold || shed_max == INT64_MIN || shed_max < cut) return SL_OK;
    int64_t h0 = sl_hour_floor(cut), h1 = sl_hour_floor(shed_max);
    sl_err e = SL_OK;
    uint32_t *idx = NULL;
    size_t idxcap = 0;
    for (int64_t hr = h0; hr <= h1 && e == SL_OK; hr += SL_US_PER_HOUR) {
        char path[4096];
        if (!cs_events_path(f->cold, hr, path, sizeof path)) continue;
        if (access(path, F_OK) != 0) continue; /* no events in that hour */
        sl_source *src = NULL;
        pq_reader *rd = NULL;
        sl_batch b;
        sl_batch_init(&b);
        e = sl_source_open_file(&src, path, err, errlen);
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
            const int64_t *arr = b.cols[EV_ARRIVAL_TS].data;
            size_t k = 0;
            for (size_t i = 0; i < (size_t)n; i++)
                if (arr[i] >= cut) idx[k++] = (uint32_t)i;
            if (k) e = f->hot_q.events(f->hot_q.ctx, hr, &b, idx, k, err, errlen);
            f->reloaded += k;
        }
        sl_batch_free(&b);
        pq_reader_close(rd);
        sl_source_close(src);
    }
    free(idx);
    return e;
}

/* Hand the buffered events that are still inside the retention to the hot
 * store (tick() then commits, and the commit prunes what left it).  Paced
 * (--speed N), every tick.  At --speed max (a backfill: the table would be
 * pruned again within a second) only when the buffer is full and at the end,
 * so most events of a backfill leave the retention in the buffer and are
 * never written -- the prune would delete them anyway.
 * force: the end of the run (or a full buffer). */
static sl_err drain_events(fan *f, bool force, bool end, char *err, size_t errlen) {
    if (!f->evb || (!force && f->backfill)) return SL_OK;
    sl_err e = end ? reload_shed(f, err, errlen) : SL_OK;
    return e != SL_OK ? e : eb_drain(f->evb, write_hot_events, f, err, errlen);
}

static sl_err fan_rows(void *ctx, st_table t, int64_t hour_us, bool final, const sl_batch *rows, char *err,
                       size_t errlen) {
    fan *f = ctx;
    sl_err e = f->hot_q.rows(f->hot_q.ctx, t, hour_us, final, rows, err, errlen); /* copied, queued */
    if (e != SL_OK || !f->cold || !final || t >= ST_N_METRIC_TABLES) return e;
    return f->cold_q.rows(f->cold_q.ctx, t, hour_us, final, rows, err, errlen); /* copied, queued */
}

static sl_err fan_events(void *ctx, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                         size_t errlen) {
    fan *f = ctx;
    sl_err e = SL_OK;
    if (f->evb) {
        e = eb_add(f->evb, b, idx, n, err, errlen);
        if (e == SL_OK && eb_over_cap(f->evb)) {
            /* Full.  A backfill with a cold store drops its oldest half: those
             * rows are in the cold store's events files, and the few still
             * inside the retention at the end are read back from there
             * (reload_shed).  Otherwise write them now. */
            if (f->backfill && f->cold) eb_shed(f->evb, eb_get_stats(f->evb).bytes / 2);
            else e = drain_events(f, true, false, err, errlen);
        }
    }
    if (e != SL_OK || !f->cold) return e;
    return f->cold_q.events(f->cold_q.ctx, hour_us, b, idx, n, err, errlen);
}

/* The cold store publishes first (queued in group-sync mode), then the hot
 * store marks the hour final in its open transaction.  The cold store works
 * on its own thread: the hour's files are put in place by the next flush
 * (queued by tick(), about once a second), so the hot store can show an hour
 * final shortly before its Parquet files and manifests appear; at the end of
 * the run both are complete.  A manifest only ever names a file in place. */
static sl_err fan_final(void *ctx, int64_t hour_us, char *err, size_t errlen) {
    fan *f = ctx;
    if (f->cold) {
        sl_err e = f->cold_q.window_final(f->cold_q.ctx, hour_us, err, errlen);
        if (e != SL_OK) return e;
    }
    return f->hot_q.window_final(f->hot_q.ctx, hour_us, err, errlen);
}

/* ------------------------------------------------------------------ replay thread */

typedef struct shared {
    pthread_mutex_t mu;
    /* written by the replay thread, under mu */
    int64_t position_us;
    double lag_s, max_lag_s;
    uint64_t rows;
    rp_strategy strategy;
    bool done;
    sl_err e;
    char err[SL_ERRLEN];
} shared;

typedef struct run_ctx {
    rp_replay *r;
    sl_bus *bus;
    shared sh;
} run_ctx;

static void publish_replay(run_ctx *c) {
    const rp_replay_stats *st = rp_replay_get_stats(c->r);
    pthread_mutex_lock(&c->sh.mu);
    c->sh.position_us = st->position_us;
    c->sh.lag_s = st->lag_s;
    c->sh.max_lag_s = st->max_lag_s;
    c->sh.rows = st->rows;
    c->sh.strategy = st->order.strategy;
    pthread_mutex_unlock(&c->sh.mu);
}

static void *replay_main(void *arg) {
#if defined(__linux__)
    prctl(PR_SET_NAME, "sl-replay", 0, 0, 0); /* top -H, perf --sort comm */
#endif
    run_ctx *c = arg;
    sl_batch *b = NULL;
    char err[SL_ERRLEN];
    sl_err fail = SL_OK;
    for (;;) {
        if (!b) {
            b = sl_bus_take_free(c->bus);
            if (!b) {
                b = malloc(sizeof *b);
                if (!b) {
                    fail = sl_err_set(err, sizeof err, SL_ERR_NOMEM, "out of memory");
                    break;
                }
                sl_batch_init(b);
                if ((fail = ev_init_batch(b, err, sizeof err)) != SL_OK) break;
            }
        }
        long n = rp_replay_next(c->r, b, 0.25, err, sizeof err);
        publish_replay(c);
        if (n == RP_REPLAY_AGAIN) continue;
        if (n < 0) {
            fail = (sl_err)n;
            break;
        }
        if (n == 0) break;
        if (sl_bus_put(c->bus, b, err, sizeof err) != SL_OK) break; /* the processor stopped (its error is reported) */
        b = NULL;
    }
    if (b) {
        sl_batch_free(b);
        free(b);
    }
    pthread_mutex_lock(&c->sh.mu);
    c->sh.done = true;
    if (fail != SL_OK) {
        c->sh.e = fail;
        snprintf(c->sh.err, sizeof c->sh.err, "%s", err);
    }
    pthread_mutex_unlock(&c->sh.mu);
    sl_bus_close_producer(c->bus);
    sl_blob_pool_drain(); /* this thread's pooled page blocks */
    return NULL;
}

/* ------------------------------------------------------------------ health, progress, summary */

#define H_MAX 96
typedef struct health {
    const char *names[H_MAX];
    double vals[H_MAX];
    char store[H_MAX][80];
    size_t n;
} health;

static void h_put(health *h, double v, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void h_put(health *h, double v, const char *fmt, ...) {
    if (h->n >= H_MAX) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->store[h->n], sizeof h->store[h->n], fmt, ap);
    va_end(ap);
    h->names[h->n] = h->store[h->n];
    h->vals[h->n++] = v;
}

/* Columns the cleaning can repair (per-column repair counters). */
static const int k_repair_cols[] = {EV_COMPILE_MS,      EV_QUEUE_MS,        EV_EXEC_MS,         EV_WAS_ABORTED,
                                    EV_WAS_CACHED,      EV_QUERY_TYPE,      EV_NUM_PERM_TABLES, EV_NUM_EXT_TABLES,
                                    EV_NUM_SYS_TABLES,  EV_READ_TABLE_IDS,  EV_WRITE_TABLE_IDS, EV_MBYTES_SCANNED,
                                    EV_MBYTES_SPILLED,  EV_NUM_JOINS,       EV_NUM_SCANS,       EV_NUM_AGGREGATIONS};
#define N_REPAIR_COLS (sizeof k_repair_cols / sizeof *k_repair_cols)

static double ts_seconds(int64_t us) { return us == INT64_MIN ? NAN : (double)us / 1e6; }

typedef struct snap { /* the replay thread's view, copied under the mutex */
    int64_t position_us;
    double lag_s, max_lag_s;
    uint64_t rows;
    rp_strategy strategy;
} snap;

static snap take_snap(run_ctx *c) {
    snap s;
    pthread_mutex_lock(&c->sh.mu);
    s.position_us = c->sh.position_us;
    s.lag_s = c->sh.lag_s;
    s.max_lag_s = c->sh.max_lag_s;
    s.rows = c->sh.rows;
    s.strategy = c->sh.strategy;
    pthread_mutex_unlock(&c->sh.mu);
    return s;
}

/* A store thread's latency, errors and queue, labelled store="name". */
static void put_store(health *h, const char *name, as_async *a) {
    as_stats st = as_get_stats(a);
    h_put(h, st.busy_s, "sluice_sink_write_seconds_total{store=\"%s\"}", name);
    h_put(h, st.max_call_s, "sluice_sink_write_max_seconds{store=\"%s\"}", name);
    h_put(h, (double)st.errors, "sluice_sink_errors_total{store=\"%s\"}", name);
    h_put(h, (double)st.queued_bytes, "sluice_sink_queue_bytes{store=\"%s\"}", name);
    h_put(h, st.wait_s, "sluice_sink_queue_wait_seconds_total{store=\"%s\"}", name);
}

static void fill_health(health *h, const pr_stats *ps, const snap *sn, const sl_bus_stats *bs, fan *f, double rate,
                        double uptime, bool running) {
    h->n = 0;
    h_put(h, (double)ps->clean.rows, "sluice_events_read_total");
    h_put(h, (double)ps->accepted, "sluice_events_accepted_total");
    h_put(h, (double)ps->clean.repaired_rows, "sluice_events_repaired_total");
    for (size_t k = 0; k < N_REPAIR_COLS; k++)
        h_put(h, (double)ps->clean.repaired[k_repair_cols[k]], "sluice_repairs_total{column=\"%s\"}",
              ev_col_name(k_repair_cols[k]));
    h_put(h, (double)ps->clean.bad_table_id, "sluice_bad_table_ids_total");
    for (int r = 1; r < CL_N_REASONS; r++)
        h_put(h, (double)ps->clean.bad[r], "sluice_events_bad_total{reason=\"%s\"}", cl_reason_name((cl_reason)r));
    h_put(h, (double)ps->duplicates, "sluice_events_duplicate_total");
    h_put(h, (double)ps->late, "sluice_events_late_total");
    h_put(h, (double)sn->rows, "sluice_replay_rows_total");
    h_put(h, ts_seconds(sn->position_us), "sluice_replay_position_seconds");
    h_put(h, sn->lag_s, "sluice_replay_lag_seconds");
    h_put(h, sn->max_lag_s, "sluice_replay_max_lag_seconds");
    h_put(h, ts_seconds(ps->watermark_us), "sluice_watermark_seconds");
    h_put(h, (double)ps->open_windows, "sluice_open_windows");
    h_put(h, (double)ps->windows_final, "sluice_windows_final_total");
    h_put(h, (double)bs->depth, "sluice_bus_depth");
    h_put(h, (double)bs->max_depth, "sluice_bus_max_depth");
    h_put(h, (double)bs->producer_waits, "sluice_bus_producer_waits_total");
    h_put(h, bs->producer_wait_s, "sluice_bus_producer_wait_seconds_total");
    put_store(h, "hot", f->hot_as);
    if (f->cold) {
        put_store(h, "cold", f->cold_as);
        h_put(h, (double)f->published, "sluice_cold_hours_published_total");
    }
    if (f->evb) {
        eb_stats es = eb_get_stats(f->evb);
        h_put(h, (double)es.rows, "sluice_hot_events_buffered");
        h_put(h, (double)es.peak_bytes, "sluice_hot_events_buffer_peak_bytes");
        h_put(h, (double)es.written, "sluice_hot_events_written_total");
        h_put(h, (double)es.expired, "sluice_hot_events_expired_total");
        h_put(h, (double)es.shed, "sluice_hot_events_shed_total");
        h_put(h, (double)f->reloaded, "sluice_hot_events_reloaded_total");
    }
    h_put(h, rate, "sluice_events_per_second");
    h_put(h, uptime, "sluice_uptime_seconds");
    h_put(h, running ? 1.0 : 0.0, "sluice_running");
}

static void progress(const pr_stats *ps, const snap *sn, double rate) {
    char at[40], wm[40];
    cli_fmt_time(at, sizeof at, sn->position_us);
    cli_fmt_time(wm, sizeof wm, ps->watermark_us);
    fprintf(stderr,
            "\rsluice run: %" PRIu64 " events  %.0f ev/s  at %s  W %s  lag %.1f s  open %" PRIu64 "  bad %" PRIu64
            "  late %" PRIu64 "  dup %" PRIu64 "\033[K",
            ps->clean.rows, rate, at, wm, sn->lag_s, ps->open_windows, ps->bad, ps->late, ps->duplicates);
}

typedef struct run_info {
    const char *hot_path, *cold_path;
    double speed, seconds;
    size_t ninputs, rss;
    int sig;
    bool planned, failed;
} run_info;

static void json_time(sl_buf *js, const char *key, int64_t us) {
    char t[40];
    if (us == INT64_MIN) {
        sl_buf_printf(js, ",\"%s\":null", key);
        return;
    }
    cli_fmt_time(t, sizeof t, us);
    sl_buf_printf(js, ",\"%s\":\"%s\"", key, t);
}

static void summary_json(sl_buf *js, const pr_stats *ps, const snap *sn, const fan *f, const run_info *ri) {
    uint64_t read = ps->clean.rows;
    sl_buf_printf(js, "{\"rows_read\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"bad_total\":%" PRIu64, read, ps->accepted,
                  ps->bad);
    sl_buf_puts(js, ",\"bad\":{");
    for (int r = 1; r < CL_N_REASONS; r++)
        sl_buf_printf(js, "%s\"%s\":%" PRIu64, r > 1 ? "," : "", cl_reason_name((cl_reason)r), ps->clean.bad[r]);
    sl_buf_printf(js, "},\"repaired\":%" PRIu64 ",\"repairs\":{", ps->clean.repaired_rows);
    for (size_t k = 0; k < N_REPAIR_COLS; k++)
        sl_buf_printf(js, "%s\"%s\":%" PRIu64, k ? "," : "", ev_col_name(k_repair_cols[k]),
                      ps->clean.repaired[k_repair_cols[k]]);
    sl_buf_printf(js,
                  "},\"bad_table_ids\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"late\":%" PRIu64
                  ",\"identity_ok\":%s,\"windows_final\":%" PRIu64 ",\"open_windows\":%" PRIu64
                  ",\"cold_hours_published\":%" PRIu64,
                  ps->clean.bad_table_id, ps->duplicates, ps->late,
                  read == ps->accepted + ps->bad + ps->duplicates + ps->late ? "true" : "false", ps->windows_final,
                  ps->open_windows, f->published);
    json_time(js, "watermark", ps->watermark_us);
    json_time(js, "position", sn->position_us);
    sl_buf_printf(js, ",\"replay_rows\":%" PRIu64 ",\"strategy\":", sn->rows);
    if (ri->planned) {
        const char *s = rp_strategy_name(sn->strategy);
        sl_fmt_json_str(js, s, strlen(s));
    } else {
        sl_buf_puts(js, "null");
    }
    sl_buf_printf(js, ",\"seconds\":%.6f,\"events_per_s\":%.1f,\"peak_rss_bytes\":%zu,\"max_lag_s\":%.6f", ri->seconds,
                  ri->seconds > 0 ? (double)read / ri->seconds : 0.0, ri->rss, sn->max_lag_s);
    if (ri->speed <= 0) sl_buf_puts(js, ",\"speed\":\"max\"");
    else sl_buf_printf(js, ",\"speed\":%g", ri->speed);
    sl_buf_printf(js, ",\"inputs\":%zu,\"hot\":", ri->ninputs);
    sl_fmt_json_str(js, ri->hot_path, strlen(ri->hot_path));
    sl_buf_puts(js, ",\"cold\":");
    if (ri->cold_path) sl_fmt_json_str(js, ri->cold_path, strlen(ri->cold_path));
    else sl_buf_puts(js, "null");
    /* cold: time on the cold store's thread (the processor only copies and queues) */
    sl_buf_printf(js, ",\"sink_seconds\":{\"hot\":%.6f,\"cold\":%.6f}", f->hot_busy_s, f->cold_busy_s);
    sl_buf_printf(js, ",\"interrupted\":%s,\"signal\":", ri->sig ? "true" : "false");
    if (ri->sig == SIGINT) sl_buf_puts(js, "\"SIGINT\"");
    else if (ri->sig == SIGTERM) sl_buf_puts(js, "\"SIGTERM\"");
    else sl_buf_puts(js, "null");
    sl_buf_printf(js, ",\"failed\":%s}\n", ri->failed ? "true" : "false");
}

static int write_summary(const pr_stats *ps, const snap *sn, const fan *f, const run_info *ri, const char *summary,
                         bool json, bool quiet) {
    int rc = 0;
    if (summary || json) {
        sl_buf js;
        sl_buf_init(&js);
        summary_json(&js, ps, sn, f, ri);
        if (js.oom) {
            sl_buf_free(&js);
            return cli_fail(2, "out of memory");
        }
        if (json || (summary && !strcmp(summary, "-"))) {
            if (fwrite(js.p, 1, js.len, stdout) != js.len || fflush(stdout) != 0) rc = cli_fail(2, "stdout: write failed");
        }
        if (summary && strcmp(summary, "-")) {
            FILE *sf = fopen(summary, "wb");
            if (!sf) {
                rc = cli_fail(2, "--summary %s: %s", summary, strerror(errno));
            } else {
                bool ok = fwrite(js.p, 1, js.len, sf) == js.len;
                ok = fclose(sf) == 0 && ok;
                if (!ok) rc = cli_fail(2, "--summary %s: write failed", summary);
            }
        }
        sl_buf_free(&js);
    }
    if (!quiet) {
        char wm[40];
        cli_fmt_time(wm, sizeof wm, ps->watermark_us);
        const char *pre = ri->sig ? "interrupted: " : ri->failed ? "failed: " : "";
        if (!ri->planned) {
            fprintf(stderr, "sluice run: %snothing replayed (%s after %.2f s); hot %s\n", pre,
                    ri->sig ? "stopped while planning the order" : "the replay could not start", ri->seconds,
                    ri->hot_path);
        } else {
            fprintf(stderr,
                    "sluice run: %s%" PRIu64 " rows read: %" PRIu64 " accepted (%" PRIu64 " repaired), %" PRIu64
                    " bad, %" PRIu64 " duplicates, %" PRIu64 " late; %" PRIu64 " windows final, %" PRIu64
                    " open%s; watermark %s; %.2f s (%.0f events/s, %s); peak RSS %.1f MB; hot %s%s%s\n",
                    pre, ps->clean.rows, ps->accepted, ps->clean.repaired_rows, ps->bad, ps->duplicates, ps->late,
                    ps->windows_final, ps->open_windows, ps->open_windows ? " (provisional)" : "", wm, ri->seconds,
                    ri->seconds > 0 ? (double)ps->clean.rows / ri->seconds : 0.0, rp_strategy_name(sn->strategy),
                    (double)ri->rss / 1048576.0, ri->hot_path, ri->cold_path ? ", cold " : "",
                    ri->cold_path ? ri->cold_path : "");
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ command */

typedef struct run_opts {
    rp_replay_opts ro;
    pr_opts po;
    hs_opts ho;
    const char *hot, *cold, *cold_url, *summary, *tmpdir;
    bool json, quiet;
    bool serve, listen_any; /* --serve: the dashboard and API on listen (default 127.0.0.1:8080) */
    size_t evb_bytes;       /* --hot-events-buffer */
    const char *listen;
} run_opts;

/* Parse argv into o and in; returns 0, an exit code, or -1 for --help. */
static int parse_args(int argc, char **argv, run_opts *o, cli_inputs *in) {
    int rc = 0;
    for (int i = 0; i < argc && !rc; i++) {
        const char *a = argv[i], *v = NULL;
        char name[64];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return -1;
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = true;
            continue;
        }
        if (!strcmp(a, "--json")) {
            o->json = true;
            continue;
        }
        if (!strcmp(a, "--force-sort")) {
            o->ro.force_sort = true;
            continue;
        }
        if (!strcmp(a, "--serve")) {
            o->serve = true;
            continue;
        }
        if (!strcmp(a, "--listen-any")) {
            o->listen_any = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || !strcmp(a, "--")) {
            if (!strcmp(a, "--")) {
                for (i++; i < argc; i++) cli_inputs_arg(in, argv[i]);
                break;
            }
            if (a[0] == '-' && a[1]) return cli_fail(1, "run: unknown option '%s' (see sluice run --help)", a);
            cli_inputs_arg(in, a);
            continue;
        }
        static const char *const with_value[] = {
            "--source", "--input-format", "--speed", "--from",          "--to",           "--memory",
            "--tmpdir", "--hot",          "--cold",  "--cold-url",      "--lateness",     "--k",
            "--slots",  "--weights",      "--threshold", "--duration-cap", "--retention-hours", "--summary",
            "--listen", "--hot-events-buffer"};
        const char *eq = strchr(a, '=');
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
        bool known = false;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++) known |= !strcmp(name, with_value[k]);
        if (!known) return cli_fail(1, "run: unknown option '%s' (see sluice run --help)", name);
        if (eq) {
            v = eq + 1;
        } else {
            if (i + 1 >= argc) return cli_fail(1, "run: option %s needs a value", a);
            v = argv[++i];
        }
        bool handled;
        rc = cli_replay_opt(name, v, &o->ro, &o->tmpdir, &handled);
        if (handled) continue;
        long long x;
        double d;
        int64_t us;
        if (!strcmp(name, "--source")) {
            rc = cli_inputs_source(in, v);
        } else if (!strcmp(name, "--input-format")) {
            rc = cli_inputs_format(in, v);
        } else if (!strcmp(name, "--hot")) {
            if (!*v) rc = cli_fail(1, "--hot needs a file name");
            else o->hot = v;
        } else if (!strcmp(name, "--cold")) {
            if (!*v) rc = cli_fail(1, "--cold needs a directory name");
            else o->cold = v;
        } else if (!strcmp(name, "--hot-events-buffer")) {
            size_t m;
            if (sl_parse_size(v, &m) != SL_OK || m < 4096)
                rc = cli_fail(1, "--hot-events-buffer needs a size of at least 4K like 256M, got '%s'", v);
            else
                o->evb_bytes = m;
        } else if (!strcmp(name, "--listen")) {
            if (!*v) rc = cli_fail(1, "--listen needs ADDR:PORT, e.g. 127.0.0.1:8080");
            else o->listen = v, o->serve = true;
        } else if (!strcmp(name, "--cold-url")) {
            if (!*v) rc = cli_fail(1, "--cold-url needs a URL prefix like s3://bucket/sluice/");
            else o->cold_url = v;
        } else if (!strcmp(name, "--lateness")) {
            if (sl_parse_duration(v, &us) != SL_OK)
                rc = cli_fail(1, "--lateness needs a duration >= 0 like 10m, 90s or 1h30m, got '%s'", v);
            else o->po.lateness_us = us;
        } else if (!strcmp(name, "--duration-cap")) {
            if (sl_parse_duration(v, &us) != SL_OK || us < 1000 || us % 1000 != 0)
                rc = cli_fail(1, "--duration-cap needs a duration of whole milliseconds >= 1ms like 7d or 86400000ms, got '%s'", v);
            else o->po.clean.duration_cap_ms = us / 1000;
        } else if (!strcmp(name, "--k")) {
            if (parse_int(v, 1, 1000000, &x) != 0) rc = cli_fail(1, "--k needs an integer in 1..1000000, got '%s'", v);
            else o->po.top_k = (int)x;
        } else if (!strcmp(name, "--slots")) {
            if (parse_double(v, &d) != 0 || !(d > 0)) rc = cli_fail(1, "--slots needs a number > 0, got '%s'", v);
            else o->po.slots = d;
        } else if (!strcmp(name, "--threshold")) {
            if (parse_double(v, &d) != 0) rc = cli_fail(1, "--threshold needs a number, got '%s'", v);
            else o->po.threshold = d;
        } else if (!strcmp(name, "--weights")) {
            double w[4];
            size_t n = 0;
            char **parts = cli_split_list(v, &n);
            if (!parts) return cli_fail(2, "out of memory");
            bool ok = n == 4;
            for (size_t k = 0; ok && k < 4; k++) ok = parse_double(parts[k], &w[k]) == 0 && w[k] >= 0;
            free(parts);
            if (!ok || !(w[0] + w[1] + w[2] + w[3] > 0))
                rc = cli_fail(1, "--weights needs four numbers q,s,p,c, each >= 0, with a positive sum, got '%s'", v);
            else o->po.w_q = w[0], o->po.w_s = w[1], o->po.w_p = w[2], o->po.w_c = w[3];
        } else if (!strcmp(name, "--retention-hours")) {
            if (parse_int(v, 0, 1000000000, &x) != 0)
                rc = cli_fail(1, "--retention-hours needs an integer >= 0, got '%s'", v);
            else if (x == 0)
                o->ho.keep_events = false; /* no events table rows; metrics only */
            else
                o->ho.retention_hours = (int)x;
        } else if (!strcmp(name, "--summary")) {
            if (!*v) rc = cli_fail(1, "--summary needs a file name or '-'");
            else o->summary = v;
        }
    }
    return rc;
}

/* On the hot store's thread: the health rows, then the commit (which makes
 * everything queued before it visible, and prunes the events). */
typedef struct hot_commit_job {
    hs *hot;
    health h;
} hot_commit_job;

static sl_err hot_commit(void *ctx, char *err, size_t errlen) {
    hot_commit_job *j = ctx;
    for (size_t i = 0; i < j->h.n; i++) j->h.names[i] = j->h.store[i]; /* point into this copy */
    sl_err e = hs_write_health(j->hot, j->h.names, j->h.vals, j->h.n, err, errlen);
    return e != SL_OK ? e : hs_commit(j->hot, err, errlen);
}

/* Provisional rows of the open windows (when something changed), health, commit. */
static sl_err tick(pr *p, fan *f, run_ctx *c, double t0, uint64_t *last_rows, double *last_t, bool running,
                   bool refresh, char *err, size_t errlen) {
    const pr_stats *ps = pr_get_stats(p);
    sl_err e;
    if (refresh && ps->clean.rows != *last_rows) {
        e = pr_refresh(p, err, errlen);
        if (e != SL_OK) return e;
    }
    double now = sl_now_mono();
    double rate = now > *last_t ? (double)(ps->clean.rows - *last_rows) / (now - *last_t) : 0.0;
    *last_rows = ps->clean.rows;
    *last_t = now;
    snap sn = take_snap(c);
    sl_bus_stats bs;
    memset(&bs, 0, sizeof bs);
    if (c->bus) sl_bus_stats_get(c->bus, &bs);
    if (f->cold_as) {
        e = as_call(f->cold_as, flush_cold, f, NULL, err, errlen);
        if (e == SL_OK && !running) e = as_sync(f->cold_as, err, errlen); /* the end: everything in place */
        if (e != SL_OK) return e;
        f->published = atomic_load(&f->cold_visible);
    }
    e = drain_events(f, !running, !running, err, errlen);
    if (e == SL_OK && !running) e = as_sync(f->hot_as, err, errlen); /* the end: final counters below */
    if (e != SL_OK) return e;
    hot_commit_job *j = malloc(sizeof *j);
    if (!j) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    j->hot = f->hot;
    fill_health(&j->h, ps, &sn, &bs, f, rate, now - t0, running);
    e = as_call(f->hot_as, hot_commit, j, free, err, errlen);
    if (e == SL_OK && !running) e = as_sync(f->hot_as, err, errlen); /* the end: all committed */
    /* the next health write reports the longest store operation of its interval */
    if (f->cold_as) as_stats_reset_max(f->cold_as);
    as_stats_reset_max(f->hot_as);
    return e;
}

int cli_run(int argc, char **argv) {
    run_opts o;
    memset(&o, 0, sizeof o);
    o.ro = rp_replay_opts_default();
    o.po = pr_opts_default();
    o.ho = hs_opts_default();
    o.hot = "sluice.db";
    cli_inputs in;
    if (cli_inputs_init(&in, "run", argc)) return 2;
    int rc = parse_args(argc, argv, &o, &in);
    if (rc == -1) {
        cli_inputs_free(&in);
        return usage(stdout);
    }
    char err[SL_ERRLEN];
    if (!rc) rc = cli_inputs_check(&in);
    if (!rc && pr_opts_check(&o.po, err, sizeof err) != SL_OK) rc = cli_fail(1, "run: %s", err);
    if (!rc) rc = cli_replay_opts_check("run", &o.ro, o.tmpdir);
    if (!rc) rc = cli_inputs_expand(&in);
    if (rc) {
        cli_inputs_free(&in);
        return rc;
    }

    double t0 = sl_now_mono();
    bool tty = isatty(2) && !o.quiet;
    fan f;
    memset(&f, 0, sizeof f);
    pr *p = NULL;
    run_ctx c;
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.sh.mu, NULL);
    c.sh.position_us = INT64_MIN;
    pthread_t thr;
    bool thread_started = false, failed = false, finished = false;
    run_info ri = {.hot_path = o.hot, .cold_path = o.cold, .speed = o.ro.speed, .ninputs = in.n};
    uint64_t last_rows = 0;
    double last_t = t0;
    struct sigaction sa, old_int, old_term;
    bool handlers = false;
    sv_server *srv = NULL;

    /* Stores first: a bad --hot or --cold fails before any planning work. */
    sl_err e = hs_open(&f.hot, o.hot, &o.ho, err, sizeof err);
    if (e != SL_OK) {
        rc = cli_fail(e == SL_ERR_ARG ? 1 : 2, "run: %s", err);
        goto out;
    }
    if (o.cold) {
        cs_opts co = cs_opts_default();
        co.url_prefix = o.cold_url;
        co.group_sync = true; /* tick() flushes once a second, before the hot commit */
        if ((e = cs_open(&f.cold, o.cold, &co, err, sizeof err)) != SL_OK) {
            rc = cli_fail(e == SL_ERR_ARG ? 1 : 2, "run: %s", err);
            goto out;
        }
    }
    if (o.serve) {
        sv_opts so = sv_opts_default();
        so.hot_path = o.hot;
        so.cold_dir = o.cold;
        if (o.listen) so.listen = o.listen;
        so.allow_any = o.listen_any;
        so.quiet = true; /* no request log: it would tear the progress line */
        if ((e = sv_start(&srv, &so, err, sizeof err)) != SL_OK) {
            rc = cli_fail(e == SL_ERR_ARG ? 1 : 2, "run: --serve: %s", err);
            goto out;
        }
        fprintf(stderr, "sluice run: dashboard and API at %s\n", sv_url(srv));
        fflush(stderr);
    }
    if (o.ho.keep_events &&
        (e = eb_open(&f.evb, (int64_t)o.ho.retention_hours * SL_US_PER_HOUR, o.evb_bytes ? o.evb_bytes : EVB_CAP, err,
                     sizeof err)) != SL_OK) {
        rc = cli_fail(2, "run: %s", err);
        goto out;
    }
    if ((e = as_open(&f.hot_as, "hot store", (pr_sink){.ctx = f.hot, .rows = hot_rows, .events = hot_events,
                                                       .window_final = hot_final},
                     EV_ROW + 1, HOT_QUEUE_BYTES, err, sizeof err)) != SL_OK) {
        rc = cli_fail(2, "run: %s", err);
        goto out;
    }
    f.hot_q = as_sink(f.hot_as);
    if (f.cold) {
        if ((e = as_open(&f.cold_as, "cold store", cs_sink(f.cold), EV_ROW + 1, COLD_QUEUE_BYTES, err, sizeof err)) !=
            SL_OK) {
            rc = cli_fail(2, "run: %s", err);
            goto out;
        }
        f.cold_q = as_sink(f.cold_as);
    }
    f.backfill = o.ro.speed <= 0;
    pr_sink sink = {.ctx = &f, .rows = fan_rows, .events = fan_events, .window_final = fan_final};
    if ((e = pr_open(&p, &o.po, &sink, err, sizeof err)) != SL_OK) {
        rc = cli_fail(e == SL_ERR_ARG ? 1 : 2, "run: %s", err);
        goto out;
    }
    if ((e = sl_bus_mem_open(&c.bus, BUS_CAPACITY, err, sizeof err)) != SL_OK) {
        rc = cli_fail(2, "run: %s", err);
        goto out;
    }
    /* The health rows exist (sluice_running = 1) while the order is planned. */
    if ((e = tick(p, &f, &c, t0, &last_rows, &last_t, true, false, err, sizeof err)) != SL_OK) {
        rc = cli_fail(2, "run: %s", err);
        goto out;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    handlers = true;

    if (tty) fputs("sluice run: planning...\033[K", stderr);
    e = rp_replay_open(&c.r, in.v, in.n, &o.ro, err, sizeof err);
    if (tty) fputs("\r\033[K", stderr);
    if (e != SL_OK) {
        c.r = NULL;
        /* Interrupted while planning: the error is a consequence (the order's
         * files were removed under it); report the interruption. */
        if (!g_signal) {
            rc = cli_fail(e == SL_ERR_ARG ? 1 : 2, "run: %s", err);
            failed = true;
        }
        goto drained;
    }
    ri.planned = true;
    g_replay = c.r;
    if (g_signal) rp_replay_stop(c.r); /* a signal between open and here */
    publish_replay(&c);

    {
        /* The replay thread does not take the signals: they reach this one. */
        sigset_t block, oldmask;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &block, &oldmask);
        int pe = pthread_create(&thr, NULL, replay_main, &c);
        pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
        if (pe != 0) {
            rc = cli_fail(2, "run: cannot start the replay thread: %s", strerror(pe));
            failed = true;
            goto drained;
        }
        thread_started = true;
    }

    /* The processor: everything the bus delivers is processed. */
    {
        double next_tick = sl_now_mono() + 1.0, last_prog = 0;
        for (;;) {
            double now = sl_now_mono();
            double wait = next_tick - now;
            if (wait > 0.25) wait = 0.25;
            if (wait < 0) wait = 0;
            sl_batch *b = NULL;
            int g = sl_bus_get(c.bus, &b, wait);
            if (g == 1) {
                e = pr_process(p, b, err, sizeof err);
                sl_bus_recycle(c.bus, b);
                if (e != SL_OK) {
                    rc = cli_fail(2, "run: %s", err);
                    failed = true;
                    break;
                }
            } else if (g < 0) {
                break; /* the replay ended (or stopped) and the bus is empty */
            }
            now = sl_now_mono();
            if (now >= next_tick) {
                if ((e = tick(p, &f, &c, t0, &last_rows, &last_t, true, true, err, sizeof err)) != SL_OK) {
                    rc = cli_fail(2, "run: %s", err);
                    failed = true;
                    break;
                }
                next_tick = now + 1.0;
            }
            if (tty && now - last_prog >= 0.25) {
                const pr_stats *ps = pr_get_stats(p);
                snap sn = take_snap(&c);
                double dt = now - t0;
                progress(ps, &sn, dt > 0 ? (double)ps->clean.rows / dt : 0.0);
                last_prog = now;
            }
        }
        if (tty) fputs("\r\033[K", stderr);
    }
    if (failed) {
        /* stop the producer: the replay ends, a blocked put returns */
        rp_replay_stop(c.r);
        sl_bus_close_consumer(c.bus);
    }
    pthread_join(thr, NULL);
    thread_started = false;
    if (!failed) {
        pthread_mutex_lock(&c.sh.mu);
        sl_err re = c.sh.e;
        if (re != SL_OK && !g_signal) {
            rc = cli_fail(re == SL_ERR_ARG ? 1 : 2, "run: %s", c.sh.err);
            failed = true;
        }
        pthread_mutex_unlock(&c.sh.mu);
    }
    publish_replay(&c);

drained:
    /* End of input: finalize every open window.  Interrupted or failed: the
     * open windows stay provisional (written by the last tick below). */
    if (!failed && !g_signal && ri.planned) {
        if ((e = pr_finish(p, err, sizeof err)) != SL_OK) {
            rc = cli_fail(2, "run: %s", err);
            failed = true;
        } else {
            finished = true;
        }
    }
    if (f.hot && p) {
        /* after a failure in a store, do not touch the stores' data again;
         * still try to record the final counters */
        e = tick(p, &f, &c, t0, &last_rows, &last_t, false, !finished && !failed, err, sizeof err);
        if (e != SL_OK && !failed) {
            rc = cli_fail(2, "run: %s", err);
            failed = true;
        }
    }
    if (f.cold_as) { /* the last tick synced it (or a store failed: drop the rest) */
        f.cold_busy_s = as_get_stats(f.cold_as).busy_s;
        as_close(f.cold_as);
        f.cold_as = NULL;
    }
    if (f.cold) {
        cs_close(f.cold); /* removes the temporary files of unpublished hours */
        f.cold = NULL;
    }
    if (f.hot_as) {
        f.hot_busy_s = as_get_stats(f.hot_as).busy_s;
        as_close(f.hot_as);
        f.hot_as = NULL;
    }
    if (f.hot) {
        e = hs_close(f.hot, err, sizeof err);
        f.hot = NULL;
        if (e != SL_OK && !failed) {
            rc = cli_fail(2, "run: %s", err);
            failed = true;
        }
    }
    {
        const pr_stats *ps = pr_get_stats(p);
        snap sn = take_snap(&c);
        ri.seconds = sl_now_mono() - t0;
        ri.rss = cli_peak_rss();
        ri.sig = g_signal;
        ri.failed = failed;
        int src = write_summary(ps, &sn, &f, &ri, o.summary, o.json, o.quiet);
        if (!rc) rc = src;
    }
    if (srv && !g_signal && !failed) {
        /* the run is over; the results stay on view until Ctrl-C / SIGTERM */
        fprintf(stderr, "sluice run: done; still serving %s (Ctrl-C to stop)\n", sv_url(srv));
        fflush(stderr);
        while (!g_signal) {
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        g_signal = 0; /* a stop of the server after a complete run: exit 0 */
    }

out:
    sv_stop(srv);
    if (thread_started) { /* not reached: joined above */
        rp_replay_stop(c.r);
        sl_bus_close_consumer(c.bus);
        pthread_join(thr, NULL);
    }
    g_replay = NULL;
    rp_replay_close(c.r); /* removes the order's temporary files */
    sl_bus_free(c.bus);
    pr_close(p);
    eb_close(f.evb);
    as_close(f.cold_as);
    as_close(f.hot_as);
    if (f.cold) cs_close(f.cold);
    if (f.hot) hs_close(f.hot, err, sizeof err);
    pthread_mutex_destroy(&c.sh.mu);
    cli_inputs_free(&in);
    int sig = g_signal;
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    if (sig && !failed) return 128 + sig;
    return rc;
}
