/* pipeline.c: the pipeline (pipeline.h, docs/pipeline.md).
 *
 * Threads: the replay thread (sl-replay) fills batches and puts them on the
 * bus; pl_run's thread takes them off, runs the engine, and fans the
 * engine's output out to the outputs, each on its own thread behind a
 * bounded queue (async.h).  pl_run's loop is an event loop in the Redis
 * manner: it waits on the bus at most until the next timer is due; the
 * timer (tick) refreshes the provisional rows, commits the outputs and
 * writes the health snapshot, and a second timer reports progress.
 */
#include "pipeline/pipeline.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "pipeline/async.h"
#include "pipeline/bus.h"
#include "pipeline/evbuf.h"
#include "util/hashmap.h"
#include "util/time.h"
#include <inttypes.h>
#include <limits.h>

#define MAX_OUTPUTS 16

typedef struct pout {
    pl *p;
    const out_plugin *plug;
    const void *opts;
    const char *name;
    char label[64];      /* "<name> store": the output thread's name, messages */
    out_desc d;
    out_env env;         /* what it was opened with (valid until it is closed) */
    void *st;            /* the plugin's state (NULL until opened) */
    as_async *as;        /* its thread */
    en_sink q;           /* as_sink(as): calls copy and queue */
    double busy_s;
} pout;

typedef struct shared { /* written by the replay thread, under mu */
    pthread_mutex_t mu;
    int64_t position_us;
    double lag_s, max_lag_s;
    uint64_t rows;
    rp_strategy strategy;
    bool done;
    sl_err e;
    char err[SL_ERRLEN];
} shared;

typedef struct snap {
    int64_t position_us;
    double lag_s, max_lag_s;
    uint64_t rows;
    rp_strategy strategy;
} snap;

struct pl {
    pl_config c;
    sl_leftovers leftovers; /* removed at open: what dead runs left */
    char owner[24];         /* this run's owner id (docs/compose.md) */
    char *owner_desc;
    out_input *inputs;      /* the inputs by _input number, for the outputs (owner_of) */
    pout *ledger;           /* the OUT_LEDGER output, if any */
    uint64_t resumed_rows;  /* rows a checkpoint said were done */
    uint64_t ckpt_fp;       /* ckpt_fingerprint of the configuration */
    bool resume_ignored;    /* a checkpoint of another configuration was there */
    const sc_schema *s;
    en *eng;
    sl_bus *bus;
    pout out[MAX_OUTPUTS];
    size_t nout;
    /* the write-behind buffer of the output that keeps only recent events */
    eb *evb;
    pout *recent;        /* that output */
    pout *history;       /* an output that keeps every hour's events (OUT_HISTORY), or NULL */
    bool backfill;       /* speed max: drain the buffer only when full and at the end */
    uint64_t reloaded;
    /* replay */
    rp_replay *volatile r;
    pthread_t thr;
    bool thr_started;
    shared sh;
    volatile sig_atomic_t stop;
    /* state */
    double t0;
    uint64_t last_rows;
    double last_t;
    bool planned, failed, finished, ran, closed;
    uint64_t rows_done, rows_total; /* progress: rows processed; the replay's rows_total */
    hl_snap health;
};

#define NOMEM() sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory")

const sl_opt pl_opts_table[] = {
    {.name = "commit_interval", .type = SL_OPT_T_DURATION, SL_OPT_F_(pl_opts, commit_interval_us), .def = "1s",
     .min = 1e4, .max = 3.6e9, .arg = "DURATION",
     .help = "how often the outputs commit, the provisional rows are refreshed and the run checkpoints "
             "(docs/compose.md): shorter redoes less after a crash, longer costs less"},
    SL_OPT_END};

/* ------------------------------------------------------------------ output threads */

static sl_err o_rows(void *ctx, size_t t, int64_t hour, bool final, const sl_batch *rows, char *err, size_t errlen) {
    pout *o = ctx;
    return o->plug->rows ? o->plug->rows(o->st, t, hour, final, rows, err, errlen) : SL_OK;
}
static sl_err o_events(void *ctx, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                       size_t errlen) {
    pout *o = ctx;
    return o->plug->events ? o->plug->events(o->st, hour, b, idx, n, err, errlen) : SL_OK;
}
static sl_err o_final(void *ctx, int64_t hour, char *err, size_t errlen) {
    pout *o = ctx;
    return o->plug->window_final ? o->plug->window_final(o->st, hour, err, errlen) : SL_OK;
}

/* The history output's commit of a tick, awaited by the health outputs'
 * commits of the same tick: an hour is final in the hot store only once its
 * cold files are in place, and never when they failed to be (the hot store
 * then drops what it wrote since its last commit and records only the
 * health).  The processor never waits: the hot store's thread does. */
typedef struct barrier {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    bool done;
    sl_err result;
} barrier;

static barrier *barrier_new(int refs) {
    barrier *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->refs = refs;
    return b;
}

