/* gen_cli.c: what both command-line fronts of sluice gen share (gen_cli.h). */
#include "gen/gen_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/progress.h"

const sl_opt gen_cli_table[] = {
    {.name = "out", .type = SL_OPT_T_STRING, SL_OPT_F_(gen_cli, out), .alias = "-o", .arg = "FILE",
     .help = "output file (default: stdout, JSON Lines)"},
    {.name = "files", .type = SL_OPT_T_INT, SL_OPT_F_(gen_cli, files), .def = "1", .min = 1, .max = 99999, .arg = "K",
     .help = "split into K files FILE-00000.EXT ... (rows spread evenly; needs --out)"},
    {.name = "summary", .type = SL_OPT_T_STRING, SL_OPT_F_(gen_cli, summary), .arg = "FILE",
     .help = "also write the counts as JSON to FILE ('-' = stdout)"},
    {.name = "quiet", .type = SL_OPT_T_FLAG, SL_OPT_F_(gen_cli, quiet), .def = "false", .alias = "-q",
     .help = "no progress or summary on stderr"},
    {.name = "progress_every", .type = SL_OPT_T_DURATION, SL_OPT_F_(gen_cli, progress_every_us), .def = "10s",
     .min = 1000, .max = 9.2e18, .arg = "DUR",
     .help = "when stderr is not a terminal (Airflow, Kubernetes): a progress line this often with "
             "% done and ETA (on a terminal: one line updated in place)"},
    SL_OPT_END,
};

const char *gen_cli_ext(const char *path) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    return dot && (!slash || dot > slash) ? dot : NULL;
}

int gen_cli_format(int choice, const char *out) {
    static const int of_choice[] = {GEN_FMT_AUTO, GEN_FMT_PARQUET, GEN_FMT_CSV, GEN_FMT_JSONL, GEN_FMT_JSONL, GEN_FMT_JSONL};
    if (choice > 0 && choice < (int)(sizeof of_choice / sizeof *of_choice)) return of_choice[choice];
    if (!out) return GEN_FMT_JSONL;
    const char *ext = gen_cli_ext(out);
    if (!ext) return 0;
    if (!strcmp(ext, ".parquet")) return GEN_FMT_PARQUET;
    if (!strcmp(ext, ".csv")) return GEN_FMT_CSV;
    if (!strcmp(ext, ".jsonl") || !strcmp(ext, ".json") || !strcmp(ext, ".ndjson")) return GEN_FMT_JSONL;
    return 0;
}

char *gen_cli_part_name(const char *path, uint64_t k) {
    const char *ext = gen_cli_ext(path);
    size_t base = ext ? (size_t)(ext - path) : strlen(path);
    size_t n = strlen(path) + 24;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%.*s-%05" PRIu64 "%s", (int)base, path, k, ext ? ext : "");
    return s;
}

sl_err gen_cli_summary(const char *summary, const sl_buf *json, char *err, size_t errlen) {
    FILE *f = !strcmp(summary, "-") ? stdout : fopen(summary, "wb");
    if (!f) return sl_err_set(err, errlen, SL_ERR_IO, "%s: %s", summary, strerror(errno));
    bool ok = fwrite(json->p, 1, json->len, f) == json->len;
    ok = (f != stdout ? fclose(f) == 0 : fflush(f) == 0) && ok;
    return ok ? SL_OK : sl_err_set(err, errlen, SL_ERR_IO, "%s: write failed", summary);
}

sl_err gen_cli_renamed_late(void *field, const char *value, char *err, size_t errlen) {
    (void)field;
    return sl_err_set(err, errlen, SL_ERR_ARG,
                      "renamed: use --displaced %s (the fraction of rows emitted out of order; 'late' is what "
                      "`sluice run` calls events behind the watermark)",
                      value);
}

void gen_cli_progress(sl_progress *pg, double now, double t0, uint64_t done, uint64_t total) {
    char pe[64], msg[256];
    sl_progress_fmt(pg, now, done, total, pe, sizeof pe, NULL, 0);
    double dt = now - t0;
    snprintf(msg, sizeof msg, "%s, %" PRIu64 " of %" PRIu64 " rows, %.0f rows/s", pe, done, total,
             dt > 0 ? (double)done / dt : 0.0);
    sl_progress_print(pg, stderr, "gen", msg);
}
