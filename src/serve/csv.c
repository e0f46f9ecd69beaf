/* csv.c: the API's JSON answers as CSV (csv.h).  A small reader walks the
 * JSON text in place (no tree): find a member, step through an array, copy
 * a value out as a CSV field. */
#include "serve/csv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct rd {
    const char *s, *end;
} rd;

static const char *ws(const rd *r, const char *p) {
    while (p < r->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* The end of the string starting at p ('"'), after its closing quote. */
static const char *skip_str(const rd *r, const char *p) {
    for (p++; p < r->end; p++) {
        if (*p == '\\') p++;
        else if (*p == '"') return p + 1;
    }
    return NULL;
}

/* The end of the value at p (after leading blanks); NULL when malformed. */
static const char *skip_value(const rd *r, const char *p) {
    p = ws(r, p);
    if (p >= r->end) return NULL;
    if (*p == '"') return skip_str(r, p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        for (; p < r->end; p++) {
            if (*p == '"') {
                if (!(p = skip_str(r, p))) return NULL;
                p--;
            } else if (*p == '{' || *p == '[') {
                depth++;
            } else if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
        }
        return NULL;
    }
    while (p < r->end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n') p++;
    return p;
}

/* Member key of the object at p ('{'); the value's start or NULL. */
static const char *member(const rd *r, const char *p, const char *key) {
    p = ws(r, p);
    if (p >= r->end || *p != '{') return NULL;
    size_t kl = strlen(key);
    p = ws(r, p + 1);
    while (p < r->end && *p == '"') {
        const char *ke = skip_str(r, p);
        if (!ke) return NULL;
        bool hit = (size_t)(ke - p - 2) == kl && !memcmp(p + 1, key, kl);
        p = ws(r, ke);
        if (p >= r->end || *p != ':') return NULL;
        const char *v = ws(r, p + 1);
        if (hit) return v;
        if (!(p = skip_value(r, v))) return NULL;
        p = ws(r, p);
        if (p < r->end && *p == ',') p = ws(r, p + 1);
    }
    return NULL;
}

/* Array iteration: *it starts at '['; each call sets *v to the next
 * element's start; false at the end (or when malformed: *bad). */
static bool next_elem(const rd *r, const char **it, const char **v, bool *bad) {
    const char *p = ws(r, *it);
    if (p >= r->end) {
        *bad = true;
        return false;
    }
    if (*p == '[' || *p == ',') p = ws(r, p + 1);
    if (p < r->end && *p == ']') return false;
    const char *e = skip_value(r, p);
    if (!e) {
        *bad = true;
        return false;
    }
    *v = p;
    *it = ws(r, e);
    if (*it >= r->end || (**it != ',' && **it != ']')) {
        *bad = true;
        return false;
    }
    return true;
}

static void put_utf8(sl_buf *b, uint32_t c) {
    if (c < 0x80) sl_buf_putc(b, (char)c);
    else if (c < 0x800) {
        sl_buf_putc(b, (char)(0xC0 | (c >> 6)));
        sl_buf_putc(b, (char)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        sl_buf_putc(b, (char)(0xE0 | (c >> 12)));
        sl_buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        sl_buf_putc(b, (char)(0x80 | (c & 0x3F)));
    } else {
        sl_buf_putc(b, (char)(0xF0 | (c >> 18)));
        sl_buf_putc(b, (char)(0x80 | ((c >> 12) & 0x3F)));
        sl_buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3F)));
        sl_buf_putc(b, (char)(0x80 | (c & 0x3F)));
    }
}

static uint32_t hex4(const char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (uint32_t)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10);
    }
    return v;
}

