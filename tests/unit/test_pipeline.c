/* test_pipeline.c: the pipeline library (pipeline/pipeline.h) on its own,
 * without the CLI: a recording output plugin defined here sees exactly
 * what the pipeline promises (final rows before window_final, provisional
 * rows and quarantine only to outputs that ask, commits with the health
 * snapshot, the end), a stop from another thread and from a signal handler,
 * an output that fails, the recent-events buffer shedding and reloading from
 * a history output, and the pipeline file (pipeline/config.h) with its
 * errors that name the key and the line. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/config.h"
#include "pipeline/pipeline.h"
#include "plugins/plugin.h"
#include "plugins/redset_tables.h"
#include "schema/redset.h"
#include "util/time.h"
#include "t.h"

static char err[SL_ERRLEN];
static char tmpdir[256];

/* ------------------------------------------------------------------ a recording output */

typedef struct rec_opts {
    int caps;          /* OUT_* */
    int fail_rows;     /* fail the n-th rows call (0 = never) */
    int retention_h;   /* > 0: keeps only recent events (the pipeline buffers them) */
    size_t buffer;     /* the write-behind buffer */
    int history;       /* keeps events by hour and can read them back */
    int fail_commit;   /* fail the n-th commit (0 = never) */
} rec_opts;

#define MAXH 64
typedef struct rec {
    const out_env *env;
    rec_opts o;
    int rows_calls, events_calls, finals, commits, health_commits, closes, end_commits;
    bool closed_ok;
    int64_t final_hours[MAXH];
    int nfinal;
    uint64_t final_rows[MAXH];     /* rows of query_hourly per final hour */
    int provisional_rows, quarantine_rows;
    uint64_t events;               /* events received */
    int64_t events_min_us, events_max_us;
    double last_read, last_running; /* health: sluice_events_read_total, sluice_running at the last commit */
    bool order_ok;                 /* every rows call for an hour came before that hour's window_final */
    /* history: events per hour (count only; read_events gives a canonical batch back) */
    uint64_t hist_events;
    sl_batch hist;                 /* every event written, for read_events */
    bool hist_init;
    /* final hours by what became of them: committed, or dropped by discard */
    int finals_pending, finals_committed, finals_discarded, discards;
} rec;

static rec *g_last[4];
static int g_nrec;

static const sl_opt rec_opts_table[] = {
    SL_OPT_INT(rec_opts, caps, "caps", "0", 0, 31, "OUT_* bits"),
    SL_OPT_INT(rec_opts, fail_rows, "fail_rows", "0", 0, 1000000, "fail the n-th rows call"),
    SL_OPT_INT(rec_opts, retention_h, "retention_h", "0", 0, 100000, "recent events only"),
    SL_OPT_SIZE(rec_opts, buffer, "buffer", "256M", 4096, "write-behind buffer"),
    SL_OPT_INT(rec_opts, history, "history", "0", 0, 1, "keeps history"),
    SL_OPT_INT(rec_opts, fail_commit, "fail_commit", "0", 0, 1000000, "fail the n-th commit"),
    SL_OPT_END,
};

static void r_describe(const void *opts, out_desc *d) {
    const rec_opts *o = opts;
    d->caps = (unsigned)o->caps | (o->history ? OUT_HISTORY : 0);
    d->events_retention_us = (int64_t)o->retention_h * SL_US_PER_HOUR;
    d->events_buffer_bytes = o->buffer;
    d->location = "memory";
}

static sl_err r_open(void **st, const void *opts, const out_env *env, char *e, size_t el) {
    (void)e, (void)el;
    rec *r = calloc(1, sizeof *r);
    r->env = env;
    r->o = *(const rec_opts *)opts;
    r->order_ok = true;
    r->events_min_us = INT64_MAX;
    r->events_max_us = INT64_MIN;
    r->last_running = -1;
    g_last[g_nrec++ % 4] = r;
    *st = r;
    return SL_OK;
}

static int hour_index(rec *r, int64_t h) {
    for (int i = 0; i < r->nfinal; i++)
        if (r->final_hours[i] == h) return i;
    return -1;
}

static sl_err r_rows(void *st, size_t t, int64_t hour, bool final, const sl_batch *rows, char *e, size_t el) {
    rec *r = st;
    r->rows_calls++;
    if (r->o.fail_rows && r->rows_calls == r->o.fail_rows) return sl_err_set(e, el, SL_ERR_IO, "recorder: disk full");
    const tb_def *d = r->env->tables->v[t];
    if (d->kind == TB_QUARANTINE) {
        r->quarantine_rows += (int)rows->nrows;
        return SL_OK;
    }
    if (!final) {
        r->provisional_rows += (int)rows->nrows;
        return SL_OK;
    }
    if (hour_index(r, hour) >= 0) r->order_ok = false; /* rows after the hour was final */
    /* final rows come before their window_final: they count for the next final hour */
    if (!strcmp(d->name, "query_hourly") && r->nfinal < MAXH) r->final_rows[r->nfinal] += rows->nrows;
    return SL_OK;
}

