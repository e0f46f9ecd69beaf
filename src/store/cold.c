/* cold.c: the cold store (see cold.h and docs/stores.md "Cold store").
 *
 * State per open (unpublished) hour: one pq_writer per "slot" -- every
 * hourly table and the events -- created lazily on the first row.  The
 * writers stream into byte targets (io/target.h: temporary files in the
 * final partition directory, ".part-00000.parquet.tmp-PID-N");
 * cs_publish_hour finishes them, then cs_flush syncs, commits (renames) them,
 * syncs the directories, then puts one manifest per written slot in place,
 * also through a target.
 * A slot without rows in a published hour gets no file and no manifest; a
 * stale file (and manifest) left there by an earlier run is removed, so the
 * partition always holds exactly what the last run published.
 *
 * Quarantine tables (bad_rows, late_events) have no window: the cold store
 * ignores them (they live in the hot store).  Provisional rows are ignored.
 */
#include "store/cold.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#include <unistd.h>

#include "batch/format.h"
#include "parquet/writer.h"
#include "util/buf.h"
#include "util/time.h"

#define PART_NAME "part-00000.parquet"
#define GATHER_ROWS 4096                    /* events copied per staging batch */

/* Slots are the indexes of the tables in the table list: the hourly ones
 * and the events; quarantine tables have none. */
typedef struct cs_hour {
    int64_t hour_us;
    pq_writer **w;       /* per table */
    bool failed;
    struct cs_hour *next;
} cs_hour;

/* A published hour waiting for cs_flush: its finished targets. */
typedef struct cs_pend {
    int64_t hour_us;
    sl_target **dt;      /* per table: data file (NULL: slot without rows -> stale file removed) */
    sl_target **mt;      /* its manifest */
    bool *has;           /* slot has a data file this time */
    bool events_only;    /* cs_publish_events: the metric tables' files of the hour stay as they are */
} cs_pend;

#define PEND_MAX 64 /* queued hours that force a flush */

struct cs {
    const sc_schema *s;
    const tb_list *tables;
    size_t nslots;      /* = tables->n */
    size_t ev_slot;     /* the events table */
    char *dir;          /* as given, no trailing '/' */
    char *owner;        /* cs_opts.owner (NULL: none) */
    char *prefix;       /* manifest URL prefix, ends with '/' unless empty */
    cs_hour *hours;     /* open hours */
    int64_t *pub;       /* published hours, ascending */
    size_t npub, cappub;
    sl_batch stage;     /* events staging batch (the events table's columns) */
    bool stage_ready;
    bool group_sync;
    cs_pend *pend;      /* published hours whose files are not yet in place */
    size_t npend, cappend;
    uint64_t visible;   /* hours flushed into place */
};

cs_opts cs_opts_default(void) {
    cs_opts o = {.url_prefix = NULL};
    return o;
}

static const char *slot_name(const cs *c, size_t s) { return c->tables->v[s]->name; }
static bool has_slot(const cs *c, size_t s) {
    tb_kind k = c->tables->v[s]->kind;
    return k == TB_HOURLY || k == TB_EVENTS;
}

/* ------------------------------------------------------------ paths */

/* "date=YYYY-MM-DD/hr=HH" (no slashes around).  hour_us must be checked. */
static void part_of(int64_t hour_us, char out[64]) { sl_fmt_time(out, 64, hour_us, SL_TIME_PARTITION); }

/* Valid hours: window starts in years 0000..9999 (fixed-width partition names). */
static sl_err check_hour(int64_t hour_us, const char *what, char *err, size_t errlen) {
    if (hour_us < SL_TIME_MIN_US || hour_us > SL_TIME_MAX_US || hour_us % SL_US_PER_HOUR != 0)
        return sl_err_set(err, errlen, SL_ERR_ARG, "cold store: %s: %lld is not the start of a UTC hour in years 0..9999",
                          what, (long long)hour_us);
    return SL_OK;
}

