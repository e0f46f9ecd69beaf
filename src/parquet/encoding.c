/* encoding.c: Parquet value decoders (see encoding.h).
 *
 * Bit unpacking works on groups of 8 values (a group of bw-bit values is
 * exactly bw bytes).  Each group is unpacked with unaligned 64-bit loads; the
 * kernels are force-inlined into a switch over the bit width so every width
 * gets its own straight-line code with constant shifts and masks.  The
 * 64-bit loads may read up to 8 (16 for widths > 56) bytes past the start
 * of the last value, so groups near the end of the buffer are first copied
 * into a zero-padded scratch buffer: nothing outside [buf, buf+len) is ever
 * read, and missing trailing bytes read as zero bits.
 */
#include "parquet/encoding.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define PQ_INLINE static inline __attribute__((always_inline))
#define PQ_LIKELY(x) __builtin_expect(!!(x), 1)
#define PQ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PQ_INLINE static inline
#define PQ_LIKELY(x) (x)
#define PQ_UNLIKELY(x) (x)
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define PQ_BIG_ENDIAN 1
#else
#define PQ_BIG_ENDIAN 0
#endif

#define PQ_MAX_TOTAL ((uint64_t)1 << 28) /* values per DELTA stream */
#define PQ_MAX_BLOCK ((uint64_t)1 << 31) /* values per DELTA block */

/* ---- little helpers ------------------------------------------------------ */

PQ_INLINE uint64_t ld64le(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if PQ_BIG_ENDIAN
    v = __builtin_bswap64(v);
#endif
    return v;
}

PQ_INLINE uint64_t ld64be(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if !PQ_BIG_ENDIAN
#if defined(__GNUC__) || defined(__clang__)
    v = __builtin_bswap64(v);
#else
    v = ((v & 0x00000000000000FFull) << 56) | ((v & 0x000000000000FF00ull) << 40) |
        ((v & 0x0000000000FF0000ull) << 24) | ((v & 0x00000000FF000000ull) << 8) |
        ((v & 0x000000FF00000000ull) >> 8) | ((v & 0x0000FF0000000000ull) >> 24) |
        ((v & 0x00FF000000000000ull) >> 40) | ((v & 0xFF00000000000000ull) >> 56);
#endif
#endif
    return v;
}

PQ_INLINE void st64le(uint8_t *p, uint64_t v) {
#if PQ_BIG_ENDIAN
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* ULEB128 of at most 5 bytes whose value fits in 32 bits. */
PQ_INLINE bool uleb32(const uint8_t **pp, const uint8_t *end, uint32_t *out) {
    const uint8_t *p = *pp;
    if (PQ_LIKELY(p < end && *p < 0x80)) { /* 1-byte header: by far the common case */
        *out = *p;
        *pp = p + 1;
        return true;
    }
    uint32_t v = 0;
    for (int i = 0; i < 5; i++) {
        if (p >= end) return false;
        uint8_t b = *p++;
        if (i == 4 && b > 0x0F) return false; /* overflows 32 bits / too long */
        v |= (uint32_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            *pp = p;
            return true;
        }
    }
    return false;
}

/* ULEB128 of at most 10 bytes whose value fits in 64 bits. */
static bool uleb64(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (p >= end) return false;
        uint8_t b = *p++;
        if (i == 9 && b > 0x01) return false;
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            *pp = p;
            return true;
        }
    }
    return false;
}

/* zigzag-decoded value, kept mod 2^64 */
static bool zigzag64(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    uint64_t u;
    if (!uleb64(pp, end, &u)) return false;
    *out = (u >> 1) ^ (0 - (u & 1));
    return true;
}

/* ---- 32-bit unpacking ------------------------------------------------------ */

/* Bytes the 8-value kernel may touch from the start of its group. */
#define U32_NEED(bw) ((size_t)(((7 * (bw)) >> 3) + 8))

#define U32_ONE(i)                                                                         \
    out[i] = (uint32_t)((ld64le(in + (((unsigned)(i) * (unsigned)bw) >> 3)) >>            \
                         (((unsigned)(i) * (unsigned)bw) & 7)) &                           \
                        mask)

PQ_INLINE void unpack8_32(const uint8_t *in, uint32_t *out, int bw) {
    const uint64_t mask = ((uint64_t)1 << bw) - 1;
    U32_ONE(0);
    U32_ONE(1);
    U32_ONE(2);
    U32_ONE(3);
    U32_ONE(4);
    U32_ONE(5);
    U32_ONE(6);
    U32_ONE(7);
}

