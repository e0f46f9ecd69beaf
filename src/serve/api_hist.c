/* api_hist.c: the historical endpoints (spill, cache, top_tables, compile,
 * utilization).
 *
 * Each one reads the rows of its range with one statement in primary-key
 * order (the keys start with hour, so this is an index range scan with no
 * sort) and aggregates in C: SQLite's GROUP BY over the same rows needs a
 * temporary b-tree and is several times slower (docs/api.md, "Performance").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/redset_tables.h"
#include "serve/api_int.h"

#define HOURLY_FILTERS (SV_P_RANGE | SV_PB(SV_P_SOURCE) | SV_PB(SV_P_INSTANCE) | SV_PB(SV_P_FINAL))

static sl_err oom(sv_q *q) { return sv_q_fail(q, 500, "out of memory"); }

/* Open the rows of columns cols[0..ncols) of table t in hour order, with
 * the request's filters limited to `use`. */
static sl_err open_hours(sv_q *q, hr_cursor *cur, const tb_def *t, const int *cols, size_t ncols, unsigned use) {
    const hr_order by_hour[] = {{hr_filter_col(t, HR_F_HOUR), false}};
    hr_query hq = {.table = t, .cols = cols, .ncols = ncols, .order = by_hour, .norder = 1};
    sv_q_where(q, use, &hq.where);
    return sv_q_open(q, &hq, cur);
}
#define NCOLS(a) (sizeof a / sizeof *a)

/* Grow *p (n used, *cap allocated, element size sz) to hold one more. */
static bool grow(void **p, size_t n, size_t *cap, size_t sz) {
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 256;
    void *np = realloc(*p, nc * sz);
    if (!np) return false;
    *p = np;
    *cap = nc;
    return true;
}

/* ------------------------------------------------------------------------ */
/* spill                                                                    */

typedef struct spill_cell {
    uint32_t h, t;
    int64_t spilled, queries;
    double mbytes;
} spill_cell;

static int cmp_cell_type_hour(const void *a, const void *b) {
    const spill_cell *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return (x->h > y->h) - (x->h < y->h);
}

