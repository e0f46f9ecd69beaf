/* thrift_w.c: Thrift compact-protocol encoder. */
#include "parquet/thrift_w.h"

#include <string.h>
#include "util/wire.h"

void pq_tw_init(pq_tw *w, sl_buf *out) {
    memset(w, 0, sizeof *w);
    w->out = out;
}

void pq_tw_varint(pq_tw *w, uint64_t v) { sl_w_varint(w->out, v); }

void pq_tw_zigzag(pq_tw *w, int64_t v) { pq_tw_varint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

void pq_tw_bytes(pq_tw *w, const void *p, size_t n) {
    pq_tw_varint(w, n);
    sl_buf_put(w->out, p, n);
}

void pq_tw_field_header(pq_tw *w, int16_t id, int type) {
    int16_t *last = w->depth > 0 ? &w->last[w->depth - 1] : NULL;
    int delta = last ? id - *last : 0;
    if (last && delta > 0 && delta <= 15) {
        sl_buf_putc(w->out, (char)(uint8_t)((delta << 4) | type));
    } else {
        sl_buf_putc(w->out, (char)(uint8_t)type);
        pq_tw_zigzag(w, id);
    }
    if (last) *last = id;
}

void pq_tw_i32(pq_tw *w, int16_t id, int32_t v) {
    pq_tw_field_header(w, id, PQ_THRIFT_I32);
    pq_tw_zigzag(w, v);
}

void pq_tw_i16(pq_tw *w, int16_t id, int16_t v) {
    pq_tw_field_header(w, id, PQ_THRIFT_I16);
    pq_tw_zigzag(w, v);
}

void pq_tw_i64(pq_tw *w, int16_t id, int64_t v) {
    pq_tw_field_header(w, id, PQ_THRIFT_I64);
    pq_tw_zigzag(w, v);
}

void pq_tw_bool(pq_tw *w, int16_t id, bool v) { pq_tw_field_header(w, id, v ? PQ_THRIFT_TRUE : PQ_THRIFT_FALSE); }

void pq_tw_binary(pq_tw *w, int16_t id, const void *p, size_t n) {
    pq_tw_field_header(w, id, PQ_THRIFT_BINARY);
    pq_tw_bytes(w, p, n);
}

void pq_tw_string(pq_tw *w, int16_t id, const char *s) { pq_tw_binary(w, id, s, strlen(s)); }

void pq_tw_struct_begin(pq_tw *w) {
    if (w->depth >= PQ_TW_MAX_DEPTH) {
        w->overflow = true;
        return;
    }
    w->last[w->depth++] = 0;
}

void pq_tw_field_struct(pq_tw *w, int16_t id) {
    pq_tw_field_header(w, id, PQ_THRIFT_STRUCT);
    pq_tw_struct_begin(w);
}

void pq_tw_struct_end(pq_tw *w) {
    sl_buf_putc(w->out, PQ_THRIFT_STOP);
    if (w->depth > 0 && !w->overflow) w->depth--;
}

void pq_tw_field_list(pq_tw *w, int16_t id, int elem_type, uint32_t n) {
    pq_tw_field_header(w, id, PQ_THRIFT_LIST);
    if (n < 15) {
        sl_buf_putc(w->out, (char)(uint8_t)((n << 4) | (uint32_t)elem_type));
    } else {
        sl_buf_putc(w->out, (char)(uint8_t)(0xF0 | elem_type));
        pq_tw_varint(w, n);
    }
}

bool pq_tw_ok(const pq_tw *w) { return !w->out->oom && !w->overflow && w->depth == 0; }
