/* clean.c: the cleaning rules of docs/metrics.md section 2 (see clean.h).
 *
 * Work is done column by column over the whole batch; there is no per-row
 * switch over columns.  Statuses are computed with the checks in REVERSE
 * priority order, each pass overwriting the status of the rows it flags
 * (st[i] = bad ? R : st[i]), so the highest-priority failing check is the one
 * left at the end:
 *   negative_* (last column first) -> bad_timestamp -> missing_query_type ->
 *   missing_query_id -> missing_instance_id -> missing_arrival_timestamp ->
 *   (rows the replay flagged "bad_timestamp:") -> malformed.
 * Each pass is a straight loop over one column's values (vectorizable);
 * string passes (query_type, table ids) are inherently per row.
 * Repairs then run on accepted rows only, again column by column.
 *
 * Decisions beyond the documented rules (docs/metrics.md 2.1/2.2):
 *  - NaN/±Inf in ANY DOUBLE Redset column (cluster_size,
 *    compile_duration_ms, cache_source_query_id, the three num_*_tables and
 *    both mbytes columns) is malformed.
 *  - A replay flag (_error) that starts with neither "malformed:" nor
 *    "bad_timestamp:" is treated as malformed.
 *  - A row flagged "bad_timestamp:" has a NULL arrival_timestamp (it did not
 *    parse); that NULL is not "missing": such a row is bad_timestamp unless
 *    it is malformed or misses instance_id / query_id / query_type.
 *  - query_type: only the space character is trimmed (as for table ids);
 *    lower-casing is ASCII A-Z only.  A value that only needs trimming
 *    becomes a view of its own bytes; one with upper-case letters is
 *    rewritten into the batch arena; an unchanged value is not touched.
 *  - NULL value slots are zero (batch.h), so the value checks read the data
 *    arrays without the bitmaps (a NULL is never negative or non-finite).
 *  - Bad rows are not repaired and get empty table-id sets; their table-id
 *    tokens are not counted in bad_table_id.
 *  - Table ids: duplicates ("5,5,5") and unusual valid tokens ("007",
 *    " 12 ") are not repairs.  Dropping >= 1 bad token counts one repair of
 *    that column (repaired[EV_READ_TABLE_IDS] / [EV_WRITE_TABLE_IDS]) and
 *    makes the row repaired; bad_table_id counts tokens.
 *  - write_table_ids is always parsed (bad tokens are counted) even when
 *    write_ids is NULL; so is read_table_ids when read_ids is NULL.
 *
 * Speed (release build, gen batches of Redset rows, 1% bad, 5% repairs):
 * about 21-24 M rows/s for the whole of cl_clean (string columns included:
 * query_type and both table-id lists dominate) and about 60-66 M rows/s for
 * the numeric checks and repairs alone (test_speed in tests/unit/test_clean.c
 * prints the former).
 */
#include "stream/clean.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/time.h"

static const char *const reason_names[CL_N_REASONS] = {
    "accept",
    "malformed",
    "missing_arrival_timestamp",
    "missing_instance_id",
    "missing_query_id",
    "missing_query_type",
    "bad_timestamp",
    "negative_compile_duration_ms",
    "negative_queue_duration_ms",
    "negative_execution_duration_ms",
    "negative_num_permanent_tables_accessed",
    "negative_num_external_tables_accessed",
    "negative_num_system_tables_accessed",
    "negative_mbytes_scanned",
    "negative_mbytes_spilled",
    "negative_num_joins",
    "negative_num_scans",
    "negative_num_aggregations",
};

const char *cl_reason_name(cl_reason r) { return (unsigned)r < CL_N_REASONS ? reason_names[r] : "?"; }

cl_opts cl_opts_default(void) {
    cl_opts o;
    o.duration_cap_ms = 604800000LL;
    o.ts_min_us = EV_TS_MIN_US; /* 2000-01-01 */
    o.ts_max_us = EV_TS_MAX_US; /* 2100-01-01 */
    return o;
}