sl_err sv_ep_spill(sv_q *q) {
    /* query_hourly has source and instance_id; spill_hourly is the same sum
     * without them and 1/(instances) of the rows. */
    bool per_instance = q->p->given & (SV_PB(SV_P_SOURCE) | SV_PB(SV_P_INSTANCE));
    sv_json_obj(&q->j);
    sl_err e = sv_q_range(q);
    if (e != SL_OK) return e;
    static const int qh[] = {RS_QH_HOUR, RS_QH_QUERY_TYPE, RS_QH_SPILLED, RS_QH_MBYTES_SPILLED_SUM, RS_QH_QUERIES};
    static const int sp[] = {RS_SP_HOUR, RS_SP_QUERY_TYPE, RS_SP_SPILLED, RS_SP_MBYTES_SPILLED_SUM, RS_SP_QUERIES};
    hr_cursor st;
    e = open_hours(q, &st, per_instance ? &rs_query_hourly : &rs_spill_hourly, per_instance ? qh : sp, NCOLS(qh),
                   HOURLY_FILTERS | SV_PB(SV_P_QUERY_TYPE));
    if (e != SL_OK) return e;
    sv_hours hs = {0};
    sv_strtab types;
    sv_strtab_init(&types);
    spill_cell *cells = NULL;
    size_t nc = 0, cap = 0, hour_start = 0;
    int rc;
    while ((rc = sv_q_next(q, &st)) == HR_ROW) {
        size_t n, tn;
        const char *h = hr_text(&st, 0, &n), *t = hr_text(&st, 1, &tn);
        size_t before = hs.n;
        int64_t hi = sv_hours_add(&hs, h, n), ti = sv_strtab_intern(&types, t, tn);
        if (hi < 0 || ti < 0) {
            e = oom(q);
            break;
        }
        if (hs.n != before) hour_start = nc; /* cells of the current hour start here */
        spill_cell *c = NULL;
        for (size_t i = hour_start; i < nc; i++) /* few query types per hour */
            if (cells[i].t == (uint32_t)ti) {
                c = &cells[i];
                break;
            }
        if (!c) {
            if (!grow((void **)&cells, nc, &cap, sizeof *cells)) {
                e = oom(q);
                break;
            }
            c = &cells[nc++];
            memset(c, 0, sizeof *c);
            c->h = (uint32_t)hi;
            c->t = (uint32_t)ti;
        }
        c->spilled += hr_i64(&st, 2);
        c->mbytes += hr_f64(&st, 3);
        c->queries += hr_i64(&st, 4);
    }
    hr_close(&st);
    if (e == SL_OK && rc < 0) e = (sl_err)rc;
    if (e == SL_OK) {
        /* series in query_type order, each with one value per hour */
        uint32_t *order = malloc((types.n ? types.n : 1) * sizeof *order);
        uint32_t *rank = malloc((types.n ? types.n : 1) * sizeof *rank);
        if (!order || !rank) e = oom(q);
        else {
            for (uint32_t i = 0; i < types.n; i++) order[i] = i;
            /* sort type indexes by name (insertion sort: few types) */
            for (size_t i = 1; i < types.n; i++) {
                uint32_t v = order[i];
                size_t k = i;
                while (k > 0 && strcmp(types.s[order[k - 1]], types.s[v]) > 0) {
                    order[k] = order[k - 1];
                    k--;
                }
                order[k] = v;
            }
            for (uint32_t i = 0; i < types.n; i++) rank[order[i]] = i;
            for (size_t i = 0; i < nc; i++) cells[i].t = rank[cells[i].t];
            if (nc) qsort(cells, nc, sizeof *cells, cmp_cell_type_hour);
            sv_hours_json(q, &hs);
            sv_json_key(&q->j, "series");
            sv_json_arr(&q->j);
            size_t c0 = 0;
            for (uint32_t r = 0; r < types.n; r++) {
                size_t c1 = c0;
                while (c1 < nc && cells[c1].t == r) c1++;
                sv_json_obj(&q->j);
                sv_json_kstr(&q->j, "query_type", types.s[order[r]]);
                for (int f = 0; f < 3; f++) {
                    sv_json_key(&q->j, f == 0 ? "spilled" : f == 1 ? "mbytes" : "queries");
                    sv_json_arr(&q->j);
                    size_t c = c0;
                    for (uint32_t hi = 0; hi < hs.n; hi++) {
                        const spill_cell *cell = c < c1 && cells[c].h == hi ? &cells[c++] : NULL;
                        if (f == 0) sv_json_i64(&q->j, cell ? cell->spilled : 0);
                        else if (f == 1) sv_json_f64(&q->j, cell ? cell->mbytes : 0);
                        else sv_json_i64(&q->j, cell ? cell->queries : 0);
                    }
                    sv_json_arr_end(&q->j);
                }
                sv_json_obj_end(&q->j);
                c0 = c1;
                if (q->out.len > SV_MAX_BODY) break; /* reported by the caller */
            }
            sv_json_arr_end(&q->j);
            sv_json_obj_end(&q->j);
        }
        free(order);
        free(rank);
    }
    free(cells);
    free(hs.h);
    sv_strtab_free(&types);
    return e;
}

/* ------------------------------------------------------------------------ */
/* cache                                                                    */

typedef struct inst_key {
    int64_t instance_id;
    uint64_t source; /* index in the source table */
} inst_key;

typedef struct inst_acc {
    inst_key k;
    const char *src; /* the source's text (owned by the source table) */
    int64_t queries, cached;
} inst_acc;

/* Pointers to the entries of m, sorted by cmp (which compares two entry
 * pointers); malloc'd, the caller frees it; NULL when out of memory. */
