#include "replay/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lz4.h>
#include <zlib.h>

#include "parquet/codec.h"

#define FILE_MAGIC "SLSPILL1"
#define BLOCK_MAGIC 0x4b424c53u /* "SLBK" */
#define END_MAGIC 0x444e4c53u   /* "SLND" */
#define MAX_BLOCK_ROWS (1u << 24)
#define MAX_RAW ((size_t)1 << 31)

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint32_t crc(const uint8_t *p, size_t n) {
    uLong c = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        c = crc32(c, p, k);
        p += k;
        n -= k;
    }
    return (uint32_t)c;
}

/* ------------------------------------------------------------------ writer */

struct rp_spill_writer {
    int fd;
    char *path;
    size_t ncols;
    uint8_t *types;
    pq_codec codec;
    int level;
    uint8_t *raw;
    size_t rawcap;
    uint8_t *comp;      /* compressed block buffer, reused */
    size_t compcap;
    void *lz4state;     /* LZ4_compress_fast_extState state, reused */
    uint64_t bytes, rows, blocks;
};

static sl_err write_all(rp_spill_writer *w, const void *p, size_t n, char *err, size_t errlen) {
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t k = write(w->fd, q, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            int e = k < 0 ? errno : ENOSPC;
            return sl_err_set(err, errlen, SL_ERR_IO, "writing spill file %s: %s", w->path, strerror(e));
        }
        q += k;
        n -= (size_t)k;
        w->bytes += (uint64_t)k;
    }
    return SL_OK;
}

static void writer_free(rp_spill_writer *w) {
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    free(w->path);
    free(w->types);
    free(w->raw);
    free(w->comp);
    free(w->lz4state);
    free(w);
}

sl_err rp_spill_create(rp_spill_writer **out, const char *path, const sl_batch *schema, pq_codec codec, int level,
                       char *err, size_t errlen) {
    *out = NULL;
    if (codec != PQ_CODEC_LZ4_RAW && codec != PQ_CODEC_ZSTD && codec != PQ_CODEC_UNCOMPRESSED)
        return sl_err_set(err, errlen, SL_ERR_ARG, "spill codec must be LZ4_RAW, ZSTD or UNCOMPRESSED");
    rp_spill_writer *w = calloc(1, sizeof *w);
    if (!w) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    w->fd = -1;
    w->path = strdup(path);
    w->ncols = schema->ncols;
    w->types = malloc(schema->ncols ? schema->ncols : 1);
    if (!w->path || !w->types) {
        writer_free(w);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < schema->ncols; i++) w->types[i] = (uint8_t)schema->cols[i].t.type;
    w->codec = codec;
    w->level = level;
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        sl_err_set(err, errlen, SL_ERR_IO, "creating spill file %s: %s", path, strerror(errno));
        writer_free(w);
        return SL_ERR_IO;
    }
    uint8_t hdr[16];
    memcpy(hdr, FILE_MAGIC, 8);
    put32(hdr + 8, 1);
    hdr[12] = (uint8_t)w->ncols;
    hdr[13] = (uint8_t)(w->ncols >> 8);
    hdr[14] = (uint8_t)codec;
    hdr[15] = 0;
    sl_err e = write_all(w, hdr, sizeof hdr, err, errlen);
    if (!e) e = write_all(w, w->types, w->ncols, err, errlen);
    if (e) {
        rp_spill_abort(w);
        return e;
    }
    *out = w;
    return SL_OK;
}

/* True when rows [from, from+n) of col are all NULL (the column is then
 * stored as the single flag byte 2: no bitmap, no values). */
static bool range_all_null(const sl_col *col, size_t from, size_t n) {
    if (!col->valid) return false;
    if (col->null_count == 0) return false;
    size_t i = from, end = from + n;
    for (; i < end && (i & 7); i++)
        if (sl_bit_get(col->valid, i)) return false;
    for (; i + 8 <= end; i += 8)
        if (col->valid[i / 8]) return false;
    for (; i < end; i++)
        if (sl_bit_get(col->valid, i)) return false;
    return true;
}

