/* hot_read.c: typed reads of the hot store (see hot_read.h).
 *
 * A query is turned into one SELECT: the identifiers come from the table's
 * definition, every value is a bound parameter, the hour bounds are rendered
 * as the store's hour text (hot.c: 'YYYY-MM-DD HH:00:00', which sorts like
 * the time).  Statements are kept per connection by their SQL text, so the
 * same query with other values reuses its prepared statement.
 */
#include "store/hot_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/hashmap.h"
#include "util/time.h"

/* ------------------------------------------------------------------ errors */

static sl_err code_of(sqlite3 *db, int rc) {
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL: return SL_ERR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return SL_ERR_CORRUPT;
    case SQLITE_NOMEM: return SL_ERR_NOMEM;
    case SQLITE_ERROR: return db && !strncmp(sqlite3_errmsg(db), "no such ", 8) ? SL_ERR_NOTFOUND : SL_ERR_UNSUPPORTED;
    default: return SL_ERR_UNSUPPORTED;
    }
}

/* "WHAT: what SQLite said" */
static sl_err fail(sqlite3 *db, int rc, const char *what, char *err, size_t errlen) {
    return sl_err_set(err, errlen, code_of(db, rc), "%s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

/* --------------------------------------------------------- statement cache */

typedef struct slot {
    char *sql;
    size_t len;
    uint64_t hash, used;
    sqlite3_stmt *st;
    bool busy;
} slot;

struct hr_conn {
    sqlite3 *db;
    uint64_t tick;
    slot s[HR_STMT_CACHE];
};

sl_err hr_conn_new(hr_conn **out, sqlite3 *db, char *err, size_t errlen) {
    *out = calloc(1, sizeof **out);
    if (!*out) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    (*out)->db = db;
    return SL_OK;
}

void hr_conn_free(hr_conn *c) {
    if (!c) return;
    for (int i = 0; i < HR_STMT_CACHE; i++) {
        sqlite3_finalize(c->s[i].st);
        free(c->s[i].sql);
    }
    free(c);
}

/* A statement for sql: a kept one that is not in use, else a new one (kept
 * in an empty or the least recently used free slot; *slot = -1 when none). */
static int stmt_get(hr_conn *c, const char *sql, size_t len, sqlite3_stmt **st, int *slot_out) {
    uint64_t h = hm_hash_bytes(sql, len);
    int victim = -1;
    for (int i = 0; i < HR_STMT_CACHE; i++) {
        slot *s = &c->s[i];
        if (s->busy) continue;
        if (s->st && s->hash == h && s->len == len && !memcmp(s->sql, sql, len)) {
            s->busy = true;
            s->used = ++c->tick;
            *st = s->st;
            *slot_out = i;
            return SQLITE_OK;
        }
        if (victim < 0 || (c->s[victim].st && (!s->st || s->used < c->s[victim].used))) victim = i;
    }
    *slot_out = -1;
    int rc = sqlite3_prepare_v3(c->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT, st, NULL);
    if (rc != SQLITE_OK) return rc;
    char *copy = victim >= 0 ? malloc(len) : NULL;
    if (!copy) return SQLITE_OK; /* not kept: finalized by stmt_put */
    memcpy(copy, sql, len);
    slot *s = &c->s[victim];
    sqlite3_finalize(s->st);
    free(s->sql);
    *s = (slot){copy, len, h, ++c->tick, *st, true};
    *slot_out = victim;
    return SQLITE_OK;
}

static void stmt_put(hr_conn *c, sqlite3_stmt *st, int slot_i) {
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (slot_i < 0) sqlite3_finalize(st);
    else c->s[slot_i].busy = false;
}

/* Run a statement without parameters that returns no row (BEGIN, COMMIT). */
static sl_err run_fixed(hr_conn *c, const char *sql, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int slot_i;
    int rc = stmt_get(c, sql, strlen(sql), &st, &slot_i);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE || rc == SQLITE_ROW) rc = SQLITE_OK;
    }
    sl_err e = rc == SQLITE_OK ? SL_OK : fail(c->db, rc, sql, err, errlen);
    stmt_put(c, st, slot_i);
    return e;
}

sl_err hr_begin(hr_conn *c, char *err, size_t errlen) { return run_fixed(c, "BEGIN", err, errlen); }