void cl_idsets_free(cl_idsets *s) {
    if (!s) return;
    free(s->off);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

/* The columns checked for negatives, in the order of the reasons. */
static const int neg_cols[] = {EV_COMPILE_MS,     EV_QUEUE_MS,       EV_EXEC_MS,        EV_NUM_PERM_TABLES,
                               EV_NUM_EXT_TABLES, EV_NUM_SYS_TABLES, EV_MBYTES_SCANNED, EV_MBYTES_SPILLED,
                               EV_NUM_JOINS,      EV_NUM_SCANS,      EV_NUM_AGGREGATIONS};
#define N_NEG ((int)(sizeof neg_cols / sizeof neg_cols[0]))

/* DOUBLE columns checked for NaN / infinity (column order). */
static const int f64_cols[] = {EV_CLUSTER_SIZE,    EV_COMPILE_MS,     EV_CACHE_SOURCE_QID,
                               EV_NUM_PERM_TABLES, EV_NUM_EXT_TABLES, EV_NUM_SYS_TABLES,
                               EV_MBYTES_SCANNED,  EV_MBYTES_SPILLED};
#define N_F64 ((int)(sizeof f64_cols / sizeof f64_cols[0]))
#define EXP_MASK UINT64_C(0x7ff0000000000000)

/* ------------------------------------------------------------------ helpers */

static inline int valid_at(const sl_col *c, size_t i) { return c->valid ? (c->valid[i >> 3] >> (i & 7)) & 1 : 1; }

/* st[i] = R for rows whose column c is NULL. */
static void pass_null(const sl_col *c, size_t n, uint8_t *st, uint8_t r) {
    if (!c->valid) return;
    size_t nb = (n + 7) / 8;
    for (size_t k = 0; k < nb; k++) {
        uint8_t v = c->valid[k];
        if (v == 0xff) continue;
        for (size_t j = 0; j < 8; j++) {
            size_t i = k * 8 + j;
            if (i >= n) break;
            if (!((v >> j) & 1)) st[i] = r;
        }
    }
}

static int all_spaces(const sl_str *s) {
    for (uint32_t k = 0; k < s->len; k++)
        if (s->ptr[k] != ' ') return 0;
    return 1;
}

static int is_ts_flag(const sl_str *s) { return s->len >= 14 && memcmp(s->ptr, "bad_timestamp:", 14) == 0; }

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ"; years outside 0000..9999 (a bad arrival can
 * hold any value) as "%04" PRId64 (e.g. "-001-...", "55000-..."). */
static void fmt_ts(char *out, size_t n, int64_t us) {
    if (sl_fmt_time(out, n, us, SL_TIME_ISO)) return;
    sl_civil c;
    sl_civil_from_us(us, &c);
    snprintf(out, n, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%06uZ", c.year, c.month, c.day, c.hour, c.minute, c.second,
             c.micros);
}

static void fmt_f64(char *out, size_t n, double v) {
    if (isnan(v)) snprintf(out, n, "NaN");
    else if (isinf(v)) snprintf(out, n, v > 0 ? "Infinity" : "-Infinity");
    else snprintf(out, n, "%.17g", v);
}

/* ------------------------------------------------------------------ table ids */

static int grow_ids(cl_idsets *s, size_t need) {
    if (need <= s->cap_ids) return 0;
    size_t nc = s->cap_ids ? s->cap_ids : 256;
    while (nc < need) nc *= 2;
    int64_t *p = realloc(s->ids, nc * sizeof *p);
    if (!p) return -1;
    s->ids = p;
    s->cap_ids = nc;
    return 0;
}

