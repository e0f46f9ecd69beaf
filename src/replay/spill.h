/* spill.h: sorted-run files of the external sort (temporary, private to one
 * process; not an interchange format).
 *
 * A run file holds the rows of one sorted run as blocks of a batch's columns:
 *
 *   file header  (16 + ncols bytes)
 *     "SLSPILL1"                     magic (8 bytes)
 *     u32 version (1), u16 ncols, u16 codec (pq_codec: LZ4_RAW or ZSTD)
 *     u8  type[ncols]                sl_type of every column (checked on read)
 *   block*       (header 20 bytes + comp_len bytes)
 *     u32 "SLBK" magic, u32 nrows, u32 raw_len, u32 comp_len,
 *     u32 crc32 of the compressed payload
 *     payload: raw_len bytes compressed with the codec; raw layout, for each
 *       column in order: u8 flag: 2 = every row NULL (nothing follows);
 *       1 = ceil(nrows/8) bytes of validity bitmap (bit set = not NULL)
 *       follow, then the values; 0 = no NULLs, the values follow: nrows x width
 *       (fixed-width columns), or nrows u32 lengths followed by the bytes
 *       (BYTES columns).  Little-endian, unaligned.
 *   end record   (24 bytes)
 *     u32 "SLND" magic, u32 crc32 of the next 16 bytes, u64 rows, u64 blocks
 *
 * Every integer is little-endian.  A reader checks the magics, the CRC of
 * each payload, the exact decompressed size, the bounds of every length, and
 * that the end record is present and agrees with what was read: a truncated,
 * partly written or corrupted run is an error (SL_ERR_CORRUPT /
 * SL_ERR_CHECKSUM naming the file), never a silent short replay.
 * Strings read back point into the decompressed block, a refcounted blob the
 * batch retains (no per-string copy).
 */
#ifndef RP_SPILL_H
#define RP_SPILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "parquet/meta.h"
#include "util/err.h"

typedef struct rp_spill_writer rp_spill_writer;
typedef struct rp_spill_reader rp_spill_reader;

/* Create path (O_EXCL) for a run with b's columns (types taken from b). */
sl_err rp_spill_create(rp_spill_writer **out, const char *path, const sl_batch *schema, pq_codec codec, int level,
                       char *err, size_t errlen);
/* Append rows [from, from+n) of b (same columns as the schema batch) as one
 * block.  Write errors (ENOSPC...) name the file. */
sl_err rp_spill_write(rp_spill_writer *w, const sl_batch *b, size_t from, size_t n, char *err, size_t errlen);
/* Write the end record and close; frees w (also on error). */
sl_err rp_spill_finish(rp_spill_writer *w, char *err, size_t errlen);
/* Close and unlink; frees w. */
void rp_spill_abort(rp_spill_writer *w);
/* Bytes written so far (headers included). */
uint64_t rp_spill_bytes(const rp_spill_writer *w);
uint64_t rp_spill_rows(const rp_spill_writer *w);

/* Open a finished run; the batches given to rp_spill_next must have the same
 * column types (e.g. canonical batches). */
sl_err rp_spill_open(rp_spill_reader **out, const char *path, char *err, size_t errlen);
/* Reset b and fill it with the next block.  Returns rows, 0 at the (verified)
 * end, <0 on error. */
long rp_spill_next(rp_spill_reader *r, sl_batch *b, char *err, size_t errlen);
/* Largest raw (decompressed) block seen so far, for memory accounting. */
size_t rp_spill_max_block(const rp_spill_reader *r);
void rp_spill_close(rp_spill_reader *r);

/* Raw (uncompressed) payload size of rows [from, from+n) of b. */
size_t rp_spill_raw_size(const sl_batch *b, size_t from, size_t n);


/* Append an already encoded raw payload (the layout above) of nrows rows as
 * one block: compressed (reusing the writer's buffers), checksummed and
 * written.  The caller vouches for the layout (rp_rec_to_raw produces it). */
sl_err rp_spill_write_raw(rp_spill_writer *w, const uint8_t *raw, size_t rawlen, size_t nrows, char *err,
                          size_t errlen);

/* ------------------------------------------------------------ row records
 *
 * The external sort keeps the rows of a run as row-major variable-length
 * records in one contiguous buffer (one row = one record, a few cache lines),
 * so that gathering rows in key order touches each row once instead of once
 * per column.  Record layout (host byte order, unaligned; private to the
 * process):
 *   u8  nullmask[(ncols + 7) / 8]    bit c set = column c is NULL
 *   fixed values: the 8-byte columns, then the 4-byte ones, then the 1-byte
 *                 ones (each group in column order; a NULL stores zeros)
 *   u32 len[nstr]                    lengths of the BYTES columns (0 if NULL)
 *   the bytes of the BYTES columns, concatenated in column order
 */
typedef struct rp_rec_layout {
    size_t ncols, nstr, maskbytes, hdr; /* hdr: bytes before the string bytes */
    uint8_t type[64];
    uint8_t width[64];                 /* value width (0 for BYTES) */
    uint16_t off[64];                  /* fixed: value offset; BYTES: offset of its u32 length */
    /* columns by group, for the copy loops */
    uint8_t n8, n4, n1, nb;
    uint8_t c8[64], c4[64], c1[64], cb[64];
} rp_rec_layout;

/* Layout for the columns of schema (at most 64 columns). */
sl_err rp_rec_layout_init(rp_rec_layout *L, const sl_batch *schema, char *err, size_t errlen);
/* Bytes the record of row i of b takes. */
size_t rp_rec_size(const rp_rec_layout *L, const sl_batch *b, size_t i);
/* Encode the rows rows[0..n) of b (or rows 0..n-1 when rows is NULL) as
 * consecutive records at dst; offs[k] receives base + the offset of record k
 * (offs may be NULL).  Returns the bytes written (dst must have room: the
 * sum of rp_rec_size). */
size_t rp_rec_encode(const rp_rec_layout *L, const sl_batch *b, const uint32_t *rows, size_t n, uint8_t *dst,
                     uint64_t base, uint64_t *offs);
/* Size of the record at p. */
size_t rp_rec_len(const rp_rec_layout *L, const uint8_t *p);
/* Raw spill payload size / encoding of the records recs[0..n), in order. */
size_t rp_rec_raw_size(const rp_rec_layout *L, const uint8_t *const *recs, size_t n);
void rp_rec_to_raw(const rp_rec_layout *L, const uint8_t *const *recs, size_t n, uint8_t *raw);
/* Append the records recs[0..n) to b (canonical-like batch with the layout's
 * columns); strings are copied into b's arena. */
sl_err rp_rec_to_batch(const rp_rec_layout *L, const uint8_t *const *recs, size_t n, sl_batch *b, char *err,
                       size_t errlen);

#endif
