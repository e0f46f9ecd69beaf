/* test_writer.c: Parquet writer round trips through the reader, footer
 * statistics, dictionary fallback, temp-file behaviour, Thrift encoder. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/source.h"
#include "parquet/reader.h"
#include "parquet/thrift_w.h"
#include "parquet/writer.h"
#include "t.h"

static char tmpdir[256];

static void setup_dir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice_test_writer_%ld", (long)getpid());
    mkdir(tmpdir, 0755);
}

static void cleanup_dir(void) {
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
}

/* number of directory entries whose name starts with prefix */
static int count_prefix(const char *prefix) {
    DIR *d = opendir(tmpdir);
    int n = 0;
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
    closedir(d);
    return n;
}

static bool exists(const char *p) { return access(p, F_OK) == 0; }

/* ------------------------------------------------------------------------ */
/* deterministic test data                                                  */

enum { C_BOOL, C_I32, C_I64, C_F32, C_F64, C_STR, C_TS, C_DISTINCT, C_ALLNULL, C_SPARSE, NCOLS };

static const pq_write_col COLS[NCOLS] = {
    {"b", {.type = SL_BOOL}, true},
    {"i32", {.type = SL_I32}, false},
    {"i64", {.type = SL_I64}, true},
    {"f32", {.type = SL_F32}, true},
    {"f64", {.type = SL_F64}, true},
    {"s", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true},
    {"ts", {.type = SL_I64, .logical = SL_LOG_TIMESTAMP, .unit = SL_UNIT_MICROS, .utc = true}, false},
    {"distinct", {.type = SL_BYTES, .logical = SL_LOG_STRING}, false},
    {"allnull", {.type = SL_I64}, true},
    {"sparse", {.type = SL_BYTES}, true},
};

static uint64_t h64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

typedef union val {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    struct { char s[64]; uint32_t len; } s;
} val;

/* Value of column c at row r; returns false for NULL. */
static bool gen(int c, size_t r, val *v) {
    uint64_t h = h64(r * 131 + (uint64_t)c);
    memset(v, 0, sizeof *v);
    switch (c) {
    case C_BOOL: v->b = (h & 3) == 0; return h % 7 != 0;
    case C_I32: v->i32 = (int32_t)(h % 2001) - 1000; return true;
    case C_I64: v->i64 = (int64_t)(h % 50) * 1000000007ll - 25000000000ll; return h % 5 != 0;
    case C_F32: v->f32 = (float)(h % 1000) / 8.0f - 60.0f; return h % 3 != 0;
    case C_F64:
        if (h % 97 == 0) v->f64 = NAN;
        else if (h % 89 == 0) v->f64 = -0.0;
        else v->f64 = (double)(int64_t)(h % 100000) / 3.0 - 1000.0;
        return h % 11 != 0;
    case C_STR: {
        int k = (int)(h % 40);
        if (k == 0) v->s.len = 0; /* empty string */
        else v->s.len = (uint32_t)snprintf(v->s.s, sizeof v->s.s, "val-%d\xc3\xa9", k);
        return h % 13 != 0;
    }
    case C_TS: v->i64 = 1709251200000000ll + (int64_t)r * 1000003ll; return true;
    case C_DISTINCT: v->s.len = (uint32_t)snprintf(v->s.s, sizeof v->s.s, "distinct-%08zu-%016llx", r, (unsigned long long)h); return true;
    case C_ALLNULL: return false;
    case C_SPARSE: v->s.len = (uint32_t)snprintf(v->s.s, sizeof v->s.s, "x%llu", (unsigned long long)(h % 5)); return h % 50 == 0;
    }
    return false;
}

static void batch_setup(sl_batch *b) {
    char err[SL_ERRLEN];
    sl_batch_init(b);
    for (int c = 0; c < NCOLS; c++) sl_batch_add_col(b, COLS[c].name, &COLS[c].type, COLS[c].nullable, err, sizeof err);
}

/* Fill b with rows [r0, r0+n). */
static void batch_fill(sl_batch *b, size_t r0, size_t n) {
    char err[SL_ERRLEN];
    sl_batch_reset(b);
    sl_batch_reserve(b, n, err, sizeof err);
    b->nrows = n;
    for (int c = 0; c < NCOLS; c++) {
        sl_col *col = &b->cols[c];
        col->null_count = 0;
        for (size_t i = 0; i < n; i++) {
            val v;
            bool ok = gen(c, r0 + i, &v);
            if (!ok) {
                uint8_t *valid = sl_col_valid_alloc(b, (size_t)c);
                sl_bit_clear(valid, i);
                col->null_count++;
            }
            switch (col->t.type) {
            case SL_BOOL: ((uint8_t *)col->data)[i] = ok ? v.b : 0; break;
            case SL_I32: ((int32_t *)col->data)[i] = ok ? v.i32 : 0; break;
            case SL_I64: ((int64_t *)col->data)[i] = ok ? v.i64 : 0; break;
            case SL_F32: ((float *)col->data)[i] = ok ? v.f32 : 0; break;
            case SL_F64: ((double *)col->data)[i] = ok ? v.f64 : 0; break;
            case SL_BYTES: {
                sl_str s = {NULL, 0};
                if (ok && v.s.len) s.ptr = sl_arena_dup(&b->arena, v.s.s, v.s.len);
                s.len = ok ? v.s.len : 0;
                ((sl_str *)col->data)[i] = s;
                break;
            }
            }
        }
    }
}

static sl_err write_file(const char *path, size_t rows, size_t batch_rows, const pq_writer_opts *o, pq_writer_stats *st) {
    char err[SL_ERRLEN];
    pq_writer *w;
    sl_err e = pq_writer_open(&w, path, COLS, NCOLS, o, err, sizeof err);
    if (e != SL_OK) {
        fprintf(stderr, "  open: %s\n", err);
        return e;
    }
    sl_batch b;
    batch_setup(&b);
    for (size_t r = 0; r < rows; r += batch_rows) {
        size_t n = rows - r < batch_rows ? rows - r : batch_rows;
        batch_fill(&b, r, n);
        if ((e = pq_writer_write(w, &b, err, sizeof err)) != SL_OK) {
            fprintf(stderr, "  write: %s\n", err);
            pq_writer_abort(w);
            sl_batch_free(&b);
            return e;
        }
    }
    sl_batch_free(&b);
    e = pq_writer_close_stats(w, st, err, sizeof err);
    if (e != SL_OK) fprintf(stderr, "  close: %s\n", err);
    return e;
}

