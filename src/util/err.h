/* err.h: error codes and the caller-provided error buffer convention.
 *
 * Every fallible function in sluice returns an sl_err (SL_OK == 0) and, on
 * failure, writes a human-readable message into a caller-provided buffer
 * (char *err, size_t errlen).  The buffer may be NULL when errlen is 0.
 * Messages never end with a newline; callers add context with sl_err_prefix().
 */
#ifndef SL_ERR_H
#define SL_ERR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum sl_err {
    SL_OK = 0,
    SL_ERR_IO = -1,          /* open/read/write failed (errno text in message) */
    SL_ERR_CORRUPT = -2,     /* malformed input: bad magic, bad thrift, bad sizes */
    SL_ERR_UNSUPPORTED = -3, /* valid input using a feature sluice does not read */
    SL_ERR_NOMEM = -4,       /* allocation failed */
    SL_ERR_ARG = -5,         /* bad argument from the caller/user */
    SL_ERR_CHECKSUM = -6,    /* page CRC mismatch */
    SL_ERR_CODEC = -7,       /* decompression failed */
    SL_ERR_NOTFOUND = -8     /* named thing (column, file) does not exist */
} sl_err;

/* Short stable name of an error code, e.g. "corrupt". */
const char *sl_err_name(sl_err e);

/* Format a message into err (printf-style) and return code. Safe with err==NULL. */
sl_err sl_err_set(char *err, size_t errlen, sl_err code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Prepend "prefix: " to the message already in err (printf-style prefix). */
void sl_err_prefix(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A command's error line: "sluice: <message>" on stderr; returns exit_code
 * (for `return sl_err_report(1, "...")` in a command's front). */
int sl_err_report(int exit_code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int sl_err_vreport(int exit_code, const char *fmt, va_list ap)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;

#define SL_ERRLEN 512

#endif
