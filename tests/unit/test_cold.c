/* test_cold.c: the cold store (store/cold.h).
 *
 * The store is generic: it writes the tables it is given (schema/table.h).
 * Most tests use the Redset pipeline's tables (the metric tables, bad_rows,
 * late_events and the events of the Redset schema); test_tiny_schema uses a
 * second, tiny schema with an hourly table of its own.
 *
 * A scenario writes a few hours of hand-made table rows and events and
 * publishes some of them; the tests check the exact set of files (layout,
 * names, no temporary files, nothing of an unpublished hour), read every
 * Parquet file back with sluice's reader and compare the values, parse the
 * manifests, check byte-identical output for the same input (two directories
 * and a rerun over the same directory), stale-file removal and errors.
 *
 * SLUICE_KEEP_COLD=1: the scenario's store is left in build/test-cold/ (from
 * the current directory) and the rows written in build/test-cold-expected/
 * <table>.jsonl, for tests/oracle/cold.test.mjs (DuckDB). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/engine.h"
#include "io/source.h"
#include "parquet/reader.h"
#include "plugins/redset_tables.h"
#include "schema/redset.h"
#include "store/cold.h"
#include "t.h"

#define HOUR_US INT64_C(3600000000)
/* 2024-03-01T05:00:00Z */
#define H0 (INT64_C(1709269200) * 1000000)

static char g_root[256];
static char err[SL_ERRLEN];

/* The Redset pipeline's tables in the engine's order (en_tables): the
 * transform's hourly tables, then bad_rows, late_events, events. */
enum {
    T_QUERY_HOURLY,
    T_SPILL_HOURLY,
    T_CACHE_HOURLY,
    T_TOP_TABLES_HOURLY,
    T_COMPILE_JOINS_HOURLY,
    T_COMPILE_CORR_HOURLY,
    T_UTILIZATION_HOURLY,
    T_N_METRIC_TABLES,
    T_BAD_ROWS = T_N_METRIC_TABLES,
    T_LATE_EVENTS,
    T_EVENTS,
    T_N_TABLES
};
static const sc_schema *S; /* Redset */
static tb_def *g_bad, *g_late, *g_events;
static const tb_def *g_tv[T_N_TABLES];
static tb_list TL;

static bool tables_open(void) {
    if (sc_open(&S, &sc_redset_def, err, sizeof err) != SL_OK ||
        en_own_tables(S, &g_bad, &g_late, &g_events, err, sizeof err) != SL_OK) {
        fprintf(stderr, "tables: %s\n", err);
        return false;
    }
    const tb_def *v[T_N_TABLES] = {&rs_query_hourly,         &rs_spill_hourly,        &rs_cache_hourly,
                                   &rs_top_tables_hourly,    &rs_compile_joins_hourly, &rs_compile_corr_hourly,
                                   &rs_utilization_hourly,   g_bad,                   g_late,
                                   g_events};
    memcpy(g_tv, v, sizeof v);
    TL = (tb_list){g_tv, T_N_TABLES};
    return true;
}

static void tables_close(void) {
    tb_free(g_bad);
    tb_free(g_late);
    tb_free(g_events);
    sc_close(S);
}

/* Redset column index by name (a missing one fails the test). */
static int col(const char *name) {
    int c = sc_find(S, name);
    if (c < 0) {
        fprintf(stderr, "  no column %s\n", name);
        t_cur_failed = 1;
        return 0;
    }
    return c;
}

/* The columns of an events file: the schema's, source, _input, _row. */
#define EV_FILE_NCOLS ((size_t)S->row + 1)

/* ------------------------------------------------------------ files */

static void rm_rf(const char *p) {
    struct stat st;
    if (lstat(p, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(p);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char q[1024];
                snprintf(q, sizeof q, "%s/%s", p, e->d_name);
                rm_rf(q);
            }
            closedir(d);
        }
        rmdir(p);
    } else {
        unlink(p);
    }
}

typedef struct flist {
    char **v;
    size_t n;
} flist;

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* every regular file under root (relative paths, sorted); dirs in *dirs when given */
static void walk(const char *root, const char *rel, flist *files, flist *dirs) {
    char p[1024];
    snprintf(p, sizeof p, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(p);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char r[1024], q[1100];
        snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(q, sizeof q, "%s/%s", root, r);
        struct stat st;
        if (lstat(q, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (dirs) {
                dirs->v = realloc(dirs->v, (dirs->n + 1) * sizeof *dirs->v);
                dirs->v[dirs->n++] = strdup(r);
            }
            walk(root, r, files, dirs);
        } else {
            files->v = realloc(files->v, (files->n + 1) * sizeof *files->v);
            files->v[files->n++] = strdup(r);
        }
    }
    closedir(d);
    if (!*rel) {
        if (files->n) qsort(files->v, files->n, sizeof *files->v, cmpstr);
        if (dirs && dirs->n) qsort(dirs->v, dirs->n, sizeof *dirs->v, cmpstr);
    }
}

static void flist_free(flist *f) {
    for (size_t i = 0; i < f->n; i++) free(f->v[i]);
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b) b[n] = '\0';
    fclose(f);
    if (len) *len = (size_t)n;
    return b;
}

static bool exists(const char *root, const char *rel) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    return access(p, F_OK) == 0;
}

/* ------------------------------------------------------------ data */

static uint64_t h64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static void set_null(sl_batch *b, size_t c, size_t i) {
    uint8_t *v = sl_col_valid_alloc(b, c);
    sl_bit_clear(v, i);
    b->cols[c].null_count++;
}

static void set_str(sl_batch *b, size_t c, size_t i, const char *s) {
    size_t n = strlen(s);
    sl_str v = {sl_arena_dup(&b->arena, s, n), (uint32_t)n};
    ((sl_str *)b->cols[c].data)[i] = v;
}