static void **sorted_entries(const hm *m, int (*cmp)(const void *, const void *)) {
    void **v = malloc((m->n ? m->n : 1) * sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < m->n; i++) v[i] = hm_at(m, i);
    qsort(v, m->n, sizeof *v, cmp);
    return v;
}

static int cmp_inst(const void *a, const void *b) {
    const inst_acc *x = *(inst_acc *const *)a, *y = *(inst_acc *const *)b;
    if (x->queries != y->queries) return x->queries > y->queries ? -1 : 1;
    if (x->src != y->src) {
        int c = strcmp(x->src, y->src);
        if (c) return c;
    }
    return (x->k.instance_id > y->k.instance_id) - (x->k.instance_id < y->k.instance_id);
}

static void rate(sv_json *j, int64_t cached, int64_t queries) {
    if (queries == 0) sv_json_null(j);
    else sv_json_f64(j, (double)cached / (double)queries);
}

sl_err sv_ep_cache(sv_q *q) {
    sv_json_obj(&q->j);
    sl_err e = sv_q_range(q);
    if (e != SL_OK) return e;
    static const int cols[] = {RS_CA_HOUR, RS_CA_SOURCE, RS_CA_INSTANCE, RS_CA_CACHED, RS_CA_QUERIES};
    hr_cursor st;
    e = open_hours(q, &st, &rs_cache_hourly, cols, NCOLS(cols), HOURLY_FILTERS);
    if (e != SL_OK) return e;
    sv_hours hs = {0};
    sv_strtab srcs;
    sv_strtab_init(&srcs);
    hm insts;
    hm_init(&insts, sizeof(inst_acc), sizeof(inst_key));
    int64_t *hq = NULL, *hc = NULL; /* per hour: queries, cached */
    size_t hcap = 0, hcap2 = 0;
    int rc;
    while ((rc = sv_q_next(q, &st)) == HR_ROW) {
        size_t n, sn;
        const char *h = hr_text(&st, 0, &n), *s = hr_text(&st, 1, &sn);
        size_t before = hs.n;
        int64_t hi = sv_hours_add(&hs, h, n), si = sv_strtab_intern(&srcs, s, sn);
        if (hi < 0 || si < 0) {
            e = oom(q);
            break;
        }
        if (hs.n != before) {
            if (!grow((void **)&hq, (size_t)hi, &hcap, sizeof *hq) || !grow((void **)&hc, (size_t)hi, &hcap2, sizeof *hc)) {
                e = oom(q);
                break;
            }
            hq[hi] = hc[hi] = 0;
        }
        int64_t cached = hr_i64(&st, 3), queries = hr_i64(&st, 4);
        hq[hi] += queries;
        hc[hi] += cached;
        inst_key k;
        memset(&k, 0, sizeof k);
        k.instance_id = hr_i64(&st, 2);
        k.source = (uint64_t)si;
        bool added;
        inst_acc *a = hm_upsert(&insts, hm_hash2((uint64_t)k.instance_id, k.source), &k, NULL, &added);
        if (!a) {
            e = oom(q);
            break;
        }
        if (added) a->src = srcs.s[si];
        a->queries += queries;
        a->cached += cached;
    }
    hr_close(&st);
    if (e == SL_OK && rc < 0) e = (sl_err)rc;
    inst_acc **v = NULL;
    if (e == SL_OK && !(v = (inst_acc **)sorted_entries(&insts, cmp_inst))) e = oom(q);
    if (e == SL_OK) {
        size_t lim = insts.n < (size_t)q->p->limit ? insts.n : (size_t)q->p->limit;
        sv_json_key(&q->j, "instances");
        sv_json_arr(&q->j);
        for (size_t i = 0; i < lim; i++) {
            sv_json_obj(&q->j);
            sv_json_kstr(&q->j, "source", v[i]->src);
            sv_json_ki64(&q->j, "instance_id", v[i]->k.instance_id);
            sv_json_ki64(&q->j, "queries", v[i]->queries);
            sv_json_ki64(&q->j, "cached", v[i]->cached);
            sv_json_key(&q->j, "hit_rate");
            rate(&q->j, v[i]->cached, v[i]->queries);
            sv_json_obj_end(&q->j);
        }
        sv_json_arr_end(&q->j);
        sv_json_ki64(&q->j, "instances_total", (int64_t)insts.n);
        sv_hours_json(q, &hs);
        sv_json_key(&q->j, "hit_rate");
        sv_json_arr(&q->j);
        for (size_t i = 0; i < hs.n; i++) rate(&q->j, hc[i], hq[i]);
        sv_json_arr_end(&q->j);
        sv_json_obj_end(&q->j);
    }
    free(v);
    free(hq);
    free(hc);
    free(hs.h);
    hm_free(&insts);
    sv_strtab_free(&srcs);
    return e;
}

