/* sluice replay: events of one or more files in event-time order, paced on
 * the wall clock, as JSON Lines or CSV (see docs/replay.md). */
#define _GNU_SOURCE /* fopencookie: the text sink writes through an atomic sl_target */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch/format.h"
#include "io/target.h"
#include "cli/cli.h"
#include "cli/inputs.h"
#include "plugins/plugin.h"
#include "util/opt.h"
#include "util/progress.h"
#include "replay/pace.h"
#include "replay/replay.h"
#include "sink/textout.h"

typedef struct replay_cli {
    const char *source, *input_format, *schema, *out, *summary;
    int format; /* 0 jsonl, 1 csv (2, 3: json, ndjson = jsonl) */
    bool discard, quiet;
    int64_t progress_every_us;
    cli_inputs *in;
} replay_cli;

static const sl_opt k_replay_cli[] = {
    {.name = "source", .type = SL_OPT_T_STRING, SL_OPT_F_(replay_cli, source), .arg = "LABEL", .section = "inputs",
     .help = "source label of the INPUT that follows (all files of its glob); default: derived from\nthe file name "
             "(several part files of one fleet share a label)"},
    {.name = "input_format", .type = SL_OPT_T_STRING, SL_OPT_F_(replay_cli, input_format), .arg = "F",
     .help = "parquet, csv or jsonl for every input (default: by extension, else by content)"},
    {.name = "schema", .type = SL_OPT_T_STRING, SL_OPT_F_(replay_cli, schema), .def = "redset", .arg = "NAME",
     .help = "the columns of the events"},
    {.name = "format", .type = SL_OPT_T_ENUM, SL_OPT_F_(replay_cli, format), .def = "jsonl", .choices = "jsonl|csv|json|ndjson",
     .expect = "jsonl or csv", .arg = "F", .section = "output", .help = "jsonl or csv (default jsonl)"},
    {.name = "out", .type = SL_OPT_T_STRING, SL_OPT_F_(replay_cli, out), .alias = "-o", .arg = "FILE",
     .expect = "a file name", .help = "output file (default stdout), written under a temporary name and renamed into place on\nsuccess; /dev/null is recognised as --discard"},
    {.name = "discard", .type = SL_OPT_T_FLAG, SL_OPT_F_(replay_cli, discard), .def = "false",
     .help = "count the rows, write nothing (no formatting; for benchmarks)"},
    {.name = "summary", .type = SL_OPT_T_STRING, SL_OPT_F_(replay_cli, summary), .arg = "FILE",
     .help = "also write the summary as JSON to FILE ('-' = stdout)"},
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(replay_cli, quiet), .def = "false", .alias = "-q",
     .help = "no progress or summary line on stderr"},
    {.name = "progress_every", .type = SL_OPT_T_DURATION, SL_OPT_F_(replay_cli, progress_every_us), .def = "10s",
     .min = 1000, .max = 9.2e18, .arg = "DUR",
     .help = "when stderr is not a terminal (Airflow, Kubernetes): a progress line this often with "
             "% done and ETA (on a terminal: one line updated in place)"},
    SL_OPT_END,
};

static const sl_opt *const k_replay_tables[] = {k_replay_cli, rp_replay_opts_table, NULL};
static const char *const k_replay_titles[] = {NULL, "order, range and pacing"};
static const sl_opt_cmd k_replay_cmd = {
    .name = "replay",
    .tables = k_replay_tables,
    .titles = k_replay_titles,
    .usage = "sluice replay INPUT... [options]",
    .about = "Replay the events of INPUT files (Parquet, CSV, JSON Lines) in event-time order (Redset:\n"
             "arrival_timestamp, source, instance_id, query_id), paced on the wall clock, as JSON Lines or CSV\n"
             "of the canonical columns (docs/replay.md).  An INPUT is a file or a glob ('data/*.parquet',\n"
             "sorted); a glob matching nothing is an error.",
    .notes = "Ctrl-C / SIGTERM stop cleanly (exit 130 / 143: output flushed, temporary files removed);\n"
             "a second Ctrl-C exits at once.  Writing into a closed pipe (| head) ends the replay\n"
             "normally.  Exit status: 0 ok, 1 bad option, 2 I/O error, an input that cannot be replayed\n"
             "(a binary file, required columns missing) or a runtime error.",
};
const sl_opt_cmd *cli_replay_doc(void) { return &k_replay_cmd; }