typedef struct rd {
    sl_source *src;
    pq_reader *r;
} rd;

static bool rd_open(rd *x, const char *path) {
    char err[SL_ERRLEN];
    memset(x, 0, sizeof *x);
    if (sl_source_open_file(&x->src, path, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  %s\n", err);
        return false;
    }
    if (pq_reader_open(&x->r, x->src, NULL, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  %s\n", err);
        sl_source_close(x->src);
        return false;
    }
    return true;
}

static void rd_close(rd *x) {
    pq_reader_close(x->r);
    sl_source_close(x->src);
}

static bool same_f64(double a, double b) { return memcmp(&a, &b, 8) == 0 || (isnan(a) && isnan(b)); }
static bool same_f32(float a, float b) { return memcmp(&a, &b, 4) == 0 || (isnan(a) && isnan(b)); }

/* Read the file back and compare every value with gen(); returns mismatches. */
static long verify_values(const char *path, size_t rows) {
    rd x;
    if (!rd_open(&x, path)) return -1;
    char err[SL_ERRLEN];
    sl_batch b;
    sl_batch_init(&b);
    long bad = 0;
    if (pq_reader_init_batch(x.r, &b, err, sizeof err) != SL_OK || b.ncols != NCOLS) bad++;
    size_t r = 0;
    for (;;) {
        long n = pq_reader_next(x.r, &b, 1000, err, sizeof err);
        if (n < 0) {
            fprintf(stderr, "  read: %s\n", err);
            bad++;
            break;
        }
        if (n == 0) break;
        for (int c = 0; c < NCOLS && !bad; c++) {
            const sl_col *col = &b.cols[c];
            for (long i = 0; i < n; i++) {
                val v;
                bool ok = gen(c, r + (size_t)i, &v);
                bool isnull = sl_col_is_null(col, (size_t)i);
                bool eq = ok != isnull;
                if (eq && ok) {
                    switch (col->t.type) {
                    case SL_BOOL: eq = ((uint8_t *)col->data)[i] == v.b; break;
                    case SL_I32: eq = ((int32_t *)col->data)[i] == v.i32; break;
                    case SL_I64: eq = ((int64_t *)col->data)[i] == v.i64; break;
                    case SL_F32: eq = same_f32(((float *)col->data)[i], v.f32); break;
                    case SL_F64: eq = same_f64(((double *)col->data)[i], v.f64); break;
                    case SL_BYTES: {
                        sl_str s = ((sl_str *)col->data)[i];
                        eq = s.len == v.s.len && (!s.len || !memcmp(s.ptr, v.s.s, s.len));
                        break;
                    }
                    }
                }
                if (!eq) {
                    if (bad < 5) fprintf(stderr, "  %s: row %zu column %s differs\n", path, r + (size_t)i, COLS[c].name);
                    bad++;
                }
            }
        }
        r += (size_t)n;
    }
    if (r != rows) {
        fprintf(stderr, "  %s: read %zu rows, expected %zu\n", path, r, rows);
        bad++;
    }
    sl_batch_free(&b);
    rd_close(&x);
    return bad;
}

static int cmp_str(const char *a, uint32_t an, const char *b, uint32_t bn) {
    size_t m = an < bn ? an : bn;
    int r = m ? memcmp(a, b, m) : 0;
    return r ? r : an < bn ? -1 : an > bn ? 1 : 0;
}

/* Check every column chunk's statistics against gen() over its row range. */
static long verify_stats(const char *path) {
    rd x;
    if (!rd_open(&x, path)) return -1;
    const pq_meta *m = pq_reader_meta(x.r);
    long bad = 0;
    size_t r0 = 0;
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        for (int c = 0; c < NCOLS; c++) {
            const pq_column_meta *cm = &rg->columns[c].meta;
            const pq_leaf *L = pq_reader_leaf(x.r, (size_t)c);
            int64_t nulls = 0;
            bool have = false;
            val mn, mx;
            memset(&mn, 0, sizeof mn);
            memset(&mx, 0, sizeof mx);
            for (size_t r = r0; r < r0 + (size_t)rg->num_rows; r++) {
                val v;
                if (!gen(c, r, &v)) {
                    nulls++;
                    continue;
                }
                bool lt = false, gt = false;
                switch (COLS[c].type.type) {
                case SL_BOOL: lt = v.b < mn.b; gt = v.b > mx.b; break;
                case SL_I32: lt = v.i32 < mn.i32; gt = v.i32 > mx.i32; break;
                case SL_I64: lt = v.i64 < mn.i64; gt = v.i64 > mx.i64; break;
                case SL_F32: if (isnan(v.f32)) continue; lt = v.f32 < mn.f32; gt = v.f32 > mx.f32; break;
                case SL_F64: if (isnan(v.f64)) continue; lt = v.f64 < mn.f64; gt = v.f64 > mx.f64; break;
                case SL_BYTES: lt = cmp_str(v.s.s, v.s.len, mn.s.s, mn.s.len) < 0; gt = cmp_str(v.s.s, v.s.len, mx.s.s, mx.s.len) > 0; break;
                }
                if (!have || lt) mn = v;
                if (!have || gt) mx = v;
                have = true;
            }
            if (!cm->has_stats || !cm->stats.has_null_count || cm->stats.null_count != nulls) {
                fprintf(stderr, "  rg %u %s: null_count %lld, expected %lld\n", g, COLS[c].name, (long long)cm->stats.null_count, (long long)nulls);
                bad++;
            }
            if (cm->stats.has_min != have || cm->stats.has_max != have) {
                fprintf(stderr, "  rg %u %s: has_min %d, expected %d\n", g, COLS[c].name, cm->stats.has_min, have);
                bad++;
                continue;
            }
            if (!have) continue;
            if (cm->stats.legacy_minmax) bad++; /* new fields 5/6 must be present */
            pq_scalar smin, smax;
            if (pq_stat_decode(L, cm->stats.min, &smin) != SL_OK || pq_stat_decode(L, cm->stats.max, &smax) != SL_OK) {
                bad++;
                continue;
            }
            bool ok = true;
            switch (COLS[c].type.type) {
            case SL_BOOL: ok = smin.b == mn.b && smax.b == mx.b; break;
            case SL_I32: ok = smin.i32 == mn.i32 && smax.i32 == mx.i32; break;
            case SL_I64: ok = smin.i64 == mn.i64 && smax.i64 == mx.i64; break;
            case SL_F32: ok = smin.f32 == mn.f32 && smax.f32 == mx.f32; break;
            case SL_F64:
                ok = smin.f64 == mn.f64 && smax.f64 == mx.f64;
                if (mn.f64 == 0) ok = ok && signbit(smin.f64);
                if (mx.f64 == 0) ok = ok && !signbit(smax.f64);
                break;
            case SL_BYTES:
                ok = !cmp_str(smin.s.ptr, smin.s.len, mn.s.s, mn.s.len) && !cmp_str(smax.s.ptr, smax.s.len, mx.s.s, mx.s.len);
                break;
            }
            if (!ok) {
                fprintf(stderr, "  rg %u %s: min/max differ from the data\n", g, COLS[c].name);
                bad++;
            }
        }
        r0 += (size_t)rg->num_rows;
    }
    rd_close(&x);
    return bad;
}

/* ------------------------------------------------------------------------ */

static void test_roundtrip_matrix(void) {
    const pq_codec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_ZSTD};
    for (int ci = 0; ci < 3; ci++)
        for (int pv = 1; pv <= 2; pv++)
            for (int dict = 0; dict <= 1; dict++) {
                char path[512];
                snprintf(path, sizeof path, "%s/m_%d_%d_%d.parquet", tmpdir, ci, pv, dict);
                pq_writer_opts o = pq_writer_opts_default();
                o.codec = codecs[ci];
                o.page_version = pv;
                o.dictionary = dict;
                o.row_group_rows = 1500;
                o.page_bytes = 2000;
                pq_writer_stats st;
                memset(&st, 0, sizeof st);
                CHECK_EQ_I64(write_file(path, 5000, 777, &o, &st), SL_OK);
                CHECK_EQ_I64(st.rows, 5000);
                CHECK_EQ_I64(st.row_groups, 4);
                CHECK(st.pages > 4 * NCOLS); /* several pages per chunk */
                CHECK_EQ_I64(verify_values(path, 5000), 0);
                CHECK_EQ_I64(verify_stats(path), 0);
                rd x;
                if (!rd_open(&x, path)) {
                    CHECK(0);
                    continue;
                }
                const pq_meta *m = pq_reader_meta(x.r);
                CHECK_EQ_I64(m->num_rows, 5000);
                CHECK_EQ_I64(m->n_row_groups, 4);
                if (m->n_row_groups == 4) {
                    CHECK_EQ_I64(m->row_groups[0].num_rows, 1500);
                    CHECK_EQ_I64(m->row_groups[3].num_rows, 500);
                    const pq_column_meta *cm = &m->row_groups[0].columns[C_STR].meta;
                    CHECK_EQ_I64(cm->codec, codecs[ci]);
                    CHECK_EQ_I64(cm->has_dictionary_page_offset, dict);
                    bool has_rd = false;
                    for (uint32_t k = 0; k < cm->n_encodings; k++) has_rd |= cm->encodings[k] == PQ_ENC_RLE_DICTIONARY;
                    CHECK_EQ_I64(has_rd, dict);
                    /* booleans are never dictionary-encoded */
                    CHECK(!m->row_groups[0].columns[C_BOOL].meta.has_dictionary_page_offset);
                }
                CHECK_EQ_STR(m->schema[0].name, "schema");
                CHECK_EQ_I64(m->schema[1 + C_STR].converted, PQ_CT_UTF8);
                CHECK_EQ_I64(m->schema[1 + C_STR].logical.kind, PQ_LT_STRING);
                CHECK_EQ_I64(m->schema[1 + C_TS].logical.kind, PQ_LT_TIMESTAMP);
                CHECK_EQ_I64(m->schema[1 + C_TS].logical.unit, PQ_UNIT_MICROS);
                CHECK(m->schema[1 + C_TS].logical.utc);
                CHECK_EQ_I64(m->schema[1 + C_TS].converted, PQ_CT_TIMESTAMP_MICROS);
                CHECK_EQ_I64(m->schema[1 + C_I32].repetition, PQ_REQUIRED);
                CHECK_EQ_I64(m->schema[1 + C_I64].repetition, PQ_OPTIONAL);
                CHECK_EQ_STR(m->created_by, "sluice version 0.1.0");
                rd_close(&x);
            }
}

