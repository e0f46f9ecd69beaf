/* opt.h: declarative option tables.  One table per options struct drives
 * the command-line parser, the pipeline file's keys, the --help text and the
 * options section of the docs, so an option's name, type, default, range and
 * help are written exactly once (librdkafka's rd_kafka_properties[], Fluent
 * Bit's flb_config_map).
 *
 *   typedef struct my_opts { int64_t lateness_us; int k; bool quiet; } my_opts;
 *   static const sl_opt my_table[] = {
 *       SL_OPT_DURATION(my_opts, lateness_us, "lateness", "10m", "allowed lateness of the watermark"),
 *       SL_OPT_INT(my_opts, k, "k", "10", 1, 1000000, "ranks kept per instance and hour"),
 *       SL_OPT_FLAG(my_opts, quiet, "quiet", "no progress line"),
 *       SL_OPT_END
 *   };
 *   my_opts o;
 *   sl_opt_defaults(my_table, &o);                          // every default, parsed from its text
 *   sl_opt_set(sl_opt_find(my_table, "k"), &o, "12", err, sizeof err);
 *
 * Values are text (an argv word, a scalar of the pipeline file).  A bad value
 * gets a message "needs <what the option takes>, got '<value>'" that the
 * caller prefixes with where the value came from ("--k", "run.yaml:12:
 * transforms[0].k").  Tables end with SL_OPT_END (name NULL).  A string
 * option stores a pointer the caller keeps alive (argv, a config tree).
 * Thread-safe: tables are constant.
 */
#ifndef SL_OPT_H
#define SL_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef enum sl_opt_type {
    SL_OPT_T_FLAG = 1, /* bool: "--x" alone sets it; a value: true/false/yes/no/on/off/1/0 */
    SL_OPT_T_INT,      /* int, int32_t or int64_t (by field size) in [min, max] */
    SL_OPT_T_DOUBLE,   /* double in [min, max] (finite); SL_OPT_MIN_EXCL: > min */
    SL_OPT_T_STRING,   /* const char * (non-empty unless SL_OPT_EMPTY_OK) */
    SL_OPT_T_DURATION, /* int64_t microseconds (sl_parse_duration), in [min, max] us */
    SL_OPT_T_SIZE,     /* size_t bytes (sl_parse_size), in [min, max] */
    SL_OPT_T_TIME,     /* int64_t microseconds since the epoch (sl_parse_time) */
    SL_OPT_T_ENUM,     /* int: index of the value in choices ("jsonl|csv") */
    SL_OPT_T_DOUBLES,  /* double[count]: "1,1,1,1" (a list in a file), each in [min, max] */
    SL_OPT_T_CUSTOM    /* parse(field, value): anything else ("max" or a number, ...) */
} sl_opt_type;

/* flags */
#define SL_OPT_MIN_EXCL 0x01u  /* DOUBLE/DOUBLES: value > min (not >=) */
#define SL_OPT_MS 0x80u        /* DURATION: the field is int64_t milliseconds (a whole number of them) */
#define SL_OPT_EMPTY_OK 0x02u  /* STRING: "" allowed */
#define SL_OPT_CLI_ONLY 0x04u  /* not a pipeline-file key */
#define SL_OPT_FILE_ONLY 0x08u /* not a command-line flag */
#define SL_OPT_HIDDEN 0x10u    /* left out of --help and the docs (tests, benchmarks) */
#define SL_OPT_REQUIRED 0x20u  /* must be given (no default) */
#define SL_OPT_SUM_POS 0x40u   /* DOUBLES: the values must have a positive sum */
#define SL_OPT_UNSIGNED 0x100u /* INT on a uint64_t: 0..UINT64_MAX ('-' refused) */