/* Relative paths inside DIR. */
static void rel_data(const cs *c, size_t s, int64_t hour_us, char *out, size_t n) {
    char p[64];
    part_of(hour_us, p);
    if (s == c->ev_slot && c->owner) snprintf(out, n, "%s/%s/part-%s.parquet", slot_name(c, s), p, c->owner);
    else snprintf(out, n, "%s/%s/" PART_NAME, slot_name(c, s), p);
}
static void rel_manifest(const cs *c, size_t s, int64_t hour_us, char *out, size_t n) {
    char p[64];
    part_of(hour_us, p);
    if (s == c->ev_slot && c->owner) snprintf(out, n, "_manifests/%s/%s-%s.manifest", slot_name(c, s), p, c->owner);
    else snprintf(out, n, "_manifests/%s/%s.manifest", slot_name(c, s), p);
}

static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *r = malloc(la + lb + 2);
    if (!r) return NULL;
    memcpy(r, a, la);
    r[la] = '/';
    memcpy(r + la + 1, b, lb + 1);
    return r;
}

/* mkdir -p of p, from the leaf upwards: one mkdir when only the leaf is
 * missing (the common case: a new hr=HH), none beyond a stat when it exists. */
static sl_err mkdir_up(char *p, char *err, size_t errlen) {
    if (mkdir(p, 0777) == 0) return SL_OK;
    int en = errno;
    if (en == ENOENT) {
        char *sl = strrchr(p, '/');
        if (sl && sl != p) {
            *sl = '\0';
            sl_err e = mkdir_up(p, err, errlen);
            *sl = '/';
            if (e != SL_OK) return e;
            if (mkdir(p, 0777) == 0) return SL_OK;
            en = errno;
        }
    }
    struct stat st;
    if (en == EEXIST && stat(p, &st) == 0 && S_ISDIR(st.st_mode)) return SL_OK;
    return sl_err_set(err, errlen, SL_ERR_IO, "cold store: cannot create directory %s: %s", p,
                      strerror(en == EEXIST ? ENOTDIR : en));
}

/* mkdir -p of path (or of its parent when parent_only). */
static sl_err mkdirs(const char *path, bool parent_only, char *err, size_t errlen) {
    char *p = strdup(path);
    if (!p) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    size_t n = strlen(p);
    if (parent_only) {
        while (n > 0 && p[n - 1] != '/') n--;
        while (n > 1 && p[n - 1] == '/') n--;
        p[n] = '\0';
        if (n == 0 || (n == 1 && p[0] == '/')) {
            free(p);
            return SL_OK;
        }
    }
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
    struct stat st;
    sl_err e = SL_OK;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) e = mkdir_up(p, err, errlen);
    free(p);
    return e;
}

/* fsync a directory so renames in it are durable (EINVAL: not supported, fine). */
static sl_err fsync_dir_of(const char *file, char *err, size_t errlen) {
    char *d = strdup(file);
    if (!d) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    char *sl = strrchr(d, '/');
    if (sl) *sl = '\0';
    int fd = open(sl ? d : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    sl_err e = SL_OK;
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL && errno != EROFS))
        e = sl_err_set(err, errlen, SL_ERR_IO, "cold store: cannot fsync directory %s: %s", sl ? d : ".", strerror(errno));
    if (fd >= 0) close(fd);
    free(d);
    return e;
}

/* ------------------------------------------------------------ open/close */