/* Many distinct strings with a small dictionary limit: dictionary pages, then PLAIN. */
static void test_dict_fallback(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/fallback.parquet", tmpdir);
    pq_writer_opts o = pq_writer_opts_default();
    o.dict_max_bytes = 4096;
    o.page_bytes = 1024;
    o.row_group_rows = 3000;
    pq_writer_stats st;
    memset(&st, 0, sizeof st);
    CHECK_EQ_I64(write_file(path, 6000, 1000, &o, &st), SL_OK);
    CHECK(st.dict_fallbacks >= 2);
    CHECK_EQ_I64(verify_values(path, 6000), 0);
    CHECK_EQ_I64(verify_stats(path), 0);
    rd x;
    if (!rd_open(&x, path)) {
        CHECK(0);
        return;
    }
    const pq_meta *m = pq_reader_meta(x.r);
    CHECK_EQ_I64(m->n_row_groups, 2);
    for (uint32_t g = 0; g < m->n_row_groups; g++) {
        /* "distinct": 33-byte unique strings; a 4 KiB dictionary fills after ~110 values.  The first
         * page (1 KiB of indices = 256 values) triggers the limit: whether the dictionary pays on that
         * page decides if the chunk keeps a dictionary page; either way PLAIN pages follow. */
        const pq_column_meta *cm = &m->row_groups[g].columns[C_DISTINCT].meta;
        bool plain = false;
        for (uint32_t k = 0; k < cm->n_encodings; k++) plain |= cm->encodings[k] == PQ_ENC_PLAIN;
        CHECK(plain);
        CHECK(!cm->has_dictionary_page_offset); /* distinct values never pay */
        /* "s": 40 distinct short values: dictionary for the whole chunk */
        const pq_column_meta *cs = &m->row_groups[g].columns[C_STR].meta;
        CHECK(cs->has_dictionary_page_offset);
        /* "i64": 50 distinct values -> dictionary */
        CHECK(m->row_groups[g].columns[C_I64].meta.has_dictionary_page_offset);
    }
    rd_close(&x);

    /* a dictionary that pays but overflows: dictionary page + dictionary pages + PLAIN pages */
    snprintf(path, sizeof path, "%s/fallback2.parquet", tmpdir);
    static const pq_write_col one[1] = {{"k", {.type = SL_I64}, false}};
    pq_writer_opts o2 = pq_writer_opts_default();
    o2.dict_max_bytes = 8 * 100; /* 100 int64 entries */
    o2.page_bytes = 4 * 1000;    /* 1000 indices per page */
    char err[SL_ERRLEN];
    pq_writer *w;
    CHECK_EQ_I64(pq_writer_open(&w, path, one, 1, &o2, err, sizeof err), SL_OK);
    sl_batch b;
    sl_batch_init(&b);
    sl_batch_add_col(&b, "k", &one[0].type, false, err, sizeof err);
    sl_batch_reserve(&b, 10000, err, sizeof err);
    b.nrows = 10000;
    int64_t *d = b.cols[0].data;
    /* first 5000 rows cycle through 60 values (pays), then 5000 distinct values */
    for (int i = 0; i < 10000; i++) d[i] = i < 5000 ? (i % 60) * 1000 : 1000000 + i;
    CHECK_EQ_I64(pq_writer_write(w, &b, err, sizeof err), SL_OK);
    CHECK_EQ_I64(pq_writer_get_stats(w)->dict_fallbacks, 1);
    CHECK_EQ_I64(pq_writer_close(w, err, sizeof err), SL_OK);
    if (rd_open(&x, path)) {
        m = pq_reader_meta(x.r);
        const pq_column_meta *cm = &m->row_groups[0].columns[0].meta;
        CHECK(cm->has_dictionary_page_offset);
        bool plain = false, rdict = false;
        for (uint32_t k = 0; k < cm->n_encodings; k++) {
            plain |= cm->encodings[k] == PQ_ENC_PLAIN;
            rdict |= cm->encodings[k] == PQ_ENC_RLE_DICTIONARY;
        }
        CHECK(plain && rdict);
        CHECK_EQ_I64(cm->stats.null_count, 0);
        pq_scalar mn, mx;
        pq_stat_decode(pq_reader_leaf(x.r, 0), cm->stats.min, &mn);
        pq_stat_decode(pq_reader_leaf(x.r, 0), cm->stats.max, &mx);
        CHECK_EQ_I64(mn.i64, 0);
        CHECK_EQ_I64(mx.i64, 1000000 + 9999);
        sl_batch rb;
        sl_batch_init(&rb);
        pq_reader_init_batch(x.r, &rb, err, sizeof err);
        long n, r = 0, bad = 0;
        while ((n = pq_reader_next(x.r, &rb, 4096, err, sizeof err)) > 0) {
            for (long i = 0; i < n; i++) bad += ((int64_t *)rb.cols[0].data)[i] != d[r + i];
            r += n;
        }
        CHECK_EQ_I64(n, 0);
        CHECK_EQ_I64(r, 10000);
        CHECK_EQ_I64(bad, 0);
        sl_batch_free(&rb);
        rd_close(&x);
    } else {
        CHECK(0);
    }
    sl_batch_free(&b);
}

