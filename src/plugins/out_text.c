/* out_text.c: tables as JSON Lines or CSV files, one file per table
 * (DIR/<table>.jsonl or .csv): the final rows of every hourly table as
 * windows close, the quarantine tables as rows are found, and optionally
 * the accepted events.  Each file is written under a temporary name and
 * renamed into place when the run ends, so a reader never sees half a
 * file; a failed run leaves none.  Handy for a quick look, for diffing
 * runs, and for loading into anything that reads text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/plugin.h"
#include "sink/textout.h"

typedef struct text_opts {
    const char *dir;
    int format; /* 0 jsonl, 1 csv */
    const char *tables;
    bool events;
} text_opts;

static const sl_opt text_opts_table[] = {
    {.name = "dir", .type = SL_OPT_T_STRING, SL_OPT_F_(text_opts, dir), .flags = SL_OPT_REQUIRED, .arg = "DIR",
     .help = "where the files go (created if needed): DIR/<table>.jsonl or .csv"},
    {.name = "format", .type = SL_OPT_T_ENUM, SL_OPT_F_(text_opts, format), .def = "jsonl", .choices = "jsonl|csv",
     .help = "JSON Lines (NULL as null) or CSV with a header (NULL as an empty field)"},
    {.name = "tables", .type = SL_OPT_T_STRING, SL_OPT_F_(text_opts, tables), .arg = "T,T,...",
     .help = "the tables to write, comma-separated (default: every hourly and quarantine table)"},
    {.name = "events", .type = SL_OPT_T_FLAG, SL_OPT_F_(text_opts, events), .def = "false",
     .help = "also write the accepted events (DIR/events.jsonl)"},
    SL_OPT_END,
};

typedef struct tfile {
    FILE *f;
    char *path, *tmp;
    sl_textout t;
    bool started;
} tfile;

typedef struct text_out {
    text_opts o;
    const out_env *env;
    size_t n;
    bool *want;   /* per table */
    tfile *files; /* per table, opened on the first row */
} text_out;

static sl_err to_check(const void *opts, char *err, size_t errlen) {
    const text_opts *o = opts;
    if (!o->dir || !*o->dir) return sl_err_set(err, errlen, SL_ERR_ARG, "dir: needs a directory");
    return SL_OK;
}

static void to_describe(const void *opts, out_desc *d) {
    const text_opts *o = opts;
    d->caps = OUT_QUARANTINE | (o->events ? OUT_EVENTS : 0);
    d->location = o->dir;
}

static bool listed(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *z = e;
        while (z > p && z[-1] == ' ') z--;
        if ((size_t)(z - p) == n && !memcmp(p, name, n)) return true;
        p = e;
    }
    return false;
}

