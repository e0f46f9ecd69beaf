/* meta.c: decode Parquet FileMetaData and PageHeader (Thrift compact). */
#include "parquet/meta.h"

#include <stdlib.h>
#include <string.h>

#include "parquet/thrift.h"

#define TRY(x)                   \
    do {                         \
        sl_err e_ = (x);         \
        if (e_ != SL_OK) return e_; \
    } while (0)

/* ---- field readers: check the wire type, set the field name, range check ---- */

static sl_err nomem(pq_thrift *t) { return pq_thrift_fail(t, SL_ERR_NOMEM, "out of memory"); }

static sl_err mismatch(pq_thrift *t, int type, const char *expected) {
    return pq_thrift_fail(t, SL_ERR_CORRUPT, "expected %s, got %s (offset %zu)", expected,
                          pq_thrift_type_name(type), t->pos);
}

static bool is_int_type(int type) {
    return type == PQ_THRIFT_BYTE || type == PQ_THRIFT_I16 || type == PQ_THRIFT_I32 || type == PQ_THRIFT_I64;
}

static sl_err rd_i64(pq_thrift *t, int type, const char *name, int64_t lo, int64_t *out) {
    pq_thrift_field_name(t, name);
    if (!is_int_type(type)) return mismatch(t, type, "an integer");
    size_t start = t->pos;
    int64_t v = 0;
    TRY(pq_thrift_read_int(t, type, &v));
    if (v < lo)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid value %lld (offset %zu)", (long long)v, start);
    *out = v;
    return SL_OK;
}

static sl_err rd_i32(pq_thrift *t, int type, const char *name, int32_t lo, int32_t *out) {
    pq_thrift_field_name(t, name);
    if (!is_int_type(type)) return mismatch(t, type, "an integer");
    size_t start = t->pos;
    int64_t v = 0;
    TRY(pq_thrift_read_int(t, type, &v));
    if (v < lo || v > INT32_MAX)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid value %lld (offset %zu)", (long long)v, start);
    *out = (int32_t)v;
    return SL_OK;
}

/* Enums: non-negative i32; stored raw so callers can report unknown values. */
static sl_err rd_enum(pq_thrift *t, int type, const char *name, int32_t *out) {
    return rd_i32(t, type, name, 0, out);
}

static sl_err rd_bool(pq_thrift *t, int type, const char *name, bool *out) {
    pq_thrift_field_name(t, name);
    if (type != PQ_THRIFT_TRUE && type != PQ_THRIFT_FALSE) return mismatch(t, type, "bool");
    *out = type == PQ_THRIFT_TRUE;
    return SL_OK;
}

/* Binary; copied into the arena when a != NULL, else points into the input. */
static sl_err rd_bytes(pq_thrift *t, int type, const char *name, sl_arena *a, pq_bytes *out) {
    pq_thrift_field_name(t, name);
    if (type != PQ_THRIFT_BINARY) return mismatch(t, type, "binary");
    const uint8_t *p = NULL;
    uint32_t n = 0;
    TRY(pq_thrift_read_binary(t, &p, &n));
    if (a) {
        p = sl_arena_dup(a, p, n);
        if (!p) return nomem(t);
    }
    out->ptr = p;
    out->len = n;
    return SL_OK;
}

static sl_err copy_str(pq_thrift *t, sl_arena *a, const uint8_t *p, uint32_t n, const char **out) {
    char *s = sl_arena_alloc(a, (size_t)n + 1);
    if (!s) return nomem(t);
    memcpy(s, p, n);
    s[n] = '\0';
    *out = s;
    return SL_OK;
}

static sl_err rd_str(pq_thrift *t, int type, const char *name, sl_arena *a, const char **out) {
    pq_thrift_field_name(t, name);
    if (type != PQ_THRIFT_BINARY) return mismatch(t, type, "string");
    const uint8_t *p = NULL;
    uint32_t n = 0;
    TRY(pq_thrift_read_binary(t, &p, &n));
    return copy_str(t, a, p, n, out);
}

/* List header of a field; want == PQ_THRIFT_I32 accepts integers of any
 * width (the element type is returned in *et). */
static sl_err rd_list_et(pq_thrift *t, int type, const char *name, int want, uint32_t *n, int *et_out) {
    pq_thrift_field_name(t, name);
    if (type != PQ_THRIFT_LIST && type != PQ_THRIFT_SET) return mismatch(t, type, "list");
    int et = 0;
    TRY(pq_thrift_read_list(t, &et, n));
    *et_out = et;
    bool ok = want == PQ_THRIFT_I32 ? is_int_type(et) : et == want;
    if (!ok)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "expected list<%s>, got list<%s> (offset %zu)",
                              pq_thrift_type_name(want), pq_thrift_type_name(et), t->pos);
    return SL_OK;
}

