/* engine.c: the generic event-time engine (engine.h, docs/metrics.md
 * section 3).
 *
 * Design
 *  - Windows: one heap object per open hour, kept in an array sorted by hour
 *    (binary search with a last-hit cache).  `final_before` is the start of
 *    the first non-final hour = floor(W / 1h) * 1h; an event whose hour is
 *    below it is late.  After every batch the windows at the front with
 *    hour + 1h <= W are emitted (final) and freed, so state is bounded by the
 *    open windows (including later windows a transform asked for).
 *  - A window holds the dedupe set of its accepted events and one state per
 *    transform.  Dedupe keys are (source id, the schema's dedupe columns):
 *    fixed-width bytes compared with memcmp when every column is a number
 *    (Redset: 16 bytes), else the bytes of the columns serialized into the
 *    window's arena.
 *  - Sources are interned once per run (few: one per input) and ranked by
 *    their label's bytes for the transforms' key order.
 *  - Per batch: cl_clean, then column passes computing the hour and source
 *    id of every row, then one row pass (late? window, duplicate?) that
 *    lists the rows to apply with their window, then the transforms get
 *    each run of consecutive rows of one window, in processing order.  The
 *    scratch arrays are reused across batches; nothing is allocated per row.
 */
#include "engine/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/hashmap.h"
#include "util/time.h"
#include "util/wire.h"
#include "parquet/codec.h"

/* ------------------------------------------------------------------ options */

const sl_opt en_opts_table[] = {
    {.name = "lateness", .type = SL_OPT_T_DURATION, SL_OPT_F_(en_opts, lateness_us), .def = "10m", .min = 0, .max = 9.2e18,
     .help = "allowed lateness of the watermark: W = newest event time - lateness (e.g. 0, 90s, 1h30m)"},
    {.name = "duration_cap", .type = SL_OPT_T_DURATION, SL_OPT_F_(en_opts, duration_cap_ms), .def = NULL, .min = 1000,
     .max = 1e15, .flags = SL_OPT_MS, .arg = "DUR",
     .help = "values of the clamped (duration) columns above it are clamped to it (default: the schema's; Redset 7d)"},
    SL_OPT_END,
};

void en_opts_default(en_opts *o, const sc_schema *s) {
    memset(o, 0, sizeof *o);
    (void)sl_opt_defaults(en_opts_table, o, NULL, 0);
    o->duration_cap_ms = cl_opts_default(s).duration_cap_ms;
}

/* ------------------------------------------------------------------ state */

typedef struct ewin {
    int64_t hour;
    hm dedupe;
    sl_arena arena; /* variable-length dedupe keys */
    /* other runs' contributions to this hour (en_set_ledger): their keys, and
     * per transform their merged state as saved bytes (NULL: none) */
    hm fdedupe;
    hm remit;       /* resume: keys whose events were delivered again */
    sl_buf *fstate;
    int64_t *fspan; /* the other runs' coverage of the hour: [lo, hi) pairs */
    size_t nfspan;
    void *tw[];     /* one state per transform */
} ewin;

typedef struct srcname { /* an interned source label (malloc'ed) */
    const char *p;
    uint32_t len;
    uint32_t id;
} srcname;

typedef struct skey {
    const char *p;
    uint32_t len;
} skey;

/* a variable-length dedupe key */
typedef struct vkey {
    uint32_t src;
    uint32_t len;
    const char *p;
} vkey;

struct en_env {
    en *e;
};
struct en_rows {
    en *e;
    size_t tr; /* the transform being called */
};
struct en_emit {
    en *e;
    size_t tr;
    int64_t hour;
    bool final;
};

struct en {
    const sc_schema *s;
    en_opts o;
    cl_opts clo;
    en_sink sink;
    en_stats st;
    int64_t final_before; /* first non-final hour start; INT64_MIN: none final */
    bool finished;

    size_t ntr;
    en_transform *tr;
    void **trs;         /* transform states */
    size_t *tr_table0;  /* index of each transform's first table in tables */

    ewin **win; /* open windows sorted by hour */
    size_t nwin, capwin;
    ewin *last;

    hm srcs; /* srcname, id = index */
    uint32_t *src_rank;
    size_t src_rank_n;

    /* tables */
    const tb_def **tv;
    tb_list tables;
    tb_def *bad_def, *late_def, *events_def;
    size_t t_bad, t_late, t_events;
    sl_batch *out; /* per table */

    /* dedupe key layout */
    bool dk_var;      /* a STRING column: serialized keys */
    size_t dk_size;   /* fixed: bytes of the key (multiple of 8) */
    size_t dk_off[SC_MAX_KEY];
    uint8_t dk_buf[8 + 8 * SC_MAX_KEY];
    sl_buf vbuf;      /* serialized key scratch */

    /* per-batch scratch */
    size_t scap;
    uint8_t *status;
    sl_str *detail;
    uint32_t *srcid;
    int64_t *hour;
    uint32_t *idx;    /* rows to apply, in order */
    int64_t *idx_hour;
    ewin **idx_win;
    uint32_t *bad, *late;
    cl_idsets ids[CL_MAX_COLS];

    sl_buf tmp;
    /* contributions */
    en_ledger ledger;
    bool has_ledger;
    int64_t span_lo, span_hi; /* en_set_span */
    /* the event-time ranges of the other runs that finished ([lo, hi) pairs,
     * ledger.coverage, read once); the hours this run finalized, ascending */
    int64_t *ocov;
    size_t nocov, capocov;
    bool ocov_loaded;
    int64_t *done_hours;
    size_t ndone, capdone;
    /* replay positions where each hour's rows begin ([hour, pos] pairs, hours
     * ascending; pruned as windows close): the resume point of a checkpoint */
    int64_t *hstart;
    size_t nhstart, caphstart;
    int64_t arr_hour;  /* the last hour in hstart (INT64_MIN: none) */
    int64_t resume_us; /* en_restore: the replay resumes at this event time (INT64_MIN: from the start) */
    /* resume (en_restore): rows before resume_n were processed by the run
     * that checkpointed; of them only the accepted events of open windows
     * are delivered again (the outputs lost them), nothing is counted */
    uint64_t pos, resume_n;
    sl_buf kbuf;
    sl_buf cbuf, cbuf2;
    sl_err lerr;         /* a ledger error seen while opening a window */
    char lerrmsg[512];
    en_env env;
    en_rows rows;
    const sl_batch *cur; /* the batch being applied */
};

#define NOMEM() sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory")

/* ------------------------------------------------------------------ tables */

#define TS TB_TS
#define STR TB_STR

static const tb_col bad_rows_cols[] = {
    {"source", STR, false, true, "input label"},
    {"_input", TB_I32, false, true, "input index"},
    {"_row", TB_I64, false, true, "row (line) in the input, 0-based"},
    {"reason", STR, false, false, "malformed, missing_<column>, bad_timestamp or negative_<column>"},
    {"detail", STR, true, false, "what was wrong, in words"},
    {"raw", STR, true, false, "the row as a JSON object"},
};

sl_err en_own_tables(const sc_schema *s, tb_def **bad, tb_def **late_out, tb_def **events, char *err, size_t errlen) {
    *bad = *late_out = *events = NULL;
    sl_err r = tb_build(bad, "bad_rows", TB_QUARANTINE, bad_rows_cols, sizeof bad_rows_cols / sizeof *bad_rows_cols,
                        "rows that are not events, with why (never dropped)", err, errlen);
    if (r != SL_OK) return r;
    tb_col late[8 + SC_MAX_KEY];
    size_t n = 0;
    late[n++] = (tb_col){"hour", TS, false, false, "the window the event belonged to"};
    late[n++] = (tb_col){"source", STR, false, true, NULL};
    late[n++] = (tb_col){"_input", TB_I32, false, true, NULL};
    late[n++] = (tb_col){"_row", TB_I64, false, true, NULL};
    late[n++] = (tb_col){s->cols[s->time].name, TS, false, false, "the event time"};
    for (int k = 0; k < s->ndedupe; k++) {
        const sc_col *c = &s->cols[s->dedupe[k]];
        late[n++] = (tb_col){c->name, c->type, true, false, NULL};
    }
    late[n++] = (tb_col){"watermark", TS, false, false, "the watermark when the event came"};
    late[n++] = (tb_col){"raw", STR, true, false, "the event as a JSON object"};
    r = tb_build(late_out, "late_events", TB_QUARANTINE, late, n, "events whose window was already final", err, errlen);
    if (r != SL_OK) return r;
    /* events: the schema's columns (REQUIRED ones never NULL once accepted), source, _input, _row */
    tb_col *ev = malloc((s->ncols + 3) * sizeof *ev);
    if (!ev) return NOMEM();
    for (size_t c = 0; c < s->ncols; c++)
        ev[c] = (tb_col){s->cols[c].name, s->cols[c].type, !(s->cols[c].rules & SC_REQUIRED), false, s->cols[c].help};
    ev[s->ncols] = (tb_col){"source", STR, false, true, NULL};
    ev[s->ncols + 1] = (tb_col){"_input", TB_I32, false, true, NULL};
    ev[s->ncols + 2] = (tb_col){"_row", TB_I64, false, true, NULL};
    r = tb_build(events, "events", TB_EVENTS, ev, s->ncols + 3, "the accepted (cleaned) events", err, errlen);
    free(ev);
    return r;
}

