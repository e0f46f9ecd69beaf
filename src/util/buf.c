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