sl_err cs_open(cs **out, const char *dir, const cs_opts *o, const sc_schema *s, const tb_list *tables, char *err,
               size_t errlen) {
    *out = NULL;
    if (!dir || !*dir) return sl_err_set(err, errlen, SL_ERR_ARG, "cold store: empty directory name");
    cs *c = calloc(1, sizeof *c);
    if (!c) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    c->s = s;
    c->tables = tables;
    c->nslots = tables->n;
    c->ev_slot = SIZE_MAX;
    for (size_t t = 0; t < tables->n; t++)
        if (tables->v[t]->kind == TB_EVENTS) c->ev_slot = t;
    sl_batch_init(&c->stage);
    c->dir = strdup(dir);
    if (!c->dir) goto oom;
    if (o && o->owner && !(c->owner = strdup(o->owner))) goto oom;
    size_t n = strlen(c->dir);
    while (n > 1 && c->dir[n - 1] == '/') c->dir[--n] = '\0';
    sl_err e = mkdirs(c->dir, false, err, errlen);
    if (e != SL_OK) {
        cs_close(c);
        return e;
    }
    if (access(c->dir, W_OK | X_OK) != 0) {
        e = sl_err_set(err, errlen, SL_ERR_IO, "cold store: directory %s is not writable: %s", c->dir, strerror(errno));
        cs_close(c);
        return e;
    }
    c->group_sync = o && o->group_sync;
    /* DIR/<table>/date=D/hr=H/.part-*.tmp-PID-N and DIR/_manifests/<table>/date=D/.hr=H.manifest.tmp-PID-N */
    sl_leftovers lo = {0};
    if ((e = sl_sweep_tmp_files(c->dir, 3, &lo, err, errlen)) != SL_OK) {
        sl_err_prefix(err, errlen, "cold store");
        cs_close(c);
        return e;
    }
    if (o && o->leftovers) {
        o->leftovers->files += lo.files;
        o->leftovers->bytes += lo.bytes;
    }
    const char *pre = o ? o->url_prefix : NULL;
    if (pre) {
        size_t lp = strlen(pre);
        c->prefix = malloc(lp + 2);
        if (!c->prefix) goto oom;
        memcpy(c->prefix, pre, lp + 1);
        if (lp && pre[lp - 1] != '/') strcat(c->prefix, "/");
    } else {
        char *abs = realpath(c->dir, NULL);
        if (!abs) {
            e = sl_err_set(err, errlen, SL_ERR_IO, "cold store: cannot resolve %s: %s", c->dir, strerror(errno));
            cs_close(c);
            return e;
        }
        size_t la = strlen(abs);
        c->prefix = malloc(la + 9);
        if (!c->prefix) {
            free(abs);
            goto oom;
        }
        snprintf(c->prefix, la + 9, "file://%s%s", abs, (la && abs[la - 1] == '/') ? "" : "/");
        free(abs);
    }
    *out = c;
    return SL_OK;
oom:
    cs_close(c);
    return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
}

/* Remove the (empty) partition directories of an aborted hour. */
static void rmdirs_of(cs *c, size_t s, int64_t hour_us) {
    char rel[256];
    rel_data(c, s, hour_us, rel, sizeof rel);
    char *p = join(c->dir, rel);
    if (!p) return;
    for (int k = 0; k < 3; k++) { /* hr=HH, date=..., <table> */
        char *sl = strrchr(p, '/');
        if (!sl) break;
        *sl = '\0';
        if (rmdir(p) != 0) break;
    }
    free(p);
}

static void hour_abort(cs *c, cs_hour *h) {
    for (size_t s = 0; h->w && s < c->nslots; s++) {
        if (!h->w[s]) continue;
        pq_writer_abort(h->w[s]);
        h->w[s] = NULL;
        rmdirs_of(c, s, h->hour_us);
    }
}

static void hour_unlink(cs *c, cs_hour *h) {
    for (cs_hour **pp = &c->hours; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    free(h->w);
    free(h);
}

static void pend_free(cs *c, cs_pend *p);

static void close_store(cs *c, bool flush) {
    if (!c) return;
    char ferr[256];
    if (flush) (void)cs_flush(c, ferr, sizeof ferr);
    for (size_t i = 0; i < c->npend; i++) pend_free(c, &c->pend[i]); /* not flushed: removed */
    free(c->pend);
    while (c->hours) {
        cs_hour *h = c->hours;
        hour_abort(c, h);
        hour_unlink(c, h);
    }
    sl_batch_free(&c->stage);
    free(c->pub);
    free(c->prefix);
    free(c->owner);
    free(c->dir);
    free(c);
}

void cs_close(cs *c) { close_store(c, true); }
void cs_abort(cs *c) { close_store(c, false); }

/* ------------------------------------------------------------ hours */

static bool is_published(const cs *c, int64_t hour_us) {
    size_t lo = 0, hi = c->npub;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->pub[mid] < hour_us) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->npub && c->pub[lo] == hour_us;
}