/* The transforms' tables, then bad_rows, late_events and events. */
static sl_err build_tables(en *e, char *err, size_t errlen) {
    sl_err r = en_own_tables(e->s, &e->bad_def, &e->late_def, &e->events_def, err, errlen);
    if (r != SL_OK) return r;
    size_t nt = 0;
    for (size_t t = 0; t < e->ntr; t++)
        for (const tb_def *const *d = e->tr[t].p->tables; d && *d; d++) nt++;
    e->tv = calloc(nt + 3, sizeof *e->tv);
    e->tr_table0 = calloc(e->ntr ? e->ntr : 1, sizeof *e->tr_table0);
    e->out = calloc(nt + 3, sizeof *e->out);
    if (!e->tv || !e->tr_table0 || !e->out) return NOMEM();
    nt = 0;
    for (size_t t = 0; t < e->ntr; t++) {
        e->tr_table0[t] = nt;
        for (const tb_def *const *d = e->tr[t].p->tables; d && *d; d++) {
            if ((*d)->kind != TB_HOURLY || (*d)->ncols == 0 || strcmp((*d)->cols[0].name, "hour"))
                return sl_err_set(err, errlen, SL_ERR_ARG, "transform %s: table %s must be hourly with `hour` first",
                                  e->tr[t].p->name, (*d)->name);
            e->tv[nt++] = *d;
        }
    }
    e->t_bad = nt;
    e->tv[nt++] = e->bad_def;
    e->t_late = nt;
    e->tv[nt++] = e->late_def;
    e->t_events = nt;
    e->tv[nt++] = e->events_def;
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(e->tv[i]->name, e->tv[j]->name))
                return sl_err_set(err, errlen, SL_ERR_ARG, "two tables are named %s", e->tv[i]->name);
    e->tables.v = e->tv;
    e->tables.n = nt;
    for (size_t i = 0; i < nt; i++) {
        sl_batch_init(&e->out[i]);
        if (i == e->t_events) continue; /* events travel as canonical batches */
        if ((r = tb_init_batch(e->tv[i], &e->out[i], err, errlen)) != SL_OK) return r;
    }
    return SL_OK;
}

const tb_list *en_tables(const en *e) { return &e->tables; }
size_t en_table_events(const en *e) { return e->t_events; }
size_t en_table_bad_rows(const en *e) { return e->t_bad; }
size_t en_table_late_events(const en *e) { return e->t_late; }
const en_stats *en_get_stats(const en *e) { return &e->st; }
const sc_schema *en_schema(const en *e) { return e->s; }

/* ------------------------------------------------------------------ windows */

static void window_free(en *e, ewin *w) {
    if (!w) return;
    for (size_t t = 0; t < e->ntr; t++)
        if (w->tw[t]) e->tr[t].p->window_free(e->trs[t], w->tw[t]);
    if (w->fstate) {
        for (size_t t = 0; t < e->ntr; t++) sl_buf_free(&w->fstate[t]);
        free(w->fstate);
    }
    hm_free(&w->fdedupe);
    hm_free(&w->remit);
    free(w->fspan);
    hm_free(&w->dedupe);
    sl_arena_free(&w->arena);
    free(w);
}

static ewin *window_new(en *e, int64_t hour) {
    ewin *w = calloc(1, sizeof *w + e->ntr * sizeof(void *));
    if (!w) return NULL;
    w->hour = hour;
    if (e->dk_var) {
        hm_init(&w->dedupe, sizeof(vkey), 0);
        hm_init(&w->fdedupe, sizeof(vkey), 0);
        hm_init(&w->remit, sizeof(vkey), 0);
    } else {
        hm_init(&w->dedupe, e->dk_size, e->dk_size);
        hm_init(&w->fdedupe, e->dk_size, e->dk_size);
        hm_init(&w->remit, e->dk_size, e->dk_size);
    }
    sl_arena_init(&w->arena);
    for (size_t t = 0; t < e->ntr; t++) {
        w->tw[t] = e->tr[t].p->window_new(e->trs[t], hour);
        if (!w->tw[t]) {
            window_free(e, w);
            return NULL;
        }
    }
    return w;
}

/* ------------------------------------------------------------------ contributions */

/* A contribution blob (docs/compose.md; util/wire.h):
 *   u32 magic "SLC1"
 *   i64 lo, hi                             the part [lo, hi) of the hour the run covered
 *   u32 ntransforms, each {str name, str state (the transform's window_save)}
 *   u32 nsources, each str label          (the key's source index refers here)
 *   u32 key width (fixed keys: bytes of a key; 0: serialized keys)
 *   u32 nkeys, each {u32 source index, fixed: width - 4 bytes | str bytes}
 */
#define EN_CONTRIB_MAGIC 0x31434c53u
#define EN_CONTRIB_ZMAGIC 0x315a4c53u /* "SLZ1": u64 size, then a zstd frame of the blob */
/* "SLZ2": u64 size, u64 coded size, then a zstd frame of the blob with its
 * fixed-width keys grouped and delta-coded (en_contrib_pack) */
#define EN_CONTRIB_Z2MAGIC 0x325a4c53u

static uint32_t intern_source(en *e, const char *s, uint32_t len);
static bool vkey_eq(const void *ent, const void *key);

/* The hash of a fixed-width key (source id in the first 4 bytes). */
static uint64_t fixed_hash(const en *e, const uint8_t *k) {
    uint64_t h, word;
    memcpy(&h, k, 8);
    if (e->dk_size == 8) h = hm_mix(h);
    for (size_t o = 8; o < e->dk_size; o += 8) { /* Redset (16 bytes): hash2(word0, word1) */
        memcpy(&word, k + o, 8);
        h = hm_hash2(h, word);
    }
    return h;
}

typedef struct fload {
    en *e;
    ewin *w;
    bool own; /* a checkpoint's window: into the window's own state and keys */
    void **tw; /* merged foreign state per transform (NULL: none yet) */
    uint32_t *srcmap;
    size_t srccap;
} fload;

static sl_err parse_contrib(fload *f, const void *p, size_t len, char *err, size_t errlen);

static bool blob_keys(const uint8_t *p, size_t len, bool coded, size_t *off, uint32_t *width, uint32_t *n);
static bool undelta_keys(const uint8_t *p, size_t len, size_t *at, uint8_t *out, uint32_t n, uint32_t width);

static sl_err on_contrib(void *fnctx, const void *p, size_t len, char *err, size_t errlen) {
    fload *f = fnctx;
    uint32_t magic = 0;
    if (len >= 12) memcpy(&magic, p, 4);
    size_t head = magic == EN_CONTRIB_Z2MAGIC ? 20 : 12;
    if ((magic != EN_CONTRIB_ZMAGIC && magic != EN_CONTRIB_Z2MAGIC) || len < head) return parse_contrib(f, p, len, err, errlen);
    int64_t raw, coded;
    memcpy(&raw, (const char *)p + 4, 8);
    coded = raw;
    if (head == 20) memcpy(&coded, (const char *)p + 12, 8);
    if (raw < 0 || (uint64_t)raw > ((uint64_t)1 << 34) || coded < 0 || (uint64_t)coded > ((uint64_t)1 << 34))
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "contribution: bad size %lld", (long long)raw);
    uint8_t *buf = malloc(coded ? (size_t)coded : 1);
    if (!buf) return NOMEM();
    sl_err r = pq_decompress(PQ_CODEC_ZSTD, (const uint8_t *)p + head, len - head, buf, (size_t)coded, err, errlen);
    if (r == SL_OK && head == 20) { /* the keys back from their deltas */
        size_t off = 0, at = 0;
        uint32_t width = 0, n = 0;
        uint8_t *full = malloc(raw ? (size_t)raw : 1);
        bool ok = full && blob_keys(buf, (size_t)coded, true, &off, &width, &n) && off + (size_t)n * width <= (size_t)raw;
        at = off;
        if (!full) r = NOMEM();
        else if (!ok || !undelta_keys(buf, (size_t)coded, &at, full + off, n, width) ||
                 (size_t)coded - at != (size_t)raw - off - (size_t)n * width)
            r = sl_err_set(err, errlen, SL_ERR_CORRUPT, "contribution: malformed keys");
        if (r == SL_OK) {
            memcpy(full, buf, off);
            memcpy(full + off + (size_t)n * width, buf + at, (size_t)coded - at);
            free(buf);
            buf = full;
        } else {
            free(full);
        }
    }
    if (r == SL_OK) r = parse_contrib(f, buf, (size_t)raw, err, errlen);
    free(buf);
    return r;
}

static sl_err parse_contrib(fload *f, const void *p, size_t len, char *err, size_t errlen) {
    en *e = f->e;
    ewin *w = f->w;
    sl_rd rd = sl_rd_of(p, len);
    if (sl_r_u32(&rd) != EN_CONTRIB_MAGIC) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "not a contribution");
    int64_t lo = sl_r_i64(&rd), hi = sl_r_i64(&rd);
    if (!rd.bad && !f->own) {
        int64_t *sp = realloc(w->fspan, (w->nfspan + 1) * 2 * sizeof *sp);
        if (!sp) return NOMEM();
        w->fspan = sp;
        sp[2 * w->nfspan] = lo;
        sp[2 * w->nfspan + 1] = hi;
        w->nfspan++;
    }
    uint32_t ntr = sl_r_count(&rd, 8);
    for (uint32_t i = 0; i < ntr && !rd.bad; i++) {
        sl_rstr name = sl_r_str(&rd), st = sl_r_str(&rd);
        if (rd.bad) break;
        for (size_t t = 0; t < e->ntr; t++) {
            const tr_plugin *tp = e->tr[t].p;
            if (!tp->window_load || strlen(tp->name) != name.len || memcmp(tp->name, name.p, name.len)) continue;
            void *into = f->own ? w->tw[t] : f->tw[t];
            if (!into && !(into = f->tw[t] = tp->window_new(e->trs[t], w->hour))) return NOMEM();
            sl_err r = tp->window_load(e->trs[t], into, st.p, st.len, err, errlen);
            if (r != SL_OK) {
                sl_err_prefix(err, errlen, "transform %s", tp->name);
                return r;
            }
        }
    }
    uint32_t nsrc = rd.bad ? 0 : sl_r_count(&rd, 4);
    if (nsrc > f->srccap) {
        uint32_t *m = realloc(f->srcmap, nsrc * sizeof *m);
        if (!m) return NOMEM();
        f->srcmap = m;
        f->srccap = nsrc;
    }
    for (uint32_t i = 0; i < nsrc && !rd.bad; i++) {
        sl_rstr l = sl_r_str(&rd);
        if (rd.bad) break;
        if ((f->srcmap[i] = intern_source(e, l.p, l.len)) == UINT32_MAX) return NOMEM();
    }
    uint32_t width = sl_r_u32(&rd);
    if (!rd.bad && width != (e->dk_var ? 0 : e->dk_size))
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "its dedupe keys are %u bytes wide, this schema's %zu", width,
                          e->dk_var ? (size_t)0 : e->dk_size);
    uint32_t nkeys = rd.bad ? 0 : sl_r_count(&rd, 4 + (width ? width - 4 : 4));
    bool added;
    for (uint32_t i = 0; i < nkeys && !rd.bad; i++) {
        uint32_t si = sl_r_u32(&rd);
        if (si >= nsrc) {
            rd.bad = true;
            break;
        }
        uint32_t src = f->srcmap[si];
        if (width) {
            uint8_t *k = e->dk_buf;
            memcpy(k, &src, 4);
            if (!sl_r_take(&rd, k + 4, width - 4)) break;
            if (!hm_upsert(f->own ? &w->dedupe : &w->fdedupe, fixed_hash(e, k), k, NULL, &added)) return NOMEM();
        } else {
            sl_rstr b = sl_r_str(&rd);
            if (rd.bad) break;
            vkey k = {src, b.len, b.p};
            vkey *x = hm_upsert(f->own ? &w->dedupe : &w->fdedupe, hm_hash2(src, hm_hash_bytes(b.p, b.len)), &k, vkey_eq,
                                &added);
            if (!x) return NOMEM();
            if (added) {
                char *cp = b.len ? sl_arena_dup(&w->arena, b.p, b.len) : (char *)"";
                if (!cp) return NOMEM();
                x->p = cp;
            }
        }
    }
    if (rd.bad || rd.off != rd.len)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "malformed contribution (byte %zu of %zu)", rd.off, rd.len);
    return SL_OK;
}

