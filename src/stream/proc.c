/* proc.c: the event-time processor (proc.h, docs/metrics.md sections 3-4).
 *
 * Design
 *  - Windows: one heap object per open hour, kept in an array sorted by hour
 *    (binary search with a last-hit cache).  `final_before` is the start of
 *    the first non-final hour = floor(W / 1h) * 1h; an event whose hour is
 *    below it is late.  After every batch the windows at the front with
 *    hour + 1h <= W are emitted (final) and freed, so state is bounded by the
 *    open windows (including future windows created by busy-time spill-over).
 *  - Per window, open-addressing maps (hashmap.h) with dense entries:
 *      dedupe  (source id, instance_id, query_id)
 *      qtypes  query_type text -> window-local id (text in the window arena)
 *      qmap    (source id, instance_id, qtype id) -> query_hourly sums
 *      imap    (source id, instance_id) -> busy_us, arrival sums for the
 *              scores, cached count, and two nested maps:
 *              tops  table_id -> reads
 *              fps   fingerprint (window arena) -> count, sum/min exec
 *      joins[7] buckets and one Welford co-moment accumulator for corr.
 *    spill_hourly and cache_hourly are roll-ups computed at emission.
 *  - Sources are interned once per run (few: one per input).
 *  - Per batch: cl_clean, then column passes computing hour / busy interval /
 *    source id for every row, then one row pass applying accepted rows.  The
 *    scratch arrays are reused across batches; nothing is allocated per row
 *    (maps grow geometrically, strings are copied once per distinct key).
 *  - Emission builds each table into a reusable batch, sorted by its key
 *    (strings compare bytewise, shorter prefix first).
 */
#include "stream/proc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "replay/event.h"
#include "stream/hashmap.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/time.h"

#define N_JOIN_BUCKETS 7

static const char *const join_bucket_name[N_JOIN_BUCKETS] = {"0", "1", "2", "3", "4-5", "6-9", "10+"};
/* Bucket indexes in the byte order of their labels: 0 1 10+ 2 3 4-5 6-9. */
static const int join_bucket_order[N_JOIN_BUCKETS] = {0, 1, 6, 2, 3, 4, 5};


static int join_bucket(int64_t j) {
    if (j <= 3) return j < 0 ? 0 : (int)j;
    if (j <= 5) return 4;
    if (j <= 9) return 5;
    return 6;
}

/* ------------------------------------------------------------------ keys */

typedef struct dkey {
    uint32_t src;
    int32_t inst;
    int64_t qid;
} dkey; /* 16 bytes, no padding */

typedef struct qent {
    uint32_t src;
    int32_t inst;
    uint32_t qt;
    uint32_t pad_; /* key = first 16 bytes (zeroed) */
    int64_t queries, aborted, cached, spilled, queue_sum, exec_sum;
    double compile_sum, mb_scanned, mb_spilled;
} qent;

typedef struct sent { /* an interned string: window query types, fingerprints */
    const char *p;
    uint32_t len;
    uint32_t id;
} sent;

typedef struct skey {
    const char *p;
    uint32_t len;
} skey;

static bool sent_eq(const void *ent, const void *key) {
    const sent *e = ent;
    const skey *k = key;
    return e->len == k->len && memcmp(e->p, k->p, k->len) == 0;
}

typedef struct tent {
    int64_t table_id;
    int64_t reads;
} tent;

typedef struct fent {
    const char *p;
    uint32_t len;
    uint32_t pad_;
    int64_t count, sum, min;
} fent;

static bool fent_eq(const void *ent, const void *key) {
    const fent *e = ent;
    const skey *k = key;
    return e->len == k->len && memcmp(e->p, k->p, k->len) == 0;
}

typedef struct ient {
    uint32_t src;
    int32_t inst; /* key = first 8 bytes */
    int64_t busy_us;
    int64_t arrivals, cached, spilled;
    int64_t queue_sum, exec_sum;
    double compile_sum;
    hm tops; /* tent */
    hm fps;  /* fent */
} ient;

typedef struct jacc {
    int64_t queries;
    double sum, max;
} jacc;

typedef struct corr_acc {
    int64_t n;
    double mx, my, c, m2x, m2y;
    double x0, y0;
    bool x_varies, y_varies;
} corr_acc;

typedef struct window {
    int64_t hour;
    hm dedupe; /* dkey */
    hm qtypes; /* sent, id = index */
    hm qmap;   /* qent */
    hm imap;   /* ient */
    jacc joins[N_JOIN_BUCKETS];
    corr_acc corr;
    sl_arena arena; /* query type and fingerprint text */
} window;

typedef sent srcname; /* interned source: text malloc'ed */

struct pr {
    pr_opts o;
    pr_sink sink;
    pr_stats st;
    int64_t final_before; /* first non-final hour start; INT64_MIN: none final */
    bool finished;

    window **win; /* open windows sorted by hour */
    size_t nwin, capwin;
    window *last;

    hm srcs; /* srcname: interned sources, id = index */
    uint32_t *src_rank;
    size_t src_rank_n; /* sources ranked (recomputed when srcs grows) */

    /* per-batch scratch */
    size_t scap;
    uint8_t *status;
    sl_str *detail;
    uint32_t *srcid;
    int64_t *hour;
    int64_t *bstart, *bend; /* busy interval [start, end) in us */
    uint32_t *idx;          /* applied rows */
    int64_t *idx_hour;
    uint32_t *bad, *late;
    cl_idsets rids;

    sl_batch out[ST_N_TABLES];
    sl_buf tmp;
};

/* ------------------------------------------------------------------ options */

pr_opts pr_opts_default(void) {
    pr_opts o;
    memset(&o, 0, sizeof o);
    o.clean = cl_opts_default();
    o.lateness_us = INT64_C(600000000);
    o.top_k = 10;
    o.slots = 5;
    o.w_q = o.w_s = o.w_p = o.w_c = 1;
    o.threshold = 0.5;
    return o;
}