void hr_end(hr_conn *c) {
    if (run_fixed(c, "COMMIT", NULL, 0) != SL_OK && !sqlite3_get_autocommit(c->db)) run_fixed(c, "ROLLBACK", NULL, 0);
}

/* ------------------------------------------------------------------ queries */

/* The conventional columns of the filters (the engine's and the Redset
 * tables' names). */
static const char *const k_filter_name[] = {
    [HR_F_HOUR] = "hour",          [HR_F_SOURCE] = "source", [HR_F_INSTANCE] = "instance_id",
    [HR_F_QUERY_TYPE] = "query_type", [HR_F_REASON] = "reason", [HR_F_FINAL] = "final"};

const char *hr_filter_name(hr_filter f) { return (unsigned)f <= HR_F_FINAL ? k_filter_name[f] : "?"; }

int hr_filter_col(const tb_def *t, hr_filter f) {
    if (!t) return HR_NOCOL;
    if (f == HR_F_FINAL) return t->kind == TB_HOURLY ? HR_FINAL : HR_NOCOL;
    if ((unsigned)f >= HR_F_FINAL) return HR_NOCOL;
    int c = tb_find(t, k_filter_name[f]);
    if (c >= 0 && f == HR_F_HOUR && t->cols[c].type.logical != SL_LOG_TIMESTAMP) c = -1;
    if (c < 0 && f == HR_F_HOUR && t->kind == TB_EVENTS) /* the events' time: their first timestamp column */
        for (size_t i = 0; i < t->ncols && c < 0; i++)
            if (t->cols[i].type.logical == SL_LOG_TIMESTAMP) c = (int)i;
    return c < 0 ? HR_NOCOL : c;
}

static bool is_col(const tb_def *t, int c) { return (c >= 0 && (size_t)c < t->ncols) || (c == HR_FINAL && t->kind == TB_HOURLY); }

static void ident(sl_buf *b, const char *name) {
    sl_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') sl_buf_putc(b, '"');
        sl_buf_putc(b, *p);
    }
    sl_buf_putc(b, '"');
}

static void col_sql(sl_buf *b, const tb_def *t, int c) {
    if (c == HR_ROWID) sl_buf_puts(b, "rowid");
    else ident(b, c == HR_FINAL ? k_filter_name[HR_F_FINAL] : t->cols[c].name);
}

static void agg_sql(sl_buf *b, const tb_def *t, const hr_agg *a) {
    static const char *const fn[] = {[HR_SUM] = "sum", [HR_TOTAL] = "total", [HR_MIN] = "min", [HR_MAX] = "max"};
    if (a->fn == HR_COUNT || a->fn == HR_COUNT_DISTINCT) {
        sl_buf_puts(b, "count(*)");
        return;
    }
    sl_buf_printf(b, "%s(", fn[a->fn]);
    col_sql(b, t, a->col);
    sl_buf_putc(b, ')');
}

/* One condition of the WHERE clause. */
typedef struct cond {
    int col;
    const char *op;           /* " = ?", " >= ?", " < ?", or NULL: IN list */
    const char *text;         /* a text value, or NULL */
    char hour[24];            /* a rendered hour bound (text points here) */
    int64_t v;
    const int64_t *list;
    size_t n;
} cond;

#define MAX_CONDS 8

static sl_err add_cond(const tb_def *t, hr_filter f, cond *cs, size_t *n, char *err, size_t errlen) {
    int col = hr_filter_col(t, f);
    if (col == HR_NOCOL)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: no %s column to filter by", t->name, hr_filter_name(f));
    memset(&cs[*n], 0, sizeof cs[*n]);
    cs[*n].col = col;
    cs[*n].op = " = ?";
    (*n)++;
    return SL_OK;
}

static sl_err hour_bound(cond *c, int64_t s, const char *op, const tb_def *t, char *err, size_t errlen) {
    c->op = op;
    c->text = c->hour;
    if (s < INT64_MIN / SL_US_PER_SEC || s > INT64_MAX / SL_US_PER_SEC ||
        !sl_fmt_time(c->hour, sizeof c->hour, s * SL_US_PER_SEC, SL_TIME_SQL) || strlen(c->hour) != 19)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: hour %lld is outside the years 0000..9999", t->name, (long long)s);
    return SL_OK;
}

