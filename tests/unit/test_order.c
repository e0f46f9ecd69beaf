/* test_order.c: replay ordering: keys, radix sort, spill files, merge, and
 * the three strategies of rp_order on generated Parquet inputs. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen/gen.h"
#include "gen/rng.h"
#include "parquet/writer.h"
#include "plugins/plugin.h"
#include "replay/input.h"
#include "replay/merge.h"
#include "replay/order.h"
#include "replay/sortkey.h"
#include "replay/spill.h"
#include "schema/redset.h"
#include "schema/schema.h"
#include "t.h"
#include "util/time.h"

static char g_dir[256];
static char err[SL_ERRLEN];
static const sc_schema *RS; /* the Redset schema: every batch and input of these tests */

/* Index of a Redset column by name (the old EV_* constants); a missing one fails loudly. */
static int col_of(const char *name) {
    int c = sc_find(RS, name);
    if (c < 0) {
        fprintf(stderr, "no column %s in the schema\n", name);
        abort();
    }
    return c;
}
#define C(name) col_of(name)

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------ keys */

static void test_key_semantics(void) {
    rp_key null_ts = rp_key_make(true, 0, 0, false, 1, false, 1);
    rp_key neg = rp_key_make(false, -5, 0, false, 1, false, 1);
    rp_key zero = rp_key_make(false, 0, 0, false, 1, false, 1);
    CHECK(rp_key_cmp(&null_ts, &neg) < 0);
    CHECK(rp_key_cmp(&neg, &zero) < 0);
    CHECK_EQ_I64(rp_key_ts(&null_ts), INT64_MIN);
    CHECK_EQ_I64(rp_key_ts(&neg), -5);
    /* source rank before instance */
    rp_key s0 = rp_key_make(false, 10, 0, false, 999, false, 999);
    rp_key s1 = rp_key_make(false, 10, 1, false, -999, false, -999);
    CHECK(rp_key_cmp(&s0, &s1) < 0);
    /* NULL instance first, also before INT32_MIN; negative instances ordered */
    rp_key in_null = rp_key_make(false, 10, 1, true, 0, false, 5);
    rp_key in_min = rp_key_make(false, 10, 1, false, INT32_MIN, false, 5);
    rp_key in_m1 = rp_key_make(false, 10, 1, false, -1, false, 5);
    rp_key in_0 = rp_key_make(false, 10, 1, false, 0, false, 5);
    rp_key in_max = rp_key_make(false, 10, 1, false, INT32_MAX, true, 0);
    CHECK(rp_key_cmp(&in_null, &in_min) < 0);
    CHECK(rp_key_cmp(&in_min, &in_m1) < 0);
    CHECK(rp_key_cmp(&in_m1, &in_0) < 0);
    CHECK(rp_key_cmp(&in_0, &in_max) < 0);
    /* NULL query id first, before INT64_MIN */
    rp_key q_null = rp_key_make(false, 10, 1, false, 3, true, 0);
    rp_key q_min = rp_key_make(false, 10, 1, false, 3, false, INT64_MIN);
    rp_key q_neg = rp_key_make(false, 10, 1, false, 3, false, -1);
    rp_key q_pos = rp_key_make(false, 10, 1, false, 3, false, 1);
    CHECK(rp_key_cmp(&q_null, &q_min) < 0);
    CHECK(rp_key_cmp(&q_min, &q_neg) < 0);
    CHECK(rp_key_cmp(&q_neg, &q_pos) < 0);
    rp_key q_pos2 = rp_key_make(false, 10, 1, false, 3, false, 1);
    CHECK(rp_key_cmp(&q_pos, &q_pos2) == 0);
    /* source ranks by label bytes, equal labels share a rank */
    const char *labels[] = {"serverless", "provisioned", "b", "serverless", "B"};
    rp_srcmap m;
    CHECK(rp_srcmap_init(&m, RS, labels, 5, err, sizeof err) == SL_OK);
    CHECK(m.rank[4] < m.rank[2]); /* "B" < "b" */
    CHECK(m.rank[2] < m.rank[1]);
    CHECK(m.rank[1] < m.rank[0]);
    CHECK_EQ_I64(m.rank[0], m.rank[3]);
    rp_srcmap_free(&m);
}

static void check_sort(size_t n, uint64_t ts_mod, int64_t ts_base, uint32_t inst_mod, bool nulls) {
    rp_key *k = malloc(n * sizeof *k);
    uint32_t *p = malloc(n * sizeof *p), *q = malloc(n * sizeof *q);
    void *tmp = malloc(rp_sort_scratch_bytes(n));
    for (size_t i = 0; i < n; i++) {
        int64_t ts = ts_base + (int64_t)(rnd() % ts_mod) - (int64_t)(ts_mod / 2);
        bool tn = nulls && rnd() % 50 == 0, in = nulls && rnd() % 20 == 0, qn = nulls && rnd() % 20 == 0;
        k[i] = rp_key_make(tn, ts, (uint32_t)(rnd() % 3), in, (int32_t)(rnd() % inst_mod) - 2, qn,
                           (int64_t)(rnd() % 7) - 3);
    }
    rp_sort_keys(k, n, p, tmp);
    rp_sort_keys_ref(k, n, q);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += p[i] != q[i];
    CHECK_EQ_I64(bad, 0);
    free(k);
    free(p);
    free(q);
    free(tmp);
}

