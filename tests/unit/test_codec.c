/* test_codec.c: round trips, framing variants and corrupt input for every codec. */
#include <lz4.h>
#include <lz4frame.h>
#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

#include "parquet/codec.h"
#include "t.h"

static const pq_codec ALL[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,   PQ_CODEC_ZSTD,
                               PQ_CODEC_LZ4_RAW,      PQ_CODEC_LZ4,    PQ_CODEC_BROTLI};
#define NALL (sizeof ALL / sizeof ALL[0])

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static void fill_random(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)next_rand();
}
static void fill_repetitive(uint8_t *p, size_t n) {
    static const char pat[] = "timestamp=1700000000 level=INFO msg=\"request ok\" user=42\n";
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)pat[i % (sizeof pat - 1)];
    for (size_t i = 0; i < n; i += 997) p[i] = (uint8_t)(i >> 3); /* a little entropy */
}

/* compress src with codec, decompress into an exact-size buffer, compare */
static int roundtrip(pq_codec c, const uint8_t *src, size_t n) {
    char err[SL_ERRLEN] = "";
    uint8_t *comp = NULL;
    size_t clen = 0;
    sl_err rc = pq_compress(c, 0, src, n, &comp, &clen, err, sizeof err);
    if (rc != SL_OK) {
        fprintf(stderr, "  compress codec %d len %zu: %s\n", (int)c, n, err);
        return 0;
    }
    uint8_t *out = malloc(n ? n : 1);
    rc = pq_decompress(c, comp, clen, out, n, err, sizeof err);
    int ok = rc == SL_OK && (n == 0 || memcmp(out, src, n) == 0);
    if (!ok) fprintf(stderr, "  roundtrip codec %d len %zu: rc=%d %s\n", (int)c, n, (int)rc, err);
    free(out);
    free(comp);
    return ok;
}

static void test_roundtrip_all(void) {
    size_t big = 1 << 20;
    uint8_t *rep = malloc(big), *rnd = malloc(big);
    fill_repetitive(rep, big);
    fill_random(rnd, big);
    const uint8_t one = 'x';
    for (size_t i = 0; i < NALL; i++) {
        pq_codec c = ALL[i];
        CHECK(pq_codec_supported(c));
        CHECK(roundtrip(c, (const uint8_t *)"", 0));
        CHECK(roundtrip(c, &one, 1));
        CHECK(roundtrip(c, (const uint8_t *)"hello, parquet", 14));
        CHECK(roundtrip(c, rep, 1000));
        CHECK(roundtrip(c, rep, big));
        CHECK(roundtrip(c, rnd, big));
    }
    free(rep);
    free(rnd);
}

static void test_levels(void) {
    uint8_t buf[5000];
    fill_repetitive(buf, sizeof buf);
    int levels[] = {-1, 1, 9, 12, 100};
    for (size_t i = 0; i < NALL; i++)
        for (size_t j = 0; j < sizeof levels / sizeof levels[0]; j++) {
            char err[SL_ERRLEN] = "";
            uint8_t *comp = NULL, out[5000];
            size_t clen = 0;
            CHECK_EQ_I64(pq_compress(ALL[i], levels[j], buf, sizeof buf, &comp, &clen, err, sizeof err), SL_OK);
            CHECK_EQ_I64(pq_decompress(ALL[i], comp, clen, out, sizeof out, err, sizeof err), SL_OK);
            CHECK(memcmp(out, buf, sizeof buf) == 0);
            free(comp);
        }
}

static void test_compression_shrinks(void) {
    size_t n = 100000;
    uint8_t *rep = malloc(n);
    fill_repetitive(rep, n);
    for (size_t i = 1; i < NALL; i++) {
        uint8_t *comp = NULL;
        size_t clen = 0;
        CHECK_EQ_I64(pq_compress(ALL[i], 0, rep, n, &comp, &clen, NULL, 0), SL_OK);
        CHECK(clen < n / 4);
        free(comp);
    }
    free(rep);
}

static uint8_t *cat2(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    uint8_t *p = malloc(an + bn);
    memcpy(p, a, an);
    memcpy(p + an, b, bn);
    return p;
}