/* Load the other runs' contributions to w's hour: their keys into
 * w->fdedupe, their merged states as bytes into w->fstate. */
static sl_err load_foreign(en *e, ewin *w) {
    char *err = e->lerrmsg;
    size_t errlen = sizeof e->lerrmsg;
    fload f = {e, w, false, calloc(e->ntr ? e->ntr : 1, sizeof(void *)), NULL, 0};
    sl_err r = f.tw ? e->ledger.load(e->ledger.ctx, w->hour, on_contrib, &f, err, errlen) : NOMEM();
    for (size_t t = 0; t < e->ntr; t++) {
        if (!f.tw || !f.tw[t]) continue;
        if (r == SL_OK && !w->fstate && !(w->fstate = calloc(e->ntr, sizeof *w->fstate))) r = NOMEM();
        if (r == SL_OK) {
            sl_buf_init(&w->fstate[t]);
            r = e->tr[t].p->window_save(e->trs[t], f.tw[t], &w->fstate[t], err, errlen);
        }
        e->tr[t].p->window_free(e->trs[t], f.tw[t]);
    }
    free(f.tw);
    free(f.srcmap);
    if (r != SL_OK) {
        char hour[40];
        sl_fmt_time(hour, sizeof hour, w->hour, SL_TIME_SQL);
        sl_err_prefix(err, errlen, "loading earlier runs' contributions to hour %s", hour);
        e->lerr = r;
    }
    return r;
}


/* Window w's own state as a contribution blob, appended to b. */
static sl_err encode_window(en *e, ewin *w, sl_buf *b, char *err, size_t errlen) {
    sl_w_u32(b, EN_CONTRIB_MAGIC);
    int64_t end = w->hour + SL_US_PER_HOUR;
    sl_w_i64(b, e->span_lo > w->hour ? e->span_lo : w->hour);
    sl_w_i64(b, e->span_hi < end ? e->span_hi : end);
    uint32_t ntr = 0;
    for (size_t t = 0; t < e->ntr; t++) ntr += e->tr[t].p->window_save != NULL;
    sl_w_u32(b, ntr);
    for (size_t t = 0; t < e->ntr; t++) {
        const tr_plugin *tp = e->tr[t].p;
        if (!tp->window_save) continue;
        e->cbuf2.len = 0;
        sl_err r = tp->window_save(e->trs[t], w->tw[t], &e->cbuf2, err, errlen);
        if (r != SL_OK) return r;
        if (e->cbuf2.len > UINT32_MAX) return sl_err_set(err, errlen, SL_ERR_ARG, "transform %s: state over 4 GiB", tp->name);
        sl_w_str(b, tp->name, (uint32_t)strlen(tp->name));
        sl_w_str(b, e->cbuf2.p, (uint32_t)e->cbuf2.len);
    }
    sl_w_u32(b, (uint32_t)e->srcs.n);
    for (size_t i = 0; i < e->srcs.n; i++) {
        const srcname *sn = hm_at(&e->srcs, i);
        sl_w_str(b, sn->p ? sn->p : "", sn->len);
    }
    sl_w_u32(b, e->dk_var ? 0 : (uint32_t)e->dk_size);
    sl_w_u32(b, (uint32_t)w->dedupe.n);
    if (e->dk_var) {
        for (size_t i = 0; i < w->dedupe.n; i++) {
            const vkey *k = hm_at(&w->dedupe, i);
            sl_w_u32(b, k->src);
            sl_w_str(b, k->p, k->len);
        }
    } else if (w->dedupe.n) {
        sl_buf_put(b, hm_at(&w->dedupe, 0), w->dedupe.n * e->dk_size); /* the source id is the first 4 bytes */
    }
    return b->oom ? NOMEM() : SL_OK;
}

/* This run's contribution to window w, to the sink. */
static sl_err save_contribution(en *e, ewin *w, char *err, size_t errlen) {
    e->cbuf.len = 0;
    sl_err r = encode_window(e, w, &e->cbuf, err, errlen);
    if (r != SL_OK) return r;
    return e->sink.contribution(e->sink.ctx, w->hour, e->cbuf.p, e->cbuf.len, err, errlen);
}

/* Where a contribution blob's fixed-width keys start (the offset of the
 * first key), their width and count; false: variable-width keys or a blob
 * it cannot parse.  coded: an SLZ2 blob's decompressed bytes. */
static bool blob_keys(const uint8_t *p, size_t len, bool coded, size_t *off, uint32_t *width, uint32_t *n) {
    sl_rd rd = sl_rd_of(p, len);
    if (sl_r_u32(&rd) != EN_CONTRIB_MAGIC) return false;
    (void)sl_r_i64(&rd);
    (void)sl_r_i64(&rd);
    uint32_t ntr = sl_r_count(&rd, 8);
    for (uint32_t i = 0; i < ntr && !rd.bad; i++) {
        (void)sl_r_str(&rd);
        (void)sl_r_str(&rd);
    }
    uint32_t nsrc = rd.bad ? 0 : sl_r_count(&rd, 4);
    for (uint32_t i = 0; i < nsrc && !rd.bad; i++) (void)sl_r_str(&rd);
    *width = sl_r_u32(&rd);
    *n = sl_r_u32(&rd);
    *off = rd.off;
    /* coded (SLZ2): the keys are varints, not n x width bytes */
    return !rd.bad && *width && *width % 8 == 0 && *width <= 64 && (coded || (len - rd.off) / *width >= *n);
}

/* Group n keys of width bytes at a by their first 8-byte word (for Redset:
 * source and instance), groups in numeric order, keys in their order within
 * a group (stable): a run's keys arrive in event-time order, in which an
 * instance's query ids mostly grow, so the deltas within a group are small.
 * LSD radix sort of the first word's bytes; a byte equal in every key
 * (the source id, the high bytes of the instance) is skipped. */
static bool group_keys(uint8_t *a, uint32_t n, uint32_t width) {
    if (n < 2) return true;
    uint32_t(*cnt)[256] = calloc(8, sizeof *cnt); /* the first word's byte histograms, in one pass */
    uint8_t *tmp = malloc((size_t)n * width);
    if (!tmp || !cnt) {
        free(tmp);
        free(cnt);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *k = a + i * width;
        for (size_t off = 0; off < 8; off++) cnt[off][k[off]]++;
    }
    uint8_t *src = a, *dst = tmp;
    for (size_t off = 0; off < 8; off++) {
        uint32_t *c = cnt[off];
        if (c[a[off]] == n) continue; /* the same in every key (a holds every key, in some order) */
        uint32_t pos = 0;
        for (size_t d = 0; d < 256; d++) {
            uint32_t x = c[d];
            c[d] = pos;
            pos += x;
        }
        if (width == 16) /* the Redset key: a constant-size copy */
            for (size_t i = 0; i < n; i++) memcpy(dst + (size_t)c[src[i * 16 + off]]++ * 16, src + i * 16, 16);
        else
            for (size_t i = 0; i < n; i++) memcpy(dst + (size_t)c[src[i * width + off]]++ * width, src + i * width, width);
        uint8_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a) memcpy(a, src, (size_t)n * width);
    free(tmp);
    free(cnt);
    return true;
}

