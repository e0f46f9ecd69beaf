/* sluice run: flags and a pipeline file -> the pipeline (pipeline/) ->
 * summary.  The flags are shorthands for keys of the pipeline file
 * (docs/pipeline-file.md); their help comes from the option tables of the
 * sections and plugins they set, so nothing is described twice.  See
 * docs/pipeline.md. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch/format.h"
#include "cli/cli.h"
#include "pipeline/config.h"
#include "pipeline/pipeline.h"
#include "plugins/plugin.h"
#include "replay/order.h"
#include "serve/serve.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/opt.h"
#include "util/progress.h"
#include "util/time.h"

/* A fatal error: "sluice: msg" on stderr, or with --log-format json one
 * object {"ts","level":"error","msg","phase":"error","exit":code}; returns code. */
static int run_fail(int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ------------------------------------------------------------------ the flags */

/* Options of the command itself (not of the pipeline). */
typedef struct run_cli {
    const char *config;
    const char *summary;
    bool json, quiet;
    int log_format; /* 0 text, 1 json */
    int64_t progress_every_us;
} run_cli;

static const sl_opt k_run_opts[] = {
    {.name = "config", .type = SL_OPT_T_STRING, SL_OPT_F_(run_cli, config), .arg = "FILE", .section = "the pipeline file",
     .help = "a pipeline file (YAML or JSON; docs/pipeline-file.md); the flags below override it"},
    {.name = "json", .type = SL_OPT_T_FLAG, SL_OPT_F_(run_cli, json), .def = "false", .section = "output",
     .help = "print the summary as JSON on stdout"},
    {.name = "summary", .type = SL_OPT_T_STRING, SL_OPT_F_(run_cli, summary), .arg = "FILE",
     .expect = "a file name or '-'", .help = "write the summary as JSON to FILE ('-' = stdout)"},
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(run_cli, quiet), .def = "false",
     .help = "no progress or summary line on stderr"},
    {.name = "log_format", .type = SL_OPT_T_ENUM, SL_OPT_F_(run_cli, log_format), .def = "text", .choices = "text|json",
     .arg = "F",
     .help = "the stderr log (resuming, leftovers removed, progress, the summary, a fatal error): text, or json: "
             "one object a line, {\"ts\", \"level\", \"msg\", and the message's fields}, for log collectors"},
    {.name = "progress_every", .type = SL_OPT_T_DURATION, SL_OPT_F_(run_cli, progress_every_us), .def = "10s",
     .min = 1000, .max = 9.2e18, .arg = "DUR",
     .help = "when stderr is not a terminal (Airflow, Kubernetes): a progress line this often with "
             "% done and ETA (on a terminal: one line updated in place)"},
    SL_OPT_END,
};

/* A flag that sets a key of the pipeline file. */
typedef enum { W_TOP, W_INPUTS, W_REPLAY, W_ENGINE, W_PIPELINE, W_SERVE, W_TRANSFORM, W_OUTPUT } where;

typedef struct run_flag {
    const char *flag;    /* without "--" */
    where w;
    const char *type;    /* W_TRANSFORM / W_OUTPUT: the plugin; W_TOP: the key */
    const char *key;     /* the option's name in its table */
    const char *section; /* heading in --help */
    const char *help;    /* when the option has no table entry */
} run_flag;

static const run_flag k_flags[] = {
    {"schema", W_TOP, "schema", NULL, "inputs and replay", "the schema of the events (default redset)"},
    {"source", W_INPUTS, NULL, "source", NULL, NULL},
    {"input-format", W_INPUTS, NULL, "format", NULL, "parquet, csv or jsonl for every INPUT (default: by extension)"},
    {"speed", W_REPLAY, NULL, "speed", NULL, NULL},
    {"from", W_REPLAY, NULL, "from", NULL, NULL},
    {"to", W_REPLAY, NULL, "to", NULL, NULL},
    {"memory", W_REPLAY, NULL, "memory", NULL, NULL},
    {"tmpdir", W_REPLAY, NULL, "tmpdir", NULL, NULL},
    {"force-sort", W_REPLAY, NULL, "force_sort", NULL, NULL},
    {"hot", W_OUTPUT, "sqlite", "path", "stores", NULL},
    {"retention-hours", W_OUTPUT, "sqlite", "retention_hours", NULL, NULL},
    {"hot-events-buffer", W_OUTPUT, "sqlite", "events_buffer", NULL, NULL},
    {"cold", W_OUTPUT, "parquet", "dir", NULL, NULL},
    {"cold-url", W_OUTPUT, "parquet", "url_prefix", NULL, NULL},
    {"commit-interval", W_PIPELINE, NULL, "commit_interval", NULL, NULL},
    {"serve", W_SERVE, NULL, "enabled", NULL, NULL},
    {"listen", W_SERVE, NULL, "listen", NULL, NULL},
    {"listen-any", W_SERVE, NULL, "listen_any", NULL, NULL},
    {"lateness", W_ENGINE, NULL, "lateness", "processing (docs/metrics.md)", NULL},
    {"duration-cap", W_ENGINE, NULL, "duration_cap", NULL, NULL},
    {"k", W_TRANSFORM, "redset_metrics", "k", NULL, NULL},
    {"slots", W_TRANSFORM, "redset_metrics", "slots", NULL, NULL},
    {"weights", W_TRANSFORM, "redset_metrics", "weights", NULL, NULL},
    {"threshold", W_TRANSFORM, "redset_metrics", "threshold", NULL, NULL},
};
#define N_FLAGS (sizeof k_flags / sizeof *k_flags)