/* ------------------------------------------------------------------------ */
/* top_tables                                                               */

/* Tables are ranked per (source, instance_id, table_id): a table id only
 * means something within its instance. */
typedef struct tbl_key {
    int64_t table_id;
    int64_t instance_id;
    uint64_t source; /* index in the source table */
} tbl_key;

typedef struct tbl_acc {
    tbl_key k;
    const char *src; /* owned by the source table */
    int64_t reads;
    int64_t hours;
    int64_t last_hour; /* index of the last hour counted, -1 none */
} tbl_acc;

static int cmp_tbl(const void *a, const void *b) {
    const tbl_acc *x = *(tbl_acc *const *)a, *y = *(tbl_acc *const *)b;
    if (x->reads != y->reads) return x->reads > y->reads ? -1 : 1;
    if (x->src != y->src) {
        int c = strcmp(x->src, y->src);
        if (c) return c;
    }
    if (x->k.instance_id != y->k.instance_id) return x->k.instance_id < y->k.instance_id ? -1 : 1;
    return (x->k.table_id > y->k.table_id) - (x->k.table_id < y->k.table_id);
}

sl_err sv_ep_top_tables(sv_q *q) {
    sv_json_obj(&q->j);
    sl_err e = sv_q_range(q);
    if (e != SL_OK) return e;
    static const int cols[] = {RS_TT_HOUR, RS_TT_SOURCE, RS_TT_INSTANCE, RS_TT_TABLE_ID, RS_TT_READS};
    hr_cursor st;
    e = open_hours(q, &st, &rs_top_tables_hourly, cols, NCOLS(cols), HOURLY_FILTERS);
    if (e != SL_OK) return e;
    hm tabs;
    hm_init(&tabs, sizeof(tbl_acc), sizeof(tbl_key));
    sv_strtab srcs;
    sv_strtab_init(&srcs);
    sv_hours hs = {0};
    int rc;
    while ((rc = sv_q_next(q, &st)) == HR_ROW) {
        size_t n, sn;
        const char *h = hr_text(&st, 0, &n), *s = hr_text(&st, 1, &sn);
        int64_t hi = sv_hours_add(&hs, h, n), si = sv_strtab_intern(&srcs, s, sn);
        tbl_key k;
        memset(&k, 0, sizeof k);
        k.instance_id = hr_i64(&st, 2);
        k.table_id = hr_i64(&st, 3);
        k.source = (uint64_t)si;
        bool added;
        tbl_acc *a = hi < 0 || si < 0 ? NULL
                                      : hm_upsert(&tabs, hm_hash2(hm_mix((uint64_t)k.table_id) ^ (uint64_t)k.instance_id, k.source),
                                                  &k, NULL, &added);
        if (!a) {
            e = oom(q);
            break;
        }
        if (added) {
            a->last_hour = -1;
            a->src = srcs.s[si];
        }
        a->reads += hr_i64(&st, 4);
        if (a->last_hour != hi) {
            a->hours++;
            a->last_hour = hi;
        }
    }
    hr_close(&st);
    if (e == SL_OK && rc < 0) e = (sl_err)rc;
    tbl_acc **v = NULL;
    if (e == SL_OK && !(v = (tbl_acc **)sorted_entries(&tabs, cmp_tbl))) e = oom(q);
    if (e == SL_OK) {
        size_t k = tabs.n < (size_t)q->p->k ? tabs.n : (size_t)q->p->k;
        sv_json_key(&q->j, "tables");
        sv_json_arr(&q->j);
        for (size_t i = 0; i < k; i++) {
            sv_json_obj(&q->j);
            sv_json_kstr(&q->j, "source", v[i]->src);
            sv_json_ki64(&q->j, "instance_id", v[i]->k.instance_id);
            sv_json_ki64(&q->j, "table_id", v[i]->k.table_id);
            sv_json_ki64(&q->j, "reads", v[i]->reads);
            sv_json_ki64(&q->j, "hours", v[i]->hours);
            sv_json_obj_end(&q->j);
        }
        sv_json_arr_end(&q->j);
        sv_json_obj_end(&q->j);
    }
    free(v);
    free(hs.h);
    hm_free(&tabs);
    sv_strtab_free(&srcs);
    return e;
}