/* ng groups of 8 values from in (in_len bytes readable, 1 <= bw <= 32). */
PQ_INLINE void unpack32_groups(const uint8_t *in, size_t in_len, uint32_t *out, size_t ng, int bw) {
    const size_t need = U32_NEED(bw);
    size_t g = 0;
    if (in_len >= need) {
        size_t fast = (in_len - need) / (size_t)bw + 1;
        if (fast > ng) fast = ng;
        for (; g + 4 <= fast; g += 4) { /* unrolled by 4: 32 values per iteration */
            const uint8_t *q = in + g * (size_t)bw;
            uint32_t *o = out + g * 8;
            unpack8_32(q, o, bw);
            unpack8_32(q + bw, o + 8, bw);
            unpack8_32(q + 2 * bw, o + 16, bw);
            unpack8_32(q + 3 * bw, o + 24, bw);
        }
        for (; g < fast; g++) unpack8_32(in + g * (size_t)bw, out + g * 8, bw);
    }
    for (; g < ng; g++) {
        uint8_t buf[48];
        memset(buf, 0, sizeof buf);
        size_t off = g * (size_t)bw, c = off < in_len ? in_len - off : 0;
        if (c > (size_t)bw) c = (size_t)bw;
        if (c) memcpy(buf, in + off, c);
        unpack8_32(buf, out + g * 8, bw);
    }
}

/* Dispatch on the bit width so each width gets constant-folded code.
 * Bits past in_len read as zero. */
static void unpack32_dispatch(const uint8_t *in, size_t in_len, uint32_t *out, size_t ng, int bw) {
    switch (bw) {
#define C(w)                                           \
    case w:                                            \
        unpack32_groups(in, in_len, out, ng, w); \
        break;
        C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16)
        C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29) C(30) C(31)
#undef C
    case 32:
        if (!PQ_BIG_ENDIAN && in_len >= ng * 32) {
            memcpy(out, in, ng * 32);
        } else {
            unpack32_groups(in, in_len, out, ng, 32);
        }
        break;
    default: memset(out, 0, ng * 8 * sizeof *out); break; /* 0 (and invalid) */
    }
}

/* Values [0, n) from in, in_len bytes readable (missing bits read as 0). */
static void unpack32_bounded(const uint8_t *in, size_t in_len, uint32_t *out, size_t n, int bw) {
    size_t ng = n / 8, r = n % 8;
    if (ng) unpack32_dispatch(in, in_len, out, ng, bw);
    if (r) {
        uint32_t tmp[8];
        size_t off = ng * (size_t)bw;
        unpack32_dispatch(in + (off < in_len ? off : in_len), off < in_len ? in_len - off : 0, tmp, 1, bw);
        memcpy(out + ng * 8, tmp, r * sizeof *out);
    }
}

void pq_unpack32(const uint8_t *in, uint32_t *out, size_t n, int bw) {
    if (bw <= 0 || bw > 32) {
        memset(out, 0, n * sizeof *out);
        return;
    }
    size_t in_len = (n / 8) * (size_t)bw + ((n % 8) * (size_t)bw + 7) / 8;
    unpack32_bounded(in, in_len, out, n, bw);
}

/* ---- 64-bit unpacking (DELTA_BINARY_PACKED) --------------------------------- */

#define U64_NEED(w) ((size_t)(((7 * (w)) >> 3) + ((w) > 56 ? 16 : 8)))

#define U64_ONE(i)                                                                      \
    do {                                                                                \
        const unsigned bit_ = (unsigned)(i) * (unsigned)w, sh_ = bit_ & 7;              \
        const uint8_t *q_ = in + (bit_ >> 3);                                           \
        uint64_t v_ = ld64le(q_) >> sh_;                                                \
        if (w > 56 && sh_ + (unsigned)w > 64) v_ |= ld64le(q_ + 8) << ((64 - sh_) & 63); \
        out[i] = v_ & mask;                                                             \
    } while (0)

PQ_INLINE void unpack8_64(const uint8_t *in, uint64_t *out, int w) {
    const uint64_t mask = w == 64 ? ~(uint64_t)0 : ((uint64_t)1 << (w & 63)) - 1;
    U64_ONE(0);
    U64_ONE(1);
    U64_ONE(2);
    U64_ONE(3);
    U64_ONE(4);
    U64_ONE(5);
    U64_ONE(6);
    U64_ONE(7);
}