static const sl_opt k_input_opt_source = {.name = "source", .type = SL_OPT_T_STRING, .arg = "LABEL",
                                          .help = "source label of the INPUT that follows (default: from the file name)"};

/* The option a flag sets (its type, arg, help, default), or NULL. */
static const sl_opt *flag_opt(const run_flag *f) {
    switch (f->w) {
    case W_REPLAY: return sl_opt_find(rp_pipeline_replay_opts_table, f->key);
    case W_ENGINE: return sl_opt_find(en_opts_table, f->key);
    case W_PIPELINE: return sl_opt_find(pl_opts_table, f->key);
    case W_SERVE: return sl_opt_find(sv_opts_table, f->key);
    case W_TRANSFORM: {
        const tr_plugin *p = reg_transform(f->type);
        return p ? sl_opt_find(p->opts, f->key) : NULL;
    }
    case W_OUTPUT: {
        const out_plugin *p = reg_output(f->type);
        return p ? sl_opt_find(p->opts, f->key) : NULL;
    }
    case W_INPUTS: return !strcmp(f->key, "source") ? &k_input_opt_source : NULL;
    default: return NULL;
    }
}

static const run_flag *find_flag(const char *name, size_t len) {
    for (size_t i = 0; i < N_FLAGS; i++)
        if (strlen(k_flags[i].flag) == len && !memcmp(k_flags[i].flag, name, len)) return &k_flags[i];
    return NULL;
}

/* The flags as one table, for --help and the reference: each entry is the
 * option the flag sets (its type, default, help) under the flag's name.
 * For documentation only: the offsets are those of the options' own
 * structs (parse_argv sets the flags through the pipeline file). */
static sl_opt k_run_doc[N_FLAGS + 1];
static const sl_opt *const k_run_tables[] = {k_run_doc, k_run_opts, NULL};
static const sl_opt_cmd k_run_cmd = {
    .name = "run",
    .tables = k_run_tables,
    .usage = "sluice run INPUT... [options]\nsluice run --config FILE [INPUT...] [options]",
    .about = "Run the pipeline: replay the events of INPUT files (Parquet, CSV, JSON Lines; a file or a glob\n"
             "like 'data/*.parquet') in event-time order (as fast as it goes; --speed N paces them on the wall\n"
             "clock); clean them, assign them to\n"
             "UTC hour windows with a watermark, compute the transforms' tables (Redset: docs/metrics.md) and\n"
             "write them into the outputs: the hot store (SQLite, provisional rows refreshed every second,\n"
             "final rows when a window closes) and the cold store (hour-partitioned Parquet, one publish per\n"
             "final hour).  Everything can also be written in a pipeline file (sluice config --example\n"
             "redset).  docs/pipeline.md, docs/pipeline-file.md",
    .notes = "Durations: a number with a unit (us, ms, s, m, h, d), units may be combined (1h30m); a bare\n"
             "number is seconds.  Ctrl-C / SIGTERM / SIGHUP stop the replay, process what is already on the bus,\n"
             "commit, and exit 130 / 143 / 129: windows still open stay provisional (final = 0) and are not\n"
             "published to the cold store.  A second signal exits at once (the hot store keeps its last\n"
             "commit).  Exit status: 0 ok, 1 bad option or pipeline file, 2 I/O error, an input that cannot be\n"
             "replayed (a binary file, required columns missing) or a runtime error.",
};

const sl_opt_cmd *cli_run_doc(void) {
    if (!k_run_doc[0].name)
        for (size_t i = 0; i < N_FLAGS; i++) {
            const run_flag *fl = &k_flags[i];
            const sl_opt *o = flag_opt(fl);
            sl_opt *d = &k_run_doc[i];
            *d = o ? *o : (sl_opt){.type = SL_OPT_T_STRING};
            d->name = fl->flag;
            d->section = fl->section;
            d->alias = NULL;
            d->flags &= ~(unsigned)(SL_OPT_FILE_ONLY | SL_OPT_REQUIRED); /* every flag is optional */
            if (d->type == SL_OPT_T_FLAG) d->def = "false";                /* (serve: enabled by its section) */
            if (fl->help) d->help = fl->help;
        }
    return &k_run_cmd;
}

