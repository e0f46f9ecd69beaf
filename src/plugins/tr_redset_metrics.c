/* tr_redset_metrics.c: the Redset metric tables (docs/metrics.md section 4)
 * as one transform: query_hourly, spill_hourly, cache_hourly,
 * top_tables_hourly, compile_joins_hourly, compile_corr_hourly,
 * utilization_hourly.  The engine gives it each window's accepted,
 * deduplicated events; cleaning, windows and the watermark are not its
 * business.
 *
 * Design
 *  - Columns are found by name in the schema at init (any schema with the
 *    Redset columns and types works), so the hot loop reads fixed indexes.
 *  - Per window, open-addressing maps (util/hashmap.h) with dense entries:
 *      qtypes  query_type text -> window-local id (text in the window arena)
 *      qmap    (source id, instance_id, qtype id) -> query_hourly sums
 *      imap    (source id, instance_id) -> busy_us, arrival sums for the
 *              scores, cached count, and two nested maps:
 *              tops  table_id -> reads
 *              fps   fingerprint (window arena) -> count, sum/min exec
 *      joins[7] buckets and one Welford co-moment accumulator for corr.
 *    spill_hourly and cache_hourly are roll-ups computed at emission.
 *  - A query's busy interval [start, start + exec) adds to every window it
 *    overlaps: its own, then later ones through en_rows_window.
 *  - Emission builds each table in key order (strings compare bytewise,
 *    shorter prefix first), so the same input gives byte-identical files.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/transform.h"
#include "plugins/plugin.h"
#include "plugins/redset_tables.h"
#include "schema/redset.h"
#include "util/arena.h"
#include "util/hashmap.h"
#include "util/time.h"
#include "util/wire.h"

/* ------------------------------------------------------------------ tables */

#define TS TB_TS
#define STR TB_STR
#define I32 TB_I32
#define I64 TB_I64
#define F64 TB_F64

static const tb_col query_hourly_cols[RS_QH_NCOLS] = {
    [RS_QH_HOUR] = {"hour", TS, false, true, "window start (UTC hour)"},
    [RS_QH_SOURCE] = {"source", STR, false, true, "input label"},
    [RS_QH_INSTANCE] = {"instance_id", I32, false, true, NULL},
    [RS_QH_QUERY_TYPE] = {"query_type", STR, false, true, NULL},
    [RS_QH_QUERIES] = {"queries", I64, false, false, NULL},
    [RS_QH_ABORTED] = {"aborted", I64, false, false, NULL},
    [RS_QH_CACHED] = {"cached", I64, false, false, NULL},
    [RS_QH_SPILLED] = {"spilled", I64, false, false, "queries with mbytes_spilled > 0"},
    [RS_QH_COMPILE_MS_SUM] = {"compile_ms_sum", F64, false, false, NULL},
    [RS_QH_QUEUE_MS_SUM] = {"queue_ms_sum", I64, false, false, NULL},
    [RS_QH_EXEC_MS_SUM] = {"exec_ms_sum", I64, false, false, NULL},
    [RS_QH_MBYTES_SCANNED_SUM] = {"mbytes_scanned_sum", F64, false, false, NULL},
    [RS_QH_MBYTES_SPILLED_SUM] = {"mbytes_spilled_sum", F64, false, false, NULL},
};
static const tb_col spill_hourly_cols[RS_SP_NCOLS] = {
    [RS_SP_HOUR] = {"hour", TS, false, true, NULL},
    [RS_SP_QUERY_TYPE] = {"query_type", STR, false, true, NULL},
    [RS_SP_SPILLED] = {"spilled", I64, false, false, NULL},
    [RS_SP_MBYTES_SPILLED_SUM] = {"mbytes_spilled_sum", F64, false, false, NULL},
    [RS_SP_QUERIES] = {"queries", I64, false, false, NULL},
};
static const tb_col cache_hourly_cols[RS_CA_NCOLS] = {
    [RS_CA_HOUR] = {"hour", TS, false, true, NULL},
    [RS_CA_SOURCE] = {"source", STR, false, true, NULL},
    [RS_CA_INSTANCE] = {"instance_id", I32, false, true, NULL},
    [RS_CA_CACHED] = {"cached", I64, false, false, NULL},
    [RS_CA_QUERIES] = {"queries", I64, false, false, NULL},
    [RS_CA_HIT_RATE] = {"hit_rate", F64, false, false, "cached / queries"},
};
static const tb_col top_tables_hourly_cols[RS_TT_NCOLS] = {
    [RS_TT_HOUR] = {"hour", TS, false, true, NULL},
    [RS_TT_SOURCE] = {"source", STR, false, true, NULL},
    [RS_TT_INSTANCE] = {"instance_id", I32, false, true, NULL},
    [RS_TT_RANK] = {"rank", I32, false, true, "1..k by reads descending, then table_id ascending"},
    [RS_TT_TABLE_ID] = {"table_id", I64, false, false, NULL},
    [RS_TT_READS] = {"reads", I64, false, false, "events of the hour whose read_table_ids contain the id"},
};
static const tb_col compile_joins_hourly_cols[RS_CJ_NCOLS] = {
    [RS_CJ_HOUR] = {"hour", TS, false, true, NULL},
    [RS_CJ_BUCKET] = {"joins_bucket", STR, false, true, "0, 1, 2, 3, 4-5, 6-9 or 10+ joins"},
    [RS_CJ_QUERIES] = {"queries", I64, false, false, NULL},
    [RS_CJ_COMPILE_MS_SUM] = {"compile_ms_sum", F64, false, false, NULL},
    [RS_CJ_COMPILE_MS_MAX] = {"compile_ms_max", F64, false, false, NULL},
};
static const tb_col compile_corr_hourly_cols[RS_CC_NCOLS] = {
    [RS_CC_HOUR] = {"hour", TS, false, true, NULL},
    [RS_CC_N] = {"n", I64, false, false, NULL},
    [RS_CC_CORR] = {"corr", F64, true, false, "Pearson correlation of (num_joins, compile_duration_ms)"},
};
static const tb_col utilization_hourly_cols[RS_UT_NCOLS] = {
    [RS_UT_HOUR] = {"hour", TS, false, true, NULL},
    [RS_UT_SOURCE] = {"source", STR, false, true, NULL},
    [RS_UT_INSTANCE] = {"instance_id", I32, false, true, NULL},
    [RS_UT_BUSY_MS] = {"busy_ms", F64, false, false, NULL},
    [RS_UT_AVG_CONCURRENCY] = {"avg_concurrency", F64, false, false, NULL},
    [RS_UT_Q_SCORE] = {"q_score", F64, false, false, NULL},
    [RS_UT_C_SCORE] = {"c_score", F64, false, false, NULL},
    [RS_UT_S_SCORE] = {"s_score", F64, false, false, NULL},
    [RS_UT_P_SCORE] = {"p_score", F64, false, false, NULL},
    [RS_UT_COMPOSITE] = {"composite", F64, false, false, NULL},
    [RS_UT_OVERSUBSCRIBED] = {"oversubscribed", I32, false, false, NULL},
    [RS_UT_SLOWDOWN] = {"slowdown", F64, true, false, NULL},
    [RS_UT_FP_GROUPS] = {"fp_groups", I64, false, false, NULL},
};