size_t rp_spill_raw_size(const sl_batch *b, size_t from, size_t n) {
    size_t sz = 0;
    for (size_t c = 0; c < b->ncols; c++) {
        const sl_col *col = &b->cols[c];
        sz += 1;
        if (range_all_null(col, from, n)) continue;
        if (col->valid) sz += (n + 7) / 8;
        if (col->t.type == SL_BYTES) {
            const sl_str *s = (const sl_str *)col->data + from;
            sz += 4 * n;
            for (size_t i = 0; i < n; i++) sz += s[i].len;
        } else {
            sz += n * sl_type_width(col->t.type);
        }
    }
    return sz;
}

static uint8_t *encode_block(const sl_batch *b, size_t from, size_t n, uint8_t *p) {
    for (size_t c = 0; c < b->ncols; c++) {
        const sl_col *col = &b->cols[c];
        if (range_all_null(col, from, n)) {
            *p++ = 2;
            continue;
        }
        *p++ = col->valid ? 1 : 0;
        if (col->valid) {
            size_t nb = (n + 7) / 8;
            if ((from & 7) == 0) {
                memcpy(p, col->valid + from / 8, nb);
                if (n & 7) p[nb - 1] &= (uint8_t)((1u << (n & 7)) - 1);
            } else {
                memset(p, 0, nb);
                for (size_t i = 0; i < n; i++)
                    if (sl_bit_get(col->valid, from + i)) sl_bit_set(p, i);
            }
            p += nb;
        }
        if (col->t.type == SL_BYTES) {
            const sl_str *s = (const sl_str *)col->data + from;
            for (size_t i = 0; i < n; i++) put32(p + 4 * i, s[i].len);
            p += 4 * n;
            for (size_t i = 0; i < n; i++) {
                if (s[i].len) memcpy(p, s[i].ptr, s[i].len);
                p += s[i].len;
            }
        } else {
            size_t w = sl_type_width(col->t.type);
            memcpy(p, (const uint8_t *)col->data + from * w, n * w);
            p += n * w;
        }
    }
    return p;
}

sl_err rp_spill_write(rp_spill_writer *w, const sl_batch *b, size_t from, size_t n, char *err, size_t errlen) {
    if (n == 0) return SL_OK;
    if (b->ncols != w->ncols) return sl_err_set(err, errlen, SL_ERR_ARG, "spill: batch has %zu columns, run has %zu",
                                                 b->ncols, w->ncols);
    if (n > MAX_BLOCK_ROWS) return sl_err_set(err, errlen, SL_ERR_ARG, "spill: block of %zu rows is too large", n);
    size_t raw = rp_spill_raw_size(b, from, n);
    if (raw > MAX_RAW) return sl_err_set(err, errlen, SL_ERR_ARG, "spill: block of %zu bytes is too large", raw);
    if (raw > w->rawcap) {
        uint8_t *r = realloc(w->raw, raw);
        if (!r) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (spill block of %zu bytes)", raw);
        w->raw = r;
        w->rawcap = raw;
    }
    encode_block(b, from, n, w->raw);
    sl_err e = rp_spill_write_raw(w, w->raw, raw, n, err, errlen);
    if (e) return e;
    /* the raw buffer is kept for the next block unless it is unusually large */
    if (w->rawcap > ((size_t)16 << 20)) {
        free(w->raw);
        w->raw = NULL;
        w->rawcap = 0;
    }
    return SL_OK;
}

