/* sluice: streaming event pipeline.  Entry point, command dispatch, and
 * `sluice help` (--md: the command reference, docs/cli.md). */
#include <stdio.h>
#include <string.h>

#include "batch/batch.h"
#include "cli/cli.h"
#include "gen/gen_product.h"
#include "util/buf.h"
#include "util/opt.h"
#include "util/version.h"


static int cli_help(int argc, char **argv);
static const sl_opt_cmd *cli_help_doc(void);
static int cli_version(int argc, char **argv);

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv); /* NULL: a page of the reference only */
    const sl_opt_cmd *(*doc)(void);    /* its options; NULL: none in a table */
    const char *summary;               /* its line in `sluice help` */
    const char *usage;                 /* without doc: the reference's usage line and text */
    const char *about;
} command;

static const command k_commands[] = {
    {"inspect", cli_inspect, cli_inspect_doc, "Parquet schema, row groups, codecs, statistics", NULL, NULL},
    {"cat", cli_cat, cli_cat_doc, "print the rows of a Parquet file as JSON Lines or CSV", NULL, NULL},
    {"scan", cli_scan, cli_scan_doc, "decode everything; per-column count and sum (read benchmark)", NULL, NULL},
    {"convert", cli_convert, cli_convert_doc, "rewrite a Parquet file with sluice's writer", NULL, NULL},
    {"gen", cli_gen, cli_gen_doc, "generate Redset-shaped events (parquet, csv, jsonl)", NULL, NULL},
    {"gen --kind product-events", NULL, gen_product_doc, NULL, NULL, NULL},
    {"replay", cli_replay, cli_replay_doc, "replay events in event-time order, paced (jsonl, csv)", NULL, NULL},
    {"run", cli_run, cli_run_doc, "the pipeline: replay, clean, hour windows, metrics -> hot/cold stores", NULL, NULL},
    {"serve", cli_serve, cli_serve_doc, "dashboard, JSON API and /metrics over the hot store", NULL, NULL},
    {"config", cli_config, cli_config_doc, "pipeline files: examples, validation, options reference", NULL, NULL},
    {"help", cli_help, cli_help_doc, "this list; a command's options; the command reference (--md)", NULL, NULL},
    {"version", cli_version, NULL, "print the version", "sluice version", "Print the version."},
};
#define N_COMMANDS (sizeof k_commands / sizeof *k_commands)

static int usage(FILE *f) {
    fputs("sluice " SLUICE_VERSION " - streaming event pipeline\n\nusage: sluice COMMAND [ARGS]\n\ncommands:\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (k_commands[i].run) fprintf(f, "  %-9s %s\n", k_commands[i].name, k_commands[i].summary);
    fputs("\nRun 'sluice COMMAND --help' for a command's options; docs/cli.md has them all.\n", f);
    return f == stderr ? 1 : 0;
}

static const command *find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (k_commands[i].run && !strcmp(k_commands[i].name, name)) return &k_commands[i];
    return NULL;
}

/* The command reference: every command's usage, text and options. */
static void reference_md(sl_buf *out) {
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const command *c = &k_commands[i];
        sl_buf_printf(out, "%s## `sluice %s`\n\n", i ? "\n" : "", c->name);
        if (c->doc) {
            sl_opt_cmd_doc_md(c->doc(), out);
        } else {
            sl_opt_cmd one = {.usage = c->usage, .about = c->about};
            sl_opt_cmd_doc_md(&one, out);
        }
    }
}

/* ------------------------------------------------------------------ help, version */

typedef struct help_opts {
    bool md;
} help_opts;

static const sl_opt k_help_opts[] = {
    {.name = "md", .type = SL_OPT_T_FLAG, SL_OPT_F_(help_opts, md), .def = "false",
     .help = "the reference of every command and its options, in Markdown (docs/cli.md)"},
    SL_OPT_END,
};
static const sl_opt *const k_help_tables[] = {k_help_opts, NULL};
static const sl_opt_cmd k_help_cmd = {
    .name = "help",
    .tables = k_help_tables,
    .usage = "sluice help [COMMAND] [--md]",
    .about = "The commands; with COMMAND, its options (as `sluice COMMAND --help`).",
};
static const sl_opt_cmd *cli_help_doc(void) { return &k_help_cmd; }

static int cli_help(int argc, char **argv) {
    help_opts o;
    cli_files cmd_arg = {.cmd = "help", .max = 1, .what = "COMMAND"};
    sl_opt_cmd cmd = k_help_cmd;
    cmd.objs = (void *const[]){&o};
    cmd.positional = cli_files_arg;
    cmd.ctx = &cmd_arg;
    int rc = cli_parse(&cmd, argc, argv);
    if (rc) return rc == CLI_HELP ? 0 : rc;
    if (o.md) {
        sl_buf b;
        sl_buf_init(&b);
        reference_md(&b);
        fputs(sl_buf_cstr(&b), stdout);
        sl_buf_free(&b);
        return fflush(stdout) ? cli_fail(2, "write to stdout failed") : 0;
    }
    if (!cmd_arg.n) return usage(stdout);
    const command *c = find_command(cmd_arg.v[0]);
    if (!c) return cli_fail(1, "help: unknown command '%s'", cmd_arg.v[0]);
    return c->run(1, (char *[]){"--help", NULL});
}

static int cli_version(int argc, char **argv) {
    if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
        sl_opt_cmd one = {.usage = "sluice version", .about = "Print the version."};
        return cli_usage(&one, stdout);
    }
    if (argc > 0) return cli_fail(1, "version: unexpected argument '%s'", argv[0]);
    puts("sluice " SLUICE_VERSION);
    return 0;
}

static int dispatch(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    const char *name = argv[1];
    if (!strcmp(name, "--version")) name = "version";
    if (!strcmp(name, "-h") || !strcmp(name, "--help")) name = "help";
    const command *c = find_command(name);
    if (c) return c->run(argc - 2, argv + 2);
    fprintf(stderr, "sluice: unknown command '%s'\n\n", name);
    return usage(stderr);
}

int main(int argc, char **argv) {
    int rc = dispatch(argc, argv);
    sl_blob_pool_drain();
    return rc;
}
