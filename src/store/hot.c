/* hot.c: the hot store on libsqlite3 (see hot.h and docs/stores.md).
 *
 * One connection, used by one thread.  Every table gets one prepared upsert
 * statement, built from its definition (schema/table.h) and the events table
 * from the schema, so the store cannot drift from the batches.  Writes run inside one transaction
 * (BEGIN IMMEDIATE, opened by the first write) that hs_commit commits; each
 * write call is additionally wrapped in a savepoint, so a call that fails
 * leaves nothing of itself behind and the transaction as it was before.
 *
 * Text rendering of timestamps (UTC, fixed width so text order = time order):
 *   `hour` columns             'YYYY-MM-DD HH:MM:SS'         (19 chars)
 *   other timestamps           'YYYY-MM-DD HH:MM:SS.ffffff'  (26 chars)
 * Both compare correctly with each other and with SQLite's datetime().
 */
#include "store/hot.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/time.h"

/* 2: quarantine rows carry their run's owner, table inputs (version 1 stores
 * are migrated on open: migrate_v1) */
#define HS_SCHEMA_VERSION 2
#define HS_BUSY_TIMEOUT_MS 5000
#define HS_MAX_BIND (SC_MAX_COLS + 2) /* widest statement: events: the schema's columns, system columns, hour */

struct hs {
    sqlite3 *db;
    char *path;
    hs_opts o;
    const sc_schema *s;
    const tb_list *tables;
    bool in_tx;
    sqlite3_stmt **ins;      /* per table (NULL for the events table) */
    sqlite3_stmt **del_prov; /* per table (hourly tables only) */
    int evc_hour;            /* bind index (0-based) of the events' hour: after the schema's, source, _input, _row */
    sqlite3_stmt *ins_events, *ins_health, *prune, *ins_contrib, *ins_hist, *prune_hist;
    sqlite3_stmt *begin, *commit, *rollback, *sp, *sp_release, *sp_rollback;
    char *owner;          /* hs_set_owner: who the contributions are from */
    int64_t span_from, span_to; /* hs_set_owner: its event-time range */
    int64_t newest_us;    /* newest event arrival written by this handle */
    int64_t pruned_at_us; /* newest_us at the last prune */
    char tsbuf[HS_MAX_BIND][32];
};

hs_opts hs_opts_default(void) { return (hs_opts){.retention_hours = 24, .keep_events = true}; }

/* ------------------------------------------------------------------------ */
/* errors                                                                   */

static sl_err code_of(int rc) {
    switch (rc & 0xff) {
    case SQLITE_NOMEM: return SL_ERR_NOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return SL_ERR_CORRUPT;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE: return SL_ERR_ARG;
    default: return SL_ERR_IO;
    }
}

/* "hot store PATH: WHAT: sqlite message [(errno text)]" */
static sl_err db_fail(const char *path, sqlite3 *db, int rc, char *err, size_t errlen, const char *what) {
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    int sys = db ? sqlite3_system_errno(db) : 0;
    if (sys && (rc & 0xff) != SQLITE_CONSTRAINT)
        return sl_err_set(err, errlen, code_of(rc), "hot store %s: %s: %s (%s)", path, what, msg, strerror(sys));
    return sl_err_set(err, errlen, code_of(rc), "hot store %s: %s: %s", path, what, msg);
}

/* Why path cannot be opened for writing, in words (SQLite's saved errno is
 * that of its last attempt, often a read-only fallback: misleading). */
static void open_diag(const char *path, char *out, size_t n) {
    struct stat st;
    *out = 0;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) snprintf(out, n, "it is a directory");
        else if (access(path, R_OK | W_OK) != 0) snprintf(out, n, "%s", strerror(errno));
    }
    if (*out) return;
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == path) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0) snprintf(out, n, "directory %s: %s", dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode)) snprintf(out, n, "%s is not a directory", dir);
    /* WAL also creates PATH-wal and PATH-shm next to the file */
    else if (access(dir, W_OK | X_OK) != 0) snprintf(out, n, "directory %s is not writable: %s", dir, strerror(errno));
}

static sl_err open_fail(const char *path, sqlite3 *db, int rc, char *err, size_t errlen) {
    char why[4200];
    int base = rc & 0xff;
    if (base == SQLITE_CANTOPEN || base == SQLITE_IOERR || base == SQLITE_READONLY || base == SQLITE_PERM) {
        open_diag(path, why, sizeof why);
        if (*why)
            return sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: cannot open: %s (%s)", path,
                              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), why);
    }
    return db_fail(path, db, rc, err, errlen, "cannot open");
}

/* ------------------------------------------------------------------------ */
/* value rendering                                                          */

static int64_t to_micros(int64_t v, sl_time_unit u) {
    switch (u) {
    case SL_UNIT_MILLIS: return v > INT64_MAX / 1000 ? INT64_MAX : v < INT64_MIN / 1000 ? INT64_MIN : v * 1000;
    case SL_UNIT_NANOS: return sl_floor_div(v, 1000);
    default: return v;
    }
}

/* Micros since the epoch -> 'YYYY-MM-DD HH:MM:SS[.ffffff]'; false when the
 * year is outside 0000..9999 (fixed-width text would not sort). */
static inline bool fmt_ts(char out[32], int64_t us, bool frac) {
    return sl_fmt_time(out, 32, us, frac ? SL_TIME_SQL_US : SL_TIME_SQL) != 0;
}

/* Bind row i of column c to parameter k (1-based).  hour_text: render a
 * timestamp without fraction.  Returns an sqlite code, or SQLITE_RANGE with
 * *bad_ts set when a timestamp cannot be rendered. */
static int bind_value(hs *h, sqlite3_stmt *st, int k, const sl_col *c, size_t i, bool hour_text, bool *bad_ts) {
    if (sl_col_is_null(c, i)) return sqlite3_bind_null(st, k);
    switch (c->t.type) {
    case SL_BOOL: return sqlite3_bind_int(st, k, ((const uint8_t *)c->data)[i]);
    case SL_I32: return sqlite3_bind_int(st, k, ((const int32_t *)c->data)[i]);
    case SL_I64: {
        int64_t v = ((const int64_t *)c->data)[i];
        if (c->t.logical != SL_LOG_TIMESTAMP) return sqlite3_bind_int64(st, k, v);
        if (!fmt_ts(h->tsbuf[k], to_micros(v, c->t.unit), !hour_text)) {
            *bad_ts = true;
            return SQLITE_RANGE;
        }
        return sqlite3_bind_text(st, k, h->tsbuf[k], hour_text ? 19 : 26, SQLITE_STATIC);
    }
    case SL_F32: return sqlite3_bind_double(st, k, ((const float *)c->data)[i]);
    case SL_F64: return sqlite3_bind_double(st, k, ((const double *)c->data)[i]);
    case SL_BYTES: {
        const sl_str *s = &((const sl_str *)c->data)[i];
        if (s->len > INT32_MAX) return SQLITE_TOOBIG;
        return sqlite3_bind_text(st, k, s->len ? s->ptr : "", (int)s->len, SQLITE_STATIC);
    }
    }
    return SQLITE_MISMATCH;
}

static const char *sql_type(const sl_coltype *t) {
    if (t->logical == SL_LOG_TIMESTAMP) return "TEXT";
    switch (t->type) {
    case SL_BOOL:
    case SL_I32:
    case SL_I64: return "INTEGER";
    case SL_F32:
    case SL_F64: return "REAL";
    default: return "TEXT";
    }
}

