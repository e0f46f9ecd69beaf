/* fuzz_encoding.c: libFuzzer target for the Parquet value decoders.
 *
 * data[0]: low 3 bits pick the decoder, the high 5 bits a bit width / value
 * width.  The rest of the input is the encoded page.  Each decoder is driven
 * in odd-sized chunks until it finishes or reports an error, and the result
 * is checked against a one-shot decode of the same input (the chunking must
 * not change the values).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/encoding.h"

#define MAXV 20000 /* values per run of a decoder */

static volatile uint8_t sink; /* touch decoded bytes so ASan checks them */

static const size_t chunks[] = {1, 3, 7, 13, 33, 101, 257, 1021};

#define ASSERT(c)                   \
    do {                            \
        if (!(c)) __builtin_trap(); \
    } while (0)

static void fuzz_rle(const uint8_t *p, size_t n, int bw) {
    uint32_t *a = malloc(MAXV * sizeof *a), *b = malloc(MAXV * sizeof *b);
    pq_rle d;
    pq_rle_init(&d, p, n, bw);
    int64_t ra = pq_rle_decode(&d, a, MAXV);
    pq_rle_init(&d, p, n, bw);
    size_t done = 0, ci = 0;
    int64_t r = 0;
    while (done < MAXV) {
        size_t c = chunks[ci++ % 8];
        if (c > MAXV - done) c = MAXV - done;
        r = pq_rle_decode(&d, b + done, c);
        if (r < 0) break;
        done += (size_t)r;
        if ((size_t)r < c) break;
    }
    if (ra >= 0 && r >= 0) {
        ASSERT((int64_t)done == ra);
        ASSERT(memcmp(a, b, done * sizeof *a) == 0);
    }
    if (ra >= 0 && bw < 32)
        for (int64_t i = 0; i < ra; i++) ASSERT((a[i] >> bw) == 0);
    free(a);
    free(b);
}

static void fuzz_legacy(const uint8_t *p, size_t n, int bw) {
    size_t cnt = n * 8 / (size_t)(bw ? bw : 1) + 1;
    if (cnt > MAXV) cnt = MAXV;
    uint32_t *a = malloc(cnt * sizeof *a), *b = malloc(cnt * sizeof *b);
    int64_t r = pq_bitpacked_legacy_decode(p, n, bw, a, cnt);
    if (r >= 0) { /* a prefix decodes to the same values */
        ASSERT(pq_bitpacked_legacy_decode(p, n, bw, b, cnt / 2) == (int64_t)(cnt / 2));
        ASSERT(memcmp(a, b, (cnt / 2) * sizeof *a) == 0);
    }
    pq_bitpacked_legacy_decode(p, n, bw, a, cnt - 1);
    /* pq_unpack32 over exactly the bytes it needs */
    if (bw <= 32) {
        size_t m = bw ? n * 8 / (size_t)bw : n;
        if (m > cnt) m = cnt;
        uint8_t *ex = malloc(n ? n : 1);
        if (n) memcpy(ex, p, n);
        pq_unpack32(ex, a, m, bw);
        free(ex);
    }
    free(a);
    free(b);
}

static void fuzz_delta(const uint8_t *p, size_t n) {
    int64_t *a = malloc(MAXV * sizeof *a), *b = malloc(MAXV * sizeof *b);
    int32_t *c32 = malloc(MAXV * sizeof *c32);
    pq_delta d;
    if (pq_delta_init(&d, p, n, NULL, 0) == SL_OK) {
        int64_t ra = pq_delta_decode_i64(&d, a, MAXV);
        const uint8_t *end_a = pq_delta_end(&d);
        ASSERT(end_a >= p && end_a <= p + n);
        pq_delta_init(&d, p, n, NULL, 0);
        size_t done = 0, ci = 0;
        int64_t r = 0;
        while (done < MAXV) {
            size_t c = chunks[ci++ % 8];
            if (c > MAXV - done) c = MAXV - done;
            r = pq_delta_decode_i64(&d, b + done, c);
            if (r < 0) break;
            done += (size_t)r;
            if ((size_t)r < c) break;
        }
        if (ra >= 0 && r >= 0) {
            ASSERT((int64_t)done == ra);
            ASSERT(memcmp(a, b, done * sizeof *a) == 0);
            ASSERT(pq_delta_end(&d) == end_a);
        }
        pq_delta_init(&d, p, n, NULL, 0);
        int64_t r32 = pq_delta_decode_i32(&d, c32, MAXV);
        if (ra >= 0 && r32 >= 0) {
            ASSERT(r32 == ra);
            for (int64_t i = 0; i < ra; i++) ASSERT(c32[i] == (int32_t)(uint32_t)(uint64_t)a[i]);
        }
    }
    free(a);
    free(b);
    free(c32);
}

