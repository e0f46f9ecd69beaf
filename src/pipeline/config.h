/* config.h: a pipeline file (docs/pipeline-file.md) -> a pipeline
 * configuration (pipeline.h).  Every plugin is found by name in the
 * registry and every option struct is filled from that plugin's option
 * table: defaults first, then the document.  Command-line flags of `sluice
 * run` are a second document merged over the file (pl_conf_merge_flags).
 *
 *   cf_doc *file, *flags;
 *   cf_load_file(&file, "run.yaml", err, sizeof err);
 *   ... build flags with cf_set (each node names its flag) ...
 *   pl_conf_merge_flags(file, flags, err, sizeof err);
 *   pl_conf *c;
 *   if (pl_conf_load(&c, file, err, sizeof err)) fail(err);   // "run.yaml:12: outputs[1].dir: needs a value"
 *   pl_open(&p, pl_conf_get(c), ...);
 *   pl_conf_free(c); cf_free(file);      // after the pipeline is closed
 *
 * The document: a map with the sections
 *   schema: NAME                       (default redset)
 *   inputs: [{path, source, format}]   (required; paths may be globs)
 *   replay: {speed, from, to, memory, tmpdir}
 *   engine: {lateness, duration_cap}
 *   transforms: [{type, <its options>}] (default: the schema's own transforms)
 *   outputs: [{type, name, <its options>}] (default: one sqlite output)
 *   serve: {enabled, listen, listen_any, threads, cache_mb} (serve.h)
 * Unknown keys are errors that name the known ones.  Ownership: the
 * configuration points into the document (strings): keep it alive until
 * pl_conf_free.
 */
#ifndef PL_CONFIG_H
#define PL_CONFIG_H

#include <stdbool.h>

#include "pipeline/pipeline.h"
#include "serve/serve.h"
#include "util/conf.h"
#include "util/err.h"

typedef struct pl_conf pl_conf;


sl_err pl_conf_load(pl_conf **out, const cf_doc *d, char *err, size_t errlen);
const pl_config *pl_conf_get(const pl_conf *c);
/* The serve section, bound to the server's own table (serve.h:
 * sv_opts_table): enabled when the section is present and not `enabled:
 * false` (or --serve / --listen); hot_path and cold_dir are the caller's to
 * fill from the outputs. */
const sv_opts *pl_conf_serve(const pl_conf *c);
void pl_conf_free(pl_conf *c);

/* Merge the flags' document into the file's: scalar sections key by key;
 * an entry of `outputs` / `transforms` into the file's first entry of the
 * same type (or appended); `inputs`, when the flags have any, replace the
 * file's. */
sl_err pl_conf_merge_flags(cf_doc *file, const cf_doc *flags, char *err, size_t errlen);

/* The options of every plugin and section, in Markdown (docs/pipeline-file.md). */
void pl_conf_doc_md(sl_buf *out);

#endif