/* The flags' document: every flag becomes a key of the pipeline file that
 * remembers its flag (messages name the flag). */
typedef struct argv_state {
    cf_doc *d;
    run_cli cli;
    const char *pending_source;
    const char *input_format;
    size_t ninputs;
} argv_state;

static int set_flag(argv_state *st, const run_flag *f, const char *flagname, const char *v) {
    cf_doc *d = st->d;
    cf_node *root = cf_root(d), *sec = NULL;
    switch (f->w) {
    case W_TOP: return cf_set(d, root, f->type, v, flagname) ? 0 : run_fail(2, "out of memory");
    case W_INPUTS:
        if (!strcmp(f->key, "source")) {
            if (st->pending_source)
                return run_fail(1, "run: --source '%s' is not followed by an INPUT", st->pending_source);
            if (!*v) return run_fail(1, "run: --source needs a non-empty label");
            st->pending_source = v;
        } else {
            st->input_format = v;
        }
        return 0;
    case W_REPLAY: sec = cf_add_map(d, root, "replay"); break;
    case W_ENGINE: sec = cf_add_map(d, root, "engine"); break;
    case W_PIPELINE: sec = cf_add_map(d, root, "pipeline"); break;
    case W_SERVE:
        sec = cf_add_map(d, root, "serve");
        /* --listen implies --serve */
        if (sec && !cf_set(d, sec, "enabled", "true", flagname)) return run_fail(2, "out of memory");
        break;
    case W_TRANSFORM:
    case W_OUTPUT: {
        cf_node *seq = cf_add_seq(d, root, f->w == W_OUTPUT ? "outputs" : "transforms");
        if (!seq) return run_fail(2, "out of memory");
        for (cf_node *e = seq->first; e && !sec; e = e->next) {
            cf_node *t = cf_get(e, "type");
            if (t && !strcmp(t->value, f->type)) sec = e;
        }
        if (!sec && (sec = cf_add_map(d, seq, NULL)) && !cf_set(d, sec, "type", f->type, flagname)) sec = NULL;
        break;
    }
    }
    if (!sec || !cf_set(d, sec, f->key, v, flagname)) return run_fail(2, "out of memory");
    return 0;
}

static int add_input(argv_state *st, const char *path) {
    cf_node *seq = cf_add_seq(st->d, cf_root(st->d), "inputs");
    cf_node *e = seq ? cf_add_map(st->d, seq, NULL) : NULL;
    if (!e || !cf_set(st->d, e, "path", path, path)) return run_fail(2, "out of memory");
    if (st->pending_source && !cf_set(st->d, e, "source", st->pending_source, "--source"))
        return run_fail(2, "out of memory");
    st->pending_source = NULL;
    st->ninputs++;
    return 0;
}

/* argv -> st (the flags' document and the command's own options); 0, an
 * exit code, or -1 for --help. */
static int parse_argv(int argc, char **argv, argv_state *st) {
    char err[SL_ERRLEN];
    bool flags_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!flags_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) return -1;
        if (!flags_done && !strcmp(a, "--")) {
            flags_done = true;
            continue;
        }
        if (flags_done || a[0] != '-' || a[1] != '-') {
            if (!flags_done && a[0] == '-' && a[1]) return run_fail(1, "unknown option '%s'", a);
            int rc = add_input(st, a);
            if (rc) return rc;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), a);
        char key[64]; /* --log-format is the key log_format */
        snprintf(key, sizeof key, "%s", name + 2);
        for (char *k = key; *k; k++)
            if (*k == '-') *k = '_';
        const sl_opt *own = sl_opt_find(k_run_opts, key);
        const run_flag *f = own ? NULL : find_flag(name + 2, strlen(name + 2));
        if (!own && !f) {
            const char *near = NULL;
            for (size_t k = 0; k < N_FLAGS && !near; k++) {
                sl_opt one[2] = {{.name = k_flags[k].flag}, SL_OPT_END};
                if (sl_opt_suggest(one, name + 2)) near = k_flags[k].flag;
            }
            if (!near && sl_opt_suggest(k_run_opts, key)) near = sl_opt_suggest(k_run_opts, key)->name;
            if (near) return run_fail(1, "unknown option '%s' (did you mean --%s?)", name, near);
            return run_fail(1, "unknown option '%s'", name);
        }
        const sl_opt *o = own ? own : flag_opt(f);
        bool is_flag = o && o->type == SL_OPT_T_FLAG;
        const char *v = eq ? eq + 1 : NULL;
        if (!v && !is_flag) {
            if (i + 1 >= argc) return run_fail(1, "option %s needs a value", name);
            v = argv[++i];
        }
        if (own) {
            if (sl_opt_set(own, &st->cli, v, err, sizeof err) != SL_OK) return run_fail(1, "%s %s", name, err);
            continue;
        }
        int rc = set_flag(st, f, name, v ? v : "true");
        if (rc) return rc;
    }
    if (st->pending_source) return run_fail(1, "run: --source '%s' is not followed by an INPUT", st->pending_source);
    if (st->input_format) { /* for every INPUT of the command line */
        cf_node *seq = cf_get(cf_root(st->d), "inputs");
        for (cf_node *e = seq ? seq->first : NULL; e; e = e->next)
            if (!cf_set(st->d, e, "format", st->input_format, "--input-format")) return run_fail(2, "out of memory");
    }
    return 0;
}