PQ_INLINE void unpack64_groups(const uint8_t *in, size_t in_len, uint64_t *out, size_t ng, int w) {
    const size_t need = U64_NEED(w);
    size_t g = 0;
    if (in_len >= need) {
        size_t fast = (in_len - need) / (size_t)w + 1;
        if (fast > ng) fast = ng;
        for (; g < fast; g++) unpack8_64(in + g * (size_t)w, out + g * 8, w);
    }
    for (; g < ng; g++) {
        uint8_t buf[88];
        memset(buf, 0, sizeof buf);
        size_t off = g * (size_t)w, c = off < in_len ? in_len - off : 0;
        if (c > (size_t)w) c = (size_t)w;
        if (c) memcpy(buf, in + off, c);
        unpack8_64(buf, out + g * 8, w);
    }
}

static void unpack64_dispatch(const uint8_t *in, size_t in_len, uint64_t *out, size_t ng, int w) {
    switch (w) {
#define C(x)                                          \
    case x:                                           \
        unpack64_groups(in, in_len, out, ng, x); \
        break;
        C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16)
        C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29) C(30) C(31)
        C(32) C(33) C(34) C(35) C(36) C(37) C(38) C(39) C(40) C(41) C(42) C(43) C(44) C(45) C(46)
        C(47) C(48) C(49) C(50) C(51) C(52) C(53) C(54) C(55) C(56) C(57) C(58) C(59) C(60) C(61)
        C(62) C(63) C(64)
#undef C
    default: memset(out, 0, ng * 8 * sizeof *out); break;
    }
}

/* Values [start, start+k) of a packed sequence at in (in_len bytes readable;
 * missing bits read as 0).  Every value requested must start inside in. */
static void unpack64_range(const uint8_t *in, size_t in_len, uint64_t start, uint64_t *out, size_t k, int w) {
    if (w == 0) {
        memset(out, 0, k * sizeof *out);
        return;
    }
    size_t g = (size_t)(start / 8), r = (size_t)(start % 8);
#define AT(gi) (in + ((gi) * (size_t)w < in_len ? (gi) * (size_t)w : in_len))
#define LEFT(gi) ((gi) * (size_t)w < in_len ? in_len - (gi) * (size_t)w : 0)
    if (r) {
        uint64_t tmp[8];
        unpack64_dispatch(AT(g), LEFT(g), tmp, 1, w);
        size_t c = 8 - r < k ? 8 - r : k;
        memcpy(out, tmp + r, c * sizeof *out);
        out += c;
        k -= c;
        g++;
    }
    if (k >= 8) {
        size_t ng = k / 8;
        unpack64_dispatch(AT(g), LEFT(g), out, ng, w);
        out += ng * 8;
        k -= ng * 8;
        g += ng;
    }
    if (k) {
        uint64_t tmp[8];
        unpack64_dispatch(AT(g), LEFT(g), tmp, 1, w);
        memcpy(out, tmp, k * sizeof *out);
    }
#undef AT
#undef LEFT
}

/* ---- RLE / bit-packed hybrid ----------------------------------------------- */

static void fill32(uint32_t *o, size_t k, uint32_t v) {
    if (v == 0) {
        memset(o, 0, k * sizeof *o);
        return;
    }
    const uint32_t pat[8] = {v, v, v, v, v, v, v, v};
    size_t i = 0;
    for (; i + 8 <= k; i += 8) memcpy(o + i, pat, sizeof pat); /* 32-byte vector stores */
    for (; i < k; i++) o[i] = v;
}

void pq_rle_init(pq_rle *d, const uint8_t *buf, size_t len, int bit_width) {
    memset(d, 0, sizeof *d);
    d->p = buf;
    d->end = buf ? buf + len : buf;
    d->bit_width = bit_width;
    d->lit_p = d->p;
    d->corrupt = bit_width < 0 || bit_width > 32 || (!buf && len);
}

/* Read the next run header.  Returns 1 when a run is ready, 0 at the end
 * of the data, -1 when malformed (and marks the decoder corrupt). */
