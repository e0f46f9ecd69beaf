#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sl_err_name(sl_err e) {
    switch (e) {
    case SL_OK: return "ok";
    case SL_ERR_IO: return "io";
    case SL_ERR_CORRUPT: return "corrupt";
    case SL_ERR_UNSUPPORTED: return "unsupported";
    case SL_ERR_NOMEM: return "nomem";
    case SL_ERR_ARG: return "arg";
    case SL_ERR_CHECKSUM: return "checksum";
    case SL_ERR_CODEC: return "codec";
    case SL_ERR_NOTFOUND: return "notfound";
    }
    return "unknown";
}

sl_err sl_err_set(char *err, size_t errlen, sl_err code, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

void sl_err_prefix(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    char pre[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    size_t pl = strlen(pre), ml = strnlen(err, errlen - 1);
    if (pl + 2 >= errlen) return;
    size_t keep = ml;
    if (pl + 2 + keep >= errlen) keep = errlen - pl - 3;
    memmove(err + pl + 2, err, keep);
    memcpy(err, pre, pl);
    err[pl] = ':';
    err[pl + 1] = ' ';
    err[pl + 2 + keep] = '\0';
}

int sl_err_vreport(int exit_code, const char *fmt, va_list ap) {
    fputs("sluice: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return exit_code;
}

int sl_err_report(int exit_code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = sl_err_vreport(exit_code, fmt, ap);
    va_end(ap);
    return r;
}
