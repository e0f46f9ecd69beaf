/* test_meta.c: Parquet footer / page header decoding (Thrift compact). */
#include <stdlib.h>

#include "parquet/meta.h"
#include "parquet/thrift.h"
#include "t.h"

/* ---- tiny Thrift compact encoder ---- */

typedef struct enc {
    uint8_t b[16384];
    size_t n;
    int16_t last[128];
    int depth;
} enc;

static void put(enc *e, uint8_t v) {
    if (e->n < sizeof e->b) e->b[e->n++] = v;
}
static void putn(enc *e, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) put(e, ((const uint8_t *)p)[i]);
}
static void varint(enc *e, uint64_t v) {
    while (v >= 0x80) {
        put(e, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put(e, (uint8_t)v);
}
static void zz(enc *e, int64_t v) { varint(e, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
static void fld(enc *e, int type, int16_t id) {
    int16_t *last = &e->last[e->depth];
    int d = id - *last;
    if (d > 0 && d <= 15) {
        put(e, (uint8_t)(d << 4 | type));
    } else {
        put(e, (uint8_t)type);
        zz(e, id);
    }
    *last = id;
}
static void sbegin(enc *e) { e->last[++e->depth] = 0; }
static void send(enc *e) {
    put(e, 0);
    e->depth--;
}
static void list_hdr(enc *e, int et, uint32_t n) {
    if (n < 15) {
        put(e, (uint8_t)(n << 4 | (uint32_t)et));
    } else {
        put(e, (uint8_t)(0xf0 | et));
        varint(e, n);
    }
}
static void str(enc *e, const char *s) {
    varint(e, strlen(s));
    putn(e, s, strlen(s));
}
static void f_int(enc *e, int type, int16_t id, int64_t v) {
    fld(e, type, id);
    if (type == PQ_THRIFT_BYTE)
        put(e, (uint8_t)(int8_t)v);
    else
        zz(e, v);
}
static void f_i32(enc *e, int16_t id, int64_t v) { f_int(e, PQ_THRIFT_I32, id, v); }
static void f_i64(enc *e, int16_t id, int64_t v) { f_int(e, PQ_THRIFT_I64, id, v); }
static void f_str(enc *e, int16_t id, const char *s) {
    fld(e, PQ_THRIFT_BINARY, id);
    str(e, s);
}
static void f_bool(enc *e, int16_t id, int v) { fld(e, v ? PQ_THRIFT_TRUE : PQ_THRIFT_FALSE, id); }
static void f_struct(enc *e, int16_t id) {
    fld(e, PQ_THRIFT_STRUCT, id);
    sbegin(e);
}
static void f_list(enc *e, int16_t id, int et, uint32_t n) {
    fld(e, PQ_THRIFT_LIST, id);
    list_hdr(e, et, n);
}
/* an empty struct field, e.g. a LogicalType member like STRING{} */
static void f_empty(enc *e, int16_t id) {
    f_struct(e, id);
    send(e);
}

/* An unknown field exercising every compact type in skip. */
static void unknown_field(enc *e, int16_t id) {
    f_struct(e, id);
    f_bool(e, 1, 1);
    f_bool(e, 2, 0);
    f_int(e, PQ_THRIFT_BYTE, 3, -7);
    f_int(e, PQ_THRIFT_I16, 4, -300);
    f_i32(e, 5, 123456);
    f_i64(e, 6, -1234567890123LL);
    fld(e, PQ_THRIFT_DOUBLE, 7);
    putn(e, "\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);
    f_str(e, 8, "skipped");
    f_list(e, 9, PQ_THRIFT_TRUE, 3); /* list<bool> */
    put(e, 1);
    put(e, 2);
    put(e, 0);
    fld(e, PQ_THRIFT_SET, 10);
    list_hdr(e, PQ_THRIFT_I32, 20);
    for (int i = 0; i < 20; i++) zz(e, i * 1000);
    fld(e, PQ_THRIFT_MAP, 11); /* map<string, struct> */
    varint(e, 2);
    put(e, PQ_THRIFT_BINARY << 4 | PQ_THRIFT_STRUCT);
    for (int i = 0; i < 2; i++) {
        str(e, "k");
        sbegin(e);
        f_i32(e, 1, i);
        send(e);
    }
    fld(e, PQ_THRIFT_MAP, 12); /* empty map */
    varint(e, 0);
    f_struct(e, 300); /* nested struct, long-form field id */
    f_list(e, 1, PQ_THRIFT_LIST, 1);
    list_hdr(e, PQ_THRIFT_BINARY, 1);
    str(e, "x");
    send(e);
    send(e);
}

/* ---- a complete footer ---- */

typedef struct marks {
    size_t tcs_value; /* offset of total_compressed_size's varint */
} marks;

static void schema_elem(enc *e, int type, int rep, const char *name, int children) {
    sbegin(e);
    if (type >= 0) f_i32(e, 1, type);
    if (rep >= 0) f_i32(e, 3, rep);
    f_str(e, 4, name);
    if (children >= 0) f_i32(e, 5, children);
}

static void build_footer(enc *e, marks *mk, int with_unknown) {
    memset(e, 0, sizeof *e);
    f_i32(e, 1, 2); /* version */
    f_list(e, 2, PQ_THRIFT_STRUCT, 5);
    schema_elem(e, -1, -1, "schema", 4);
    send(e);
    schema_elem(e, PQ_INT64, PQ_REQUIRED, "id", -1);
    f_i32(e, 9, 7); /* field_id */
    f_struct(e, 10);
    f_struct(e, 10); /* INTEGER */
    f_int(e, PQ_THRIFT_BYTE, 1, 64);
    f_bool(e, 2, 1);
    send(e);
    send(e);
    send(e);
    schema_elem(e, PQ_BYTE_ARRAY, PQ_OPTIONAL, "s", -1);
    f_i32(e, 6, PQ_CT_UTF8);
    if (with_unknown) unknown_field(e, 77);
    f_struct(e, 10);
    f_empty(e, 1); /* STRING */
    send(e);
    send(e);
    schema_elem(e, PQ_INT64, PQ_OPTIONAL, "ts", -1);
    f_struct(e, 10);
    f_struct(e, 8); /* TIMESTAMP */
    f_bool(e, 1, 1);
    f_struct(e, 2);
    f_empty(e, 2); /* MICROS */
    send(e);
    send(e);
    send(e);
    send(e);
    schema_elem(e, PQ_FIXED_LEN_BYTE_ARRAY, PQ_OPTIONAL, "d", -1);
    f_i32(e, 2, 16);
    f_i32(e, 6, PQ_CT_DECIMAL);
    f_i32(e, 7, 2);
    f_i32(e, 8, 20);
    f_struct(e, 10);
    if (with_unknown) f_empty(e, 99); /* unknown union member: skipped */
    f_struct(e, 5);
    f_i32(e, 1, 2);
    f_i32(e, 2, 20);
    send(e);
    send(e);
    send(e);

    f_i64(e, 3, 100); /* num_rows */
    if (with_unknown) unknown_field(e, 50);
    f_list(e, 4, PQ_THRIFT_STRUCT, 1);
    sbegin(e); /* RowGroup */
    f_list(e, 1, PQ_THRIFT_STRUCT, 2);
    sbegin(e); /* ColumnChunk 0 */
    f_i64(e, 2, 4);
    f_struct(e, 3);
    f_i32(e, 1, PQ_INT64);
    f_list(e, 2, PQ_THRIFT_I32, 3);
    zz(e, PQ_ENC_PLAIN);
    zz(e, PQ_ENC_RLE);
    zz(e, PQ_ENC_RLE_DICTIONARY);
    f_list(e, 3, PQ_THRIFT_BINARY, 1);
    str(e, "id");
    f_i32(e, 4, PQ_CODEC_ZSTD);
    f_i64(e, 5, 100);
    f_i64(e, 6, 1000);
    fld(e, PQ_THRIFT_I64, 7);
    if (mk) mk->tcs_value = e->n;
    zz(e, 500);
    f_list(e, 8, PQ_THRIFT_STRUCT, 1); /* column key_value_metadata: skipped */
    sbegin(e);
    f_str(e, 1, "ck");
    send(e);
    f_i64(e, 9, 4);
    f_i64(e, 11, 4);
    if (with_unknown) unknown_field(e, 1000);
    f_struct(e, 12); /* Statistics */
    f_str(e, 1, "LMAX");
    f_str(e, 2, "LMIN");
    f_i64(e, 3, 5);
    f_i64(e, 4, 90);
    fld(e, PQ_THRIFT_BINARY, 5);
    varint(e, 8);
    putn(e, "\x64\0\0\0\0\0\0\0", 8);
    fld(e, PQ_THRIFT_BINARY, 6);
    varint(e, 8);
    putn(e, "\x01\0\0\0\0\0\0\0", 8);
    send(e);
    send(e); /* meta_data */
    send(e); /* ColumnChunk 0 */
    sbegin(e); /* ColumnChunk 1: legacy statistics only, external file */
    f_str(e, 1, "other.parquet");
    f_i64(e, 2, 0);
    f_struct(e, 3);
    f_i32(e, 1, PQ_BYTE_ARRAY);
    f_list(e, 2, PQ_THRIFT_I32, 0);
    f_list(e, 3, PQ_THRIFT_BINARY, 2);
    str(e, "a");
    str(e, "b");
    f_i32(e, 4, PQ_CODEC_SNAPPY);
    f_i64(e, 5, 100);
    f_i64(e, 6, 10);
    f_i64(e, 7, 10);
    f_i64(e, 9, 1004);
    f_struct(e, 12);
    f_str(e, 1, "zz");
    f_str(e, 2, "aa");
    send(e);
    send(e);
    send(e);
    f_i64(e, 2, 1234);  /* total_byte_size */
    f_i64(e, 3, 100);   /* num_rows */
    f_i64(e, 5, 4);     /* file_offset */
    f_i64(e, 6, 510);   /* total_compressed_size */
    f_int(e, PQ_THRIFT_I16, 7, 3); /* ordinal */
    send(e);

    f_list(e, 5, PQ_THRIFT_STRUCT, 2);
    sbegin(e);
    f_str(e, 1, "k1");
    f_str(e, 2, "v1");
    send(e);
    sbegin(e);
    f_str(e, 1, "k2");
    send(e);
    f_str(e, 6, "sluice test");
    if (with_unknown) unknown_field(e, 30000);
    put(e, 0); /* STOP */
}

static void check_footer(const pq_meta *m) {
    CHECK_EQ_I64(m->version, 2);
    CHECK_EQ_I64(m->num_rows, 100);
    CHECK_EQ_STR(m->created_by, "sluice test");
    CHECK(!m->encrypted);
    CHECK_EQ_I64(m->n_schema, 5);
    if (m->n_schema != 5) return;
    const pq_schema_elem *s = m->schema;
    CHECK_EQ_STR(s[0].name, "schema");
    CHECK(!s[0].has_type);
    CHECK_EQ_I64(s[0].num_children, 4);
    CHECK_EQ_I64(s[0].converted, PQ_CT_NONE);
    CHECK_EQ_I64(s[0].logical.kind, PQ_LT_NONE);

    CHECK_EQ_STR(s[1].name, "id");
    CHECK(s[1].has_type && s[1].type == PQ_INT64);
    CHECK(s[1].has_repetition && s[1].repetition == PQ_REQUIRED);
    CHECK(s[1].has_field_id && s[1].field_id == 7);
    CHECK_EQ_I64(s[1].logical.kind, PQ_LT_INTEGER);
    CHECK_EQ_I64(s[1].logical.bit_width, 64);
    CHECK(s[1].logical.is_signed);

    CHECK_EQ_STR(s[2].name, "s");
    CHECK_EQ_I64(s[2].type, PQ_BYTE_ARRAY);
    CHECK_EQ_I64(s[2].repetition, PQ_OPTIONAL);
    CHECK_EQ_I64(s[2].converted, PQ_CT_UTF8);
    CHECK_EQ_I64(s[2].logical.kind, PQ_LT_STRING);
    CHECK(!s[2].has_field_id);

    CHECK_EQ_STR(s[3].name, "ts");
    CHECK_EQ_I64(s[3].logical.kind, PQ_LT_TIMESTAMP);
    CHECK(s[3].logical.utc);
    CHECK_EQ_I64(s[3].logical.unit, PQ_UNIT_MICROS);

    CHECK_EQ_STR(s[4].name, "d");
    CHECK_EQ_I64(s[4].type, PQ_FIXED_LEN_BYTE_ARRAY);
    CHECK_EQ_I64(s[4].type_length, 16);
    CHECK_EQ_I64(s[4].converted, PQ_CT_DECIMAL);
    CHECK_EQ_I64(s[4].scale, 2);
    CHECK_EQ_I64(s[4].precision, 20);
    CHECK_EQ_I64(s[4].logical.kind, PQ_LT_DECIMAL);
    CHECK_EQ_I64(s[4].logical.scale, 2);
    CHECK_EQ_I64(s[4].logical.precision, 20);

    CHECK_EQ_I64(m->n_row_groups, 1);
    if (m->n_row_groups != 1) return;
    const pq_row_group *rg = &m->row_groups[0];
    CHECK_EQ_I64(rg->total_byte_size, 1234);
    CHECK_EQ_I64(rg->num_rows, 100);
    CHECK(rg->has_file_offset && rg->file_offset == 4);
    CHECK(rg->has_total_compressed_size && rg->total_compressed_size == 510);
    CHECK(rg->has_ordinal && rg->ordinal == 3);
    CHECK_EQ_I64(rg->n_columns, 2);
    if (rg->n_columns != 2) return;

    const pq_column_chunk *c = &rg->columns[0];
    CHECK(c->file_path == NULL);
    CHECK_EQ_I64(c->file_offset, 4);
    CHECK(c->has_meta && !c->encrypted);
    const pq_column_meta *cm = &c->meta;
    CHECK_EQ_I64(cm->type, PQ_INT64);
    CHECK_EQ_I64(cm->n_encodings, 3);
    if (cm->n_encodings == 3) {
        CHECK_EQ_I64(cm->encodings[0], PQ_ENC_PLAIN);
        CHECK_EQ_I64(cm->encodings[1], PQ_ENC_RLE);
        CHECK_EQ_I64(cm->encodings[2], PQ_ENC_RLE_DICTIONARY);
    }
    CHECK_EQ_I64(cm->n_path, 1);
    if (cm->n_path == 1) CHECK_EQ_STR(cm->path[0], "id");
    CHECK_EQ_I64(cm->codec, PQ_CODEC_ZSTD);
    CHECK_EQ_I64(cm->num_values, 100);
    CHECK_EQ_I64(cm->total_uncompressed_size, 1000);
    CHECK_EQ_I64(cm->total_compressed_size, 500);
    CHECK_EQ_I64(cm->data_page_offset, 4);
    CHECK(!cm->has_index_page_offset);
    CHECK(cm->has_dictionary_page_offset && cm->dictionary_page_offset == 4);
    CHECK(cm->has_stats);
    CHECK(cm->stats.has_min && cm->stats.has_max && !cm->stats.legacy_minmax);
    CHECK(cm->stats.has_null_count && cm->stats.null_count == 5);
    CHECK(cm->stats.has_distinct_count && cm->stats.distinct_count == 90);
    CHECK(cm->stats.min.len == 8 && cm->stats.min.ptr[0] == 1);
    CHECK(cm->stats.max.len == 8 && cm->stats.max.ptr[0] == 0x64);

    c = &rg->columns[1];
    CHECK_EQ_STR(c->file_path, "other.parquet");
    cm = &c->meta;
    CHECK_EQ_I64(cm->type, PQ_BYTE_ARRAY);
    CHECK_EQ_I64(cm->n_encodings, 0);
    CHECK_EQ_I64(cm->n_path, 2);
    if (cm->n_path == 2) {
        CHECK_EQ_STR(cm->path[0], "a");
        CHECK_EQ_STR(cm->path[1], "b");
    }
    CHECK_EQ_I64(cm->codec, PQ_CODEC_SNAPPY);
    CHECK(!cm->has_dictionary_page_offset);
    CHECK(cm->has_stats && cm->stats.legacy_minmax);
    CHECK(!cm->stats.has_null_count);
    CHECK(cm->stats.has_min && cm->stats.min.len == 2 && memcmp(cm->stats.min.ptr, "aa", 2) == 0);
    CHECK(cm->stats.has_max && cm->stats.max.len == 2 && memcmp(cm->stats.max.ptr, "zz", 2) == 0);

    CHECK_EQ_I64(m->n_kv, 2);
    if (m->n_kv == 2) {
        CHECK_EQ_STR(m->kv[0].key, "k1");
        CHECK_EQ_STR(m->kv[0].value, "v1");
        CHECK_EQ_STR(m->kv[1].key, "k2");
        CHECK(m->kv[1].value == NULL);
    }
}

static void test_footer(void) {
    enc *e = calloc(1, sizeof *e);
    build_footer(e, NULL, 0);
    pq_meta *m = NULL;
    char err[SL_ERRLEN];
    sl_err rc = pq_meta_parse(&m, e->b, e->n, err, sizeof err);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK_EQ_I64(rc, SL_OK);
    if (m) check_footer(m);
    pq_meta_free(m);
    free(e);
}

static void test_footer_unknown_fields(void) {
    enc *e = calloc(1, sizeof *e);
    build_footer(e, NULL, 1);
    pq_meta *m = NULL;
    char err[SL_ERRLEN];
    sl_err rc = pq_meta_parse(&m, e->b, e->n, err, sizeof err);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK_EQ_I64(rc, SL_OK);
    if (m) check_footer(m);
    pq_meta_free(m);
    free(e);
}

static void test_footer_truncated(void) {
    enc *e = calloc(1, sizeof *e);
    build_footer(e, NULL, 1);
    char err[SL_ERRLEN];
    int bad = 0;
    for (size_t n = 0; n < e->n; n++) {
        /* copy to an exact-size heap buffer so ASan catches any overread */
        uint8_t *p = malloc(n ? n : 1);
        memcpy(p, e->b, n);
        pq_meta *m = NULL;
        err[0] = '\0';
        sl_err rc = pq_meta_parse(&m, p, n, err, sizeof err);
        if (rc != SL_ERR_CORRUPT || m != NULL || err[0] == '\0') bad++;
        free(p);
    }
    CHECK_EQ_I64(bad, 0);
    free(e);
}

static void test_error_message(void) {
    enc *e = calloc(1, sizeof *e);
    marks mk;
    build_footer(e, &mk, 0);
    char err[SL_ERRLEN];
    pq_meta *m = NULL;
    /* cut in the middle of total_compressed_size's 2-byte varint */
    sl_err rc = pq_meta_parse(&m, e->b, mk.tcs_value + 1, err, sizeof err);
    CHECK_EQ_I64(rc, SL_ERR_CORRUPT);
    char want[200];
    snprintf(want, sizeof want,
             "FileMetaData.row_groups[0].columns[0].meta_data: field 7 (total_compressed_size): "
             "varint runs past end of footer (offset %zu of %zu)",
             mk.tcs_value, mk.tcs_value + 1);
    CHECK_EQ_STR(err, want);
    /* tiny error buffers are fine */
    char small[8];
    rc = pq_meta_parse(&m, e->b, mk.tcs_value + 1, small, sizeof small);
    CHECK_EQ_I64(rc, SL_ERR_CORRUPT);
    CHECK(strlen(small) == 7);
    rc = pq_meta_parse(&m, e->b, mk.tcs_value + 1, NULL, 0);
    CHECK_EQ_I64(rc, SL_ERR_CORRUPT);
    free(e);
}

static sl_err parse_bytes(const uint8_t *b, size_t n, char *err, size_t errlen) {
    pq_meta *m = NULL;
    sl_err rc = pq_meta_parse(&m, b, n, err, errlen);
    pq_meta_free(m);
    return rc;
}

static void test_missing_required(void) {
    char err[SL_ERRLEN];
    enc e;
    /* schema element without a name */
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, 1);
    f_list(&e, 2, PQ_THRIFT_STRUCT, 1);
    sbegin(&e);
    f_i32(&e, 5, 0);
    send(&e);
    f_i64(&e, 3, 0);
    f_list(&e, 4, PQ_THRIFT_STRUCT, 0);
    put(&e, 0);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "FileMetaData.schema[0]") && strstr(err, "name"));

    /* column meta without codec */
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, 1);
    f_list(&e, 2, PQ_THRIFT_STRUCT, 2);
    schema_elem(&e, -1, -1, "r", 1);
    send(&e);
    schema_elem(&e, PQ_INT32, PQ_REQUIRED, "x", -1);
    send(&e);
    f_i64(&e, 3, 1);
    f_list(&e, 4, PQ_THRIFT_STRUCT, 1);
    sbegin(&e);
    f_list(&e, 1, PQ_THRIFT_STRUCT, 1);
    sbegin(&e);
    f_i64(&e, 2, 4);
    f_struct(&e, 3);
    f_i32(&e, 1, PQ_INT32);
    f_list(&e, 3, PQ_THRIFT_BINARY, 1);
    str(&e, "x");
    f_i64(&e, 5, 1);
    f_i64(&e, 6, 1);
    f_i64(&e, 7, 1);
    f_i64(&e, 9, 4);
    send(&e);
    send(&e);
    f_i64(&e, 2, 1);
    f_i64(&e, 3, 1);
    send(&e);
    put(&e, 0);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK_EQ_STR(err, "FileMetaData.row_groups[0].columns[0].meta_data: required field 4 (codec) is missing");

    /* schema whose num_children do not form a tree */
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, 1);
    f_list(&e, 2, PQ_THRIFT_STRUCT, 2);
    schema_elem(&e, -1, -1, "r", 2);
    send(&e);
    schema_elem(&e, PQ_INT32, PQ_REQUIRED, "x", -1);
    send(&e);
    f_i64(&e, 3, 1);
    f_list(&e, 4, PQ_THRIFT_STRUCT, 0);
    put(&e, 0);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "num_children") != NULL);

    /* wrong wire type */
    memset(&e, 0, sizeof e);
    f_str(&e, 1, "x");
    put(&e, 0);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK_EQ_STR(err, "FileMetaData: field 1 (version): expected an integer, got binary (offset 1)");

    /* negative num_rows */
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, 1);
    f_i64(&e, 3, -1);
    put(&e, 0);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "num_rows") != NULL);
}