static sl_err mark_published(cs *c, int64_t hour_us, char *err, size_t errlen) {
    if (c->npub == c->cappub) {
        size_t nc = c->cappub ? c->cappub * 2 : 64;
        int64_t *np = realloc(c->pub, nc * sizeof *np);
        if (!np) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        c->pub = np;
        c->cappub = nc;
    }
    size_t i = c->npub;
    while (i > 0 && c->pub[i - 1] > hour_us) {
        c->pub[i] = c->pub[i - 1];
        i--;
    }
    c->pub[i] = hour_us;
    c->npub++;
    return SL_OK;
}

static cs_hour *find_hour(cs *c, int64_t hour_us) {
    for (cs_hour *h = c->hours; h; h = h->next)
        if (h->hour_us == hour_us) return h;
    return NULL;
}

/* The open state of a writable hour (created on demand). */
static sl_err get_hour(cs *c, int64_t hour_us, const char *what, cs_hour **out, char *err, size_t errlen) {
    sl_err e = check_hour(hour_us, what, err, errlen);
    if (e != SL_OK) return e;
    char p[64];
    if (is_published(c, hour_us)) {
        part_of(hour_us, p);
        return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: %s: hour %s is already published", c->dir, what, p);
    }
    cs_hour *h = find_hour(c, hour_us);
    if (!h) {
        h = calloc(1, sizeof *h);
        if (h) h->w = calloc(c->nslots ? c->nslots : 1, sizeof *h->w);
        if (!h || !h->w) {
            free(h);
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
        h->hour_us = hour_us;
        h->next = c->hours;
        c->hours = h;
    }
    if (h->failed) {
        part_of(hour_us, p);
        return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: %s: hour %s failed earlier and cannot be written", c->dir,
                          what, p);
    }
    *out = h;
    return SL_OK;
}

/* A write to hour h failed: drop its files (nothing of it will be published). */
static sl_err hour_fail(cs *c, cs_hour *h, sl_err e) {
    hour_abort(c, h);
    h->failed = true;
    return e;
}

static sl_err open_writer(cs *c, cs_hour *h, size_t s, char *err, size_t errlen) {
    const tb_def *d = c->tables->v[s];
    pq_write_col cols[SC_MAX_COLS];
    if (d->ncols > SC_MAX_COLS) return sl_err_set(err, errlen, SL_ERR_ARG, "cold store: table %s has too many columns", d->name);
    for (size_t j = 0; j < d->ncols; j++) cols[j] = (pq_write_col){d->cols[j].name, d->cols[j].type, d->cols[j].nullable};
    size_t ncols = d->ncols;
    char rel[256];
    rel_data(c, s, h->hour_us, rel, sizeof rel);
    char *path = join(c->dir, rel);
    if (!path) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sl_err e = mkdirs(path, true, err, errlen);
    if (e == SL_OK) {
        /* Defaults (ZSTD, dictionary, CRC).  No extra key-value metadata: the
         * writer adds only "writer" = "sluice <version>", so the bytes depend on
         * the rows alone (no time, no path). */
        pq_writer_opts o = pq_writer_opts_default();
        o.no_sync = true; /* cs_flush syncs the hour's files (and a group of hours) at once */
        o.level = 1; /* ZSTD level 1: ~20% less cold-store time than the default 3, and no
                        larger on Redset events (measured: 136 vs 141 MB for 4M events) */
        e = pq_writer_open(&h->w[s], path, cols, ncols, &o, err, errlen);
    }
    free(path);
    return e;
}

/* ------------------------------------------------------------ events */

static sl_err check_events_batch(const cs *c, const sl_batch *b, char *err, size_t errlen) {
    const tb_def *d = c->tables->v[c->ev_slot];
    if (b->ncols < d->ncols)
        return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: events batch has %zu columns, expected a canonical batch",
                          c->dir, b->ncols);
    for (size_t j = 0; j < d->ncols; j++) {
        const sl_coltype *t = &d->cols[j].type;
        const sl_col *col = &b->cols[j];
        if (col->t.type != t->type || col->t.logical != t->logical || strcmp(col->name, d->cols[j].name) != 0)
            return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: events batch column %zu is %s, expected %s", c->dir, j,
                              col->name, d->cols[j].name);
    }
    return SL_OK;
}

