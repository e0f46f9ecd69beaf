/* codec.c: Parquet page (de)compression.
 *
 * Design notes
 * - Decompression is the hot path (one call per page, millions per run), so
 *   the expensive per-call state of zlib (inflate state + 32 KiB window), zstd
 *   (DCtx/CCtx) and LZ4F is created once per thread and reused.  The cache
 *   lives behind a C11 _Thread_local pointer, and a pthread key destructor
 *   frees it when a thread exits, so the module is thread-safe without locks.
 *   Brotli has no reset API; its decoder instance is created per call (it is a
 *   rarely used codec in practice).
 * - Every decoder is given exactly dst[0..dstlen) and the result must be
 *   exactly dstlen bytes.  Where a library cannot tell "too much output" from
 *   "corrupt input" the message still names the expected size.
 * - zlib's and LZ4's length types are narrower than size_t; Parquet page sizes
 *   are int32 in the format, so larger buffers are rejected up front.
 */
#include "parquet/codec.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* ---------------------------------------------------------------- names */

static const char *codec_name(pq_codec c) {
    switch (c) {
    case PQ_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
    case PQ_CODEC_SNAPPY: return "SNAPPY";
    case PQ_CODEC_GZIP: return "GZIP";
    case PQ_CODEC_LZO: return "LZO";
    case PQ_CODEC_BROTLI: return "BROTLI";
    case PQ_CODEC_LZ4: return "LZ4";
    case PQ_CODEC_ZSTD: return "ZSTD";
    case PQ_CODEC_LZ4_RAW: return "LZ4_RAW";
    }
    return "?";
}

int pq_codec_supported(pq_codec codec) {
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
    case PQ_CODEC_SNAPPY:
    case PQ_CODEC_GZIP:
    case PQ_CODEC_BROTLI:
    case PQ_CODEC_LZ4:
    case PQ_CODEC_ZSTD:
    case PQ_CODEC_LZ4_RAW: return 1;
    case PQ_CODEC_LZO: return 0;
    }
    return 0;
}

static sl_err unsupported(pq_codec codec, char *err, size_t errlen) {
    if (codec == PQ_CODEC_LZO) return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "LZO codec is not supported");
    return sl_err_set(err, errlen, SL_ERR_UNSUPPORTED, "unknown compression codec %d", (int)codec);
}

static sl_err size_mismatch(const char *name, size_t got, size_t want, char *err, size_t errlen) {
    return sl_err_set(err, errlen, SL_ERR_CODEC, "%s: decompressed to %zu bytes, expected %zu", name, got, want);
}

static sl_err too_large(const char *name, size_t want, char *err, size_t errlen) {
    return sl_err_set(err, errlen, SL_ERR_CODEC, "%s: decompressed to more than %zu bytes, expected %zu", name,
                      want, want);
}

/* ------------------------------------------------------ per-thread cache */

typedef struct codec_tls {
    ZSTD_DCtx *zdctx;
    ZSTD_CCtx *zcctx;
    LZ4F_dctx *lz4f;
    int inflate_ready; /* zs initialised with inflateInit2 */
    z_stream zs;       /* must not move once initialised (zlib keeps a back pointer) */
} codec_tls;

static _Thread_local codec_tls *tls_cache;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static int tls_key_ok;

static void tls_free(void *p) {
    codec_tls *t = p;
    if (!t) return;
    ZSTD_freeDCtx(t->zdctx);
    ZSTD_freeCCtx(t->zcctx);
    if (t->lz4f) LZ4F_freeDecompressionContext(t->lz4f);
    if (t->inflate_ready) inflateEnd(&t->zs);
    free(t);
    if (tls_cache == t) tls_cache = NULL;
}

static void tls_make_key(void) { tls_key_ok = pthread_key_create(&tls_key, tls_free) == 0; }

static codec_tls *tls_get(void) {
    codec_tls *t = tls_cache;
    if (t) return t;
    t = calloc(1, sizeof *t);
    if (!t) return NULL;
    pthread_once(&tls_once, tls_make_key);
    /* if the key cannot be made the cache simply leaks at thread exit */
    if (tls_key_ok) pthread_setspecific(tls_key, t);
    tls_cache = t;
    return t;
}