static void test_radix_vs_qsort(void) {
    check_sort(100000, 1000, 0, 5, true);                     /* many ties, negatives */
    check_sort(100000, (uint64_t)1 << 62, 0, 1000, true);     /* full range */
    check_sort(50000, 7776000000000ull, 1709251200000000, 200, false); /* 3 months of micros */
    check_sort(1, 10, 0, 3, true);
    check_sort(2000, 1, 0, 3, true); /* all equal timestamps: tie sort only */
    /* already sorted input is recognised */
    rp_key k[100];
    uint32_t p[100];
    void *tmp = malloc(rp_sort_scratch_bytes(100));
    for (int i = 0; i < 100; i++) k[i] = rp_key_make(false, i, 0, false, 1, false, i);
    rp_sort_keys(k, 100, p, tmp);
    for (int i = 0; i < 100; i++) CHECK_EQ_I64(p[i], i);
    free(tmp);
}

/* ------------------------------------------------------------------ synthetic batches */

static const char *LAB[] = {"alpha", "beta"};

/* Canonical batch of n rows with random keys (some NULL), strings, NULLs. */
static void synth(sl_batch *b, size_t n, int input, int64_t row0) {
    const int ts_col = C("arrival_timestamp");
    sl_batch_reset(b);
    sl_batch_reserve(b, n, err, sizeof err);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < (int)RS->nall; c++) {
            sl_col *col = &b->cols[c];
            bool null = col->nullable && rnd() % 13 == 0;
            if (c == ts_col) null = rnd() % 40 == 0;
            switch (col->t.type) {
            case SL_I32: ((int32_t *)col->data)[i] = c == RS->input ? input : (int32_t)(rnd() % 50) - 10; break;
            case SL_I64:
                ((int64_t *)col->data)[i] = c == RS->row ? row0 + (int64_t)i
                                            : c == ts_col ? (int64_t)(rnd() % 100000) - 500
                                                                 : (int64_t)(rnd() % 1000) - 100;
                break;
            case SL_F64: ((double *)col->data)[i] = (double)(rnd() % 1000) / 7.0; break;
            case SL_BYTES: {
                char buf[64];
                int len = c == RS->source ? snprintf(buf, sizeof buf, "%s", LAB[input])
                                         : snprintf(buf, sizeof buf, "s%llu", (unsigned long long)(rnd() % 100000));
                if (c != RS->source && rnd() % 17 == 0) len = 0;
                ((sl_str *)col->data)[i] = (sl_str){sl_arena_dup(&b->arena, buf, (size_t)len), (uint32_t)len};
                break;
            }
            default: break;
            }
            if (null && c != RS->source && c != RS->input && c != RS->row) {
                uint8_t *v = sl_col_valid_alloc(b, (size_t)c);
                sl_bit_clear(v, i);
                col->null_count++;
                switch (col->t.type) {
                case SL_I32: ((int32_t *)col->data)[i] = 0; break;
                case SL_I64:
                case SL_F64: ((int64_t *)col->data)[i] = 0; break;
                case SL_BYTES: ((sl_str *)col->data)[i] = (sl_str){NULL, 0}; break;
                default: break;
                }
            }
        }
    }
    b->nrows = n;
}

static bool same_row(const sl_batch *a, size_t i, const sl_batch *b, size_t j) {
    for (int c = 0; c < (int)RS->nall; c++) {
        const sl_col *x = &a->cols[c], *y = &b->cols[c];
        bool nx = sl_col_is_null(x, i), ny = sl_col_is_null(y, j);
        if (nx != ny) return false;
        if (nx) continue;
        if (x->t.type == SL_BYTES) {
            sl_str s = ((sl_str *)x->data)[i], t = ((sl_str *)y->data)[j];
            if (s.len != t.len || (s.len && memcmp(s.ptr, t.ptr, s.len))) return false;
        } else {
            size_t w = sl_type_width(x->t.type);
            if (memcmp((char *)x->data + i * w, (char *)y->data + j * w, w)) return false;
        }
    }
    return true;
}