/* two independently compressed pieces concatenated decode to the concatenation */
static void check_concat(pq_codec c) {
    const char *a = "hello ", *b = "world, concatenated";
    uint8_t *ca, *cb;
    size_t al, bl;
    CHECK_EQ_I64(pq_compress(c, 0, (const uint8_t *)a, strlen(a), &ca, &al, NULL, 0), SL_OK);
    CHECK_EQ_I64(pq_compress(c, 0, (const uint8_t *)b, strlen(b), &cb, &bl, NULL, 0), SL_OK);
    uint8_t *cc = cat2(ca, al, cb, bl);
    char out[64], err[SL_ERRLEN] = "";
    size_t n = strlen(a) + strlen(b);
    CHECK_EQ_I64(pq_decompress(c, cc, al + bl, (uint8_t *)out, n, err, sizeof err), SL_OK);
    CHECK(memcmp(out, "hello world, concatenated", n) == 0);
    /* output one short / one long must fail */
    CHECK_EQ_I64(pq_decompress(c, cc, al + bl, (uint8_t *)out, n - 1, err, sizeof err), SL_ERR_CODEC);
    CHECK_EQ_I64(pq_decompress(c, cc, al + bl, (uint8_t *)out, n + 1, err, sizeof err), SL_ERR_CODEC);
    free(ca);
    free(cb);
    free(cc);
}

static void test_gzip_concat(void) { check_concat(PQ_CODEC_GZIP); }
static void test_zstd_concat(void) { check_concat(PQ_CODEC_ZSTD); }

static void test_gzip_zlib_stream(void) {
    const char *s = "zlib-wrapped, not gzip-wrapped, data data data data";
    uLongf cl = compressBound((uLong)strlen(s));
    uint8_t comp[256], out[128];
    CHECK(compress2(comp, &cl, (const Bytef *)s, (uLong)strlen(s), 6) == Z_OK);
    char err[SL_ERRLEN] = "";
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_GZIP, comp, cl, out, strlen(s), err, sizeof err), SL_OK);
    CHECK(memcmp(out, s, strlen(s)) == 0);
}

static void test_gzip_trailing_garbage(void) {
    uint8_t *c;
    size_t cl;
    CHECK_EQ_I64(pq_compress(PQ_CODEC_GZIP, 0, (const uint8_t *)"abc", 3, &c, &cl, NULL, 0), SL_OK);
    uint8_t *cc = cat2(c, cl, (const uint8_t *)"JUNK", 4);
    uint8_t out[3];
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_GZIP, cc, cl + 4, out, 3, NULL, 0), SL_ERR_CODEC);
    free(c);
    free(cc);
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void test_lz4_hadoop_two_blocks(void) {
    size_t n1 = 3000, n2 = 5000;
    uint8_t *src = malloc(n1 + n2);
    fill_repetitive(src, n1 + n2);
    int b1 = LZ4_compressBound((int)n1), b2 = LZ4_compressBound((int)n2);
    uint8_t *buf = malloc(16 + (size_t)b1 + (size_t)b2);
    int c1 = LZ4_compress_default((const char *)src, (char *)buf + 8, (int)n1, b1);
    CHECK(c1 > 0);
    put_be32(buf, (uint32_t)n1);
    put_be32(buf + 4, (uint32_t)c1);
    uint8_t *p2 = buf + 8 + c1;
    int c2 = LZ4_compress_default((const char *)src + n1, (char *)p2 + 8, (int)n2, b2);
    CHECK(c2 > 0);
    put_be32(p2, (uint32_t)n2);
    put_be32(p2 + 4, (uint32_t)c2);
    size_t total = 16 + (size_t)c1 + (size_t)c2;
    uint8_t *out = malloc(n1 + n2);
    char err[SL_ERRLEN] = "";
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZ4, buf, total, out, n1 + n2, err, sizeof err), SL_OK);
    CHECK(memcmp(out, src, n1 + n2) == 0);
    /* wrong expected size names both sizes */
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZ4, buf, total, out, n1 + n2 - 1, err, sizeof err), SL_ERR_CODEC);
    CHECK(strstr(err, "8000") && strstr(err, "7999"));
    /* every truncation fails */
    for (size_t k = 0; k < total; k++)
        CHECK(pq_decompress(PQ_CODEC_LZ4, buf, k, out, n1 + n2, NULL, 0) != SL_OK);
    free(out);
    free(buf);
    free(src);
}

