/* wire.h: a small binary encoding for saved state (a window's contribution,
 * a checkpoint): fixed-width little-endian numbers and length-prefixed
 * strings appended to an sl_buf, read back with bounds checks.
 *
 *   sl_buf b; sl_buf_init(&b);
 *   sl_w_u32(&b, 2); sl_w_str(&b, "abc", 3); sl_w_f64(&b, 0.5);
 *   sl_rd r = sl_rd_of(b.p, b.len);
 *   uint32_t n = sl_r_u32(&r); sl_rstr s = sl_r_str(&r); double x = sl_r_f64(&r);
 *   if (r.bad) corrupt();   // any read past the end sets bad and returns 0 / ""
 *
 * Writes go through sl_buf (its sticky oom flag reports a failed append).
 * The byte order is the host's only on little-endian machines, which is what
 * sluice builds for; the format is for state that this build reads back. */
#ifndef SL_WIRE_H
#define SL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

static inline void sl_w_u8(sl_buf *b, uint8_t v) { sl_buf_put(b, &v, 1); }
static inline void sl_w_u32(sl_buf *b, uint32_t v) { sl_buf_put(b, &v, 4); }
static inline void sl_w_i32(sl_buf *b, int32_t v) { sl_buf_put(b, &v, 4); }
static inline void sl_w_i64(sl_buf *b, int64_t v) { sl_buf_put(b, &v, 8); }
static inline void sl_w_f64(sl_buf *b, double v) { sl_buf_put(b, &v, 8); }
/* Unsigned LEB128: 7 bits a byte, low bits first, the high bit says more follow. */
static inline void sl_w_varint(sl_buf *b, uint64_t v) {
    uint8_t t[10];
    size_t k = 0;
    while (v >= 0x80) {
        t[k++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[k++] = (uint8_t)v;
    sl_buf_put(b, t, k);
}
static inline void sl_w_str(sl_buf *b, const char *p, uint32_t len) {
    sl_w_u32(b, len);
    if (len) sl_buf_put(b, p, len);
}

typedef struct sl_rd {
    const char *p;
    size_t len, off;
    bool bad; /* a read went past the end */
} sl_rd;

static inline sl_rd sl_rd_of(const void *p, size_t len) { return (sl_rd){(const char *)p, len, 0, false}; }
static inline bool sl_r_take(sl_rd *r, void *out, size_t n) {
    if (r->bad || r->len - r->off < n) {
        r->bad = true;
        memset(out, 0, n);
        return false;
    }
    memcpy(out, r->p + r->off, n);
    r->off += n;
    return true;
}
static inline uint8_t sl_r_u8(sl_rd *r) {
    uint8_t v;
    sl_r_take(r, &v, 1);
    return v;
}
static inline uint32_t sl_r_u32(sl_rd *r) {
    uint32_t v;
    sl_r_take(r, &v, 4);
    return v;
}
static inline int32_t sl_r_i32(sl_rd *r) {
    int32_t v;
    sl_r_take(r, &v, 4);
    return v;
}
static inline int64_t sl_r_i64(sl_rd *r) {
    int64_t v;
    sl_r_take(r, &v, 8);
    return v;
}
static inline double sl_r_f64(sl_rd *r) {
    double v;
    sl_r_take(r, &v, 8);
    return v;
}
/* A string view into the buffer (valid while it is). */
typedef struct sl_rstr {
    const char *p;
    uint32_t len;
} sl_rstr;
static inline sl_rstr sl_r_str(sl_rd *r) {
    uint32_t n = sl_r_u32(r);
    if (r->bad || r->len - r->off < n) {
        r->bad = true;
        return (sl_rstr){"", 0};
    }
    sl_rstr s = {r->p + r->off, n};
    r->off += n;
    return s;
}
/* A count of items each at least min_bytes long: bad when the rest cannot hold them. */
static inline uint32_t sl_r_count(sl_rd *r, size_t min_bytes) {
    uint32_t n = sl_r_u32(r);
    if (!r->bad && min_bytes && (r->len - r->off) / min_bytes < n) r->bad = true;
    return r->bad ? 0 : n;
}

#endif