static sl_err r_events(void *st, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *e, size_t el) {
    rec *r = st;
    r->events_calls++;
    r->events += n;
    const sc_schema *s = r->env->schema;
    const int64_t *ts = b->cols[s->time].data;
    for (size_t i = 0; i < n; i++) {
        int64_t t = ts[idx[i]];
        if (t < r->events_min_us) r->events_min_us = t;
        if (t > r->events_max_us) r->events_max_us = t;
        if (hour != 0 && sl_hour_floor(t) != hour) return sl_err_set(e, el, SL_ERR_ARG, "event of another hour");
    }
    if (r->o.history) {
        if (!r->hist_init) {
            sl_batch_init(&r->hist); /* the events table's columns: what the output's queue copies */
            tb_init_batch(r->env->tables->v[r->env->events_table], &r->hist, e, el);
            r->hist_init = true;
        }
        sl_err x = sl_batch_append_rows(&r->hist, b, b->ncols, idx, n, e, el);
        if (x != SL_OK) return x;
        r->hist_events += n;
    }
    return SL_OK;
}

static sl_err r_final(void *st, int64_t hour, char *e, size_t el) {
    (void)e, (void)el;
    rec *r = st;
    if (r->nfinal < MAXH) {
        r->final_hours[r->nfinal++] = hour;
    }
    r->finals++;
    r->finals_pending++;
    return SL_OK;
}

static void r_discard(void *st) {
    rec *r = st;
    r->discards++;
    r->finals_discarded += r->finals_pending;
    r->finals_pending = 0;
}

static sl_err r_commit(void *st, const char *const *names, const double *values, size_t n, bool end, char *e,
                       size_t el) {
    rec *r = st;
    r->commits++;
    if (r->o.fail_commit && r->commits == r->o.fail_commit) return sl_err_set(e, el, SL_ERR_IO, "recorder: commit failed");
    r->finals_committed += r->finals_pending;
    r->finals_pending = 0;
    if (end) r->end_commits++;
    if (n) r->health_commits++;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(names[i], "sluice_events_read_total")) r->last_read = values[i];
        if (!strcmp(names[i], "sluice_running")) r->last_running = values[i];
    }
    return SL_OK;
}

static sl_err r_read_events(void *st, int64_t hour, int64_t from_us, out_events_fn fn, void *ctx, char *e, size_t el) {
    rec *r = st;
    if (!r->hist_init) return SL_OK;
    const int64_t *ts = r->hist.cols[r->env->schema->time].data;
    uint32_t *idx = malloc((r->hist.nrows ? r->hist.nrows : 1) * sizeof *idx);
    size_t k = 0;
    for (size_t i = 0; i < r->hist.nrows; i++)
        if (sl_hour_floor(ts[i]) == hour && ts[i] >= from_us) idx[k++] = (uint32_t)i;
    sl_err x = k ? fn(ctx, hour, &r->hist, idx, k, e, el) : SL_OK;
    free(idx);
    return x;
}

static sl_err r_close(void *st, bool ok, char *e, size_t el) {
    (void)e, (void)el;
    rec *r = st;
    r->closes++;
    r->closed_ok = ok;
    if (r->hist_init) sl_batch_free(&r->hist);
    r->hist_init = false;
    return SL_OK; /* the recorder stays readable (g_last) until the test frees it */
}

static const out_plugin out_rec = {
    .name = "recorder",
    .help = "records what it is given",
    .instance = "rec",
    .opts = rec_opts_table,
    .opts_size = sizeof(rec_opts),
    .describe = r_describe,
    .open = r_open,
    .rows = r_rows,
    .events = r_events,
    .window_final = r_final,
    .commit = r_commit,
    .discard = r_discard,
    .read_events = r_read_events,
    .close = r_close,
};

static void free_recs(void) {
    for (int i = 0; i < 4 && i < g_nrec; i++) free(g_last[i]);
    g_nrec = 0;
    memset(g_last, 0, sizeof g_last);
}

/* ------------------------------------------------------------------ inputs */

static const char *k_header =
    "instance_id,cluster_size,user_id,database_id,query_id,arrival_timestamp,compile_duration_ms,queue_duration_ms,"
    "execution_duration_ms,feature_fingerprint,was_aborted,was_cached,cache_source_query_id,query_type,"
    "num_permanent_tables_accessed,num_external_tables_accessed,num_system_tables_accessed,read_table_ids,"
    "write_table_ids,mbytes_scanned,mbytes_spilled,num_joins,num_scans,num_aggregations\n";