static sl_err stage_init(cs *c, char *err, size_t errlen) {
    if (c->stage_ready) return SL_OK;
    sl_err e = tb_init_batch(c->tables->v[c->ev_slot], &c->stage, err, errlen);
    if (e != SL_OK) return e;
    c->stage_ready = true;
    return SL_OK;
}

/* Copy rows idx[0..n) of the events table's columns (the first of b) into the stage. */
static sl_err gather(cs *c, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen) {
    sl_batch *st = &c->stage;
    sl_batch_reset(st);
    sl_err e = sl_batch_reserve(st, n, err, errlen);
    if (e != SL_OK) return e;
    st->nrows = n;
    for (size_t j = 0; j < st->ncols; j++) {
        const sl_col *sc = &b->cols[j];
        sl_col *dc = &st->cols[j];
        size_t w = sl_type_width(sc->t.type);
        bool nulls = sc->valid && sc->null_count;
        for (size_t i = 0; i < n; i++) {
            size_t r = idx[i];
            if (r >= b->nrows)
                return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: event index %zu out of range (%zu rows)", c->dir, r,
                                  b->nrows);
            if (nulls && !sl_bit_get(sc->valid, r)) {
                if (!dc->nullable)
                    return sl_err_set(err, errlen, SL_ERR_ARG,
                                      "cold store %s: event (row %zu of the batch) has NULL %s: not an accepted event", c->dir,
                                      r, dc->name);
                uint8_t *v = sl_col_valid_alloc(st, j);
                if (!v) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                sl_bit_clear(v, i);
                dc->null_count++;
                memset((char *)dc->data + i * w, 0, w);
                continue;
            }
            if (sc->t.type == SL_BYTES) {
                sl_str s = ((const sl_str *)sc->data)[r];
                sl_str d = {.ptr = NULL, .len = s.len};
                d.ptr = sl_arena_dup(&st->arena, s.ptr, s.len);
                if (!d.ptr) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
                ((sl_str *)dc->data)[i] = d;
            } else {
                memcpy((char *)dc->data + i * w, (const char *)sc->data + r * w, w);
            }
        }
    }
    return SL_OK;
}

sl_err cs_write_events(cs *c, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                       size_t errlen) {
    if (c->ev_slot == SIZE_MAX) return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: no events table", c->dir);
    cs_hour *h;
    sl_err e = get_hour(c, hour_us, "events", &h, err, errlen);
    if (e != SL_OK) return e;
    if (n == 0) return SL_OK;
    if ((e = check_events_batch(c, b, err, errlen)) != SL_OK) return e;
    if ((e = stage_init(c, err, errlen)) != SL_OK) return e;
    if (!h->w[c->ev_slot] && (e = open_writer(c, h, c->ev_slot, err, errlen)) != SL_OK) return hour_fail(c, h, e);
    for (size_t off = 0; off < n; off += GATHER_ROWS) {
        size_t k = n - off < GATHER_ROWS ? n - off : GATHER_ROWS;
        e = gather(c, b, idx + off, k, err, errlen);
        if (e == SL_OK) e = pq_writer_write(h->w[c->ev_slot], &c->stage, err, errlen);
        if (e != SL_OK) {
            sl_batch_reset(&c->stage);
            return hour_fail(c, h, e);
        }
    }
    sl_batch_reset(&c->stage);
    return SL_OK;
}

/* ------------------------------------------------------------ table rows */