/* ------------------------------------------------------------------------ */
/* instances                                                                */

typedef struct qi_acc {
    inst_key k;
    const char *src;
    int64_t queries;
} qi_acc;

static int cmp_qi(const void *a, const void *b) {
    const qi_acc *x = *(qi_acc *const *)a, *y = *(qi_acc *const *)b;
    if (x->src != y->src) {
        int c = strcmp(x->src, y->src);
        if (c) return c;
    }
    return (x->k.instance_id > y->k.instance_id) - (x->k.instance_id < y->k.instance_id);
}

/* The (source, instance_id) of query_hourly in range with their queries. */
sl_err sv_ep_instances(sv_q *q) {
    sv_json_obj(&q->j);
    sl_err e = sv_q_range(q);
    if (e != SL_OK) return e;
    static const int cols[] = {RS_QH_HOUR, RS_QH_SOURCE, RS_QH_INSTANCE, RS_QH_QUERIES};
    hr_cursor st;
    e = open_hours(q, &st, &rs_query_hourly, cols, NCOLS(cols), SV_P_RANGE | SV_PB(SV_P_SOURCE));
    if (e != SL_OK) return e;
    sv_strtab srcs;
    sv_strtab_init(&srcs);
    hm insts;
    hm_init(&insts, sizeof(qi_acc), sizeof(inst_key));
    int rc;
    while ((rc = sv_q_next(q, &st)) == HR_ROW) {
        size_t sn;
        const char *s = hr_text(&st, 1, &sn);
        int64_t si = sv_strtab_intern(&srcs, s, sn);
        inst_key k;
        memset(&k, 0, sizeof k);
        k.instance_id = hr_i64(&st, 2);
        k.source = (uint64_t)si;
        bool added;
        qi_acc *a = si < 0 ? NULL : hm_upsert(&insts, hm_hash2((uint64_t)k.instance_id, k.source), &k, NULL, &added);
        if (!a) {
            e = oom(q);
            break;
        }
        if (added) a->src = srcs.s[si];
        a->queries += hr_i64(&st, 3);
    }
    hr_close(&st);
    if (e == SL_OK && rc < 0) e = (sl_err)rc;
    qi_acc **v = NULL;
    if (e == SL_OK && !(v = (qi_acc **)sorted_entries(&insts, cmp_qi))) e = oom(q);
    if (e == SL_OK) {
        sv_json_key(&q->j, "instances");
        sv_json_arr(&q->j);
        for (size_t i = 0; i < insts.n; i++) {
            sv_json_obj(&q->j);
            sv_json_kstr(&q->j, "source", v[i]->src);
            sv_json_ki64(&q->j, "instance_id", v[i]->k.instance_id);
            sv_json_ki64(&q->j, "queries", v[i]->queries);
            sv_json_obj_end(&q->j);
        }
        sv_json_arr_end(&q->j);
        sv_json_obj_end(&q->j);
    }
    free(v);
    hm_free(&insts);
    sv_strtab_free(&srcs);
    return e;
}