static sl_err rd_list(pq_thrift *t, int type, const char *name, int want, uint32_t *n) {
    int et = 0;
    return rd_list_et(t, type, name, want, n, &et);
}

static sl_err want_struct(pq_thrift *t, int type, const char *name) {
    pq_thrift_field_name(t, name);
    if (type != PQ_THRIFT_STRUCT) return mismatch(t, type, "struct");
    return SL_OK;
}

static sl_err missing(pq_thrift *t, int id, const char *name) {
    return pq_thrift_fail(t, SL_ERR_CORRUPT, "required field %d (%s) is missing", id, name);
}

/* Arena array growing geometrically up to the declared list size, so a
 * bogus large size costs at most twice what the elements actually decoded. */
static void *grow(sl_arena *a, void *arr, uint32_t *cap, uint32_t used, uint32_t total, size_t elsz) {
    if (used < *cap) return arr;
    uint64_t nc = *cap ? (uint64_t)*cap * 2 : 8;
    if (nc > total) nc = total;
    char *p = sl_arena_alloc(a, (size_t)nc * elsz);
    if (!p) return NULL;
    if (used) memcpy(p, arr, (size_t)used * elsz);
    memset(p + (size_t)used * elsz, 0, (size_t)(nc - used) * elsz);
    *cap = (uint32_t)nc;
    return p;
}

/* ---- Statistics ---- */

static sl_err dec_stats(pq_thrift *t, sl_arena *a, pq_stats *s) {
    pq_bytes lmin = {0}, lmax = {0}, vmin = {0}, vmax = {0};
    bool has_lmin = false, has_lmax = false, has_vmin = false, has_vmax = false;
    memset(s, 0, sizeof *s);
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_bytes(t, type, "max", a, &lmax)); has_lmax = true; break;
        case 2: TRY(rd_bytes(t, type, "min", a, &lmin)); has_lmin = true; break;
        case 3: {
            int64_t v = 0;
            TRY(rd_i64(t, type, "null_count", INT64_MIN, &v));
            s->has_null_count = v >= 0; /* a negative count is meaningless: ignore it */
            s->null_count = v >= 0 ? v : 0;
            break;
        }
        case 4: {
            int64_t v = 0;
            TRY(rd_i64(t, type, "distinct_count", INT64_MIN, &v));
            s->has_distinct_count = v >= 0;
            s->distinct_count = v >= 0 ? v : 0;
            break;
        }
        case 5: TRY(rd_bytes(t, type, "max_value", a, &vmax)); has_vmax = true; break;
        case 6: TRY(rd_bytes(t, type, "min_value", a, &vmin)); has_vmin = true; break;
        default: TRY(pq_thrift_skip_field(t, type));
        }
    }
    /* Never mix the two generations: legacy min/max used signed byte order. */
    if (has_vmin || has_vmax) {
        s->has_min = has_vmin;
        s->min = vmin;
        s->has_max = has_vmax;
        s->max = vmax;
    } else if (has_lmin || has_lmax) {
        s->has_min = has_lmin;
        s->min = lmin;
        s->has_max = has_lmax;
        s->max = lmax;
        s->legacy_minmax = true;
    }
    return SL_OK;
}

/* Decode a nested Statistics struct field into *s. */
static sl_err stats_field(pq_thrift *t, int type, sl_arena *a, pq_stats *s) {
    TRY(want_struct(t, type, "statistics"));
    TRY(pq_thrift_struct_begin(t, "statistics", -1));
    TRY(dec_stats(t, a, s));
    pq_thrift_struct_end(t);
    return SL_OK;
}

/* ---- KeyValue ---- */

static sl_err dec_kv(pq_thrift *t, sl_arena *a, pq_kv *kv) {
    bool has_key = false;
    kv->key = NULL;
    kv->value = NULL;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_str(t, type, "key", a, &kv->key)); has_key = true; break;
        case 2: TRY(rd_str(t, type, "value", a, &kv->value)); break;
        default: TRY(pq_thrift_skip_field(t, type));
        }
    }
    if (!has_key) return missing(t, 1, "key");
    return SL_OK;
}

/* Decode a list<struct> into an arena array, growing it as elements decode
 * (so a bogus huge count costs at most about what actually decodes). */
typedef sl_err (*dec_elem_fn)(pq_thrift *t, sl_arena *a, void *elem, uint32_t index);