/* n rows of table t for hour_us, values from (t, hour, salt). */
static void make_rows(size_t t, int64_t hour_us, size_t n, uint64_t salt, sl_batch *b) {
    sl_batch_init(b);
    CHECK(tb_init_batch(TL.v[t], b, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(b, n ? n : 1, err, sizeof err) == SL_OK);
    b->nrows = n;
    const tb_col *d = TL.v[t]->cols;
    for (size_t c = 0; c < b->ncols; c++) {
        for (size_t i = 0; i < n; i++) {
            uint64_t h = h64(salt * 1000003u + (uint64_t)t * 7919u + (uint64_t)hour_us / HOUR_US * 131u + c * 31u + i);
            if (c == 0) {
                ((int64_t *)b->cols[c].data)[i] = hour_us;
                continue;
            }
            if (d[c].nullable && i % 3 == 1) {
                set_null(b, c, i);
                continue;
            }
            switch (d[c].type.type) {
            case SL_I32: ((int32_t *)b->cols[c].data)[i] = (int32_t)(h % 2000) - 100; break;
            case SL_I64: ((int64_t *)b->cols[c].data)[i] = (int64_t)(h % 10000000000ull) - 5; break;
            case SL_F64: ((double *)b->cols[c].data)[i] = (double)(h % 1000000) / 64.0 - 7.25; break;
            case SL_BYTES: {
                char s[64];
                snprintf(s, sizeof s, "%s-%zu-\"q\\é-%u", d[c].name, i, (unsigned)(h % 97));
                set_str(b, c, i, s);
                break;
            }
            default: break;
            }
        }
    }
}

/* A canonical event batch of n rows in hour_us. */
static void make_events(int64_t hour_us, size_t n, sl_batch *b) {
    sl_batch_init(b);
    CHECK(sc_init_batch(S, b, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(b, n, err, sizeof err) == SL_OK);
    b->nrows = n;
    for (int c = 0; c < (int)S->nall; c++) {
        const sl_coltype *t = sc_col_type(S, c);
        /* instance_id, query_id, arrival_timestamp, query_type and source, _input, _row */
        bool required = c < (int)S->ncols ? (S->cols[c].rules & SC_REQUIRED) != 0
                                          : c == S->source || c == S->input || c == S->row;
        for (size_t i = 0; i < n; i++) {
            uint64_t h = h64((uint64_t)hour_us / HOUR_US * 977u + (uint64_t)c * 31u + i);
            if (c == S->error || (!required && i % 4 == 2)) {
                set_null(b, (size_t)c, i);
                continue;
            }
            if (c == S->time) {
                ((int64_t *)b->cols[c].data)[i] = hour_us + (int64_t)(h % (uint64_t)HOUR_US);
                continue;
            }
            if (c == S->row) {
                ((int64_t *)b->cols[c].data)[i] = (int64_t)i + 100;
                continue;
            }
            switch (t->type) {
            case SL_I32: ((int32_t *)b->cols[c].data)[i] = (int32_t)(h % 50); break;
            case SL_I64: ((int64_t *)b->cols[c].data)[i] = (int64_t)(h % 1000000007ull); break;
            case SL_F64: ((double *)b->cols[c].data)[i] = (double)(h % 100000) / 8.0; break;
            case SL_BYTES: {
                char s[64];
                if (c == S->source) snprintf(s, sizeof s, "fleet-%u", (unsigned)(h % 2));
                else if (c == S->extra) snprintf(s, sizeof s, "{\"x\":%u}", (unsigned)(h % 9));
                else snprintf(s, sizeof s, "%s/%u", sc_col_name(S, c), (unsigned)(h % 1000));
                set_str(b, (size_t)c, i, s);
                break;
            }
            default: break;
            }
        }
    }
}

/* ------------------------------------------------------------ scenario */

/* Hours: A = 2024-03-01T05 (every table), B = T06 (two tables, an empty
 * batch, provisional rows), C = T23 (events only), D = 2024-03-02T00
 * (query_hourly only), U = 2024-03-02T01 (written, never published). */
#define HA (H0)
#define HB (H0 + HOUR_US)
#define HC (H0 + 18 * HOUR_US)
#define HD (H0 + 19 * HOUR_US)
#define HU (H0 + 20 * HOUR_US)

static const int64_t PUB_HOURS[] = {HA, HB, HC, HD};
#define NPUB 4
static const uint32_t EV_IDX[] = {7, 2, 5, 0, 11, 3, 9};
#define EV_NIDX 7
#define EV_N 12

/* rows of table t in published hour k: 0 = none */
static size_t nrows_of(size_t t, int k) {
    switch (k) {
    case 0: return 3 + (size_t)t;
    case 1: return t == T_QUERY_HOURLY ? 5 : t == T_COMPILE_CORR_HOURLY ? 4 : 0;
    case 3: return t == T_QUERY_HOURLY ? 2 : 0;
    default: return 0;
    }
}
static bool has_events(int k) { return k <= 2; }

/* The cold store as a sink (what the parquet output does, without group sync):
 * rows, events, and window_final = publish the hour. */
static sl_err sk_rows(void *ctx, size_t t, int64_t hour_us, bool final, const sl_batch *rows, char *e, size_t el) {
    return cs_write_rows(ctx, t, hour_us, final, rows, e, el);
}
static sl_err sk_events(void *ctx, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *e,
                        size_t el) {
    return cs_write_events(ctx, hour_us, b, idx, n, e, el);
}
static sl_err sk_final(void *ctx, int64_t hour_us, char *e, size_t el) { return cs_publish_hour(ctx, hour_us, e, el); }

/* Write the scenario into dir; returns false on any error. */
static bool scenario(const char *dir, const char *prefix) {
    cs_opts o = cs_opts_default();
    o.url_prefix = prefix;
    cs *c;
    if (cs_open(&c, dir, &o, S, &TL, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  cs_open: %s\n", err);
        return false;
    }
    en_sink sk = {.ctx = c, .rows = sk_rows, .events = sk_events, .window_final = sk_final};
    bool ok = true;
#define TRY(x)                                  \
    do {                                        \
        if (ok && (x) != SL_OK) {               \
            fprintf(stderr, "  %s: %s\n", #x, err); \
            ok = false;                         \
        }                                       \
    } while (0)
    /* events of A, B, C and U are streamed interleaved, as windows overlap */
    sl_batch ev[NPUB + 1];
    const int64_t evh[NPUB + 1] = {HA, HB, HC, HD, HU};
    for (int k = 0; k <= NPUB; k++) make_events(evh[k], EV_N, &ev[k]);
    for (int k = 0; k <= NPUB; k++)
        if (k == NPUB || has_events(k)) {
            TRY(sk.events(sk.ctx, evh[k], &ev[k], EV_IDX, 3, err, sizeof err));
        }
    for (int k = 0; k <= NPUB; k++)
        if (k == NPUB || has_events(k)) {
            TRY(cs_write_events(c, evh[k], &ev[k], EV_IDX + 3, EV_NIDX - 3, err, sizeof err));
        }
    /* provisional rows are ignored */
    sl_batch pb;
    make_rows(T_QUERY_HOURLY, HB, 9, 999, &pb);
    TRY(sk.rows(sk.ctx, T_QUERY_HOURLY, HB, false, &pb, err, sizeof err));
    sl_batch_free(&pb);
    /* quarantine tables are not cold */
    sl_batch qb;
    make_rows(T_BAD_ROWS, INT64_MIN, 0, 1, &qb);
    TRY(sk.rows(sk.ctx, T_BAD_ROWS, INT64_MIN, true, &qb, err, sizeof err));
    sl_batch_free(&qb);
    for (int k = 0; k < NPUB; k++) {
        for (size_t t = 0; t < T_N_METRIC_TABLES; t++) {
            size_t n = nrows_of(t, k);
            sl_batch b;
            make_rows(t, PUB_HOURS[k], n, 1, &b);
            /* an empty final batch writes nothing */
            if (n || (k == 1 && t == T_SPILL_HOURLY))
                TRY(sk.rows(sk.ctx, t, PUB_HOURS[k], true, &b, err, sizeof err));
            sl_batch_free(&b);
        }
        if (k == 0) { /* the unpublished hour gets rows too */
            sl_batch b;
            make_rows(T_QUERY_HOURLY, HU, 4, 1, &b);
            TRY(cs_write_rows(c, T_QUERY_HOURLY, HU, true, &b, err, sizeof err));
            sl_batch_free(&b);
        }
        TRY(sk.window_final(sk.ctx, PUB_HOURS[k], err, sizeof err));
    }
    for (int k = 0; k <= NPUB; k++) sl_batch_free(&ev[k]);
    cs_close(c);
    return ok;
#undef TRY
}

/* Slots 0..T_N_METRIC_TABLES - 1: the hourly tables; slot T_N_METRIC_TABLES: the events. */
static const char *slot_name(int s) { return TL.v[s == T_N_METRIC_TABLES ? T_EVENTS : s]->name; }

static void part(int64_t hour_us, char *out, size_t n) {
    time_t t = (time_t)(hour_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, n, "date=%04d-%02d-%02d/hr=%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
}

/* The exact file set the scenario must leave. */
static void expected_files(flist *f) {
    for (int k = 0; k < NPUB; k++) {
        char p[64], r[256];
        part(PUB_HOURS[k], p, sizeof p);
        for (int s = 0; s <= T_N_METRIC_TABLES; s++) {
            bool has = s == T_N_METRIC_TABLES ? has_events(k) : nrows_of((size_t)s, k) > 0;
            if (!has) continue;
            snprintf(r, sizeof r, "%s/%s/part-00000.parquet", slot_name(s), p);
            f->v = realloc(f->v, (f->n + 2) * sizeof *f->v);
            f->v[f->n++] = strdup(r);
            snprintf(r, sizeof r, "_manifests/%s/%s.manifest", slot_name(s), p);
            f->v[f->n++] = strdup(r);
        }
    }
    qsort(f->v, f->n, sizeof *f->v, cmpstr);
}

/* ------------------------------------------------------------ read back */

static bool read_file(const char *path, sl_batch *out, pq_reader **rd, sl_source **src) {
    if (sl_source_open_file(src, path, err, sizeof err) != SL_OK) return false;
    if (pq_reader_open(rd, *src, NULL, err, sizeof err) != SL_OK) {
        sl_source_close(*src);
        return false;
    }
    sl_batch_init(out);
    if (pq_reader_init_batch(*rd, out, err, sizeof err) != SL_OK) return false;
    long n = pq_reader_next(*rd, out, 1000000, err, sizeof err);
    return n >= 0;
}

static bool is_null(const sl_col *c, size_t i) { return c->valid && c->null_count && !sl_bit_get(c->valid, i); }

/* Compare value (got row gi) with (exp row ei). */
static bool same_value(const sl_col *g, size_t gi, const sl_col *e, size_t ei) {
    bool gnull = is_null(g, gi), enull = is_null(e, ei);
    if (gnull || enull) return gnull == enull;
    if (e->t.type == SL_BYTES) {
        sl_str a = ((const sl_str *)g->data)[gi], b = ((const sl_str *)e->data)[ei];
        return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
    }
    size_t w = sl_type_width(e->t.type);
    return memcmp((const char *)g->data + gi * w, (const char *)e->data + ei * w, w) == 0;
}

/* file at root/rel must hold exactly rows rows[idx[i]] (idx NULL: all), columns 0..ncols) */
static void check_file(const char *root, const char *rel, const sl_batch *exp, const uint32_t *idx, size_t n,
                       size_t ncols, const char *const *names) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    sl_source *src = NULL;
    pq_reader *rd = NULL;
    sl_batch got;
    bool ok = read_file(path, &got, &rd, &src);
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  %s: %s\n", path, err);
        return;
    }
    CHECK_EQ_I64(got.ncols, ncols);
    CHECK_EQ_I64(got.nrows, n);
    /* no key-value metadata beyond the writer's name: no times, no paths */
    const pq_meta *m = pq_reader_meta(rd);
    CHECK_EQ_I64(m->n_kv, 1);
    if (m->n_kv >= 1) CHECK_EQ_STR(m->kv[0].key, "writer");
    for (size_t c = 0; c < got.ncols && c < ncols; c++) {
        CHECK_EQ_STR(got.cols[c].name, names[c]);
        CHECK(got.cols[c].t.type == exp->cols[c].t.type);
        CHECK(got.cols[c].t.logical == exp->cols[c].t.logical);
        if (exp->cols[c].t.logical == SL_LOG_TIMESTAMP) CHECK(got.cols[c].t.unit == SL_UNIT_MICROS && got.cols[c].t.utc);
        for (size_t i = 0; i < got.nrows && i < n; i++) {
            size_t ei = idx ? idx[i] : i;
            if (!same_value(&got.cols[c], i, &exp->cols[c], ei)) {
                fprintf(stderr, "  %s: column %s row %zu differs\n", rel, names[c], i);
                t_cur_failed = 1;
                break;
            }
        }
    }
    sl_batch_free(&got);
    pq_reader_close(rd);
    sl_source_close(src);
}

/* Check every data file of the scenario in root. */
static void check_values(const char *root) {
    char p[64], rel[256];
    for (int k = 0; k < NPUB; k++) {
        part(PUB_HOURS[k], p, sizeof p);
        for (size_t t = 0; t < T_N_METRIC_TABLES; t++) {
            size_t n = nrows_of(t, k);
            if (!n) continue;
            sl_batch b;
            make_rows(t, PUB_HOURS[k], n, 1, &b);
            const char *names[16];
            for (size_t c = 0; c < b.ncols; c++) names[c] = b.cols[c].name;
            snprintf(rel, sizeof rel, "%s/%s/part-00000.parquet", TL.v[t]->name, p);
            check_file(root, rel, &b, NULL, n, b.ncols, names);
            sl_batch_free(&b);
        }
        if (has_events(k)) {
            sl_batch b;
            make_events(PUB_HOURS[k], EV_N, &b);
            const char *names[SC_MAX_COLS];
            for (int c = 0; c < (int)S->nall; c++) names[c] = sc_col_name(S, c);
            snprintf(rel, sizeof rel, "events/%s/part-00000.parquet", p);
            check_file(root, rel, &b, EV_IDX, EV_NIDX, EV_FILE_NCOLS, names);
            sl_batch_free(&b);
        }
    }
}

/* ------------------------------------------------------------ manifests */

/* Tiny JSON scan of {"entries":[{"url":"...","mandatory":true,"meta":{"content_length":N}}, ...]}:
 * returns the number of entries, the first url (unescaped) and length. */
static int scan_manifest(const char *s, char *url, size_t urllen, long long *len, bool *mandatory) {
    const char *p = s;
    while (*p == ' ' || *p == '\n') p++;
    if (strncmp(p, "{\"entries\":[", 12) != 0) return -1;
    int n = 0;
    const char *q = p;
    while ((q = strstr(q, "\"url\":\""))) {
        q += 7;
        if (n == 0) {
            size_t k = 0;
            while (*q && *q != '"' && k + 1 < urllen) {
                if (*q == '\\' && q[1]) q++;
                url[k++] = *q++;
            }
            url[k] = '\0';
        }
        n++;
    }
    const char *c = strstr(p, "\"content_length\":");
    *len = c ? strtoll(c + 17, NULL, 10) : -1;
    *mandatory = strstr(p, "\"mandatory\":true") != NULL;
    size_t L = strlen(p);
    while (L && (p[L - 1] == '\n' || p[L - 1] == ' ')) L--;
    if (L < 2 || p[L - 1] != '}' || p[L - 2] != ']') return -1;
    /* balanced braces and brackets outside strings */
    int depth = 0;
    bool in = false;
    for (size_t i = 0; i < L; i++) {
        if (in) {
            if (p[i] == '\\') i++;
            else if (p[i] == '"') in = false;
        } else if (p[i] == '"') in = true;
        else if (p[i] == '{' || p[i] == '[') depth++;
        else if (p[i] == '}' || p[i] == ']') depth--;
        if (depth < 0) return -1;
    }
    return depth == 0 && !in ? n : -1;
}

static void check_manifests(const char *root, const char *prefix) {
    char p[64], mrel[256], drel[256], path[1024];
    for (int k = 0; k < NPUB; k++) {
        part(PUB_HOURS[k], p, sizeof p);
        for (int s = 0; s <= T_N_METRIC_TABLES; s++) {
            bool has = s == T_N_METRIC_TABLES ? has_events(k) : nrows_of((size_t)s, k) > 0;
            snprintf(mrel, sizeof mrel, "_manifests/%s/%s.manifest", slot_name(s), p);
            snprintf(drel, sizeof drel, "%s/%s/part-00000.parquet", slot_name(s), p);
            CHECK(exists(root, mrel) == has);
            if (!has) continue;
            snprintf(path, sizeof path, "%s/%s", root, mrel);
            char *txt = slurp(path, NULL);
            CHECK(txt != NULL);
            if (!txt) continue;
            char url[1024], want[1100];
            long long len = -1;
            bool mand = false;
            int n = scan_manifest(txt, url, sizeof url, &len, &mand);
            CHECK_EQ_I64(n, 1);
            CHECK(mand);
            snprintf(want, sizeof want, "%s%s", prefix, drel);
            CHECK_EQ_STR(url, want);
            snprintf(path, sizeof path, "%s/%s", root, drel);
            struct stat st;
            CHECK(stat(path, &st) == 0);
            CHECK_EQ_I64(len, st.st_size);
            free(txt);
        }
    }
}

/* ------------------------------------------------------------ expected rows (oracle) */

static void json_s(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void dump_rows(FILE *f, const sl_batch *b, const uint32_t *idx, size_t n, size_t ncols) {
    for (size_t i = 0; i < n; i++) {
        size_t r = idx ? idx[i] : i;
        fputc('{', f);
        for (size_t c = 0; c < ncols; c++) {
            const sl_col *col = &b->cols[c];
            fprintf(f, "%s\"%s\":", c ? "," : "", col->name);
            if (is_null(col, r)) {
                fputs("null", f);
                continue;
            }
            switch (col->t.type) {
            case SL_I32: fprintf(f, "%d", ((int32_t *)col->data)[r]); break;
            case SL_I64: fprintf(f, "%" PRId64, ((int64_t *)col->data)[r]); break;
            case SL_F64: fprintf(f, "%.17g", ((double *)col->data)[r]); break;
            case SL_BYTES: json_s(f, ((sl_str *)col->data)[r].ptr, ((sl_str *)col->data)[r].len); break;
            default: fputs("null", f);
            }
        }
        fputs("}\n", f);
    }
}

static void write_expected(const char *dir) {
    rm_rf(dir);
    mkdir(dir, 0777);
    for (int s = 0; s <= T_N_METRIC_TABLES; s++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.jsonl", dir, slot_name(s));
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f) return;
        for (int k = 0; k < NPUB; k++) {
            sl_batch b;
            if (s == T_N_METRIC_TABLES) {
                if (!has_events(k)) continue;
                make_events(PUB_HOURS[k], EV_N, &b);
                dump_rows(f, &b, EV_IDX, EV_NIDX, EV_FILE_NCOLS);
            } else {
                size_t n = nrows_of((size_t)s, k);
                if (!n) continue;
                make_rows((size_t)s, PUB_HOURS[k], n, 1, &b);
                dump_rows(f, &b, NULL, n, b.ncols);
            }
            sl_batch_free(&b);
        }
        fclose(f);
    }
}

/* ------------------------------------------------------------ tests */

static char g_dir1[512];
static const char *PREFIX = "s3://bucket/sluice/";

static void test_layout_and_values(void) {
    bool keep = getenv("SLUICE_KEEP_COLD") && !strcmp(getenv("SLUICE_KEEP_COLD"), "1");
    if (keep) {
        snprintf(g_dir1, sizeof g_dir1, "build/test-cold");
        rm_rf(g_dir1);
    } else {
        snprintf(g_dir1, sizeof g_dir1, "%s/a/", g_root); /* trailing slash is fine */
    }
    CHECK(scenario(g_dir1, keep ? NULL : PREFIX));
    flist got = {0}, want = {0}, dirs = {0};
    walk(g_dir1, "", &got, &dirs);
    expected_files(&want);
    CHECK_EQ_I64(got.n, want.n);
    for (size_t i = 0; i < got.n && i < want.n; i++) CHECK_EQ_STR(got.v[i], want.v[i]);
    for (size_t i = 0; i < got.n; i++) {
        CHECK(strstr(got.v[i], ".tmp-") == NULL);
        if (i >= want.n || strcmp(got.v[i], want.v[i])) fprintf(stderr, "  file: %s\n", got.v[i]);
    }
    /* the unpublished hour (2024-03-02T01) left no directory behind */
    for (size_t i = 0; i < dirs.n; i++) CHECK(strstr(dirs.v[i], "hr=01") == NULL);
    CHECK(!exists(g_dir1, "query_hourly/date=2024-03-02/hr=01"));
    CHECK(!exists(g_dir1, "events/date=2024-03-02"));
    CHECK(exists(g_dir1, "query_hourly/date=2024-03-02/hr=00/part-00000.parquet"));
    /* no directories for tables never written, none for the quarantine tables */
    CHECK(!exists(g_dir1, "bad_rows"));
    CHECK(!exists(g_dir1, "late_events"));
    check_values(g_dir1);
    if (keep) {
        char ab[PATH_MAX], pre[PATH_MAX + 16];
        CHECK(realpath(g_dir1, ab) != NULL);
        snprintf(pre, sizeof pre, "file://%s/", ab);
        check_manifests(g_dir1, pre);
        write_expected("build/test-cold-expected");
    } else {
        check_manifests(g_dir1, PREFIX);
    }
    flist_free(&got);
    flist_free(&want);
    flist_free(&dirs);
}

static void compare_dirs(const char *a, const char *b) {
    flist fa = {0}, fb = {0};
    walk(a, "", &fa, NULL);
    walk(b, "", &fb, NULL);
    CHECK_EQ_I64(fa.n, fb.n);
    CHECK(fa.n > 0);
    for (size_t i = 0; i < fa.n && i < fb.n; i++) {
        CHECK_EQ_STR(fa.v[i], fb.v[i]);
        char pa[1024], pb[1024];
        snprintf(pa, sizeof pa, "%s/%s", a, fa.v[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, fb.v[i]);
        size_t la = 0, lb = 0;
        char *da = slurp(pa, &la), *db = slurp(pb, &lb);
        CHECK(da && db && la == lb && memcmp(da, db, la) == 0);
        if (!(da && db && la == lb && memcmp(da, db, la) == 0)) fprintf(stderr, "  differs: %s\n", fa.v[i]);
        free(da);
        free(db);
    }
    flist_free(&fa);
    flist_free(&fb);
}

static void test_deterministic(void) {
    char d1[512], d2[512], d3[512];
    snprintf(d1, sizeof d1, "%s/det1", g_root);
    snprintf(d2, sizeof d2, "%s/det2/nested/deeper", g_root);
    snprintf(d3, sizeof d3, "%s/det3", g_root);
    CHECK(scenario(d1, PREFIX));
    CHECK(scenario(d2, PREFIX));
    compare_dirs(d1, d2);
    /* a rerun over the same directory replaces every file by the same bytes */
    char pq[1024];
    snprintf(pq, sizeof pq, "%s/query_hourly/date=2024-03-01/hr=05/part-00000.parquet", d1);
    struct stat st0, st1;
    CHECK(stat(pq, &st0) == 0);
    CHECK(scenario(d1, PREFIX));
    CHECK(stat(pq, &st1) == 0);
    CHECK(st0.st_ino != st1.st_ino); /* replaced by rename, not rewritten in place */
    compare_dirs(d1, d2);
    /* default prefix: file:// + absolute directory */
    CHECK(scenario(d3, NULL));
    char ab[PATH_MAX], pre[PATH_MAX + 16];
    CHECK(realpath(d3, ab) != NULL);
    snprintf(pre, sizeof pre, "file://%s/", ab);
    check_manifests(d3, pre);
}

/* Republishing an hour with fewer tables removes the stale files and manifests. */
static void test_stale_removed(void) {
    char d[512];
    snprintf(d, sizeof d, "%s/stale", g_root);
    CHECK(scenario(d, PREFIX));
    CHECK(exists(d, "query_hourly/date=2024-03-01/hr=05/part-00000.parquet"));
    CHECK(exists(d, "_manifests/spill_hourly/date=2024-03-01/hr=05.manifest"));
    cs *c;
    CHECK(cs_open(&c, d, NULL, S, &TL, err, sizeof err) == SL_OK);
    sl_batch b;
    make_rows(T_QUERY_HOURLY, HA, 1, 5, &b);
    CHECK(cs_write_rows(c, T_QUERY_HOURLY, HA, true, &b, err, sizeof err) == SL_OK);
    sl_batch_free(&b);
    CHECK(cs_publish_hour(c, HA, err, sizeof err) == SL_OK);
    cs_close(c);
    CHECK(exists(d, "query_hourly/date=2024-03-01/hr=05/part-00000.parquet"));
    CHECK(exists(d, "_manifests/query_hourly/date=2024-03-01/hr=05.manifest"));
    CHECK(!exists(d, "spill_hourly/date=2024-03-01/hr=05/part-00000.parquet"));
    CHECK(!exists(d, "_manifests/spill_hourly/date=2024-03-01/hr=05.manifest"));
    CHECK(!exists(d, "events/date=2024-03-01/hr=05/part-00000.parquet"));
    CHECK(!exists(d, "_manifests/events/date=2024-03-01/hr=05.manifest"));
    /* other hours untouched */
    CHECK(exists(d, "events/date=2024-03-01/hr=06/part-00000.parquet"));
    char path[1024];
    snprintf(path, sizeof path, "%s/query_hourly/date=2024-03-01/hr=05/part-00000.parquet", d);
    sl_source *src = NULL;
    pq_reader *rd = NULL;
    sl_batch got;
    CHECK(read_file(path, &got, &rd, &src));
    CHECK_EQ_I64(got.nrows, 1);
    sl_batch_free(&got);
    pq_reader_close(rd);
    sl_source_close(src);
}

/* cs_open removes the temporary files that a killed run left (its PID is
 * gone), keeps a live run's, and counts what it removed. */
static void test_open_removes_leftovers(void) {
    char d[512], cmd[1200], p1[1024], p2[1024], p3[1024];
    snprintf(d, sizeof d, "%s/leftovers", g_root);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/query_hourly/date=2024-03-01/hr=05 %s/_manifests/query_hourly/date=2024-03-01",
             d, d);
    CHECK(system(cmd) == 0);
    pid_t child = fork();
    if (child == 0) _exit(0);
    int wst;
    waitpid(child, &wst, 0);
    snprintf(p1, sizeof p1, "%s/query_hourly/date=2024-03-01/hr=05/.part-00000.parquet.tmp-%ld-0", d, (long)child);
    snprintf(p2, sizeof p2, "%s/_manifests/query_hourly/date=2024-03-01/.hr=05.manifest.tmp-%ld-1", d, (long)child);
    snprintf(p3, sizeof p3, "%s/query_hourly/date=2024-03-01/hr=05/.part-00001.parquet.tmp-%ld-0", d, (long)getpid());
    const char *paths[3] = {p1, p2, p3};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(paths[i], "wb");
        CHECK(f != NULL);
        if (f) {
            fputs("partial", f);
            fclose(f);
        }
    }
    sl_leftovers lo = {0};
    cs_opts o = cs_opts_default();
    o.leftovers = &lo;
    cs *c;
    CHECK(cs_open(&c, d, &o, S, &TL, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(lo.files, 2);
    CHECK_EQ_I64(lo.bytes, 14);
    CHECK(access(p1, F_OK) != 0);
    CHECK(access(p2, F_OK) != 0);
    CHECK(access(p3, F_OK) == 0);
    cs_close(c);
    unlink(p3);
}

/* While an hour is open only a hidden temporary file exists; cs_close removes it. */
static void test_unpublished_leaves_nothing(void) {
    char d[512];
    snprintf(d, sizeof d, "%s/open", g_root);
    cs *c;
    CHECK(cs_open(&c, d, NULL, S, &TL, err, sizeof err) == SL_OK);
    sl_batch ev;
    make_events(HA, EV_N, &ev);
    CHECK(cs_write_events(c, HA, &ev, EV_IDX, EV_NIDX, err, sizeof err) == SL_OK);
    sl_batch_free(&ev);
    sl_batch b;
    make_rows(T_CACHE_HOURLY, HA, 3, 1, &b);
    CHECK(cs_write_rows(c, T_CACHE_HOURLY, HA, true, &b, err, sizeof err) == SL_OK);
    sl_batch_free(&b);
    flist f = {0};
    walk(d, "", &f, NULL);
    CHECK_EQ_I64(f.n, 2);
    for (size_t i = 0; i < f.n; i++) {
        CHECK(strstr(f.v[i], "/.part-00000.parquet.tmp-") != NULL); /* hidden, never *.parquet */
        CHECK(strstr(f.v[i], "part-00000.parquet") + strlen("part-00000.parquet") != f.v[i] + strlen(f.v[i]));
    }
    flist_free(&f);
    CHECK(!exists(d, "events/date=2024-03-01/hr=05/part-00000.parquet"));
    cs_close(c);
    flist dirs = {0};
    walk(d, "", &f, &dirs);
    CHECK_EQ_I64(f.n, 0);
    CHECK_EQ_I64(dirs.n, 0);
    flist_free(&f);
    flist_free(&dirs);
}

static bool same_bytes(const char *pa, const char *pb) {
    size_t la = 0, lb = 0;
    char *da = slurp(pa, &la), *db = slurp(pb, &lb);
    bool ok = da && db && la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return ok;
}

/* group_sync: published hours appear only at cs_flush (or every 64 hours, or
 * cs_close), data files before manifests, with the same bytes as the default. */
static void test_group_sync(void) {
    char d[512], d1[512];
    snprintf(d, sizeof d, "%s/group", g_root);
    snprintf(d1, sizeof d1, "%s/group-ref", g_root);
    cs_opts o = cs_opts_default();
    o.url_prefix = PREFIX;
    o.group_sync = true;
    cs *c, *ref;
    CHECK(cs_open(&c, d, &o, S, &TL, err, sizeof err) == SL_OK);
    o.group_sync = false;
    CHECK(cs_open(&ref, d1, &o, S, &TL, err, sizeof err) == SL_OK);
    for (int k = 0; k < 2; k++) {
        cs *x = k ? ref : c;
        sl_batch ev;
        make_events(HA, EV_N, &ev);
        CHECK(cs_write_events(x, HA, &ev, EV_IDX, EV_NIDX, err, sizeof err) == SL_OK);
        sl_batch_free(&ev);
        sl_batch b;
        make_rows(T_CACHE_HOURLY, HA, 3, 1, &b);
        CHECK(cs_write_rows(x, T_CACHE_HOURLY, HA, true, &b, err, sizeof err) == SL_OK);
        sl_batch_free(&b);
        CHECK(cs_publish_hour(x, HA, err, sizeof err) == SL_OK);
    }
    /* default mode: visible at once */
    CHECK(exists(d1, "cache_hourly/date=2024-03-01/hr=05/part-00000.parquet"));
    CHECK_EQ_I64(cs_published_count(ref), 1);
    /* group mode: only hidden temporary files until the flush */
    CHECK(!exists(d, "cache_hourly/date=2024-03-01/hr=05/part-00000.parquet"));
    CHECK(!exists(d, "_manifests/events/date=2024-03-01/hr=05.manifest"));
    CHECK_EQ_I64(cs_published_count(c), 0);
    flist f = {0};
    walk(d, "", &f, NULL);
    CHECK_EQ_I64(f.n, 4); /* 2 data + 2 manifests, all hidden */
    for (size_t i = 0; i < f.n; i++) CHECK(strstr(f.v[i], ".tmp-") != NULL);
    flist_free(&f);
    CHECK(cs_publish_hour(c, HA, err, sizeof err) == SL_ERR_ARG); /* published once, even if queued */
    CHECK(cs_flush(c, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(cs_published_count(c), 1);
    CHECK(cs_flush(c, err, sizeof err) == SL_OK); /* nothing queued: no-op */
    const char *rels[] = {"cache_hourly/date=2024-03-01/hr=05/part-00000.parquet",
                          "events/date=2024-03-01/hr=05/part-00000.parquet",
                          "_manifests/cache_hourly/date=2024-03-01/hr=05.manifest",
                          "_manifests/events/date=2024-03-01/hr=05.manifest"};
    for (size_t i = 0; i < 4; i++) {
        CHECK(exists(d, rels[i]));
        char p1[1024], p2[1024];
        snprintf(p1, sizeof p1, "%s/%s", d, rels[i]);
        snprintf(p2, sizeof p2, "%s/%s", d1, rels[i]);
        CHECK(same_bytes(p1, p2));
    }
    walk(d, "", &f, NULL);
    CHECK_EQ_I64(f.n, 4); /* no temporary file left */
    flist_free(&f);
    /* cs_close flushes what is still queued */
    sl_batch b;
    make_rows(T_CACHE_HOURLY, HB, 2, 1, &b);
    CHECK(cs_write_rows(c, T_CACHE_HOURLY, HB, true, &b, err, sizeof err) == SL_OK);
    sl_batch_free(&b);
    CHECK(cs_publish_hour(c, HB, err, sizeof err) == SL_OK);
    CHECK(!exists(d, "cache_hourly/date=2024-03-01/hr=06/part-00000.parquet"));
    cs_close(c);
    cs_close(ref);
    CHECK(exists(d, "cache_hourly/date=2024-03-01/hr=06/part-00000.parquet"));
    CHECK(exists(d, "_manifests/cache_hourly/date=2024-03-01/hr=06.manifest"));
}

static void test_errors(void) {
    /* unwritable directory: below a regular file */
    char file[512], bad[600];
    snprintf(file, sizeof file, "%s/plain-file", g_root);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    snprintf(bad, sizeof bad, "%s/sub/cold", file);
    cs *c = NULL;
    err[0] = '\0';
    CHECK(cs_open(&c, bad, NULL, S, &TL, err, sizeof err) == SL_ERR_IO);
    CHECK(c == NULL);
    CHECK(strstr(err, file) != NULL);
    CHECK(cs_open(&c, "", NULL, S, &TL, err, sizeof err) == SL_ERR_ARG);

    char d[512];
    snprintf(d, sizeof d, "%s/err", g_root);
    CHECK(cs_open(&c, d, NULL, S, &TL, err, sizeof err) == SL_OK);
    sl_batch b;
    make_rows(T_QUERY_HOURLY, HA, 2, 1, &b);
    /* not an hour start */
    CHECK(cs_write_rows(c, T_QUERY_HOURLY, HA + 1, true, &b, err, sizeof err) == SL_ERR_ARG);
    CHECK(cs_publish_hour(c, HA + 60000000, err, sizeof err) == SL_ERR_ARG);
    /* rows of another hour */
    CHECK(cs_write_rows(c, T_QUERY_HOURLY, HB, true, &b, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "hour") != NULL);
    /* wrong schema */
    CHECK(cs_write_rows(c, T_SPILL_HOURLY, HA, true, &b, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "spill_hourly") != NULL);
    /* a canonical events batch is required */
    CHECK(cs_write_events(c, HA, &b, EV_IDX, 1, err, sizeof err) == SL_ERR_ARG);
    /* an event with a NULL required column */
    sl_batch ev;
    make_events(HA, EV_N, &ev);
    set_null(&ev, (size_t)col("query_id"), 7);
    CHECK(cs_write_events(c, HB, &ev, EV_IDX, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "query_id") != NULL);
    /* ... poisons that hour */
    CHECK(cs_publish_hour(c, HB, err, sizeof err) == SL_ERR_ARG);
    sl_batch_free(&ev);
    /* published once */
    CHECK(cs_write_rows(c, T_QUERY_HOURLY, HA, true, &b, err, sizeof err) == SL_OK);
    CHECK(cs_publish_hour(c, HA, err, sizeof err) == SL_OK);
    CHECK(cs_publish_hour(c, HA, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "already published") != NULL);
    CHECK(strstr(err, "date=2024-03-01/hr=05") != NULL);
    CHECK(cs_write_rows(c, T_QUERY_HOURLY, HA, true, &b, err, sizeof err) == SL_ERR_ARG);
    /* publishing an hour without rows is fine and writes nothing */
    CHECK(cs_publish_hour(c, HC, err, sizeof err) == SL_OK);
    CHECK(!exists(d, "_manifests/query_hourly/date=2024-03-01/hr=23.manifest"));
    sl_batch_free(&b);
    cs_close(c);
    /* a directory that became unwritable: writer errors name the path */
    snprintf(d, sizeof d, "%s/ro", g_root);
    CHECK(cs_open(&c, d, NULL, S, &TL, err, sizeof err) == SL_OK);
    char blocker[600];
    snprintf(blocker, sizeof blocker, "%s/query_hourly", d);
    f = fopen(blocker, "w"); /* a file where the table directory must go */
    if (f) fclose(f);
    make_rows(T_QUERY_HOURLY, HA, 2, 1, &b);
    err[0] = '\0';
    CHECK(cs_write_rows(c, T_QUERY_HOURLY, HA, true, &b, err, sizeof err) == SL_ERR_IO);
    CHECK(strstr(err, blocker) != NULL);
    sl_batch_free(&b);
    cs_close(c);
}

/* ------------------------------------------------------------ a second schema */

/* A tiny schema (readings of devices) with an hourly table of its own: the
 * store derives its files from the definitions, nothing is Redset's. */
#define TSCOL {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}
static const sc_col tiny_cols[] = {
    {"device", {.type = SL_BYTES, .logical = SL_LOG_STRING}, SC_REQUIRED, NULL, "the device"},
    {"seq", {.type = SL_I64}, SC_REQUIRED, NULL, "reading number"},
    {"ts", TSCOL, SC_REQUIRED, NULL, "when"},
    {"temp", {.type = SL_F64}, SC_FINITE, NULL, "degrees"},
};
static const sc_def tiny_def = {
    .name = "tiny",
    .help = "a test schema",
    .cols = tiny_cols,
    .ncols = sizeof tiny_cols / sizeof tiny_cols[0],
    .time = "ts",
    .order = {NULL, "seq"},
    .dedupe = {"device", "seq"},
    .partition = {"device"},
    .required = {"ts", "device", "seq"},
};
static const tb_col tiny_hourly_cols[] = {
    {"hour", TB_TS, false, true, NULL},
    {"device", TB_STR, false, true, NULL},
    {"readings", TB_I64, false, false, NULL},
    {"temp_max", TB_F64, true, false, NULL},
};
static const tb_def tiny_hourly = {"tiny_hourly", TB_HOURLY, tiny_hourly_cols, 4, "readings per device and hour"};

/* n tiny events of hour_us: device d<i%2>, seq 10 + i, ts hour + i minutes,
 * temp i/4 (NULL when i % 3 == 1); _row = i. */
static void tiny_events(const sc_schema *ts, int64_t hour_us, size_t n, sl_batch *b) {
    sl_batch_init(b);
    CHECK(sc_init_batch(ts, b, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(b, n, err, sizeof err) == SL_OK);
    b->nrows = n;
    for (size_t i = 0; i < n; i++) {
        set_str(b, 0, i, i % 2 ? "d1" : "d0");
        ((int64_t *)b->cols[1].data)[i] = 10 + (int64_t)i;
        ((int64_t *)b->cols[ts->time].data)[i] = hour_us + (int64_t)i * 60000000;
        if (i % 3 == 1) set_null(b, 3, i);
        else ((double *)b->cols[3].data)[i] = (double)i / 4;
        set_str(b, (size_t)ts->source, i, "lab");
        ((int32_t *)b->cols[ts->input].data)[i] = 2;
        ((int64_t *)b->cols[ts->row].data)[i] = (int64_t)i;
        set_null(b, (size_t)ts->error, i);
        set_null(b, (size_t)ts->extra, i);
    }
}

/* tiny_hourly rows of hour_us: (d0, 3, 1.5) and (d1, 7, NULL). */
static void tiny_rows(int64_t hour_us, sl_batch *b) {
    sl_batch_init(b);
    CHECK(tb_init_batch(&tiny_hourly, b, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(b, 2, err, sizeof err) == SL_OK);
    b->nrows = 2;
    for (size_t i = 0; i < 2; i++) {
        ((int64_t *)b->cols[0].data)[i] = hour_us;
        set_str(b, 1, i, i ? "d1" : "d0");
        ((int64_t *)b->cols[2].data)[i] = i ? 7 : 3;
    }
    ((double *)b->cols[3].data)[0] = 1.5;
    set_null(b, 3, 1);
}

/* The manifest at root/mrel lists root/drel (url prefix + drel) with its size. */
static void check_one_manifest(const char *root, const char *mrel, const char *drel, const char *prefix) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, mrel);
    char *txt = slurp(path, NULL);
    CHECK(txt != NULL);
    if (!txt) return;
    char url[1024], want[1100];
    long long len = -1;
    bool mand = false;
    CHECK_EQ_I64(scan_manifest(txt, url, sizeof url, &len, &mand), 1);
    CHECK(mand);
    snprintf(want, sizeof want, "%s%s", prefix, drel);
    CHECK_EQ_STR(url, want);
    snprintf(path, sizeof path, "%s/%s", root, drel);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_EQ_I64(len, st.st_size);
    free(txt);
}

static void test_tiny_schema(void) {
    const sc_schema *ts = NULL;
    tb_def *bad = NULL, *late = NULL, *events = NULL;
    CHECK(sc_open(&ts, &tiny_def, err, sizeof err) == SL_OK);
    if (!ts) return;
    CHECK(en_own_tables(ts, &bad, &late, &events, err, sizeof err) == SL_OK);
    if (!events) {
        tb_free(bad);
        tb_free(late);
        sc_close(ts);
        return;
    }
    /* the engine's order: the transform's table, bad_rows, late_events, events */
    const tb_def *tv[] = {&tiny_hourly, bad, late, events};
    const tb_list tl = {tv, 4};
    enum { X_HOURLY, X_BAD, X_LATE, X_EVENTS };
    char d[512];
    snprintf(d, sizeof d, "%s/tiny", g_root);
    cs_opts o = cs_opts_default();
    o.url_prefix = PREFIX;
    cs *c = NULL;
    CHECK(cs_open(&c, d, &o, ts, &tl, err, sizeof err) == SL_OK);
    if (!c) goto done;
    sl_batch ev, rows, q;
    tiny_events(ts, HA, 10, &ev);
    tiny_rows(HA, &rows);
    const uint32_t idx[] = {9, 0, 4, 1, 7};
    CHECK(cs_write_events(c, HA, &ev, idx, 3, err, sizeof err) == SL_OK);
    CHECK(cs_write_events(c, HA, &ev, idx + 3, 2, err, sizeof err) == SL_OK);
    CHECK(cs_write_events(c, HB, &ev, idx, 1, err, sizeof err) == SL_OK); /* (ts of HA: the window decides) */
    CHECK(cs_write_rows(c, X_HOURLY, HA, false, &rows, err, sizeof err) == SL_OK); /* provisional: ignored */
    CHECK(cs_write_rows(c, X_HOURLY, HA, true, &rows, err, sizeof err) == SL_OK);
    /* quarantine tables are not cold */
    sl_batch_init(&q);
    CHECK(tb_init_batch(bad, &q, err, sizeof err) == SL_OK);
    CHECK(sl_batch_reserve(&q, 1, err, sizeof err) == SL_OK);
    q.nrows = 1;
    set_str(&q, 0, 0, "lab");
    ((int32_t *)q.cols[1].data)[0] = 2;
    ((int64_t *)q.cols[2].data)[0] = 5;
    set_str(&q, 3, 0, "missing_device");
    set_null(&q, 4, 0);
    set_null(&q, 5, 0);
    CHECK(cs_write_rows(c, X_BAD, INT64_MIN, true, &q, err, sizeof err) == SL_OK);
    /* the events table takes events, not rows; an unknown table is an error */
    CHECK(cs_write_rows(c, X_EVENTS, HA, true, &rows, err, sizeof err) == SL_OK); /* not an hourly table: ignored */
    CHECK(cs_write_rows(c, 4, HA, true, &rows, err, sizeof err) == SL_ERR_ARG);
    /* a Redset batch is neither a tiny events batch nor tiny_hourly rows */
    sl_batch rev, rq;
    make_events(HA, 3, &rev);
    make_rows(T_QUERY_HOURLY, HA, 2, 1, &rq);
    CHECK(cs_write_events(c, HA, &rev, idx + 3, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "device") != NULL);
    CHECK(cs_write_rows(c, X_HOURLY, HA, true, &rq, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "tiny_hourly") != NULL);
    sl_batch_free(&rev);
    sl_batch_free(&rq);
    /* an event with a NULL required column (device) poisons its hour, naming the column */
    sl_batch evc;
    tiny_events(ts, HC, 3, &evc);
    set_null(&evc, 0, 1);
    const uint32_t one = 1;
    CHECK(cs_write_events(c, HC, &evc, &one, 1, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "device") != NULL);
    CHECK(cs_publish_hour(c, HC, err, sizeof err) == SL_ERR_ARG);
    sl_batch_free(&evc);
    /* publish */
    CHECK(cs_publish_hour(c, HA, err, sizeof err) == SL_OK);
    CHECK(cs_publish_hour(c, HB, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(cs_published_count(c), 2);
    char want_path[1024], got_path[1024];
    snprintf(want_path, sizeof want_path, "%s/events/date=2024-03-01/hr=05/part-00000.parquet", d);
    CHECK(cs_events_path(c, HA, got_path, sizeof got_path));
    CHECK_EQ_STR(got_path, want_path);
    cs_close(c);
    c = NULL;
    {
        flist got = {0};
        walk(d, "", &got, NULL);
        const char *want[] = {"_manifests/events/date=2024-03-01/hr=05.manifest",
                              "_manifests/events/date=2024-03-01/hr=06.manifest",
                              "_manifests/tiny_hourly/date=2024-03-01/hr=05.manifest",
                              "events/date=2024-03-01/hr=05/part-00000.parquet",
                              "events/date=2024-03-01/hr=06/part-00000.parquet",
                              "tiny_hourly/date=2024-03-01/hr=05/part-00000.parquet"};
        CHECK_EQ_I64(got.n, 6);
        for (size_t i = 0; i < got.n && i < 6; i++) CHECK_EQ_STR(got.v[i], want[i]);
        flist_free(&got);
    }
    CHECK(!exists(d, "bad_rows"));
    CHECK(!exists(d, "late_events"));
    CHECK(!exists(d, "query_hourly"));
    /* the files hold the tiny columns and the values written */
    const char *enames[SC_MAX_COLS];
    for (int k = 0; k < (int)ts->nall; k++) enames[k] = sc_col_name(ts, k);
    CHECK_EQ_STR(enames[4], "source");
    check_file(d, "events/date=2024-03-01/hr=05/part-00000.parquet", &ev, idx, 5, (size_t)ts->row + 1, enames);
    check_file(d, "events/date=2024-03-01/hr=06/part-00000.parquet", &ev, idx, 1, (size_t)ts->row + 1, enames);
    const char *hnames[] = {"hour", "device", "readings", "temp_max"};
    check_file(d, "tiny_hourly/date=2024-03-01/hr=05/part-00000.parquet", &rows, NULL, 2, 4, hnames);
    check_one_manifest(d, "_manifests/events/date=2024-03-01/hr=05.manifest",
                       "events/date=2024-03-01/hr=05/part-00000.parquet", PREFIX);
    check_one_manifest(d, "_manifests/tiny_hourly/date=2024-03-01/hr=05.manifest",
                       "tiny_hourly/date=2024-03-01/hr=05/part-00000.parquet", PREFIX);
    /* republished with events only (another run, group sync): the stale hourly file goes */
    o.group_sync = true;
    CHECK(cs_open(&c, d, &o, ts, &tl, err, sizeof err) == SL_OK);
    if (c) {
        CHECK(cs_write_events(c, HA, &ev, idx, 2, err, sizeof err) == SL_OK);
        CHECK(cs_publish_hour(c, HA, err, sizeof err) == SL_OK);
        CHECK(exists(d, "tiny_hourly/date=2024-03-01/hr=05/part-00000.parquet")); /* until the flush */
        CHECK(cs_flush(c, err, sizeof err) == SL_OK);
        CHECK(!exists(d, "tiny_hourly/date=2024-03-01/hr=05/part-00000.parquet"));
        CHECK(!exists(d, "_manifests/tiny_hourly/date=2024-03-01/hr=05.manifest"));
        check_file(d, "events/date=2024-03-01/hr=05/part-00000.parquet", &ev, idx, 2, (size_t)ts->row + 1, enames);
        check_one_manifest(d, "_manifests/events/date=2024-03-01/hr=05.manifest",
                           "events/date=2024-03-01/hr=05/part-00000.parquet", PREFIX);
        CHECK(exists(d, "events/date=2024-03-01/hr=06/part-00000.parquet")); /* other hours untouched */
        cs_close(c);
    }
    sl_batch_free(&ev);
    sl_batch_free(&rows);
    sl_batch_free(&q);
done:
    tb_free(bad);
    tb_free(late);
    tb_free(events);
    sc_close(ts);
}

/* A store whose tables have no events table writes only hourly files. */
static void test_no_events_table(void) {
    const tb_def *tv[] = {&rs_cache_hourly};
    const tb_list tl = {tv, 1};
    char d[512];
    snprintf(d, sizeof d, "%s/noevents", g_root);
    cs *c = NULL;
    CHECK(cs_open(&c, d, NULL, S, &tl, err, sizeof err) == SL_OK);
    if (!c) return;
    sl_batch ev, b;
    make_events(HA, EV_N, &ev);
    CHECK(cs_write_events(c, HA, &ev, EV_IDX, EV_NIDX, err, sizeof err) == SL_ERR_ARG);
    CHECK(strstr(err, "no events table") != NULL);
    char p[1024];
    CHECK(!cs_events_path(c, HA, p, sizeof p));
    make_rows(T_CACHE_HOURLY, HA, 3, 1, &b); /* a batch of cache_hourly, index 0 of this list */
    CHECK(cs_write_rows(c, 0, HA, true, &b, err, sizeof err) == SL_OK);
    CHECK(cs_publish_hour(c, HA, err, sizeof err) == SL_OK);
    cs_close(c);
    CHECK(exists(d, "cache_hourly/date=2024-03-01/hr=05/part-00000.parquet"));
    CHECK(exists(d, "_manifests/cache_hourly/date=2024-03-01/hr=05.manifest"));
    CHECK(!exists(d, "events"));
    sl_batch_free(&ev);
    sl_batch_free(&b);
}

int main(void) {
    snprintf(g_root, sizeof g_root, "/tmp/sluice_test_cold_XXXXXX");
    if (!mkdtemp(g_root) || !tables_open()) return 2;
    RUN(test_layout_and_values);
    RUN(test_deterministic);
    RUN(test_stale_removed);
    RUN(test_unpublished_leaves_nothing);
    RUN(test_open_removes_leftovers);
    RUN(test_group_sync);
    RUN(test_errors);
    RUN(test_tiny_schema);
    RUN(test_no_events_table);
    rm_rf(g_root);
    tables_close();
    return T_DONE();
}