static void test_huge_list(void) {
    char err[SL_ERRLEN];
    enc e;
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, 1);
    f_list(&e, 2, PQ_THRIFT_STRUCT, 0x7fffffff);
    put(&e, 0);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "list of 2147483647 elements") != NULL);

    /* size above INT32_MAX (negative as i32) */
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, 1);
    fld(&e, PQ_THRIFT_LIST, 2);
    put(&e, 0xfc);
    varint(&e, 0xffffffffu);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "negative or too large") != NULL);

    /* huge binary length */
    memset(&e, 0, sizeof e);
    fld(&e, PQ_THRIFT_BINARY, 6);
    varint(&e, 1u << 30);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "created_by") != NULL);

    /* huge map in an unknown field */
    memset(&e, 0, sizeof e);
    fld(&e, PQ_THRIFT_MAP, 20);
    varint(&e, 1u << 30);
    put(&e, 0x88);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);

    /* many schema elements declared, few present: grows lazily, then fails */
    memset(&e, 0, sizeof e);
    f_list(&e, 2, PQ_THRIFT_STRUCT, 1000);
    for (int i = 0; i < 1000; i++) put(&e, 0);
    CHECK_EQ_I64(parse_bytes(e.b, e.n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "schema[0]") != NULL);
}

static void test_deep_nesting(void) {
    char err[SL_ERRLEN];
    enc *e = calloc(1, sizeof *e);
    /* 200 nested structs inside an unknown field */
    fld(e, PQ_THRIFT_STRUCT, 20);
    for (int i = 0; i < 200; i++) put(e, 0x1c);
    for (int i = 0; i < 201; i++) put(e, 0);
    CHECK_EQ_I64(parse_bytes(e->b, e->n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "nested deeper") != NULL);

    /* 200 nested lists */
    memset(e, 0, sizeof *e);
    fld(e, PQ_THRIFT_LIST, 20);
    for (int i = 0; i < 200; i++) put(e, 0x19);
    put(e, 0x05);
    CHECK_EQ_I64(parse_bytes(e->b, e->n, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "nested deeper") != NULL);

    /* moderate nesting is fine */
    memset(e, 0, sizeof *e);
    f_i32(e, 1, 1);
    fld(e, PQ_THRIFT_STRUCT, 20);
    for (int i = 0; i < 40; i++) put(e, 0x1c);
    for (int i = 0; i < 41; i++) put(e, 0);
    f_list(e, 2, PQ_THRIFT_STRUCT, 1);
    schema_elem(e, -1, -1, "r", -1);
    send(e);
    f_i64(e, 3, 0);
    f_list(e, 4, PQ_THRIFT_STRUCT, 0);
    put(e, 0);
    sl_err rc = parse_bytes(e->b, e->n, err, sizeof err);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK_EQ_I64(rc, SL_OK);
    free(e);
}