static sl_err struct_list(pq_thrift *t, int type, const char *name, sl_arena *a, size_t elsz, dec_elem_fn dec,
                          void **out, uint32_t *nout) {
    uint32_t n = 0, cap = 0;
    TRY(rd_list(t, type, name, PQ_THRIFT_STRUCT, &n));
    char *arr = NULL;
    for (uint32_t i = 0; i < n; i++) {
        void *np = grow(a, arr, &cap, i, n, elsz);
        if (!np) return nomem(t);
        arr = np;
        TRY(pq_thrift_struct_begin(t, name, i));
        TRY(dec(t, a, arr + (size_t)i * elsz, i));
        pq_thrift_struct_end(t);
    }
    *out = arr;
    *nout = n;
    return SL_OK;
}

static sl_err dec_kv_elem(pq_thrift *t, sl_arena *a, void *e, uint32_t i) {
    (void)i;
    return dec_kv(t, a, e);
}

static sl_err kv_list(pq_thrift *t, int type, const char *name, sl_arena *a, pq_kv **out, uint32_t *nout) {
    void *arr = NULL;
    TRY(struct_list(t, type, name, a, sizeof(pq_kv), dec_kv_elem, &arr, nout));
    *out = arr;
    return SL_OK;
}

/* ---- LogicalType ---- */

static const char *logical_member_name(int id) {
    switch (id) {
    case PQ_LT_STRING: return "STRING";
    case PQ_LT_MAP: return "MAP";
    case PQ_LT_LIST: return "LIST";
    case PQ_LT_ENUM: return "ENUM";
    case PQ_LT_DECIMAL: return "DECIMAL";
    case PQ_LT_DATE: return "DATE";
    case PQ_LT_TIME: return "TIME";
    case PQ_LT_TIMESTAMP: return "TIMESTAMP";
    case PQ_LT_INTEGER: return "INTEGER";
    case PQ_LT_UNKNOWN: return "UNKNOWN";
    case PQ_LT_JSON: return "JSON";
    case PQ_LT_BSON: return "BSON";
    case PQ_LT_UUID: return "UUID";
    case PQ_LT_FLOAT16: return "FLOAT16";
    }
    return NULL;
}

static sl_err dec_time_unit(pq_thrift *t, pq_time_unit *unit) {
    int found = 0;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        if (id >= 1 && id <= 3) {
            static const char *const names[] = {"MILLIS", "MICROS", "NANOS"};
            TRY(want_struct(t, type, names[id - 1]));
            found = id;
        }
        TRY(pq_thrift_skip_field(t, type));
    }
    if (!found) return pq_thrift_fail(t, SL_ERR_CORRUPT, "TimeUnit has no known member");
    *unit = (pq_time_unit)found;
    return SL_OK;
}

/* Body of one LogicalType member struct (DECIMAL, TIME, ...). */
static sl_err dec_logical_member(pq_thrift *t, pq_logical *lg) {
    bool has1 = false, has2 = false;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (lg->kind) {
        case PQ_LT_DECIMAL:
            if (id == 1) { TRY(rd_i32(t, type, "scale", INT32_MIN, &lg->scale)); has1 = true; continue; }
            if (id == 2) { TRY(rd_i32(t, type, "precision", INT32_MIN, &lg->precision)); has2 = true; continue; }
            break;
        case PQ_LT_TIME:
        case PQ_LT_TIMESTAMP:
            if (id == 1) { TRY(rd_bool(t, type, "isAdjustedToUTC", &lg->utc)); has1 = true; continue; }
            if (id == 2) {
                TRY(want_struct(t, type, "unit"));
                TRY(pq_thrift_struct_begin(t, "unit", -1));
                TRY(dec_time_unit(t, &lg->unit));
                pq_thrift_struct_end(t);
                has2 = true;
                continue;
            }
            break;
        case PQ_LT_INTEGER:
            if (id == 1) {
                int32_t bw = 0;
                size_t start = t->pos;
                TRY(rd_i32(t, type, "bitWidth", INT32_MIN, &bw));
                if (bw != 8 && bw != 16 && bw != 32 && bw != 64)
                    return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid bit width %d (offset %zu)", (int)bw,
                                          start);
                lg->bit_width = (int8_t)bw;
                has1 = true;
                continue;
            }
            if (id == 2) { TRY(rd_bool(t, type, "isSigned", &lg->is_signed)); has2 = true; continue; }
            break;
        default: break;
        }
        TRY(pq_thrift_skip_field(t, type));
    }
    switch (lg->kind) {
    case PQ_LT_DECIMAL:
        if (!has1) return missing(t, 1, "scale");
        if (!has2) return missing(t, 2, "precision");
        break;
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        if (!has1) return missing(t, 1, "isAdjustedToUTC");
        if (!has2) return missing(t, 2, "unit");
        break;
    case PQ_LT_INTEGER:
        if (!has1) return missing(t, 1, "bitWidth");
        if (!has2) return missing(t, 2, "isSigned");
        break;
    default: break;
    }
    return SL_OK;
}