void *pq_codec_zstd_cctx(void) {
    codec_tls *t = tls_get();
    if (!t) return NULL;
    if (!t->zcctx) t->zcctx = ZSTD_createCCtx();
    return t->zcctx;
}

static sl_err nomem(const char *name, char *err, size_t errlen) {
    return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", name);
}

/* --------------------------------------------------------- decompressors */

static sl_err dec_snappy(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, char *err,
                         size_t errlen) {
    size_t ulen = 0;
    if (snappy_uncompressed_length((const char *)src, srclen, &ulen) != SNAPPY_OK)
        return sl_err_set(err, errlen, SL_ERR_CODEC, "SNAPPY: corrupt input (bad length header)");
    if (ulen != dstlen) return size_mismatch("SNAPPY", ulen, dstlen, err, errlen);
    char dummy;
    size_t outlen = dstlen;
    if (snappy_uncompress((const char *)src, srclen, dstlen ? (char *)dst : &dummy, &outlen) != SNAPPY_OK)
        return sl_err_set(err, errlen, SL_ERR_CODEC, "SNAPPY: corrupt input");
    if (outlen != dstlen) return size_mismatch("SNAPPY", outlen, dstlen, err, errlen);
    return SL_OK;
}

/* GZIP: windowBits 15+32 accepts both gzip and zlib headers.  Concatenated
 * gzip members (as produced by some writers and by `cat a.gz b.gz`) decode to
 * the concatenation of their contents: after Z_STREAM_END, if input remains
 * the stream is reset and inflation continues. */
static sl_err dec_gzip(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, char *err,
                       size_t errlen) {
    if (srclen > UINT_MAX || dstlen > UINT_MAX)
        return sl_err_set(err, errlen, SL_ERR_CODEC, "GZIP: buffer too large (%zu -> %zu bytes)", srclen, dstlen);
    codec_tls *t = tls_get();
    if (!t) return nomem("GZIP", err, errlen);
    z_stream *zs = &t->zs;
    if (!t->inflate_ready) {
        memset(zs, 0, sizeof *zs);
        if (inflateInit2(zs, 15 + 32) != Z_OK) return nomem("GZIP", err, errlen);
        t->inflate_ready = 1;
    } else if (inflateReset(zs) != Z_OK) {
        return sl_err_set(err, errlen, SL_ERR_CODEC, "GZIP: inflateReset failed");
    }
    uint8_t scratch[64]; /* receives output beyond dstlen, to detect it */
    static const uint8_t empty = 0;
    zs->next_in = (Bytef *)(srclen ? src : &empty);
    zs->avail_in = (uInt)srclen;
    zs->next_out = dstlen ? dst : scratch;
    zs->avail_out = dstlen ? (uInt)dstlen : (uInt)sizeof scratch;
    int in_scratch = dstlen == 0;
    sl_err rc = SL_OK;
    for (;;) {
        int ret = inflate(zs, Z_NO_FLUSH);
        if (in_scratch && zs->avail_out != sizeof scratch) {
            rc = too_large("GZIP", dstlen, err, errlen);
            break;
        }
        if (ret == Z_STREAM_END) {
            if (zs->avail_in == 0) break;
            /* another gzip member follows */
            if (inflateReset(zs) != Z_OK) {
                rc = sl_err_set(err, errlen, SL_ERR_CODEC, "GZIP: inflateReset failed");
                break;
            }
            continue;
        }
        if (ret == Z_OK) {
            if (zs->avail_out == 0 && !in_scratch) {
                zs->next_out = scratch;
                zs->avail_out = sizeof scratch;
                in_scratch = 1;
            }
            continue;
        }
        if (ret == Z_BUF_ERROR) { /* no progress possible */
            if (zs->avail_in == 0) {
                size_t got = in_scratch ? dstlen : dstlen - zs->avail_out;
                rc = sl_err_set(err, errlen, SL_ERR_CODEC,
                                "GZIP: truncated input (decompressed %zu bytes, expected %zu)", got, dstlen);
            } else {
                rc = too_large("GZIP", dstlen, err, errlen);
            }
            break;
        }
        if (ret == Z_NEED_DICT) {
            rc = sl_err_set(err, errlen, SL_ERR_CODEC, "GZIP: stream needs a preset dictionary");
        } else if (ret == Z_MEM_ERROR) {
            rc = nomem("GZIP", err, errlen);
        } else {
            rc = sl_err_set(err, errlen, SL_ERR_CODEC, "GZIP: corrupt input (%s)", zs->msg ? zs->msg : "data error");
        }
        break;
    }
    if (rc == SL_OK) {
        size_t got = in_scratch ? dstlen : dstlen - zs->avail_out;
        if (got != dstlen) rc = size_mismatch("GZIP", got, dstlen, err, errlen);
    }
    /* drop pointers to caller memory */
    zs->next_in = NULL;
    zs->avail_in = 0;
    zs->next_out = NULL;
    zs->avail_out = 0;
    return rc;
}