sl_err pr_opts_check(const pr_opts *o, char *err, size_t errlen) {
    if (o->lateness_us < 0)
        return sl_err_set(err, errlen, SL_ERR_ARG, "lateness must be >= 0 (got %lld us)", (long long)o->lateness_us);
    if (o->top_k < 1) return sl_err_set(err, errlen, SL_ERR_ARG, "top-k must be >= 1 (got %d)", o->top_k);
    if (!(o->slots > 0) || !isfinite(o->slots))
        return sl_err_set(err, errlen, SL_ERR_ARG, "slots must be a finite number > 0 (got %g)", o->slots);
    const double w[4] = {o->w_q, o->w_s, o->w_p, o->w_c};
    static const char *const wn[4] = {"w_q", "w_s", "w_p", "w_c"};
    for (int i = 0; i < 4; i++)
        if (!(w[i] >= 0) || !isfinite(w[i]))
            return sl_err_set(err, errlen, SL_ERR_ARG, "weight %s must be a finite number >= 0 (got %g)", wn[i], w[i]);
    if (!(w[0] + w[1] + w[2] + w[3] > 0))
        return sl_err_set(err, errlen, SL_ERR_ARG, "weights w_q + w_s + w_p + w_c must be > 0");
    if (!isfinite(o->threshold))
        return sl_err_set(err, errlen, SL_ERR_ARG, "threshold must be a finite number (got %g)", o->threshold);
    /* busy intervals are computed in int64 microseconds: arrival (< 2^52 us in
     * any accepted range that fits 2100) + 3 capped durations must not overflow */
    if (o->clean.duration_cap_ms < 0 || o->clean.duration_cap_ms > INT64_C(1000000000000))
        return sl_err_set(err, errlen, SL_ERR_ARG, "duration cap must be in [0, 1e12] ms (got %lld ms)",
                          (long long)o->clean.duration_cap_ms);
    if (o->clean.ts_min_us < -(INT64_C(1) << 60) || o->clean.ts_max_us > (INT64_C(1) << 60))
        return sl_err_set(err, errlen, SL_ERR_ARG, "timestamp range must lie within +-2^60 us of the epoch");
    if (o->clean.ts_min_us >= o->clean.ts_max_us)
        return sl_err_set(err, errlen, SL_ERR_ARG, "timestamp range is empty (min >= max)");
    return SL_OK;
}

/* ------------------------------------------------------------------ windows */

static void window_free(window *w) {
    if (!w) return;
    for (size_t i = 0; i < w->imap.n; i++) {
        ient *e = hm_at(&w->imap, i);
        hm_free(&e->tops);
        hm_free(&e->fps);
    }
    hm_free(&w->dedupe);
    hm_free(&w->qtypes);
    hm_free(&w->qmap);
    hm_free(&w->imap);
    sl_arena_free(&w->arena);
    free(w);
}

static window *window_new(int64_t hour) {
    window *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->hour = hour;
    hm_init(&w->dedupe, sizeof(dkey), sizeof(dkey));
    hm_init(&w->qtypes, sizeof(sent), 0);
    hm_init(&w->qmap, sizeof(qent), 16);
    hm_init(&w->imap, sizeof(ient), 8);
    sl_arena_init(&w->arena);
    return w;
}

/* The window of hour; created when absent and create is set (NULL on OOM or absent). */
static window *get_window(pr *p, int64_t hour, bool create) {
    if (p->last && p->last->hour == hour) return p->last;
    size_t lo = 0, hi = p->nwin;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->win[mid]->hour < hour)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->nwin && p->win[lo]->hour == hour) return p->last = p->win[lo];
    if (!create) return NULL;
    if (p->nwin == p->capwin) {
        size_t nc = p->capwin ? p->capwin * 2 : 16;
        window **nw = realloc(p->win, nc * sizeof *nw);
        if (!nw) return NULL;
        p->win = nw;
        p->capwin = nc;
    }
    window *w = window_new(hour);
    if (!w) return NULL;
    memmove(p->win + lo + 1, p->win + lo, (p->nwin - lo) * sizeof *p->win);
    p->win[lo] = w;
    p->nwin++;
    p->st.open_windows = p->nwin;
    return p->last = w;
}

/* Intern a string into the window (query types): its window-local id, or UINT32_MAX on OOM. */
static uint32_t window_qtype(window *w, const char *s, uint32_t len) {
    skey k = {s, len};
    bool added;
    sent *e = hm_upsert(&w->qtypes, hm_hash_bytes(s, len), &k, sent_eq, &added);
    if (!e) return UINT32_MAX;
    if (added) {
        char *c = len ? sl_arena_dup(&w->arena, s, len) : (char *)"";
        if (!c) return UINT32_MAX;
        e->p = c;
        e->len = len;
        e->id = (uint32_t)(w->qtypes.n - 1);
    }
    return e->id;
}

static ient *window_inst(window *w, uint32_t src, int32_t inst) {
    struct {
        uint32_t src;
        int32_t inst;
    } k = {src, inst};
    bool added;
    ient *e = hm_upsert(&w->imap, hm_hash2(src, (uint32_t)inst), &k, NULL, &added);
    if (e && added) {
        hm_init(&e->tops, sizeof(tent), sizeof(int64_t));
        hm_init(&e->fps, sizeof(fent), 0);
    }
    return e;
}

/* ------------------------------------------------------------------ open / close */

sl_err pr_open(pr **out, const pr_opts *o, const pr_sink *sink, char *err, size_t errlen) {
    *out = NULL;
    pr_opts opts = o ? *o : pr_opts_default();
    sl_err e = pr_opts_check(&opts, err, errlen);
    if (e != SL_OK) return e;
    pr *p = calloc(1, sizeof *p);
    if (!p) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    p->o = opts;
    if (sink) p->sink = *sink;
    p->final_before = INT64_MIN;
    p->st.watermark_us = INT64_MIN;
    p->st.max_arrival_us = INT64_MIN;
    hm_init(&p->srcs, sizeof(srcname), 0);
    sl_buf_init(&p->tmp);
    for (int t = 0; t < ST_N_TABLES; t++) {
        sl_batch_init(&p->out[t]);
        e = st_init_batch((st_table)t, &p->out[t], err, errlen);
        if (e != SL_OK) {
            pr_close(p);
            return e;
        }
    }
    *out = p;
    return SL_OK;
}

void pr_close(pr *p) {
    if (!p) return;
    for (size_t i = 0; i < p->nwin; i++) window_free(p->win[i]);
    free(p->win);
    for (size_t i = 0; i < p->srcs.n; i++) free((char *)((srcname *)hm_at(&p->srcs, i))->p);
    hm_free(&p->srcs);
    free(p->src_rank);
    free(p->status);
    free(p->detail);
    free(p->srcid);
    free(p->hour);
    free(p->bstart);
    free(p->bend);
    free(p->idx);
    free(p->idx_hour);
    free(p->bad);
    free(p->late);
    cl_idsets_free(&p->rids);
    for (int t = 0; t < ST_N_TABLES; t++) sl_batch_free(&p->out[t]);
    sl_buf_free(&p->tmp);
    free(p);
}

const pr_stats *pr_get_stats(const pr *p) { return &p->st; }