static void test_lz4_frame_fallback(void) {
    size_t n = 70000;
    uint8_t *src = malloc(n), *out = malloc(n);
    fill_repetitive(src, n);
    size_t cap = LZ4F_compressFrameBound(n, NULL);
    uint8_t *f = malloc(cap);
    size_t fl = LZ4F_compressFrame(f, cap, src, n, NULL);
    CHECK(!LZ4F_isError(fl));
    char err[SL_ERRLEN] = "";
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZ4, f, fl, out, n, err, sizeof err), SL_OK);
    CHECK(memcmp(out, src, n) == 0);
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZ4, f, fl, out, n - 1, err, sizeof err), SL_ERR_CODEC);
    CHECK(strstr(err, "69999") != NULL);
    uint8_t *big = malloc(n + 1);
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZ4, f, fl, big, n + 1, err, sizeof err), SL_ERR_CODEC);
    CHECK(strstr(err, "70001") != NULL);
    /* two concatenated frames */
    uint8_t *ff = cat2(f, fl, f, fl);
    uint8_t *out2 = malloc(2 * n);
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZ4, ff, 2 * fl, out2, 2 * n, err, sizeof err), SL_OK);
    CHECK(memcmp(out2, src, n) == 0 && memcmp(out2 + n, src, n) == 0);
    /* truncated frames fail (step to keep it quick) */
    for (size_t k = 0; k < fl; k += 7)
        CHECK(pq_decompress(PQ_CODEC_LZ4, f, k, out, n, NULL, 0) != SL_OK);
    free(out2);
    free(ff);
    free(big);
    free(f);
    free(out);
    free(src);
}

static void test_lz4_raw_block_fallback(void) {
    size_t n = 4096;
    uint8_t src[4096], out[4096];
    fill_repetitive(src, n);
    uint8_t comp[LZ4_COMPRESSBOUND(4096)];
    int c = LZ4_compress_default((const char *)src, (char *)comp, (int)n, (int)sizeof comp);
    CHECK(c > 0);
    char err[SL_ERRLEN] = "";
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZ4, comp, (size_t)c, out, n, err, sizeof err), SL_OK);
    CHECK(memcmp(out, src, n) == 0);
    /* and the Hadoop output of pq_compress is not readable as LZ4_RAW */
    uint8_t *h;
    size_t hl;
    CHECK_EQ_I64(pq_compress(PQ_CODEC_LZ4, 0, src, n, &h, &hl, NULL, 0), SL_OK);
    CHECK_EQ_I64(hl, (size_t)c + 8);
    CHECK(pq_decompress(PQ_CODEC_LZ4_RAW, h, hl, out, n, NULL, 0) != SL_OK);
    free(h);
}

static char *num(size_t v, char *buf) {
    snprintf(buf, 32, "%zu", v);
    return buf;
}

static void test_wrong_dstlen(void) {
    size_t n = 1000;
    uint8_t src[1000], out[1100];
    fill_repetitive(src, n);
    for (size_t i = 0; i < NALL; i++) {
        uint8_t *comp;
        size_t cl;
        CHECK_EQ_I64(pq_compress(ALL[i], 0, src, n, &comp, &cl, NULL, 0), SL_OK);
        size_t wrong[] = {0, 1, 999, 1001, 1100};
        for (size_t j = 0; j < sizeof wrong / sizeof wrong[0]; j++) {
            char err[SL_ERRLEN] = "", nb[32];
            /* exactly-sized heap buffer so ASan catches any overrun */
            uint8_t *d = malloc(wrong[j] ? wrong[j] : 1);
            sl_err rc = pq_decompress(ALL[i], comp, cl, d, wrong[j], err, sizeof err);
            if (rc != SL_ERR_CODEC || !strstr(err, num(wrong[j], nb)))
                fprintf(stderr, "  codec %d dstlen %zu: rc=%d \"%s\"\n", (int)ALL[i], wrong[j], (int)rc, err);
            CHECK_EQ_I64(rc, SL_ERR_CODEC);
            CHECK(strstr(err, num(wrong[j], nb)) != NULL);
            free(d);
        }
        (void)out;
        free(comp);
    }
}

