/* sluice convert IN.parquet OUT.parquet [--codec C] [--row-group-rows N]
 *                [--page-version 1|2] [--no-dictionary] [--columns a,b]
 * Read IN with the streaming reader and write OUT with the streaming writer.
 *
 * Type mapping: BOOLEAN, INT32, INT64, FLOAT, DOUBLE, byte arrays, STRING
 * (also JSON/ENUM), DATE and TIMESTAMP (any unit; INT96 becomes
 * TIMESTAMP(NANOS)) keep their logical annotation.  Other annotations
 * (DECIMAL, TIME, INTEGER 8/16-bit or unsigned, UUID, FLOAT16, INTERVAL) are
 * dropped with a warning naming the column: the values are written as their
 * physical batch type (e.g. a DECIMAL(9,2) INT32 column becomes plain INT32
 * holding the unscaled value; FIXED_LEN_BYTE_ARRAY becomes BYTE_ARRAY).
 * INTEGER(32, signed) on INT32 and INTEGER(64, signed) on INT64 are dropped
 * silently: they mean exactly the physical type.
 * Progress on stderr (util/progress.h; --quiet, --progress-every): rows
 * written over IN's row count from its footer, % done and ETA.
 * Prints one JSON line to stdout:
 *   {"rows":N,"row_groups":N,"bytes":N,"seconds":S,"rows_per_s":R,"peak_rss_bytes":N}
 * Exit codes: 0 ok, 1 usage, 2 runtime error (OUT is never left half-written). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "parquet/writer.h"
#include "util/progress.h"
#include "util/time.h"

static const char *logical_name(sl_logical l) {
    switch (l) {
    case SL_LOG_DECIMAL: return "DECIMAL";
    case SL_LOG_TIME: return "TIME";
    case SL_LOG_INT: return "INTEGER";
    case SL_LOG_UUID: return "UUID";
    case SL_LOG_FLOAT16: return "FLOAT16";
    case SL_LOG_INTERVAL: return "INTERVAL";
    default: return "logical";
    }
}

/* Writer column type for a reader column type; warns when an annotation is dropped. */
static sl_coltype map_type(const char *in, const char *name, const sl_coltype *t) {
    sl_coltype o;
    memset(&o, 0, sizeof o);
    o.type = t->type;
    bool keep = false;
    switch (t->logical) {
    case SL_LOG_NONE: keep = true; break;
    case SL_LOG_STRING:
    case SL_LOG_JSON:
    case SL_LOG_ENUM: keep = t->type == SL_BYTES; break;
    case SL_LOG_DATE: keep = t->type == SL_I32; break;
    case SL_LOG_TIMESTAMP: keep = t->type == SL_I64; break;
    case SL_LOG_INT:
        /* INT(32, signed) on INT32 / INT(64, signed) on INT64 say nothing the physical type does not */
        if (t->is_signed && ((t->type == SL_I32 && t->bit_width == 32) || (t->type == SL_I64 && t->bit_width == 64)))
            return o;
        keep = false;
        break;
    default: keep = false;
    }
    if (keep) {
        o.logical = t->logical;
        o.unit = t->unit;
        o.utc = t->utc;
    } else {
        fprintf(stderr, "sluice: warning: %s: column '%s': %s annotation dropped; values are written as plain %s\n", in,
                name, logical_name(t->logical),
                t->type == SL_I32 ? "INT32" : t->type == SL_I64 ? "INT64" : t->type == SL_BYTES ? "BYTE_ARRAY" : "values");
    }
    return o;
}

typedef struct convert_opts {
    int codec;
    size_t row_group_rows;
    int page_version;
    bool no_dictionary;
    const char *columns;
    bool quiet;
    int64_t progress_every_us;
} convert_opts;

static const sl_opt k_convert_opts[] = {
    CLI_OPT_CODEC(convert_opts, codec),
    CLI_OPT_ROW_GROUP_ROWS(convert_opts, row_group_rows),
    {.name = "page_version", .type = SL_OPT_T_INT, SL_OPT_F_(convert_opts, page_version), .def = "1", .min = 1, .max = 2,
     .expect = "1 or 2", .help = "data page version, 1 or 2"},
    {.name = "no_dictionary", .type = SL_OPT_T_FLAG, SL_OPT_F_(convert_opts, no_dictionary), .def = "false",
     .help = "PLAIN encoding only (default: dictionary when it pays, PLAIN fallback)"},
    {.name = "columns", .type = SL_OPT_T_STRING, SL_OPT_F_(convert_opts, columns), .arg = "a,b",
     .help = "only these columns (comma-separated; default: every supported column)"},
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(convert_opts, quiet), .def = "false", .alias = "-q",
     .section = "progress", .help = "no progress on stderr"},
    {.name = "progress_every", .type = SL_OPT_T_DURATION, SL_OPT_F_(convert_opts, progress_every_us), .def = "10s",
     .min = 1000, .max = 9.2e18, .arg = "DUR",
     .help = "when stderr is not a terminal (Airflow, Kubernetes): a progress line this often with % done "
             "and ETA (rows over IN's row count from its footer; on a terminal: one line updated in place)"},
    SL_OPT_END,
};
static const sl_opt *const k_convert_tables[] = {k_convert_opts, NULL};
static const sl_opt_cmd k_convert_cmd = {
    .name = "convert",
    .tables = k_convert_tables,
    .usage = "sluice convert IN.parquet OUT.parquet [options]",
    .about = "Rewrite a Parquet file with sluice's writer (dictionary with PLAIN fallback, statistics, page\n"
             "CRCs).  OUT is written under a temporary name and renamed, so no half file is ever visible.\n"
             "Prints {\"rows\",\"row_groups\",\"bytes\",\"seconds\",\"rows_per_s\",\"peak_rss_bytes\"} as JSON.",
    .notes = "Exit status: 0 ok, 1 bad option or unknown column, 2 I/O error or a corrupt IN (OUT is never\n"
             "left half-written).",
};
const sl_opt_cmd *cli_convert_doc(void) { return &k_convert_cmd; }