/* ZSTD: ZSTD_decompressDCtx decodes every frame in src (including skippable
 * frames) back to back into dst. */
static sl_err dec_zstd(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, char *err,
                       size_t errlen) {
    codec_tls *t = tls_get();
    if (!t) return nomem("ZSTD", err, errlen);
    if (!t->zdctx && !(t->zdctx = ZSTD_createDCtx())) return nomem("ZSTD", err, errlen);
    uint8_t dummy;
    size_t r = ZSTD_decompressDCtx(t->zdctx, dstlen ? dst : &dummy, dstlen, srclen ? src : &dummy, srclen);
    if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall) return too_large("ZSTD", dstlen, err, errlen);
        return sl_err_set(err, errlen, SL_ERR_CODEC, "ZSTD: %s (expected %zu bytes)", ZSTD_getErrorName(r),
                          dstlen);
    }
    if (r != dstlen) return size_mismatch("ZSTD", r, dstlen, err, errlen);
    return SL_OK;
}

/* LZ4_RAW: a single LZ4 block, no framing. */
static sl_err dec_lz4_raw(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, char *err,
                          size_t errlen) {
    if (srclen > INT_MAX || dstlen > INT_MAX)
        return sl_err_set(err, errlen, SL_ERR_CODEC, "LZ4_RAW: buffer too large (%zu -> %zu bytes)", srclen,
                          dstlen);
    char dummy = 0;
    int n = LZ4_decompress_safe(srclen ? (const char *)src : &dummy, dstlen ? (char *)dst : &dummy, (int)srclen,
                                (int)dstlen);
    if (n < 0)
        return sl_err_set(err, errlen, SL_ERR_CODEC,
                          "LZ4_RAW: corrupt input or decompressed size exceeds expected %zu bytes", dstlen);
    if ((size_t)n != dstlen) return size_mismatch("LZ4_RAW", (size_t)n, dstlen, err, errlen);
    return SL_OK;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Hadoop LZ4 framing as written by parquet-mr: blocks of
 *   [u32be uncompressed_len][u32be compressed_len][compressed_len bytes of LZ4 block]
 * repeated until the input ends.  (Hadoop itself allows several compressed
 * chunks per uncompressed length; like Arrow we accept one chunk per header,
 * which is what parquet writers emit.)
 * Returns 1 when src is a structurally valid block sequence; then *total is
 * the sum of the uncompressed lengths.  Nothing is decoded. */
static int hadoop_scan(const uint8_t *src, size_t srclen, size_t *total) {
    size_t pos = 0, sum = 0;
    while (pos < srclen) {
        if (srclen - pos < 8) return 0;
        uint32_t ulen = be32(src + pos), clen = be32(src + pos + 4);
        pos += 8;
        if (clen > srclen - pos || clen > INT_MAX || ulen > INT_MAX) return 0;
        if (clen == 0 && ulen != 0) return 0;
        pos += clen;
        if (sum > SIZE_MAX - ulen) return 0;
        sum += ulen;
    }
    *total = sum;
    return 1;
}

/* Decode a structurally valid Hadoop sequence whose total equals dstlen. */
static int hadoop_decode(const uint8_t *src, size_t srclen, uint8_t *dst) {
    size_t pos = 0, out = 0;
    while (pos < srclen) {
        uint32_t ulen = be32(src + pos), clen = be32(src + pos + 4);
        pos += 8;
        if (clen > 0) {
            char dummy = 0;
            int n = LZ4_decompress_safe((const char *)src + pos, ulen ? (char *)dst + out : &dummy, (int)clen,
                                        (int)ulen);
            if (n < 0 || (uint32_t)n != ulen) return 0;
        }
        pos += clen;
        out += ulen;
    }
    return 1;
}

/* LZ4 frame format (possibly several concatenated frames).
 * Returns 1 on success with exactly dstlen bytes; otherwise 0, with *got set
 * to the output size when the frames decoded cleanly (else SIZE_MAX). */
static int lz4_frame_decode(codec_tls *t, const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                            size_t *got) {
    *got = SIZE_MAX;
    if (!t->lz4f) {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&t->lz4f, LZ4F_VERSION))) {
            t->lz4f = NULL;
            return 0;
        }
    } else {
        LZ4F_resetDecompressionContext(t->lz4f);
    }
    uint8_t dummy = 0;
    size_t inpos = 0, outpos = 0;
    size_t r = 1;
    while (inpos < srclen) {
        size_t dsz = dstlen - outpos, ssz = srclen - inpos;
        r = LZ4F_decompress(t->lz4f, dsz ? dst + outpos : &dummy, &dsz, src + inpos, &ssz, NULL);
        if (LZ4F_isError(r)) {
            LZ4F_resetDecompressionContext(t->lz4f);
            return 0;
        }
        inpos += ssz;
        outpos += dsz;
        if (ssz == 0 && dsz == 0) break; /* no progress: output full */
    }
    if (r != 0 || inpos != srclen) { /* truncated frame, or more output than dstlen */
        LZ4F_resetDecompressionContext(t->lz4f);
        return 0;
    }
    *got = outpos;
    return outpos == dstlen;
}