/* ------------------------------------------------------------------------ */
/* schema and statements                                                    */

static bool is_metric(const tb_def *t) { return t->kind == TB_HOURLY; }
/* bad_rows, late_events: each row also carries the owner of the run that
 * wrote it (hs_set_owner; '' without one), part of the key, so that rows of
 * different runs never collide and (owner, _input) names the row's input in
 * table `inputs` */
static bool is_quarantine(const tb_def *t) { return t->kind == TB_QUARANTINE; }

/* The CREATE TABLE of an hourly / quarantine table. */
static void create_sql(sl_buf *b, const tb_def *t) {
    const tb_col *c = t->cols;
    size_t n = t->ncols;
    sl_buf_printf(b, "CREATE TABLE IF NOT EXISTS \"%s\" (", t->name);
    for (size_t i = 0; i < n; i++)
        sl_buf_printf(b, "\"%s\" %s%s, ", c[i].name, sql_type(&c[i].type), c[i].nullable ? "" : " NOT NULL");
    if (is_metric(t)) sl_buf_puts(b, "\"final\" INTEGER NOT NULL CHECK (\"final\" IN (0, 1)), ");
    if (is_quarantine(t)) sl_buf_puts(b, "\"owner\" TEXT NOT NULL DEFAULT '', ");
    sl_buf_puts(b, "PRIMARY KEY (");
    for (size_t i = 0, k = 0; i < n; i++)
        if (c[i].key) sl_buf_printf(b, "%s\"%s\"", k++ ? ", " : "", c[i].name);
    if (is_quarantine(t)) sl_buf_puts(b, ", \"owner\"");
    /* metric rows are small and always looked up by key: cluster them by key */
    sl_buf_printf(b, "))%s;\n", is_metric(t) ? " WITHOUT ROWID" : "");
}

static void upsert_sql(sl_buf *b, const tb_def *t) {
    const tb_col *c = t->cols;
    size_t n = t->ncols;
    const char *name = t->name;
    sl_buf_printf(b, "INSERT INTO \"%s\" (", name);
    for (size_t i = 0; i < n; i++) sl_buf_printf(b, "%s\"%s\"", i ? ", " : "", c[i].name);
    if (is_metric(t)) sl_buf_puts(b, ", \"final\"");
    if (is_quarantine(t)) sl_buf_puts(b, ", \"owner\"");
    sl_buf_puts(b, ") VALUES (");
    for (size_t i = 0; i < n + is_metric(t) + is_quarantine(t); i++) sl_buf_printf(b, "%s?%zu", i ? ", " : "", i + 1);
    sl_buf_puts(b, ") ON CONFLICT (");
    for (size_t i = 0, k = 0; i < n; i++)
        if (c[i].key) sl_buf_printf(b, "%s\"%s\"", k++ ? ", " : "", c[i].name);
    if (is_quarantine(t)) sl_buf_puts(b, ", \"owner\"");
    sl_buf_puts(b, ") DO UPDATE SET ");
    for (size_t i = 0, k = 0; i < n; i++)
        if (!c[i].key) sl_buf_printf(b, "%s\"%s\" = excluded.\"%s\"", k++ ? ", " : "", c[i].name, c[i].name);
    if (is_metric(t))
        sl_buf_printf(b, ", \"final\" = excluded.\"final\" WHERE \"%s\".\"final\" = 0 OR excluded.\"final\" = 1", name);
}

/* The events table: the schema's columns (the event time NOT NULL), source,
 * _input, _row (the key) and the event's hour; an index on the event time
 * for the retention prune. */
static void events_create_sql(sl_buf *b, const sc_schema *s, const char *name) {
    sl_buf_printf(b, "CREATE TABLE IF NOT EXISTS \"%s\" (", name);
    for (size_t i = 0; i < s->ncols; i++)
        sl_buf_printf(b, "\"%s\" %s%s, ", s->cols[i].name, sql_type(&s->cols[i].type), (int)i == s->time ? " NOT NULL" : "");
    sl_buf_puts(b, "\"source\" TEXT NOT NULL, \"_input\" INTEGER NOT NULL, \"_row\" INTEGER NOT NULL, "
                   "\"hour\" TEXT NOT NULL, PRIMARY KEY (\"source\", \"_input\", \"_row\"));\n");
    sl_buf_printf(b, "CREATE INDEX IF NOT EXISTS \"%s_%s\" ON \"%s\" (\"%s\");\n", name,
                  !strcmp(s->cols[s->time].name, "arrival_timestamp") ? "arrival" : "time", name, s->cols[s->time].name);
}

static void events_upsert_sql(sl_buf *b, const sc_schema *s, const char *name) {
    int nb = s->row + 2; /* the schema's columns, source, _input, _row, hour */
    sl_buf_printf(b, "INSERT INTO \"%s\" (", name);
    for (int i = 0; i < nb; i++) sl_buf_printf(b, "%s\"%s\"", i ? ", " : "", i == nb - 1 ? "hour" : sc_col_name(s, i));
    sl_buf_puts(b, ") VALUES (");
    for (int i = 0; i < nb; i++) sl_buf_printf(b, "%s?%d", i ? ", " : "", i + 1);
    sl_buf_puts(b, ") ON CONFLICT (\"source\", \"_input\", \"_row\") DO UPDATE SET ");
    for (int i = 0, k = 0; i < nb; i++) {
        if (i == s->source || i == s->input || i == s->row) continue;
        const char *nm = i == nb - 1 ? "hour" : sc_col_name(s, i);
        sl_buf_printf(b, "%s\"%s\" = excluded.\"%s\"", k++ ? ", " : "", nm, nm);
    }
}

static const char SCHEMA_FIXED[] =
    "CREATE TABLE IF NOT EXISTS \"pipeline_health\" (\"name\" TEXT PRIMARY KEY, \"value\" REAL, "
    "\"updated_at\" TEXT NOT NULL) WITHOUT ROWID;\n"
    /* a few health series sampled at every health commit (hs_write_health) */
    "CREATE TABLE IF NOT EXISTS \"health_history\" (\"ts\" TEXT NOT NULL, \"name\" TEXT NOT NULL, \"value\" REAL);\n"
    "CREATE INDEX IF NOT EXISTS \"health_history_ts\" ON \"health_history\" (\"ts\");\n"
    "CREATE TABLE IF NOT EXISTS \"schema_version\" (\"version\" INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS \"store_meta\" (\"key\" TEXT PRIMARY KEY, \"value\" TEXT) WITHOUT ROWID;\n"
    /* the ledger of composed runs (docs/compose.md); rowid tables: their rows
     * are large blobs, which WITHOUT ROWID b-trees store badly */
    "CREATE TABLE IF NOT EXISTS \"contributions\" (\"hour\" TEXT NOT NULL, \"owner\" TEXT NOT NULL, "
    "\"state\" BLOB NOT NULL, \"updated_at\" TEXT NOT NULL, PRIMARY KEY (\"hour\", \"owner\"));\n"
    "CREATE TABLE IF NOT EXISTS \"owners\" (\"owner\" TEXT PRIMARY KEY, \"description\" TEXT NOT NULL, "
    "\"first_run\" TEXT NOT NULL, \"last_run\" TEXT NOT NULL) WITHOUT ROWID;\n"
    /* the event-time range of each owner whose last run finished (NULL: open) */
    "CREATE TABLE IF NOT EXISTS \"coverage\" (\"owner\" TEXT PRIMARY KEY, \"from_us\" INTEGER, \"to_us\" INTEGER, "
    "\"finished_at\" TEXT NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS \"checkpoints\" (\"owner\" TEXT PRIMARY KEY, \"state\" BLOB NOT NULL, "
    "\"rows\" INTEGER NOT NULL, \"updated_at\" TEXT NOT NULL);\n"
    /* each owner's inputs by their _input number (hs_write_inputs) */
    "CREATE TABLE IF NOT EXISTS \"inputs\" (\"owner\" TEXT NOT NULL, \"input\" INTEGER NOT NULL, "
    "\"path\" TEXT NOT NULL, \"source\" TEXT NOT NULL, \"format\" TEXT, PRIMARY KEY (\"owner\", \"input\")) "
    "WITHOUT ROWID;\n";