/* The conditions of w on t into cs[0..*n). */
static sl_err where_conds(const tb_def *t, const hr_where *w, cond *cs, size_t *n, char *err, size_t errlen) {
    sl_err e = SL_OK;
    *n = 0;
    if (w->none) return SL_OK;
    if (w->range && w->to - w->from == 3600 && w->from % 3600 == 0 && t->kind != TB_EVENTS) {
        /* one window: hour = (the store's hours are whole), so the key's
         * next columns can narrow the search too */
        if ((e = add_cond(t, HR_F_HOUR, cs, n, err, errlen)) != SL_OK ||
            (e = hour_bound(&cs[*n - 1], w->from, " = ?", t, err, errlen)) != SL_OK)
            return e;
    } else if (w->range) {
        if ((e = add_cond(t, HR_F_HOUR, cs, n, err, errlen)) != SL_OK) return e;
        cs[*n] = cs[*n - 1];
        (*n)++;
        if ((e = hour_bound(&cs[*n - 2], w->from, " >= ?", t, err, errlen)) != SL_OK ||
            (e = hour_bound(&cs[*n - 1], w->to, " < ?", t, err, errlen)) != SL_OK)
            return e;
    }
    if (w->source && (e = add_cond(t, HR_F_SOURCE, cs, n, err, errlen)) == SL_OK) cs[*n - 1].text = w->source;
    if (e == SL_OK && w->ninstances && (e = add_cond(t, HR_F_INSTANCE, cs, n, err, errlen)) == SL_OK) {
        cs[*n - 1].op = NULL;
        cs[*n - 1].list = w->instances;
        cs[*n - 1].n = w->ninstances;
    }
    if (e == SL_OK && w->query_type && (e = add_cond(t, HR_F_QUERY_TYPE, cs, n, err, errlen)) == SL_OK)
        cs[*n - 1].text = w->query_type;
    if (e == SL_OK && w->final != HR_ANY && (e = add_cond(t, HR_F_FINAL, cs, n, err, errlen)) == SL_OK)
        cs[*n - 1].v = w->final == HR_FINAL_ONLY;
    if (e == SL_OK && w->reason && (e = add_cond(t, HR_F_REASON, cs, n, err, errlen)) == SL_OK)
        cs[*n - 1].text = w->reason;
    return e;
}

static void where_sql(sl_buf *b, const tb_def *t, const hr_where *w, const cond *cs, size_t n) {
    if (w->none) sl_buf_puts(b, " WHERE 0");
    for (size_t i = 0; i < n; i++) {
        sl_buf_puts(b, i ? " AND " : " WHERE ");
        col_sql(b, t, cs[i].col);
        if (cs[i].op) {
            sl_buf_puts(b, cs[i].op);
            continue;
        }
        sl_buf_puts(b, " IN (");
        for (size_t k = 0; k < cs[i].n; k++) sl_buf_puts(b, k ? ", ?" : "?");
        sl_buf_putc(b, ')');
    }
}

static int bind_conds(sqlite3_stmt *st, const cond *cs, size_t n, int *k) {
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        if (cs[i].text) rc = sqlite3_bind_text(st, (*k)++, cs[i].text, -1, SQLITE_TRANSIENT);
        else if (cs[i].op) rc = sqlite3_bind_int64(st, (*k)++, cs[i].v);
        else
            for (size_t j = 0; j < cs[i].n && rc == SQLITE_OK; j++) rc = sqlite3_bind_int64(st, (*k)++, cs[i].list[j]);
    }
    return rc;
}

static sl_err bad_query(const hr_query *q, const char *what, char *err, size_t errlen) {
    return sl_err_set(err, errlen, SL_ERR_ARG, "%s: %s", q->table ? q->table->name : "(no table)", what);
}