#define TABLE(var, nm, cols, help) const tb_def var = {nm, TB_HOURLY, cols, sizeof cols / sizeof cols[0], help}
TABLE(rs_query_hourly, "query_hourly", query_hourly_cols, "queries per instance, query type and hour");
TABLE(rs_spill_hourly, "spill_hourly", spill_hourly_cols, "spill per query type and hour");
TABLE(rs_cache_hourly, "cache_hourly", cache_hourly_cols, "result cache hits per instance and hour");
TABLE(rs_top_tables_hourly, "top_tables_hourly", top_tables_hourly_cols, "most read tables per instance and hour");
TABLE(rs_compile_joins_hourly, "compile_joins_hourly", compile_joins_hourly_cols, "compile time by joins and hour");
TABLE(rs_compile_corr_hourly, "compile_corr_hourly", compile_corr_hourly_cols, "corr(joins, compile time) per hour");
TABLE(rs_utilization_hourly, "utilization_hourly", utilization_hourly_cols, "utilization scores per instance and hour");

/* The transform's tables in emission order (k below). */
enum { T_QUERY, T_SPILL, T_CACHE, T_TOP, T_JOINS, T_CORR, T_UTIL, T_N };
static const tb_def *const k_tables[T_N + 1] = {&rs_query_hourly,      &rs_spill_hourly,        &rs_cache_hourly,
                                                &rs_top_tables_hourly, &rs_compile_joins_hourly, &rs_compile_corr_hourly,
                                                &rs_utilization_hourly, NULL};

const char *const rs_join_bucket_names[RS_N_JOIN_BUCKETS] = {"0", "1", "2", "3", "4-5", "6-9", "10+"};
/* Bucket indexes in the byte order of their labels: 0 1 10+ 2 3 4-5 6-9. */
static const int join_bucket_order[RS_N_JOIN_BUCKETS] = {0, 1, 6, 2, 3, 4, 5};

static int join_bucket(int64_t j) {
    if (j <= 3) return j < 0 ? 0 : (int)j;
    if (j <= 5) return 4;
    if (j <= 9) return 5;
    return 6;
}

/* ------------------------------------------------------------------ options */

typedef struct rm_opts {
    int top_k;
    double slots;
    double weights[4]; /* q, s, p, c */
    double threshold;
} rm_opts;

static const sl_opt rm_opts_table[] = {
    SL_OPT_INT(rm_opts, top_k, "k", "10", 1, 1000000, "top_tables_hourly ranks kept per instance and hour"),
    {.name = "slots", .type = SL_OPT_T_DOUBLE, SL_OPT_F_(rm_opts, slots), .def = "5", .min = 0, .max = HUGE_VAL,
     .flags = SL_OPT_MIN_EXCL, .help = "utilization slots: p_score = min(1, avg_concurrency / slots)"},
    {.name = "weights", .type = SL_OPT_T_DOUBLES, SL_OPT_F_(rm_opts, weights), .def = "1,1,1,1", .count = 4, .min = 0,
     .max = HUGE_VAL, .flags = SL_OPT_SUM_POS, .arg = "q,s,p,c",
     .help = "composite weights of the q, s, p and c scores (the composite is their weighted mean)"},
    {.name = "threshold", .type = SL_OPT_T_DOUBLE, SL_OPT_F_(rm_opts, threshold), .def = "0.5", .min = -HUGE_VAL,
     .max = HUGE_VAL, .help = "oversubscribed when composite >= threshold"},
    SL_OPT_END,
};

/* ------------------------------------------------------------------ keys and accumulators */

typedef struct qent {
    uint32_t src;
    int32_t inst;
    uint32_t qt;
    uint32_t pad_; /* key = first 16 bytes (zeroed) */
    int64_t queries, aborted, cached, spilled, queue_sum, exec_sum;
    double compile_sum, mb_scanned, mb_spilled;
} qent;