/* A CSV of n events: instance i % 3, one every `step_s` seconds from 2024-03-01 00:00, query ids 1..n,
 * plus one bad row (no query_type) and one duplicate. */
static void write_csv(const char *path, int n, int step_s) {
    FILE *f = fopen(path, "w");
    fputs(k_header, f);
    for (int i = 0; i < n; i++) {
        int s = i * step_s;
        fprintf(f, "%d,,1,1,%d,2024-03-01 %02d:%02d:%02d,%d,0,%d,,0,0,,select,1,0,0,%d,,1.5,0,%d,1,0\n", i % 3, i + 1,
                s / 3600, s / 60 % 60, s % 60, i % 7, 100 + i, 10 + i % 4, i % 5);
    }
    fprintf(f, "1,,1,1,999999,2024-03-01 00:00:30,0,0,1,,0,0,,,1,0,0,,,0,0,0,0,0\n");   /* missing query_type */
    fprintf(f, "0,,1,1,1,2024-03-01 00:00:00,0,0,100,,0,0,,select,1,0,0,10,,1.5,0,0,1,0\n"); /* a duplicate of query 1 */
    fclose(f);
}

typedef struct setup {
    const sc_schema *s;
    rp_replay_input in[2];
    void *tr_opts;
    en_transform tr;
    rec_opts ro[3];
    pl_output out[3];
    pl_config c;
} setup;

static void setup_init(setup *u, const char *csv, size_t nout) {
    memset(u, 0, sizeof u[0]);
    CHECK(sc_open(&u->s, &sc_redset_def, err, sizeof err) == SL_OK);
    u->in[0] = (rp_replay_input){csv, "fleet", reg_input("csv")};
    u->tr_opts = calloc(1, reg_transform("redset_metrics")->opts_size);
    CHECK(sl_opt_defaults(reg_transform("redset_metrics")->opts, u->tr_opts, err, sizeof err) == SL_OK);
    u->tr = (en_transform){reg_transform("redset_metrics"), u->tr_opts};
    for (size_t i = 0; i < nout; i++) {
        CHECK(sl_opt_defaults(rec_opts_table, &u->ro[i], err, sizeof err) == SL_OK);
        u->out[i] = (pl_output){&out_rec, &u->ro[i], NULL};
    }
    u->c.schema = u->s;
    u->c.inputs = u->in;
    u->c.ninputs = 1;
    u->c.replay = rp_replay_opts_default();
    u->c.replay.speed = 0;
    u->c.replay.formats = reg_inputs();
    en_opts_default(&u->c.engine, u->s);
    u->c.transforms = &u->tr;
    u->c.ntransforms = 1;
    u->c.outputs = u->out;
    u->c.noutputs = nout;
}

static void setup_free(setup *u) {
    free(u->tr_opts);
    sc_close(u->s);
}

/* ------------------------------------------------------------------ tests */

