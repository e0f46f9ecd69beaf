/* thrift.c: bounds-checked Thrift compact protocol reader (see thrift.h). */
#include "parquet/thrift.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pq_thrift_init(pq_thrift *t, const uint8_t *buf, size_t len, const char *what, char *err,
                    size_t errlen) {
    t->buf = buf;
    t->len = buf ? len : 0;
    t->pos = 0;
    t->what = what;
    t->truncated = false;
    t->nframes = 0;
    t->err = err;
    t->errlen = errlen;
}

const char *pq_thrift_type_name(int type) {
    switch (type) {
    case PQ_THRIFT_STOP: return "stop";
    case PQ_THRIFT_TRUE:
    case PQ_THRIFT_FALSE: return "bool";
    case PQ_THRIFT_BYTE: return "byte";
    case PQ_THRIFT_I16: return "i16";
    case PQ_THRIFT_I32: return "i32";
    case PQ_THRIFT_I64: return "i64";
    case PQ_THRIFT_DOUBLE: return "double";
    case PQ_THRIFT_BINARY: return "binary";
    case PQ_THRIFT_LIST: return "list";
    case PQ_THRIFT_SET: return "set";
    case PQ_THRIFT_MAP: return "map";
    case PQ_THRIFT_STRUCT: return "struct";
    }
    return "invalid";
}

/* Append printf output at *off, never overrunning cap. */
static void app(char *buf, size_t cap, size_t *off, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void app(char *buf, size_t cap, size_t *off, const char *fmt, ...) {
    if (*off >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    *off += (size_t)n;
    if (*off >= cap) *off = cap - 1;
}

sl_err pq_thrift_fail(pq_thrift *t, sl_err code, const char *fmt, ...) {
    if (!t->err || !t->errlen) return code;
    size_t off = 0;
    t->err[0] = '\0';
    for (int i = 0; i < t->nframes; i++) {
        const pq_thrift_frame *f = &t->frames[i];
        app(t->err, t->errlen, &off, "%s%s", i ? "." : "", f->name);
        if (f->index >= 0) app(t->err, t->errlen, &off, "[%lld]", (long long)f->index);
    }
    if (t->nframes > 0) {
        const pq_thrift_frame *f = &t->frames[t->nframes - 1];
        if (f->in_field) {
            if (f->field_name)
                app(t->err, t->errlen, &off, ": field %d (%s)", f->field_id, f->field_name);
            else
                app(t->err, t->errlen, &off, ": field %d (unknown, skipping)", f->field_id);
        }
        app(t->err, t->errlen, &off, ": ");
    }
    if (off < t->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->err + off, t->errlen - off, fmt, ap);
        va_end(ap);
    }
    return code;
}

sl_err pq_thrift_fail_short(pq_thrift *t, const char *what, size_t start) {
    t->truncated = true;
    return pq_thrift_fail(t, SL_ERR_CORRUPT, "%s runs past end of %s (offset %zu of %zu)", what,
                          t->what, start, t->len);
}

sl_err pq_thrift_struct_begin(pq_thrift *t, const char *name, int64_t index) {
    if (t->nframes >= PQ_THRIFT_MAX_FRAMES)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "structs nested too deeply at offset %zu", t->pos);
    pq_thrift_frame *f = &t->frames[t->nframes++];
    f->name = name;
    f->index = index;
    f->last_id = 0;
    f->in_field = false;
    f->field_id = 0;
    f->field_name = NULL;
    return SL_OK;
}

static sl_err varint_at(pq_thrift *t, uint64_t *out, const char *what) {
    size_t start = t->pos;
    uint64_t v = 0;
    unsigned shift = 0;
    *out = 0;
    for (;;) {
        if (t->pos >= t->len) return pq_thrift_fail_short(t, what, start);
        uint8_t b = t->buf[t->pos++];
        if (shift == 63 && b > 1)
            return pq_thrift_fail(t, SL_ERR_CORRUPT, "%s overflows 64 bits (offset %zu)", what, start);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
    }
    *out = v;
    return SL_OK;
}

sl_err pq_thrift_read_varint(pq_thrift *t, uint64_t *v) { return varint_at(t, v, "varint"); }

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