typedef struct sent { /* an interned string: window query types */
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

typedef struct rwin {
    hm qtypes; /* sent, id = index */
    hm qmap;   /* qent */
    hm imap;   /* ient */
    jacc joins[RS_N_JOIN_BUCKETS];
    corr_acc corr;
    sl_arena arena; /* query type and fingerprint text */
} rwin;

/* The schema columns the transform reads. */
typedef struct rm_cols {
    int inst, ts, compile, queue, exec, fp, aborted, cached, qtype, mb_scanned, mb_spilled, joins;
    size_t read_ids; /* index among the schema's ID_LIST columns */
} rm_cols;

typedef struct rm {
    rm_opts o;
    en_env *env;
    rm_cols c;
} rm;

/* ------------------------------------------------------------------ init */

static const char *type_name(sl_type t) {
    return t == SL_I32 ? "INT32" : t == SL_I64 ? "INT64" : t == SL_F64 ? "DOUBLE" : t == SL_BYTES ? "STRING" : "?";
}

static sl_err need_col(const sc_schema *s, const char *name, sl_type type, int *out, char *err, size_t errlen) {
    int c = sc_find(s, name);
    if (c < 0 || s->cols[c].type.type != type)
        return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s has no %s column '%s' (redset_metrics needs the Redset columns)",
                          s->name, type_name(type), name);
    *out = c;
    return SL_OK;
}

static sl_err rm_init(void **state, const void *opts, en_env *env, char *err, size_t errlen) {
    const sc_schema *s = en_env_schema(env);
    rm *r = calloc(1, sizeof *r);
    if (!r) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    r->o = *(const rm_opts *)opts;
    r->env = env;
    static const struct {
        const char *name;
        sl_type type;
        size_t off;
    } need[] = {
        {"instance_id", SL_I32, offsetof(rm_cols, inst)},
        {"arrival_timestamp", SL_I64, offsetof(rm_cols, ts)},
        {"compile_duration_ms", SL_F64, offsetof(rm_cols, compile)},
        {"queue_duration_ms", SL_I64, offsetof(rm_cols, queue)},
        {"execution_duration_ms", SL_I64, offsetof(rm_cols, exec)},
        {"feature_fingerprint", SL_BYTES, offsetof(rm_cols, fp)},
        {"was_aborted", SL_I32, offsetof(rm_cols, aborted)},
        {"was_cached", SL_I32, offsetof(rm_cols, cached)},
        {"query_type", SL_BYTES, offsetof(rm_cols, qtype)},
        {"mbytes_scanned", SL_F64, offsetof(rm_cols, mb_scanned)},
        {"mbytes_spilled", SL_F64, offsetof(rm_cols, mb_spilled)},
        {"num_joins", SL_I64, offsetof(rm_cols, joins)},
    };
    sl_err e = SL_OK;
    for (size_t i = 0; i < sizeof need / sizeof *need && e == SL_OK; i++)
        e = need_col(s, need[i].name, need[i].type, (int *)((char *)&r->c + need[i].off), err, errlen);
    if (e == SL_OK) {
        int rid = -1;
        e = need_col(s, "read_table_ids", SL_BYTES, &rid, err, errlen);
        size_t k = 0;
        while (e == SL_OK && k < s->nidlists && s->idlist_cols[k] != rid) k++;
        if (e == SL_OK && k == s->nidlists)
            e = sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: read_table_ids must be an ID_LIST column", s->name);
        r->c.read_ids = k;
    }
    /* the durations must be repaired to non-NULL, non-negative values for the sums */
    if (e == SL_OK && !(s->cols[r->c.ts].type.logical == SL_LOG_TIMESTAMP))
        e = sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: arrival_timestamp must be a TIMESTAMP", s->name);
    if (e != SL_OK) {
        free(r);
        return e;
    }
    *state = r;
    return SL_OK;
}

static void rm_close(void *state) { free(state); }

/* ------------------------------------------------------------------ windows */

static void *rm_window_new(void *state, int64_t hour) {
    (void)state;
    (void)hour;
    rwin *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    hm_init(&w->qtypes, sizeof(sent), 0);
    hm_init(&w->qmap, sizeof(qent), 16);
    hm_init(&w->imap, sizeof(ient), 8);
    sl_arena_init(&w->arena);
    return w;
}

static void rm_window_free(void *state, void *wp) {
    (void)state;
    rwin *w = wp;
    if (!w) return;
    for (size_t i = 0; i < w->imap.n; i++) {
        ient *e = hm_at(&w->imap, i);
        hm_free(&e->tops);
        hm_free(&e->fps);
    }
    hm_free(&w->qtypes);
    hm_free(&w->qmap);
    hm_free(&w->imap);
    sl_arena_free(&w->arena);
    free(w);
}

