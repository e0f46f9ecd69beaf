/* cli.h: sub-commands of the sluice binary and their shared helpers. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/reader.h"

int cli_inspect(int argc, char **argv);
int cli_cat(int argc, char **argv);
int cli_scan(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_gen(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_config(int argc, char **argv);

/* Print "sluice: msg" to stderr; returns 1 (usage) or 2 (runtime) as given. */
int cli_fail(int code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Open FILE as a Parquet reader; on failure prints the error and returns NULL. */
typedef struct cli_pq {
    sl_source *src;
    pq_reader *r;
} cli_pq;
int cli_pq_open(cli_pq *p, const char *path);
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
