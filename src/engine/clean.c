/* clean.c: the cleaning rules a schema declares per column (see clean.h;
 * the Redset rules are docs/metrics.md section 2).
 *
 * Work is done column by column over the whole batch; there is no per-row
 * switch over columns.  Statuses are computed with the checks in REVERSE
 * priority order, each pass overwriting the status of the rows it flags
 * (st[i] = bad ? R : st[i]), so the highest-priority failing check is the one
 * left at the end:
 *   negative_* (last column first) -> bad_timestamp -> missing_* (last
 *   listed first) -> (rows the input flagged "bad_timestamp:") -> malformed.
 * Each pass is a straight loop over one column's values (vectorizable);
 * string passes (trimming, id lists) are inherently per row.  Repairs then
 * run on accepted rows only, again column by column.
 *
 * Decisions beyond the documented rules (docs/metrics.md 2.1/2.2):
 *  - NaN/+-Inf in a FINITE (DOUBLE) column is malformed.
 *  - An input flag (_error) that starts with neither "malformed:" nor
 *    "bad_timestamp:" is treated as malformed.
 *  - A row flagged "bad_timestamp:" has a NULL event time (it did not parse);
 *    that NULL is not "missing": such a row is bad_timestamp unless it is
 *    malformed or misses another required column.
 *  - Text: only the space character is trimmed (as for ids); lower-casing is
 *    ASCII A-Z only.  A value that only needs trimming becomes a view of its
 *    own bytes; one with upper-case letters is rewritten into the batch
 *    arena; an unchanged value is not touched.  A REQUIRED text that is
 *    empty or all spaces is missing.
 *  - NULL value slots are zero (batch.h), so the value checks read the data
 *    arrays without the bitmaps (a NULL is never negative or non-finite).
 *  - Bad rows are not repaired and get empty id sets; their id tokens are
 *    not counted in bad_id_tokens.
 *  - Id lists: duplicates ("5,5,5") and unusual valid tokens ("007", " 12 ")
 *    are not repairs.  Dropping >= 1 bad token counts one repair of that
 *    column and makes the row repaired; bad_id_tokens counts tokens.
 *
 * Speed (release build, gen batches of Redset rows, 1% bad, 5% repairs):
 * about 21-24 M rows/s for the whole of cl_clean (string columns included:
 * query_type and both table-id lists dominate) and about 60-66 M rows/s for
 * the numeric checks and repairs alone (test_speed in tests/unit/test_clean.c
 * prints the former).
 */
#include "engine/clean.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/time.h"

#define EXP_MASK UINT64_C(0x7ff0000000000000)

cl_opts cl_opts_default(const sc_schema *s) {
    cl_opts o;
    o.duration_cap_ms = s && s->def->duration_cap_ms > 0 ? s->def->duration_cap_ms : INT64_C(604800000);
    o.ts_min_us = s ? s->ts_min_us : INT64_MIN;
    o.ts_max_us = s ? s->ts_max_us : INT64_MAX;
    return o;
}

void cl_idsets_free(cl_idsets *s) {
    if (!s) return;
    free(s->off);
    free(s->ids);
    memset(s, 0, sizeof *s);
}

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

/* A required column is missing in row i: NULL, or blank text. */
static int missing_at(const sl_col *c, size_t i) {
    if (!valid_at(c, i)) return 1;
    if (c->t.type != SL_BYTES) return 0;
    const sl_str *v = &((const sl_str *)c->data)[i];
    return v->len == 0 || (v->ptr[0] == ' ' && all_spaces(v));
}

static int is_ts_flag(const sl_str *s) { return s->len >= 14 && memcmp(s->ptr, "bad_timestamp:", 14) == 0; }

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ"; years outside 0000..9999 (a bad time can
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