/* ------------------------------------------------------------------ sources */

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl) {
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

static uint32_t intern_source(pr *p, const char *s, uint32_t len) {
    skey k = {s, len};
    bool added;
    srcname *e = hm_upsert(&p->srcs, hm_hash_bytes(s, len), &k, sent_eq, &added);
    if (!e) return UINT32_MAX;
    if (added) {
        char *c = malloc(len ? len : 1);
        if (!c) {
            /* leave a harmless empty name; report OOM */
            e->p = NULL;
            e->len = 0;
            return UINT32_MAX;
        }
        if (len) memcpy(c, s, len);
        e->p = c;
        e->len = len;
        e->id = (uint32_t)(p->srcs.n - 1);
    }
    return e->id;
}

static _Thread_local const hm *g_rank_srcs; /* qsort context (single-threaded use per call) */
static int cmp_srcid(const void *a, const void *b) {
    const srcname *x = hm_at(g_rank_srcs, *(const uint32_t *)a), *y = hm_at(g_rank_srcs, *(const uint32_t *)b);
    return cmp_bytes(x->p, x->len, y->p, y->len);
}

static bool update_src_rank(pr *p) {
    size_t n = p->srcs.n;
    if (n == p->src_rank_n) return true;
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    uint32_t *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!ids || !rank) {
        free(ids);
        free(rank);
        return false;
    }
    for (size_t i = 0; i < n; i++) ids[i] = (uint32_t)i;
    g_rank_srcs = &p->srcs;
    qsort(ids, n, sizeof *ids, cmp_srcid);
    for (size_t i = 0; i < n; i++) rank[ids[i]] = (uint32_t)i;
    free(ids);
    free(p->src_rank);
    p->src_rank = rank;
    p->src_rank_n = n;
    return true;
}

/* ------------------------------------------------------------------ emission */

typedef struct sortrec {
    uint32_t a;
    int32_t b;
    uint32_t c;
    uint32_t idx;
} sortrec;

static int cmp_sortrec(const void *x, const void *y) {
    const sortrec *a = x, *b = y;
    if (a->a != b->a) return a->a < b->a ? -1 : 1;
    if (a->b != b->b) return a->b < b->b ? -1 : 1;
    if (a->c != b->c) return a->c < b->c ? -1 : 1;
    return 0;
}

static _Thread_local const sent *g_rank_qt;
static int cmp_qtid(const void *a, const void *b) {
    const sent *x = &g_rank_qt[*(const uint32_t *)a], *y = &g_rank_qt[*(const uint32_t *)b];
    return cmp_bytes(x->p, x->len, y->p, y->len);
}

static sl_err set_str(sl_batch *b, size_t col, size_t row, const char *s, size_t len, char *err, size_t errlen) {
    sl_str *d = (sl_str *)b->cols[col].data + row;
    if (!len) {
        d->ptr = "";
        d->len = 0;
        return SL_OK;
    }
    char *c = sl_arena_dup(&b->arena, s, len);
    if (!c) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    d->ptr = c;
    d->len = (uint32_t)len;
    return SL_OK;
}

static void set_null(sl_batch *b, size_t col, size_t row) {
    uint8_t *v = sl_col_valid_alloc(b, col);
    if (!v) return; /* checked by caller via prepare */
    sl_bit_clear(v, row);
    b->cols[col].null_count++;
}

#define I64C(b, c) ((int64_t *)(b)->cols[c].data)
#define I32C(b, c) ((int32_t *)(b)->cols[c].data)
#define F64C(b, c) ((double *)(b)->cols[c].data)