static sl_err check_rows_batch(const cs *c, const tb_def *t, int64_t hour_us, const sl_batch *b, char *err,
                               size_t errlen) {
    size_t nc = t->ncols;
    const tb_col *d = t->cols;
    if (b->ncols != nc)
        return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: %s batch has %zu columns, expected %zu", c->dir,
                          t->name, b->ncols, nc);
    for (size_t j = 0; j < nc; j++) {
        const sl_col *col = &b->cols[j];
        if (col->t.type != d[j].type.type || col->t.logical != d[j].type.logical || strcmp(col->name, d[j].name) != 0)
            return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: %s batch column %zu is %s, expected %s", c->dir,
                              t->name, j, col->name, d[j].name);
        if (!d[j].nullable && col->valid && col->null_count && b->nrows)
            return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: %s column %s has %zu NULLs", c->dir, t->name,
                              d[j].name, col->null_count);
    }
    /* Column 0 of every hourly table is `hour`: it must be the window. */
    const int64_t *hv = b->cols[0].data;
    for (size_t i = 0; i < b->nrows; i++)
        if (hv[i] != hour_us)
            return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: %s row %zu has hour %lld, expected the window %lld",
                              c->dir, t->name, i, (long long)hv[i], (long long)hour_us);
    return SL_OK;
}

sl_err cs_write_rows(cs *c, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err,
                     size_t errlen) {
    if (table >= c->nslots) return sl_err_set(err, errlen, SL_ERR_ARG, "cold store: unknown table %zu", table);
    const tb_def *t = c->tables->v[table];
    if (t->kind != TB_HOURLY || !final) return SL_OK; /* quarantine / provisional: not cold */
    cs_hour *h;
    sl_err e = get_hour(c, hour_us, t->name, &h, err, errlen);
    if (e != SL_OK) return e;
    if (!rows || rows->nrows == 0) return SL_OK;
    if ((e = check_rows_batch(c, t, hour_us, rows, err, errlen)) != SL_OK) return e;
    if (!h->w[table] && (e = open_writer(c, h, table, err, errlen)) != SL_OK) return hour_fail(c, h, e);
    if ((e = pq_writer_write(h->w[table], rows, err, errlen)) != SL_OK) return hour_fail(c, h, e);
    return SL_OK;
}

/* ------------------------------------------------------------ publish */

/* The manifest DIR/<mrel> listing DIR/<drel> of `bytes` bytes, written to a
 * target and finished (not synced, not published): *out. */
static sl_err write_manifest(cs *c, const char *mrel, const char *drel, uint64_t bytes, sl_target **out, char *err,
                             size_t errlen) {
    *out = NULL;
    char *path = join(c->dir, mrel);
    if (!path) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sl_err e = mkdirs(path, true, err, errlen);
    sl_target *t = NULL;
    if (e == SL_OK) e = sl_target_open_file(&t, path, err, errlen);
    free(path);
    if (e != SL_OK) return e;
    sl_buf m;
    sl_buf_init(&m);
    sl_buf_puts(&m, "{\"entries\":[{\"url\":");
    sl_buf u;
    sl_buf_init(&u);
    sl_buf_puts(&u, c->prefix);
    sl_buf_puts(&u, drel);
    sl_fmt_json_str(&m, u.p ? u.p : "", u.len);
    sl_buf_free(&u);
    sl_buf_printf(&m, ",\"mandatory\":true,\"meta\":{\"content_length\":%llu}}]}\n", (unsigned long long)bytes);
    if (m.oom) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    if (e == SL_OK) e = sl_target_write(t, m.p, m.len, err, errlen);
    if (e == SL_OK) e = sl_target_finish(t, false, err, errlen); /* cs_flush syncs */
    sl_buf_free(&m);
    if (e != SL_OK) {
        sl_target_abort(t);
        return e;
    }
    *out = t;
    return SL_OK;
}

/* Remove DIR/rel if present. */
static sl_err remove_stale(cs *c, const char *rel, char *err, size_t errlen) {
    char *path = join(c->dir, rel);
    if (!path) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    sl_err e = SL_OK;
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
        e = sl_err_set(err, errlen, SL_ERR_IO, "cold store: cannot remove stale %s: %s", path, strerror(errno));
    free(path);
    return e;
}

/* Close (abort what is unpublished) and free a pending hour's targets. */
static void pend_free(cs *c, cs_pend *p) {
    for (size_t s = 0; s < c->nslots; s++) {
        if (p->dt) sl_target_close(p->dt[s]);
        if (p->mt) sl_target_close(p->mt[s]);
    }
    free(p->dt);
    free(p->mt);
    free(p->has);
    memset(p, 0, sizeof *p);
}

static sl_err publish(cs *c, int64_t hour_us, bool events_only, char *err, size_t errlen);