/* ------------------------------------------------------------------ signals */

static volatile sig_atomic_t g_signal;
static rp_replay *volatile g_replay; /* set once open; rp_replay_stop is async-signal-safe */
static const char *volatile g_out_tmp; /* --out's temporary file while it is written */

static void on_signal(int sig) {
    rp_order_cleanup_all(); /* unlink/rmdir only */
    if (g_signal) {
        const char *tmp = g_out_tmp;
        if (tmp) unlink(tmp); /* a second signal: never leave the half output behind */
        _exit(128 + sig);
    }
    g_signal = sig;
    if (g_replay) rp_replay_stop(g_replay); /* ends a pacing wait within 50 ms */
}

/* ------------------------------------------------------------------ output */

typedef struct sink {
    bool discard;
    FILE *f;
    bool own_f;
    sl_target *tgt; /* --out FILE (a regular file): written under a temporary name, renamed on success */
    int tgt_errno;  /* the target's write failed (an errno value) */
    char tgt_msg[SL_ERRLEN]; /* and why */
    const char *name;
    sl_textout t;
    bool t_init;
    bool broken_pipe;
} sink;

static bool is_dev_null(int fd) {
    struct stat a, b;
    if (fstat(fd, &a) != 0 || stat("/dev/null", &b) != 0) return false;
    return S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}

/* Returns 0, or 2 after printing the error; EPIPE sets broken_pipe and returns 0. */
static int sink_error(sink *s, const char *err, int saved_errno) {
    if (saved_errno == EPIPE) {
        s->broken_pipe = true;
        return 0;
    }
    if (s->tgt_msg[0]) return cli_fail(2, "%s", s->tgt_msg); /* the target's own message names the file and errno */
    if (saved_errno) return cli_fail(2, "%s: %s: %s", s->name, err, strerror(saved_errno));
    return cli_fail(2, "%s: %s", s->name, err);
}

static int sink_write(sink *s, const sl_batch *b, bool flush) {
    if (s->discard || s->broken_pipe) return 0;
    char err[SL_ERRLEN];
    errno = 0;
    if (sl_textout_write(&s->t, b, err, sizeof err) != SL_OK) return sink_error(s, err, s->tgt_errno ? s->tgt_errno : errno);
    if (flush) {
        errno = 0;
        if (sl_textout_finish(&s->t, err, sizeof err) != SL_OK) return sink_error(s, err, s->tgt_errno ? s->tgt_errno : errno);
    }
    return 0;
}

/* fopencookie's write: bytes go to the target; a failure sets errno. */
static ssize_t tgt_cookie_write(void *cookie, const char *buf, size_t n) {
    sink *s = cookie;
    if (s->tgt_errno) { /* failed already: keep the first reason */
        errno = s->tgt_errno;
        return -1;
    }
    errno = 0;
    if (sl_target_write(s->tgt, buf, n, s->tgt_msg, sizeof s->tgt_msg) != SL_OK) {
        s->tgt_errno = errno ? errno : EIO;
        errno = s->tgt_errno;
        return -1;
    }
    return (ssize_t)n;
}

/* --out FILE: a regular file (or a new one) is written under a temporary
 * name in the same directory and renamed into place by sink_close when
 * everything was written; anything else (a FIFO, a device) is opened as is.
 * Returns 0 or 2 after printing the error. */
