/* config.c: a pipeline file -> a pipeline configuration (see config.h). */
#include "pipeline/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plugins/plugin.h"
#include "util/paths.h"

/* An input entry. */
typedef struct in_opts {
    const char *path;
    const char *source;
    const char *format;
} in_opts;

static const sl_opt in_opts_table[] = {
    {.name = "path", .type = SL_OPT_T_STRING, SL_OPT_F_(in_opts, path), .flags = SL_OPT_REQUIRED, .arg = "PATH",
     .help = "a file or a glob ('data/*.parquet')"},
    {.name = "source", .type = SL_OPT_T_STRING, SL_OPT_F_(in_opts, source), .arg = "LABEL",
     .help = "the input's label (instance ids repeat across fleets: every per-instance key has it); default: from the "
             "file name"},
    {.name = "format", .type = SL_OPT_T_STRING, SL_OPT_F_(in_opts, format), .arg = "FORMAT",
     .help = "parquet, csv or jsonl (default: by extension, else by content)"},
    SL_OPT_END,
};

struct pl_conf {
    const sc_schema *schema;
    sl_paths paths;          /* expanded input files (owned) */
    rp_replay_input *inputs;
    en_transform *tr;
    pl_output *out;
    void **opts;             /* option structs of transforms and outputs (owned) */
    size_t nopts;
    pl_config cfg;
    sv_opts serve;
};

#define NOMEM() sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory")

static void *new_opts(pl_conf *c, size_t size) {
    void **no = realloc(c->opts, (c->nopts + 1) * sizeof *no);
    if (!no) return NULL;
    c->opts = no;
    void *o = calloc(1, size ? size : 1);
    if (o) c->opts[c->nopts++] = o;
    return o;
}

/* The plugin name of an entry (its `type`), or an error naming the choices. */
static sl_err entry_type(const cf_doc *d, cf_node *entry, const char *kind, const char **out, char *err, size_t errlen) {
    if (!entry || entry->kind != CF_MAP)
        return cf_fail(d, entry, err, errlen, SL_ERR_ARG, "needs a map with a type (%s)", kind);
    cf_node *t = cf_get(entry, "type");
    if (!t || t->kind != CF_SCALAR || t->null || !*t->value) {
        sl_buf names;
        sl_buf_init(&names);
        reg_names(kind, &names);
        sl_err e = cf_fail(d, entry, err, errlen, SL_ERR_ARG, "needs a type: %s", sl_buf_cstr(&names));
        sl_buf_free(&names);
        return e;
    }
    *out = t->value;
    return SL_OK;
}

static sl_err unknown_plugin(const cf_doc *d, cf_node *node, const char *kind, const char *name, char *err,
                             size_t errlen) {
    sl_buf names;
    sl_buf_init(&names);
    reg_names(kind, &names);
    sl_err e = cf_fail(d, node, err, errlen, SL_ERR_ARG, "no %s named '%s' (the %ss: %s)", kind, name, kind,
                       sl_buf_cstr(&names));
    sl_buf_free(&names);
    return e;
}

/* Defaults, the entry's members, the plugin's cross-option check. */
static sl_err plugin_opts(pl_conf *c, const cf_doc *d, cf_node *entry, const sl_opt *table, size_t size,
                          sl_err (*check)(const void *, char *, size_t), const char *const *skip, void **out, char *err,
                          size_t errlen) {
    void *o = new_opts(c, size);
    if (!o) return NOMEM();
    sl_err e = table ? sl_opt_defaults(table, o, err, errlen) : SL_OK;
    if (e == SL_OK && entry) e = cf_bind(d, entry, table ? table : (const sl_opt[]){SL_OPT_END}, o, skip, err, errlen);
    /* required options */
    for (size_t i = 0; e == SL_OK && table && table[i].name; i++) {
        if (!(table[i].flags & SL_OPT_REQUIRED)) continue;
        cf_node *v = entry ? cf_get(entry, table[i].name) : NULL;
        if (!v) e = cf_fail(d, entry, err, errlen, SL_ERR_ARG, "needs %s: %s", table[i].name, table[i].help);
    }
    if (e == SL_OK && check && (e = check(o, err, errlen)) != SL_OK) {
        char tmp[SL_ERRLEN];
        snprintf(tmp, sizeof tmp, "%s", err);
        e = cf_fail(d, entry, err, errlen, e, "%s", tmp);
    }
    *out = o;
    return e;
}

