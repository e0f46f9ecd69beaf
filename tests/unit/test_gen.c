/* test_gen.c: sluice gen's model, orders and fault injection. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "gen/rng.h"
#include "sink/textout.h"
#include "t.h"
#include "util/time.h"

enum { C_INST = 0, C_CS = 1, C_QID = 4, C_ARR = 5, C_COMPILE = 6, C_QUEUE = 7, C_EXEC = 8, C_FP = 9, C_ABORT = 10,
       C_CACHED = 11, C_SRC = 12, C_QT = 13, C_PERM = 14, C_EXT = 15, C_SYS = 16, C_RT = 17, C_WT = 18,
       C_MBS = 19, C_MBSP = 20, C_JOINS = 21, C_SCANS = 22, C_AGGS = 23 };

typedef struct rec {
    int64_t inst, qid, t; /* -1 / INT64_MIN when NULL */
    double src;
    int cached;
} rec;

typedef struct rows {
    rec *v;
    size_t n, cap;
} rows;

static gen_opts base_opts(uint64_t n) {
    gen_opts o = gen_opts_default();
    o.rows = n;
    o.profile = "none";
    o.seed = 42;
    return o;
}

static const int64_t *I64(const sl_batch *b, int c) { return b->cols[c].data; }
static const int32_t *I32(const sl_batch *b, int c) { return b->cols[c].data; }
static const double *F64(const sl_batch *b, int c) { return b->cols[c].data; }
static const sl_str *STR(const sl_batch *b, int c) { return b->cols[c].data; }
static int isnull(const sl_batch *b, int c, size_t i) { return sl_col_is_null(&b->cols[c], i); }

/* run the generator to the end, collecting records; optional per-batch hook */
typedef void (*batch_fn)(const sl_batch *b, void *ctx);
static int run(const gen_opts *o, rows *out, batch_fn fn, void *ctx, gen_counts *counts) {
    char err[SL_ERRLEN];
    gen *g;
    if (gen_open(&g, o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  gen_open: %s\n", err);
        return -1;
    }
    sl_batch b;
    sl_batch_init(&b);
    if (gen_init_batch(g, &b, err, sizeof err) != SL_OK) return -1;
    long n;
    while ((n = gen_next(g, &b, 8192, err, sizeof err)) > 0) {
        if (fn) fn(&b, ctx);
        for (long i = 0; out && i < n; i++) {
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 1 << 16;
                out->v = realloc(out->v, out->cap * sizeof *out->v);
            }
            rec *r = &out->v[out->n++];
            r->inst = isnull(&b, C_INST, (size_t)i) ? -1 : I32(&b, C_INST)[i];
            r->qid = isnull(&b, C_QID, (size_t)i) ? -1 : I64(&b, C_QID)[i];
            r->t = isnull(&b, C_ARR, (size_t)i) ? INT64_MIN : I64(&b, C_ARR)[i];
            r->src = isnull(&b, C_SRC, (size_t)i) ? -1 : F64(&b, C_SRC)[i];
            r->cached = isnull(&b, C_CACHED, (size_t)i) ? -1 : I32(&b, C_CACHED)[i];
        }
    }
    if (n < 0) fprintf(stderr, "  gen_next: %s\n", err);
    if (counts) *counts = *gen_get_counts(g);
    sl_batch_free(&b);
    gen_close(g);
    return n < 0 ? -1 : 0;
}

static int cmp_iq(const void *a, const void *b) {
    const rec *x = a, *y = b;
    if (x->inst != y->inst) return x->inst < y->inst ? -1 : 1;
    if (x->qid != y->qid) return x->qid < y->qid ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

static const rec *find_iq(const rows *s, int64_t inst, int64_t qid) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t m = (lo + hi) / 2;
        const rec *r = &s->v[m];
        if (r->inst < inst || (r->inst == inst && r->qid < qid)) lo = m + 1;
        else hi = m;
    }
    return lo < s->n && s->v[lo].inst == inst && s->v[lo].qid == qid ? &s->v[lo] : NULL;
}

/* ------------------------------------------------------------------ rng */

