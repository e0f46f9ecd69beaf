/* faults.c: bad rows and repairable defects (spec section 2), injected into
 * single rows.  Whether a row gets one, and which, is a pure function of
 * (seed, instance, row), like the row itself. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gen/gen_internal.h"
#include "sink/textout.h"

#define DUR_CAP_MS 604800000LL

void gen_set_str(char *dst, uint16_t *len, size_t cap, const char *s) {
    size_t n = strlen(s);
    if (n > cap) n = cap;
    memcpy(dst, s, n);
    *len = (uint16_t)n;
}

static void clear_null(gen_row *r, int c) { r->nulls &= ~(1u << c); }
static void make_null(gen_row *r, int c) { r->nulls |= 1u << c; }
static bool is_null(const gen_row *r, int c) { return r->nulls >> c & 1; }

static void apply_bad(gen *g, gen_row *r, gen_rng *fr, int kind) {
    gen_counts *c = &g->c;
    int64_t neg = -(1 + (int64_t)gen_below(fr, 1000));
    switch (kind) {
    case GEN_BAD_MALFORMED: {
        int v = g->o.text_faults ? (int)gen_below(fr, 3) : 0;
        if (v == 0) { /* NaN or infinity in a numeric column */
            int w = (int)gen_below(fr, 3);
            if (w == 2) {
                r->compile = INFINITY;
                clear_null(r, C_COMPILE);
            } else {
                r->mb_scanned = w ? -INFINITY : NAN;
                clear_null(r, C_MB_SCANNED);
            }
        } else {
            r->text_fault = v == 1 ? GEN_TEXT_TRUNCATED : GEN_TEXT_WRONG_TYPE;
            c->malformed_text++;
        }
        break;
    }
    case GEN_BAD_MISSING_ARRIVAL: make_null(r, C_ARRIVAL); break;
    case GEN_BAD_MISSING_INSTANCE: make_null(r, C_INSTANCE_ID); break;
    case GEN_BAD_MISSING_QUERY_ID: make_null(r, C_QUERY_ID); break;
    case GEN_BAD_MISSING_QUERY_TYPE: {
        int v = (int)gen_below(fr, 3);
        if (v == 0) make_null(r, C_QUERY_TYPE);
        else {
            uint16_t l;
            gen_set_str(r->qt, &l, sizeof r->qt, v == 1 ? "" : "   ");
            r->qt_len = (uint8_t)l;
        }
        break;
    }
    case GEN_BAD_TIMESTAMP: {
        int v = (int)gen_below(fr, g->o.text_faults ? 3 : 2);
        const int64_t y2000 = 946684800LL * 1000000, y2100 = 4102444800LL * 1000000, year = 31536000LL * 1000000;
        if (v == 0) r->arrival = y2000 - 1 - (int64_t)gen_below(fr, (uint64_t)year * 30);
        else if (v == 1) r->arrival = y2100 + (int64_t)gen_below(fr, (uint64_t)year * 30);
        else {
            r->text_fault = GEN_TEXT_TS_UNPARSEABLE;
            c->bad_timestamp_text++;
        }
        break;
    }
    case GEN_BAD_NEG_COMPILE: r->compile = (double)neg; clear_null(r, C_COMPILE); break;
    case GEN_BAD_NEG_QUEUE: r->queue = neg; break;
    case GEN_BAD_NEG_EXEC: r->exec = neg; break;
    case GEN_BAD_NEG_MBYTES_SCANNED: r->mb_scanned = (double)neg; clear_null(r, C_MB_SCANNED); break;
    case GEN_BAD_NEG_MBYTES_SPILLED: r->mb_spilled = (double)neg; clear_null(r, C_MB_SPILLED); break;
    case GEN_BAD_NEG_PERM: r->perm = (double)(neg % 5 - 1); clear_null(r, C_PERM); break;
    case GEN_BAD_NEG_EXT: r->ext = (double)(neg % 5 - 1); clear_null(r, C_EXT); break;
    case GEN_BAD_NEG_SYS: r->sys = (double)(neg % 5 - 1); clear_null(r, C_SYS); break;
    case GEN_BAD_NEG_JOINS: r->joins = neg % 5 - 1; break;
    case GEN_BAD_NEG_SCANS: r->scans = neg % 5 - 1; break;
    case GEN_BAD_NEG_AGGS: r->aggs = neg % 5 - 1; break;
    }
    r->bad_kind = (uint8_t)(kind + 1);
    c->bad[kind]++;
    c->bad_total++;
}