/* 1 MB strings, empty strings and NULLs; huge min/max are left out of the footer. */
static void test_long_strings(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/long.parquet", tmpdir);
    static const pq_write_col one[1] = {{"s", {.type = SL_BYTES, .logical = SL_LOG_STRING}, true}};
    char err[SL_ERRLEN];
    pq_writer *w;
    pq_writer_opts o = pq_writer_opts_default();
    CHECK_EQ_I64(pq_writer_open(&w, path, one, 1, &o, err, sizeof err), SL_OK);
    size_t big = 1u << 20;
    char *s1 = malloc(big), *s2 = malloc(big);
    for (size_t i = 0; i < big; i++) {
        s1[i] = (char)('a' + i % 26);
        s2[i] = (char)('A' + (i * 7) % 26);
    }
    sl_batch b;
    sl_batch_init(&b);
    sl_batch_add_col(&b, "s", &one[0].type, true, err, sizeof err);
    sl_batch_reserve(&b, 5, err, sizeof err);
    b.nrows = 5;
    sl_str *d = b.cols[0].data;
    d[0] = (sl_str){s1, (uint32_t)big};
    d[1] = (sl_str){"", 0};
    d[2] = (sl_str){NULL, 0};
    d[3] = (sl_str){s2, (uint32_t)big};
    d[4] = (sl_str){s1, (uint32_t)big};
    uint8_t *valid = sl_col_valid_alloc(&b, 0);
    sl_bit_clear(valid, 2);
    b.cols[0].null_count = 1;
    CHECK_EQ_I64(pq_writer_write(w, &b, err, sizeof err), SL_OK);
    CHECK_EQ_I64(pq_writer_close(w, err, sizeof err), SL_OK);
    rd x;
    if (rd_open(&x, path)) {
        const pq_meta *m = pq_reader_meta(x.r);
        const pq_column_meta *cm = &m->row_groups[0].columns[0].meta;
        CHECK(cm->stats.has_null_count && cm->stats.null_count == 1);
        CHECK(!cm->stats.has_min && !cm->stats.has_max);
        sl_batch rb;
        sl_batch_init(&rb);
        pq_reader_init_batch(x.r, &rb, err, sizeof err);
        long n = pq_reader_next(x.r, &rb, 100, err, sizeof err);
        CHECK_EQ_I64(n, 5);
        if (n == 5) {
            sl_str *g = rb.cols[0].data;
            CHECK(g[0].len == big && !memcmp(g[0].ptr, s1, big));
            CHECK(g[1].len == 0 && !sl_col_is_null(&rb.cols[0], 1));
            CHECK(sl_col_is_null(&rb.cols[0], 2));
            CHECK(g[3].len == big && !memcmp(g[3].ptr, s2, big));
            CHECK(g[4].len == big && !memcmp(g[4].ptr, s1, big));
        }
        sl_batch_free(&rb);
        rd_close(&x);
    } else {
        CHECK(0);
    }
    sl_batch_free(&b);
    free(s1);
    free(s2);
}

