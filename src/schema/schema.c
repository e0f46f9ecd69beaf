/* schema.c: checking a schema definition and deriving the runtime schema
 * (see schema.h). */
#include "schema/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Limits the cleaning counters are sized for (engine/clean.h). */
#define MAX_COLS SC_MAX_COLS
#define MAX_REASONS 64

static const struct {
    const char *name;
    sl_coltype type;
    bool nullable;
} k_sys[SC_N_SYS] = {
    {"source", {.type = SL_BYTES, .logical = SL_LOG_STRING}, false},
    {"_input", {.type = SL_I32}, false},
    {"_row", {.type = SL_I64}, false},
    {"_error", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true},
    {"_extra", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true},
};

/* Everything an sc_schema points to lives in the same allocation. */
typedef struct sc_block {
    sc_schema s;
    sc_reason reasons[MAX_REASONS];
    char reason_text[MAX_REASONS][96];
    int repair_cols[MAX_COLS];
    int idlist_cols[MAX_COLS];
} sc_block;

static int find_def(const sc_def *d, const char *name) {
    if (!name) return -1;
    for (size_t i = 0; i < d->ncols; i++)
        if (!strcmp(d->cols[i].name, name)) return (int)i;
    return -1;
}

static bool is_ts(const sl_coltype *t) { return t->type == SL_I64 && t->logical == SL_LOG_TIMESTAMP && t->unit == SL_UNIT_MICROS; }
static bool is_str(const sl_coltype *t) { return t->type == SL_BYTES; }

#define REPAIRS (SC_NULL_ZERO | SC_FLAG01 | SC_CLAMP | SC_TRIM_LOWER | SC_ID_LIST | SC_TRIM)

static sl_err check_col(const sc_def *d, const sc_col *c, char *err, size_t errlen) {
    const sl_coltype *t = &c->type;
    if (!c->name || !*c->name) return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: a column has no name", d->name);
    if (t->type != SL_I32 && t->type != SL_I64 && t->type != SL_F64 && t->type != SL_BYTES)
        return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: column %s: type must be INT32, INT64, DOUBLE or STRING",
                          d->name, c->name);
    for (int k = 0; k < SC_N_SYS; k++)
        if (!strcmp(c->name, k_sys[k].name))
            return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: column %s: the name is a system column's", d->name,
                              c->name);
    unsigned r = c->rules;
    const char *bad = NULL;
    if ((r & SC_FINITE) && t->type != SL_F64) bad = "FINITE needs a DOUBLE";
    else if ((r & SC_FLAG01) && t->type != SL_I32) bad = "FLAG01 needs an INT32";
    else if ((r & SC_CLAMP) && t->type != SL_I64 && t->type != SL_F64) bad = "CLAMP needs an INT64 or a DOUBLE";
    else if ((r & SC_NONNEG) && is_str(t)) bad = "NONNEG needs a number";
    else if ((r & SC_NULL_ZERO) && is_str(t)) bad = "NULL_ZERO needs a number";
    else if ((r & (SC_TRIM_LOWER | SC_TRIM | SC_ID_LIST)) && !is_str(t)) bad = "TRIM, TRIM_LOWER and ID_LIST need a STRING";
    else if ((r & SC_REQUIRED) && (r & SC_NULL_ZERO)) bad = "REQUIRED and NULL_ZERO contradict each other";
    if (bad) return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: column %s: %s", d->name, c->name, bad);
    return SL_OK;
}

static sl_err key_cols(const sc_def *d, const char *const *names, size_t max, int *out, int *n, const char *what,
                       char *err, size_t errlen) {
    *n = 0;
    for (size_t k = 0; k < max && names[k]; k++) {
        int c = find_def(d, names[k]);
        if (c < 0)
            return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: %s column '%s' does not exist", d->name, what, names[k]);
        out[(*n)++] = c;
    }
    return SL_OK;
}