static int rle_next_run(pq_rle *d) {
    const int bw = d->bit_width;
    if (d->p >= d->end) return 0;
    uint32_t h;
    if (!uleb32(&d->p, d->end, &h)) goto corrupt;
    size_t avail = (size_t)(d->end - d->p);
    if (h & 1) {
        uint64_t ng = h >> 1, vals = ng * 8, bytes = ng * (uint64_t)bw;
        if (bytes > avail) { /* truncated final run: keep the values fully present */
            bytes = avail;
            vals = (uint64_t)avail * 8 / (uint64_t)bw;
        }
        d->lit_p = d->p;
        d->lit_left = vals;
        d->p += (size_t)bytes;
    } else {
        size_t nb = ((size_t)bw + 7) / 8;
        if (nb > avail) goto corrupt;
        uint32_t v = 0;
        for (size_t i = 0; i < nb; i++) v |= (uint32_t)d->p[i] << (8 * i);
        if (bw < 32 && (v >> bw) != 0) goto corrupt;
        d->p += nb;
        d->rle_value = v;
        d->rle_left = h >> 1;
    }
    return 1;
corrupt:
    d->corrupt = true;
    return -1;
}

int64_t pq_rle_decode(pq_rle *d, uint32_t *out, size_t n) {
    if (d->corrupt) return -1;
    if (n > (size_t)INT64_MAX) n = (size_t)INT64_MAX;
    const int bw = d->bit_width;
    size_t done = 0;
    while (done < n) {
        size_t want = n - done;
        if (d->rle_left) {
            size_t k = d->rle_left < want ? d->rle_left : want;
            fill32(out + done, k, d->rle_value);
            d->rle_left -= (uint32_t)k;
            done += k;
            continue;
        }
        if (d->lit_buf_pos < d->lit_buf_len) {
            size_t k = d->lit_buf_len - d->lit_buf_pos;
            if (k > want) k = want;
            memcpy(out + done, d->lit_buf + d->lit_buf_pos, k * sizeof *out);
            d->lit_buf_pos += (uint32_t)k;
            done += k;
            continue;
        }
        if (d->lit_left) {
            if (want >= 8 && d->lit_left >= 8) {
                uint64_t ng = d->lit_left / 8;
                if (ng > want / 8) ng = want / 8;
                /* full groups counted in lit_left lie entirely before p; the
                 * kernels may look at (and mask off) bytes up to end */
                unpack32_dispatch(d->lit_p, (size_t)(d->end - d->lit_p), out + done, (size_t)ng, bw);
                d->lit_p += (size_t)ng * (size_t)bw;
                d->lit_left -= ng * 8;
                done += (size_t)ng * 8;
            } else {
                uint32_t k = d->lit_left < 8 ? (uint32_t)d->lit_left : 8;
                size_t avail = (size_t)(d->p - d->lit_p);
                unpack32_dispatch(d->lit_p, (size_t)(d->end - d->lit_p), d->lit_buf, 1, bw);
                d->lit_p += (size_t)bw < avail ? (size_t)bw : avail;
                d->lit_left -= k;
                d->lit_buf_pos = 0;
                d->lit_buf_len = k;
            }
            continue;
        }
        /* next run */
        int r = rle_next_run(d);
        if (r < 0) return -1;
        if (r == 0) break;
    }
    return (int64_t)done;
}

int64_t pq_rle_take_run(pq_rle *d, size_t max, uint32_t *value) {
    if (d->corrupt) return -1;
    if (!d->rle_left && d->lit_buf_pos >= d->lit_buf_len && !d->lit_left) {
        int r = rle_next_run(d);
        if (r <= 0) return r;
    }
    if (!d->rle_left) return 0;
    size_t k = d->rle_left < max ? d->rle_left : max;
    d->rle_left -= (uint32_t)k;
    *value = d->rle_value;
    return (int64_t)k;
}

/* ---- legacy BIT_PACKED (MSB-first) ------------------------------------------- */

