/* replay.c: inputs -> order -> pacer (see replay.h). */
#include "replay/replay.h"

#include <stdlib.h>
#include <string.h>
#include "util/opt.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "replay/pace.h"

struct rp_replay {
    rp_replay_opts o;
    rp_input **inputs;
    size_t ninputs;
    rp_order *order;
    rp_pacer pacer;
    sl_batch cur;        /* rows from the order not yet released: [pos, cur.nrows) */
    size_t pos;
    int64_t *ts;         /* pacing times of cur (INT64_MIN = always due) */
    int64_t last_ts;     /* last plausible arrival time seen (INT64_MIN: none) */
    size_t ts_cap;
    bool eof;
    volatile sig_atomic_t stop;
    rp_replay_stats st;
};

/* "max" (as fast as possible) or a positive number of event seconds per wall second. */
static sl_err parse_speed(void *field, const char *v, char *err, size_t errlen) {
    (void)err, (void)errlen;
    double *d = field;
    if (!strcmp(v, "max")) {
        *d = 0;
        return SL_OK;
    }
    char *end;
    double s = strtod(v, &end);
    if (end == v || *end || !(s > 0) || !isfinite(s)) return SL_ERR_ARG;
    *d = s;
    return SL_OK;
}

static void format_speed(const void *field, sl_buf *out) {
    double d;
    memcpy(&d, field, sizeof d);
    if (d <= 0) sl_buf_puts(out, "max");
    else sl_buf_printf(out, "%g", d);
}

/* The options of a replay; only the default of speed differs between
 * `sluice replay` (paced: 60) and the pipeline (max, see replay.h). */
#define RP_REPLAY_OPTS(SPEED_DEF, SPEED_HELP) \
    {.name = "speed", .type = SL_OPT_T_CUSTOM, SL_OPT_F_(rp_replay_opts, speed), .def = SPEED_DEF, .arg = "N|max", \
     .parse = parse_speed, .format = format_speed, .expect = "a positive number (event seconds per wall second) or 'max'", .help = SPEED_HELP}, \
    {.name = "from", .type = SL_OPT_T_TIME, SL_OPT_F_(rp_replay_opts, from_us), .def = "min", .arg = "TIME", \
     .help = "event time range [from, to), e.g. 2024-03-01 or 2024-03-01T05:00:00Z"}, \
    {.name = "to", .type = SL_OPT_T_TIME, SL_OPT_F_(rp_replay_opts, to_us), .def = "max", .arg = "TIME", \
     .help = "end of the event time range, exclusive"}, \
    {.name = "memory", .type = SL_OPT_T_SIZE, SL_OPT_F_(rp_replay_opts, memory), .def = "1G", .min = 1 << 20, \
     .max = 9.2e18, .help = "budget for ordering the events (an external sort beyond it)"}, \
    {.name = "tmpdir", .type = SL_OPT_T_STRING, SL_OPT_F_(rp_replay_opts, tmpdir), .arg = "DIR", \
     .help = "where the external sort spills (default $TMPDIR or /tmp)"}, \
    {.name = "force_sort", .type = SL_OPT_T_FLAG, SL_OPT_F_(rp_replay_opts, force_sort), .def = "false", \
     .flags = SL_OPT_HIDDEN, .help = "always sort externally (tests, benchmarks)"}, \
    {.name = "batch_rows", .type = SL_OPT_T_INT, SL_OPT_F_(rp_replay_opts, batch_rows), .def = "65536", .min = 1, \
     .max = 1 << 24, .flags = SL_OPT_HIDDEN, .help = "rows per batch"}

const sl_opt rp_replay_opts_table[] = {
    RP_REPLAY_OPTS("60", "N event seconds per wall second (3600 = an event hour a second); max = no pacing"),
    SL_OPT_END,
};
const sl_opt rp_pipeline_replay_opts_table[] = {
    RP_REPLAY_OPTS("max", "N event seconds per wall second (3600 = an event hour a second); max = no pacing: as fast "
                          "as the pipeline goes (a backfill; pace it to watch a live-like feed)"),
    SL_OPT_END,
};

rp_replay_opts rp_replay_opts_default(void) {
    rp_replay_opts o;
    memset(&o, 0, sizeof o);
    o.speed = 60;
    o.from_us = INT64_MIN;
    o.to_us = INT64_MAX;
    o.memory = (size_t)1 << 30;
    o.batch_rows = 65536;
    return o;
}

