/* buf.h: growable byte buffer (owned by the struct; sl_buf_free releases). */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct sl_buf {
    char *p;
    size_t len, cap;
    bool oom; /* sticky: an append failed */
} sl_buf;

void sl_buf_init(sl_buf *b);
void sl_buf_free(sl_buf *b);
bool sl_buf_reserve(sl_buf *b, size_t extra);
void sl_buf_put(sl_buf *b, const void *p, size_t n);
void sl_buf_printf(sl_buf *b, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static inline void sl_buf_putc(sl_buf *b, char c) {
    if (b->len + 1 > b->cap && !sl_buf_reserve(b, 1)) return;
    b->p[b->len++] = c;
}
static inline void sl_buf_puts(sl_buf *b, const char *s) { sl_buf_put(b, s, strlen(s)); }
/* Append n bytes of untrusted input for a message: valid UTF-8 text as is,
 * control characters and DEL escaped (\n, \r, \t, else \xHH), a backslash
 * as \\, bytes that are not UTF-8 as \xHH.  Never appends a raw control
 * character or a NUL. */
void sl_buf_put_escaped(sl_buf *b, const void *p, size_t n);
/* NUL-terminate (not counted in len) and return p ("" when empty). */
const char *sl_buf_cstr(sl_buf *b);
/* Write the buffer to f and empty it; false on write error. */
bool sl_buf_flush(sl_buf *b, FILE *f);

#endif