typedef struct sl_opt sl_opt;
struct sl_opt {
    const char *name;     /* key in a file; "--name" on the command line */
    sl_opt_type type;
    size_t offset, size;  /* the field in the options struct */
    const char *def;      /* default as text (NULL: none; the field is zeroed) */
    const char *help;     /* one line; docs and --help */
    const char *arg;      /* placeholder in --help ("DUR", "N"); NULL: by type */
    double min, max;      /* ranges (INT, DOUBLE, DURATION us, SIZE bytes, DOUBLES) */
    unsigned flags;
    const char *choices;  /* ENUM: "a|b|c" */
    int count;            /* DOUBLES: number of values */
    const char *expect;   /* what a value must be, for messages ("a positive number or max");
                             NULL: derived from type and range */
    sl_err (*parse)(void *field, const char *value, char *err, size_t errlen); /* CUSTOM: err gets the
                             "needs ..." text without the name */
    const char *section;  /* heading in --help; NULL: the previous entry's */
    const char *alias;    /* another command-line word for it ("-q"), or NULL */
    void (*format)(const void *field, sl_buf *out); /* CUSTOM: the value as text (NULL: "?") */
};

#define SL_OPT_END {.name = NULL}
#define SL_OPT_F_(S, f) offsetof(S, f), sizeof(((S *)0)->f)

/* Convenience initializers (designated fields may be added after them with
 * the _X forms, or written out as plain struct literals). */
#define SL_OPT_FLAG(S, f, nm, hp) {.name = nm, .type = SL_OPT_T_FLAG, SL_OPT_F_(S, f), .def = "false", .help = hp}
#define SL_OPT_INT(S, f, nm, df, lo, hi, hp) \
    {.name = nm, .type = SL_OPT_T_INT, SL_OPT_F_(S, f), .def = df, .help = hp, .min = lo, .max = hi}
#define SL_OPT_DOUBLE(S, f, nm, df, lo, hi, hp) \
    {.name = nm, .type = SL_OPT_T_DOUBLE, SL_OPT_F_(S, f), .def = df, .help = hp, .min = lo, .max = hi}
#define SL_OPT_STRING(S, f, nm, df, hp) {.name = nm, .type = SL_OPT_T_STRING, SL_OPT_F_(S, f), .def = df, .help = hp}
#define SL_OPT_DURATION(S, f, nm, df, hp) \
    {.name = nm, .type = SL_OPT_T_DURATION, SL_OPT_F_(S, f), .def = df, .help = hp, .min = 0, .max = 9.2e18}
#define SL_OPT_SIZE(S, f, nm, df, lo, hp) \
    {.name = nm, .type = SL_OPT_T_SIZE, SL_OPT_F_(S, f), .def = df, .help = hp, .min = lo, .max = 9.2e18}
#define SL_OPT_TIME(S, f, nm, hp) {.name = nm, .type = SL_OPT_T_TIME, SL_OPT_F_(S, f), .help = hp}
#define SL_OPT_ENUM(S, f, nm, df, ch, hp) \
    {.name = nm, .type = SL_OPT_T_ENUM, SL_OPT_F_(S, f), .def = df, .help = hp, .choices = ch}

/* Number of entries before SL_OPT_END. */
size_t sl_opt_count(const sl_opt *t);
/* The entry named name (exact), or NULL. */
const sl_opt *sl_opt_find(const sl_opt *t, const char *name);
/* The entry nearest to name (edit distance <= 2), for "did you mean". */
const sl_opt *sl_opt_suggest(const sl_opt *t, const char *name);
/* Levenshtein distance of two names (99 when either is longer than 63). */
int sl_opt_distance(const char *a, const char *b);

/* Write every default into obj (fields without a default are zeroed, the
 * rest of obj is untouched).  A default that does not parse is a bug:
 * SL_ERR_ARG naming the option. */
sl_err sl_opt_defaults(const sl_opt *t, void *obj, char *err, size_t errlen);

/* Parse value into o's field of obj.  err: "needs <expect>, got '<value>'"
 * (or the custom parser's text); the caller adds the name or location. */
sl_err sl_opt_set(const sl_opt *o, void *obj, const char *value, char *err, size_t errlen);
/* The same for a list of values (DOUBLES from a file's sequence). */
sl_err sl_opt_set_list(const sl_opt *o, void *obj, const char *const *values, size_t n, char *err, size_t errlen);

