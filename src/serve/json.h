/* json.h: a small streaming JSON writer for the HTTP API.
 *
 * Values are appended to a caller-owned sl_buf; commas between members and
 * elements are inserted automatically (nesting up to SV_JSON_MAX_DEPTH).
 * Strings are escaped (", \, control characters) and invalid UTF-8 is
 * replaced by U+FFFD, so the output is always valid UTF-8 JSON.  Doubles
 * print in the shortest form that reads back as the same double; NaN and
 * infinities print as null.  Misuse (a value where a key is due, too deep
 * nesting) and allocation failures are sticky: sv_json_finish reports them.
 */
#ifndef SV_JSON_H
#define SV_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define SV_JSON_MAX_DEPTH 32

typedef struct sv_json {
    sl_buf *b;
    int depth;
    bool bad;                            /* misuse detected */
    bool after_key;                      /* a key was written, its value is due */
    bool first[SV_JSON_MAX_DEPTH + 1];   /* no member/element yet at this depth */
    bool in_obj[SV_JSON_MAX_DEPTH + 1];  /* the container at this depth is an object */
} sv_json;

void sv_json_init(sv_json *j, sl_buf *b);
void sv_json_obj(sv_json *j);
void sv_json_obj_end(sv_json *j);
void sv_json_arr(sv_json *j);
void sv_json_arr_end(sv_json *j);
void sv_json_key(sv_json *j, const char *k);
void sv_json_str(sv_json *j, const char *s); /* NULL -> null */
void sv_json_strn(sv_json *j, const char *s, size_t n);
void sv_json_i64(sv_json *j, int64_t v);
void sv_json_f64(sv_json *j, double v); /* NaN, +-inf -> null */
void sv_json_bool(sv_json *j, bool v);
void sv_json_null(sv_json *j);
/* A value that is already JSON text (e.g. a cached fragment). */
void sv_json_raw(sv_json *j, const char *s, size_t n);

/* key + value shorthands */
static inline void sv_json_kstr(sv_json *j, const char *k, const char *s) { sv_json_key(j, k); sv_json_str(j, s); }
static inline void sv_json_ki64(sv_json *j, const char *k, int64_t v) { sv_json_key(j, k); sv_json_i64(j, v); }
static inline void sv_json_kf64(sv_json *j, const char *k, double v) { sv_json_key(j, k); sv_json_f64(j, v); }
static inline void sv_json_kbool(sv_json *j, const char *k, bool v) { sv_json_key(j, k); sv_json_bool(j, v); }
static inline void sv_json_knull(sv_json *j, const char *k) { sv_json_key(j, k); sv_json_null(j); }

/* SL_OK when the document is complete and well-formed and nothing failed. */
sl_err sv_json_finish(const sv_json *j, char *err, size_t errlen);

/* Append s[0..n) as a quoted, escaped JSON string. */
void sv_json_escape(sl_buf *b, const char *s, size_t n);
/* Shortest decimal text of a finite double that strtod reads back exactly
 * (e.g. "0.1", "1e+300", "17"); returns its length.  out needs 32 bytes. */
size_t sv_fmt_double(char out[32], double v);

#endif