static void sort_i64(int64_t *a, size_t n) {
    for (size_t i = 1; i < n; i++) {
        int64_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Parse one field into out (room for len/2+1 ids); returns the number of
 * distinct ids (sorted) and adds bad tokens to *bad. */
static size_t parse_ids(const char *p, uint32_t len, int64_t *out, uint64_t *bad) {
    uint32_t a = 0;
    while (a < len && p[a] == ' ') a++;
    if (a == len) return 0; /* empty or all spaces: empty set, not counted */
    size_t k = 0;
    uint32_t i = 0;
    for (;;) {
        while (i < len && p[i] == ' ') i++; /* leading spaces */
        uint32_t z = i;
        while (z < len && p[z] == '0') z++; /* leading zeros */
        uint32_t q = z;
        uint64_t v = 0;
        while (q < len && (unsigned)(unsigned char)p[q] - '0' <= 9) v = v * 10 + (uint64_t)(p[q++] - '0');
        /* digits [i, q), significant from z; then trailing spaces, then ',' or end */
        uint32_t e = q;
        while (e < len && p[e] == ' ') e++;
        int ok = q > i && (e == len || p[e] == ',');
        uint32_t sig = q - z;
        if (ok && sig >= 19) ok = sig == 19 && v <= UINT64_C(9223372036854775807);
        if (ok) out[k++] = (int64_t)v;
        else (*bad)++;
        while (e < len && p[e] != ',') e++; /* skip the rest of a bad token */
        if (e >= len) break;
        i = e + 1;
    }
    if (k > 1) {
        if (k <= 24) sort_i64(out, k);
        else qsort(out, k, sizeof *out, cmp_i64);
        size_t w = 1;
        for (size_t r = 1; r < k; r++)
            if (out[r] != out[w - 1]) out[w++] = out[r];
        k = w;
    }
    return k;
}

/* Fill s for column c (bad rows: empty sets); counts bad tokens into *bad and
 * repairs (rows with a dropped token) into *rep, marking chg[i]. */
static sl_err clean_ids(const sl_col *c, size_t n, const uint8_t *st, cl_idsets *s, uint8_t *chg, uint64_t *bad,
                        uint64_t *rep, char *err, size_t errlen) {
    if (n + 1 > s->cap_rows) {
        size_t nc = s->cap_rows ? s->cap_rows : 1024;
        while (nc < n + 1) nc *= 2;
        uint32_t *o = realloc(s->off, nc * sizeof *o);
        if (!o) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (table id sets)");
        s->off = o;
        s->cap_rows = nc;
    }
    const sl_str *v = c->data;
    size_t tot = 0;
    s->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (st[i] == CL_ACCEPT && v[i].len && valid_at(c, i)) {
            if (grow_ids(s, tot + v[i].len / 2 + 2) != 0)
                return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (table ids)");
            uint64_t b0 = *bad;
            tot += parse_ids(v[i].ptr, v[i].len, s->ids + tot, bad);
            if (*bad != b0) {
                (*rep)++;
                chg[i] = 1;
            }
            if (tot > UINT32_MAX) return sl_err_set(err, errlen, SL_ERR_ARG, "too many table ids in one batch");
        }
        s->off[i + 1] = (uint32_t)tot;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ repairs */

/* NULL -> 0 on accepted rows (the slot is already zero): set the bit. */
static void repair_nulls(sl_col *c, size_t n, const uint8_t *st, uint8_t *chg, uint64_t *rep) {
    if (!c->valid) return;
    size_t nb = (n + 7) / 8, fixed = 0;
    for (size_t k = 0; k < nb; k++) {
        uint8_t v = c->valid[k];
        if (v == 0xff) continue;
        for (size_t j = 0; j < 8; j++) {
            size_t i = k * 8 + j;
            if (i >= n) break;
            if (!((v >> j) & 1) && st[i] == CL_ACCEPT) {
                v |= (uint8_t)(1u << j);
                chg[i] = 1;
                fixed++;
            }
        }
        c->valid[k] = v;
    }
    *rep += fixed;
    c->null_count = c->null_count >= fixed ? c->null_count - fixed : 0;
}

static void repair_flag(sl_col *c, size_t n, const uint8_t *st, uint8_t *chg, uint64_t *rep) {
    int32_t *d = c->data;
    uint64_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t v = d[i];
        int32_t nv = st[i] ? v : (v != 0);
        uint8_t ch = nv != v;
        cnt += ch;
        chg[i] |= ch;
        d[i] = nv;
    }
    *rep += cnt;
}

static void clamp_i64(sl_col *c, size_t n, const uint8_t *st, int64_t cap, uint8_t *chg, uint64_t *rep) {
    int64_t *d = c->data;
    uint64_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t v = d[i];
        uint8_t cl = (uint8_t)((st[i] == 0) & (v > cap));
        d[i] = cl ? cap : v;
        cnt += cl;
        chg[i] |= cl;
    }
    *rep += cnt;
}

static void clamp_f64(sl_col *c, size_t n, const uint8_t *st, double cap, uint8_t *chg, uint64_t *rep) {
    double *d = c->data;
    uint64_t cnt = 0;
    for (size_t i = 0; i < n; i++) {
        double v = d[i];
        uint8_t cl = (uint8_t)((st[i] == 0) & (v > cap));
        d[i] = cl ? cap : v;
        cnt += cl;
        chg[i] |= cl;
    }
    *rep += cnt;
}

/* Trim spaces and lower-case ASCII on accepted rows; new strings go to the
 * batch arena, only when the value changes. */
static sl_err repair_query_type(sl_batch *b, size_t n, const uint8_t *st, uint8_t *chg, uint64_t *rep, char *err,
                                size_t errlen) {
    sl_col *c = &b->cols[EV_QUERY_TYPE];
    sl_str *v = c->data;
    for (size_t i = 0; i < n; i++) {
        if (st[i] != CL_ACCEPT) continue; /* accepted => non-NULL, not blank */
        const char *p = v[i].ptr;
        uint32_t len = v[i].len, a = 0, e = len;
        while (a < e && p[a] == ' ') a++;
        while (e > a && p[e - 1] == ' ') e--;
        int upper = 0;
        for (uint32_t k = a; k < e; k++) upper |= (p[k] >= 'A') & (p[k] <= 'Z');
        if (!upper) {
            if (a == 0 && e == len) continue;
            v[i].ptr = p + a; /* a view of the same bytes */
            v[i].len = e - a;
        } else {
            char *q = sl_arena_alloc(&b->arena, e - a);
            if (!q) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (query_type)");
            for (uint32_t k = a; k < e; k++) q[k - a] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
            v[i].ptr = q;
            v[i].len = e - a;
        }
        (*rep)++;
        chg[i] = 1;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ details */

static sl_str arena_text(sl_batch *b, const char *s) {
    sl_str r = {NULL, 0};
    size_t n = strlen(s);
    char *p = sl_arena_dup(&b->arena, s, n ? n : 1);
    if (p) {
        r.ptr = p;
        r.len = (uint32_t)n;
    }
    return r;
}

static void make_detail(const cl_opts *o, sl_batch *b, size_t i, uint8_t r, sl_str *out) {
    char buf[256], t1[48], t2[48], t3[48];
    const sl_col *errc = &b->cols[EV_ERROR];
    const sl_str *ev = errc->data;
    int flagged = valid_at(errc, i) && ev[i].len > 0;
    buf[0] = 0;
    switch (r) {
    case CL_MALFORMED: {
        if (flagged && !is_ts_flag(&ev[i])) { /* the replay's own text */
            *out = ev[i];
            return;
        }
        for (int k = 0; k < N_F64; k++) {
            double v = ((const double *)b->cols[f64_cols[k]].data)[i];
            if (!isfinite(v)) {
                fmt_f64(t1, sizeof t1, v);
                snprintf(buf, sizeof buf, "%s = %s", ev_col_name(f64_cols[k]), t1);
                break;
            }
        }
        break;
    }
    case CL_MISSING_ARRIVAL_TIMESTAMP: snprintf(buf, sizeof buf, "arrival_timestamp is NULL"); break;
    case CL_MISSING_INSTANCE_ID: snprintf(buf, sizeof buf, "instance_id is NULL"); break;
    case CL_MISSING_QUERY_ID: snprintf(buf, sizeof buf, "query_id is NULL"); break;
    case CL_MISSING_QUERY_TYPE: {
        const sl_col *c = &b->cols[EV_QUERY_TYPE];
        if (!valid_at(c, i)) snprintf(buf, sizeof buf, "query_type is NULL");
        else snprintf(buf, sizeof buf, "query_type is empty ('%.*s')", (int)(((const sl_str *)c->data)[i].len > 64 ? 64 : ((const sl_str *)c->data)[i].len), ((const sl_str *)c->data)[i].ptr);
        break;
    }
    case CL_BAD_TIMESTAMP: {
        const sl_col *c = &b->cols[EV_ARRIVAL_TS];
        if (flagged && is_ts_flag(&ev[i])) {
            *out = ev[i];
            return;
        }
        fmt_ts(t1, sizeof t1, ((const int64_t *)c->data)[i]);
        fmt_ts(t2, sizeof t2, o->ts_min_us);
        fmt_ts(t3, sizeof t3, o->ts_max_us);
        snprintf(buf, sizeof buf, "arrival_timestamp %s outside [%s, %s)", t1, t2, t3);
        break;
    }
    default:
        if (r >= CL_NEGATIVE_COMPILE_DURATION_MS && r < CL_N_REASONS) {
            int col = neg_cols[r - CL_NEGATIVE_COMPILE_DURATION_MS];
            const sl_col *c = &b->cols[col];
            if (c->t.type == SL_F64) fmt_f64(t1, sizeof t1, ((const double *)c->data)[i]);
            else snprintf(t1, sizeof t1, "%" PRId64, ((const int64_t *)c->data)[i]);
            snprintf(buf, sizeof buf, "%s = %s", ev_col_name(col), t1);
        }
        break;
    }
    *out = arena_text(b, buf);
}

/* ------------------------------------------------------------------ cl_clean */

static sl_err check_schema(const sl_batch *b, char *err, size_t errlen) {
    if (b->ncols < EV_NCOLS)
        return sl_err_set(err, errlen, SL_ERR_ARG, "cl_clean: batch has %zu columns, expected the %d canonical ones",
                          b->ncols, EV_NCOLS);
    for (int c = 0; c < EV_NCOLS; c++)
        if (b->cols[c].t.type != ev_col_type(c)->type)
            return sl_err_set(err, errlen, SL_ERR_ARG, "cl_clean: column %d (%s) has the wrong type", c, ev_col_name(c));
    return SL_OK;
}

sl_err cl_clean(const cl_opts *o, sl_batch *b, uint8_t *status, sl_str *detail, cl_idsets *read_ids,
                cl_idsets *write_ids, cl_counters *c, char *err, size_t errlen) {
    cl_opts def = cl_opts_default();
    if (!o) o = &def;
    sl_err e = check_schema(b, err, errlen);
    if (e != SL_OK) return e;
    const size_t n = b->nrows;
    uint8_t *st = status;
    uint8_t *chg = calloc(2 * (n ? n : 1), 1), *mal = chg + n; /* per row: changed; non-finite */
    if (!chg) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    cl_idsets tmp_r = {0}, tmp_w = {0};
    memset(st, 0, n);

    /* NULL slots hold zero (batch.h), so value checks need no bitmap: a NULL
     * is never negative or non-finite, and NULL -> 0 only sets the bit. */
    /* negative_*: last reason first.  The DOUBLE columns' NaN/infinity test
     * (malformed) is done in the same pass into mal[], applied last. */
    for (int k = N_NEG - 1; k >= 0; k--) {
        const sl_col *col = &b->cols[neg_cols[k]];
        const uint8_t r = (uint8_t)(CL_NEGATIVE_COMPILE_DURATION_MS + k);
        if (col->t.type == SL_F64) {
            const double *d = col->data;
            const uint64_t *u = col->data;
            for (size_t i = 0; i < n; i++) {
                mal[i] |= (uint8_t)((u[i] & EXP_MASK) == EXP_MASK);
                st[i] = d[i] < 0.0 ? r : st[i];
            }
        } else {
            const int64_t *d = col->data;
            for (size_t i = 0; i < n; i++) st[i] = d[i] < 0 ? r : st[i];
        }
    }
    for (int k = 0; k < N_F64; k++) {
        if (f64_cols[k] != EV_CLUSTER_SIZE && f64_cols[k] != EV_CACHE_SOURCE_QID) continue;
        const uint64_t *u = b->cols[f64_cols[k]].data;
        for (size_t i = 0; i < n; i++) mal[i] |= (uint8_t)((u[i] & EXP_MASK) == EXP_MASK);
    }

    /* bad_timestamp: a value outside [ts_min, ts_max) */
    {
        const sl_col *col = &b->cols[EV_ARRIVAL_TS];
        const int64_t *d = col->data;
        const int64_t lo = o->ts_min_us, hi = o->ts_max_us;
        if (!col->valid) {
            for (size_t i = 0; i < n; i++) st[i] = ((d[i] < lo) | (d[i] >= hi)) ? (uint8_t)CL_BAD_TIMESTAMP : st[i];
        } else {
            const uint8_t *vb = col->valid;
            for (size_t i = 0; i < n; i++) {
                int bad = ((d[i] < lo) | (d[i] >= hi)) & (vb[i >> 3] >> (i & 7));
                st[i] = bad ? (uint8_t)CL_BAD_TIMESTAMP : st[i];
            }
        }
    }

    /* missing_query_type: NULL or blank after trimming spaces */
    {
        const sl_col *col = &b->cols[EV_QUERY_TYPE];
        const sl_str *v = col->data;
        for (size_t i = 0; i < n; i++) {
            int miss = !valid_at(col, i) || v[i].len == 0 || (v[i].ptr[0] == ' ' && all_spaces(&v[i]));
            st[i] = miss ? (uint8_t)CL_MISSING_QUERY_TYPE : st[i];
        }
    }
    pass_null(&b->cols[EV_QUERY_ID], n, st, CL_MISSING_QUERY_ID);
    pass_null(&b->cols[EV_INSTANCE_ID], n, st, CL_MISSING_INSTANCE_ID);
    pass_null(&b->cols[EV_ARRIVAL_TS], n, st, CL_MISSING_ARRIVAL_TIMESTAMP);

    /* replay flags: "bad_timestamp: ..." (NULL arrival that is not missing)
     * and "malformed: ..." or anything else */
    const sl_col *errc = &b->cols[EV_ERROR];
    const sl_str *ev = errc->data;
    {
        for (size_t i = 0; i < n; i++) {
            if (errc->valid && (i & 7) == 0 && errc->valid[i >> 3] == 0) {
                i += 7; /* eight rows without a flag */
                continue;
            }
            if (!valid_at(errc, i)) continue;
            if (is_ts_flag(&ev[i])) {
                const sl_col *qc = &b->cols[EV_QUERY_TYPE];
                const sl_str *qv = qc->data;
                if (!valid_at(&b->cols[EV_INSTANCE_ID], i)) st[i] = CL_MISSING_INSTANCE_ID;
                else if (!valid_at(&b->cols[EV_QUERY_ID], i)) st[i] = CL_MISSING_QUERY_ID;
                else if (!valid_at(qc, i) || all_spaces(&qv[i])) st[i] = CL_MISSING_QUERY_TYPE;
                else st[i] = CL_BAD_TIMESTAMP;
            } else {
                st[i] = CL_MALFORMED;
            }
        }
    }

    /* malformed: NaN / infinity in a DOUBLE column */
    for (size_t i = 0; i < n; i++) st[i] = mal[i] ? (uint8_t)CL_MALFORMED : st[i];

    /* ---------------------------------------------------------- repairs */
    static const int null_cols[] = {EV_COMPILE_MS,     EV_QUEUE_MS,       EV_EXEC_MS,        EV_WAS_ABORTED,
                                    EV_WAS_CACHED,     EV_NUM_PERM_TABLES, EV_NUM_EXT_TABLES, EV_NUM_SYS_TABLES,
                                    EV_MBYTES_SCANNED, EV_MBYTES_SPILLED, EV_NUM_JOINS,      EV_NUM_SCANS,
                                    EV_NUM_AGGREGATIONS};
    for (size_t k = 0; k < sizeof null_cols / sizeof null_cols[0]; k++)
        repair_nulls(&b->cols[null_cols[k]], n, st, chg, &c->repaired[null_cols[k]]);
    repair_flag(&b->cols[EV_WAS_ABORTED], n, st, chg, &c->repaired[EV_WAS_ABORTED]);
    repair_flag(&b->cols[EV_WAS_CACHED], n, st, chg, &c->repaired[EV_WAS_CACHED]);
    clamp_f64(&b->cols[EV_COMPILE_MS], n, st, (double)o->duration_cap_ms, chg, &c->repaired[EV_COMPILE_MS]);
    clamp_i64(&b->cols[EV_QUEUE_MS], n, st, o->duration_cap_ms, chg, &c->repaired[EV_QUEUE_MS]);
    clamp_i64(&b->cols[EV_EXEC_MS], n, st, o->duration_cap_ms, chg, &c->repaired[EV_EXEC_MS]);
    e = repair_query_type(b, n, st, chg, &c->repaired[EV_QUERY_TYPE], err, errlen);
    if (e != SL_OK) goto out;
    e = clean_ids(&b->cols[EV_READ_TABLE_IDS], n, st, read_ids ? read_ids : &tmp_r, chg, &c->bad_table_id,
                  &c->repaired[EV_READ_TABLE_IDS], err, errlen);
    if (e != SL_OK) goto out;
    e = clean_ids(&b->cols[EV_WRITE_TABLE_IDS], n, st, write_ids ? write_ids : &tmp_w, chg, &c->bad_table_id,
                  &c->repaired[EV_WRITE_TABLE_IDS], err, errlen);
    if (e != SL_OK) goto out;

    /* ---------------------------------------------------------- counters, details */
    {
        uint64_t cnt[CL_N_REASONS] = {0}, rep = 0;
        for (size_t i = 0; i < n; i++) {
            cnt[st[i]]++;
            rep += (uint64_t)((st[i] == 0) & chg[i]);
        }
        c->rows += n;
        c->accepted_clean += cnt[CL_ACCEPT];
        for (int r = 1; r < CL_N_REASONS; r++) c->bad[r] += cnt[r];
        c->repaired_rows += rep;
        if (detail) {
            for (size_t i = 0; i < n; i++) {
                if (st[i] == CL_ACCEPT) detail[i] = (sl_str){NULL, 0};
                else make_detail(o, b, i, st[i], &detail[i]);
            }
        }
    }
out:
    free(chg);
    cl_idsets_free(&tmp_r);
    cl_idsets_free(&tmp_w);
    return e;
}