static sl_err dec_logical(pq_thrift *t, pq_logical *lg) {
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        const char *mname = logical_member_name(id);
        if (!mname) { /* a logical type newer than this reader: leave kind as is */
            TRY(pq_thrift_skip_field(t, type));
            continue;
        }
        TRY(want_struct(t, type, mname));
        memset(lg, 0, sizeof *lg);
        lg->kind = (pq_logical_kind)id;
        TRY(pq_thrift_struct_begin(t, mname, -1));
        TRY(dec_logical_member(t, lg));
        pq_thrift_struct_end(t);
    }
    return SL_OK;
}

/* ---- SchemaElement ---- */

static sl_err dec_schema_elem(pq_thrift *t, sl_arena *a, pq_schema_elem *se, bool is_root) {
    bool has_name = false, has_children = false;
    memset(se, 0, sizeof *se);
    se->converted = PQ_CT_NONE;
    se->logical.kind = PQ_LT_NONE;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        int32_t v = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: {
            size_t start = t->pos;
            TRY(rd_enum(t, type, "type", &v));
            if (v > PQ_FIXED_LEN_BYTE_ARRAY)
                return pq_thrift_fail(t, SL_ERR_CORRUPT, "unknown physical type %d (offset %zu)", (int)v, start);
            se->type = (pq_type)v;
            se->has_type = true;
            break;
        }
        case 2: TRY(rd_i32(t, type, "type_length", 0, &se->type_length)); se->has_type_length = true; break;
        case 3: {
            size_t start = t->pos;
            TRY(rd_enum(t, type, "repetition_type", &v));
            if (v > PQ_REPEATED)
                return pq_thrift_fail(t, SL_ERR_CORRUPT, "unknown repetition type %d (offset %zu)", (int)v,
                                      start);
            se->repetition = (pq_repetition)v;
            se->has_repetition = true;
            break;
        }
        case 4: TRY(rd_str(t, type, "name", a, &se->name)); has_name = true; break;
        case 5: TRY(rd_i32(t, type, "num_children", 0, &se->num_children)); has_children = true; break;
        case 6: TRY(rd_enum(t, type, "converted_type", &v)); se->converted = (pq_converted)v; break;
        case 7: TRY(rd_i32(t, type, "scale", INT32_MIN, &se->scale)); se->has_scale = true; break;
        case 8: TRY(rd_i32(t, type, "precision", INT32_MIN, &se->precision)); se->has_precision = true; break;
        case 9: TRY(rd_i32(t, type, "field_id", INT32_MIN, &se->field_id)); se->has_field_id = true; break;
        case 10:
            TRY(want_struct(t, type, "logicalType"));
            TRY(pq_thrift_struct_begin(t, "logicalType", -1));
            TRY(dec_logical(t, &se->logical));
            pq_thrift_struct_end(t);
            break;
        default: TRY(pq_thrift_skip_field(t, type));
        }
    }
    if (!has_name) return missing(t, 4, "name");
    if (!is_root && !has_children && !se->has_type)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "element \"%s\" has neither a type nor children", se->name);
    return SL_OK;
}

static sl_err dec_schema_elem_elem(pq_thrift *t, sl_arena *a, void *e, uint32_t i) { return dec_schema_elem(t, a, e, i == 0); }

/* The flattened schema must be exactly one depth-first tree. */
static sl_err check_schema_tree(pq_thrift *t, const pq_meta *m) {
    if (m->n_schema == 0) return pq_thrift_fail(t, SL_ERR_CORRUPT, "schema is empty");
    int64_t pending = 1; /* nodes still expected */
    for (uint32_t i = 0; i < m->n_schema; i++) {
        if (pending == 0)
            return pq_thrift_fail(t, SL_ERR_CORRUPT,
                                  "schema has %u elements but the tree under the root ends after %u",
                                  m->n_schema, i);
        pending += (int64_t)m->schema[i].num_children - 1;
    }
    if (pending != 0)
        return pq_thrift_fail(t, SL_ERR_CORRUPT,
                              "schema num_children values need %lld more elements than the %u present",
                              (long long)pending, m->n_schema);
    return SL_OK;
}

/* ---- ColumnMetaData / ColumnChunk / RowGroup ---- */

