/* sluice config: pipeline files.  --example NAME prints a commented
 * example; --check FILE validates one the way `sluice run --config` would
 * (every plugin, option and input resolved), without running it; --print
 * FILE shows it with every default filled in; --doc writes the options
 * reference of every plugin and the health metrics (docs/pipeline-file.md,
 * docs/pipeline.md are generated from it, so they cannot drift). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/health.h"
#include "pipeline/config.h"
#include "plugins/plugin.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/opt.h"

typedef struct config_cli {
    const char *example, *check, *print;
    bool doc, health_doc;
} config_cli;

static const sl_opt k_config_opts[] = {
    {.name = "example", .type = SL_OPT_T_STRING, SL_OPT_F_(config_cli, example), .arg = "NAME",
     .help = "print a commented example pipeline file (NAME: redset, product_events)"},
    {.name = "check", .type = SL_OPT_T_STRING, SL_OPT_F_(config_cli, check), .arg = "FILE",
     .help = "validate a pipeline file: every plugin, key, value and input (exit 1 naming the key and line)"},
    {.name = "print", .type = SL_OPT_T_STRING, SL_OPT_F_(config_cli, print), .arg = "FILE",
     .help = "print a pipeline file with every option, defaults filled in"},
    {.name = "doc", .type = SL_OPT_T_FLAG, SL_OPT_F_(config_cli, doc), .def = "false",
     .help = "the options of every section and plugin, in Markdown"},
    {.name = "health_doc", .type = SL_OPT_T_FLAG, SL_OPT_F_(config_cli, health_doc), .def = "false",
     .help = "the health metrics (Prometheus names, types, labels, help), in Markdown"},
    SL_OPT_END,
};

static const sl_opt *const k_config_tables[] = {k_config_opts, NULL};
static const sl_opt_cmd k_config_cmd = {
    .name = "config",
    .tables = k_config_tables,
    .usage = "sluice config --example NAME | --check FILE | --print FILE | --doc | --health-doc",
    .about = "Pipeline files (docs/pipeline-file.md): `sluice run --config FILE` runs one.",
    .notes = "Exit status: 0 ok, 1 a bad option or pipeline file, 2 an I/O error.",
};
const sl_opt_cmd *cli_config_doc(void) { return &k_config_cmd; }

/* Every option of one plugin instance with its value, as YAML lines. */
static void print_opts(sl_buf *out, const sl_opt *t, const void *obj, const char *indent) {
    for (size_t i = 0; t && t[i].name; i++) {
        if (t[i].flags & (SL_OPT_CLI_ONLY | SL_OPT_HIDDEN)) continue;
        sl_buf v;
        sl_buf_init(&v);
        sl_opt_format(&t[i], obj, &v);
        sl_buf_printf(out, "%s%s: %s\n", indent, t[i].name, v.len ? sl_buf_cstr(&v) : "~");
        sl_buf_free(&v);
    }
}

static int print_config(const pl_conf *c) {
    const pl_config *cfg = pl_conf_get(c);
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_printf(&b, "schema: %s\ninputs:\n", cfg->schema->name);
    for (size_t i = 0; i < cfg->ninputs; i++) {
        sl_buf_printf(&b, "  - path: %s\n", cfg->inputs[i].path);
        if (cfg->inputs[i].source) sl_buf_printf(&b, "    source: %s\n", cfg->inputs[i].source);
        if (cfg->inputs[i].format) sl_buf_printf(&b, "    format: %s\n", cfg->inputs[i].format->name);
    }
    sl_buf_puts(&b, "replay:\n");
    print_opts(&b, rp_pipeline_replay_opts_table, &cfg->replay, "  ");
    sl_buf_puts(&b, "engine:\n");
    print_opts(&b, en_opts_table, &cfg->engine, "  ");
    sl_buf_puts(&b, "transforms:\n");
    for (size_t i = 0; i < cfg->ntransforms; i++) {
        sl_buf_printf(&b, "  - type: %s\n", cfg->transforms[i].p->name);
        print_opts(&b, cfg->transforms[i].p->opts, cfg->transforms[i].opts, "    ");
    }
    sl_buf_puts(&b, "outputs:\n");
    for (size_t i = 0; i < cfg->noutputs; i++) {
        sl_buf_printf(&b, "  - type: %s\n    name: %s\n", cfg->outputs[i].p->name, cfg->outputs[i].name);
        print_opts(&b, cfg->outputs[i].p->opts, cfg->outputs[i].opts, "    ");
    }
    const sv_opts *so = pl_conf_serve(c);
    if (so->enabled) {
        sl_buf_puts(&b, "serve:\n");
        print_opts(&b, sv_opts_table, so, "  ");
    }
    fputs(sl_buf_cstr(&b), stdout);
    sl_buf_free(&b);
    return 0;
}

static void health_doc(sl_buf *out) {
    sl_buf_puts(out, "| metric | type | label | meaning |\n|---|---|---|---|\n");
    for (int i = 0; i < HL_N; i++)
        sl_buf_printf(out, "| `%s` | %s | %s | %s |\n", hl_defs[i].name, hl_defs[i].type == HL_COUNTER ? "counter" : "gauge",
                      hl_defs[i].label ? hl_defs[i].label : "", hl_defs[i].help);
}

int cli_config(int argc, char **argv) {
    config_cli o;
    char err[SL_ERRLEN];
    sl_opt_cmd cmd = k_config_cmd;
    cmd.objs = (void *const[]){&o};
    int r = cli_parse(&cmd, argc, argv);
    if (r) return r == CLI_HELP ? 0 : r;
    if (o.example) {
        const char *ex = reg_example(o.example);
        if (!ex) {
            sl_buf names;
            sl_buf_init(&names);
            reg_names("example", &names);
            int rc = cli_fail(1, "config: no example named '%s' (the examples: %s)", o.example, sl_buf_cstr(&names));
            sl_buf_free(&names);
            return rc;
        }
        fputs(ex, stdout);
        return 0;
    }
    if (o.doc || o.health_doc) {
        sl_buf b;
        sl_buf_init(&b);
        if (o.doc) pl_conf_doc_md(&b);
        if (o.health_doc) health_doc(&b);
        fputs(sl_buf_cstr(&b), stdout);
        sl_buf_free(&b);
        return 0;
    }
    const char *file = o.check ? o.check : o.print;
    if (!file) return cli_usage(&cmd, stderr);
    cf_doc *d = NULL;
    pl_conf *c = NULL;
    sl_err e = cf_load_file(&d, file, err, sizeof err);
    if (e == SL_OK) e = pl_conf_load(&c, d, err, sizeof err);
    int rc = 0;
    if (e != SL_OK) rc = cli_fail(e == SL_ERR_IO ? 2 : 1, "config: %s", err);
    else if (o.print) rc = print_config(c);
    else fprintf(stderr, "sluice config: %s is a valid pipeline file (%zu input files, %zu transforms, %zu outputs)\n",
                 file, pl_conf_get(c)->ninputs, pl_conf_get(c)->ntransforms, pl_conf_get(c)->noutputs);
    pl_conf_free(c);
    cf_free(d);
    return rc;
}
