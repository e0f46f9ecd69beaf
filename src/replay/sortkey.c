#include "replay/sortkey.h"

#include <stdlib.h>
#include <string.h>

#include "replay/input_plugin.h"

typedef struct lab {
    const char *s;
    size_t i;
} lab;

static int lab_cmp(const void *a, const void *b) {
    const lab *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (c) return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

sl_err rp_srcmap_init(rp_srcmap *m, const sc_schema *sch, const char *const *labels, size_t n, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    m->rank = calloc(n ? n : 1, sizeof *m->rank);
    lab *l = malloc((n ? n : 1) * sizeof *l);
    if (!m->rank || !l) {
        free(l);
        free(m->rank);
        m->rank = NULL;
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) l[i] = (lab){labels[i] ? labels[i] : "", i};
    qsort(l, n, sizeof *l, lab_cmp);
    uint32_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(l[i].s, l[i - 1].s) != 0) r++;
        m->rank[l[i].i] = r;
    }
    m->n = n;
    m->schema = sch;
    free(l);
    return SL_OK;
}

void rp_srcmap_free(rp_srcmap *m) {
    free(m->rank);
    memset(m, 0, sizeof *m);
}

void rp_keys_extract(const sl_batch *b, const rp_srcmap *m, size_t from, size_t n, rp_key *out) {
    const sc_schema *sch = m->schema;
    const sl_col *cts = &b->cols[sch->time], *cx = &b->cols[sch->input];
    const sl_col *cin = sch->order[0] >= 0 ? &b->cols[sch->order[0]] : NULL;
    const sl_col *cq = sch->order[1] >= 0 ? &b->cols[sch->order[1]] : NULL;
    const int64_t *ts = (const int64_t *)cts->data + from;
    const int32_t *inp = (const int32_t *)cx->data + from;
    const uint32_t maxr = (1u << 30) - 1;
    bool qstr = cq && cq->t.type == SL_BYTES;
    /* fast path: one input for the whole range, no NULLs, numeric keys */
    bool one = cin && cq && !qstr;
    for (size_t i = 1; i < n && one; i++) one = inp[i] == inp[0];
    if (one && !cts->valid && !cin->valid && !cq->valid) {
        const int32_t *inst = (const int32_t *)cin->data + from;
        const int64_t *qid = (const int64_t *)cq->data + from;
        uint32_t r = n && inp[0] >= 0 && (size_t)inp[0] < m->n ? m->rank[inp[0]] : maxr;
        uint64_t hi = (uint64_t)r << 34 | 1u;
        for (size_t i = 0; i < n; i++) {
            out[i].ts = (uint64_t)ts[i] ^ RP_TS_BIAS;
            out[i].mid = hi | ((uint64_t)((uint32_t)inst[i] ^ 0x80000000u) + 1) << 1;
            out[i].qid = (uint64_t)qid[i] ^ RP_TS_BIAS;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t row = from + i;
        uint32_t r = inp[i] >= 0 && (size_t)inp[i] < m->n ? m->rank[inp[i]] : maxr;
        int32_t k1 = cin ? ((const int32_t *)cin->data)[row] : 0;
        int64_t k2 = 0;
        if (cq && !sl_col_is_null(cq, row)) {
            if (qstr) {
                sl_str v = ((const sl_str *)cq->data)[row];
                k2 = (int64_t)rp_key_hash(v.ptr, v.len);
            } else {
                k2 = ((const int64_t *)cq->data)[row];
            }
        }
        out[i] = rp_key_make(sl_col_is_null(cts, row), ts[i], r, !cin || sl_col_is_null(cin, row), k1,
                             !cq || sl_col_is_null(cq, row), k2);
    }
}

/* ------------------------------------------------------------------ sort */

size_t rp_sort_scratch_bytes(size_t n) { return 2 * (n ? n : 1) * sizeof(rp_sortrec); }

static inline bool tie_lt(const rp_key *keys, uint32_t a, uint32_t b) {
    const rp_key *x = &keys[a], *y = &keys[b];
    if (x->mid != y->mid) return x->mid < y->mid;
    if (x->qid != y->qid) return x->qid < y->qid;
    return a < b;
}

/* Stable sort of p[0..n) by (mid, qid, position); s: scratch of n. */
static void tie_sort(const rp_key *keys, uint32_t *p, size_t n, uint32_t *s) {
    if (n <= 24) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = p[i];
            size_t j = i;
            while (j > 0 && tie_lt(keys, v, p[j - 1])) {
                p[j] = p[j - 1];
                j--;
            }
            p[j] = v;
        }
        return;
    }
    size_t h = n / 2;
    tie_sort(keys, p, h, s);
    tie_sort(keys, p + h, n - h, s);
    if (!tie_lt(keys, p[h], p[h - 1])) return;
    memcpy(s, p, n * sizeof *p);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) p[k++] = tie_lt(keys, s[j], s[i]) ? s[j++] : s[i++];
    while (i < h) p[k++] = s[i++];
    while (j < n) p[k++] = s[j++];
}