/* a page's value count, as the reader passes it (a stream claiming more is corrupt) */
#define FUZZ_PAGE_VALUES 65536

static void fuzz_dlba(const uint8_t *p, size_t n) {
    pq_dlba d;
    if (pq_dlba_init(&d, p, n, FUZZ_PAGE_VALUES, NULL, 0) == SL_OK) {
        sl_str *o = malloc(MAXV * sizeof *o);
        size_t done = 0, ci = 0;
        while (done < MAXV) {
            size_t c = chunks[ci++ % 8];
            if (c > MAXV - done) c = MAXV - done;
            int64_t r = pq_dlba_decode(&d, o + done, c);
            ASSERT(r >= 0); /* validated at init: must not fail */
            for (int64_t i = 0; i < r; i++) {
                const uint8_t *s = (const uint8_t *)o[done + i].ptr;
                ASSERT(s >= p && s + o[done + i].len <= p + n);
            }
            done += (size_t)r;
            if ((size_t)r < c) break;
        }
        free(o);
    }
    pq_dlba_free(&d);
}

static void fuzz_dba(const uint8_t *p, size_t n) {
    pq_dba d;
    if (pq_dba_init(&d, p, n, FUZZ_PAGE_VALUES, NULL, 0) == SL_OK) {
        sl_arena a;
        sl_arena_init(&a);
        sl_str *o = malloc(MAXV * sizeof *o);
        size_t done = 0, ci = 0;
        uint64_t bytes = 0;
        while (done < MAXV && bytes < (64u << 20)) {
            size_t c = chunks[ci++ % 8];
            if (c > MAXV - done) c = MAXV - done;
            int64_t r = pq_dba_decode(&d, o + done, c, &a);
            if (r < 0) break;
            for (int64_t i = 0; i < r; i++) {
                const sl_str s = o[done + i];
                for (uint32_t k = 0; k < s.len; k += 97) sink ^= (uint8_t)s.ptr[k];
                if (s.len) sink ^= (uint8_t)s.ptr[s.len - 1];
                bytes += s.len;
            }
            done += (size_t)r;
            if ((size_t)r < c) break;
            if (done % 4096 < c) sl_arena_reset(&a); /* values of older calls may die */
        }
        free(o);
        sl_arena_free(&a);
    }
    pq_dba_free(&d);
}

static void fuzz_misc(const uint8_t *p, size_t n, int sel) {
    /* BYTE_STREAM_SPLIT with width sel+1 over the whole input */
    int w = sel + 1;
    size_t total = n / (size_t)w;
    uint8_t *dst = malloc(total * (size_t)w + 1);
    for (size_t start = 0; start < total; start += 1 + total / 3)
        ASSERT(pq_bss_decode(p, n, total, w, start, total - start, dst) == SL_OK);
    ASSERT(pq_bss_decode(p, n, total + 1, w, 0, 1, dst) == SL_ERR_CORRUPT);
    free(dst);
    /* PLAIN byte arrays */
    sl_str o[64];
    const uint8_t *q = p, *end = p + n;
    for (;;) {
        int64_t r = pq_plain_bytes_decode(&q, end, o, 7);
        if (r <= 0) break;
        for (int64_t i = 0; i < r; i++)
            ASSERT((const uint8_t *)o[i].ptr >= p && (const uint8_t *)o[i].ptr + o[i].len <= end);
    }
    /* booleans */
    if (n) {
        uint8_t *bo = malloc(n * 8);
        size_t off = (size_t)sel % 8;
        pq_unpack_bools(p, off, bo, n * 8 - off);
        for (size_t i = 0; i < n * 8 - off; i++) ASSERT(bo[i] == ((p[(off + i) / 8] >> ((off + i) % 8)) & 1));
        free(bo);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int sel = data[0] & 7, bw = data[0] >> 3; /* 0..31 */
    /* exact-size copy: any read past the end trips ASan */
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    if (n) memcpy(p, data + 1, n);
    switch (sel) {
    case 0: fuzz_rle(p, n, bw); break;
    case 1: fuzz_rle(p, n, bw + 1); break; /* 1..32 */
    case 2: fuzz_legacy(p, n, bw + (bw == 31)); break;
    case 3: fuzz_delta(p, n); break;
    case 4: fuzz_dlba(p, n); break;
    case 5: fuzz_dba(p, n); break;
    case 6: fuzz_misc(p, n, bw % 16); break;
    default: /* everything over the same bytes */
        fuzz_rle(p, n, bw);
        fuzz_delta(p, n);
        fuzz_dlba(p, n);
        fuzz_dba(p, n);
        break;
    }
    free(p);
    return 0;
}