/* ------------------------------------------------------------------ signals */

static volatile sig_atomic_t g_signal;
static pl *volatile g_pl;

static void on_signal(int sig) {
    rp_order_cleanup_all(); /* unlink/rmdir only */
    if (g_signal) _exit(128 + sig);
    g_signal = sig;
    pl *p = g_pl;
    if (p) pl_stop(p);
}

/* ------------------------------------------------------------------ the log */

static int g_log_json;

/* One log line on stderr: text "sluice run: msg", or a JSON object
 * {"ts","level","msg", fields...}; fields is "" or JSON members without the
 * braces (",\"rows\":3"). */
static void run_log(const char *level, const char *msg, const char *fields) {
    if (!g_log_json) {
        fprintf(stderr, "sluice run: %s%s%s\n", strcmp(level, "info") ? level : "", strcmp(level, "info") ? ": " : "",
                msg);
        fflush(stderr);
        return;
    }
    sl_buf b;
    sl_buf_init(&b);
    char ts[40];
    cli_fmt_time(ts, sizeof ts, sl_now_us());
    sl_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level);
    sl_fmt_json_str(&b, msg, strlen(msg));
    sl_buf_printf(&b, "%s}\n", fields ? fields : "");
    fputs(sl_buf_cstr(&b), stderr);
    fflush(stderr);
    sl_buf_free(&b);
}

static int run_fail(int code, const char *fmt, ...) {
    char msg[SL_ERRLEN + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!g_log_json) return cli_fail(code, "%s", msg);
    char f[48];
    snprintf(f, sizeof f, ",\"phase\":\"error\",\"exit\":%d", code);
    run_log("error", msg, f);
    return code;
}

/* --log-format json anywhere before "--": fatal errors of the parse itself
 * are then JSON too (a bad option before or after it). */
static bool argv_log_json(int argc, char **argv) {
    bool json = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) break;
        if (!strcmp(a, "--log-format") || !strcmp(a, "--log_format")) {
            if (i + 1 < argc) json = !strcmp(argv[++i], "json");
        } else if (!strncmp(a, "--log-format=", 13) || !strncmp(a, "--log_format=", 13)) {
            json = !strcmp(a + 13, "json");
        }
    }
    return json;
}

/* ------------------------------------------------------------------ progress and summary */

typedef struct progress_ctx {
    sl_progress pg; /* cadence, % done and ETA (util/progress.h) */
} progress_ctx;

static void on_progress(void *ctx, const pl_progress *pg) {
    progress_ctx *pc = ctx;
    sl_progress *P = &pc->pg;
    double now = sl_now_mono();
    if (pg->planned) sl_progress_sample(P, now, pg->rows_done);
    /* the last call always prints (a log's last line says where it ended) */
    if (!sl_progress_due(P, now) && !(pg->final && sl_progress_final(P, pg->rows_done))) return;
    const en_stats *es = pg->engine;
    char at[40], wm[40], pe[64], pj[64];
    cli_fmt_time(at, sizeof at, pg->position_us);
    cli_fmt_time(wm, sizeof wm, es->watermark_us);
    sl_progress_fmt(P, now, pg->rows_done, pg->rows_total, pe, sizeof pe, pj, sizeof pj);
    if (P->mode == SL_PROGRESS_LINES) {
        /* a line every --progress-every, never carriage returns (a log file, a collector) */
        if (!pg->planned) {
            run_log("info", "planning the replay order", ",\"phase\":\"planning\"");
            return;
        }
        char msg[640], fields[640];
        snprintf(msg, sizeof msg,
                 "progress: %s%s%" PRIu64 " events, %.0f ev/s, at %s, watermark %s, lag %.1f s, open windows %" PRIu64
                 ", bad %" PRIu64 ", late %" PRIu64 ", duplicates %" PRIu64,
                 pe, *pe ? ", " : "", es->clean.rows, pg->rate, at, wm, pg->lag_s, es->open_windows, es->bad, es->late,
                 es->duplicates);
        snprintf(fields, sizeof fields,
                 ",\"phase\":\"progress\"%s,\"rows_done\":%" PRIu64 ",\"rows_total\":%" PRIu64 ",\"events\":%" PRIu64
                 ",\"events_per_s\":%.1f,\"position\":\"%s\",\"watermark\":\"%s\","
                 "\"lag_s\":%.3f,\"open_windows\":%" PRIu64 ",\"bad\":%" PRIu64 ",\"late\":%" PRIu64 ",\"duplicates\":%" PRIu64,
                 pj, pg->rows_done, pg->rows_total, es->clean.rows, pg->rate, at, wm, pg->lag_s, es->open_windows, es->bad,
                 es->late, es->duplicates);
        run_log("info", msg, fields);
        return;
    }
    if (!pg->planned) {
        fputs("\rsluice run: planning...\033[K", stderr);
        return;
    }
    fprintf(stderr,
            "\rsluice run: %s%s%" PRIu64 " events  %.0f ev/s  at %s  W %s  lag %.1f s  open %" PRIu64 "  bad %" PRIu64
            "  late %" PRIu64 "  dup %" PRIu64 "\033[K",
            pe, *pe ? "  " : "", es->clean.rows, pg->rate, at, wm, pg->lag_s, es->open_windows, es->bad, es->late,
            es->duplicates);
}

