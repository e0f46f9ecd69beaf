/* order.c: the replay's ordering engine (see order.h).
 *
 * Strategies and thresholds:
 *   STREAM          every input is one sorted segment and inputs x cursor
 *                   memory fit the budget: k-way merge of the inputs (one
 *                   input without --from/--to: pass-through).
 *   MERGE_SEGMENTS  all inputs are Parquet (rp_input_seek is cheap there) and
 *                   segments x cursor memory fit the budget: one cursor per
 *                   segment (rp_input_open + rp_input_seek, read until the
 *                   segment's end), merged.
 *   EXTERNAL_SORT   otherwise (or force_sort).
 * Cursor memory (estimate_cursor): a Parquet cursor holds per column a 1 MiB
 * read-ahead window, the current decoded page and the dictionary; we take per
 * column 1 MiB + min(largest column chunk uncompressed, 2 MiB) + the largest
 * dictionary-free share, from the file's footer, plus two batches of
 * CURSOR_ROWS rows and their keys.  Text inputs: 4 MiB + batches.
 * Planning stops reading keys as soon as the segments counted can no longer
 * fit (shuffled input: after the first few thousand rows).
 *
 * External sort: canonical batches are read (all inputs, in order), their
 * keys extracted and the rows kept (after the from/to filter) as row-major
 * records (spill.h: fixed-width values, NULL bits and the string bytes of one
 * row contiguous, ~250-350 B/row) in one buffer, until the records + 68 B/row
 * of sort state (key, record offset, permutation, radix scratch) + the read
 * batch reach ACC_FRACTION of the budget.  The keys are sorted (sortkey.c)
 * and the records, in key order, are encoded straight into the columnar raw
 * layout of spill blocks of ~512 KiB (a few cache misses per row, no
 * intermediate batch) and written as a run (spill.c, LZ4_RAW) in a private
 * mkdtemp directory.  When everything fits in one run, nothing is written:
 * batches are decoded from the sorted records in memory.  Runs are merged
 * (merge.c) with a fan-in that fits the budget (two blocks + batch arrays per
 * run); more runs than that are merged in passes of consecutive groups
 * (stability: a group's output takes the group's place).
 */
#include "replay/order.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/source.h"
#include "parquet/reader.h"
#include "replay/merge.h"
#include "replay/sortkey.h"
#include "replay/spill.h"

#define CURSOR_ROWS 4096          /* rows per batch of a STREAM/MERGE_SEGMENTS cursor */
#define READ_ROWS 16384           /* rows per batch read for the external sort */
#define SORT_ROW_OVERHEAD 68      /* key 24 + record offset 8 + perm 4 + radix scratch 32 */
#define ACC_FRACTION 0.75         /* share of the budget for the records and sort state of a run */
#define BLOCK_TARGET (1u << 19)   /* raw bytes per spill block */
#define MAX_DIRS 64
#define DIR_MAX 1024

/* ------------------------------------------------------------ temp registry */

typedef struct tmp_slot {
    volatile sig_atomic_t used;
    volatile sig_atomic_t nfiles; /* run files named run-000000.slr .. run-(nfiles-1) */
    char dir[DIR_MAX];
} tmp_slot;
static tmp_slot g_tmp[MAX_DIRS];