/* The text of the JSON string at p (between its quotes) unescaped into b. */
static bool unescape(const rd *r, const char *p, sl_buf *b) {
    const char *e = skip_str(r, p);
    if (!e) return false;
    for (p++; p < e - 1; p++) {
        if (*p != '\\') {
            sl_buf_putc(b, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'n': sl_buf_putc(b, '\n'); break;
        case 'r': sl_buf_putc(b, '\r'); break;
        case 't': sl_buf_putc(b, '\t'); break;
        case 'b': sl_buf_putc(b, '\b'); break;
        case 'f': sl_buf_putc(b, '\f'); break;
        case 'u': {
            if (e - 1 - p < 5) return false;
            uint32_t c = hex4(p + 1);
            p += 4;
            if (c >= 0xD800 && c < 0xDC00 && e - 1 - p >= 7 && p[1] == '\\' && p[2] == 'u') {
                uint32_t lo = hex4(p + 3);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            put_utf8(b, c);
            break;
        }
        default: sl_buf_putc(b, *p); /* " \ / */
        }
    }
    return true;
}

/* Field text fragment f[0..n) quoted when it needs to be (RFC 4180). */
static void field(sl_buf *out, const char *f, size_t n) {
    bool q = false;
    for (size_t i = 0; i < n && !q; i++) q = f[i] == ',' || f[i] == '"' || f[i] == '\r' || f[i] == '\n';
    if (!q) {
        sl_buf_put(out, f, n);
        return;
    }
    sl_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (f[i] == '"') sl_buf_putc(out, '"');
        sl_buf_putc(out, f[i]);
    }
    sl_buf_putc(out, '"');
}

/* The JSON value at v as one CSV field. */
static bool value_field(const rd *r, const char *v, sl_buf *out) {
    const char *e = skip_value(r, v);
    if (!e) return false;
    if (*v == '"') {
        sl_buf t;
        sl_buf_init(&t);
        bool ok = unescape(r, v, &t);
        if (ok) field(out, t.p ? t.p : "", t.len);
        ok = ok && !t.oom;
        sl_buf_free(&t);
        return ok;
    }
    size_t n = (size_t)(e - v);
    if (n == 4 && !memcmp(v, "true", 4)) sl_buf_putc(out, '1');
    else if (n == 5 && !memcmp(v, "false", 5)) sl_buf_putc(out, '0');
    else if (n == 4 && !memcmp(v, "null", 4)) { /* empty */
    } else field(out, v, n); /* numbers; nested values as their JSON text */
    return true;
}

static void eol(sl_buf *out) { sl_buf_puts(out, "\r\n"); }

/* An array of objects: the header is the first object's keys (every object
 * has the same); without elements the header comes from keys[0..nkeys). */
static bool objects(const rd *r, const char *arr, const char *const *keys, size_t nkeys, sl_buf *out) {
    const char *it = arr, *v;
    bool bad = false, first = true;
    char names[32][48];
    size_t nn = 0;
    while (next_elem(r, &it, &v, &bad)) {
        if (first) { /* the header: the first object's keys in order */
            const char *p = ws(r, v + 1);
            while (p < r->end && *p == '"' && nn < 32) {
                const char *ke = skip_str(r, p);
                if (!ke || (size_t)(ke - p - 2) >= sizeof names[0]) return false;
                memcpy(names[nn], p + 1, (size_t)(ke - p - 2));
                names[nn][ke - p - 2] = '\0';
                nn++;
                p = ws(r, ke);
                if (p >= r->end || *p != ':') return false;
                if (!(p = skip_value(r, p + 1))) return false;
                p = ws(r, p);
                if (p < r->end && *p == ',') p = ws(r, p + 1);
            }
            for (size_t i = 0; i < nn; i++) {
                if (i) sl_buf_putc(out, ',');
                field(out, names[i], strlen(names[i]));
            }
            eol(out);
            first = false;
        }
        for (size_t i = 0; i < nn; i++) {
            if (i) sl_buf_putc(out, ',');
            const char *m = member(r, v, names[i]);
            if (m && !value_field(r, m, out)) return false;
        }
        eol(out);
    }
    if (first && !bad) {
        for (size_t i = 0; i < nkeys; i++) {
            if (i) sl_buf_putc(out, ',');
            field(out, keys[i], strlen(keys[i]));
        }
        eol(out);
    }
    return !bad;
}

/* An array of arrays (rows), each value a field. */
static bool rows(const rd *r, const char *arr, sl_buf *out) {
    const char *it = arr, *row;
    bool bad = false;
    while (next_elem(r, &it, &row, &bad)) {
        const char *it2 = row, *v;
        bool bad2 = false, first = true;
        while (next_elem(r, &it2, &v, &bad2)) {
            if (!first) sl_buf_putc(out, ',');
            first = false;
            if (!value_field(r, v, out)) return false;
        }
        if (bad2) return false;
        eol(out);
    }
    return !bad;
}

/* spill: hours x series -> hour, query_type, spilled, mbytes, queries */
static bool spill(const rd *r, const char *doc, sl_buf *out) {
    static const char *const f[] = {"spilled", "mbytes", "queries"};
    sl_buf_puts(out, "hour,query_type,spilled,mbytes,queries");
    eol(out);
    const char *hours = member(r, doc, "hours"), *series = member(r, doc, "series");
    if (!hours || !series) return false;
    /* per series: its query_type and an iterator over each of its arrays */
    size_t ns = 0, cap = 0;
    const char *(*it)[4] = NULL;
    const char *sit = series, *s;
    bool bad = false;
    while (next_elem(r, &sit, &s, &bad)) {
        if (ns == cap) {
            size_t nc = cap ? cap * 2 : 16;
            const char *(*ni)[4] = realloc(it, nc * sizeof *ni);
            if (!ni) {
                free(it);
                out->oom = true;
                return false;
            }
            it = ni;
            cap = nc;
        }
        it[ns][0] = member(r, s, "query_type");
        for (int k = 0; k < 3; k++) it[ns][k + 1] = member(r, s, f[k]);
        for (int k = 0; k < 4; k++) bad = bad || !it[ns][k];
        ns++;
    }
    const char *hit = hours, *h;
    while (!bad && next_elem(r, &hit, &h, &bad)) {
        for (size_t i = 0; i < ns && !bad; i++) {
            bad = !value_field(r, h, out);
            sl_buf_putc(out, ',');
            bad = bad || !value_field(r, it[i][0], out);
            for (int k = 1; k < 4 && !bad; k++) {
                const char *v;
                sl_buf_putc(out, ',');
                bad = !next_elem(r, &it[i][k], &v, &bad) || !value_field(r, v, out);
            }
            eol(out);
        }
    }
    free(it);
    return !bad;
}

static const struct {
    const char *endpoint, *list;
    const char *keys[10]; /* the header of an empty list */
} k_lists[] = {
    {"cache", "instances", {"source", "instance_id", "queries", "cached", "hit_rate"}},
    {"top_tables", "tables", {"source", "instance_id", "table_id", "reads", "hours"}},
    {"instances", "instances", {"source", "instance_id", "queries"}},
    {"compile", "buckets", {"joins_bucket", "queries", "compile_ms_sum", "compile_ms_avg", "compile_ms_max"}},
    {"utilization",
     "top",
     {"hour", "source", "instance_id", "composite", "q_score", "c_score", "s_score", "p_score", "oversubscribed",
      "slowdown"}},
};
#define NLISTS (sizeof k_lists / sizeof *k_lists)

bool sv_csv_supported(const char *endpoint) {
    if (!strcmp(endpoint, "table") || !strcmp(endpoint, "spill")) return true;
    for (size_t i = 0; i < NLISTS; i++)
        if (!strcmp(endpoint, k_lists[i].endpoint)) return true;
    return false;
}

sl_err sv_csv_from_json(const char *endpoint, const char *json, size_t n, sl_buf *out, char *err, size_t errlen) {
    rd r = {json, json + n};
    bool ok = false;
    if (!strcmp(endpoint, "table")) {
        const char *cols = member(&r, json, "columns"), *rs = member(&r, json, "rows");
        if (cols && rs) {
            /* the header is one row: the column names */
            const char *it = cols, *v;
            bool bad = false, first = true;
            while (next_elem(&r, &it, &v, &bad)) {
                if (!first) sl_buf_putc(out, ',');
                first = false;
                if (!value_field(&r, v, out)) bad = true;
            }
            eol(out);
            ok = !bad && rows(&r, rs, out);
        }
    } else if (!strcmp(endpoint, "spill")) {
        ok = spill(&r, json, out);
    } else {
        for (size_t i = 0; i < NLISTS; i++) {
            if (strcmp(endpoint, k_lists[i].endpoint) != 0) continue;
            size_t nk = 0;
            while (nk < 10 && k_lists[i].keys[nk]) nk++;
            const char *a = member(&r, json, k_lists[i].list);
            ok = a && objects(&r, a, k_lists[i].keys, nk, out);
        }
    }
    if (out->oom) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory building the CSV answer");
    if (!ok) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "cannot turn the %s answer into CSV", endpoint);
    return SL_OK;
}