sl_err rp_spill_write_raw(rp_spill_writer *w, const uint8_t *raw, size_t rawlen, size_t n, char *err,
                          size_t errlen) {
    if (n == 0) return SL_OK;
    if (n > MAX_BLOCK_ROWS) return sl_err_set(err, errlen, SL_ERR_ARG, "spill: block of %zu rows is too large", n);
    if (rawlen > MAX_RAW || rawlen > (size_t)LZ4_MAX_INPUT_SIZE)
        return sl_err_set(err, errlen, SL_ERR_ARG, "spill: block of %zu bytes is too large", rawlen);
    uint8_t *comp = NULL;
    size_t clen = 0;
    const uint8_t *payload = raw;
    if (w->codec == PQ_CODEC_LZ4_RAW) {
        /* LZ4 with a persistent state and output buffer: no allocation per block */
        size_t bound = (size_t)LZ4_compressBound((int)rawlen);
        if (bound > w->compcap) {
            uint8_t *c = realloc(w->comp, bound);
            if (!c) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (spill block of %zu bytes)", bound);
            w->comp = c;
            w->compcap = bound;
        }
        if (!w->lz4state && !(w->lz4state = malloc((size_t)LZ4_sizeofState())))
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        int c = LZ4_compress_fast_extState(w->lz4state, (const char *)raw, (char *)w->comp, (int)rawlen, (int)bound,
                                           w->level > 1 ? w->level : 1);
        if (c <= 0) return sl_err_set(err, errlen, SL_ERR_CODEC, "spill file %s: LZ4_RAW: compression failed", w->path);
        clen = (size_t)c;
        payload = w->comp;
    } else if (w->codec != PQ_CODEC_UNCOMPRESSED) {
        sl_err e = pq_compress(w->codec, w->level, raw, rawlen, &comp, &clen, err, errlen);
        if (e) {
            sl_err_prefix(err, errlen, "spill file %s", w->path);
            return e;
        }
        payload = comp;
    } else {
        clen = rawlen;
    }
    uint8_t hdr[20];
    put32(hdr, BLOCK_MAGIC);
    put32(hdr + 4, (uint32_t)n);
    put32(hdr + 8, (uint32_t)rawlen);
    put32(hdr + 12, (uint32_t)clen);
    put32(hdr + 16, crc(payload, clen));
    sl_err e = write_all(w, hdr, sizeof hdr, err, errlen);
    if (!e) e = write_all(w, payload, clen, err, errlen);
    free(comp);
    if (e) return e;
    w->rows += n;
    w->blocks++;
    if (w->compcap > ((size_t)16 << 20)) {
        free(w->comp);
        w->comp = NULL;
        w->compcap = 0;
    }
    return SL_OK;
}

sl_err rp_spill_finish(rp_spill_writer *w, char *err, size_t errlen) {
    uint8_t end[24];
    put32(end, END_MAGIC);
    put64(end + 8, w->rows);
    put64(end + 16, w->blocks);
    put32(end + 4, crc(end + 8, 16));
    sl_err e = write_all(w, end, sizeof end, err, errlen);
    if (!e && close(w->fd) != 0)
        e = sl_err_set(err, errlen, SL_ERR_IO, "closing spill file %s: %s", w->path, strerror(errno));
    w->fd = -1;
    if (e) {
        unlink(w->path);
    }
    writer_free(w);
    return e;
}

void rp_spill_abort(rp_spill_writer *w) {
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    unlink(w->path);
    writer_free(w);
}

uint64_t rp_spill_bytes(const rp_spill_writer *w) { return w->bytes; }
uint64_t rp_spill_rows(const rp_spill_writer *w) { return w->rows; }

/* ------------------------------------------------------------------ reader */

struct rp_spill_reader {
    int fd;
    char *path;
    size_t ncols;
    uint8_t types[1024];
    pq_codec codec;
    uint8_t *comp;
    size_t compcap;
    uint64_t rows, blocks;
    size_t max_block;
    bool done;
};

/* Read exactly n bytes; returns bytes read (< n at end of file) or -1. */
static long read_full(int fd, void *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, (uint8_t *)p + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        got += (size_t)k;
    }
    return (long)got;
}

