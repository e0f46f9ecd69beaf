/* sluice gen: deterministic Redset-shaped event data (see docs/gen.md).
 * --kind product-events is the other generator, with its own front
 * (gen_product_cli); both take gen_cli_table's output options. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/format.h"
#include "cli/cli.h"
#include "util/progress.h"
#include "gen/gen.h"
#include "gen/gen_cli.h"
#include "gen/gen_product.h"
#include "parquet/writer.h"
#include "sink/textout.h"
#include "util/time.h"

/* The Redset kinds' own output options. */
typedef struct gen_out_opts {
    int format, codec, ts_format; /* ts_format: 0 auto, 1 space, 2 iso */
    size_t row_group_rows, batch_rows;
} gen_out_opts;

static const sl_opt k_gen_out[] = {
    GEN_OPT_FORMAT(gen_out_opts, format, "parquet, csv or jsonl (default: from the extension of --out)"),
    CLI_OPT_CODEC(gen_out_opts, codec),
    CLI_OPT_ROW_GROUP_ROWS(gen_out_opts, row_group_rows),
    {.name = "ts_format", .type = SL_OPT_T_ENUM, SL_OPT_F_(gen_out_opts, ts_format), .def = "auto",
     .choices = "auto|space|iso", .expect = "space or iso", .arg = "T",
     .help = "csv/jsonl timestamps: space ('2024-03-01 05:00:00.000000', default for "
             "csv) or iso ('2024-03-01T05:00:00.000000Z', default for jsonl)"},
    GEN_OPT_BATCH_ROWS(gen_out_opts, batch_rows, "65536", "rows per generated batch"),
    SL_OPT_END,
};
static const sl_opt *const k_gen_tables[] = {gen_opts_table, k_gen_out, gen_cli_table, NULL};
static const char *const k_gen_titles[] = {"size and shape", "output", NULL};
static const sl_opt_cmd k_gen_cmd = {
    .name = "gen",
    .tables = k_gen_tables,
    .titles = k_gen_titles,
    .usage = "sluice gen [--rows N | --scale F | --rate R] [--out FILE] [options]",
    .about = "Generate Redset-shaped query events (the 24 Redset columns with their real physical types):\n"
             "real per-instance hourly rates, realistic columns, row orders like the real files, injected\n"
             "faults counted in a summary (docs/gen.md).  Same seed + same options => byte-identical output.",
    .notes = "Exit status: 0 ok, 1 bad option, 2 I/O or runtime error.",
};
const sl_opt_cmd *cli_gen_doc(void) { return &k_gen_cmd; }

/* The after-flag callback: every option but the output names, as
 * --name value, for the files' key-value metadata (sluice.gen.args). */
static sl_err record_arg(void *ctx, const sl_opt *o, const char *v, char *err, size_t errlen) {
    sl_buf *args = ctx;
    /* not part of what was generated: the same options give byte-identical files under any name */
    if (!strcmp(o->name, "out") || !strcmp(o->name, "summary")) return SL_OK;
    sl_buf_puts(args, args->len ? " --" : "--");
    for (const char *c = o->name; *c; c++) sl_buf_putc(args, *c == '_' ? '-' : *c);
    if (v) sl_buf_printf(args, o->type == SL_OPT_T_FLAG ? "=%s" : " %s", v);
    return args->oom ? sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory") : SL_OK;
}

typedef struct out_ctx {
    int fmt; /* GEN_FMT_* */
    pq_writer *w;
    pq_writer_opts wo;
    FILE *f;
    bool own_f;
    sl_textout t;
    bool t_init;
    sl_ts_style ts;
    sl_buf line;
    char *path;
} out_ctx;

static int out_open(out_ctx *o, const char *path, const sl_batch *schema) {
    char err[SL_ERRLEN];
    if (o->fmt == GEN_FMT_PARQUET) {
        pq_write_col cols[32];
        for (size_t c = 0; c < schema->ncols && c < 32; c++) {
            cols[c].name = schema->cols[c].name;
            cols[c].type = schema->cols[c].t;
            cols[c].nullable = schema->cols[c].nullable;
        }
        if (pq_writer_open(&o->w, path, cols, schema->ncols, &o->wo, err, sizeof err) != SL_OK)
            return cli_fail(2, "%s", err);
        return 0;
    }
    if (path) {
        o->f = fopen(path, "wb");
        if (!o->f) return cli_fail(2, "%s: %s", path, strerror(errno));
        o->own_f = true;
    } else {
        o->f = stdout;
        o->own_f = false;
    }
    if (sl_textout_init(&o->t, o->f, o->fmt == GEN_FMT_CSV ? SL_FMT_CSV : SL_FMT_JSON, schema, err, sizeof err) != SL_OK)
        return cli_fail(2, "%s", err);
    o->t.ts_style = o->ts;
    o->t_init = true;
    return 0;
}

