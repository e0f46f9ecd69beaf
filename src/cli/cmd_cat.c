/* sluice cat FILE [--columns a,b] [--limit N] [--format jsonl|csv] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "cli/cli.h"

static int usage(void) {
    fputs("usage: sluice cat FILE [--columns a,b] [--limit N] [--format jsonl|csv]\n"
          "  Print the rows of a Parquet file as JSON Lines (default) or CSV.\n"
          "  Timestamps are ISO-8601 UTC; NULL is null (JSON) or an empty field (CSV).\n",
          stderr);
    return 1;
}

int cli_cat(int argc, char **argv) {
    const char *path = NULL, *cols = NULL, *format = "jsonl";
    long long limit = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--columns") && i + 1 < argc) cols = argv[++i];
        else if (!strncmp(a, "--columns=", 10)) cols = a + 10;
        else if (!strcmp(a, "--format") && i + 1 < argc) format = argv[++i];
        else if (!strncmp(a, "--format=", 9)) format = a + 9;
        else if ((!strcmp(a, "--limit") && i + 1 < argc) || !strncmp(a, "--limit=", 8)) {
            const char *v = a[7] == '=' ? a + 8 : argv[++i];
            char *end;
            errno = 0;
            limit = strtoll(v, &end, 10);
            if (errno || *end || limit < 0) return cli_fail(1, "--limit needs a non-negative integer, got '%s'", v);
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage();
        else if (a[0] == '-' && a[1]) return cli_fail(1, "cat: unknown option '%s' (see sluice cat --help)", a);
        else if (!path) path = a;
        else return cli_fail(1, "cat: only one FILE is accepted (got '%s' and '%s')", path, a);
    }
    if (!path) return usage();
    sl_fmt_mode mode;
    if (!strcmp(format, "jsonl") || !strcmp(format, "json")) mode = SL_FMT_JSON;
    else if (!strcmp(format, "csv")) mode = SL_FMT_CSV;
    else return cli_fail(1, "--format must be jsonl or csv, got '%s'", format);

    cli_pq p;
    int rc = cli_pq_open(&p, path);
    if (rc) return rc;
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
