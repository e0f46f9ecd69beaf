/* inputs.h: the INPUT... / --source / --input-format handling of `sluice
 * replay` (`sluice run` builds the same from a pipeline file: pipeline/config.h).
 *
 *   cli_inputs in;
 *   cli_inputs_init(&in, "replay");
 *   ... for each positional argument:   rc = cli_inputs_arg(&in, a);
 *   ... for --source LABEL:              rc = cli_inputs_source(&in, v);
 *   ... for --input-format F:            rc = cli_inputs_format(&in, v);
 *   rc = cli_inputs_check(&in);          // no dangling --source, some INPUT
 *   rc = cli_inputs_expand(&in);         // globs -> files: in.v[0..in.n)
 *   rp_replay_open(&r, in.v, in.n, ...);
 *   cli_inputs_free(&in);
 *
 * Every function prints its error ("sluice: CMD: ...") and returns the exit
 * code (1 usage, 2 runtime), or 0.
 */
#ifndef SL_CLI_INPUTS_H
#define SL_CLI_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "replay/replay.h"
#include "util/paths.h"

typedef struct cli_inputs {
    const char *cmd;          /* command name for messages ("replay") */
    /* as given on the command line */
    const char **args, **labels;
    size_t nargs, cap;
    const char *pending_source;
    const in_plugin *format;  /* NULL: by extension, else by content */
    /* after cli_inputs_expand: one entry per file (globs expanded) */
    rp_replay_input *v;
    size_t n;
    sl_paths paths;
} cli_inputs;

void cli_inputs_init(cli_inputs *in, const char *cmd);
/* A positional INPUT (a file or a glob); takes the pending --source. */
int cli_inputs_arg(cli_inputs *in, const char *arg);
/* --source LABEL: the label of the INPUT that follows. */
int cli_inputs_source(cli_inputs *in, const char *label);
/* --input-format parquet|csv|jsonl, for every input. */
int cli_inputs_format(cli_inputs *in, const char *v);
/* After the options: no dangling --source, at least one INPUT. */
int cli_inputs_check(cli_inputs *in);
/* Expand globs (sorted; directories skipped; matching nothing is an error)
 * and check that plain files exist and are not directories. */
int cli_inputs_expand(cli_inputs *in);
void cli_inputs_free(cli_inputs *in);

#endif