/* Intern a query type into the window: its window-local id, or UINT32_MAX on OOM. */
static uint32_t window_qtype(rwin *w, const char *s, uint32_t len) {
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

static ient *window_inst(rwin *w, uint32_t src, int32_t inst) {
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

/* ------------------------------------------------------------------ apply */

#define NOMEM() sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory")

/* Busy time [s, e) of an event of (src, inst) in the windows after its own. */
static sl_err add_busy(en_rows *rows, uint32_t src, int32_t inst, int64_t s, int64_t e, char *err, size_t errlen) {
    for (int64_t h = sl_hour_floor(s); h < e; h += SL_US_PER_HOUR) {
        int64_t a = s > h ? s : h, z = e < h + SL_US_PER_HOUR ? e : h + SL_US_PER_HOUR;
        if (z <= a) continue;
        rwin *w = en_rows_window(rows, h, true);
        if (!w) return NOMEM();
        ient *ie = window_inst(w, src, inst);
        if (!ie) return NOMEM();
        ie->busy_us += z - a;
    }
    return SL_OK;
}

static bool is_select(sl_str q) { return q.len == 6 && memcmp(q.ptr, "select", 6) == 0; }

static sl_err rm_apply(void *state, void *wp, int64_t hour, en_rows *rows, const sl_batch *b, const uint32_t *idx,
                       size_t n, char *err, size_t errlen) {
    const rm *r = state;
    const rm_cols *c = &r->c;
    rwin *w = wp;
    const uint32_t *srcid = en_rows_source(rows);
    const cl_idsets *rids = en_rows_idset(rows, c->read_ids);
    const int32_t *instv = b->cols[c->inst].data;
    const int64_t *tsv = b->cols[c->ts].data;
    const double *compv = b->cols[c->compile].data;
    const int64_t *queuev = b->cols[c->queue].data;
    const int64_t *execv = b->cols[c->exec].data;
    const int32_t *abv = b->cols[c->aborted].data;
    const int32_t *cav = b->cols[c->cached].data;
    const double *mbsv = b->cols[c->mb_scanned].data;
    const double *mbspv = b->cols[c->mb_spilled].data;
    const int64_t *joinsv = b->cols[c->joins].data;
    const sl_str *qtv = b->cols[c->qtype].data;
    const sl_col *fc = &b->cols[c->fp];
    bool added;
    for (size_t k = 0; k < n; k++) {
        size_t i = idx[k];
        uint32_t src = srcid[i];
        int32_t inst = instv[i];
        double compile = compv[i];
        int64_t queue = queuev[i];
        int64_t exec = execv[i];
        int32_t aborted = abv[i] != 0;
        int32_t cached = cav[i] != 0;
        double mbs = mbsv[i];
        double mbsp = mbspv[i];
        int64_t joins = joinsv[i];
        sl_str qt = qtv[i];
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
        for (uint32_t t = rids->off[i]; t < rids->off[i + 1]; t++) {
            int64_t id = rids->ids[t];
            tent *te = hm_upsert(&ie->tops, hm_mix((uint64_t)id), &id, NULL, &added);
            if (!te) return NOMEM();
            te->reads++;
        }

        if (is_select(qt) && !cached) {
            jacc *j = &w->joins[join_bucket(joins)];
            if (j->queries == 0 || compile > j->max) j->max = compile;
            j->queries++;
            j->sum += compile;
            corr_acc *cc = &w->corr;
            double x = (double)joins, y = compile;
            if (cc->n == 0) {
                cc->x0 = x;
                cc->y0 = y;
            } else {
                if (x != cc->x0) cc->x_varies = true;
                if (y != cc->y0) cc->y_varies = true;
            }
            cc->n++;
            double dx = x - cc->mx, dy = y - cc->my;
            cc->mx += dx / (double)cc->n;
            cc->my += dy / (double)cc->n;
            cc->c += dx * (y - cc->my);
            cc->m2x += dx * (x - cc->mx);
            cc->m2y += dy * (y - cc->my);

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

        /* busy time [arrival + queue + compile, + exec): own window first (ie
         * is current), later windows through the engine */
        int64_t s = tsv[i] + queue * 1000 + (int64_t)llround(compile * 1000.0), e = s + exec * 1000;
        if (e > s) {
            int64_t a = s > hour ? s : hour, z = e < hour + SL_US_PER_HOUR ? e : hour + SL_US_PER_HOUR;
            if (z > a) ie->busy_us += z - a;
            if (e > hour + SL_US_PER_HOUR) {
                int64_t s2 = s > hour + SL_US_PER_HOUR ? s : hour + SL_US_PER_HOUR;
                sl_err er = add_busy(rows, src, inst, s2, e, err, errlen);
                if (er != SL_OK) return er;
            }
        }
    }
    return SL_OK;
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

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl) {
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

static _Thread_local const sent *g_rank_qt;
static int cmp_qtid(const void *a, const void *b) {
    const sent *x = &g_rank_qt[*(const uint32_t *)a], *y = &g_rank_qt[*(const uint32_t *)b];
    return cmp_bytes(x->p, x->len, y->p, y->len);
}

#define I64C(b, c) ((int64_t *)(b)->cols[c].data)
#define I32C(b, c) ((int32_t *)(b)->cols[c].data)
#define F64C(b, c) ((double *)(b)->cols[c].data)

typedef struct emit_ctx {
    rm *r;
    rwin *w;
    int64_t hour;
    en_emit *em;
    uint32_t *qt_rank; /* window qtype id -> rank */
    sortrec *qrec;     /* qmap sorted */
    sortrec *irec;     /* imap sorted */
    size_t nq, ni;
} emit_ctx;

static sl_err put_source(emit_ctx *x, sl_batch *b, size_t col, size_t row, uint32_t src, char *err, size_t errlen) {
    uint32_t len;
    const char *s = en_env_source(x->r->env, src, &len);
    return en_set_str(b, col, row, s, len, err, errlen);
}

static sl_err emit_query_hourly(emit_ctx *x, char *err, size_t errlen) {
    rwin *w = x->w;
    sl_batch *b;
    sl_err e = en_emit_begin(x->em, T_QUERY, x->nq, &b, err, errlen);
    if (e != SL_OK) return e;
    const sent *qts = (const sent *)w->qtypes.ents;
    for (size_t r = 0; r < x->nq; r++) {
        const qent *q = hm_at(&w->qmap, x->qrec[r].idx);
        I64C(b, RS_QH_HOUR)[r] = x->hour;
        if ((e = put_source(x, b, RS_QH_SOURCE, r, q->src, err, errlen)) != SL_OK) return e;
        I32C(b, RS_QH_INSTANCE)[r] = q->inst;
        if ((e = en_set_str(b, RS_QH_QUERY_TYPE, r, qts[q->qt].p, qts[q->qt].len, err, errlen)) != SL_OK) return e;
        I64C(b, RS_QH_QUERIES)[r] = q->queries;
        I64C(b, RS_QH_ABORTED)[r] = q->aborted;
        I64C(b, RS_QH_CACHED)[r] = q->cached;
        I64C(b, RS_QH_SPILLED)[r] = q->spilled;
        F64C(b, RS_QH_COMPILE_MS_SUM)[r] = q->compile_sum;
        I64C(b, RS_QH_QUEUE_MS_SUM)[r] = q->queue_sum;
        I64C(b, RS_QH_EXEC_MS_SUM)[r] = q->exec_sum;
        F64C(b, RS_QH_MBYTES_SCANNED_SUM)[r] = q->mb_scanned;
        F64C(b, RS_QH_MBYTES_SPILLED_SUM)[r] = q->mb_spilled;
    }
    return en_emit_send(x->em, T_QUERY, err, errlen);
}

static sl_err emit_spill_hourly(emit_ctx *x, char *err, size_t errlen) {
    rwin *w = x->w;
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
        return NOMEM();
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
    sl_err e = en_emit_begin(x->em, T_SPILL, n, &b, err, errlen);
    const sent *qts = (const sent *)w->qtypes.ents;
    size_t r = 0;
    for (size_t k = 0; e == SL_OK && k < nqt; k++) {
        uint32_t i = order[k];
        if (!acc[i].used) continue;
        I64C(b, RS_SP_HOUR)[r] = x->hour;
        e = en_set_str(b, RS_SP_QUERY_TYPE, r, qts[i].p, qts[i].len, err, errlen);
        I64C(b, RS_SP_SPILLED)[r] = acc[i].spilled;
        F64C(b, RS_SP_MBYTES_SPILLED_SUM)[r] = acc[i].mb;
        I64C(b, RS_SP_QUERIES)[r] = acc[i].queries;
        r++;
    }
    free(acc);
    free(order);
    if (e != SL_OK) return e;
    return en_emit_send(x->em, T_SPILL, err, errlen);
}

static sl_err emit_cache_hourly(emit_ctx *x, char *err, size_t errlen) {
    rwin *w = x->w;
    size_t n = 0;
    for (size_t r = 0; r < x->ni; r++) n += ((const ient *)hm_at(&w->imap, x->irec[r].idx))->arrivals > 0;
    sl_batch *b;
    sl_err e = en_emit_begin(x->em, T_CACHE, n, &b, err, errlen);
    if (e != SL_OK) return e;
    size_t o = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        if (ie->arrivals <= 0) continue;
        I64C(b, RS_CA_HOUR)[o] = x->hour;
        if ((e = put_source(x, b, RS_CA_SOURCE, o, ie->src, err, errlen)) != SL_OK) return e;
        I32C(b, RS_CA_INSTANCE)[o] = ie->inst;
        I64C(b, RS_CA_CACHED)[o] = ie->cached;
        I64C(b, RS_CA_QUERIES)[o] = ie->arrivals;
        F64C(b, RS_CA_HIT_RATE)[o] = (double)ie->cached / (double)ie->arrivals;
        o++;
    }
    return en_emit_send(x->em, T_CACHE, err, errlen);
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
    rwin *w = x->w;
    size_t k = (size_t)x->r->o.top_k, n = 0, maxn = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        n += ie->tops.n < k ? ie->tops.n : k;
        if (ie->tops.n > maxn) maxn = ie->tops.n;
    }
    sl_batch *b;
    sl_err e = en_emit_begin(x->em, T_TOP, n, &b, err, errlen);
    if (e != SL_OK) return e;
    tent *tmp = malloc((maxn ? maxn : 1) * sizeof *tmp);
    if (!tmp) return NOMEM();
    size_t o = 0;
    for (size_t r = 0; r < x->ni && e == SL_OK; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        if (!ie->tops.n) continue;
        memcpy(tmp, ie->tops.ents, ie->tops.n * sizeof *tmp);
        top_k_sort(tmp, ie->tops.n, k);
        size_t m = ie->tops.n < k ? ie->tops.n : k;
        for (size_t j = 0; j < m && e == SL_OK; j++, o++) {
            I64C(b, RS_TT_HOUR)[o] = x->hour;
            e = put_source(x, b, RS_TT_SOURCE, o, ie->src, err, errlen);
            I32C(b, RS_TT_INSTANCE)[o] = ie->inst;
            I32C(b, RS_TT_RANK)[o] = (int32_t)(j + 1);
            I64C(b, RS_TT_TABLE_ID)[o] = tmp[j].table_id;
            I64C(b, RS_TT_READS)[o] = tmp[j].reads;
        }
    }
    free(tmp);
    if (e != SL_OK) return e;
    return en_emit_send(x->em, T_TOP, err, errlen);
}

static sl_err emit_compile_joins(emit_ctx *x, char *err, size_t errlen) {
    rwin *w = x->w;
    size_t n = 0;
    for (int i = 0; i < RS_N_JOIN_BUCKETS; i++) n += w->joins[i].queries > 0;
    sl_batch *b;
    sl_err e = en_emit_begin(x->em, T_JOINS, n, &b, err, errlen);
    if (e != SL_OK) return e;
    size_t o = 0;
    for (int k = 0; k < RS_N_JOIN_BUCKETS; k++) {
        int i = join_bucket_order[k];
        const jacc *j = &w->joins[i];
        if (j->queries <= 0) continue;
        I64C(b, RS_CJ_HOUR)[o] = x->hour;
        const char *bn = rs_join_bucket_names[i];
        if ((e = en_set_str(b, RS_CJ_BUCKET, o, bn, strlen(bn), err, errlen)) != SL_OK) return e;
        I64C(b, RS_CJ_QUERIES)[o] = j->queries;
        F64C(b, RS_CJ_COMPILE_MS_SUM)[o] = j->sum;
        F64C(b, RS_CJ_COMPILE_MS_MAX)[o] = j->max;
        o++;
    }
    return en_emit_send(x->em, T_JOINS, err, errlen);
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
    rwin *w = x->w;
    size_t n = w->corr.n > 0;
    sl_batch *b;
    sl_err e = en_emit_begin(x->em, T_CORR, n, &b, err, errlen);
    if (e != SL_OK) return e;
    if (n) {
        I64C(b, RS_CC_HOUR)[0] = x->hour;
        I64C(b, RS_CC_N)[0] = w->corr.n;
        double r;
        if (corr_value(&w->corr, &r)) {
            F64C(b, RS_CC_CORR)[0] = r;
        } else {
            F64C(b, RS_CC_CORR)[0] = 0;
            en_set_null(b, RS_CC_CORR, 0);
        }
    }
    return en_emit_send(x->em, T_CORR, err, errlen);
}

static sl_err emit_utilization(emit_ctx *x, char *err, size_t errlen) {
    rwin *w = x->w;
    const rm_opts *o = &x->r->o;
    size_t n = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        n += ie->arrivals > 0 || ie->busy_us > 0;
    }
    sl_batch *b;
    sl_err e = en_emit_begin(x->em, T_UTIL, n, &b, err, errlen);
    if (e != SL_OK) return e;
    const double wq = o->weights[0], ws = o->weights[1], wp = o->weights[2], wc = o->weights[3];
    double wsum = wq + ws + wp + wc;
    size_t row = 0;
    for (size_t r = 0; r < x->ni; r++) {
        const ient *ie = hm_at(&w->imap, x->irec[r].idx);
        if (!(ie->arrivals > 0 || ie->busy_us > 0)) continue;
        double busy_ms = (double)ie->busy_us / 1000.0;
        double conc = busy_ms / 3600000.0;
        double den = (double)ie->queue_sum + ie->compile_sum + (double)ie->exec_sum;
        double q = den > 0 ? (double)ie->queue_sum / den : 0;
        double c = den > 0 ? ie->compile_sum / den : 0;
        double sc = ie->arrivals > 0 ? (double)ie->spilled / (double)ie->arrivals : 0;
        double ps = conc / o->slots;
        if (ps > 1) ps = 1;
        double comp = (wq * q + ws * sc + wp * ps + wc * c) / wsum;
        int64_t groups = 0, num = 0, dnm = 0;
        for (size_t g = 0; g < ie->fps.n; g++) {
            const fent *f = hm_at(&ie->fps, g);
            if (f->count < 2) continue;
            groups++;
            num += f->sum;
            dnm += f->count * f->min;
        }
        I64C(b, RS_UT_HOUR)[row] = x->hour;
        if ((e = put_source(x, b, RS_UT_SOURCE, row, ie->src, err, errlen)) != SL_OK) return e;
        I32C(b, RS_UT_INSTANCE)[row] = ie->inst;
        F64C(b, RS_UT_BUSY_MS)[row] = busy_ms;
        F64C(b, RS_UT_AVG_CONCURRENCY)[row] = conc;
        F64C(b, RS_UT_Q_SCORE)[row] = q;
        F64C(b, RS_UT_C_SCORE)[row] = c;
        F64C(b, RS_UT_S_SCORE)[row] = sc;
        F64C(b, RS_UT_P_SCORE)[row] = ps;
        F64C(b, RS_UT_COMPOSITE)[row] = comp;
        I32C(b, RS_UT_OVERSUBSCRIBED)[row] = comp >= o->threshold;
        if (groups > 0 && dnm > 0) {
            F64C(b, RS_UT_SLOWDOWN)[row] = (double)num / (double)dnm;
        } else {
            F64C(b, RS_UT_SLOWDOWN)[row] = 0;
            en_set_null(b, RS_UT_SLOWDOWN, row);
        }
        I64C(b, RS_UT_FP_GROUPS)[row] = groups;
        row++;
    }
    return en_emit_send(x->em, T_UTIL, err, errlen);
}

static sl_err rm_emit(void *state, void *wp, int64_t hour, en_emit *em, char *err, size_t errlen) {
    rm *r = state;
    rwin *w = wp;
    emit_ctx x = {.r = r, .w = w, .hour = hour, .em = em};
    sl_err e = SL_OK;
    size_t nqt = w->qtypes.n;
    uint32_t *ids = malloc((nqt ? nqt : 1) * sizeof *ids);
    x.qt_rank = malloc((nqt ? nqt : 1) * sizeof *x.qt_rank);
    x.qrec = malloc((w->qmap.n ? w->qmap.n : 1) * sizeof *x.qrec);
    x.irec = malloc((w->imap.n ? w->imap.n : 1) * sizeof *x.irec);
    if (!ids || !x.qt_rank || !x.qrec || !x.irec) {
        e = NOMEM();
        goto done;
    }
    for (size_t i = 0; i < nqt; i++) ids[i] = (uint32_t)i;
    g_rank_qt = (const sent *)w->qtypes.ents;
    qsort(ids, nqt, sizeof *ids, cmp_qtid);
    for (size_t i = 0; i < nqt; i++) x.qt_rank[ids[i]] = (uint32_t)i;
    x.nq = w->qmap.n;
    for (size_t i = 0; i < x.nq; i++) {
        const qent *q = hm_at(&w->qmap, i);
        x.qrec[i] = (sortrec){en_env_source_rank(r->env, q->src), q->inst, x.qt_rank[q->qt], (uint32_t)i};
    }
    qsort(x.qrec, x.nq, sizeof *x.qrec, cmp_sortrec);
    x.ni = w->imap.n;
    for (size_t i = 0; i < x.ni; i++) {
        const ient *ie = hm_at(&w->imap, i);
        x.irec[i] = (sortrec){en_env_source_rank(r->env, ie->src), ie->inst, 0, (uint32_t)i};
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

/* ------------------------------------------------------------------ the plugin */

/* ------------------------------------------------------------------ contributions */

/* Window state as bytes (util/wire.h), sources and query types by text:
 *   u32 version (1)
 *   u32 nq, nq x {str source, i32 instance, str query_type, i64 queries,
 *                 aborted, cached, spilled, queue_sum, exec_sum,
 *                 f64 compile_sum, mb_scanned, mb_spilled}
 *   u32 ni, ni x {str source, i32 instance, i64 busy_us, arrivals, cached,
 *                 spilled, queue_sum, exec_sum, f64 compile_sum,
 *                 u32 ntops x {i64 table_id, reads},
 *                 u32 nfps x {str fingerprint, i64 count, sum, min}}
 *   7 x {i64 queries, f64 sum, max}            compile_joins buckets
 *   corr {i64 n, f64 mx, my, c, m2x, m2y, x0, y0, u8 x_varies, y_varies}
 * Loading adds counts and sums, keeps min / max, and merges the co-moments
 * of the correlation (Chan et al.'s pairwise update). */
#define RM_STATE_VERSION 1

static sl_err rm_window_save(void *state, const void *wp, sl_buf *out, char *err, size_t errlen) {
    rm *r = state;
    const rwin *w = wp;
    const sent *qts = w->qtypes.n ? hm_at((hm *)&w->qtypes, 0) : NULL;
    uint32_t sl;
    sl_w_u32(out, RM_STATE_VERSION);
    sl_w_u32(out, (uint32_t)w->qmap.n);
    for (size_t i = 0; i < w->qmap.n; i++) {
        const qent *q = hm_at((hm *)&w->qmap, i);
        const char *sp = en_env_source(r->env, q->src, &sl);
        sl_w_str(out, sp, sl);
        sl_w_i32(out, q->inst);
        sl_w_str(out, qts[q->qt].p, qts[q->qt].len);
        sl_w_i64(out, q->queries);
        sl_w_i64(out, q->aborted);
        sl_w_i64(out, q->cached);
        sl_w_i64(out, q->spilled);
        sl_w_i64(out, q->queue_sum);
        sl_w_i64(out, q->exec_sum);
        sl_w_f64(out, q->compile_sum);
        sl_w_f64(out, q->mb_scanned);
        sl_w_f64(out, q->mb_spilled);
    }
    sl_w_u32(out, (uint32_t)w->imap.n);
    for (size_t i = 0; i < w->imap.n; i++) {
        const ient *e = hm_at((hm *)&w->imap, i);
        const char *sp = en_env_source(r->env, e->src, &sl);
        sl_w_str(out, sp, sl);
        sl_w_i32(out, e->inst);
        sl_w_i64(out, e->busy_us);
        sl_w_i64(out, e->arrivals);
        sl_w_i64(out, e->cached);
        sl_w_i64(out, e->spilled);
        sl_w_i64(out, e->queue_sum);
        sl_w_i64(out, e->exec_sum);
        sl_w_f64(out, e->compile_sum);
        sl_w_u32(out, (uint32_t)e->tops.n);
        for (size_t t = 0; t < e->tops.n; t++) {
            const tent *te = hm_at((hm *)&e->tops, t);
            sl_w_i64(out, te->table_id);
            sl_w_i64(out, te->reads);
        }
        sl_w_u32(out, (uint32_t)e->fps.n);
        for (size_t f = 0; f < e->fps.n; f++) {
            const fent *fe = hm_at((hm *)&e->fps, f);
            sl_w_str(out, fe->p, fe->len);
            sl_w_i64(out, fe->count);
            sl_w_i64(out, fe->sum);
            sl_w_i64(out, fe->min);
        }
    }
    for (int j = 0; j < RS_N_JOIN_BUCKETS; j++) {
        sl_w_i64(out, w->joins[j].queries);
        sl_w_f64(out, w->joins[j].sum);
        sl_w_f64(out, w->joins[j].max);
    }
    const corr_acc *c = &w->corr;
    sl_w_i64(out, c->n);
    sl_w_f64(out, c->mx);
    sl_w_f64(out, c->my);
    sl_w_f64(out, c->c);
    sl_w_f64(out, c->m2x);
    sl_w_f64(out, c->m2y);
    sl_w_f64(out, c->x0);
    sl_w_f64(out, c->y0);
    sl_w_u8(out, c->x_varies);
    sl_w_u8(out, c->y_varies);
    return out->oom ? NOMEM() : SL_OK;
}

static void corr_merge(corr_acc *a, const corr_acc *b) {
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    double na = (double)a->n, nb = (double)b->n, n = na + nb;
    double dx = b->mx - a->mx, dy = b->my - a->my;
    a->c += b->c + dx * dy * na * nb / n;
    a->m2x += b->m2x + dx * dx * na * nb / n;
    a->m2y += b->m2y + dy * dy * na * nb / n;
    a->mx += dx * nb / n;
    a->my += dy * nb / n;
    a->x_varies = a->x_varies || b->x_varies || b->x0 != a->x0;
    a->y_varies = a->y_varies || b->y_varies || b->y0 != a->y0;
    a->n += b->n;
}

static sl_err rm_window_load(void *state, void *wp, const void *p, size_t len, char *err, size_t errlen) {
    rm *r = state;
    rwin *w = wp;
    sl_rd rd = sl_rd_of(p, len);
    bool added;
    if (sl_r_u32(&rd) != RM_STATE_VERSION)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "saved state: not version %d", RM_STATE_VERSION);
    uint32_t nq = sl_r_count(&rd, 4 + 4 + 4 + 9 * 8);
    for (uint32_t i = 0; i < nq && !rd.bad; i++) {
        sl_rstr src = sl_r_str(&rd);
        int32_t inst = sl_r_i32(&rd);
        sl_rstr qt = sl_r_str(&rd);
        if (rd.bad) break;
        uint32_t sid = en_env_intern(r->env, src.p, src.len), qtid = window_qtype(w, qt.p, qt.len);
        if (sid == UINT32_MAX || qtid == UINT32_MAX) return NOMEM();
        qent qk;
        memset(&qk, 0, sizeof qk);
        qk.src = sid;
        qk.inst = inst;
        qk.qt = qtid;
        qent *q = hm_upsert(&w->qmap, hm_hash2(hm_hash2(sid, (uint32_t)inst), qtid), &qk, NULL, &added);
        if (!q) return NOMEM();
        q->queries += sl_r_i64(&rd);
        q->aborted += sl_r_i64(&rd);
        q->cached += sl_r_i64(&rd);
        q->spilled += sl_r_i64(&rd);
        q->queue_sum += sl_r_i64(&rd);
        q->exec_sum += sl_r_i64(&rd);
        q->compile_sum += sl_r_f64(&rd);
        q->mb_scanned += sl_r_f64(&rd);
        q->mb_spilled += sl_r_f64(&rd);
    }
    uint32_t ni = rd.bad ? 0 : sl_r_count(&rd, 4 + 4 + 7 * 8 + 8);
    for (uint32_t i = 0; i < ni && !rd.bad; i++) {
        sl_rstr src = sl_r_str(&rd);
        int32_t inst = sl_r_i32(&rd);
        if (rd.bad) break;
        uint32_t sid = en_env_intern(r->env, src.p, src.len);
        if (sid == UINT32_MAX) return NOMEM();
        ient *e = window_inst(w, sid, inst);
        if (!e) return NOMEM();
        e->busy_us += sl_r_i64(&rd);
        e->arrivals += sl_r_i64(&rd);
        e->cached += sl_r_i64(&rd);
        e->spilled += sl_r_i64(&rd);
        e->queue_sum += sl_r_i64(&rd);
        e->exec_sum += sl_r_i64(&rd);
        e->compile_sum += sl_r_f64(&rd);
        uint32_t nt = sl_r_count(&rd, 16);
        for (uint32_t t = 0; t < nt && !rd.bad; t++) {
            int64_t id = sl_r_i64(&rd), reads = sl_r_i64(&rd);
            tent *te = hm_upsert(&e->tops, hm_mix((uint64_t)id), &id, NULL, &added);
            if (!te) return NOMEM();
            te->reads += reads;
        }
        uint32_t nf = rd.bad ? 0 : sl_r_count(&rd, 4 + 24);
        for (uint32_t f = 0; f < nf && !rd.bad; f++) {
            sl_rstr fp = sl_r_str(&rd);
            int64_t count = sl_r_i64(&rd), sum = sl_r_i64(&rd), mn = sl_r_i64(&rd);
            if (rd.bad) break;
            skey fk = {fp.p, fp.len};
            fent *fe = hm_upsert(&e->fps, hm_hash_bytes(fp.p, fp.len), &fk, fent_eq, &added);
            if (!fe) return NOMEM();
            if (added) {
                char *cp = fp.len ? sl_arena_dup(&w->arena, fp.p, fp.len) : (char *)"";
                if (!cp) return NOMEM();
                fe->p = cp;
                fe->len = fp.len;
                fe->min = mn;
            }
            fe->count += count;
            fe->sum += sum;
            if (mn < fe->min) fe->min = mn;
        }
    }
    for (int j = 0; j < RS_N_JOIN_BUCKETS && !rd.bad; j++) {
        int64_t q = sl_r_i64(&rd);
        double sum = sl_r_f64(&rd), mx = sl_r_f64(&rd);
        if (q == 0) continue;
        if (w->joins[j].queries == 0 || mx > w->joins[j].max) w->joins[j].max = mx;
        w->joins[j].queries += q;
        w->joins[j].sum += sum;
    }
    corr_acc b;
    memset(&b, 0, sizeof b);
    b.n = sl_r_i64(&rd);
    b.mx = sl_r_f64(&rd);
    b.my = sl_r_f64(&rd);
    b.c = sl_r_f64(&rd);
    b.m2x = sl_r_f64(&rd);
    b.m2y = sl_r_f64(&rd);
    b.x0 = sl_r_f64(&rd);
    b.y0 = sl_r_f64(&rd);
    b.x_varies = sl_r_u8(&rd) != 0;
    b.y_varies = sl_r_u8(&rd) != 0;
    if (rd.bad || rd.off != rd.len || b.n < 0)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "saved state: malformed at byte %zu of %zu", rd.off, rd.len);
    corr_merge(&w->corr, &b);
    return SL_OK;
}

const tr_plugin tr_redset_metrics = {
    .name = "redset_metrics",
    .help = "the Redset metric tables of docs/metrics.md section 4 (query, spill, cache, top tables, compile, "
            "utilization per hour)",
    .opts = rm_opts_table,
    .opts_size = sizeof(rm_opts),
    .tables = k_tables,
    .init = rm_init,
    .window_new = rm_window_new,
    .window_free = rm_window_free,
    .apply = rm_apply,
    .emit = rm_emit,
    .window_save = rm_window_save,
    .window_load = rm_window_load,
    .close = rm_close,
};

/* The Redset module: its schema (schema/redset.c), this transform, and the
 * example pipeline file of `sluice config --example redset`. */
static const char k_example[] =
#include "plugins/redset_example.inc" /* examples/redset.yaml, by the Makefile */
    ;

const pl_module pm_redset = {
    .name = "redset",
    .schemas = (const sc_def *const[]){&sc_redset_def, NULL},
    .transforms = (const tr_plugin *const[]){&tr_redset_metrics, NULL},
    .example_name = "redset",
    .example = k_example,
};