static void json_time(sl_buf *js, const char *key, int64_t us) {
    char t[40];
    if (us == INT64_MIN) {
        sl_buf_printf(js, ",\"%s\":null", key);
        return;
    }
    cli_fmt_time(t, sizeof t, us);
    sl_buf_printf(js, ",\"%s\":\"%s\"", key, t);
}

/* The location of the output named name, or NULL. */
static const char *output_at(const pl_summary *s, const char *name) {
    for (size_t i = 0; i < s->noutputs; i++)
        if (!strcmp(s->outputs[i].name, name)) return s->outputs[i].location;
    return NULL;
}

static void summary_json(sl_buf *js, const pl_summary *s, const sc_schema *sch, double speed, size_t ninputs, size_t rss,
                         int sig) {
    const en_stats *ps = &s->engine;
    uint64_t read = ps->clean.rows;
    sl_buf_printf(js, "{\"rows_read\":%" PRIu64 ",\"accepted\":%" PRIu64 ",\"bad_total\":%" PRIu64, read, ps->accepted,
                  ps->bad);
    sl_buf_puts(js, ",\"bad\":{");
    for (size_t r = 1; r < sch->nreasons; r++)
        sl_buf_printf(js, "%s\"%s\":%" PRIu64, r > 1 ? "," : "", sch->reasons[r].name, ps->clean.bad[r]);
    sl_buf_printf(js, "},\"repaired\":%" PRIu64 ",\"repairs\":{", ps->clean.repaired_rows);
    for (size_t k = 0; k < sch->nrepair; k++)
        sl_buf_printf(js, "%s\"%s\":%" PRIu64, k ? "," : "", sch->cols[sch->repair_cols[k]].name,
                      ps->clean.repaired[sch->repair_cols[k]]);
    sl_buf_printf(js,
                  "},\"bad_table_ids\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"late\":%" PRIu64
                  ",\"identity_ok\":%s,\"windows_final\":%" PRIu64 ",\"open_windows\":%" PRIu64
                  ",\"cold_hours_published\":%" PRIu64,
                  ps->clean.bad_id_tokens, ps->duplicates, ps->late,
                  read == ps->accepted + ps->bad + ps->duplicates + ps->late ? "true" : "false", ps->windows_final,
                  ps->open_windows, s->cold_hours_published);
    json_time(js, "watermark", ps->watermark_us);
    json_time(js, "position", s->position_us);
    sl_buf_printf(js, ",\"replay_rows\":%" PRIu64 ",\"strategy\":", s->replay_rows);
    if (s->planned) {
        const char *st = rp_strategy_name(s->strategy);
        sl_fmt_json_str(js, st, strlen(st));
    } else {
        sl_buf_puts(js, "null");
    }
    sl_buf_printf(js, ",\"seconds\":%.6f,\"events_per_s\":%.1f,\"peak_rss_bytes\":%zu,\"max_lag_s\":%.6f", s->seconds,
                  s->seconds > 0 ? (double)read / s->seconds : 0.0, rss, s->max_lag_s);
    if (speed <= 0) sl_buf_puts(js, ",\"speed\":\"max\"");
    else sl_buf_printf(js, ",\"speed\":%g", speed);
    sl_buf_printf(js, ",\"inputs\":%zu,\"schema\":", ninputs);
    sl_fmt_json_str(js, sch->name, strlen(sch->name));
    const char *hot = output_at(s, "hot"), *cold = output_at(s, "cold");
    sl_buf_puts(js, ",\"hot\":");
    if (hot) sl_fmt_json_str(js, hot, strlen(hot));
    else sl_buf_puts(js, "null");
    sl_buf_puts(js, ",\"cold\":");
    if (cold) sl_fmt_json_str(js, cold, strlen(cold));
    else sl_buf_puts(js, "null");
    /* each output: time on its thread (the processor only copies and queues) */
    sl_buf_puts(js, ",\"sink_seconds\":{");
    for (size_t i = 0; i < s->noutputs; i++) {
        sl_buf_printf(js, "%s", i ? "," : "");
        sl_fmt_json_str(js, s->outputs[i].name, strlen(s->outputs[i].name));
        sl_buf_printf(js, ":%.6f", s->outputs[i].busy_s);
    }
    sl_buf_puts(js, "},\"outputs\":[");
    for (size_t i = 0; i < s->noutputs; i++) {
        const pl_output_summary *o = &s->outputs[i];
        sl_buf_puts(js, i ? ",{\"name\":" : "{\"name\":");
        sl_fmt_json_str(js, o->name, strlen(o->name));
        sl_buf_puts(js, ",\"type\":");
        sl_fmt_json_str(js, o->plugin, strlen(o->plugin));
        sl_buf_puts(js, ",\"location\":");
        if (o->location) sl_fmt_json_str(js, o->location, strlen(o->location));
        else sl_buf_puts(js, "null");
        sl_buf_putc(js, '}');
    }
    sl_buf_printf(js, "],\"interrupted\":%s,\"signal\":", sig ? "true" : "false");
    if (sig == SIGINT) sl_buf_puts(js, "\"SIGINT\"");
    else if (sig == SIGTERM) sl_buf_puts(js, "\"SIGTERM\"");
    else if (sig == SIGHUP) sl_buf_puts(js, "\"SIGHUP\"");
    else sl_buf_puts(js, "null");
    sl_buf_printf(js,
                  ",\"leftovers_removed\":{\"files\":%" PRIu64 ",\"spill_dirs\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
                  s->leftovers.files, s->leftovers.dirs, s->leftovers.bytes);
    sl_buf_printf(js, ",\"resumed_rows\":%" PRIu64 ",\"resume_unread_rows\":%" PRIu64, s->resumed_rows,
                  s->resume_unread_rows);
    sl_buf_printf(js, ",\"failed\":%s}\n", s->failed ? "true" : "false");
}