sl_err pq_thrift_read_int(pq_thrift *t, int type, int64_t *v) {
    switch (type) {
    case PQ_THRIFT_BYTE:
        if (t->pos >= t->len) return pq_thrift_fail_short(t, "byte", t->pos);
        *v = (int8_t)t->buf[t->pos++];
        return SL_OK;
    case PQ_THRIFT_I16:
    case PQ_THRIFT_I32:
    case PQ_THRIFT_I64: {
        uint64_t u = 0;
        sl_err e = varint_at(t, &u, "varint");
        if (e) return e;
        *v = unzigzag(u);
        return SL_OK;
    }
    }
    return pq_thrift_fail(t, SL_ERR_CORRUPT, "expected an integer, got %s (offset %zu)",
                          pq_thrift_type_name(type), t->pos);
}

sl_err pq_thrift_read_binary(pq_thrift *t, const uint8_t **p, uint32_t *n) {
    size_t start = t->pos;
    uint64_t u = 0;
    sl_err e = varint_at(t, &u, "binary length");
    if (e) return e;
    if (u > INT32_MAX)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "binary length %llu is negative or too large (offset %zu)",
                              (unsigned long long)u, start);
    if (u > t->len - t->pos) {
        t->pos = start;
        return pq_thrift_fail_short(t, "binary value", start);
    }
    *p = t->buf + t->pos;
    *n = (uint32_t)u;
    t->pos += (size_t)u;
    return SL_OK;
}

sl_err pq_thrift_field(pq_thrift *t, int *type, int16_t *id) {
    pq_thrift_frame *f = &t->frames[t->nframes - 1];
    f->in_field = false;
    f->field_name = NULL;
    size_t start = t->pos;
    if (t->pos >= t->len) return pq_thrift_fail_short(t, "field header", start);
    uint8_t b = t->buf[t->pos++];
    int ty = b & 0x0f;
    if (ty == PQ_THRIFT_STOP) {
        *type = PQ_THRIFT_STOP;
        *id = 0;
        return SL_OK;
    }
    int32_t fid;
    if (b >> 4) {
        fid = (int32_t)f->last_id + (b >> 4);
    } else {
        uint64_t u = 0;
        sl_err e = varint_at(t, &u, "field id");
        if (e) return e;
        int64_t v = unzigzag(u);
        if (v < INT16_MIN || v > INT16_MAX)
            return pq_thrift_fail(t, SL_ERR_CORRUPT, "field id %lld out of range (offset %zu)", (long long)v,
                                  start);
        fid = (int32_t)v;
    }
    if (fid > INT16_MAX)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "field id %ld out of range (offset %zu)", (long)fid, start);
    f->last_id = (int16_t)fid;
    f->in_field = true;
    f->field_id = (int16_t)fid;
    if (ty > PQ_THRIFT_STRUCT)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid field type %d (offset %zu)", ty, start);
    *type = ty;
    *id = (int16_t)fid;
    return SL_OK;
}

sl_err pq_thrift_read_list(pq_thrift *t, int *elem_type, uint32_t *n) {
    size_t start = t->pos;
    if (t->pos >= t->len) return pq_thrift_fail_short(t, "list header", start);
    uint8_t b = t->buf[t->pos++];
    uint64_t size = b >> 4;
    int et = b & 0x0f;
    if (size == 15) {
        sl_err e = varint_at(t, &size, "list size");
        if (e) return e;
        if (size > INT32_MAX)
            return pq_thrift_fail(t, SL_ERR_CORRUPT, "list size %llu is negative or too large (offset %zu)",
                                  (unsigned long long)size, start);
    }
    if (et == PQ_THRIFT_STOP || et > PQ_THRIFT_STRUCT)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid list element type %d (offset %zu)", et, start);
    if (size > t->len - t->pos) {
        t->truncated = true;
        return pq_thrift_fail(t, SL_ERR_CORRUPT,
                              "list of %llu elements runs past end of %s (offset %zu of %zu, %zu bytes left)",
                              (unsigned long long)size, t->what, start, t->len, t->len - t->pos);
    }
    *elem_type = et;
    *n = (uint32_t)size;
    return SL_OK;
}

sl_err pq_thrift_read_bool_elem(pq_thrift *t, bool *v) {
    if (t->pos >= t->len) return pq_thrift_fail_short(t, "bool", t->pos);
    uint8_t b = t->buf[t->pos];
    if (b > 2) return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid bool byte %u (offset %zu)", b, t->pos);
    t->pos++;
    *v = b == 1;
    return SL_OK;
}

