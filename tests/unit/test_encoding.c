/* test_encoding.c: Parquet value decoders against hand-built streams and a
 * simple reference encoder written here (bit by bit, no shared code). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/encoding.h"
#include "t.h"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}
static uint64_t mask64(int w) { return w >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << w) - 1); }

/* growable byte buffer */
typedef struct {
    uint8_t *b;
    size_t n, cap;
} buf_t;
static void put(buf_t *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->b = realloc(b->b, b->cap);
    }
    if (n) memcpy(b->b + b->n, p, n);
    b->n += n;
}
static void put8(buf_t *b, uint8_t v) { put(b, &v, 1); }
static void put_uleb(buf_t *b, uint64_t v) {
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        put8(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}
static void put_zigzag(buf_t *b, int64_t v) { put_uleb(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
/* LSB-first reference packer, one bit at a time */
static void put_packed(buf_t *b, const uint64_t *v, size_t n, int w) {
    size_t nbytes = (n * (size_t)w + 7) / 8;
    uint8_t *o = calloc(nbytes + 1, 1);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < w; k++)
            if ((v[i] >> k) & 1) {
                size_t bit = i * (size_t)w + (size_t)k;
                o[bit / 8] |= (uint8_t)(1u << (bit % 8));
            }
    put(b, o, nbytes);
    free(o);
}
/* copy into an exactly-sized heap block so ASan catches any overread */
static uint8_t *exact(const buf_t *b) {
    uint8_t *p = malloc(b->n ? b->n : 1);
    if (b->n) memcpy(p, b->b, b->n);
    return p;
}

/* ---- pq_unpack32 ----------------------------------------------------------- */

static void test_unpack32_roundtrip(void) {
    static const size_t ns[] = {0, 1, 7, 8, 9, 31, 32, 33, 100, 1000, 1023, 4099};
    for (int bw = 0; bw <= 32; bw++) {
        for (size_t t = 0; t < sizeof ns / sizeof *ns; t++) {
            size_t n = ns[t];
            uint64_t *v = malloc((n + 1) * sizeof *v);
            for (size_t i = 0; i < n; i++) v[i] = rnd() & mask64(bw);
            if (n && bw) v[n - 1] = mask64(bw); /* top bits of the last byte in use */
            buf_t b = {0};
            put_packed(&b, v, n, bw);
            CHECK_EQ_I64(b.n, (n * (size_t)bw + 7) / 8);
            uint8_t *in = exact(&b);
            uint32_t *out = malloc((n + 1) * sizeof *out);
            pq_unpack32(in, out, n, bw);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += out[i] != (uint32_t)v[i];
            if (bad) fprintf(stderr, "  bw=%d n=%zu: %zu wrong\n", bw, n, bad);
            CHECK(bad == 0);
            free(in);
            free(out);
            free(v);
            free(b.b);
        }
    }
}

/* ---- RLE / bit-packed hybrid ---------------------------------------------- */

static void put_rle_run(buf_t *b, uint32_t count, uint32_t value, int bw) {
    put_uleb(b, (uint64_t)count << 1);
    for (int i = 0; i < (bw + 7) / 8; i++) put8(b, (uint8_t)(value >> (8 * i)));
}
static void put_bp_run(buf_t *b, const uint64_t *v, size_t ngroups, int bw) {
    put_uleb(b, ((uint64_t)ngroups << 1) | 1);
    put_packed(b, v, ngroups * 8, bw);
}

/* decode everything in chunks of `chunk`, returns count or -1 */
static int64_t rle_all(const uint8_t *p, size_t len, int bw, size_t chunk, uint32_t *out, size_t max) {
    pq_rle d;
    pq_rle_init(&d, p, len, bw);
    size_t done = 0;
    while (done < max) {
        size_t c = max - done < chunk ? max - done : chunk;
        int64_t r = pq_rle_decode(&d, out + done, c);
        if (r < 0) return -1;
        done += (size_t)r;
        if ((size_t)r < c) break;
    }
    return (int64_t)done;
}

static void test_rle_spec_example(void) {
    /* Encodings.md: values 0..7 at bit width 3 bit-packed = 0x88 0xC6 0xFA */
    const uint8_t bp[] = {0x03, 0x88, 0xC6, 0xFA, /* then RLE: 5 x value 4 */ 0x0A, 0x04};
    uint32_t out[32];
    CHECK_EQ_I64(rle_all(bp, sizeof bp, 3, 100, out, 32), 13);
    for (uint32_t i = 0; i < 8; i++) CHECK_EQ_I64(out[i], i);
    for (int i = 8; i < 13; i++) CHECK_EQ_I64(out[i], 4);
}

static void test_rle_mixed_all_widths(void) {
    for (int bw = 0; bw <= 32; bw++) {
        buf_t b = {0};
        uint32_t *want = malloc(200000 * sizeof *want);
        size_t n = 0;
        for (int run = 0; run < 60; run++) {
            if (rnd() % 2) {
                uint32_t cnt = (uint32_t)(rnd() % 3000);
                if (run % 7 == 0) cnt = 1;
                uint32_t v = (uint32_t)(rnd() & mask64(bw));
                put_rle_run(&b, cnt, v, bw);
                for (uint32_t i = 0; i < cnt; i++) want[n++] = v;
            } else {
                size_t ng = (size_t)(rnd() % 130) + 1;
                uint64_t vals[130 * 8];
                for (size_t i = 0; i < ng * 8; i++) vals[i] = rnd() & mask64(bw);
                put_bp_run(&b, vals, ng, bw);
                for (size_t i = 0; i < ng * 8; i++) want[n++] = (uint32_t)vals[i];
            }
        }
        uint8_t *in = exact(&b);
        static const size_t chunks[] = {1, 7, 8, 1000, 200000};
        for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
            uint32_t *got = calloc(200000, sizeof *got);
            int64_t r = rle_all(in, b.n, bw, chunks[c], got, 200000);
            CHECK_EQ_I64(r, n);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += got[i] != want[i];
            if (bad) fprintf(stderr, "  bw=%d chunk=%zu: %zu wrong\n", bw, chunks[c], bad);
            CHECK(bad == 0);
            free(got);
        }
        free(in);
        free(want);
        free(b.b);
    }
}

static void test_rle_truncated_last_run(void) {
    for (int bw = 1; bw <= 32; bw++) {
        uint64_t vals[24];
        for (int i = 0; i < 24; i++) vals[i] = rnd() & mask64(bw);
        buf_t b = {0};
        put_rle_run(&b, 3, (uint32_t)vals[0], bw);
        put_bp_run(&b, vals, 3, bw); /* 24 values, 3*bw bytes */
        for (size_t cut = 0; cut <= (size_t)3 * bw; cut += (bw > 8 ? 3 : 1)) {
            buf_t t = {0};
            put(&t, b.b, b.n - cut);
            uint8_t *in = exact(&t);
            size_t data_bytes = (size_t)3 * bw - cut;
            size_t expect = data_bytes * 8 / (size_t)bw;
            if (expect > 24) expect = 24;
            uint32_t got[40];
            for (size_t chunk = 1; chunk <= 40; chunk += 13) {
                int64_t r = rle_all(in, t.n, bw, chunk, got, 40);
                CHECK_EQ_I64(r, 3 + expect);
                for (size_t i = 0; i < 3; i++) CHECK_EQ_I64(got[i], vals[0]);
                for (size_t i = 0; i < expect && r >= 0; i++) CHECK_EQ_I64(got[3 + i], vals[i]);
            }
            free(in);
            free(t.b);
        }
        free(b.b);
    }
}

static void test_rle_width0(void) {
    /* bit width 0: RLE runs have no value bytes; bit-packed runs no data */
    const uint8_t s[] = {0x0A, 0x03, 0x00, 0x01, 0x06};
    uint32_t out[64];
    memset(out, 0xAB, sizeof out);
    CHECK_EQ_I64(rle_all(s, sizeof s, 0, 3, out, 64), 5 + 8 + 0 + 0 + 3);
    for (int i = 0; i < 16; i++) CHECK_EQ_I64(out[i], 0);
}

static void test_rle_corrupt(void) {
    uint32_t out[64];
    /* value 8 does not fit in 3 bits */
    const uint8_t a[] = {0x04, 0x08};
    CHECK_EQ_I64(rle_all(a, sizeof a, 3, 64, out, 64), -1);
    /* value bytes missing (bit width 9 needs 2) */
    const uint8_t b[] = {0x04, 0x01};
    CHECK_EQ_I64(rle_all(b, sizeof b, 9, 64, out, 64), -1);
    /* varint header truncated */
    const uint8_t c[] = {0x80, 0x80};
    CHECK_EQ_I64(rle_all(c, sizeof c, 1, 64, out, 64), -1);
    /* varint longer than 5 bytes / above 32 bits */
    const uint8_t d[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01};
    CHECK_EQ_I64(rle_all(d, sizeof d, 1, 64, out, 64), -1);
    const uint8_t e[] = {0x82, 0x80, 0x80, 0x80, 0x10, 0x01};
    CHECK_EQ_I64(rle_all(e, sizeof e, 1, 64, out, 64), -1);
    /* bit width out of range */
    const uint8_t f[] = {0x02, 0x01};
    CHECK_EQ_I64(rle_all(f, sizeof f, 33, 64, out, 64), -1);
    CHECK_EQ_I64(rle_all(f, sizeof f, -1, 64, out, 64), -1);
    /* corrupt stays corrupt */
    pq_rle r;
    pq_rle_init(&r, a, sizeof a, 3);
    CHECK_EQ_I64(pq_rle_decode(&r, out, 4), -1);
    CHECK_EQ_I64(pq_rle_decode(&r, out, 4), -1);
    /* zero-count runs must not hang and yield nothing */
    uint8_t z[4000];
    for (size_t i = 0; i < sizeof z; i += 2) {
        z[i] = 0x00;
        z[i + 1] = 0x01;
    }
    CHECK_EQ_I64(rle_all(z, sizeof z, 1, 64, out, 64), 0);
    memset(z, 0x01, sizeof z); /* bit-packed runs of 0 groups */
    CHECK_EQ_I64(rle_all(z, sizeof z, 5, 64, out, 64), 0);
    memset(z, 0x00, sizeof z); /* width 0: RLE runs of 0 */
    CHECK_EQ_I64(rle_all(z, sizeof z, 0, 64, out, 64), 0);
    /* 32-bit maximum value and a 5-byte varint header */
    const uint8_t g[] = {0x86, 0x80, 0x80, 0x80, 0x00, 0xFF, 0xFF, 0xFF, 0xFF};
    CHECK_EQ_I64(rle_all(g, sizeof g, 32, 64, out, 64), 3);
    CHECK_EQ_I64(out[0], 0xFFFFFFFFu);
    CHECK_EQ_I64(out[2], 0xFFFFFFFFu);
    /* empty */
    CHECK_EQ_I64(rle_all(NULL, 0, 4, 64, out, 64), 0);
}

/* ---- legacy BIT_PACKED ---------------------------------------------------- */

static void test_bitpacked_legacy(void) {
    /* Encodings.md: 0..7 at width 3 -> 00000101 00111001 01110111 */
    const uint8_t s[] = {0x05, 0x39, 0x77};
    uint32_t out[8];
    CHECK_EQ_I64(pq_bitpacked_legacy_decode(s, 3, 3, out, 8), 8);
    for (uint32_t i = 0; i < 8; i++) CHECK_EQ_I64(out[i], i);
    CHECK_EQ_I64(pq_bitpacked_legacy_decode(s, 2, 3, out, 8), -1);
    CHECK_EQ_I64(pq_bitpacked_legacy_decode(s, 3, 33, out, 8), -1);
    CHECK_EQ_I64(pq_bitpacked_legacy_decode(s, 3, 3, out, 6), 6); /* 18 bits: 3 bytes */
    CHECK_EQ_I64(pq_bitpacked_legacy_decode(s, 2, 3, out, 5), 5); /* 15 bits: 2 bytes */
    CHECK_EQ_I64(out[4], 4);
    for (int bw = 0; bw <= 32; bw++) {
        size_t n = 517;
        uint32_t v[517], got[517];
        size_t nbytes = (n * (size_t)bw + 7) / 8;
        uint8_t *p = calloc(nbytes ? nbytes : 1, 1);
        for (size_t i = 0; i < n; i++) {
            v[i] = (uint32_t)(rnd() & mask64(bw));
            for (int k = 0; k < bw; k++) /* MSB of the value first */
                if ((v[i] >> (bw - 1 - k)) & 1) {
                    size_t bit = i * (size_t)bw + (size_t)k;
                    p[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
                }
        }
        CHECK_EQ_I64(pq_bitpacked_legacy_decode(p, nbytes, bw, got, n), (int64_t)n);
        CHECK(memcmp(v, got, sizeof v) == 0);
        if (bw) CHECK_EQ_I64(pq_bitpacked_legacy_decode(p, nbytes - 1, bw, got, n), -1);
        free(p);
    }
}

/* ---- DELTA_BINARY_PACKED ---------------------------------------------------- */

/* Reference encoder.  Unused trailing miniblocks of the last block get
 * junk_width as their width byte and no data. */
static void enc_delta(buf_t *b, const int64_t *v, size_t n, uint64_t block, uint64_t nmb, uint8_t junk_width) {
    put_uleb(b, block);
    put_uleb(b, nmb);
    put_uleb(b, n);
    put_zigzag(b, n ? v[0] : 0);
    if (n <= 1) return;
    uint64_t mbs = block / nmb;
    uint64_t *d = malloc(block * sizeof *d);
    for (size_t i = 1; i < n; i += block) {
        size_t cnt = n - i < block ? n - i : block;
        int64_t mn = INT64_MAX;
        for (size_t j = 0; j < cnt; j++) {
            d[j] = (uint64_t)v[i + j] - (uint64_t)v[i + j - 1];
            if ((int64_t)d[j] < mn) mn = (int64_t)d[j];
        }
        for (size_t j = 0; j < cnt; j++) d[j] -= (uint64_t)mn;
        for (size_t j = cnt; j < block; j++) d[j] = 0;
        put_zigzag(b, mn);
        size_t used = (cnt + mbs - 1) / mbs;
        for (size_t m = 0; m < nmb; m++) {
            int w = 0;
            if (m < used) {
                for (size_t j = 0; j < mbs; j++)
                    while (w < 64 && (d[m * mbs + j] >> w) != 0) w++;
            } else {
                w = junk_width;
            }
            put8(b, (uint8_t)w);
        }
        size_t wpos = b->n - nmb;
        for (size_t m = 0; m < used; m++) put_packed(b, d + m * mbs, mbs, b->b[wpos + m]);
    }
    free(d);
}

static int64_t delta_all(const uint8_t *p, size_t len, size_t chunk, int64_t *out, size_t max,
                         const uint8_t **endp) {
    pq_delta d;
    char err[SL_ERRLEN];
    if (pq_delta_init(&d, p, len, err, sizeof err) != SL_OK) return -2;
    size_t done = 0;
    while (done < max) {
        size_t c = max - done < chunk ? max - done : chunk;
        int64_t r = pq_delta_decode_i64(&d, out + done, c);
        if (r < 0) return -1;
        done += (size_t)r;
        if ((size_t)r < c) break;
    }
    if (endp) *endp = pq_delta_end(&d);
    return (int64_t)done;
}

static void test_delta_spec_examples(void) {
    /* 1,2,3,4,5: all deltas 1, width 0 (spec example, with a valid block size) */
    const uint8_t a[] = {0x80, 0x01, 0x04, 0x05, 0x02, /* block */ 0x02, 0, 0, 0, 0, /* trailer */ 0xEE};
    int64_t out[16];
    const uint8_t *end;
    CHECK_EQ_I64(delta_all(a, sizeof a, 16, out, 16, &end), 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_I64(out[i], i + 1);
    CHECK(end == a + 10);
    /* 7,5,3,1,2,3,4,5: min delta -2, relative 0,0,0,3,3,3,3 at width 2 */
    const uint8_t b[] = {0x80, 0x01, 0x04, 0x08, 0x0E, /* block */ 0x03, 0x02, 0xFF, 0x07, 0x99,
                         0xC0, 0x3F, 0, 0, 0, 0, 0, 0, /* trailer */ 0xEE, 0xEE};
    static const int64_t bw[] = {7, 5, 3, 1, 2, 3, 4, 5};
    for (size_t chunk = 1; chunk <= 9; chunk++) {
        memset(out, 0, sizeof out);
        CHECK_EQ_I64(delta_all(b, sizeof b, chunk, out, 16, &end), 8);
        for (int i = 0; i < 8; i++) CHECK_EQ_I64(out[i], bw[i]);
        CHECK(end == b + 18);
    }
    int32_t o32[8];
    pq_delta d;
    CHECK(pq_delta_init(&d, b, sizeof b, NULL, 0) == SL_OK);
    CHECK_EQ_I64(pq_delta_decode_i32(&d, o32, 100), 8);
    for (int i = 0; i < 8; i++) CHECK_EQ_I64(o32[i], bw[i]);
    CHECK_EQ_I64(pq_delta_decode_i32(&d, o32, 100), 0);
    /* the literal spec bytes use block size 8, which the spec's own rules
     * (multiple of 128) forbid: rejected */
    const uint8_t lit[] = {0x08, 0x01, 0x05, 0x02, 0x02, 0x00};
    char err[SL_ERRLEN];
    CHECK(pq_delta_init(&d, lit, sizeof lit, err, sizeof err) == SL_ERR_CORRUPT);
}

static void test_delta_roundtrip_widths(void) {
    const size_t n = 1000;
    int64_t *v = malloc(n * sizeof *v), *got = malloc((n + 8) * sizeof *got);
    int32_t *g32 = malloc((n + 8) * sizeof *g32);
    for (int w = 0; w <= 64; w++) {
        for (int layout = 0; layout < 3; layout++) {
            uint64_t block = layout == 0 ? 128 : layout == 1 ? 256 : 1024;
            uint64_t nmb = layout == 0 ? 4 : layout == 1 ? 8 : 32;
            int64_t mn = (int64_t)(rnd() % 2000) - 1000;
            v[0] = (int64_t)rnd();
            for (size_t i = 1; i < n; i++) {
                uint64_t r = rnd() & mask64(w);
                if (w && i % 37 == 0) r = mask64(w);
                v[i] = (int64_t)((uint64_t)v[i - 1] + (uint64_t)mn + r);
            }
            buf_t b = {0};
            enc_delta(&b, v, n, block, nmb, 0xEE);
            size_t enc_len = b.n;
            put8(&b, 0x5A); /* trailing byte: end must point at it */
            uint8_t *in = exact(&b);
            static const size_t chunks[] = {1, 7, 1000, 5000};
            for (size_t c = 0; c < 4; c++) {
                const uint8_t *end = NULL;
                memset(got, 0, n * sizeof *got);
                int64_t r = delta_all(in, b.n, chunks[c], got, n + 8, &end);
                CHECK_EQ_I64(r, n);
                size_t bad = 0;
                for (size_t i = 0; i < n; i++) bad += got[i] != v[i];
                if (bad) fprintf(stderr, "  w=%d layout=%d chunk=%zu: %zu wrong\n", w, layout, chunks[c], bad);
                CHECK(bad == 0);
                CHECK(end == in + enc_len);
            }
            pq_delta d;
            CHECK(pq_delta_init(&d, in, b.n, NULL, 0) == SL_OK);
            size_t done = 0;
            while (done < n) {
                int64_t r = pq_delta_decode_i32(&d, g32 + done, 33);
                if (r <= 0) break;
                done += (size_t)r;
            }
            CHECK_EQ_I64(done, n);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += g32[i] != (int32_t)(uint32_t)(uint64_t)v[i];
            CHECK(bad == 0);
            CHECK(pq_delta_end(&d) == in + enc_len);
            free(in);
            free(b.b);
        }
    }
    free(v);
    free(got);
    free(g32);
}

static void test_delta_extremes(void) {
    int64_t v[300];
    for (int i = 0; i < 300; i++) {
        switch (i % 5) {
        case 0: v[i] = INT64_MIN; break;
        case 1: v[i] = INT64_MAX; break;
        case 2: v[i] = 0; break;
        case 3: v[i] = -1; break;
        default: v[i] = INT64_MIN + 1; break;
        }
    }
    buf_t b = {0};
    enc_delta(&b, v, 300, 128, 4, 200);
    uint8_t *in = exact(&b);
    int64_t got[300];
    const uint8_t *end;
    CHECK_EQ_I64(delta_all(in, b.n, 7, got, 300, &end), 300);
    CHECK(memcmp(got, v, sizeof v) == 0);
    CHECK(end == in + b.n);
    free(in);
    free(b.b);
    /* int32 extremes through INT32 wrap */
    int64_t w[5] = {INT32_MAX, INT32_MIN, INT32_MAX, 0, INT32_MIN};
    buf_t c = {0};
    enc_delta(&c, w, 5, 128, 4, 0);
    pq_delta d;
    int32_t g32[5];
    CHECK(pq_delta_init(&d, c.b, c.n, NULL, 0) == SL_OK);
    CHECK_EQ_I64(pq_delta_decode_i32(&d, g32, 5), 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_I64(g32[i], w[i]);
    free(c.b);
    /* first value INT64_MIN alone: zigzag of 10 bytes */
    int64_t one = INT64_MIN;
    buf_t e = {0};
    enc_delta(&e, &one, 1, 128, 4, 0);
    CHECK_EQ_I64(delta_all(e.b, e.n, 5, got, 5, &end), 1);
    CHECK_EQ_I64(got[0], INT64_MIN);
    free(e.b);
}

static void test_delta_small_totals(void) {
    int64_t out[4];
    const uint8_t *end;
    /* total 0: only the header */
    const uint8_t z[] = {0x80, 0x01, 0x04, 0x00, 0x00, 0xAA};
    CHECK_EQ_I64(delta_all(z, sizeof z, 4, out, 4, &end), 0);
    CHECK(end == z + 5);
    /* total 1: header only, no block follows */
    const uint8_t o[] = {0x80, 0x01, 0x04, 0x01, 0x07, 0xAA, 0xBB};
    CHECK_EQ_I64(delta_all(o, sizeof o, 4, out, 4, &end), 1);
    CHECK_EQ_I64(out[0], -4);
    CHECK(end == o + 5);
    /* total 2: one block, one miniblock used, the rest absent */
    const uint8_t t[] = {0x80, 0x01, 0x04, 0x02, 0x02, 0x04, 0x01, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0};
    CHECK_EQ_I64(delta_all(t, sizeof t, 4, out, 4, &end), 2);
    CHECK_EQ_I64(out[0], 1);
    CHECK_EQ_I64(out[1], 1 + 2 + 1);
    CHECK(end == t + sizeof t);
    /* ... also when the padding of the last miniblock is missing */
    CHECK_EQ_I64(delta_all(t, sizeof t - 3, 4, out, 4, &end), 2);
    CHECK_EQ_I64(out[1], 4);
    CHECK(end == t + sizeof t - 3);
}

static void test_delta_corrupt(void) {
    pq_delta d;
    char err[SL_ERRLEN];
    int64_t out[64];
    /* bad headers */
    const uint8_t h1[] = {0x64, 0x04, 0x05, 0x02};              /* block 100 */
    const uint8_t h2[] = {0x80, 0x01, 0x08, 0x05, 0x02};        /* mb size 16 */
    const uint8_t h3[] = {0x80, 0x01, 0x00, 0x05, 0x02};        /* 0 miniblocks */
    const uint8_t h4[] = {0x80, 0x40, 0x81, 0x04, 0x05, 0x02};  /* 513 miniblocks */
    const uint8_t h5[] = {0x80, 0x01, 0x04, 0x80, 0x80, 0x80, 0x81, 0x01, 0x02}; /* total 2^28+ */
    const uint8_t h6[] = {0x80, 0x01, 0x04, 0x05};              /* first value missing */
    const uint8_t h7[] = {0x80, 0x01, 0x04, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    const uint8_t h8[] = {0x00, 0x04, 0x05, 0x02};              /* block 0 */
    CHECK(pq_delta_init(&d, h1, sizeof h1, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_init(&d, h2, sizeof h2, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_init(&d, h3, sizeof h3, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_init(&d, h4, sizeof h4, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_init(&d, h5, sizeof h5, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_init(&d, h6, sizeof h6, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_init(&d, h7, sizeof h7, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_init(&d, h8, sizeof h8, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(pq_delta_decode_i64(&d, out, 4) == -1); /* failed init: decode refuses */
    /* 256 miniblocks of 32 = block 8192 is valid */
    const uint8_t ok256[] = {0x80, 0x40, 0x80, 0x02, 0x01, 0x02};
    CHECK(pq_delta_init(&d, ok256, sizeof ok256, err, sizeof err) == SL_OK);
    /* width 65 in a used miniblock */
    const uint8_t w1[] = {0x80, 0x01, 0x04, 0x03, 0x02, 0x00, 0x41, 0, 0, 0};
    CHECK_EQ_I64(delta_all(w1, sizeof w1, 64, out, 64, NULL), -1);
    /* block header truncated (widths missing) */
    const uint8_t w2[] = {0x80, 0x01, 0x04, 0x03, 0x02, 0x00, 0x00, 0x00};
    CHECK_EQ_I64(delta_all(w2, sizeof w2, 64, out, 64, NULL), -1);
    /* miniblock data missing: 2 deltas at width 8 need 2 bytes */
    const uint8_t w3[] = {0x80, 0x01, 0x04, 0x03, 0x02, 0x00, 0x08, 0, 0, 0, 0x01};
    CHECK_EQ_I64(delta_all(w3, sizeof w3, 64, out, 64, NULL), -1);
    /* missing block */
    const uint8_t w4[] = {0x80, 0x01, 0x04, 0x03, 0x02};
    CHECK_EQ_I64(delta_all(w4, sizeof w4, 64, out, 64, NULL), -1);
    /* first value still returned before an error in a later call */
    CHECK(pq_delta_init(&d, w4, sizeof w4, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(pq_delta_decode_i64(&d, out, 1), 1);
    CHECK_EQ_I64(out[0], 1);
    CHECK_EQ_I64(pq_delta_decode_i64(&d, out, 1), -1);
    CHECK_EQ_I64(pq_delta_decode_i64(&d, out, 1), -1);
}

/* ---- DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY ---------------------------------- */

static void enc_dlba(buf_t *b, const char *const *s, size_t n) {
    int64_t *lens = calloc(n + 1, sizeof *lens);
    for (size_t i = 0; i < n; i++) lens[i] = (int64_t)strlen(s[i]);
    enc_delta(b, lens, n, 128, 4, 0x77);
    for (size_t i = 0; i < n; i++) put(b, s[i], strlen(s[i]));
    free(lens);
}

static void enc_dba(buf_t *b, const char *const *s, size_t n) {
    int64_t *pre = calloc(n + 1, sizeof *pre);
    const char **suf = malloc((n + 1) * sizeof *suf);
    for (size_t i = 0; i < n; i++) {
        size_t p = 0;
        if (i)
            while (s[i][p] && s[i - 1][p] == s[i][p]) p++;
        pre[i] = (int64_t)p;
        suf[i] = s[i] + p;
    }
    enc_delta(b, pre, n, 128, 4, 0);
    enc_dlba(b, suf, n);
    free(pre);
    free(suf);
}

static int str_is(sl_str s, const char *want) { return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0; }

static void test_dlba(void) {
    static const char *const s[] = {"Hello", "World", "Foobar", "ABCDEF"};
    buf_t b = {0};
    enc_dlba(&b, s, 4);
    uint8_t *in = exact(&b);
    for (size_t chunk = 1; chunk <= 5; chunk++) {
        pq_dlba d;
        char err[SL_ERRLEN];
        CHECK(pq_dlba_init(&d, in, b.n, UINT32_MAX, err, sizeof err) == SL_OK);
        sl_str out[8];
        size_t done = 0;
        int64_t r;
        while ((r = pq_dlba_decode(&d, out + done, chunk)) > 0) done += (size_t)r;
        CHECK_EQ_I64(r, 0);
        CHECK_EQ_I64(done, 4);
        for (int i = 0; i < 4; i++) CHECK(str_is(out[i], s[i]));
        CHECK((const uint8_t *)out[3].ptr + 6 == in + b.n);
        pq_dlba_free(&d);
    }
    /* data one byte short */
    pq_dlba d;
    char err[SL_ERRLEN];
    CHECK(pq_dlba_init(&d, in, b.n - 1, UINT32_MAX, err, sizeof err) == SL_ERR_CORRUPT);
    pq_dlba_free(&d);
    free(in);
    free(b.b);
    /* negative length */
    int64_t lens[3] = {3, -1, 2};
    buf_t c = {0};
    enc_delta(&c, lens, 3, 128, 4, 0);
    put(&c, "abcdefgh", 8);
    CHECK(pq_dlba_init(&d, c.b, c.n, UINT32_MAX, err, sizeof err) == SL_ERR_CORRUPT);
    pq_dlba_free(&d);
    free(c.b);
    /* many empty strings + long ones, decoded in odd chunks */
    enum { N = 2000 };
    char **many = malloc(N * sizeof *many);
    for (int i = 0; i < N; i++) {
        size_t L = i % 3 == 0 ? 0 : (size_t)(rnd() % 300);
        many[i] = malloc(L + 1);
        for (size_t k = 0; k < L; k++) many[i][k] = (char)('a' + rnd() % 26);
        many[i][L] = 0;
    }
    buf_t m = {0};
    enc_dlba(&m, (const char *const *)many, N);
    uint8_t *min = exact(&m);
    /* a stream that claims more values than its page holds is corrupt */
    CHECK(pq_dlba_init(&d, min, m.n, N - 1, err, sizeof err) == SL_ERR_CORRUPT);
    CHECK(strstr(err, "lengths in a page of") != NULL);
    CHECK(pq_dlba_init(&d, min, m.n, N, err, sizeof err) == SL_OK);
    sl_str *o = malloc(N * sizeof *o);
    size_t done = 0;
    int64_t r;
    while ((r = pq_dlba_decode(&d, o + done, 7)) > 0) done += (size_t)r;
    CHECK_EQ_I64(done, N);
    size_t bad = 0;
    for (int i = 0; i < N; i++) bad += !str_is(o[i], many[i]);
    CHECK(bad == 0);
    pq_dlba_free(&d);
    for (int i = 0; i < N; i++) free(many[i]);
    free(many);
    free(o);
    free(min);
    free(m.b);
}

static void check_dba(const char *const *s, size_t n, size_t chunk) {
    buf_t b = {0};
    enc_dba(&b, s, n);
    uint8_t *in = exact(&b);
    pq_dba d;
    char err[SL_ERRLEN];
    CHECK(pq_dba_init(&d, in, b.n, UINT32_MAX, err, sizeof err) == SL_OK);
    sl_arena a;
    sl_arena_init(&a);
    sl_str *out = malloc((n + 1) * sizeof *out);
    size_t done = 0;
    int64_t r;
    while ((r = pq_dba_decode(&d, out + done, chunk, &a)) > 0) done += (size_t)r;
    CHECK_EQ_I64(r, 0);
    CHECK_EQ_I64(done, n);
    size_t bad = 0;
    for (size_t i = 0; i < n && i < done; i++) bad += !str_is(out[i], s[i]);
    if (bad) fprintf(stderr, "  n=%zu chunk=%zu: %zu wrong\n", n, chunk, bad);
    CHECK(bad == 0);
    /* no value may point into the page or the decoder's private copy */
    for (size_t i = 0; i < done; i++)
        if (out[i].len)
            CHECK(!((const uint8_t *)out[i].ptr >= in && (const uint8_t *)out[i].ptr < in + b.n));
    pq_dba_free(&d);
    sl_arena_free(&a);
    free(out);
    free(in);
    free(b.b);
}

static void test_dba(void) {
    static const char *const s1[] = {"Hello", "World", "Foobar", "ABCDEF"};
    static const char *const s2[] = {"axis", "axle", "babble", "babyhood"}; /* spec example */
    static const char *const s3[] = {"", "a", "a", "ab", "abc", "abc", "ab", "", "", "xyz", "xyzzy", "xy"};
    for (size_t chunk = 1; chunk <= 13; chunk++) {
        check_dba(s1, 4, chunk);
        check_dba(s2, 4, chunk);
        check_dba(s3, 12, chunk);
    }
    /* spec example bytes: prefix lengths 0,2,0,3 and suffixes */
    buf_t b = {0};
    enc_dba(&b, s2, 4);
    pq_dba d;
    char err[SL_ERRLEN];
    CHECK(pq_dba_init(&d, b.b, b.n, UINT32_MAX, err, sizeof err) == SL_OK);
    pq_dba_free(&d);
    free(b.b);
    /* randomized with heavy prefix sharing */
    enum { N = 1500 };
    char **v = malloc(N * sizeof *v);
    for (int i = 0; i < N; i++) {
        size_t keep = i ? strlen(v[i - 1]) : 0;
        if (keep) keep = rnd() % (keep + 1);
        size_t add = rnd() % 4 == 0 ? 0 : rnd() % 40;
        v[i] = malloc(keep + add + 1);
        if (keep) memcpy(v[i], v[i - 1], keep);
        for (size_t k = 0; k < add; k++) v[i][keep + k] = (char)('a' + rnd() % 3);
        v[i][keep + add] = 0;
    }
    static const size_t chunks[] = {1, 7, 255, 256, 257, 1000, 5000};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) check_dba((const char *const *)v, N, chunks[c]);
    for (int i = 0; i < N; i++) free(v[i]);
    free(v);
}

static void test_dba_corrupt(void) {
    pq_dba d;
    char err[SL_ERRLEN];
    /* prefix longer than previous value */
    buf_t b = {0};
    int64_t pre[2] = {0, 4};
    static const char *const suf[] = {"abc", "d"};
    enc_delta(&b, pre, 2, 128, 4, 0);
    enc_dlba(&b, suf, 2);
    CHECK(pq_dba_init(&d, b.b, b.n, UINT32_MAX, err, sizeof err) == SL_OK);
    sl_arena a;
    sl_arena_init(&a);
    sl_str out[2];
    CHECK_EQ_I64(pq_dba_decode(&d, out, 2, &a), -1);
    pq_dba_free(&d);
    /* first prefix must be 0 */
    buf_t c = {0};
    int64_t pre1[1] = {1};
    enc_delta(&c, pre1, 1, 128, 4, 0);
    enc_dlba(&c, suf, 1);
    CHECK(pq_dba_init(&d, c.b, c.n, UINT32_MAX, err, sizeof err) == SL_OK);
    CHECK_EQ_I64(pq_dba_decode(&d, out, 1, &a), -1);
    pq_dba_free(&d);
    /* count mismatch */
    buf_t e = {0};
    enc_delta(&e, pre, 2, 128, 4, 0);
    enc_dlba(&e, suf, 1);
    CHECK(pq_dba_init(&d, e.b, e.n, UINT32_MAX, err, sizeof err) == SL_ERR_CORRUPT);
    pq_dba_free(&d);
    /* negative prefix */
    buf_t f = {0};
    int64_t pre2[2] = {0, -1};
    enc_delta(&f, pre2, 2, 128, 4, 0);
    enc_dlba(&f, suf, 2);
    CHECK(pq_dba_init(&d, f.b, f.n, UINT32_MAX, err, sizeof err) == SL_ERR_CORRUPT);
    pq_dba_free(&d);
    sl_arena_free(&a);
    free(b.b);
    free(c.b);
    free(e.b);
    free(f.b);
}

/* ---- BYTE_STREAM_SPLIT / PLAIN ----------------------------------------------------- */

static void test_bss(void) {
    static const int widths[] = {1, 2, 3, 4, 8, 12, 16};
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++) {
        int w = widths[wi];
        size_t total = 37;
        uint8_t *vals = malloc(total * (size_t)w), *split = malloc(total * (size_t)w);
        for (size_t i = 0; i < total * (size_t)w; i++) vals[i] = (uint8_t)rnd();
        for (size_t j = 0; j < total; j++)
            for (int k = 0; k < w; k++) split[(size_t)k * total + j] = vals[j * (size_t)w + (size_t)k];
        for (size_t start = 0; start <= total; start += 5) {
            for (size_t n = 0; start + n <= total; n += 3) {
                uint8_t dst[37 * 16];
                CHECK(pq_bss_decode(split, total * (size_t)w, total, w, start, n, dst) == SL_OK);
                CHECK(n == 0 || memcmp(dst, vals + start * (size_t)w, n * (size_t)w) == 0);
            }
        }
        uint8_t dst[37 * 16];
        CHECK(pq_bss_decode(split, total * (size_t)w - 1, total, w, 0, 1, dst) == SL_ERR_CORRUPT);
        CHECK(pq_bss_decode(split, total * (size_t)w, total, w, 30, 8, dst) == SL_ERR_CORRUPT);
        CHECK(pq_bss_decode(split, total * (size_t)w, total, w, 38, 0, dst) == SL_ERR_CORRUPT);
        CHECK(pq_bss_decode(split, total * (size_t)w, SIZE_MAX / 2, w, 0, 1, dst) == SL_ERR_CORRUPT);
        free(vals);
        free(split);
    }
    /* floats 1.0f, 2.0f: known bytes */
    const uint8_t f[] = {0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x3F, 0x40};
    float got[2];
    CHECK(pq_bss_decode(f, sizeof f, 2, 4, 0, 2, (uint8_t *)got) == SL_OK);
    CHECK(got[0] == 1.0f && got[1] == 2.0f);
    double dv[3] = {1.5, -2.25, 1e300}, dg[2];
    uint8_t ds[24];
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < 8; k++) ds[k * 3 + j] = ((const uint8_t *)&dv[j])[k];
    CHECK(pq_bss_decode(ds, sizeof ds, 3, 8, 1, 2, (uint8_t *)dg) == SL_OK);
    CHECK(dg[0] == -2.25 && dg[1] == 1e300);
    CHECK(pq_bss_decode(ds, sizeof ds, 3, 0, 0, 1, (uint8_t *)dg) == SL_ERR_CORRUPT);
}

static void test_plain_bytes(void) {
    const uint8_t s[] = {5, 0, 0, 0, 'H', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c'};
    const uint8_t *p = s;
    sl_str out[8];
    CHECK_EQ_I64(pq_plain_bytes_decode(&p, s + sizeof s, out, 2), 2);
    CHECK(str_is(out[0], "Hello"));
    CHECK(str_is(out[1], ""));
    CHECK(p == s + 13);
    CHECK_EQ_I64(pq_plain_bytes_decode(&p, s + sizeof s, out, 8), 1);
    CHECK(str_is(out[0], "abc"));
    CHECK(p == s + sizeof s);
    CHECK_EQ_I64(pq_plain_bytes_decode(&p, s + sizeof s, out, 8), 0);
    p = s;
    CHECK_EQ_I64(pq_plain_bytes_decode(&p, s + 8, out, 8), -1); /* length runs past end */
    p = s;
    CHECK_EQ_I64(pq_plain_bytes_decode(&p, s + 11, out, 8), -1); /* partial length */
    const uint8_t big[] = {0xFF, 0xFF, 0xFF, 0xFF, 1};
    p = big;
    CHECK_EQ_I64(pq_plain_bytes_decode(&p, big + sizeof big, out, 1), -1);
}

static void test_bools(void) {
    uint8_t in[40];
    for (size_t i = 0; i < sizeof in; i++) in[i] = (uint8_t)rnd();
    uint8_t out[320];
    for (size_t off = 0; off < 20; off++) {
        for (size_t n = 0; off + n <= 300; n += 1 + n / 3) {
            memset(out, 0xCC, sizeof out);
            pq_unpack_bools(in, off, out, n);
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) bad += out[i] != ((in[(off + i) / 8] >> ((off + i) % 8)) & 1);
            CHECK(bad == 0);
            CHECK(out[n] == 0xCC);
        }
    }
    const uint8_t b = 0x0D; /* 1,0,1,1,0,0,0,0 */
    pq_unpack_bools(&b, 0, out, 8);
    CHECK(out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == 1 && out[4] == 0 && out[7] == 0);
}

int main(void) {
    RUN(test_unpack32_roundtrip);
    RUN(test_rle_spec_example);
    RUN(test_rle_mixed_all_widths);
    RUN(test_rle_truncated_last_run);
    RUN(test_rle_width0);
    RUN(test_rle_corrupt);
    RUN(test_bitpacked_legacy);
    RUN(test_delta_spec_examples);
    RUN(test_delta_roundtrip_widths);
    RUN(test_delta_extremes);
    RUN(test_delta_small_totals);
    RUN(test_delta_corrupt);
    RUN(test_dlba);
    RUN(test_dba);
    RUN(test_dba_corrupt);
    RUN(test_bss);
    RUN(test_plain_bytes);
    RUN(test_bools);
    return T_DONE();
}