/* Doubles: NaN ignored, -0.0/+0.0 normalised, all-NaN gives no min/max. */
static void test_float_stats(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/floats.parquet", tmpdir);
    static const pq_write_col cols[3] = {{"a", {.type = SL_F64}, false}, {"b", {.type = SL_F64}, false}, {"c", {.type = SL_F32}, true}};
    for (int dict = 0; dict <= 1; dict++) {
        char err[SL_ERRLEN];
        pq_writer *w;
        pq_writer_opts o = pq_writer_opts_default();
        o.dictionary = dict;
        CHECK_EQ_I64(pq_writer_open(&w, path, cols, 3, &o, err, sizeof err), SL_OK);
        sl_batch b;
        sl_batch_init(&b);
        for (int c = 0; c < 3; c++) sl_batch_add_col(&b, cols[c].name, &cols[c].type, cols[c].nullable, err, sizeof err);
        sl_batch_reserve(&b, 4, err, sizeof err);
        b.nrows = 4;
        double *a = b.cols[0].data, *bb = b.cols[1].data;
        float *cc = b.cols[2].data;
        a[0] = 0.0; a[1] = NAN; a[2] = 5.5; a[3] = 2.0;     /* min is zero -> -0.0 */
        bb[0] = NAN; bb[1] = NAN; bb[2] = NAN; bb[3] = NAN;  /* no min/max */
        cc[0] = -3.0f; cc[1] = -0.0f; cc[2] = NAN; cc[3] = 0; /* max is zero -> +0.0; row 3 NULL */
        uint8_t *valid = sl_col_valid_alloc(&b, 2);
        sl_bit_clear(valid, 3);
        b.cols[2].null_count = 1;
        CHECK_EQ_I64(pq_writer_write(w, &b, err, sizeof err), SL_OK);
        CHECK_EQ_I64(pq_writer_close(w, err, sizeof err), SL_OK);
        sl_batch_free(&b);
        rd x;
        if (!rd_open(&x, path)) {
            CHECK(0);
            continue;
        }
        const pq_row_group *rg = &pq_reader_meta(x.r)->row_groups[0];
        pq_scalar mn, mx;
        const pq_stats *s0 = &rg->columns[0].meta.stats;
        CHECK(s0->has_min && s0->has_max);
        pq_stat_decode(pq_reader_leaf(x.r, 0), s0->min, &mn);
        pq_stat_decode(pq_reader_leaf(x.r, 0), s0->max, &mx);
        CHECK(mn.f64 == 0 && signbit(mn.f64));
        CHECK(mx.f64 == 5.5);
        const pq_stats *s1 = &rg->columns[1].meta.stats;
        CHECK(!s1->has_min && !s1->has_max);
        CHECK_EQ_I64(s1->null_count, 0);
        const pq_stats *s2 = &rg->columns[2].meta.stats;
        CHECK(s2->has_min && s2->has_max);
        CHECK_EQ_I64(s2->null_count, 1);
        pq_stat_decode(pq_reader_leaf(x.r, 2), s2->min, &mn);
        pq_stat_decode(pq_reader_leaf(x.r, 2), s2->max, &mx);
        CHECK(mn.f32 == -3.0f);
        CHECK(mx.f32 == 0 && !signbit(mx.f32));
        /* values keep their bits (-0.0 stays -0.0, NaN stays NaN) */
        sl_batch rb;
        sl_batch_init(&rb);
        pq_reader_init_batch(x.r, &rb, err, sizeof err);
        CHECK_EQ_I64(pq_reader_next(x.r, &rb, 100, err, sizeof err), 4);
        float *gc = rb.cols[2].data;
        CHECK(gc[1] == 0 && signbit(gc[1]));
        CHECK(isnan(gc[2]));
        CHECK(isnan(((double *)rb.cols[0].data)[1]));
        sl_batch_free(&rb);
        rd_close(&x);
    }
}

static void test_empty_file(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/empty.parquet", tmpdir);
    pq_writer_opts o = pq_writer_opts_default();
    pq_writer_stats st;
    CHECK_EQ_I64(write_file(path, 0, 100, &o, &st), SL_OK);
    CHECK_EQ_I64(st.row_groups, 0);
    rd x;
    if (rd_open(&x, path)) {
        CHECK_EQ_I64(pq_reader_meta(x.r)->num_rows, 0);
        CHECK_EQ_I64(pq_reader_meta(x.r)->n_row_groups, 0);
        CHECK_EQ_I64(pq_reader_num_leaves(x.r), NCOLS);
        rd_close(&x);
    } else {
        CHECK(0);
    }
    /* one row */
    CHECK_EQ_I64(write_file(path, 1, 100, &o, &st), SL_OK);
    CHECK_EQ_I64(verify_values(path, 1), 0);
    CHECK_EQ_I64(verify_stats(path), 0);
}