/* 300 events one every 36 s: 3 hours; a hot-like output (everything) and a cold-like one (final rows, events). */
static void test_run_to_the_end(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/a.csv", tmpdir);
    write_csv(csv, 300, 36);
    setup u;
    setup_init(&u, csv, 2);
    u.ro[0].caps = OUT_PROVISIONAL | OUT_QUARANTINE | OUT_EVENTS | OUT_HEALTH;
    u.ro[1].caps = OUT_EVENTS;
    u.out[0].name = "hot";
    u.out[1].name = "cold";
    free_recs();
    pl *p;
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_OK);
    rec *hot = g_last[0], *cold = g_last[1];
    CHECK(hot && cold);
    CHECK_EQ_I64(hot->health_commits, 1); /* the first snapshot: running while planning */
    CHECK(hot->last_running == 1.0);
    CHECK(pl_run(p, err, sizeof err) == SL_OK);
    pl_summary sm;
    pl_get_summary(p, &sm);
    CHECK(sm.finished && !sm.failed && !sm.stopped && sm.planned);
    CHECK_EQ_I64(sm.engine.clean.rows, 302);
    CHECK_EQ_I64(sm.engine.accepted, 300);
    CHECK_EQ_I64(sm.engine.bad, 1);
    CHECK_EQ_I64(sm.engine.duplicates, 1);
    CHECK_EQ_I64(sm.engine.windows_final, 3);
    CHECK_EQ_I64(sm.engine.open_windows, 0);
    CHECK_EQ_I64(sm.noutputs, 2);
    CHECK_EQ_STR(sm.outputs[0].name, "hot");
    CHECK_EQ_STR(sm.outputs[1].name, "cold");
    /* both outputs: every hour final, in order, its rows before window_final */
    CHECK_EQ_I64(hot->finals, 3);
    CHECK_EQ_I64(cold->finals, 3);
    int64_t h0 = sl_days_from_civil(2024, 3, 1) * SL_US_PER_DAY;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_I64(cold->final_hours[i], h0 + i * SL_US_PER_HOUR);
        CHECK(cold->final_rows[i] == 3); /* query_hourly: 3 instances x 1 query type */
    }
    CHECK(hot->order_ok && cold->order_ok);
    /* events: every accepted event exactly once to each output that wants them */
    CHECK_EQ_I64(hot->events, 300);
    CHECK_EQ_I64(cold->events, 300);
    /* provisional and quarantine rows only to the output that asks */
    CHECK_EQ_I64(cold->provisional_rows, 0);
    CHECK_EQ_I64(cold->quarantine_rows, 0);
    CHECK_EQ_I64(hot->quarantine_rows, 1);
    /* the end: committed with the final counters, running 0; closed ok */
    CHECK(hot->end_commits >= 1 && cold->end_commits >= 1);
    CHECK(hot->last_read == 302.0);
    CHECK(hot->last_running == 0.0);
    CHECK_EQ_I64(cold->health_commits, 0); /* no OUT_HEALTH, no health series */
    CHECK(hot->closes == 1 && hot->closed_ok && cold->closes == 1 && cold->closed_ok);
    /* the health snapshot itself */
    const hl_snap *h = pl_health(p);
    CHECK(hl_get(h, HL_EVENTS_ACCEPTED, NULL) == 300.0);
    CHECK(hl_get(h, HL_EVENTS_BAD, "missing_query_type") == 1.0);
    CHECK(hl_get(h, HL_EVENTS_DUPLICATE, NULL) == 1.0);
    CHECK(hl_get(h, HL_SINK_ERRORS, "hot") == 0.0);
    CHECK(hl_get(h, HL_RUNNING, NULL) == 0.0);
    CHECK(pl_run(p, err, sizeof err) == SL_ERR_ARG); /* once */
    CHECK(pl_close(p, err, sizeof err) == SL_OK);
    free_recs();
    setup_free(&u);
}

/* The timer commits once per tick while a paced replay runs. */
static void test_timer_commits(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/b.csv", tmpdir);
    write_csv(csv, 40, 60); /* 40 minutes of events */
    setup u;
    setup_init(&u, csv, 1);
    u.ro[0].caps = OUT_PROVISIONAL | OUT_HEALTH;
    u.c.replay.speed = 4000; /* 40 min in 0.6 s */
    u.c.tick_s = 0.05;
    free_recs();
    pl *p;
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_OK);
    CHECK(pl_run(p, err, sizeof err) == SL_OK);
    rec *r = g_last[0];
    CHECK(r->commits >= 5); /* about 0.6 s / 0.05 s */
    CHECK(r->provisional_rows > 0); /* the open hour was refreshed while it ran */
    CHECK_EQ_I64(r->finals, 1);
    pl_close(p, err, sizeof err);
    free_recs();
    setup_free(&u);
}

/* pl_stop from another thread: the run ends, open windows stay provisional. */
typedef struct stopper {
    pl *p;
    useconds_t after;
} stopper;
static void *stop_later(void *arg) {
    stopper *s = arg;
    usleep(s->after);
    pl_stop(s->p);
    return NULL;
}

static void test_stop(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/c.csv", tmpdir);
    write_csv(csv, 200, 60); /* 200 minutes */
    setup u;
    setup_init(&u, csv, 1);
    u.ro[0].caps = OUT_PROVISIONAL | OUT_HEALTH | OUT_EVENTS;
    u.c.replay.speed = 600; /* 200 min would take 20 s */
    free_recs();
    pl *p;
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_OK);
    stopper s = {p, 300000};
    pthread_t t;
    pthread_create(&t, NULL, stop_later, &s);
    double t0 = sl_now_mono();
    CHECK(pl_run(p, err, sizeof err) == SL_OK);
    double took = sl_now_mono() - t0;
    pthread_join(t, NULL);
    pl_summary sm;
    pl_get_summary(p, &sm);
    CHECK(sm.stopped && !sm.finished && !sm.failed);
    CHECK(took < 5.0);
    CHECK(sm.engine.open_windows >= 1); /* the current hour stays provisional */
    rec *r = g_last[0];
    CHECK(r->last_running == 0.0);
    CHECK(r->closed_ok);
    CHECK(sm.engine.accepted < 200);
    pl_close(p, err, sizeof err);
    free_recs();
    setup_free(&u);
}