static void test_bad_varint(void) {
    char err[SL_ERRLEN];
    uint8_t b[16] = {0x16}; /* field 1, i64 */
    for (int i = 1; i < 12; i++) b[i] = 0xff;
    CHECK_EQ_I64(parse_bytes(b, 12, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "overflows") != NULL);
    uint8_t f[] = {0x1d}; /* invalid field type 13 */
    CHECK_EQ_I64(parse_bytes(f, 1, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "invalid field type") != NULL);
    CHECK_EQ_I64(parse_bytes(NULL, 0, err, sizeof err), SL_ERR_CORRUPT);
}

/* ---- page headers ---- */

static void build_data_page(enc *e) {
    memset(e, 0, sizeof *e);
    f_i32(e, 1, PQ_PAGE_DATA);
    f_i32(e, 2, 100);
    f_i32(e, 3, 80);
    f_i32(e, 4, -5);
    unknown_field(e, 6 + 9); /* future field: skipped */
    f_struct(e, 5);
    f_i32(e, 1, 10);
    f_i32(e, 2, PQ_ENC_PLAIN);
    f_i32(e, 3, PQ_ENC_RLE);
    f_i32(e, 4, PQ_ENC_BIT_PACKED);
    f_struct(e, 5);
    f_i64(e, 3, 2);
    f_str(e, 5, "zed");
    f_str(e, 6, "a");
    send(e);
    send(e);
    put(e, 0);
}