int64_t pq_bitpacked_legacy_decode(const uint8_t *buf, size_t len, int bw, uint32_t *out, size_t n) {
    if (bw < 0 || bw > 32) return -1;
    if (n > (size_t)INT64_MAX / 64) return -1;
    if (bw == 0) {
        memset(out, 0, n * sizeof *out);
        return (int64_t)n;
    }
    size_t need = (n / 8) * (size_t)bw + ((n % 8) * (size_t)bw + 7) / 8;
    if (need > len || (!buf && need)) return -1;
    size_t i = 0;
    if (need >= 8) {
        /* value i is readable with one 8-byte load while (i*bw)/8 + 8 <= need */
        for (; i < n; i++) {
            size_t bit = i * (size_t)bw, byte = bit >> 3;
            if (byte + 8 > need) break;
            uint64_t x = ld64be(buf + byte) << (bit & 7);
            out[i] = (uint32_t)(x >> (64 - bw));
        }
    }
    for (; i < n; i++) {
        size_t bit = i * (size_t)bw, byte = bit >> 3;
        uint8_t tmp[8] = {0};
        size_t c = need - byte < 8 ? need - byte : 8;
        memcpy(tmp, buf + byte, c);
        uint64_t x = ld64be(tmp) << (bit & 7);
        out[i] = (uint32_t)(x >> (64 - bw));
    }
    return (int64_t)n;
}

/* ---- DELTA_BINARY_PACKED -------------------------------------------------------- */

sl_err pq_delta_init(pq_delta *d, const uint8_t *buf, size_t len, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    d->corrupt = true;
    if (!buf && len) return sl_err_set(err, errlen, SL_ERR_ARG, "delta: NULL buffer");
    const uint8_t *p = buf, *end = buf ? buf + len : buf;
    uint64_t bs, nmb, total, first;
    if (!uleb64(&p, end, &bs) || !uleb64(&p, end, &nmb) || !uleb64(&p, end, &total) ||
        !zigzag64(&p, end, &first))
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "delta: truncated or bad header");
    if (bs == 0 || bs % 128 != 0 || bs > PQ_MAX_BLOCK)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "delta: bad block size %llu", (unsigned long long)bs);
    if (nmb == 0 || nmb > PQ_DELTA_MAX_MINIBLOCKS || bs % nmb != 0 || (bs / nmb) % 32 != 0)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "delta: bad miniblock count %llu for block size %llu",
                          (unsigned long long)nmb, (unsigned long long)bs);
    if (total > PQ_MAX_TOTAL)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "delta: value count %llu too large",
                          (unsigned long long)total);
    d->start = buf;
    d->p = p;
    d->end = end;
    d->block_size = bs;
    d->n_miniblocks = nmb;
    d->mb_size = bs / nmb;
    d->total = total;
    d->left = total;
    d->last = first;
    d->first_pending = total > 0;
    d->corrupt = false;
    return SL_OK;
}

/* Enter the next miniblock (reading a block header when needed). */
static bool delta_next_mb(pq_delta *d) {
    if (!d->in_block || d->mb_index + 1 >= d->n_miniblocks) {
        const uint8_t *p = d->p;
        if (!zigzag64(&p, d->end, &d->min_delta)) return false;
        if ((size_t)(d->end - p) < d->n_miniblocks) return false;
        memcpy(d->widths, p, (size_t)d->n_miniblocks);
        d->p = p + d->n_miniblocks;
        d->in_block = true;
        d->mb_index = 0;
    } else {
        d->mb_index++;
    }
    int w = d->widths[d->mb_index];
    if (w > 64) return false;
    uint64_t vals = d->left < d->mb_size ? d->left : d->mb_size;
    uint64_t full = d->mb_size / 8 * (uint64_t)w;
    uint64_t need = (vals * (uint64_t)w + 7) / 8;
    size_t avail = (size_t)(d->end - d->p);
    if (need > avail) return false; /* values we must return are missing */
    d->mb_p = d->p;
    d->mb_avail = full < avail ? (size_t)full : avail; /* tolerate missing padding */
    d->p += d->mb_avail;
    d->mb_width = w;
    d->mb_pos = 0;
    d->mb_left = vals;
    return true;
}

/* Produce k <= left values into out (int64_t, or int32_t when is32: the low
 * 32 bits).  Returns false when corrupt.  Inlined twice, so is32 is constant. */