static void test_rng(void) {
    gen_rng a, b;
    gen_rng_seed(&a, 7);
    gen_rng_seed(&b, 7);
    for (int i = 0; i < 100; i++) CHECK(gen_next64(&a) == gen_next64(&b));
    double s = 0;
    for (int i = 0; i < 100000; i++) s += gen_u01(&a);
    CHECK(fabs(s / 100000 - 0.5) < 0.01);
    /* the Feistel permutation is a bijection of [0, n) */
    for (uint64_t n = 1; n < 3000; n = n * 3 + 1) {
        gen_feistel f;
        gen_feistel_init(&f, n, 99);
        uint8_t *seen = calloc(n, 1);
        for (uint64_t x = 0; x < n; x++) {
            uint64_t y = gen_feistel_apply(&f, x);
            CHECK(y < n);
            if (y < n) seen[y]++;
        }
        for (uint64_t x = 0; x < n; x++) CHECK(seen[x] == 1);
        free(seen);
    }
    int64_t us;
    CHECK(sl_parse_time("2024-03-01", 10, &us, NULL) == SL_OK && us == 1709251200000000LL);
    CHECK(sl_parse_time("2024-03-01T05:30", 16, &us, NULL) == SL_OK && us == 1709251200000000LL + 19800000000LL);
    CHECK(sl_parse_time("2024-3-1", 8, &us, NULL) != SL_OK);
    CHECK(sl_parse_duration("10m", &us) == SL_OK && us == 600000000LL);
    CHECK(sl_parse_duration("10min", &us) == SL_OK && us == 600000000LL);
    CHECK(sl_parse_duration("1.5h", &us) == SL_OK && us == 5400000000LL);
    CHECK(sl_parse_duration("10x", &us) != SL_OK);
}

/* ------------------------------------------------------------------ determinism */

typedef struct digest {
    uint64_t h;
} digest;

static void digest_batch(const sl_batch *b, void *ctx) {
    digest *d = ctx;
    for (size_t c = 0; c < b->ncols; c++) {
        const sl_col *col = &b->cols[c];
        for (size_t i = 0; i < b->nrows; i++) {
            uint64_t v = sl_col_is_null(col, i) ? 0xdeadull : 0;
            if (!sl_col_is_null(col, i)) {
                if (col->t.type == SL_BYTES) {
                    sl_str s = ((const sl_str *)col->data)[i];
                    for (uint32_t k = 0; k < s.len; k++) v = v * 131 + (uint8_t)s.ptr[k];
                    v ^= s.len;
                } else {
                    size_t w = sl_type_width(col->t.type);
                    uint64_t x = 0;
                    memcpy(&x, (const uint8_t *)col->data + i * w, w);
                    v ^= x;
                }
            }
            d->h = gen_hash(d->h, v + c);
        }
    }
}

static void test_determinism(void) {
    gen_opts o = base_opts(50000);
    o.bad_rows = 0.01;
    o.repairs = 0.01;
    o.late = 0.01;
    o.duplicates = 0.01;
    digest a = {1}, b = {1}, c = {1};
    CHECK(run(&o, NULL, digest_batch, &a, NULL) == 0);
    CHECK(run(&o, NULL, digest_batch, &b, NULL) == 0);
    o.seed = 43;
    CHECK(run(&o, NULL, digest_batch, &c, NULL) == 0);
    CHECK(a.h == b.h);
    CHECK(a.h != c.h);
}

/* ------------------------------------------------------------------ invariants */

typedef struct inv {
    uint64_t rows, cached, cached_bad, sel, spilled, nread;
    uint64_t bad_fp;
} inv;

static void check_batch(const sl_batch *b, void *ctx) {
    inv *v = ctx;
    for (size_t i = 0; i < b->nrows; i++) {
        v->rows++;
        sl_str qt = STR(b, C_QT)[i];
        CHECK(!isnull(b, C_CS, i) == 0); /* serverless: cluster_size NULL */
        if (I32(b, C_CACHED)[i]) {
            v->cached++;
            bool ok = qt.len == 5 && !memcmp(qt.ptr, "other", 5) && isnull(b, C_FP, i) && isnull(b, C_COMPILE, i) &&
                      isnull(b, C_PERM, i) && isnull(b, C_EXT, i) && isnull(b, C_SYS, i) && isnull(b, C_MBS, i) &&
                      isnull(b, C_MBSP, i) && !isnull(b, C_SRC, i) && I64(b, C_QUEUE)[i] == 0;
            if (!ok) v->cached_bad++;
        } else {
            CHECK(isnull(b, C_SRC, i));
            if (!isnull(b, C_FP, i)) {
                sl_str fp = STR(b, C_FP)[i];
                bool hex = fp.len == 64;
                for (uint32_t k = 0; k < fp.len && hex; k++) hex = (fp.ptr[k] >= '0' && fp.ptr[k] <= '9') || (fp.ptr[k] >= 'a' && fp.ptr[k] <= 'f');
                if (!hex) v->bad_fp++;
            }
        }
        if (qt.len == 6 && !memcmp(qt.ptr, "select", 6)) v->sel++;
        if (!isnull(b, C_MBSP, i) && F64(b, C_MBSP)[i] > 0) v->spilled++;
        if (isnull(b, C_RT, i)) v->nread++;
        CHECK(I64(b, C_EXEC)[i] >= 0 && I64(b, C_QUEUE)[i] >= 0);
    }
}

