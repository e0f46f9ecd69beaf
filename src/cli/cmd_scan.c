/* sluice scan FILE [--columns a,b] [--batch-rows N]
 * Decode every value of the selected columns into batches and reduce each
 * column to (non-null count, sum): the read benchmark's workload and a
 * value check against DuckDB's count()/sum(). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/format.h"
#include "cli/cli.h"
#include "util/time.h"

typedef struct acc {
    uint64_t count;
    uint64_t isum;  /* wrapping int64 sum */
    double fsum;
    uint64_t bytes;
} acc;

static void reduce(const sl_col *c, size_t n, acc *a) {
    const uint8_t *v = c->valid;
    a->count += n - c->null_count;
    /* NULL slots hold zero, so sums can run over all rows without branches */
    switch (c->t.type) {
    case SL_BOOL: {
        const uint8_t *d = c->data;
        uint64_t s = 0;
        for (size_t i = 0; i < n; i++) s += d[i];
        a->isum += s;
        break;
    }
    case SL_I32: {
        const int32_t *d = c->data;
        uint64_t s = 0;
        if (c->t.logical == SL_LOG_INT && !c->t.is_signed) {
            uint32_t mask = c->t.bit_width == 8 ? 0xffu : c->t.bit_width == 16 ? 0xffffu : 0xffffffffu;
            for (size_t i = 0; i < n; i++) s += (uint32_t)d[i] & mask;
        } else {
            for (size_t i = 0; i < n; i++) s += (uint64_t)(int64_t)d[i];
        }
        a->isum += s;
        break;
    }
    case SL_I64: {
        const int64_t *d = c->data;
        uint64_t s = 0;
        for (size_t i = 0; i < n; i++) s += (uint64_t)d[i];
        a->isum += s;
        break;
    }
    case SL_F32: {
        const float *d = c->data;
        double s = a->fsum;
        if (!v) for (size_t i = 0; i < n; i++) s += (double)d[i];
        else for (size_t i = 0; i < n; i++) if (sl_bit_get(v, i)) s += (double)d[i];
        a->fsum = s;
        break;
    }
    case SL_F64: {
        const double *d = c->data;
        double s = a->fsum;
        if (!v) for (size_t i = 0; i < n; i++) s += d[i];
        else for (size_t i = 0; i < n; i++) if (sl_bit_get(v, i)) s += d[i];
        a->fsum = s;
        break;
    }
    case SL_BYTES: {
        const sl_str *d = c->data;
        uint64_t s = 0;
        for (size_t i = 0; i < n; i++) s += d[i].len;
        a->bytes += s;
        break;
    }
    }
}

typedef struct scan_opts {
    const char *columns;
    size_t batch_rows;
} scan_opts;

static const sl_opt k_scan_opts[] = {
    {.name = "columns", .type = SL_OPT_T_STRING, SL_OPT_F_(scan_opts, columns), .arg = "a,b",
     .help = "only these columns (comma-separated; default: every supported column)"},
    {.name = "batch_rows", .type = SL_OPT_T_INT, SL_OPT_F_(scan_opts, batch_rows), .def = "65536", .min = 1,
     .max = 1 << 24, .help = "rows per decoded batch"},
    SL_OPT_END,
};
static const sl_opt *const k_scan_tables[] = {k_scan_opts, NULL};
static const sl_opt_cmd k_scan_cmd = {
    .name = "scan",
    .tables = k_scan_tables,
    .usage = "sluice scan FILE [options]",
    .about = "Decode every value of the Parquet FILE into columnar batches and print, as one JSON object, the\n"
             "rows and per column the non-null count and the sum (integers exact, doubles as a double sum,\n"
             "strings as total bytes), with timing and peak memory: the read benchmark's workload and a cheap\n"
             "whole-file check.",
    .notes = "Exit status: 0 ok, 1 bad option or unknown column, 2 the file cannot be read or is corrupt.",
};
const sl_opt_cmd *cli_scan_doc(void) { return &k_scan_cmd; }

int cli_scan(int argc, char **argv) {
    scan_opts o;
    cli_files files = {.cmd = "scan", .max = 1};
    int rc = cli_parse_files(&k_scan_cmd, &o, &files, argc, argv);
    if (rc) return rc == CLI_HELP ? 0 : rc;
    const char *path = files.v[0], *cols = o.columns;
    size_t batch_rows = o.batch_rows;
    double t0 = sl_now_mono();
    cli_pq p;
    if ((rc = cli_pq_open(&p, "scan", path))) return rc;
    if ((rc = cli_select_columns(&p, cols))) {
        cli_pq_close(&p);
        return rc;
    }
    char err[SL_ERRLEN];
    sl_batch b;
    sl_batch_init(&b);
    acc *accs = NULL;
    if (pq_reader_init_batch(p.r, &b, err, sizeof err) != SL_OK) {
        rc = cli_fail(2, "%s", err);
        goto done;
    }
    accs = calloc(b.ncols ? b.ncols : 1, sizeof *accs);
    if (!accs) {
        rc = cli_fail(2, "out of memory");
        goto done;
    }
    uint64_t rows = 0;
    for (;;) {
        long n = pq_reader_next(p.r, &b, batch_rows, err, sizeof err);
        if (n < 0) {
            rc = cli_fail(2, "%s", err);
            goto done;
        }
        if (n == 0) break;
        for (size_t c = 0; c < b.ncols; c++) reduce(&b.cols[c], (size_t)n, &accs[c]);
        rows += (uint64_t)n;
    }
    double secs = sl_now_mono() - t0;
    sl_buf out;
    sl_buf_init(&out);
    sl_buf_printf(&out, "{\"rows\":%" PRIu64 ",\"columns\":[", rows);
    for (size_t c = 0; c < b.ncols; c++) {
        const sl_col *col = &b.cols[c];
        if (c) sl_buf_putc(&out, ',');
        sl_buf_puts(&out, "{\"name\":");
        sl_fmt_json_str(&out, col->name, strlen(col->name));
        sl_buf_printf(&out, ",\"count\":%" PRIu64 ",\"sum\":", accs[c].count);
        if (col->t.type == SL_F32 || col->t.type == SL_F64) {
            if (accs[c].fsum != accs[c].fsum || accs[c].fsum - accs[c].fsum != 0) sl_buf_puts(&out, "null");
            else sl_buf_printf(&out, "%.17g", accs[c].fsum);
        } else if (col->t.type == SL_BYTES) sl_buf_printf(&out, "%" PRIu64, accs[c].bytes);
        else sl_buf_printf(&out, "%" PRId64, (int64_t)accs[c].isum);
        sl_buf_putc(&out, '}');
    }
    const pq_reader_stats *st = pq_reader_get_stats(p.r);
    sl_buf_printf(&out, "],\"seconds\":%.6f,\"rows_per_s\":%.0f,\"peak_rss_bytes\":%zu,\"pages\":%" PRIu64 ",\"bytes_read\":%" PRIu64 "}\n",
                  secs, secs > 0 ? (double)rows / secs : 0.0, cli_peak_rss(), st->pages, p.src->bytes_read);
    sl_buf_flush(&out, stdout);
    sl_buf_free(&out);
done:
    free(accs);
    sl_batch_free(&b);
    cli_pq_close(&p);
    return rc;
}