/* ------------------------------------------------------------------ id lists */

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
        if (!o) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (id sets)");
        s->off = o;
        s->cap_rows = nc;
    }
    const sl_str *v = c->data;
    size_t tot = 0;
    s->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (st[i] == 0 && v[i].len && valid_at(c, i)) {
            if (grow_ids(s, tot + v[i].len / 2 + 2) != 0) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (ids)");
            uint64_t b0 = *bad;
            tot += parse_ids(v[i].ptr, v[i].len, s->ids + tot, bad);
            if (*bad != b0) {
                (*rep)++;
                chg[i] = 1;
            }
            if (tot > UINT32_MAX) return sl_err_set(err, errlen, SL_ERR_ARG, "too many ids in one batch");
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
            if (!((v >> j) & 1) && st[i] == 0) {
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

/* Trim spaces (and lower-case ASCII when lower) on accepted, non-NULL rows;
 * new strings go to the batch arena, only when the value changes. */
static sl_err repair_text(sl_batch *b, sl_col *c, size_t n, const uint8_t *st, bool lower, uint8_t *chg, uint64_t *rep,
                          char *err, size_t errlen) {
    sl_str *v = c->data;
    for (size_t i = 0; i < n; i++) {
        if (st[i] != 0 || !v[i].len) continue; /* NULL slots are empty */
        const char *p = v[i].ptr;
        uint32_t len = v[i].len, a = 0, e = len;
        while (a < e && p[a] == ' ') a++;
        while (e > a && p[e - 1] == ' ') e--;
        int upper = 0;
        if (lower)
            for (uint32_t k = a; k < e; k++) upper |= (p[k] >= 'A') & (p[k] <= 'Z');
        if (!upper) {
            if (a == 0 && e == len) continue;
            v[i].ptr = p + a; /* a view of the same bytes */
            v[i].len = e - a;
        } else {
            char *q = sl_arena_alloc(&b->arena, e - a);
            if (!q) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (%s)", c->name);
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

static void make_detail(const sc_schema *s, const cl_opts *o, sl_batch *b, size_t i, uint8_t r, sl_str *out) {
    char buf[256], t1[48], t2[48], t3[48];
    const sl_col *errc = &b->cols[s->error];
    const sl_str *ev = errc->data;
    int flagged = valid_at(errc, i) && ev[i].len > 0;
    const sc_reason *re = &s->reasons[r];
    buf[0] = 0;
    if (r == s->reason_malformed) {
        if (flagged && !is_ts_flag(&ev[i])) { /* the input's own text */
            *out = ev[i];
            return;
        }
        for (size_t c = 0; c < s->ncols; c++) {
            if (!(s->cols[c].rules & SC_FINITE)) continue;
            double v = ((const double *)b->cols[c].data)[i];
            if (!isfinite(v)) {
                fmt_f64(t1, sizeof t1, v);
                snprintf(buf, sizeof buf, "%s = %s", s->cols[c].name, t1);
                break;
            }
        }
    } else if (r == s->reason_bad_timestamp) {
        if (flagged && is_ts_flag(&ev[i])) {
            *out = ev[i];
            return;
        }
        fmt_ts(t1, sizeof t1, ((const int64_t *)b->cols[s->time].data)[i]);
        fmt_ts(t2, sizeof t2, o->ts_min_us);
        fmt_ts(t3, sizeof t3, o->ts_max_us);
        snprintf(buf, sizeof buf, "%s %s outside [%s, %s)", s->cols[s->time].name, t1, t2, t3);
    } else if (re->col >= 0 && !strncmp(re->name, "missing_", 8)) {
        const sl_col *c = &b->cols[re->col];
        if (!valid_at(c, i)) {
            snprintf(buf, sizeof buf, "%s is NULL", s->cols[re->col].name);
        } else {
            const sl_str *v = &((const sl_str *)c->data)[i];
            snprintf(buf, sizeof buf, "%s is empty ('%.*s')", s->cols[re->col].name, (int)(v->len > 64 ? 64 : v->len),
                     v->ptr);
        }
    } else if (re->col >= 0) { /* negative_* */
        const sl_col *c = &b->cols[re->col];
        if (c->t.type == SL_F64) fmt_f64(t1, sizeof t1, ((const double *)c->data)[i]);
        else if (c->t.type == SL_I32) snprintf(t1, sizeof t1, "%" PRId32, ((const int32_t *)c->data)[i]);
        else snprintf(t1, sizeof t1, "%" PRId64, ((const int64_t *)c->data)[i]);
        snprintf(buf, sizeof buf, "%s = %s", s->cols[re->col].name, t1);
    }
    *out = arena_text(b, buf);
}

/* ------------------------------------------------------------------ cl_clean */

sl_err cl_clean(const sc_schema *s, const cl_opts *o, sl_batch *b, uint8_t *status, sl_str *detail, cl_idsets *idsets,
                cl_counters *c, char *err, size_t errlen) {
    cl_opts def = cl_opts_default(s);
    if (!o) o = &def;
    sl_err e = sc_check_batch(s, b, err, errlen);
    if (e != SL_OK) {
        sl_err_prefix(err, errlen, "cl_clean");
        return e;
    }
    const size_t n = b->nrows;
    uint8_t *st = status;
    uint8_t *chg = calloc(2 * (n ? n : 1), 1), *mal = chg + n; /* per row: changed; non-finite */
    if (!chg) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    cl_idsets tmp[CL_MAX_COLS];
    if (!idsets) {
        memset(tmp, 0, s->nidlists * sizeof *tmp);
        idsets = tmp;
    }
    memset(st, 0, n);

    /* negative_*: last reason first (reasons are numbered in column order).
     * FINITE columns' NaN/infinity test (malformed) is done in the same pass
     * into mal[], applied last. */
    for (size_t r = s->nreasons; r-- > (size_t)s->reason_bad_timestamp + 1;) {
        const sl_col *col = &b->cols[s->reasons[r].col];
        const uint8_t rr = (uint8_t)r;
        if (col->t.type == SL_F64) {
            const double *d = col->data;
            const uint64_t *u = col->data;
            if (s->cols[s->reasons[r].col].rules & SC_FINITE)
                for (size_t i = 0; i < n; i++) {
                    mal[i] |= (uint8_t)((u[i] & EXP_MASK) == EXP_MASK);
                    st[i] = d[i] < 0.0 ? rr : st[i];
                }
            else
                for (size_t i = 0; i < n; i++) st[i] = d[i] < 0.0 ? rr : st[i];
        } else if (col->t.type == SL_I32) {
            const int32_t *d = col->data;
            for (size_t i = 0; i < n; i++) st[i] = d[i] < 0 ? rr : st[i];
        } else {
            const int64_t *d = col->data;
            for (size_t i = 0; i < n; i++) st[i] = d[i] < 0 ? rr : st[i];
        }
    }
    for (size_t k = 0; k < s->ncols; k++) {
        if (!(s->cols[k].rules & SC_FINITE) || (s->cols[k].rules & SC_NONNEG)) continue; /* done above */
        const uint64_t *u = b->cols[k].data;
        for (size_t i = 0; i < n; i++) mal[i] |= (uint8_t)((u[i] & EXP_MASK) == EXP_MASK);
    }

    /* bad_timestamp: a value outside [ts_min, ts_max) */
    {
        const sl_col *col = &b->cols[s->time];
        const int64_t *d = col->data;
        const int64_t lo = o->ts_min_us, hi = o->ts_max_us;
        const uint8_t rr = (uint8_t)s->reason_bad_timestamp;
        if (!col->valid) {
            for (size_t i = 0; i < n; i++) st[i] = ((d[i] < lo) | (d[i] >= hi)) ? rr : st[i];
        } else {
            const uint8_t *vb = col->valid;
            for (size_t i = 0; i < n; i++) {
                int bad = ((d[i] < lo) | (d[i] >= hi)) & (vb[i >> 3] >> (i & 7));
                st[i] = bad ? rr : st[i];
            }
        }
    }

    /* missing_*: last listed first */
    for (size_t r = (size_t)s->reason_bad_timestamp; r-- > (size_t)s->reason_malformed + 1;) {
        int cix = s->reasons[r].col;
        const sl_col *col = &b->cols[cix];
        if (col->t.type == SL_BYTES) {
            for (size_t i = 0; i < n; i++) st[i] = missing_at(col, i) ? (uint8_t)r : st[i];
        } else {
            pass_null(col, n, st, (uint8_t)r);
        }
    }

    /* input flags: "bad_timestamp: ..." (a NULL time that is not missing)
     * and "malformed: ..." or anything else */
    const sl_col *errc = &b->cols[s->error];
    const sl_str *ev = errc->data;
    for (size_t i = 0; i < n; i++) {
        if (errc->valid && (i & 7) == 0 && errc->valid[i >> 3] == 0) {
            i += 7; /* eight rows without a flag */
            continue;
        }
        if (!valid_at(errc, i)) continue;
        if (is_ts_flag(&ev[i])) {
            /* the first missing required column other than the time, else bad_timestamp */
            uint8_t r = (uint8_t)s->reason_bad_timestamp;
            for (size_t k = (size_t)s->reason_malformed + 1; k < (size_t)s->reason_bad_timestamp; k++) {
                int cix = s->reasons[k].col;
                if (cix != s->time && missing_at(&b->cols[cix], i)) {
                    r = (uint8_t)k;
                    break;
                }
            }
            st[i] = r;
        } else {
            st[i] = (uint8_t)s->reason_malformed;
        }
    }

    /* malformed: NaN / infinity in a FINITE column */
    for (size_t i = 0; i < n; i++) st[i] = mal[i] ? (uint8_t)s->reason_malformed : st[i];

    /* ---------------------------------------------------------- repairs, column order */
    size_t kid = 0;
    for (size_t k = 0; k < s->nrepair; k++) {
        int cix = s->repair_cols[k];
        sl_col *col = &b->cols[cix];
        unsigned rules = s->cols[cix].rules;
        uint64_t *rep = &c->repaired[cix];
        if (rules & SC_NULL_ZERO) repair_nulls(col, n, st, chg, rep);
        if (rules & SC_FLAG01) repair_flag(col, n, st, chg, rep);
        if (rules & SC_CLAMP) {
            if (col->t.type == SL_F64) clamp_f64(col, n, st, (double)o->duration_cap_ms, chg, rep);
            else clamp_i64(col, n, st, o->duration_cap_ms, chg, rep);
        }
        if (rules & (SC_TRIM_LOWER | SC_TRIM)) {
            e = repair_text(b, col, n, st, (rules & SC_TRIM_LOWER) != 0, chg, rep, err, errlen);
            if (e != SL_OK) goto out;
        }
        if (rules & SC_ID_LIST) {
            e = clean_ids(col, n, st, &idsets[kid++], chg, &c->bad_id_tokens, rep, err, errlen);
            if (e != SL_OK) goto out;
        }
    }

    /* ---------------------------------------------------------- counters, details */
    {
        uint64_t cnt[CL_MAX_REASONS] = {0}, rep = 0;
        for (size_t i = 0; i < n; i++) {
            cnt[st[i]]++;
            rep += (uint64_t)((st[i] == 0) & chg[i]);
        }
        c->rows += n;
        c->accepted_clean += cnt[0];
        for (size_t r = 1; r < s->nreasons; r++) c->bad[r] += cnt[r];
        c->repaired_rows += rep;
        if (detail) {
            for (size_t i = 0; i < n; i++) {
                if (st[i] == 0) detail[i] = (sl_str){NULL, 0};
                else make_detail(s, o, b, i, st[i], &detail[i]);
            }
        }
    }
out:
    free(chg);
    if (idsets == tmp)
        for (size_t k = 0; k < s->nidlists; k++) cl_idsets_free(&tmp[k]);
    return e;
}