PQ_INLINE bool delta_run(pq_delta *d, void *outv, size_t k, const bool is32) {
    int64_t *o64 = outv;
    int32_t *o32 = outv;
    size_t done = 0;
    if (k && d->first_pending) {
        if (is32) o32[0] = (int32_t)(uint32_t)d->last;
        else o64[0] = (int64_t)d->last;
        d->first_pending = false;
        d->left--;
        done = 1;
    }
    uint64_t last = d->last;
    uint64_t tmp[256];
    while (done < k) {
        if (d->mb_left == 0) {
            if (!delta_next_mb(d)) return false;
        }
        size_t c = k - done;
        if (c > d->mb_left) c = (size_t)d->mb_left;
        if (is32 && c > 256) c = 256;
        /* int64_t and uint64_t may alias each other: unpack in place */
        uint64_t *u = is32 ? tmp : (uint64_t *)(void *)(o64 + done);
        unpack64_range(d->mb_p, d->mb_avail, d->mb_pos, u, c, d->mb_width);
        const uint64_t md = d->min_delta;
        if (is32) {
            int32_t *o = o32 + done;
            for (size_t i = 0; i < c; i++) {
                last += md + u[i];
                o[i] = (int32_t)(uint32_t)last;
            }
        } else {
            for (size_t i = 0; i < c; i++) {
                last += md + u[i];
                u[i] = last;
            }
        }
        d->mb_pos += c;
        d->mb_left -= c;
        d->left -= c;
        done += c;
        d->last = last;
    }
    return true;
}

int64_t pq_delta_decode_i64(pq_delta *d, int64_t *out, size_t n) {
    if (d->corrupt) return -1;
    if (n > d->left) n = (size_t)d->left;
    if (!delta_run(d, out, n, false)) {
        d->corrupt = true;
        return -1;
    }
    return (int64_t)n;
}

int64_t pq_delta_decode_i32(pq_delta *d, int32_t *out, size_t n) {
    if (d->corrupt) return -1;
    if (n > d->left) n = (size_t)d->left;
    if (!delta_run(d, out, n, true)) {
        d->corrupt = true;
        return -1;
    }
    return (int64_t)n;
}

const uint8_t *pq_delta_end(const pq_delta *d) { return d->p; }

/* Decode all remaining values of d, checking each (as int32) is >= 0 and
 * their sum; returns false when corrupt or negative. */
static bool delta_sum_nonneg(pq_delta *d, uint64_t *sum) {
    int32_t tmp[512];
    uint64_t s = 0;
    while (d->left) {
        size_t c = d->left < 512 ? (size_t)d->left : 512;
        if (pq_delta_decode_i32(d, tmp, c) != (int64_t)c) return false;
        for (size_t i = 0; i < c; i++) {
            if (tmp[i] < 0) return false;
            s += (uint64_t)tmp[i];
        }
    }
    *sum = s;
    return true;
}

/* ---- DELTA_LENGTH_BYTE_ARRAY ----------------------------------------------------- */

sl_err pq_dlba_init(pq_dlba *d, const uint8_t *buf, size_t len, uint64_t max_values, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    sl_err e = pq_delta_init(&d->lens, buf, len, err, errlen);
    if (e != SL_OK) {
        sl_err_prefix(err, errlen, "DELTA_LENGTH_BYTE_ARRAY lengths");
        return e;
    }
    if (d->lens.total > max_values) { /* checked before the lengths are scanned */
        d->lens.corrupt = true;
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_LENGTH_BYTE_ARRAY: %llu lengths in a page of %llu values",
                          (unsigned long long)d->lens.total, (unsigned long long)max_values);
    }
    pq_delta scan = d->lens; /* first pass: validate, find the data */
    uint64_t sum;
    if (!delta_sum_nonneg(&scan, &sum)) {
        d->lens.corrupt = true;
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_LENGTH_BYTE_ARRAY: bad or negative lengths");
    }
    const uint8_t *data = pq_delta_end(&scan), *end = buf + len;
    if (sum > (uint64_t)(end - data)) {
        d->lens.corrupt = true;
        return sl_err_set(err, errlen, SL_ERR_CORRUPT,
                          "DELTA_LENGTH_BYTE_ARRAY: lengths total %llu but %zu data bytes",
                          (unsigned long long)sum, (size_t)(end - data));
    }
    d->n = d->lens.total;
    d->pos = 0;
    d->data = data;
    d->end = end;
    return SL_OK;
}

int64_t pq_dlba_decode(pq_dlba *d, sl_str *out, size_t n) {
    if (n > d->n - d->pos) n = (size_t)(d->n - d->pos);
    int32_t lens[256];
    const uint8_t *data = d->data;
    for (size_t done = 0; done < n;) {
        size_t c = n - done < 256 ? n - done : 256;
        if (pq_delta_decode_i32(&d->lens, lens, c) != (int64_t)c) return -1;
        sl_str *o = out + done;
        for (size_t i = 0; i < c; i++) {
            int32_t L = lens[i];
            if (PQ_UNLIKELY(L < 0 || (size_t)L > (size_t)(d->end - data))) {
                d->lens.corrupt = true;
                return -1;
            }
            o[i].ptr = (const char *)data;
            o[i].len = (uint32_t)L;
            data += L;
        }
        d->data = data;
        d->pos += c;
        done += c;
    }
    return (int64_t)n;
}

