/* gen.c: the row model, the three row orders, late and duplicate events, and
 * batch filling.  See docs/gen.md for the model and where its numbers came
 * from (the serverless sample, serverless_sample_0.001.csv). */
#include "gen/gen.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen_cli.h"
#include "gen/gen_internal.h"
#include "gen/gen_tables.h"
#include "util/time.h"

/* ------------------------------------------------------------------ model */

static const char *const QT_NAME[GEN_NQT] = {"select", "insert", "copy",    "delete", "other",
                                             "analyze", "unload", "ctas", "update", "vacuum"};
enum { QT_SELECT = 0, QT_INSERT, QT_COPY, QT_DELETE, QT_OTHER, QT_ANALYZE, QT_UNLOAD, QT_CTAS, QT_UPDATE, QT_VACUUM };

/* Fitted per query type on the uncached rows of the serverless sample.  The values of compile,
 * positive queue and mbytes_scanned come from the quantile functions GEN_Q_* (gen_tables.h);
 * compile_mu, queue_mu/sd and scan_mu are the former lognormal fits, kept for reference, and
 * compile_sd / scan_sd set how much of the spread is the template's (see gen_make_row). */
typedef struct qt_model {
    double compile_zero, compile_mu, compile_sd;   /* P(compile = 0); lognormal of compile > 0 */
    double extra_med, extra_sd;                    /* exec - compile (compile > 0): lognormal median, sigma */
    double exec0_med, exec0_sd;                    /* exec when compile = 0 */
    double queue_zero, queue_mu, queue_sd;         /* P(queue = 0); lognormal of queue > 0 */
    double scan_zero, scan_mu, scan_sd;            /* mbytes_scanned */
    double spill_p, abort_p;
} qt_model;

static const qt_model QM[GEN_NQT] = {
    /* select  */ {0.054, 7.123, 3.350, 73, 1.66, 21, 1.93, 0.994, 9.334, 2.378, 0.513, 7.399, 2.879, 39.0 / 2152, 9.0 / 2155},
    /* insert  */ {0.007, 4.497, 2.006, 5, 1.26, 23, 0.22, 0.992, 10.781, 2.855, 0.026, 5.502, 2.578, 36.0 / 3022, 43.0 / 3022},
    /* copy    */ {0.000, 6.338, 1.587, 6, 1.93, 10, 1.00, 0.990, 6.539, 0.870, 0.626, 5.524, 1.736, 19.0 / 982, 20.0 / 996},
    /* delete  */ {0.000, 5.251, 2.451, 3, 0.51, 10, 1.00, 0.978, 9.671, 2.916, 0.005, 6.469, 2.143, 15.0 / 744, 0},
    /* other   */ {0.568, 4.679, 3.174, 2, 1.19, 8, 0.63, 1.000, 0, 0, 0.714, 4.294, 3.861, 2.0 / 241, 0},
    /* analyze */ {0.013, 4.503, 2.589, 4, 0.73, 6, 0.66, 1.000, 0, 0, 0.036, 6.168, 2.035, 2.0 / 309, 0},
    /* unload  */ {0.000, 6.059, 0.680, 86, 0.28, 10, 1.00, 1.000, 0, 0, 0.109, 3.475, 2.206, 0, 0},
    /* ctas    */ {0.000, 7.200, 2.658, 3, 1.54, 10, 1.00, 0.993, 8.211, 1.000, 0.205, 6.823, 2.891, 13.0 / 146, 0},
    /* update  */ {0.000, 8.400, 3.112, 2, 1.11, 10, 1.00, 0.938, 10.037, 1.000, 0.000, 8.574, 2.833, 2.0 / 16, 0},
    /* vacuum  */ {0.000, 11.706, 1.209, 1, 0.80, 10, 1.00, 1.000, 0, 0, 0.000, 6.969, 1.000, 0, 0},
};

#define P_CACHED (408.0 / 8244)     /* share of cached rows */
#define SPILL_MU 6.858              /* lognormal of mbytes_spilled > 0 (128 rows) */
#define SPILL_SD 3.837
#define SPILL_MAX 5e7
#define WITHIN_SD 0.5               /* spread of one template's executions (log scale) */
/* Templates per (instance, type): rank ~ Zipf(FP_ZIPF[type]) over FP_POOL[type].  Fitted (by
 * simulation over the real per-instance volumes) to the sample's distinct fingerprints per row
 * of each type: insert .293, select .458, copy .231, delete .946, analyze .875, unload .406,
 * ctas .841, update .938; 'other' and 'vacuum' (18 and 2 fingerprints) get tiny pools. */
static const double FP_ZIPF[GEN_NQT] = {1.256, 1.468, 1.884, 0.698, 1.0, 0.974, 2.055, 1.12, 1.313, 1.0};
static const uint32_t FP_POOL[GEN_NQT] = {5000, 5000, 5000, 5000, 4, 5000, 5000, 5000, 5000, 1};
#define TABLE_ZIPF 1.0
#define USER_ZIPF 1.5
#define DB_ZIPF 2.0
#define TABLE_ID_SPACE 400000
/* natural NULLs on uncached rows: compile+fingerprint+mbytes, compile+fingerprint, fingerprint, mbytes */
#define P_NULL_CFM (19.0 / 7836)
#define P_NULL_CF (4.0 / 7836)
#define P_NULL_F (12.0 / 7836)
#define P_NULL_M (12.0 / 7836)

/* shape table: per type the first and last position in shape_ord (GEN_SHAPES indices grouped by
 * type and, within a type, by NULL class of the table-id lists), the cumulative counts, and the
 * class boundaries as fractions of the type's rows (so a stratified u gives exact class shares). */
static int shape_first[GEN_NQT + 1], shape_last[GEN_NQT + 1];
static int shape_ord[GEN_NSHAPES];
static uint32_t shape_cum[GEN_NSHAPES];
static double shape_cut[GEN_NQT][3];
static int shapes_ready;

static int shape_class(const gen_shape *sh) { return (sh->nread > 0) * 2 + (sh->nwrite > 0); }

static void shapes_init(void) {
    if (shapes_ready) return;
    int n = 0;
    for (int t = 0; t < GEN_NQT; t++) {
        shape_first[t] = n;
        uint32_t acc = 0, cls[4] = {0, 0, 0, 0};
        for (int c = 0; c < 4; c++)
            for (int k = 0; k < GEN_NSHAPES; k++)
                if (GEN_SHAPES[k].qt == t && shape_class(&GEN_SHAPES[k]) == c) {
                    shape_ord[n] = k;
                    acc += GEN_SHAPES[k].count;
                    cls[c] += GEN_SHAPES[k].count;
                    shape_cum[n++] = acc;
                }
        shape_last[t] = n;
        uint32_t a = 0;
        for (int c = 0; c < 3; c++) {
            a += cls[c];
            shape_cut[t][c] = acc ? (double)a / acc : 1;
        }
    }
    shapes_ready = 1;
}