/* What a value of o must be, e.g. "an integer in 1..1000000", "a duration
 * like 10m, 90s or 1h30m". */
void sl_opt_expect(const sl_opt *o, sl_buf *out);
/* The value of o's field in obj as text (help, config --print). */
void sl_opt_format(const sl_opt *o, const void *obj, sl_buf *out);

/* --help lines for the flags of t: "  --lateness DUR        allowed ... (default 10m)",
 * headed by sections.  prefix: flag prefix ("" -> "--name"; "hot-" -> "--hot-name"). */
void sl_opt_help(const sl_opt *t, const char *prefix, sl_buf *out);
/* A Markdown table of t (name, type, default, meaning) for the docs. */
void sl_opt_doc_md(const sl_opt *t, sl_buf *out);

/* ------------------------------------------------------------------ argv */

/* A command line: flags from one or more tables, positional words to a
 * callback.  "--name value", "--name=value", "--flag"; "--" ends the flags;
 * "-h"/"--help" returns SL_OPT_HELP.  Every flag is applied in argv order,
 * so a later flag overrides an earlier one, and a positional callback sees
 * the flags given before it (--source LABEL INPUT). */
typedef struct sl_opt_cmd {
    const char *name;             /* "run": messages ("run: ...") */
    const sl_opt *const *tables;  /* NULL-terminated list of tables */
    void *const *objs;            /* the struct each table writes into */
    /* A positional word (may be NULL: positionals are an error). */
    sl_err (*positional)(void *ctx, const char *word, char *err, size_t errlen);
    /* Called after each flag is set (may be NULL): ordering rules (--source). */
    sl_err (*after)(void *ctx, const sl_opt *o, const char *value, char *err, size_t errlen);
    void *ctx;
    /* Documentation, for sl_opt_cmd_help and sl_opt_cmd_doc_md (no effect on parsing). */
    const char *usage;         /* "sluice cat FILE [options]"; another form on a line after '\n' */
    const char *about;         /* what the command does and its arguments: lines of text */
    const char *const *titles; /* per table (may be NULL): heading of its entries before their
                                  first section (default "options") */
    const char *notes;         /* after the options (exit status, signals), or NULL */
} sl_opt_cmd;

#define SL_OPT_HELP 1 /* sl_opt_parse_argv: -h or --help was given */

/* Parse argv[0..argc) (the words after the command name).  Returns SL_OK,
 * SL_OPT_HELP, or SL_ERR_ARG with err: "unknown option '--bogus'",
 * "option --source needs a value", "--k needs an integer in 1..1000000,
 * got '0'", or the callback's message. */
int sl_opt_parse_argv(const sl_opt_cmd *cmd, int argc, char **argv, char *err, size_t errlen);

/* sl_opt_defaults of every table into its object, then sl_opt_parse_argv:
 * SL_OK, SL_OPT_HELP or SL_ERR_ARG with err (a callback's empty message: it
 * printed its own). */
int sl_opt_cmd_parse(const sl_opt_cmd *cmd, int argc, char **argv, char *err, size_t errlen);

/* The value of the last --name (or its alias) in argv, or NULL: for a
 * choice made before the real parse (gen --kind picks the option table).
 * The flags of tables (NULL-terminated) are known, so a flag's value is
 * never taken for a flag; nothing is validated; unknown words are skipped;
 * a bare FLAG gives "true". */
const char *sl_opt_peek(const sl_opt *const *tables, int argc, char **argv, const char *name);

/* A command's --help: "usage: " and its usage lines, the about text
 * indented, every table's flags under their sections (sl_opt_help), the notes. */
void sl_opt_cmd_help(const sl_opt_cmd *cmd, sl_buf *out);
/* Its reference in Markdown: the usage lines as a code block, the about
 * text, a table per section of the flags as typed ("`--out FILE` (`-o`)";
 * then type, default and meaning as sl_opt_doc_md), the notes. */
void sl_opt_cmd_doc_md(const sl_opt_cmd *cmd, sl_buf *out);

#endif