static void test_kv_and_row_group_bytes(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/kv.parquet", tmpdir);
    pq_kv kv[2] = {{"source", "unit-test"}, {"empty", NULL}};
    pq_writer_opts o = pq_writer_opts_default();
    o.kv = kv;
    o.n_kv = 2;
    o.row_group_bytes = 20000; /* a few hundred rows per row group */
    pq_writer_stats st;
    CHECK_EQ_I64(write_file(path, 3000, 500, &o, &st), SL_OK);
    CHECK(st.row_groups > 3);
    CHECK_EQ_I64(verify_values(path, 3000), 0);
    CHECK_EQ_I64(verify_stats(path), 0);
    rd x;
    if (!rd_open(&x, path)) {
        CHECK(0);
        return;
    }
    const pq_meta *m = pq_reader_meta(x.r);
    CHECK_EQ_I64(m->n_row_groups, st.row_groups);
    int found = 0;
    for (uint32_t k = 0; k < m->n_kv; k++) {
        if (!strcmp(m->kv[k].key, "writer") && m->kv[k].value && !strcmp(m->kv[k].value, "sluice 0.1.0")) found |= 1;
        if (!strcmp(m->kv[k].key, "source") && m->kv[k].value && !strcmp(m->kv[k].value, "unit-test")) found |= 2;
        if (!strcmp(m->kv[k].key, "empty") && !m->kv[k].value) found |= 4;
    }
    CHECK_EQ_I64(found, 7);
    rd_close(&x);
}

static void test_temp_file(void) {
    char path[512], err[SL_ERRLEN];
    snprintf(path, sizeof path, "%s/final.parquet", tmpdir);
    unlink(path);
    pq_writer *w;
    pq_writer_opts o = pq_writer_opts_default();
    CHECK_EQ_I64(pq_writer_open(&w, path, COLS, NCOLS, &o, err, sizeof err), SL_OK);
    sl_batch b;
    batch_setup(&b);
    batch_fill(&b, 0, 100);
    CHECK_EQ_I64(pq_writer_write(w, &b, err, sizeof err), SL_OK);
    CHECK(!exists(path));
    CHECK_EQ_I64(count_prefix(".final.parquet.tmp-"), 1);
    CHECK_EQ_I64(pq_writer_close(w, err, sizeof err), SL_OK);
    CHECK(exists(path));
    CHECK_EQ_I64(count_prefix(".final.parquet.tmp-"), 0);
    CHECK_EQ_I64(verify_values(path, 100), 0);

    /* abort: temp file removed, the existing final file untouched */
    struct stat before, after;
    stat(path, &before);
    CHECK_EQ_I64(pq_writer_open(&w, path, COLS, NCOLS, &o, err, sizeof err), SL_OK);
    batch_fill(&b, 0, 50);
    CHECK_EQ_I64(pq_writer_write(w, &b, err, sizeof err), SL_OK);
    CHECK_EQ_I64(count_prefix(".final.parquet.tmp-"), 1);
    pq_writer_abort(w);
    CHECK_EQ_I64(count_prefix(".final.parquet.tmp-"), 0);
    stat(path, &after);
    CHECK_EQ_I64(after.st_size, before.st_size);
    CHECK_EQ_I64(verify_values(path, 100), 0);

    /* abort of a new name: nothing at all is left */
    char p2[512];
    snprintf(p2, sizeof p2, "%s/aborted.parquet", tmpdir);
    CHECK_EQ_I64(pq_writer_open(&w, p2, COLS, NCOLS, &o, err, sizeof err), SL_OK);
    pq_writer_abort(w);
    CHECK(!exists(p2));
    CHECK_EQ_I64(count_prefix(".aborted"), 0);

    /* a failed write (type mismatch) then close: error, no file, no temp */
    CHECK_EQ_I64(pq_writer_open(&w, p2, COLS, NCOLS, &o, err, sizeof err), SL_OK);
    b.cols[C_I64].t.type = SL_F64;
    sl_err e = pq_writer_write(w, &b, err, sizeof err);
    CHECK_EQ_I64(e, SL_ERR_ARG);
    CHECK(strstr(err, "batch column 2 is SL_F64 but the writer's column 'i64' is INT64") != NULL);
    b.cols[C_I64].t.type = SL_I64;
    CHECK_EQ_I64(pq_writer_write(w, &b, err, sizeof err), SL_OK); /* a type mismatch does not poison the writer */
    pq_writer_abort(w);
    CHECK(!exists(p2));

    /* NULL in a required column */
    CHECK_EQ_I64(pq_writer_open(&w, p2, COLS, NCOLS, &o, err, sizeof err), SL_OK);
    uint8_t *valid = sl_col_valid_alloc(&b, C_I32);
    sl_bit_clear(valid, 3);
    b.cols[C_I32].null_count = 1;
    CHECK_EQ_I64(pq_writer_write(w, &b, err, sizeof err), SL_ERR_ARG);
    CHECK(strstr(err, "'i32' is required") != NULL);
    pq_writer_abort(w);
    CHECK(!exists(p2));
    sl_batch_free(&b);

    /* missing directory */
    char p3[512];
    snprintf(p3, sizeof p3, "%s/no/such/dir/out.parquet", tmpdir);
    e = pq_writer_open(&w, p3, COLS, NCOLS, &o, err, sizeof err);
    CHECK_EQ_I64(e, SL_ERR_IO);
    CHECK(strstr(err, "cannot create temporary file") != NULL);
    CHECK(strstr(err, "No such file or directory") != NULL);
    CHECK(strncmp(err, p3, strlen(p3)) == 0);

    /* unsupported logical type */
    pq_write_col dec = {"d", {.type = SL_I64, .logical = SL_LOG_DECIMAL, .precision = 10, .scale = 2}, false};
    e = pq_writer_open(&w, p2, &dec, 1, &o, err, sizeof err);
    CHECK_EQ_I64(e, SL_ERR_UNSUPPORTED);
    CHECK(strstr(err, "DECIMAL") != NULL);
    CHECK(!exists(p2));
}

