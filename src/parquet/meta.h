/* meta.h: Parquet file metadata (footer) and page headers, decoded from the
 * Thrift compact protocol (parquet.thrift field ids).
 *
 * Ownership: pq_meta_parse() returns a pq_meta that owns every string and
 * array reachable from it (one arena); pq_meta_free() releases it all.
 * Page headers are parsed into a caller-owned pq_page_header whose byte
 * fields (statistics) point into the input buffer.
 */
#ifndef PQ_META_H
#define PQ_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/err.h"

/* parquet.thrift enums (values are the wire values) */
typedef enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3, PQ_FLOAT = 4, PQ_DOUBLE = 5,
               PQ_BYTE_ARRAY = 6, PQ_FIXED_LEN_BYTE_ARRAY = 7 } pq_type;
typedef enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 } pq_repetition;
typedef enum { PQ_ENC_PLAIN = 0, PQ_ENC_PLAIN_DICTIONARY = 2, PQ_ENC_RLE = 3, PQ_ENC_BIT_PACKED = 4,
               PQ_ENC_DELTA_BINARY_PACKED = 5, PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
               PQ_ENC_DELTA_BYTE_ARRAY = 7, PQ_ENC_RLE_DICTIONARY = 8, PQ_ENC_BYTE_STREAM_SPLIT = 9 } pq_encoding;
typedef enum { PQ_CODEC_UNCOMPRESSED = 0, PQ_CODEC_SNAPPY = 1, PQ_CODEC_GZIP = 2, PQ_CODEC_LZO = 3,
               PQ_CODEC_BROTLI = 4, PQ_CODEC_LZ4 = 5, PQ_CODEC_ZSTD = 6, PQ_CODEC_LZ4_RAW = 7 } pq_codec;
typedef enum { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICTIONARY = 2, PQ_PAGE_DATA_V2 = 3 } pq_page_type;
/* ConvertedType; PQ_CT_NONE (-1) when absent */
typedef enum { PQ_CT_NONE = -1, PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2, PQ_CT_LIST = 3,
               PQ_CT_ENUM = 4, PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6, PQ_CT_TIME_MILLIS = 7,
               PQ_CT_TIME_MICROS = 8, PQ_CT_TIMESTAMP_MILLIS = 9, PQ_CT_TIMESTAMP_MICROS = 10,
               PQ_CT_UINT_8 = 11, PQ_CT_UINT_16 = 12, PQ_CT_UINT_32 = 13, PQ_CT_UINT_64 = 14,
               PQ_CT_INT_8 = 15, PQ_CT_INT_16 = 16, PQ_CT_INT_32 = 17, PQ_CT_INT_64 = 18,
               PQ_CT_JSON = 19, PQ_CT_BSON = 20, PQ_CT_INTERVAL = 21 } pq_converted;
/* LogicalType union member (field id of the union); PQ_LT_NONE when absent */
typedef enum { PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4,
               PQ_LT_DECIMAL = 5, PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8,
               PQ_LT_INTEGER = 10, PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12, PQ_LT_BSON = 13,
               PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15 } pq_logical_kind;
typedef enum { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 } pq_time_unit;

typedef struct pq_logical {
    pq_logical_kind kind;
    int32_t scale, precision;   /* DECIMAL */
    bool utc;                   /* TIME, TIMESTAMP: isAdjustedToUTC */
    pq_time_unit unit;          /* TIME, TIMESTAMP */
    int8_t bit_width;           /* INTEGER */
    bool is_signed;             /* INTEGER */
} pq_logical;

/* Bytes that point into pq_meta's arena (or into the page-header input). */
typedef struct pq_bytes {
    const uint8_t *ptr;
    uint32_t len;
} pq_bytes;

typedef struct pq_stats {
    bool has_min, has_max, has_null_count, has_distinct_count;
    pq_bytes min, max;          /* min_value/max_value (field 6/5); else legacy min/max (2/1) */
    bool legacy_minmax;         /* true when min/max came from the deprecated fields 1/2 */
    int64_t null_count, distinct_count;
} pq_stats;

typedef struct pq_schema_elem {
    const char *name;
    bool has_type;              /* leaf nodes have a type; groups do not */
    pq_type type;
    int32_t type_length;        /* FIXED_LEN_BYTE_ARRAY */
    bool has_repetition;
    pq_repetition repetition;
    int32_t num_children;       /* 0 for leaves */
    pq_converted converted;     /* PQ_CT_NONE when absent */
    int32_t scale, precision;   /* converted DECIMAL */
    bool has_field_id;
    int32_t field_id;
    pq_logical logical;         /* kind PQ_LT_NONE when absent */
    bool has_type_length, has_scale, has_precision; /* fields 2, 7, 8 present */
} pq_schema_elem;