static sl_err load_inputs(pl_conf *c, const cf_doc *d, cf_node *root, char *err, size_t errlen) {
    cf_node *seq = cf_get(root, "inputs");
    if (!seq || (seq->kind == CF_SEQ && seq->n == 0))
        return cf_fail(d, seq ? seq : root, err, errlen, SL_ERR_ARG, "no input given (inputs: a list of {path: FILE})");
    if (seq->kind != CF_SEQ) return cf_fail(d, seq, err, errlen, SL_ERR_ARG, "needs a list of inputs ({path: FILE})");
    size_t cap = 0;
    for (size_t i = 0; i < seq->n; i++) {
        cf_node *ent = cf_at(seq, i);
        in_opts io;
        sl_err e = sl_opt_defaults(in_opts_table, &io, err, errlen);
        /* a bare string is a path */
        if (e == SL_OK && ent->kind == CF_SCALAR) {
            io.path = ent->value;
        } else if (e == SL_OK) {
            if (ent->kind != CF_MAP) return cf_fail(d, ent, err, errlen, SL_ERR_ARG, "needs {path: FILE} or a path");
            e = cf_bind(d, ent, in_opts_table, &io, NULL, err, errlen);
            if (e == SL_OK && !io.path) return cf_fail(d, ent, err, errlen, SL_ERR_ARG, "needs path: a file or a glob");
        }
        if (e != SL_OK) return e;
        const in_plugin *fmt = NULL;
        if (io.format) {
            /* json and ndjson are JSON Lines too */
            const char *f = !strcmp(io.format, "json") || !strcmp(io.format, "ndjson") ? "jsonl" : io.format;
            fmt = reg_input(f);
            if (!fmt) {
                cf_node *fn = ent->kind == CF_MAP ? cf_get(ent, "format") : ent;
                return unknown_plugin(d, fn ? fn : ent, "input", io.format, err, errlen);
            }
        }
        size_t n0 = c->paths.n;
        cf_node *pn = ent->kind == CF_MAP ? cf_get(ent, "path") : ent;
        if ((e = sl_paths_add(&c->paths, io.path, err, errlen)) != SL_OK) {
            /* an INPUT of the command line: the message as every command gives it */
            if (pn && pn->flag && !strcmp(pn->flag, io.path)) return e;
            char tmp[SL_ERRLEN];
            snprintf(tmp, sizeof tmp, "%s", err);
            return cf_fail(d, pn ? pn : ent, err, errlen, e, "%s", tmp);
        }
        if (c->paths.n > cap) {
            cap = c->paths.n * 2;
            rp_replay_input *ni = realloc(c->inputs, cap * sizeof *ni);
            if (!ni) return NOMEM();
            c->inputs = ni;
        }
        for (size_t k = n0; k < c->paths.n; k++) c->inputs[k] = (rp_replay_input){c->paths.v[k], io.source, fmt};
    }
    c->cfg.inputs = c->inputs;
    c->cfg.ninputs = c->paths.n;
    return SL_OK;
}

static sl_err load_replay(pl_conf *c, const cf_doc *d, cf_node *root, char *err, size_t errlen) {
    rp_replay_opts *ro = &c->cfg.replay;
    *ro = rp_replay_opts_default();
    sl_err e = sl_opt_defaults(rp_pipeline_replay_opts_table, ro, err, errlen);
    cf_node *sec = cf_get(root, "replay");
    if (e != SL_OK || !sec) return e;
    if (sec->kind != CF_MAP) return cf_fail(d, sec, err, errlen, SL_ERR_ARG, "needs a map of replay options");
    if ((e = cf_bind(d, sec, rp_pipeline_replay_opts_table, ro, NULL, err, errlen)) != SL_OK) return e;
    cf_node *to = cf_get(sec, "to"), *from = cf_get(sec, "from");
    if (ro->from_us >= ro->to_us) {
        sl_buf a;
        sl_buf_init(&a);
        cf_where(d, from, &a);
        sl_err r = cf_fail(d, to, err, errlen, SL_ERR_ARG, "must be after %s", sl_buf_cstr(&a));
        sl_buf_free(&a);
        return r;
    }
    if (ro->tmpdir) {
        struct stat st;
        cf_node *tn = cf_get(sec, "tmpdir");
        if (stat(ro->tmpdir, &st) != 0)
            return cf_fail(d, tn, err, errlen, SL_ERR_IO, "%s: %s", ro->tmpdir, strerror(errno));
        if (!S_ISDIR(st.st_mode)) return cf_fail(d, tn, err, errlen, SL_ERR_IO, "%s: not a directory", ro->tmpdir);
    }
    return SL_OK;
}