/* pl_stop from a signal handler (async-signal-safe). */
static pl *volatile g_sig_pl;
static void on_usr1(int sig) {
    (void)sig;
    pl_stop(g_sig_pl);
}
static void *raise_later(void *arg) {
    (void)arg;
    usleep(300000);
    kill(getpid(), SIGUSR1);
    return NULL;
}

static void test_stop_from_signal(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/d.csv", tmpdir);
    write_csv(csv, 200, 60);
    setup u;
    setup_init(&u, csv, 1);
    u.ro[0].caps = OUT_HEALTH;
    u.c.replay.speed = 600;
    free_recs();
    pl *p;
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_OK);
    g_sig_pl = p;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, &old);
    pthread_t t;
    pthread_create(&t, NULL, raise_later, NULL);
    CHECK(pl_run(p, err, sizeof err) == SL_OK);
    pthread_join(t, NULL);
    sigaction(SIGUSR1, &old, NULL);
    pl_summary sm;
    pl_get_summary(p, &sm);
    CHECK(sm.stopped && !sm.finished);
    pl_close(p, err, sizeof err);
    free_recs();
    setup_free(&u);
}

/* An output that fails: the run stops with its error; outputs close without publishing. */
static void test_output_failure(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/e.csv", tmpdir);
    write_csv(csv, 300, 36);
    setup u;
    setup_init(&u, csv, 2);
    u.ro[0].caps = OUT_HEALTH;
    u.ro[1].caps = OUT_EVENTS;
    u.ro[1].fail_rows = 2;
    u.out[0].name = "a";
    u.out[1].name = "b";
    free_recs();
    pl *p;
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_OK);
    sl_err e = pl_run(p, err, sizeof err);
    CHECK(e == SL_ERR_IO);
    CHECK(strstr(err, "recorder: disk full") != NULL);
    CHECK(strstr(err, "b store") != NULL); /* the message names the output */
    pl_summary sm;
    pl_get_summary(p, &sm);
    CHECK(sm.failed && !sm.finished);
    CHECK(!g_last[0]->closed_ok && !g_last[1]->closed_ok);
    CHECK(hl_get(pl_health(p), HL_SINK_ERRORS, "b") == 1.0);
    pl_close(p, err, sizeof err);
    free_recs();
    setup_free(&u);
}

/* The history output (cold store) fails to put the hours in place: the
 * health output (hot store) drops what it wrote since its last commit
 * before committing, so no hour shows final there without its files; with
 * a history that works, every final hour is committed. */
static void test_history_failure_discards(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/e.csv", tmpdir);
    write_csv(csv, 300, 36);
    for (int fail = 0; fail <= 1; fail++) {
        setup u;
        setup_init(&u, csv, 2);
        u.ro[0].caps = OUT_HEALTH | OUT_PROVISIONAL;
        u.ro[1].caps = OUT_EVENTS;
        u.ro[1].history = 1;
        u.ro[1].fail_commit = fail ? 2 : 0; /* the first commit is pl_open's */
        u.out[0].name = "hot";
        u.out[1].name = "cold";
        free_recs();
        pl *p;
        if (pl_open(&p, &u.c, err, sizeof err) != SL_OK) {
            fprintf(stderr, "  pl_open: %s\n", err);
            CHECK(0);
            setup_free(&u);
            return;
        }
        sl_err e = pl_run(p, err, sizeof err);
        rec *hot = g_last[0], *cold = g_last[1];
        if (fail) {
            CHECK(e == SL_ERR_IO);
            CHECK(strstr(err, "recorder: commit failed") != NULL);
            CHECK_EQ_I64(hot->finals_committed, 0);
            CHECK(hot->finals_discarded >= 3);
            CHECK(hot->discards >= 1);
            CHECK_EQ_I64(hot->last_running, 0); /* the health still recorded: stopped */
            CHECK(hl_get(pl_health(p), HL_SINK_ERRORS, "cold") == 1.0);
        } else {
            CHECK(e == SL_OK);
            CHECK_EQ_I64(hot->finals_committed, 3);
            CHECK_EQ_I64(hot->finals_discarded, 0);
            CHECK_EQ_I64(hot->discards, 0);
            CHECK_EQ_I64(cold->finals, 3);
        }
        pl_close(p, err, sizeof err);
        free_recs();
        setup_free(&u);
    }
}

/* Opening: an output that cannot open fails pl_open; a missing input fails pl_run, naming it. */
static sl_err bad_open(void **st, const void *opts, const out_env *env, char *e, size_t el) {
    (void)st, (void)opts, (void)env;
    return sl_err_set(e, el, SL_ERR_IO, "cannot open the moon");
}

