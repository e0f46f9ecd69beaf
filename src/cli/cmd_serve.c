/* sluice serve --hot FILE [--cold DIR] [--listen ADDR:PORT] [--listen-any] [--threads N] [--quiet]
 * The dashboard, the JSON API (docs/api.md) and /metrics over a hot store,
 * until SIGINT or SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "serve/serve.h"

static int usage(FILE *f) {
    fputs("usage: sluice serve --hot FILE [options]\n"
          "  Serve the dashboard, the JSON API (docs/api.md) and Prometheus /metrics over the hot\n"
          "  store FILE (read-only; the pipeline may be writing it, or may not have created it yet:\n"
          "  the API answers 503 until it exists).  Prints the URL, runs until SIGINT / SIGTERM.\n"
          "\n"
          "  --hot FILE            hot store (SQLite) written by sluice run --hot FILE (required)\n"
          "  --cold DIR            cold store directory (checked; reserved: history is read from the\n"
          "                        hot store only for now)\n"
          "  --listen ADDR:PORT    address (default 127.0.0.1:8080; port 0 = any free port;\n"
          "                        [::1]:PORT for IPv6)\n"
          "  --listen-any          allow a non-loopback address (the API has no authentication)\n"
          "  --threads N           store connections, i.e. answers computed at once (1..64, default 4);\n"
          "                        each HTTP connection has its own thread, cached answers need none\n"
          "  --cache-mb N          response cache budget in MiB (1..4096, default 64)\n"
          "  --quiet               no log lines on stderr\n"
          "\n"
          "Exit status: 0 after SIGINT / SIGTERM, 1 bad option or address, 2 cannot listen.\n",
          f);
    return f == stderr ? 1 : 0;
}

static long parse_int(const char *s, long lo, long hi) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return lo - 1;
    return v;
}

int cli_serve(int argc, char **argv) {
    sv_opts o = sv_opts_default();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return usage(stdout);
        else if (!strcmp(a, "--listen-any")) o.allow_any = true;
        else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) o.quiet = true;
        else if (!strcmp(a, "--hot") && has) o.hot_path = argv[++i];
        else if (!strcmp(a, "--cold") && has) o.cold_dir = argv[++i];
        else if (!strcmp(a, "--listen") && has) o.listen = argv[++i];
        else if (!strcmp(a, "--threads") && has) {
            long v = parse_int(argv[++i], 1, 64);
            if (v < 1) return cli_fail(1, "serve: --threads must be an integer 1..64, got '%s'", argv[i]);
            o.threads = (int)v;
        } else if (!strcmp(a, "--cache-mb") && has) {
            long v = parse_int(argv[++i], 1, 4096);
            if (v < 1) return cli_fail(1, "serve: --cache-mb must be an integer 1..4096, got '%s'", argv[i]);
            o.cache_mb = (size_t)v;
        } else if (!strcmp(a, "--hot") || !strcmp(a, "--cold") || !strcmp(a, "--listen") || !strcmp(a, "--threads") ||
                   !strcmp(a, "--cache-mb"))
            return cli_fail(1, "serve: %s needs a value", a);
        else return cli_fail(1, "serve: unknown argument '%s' (see sluice serve --help)", a);
    }
    if (!o.hot_path) return cli_fail(1, "serve: --hot FILE is required (see sluice serve --help)");

    /* Block the signals before the server's threads start (they inherit the
     * mask), then wait for one here. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    char err[SL_ERRLEN];
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