/* ------------------------------------------------------------------------ */
/* compile                                                                  */

sl_err sv_ep_compile(sv_q *q) {
    sv_json_obj(&q->j);
    sl_err e = sv_q_range(q);
    if (e != SL_OK) return e;
    static const int joins[] = {RS_CJ_BUCKET, RS_CJ_QUERIES, RS_CJ_COMPILE_MS_SUM, RS_CJ_COMPILE_MS_MAX};
    static const int corr[] = {RS_CC_HOUR, RS_CC_N, RS_CC_CORR};
    hr_cursor st;
    e = open_hours(q, &st, &rs_compile_joins_hourly, joins, NCOLS(joins), SV_P_RANGE | SV_PB(SV_P_FINAL));
    if (e != SL_OK) return e;
    /* the seven buckets of docs/metrics.md, then any other in order of appearance */
    sv_strtab bk;
    sv_strtab_init(&bk);
    int64_t *nq = NULL;
    double *sum = NULL, *mx = NULL;
    size_t cap = 0, cap2 = 0, cap3 = 0;
    for (size_t i = 0; i < RS_N_JOIN_BUCKETS && e == SL_OK; i++)
        if (sv_strtab_intern(&bk, rs_join_bucket_names[i], strlen(rs_join_bucket_names[i])) < 0) e = oom(q);
    for (size_t i = 0; i < bk.n && e == SL_OK; i++) {
        if (!grow((void **)&nq, i, &cap, sizeof *nq) || !grow((void **)&sum, i, &cap2, sizeof *sum) ||
            !grow((void **)&mx, i, &cap3, sizeof *mx))
            e = oom(q);
        else {
            nq[i] = 0;
            sum[i] = 0;
            mx[i] = NAN;
        }
    }
    int rc = 0;
    while (e == SL_OK && (rc = sv_q_next(q, &st)) == HR_ROW) {
        size_t n;
        const char *b = hr_text(&st, 0, &n);
        size_t before = bk.n;
        int64_t bi = sv_strtab_intern(&bk, b, n);
        if (bi < 0) {
            e = oom(q);
            break;
        }
        if (bk.n != before) {
            if (!grow((void **)&nq, (size_t)bi, &cap, sizeof *nq) || !grow((void **)&sum, (size_t)bi, &cap2, sizeof *sum) ||
                !grow((void **)&mx, (size_t)bi, &cap3, sizeof *mx)) {
                e = oom(q);
                break;
            }
            nq[bi] = 0;
            sum[bi] = 0;
            mx[bi] = NAN;
        }
        nq[bi] += hr_i64(&st, 1);
        sum[bi] += hr_f64(&st, 2);
        double m = hr_f64(&st, 3);
        if (isnan(mx[bi]) || m > mx[bi]) mx[bi] = m;
    }
    hr_close(&st);
    if (e == SL_OK && rc < 0) e = (sl_err)rc;
    if (e == SL_OK) {
        sv_json_key(&q->j, "buckets");
        sv_json_arr(&q->j);
        for (size_t i = 0; i < bk.n; i++) {
            sv_json_obj(&q->j);
            sv_json_kstr(&q->j, "joins_bucket", bk.s[i]);
            sv_json_ki64(&q->j, "queries", nq[i]);
            sv_json_kf64(&q->j, "compile_ms_sum", sum[i]);
            sv_json_key(&q->j, "compile_ms_avg");
            if (nq[i] > 0) sv_json_f64(&q->j, sum[i] / (double)nq[i]);
            else sv_json_null(&q->j);
            sv_json_kf64(&q->j, "compile_ms_max", mx[i]); /* NaN (no rows) -> null */
            sv_json_obj_end(&q->j);
        }
        sv_json_arr_end(&q->j);
        e = open_hours(q, &st, &rs_compile_corr_hourly, corr, NCOLS(corr), SV_P_RANGE | SV_PB(SV_P_FINAL));
    }
    if (e == SL_OK) {
        /* the rows three times: hours, corr, n */
        static const char *const keys[] = {"hours", "corr", "n"};
        static const int col[] = {0, 2, 1};
        for (int f = 0; f < 3 && e == SL_OK; f++) {
            hr_rewind(&st);
            sv_json_key(&q->j, keys[f]);
            sv_json_arr(&q->j);
            while ((rc = sv_q_next(q, &st)) == HR_ROW) sv_q_val(q, &st, col[f]);
            sv_json_arr_end(&q->j);
            if (rc < 0) e = (sl_err)rc;
        }
        sv_json_obj_end(&q->j);
        hr_close(&st);
    }
    free(nq);
    free(sum);
    free(mx);
    sv_strtab_free(&bk);
    return e;
}

