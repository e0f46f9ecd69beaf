/* inputs.c: INPUT lists, globs and --source labels of `sluice replay` (see inputs.h). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/inputs.h"
#include "plugins/plugin.h"

void cli_inputs_init(cli_inputs *in, const char *cmd) {
    memset(in, 0, sizeof *in);
    in->cmd = cmd;
}

int cli_inputs_arg(cli_inputs *in, const char *arg) {
    if (in->nargs == in->cap) {
        size_t nc = in->cap ? in->cap * 2 : 16;
        const char **na = realloc(in->args, nc * sizeof *na), **nl = na ? realloc(in->labels, nc * sizeof *nl) : NULL;
        if (na) in->args = na;
        if (!na || !nl) return cli_fail(2, "out of memory");
        in->labels = nl;
        in->cap = nc;
    }
    in->labels[in->nargs] = in->pending_source;
    in->pending_source = NULL;
    in->args[in->nargs++] = arg;
    return 0;
}

int cli_inputs_source(cli_inputs *in, const char *label) {
    if (in->pending_source)
        return cli_fail(1, "%s: --source '%s' is not followed by an INPUT", in->cmd, in->pending_source);
    if (!*label) return cli_fail(1, "%s: --source needs a non-empty label", in->cmd);
    in->pending_source = label;
    return 0;
}

int cli_inputs_format(cli_inputs *in, const char *v) {
    const char *f = !strcmp(v, "json") || !strcmp(v, "ndjson") ? "jsonl" : v;
    if (!(in->format = reg_input(f))) {
        sl_buf names;
        sl_buf_init(&names);
        reg_names("input", &names);
        int rc = cli_fail(1, "--input-format must be %s, got '%s'", sl_buf_cstr(&names), v);
        sl_buf_free(&names);
        return rc;
    }
    return 0;
}

int cli_inputs_check(cli_inputs *in) {
    if (in->pending_source)
        return cli_fail(1, "%s: --source '%s' is not followed by an INPUT", in->cmd, in->pending_source);
    if (in->nargs == 0) return cli_fail(1, "%s: no INPUT given (see sluice %s --help)", in->cmd, in->cmd);
    return 0;
}

int cli_inputs_expand(cli_inputs *in) {
    char err[SL_ERRLEN];
    size_t cap = 0;
    for (size_t k = 0; k < in->nargs; k++) {
        size_t n0 = in->paths.n;
        sl_err e = sl_paths_add(&in->paths, in->args[k], err, sizeof err);
        if (e != SL_OK) return strncmp(err, "no file", 7) ? cli_fail(2, "%s", err) : cli_fail(2, "%s: %s", in->cmd, err);
        if (in->paths.n > cap) {
            cap = in->paths.n * 2;
            rp_replay_input *nv = realloc(in->v, cap * sizeof *nv);
            if (!nv) return cli_fail(2, "out of memory");
            in->v = nv;
        }
        for (size_t i = n0; i < in->paths.n; i++) in->v[i] = (rp_replay_input){in->paths.v[i], in->labels[k], in->format};
    }
    in->n = in->paths.n;
    return 0;
}

void cli_inputs_free(cli_inputs *in) {
    free(in->v);
    free(in->args);
    free(in->labels);
    sl_paths_free(&in->paths);
    memset(in, 0, sizeof *in);
}