static void test_invariants(void) {
    gen_opts o = base_opts(200000);
    rows r = {0};
    inv v = {0};
    gen_counts c;
    CHECK(run(&o, &r, check_batch, &v, &c) == 0);
    CHECK_EQ_I64(r.n, 200000);
    CHECK_EQ_I64(c.rows_out, 200000);
    CHECK_EQ_I64(v.cached_bad, 0);
    CHECK_EQ_I64(v.bad_fp, 0);
    CHECK_EQ_I64(v.cached, c.cached);
    /* shares near the sample's: cached 5%, spilled 1.6%, read_table_ids NULL 60% */
    double n = (double)r.n;
    CHECK(v.cached / n > 0.03 && v.cached / n < 0.06);
    CHECK(v.spilled / n > 0.005 && v.spilled / n < 0.035);
    if (!(v.nread / n > 0.4 && v.nread / n < 0.8)) fprintf(stderr, "  read_table_ids NULL share %.3f\n", v.nread / n);
    CHECK(v.nread / n > 0.4 && v.nread / n < 0.8);
    /* sorted order */
    for (size_t i = 1; i < r.n; i++)
        if (r.v[i].t < r.v[i - 1].t) {
            CHECK(!"sorted order broken");
            break;
        }
    for (size_t i = 0; i < r.n; i++) CHECK(r.v[i].t >= 1709251200000000LL && r.v[i].t < 1717113600000000LL);
    /* query_id unique per instance */
    rows s = {malloc(r.n * sizeof *r.v), r.n, r.n};
    memcpy(s.v, r.v, r.n * sizeof *r.v);
    qsort(s.v, s.n, sizeof *s.v, cmp_iq);
    uint64_t dupq = 0;
    for (size_t i = 1; i < s.n; i++) dupq += s.v[i].inst == s.v[i - 1].inst && s.v[i].qid == s.v[i - 1].qid;
    CHECK_EQ_I64(dupq, 0);
    /* cache_source_query_id: an existing, earlier query of the same instance */
    uint64_t bad_src = 0, nsrc = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.v[i].cached != 1) continue;
        nsrc++;
        const rec *src = find_iq(&s, r.v[i].inst, (int64_t)r.v[i].src);
        if (!src || src->t >= r.v[i].t || src->cached) bad_src++;
    }
    CHECK(nsrc > 0);
    CHECK_EQ_I64(bad_src, 0);
    /* query ids are not in time order */
    uint64_t inv_pairs = 0;
    for (size_t i = 1; i < r.n; i++) inv_pairs += r.v[i].inst == r.v[i - 1].inst && r.v[i].qid < r.v[i - 1].qid;
    CHECK(inv_pairs > 0);
    free(s.v);
    free(r.v);
}

/* ------------------------------------------------------------------ orders */