sl_err rp_replay_open(rp_replay **out, const rp_replay_input *inputs, size_t n, const rp_replay_opts *o, char *err,
                      size_t errlen) {
    *out = NULL;
    if (n == 0) return sl_err_set(err, errlen, SL_ERR_ARG, "replay: no inputs");
    if (n > INT32_MAX) return sl_err_set(err, errlen, SL_ERR_ARG, "replay: too many inputs");
    if (!o->schema) return sl_err_set(err, errlen, SL_ERR_ARG, "replay: no schema");
    if (!(o->speed >= 0) || !isfinite(o->speed))
        return sl_err_set(err, errlen, SL_ERR_ARG, "replay: speed must be a positive number or 0 (max)");
    if (o->from_us >= o->to_us) return sl_err_set(err, errlen, SL_ERR_ARG, "replay: the time range is empty (from >= to)");
    if (o->batch_rows < 1 || o->batch_rows > ((size_t)1 << 24))
        return sl_err_set(err, errlen, SL_ERR_ARG, "replay: batch rows must be in 1..16777216");
    double t_open = rp_now();
    rp_replay *r = calloc(1, sizeof *r);
    if (!r) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    r->o = *o;
    r->last_ts = INT64_MIN;
    r->o.tmpdir = NULL; /* the caller's string is only used during open */
    sl_batch_init(&r->cur);
    r->st.position_us = INT64_MIN;
    sl_err e = sc_init_batch(o->schema, &r->cur, err, errlen);
    if (e) goto fail;
    r->inputs = calloc(n, sizeof *r->inputs);
    if (!r->inputs) {
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        rp_input_opts io;
        memset(&io, 0, sizeof io);
        io.path = inputs[i].path;
        io.source = inputs[i].source;
        io.format = inputs[i].format;
        io.candidates = o->formats;
        io.schema = o->schema;
        io.index = (int32_t)i;
        e = rp_input_open(&r->inputs[i], &io, err, errlen);
        if (e) goto fail;
        r->ninputs = i + 1;
    }
    rp_order_opts oo = rp_order_opts_default();
    if (o->memory) oo.memory = o->memory;
    if (o->tmpdir) oo.tmpdir = o->tmpdir;
    oo.force_sort = o->force_sort;
    oo.from_us = o->from_us;
    oo.to_us = o->to_us;
    oo.resume = o->resume;
    oo.resume_us = o->resume_us;
    e = rp_order_open(&r->order, r->inputs, r->ninputs, &oo, err, errlen);
    if (e) goto fail;
    rp_pacer_init(&r->pacer, o->speed, o->from_us);
    r->st.order = *rp_order_get_stats(r->order);
    r->st.rows_total = r->st.order.rows_total;
    r->st.open_seconds = rp_now() - t_open;
    *out = r;
    return SL_OK;
fail:
    rp_replay_close(r);
    return e;
}

void rp_replay_close(rp_replay *r) {
    if (!r) return;
    if (r->order) rp_order_close(r->order);
    for (size_t i = 0; i < r->ninputs; i++) rp_input_close(r->inputs[i]);
    free(r->inputs);
    sl_batch_free(&r->cur);
    free(r->ts);
    free(r);
}

void rp_replay_stop(rp_replay *r) {
    if (r) r->stop = 1;
}

int64_t rp_replay_position_us(const rp_replay *r) { return r->pacer.position_us; }
double rp_replay_lag_s(const rp_replay *r) { return r->pacer.lag_s; }
double rp_replay_speed(const rp_replay *r) { return r->pacer.speed; }

const rp_replay_stats *rp_replay_get_stats(rp_replay *r) {
    if (r->order) r->st.order = *rp_order_get_stats(r->order);
    r->st.lag_s = r->pacer.lag_s;
    r->st.max_lag_s = r->pacer.max_lag_s;
    r->st.position_us = r->pacer.position_us;
    return &r->st;
}

/* Pull the next batch from the order into cur and extract its times. */
static long refill(rp_replay *r, char *err, size_t errlen) {
    r->pos = 0;
    long n = rp_order_next(r->order, &r->cur, r->o.batch_rows, err, errlen);
    if (n <= 0) {
        sl_batch_reset(&r->cur);
        if (n == 0) r->eof = true;
        return n;
    }
    const sc_schema *sch = r->o.schema;
    if (r->cur.ncols != sch->nall || r->cur.nrows != (size_t)n)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "replay: the order returned a batch that is not canonical");
    if ((size_t)n > r->ts_cap) {
        int64_t *t = realloc(r->ts, (size_t)n * sizeof *t);
        if (!t) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        r->ts = t;
        r->ts_cap = (size_t)n;
    }
    const sl_col *c = &r->cur.cols[sch->time];
    const int64_t *v = c->data;
    /* An implausible event time (outside the schema's range, Redset [2000,
     * 2100): cleaning rejects it as bad_timestamp) must not set the pace: a 1970 row sorted first would
     * make the next real row wait 54 years, a 2127 row would move the
     * position.  Early ones are always due; late ones (sorted after every
     * plausible row) are due with the last plausible time.  Still sorted. */
    for (size_t i = 0; i < (size_t)n; i++) {
        int64_t t = sl_col_is_null(c, i) ? INT64_MIN : v[i]; /* canonical: micros */
        if (t == INT64_MIN || t < sch->ts_min_us) t = INT64_MIN;
        else if (t >= sch->ts_max_us) t = r->last_ts;
        else r->last_ts = t;
        r->ts[i] = t;
    }
    return n;
}