static void build_dict_page(enc *e) {
    memset(e, 0, sizeof *e);
    f_i32(e, 1, PQ_PAGE_DICTIONARY);
    f_i32(e, 2, 7);
    f_i32(e, 3, 7);
    f_struct(e, 7);
    f_i32(e, 1, 5);
    f_i32(e, 2, PQ_ENC_PLAIN_DICTIONARY);
    f_bool(e, 3, 1);
    send(e);
    put(e, 0);
}

static void build_v2_page(enc *e, int with_compressed) {
    memset(e, 0, sizeof *e);
    f_i32(e, 1, PQ_PAGE_DATA_V2);
    f_i32(e, 2, 300);
    f_i32(e, 3, 200);
    f_struct(e, 8);
    f_i32(e, 1, 50);
    f_i32(e, 2, 3);
    f_i32(e, 3, 40);
    f_i32(e, 4, PQ_ENC_RLE_DICTIONARY);
    f_i32(e, 5, 12);
    f_i32(e, 6, 9);
    if (with_compressed) f_bool(e, 7, 0);
    f_struct(e, 8);
    f_str(e, 1, "legacymax");
    send(e);
    send(e);
    put(e, 0);
}

static void test_page_headers(void) {
    enc e;
    pq_page_header h;
    size_t used = 0;
    char err[SL_ERRLEN];

    build_data_page(&e);
    size_t hlen = e.n;
    putn(&e, "PAGEDATA", 8); /* page body follows the header */
    int rc = pq_page_header_parse(&h, e.b, e.n, &used, err, sizeof err);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK_EQ_I64(rc, SL_OK);
    CHECK_EQ_I64(used, hlen);
    CHECK_EQ_I64(h.type, PQ_PAGE_DATA);
    CHECK_EQ_I64(h.uncompressed_page_size, 100);
    CHECK_EQ_I64(h.compressed_page_size, 80);
    CHECK(h.has_crc && h.crc == (uint32_t)-5);
    CHECK(h.has_data && !h.has_dict && !h.has_data_v2);
    CHECK_EQ_I64(h.data.num_values, 10);
    CHECK_EQ_I64(h.data.encoding, PQ_ENC_PLAIN);
    CHECK_EQ_I64(h.data.def_encoding, PQ_ENC_RLE);
    CHECK_EQ_I64(h.data.rep_encoding, PQ_ENC_BIT_PACKED);
    CHECK(h.data.has_stats && h.data.stats.has_null_count && h.data.stats.null_count == 2);
    CHECK(h.data.stats.has_max && h.data.stats.max.len == 3 && memcmp(h.data.stats.max.ptr, "zed", 3) == 0);
    /* statistics point into the input buffer */
    CHECK(h.data.stats.max.ptr > e.b && h.data.stats.max.ptr < e.b + hlen);
    CHECK(h.data.stats.has_min && h.data.stats.min.len == 1 && !h.data.stats.legacy_minmax);

    build_dict_page(&e);
    rc = pq_page_header_parse(&h, e.b, e.n, &used, err, sizeof err);
    CHECK_EQ_I64(rc, SL_OK);
    CHECK_EQ_I64(used, e.n);
    CHECK_EQ_I64(h.type, PQ_PAGE_DICTIONARY);
    CHECK(h.has_dict && !h.has_data && !h.has_crc);
    CHECK_EQ_I64(h.dict.num_values, 5);
    CHECK_EQ_I64(h.dict.encoding, PQ_ENC_PLAIN_DICTIONARY);
    CHECK(h.dict.is_sorted);

    build_v2_page(&e, 1);
    rc = pq_page_header_parse(&h, e.b, e.n, &used, err, sizeof err);
    CHECK_EQ_I64(rc, SL_OK);
    CHECK_EQ_I64(used, e.n);
    CHECK(h.has_data_v2);
    CHECK_EQ_I64(h.data_v2.num_values, 50);
    CHECK_EQ_I64(h.data_v2.num_nulls, 3);
    CHECK_EQ_I64(h.data_v2.num_rows, 40);
    CHECK_EQ_I64(h.data_v2.encoding, PQ_ENC_RLE_DICTIONARY);
    CHECK_EQ_I64(h.data_v2.def_levels_byte_length, 12);
    CHECK_EQ_I64(h.data_v2.rep_levels_byte_length, 9);
    CHECK(!h.data_v2.is_compressed);
    CHECK(h.data_v2.has_stats && h.data_v2.stats.legacy_minmax && h.data_v2.stats.has_max &&
          !h.data_v2.stats.has_min);

    build_v2_page(&e, 0);
    rc = pq_page_header_parse(&h, e.b, e.n, &used, err, sizeof err);
    CHECK_EQ_I64(rc, SL_OK);
    CHECK(h.data_v2.is_compressed);
}