static sl_err load_transforms(pl_conf *c, const cf_doc *d, cf_node *root, char *err, size_t errlen) {
    cf_node *seq = cf_get(root, "transforms");
    static const char *const skip[] = {"type", NULL};
    if (seq && seq->kind != CF_SEQ) return cf_fail(d, seq, err, errlen, SL_ERR_ARG, "needs a list of transforms");
    size_t n = 0;
    const tr_plugin *defaults[16];
    if (!seq) { /* the schema's own transforms: those of its module */
        for (const pl_module *const *m = reg_modules(); *m; m++)
            for (const sc_def *const *s = (*m)->schemas; s && *s; s++)
                if (*s == c->schema->def)
                    for (const tr_plugin *const *t = (*m)->transforms; t && *t && n < 16; t++) defaults[n++] = *t;
    } else {
        n = seq->n;
    }
    c->tr = calloc(n ? n : 1, sizeof *c->tr);
    if (!c->tr) return NOMEM();
    for (size_t i = 0; i < n; i++) {
        cf_node *ent = seq ? cf_at(seq, i) : NULL;
        const tr_plugin *p = seq ? NULL : defaults[i];
        if (seq) {
            const char *type;
            sl_err e = entry_type(d, ent, "transform", &type, err, errlen);
            if (e != SL_OK) return e;
            if (!(p = reg_transform(type))) return unknown_plugin(d, cf_get(ent, "type"), "transform", type, err, errlen);
        }
        void *o;
        sl_err e = plugin_opts(c, d, ent, p->opts, p->opts_size, p->check, skip, &o, err, errlen);
        if (e != SL_OK) return e;
        c->tr[i] = (en_transform){p, o};
    }
    c->cfg.transforms = c->tr;
    c->cfg.ntransforms = n;
    return SL_OK;
}

static sl_err load_outputs(pl_conf *c, const cf_doc *d, cf_node *root, char *err, size_t errlen) {
    cf_node *seq = cf_get(root, "outputs");
    static const char *const skip[] = {"type", "name", NULL};
    if (seq && seq->kind != CF_SEQ) return cf_fail(d, seq, err, errlen, SL_ERR_ARG, "needs a list of outputs");
    size_t n = seq ? seq->n : 1;
    c->out = calloc(n ? n : 1, sizeof *c->out);
    if (!c->out) return NOMEM();
    for (size_t i = 0; i < n; i++) {
        cf_node *ent = seq ? cf_at(seq, i) : NULL;
        const out_plugin *p = reg_output("sqlite");
        const char *name = NULL;
        if (seq) {
            const char *type;
            sl_err e = entry_type(d, ent, "output", &type, err, errlen);
            if (e != SL_OK) return e;
            if (!(p = reg_output(type))) return unknown_plugin(d, cf_get(ent, "type"), "output", type, err, errlen);
            cf_node *nm = cf_get(ent, "name");
            if (nm && (nm->kind != CF_SCALAR || nm->null || !*nm->value))
                return cf_fail(d, nm, err, errlen, SL_ERR_ARG, "needs a name (letters, digits, '-', '_')");
            if (nm) name = nm->value;
        }
        void *o;
        sl_err e = plugin_opts(c, d, ent, p->opts, p->opts_size, p->check, skip, &o, err, errlen);
        if (e != SL_OK) return e;
        c->out[i] = (pl_output){p, o, name ? name : p->instance};
        for (size_t k = 0; k < i; k++)
            if (!strcmp(c->out[k].name, c->out[i].name))
                return cf_fail(d, ent, err, errlen, SL_ERR_ARG,
                               "two outputs are named '%s' (give one a different `name:`)", c->out[i].name);
    }
    c->cfg.outputs = c->out;
    c->cfg.noutputs = n;
    return SL_OK;
}

static const char *const k_sections[] = {"schema",     "inputs",  "replay", "engine", "transforms",
                                         "outputs",    "serve",   "pipeline", NULL};