static sl_err exec(hs *h, const char *sql, const char *what, char *err, size_t errlen);

static const tb_def *events_def(const hs *h) {
    for (size_t t = 0; t < h->tables->n; t++)
        if (h->tables->v[t]->kind == TB_EVENTS) return h->tables->v[t];
    return NULL;
}

/* The schema the store holds: recorded on creation, checked on open. */
static sl_err check_meta(hs *h, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db, "SELECT \"value\" FROM \"store_meta\" WHERE \"key\" = 'schema'", -1, &st, NULL);
    if (rc != SQLITE_OK) return db_fail(h->path, h->db, rc, err, errlen, "reading store_meta");
    rc = sqlite3_step(st);
    sl_err e = SL_OK;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (!v || strcmp(v, h->s->name))
            e = sl_err_set(err, errlen, SL_ERR_ARG,
                           "hot store %s holds the tables of schema '%s'; this pipeline writes schema '%s' (use another "
                           "file)",
                           h->path, v ? v : "?", h->s->name);
        sqlite3_finalize(st);
        return e;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(h->path, h->db, rc, err, errlen, "reading store_meta");
    /* a store made before store_meta existed holds Redset's tables */
    bool had_tables = false;
    rc = sqlite3_prepare_v2(h->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'query_hourly'", -1, &st, NULL);
    if (rc == SQLITE_OK) had_tables = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    if (had_tables && strcmp(h->s->name, "redset"))
        return sl_err_set(err, errlen, SL_ERR_ARG,
                          "hot store %s holds the tables of schema 'redset'; this pipeline writes schema '%s' (use another "
                          "file)",
                          h->path, h->s->name);
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO \"store_meta\" VALUES ('schema', '%s')", h->s->name);
    return exec(h, sql, "writing store_meta", err, errlen);
}

static sl_err prep(hs *h, sqlite3_stmt **st, const char *sql, char *err, size_t errlen) {
    int rc = sqlite3_prepare_v3(h->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    if (rc != SQLITE_OK) return db_fail(h->path, h->db, rc, err, errlen, "preparing statement");
    return SL_OK;
}

static sl_err exec(hs *h, const char *sql, const char *what, char *err, size_t errlen) {
    int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) return db_fail(h->path, h->db, rc, err, errlen, what);
    return SL_OK;
}

/* Run a statement without results; reset it. */
static int run(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    int rc2 = sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc2 != SQLITE_OK ? rc2 : rc;
}

/* Does table t have column col? */
static int has_column(hs *h, const char *t, const char *col, bool *yes) {
    sqlite3_stmt *st = NULL;
    *yes = false;
    int rc = sqlite3_prepare_v2(h->db, "SELECT 1 FROM pragma_table_info(?1) WHERE \"name\" = ?2", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 2, col, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *yes = true;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Version 1 -> 2, inside create_schema's transaction: the quarantine tables
 * get the `owner` column, in their key, so they are rebuilt (a key cannot be
 * altered): renamed, created anew, their rows copied in rowid order with
 * owner '' (written before runs recorded their inputs: the input file is
 * unknown), the old table dropped.  The inputs table was created with the
 * fixed tables. */
static sl_err migrate_v1(hs *h, char *err, size_t errlen) {
    sl_buf b;
    sl_buf_init(&b);
    sl_err e = SL_OK;
    for (size_t t = 0; t < h->tables->n && e == SL_OK; t++) {
        const tb_def *d = h->tables->v[t];
        if (!is_quarantine(d)) continue;
        bool has = false;
        int rc = has_column(h, d->name, "owner", &has);
        if (rc != SQLITE_OK) {
            e = db_fail(h->path, h->db, rc, err, errlen, "migrating to schema version 2");
            break;
        }
        if (has) continue; /* created by this open */
        b.len = 0;
        sl_buf_printf(&b, "ALTER TABLE \"%s\" RENAME TO \"%s__v1\";\n", d->name, d->name);
        create_sql(&b, d);
        sl_buf_printf(&b, "INSERT INTO \"%s\" (", d->name);
        for (size_t i = 0; i < d->ncols; i++) sl_buf_printf(&b, "\"%s\", ", d->cols[i].name);
        /* qualified: a missing column is an error, not SQLite's string literal */
        sl_buf_puts(&b, "\"owner\") SELECT ");
        for (size_t i = 0; i < d->ncols; i++) sl_buf_printf(&b, "o.\"%s\", ", d->cols[i].name);
        sl_buf_printf(&b, "'' FROM \"%s__v1\" AS o ORDER BY o.rowid;\n", d->name);
        sl_buf_printf(&b, "DROP TABLE \"%s__v1\";\n", d->name);
        if (b.oom) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "hot store %s: out of memory", h->path);
        else {
            char what[160];
            snprintf(what, sizeof what, "migrating %s to schema version 2", d->name);
            e = exec(h, sl_buf_cstr(&b), what, err, errlen);
        }
    }
    sl_buf_free(&b);
    if (e == SL_OK) {
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE \"schema_version\" SET \"version\" = %d", HS_SCHEMA_VERSION);
        e = exec(h, sql, "writing schema_version", err, errlen);
    }
    return e;
}

static sl_err create_schema(hs *h, char *err, size_t errlen) {
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_puts(&b, "BEGIN IMMEDIATE;\n");
    sl_buf_puts(&b, SCHEMA_FIXED);
    if (b.oom) {
        sl_buf_free(&b);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "hot store %s: out of memory", h->path);
    }
    sl_err e = exec(h, sl_buf_cstr(&b), "creating the schema", err, errlen);
    if (e == SL_OK) e = check_meta(h, err, errlen);
    if (e == SL_OK) {
        b.len = 0;
        for (size_t t = 0; t < h->tables->n; t++) {
            const tb_def *d = h->tables->v[t];
            if (d->kind == TB_EVENTS) events_create_sql(&b, h->s, d->name);
            else create_sql(&b, d);
        }
        e = b.oom ? sl_err_set(err, errlen, SL_ERR_NOMEM, "hot store %s: out of memory", h->path)
                  : exec(h, sl_buf_cstr(&b), "creating the schema", err, errlen);
    }
    sl_buf_free(&b);
    if (e != SL_OK) goto fail;

    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db, "SELECT \"version\" FROM \"schema_version\"", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        e = db_fail(h->path, h->db, rc, err, errlen, "reading schema_version");
        goto fail;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (v == 1) { /* an older store: migrated in this transaction */
            if ((e = migrate_v1(h, err, errlen)) != SL_OK) goto fail;
            v = HS_SCHEMA_VERSION;
        }
        if (v != HS_SCHEMA_VERSION) {
            e = sl_err_set(err, errlen, SL_ERR_UNSUPPORTED,
                           "hot store %s: schema version %" PRId64 ", this sluice reads and writes version %d", h->path,
                           v, HS_SCHEMA_VERSION);
            goto fail;
        }
    } else {
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            e = db_fail(h->path, h->db, rc, err, errlen, "reading schema_version");
            goto fail;
        }
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO \"schema_version\" VALUES (%d)", HS_SCHEMA_VERSION);
        if ((e = exec(h, sql, "writing schema_version", err, errlen)) != SL_OK) goto fail;
    }
    return exec(h, "COMMIT", "creating the schema", err, errlen);