static sl_err out_begin(pr *p, st_table t, size_t n, sl_batch **bo, char *err, size_t errlen) {
    sl_batch *b = &p->out[t];
    sl_batch_reset(b);
    sl_err e = sl_batch_reserve(b, n ? n : 1, err, errlen);
    if (e != SL_OK) return e;
    b->nrows = n;
    /* pre-allocate the bitmaps of nullable columns so set_null cannot fail */
    const st_col_def *cd = st_table_cols(t);
    for (size_t c = 0; c < b->ncols; c++)
        if (cd[c].nullable && !sl_col_valid_alloc(b, c)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    *bo = b;
    return SL_OK;
}

static sl_err out_send(pr *p, st_table t, int64_t hour, bool final, char *err, size_t errlen) {
    sl_batch *b = &p->out[t];
    /* drop the bitmaps of columns without NULLs ("valid == NULL: no NULLs") */
    for (size_t c = 0; c < b->ncols; c++)
        if (b->cols[c].valid && b->cols[c].null_count == 0) {
            free(b->cols[c].valid);
            b->cols[c].valid = NULL;
        }
    sl_err e = p->sink.rows(p->sink.ctx, t, hour, final, b, err, errlen);
    if (e != SL_OK) sl_err_prefix(err, errlen, "%s", st_table_name(t));
    return e;
}

typedef struct emit_ctx {
    pr *p;
    window *w;
    bool final;
    uint32_t *qt_rank;   /* window qtype id -> rank */
    sortrec *qrec;       /* qmap sorted */
    sortrec *irec;       /* imap sorted */
    size_t nq, ni;
} emit_ctx;

static sl_err emit_query_hourly(emit_ctx *x, char *err, size_t errlen) {
    pr *p = x->p;
    window *w = x->w;
    sl_batch *b;
    sl_err e = out_begin(p, ST_QUERY_HOURLY, x->nq, &b, err, errlen);
    if (e != SL_OK) return e;
    const sent *qts = (const sent *)w->qtypes.ents;
    for (size_t r = 0; r < x->nq; r++) {
        const qent *q = hm_at(&w->qmap, x->qrec[r].idx);
        const srcname *s = hm_at(&p->srcs, q->src);
        I64C(b, 0)[r] = w->hour;
        if ((e = set_str(b, 1, r, s->p, s->len, err, errlen)) != SL_OK) return e;
        I32C(b, 2)[r] = q->inst;
        if ((e = set_str(b, 3, r, qts[q->qt].p, qts[q->qt].len, err, errlen)) != SL_OK) return e;
        I64C(b, 4)[r] = q->queries;
        I64C(b, 5)[r] = q->aborted;
        I64C(b, 6)[r] = q->cached;
        I64C(b, 7)[r] = q->spilled;
        F64C(b, 8)[r] = q->compile_sum;
        I64C(b, 9)[r] = q->queue_sum;
        I64C(b, 10)[r] = q->exec_sum;
        F64C(b, 11)[r] = q->mb_scanned;
        F64C(b, 12)[r] = q->mb_spilled;
    }
    return out_send(p, ST_QUERY_HOURLY, w->hour, x->final, err, errlen);
}

static sl_err emit_spill_hourly(emit_ctx *x, char *err, size_t errlen) {
    pr *p = x->p;
    window *w = x->w;
    size_t nqt = w->qtypes.n;
    typedef struct {
        int64_t spilled, queries;
        double mb;
        bool used;
    } sacc;
    sacc *acc = calloc(nqt ? nqt : 1, sizeof *acc);
    uint32_t *order = malloc((nqt ? nqt : 1) * sizeof *order);
    if (!acc || !order) {
        free(acc);
        free(order);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    /* roll up query_hourly in its key order (deterministic float sums) */
    for (size_t r = 0; r < x->nq; r++) {
        const qent *q = hm_at(&w->qmap, x->qrec[r].idx);
        acc[q->qt].spilled += q->spilled;
        acc[q->qt].queries += q->queries;
        acc[q->qt].mb += q->mb_spilled;
        acc[q->qt].used = true;
    }
    size_t n = 0;
    for (size_t i = 0; i < nqt; i++) order[x->qt_rank[i]] = (uint32_t)i;
    for (size_t i = 0; i < nqt; i++) n += acc[i].used;
    sl_batch *b;
    sl_err e = out_begin(p, ST_SPILL_HOURLY, n, &b, err, errlen);
    const sent *qts = (const sent *)w->qtypes.ents;
    size_t r = 0;
    for (size_t k = 0; e == SL_OK && k < nqt; k++) {
        uint32_t i = order[k];
        if (!acc[i].used) continue;
        I64C(b, 0)[r] = w->hour;
        e = set_str(b, 1, r, qts[i].p, qts[i].len, err, errlen);
        I64C(b, 2)[r] = acc[i].spilled;
        F64C(b, 3)[r] = acc[i].mb;
        I64C(b, 4)[r] = acc[i].queries;
        r++;
    }
    free(acc);
    free(order);
    if (e != SL_OK) return e;
    return out_send(p, ST_SPILL_HOURLY, w->hour, x->final, err, errlen);
}

static sl_err emit_cache_hourly(emit_ctx *x, char *err, size_t errlen) {
    pr *p = x->p;
    window *w = x->w;
    size_t n = 0;
    for (size_t r = 0; r < x->ni; r++) n += ((const ient *)hm_at(&w->imap, x->irec[r].idx))->arrivals > 0;
    sl_batch *b;
    sl_err e = out_begin(p, ST_CACHE_HOURLY, n, &b, err, errlen);
    if (e != SL_OK) return e;
    size_t o = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        if (ie->arrivals <= 0) continue;
        const srcname *s = hm_at(&p->srcs, ie->src);
        I64C(b, 0)[o] = w->hour;
        if ((e = set_str(b, 1, o, s->p, s->len, err, errlen)) != SL_OK) return e;
        I32C(b, 2)[o] = ie->inst;
        I64C(b, 3)[o] = ie->cached;
        I64C(b, 4)[o] = ie->arrivals;
        F64C(b, 5)[o] = (double)ie->cached / (double)ie->arrivals;
        o++;
    }
    return out_send(p, ST_CACHE_HOURLY, w->hour, x->final, err, errlen);
}

/* reads desc, then table_id asc */
static int tent_before(const tent *a, const tent *b) {
    if (a->reads != b->reads) return a->reads > b->reads;
    return a->table_id < b->table_id;
}
static int cmp_tent(const void *x, const void *y) {
    const tent *a = x, *b = y;
    return tent_before(a, b) ? -1 : tent_before(b, a) ? 1 : 0;
}
static void tent_swap(tent *a, tent *b) {
    tent t = *a;
    *a = *b;
    *b = t;
}
/* Partial sort: afterwards v[0..k) are the k first in order, sorted. */
static void top_k_sort(tent *v, size_t n, size_t k) {
    if (k < n) {
        /* quickselect so that v[0..k) holds the k first (unordered) */
        size_t lo = 0, hi = n - 1;
        uint64_t rs = 0x9e3779b97f4a7c15ULL ^ n;
        while (lo < hi) {
            rs = hm_mix(rs);
            size_t piv = lo + (size_t)(rs % (hi - lo + 1));
            tent_swap(&v[piv], &v[hi]);
            size_t st = lo;
            for (size_t i = lo; i < hi; i++)
                if (tent_before(&v[i], &v[hi])) tent_swap(&v[i], &v[st++]);
            tent_swap(&v[st], &v[hi]);
            if (st == k - 1 || st == k) break;
            if (st < k)
                lo = st + 1;
            else
                hi = st - 1;
        }
        n = k;
    }
    qsort(v, n, sizeof *v, cmp_tent);
}

static sl_err emit_top_tables(emit_ctx *x, char *err, size_t errlen) {
    pr *p = x->p;
    window *w = x->w;
    size_t k = (size_t)p->o.top_k, n = 0, maxn = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        n += ie->tops.n < k ? ie->tops.n : k;
        if (ie->tops.n > maxn) maxn = ie->tops.n;
    }
    sl_batch *b;
    sl_err e = out_begin(p, ST_TOP_TABLES_HOURLY, n, &b, err, errlen);
    if (e != SL_OK) return e;
    tent *tmp = malloc((maxn ? maxn : 1) * sizeof *tmp);
    if (!tmp) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    size_t o = 0;
    for (size_t r = 0; r < x->ni && e == SL_OK; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        if (!ie->tops.n) continue;
        memcpy(tmp, ie->tops.ents, ie->tops.n * sizeof *tmp);
        top_k_sort(tmp, ie->tops.n, k);
        size_t m = ie->tops.n < k ? ie->tops.n : k;
        const srcname *s = hm_at(&p->srcs, ie->src);
        for (size_t j = 0; j < m && e == SL_OK; j++, o++) {
            I64C(b, 0)[o] = w->hour;
            e = set_str(b, 1, o, s->p, s->len, err, errlen);
            I32C(b, 2)[o] = ie->inst;
            I32C(b, 3)[o] = (int32_t)(j + 1);
            I64C(b, 4)[o] = tmp[j].table_id;
            I64C(b, 5)[o] = tmp[j].reads;
        }
    }
    free(tmp);
    if (e != SL_OK) return e;
    return out_send(p, ST_TOP_TABLES_HOURLY, w->hour, x->final, err, errlen);
}

static sl_err emit_compile_joins(emit_ctx *x, char *err, size_t errlen) {
    pr *p = x->p;
    window *w = x->w;
    size_t n = 0;
    for (int i = 0; i < N_JOIN_BUCKETS; i++) n += w->joins[i].queries > 0;
    sl_batch *b;
    sl_err e = out_begin(p, ST_COMPILE_JOINS_HOURLY, n, &b, err, errlen);
    if (e != SL_OK) return e;
    size_t o = 0;
    for (int k = 0; k < N_JOIN_BUCKETS; k++) {
        int i = join_bucket_order[k];
        const jacc *j = &w->joins[i];
        if (j->queries <= 0) continue;
        I64C(b, 0)[o] = w->hour;
        if ((e = set_str(b, 1, o, join_bucket_name[i], strlen(join_bucket_name[i]), err, errlen)) != SL_OK) return e;
        I64C(b, 2)[o] = j->queries;
        F64C(b, 3)[o] = j->sum;
        F64C(b, 4)[o] = j->max;
        o++;
    }
    return out_send(p, ST_COMPILE_JOINS_HOURLY, w->hour, x->final, err, errlen);
}