static bool get_varint(const uint8_t *p, size_t len, size_t *at, uint64_t *v) {
    uint64_t x = 0;
    for (unsigned sh = 0; sh < 64 && *at < len; sh += 7) {
        uint8_t c = p[(*at)++];
        x |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Grouped keys as deltas: per key, k = the first 8-byte word that differs
 * from the previous key (the first key: from zeros), the change of word k
 * (zigzag), then the later words as they are -- all varints.  A Redset key
 * of the same instance as the one before costs 2-4 bytes instead of 16. */
static void delta_keys(sl_buf *b, const uint8_t *a, uint32_t n, uint32_t width) {
    size_t words = width / 8;
    uint64_t prev[8] = {0}, cur[8];
    for (uint32_t i = 0; i < n; i++) {
        memcpy(cur, a + (size_t)i * width, width);
        size_t k = 0;
        while (k < words && cur[k] == prev[k]) k++;
        sl_w_varint(b, k);
        if (k < words) { /* zigzag: within a group the order is the arrival's, not always growing */
            int64_t dlt = (int64_t)(cur[k] - prev[k]);
            sl_w_varint(b, ((uint64_t)dlt << 1) ^ (uint64_t)(dlt >> 63));
        }
        for (size_t j = k + 1; j < words; j++) sl_w_varint(b, cur[j]);
        memcpy(prev, cur, width);
    }
}

static bool undelta_keys(const uint8_t *p, size_t len, size_t *at, uint8_t *out, uint32_t n, uint32_t width) {
    size_t words = width / 8;
    uint64_t prev[8] = {0};
    for (uint32_t i = 0; i < n; i++) {
        uint64_t k, v;
        if (!get_varint(p, len, at, &k) || k > words) return false;
        if (k < words) {
            if (!get_varint(p, len, at, &v)) return false;
            prev[k] += (v >> 1) ^ (0 - (v & 1));
        }
        for (size_t j = k + 1; j < words; j++)
            if (!get_varint(p, len, at, &prev[j])) return false;
        memcpy(out + (size_t)i * width, prev, width);
    }
    return true;
}

sl_err en_contrib_pack(const void *p, size_t len, uint8_t **out, size_t *outlen, char *err, size_t errlen) {
    *out = NULL;
    *outlen = 0;
    size_t off;
    uint32_t width, n;
    sl_buf b;
    sl_buf_init(&b);
    uint32_t magic = EN_CONTRIB_ZMAGIC;
    const uint8_t *src = p;
    size_t srclen = len;
    uint8_t *keys = NULL;
    if (blob_keys(p, len, false, &off, &width, &n) && (keys = malloc((size_t)n * width + 1)) != NULL) {
        /* SLZ2: the blob up to its keys, then the sorted keys as deltas */
        memcpy(keys, (const uint8_t *)p + off, (size_t)n * width);
        if (group_keys(keys, n, width)) {
            sl_buf_put(&b, p, off);
            delta_keys(&b, keys, n, width);
            sl_buf_put(&b, (const uint8_t *)p + off + (size_t)n * width, len - off - (size_t)n * width);
            if (!b.oom) {
                magic = EN_CONTRIB_Z2MAGIC;
                src = (const uint8_t *)b.p;
                srclen = b.len;
            }
        }
        free(keys);
    }
    uint8_t *z = NULL;
    size_t zn = 0;
    sl_err r = pq_compress(PQ_CODEC_ZSTD, 1, src, srclen, &z, &zn, err, errlen);
    if (r != SL_OK) {
        sl_buf_free(&b);
        return r;
    }
    size_t head = magic == EN_CONTRIB_Z2MAGIC ? 20 : 12;
    uint8_t *o = malloc(head + zn);
    if (!o) {
        free(z);
        sl_buf_free(&b);
        return NOMEM();
    }
    int64_t raw = (int64_t)len, coded = (int64_t)srclen;
    memcpy(o, &magic, 4);
    memcpy(o + 4, &raw, 8);
    if (head == 20) memcpy(o + 12, &coded, 8);
    memcpy(o + head, z, zn);
    free(z);
    sl_buf_free(&b);
    *out = o;
    *outlen = head + zn;
    return SL_OK;
}

void en_set_span(en *e, int64_t from_us, int64_t to_us) {
    e->span_lo = from_us;
    e->span_hi = to_us;
}

static int cmp_span(const void *a, const void *b) {
    const int64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Append the pair (a, b) to a growing array of pairs; false: out of memory. */
static bool push_pair(int64_t **v, size_t *n, size_t *cap, int64_t a, int64_t b) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        int64_t *nv = realloc(*v, nc * 2 * sizeof *nv);
        if (!nv) return false;
        *v = nv;
        *cap = nc;
    }
    (*v)[2 * *n] = a;
    (*v)[2 * *n + 1] = b;
    (*n)++;
    return true;
}

static sl_err on_coverage(void *fnctx, int64_t lo, int64_t hi, char *err, size_t errlen) {
    en *e = fnctx;
    if (hi > lo && !push_pair(&e->ocov, &e->nocov, &e->capocov, lo, hi)) return NOMEM();
    return SL_OK;
}

/* The other finished runs' ranges, read from the ledger once. */
static sl_err load_coverage(en *e, char *err, size_t errlen) {
    if (e->ocov_loaded || !e->has_ledger || !e->ledger.coverage) return SL_OK;
    e->ocov_loaded = true;
    sl_err r = e->ledger.coverage(e->ledger.ctx, on_coverage, e, err, errlen);
    if (r != SL_OK) sl_err_prefix(err, errlen, "reading the ranges earlier runs covered");
    return r;
}

/* Is [hour, hour + 1h) covered by the other finished runs' ranges, the
 * other runs' contributions to w (their coverage of the hour), and, when
 * own is set, this run's span? */
static bool hour_covered(en *e, int64_t hour, const ewin *w, bool own) {
    int64_t end = hour + SL_US_PER_HOUR;
    if (own && e->span_lo <= hour && e->span_hi >= end) return true;
    size_t nf = w ? w->nfspan : 0, n = 0;
    int64_t *v = malloc((nf + e->nocov + 1) * 2 * sizeof *v);
    if (!v) return own; /* out of memory: as without composition */
    for (size_t i = 0; i < nf + e->nocov + own; i++) {
        const int64_t *sp = i < nf ? w->fspan + 2 * i : i < nf + e->nocov ? e->ocov + 2 * (i - nf) : NULL;
        int64_t lo = sp ? sp[0] : e->span_lo, hi = sp ? sp[1] : e->span_hi;
        if (lo < hour) lo = hour;
        if (hi > end) hi = end;
        if (hi <= lo) continue;
        v[2 * n] = lo;
        v[2 * n + 1] = hi;
        n++;
    }
    qsort(v, n, 2 * sizeof *v, cmp_span);
    int64_t cur = hour;
    for (size_t i = 0; i < n && v[2 * i] <= cur; i++)
        if (v[2 * i + 1] > cur) cur = v[2 * i + 1];
    free(v);
    return cur >= end;
}

/* Does this run's span, with the other runs' coverage, cover w's hour? */
static bool window_complete(en *e, ewin *w) { return hour_covered(e, w->hour, w, true); }

void en_set_ledger(en *e, const en_ledger *l) {
    e->has_ledger = l && l->load;
    if (e->has_ledger) e->ledger = *l;
}

/* After get_window returned NULL: the ledger's error, else out of memory. */
static sl_err window_fail(en *e, char *err, size_t errlen) {
    if (e->lerr != SL_OK) return sl_err_set(err, errlen, e->lerr, "%s", e->lerrmsg);
    return NOMEM();
}

/* ------------------------------------------------------------------ checkpoints */

/* A checkpoint (util/wire.h):
 *   u32 magic "SLK2", u32 sizeof(en_stats), the en_stats bytes,
 *   i64 final_before, u64 rows processed,
 *   i64 resume time, u64 resume position: every replay row before the
 *     position has an event time before the resume time (or none), every
 *     row from it on one at or after it -- the replay is in event-time order
 *     -- so a resumed replay starts at the time and the engine at the position,
 *   u32 nwindows, each {i64 hour, str contribution blob of its own state} */
#define EN_CKPT_MAGIC 0x324b4c53u

/* The checkpoint's resume point: the first open window's hour (else the
 * first hour not final) and the replay position of its first row. */
static void resume_point(const en *e, int64_t *us, uint64_t *pos) {
    uint64_t done = e->pos > e->resume_n ? e->pos : e->resume_n;
    int64_t h = e->nwin ? e->win[0]->hour : e->final_before;
    *us = h;
    *pos = h == INT64_MIN ? 0 : done;
    if (h == INT64_MIN) return;
    for (size_t i = 0; i < e->nhstart; i++)
        if (e->hstart[2 * i] >= h) {
            *pos = (uint64_t)e->hstart[2 * i + 1];
            break;
        }
}

static ewin *get_window(en *e, int64_t hour, bool create);

sl_err en_checkpoint(en *e, const void **p, size_t *len, char *err, size_t errlen) {
    sl_buf *b = &e->kbuf;
    b->len = 0;
    sl_w_u32(b, EN_CKPT_MAGIC);
    sl_w_u32(b, (uint32_t)sizeof e->st);
    sl_buf_put(b, &e->st, sizeof e->st);
    sl_w_i64(b, e->final_before);
    sl_w_i64(b, (int64_t)(e->pos > e->resume_n ? e->pos : e->resume_n));
    int64_t rus;
    uint64_t rpos;
    resume_point(e, &rus, &rpos);
    sl_w_i64(b, rus);
    sl_w_i64(b, (int64_t)rpos);
    sl_w_u32(b, (uint32_t)e->nwin);
    for (size_t i = 0; i < e->nwin; i++) {
        sl_w_i64(b, e->win[i]->hour);
        size_t at = b->len;
        sl_w_u32(b, 0); /* length, patched below */
        sl_err r = encode_window(e, e->win[i], b, err, errlen);
        if (r != SL_OK) return r;
        if (b->oom) return NOMEM();
        uint32_t n = (uint32_t)(b->len - at - 4);
        memcpy(b->p + at, &n, 4);
    }
    if (b->oom) return NOMEM();
    *p = b->p;
    *len = b->len;
    return SL_OK;
}

sl_err en_restore(en *e, const void *p, size_t len, char *err, size_t errlen) {
    if (e->st.clean.rows || e->nwin) return sl_err_set(err, errlen, SL_ERR_ARG, "en_restore after en_process");
    sl_rd rd = sl_rd_of(p, len);
    if (sl_r_u32(&rd) != EN_CKPT_MAGIC || sl_r_u32(&rd) != sizeof e->st)
        return sl_err_set(err, errlen, SL_ERR_CORRUPT, "not a checkpoint of this sluice");
    en_stats st;
    if (!sl_r_take(&rd, &st, sizeof st)) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "checkpoint truncated");
    int64_t fb = sl_r_i64(&rd), n = sl_r_i64(&rd), rus = sl_r_i64(&rd), rpos = sl_r_i64(&rd);
    uint32_t nw = sl_r_count(&rd, 12);
    if (rd.bad || n < 0 || rpos < 0 || rpos > n) return sl_err_set(err, errlen, SL_ERR_CORRUPT, "checkpoint truncated");
    e->st = st;
    e->st.open_windows = 0;
    e->final_before = fb;
    e->resume_n = (uint64_t)n;
    e->resume_us = rus;
    e->pos = (uint64_t)rpos; /* the replay starts at resume_us: the rows before were done */
    if (rus != INT64_MIN) { /* where its hours begin: a checkpoint before the first batch says the same */
        if (!push_pair(&e->hstart, &e->nhstart, &e->caphstart, rus, rpos)) return NOMEM();
        e->arr_hour = rus;
    }
    sl_err r = SL_OK;
    for (uint32_t i = 0; i < nw && r == SL_OK; i++) {
        int64_t hour = sl_r_i64(&rd);
        sl_rstr blob = sl_r_str(&rd);
        if (rd.bad) break;
        ewin *w = get_window(e, hour, true); /* also loads the other runs' contributions */
        if (!w) return window_fail(e, err, errlen);
        fload f = {e, w, true, NULL, NULL, 0};
        r = on_contrib(&f, blob.p, blob.len, err, errlen);
        free(f.srcmap);
    }
    if (r == SL_OK && (rd.bad || rd.off != rd.len)) r = sl_err_set(err, errlen, SL_ERR_CORRUPT, "checkpoint malformed");
    if (r != SL_OK) sl_err_prefix(err, errlen, "restoring the checkpoint");
    return r;
}