static int sink_open_file(sink *s, const char *out) {
    struct stat st;
    s->own_f = true;
    if (stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
        s->f = fopen(out, "wb");
        return s->f ? 0 : cli_fail(2, "%s: %s", out, strerror(errno));
    }
    char err[SL_ERRLEN];
    errno = 0;
    if (sl_target_open_file(&s->tgt, out, err, sizeof err) != SL_OK) {
        /* the temporary name is an implementation detail: name the file and the reason */
        return errno ? cli_fail(2, "%s: %s", out, strerror(errno)) : cli_fail(2, "%s", err);
    }
    s->f = fopencookie(s, "wb", (cookie_io_functions_t){.write = tgt_cookie_write});
    if (!s->f) {
        int saved = errno;
        sl_target_abort(s->tgt);
        s->tgt = NULL;
        return cli_fail(2, "%s: %s", out, strerror(saved));
    }
    g_out_tmp = sl_target_file_tmp(s->tgt);
    return 0;
}

/* ok: publish the target (rename into place); else remove its temporary file. */
static int sink_target_end(sink *s, bool ok) {
    if (!s->tgt) return 0;
    int rc = 0;
    char err[SL_ERRLEN];
    g_out_tmp = NULL;
    if (ok && (sl_target_finish(s->tgt, true, err, sizeof err) != SL_OK || sl_target_commit(s->tgt, true, err, sizeof err) != SL_OK)) {
        rc = cli_fail(2, "%s", err);
        ok = false;
    }
    if (ok) sl_target_close(s->tgt);
    else sl_target_abort(s->tgt);
    s->tgt = NULL;
    return rc;
}

/* failed: an error happened elsewhere; the output is not published. */
static int sink_close(sink *s, bool failed) {
    char err[SL_ERRLEN];
    int rc = 0;
    if (s->t_init) {
        if (!s->broken_pipe && !failed) {
            errno = 0;
            if (sl_textout_finish(&s->t, err, sizeof err) != SL_OK) rc = sink_error(s, err, s->tgt_errno ? s->tgt_errno : errno);
        }
        sl_textout_free(&s->t);
        s->t_init = false;
    }
    if (s->own_f && s->f) {
        errno = 0;
        if (fclose(s->f) != 0 && !rc && !s->broken_pipe && !failed)
            rc = sink_error(s, "close failed", s->tgt_errno ? s->tgt_errno : errno);
    }
    s->f = NULL;
    int trc = sink_target_end(s, !rc && !failed);
    return rc ? rc : trc;
}

/* ------------------------------------------------------------------ helpers */

static void fmt_speed(char *out, size_t n, double speed) {
    if (speed <= 0) snprintf(out, n, "max");
    else snprintf(out, n, "%gx", speed);
}

/* The progress line (util/progress.h): rows released over the rows the
 * order gives (rows_total), the ETA from the last ~30 s. */
static void progress(sl_progress *pg, rp_replay *r, double t0, double now) {
    const rp_replay_stats *st = rp_replay_get_stats(r);
    double dt = now - t0;
    char at[40], sp[32], pe[64], msg[512];
    cli_fmt_time(at, sizeof at, st->position_us);
    fmt_speed(sp, sizeof sp, rp_replay_speed(r));
    sl_progress_fmt(pg, now, st->rows, st->rows_total, pe, sizeof pe, NULL, 0);
    if (pg->mode == SL_PROGRESS_TTY)
        snprintf(msg, sizeof msg, "%s  %" PRIu64 " rows  %.0f rows/s  at %s  speed %s  lag %.1f s  %s  spill %.1f MB", pe,
                 st->rows, dt > 0 ? (double)st->rows / dt : 0.0, at, sp, st->lag_s, rp_strategy_name(st->order.strategy),
                 (double)st->order.spill_bytes / 1e6);
    else
        snprintf(msg, sizeof msg,
                 "%s, %" PRIu64 " of %" PRIu64 " rows, %.0f rows/s, at %s, speed %s, lag %.1f s, %s, spill %.1f MB", pe,
                 st->rows, st->rows_total, dt > 0 ? (double)st->rows / dt : 0.0, at, sp, st->lag_s,
                 rp_strategy_name(st->order.strategy), (double)st->order.spill_bytes / 1e6);
    sl_progress_print(pg, stderr, "replay", msg);
}