sl_err sc_open(const sc_schema **out, const sc_def *d, char *err, size_t errlen) {
    *out = NULL;
    if (!d || !d->name || !d->cols || d->ncols == 0)
        return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: an empty definition (no columns)",
                          d && d->name ? d->name : "(unnamed)");
    if (d->ncols + SC_N_SYS > MAX_COLS)
        return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: %zu columns, at most %d", d->name, d->ncols,
                          MAX_COLS - SC_N_SYS);
    for (size_t i = 0; i < d->ncols; i++) {
        sl_err e = check_col(d, &d->cols[i], err, errlen);
        if (e != SL_OK) return e;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(d->cols[i].name, d->cols[j].name))
                return sl_err_set(err, errlen, SL_ERR_ARG, "schema %s: column %s appears twice", d->name, d->cols[i].name);
    }
    sc_block *b = calloc(1, sizeof *b);
    if (!b) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sc_schema *s = &b->s;
    s->def = d;
    s->name = d->name;
    s->ncols = d->ncols;
    s->nall = d->ncols + SC_N_SYS;
    s->cols = d->cols;
    s->source = (int)d->ncols + SC_SYS_SOURCE;
    s->input = (int)d->ncols + SC_SYS_INPUT;
    s->row = (int)d->ncols + SC_SYS_ROW;
    s->error = (int)d->ncols + SC_SYS_ERROR;
    s->extra = (int)d->ncols + SC_SYS_EXTRA;
    s->ts_min_us = d->ts_min_us;
    s->ts_max_us = d->ts_max_us;
    if (s->ts_min_us == 0 && s->ts_max_us == 0) {
        s->ts_min_us = INT64_MIN;
        s->ts_max_us = INT64_MAX;
    }
    sl_err e = SL_OK;
#define FAIL(...)                                              \
    do {                                                       \
        e = sl_err_set(err, errlen, SL_ERR_ARG, __VA_ARGS__); \
        goto fail;                                             \
    } while (0)

    s->time = find_def(d, d->time);
    if (s->time < 0) FAIL("schema %s: the event-time column '%s' does not exist", d->name, d->time ? d->time : "(none)");
    if (!is_ts(&d->cols[s->time].type))
        FAIL("schema %s: the event-time column %s must be a TIMESTAMP(MICROS)", d->name, d->time);
    if (!(d->cols[s->time].rules & SC_REQUIRED)) /* an event without a time belongs to no window */
        FAIL("schema %s: the event-time column %s must be REQUIRED", d->name, d->time);
    for (int k = 0; k < 2; k++) {
        s->order[k] = d->order[k] ? find_def(d, d->order[k]) : -1;
        if (d->order[k] && s->order[k] < 0) FAIL("schema %s: order column '%s' does not exist", d->name, d->order[k]);
    }
    if (s->order[0] >= 0 && d->cols[s->order[0]].type.type != SL_I32)
        FAIL("schema %s: the first order column %s must be an INT32", d->name, d->order[0]);
    if (s->order[1] >= 0 && d->cols[s->order[1]].type.type != SL_I64 && !is_str(&d->cols[s->order[1]].type))
        FAIL("schema %s: the second order column %s must be an INT64 or a STRING", d->name, d->order[1]);
    if ((e = key_cols(d, d->dedupe, SC_MAX_KEY, s->dedupe, &s->ndedupe, "dedupe", err, errlen)) != SL_OK) goto fail;
    for (int k = 0; k < s->ndedupe; k++)
        if (!(d->cols[s->dedupe[k]].rules & SC_REQUIRED))
            FAIL("schema %s: dedupe column %s must be REQUIRED", d->name, d->cols[s->dedupe[k]].name);
    if ((e = key_cols(d, d->partition, SC_MAX_KEY, s->partition, &s->npartition, "partition", err, errlen)) != SL_OK)
        goto fail;
    s->rest = d->rest ? find_def(d, d->rest) : -1;
    if (d->rest && (s->rest < 0 || !is_str(&d->cols[s->rest].type)))
        FAIL("schema %s: the rest column '%s' must be a STRING column", d->name, d->rest);

    /* reasons: accept, malformed, missing_* (listed first, then column order), bad_timestamp, negative_* */
    size_t nr = 0;
    b->reasons[nr++] = (sc_reason){"accept", -1};
    s->reason_malformed = (int)nr;
    b->reasons[nr++] = (sc_reason){"malformed", -1};
    bool listed[MAX_COLS] = {false};
    for (size_t k = 0; k < 8 && d->required[k]; k++) {
        int c = find_def(d, d->required[k]);
        if (c < 0 || !(d->cols[c].rules & SC_REQUIRED))
            FAIL("schema %s: required[%zu] '%s' is not a REQUIRED column", d->name, k, d->required[k]);
        if (listed[c]) FAIL("schema %s: required column %s listed twice", d->name, d->required[k]);
        listed[c] = true;
        snprintf(b->reason_text[nr], sizeof b->reason_text[nr], "missing_%s", d->cols[c].name);
        b->reasons[nr] = (sc_reason){b->reason_text[nr], c};
        nr++;
    }
    for (size_t c = 0; c < d->ncols; c++) {
        if (!(d->cols[c].rules & SC_REQUIRED) || listed[c]) continue;
        if (nr >= MAX_REASONS - 2) FAIL("schema %s: too many cleaning reasons (at most %d)", d->name, MAX_REASONS);
        snprintf(b->reason_text[nr], sizeof b->reason_text[nr], "missing_%s", d->cols[c].name);
        b->reasons[nr] = (sc_reason){b->reason_text[nr], (int)c};
        nr++;
    }
    s->reason_bad_timestamp = (int)nr;
    b->reasons[nr++] = (sc_reason){"bad_timestamp", s->time};
    for (size_t c = 0; c < d->ncols; c++) {
        if (!(d->cols[c].rules & SC_NONNEG)) continue;
        if (nr >= MAX_REASONS) FAIL("schema %s: too many cleaning reasons (at most %d)", d->name, MAX_REASONS);
        snprintf(b->reason_text[nr], sizeof b->reason_text[nr], "negative_%s", d->cols[c].name);
        b->reasons[nr] = (sc_reason){b->reason_text[nr], (int)c};
        nr++;
    }
    s->nreasons = nr;
    s->reasons = b->reasons;
    for (size_t c = 0; c < d->ncols; c++) {
        if (d->cols[c].rules & REPAIRS) b->repair_cols[s->nrepair++] = (int)c;
        if (d->cols[c].rules & SC_ID_LIST) b->idlist_cols[s->nidlists++] = (int)c;
    }
    s->repair_cols = b->repair_cols;
    s->idlist_cols = b->idlist_cols;