fail:
    if (!sqlite3_get_autocommit(h->db)) sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return e;
}

static sl_err prepare_all(hs *h, char *err, size_t errlen) {
    sl_buf b;
    sl_buf_init(&b);
    sl_err e = SL_OK;
    for (size_t t = 0; t < h->tables->n && e == SL_OK; t++) {
        const tb_def *d = h->tables->v[t];
        if (d->kind == TB_EVENTS) continue;
        b.len = 0;
        upsert_sql(&b, d);
        e = b.oom ? SL_ERR_NOMEM : prep(h, &h->ins[t], sl_buf_cstr(&b), err, errlen);
        if (e != SL_OK || !is_metric(d)) continue;
        b.len = 0;
        sl_buf_printf(&b, "DELETE FROM \"%s\" WHERE \"hour\" = ?1 AND \"final\" = 0", d->name);
        e = b.oom ? SL_ERR_NOMEM : prep(h, &h->del_prov[t], sl_buf_cstr(&b), err, errlen);
    }
    const tb_def *ev = events_def(h);
    if (e == SL_OK) {
        b.len = 0;
        events_upsert_sql(&b, h->s, ev ? ev->name : "events");
        e = b.oom ? SL_ERR_NOMEM : prep(h, &h->ins_events, sl_buf_cstr(&b), err, errlen);
    }
    char prune[256];
    snprintf(prune, sizeof prune, "DELETE FROM \"%s\" WHERE \"%s\" < ?1", ev ? ev->name : "events",
             h->s->cols[h->s->time].name);
    if (e == SL_OK) e = prep(h, &h->prune, prune, err, errlen);
    sl_buf_free(&b);
    if (e == SL_ERR_NOMEM && err && !*err) sl_err_set(err, errlen, e, "hot store %s: out of memory", h->path);
    if (e != SL_OK) return e;
    static const struct {
        size_t off;
        const char *sql;
    } fixed[] = {
        {offsetof(hs, ins_health),
         "INSERT INTO \"pipeline_health\" (\"name\", \"value\", \"updated_at\") VALUES (?1, ?2, ?3) "
         "ON CONFLICT (\"name\") DO UPDATE SET \"value\" = excluded.\"value\", \"updated_at\" = excluded.\"updated_at\""},
        {offsetof(hs, ins_hist), "INSERT INTO \"health_history\" (\"ts\", \"name\", \"value\") VALUES (?1, ?2, ?3)"},
        {offsetof(hs, prune_hist), "DELETE FROM \"health_history\" WHERE \"ts\" < ?1"},
        {offsetof(hs, ins_contrib),
         "INSERT INTO \"contributions\" (\"hour\", \"owner\", \"state\", \"updated_at\") VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (\"hour\", \"owner\") DO UPDATE SET \"state\" = excluded.\"state\", "
         "\"updated_at\" = excluded.\"updated_at\""},
        {offsetof(hs, begin), "BEGIN IMMEDIATE"},
        {offsetof(hs, commit), "COMMIT"},
        {offsetof(hs, rollback), "ROLLBACK"},
        {offsetof(hs, sp), "SAVEPOINT hs_write"},
        {offsetof(hs, sp_release), "RELEASE hs_write"},
        {offsetof(hs, sp_rollback), "ROLLBACK TO hs_write"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if ((e = prep(h, (sqlite3_stmt **)((char *)h + fixed[i].off), fixed[i].sql, err, errlen)) != SL_OK) return e;
    return SL_OK;
}

static void free_handle(hs *h) {
    if (!h) return;
    for (size_t t = 0; h->tables && t < h->tables->n; t++) {
        if (h->ins) sqlite3_finalize(h->ins[t]);
        if (h->del_prov) sqlite3_finalize(h->del_prov[t]);
    }
    free(h->ins);
    free(h->del_prov);
    sqlite3_stmt *fixed[] = {h->ins_events, h->ins_health, h->prune,      h->begin,       h->commit,
                             h->rollback,   h->sp,         h->sp_release, h->sp_rollback, h->ins_contrib,
                             h->ins_hist,   h->prune_hist};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) sqlite3_finalize(fixed[i]);
    sqlite3_close_v2(h->db);
    free(h->path);
    free(h->owner);
    free(h);
}

sl_err hs_open(hs **out, const char *path, const hs_opts *o, const sc_schema *s, const tb_list *tables, char *err,
               size_t errlen) {
    *out = NULL;
    hs_opts opts = o ? *o : hs_opts_default();
    if (!path || !*path) return sl_err_set(err, errlen, SL_ERR_ARG, "hot store: empty path");
    if (opts.retention_hours < 1)
        return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: retention_hours must be >= 1, got %d", path,
                          opts.retention_hours);
    hs *h = calloc(1, sizeof *h);
    if (!h || !(h->path = strdup(path))) {
        free(h);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "hot store %s: out of memory", path);
    }
    h->o = opts;
    h->s = s;
    h->tables = tables;
    h->evc_hour = s->row + 1;
    h->newest_us = h->pruned_at_us = INT64_MIN;
    h->ins = calloc(tables->n ? tables->n : 1, sizeof *h->ins);
    h->del_prov = calloc(tables->n ? tables->n : 1, sizeof *h->del_prov);
    if (!h->ins || !h->del_prov) {
        free_handle(h);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "hot store %s: out of memory", path);
    }

    int rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sl_err e = open_fail(path, h->db, rc, err, errlen);
        free_handle(h);
        return e;
    }
    sqlite3_extended_result_codes(h->db, 1);
    sqlite3_busy_timeout(h->db, HS_BUSY_TIMEOUT_MS);

    /* A database with tables but without sluice's schema_version is someone
     * else's: refuse it before changing anything in it (not even its journal
     * mode). */
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(h->db,
                            "SELECT count(*), count(*) FILTER (WHERE name = 'schema_version'), "
                            "group_concat(name, ', ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
                            "AND name NOT LIKE 'sqlite_%' ORDER BY name)",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sl_err e = open_fail(path, h->db, rc, err, errlen);
        sqlite3_finalize(st);
        free_handle(h);
        return e;
    }
    if (sqlite3_column_int64(st, 0) > 0 && sqlite3_column_int64(st, 1) == 0) {
        sl_buf names;
        sl_buf_init(&names);
        const unsigned char *tn = sqlite3_column_text(st, 2);
        size_t tl = tn ? strlen((const char *)tn) : 0;
        sl_buf_put_escaped(&names, tn ? (const char *)tn : "", tl > 120 ? 120 : tl);
        if (tl > 120) sl_buf_puts(&names, "...");
        sl_err e = sl_err_set(err, errlen, SL_ERR_UNSUPPORTED,
                              "hot store %s is not a sluice store: it holds other tables (%s) and no schema_version; "
                              "sluice will not add its tables to it (use another file)",
                              path, sl_buf_cstr(&names));
        sl_buf_free(&names);
        sqlite3_finalize(st);
        free_handle(h);
        return e;
    }
    sqlite3_finalize(st);
    st = NULL;

    /* journal_mode answers with the mode in effect: it stays "delete" (or
     * whatever) when WAL is impossible, e.g. on a file system without shared
     * memory; readers would then block the writer, so refuse. */
    rc = sqlite3_prepare_v2(h->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sl_err e = open_fail(path, h->db, rc, err, errlen);
        sqlite3_finalize(st);
        free_handle(h);
        return e;
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    if (!mode || strcmp(mode, "wal") != 0) {
        sl_err e = sl_err_set(err, errlen, SL_ERR_IO, "hot store %s: cannot switch to WAL mode (journal_mode is %s)",
                              path, mode ? mode : "unknown");
        sqlite3_finalize(st);
        free_handle(h);
        return e;
    }
    sqlite3_finalize(st);

    sl_err e = exec(h,
                    "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768; PRAGMA journal_size_limit=67108864; "
                    "PRAGMA temp_store=MEMORY",
                    "setting pragmas", err, errlen);
    if (e == SL_OK) e = create_schema(h, err, errlen);
    if (e == SL_OK) e = prepare_all(h, err, errlen);
    if (e != SL_OK) {
        free_handle(h);
        return e;
    }
    *out = h;
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* transactions                                                             */

static sl_err tx_begin(hs *h, char *err, size_t errlen) {
    if (h->in_tx) return SL_OK;
    int rc = run(h->begin);
    if (rc != SQLITE_OK) return db_fail(h->path, h->db, rc, err, errlen, "begin transaction");
    h->in_tx = true;
    return SL_OK;
}

/* Every write call: tx_begin + savepoint ... call_end. */
static sl_err call_begin(hs *h, char *err, size_t errlen) {
    sl_err e = tx_begin(h, err, errlen);
    if (e != SL_OK) return e;
    int rc = run(h->sp);
    if (rc != SQLITE_OK) return db_fail(h->path, h->db, rc, err, errlen, "savepoint");
    return SL_OK;
}

static sl_err call_end(hs *h, sl_err e, char *err, size_t errlen) {
    if (e != SL_OK) {
        run(h->sp_rollback); /* undo this call only */
        run(h->sp_release);
        if (sqlite3_get_autocommit(h->db)) h->in_tx = false; /* sqlite rolled the transaction back itself */
        return e;
    }
    int rc = run(h->sp_release);
    if (rc != SQLITE_OK) return db_fail(h->path, h->db, rc, err, errlen, "release savepoint");
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* writes                                                                   */

static sl_err check_batch(hs *h, const tb_def *t, const sl_batch *rows, char *err, size_t errlen) {
    size_t n = t->ncols;
    const tb_col *c = t->cols;
    if (rows->ncols != n)
        return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: %s: batch has %zu columns, expected %zu", h->path,
                          t->name, rows->ncols, n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows->cols[i].name, c[i].name) != 0 || rows->cols[i].t.type != c[i].type.type)
            return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: %s: batch column %zu is '%s', expected '%s'",
                              h->path, t->name, i, rows->cols[i].name, c[i].name);
    return SL_OK;
}