/* Pearson correlation from the co-moments; false when undefined. */
static bool corr_value(const corr_acc *c, double *out) {
    if (c->n < 2 || !c->x_varies || !c->y_varies) return false;
    double d = sqrt(c->m2x) * sqrt(c->m2y);
    if (!(d > 0) || !isfinite(d)) return false;
    double r = c->c / d;
    if (r > 1) r = 1;
    if (r < -1) r = -1;
    *out = r;
    return true;
}

static sl_err emit_compile_corr(emit_ctx *x, char *err, size_t errlen) {
    pr *p = x->p;
    window *w = x->w;
    size_t n = w->corr.n > 0;
    sl_batch *b;
    sl_err e = out_begin(p, ST_COMPILE_CORR_HOURLY, n, &b, err, errlen);
    if (e != SL_OK) return e;
    if (n) {
        I64C(b, 0)[0] = w->hour;
        I64C(b, 1)[0] = w->corr.n;
        double r;
        if (corr_value(&w->corr, &r))
            F64C(b, 2)[0] = r;
        else {
            F64C(b, 2)[0] = 0;
            set_null(b, 2, 0);
        }
    }
    return out_send(p, ST_COMPILE_CORR_HOURLY, w->hour, x->final, err, errlen);
}

static sl_err emit_utilization(emit_ctx *x, char *err, size_t errlen) {
    pr *p = x->p;
    window *w = x->w;
    const pr_opts *o = &p->o;
    size_t n = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        n += ie->arrivals > 0 || ie->busy_us > 0;
    }
    sl_batch *b;
    sl_err e = out_begin(p, ST_UTILIZATION_HOURLY, n, &b, err, errlen);
    if (e != SL_OK) return e;
    double wsum = o->w_q + o->w_s + o->w_p + o->w_c;
    size_t row = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        if (!(ie->arrivals > 0 || ie->busy_us > 0)) continue;
        const srcname *s = hm_at(&p->srcs, ie->src);
        double busy_ms = (double)ie->busy_us / 1000.0;
        double conc = busy_ms / 3600000.0;
        double den = (double)ie->queue_sum + ie->compile_sum + (double)ie->exec_sum;
        double q = den > 0 ? (double)ie->queue_sum / den : 0;
        double c = den > 0 ? ie->compile_sum / den : 0;
        double sc = ie->arrivals > 0 ? (double)ie->spilled / (double)ie->arrivals : 0;
        double ps = conc / o->slots;
        if (ps > 1) ps = 1;
        double comp = (o->w_q * q + o->w_s * sc + o->w_p * ps + o->w_c * c) / wsum;
        int64_t groups = 0, num = 0, dnm = 0;
        for (size_t g = 0; g < ie->fps.n; g++) {
            const fent *f = hm_at(&ie->fps, g);
            if (f->count < 2) continue;
            groups++;
            num += f->sum;
            dnm += f->count * f->min;
        }
        I64C(b, 0)[row] = w->hour;
        if ((e = set_str(b, 1, row, s->p, s->len, err, errlen)) != SL_OK) return e;
        I32C(b, 2)[row] = ie->inst;
        F64C(b, 3)[row] = busy_ms;
        F64C(b, 4)[row] = conc;
        F64C(b, 5)[row] = q;
        F64C(b, 6)[row] = c;
        F64C(b, 7)[row] = sc;
        F64C(b, 8)[row] = ps;
        F64C(b, 9)[row] = comp;
        I32C(b, 10)[row] = comp >= o->threshold;
        if (groups > 0 && dnm > 0)
            F64C(b, 11)[row] = (double)num / (double)dnm;
        else {
            F64C(b, 11)[row] = 0;
            set_null(b, 11, row);
        }
        I64C(b, 12)[row] = groups;
        row++;
    }
    return out_send(p, ST_UTILIZATION_HOURLY, w->hour, x->final, err, errlen);
}

/* Emit every metric table of window w. */
static sl_err emit_window(pr *p, window *w, bool final, char *err, size_t errlen) {
    if (!p->sink.rows) return SL_OK;
    emit_ctx x = {.p = p, .w = w, .final = final};
    sl_err e = SL_OK;
    size_t nqt = w->qtypes.n;
    uint32_t *ids = malloc((nqt ? nqt : 1) * sizeof *ids);
    x.qt_rank = malloc((nqt ? nqt : 1) * sizeof *x.qt_rank);
    x.qrec = malloc((w->qmap.n ? w->qmap.n : 1) * sizeof *x.qrec);
    x.irec = malloc((w->imap.n ? w->imap.n : 1) * sizeof *x.irec);
    if (!ids || !x.qt_rank || !x.qrec || !x.irec || !update_src_rank(p)) {
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nqt; i++) ids[i] = (uint32_t)i;
    g_rank_qt = (const sent *)w->qtypes.ents;
    qsort(ids, nqt, sizeof *ids, cmp_qtid);
    for (size_t i = 0; i < nqt; i++) x.qt_rank[ids[i]] = (uint32_t)i;
    x.nq = w->qmap.n;
    for (size_t i = 0; i < x.nq; i++) {
        const qent *q = hm_at(&w->qmap, i);
        x.qrec[i] = (sortrec){p->src_rank[q->src], q->inst, x.qt_rank[q->qt], (uint32_t)i};
    }
    qsort(x.qrec, x.nq, sizeof *x.qrec, cmp_sortrec);
    x.ni = w->imap.n;
    for (size_t i = 0; i < x.ni; i++) {
        const ient *ie = hm_at(&w->imap, i);
        x.irec[i] = (sortrec){p->src_rank[ie->src], ie->inst, 0, (uint32_t)i};
    }
    qsort(x.irec, x.ni, sizeof *x.irec, cmp_sortrec);

    if ((e = emit_query_hourly(&x, err, errlen)) != SL_OK) goto done;
    if ((e = emit_spill_hourly(&x, err, errlen)) != SL_OK) goto done;
    if ((e = emit_cache_hourly(&x, err, errlen)) != SL_OK) goto done;
    if ((e = emit_top_tables(&x, err, errlen)) != SL_OK) goto done;
    if ((e = emit_compile_joins(&x, err, errlen)) != SL_OK) goto done;
    if ((e = emit_compile_corr(&x, err, errlen)) != SL_OK) goto done;
    e = emit_utilization(&x, err, errlen);
done:
    free(ids);
    free(x.qt_rank);
    free(x.qrec);
    free(x.irec);
    return e;
}