static void test_open_errors(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/missing.csv", tmpdir);
    setup u;
    setup_init(&u, csv, 1);
    u.ro[0].caps = OUT_HEALTH;
    out_plugin broken = out_rec;
    broken.open = bad_open;
    u.out[0].p = &broken;
    pl *p = NULL;
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "cannot open the moon") != NULL);
    CHECK(p == NULL);
    u.out[0].p = &out_rec;
    free_recs();
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_OK);
    CHECK(pl_run(p, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, "missing.csv") != NULL);
    pl_summary sm;
    pl_get_summary(p, &sm);
    CHECK(!sm.planned && sm.failed);
    pl_close(p, err, sizeof err);
    free_recs();
    setup_free(&u);
}

/* A recent-events output with a tiny buffer in a backfill next to a history
 * output: the buffer sheds, and at the end the events still inside the
 * retention are read back from the history output -- the recent output ends
 * with every event of its retention. */
static void test_shed_and_reload(void) {
    char csv[300];
    snprintf(csv, sizeof csv, "%s/f.csv", tmpdir);
    write_csv(csv, 3000, 10); /* 30000 s: 8+ hours */
    setup u;
    setup_init(&u, csv, 2);
    u.ro[0].caps = OUT_EVENTS | OUT_HEALTH;
    u.ro[0].retention_h = 2;
    u.ro[0].buffer = 64 << 10;
    u.ro[1].caps = OUT_EVENTS;
    u.ro[1].history = 1;
    u.out[0].name = "hot";
    u.out[1].name = "cold";
    free_recs();
    pl *p;
    CHECK(pl_open(&p, &u.c, err, sizeof err) == SL_OK);
    sl_err re = pl_run(p, err, sizeof err);
    CHECK(re == SL_OK);
    if (re != SL_OK) fprintf(stderr, "  %s\n", err);
    rec *hot = g_last[0], *cold = g_last[1];
    const hl_snap *h = pl_health(p);
    double shed = hl_get(h, HL_HOT_EVENTS_SHED, NULL), reloaded = hl_get(h, HL_HOT_EVENTS_RELOADED, NULL);
    double written = hl_get(h, HL_HOT_EVENTS_WRITTEN, NULL), expired = hl_get(h, HL_HOT_EVENTS_EXPIRED, NULL);
    CHECK(shed > 0);
    CHECK(reloaded > 0);
    CHECK_EQ_I64(cold->hist_events, 3000);
    CHECK(written + expired + shed == 3000.0);
    /* the newest event is at 29990 s; the retention keeps [newest - 2 h, newest] */
    int64_t newest = sl_days_from_civil(2024, 3, 1) * SL_US_PER_DAY + (int64_t)2999 * 10 * SL_US_PER_SEC;
    CHECK(hot->events_max_us == newest);
    /* every event the hot output got after the run is inside the retention or was written before it expired */
    CHECK(hot->events >= (uint64_t)(2 * 360)); /* 2 h of events, one every 10 s */
    pl_close(p, err, sizeof err);
    free_recs();
    setup_free(&u);
}

/* ------------------------------------------------------------------ the pipeline file */

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static sl_err load(const char *text, pl_conf **c, cf_doc **d) {
    char path[300];
    snprintf(path, sizeof path, "%s/p.yaml", tmpdir);
    write_file(path, text);
    *c = NULL;
    sl_err e = cf_load_file(d, path, err, sizeof err);
    if (e != SL_OK) return e;
    return pl_conf_load(c, *d, err, sizeof err);
}