static sl_err dec_column_meta(pq_thrift *t, sl_arena *a, pq_column_meta *cm) {
    bool has_type = false, has_path = false, has_codec = false, has_nv = false, has_dpo = false,
         has_tcs = false, has_tus = false;
    memset(cm, 0, sizeof *cm);
    for (;;) {
        int type = 0;
        int16_t id = 0;
        int32_t v = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: {
            size_t start = t->pos;
            TRY(rd_enum(t, type, "type", &v));
            if (v > PQ_FIXED_LEN_BYTE_ARRAY)
                return pq_thrift_fail(t, SL_ERR_CORRUPT, "unknown physical type %d (offset %zu)", (int)v, start);
            cm->type = (pq_type)v;
            has_type = true;
            break;
        }
        case 2: {
            uint32_t n = 0;
            int et = 0;
            TRY(rd_list_et(t, type, "encodings", PQ_THRIFT_I32, &n, &et));
            pq_encoding *enc = n ? sl_arena_alloc(a, (size_t)n * sizeof *enc) : NULL;
            if (n && !enc) return nomem(t);
            for (uint32_t i = 0; i < n; i++) {
                TRY(rd_enum(t, et, "encodings", &v));
                enc[i] = (pq_encoding)v;
            }
            cm->encodings = enc;
            cm->n_encodings = n;
            break;
        }
        case 3: {
            uint32_t n = 0;
            TRY(rd_list(t, type, "path_in_schema", PQ_THRIFT_BINARY, &n));
            const char **path = n ? sl_arena_alloc(a, (size_t)n * sizeof *path) : NULL;
            if (n && !path) return nomem(t);
            for (uint32_t i = 0; i < n; i++) TRY(rd_str(t, PQ_THRIFT_BINARY, "path_in_schema", a, &path[i]));
            cm->path = path;
            cm->n_path = n;
            has_path = true;
            break;
        }
        case 4: TRY(rd_enum(t, type, "codec", &v)); cm->codec = (pq_codec)v; has_codec = true; break;
        case 5: TRY(rd_i64(t, type, "num_values", 0, &cm->num_values)); has_nv = true; break;
        case 6: TRY(rd_i64(t, type, "total_uncompressed_size", 0, &cm->total_uncompressed_size)); has_tus = true; break;
        case 7: TRY(rd_i64(t, type, "total_compressed_size", 0, &cm->total_compressed_size)); has_tcs = true; break;
        case 9: TRY(rd_i64(t, type, "data_page_offset", 0, &cm->data_page_offset)); has_dpo = true; break;
        case 10:
            TRY(rd_i64(t, type, "index_page_offset", 0, &cm->index_page_offset));
            cm->has_index_page_offset = true;
            break;
        case 11:
            TRY(rd_i64(t, type, "dictionary_page_offset", 0, &cm->dictionary_page_offset));
            cm->has_dictionary_page_offset = true;
            break;
        case 12: TRY(stats_field(t, type, a, &cm->stats)); cm->has_stats = true; break;
        default: TRY(pq_thrift_skip_field(t, type)); /* 8 key_value_metadata, 13 encoding_stats, ... */
        }
    }
    if (!has_type) return missing(t, 1, "type");
    if (!has_path) return missing(t, 3, "path_in_schema");
    if (!has_codec) return missing(t, 4, "codec");
    if (!has_nv) return missing(t, 5, "num_values");
    if (!has_tus) return missing(t, 6, "total_uncompressed_size");
    if (!has_tcs) return missing(t, 7, "total_compressed_size");
    if (!has_dpo) return missing(t, 9, "data_page_offset");
    return SL_OK;
}

static sl_err dec_column_chunk(pq_thrift *t, sl_arena *a, pq_column_chunk *cc) {
    memset(cc, 0, sizeof *cc);
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_str(t, type, "file_path", a, &cc->file_path)); break;
        case 2: TRY(rd_i64(t, type, "file_offset", INT64_MIN, &cc->file_offset)); break;
        case 3:
            TRY(want_struct(t, type, "meta_data"));
            TRY(pq_thrift_struct_begin(t, "meta_data", -1));
            TRY(dec_column_meta(t, a, &cc->meta));
            pq_thrift_struct_end(t);
            cc->has_meta = true;
            break;
        case 8:
        case 9:
            pq_thrift_field_name(t, id == 8 ? "crypto_metadata" : "encrypted_column_metadata");
            TRY(pq_thrift_skip_field(t, type));
            cc->encrypted = true;
            break;
        default: TRY(pq_thrift_skip_field(t, type));
        }
    }
    if (!cc->has_meta && !cc->encrypted) return missing(t, 3, "meta_data");
    return SL_OK;
}

static sl_err dec_column_chunk_elem(pq_thrift *t, sl_arena *a, void *e, uint32_t i) {
    (void)i;
    return dec_column_chunk(t, a, e);
}