static void summary_json(sl_buf *js, const rp_replay_stats *st, bool unplanned, double speed, double secs, size_t rss,
                         int sig, size_t ninputs) {
    char at[40];
    sl_buf_puts(js, "{\"rows\":");
    sl_buf_printf(js, "%" PRIu64, st->rows);
    sl_buf_printf(js, ",\"rows_total\":%" PRIu64 ",\"flagged\":%" PRIu64, st->rows_total, st->flagged);
    sl_buf_puts(js, ",\"strategy\":");
    if (unplanned) {
        sl_buf_puts(js, "null");
    } else {
        const char *sn = rp_strategy_name(st->order.strategy);
        sl_fmt_json_str(js, sn, strlen(sn));
    }
    sl_buf_printf(js, ",\"segments\":%" PRIu64 ",\"runs_spilled\":%" PRIu64 ",\"spill_bytes\":%" PRIu64
                      ",\"merge_passes\":%" PRIu64 ",\"merge_fanin\":%" PRIu64,
                  st->order.segments, st->order.runs_spilled, st->order.spill_bytes, (uint64_t)st->order.merge_passes,
                  (uint64_t)st->order.merge_fanin);
    sl_buf_puts(js, ",\"strategy_reason\":");
    sl_fmt_json_str(js, st->order.reason, strlen(st->order.reason));
    sl_buf_printf(js, ",\"seconds\":%.6f,\"rows_per_s\":%.1f,\"peak_rss_bytes\":%zu,\"max_lag_s\":%.6f", secs,
                  secs > 0 ? (double)st->rows / secs : 0.0, rss, st->max_lag_s);
    if (st->position_us == INT64_MIN) {
        sl_buf_puts(js, ",\"position\":null,\"position_us\":null");
    } else {
        cli_fmt_time(at, sizeof at, st->position_us);
        sl_buf_printf(js, ",\"position\":\"%s\",\"position_us\":%" PRId64, at, st->position_us);
    }
    if (speed <= 0) sl_buf_puts(js, ",\"speed\":\"max\"");
    else sl_buf_printf(js, ",\"speed\":%g", speed);
    sl_buf_printf(js, ",\"inputs\":%zu,\"plan_seconds\":%.6f,\"interrupted\":%s}\n", ninputs,
                  st->order.plan_seconds, sig ? "true" : "false");
}

/* The --summary JSON and the stderr line; st NULL = interrupted before the
 * order was planned. Returns 0 or 2. */