static void test_page_header_truncated(void) {
    enc *e = calloc(1, sizeof *e);
    void (*builders[3])(enc *) = {build_data_page, build_dict_page, NULL};
    char err[SL_ERRLEN];
    int bad = 0;
    for (int k = 0; k < 3; k++) {
        if (builders[k])
            builders[k](e);
        else
            build_v2_page(e, 1);
        for (size_t n = 0; n < e->n; n++) {
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, e->b, n);
            pq_page_header h;
            size_t used = 99;
            int rc = pq_page_header_parse(&h, p, n, &used, err, sizeof err);
            if (rc != PQ_TRUNCATED) {
                fprintf(stderr, "  page %d prefix %zu: rc %d: %s\n", k, n, rc, err);
                bad++;
            }
            free(p);
        }
    }
    CHECK_EQ_I64(bad, 0);
    free(e);
}

static void test_page_header_corrupt(void) {
    char err[SL_ERRLEN];
    pq_page_header h;
    size_t used;
    enc e;
    /* negative compressed size */
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, PQ_PAGE_DATA);
    f_i32(&e, 2, 10);
    f_i32(&e, 3, -10);
    CHECK_EQ_I64(pq_page_header_parse(&h, e.b, e.n, &used, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "PageHeader: field 3 (compressed_page_size)") == err);
    /* data page without data_page_header */
    memset(&e, 0, sizeof e);
    f_i32(&e, 1, PQ_PAGE_DATA);
    f_i32(&e, 2, 10);
    f_i32(&e, 3, 10);
    put(&e, 0);
    CHECK_EQ_I64(pq_page_header_parse(&h, e.b, e.n, &used, err, sizeof err), SL_ERR_CORRUPT);
    CHECK(strstr(err, "data_page_header") != NULL);
    /* invalid type byte */
    uint8_t bad[] = {0x1f, 0x00};
    CHECK_EQ_I64(pq_page_header_parse(&h, bad, sizeof bad, &used, err, sizeof err), SL_ERR_CORRUPT);
}