static int out_write(out_ctx *o, gen *g, const sl_batch *b, const char *path) {
    char err[SL_ERRLEN];
    if (o->fmt == GEN_FMT_PARQUET) {
        if (pq_writer_write(o->w, b, err, sizeof err) != SL_OK) return cli_fail(2, "%s", err);
        return 0;
    }
    const uint8_t *tf = gen_text_faults(g);
    sl_err e = SL_OK;
    if (!tf) {
        e = sl_textout_write(&o->t, b, err, sizeof err);
    } else {
        size_t from = 0;
        for (size_t i = 0; i < b->nrows && !e; i++) {
            if (!tf[i]) continue;
            e = sl_textout_write_rows(&o->t, b, from, i, err, sizeof err);
            if (e) break;
            o->line.len = 0;
            gen_render_text_fault(g, &o->t, b, i, &o->line);
            e = sl_textout_raw(&o->t, o->line.p ? o->line.p : "", o->line.len, err, sizeof err);
            from = i + 1;
        }
        if (!e) e = sl_textout_write_rows(&o->t, b, from, b->nrows, err, sizeof err);
    }
    if (e) return cli_fail(2, "%s: %s", path ? path : "stdout", err);
    return 0;
}

static int out_close(out_ctx *o, const char *path) {
    char err[SL_ERRLEN];
    int rc = 0;
    if (o->fmt == GEN_FMT_PARQUET) {
        if (o->w && pq_writer_close(o->w, err, sizeof err) != SL_OK) rc = cli_fail(2, "%s", err);
        o->w = NULL;
        return rc;
    }
    if (o->t_init) {
        if (sl_textout_finish(&o->t, err, sizeof err) != SL_OK) rc = cli_fail(2, "%s: %s", path ? path : "stdout", err);
        sl_textout_free(&o->t);
        o->t_init = false;
    }
    if (o->own_f && fclose(o->f) != 0 && !rc) rc = cli_fail(2, "%s: %s", path, strerror(errno));
    o->f = NULL;
    return rc;
}

static void out_abort(out_ctx *o) {
    if (o->w) pq_writer_abort(o->w);
    o->w = NULL;
    if (o->t_init) sl_textout_free(&o->t);
    o->t_init = false;
    if (o->own_f && o->f) fclose(o->f);
    o->f = NULL;
}

/* What spans options, after parsing; sets o's format and timestamp style.
 * Returns 0 or 1 (printed). */
static int check_opts(gen_opts *go, const gen_out_opts *oo, const gen_cli *gc, out_ctx *o, int argc, char **argv) {
    int nsize = 0;
    for (const char *const *n = (const char *const[]){"rows", "scale", "rate", NULL}; *n; n++)
        nsize += sl_opt_peek(k_gen_tables, argc, argv, *n) != NULL;
    if (nsize > 1) return cli_fail(1, "gen: give only one of --rows, --scale and --rate");
    if (go->scale > 0 || go->rate > 0) go->rows = 0; /* --rows keeps its default otherwise */
    if (go->bad_rows + go->repairs > 1) return cli_fail(1, "--bad-rows + --repairs must be at most 1");
    if (go->end_us <= go->start_us) return cli_fail(1, "--end must be after --start");
    o->fmt = gen_cli_format(oo->format, gc->out);
    if (!o->fmt) return cli_fail(1, "gen: cannot tell the format from '%s'; use --format parquet|csv|jsonl", gc->out);
    if (o->fmt == GEN_FMT_PARQUET && !gc->out) return cli_fail(1, "gen: Parquet output needs --out FILE");
    if (gc->files > 1 && !gc->out) return cli_fail(1, "gen: --files needs --out FILE");
    o->ts = oo->ts_format == 1 || (oo->ts_format == 0 && o->fmt == GEN_FMT_CSV) ? SL_TS_SPACE : SL_TS_ISO_Z;
    return 0;
}

