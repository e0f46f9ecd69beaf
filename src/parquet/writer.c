/* writer.c: streaming Parquet writer for flat schemas.
 *
 * Layout of the work
 * - Rows arrive in batches and are cut into slices (at most SLICE_ROWS rows,
 *   never crossing a row-group boundary).  Each column appends a slice to its
 *   current page: definition levels (one byte per row) and values, either as
 *   dictionary indices (uint32 per value) or as PLAIN bytes.
 * - A page is encoded, compressed, given its header (and CRC) as soon as it is
 *   full (page_bytes of PLAIN bytes, or of 4-byte indices when dictionary
 *   encoding) and appended to the column's chunk buffer.  The dictionary page
 *   must precede the data pages in the file, so the chunk's pages stay in
 *   memory until the row group is flushed: then each column writes its
 *   dictionary page (if any) followed by its data pages.  Memory is thus
 *   bounded by one row group of compressed pages plus one open page and one
 *   dictionary per column.
 *
 * Dictionary rule (per column chunk)
 * - Every chunk starts dictionary-encoded (except BOOLEAN: always PLAIN,
 *   bit-packed).  Values are interned in an open-addressing hash table
 *   (linear probing; fixed-width values hashed by their 8 bytes with a
 *   multiplicative hash, byte arrays 8 bytes at a time), with no per-value
 *   allocation: fixed-width dictionary values live in one array that *is* the
 *   PLAIN dictionary page, strings in one buffer of PLAIN length-prefixed bytes.
 * - "Does it pay?" is decided when the first page of the chunk is flushed:
 *   the dictionary is kept only if dictionary bytes + encoded index bytes are
 *   smaller than the PLAIN bytes of the same values (parquet-mr's rule).  If
 *   not, the page is re-materialised as PLAIN, the dictionary is dropped and
 *   the rest of the chunk is PLAIN (so a chunk of nearly distinct values has
 *   no dictionary page at all).
 * - When adding a value would grow the dictionary beyond dict_max_bytes, the
 *   current page is flushed (dictionary-encoded, or PLAIN if that first-page
 *   test fails) and the chunk continues PLAIN.  The dictionary page written at
 *   row-group flush holds every entry used by the dictionary-encoded pages, so
 *   a chunk may be: dictionary page, RLE_DICTIONARY pages, PLAIN pages.
 * - The next row group starts again with an empty dictionary.
 *
 * Statistics: min/max (fields 6/5) for every type, also the legacy 2/1 for
 * BOOLEAN/INT32/INT64/FLOAT/DOUBLE (signed order agrees); null_count always.
 * While dictionary-encoding, min/max are only updated when a new dictionary
 * entry is created.  Floats ignore NaN, write no min/max when every value is
 * NaN or NULL, and write -0.0 as min / +0.0 as max when zero is an extreme.
 * Byte arrays compare as unsigned bytes; their min/max are omitted when one of
 * them is longer than STAT_MAX_BYTES (so huge values never bloat the footer).
 */
#include "parquet/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet/codec.h"
#include "parquet/thrift_w.h"
#include "util/buf.h"

#define PQ_WRITER_NAME "sluice"
#define PQ_WRITER_VERSION "0.1.0"

#define SLICE_ROWS 8192u           /* rows appended per column per step */
#define PAGE_ROWS_MAX (1u << 20)   /* hard cap on rows per page */
#define STAT_MAX_BYTES 4096u       /* longer string min/max are not written */
#define PAGE_SIZE_MAX ((size_t)INT32_MAX - 4096)

/* ------------------------------------------------------------------------ */

typedef struct wdict {
    uint32_t *slots;   /* entry index + 1; 0 = empty */
    size_t nslots;     /* power of two (0 before first use) */
    int shift;         /* 64 - log2(nslots) */
    size_t n;          /* entries */
    sl_buf plain;      /* PLAIN encoding of the entries = dictionary page body */
    size_t *off;       /* byte arrays: offset of entry i in plain (its length prefix) */
    uint32_t *hash;    /* byte arrays: hash of entry i */
    size_t cap;        /* capacity of off/hash */
} wdict;

typedef struct wcol {
    char *name;
    sl_coltype t;
    bool nullable;
    pq_type ptype;
    size_t w;              /* bytes per PLAIN value for fixed-width types, 0 for BYTE_ARRAY/BOOLEAN */

    /* chunk state */
    bool use_dict;         /* new values go to the dictionary */
    bool dict_used;        /* some flushed page of this chunk is dictionary-encoded */
    bool fell_back;        /* switched to PLAIN during this chunk */
    wdict d;
    sl_buf pages;          /* data pages (headers + bodies) of this chunk */
    int64_t unc_bytes;     /* headers + uncompressed bodies of the data pages */
    int64_t num_values, null_count;
    uint32_t n_dict_pages, n_plain_pages;

    /* statistics of the chunk */
    bool has_minmax;
    union { int64_t i; double f; } mn, mx;
    sl_buf smin, smax;     /* byte arrays */

    /* open page */
    uint8_t *lv;           /* definition levels (0/1), one per row */
    size_t lv_cap;
    uint32_t *idx;         /* dictionary indices of the non-NULL values */
    size_t idx_cap;
    sl_buf plain;          /* PLAIN values */
    size_t page_rows, page_vals;
    size_t page_plain;     /* PLAIN size of the page's values (for the dictionary test) */
    size_t bool_bits;
} wcol;

struct pq_writer {
    char *path;        /* the target's name, for messages */
    sl_target *t;      /* owned until pq_writer_finish hands it over */
    uint64_t off;
    wcol *cols;
    size_t ncols;
    pq_writer_opts o;
    pq_kv *kv;
    size_t n_kv;
    size_t rg_rows, rg_bytes;
    int64_t total_rows;
    sl_buf rgmeta;         /* encoded RowGroup structs */
    uint32_t n_rg;
    pq_writer_stats st;
    sl_buf raw, vals, lvl, comp, hdr;
    sl_buf out;            /* small writes gathered into OUT_CHUNK-sized write(2)s */
    bool failed;
};

#define OUT_CHUNK ((size_t)256 << 10)

/* ------------------------------------------------------------------------ */
/* small helpers                                                            */

static sl_err nomem(char *err, size_t errlen) { return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory"); }

static bool buf_need(sl_buf *b, size_t extra) { return sl_buf_reserve(b, extra); }

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int bit_width(uint64_t v) {
    int b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
}

static const char *sl_type_label(sl_type t) {
    switch (t) {
    case SL_BOOL: return "SL_BOOL";
    case SL_I32: return "SL_I32";
    case SL_I64: return "SL_I64";
    case SL_F32: return "SL_F32";
    case SL_F64: return "SL_F64";
    case SL_BYTES: return "SL_BYTES";
    }
    return "SL_?";
}

static bool grow_arr(void **p, size_t *cap, size_t need, size_t elsz) {
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * elsz);
    if (!np) return false;
    *p = np;
    *cap = nc;
    return true;
}

/* ------------------------------------------------------------------------ */
/* RLE / bit-packed hybrid encoder                                          */

/* Pack 8 values of bw bits (LSB first) into bw bytes at o. */
static inline uint8_t *pack8(const uint32_t *v, int bw, uint8_t *o) {
    uint64_t acc = 0;
    int nb = 0;
    for (int k = 0; k < 8; k++) {
        acc |= (uint64_t)v[k] << nb;
        nb += bw;
        while (nb >= 8) {
            *o++ = (uint8_t)acc;
            acc >>= 8;
            nb -= 8;
        }
    }
    return o;
}

/* Literal (bit-packed) runs of cnt values (cnt is a multiple of 8, except at
 * the very end where the last group is zero-padded). */