static int write_summary(const pl_summary *s, const sc_schema *sch, const pl_config *cfg, const run_cli *cli, int sig) {
    int rc = 0;
    size_t rss = cli_peak_rss();
    if (cli->summary || cli->json) {
        sl_buf js;
        sl_buf_init(&js);
        summary_json(&js, s, sch, cfg->replay.speed, cfg->ninputs, rss, sig);
        if (js.oom) {
            sl_buf_free(&js);
            return run_fail(2, "out of memory");
        }
        if (cli->json || (cli->summary && !strcmp(cli->summary, "-"))) {
            if (fwrite(js.p, 1, js.len, stdout) != js.len || fflush(stdout) != 0) rc = run_fail(2, "stdout: write failed");
        }
        if (cli->summary && strcmp(cli->summary, "-")) {
            FILE *sf = fopen(cli->summary, "wb");
            if (!sf) {
                rc = run_fail(2, "--summary %s: %s", cli->summary, strerror(errno));
            } else {
                bool ok = fwrite(js.p, 1, js.len, sf) == js.len;
                ok = fclose(sf) == 0 && ok;
                if (!ok) rc = run_fail(2, "--summary %s: write failed", cli->summary);
            }
        }
        sl_buf_free(&js);
    }
    if (!cli->quiet) {
        const en_stats *ps = &s->engine;
        char wm[40];
        cli_fmt_time(wm, sizeof wm, ps->watermark_us);
        const char *pre = sig ? "interrupted" : s->failed ? "failed" : "done";
        sl_buf outs, m;
        sl_buf_init(&outs);
        sl_buf_init(&m);
        for (size_t i = 0; i < s->noutputs; i++)
            sl_buf_printf(&outs, "%s%s %s", i ? ", " : "", s->outputs[i].name,
                          s->outputs[i].location ? s->outputs[i].location : "");
        if (!s->planned) {
            sl_buf_printf(&m, "%s: nothing replayed (%s after %.2f s); %s", pre,
                          sig ? "stopped while planning the order" : "the replay could not start", s->seconds,
                          sl_buf_cstr(&outs));
        } else if (g_log_json) {
            sl_buf_printf(&m, "%s: %" PRIu64 " rows read, %" PRIu64 " accepted", pre, ps->clean.rows, ps->accepted);
        } else {
            /* a readable block: one fact a line */
            sl_buf_printf(&m,
                          "%s\n  rows read    %" PRIu64 ": %" PRIu64 " accepted (%" PRIu64 " repaired), %" PRIu64
                          " bad, %" PRIu64 " duplicates, %" PRIu64 " late\n  windows      %" PRIu64 " final, %" PRIu64
                          " open%s\n  watermark    %s\n  time         %.2f s (%.0f events/s, %s)\n  peak RSS     %.1f MB\n"
                          "  outputs      %s",
                          pre, ps->clean.rows, ps->accepted, ps->clean.repaired_rows, ps->bad, ps->duplicates, ps->late,
                          ps->windows_final, ps->open_windows, ps->open_windows ? " (provisional)" : "", wm, s->seconds,
                          s->seconds > 0 ? (double)ps->clean.rows / s->seconds : 0.0, rp_strategy_name(s->strategy),
                          (double)rss / 1048576.0, sl_buf_cstr(&outs));
        }
        sl_buf fields;
        sl_buf_init(&fields);
        if (g_log_json) { /* the summary object's members (as --summary writes them) */
            sl_buf js;
            sl_buf_init(&js);
            summary_json(&js, s, sch, cfg->replay.speed, cfg->ninputs, rss, sig);
            sl_buf_puts(&fields, ",\"phase\":\"summary\",");
            if (js.len > 3) sl_buf_put(&fields, js.p + 1, js.len - 3); /* without '{' and "}\n" */
            sl_buf_free(&js);
        }
        run_log(sig || s->failed ? "warning" : "info", sl_buf_cstr(&m), sl_buf_cstr(&fields));
        sl_buf_free(&fields);
        sl_buf_free(&m);
        sl_buf_free(&outs);
    }
    return rc;
}

