/* registry.c: every plugin module, one line each (plugin.h).  A new input,
 * schema, transform or output is a file that defines it and one line here. */
#include <string.h>

#include "plugins/plugin.h"

/* One line per module: X(the module each plugin file defines). */
#define PLUGIN_MODULES(X)                                                                          \
    X(pm_redset)      /* tr_redset_metrics.c (+ schema/redset.c): Redshift fleet telemetry */     \
    X(pm_parquet_in)  /* in_parquet.c */                                                           \
    X(pm_text_in)     /* in_text.c: csv, jsonl */                                                  \
    X(pm_sqlite_out)  /* out_sqlite.c: the hot store */                                            \
    X(pm_parquet_out) /* out_parquet.c: the cold store */                                          \
    X(pm_text_out)    /* out_text.c: tables as JSON Lines / CSV files */                          \
    X(pm_product_events) /* product_events.c: Segment-style product analytics events */

#define DECLARE(m) extern const pl_module m;
#define ENTRY(m) &m,
PLUGIN_MODULES(DECLARE)
static const pl_module *const k_modules[] = {PLUGIN_MODULES(ENTRY) NULL};

const pl_module *const *reg_modules(void) { return k_modules; }

#define FIND(field, type, name_of)                                          \
    for (size_t m = 0; k_modules[m]; m++)                                   \
        for (type const *p = k_modules[m]->field; p && *p; p++)             \
            if (!strcmp(name_of(*p), name)) return *p;                      \
    return NULL

static const char *sc_name(const sc_def *d) { return d->name; }
static const char *tr_name(const tr_plugin *p) { return p->name; }
static const char *in_name(const in_plugin *p) { return p->name; }
static const char *out_name(const out_plugin *p) { return p->name; }

const sc_def *reg_schema(const char *name) { FIND(schemas, const sc_def *, sc_name); }
const tr_plugin *reg_transform(const char *name) { FIND(transforms, const tr_plugin *, tr_name); }
const in_plugin *reg_input(const char *name) { FIND(inputs, const in_plugin *, in_name); }
const out_plugin *reg_output(const char *name) { FIND(outputs, const out_plugin *, out_name); }

const in_plugin *const *reg_inputs(void) {
    static const in_plugin *all[32];
    static size_t n;
    if (!n) /* static data: the same answer on every thread */
        for (size_t m = 0; k_modules[m]; m++)
            for (const in_plugin *const *p = k_modules[m]->inputs; p && *p && n < 31; p++) all[n++] = *p;
    return all;
}

const char *reg_example(const char *name) {
    for (size_t m = 0; k_modules[m]; m++)
        if (k_modules[m]->example_name && !strcmp(k_modules[m]->example_name, name)) return k_modules[m]->example;
    return NULL;
}

void reg_names(const char *kind, sl_buf *out) {
    const char *v[64];
    size_t n = 0;
    for (size_t m = 0; k_modules[m]; m++) {
        const pl_module *md = k_modules[m];
        if (!strcmp(kind, "schema"))
            for (const sc_def *const *p = md->schemas; p && *p && n < 64; p++) v[n++] = (*p)->name;
        else if (!strcmp(kind, "transform"))
            for (const tr_plugin *const *p = md->transforms; p && *p && n < 64; p++) v[n++] = (*p)->name;
        else if (!strcmp(kind, "input"))
            for (const in_plugin *const *p = md->inputs; p && *p && n < 64; p++) v[n++] = (*p)->name;
        else if (!strcmp(kind, "output"))
            for (const out_plugin *const *p = md->outputs; p && *p && n < 64; p++) v[n++] = (*p)->name;
        else if (!strcmp(kind, "example") && md->example_name && n < 64)
            v[n++] = md->example_name;
    }
    for (size_t i = 0; i < n; i++) sl_buf_printf(out, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", v[i]);
}