static void test_config_file(void) {
    char csv[300], text[2048];
    snprintf(csv, sizeof csv, "%s/g.csv", tmpdir);
    write_csv(csv, 10, 60);
    snprintf(text, sizeof text,
             "schema: redset\n"
             "inputs:\n"
             "  - path: %s\n"
             "    source: fleet-a\n"
             "replay:\n"
             "  speed: max\n"
             "  memory: 64M\n"
             "engine:\n"
             "  lateness: 90s\n"
             "transforms:\n"
             "  - type: redset_metrics\n"
             "    k: 3\n"
             "    weights: [1, 2, 0, 1]\n"
             "outputs:\n"
             "  - type: sqlite\n"
             "    path: %s/x.db\n"
             "  - type: text\n"
             "    name: dump\n"
             "    dir: %s/text\n",
             csv, tmpdir, tmpdir);
    pl_conf *c;
    cf_doc *d;
    CHECK(load(text, &c, &d) == SL_OK);
    if (c) {
        const pl_config *cfg = pl_conf_get(c);
        CHECK_EQ_STR(cfg->schema->name, "redset");
        CHECK_EQ_I64(cfg->ninputs, 1);
        CHECK_EQ_STR(cfg->inputs[0].source, "fleet-a");
        CHECK(cfg->replay.speed == 0);
        CHECK_EQ_I64(cfg->replay.memory, 64 << 20);
        CHECK_EQ_I64(cfg->engine.lateness_us, 90 * SL_US_PER_SEC);
        CHECK_EQ_I64(cfg->engine.duration_cap_ms, 604800000); /* the schema's default */
        CHECK_EQ_I64(cfg->ntransforms, 1);
        sl_buf v;
        sl_buf_init(&v);
        sl_opt_format(sl_opt_find(cfg->transforms[0].p->opts, "k"), cfg->transforms[0].opts, &v);
        CHECK_EQ_STR(sl_buf_cstr(&v), "3");
        v.len = 0;
        sl_opt_format(sl_opt_find(cfg->transforms[0].p->opts, "weights"), cfg->transforms[0].opts, &v);
        CHECK_EQ_STR(sl_buf_cstr(&v), "1,2,0,1");
        sl_buf_free(&v);
        CHECK_EQ_I64(cfg->noutputs, 2);
        CHECK_EQ_STR(cfg->outputs[0].name, "hot");
        CHECK_EQ_STR(cfg->outputs[1].name, "dump");
        CHECK_EQ_STR(cfg->outputs[1].p->name, "text");
        CHECK(!pl_conf_serve(c)->enabled);
    }
    pl_conf_free(c);
    cf_free(d);

    /* defaults: no transforms -> the schema's own; no outputs -> one sqlite */
    snprintf(text, sizeof text, "inputs:\n  - %s\n", csv);
    CHECK(load(text, &c, &d) == SL_OK);
    if (c) {
        CHECK_EQ_I64(pl_conf_get(c)->ntransforms, 1);
        CHECK_EQ_STR(pl_conf_get(c)->transforms[0].p->name, "redset_metrics");
        CHECK_EQ_I64(pl_conf_get(c)->noutputs, 1);
        CHECK_EQ_STR(pl_conf_get(c)->outputs[0].p->name, "sqlite");
    }
    pl_conf_free(c);
    cf_free(d);
}

