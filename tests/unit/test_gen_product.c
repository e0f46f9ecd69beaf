/* test_gen_product.c: sluice gen --kind product-events (src/gen/gen_product.c):
 * determinism, exact fault counts, the message shapes (every line parsed by a
 * strict JSON parser below), the type mix and skew, duplicates, late rows,
 * each bad-row kind, options and the CLI front. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "gen/gen_product.h"
#include "t.h"
#include "util/time.h"

/* ------------------------------------------------------------------ a strict JSON parser
 * RFC 8259: one value, no trailing commas, no comments, no NaN, no raw control
 * characters in strings, every escape checked, valid UTF-8 (no overlongs, no
 * surrogates).  Nodes in an array (children as a linked list of indices);
 * strings unescaped into a scratch buffer reserved up front. */

enum { J_NULL = 0, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct jnode {
    int t;
    bool b;
    const char *s; /* J_STR: unescaped; J_NUM: the text */
    size_t n;
    const char *k; /* key, when a member of an object (unescaped) */
    size_t kn;
    int first, last, next;
} jnode;
typedef struct jdoc {
    jnode *v;
    int n, cap;
    char *sp;
    size_t spn, spcap;
} jdoc;

static void jd_free(jdoc *d) {
    free(d->v);
    free(d->sp);
    memset(d, 0, sizeof *d);
}

static int jd_node(jdoc *d, int t) {
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 256;
        d->v = realloc(d->v, (size_t)d->cap * sizeof *d->v);
    }
    jnode *x = &d->v[d->n];
    memset(x, 0, sizeof *x);
    x->t = t;
    x->first = x->last = x->next = -1;
    return d->n++;
}

static void ws(const char **p, const char *e) {
    while (*p < e && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')) (*p)++;
}

static int hexv(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void put_utf8(jdoc *d, uint32_t cp) {
    char *o = d->sp + d->spn;
    if (cp < 0x80) o[0] = (char)cp, d->spn += 1;
    else if (cp < 0x800) o[0] = (char)(0xc0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3f)), d->spn += 2;
    else if (cp < 0x10000)
        o[0] = (char)(0xe0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3f)), o[2] = (char)(0x80 | (cp & 0x3f)), d->spn += 3;
    else
        o[0] = (char)(0xf0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3f)), o[2] = (char)(0x80 | (cp >> 6 & 0x3f)),
        o[3] = (char)(0x80 | (cp & 0x3f)), d->spn += 4;
}

