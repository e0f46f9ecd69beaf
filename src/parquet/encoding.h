/* encoding.h: incremental value decoders for Parquet encodings.
 *
 * Every decoder works over one page's encoded bytes (caller-owned, must stay
 * alive while decoding) and hands out values n at a time, so a column reader
 * can fill a batch of any size from pages of any size.  Malformed data gives
 * -1 (or an sl_err) -- never a read outside [buf, buf+len), never a hang.
 *
 *  RLE/bit-packed hybrid : levels, dictionary indices, RLE booleans
 *  legacy BIT_PACKED     : old-style levels (MSB-first)
 *  DELTA_BINARY_PACKED   : INT32/INT64
 *  DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY : BYTE_ARRAY (and FLBA for DBA)
 *  BYTE_STREAM_SPLIT     : FLOAT/DOUBLE/INT32/INT64/FLBA
 *  PLAIN helpers         : byte arrays with 4-byte length prefix, bit-packed booleans
 */
#ifndef PQ_ENCODING_H
#define PQ_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "util/arena.h"
#include "util/err.h"

/* ---- bit unpacking (LSB-first, as in the RLE hybrid) ---------------------
 * Unpack n values of bw bits (0..32) from in into out.  in must hold at
 * least ceil(n*bw/8) bytes. */
void pq_unpack32(const uint8_t *in, uint32_t *out, size_t n, int bw);

/* ---- RLE / bit-packed hybrid ---------------------------------------------- */
typedef struct pq_rle {         /* private state */
    const uint8_t *p, *end;     /* next run header / end of data */
    int bit_width;              /* 0..32 */
    uint32_t rle_left;          /* values left in the current RLE run */
    uint32_t rle_value;
    uint64_t lit_left;          /* values of the bit-packed run not yet unpacked
                                   (only those fully present in the buffer) */
    const uint8_t *lit_p;       /* next unread group of 8 literal values (run ends at p) */
    uint32_t lit_buf[8];        /* partially consumed group */
    uint32_t lit_buf_pos, lit_buf_len;
    bool corrupt;
} pq_rle;

/* buf/len: the encoded runs (no 4-byte length prefix; callers strip it). */
void pq_rle_init(pq_rle *d, const uint8_t *buf, size_t len, int bit_width);
/* Decode up to n values into out. Returns the number decoded (< n only when
 * the data ends), or -1 when malformed (run header past end, bit width
 * overflow).  A truncated final bit-packed run yields the values present. */
int64_t pq_rle_decode(pq_rle *d, uint32_t *out, size_t n);

/* When the next values come from an RLE run, consume up to max of them
 * without materializing them: returns how many were taken and sets *value.
 * Returns 0 when the next values are bit-packed (use pq_rle_decode) or the
 * data has ended, -1 when malformed.  Lets level decoding skip whole runs. */
int64_t pq_rle_take_run(pq_rle *d, size_t max, uint32_t *value);

/* Legacy BIT_PACKED levels: n values of bw bits, MSB-first, no header.
 * Needs ceil(n*bw/8) bytes; returns n, or -1 when len is too small. */
int64_t pq_bitpacked_legacy_decode(const uint8_t *buf, size_t len, int bw, uint32_t *out, size_t n);

/* ---- DELTA_BINARY_PACKED ---------------------------------------------------- */
#define PQ_DELTA_MAX_MINIBLOCKS 256
typedef struct pq_delta {       /* private state */
    const uint8_t *start, *p, *end; /* p: next block header / miniblock */
    uint64_t block_size, n_miniblocks, mb_size; /* values per miniblock */
    uint64_t total, left;       /* total values in header, values not yet returned */
    uint64_t last;              /* last value returned (or first value), mod 2^64 */
    uint64_t min_delta;         /* of the current block, mod 2^64 */
    uint64_t mb_index;          /* current miniblock in block */
    uint64_t mb_pos, mb_left;   /* values consumed / left in the current miniblock */
    const uint8_t *mb_p;        /* packed data of the current miniblock */
    size_t mb_avail;            /* bytes of it present in the buffer */
    int mb_width;
    bool first_pending;         /* first value (in header) not yet returned */
    bool in_block;
    bool corrupt;
    uint8_t widths[PQ_DELTA_MAX_MINIBLOCKS];
} pq_delta;

sl_err pq_delta_init(pq_delta *d, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* Decode up to n values; returns count (< n only at end of values) or -1. */
int64_t pq_delta_decode_i64(pq_delta *d, int64_t *out, size_t n);
int64_t pq_delta_decode_i32(pq_delta *d, int32_t *out, size_t n); /* wraps to 32 bits */
/* Pointer just past the encoded stream.  Valid once all values have been
 * decoded (left == 0); used to find the data after DELTA lengths. */
const uint8_t *pq_delta_end(const pq_delta *d);

/* ---- DELTA_LENGTH_BYTE_ARRAY ------------------------------------------------ */
typedef struct pq_dlba {        /* private state */
    pq_delta lens;              /* streams the lengths (validated once at init) */
    uint64_t n, pos;
    const uint8_t *data, *end;  /* concatenated bytes */
} pq_dlba;

/* Validates every length up front (>= 0, total fits in the page) without
 * allocating, then streams them again while decoding. */
/* max_values: the page's value count; a stream that claims more is corrupt
 * (checked before the lengths are scanned). */
sl_err pq_dlba_init(pq_dlba *d, const uint8_t *buf, size_t len, uint64_t max_values, char *err, size_t errlen);
/* Views into the page bytes; returns count decoded or -1. */
int64_t pq_dlba_decode(pq_dlba *d, sl_str *out, size_t n);
void pq_dlba_free(pq_dlba *d); /* currently owns nothing; safe after a failed init */

/* ---- DELTA_BYTE_ARRAY ------------------------------------------------------- */
typedef struct pq_dba {         /* private state */
    pq_delta prefix;            /* streams the prefix lengths */
    uint64_t n, pos;
    pq_dlba suffix;
    char *last;                 /* malloc'd copy of the previous value */
    size_t last_len, last_cap;
} pq_dba;

sl_err pq_dba_init(pq_dba *d, const uint8_t *buf, size_t len, uint64_t max_values, char *err, size_t errlen);
/* Values are materialized into arena (prefix of previous + suffix); a value
 * that is a prefix of the one before it in the same call shares its bytes.
 * Values from earlier calls may be freed (arena reset) between calls.
 * pq_dba_free is safe after a failed init. */
int64_t pq_dba_decode(pq_dba *d, sl_str *out, size_t n, sl_arena *arena);
void pq_dba_free(pq_dba *d);

/* ---- BYTE_STREAM_SPLIT ----------------------------------------------------- */
/* src holds `total` values of `width` bytes split into width streams
 * (srclen must be >= total*width).  Writes values [start, start+n) into dst
 * as n*width contiguous little-endian bytes. Returns SL_ERR_CORRUPT if the
 * sizes do not fit. */
sl_err pq_bss_decode(const uint8_t *src, size_t srclen, size_t total, int width, size_t start, size_t n,
                     uint8_t *dst);

/* ---- PLAIN helpers ---------------------------------------------------------- */
/* Read up to n 4-byte-length-prefixed byte arrays from *p (advanced).
 * Views point into the page. Returns count decoded or -1 when a length runs
 * past end. */
int64_t pq_plain_bytes_decode(const uint8_t **p, const uint8_t *end, sl_str *out, size_t n);
/* Unpack n bit-packed booleans (LSB-first) starting at bit `bit_off` of in. */
void pq_unpack_bools(const uint8_t *in, size_t bit_off, uint8_t *out, size_t n);

#endif
