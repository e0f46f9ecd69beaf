/* conf.h: a configuration tree with positions, loaded from YAML (libyaml)
 * or built from command-line flags, and the binding of its maps to option
 * tables (opt.h).
 *
 *   cf_doc *d;
 *   if (cf_load_file(&d, "run.yaml", err, sizeof err)) fail(err);   // "run.yaml:7:3: mapping values are not allowed here"
 *   cf_node *eng = cf_get(cf_root(d), "engine");
 *   if (eng && cf_bind(d, eng, engine_opts_table, &eo, NULL, err, sizeof err)) fail(err);
 *                                  // "run.yaml:9: engine.lateness: needs a duration like 10m, 90s or 1h30m, got 'soon'"
 *   cf_free(d);
 *
 * A node is a scalar (text), a map (ordered keys, duplicates are an error at
 * load) or a sequence.  Every node knows where it came from: a file and line
 * (from YAML), or the command-line flag that made it ("--k").  Messages name
 * that origin and the node's path from the root (transforms[0].k), so a user
 * can find the value that is wrong.  The document owns every node and
 * string; nodes are valid until cf_free.  Not thread-safe (one thread builds
 * and reads a document; bound option structs may keep pointers into it).
 */
#ifndef SL_CONF_H
#define SL_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"

typedef enum cf_kind { CF_SCALAR = 1, CF_MAP, CF_SEQ } cf_kind;

typedef struct cf_node cf_node;
struct cf_node {
    cf_kind kind;
    const char *key;    /* in a map: the member's key; else NULL */
    const char *value;  /* scalar text ("" for an empty or null scalar); NULL for a map or sequence */
    bool null;          /* YAML null (~, null, empty value) */
    bool quoted;        /* the scalar was quoted ('x' or "x"): never a null or a number */
    int line, col;      /* 1-based position in the file (of the key for a map member, else of the
                           node itself); 0 when from a flag or built */
    const char *flag;   /* the command-line flag that set it ("--k"), or NULL */
    cf_node *parent;
    cf_node *first, *last; /* children (map members or sequence items) */
    cf_node *next;
    size_t n;           /* number of children */
    bool used;          /* read by cf_bind or cf_mark_used (unknown-key checks) */
};

typedef struct cf_doc cf_doc;

/* Parse a YAML document (a JSON document is YAML too).  Errors name the file,
 * line and column.  An empty file is an empty map.  Not read: anchors and
 * aliases, more than one document, nesting deeper than 64, more than 16 MiB
 * (errors).  Tags are ignored, except that a tagged plain scalar is never a
 * null unless the tag is !!null.  A file that is not valid YAML is SL_ERR_ARG
 * (a bad pipeline file, like a bad key); one that cannot be read SL_ERR_IO. */
sl_err cf_load_file(cf_doc **out, const char *path, char *err, size_t errlen);
sl_err cf_load_mem(cf_doc **out, const char *name, const char *text, size_t len, char *err, size_t errlen);
/* An empty document (root: an empty map) for building from flags; name NULL:
 * "command line". */
sl_err cf_new(cf_doc **out, const char *name, char *err, size_t errlen);
void cf_free(cf_doc *d);
cf_node *cf_root(cf_doc *d);
const char *cf_name(const cf_doc *d); /* the file name, or "command line" */

/* Lookups (NULL when absent).  cf_get marks the member used. */
cf_node *cf_get(const cf_node *map, const char *key);
cf_node *cf_at(const cf_node *seq, size_t i);
void cf_mark_used(cf_node *n);

/* Building (the document owns copies of every string).  cf_set replaces an
 * existing member with the same key, in its place (a flag overriding a
 * file); value NULL makes a null.  In a map, cf_add_map/cf_add_seq return the
 * member with that key when it already is a map/sequence (two flags of one
 * section), else add one (replacing a member of another kind); in a
 * sequence they append (key unused).  NULL on a wrong parent or no memory. */
cf_node *cf_add_map(cf_doc *d, cf_node *parent, const char *key);
cf_node *cf_add_seq(cf_doc *d, cf_node *parent, const char *key);
cf_node *cf_set(cf_doc *d, cf_node *map, const char *key, const char *value, const char *flag);
cf_node *cf_append(cf_doc *d, cf_node *seq, const char *value, const char *flag);

/* Where n is, for messages: "run.yaml:12: transforms[0].k" or "--k". */
void cf_where(const cf_doc *d, const cf_node *n, sl_buf *out);
/* Set err to "<where>: <printf text>" and return code.  For a node from a
 * flag, a text starting "needs " follows the flag after a space, like
 * sl_opt_parse_argv: "--k needs an integer in 1..100, got '0'". */
sl_err cf_fail(const cf_doc *d, const cf_node *n, char *err, size_t errlen, sl_err code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Apply every member of map to obj through table t: scalars with
 * sl_opt_set, sequences of scalars with sl_opt_set_list.  Keys in skip
 * (NULL-terminated list, may be NULL) are left for the caller.  An unknown
 * key is an error naming the known ones (and the nearest, "did you mean");
 * the skip keys count as known.  A CLI_ONLY option is unknown in a file but
 * set from a flag.  A null needs a value, except for a STRING with
 * SL_OPT_EMPTY_OK ("") and a FLAG set by a bare flag (true).  Bound members
 * are marked used. */
sl_err cf_bind(const cf_doc *d, cf_node *map, const sl_opt *t, void *obj, const char *const *skip, char *err,
               size_t errlen);

/* Deep-copy src's children into dst (a map): members of src replace the
 * members of dst with the same key, recursively for maps (a flag overrides
 * one key of a section, not the whole section); sequences and scalars are
 * replaced whole.  Copies keep their origin (file and line, or flag), so
 * messages about them still name it.  SL_ERR_ARG when dst or src is not a
 * map. */
sl_err cf_merge(cf_doc *d, cf_node *dst, const cf_doc *sd, const cf_node *src, char *err, size_t errlen);

/* Write n as YAML (for `sluice config --print`): block style, indent spaces
 * before each line, scalars double-quoted when plain text would not read back
 * the same (and when they were quoted), nulls as ~.  Loading the output gives
 * the same tree (bytes that are not UTF-8, possible only in a built tree, are
 * written as \xHH escapes, i.e. as U+00HH). */
void cf_dump(const cf_node *n, int indent, sl_buf *out);

#endif
