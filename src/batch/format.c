#include "batch/format.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/time.h"

/* ---- dates */

static void put_year(sl_buf *out, int64_t y) {
    if (y >= 0 && y <= 9999) sl_buf_printf(out, "%04d", (int)y);
    else sl_buf_printf(out, "%" PRId64, y);
}

void sl_fmt_date(sl_buf *out, int32_t days) {
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    put_year(out, y);
    sl_buf_printf(out, "-%02u-%02u", m, d);
}

static void put_frac(sl_buf *out, int64_t frac, sl_time_unit unit) {
    if (unit == SL_UNIT_MILLIS) sl_buf_printf(out, ".%03d", (int)frac);
    else if (unit == SL_UNIT_MICROS) sl_buf_printf(out, ".%06d", (int)frac);
    else sl_buf_printf(out, ".%09d", (int)frac);
}

static int64_t unit_per_sec(sl_time_unit u) { return u == SL_UNIT_MILLIS ? 1000 : u == SL_UNIT_MICROS ? 1000000 : 1000000000; }

void sl_fmt_timestamp(sl_buf *out, int64_t v, sl_time_unit unit, bool zulu) {
    int64_t ups = unit_per_sec(unit), frac = sl_floor_mod(v, ups), secs = sl_floor_div(v, ups);
    int64_t sod = sl_floor_mod(secs, 86400), days = sl_floor_div(secs, 86400);
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(days, &y, &m, &d);
    put_year(out, y);
    sl_buf_printf(out, "-%02u-%02uT%02d:%02d:%02d", m, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    put_frac(out, frac, unit);
    if (zulu) sl_buf_putc(out, 'Z');
}

static void fmt_time(sl_buf *out, int64_t v, sl_time_unit unit) {
    int64_t ups = unit_per_sec(unit), frac = sl_floor_mod(v, ups), secs = sl_floor_div(v, ups);
    sl_buf_printf(out, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    put_frac(out, frac, unit);
}

/* ---- numbers */

void sl_fmt_double(sl_buf *out, double v) {
    if (isnan(v)) {
        sl_buf_puts(out, "NaN");
        return;
    }
    if (isinf(v)) {
        sl_buf_puts(out, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (v == 0) {
        sl_buf_puts(out, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
        sl_buf_printf(out, "%" PRId64 ".0", (int64_t)v);
        return;
    }
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    sl_buf_puts(out, tmp);
}

void sl_fmt_float(sl_buf *out, float v) {
    if (isnan(v) || isinf(v) || v == 0 || (fabsf(v) < 1e15f && v == truncf(v))) {
        sl_fmt_double(out, (double)v);
        return;
    }
    char tmp[40];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, (double)v);
        if (strtof(tmp, NULL) == v) break;
    }
    sl_buf_puts(out, tmp);
}

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float f;
    if (exp == 0) {
        f = ldexpf((float)man, -24);
        return sign ? -f : f;
    }
    if (exp == 31) {
        uint32_t bits = sign | 0x7f800000u | (man << 13);
        memcpy(&f, &bits, 4);
        return f;
    }
    uint32_t bits = sign | ((exp + 112) << 23) | (man << 13);
    memcpy(&f, &bits, 4);
    return f;
}

/* Decimal text of a big-endian two's complement integer with `scale` digits after the point. */
static void fmt_decimal_be(sl_buf *out, const uint8_t *be, size_t n, int scale) {
    uint8_t mag[64];
    if (n == 0) {
        sl_buf_puts(out, "0");
        return;
    }
    if (n > sizeof mag) n = sizeof mag; /* precision <= 76 fits in 32 bytes */
    bool neg = be[0] & 0x80;
    memcpy(mag, be, n);
    if (neg) { /* two's complement negate */
        for (size_t i = 0; i < n; i++) mag[i] = (uint8_t)~mag[i];
        for (size_t i = n; i-- > 0;)
            if (++mag[i] != 0) break;
    }
    char digits[200];
    size_t nd = 0;
    size_t start = 0;
    while (start < n && mag[start] == 0) start++;
    while (start < n) {
        unsigned rem = 0;
        for (size_t i = start; i < n; i++) {
            unsigned cur = (rem << 8) | mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
        }
        digits[nd++] = (char)('0' + rem);
        while (start < n && mag[start] == 0) start++;
    }
    while ((int)nd <= scale) digits[nd++] = '0';
    if (neg) sl_buf_putc(out, '-');
    for (size_t i = nd; i-- > 0;) {
        sl_buf_putc(out, digits[i]);
        if ((int)i == scale && scale > 0) sl_buf_putc(out, '.');
    }
}

static void fmt_decimal_i64(sl_buf *out, int64_t v, int scale) {
    uint8_t be[8];
    for (int i = 0; i < 8; i++) be[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    fmt_decimal_be(out, be, 8, scale);
}

/* ---- text */

void sl_fmt_json_str(sl_buf *out, const char *s, size_t n) {
    sl_buf_reserve(out, n + 2);
    sl_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        sl_buf_put(out, s + run, i - run);
        run = i + 1;
        switch (ch) {
        case '"': sl_buf_puts(out, "\\\""); break;
        case '\\': sl_buf_puts(out, "\\\\"); break;
        case '\n': sl_buf_puts(out, "\\n"); break;
        case '\r': sl_buf_puts(out, "\\r"); break;
        case '\t': sl_buf_puts(out, "\\t"); break;
        case '\b': sl_buf_puts(out, "\\b"); break;
        case '\f': sl_buf_puts(out, "\\f"); break;
        default: sl_buf_printf(out, "\\u%04x", ch);
        }
    }
    sl_buf_put(out, s + run, n - run);
    sl_buf_putc(out, '"');
}

static void csv_str(sl_buf *out, const char *s, size_t n) {
    bool q = n == 0;
    for (size_t i = 0; i < n && !q; i++) q = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!q) {
        sl_buf_put(out, s, n);
        return;
    }
    sl_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') sl_buf_putc(out, '"');
        sl_buf_putc(out, s[i]);
    }
    sl_buf_putc(out, '"');
}