void pq_dlba_free(pq_dlba *d) { memset(d, 0, sizeof *d); }

/* ---- DELTA_BYTE_ARRAY ------------------------------------------------------------ */

sl_err pq_dba_init(pq_dba *d, const uint8_t *buf, size_t len, uint64_t max_values, char *err, size_t errlen) {
    memset(d, 0, sizeof *d);
    sl_err e = pq_delta_init(&d->prefix, buf, len, err, errlen);
    if (e != SL_OK) {
        sl_err_prefix(err, errlen, "DELTA_BYTE_ARRAY prefix lengths");
        return e;
    }
    if (d->prefix.total > max_values) {
        d->prefix.corrupt = true;
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_BYTE_ARRAY: %llu prefixes in a page of %llu values",
                          (unsigned long long)d->prefix.total, (unsigned long long)max_values);
    }
    pq_delta scan = d->prefix;
    uint64_t sum;
    if (!delta_sum_nonneg(&scan, &sum)) {
        d->prefix.corrupt = true;
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_BYTE_ARRAY: bad or negative prefix lengths");
    }
    const uint8_t *sfx = pq_delta_end(&scan);
    e = pq_dlba_init(&d->suffix, sfx, (size_t)(buf + len - sfx), max_values, err, errlen);
    if (e != SL_OK) {
        d->prefix.corrupt = true;
        sl_err_prefix(err, errlen, "DELTA_BYTE_ARRAY suffixes");
        return e;
    }
    if (d->suffix.n != d->prefix.total) {
        d->prefix.corrupt = true;
        d->suffix.lens.corrupt = true;
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "DELTA_BYTE_ARRAY: %llu prefixes but %llu suffixes",
                          (unsigned long long)d->prefix.total, (unsigned long long)d->suffix.n);
    }
    d->n = d->prefix.total;
    return SL_OK;
}

int64_t pq_dba_decode(pq_dba *d, sl_str *out, size_t n, sl_arena *arena) {
    if (n > d->n - d->pos) n = (size_t)(d->n - d->pos);
    if (n == 0) return 0;
    int32_t pre[256];
    sl_str sfx[256];
    /* previous value; the saved copy in d->last is not stable storage, so a
     * value that reuses it must be copied into the arena */
    const char *prev = d->last;
    size_t prev_len = d->last_len;
    bool prev_stable = false;
    for (size_t done = 0; done < n;) {
        size_t c = n - done < 256 ? n - done : 256;
        if (pq_delta_decode_i32(&d->prefix, pre, c) != (int64_t)c) return -1;
        if (pq_dlba_decode(&d->suffix, sfx, c) != (int64_t)c) goto corrupt;
        /* pass 1: validate, size the arena block */
        size_t bytes = 0, plen = prev_len;
        bool stable = prev_stable;
        for (size_t i = 0; i < c; i++) {
            if (pre[i] < 0 || (size_t)pre[i] > plen) goto corrupt;
            size_t vlen = (size_t)pre[i] + sfx[i].len;
            if (vlen > UINT32_MAX) goto corrupt;
            if (!(sfx[i].len == 0 && stable)) bytes += vlen; /* else: points into previous value */
            plen = vlen;
            stable = true;
        }
        char *m = NULL;
        if (bytes) {
            m = sl_arena_alloc(arena, bytes);
            if (!m) goto corrupt;
        }
        sl_str *o = out + done;
        for (size_t i = 0; i < c; i++) {
            size_t P = (size_t)pre[i], S = sfx[i].len;
            if (S == 0 && prev_stable) {
                o[i].ptr = P ? prev : "";
                o[i].len = (uint32_t)P;
            } else if (P + S == 0) {
                o[i].ptr = "";
                o[i].len = 0;
            } else {
                if (P) memcpy(m, prev, P);
                if (S) memcpy(m + P, sfx[i].ptr, S);
                o[i].ptr = m;
                o[i].len = (uint32_t)(P + S);
                m += P + S;
            }
            prev = o[i].ptr;
            prev_len = o[i].len;
            prev_stable = true;
        }
        d->pos += c;
        done += c;
    }
    /* keep a private copy of the last value for the next call */
    if (prev_len > d->last_cap) {
        size_t cap = d->last_cap ? d->last_cap : 64;
        while (cap < prev_len) cap *= 2;
        char *nl = malloc(cap);
        if (!nl) goto corrupt;
        free(d->last);
        d->last = nl;
        d->last_cap = cap;
    }
    if (prev_len) memcpy(d->last, prev, prev_len);
    d->last_len = prev_len;
    return (int64_t)n;
corrupt:
    d->prefix.corrupt = true;
    return -1;
}