uint64_t en_resume_rows(const en *e) { return e->resume_n; }

bool en_resume_from(const en *e, int64_t *us) {
    *us = e->resume_us;
    return e->resume_us != INT64_MIN;
}

/* Note where hours begin in the replay (raw event times, before cleaning:
 * the replay's order key). */
static sl_err track_hours(en *e, const sl_batch *b, char *err, size_t errlen) {
    const sl_col *c = &b->cols[e->s->time];
    const int64_t *ts = c->data;
    for (size_t i = 0; i < b->nrows; i++) {
        if (ts[i] == INT64_MIN || (c->valid && !sl_bit_get(c->valid, i))) continue;
        int64_t h = sl_hour_floor(ts[i]);
        if (h <= e->arr_hour) continue;
        if (!push_pair(&e->hstart, &e->nhstart, &e->caphstart, h, (int64_t)(e->pos + i))) return NOMEM();
        e->arr_hour = h;
    }
    return SL_OK;
}

/* The window of hour; created when absent and create is set (NULL on OOM or absent). */
static ewin *get_window(en *e, int64_t hour, bool create) {
    if (e->last && e->last->hour == hour) return e->last;
    size_t lo = 0, hi = e->nwin;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->win[mid]->hour < hour) lo = mid + 1;
        else hi = mid;
    }
    if (lo < e->nwin && e->win[lo]->hour == hour) return e->last = e->win[lo];
    if (!create) return NULL;
    if (e->nwin == e->capwin) {
        size_t nc = e->capwin ? e->capwin * 2 : 16;
        ewin **nw = realloc(e->win, nc * sizeof *nw);
        if (!nw) return NULL;
        e->win = nw;
        e->capwin = nc;
    }
    ewin *w = window_new(e, hour);
    if (!w) return NULL;
    if (e->has_ledger && load_foreign(e, w) != SL_OK) {
        window_free(e, w);
        return NULL;
    }
    memmove(e->win + lo + 1, e->win + lo, (e->nwin - lo) * sizeof *e->win);
    e->win[lo] = w;
    e->nwin++;
    e->st.open_windows = e->nwin;
    return e->last = w;
}

/* ------------------------------------------------------------------ the transforms' view */

const sc_schema *en_env_schema(const en_env *env) { return env->e->s; }