static void progress(sl_progress *pg, double now, double t0, uint64_t done, uint64_t total) {
    char pe[64], msg[256];
    sl_progress_fmt(pg, now, done, total, pe, sizeof pe, NULL, 0);
    double dt = now - t0;
    snprintf(msg, sizeof msg, "%s%s%" PRIu64 " of %" PRIu64 " rows, %.0f rows/s", pe, *pe ? ", " : "", done, total,
             dt > 0 ? (double)done / dt : 0.0);
    sl_progress_print(pg, stderr, "convert", msg);
}

int cli_convert(int argc, char **argv) {
    convert_opts co;
    cli_files files = {.cmd = "convert", .max = 2};
    int rc = cli_parse_files(&k_convert_cmd, &co, &files, argc, argv);
    if (rc) return rc == CLI_HELP ? 0 : rc;
    const char *in = files.v[0], *outp = files.v[1], *cols = co.columns;
    pq_writer_opts o = pq_writer_opts_default();
    o.codec = cli_codec(co.codec);
    o.row_group_rows = co.row_group_rows;
    o.page_version = co.page_version;
    o.dictionary = !co.no_dictionary;

    double t0 = sl_now_mono();
    cli_pq p;
    if ((rc = cli_pq_open(&p, "convert", in))) return rc;
    if ((rc = cli_select_columns(&p, cols))) {
        cli_pq_close(&p);
        return rc;
    }
    char err[SL_ERRLEN];
    size_t n = pq_reader_num_selected(p.r);
    if (n == 0) {
        cli_pq_close(&p);
        return cli_fail(2, "%s: no supported columns to convert", in);
    }
    pq_write_col *wc = calloc(n, sizeof *wc);
    if (!wc) {
        cli_pq_close(&p);
        return cli_fail(2, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const pq_leaf *L = pq_reader_leaf(p.r, (size_t)pq_reader_selected_leaf(p.r, i));
        wc[i].name = L->name;
        wc[i].type = map_type(in, L->name, &L->ctype);
        wc[i].nullable = L->nullable;
    }
    pq_kv kv[1] = {{"source", NULL}};
    const char *slash = strrchr(in, '/');
    kv[0].value = slash ? slash + 1 : in;
    o.kv = kv;
    o.n_kv = 1;
    sl_batch b;
    sl_batch_init(&b);
    pq_writer *w = NULL;
    pq_writer_stats st;
    memset(&st, 0, sizeof st);
    if (pq_reader_init_batch(p.r, &b, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
        goto done;
    }
    if (pq_writer_open(&w, outp, wc, n, &o, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
        goto done;
    }
    /* progress: rows over IN's row count (its footer) */
    sl_progress pg;
    sl_progress_init(&pg, sl_progress_mode_for(2, co.quiet), (double)co.progress_every_us / 1e6, t0);
    int64_t nr = pq_reader_meta(p.r)->num_rows;
    uint64_t total = nr > 0 ? (uint64_t)nr : 0, done = 0;
    sl_progress_sample(&pg, t0, 0);
    for (;;) {
        long got = pq_reader_next(p.r, &b, 65536, err, sizeof err);
        if (got < 0) {
            sl_progress_end(&pg, stderr);
            rc = cli_fail(2, "%s", err);
            break;
        }
        if (got == 0) break;
        if (pq_writer_write(w, &b, err, sizeof err) != SL_OK) {
            sl_progress_end(&pg, stderr);
            rc = cli_fail(2, "%s", err);
            break;
        }
        done += (uint64_t)got;
        double now = sl_now_mono();
        sl_progress_sample(&pg, now, done);
        if (sl_progress_due(&pg, now)) progress(&pg, now, t0, done, total);
    }
    if (!rc && sl_progress_final(&pg, done)) progress(&pg, sl_now_mono(), t0, done, total);
    sl_progress_end(&pg, stderr);
    if (rc) {
        pq_writer_abort(w);
    } else if (pq_writer_close_stats(w, &st, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
    }
    w = NULL;
    if (!rc) {
        double secs = sl_now_mono() - t0;
        printf("{\"rows\":%llu,\"row_groups\":%llu,\"bytes\":%llu,\"seconds\":%.6f,\"rows_per_s\":%.0f,\"peak_rss_bytes\":%zu}\n",
               (unsigned long long)st.rows, (unsigned long long)st.row_groups, (unsigned long long)st.bytes_written, secs,
               secs > 0 ? (double)st.rows / secs : 0.0, cli_peak_rss());
        if (fflush(stdout) != 0) rc = cli_fail(2, "write to stdout failed");
    }
done:
    sl_batch_free(&b);
    free(wc);
    cli_pq_close(&p);
    return rc;
}