sl_err rp_spill_open(rp_spill_reader **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    rp_spill_reader *r = calloc(1, sizeof *r);
    if (!r) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    r->path = strdup(path);
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!r->path || r->fd < 0) {
        sl_err e = sl_err_set(err, errlen, r->path ? SL_ERR_IO : SL_ERR_NOMEM, "opening spill file %s: %s", path,
                              r->path ? strerror(errno) : "out of memory");
        rp_spill_close(r);
        return e;
    }
    uint8_t hdr[16];
    if (read_full(r->fd, hdr, 16) != 16 || memcmp(hdr, FILE_MAGIC, 8) != 0 || get32(hdr + 8) != 1) {
        rp_spill_close(r);
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "spill file %s: bad or truncated header", path);
    }
    r->ncols = (size_t)hdr[12] | (size_t)hdr[13] << 8;
    r->codec = (pq_codec)hdr[14];
    if (r->ncols > sizeof r->types || read_full(r->fd, r->types, r->ncols) != (long)r->ncols) {
        rp_spill_close(r);
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "spill file %s: bad or truncated header", path);
    }
    *out = r;
    return SL_OK;
}

size_t rp_spill_max_block(const rp_spill_reader *r) { return r->max_block; }

static sl_err corrupt(rp_spill_reader *r, char *err, size_t errlen, const char *what) {
    return sl_err_set(err, errlen, SL_ERR_CORRUPT, "spill file %s: %s (after %llu rows in %llu blocks)", r->path, what,
                      (unsigned long long)r->rows, (unsigned long long)r->blocks);
}

static size_t popcount8(uint8_t x) {
    x = (uint8_t)(x - ((x >> 1) & 0x55));
    x = (uint8_t)((x & 0x33) + ((x >> 2) & 0x33));
    return (size_t)((x + (x >> 4)) & 0x0f);
}

static sl_err decode_block(rp_spill_reader *r, sl_batch *b, sl_blob *blob, size_t n, char *err, size_t errlen) {
    const uint8_t *p = blob->data, *end = blob->data + blob->size;
    sl_err e = sl_batch_reserve(b, n, err, errlen);
    if (e) return e;
    for (size_t c = 0; c < r->ncols; c++) {
        sl_col *col = &b->cols[c];
        if (p >= end) return corrupt(r, err, errlen, "block too short");
        uint8_t hv = *p++;
        if (hv > 2) return corrupt(r, err, errlen, "bad validity flag");
        if (hv == 2) { /* every row NULL */
            uint8_t *v = sl_col_valid_alloc(b, c);
            if (!v) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            memset(v, 0, (n + 7) / 8);
            memset(col->data, 0, n * sl_type_width(col->t.type));
            col->null_count = n;
            continue;
        }
        if (hv) {
            size_t nb = (n + 7) / 8;
            if ((size_t)(end - p) < nb) return corrupt(r, err, errlen, "block too short");
            uint8_t *v = sl_col_valid_alloc(b, c);
            if (!v) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            memcpy(v, p, nb);
            size_t nulls = 0;
            for (size_t i = 0; i < nb; i++) nulls += popcount8((uint8_t)~p[i]);
            nulls -= nb * 8 - n; /* padding bits are 0 in the file */
            col->null_count = nulls;
            p += nb;
        }
        if (col->t.type == SL_BYTES) {
            if ((size_t)(end - p) / 4 < n) return corrupt(r, err, errlen, "block too short");
            const uint8_t *lens = p;
            p += 4 * n;
            sl_str *s = col->data;
            for (size_t i = 0; i < n; i++) {
                uint32_t l = get32(lens + 4 * i);
                if ((size_t)(end - p) < l) return corrupt(r, err, errlen, "string past the end of its block");
                s[i].ptr = (const char *)p;
                s[i].len = l;
                p += l;
            }
        } else {
            size_t w = sl_type_width(col->t.type);
            if ((size_t)(end - p) / w < n) return corrupt(r, err, errlen, "block too short");
            memcpy(col->data, p, n * w);
            p += n * w;
        }
    }
    if (p != end) return corrupt(r, err, errlen, "block has trailing bytes");
    return sl_batch_retain(b, blob) == SL_OK ? SL_OK : sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
}