static void test_orders(void) {
    gen_opts o = base_opts(100000);
    o.instances = 50;
    rows a = {0}, b = {0}, c = {0};
    o.order = GEN_ORDER_SORTED;
    CHECK(run(&o, &a, NULL, NULL, NULL) == 0);
    o.order = GEN_ORDER_RUNS;
    CHECK(run(&o, &b, NULL, NULL, NULL) == 0);
    o.order = GEN_ORDER_SHUFFLED;
    CHECK(run(&o, &c, NULL, NULL, NULL) == 0);
    CHECK_EQ_I64(a.n, 100000);
    CHECK_EQ_I64(b.n, 100000);
    CHECK_EQ_I64(c.n, 100000);
    /* runs: each instance contiguous, sorted inside */
    uint64_t breaks = 0, unsorted = 0, seen_again = 0;
    uint8_t done[100000 > 1 ? 1024 : 1] = {0};
    for (size_t i = 0; i < b.n; i++) {
        if (i && b.v[i].inst != b.v[i - 1].inst) {
            breaks++;
            done[b.v[i - 1].inst & 1023] = 1;
            if (done[b.v[i].inst & 1023]) seen_again++;
        } else if (i && b.v[i].t < b.v[i - 1].t) unsorted++;
    }
    CHECK_EQ_I64(seen_again, 0);
    CHECK_EQ_I64(unsorted, 0);
    CHECK(breaks >= 10);
    /* shuffled: not sorted, not in runs */
    uint64_t desc = 0, switches = 0;
    for (size_t i = 1; i < c.n; i++) {
        desc += c.v[i].t < c.v[i - 1].t;
        switches += c.v[i].inst != c.v[i - 1].inst;
    }
    CHECK(desc > c.n / 3);
    CHECK(switches > c.n / 3);
    /* the three orders hold the same rows */
    qsort(a.v, a.n, sizeof *a.v, cmp_iq);
    qsort(b.v, b.n, sizeof *b.v, cmp_iq);
    qsort(c.v, c.n, sizeof *c.v, cmp_iq);
    uint64_t diff = 0;
    for (size_t i = 0; i < a.n; i++) diff += a.v[i].inst != b.v[i].inst || a.v[i].qid != b.v[i].qid || a.v[i].t != b.v[i].t;
    CHECK_EQ_I64(diff, 0);
    diff = 0;
    for (size_t i = 0; i < a.n; i++) diff += a.v[i].inst != c.v[i].inst || a.v[i].qid != c.v[i].qid || a.v[i].t != c.v[i].t;
    CHECK_EQ_I64(diff, 0);
    free(a.v);
    free(b.v);
    free(c.v);
}

/* ------------------------------------------------------------------ faults */

static bool binom_ok(uint64_t got, double n, double p) {
    double mu = n * p, sd = sqrt(n * p * (1 - p));
    return fabs((double)got - mu) <= 5 * sd + 1;
}

static void test_late_and_duplicates(void) {
    for (int ord = 0; ord < 2; ord++) {
        gen_opts o = base_opts(200000);
        o.order = ord ? GEN_ORDER_RUNS : GEN_ORDER_SORTED;
        o.late = 0.02;
        o.max_disp_us = 20LL * 60 * 1000000;
        o.duplicates = 0.01;
        rows r = {0};
        gen_counts c;
        CHECK(run(&o, &r, NULL, NULL, &c) == 0);
        CHECK_EQ_I64(r.n, 200000 + c.duplicates);
        CHECK_EQ_I64(c.rows_out, r.n);
        CHECK(binom_ok(c.late_held, 200000, 0.02));
        CHECK(c.late <= c.late_held && c.late > c.late_held / 2);
        CHECK(binom_ok(c.duplicates, 200000 * 0.98, 0.01));
        /* copies: a second occurrence of (instance, query_id), in the same hour */
        rows s = {malloc(r.n * sizeof *r.v), r.n, r.n};
        memcpy(s.v, r.v, r.n * sizeof *r.v);
        qsort(s.v, s.n, sizeof *s.v, cmp_iq);
        uint64_t copies = 0;
        for (size_t i = 1; i < s.n; i++)
            if (s.v[i].inst == s.v[i - 1].inst && s.v[i].qid == s.v[i - 1].qid) {
                copies++;
                CHECK(s.v[i].t == s.v[i - 1].t);
            }
        CHECK_EQ_I64(copies, c.duplicates);
        /* out-of-order rows (excluding copies) == late */
        uint64_t ooo = 0;
        int64_t maxt = INT64_MIN, cur_inst = -2;
        /* mark copies: emitted second occurrence */
        rows seen = {calloc(r.n, sizeof *r.v), 0, r.n};
        for (size_t i = 0; i < r.n; i++) {
            if (ord && r.v[i].inst != cur_inst) {
                cur_inst = r.v[i].inst;
                maxt = INT64_MIN;
            }
            const rec *f = seen.n ? NULL : NULL;
            (void)f;
            bool is_copy = false;
            /* binary search in the sorted list for duplicates of this key */
            const rec *first = find_iq(&s, r.v[i].inst, r.v[i].qid);
            if (first && first + 1 < s.v + s.n && first[1].inst == r.v[i].inst && first[1].qid == r.v[i].qid) {
                /* a duplicated key: the later emission is the copy */
                for (size_t j = 0; j < i; j++)
                    if (r.v[j].inst == r.v[i].inst && r.v[j].qid == r.v[i].qid && i - j < 5000) {
                        is_copy = true;
                        break;
                    }
            }
            if (is_copy) continue;
            if (r.v[i].t < maxt) ooo++;
            if (r.v[i].t > maxt) maxt = r.v[i].t;
        }
        CHECK_EQ_I64(ooo, c.late);
        free(seen.v);
        free(s.v);
        free(r.v);
    }
}