/* Check the columns of q against its table. */
static sl_err check_query(const hr_query *q, char *err, size_t errlen) {
    const tb_def *t = q->table;
    if (!t || !t->ncols) return bad_query(q, "no table", err, errlen);
    for (size_t i = 0; i < q->ncols; i++)
        if (!is_col(t, q->cols[i])) return bad_query(q, "a column index out of range", err, errlen);
    for (size_t i = 0; i < q->ngroup; i++)
        if (!is_col(t, q->group[i])) return bad_query(q, "a group column out of range", err, errlen);
    if (q->ngroup && !q->naggs) return bad_query(q, "group columns without an aggregate", err, errlen);
    for (size_t i = 0; i < q->naggs; i++) {
        const hr_agg *a = &q->aggs[i];
        if (a->fn < HR_COUNT || a->fn > HR_COUNT_DISTINCT) return bad_query(q, "an unknown aggregate", err, errlen);
        if (a->fn == HR_COUNT_DISTINCT) {
            if (q->naggs != 1 || !a->ncols) return bad_query(q, "count distinct needs columns and no other aggregate", err, errlen);
            for (size_t k = 0; k < a->ncols; k++)
                if (!is_col(t, a->cols[k])) return bad_query(q, "a distinct column out of range", err, errlen);
        } else if (a->fn != HR_COUNT && !is_col(t, a->col)) {
            return bad_query(q, "an aggregate's column out of range", err, errlen);
        }
    }
    for (size_t i = 0; i < q->norder; i++) {
        int c = q->order[i].col;
        bool ok = is_col(t, c) || (c == HR_ROWID && t->kind != TB_HOURLY) || (c <= HR_AGG(0) && HR_AGG(0) - c < (int)q->naggs);
        if (!ok) return bad_query(q, "an order column out of range", err, errlen);
    }
    if (q->limit < 0 || q->offset < 0 || (q->offset && !q->limit)) return bad_query(q, "a bad limit or offset", err, errlen);
    if (q->input_file && (t->kind != TB_QUARANTINE || tb_find(t, "_input") < 0 || q->naggs || q->cols))
        return bad_query(q, "input_file: only with every column of a quarantine table with an _input column", err, errlen);
    return SL_OK;
}

static void list_sql(sl_buf *b, const tb_def *t, const int *cols, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (i) sl_buf_puts(b, ", ");
        col_sql(b, t, cols[i]);
    }
}

/* Does the store have table `inputs` (schema version 2: and the quarantine
 * tables their owner column)?  -1: an SQLite error (rc in *rc). */
static int have_inputs(hr_conn *c, int *rc) {
    static const char sql[] = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inputs'";
    sqlite3_stmt *st = NULL;
    int slot_i;
    *rc = stmt_get(c, sql, sizeof sql - 1, &st, &slot_i);
    int r = -1;
    if (*rc == SQLITE_OK) {
        *rc = sqlite3_step(st);
        if (*rc == SQLITE_ROW || *rc == SQLITE_DONE) {
            r = *rc == SQLITE_ROW;
            *rc = SQLITE_OK;
        }
    }
    stmt_put(c, st, slot_i);
    return r;
}

/* with_inputs: the input_file column resolved through table inputs (else NULL) */
static void query_sql(sl_buf *b, const hr_query *q, const cond *cs, size_t nc, bool with_inputs) {
    const tb_def *t = q->table;
    bool distinct = q->naggs == 1 && q->aggs[0].fn == HR_COUNT_DISTINCT;
    sl_buf_puts(b, "SELECT ");
    if (q->naggs) {
        list_sql(b, t, q->group, q->ngroup);
        for (size_t i = 0; i < q->naggs; i++) {
            if (i || q->ngroup) sl_buf_puts(b, ", ");
            agg_sql(b, t, &q->aggs[i]);
        }
    } else if (q->cols) {
        list_sql(b, t, q->cols, q->ncols);
    } else {
        for (size_t i = 0; i < t->ncols; i++) {
            if (i) sl_buf_puts(b, ", ");
            ident(b, t->cols[i].name);
        }
        if (t->kind == TB_HOURLY) {
            sl_buf_puts(b, ", ");
            col_sql(b, t, HR_FINAL);
        }
        if (q->input_file && with_inputs) {
            sl_buf_puts(b, ", (SELECT i.\"path\" FROM \"inputs\" AS i WHERE i.\"owner\" = ");
            ident(b, t->name);
            sl_buf_puts(b, ".\"owner\" AND i.\"input\" = ");
            ident(b, t->name);
            sl_buf_puts(b, ".\"_input\") AS \"input_file\"");
        } else if (q->input_file) {
            sl_buf_puts(b, ", NULL AS \"input_file\"");
        }
    }
    sl_buf_puts(b, " FROM ");
    if (distinct) { /* count(*) over the distinct tuples (with the group columns) */
        sl_buf_puts(b, "(SELECT DISTINCT ");
        list_sql(b, t, q->group, q->ngroup);
        if (q->ngroup) sl_buf_puts(b, ", ");
        list_sql(b, t, q->aggs[0].cols, q->aggs[0].ncols);
        sl_buf_puts(b, " FROM ");
        ident(b, t->name);
        where_sql(b, t, &q->where, cs, nc);
        sl_buf_putc(b, ')');
    } else {
        ident(b, t->name);
        where_sql(b, t, &q->where, cs, nc);
    }
    if (q->ngroup) {
        sl_buf_puts(b, " GROUP BY ");
        list_sql(b, t, q->group, q->ngroup);
    }
    size_t k = 0;
    if (q->order_key)
        for (size_t i = 0; i < t->ncols; i++)
            if (t->cols[i].key) {
                sl_buf_puts(b, k++ ? ", " : " ORDER BY ");
                ident(b, t->cols[i].name);
            }
    if (q->order_key && q->input_file && with_inputs) /* the rest of the key: rows of several runs */
        sl_buf_puts(b, k++ ? ", \"owner\"" : " ORDER BY \"owner\"");
    for (size_t i = 0; i < q->norder; i++) {
        sl_buf_puts(b, k++ ? ", " : " ORDER BY ");
        int c = q->order[i].col;
        if (c <= HR_AGG(0)) agg_sql(b, t, &q->aggs[HR_AGG(0) - c]);
        else col_sql(b, t, c);
        if (q->order[i].desc) sl_buf_puts(b, " DESC");
    }
    if (q->limit) sl_buf_puts(b, " LIMIT ? OFFSET ?");
}