long rp_spill_next(rp_spill_reader *r, sl_batch *b, char *err, size_t errlen) {
    sl_batch_reset(b);
    if (r->done) return 0;
    if (b->ncols != r->ncols) return sl_err_set(err, errlen, SL_ERR_ARG, "spill file %s: batch has %zu columns, file %zu",
                                                r->path, b->ncols, r->ncols);
    for (size_t c = 0; c < r->ncols; c++)
        if ((uint8_t)b->cols[c].t.type != r->types[c])
            return sl_err_set(err, errlen, SL_ERR_ARG, "spill file %s: column %zu type differs", r->path, c);
    uint8_t hdr[24];
    long k = read_full(r->fd, hdr, 4);
    if (k < 0) return sl_err_set(err, errlen, SL_ERR_IO, "reading spill file %s: %s", r->path, strerror(errno));
    if (k < 4) return corrupt(r, err, errlen, "truncated (no end record)");
    uint32_t magic = get32(hdr);
    if (magic == END_MAGIC) {
        if (read_full(r->fd, hdr + 4, 20) != 20) return corrupt(r, err, errlen, "truncated end record");
        if (get32(hdr + 4) != crc(hdr + 8, 16)) return corrupt(r, err, errlen, "end record checksum mismatch");
        if (get64(hdr + 8) != r->rows || get64(hdr + 16) != r->blocks)
            return corrupt(r, err, errlen, "end record does not match the blocks read");
        uint8_t extra;
        if (read_full(r->fd, &extra, 1) != 0) return corrupt(r, err, errlen, "bytes after the end record");
        r->done = true;
        return 0;
    }
    if (magic != BLOCK_MAGIC) return corrupt(r, err, errlen, "bad block magic");
    if (read_full(r->fd, hdr + 4, 16) != 16) return corrupt(r, err, errlen, "truncated block header");
    uint32_t n = get32(hdr + 4), raw = get32(hdr + 8), clen = get32(hdr + 12), want = get32(hdr + 16);
    if (n == 0 || n > MAX_BLOCK_ROWS || raw > MAX_RAW || clen > MAX_RAW)
        return corrupt(r, err, errlen, "bad block header");
    if (clen > r->compcap) {
        uint8_t *c = realloc(r->comp, clen);
        if (!c) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        r->comp = c;
        r->compcap = clen;
    }
    k = read_full(r->fd, r->comp, clen);
    if (k < 0) return sl_err_set(err, errlen, SL_ERR_IO, "reading spill file %s: %s", r->path, strerror(errno));
    if ((uint32_t)k != clen) return corrupt(r, err, errlen, "truncated block");
    if (crc(r->comp, clen) != want)
        return sl_err_set(err, errlen, SL_ERR_CHECKSUM, "spill file %s: block %llu checksum mismatch", r->path,
                          (unsigned long long)r->blocks);
    sl_blob *blob = sl_blob_new(raw);
    if (!blob) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sl_err e;
    if (r->codec == PQ_CODEC_UNCOMPRESSED) {
        if (clen != raw) e = corrupt(r, err, errlen, "size mismatch");
        else {
            memcpy(blob->data, r->comp, raw);
            e = SL_OK;
        }
    } else {
        e = pq_decompress(r->codec, r->comp, clen, blob->data, raw, err, errlen);
        if (e) sl_err_prefix(err, errlen, "spill file %s", r->path);
    }
    if (!e) e = decode_block(r, b, blob, n, err, errlen);
    sl_blob_unref(blob);
    if (e) {
        sl_batch_reset(b);
        return e;
    }
    b->nrows = n;
    if (raw > r->max_block) r->max_block = raw;
    if (r->compcap > ((size_t)16 << 20)) {
        free(r->comp);
        r->comp = NULL;
        r->compcap = 0;
    }
    r->rows += n;
    r->blocks++;
    return (long)n;
}

void rp_spill_close(rp_spill_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->path);
    free(r->comp);
    free(r);
}