static void put_text(sl_buf *out, const char *s, size_t n, sl_fmt_mode mode) {
    if (mode == SL_FMT_JSON) sl_fmt_json_str(out, s, n);
    else if (mode == SL_FMT_CSV) csv_str(out, s, n);
    else sl_buf_put(out, s, n);
}

static void blob_text(sl_buf *t, const uint8_t *p, size_t n) {
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\' && ch != '"' && ch != '\'') sl_buf_putc(t, (char)ch);
        else {
            char e[4] = {'\\', 'x', hx[ch >> 4], hx[ch & 15]};
            sl_buf_put(t, e, 4);
        }
    }
}

/* Text that never needs CSV quoting or JSON escaping (dates, times, NaN):
 * JSON wraps it in quotes, CSV and plain text write it as is. */
static void quote_if_json(sl_buf *out, sl_fmt_mode mode) {
    if (mode == SL_FMT_JSON) sl_buf_putc(out, '"');
}

void sl_fmt_scalar(sl_buf *out, const sl_coltype *t, const void *p, sl_fmt_mode mode) {
    char tmp[64];
    switch (t->type) {
    case SL_BOOL:
        sl_buf_puts(out, *(const uint8_t *)p ? "true" : "false");
        return;
    case SL_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        switch (t->logical) {
        case SL_LOG_DATE:
        case SL_LOG_TIME:
            quote_if_json(out, mode);
            if (t->logical == SL_LOG_DATE) sl_fmt_date(out, v);
            else fmt_time(out, v, t->unit);
            quote_if_json(out, mode);
            return;
        case SL_LOG_DECIMAL: fmt_decimal_i64(out, v, t->scale); return;
        case SL_LOG_INT:
            if (!t->is_signed) {
                uint32_t u = (uint32_t)v;
                if (t->bit_width == 8) u &= 0xff;
                else if (t->bit_width == 16) u &= 0xffff;
                sl_buf_printf(out, "%" PRIu32, u);
                return;
            }
            break;
        default: break;
        }
        sl_buf_printf(out, "%" PRId32, v);
        return;
    }
    case SL_I64: {
        int64_t v;
        memcpy(&v, p, 8);
        switch (t->logical) {
        case SL_LOG_TIMESTAMP:
        case SL_LOG_TIME:
            quote_if_json(out, mode);
            if (t->logical == SL_LOG_TIMESTAMP) sl_fmt_timestamp(out, v, t->unit, true);
            else fmt_time(out, v, t->unit);
            quote_if_json(out, mode);
            return;
        case SL_LOG_DECIMAL: fmt_decimal_i64(out, v, t->scale); return;
        case SL_LOG_INT:
            if (!t->is_signed) {
                sl_buf_printf(out, "%" PRIu64, (uint64_t)v);
                return;
            }
            break;
        default: break;
        }
        sl_buf_printf(out, "%" PRId64, v);
        return;
    }
    case SL_F32:
    case SL_F64: {
        double v;
        if (t->type == SL_F32) {
            float f;
            memcpy(&f, p, 4);
            v = f;
        } else {
            memcpy(&v, p, 8);
        }
        bool special = isnan(v) || isinf(v);
        if (special) quote_if_json(out, mode);
        if (t->type == SL_F32) sl_fmt_float(out, (float)v);
        else sl_fmt_double(out, v);
        if (special) quote_if_json(out, mode);
        return;
    }
    case SL_BYTES: {
        sl_str s;
        memcpy(&s, p, sizeof s);
        const uint8_t *b = (const uint8_t *)s.ptr;
        switch (t->logical) {
        case SL_LOG_STRING:
        case SL_LOG_JSON:
        case SL_LOG_ENUM: put_text(out, s.ptr, s.len, mode); return;
        case SL_LOG_DECIMAL: fmt_decimal_be(out, b, s.len, t->scale); return;
        case SL_LOG_UUID:
            if (s.len == 16) {
                int k = 0;
                for (int i = 0; i < 16; i++) {
                    if (i == 4 || i == 6 || i == 8 || i == 10) tmp[k++] = '-';
                    k += snprintf(tmp + k, sizeof tmp - (size_t)k, "%02x", b[i]);
                }
                put_text(out, tmp, (size_t)k, mode);
                return;
            }
            break;
        case SL_LOG_FLOAT16:
            if (s.len == 2) {
                float f = half_to_float((uint16_t)(b[0] | b[1] << 8));
                sl_fmt_scalar(out, &(sl_coltype){.type = SL_F32}, &f, mode);
                return;
            }
            break;
        case SL_LOG_INTERVAL:
            if (s.len == 12) {
                uint32_t mo, dd, ms;
                memcpy(&mo, b, 4);
                memcpy(&dd, b + 4, 4);
                memcpy(&ms, b + 8, 4);
                int k = snprintf(tmp, sizeof tmp, "%u months %u days %u ms", mo, dd, ms);
                put_text(out, tmp, (size_t)k, mode);
                return;
            }
            break;
        default: break;
        }
        sl_buf d;
        sl_buf_init(&d);
        blob_text(&d, b, s.len);
        put_text(out, d.p ? d.p : "", d.len, mode);
        sl_buf_free(&d);
        return;
    }
    }
}

void sl_fmt_value(sl_buf *out, const sl_col *c, size_t i, sl_fmt_mode mode) {
    if (sl_col_is_null(c, i)) {
        if (mode != SL_FMT_CSV) sl_buf_puts(out, "null");
        return;
    }
    const uint8_t *p = (const uint8_t *)c->data + i * sl_type_width(c->t.type);
    sl_fmt_scalar(out, &c->t, p, mode);
}