/* LZ4 (deprecated Parquet codec).  Three encodings exist in the wild, tried
 * in this order, as Apache Arrow does:
 *   1. Hadoop framing (parquet-mr, and parquet-cpp >= 1.0) - see hadoop_scan;
 *   2. the LZ4 frame format (magic 0x184D2204), written by some old
 *      parquet-cpp versions;
 *   3. a bare LZ4 block (other old parquet-cpp versions; same as LZ4_RAW).
 * The Hadoop attempt is validated structurally (block headers must tile the
 * input exactly and sum to dstlen) before anything is decoded, so a bare
 * block is very unlikely to be mistaken for Hadoop data. */
static sl_err dec_lz4(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, char *err, size_t errlen) {
    size_t got = SIZE_MAX; /* best known decoded size for the error message */
    size_t total;
    if (hadoop_scan(src, srclen, &total)) {
        if (total == dstlen && hadoop_decode(src, srclen, dst)) return SL_OK;
        if (total != dstlen) got = total;
    }
    if (srclen >= 4 && src[0] == 0x04 && src[1] == 0x22 && src[2] == 0x4D && src[3] == 0x18) {
        codec_tls *t = tls_get();
        if (!t) return nomem("LZ4", err, errlen);
        size_t fgot;
        if (lz4_frame_decode(t, src, srclen, dst, dstlen, &fgot)) return SL_OK;
        if (fgot != SIZE_MAX) got = fgot;
    }
    if (srclen <= INT_MAX && dstlen <= INT_MAX) {
        char dummy = 0;
        int n = LZ4_decompress_safe(srclen ? (const char *)src : &dummy, dstlen ? (char *)dst : &dummy,
                                    (int)srclen, (int)dstlen);
        if (n >= 0 && (size_t)n == dstlen) return SL_OK;
        if (n >= 0) got = (size_t)n;
    }
    if (got != SIZE_MAX) return size_mismatch("LZ4", got, dstlen, err, errlen);
    return sl_err_set(err, errlen, SL_ERR_CODEC,
                      "LZ4: corrupt input (not valid Hadoop-framed, LZ4 frame or raw block data of %zu bytes)",
                      dstlen);
}

