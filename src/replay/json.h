/* json.h: one JSON object per line (JSON Lines), parsed into key/value pairs.
 *
 * Top-level values are classified: null, true/false, number (its text),
 * string (unescaped to UTF-8: all escapes incl. \uXXXX and surrogate pairs;
 * a lone surrogate becomes U+FFFD), or nested object/array (kept as raw
 * text, validated, nesting depth <= 256).  Every value also keeps its raw
 * text (for strings: with the quotes and escapes as written), which is what
 * _extra carries.  Bare NaN, Infinity and -Infinity (Python's json.dumps)
 * are accepted as numbers.  Raw control characters in strings, trailing
 * commas, comments and anything after the closing brace but whitespace are
 * errors.  Views point into the line or into the parser's scratch buffer
 * and are valid until the next parse.
 */
#ifndef RP_JSON_H
#define RP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rp_jkind { RP_J_NULL = 0, RP_J_BOOL, RP_J_NUM, RP_J_STR, RP_J_NESTED } rp_jkind;

typedef struct rp_jkv {
    const char *key;
    uint32_t klen;
    rp_jkind kind;
    bool b;            /* RP_J_BOOL */
    const char *val;   /* RP_J_NUM: number text; RP_J_STR: unescaped; RP_J_BOOL: "true"/"false" */
    uint32_t vlen;
    const char *raw;   /* value as written */
    uint32_t rawlen;
} rp_jkv;

typedef struct rp_json {
    rp_jkv *kv;
    size_t n, cap;
    char *scratch;
    size_t scap;
} rp_json;

void rp_json_init(rp_json *j);
void rp_json_free(rp_json *j);
/* Parse s[0..n) as one object.  true: pairs in j->kv[0..n) in document
 * order (duplicates kept).  false: why (e.g. "expected ':' at column 17")
 * written to why; -1 return never (out of memory reports "out of memory"). */
bool rp_json_parse_object(rp_json *j, const char *s, size_t n, char *why, size_t whylen);

#endif