/* First index in ts[lo, hi) (nondecreasing) with ts >= v, else hi. */
static size_t lower_bound(const int64_t *ts, size_t lo, size_t hi, int64_t v) {
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ts[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Rows of ts[pos, pos + k) to release so that a batch spans less than
 * RP_BATCH_SPAN_US of event time (at least one row).  Untimed rows
 * (INT64_MIN, sorted first) go with the timed ones after them. */
static size_t cap_span(const int64_t *ts, size_t pos, size_t k) {
    if (k < 2 || ts[pos + k - 1] == INT64_MIN) return k;
    size_t first = lower_bound(ts, pos, pos + k, INT64_MIN + 1); /* the always-due rows go with the next ones */
    if (ts[pos + k - 1] - ts[first] < RP_BATCH_SPAN_US) return k;
    size_t cut = lower_bound(ts, first, pos + k, ts[first] + RP_BATCH_SPAN_US);
    return cut > pos ? cut - pos : 1;
}

static void swap_batches(sl_batch *a, sl_batch *b) {
    sl_batch t = *a;
    *a = *b;
    *b = t;
}

/* dst (reset) = rows [from, from + k) of src; same canonical columns. */
static sl_err copy_rows(sl_batch *dst, const sl_batch *src, size_t from, size_t k, char *err, size_t errlen) {
    sl_batch_reset(dst);
    sl_err e = sl_batch_reserve(dst, k, err, errlen);
    if (e) return e;
    for (size_t c = 0; c < src->ncols; c++) {
        const sl_col *s = &src->cols[c];
        sl_col *d = &dst->cols[c];
        size_t w = sl_type_width(s->t.type);
        if (k) memcpy(d->data, (const char *)s->data + from * w, k * w);
        if (s->valid) {
            size_t nulls = 0;
            for (size_t i = 0; i < k; i++) {
                if (!sl_bit_get(s->valid, from + i)) {
                    if (!d->valid && !sl_col_valid_alloc(dst, c))
                        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                    sl_bit_clear(d->valid, i);
                    nulls++;
                }
            }
            d->null_count = nulls;
        }
        if (s->t.type == SL_BYTES) {
            sl_str *v = d->data;
            for (size_t i = 0; i < k; i++) {
                if (!v[i].len) continue;
                void *p = sl_arena_dup(&dst->arena, v[i].ptr, v[i].len);
                if (!p) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                v[i].ptr = p;
            }
        }
    }
    dst->nrows = k;
    return SL_OK;
}

static void count_released(rp_replay *r, const sl_batch *b) {
    const sl_col *c = &b->cols[r->o.schema->error];
    uint64_t flagged = b->nrows;
    if (c->valid) {
        flagged = 0;
        for (size_t i = 0; i < b->nrows; i++) flagged += sl_bit_get(c->valid, i);
    }
    r->st.rows += b->nrows;
    r->st.flagged += flagged;
    r->st.batches++;
}

long rp_replay_next(rp_replay *r, sl_batch *b, double max_wait_s, char *err, size_t errlen) {
    if (b->ncols != r->o.schema->nall)
        return sl_err_set(err, errlen, SL_ERR_ARG, "rp_replay_next: the batch must be canonical (sc_init_batch)");
    sl_batch_reset(b);
    double deadline = max_wait_s >= 0 ? rp_now() + max_wait_s : INFINITY;
    for (;;) {
        if (r->stop) return 0;
        if (r->pos >= r->cur.nrows) {
            if (r->eof) return 0;
            long n = refill(r, err, errlen);
            if (n <= 0) return n;
            if (r->stop) return 0;
        }
        size_t left = r->cur.nrows - r->pos;
        /* Wait in slices so rp_replay_stop is seen within 50 ms. */
        double slice = 0.05;
        if (max_wait_s >= 0) {
            double rem = deadline - rp_now();
            if (rem < 0) rem = 0;
            if (rem < slice) slice = rem;
        }
        /* a batch spans less than a day of event time: a sparse stream's
         * consumer then finalizes windows as it goes instead of holding
         * months of them open at once (dense data is not cut: 64Ki rows) */
        left = cap_span(r->ts, r->pos, left);
        size_t k = rp_pacer_release(&r->pacer, r->ts + r->pos, left, slice);
        if (k == 0) {
            if (max_wait_s >= 0 && rp_now() >= deadline) return RP_REPLAY_AGAIN;
            continue;
        }
        if (r->pos == 0 && k == r->cur.nrows) {
            swap_batches(&r->cur, b); /* whole batch due: hand it over, no copy */
            sl_batch_reset(&r->cur);
        } else {
            sl_err e = copy_rows(b, &r->cur, r->pos, k, err, errlen);
            if (e) return e;
        }
        r->pos += k;
        if (r->pos >= r->cur.nrows) {
            sl_batch_reset(&r->cur);
            r->pos = 0;
        }
        count_released(r, b);
        return (long)k;
    }
}