typedef struct pq_kv {
    const char *key;
    const char *value;          /* NULL when absent */
} pq_kv;

typedef struct pq_column_meta {
    pq_type type;
    pq_encoding *encodings;
    uint32_t n_encodings;
    const char **path;          /* path_in_schema */
    uint32_t n_path;
    pq_codec codec;
    int64_t num_values;
    int64_t total_uncompressed_size, total_compressed_size;
    int64_t data_page_offset;
    bool has_index_page_offset;
    int64_t index_page_offset;
    bool has_dictionary_page_offset;
    int64_t dictionary_page_offset;
    bool has_stats;
    pq_stats stats;
} pq_column_meta;

typedef struct pq_column_chunk {
    const char *file_path;      /* NULL when the data is in this file */
    int64_t file_offset;
    bool has_meta;
    pq_column_meta meta;
    bool encrypted;             /* crypto_metadata or encrypted_column_metadata present */
} pq_column_chunk;

typedef struct pq_row_group {
    pq_column_chunk *columns;
    uint32_t n_columns;
    int64_t total_byte_size;
    int64_t num_rows;
    bool has_file_offset;
    int64_t file_offset;
    bool has_total_compressed_size;
    int64_t total_compressed_size;
    bool has_ordinal;
    int16_t ordinal;
} pq_row_group;

typedef struct pq_meta {
    int32_t version;
    pq_schema_elem *schema;     /* depth-first flattened tree, schema[0] = root */
    uint32_t n_schema;
    int64_t num_rows;
    pq_row_group *row_groups;
    uint32_t n_row_groups;
    pq_kv *kv;
    uint32_t n_kv;
    const char *created_by;     /* NULL when absent */
    bool encrypted;             /* encryption_algorithm present */
    sl_arena arena;             /* owns everything above */
} pq_meta;

typedef struct pq_data_page_header {
    int32_t num_values;
    pq_encoding encoding;
    pq_encoding def_encoding, rep_encoding;
    bool has_stats;
    pq_stats stats;
} pq_data_page_header;

typedef struct pq_dict_page_header {
    int32_t num_values;
    pq_encoding encoding;
    bool is_sorted;
} pq_dict_page_header;

typedef struct pq_data_page_header_v2 {
    int32_t num_values, num_nulls, num_rows;
    pq_encoding encoding;
    int32_t def_levels_byte_length, rep_levels_byte_length;
    bool is_compressed;         /* default true when absent */
    bool has_stats;
    pq_stats stats;
} pq_data_page_header_v2;

typedef struct pq_page_header {
    pq_page_type type;
    int32_t uncompressed_page_size;
    int32_t compressed_page_size;
    bool has_crc;
    uint32_t crc;
    bool has_data, has_dict, has_data_v2;
    pq_data_page_header data;
    pq_dict_page_header dict;
    pq_data_page_header_v2 data_v2;
} pq_page_header;

/* Parse FileMetaData from the footer bytes (without the trailing length and
 * magic).  On success *out owns everything. Errors: SL_ERR_CORRUPT with a
 * message naming the struct/field where decoding failed, SL_ERR_NOMEM. */
sl_err pq_meta_parse(pq_meta **out, const uint8_t *buf, size_t len, char *err, size_t errlen);
void pq_meta_free(pq_meta *m);

/* Parse one PageHeader at buf.  *consumed receives the header's size.
 * Returns SL_ERR_CORRUPT when the bytes are malformed, and the special code
 * PQ_TRUNCATED (>0) when buf ended before the header did, so the caller can
 * retry with more bytes.  Statistics bytes point into buf. */
#define PQ_TRUNCATED 1
int pq_page_header_parse(pq_page_header *h, const uint8_t *buf, size_t len, size_t *consumed,
                         char *err, size_t errlen);

/* Names for display ("INT64", "ZSTD", "RLE_DICTIONARY", ...). */
const char *pq_type_name(pq_type t);
const char *pq_encoding_name(pq_encoding e);
const char *pq_codec_name(pq_codec c);
const char *pq_converted_name(pq_converted c);
const char *pq_repetition_name(pq_repetition r);
const char *pq_page_type_name(pq_page_type t);

#endif