/* The page CRC is written and checked: flipping a byte of a page body fails the read. */
static void test_crc(void) {
    char path[512], err[SL_ERRLEN];
    snprintf(path, sizeof path, "%s/crc.parquet", tmpdir);
    for (int pv = 1; pv <= 2; pv++) {
        pq_writer_opts o = pq_writer_opts_default();
        o.page_version = pv;
        pq_writer_stats st;
        CHECK_EQ_I64(write_file(path, 1000, 1000, &o, &st), SL_OK);
        rd x;
        if (!rd_open(&x, path)) {
            CHECK(0);
            return;
        }
        int64_t off = pq_reader_meta(x.r)->row_groups[0].columns[C_I32].meta.data_page_offset;
        rd_close(&x);
        FILE *f = fopen(path, "r+b");
        uint8_t buf[4096];
        fseek(f, off, SEEK_SET);
        size_t got = fread(buf, 1, sizeof buf, f);
        pq_page_header h;
        size_t hl = 0;
        CHECK_EQ_I64(pq_page_header_parse(&h, buf, got, &hl, err, sizeof err), SL_OK);
        CHECK(h.has_crc);
        CHECK_EQ_I64(h.type, pv == 2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA);
        CHECK(h.compressed_page_size > 10);
        uint8_t c = buf[hl + (size_t)h.compressed_page_size - 1] ^ 0x40;
        fseek(f, off + (long)hl + h.compressed_page_size - 1, SEEK_SET);
        fwrite(&c, 1, 1, f);
        fclose(f);
        if (!rd_open(&x, path)) {
            CHECK(0);
            return;
        }
        sl_batch b;
        sl_batch_init(&b);
        pq_reader_init_batch(x.r, &b, err, sizeof err);
        long n = pq_reader_next(x.r, &b, 1000, err, sizeof err);
        CHECK_EQ_I64(n, SL_ERR_CHECKSUM);
        sl_batch_free(&b);
        rd_close(&x);
    }
}

/* ------------------------------------------------------------------------ */
/* Thrift encoder round trips through the existing decoders                 */

static void test_thrift_page_header(void) {
    sl_buf buf;
    sl_buf_init(&buf);
    pq_tw t;
    pq_tw_init(&t, &buf);
    pq_tw_struct_begin(&t);
    pq_tw_i32(&t, 1, PQ_PAGE_DATA_V2);
    pq_tw_i32(&t, 2, 123456789);
    pq_tw_i32(&t, 3, 77);
    pq_tw_i32(&t, 4, (int32_t)0xdeadbeefu);
    pq_tw_field_struct(&t, 8);
    pq_tw_i32(&t, 1, 1000);
    pq_tw_i32(&t, 2, 17);
    pq_tw_i32(&t, 3, 999);
    pq_tw_i32(&t, 4, PQ_ENC_RLE_DICTIONARY);
    pq_tw_i32(&t, 5, 40);
    pq_tw_i32(&t, 6, 0);
    pq_tw_bool(&t, 7, false);
    pq_tw_field_struct(&t, 8); /* statistics */
    pq_tw_i64(&t, 3, 17);
    pq_tw_binary(&t, 5, "zz", 2);
    pq_tw_binary(&t, 6, "aa", 2);
    pq_tw_struct_end(&t);
    pq_tw_struct_end(&t);
    pq_tw_i64(&t, 40, -5); /* unknown field, long form: skipped by the reader */
    pq_tw_struct_end(&t);
    CHECK(pq_tw_ok(&t));
    pq_page_header h;
    size_t used = 0;
    char err[SL_ERRLEN];
    CHECK_EQ_I64(pq_page_header_parse(&h, (const uint8_t *)buf.p, buf.len, &used, err, sizeof err), SL_OK);
    CHECK_EQ_I64(used, buf.len);
    CHECK_EQ_I64(h.type, PQ_PAGE_DATA_V2);
    CHECK_EQ_I64(h.uncompressed_page_size, 123456789);
    CHECK_EQ_I64(h.compressed_page_size, 77);
    CHECK(h.has_crc && h.crc == 0xdeadbeefu);
    CHECK(h.has_data_v2);
    CHECK_EQ_I64(h.data_v2.num_values, 1000);
    CHECK_EQ_I64(h.data_v2.num_nulls, 17);
    CHECK_EQ_I64(h.data_v2.num_rows, 999);
    CHECK_EQ_I64(h.data_v2.encoding, PQ_ENC_RLE_DICTIONARY);
    CHECK_EQ_I64(h.data_v2.def_levels_byte_length, 40);
    CHECK(!h.data_v2.is_compressed);
    CHECK(h.data_v2.has_stats && h.data_v2.stats.null_count == 17);
    CHECK(h.data_v2.stats.has_min && h.data_v2.stats.min.len == 2 && !memcmp(h.data_v2.stats.min.ptr, "aa", 2));
    CHECK(h.data_v2.stats.has_max && !memcmp(h.data_v2.stats.max.ptr, "zz", 2));
    /* truncated input is reported as such */
    CHECK_EQ_I64(pq_page_header_parse(&h, (const uint8_t *)buf.p, buf.len - 3, &used, err, sizeof err), PQ_TRUNCATED);
    sl_buf_free(&buf);
}