static sl_err dec_row_group(pq_thrift *t, sl_arena *a, pq_row_group *rg) {
    bool has_cols = false, has_tbs = false, has_nr = false;
    memset(rg, 0, sizeof *rg);
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: {
            void *arr = NULL;
            TRY(struct_list(t, type, "columns", a, sizeof(pq_column_chunk), dec_column_chunk_elem, &arr, &rg->n_columns));
            rg->columns = arr;
            has_cols = true;
            break;
        }
        case 2: TRY(rd_i64(t, type, "total_byte_size", INT64_MIN, &rg->total_byte_size)); has_tbs = true; break;
        case 3: TRY(rd_i64(t, type, "num_rows", 0, &rg->num_rows)); has_nr = true; break;
        case 5: TRY(rd_i64(t, type, "file_offset", 0, &rg->file_offset)); rg->has_file_offset = true; break;
        case 6:
            TRY(rd_i64(t, type, "total_compressed_size", 0, &rg->total_compressed_size));
            rg->has_total_compressed_size = true;
            break;
        case 7: {
            int32_t v = 0;
            size_t start = t->pos;
            TRY(rd_i32(t, type, "ordinal", INT32_MIN, &v));
            if (v < INT16_MIN || v > INT16_MAX)
                return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid value %d (offset %zu)", (int)v, start);
            rg->ordinal = (int16_t)v;
            rg->has_ordinal = true;
            break;
        }
        default: TRY(pq_thrift_skip_field(t, type)); /* 4 sorting_columns, ... */
        }
    }
    if (!has_cols) return missing(t, 1, "columns");
    if (!has_tbs) return missing(t, 2, "total_byte_size");
    if (!has_nr) return missing(t, 3, "num_rows");
    return SL_OK;
}

static sl_err dec_row_group_elem(pq_thrift *t, sl_arena *a, void *e, uint32_t i) {
    (void)i;
    return dec_row_group(t, a, e);
}

/* ---- FileMetaData ---- */

static sl_err dec_file_meta(pq_thrift *t, pq_meta *m) {
    sl_arena *a = &m->arena;
    bool has_version = false, has_schema = false, has_nr = false, has_rgs = false;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_i32(t, type, "version", INT32_MIN, &m->version)); has_version = true; break;
        case 2: {
            void *arr = NULL;
            TRY(struct_list(t, type, "schema", a, sizeof(pq_schema_elem), dec_schema_elem_elem, &arr, &m->n_schema));
            m->schema = arr;
            has_schema = true;
            break;
        }
        case 3: TRY(rd_i64(t, type, "num_rows", 0, &m->num_rows)); has_nr = true; break;
        case 4: {
            void *arr = NULL;
            TRY(struct_list(t, type, "row_groups", a, sizeof(pq_row_group), dec_row_group_elem, &arr, &m->n_row_groups));
            m->row_groups = arr;
            has_rgs = true;
            break;
        }
        case 5: TRY(kv_list(t, type, "key_value_metadata", a, &m->kv, &m->n_kv)); break;
        case 6: TRY(rd_str(t, type, "created_by", a, &m->created_by)); break;
        case 8:
            pq_thrift_field_name(t, "encryption_algorithm");
            TRY(pq_thrift_skip_field(t, type));
            m->encrypted = true;
            break;
        default: TRY(pq_thrift_skip_field(t, type)); /* 7 column_orders, 9 footer_signing_key_metadata */
        }
    }
    if (!has_version) return missing(t, 1, "version");
    if (!has_schema) return missing(t, 2, "schema");
    if (!has_nr) return missing(t, 3, "num_rows");
    if (!has_rgs) return missing(t, 4, "row_groups");
    return check_schema_tree(t, m);
}

sl_err pq_meta_parse(pq_meta **out, const uint8_t *buf, size_t len, char *err, size_t errlen) {
    *out = NULL;
    if (err && errlen) err[0] = '\0';
    pq_meta *m = calloc(1, sizeof *m);
    if (!m) return sl_err_set(err, errlen, SL_ERR_NOMEM, "FileMetaData: out of memory");
    sl_arena_init(&m->arena);
    pq_thrift t;
    pq_thrift_init(&t, buf, len, "footer", err, errlen);
    sl_err e = pq_thrift_struct_begin(&t, "FileMetaData", -1);
    if (e == SL_OK) e = dec_file_meta(&t, m);
    if (e != SL_OK) {
        pq_meta_free(m);
        return e;
    }
    *out = m;
    return SL_OK;
}

void pq_meta_free(pq_meta *m) {
    if (!m) return;
    sl_arena_free(&m->arena);
    free(m);
}

/* ---- PageHeader (hot path: no allocation) ---- */