#define DEFINE_RLE(NAME, T)                                                                       \
    static void NAME##_lit(sl_buf *out, const T *v, size_t cnt, int bw) {                        \
        while (cnt) {                                                                            \
            size_t groups = (cnt + 7) / 8;                                                       \
            if (groups > 63) groups = 63;                                                        \
            size_t take = groups * 8 < cnt ? groups * 8 : cnt;                                   \
            uint8_t *o = (uint8_t *)out->p + out->len;                                           \
            *o++ = (uint8_t)(groups << 1 | 1);                                                   \
            uint32_t tmp[8];                                                                     \
            for (size_t g = 0; g < groups; g++) {                                                \
                size_t base = g * 8, m = take - base < 8 ? take - base : 8;                      \
                for (size_t k = 0; k < 8; k++) tmp[k] = k < m ? (uint32_t)v[base + k] : 0;       \
                o = pack8(tmp, bw, o);                                                           \
            }                                                                                    \
            out->len = (size_t)((char *)o - out->p);                                             \
            v += take;                                                                           \
            cnt -= take;                                                                         \
        }                                                                                        \
    }                                                                                            \
    static void NAME##_run(sl_buf *out, size_t cnt, uint32_t val, int bw) {                      \
        uint8_t *o = (uint8_t *)out->p + out->len;                                               \
        uint64_t h = (uint64_t)cnt << 1;                                                         \
        while (h >= 0x80) {                                                                      \
            *o++ = (uint8_t)(h | 0x80);                                                          \
            h >>= 7;                                                                             \
        }                                                                                        \
        *o++ = (uint8_t)h;                                                                       \
        for (int k = 0; k < (bw + 7) / 8; k++) *o++ = (uint8_t)(val >> (8 * k));                \
        out->len = (size_t)((char *)o - out->p);                                                 \
    }                                                                                            \
    /* Encode n values; out must have room (see rle_bound). */                                   \
    static void NAME(sl_buf *out, const T *v, size_t n, int bw) {                                \
        size_t i = 0, lit = 0;                                                                   \
        while (i < n) {                                                                          \
            T x = v[i];                                                                          \
            size_t j = i + 1;                                                                    \
            while (j < n && v[j] == x) j++;                                                      \
            size_t run = j - i;                                                                  \
            if (run >= 8) {                                                                      \
                size_t pend = i - lit, pad = (8 - pend % 8) % 8;                                 \
                if (run - pad >= 8) {                                                            \
                    if (pend + pad) NAME##_lit(out, v + lit, pend + pad, bw);                    \
                    NAME##_run(out, run - pad, (uint32_t)x, bw);                                 \
                    lit = i = j;                                                                 \
                    continue;                                                                    \
                }                                                                                \
            }                                                                                    \
            i = j;                                                                               \
        }                                                                                        \
        if (lit < n) NAME##_lit(out, v + lit, n - lit, bw);                                      \
    }

DEFINE_RLE(rle_u8, uint8_t)
DEFINE_RLE(rle_u32, uint32_t)

/* Upper bound of the encoded size of n values of bw bits. */
static size_t rle_bound(size_t n, int bw) { return (n + 7) / 8 * (size_t)bw + n / 504 * 2 + 64 + n / 8 * 2; }

/* ------------------------------------------------------------------------ */
/* dictionary                                                               */

#define DICT_FULL UINT32_MAX

static inline uint64_t mix64(uint64_t v) { return v * 0x9E3779B97F4A7C15ull; }

static uint32_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0x243F6A8885A308D3ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        h = (h ^ x) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t x = 0;
    memcpy(&x, p, n);
    h = (h ^ x) * 0x9E3779B97F4A7C15ull;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

static void dict_clear(wdict *d) {
    if (d->slots && d->n) memset(d->slots, 0, d->nslots * sizeof *d->slots);
    d->n = 0;
    d->plain.len = 0;
}

static void dict_free(wdict *d) {
    free(d->slots);
    free(d->off);
    free(d->hash);
    sl_buf_free(&d->plain);
    memset(d, 0, sizeof *d);
}

static inline uint64_t fixed_at(const wdict *d, size_t w, size_t i) {
    if (w == 8) {
        uint64_t v;
        memcpy(&v, d->plain.p + i * 8, 8);
        return v;
    }
    uint32_t v;
    memcpy(&v, d->plain.p + i * 4, 4);
    return v;
}

static inline size_t slot_of(const wdict *d, uint64_t h64) { return (size_t)(mix64(h64) >> d->shift); }

/* Grow the table so that it holds at least 2 * (n + 1) slots. */
static bool dict_rehash(wdict *d, size_t w) {
    size_t ns = d->nslots ? d->nslots * 2 : 1024;
    while (ns < 2 * (d->n + 1)) ns *= 2;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s) return false;
    free(d->slots);
    d->slots = s;
    d->nslots = ns;
    d->shift = 64 - bit_width(ns - 1);
    size_t mask = ns - 1;
    for (size_t i = 0; i < d->n; i++) {
        uint64_t key = w ? fixed_at(d, w, i) : d->hash[i];
        size_t sl = slot_of(d, key);
        while (s[sl]) sl = (sl + 1) & mask;
        s[sl] = (uint32_t)i + 1;
    }
    return true;
}

/* Index of fixed-width value v (w = 4 or 8), inserting it when new.
 * Returns DICT_FULL when inserting would pass max_bytes, DICT_FULL - 1 on OOM.
 * *added is set when a new entry was created. */
static inline uint32_t dict_fixed(wdict *d, size_t w, uint64_t v, size_t max_bytes, bool *added) {
    if (d->nslots) {
        size_t mask = d->nslots - 1, sl = slot_of(d, v);
        uint32_t e;
        while ((e = d->slots[sl]) != 0) {
            if (fixed_at(d, w, e - 1) == v) return e - 1;
            sl = (sl + 1) & mask;
        }
    }
    if (d->plain.len + w > max_bytes || d->n >= UINT32_MAX - 2) return DICT_FULL;
    if (2 * (d->n + 1) > d->nslots && !dict_rehash(d, w)) return DICT_FULL - 1;
    if (!buf_need(&d->plain, w)) return DICT_FULL - 1;
    if (w == 8) memcpy(d->plain.p + d->plain.len, &v, 8);
    else {
        uint32_t v32 = (uint32_t)v;
        memcpy(d->plain.p + d->plain.len, &v32, 4);
    }
    d->plain.len += w;
    size_t mask = d->nslots - 1, sl = slot_of(d, v);
    while (d->slots[sl]) sl = (sl + 1) & mask;
    d->slots[sl] = (uint32_t)d->n + 1;
    *added = true;
    return (uint32_t)d->n++;
}

static uint32_t dict_bytes(wdict *d, const uint8_t *p, uint32_t n, size_t max_bytes, bool *added) {
    uint32_t h = hash_bytes(p, n);
    if (d->nslots) {
        size_t mask = d->nslots - 1, sl = slot_of(d, h);
        uint32_t e;
        while ((e = d->slots[sl]) != 0) {
            size_t i = e - 1;
            if (d->hash[i] == h) {
                const uint8_t *q = (const uint8_t *)d->plain.p + d->off[i];
                uint32_t len;
                memcpy(&len, q, 4);
                if (len == n && memcmp(q + 4, p, n) == 0) return (uint32_t)i;
            }
            sl = (sl + 1) & mask;
        }
    }
    if (d->plain.len + 4 + (size_t)n > max_bytes || d->n >= UINT32_MAX - 2) return DICT_FULL;
    if (!grow_arr((void **)&d->off, &d->cap, d->n + 1, sizeof *d->off)) return DICT_FULL - 1;
    size_t hcap = d->cap;
    /* hash[] shares cap with off[]: grow it to the same capacity */
    {
        uint32_t *nh = realloc(d->hash, hcap * sizeof *nh);
        if (!nh) return DICT_FULL - 1;
        d->hash = nh;
    }
    if (!buf_need(&d->plain, 4 + (size_t)n)) return DICT_FULL - 1;
    d->off[d->n] = d->plain.len;
    d->hash[d->n] = h;
    put_le32((uint8_t *)d->plain.p + d->plain.len, n);
    if (n) memcpy(d->plain.p + d->plain.len + 4, p, n);
    d->plain.len += 4 + (size_t)n;
    d->n++;
    if (2 * d->n > d->nslots) {
        if (!dict_rehash(d, 0)) return DICT_FULL - 1;
    } else {
        size_t mask = d->nslots - 1, sl = slot_of(d, h);
        while (d->slots[sl]) sl = (sl + 1) & mask;
        d->slots[sl] = (uint32_t)d->n;
    }
    *added = true;
    return (uint32_t)(d->n - 1);
}

/* ------------------------------------------------------------------------ */
/* statistics                                                               */

static void stat_int(wcol *c, int64_t v) {
    if (!c->has_minmax) {
        c->mn.i = c->mx.i = v;
        c->has_minmax = true;
        return;
    }
    if (v < c->mn.i) c->mn.i = v;
    if (v > c->mx.i) c->mx.i = v;
}

static void stat_float(wcol *c, double v) {
    if (v != v) return; /* NaN */
    if (!c->has_minmax) {
        c->mn.f = c->mx.f = v;
        c->has_minmax = true;
        return;
    }
    if (v < c->mn.f) c->mn.f = v;
    if (v > c->mx.f) c->mx.f = v;
}

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int r = m ? memcmp(a, b, m) : 0;
    if (r) return r;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static bool stat_bytes(wcol *c, const uint8_t *p, size_t n) {
    if (!c->has_minmax) {
        c->smin.len = c->smax.len = 0;
        sl_buf_put(&c->smin, p, n);
        sl_buf_put(&c->smax, p, n);
        c->has_minmax = true;
        return !c->smin.oom && !c->smax.oom;
    }
    if (cmp_bytes(p, n, (const uint8_t *)c->smin.p, c->smin.len) < 0) {
        c->smin.len = 0;
        sl_buf_put(&c->smin, p, n);
    } else if (cmp_bytes(p, n, (const uint8_t *)c->smax.p, c->smax.len) > 0) {
        c->smax.len = 0;
        sl_buf_put(&c->smax, p, n);
    }
    return !c->smin.oom && !c->smax.oom;
}