sl_err hr_open(hr_conn *c, const hr_query *q, hr_cursor *cur, char *err, size_t errlen) {
    memset(cur, 0, sizeof *cur);
    cur->slot = -1;
    sl_err e = check_query(q, err, errlen);
    cond cs[MAX_CONDS];
    size_t nc = 0;
    if (e == SL_OK) e = where_conds(q->table, &q->where, cs, &nc, err, errlen);
    if (e != SL_OK) return e;
    int with_inputs = 0, rc0 = SQLITE_OK;
    if (q->input_file && (with_inputs = have_inputs(c, &rc0)) < 0) return fail(c->db, rc0, "inputs", err, errlen);
    sl_buf sql;
    sl_buf_init(&sql);
    query_sql(&sql, q, cs, nc, with_inputs == 1);
    if (sql.oom) {
        sl_buf_free(&sql);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    sqlite3_stmt *st = NULL;
    int slot_i = -1;
    int rc = stmt_get(c, sql.p, sql.len, &st, &slot_i);
    sl_buf_free(&sql);
    int k = 1;
    if (rc == SQLITE_OK) rc = bind_conds(st, cs, nc, &k);
    if (rc == SQLITE_OK && q->limit) rc = sqlite3_bind_int64(st, k++, q->limit);
    if (rc == SQLITE_OK && q->limit) rc = sqlite3_bind_int64(st, k++, q->offset);
    if (rc != SQLITE_OK) {
        e = fail(c->db, rc, q->table->name, err, errlen);
        stmt_put(c, st, slot_i);
        return e;
    }
    *cur = (hr_cursor){st, c, slot_i, q->table->name};
    return SL_OK;
}

int hr_next(hr_cursor *cur, char *err, size_t errlen) {
    int rc = sqlite3_step(cur->st);
    if (rc == SQLITE_ROW) return HR_ROW;
    if (rc == SQLITE_DONE) return 0;
    return fail(cur->conn->db, rc, cur->table, err, errlen);
}

void hr_rewind(hr_cursor *cur) { sqlite3_reset(cur->st); }

void hr_close(hr_cursor *cur) {
    if (!cur->st) return;
    stmt_put(cur->conn, cur->st, cur->slot);
    cur->st = NULL;
}

bool hr_parse_ts(const char *s, size_t n, int64_t *us) {
    static const char shape[] = "dddd-dd-dd dd:dd:dd.dddddd";
    if (n != 19 && n != 26) return false;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i]) return false;
    return sl_parse_time(s, n, us, NULL) == SL_OK;
}