/* ------------------------------------------------------------------ command */

static int exit_code(sl_err e) { return e == SL_ERR_ARG || e == SL_ERR_NOTFOUND ? 1 : 2; }

int cli_run(int argc, char **argv) {
    argv_state st;
    memset(&st, 0, sizeof st);
    char err[SL_ERRLEN];
    cf_doc *doc = NULL;
    pl_conf *conf = NULL;
    pl *p = NULL;
    sv_server *srv = NULL;
    struct sigaction sa, old_int, old_term, old_hup;
    bool handlers = false, failed = false;
    int rc = 0;
    g_log_json = argv_log_json(argc, argv);
    if (cf_new(&st.d, "command line", err, sizeof err) != SL_OK || sl_opt_defaults(k_run_opts, &st.cli, err, sizeof err))
        return run_fail(2, "%s", err);
    rc = parse_argv(argc, argv, &st);
    if (rc == -1) {
        cf_free(st.d);
        return cli_usage(cli_run_doc(), stdout);
    }
    if (rc) goto out;
    /* the pipeline file, then the flags over it */
    sl_err e = st.cli.config ? cf_load_file(&doc, st.cli.config, err, sizeof err) : cf_new(&doc, "command line", err, sizeof err);
    if (e == SL_OK) e = pl_conf_merge_flags(doc, st.d, err, sizeof err);
    if (e == SL_OK && !cf_get(cf_root(doc), "inputs")) {
        rc = run_fail(1, "run: no INPUT given (see sluice run --help)");
        goto out;
    }
    if (e == SL_OK) e = pl_conf_load(&conf, doc, err, sizeof err);
    if (e != SL_OK) {
        rc = run_fail(exit_code(e), "run: %s", err);
        goto out;
    }
    const pl_config *cfg = pl_conf_get(conf);
    const sv_opts *so = pl_conf_serve(conf);
    pl_config c = *cfg;
    c.replay.formats = reg_inputs();
    g_log_json = st.cli.log_format == 1;
    /* JSON logs are for collectors: a line every --progress-every, never the in-place line */
    sl_progress_mode pmode = sl_progress_mode_for(2, st.cli.quiet);
    if (pmode == SL_PROGRESS_TTY && g_log_json) pmode = SL_PROGRESS_LINES;
    bool tty = pmode == SL_PROGRESS_TTY;
    progress_ctx pctx;
    sl_progress_init(&pctx.pg, pmode, (double)st.cli.progress_every_us / 1e6, sl_now_mono());
    if (!st.cli.quiet) {
        c.on_progress = on_progress;
        c.progress_ctx = &pctx;
    }

    /* The listen address before anything is created (the hot store file). */
    if (so->enabled && (e = sv_check_listen(so, err, sizeof err)) != SL_OK) {
        rc = run_fail(exit_code(e), "run: --serve: %s", err);
        goto out;
    }
    /* Outputs first: a bad path fails before any planning work. */
    if ((e = pl_open(&p, &c, err, sizeof err)) != SL_OK) {
        rc = run_fail(exit_code(e), "run: %s", err);
        goto out;
    }
    if (!st.cli.quiet) {
        pl_summary sm0;
        pl_get_summary(p, &sm0);
        if (sm0.resumed_rows) {
            char t[40] = "the start";
            if (sm0.resume_from_us != INT64_MIN) sl_fmt_time(t, sizeof t, sm0.resume_from_us, SL_TIME_ISO);
            char msg[512], f[160];
            snprintf(msg, sizeof msg,
                     "resuming this run's checkpoint: its first %" PRIu64
                     " rows are committed; the replay starts again at %s (the first hour still open): rows before it "
                     "are not processed again, and not read again where the input's order allows seeking",
                     sm0.resumed_rows, t);
            snprintf(f, sizeof f, ",\"phase\":\"resume\",\"resumed_rows\":%" PRIu64 ",\"resume_from\":\"%s\"",
                     sm0.resumed_rows, t);
            run_log("info", msg, f);
        }
        if (sm0.resume_ignored)
            run_log("warning",
                    "this run's checkpoint is of other options (lateness, transform options, batch size): starting over",
                    ",\"phase\":\"resume\"");
        if (sm0.leftovers.files || sm0.leftovers.dirs)
        {
            char msg[256], f[200];
            snprintf(msg, sizeof msg,
                     "removed what dead runs left: %" PRIu64 " temporary files, %" PRIu64 " spill directories (%.1f MB)",
                     sm0.leftovers.files, sm0.leftovers.dirs, (double)sm0.leftovers.bytes / 1e6);
            snprintf(f, sizeof f,
                     ",\"phase\":\"leftovers\",\"files\":%" PRIu64 ",\"spill_dirs\":%" PRIu64 ",\"bytes\":%" PRIu64,
                     sm0.leftovers.files, sm0.leftovers.dirs, sm0.leftovers.bytes);
            run_log("info", msg, f);
        }
    }
    if (so->enabled) {
        sv_opts vo = *so;
        const char *hot = NULL, *cold = NULL;
        for (size_t i = 0; i < c.noutputs; i++) {
            out_desc d;
            memset(&d, 0, sizeof d);
            c.outputs[i].p->describe(c.outputs[i].opts, &d);
            if ((d.caps & OUT_HEALTH) && !hot) hot = d.location;
            if ((d.caps & OUT_HISTORY) && !cold) cold = d.location;
        }
        if (!hot) {
            rc = run_fail(1, "run: --serve needs a hot store (an sqlite output) to serve");
            goto out;
        }
        vo.hot_path = hot;
        vo.cold_dir = cold;
        vo.quiet = true; /* no request log: it would tear the progress line */
        if ((e = sv_start(&srv, &vo, err, sizeof err)) != SL_OK) {
            rc = run_fail(exit_code(e), "run: --serve: %s", err);
            goto out;
        }
        {
            char msg[300], f[300];
            snprintf(msg, sizeof msg, "dashboard and API at %s", sv_url(srv));
            snprintf(f, sizeof f, ",\"phase\":\"serve\",\"url\":\"%s\"", sv_url(srv));
            run_log("info", msg, f);
        }
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_signal = 0;
    g_pl = p;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    handlers = true;

    e = pl_run(p, err, sizeof err);
    if (tty) fputs("\r\033[K", stderr);
    if (e != SL_OK) {
        rc = run_fail(exit_code(e), "run: %s", err);
        failed = true;
    }
    {
        pl_summary sm;
        pl_get_summary(p, &sm);
        int src = write_summary(&sm, c.schema, &c, &st.cli, g_signal);
        if (!rc) rc = src;
    }
    if (srv && !g_signal && !failed) {
        /* the run is over; the results stay on view until Ctrl-C / SIGTERM */
        {
            char msg[300], f[300];
            snprintf(msg, sizeof msg, "done; still serving %s (Ctrl-C to stop)", sv_url(srv));
            snprintf(f, sizeof f, ",\"phase\":\"serve\",\"url\":\"%s\"", sv_url(srv));
            run_log("info", msg, f);
        }
        while (!g_signal) {
            struct timespec ts = {0, 200 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        g_signal = 0; /* a stop of the server after a complete run: exit 0 */
    }

out:
    sv_stop(srv);
    g_pl = NULL;
    if (p) {
        char e2[SL_ERRLEN];
        if (pl_close(p, e2, sizeof e2) != SL_OK && !rc) rc = run_fail(2, "run: %s", e2);
    }
    pl_conf_free(conf);
    cf_free(doc);
    cf_free(st.d);
    int sig = g_signal;
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
    }
    if (sig && !failed) return 128 + sig;
    return rc;
}
