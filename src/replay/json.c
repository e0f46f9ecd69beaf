#include "replay/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256

void rp_json_init(rp_json *j) { memset(j, 0, sizeof *j); }

void rp_json_free(rp_json *j) {
    free(j->kv);
    free(j->scratch);
    memset(j, 0, sizeof *j);
}

typedef struct P {
    const char *s;
    size_t n, i;
    char *out; /* scratch write pointer */
    const char *why;
    size_t at;
} P;

static inline void ws(P *p) {
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') p->i++;
        else break;
    }
}

static bool fail(P *p, const char *why) {
    if (!p->why) {
        p->why = why;
        p->at = p->i;
    }
    return false;
}

static int hexv(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static bool hex4(P *p, size_t at, unsigned *v) {
    if (at + 4 > p->n) return false;
    unsigned x = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexv(p->s[at + k]);
        if (h < 0) return false;
        x = x << 4 | (unsigned)h;
    }
    *v = x;
    return true;
}

static char *put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) *o++ = (char)cp;
    else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* String at p->i (the opening quote).  unescape: write the value to the
 * scratch (only when it has escapes; else *v points into the line). */
static bool string(P *p, bool unescape, const char **v, size_t *vlen) {
    p->i++;
    size_t st = p->i;
    /* fast scan to the first quote, backslash or control byte */
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"' || c == '\\' || c < 0x20) break;
        p->i++;
    }
    if (p->i >= p->n) return fail(p, "unterminated string");
    if (p->s[p->i] == '"') {
        if (v) {
            *v = p->s + st;
            *vlen = p->i - st;
        }
        p->i++;
        return true;
    }
    char *o0 = p->out, *o = p->out;
    if (unescape) {
        memcpy(o, p->s + st, p->i - st);
        o += p->i - st;
    }
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            p->i++;
            if (unescape) {
                *v = o0;
                *vlen = (size_t)(o - o0);
                p->out = o;
            }
            return true;
        }
        if (c < 0x20) return fail(p, "control character in string");
        if (c != '\\') {
            if (unescape) *o++ = (char)c;
            p->i++;
            continue;
        }
        if (p->i + 1 >= p->n) return fail(p, "unterminated string");
        char e = p->s[p->i + 1];
        char r = 0;
        switch (e) {
        case '"': r = '"'; break;
        case '\\': r = '\\'; break;
        case '/': r = '/'; break;
        case 'b': r = '\b'; break;
        case 'f': r = '\f'; break;
        case 'n': r = '\n'; break;
        case 'r': r = '\r'; break;
        case 't': r = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!hex4(p, p->i + 2, &cp)) {
                p->i++;
                return fail(p, "bad \\u escape");
            }
            p->i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->i + 1 < p->n && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u' && hex4(p, p->i + 2, &lo) &&
                    lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p->i += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            if (unescape) o = put_utf8(o, cp);
            continue;
        }
        default: p->i++; return fail(p, "bad escape in string");
        }
        if (unescape) *o++ = r;
        p->i += 2;
    }
    return fail(p, "unterminated string");
}

static bool lit(P *p, const char *w) {
    size_t k = strlen(w);
    if (p->n - p->i >= k && memcmp(p->s + p->i, w, k) == 0) {
        p->i += k;
        return true;
    }
    return false;
}

static bool number(P *p) {
    size_t i = p->i;
    const char *s = p->s;
    size_t n = p->n;
    if (i < n && s[i] == '-') i++;
    if (n - i >= 8 && memcmp(s + i, "Infinity", 8) == 0) {
        p->i = i + 8;
        return true;
    }
    if (i >= n || (unsigned)(s[i] - '0') > 9) return fail(p, "bad number");
    if (s[i] == '0') i++;
    else
        while (i < n && (unsigned)(s[i] - '0') <= 9) i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || (unsigned)(s[i] - '0') > 9) {
            p->i = i;
            return fail(p, "bad number");
        }
        while (i < n && (unsigned)(s[i] - '0') <= 9) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || (unsigned)(s[i] - '0') > 9) {
            p->i = i;
            return fail(p, "bad number");
        }
        while (i < n && (unsigned)(s[i] - '0') <= 9) i++;
    }
    p->i = i;
    return true;
}