/* ------------------------------------------------------------------------ */
/* utilization                                                              */

typedef struct util_row {
    int64_t hour;       /* index in hs */
    const char *src;    /* owned by the source table */
    int64_t instance_id;
    double composite, q, c, s, p, slowdown;
    bool slowdown_null;
    int oversubscribed;
} util_row;

typedef struct hour_util {
    double cmax, csum, ssum;
    int64_t n, over, nslow;
} hour_util;

/* Order of `top`: oversubscribed first, composite desc, newest hour first,
 * then source and instance_id ascending.  <0 when x ranks before y. */
static int util_rank(const util_row *x, const util_row *y) {
    if (x->oversubscribed != y->oversubscribed) return x->oversubscribed > y->oversubscribed ? -1 : 1;
    if (x->composite != y->composite) return x->composite > y->composite ? -1 : 1;
    if (x->hour != y->hour) return x->hour > y->hour ? -1 : 1;
    if (x->src != y->src) {
        int c = strcmp(x->src, y->src);
        if (c) return c;
    }
    return (x->instance_id > y->instance_id) - (x->instance_id < y->instance_id);
}

static int cmp_util(const void *a, const void *b) { return util_rank(a, b); }

/* Max-heap on "ranks later" (the root is the worst of the kept rows). */
static void heap_down(util_row *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && util_rank(&h[l], &h[w]) > 0) w = l;
        if (r < n && util_rank(&h[r], &h[w]) > 0) w = r;
        if (w == i) return;
        util_row t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