static void barrier_signal(barrier *b, sl_err r) {
    pthread_mutex_lock(&b->mu);
    if (!b->done) {
        b->done = true;
        b->result = r;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
}

static sl_err barrier_wait(barrier *b) {
    pthread_mutex_lock(&b->mu);
    while (!b->done) pthread_cond_wait(&b->cv, &b->mu);
    sl_err r = b->result;
    pthread_mutex_unlock(&b->mu);
    return r;
}

static void barrier_release(barrier *b) {
    pthread_mutex_lock(&b->mu);
    int left = --b->refs;
    pthread_mutex_unlock(&b->mu);
    if (left) return;
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}

/* A commit on the output's thread: the health series copied for it. */
typedef struct commit_job {
    pout *o;
    bool end;
    size_t n;
    const char **names;
    double *values;
    char *text;
    barrier *signal; /* the history output's commit: its result */
    barrier *wait;   /* a health output's commit: wait for the history's */
} commit_job;

static void commit_dispose(void *ctx) {
    commit_job *j = ctx;
    if (j->signal) {
        barrier_signal(j->signal, SL_ERR_IO); /* dropped after an error: not committed */
        barrier_release(j->signal);
    }
    if (j->wait) barrier_release(j->wait);
    free(j->names);
    free(j->values);
    free(j->text);
    free(j);
}

static sl_err commit_run(void *ctx, char *err, size_t errlen) {
    commit_job *j = ctx;
    pout *o = j->o;
    if (j->wait && barrier_wait(j->wait) != SL_OK && o->plug->discard) o->plug->discard(o->st);
    sl_err r = o->plug->commit ? o->plug->commit(o->st, j->names, j->values, j->n, j->end, err, errlen) : SL_OK;
    if (j->signal) barrier_signal(j->signal, r);
    return r;
}

/* Queue a commit of output o (with the health snapshot when it keeps it). */
static sl_err queue_commit(pl *p, pout *o, bool end, barrier *b, char *err, size_t errlen) {
    if (!o->plug->commit) {
        if (b && o == p->history) barrier_signal(b, SL_OK);
        if (b) barrier_release(b);
        return SL_OK;
    }
    commit_job *j = calloc(1, sizeof *j);
    if (!j) {
        if (b) {
            if (o == p->history) barrier_signal(b, SL_ERR_NOMEM);
            barrier_release(b);
        }
        return NOMEM();
    }
    j->o = o;
    j->end = end;
    if (b && o == p->history) j->signal = b;
    else if (b) j->wait = b;
    if (o->d.caps & OUT_HEALTH) {
        hl_snap *h = &p->health;
        size_t n = h->n, bytes = 0;
        for (size_t i = 0; i < n; i++) bytes += strlen(hl_series_name(h, i)) + 1;
        j->names = malloc((n ? n : 1) * sizeof *j->names);
        j->values = malloc((n ? n : 1) * sizeof *j->values);
        j->text = malloc(bytes ? bytes : 1);
        if (!j->names || !j->values || !j->text) {
            commit_dispose(j);
            return NOMEM();
        }
        char *t = j->text;
        for (size_t i = 0; i < n; i++) {
            const char *nm = hl_series_name(h, i);
            size_t l = strlen(nm) + 1;
            memcpy(t, nm, l);
            j->names[i] = t;
            j->values[i] = h->v[i].value;
            t += l;
        }
        j->n = n;
    }
    return as_call(o->as, commit_run, j, commit_dispose, err, errlen);
}

/* ------------------------------------------------------------------ the engine's sink: fan-out */

static sl_err write_recent(void *ctx, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen) {
    pl *p = ctx;
    return p->recent->q.events(p->recent->q.ctx, 0, b, idx, n, err, errlen); /* copied, queued */
}

static sl_err fwd_recent(void *ctx, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                         size_t errlen) {
    pl *p = ctx;
    p->reloaded += n;
    return p->recent->q.events(p->recent->q.ctx, hour, b, idx, n, err, errlen);
}

/* The end of a backfill that shed events: the hours that hold events still
 * inside the retention are read back from the history output (its thread
 * idle and every hour in place) and written again (an upsert by (source,
 * _input, _row): rows also still in the buffer are simply written twice).
 * Only hours from the retention cut to the newest shed row. */
static sl_err reload_shed(pl *p, char *err, size_t errlen) {
    int64_t cut = eb_cut_us(p->evb), shed_max = eb_shed_max_us(p->evb);
    if (!p->history || !p->history->plug->read_events || shed_max == INT64_MIN || shed_max < cut) return SL_OK;
    sl_err e = SL_OK;
    for (int64_t h = sl_hour_floor(cut); h <= sl_hour_floor(shed_max) && e == SL_OK; h += SL_US_PER_HOUR)
        e = p->history->plug->read_events(p->history->st, h, cut, fwd_recent, p, err, errlen);
    return e;
}

/* Hand the buffered events still inside the retention to the recent-events
 * output (the commit after it prunes what left it).  Paced, every tick.  In
 * a backfill only when the buffer is full and at the end, so most events
 * leave the retention in the buffer and are never written -- the output's
 * prune would delete them anyway.  end: also reload what was shed. */
static sl_err drain_events(pl *p, bool force, bool end, char *err, size_t errlen) {
    if (!p->evb || (!force && p->backfill)) return SL_OK;
    sl_err e = end ? reload_shed(p, err, errlen) : SL_OK;
    return e != SL_OK ? e : eb_drain(p->evb, write_recent, p, err, errlen);
}

static sl_err fan_rows(void *ctx, size_t t, int64_t hour, bool final, const sl_batch *rows, char *err, size_t errlen) {
    pl *p = ctx;
    bool quarantine = hour == INT64_MIN;
    for (size_t i = 0; i < p->nout; i++) {
        pout *o = &p->out[i];
        if (quarantine ? !(o->d.caps & OUT_QUARANTINE) : (!final && !(o->d.caps & OUT_PROVISIONAL))) continue;
        sl_err e = o->q.rows(o->q.ctx, t, hour, final, rows, err, errlen); /* copied, queued */
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

static sl_err fan_events(void *ctx, int64_t hour, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                         size_t errlen) {
    pl *p = ctx;
    for (size_t i = 0; i < p->nout; i++) {
        pout *o = &p->out[i];
        if (!(o->d.caps & OUT_EVENTS)) continue;
        sl_err e;
        if (o == p->recent) {
            e = eb_add(p->evb, b, idx, n, err, errlen);
            if (e == SL_OK && eb_over_cap(p->evb)) {
                /* Full.  A backfill with a history output drops its oldest
                 * half: the history has those rows, and the few still inside
                 * the retention at the end are read back (reload_shed).
                 * Otherwise write them now. */
                if (p->backfill && p->history) eb_shed(p->evb, eb_get_stats(p->evb).bytes / 2);
                else e = drain_events(p, true, false, err, errlen);
            }
        } else {
            e = o->q.events(o->q.ctx, hour, b, idx, n, err, errlen);
        }
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

/* A contribution or a checkpoint for the ledger output's thread: a copy of
 * the engine's bytes, with what they are for. */
typedef struct blob_job {
    pout *o;
    bool checkpoint; /* else a contribution to `hour` */
    int64_t hour;
    uint64_t rows;   /* checkpoint: rows it covers */
    size_t len;
    char bytes[];
} blob_job;

static blob_job *blob_job_new(pout *o, const void *head, size_t headlen, const void *bytes, size_t len) {
    blob_job *j = malloc(sizeof *j + headlen + len);
    if (!j) return NULL;
    memset(j, 0, sizeof *j);
    j->o = o;
    j->len = headlen + len;
    if (headlen) memcpy(j->bytes, head, headlen);
    if (len) memcpy(j->bytes + headlen, bytes, len);
    return j;
}

/* A contribution is packed (compressed) here, on the output's thread, not the processor's. */
static sl_err blob_run(void *ctx, char *err, size_t errlen) {
    blob_job *j = ctx;
    if (j->checkpoint) return j->o->plug->checkpoint(j->o->st, j->bytes, j->len, j->rows, err, errlen);
    uint8_t *z;
    size_t zn;
    sl_err e = en_contrib_pack(j->bytes, j->len, &z, &zn, err, errlen);
    if (e != SL_OK) return e;
    e = j->o->plug->contribution(j->o->st, j->hour, z, zn, err, errlen);
    free(z);
    return e;
}

static sl_err fan_contribution(void *ctx, int64_t hour, const void *bytes, size_t len, char *err, size_t errlen) {
    pl *p = ctx;
    pout *o = p->ledger;
    if (!o) return SL_OK;
    blob_job *j = blob_job_new(o, NULL, 0, bytes, len);
    if (!j) return NOMEM();
    j->hour = hour;
    return as_call(o->as, blob_run, j, free, err, errlen);
}

/* Queue the engine's checkpoint (or, done: its removal) before the ledger's commit. */
static sl_err queue_checkpoint(pl *p, bool done, char *err, size_t errlen) {
    pout *o = p->ledger;
    if (!o || !o->plug->checkpoint) return SL_OK;
    const void *bytes = NULL;
    size_t len = 0;
    if (!done) {
        sl_err e = en_checkpoint(p->eng, &bytes, &len, err, errlen);
        if (e != SL_OK) return e;
    }
    /* done: an empty blob deletes it; else the options' fingerprint, then the engine's bytes */
    blob_job *j = len ? blob_job_new(o, &p->ckpt_fp, 8, bytes, len) : blob_job_new(o, NULL, 0, NULL, 0);
    if (!j) return NOMEM();
    j->checkpoint = true;
    j->rows = en_get_stats(p->eng)->clean.rows;
    return as_call(o->as, blob_run, j, free, err, errlen);
}

/* What must not change for a checkpoint to be resumed: the replay's order
 * and batches, the engine's rules, the transforms' options. */
static uint64_t ckpt_fingerprint(const pl_config *c) {
    uint64_t h = hm_hash_bytes(c->schema->name, strlen(c->schema->name));
    h = hm_hash2(h, 2); /* the checkpoint's format (engine.c, "SLK2") */
    h = hm_hash2(h, (uint64_t)c->replay.batch_rows);
    h = hm_hash2(h, (uint64_t)c->engine.lateness_us);
    h = hm_hash2(h, (uint64_t)c->engine.duration_cap_ms);
    for (size_t t = 0; t < c->ntransforms; t++) {
        h = hm_hash2(h, hm_hash_bytes(c->transforms[t].p->name, strlen(c->transforms[t].p->name)));
        if (c->transforms[t].opts && c->transforms[t].p->opts_size)
            h = hm_hash2(h, hm_hash_bytes(c->transforms[t].opts, c->transforms[t].p->opts_size));
    }
    return h;
}

static sl_err on_checkpoint(void *ctx, const void *bytes, size_t len, char *err, size_t errlen) {
    pl *p = ctx;
    uint64_t fp = 0;
    if (len >= 8) memcpy(&fp, bytes, 8);
    if (len < 8 || fp != p->ckpt_fp) { /* another configuration: start over (the owner's results are replaced) */
        p->resume_ignored = true;
        return SL_OK;
    }
    sl_err e = en_restore(p->eng, (const char *)bytes + 8, len - 8, err, errlen);
    if (e == SL_OK) p->resumed_rows = en_resume_rows(p->eng);
    return e;
}

/* The other runs' contributions, read on this (the processor's) thread. */
static sl_err ledger_load(void *ctx, int64_t hour, en_contrib_fn fn, void *fnctx, char *err, size_t errlen) {
    pout *o = ctx;
    return o->plug->ledger_load(o->st, hour, fn, fnctx, err, errlen);
}

static sl_err ledger_coverage(void *ctx, en_span_fn fn, void *fnctx, char *err, size_t errlen) {
    pout *o = ctx;
    return o->plug->ledger_coverage(o->st, fn, fnctx, err, errlen);
}

static sl_err ledger_hours(void *ctx, int64_t lo, int64_t hi, en_hour_fn fn, void *fnctx, char *err, size_t errlen) {
    pout *o = ctx;
    return o->plug->ledger_hours(o->st, lo, hi, fn, fnctx, err, errlen);
}

/* A partial window (engine.h) on each output's thread. */
typedef struct partial_job {
    pout *o;
    int64_t hour;
} partial_job;

static sl_err partial_run(void *ctx, char *err, size_t errlen) {
    partial_job *j = ctx;
    return j->o->plug->window_partial(j->o->st, j->hour, err, errlen);
}

static sl_err fan_partial(void *ctx, int64_t hour, char *err, size_t errlen) {
    pl *p = ctx;
    for (size_t i = 0; i < p->nout; i++) {
        pout *o = &p->out[i];
        if (!o->plug->window_partial) continue;
        partial_job *j = malloc(sizeof *j);
        if (!j) return NOMEM();
        j->o = o;
        j->hour = hour;
        sl_err e = as_call(o->as, partial_run, j, free, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

/* History outputs publish first, then the others mark the hour final in
 * their open transaction, which commits only once the history's commit of
 * the same tick has put the hour's files in place (the barrier above). */
static sl_err fan_final(void *ctx, int64_t hour, char *err, size_t errlen) {
    pl *p = ctx;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < p->nout; i++) {
            pout *o = &p->out[i];
            if (((o->d.caps & OUT_HISTORY) != 0) != (pass == 0)) continue;
            sl_err e = o->q.window_final(o->q.ctx, hour, err, errlen);
            if (e != SL_OK) return e;
        }
    return SL_OK;
}

/* ------------------------------------------------------------------ the run's owner */

static void free_inputs(pl *p) {
    for (size_t i = 0; p->inputs && i < p->c.ninputs; i++) {
        free((char *)p->inputs[i].path);
        free((char *)p->inputs[i].source);
    }
    free(p->inputs);
    p->inputs = NULL;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Who this run is (docs/compose.md): its inputs (absolute paths, with their
 * source labels, in sorted order) and its event-time range.  The same
 * command over the same files is the same owner, whatever the order of its
 * inputs; the id is a 64-bit hash of the description, in hex. */
static sl_err owner_of(const pl_config *c, char id[24], char **desc, out_input *ins, char *err, size_t errlen) {
    char **ent = calloc(c->ninputs ? c->ninputs : 1, sizeof *ent);
    if (!ent) return NOMEM();
    sl_err e = SL_OK;
    for (size_t i = 0; i < c->ninputs && e == SL_OK; i++) {
        const rp_replay_input *in = &c->inputs[i];
        char src[256];
        if (in->source) snprintf(src, sizeof src, "%s", in->source);
        else rp_default_source(in->path, src, sizeof src);
        char *abs = realpath(in->path, NULL);
        /* the input as the outputs record it (the hot store's inputs table):
         * the same path and source as in the description */
        const in_plugin *f = in->format ? in->format : rp_detect_format(in->path, NULL, 0, c->replay.formats);
        ins[i].format = f ? f->name : NULL;
        if (!(ins[i].path = strdup(abs ? abs : in->path)) || !(ins[i].source = strdup(src))) e = NOMEM();
        sl_buf b;
        sl_buf_init(&b);
        sl_buf_printf(&b, "%s (source %s)", abs ? abs : in->path, src);
        free(abs);
        if (b.oom || !(ent[i] = strdup(sl_buf_cstr(&b)))) e = NOMEM();
        sl_buf_free(&b);
    }
    if (e == SL_OK) {
        qsort(ent, c->ninputs, sizeof *ent, cmp_cstr);
        sl_buf b;
        sl_buf_init(&b);
        sl_buf_puts(&b, "inputs: ");
        for (size_t i = 0; i < c->ninputs; i++) sl_buf_printf(&b, "%s%s", i ? ", " : "", ent[i]);
        char t[40];
        sl_buf_puts(&b, "; from: ");
        if (c->replay.from_us == INT64_MIN) sl_buf_puts(&b, "open");
        else {
            sl_fmt_time(t, sizeof t, c->replay.from_us, SL_TIME_ISO);
            sl_buf_puts(&b, t);
        }
        sl_buf_puts(&b, "; to: ");
        if (c->replay.to_us == INT64_MAX) sl_buf_puts(&b, "open");
        else {
            sl_fmt_time(t, sizeof t, c->replay.to_us, SL_TIME_ISO);
            sl_buf_puts(&b, t);
        }
        if (b.oom || !(*desc = strdup(sl_buf_cstr(&b)))) e = NOMEM();
        else snprintf(id, 24, "%016" PRIx64, hm_hash_bytes(b.p, b.len));
        sl_buf_free(&b);
    }
    for (size_t i = 0; i < c->ninputs; i++) free(ent[i]);
    free(ent);
    return e;
}

/* ------------------------------------------------------------------ replay thread */

static void publish_replay(pl *p) {
    const rp_replay_stats *st = rp_replay_get_stats(p->r);
    pthread_mutex_lock(&p->sh.mu);
    p->sh.position_us = st->position_us;
    p->sh.lag_s = st->lag_s;
    p->sh.max_lag_s = st->max_lag_s;
    p->sh.rows = st->rows;
    p->sh.strategy = st->order.strategy;
    pthread_mutex_unlock(&p->sh.mu);
}

static snap take_snap(pl *p) {
    snap s;
    pthread_mutex_lock(&p->sh.mu);
    s.position_us = p->sh.position_us;
    s.lag_s = p->sh.lag_s;
    s.max_lag_s = p->sh.max_lag_s;
    s.rows = p->sh.rows;
    s.strategy = p->sh.strategy;
    pthread_mutex_unlock(&p->sh.mu);
    return s;
}

static void *replay_main(void *arg) {
#if defined(__linux__)
    prctl(PR_SET_NAME, "sl-replay", 0, 0, 0); /* top -H, perf --sort comm */
#endif
    pl *p = arg;
    sl_batch *b = NULL;
    char err[SL_ERRLEN];
    sl_err fail = SL_OK;
    for (;;) {
        if (!b) {
            b = sl_bus_take_free(p->bus);
            if (!b) {
                b = malloc(sizeof *b);
                if (!b) {
                    fail = sl_err_set(err, sizeof err, SL_ERR_NOMEM, "out of memory");
                    break;
                }
                sl_batch_init(b);
                if ((fail = sc_init_batch(p->s, b, err, sizeof err)) != SL_OK) break;
            }
        }
        long n = rp_replay_next(p->r, b, 0.25, err, sizeof err);
        publish_replay(p);
        if (n == RP_REPLAY_AGAIN) continue;
        if (n < 0) {
            fail = (sl_err)n;
            break;
        }
        if (n == 0) break;
        if (sl_bus_put(p->bus, b, err, sizeof err) != SL_OK) break; /* the processor stopped (its error is reported) */
        b = NULL;
    }
    if (b) {
        sl_batch_free(b);
        free(b);
    }
    pthread_mutex_lock(&p->sh.mu);
    p->sh.done = true;
    if (fail != SL_OK) {
        p->sh.e = fail;
        snprintf(p->sh.err, sizeof p->sh.err, "%s", err);
    }
    pthread_mutex_unlock(&p->sh.mu);
    sl_bus_close_producer(p->bus);
    sl_blob_pool_drain(); /* this thread's pooled page blocks */
    return NULL;
}

/* Threads the pipeline starts do not take the process's signals: they reach
 * the thread that installed the handlers. */
static void block_signals(sigset_t *old) {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, old);
}

/* ------------------------------------------------------------------ health */

static double ts_seconds(int64_t us) { return us == INT64_MIN ? NAN : (double)us / 1e6; }

static void fill_health(pl *p, const snap *sn, double rate, double uptime, bool running) {
    hl_snap *h = &p->health;
    const en_stats *es = en_get_stats(p->eng);
    const sc_schema *s = p->s;
    hl_snap_clear(h);
    hl_put(h, HL_EVENTS_READ, NULL, (double)es->clean.rows);
    hl_put(h, HL_EVENTS_ACCEPTED, NULL, (double)es->accepted);
    hl_put(h, HL_EVENTS_REPAIRED, NULL, (double)es->clean.repaired_rows);
    for (size_t k = 0; k < s->nrepair; k++)
        hl_put(h, HL_REPAIRS, s->cols[s->repair_cols[k]].name, (double)es->clean.repaired[s->repair_cols[k]]);
    hl_put(h, HL_BAD_ID_TOKENS, NULL, (double)es->clean.bad_id_tokens);
    for (size_t r = 1; r < s->nreasons; r++) hl_put(h, HL_EVENTS_BAD, s->reasons[r].name, (double)es->clean.bad[r]);
    hl_put(h, HL_EVENTS_DUPLICATE, NULL, (double)es->duplicates);
    hl_put(h, HL_EVENTS_LATE, NULL, (double)es->late);
    hl_put(h, HL_REPLAY_ROWS, NULL, (double)sn->rows);
    hl_put(h, HL_REPLAY_POSITION, NULL, ts_seconds(sn->position_us));
    hl_put(h, HL_REPLAY_LAG, NULL, sn->lag_s);
    hl_put(h, HL_REPLAY_MAX_LAG, NULL, sn->max_lag_s);
    hl_put(h, HL_WATERMARK, NULL, ts_seconds(es->watermark_us));
    hl_put(h, HL_OPEN_WINDOWS, NULL, (double)es->open_windows);
    hl_put(h, HL_WINDOWS_FINAL, NULL, (double)es->windows_final);
    sl_bus_stats bs;
    memset(&bs, 0, sizeof bs);
    if (p->bus) sl_bus_stats_get(p->bus, &bs);
    hl_put(h, HL_BUS_DEPTH, NULL, (double)bs.depth);
    hl_put(h, HL_BUS_MAX_DEPTH, NULL, (double)bs.max_depth);
    hl_put(h, HL_BUS_PRODUCER_WAITS, NULL, (double)bs.producer_waits);
    hl_put(h, HL_BUS_PRODUCER_WAIT_SECONDS, NULL, bs.producer_wait_s);
    for (size_t i = 0; i < p->nout; i++) {
        pout *o = &p->out[i];
        if (!o->as) continue;
        as_stats st = as_get_stats(o->as);
        hl_put(h, HL_SINK_WRITE_SECONDS, o->name, st.busy_s);
        hl_put(h, HL_SINK_WRITE_MAX_SECONDS, o->name, st.max_call_s);
        hl_put(h, HL_SINK_ERRORS, o->name, (double)st.errors);
        hl_put(h, HL_SINK_QUEUE_BYTES, o->name, (double)st.queued_bytes);
        hl_put(h, HL_SINK_QUEUE_WAIT_SECONDS, o->name, st.wait_s);
        if (o->plug->health && o->st) o->plug->health(o->st, h);
    }
    if (p->evb) {
        eb_stats st = eb_get_stats(p->evb);
        hl_put(h, HL_HOT_EVENTS_BUFFERED, NULL, (double)st.rows);
        hl_put(h, HL_HOT_EVENTS_BUFFER_PEAK_BYTES, NULL, (double)st.peak_bytes);
        hl_put(h, HL_HOT_EVENTS_WRITTEN, NULL, (double)st.written);
        hl_put(h, HL_HOT_EVENTS_EXPIRED, NULL, (double)st.expired);
        hl_put(h, HL_HOT_EVENTS_SHED, NULL, (double)st.shed);
        hl_put(h, HL_HOT_EVENTS_RELOADED, NULL, (double)p->reloaded);
    }
    hl_put(h, HL_EVENTS_PER_SECOND, NULL, rate);
    hl_put(h, HL_UPTIME, NULL, uptime);
    hl_put(h, HL_RUNNING, NULL, running ? 1.0 : 0.0);
}

/* ------------------------------------------------------------------ the timer */

/* Provisional rows of the open windows (when something changed), commits
 * and the health snapshot.  running = false: the end of the run (every
 * queue drained and synced; shed events reloaded). */
static sl_err tick(pl *p, bool running, bool refresh, char *err, size_t errlen) {
    const en_stats *es = en_get_stats(p->eng);
    sl_err e, first = SL_OK;
    /* while running, the first error stops the tick (and the run); at the
     * end every output still gets its commit and the final counters */
    barrier *bar = NULL;
    int bar_left = 0; /* references of health outputs not yet queued */
#define STEP(call)                                   \
    do {                                             \
        if ((e = (call)) != SL_OK) {                 \
            if (running) {                           \
                while (bar_left-- > 0) barrier_release(bar); \
                return e;                            \
            }                                        \
            if (first == SL_OK) {                    \
                first = e;                           \
                err = e2; /* keep the first message */ \
                errlen = sizeof e2;                  \
            }                                        \
        }                                            \
    } while (0)
    char e2[SL_ERRLEN];
    if (refresh && es->clean.rows != p->last_rows) STEP(en_refresh(p->eng, err, errlen));
    double now = sl_now_mono();
    double rate = now > p->last_t ? (double)(es->clean.rows - p->last_rows) / (now - p->last_t) : 0.0;
    p->last_rows = es->clean.rows;
    p->last_t = now;
    snap sn = take_snap(p);
    /* the health outputs' commits wait for the history output's (barrier above) */
    int nhealth = 0;
    for (size_t i = 0; i < p->nout; i++) nhealth += (p->out[i].d.caps & OUT_HEALTH) != 0;
    bar = p->history && nhealth ? barrier_new(1 + nhealth) : NULL;
    if (p->history && nhealth && !bar) return NOMEM();
    bar_left = bar ? nhealth : 0;
    /* outputs without the health first (the cold store puts the hours in place) */
    for (size_t i = 0; i < p->nout; i++) {
        pout *o = &p->out[i];
        if (o->d.caps & OUT_HEALTH) continue;
        /* the history's commit signals the barrier when it runs, or fails when
         * it cannot (an earlier error: the health outputs then discard) */
        STEP(queue_commit(p, o, !running, o == p->history ? bar : NULL, err, errlen));
        if (!running) STEP(as_sync(o->as, err, errlen)); /* the end: everything in place */
    }
    if (first == SL_OK) STEP(drain_events(p, !running, !running, err, errlen));
    for (size_t i = 0; !running && i < p->nout; i++) /* the end: final counters below */
        if (p->out[i].d.caps & OUT_HEALTH) STEP(as_sync(p->out[i].as, err, errlen));
    /* the last commit of a run: nothing flows any more (the rate of the last
     * interval would otherwise stay in the store after the run) */
    fill_health(p, &sn, running ? rate : 0.0, now - p->t0, running);
    /* the checkpoint goes into the ledger's transaction of this commit; a
     * run that finished removes it */
    if (p->eng && p->ledger) STEP(queue_checkpoint(p, !running && p->finished && !p->failed, err, errlen));
    for (size_t i = 0; i < p->nout; i++) {
        pout *o = &p->out[i];
        if (!(o->d.caps & OUT_HEALTH)) continue;
        if (bar) bar_left--; /* queue_commit takes the reference */
        STEP(queue_commit(p, o, !running, bar, err, errlen));
        if (!running) STEP(as_sync(o->as, err, errlen)); /* the end: all committed */
    }
#undef STEP
    /* the next health snapshot reports the longest output call of its interval */
    for (size_t i = 0; i < p->nout; i++) as_stats_reset_max(p->out[i].as);
    return first; /* its message is in the caller's buffer: later ones went to e2 */
}

/* ------------------------------------------------------------------ open / close */

static sl_err close_outputs(pl *p, bool ok, char *err, size_t errlen) {
    sl_err first = SL_OK;
    /* outputs without the health first, the one that records the final counters last */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < p->nout; i++) {
            pout *o = &p->out[i];
            if (((o->d.caps & OUT_HEALTH) != 0) != (pass == 1)) continue;
            if (o->as) {
                o->busy_s = as_get_stats(o->as).busy_s;
                as_close(o->as);
                o->as = NULL;
            }
            if (o->st) {
                char e2[SL_ERRLEN];
                sl_err e = o->plug->close(o->st, ok, e2, sizeof e2);
                o->st = NULL;
                if (e != SL_OK && first == SL_OK) {
                    first = e;
                    sl_err_set(err, errlen, e, "%s", e2);
                }
            }
        }
    p->closed = true;
    return first;
}

sl_err pl_open(pl **out, const pl_config *c, char *err, size_t errlen) {
    *out = NULL;
    if (!c->schema) return sl_err_set(err, errlen, SL_ERR_ARG, "pipeline: no schema");
    if (c->ninputs == 0) return sl_err_set(err, errlen, SL_ERR_ARG, "pipeline: no input");
    if (c->noutputs > MAX_OUTPUTS)
        return sl_err_set(err, errlen, SL_ERR_ARG, "pipeline: %zu outputs, at most %d", c->noutputs, MAX_OUTPUTS);
    pl *p = calloc(1, sizeof *p);
    if (!p) return NOMEM();
    p->c = *c;
    p->s = c->schema;
    p->t0 = p->last_t = sl_now_mono();
    pthread_mutex_init(&p->sh.mu, NULL);
    p->sh.position_us = INT64_MIN;
    hl_snap_init(&p->health);
    if (!p->c.tick_s) p->c.tick_s = 1.0;
    if (!p->c.progress_s) p->c.progress_s = 0.25;
    if (!p->c.bus_batches) p->c.bus_batches = 8;
    if (!p->c.queue_bytes) p->c.queue_bytes = (size_t)64 << 20;
    p->backfill = c->replay.speed <= 0;

    en_sink sink = {
        .ctx = p, .rows = fan_rows, .events = fan_events, .window_final = fan_final, .window_partial = fan_partial};
    p->inputs = calloc(c->ninputs, sizeof *p->inputs);
    sl_err oe = p->inputs ? owner_of(c, p->owner, &p->owner_desc, p->inputs, err, errlen) : NOMEM();
    if (oe != SL_OK) {
        free_inputs(p);
        free(p);
        return oe;
    }
    for (size_t i = 0; i < c->noutputs; i++) {
        out_desc d0;
        memset(&d0, 0, sizeof d0);
        c->outputs[i].p->describe(c->outputs[i].opts, &d0);
        if ((d0.caps & OUT_LEDGER) && c->outputs[i].p->contribution && c->outputs[i].p->ledger_load)
            sink.contribution = fan_contribution;
    }
    /* Spill directories of dead runs (their PID is gone: util/leftover.h); an
     * unreadable temporary directory is the replay's error, if it spills. */
    const char *tmpbase = c->replay.tmpdir && *c->replay.tmpdir ? c->replay.tmpdir : getenv("TMPDIR");
    char ignore[64];
    (void)sl_sweep_spill_dirs(tmpbase && *tmpbase ? tmpbase : "/tmp", &p->leftovers, ignore, sizeof ignore);
    sl_err e = en_open(&p->eng, p->s, &c->engine, c->transforms, c->ntransforms, &sink, err, errlen);
    const tb_list *tables = e == SL_OK ? en_tables(p->eng) : NULL;
    if (e == SL_OK) en_set_span(p->eng, c->replay.from_us, c->replay.to_us);
    /* Outputs first: a bad path fails before any planning work. */
    for (size_t i = 0; e == SL_OK && i < c->noutputs; i++) {
        pout *o = &p->out[i];
        o->p = p;
        o->plug = c->outputs[i].p;
        o->opts = c->outputs[i].opts;
        o->name = c->outputs[i].name ? c->outputs[i].name : o->plug->instance;
        snprintf(o->label, sizeof o->label, "%s store", o->name);
        o->plug->describe(o->opts, &o->d);
        p->nout = i + 1;
        o->env = (out_env){.name = o->name,
                           .schema = p->s,
                           .tables = tables,
                           .events_table = en_table_events(p->eng),
                           .leftovers = &p->leftovers,
                           .owner = p->owner,
                           .owner_desc = p->owner_desc,
                           .owner_from_us = c->replay.from_us,
                           .owner_to_us = c->replay.to_us,
                           .inputs = p->inputs,
                           .ninputs = c->ninputs};
        if (o->plug->check && (e = o->plug->check(o->opts, err, errlen)) != SL_OK) break;
        if ((e = o->plug->open(&o->st, o->opts, &o->env, err, errlen)) != SL_OK) {
            o->st = NULL;
            break;
        }
        if ((o->d.caps & OUT_HISTORY) && !p->history) p->history = o;
        if ((o->d.caps & OUT_LEDGER) && o->plug->contribution && o->plug->ledger_load && !p->ledger) {
            p->ledger = o;
            en_ledger l = {.ctx = o,
                           .load = ledger_load,
                           .coverage = o->plug->ledger_coverage ? ledger_coverage : NULL,
                           .hours = o->plug->ledger_hours ? ledger_hours : NULL};
            en_set_ledger(p->eng, &l);
        }
        if ((o->d.caps & OUT_EVENTS) && o->d.events_retention_us > 0 && !p->recent) p->recent = o;
    }
    /* resume from this owner's checkpoint, when a run of it stopped before its end */
    p->ckpt_fp = ckpt_fingerprint(c);
    if (e == SL_OK && p->ledger && p->ledger->plug->checkpoint_load)
        e = p->ledger->plug->checkpoint_load(p->ledger->st, on_checkpoint, p, err, errlen);
    if (e == SL_OK && p->recent &&
        (e = eb_open(&p->evb, p->s, p->recent->d.events_retention_us,
                     p->recent->d.events_buffer_bytes ? p->recent->d.events_buffer_bytes : (size_t)256 << 20, err,
                     errlen)) != SL_OK)
        p->recent = NULL;
    sigset_t old;
    block_signals(&old);
    for (size_t i = 0; e == SL_OK && i < p->nout; i++) {
        pout *o = &p->out[i];
        en_sink inner = {.ctx = o, .rows = o_rows, .events = o_events, .window_final = o_final};
        if ((e = as_open(&o->as, o->label, inner, (size_t)p->s->row + 1, p->c.queue_bytes, err, errlen)) != SL_OK) break;
        o->q = as_sink(o->as);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e == SL_OK) e = sl_bus_mem_open(&p->bus, p->c.bus_batches, err, errlen);
    /* the health rows exist (running = 1) while the order is planned */
    if (e == SL_OK) e = tick(p, true, false, err, errlen);
    for (size_t i = 0; e == SL_OK && i < p->nout; i++) e = as_sync(p->out[i].as, err, errlen);
    if (e != SL_OK) {
        char e2[SL_ERRLEN];
        close_outputs(p, false, e2, sizeof e2);
        p->closed = true;
        pl_close(p, e2, sizeof e2);
        return e;
    }
    *out = p;
    return SL_OK;
}

void pl_stop(pl *p) {
    if (!p) return;
    p->stop = 1;
    rp_replay *r = p->r;
    if (r) rp_replay_stop(r);
}

/* ------------------------------------------------------------------ run */

sl_err pl_run(pl *p, char *err, size_t errlen) {
    if (p->ran) return sl_err_set(err, errlen, SL_ERR_ARG, "pl_run: the pipeline ran already");
    p->ran = true;
    sl_err e = SL_OK, result = SL_OK;
    rp_replay_opts ro = p->c.replay;
    ro.schema = p->s;
    int64_t rus;
    if (p->resumed_rows && en_resume_from(p->eng, &rus)) { /* the rows before were done */
        ro.resume = true;
        ro.resume_us = rus;
    }
    if (p->c.on_progress) {
        pl_progress pg = {.engine = en_get_stats(p->eng), .position_us = INT64_MIN};
        p->c.on_progress(p->c.progress_ctx, &pg);
    }
    rp_replay *r = NULL;
    e = rp_replay_open(&r, p->c.inputs, p->c.ninputs, &ro, err, errlen);
    if (e != SL_OK) {
        /* stopped while planning: the error is a consequence (the order's
         * files were removed under it); report the stop */
        if (!p->stop) {
            p->failed = true;
            result = e;
        }
        goto drained;
    }
    p->r = r;
    p->rows_total = rp_replay_get_stats(r)->rows_total; /* before the replay thread starts */
    p->planned = true;
    if (p->stop) rp_replay_stop(r); /* a stop between open and here */
    publish_replay(p);
    {
        sigset_t old;
        block_signals(&old);
        int pe = pthread_create(&p->thr, NULL, replay_main, p);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (pe != 0) {
            result = sl_err_set(err, errlen, SL_ERR_IO, "cannot start the replay thread: %s", strerror(pe));
            p->failed = true;
            goto drained;
        }
        p->thr_started = true;
    }

    /* The processor and the event loop: everything the bus delivers is
     * processed; the timers run between batches. */
    {
        double next_tick = sl_now_mono() + p->c.tick_s, next_prog = 0;
        for (;;) {
            double now = sl_now_mono();
            double wait = next_tick - now;
            if (wait > 0.25) wait = 0.25;
            if (wait < 0) wait = 0;
            sl_batch *b = NULL;
            int g = sl_bus_get(p->bus, &b, wait);
            if (g == 1) {
                p->rows_done += b->nrows;
                e = en_process(p->eng, b, err, errlen);
                sl_bus_recycle(p->bus, b);
                if (e != SL_OK) {
                    result = e;
                    p->failed = true;
                    break;
                }
            } else if (g < 0) {
                break; /* the replay ended (or stopped) and the bus is empty */
            }
            now = sl_now_mono();
            if (now >= next_tick) {
                if ((e = tick(p, true, true, err, errlen)) != SL_OK) {
                    result = e;
                    p->failed = true;
                    break;
                }
                next_tick = now + p->c.tick_s;
            }
            if (p->c.on_progress && now >= next_prog) {
                snap sn = take_snap(p);
                const en_stats *es = en_get_stats(p->eng);
                double dt = now - p->t0;
                pl_progress pg = {.engine = es,
                                  .position_us = sn.position_us,
                                  .lag_s = sn.lag_s,
                                  .rate = dt > 0 ? (double)es->clean.rows / dt : 0.0,
                                  .planned = true,
                                  .rows_done = p->rows_done,
                                  .rows_total = p->rows_total};
                p->c.on_progress(p->c.progress_ctx, &pg);
                next_prog = now + p->c.progress_s;
            }
        }
    }
    if (p->failed) {
        /* stop the producer: the replay ends, a blocked put returns */
        rp_replay_stop(r);
        sl_bus_close_consumer(p->bus);
    }
    pthread_join(p->thr, NULL);
    p->thr_started = false;
    if (!p->failed) {
        pthread_mutex_lock(&p->sh.mu);
        sl_err re = p->sh.e;
        if (re != SL_OK && !p->stop) {
            result = sl_err_set(err, errlen, re, "%s", p->sh.err);
            p->failed = true;
        }
        pthread_mutex_unlock(&p->sh.mu);
    }
    publish_replay(p);
    if (p->c.on_progress && !p->failed) { /* the last word: where the replay ended */
        snap sn = take_snap(p);
        const en_stats *es = en_get_stats(p->eng);
        double dt = sl_now_mono() - p->t0;
        pl_progress pg = {.engine = es,
                          .position_us = sn.position_us,
                          .lag_s = sn.lag_s,
                          .rate = dt > 0 ? (double)es->clean.rows / dt : 0.0,
                          .planned = true,
                          .final = true,
                          .rows_done = p->rows_done,
                          .rows_total = p->rows_total};
        p->c.on_progress(p->c.progress_ctx, &pg);
    }

drained:
    /* End of input: finalize every open window.  Stopped or failed: the open
     * windows stay provisional (written by the last tick below). */
    if (!p->failed && !p->stop && p->planned) {
        if ((e = en_finish(p->eng, err, errlen)) != SL_OK) {
            result = e;
            p->failed = true;
        } else {
            p->finished = true;
        }
    }
    /* after a failure in an output, do not touch the outputs' data again;
     * still try to record the final counters */
    char e2[SL_ERRLEN];
    e = tick(p, false, !p->finished && !p->failed, result == SL_OK ? err : e2, result == SL_OK ? errlen : sizeof e2);
    if (e != SL_OK && result == SL_OK) {
        result = e;
        p->failed = true;
    }
    e = close_outputs(p, !p->failed, result == SL_OK ? err : e2, result == SL_OK ? errlen : sizeof e2);
    if (e != SL_OK && result == SL_OK) {
        result = e;
        p->failed = true;
    }
    /* an output that failed after the engine finalized the windows (its
     * thread reports late) did not take them: the run did not finish */
    if (p->failed) p->finished = false;
    return result;
}

/* ------------------------------------------------------------------ summary, close */

void pl_get_summary(pl *p, pl_summary *s) {
    memset(s, 0, sizeof *s);
    s->engine = *en_get_stats(p->eng);
    snap sn = take_snap(p);
    s->replay_rows = sn.rows;
    s->position_us = sn.position_us;
    s->max_lag_s = sn.max_lag_s;
    s->strategy = sn.strategy;
    s->planned = p->planned;
    s->stopped = p->stop != 0;
    s->failed = p->failed;
    s->finished = p->finished;
    s->seconds = sl_now_mono() - p->t0;
    double hp = hl_get(&p->health, HL_COLD_HOURS_PUBLISHED, NULL);
    s->cold_hours_published = isnan(hp) ? 0 : (uint64_t)hp;
    s->leftovers = p->leftovers;
    s->resumed_rows = p->resumed_rows;
    s->resume_from_us = INT64_MIN;
    if (p->resumed_rows) en_resume_from(p->eng, &s->resume_from_us);
    if (p->r) s->resume_unread_rows = rp_replay_get_stats(p->r)->order.rows_resumed;
    s->resume_ignored = p->resume_ignored;
    s->noutputs = p->nout;
    for (size_t i = 0; i < p->nout; i++) {
        pout *o = &p->out[i];
        s->outputs[i] = (pl_output_summary){o->name, o->plug->name, o->d.location,
                                            o->as ? as_get_stats(o->as).busy_s : o->busy_s};
    }
}

const hl_snap *pl_health(pl *p) { return &p->health; }

sl_err pl_close(pl *p, char *err, size_t errlen) {
    if (!p) return SL_OK;
    sl_err e = SL_OK;
    if (p->thr_started) { /* not reached after pl_run: joined there */
        if (p->r) rp_replay_stop(p->r);
        sl_bus_close_consumer(p->bus);
        pthread_join(p->thr, NULL);
    }
    if (!p->closed) e = close_outputs(p, false, err, errlen);
    rp_replay *r = p->r;
    p->r = NULL;
    rp_replay_close(r); /* removes the order's temporary files */
    sl_bus_free(p->bus);
    en_close(p->eng);
    eb_close(p->evb);
    hl_snap_free(&p->health);
    pthread_mutex_destroy(&p->sh.mu);
    free(p->owner_desc);
    free_inputs(p);
    free(p);
    return e;
}
