/* cli.h: sub-commands of the sluice binary and their shared helpers. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "parquet/reader.h"
#include "util/opt.h"

int cli_inspect(int argc, char **argv);
int cli_cat(int argc, char **argv);
int cli_scan(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_gen(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_config(int argc, char **argv);

/* Each command's option tables and documentation: what its --help prints
 * and `sluice help --md` (docs/cli.md) writes.  objs, positional, after and
 * ctx are NULL: a command copies its descriptor and adds them to parse. */
const sl_opt_cmd *cli_inspect_doc(void);
const sl_opt_cmd *cli_cat_doc(void);
const sl_opt_cmd *cli_scan_doc(void);
const sl_opt_cmd *cli_convert_doc(void);
const sl_opt_cmd *cli_gen_doc(void);
const sl_opt_cmd *cli_replay_doc(void);
const sl_opt_cmd *cli_run_doc(void);
const sl_opt_cmd *cli_serve_doc(void);
const sl_opt_cmd *cli_config_doc(void);

/* Print cmd's --help on f; returns 0 (stdout: asked for) or 1 (stderr: a usage error). */
int cli_usage(const sl_opt_cmd *cmd, FILE *f);
/* Every table's defaults into its object, then argv (sl_opt_parse_argv).
 * Returns 0 to go on; CLI_HELP after printing --help on stdout (exit 0); 1
 * after printing a usage error ("sluice: <message>"; a callback's empty
 * message: printed already). */
#define CLI_HELP (-1)
int cli_parse(const sl_opt_cmd *cmd, int argc, char **argv);

/* FILE arguments of cat, scan, inspect (max 1) and convert (IN OUT): the
 * positional callback of sl_opt_cmd, ctx a cli_files. */
typedef struct cli_files {
    const char *cmd;  /* "cat": messages */
    int max, n;
    const char *what; /* max 1: what the argument is, for messages (NULL: "FILE") */
    const char *v[2];
} cli_files;
sl_err cli_files_arg(void *ctx, const char *word, char *err, size_t errlen);
/* cli_parse for such a command: doc's one table into obj, the FILE
 * arguments into files; fewer than files->max of them: --help on stderr, 1. */
int cli_parse_files(const sl_opt_cmd *doc, void *obj, cli_files *files, int argc, char **argv);

/* --codec of the commands that write Parquet (convert, gen): an ENUM over
 * CLI_CODEC_CHOICES, the codecs pq_compress writes; cli_codec maps its value
 * to the writer's codec (lz4 = lz4_raw: the Hadoop-framed LZ4 is deprecated;
 * uncompressed = none).  One entry for both commands: the same set. */
#define CLI_CODEC_CHOICES "zstd|snappy|gzip|brotli|lz4_raw|lz4|none|uncompressed"
#define CLI_OPT_CODEC(S, f)                                                                                         \
    {.name = "codec", .type = SL_OPT_T_ENUM, SL_OPT_F_(S, f), .def = "zstd", .choices = CLI_CODEC_CHOICES, .arg = "C", \
     .expect = "zstd, snappy, gzip, brotli, lz4_raw (lz4) or none (uncompressed)",                                   \
     .help = "Parquet codec: zstd, snappy, gzip, brotli, lz4_raw (lz4 is the same) or none (uncompressed)"}
pq_codec cli_codec(int choice);
/* --row-group-rows of the same commands (a size_t field). */
#define CLI_OPT_ROW_GROUP_ROWS(S, f)                                                                              \
    {.name = "row_group_rows", .type = SL_OPT_T_INT, SL_OPT_F_(S, f), .def = "1048576", .min = 1, .max = 9.2e18, \
     .expect = "a positive integer", .help = "Parquet rows per row group"}

/* Print "sluice: msg" to stderr; returns 1 (usage) or 2 (runtime) as given. */
int cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Open FILE as a Parquet reader; on failure prints the error and returns its
 * exit code.  A glob (no file of that name) must match one file: matching
 * none is "CMD: no file matches 'GLOB'", as for every command taking globs. */
typedef struct cli_pq {
    sl_source *src;
    pq_reader *r;
    char *path; /* the file a glob matched (owned), or NULL */
} cli_pq;
int cli_pq_open(cli_pq *p, const char *cmd, const char *path);
void cli_pq_close(cli_pq *p);

/* Split "a,b,c" into a NULL-terminated malloc'd array (strings in one block). */
char **cli_split_list(const char *s, size_t *n);
/* Apply --columns (may be NULL); prints and returns non-zero on error.
 * Warns on stderr about unsupported columns skipped from the default set. */
int cli_select_columns(cli_pq *p, const char *list);
/* Peak resident set size of this process in bytes. */
size_t cli_peak_rss(void);
/* ISO-8601 UTC text of a microsecond timestamp into out ("-" for INT64_MIN). */
void cli_fmt_time(char *out, size_t n, int64_t us);

#endif