bool hr_hour(const hr_cursor *c, int i, int64_t *epoch_s) {
    size_t n;
    const char *s = hr_text(c, i, &n);
    int64_t us;
    if (hr_null(c, i) || n != 19 || !hr_parse_ts(s, n, &us)) return false;
    *epoch_s = us / SL_US_PER_SEC; /* whole seconds: exact */
    return true;
}

/* ---------------------------------------------------------------- distinct */

typedef struct strent {
    char *s;
    size_t n;
} strent;

static bool str_eq(const void *ent, const void *key) {
    const strent *a = ent, *b = key;
    return a->n == b->n && !memcmp(a->s, b->s, b->n);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Add the text of v to the set (once). */
static bool set_add(hm *set, sqlite3_value *v) {
    const char *s = (const char *)sqlite3_value_text(v);
    if (!s) return sqlite3_value_type(v) == SQLITE_NULL;
    strent k = {(char *)s, (size_t)sqlite3_value_bytes(v)};
    bool added;
    strent *e = hm_upsert(set, hm_hash_bytes(k.s, k.n), &k, str_eq, &added);
    if (!e) return false;
    if (added && !(e->s = strndup(k.s, k.n))) {
        e->n = (size_t)-1; /* matches no key; freed below as NULL */
        return false;
    }
    e->n = k.n;
    return true;
}

/* The first and second key columns of t (-1 when absent). */
static void key_cols(const tb_def *t, int *k0, int *k1) {
    *k0 = *k1 = -1;
    for (size_t i = 0; i < t->ncols; i++)
        if (t->cols[i].key) {
            if (*k0 < 0) *k0 = (int)i;
            else if (*k1 < 0) *k1 = (int)i;
        }
}

sl_err hr_distinct(hr_conn *c, const tb_def *t, int col, hr_strings *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (!t || col < 0 || (size_t)col >= t->ncols || t->cols[col].type.type != SL_BYTES)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: distinct: not a text column", t ? t->name : "(no table)");
    int k0, k1;
    key_cols(t, &k0, &k1);
    bool skip = col == k1 && !t->cols[col].nullable;
    sl_buf sql[3];
    sqlite3_stmt *st[3] = {NULL, NULL, NULL};
    int slots[3] = {-1, -1, -1}, nst = skip ? 3 : 1;
    const char *name = t->name, *kn = skip ? t->cols[k0].name : NULL, *vn = t->cols[col].name;
    for (int i = 0; i < 3; i++) sl_buf_init(&sql[i]);
    if (skip) {
        /* the first (k0, col); the next col within k0; else the first of the next k0 */
        sl_buf_printf(&sql[0], "SELECT \"%s\", \"%s\" FROM \"%s\" ORDER BY \"%s\", \"%s\" LIMIT 1", kn, vn, name, kn, vn);
        sl_buf_printf(&sql[1], "SELECT \"%s\", \"%s\" FROM \"%s\" WHERE \"%s\" = ?1 AND \"%s\" > ?2 ORDER BY \"%s\" LIMIT 1",
                      kn, vn, name, kn, vn, vn);
        sl_buf_printf(&sql[2], "SELECT \"%s\", \"%s\" FROM \"%s\" WHERE \"%s\" > ?1 ORDER BY \"%s\", \"%s\" LIMIT 1", kn,
                      vn, name, kn, kn, vn);
    } else {
        sl_buf_printf(&sql[0], "SELECT NULL, \"%s\" FROM \"%s\" GROUP BY \"%s\"", vn, name, vn);
    }
    hm set;
    hm_init(&set, sizeof(strent), 0);
    int rc = SQLITE_OK;
    for (int i = 0; i < nst && rc == SQLITE_OK; i++)
        rc = sql[i].oom ? SQLITE_NOMEM : stmt_get(c, sql[i].p, sql[i].len, &st[i], &slots[i]);
    bool oom = false;
    if (rc == SQLITE_OK) {
        sqlite3_stmt *at = st[0]; /* the statement whose row is current */
        rc = sqlite3_step(at);
        while (rc == SQLITE_ROW && !oom) {
            if (!skip) {
                oom = !set_add(&set, sqlite3_column_value(at, 1));
                rc = sqlite3_step(at);
                continue;
            }
            sqlite3_value *kv = sqlite3_value_dup(sqlite3_column_value(at, 0));
            sqlite3_value *vv = sqlite3_value_dup(sqlite3_column_value(at, 1));
            oom = !kv || !vv || !set_add(&set, vv);
            if (!oom) {
                sqlite3_reset(st[1]);
                sqlite3_bind_value(st[1], 1, kv);
                sqlite3_bind_value(st[1], 2, vv);
                rc = sqlite3_step(at = st[1]);
                if (rc == SQLITE_DONE) { /* no other value for this k0: the next k0 */
                    sqlite3_reset(st[2]);
                    sqlite3_bind_value(st[2], 1, kv);
                    rc = sqlite3_step(at = st[2]);
                }
            }
            sqlite3_value_free(kv);
            sqlite3_value_free(vv);
        }
        if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    sl_err e = oom ? sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory")
                   : rc != SQLITE_OK ? fail(c->db, rc, name, err, errlen) : SL_OK;
    for (int i = 0; i < 3; i++) {
        stmt_put(c, st[i], slots[i]);
        sl_buf_free(&sql[i]);
    }
    if (e == SL_OK && !(out->v = malloc((set.n ? set.n : 1) * sizeof *out->v)))
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < set.n; i++) {
        strent *s = hm_at(&set, i);
        if (e == SL_OK) out->v[out->n++] = s->s;
        else free(s->s);
    }
    hm_free(&set);
    if (out->n) qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return e;
}

void hr_strings_free(hr_strings *s) {
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ fixed tables */

/* One statement over a fixed table: prepared (kept), stepped by the caller. */
typedef struct fixed {
    sqlite3_stmt *st;
    int slot;
} fixed;

static int fixed_open(hr_conn *c, fixed *f, const char *sql) {
    f->st = NULL;
    return stmt_get(c, sql, strlen(sql), &f->st, &f->slot);
}

sl_err hr_health_read(hr_conn *c, hr_health *h, char *err, size_t errlen) {
    memset(h, 0, sizeof *h);
    h->updated_us = INT64_MIN;
    fixed f;
    int rc = fixed_open(c, &f, "SELECT \"name\", \"value\", \"updated_at\" FROM \"" HR_HEALTH_TABLE "\" ORDER BY \"name\"");
    size_t cap = 0;
    sl_err e = SL_OK;
    while (rc == SQLITE_OK && (rc = sqlite3_step(f.st)) == SQLITE_ROW) {
        if (h->n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            hr_health_row *nr = realloc(h->rows, nc * sizeof *nr);
            if (!nr) {
                e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                break;
            }
            h->rows = nr;
            cap = nc;
        }
        hr_health_row *r = &h->rows[h->n];
        const char *nm = (const char *)sqlite3_column_text(f.st, 0);
        if (!(r->name = strndup(nm ? nm : "", nm ? (size_t)sqlite3_column_bytes(f.st, 0) : 0))) {
            e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            break;
        }
        r->null = sqlite3_column_type(f.st, 1) == SQLITE_NULL;
        r->value = r->null ? NAN : sqlite3_column_double(f.st, 1);
        const char *u = (const char *)sqlite3_column_text(f.st, 2);
        if (!u || !hr_parse_ts(u, (size_t)sqlite3_column_bytes(f.st, 2), &r->updated_us)) r->updated_us = INT64_MIN;
        if (r->updated_us > h->updated_us) h->updated_us = r->updated_us;
        h->n++;
        rc = SQLITE_OK;
    }
    if (e == SL_OK && rc != SQLITE_OK && rc != SQLITE_DONE) e = fail(c->db, rc, HR_HEALTH_TABLE, err, errlen);
    stmt_put(c, f.st, f.slot);
    if (e != SL_OK) hr_health_free(h);
    return e;
}

void hr_health_free(hr_health *h) {
    for (size_t i = 0; i < h->n; i++) free((char *)h->rows[i].name);
    free(h->rows);
    memset(h, 0, sizeof *h);
    h->updated_us = INT64_MIN;
}

static bool no_table(sqlite3 *db, int rc) { return (rc & 0xff) == SQLITE_ERROR && strstr(sqlite3_errmsg(db), "no such table"); }

sl_err hr_schema_version(hr_conn *c, int64_t *version, char *err, size_t errlen) {
    fixed f;
    int rc = fixed_open(c, &f, "SELECT \"version\" FROM \"schema_version\"");
    if (rc == SQLITE_OK) rc = sqlite3_step(f.st);
    sl_err e = SL_OK;
    if (rc == SQLITE_ROW) *version = sqlite3_column_int64(f.st, 0);
    else if (rc == SQLITE_DONE) e = sl_err_set(err, errlen, SL_ERR_CORRUPT, "schema_version is empty");
    else if (no_table(c->db, rc)) e = sl_err_set(err, errlen, SL_ERR_NOTFOUND, "no schema_version table");
    else e = fail(c->db, rc, "schema_version", err, errlen);
    stmt_put(c, f.st, f.slot);
    return e;
}

sl_err hr_store_schema(hr_conn *c, char *name, size_t n, char *err, size_t errlen) {
    fixed f;
    if (n) *name = '\0';
    int rc = fixed_open(c, &f, "SELECT \"value\" FROM \"store_meta\" WHERE \"key\" = 'schema'");
    if (rc == SQLITE_OK) rc = sqlite3_step(f.st);
    sl_err e = SL_OK;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(f.st, 0);
        if (n) snprintf(name, n, "%s", v ? v : "");
    } else if (rc != SQLITE_DONE && !no_table(c->db, rc)) {
        e = fail(c->db, rc, "store_meta", err, errlen);
    }
    stmt_put(c, f.st, f.slot);
    return e;
}

sl_err hr_history_read(hr_conn *c, int64_t from_us, int64_t to_us, hr_history_fn fn, void *ctx, char *err,
                       size_t errlen) {
    char lo[SL_TIME_BUF], hi[SL_TIME_BUF];
    if (!sl_fmt_time(lo, sizeof lo, from_us < SL_TIME_MIN_US ? SL_TIME_MIN_US : from_us, SL_TIME_SQL_US) ||
        !sl_fmt_time(hi, sizeof hi, to_us > SL_TIME_MAX_US ? SL_TIME_MAX_US : to_us, SL_TIME_SQL_US))
        return sl_err_set(err, errlen, SL_ERR_ARG, HR_HISTORY_TABLE ": a bound outside the years 0000..9999");
    fixed f;
    int rc = fixed_open(c, &f,
                        "SELECT \"ts\", \"name\", \"value\" FROM \"" HR_HISTORY_TABLE "\" WHERE \"ts\" >= ?1 AND "
                        "\"ts\" < ?2 ORDER BY \"ts\", \"name\"");
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(f.st, 1, lo, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(f.st, 2, hi, -1, SQLITE_TRANSIENT);
    sl_err e = SL_OK;
    while (rc == SQLITE_OK && (rc = sqlite3_step(f.st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        int64_t us;
        const char *t = (const char *)sqlite3_column_text(f.st, 0);
        if (!t || !hr_parse_ts(t, (size_t)sqlite3_column_bytes(f.st, 0), &us)) continue; /* not a timestamp: skipped */
        const char *nm = (const char *)sqlite3_column_text(f.st, 1);
        bool null = sqlite3_column_type(f.st, 2) == SQLITE_NULL;
        if ((e = fn(ctx, us, nm ? nm : "", null ? NAN : sqlite3_column_double(f.st, 2), null, err, errlen)) != SL_OK)
            break;
    }
    if (e == SL_OK && rc != SQLITE_OK && rc != SQLITE_DONE && !no_table(c->db, rc))
        e = fail(c->db, rc, HR_HISTORY_TABLE, err, errlen);
    stmt_put(c, f.st, f.slot);
    return e;
}

sl_err hr_history_newest(hr_conn *c, int64_t *ts_us, char *err, size_t errlen) {
    *ts_us = INT64_MIN;
    fixed f;
    int rc = fixed_open(c, &f, "SELECT max(\"ts\") FROM \"" HR_HISTORY_TABLE "\"");
    if (rc == SQLITE_OK) rc = sqlite3_step(f.st);
    sl_err e = SL_OK;
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(f.st, 0);
        if (t && !hr_parse_ts(t, (size_t)sqlite3_column_bytes(f.st, 0), ts_us)) *ts_us = INT64_MIN;
    } else if (rc != SQLITE_DONE && !no_table(c->db, rc)) {
        e = fail(c->db, rc, HR_HISTORY_TABLE, err, errlen);
    }
    stmt_put(c, f.st, f.slot);
    return e;
}