static int generate(gen_opts *go, const gen_out_opts *oo, const gen_cli *gc, out_ctx *o, const char *args) {
    const char *out = gc->out, *summary = gc->summary;
    uint64_t files = (uint64_t)gc->files;
    o->wo = pq_writer_opts_default();
    o->wo.row_group_rows = oo->row_group_rows;
    o->wo.codec = cli_codec(oo->codec);
    go->text_faults = o->fmt != GEN_FMT_PARQUET;
    /* key-value metadata: what made the file (the writer adds its own name) */
    pq_kv kv[2] = {{"source", "sluice gen"}, {"sluice.gen.args", args}};
    o->wo.kv = kv;
    o->wo.n_kv = 2;

    char err[SL_ERRLEN];
    gen *g = NULL;
    sl_err e = gen_open(&g, go, err, sizeof err);
    if (e) return cli_fail(e == SL_ERR_ARG ? 1 : 2, "gen: %s", err);
    sl_batch b;
    sl_batch_init(&b);
    int rc = 0;
    if (gen_init_batch(g, &b, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
        goto done;
    }
    double t0 = sl_now_mono();
    sl_progress pg;
    sl_progress_init(&pg, sl_progress_mode_for(2, gc->quiet), (double)gc->progress_every_us / 1e6, t0);
    uint64_t planned = gen_planned_rows(g), per_file = (planned + files - 1) / files;
    sl_progress_sample(&pg, t0, 0);
    for (uint64_t k = 0; k < files && !rc; k++) {
        free(o->path);
        o->path = NULL;
        if (out) {
            o->path = files > 1 ? gen_cli_part_name(out, k) : strdup(out);
            if (!o->path) {
                rc = cli_fail(2, "out of memory");
                break;
            }
        }
        if ((rc = out_open(o, o->path, &b))) break;
        uint64_t in_file = 0;
        for (;;) {
            size_t want = oo->batch_rows;
            if (k + 1 < files && per_file - in_file < want) want = (size_t)(per_file - in_file);
            if (want == 0) break;
            long n = gen_next(g, &b, want, err, sizeof err);
            if (n < 0) {
                rc = cli_fail(2, "gen: %s", err);
                break;
            }
            if (n == 0) break;
            if ((rc = out_write(o, g, &b, o->path))) break;
            in_file += (uint64_t)n;
            /* done: base rows (--rows counts them; duplicates come on top) */
            double now = sl_now_mono();
            const gen_counts *gcn = gen_get_counts(g);
            sl_progress_sample(&pg, now, gcn->rows_out - gcn->duplicates);
            if (sl_progress_due(&pg, now)) gen_cli_progress(&pg, now, t0, gcn->rows_out - gcn->duplicates, planned);
        }
        if (rc) {
            out_abort(o);
            break;
        }
        if ((rc = out_close(o, o->path))) break;
    }
    if (!rc) { /* a log's last progress line: where it ended */
        const gen_counts *gcn = gen_get_counts(g);
        if (sl_progress_final(&pg, gcn->rows_out - gcn->duplicates))
            gen_cli_progress(&pg, sl_now_mono(), t0, gcn->rows_out - gcn->duplicates, planned);
    }
    sl_progress_end(&pg, stderr);
    if (!rc) {
        const gen_counts *c = gen_get_counts(g);
        sl_buf js;
        sl_buf_init(&js);
        gen_counts_json(g, &js);
        sl_buf_putc(&js, '\n');
        if (summary && gen_cli_summary(summary, &js, err, sizeof err) != SL_OK) rc = cli_fail(2, "%s", err);
        if (!gc->quiet) {
            double dt = sl_now_mono() - t0;
            fprintf(stderr,
                    "sluice gen: %" PRIu64 " rows (%" PRIu64 " base + %" PRIu64 " duplicates) in %.2f s; displaced %" PRIu64
                    ", bad %" PRIu64 ", repaired %" PRIu64 "; %d instances; profile: %s\n",
                    c->rows_out, c->base_rows, c->duplicates, dt, c->late, c->bad_total, c->repaired_rows, gen_num_instances(g),
                    gen_profile_desc(g));
            if (!summary && (c->bad_total || c->repaired_rows || c->late_held || c->duplicates)) {
                fputs("sluice gen: summary ", stderr);
                fwrite(js.p, 1, js.len, stderr);
            }
        }
        sl_buf_free(&js);
    }
done:
    sl_batch_free(&b);
    gen_close(g);
    return rc;
}

int cli_gen(int argc, char **argv) {
    /* --kind product-events: its own generator and options (src/gen/gen_product.c) */
    if (gen_product_requested(argc, argv)) return gen_product_cli(argc, argv);

    gen_opts go = gen_opts_default();
    gen_out_opts oo;
    gen_cli gc;
    sl_buf args; /* sluice.gen.args */
    sl_buf_init(&args);
    out_ctx o;
    memset(&o, 0, sizeof o);
    sl_buf_init(&o.line);
    sl_opt_cmd cmd = k_gen_cmd;
    cmd.objs = (void *const[]){&go, &oo, &gc};
    cmd.after = record_arg;
    cmd.ctx = &args;
    int rc = cli_parse(&cmd, argc, argv);
    if (!rc) rc = check_opts(&go, &oo, &gc, &o, argc, argv);
    if (!rc) rc = generate(&go, &oo, &gc, &o, sl_buf_cstr(&args));
    free(o.path);
    sl_buf_free(&o.line);
    sl_buf_free(&args);
    return rc == CLI_HELP ? 0 : rc;
}