static void test_spill_roundtrip(void) {
    sl_batch b, r;
    sl_batch_init(&b);
    sl_batch_init(&r);
    CHECK(sc_init_batch(RS, &b, err, sizeof err) == SL_OK);
    CHECK(sc_init_batch(RS, &r, err, sizeof err) == SL_OK);
    synth(&b, 3000, 1, 0);
    char path[300];
    snprintf(path, sizeof path, "%s/rt.slr", g_dir);
    for (int codec = 0; codec < 2; codec++) {
        unlink(path);
        rp_spill_writer *w;
        CHECK(rp_spill_create(&w, path, &b, codec ? PQ_CODEC_ZSTD : PQ_CODEC_LZ4_RAW, 1, err, sizeof err) == SL_OK);
        CHECK(rp_spill_write(w, &b, 0, 1001, err, sizeof err) == SL_OK);
        CHECK(rp_spill_write(w, &b, 1001, 1999, err, sizeof err) == SL_OK); /* unaligned bitmap start */
        CHECK(rp_spill_finish(w, err, sizeof err) == SL_OK);
        rp_spill_reader *rd;
        CHECK(rp_spill_open(&rd, path, err, sizeof err) == SL_OK);
        size_t at = 0, bad = 0;
        long n;
        while ((n = rp_spill_next(rd, &r, err, sizeof err)) > 0) {
            for (long i = 0; i < n; i++) bad += !same_row(&b, at + (size_t)i, &r, (size_t)i);
            at += (size_t)n;
        }
        CHECK_EQ_I64(n, 0);
        CHECK_EQ_I64(at, 3000);
        CHECK_EQ_I64(bad, 0);
        rp_spill_close(rd);
    }
    /* truncations anywhere are detected */
    struct stat st;
    stat(path, &st);
    off_t cuts[] = {st.st_size - 1, st.st_size - 24, st.st_size / 2, 30, 10};
    for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
        char p2[320];
        snprintf(p2, sizeof p2, "%s/cut.slr", g_dir);
        FILE *f = fopen(path, "rb"), *g = fopen(p2, "wb");
        char *buf = malloc((size_t)st.st_size);
        size_t got = fread(buf, 1, (size_t)st.st_size, f);
        fwrite(buf, 1, (size_t)cuts[c] < got ? (size_t)cuts[c] : got, g);
        fclose(f);
        fclose(g);
        free(buf);
        rp_spill_reader *rd;
        long n = 0;
        sl_err e = rp_spill_open(&rd, p2, err, sizeof err);
        if (e == SL_OK) {
            while ((n = rp_spill_next(rd, &r, err, sizeof err)) > 0) {
            }
            rp_spill_close(rd);
        } else {
            n = e;
        }
        CHECK(n < 0);
        CHECK(strstr(err, "cut.slr") != NULL);
        unlink(p2);
    }
    /* a flipped byte fails the CRC */
    {
        FILE *f = fopen(path, "r+b");
        fseek(f, 16 + (int)RS->nall + 20 + 5, SEEK_SET);
        int ch = fgetc(f);
        fseek(f, -1, SEEK_CUR);
        fputc(ch ^ 0x55, f);
        fclose(f);
        rp_spill_reader *rd;
        CHECK(rp_spill_open(&rd, path, err, sizeof err) == SL_OK);
        CHECK(rp_spill_next(rd, &r, err, sizeof err) == SL_ERR_CHECKSUM);
        rp_spill_close(rd);
    }
    unlink(path);
    sl_batch_free(&b);
    sl_batch_free(&r);
}

/* Row records (spill.h): encode a batch into records and back (to a batch,
 * and through the raw spill layout into a run file), in a shuffled order,
 * with NULLs, empty strings, long strings and an all-NULL column. */