/* path = dir + "/run-" + 6+ digits + ".slr", without stdio (async-signal-safe) */
static void run_path(char *out, size_t cap, const char *dir, unsigned i) {
    size_t n = 0;
    for (const char *p = dir; *p && n + 1 < cap; p++) out[n++] = *p;
    const char *pre = "/run-";
    for (const char *p = pre; *p && n + 1 < cap; p++) out[n++] = *p;
    char dig[16];
    int nd = 0;
    do {
        dig[nd++] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    while (nd < 6) dig[nd++] = '0';
    while (nd > 0 && n + 1 < cap) out[n++] = dig[--nd];
    const char *suf = ".slr";
    for (const char *p = suf; *p && n + 1 < cap; p++) out[n++] = *p;
    out[n] = 0;
}

static void slot_clean(tmp_slot *s) {
    char path[DIR_MAX + 32];
    int nf = s->nfiles;
    for (int i = 0; i < nf; i++) {
        run_path(path, sizeof path, s->dir, (unsigned)i);
        unlink(path);
    }
    rmdir(s->dir);
}

void rp_order_cleanup_all(void) {
    for (int i = 0; i < MAX_DIRS; i++)
        if (g_tmp[i].used) slot_clean(&g_tmp[i]);
}

/* ------------------------------------------------------------ the object */

typedef struct incur {
    rp_input *in;
    bool owned;
    uint64_t remaining; /* rows left in the segment (UINT64_MAX: to the end) */
    size_t rows;        /* rows per batch */
} incur;

typedef struct seg {
    uint32_t input;
    uint64_t start, len;
    uint64_t skip; /* leading rows before resume_us (NULL timestamps included) */
} seg;

struct rp_order {
    rp_order_opts o;
    rp_order_stats st;
    rp_input **in;
    size_t nin;
    rp_srcmap map;
    bool passthrough;
    bool done;
    /* STREAM / MERGE_SEGMENTS / final merge of runs */
    rp_merge *mg;
    incur *incs;
    size_t nincs;
    void **ctxs;
    rp_spill_reader **rd;
    size_t nrd;
    /* external sort */
    int slot;              /* registry slot or -1 */
    unsigned next_run;     /* next run file number */
    unsigned *runs;        /* run file numbers, in order */
    size_t nruns, runcap;
    sl_batch rb;           /* read batch */
    bool rb_init;
    size_t rb_bytes;
    rp_rec_layout L;       /* row records (spill.h) */
    uint8_t *rec;          /* the records of the run being accumulated */
    size_t rec_used, rec_cap;
    rp_key *keys;
    uint64_t *offs;        /* offset of each key's record in rec */
    size_t nkeys, keycap;
    uint32_t *rows;        /* rows of the read batch kept by the from/to filter */
    size_t rowscap;
    uint32_t *perm;
    void *scratch;
    size_t scratch_n;
    size_t permpos;        /* in-memory: next position of perm to serve */
    bool in_memory;
    size_t block_rows;
    size_t max_raw_block;
    const uint8_t **rptr;  /* records of the block being written / served */
    size_t rpcap;
    uint8_t *rawbuf;       /* raw spill block */
    size_t rawcap;
    size_t mem_now;
    uint64_t plan_rows;    /* planning: rows counted that the order will give */
};

rp_order_opts rp_order_opts_default(void) {
    rp_order_opts o;
    memset(&o, 0, sizeof o);
    o.memory = (size_t)1 << 30;
    o.tmpdir = NULL;
    o.from_us = INT64_MIN;
    o.to_us = INT64_MAX;
    return o;
}

const char *rp_strategy_name(rp_strategy s) {
    switch (s) {
    case RP_STRAT_STREAM: return "stream";
    case RP_STRAT_MERGE_SEGMENTS: return "merge_segments";
    case RP_STRAT_EXTERNAL_SORT: return "external_sort";
    }
    return "?";
}

const rp_order_stats *rp_order_get_stats(const rp_order *o) { return &o->st; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void note_mem(rp_order *o, size_t bytes) {
    o->mem_now = bytes;
    if (bytes > o->st.peak_mem) o->st.peak_mem = bytes;
}

/* ------------------------------------------------------------ temp files */

static void remove_tmp(rp_order *o) {
    if (o->slot < 0) return;
    tmp_slot *s = &g_tmp[o->slot];
    slot_clean(s);
    s->used = 0;
    o->slot = -1;
}

static sl_err make_tmp(rp_order *o, char *err, size_t errlen) {
    if (o->slot >= 0) return SL_OK;
    const char *base = o->o.tmpdir;
    if (!base || !*base) base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    int si = -1;
    for (int i = 0; i < MAX_DIRS; i++)
        if (!g_tmp[i].used) {
            si = i;
            break;
        }
    if (si < 0) return sl_err_set(err, errlen, SL_ERR_ARG, "too many open replay orders with temporary files");
    tmp_slot *s = &g_tmp[si];
    /* the PID in the name lets a later run remove it if this process dies (util/leftover.h) */
    int n = snprintf(s->dir, sizeof s->dir, "%s/sluice-%ld-XXXXXX", base, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof s->dir - 32)
        return sl_err_set(err, errlen, SL_ERR_ARG, "temporary directory path too long: %s", base);
    if (!mkdtemp(s->dir))
        return sl_err_set(err, errlen, SL_ERR_IO, "creating a temporary directory in %s: %s", base, strerror(errno));
    s->nfiles = 0;
    s->used = 1;
    o->slot = si;
    return SL_OK;
}

static sl_err new_run(rp_order *o, char *path, size_t cap, unsigned *num, char *err, size_t errlen) {
    sl_err e = make_tmp(o, err, errlen);
    if (e) return e;
    tmp_slot *s = &g_tmp[o->slot];
    *num = o->next_run++;
    s->nfiles = (sig_atomic_t)o->next_run; /* registered before the file exists */
    run_path(path, cap, s->dir, *num);
    return SL_OK;
}

static sl_err spill_err(rp_order *o, sl_err e, char *err, size_t errlen) {
    if (e == SL_ERR_IO && o->slot >= 0)
        sl_err_prefix(err, errlen, "spilling sorted rows to the temporary directory %s (needs free space, or use a "
                                   "larger --memory / another --tmpdir)",
                      g_tmp[o->slot].dir);
    return e;
}

/* ------------------------------------------------------------ planning */

static size_t fixed_row_bytes(const sc_schema *s) {
    size_t b = 0;
    for (size_t c = 0; c < s->nall; c++) b += sl_type_width(sc_col_type(s, (int)c)->type);
    return b;
}

/* Memory of one cursor of input in: the reader's (when it can seek cheaply)
 * plus two batches of rows and keys. */
static size_t estimate_cursor(rp_input *in) {
    size_t batches = 2 * (CURSOR_ROWS * (fixed_row_bytes(rp_input_schema(in)) + 64 + sizeof(rp_key)));
    const in_plugin *f = rp_input_format(in);
    if (!f->cursor_bytes) return ((size_t)4 << 20) + batches;
    return f->cursor_bytes(in) + batches;
}

static sl_err reopen(rp_order *o, size_t i, rp_input **out, char *err, size_t errlen) {
    rp_input_opts io;
    memset(&io, 0, sizeof io);
    io.path = rp_input_path(o->in[i]);
    io.source = rp_input_source(o->in[i]);
    io.format = rp_input_format(o->in[i]);
    io.schema = rp_input_schema(o->in[i]);
    io.index = (int32_t)i;
    return rp_input_open(out, &io, err, errlen);
}

/* Count sorted segments of input i (keys only), recording up to maxseg
 * segments in *segs.  Stops once total segments exceed maxseg (*over). */
static sl_err count_segments(rp_order *o, size_t i, seg **segs, size_t *nseg, size_t *segcap, size_t maxseg,
                             bool *over, char *err, size_t errlen) {
    rp_input *kin = NULL;
    sl_err e = reopen(o, i, &kin, err, errlen);
    if (e) return e;
    enum { KR = 65536 };
    int64_t *ts = malloc(KR * sizeof *ts), *qid = malloc(KR * sizeof *qid);
    int32_t *inst = malloc(KR * sizeof *inst);
    if (!ts || !qid || !inst) {
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        goto done;
    }
    uint64_t row = 0;
    bool have = false;
    /* the rows the order will give: the merge's filter (from/to, a resume's
     * start and its NULL-timestamp drop) applied to the keys */
    int64_t lo = o->o.from_us, hi = o->o.to_us;
    if (o->o.resume && o->o.resume_us > lo) lo = o->o.resume_us;
    int64_t pts = 0, pq = 0;
    int32_t pi = 0;
    for (;;) {
        long n = rp_input_next_keys(kin, ts, inst, qid, KR, err, errlen);
        if (n < 0) {
            e = (sl_err)n;
            goto done;
        }
        if (n == 0) break;
        for (long j = 0; j < n; j++) {
            bool brk = !have;
            if (have) {
                if (ts[j] != pts) brk = ts[j] < pts;
                else if (inst[j] == 0 || pi == 0 || qid[j] == 0 || pq == 0) brk = true; /* NULL or 0: unsure */
                else if (inst[j] != pi) brk = inst[j] < pi;
                else brk = qid[j] < pq;
            }
            if (brk) {
                if (*nseg > 0 && (*segs)[*nseg - 1].input == i) (*segs)[*nseg - 1].len = row - (*segs)[*nseg - 1].start;
                if (*nseg >= maxseg) {
                    *over = true;
                    o->st.segments++;
                    goto done;
                }
                if (*nseg == *segcap) {
                    size_t nc = *segcap ? *segcap * 2 : 64;
                    seg *ns = realloc(*segs, nc * sizeof *ns);
                    if (!ns) {
                        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                        goto done;
                    }
                    *segs = ns;
                    *segcap = nc;
                }
                (*segs)[(*nseg)++] = (seg){(uint32_t)i, row, 0, 0};
                o->st.segments++;
            }
            /* a sorted segment: the rows before the resume point are a prefix (NULLs first) */
            if (o->o.resume && (*segs)[*nseg - 1].skip == row - (*segs)[*nseg - 1].start &&
                (ts[j] == INT64_MIN || ts[j] < o->o.resume_us))
                (*segs)[*nseg - 1].skip++;
            if (ts[j] == INT64_MIN ? !o->o.resume : ts[j] >= lo && ts[j] < hi) o->plan_rows++;
            have = true;
            pts = ts[j];
            pi = inst[j];
            pq = qid[j];
            row++;
        }
    }
    if (*nseg > 0 && (*segs)[*nseg - 1].input == i) (*segs)[*nseg - 1].len = row - (*segs)[*nseg - 1].start;
done:
    free(ts);
    free(qid);
    free(inst);
    rp_input_close(kin);
    return e;
}

/* ------------------------------------------------------------ input cursors */

static long incur_next(void *ctx, sl_batch *b, char *err, size_t errlen) {
    incur *c = ctx;
    if (c->remaining == 0) {
        sl_batch_reset(b);
        return 0;
    }
    size_t want = c->rows;
    if (c->remaining < want) want = (size_t)c->remaining;
    long n = rp_input_next(c->in, b, want, err, errlen);
    if (n > 0 && c->remaining != UINT64_MAX) c->remaining -= (uint64_t)n;
    if (n == 0 && c->remaining != UINT64_MAX)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "%s: ended before the end of a segment found in planning",
                          rp_input_path(c->in));
    return n;
}

static long spill_next_fn(void *ctx, sl_batch *b, char *err, size_t errlen) {
    return rp_spill_next((rp_spill_reader *)ctx, b, err, errlen);
}

static rp_merge_opts merge_opts(const rp_order *o, bool check, rp_strmode sm) {
    rp_merge_opts mo;
    mo.from_us = o->o.from_us;
    mo.to_us = o->o.to_us;
    mo.drop_null = o->o.resume;
    mo.check_order = check;
    mo.strings = sm;
    return mo;
}

static void close_cursors(rp_order *o) {
    rp_merge_close(o->mg);
    o->mg = NULL;
    for (size_t i = 0; i < o->nincs; i++)
        if (o->incs[i].owned) rp_input_close(o->incs[i].in);
    free(o->incs);
    o->incs = NULL;
    o->nincs = 0;
    for (size_t i = 0; i < o->nrd; i++) rp_spill_close(o->rd[i]);
    free(o->rd);
    o->rd = NULL;
    o->nrd = 0;
    free(o->ctxs);
    o->ctxs = NULL;
}

/* ------------------------------------------------------------ external sort */

static sl_err ensure_keys(rp_order *o, size_t n, char *err, size_t errlen) {
    if (n <= o->keycap) return SL_OK;
    size_t nc = o->keycap ? o->keycap : 4096;
    while (nc < n) nc += nc / 2;
    rp_key *k = realloc(o->keys, nc * sizeof *k);
    if (k) o->keys = k;
    uint64_t *t = realloc(o->offs, nc * sizeof *t);
    if (t) o->offs = t;
    if (!k || !t) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (sort keys)");
    o->keycap = nc;
    return SL_OK;
}

/* Bytes of the sort phase accounted against the budget: the record buffer
 * (at capacity), the key and offset arrays (at capacity), the permutation and
 * radix scratch of the rows held, and the read batch. */
static size_t acc_mem(const rp_order *o) {
    return o->rec_cap + o->keycap * (sizeof(rp_key) + sizeof(uint64_t)) + o->nkeys * (4 + 2 * sizeof(rp_sortrec)) +
           o->rb_bytes + o->rawcap + o->rpcap * sizeof(*o->rptr);
}

/* Make room for `need` more record bytes: the buffer grows in steps of
 * 1/16 of the accumulation target (realloc of a large block remaps pages, no
 * copy), so at most one step is unused. */
static sl_err ensure_rec(rp_order *o, size_t need, size_t target, char *err, size_t errlen) {
    if (o->rec_used + need <= o->rec_cap) return SL_OK;
    size_t step = target / 16;
    if (step < ((size_t)64 << 10)) step = (size_t)64 << 10;
    size_t nc = o->rec_cap + step;
    if (nc < o->rec_used + need) nc = o->rec_used + need + step;
    uint8_t *r = realloc(o->rec, nc);
    if (!r) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (sort buffer of %zu bytes)", nc);
    o->rec = r;
    o->rec_cap = nc;
    return SL_OK;
}

static sl_err sort_acc(rp_order *o, char *err, size_t errlen) {
    size_t n = o->nkeys;
    free(o->perm);
    o->perm = malloc((n ? n : 1) * sizeof *o->perm);
    if (o->scratch_n < n) {
        free(o->scratch);
        o->scratch = malloc(rp_sort_scratch_bytes(n));
        o->scratch_n = o->scratch ? n : 0;
    }
    if (!o->perm || (n && !o->scratch))
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (sorting %zu rows)", n);
    note_mem(o, acc_mem(o));
    rp_sort_keys(o->keys, n, o->perm, o->scratch);
    /* the radix scratch is not needed any more */
    free(o->scratch);
    o->scratch = NULL;
    o->scratch_n = 0;
    return SL_OK;
}

/* Pointers to the records perm[from, from+n) in o->rptr (prefetching ahead). */
static sl_err rec_ptrs(rp_order *o, size_t from, size_t n, char *err, size_t errlen) {
    if (n > o->rpcap) {
        const uint8_t **p = realloc(o->rptr, n * sizeof *p);
        if (!p) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        o->rptr = p;
        o->rpcap = n;
    }
    const uint32_t *perm = o->perm + from;
    const uint64_t *offs = o->offs;
    const uint8_t *rec = o->rec;
    enum { AHEAD = 8 };
    for (size_t i = 0; i < n; i++) {
#if defined(__GNUC__) || defined(__clang__)
        if (i + AHEAD < n) {
            const uint8_t *q = rec + offs[perm[i + AHEAD]];
            __builtin_prefetch(q);
            __builtin_prefetch(q + 64);
            __builtin_prefetch(q + 128);
            __builtin_prefetch(q + 192);
        }
#endif
        o->rptr[i] = rec + offs[perm[i]];
    }
    return SL_OK;
}

static void acc_reset(rp_order *o) {
    o->rec_used = 0;
    o->nkeys = 0;
    free(o->perm);
    o->perm = NULL;
    o->permpos = 0;
}

static void acc_free(rp_order *o) {
    if (o->rb_init) {
        sl_batch_free(&o->rb);
        o->rb_init = false;
    }
    o->rb_bytes = 0;
    free(o->rec);
    o->rec = NULL;
    o->rec_cap = o->rec_used = 0;
    free(o->keys);
    free(o->offs);
    free(o->perm);
    free(o->scratch);
    o->keys = NULL;
    o->offs = NULL;
    o->perm = NULL;
    o->scratch = NULL;
    o->keycap = o->nkeys = o->scratch_n = 0;
    free(o->rptr);
    o->rptr = NULL;
    o->rpcap = 0;
    free(o->rawbuf);
    o->rawbuf = NULL;
    o->rawcap = 0;
    free(o->rows);
    o->rows = NULL;
    o->rowscap = 0;
}

static sl_err add_run(rp_order *o, unsigned num, char *err, size_t errlen) {
    if (o->nruns == o->runcap) {
        size_t nc = o->runcap ? o->runcap * 2 : 16;
        unsigned *nr = realloc(o->runs, nc * sizeof *nr);
        if (!nr) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        o->runs = nr;
        o->runcap = nc;
    }
    o->runs[o->nruns++] = num;
    return SL_OK;
}

/* Sort the accumulated records and write them as a run: each block is
 * encoded straight from the records (in key order) into the spill layout. */
static sl_err spill_acc(rp_order *o, char *err, size_t errlen) {
    sl_err e = sort_acc(o, err, errlen);
    if (e) return e;
    char path[DIR_MAX + 32];
    unsigned num;
    e = new_run(o, path, sizeof path, &num, err, errlen);
    if (e) return e;
    /* block size: ~BLOCK_TARGET raw bytes */
    size_t avg = o->nkeys ? o->rec_used / o->nkeys : 256;
    if (avg < 32) avg = 32;
    /* small budgets get small blocks, so that the merge still has a useful fan-in */
    size_t bt = o->o.memory / 64;
    if (bt > BLOCK_TARGET) bt = BLOCK_TARGET;
    if (bt < ((size_t)16 << 10)) bt = (size_t)16 << 10;
    size_t br = bt / avg;
    if (br < 64) br = 64;
    if (br > 65536) br = 65536;
    o->block_rows = br;
    rp_spill_writer *w = NULL;
    e = rp_spill_create(&w, path, &o->rb, PQ_CODEC_LZ4_RAW, 4, err, errlen);
    if (e) return spill_err(o, e, err, errlen);
    for (size_t from = 0; from < o->nkeys && !e; from += br) {
        size_t n = o->nkeys - from < br ? o->nkeys - from : br;
        e = rec_ptrs(o, from, n, err, errlen);
        if (e) break;
        size_t raw = rp_rec_raw_size(&o->L, o->rptr, n);
        if (raw > o->rawcap) {
            size_t nc = raw + raw / 4;
            uint8_t *nb = realloc(o->rawbuf, nc);
            if (!nb) {
                e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory (spill block of %zu bytes)", raw);
                break;
            }
            o->rawbuf = nb;
            o->rawcap = nc;
        }
        if (raw > o->max_raw_block) o->max_raw_block = raw;
        rp_rec_to_raw(&o->L, o->rptr, n, o->rawbuf);
        e = rp_spill_write_raw(w, o->rawbuf, raw, n, err, errlen);
    }
    if (e) {
        rp_spill_abort(w);
        return spill_err(o, e, err, errlen);
    }
    uint64_t bytes = rp_spill_bytes(w) + 24;
    e = rp_spill_finish(w, err, errlen);
    if (e) return spill_err(o, e, err, errlen);
    o->st.spill_bytes += bytes;
    o->st.runs_spilled++;
    acc_reset(o);
    return add_run(o, num, err, errlen);
}

/* Memory of one run cursor in a merge: two blocks decoded (blob + arrays),
 * the compressed buffer and the keys. */
static size_t run_cursor_bytes(const rp_order *o) {
    size_t br = o->block_rows ? o->block_rows : 4096;
    size_t raw = o->max_raw_block ? o->max_raw_block : BLOCK_TARGET;
    return 2 * (raw + br * (fixed_row_bytes(o->map.schema) + 8)) + raw + br * sizeof(rp_key) + 4096;
}

static sl_err open_run_merge(rp_order *o, const unsigned *runs, size_t n, char *err, size_t errlen) {
    o->rd = calloc(n, sizeof *o->rd);
    o->ctxs = calloc(n, sizeof *o->ctxs);
    if (!o->rd || !o->ctxs) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    char path[DIR_MAX + 32];
    for (size_t i = 0; i < n; i++) {
        run_path(path, sizeof path, g_tmp[o->slot].dir, runs[i]);
        sl_err e = rp_spill_open(&o->rd[i], path, err, errlen);
        if (e) return e;
        o->nrd = i + 1;
        o->ctxs[i] = o->rd[i];
    }
    rp_merge_opts mo = merge_opts(o, false, RP_STR_RETAIN);
    mo.from_us = INT64_MIN; /* filtered before sorting */
    mo.to_us = INT64_MAX;
    mo.drop_null = false;
    return rp_merge_open(&o->mg, n, spill_next_fn, o->ctxs, &o->map, &mo, err, errlen);
}

/* Merge runs[first, first+k) into one new run that replaces them. */
static sl_err merge_range(rp_order *o, sl_batch *out, size_t first, size_t k, char *err, size_t errlen) {
    sl_err e = open_run_merge(o, o->runs + first, k, err, errlen);
    char path[DIR_MAX + 32];
    unsigned num = 0;
    rp_spill_writer *w = NULL;
    if (!e) e = new_run(o, path, sizeof path, &num, err, errlen);
    if (!e) e = rp_spill_create(&w, path, out, PQ_CODEC_LZ4_RAW, 4, err, errlen);
    while (!e) {
        long r = rp_merge_next(o->mg, out, o->block_rows ? o->block_rows : 4096, err, errlen);
        if (r < 0) e = (sl_err)r;
        if (r <= 0) break;
        size_t raw = rp_spill_raw_size(out, 0, out->nrows);
        if (raw > o->max_raw_block) o->max_raw_block = raw;
        e = rp_spill_write(w, out, 0, out->nrows, err, errlen);
        note_mem(o, rp_merge_mem(o->mg) + rp_batch_bytes(out));
    }
    sl_batch_reset(out);
    if (e) {
        if (w) rp_spill_abort(w);
        return e;
    }
    uint64_t bytes = rp_spill_bytes(w) + 24;
    e = rp_spill_finish(w, err, errlen);
    if (e) return e;
    o->st.spill_bytes += bytes;
    close_cursors(o);
    char old[DIR_MAX + 32];
    for (size_t i = 0; i < k; i++) {
        run_path(old, sizeof old, g_tmp[o->slot].dir, o->runs[first + i]);
        unlink(old);
    }
    o->runs[first] = num;
    memmove(o->runs + first + 1, o->runs + first + k, (o->nruns - first - k) * sizeof *o->runs);
    o->nruns -= k - 1;
    return SL_OK;
}

static sl_err merge_passes(rp_order *o, char *err, size_t errlen) {
    size_t out_bytes = 65536 * (fixed_row_bytes(o->map.schema) + 64);
    size_t avail = o->o.memory > out_bytes ? o->o.memory - out_bytes : 0;
    size_t fan = avail / run_cursor_bytes(o);
    if (fan < 2) fan = 2;
    o->st.merge_fanin = fan;
    sl_batch out;
    sl_batch_init(&out);
    sl_err e = sc_init_batch(o->map.schema, &out, err, errlen);
    /* While there are at least twice as many runs as the fan-in, a pass
     * merges consecutive groups of fan-in runs.  Then one partial step merges
     * only as many trailing runs as it takes to get down to the fan-in (with
     * 82 runs and a fan-in of 76: 7 runs are re-spilled, not all 82).  A
     * merged run takes the place of its first member, so reading order still
     * breaks ties. */
    while (!e && o->nruns > fan) {
        o->st.merge_passes++;
        if (o->nruns >= 2 * fan) {
            for (size_t g = 0; g < o->nruns && !e; g++) {
                size_t k = o->nruns - g < fan ? o->nruns - g : fan;
                if (k > 1) e = merge_range(o, &out, g, k, err, errlen);
            }
        } else {
            size_t k = o->nruns - fan + 1;
            e = merge_range(o, &out, o->nruns - k, k, err, errlen);
        }
    }
    sl_batch_free(&out);
    if (e) return spill_err(o, e, err, errlen);
    return SL_OK;
}

static sl_err external_sort(rp_order *o, char *err, size_t errlen) {
    sl_err e = SL_OK;
    size_t target = (size_t)((double)o->o.memory * ACC_FRACTION);
    /* a read batch is a small share of the accumulation target (~400 B/row) */
    size_t read_rows = target / (16 * 400);
    if (read_rows < 256) read_rows = 256;
    if (read_rows > READ_ROWS) read_rows = READ_ROWS;
    bool drop_null = o->o.resume;
    bool filter = o->o.from_us != INT64_MIN || o->o.to_us != INT64_MAX || drop_null;
    uint64_t lo = (uint64_t)o->o.from_us ^ RP_TS_BIAS;
    uint64_t hi = o->o.to_us == INT64_MAX ? UINT64_MAX : (uint64_t)o->o.to_us ^ RP_TS_BIAS;
    sl_batch_init(&o->rb);
    o->rb_init = true;
    e = sc_init_batch(o->map.schema, &o->rb, err, errlen);
    if (!e) e = rp_rec_layout_init(&o->L, &o->rb, err, errlen);
    if (!e && !(o->rows = malloc(read_rows * sizeof *o->rows)))
        e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    o->rowscap = read_rows;
    sl_batch *b = &o->rb;
    for (size_t i = 0; i < o->nin && !e; i++) {
        for (;;) {
            long n = rp_input_next(o->in[i], b, read_rows, err, errlen);
            if (n < 0) {
                e = (sl_err)n;
                break;
            }
            if (n == 0) break;
            o->rb_bytes = rp_batch_bytes(b);
            o->st.rows_in += (uint64_t)n;
            e = ensure_keys(o, o->nkeys + (size_t)n, err, errlen);
            if (e) break;
            rp_key *k = o->keys + o->nkeys;
            rp_keys_extract(b, &o->map, 0, (size_t)n, k);
            size_t kept = (size_t)n;
            const uint32_t *rows = NULL;
            if (filter) {
                kept = 0;
                for (size_t j = 0; j < (size_t)n; j++) {
                    uint64_t t = k[j].ts;
                    if (t == 0 ? !drop_null : t >= lo && t < hi) {
                        k[kept] = k[j];
                        o->rows[kept++] = (uint32_t)j;
                    }
                }
                o->st.rows_filtered += (uint64_t)n - kept;
                rows = o->rows;
            }
            if (kept == 0) continue;
            size_t bytes = 0;
            for (size_t j = 0; j < kept; j++) bytes += rp_rec_size(&o->L, b, rows ? rows[j] : j);
            e = ensure_rec(o, bytes, target, err, errlen);
            if (e) break;
            size_t wrote = rp_rec_encode(&o->L, b, rows, kept, o->rec + o->rec_used, o->rec_used, o->offs + o->nkeys);
            o->rec_used += wrote;
            o->nkeys += kept;
            note_mem(o, acc_mem(o) + rp_sort_scratch_bytes(o->nkeys));
            /* next batch's worth of records must fit too */
            size_t avg = o->rec_used / o->nkeys + 1;
            size_t held = o->rec_used + o->keycap * (sizeof(rp_key) + sizeof(uint64_t)) +
                          o->nkeys * SORT_ROW_OVERHEAD + o->rb_bytes + read_rows * (avg + SORT_ROW_OVERHEAD);
            if (held >= target) {
                e = spill_acc(o, err, errlen);
                if (e) break;
            }
        }
    }
    if (e) return e;
    /* the read batch (and the decoded pages it retains) is not needed any more */
    sl_batch_reset(b);
    o->rb_bytes = rp_batch_bytes(b);
    if (o->nruns == 0) {
        /* everything fits: sort in memory, never touch the disk */
        o->in_memory = true;
        return sort_acc(o, err, errlen);
    }
    if (o->nkeys > 0) {
        e = spill_acc(o, err, errlen);
        if (e) return e;
    }
    acc_free(o);
    e = merge_passes(o, err, errlen);
    if (e) return e;
    return open_run_merge(o, o->runs, o->nruns, err, errlen);
}

/* ------------------------------------------------------------ open / next */

sl_err rp_order_open(rp_order **out, rp_input **inputs, size_t n, const rp_order_opts *opts, char *err,
                     size_t errlen) {
    *out = NULL;
    double t0 = now_s();
    rp_order *o = calloc(1, sizeof *o);
    if (!o) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    o->o = opts ? *opts : rp_order_opts_default();
    if (o->o.memory == 0) o->o.memory = (size_t)1 << 30;
    o->in = inputs;
    o->nin = n;
    o->slot = -1;
    seg *segs = NULL;
    size_t nseg = 0, segcap = 0;
    const char **labels = calloc(n ? n : 1, sizeof *labels);
    sl_err e = labels ? SL_OK : sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !e; i++) labels[i] = rp_input_source(inputs[i]);
    if (!e) e = rp_srcmap_init(&o->map, n ? rp_input_schema(inputs[0]) : NULL, labels, n, err, errlen);
    free(labels);
    if (e) goto fail;
    if (n == 0) {
        o->done = true;
        o->st.strategy = RP_STRAT_STREAM;
        snprintf(o->st.reason, sizeof o->st.reason, "no inputs");
        *out = o;
        return SL_OK;
    }

    /* ---- planning */
    rp_strategy strat = RP_STRAT_EXTERNAL_SORT;
    if (o->o.force_sort) {
        snprintf(o->st.reason, sizeof o->st.reason, "external sort forced");
    } else {
        size_t cur_max = 0, cur_sum = 0;
        bool all_pq = true;
        for (size_t i = 0; i < n; i++) {
            size_t c = estimate_cursor(inputs[i]);
            if (c > cur_max) cur_max = c;
            cur_sum += c;
            if (!rp_input_format(inputs[i])->cursor_bytes) all_pq = false;
        }
        o->st.cursor_bytes = cur_max;
        /* the most segments that could be merged within the budget */
        size_t maxseg = o->o.memory / (cur_max ? cur_max : 1);
        if (!all_pq || maxseg < n) maxseg = n; /* STREAM still possible if every input is one segment */
        bool over = false;
        for (size_t i = 0; i < n && !e && !over; i++)
            e = count_segments(o, i, &segs, &nseg, &segcap, maxseg, &over, err, errlen);
        if (e) goto fail;
        if (!over && nseg == 0) {
            /* every input holds 0 rows (a valid empty Parquet file): nothing to order */
            strat = RP_STRAT_STREAM;
            o->done = true;
            snprintf(o->st.reason, sizeof o->st.reason, "every input is empty (%zu input%s)", n, n == 1 ? "" : "s");
        } else if (!over && nseg == n) {
            if (cur_sum <= o->o.memory || n == 1) {
                strat = RP_STRAT_STREAM;
                snprintf(o->st.reason, sizeof o->st.reason, "every input is sorted (%zu input%s)", n, n == 1 ? "" : "s");
            } else {
                snprintf(o->st.reason, sizeof o->st.reason,
                         "%zu sorted inputs x %.1f MB per cursor exceed the budget of %.1f MB", n, cur_max / 1e6,
                         o->o.memory / 1e6);
            }
        } else if (!over && all_pq && nseg * cur_max <= o->o.memory) {
            strat = RP_STRAT_MERGE_SEGMENTS;
            snprintf(o->st.reason, sizeof o->st.reason, "%zu sorted segments x %.1f MB per cursor fit the budget of %.1f MB",
                     nseg, cur_max / 1e6, o->o.memory / 1e6);
        } else if (!all_pq) {
            snprintf(o->st.reason, sizeof o->st.reason,
                     "%s%llu sorted segments in text input(s) (no cheap seek): sorting", over ? "at least " : "",
                     (unsigned long long)o->st.segments);
        } else {
            snprintf(o->st.reason, sizeof o->st.reason,
                     "%s%llu sorted segments x %.1f MB per cursor exceed the budget of %.1f MB", over ? "more than " : "",
                     (unsigned long long)(over ? o->st.segments - 1 : o->st.segments), cur_max / 1e6,
                     o->o.memory / 1e6);
        }
        o->st.segments_partial = over;
    }
    o->st.strategy = strat;

    /* ---- set up */
    bool resume = o->o.resume;
    bool ranged = o->o.from_us != INT64_MIN || o->o.to_us != INT64_MAX;
    if (resume && o->o.resume_us > o->o.from_us) o->o.from_us = o->o.resume_us; /* the merge's filter */
    if (o->done) {
        /* empty inputs: rp_order_next returns 0 at once */
    } else if (strat == RP_STRAT_STREAM) {
        if (n == 1 && !ranged) {
            /* resume: the rows before the resume point are a prefix of the sorted input */
            if (resume && nseg == 1 && segs[0].skip) {
                e = rp_input_seek(inputs[0], segs[0].skip, err, errlen);
                if (e) goto fail;
                o->st.rows_resumed = segs[0].skip;
            }
            o->passthrough = true;
        } else {
            o->incs = calloc(n, sizeof *o->incs);
            o->ctxs = calloc(n, sizeof *o->ctxs);
            if (!o->incs || !o->ctxs) {
                e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                goto fail;
            }
            o->nincs = n;
            for (size_t i = 0; i < n; i++) {
                o->incs[i] = (incur){inputs[i], false, UINT64_MAX, CURSOR_ROWS};
                o->ctxs[i] = &o->incs[i];
                if (resume && nseg == n && segs[i].input == i && segs[i].skip) {
                    e = rp_input_seek(inputs[i], segs[i].skip, err, errlen);
                    if (e) goto fail;
                    o->st.rows_resumed += segs[i].skip;
                }
            }
            rp_merge_opts mo = merge_opts(o, true, RP_STR_COPY);
            e = rp_merge_open(&o->mg, n, incur_next, o->ctxs, &o->map, &mo, err, errlen);
            if (e) goto fail;
        }
    } else if (strat == RP_STRAT_MERGE_SEGMENTS) {
        o->incs = calloc(nseg, sizeof *o->incs);
        o->ctxs = calloc(nseg, sizeof *o->ctxs);
        if (!o->incs || !o->ctxs) {
            e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (size_t s = 0; s < nseg && !e; s++) {
            rp_input *ci = NULL;
            e = reopen(o, segs[s].input, &ci, err, errlen);
            if (e) break;
            uint64_t skip = resume ? segs[s].skip : 0;
            o->incs[s] = (incur){ci, true, segs[s].len - skip, CURSOR_ROWS};
            o->ctxs[s] = &o->incs[s];
            o->nincs = s + 1;
            o->st.rows_resumed += skip;
            if (segs[s].start + skip && segs[s].len > skip) e = rp_input_seek(ci, segs[s].start + skip, err, errlen);
        }
        if (e) goto fail;
        rp_merge_opts mo = merge_opts(o, true, RP_STR_COPY);
        e = rp_merge_open(&o->mg, nseg, incur_next, o->ctxs, &o->map, &mo, err, errlen);
        if (e) goto fail;
    } else {
        e = external_sort(o, err, errlen);
        if (e) goto fail;
    }
    /* STREAM and MERGE_SEGMENTS: planning counted every row (it stops early
     * only for the external sort); the external sort read them all */
    o->st.rows_total = strat == RP_STRAT_EXTERNAL_SORT ? o->st.rows_in - o->st.rows_filtered : o->plan_rows;
    free(segs);
    o->st.plan_seconds = now_s() - t0;
    *out = o;
    return SL_OK;
fail:
    free(segs);
    rp_order_close(o);
    return e;
}

long rp_order_next(rp_order *o, sl_batch *b, size_t max_rows, char *err, size_t errlen) {
    if (max_rows == 0) max_rows = 65536;
    if (o->done) {
        sl_batch_reset(b);
        return 0;
    }
    long n;
    if (o->passthrough) {
        n = rp_input_next(o->in[0], b, max_rows, err, errlen);
        if (n > 0) {
            o->st.rows_in += (uint64_t)n;
        }
    } else if (o->in_memory) {
        sl_batch_reset(b);
        size_t left = o->nkeys - o->permpos;
        size_t k = left < max_rows ? left : max_rows;
        if (k == 0) {
            n = 0;
        } else {
            sl_err e = rec_ptrs(o, o->permpos, k, err, errlen);
            if (!e) e = rp_rec_to_batch(&o->L, o->rptr, k, b, err, errlen);
            if (e) n = e;
            else {
                o->permpos += k;
                n = (long)k;
            }
        }
        if (n == 0) acc_free(o);
    } else if (o->mg) {
        n = rp_merge_next(o->mg, b, max_rows, err, errlen);
        if (n >= 0) {
            note_mem(o, rp_merge_mem(o->mg));
            if (o->st.strategy != RP_STRAT_EXTERNAL_SORT) {
                o->st.rows_filtered = rp_merge_filtered(o->mg);
                o->st.rows_in = o->st.rows_out + (uint64_t)n + o->st.rows_filtered;
            }
        }
    } else {
        sl_batch_reset(b);
        n = 0;
    }
    if (n < 0) {
        /* an error ends the replay: remove the temporary files now */
        close_cursors(o);
        remove_tmp(o);
        o->done = true;
        return n;
    }
    if (n == 0) {
        o->done = true;
        close_cursors(o);
        remove_tmp(o);
        return 0;
    }
    o->st.rows_out += (uint64_t)n;
    return n;
}

void rp_order_close(rp_order *o) {
    if (!o) return;
    close_cursors(o);
    remove_tmp(o);
    acc_free(o);
    free(o->runs);
    rp_srcmap_free(&o->map);
    free(o);
}
