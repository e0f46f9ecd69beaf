/* inputs.h: the INPUT... / --source / --input-format handling and the replay
 * options (--speed, --from, --to, --memory, --tmpdir) shared by the commands
 * that drive a replay (`sluice replay`, `sluice run`).
 *
 *   cli_inputs in;
 *   cli_inputs_init(&in, "run", argc);
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

typedef struct cli_inputs {
    const char *cmd;          /* command name for messages ("replay", "run") */
    /* as given on the command line */
    const char **args, **labels;
    size_t nargs;
    const char *pending_source;
    rp_format format;
    /* after cli_inputs_expand: one entry per file (globs expanded) */
    rp_replay_input *v;
    size_t n, cap;
    char **owned;
    size_t nowned, owncap;
} cli_inputs;

/* argc bounds the number of INPUT arguments.  Returns 0 or 2 (out of memory). */
int cli_inputs_init(cli_inputs *in, const char *cmd, int argc);
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

/* The replay options.  If name is one of --speed, --from, --to, --memory,
 * --tmpdir, parse v into ro / *tmpdir and set *handled; returns 0 or 1
 * (bad value, message names the option). */
int cli_replay_opt(const char *name, const char *v, rp_replay_opts *ro, const char **tmpdir, bool *handled);
/* After parsing: --to after --from, --tmpdir an existing directory. */
int cli_replay_opts_check(const char *cmd, rp_replay_opts *ro, const char *tmpdir);

#endif