typedef struct badscan {
    uint64_t missing_ts, missing_inst, missing_qid, missing_qt, bad_ts, neg[11], nan_inf;
    uint64_t null_queue, null_exec, null_joins, upper_or_pad, big_dur, flag_odd, bad_tok_rows;
} badscan;

static void scan_bad(const sl_batch *b, void *ctx) {
    badscan *s = ctx;
    static const int negcols[11] = {C_COMPILE, C_QUEUE, C_EXEC, C_MBS, C_MBSP, C_PERM, C_EXT, C_SYS, C_JOINS, C_SCANS, C_AGGS};
    for (size_t i = 0; i < b->nrows; i++) {
        if (isnull(b, C_ARR, i)) s->missing_ts++;
        else if (I64(b, C_ARR)[i] < 946684800000000LL || I64(b, C_ARR)[i] >= 4102444800000000LL) s->bad_ts++;
        if (isnull(b, C_INST, i)) s->missing_inst++;
        if (isnull(b, C_QID, i)) s->missing_qid++;
        sl_str qt = STR(b, C_QT)[i];
        bool blank = true;
        for (uint32_t k = 0; k < qt.len; k++) blank &= qt.ptr[k] == ' ';
        if (isnull(b, C_QT, i) || blank) s->missing_qt++;
        else {
            bool odd = qt.ptr[0] == ' ';
            for (uint32_t k = 0; k < qt.len; k++) odd |= qt.ptr[k] >= 'A' && qt.ptr[k] <= 'Z';
            s->upper_or_pad += odd;
        }
        for (int k = 0; k < 11; k++) {
            int c = negcols[k];
            if (isnull(b, c, i)) continue;
            bool neg = b->cols[c].t.type == SL_F64 ? F64(b, c)[i] < 0 : I64(b, c)[i] < 0;
            if (b->cols[c].t.type == SL_F64 && isinf(F64(b, c)[i])) neg = false;
            s->neg[k] += neg;
        }
        if ((!isnull(b, C_MBS, i) && !isfinite(F64(b, C_MBS)[i])) || (!isnull(b, C_COMPILE, i) && !isfinite(F64(b, C_COMPILE)[i])))
            s->nan_inf++;
        s->null_queue += isnull(b, C_QUEUE, i);
        s->null_exec += isnull(b, C_EXEC, i);
        s->null_joins += isnull(b, C_JOINS, i);
        if (!isnull(b, C_EXEC, i) && I64(b, C_EXEC)[i] > 604800000) s->big_dur++;
        if (!isnull(b, C_QUEUE, i) && I64(b, C_QUEUE)[i] > 604800000) s->big_dur++;
        if (isnull(b, C_ABORT, i) || (I32(b, C_ABORT)[i] != 0 && I32(b, C_ABORT)[i] != 1)) s->flag_odd++;
        if (isnull(b, C_CACHED, i) || (I32(b, C_CACHED)[i] != 0 && I32(b, C_CACHED)[i] != 1)) s->flag_odd++;
        if (!isnull(b, C_RT, i)) {
            sl_str t = STR(b, C_RT)[i];
            bool bad = false;
            size_t st = 0;
            for (size_t k = 0; k <= t.len; k++) {
                if (k == t.len || t.ptr[k] == ',') {
                    size_t a = st, e = k;
                    while (a < e && t.ptr[a] == ' ') a++;
                    while (e > a && t.ptr[e - 1] == ' ') e--;
                    bool digits = e > a && e - a <= 18;
                    for (size_t q = a; q < e; q++) digits &= t.ptr[q] >= '0' && t.ptr[q] <= '9';
                    bad |= !digits;
                    st = k + 1;
                }
            }
            s->bad_tok_rows += bad;
        }
    }
}

