/* sluice: streaming event pipeline.  Entry point and command dispatch. */
#include <stdio.h>
#include <string.h>

#include "batch/batch.h"
#include "cli/cli.h"

#define SLUICE_VERSION "0.1.0"

static int usage(FILE *f) {
    fputs("sluice " SLUICE_VERSION " - streaming event pipeline\n"
          "\n"
          "usage: sluice COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  inspect FILE [--json]                      Parquet schema, row groups, codecs, statistics\n"
          "  cat FILE [--columns a,b] [--limit N] [--format jsonl|csv]\n"
          "                                             print rows as JSON Lines or CSV\n"
          "  scan FILE [--columns a,b]                  decode everything; per-column count and sum (benchmark)\n"
          "  convert IN OUT [--codec zstd|snappy|none] rewrite a Parquet file with sluice's writer\n"
          "  gen [--rows N] [--out FILE] [options]      generate Redset-shaped events (parquet, csv, jsonl)\n"
          "  replay INPUT... [--speed N|max] [options]  replay events in event-time order, paced (jsonl, csv)\n"
          "  run INPUT... [--hot FILE] [--cold DIR]     the pipeline: replay, clean, hour windows, metrics -> hot/cold stores\n"
          "  run --config FILE [options]                the pipeline from a pipeline file (flags override it)\n"
          "  serve --hot FILE [--listen ADDR:PORT]      dashboard, JSON API and /metrics over the hot store\n"
          "  config --example NAME | --check FILE       pipeline files: examples, validation, options reference\n"
          "  version                                    print the version\n"
          "\n"
          "Run 'sluice COMMAND --help' for a command's options.\n",
          f);
    return f == stderr ? 1 : 0;
}

static int dispatch(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "inspect")) return cli_inspect(argc - 2, argv + 2);
    if (!strcmp(cmd, "cat")) return cli_cat(argc - 2, argv + 2);
    if (!strcmp(cmd, "scan")) return cli_scan(argc - 2, argv + 2);
    if (!strcmp(cmd, "convert")) return cli_convert(argc - 2, argv + 2);
    if (!strcmp(cmd, "gen")) return cli_gen(argc - 2, argv + 2);
    if (!strcmp(cmd, "replay")) return cli_replay(argc - 2, argv + 2);
    if (!strcmp(cmd, "run")) return cli_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "serve")) return cli_serve(argc - 2, argv + 2);
    if (!strcmp(cmd, "config")) return cli_config(argc - 2, argv + 2);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        puts("sluice " SLUICE_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) return usage(stdout);
    fprintf(stderr, "sluice: unknown command '%s'\n\n", cmd);
    return usage(stderr);
}

int main(int argc, char **argv) {
    int rc = dispatch(argc, argv);
    sl_blob_pool_drain();
    return rc;
}