static const gen_shape *pick_shape(int qt, double u) {
    int a = shape_first[qt], b = shape_last[qt];
    if (a == b) return &GEN_SHAPES[0];
    uint32_t tot = shape_cum[b - 1], x = (uint32_t)(u * tot);
    int lo = a, hi = b - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (shape_cum[mid] > x) hi = mid;
        else lo = mid + 1;
    }
    return &GEN_SHAPES[shape_ord[lo]];
}

/* standard normal CDF and its inverse (Acklam's rational approximation, |rel err| < 1.2e-9) */
static double norm_cdf(double z) { return 0.5 * erfc(-z * 0.7071067811865476); }
static double norm_inv(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549671010453919e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p <= 1e-300) p = 1e-300;
    if (p >= 1 - 1e-16) p = 1 - 1e-16;
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) {
        double q = sqrt(-2 * log1p(-p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* the fitted quantile function: log-linear interpolation between the knots */
static double quantile_of(const double *knots, double u) {
    if (!(u > 0)) return knots[0];
    if (u >= 1) return knots[GEN_NKNOTS - 1];
    int k = 1;
    while (k < GEN_NKNOTS - 1 && GEN_KNOT_P[k] <= u) k++;
    double p0 = GEN_KNOT_P[k - 1], p1 = GEN_KNOT_P[k];
    double l0 = log(knots[k - 1]), l1 = log(knots[k]);
    return exp(l0 + (l1 - l0) * (u - p0) / (p1 - p0));
}

/* P(rank <= x) of gen_zipf's continuous law on [1, n+1) */
static double zipf_cdf(double x, uint32_t n, double s) {
    if (n <= 1) return x >= 2 ? 1 : 0;
    double top = (double)n + 1.0;
    if (x >= top) return 1;
    if (fabs(s - 1.0) < 1e-9) return log(x) / log(top);
    double a = 1.0 - s;
    return (pow(x, a) - 1.0) / (pow(top, a) - 1.0);
}

static int pick_type(const gen_inst *in, double u) {
    for (int k = 0; k < GEN_NQT; k++)
        if (u < in->qt_cum[k]) return k;
    return GEN_NQT - 1;
}

uint32_t gen_hour_of(const gen *g, uint32_t inst, uint64_t seq) {
    const uint64_t *pr = g->pre + (size_t)inst * (size_t)(g->nhours + 1);
    size_t lo = 0, hi = (size_t)g->nhours; /* largest h with pr[h] <= seq and cnt > 0 */
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (pr[mid] <= seq) lo = mid;
        else hi = mid;
    }
    while (lo + 1 < (size_t)g->nhours && pr[lo + 1] <= seq) lo++;
    return (uint32_t)lo;
}

int64_t gen_arrival(const gen *g, uint32_t inst, uint64_t seq, uint32_t hour) {
    uint64_t h = gen_hash3(g->seed ^ 0xa11a1ull, inst, seq);
    return g->start_us + (int64_t)hour * GEN_HOUR_US + (int64_t)(h % (uint64_t)GEN_HOUR_US);
}

static void row_rng(const gen *g, uint32_t inst, uint64_t seq, gen_rng *r) {
    gen_rng_seed(r, gen_hash3(g->seed ^ 0x50e5ull, inst, seq));
}

static size_t put_u64(char *p, uint64_t v) {
    char tmp[24];
    size_t n = 0;
    do tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10));
    for (size_t i = 0; i < n; i++) p[i] = tmp[n - 1 - i];
    return n;
}

static uint64_t table_id(const gen *g, uint32_t inst, uint64_t rank) {
    return gen_hash3(g->seed ^ 0x7ab1e5ull, inst, rank) % TABLE_ID_SPACE;
}

/* ntok distinct table ids of the instance's pool, comma-separated */
static uint16_t table_list(const gen *g, uint32_t inst, gen_rng *tr, int ntok, char *dst, size_t cap) {
    uint64_t seen[24];
    int ns = 0;
    size_t len = 0;
    uint32_t pool = g->inst[inst].ntables;
    for (int k = 0; k < ntok; k++) {
        uint64_t id = 0;
        for (int tries = 0; tries < 8; tries++) {
            id = table_id(g, inst, gen_zipf(tr, pool, TABLE_ZIPF));
            bool dup = false;
            for (int j = 0; j < ns; j++) dup |= seen[j] == id;
            if (!dup) break;
        }
        bool dup = false;
        for (int j = 0; j < ns; j++) dup |= seen[j] == id;
        if (dup) continue;
        if (len + 22 > cap) break;
        if (ns < 24) seen[ns++] = id;
        if (len) dst[len++] = ',';
        len += put_u64(dst + len, id);
    }
    return (uint16_t)len;
}

static void set_null(gen_row *r, int c) { r->nulls |= 1u << c; }

/* Is row seq of the instance a possible cache source (an uncached select)? */
static bool source_ok(const gen *g, uint32_t inst, uint64_t seq, int64_t before) {
    gen_rng r;
    row_rng(g, inst, seq, &r);
    double uc = gen_u01(&r), ut = gen_u01(&r);
    if (uc < P_CACHED) return false;
    if (pick_type(&g->inst[inst], ut) != QT_SELECT) return false;
    return gen_arrival(g, inst, seq, gen_hour_of(g, inst, seq)) < before;
}

static int64_t query_id_of(const gen *g, uint32_t inst, uint64_t seq) {
    return (int64_t)gen_feistel_apply(&g->inst[inst].qid, seq) + 1;
}

/* ------------------------------------------------------------------ stratified top templates
 *
 * A template fixes its shape (and so whether its table-id lists are NULL) and its typical compile
 * time and scan size.  The top GEN_TOPR ranks of an (instance, type) carry most of its rows (the
 * rank law is steep), and a few instances carry most of the fleet, so independent draws for
 * them would make the fleet's NULL rates and quantiles depend on the seed.  Instead, for every
 * instance with at least 1/GEN_MAX_TSLOTS of the rows, each coordinate (shape u, compile level,
 * scan level) of its top templates is a weighted systematic sample: the templates, in a random
 * order, cover [0, 1) with lengths proportional to their expected rows, starting at a random
 * offset, and each takes the point in the middle of its piece.  Of T_CAND random (order,
 * offset) candidates the one that best cancels the fleet's accumulated error (rows per bin
 * minus the target, bins = the shape NULL classes or level quantile bands) is kept, instances
 * taken from the largest.  Each template's coordinate stays uniform; the fleet totals become
 * nearly exact.  Lower ranks and small instances draw theirs independently. */
