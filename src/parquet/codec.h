/* codec.h: page decompression for every Parquet codec sluice reads.
 *
 * UNCOMPRESSED, SNAPPY, GZIP (zlib/gzip streams incl. concatenated members),
 * ZSTD (incl. concatenated frames), LZ4_RAW (block), LZ4 (legacy Hadoop
 * framing, with fallback to raw block as other readers do), BROTLI.
 * LZO gives SL_ERR_UNSUPPORTED.
 */
#ifndef PQ_CODEC_H
#define PQ_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/meta.h"
#include "util/err.h"

/* Decompress src[0..srclen) into dst, which holds exactly dstlen bytes (the
 * page's uncompressed size).  The result must be exactly dstlen bytes: fewer
 * or more is SL_ERR_CODEC ("decompressed to N bytes, expected M").  Never
 * writes past dst+dstlen, never crashes or hangs on garbage input.  An empty
 * section decodes from 0 bytes as well as from the codec's encoding of empty
 * input, for every supported codec (data page v2 values of an all-NULL page). */
sl_err pq_decompress(pq_codec codec, const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                     char *err, size_t errlen);

/* Compress (used by tests and, later, the writer).  *out is malloc'd and
 * owned by the caller.  Supports UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4_RAW,
 * LZ4 (Hadoop framing), BROTLI. level <= 0 picks the codec default. */
sl_err pq_compress(pq_codec codec, int level, const uint8_t *src, size_t srclen, uint8_t **out,
                   size_t *outlen, char *err, size_t errlen);
/* This thread's cached ZSTD compression context (a ZSTD_CCtx *; NULL when out
 * of memory).  Owned by the thread, freed when it exits: do not free it. */
void *pq_codec_zstd_cctx(void);

/* true when the codec can be decompressed by this build */
int pq_codec_supported(pq_codec codec);

#endif
