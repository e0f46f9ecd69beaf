/* sluice cat FILE [--columns a,b] [--limit N] [--format jsonl|csv] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "cli/cli.h"

typedef struct cat_opts {
    const char *columns;
    int64_t limit;
    int format; /* 0 jsonl, 1 csv, 2 json (= jsonl) */
} cat_opts;

static const sl_opt k_cat_opts[] = {
    {.name = "columns", .type = SL_OPT_T_STRING, SL_OPT_F_(cat_opts, columns), .arg = "a,b",
     .help = "only these columns (comma-separated; default: every supported column)"},
    {.name = "limit", .type = SL_OPT_T_INT, SL_OPT_F_(cat_opts, limit), .min = 0, .max = 9.2e18,
     .expect = "a non-negative integer", .help = "at most N rows (default: all)"},
    {.name = "format", .type = SL_OPT_T_ENUM, SL_OPT_F_(cat_opts, format), .def = "jsonl", .choices = "jsonl|csv|json",
     .expect = "jsonl or csv", .arg = "F", .help = "jsonl (JSON Lines) or csv (with a header line)"},
    SL_OPT_END,
};
static const sl_opt *const k_cat_tables[] = {k_cat_opts, NULL};
static const sl_opt_cmd k_cat_cmd = {
    .name = "cat",
    .tables = k_cat_tables,
    .usage = "sluice cat FILE [options]",
    .about = "Print the rows of the Parquet FILE as JSON Lines (default) or CSV.  Timestamps are ISO-8601 UTC;\n"
             "NULL is null (JSON) or an empty field (CSV); decimals exact; binary as text with \\xHH escapes\n"
             "(docs/parquet.md).",
    .notes = "Exit status: 0 ok, 1 bad option or unknown column, 2 the file cannot be read or is corrupt.",
};
const sl_opt_cmd *cli_cat_doc(void) { return &k_cat_cmd; }

int cli_cat(int argc, char **argv) {
    cat_opts o;
    cli_files files = {.cmd = "cat", .max = 1};
    int rc = cli_parse_files(&k_cat_cmd, &o, &files, argc, argv);
    if (rc) return rc == CLI_HELP ? 0 : rc;
    const char *path = files.v[0], *cols = o.columns;
    long long limit = sl_opt_peek(k_cat_tables, argc, argv, "limit") ? (long long)o.limit : -1;
    sl_fmt_mode mode = o.format == 1 ? SL_FMT_CSV : SL_FMT_JSON;

    cli_pq p;
    if ((rc = cli_pq_open(&p, "cat", path))) return rc;
    if ((rc = cli_select_columns(&p, cols))) {
        cli_pq_close(&p);
        return rc;
    }
    char err[SL_ERRLEN];
    sl_batch b;
    sl_batch_init(&b);
    sl_buf out;
    sl_buf_init(&out);
    if (pq_reader_init_batch(p.r, &b, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
        goto done;
    }
    /* JSON keys are pre-rendered once */
    sl_buf *keys = calloc(b.ncols ? b.ncols : 1, sizeof *keys);
    if (!keys) {
        rc = cli_fail(2, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < b.ncols; c++) {
        sl_buf_init(&keys[c]);
        sl_buf_putc(&keys[c], c ? ',' : '{');
        sl_fmt_json_str(&keys[c], b.cols[c].name, strlen(b.cols[c].name));
        sl_buf_putc(&keys[c], ':');
    }
    if (mode == SL_FMT_CSV) {
        for (size_t c = 0; c < b.ncols; c++) {
            if (c) sl_buf_putc(&out, ',');
            sl_fmt_value(&out, &(sl_col){.t = {.type = SL_BYTES, .logical = SL_LOG_STRING},
                                         .data = &(sl_str){b.cols[c].name, (uint32_t)strlen(b.cols[c].name)}},
                         0, SL_FMT_CSV);
        }
        sl_buf_putc(&out, '\n');
    }
    long long emitted = 0;
    while (limit < 0 || emitted < limit) {
        size_t want = 8192;
        if (limit >= 0 && (long long)want > limit - emitted) want = (size_t)(limit - emitted);
        long n = pq_reader_next(p.r, &b, want, err, sizeof err);
        if (n < 0) {
            sl_buf_flush(&out, stdout);
            rc = cli_fail(2, "%s", err);
            break;
        }
        if (n == 0) break;
        for (long i = 0; i < n; i++) {
            if (mode == SL_FMT_JSON) {
                for (size_t c = 0; c < b.ncols; c++) {
                    sl_buf_put(&out, keys[c].p, keys[c].len);
                    sl_fmt_value(&out, &b.cols[c], (size_t)i, SL_FMT_JSON);
                }
                if (b.ncols == 0) sl_buf_putc(&out, '{');
                sl_buf_puts(&out, "}\n");
            } else {
                for (size_t c = 0; c < b.ncols; c++) {
                    if (c) sl_buf_putc(&out, ',');
                    sl_fmt_value(&out, &b.cols[c], (size_t)i, SL_FMT_CSV);
                }
                sl_buf_putc(&out, '\n');
            }
            if (out.len > (1 << 16) && !sl_buf_flush(&out, stdout)) {
                rc = cli_fail(2, "write to stdout failed");
                goto keys_done;
            }
        }
        emitted += n;
    }
    if (out.oom) rc = cli_fail(2, "out of memory formatting output");
    if (!sl_buf_flush(&out, stdout) || fflush(stdout) != 0) rc = rc ? rc : cli_fail(2, "write to stdout failed");
keys_done:
    for (size_t c = 0; c < b.ncols; c++) sl_buf_free(&keys[c]);
    free(keys);
done:
    sl_buf_free(&out);
    sl_batch_free(&b);
    cli_pq_close(&p);
    return rc;
}
