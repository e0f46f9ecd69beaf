/* sluice gen: deterministic Redset-shaped event data (see docs/gen.md). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch/format.h"
#include "cli/cli.h"
#include "gen/gen.h"
#include "gen/gen_product.h"
#include "parquet/writer.h"
#include "sink/textout.h"
#include "util/time.h"

static int usage(FILE *f) {
    fputs("usage: sluice gen [--rows N | --scale F | --rate R] [--out FILE] [options]\n"
          "  Generate Redset-shaped query events (the 24 Redset columns with their real\n"
          "  physical types).  Same seed + same options => byte-identical output.\n"
          "\n"
          "size and shape:\n"
          "  --rows N              exactly N rows before duplicates (default 1000000)\n"
          "  --scale F             F x the real number of queries of the chosen instances and hours\n"
          "                        (1.0 = real volume: 8.2M serverless, 433M provisioned for 200 instances)\n"
          "  --rate R              R events per hour on average, whole fleet (rows = R x hours)\n"
          "  --seed N              random seed (default 1)\n"
          "  --kind K              serverless (default; cluster_size NULL) or provisioned\n"
          "                        (or product-events: Segment-style JSON Lines, own options:\n"
          "                        sluice gen --kind product-events --help)\n"
          "  --instances N         number of instances (default 200)\n"
          "  --start DATE          first hour, UTC (default 2024-03-01); DATE is YYYY-MM-DD[THH[:MM[:SS]]]\n"
          "  --end DATE            end, exclusive (default 2024-05-31)\n"
          "  --profile FILE|none   hourly profile Parquet (instance_id, timestamp, query_count); default\n"
          "                        $SLUICE_SHARED or ../shared /data/redset/hourly_by_instance_KIND.parquet\n"
          "                        when present, else built-in approximations; 'none' forces built-in\n"
          "  --order O             sorted (by arrival_timestamp, default), runs (one arrival-ordered run\n"
          "                        per instance, like full.parquet) or shuffled (like the sample files)\n"
          "\n"
          "faults (every one is counted in the summary):\n"
          "  --late F              fraction of rows emitted out of order (held back)\n"
          "  --max-displacement D  how far in event time a late row is held back, at most (default 30m;\n"
          "                        units us, ms, s, m, h, d)\n"
          "  --duplicates F        fraction of rows emitted a second time later in the same hour\n"
          "  --bad-rows F          fraction of bad rows, spread evenly over the 17 bad-row kinds\n"
          "  --repairs F           fraction of rows with a repairable defect (NULL durations, odd\n"
          "                        flags, mixed-case query_type, odd or invalid table-id tokens, ...)\n"
          "\n"
          "output:\n"
          "  --out FILE            output file (default: stdout, JSON Lines)\n"
          "  --files K             split into K files FILE-00000.EXT ... (rows spread evenly)\n"
          "  --format F            parquet, csv or jsonl (default from the extension of --out)\n"
          "  --codec C             parquet codec: zstd (default), snappy, gzip, brotli, lz4_raw, none\n"
          "  --row-group-rows N    parquet rows per row group (default 1048576)\n"
          "  --ts-format T         csv/jsonl timestamps: space ('2024-03-01 05:00:00.000000', default\n"
          "                        for csv) or iso ('2024-03-01T05:00:00.000000Z', default for jsonl)\n"
          "  --batch-rows N        rows per generated batch (default 65536)\n"
          "  --summary FILE        also write the counts as JSON to FILE ('-' = stdout)\n"
          "  --quiet               no summary line on stderr\n"
          "\n"
          "Exit status: 0 ok, 1 bad option, 2 I/O or runtime error.\n",
          f);
    return f == stderr ? 1 : 0;
}

static int parse_u64(const char *opt, const char *v, uint64_t *out) {
    char *end;
    errno = 0;
    if (!v || !*v || *v == '-') return cli_fail(1, "%s needs a non-negative integer, got '%s'", opt, v ? v : "");
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end) return cli_fail(1, "%s needs a non-negative integer, got '%s'", opt, v);
    *out = x;
    return 0;
}

static int parse_frac(const char *opt, const char *v, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= 0 && x <= 1)) return cli_fail(1, "%s needs a fraction in [0, 1], got '%s'", opt, v);
    *out = x;
    return 0;
}

static int parse_pos(const char *opt, const char *v, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x > 0) || !isfinite(x)) return cli_fail(1, "%s needs a positive number, got '%s'", opt, v);
    *out = x;
    return 0;
}

typedef enum { FMT_NONE, FMT_PARQUET, FMT_CSV, FMT_JSONL } out_fmt;

static const char *ext_of(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return dot && (!slash || dot > slash) ? dot : NULL;
}

static char *part_name(const char *path, int k) {
    const char *ext = ext_of(path);
    size_t base = ext ? (size_t)(ext - path) : strlen(path);
    size_t n = strlen(path) + 16;
    char *s = malloc(n);
    if (!s) return NULL;
    snprintf(s, n, "%.*s-%05d%s", (int)base, path, k, ext ? ext : "");
    return s;
}

typedef struct out_ctx {
    out_fmt fmt;
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
    if (o->fmt == FMT_PARQUET) {
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
    if (sl_textout_init(&o->t, o->f, o->fmt == FMT_CSV ? SL_FMT_CSV : SL_FMT_JSON, schema, err, sizeof err) != SL_OK)
        return cli_fail(2, "%s", err);
    o->t.ts_style = o->ts;
    o->t_init = true;
    return 0;
}

static int out_write(out_ctx *o, gen *g, const sl_batch *b, const char *path) {
    char err[SL_ERRLEN];
    if (o->fmt == FMT_PARQUET) {
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
    if (o->fmt == FMT_PARQUET) {
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

int cli_gen(int argc, char **argv) {
    /* --kind product-events: its own generator and options (src/gen/gen_product.c) */
    if (gen_product_requested(argc, argv)) return gen_product_cli(argc, argv);

    gen_opts go = gen_opts_default();
    const char *out = NULL, *format = NULL, *codec = "zstd", *summary = NULL, *tsfmt = NULL;
    uint64_t files = 1, batch_rows = 65536, rg_rows = 0;
    bool quiet = false;
    int nsize = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        char name[64];
        const char *eq = strchr(a, '=');
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            quiet = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) return cli_fail(1, "gen: unexpected argument '%s' (see sluice gen --help)", a);
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            v = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
            if (i + 1 >= argc) return cli_fail(1, "gen: option %s needs a value", a);
            v = argv[++i];
        }
        int rc = 0;
        if (!strcmp(name, "--rows")) {
            rc = parse_u64(name, v, &go.rows);
            if (!rc && go.rows == 0) rc = cli_fail(1, "--rows must be at least 1");
            nsize++;
        } else if (!strcmp(name, "--scale")) {
            rc = parse_pos(name, v, &go.scale);
            nsize++;
        } else if (!strcmp(name, "--rate")) {
            rc = parse_pos(name, v, &go.rate);
            nsize++;
        } else if (!strcmp(name, "--seed")) {
            rc = parse_u64(name, v, &go.seed);
        } else if (!strcmp(name, "--kind")) {
            if (!strcmp(v, "serverless")) go.kind = GEN_SERVERLESS;
            else if (!strcmp(v, "provisioned")) go.kind = GEN_PROVISIONED;
            else rc = cli_fail(1, "--kind must be serverless, provisioned or product-events, got '%s'", v);
        } else if (!strcmp(name, "--instances")) {
            uint64_t n;
            rc = parse_u64(name, v, &n);
            if (!rc && (n < 1 || n > 100000)) rc = cli_fail(1, "--instances must be in 1..100000, got '%s'", v);
            go.instances = (int)n;
        } else if (!strcmp(name, "--start") || !strcmp(name, "--end")) {
            int64_t t;
            if (sl_parse_time(v, strlen(v), &t, NULL) != SL_OK)
                rc = cli_fail(1, "%s needs a UTC date YYYY-MM-DD[THH[:MM[:SS]]], got '%s'", name, v);
            else if (name[2] == 's') go.start_us = t;
            else go.end_us = t;
        } else if (!strcmp(name, "--profile")) {
            go.profile = v;
        } else if (!strcmp(name, "--order")) {
            if (!strcmp(v, "sorted")) go.order = GEN_ORDER_SORTED;
            else if (!strcmp(v, "runs")) go.order = GEN_ORDER_RUNS;
            else if (!strcmp(v, "shuffled")) go.order = GEN_ORDER_SHUFFLED;
            else rc = cli_fail(1, "--order must be sorted, runs or shuffled, got '%s'", v);
        } else if (!strcmp(name, "--late")) {
            rc = parse_frac(name, v, &go.late);
        } else if (!strcmp(name, "--max-displacement")) {
            if (sl_parse_duration(v, &go.max_disp_us) != SL_OK || go.max_disp_us <= 0)
                rc = cli_fail(1, "--max-displacement needs a positive duration like 90s, 10m, 2h, got '%s'", v);
        } else if (!strcmp(name, "--duplicates")) {
            rc = parse_frac(name, v, &go.duplicates);
        } else if (!strcmp(name, "--bad-rows")) {
            rc = parse_frac(name, v, &go.bad_rows);
        } else if (!strcmp(name, "--repairs")) {
            rc = parse_frac(name, v, &go.repairs);
        } else if (!strcmp(name, "--out") || !strcmp(name, "-o")) {
            out = v;
        } else if (!strcmp(name, "--files")) {
            rc = parse_u64(name, v, &files);
            if (!rc && (files < 1 || files > 99999)) rc = cli_fail(1, "--files must be in 1..99999, got '%s'", v);
        } else if (!strcmp(name, "--format")) {
            format = v;
        } else if (!strcmp(name, "--codec")) {
            codec = v;
        } else if (!strcmp(name, "--row-group-rows")) {
            rc = parse_u64(name, v, &rg_rows);
            if (!rc && rg_rows < 1) rc = cli_fail(1, "--row-group-rows must be at least 1");
        } else if (!strcmp(name, "--ts-format")) {
            tsfmt = v;
        } else if (!strcmp(name, "--batch-rows")) {
            rc = parse_u64(name, v, &batch_rows);
            if (!rc && (batch_rows < 1 || batch_rows > 16 * 1024 * 1024))
                rc = cli_fail(1, "--batch-rows must be in 1..16777216, got '%s'", v);
        } else if (!strcmp(name, "--summary")) {
            summary = v;
        } else {
            return cli_fail(1, "gen: unknown option '%s' (see sluice gen --help)", a);
        }
        if (rc) return rc;
    }
    if (nsize > 1) return cli_fail(1, "gen: give only one of --rows, --scale and --rate");
    if (go.bad_rows + go.repairs > 1) return cli_fail(1, "--bad-rows + --repairs must be at most 1");
    if (go.end_us <= go.start_us) return cli_fail(1, "--end must be after --start");

    out_ctx o;
    memset(&o, 0, sizeof o);
    sl_buf_init(&o.line);
    if (format) {
        if (!strcmp(format, "parquet")) o.fmt = FMT_PARQUET;
        else if (!strcmp(format, "csv")) o.fmt = FMT_CSV;
        else if (!strcmp(format, "jsonl") || !strcmp(format, "json") || !strcmp(format, "ndjson")) o.fmt = FMT_JSONL;
        else return cli_fail(1, "--format must be parquet, csv or jsonl, got '%s'", format);
    } else if (!out) {
        o.fmt = FMT_JSONL;
    } else {
        const char *ext = ext_of(out);
        if (ext && !strcmp(ext, ".parquet")) o.fmt = FMT_PARQUET;
        else if (ext && !strcmp(ext, ".csv")) o.fmt = FMT_CSV;
        else if (ext && (!strcmp(ext, ".jsonl") || !strcmp(ext, ".json") || !strcmp(ext, ".ndjson"))) o.fmt = FMT_JSONL;
        else return cli_fail(1, "gen: cannot tell the format from '%s'; use --format parquet|csv|jsonl", out);
    }
    if (o.fmt == FMT_PARQUET && !out) return cli_fail(1, "gen: Parquet output needs --out FILE");
    if (files > 1 && !out) return cli_fail(1, "gen: --files needs --out FILE");
    o.ts = o.fmt == FMT_CSV ? SL_TS_SPACE : SL_TS_ISO_Z;
    if (tsfmt) {
        if (!strcmp(tsfmt, "space")) o.ts = SL_TS_SPACE;
        else if (!strcmp(tsfmt, "iso")) o.ts = SL_TS_ISO_Z;
        else return cli_fail(1, "--ts-format must be space or iso, got '%s'", tsfmt);
    }
    o.wo = pq_writer_opts_default();
    if (rg_rows) o.wo.row_group_rows = rg_rows;
    if (!strcmp(codec, "zstd")) o.wo.codec = PQ_CODEC_ZSTD;
    else if (!strcmp(codec, "snappy")) o.wo.codec = PQ_CODEC_SNAPPY;
    else if (!strcmp(codec, "gzip")) o.wo.codec = PQ_CODEC_GZIP;
    else if (!strcmp(codec, "brotli")) o.wo.codec = PQ_CODEC_BROTLI;
    else if (!strcmp(codec, "lz4_raw") || !strcmp(codec, "lz4")) o.wo.codec = PQ_CODEC_LZ4_RAW;
    else if (!strcmp(codec, "none") || !strcmp(codec, "uncompressed")) o.wo.codec = PQ_CODEC_UNCOMPRESSED;
    else return cli_fail(1, "--codec must be zstd, snappy, gzip, brotli, lz4_raw or none, got '%s'", codec);
    go.text_faults = o.fmt != FMT_PARQUET;
    /* key-value metadata: what made the file (the writer adds its own name) */
    static char args[1024];
    size_t al = 0;
    args[0] = '\0';
    for (int i = 0; i < argc && al + 2 < sizeof args; i++) {
        /* the output name is not part of what was generated: leave it out so
         * the same options give byte-identical files under any name */
        if (!strcmp(argv[i], "--out") || !strcmp(argv[i], "--summary")) {
            i++;
            continue;
        }
        if (!strncmp(argv[i], "--out=", 6) || !strncmp(argv[i], "--summary=", 10)) continue;
        int n = snprintf(args + al, sizeof args - al, "%s%s", al ? " " : "", argv[i]);
        if (n < 0) break;
        al += (size_t)n < sizeof args - al ? (size_t)n : sizeof args - al - 1;
    }
    pq_kv kv[2] = {{"source", "sluice gen"}, {"sluice.gen.args", args}};
    o.wo.kv = kv;
    o.wo.n_kv = 2;

    char err[SL_ERRLEN];
    gen *g = NULL;
    sl_err e = gen_open(&g, &go, err, sizeof err);
    if (e) return cli_fail(e == SL_ERR_ARG ? 1 : 2, "gen: %s", err);
    sl_batch b;
    sl_batch_init(&b);
    int rc = 0;
    if (gen_init_batch(g, &b, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
        goto done;
    }
    bool tty = isatty(2) && !quiet;
    double t0 = sl_now_mono(), last = t0;
    uint64_t planned = gen_planned_rows(g), per_file = (planned + files - 1) / files;
    for (uint64_t k = 0; k < files && !rc; k++) {
        free(o.path);
        o.path = NULL;
        if (out) {
            o.path = files > 1 ? part_name(out, (int)k) : strdup(out);
            if (!o.path) {
                rc = cli_fail(2, "out of memory");
                break;
            }
        }
        if ((rc = out_open(&o, o.path, &b))) break;
        uint64_t in_file = 0;
        for (;;) {
            size_t want = (size_t)batch_rows;
            if (k + 1 < files && per_file - in_file < want) want = (size_t)(per_file - in_file);
            if (want == 0) break;
            long n = gen_next(g, &b, want, err, sizeof err);
            if (n < 0) {
                rc = cli_fail(2, "gen: %s", err);
                break;
            }
            if (n == 0) break;
            if ((rc = out_write(&o, g, &b, o.path))) break;
            in_file += (uint64_t)n;
            if (tty) {
                double now = sl_now_mono();
                if (now - last > 0.25) {
                    last = now;
                    uint64_t done_rows = gen_get_counts(g)->rows_out;
                    fprintf(stderr, "\rsluice gen: %" PRIu64 " / %" PRIu64 " rows (%.1f%%)  ", done_rows, planned,
                            100.0 * (double)done_rows / (double)(planned ? planned : 1));
                }
            }
        }
        if (rc) {
            out_abort(&o);
            break;
        }
        if ((rc = out_close(&o, o.path))) break;
    }
    if (tty) fputs("\r\033[K", stderr);
    if (!rc) {
        const gen_counts *c = gen_get_counts(g);
        sl_buf js;
        sl_buf_init(&js);
        gen_counts_json(g, &js);
        sl_buf_putc(&js, '\n');
        if (summary) {
            FILE *sf = !strcmp(summary, "-") ? stdout : fopen(summary, "wb");
            if (!sf) rc = cli_fail(2, "%s: %s", summary, strerror(errno));
            else {
                bool ok = fwrite(js.p, 1, js.len, sf) == js.len;
                if (sf != stdout) ok = fclose(sf) == 0 && ok;
                else ok = fflush(sf) == 0 && ok;
                if (!ok) rc = cli_fail(2, "%s: write failed", summary);
            }
        }
        if (!quiet) {
            double dt = sl_now_mono() - t0;
            fprintf(stderr,
                    "sluice gen: %" PRIu64 " rows (%" PRIu64 " base + %" PRIu64 " duplicates) in %.2f s; late %" PRIu64
                    ", bad %" PRIu64 ", repaired %" PRIu64 "; %s\n",
                    c->rows_out, c->base_rows, c->duplicates, dt, c->late, c->bad_total, c->repaired_rows,
                    gen_profile_desc(g));
            if (!summary && (c->bad_total || c->repaired_rows || c->late_held || c->duplicates)) {
                fputs("sluice gen: summary ", stderr);
                fwrite(js.p, 1, js.len, stderr);
            }
        }
        sl_buf_free(&js);
    }
done:
    free(o.path);
    sl_buf_free(&o.line);
    sl_batch_free(&b);
    gen_close(g);
    return rc;
}