static sl_err row_fail(hs *h, int rc, bool bad_ts, const char *table, size_t row, const char *col, char *err,
                       size_t errlen) {
    if (bad_ts)
        return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: %s row %zu: %s: timestamp outside years 0000-9999",
                          h->path, table, row, col);
    char what[160];
    snprintf(what, sizeof what, "%s row %zu", table, row);
    return db_fail(h->path, h->db, rc, err, errlen, what);
}

sl_err hs_write_rows(hs *h, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen) {
    (void)hour_us; /* every row carries its own hour */
    if (table >= h->tables->n || !h->ins[table])
        return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: table %zu is not an hourly or quarantine table", h->path,
                          table);
    const tb_def *t = h->tables->v[table];
    sl_err e = check_batch(h, t, rows, err, errlen);
    if (e != SL_OK || rows->nrows == 0) return e;
    if ((e = call_begin(h, err, errlen)) != SL_OK) return e;
    sqlite3_stmt *st = h->ins[table];
    const tb_col *defs = t->cols;
    size_t n = rows->ncols, hour_col = n;
    for (size_t c = 0; c < n; c++)
        if (strcmp(defs[c].name, "hour") == 0) hour_col = c;
    for (size_t r = 0; r < rows->nrows && e == SL_OK; r++) {
        int rc = SQLITE_OK;
        bool bad_ts = false;
        size_t c = 0;
        for (; c < n && rc == SQLITE_OK; c++)
            rc = bind_value(h, st, (int)c + 1, &rows->cols[c], r, c == hour_col, &bad_ts);
        if (rc == SQLITE_OK && is_metric(t)) rc = sqlite3_bind_int(st, (int)n + 1, final ? 1 : 0);
        if (rc == SQLITE_OK && is_quarantine(t))
            rc = sqlite3_bind_text(st, (int)n + 1, h->owner ? h->owner : "", -1, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = run(st);
        if (rc != SQLITE_OK) e = row_fail(h, rc, bad_ts, t->name, r, c ? defs[c - 1].name : "", err, errlen);
    }
    return call_end(h, e, err, errlen);
}

static sl_err check_events(hs *h, const sl_batch *b, char *err, size_t errlen) {
    const sc_schema *s = h->s;
    if (b->ncols <= (size_t)s->row)
        return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: events: batch has %zu columns, expected %zu", h->path,
                          b->ncols, s->nall);
    for (int i = 0; i <= s->row; i++) {
        const sl_coltype *t = sc_col_type(s, i);
        if (strcmp(b->cols[i].name, sc_col_name(s, i)) != 0 || b->cols[i].t.type != t->type ||
            b->cols[i].t.logical != t->logical)
            return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: events: batch column %d is '%s', expected '%s'",
                              h->path, i, b->cols[i].name, sc_col_name(s, i));
    }
    return SL_OK;
}

sl_err hs_write_events(hs *h, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen) {
    if (!h->o.keep_events || n == 0) return SL_OK;
    sl_err e = check_events(h, b, err, errlen);
    if (e != SL_OK) return e;
    if ((e = call_begin(h, err, errlen)) != SL_OK) return e;
    sqlite3_stmt *st = h->ins_events;
    const sc_schema *s = h->s;
    const sl_col *arr = &b->cols[s->time];
    int64_t newest = h->newest_us;
    for (size_t k = 0; k < n && e == SL_OK; k++) {
        size_t r = idx[k];
        if (r >= b->nrows) {
            e = sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: events: index %zu is row %zu of a batch of %zu",
                           h->path, k, r, b->nrows);
            break;
        }
        if (sl_col_is_null(arr, r)) {
            e = sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: events row %zu: NULL %s", h->path, r,
                           s->cols[s->time].name);
            break;
        }
        int rc = SQLITE_OK;
        bool bad_ts = false;
        int c = 0;
        for (; c <= s->row && rc == SQLITE_OK; c++) rc = bind_value(h, st, c + 1, &b->cols[c], r, false, &bad_ts);
        int64_t us = to_micros(((const int64_t *)arr->data)[r], arr->t.unit);
        if (rc == SQLITE_OK) {
            /* arrival rendered fine above, so its hour does too */
            fmt_ts(h->tsbuf[h->evc_hour + 1], sl_hour_floor(us), false);
            rc = sqlite3_bind_text(st, h->evc_hour + 1, h->tsbuf[h->evc_hour + 1], 19, SQLITE_STATIC);
        }
        if (rc == SQLITE_OK) rc = run(st);
        if (rc != SQLITE_OK) {
            e = row_fail(h, rc, bad_ts, "events", r, c ? sc_col_name(s, c - 1) : "", err, errlen);
            break;
        }
        if (us > newest) newest = us;
    }
    e = call_end(h, e, err, errlen);
    if (e == SL_OK) h->newest_us = newest;
    return e;
}