/* Skip (validate) a nested value starting at '{' or '['. */
static bool nested(P *p) {
    char stack[MAX_DEPTH];
    int depth = 0;
    for (;;) {
        ws(p);
        if (p->i >= p->n) return fail(p, "unexpected end of line");
        char c = p->s[p->i];
        /* a value */
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH) return fail(p, "nesting too deep");
            stack[depth++] = c;
            p->i++;
            ws(p);
            if (p->i < p->n && p->s[p->i] == (c == '{' ? '}' : ']')) {
                p->i++;
                depth--;
                goto after_value;
            }
            if (c == '{') goto key;
            continue;
        } else if (c == '"') {
            if (!string(p, false, NULL, NULL)) return false;
        } else if (c == 't') {
            if (!lit(p, "true")) return fail(p, "unexpected token");
        } else if (c == 'f') {
            if (!lit(p, "false")) return fail(p, "unexpected token");
        } else if (c == 'n') {
            if (!lit(p, "null")) return fail(p, "unexpected token");
        } else if (c == 'N') {
            if (!lit(p, "NaN")) return fail(p, "unexpected token");
        } else if (c == '-' || c == 'I' || (unsigned)(c - '0') <= 9) {
            if (!number(p)) return false;
        } else {
            return fail(p, "unexpected character");
        }
    after_value:
        if (depth == 0) return true;
        ws(p);
        if (p->i >= p->n) return fail(p, "unexpected end of line");
        c = p->s[p->i];
        if (c == ',') {
            p->i++;
            if (stack[depth - 1] == '{') goto key;
            continue;
        }
        if (c == (stack[depth - 1] == '{' ? '}' : ']')) {
            p->i++;
            depth--;
            goto after_value;
        }
        return fail(p, stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    key:
        ws(p);
        if (p->i >= p->n || p->s[p->i] != '"') return fail(p, "expected a key string");
        if (!string(p, false, NULL, NULL)) return false;
        ws(p);
        if (p->i >= p->n || p->s[p->i] != ':') return fail(p, "expected ':'");
        p->i++;
    }
}

bool rp_json_parse_object(rp_json *j, const char *s, size_t n, char *why, size_t whylen) {
    j->n = 0;
    if (j->scap < n + 1) {
        size_t nc = n + 1 < 4096 ? 4096 : n + 1;
        char *ns = realloc(j->scratch, nc);
        if (!ns) {
            snprintf(why, whylen, "out of memory");
            return false;
        }
        j->scratch = ns;
        j->scap = nc;
    }
    P p = {.s = s, .n = n, .out = j->scratch};
    ws(&p);
    if (p.i >= n || s[p.i] != '{') {
        fail(&p, p.i >= n ? "empty line" : "not a JSON object");
        goto bad;
    }
    p.i++;
    ws(&p);
    if (p.i < n && s[p.i] == '}') {
        p.i++;
        goto end;
    }
    for (;;) {
        ws(&p);
        if (p.i >= n || s[p.i] != '"') {
            fail(&p, "expected a key string");
            goto bad;
        }
        rp_jkv kv;
        memset(&kv, 0, sizeof kv);
        const char *k;
        size_t kl;
        if (!string(&p, true, &k, &kl)) goto bad;
        kv.key = k;
        kv.klen = (uint32_t)kl;
        ws(&p);
        if (p.i >= n || s[p.i] != ':') {
            fail(&p, "expected ':'");
            goto bad;
        }
        p.i++;
        ws(&p);
        if (p.i >= n) {
            fail(&p, "unexpected end of line");
            goto bad;
        }
        size_t v0 = p.i;
        char c = s[p.i];
        if (c == '"') {
            const char *v;
            size_t vl;
            if (!string(&p, true, &v, &vl)) goto bad;
            kv.kind = RP_J_STR;
            kv.val = v;
            kv.vlen = (uint32_t)vl;
        } else if (c == '{' || c == '[') {
            if (!nested(&p)) goto bad;
            kv.kind = RP_J_NESTED;
        } else if (c == 't' && lit(&p, "true")) {
            kv.kind = RP_J_BOOL;
            kv.b = true;
        } else if (c == 'f' && lit(&p, "false")) {
            kv.kind = RP_J_BOOL;
        } else if (c == 'n' && lit(&p, "null")) {
            kv.kind = RP_J_NULL;
        } else if (c == 'N' && lit(&p, "NaN")) {
            kv.kind = RP_J_NUM;
        } else if (c == '-' || c == 'I' || (unsigned)(c - '0') <= 9) {
            if (!number(&p)) goto bad;
            kv.kind = RP_J_NUM;
        } else {
            fail(&p, "unexpected character");
            goto bad;
        }
        kv.raw = s + v0;
        kv.rawlen = (uint32_t)(p.i - v0);
        if (kv.kind == RP_J_NUM || kv.kind == RP_J_BOOL) {
            kv.val = kv.raw;
            kv.vlen = kv.rawlen;
        }
        if (j->n == j->cap) {
            size_t nc = j->cap ? j->cap * 2 : 32;
            rp_jkv *nk = realloc(j->kv, nc * sizeof *nk);
            if (!nk) {
                snprintf(why, whylen, "out of memory");
                return false;
            }
            j->kv = nk;
            j->cap = nc;
        }
        j->kv[j->n++] = kv;
        ws(&p);
        if (p.i < n && s[p.i] == ',') {
            p.i++;
            continue;
        }
        if (p.i < n && s[p.i] == '}') {
            p.i++;
            break;
        }
        fail(&p, p.i >= n ? "unexpected end of line" : "expected ',' or '}'");
        goto bad;
    }
end:
    ws(&p);
    if (p.i != n) {
        fail(&p, "unexpected text after the object");
        goto bad;
    }
    return true;
bad:
    snprintf(why, whylen, "%s at column %zu", p.why ? p.why : "syntax error", p.at + 1);
    return false;
}