static void test_bad_rows_and_repairs(void) {
    gen_opts o = base_opts(200000);
    o.bad_rows = 0.05;
    o.repairs = 0.05;
    badscan s = {0};
    gen_counts c;
    CHECK(run(&o, NULL, scan_bad, &s, &c) == 0);
    CHECK(binom_ok(c.bad_total, 200000, 0.05));
    CHECK(binom_ok(c.repaired_rows, 200000, 0.05));
    uint64_t sum = 0;
    for (int k = 0; k < GEN_BAD_NKINDS; k++) {
        sum += c.bad[k];
        CHECK(binom_ok(c.bad[k], 200000, 0.05 / GEN_BAD_NKINDS));
    }
    CHECK_EQ_I64(sum, c.bad_total);
    CHECK_EQ_I64(c.malformed_text, 0); /* not a text output */
    CHECK_EQ_I64(s.missing_ts, c.bad[GEN_BAD_MISSING_ARRIVAL]);
    CHECK_EQ_I64(s.missing_inst, c.bad[GEN_BAD_MISSING_INSTANCE]);
    CHECK_EQ_I64(s.missing_qid, c.bad[GEN_BAD_MISSING_QUERY_ID]);
    CHECK_EQ_I64(s.missing_qt, c.bad[GEN_BAD_MISSING_QUERY_TYPE]);
    CHECK_EQ_I64(s.bad_ts, c.bad[GEN_BAD_TIMESTAMP]);
    CHECK_EQ_I64(s.nan_inf, c.bad[GEN_BAD_MALFORMED]);
    for (int k = 0; k < 11; k++) CHECK_EQ_I64(s.neg[k], c.bad[GEN_BAD_NEG_COMPILE + k]);
    CHECK_EQ_I64(s.null_queue, c.rep[GEN_REP_NULL_QUEUE]);
    CHECK_EQ_I64(s.null_exec, c.rep[GEN_REP_NULL_EXEC]);
    CHECK_EQ_I64(s.null_joins, c.rep[GEN_REP_NULL_NUM_JOINS]);
    CHECK_EQ_I64(s.upper_or_pad, c.rep[GEN_REP_QUERY_TYPE]);
    CHECK_EQ_I64(s.big_dur, c.rep[GEN_REP_DURATION_CAP]);
    CHECK_EQ_I64(s.flag_odd, c.rep[GEN_REP_FLAG_ABORTED] + c.rep[GEN_REP_FLAG_CACHED]);
    CHECK_EQ_I64(s.bad_tok_rows, c.rep[GEN_REP_BAD_TABLE_ID]);
    CHECK_EQ_I64(c.bad_table_id_tokens, c.rep[GEN_REP_BAD_TABLE_ID]);
    CHECK(c.rep[GEN_REP_TABLE_ID_ODD] > 0);
}

/* text-only faults: CSV lines with the right field counts, and broken lines */
static void test_text_faults(void) {
    gen_opts o = base_opts(20000);
    o.bad_rows = 0.2;
    o.text_faults = true;
    char err[SL_ERRLEN];
    gen *g;
    CHECK(gen_open(&g, &o, err, sizeof err) == SL_OK);
    sl_batch b;
    sl_batch_init(&b);
    CHECK(gen_init_batch(g, &b, err, sizeof err) == SL_OK);
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    sl_textout t;
    CHECK(sl_textout_init(&t, f, SL_FMT_CSV, &b, err, sizeof err) == SL_OK);
    t.ts_style = SL_TS_SPACE;
    sl_buf line;
    sl_buf_init(&line);
    long n;
    uint64_t text_rows = 0;
    while ((n = gen_next(g, &b, 4096, err, sizeof err)) > 0) {
        const uint8_t *tf = gen_text_faults(g);
        for (long i = 0; i < n; i++) {
            if (tf && tf[i]) {
                text_rows++;
                line.len = 0;
                gen_render_text_fault(g, &t, &b, (size_t)i, &line);
                CHECK(sl_textout_raw(&t, line.p, line.len, err, sizeof err) == SL_OK);
            } else CHECK(sl_textout_write_rows(&t, &b, (size_t)i, (size_t)i + 1, err, sizeof err) == SL_OK);
        }
    }
    CHECK(sl_textout_finish(&t, err, sizeof err) == SL_OK);
    fclose(f);
    const gen_counts *c = gen_get_counts(g);
    CHECK(c->malformed_text > 0 && c->bad_timestamp_text > 0);
    CHECK_EQ_I64(text_rows, c->malformed_text + c->bad_timestamp_text);
    /* every line is one record; truncated ones have 5 fields */
    uint64_t lines = 0, short_lines = 0;
    size_t st = 0;
    bool inq = false;
    int fields = 1;
    for (size_t k = 0; k < memlen; k++) {
        char ch = mem[k];
        if (ch == '"') inq = !inq;
        else if (ch == ',' && !inq) fields++;
        else if (ch == '\n') {
            CHECK(!inq);
            lines++;
            if (fields == 5) short_lines++;
            else CHECK(fields == 24);
            fields = 1;
            st = k + 1;
        }
    }
    (void)st;
    CHECK_EQ_I64(lines, 20001);
    CHECK(short_lines > 0 && short_lines < c->malformed_text);
    free(mem);
    sl_buf_free(&line);
    sl_textout_free(&t);
    sl_batch_free(&b);
    gen_close(g);
}