static void test_names(void) {
    CHECK_EQ_STR(pq_type_name(PQ_INT64), "INT64");
    CHECK_EQ_STR(pq_type_name((pq_type)42), "UNKNOWN");
    CHECK_EQ_STR(pq_encoding_name(PQ_ENC_RLE_DICTIONARY), "RLE_DICTIONARY");
    CHECK_EQ_STR(pq_encoding_name((pq_encoding)99), "UNKNOWN");
    CHECK_EQ_STR(pq_codec_name(PQ_CODEC_ZSTD), "ZSTD");
    CHECK_EQ_STR(pq_codec_name(PQ_CODEC_LZ4_RAW), "LZ4_RAW");
    CHECK_EQ_STR(pq_converted_name(PQ_CT_INTERVAL), "INTERVAL");
    CHECK_EQ_STR(pq_converted_name(PQ_CT_TIMESTAMP_MICROS), "TIMESTAMP_MICROS");
    CHECK_EQ_STR(pq_converted_name(PQ_CT_NONE), "NONE");
    CHECK_EQ_STR(pq_repetition_name(PQ_REPEATED), "REPEATED");
    CHECK_EQ_STR(pq_page_type_name(PQ_PAGE_DATA_V2), "DATA_PAGE_V2");
    CHECK_EQ_STR(pq_page_type_name(PQ_PAGE_DICTIONARY), "DICTIONARY_PAGE");
}