static void test_thrift_file_meta(void) {
    sl_buf buf;
    sl_buf_init(&buf);
    pq_tw t;
    pq_tw_init(&t, &buf);
    enum { N = 20 }; /* >= 15 list elements use the long list header */
    pq_tw_struct_begin(&t);
    pq_tw_i32(&t, 1, 2);
    pq_tw_field_list(&t, 2, PQ_THRIFT_STRUCT, N + 1);
    pq_tw_struct_begin(&t);
    pq_tw_string(&t, 4, "schema");
    pq_tw_i32(&t, 5, N);
    pq_tw_struct_end(&t);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "col%d", i);
        pq_tw_struct_begin(&t);
        pq_tw_i32(&t, 1, PQ_INT64);
        pq_tw_i32(&t, 3, i % 2 ? PQ_OPTIONAL : PQ_REQUIRED);
        pq_tw_string(&t, 4, name);
        if (i == 3) {
            pq_tw_i32(&t, 6, PQ_CT_TIMESTAMP_MILLIS);
            pq_tw_field_struct(&t, 10);
            pq_tw_field_struct(&t, PQ_LT_TIMESTAMP);
            pq_tw_bool(&t, 1, true);
            pq_tw_field_struct(&t, 2);
            pq_tw_field_struct(&t, 1);
            pq_tw_struct_end(&t);
            pq_tw_struct_end(&t);
            pq_tw_struct_end(&t);
            pq_tw_struct_end(&t);
        }
        pq_tw_struct_end(&t);
    }
    pq_tw_i64(&t, 3, 5000000000ll);
    pq_tw_field_list(&t, 4, PQ_THRIFT_STRUCT, 1);
    pq_tw_struct_begin(&t); /* RowGroup */
    pq_tw_field_list(&t, 1, PQ_THRIFT_STRUCT, N);
    for (int i = 0; i < N; i++) {
        pq_tw_struct_begin(&t);
        pq_tw_i64(&t, 2, 4 + i);
        pq_tw_field_struct(&t, 3);
        pq_tw_i32(&t, 1, PQ_INT64);
        pq_tw_field_list(&t, 2, PQ_THRIFT_I32, 2);
        pq_tw_zigzag(&t, PQ_ENC_PLAIN);
        pq_tw_zigzag(&t, PQ_ENC_RLE);
        pq_tw_field_list(&t, 3, PQ_THRIFT_BINARY, 1);
        pq_tw_bytes(&t, "c", 1);
        pq_tw_i32(&t, 4, PQ_CODEC_ZSTD);
        pq_tw_i64(&t, 5, 5000000000ll);
        pq_tw_i64(&t, 6, 100);
        pq_tw_i64(&t, 7, 90);
        pq_tw_i64(&t, 9, 4 + i);
        pq_tw_field_struct(&t, 12);
        int64_t mn = -((int64_t)1 << 40), mx = INT64_MAX;
        pq_tw_binary(&t, 1, &mx, 8);
        pq_tw_binary(&t, 2, &mn, 8);
        pq_tw_i64(&t, 3, i);
        pq_tw_binary(&t, 5, &mx, 8);
        pq_tw_binary(&t, 6, &mn, 8);
        pq_tw_struct_end(&t);
        pq_tw_struct_end(&t);
        pq_tw_struct_end(&t);
    }
    pq_tw_i64(&t, 2, 1234);
    pq_tw_i64(&t, 3, 5000000000ll);
    pq_tw_i16(&t, 7, -3);
    pq_tw_struct_end(&t);
    pq_tw_field_list(&t, 5, PQ_THRIFT_STRUCT, 1);
    pq_tw_struct_begin(&t);
    pq_tw_string(&t, 1, "k");
    pq_tw_string(&t, 2, "v\xe2\x82\xac");
    pq_tw_struct_end(&t);
    pq_tw_string(&t, 6, "sluice version 0.1.0");
    pq_tw_field_list(&t, 7, PQ_THRIFT_STRUCT, N);
    for (int i = 0; i < N; i++) {
        pq_tw_struct_begin(&t);
        pq_tw_field_struct(&t, 1);
        pq_tw_struct_end(&t);
        pq_tw_struct_end(&t);
    }
    pq_tw_struct_end(&t);
    CHECK(pq_tw_ok(&t));
    pq_meta *m = NULL;
    char err[SL_ERRLEN];
    sl_err e = pq_meta_parse(&m, (const uint8_t *)buf.p, buf.len, err, sizeof err);
    CHECK_EQ_I64(e, SL_OK);
    if (e != SL_OK) {
        fprintf(stderr, "  %s\n", err);
        sl_buf_free(&buf);
        return;
    }
    CHECK_EQ_I64(m->version, 2);
    CHECK_EQ_I64(m->n_schema, N + 1);
    CHECK_EQ_STR(m->schema[0].name, "schema");
    CHECK_EQ_I64(m->schema[0].num_children, N);
    CHECK_EQ_STR(m->schema[N].name, "col19");
    CHECK_EQ_I64(m->schema[2].repetition, PQ_OPTIONAL);
    CHECK_EQ_I64(m->schema[4].logical.kind, PQ_LT_TIMESTAMP);
    CHECK_EQ_I64(m->schema[4].logical.unit, PQ_UNIT_MILLIS);
    CHECK(m->schema[4].logical.utc);
    CHECK_EQ_I64(m->schema[4].converted, PQ_CT_TIMESTAMP_MILLIS);
    CHECK_EQ_I64(m->num_rows, 5000000000ll);
    CHECK_EQ_I64(m->n_row_groups, 1);
    CHECK_EQ_I64(m->row_groups[0].n_columns, N);
    CHECK_EQ_I64(m->row_groups[0].ordinal, -3);
    CHECK_EQ_I64(m->row_groups[0].total_byte_size, 1234);
    const pq_column_meta *cm = &m->row_groups[0].columns[N - 1].meta;
    CHECK_EQ_I64(cm->codec, PQ_CODEC_ZSTD);
    CHECK_EQ_I64(cm->n_encodings, 2);
    CHECK_EQ_I64(cm->encodings[1], PQ_ENC_RLE);
    CHECK_EQ_I64(cm->num_values, 5000000000ll);
    CHECK_EQ_I64(cm->data_page_offset, 4 + N - 1);
    CHECK_EQ_I64(cm->stats.null_count, N - 1);
    CHECK(!cm->stats.legacy_minmax && cm->stats.min.len == 8);
    int64_t mn;
    memcpy(&mn, cm->stats.min.ptr, 8);
    CHECK_EQ_I64(mn, -((int64_t)1 << 40));
    CHECK_EQ_I64(m->n_kv, 1);
    CHECK_EQ_STR(m->kv[0].value, "v\xe2\x82\xac");
    CHECK_EQ_STR(m->created_by, "sluice version 0.1.0");
    pq_meta_free(m);
    sl_buf_free(&buf);
}

int main(void) {
    setup_dir();
    RUN(test_thrift_page_header);
    RUN(test_thrift_file_meta);
    RUN(test_roundtrip_matrix);
    RUN(test_dict_fallback);
    RUN(test_long_strings);
    RUN(test_float_stats);
    RUN(test_empty_file);
    RUN(test_kv_and_row_group_bytes);
    RUN(test_temp_file);
    RUN(test_crc);
    cleanup_dir();
    return T_DONE();
}