/* a string at *p (at the opening quote); unescaped into d->sp */
static bool jstr(jdoc *d, const char **p, const char *e, const char **out, size_t *outn) {
    const unsigned char *q = (const unsigned char *)*p + 1, *qe = (const unsigned char *)e;
    size_t start = d->spn;
    while (q < qe && *q != '"') {
        unsigned c = *q;
        if (c < 0x20) return false;
        if (c == '\\') {
            if (q + 1 >= qe) return false;
            char x = (char)q[1];
            q += 2;
            switch (x) {
            case '"': d->sp[d->spn++] = '"'; break;
            case '\\': d->sp[d->spn++] = '\\'; break;
            case '/': d->sp[d->spn++] = '/'; break;
            case 'b': d->sp[d->spn++] = '\b'; break;
            case 'f': d->sp[d->spn++] = '\f'; break;
            case 'n': d->sp[d->spn++] = '\n'; break;
            case 'r': d->sp[d->spn++] = '\r'; break;
            case 't': d->sp[d->spn++] = '\t'; break;
            case 'u': {
                if (qe - q < 4) return false;
                uint32_t cp = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexv((char)q[i]);
                    if (h < 0) return false;
                    cp = cp << 4 | (uint32_t)h;
                }
                q += 4;
                if (cp >= 0xd800 && cp < 0xdc00) {
                    if (qe - q < 6 || q[0] != '\\' || q[1] != 'u') return false;
                    uint32_t lo = 0;
                    for (int i = 0; i < 4; i++) {
                        int h = hexv((char)q[2 + i]);
                        if (h < 0) return false;
                        lo = lo << 4 | (uint32_t)h;
                    }
                    if (lo < 0xdc00 || lo > 0xdfff) return false;
                    q += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if (cp >= 0xdc00 && cp < 0xe000) {
                    return false;
                }
                put_utf8(d, cp);
                break;
            }
            default: return false;
            }
            continue;
        }
        if (c < 0x80) {
            d->sp[d->spn++] = (char)c;
            q++;
            continue;
        }
        /* UTF-8: the length from the lead byte, continuation bytes, no overlong / surrogate / > U+10FFFF */
        int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (!len || qe - q < len) return false;
        uint32_t cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
        for (int i = 1; i < len; i++) {
            if ((q[i] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (q[i] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        memcpy(d->sp + d->spn, q, (size_t)len);
        d->spn += (size_t)len;
        q += len;
    }
    if (q >= qe) return false;
    *out = d->sp + start;
    *outn = d->spn - start;
    d->sp[d->spn++] = '\0';
    *p = (const char *)q + 1;
    return true;
}

static int jval(jdoc *d, const char **p, const char *e, int depth) {
    if (depth > 64) return -1;
    ws(p, e);
    if (*p >= e) return -1;
    char c = **p;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        int me = jd_node(d, obj ? J_OBJ : J_ARR);
        (*p)++;
        ws(p, e);
        if (*p < e && **p == (obj ? '}' : ']')) {
            (*p)++;
            return me;
        }
        for (;;) {
            const char *k = NULL;
            size_t kn = 0;
            if (obj) {
                ws(p, e);
                if (*p >= e || **p != '"' || !jstr(d, p, e, &k, &kn)) return -1;
                ws(p, e);
                if (*p >= e || **p != ':') return -1;
                (*p)++;
            }
            int ch = jval(d, p, e, depth + 1);
            if (ch < 0) return -1;
            d->v[ch].k = k;
            d->v[ch].kn = kn;
            if (d->v[me].last < 0) d->v[me].first = ch;
            else d->v[d->v[me].last].next = ch;
            d->v[me].last = ch;
            ws(p, e);
            if (*p >= e) return -1;
            if (**p == ',') {
                (*p)++;
                continue;
            }
            if (**p == (obj ? '}' : ']')) {
                (*p)++;
                return me;
            }
            return -1;
        }
    }
    if (c == '"') {
        int me = jd_node(d, J_STR);
        const char *s;
        size_t n;
        if (!jstr(d, p, e, &s, &n)) return -1;
        d->v[me].s = s;
        d->v[me].n = n;
        return me;
    }
    if ((size_t)(e - *p) >= 4 && !memcmp(*p, "true", 4)) {
        int me = jd_node(d, J_BOOL);
        d->v[me].b = true;
        *p += 4;
        return me;
    }
    if ((size_t)(e - *p) >= 5 && !memcmp(*p, "false", 5)) {
        int me = jd_node(d, J_BOOL);
        *p += 5;
        return me;
    }
    if ((size_t)(e - *p) >= 4 && !memcmp(*p, "null", 4)) {
        *p += 4;
        return jd_node(d, J_NULL);
    }
    /* number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
    const char *s = *p, *q = s;
    if (q < e && *q == '-') q++;
    if (q >= e || *q < '0' || *q > '9') return -1;
    if (*q == '0') q++;
    else
        while (q < e && *q >= '0' && *q <= '9') q++;
    if (q < e && *q == '.') {
        q++;
        if (q >= e || *q < '0' || *q > '9') return -1;
        while (q < e && *q >= '0' && *q <= '9') q++;
    }
    if (q < e && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < e && (*q == '+' || *q == '-')) q++;
        if (q >= e || *q < '0' || *q > '9') return -1;
        while (q < e && *q >= '0' && *q <= '9') q++;
    }
    int me = jd_node(d, J_NUM);
    d->v[me].s = s;
    d->v[me].n = (size_t)(q - s);
    *p = q;
    return me;
}

/* parse s[0..n) as one JSON text; the root node index or -1 */
static int jparse(jdoc *d, const char *s, size_t n) {
    d->n = 0;
    d->spn = 0;
    if (d->spcap < 2 * n + 16) {
        d->spcap = 2 * n + 16;
        d->sp = realloc(d->sp, d->spcap);
    }
    const char *p = s, *e = s + n;
    int r = jval(d, &p, e, 0);
    if (r < 0) return -1;
    ws(&p, e);
    return p == e ? r : -1;
}

static int jget(const jdoc *d, int obj, const char *key) {
    if (obj < 0 || d->v[obj].t != J_OBJ) return -1;
    size_t kl = strlen(key);
    for (int c = d->v[obj].first; c >= 0; c = d->v[c].next)
        if (d->v[c].kn == kl && !memcmp(d->v[c].k, key, kl)) return c;
    return -1;
}
static const char *jstr_of(const jdoc *d, int x) { return x >= 0 && d->v[x].t == J_STR ? d->v[x].s : NULL; }
static bool is_str(const jdoc *d, int obj, const char *key) { return jstr_of(d, jget(d, obj, key)) != NULL; }

/* ------------------------------------------------------------------ running the generator */

typedef struct run_out {
    sl_buf text;
    gen_product_counts c;
    char *summary;
    size_t nlines;
    const char **line;
    size_t *len;
} run_out;

static void run_free(run_out *r) {
    sl_buf_free(&r->text);
    free(r->summary);
    free(r->line);
    free(r->len);
    memset(r, 0, sizeof *r);
}

static gen_product_opts opts(uint64_t rows, uint64_t seed) {
    gen_product_opts o = gen_product_opts_default();
    o.rows = rows;
    o.seed = seed;
    o.start_us = sl_days_from_civil(2024, 3, 1) * SL_US_PER_DAY;
    o.end_us = sl_days_from_civil(2024, 3, 8) * SL_US_PER_DAY;
    return o;
}

static int run(const gen_product_opts *o, size_t chunk, run_out *r) {
    memset(r, 0, sizeof *r);
    char err[SL_ERRLEN];
    gen_product *g;
    if (gen_product_open(&g, o, err, sizeof err) != SL_OK) {
        fprintf(stderr, "  gen_product_open: %s\n", err);
        return -1;
    }
    long n;
    while ((n = gen_product_next(g, &r->text, chunk, err, sizeof err)) > 0) {
    }
    if (n < 0) fprintf(stderr, "  gen_product_next: %s\n", err);
    r->c = *gen_product_get_counts(g);
    sl_buf js;
    sl_buf_init(&js);
    gen_product_counts_json(g, &js);
    r->summary = strdup(sl_buf_cstr(&js));
    sl_buf_free(&js);
    gen_product_close(g);
    /* split into lines */
    size_t cap = 1024;
    r->line = malloc(cap * sizeof *r->line);
    r->len = malloc(cap * sizeof *r->len);
    const char *p = r->text.p, *e = p + r->text.len;
    while (p && p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) break;
        if (r->nlines == cap) {
            cap *= 2;
            r->line = realloc(r->line, cap * sizeof *r->line);
            r->len = realloc(r->len, cap * sizeof *r->len);
        }
        r->line[r->nlines] = p;
        r->len[r->nlines++] = (size_t)(nl - p);
        p = nl + 1;
    }
    return n < 0 || (p && p != e) ? -1 : 0;
}

/* "2024-03-01T12:00:00.123Z" -> ms; false if not exactly that form */
static bool iso_ms(const char *s, int64_t *ms) {
    if (!s || strlen(s) != 24 || s[10] != 'T' || s[19] != '.' || s[23] != 'Z') return false;
    int64_t us;
    if (sl_parse_time(s, 24, &us, NULL) != SL_OK) return false;
    *ms = us / 1000;
    return true;
}

static bool all_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static const int64_t Y2000_MS = INT64_C(946684800000), Y2100_MS = INT64_C(4102444800000);

/* The defects of one line, as a bit mask of GEN_PRODUCT_BAD_* (0: a good message). */
static unsigned defects(jdoc *d, const char *s, size_t n) {
    int root = jparse(d, s, n);
    if (root < 0) return 1u << GEN_PRODUCT_BAD_INVALID_JSON;
    if (d->v[root].t != J_OBJ) return 1u << GEN_PRODUCT_BAD_NOT_OBJECT;
    unsigned m = 0;
    int mid = jget(d, root, "messageId");
    if (mid < 0) m |= 1u << GEN_PRODUCT_BAD_MISSING_MESSAGE_ID;
    else if (d->v[mid].t != J_STR || d->v[mid].n == 0) m |= 1u << GEN_PRODUCT_BAD_EMPTY_MESSAGE_ID;
    if (jget(d, root, "type") < 0) m |= 1u << GEN_PRODUCT_BAD_MISSING_TYPE;
    int ts = jget(d, root, "timestamp");
    int64_t us;
    if (ts < 0) m |= 1u << GEN_PRODUCT_BAD_MISSING_TIMESTAMP;
    else if (d->v[ts].t != J_STR) m |= 1u << GEN_PRODUCT_BAD_TS_WRONG_TYPE;
    else if (sl_parse_time(d->v[ts].s, d->v[ts].n, &us, NULL) != SL_OK) m |= 1u << GEN_PRODUCT_BAD_UNPARSEABLE_TS;
    else if (us / 1000 < Y2000_MS || us / 1000 >= Y2100_MS) m |= 1u << GEN_PRODUCT_BAD_TS_OUT_OF_RANGE;
    return m;
}

/* The full shape of a good message; NULL or what is wrong. */
static const char *check_shape(const jdoc *d, int root, int64_t *ts, int64_t *sent, int64_t *rcv) {
    const char *mid = jstr_of(d, jget(d, root, "messageId"));
    if (!mid || strlen(mid) != 36 || strncmp(mid, "ajs-", 4) || !all_hex(mid + 4, 32)) return "messageId";
    const char *type = jstr_of(d, jget(d, root, "type"));
    if (!type) return "type";
    bool track = !strcmp(type, "track"), page = !strcmp(type, "page"), ident = !strcmp(type, "identify");
    if (!track && !page && !ident) return "type value";
    if (!iso_ms(jstr_of(d, jget(d, root, "timestamp")), ts)) return "timestamp";
    if (!iso_ms(jstr_of(d, jget(d, root, "receivedAt")), rcv)) return "receivedAt";
    if (!iso_ms(jstr_of(d, jget(d, root, "sentAt")), sent)) return "sentAt";
    if (!(*ts <= *sent && *sent <= *rcv)) return "timestamp <= sentAt <= receivedAt";
    int uid = jget(d, root, "userId"), aid = jget(d, root, "anonymousId");
    bool has_uid = uid >= 0 && d->v[uid].t == J_STR;
    if (uid >= 0 && d->v[uid].t != J_STR && d->v[uid].t != J_NULL) return "userId type";
    if (has_uid && (d->v[uid].n != 10 || !strspn(d->v[uid].s, "0123456789"))) return "userId form";
    if (aid >= 0) {
        const char *a = jstr_of(d, aid);
        if (!a || strlen(a) != 36 || a[8] != '-' || a[13] != '-' || a[14] != '4' || a[18] != '-' || a[23] != '-' ||
            !strchr("89ab", a[19]))
            return "anonymousId form";
    }
    if (!has_uid && aid < 0) return "neither userId nor anonymousId";
    if (ident && !has_uid) return "identify without userId";
    int ctx = jget(d, root, "context");
    if (ctx < 0 || d->v[ctx].t != J_OBJ) return "context";
    if (!is_str(d, ctx, "ip") || !is_str(d, ctx, "locale") || !is_str(d, ctx, "userAgent")) return "context fields";
    int lib = jget(d, ctx, "library");
    if (!is_str(d, lib, "name") || !is_str(d, lib, "version")) return "context.library";
    int cp = jget(d, ctx, "page");
    if (!is_str(d, cp, "path") || !is_str(d, cp, "url") || !is_str(d, cp, "referrer") || !is_str(d, cp, "title"))
        return "context.page";
    int camp = jget(d, ctx, "campaign");
    if (camp >= 0 && (!is_str(d, camp, "name") || !is_str(d, camp, "source") || !is_str(d, camp, "medium")))
        return "context.campaign";
    if (track) {
        if (!is_str(d, root, "event")) return "event";
        int pr = jget(d, root, "properties");
        if (pr < 0 || d->v[pr].t != J_OBJ || d->v[pr].first < 0) return "track properties";
        int np = 0;
        for (int c = d->v[pr].first; c >= 0; c = d->v[c].next) np++;
        if (np < 1 || np > 6) return "1..6 properties";
    } else if (page) {
        if (!is_str(d, root, "name")) return "page name";
        int pr = jget(d, root, "properties");
        if (!is_str(d, pr, "path") || !is_str(d, pr, "url") || !is_str(d, pr, "title") || !is_str(d, pr, "referrer"))
            return "page properties";
    } else {
        int tr = jget(d, root, "traits");
        if (!is_str(d, tr, "email") || !is_str(d, tr, "plan") || !is_str(d, tr, "created_at")) return "traits";
        int64_t ca;
        if (!iso_ms(jstr_of(d, jget(d, tr, "created_at")), &ca)) return "traits.created_at";
    }
    /* the only top-level keys: the Segment fields and the extra "integrations" */
    static const char *const TOP[] = {"messageId", "type", "event", "name", "userId", "anonymousId", "timestamp",
                                      "receivedAt", "sentAt", "context", "properties", "traits", "integrations"};
    for (int c = d->v[root].first; c >= 0; c = d->v[c].next) {
        bool known = false;
        for (size_t k = 0; k < sizeof TOP / sizeof *TOP; k++) known |= !strcmp(d->v[c].k, TOP[k]);
        if (!known) return "unknown top-level key";
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static size_t count_distinct(char **v, size_t n) {
    qsort(v, n, sizeof *v, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(v[i], v[i - 1])) k++;
    return k;
}
static void free_strs(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------ tests */

static void test_determinism(void) {
    gen_product_opts o = opts(30000, 11);
    o.bad_rows = 0.02;
    o.late = 0.02;
    o.duplicates = 0.02;
    run_out a, b, c, d;
    CHECK(run(&o, 4096, &a) == 0);
    CHECK(run(&o, 1, &b) == 0); /* the chunk size does not matter */
    o.seed = 12;
    CHECK(run(&o, 4096, &c) == 0);
    o.seed = 11;
    o.event_types = 50;
    CHECK(run(&o, 777, &d) == 0);
    CHECK(a.text.len == b.text.len && !memcmp(a.text.p, b.text.p, a.text.len));
    CHECK(!strcmp(a.summary, b.summary));
    CHECK(a.text.len != c.text.len || memcmp(a.text.p, c.text.p, a.text.len));
    CHECK(a.text.len != d.text.len || memcmp(a.text.p, d.text.p, a.text.len));
    CHECK_EQ_I64(a.nlines, 30600);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    run_free(&d);
}

static void test_exact_counts(void) {
    gen_product_opts o = opts(50000, 3);
    o.bad_rows = 0.018; /* 900: 100 per kind */
    o.late = 0.03;      /* 1500 */
    o.duplicates = 0.01; /* 500 */
    run_out r;
    CHECK(run(&o, 4096, &r) == 0);
    CHECK_EQ_I64(r.c.base_rows, 50000);
    CHECK_EQ_I64(r.c.rows_out, 50500);
    CHECK_EQ_I64(r.nlines, 50500);
    CHECK_EQ_I64(r.c.duplicates, 500);
    CHECK_EQ_I64(r.c.late_held, 1500);
    CHECK(r.c.late <= r.c.late_held && r.c.late > 1200); /* 30 min at ~300 messages an hour: most are displaced */
    CHECK_EQ_I64(r.c.bad_total, 900);
    for (int k = 0; k < GEN_PRODUCT_BAD_NKINDS; k++) CHECK_EQ_I64(r.c.bad[k], 100);
    uint64_t good = r.c.types[0] + r.c.types[1] + r.c.types[2];
    CHECK_EQ_I64(good, 50000 - 900);
    run_free(&r);
    /* uneven: 10 bad rows over 9 kinds */
    o = opts(1000, 4);
    o.bad_rows = 0.01;
    CHECK(run(&o, 100, &r) == 0);
    CHECK_EQ_I64(r.c.bad_total, 10);
    for (int k = 0; k < GEN_PRODUCT_BAD_NKINDS; k++) CHECK(r.c.bad[k] == 1 || r.c.bad[k] == 2);
    run_free(&r);
}

/* every line of a run without faults, parsed and checked; the summary recomputed from the lines */
static void test_shapes_mix_and_summary(void) {
    gen_product_opts o = gen_product_opts_default(); /* 2024-03-01 .. 2024-05-31 */
    o.rows = 200000;
    o.seed = 5;
    run_out r;
    CHECK(run(&o, 4096, &r) == 0);
    CHECK_EQ_I64(r.nlines, 200000);
    jdoc d;
    memset(&d, 0, sizeof d);
    char **mids = malloc(r.nlines * sizeof *mids), **uids = malloc(r.nlines * sizeof *uids),
         **aids = malloc(r.nlines * sizeof *aids), **evs = malloc(r.nlines * sizeof *evs);
    size_t nm = 0, nu = 0, na = 0, ne = 0;
    uint64_t types[3] = {0}, anon_only = 0, uid_null = 0, no_aid = 0, camp = 0, xctx = 0, xtop = 0, ooo = 0;
    uint64_t by_hod[24] = {0}, top_ev = 0, bad_shapes = 0;
    int64_t prev_rcv = INT64_MIN, max_ts = INT64_MIN, max_lag = 0, max_skew = 0;
    /* property name -> JSON type, and event name -> its property names: fixed */
    enum { MAXP = 256, MAXE = 400 };
    static char pname[MAXP][40], ptype[MAXP];
    static char ename[MAXE][64], esig[MAXE][200];
    int npn = 0, nen = 0;
    bool types_fixed = true, sigs_fixed = true;
    for (size_t i = 0; i < r.nlines; i++) {
        unsigned m = defects(&d, r.line[i], r.len[i]);
        CHECK(m == 0);
        if (m) continue;
        int64_t ts, sent, rcv;
        const char *why = check_shape(&d, 0, &ts, &sent, &rcv);
        if (why) {
            if (bad_shapes++ < 5) fprintf(stderr, "  line %zu: %s: %.*s\n", i, why, (int)r.len[i], r.line[i]);
            continue;
        }
        CHECK(rcv >= prev_rcv); /* receivedAt order */
        prev_rcv = rcv;
        if (rcv - ts > max_skew) max_skew = rcv - ts;
        CHECK(ts >= o.start_us / 1000 && ts < o.end_us / 1000);
        if (ts < max_ts) {
            ooo++;
            if (max_ts - ts > max_lag) max_lag = max_ts - ts;
        }
        if (ts > max_ts) max_ts = ts;
        by_hod[(ts / 3600000) % 24]++;
        const char *type = jstr_of(&d, jget(&d, 0, "type"));
        int t = !strcmp(type, "track") ? 0 : !strcmp(type, "page") ? 1 : 2;
        types[t]++;
        mids[nm++] = strdup(jstr_of(&d, jget(&d, 0, "messageId")));
        int uid = jget(&d, 0, "userId"), aid = jget(&d, 0, "anonymousId");
        if (uid >= 0 && d.v[uid].t == J_STR) uids[nu++] = strdup(d.v[uid].s);
        else anon_only++;
        if (uid >= 0 && d.v[uid].t == J_NULL) uid_null++;
        if (aid >= 0) aids[na++] = strdup(d.v[aid].s);
        else no_aid++;
        int ctx = jget(&d, 0, "context");
        camp += jget(&d, ctx, "campaign") >= 0;
        xctx += jget(&d, ctx, "os") >= 0;
        xtop += jget(&d, 0, "integrations") >= 0;
        if (t == 0) {
            const char *ev = jstr_of(&d, jget(&d, 0, "event"));
            evs[ne++] = strdup(ev);
            char sig[200];
            size_t sl = 0;
            int pr = jget(&d, 0, "properties");
            for (int c = d.v[pr].first; c >= 0; c = d.v[c].next) {
                char ty = d.v[c].t == J_STR ? 's' : d.v[c].t == J_BOOL ? 'b' : d.v[c].t == J_OBJ ? 'o'
                          : d.v[c].t == J_NUM ? (memchr(d.v[c].s, '.', d.v[c].n) ? 'f' : 'i') : '?';
                int k = 0;
                while (k < npn && strcmp(pname[k], d.v[c].k)) k++;
                if (k == npn && npn < MAXP) {
                    snprintf(pname[npn], sizeof pname[npn], "%s", d.v[c].k);
                    ptype[npn++] = ty;
                } else if (k < npn && ptype[k] != ty) {
                    types_fixed = false;
                }
                sl += (size_t)snprintf(sig + sl, sizeof sig - sl, "%s,", d.v[c].k);
                if (sl >= sizeof sig) sl = sizeof sig - 1;
            }
            int k = 0;
            while (k < nen && strcmp(ename[k], ev)) k++;
            if (k == nen && nen < MAXE) {
                snprintf(ename[nen], sizeof ename[nen], "%s", ev);
                snprintf(esig[nen++], sizeof esig[0], "%s", sig);
            } else if (k < nen && strcmp(esig[k], sig)) {
                sigs_fixed = false;
            }
        }
    }
    CHECK_EQ_I64(bad_shapes, 0);
    CHECK(types_fixed);
    CHECK(sigs_fixed);
    CHECK(max_skew <= 300000);
    /* the summary equals what the lines show */
    for (int t = 0; t < 3; t++) CHECK_EQ_I64(types[t], r.c.types[t]);
    CHECK_EQ_I64(count_distinct(mids, nm), r.nlines);
    CHECK_EQ_I64(count_distinct(uids, nu), r.c.users);
    CHECK_EQ_I64(count_distinct(aids, na), r.c.anonymous_ids);
    CHECK_EQ_I64(count_distinct(evs, ne), r.c.event_names_used);
    CHECK_EQ_I64(anon_only, r.c.anonymous_only);
    CHECK_EQ_I64(uid_null, r.c.user_id_null);
    CHECK_EQ_I64(no_aid, r.c.no_anonymous_id);
    CHECK_EQ_I64(camp, r.c.with_campaign);
    CHECK_EQ_I64(xctx, r.c.extra_context);
    CHECK_EQ_I64(xtop, r.c.extra_top_level);
    CHECK_EQ_I64(ooo, r.c.ts_out_of_order);
    CHECK_EQ_I64(max_lag, r.c.max_ts_lag_ms);
    CHECK(ooo > 1000); /* receivedAt order: timestamps are slightly out of order */
    /* the mix */
    double n = (double)r.nlines, tr = (double)types[0];
    CHECK(fabs(types[0] / n - 0.80) < 0.006);
    CHECK(fabs(types[1] / n - 0.15) < 0.005);
    CHECK(fabs(types[2] / n - 0.05) < 0.003);
    CHECK(fabs(anon_only / n - 0.30) < 0.006);
    CHECK(no_aid > 0.01 * n && no_aid < 0.02 * n);
    CHECK(camp > 0.09 * n && camp < 0.11 * n);
    CHECK(xctx > 0.02 * n && xctx < 0.04 * n);
    CHECK(xtop > 0.01 * n && xtop < 0.03 * n);
    CHECK(r.c.users > 0.9 * n / 25 && r.c.users <= n / 25);
    CHECK(r.c.anonymous_ids > r.c.users);
    CHECK(r.c.event_names_used >= 250 && r.c.event_names_used <= 300);
    CHECK(r.c.page_names_used == 40);
    /* the skew: the top name's share as the model says, the top 10 carry most */
    size_t cnt0 = 0;
    char *name0 = NULL;
    {
        gen_product *g;
        char err[SL_ERRLEN];
        CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_OK);
        name0 = strdup(gen_product_event_name(g, 0));
        double share0 = gen_product_event_share(g, 0), share10 = 0;
        for (uint32_t k = 0; k < 10; k++) share10 += gen_product_event_share(g, k);
        size_t in10 = 0;
        for (size_t i = 0; i < ne; i++) {
            cnt0 += !strcmp(evs[i], name0);
            for (uint32_t k = 0; k < 10; k++)
                if (!strcmp(evs[i], gen_product_event_name(g, k))) {
                    in10++;
                    break;
                }
        }
        CHECK(fabs(cnt0 / tr - share0) < 0.006);
        CHECK(fabs(in10 / tr - share10) < 0.01);
        CHECK(share10 > 0.5);
        CHECK(gen_product_event_name(g, 300) == NULL);
        gen_product_close(g);
    }
    CHECK_EQ_STR(name0, "Product Viewed");
    top_ev = cnt0;
    CHECK(strstr(r.summary, "\"top_events\":[[\"Product Viewed\","));
    char want[64];
    snprintf(want, sizeof want, "[\"Product Viewed\",%llu]", (unsigned long long)top_ev);
    CHECK(strstr(r.summary, want));
    /* the diurnal shape: the afternoon (UTC) busier than the night */
    CHECK(by_hod[15] + by_hod[16] > 2.5 * (by_hod[4] + by_hod[5]));
    free(name0);
    free_strs(mids, nm);
    free_strs(uids, nu);
    free_strs(aids, na);
    free_strs(evs, ne);
    jd_free(&d);
    run_free(&r);
}

static void test_duplicates(void) {
    gen_product_opts o = opts(40000, 8);
    o.duplicates = 0.05;
    run_out r;
    CHECK(run(&o, 4096, &r) == 0);
    CHECK_EQ_I64(r.c.duplicates, 2000);
    CHECK_EQ_I64(r.nlines, 42000);
    jdoc d;
    memset(&d, 0, sizeof d);
    /* messageId -> first position; every line starts {"messageId":"ajs-... (36 chars from byte 14) */
    char **ids = malloc(r.nlines * sizeof *ids);
    for (size_t i = 0; i < r.nlines; i++) {
        CHECK(r.len[i] > 50 && !memcmp(r.line[i], "{\"messageId\":\"ajs-", 18));
        ids[i] = malloc(64);
        snprintf(ids[i], 64, "%.36s|%08zu", r.line[i] + 14, i);
    }
    qsort(ids, r.nlines, sizeof *ids, cmp_str);
    size_t pairs = 0, bad = 0;
    for (size_t i = 1; i < r.nlines; i++) {
        if (memcmp(ids[i], ids[i - 1], 36)) continue;
        CHECK(i < 2 || memcmp(ids[i], ids[i - 2], 36)); /* never three */
        size_t a = (size_t)atol(ids[i - 1] + 37), b = (size_t)atol(ids[i] + 37);
        pairs++;
        /* the same content */
        if (r.len[a] != r.len[b] || memcmp(r.line[a], r.line[b], r.len[a])) bad++;
        /* 1..64 base rows later (plus other copies in between), in the same receivedAt hour */
        CHECK(b > a && b - a <= 64 + 40);
        int64_t ts, sent, rcv0, rcv;
        CHECK(jparse(&d, r.line[a], r.len[a]) == 0 && check_shape(&d, 0, &ts, &sent, &rcv0) == NULL);
        for (size_t k = a + 1; k <= b; k++) {
            if (jparse(&d, r.line[k], r.len[k]) != 0 || check_shape(&d, 0, &ts, &sent, &rcv) != NULL) {
                bad++;
                continue;
            }
            if (rcv / 3600000 != rcv0 / 3600000) bad++;
        }
    }
    CHECK_EQ_I64(pairs, 2000);
    CHECK_EQ_I64(bad, 0);
    free_strs(ids, r.nlines);
    jd_free(&d);
    run_free(&r);
}

static void test_late(void) {
    gen_product_opts o = opts(20000, 9);
    o.end_us = sl_days_from_civil(2024, 3, 3) * SL_US_PER_DAY;
    o.late = 0.1;
    o.max_disp_us = 2 * SL_US_PER_HOUR;
    run_out r;
    CHECK(run(&o, 4096, &r) == 0);
    CHECK_EQ_I64(r.c.late_held, 2000);
    CHECK(r.c.late <= 2000 && r.c.late > 1900);
    jdoc d;
    memset(&d, 0, sizeof d);
    int64_t prev = INT64_MIN, max_ts = INT64_MIN, max_lag = 0, worst = 0;
    uint64_t over5 = 0, ooo = 0;
    for (size_t i = 0; i < r.nlines; i++) {
        int64_t ts, sent, rcv;
        CHECK(jparse(&d, r.line[i], r.len[i]) == 0);
        const char *why = check_shape(&d, 0, &ts, &sent, &rcv);
        CHECK(why == NULL);
        if (why) continue;
        CHECK(rcv >= prev); /* late messages keep the receivedAt order: they were received late */
        prev = rcv;
        if (rcv - ts > 300000) over5++;
        if (rcv - ts > worst) worst = rcv - ts;
        if (ts < max_ts) {
            ooo++;
            if (max_ts - ts > max_lag) max_lag = max_ts - ts;
        }
        if (ts > max_ts) max_ts = ts;
    }
    CHECK(over5 <= 2000 && over5 > 1700); /* most hold-backs are longer than the natural skew */
    CHECK(worst <= 2 * 3600000 + 300000);
    CHECK(worst > 3600000);
    CHECK_EQ_I64(ooo, r.c.ts_out_of_order);
    CHECK_EQ_I64(max_lag, r.c.max_ts_lag_ms);
    jd_free(&d);
    run_free(&r);
}

static void test_bad_kinds(void) {
    gen_product_opts o = opts(18000, 10);
    o.bad_rows = 0.5; /* 9000: 1000 per kind */
    o.duplicates = 0.1;
    o.late = 0.1;
    run_out r;
    CHECK(run(&o, 4096, &r) == 0);
    CHECK_EQ_I64(r.c.bad_total, 9000);
    jdoc d;
    memset(&d, 0, sizeof d);
    uint64_t kinds[GEN_PRODUCT_BAD_NKINDS] = {0}, good = 0, multi = 0, bad_shape = 0;
    uint64_t variants_not_object[3] = {0}, ts_text[3] = {0}, range_lo = 0, range_hi = 0;
    for (size_t i = 0; i < r.nlines; i++) {
        unsigned m = defects(&d, r.line[i], r.len[i]);
        if (!m) {
            good++;
            int64_t a, b, c;
            if (check_shape(&d, 0, &a, &b, &c)) bad_shape++;
            continue;
        }
        if (m & (m - 1)) {
            multi++;
            continue;
        }
        int k = __builtin_ctz(m);
        kinds[k]++;
        const char *s = r.line[i];
        if (k == GEN_PRODUCT_BAD_NOT_OBJECT) variants_not_object[s[0] == '[' ? 0 : s[0] == '"' ? 2 : 1]++;
        if (k == GEN_PRODUCT_BAD_NOT_OBJECT && s[0] == '[') {
            /* the array holds one message that is otherwise fine */
            int root = jparse(&d, s, r.len[i]);
            CHECK(root == 0 && d.v[0].first >= 0 && d.v[d.v[0].first].t == J_OBJ && d.v[d.v[0].first].next < 0);
        }
        if (k == GEN_PRODUCT_BAD_UNPARSEABLE_TS) {
            const char *t = jstr_of(&d, jget(&d, 0, "timestamp"));
            ts_text[!strcmp(t, "yesterday") ? 0 : !strcmp(t, "not a timestamp") ? 1 : 2]++;
        }
        if (k == GEN_PRODUCT_BAD_TS_OUT_OF_RANGE) {
            int64_t ms;
            CHECK(iso_ms(jstr_of(&d, jget(&d, 0, "timestamp")), &ms));
            if (ms < Y2000_MS) range_lo++;
            else range_hi++;
        }
        if (k == GEN_PRODUCT_BAD_INVALID_JSON) { /* a cut message, not ending where a value is due */
            CHECK(r.line[i][0] == '{' && r.len[i] > 30);
            CHECK(r.line[i][r.len[i] - 1] != ':' && r.line[i][r.len[i] - 1] != '[');
        }
    }
    CHECK_EQ_I64(multi, 0);
    CHECK_EQ_I64(bad_shape, 0);
    CHECK_EQ_I64(good, r.nlines - 9000);
    for (int k = 0; k < GEN_PRODUCT_BAD_NKINDS; k++) {
        CHECK_EQ_I64(kinds[k], 1000);
        CHECK_EQ_I64(r.c.bad[k], 1000);
    }
    for (int v = 0; v < 3; v++) CHECK(variants_not_object[v] > 250 && ts_text[v] > 250);
    CHECK(range_lo > 400 && range_hi > 400);
    /* good rows: types sum to the good base rows; copies are of good rows only */
    CHECK_EQ_I64(r.c.types[0] + r.c.types[1] + r.c.types[2], 9000);
    CHECK_EQ_I64(good, 9000 + r.c.duplicates);
    jd_free(&d);
    run_free(&r);
}

static void test_options(void) {
    char err[SL_ERRLEN];
    gen_product *g = NULL;
    gen_product_opts o = opts(1000, 1);
    o.bad_rows = 0.5;
    o.late = 0.4;
    o.duplicates = 0.2;
    CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_ERR_ARG && g == NULL);
    CHECK(strstr(err, "at most 1") != NULL);
    o = opts(1000, 1);
    o.event_types = 0;
    CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_ERR_ARG);
    o.event_types = GEN_PRODUCT_MAX_EVENT_TYPES + 1;
    CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_ERR_ARG);
    o = opts(1000, 1);
    o.start_us = sl_days_from_civil(1999, 12, 31) * SL_US_PER_DAY;
    CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_ERR_ARG);
    o = opts(1000, 1);
    o.end_us = o.start_us;
    CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_ERR_ARG);
    o = opts(0, 1);
    CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_ERR_ARG);
    /* every event name distinct, up to the largest catalogue */
    o = opts(1000, 1);
    o.event_types = GEN_PRODUCT_MAX_EVENT_TYPES;
    CHECK(gen_product_open(&g, &o, err, sizeof err) == SL_OK);
    char **names = malloc(GEN_PRODUCT_MAX_EVENT_TYPES * sizeof *names);
    for (uint32_t k = 0; k < GEN_PRODUCT_MAX_EVENT_TYPES; k++) names[k] = strdup(gen_product_event_name(g, k));
    CHECK_EQ_I64(count_distinct(names, GEN_PRODUCT_MAX_EVENT_TYPES), GEN_PRODUCT_MAX_EVENT_TYPES);
    free_strs(names, GEN_PRODUCT_MAX_EVENT_TYPES);
    gen_product_close(g);
    /* one message, one hour, one event type: still works */
    o = opts(1, 1);
    o.event_types = 1;
    o.end_us = o.start_us + 1;
    run_out r;
    CHECK(run(&o, 10, &r) == 0);
    CHECK_EQ_I64(r.nlines, 1);
    run_free(&r);
}