/* ------------------------------------------------------------------ row records */

sl_err rp_rec_layout_init(rp_rec_layout *L, const sl_batch *schema, char *err, size_t errlen) {
    memset(L, 0, sizeof *L);
    if (schema->ncols > 64)
        return sl_err_set(err, errlen, SL_ERR_ARG, "row records: %zu columns (at most 64)", schema->ncols);
    L->ncols = schema->ncols;
    L->maskbytes = (L->ncols + 7) / 8;
    for (size_t c = 0; c < L->ncols; c++) {
        sl_type t = schema->cols[c].t.type;
        L->type[c] = (uint8_t)t;
        L->width[c] = t == SL_BYTES ? 0 : (uint8_t)sl_type_width(t);
        switch (L->width[c]) {
        case 8: L->c8[L->n8++] = (uint8_t)c; break;
        case 4: L->c4[L->n4++] = (uint8_t)c; break;
        case 1: L->c1[L->n1++] = (uint8_t)c; break;
        case 0: L->cb[L->nb++] = (uint8_t)c; break;
        default: return sl_err_set(err, errlen, SL_ERR_ARG, "row records: column width %u", L->width[c]);
        }
    }
    size_t o = L->maskbytes;
    for (size_t i = 0; i < L->n8; i++, o += 8) L->off[L->c8[i]] = (uint16_t)o;
    for (size_t i = 0; i < L->n4; i++, o += 4) L->off[L->c4[i]] = (uint16_t)o;
    for (size_t i = 0; i < L->n1; i++, o += 1) L->off[L->c1[i]] = (uint16_t)o;
    for (size_t i = 0; i < L->nb; i++, o += 4) L->off[L->cb[i]] = (uint16_t)o;
    L->nstr = L->nb;
    L->hdr = o;
    return SL_OK;
}

static inline uint32_t ld32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline bool rec_null(const uint8_t *r, size_t c) { return (r[c >> 3] >> (c & 7)) & 1; }

size_t rp_rec_size(const rp_rec_layout *L, const sl_batch *b, size_t i) {
    size_t s = L->hdr;
    for (size_t k = 0; k < L->nb; k++) {
        const sl_col *col = &b->cols[L->cb[k]];
        if (!sl_col_is_null(col, i)) s += ((const sl_str *)col->data)[i].len;
    }
    return s;
}

size_t rp_rec_len(const rp_rec_layout *L, const uint8_t *p) {
    size_t s = L->hdr;
    const uint8_t *lens = p + L->hdr - 4 * L->nb;
    for (size_t k = 0; k < L->nb; k++) s += ld32(lens + 4 * k);
    return s;
}