/* Stats over a dense array of k fixed-width values. */
static void stat_dense(wcol *c, const uint8_t *p, size_t k) {
    if (!k) return;
    switch (c->t.type) {
    case SL_I32: {
        int32_t mn, mx;
        memcpy(&mn, p, 4);
        mx = mn;
        for (size_t i = 1; i < k; i++) {
            int32_t v;
            memcpy(&v, p + 4 * i, 4);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        stat_int(c, mn);
        stat_int(c, mx);
        break;
    }
    case SL_I64: {
        int64_t mn, mx;
        memcpy(&mn, p, 8);
        mx = mn;
        for (size_t i = 1; i < k; i++) {
            int64_t v;
            memcpy(&v, p + 8 * i, 8);
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        stat_int(c, mn);
        stat_int(c, mx);
        break;
    }
    case SL_F32: {
        float mn = INFINITY, mx = -INFINITY;
        bool seen = false;
        for (size_t i = 0; i < k; i++) {
            float v;
            memcpy(&v, p + 4 * i, 4);
            seen |= v == v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        if (seen) {
            stat_float(c, mn);
            stat_float(c, mx);
        }
        break;
    }
    case SL_F64: {
        double mn = INFINITY, mx = -INFINITY;
        bool seen = false;
        for (size_t i = 0; i < k; i++) {
            double v;
            memcpy(&v, p + 8 * i, 8);
            seen |= v == v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        if (seen) {
            stat_float(c, mn);
            stat_float(c, mx);
        }
        break;
    }
    default: break;
    }
}

/* Stats for one fixed-width value given as its raw bits. */
static inline void stat_one(wcol *c, uint64_t bits) {
    switch (c->t.type) {
    case SL_I32: stat_int(c, (int32_t)(uint32_t)bits); break;
    case SL_I64: stat_int(c, (int64_t)bits); break;
    case SL_F32: {
        float f;
        uint32_t b32 = (uint32_t)bits;
        memcpy(&f, &b32, 4);
        stat_float(c, f);
        break;
    }
    case SL_F64: {
        double f;
        memcpy(&f, &bits, 8);
        stat_float(c, f);
        break;
    }
    default: break;
    }
}

/* ------------------------------------------------------------------------ */
/* output                                                                   */

static sl_err raw_write(pq_writer *w, const void *p, size_t n, char *err, size_t errlen) {
    sl_err e = sl_target_write(w->t, p, n, err, errlen);
    if (e != SL_OK) w->failed = true;
    return e;
}

/* Write the gathered bytes out. */
static sl_err out_flush(pq_writer *w, char *err, size_t errlen) {
    if (w->out.len == 0) return SL_OK;
    sl_err e = raw_write(w, w->out.p, w->out.len, err, errlen);
    w->out.len = 0;
    return e;
}

/* Append n bytes to the file (w->off counts them at once; small pieces are
 * gathered and written in chunks, large ones directly). */
static sl_err out_write(pq_writer *w, const void *p, size_t n, char *err, size_t errlen) {
    sl_err e = SL_OK;
    if (w->out.len + n > OUT_CHUNK) e = out_flush(w, err, errlen);
    if (e != SL_OK) return e;
    if (n >= OUT_CHUNK) {
        e = raw_write(w, p, n, err, errlen);
    } else {
        if (!sl_buf_reserve(&w->out, n)) {
            w->failed = true;
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", w->path);
        }
        memcpy(w->out.p + w->out.len, p, n);
        w->out.len += n;
    }
    if (e == SL_OK) w->off += (uint64_t)n;
    return e;
}

/* Compress n bytes at src into w->comp (or pass through); out and outn receive the result. */
static sl_err page_compress(pq_writer *w, const uint8_t *src, size_t n, const uint8_t **out, size_t *outn, char *err,
                       size_t errlen) {
    switch (w->o.codec) {
    case PQ_CODEC_UNCOMPRESSED:
        *out = src;
        *outn = n;
        return SL_OK;
    case PQ_CODEC_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        w->comp.len = 0;
        if (!buf_need(&w->comp, cap)) return nomem(err, errlen);
        int lv = w->o.level > 0 ? w->o.level : 3;
        if (lv > ZSTD_maxCLevel()) lv = ZSTD_maxCLevel();
        ZSTD_CCtx *zc = pq_codec_zstd_cctx();
        if (!zc) return nomem(err, errlen);
        size_t r = ZSTD_compressCCtx(zc, w->comp.p, cap, n ? src : (const uint8_t *)"", n, lv);
        if (ZSTD_isError(r)) return sl_err_set(err, errlen, SL_ERR_CODEC, "ZSTD: %s", ZSTD_getErrorName(r));
        *out = (const uint8_t *)w->comp.p;
        *outn = r;
        return SL_OK;
    }
    case PQ_CODEC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        w->comp.len = 0;
        if (!buf_need(&w->comp, cap)) return nomem(err, errlen);
        size_t r = cap;
        if (snappy_compress((const char *)(n ? src : (const uint8_t *)""), n, w->comp.p, &r) != SNAPPY_OK)
            return sl_err_set(err, errlen, SL_ERR_CODEC, "SNAPPY: compression failed");
        *out = (const uint8_t *)w->comp.p;
        *outn = r;
        return SL_OK;
    }
    default: {
        uint8_t *b = NULL;
        size_t bl = 0;
        sl_err e = pq_compress(w->o.codec, w->o.level, src, n, &b, &bl, err, errlen);
        if (e != SL_OK) return e;
        w->comp.len = 0;
        sl_buf_put(&w->comp, b, bl);
        free(b);
        if (w->comp.oom) return nomem(err, errlen);
        *out = (const uint8_t *)w->comp.p;
        *outn = bl;
        return SL_OK;
    }
    }
}

/* Append a page (header + body parts) to dst.  body1 is stored as is (v2
 * levels), body2 is the compressed part. */
static sl_err emit_page(pq_writer *w, sl_buf *dst, int page_type, size_t unc_size, const uint8_t *b1, size_t n1,
                        const uint8_t *b2, size_t n2, void (*fill)(pq_tw *, void *), void *ctx, char *err,
                        size_t errlen) {
    if (unc_size > PAGE_SIZE_MAX || n1 + n2 > PAGE_SIZE_MAX)
        return sl_err_set(err, errlen, SL_ERR_ARG, "page of %zu bytes exceeds the Parquet limit of 2 GiB", unc_size);
    w->hdr.len = 0;
    pq_tw t;
    pq_tw_init(&t, &w->hdr);
    pq_tw_struct_begin(&t);
    pq_tw_i32(&t, 1, page_type);
    pq_tw_i32(&t, 2, (int32_t)unc_size);
    pq_tw_i32(&t, 3, (int32_t)(n1 + n2));
    if (w->o.write_crc) {
        uLong crc = crc32(0L, Z_NULL, 0);
        if (n1) crc = crc32(crc, b1, (uInt)n1);
        if (n2) crc = crc32(crc, b2, (uInt)n2);
        pq_tw_i32(&t, 4, (int32_t)(uint32_t)crc);
    }
    fill(&t, ctx);
    pq_tw_struct_end(&t);
    if (!pq_tw_ok(&t)) return nomem(err, errlen);
    if (!buf_need(dst, w->hdr.len + n1 + n2)) return nomem(err, errlen);
    sl_buf_put(dst, w->hdr.p, w->hdr.len);
    sl_buf_put(dst, b1, n1);
    sl_buf_put(dst, b2, n2);
    w->st.pages++;
    return SL_OK;
}

typedef struct page_ctx {
    int version;
    int32_t num_values, num_nulls, num_rows;
    int encoding;
    int32_t def_len;
    bool compressed;
    bool optional;
} page_ctx;

static void fill_data(pq_tw *t, void *vctx) {
    page_ctx *c = vctx;
    if (c->version == 2) {
        pq_tw_field_struct(t, 8);
        pq_tw_i32(t, 1, c->num_values);
        pq_tw_i32(t, 2, c->num_nulls);
        pq_tw_i32(t, 3, c->num_rows);
        pq_tw_i32(t, 4, c->encoding);
        pq_tw_i32(t, 5, c->def_len);
        pq_tw_i32(t, 6, 0);
        pq_tw_bool(t, 7, c->compressed);
        pq_tw_struct_end(t);
    } else {
        pq_tw_field_struct(t, 5);
        pq_tw_i32(t, 1, c->num_values);
        pq_tw_i32(t, 2, c->encoding);
        pq_tw_i32(t, 3, PQ_ENC_RLE);
        pq_tw_i32(t, 4, PQ_ENC_RLE);
        pq_tw_struct_end(t);
    }
}

typedef struct dict_ctx {
    int32_t n;
} dict_ctx;

static void fill_dict(pq_tw *t, void *vctx) {
    dict_ctx *c = vctx;
    pq_tw_field_struct(t, 7);
    pq_tw_i32(t, 1, c->n);
    pq_tw_i32(t, 2, PQ_ENC_PLAIN);
    pq_tw_struct_end(t);
}

/* ------------------------------------------------------------------------ */
/* pages                                                                    */

static void page_reset(wcol *c) {
    c->page_rows = c->page_vals = c->page_plain = c->bool_bits = 0;
    c->plain.len = 0;
}

/* Replace the page's dictionary indices by PLAIN values. */
static sl_err materialize_plain(wcol *c, char *err, size_t errlen) {
    c->plain.len = 0;
    size_t need = c->w ? c->page_vals * c->w : c->page_plain;
    if (!buf_need(&c->plain, need)) return nomem(err, errlen);
    uint8_t *o = (uint8_t *)c->plain.p;
    const uint8_t *dp = (const uint8_t *)c->d.plain.p;
    if (c->w == 8) {
        for (size_t i = 0; i < c->page_vals; i++) memcpy(o + 8 * i, dp + 8 * (size_t)c->idx[i], 8);
    } else if (c->w == 4) {
        for (size_t i = 0; i < c->page_vals; i++) memcpy(o + 4 * i, dp + 4 * (size_t)c->idx[i], 4);
    } else {
        for (size_t i = 0; i < c->page_vals; i++) {
            const uint8_t *q = dp + c->d.off[c->idx[i]];
            uint32_t len;
            memcpy(&len, q, 4);
            memcpy(o, q, 4 + (size_t)len);
            o += 4 + (size_t)len;
        }
    }
    c->plain.len = need;
    return SL_OK;
}

static sl_err flush_page(pq_writer *w, wcol *c, char *err, size_t errlen) {
    if (c->page_rows == 0) return SL_OK;
    sl_err e;
    /* values */
    bool dict_page = c->use_dict;
    const uint8_t *vp;
    size_t vn;
    if (dict_page) {
        int bw = bit_width(c->d.n > 1 ? c->d.n - 1 : 1);
        w->vals.len = 0;
        if (!buf_need(&w->vals, 1 + rle_bound(c->page_vals, bw))) return nomem(err, errlen);
        w->vals.p[w->vals.len++] = (char)bw;
        rle_u32(&w->vals, c->idx, c->page_vals, bw);
        if (!c->dict_used && c->d.plain.len + w->vals.len >= c->page_plain) {
            /* the dictionary does not pay: this (first) page goes PLAIN, the dictionary is dropped */
            if ((e = materialize_plain(c, err, errlen)) != SL_OK) return e;
            dict_page = false;
            c->use_dict = false;
            dict_clear(&c->d);
        }
    }
    if (!dict_page) {
        if (c->ptype == PQ_BOOLEAN) c->plain.len = (c->bool_bits + 7) / 8;
        vp = (const uint8_t *)c->plain.p;
        vn = c->plain.len;
    } else {
        vp = (const uint8_t *)w->vals.p;
        vn = w->vals.len;
    }
    /* definition levels */
    w->lvl.len = 0;
    if (c->nullable) {
        if (!buf_need(&w->lvl, rle_bound(c->page_rows, 1))) return nomem(err, errlen);
        if (c->page_vals == c->page_rows || c->page_vals == 0) rle_u8_run(&w->lvl, c->page_rows, c->page_vals ? 1 : 0, 1);
        else rle_u8(&w->lvl, c->lv, c->page_rows, 1);
    }
    page_ctx pc = {.version = w->o.page_version,
                   .num_values = (int32_t)c->page_rows,
                   .num_nulls = (int32_t)(c->page_rows - c->page_vals),
                   .num_rows = (int32_t)c->page_rows,
                   .encoding = dict_page ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN,
                   .def_len = (int32_t)w->lvl.len,
                   .compressed = w->o.codec != PQ_CODEC_UNCOMPRESSED,
                   .optional = c->nullable};
    const uint8_t *cp;
    size_t cn;
    size_t before = c->pages.len;
    if (w->o.page_version == 2) {
        /* An empty values section (every value NULL) is stored as 0 bytes, as
         * parquet-mr does: readers must accept it (sluice's reader does, for
         * every codec), and it is smaller than any codec's empty frame. */
        if (vn == 0) {
            cp = vp;
            cn = 0;
        } else if ((e = page_compress(w, vp, vn, &cp, &cn, err, errlen)) != SL_OK) {
            return e;
        }
        e = emit_page(w, &c->pages, PQ_PAGE_DATA_V2, w->lvl.len + vn, (const uint8_t *)w->lvl.p, w->lvl.len, cp, cn,
                      fill_data, &pc, err, errlen);
        if (e != SL_OK) return e;
        c->unc_bytes += (int64_t)(c->pages.len - before - cn + vn);
    } else {
        const uint8_t *raw = vp;
        size_t rn = vn;
        if (c->nullable) {
            w->raw.len = 0;
            if (!buf_need(&w->raw, 4 + w->lvl.len + vn)) return nomem(err, errlen);
            put_le32((uint8_t *)w->raw.p, (uint32_t)w->lvl.len);
            memcpy(w->raw.p + 4, w->lvl.p, w->lvl.len);
            if (vn) memcpy(w->raw.p + 4 + w->lvl.len, vp, vn);
            w->raw.len = 4 + w->lvl.len + vn;
            raw = (const uint8_t *)w->raw.p;
            rn = w->raw.len;
        }
        if ((e = page_compress(w, raw, rn, &cp, &cn, err, errlen)) != SL_OK) return e;
        e = emit_page(w, &c->pages, PQ_PAGE_DATA, rn, NULL, 0, cp, cn, fill_data, &pc, err, errlen);
        if (e != SL_OK) return e;
        c->unc_bytes += (int64_t)(c->pages.len - before - cn + rn);
    }
    if (dict_page) {
        c->dict_used = true;
        c->n_dict_pages++;
    } else {
        c->n_plain_pages++;
    }
    c->num_values += (int64_t)c->page_rows;
    c->null_count += (int64_t)(c->page_rows - c->page_vals);
    page_reset(c);
    return SL_OK;
}

/* Switch the chunk to PLAIN: flush the open page (still dictionary-encoded
 * unless the dictionary does not pay) and continue without the dictionary. */
static sl_err fall_back(pq_writer *w, wcol *c, char *err, size_t errlen) {
    sl_err e = flush_page(w, c, err, errlen);
    if (e != SL_OK) return e;
    c->use_dict = false;
    if (!c->fell_back) {
        c->fell_back = true;
        w->st.dict_fallbacks++;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* appending values                                                         */

static bool page_full(const pq_writer *w, const wcol *c) {
    size_t est = c->use_dict ? c->page_vals * 4 : c->ptype == PQ_BOOLEAN ? c->bool_bits / 8 : c->plain.len;
    return est >= w->o.page_bytes || c->page_rows >= PAGE_ROWS_MAX;
}

/* Levels for rows [i, i+k) at lv[page_rows..]; returns the non-NULL count. */
static size_t put_levels(wcol *c, const uint8_t *valid, size_t i, size_t k) {
    if (!c->nullable) return k;
    uint8_t *lv = c->lv + c->page_rows;
    if (!valid) {
        memset(lv, 1, k);
        return k;
    }
    size_t nn = 0;
    for (size_t r = 0; r < k; r++) {
        uint8_t b = (valid[(i + r) >> 3] >> ((i + r) & 7)) & 1;
        lv[r] = b;
        nn += b;
    }
    return nn;
}

static sl_err ensure_page_room(wcol *c, size_t k, char *err, size_t errlen) {
    if (c->nullable && !grow_arr((void **)&c->lv, &c->lv_cap, c->page_rows + k, 1)) return nomem(err, errlen);
    if (c->use_dict && !grow_arr((void **)&c->idx, &c->idx_cap, c->page_vals + k, sizeof *c->idx)) return nomem(err, errlen);
    return SL_OK;
}

static sl_err append_fixed(pq_writer *w, wcol *c, const sl_col *bc, size_t i, size_t end, char *err, size_t errlen) {
    const uint8_t *data = bc->data;
    const uint8_t *valid = bc->null_count ? bc->valid : NULL;
    size_t vw = c->w;
    sl_err e;
    while (i < end) {
        size_t per = c->use_dict ? 4 : vw;
        size_t est = c->use_dict ? c->page_vals * 4 : c->plain.len;
        size_t room = est < w->o.page_bytes ? (w->o.page_bytes - est + per - 1) / per : 1;
        if (room > PAGE_ROWS_MAX - c->page_rows) room = PAGE_ROWS_MAX - c->page_rows;
        if (room == 0) room = 1;
        size_t k = end - i < room ? end - i : room;
        if ((e = ensure_page_room(c, k, err, errlen)) != SL_OK) return e;
        size_t nn = put_levels(c, valid, i, k);
        if (c->use_dict) {
            uint32_t *ix = c->idx + c->page_vals;
            size_t got = 0, r = 0;
            for (; r < k; r++) {
                size_t row = i + r;
                if (valid && !((valid[row >> 3] >> (row & 7)) & 1)) continue;
                uint64_t v;
                if (vw == 8) memcpy(&v, data + 8 * row, 8);
                else {
                    uint32_t v32;
                    memcpy(&v32, data + 4 * row, 4);
                    v = v32;
                }
                bool added = false;
                uint32_t x = dict_fixed(&c->d, vw, v, w->o.dict_max_bytes, &added);
                if (x >= DICT_FULL - 1) {
                    if (x == DICT_FULL - 1) return nomem(err, errlen);
                    break;
                }
                if (added) stat_one(c, v);
                ix[got++] = x;
            }
            c->page_vals += got;
            c->page_plain += got * vw;
            if (r < k) {
                /* dictionary full at row i + r: keep rows [i, i+r), switch to PLAIN */
                c->page_rows += r;
                if ((e = fall_back(w, c, err, errlen)) != SL_OK) return e;
                i += r;
                continue;
            }
            c->page_rows += k;
        } else {
            if (!buf_need(&c->plain, nn * vw)) return nomem(err, errlen);
            uint8_t *o = (uint8_t *)c->plain.p + c->plain.len;
            if (!valid) {
                memcpy(o, data + i * vw, k * vw);
            } else {
                uint8_t *q = o;
                for (size_t r = 0; r < k; r++) {
                    size_t row = i + r;
                    if ((valid[row >> 3] >> (row & 7)) & 1) {
                        memcpy(q, data + row * vw, vw);
                        q += vw;
                    }
                }
            }
            stat_dense(c, o, nn);
            c->plain.len += nn * vw;
            c->page_vals += nn;
            c->page_plain += nn * vw;
            c->page_rows += k;
        }
        i += k;
        if (page_full(w, c) && (e = flush_page(w, c, err, errlen)) != SL_OK) return e;
    }
    return SL_OK;
}

static sl_err append_bool(pq_writer *w, wcol *c, const sl_col *bc, size_t i, size_t end, char *err, size_t errlen) {
    const uint8_t *data = bc->data;
    const uint8_t *valid = bc->null_count ? bc->valid : NULL;
    sl_err e;
    while (i < end) {
        size_t est = c->bool_bits / 8;
        size_t room = est < w->o.page_bytes ? (w->o.page_bytes - est) * 8 : 8;
        if (room > PAGE_ROWS_MAX - c->page_rows) room = PAGE_ROWS_MAX - c->page_rows;
        if (room == 0) room = 1;
        size_t k = end - i < room ? end - i : room;
        if ((e = ensure_page_room(c, k, err, errlen)) != SL_OK) return e;
        put_levels(c, valid, i, k);
        if (!buf_need(&c->plain, (c->bool_bits + k + 7) / 8 + 1 - c->plain.len + 8)) return nomem(err, errlen);
        uint8_t *o = (uint8_t *)c->plain.p;
        size_t nb = c->bool_bits, nn = 0;
        uint8_t any1 = 0, all1 = 1;
        for (size_t r = 0; r < k; r++) {
            size_t row = i + r;
            if (valid && !((valid[row >> 3] >> (row & 7)) & 1)) continue;
            uint8_t b = data[row] ? 1 : 0;
            if ((nb & 7) == 0) o[nb >> 3] = 0;
            o[nb >> 3] |= (uint8_t)(b << (nb & 7));
            nb++;
            nn++;
            any1 |= b;
            all1 &= b;
        }
        c->plain.len = (nb + 7) / 8;
        if (nn) {
            stat_int(c, all1);
            stat_int(c, any1);
        }
        c->bool_bits = nb;
        c->page_vals += nn;
        c->page_plain = c->plain.len;
        c->page_rows += k;
        i += k;
        if (page_full(w, c) && (e = flush_page(w, c, err, errlen)) != SL_OK) return e;
    }
    return SL_OK;
}

static sl_err append_bytes(pq_writer *w, wcol *c, const sl_col *bc, size_t i, size_t end, char *err, size_t errlen) {
    const sl_str *data = bc->data;
    const uint8_t *valid = bc->null_count ? bc->valid : NULL;
    sl_err e;
    if ((e = ensure_page_room(c, end - i, err, errlen)) != SL_OK) return e;
    for (; i < end; i++) {
        bool ok = !valid || ((valid[i >> 3] >> (i & 7)) & 1);
        if (c->nullable) c->lv[c->page_rows] = ok;
        if (ok) {
            const uint8_t *p = (const uint8_t *)data[i].ptr;
            uint32_t n = data[i].len;
            if (!p) p = (const uint8_t *)"";
            if (c->use_dict) {
                bool added = false;
                uint32_t x = dict_bytes(&c->d, p, n, w->o.dict_max_bytes, &added);
                if (x == DICT_FULL - 1) return nomem(err, errlen);
                if (x == DICT_FULL) {
                    if ((e = fall_back(w, c, err, errlen)) != SL_OK) return e;
                    if ((e = ensure_page_room(c, end - i, err, errlen)) != SL_OK) return e;
                    if (c->nullable) c->lv[c->page_rows] = 1;
                    goto plain;
                }
                if (added && !stat_bytes(c, p, n)) return nomem(err, errlen);
                c->idx[c->page_vals] = x;
            } else {
            plain:
                if (!buf_need(&c->plain, 4 + (size_t)n)) return nomem(err, errlen);
                put_le32((uint8_t *)c->plain.p + c->plain.len, n);
                if (n) memcpy(c->plain.p + c->plain.len + 4, p, n);
                c->plain.len += 4 + (size_t)n;
                if (!stat_bytes(c, p, n)) return nomem(err, errlen);
            }
            c->page_vals++;
            c->page_plain += 4 + (size_t)n;
        }
        c->page_rows++;
        if (page_full(w, c)) {
            if ((e = flush_page(w, c, err, errlen)) != SL_OK) return e;
            if ((e = ensure_page_room(c, end - i, err, errlen)) != SL_OK) return e;
        }
    }
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* row groups                                                               */

static void chunk_reset(pq_writer *w, wcol *c) {
    dict_clear(&c->d);
    c->use_dict = w->o.dictionary && c->ptype != PQ_BOOLEAN;
    c->dict_used = c->fell_back = false;
    c->pages.len = 0;
    c->unc_bytes = 0;
    c->num_values = c->null_count = 0;
    c->n_dict_pages = c->n_plain_pages = 0;
    c->has_minmax = false;
    page_reset(c);
}

static void put_stat_value(pq_tw *t, int16_t id, const wcol *c, bool is_max) {
    uint8_t b[8];
    switch (c->ptype) {
    case PQ_BOOLEAN:
        b[0] = (uint8_t)(is_max ? c->mx.i : c->mn.i);
        pq_tw_binary(t, id, b, 1);
        break;
    case PQ_INT32: {
        int32_t v = (int32_t)(is_max ? c->mx.i : c->mn.i);
        memcpy(b, &v, 4);
        pq_tw_binary(t, id, b, 4);
        break;
    }
    case PQ_INT64: {
        int64_t v = is_max ? c->mx.i : c->mn.i;
        memcpy(b, &v, 8);
        pq_tw_binary(t, id, b, 8);
        break;
    }
    case PQ_FLOAT: {
        float v = (float)(is_max ? c->mx.f : c->mn.f);
        if (v == 0) v = is_max ? 0.0f : -0.0f;
        memcpy(b, &v, 4);
        pq_tw_binary(t, id, b, 4);
        break;
    }
    case PQ_DOUBLE: {
        double v = is_max ? c->mx.f : c->mn.f;
        if (v == 0) v = is_max ? 0.0 : -0.0;
        memcpy(b, &v, 8);
        pq_tw_binary(t, id, b, 8);
        break;
    }
    default: {
        const sl_buf *s = is_max ? &c->smax : &c->smin;
        pq_tw_binary(t, id, s->p ? s->p : "", s->len);
        break;
    }
    }
}

static void put_column_meta(pq_writer *w, pq_tw *t, const wcol *c, int64_t start, int64_t dict_off, int64_t data_off,
                            int64_t csize, int64_t usize) {
    pq_tw_struct_begin(t); /* ColumnChunk */
    pq_tw_i64(t, 2, start);
    pq_tw_field_struct(t, 3); /* ColumnMetaData */
    pq_tw_i32(t, 1, c->ptype);
    int encs[4], ne = 0;
    if (c->dict_used) encs[ne++] = PQ_ENC_PLAIN; /* dictionary page */
    if (c->n_plain_pages && !c->dict_used) encs[ne++] = PQ_ENC_PLAIN;
    if (c->nullable) encs[ne++] = PQ_ENC_RLE;
    if (c->n_dict_pages) encs[ne++] = PQ_ENC_RLE_DICTIONARY;
    if (ne == 0) encs[ne++] = PQ_ENC_PLAIN;
    pq_tw_field_list(t, 2, PQ_THRIFT_I32, (uint32_t)ne);
    for (int k = 0; k < ne; k++) pq_tw_zigzag(t, encs[k]);
    pq_tw_field_list(t, 3, PQ_THRIFT_BINARY, 1);
    pq_tw_bytes(t, c->name, strlen(c->name));
    pq_tw_i32(t, 4, w->o.codec);
    pq_tw_i64(t, 5, c->num_values);
    pq_tw_i64(t, 6, usize);
    pq_tw_i64(t, 7, csize);
    pq_tw_i64(t, 9, data_off);
    if (dict_off >= 0) pq_tw_i64(t, 11, dict_off);
    /* Statistics */
    pq_tw_field_struct(t, 12);
    bool mm = c->has_minmax;
    bool legacy = c->ptype != PQ_BYTE_ARRAY;
    if (c->ptype == PQ_BYTE_ARRAY && mm && (c->smin.len > STAT_MAX_BYTES || c->smax.len > STAT_MAX_BYTES)) mm = false;
    if (mm && legacy) {
        put_stat_value(t, 1, c, true);
        put_stat_value(t, 2, c, false);
    }
    pq_tw_i64(t, 3, c->null_count);
    if (mm) {
        put_stat_value(t, 5, c, true);
        put_stat_value(t, 6, c, false);
    }
    pq_tw_struct_end(t);
    /* encoding_stats: lets readers see that every data page is dictionary-encoded */
    int dp = w->o.page_version == 2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA;
    uint32_t nes = (c->dict_used ? 1u : 0u) + (c->n_dict_pages ? 1u : 0u) + (c->n_plain_pages ? 1u : 0u);
    pq_tw_field_list(t, 13, PQ_THRIFT_STRUCT, nes);
    if (c->dict_used) {
        pq_tw_struct_begin(t);
        pq_tw_i32(t, 1, PQ_PAGE_DICTIONARY);
        pq_tw_i32(t, 2, PQ_ENC_PLAIN);
        pq_tw_i32(t, 3, 1);
        pq_tw_struct_end(t);
    }
    if (c->n_dict_pages) {
        pq_tw_struct_begin(t);
        pq_tw_i32(t, 1, dp);
        pq_tw_i32(t, 2, PQ_ENC_RLE_DICTIONARY);
        pq_tw_i32(t, 3, (int32_t)c->n_dict_pages);
        pq_tw_struct_end(t);
    }
    if (c->n_plain_pages) {
        pq_tw_struct_begin(t);
        pq_tw_i32(t, 1, dp);
        pq_tw_i32(t, 2, PQ_ENC_PLAIN);
        pq_tw_i32(t, 3, (int32_t)c->n_plain_pages);
        pq_tw_struct_end(t);
    }
    pq_tw_struct_end(t); /* ColumnMetaData */
    pq_tw_struct_end(t); /* ColumnChunk */
}

static sl_err flush_row_group(pq_writer *w, char *err, size_t errlen) {
    if (w->rg_rows == 0) return SL_OK;
    if (w->n_rg >= INT16_MAX)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: more than %d row groups", w->path, INT16_MAX);
    sl_err e;
    for (size_t j = 0; j < w->ncols; j++)
        if ((e = flush_page(w, &w->cols[j], err, errlen)) != SL_OK) return e;
    sl_buf colmeta;
    sl_buf_init(&colmeta);
    pq_tw t;
    pq_tw_init(&t, &colmeta);
    int64_t rg_start = (int64_t)w->off, total_unc = 0, total_comp = 0;
    for (size_t j = 0; j < w->ncols; j++) {
        wcol *c = &w->cols[j];
        int64_t start = (int64_t)w->off, dict_off = -1;
        int64_t usize = c->unc_bytes;
        if (c->dict_used) {
            dict_off = start;
            const uint8_t *cp;
            size_t cn;
            sl_buf dp;
            sl_buf_init(&dp);
            dict_ctx dc = {(int32_t)c->d.n};
            e = page_compress(w, (const uint8_t *)c->d.plain.p, c->d.plain.len, &cp, &cn, err, errlen);
            if (e == SL_OK)
                e = emit_page(w, &dp, PQ_PAGE_DICTIONARY, c->d.plain.len, NULL, 0, cp, cn, fill_dict, &dc, err, errlen);
            if (e == SL_OK) e = out_write(w, dp.p, dp.len, err, errlen);
            usize += (int64_t)(dp.len - cn + c->d.plain.len);
            sl_buf_free(&dp);
            if (e != SL_OK) {
                sl_buf_free(&colmeta);
                return e;
            }
        }
        int64_t data_off = (int64_t)w->off;
        if ((e = out_write(w, c->pages.p, c->pages.len, err, errlen)) != SL_OK) {
            sl_buf_free(&colmeta);
            return e;
        }
        int64_t csize = (int64_t)w->off - start;
        total_unc += usize;
        total_comp += csize;
        put_column_meta(w, &t, c, start, dict_off, data_off, csize, usize);
    }
    /* RowGroup */
    pq_tw rt;
    pq_tw_init(&rt, &w->rgmeta);
    pq_tw_struct_begin(&rt);
    pq_tw_field_list(&rt, 1, PQ_THRIFT_STRUCT, (uint32_t)w->ncols);
    sl_buf_put(&w->rgmeta, colmeta.p, colmeta.len);
    pq_tw_i64(&rt, 2, total_unc);
    pq_tw_i64(&rt, 3, (int64_t)w->rg_rows);
    pq_tw_i64(&rt, 5, rg_start);
    pq_tw_i64(&rt, 6, total_comp);
    pq_tw_i16(&rt, 7, (int16_t)w->n_rg);
    pq_tw_struct_end(&rt);
    bool ok = pq_tw_ok(&rt) && !colmeta.oom && t.depth == 0;
    sl_buf_free(&colmeta);
    if (!ok) return nomem(err, errlen);
    w->n_rg++;
    w->st.row_groups++;
    w->total_rows += (int64_t)w->rg_rows;
    w->rg_rows = w->rg_bytes = 0;
    for (size_t j = 0; j < w->ncols; j++) chunk_reset(w, &w->cols[j]);
    return SL_OK;
}

/* ------------------------------------------------------------------------ */
/* public API                                                               */

pq_writer_opts pq_writer_opts_default(void) {
    pq_writer_opts o;
    memset(&o, 0, sizeof o);
    o.codec = PQ_CODEC_ZSTD;
    o.level = 0;
    o.row_group_rows = 1048576;
    o.row_group_bytes = (size_t)128 << 20;
    o.page_bytes = (size_t)1 << 20;
    o.dictionary = true;
    o.dict_max_bytes = (size_t)1 << 20;
    o.page_version = 1;
    o.write_crc = true;
    return o;
}

static void writer_free(pq_writer *w) {
    if (!w) return;
    for (size_t j = 0; j < w->ncols; j++) {
        wcol *c = &w->cols[j];
        free(c->name);
        dict_free(&c->d);
        sl_buf_free(&c->pages);
        sl_buf_free(&c->smin);
        sl_buf_free(&c->smax);
        sl_buf_free(&c->plain);
        free(c->lv);
        free(c->idx);
    }
    free(w->cols);
    for (size_t k = 0; k < w->n_kv; k++) {
        free((char *)w->kv[k].key);
        free((char *)w->kv[k].value);
    }
    free(w->kv);
    sl_buf_free(&w->rgmeta);
    sl_buf_free(&w->raw);
    sl_buf_free(&w->vals);
    sl_buf_free(&w->lvl);
    sl_buf_free(&w->comp);
    sl_buf_free(&w->hdr);
    sl_buf_free(&w->out);
    free(w->path);
    sl_target_close(w->t); /* removes what was written unless it was committed */
    free(w);
}

static const char *logical_label(sl_logical l) {
    static const char *const names[] = {"NONE", "STRING", "JSON", "ENUM", "UUID", "TIMESTAMP", "DATE",
                                        "TIME", "DECIMAL", "INT", "FLOAT16", "INTERVAL"};
    return (unsigned)l < sizeof names / sizeof names[0] ? names[l] : "?";
}

static sl_err check_col(const pq_write_col *pc, char *err, size_t errlen) {
    const sl_coltype *t = &pc->type;
    sl_logical l = t->logical;
    bool ok;
    switch (t->type) {
    case SL_BOOL:
    case SL_F32:
    case SL_F64: ok = l == SL_LOG_NONE; break;
    case SL_I32: ok = l == SL_LOG_NONE || l == SL_LOG_DATE; break;
    case SL_I64: ok = l == SL_LOG_NONE || (l == SL_LOG_TIMESTAMP && t->unit <= SL_UNIT_NANOS); break;
    case SL_BYTES: ok = l == SL_LOG_NONE || l == SL_LOG_STRING || l == SL_LOG_JSON || l == SL_LOG_ENUM; break;
    default:
        return sl_err_set(err, errlen, SL_ERR_ARG, "column '%s': unknown batch type %d", pc->name, (int)t->type);
    }
    if (!ok)
        return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "column '%s': logical type %s on %s is not supported by the writer",
                          pc->name, logical_label(l), sl_type_label(t->type));
    return SL_OK;
}

static sl_err check_open(const char *path, const pq_write_col *cols, size_t ncols, const pq_writer_opts *opts, char *err,
                         size_t errlen);

sl_err pq_writer_open(pq_writer **out, const char *path, const pq_write_col *cols, size_t ncols,
                      const pq_writer_opts *opts, char *err, size_t errlen) {
    *out = NULL;
    const char *slash = strrchr(path, '/');
    if (!*(slash ? slash + 1 : path)) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: output path names a directory", path);
    sl_err e = check_open(path, cols, ncols, opts, err, errlen);
    if (e != SL_OK) return e;
    sl_target *t;
    if ((e = sl_target_open_file(&t, path, err, errlen)) != SL_OK) return e;
    return pq_writer_open_target(out, t, cols, ncols, opts, err, errlen);
}

/* The checks of pq_writer_open_target that need no target. */
static sl_err check_open(const char *path, const pq_write_col *cols, size_t ncols, const pq_writer_opts *opts, char *err,
                         size_t errlen) {
    pq_writer_opts o = opts ? *opts : pq_writer_opts_default();
    if (o.codec != PQ_CODEC_UNCOMPRESSED && o.codec != PQ_CODEC_SNAPPY && o.codec != PQ_CODEC_ZSTD &&
        o.codec != PQ_CODEC_GZIP && o.codec != PQ_CODEC_BROTLI && o.codec != PQ_CODEC_LZ4_RAW)
        return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "%s: the writer does not support codec %s", path,
                          pq_codec_name(o.codec));
    if (o.page_version != 0 && o.page_version != 1 && o.page_version != 2)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: page_version must be 1 or 2, got %d", path, o.page_version);
    if (ncols == 0) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: a Parquet file needs at least one column", path);
    for (size_t j = 0; j < ncols; j++) {
        if (!cols[j].name || !*cols[j].name)
            return sl_err_set(err, errlen, SL_ERR_ARG, "%s: column %zu has no name", path, j);
        for (size_t k = 0; k < j; k++)
            if (!strcmp(cols[k].name, cols[j].name))
                return sl_err_set(err, errlen, SL_ERR_ARG, "%s: duplicate column name '%s'", path, cols[j].name);
        sl_err e = check_col(&cols[j], err, errlen);
        if (e != SL_OK) {
            sl_err_prefix(err, errlen, "%s", path);
            return e;
        }
    }
    return SL_OK;
}

sl_err pq_writer_open_target(pq_writer **out, sl_target *t, const pq_write_col *cols, size_t ncols,
                             const pq_writer_opts *opts, char *err, size_t errlen) {
    *out = NULL;
    const char *path = t->name;
    sl_err ce = check_open(path, cols, ncols, opts, err, errlen);
    if (ce != SL_OK) {
        sl_target_abort(t);
        return ce;
    }
    pq_writer_opts o = opts ? *opts : pq_writer_opts_default();
    if (o.page_version == 0) o.page_version = 1;
    if (!o.row_group_rows) o.row_group_rows = 1048576;
    if (o.row_group_rows > INT32_MAX) o.row_group_rows = INT32_MAX;
    if (!o.row_group_bytes) o.row_group_bytes = (size_t)128 << 20;
    if (!o.page_bytes) o.page_bytes = (size_t)1 << 20;
    if (o.page_bytes > ((size_t)1 << 30)) o.page_bytes = (size_t)1 << 30;
    if (!o.dict_max_bytes) o.dict_max_bytes = (size_t)1 << 20;
    if (o.dict_max_bytes > ((size_t)1 << 30)) o.dict_max_bytes = (size_t)1 << 30;
    pq_writer *w = calloc(1, sizeof *w);
    if (!w) {
        sl_target_abort(t);
        return nomem(err, errlen);
    }
    w->t = t;
    w->o = o;
    w->o.kv = NULL;
    w->o.n_kv = 0;
    w->path = strdup(path);
    w->cols = calloc(ncols, sizeof *w->cols);
    w->ncols = ncols;
    if (!w->path || !w->cols) goto oom;
    if (opts && opts->n_kv) {
        w->kv = calloc(opts->n_kv, sizeof *w->kv);
        if (!w->kv) goto oom;
        for (size_t k = 0; k < opts->n_kv; k++) {
            w->kv[k].key = strdup(opts->kv[k].key ? opts->kv[k].key : "");
            w->kv[k].value = opts->kv[k].value ? strdup(opts->kv[k].value) : NULL;
            w->n_kv = k + 1;
            if (!w->kv[k].key || (opts->kv[k].value && !w->kv[k].value)) goto oom;
        }
    }
    for (size_t j = 0; j < ncols; j++) {
        wcol *c = &w->cols[j];
        c->name = strdup(cols[j].name);
        if (!c->name) goto oom;
        c->t = cols[j].type;
        c->nullable = cols[j].nullable;
        switch (c->t.type) {
        case SL_BOOL: c->ptype = PQ_BOOLEAN; c->w = 0; break;
        case SL_I32: c->ptype = PQ_INT32; c->w = 4; break;
        case SL_I64: c->ptype = PQ_INT64; c->w = 8; break;
        case SL_F32: c->ptype = PQ_FLOAT; c->w = 4; break;
        case SL_F64: c->ptype = PQ_DOUBLE; c->w = 8; break;
        case SL_BYTES: c->ptype = PQ_BYTE_ARRAY; c->w = 0; break;
        }
        chunk_reset(w, c);
    }
    if (out_write(w, "PAR1", 4, err, errlen) != SL_OK) {
        pq_writer_abort(w);
        return SL_ERR_IO;
    }
    *out = w;
    return SL_OK;
oom:
    writer_free(w);
    return nomem(err, errlen);
}

sl_err pq_writer_write(pq_writer *w, const sl_batch *b, char *err, size_t errlen) {
    if (w->failed) return sl_err_set(err, errlen, SL_ERR_ARG, "%s: writer failed earlier", w->path);
    if (b->ncols != w->ncols)
        return sl_err_set(err, errlen, SL_ERR_ARG, "%s: batch has %zu columns but the writer has %zu", w->path, b->ncols,
                          w->ncols);
    for (size_t j = 0; j < w->ncols; j++) {
        const sl_col *bc = &b->cols[j];
        const wcol *c = &w->cols[j];
        if (bc->t.type != c->t.type)
            return sl_err_set(err, errlen, SL_ERR_ARG, "%s: batch column %zu is %s but the writer's column '%s' is %s", w->path,
                              j, sl_type_label(bc->t.type), c->name, pq_type_name(c->ptype));
        if (!c->nullable && bc->valid && bc->null_count && b->nrows)
            return sl_err_set(err, errlen, SL_ERR_ARG, "%s: column '%s' is required but batch column %zu has %zu NULLs",
                              w->path, c->name, j, bc->null_count);
    }
    size_t i = 0, n = b->nrows;
    sl_err e = SL_OK;
    while (i < n) {
        size_t k = n - i;
        if (k > SLICE_ROWS) k = SLICE_ROWS;
        if (k > w->o.row_group_rows - w->rg_rows) k = w->o.row_group_rows - w->rg_rows;
        for (size_t j = 0; j < w->ncols && e == SL_OK; j++) {
            wcol *c = &w->cols[j];
            const sl_col *bc = &b->cols[j];
            switch (c->ptype) {
            case PQ_BOOLEAN: e = append_bool(w, c, bc, i, i + k, err, errlen); w->rg_bytes += k; break;
            case PQ_BYTE_ARRAY: {
                const sl_str *s = bc->data;
                size_t bytes = 0;
                for (size_t r = i; r < i + k; r++) bytes += 4 + (size_t)s[r].len;
                w->rg_bytes += bytes;
                e = append_bytes(w, c, bc, i, i + k, err, errlen);
                break;
            }
            default: e = append_fixed(w, c, bc, i, i + k, err, errlen); w->rg_bytes += k * c->w; break;
            }
        }
        if (e != SL_OK) break;
        w->rg_rows += k;
        w->st.rows += k;
        i += k;
        if (w->rg_rows >= w->o.row_group_rows || w->rg_bytes >= w->o.row_group_bytes) {
            if ((e = flush_row_group(w, err, errlen)) != SL_OK) break;
        }
    }
    if (e != SL_OK) w->failed = true;
    return e;
}

static sl_err write_footer(pq_writer *w, char *err, size_t errlen) {
    sl_buf f;
    sl_buf_init(&f);
    pq_tw t;
    pq_tw_init(&t, &f);
    pq_tw_struct_begin(&t);
    pq_tw_i32(&t, 1, w->o.page_version == 2 ? 2 : 1);
    pq_tw_field_list(&t, 2, PQ_THRIFT_STRUCT, (uint32_t)w->ncols + 1);
    pq_tw_struct_begin(&t);
    pq_tw_string(&t, 4, "schema");
    pq_tw_i32(&t, 5, (int32_t)w->ncols);
    pq_tw_struct_end(&t);
    for (size_t j = 0; j < w->ncols; j++) {
        const wcol *c = &w->cols[j];
        pq_tw_struct_begin(&t);
        pq_tw_i32(&t, 1, c->ptype);
        pq_tw_i32(&t, 3, c->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
        pq_tw_string(&t, 4, c->name);
        int conv = -1;
        switch (c->t.logical) {
        case SL_LOG_STRING: conv = PQ_CT_UTF8; break;
        case SL_LOG_JSON: conv = PQ_CT_JSON; break;
        case SL_LOG_ENUM: conv = PQ_CT_ENUM; break;
        case SL_LOG_DATE: conv = PQ_CT_DATE; break;
        case SL_LOG_TIMESTAMP:
            if (c->t.utc && c->t.unit == SL_UNIT_MILLIS) conv = PQ_CT_TIMESTAMP_MILLIS;
            if (c->t.utc && c->t.unit == SL_UNIT_MICROS) conv = PQ_CT_TIMESTAMP_MICROS;
            break;
        default: break;
        }
        if (conv >= 0) pq_tw_i32(&t, 6, conv);
        if (c->t.logical != SL_LOG_NONE) {
            pq_tw_field_struct(&t, 10); /* LogicalType union */
            switch (c->t.logical) {
            case SL_LOG_STRING: pq_tw_field_struct(&t, PQ_LT_STRING); pq_tw_struct_end(&t); break;
            case SL_LOG_JSON: pq_tw_field_struct(&t, PQ_LT_JSON); pq_tw_struct_end(&t); break;
            case SL_LOG_ENUM: pq_tw_field_struct(&t, PQ_LT_ENUM); pq_tw_struct_end(&t); break;
            case SL_LOG_DATE: pq_tw_field_struct(&t, PQ_LT_DATE); pq_tw_struct_end(&t); break;
            case SL_LOG_TIMESTAMP:
                pq_tw_field_struct(&t, PQ_LT_TIMESTAMP);
                pq_tw_bool(&t, 1, c->t.utc);
                pq_tw_field_struct(&t, 2); /* TimeUnit */
                pq_tw_field_struct(&t, c->t.unit == SL_UNIT_MILLIS ? 1 : c->t.unit == SL_UNIT_NANOS ? 3 : 2);
                pq_tw_struct_end(&t);
                pq_tw_struct_end(&t);
                pq_tw_struct_end(&t);
                break;
            default: break;
            }
            pq_tw_struct_end(&t);
        }
        pq_tw_struct_end(&t);
    }
    pq_tw_i64(&t, 3, w->total_rows);
    pq_tw_field_list(&t, 4, PQ_THRIFT_STRUCT, w->n_rg);
    sl_buf_put(&f, w->rgmeta.p, w->rgmeta.len);
    /* key/value metadata: ours first unless the caller sets "writer" */
    bool own = true;
    for (size_t k = 0; k < w->n_kv; k++)
        if (!strcmp(w->kv[k].key, "writer")) own = false;
    pq_tw_field_list(&t, 5, PQ_THRIFT_STRUCT, (uint32_t)(w->n_kv + (own ? 1 : 0)));
    if (own) {
        pq_tw_struct_begin(&t);
        pq_tw_string(&t, 1, "writer");
        pq_tw_string(&t, 2, PQ_WRITER_NAME " " PQ_WRITER_VERSION);
        pq_tw_struct_end(&t);
    }
    for (size_t k = 0; k < w->n_kv; k++) {
        pq_tw_struct_begin(&t);
        pq_tw_string(&t, 1, w->kv[k].key);
        if (w->kv[k].value) pq_tw_string(&t, 2, w->kv[k].value);
        pq_tw_struct_end(&t);
    }
    pq_tw_string(&t, 6, PQ_WRITER_NAME " version " PQ_WRITER_VERSION);
    /* column_orders: TypeDefinedOrder for every column */
    pq_tw_field_list(&t, 7, PQ_THRIFT_STRUCT, (uint32_t)w->ncols);
    for (size_t j = 0; j < w->ncols; j++) {
        pq_tw_struct_begin(&t);
        pq_tw_field_struct(&t, 1);
        pq_tw_struct_end(&t);
        pq_tw_struct_end(&t);
    }
    pq_tw_struct_end(&t);
    sl_err e;
    if (!pq_tw_ok(&t) || f.len > UINT32_MAX) {
        sl_buf_free(&f);
        return nomem(err, errlen);
    }
    uint8_t tail[8];
    put_le32(tail, (uint32_t)f.len);
    memcpy(tail + 4, "PAR1", 4);
    e = out_write(w, f.p, f.len, err, errlen);
    if (e == SL_OK) e = out_write(w, tail, 8, err, errlen);
    sl_buf_free(&f);
    return e;
}

sl_err pq_writer_close(pq_writer *w, char *err, size_t errlen) { return pq_writer_close_stats(w, NULL, err, errlen); }

/* Flush, footer, finish the target (synced unless no_sync). */
static sl_err finish_file(pq_writer *w, char *err, size_t errlen) {
    sl_err e = SL_OK;
    if (w->failed) e = sl_err_set(err, errlen, SL_ERR_ARG, "%s: writer failed earlier; no file written", w->path);
    if (e == SL_OK) e = flush_row_group(w, err, errlen);
    if (e == SL_OK) e = write_footer(w, err, errlen);
    if (e == SL_OK) e = out_flush(w, err, errlen);
    if (e == SL_OK) e = sl_target_finish(w->t, !w->o.no_sync, err, errlen);
    return e;
}

sl_err pq_writer_close_stats(pq_writer *w, pq_writer_stats *st, char *err, size_t errlen) {
    if (!w) return SL_OK;
    sl_err e = finish_file(w, err, errlen);
    if (e == SL_OK) e = sl_target_commit(w->t, !w->o.no_sync, err, errlen);
    if (e == SL_OK) {
        w->st.bytes_written = w->off;
        if (st) *st = w->st;
    }
    writer_free(w); /* closes the target: removes it unless committed */
    return e;
}

sl_err pq_writer_finish(pq_writer *w, pq_writer_stats *st, sl_target **out, char *err, size_t errlen) {
    *out = NULL;
    if (!w) return SL_OK;
    sl_err e = finish_file(w, err, errlen);
    if (e == SL_OK) {
        w->st.bytes_written = w->off;
        if (st) *st = w->st;
        *out = w->t;
        w->t = NULL;
    }
    writer_free(w);
    return e;
}

void pq_writer_abort(pq_writer *w) {
    if (!w) return;
    writer_free(w);
}

const pq_writer_stats *pq_writer_get_stats(const pq_writer *w) {
    ((pq_writer *)w)->st.bytes_written = w->off;
    return &w->st;
}