static void test_message_format(void) {
    uint8_t *comp;
    size_t cl;
    uint8_t src[100] = {0}, out[4096];
    CHECK_EQ_I64(pq_compress(PQ_CODEC_ZSTD, 0, src, 100, &comp, &cl, NULL, 0), SL_OK);
    char err[SL_ERRLEN] = "";
    /* output shorter than expected */
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_ZSTD, comp, cl, out, 4096, err, sizeof err), SL_ERR_CODEC);
    CHECK_EQ_STR(err, "ZSTD: decompressed to 100 bytes, expected 4096");
    free(comp);
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_SNAPPY, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 6, out, 10, err,
                               sizeof err),
                 SL_ERR_CODEC);
    CHECK(strncmp(err, "SNAPPY: corrupt input", 21) == 0);
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_UNCOMPRESSED, src, 100, out, 99, err, sizeof err), SL_ERR_CODEC);
    CHECK_EQ_STR(err, "UNCOMPRESSED: decompressed to 100 bytes, expected 99");
}

/* every truncation of a valid input fails cleanly */
static void test_truncation(void) {
    size_t n = 300;
    uint8_t src[300], out[300];
    fill_repetitive(src, n);
    for (size_t i = 0; i < NALL; i++) {
        uint8_t *comp;
        size_t cl;
        CHECK_EQ_I64(pq_compress(ALL[i], 0, src, n, &comp, &cl, NULL, 0), SL_OK);
        for (size_t k = 0; k < cl; k++) {
            /* copy to an exact-size heap block so over-reads are caught */
            uint8_t *t = malloc(k ? k : 1);
            memcpy(t, comp, k);
            char err[SL_ERRLEN] = "";
            sl_err rc = pq_decompress(ALL[i], t, k, out, n, err, sizeof err);
            if (rc != SL_ERR_CODEC) fprintf(stderr, "  codec %d truncated to %zu: rc=%d\n", (int)ALL[i], k, (int)rc);
            CHECK_EQ_I64(rc, SL_ERR_CODEC);
            CHECK(err[0] != '\0');
            free(t);
        }
        free(comp);
    }
}

/* random garbage and bit flips: must not crash; garbage must not decode */
static void test_garbage(void) {
    uint8_t junk[2048];
    size_t dl = 1000;
    uint8_t *out = malloc(dl);
    for (int round = 0; round < 200; round++) {
        size_t len = (size_t)(next_rand() % sizeof junk);
        fill_random(junk, len);
        for (size_t i = 0; i < NALL; i++) {
            if (ALL[i] == PQ_CODEC_UNCOMPRESSED && len == dl) continue;
            CHECK(pq_decompress(ALL[i], junk, len, out, dl, NULL, 0) != SL_OK);
        }
    }
    /* bit flips of valid data: any result is fine, but no crash / overrun */
    uint8_t src[2000];
    fill_repetitive(src, sizeof src);
    for (size_t i = 0; i < NALL; i++) {
        uint8_t *comp;
        size_t cl;
        CHECK_EQ_I64(pq_compress(ALL[i], 0, src, sizeof src, &comp, &cl, NULL, 0), SL_OK);
        uint8_t *d = malloc(sizeof src);
        for (int r = 0; r < 300; r++) {
            uint8_t *m = malloc(cl);
            memcpy(m, comp, cl);
            m[next_rand() % cl] ^= (uint8_t)(1u << (next_rand() % 8));
            (void)pq_decompress(ALL[i], m, cl, d, sizeof src, NULL, 0);
            free(m);
        }
        free(d);
        free(comp);
    }
    free(out);
}

