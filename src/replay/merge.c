#include "replay/merge.h"

#include <stdlib.h>
#include <string.h>


/* ------------------------------------------------------------------ gather */

size_t rp_batch_bytes(const sl_batch *b) {
    size_t s = sizeof *b + b->ncols * sizeof(sl_col);
    for (size_t c = 0; c < b->ncols; c++) {
        s += b->cap * sl_type_width(b->cols[c].t.type);
        if (b->cols[c].valid) s += (b->cap + 7) / 8;
    }
    s += b->arena.reserved;
    for (size_t i = 0; i < b->nblobs; i++) s += b->blobs[i]->cap + sizeof(sl_blob);
    s += b->blobcap * sizeof(sl_blob *);
    return s;
}

#define GATHER_LOOP(T)                                                       \
    do {                                                                     \
        T *o = (T *)oc->data + base;                                         \
        for (size_t i = 0; i < n; i++) o[i] = ((const T *)ptr[src[i]])[row[i]]; \
    } while (0)

sl_err rp_gather(sl_batch *out, sl_batch *const *srcs, size_t nsrc, const uint32_t *src, const uint32_t *row, size_t n,
                 rp_strmode mode, char *err, size_t errlen) {
    size_t base = out->nrows;
    if (base + n > out->cap) {
        size_t cap = out->cap ? out->cap : 1024;
        while (cap < base + n) cap *= 2;
        sl_err e = sl_batch_reserve(out, cap, err, errlen);
        if (e) return e;
    }
    const void *ptrbuf[64];
    const void **ptr = nsrc <= 64 ? ptrbuf : malloc(nsrc * sizeof *ptr);
    if (!ptr) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sl_err e = SL_OK;
    for (size_t c = 0; c < out->ncols && !e; c++) {
        sl_col *oc = &out->cols[c];
        bool anynull = false, allnull = true;
        for (size_t s = 0; s < nsrc; s++) {
            ptr[s] = srcs[s] ? srcs[s]->cols[c].data : NULL;
            if (srcs[s] && srcs[s]->cols[c].valid) anynull = true;
            if (srcs[s] && srcs[s]->nrows && srcs[s]->cols[c].null_count != srcs[s]->nrows) allnull = false;
        }
        if (allnull && anynull) { /* a column NULL in every source (e.g. serverless cluster_size) */
            uint8_t *v = sl_col_valid_alloc(out, c);
            if (!v) {
                e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                break;
            }
            memset((uint8_t *)oc->data + base * sl_type_width(oc->t.type), 0, n * sl_type_width(oc->t.type));
            for (size_t i = 0; i < n; i++) sl_bit_clear(v, base + i);
            oc->null_count += n;
            continue;
        }
        switch (oc->t.type) {
        case SL_BOOL: GATHER_LOOP(uint8_t); break;
        case SL_I32:
        case SL_F32: GATHER_LOOP(uint32_t); break;
        case SL_I64:
        case SL_F64: GATHER_LOOP(uint64_t); break;
        case SL_BYTES: {
            sl_str *o = (sl_str *)oc->data + base;
            for (size_t i = 0; i < n; i++) o[i] = ((const sl_str *)ptr[src[i]])[row[i]];
            if (mode == RP_STR_COPY) {
                /* repeated values (labels, dictionary strings) are copied once per run */
                const char *lastp = NULL, *lastd = NULL;
                uint32_t lastl = 0;
                for (size_t i = 0; i < n; i++) {
                    if (o[i].len == 0) continue;
                    if (o[i].ptr == lastp && o[i].len == lastl) {
                        o[i].ptr = lastd;
                        continue;
                    }
                    char *d = sl_arena_dup(&out->arena, o[i].ptr, o[i].len);
                    if (!d) {
                        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                        break;
                    }
                    lastp = o[i].ptr;
                    lastl = o[i].len;
                    lastd = d;
                    o[i].ptr = d;
                }
            }
            break;
        }
        }
        if (e) break;
        if (anynull || oc->valid) {
            uint8_t *v = sl_col_valid_alloc(out, c);
            if (!v) {
                e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                break;
            }
            size_t nulls = 0;
            for (size_t i = 0; i < n; i++) {
                const sl_col *sc = &srcs[src[i]]->cols[c];
                if (sc->valid && !sl_bit_get(sc->valid, row[i])) {
                    sl_bit_clear(v, base + i);
                    nulls++;
                } else {
                    sl_bit_set(v, base + i);
                }
            }
            oc->null_count += nulls;
        }
    }
    if (!e && mode == RP_STR_RETAIN) {
        /* retain the blobs of every source that contributed */
        uint8_t *used = calloc(nsrc ? nsrc : 1, 1);
        if (!used) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        for (size_t i = 0; used && i < n; i++) used[src[i]] = 1;
        for (size_t s = 0; used && s < nsrc && !e; s++) {
            if (!srcs[s] || !used[s]) continue;
            for (size_t k = 0; k < srcs[s]->nblobs; k++)
                if (sl_batch_retain(out, srcs[s]->blobs[k]) != SL_OK)
                    e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        free(used);
    }
    if (ptr != ptrbuf) free((void *)ptr);
    if (!e) out->nrows = base + n;
    return e;
}

/* ------------------------------------------------------------------ merge */

typedef struct cursor {
    void *ctx;
    sl_batch slot[2];
    int s;               /* current slot */
    bool pinned[2];      /* slot has rows waiting in the pick list */
    size_t pos, n;       /* current slot: next row, rows */
    rp_key *keys;        /* keys of the current slot's rows */
    size_t keycap;
    rp_key last;
    bool has_last, done;
} cursor;

struct rp_merge {
    size_t k;
    rp_cursor_fn fn;
    cursor *cur;
    uint32_t *tree;      /* loser tree: tree[0] winner, tree[1..k) losers */
    const rp_srcmap *map;
    rp_merge_opts o;
    uint64_t lo, hi;     /* key-space range of non-NULL timestamps [lo, hi) */
    bool filter;
    uint32_t *psrc, *prow;
    size_t npick, pickcap;
    sl_batch **slots;    /* 2k pointers for the gather */
    size_t peak;
    uint64_t filtered;
};

static inline bool passes(const rp_merge *mg, const rp_key *k) {
    if (!mg->filter) return true;
    if (k->ts == 0) return !mg->o.drop_null;
    return k->ts >= mg->lo && k->ts < mg->hi;
}

/* a beats b: cursor a's current key < cursor b's (exhausted cursors lose; ties: lower index) */
static inline bool beats(const rp_merge *mg, uint32_t a, uint32_t b) {
    const cursor *x = &mg->cur[a], *y = &mg->cur[b];
    if (x->done) return false;
    if (y->done) return true;
    const rp_key *ka = &x->keys[x->pos], *kb = &y->keys[y->pos];
    if (ka->ts != kb->ts) return ka->ts < kb->ts;
    if (ka->mid != kb->mid) return ka->mid < kb->mid;
    if (ka->qid != kb->qid) return ka->qid < kb->qid;
    return a < b;
}

static sl_err flush_picks(rp_merge *mg, sl_batch *out, char *err, size_t errlen) {
    if (mg->npick == 0) return SL_OK;
    sl_err e = rp_gather(out, mg->slots, 2 * mg->k, mg->psrc, mg->prow, mg->npick, mg->o.strings, err, errlen);
    mg->npick = 0;
    for (size_t i = 0; i < mg->k; i++) mg->cur[i].pinned[0] = mg->cur[i].pinned[1] = false;
    return e;
}

/* Load the next non-empty batch (with at least one passing row) into the
 * cursor's other slot.  The caller made sure that slot is not pinned. */
static sl_err load(rp_merge *mg, size_t ci, char *err, size_t errlen) {
    cursor *c = &mg->cur[ci];
    for (;;) {
        int t = c->pinned[1 - c->s] ? c->s : 1 - c->s;
        sl_batch *b = &c->slot[t];
        long n = mg->fn(c->ctx, b, err, errlen);
        if (n < 0) return (sl_err)n;
        if (n == 0) {
            c->done = true;
            c->n = c->pos = 0;
            sl_batch_reset(b);
            return SL_OK;
        }
        if ((size_t)n != b->nrows) return sl_err_set(err, errlen, SL_ERR_ARG, "merge: cursor returned %ld rows for a batch of %zu",
                                                     n, b->nrows);
        if ((size_t)n > c->keycap) {
            size_t cap = c->keycap ? c->keycap : 1024;
            while (cap < (size_t)n) cap *= 2;
            rp_key *nk = realloc(c->keys, cap * sizeof *nk);
            if (!nk) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            c->keys = nk;
            c->keycap = cap;
        }
        rp_keys_extract(b, mg->map, 0, (size_t)n, c->keys);
        if (mg->o.check_order) {
            for (size_t i = 0; i < (size_t)n; i++) {
                const rp_key *prev = i ? &c->keys[i - 1] : (c->has_last ? &c->last : NULL);
                if (prev && rp_key_lt(&c->keys[i], prev))
                    return sl_err_set(err, errlen, SL_ERR_CORRUPT,
                                      "merge: cursor %zu is not in replay order at one of its rows (the input changed "
                                      "since planning?)",
                                      ci);
            }
            c->last = c->keys[n - 1];
            c->has_last = true;
        }
        c->s = t;
        c->n = (size_t)n;
        c->pos = 0;
        while (c->pos < c->n && !passes(mg, &c->keys[c->pos])) c->pos++;
        mg->filtered += c->pos;
        if (c->pos < c->n) return SL_OK;
    }
}

static void tree_build(rp_merge *mg) {
    size_t k = mg->k;
    /* classic bottom-up build: winners of the subtrees */
    uint32_t *win = malloc(2 * k * sizeof *win);
    if (!win) {
        /* fall back: linear build by replaying each leaf */
        for (size_t i = 0; i < k; i++) mg->tree[i] = (uint32_t)i;
        return;
    }
    for (size_t i = 0; i < k; i++) win[k + i] = (uint32_t)i;
    for (size_t i = k - 1; i >= 1; i--) {
        uint32_t a = win[2 * i], b = win[2 * i + 1];
        if (beats(mg, a, b)) {
            win[i] = a;
            mg->tree[i] = b;
        } else {
            win[i] = b;
            mg->tree[i] = a;
        }
    }
    mg->tree[0] = k > 1 ? win[1] : 0;
    free(win);
}

static void tree_replay(rp_merge *mg, uint32_t leaf) {
    size_t k = mg->k;
    uint32_t w = leaf;
    for (size_t node = (k + leaf) / 2; node >= 1; node /= 2) {
        uint32_t l = mg->tree[node];
        if (beats(mg, l, w)) {
            mg->tree[node] = w;
            w = l;
        }
    }
    mg->tree[0] = w;
}

sl_err rp_merge_open(rp_merge **out, size_t k, rp_cursor_fn fn, void *const *ctx, const rp_srcmap *m,
                     const rp_merge_opts *o, char *err, size_t errlen) {
    *out = NULL;
    if (k == 0) return sl_err_set(err, errlen, SL_ERR_ARG, "merge: no cursors");
    rp_merge *mg = calloc(1, sizeof *mg);
    if (!mg) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    mg->k = k;
    mg->fn = fn;
    mg->map = m;
    mg->o = *o;
    mg->filter = o->from_us != INT64_MIN || o->to_us != INT64_MAX || o->drop_null;
    mg->lo = (uint64_t)o->from_us ^ RP_TS_BIAS;
    mg->hi = o->to_us == INT64_MAX ? UINT64_MAX : (uint64_t)o->to_us ^ RP_TS_BIAS;
    if (mg->lo == 0) mg->lo = 1;
    mg->cur = calloc(k, sizeof *mg->cur);
    mg->tree = calloc(k, sizeof *mg->tree);
    mg->slots = calloc(2 * k, sizeof *mg->slots);
    if (!mg->cur || !mg->tree || !mg->slots) {
        rp_merge_close(mg);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    sl_err e = SL_OK;
    for (size_t i = 0; i < k && !e; i++) {
        cursor *c = &mg->cur[i];
        c->ctx = ctx[i];
        for (int s = 0; s < 2 && !e; s++) {
            sl_batch_init(&c->slot[s]);
            mg->slots[2 * i + s] = &c->slot[s];
            e = sc_init_batch(m->schema, &c->slot[s], err, errlen);
        }
        c->s = 1;
        if (!e) e = load(mg, i, err, errlen);
    }
    if (e) {
        rp_merge_close(mg);
        return e;
    }
    tree_build(mg);
    rp_merge_mem(mg);
    *out = mg;
    return SL_OK;
}

long rp_merge_next(rp_merge *mg, sl_batch *out, size_t max_rows, char *err, size_t errlen) {
    sl_batch_reset(out);
    if (max_rows == 0) max_rows = 1;
    if (max_rows > mg->pickcap) {
        uint32_t *a = realloc(mg->psrc, max_rows * sizeof *a);
        if (a) mg->psrc = a;
        uint32_t *b = realloc(mg->prow, max_rows * sizeof *b);
        if (b) mg->prow = b;
        if (!a || !b) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        mg->pickcap = max_rows;
    }
    sl_err e = sl_batch_reserve(out, max_rows, err, errlen);
    if (e) return e;
    size_t produced = 0;
    while (produced < max_rows) {
        uint32_t w = mg->tree[0];
        cursor *c = &mg->cur[w];
        if (c->done) break;
        /* take a run of rows from the winner while it stays ahead of the runner-up */
        size_t take = 0;
        mg->psrc[mg->npick] = (uint32_t)(2 * w + c->s);
        mg->prow[mg->npick] = (uint32_t)c->pos;
        mg->npick++;
        take++;
        c->pinned[c->s] = true;
        c->pos++;
        produced++;
        while (c->pos < c->n && !passes(mg, &c->keys[c->pos])) {
            c->pos++;
            mg->filtered++;
        }
        if (c->pos == c->n) {
            if (c->pinned[1 - c->s]) {
                /* both slots hold picked rows: gather them before reusing one */
                size_t before = out->nrows;
                e = flush_picks(mg, out, err, errlen);
                if (e) return e;
                (void)before;
            }
            e = load(mg, w, err, errlen);
            if (e) return e;
        }
        tree_replay(mg, w);
        (void)take;
    }
    e = flush_picks(mg, out, err, errlen);
    if (e) return e;
    rp_merge_mem(mg);
    return (long)out->nrows;
}

size_t rp_merge_mem(const rp_merge *cmg) {
    rp_merge *mg = (rp_merge *)cmg;
    size_t s = sizeof *mg + mg->k * (sizeof(cursor) + sizeof(uint32_t) + 2 * sizeof(sl_batch *));
    s += mg->pickcap * 8;
    for (size_t i = 0; i < mg->k; i++) {
        const cursor *c = &mg->cur[i];
        s += rp_batch_bytes(&c->slot[0]) + rp_batch_bytes(&c->slot[1]) + c->keycap * sizeof(rp_key);
    }
    if (s > mg->peak) mg->peak = s;
    return s;
}

size_t rp_merge_peak_mem(const rp_merge *mg) { return mg->peak; }
uint64_t rp_merge_filtered(const rp_merge *mg) { return mg->filtered; }

void rp_merge_close(rp_merge *mg) {
    if (!mg) return;
    if (mg->cur) {
        for (size_t i = 0; i < mg->k; i++) {
            sl_batch_free(&mg->cur[i].slot[0]);
            sl_batch_free(&mg->cur[i].slot[1]);
            free(mg->cur[i].keys);
        }
    }
    free(mg->cur);
    free(mg->tree);
    free(mg->slots);
    free(mg->psrc);
    free(mg->prow);
    free(mg);
}