/* ------------------------------------------------------------------ profiles */

static void test_profile(void) {
    const char *shared = getenv("SLUICE_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/redset/hourly_by_instance_serverless.parquet", shared ? shared : "../shared");
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("skip test_profile: %s not found (set SLUICE_SHARED to the shared data folder)\n", path);
        return;
    }
    fclose(f);
    gen_opts o = gen_opts_default();
    o.seed = 5;
    o.profile = path;
    o.scale = 0.01; /* 1% of the real serverless volume */
    char err[SL_ERRLEN];
    gen *g;
    CHECK(gen_open(&g, &o, err, sizeof err) == SL_OK);
    if (!g) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    /* 1% of the real rows of 2024-03-01 .. 2024-05-31 (the file has 8,244,382 in all) */
    uint64_t n = gen_planned_rows(g);
    CHECK(n > 75000 && n < 83000);
    CHECK(strstr(gen_profile_desc(g), "200 instances") != NULL);
    gen_close(g);
    /* the provisioned profile with --rows */
    snprintf(path, sizeof path, "%s/data/redset/hourly_by_instance_provisioned.parquet", shared ? shared : "../shared");
    o = gen_opts_default();
    o.kind = GEN_PROVISIONED;
    o.profile = path;
    o.rows = 30000;
    rows r = {0};
    CHECK(run(&o, &r, NULL, NULL, NULL) == 0);
    CHECK_EQ_I64(r.n, 30000);
    free(r.v);
    /* a profile that does not exist is an error */
    o.profile = "/nonexistent/profile.parquet";
    CHECK(gen_open(&g, &o, err, sizeof err) != SL_OK);
}

static void test_builtin_provisioned(void) {
    gen_opts o = base_opts(20000);
    o.kind = GEN_PROVISIONED;
    o.instances = 500;
    o.start_us = 1704067200000000LL; /* 2024-01-01 .. 2024-01-08 */
    o.end_us = o.start_us + 7 * 86400000000LL;
    char err[SL_ERRLEN];
    gen *g;
    CHECK(gen_open(&g, &o, err, sizeof err) == SL_OK);
    sl_batch b;
    sl_batch_init(&b);
    CHECK(gen_init_batch(g, &b, err, sizeof err) == SL_OK);
    long n, tot = 0, nulls = 0;
    while ((n = gen_next(g, &b, 5000, err, sizeof err)) > 0) {
        tot += n;
        for (long i = 0; i < n; i++) {
            nulls += isnull(&b, C_CS, (size_t)i);
            CHECK(I64(&b, C_ARR)[i] >= o.start_us && I64(&b, C_ARR)[i] < o.end_us);
        }
    }
    CHECK_EQ_I64(tot, 20000);
    CHECK_EQ_I64(nulls, 0);
    sl_batch_free(&b);
    gen_close(g);
}

int main(void) {
    RUN(test_rng);
    RUN(test_determinism);
    RUN(test_invariants);
    RUN(test_orders);
    RUN(test_late_and_duplicates);
    RUN(test_bad_rows_and_repairs);
    RUN(test_text_faults);
    RUN(test_profile);
    RUN(test_builtin_provisioned);
    return T_DONE();
}