static void test_unsupported(void) {
    char err[SL_ERRLEN] = "";
    uint8_t out[4];
    CHECK(!pq_codec_supported(PQ_CODEC_LZO));
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZO, (const uint8_t *)"abcd", 4, out, 4, err, sizeof err),
                 SL_ERR_UNSUPPORTED);
    CHECK_EQ_STR(err, "LZO codec is not supported");
    CHECK_EQ_I64(pq_decompress((pq_codec)99, (const uint8_t *)"abcd", 4, out, 4, err, sizeof err),
                 SL_ERR_UNSUPPORTED);
    CHECK(strstr(err, "99") != NULL);
    CHECK(!pq_codec_supported((pq_codec)99));
    uint8_t *c = (uint8_t *)1;
    size_t cl = 5;
    CHECK_EQ_I64(pq_compress(PQ_CODEC_LZO, 0, out, 4, &c, &cl, err, sizeof err), SL_ERR_UNSUPPORTED);
    CHECK(c == NULL && cl == 0);
    CHECK_EQ_I64(pq_compress((pq_codec)42, 0, out, 4, &c, &cl, err, sizeof err), SL_ERR_UNSUPPORTED);
    CHECK(strstr(err, "42") != NULL);
    /* NULL error buffer is allowed */
    CHECK_EQ_I64(pq_decompress(PQ_CODEC_LZO, out, 4, out, 4, NULL, 0), SL_ERR_UNSUPPORTED);
}

/* per-thread cached contexts: concurrent use and cleanup at thread exit (LSan) */
static void *thread_body(void *arg) {
    size_t n = 50000 + (size_t)(uintptr_t)arg * 1000;
    uint8_t *src = malloc(n);
    fill_repetitive(src, n);
    long ok = 1;
    for (int it = 0; it < 20; it++)
        for (size_t i = 0; i < NALL; i++) ok &= roundtrip(ALL[i], src, n);
    free(src);
    return (void *)ok;
}

static void test_threads(void) {
    pthread_t th[4];
    for (uintptr_t i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, thread_body, (void *)i) == 0);
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        pthread_join(th[i], &r);
        CHECK(r == (void *)1);
    }
}

/* An empty section (a data page v2 whose values are all NULL) is stored
 * either as 0 bytes (parquet-mr) or as the codec's encoding of empty input
 * (sluice, Arrow): both decode to 0 bytes for every codec. */
static void test_empty_section(void) {
    for (size_t i = 0; i < NALL; i++) {
        char err[SL_ERRLEN] = "";
        uint8_t dst[1] = {0xAA};
        sl_err rc = pq_decompress(ALL[i], (const uint8_t *)"", 0, dst, 0, err, sizeof err);
        if (rc != SL_OK) fprintf(stderr, "  codec %d, 0 bytes: %s\n", (int)ALL[i], err);
        CHECK_EQ_I64(rc, SL_OK);
        CHECK(dst[0] == 0xAA);
        uint8_t *comp = NULL;
        size_t clen = 0;
        CHECK_EQ_I64(pq_compress(ALL[i], 0, (const uint8_t *)"", 0, &comp, &clen, NULL, 0), SL_OK);
        rc = pq_decompress(ALL[i], comp, clen, dst, 0, err, sizeof err);
        if (rc != SL_OK) fprintf(stderr, "  codec %d, encoded empty (%zu bytes): %s\n", (int)ALL[i], clen, err);
        CHECK_EQ_I64(rc, SL_OK);
        free(comp);
        /* 0 bytes still cannot stand for a non-empty section */
        uint8_t big[8];
        CHECK(pq_decompress(ALL[i], (const uint8_t *)"", 0, big, sizeof big, NULL, 0) != SL_OK);
    }
}

int main(void) {
    RUN(test_empty_section);
    RUN(test_roundtrip_all);
    RUN(test_levels);
    RUN(test_compression_shrinks);
    RUN(test_gzip_concat);
    RUN(test_zstd_concat);
    RUN(test_gzip_zlib_stream);
    RUN(test_gzip_trailing_garbage);
    RUN(test_lz4_hadoop_two_blocks);
    RUN(test_lz4_frame_fallback);
    RUN(test_lz4_raw_block_fallback);
    RUN(test_wrong_dstlen);
    RUN(test_message_format);
    RUN(test_truncation);
    RUN(test_garbage);
    RUN(test_unsupported);
    RUN(test_threads);
    return T_DONE();
}