/* Finalize the first window (emit final rows, window_final, free). */
static sl_err finalize_front(pr *p, char *err, size_t errlen) {
    window *w = p->win[0];
    sl_err e = emit_window(p, w, true, err, errlen);
    if (e != SL_OK) return e;
    if (p->sink.window_final && (e = p->sink.window_final(p->sink.ctx, w->hour, err, errlen)) != SL_OK) return e;
    if (p->last == w) p->last = NULL;
    window_free(w);
    memmove(p->win, p->win + 1, (p->nwin - 1) * sizeof *p->win);
    p->nwin--;
    p->st.open_windows = p->nwin;
    p->st.windows_final++;
    return SL_OK;
}

sl_err pr_refresh(pr *p, char *err, size_t errlen) {
    for (size_t i = 0; i < p->nwin; i++) {
        sl_err e = emit_window(p, p->win[i], false, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

sl_err pr_finish(pr *p, char *err, size_t errlen) {
    if (p->finished) return SL_OK;
    while (p->nwin) {
        sl_err e = finalize_front(p, err, errlen);
        if (e != SL_OK) return e;
    }
    p->finished = true;
    p->final_before = INT64_MAX;
    return SL_OK;
}

/* ------------------------------------------------------------------ quarantine */

/* The event as a JSON object: the 24 Redset columns, then the members of
 * _extra (columns sluice does not know) when present. */
static void render_raw(sl_buf *out, const sl_batch *b, size_t i) {
    sl_buf_putc(out, '{');
    for (int c = 0; c < EV_N_REDSET; c++) {
        if (c) sl_buf_putc(out, ',');
        sl_fmt_json_str(out, ev_col_name(c), strlen(ev_col_name(c)));
        sl_buf_putc(out, ':');
        sl_fmt_value(out, &b->cols[c], i, SL_FMT_JSON);
    }
    const sl_col *xc = &b->cols[EV_EXTRA];
    if (!sl_col_is_null(xc, i)) {
        sl_str x = ((const sl_str *)xc->data)[i];
        /* strip the braces of the object and append its members */
        size_t a = 0, z = x.len;
        while (a < z && (x.ptr[a] == ' ' || x.ptr[a] == '\t' || x.ptr[a] == '\n' || x.ptr[a] == '\r')) a++;
        while (z > a && (x.ptr[z - 1] == ' ' || x.ptr[z - 1] == '\t' || x.ptr[z - 1] == '\n' || x.ptr[z - 1] == '\r')) z--;
        if (z - a >= 2 && x.ptr[a] == '{' && x.ptr[z - 1] == '}') {
            a++;
            z--;
            size_t a2 = a;
            while (a2 < z && (x.ptr[a2] == ' ' || x.ptr[a2] == '\t' || x.ptr[a2] == '\n' || x.ptr[a2] == '\r')) a2++;
            if (a2 < z) {
                sl_buf_putc(out, ',');
                sl_buf_put(out, x.ptr + a, z - a);
            }
        } else if (z > a) {
            sl_buf_puts(out, ",\"_extra\":");
            sl_fmt_json_str(out, x.ptr + a, z - a);
        }
    }
    sl_buf_putc(out, '}');
}

static sl_err put_raw(pr *p, sl_batch *o, size_t col, size_t row, const sl_batch *b, size_t i, char *err, size_t errlen) {
    p->tmp.len = 0;
    render_raw(&p->tmp, b, i);
    if (p->tmp.oom) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    return set_str(o, col, row, p->tmp.p, p->tmp.len, err, errlen);
}

/* Rows sorted by (source, _input, _row): the key of both quarantine tables. */
static _Thread_local const sl_batch *g_qb;
static int cmp_qrow(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    const sl_str *s = g_qb->cols[EV_SOURCE].data;
    int c = cmp_bytes(s[a].ptr, s[a].len, s[b].ptr, s[b].len);
    if (c) return c;
    const int32_t *in = g_qb->cols[EV_INPUT].data;
    if (in[a] != in[b]) return in[a] < in[b] ? -1 : 1;
    const int64_t *rw = g_qb->cols[EV_ROW].data;
    if (rw[a] != rw[b]) return rw[a] < rw[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}
static void sort_qrows(const sl_batch *b, uint32_t *v, size_t n) {
    g_qb = b;
    qsort(v, n, sizeof *v, cmp_qrow);
}

static sl_err emit_bad(pr *p, const sl_batch *b, size_t nbad, char *err, size_t errlen) {
    sort_qrows(b, p->bad, nbad);
    sl_batch *o;
    sl_err e = out_begin(p, ST_BAD_ROWS, nbad, &o, err, errlen);
    if (e != SL_OK) return e;
    const sl_str *src = b->cols[EV_SOURCE].data;
    for (size_t r = 0; r < nbad; r++) {
        uint32_t i = p->bad[r];
        if ((e = set_str(o, 0, r, src[i].ptr, src[i].len, err, errlen)) != SL_OK) return e;
        I32C(o, 1)[r] = ((const int32_t *)b->cols[EV_INPUT].data)[i];
        I64C(o, 2)[r] = ((const int64_t *)b->cols[EV_ROW].data)[i];
        const char *rn = cl_reason_name((cl_reason)p->status[i]);
        if ((e = set_str(o, 3, r, rn, strlen(rn), err, errlen)) != SL_OK) return e;
        sl_str d = p->detail[i];
        if (d.ptr) {
            if ((e = set_str(o, 4, r, d.ptr, d.len, err, errlen)) != SL_OK) return e;
        } else {
            ((sl_str *)o->cols[4].data)[r] = (sl_str){NULL, 0};
            set_null(o, 4, r);
        }
        if ((e = put_raw(p, o, 5, r, b, i, err, errlen)) != SL_OK) return e;
    }
    return out_send(p, ST_BAD_ROWS, INT64_MIN, true, err, errlen);
}

static sl_err emit_late(pr *p, const sl_batch *b, size_t nlate, char *err, size_t errlen) {
    sort_qrows(b, p->late, nlate);
    sl_batch *o;
    sl_err e = out_begin(p, ST_LATE_EVENTS, nlate, &o, err, errlen);
    if (e != SL_OK) return e;
    const sl_str *src = b->cols[EV_SOURCE].data;
    const int64_t *ts = b->cols[EV_ARRIVAL_TS].data;
    for (size_t r = 0; r < nlate; r++) {
        uint32_t i = p->late[r];
        I64C(o, 0)[r] = p->hour[i];
        if ((e = set_str(o, 1, r, src[i].ptr, src[i].len, err, errlen)) != SL_OK) return e;
        I32C(o, 2)[r] = ((const int32_t *)b->cols[EV_INPUT].data)[i];
        I64C(o, 3)[r] = ((const int64_t *)b->cols[EV_ROW].data)[i];
        I64C(o, 4)[r] = ts[i];
        I32C(o, 5)[r] = ((const int32_t *)b->cols[EV_INSTANCE_ID].data)[i];
        I64C(o, 6)[r] = ((const int64_t *)b->cols[EV_QUERY_ID].data)[i];
        I64C(o, 7)[r] = p->st.watermark_us;
        if ((e = put_raw(p, o, 8, r, b, i, err, errlen)) != SL_OK) return e;
    }
    return out_send(p, ST_LATE_EVENTS, INT64_MIN, true, err, errlen);
}

/* ------------------------------------------------------------------ processing */

static sl_err grow_scratch(pr *p, size_t n, char *err, size_t errlen) {
    if (n <= p->scap) return SL_OK;
    size_t c = p->scap ? p->scap : 1024;
    while (c < n) c *= 2;
#define GROW(f)                                                    \
    do {                                                           \
        void *np_ = realloc(p->f, c * sizeof *p->f);               \
        if (!np_) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory"); \
        p->f = np_;                                                \
    } while (0)
    GROW(status);
    GROW(detail);
    GROW(srcid);
    GROW(hour);
    GROW(bstart);
    GROW(bend);
    GROW(idx);
    GROW(idx_hour);
    GROW(bad);
    GROW(late);
#undef GROW
    p->scap = c;
    return SL_OK;
}

#define NOMEM() sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory")

/* Add the busy interval [s, e) of an event of (src, inst) to every window it overlaps. */
static sl_err add_busy(pr *p, uint32_t src, int32_t inst, int64_t s, int64_t e, char *err, size_t errlen) {
    for (int64_t h = sl_hour_floor(s); h < e; h += SL_US_PER_HOUR) {
        int64_t a = s > h ? s : h, z = e < h + SL_US_PER_HOUR ? e : h + SL_US_PER_HOUR;
        if (z <= a) continue;
        window *w = get_window(p, h, true);
        if (!w) return NOMEM();
        ient *ie = window_inst(w, src, inst);
        if (!ie) return NOMEM();
        ie->busy_us += z - a;
    }
    return SL_OK;
}

static bool is_select(sl_str q) { return q.len == 6 && memcmp(q.ptr, "select", 6) == 0; }

/* Apply accepted, non-late row i to window w; *dup set when it is a duplicate. */
static sl_err apply_row(pr *p, window *w, const sl_batch *b, size_t i, bool *dup, char *err, size_t errlen) {
    uint32_t src = p->srcid[i];
    int32_t inst = ((const int32_t *)b->cols[EV_INSTANCE_ID].data)[i];
    int64_t qid = ((const int64_t *)b->cols[EV_QUERY_ID].data)[i];
    dkey dk = {src, inst, qid};
    bool added;
    if (!hm_upsert(&w->dedupe, hm_hash2(hm_hash2(src, (uint32_t)inst), (uint64_t)qid), &dk, NULL, &added))
        return NOMEM();
    if (!added) {
        *dup = true;
        return SL_OK;
    }
    *dup = false;

    double compile = ((const double *)b->cols[EV_COMPILE_MS].data)[i];
    int64_t queue = ((const int64_t *)b->cols[EV_QUEUE_MS].data)[i];
    int64_t exec = ((const int64_t *)b->cols[EV_EXEC_MS].data)[i];
    int32_t aborted = ((const int32_t *)b->cols[EV_WAS_ABORTED].data)[i] != 0;
    int32_t cached = ((const int32_t *)b->cols[EV_WAS_CACHED].data)[i] != 0;
    double mbs = ((const double *)b->cols[EV_MBYTES_SCANNED].data)[i];
    double mbsp = ((const double *)b->cols[EV_MBYTES_SPILLED].data)[i];
    int64_t joins = ((const int64_t *)b->cols[EV_NUM_JOINS].data)[i];
    sl_str qt = ((const sl_str *)b->cols[EV_QUERY_TYPE].data)[i];
    int spilled = mbsp > 0;

    uint32_t qtid = window_qtype(w, qt.ptr, qt.len);
    if (qtid == UINT32_MAX) return NOMEM();
    qent qk;
    memset(&qk, 0, sizeof qk);
    qk.src = src;
    qk.inst = inst;
    qk.qt = qtid;
    qent *q = hm_upsert(&w->qmap, hm_hash2(hm_hash2(src, (uint32_t)inst), qtid), &qk, NULL, &added);
    if (!q) return NOMEM();
    q->queries++;
    q->aborted += aborted;
    q->cached += cached;
    q->spilled += spilled;
    q->compile_sum += compile;
    q->queue_sum += queue;
    q->exec_sum += exec;
    q->mb_scanned += mbs;
    q->mb_spilled += mbsp;

    ient *ie = window_inst(w, src, inst);
    if (!ie) return NOMEM();
    ie->arrivals++;
    ie->cached += cached;
    ie->spilled += spilled;
    ie->queue_sum += queue;
    ie->exec_sum += exec;
    ie->compile_sum += compile;

    /* top tables */
    for (uint32_t k = p->rids.off[i]; k < p->rids.off[i + 1]; k++) {
        int64_t id = p->rids.ids[k];
        tent *t = hm_upsert(&ie->tops, hm_mix((uint64_t)id), &id, NULL, &added);
        if (!t) return NOMEM();
        t->reads++;
    }

    bool sel = is_select(qt);
    if (sel && !cached) {
        jacc *j = &w->joins[join_bucket(joins)];
        if (j->queries == 0 || compile > j->max) j->max = compile;
        j->queries++;
        j->sum += compile;
        corr_acc *c = &w->corr;
        double x = (double)joins, y = compile;
        if (c->n == 0) {
            c->x0 = x;
            c->y0 = y;
        } else {
            if (x != c->x0) c->x_varies = true;
            if (y != c->y0) c->y_varies = true;
        }
        c->n++;
        double dx = x - c->mx, dy = y - c->my;
        c->mx += dx / (double)c->n;
        c->my += dy / (double)c->n;
        c->c += dx * (y - c->my);
        c->m2x += dx * (x - c->mx);
        c->m2y += dy * (y - c->my);

        const sl_col *fc = &b->cols[EV_FINGERPRINT];
        if (!aborted && exec >= 1 && !sl_col_is_null(fc, i)) {
            sl_str fp = ((const sl_str *)fc->data)[i];
            skey fk = {fp.ptr, fp.len};
            fent *f = hm_upsert(&ie->fps, hm_hash_bytes(fp.ptr, fp.len), &fk, fent_eq, &added);
            if (!f) return NOMEM();
            if (added) {
                char *cp = fp.len ? sl_arena_dup(&w->arena, fp.ptr, fp.len) : (char *)"";
                if (!cp) return NOMEM();
                f->p = cp;
                f->len = fp.len;
                f->min = exec;
            }
            f->count++;
            f->sum += exec;
            if (exec < f->min) f->min = exec;
        }
    }

    /* busy time: own window first (ie is current), later windows by lookup */
    int64_t s = p->bstart[i], e = p->bend[i];
    if (e > s) {
        int64_t h = w->hour;
        int64_t a = s > h ? s : h, z = e < h + SL_US_PER_HOUR ? e : h + SL_US_PER_HOUR;
        if (z > a) ie->busy_us += z - a;
        if (e > h + SL_US_PER_HOUR) {
            int64_t s2 = s > h + SL_US_PER_HOUR ? s : h + SL_US_PER_HOUR;
            sl_err er = add_busy(p, src, inst, s2, e, err, errlen);
            if (er != SL_OK) return er;
        }
    }
    return SL_OK;
}

static int cmp_hour_idx(const void *x, const void *y) {
    /* pairs packed as (hour, idx) in two arrays: sort indices into p->idx by hour then idx */
    const int64_t *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

static sl_err deliver_events(pr *p, const sl_batch *b, size_t n, char *err, size_t errlen) {
    if (!p->sink.events || n == 0) return SL_OK;
    bool sorted = true;
    for (size_t k = 1; k < n && sorted; k++) sorted = p->idx_hour[k - 1] <= p->idx_hour[k];
    if (!sorted) {
        int64_t *pairs = malloc(n * 2 * sizeof *pairs);
        if (!pairs) return NOMEM();
        for (size_t k = 0; k < n; k++) {
            pairs[2 * k] = p->idx_hour[k];
            pairs[2 * k + 1] = p->idx[k];
        }
        qsort(pairs, n, 2 * sizeof *pairs, cmp_hour_idx);
        for (size_t k = 0; k < n; k++) {
            p->idx_hour[k] = pairs[2 * k];
            p->idx[k] = (uint32_t)pairs[2 * k + 1];
        }
        free(pairs);
    }
    for (size_t k = 0; k < n;) {
        size_t e = k;
        while (e < n && p->idx_hour[e] == p->idx_hour[k]) e++;
        sl_err er = p->sink.events(p->sink.ctx, p->idx_hour[k], b, p->idx + k, e - k, err, errlen);
        if (er != SL_OK) return er;
        k = e;
    }
    return SL_OK;
}

sl_err pr_process(pr *p, sl_batch *b, char *err, size_t errlen) {
    if (p->finished) return sl_err_set(err, errlen, SL_ERR_ARG, "pr_process after pr_finish");
    if (b->ncols < EV_NCOLS) return sl_err_set(err, errlen, SL_ERR_ARG, "not a canonical event batch (%zu columns)", b->ncols);
    size_t n = b->nrows;
    if (n == 0) return SL_OK;
    if (n >= UINT32_MAX) return sl_err_set(err, errlen, SL_ERR_ARG, "batch too large");
    sl_err e = grow_scratch(p, n, err, errlen);
    if (e != SL_OK) return e;
    memset(p->detail, 0, n * sizeof *p->detail);
    e = cl_clean(&p->o.clean, b, p->status, p->detail, &p->rids, NULL, &p->st.clean, err, errlen);
    if (e != SL_OK) return e;

    /* column passes: hour, busy interval, source id */
    const int64_t *ts = b->cols[EV_ARRIVAL_TS].data;
    const int64_t *qu = b->cols[EV_QUEUE_MS].data;
    const int64_t *ex = b->cols[EV_EXEC_MS].data;
    const double *co = b->cols[EV_COMPILE_MS].data;
    for (size_t i = 0; i < n; i++) p->hour[i] = sl_hour_floor(ts[i]);
    for (size_t i = 0; i < n; i++) {
        /* accepted rows only: bad rows may hold any value (overflow) */
        if (p->status[i] != CL_ACCEPT) {
            p->bstart[i] = p->bend[i] = 0;
            continue;
        }
        int64_t s = ts[i] + qu[i] * 1000 + (int64_t)llround(co[i] * 1000.0);
        p->bstart[i] = s;
        p->bend[i] = s + ex[i] * 1000;
    }
    const sl_str *srcs = b->cols[EV_SOURCE].data;
    sl_str lastsrc = {NULL, 0};
    uint32_t lastid = UINT32_MAX;
    int64_t maxts = p->st.max_arrival_us;
    for (size_t i = 0; i < n; i++) {
        if (p->status[i] != CL_ACCEPT) continue;
        if (lastid == UINT32_MAX || srcs[i].len != lastsrc.len ||
            (srcs[i].ptr != lastsrc.ptr && memcmp(srcs[i].ptr, lastsrc.ptr, lastsrc.len) != 0)) {
            lastid = intern_source(p, srcs[i].ptr, srcs[i].len);
            if (lastid == UINT32_MAX) return NOMEM();
            lastsrc = srcs[i];
        }
        p->srcid[i] = lastid;
    }

    /* row pass */
    size_t nbad = 0, nlate = 0, nidx = 0;
    uint64_t dups = 0;
    for (size_t i = 0; i < n; i++) {
        if (p->status[i] != CL_ACCEPT) {
            p->bad[nbad++] = (uint32_t)i;
            continue;
        }
        int64_t h = p->hour[i];
        if (h < p->final_before) {
            p->late[nlate++] = (uint32_t)i;
            continue;
        }
        window *w = get_window(p, h, true);
        if (!w) return NOMEM();
        bool dup;
        e = apply_row(p, w, b, i, &dup, err, errlen);
        if (e != SL_OK) return e;
        if (dup) {
            dups++;
            continue;
        }
        p->idx[nidx] = (uint32_t)i;
        p->idx_hour[nidx++] = h;
        if (ts[i] > maxts) maxts = ts[i]; /* only applied events move W */
    }
    p->st.accepted += nidx;
    p->st.duplicates += dups;
    p->st.late += nlate;
    uint64_t bad = 0;
    for (int r = 1; r < CL_N_REASONS; r++) bad += p->st.clean.bad[r];
    p->st.bad = bad;

    if (nbad && p->sink.rows && (e = emit_bad(p, b, nbad, err, errlen)) != SL_OK) return e;
    if (nlate && p->sink.rows && (e = emit_late(p, b, nlate, err, errlen)) != SL_OK) return e;
    if ((e = deliver_events(p, b, nidx, err, errlen)) != SL_OK) return e;

    /* watermark and finalization */
    p->st.max_arrival_us = maxts;
    if (maxts != INT64_MIN) {
        int64_t wm;
        if (!__builtin_sub_overflow(maxts, p->o.lateness_us, &wm) && wm > INT64_MIN &&
            (p->st.watermark_us == INT64_MIN || wm > p->st.watermark_us))
            p->st.watermark_us = wm;
        if (p->st.watermark_us != INT64_MIN) {
            int64_t fb = sl_hour_floor(p->st.watermark_us);
            if (fb > p->final_before) p->final_before = fb;
        }
    }
    while (p->nwin && p->win[0]->hour < p->final_before) {
        if ((e = finalize_front(p, err, errlen)) != SL_OK) return e;
    }
    return SL_OK;
}
