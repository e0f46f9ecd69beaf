#include "util/buf.h"

#include <stdarg.h>
#include <stdlib.h>

void sl_buf_init(sl_buf *b) { memset(b, 0, sizeof *b); }

void sl_buf_free(sl_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

bool sl_buf_reserve(sl_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return true;
    size_t nc = b->cap ? b->cap * 2 : 256;
    while (nc < b->len + extra + 1) nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
        b->oom = true;
        return false;
    }
    b->p = np;
    b->cap = nc;
    return true;
}

void sl_buf_put(sl_buf *b, const void *p, size_t n) {
    if (!n || !sl_buf_reserve(b, n)) return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        sl_buf_put(b, tmp, (size_t)n);
        return;
    }
    if (!sl_buf_reserve(b, (size_t)n + 1)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *sl_buf_cstr(sl_buf *b) {
    if (!sl_buf_reserve(b, 1)) return "";
    b->p[b->len] = '\0';
    return b->p;
}

bool sl_buf_flush(sl_buf *b, FILE *f) {
    bool ok = true;
    if (b->len) ok = fwrite(b->p, 1, b->len, f) == b->len;
    b->len = 0;
    return ok;
}

/* Length of the UTF-8 sequence at s (1..4), 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) k = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) k = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) k = 4, cp = c & 0x07;
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    if (cp >= 0x80 && cp <= 0x9F) return 0; /* C1 controls: escaped */
    return k;
}

void sl_buf_put_escaped(sl_buf *b, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '\\') {
            sl_buf_puts(b, "\\\\");
            i++;
        } else if (c == '\n') {
            sl_buf_puts(b, "\\n");
            i++;
        } else if (c == '\r') {
            sl_buf_puts(b, "\\r");
            i++;
        } else if (c == '\t') {
            sl_buf_puts(b, "\\t");
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            sl_buf_printf(b, "\\x%02X", c);
            i++;
        } else {
            size_t k = utf8_len(s + i, n - i);
            if (k == 0) {
                sl_buf_printf(b, "\\x%02X", c);
                i++;
            } else {
                sl_buf_put(b, s + i, k);
                i += k;
            }
        }
    }
}