static sl_err dec_brotli(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, char *err,
                         size_t errlen) {
    BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!s) return nomem("BROTLI", err, errlen);
    uint8_t dummy = 0;
    size_t avail_in = srclen, avail_out = dstlen, total = 0;
    const uint8_t *next_in = srclen ? src : &dummy;
    uint8_t *next_out = dstlen ? dst : &dummy;
    BrotliDecoderResult r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, &total);
    sl_err rc = SL_OK;
    switch (r) {
    case BROTLI_DECODER_RESULT_SUCCESS:
        if (avail_in != 0)
            rc = sl_err_set(err, errlen, SL_ERR_CODEC, "BROTLI: %zu bytes of trailing data after stream", avail_in);
        else if (total != dstlen)
            rc = size_mismatch("BROTLI", total, dstlen, err, errlen);
        break;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT: rc = too_large("BROTLI", dstlen, err, errlen); break;
    case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
        rc = sl_err_set(err, errlen, SL_ERR_CODEC, "BROTLI: truncated input (decompressed %zu bytes, expected %zu)",
                        total, dstlen);
        break;
    default:
        rc = sl_err_set(err, errlen, SL_ERR_CODEC, "BROTLI: corrupt input (%s)",
                        BrotliDecoderErrorString(BrotliDecoderGetErrorCode(s)));
        break;
    }
    BrotliDecoderDestroyInstance(s);
    return rc;
}

sl_err pq_decompress(pq_codec codec, const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, char *err,
                     size_t errlen) {
    /* An empty section stored as 0 bytes (parquet-mr writes a data page v2's
     * all-NULL values section so, whatever the codec) is empty: no codec's
     * own encoding of empty input is required. */
    if (srclen == 0 && dstlen == 0 && pq_codec_supported(codec)) return SL_OK;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (srclen != dstlen) return size_mismatch("UNCOMPRESSED", srclen, dstlen, err, errlen);
        if (dstlen) memcpy(dst, src, dstlen);
        return SL_OK;
    case PQ_CODEC_SNAPPY: return dec_snappy(src, srclen, dst, dstlen, err, errlen);
    case PQ_CODEC_GZIP: return dec_gzip(src, srclen, dst, dstlen, err, errlen);
    case PQ_CODEC_ZSTD: return dec_zstd(src, srclen, dst, dstlen, err, errlen);
    case PQ_CODEC_LZ4_RAW: return dec_lz4_raw(src, srclen, dst, dstlen, err, errlen);
    case PQ_CODEC_LZ4: return dec_lz4(src, srclen, dst, dstlen, err, errlen);
    case PQ_CODEC_BROTLI: return dec_brotli(src, srclen, dst, dstlen, err, errlen);
    case PQ_CODEC_LZO: break;
    }
    return unsupported(codec, err, errlen);
}

/* ----------------------------------------------------------- compressors */

/* Shrink buf to n bytes (never fails: keeps the larger block on error). */
static uint8_t *shrink(uint8_t *buf, size_t n) {
    uint8_t *p = realloc(buf, n ? n : 1);
    return p ? p : buf;
}