/* Errors name the key and the line. */
static void test_config_errors(void) {
    char csv[300], text[1024];
    snprintf(csv, sizeof csv, "%s/h.csv", tmpdir);
    write_csv(csv, 5, 60);
    static const struct {
        const char *yaml; /* %s: the CSV */
        const char *want;
    } cases[] = {
        {"inputs: [%s]\nengine:\n  lateness: soon\n", "p.yaml:3: engine.lateness: needs a duration"},
        {"inputs: [%s]\ntransforms:\n  - type: redset_metrics\n    k: 0\n", "p.yaml:4: transforms[0].k: needs an integer in 1..1000000, got '0'"},
        {"inputs: [%s]\ntransforms:\n  - type: redset_metrics\n    kk: 3\n", "p.yaml:4: transforms[0].kk: unknown key 'kk' (did you mean 'k'"},
        {"inputs: [%s]\noutputs:\n  - type: postgres\n", "p.yaml:3: outputs[0].type: no output named 'postgres'"},
        {"inputs: [%s]\noutputs:\n  - type: parquet\n", "p.yaml:3: outputs[0]: needs dir"},
        {"inputs: [%s]\nreplay:\n  from: 2024-03-02\n  to: 2024-03-01\n", "p.yaml:4: replay.to: must be after "},
        {"inputs: [%s]\nschema: nope\n", "p.yaml:2: schema: no schema named 'nope'"},
        {"inputs: [%s]\nengines: {}\n", "p.yaml:2: engines: unknown section 'engines'"},
        {"inputs:\n  - path: %s\n    format: xml\n", "p.yaml:3: inputs[0].format: no input named 'xml'"},
        {"inputs:\n  - path: %s-missing\n", "No such file or directory"},
        {"inputs: [%s]\noutputs:\n  - type: sqlite\n  - type: sqlite\n", "two outputs are named 'hot'"},
        {"inputs: [%s]\nreplay:\n  speed: fast\n", "p.yaml:3: replay.speed: needs a positive number (event seconds per wall second) or 'max', got 'fast'"},
        {"inputs: [%s]\nreplay: [1]\n", "p.yaml:2: replay: needs a map"},
        {"inputs: [%s]\nengine:\n  lateness: 1m\n  lateness: 2m\n", "p.yaml"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* the case's text with its one %s replaced by the CSV path */
        const char *pct = strstr(cases[i].yaml, "%s");
        snprintf(text, sizeof text, "%.*s%s%s", (int)(pct - cases[i].yaml), cases[i].yaml, csv, pct + 2);
        pl_conf *c;
        cf_doc *d = NULL;
        sl_err e = load(text, &c, &d);
        CHECK(e != SL_OK);
        if (!strstr(err, cases[i].want)) {
            fprintf(stderr, "  case %zu: got \"%s\", want \"%s\"\n", i, err, cases[i].want);
            CHECK(0);
        }
        pl_conf_free(c);
        cf_free(d);
    }
}

/* Flags over a file: one key of a section, an output entry by type, inputs replaced. */
static void test_flags_over_file(void) {
    char csv[300], csv2[300], text[1024];
    snprintf(csv, sizeof csv, "%s/i.csv", tmpdir);
    snprintf(csv2, sizeof csv2, "%s/j.csv", tmpdir);
    write_csv(csv, 5, 60);
    write_csv(csv2, 5, 60);
    snprintf(text, sizeof text,
             "inputs: [%s]\nreplay:\n  speed: 100\n  memory: 64M\noutputs:\n  - type: sqlite\n    path: a.db\n"
             "    retention_hours: 5\n",
             csv);
    char path[300];
    snprintf(path, sizeof path, "%s/q.yaml", tmpdir);
    write_file(path, text);
    cf_doc *file, *flags;
    CHECK(cf_load_file(&file, path, err, sizeof err) == SL_OK);
    CHECK(cf_new(&flags, NULL, err, sizeof err) == SL_OK);
    cf_node *r = cf_root(flags);
    cf_set(flags, cf_add_map(flags, r, "replay"), "speed", "max", "--speed");
    cf_node *outs = cf_add_seq(flags, r, "outputs");
    cf_node *hot = cf_add_map(flags, outs, NULL);
    cf_set(flags, hot, "type", "sqlite", "--hot");
    cf_set(flags, hot, "path", "b.db", "--hot");
    cf_node *cold = cf_add_map(flags, outs, NULL);
    cf_set(flags, cold, "type", "parquet", "--cold");
    cf_set(flags, cold, "dir", tmpdir, "--cold");
    cf_node *ins = cf_add_seq(flags, r, "inputs");
    cf_set(flags, cf_add_map(flags, ins, NULL), "path", csv2, csv2);
    CHECK(pl_conf_merge_flags(file, flags, err, sizeof err) == SL_OK);
    pl_conf *c = NULL;
    CHECK(pl_conf_load(&c, file, err, sizeof err) == SL_OK);
    if (c) {
        const pl_config *cfg = pl_conf_get(c);
        CHECK(cfg->replay.speed == 0);                   /* the flag */
        CHECK_EQ_I64(cfg->replay.memory, 64 << 20);      /* the file's, kept */
        CHECK_EQ_I64(cfg->noutputs, 2);
        CHECK_EQ_STR(cfg->outputs[1].p->name, "parquet");
        sl_buf v;
        sl_buf_init(&v);
        sl_opt_format(sl_opt_find(cfg->outputs[0].p->opts, "path"), cfg->outputs[0].opts, &v);
        CHECK_EQ_STR(sl_buf_cstr(&v), "b.db");           /* --hot replaced the file's path */
        v.len = 0;
        sl_opt_format(sl_opt_find(cfg->outputs[0].p->opts, "retention_hours"), cfg->outputs[0].opts, &v);
        CHECK_EQ_STR(sl_buf_cstr(&v), "5");              /* ... and kept its other keys */
        sl_buf_free(&v);
        CHECK_EQ_I64(cfg->ninputs, 1);
        CHECK_EQ_STR(cfg->inputs[0].path, csv2);         /* the flags' inputs replace the file's */
    }
    pl_conf_free(c);
    /* a bad flag value is reported by its flag */
    cf_set(flags, cf_add_map(flags, r, "engine"), "lateness", "soon", "--lateness");
    CHECK(pl_conf_merge_flags(file, flags, err, sizeof err) == SL_OK);
    CHECK(pl_conf_load(&c, file, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "--lateness needs a duration") == err);
    pl_conf_free(c);
    cf_free(flags);
    cf_free(file);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_pipeline.%d", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", tmpdir, tmpdir);
    if (system(cmd) != 0) return 2;
    RUN(test_run_to_the_end);
    RUN(test_timer_commits);
    RUN(test_stop);
    RUN(test_stop_from_signal);
    RUN(test_output_failure);
    RUN(test_history_failure_discards);
    RUN(test_open_errors);
    RUN(test_shed_and_reload);
    RUN(test_config_file);
    RUN(test_config_errors);
    RUN(test_flags_over_file);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) return 2;
    sl_blob_pool_drain();
    return T_DONE();
}