static int write_summary(const rp_replay_stats *st, const rp_replay_opts *ro, const char *summary, bool quiet,
                         double t0, int sig, size_t ninputs, bool broken_pipe) {
    rp_replay_stats none;
    if (!st) {
        memset(&none, 0, sizeof none);
        none.position_us = INT64_MIN;
        st = &none;
    }
    int rc = 0;
    double secs = rp_now() - t0;
    size_t rss = cli_peak_rss();
    if (summary) {
        sl_buf js;
        sl_buf_init(&js);
        summary_json(&js, st, st == &none, ro->speed, secs, rss, sig, ninputs);
        FILE *sf = !strcmp(summary, "-") ? stdout : fopen(summary, "wb");
        if (!sf) {
            rc = cli_fail(2, "%s: %s", summary, strerror(errno));
        } else {
            bool ok = fwrite(js.p, 1, js.len, sf) == js.len;
            if (sf != stdout) ok = fclose(sf) == 0 && ok;
            else ok = fflush(sf) == 0 && ok;
            if (!ok && !(sf == stdout && broken_pipe)) rc = cli_fail(2, "%s: write failed", summary);
        }
        sl_buf_free(&js);
    }
    if (!quiet) {
        char at[40], sp[32];
        cli_fmt_time(at, sizeof at, st->position_us);
        fmt_speed(sp, sizeof sp, ro->speed);
        if (st == &none) {
            fprintf(stderr, "sluice replay: interrupted while planning the order after %.2f s; nothing replayed\n", secs);
        } else {
            fprintf(stderr,
                    "sluice replay: %s%" PRIu64 " rows (%" PRIu64 " flagged) in %.2f s (%.0f rows/s, speed %s); %s, %" PRIu64
                    " segments, %" PRIu64 " runs spilled (%.1f MB); peak RSS %.1f MB; max lag %.2f s; reached %s\n",
                    sig ? "interrupted: " : "", st->rows, st->flagged, secs, secs > 0 ? (double)st->rows / secs : 0.0,
                    sp, rp_strategy_name(st->order.strategy), st->order.segments, st->order.runs_spilled,
                    (double)st->order.spill_bytes / 1e6, (double)rss / 1048576.0, st->max_lag_s, at);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------ command */

static sl_err on_positional(void *ctx, const char *word, char *err, size_t errlen) {
    replay_cli *c = ctx;
    return cli_inputs_arg(c->in, word) ? sl_err_set(err, errlen, SL_ERR_ARG, "%s", "") : SL_OK;
}

static sl_err after_flag(void *ctx, const sl_opt *o, const char *v, char *err, size_t errlen) {
    replay_cli *c = ctx;
    int rc = 0;
    if (!strcmp(o->name, "source")) rc = cli_inputs_source(c->in, v);
    else if (!strcmp(o->name, "input_format")) rc = cli_inputs_format(c->in, v);
    return rc ? sl_err_set(err, errlen, SL_ERR_ARG, "%s", "") : SL_OK; /* printed already */
}

int cli_replay(int argc, char **argv) {
    rp_replay_opts ro = rp_replay_opts_default();
    replay_cli rc_opts;
    char err[SL_ERRLEN];
    cli_inputs in;
    cli_inputs_init(&in, "replay");
    rc_opts.in = &in;
    sl_opt_cmd cmd = k_replay_cmd;
    cmd.objs = (void *const[]){&rc_opts, &ro};
    cmd.positional = on_positional;
    cmd.after = after_flag;
    cmd.ctx = &rc_opts;
    int rc = cli_parse(&cmd, argc, argv);
    if (rc == CLI_HELP) {
        cli_inputs_free(&in);
        return 0;
    }
    const bool quiet = rc_opts.quiet, discard = rc_opts.discard;
    const char *out = rc_opts.out, *summary = rc_opts.summary, *format = rc_opts.format == 1 ? "csv" : "jsonl";
    const sc_schema *schema = NULL;
    if (!rc) {
        const sc_def *def = reg_schema(rc_opts.schema);
        if (!def) rc = cli_fail(1, "--schema: no schema named '%s'", rc_opts.schema);
        else if (sc_open(&schema, def, err, sizeof err) != SL_OK) rc = cli_fail(2, "%s", err);
    }
    if (!rc) rc = cli_inputs_check(&in);
    if (!rc && ro.from_us >= ro.to_us) rc = cli_fail(1, "replay: --to must be after --from");
    if (!rc && ro.tmpdir) {
        struct stat st;
        if (stat(ro.tmpdir, &st) != 0) rc = cli_fail(2, "--tmpdir %s: %s", ro.tmpdir, strerror(errno));
        else if (!S_ISDIR(st.st_mode)) rc = cli_fail(2, "--tmpdir %s: not a directory", ro.tmpdir);
    }
    if (!rc) rc = cli_inputs_expand(&in);
    if (rc) {
        cli_inputs_free(&in);
        sc_close(schema);
        return rc;
    }
    ro.schema = schema;
    ro.formats = reg_inputs();

    /* Output first: a bad --out fails before any planning work. */
    sink s;
    memset(&s, 0, sizeof s);
    s.name = out ? out : "stdout";
    if (out) {
        int orc = sink_open_file(&s, out);
        if (orc) {
            cli_inputs_free(&in);
            sc_close(schema);
            return orc;
        }
    } else {
        s.f = stdout;
    }
    s.discard = discard || is_dev_null(fileno(s.f));

    struct sigaction sa, old_int, old_term, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* SA_RESTART: a write blocked on a slow consumer completes (no half line);
     * the pacer's nanosleep returns early anyway (it is never restarted). */
    sa.sa_flags = SA_RESTART;
    g_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGPIPE, &ign, &old_pipe); /* EPIPE instead of death */

    double t0 = rp_now();
    rp_replay *r = NULL;
    sl_batch b;
    sl_batch_init(&b);
    sl_progress pg;
    sl_progress_init(&pg, sl_progress_mode_for(2, quiet), (double)rc_opts.progress_every_us / 1e6, t0);
    bool tty = pg.mode == SL_PROGRESS_TTY;
    if (tty) fputs("sluice replay: planning...\033[K", stderr);
    sl_err e = rp_replay_open(&r, in.v, in.n, &ro, err, sizeof err);
    if (e) {
        if (tty) fputs("\r\033[K", stderr);
        /* Interrupted while planning: the error is a consequence (its files
         * were removed under it); report the interruption, not the error. */
        if (g_signal) write_summary(NULL, &ro, summary, quiet, t0, g_signal, in.n, false);
        else rc = cli_fail(e == SL_ERR_ARG ? 1 : 2, "%s", err);
        goto done;
    }
    g_replay = r;
    if (sc_init_batch(schema, &b, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
        goto done;
    }
    if (!s.discard) {
        if (sl_textout_init(&s.t, s.f, !strcmp(format, "csv") ? SL_FMT_CSV : SL_FMT_JSON, &b, err, sizeof err) != SL_OK) {
            rc = cli_fail(2, "%s", err);
            goto done;
        }
        s.t.ts_style = !strcmp(format, "csv") ? SL_TS_SPACE : SL_TS_ISO_Z;
        s.t_init = true;
    }
    bool paced = ro.speed > 0;
    sl_progress_sample(&pg, rp_now(), 0); /* the rate starts once planned */
    for (;;) {
        if (g_signal) {
            rp_replay_stop(r);
            break;
        }
        long n = rp_replay_next(r, &b, 0.25, err, sizeof err);
        if (n == RP_REPLAY_AGAIN) {
            double now = rp_now();
            sl_progress_sample(&pg, now, rp_replay_get_stats(r)->rows);
            if (sl_progress_due(&pg, now)) progress(&pg, r, t0, now);
            continue;
        }
        if (n < 0) {
            if (!g_signal) rc = cli_fail(2, "%s", err);
            break;
        }
        if (n == 0) break;
        if ((rc = sink_write(&s, &b, paced))) break;
        if (s.broken_pipe) break; /* the reader went away (| head): a normal end */
        double now = rp_now();
        sl_progress_sample(&pg, now, rp_replay_get_stats(r)->rows);
        if (sl_progress_due(&pg, now)) progress(&pg, r, t0, now);
    }
    /* a log's last progress line says where the replay ended */
    if (!rc && sl_progress_final(&pg, rp_replay_get_stats(r)->rows)) progress(&pg, r, t0, rp_now());
    sl_progress_end(&pg, stderr);
    {
        int crc = sink_close(&s, rc != 0);
        if (!rc) rc = crc;
    }
    if (!rc || g_signal) {
        int src = write_summary(rp_replay_get_stats(r), &ro, summary, quiet, t0, g_signal, in.n, s.broken_pipe);
        if (!rc) rc = src;
    }
done:
    if (s.f || s.tgt) sink_close(&s, true);
    sl_batch_free(&b);
    g_replay = NULL;
    rp_replay_close(r); /* removes the temporary files */
    cli_inputs_free(&in);
    sc_close(schema);
    int sig = g_signal;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    if (sig) return 128 + sig;
    return rc;
}