size_t rp_rec_encode(const rp_rec_layout *L, const sl_batch *b, const uint32_t *rows, size_t n, uint8_t *dst,
                     uint64_t base, uint64_t *offs) {
    const uint64_t *d8[64];
    const uint32_t *d4[64];
    const uint8_t *d1[64];
    const sl_str *db[64];
    const uint8_t *nv[64]; /* validity bitmaps of the columns that have one */
    uint8_t nvc[64];
    size_t nnv = 0;
    for (size_t k = 0; k < L->n8; k++) d8[k] = b->cols[L->c8[k]].data;
    for (size_t k = 0; k < L->n4; k++) d4[k] = b->cols[L->c4[k]].data;
    for (size_t k = 0; k < L->n1; k++) d1[k] = b->cols[L->c1[k]].data;
    for (size_t k = 0; k < L->nb; k++) db[k] = b->cols[L->cb[k]].data;
    for (size_t c = 0; c < L->ncols; c++)
        if (b->cols[c].valid) {
            nv[nnv] = b->cols[c].valid;
            nvc[nnv++] = (uint8_t)c;
        }
    const size_t o8 = L->maskbytes, o4 = o8 + 8 * (size_t)L->n8, o1 = o4 + 4 * (size_t)L->n4,
                 ob = o1 + (size_t)L->n1;
    uint8_t *p = dst;
    for (size_t j = 0; j < n; j++) {
        size_t i = rows ? rows[j] : j;
        if (offs) offs[j] = base + (uint64_t)(p - dst);
        memset(p, 0, L->maskbytes);
        for (size_t k = 0; k < nnv; k++)
            if (!sl_bit_get(nv[k], i)) p[nvc[k] >> 3] |= (uint8_t)(1u << (nvc[k] & 7));
        uint8_t *q = p + o8;
        for (size_t k = 0; k < L->n8; k++, q += 8) memcpy(q, &d8[k][i], 8);
        for (size_t k = 0; k < L->n4; k++, q += 4) memcpy(q, &d4[k][i], 4);
        for (size_t k = 0; k < L->n1; k++, q += 1) *q = d1[k][i];
        uint8_t *lens = p + ob, *s = p + L->hdr;
        for (size_t k = 0; k < L->nb; k++) {
            const sl_str *v = &db[k][i];
            uint32_t l = rec_null(p, L->cb[k]) ? 0 : v->len;
            memcpy(lens + 4 * k, &l, 4);
            if (l) memcpy(s, v->ptr, l);
            s += l;
        }
        /* a NULL fixed value is stored as zeros (the batch zeroes NULL slots, but be sure) */
        if (nnv)
            for (size_t k = 0; k < nnv; k++) {
                size_t c = nvc[k];
                if (L->width[c] && rec_null(p, c)) memset(p + L->off[c], 0, L->width[c]);
            }
        p = s;
    }
    return (size_t)(p - dst);
}

/* Per-block column summary: NULL present / all NULL, string bytes. */
typedef struct rec_sum {
    uint8_t anynull[64], allnull[64];
    size_t sbytes[64]; /* by string index */
} rec_sum;

static void rec_summarize(const rp_rec_layout *L, const uint8_t *const *recs, size_t n, rec_sum *S) {
    uint8_t orm[8] = {0}, andm[8];
    memset(andm, 0xff, sizeof andm);
    memset(S->sbytes, 0, sizeof S->sbytes);
    const size_t ob = L->hdr - 4 * (size_t)L->nb;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = recs[i];
        for (size_t m = 0; m < L->maskbytes; m++) {
            orm[m] |= r[m];
            andm[m] &= r[m];
        }
        for (size_t k = 0; k < L->nb; k++) S->sbytes[k] += ld32(r + ob + 4 * k);
    }
    for (size_t c = 0; c < L->ncols; c++) {
        S->anynull[c] = (orm[c >> 3] >> (c & 7)) & 1;
        S->allnull[c] = n > 0 && ((andm[c >> 3] >> (c & 7)) & 1);
    }
}

size_t rp_rec_raw_size(const rp_rec_layout *L, const uint8_t *const *recs, size_t n) {
    rec_sum S;
    rec_summarize(L, recs, n, &S);
    size_t sz = 0, si = 0;
    for (size_t c = 0; c < L->ncols; c++) {
        sz += 1;
        bool str = L->width[c] == 0;
        size_t k = str ? si++ : 0;
        if (S.allnull[c]) continue;
        if (S.anynull[c]) sz += (n + 7) / 8;
        sz += str ? 4 * n + S.sbytes[k] : n * L->width[c];
    }
    return sz;
}