static sl_err skip(pq_thrift *t, int type, bool elem, int depth) {
    if (depth > PQ_THRIFT_MAX_DEPTH)
        return pq_thrift_fail(t, SL_ERR_CORRUPT, "values nested deeper than %d (offset %zu)",
                              PQ_THRIFT_MAX_DEPTH, t->pos);
    sl_err e;
    switch (type) {
    case PQ_THRIFT_TRUE:
    case PQ_THRIFT_FALSE:
        if (elem) {
            bool b = false;
            return pq_thrift_read_bool_elem(t, &b);
        }
        return SL_OK;
    case PQ_THRIFT_BYTE:
        if (t->pos >= t->len) return pq_thrift_fail_short(t, "byte", t->pos);
        t->pos++;
        return SL_OK;
    case PQ_THRIFT_I16:
    case PQ_THRIFT_I32:
    case PQ_THRIFT_I64: {
        uint64_t u = 0;
        return varint_at(t, &u, "varint");
    }
    case PQ_THRIFT_DOUBLE:
        if (t->len - t->pos < 8) return pq_thrift_fail_short(t, "double", t->pos);
        t->pos += 8;
        return SL_OK;
    case PQ_THRIFT_BINARY: {
        const uint8_t *p = NULL;
        uint32_t n = 0;
        return pq_thrift_read_binary(t, &p, &n);
    }
    case PQ_THRIFT_LIST:
    case PQ_THRIFT_SET: {
        int et = 0;
        uint32_t n = 0;
        if ((e = pq_thrift_read_list(t, &et, &n))) return e;
        for (uint32_t i = 0; i < n; i++)
            if ((e = skip(t, et, true, depth + 1))) return e;
        return SL_OK;
    }
    case PQ_THRIFT_MAP: {
        size_t start = t->pos;
        uint64_t n = 0;
        if ((e = varint_at(t, &n, "map size"))) return e;
        if (n > INT32_MAX)
            return pq_thrift_fail(t, SL_ERR_CORRUPT, "map size %llu is negative or too large (offset %zu)",
                                  (unsigned long long)n, start);
        if (n == 0) return SL_OK;
        if (t->pos >= t->len) return pq_thrift_fail_short(t, "map header", start);
        uint8_t kv = t->buf[t->pos++];
        int kt = kv >> 4, vt = kv & 0x0f;
        if (kt == PQ_THRIFT_STOP || kt > PQ_THRIFT_STRUCT || vt == PQ_THRIFT_STOP || vt > PQ_THRIFT_STRUCT)
            return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid map key/value types %d/%d (offset %zu)", kt, vt,
                                  start);
        if (n > (t->len - t->pos) / 2) {
            t->truncated = true;
            return pq_thrift_fail(t, SL_ERR_CORRUPT,
                                  "map of %llu entries runs past end of %s (offset %zu of %zu)",
                                  (unsigned long long)n, t->what, start, t->len);
        }
        for (uint64_t i = 0; i < n; i++) {
            if ((e = skip(t, kt, true, depth + 1))) return e;
            if ((e = skip(t, vt, true, depth + 1))) return e;
        }
        return SL_OK;
    }
    case PQ_THRIFT_STRUCT: {
        int16_t last = 0;
        for (;;) {
            size_t start = t->pos;
            if (t->pos >= t->len) return pq_thrift_fail_short(t, "field header", start);
            uint8_t b = t->buf[t->pos++];
            int ft = b & 0x0f;
            if (ft == PQ_THRIFT_STOP) return SL_OK;
            int32_t fid;
            if (b >> 4) {
                fid = last + (b >> 4);
            } else {
                uint64_t u = 0;
                if ((e = varint_at(t, &u, "field id"))) return e;
                int64_t v = unzigzag(u);
                if (v < INT16_MIN || v > INT16_MAX)
                    return pq_thrift_fail(t, SL_ERR_CORRUPT, "field id %lld out of range (offset %zu)",
                                          (long long)v, start);
                fid = (int32_t)v;
            }
            if (fid > INT16_MAX)
                return pq_thrift_fail(t, SL_ERR_CORRUPT, "field id %ld out of range (offset %zu)", (long)fid,
                                      start);
            if (ft > PQ_THRIFT_STRUCT)
                return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid field type %d (offset %zu)", ft, start);
            last = (int16_t)fid;
            if ((e = skip(t, ft, false, depth + 1))) return e;
        }
    }
    }
    return pq_thrift_fail(t, SL_ERR_CORRUPT, "invalid type %d (offset %zu)", type, t->pos);
}

sl_err pq_thrift_skip_field(pq_thrift *t, int type) { return skip(t, type, false, t->nframes); }