static void now_text(char out[32]) { fmt_ts(out, sl_now_us(), true); }

/* The health series kept in health_history (hot.h): exact names, or a
 * family whose labelled rows are all kept (name ends with '{'). */
static const char *const k_history[] = {"sluice_events_per_second", "sluice_replay_lag_seconds",
                                        "sluice_sink_queue_wait_seconds_total{", "sluice_sink_write_max_seconds{"};

static bool in_history(const char *name) {
    for (size_t i = 0; i < sizeof k_history / sizeof *k_history; i++) {
        size_t n = strlen(k_history[i]);
        if (k_history[i][n - 1] == '{' ? !strncmp(name, k_history[i], n) : !strcmp(name, k_history[i])) return true;
    }
    return false;
}

sl_err hs_write_health(hs *h, const char *const *names, const double *values, size_t n, char *err, size_t errlen) {
    if (n == 0) return SL_OK;
    sl_err e = call_begin(h, err, errlen);
    if (e != SL_OK) return e;
    char now[32];
    now_text(now);
    sqlite3_stmt *st = h->ins_health;
    for (size_t i = 0; i < n && e == SL_OK; i++) {
        if (!names[i]) {
            e = sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: pipeline_health: name %zu is NULL", h->path, i);
            break;
        }
        int rc = sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
        /* sqlite stores NaN as NULL: an undefined value reads as NULL */
        if (rc == SQLITE_OK) rc = sqlite3_bind_double(st, 2, values[i]);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 3, now, 26, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = run(st);
        if (rc != SQLITE_OK) e = row_fail(h, rc, false, "pipeline_health", i, names[i], err, errlen);
        if (e != SL_OK || !in_history(names[i])) continue;
        sqlite3_stmt *hi = h->ins_hist;
        rc = sqlite3_bind_text(hi, 1, now, 26, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(hi, 2, names[i], -1, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_bind_double(hi, 3, values[i]);
        if (rc == SQLITE_OK) rc = run(hi);
        if (rc != SQLITE_OK) e = row_fail(h, rc, false, "health_history", i, names[i], err, errlen);
    }
    /* the history keeps the retention's hours of wall-clock time */
    char cut[32];
    if (e == SL_OK && fmt_ts(cut, sl_now_us() - (int64_t)h->o.retention_hours * SL_US_PER_HOUR, true)) {
        int rc = sqlite3_bind_text(h->prune_hist, 1, cut, 26, SQLITE_TRANSIENT);
        if (rc == SQLITE_OK) rc = run(h->prune_hist);
        if (rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, "pruning health_history");
    }
    return call_end(h, e, err, errlen);
}

/* ------------------------------------------------------------------------ */
/* the ledger (docs/compose.md)                                             */

sl_err hs_set_owner(hs *h, const char *owner, const char *description, int64_t from_us, int64_t to_us, char *err,
                    size_t errlen) {
    h->span_from = from_us;
    h->span_to = to_us;
    free(h->owner);
    if (!(h->owner = strdup(owner))) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    char now[32];
    now_text(now);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db,
                                "INSERT INTO \"owners\" VALUES (?1, ?2, ?3, ?3) ON CONFLICT (\"owner\") DO UPDATE SET "
                                "\"description\" = excluded.\"description\", \"last_run\" = excluded.\"last_run\"",
                                -1, &st, NULL);
    sl_err e = call_begin(h, err, errlen);
    if (e == SL_OK) {
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 2, description, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 3, now, 26, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = run(st);
        if (rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, "owners");
        e = call_end(h, e, err, errlen);
    }
    sqlite3_finalize(st);
    return e;
}

/* The owner's recorded inputs, by number: path and source of each, NULL
 * where a number has none.  *n = 1 + the largest number. */
typedef struct old_input {
    char *path, *source;
    int64_t to; /* its number in the new list; -1: none */
} old_input;

static void old_free(old_input *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(v[i].path);
        free(v[i].source);
    }
    free(v);
}

static sl_err old_inputs(hs *h, old_input **out, size_t *nout, char *err, size_t errlen) {
    *out = NULL;
    *nout = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db,
                                "SELECT \"input\", \"path\", \"source\" FROM \"inputs\" WHERE \"owner\" = ?1 AND "
                                "\"input\" >= 0 AND \"input\" < 2147483648 ORDER BY \"input\"",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, h->owner, -1, SQLITE_STATIC);
    old_input *v = NULL;
    size_t n = 0;
    sl_err e = SL_OK;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = SQLITE_OK;
        size_t k = (size_t)sqlite3_column_int64(st, 0);
        const char *p = (const char *)sqlite3_column_text(st, 1), *s = (const char *)sqlite3_column_text(st, 2);
        old_input *nv = realloc(v, (k + 1) * sizeof *nv);
        if (!nv) {
            e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            break;
        }
        v = nv;
        for (; n <= k; n++) v[n] = (old_input){NULL, NULL, -1};
        if (!(v[k].path = strdup(p ? p : "")) || !(v[k].source = strdup(s ? s : ""))) {
            e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            break;
        }
    }
    if (e == SL_OK && rc != SQLITE_DONE && rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, "inputs");
    sqlite3_finalize(st);
    if (e != SL_OK) {
        old_free(v, n);
        return e;
    }
    *out = v;
    *nout = n;
    return SL_OK;
}

/* Renumber the owner's quarantine rows from old number i to old[i].to: through
 * negative numbers (-1 - new), which no input has, so a swap never meets a
 * row of itself in the key. */
static sl_err renumber(hs *h, const old_input *old, size_t n, char *err, size_t errlen) {
    sl_err e = SL_OK;
    for (size_t t = 0; t < h->tables->n && e == SL_OK; t++) {
        const tb_def *d = h->tables->v[t];
        if (!is_quarantine(d) || tb_find(d, "_input") < 0) continue;
        char sql[256];
        sqlite3_stmt *st = NULL;
        snprintf(sql, sizeof sql, "UPDATE \"%s\" SET \"_input\" = ?3 WHERE \"owner\" = ?1 AND \"_input\" = ?2",
                 d->name);
        int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
        for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
            if (old[i].to < 0 || old[i].to == (int64_t)i) continue;
            rc = sqlite3_bind_text(st, 1, h->owner, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
            if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 3, -1 - old[i].to);
            if (rc == SQLITE_OK) rc = run(st);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc == SQLITE_OK) {
            snprintf(sql, sizeof sql,
                     "UPDATE \"%s\" SET \"_input\" = -1 - \"_input\" WHERE \"owner\" = ?1 AND \"_input\" < 0",
                     d->name);
            rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
            if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, h->owner, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK) rc = run(st);
            sqlite3_finalize(st);
        }
        if (rc != SQLITE_OK) {
            char what[160];
            snprintf(what, sizeof what, "%s: renumbering the inputs of owner %s", d->name, h->owner);
            e = db_fail(h->path, h->db, rc, err, errlen, what);
        }
    }
    return e;
}