void rp_rec_to_raw(const rp_rec_layout *L, const uint8_t *const *recs, size_t n, uint8_t *raw) {
    rec_sum S;
    rec_summarize(L, recs, n, &S);
    uint8_t *p = raw;
    size_t si = 0;
    const size_t ob = L->hdr - 4 * (size_t)L->nb;
    for (size_t c = 0; c < L->ncols; c++) {
        bool str = L->width[c] == 0;
        size_t k = str ? si++ : 0;
        if (S.allnull[c]) {
            *p++ = 2;
            continue;
        }
        *p++ = S.anynull[c] ? 1 : 0;
        if (S.anynull[c]) {
            size_t nb = (n + 7) / 8;
            memset(p, 0, nb);
            for (size_t i = 0; i < n; i++)
                if (!rec_null(recs[i], c)) p[i >> 3] |= (uint8_t)(1u << (i & 7));
            p += nb;
        }
        if (str) {
            uint8_t *lens = p, *s = p + 4 * n;
            size_t lo = ob + 4 * k;
            for (size_t i = 0; i < n; i++) {
                const uint8_t *r = recs[i];
                uint32_t l = ld32(r + lo);
                put32(lens + 4 * i, l);
                if (l) {
                    /* the bytes of string k follow those of strings 0..k-1 */
                    const uint8_t *sp = r + L->hdr;
                    for (size_t q = 0; q < k; q++) sp += ld32(r + ob + 4 * q);
                    memcpy(s, sp, l);
                    s += l;
                }
            }
            p = s;
        } else {
            size_t w = L->width[c], off = L->off[c];
            if (w == 8)
                for (size_t i = 0; i < n; i++) memcpy(p + 8 * i, recs[i] + off, 8);
            else if (w == 4)
                for (size_t i = 0; i < n; i++) memcpy(p + 4 * i, recs[i] + off, 4);
            else
                for (size_t i = 0; i < n; i++) p[i] = recs[i][off];
            p += n * w;
        }
    }
}

sl_err rp_rec_to_batch(const rp_rec_layout *L, const uint8_t *const *recs, size_t n, sl_batch *b, char *err,
                       size_t errlen) {
    if (b->ncols != L->ncols)
        return sl_err_set(err, errlen, SL_ERR_ARG, "row records: batch has %zu columns, records %zu", b->ncols,
                          L->ncols);
    size_t base = b->nrows;
    if (base + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < base + n) cap *= 2;
        sl_err e = sl_batch_reserve(b, cap, err, errlen);
        if (e) return e;
    }
    rec_sum S;
    rec_summarize(L, recs, n, &S);
    size_t total = 0;
    for (size_t k = 0; k < L->nb; k++) total += S.sbytes[k];
    uint8_t *arena = total ? sl_arena_alloc(&b->arena, total) : NULL;
    if (total && !arena) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    const size_t ob = L->hdr - 4 * (size_t)L->nb;
    /* strings: each record's string bytes are copied at once */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = recs[i];
        const uint8_t *sp = r + L->hdr;
        size_t len = 0;
        for (size_t k = 0; k < L->nb; k++) {
            uint32_t l = ld32(r + ob + 4 * k);
            sl_str *o = (sl_str *)b->cols[L->cb[k]].data + base + i;
            o->ptr = l ? (const char *)arena + len : "";
            o->len = l;
            len += l;
        }
        if (len) memcpy(arena, sp, len);
        arena += len;
    }
    for (size_t c = 0; c < L->ncols; c++) {
        sl_col *col = &b->cols[c];
        size_t w = L->width[c], off = L->off[c];
        if (w == 8) {
            uint8_t *d = (uint8_t *)col->data + 8 * base;
            for (size_t i = 0; i < n; i++) memcpy(d + 8 * i, recs[i] + off, 8);
        } else if (w == 4) {
            uint8_t *d = (uint8_t *)col->data + 4 * base;
            for (size_t i = 0; i < n; i++) memcpy(d + 4 * i, recs[i] + off, 4);
        } else if (w == 1) {
            uint8_t *d = (uint8_t *)col->data + base;
            for (size_t i = 0; i < n; i++) d[i] = recs[i][off];
        }
        if (S.anynull[c] || col->valid) {
            uint8_t *v = sl_col_valid_alloc(b, c);
            if (!v) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            size_t nulls = 0;
            for (size_t i = 0; i < n; i++) {
                if (rec_null(recs[i], c)) {
                    sl_bit_clear(v, base + i);
                    nulls++;
                } else {
                    sl_bit_set(v, base + i);
                }
            }
            col->null_count += nulls;
        }
    }
    b->nrows = base + n;
    return SL_OK;
}