void pq_dba_free(pq_dba *d) {
    free(d->last);
    memset(d, 0, sizeof *d);
}

/* ---- BYTE_STREAM_SPLIT ------------------------------------------------------------ */

sl_err pq_bss_decode(const uint8_t *src, size_t srclen, size_t total, int width, size_t start, size_t n,
                     uint8_t *dst) {
    if (width <= 0) return SL_ERR_CORRUPT;
    size_t w = (size_t)width;
    if (total > SIZE_MAX / w || srclen < total * w || start > total || n > total - start)
        return SL_ERR_CORRUPT;
    if (n == 0) return SL_OK;
    const uint8_t *s = src + start;
    if (w == 4) {
        const uint8_t *s0 = s, *s1 = s + total, *s2 = s + 2 * total, *s3 = s + 3 * total;
        for (size_t j = 0; j < n; j++) {
            dst[4 * j + 0] = s0[j];
            dst[4 * j + 1] = s1[j];
            dst[4 * j + 2] = s2[j];
            dst[4 * j + 3] = s3[j];
        }
    } else if (w == 8) {
        const uint8_t *s0 = s, *s1 = s + total, *s2 = s + 2 * total, *s3 = s + 3 * total;
        const uint8_t *s4 = s + 4 * total, *s5 = s + 5 * total, *s6 = s + 6 * total, *s7 = s + 7 * total;
        for (size_t j = 0; j < n; j++) {
            dst[8 * j + 0] = s0[j];
            dst[8 * j + 1] = s1[j];
            dst[8 * j + 2] = s2[j];
            dst[8 * j + 3] = s3[j];
            dst[8 * j + 4] = s4[j];
            dst[8 * j + 5] = s5[j];
            dst[8 * j + 6] = s6[j];
            dst[8 * j + 7] = s7[j];
        }
    } else {
        for (size_t k = 0; k < w; k++) {
            const uint8_t *sk = s + k * total;
            uint8_t *dk = dst + k;
            for (size_t j = 0; j < n; j++) dk[j * w] = sk[j];
        }
    }
    return SL_OK;
}

/* ---- PLAIN helpers ------------------------------------------------------------------ */

int64_t pq_plain_bytes_decode(const uint8_t **pp, const uint8_t *end, sl_str *out, size_t n) {
    const uint8_t *p = *pp;
    if (n > (size_t)INT64_MAX) n = (size_t)INT64_MAX;
    size_t i = 0;
    for (; i < n && p != end; i++) {
        if ((size_t)(end - p) < 4) return -1;
        uint32_t L = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        p += 4;
        if (L > (size_t)(end - p)) return -1;
        out[i].ptr = (const char *)p;
        out[i].len = L;
        p += L;
    }
    *pp = p;
    return (int64_t)i;
}

/* Spread the 8 bits of b into 8 bytes of 0/1 (bit i -> byte i). */
PQ_INLINE uint64_t spread_bits(uint8_t b) {
    uint64_t x = (uint64_t)b * 0x0101010101010101ull & 0x8040201008040201ull;
    return ((x + 0x7F7F7F7F7F7F7F7Full) >> 7) & 0x0101010101010101ull;
}

void pq_unpack_bools(const uint8_t *in, size_t bit_off, uint8_t *out, size_t n) {
    in += bit_off >> 3;
    unsigned sh = (unsigned)(bit_off & 7);
    size_t i = 0;
    if (sh) { /* finish the partial first byte */
        for (; i < n && sh < 8; i++, sh++) out[i] = (uint8_t)((in[0] >> sh) & 1);
        in++;
    }
    for (; i + 8 <= n; i += 8) st64le(out + i, spread_bits(*in++));
    for (unsigned b = 0; i < n; i++, b++) out[i] = (uint8_t)((in[0] >> b) & 1);
}
