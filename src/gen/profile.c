/* profile.c: how many rows each instance gets in each hour.
 *
 * With an hourly profile (instance_id, timestamp, query_count per hour, e.g.
 * hourly_by_instance_serverless.parquet) the expected count of instance i in
 * hour h is the real count of profile instance (i mod P) in that hour (an
 * hour outside the profile's range maps to the same hour of the week inside
 * it; instances beyond P replay the profile shifted by whole weeks).
 * Without one, built-in tables fitted from the same files give each instance
 * a volume share and a fraction of active hours, and an hour-of-week shape.
 * The expected counts are scaled to the requested total and rounded by
 * systematic sampling (one uniform offset), so the total is exact and every
 * cell gets floor or ceil of its expectation.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/format.h"
#include "gen/gen_internal.h"
#include "gen/gen_tables.h"
#include "io/source.h"
#include "parquet/reader.h"
#include "util/time.h"

#define WEEK_H 168

typedef struct prof {
    int n;            /* instances */
    int32_t *ids;     /* sorted ids */
    int64_t h0, nh;   /* first hour (hours since epoch) and span */
    float *w;         /* n x nh */
    double total;
} prof;

static void prof_free(prof *p) {
    free(p->ids);
    free(p->w);
    memset(p, 0, sizeof *p);
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* "YYYY-MM-DD HH..." -> hours since epoch; -1 on failure */
static int64_t parse_hour_text(const char *s, size_t n) {
    int64_t us;
    if (sl_parse_time(s, n, &us, NULL) != SL_OK) return -1;
    return us / GEN_HOUR_US;
}

typedef struct trip {
    int32_t id;
    int64_t hour;
    double c;
} trip;

static sl_err prof_load(prof *p, const char *path, char *err, size_t errlen) {
    memset(p, 0, sizeof *p);
    sl_source *src = NULL;
    pq_reader *r = NULL;
    sl_batch b;
    sl_batch_init(&b);
    trip *v = NULL;
    size_t nv = 0, capv = 0;
    sl_err e = sl_source_open_file(&src, path, err, errlen);
    if (e) return e;
    if ((e = pq_reader_open(&r, src, NULL, err, errlen))) goto out;
    const char *names[] = {"instance_id", "timestamp", "query_count"};
    if ((e = pq_reader_select(r, names, 3, err, errlen))) goto out;
    if ((e = pq_reader_init_batch(r, &b, err, errlen))) goto out;
    long n;
    while ((n = pq_reader_next(r, &b, 65536, err, errlen)) > 0) {
        const sl_col *ci = &b.cols[0], *ct = &b.cols[1], *cc = &b.cols[2];
        for (long i = 0; i < n; i++) {
            if (sl_col_is_null(ci, (size_t)i) || sl_col_is_null(ct, (size_t)i) || sl_col_is_null(cc, (size_t)i)) continue;
            trip t;
            t.id = ci->t.type == SL_I64 ? (int32_t)((const int64_t *)ci->data)[i] : ((const int32_t *)ci->data)[i];
            if (ct->t.type == SL_BYTES) {
                sl_str s = ((const sl_str *)ct->data)[i];
                t.hour = parse_hour_text(s.ptr, s.len);
            } else if (ct->t.type == SL_I64 && ct->t.logical == SL_LOG_TIMESTAMP) {
                int64_t v64 = ((const int64_t *)ct->data)[i];
                int64_t per_h = ct->t.unit == SL_UNIT_MILLIS ? 3600000LL : ct->t.unit == SL_UNIT_MICROS ? GEN_HOUR_US : GEN_HOUR_US * 1000;
                t.hour = v64 >= 0 ? v64 / per_h : -1;
            } else {
                e = sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: column 'timestamp' must be text or TIMESTAMP", path);
                goto out;
            }
            if (cc->t.type == SL_I64) t.c = (double)((const int64_t *)cc->data)[i];
            else if (cc->t.type == SL_I32) t.c = ((const int32_t *)cc->data)[i];
            else if (cc->t.type == SL_F64) t.c = ((const double *)cc->data)[i];
            else {
                e = sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: column 'query_count' must be a number", path);
                goto out;
            }
            if (t.hour < 0 || !(t.c > 0)) continue;
            if (nv == capv) {
                size_t nc = capv ? capv * 2 : 65536;
                trip *nvp = realloc(v, nc * sizeof *v);
                if (!nvp) {
                    e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                    goto out;
                }
                v = nvp;
                capv = nc;
            }
            v[nv++] = t;
        }
    }
    if (n < 0) {
        e = (sl_err)n;
        goto out;
    }
    if (nv == 0) {
        e = sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: the profile has no rows with a positive query_count", path);
        goto out;
    }
    int32_t *ids = malloc(nv * sizeof *ids);
    if (!ids) {
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        goto out;
    }
    int64_t hmin = INT64_MAX, hmax = INT64_MIN;
    for (size_t i = 0; i < nv; i++) {
        ids[i] = v[i].id;
        if (v[i].hour < hmin) hmin = v[i].hour;
        if (v[i].hour > hmax) hmax = v[i].hour;
    }
    qsort(ids, nv, sizeof *ids, cmp_i32);
    size_t nid = 0;
    for (size_t i = 0; i < nv; i++)
        if (!nid || ids[nid - 1] != ids[i]) ids[nid++] = ids[i];
    p->ids = ids;
    p->n = (int)nid;
    p->h0 = hmin;
    p->nh = hmax - hmin + 1;
    if (p->nh > 24 * 366 * 5) {
        e = sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: the profile spans more than 5 years", path);
        goto out;
    }
    p->w = calloc((size_t)p->n * (size_t)p->nh, sizeof *p->w);
    if (!p->w) {
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nv; i++) {
        int32_t *f = bsearch(&v[i].id, p->ids, nid, sizeof *ids, cmp_i32);
        size_t k = (size_t)(f - p->ids);
        p->w[k * (size_t)p->nh + (size_t)(v[i].hour - p->h0)] += (float)v[i].c;
        p->total += v[i].c;
    }
out:
    free(v);
    sl_batch_free(&b);
    pq_reader_close(r);
    sl_source_close(src);
    if (e) prof_free(p);
    return e;
}

static int64_t days_of_hour(int64_t hour) { return hour >= 0 ? hour / 24 : -((-hour + 23) / 24); }

/* per-instance attributes: ids, cluster size, users, databases, tables, type mix */
static void setup_instances(gen *g, const prof *p) {
    static const double QT_W[GEN_NQT] = {2155, 3022, 996, 744, 243, 309, 192, 146, 16, 13};
    static const double CS[] = {1, 2, 4, 8, 16, 32}, CSP[] = {0.25, 0.35, 0.2, 0.1, 0.06, 0.04};
    for (int i = 0; i < g->ninst; i++) {
        gen_inst *in = &g->inst[i];
        gen_rng r;
        gen_rng_seed(&r, gen_hash3(g->seed, 0x1257, (uint64_t)i));
        if (p && p->n) in->id = i < p->n ? p->ids[i] : p->ids[p->n - 1] + (i - p->n) + 1;
        else in->id = i;
        double u = gen_u01(&r), acc = 0;
        in->cluster_size = 1;
        for (int k = 0; k < 6; k++) {
            acc += CSP[k];
            if (u < acc) {
                in->cluster_size = CS[k];
                break;
            }
        }
        double nu = gen_lognormal(&r, 0.3, 0.9);
        in->nusers = 1 + (uint32_t)(nu > 20 ? 20 : nu);
        in->ndb = gen_u01(&r) < 0.75 ? 1 : 2 + (uint32_t)gen_below(&r, 4);
        double nt = 20 + gen_lognormal(&r, 5.3, 1.2);
        in->ntables = (uint32_t)(nt > 20000 ? 20000 : nt);
        for (int k = 0; k < GEN_NQT; k++) in->qt_w[k] = QT_W[k] * gen_lognormal(&r, 0, 0.7);
        in->tslot = -1;
    }
}

/* Calibrate the per-instance type mixes so that the volume-weighted fleet mix equals the
 * sample's (iterative proportional fitting / raking): instance i has volume share v_i and
 * drawn weights w_ik; find type multipliers m_k with sum_i v_i w_ik m_k / sum_j w_ij m_j =
 * target_k.  Instances keep their relative differences (the ratios between instances of
 * w_ik / w_ij are unchanged); only the fleet total is anchored, whatever the seed. */
static void calibrate_mix(gen *g) {
    static const double QT_W[GEN_NQT] = {2155, 3022, 996, 744, 243, 309, 192, 146, 16, 13};
    double tgt[GEN_NQT], m[GEN_NQT], cur[GEN_NQT], ts = 0;
    for (int k = 0; k < GEN_NQT; k++) ts += QT_W[k];
    for (int k = 0; k < GEN_NQT; k++) tgt[k] = QT_W[k] / ts, m[k] = 1;
    double N = g->nrows ? (double)g->nrows : 1;
    for (int it = 0; it < 500; it++) {
        for (int k = 0; k < GEN_NQT; k++) cur[k] = 0;
        for (int i = 0; i < g->ninst; i++) {
            const gen_inst *in = &g->inst[i];
            if (!in->total) continue;
            double s = 0;
            for (int k = 0; k < GEN_NQT; k++) s += in->qt_w[k] * m[k];
            double v = (double)in->total / N / s;
            for (int k = 0; k < GEN_NQT; k++) cur[k] += v * in->qt_w[k] * m[k];
        }
        double worst = 0;
        for (int k = 0; k < GEN_NQT; k++) {
            if (!(cur[k] > 0)) continue;
            double f = tgt[k] / cur[k];
            m[k] *= f;
            if (fabs(f - 1) > worst) worst = fabs(f - 1);
        }
        if (worst < 1e-12) break;
    }
    for (int i = 0; i < g->ninst; i++) {
        gen_inst *in = &g->inst[i];
        double s = 0, acc = 0;
        for (int k = 0; k < GEN_NQT; k++) s += in->qt_w[k] * m[k];
        for (int k = 0; k < GEN_NQT; k++) {
            acc += in->qt_w[k] * m[k] / s;
            in->qt_cum[k] = acc;
        }
        in->qt_cum[GEN_NQT - 1] = 1.0;
    }
}

static void give_every_instance_a_row(gen *g, const float *cw) {
    size_t nh = (size_t)g->nhours;
    uint64_t *itot = calloc((size_t)g->ninst, sizeof *itot);
    if (!itot) return;
    for (int i = 0; i < g->ninst; i++)
        for (size_t h = 0; h < nh; h++) itot[i] += g->cnt[(size_t)i * nh + h];
    int donor = 0;
    for (int i = 0; i < g->ninst; i++) {
        if (itot[i]) continue;
        /* the instance's likeliest hour; none likely: an hour by the seed */
        size_t best = (size_t)(gen_hash3(g->seed, 0x1a57, (uint64_t)i) % nh);
        for (size_t h = 0; h < nh; h++)
            if (cw[(size_t)i * nh + h] > cw[(size_t)i * nh + best]) best = h;
        /* the busiest instance (at least two rows, so it keeps one) */
        for (int k = 0; k < g->ninst; k++)
            if (itot[k] > itot[donor]) donor = k;
        if (itot[donor] < 2) break;
        size_t dh = 0;
        for (size_t h = 0; h < nh; h++)
            if (g->cnt[(size_t)donor * nh + h] > g->cnt[(size_t)donor * nh + dh]) dh = h;
        g->cnt[(size_t)donor * nh + dh]--;
        itot[donor]--;
        g->cnt[(size_t)i * nh + best]++;
        itot[i]++;
    }
    free(itot);
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The real profile of kind: shared_dir, $SLUICE_SHARED, ../shared (from the
 * working directory), then ../shared beside each directory above the
 * binary (build/release/sluice of a checkout next to shared/).  Fills path. */
bool gen_find_profile(const char *shared_dir, const char *kindname, char *path, size_t n) {
    const char *env = getenv("SLUICE_SHARED");
    const char *fixed[] = {shared_dir, env && *env ? env : NULL, "../shared"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        if (!fixed[i]) continue;
        snprintf(path, n, "%s/data/redset/hourly_by_instance_%s.parquet", fixed[i], kindname);
        if (is_file(path)) return true;
        if (i == 0) return false; /* an explicit directory is the only place looked */
    }
    char exe[1024];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l <= 0) return false;
    exe[l] = 0;
    for (int up = 0; up < 5; up++) {
        char *slash = strrchr(exe, '/');
        if (!slash || slash == exe) break;
        *slash = 0; /* exe is now a directory above the binary */
        int w = snprintf(path, n, "%s/../shared/data/redset/hourly_by_instance_%s.parquet", exe, kindname);
        if (w > 0 && (size_t)w < n && is_file(path)) {
            char real[PATH_MAX];
            if (realpath(path, real) && strlen(real) < n) snprintf(path, n, "%s", real);
            return true;
        }
    }
    return false;
}

sl_err gen_plan(gen *g, char *err, size_t errlen) {
    const gen_opts *o = &g->o;
    int64_t h_start = o->start_us >= 0 ? o->start_us / GEN_HOUR_US : -((-o->start_us + GEN_HOUR_US - 1) / GEN_HOUR_US);
    int64_t h_end = (o->end_us + GEN_HOUR_US - 1) / GEN_HOUR_US;
    if (h_end <= h_start) return sl_err_set(err, errlen, SL_ERR_ARG, "--end must be after --start");
    if (h_end - h_start > 24LL * 366 * 20) return sl_err_set(err, errlen, SL_ERR_ARG, "the time range is longer than 20 years");
    g->nhours = h_end - h_start;
    g->start_us = h_start * GEN_HOUR_US;
    g->ninst = o->instances;
    if (g->ninst <= 0 || g->ninst > 100000) return sl_err_set(err, errlen, SL_ERR_ARG, "--instances must be in 1..100000");
    size_t cells = (size_t)g->ninst * (size_t)g->nhours;
    if (cells > (size_t)400 * 1000 * 1000)
        return sl_err_set(err, errlen, SL_ERR_ARG, "instances x hours = %zu is too large (at most 400M cells)", cells);

    /* profile */
    prof p;
    memset(&p, 0, sizeof p);
    const char *kindname = o->kind == GEN_PROVISIONED ? "provisioned" : "serverless";
    char defpath[1024];
    const char *path = o->profile;
    bool builtin = path && !strcmp(path, "none");
    const char *tried = "";
    if (!path && o->profiles_dir) {
        snprintf(defpath, sizeof defpath, "%s/hourly_by_instance_%s.parquet", o->profiles_dir, kindname);
        path = defpath; /* a missing file is prof_load's error */
    } else if (!path) {
        if (gen_find_profile(o->shared_dir, kindname, defpath, sizeof defpath)) path = defpath;
        else {
            builtin = true;
            tried = " (no hourly_by_instance profile found: $SLUICE_SHARED, ../shared or beside the binary's "
                    "repository; --profiles DIR)";
        }
    }
    if (!builtin) {
        sl_err e = prof_load(&p, path, err, errlen);
        if (e) return e;
        snprintf(g->profile_desc, sizeof g->profile_desc, "%s (%d instances, %lld hours)", path, p.n, (long long)p.nh);
    } else {
        snprintf(g->profile_desc, sizeof g->profile_desc, "built-in %s approximation%s", kindname, tried);
    }

    g->inst = calloc((size_t)g->ninst, sizeof *g->inst);
    g->cnt = calloc(cells ? cells : 1, sizeof *g->cnt);
    g->pre = calloc((size_t)g->ninst * (size_t)(g->nhours + 1), sizeof *g->pre);
    g->icum = calloc((size_t)g->ninst + 1, sizeof *g->icum);
    double *w = malloc((size_t)g->nhours * sizeof *w);
    if (!g->inst || !g->cnt || !g->pre || !g->icum || !w) {
        free(w);
        prof_free(&p);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    setup_instances(g, builtin ? NULL : &p);

    /* expected real counts per cell (weights) */
    const float *how = o->kind == GEN_PROVISIONED ? GEN_HOW_PROVISIONED : GEN_HOW_SERVERLESS;
    const float(*itab)[2] = o->kind == GEN_PROVISIONED ? GEN_INST_PROVISIONED : GEN_INST_SERVERLESS;
    int nitab = o->kind == GEN_PROVISIONED ? GEN_NINST_PROVISIONED : GEN_NINST_SERVERLESS;
    double real_total = o->kind == GEN_PROVISIONED ? 433107811.0 : 8244382.0, real_hours = 2185.0;
    gen_feistel tabperm;
    gen_feistel_init(&tabperm, (uint64_t)nitab, gen_hash(g->seed, 0x7ab));
    double W = 0;
    /* pass 1: total weight */
    float *cw = malloc(cells * sizeof *cw);
    if (!cw) {
        free(w);
        prof_free(&p);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < g->ninst; i++) {
        for (int64_t h = 0; h < g->nhours; h++) {
            int64_t hour = h_start + h;
            double x;
            if (!builtin) {
                int pi = i % p.n;
                int64_t shift = (int64_t)(i / p.n) * WEEK_H;
                int64_t rel = hour - shift - p.h0;
                int64_t L = p.nh / WEEK_H * WEEK_H;
                if (rel < 0 || rel >= p.nh) {
                    if (L <= 0) rel = ((rel % p.nh) + p.nh) % p.nh;
                    else rel = ((rel % L) + L) % L;
                }
                x = p.w[(size_t)pi * (size_t)p.nh + (size_t)rel];
            } else {
                const float *t = itab[gen_feistel_apply(&tabperm, (uint64_t)(i % nitab))];
                double act = t[1] > 0.002 ? t[1] : 0.002;
                uint64_t hh = gen_hash3(g->seed, 0xac7 + (uint64_t)i, (uint64_t)hour);
                int64_t days = days_of_hour(hour);
                int dow = (int)(((days + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; Monday = 0 */
                int hw = dow * 24 + (int)(((hour % 24) + 24) % 24);
                x = gen_unit(hh) < act ? t[0] * real_total / (act * real_hours) * how[hw] : 0;
            }
            cw[(size_t)i * (size_t)g->nhours + (size_t)h] = (float)x;
            W += x;
        }
    }
    free(w);
    prof_free(&p);
    if (!(W > 0)) {
        free(cw);
        return sl_err_set(err, errlen, SL_ERR_ARG, "the profile has no queries for these instances and hours");
    }
    double N;
    if (o->rows) N = (double)o->rows;
    else if (o->scale > 0) N = floor(o->scale * W + 0.5);
    else if (o->rate > 0) N = floor(o->rate * (double)g->nhours + 0.5);
    else N = 1000000;
    if (N < 1) N = 1;
    if (N > 4e12) {
        free(cw);
        return sl_err_set(err, errlen, SL_ERR_ARG, "too many rows requested (%.0f)", N);
    }
    uint64_t target = (uint64_t)N;
    double C = N / W, X = 0, U = gen_unit(gen_hash(g->seed, 0x5u)), prevf = floor(U);
    uint64_t tot = 0;
    size_t lastnz = 0;
    for (size_t k = 0; k < cells; k++) {
        X += cw[k] * C;
        double f = floor(X + U);
        double c = f - prevf;
        prevf = f;
        if (c < 0) c = 0;
        if (c > 4e9) {
            free(cw);
            return sl_err_set(err, errlen, SL_ERR_ARG, "too many rows for one instance-hour");
        }
        g->cnt[k] = (uint32_t)c;
        tot += (uint64_t)c;
        if (cw[k] > 0) lastnz = k;
    }
    /* fix rounding drift so the total is exact */
    while (tot < target) {
        g->cnt[lastnz]++;
        tot++;
    }
    for (size_t k = cells; tot > target && k-- > 0;) {
        while (g->cnt[k] && tot > target) {
            g->cnt[k]--;
            tot--;
        }
    }
    /* every instance appears (when there are rows enough): one without a row
     * gets one in its likeliest hour, taken from the busiest instance's
     * busiest hour (the total stays exact) */
    if (target >= (uint64_t)g->ninst) give_every_instance_a_row(g, cw);
    free(cw);
    g->nrows = tot;
    for (int i = 0; i < g->ninst; i++) {
        uint64_t *pr = g->pre + (size_t)i * (size_t)(g->nhours + 1);
        pr[0] = 0;
        for (int64_t h = 0; h < g->nhours; h++) pr[h + 1] = pr[h] + g->cnt[(size_t)i * (size_t)g->nhours + (size_t)h];
        g->inst[i].total = pr[g->nhours];
        g->icum[i + 1] = g->icum[i] + pr[g->nhours];
        gen_feistel_init(&g->inst[i].qid, pr[g->nhours] ? pr[g->nhours] : 1, gen_hash3(g->seed, 0x91d, (uint64_t)i));
    }
    calibrate_mix(g);
    return gen_templates_init(g, err, errlen);
}