sl_err pq_compress(pq_codec codec, int level, const uint8_t *src, size_t srclen, uint8_t **out, size_t *outlen,
                   char *err, size_t errlen) {
    *out = NULL;
    *outlen = 0;
    const char *name = codec_name(codec);
    uint8_t dummy = 0;
    const uint8_t *in = srclen ? src : &dummy;
    uint8_t *buf = NULL;
    size_t n = 0;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (!(buf = malloc(srclen ? srclen : 1))) return nomem(name, err, errlen);
        if (srclen) memcpy(buf, src, srclen);
        n = srclen;
        break;
    case PQ_CODEC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(srclen);
        if (!(buf = malloc(cap))) return nomem(name, err, errlen);
        n = cap;
        if (snappy_compress((const char *)in, srclen, (char *)buf, &n) != SNAPPY_OK) {
            free(buf);
            return sl_err_set(err, errlen, SL_ERR_CODEC, "SNAPPY: compression failed");
        }
        break;
    }
    case PQ_CODEC_GZIP: {
        if (srclen > UINT_MAX / 2)
            return sl_err_set(err, errlen, SL_ERR_CODEC, "GZIP: input too large (%zu bytes)", srclen);
        int lv = level <= 0 ? 6 : level > 9 ? 9 : level;
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, lv, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return nomem(name, err, errlen);
        size_t cap = deflateBound(&zs, (uLong)srclen);
        if (!(buf = malloc(cap))) {
            deflateEnd(&zs);
            return nomem(name, err, errlen);
        }
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)srclen;
        zs.next_out = buf;
        zs.avail_out = (uInt)cap;
        int ret = deflate(&zs, Z_FINISH);
        n = cap - zs.avail_out;
        deflateEnd(&zs);
        if (ret != Z_STREAM_END) {
            free(buf);
            return sl_err_set(err, errlen, SL_ERR_CODEC, "GZIP: compression failed (%d)", ret);
        }
        break;
    }
    case PQ_CODEC_ZSTD: {
        codec_tls *t = tls_get();
        if (!t) return nomem(name, err, errlen);
        if (!t->zcctx && !(t->zcctx = ZSTD_createCCtx())) return nomem(name, err, errlen);
        int lv = level <= 0 ? 3 : level > ZSTD_maxCLevel() ? ZSTD_maxCLevel() : level;
        size_t cap = ZSTD_compressBound(srclen);
        if (ZSTD_isError(cap) || !(buf = malloc(cap))) return nomem(name, err, errlen);
        n = ZSTD_compressCCtx(t->zcctx, buf, cap, in, srclen, lv);
        if (ZSTD_isError(n)) {
            free(buf);
            return sl_err_set(err, errlen, SL_ERR_CODEC, "ZSTD: %s", ZSTD_getErrorName(n));
        }
        break;
    }
    case PQ_CODEC_LZ4_RAW:
    case PQ_CODEC_LZ4: {
        /* level > 1 is LZ4's acceleration (faster, larger output); else default */
        if (srclen > LZ4_MAX_INPUT_SIZE)
            return sl_err_set(err, errlen, SL_ERR_CODEC, "%s: input too large (%zu bytes)", name, srclen);
        size_t hdr = codec == PQ_CODEC_LZ4 ? 8 : 0;
        int cap = LZ4_compressBound((int)srclen);
        if (!(buf = malloc(hdr + (size_t)cap))) return nomem(name, err, errlen);
        int c = LZ4_compress_fast((const char *)in, (char *)buf + hdr, (int)srclen, cap, level > 1 ? level : 1);
        if (c <= 0) {
            free(buf);
            return sl_err_set(err, errlen, SL_ERR_CODEC, "%s: compression failed", name);
        }
        if (hdr) { /* single Hadoop block */
            uint32_t u = (uint32_t)srclen, k = (uint32_t)c;
            uint8_t h[8] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u,
                            (uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
            memcpy(buf, h, 8);
        }
        n = hdr + (size_t)c;
        break;
    }
    case PQ_CODEC_BROTLI: {
        int q = level <= 0 ? 5 : level > BROTLI_MAX_QUALITY ? BROTLI_MAX_QUALITY : level;
        size_t cap = BrotliEncoderMaxCompressedSize(srclen);
        if (cap == 0) cap = srclen + 1024; /* overflow/unknown: generous fallback */
        if (!(buf = malloc(cap))) return nomem(name, err, errlen);
        n = cap;
        if (!BrotliEncoderCompress(q, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, srclen, in, &n, buf)) {
            free(buf);
            return sl_err_set(err, errlen, SL_ERR_CODEC, "BROTLI: compression failed");
        }
        break;
    }
    case PQ_CODEC_LZO:
    default: return unsupported(codec, err, errlen);
    }
    *out = shrink(buf, n);
    *outlen = n;
    return SL_OK;
}