const char *en_env_source(const en_env *env, uint32_t id, uint32_t *len) {
    const srcname *s = hm_at(&env->e->srcs, id);
    *len = s->len;
    return s->p ? s->p : "";
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl) {
    size_t n = al < bl ? al : bl;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

static _Thread_local const hm *g_rank_srcs; /* qsort context */
static int cmp_srcid(const void *a, const void *b) {
    const srcname *x = hm_at(g_rank_srcs, *(const uint32_t *)a), *y = hm_at(g_rank_srcs, *(const uint32_t *)b);
    return cmp_bytes(x->p, x->len, y->p, y->len);
}

static bool update_src_rank(en *e) {
    size_t n = e->srcs.n;
    if (n == e->src_rank_n) return true;
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    uint32_t *rank = malloc((n ? n : 1) * sizeof *rank);
    if (!ids || !rank) {
        free(ids);
        free(rank);
        return false;
    }
    for (size_t i = 0; i < n; i++) ids[i] = (uint32_t)i;
    g_rank_srcs = &e->srcs;
    qsort(ids, n, sizeof *ids, cmp_srcid);
    for (size_t i = 0; i < n; i++) rank[ids[i]] = (uint32_t)i;
    free(ids);
    free(e->src_rank);
    e->src_rank = rank;
    e->src_rank_n = n;
    return true;
}

static uint32_t intern_source(en *e, const char *s, uint32_t len);
uint32_t en_env_intern(en_env *env, const char *label, uint32_t len) { return intern_source(env->e, label, len); }

uint32_t en_env_source_rank(en_env *env, uint32_t id) {
    en *e = env->e;
    if (e->src_rank_n != e->srcs.n && !update_src_rank(e)) return id; /* out of memory: any stable order */
    return id < e->src_rank_n ? e->src_rank[id] : id;
}

const uint32_t *en_rows_source(const en_rows *r) { return r->e->srcid; }
const cl_idsets *en_rows_idset(const en_rows *r, size_t k) { return &r->e->ids[k]; }

void *en_rows_window(en_rows *r, int64_t hour, bool create) {
    en *e = r->e;
    if (hour < e->final_before) return NULL;
    ewin *w = get_window(e, hour, create);
    return w ? w->tw[r->tr] : NULL;
}

sl_err en_set_str(sl_batch *b, size_t col, size_t row, const char *s, size_t len, char *err, size_t errlen) {
    sl_str *d = (sl_str *)b->cols[col].data + row;
    if (!len) {
        d->ptr = "";
        d->len = 0;
        return SL_OK;
    }
    char *c = sl_arena_dup(&b->arena, s, len);
    if (!c) return NOMEM();
    d->ptr = c;
    d->len = (uint32_t)len;
    return SL_OK;
}

void en_set_null(sl_batch *b, size_t col, size_t row) {
    uint8_t *v = sl_col_valid_alloc(b, col);
    if (!v) return; /* en_emit_begin allocated it */
    sl_bit_clear(v, row);
    b->cols[col].null_count++;
}

static sl_err out_begin(en *e, size_t t, size_t n, sl_batch **bo, char *err, size_t errlen) {
    sl_batch *b = &e->out[t];
    sl_batch_reset(b);
    sl_err r = sl_batch_reserve(b, n ? n : 1, err, errlen);
    if (r != SL_OK) return r;
    b->nrows = n;
    /* pre-allocate the bitmaps of nullable columns so en_set_null cannot fail */
    const tb_def *d = e->tv[t];
    for (size_t c = 0; c < b->ncols; c++)
        if (d->cols[c].nullable && !sl_col_valid_alloc(b, c)) return NOMEM();
    *bo = b;
    return SL_OK;
}

static sl_err out_send(en *e, size_t t, int64_t hour, bool final, char *err, size_t errlen) {
    sl_batch *b = &e->out[t];
    /* drop the bitmaps of columns without NULLs ("valid == NULL: no NULLs") */
    for (size_t c = 0; c < b->ncols; c++)
        if (b->cols[c].valid && b->cols[c].null_count == 0) {
            free(b->cols[c].valid);
            b->cols[c].valid = NULL;
        }
    if (!e->sink.rows) return SL_OK;
    sl_err r = e->sink.rows(e->sink.ctx, t, hour, final, b, err, errlen);
    /* no table prefix: the sink names what failed (an output behind a queue
     * reports an earlier failure of another table or file at this call) */
    return r;
}

sl_err en_emit_begin(en_emit *em, size_t k, size_t n, sl_batch **b, char *err, size_t errlen) {
    return out_begin(em->e, em->e->tr_table0[em->tr] + k, n, b, err, errlen);
}

sl_err en_emit_send(en_emit *em, size_t k, char *err, size_t errlen) {
    return out_send(em->e, em->e->tr_table0[em->tr] + k, em->hour, em->final, err, errlen);
}

/* Every transform's rows of window w. */
static sl_err emit_window(en *e, ewin *w, bool final, char *err, size_t errlen) {
    if (!e->sink.rows) return SL_OK;
    if (!update_src_rank(e)) return NOMEM();
    for (size_t t = 0; t < e->ntr; t++) {
        en_emit em = {e, t, w->hour, final};
        const tr_plugin *tp = e->tr[t].p;
        if (w->fstate && w->fstate[t].len) {
            /* merged with the other runs' state: a scratch window of both */
            void *m = tp->window_new(e->trs[t], w->hour);
            if (!m) return NOMEM();
            e->cbuf2.len = 0;
            sl_err r = tp->window_load(e->trs[t], m, w->fstate[t].p, w->fstate[t].len, err, errlen);
            if (r == SL_OK) r = tp->window_save(e->trs[t], w->tw[t], &e->cbuf2, err, errlen);
            if (r == SL_OK) r = tp->window_load(e->trs[t], m, e->cbuf2.p, e->cbuf2.len, err, errlen);
            if (r == SL_OK) r = tp->emit(e->trs[t], m, w->hour, &em, err, errlen);
            tp->window_free(e->trs[t], m);
            if (r != SL_OK) return r;
            continue;
        }
        sl_err r = tp->emit(e->trs[t], w->tw[t], w->hour, &em, err, errlen);
        if (r != SL_OK) return r;
    }
    return SL_OK;
}

/* Finalize the first window (emit final rows, window_final, free). */
static sl_err finalize_front(en *e, char *err, size_t errlen) {
    ewin *w = e->win[0];
    sl_err r = load_coverage(e, err, errlen);
    if (r == SL_OK && e->sink.contribution) r = save_contribution(e, w, err, errlen);
    if (r != SL_OK) return r;
    if (e->has_ledger) {
        if (e->ndone == e->capdone) {
            size_t nc = e->capdone ? e->capdone * 2 : 64;
            int64_t *v = realloc(e->done_hours, nc * sizeof *v);
            if (!v) return NOMEM();
            e->done_hours = v;
            e->capdone = nc;
        }
        e->done_hours[e->ndone++] = w->hour;
    }
    bool complete = window_complete(e, w);
    if (r == SL_OK) r = emit_window(e, w, complete, err, errlen);
    if (r != SL_OK) return r;
    if (!complete) {
        if (e->sink.window_partial && (r = e->sink.window_partial(e->sink.ctx, w->hour, err, errlen)) != SL_OK) return r;
        e->st.windows_partial++;
    } else if (e->sink.window_final && (r = e->sink.window_final(e->sink.ctx, w->hour, err, errlen)) != SL_OK) {
        return r;
    }
    size_t drop = 0; /* hours up to this one are final: no resume point before the next */
    while (drop < e->nhstart && e->hstart[2 * drop] <= w->hour) drop++;
    if (drop) {
        memmove(e->hstart, e->hstart + 2 * drop, (e->nhstart - drop) * 2 * sizeof *e->hstart);
        e->nhstart -= drop;
    }
    if (e->last == w) e->last = NULL;
    window_free(e, w);
    memmove(e->win, e->win + 1, (e->nwin - 1) * sizeof *e->win);
    e->nwin--;
    e->st.open_windows = e->nwin;
    if (complete) e->st.windows_final++;
    return SL_OK;
}

sl_err en_refresh(en *e, char *err, size_t errlen) {
    for (size_t i = 0; i < e->nwin; i++) {
        sl_err r = emit_window(e, e->win[i], false, err, errlen);
        if (r != SL_OK) return r;
    }
    return SL_OK;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* An hour other runs contributed to (ledger.hours): when this run did not
 * finalize it and its span completes it, emit the others' merged rows final. */
static sl_err complete_hour(void *fnctx, int64_t hour, char *err, size_t errlen) {
    en *e = fnctx;
    if (e->ndone && bsearch(&hour, e->done_hours, e->ndone, sizeof hour, cmp_i64)) return SL_OK;
    if (hour_covered(e, hour, NULL, false)) return SL_OK; /* final before this run */
    ewin *w = get_window(e, hour, true); /* loads the other runs' contributions */
    if (!w) return window_fail(e, err, errlen);
    /* with the contributions' own coverage of the hour: complete only now? */
    bool now = !hour_covered(e, hour, w, false) && hour_covered(e, hour, w, true);
    sl_err r = now ? emit_window(e, w, true, err, errlen) : SL_OK;
    if (r == SL_OK && now && e->sink.window_final) r = e->sink.window_final(e->sink.ctx, hour, err, errlen);
    if (r == SL_OK && now) e->st.windows_final++;
    if (e->last == w) e->last = NULL;
    size_t i = 0;
    while (e->win[i] != w) i++;
    window_free(e, w);
    memmove(e->win + i, e->win + i + 1, (e->nwin - i - 1) * sizeof *e->win);
    e->nwin--;
    e->st.open_windows = e->nwin;
    return r;
}

sl_err en_finish(en *e, char *err, size_t errlen) {
    if (e->finished) return SL_OK;
    while (e->nwin) {
        sl_err r = finalize_front(e, err, errlen);
        if (r != SL_OK) return r;
    }
    if (e->has_ledger && e->ledger.hours) {
        sl_err r = load_coverage(e, err, errlen);
        int64_t lo = e->span_lo == INT64_MIN ? INT64_MIN : sl_hour_floor(e->span_lo);
        if (r == SL_OK) r = e->ledger.hours(e->ledger.ctx, lo, e->span_hi, complete_hour, e, err, errlen);
        if (r != SL_OK) return r;
    }
    e->finished = true;
    e->final_before = INT64_MAX;
    return SL_OK;
}

/* ------------------------------------------------------------------ open / close */

static sl_err layout_dedupe(en *e, char *err, size_t errlen) {
    const sc_schema *s = e->s;
    size_t off = 4; /* the source id */
    for (int k = 0; k < s->ndedupe; k++) {
        sl_type t = s->cols[s->dedupe[k]].type.type;
        if (t == SL_BYTES) {
            e->dk_var = true;
            continue;
        }
        size_t w = t == SL_I32 ? 4 : 8;
        off = (off + w - 1) / w * w;
        e->dk_off[k] = off;
        off += w;
    }
    e->dk_size = (off + 7) / 8 * 8;
    if (e->dk_size > sizeof e->dk_buf) return sl_err_set(err, errlen, SL_ERR_ARG, "dedupe key too wide");
    return SL_OK;
}

sl_err en_open(en **out, const sc_schema *s, const en_opts *o, const en_transform *tr, size_t ntr, const en_sink *sink,
               char *err, size_t errlen) {
    *out = NULL;
    en_opts opts;
    if (o) opts = *o;
    else en_opts_default(&opts, s);
    if (opts.lateness_us < 0)
        return sl_err_set(err, errlen, SL_ERR_ARG, "lateness must be >= 0 (got %lld us)", (long long)opts.lateness_us);
    /* busy intervals are computed in int64 microseconds: an event time (< 2^60
     * us) + 3 capped durations must not overflow */
    if (opts.duration_cap_ms < 0 || opts.duration_cap_ms > INT64_C(1000000000000))
        return sl_err_set(err, errlen, SL_ERR_ARG, "duration cap must be in [0, 1e12] ms (got %lld ms)",
                          (long long)opts.duration_cap_ms);
    en *e = calloc(1, sizeof *e);
    if (!e) return NOMEM();
    e->s = s;
    e->o = opts;
    e->clo = cl_opts_default(s);
    e->clo.duration_cap_ms = opts.duration_cap_ms;
    if (sink) e->sink = *sink;
    e->final_before = INT64_MIN;
    e->span_lo = INT64_MIN;
    e->span_hi = INT64_MAX;
    e->arr_hour = INT64_MIN;
    e->resume_us = INT64_MIN;
    e->st.watermark_us = INT64_MIN;
    e->st.max_event_us = INT64_MIN;
    e->env.e = e;
    e->rows.e = e;
    hm_init(&e->srcs, sizeof(srcname), 0);
    sl_buf_init(&e->tmp);
    sl_buf_init(&e->vbuf);
    sl_buf_init(&e->cbuf);
    sl_buf_init(&e->cbuf2);
    sl_buf_init(&e->kbuf);
    e->ntr = ntr;
    e->tr = calloc(ntr ? ntr : 1, sizeof *e->tr);
    e->trs = calloc(ntr ? ntr : 1, sizeof *e->trs);
    sl_err r = SL_OK;
    if (!e->tr || !e->trs) r = NOMEM();
    if (r == SL_OK && ntr) memcpy(e->tr, tr, ntr * sizeof *tr);
    if (r == SL_OK) r = layout_dedupe(e, err, errlen);
    if (r == SL_OK) r = build_tables(e, err, errlen);
    for (size_t t = 0; r == SL_OK && t < ntr; t++) {
        const tr_plugin *p = tr[t].p;
        if (p->check && (r = p->check(tr[t].opts, err, errlen)) != SL_OK) {
            sl_err_prefix(err, errlen, "transform %s", p->name);
            break;
        }
        if ((r = p->init(&e->trs[t], tr[t].opts, &e->env, err, errlen)) != SL_OK) {
            e->trs[t] = NULL;
            sl_err_prefix(err, errlen, "transform %s", p->name);
        }
    }
    if (r != SL_OK) {
        en_close(e);
        return r;
    }
    *out = e;
    return SL_OK;
}

void en_close(en *e) {
    if (!e) return;
    free(e->ocov);
    free(e->done_hours);
    free(e->hstart);
    for (size_t i = 0; i < e->nwin; i++) window_free(e, e->win[i]);
    free(e->win);
    for (size_t t = 0; t < e->ntr; t++)
        if (e->trs && e->trs[t]) e->tr[t].p->close(e->trs[t]);
    free(e->trs);
    free(e->tr);
    free(e->tr_table0);
    for (size_t i = 0; i < e->srcs.n; i++) free((char *)((srcname *)hm_at(&e->srcs, i))->p);
    hm_free(&e->srcs);
    free(e->src_rank);
    free(e->status);
    free(e->detail);
    free(e->srcid);
    free(e->hour);
    free(e->idx);
    free(e->idx_hour);
    free(e->idx_win);
    free(e->bad);
    free(e->late);
    for (size_t k = 0; k < CL_MAX_COLS; k++) cl_idsets_free(&e->ids[k]);
    if (e->out)
        for (size_t t = 0; t < e->tables.n; t++) sl_batch_free(&e->out[t]);
    free(e->out);
    free(e->tv);
    tb_free(e->bad_def);
    tb_free(e->late_def);
    tb_free(e->events_def);
    sl_buf_free(&e->tmp);
    sl_buf_free(&e->vbuf);
    sl_buf_free(&e->cbuf);
    sl_buf_free(&e->cbuf2);
    sl_buf_free(&e->kbuf);
    free(e);
}

/* ------------------------------------------------------------------ sources */

static bool sname_eq(const void *ent, const void *key) {
    const srcname *a = ent;
    const skey *k = key;
    return a->len == k->len && memcmp(a->p, k->p, k->len) == 0;
}

static uint32_t intern_source(en *e, const char *s, uint32_t len) {
    skey k = {s, len};
    bool added;
    srcname *x = hm_upsert(&e->srcs, hm_hash_bytes(s, len), &k, sname_eq, &added);
    if (!x) return UINT32_MAX;
    if (added) {
        char *c = malloc(len ? len : 1);
        if (!c) {
            x->p = NULL; /* a harmless empty name; report OOM */
            x->len = 0;
            return UINT32_MAX;
        }
        if (len) memcpy(c, s, len);
        x->p = c;
        x->len = len;
        x->id = (uint32_t)(e->srcs.n - 1);
    }
    return x->id;
}

/* ------------------------------------------------------------------ quarantine */

/* The event as a JSON object: the schema's columns, then the members of
 * _extra (fields no column takes) when present. */
static void render_raw(const sc_schema *s, sl_buf *out, const sl_batch *b, size_t i) {
    sl_buf_putc(out, '{');
    for (size_t c = 0; c < s->ncols; c++) {
        if (c) sl_buf_putc(out, ',');
        sl_fmt_json_str(out, s->cols[c].name, strlen(s->cols[c].name));
        sl_buf_putc(out, ':');
        sl_fmt_value(out, &b->cols[c], i, SL_FMT_JSON);
    }
    const sl_col *xc = &b->cols[s->extra];
    if (!sl_col_is_null(xc, i)) {
        sl_str x = ((const sl_str *)xc->data)[i];
        /* strip the braces of the object and append its members */
        size_t a = 0, z = x.len;
        while (a < z && (x.ptr[a] == ' ' || x.ptr[a] == '\t' || x.ptr[a] == '\n' || x.ptr[a] == '\r')) a++;
        while (z > a && (x.ptr[z - 1] == ' ' || x.ptr[z - 1] == '\t' || x.ptr[z - 1] == '\n' || x.ptr[z - 1] == '\r')) z--;
        if (z - a >= 2 && x.ptr[a] == '{' && x.ptr[z - 1] == '}') {
            a++;
            z--;
            size_t a2 = a;
            while (a2 < z && (x.ptr[a2] == ' ' || x.ptr[a2] == '\t' || x.ptr[a2] == '\n' || x.ptr[a2] == '\r')) a2++;
            if (a2 < z) {
                sl_buf_putc(out, ',');
                sl_buf_put(out, x.ptr + a, z - a);
            }
        } else if (z > a) {
            sl_buf_puts(out, ",\"_extra\":");
            sl_fmt_json_str(out, x.ptr + a, z - a);
        }
    }
    sl_buf_putc(out, '}');
}

static sl_err put_raw(en *e, sl_batch *o, size_t col, size_t row, const sl_batch *b, size_t i, char *err, size_t errlen) {
    e->tmp.len = 0;
    render_raw(e->s, &e->tmp, b, i);
    if (e->tmp.oom) return NOMEM();
    return en_set_str(o, col, row, e->tmp.p, e->tmp.len, err, errlen);
}

/* Rows sorted by (source, _input, _row): the key of both quarantine tables. */
static _Thread_local const sl_batch *g_qb;
static _Thread_local const sc_schema *g_qs;
static int cmp_qrow(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    const sl_str *s = g_qb->cols[g_qs->source].data;
    int c = cmp_bytes(s[a].ptr, s[a].len, s[b].ptr, s[b].len);
    if (c) return c;
    const int32_t *in = g_qb->cols[g_qs->input].data;
    if (in[a] != in[b]) return in[a] < in[b] ? -1 : 1;
    const int64_t *rw = g_qb->cols[g_qs->row].data;
    if (rw[a] != rw[b]) return rw[a] < rw[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}
static void sort_qrows(const en *e, const sl_batch *b, uint32_t *v, size_t n) {
    g_qb = b;
    g_qs = e->s;
    qsort(v, n, sizeof *v, cmp_qrow);
}

#define I64C(b, c) ((int64_t *)(b)->cols[c].data)
#define I32C(b, c) ((int32_t *)(b)->cols[c].data)

static sl_err emit_bad(en *e, const sl_batch *b, size_t nbad, char *err, size_t errlen) {
    const sc_schema *s = e->s;
    sort_qrows(e, b, e->bad, nbad);
    sl_batch *o;
    sl_err r = out_begin(e, e->t_bad, nbad, &o, err, errlen);
    if (r != SL_OK) return r;
    const sl_str *src = b->cols[s->source].data;
    for (size_t k = 0; k < nbad; k++) {
        uint32_t i = e->bad[k];
        if ((r = en_set_str(o, 0, k, src[i].ptr, src[i].len, err, errlen)) != SL_OK) return r;
        I32C(o, 1)[k] = ((const int32_t *)b->cols[s->input].data)[i];
        I64C(o, 2)[k] = ((const int64_t *)b->cols[s->row].data)[i];
        const char *rn = s->reasons[e->status[i]].name;
        if ((r = en_set_str(o, 3, k, rn, strlen(rn), err, errlen)) != SL_OK) return r;
        sl_str d = e->detail[i];
        if (d.ptr) {
            if ((r = en_set_str(o, 4, k, d.ptr, d.len, err, errlen)) != SL_OK) return r;
        } else {
            ((sl_str *)o->cols[4].data)[k] = (sl_str){NULL, 0};
            en_set_null(o, 4, k);
        }
        if ((r = put_raw(e, o, 5, k, b, i, err, errlen)) != SL_OK) return r;
    }
    return out_send(e, e->t_bad, INT64_MIN, true, err, errlen);
}

static sl_err emit_late(en *e, const sl_batch *b, size_t nlate, char *err, size_t errlen) {
    const sc_schema *s = e->s;
    sort_qrows(e, b, e->late, nlate);
    sl_batch *o;
    sl_err r = out_begin(e, e->t_late, nlate, &o, err, errlen);
    if (r != SL_OK) return r;
    const sl_str *src = b->cols[s->source].data;
    const int64_t *ts = b->cols[s->time].data;
    for (size_t k = 0; k < nlate; k++) {
        uint32_t i = e->late[k];
        size_t c = 0;
        I64C(o, c++)[k] = e->hour[i];
        if ((r = en_set_str(o, c++, k, src[i].ptr, src[i].len, err, errlen)) != SL_OK) return r;
        I32C(o, c++)[k] = ((const int32_t *)b->cols[s->input].data)[i];
        I64C(o, c++)[k] = ((const int64_t *)b->cols[s->row].data)[i];
        I64C(o, c++)[k] = ts[i];
        for (int d = 0; d < s->ndedupe; d++, c++) {
            const sl_col *kc = &b->cols[s->dedupe[d]];
            switch (kc->t.type) {
            case SL_I32: I32C(o, c)[k] = ((const int32_t *)kc->data)[i]; break;
            case SL_BYTES: {
                sl_str v = ((const sl_str *)kc->data)[i];
                if ((r = en_set_str(o, c, k, v.ptr, v.len, err, errlen)) != SL_OK) return r;
                break;
            }
            default: I64C(o, c)[k] = ((const int64_t *)kc->data)[i]; break; /* INT64, DOUBLE bits */
            }
        }
        I64C(o, c++)[k] = e->st.watermark_us;
        if ((r = put_raw(e, o, c, k, b, i, err, errlen)) != SL_OK) return r;
    }
    return out_send(e, e->t_late, INT64_MIN, true, err, errlen);
}

/* ------------------------------------------------------------------ processing */

static sl_err grow_scratch(en *e, size_t n, char *err, size_t errlen) {
    if (n <= e->scap) return SL_OK;
    size_t c = e->scap ? e->scap : 1024;
    while (c < n) c *= 2;
#define GROW(f)                                        \
    do {                                               \
        void *np_ = realloc(e->f, c * sizeof *e->f);   \
        if (!np_) return NOMEM();                      \
        e->f = np_;                                    \
    } while (0)
    GROW(status);
    GROW(detail);
    GROW(srcid);
    GROW(hour);
    GROW(idx);
    GROW(idx_hour);
    GROW(idx_win);
    GROW(bad);
    GROW(late);
#undef GROW
    e->scap = c;
    return SL_OK;
}

static bool vkey_eq(const void *ent, const void *key) {
    const vkey *a = ent, *b = key;
    return a->src == b->src && a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* Row i's dedupe key: fixed keys in e->dk_buf, serialized ones in e->vbuf
 * (valid until the next build). */
typedef struct dkey {
    uint64_t h;
    const void *k; /* what the set is searched with: the fixed bytes, or &v */
    vkey v;
} dkey;

static sl_err build_key(en *e, const sl_batch *b, size_t i, dkey *d, char *err, size_t errlen) {
    const sc_schema *s = e->s;
    uint32_t src = e->srcid[i];
    if (!e->dk_var) {
        uint8_t *k = e->dk_buf;
        memset(k, 0, e->dk_size);
        memcpy(k, &src, 4);
        for (int c = 0; c < s->ndedupe; c++) {
            const sl_col *col = &b->cols[s->dedupe[c]];
            if (col->t.type == SL_I32) memcpy(k + e->dk_off[c], (const int32_t *)col->data + i, 4);
            else memcpy(k + e->dk_off[c], (const int64_t *)col->data + i, 8);
        }
        d->h = fixed_hash(e, k);
        d->k = k;
        return SL_OK;
    }
    /* serialized: numbers as 8 bytes, strings as length + bytes */
    sl_buf *v = &e->vbuf;
    v->len = 0;
    for (int c = 0; c < s->ndedupe; c++) {
        const sl_col *col = &b->cols[s->dedupe[c]];
        if (col->t.type == SL_BYTES) {
            sl_str x = ((const sl_str *)col->data)[i];
            sl_buf_put(v, &x.len, 4);
            sl_buf_put(v, x.ptr, x.len);
        } else {
            int64_t x = col->t.type == SL_I32 ? ((const int32_t *)col->data)[i] : ((const int64_t *)col->data)[i];
            sl_buf_put(v, &x, 8);
        }
    }
    if (v->oom || v->len > UINT32_MAX) return NOMEM();
    d->v = (vkey){src, (uint32_t)v->len, v->p ? v->p : ""};
    d->h = hm_hash2(src, hm_hash_bytes(d->v.p, d->v.len));
    d->k = &d->v;
    return SL_OK;
}

static bool key_find(en *e, const hm *set, const dkey *d) {
    return set->n && hm_find(set, d->h, d->k, e->dk_var ? vkey_eq : NULL) != NULL;
}

/* Insert d into set (a serialized key's bytes copied into arena); *added. */
static sl_err key_insert(en *e, hm *set, sl_arena *arena, const dkey *d, bool *added, char *err, size_t errlen) {
    void *x = hm_upsert(set, d->h, d->k, e->dk_var ? vkey_eq : NULL, added);
    if (!x) return NOMEM();
    if (e->dk_var && *added) {
        vkey *vk = x;
        char *cp = d->v.len ? sl_arena_dup(arena, d->v.p, d->v.len) : (char *)"";
        if (!cp) return NOMEM();
        *vk = d->v;
        vk->p = cp;
    }
    return SL_OK;
}

/* Insert row i's dedupe key into w; *dup when it was there, or another run
 * accepted it. */
static sl_err dedupe(en *e, ewin *w, const sl_batch *b, size_t i, bool *dup, char *err, size_t errlen) {
    *dup = false;
    if (e->s->ndedupe == 0) return SL_OK; /* a schema without a dedupe key: every event counts */
    dkey d;
    sl_err r = build_key(e, b, i, &d, err, errlen);
    if (r != SL_OK) return r;
    if (key_find(e, &w->fdedupe, &d)) {
        *dup = true;
        return SL_OK;
    }
    bool added;
    if ((r = key_insert(e, &w->dedupe, &w->arena, &d, &added, err, errlen)) != SL_OK) return r;
    *dup = !added;
    return SL_OK;
}

static int cmp_hour_idx(const void *x, const void *y) {
    const int64_t *a = x, *b = y;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* The applied rows grouped by window (hour order, processing order within). */
static sl_err deliver_events(en *e, const sl_batch *b, size_t n, char *err, size_t errlen) {
    if (!e->sink.events || n == 0) return SL_OK;
    bool sorted = true;
    for (size_t k = 1; k < n && sorted; k++) sorted = e->idx_hour[k - 1] <= e->idx_hour[k];
    if (!sorted) {
        int64_t *pairs = malloc(n * 2 * sizeof *pairs);
        if (!pairs) return NOMEM();
        for (size_t k = 0; k < n; k++) {
            pairs[2 * k] = e->idx_hour[k];
            pairs[2 * k + 1] = e->idx[k];
        }
        qsort(pairs, n, 2 * sizeof *pairs, cmp_hour_idx);
        for (size_t k = 0; k < n; k++) {
            e->idx_hour[k] = pairs[2 * k];
            e->idx[k] = (uint32_t)pairs[2 * k + 1];
        }
        free(pairs);
    }
    for (size_t k = 0; k < n;) {
        size_t z = k;
        while (z < n && e->idx_hour[z] == e->idx_hour[k]) z++;
        sl_err r = e->sink.events(e->sink.ctx, e->idx_hour[k], b, e->idx + k, z - k, err, errlen);
        if (r != SL_OK) return r;
        k = z;
    }
    return SL_OK;
}

/* Interned source ids of the rows that passed cleaning (e->srcid). */
static sl_err intern_rows(en *e, const sl_batch *b, size_t n, char *err, size_t errlen) {
    const sl_str *srcs = b->cols[e->s->source].data;
    sl_str lastsrc = {NULL, 0};
    uint32_t lastid = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        if (e->status[i] != 0) continue;
        if (lastid == UINT32_MAX || srcs[i].len != lastsrc.len ||
            (srcs[i].ptr != lastsrc.ptr && memcmp(srcs[i].ptr, lastsrc.ptr, lastsrc.len) != 0)) {
            lastid = intern_source(e, srcs[i].ptr, srcs[i].len);
            if (lastid == UINT32_MAX) return NOMEM();
            lastsrc = srcs[i];
        }
        e->srcid[i] = lastid;
    }
    return SL_OK;
}

/* Rows the checkpointed run already processed (en_restore): nothing is
 * counted or applied again; the accepted events of the windows still open
 * are delivered again -- the outputs lost what they had not committed --
 * each once, as in the first pass (the first copy of a key). */
static sl_err resume_batch(en *e, sl_batch *b, char *err, size_t errlen) {
    const sc_schema *s = e->s;
    size_t n = b->nrows;
    sl_err r = grow_scratch(e, n, err, errlen);
    if (r != SL_OK) return r;
    memset(e->detail, 0, n * sizeof *e->detail);
    cl_counters keep = e->st.clean;
    r = cl_clean(s, &e->clo, b, e->status, e->detail, e->ids, &e->st.clean, err, errlen);
    e->st.clean = keep;
    if (r != SL_OK) return r;
    const int64_t *ts = b->cols[s->time].data;
    for (size_t i = 0; i < n; i++) e->hour[i] = sl_hour_floor(ts[i]);
    if ((r = intern_rows(e, b, n, err, errlen)) != SL_OK) return r;
    size_t nidx = 0;
    for (size_t i = 0; i < n; i++) {
        if (e->status[i] != 0 || e->hour[i] < e->final_before) continue; /* bad, or its hour is committed */
        ewin *w = get_window(e, e->hour[i], false);
        if (!w) continue;
        if (s->ndedupe) {
            dkey d;
            bool added;
            if ((r = build_key(e, b, i, &d, err, errlen)) != SL_OK) return r;
            if (key_find(e, &w->fdedupe, &d) || !key_find(e, &w->dedupe, &d)) continue; /* not this run's */
            if ((r = key_insert(e, &w->remit, &w->arena, &d, &added, err, errlen)) != SL_OK) return r;
            if (!added) continue; /* a duplicate the first pass dropped */
        }
        e->idx[nidx] = (uint32_t)i;
        e->idx_hour[nidx++] = e->hour[i];
    }
    return deliver_events(e, b, nidx, err, errlen);
}

sl_err en_process(en *e, sl_batch *b, char *err, size_t errlen) {
    const sc_schema *s = e->s;
    if (e->finished) return sl_err_set(err, errlen, SL_ERR_ARG, "en_process after en_finish");
    size_t n = b->nrows;
    if (n == 0) return SL_OK;
    sl_err tr = track_hours(e, b, err, errlen);
    if (tr != SL_OK) return tr;
    if (e->pos < e->resume_n) {
        uint64_t left = e->resume_n - e->pos;
        if (left >= n) {
            e->pos += n;
            return resume_batch(e, b, err, errlen);
        }
        /* the checkpoint falls inside this batch: its head resumes, its tail is new */
        sl_batch head, tail;
        sl_batch_init(&head);
        sl_batch_init(&tail);
        uint32_t *ix = malloc(n * sizeof *ix);
        sl_err r = ix ? SL_OK : NOMEM();
        for (size_t i = 0; ix && i < n; i++) ix[i] = (uint32_t)i;
        if (r == SL_OK) r = sl_batch_append_rows(&head, b, b->ncols, ix, (size_t)left, err, errlen);
        if (r == SL_OK) r = sl_batch_append_rows(&tail, b, b->ncols, ix + left, n - (size_t)left, err, errlen);
        free(ix);
        if (r == SL_OK) {
            e->pos += left;
            r = resume_batch(e, &head, err, errlen);
        }
        if (r == SL_OK) r = en_process(e, &tail, err, errlen);
        sl_batch_free(&head);
        sl_batch_free(&tail);
        return r;
    }
    e->pos += n;
    if (n >= UINT32_MAX) return sl_err_set(err, errlen, SL_ERR_ARG, "batch too large");
    sl_err r = grow_scratch(e, n, err, errlen);
    if (r != SL_OK) return r;
    memset(e->detail, 0, n * sizeof *e->detail);
    r = cl_clean(s, &e->clo, b, e->status, e->detail, e->ids, &e->st.clean, err, errlen);
    if (r != SL_OK) return r;

    /* column passes: hour, source id */
    const int64_t *ts = b->cols[s->time].data;
    for (size_t i = 0; i < n; i++) e->hour[i] = sl_hour_floor(ts[i]);
    if ((r = intern_rows(e, b, n, err, errlen)) != SL_OK) return r;

    /* row pass: late? window, duplicate? */
    size_t nbad = 0, nlate = 0, nidx = 0;
    uint64_t dups = 0;
    int64_t maxts = e->st.max_event_us;
    for (size_t i = 0; i < n; i++) {
        if (e->status[i] != 0) {
            e->bad[nbad++] = (uint32_t)i;
            continue;
        }
        int64_t h = e->hour[i];
        if (h < e->final_before) {
            e->late[nlate++] = (uint32_t)i;
            continue;
        }
        ewin *w = get_window(e, h, true);
        if (!w) return window_fail(e, err, errlen);
        bool dup = false;
        if ((r = dedupe(e, w, b, i, &dup, err, errlen)) != SL_OK) return r;
        if (dup) {
            dups++;
            continue;
        }
        e->idx[nidx] = (uint32_t)i;
        e->idx_hour[nidx] = h;
        e->idx_win[nidx++] = w;
        if (ts[i] > maxts) maxts = ts[i]; /* only applied events move W */
    }

    /* the transforms: runs of consecutive rows of one window */
    e->cur = b;
    for (size_t k = 0; k < nidx;) {
        size_t z = k + 1;
        while (z < nidx && e->idx_win[z] == e->idx_win[k]) z++;
        ewin *w = e->idx_win[k];
        for (size_t t = 0; t < e->ntr; t++) {
            e->rows.tr = t;
            r = e->tr[t].p->apply(e->trs[t], w->tw[t], w->hour, &e->rows, b, e->idx + k, z - k, err, errlen);
            if (r != SL_OK) {
                if (e->lerr != SL_OK) return window_fail(e, err, errlen); /* a later window could not load */
                sl_err_prefix(err, errlen, "transform %s", e->tr[t].p->name);
                return r;
            }
        }
        k = z;
    }
    e->cur = NULL;

    e->st.accepted += nidx;
    e->st.duplicates += dups;
    e->st.late += nlate;
    uint64_t bad = 0;
    for (size_t k = 1; k < s->nreasons; k++) bad += e->st.clean.bad[k];
    e->st.bad = bad;

    if (nbad && e->sink.rows && (r = emit_bad(e, b, nbad, err, errlen)) != SL_OK) return r;
    if (nlate && e->sink.rows && (r = emit_late(e, b, nlate, err, errlen)) != SL_OK) return r;
    if ((r = deliver_events(e, b, nidx, err, errlen)) != SL_OK) return r;

    /* watermark and finalization */
    e->st.max_event_us = maxts;
    if (maxts != INT64_MIN) {
        int64_t wm;
        if (!__builtin_sub_overflow(maxts, e->o.lateness_us, &wm) && wm > INT64_MIN &&
            (e->st.watermark_us == INT64_MIN || wm > e->st.watermark_us))
            e->st.watermark_us = wm;
        if (e->st.watermark_us != INT64_MIN) {
            int64_t fb = sl_hour_floor(e->st.watermark_us);
            if (fb > e->final_before) e->final_before = fb;
        }
    }
    while (e->nwin && e->win[0]->hour < e->final_before) {
        if ((r = finalize_front(e, err, errlen)) != SL_OK) return r;
    }
    return SL_OK;
}