static void heap_up(util_row *h, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (util_rank(&h[i], &h[p]) <= 0) return;
        util_row t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

sl_err sv_ep_utilization(sv_q *q) {
    sv_json_obj(&q->j);
    sl_err e = sv_q_range(q);
    if (e != SL_OK) return e;
    static const int cols[] = {RS_UT_HOUR,    RS_UT_SOURCE,  RS_UT_INSTANCE, RS_UT_COMPOSITE,      RS_UT_Q_SCORE,
                               RS_UT_C_SCORE, RS_UT_S_SCORE, RS_UT_P_SCORE,  RS_UT_OVERSUBSCRIBED, RS_UT_SLOWDOWN};
    hr_cursor st;
    e = open_hours(q, &st, &rs_utilization_hourly, cols, NCOLS(cols), HOURLY_FILTERS);
    if (e != SL_OK) return e;
    sv_hours hs = {0};
    sv_strtab srcs;
    sv_strtab_init(&srcs);
    hour_util *hu = NULL;
    size_t hcap = 0, lim = (size_t)q->p->limit, nheap = 0;
    util_row *heap = malloc(lim * sizeof *heap);
    int rc = 0;
    if (!heap) e = oom(q);
    while (e == SL_OK && (rc = sv_q_next(q, &st)) == HR_ROW) {
        size_t n, sn;
        const char *h = hr_text(&st, 0, &n), *s = hr_text(&st, 1, &sn);
        size_t before = hs.n;
        int64_t hi = sv_hours_add(&hs, h, n), si = sv_strtab_intern(&srcs, s, sn);
        if (hi < 0 || si < 0) {
            e = oom(q);
            break;
        }
        if (hs.n != before) {
            if (!grow((void **)&hu, (size_t)hi, &hcap, sizeof *hu)) {
                e = oom(q);
                break;
            }
            memset(&hu[hi], 0, sizeof *hu);
            hu[hi].cmax = -INFINITY;
        }
        util_row r;
        r.hour = hi;
        r.src = srcs.s[si];
        r.instance_id = hr_i64(&st, 2);
        r.composite = hr_null(&st, 3) ? -INFINITY : hr_f64(&st, 3);
        r.q = hr_f64(&st, 4);
        r.c = hr_f64(&st, 5);
        r.s = hr_f64(&st, 6);
        r.p = hr_f64(&st, 7);
        r.oversubscribed = hr_i64(&st, 8) != 0;
        r.slowdown_null = hr_null(&st, 9);
        r.slowdown = hr_f64(&st, 9);
        hour_util *u = &hu[hi];
        u->n++;
        u->csum += r.composite;
        if (r.composite > u->cmax) u->cmax = r.composite;
        u->over += r.oversubscribed;
        if (!r.slowdown_null) {
            u->ssum += r.slowdown;
            u->nslow++;
        }
        if (nheap < lim) {
            heap[nheap] = r;
            heap_up(heap, nheap++);
        } else if (lim > 0 && util_rank(&r, &heap[0]) < 0) {
            heap[0] = r;
            heap_down(heap, nheap, 0);
        }
    }
    hr_close(&st);
    if (e == SL_OK && rc < 0) e = (sl_err)rc;
    if (e == SL_OK) {
        sv_hours_json(q, &hs);
        static const char *const keys[] = {"composite_max", "composite_avg", "oversubscribed", "slowdown_avg",
                                           "instances"};
        for (int f = 0; f < 5; f++) {
            sv_json_key(&q->j, keys[f]);
            sv_json_arr(&q->j);
            for (size_t i = 0; i < hs.n; i++) {
                const hour_util *u = &hu[i];
                switch (f) {
                case 0: sv_json_f64(&q->j, u->cmax); break;
                case 1: sv_json_f64(&q->j, u->csum / (double)u->n); break;
                case 2: sv_json_i64(&q->j, u->over); break;
                case 3:
                    if (u->nslow) sv_json_f64(&q->j, u->ssum / (double)u->nslow);
                    else sv_json_null(&q->j);
                    break;
                default: sv_json_i64(&q->j, u->n);
                }
            }
            sv_json_arr_end(&q->j);
        }
        qsort(heap, nheap, sizeof *heap, cmp_util);
        sv_json_key(&q->j, "top");
        sv_json_arr(&q->j);
        for (size_t i = 0; i < nheap; i++) {
            const util_row *r = &heap[i];
            sv_json_obj(&q->j);
            sv_json_kstr(&q->j, "hour", hs.h[r->hour]);
            sv_json_kstr(&q->j, "source", r->src);
            sv_json_ki64(&q->j, "instance_id", r->instance_id);
            sv_json_kf64(&q->j, "composite", r->composite);
            sv_json_kf64(&q->j, "q_score", r->q);
            sv_json_kf64(&q->j, "c_score", r->c);
            sv_json_kf64(&q->j, "s_score", r->s);
            sv_json_kf64(&q->j, "p_score", r->p);
            sv_json_kbool(&q->j, "oversubscribed", r->oversubscribed);
            sv_json_key(&q->j, "slowdown");
            if (r->slowdown_null) sv_json_null(&q->j);
            else sv_json_f64(&q->j, r->slowdown);
            sv_json_obj_end(&q->j);
        }
        sv_json_arr_end(&q->j);
        sv_json_obj_end(&q->j);
    }
    free(heap);
    free(hu);
    free(hs.h);
    sv_strtab_free(&srcs);
    return e;
}
