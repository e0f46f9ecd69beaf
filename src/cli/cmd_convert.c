/* sluice convert IN.parquet OUT.parquet [--codec zstd|snappy|none] [--row-group-rows N]
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
 * Prints one JSON line to stdout:
 *   {"rows":N,"row_groups":N,"bytes":N,"seconds":S,"rows_per_s":R,"peak_rss_bytes":N}
 * Exit codes: 0 ok, 1 usage, 2 runtime error (OUT is never left half-written). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "parquet/writer.h"
#include "util/time.h"

static int usage(void) {
    fputs("usage: sluice convert IN.parquet OUT.parquet [--codec zstd|snappy|none] [--row-group-rows N]\n"
          "                      [--page-version 1|2] [--no-dictionary] [--columns a,b]\n"
          "  Rewrite a Parquet file with sluice's writer (default: ZSTD, 1,048,576-row row groups,\n"
          "  data page v1, dictionary encoding with PLAIN fallback, page CRCs).\n"
          "  Prints {\"rows\",\"row_groups\",\"bytes\",\"seconds\",\"rows_per_s\",\"peak_rss_bytes\"} as JSON.\n",
          stderr);
    return 1;
}

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

static int parse_size(const char *opt, const char *v, size_t *out) {
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end || x <= 0) return cli_fail(1, "%s needs a positive integer, got '%s'", opt, v);
    *out = (size_t)x;
    return 0;
}

int cli_convert(int argc, char **argv) {
    const char *in = NULL, *outp = NULL, *cols = NULL;
    pq_writer_opts o = pq_writer_opts_default();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
#define OPT(name)                                                                          \
    ((!strcmp(a, name) && i + 1 < argc && (v = argv[++i])) ||                              \
     (!strncmp(a, name "=", sizeof name) && (v = a + sizeof name)))
        if (OPT("--codec")) {
            if (!strcmp(v, "zstd")) o.codec = PQ_CODEC_ZSTD;
            else if (!strcmp(v, "snappy")) o.codec = PQ_CODEC_SNAPPY;
            else if (!strcmp(v, "none") || !strcmp(v, "uncompressed")) o.codec = PQ_CODEC_UNCOMPRESSED;
            else return cli_fail(1, "--codec must be zstd, snappy or none, got '%s'", v);
        } else if (OPT("--row-group-rows")) {
            int rc = parse_size("--row-group-rows", v, &o.row_group_rows);
            if (rc) return rc;
        } else if (OPT("--page-version")) {
            if (!strcmp(v, "1")) o.page_version = 1;
            else if (!strcmp(v, "2")) o.page_version = 2;
            else return cli_fail(1, "--page-version must be 1 or 2, got '%s'", v);
        } else if (OPT("--columns")) {
            cols = v;
        } else if (!strcmp(a, "--no-dictionary")) {
            o.dictionary = false;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            return usage();
        } else if (a[0] == '-' && a[1]) {
            return cli_fail(1, "convert: unknown option or missing value '%s' (see sluice convert --help)", a);
        } else if (!in) {
            in = a;
        } else if (!outp) {
            outp = a;
        } else {
            return cli_fail(1, "convert: expected IN and OUT, got an extra argument '%s'", a);
        }
#undef OPT
    }
    if (!in || !outp) return usage();

    double t0 = sl_now_mono();
    cli_pq p;
    int rc = cli_pq_open(&p, in);
    if (rc) return rc;
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
    for (;;) {
        long got = pq_reader_next(p.r, &b, 65536, err, sizeof err);
        if (got < 0) {
            rc = cli_fail(2, "%s", err);
            break;
        }
        if (got == 0) break;
        if (pq_writer_write(w, &b, err, sizeof err) != SL_OK) {
            rc = cli_fail(2, "%s", err);
            break;
        }
    }
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
