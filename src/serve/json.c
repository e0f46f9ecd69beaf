#include "serve/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void sv_json_init(sv_json *j, sl_buf *b) {
    memset(j, 0, sizeof *j);
    j->b = b;
    j->first[0] = true;
}

/* Before any value: the comma (or nothing after a key). */
static void pre_value(sv_json *j) {
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->in_obj[j->depth]) { /* a value inside an object needs a key */
        j->bad = true;
        return;
    }
    if (j->depth == 0 && !j->first[0]) { /* a second top-level value */
        j->bad = true;
        return;
    }
    if (!j->first[j->depth]) sl_buf_putc(j->b, ',');
    j->first[j->depth] = false;
}

static void open_c(sv_json *j, char c, bool obj) {
    pre_value(j);
    if (j->depth >= SV_JSON_MAX_DEPTH) {
        j->bad = true;
        return;
    }
    sl_buf_putc(j->b, c);
    j->depth++;
    j->first[j->depth] = true;
    j->in_obj[j->depth] = obj;
}

static void close_c(sv_json *j, char c, bool obj) {
    if (j->depth == 0 || j->in_obj[j->depth] != obj || j->after_key) {
        j->bad = true;
        return;
    }
    sl_buf_putc(j->b, c);
    j->depth--;
}

void sv_json_obj(sv_json *j) { open_c(j, '{', true); }
void sv_json_obj_end(sv_json *j) { close_c(j, '}', true); }
void sv_json_arr(sv_json *j) { open_c(j, '[', false); }
void sv_json_arr_end(sv_json *j) { close_c(j, ']', false); }

void sv_json_key(sv_json *j, const char *k) {
    if (!j->in_obj[j->depth] || j->after_key || j->depth == 0) {
        j->bad = true;
        return;
    }
    if (!j->first[j->depth]) sl_buf_putc(j->b, ',');
    j->first[j->depth] = false;
    sv_json_escape(j->b, k, strlen(k));
    sl_buf_putc(j->b, ':');
    j->after_key = true;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F; /* <= U+10FFFF */
    } else
        return 0;
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

void sv_json_escape(sl_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    if (!sl_buf_reserve(b, n + 2)) return;
    sl_buf_putc(b, '"');
    size_t i = 0, run = 0; /* run: bytes at p+i-run.. that need no escaping */
    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_len(p + i, n - i);
            if (l) {
                i += l;
                run += l;
                continue;
            }
        }
        sl_buf_put(b, p + i - run, run);
        run = 0;
        switch (c) {
        case '"': sl_buf_put(b, "\\\"", 2); break;
        case '\\': sl_buf_put(b, "\\\\", 2); break;
        case '\n': sl_buf_put(b, "\\n", 2); break;
        case '\r': sl_buf_put(b, "\\r", 2); break;
        case '\t': sl_buf_put(b, "\\t", 2); break;
        case '\b': sl_buf_put(b, "\\b", 2); break;
        case '\f': sl_buf_put(b, "\\f", 2); break;
        default:
            if (c < 0x20) {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sl_buf_put(b, u, 6);
            } else {
                sl_buf_put(b, "\xEF\xBF\xBD", 3); /* invalid UTF-8 byte -> U+FFFD */
            }
        }
        i++;
    }
    sl_buf_put(b, p + i - run, run);
    sl_buf_putc(b, '"');
}

size_t sv_fmt_double(char out[32], double v) {
    if (v == 0) { /* keep the sign of -0, drop "e" forms */
        memcpy(out, signbit(v) ? "-0" : "0", signbit(v) ? 3 : 2);
        return signbit(v) ? 2 : 1;
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v) break;
    }
    return n > 0 ? (size_t)n : 0;
}

void sv_json_str(sv_json *j, const char *s) {
    if (!s) {
        sv_json_null(j);
        return;
    }
    sv_json_strn(j, s, strlen(s));
}

void sv_json_strn(sv_json *j, const char *s, size_t n) {
    pre_value(j);
    sv_json_escape(j->b, s, n);
}

void sv_json_i64(sv_json *j, int64_t v) {
    pre_value(j);
    sl_buf_printf(j->b, "%" PRId64, v);
}

void sv_json_f64(sv_json *j, double v) {
    pre_value(j);
    if (!isfinite(v)) {
        sl_buf_put(j->b, "null", 4);
        return;
    }
    char t[32];
    size_t n = sv_fmt_double(t, v);
    sl_buf_put(j->b, t, n);
}

void sv_json_bool(sv_json *j, bool v) {
    pre_value(j);
    if (v) sl_buf_put(j->b, "true", 4);
    else sl_buf_put(j->b, "false", 5);
}

void sv_json_null(sv_json *j) {
    pre_value(j);
    sl_buf_put(j->b, "null", 4);
}

void sv_json_raw(sv_json *j, const char *s, size_t n) {
    pre_value(j);
    sl_buf_put(j->b, s, n);
}

sl_err sv_json_finish(const sv_json *j, char *err, size_t errlen) {
    if (j->b->oom) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory writing JSON");
    if (j->bad || j->depth != 0 || j->after_key || j->first[0])
        return sl_err_set(err, errlen, SL_ERR_ARG, "internal error: malformed JSON document");
    return SL_OK;
}