static void test_alltypes_plain(void) {
    const char *path = "/work/shared/data/parquet-testing/alltypes_plain.parquet";
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("skip test_alltypes_plain: %s not found\n", path);
        return;
    }
    uint8_t tail[8];
    CHECK(fseek(f, -8, SEEK_END) == 0);
    long end = ftell(f);
    CHECK(fread(tail, 1, 8, f) == 8);
    CHECK(memcmp(tail + 4, "PAR1", 4) == 0);
    uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 | (uint32_t)tail[3] << 24;
    CHECK(flen > 0 && (long)flen <= end);
    if (!(flen > 0 && (long)flen <= end)) {
        fclose(f);
        return;
    }
    uint8_t *buf = malloc(flen);
    CHECK(fseek(f, end - (long)flen, SEEK_SET) == 0);
    CHECK(fread(buf, 1, flen, f) == flen);
    fclose(f);
    pq_meta *m = NULL;
    char err[SL_ERRLEN];
    sl_err rc = pq_meta_parse(&m, buf, flen, err, sizeof err);
    if (rc) fprintf(stderr, "  %s\n", err);
    CHECK_EQ_I64(rc, SL_OK);
    if (m) {
        CHECK_EQ_I64(m->num_rows, 8);
        CHECK_EQ_I64(m->n_schema, 12);
        if (m->n_schema == 12) {
            CHECK_EQ_I64(m->schema[0].num_children, 11);
            CHECK_EQ_STR(m->schema[1].name, "id");
            CHECK_EQ_I64(m->schema[1].type, PQ_INT32);
        }
        CHECK_EQ_I64(m->n_row_groups, 1);
        if (m->n_row_groups == 1) {
            CHECK_EQ_I64(m->row_groups[0].n_columns, 11);
            CHECK_EQ_I64(m->row_groups[0].num_rows, 8);
            if (m->row_groups[0].n_columns >= 1) {
                const pq_column_meta *cm = &m->row_groups[0].columns[0].meta;
                CHECK(cm->n_path == 1 && strcmp(cm->path[0], "id") == 0);
                CHECK_EQ_I64(cm->num_values, 8);
            }
        }
    }
    pq_meta_free(m);
    free(buf);
}

int main(void) {
    RUN(test_footer);
    RUN(test_footer_unknown_fields);
    RUN(test_footer_truncated);
    RUN(test_error_message);
    RUN(test_missing_required);
    RUN(test_huge_list);
    RUN(test_deep_nesting);
    RUN(test_bad_varint);
    RUN(test_page_headers);
    RUN(test_page_header_truncated);
    RUN(test_page_header_corrupt);
    RUN(test_names);
    RUN(test_alltypes_plain);
    return T_DONE();
}