sl_err cs_publish_hour(cs *c, int64_t hour_us, char *err, size_t errlen) {
    return publish(c, hour_us, false, err, errlen);
}

sl_err cs_publish_events(cs *c, int64_t hour_us, char *err, size_t errlen) {
    return publish(c, hour_us, true, err, errlen);
}

static sl_err publish(cs *c, int64_t hour_us, bool events_only, char *err, size_t errlen) {
    sl_err e = check_hour(hour_us, "publish", err, errlen);
    if (e != SL_OK) return e;
    char p[64];
    part_of(hour_us, p);
    if (is_published(c, hour_us))
        return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: hour %s is already published", c->dir, p);
    cs_hour *h = find_hour(c, hour_us);
    if (h && h->failed) {
        hour_unlink(c, h);
        return sl_err_set(err, errlen, SL_ERR_ARG, "cold store %s: hour %s cannot be published: a write to it failed", c->dir,
                          p);
    }
    if (c->npend == c->cappend) {
        size_t nc = c->cappend ? c->cappend * 2 : PEND_MAX;
        cs_pend *np = realloc(c->pend, nc * sizeof *np);
        if (!np) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        c->pend = np;
        c->cappend = nc;
    }
    cs_pend pd;
    memset(&pd, 0, sizeof pd);
    pd.hour_us = hour_us;
    pd.events_only = events_only;
    size_t ns = c->nslots ? c->nslots : 1;
    pd.dt = calloc(ns, sizeof *pd.dt);
    pd.mt = calloc(ns, sizeof *pd.mt);
    pd.has = calloc(ns, sizeof *pd.has);
    uint64_t *bytes = calloc(ns, sizeof *bytes);
    if (!pd.dt || !pd.mt || !pd.has || !bytes) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    /* 1. data files: finish every writer of the hour (not yet visible) */
    for (size_t s = 0; h && s < c->nslots; s++) {
        if (!h->w[s]) continue;
        pq_writer *w = h->w[s];
        h->w[s] = NULL;
        if (e == SL_OK) {
            pq_writer_stats st;
            e = pq_writer_finish(w, &st, &pd.dt[s], err, errlen);
            if (e == SL_OK) {
                bytes[s] = st.bytes_written;
                pd.has[s] = true;
            }
        } else {
            pq_writer_abort(w);
        }
    }
    if (h) hour_unlink(c, h);
    /* 2. their manifests, also finished but not visible */
    char drel[256], mrel[256];
    for (size_t s = 0; e == SL_OK && s < c->nslots; s++) {
        if (!pd.dt[s]) continue;
        rel_data(c, s, hour_us, drel, sizeof drel);
        rel_manifest(c, s, hour_us, mrel, sizeof mrel);
        e = write_manifest(c, mrel, drel, bytes[s], &pd.mt[s], err, errlen);
    }
    free(bytes);
    if (e == SL_OK) e = mark_published(c, hour_us, err, errlen);
    if (e != SL_OK) {
        pend_free(c, &pd);
        return e;
    }
    c->pend[c->npend++] = pd;
    if (!c->group_sync || c->npend >= PEND_MAX) return cs_flush(c, err, errlen);
    return SL_OK;
}

/* Make the contents of every finished file (step 1) or the renames in their
 * directories (steps 2, 3) durable: one syncfs of the store's file system
 * in group mode on Linux, else an fsync per file / directory. */