static size_t count_lines(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

static void test_cli(void) {
    char *a1[] = {"--rows", "10", "--kind", "product-events"};
    char *a2[] = {"--kind=product-events"};
    char *a3[] = {"--out", "--kind", "--rows", "10"};
    char *a4[] = {"--kind", "serverless"};
    CHECK(gen_product_requested(4, a1));
    CHECK(gen_product_requested(1, a2));
    CHECK(!gen_product_requested(4, a3));
    CHECK(!gen_product_requested(2, a4));
    char dir[] = "/tmp/test_gen_product_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[256], sum[256], part[300];
    snprintf(out, sizeof out, "%s/p.jsonl", dir);
    snprintf(sum, sizeof sum, "%s/s.json", dir);
    fprintf(stderr, "  (four usage errors expected below)\n");
    char *bad1[] = {"--kind", "product-events", "--order", "sorted"};
    char *bad2[] = {"--kind", "product-events", "--format", "csv"};
    char *bad3[] = {"--kind", "product-events", "--out", "/tmp/x.parquet"};
    char *bad4[] = {"--kind", "product-events", "--bad-rows", "0.6", "--late", "0.6", "--quiet"};
    CHECK_EQ_I64(gen_product_cli(4, bad1), 1);
    CHECK_EQ_I64(gen_product_cli(4, bad2), 1);
    CHECK_EQ_I64(gen_product_cli(4, bad3), 1);
    CHECK_EQ_I64(gen_product_cli(7, bad4), 1);
    char *ok[] = {"--kind", "product-events", "--rows", "1000", "--duplicates", "0.01", "--files", "3", "--out", out,
                  "--summary", sum, "--start", "2024-03-01", "--end", "2024-03-02", "--quiet"};
    CHECK_EQ_I64(gen_product_cli((int)(sizeof ok / sizeof *ok), ok), 0);
    size_t total = 0;
    for (int k = 0; k < 3; k++) {
        snprintf(part, sizeof part, "%s/p-%05d.jsonl", dir, k);
        size_t n = count_lines(part);
        CHECK(n == (k < 2 ? 337u : 336u));
        total += n;
        unlink(part);
    }
    CHECK_EQ_I64(total, 1010);
    FILE *f = fopen(sum, "rb");
    char buf[4096] = {0};
    CHECK(f && fread(buf, 1, sizeof buf - 1, f) > 0);
    if (f) fclose(f);
    CHECK(strstr(buf, "\"rows_out\":1010") && strstr(buf, "\"duplicates\":10") && strstr(buf, "\"kind\":\"product-events\""));
    unlink(sum);
    rmdir(dir);
}

/* Every flag of the Redset kinds is known to the product-events table (its
 * own, or one it refuses by name), so gen_product_requested never takes a
 * flag's value for --kind and no Redset flag is an unknown option here. */
static bool in_tables(const sl_opt *const *t, const char *name, const sl_opt **found) {
    for (; *t; t++)
        if ((*found = sl_opt_find(*t, name))) return true;
    return false;
}

static void test_cli_tables(void) {
    const sl_opt_cmd *redset = cli_gen_doc(), *product = gen_product_doc();
    const sl_opt *o;
    size_t n = 0;
    for (const sl_opt *const *t = redset->tables; *t; t++)
        for (const sl_opt *e = *t; e->name; e++, n++) {
            if (!in_tables(product->tables, e->name, &o)) fprintf(stderr, "  --%s unknown to product-events\n", e->name);
            CHECK(in_tables(product->tables, e->name, &o));
        }
    CHECK(n >= 24);
    /* refused ones are hidden: the product --help lists only its own */
    CHECK(in_tables(product->tables, "order", &o) && (o->flags & SL_OPT_HIDDEN));
    CHECK(in_tables(product->tables, "event_types", &o) && !(o->flags & SL_OPT_HIDDEN));
    CHECK(!in_tables(redset->tables, "event_types", &o));
    fprintf(stderr, "  (two usage errors expected below)\n");
    char *bad1[] = {"--kind", "product-events", "--row-group-rows=5"};
    char *bad2[] = {"--ts-format", "iso", "--kind", "product-events"};
    CHECK_EQ_I64(gen_product_cli(3, bad1), 1);
    CHECK_EQ_I64(gen_product_cli(4, bad2), 1);
}

int main(void) {
    RUN(test_determinism);
    RUN(test_exact_counts);
    RUN(test_shapes_mix_and_summary);
    RUN(test_duplicates);
    RUN(test_late);
    RUN(test_bad_kinds);
    RUN(test_options);
    RUN(test_cli);
    RUN(test_cli_tables);
    return T_DONE();
}
