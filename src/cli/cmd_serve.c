/* sluice serve --hot FILE [--cold DIR] [--listen ADDR:PORT] [--listen-any] [--threads N] [--cache-mb N] [--quiet]
 * The dashboard, the JSON API (docs/api.md) and /metrics over a hot store,
 * until SIGINT or SIGTERM.  The flags are the server's option table
 * (serve.h: sv_opts_table). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/serve.h"
#include "util/opt.h"

static const sl_opt *const k_serve_tables[] = {sv_opts_table, NULL};
static const sl_opt_cmd k_serve_cmd = {
    .name = "serve",
    .tables = k_serve_tables,
    .usage = "sluice serve --hot FILE [options]",
    .about = "Serve the dashboard, the JSON API (docs/api.md) and Prometheus /metrics over the hot store FILE\n"
             "(read-only; the pipeline may be writing it, or may not have created it yet: the API answers 503\n"
             "until it exists).  Prints the URL, runs until SIGINT / SIGTERM.",
    .notes = "Exit status: 0 after SIGINT / SIGTERM, 1 bad option or address, 2 cannot listen.",
};
/* serve's options and text (--help; the command reference). */
const sl_opt_cmd *cli_serve_doc(void) { return &k_serve_cmd; }

int cli_serve(int argc, char **argv) {
    sv_opts o;
    char err[SL_ERRLEN];
    sl_opt_cmd cmd = k_serve_cmd;
    cmd.objs = (void *const[]){&o};
    int r = sl_opt_cmd_parse(&cmd, argc, argv, err, sizeof err); /* the table's defaults, then argv */
    if (r == SL_OPT_HELP) return cli_usage(&cmd, stdout);
    if (r != SL_OK) return cli_fail(1, "serve: %s (see sluice serve --help)", err);
    if (!o.hot_path) return cli_fail(1, "serve: --hot FILE is required (see sluice serve --help)");

    /* Block the signals before the server's threads start (they inherit the
     * mask), then wait for one here. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    sv_server *s;
    sl_err e = sv_start(&s, &o, err, sizeof err);
    if (e != SL_OK) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return cli_fail(e == SL_ERR_ARG ? 1 : 2, "serve: %s", err);
    }
    printf("sluice serve: %s (hot store %s)\n", sv_url(s), o.hot_path);
    fflush(stdout);
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    if (!o.quiet) fprintf(stderr, "sluice serve: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sv_stop(s); /* the signals stay blocked: a second one while stopping changes nothing */
    return 0;
}