static sl_err sync_pending(cs *c, int step, char *err, size_t errlen) {
#if defined(__linux__) && defined(SYS_syncfs)
    if (c->group_sync) {
        int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return sl_err_set(err, errlen, SL_ERR_IO, "cold store: cannot open %s: %s", c->dir, strerror(errno));
        int r = (int)syscall(SYS_syncfs, fd);
        int en = errno;
        close(fd);
        if (r != 0) return sl_err_set(err, errlen, SL_ERR_IO, "cold store: syncfs of %s failed: %s", c->dir, strerror(en));
        return SL_OK;
    }
#endif
    char rel[256];
    for (size_t i = 0; i < c->npend; i++) {
        cs_pend *pd = &c->pend[i];
        for (size_t s = 0; s < c->nslots; s++) {
            if (!has_slot(c, s)) continue;
            if (step == 1) {
                for (int k = 0; k < 2; k++) {
                    const char *f = sl_target_file_tmp(k ? pd->mt[s] : pd->dt[s]);
                    if (!f) continue;
                    int fd = open(f, O_RDONLY | O_CLOEXEC);
                    if (fd < 0 || fsync(fd) != 0) {
                        int en = errno;
                        if (fd >= 0) close(fd);
                        return sl_err_set(err, errlen, SL_ERR_IO, "cold store: fsync of %s failed: %s", f, strerror(en));
                    }
                    close(fd);
                }
                continue;
            }
            /* step 2: the data directories; step 3: the manifest directories
             * (also those of removed stale files) */
            if (step == 2 && !pd->has[s]) continue;
            if (step == 2) rel_data(c, s, pd->hour_us, rel, sizeof rel);
            else rel_manifest(c, s, pd->hour_us, rel, sizeof rel);
            char *path = join(c->dir, rel);
            if (!path) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
            struct stat st;
            char *sl = strrchr(path, '/');
            *sl = '\0';
            bool exists = stat(path, &st) == 0;
            *sl = '/';
            sl_err e = exists ? fsync_dir_of(path, err, errlen) : SL_OK;
            free(path);
            if (e != SL_OK) return e;
        }
    }
    return SL_OK;
}

sl_err cs_flush(cs *c, char *err, size_t errlen) {
    if (!c || c->npend == 0) return SL_OK;
    char drel[256], mrel[256];
    /* 1. every finished file's contents are on disk */
    sl_err e = sync_pending(c, 1, err, errlen);
    /* 2. data files into place, then their directory entries on disk */
    for (size_t i = 0; e == SL_OK && i < c->npend; i++)
        for (size_t s = 0; e == SL_OK && s < c->nslots; s++)
            if (c->pend[i].dt[s]) e = sl_target_commit(c->pend[i].dt[s], false, err, errlen);
    if (e == SL_OK) e = sync_pending(c, 2, err, errlen);
    /* 3. manifests, after every data file they name is in place; a slot
     *    without rows this time loses its stale manifest, then its file */
    size_t done = 0; /* hours whose manifests are all in place */
    for (size_t i = 0; e == SL_OK && i < c->npend; i++, done += e == SL_OK)
        for (size_t s = 0; e == SL_OK && s < c->nslots; s++) {
            if (!has_slot(c, s)) continue;
            cs_pend *pd = &c->pend[i];
            if (pd->has[s]) {
                e = sl_target_commit(pd->mt[s], false, err, errlen);
            } else if (!pd->events_only || s == c->ev_slot) {
                rel_data(c, s, pd->hour_us, drel, sizeof drel);
                rel_manifest(c, s, pd->hour_us, mrel, sizeof mrel);
                e = remove_stale(c, mrel, err, errlen);
                if (e == SL_OK) e = remove_stale(c, drel, err, errlen);
            }
        }
    if (e == SL_OK) e = sync_pending(c, 3, err, errlen);
    /* an hour counts as published once its manifests are in place (after a
     * failure: the hours before the one that failed) */
    uint64_t whole = 0;
    for (size_t i = 0; i < done && i < c->npend; i++) whole += !c->pend[i].events_only;
    for (size_t i = 0; i < c->npend; i++) pend_free(c, &c->pend[i]); /* only leftovers of a failure are removed */
    c->visible += whole;
    c->npend = 0;
    return e;
}

uint64_t cs_published_count(const cs *c) { return c ? c->visible : 0; }

bool cs_events_path(const cs *c, int64_t hour_us, char *out, size_t n) {
    char e0[8];
    if (check_hour(hour_us, "events", e0, sizeof e0) != SL_OK) return false;
    if (c->ev_slot == SIZE_MAX) return false;
    char rel[256];
    rel_data(c, c->ev_slot, hour_us, rel, sizeof rel);
    int k = snprintf(out, n, "%s/%s", c->dir, rel);
    return k > 0 && (size_t)k < n;
}