/* Number of significant bits of v (0 for 0). */
static int bit_length(uint64_t v) {
#if defined(__GNUC__) || defined(__clang__)
    return v ? 64 - __builtin_clzll(v) : 0;
#else
    int b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
#endif
}

void rp_sort_keys(const rp_key *keys, size_t n, uint32_t *perm, void *tmp) {
    if (n == 0) return;
    rp_sortrec *a = tmp, *b = a + n;
    uint64_t mn = UINT64_MAX, mx = 0;
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        uint64_t t = keys[i].ts;
        if (t < mn) mn = t;
        if (t > mx) mx = t;
        if (i && rp_key_lt(&keys[i], &keys[i - 1])) sorted = false;
    }
    if (sorted) {
        for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        a[i].ts = keys[i].ts - mn;
        a[i].idx = (uint32_t)i;
    }
    uint64_t range = mx - mn;
    int bits = bit_length(range);
    enum { D = 11, R = 1 << D };
    int passes = (bits + D - 1) / D;
    size_t *cnt = calloc((size_t)passes * R + 1, sizeof *cnt);
    if (!cnt) {
        /* no memory for counts: fall back to the reference sort */
        rp_sort_keys_ref(keys, n, perm);
        return;
    }
    /* one counting pass for all digits */
    for (size_t i = 0; i < n; i++) {
        uint64_t v = a[i].ts;
        for (int p = 0; p < passes; p++) cnt[(size_t)p * R + ((v >> (p * D)) & (R - 1))]++;
    }
    for (int p = 0; p < passes; p++) {
        size_t *c = cnt + (size_t)p * R;
        if (c[(a[0].ts >> (p * D)) & (R - 1)] == n) continue; /* digit constant */
        size_t sum = 0;
        for (size_t d = 0; d < R; d++) {
            size_t t = c[d];
            c[d] = sum;
            sum += t;
        }
        int sh = p * D;
        for (size_t i = 0; i < n; i++) {
            rp_sortrec r = a[i];
            b[c[(r.ts >> sh) & (R - 1)]++] = r;
        }
        rp_sortrec *t = a;
        a = b;
        b = t;
    }
    free(cnt);
    for (size_t i = 0; i < n; i++) perm[i] = a[i].idx;
    /* ties on the timestamp: order by (mid, qid), stable */
    uint32_t *scratch = (uint32_t *)b;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && a[j].ts == a[i].ts) j++;
        if (j - i > 1) tie_sort(keys, perm + i, j - i, scratch);
        i = j;
    }
}

static const rp_key *ref_keys;
static int ref_cmp(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    int c = rp_key_cmp(&ref_keys[a], &ref_keys[b]);
    if (c) return c;
    return a < b ? -1 : a > b;
}

void rp_sort_keys_ref(const rp_key *keys, size_t n, uint32_t *perm) {
    for (size_t i = 0; i < n; i++) perm[i] = (uint32_t)i;
    ref_keys = keys;
    qsort(perm, n, sizeof *perm, ref_cmp);
    ref_keys = NULL;
}