static sl_err to_open(void **state, const void *opts, const out_env *env, char *err, size_t errlen) {
    const text_opts *o = opts;
    if (mkdir(o->dir, 0777) != 0 && errno != EEXIST)
        return sl_err_set(err, errlen, SL_ERR_IO, "text output %s: cannot create the directory: %s", o->dir, strerror(errno));
    struct stat st;
    if (stat(o->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sl_err_set(err, errlen, SL_ERR_IO, "text output %s: not a directory", o->dir);
    sl_leftovers lo = {0};
    sl_err se = sl_sweep_tmp_files(o->dir, 0, &lo, err, errlen);
    if (se != SL_OK) return se;
    if (env->leftovers) {
        env->leftovers->files += lo.files;
        env->leftovers->bytes += lo.bytes;
    }
    text_out *x = calloc(1, sizeof *x);
    if (!x) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    x->o = *o;
    x->env = env;
    x->n = env->tables->n;
    x->want = calloc(x->n, sizeof *x->want);
    x->files = calloc(x->n, sizeof *x->files);
    if (!x->want || !x->files) {
        free(x->want);
        free(x->files);
        free(x);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (size_t t = 0; t < x->n; t++) {
        const tb_def *d = env->tables->v[t];
        x->want[t] = d->kind == TB_EVENTS ? o->events : o->tables ? listed(o->tables, d->name) : true;
    }
    if (o->tables) /* every listed name must be a table */
        for (const char *p = o->tables; *p;) {
            while (*p == ' ' || *p == ',') p++;
            const char *e = p;
            while (*e && *e != ',') e++;
            const char *z = e;
            while (z > p && z[-1] == ' ') z--;
            if (z > p) {
                char name[128];
                snprintf(name, sizeof name, "%.*s", (int)(z - p), p);
                if (tb_list_find(env->tables, name) < 0) {
                    sl_buf names;
                    sl_buf_init(&names);
                    for (size_t t = 0; t < x->n; t++)
                        sl_buf_printf(&names, "%s%s", t ? ", " : "", env->tables->v[t]->name);
                    sl_err r = sl_err_set(err, errlen, SL_ERR_ARG, "text output: tables: no table '%s' (the tables: %s)",
                                          name, sl_buf_cstr(&names));
                    sl_buf_free(&names);
                    free(x->want);
                    free(x->files);
                    free(x);
                    return r;
                }
            }
            p = e;
        }
    *state = x;
    return SL_OK;
}

/* The file of table t, opened under its temporary name on first use. */
static sl_err file_of(text_out *x, size_t t, const sl_batch *schema, tfile **out, char *err, size_t errlen) {
    tfile *f = &x->files[t];
    if (!f->started) {
        const char *name = x->env->tables->v[t]->name, *ext = x->o.format ? "csv" : "jsonl";
        size_t l = strlen(x->o.dir) + strlen(name) + 64;
        f->path = malloc(l);
        f->tmp = malloc(l);
        if (!f->path || !f->tmp) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        snprintf(f->path, l, "%s/%s.%s", x->o.dir, name, ext);
        snprintf(f->tmp, l, "%s/.%s.%s.tmp-%ld", x->o.dir, name, ext, (long)getpid());
        f->f = fopen(f->tmp, "wb");
        if (!f->f) return sl_err_set(err, errlen, SL_ERR_IO, "text output %s: %s", f->tmp, strerror(errno));
        sl_err e = sl_textout_init(&f->t, f->f, x->o.format ? SL_FMT_CSV : SL_FMT_JSON, schema, err, errlen);
        if (e != SL_OK) return e;
        f->started = true;
    }
    *out = f;
    return SL_OK;
}

static sl_err to_rows(void *st, size_t table, int64_t hour_us, bool final, const sl_batch *rows, char *err,
                      size_t errlen) {
    (void)hour_us;
    text_out *x = st;
    if (table >= x->n || !x->want[table] || !final || rows->nrows == 0) return SL_OK;
    tfile *f;
    sl_err e = file_of(x, table, rows, &f, err, errlen);
    return e != SL_OK ? e : sl_textout_write(&f->t, rows, err, errlen);
}

static sl_err to_events(void *st, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                        size_t errlen) {
    (void)hour_us;
    text_out *x = st;
    size_t t = (size_t)tb_list_find(x->env->tables, "events");
    if (!x->o.events || n == 0 || t >= x->n) return SL_OK;
    /* the events table's columns: a prefix of the canonical batch */
    const tb_def *d = x->env->tables->v[t];
    sl_batch v;
    sl_batch_init(&v);
    sl_err e = tb_init_batch(d, &v, err, errlen);
    if (e == SL_OK) e = sl_batch_append_rows(&v, b, d->ncols, idx, n, err, errlen);
    tfile *f = NULL;
    if (e == SL_OK) e = file_of(x, t, &v, &f, err, errlen);
    if (e == SL_OK) e = sl_textout_write(&f->t, &v, err, errlen);
    sl_batch_free(&v);
    return e;
}

static sl_err to_close(void *st, bool ok, char *err, size_t errlen) {
    text_out *x = st;
    sl_err e = SL_OK;
    for (size_t t = 0; t < x->n; t++) {
        tfile *f = &x->files[t];
        if (f->started) {
            sl_err r = ok ? sl_textout_finish(&f->t, err, errlen) : SL_OK;
            sl_textout_free(&f->t);
            if (fclose(f->f) != 0 && r == SL_OK && ok)
                r = sl_err_set(err, errlen, SL_ERR_IO, "text output %s: %s", f->tmp, strerror(errno));
            if (ok && r == SL_OK && rename(f->tmp, f->path) != 0)
                r = sl_err_set(err, errlen, SL_ERR_IO, "text output: cannot rename %s to %s: %s", f->tmp, f->path,
                               strerror(errno));
            if (!ok || r != SL_OK) unlink(f->tmp);
            if (e == SL_OK) e = r;
        }
        free(f->path);
        free(f->tmp);
    }
    free(x->files);
    free(x->want);
    free(x);
    return e;
}

const out_plugin out_text = {
    .name = "text",
    .help = "tables as JSON Lines or CSV files, one per table, put in place when the run ends",
    .instance = "text",
    .opts = text_opts_table,
    .opts_size = sizeof(text_opts),
    .check = to_check,
    .describe = to_describe,
    .open = to_open,
    .rows = to_rows,
    .events = to_events,
    .close = to_close,
};

const pl_module pm_text_out = {.name = "text", .outputs = (const out_plugin *const[]){&out_text, NULL}};
