/* batch.h: the columnar batch, sluice's in-memory format from reader to sinks.
 *
 * A batch holds nrows rows of ncols typed column vectors.
 *  - Fixed-width values live in one contiguous array per column (data).
 *  - Validity is a bitmap (bit i set = row i is non-NULL); valid == NULL means
 *    "no NULLs in this batch".  The value slot of a NULL row is zeroed.
 *  - BOOL is one byte per value (0/1), for branch-free vector loops.
 *  - BYTES (strings, binary, fixed-length binary) are sl_str views
 *    {ptr,len}; the bytes they point at are owned by the batch: either copied
 *    into the batch arena or held alive by a blob the batch retains.
 *  - The logical annotation (timestamp unit, decimal scale, ...) travels with
 *    the column so sinks can format values without the file's schema.
 * Ownership: sl_batch_free() releases everything a batch holds.  Columns are
 * set up once by sl_batch_add_col() and reused across sl_batch_reset().
 */
#ifndef SL_BATCH_H
#define SL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

typedef enum sl_type {
    SL_BOOL = 0, /* uint8_t 0/1 */
    SL_I32,      /* int32_t */
    SL_I64,      /* int64_t */
    SL_F32,      /* float */
    SL_F64,      /* double */
    SL_BYTES     /* sl_str */
} sl_type;

typedef enum sl_logical {
    SL_LOG_NONE = 0,
    SL_LOG_STRING,    /* BYTES holding UTF-8 */
    SL_LOG_JSON,      /* BYTES holding JSON text */
    SL_LOG_ENUM,      /* BYTES holding a name */
    SL_LOG_UUID,      /* BYTES of 16 */
    SL_LOG_TIMESTAMP, /* I64 since epoch in unit; utc flag */
    SL_LOG_DATE,      /* I32 days since epoch */
    SL_LOG_TIME,      /* I32 (millis) or I64 (micros/nanos) since midnight */
    SL_LOG_DECIMAL,   /* I32/I64/BYTES(big-endian two's complement) unscaled */
    SL_LOG_INT,       /* I32/I64 with bit width/signedness (unsigned reinterprets) */
    SL_LOG_FLOAT16,   /* BYTES of 2, IEEE half little-endian */
    SL_LOG_INTERVAL   /* BYTES of 12: months, days, millis (uint32 LE each) */
} sl_logical;

typedef enum sl_time_unit { SL_UNIT_MILLIS = 0, SL_UNIT_MICROS, SL_UNIT_NANOS } sl_time_unit;

typedef struct sl_str {
    const char *ptr;
    uint32_t len;
} sl_str;

typedef struct sl_coltype {
    sl_type type;
    sl_logical logical;
    sl_time_unit unit; /* TIMESTAMP, TIME */
    bool utc;          /* TIMESTAMP, TIME: isAdjustedToUTC */
    int32_t precision, scale; /* DECIMAL */
    int32_t bit_width;        /* INT: 8,16,32,64 */
    bool is_signed;           /* INT */
    int32_t fixed_len;        /* BYTES from FIXED_LEN_BYTE_ARRAY, else 0 */
} sl_coltype;

/* Refcounted immutable byte block that batches may retain instead of copying
 * (decompressed pages, dictionaries). */
typedef struct sl_blob {
    long refs;
    size_t size;     /* bytes requested */
    size_t cap;      /* bytes allocated (size class) */
    uint8_t data[];
} sl_blob;

/* refs = 1; NULL on OOM.  Blobs of 64 KiB to 4 MiB come from a small
 * per-thread pool of recently released blocks (by power-of-two class), so
 * streaming page after page does not fault fresh memory in each time. */
sl_blob *sl_blob_new(size_t size);
sl_blob *sl_blob_ref(sl_blob *b);
void sl_blob_unref(sl_blob *b);
/* Free the calling thread's pooled blocks (e.g. before a thread exits). */
void sl_blob_pool_drain(void);

typedef struct sl_col {
    char *name;        /* owned */
    sl_coltype t;
    bool nullable;
    void *data;        /* cap values of the column's type */
    uint8_t *valid;    /* bitmap of cap bits, NULL when no NULL in this batch */
    size_t null_count;
} sl_col;

typedef struct sl_batch {
    size_t nrows, cap;
    size_t ncols;
    sl_col *cols;
    sl_arena arena;    /* bytes of BYTES values */
    sl_blob **blobs;   /* retained blobs */
    size_t nblobs, blobcap;
} sl_batch;

void sl_batch_init(sl_batch *b);
void sl_batch_free(sl_batch *b);
/* Add a column (before the first row). Returns the column index or <0. */
sl_err sl_batch_add_col(sl_batch *b, const char *name, const sl_coltype *t, bool nullable,
                        char *err, size_t errlen);
/* Make room for cap rows in every column (keeps contents up to nrows). */
sl_err sl_batch_reserve(sl_batch *b, size_t cap, char *err, size_t errlen);
/* Drop rows, release retained blobs, reset the arena. Columns stay. */
void sl_batch_reset(sl_batch *b);
/* Keep blob alive as long as the batch's current rows. */
sl_err sl_batch_retain(sl_batch *b, sl_blob *blob);
/* Allocate (or return existing) validity bitmap for column c, all-valid for
 * the first nrows rows. */
uint8_t *sl_col_valid_alloc(sl_batch *b, size_t c);

size_t sl_type_width(sl_type t);

/* Append rows idx[0..n) of the first ncols columns of src to dst (gather.c).
 * An empty dst (no columns) takes src's column names, types and nullability;
 * otherwise its columns must have the same types.  Strings are copied into
 * dst's arena, so dst does not depend on src afterwards.  On error dst keeps
 * its earlier rows (the partial rows are not counted). */
sl_err sl_batch_append_rows(sl_batch *dst, const sl_batch *src, size_t ncols, const uint32_t *idx, size_t n, char *err,
                            size_t errlen);

static inline bool sl_bit_get(const uint8_t *bm, size_t i) { return (bm[i >> 3] >> (i & 7)) & 1; }
static inline void sl_bit_set(uint8_t *bm, size_t i) { bm[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline void sl_bit_clear(uint8_t *bm, size_t i) { bm[i >> 3] &= (uint8_t)~(1u << (i & 7)); }
static inline bool sl_col_is_null(const sl_col *c, size_t i) { return c->valid && !sl_bit_get(c->valid, i); }

#endif