#undef FAIL
    *out = s;
    return SL_OK;
fail:
    free(b);
    return e;
}

void sc_close(const sc_schema *s) { free((void *)s); } /* s is the first member of its block */

int sc_find(const sc_schema *s, const char *name) { return find_def(s->def, name); }

int sc_match(const sc_schema *s, const char *name, size_t len) {
    int ci = -1, nci = 0;
    for (size_t c = 0; c < s->ncols; c++) {
        const char *cn = s->cols[c].name, *cp = s->cols[c].path;
        if ((strlen(cn) == len && !memcmp(cn, name, len)) || (cp && strlen(cp) == len && !memcmp(cp, name, len)))
            return (int)c;
        if ((strlen(cn) == len && !strncasecmp(cn, name, len)) || (cp && strlen(cp) == len && !strncasecmp(cp, name, len))) {
            ci = (int)c;
            nci++;
        }
    }
    return nci == 1 ? ci : -1;
}

const char *sc_col_name(const sc_schema *s, int col) {
    if (col >= 0 && (size_t)col < s->ncols) return s->cols[col].name;
    if (col >= (int)s->ncols && (size_t)col < s->nall) return k_sys[col - (int)s->ncols].name;
    return "?";
}

const sl_coltype *sc_col_type(const sc_schema *s, int col) {
    if (col >= 0 && (size_t)col < s->ncols) return &s->cols[col].type;
    if (col >= (int)s->ncols && (size_t)col < s->nall) return &k_sys[col - (int)s->ncols].type;
    return NULL;
}

sl_err sc_init_batch(const sc_schema *s, sl_batch *b, char *err, size_t errlen) {
    for (size_t c = 0; c < s->nall; c++) {
        bool nullable = c < s->ncols ? true : k_sys[c - s->ncols].nullable;
        sl_err e = sl_batch_add_col(b, sc_col_name(s, (int)c), sc_col_type(s, (int)c), nullable, err, errlen);
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

sl_err sc_check_batch(const sc_schema *s, const sl_batch *b, char *err, size_t errlen) {
    if (b->ncols != s->nall)
        return sl_err_set(err, errlen, SL_ERR_ARG, "not a canonical %s batch (%zu columns, expected %zu)", s->name,
                          b->ncols, s->nall);
    for (size_t c = 0; c < s->nall; c++)
        if (b->cols[c].t.type != sc_col_type(s, (int)c)->type)
            return sl_err_set(err, errlen, SL_ERR_ARG, "not a canonical %s batch: column %zu (%s) has the wrong type",
                              s->name, c, sc_col_name(s, (int)c));
    return SL_OK;
}