sl_err hs_write_inputs(hs *h, const hs_input *v, size_t n, char *err, size_t errlen) {
    if (!h->owner) return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: inputs without an owner", h->path);
    for (size_t i = 0; i < n; i++)
        if (!v[i].path || !v[i].source)
            return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: input %zu without a path or source", h->path, i);
    sl_err e = call_begin(h, err, errlen);
    if (e != SL_OK) return e;
    old_input *old = NULL;
    size_t nold = 0;
    e = old_inputs(h, &old, &nold, err, errlen);
    /* match each old number to the new one of the same path and source */
    bool moved = false;
    if (e == SL_OK && nold) {
        bool *used = calloc(n ? n : 1, sizeof *used);
        if (!used) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < nold && e == SL_OK; i++) {
            if (!old[i].path) continue;
            if (i < n && !used[i] && !strcmp(old[i].path, v[i].path) && !strcmp(old[i].source, v[i].source)) {
                old[i].to = (int64_t)i; /* same place: usual case */
                used[i] = true;
            }
        }
        for (size_t i = 0; i < nold && e == SL_OK; i++) {
            if (!old[i].path || old[i].to >= 0) continue;
            for (size_t j = 0; j < n; j++)
                if (!used[j] && !strcmp(old[i].path, v[j].path) && !strcmp(old[i].source, v[j].source)) {
                    old[i].to = (int64_t)j;
                    used[j] = moved = true;
                    break;
                }
        }
        free(used);
    }
    if (e == SL_OK && moved) e = renumber(h, old, nold, err, errlen);
    old_free(old, nold);
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_OK;
    if (e == SL_OK) {
        rc = sqlite3_prepare_v2(h->db, "DELETE FROM \"inputs\" WHERE \"owner\" = ?1", -1, &st, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, h->owner, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = run(st);
        sqlite3_finalize(st);
        st = NULL;
        if (rc == SQLITE_OK)
            rc = sqlite3_prepare_v2(h->db, "INSERT INTO \"inputs\" VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL);
        for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
            rc = sqlite3_bind_text(st, 1, h->owner, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
            if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 3, v[i].path, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 4, v[i].source, -1, SQLITE_STATIC);
            if (rc == SQLITE_OK)
                rc = v[i].format ? sqlite3_bind_text(st, 5, v[i].format, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 5);
            if (rc == SQLITE_OK) rc = run(st);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, "inputs");
    }
    return call_end(h, e, err, errlen);
}

sl_err hs_write_contribution(hs *h, int64_t hour_us, const void *p, size_t len, char *err, size_t errlen) {
    char hour[32], now[32];
    if (!h->owner) return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: contribution without an owner", h->path);
    if (!fmt_ts(hour, hour_us, false))
        return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: contribution: hour outside years 0000-9999", h->path);
    now_text(now);
    sl_err e = call_begin(h, err, errlen);
    if (e != SL_OK) return e;
    sqlite3_stmt *st = h->ins_contrib;
    int rc = sqlite3_bind_text(st, 1, hour, 19, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 2, h->owner, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(st, 3, p, len, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 4, now, 26, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = run(st);
    if (rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, "contributions");
    return call_end(h, e, err, errlen);
}

sl_err hs_write_checkpoint(hs *h, const void *p, size_t len, uint64_t rows, char *err, size_t errlen) {
    if (!h->owner) return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: checkpoint without an owner", h->path);
    char now[32];
    now_text(now);
    sl_err e = call_begin(h, err, errlen);
    if (e != SL_OK) return e;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db,
                                len ? "INSERT INTO \"checkpoints\" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (\"owner\") DO UPDATE "
                                      "SET \"state\" = excluded.\"state\", \"rows\" = excluded.\"rows\", "
                                      "\"updated_at\" = excluded.\"updated_at\""
                                    : "DELETE FROM \"checkpoints\" WHERE \"owner\" = ?1",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, h->owner, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && len) rc = sqlite3_bind_blob64(st, 2, p, len, SQLITE_STATIC);
    if (rc == SQLITE_OK && len) rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)rows);
    if (rc == SQLITE_OK && len) rc = sqlite3_bind_text(st, 4, now, 26, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = run(st);
    if (rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, "checkpoints");
    sqlite3_finalize(st);
    st = NULL;
    if (e == SL_OK && !len) { /* finished: its range is covered from now on */
        rc = sqlite3_prepare_v2(h->db,
                                "INSERT INTO \"coverage\" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (\"owner\") DO UPDATE SET "
                                "\"from_us\" = excluded.\"from_us\", \"to_us\" = excluded.\"to_us\", "
                                "\"finished_at\" = excluded.\"finished_at\"",
                                -1, &st, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, h->owner, -1, SQLITE_STATIC);
        if (rc == SQLITE_OK)
            rc = h->span_from == INT64_MIN ? sqlite3_bind_null(st, 2) : sqlite3_bind_int64(st, 2, h->span_from);
        if (rc == SQLITE_OK)
            rc = h->span_to == INT64_MAX ? sqlite3_bind_null(st, 3) : sqlite3_bind_int64(st, 3, h->span_to);
        if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 4, now, 26, SQLITE_STATIC);
        if (rc == SQLITE_OK) rc = run(st);
        if (rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, "coverage");
        sqlite3_finalize(st);
    }
    return call_end(h, e, err, errlen);
}

struct hs_ledger {
    sqlite3 *db;
    sqlite3_stmt *sel, *cov, *hours;
    char *path, *owner;
};