sl_err pl_conf_load(pl_conf **out, const cf_doc *cd, char *err, size_t errlen) {
    *out = NULL;
    cf_doc *d = (cf_doc *)cd; /* marking members used is not a change of the document */
    cf_node *root = cf_root(d);
    pl_conf *c = calloc(1, sizeof *c);
    if (!c) return NOMEM();
    sl_err e = SL_OK;
    /* unknown top-level keys */
    for (cf_node *m = root->first; m && e == SL_OK; m = m->next) {
        bool known = false;
        for (size_t k = 0; k_sections[k]; k++) known |= !strcmp(m->key, k_sections[k]);
        if (!known)
            e = cf_fail(d, m, err, errlen, SL_ERR_ARG,
                        "unknown section '%s' (the sections: schema, inputs, replay, engine, transforms, outputs, serve, "
                        "pipeline)",
                        m->key);
    }
    /* schema */
    if (e == SL_OK) {
        cf_node *sn = cf_get(root, "schema");
        const char *name = sn && sn->kind == CF_SCALAR && !sn->null ? sn->value : "redset";
        const sc_def *def = reg_schema(name);
        if (sn && sn->kind != CF_SCALAR) e = cf_fail(d, sn, err, errlen, SL_ERR_ARG, "needs a schema name");
        else if (!def) e = unknown_plugin(d, sn ? sn : root, "schema", name, err, errlen);
        else e = sc_open(&c->schema, def, err, errlen);
    }
    if (e == SL_OK) {
        c->cfg.schema = c->schema;
        e = load_inputs(c, d, root, err, errlen);
    }
    if (e == SL_OK) e = load_replay(c, d, root, err, errlen);
    if (e == SL_OK) {
        cf_node *sec = cf_get(root, "engine");
        en_opts_default(&c->cfg.engine, c->schema);
        if (sec && sec->kind != CF_MAP) e = cf_fail(d, sec, err, errlen, SL_ERR_ARG, "needs a map of engine options");
        else if (sec) e = cf_bind(d, sec, en_opts_table, &c->cfg.engine, NULL, err, errlen);
    }
    if (e == SL_OK) {
        cf_node *sec = cf_get(root, "pipeline");
        pl_opts po = {0};
        e = sl_opt_defaults(pl_opts_table, &po, err, errlen);
        if (e != SL_OK) {
        } else if (sec && sec->kind != CF_MAP) e = cf_fail(d, sec, err, errlen, SL_ERR_ARG, "needs a map of pipeline options");
        else if (sec) e = cf_bind(d, sec, pl_opts_table, &po, NULL, err, errlen);
        c->cfg.tick_s = (double)po.commit_interval_us / 1e6;
    }
    if (e == SL_OK) e = load_transforms(c, d, root, err, errlen);
    if (e == SL_OK) e = load_outputs(c, d, root, err, errlen);
    if (e == SL_OK) {
        cf_node *sec = cf_get(root, "serve");
        c->serve = sv_opts_default();
        c->serve.enabled = sec != NULL;
        if (sec && sec->kind == CF_MAP) e = cf_bind(d, sec, sv_opts_table, &c->serve, NULL, err, errlen);
        else if (sec && !(sec->kind == CF_SCALAR && sec->null))
            e = cf_fail(d, sec, err, errlen, SL_ERR_ARG, "needs a map (enabled, listen, listen_any, threads, cache_mb)");
    }
    if (e != SL_OK) {
        pl_conf_free(c);
        return e;
    }
    *out = c;
    return SL_OK;
}

const pl_config *pl_conf_get(const pl_conf *c) { return &c->cfg; }
const sv_opts *pl_conf_serve(const pl_conf *c) { return &c->serve; }

void pl_conf_free(pl_conf *c) {
    if (!c) return;
    sc_close(c->schema);
    sl_paths_free(&c->paths);
    free(c->inputs);
    free(c->tr);
    free(c->out);
    for (size_t i = 0; i < c->nopts; i++) free(c->opts[i]);
    free(c->opts);
    free(c);
}

/* ------------------------------------------------------------------ flags over a file */

/* The first entry of seq whose type is type. */
static cf_node *entry_of(cf_node *seq, const char *type) {
    for (cf_node *e = seq ? seq->first : NULL; e; e = e->next) {
        if (e->kind != CF_MAP) continue;
        cf_node *t = cf_get(e, "type");
        if (t && t->kind == CF_SCALAR && !strcmp(t->value, type)) return e;
    }
    return NULL;
}

