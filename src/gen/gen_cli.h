/* gen_cli.h: what the two command-line fronts of `sluice gen` share: the
 * Redset kinds (src/cli/cmd_gen.c) and --kind product-events
 * (gen_product_cli in src/gen/gen_product.c).
 *
 *   gen_cli c;                                  // --out, --files, --summary, --quiet
 *   const sl_opt *const tables[] = {kind_table, gen_cli_table, NULL};
 *   ... sl_opt_parse_argv ...
 *   int fmt = gen_cli_format(format_choice, c.out);   // GEN_FMT_*, 0: the extension does not tell
 *   char *part = gen_cli_part_name(c.out, k);         // FILE-00003.EXT of --files
 *   gen_cli_summary(c.summary, &json, err, sizeof err);
 *
 * The option entries both kinds' tables define alike (the same type, range
 * and message; each kind has its own help) are the GEN_OPT_* initializers.
 * Nothing here prints; errors come back as text for the caller's message.
 */
#ifndef SL_GEN_CLI_H
#define SL_GEN_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"

/* Output options of both kinds. */
typedef struct gen_cli {
    const char *out;     /* NULL: stdout */
    int files;           /* 1..99999 */
    const char *summary; /* NULL, a file, or "-" (stdout) */
    bool quiet;
    int64_t progress_every_us; /* stderr not a terminal: a progress line this often */
} gen_cli;
extern const sl_opt gen_cli_table[];

/* --format: its choices (an ENUM) and what they resolve to. */
#define GEN_FMT_CHOICES "auto|parquet|csv|jsonl|json|ndjson"
enum { GEN_FMT_AUTO = 0, GEN_FMT_PARQUET, GEN_FMT_CSV, GEN_FMT_JSONL };
/* The format of a --format choice, or for auto, of out's extension
 * (.parquet, .csv, .jsonl/.json/.ndjson; no out: JSON Lines on stdout);
 * 0 when out's extension says none of these. */
int gen_cli_format(int choice, const char *out);
/* ".csv" of "dir/x.csv", or NULL. */
const char *gen_cli_ext(const char *path);
/* "dir/x-00003.csv" for part k of --files (malloc'd; NULL: out of memory). */
char *gen_cli_part_name(const char *path, uint64_t k);
/* Write the summary (one JSON object and its newline) to summary: a file, or
 * "-" for stdout.  SL_ERR_IO with "FILE: reason". */
sl_err gen_cli_summary(const char *summary, const sl_buf *json, char *err, size_t errlen);

/* Entries both kinds' tables have: the same type, range and messages (S the
 * options struct, hp the help where the kinds say it differently, sec a
 * --help heading or NULL). */
#define GEN_OPT_ROWS(S, hp) \
    {.name = "rows", .type = SL_OPT_T_INT, SL_OPT_F_(S, rows), .def = "1000000", .min = 1, .max = 9.2e18, .help = hp}
#define GEN_OPT_SEED(S)                                                                                               \
    {.name = "seed", .type = SL_OPT_T_INT, SL_OPT_F_(S, seed), .def = "1", .min = 0, .max = 18446744073709551615.0, \
     .flags = SL_OPT_UNSIGNED, .help = "random seed: the same seed and options give byte-identical output"}
#define GEN_OPT_RANGE(S)                                                                                              \
    {.name = "start", .type = SL_OPT_T_TIME, SL_OPT_F_(S, start_us), .def = "2024-03-01", .arg = "DATE",              \
     .help = "first hour, UTC (floored to the hour): 2024-03-01, 2024-03-01T05"},                              \
    {.name = "end", .type = SL_OPT_T_TIME, SL_OPT_F_(S, end_us), .def = "2024-05-31", .arg = "DATE",                  \
     .help = "end, exclusive (ceiled to the hour)"}
#define GEN_OPT_FRACTION(S, f, nm, sec, hp)                                                                   \
    {.name = nm, .type = SL_OPT_T_DOUBLE, SL_OPT_F_(S, f), .def = "0", .min = 0, .max = 1, .arg = "F",     \
     .expect = "a fraction in [0, 1]", .section = sec, .help = hp}
/* --late was the name of --displaced (rows emitted out of order): a hidden
 * option whose every value is an error pointing to the new name, so it is
 * not taken for `sluice run`'s late events (behind the watermark). */
sl_err gen_cli_renamed_late(void *field, const char *value, char *err, size_t errlen);
#define GEN_OPT_RENAMED_LATE \
    {.name = "late", .type = SL_OPT_T_CUSTOM, .offset = 0, .size = 0, .arg = "F", .flags = SL_OPT_HIDDEN, \
     .parse = gen_cli_renamed_late, .help = "renamed --displaced"}
#define GEN_OPT_DISPLACEMENT(S, lo, hp)                                                                             \
    {.name = "max_displacement", .type = SL_OPT_T_DURATION, SL_OPT_F_(S, max_disp_us), .def = "30m", .min = lo, \
     .max = 9.2e18, .help = hp}
#define GEN_OPT_FORMAT(S, f, hp) \
    {.name = "format", .type = SL_OPT_T_ENUM, SL_OPT_F_(S, f), .def = "auto", .choices = GEN_FMT_CHOICES, .arg = "F", \
     .expect = "parquet, csv or jsonl", .help = hp}
#define GEN_OPT_BATCH_ROWS(S, f, df, hp) \
    {.name = "batch_rows", .type = SL_OPT_T_INT, SL_OPT_F_(S, f), .def = df, .min = 1, .max = 1 << 24, .help = hp}

/* A progress line of either kind (util/progress.h): done of total rows
 * (base rows, or lines with their duplicates: whatever total counts). */
struct sl_progress;
void gen_cli_progress(struct sl_progress *pg, double now, double t0, uint64_t done, uint64_t total);

#endif