static sl_err dec_data_page_header(pq_thrift *t, pq_data_page_header *d) {
    bool has_nv = false, has_enc = false;
    int32_t v = 0;
    d->def_encoding = PQ_ENC_RLE;
    d->rep_encoding = PQ_ENC_RLE;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_i32(t, type, "num_values", 0, &d->num_values)); has_nv = true; break;
        case 2: TRY(rd_enum(t, type, "encoding", &v)); d->encoding = (pq_encoding)v; has_enc = true; break;
        case 3: TRY(rd_enum(t, type, "definition_level_encoding", &v)); d->def_encoding = (pq_encoding)v; break;
        case 4: TRY(rd_enum(t, type, "repetition_level_encoding", &v)); d->rep_encoding = (pq_encoding)v; break;
        case 5: TRY(stats_field(t, type, NULL, &d->stats)); d->has_stats = true; break;
        default: TRY(pq_thrift_skip_field(t, type));
        }
    }
    if (!has_nv) return missing(t, 1, "num_values");
    if (!has_enc) return missing(t, 2, "encoding");
    return SL_OK;
}

static sl_err dec_dict_page_header(pq_thrift *t, pq_dict_page_header *d) {
    bool has_nv = false, has_enc = false;
    int32_t v = 0;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_i32(t, type, "num_values", 0, &d->num_values)); has_nv = true; break;
        case 2: TRY(rd_enum(t, type, "encoding", &v)); d->encoding = (pq_encoding)v; has_enc = true; break;
        case 3: TRY(rd_bool(t, type, "is_sorted", &d->is_sorted)); break;
        default: TRY(pq_thrift_skip_field(t, type));
        }
    }
    if (!has_nv) return missing(t, 1, "num_values");
    if (!has_enc) return missing(t, 2, "encoding");
    return SL_OK;
}

static sl_err dec_data_page_header_v2(pq_thrift *t, pq_data_page_header_v2 *d) {
    unsigned have = 0;
    int32_t v = 0;
    d->is_compressed = true;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_i32(t, type, "num_values", 0, &d->num_values)); have |= 1u << 1; break;
        case 2: TRY(rd_i32(t, type, "num_nulls", 0, &d->num_nulls)); have |= 1u << 2; break;
        case 3: TRY(rd_i32(t, type, "num_rows", 0, &d->num_rows)); have |= 1u << 3; break;
        case 4: TRY(rd_enum(t, type, "encoding", &v)); d->encoding = (pq_encoding)v; have |= 1u << 4; break;
        case 5:
            TRY(rd_i32(t, type, "definition_levels_byte_length", 0, &d->def_levels_byte_length));
            have |= 1u << 5;
            break;
        case 6:
            TRY(rd_i32(t, type, "repetition_levels_byte_length", 0, &d->rep_levels_byte_length));
            have |= 1u << 6;
            break;
        case 7: TRY(rd_bool(t, type, "is_compressed", &d->is_compressed)); break;
        case 8: TRY(stats_field(t, type, NULL, &d->stats)); d->has_stats = true; break;
        default: TRY(pq_thrift_skip_field(t, type));
        }
    }
    static const char *const names[] = {NULL,       "num_values", "num_nulls", "num_rows", "encoding",
                                        "definition_levels_byte_length", "repetition_levels_byte_length"};
    for (int i = 1; i <= 6; i++)
        if (!(have & (1u << i))) return missing(t, i, names[i]);
    return SL_OK;
}

static sl_err dec_page_header(pq_thrift *t, pq_page_header *h) {
    bool has_type = false, has_usize = false, has_csize = false;
    int32_t v = 0;
    for (;;) {
        int type = 0;
        int16_t id = 0;
        TRY(pq_thrift_field(t, &type, &id));
        if (type == PQ_THRIFT_STOP) break;
        switch (id) {
        case 1: TRY(rd_enum(t, type, "type", &v)); h->type = (pq_page_type)v; has_type = true; break;
        case 2: TRY(rd_i32(t, type, "uncompressed_page_size", 0, &h->uncompressed_page_size)); has_usize = true; break;
        case 3: TRY(rd_i32(t, type, "compressed_page_size", 0, &h->compressed_page_size)); has_csize = true; break;
        case 4:
            TRY(rd_i32(t, type, "crc", INT32_MIN, &v));
            h->crc = (uint32_t)v;
            h->has_crc = true;
            break;
        case 5:
            TRY(want_struct(t, type, "data_page_header"));
            TRY(pq_thrift_struct_begin(t, "data_page_header", -1));
            TRY(dec_data_page_header(t, &h->data));
            pq_thrift_struct_end(t);
            h->has_data = true;
            break;
        case 7:
            TRY(want_struct(t, type, "dictionary_page_header"));
            TRY(pq_thrift_struct_begin(t, "dictionary_page_header", -1));
            TRY(dec_dict_page_header(t, &h->dict));
            pq_thrift_struct_end(t);
            h->has_dict = true;
            break;
        case 8:
            TRY(want_struct(t, type, "data_page_header_v2"));
            TRY(pq_thrift_struct_begin(t, "data_page_header_v2", -1));
            TRY(dec_data_page_header_v2(t, &h->data_v2));
            pq_thrift_struct_end(t);
            h->has_data_v2 = true;
            break;
        default: TRY(pq_thrift_skip_field(t, type)); /* 6 index_page_header, ... */
        }
    }
    if (!has_type) return missing(t, 1, "type");
    if (!has_usize) return missing(t, 2, "uncompressed_page_size");
    if (!has_csize) return missing(t, 3, "compressed_page_size");
    if (h->type == PQ_PAGE_DATA && !h->has_data) return missing(t, 5, "data_page_header");
    if (h->type == PQ_PAGE_DICTIONARY && !h->has_dict) return missing(t, 7, "dictionary_page_header");
    if (h->type == PQ_PAGE_DATA_V2 && !h->has_data_v2) return missing(t, 8, "data_page_header_v2");
    return SL_OK;
}