#define T_CAND 24
static const double LEVEL_CUT[] = {0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};
#define NLEVEL_CUT 8

typedef struct tot_idx {
    uint64_t total;
    uint32_t i;
} tot_idx;
static int cmp_total_desc(const void *a, const void *b) {
    const tot_idx *x = a, *y = b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

sl_err gen_templates_init(gen *g, char *err, size_t errlen) {
    shapes_init();
    g->ntslot = 0;
    if (!g->nrows) return SL_OK;
    tot_idx *ti = malloc((size_t)g->ninst * sizeof *ti);
    uint32_t *ord = malloc((size_t)g->ninst * sizeof *ord);
    if (!ti || !ord) {
        free(ti);
        free(ord);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    int n = 0;
    for (int i = 0; i < g->ninst; i++)
        if (g->inst[i].total && (double)g->inst[i].total * GEN_MAX_TSLOTS >= (double)g->nrows)
            ti[n++] = (tot_idx){g->inst[i].total, (uint32_t)i};
    qsort(ti, (size_t)n, sizeof *ti, cmp_total_desc);
    if (n > GEN_MAX_TSLOTS) n = GEN_MAX_TSLOTS;
    for (int j = 0; j < n; j++) ord[j] = ti[j].i;
    free(ti);
    g->tz = malloc(((size_t)n ? (size_t)n : 1) * GEN_NQT * GEN_TOPR * GEN_TCOORD * sizeof *g->tz);
    if (!g->tz) {
        free(ord);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    g->ntslot = n;
    for (int j = 0; j < n; j++) g->inst[ord[j]].tslot = j;
    for (int k = 0; k < GEN_NQT; k++) {
        double zr[GEN_TOPR], ztop = 0;
        for (int r = 0; r < GEN_TOPR; r++) {
            zr[r] = zipf_cdf(r + 2, FP_POOL[k], FP_ZIPF[k]) - zipf_cdf(r + 1, FP_POOL[k], FP_ZIPF[k]);
            ztop += zr[r];
        }
        double E[GEN_TCOORD][NLEVEL_CUT + 1];
        memset(E, 0, sizeof E);
        for (int j = 0; j < n; j++) {
            const gen_inst *in = &g->inst[ord[j]];
            double pk = in->qt_cum[k] - (k ? in->qt_cum[k - 1] : 0);
            double W = (double)in->total * pk * ztop;
            for (int c = 0; c < GEN_TCOORD; c++) {
                const double *cut = c == 0 ? shape_cut[k] : LEVEL_CUT;
                int ncut = c == 0 ? 3 : NLEVEL_CUT;
                double best = INFINITY, bestd[NLEVEL_CUT + 1], bestu[GEN_TOPR];
                for (int cand = 0; cand < T_CAND; cand++) {
                    gen_rng r;
                    gen_rng_seed(&r, gen_hash3(g->seed ^ 0x57a7ull, ((uint64_t)ord[j] * GEN_NQT + (uint64_t)k) * 4 + (uint64_t)c, (uint64_t)cand));
                    int perm[GEN_TOPR];
                    for (int q = 0; q < GEN_TOPR; q++) perm[q] = q;
                    for (int q = GEN_TOPR - 1; q > 0; q--) {
                        int x = (int)gen_below(&r, (uint64_t)q + 1), t = perm[q];
                        perm[q] = perm[x];
                        perm[x] = t;
                    }
                    double phi = gen_u01(&r), cum = 0, d[NLEVEL_CUT + 1], u[GEN_TOPR];
                    for (int b = 0; b <= ncut; b++) d[b] = -W * ((b < ncut ? cut[b] : 1) - (b ? cut[b - 1] : 0));
                    for (int q = 0; q < GEN_TOPR; q++) {
                        int rr = perm[q];
                        double w = ztop > 0 ? zr[rr] / ztop : 0, x = phi + cum + w / 2;
                        x -= floor(x);
                        cum += w;
                        u[rr] = x;
                        int b = 0;
                        while (b < ncut && x >= cut[b]) b++;
                        d[b] += w * W;
                    }
                    double sc = 0;
                    for (int b = 0; b <= ncut; b++) sc += (E[c][b] + d[b]) * (E[c][b] + d[b]);
                    if (sc < best) {
                        best = sc;
                        memcpy(bestd, d, sizeof d);
                        memcpy(bestu, u, sizeof u);
                    }
                }
                for (int b = 0; b <= ncut; b++) E[c][b] += bestd[b];
                float *dst = g->tz + ((size_t)j * GEN_NQT + (size_t)k) * GEN_TOPR * GEN_TCOORD;
                for (int rr = 0; rr < GEN_TOPR; rr++)
                    dst[rr * GEN_TCOORD + c] = (float)(c == 0 ? bestu[rr] : norm_inv(bestu[rr]));
            }
        }
    }
    free(ord);
    return SL_OK;
}

void gen_make_row(const gen *g, uint32_t inst, uint64_t seq, uint32_t hour, gen_row *r) {
    const gen_inst *in = &g->inst[inst];
    gen_rng rng;
    row_rng(g, inst, seq, &rng);
    double u_cache = gen_u01(&rng), u_type = gen_u01(&rng);
    r->nulls = 0;
    r->text_fault = 0;
    r->bad_kind = 0;
    r->rep_kind = 0;
    r->overloaded = 0;
    r->inst = inst;
    r->hour = hour;
    r->seq = seq;
    r->instance_id = in->id;
    r->cluster_size = in->cluster_size;
    if (g->o.kind == GEN_SERVERLESS) set_null(r, C_CLUSTER_SIZE);
    r->arrival = r->t = gen_arrival(g, inst, seq, hour);
    r->query_id = query_id_of(g, inst, seq);
    r->aborted = 0;
    r->cached = 0;
    r->cache_src = 0;
    r->rt_len = r->wt_len = 0;

    /* cached: needs an earlier uncached select of the same instance */
    if (u_cache < P_CACHED && seq > 0) {
        for (int tries = 0; tries < 64; tries++) {
            uint64_t k = 1 + (uint64_t)(-20.0 * log(gen_u01_open(&rng)));
            if (k > seq) k = 1 + gen_below(&rng, seq);
            if (source_ok(g, inst, seq - k, r->t)) {
                r->cached = 1;
                r->cache_src = (double)query_id_of(g, inst, seq - k);
                break;
            }
        }
    }
    if (r->cached) {
        memcpy(r->qt, "other", 5);
        r->qt_len = 5;
        r->user_id = (int64_t)gen_zipf(&rng, in->nusers, USER_ZIPF) - 1;
        r->database_id = (int64_t)gen_zipf(&rng, in->ndb, DB_ZIPF) - 1;
        r->queue = 0;
        r->exec = gen_u01(&rng) < 2.0 / 3 ? 0 : 1 + (int64_t)gen_lognormal(&rng, 0.3, 0.9);
        r->compile = 0;
        r->perm = r->ext = r->sys = r->mb_scanned = r->mb_spilled = 0;
        r->joins = r->scans = r->aggs = 0;
        r->fp_len = 0;
        r->nulls |= 1u << C_COMPILE | 1u << C_FINGERPRINT | 1u << C_PERM | 1u << C_EXT | 1u << C_SYS |
                    1u << C_READ_IDS | 1u << C_WRITE_IDS | 1u << C_MB_SCANNED | 1u << C_MB_SPILLED;
        return;
    }
    set_null(r, C_CACHE_SRC);
    int qt = pick_type(in, u_type);
    const qt_model *m = &QM[qt];
    r->qt_len = (uint8_t)strlen(QT_NAME[qt]);
    memcpy(r->qt, QT_NAME[qt], r->qt_len);

    /* the template (fingerprint): structure, tables, user and typical sizes */
    uint64_t rank = gen_zipf(&rng, FP_POOL[qt], FP_ZIPF[qt]);
    gen_rng tr;
    gen_rng_seed(&tr, gen_hash3(g->seed ^ 0x7e3u, (uint64_t)inst * 16 + (uint64_t)qt, rank));
    static const char hx[] = "0123456789abcdef";
    for (int w = 0; w < 4; w++) {
        uint64_t x = gen_next64(&tr);
        for (int k = 0; k < 16; k++) r->fp[w * 16 + k] = hx[(x >> (60 - 4 * k)) & 15];
    }
    r->fp_len = 64;
    const float *tz = rank <= GEN_TOPR && in->tslot >= 0
                          ? g->tz + (((size_t)in->tslot * GEN_NQT + (size_t)qt) * GEN_TOPR + (size_t)(rank - 1)) * GEN_TCOORD
                          : NULL;
    double u_shape = gen_u01(&tr);
    if (tz) u_shape = tz[0];
    const gen_shape *sh = pick_shape(qt, u_shape);
    r->perm = sh->perm;
    r->ext = sh->ext;
    r->sys = sh->sys;
    r->joins = sh->joins;
    r->scans = sh->scans;
    r->aggs = sh->aggs;
    r->user_id = (int64_t)gen_zipf(&tr, in->nusers, USER_ZIPF) - 1;
    r->database_id = (int64_t)gen_zipf(&tr, in->ndb, DB_ZIPF) - 1;
    /* template levels (standard normal), mixed with per-run noise so that a run's spread on the
     * log scale is about WITHIN_SD, then mapped through the type's fitted quantile function */
    double z_compile = gen_normal(&tr), z_scan = gen_normal(&tr);
    if (tz) z_compile = tz[1], z_scan = tz[2];
    double rc = sqrt(fmax(1 - WITHIN_SD * WITHIN_SD / (m->compile_sd * m->compile_sd), 0.01));
    double rs = sqrt(fmax(1 - WITHIN_SD * WITHIN_SD / (m->scan_sd * m->scan_sd), 0.01));
    if (sh->nread) r->rt_len = table_list(g, inst, &tr, sh->nread, r->rt, GEN_RT_MAX);
    if (!sh->nread || !r->rt_len) set_null(r, C_READ_IDS);
    if (sh->nwrite) r->wt_len = table_list(g, inst, &tr, sh->nwrite, r->wt, GEN_WT_MAX);
    if (!sh->nwrite || !r->wt_len) set_null(r, C_WRITE_IDS);

    /* this execution */
    double cz = gen_u01(&rng);
    double comp = 0;
    if (cz >= m->compile_zero) {
        double z = rc * z_compile + sqrt(1 - rc * rc) * gen_normal(&rng);
        comp = floor(quantile_of(GEN_Q_COMPILE[qt], norm_cdf(z)));
    }
    if (comp > 5e8) comp = 5e8;
    double ex = comp > 0 ? comp + floor(gen_lognormal(&rng, log(m->extra_med), m->extra_sd))
                         : 1 + floor(gen_lognormal(&rng, log(m->exec0_med), m->exec0_sd));
    if (ex > 6e8) ex = 6e8;
    r->compile = comp;
    r->exec = (int64_t)ex;
    r->queue = gen_u01(&rng) < m->queue_zero ? 0 : (int64_t)floor(quantile_of(GEN_Q_QUEUE, gen_u01(&rng)));
    r->aborted = gen_u01(&rng) < m->abort_p;
    if (gen_u01(&rng) < m->scan_zero) r->mb_scanned = 0;
    else {
        double z = rs * z_scan + sqrt(1 - rs * rs) * gen_normal(&rng);
        r->mb_scanned = fmin(floor(quantile_of(GEN_Q_SCAN[qt], norm_cdf(z))), 1e9);
    }
    r->mb_spilled = gen_u01(&rng) < m->spill_p ? fmax(1, fmin(floor(gen_lognormal(&rng, SPILL_MU, SPILL_SD)), SPILL_MAX)) : 0;
    double un = gen_u01(&rng);
    if (un < P_NULL_CFM) r->nulls |= 1u << C_COMPILE | 1u << C_FINGERPRINT | 1u << C_MB_SCANNED | 1u << C_MB_SPILLED;
    else if ((un -= P_NULL_CFM) < P_NULL_CF) r->nulls |= 1u << C_COMPILE | 1u << C_FINGERPRINT;
    else if ((un -= P_NULL_CF) < P_NULL_F) r->nulls |= 1u << C_FINGERPRINT;
    else if ((un -= P_NULL_F) < P_NULL_M) r->nulls |= 1u << C_MB_SCANNED | 1u << C_MB_SPILLED;
    if (r->nulls & 1u << C_COMPILE) r->compile = 0;
    if (r->nulls & 1u << C_MB_SCANNED) r->mb_scanned = r->mb_spilled = 0;
    /* an overloaded episode of the instance (4 hours, chosen by the seed): every uncached
     * query runs 10-40 min after waiting 3-8 times that, and spills -- high queue, spill and
     * concurrency scores (docs/metrics.md, utilization); the other draws are not changed */
    if (g->o.overload > 0 &&
        (double)(gen_hash3(g->seed ^ 0x0e7b1adu, inst, hour / 4) >> 11) * 0x1.0p-53 < g->o.overload) {
        r->overloaded = 1;
        double ov_exec = 600000.0 + floor(gen_u01(&rng) * 1800000.0);
        if ((double)r->exec < ov_exec) r->exec = (int64_t)ov_exec;
        r->queue = (int64_t)((double)r->exec * (3.0 + 5.0 * gen_u01(&rng)));
        if (!(r->nulls & 1u << C_MB_SPILLED))
            r->mb_spilled = fmax(r->mb_spilled, fmax(1, fmin(floor(gen_lognormal(&rng, SPILL_MU + 2, SPILL_SD)), SPILL_MAX)));
    }
}

/* ------------------------------------------------------------------ options */

const sl_opt gen_opts_table[] = {
    GEN_OPT_ROWS(gen_opts, "exactly N rows before duplicates"),
    {.name = "scale", .type = SL_OPT_T_DOUBLE, SL_OPT_F_(gen_opts, scale), .min = 0, .max = 1e300, .flags = SL_OPT_MIN_EXCL,
     .arg = "F", .expect = "a positive number",
     .help = "F x the real number of queries of the chosen instances and hours "
             "(1.0 = real volume: 8.2M serverless, 433M provisioned for 200 instances)"},
    {.name = "rate", .type = SL_OPT_T_DOUBLE, SL_OPT_F_(gen_opts, rate), .min = 0, .max = 1e300, .flags = SL_OPT_MIN_EXCL,
     .arg = "R", .expect = "a positive number", .help = "R events per hour on average, whole fleet (rows = R x hours)"},
    GEN_OPT_SEED(gen_opts),
    {.name = "kind", .type = SL_OPT_T_ENUM, SL_OPT_F_(gen_opts, kind), .def = "serverless",
     .choices = "serverless|provisioned|product-events", .arg = "K",
     .help = "serverless (cluster_size NULL), provisioned, or product-events (Segment-style "
             "JSON Lines, its own options: sluice gen --kind product-events --help)"},
    {.name = "instances", .type = SL_OPT_T_INT, SL_OPT_F_(gen_opts, instances), .def = "200", .min = 1, .max = 100000,
     .help = "number of instances; each has rows in the output when there are at least N rows"},
    GEN_OPT_RANGE(gen_opts),
    {.name = "profile", .type = SL_OPT_T_STRING, SL_OPT_F_(gen_opts, profile), .arg = "FILE|none",
     .help = "hourly profile Parquet (instance_id, timestamp, query_count); default: the real one, "
             "hourly_by_instance_KIND.parquet in --profiles DIR, else in data/redset/ of $SLUICE_SHARED, "
             "../shared, or the shared/ beside the binary's checkout, else built-in approximations; "
             "'none' forces built-in.  The summary says which was used"},
    {.name = "profiles", .type = SL_OPT_T_STRING, SL_OPT_F_(gen_opts, profiles_dir), .arg = "DIR",
     .help = "the directory of hourly_by_instance_KIND.parquet (an error when it is not there)"},
    {.name = "order", .type = SL_OPT_T_ENUM, SL_OPT_F_(gen_opts, order), .def = "sorted", .choices = "sorted|runs|shuffled",
     .arg = "O",
     .help = "sorted (by arrival_timestamp), runs (one arrival-ordered run per instance, "
             "like full.parquet) or shuffled (like the sample files)"},
    GEN_OPT_FRACTION(gen_opts, late, "displaced", "faults (each counted in the summary)",
                     "fraction of rows displaced: held back and emitted out of order (what a run then "
                     "counts as late depends on its --lateness)"),
    GEN_OPT_RENAMED_LATE,
    GEN_OPT_DISPLACEMENT(gen_opts, 1, "how far in event time a displaced row is held back, at most"),
    GEN_OPT_FRACTION(gen_opts, duplicates, "duplicates", NULL,
                     "fraction of rows emitted a second time later in the same hour"),
    GEN_OPT_FRACTION(gen_opts, bad_rows, "bad_rows", NULL,
                     "fraction of bad rows, spread evenly over the 17 bad-row kinds"),
    GEN_OPT_FRACTION(gen_opts, repairs, "repairs", NULL,
                     "fraction of rows with a repairable defect (NULL durations, odd flags, "
                     "mixed-case query_type, odd or invalid table-id tokens, ...); "
                     "--bad-rows + --repairs <= 1"),
    GEN_OPT_FRACTION(gen_opts, overload, "overload", NULL,
                     "fraction of each instance's 4-hour episodes that are overloaded: their queries "
                     "wait 3-8 times a 10-40 min execution and spill (oversubscribed hours, "
                     "docs/gen.md)"),
    SL_OPT_END,
};

gen_opts gen_opts_default(void) {
    gen_opts o;
    memset(&o, 0, sizeof o);
    o.seed = 1;
    o.kind = GEN_SERVERLESS;
    o.instances = 200;
    o.start_us = sl_days_from_civil(2024, 3, 1) * SL_US_PER_DAY;
    o.end_us = sl_days_from_civil(2024, 5, 31) * SL_US_PER_DAY;
    o.order = GEN_ORDER_SORTED;
    o.max_disp_us = 30LL * 60 * 1000000;
    return o;
}

/* ------------------------------------------------------------------ open */

sl_err gen_open(gen **out, const gen_opts *o, char *err, size_t errlen) {
    *out = NULL;
    shapes_init();
    if (!(o->late >= 0 && o->late <= 1) || !(o->duplicates >= 0 && o->duplicates <= 1) ||
        !(o->bad_rows >= 0 && o->bad_rows <= 1) || !(o->repairs >= 0 && o->repairs <= 1) ||
        !(o->overload >= 0 && o->overload <= 1) ||
        o->bad_rows + o->repairs > 1)
        return sl_err_set(err, errlen, SL_ERR_ARG, "fault rates must be in [0, 1] (and --bad-rows + --repairs <= 1)");
    if (o->late > 0 && o->max_disp_us <= 0)
        return sl_err_set(err, errlen, SL_ERR_ARG, "--max-displacement must be positive");
    gen *g = calloc(1, sizeof *g);
    if (!g) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    g->o = *o;
    g->o.profile = NULL; /* not kept: the caller's string */
    g->seed = gen_mix64(o->seed ^ 0x511ceULL);
    g->o.profile = o->profile;
    sl_err e = gen_plan(g, err, errlen);
    g->o.profile = NULL;
    g->o.shared_dir = NULL;
    g->o.profiles_dir = NULL;
    if (e) {
        gen_close(g);
        return e;
    }
    g->c.base_rows = g->nrows;
    gen_rng_seed(&g->frng, gen_hash(g->seed, 0xfa017u));
    g->cur_hour = -1;
    g->cur_inst = -1;
    g->cur_base_inst = -1;
    g->last_t = INT64_MIN;
    /* key buffer: the largest hour (sorted) or the largest cell (runs) */
    size_t need = 0;
    if (o->order == GEN_ORDER_SORTED) {
        for (int64_t h = 0; h < g->nhours; h++) {
            size_t s = 0;
            for (int i = 0; i < g->ninst; i++) s += g->cnt[(size_t)i * (size_t)g->nhours + (size_t)h];
            if (s > need) need = s;
        }
    } else if (o->order == GEN_ORDER_RUNS) {
        for (size_t k = 0; k < (size_t)g->ninst * (size_t)g->nhours; k++)
            if (g->cnt[k] > need) need = g->cnt[k];
    } else {
        gen_feistel_init(&g->shuf, g->nrows, gen_hash(g->seed, 0x5b0fULL));
        double span = (double)g->nhours * (double)GEN_HOUR_US;
        g->disp_rows = (int64_t)((double)o->max_disp_us / span * (double)g->nrows);
        if (g->disp_rows < 1) g->disp_rows = 1;
    }
    if (need) {
        g->keys = malloc(need * sizeof *g->keys);
        if (!g->keys) {
            gen_close(g);
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (%zu arrival keys)", need);
        }
        g->keycap = need;
    }
    *out = g;
    return SL_OK;
}

void gen_close(gen *g) {
    if (!g) return;
    free(g->inst);
    free(g->cnt);
    free(g->pre);
    free(g->icum);
    free(g->keys);
    free(g->ready.v);
    free(g->held.v);
    free(g->dups.v);
    free(g->tf);
    free(g->tz);
    free(g);
}

const gen_counts *gen_get_counts(const gen *g) { return &g->c; }
uint64_t gen_planned_rows(const gen *g) { return g->nrows; }
int gen_num_instances(const gen *g) { return g->ninst; }
int64_t gen_num_hours(const gen *g) { return g->nhours; }
const char *gen_profile_desc(const gen *g) { return g->profile_desc; }
const uint8_t *gen_text_faults(const gen *g) { return g->tf_any ? g->tf : NULL; }

/* ------------------------------------------------------------------ batch */

sl_err gen_init_batch(gen *g, sl_batch *b, char *err, size_t errlen) {
    static const struct {
        const char *name;
        sl_type t;
        int kind; /* 0 plain, 1 string, 2 timestamp */
    } cols[C_NCOLS] = {
        {"instance_id", SL_I32, 0}, {"cluster_size", SL_F64, 0}, {"user_id", SL_I64, 0}, {"database_id", SL_I64, 0},
        {"query_id", SL_I64, 0}, {"arrival_timestamp", SL_I64, 2}, {"compile_duration_ms", SL_F64, 0},
        {"queue_duration_ms", SL_I64, 0}, {"execution_duration_ms", SL_I64, 0}, {"feature_fingerprint", SL_BYTES, 1},
        {"was_aborted", SL_I32, 0}, {"was_cached", SL_I32, 0}, {"cache_source_query_id", SL_F64, 0},
        {"query_type", SL_BYTES, 1}, {"num_permanent_tables_accessed", SL_F64, 0},
        {"num_external_tables_accessed", SL_F64, 0}, {"num_system_tables_accessed", SL_F64, 0},
        {"read_table_ids", SL_BYTES, 1}, {"write_table_ids", SL_BYTES, 1}, {"mbytes_scanned", SL_F64, 0},
        {"mbytes_spilled", SL_F64, 0}, {"num_joins", SL_I64, 0}, {"num_scans", SL_I64, 0}, {"num_aggregations", SL_I64, 0},
    };
    (void)g;
    for (int c = 0; c < C_NCOLS; c++) {
        sl_coltype t;
        memset(&t, 0, sizeof t);
        t.type = cols[c].t;
        if (cols[c].kind == 1) t.logical = SL_LOG_STRING;
        if (cols[c].kind == 2) {
            t.logical = SL_LOG_TIMESTAMP;
            t.unit = SL_UNIT_MICROS;
            t.utc = false;
        }
        sl_err e = sl_batch_add_col(b, cols[c].name, &t, true, err, errlen);
        if (e) return e;
    }
    return SL_OK;
}

static bool append_row(sl_batch *b, const gen_row *r) {
    size_t i = b->nrows;
    for (int c = 0; c < C_NCOLS; c++) {
        sl_col *col = &b->cols[c];
        bool isnull = r->nulls >> c & 1;
        if (isnull) {
            uint8_t *v = sl_col_valid_alloc(b, (size_t)c);
            if (!v) return false;
            sl_bit_clear(v, i);
            col->null_count++;
        } else if (col->valid) {
            sl_bit_set(col->valid, i);
        }
        switch (c) {
        case C_INSTANCE_ID: ((int32_t *)col->data)[i] = isnull ? 0 : r->instance_id; break;
        case C_CLUSTER_SIZE: ((double *)col->data)[i] = isnull ? 0 : r->cluster_size; break;
        case C_USER_ID: ((int64_t *)col->data)[i] = isnull ? 0 : r->user_id; break;
        case C_DATABASE_ID: ((int64_t *)col->data)[i] = isnull ? 0 : r->database_id; break;
        case C_QUERY_ID: ((int64_t *)col->data)[i] = isnull ? 0 : r->query_id; break;
        case C_ARRIVAL: ((int64_t *)col->data)[i] = isnull ? 0 : r->arrival; break;
        case C_COMPILE: ((double *)col->data)[i] = isnull ? 0 : r->compile; break;
        case C_QUEUE: ((int64_t *)col->data)[i] = isnull ? 0 : r->queue; break;
        case C_EXEC: ((int64_t *)col->data)[i] = isnull ? 0 : r->exec; break;
        case C_ABORTED: ((int32_t *)col->data)[i] = isnull ? 0 : r->aborted; break;
        case C_CACHED: ((int32_t *)col->data)[i] = isnull ? 0 : r->cached; break;
        case C_CACHE_SRC: ((double *)col->data)[i] = isnull ? 0 : r->cache_src; break;
        case C_PERM: ((double *)col->data)[i] = isnull ? 0 : r->perm; break;
        case C_EXT: ((double *)col->data)[i] = isnull ? 0 : r->ext; break;
        case C_SYS: ((double *)col->data)[i] = isnull ? 0 : r->sys; break;
        case C_MB_SCANNED: ((double *)col->data)[i] = isnull ? 0 : r->mb_scanned; break;
        case C_MB_SPILLED: ((double *)col->data)[i] = isnull ? 0 : r->mb_spilled; break;
        case C_JOINS: ((int64_t *)col->data)[i] = isnull ? 0 : r->joins; break;
        case C_SCANS: ((int64_t *)col->data)[i] = isnull ? 0 : r->scans; break;
        case C_AGGS: ((int64_t *)col->data)[i] = isnull ? 0 : r->aggs; break;
        case C_FINGERPRINT:
        case C_QUERY_TYPE:
        case C_READ_IDS:
        case C_WRITE_IDS: {
            sl_str s = {"", 0};
            if (!isnull) {
                const char *p = c == C_FINGERPRINT ? r->fp : c == C_QUERY_TYPE ? r->qt : c == C_READ_IDS ? r->rt : r->wt;
                uint32_t n = c == C_FINGERPRINT ? r->fp_len : c == C_QUERY_TYPE ? r->qt_len : c == C_READ_IDS ? r->rt_len : r->wt_len;
                if (n) {
                    char *d = sl_arena_dup(&b->arena, p, n);
                    if (!d) return false;
                    s.ptr = d;
                    s.len = n;
                }
            }
            ((sl_str *)col->data)[i] = s;
            break;
        }
        }
    }
    b->nrows++;
    return true;
}

/* ------------------------------------------------------------------ row orders */

static int cmp_key(const void *a, const void *b) {
    const gen_key *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    if (x->inst != y->inst) return x->inst < y->inst ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static void add_cell_keys(gen *g, uint32_t i, uint32_t h) {
    uint32_t n = g->cnt[(size_t)i * (size_t)g->nhours + h];
    uint64_t s0 = g->pre[(size_t)i * (size_t)(g->nhours + 1) + h];
    for (uint32_t k = 0; k < n; k++) {
        gen_key *key = &g->keys[g->nkeys++];
        key->seq = s0 + k;
        key->inst = i;
        key->hour = h;
        key->t = gen_arrival(g, i, s0 + k, h);
    }
}

/* next base row in output order; false at the end */
static bool pull_base(gen *g, gen_row *r) {
    if (g->o.order == GEN_ORDER_SHUFFLED) {
        if (g->spos >= g->nrows) return false;
        uint64_t p = gen_feistel_apply(&g->shuf, g->spos++);
        size_t lo = 0, hi = (size_t)g->ninst; /* largest i with icum[i] <= p */
        while (lo + 1 < hi) {
            size_t mid = (lo + hi) / 2;
            if (g->icum[mid] <= p) lo = mid;
            else hi = mid;
        }
        uint64_t seq = p - g->icum[lo];
        gen_make_row(g, (uint32_t)lo, seq, gen_hour_of(g, (uint32_t)lo, seq), r);
        return true;
    }
    while (g->keypos >= g->nkeys) {
        g->nkeys = g->keypos = 0;
        if (g->o.order == GEN_ORDER_SORTED) {
            if (g->cur_hour + 1 >= g->nhours) return false;
            g->cur_hour++;
            for (int i = 0; i < g->ninst; i++) add_cell_keys(g, (uint32_t)i, (uint32_t)g->cur_hour);
        } else {
            if (g->cur_inst < 0) {
                g->cur_inst = 0;
                g->cur_hour = -1;
            }
            if (g->cur_hour + 1 >= g->nhours) {
                if (g->cur_inst + 1 >= g->ninst) return false;
                g->cur_inst++;
                g->cur_hour = -1;
            }
            g->cur_hour++;
            add_cell_keys(g, (uint32_t)g->cur_inst, (uint32_t)g->cur_hour);
        }
        if (g->nkeys > 1) qsort(g->keys, g->nkeys, sizeof *g->keys, cmp_key);
    }
    gen_key *k = &g->keys[g->keypos++];
    gen_make_row(g, k->inst, k->seq, k->hour, r);
    return true;
}

/* ------------------------------------------------------------------ late and duplicate events */

static gen_row *q_push(gen_rowq *q) {
    if (q->head && q->head == q->n) q->head = q->n = 0;
    if (q->n == q->cap) {
        if (q->head > 0) {
            memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
            q->n -= q->head;
            q->head = 0;
        }
        if (q->n == q->cap) {
            size_t nc = q->cap ? q->cap * 2 : 64;
            gen_row *nv = realloc(q->v, nc * sizeof *nv);
            if (!nv) return NULL;
            q->v = nv;
            q->cap = nc;
        }
    }
    return &q->v[q->n++];
}

/* min-heap on key over v[0..n) (head unused) */
static void heap_up(gen_rowq *q, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (q->v[p].key <= q->v[i].key) break;
        gen_row t = q->v[p];
        q->v[p] = q->v[i];
        q->v[i] = t;
        i = p;
    }
}
static void heap_pop(gen_rowq *q, gen_row *out) {
    *out = q->v[0];
    q->v[0] = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && q->v[l].key < q->v[m].key) m = l;
        if (r < q->n && q->v[r].key < q->v[m].key) m = r;
        if (m == i) break;
        gen_row t = q->v[m];
        q->v[m] = q->v[i];
        q->v[i] = t;
        i = m;
    }
}

static bool emit_ready(gen *g, const gen_row *r) {
    gen_row *d = q_push(&g->ready);
    if (!d) return false;
    *d = *r;
    return true;
}

/* release a held (late) row into the ready queue */
static bool release_held(gen *g) {
    gen_row r;
    heap_pop(&g->held, &r);
    bool displaced = g->o.order == GEN_ORDER_SHUFFLED ? g->emitted_base > r.hold_count : g->last_t > r.t;
    if (r.t > g->last_t) g->last_t = r.t;
    if (displaced) g->c.late++;
    return emit_ready(g, &r);
}

/* move due duplicate copies to the ready queue; all of them when flush */
static bool release_dups(gen *g, bool flush, int64_t next_hour, int next_inst) {
    size_t w = 0;
    for (size_t k = 0; k < g->dups.n; k++) {
        gen_row *d = &g->dups.v[k];
        bool due = flush || (uint64_t)d->key <= g->base_count;
        if (g->o.order == GEN_ORDER_SORTED && (int64_t)d->hour != next_hour) due = true;
        if (g->o.order == GEN_ORDER_RUNS && ((int64_t)d->hour != next_hour || (int)d->inst != next_inst)) due = true;
        if (due) {
            if (!emit_ready(g, d)) return false;
            g->c.duplicates++;
        } else {
            g->dups.v[w++] = *d;
        }
    }
    g->dups.n = w;
    return true;
}

/* Produce rows into the ready queue until it is non-empty or the input ends. */
static int fill_ready(gen *g) {
    while (g->ready.n == g->ready.head) {
        g->ready.n = g->ready.head = 0;
        if (g->base_end) {
            if (g->held.n == 0 && g->dups.n == 0) return 0;
            while (g->held.n)
                if (!release_held(g)) return -1;
            if (!release_dups(g, true, -1, -1)) return -1;
            continue;
        }
        gen_row *r = &g->cur;
        if (!pull_base(g, r)) {
            g->base_end = true;
            continue;
        }
        bool m_cached = r->cached, m_aborted = r->aborted, m_spilled = r->mb_spilled > 0, m_over = r->overloaded;
        bool m_nc = !r->cached && (r->nulls >> C_COMPILE & 1), m_nm = !r->cached && (r->nulls >> C_MB_SCANNED & 1);
        bool m_nf = !r->cached && (r->nulls >> C_FINGERPRINT & 1);
        gen_fault_pure(g, r);
        if (!r->bad_kind) {
            g->c.cached += m_cached;
            g->c.aborted += m_aborted;
            g->c.spilled += m_spilled;
            g->c.overloaded += m_over;
            g->c.null_compile += m_nc;
            g->c.null_mbytes += m_nm;
            g->c.null_fingerprint += m_nf;
        }
        /* release late rows that are due before this one */
        if (g->o.order == GEN_ORDER_SHUFFLED) {
            while (g->held.n && (uint64_t)g->held.v[0].key <= g->base_count)
                if (!release_held(g)) return -1;
        } else {
            if (g->o.order == GEN_ORDER_RUNS && g->cur_base_inst >= 0 && (int)r->inst != g->cur_base_inst) {
                while (g->held.n)
                    if (!release_held(g)) return -1;
                g->last_t = INT64_MIN;
            }
            while (g->held.n && g->held.v[0].key < r->t)
                if (!release_held(g)) return -1;
        }
        if (g->dups.n && !release_dups(g, false, (int64_t)r->hour, (int)r->inst)) return -1;
        /* this row: late? */
        bool faulted = r->bad_kind != 0 || r->rep_kind != 0;
        if (g->o.late > 0 && gen_u01(&g->frng) < g->o.late) {
            g->c.late_held++;
            gen_row *h = q_push(&g->held);
            if (!h) return -1;
            *h = *r;
            if (g->o.order == GEN_ORDER_SHUFFLED)
                h->key = (int64_t)g->base_count + 1 + (int64_t)gen_below(&g->frng, (uint64_t)g->disp_rows);
            else h->key = r->t + 1 + (int64_t)gen_below(&g->frng, (uint64_t)g->o.max_disp_us);
            h->hold_count = g->emitted_base;
            heap_up(&g->held, g->held.n - 1);
        } else {
            if (!emit_ready(g, r)) return -1;
            g->emitted_base++;
            if (r->t > g->last_t) g->last_t = r->t;
            if (g->o.duplicates > 0 && gen_u01(&g->frng) < g->o.duplicates && !faulted) {
                gen_row *d = q_push(&g->dups);
                if (!d) return -1;
                *d = *r;
                d->key = (int64_t)g->base_count + 2 + (int64_t)gen_below(&g->frng, 64);
            }
        }
        g->base_count++;
        g->cur_base_inst = (int)r->inst;
    }
    return 1;
}

long gen_next(gen *g, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    sl_batch_reset(b);
    if (max_rows == 0) max_rows = 65536;
    sl_err e = sl_batch_reserve(b, max_rows, err, errlen);
    if (e) return e;
    if (g->tfcap < max_rows) {
        uint8_t *t = realloc(g->tf, max_rows);
        if (!t) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        g->tf = t;
        g->tfcap = max_rows;
    }
    g->tf_any = false;
    while (b->nrows < max_rows) {
        int rc = fill_ready(g);
        if (rc < 0) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        if (rc == 0) break;
        gen_row *r = &g->ready.v[g->ready.head++];
        g->tf[b->nrows] = r->text_fault;
        if (r->text_fault) g->tf_any = true;
        if (!append_row(b, r)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        g->c.rows_out++;
    }
    return (long)b->nrows;
}

/* ------------------------------------------------------------------ summary */

const char *const gen_bad_names[GEN_BAD_NKINDS] = {
    "malformed", "missing_arrival_timestamp", "missing_instance_id", "missing_query_id", "missing_query_type",
    "bad_timestamp", "negative_compile_duration_ms", "negative_queue_duration_ms", "negative_execution_duration_ms",
    "negative_mbytes_scanned", "negative_mbytes_spilled", "negative_num_permanent_tables_accessed",
    "negative_num_external_tables_accessed", "negative_num_system_tables_accessed", "negative_num_joins",
    "negative_num_scans", "negative_num_aggregations"};
const char *const gen_rep_names[GEN_REP_NKINDS] = {
    "null_compile_duration_ms", "null_queue_duration_ms", "null_execution_duration_ms", "null_mbytes_scanned",
    "null_num_joins", "flag_was_aborted", "flag_was_cached", "duration_over_cap", "query_type_case_or_space",
    "table_id_unusual_but_valid", "bad_table_id_rows"};

void gen_counts_json(const gen *g, sl_buf *o) {
    const gen_counts *c = &g->c;
    static const char *ord[] = {"sorted", "runs", "shuffled"};
    sl_buf_printf(o, "{\"seed\":%" PRIu64 ",\"kind\":\"%s\",\"order\":\"%s\",\"instances\":%d,\"hours\":%lld,",
                  g->o.seed, g->o.kind == GEN_PROVISIONED ? "provisioned" : "serverless", ord[g->o.order], g->ninst,
                  (long long)g->nhours);
    sl_buf_puts(o, "\"profile\":");
    sl_fmt_json_str(o, g->profile_desc, strlen(g->profile_desc));
    sl_buf_printf(o, ",\"base_rows\":%" PRIu64 ",\"rows_out\":%" PRIu64 ",", c->base_rows, c->rows_out);
    sl_buf_printf(o, "\"late\":%" PRIu64 ",\"late_held\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",", c->late, c->late_held,
                  c->duplicates);
    sl_buf_printf(o, "\"bad_rows\":%" PRIu64 ",\"bad\":{", c->bad_total);
    for (int k = 0; k < GEN_BAD_NKINDS; k++) sl_buf_printf(o, "%s\"%s\":%" PRIu64, k ? "," : "", gen_bad_names[k], c->bad[k]);
    sl_buf_printf(o, "},\"bad_timestamp_text\":%" PRIu64 ",\"malformed_text\":%" PRIu64 ",", c->bad_timestamp_text,
                  c->malformed_text);
    sl_buf_printf(o, "\"repaired_rows\":%" PRIu64 ",\"repairs\":{", c->repaired_rows);
    for (int k = 0; k < GEN_REP_NKINDS; k++) sl_buf_printf(o, "%s\"%s\":%" PRIu64, k ? "," : "", gen_rep_names[k], c->rep[k]);
    sl_buf_printf(o, "},\"bad_table_id_tokens\":%" PRIu64 ",\"overloaded_rows\":%" PRIu64 ",", c->bad_table_id_tokens,
                  c->overloaded);
    sl_buf_printf(o,
                  "\"model\":{\"cached\":%" PRIu64 ",\"aborted\":%" PRIu64 ",\"spilled\":%" PRIu64
                  ",\"null_compile_duration_ms\":%" PRIu64 ",\"null_mbytes\":%" PRIu64 ",\"null_feature_fingerprint\":%" PRIu64 "}}",
                  c->cached, c->aborted, c->spilled, c->null_compile, c->null_mbytes, c->null_fingerprint);
}