sl_err hs_ledger_open(hs_ledger **out, const char *path, const char *owner, char *err, size_t errlen) {
    *out = NULL;
    hs_ledger *l = calloc(1, sizeof *l);
    if (!l || !(l->path = strdup(path)) || !(l->owner = strdup(owner))) {
        if (l) free(l->path);
        free(l);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    int rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(l->db, HS_BUSY_TIMEOUT_MS);
        rc = sqlite3_prepare_v2(l->db,
                                "SELECT \"state\" FROM \"contributions\" WHERE \"hour\" = ?1 AND \"owner\" <> ?2 "
                                "ORDER BY \"owner\"",
                                -1, &l->sel, NULL);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(l->db, "SELECT \"from_us\", \"to_us\" FROM \"coverage\" WHERE \"owner\" <> ?1", -1, &l->cov,
                                NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(l->db,
                                "SELECT DISTINCT \"hour\" FROM \"contributions\" AS c WHERE \"owner\" <> ?1 AND \"hour\" >= ?2 "
                                "AND \"hour\" < ?3 AND NOT EXISTS (SELECT 1 FROM \"contributions\" AS d WHERE d.\"hour\" = "
                                "c.\"hour\" AND d.\"owner\" = ?1) ORDER BY \"hour\"",
                                -1, &l->hours, NULL);
    if (rc != SQLITE_OK) {
        sl_err e = db_fail(path, l->db, rc, err, errlen, "opening the ledger");
        hs_ledger_close(l);
        return e;
    }
    *out = l;
    return SL_OK;
}

sl_err hs_ledger_load(hs_ledger *l, int64_t hour_us, hs_ledger_fn fn, void *ctx, char *err, size_t errlen) {
    char hour[32];
    if (!fmt_ts(hour, hour_us, false)) return SL_OK; /* no contribution can name it */
    sqlite3_stmt *st = l->sel;
    sqlite3_reset(st);
    int rc = sqlite3_bind_text(st, 1, hour, 19, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 2, l->owner, -1, SQLITE_STATIC);
    sl_err e = SL_OK;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if ((e = fn(ctx, p ? p : "", n, err, errlen)) != SL_OK) break;
        rc = SQLITE_OK;
    }
    if (e == SL_OK && rc != SQLITE_DONE && rc != SQLITE_OK) e = db_fail(l->path, l->db, rc, err, errlen, "contributions");
    sqlite3_reset(st); /* ends the read transaction */
    if (e != SL_OK) sl_err_prefix(err, errlen, "hot store %s: contributions of hour %s", l->path, hour);
    return e;
}

sl_err hs_ledger_checkpoint(hs_ledger *l, hs_ledger_fn fn, void *ctx, char *err, size_t errlen) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(l->db, "SELECT \"state\" FROM \"checkpoints\" WHERE \"owner\" = ?1", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 1, l->owner, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    sl_err e = SL_OK;
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 0);
        e = fn(ctx, p ? p : "", (size_t)sqlite3_column_bytes(st, 0), err, errlen);
    } else if (rc != SQLITE_DONE) {
        e = db_fail(l->path, l->db, rc, err, errlen, "checkpoints");
    }
    sqlite3_finalize(st);
    return e;
}

sl_err hs_ledger_coverage(hs_ledger *l, hs_span_fn fn, void *ctx, char *err, size_t errlen) {
    sqlite3_stmt *st = l->cov;
    sqlite3_reset(st);
    int rc = sqlite3_bind_text(st, 1, l->owner, -1, SQLITE_STATIC);
    sl_err e = SL_OK;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t lo = sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 0);
        int64_t hi = sqlite3_column_type(st, 1) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 1);
        if ((e = fn(ctx, lo, hi, err, errlen)) != SL_OK) break;
        rc = SQLITE_OK;
    }
    if (e == SL_OK && rc != SQLITE_DONE && rc != SQLITE_OK) e = db_fail(l->path, l->db, rc, err, errlen, "coverage");
    sqlite3_reset(st);
    return e;
}

sl_err hs_ledger_hours(hs_ledger *l, int64_t lo_us, int64_t hi_us, hs_hour_fn fn, void *ctx, char *err,
                       size_t errlen) {
    char lo[32] = "", hi[32] = "~";
    if (lo_us != INT64_MIN && !fmt_ts(lo, lo_us, false)) snprintf(lo, sizeof lo, "%s", lo_us < 0 ? "" : "~");
    if (hi_us != INT64_MAX && !fmt_ts(hi, hi_us, false)) snprintf(hi, sizeof hi, "%s", hi_us < 0 ? "" : "~");
    /* a bound inside an hour: hours are named by their start, so [lo, hi) of
     * starts is [floor(lo), hi) -- the caller passes floor(lo) */
    sqlite3_stmt *st = l->hours;
    sqlite3_reset(st);
    int rc = sqlite3_bind_text(st, 1, l->owner, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 2, lo, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(st, 3, hi, -1, SQLITE_TRANSIENT);
    /* collected first: fn reads contributions on this connection */
    int64_t *v = NULL;
    size_t n = 0, cap = 0;
    sl_err e = SL_OK;
    while (e == SL_OK && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        int64_t us;
        rc = SQLITE_OK;
        if (!t || sl_parse_time_utc(t, strlen(t), &us) != SL_OK) continue; /* not an hour this sluice wrote */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            int64_t *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                break;
            }
            v = nv;
            cap = nc;
        }
        v[n++] = us;
    }
    if (e == SL_OK && rc != SQLITE_DONE && rc != SQLITE_OK) e = db_fail(l->path, l->db, rc, err, errlen, "contributions");
    sqlite3_reset(st);
    for (size_t i = 0; i < n && e == SL_OK; i++) e = fn(ctx, v[i], err, errlen);
    free(v);
    return e;
}

void hs_ledger_close(hs_ledger *l) {
    if (!l) return;
    sqlite3_finalize(l->cov);
    sqlite3_finalize(l->hours);
    sqlite3_finalize(l->sel);
    sqlite3_close_v2(l->db);
    free(l->path);
    free(l->owner);
    free(l);
}

/* Delete events older than the retention relative to the newest written. */
static sl_err prune_events(hs *h, char *err, size_t errlen) {
    if (h->newest_us == INT64_MIN || h->newest_us == h->pruned_at_us) return SL_OK;
    int64_t span = (int64_t)h->o.retention_hours * SL_US_PER_HOUR;
    char cut[32];
    if (h->newest_us < INT64_MIN + span || !fmt_ts(cut, h->newest_us - span, true)) {
        h->pruned_at_us = h->newest_us; /* cutoff before year 0: nothing to prune */
        return SL_OK;
    }
    sl_err e = tx_begin(h, err, errlen);
    if (e != SL_OK) return e;
    int rc = sqlite3_bind_text(h->prune, 1, cut, 26, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK) rc = run(h->prune);
    if (rc != SQLITE_OK) return db_fail(h->path, h->db, rc, err, errlen, "pruning events");
    h->pruned_at_us = h->newest_us;
    return SL_OK;
}

sl_err hs_commit(hs *h, char *err, size_t errlen) {
    sl_err e = prune_events(h, err, errlen);
    if (e != SL_OK || !h->in_tx) return e;
    int rc = run(h->commit);
    if (rc != SQLITE_OK) {
        e = db_fail(h->path, h->db, rc, err, errlen, "commit (transaction rolled back)");
        if (!sqlite3_get_autocommit(h->db)) run(h->rollback);
    }
    h->in_tx = false;
    return e;
}

void hs_rollback(hs *h) {
    if (!h->in_tx) return;
    if (!sqlite3_get_autocommit(h->db)) run(h->rollback);
    h->in_tx = false;
}

sl_err hs_window_final(hs *h, int64_t hour_us, char *err, size_t errlen) {
    char hour[32];
    if (!fmt_ts(hour, hour_us, false))
        return sl_err_set(err, errlen, SL_ERR_ARG, "hot store %s: window_final: hour outside years 0000-9999", h->path);
    sl_err e = call_begin(h, err, errlen);
    if (e != SL_OK) return e;
    for (size_t t = 0; t < h->tables->n && e == SL_OK; t++) {
        if (!h->del_prov[t]) continue;
        int rc = sqlite3_bind_text(h->del_prov[t], 1, hour, 19, SQLITE_TRANSIENT);
        if (rc == SQLITE_OK) rc = run(h->del_prov[t]);
        if (rc != SQLITE_OK) e = db_fail(h->path, h->db, rc, err, errlen, h->tables->v[t]->name);
    }
    return call_end(h, e, err, errlen);
}

/* ------------------------------------------------------------------------ */
/* close                                                                    */

sl_err hs_close(hs *h, char *err, size_t errlen) {
    if (!h) return SL_OK;
    sl_err e = hs_commit(h, err, errlen);
    free_handle(h);
    return e;
}