int pq_page_header_parse(pq_page_header *h, const uint8_t *buf, size_t len, size_t *consumed, char *err,
                         size_t errlen) {
    memset(h, 0, sizeof *h);
    h->data_v2.is_compressed = true;
    *consumed = 0;
    pq_thrift t;
    pq_thrift_init(&t, buf, len, "page header buffer", err, errlen);
    sl_err e = pq_thrift_struct_begin(&t, "PageHeader", -1);
    if (e == SL_OK) e = dec_page_header(&t, h);
    if (e != SL_OK) return t.truncated ? PQ_TRUNCATED : (int)e;
    *consumed = t.pos;
    return SL_OK;
}

/* ---- names ---- */

const char *pq_type_name(pq_type t) {
    switch ((int)t) {
    case PQ_BOOLEAN: return "BOOLEAN";
    case PQ_INT32: return "INT32";
    case PQ_INT64: return "INT64";
    case PQ_INT96: return "INT96";
    case PQ_FLOAT: return "FLOAT";
    case PQ_DOUBLE: return "DOUBLE";
    case PQ_BYTE_ARRAY: return "BYTE_ARRAY";
    case PQ_FIXED_LEN_BYTE_ARRAY: return "FIXED_LEN_BYTE_ARRAY";
    }
    return "UNKNOWN";
}

const char *pq_encoding_name(pq_encoding e) {
    switch ((int)e) {
    case PQ_ENC_PLAIN: return "PLAIN";
    case 1: return "GROUP_VAR_INT";
    case PQ_ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case PQ_ENC_RLE: return "RLE";
    case PQ_ENC_BIT_PACKED: return "BIT_PACKED";
    case PQ_ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case PQ_ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case PQ_ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case PQ_ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    }
    return "UNKNOWN";
}

const char *pq_codec_name(pq_codec c) {
    switch ((int)c) {
    case PQ_CODEC_UNCOMPRESSED: return "UNCOMPRESSED";
    case PQ_CODEC_SNAPPY: return "SNAPPY";
    case PQ_CODEC_GZIP: return "GZIP";
    case PQ_CODEC_LZO: return "LZO";
    case PQ_CODEC_BROTLI: return "BROTLI";
    case PQ_CODEC_LZ4: return "LZ4";
    case PQ_CODEC_ZSTD: return "ZSTD";
    case PQ_CODEC_LZ4_RAW: return "LZ4_RAW";
    }
    return "UNKNOWN";
}

const char *pq_converted_name(pq_converted c) {
    static const char *const names[] = {
        "UTF8",   "MAP",    "MAP_KEY_VALUE", "LIST",    "ENUM",   "DECIMAL", "DATE",  "TIME_MILLIS",
        "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8", "UINT_16", "UINT_32", "UINT_64",
        "INT_8",  "INT_16", "INT_32", "INT_64", "JSON", "BSON", "INTERVAL"};
    int v = (int)c;
    if (v == PQ_CT_NONE) return "NONE";
    if (v >= 0 && v < (int)(sizeof names / sizeof names[0])) return names[v];
    return "UNKNOWN";
}

const char *pq_repetition_name(pq_repetition r) {
    switch ((int)r) {
    case PQ_REQUIRED: return "REQUIRED";
    case PQ_OPTIONAL: return "OPTIONAL";
    case PQ_REPEATED: return "REPEATED";
    }
    return "UNKNOWN";
}

const char *pq_page_type_name(pq_page_type t) {
    switch ((int)t) {
    case PQ_PAGE_DATA: return "DATA_PAGE";
    case PQ_PAGE_INDEX: return "INDEX_PAGE";
    case PQ_PAGE_DICTIONARY: return "DICTIONARY_PAGE";
    case PQ_PAGE_DATA_V2: return "DATA_PAGE_V2";
    }
    return "UNKNOWN";
}