static void test_record_roundtrip(void) {
    sl_batch b, r;
    sl_batch_init(&b);
    sl_batch_init(&r);
    CHECK(sc_init_batch(RS, &b, err, sizeof err) == SL_OK);
    CHECK(sc_init_batch(RS, &r, err, sizeof err) == SL_OK);
    const size_t N = 2000;
    synth(&b, N, 1, 100);
    /* long strings (longer than a cache line, some much longer) */
    char *big = malloc(70000);
    for (size_t i = 0; i < 70000; i++) big[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < N; i += 37) {
        sl_col *col = &b.cols[RS->extra];
        if (sl_col_is_null(col, i)) continue;
        size_t len = i % 3 == 0 ? 65536 + i : 300 + i;
        ((sl_str *)col->data)[i] = (sl_str){sl_arena_dup(&b.arena, big, len), (uint32_t)len};
    }
    free(big);
    /* an all-NULL column */
    {
        uint8_t *v = sl_col_valid_alloc(&b, C("cluster_size"));
        memset(v, 0, (N + 7) / 8);
        memset(b.cols[C("cluster_size")].data, 0, N * sizeof(double));
        b.cols[C("cluster_size")].null_count = N;
    }
    rp_rec_layout L;
    CHECK(rp_rec_layout_init(&L, &b, err, sizeof err) == SL_OK);
    size_t total = 0;
    for (size_t i = 0; i < N; i++) total += rp_rec_size(&L, &b, i);
    uint8_t *buf = malloc(total);
    uint64_t *offs = malloc(N * sizeof *offs);
    size_t wrote = rp_rec_encode(&L, &b, NULL, N, buf, 1000, offs);
    CHECK_EQ_I64(wrote, total);
    size_t badlen = 0;
    for (size_t i = 0; i < N; i++) {
        size_t next = i + 1 < N ? offs[i + 1] - 1000 : total;
        if (rp_rec_len(&L, buf + offs[i] - 1000) != next - (offs[i] - 1000)) badlen++;
        if (rp_rec_len(&L, buf + offs[i] - 1000) != rp_rec_size(&L, &b, i)) badlen++;
    }
    CHECK_EQ_I64(badlen, 0);
    /* a shuffled order of the records */
    uint32_t *ord = malloc(N * sizeof *ord);
    for (size_t i = 0; i < N; i++) ord[i] = (uint32_t)i;
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = rnd() % (i + 1);
        uint32_t t = ord[i];
        ord[i] = ord[j];
        ord[j] = t;
    }
    const uint8_t **recs = malloc(N * sizeof *recs);
    for (size_t i = 0; i < N; i++) recs[i] = buf + offs[ord[i]] - 1000;
    /* records -> batch, appended in two calls */
    sl_batch_reset(&r);
    CHECK(rp_rec_to_batch(&L, recs, 700, &r, err, sizeof err) == SL_OK);
    CHECK(rp_rec_to_batch(&L, recs + 700, N - 700, &r, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(r.nrows, N);
    size_t bad = 0;
    for (size_t i = 0; i < N; i++) bad += !same_row(&b, ord[i], &r, i);
    CHECK_EQ_I64(bad, 0);
    CHECK_EQ_I64(r.cols[C("cluster_size")].null_count, N);
    /* records -> raw blocks -> run file -> batches */
    char path[300];
    snprintf(path, sizeof path, "%s/rec.slr", g_dir);
    unlink(path);
    rp_spill_writer *w;
    CHECK(rp_spill_create(&w, path, &b, PQ_CODEC_LZ4_RAW, 4, err, sizeof err) == SL_OK);
    size_t cuts[] = {0, 1, 9, 1000, 1001, N};
    for (size_t k = 0; k + 1 < sizeof cuts / sizeof cuts[0]; k++) {
        size_t n = cuts[k + 1] - cuts[k];
        size_t raw = rp_rec_raw_size(&L, recs + cuts[k], n);
        uint8_t *rb = malloc(raw);
        rp_rec_to_raw(&L, recs + cuts[k], n, rb);
        CHECK(rp_spill_write_raw(w, rb, raw, n, err, sizeof err) == SL_OK);
        free(rb);
    }
    /* a block of records whose user_id is never NULL (flag 0 for that column) */
    size_t nn = 0;
    for (size_t i = 0; i < N; i++)
        if (!sl_col_is_null(&b.cols[C("user_id")], ord[i])) recs[nn++] = buf + offs[ord[i]] - 1000;
    {
        size_t raw = rp_rec_raw_size(&L, recs, nn);
        uint8_t *rb = malloc(raw);
        rp_rec_to_raw(&L, recs, nn, rb);
        CHECK(rp_spill_write_raw(w, rb, raw, nn, err, sizeof err) == SL_OK);
        free(rb);
    }
    CHECK_EQ_I64(rp_spill_rows(w), N + nn);
    CHECK(rp_spill_finish(w, err, sizeof err) == SL_OK);
    rp_spill_reader *rd;
    CHECK(rp_spill_open(&rd, path, err, sizeof err) == SL_OK);
    size_t at = 0;
    long n;
    bad = 0;
    while ((n = rp_spill_next(rd, &r, err, sizeof err)) > 0) {
        for (long i = 0; i < n && at < N; i++) bad += !same_row(&b, ord[at + (size_t)i], &r, (size_t)i);
        if (at >= N) {
            /* the user_id block */
            size_t j = 0;
            for (size_t i = 0; i < N; i++)
                if (!sl_col_is_null(&b.cols[C("user_id")], ord[i])) bad += !same_row(&b, ord[i], &r, j++);
            CHECK_EQ_I64(j, (size_t)n);
            CHECK(r.cols[C("user_id")].null_count == 0);
        }
        at += (size_t)n;
    }
    CHECK_EQ_I64(n, 0);
    CHECK_EQ_I64(at, N + nn);
    CHECK_EQ_I64(bad, 0);
    rp_spill_close(rd);
    unlink(path);
    free(recs);
    free(ord);
    free(offs);
    free(buf);
    sl_batch_free(&b);
    sl_batch_free(&r);
}

/* Merge of in-memory sorted batch cursors equals a full sort. */
typedef struct memcur {
    sl_batch *b;
    uint32_t *perm;
    size_t n, pos, chunk;
} memcur;

static long memcur_next(void *ctx, sl_batch *out, char *e, size_t el) {
    memcur *c = ctx;
    sl_batch_reset(out);
    if (c->pos >= c->n) return 0;
    size_t k = c->n - c->pos < c->chunk ? c->n - c->pos : c->chunk;
    uint32_t src[4096];
    for (size_t i = 0; i < k; i++) src[i] = 0;
    sl_err r = rp_gather(out, &c->b, 1, src, c->perm + c->pos, k, RP_STR_COPY, e, el);
    if (r) return r;
    c->pos += k;
    return (long)k;
}

static void test_merge_synthetic(void) {
    enum { K = 5, N = 4000 };
    sl_batch b[K], out;
    memcur mc[K];
    void *ctx[K];
    rp_srcmap m;
    const char *labels[K] = {"alpha", "beta", "alpha", "beta", "alpha"};
    rp_srcmap_init(&m, RS, labels, K, err, sizeof err);
    rp_key *all = malloc(K * N * sizeof *all);
    for (int i = 0; i < K; i++) {
        sl_batch_init(&b[i]);
        sc_init_batch(RS, &b[i], err, sizeof err);
        synth(&b[i], N, i % 2, 0);
        int32_t *inp = b[i].cols[RS->input].data;
        for (size_t j = 0; j < N; j++) inp[j] = i;
        rp_key *k = malloc(N * sizeof *k);
        rp_keys_extract(&b[i], &m, 0, N, k);
        memcpy(all + (size_t)i * N, k, N * sizeof *k);
        mc[i].b = &b[i];
        mc[i].perm = malloc(N * sizeof(uint32_t));
        void *tmp = malloc(rp_sort_scratch_bytes(N));
        rp_sort_keys(k, N, mc[i].perm, tmp);
        free(tmp);
        free(k);
        mc[i].n = N;
        mc[i].pos = 0;
        mc[i].chunk = 100 + (size_t)i * 333;
        ctx[i] = &mc[i];
    }
    rp_merge *mg;
    rp_merge_opts mo = {.from_us = INT64_MIN, .to_us = INT64_MAX, .check_order = true, .strings = RP_STR_COPY};
    CHECK(rp_merge_open(&mg, K, memcur_next, ctx, &m, &mo, err, sizeof err) == SL_OK);
    sl_batch_init(&out);
    sc_init_batch(RS, &out, err, sizeof err);
    uint32_t *ref = malloc(K * N * sizeof *ref);
    rp_sort_keys_ref(all, K * N, ref);
    size_t at = 0, bad = 0;
    long n;
    while ((n = rp_merge_next(mg, &out, 777, err, sizeof err)) > 0) {
        for (long i = 0; i < n; i++, at++) {
            uint32_t r = ref[at];
            bad += !same_row(&b[r / N], r % N, &out, (size_t)i);
        }
    }
    CHECK_EQ_I64(n, 0);
    CHECK_EQ_I64(at, K * N);
    CHECK_EQ_I64(bad, 0);
    rp_merge_close(mg);
    for (int i = 0; i < K; i++) {
        sl_batch_free(&b[i]);
        free(mc[i].perm);
    }
    sl_batch_free(&out);
    free(ref);
    free(all);
    rp_srcmap_free(&m);
}

/* ------------------------------------------------------------------ Parquet inputs */

static void write_gen(const char *path, uint64_t rows, gen_order order, uint64_t seed, size_t rg_rows, double bad) {
    gen_opts go = gen_opts_default();
    go.rows = rows;
    go.profile = "none";
    go.seed = seed;
    go.order = order;
    go.instances = 20;
    go.bad_rows = bad; /* NULL timestamps / instance / query ids among them */
    gen *g;
    CHECK(gen_open(&g, &go, err, sizeof err) == SL_OK);
    sl_batch b;
    sl_batch_init(&b);
    CHECK(gen_init_batch(g, &b, err, sizeof err) == SL_OK);
    pq_write_col cols[64];
    for (size_t c = 0; c < b.ncols; c++) cols[c] = (pq_write_col){b.cols[c].name, b.cols[c].t, b.cols[c].nullable};
    pq_writer_opts wo = pq_writer_opts_default();
    wo.row_group_rows = rg_rows;
    pq_writer *w;
    CHECK(pq_writer_open(&w, path, cols, b.ncols, &wo, err, sizeof err) == SL_OK);
    long n;
    while ((n = gen_next(g, &b, 10000, err, sizeof err)) > 0) CHECK(pq_writer_write(w, &b, err, sizeof err) == SL_OK);
    CHECK(pq_writer_close(w, err, sizeof err) == SL_OK);
    sl_batch_free(&b);
    gen_close(g);
}

typedef struct result {
    rp_key *keys;
    int32_t *input;
    int64_t *row;
    size_t n;
    rp_order_stats st;
    sl_err e;
    int tmp_left;
    uint64_t total_at_open; /* rows_total right after rp_order_open, before any row */
} result;

static void result_free(result *r) {
    free(r->keys);
    free(r->input);
    free(r->row);
    memset(r, 0, sizeof *r);
}

static result run_order(const char **paths, size_t n, rp_order_opts oo) {
    result res;
    memset(&res, 0, sizeof res);
    char tdir[300];
    snprintf(tdir, sizeof tdir, "%s/tmp", g_dir);
    mkdir(tdir, 0700);
    oo.tmpdir = tdir;
    rp_input *in[8];
    const char *labels[8];
    for (size_t i = 0; i < n; i++) {
        rp_input_opts io;
        memset(&io, 0, sizeof io);
        io.path = paths[i];
        io.schema = RS;
        io.candidates = reg_inputs();
        io.index = (int32_t)i;
        io.source = i % 2 ? "alpha" : "beta";
        labels[i] = io.source;
        CHECK(rp_input_open(&in[i], &io, err, sizeof err) == SL_OK);
    }
    rp_srcmap m;
    rp_srcmap_init(&m, RS, labels, n, err, sizeof err);
    rp_order *o;
    res.e = rp_order_open(&o, in, n, &oo, err, sizeof err);
    if (res.e == SL_OK) {
        res.total_at_open = rp_order_get_stats(o)->rows_total;
        sl_batch b;
        sl_batch_init(&b);
        sc_init_batch(RS, &b, err, sizeof err);
        size_t cap = 0;
        long k;
        while ((k = rp_order_next(o, &b, 5000, err, sizeof err)) > 0) {
            if (res.n + (size_t)k > cap) {
                cap = (res.n + (size_t)k) * 2;
                res.keys = realloc(res.keys, cap * sizeof *res.keys);
                res.input = realloc(res.input, cap * sizeof *res.input);
                res.row = realloc(res.row, cap * sizeof *res.row);
            }
            rp_keys_extract(&b, &m, 0, (size_t)k, res.keys + res.n);
            memcpy(res.input + res.n, b.cols[RS->input].data, (size_t)k * 4);
            memcpy(res.row + res.n, b.cols[RS->row].data, (size_t)k * 8);
            res.n += (size_t)k;
        }
        if (k < 0) {
            res.e = (sl_err)k;
            fprintf(stderr, "  order error: %s\n", err);
        }
        res.st = *rp_order_get_stats(o);
        /* the total announced at open (progress: % done, ETA) is exactly the
         * rows the order gave, in every strategy, range and resume */
        if (k == 0) {
            CHECK_EQ_I64(res.total_at_open, res.n);
            CHECK_EQ_I64(res.st.rows_total, res.n);
        }
        rp_order_close(o);
        sl_batch_free(&b);
    } else {
        fprintf(stderr, "  open error: %s\n", err);
    }
    res.tmp_left = count_entries(tdir);
    for (size_t i = 0; i < n; i++) rp_input_close(in[i]);
    rp_srcmap_free(&m);
    return res;
}

/* order must be (key, input, row) and every row of the inputs present once */
static void check_total_order(const result *r, const size_t *rows, size_t nin) {
    size_t bad = 0;
    for (size_t i = 1; i < r->n; i++) {
        int c = rp_key_cmp(&r->keys[i - 1], &r->keys[i]);
        if (c > 0 || (c == 0 && (r->input[i - 1] > r->input[i] ||
                                 (r->input[i - 1] == r->input[i] && r->row[i - 1] >= r->row[i]))))
            bad++;
    }
    CHECK_EQ_I64(bad, 0);
    size_t total = 0;
    for (size_t i = 0; i < nin; i++) total += rows[i];
    CHECK_EQ_I64(r->n, total);
    uint8_t *seen = calloc(total + 1, 1);
    size_t off[8] = {0}, dup = 0;
    for (size_t i = 1; i < nin; i++) off[i] = off[i - 1] + rows[i - 1];
    for (size_t i = 0; i < r->n; i++) {
        size_t at = off[r->input[i]] + (size_t)r->row[i];
        if (at >= total || seen[at]) dup++;
        else seen[at] = 1;
    }
    CHECK_EQ_I64(dup, 0);
    free(seen);
}

static char p_sorted[300], p_runs[300], p_shuf[300], p_shuf2[300];

static void test_strategies(void) {
    rp_order_opts oo = rp_order_opts_default();
    oo.memory = (size_t)4 << 30;
    size_t rows1[] = {30000};
    const char *a[] = {p_sorted};
    result r = run_order(a, 1, oo);
    CHECK_EQ_I64(r.e, SL_OK);
    CHECK_EQ_I64(r.st.strategy, RP_STRAT_STREAM);
    check_total_order(&r, rows1, 1);
    result_free(&r);

    const char *b[] = {p_runs};
    r = run_order(b, 1, oo);
    CHECK_EQ_I64(r.st.strategy, RP_STRAT_MERGE_SEGMENTS);
    CHECK(r.st.segments >= 5);
    check_total_order(&r, rows1, 1);
    result_free(&r);

    /* the same runs with a small budget: external sort, the reason says why */
    rp_order_opts small = oo;
    small.memory = 64 << 20;
    r = run_order(b, 1, small);
    CHECK_EQ_I64(r.st.strategy, RP_STRAT_EXTERNAL_SORT);
    CHECK(strstr(r.st.reason, "exceed") != NULL);
    check_total_order(&r, rows1, 1);
    CHECK_EQ_I64(r.st.runs_spilled, 0); /* fits in memory: no disk */
    result_free(&r);

    const char *c[] = {p_shuf};
    r = run_order(c, 1, oo);
    CHECK_EQ_I64(r.st.strategy, RP_STRAT_EXTERNAL_SORT);
    CHECK(r.st.segments_partial || r.st.segments > 1000);
    check_total_order(&r, rows1, 1);
    result_free(&r);

    /* two sorted inputs: STREAM merge of both */
    const char *d[] = {p_sorted, p_sorted};
    size_t rows2[] = {30000, 30000};
    r = run_order(d, 2, oo);
    CHECK_EQ_I64(r.st.strategy, RP_STRAT_STREAM);
    check_total_order(&r, rows2, 2);
    result_free(&r);
}

static void test_external_tiny_budget(void) {
    rp_order_opts oo = rp_order_opts_default();
    oo.memory = 3 << 20; /* 3 MiB: many runs, fan-in 2 -> several merge passes */
    const char *p[] = {p_shuf, p_runs, p_shuf2};
    size_t rows[] = {30000, 30000, 20000};
    result r = run_order(p, 3, oo);
    CHECK_EQ_I64(r.e, SL_OK);
    CHECK_EQ_I64(r.st.strategy, RP_STRAT_EXTERNAL_SORT);
    CHECK(r.st.runs_spilled >= 5);
    CHECK(r.st.merge_passes >= 1);
    CHECK(r.st.spill_bytes > 0);
    CHECK_EQ_I64(r.tmp_left, 0);
    check_total_order(&r, rows, 3);
    /* memory accounting stays near the budget */
    CHECK(r.st.peak_mem <= oo.memory + (2u << 20));
    fprintf(stderr, "  tiny budget: %llu runs, %llu passes, fan-in %llu, peak accounted %.2f MB, spill %.2f MB\n",
            (unsigned long long)r.st.runs_spilled, (unsigned long long)r.st.merge_passes,
            (unsigned long long)r.st.merge_fanin, r.st.peak_mem / 1e6, r.st.spill_bytes / 1e6);
    /* the same with force_sort and a large budget: identical order, no disk */
    rp_order_opts big = rp_order_opts_default();
    big.force_sort = true;
    result r2 = run_order(p, 3, big);
    CHECK_EQ_I64(r2.st.runs_spilled, 0);
    CHECK_EQ_I64(r2.n, r.n);
    size_t diff = 0;
    for (size_t i = 0; i < r.n && i < r2.n; i++) diff += r.input[i] != r2.input[i] || r.row[i] != r2.row[i];
    CHECK_EQ_I64(diff, 0);
    result_free(&r);
    result_free(&r2);
}

static void test_from_to(void) {
    /* pick a window from the sorted file's keys */
    rp_order_opts oo = rp_order_opts_default();
    const char *a[] = {p_sorted};
    result all = run_order(a, 1, oo);
    int64_t lo = rp_key_ts(&all.keys[all.n / 3]), hi = rp_key_ts(&all.keys[2 * all.n / 3]);
    size_t want = 0;
    for (size_t i = 0; i < all.n; i++) {
        int64_t t = rp_key_ts(&all.keys[i]);
        if (all.keys[i].ts == 0 || (t >= lo && t < hi)) want++;
    }
    oo.from_us = lo;
    oo.to_us = hi;
    const char *paths[][1] = {{p_sorted}, {p_runs}, {p_shuf}};
    for (int k = 0; k < 3; k++) {
        rp_order_opts od = rp_order_opts_default();
        result ak = run_order(paths[k], 1, od);
        want = 0;
        for (size_t i = 0; i < ak.n; i++) {
            int64_t t = rp_key_ts(&ak.keys[i]);
            if (ak.keys[i].ts == 0 || (t >= lo && t < hi)) want++;
        }
        result_free(&ak);
        for (int force = 0; force < 2; force++) {
            rp_order_opts o2 = oo;
            o2.force_sort = force;
            if (force) o2.memory = 2 << 20;
            result r = run_order(paths[k], 1, o2);
            CHECK_EQ_I64(r.e, SL_OK);
            CHECK_EQ_I64(r.n, want);
            size_t bad = 0;
            for (size_t i = 0; i < r.n; i++) {
                int64_t t = rp_key_ts(&r.keys[i]);
                if (r.keys[i].ts != 0 && (t < lo || t >= hi)) bad++;
                if (i && rp_key_cmp(&r.keys[i - 1], &r.keys[i]) > 0) bad++;
            }
            CHECK_EQ_I64(bad, 0);
            result_free(&r);
        }
    }
    result_free(&all);
}

/* Resume (a checkpoint's resume time): every strategy gives exactly the
 * uninterrupted order's suffix from the first row at or after the resume
 * time (NULL timestamps, which come first, dropped); sorted inputs and
 * segments are seeked past the rows before it (rows_resumed), not read. */
static void test_resume(void) {
    const char *paths[][1] = {{p_sorted}, {p_runs}, {p_shuf}};
    for (int k = 0; k < 3; k++) {
        rp_order_opts od = rp_order_opts_default();
        od.memory = (size_t)4 << 30;
        result all = run_order(paths[k], 1, od);
        CHECK_EQ_I64(all.e, SL_OK);
        int64_t at = sl_hour_floor(rp_key_ts(&all.keys[all.n / 2]));
        size_t first = 0;
        while (first < all.n && (all.keys[first].ts == 0 || rp_key_ts(&all.keys[first]) < at)) first++;
        CHECK(first > 0 && first < all.n);
        for (int force = 0; force < 2; force++) {
            rp_order_opts o2 = od;
            o2.resume = true;
            o2.resume_us = at;
            o2.force_sort = force;
            result r = run_order(paths[k], 1, o2);
            CHECK_EQ_I64(r.e, SL_OK);
            CHECK_EQ_I64(r.n, all.n - first);
            size_t diff = 0;
            for (size_t i = 0; i < r.n && first + i < all.n; i++)
                diff += r.input[i] != all.input[first + i] || r.row[i] != all.row[first + i];
            CHECK_EQ_I64(diff, 0);
            if (!force && r.st.strategy != RP_STRAT_EXTERNAL_SORT) CHECK_EQ_I64(r.st.rows_resumed, first);
            if (force || r.st.strategy == RP_STRAT_EXTERNAL_SORT) CHECK_EQ_I64(r.st.rows_resumed, 0);
            result_free(&r);
        }
        result_free(&all);
    }
}

static void test_tmp_removed_on_error(void) {
    char tdir[300];
    snprintf(tdir, sizeof tdir, "%s/tmp", g_dir);
    mkdir(tdir, 0700);
    rp_input *in;
    rp_input_opts io;
    memset(&io, 0, sizeof io);
    io.path = p_shuf;
    io.schema = RS;
    io.candidates = reg_inputs();
    CHECK(rp_input_open(&in, &io, err, sizeof err) == SL_OK);
    rp_order_opts oo = rp_order_opts_default();
    oo.memory = 2 << 20;
    oo.tmpdir = tdir;
    rp_order *o;
    CHECK(rp_order_open(&o, &in, 1, &oo, err, sizeof err) == SL_OK);
    CHECK(rp_order_get_stats(o)->runs_spilled > 1);
    CHECK_EQ_I64(count_entries(tdir), 1); /* the private directory */
    /* damage every run file: the merge must fail and remove them */
    DIR *d = opendir(tdir);
    struct dirent *de;
    char sub[600] = "";
    while ((de = readdir(d)))
        if (de->d_name[0] != '.') snprintf(sub, sizeof sub, "%s/%s", tdir, de->d_name);
    closedir(d);
    CHECK(count_entries(sub) >= 2);
    d = opendir(sub);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char f[900];
        snprintf(f, sizeof f, "%s/%s", sub, de->d_name);
        struct stat st;
        stat(f, &st);
        CHECK(truncate(f, st.st_size - 30) == 0);
    }
    closedir(d);
    sl_batch b;
    sl_batch_init(&b);
    sc_init_batch(RS, &b, err, sizeof err);
    long n;
    while ((n = rp_order_next(o, &b, 4096, err, sizeof err)) > 0) {
    }
    CHECK(n < 0);
    CHECK(strstr(err, "truncated") != NULL);
    CHECK_EQ_I64(count_entries(tdir), 0); /* removed at the error, before close */
    rp_order_close(o);
    /* cleanup_all removes the files of an open order */
    CHECK(rp_order_open(&o, &in, 0, &oo, err, sizeof err) == SL_OK);
    rp_order_close(o);
    rp_input_close(in);
    CHECK(rp_input_open(&in, &io, err, sizeof err) == SL_OK);
    CHECK(rp_order_open(&o, &in, 1, &oo, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(count_entries(tdir), 1);
    rp_order_cleanup_all();
    CHECK_EQ_I64(count_entries(tdir), 0);
    rp_order_close(o);
    rp_input_close(in);
    /* a temporary directory that cannot be created: clear error naming it */
    CHECK(rp_input_open(&in, &io, err, sizeof err) == SL_OK);
    oo.tmpdir = "/nonexistent/dir";
    CHECK(rp_order_open(&o, &in, 1, &oo, err, sizeof err) != SL_OK);
    CHECK(strstr(err, "/nonexistent/dir") != NULL);
    rp_input_close(in);
    sl_batch_free(&b);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/sluice-test-order-XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    if (sc_open(&RS, &sc_redset_def, err, sizeof err) != SL_OK) {
        fprintf(stderr, "schema: %s\n", err);
        return 2;
    }
    snprintf(p_sorted, sizeof p_sorted, "%s/sorted.parquet", g_dir);
    snprintf(p_runs, sizeof p_runs, "%s/runs.parquet", g_dir);
    snprintf(p_shuf, sizeof p_shuf, "%s/shuffled.parquet", g_dir);
    snprintf(p_shuf2, sizeof p_shuf2, "%s/shuffled2.parquet", g_dir);
    write_gen(p_sorted, 30000, GEN_ORDER_SORTED, 1, 8192, 0);
    write_gen(p_runs, 30000, GEN_ORDER_RUNS, 2, 8192, 0);
    write_gen(p_shuf, 30000, GEN_ORDER_SHUFFLED, 3, 8192, 0.02);
    write_gen(p_shuf2, 20000, GEN_ORDER_SHUFFLED, 4, 5000, 0.02);
    RUN(test_key_semantics);
    RUN(test_radix_vs_qsort);
    RUN(test_spill_roundtrip);
    RUN(test_record_roundtrip);
    RUN(test_merge_synthetic);
    RUN(test_strategies);
    RUN(test_external_tiny_budget);
    RUN(test_from_to);
    RUN(test_resume);
    RUN(test_tmp_removed_on_error);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    sc_close(RS);
    return T_DONE();
}