sl_err pl_conf_merge_flags(cf_doc *file, const cf_doc *flags, char *err, size_t errlen) {
    cf_node *root = cf_root(file), *froot = cf_root((cf_doc *)flags);
    for (cf_node *m = froot->first; m; m = m->next) {
        sl_err e = SL_OK;
        if ((!strcmp(m->key, "outputs") || !strcmp(m->key, "transforms")) && m->kind == CF_SEQ) {
            cf_node *seq = cf_get(root, m->key);
            if (seq && seq->kind != CF_SEQ) seq = NULL;
            for (cf_node *fe = m->first; fe && e == SL_OK; fe = fe->next) {
                cf_node *t = cf_get(fe, "type");
                cf_node *dst = seq && t ? entry_of(seq, t->value) : NULL;
                if (!dst) {
                    if (!seq && !(seq = cf_add_seq(file, root, m->key))) return NOMEM();
                    if (!(dst = cf_add_map(file, seq, NULL))) return NOMEM();
                }
                e = cf_merge(file, dst, flags, fe, err, errlen);
            }
        } else if (!strcmp(m->key, "inputs") && m->kind == CF_SEQ) {
            if (!cf_set(file, root, "inputs", NULL, NULL)) return NOMEM(); /* the flags' inputs replace the file's */
            cf_node *seq = cf_add_seq(file, root, "inputs");
            if (!seq) return NOMEM();
            for (cf_node *fe = m->first; fe && e == SL_OK; fe = fe->next) {
                cf_node *dst = cf_add_map(file, seq, NULL);
                if (!dst) return NOMEM();
                e = cf_merge(file, dst, flags, fe, err, errlen);
            }
        } else if (m->kind == CF_MAP) {
            cf_node *dst = cf_add_map(file, root, m->key);
            if (!dst) return NOMEM();
            e = cf_merge(file, dst, flags, m, err, errlen);
        } else {
            if (!cf_set(file, root, m->key, m->null ? NULL : m->value, m->flag)) return NOMEM();
        }
        if (e != SL_OK) return e;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ docs */

void pl_conf_doc_md(sl_buf *out) {
    sl_buf_puts(out, "### inputs[] (each input)\n\n");
    sl_opt_doc_md(in_opts_table, out);
    sl_buf_puts(out, "\n### replay\n\n");
    sl_opt_doc_md(rp_pipeline_replay_opts_table, out);
    sl_buf_puts(out, "\n### engine\n\n");
    sl_opt_doc_md(en_opts_table, out);
    sl_buf_puts(out, "\n### pipeline\n\n");
    sl_opt_doc_md(pl_opts_table, out);
    for (const pl_module *const *m = reg_modules(); *m; m++)
        for (const tr_plugin *const *t = (*m)->transforms; t && *t; t++) {
            sl_buf_printf(out, "\n### transforms[]: type `%s`\n\n%s.\n\n", (*t)->name, (*t)->help);
            if ((*t)->opts) sl_opt_doc_md((*t)->opts, out);
        }
    for (const pl_module *const *m = reg_modules(); *m; m++)
        for (const out_plugin *const *o = (*m)->outputs; o && *o; o++) {
            sl_buf_printf(out, "\n### outputs[]: type `%s` (default name `%s`)\n\n%s.\n\n", (*o)->name, (*o)->instance,
                          (*o)->help);
            sl_opt_doc_md((*o)->opts, out);
        }
    sl_buf_puts(out, "\n### serve\n\n");
    sl_opt_doc_md(sv_opts_table, out);
    sl_buf_puts(out, "\n### schemas\n\n| name | what |\n|---|---|\n");
    for (const pl_module *const *m = reg_modules(); *m; m++)
        for (const sc_def *const *s = (*m)->schemas; s && *s; s++) sl_buf_printf(out, "| `%s` | %s |\n", (*s)->name, (*s)->help);
    sl_buf_puts(out, "\n### input formats\n\n| format | extensions | what |\n|---|---|---|\n");
    for (const pl_module *const *m = reg_modules(); *m; m++)
        for (const in_plugin *const *i = (*m)->inputs; i && *i; i++) {
            sl_buf_printf(out, "| `%s` | ", (*i)->name);
            for (const char *const *x = (*i)->extensions; x && *x; x++)
                sl_buf_printf(out, "%s`%s`", x == (*i)->extensions ? "" : ", ", *x);
            sl_buf_printf(out, " | %s |\n", (*i)->help);
        }
}