/* first token of a comma list: [0, end) */
static size_t first_token_end(const char *s, size_t n) {
    size_t k = 0;
    while (k < n && s[k] != ',') k++;
    return k;
}

static bool odd_token(char *s, uint16_t *len, size_t cap, gen_rng *fr) {
    size_t e = first_token_end(s, *len);
    char tmp[GEN_RT_MAX + GEN_TXT_SPARE];
    size_t n = 0;
    if (gen_below(fr, 2)) {
        tmp[n++] = '0';
        tmp[n++] = '0';
        memcpy(tmp + n, s, e);
        n += e;
    } else {
        tmp[n++] = ' ';
        memcpy(tmp + n, s, e);
        n += e;
        tmp[n++] = ' ';
    }
    if (n + (*len - e) > cap) return false;
    memcpy(tmp + n, s + e, *len - e);
    n += *len - e;
    memcpy(s, tmp, n);
    *len = (uint16_t)n;
    return true;
}

static void apply_rep(gen *g, gen_row *r, gen_rng *fr, int kind) {
    gen_counts *c = &g->c;
    if (kind == GEN_REP_NULL_COMPILE && is_null(r, C_COMPILE)) kind = GEN_REP_NULL_QUEUE;
    if (kind == GEN_REP_NULL_MBYTES_SCANNED && is_null(r, C_MB_SCANNED)) kind = GEN_REP_NULL_QUEUE;
    if (kind == GEN_REP_TABLE_ID_ODD && is_null(r, C_READ_IDS) && is_null(r, C_WRITE_IDS)) kind = GEN_REP_QUERY_TYPE;
    switch (kind) {
    case GEN_REP_NULL_COMPILE: make_null(r, C_COMPILE); r->compile = 0; break;
    case GEN_REP_NULL_QUEUE: make_null(r, C_QUEUE); r->queue = 0; break;
    case GEN_REP_NULL_EXEC: make_null(r, C_EXEC); r->exec = 0; break;
    case GEN_REP_NULL_MBYTES_SCANNED: make_null(r, C_MB_SCANNED); r->mb_scanned = 0; break;
    case GEN_REP_NULL_NUM_JOINS: make_null(r, C_JOINS); r->joins = 0; break;
    case GEN_REP_FLAG_ABORTED:
        /* 0 -> NULL, 1 -> 2 / -1 / 7: cleaning restores the model value */
        if (r->aborted) r->aborted = (int32_t[]){2, -1, 7}[gen_below(fr, 3)];
        else make_null(r, C_ABORTED);
        break;
    case GEN_REP_FLAG_CACHED:
        if (r->cached) r->cached = (int32_t[]){2, -1, 7}[gen_below(fr, 3)];
        else make_null(r, C_CACHED);
        break;
    case GEN_REP_DURATION_CAP: {
        int64_t v = DUR_CAP_MS + 1 + (int64_t)gen_below(fr, 3000000000ull);
        if (gen_below(fr, 2)) r->exec = v;
        else r->queue = v;
        break;
    }
    case GEN_REP_QUERY_TYPE: {
        char tmp[24];
        size_t n = 0, ql = r->qt_len;
        int v = (int)gen_below(fr, 4); /* UPPER, Title, " padded ", " PADDED " */
        if (v >= 2) tmp[n++] = ' ';
        for (size_t k = 0; k < ql && n < 20; k++) {
            char ch = r->qt[k];
            if (v == 0 || v == 3 || (v == 1 && k == 0)) ch = (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
            tmp[n++] = ch;
        }
        if (v >= 2) {
            tmp[n++] = ' ';
            tmp[n++] = ' ';
        }
        memcpy(r->qt, tmp, n);
        r->qt_len = (uint8_t)n;
        break;
    }
    case GEN_REP_TABLE_ID_ODD:
        if (!is_null(r, C_READ_IDS)) odd_token(r->rt, &r->rt_len, sizeof r->rt, fr);
        else odd_token(r->wt, &r->wt_len, sizeof r->wt, fr);
        break;
    case GEN_REP_BAD_TABLE_ID: {
        static const char *const bad[] = {"abc", "-3", "1.5", "", "9223372036854775808", "+5", "1 2"};
        const char *tok = bad[gen_below(fr, 7)];
        if (is_null(r, C_READ_IDS) || r->rt_len == 0) {
            if (!*tok) tok = "abc";
            gen_set_str(r->rt, &r->rt_len, GEN_RT_MAX, tok);
            clear_null(r, C_READ_IDS);
        } else {
            size_t n = strlen(tok);
            r->rt[r->rt_len++] = ',';
            memcpy(r->rt + r->rt_len, tok, n);
            r->rt_len = (uint16_t)(r->rt_len + n);
        }
        c->bad_table_id_tokens++;
        break;
    }
    }
    r->rep_kind = (uint8_t)(kind + 1);
    c->rep[kind]++;
    c->repaired_rows++;
}

void gen_fault_pure(gen *g, gen_row *r) {
    if (g->o.bad_rows <= 0 && g->o.repairs <= 0) return;
    uint64_t h = gen_hash3(g->seed ^ 0xbad0bad0ull, r->inst, r->seq);
    double u = gen_unit(h);
    gen_rng fr;
    gen_rng_seed(&fr, h);
    if (u < g->o.bad_rows) apply_bad(g, r, &fr, (int)gen_below(&fr, GEN_BAD_NKINDS));
    else if (u < g->o.bad_rows + g->o.repairs) apply_rep(g, r, &fr, (int)gen_below(&fr, GEN_REP_NKINDS));
}

void gen_render_text_fault(const gen *g, sl_textout *t, const sl_batch *b, size_t i, sl_buf *out) {
    uint8_t k = g->tf ? g->tf[i] : 0;
    bool json = t->mode == SL_FMT_JSON;
    const int64_t *qid = b->cols[C_QUERY_ID].data;
    if (k == GEN_TEXT_TS_UNPARSEABLE) {
        static const char *const txt[] = {"2024-13-45 25:61:61", "not a timestamp", "2024-03-01T12:00:00+99:99", "yesterday"};
        const char *s = txt[(uint64_t)qid[i] % 4];
        char tmp[64];
        int n = json ? snprintf(tmp, sizeof tmp, "\"%s\"", s) : snprintf(tmp, sizeof tmp, "%s", s);
        sl_textout_format_row(t, b, i, out, C_ARRIVAL, tmp, (size_t)n);
    } else if (k == GEN_TEXT_WRONG_TYPE) {
        const char *s = json ? "\"many\"" : "many";
        sl_textout_format_row(t, b, i, out, C_JOINS, s, strlen(s));
    } else if (k == GEN_TEXT_TRUNCATED) {
        size_t at = out->len;
        sl_textout_format_row(t, b, i, out, -1, NULL, 0);
        if (out->oom) return;
        if (json) {
            out->len = at + (out->len - at) * 3 / 5;
        } else { /* keep the first five fields (numbers, never quoted) */
            int commas = 0;
            for (size_t p = at; p < out->len; p++)
                if (out->p[p] == ',' && ++commas == 5) {
                    out->len = p;
                    break;
                }
        }
    } else {
        sl_textout_format_row(t, b, i, out, -1, NULL, 0);
    }
}
