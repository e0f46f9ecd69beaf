/* gen.h: deterministic generator of Redset-shaped query events.
 *
 *   gen_opts o = gen_opts_default();  o.rows = 1000000; o.seed = 7;
 *   gen *g; gen_open(&g, &o, err, sizeof err);
 *   sl_batch b; sl_batch_init(&b); gen_init_batch(g, &b, err, sizeof err);
 *   while ((n = gen_next(g, &b, 65536, err, sizeof err)) > 0) write(&b);
 *   const gen_counts *c = gen_get_counts(g);   // what was generated and injected
 *   sl_batch_free(&b); gen_close(g);
 *
 * The model (docs/gen.md): per-instance hourly counts come from the Redset
 * hourly profiles (or built-in approximations); every row is a pure function
 * of (seed, instance, row number in the instance), so the three row orders
 * produce the same multiset of rows and memory stays bounded whatever the
 * size.  Faults (bad rows, repairs, late and duplicate events) are injected
 * at the requested rates and counted exactly in gen_counts.
 */
#ifndef SL_GEN_H
#define SL_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "batch/format.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"

typedef enum gen_kind { GEN_SERVERLESS = 0, GEN_PROVISIONED = 1 } gen_kind;
typedef enum gen_order { GEN_ORDER_SORTED = 0, GEN_ORDER_RUNS, GEN_ORDER_SHUFFLED } gen_order;

typedef struct gen_opts {
    uint64_t seed;
    gen_kind kind;
    int instances;          /* number of instances (default 200) */
    int64_t start_us;       /* first hour (UTC micros, floored to the hour); default 2024-03-01 */
    int64_t end_us;         /* end, exclusive (ceiled to the hour); default 2024-05-31 */
    uint64_t rows;          /* exact number of base rows (before duplicates); 0: use scale or rate */
    double scale;           /* rows = scale * real rows of the selected instances and hours */
    double rate;            /* rows = rate * hours (average events per hour, whole fleet) */
    const char *profile;    /* hourly profile Parquet; NULL: the default path if present; "none": built-in */
    const char *shared_dir; /* where the default profile is looked for (NULL: $SLUICE_SHARED, ../shared,
                               ../shared beside the binary's checkout) */
    const char *profiles_dir; /* --profiles DIR: DIR/hourly_by_instance_KIND.parquet (must exist) */
    gen_order order;
    /* faults */
    double late;            /* fraction of rows emitted late */
    int64_t max_disp_us;    /* largest late displacement (event time) */
    double duplicates;      /* fraction of rows emitted again */
    double bad_rows;        /* fraction of rows made bad, spread over the bad kinds */
    double repairs;         /* fraction of rows given a repairable defect */
    double overload;        /* fraction of instances' 4-hour episodes that are overloaded */
    bool text_faults;       /* the output is CSV/JSONL: also unparseable timestamps and broken lines */
} gen_opts;

gen_opts gen_opts_default(void);
/* The options of gen_opts as `sluice gen` takes them (--rows, --kind, ...;
 * docs/cli.md).  --kind's third choice, product-events (kind 2), is the
 * other generator (gen_product.h); --rows has its default even where
 * --scale or --rate replaces it (the command clears it then). */
extern const sl_opt gen_opts_table[];

/* Kinds of injected faults (names as printed in the summary). */
enum {
    GEN_BAD_MALFORMED = 0,
    GEN_BAD_MISSING_ARRIVAL,
    GEN_BAD_MISSING_INSTANCE,
    GEN_BAD_MISSING_QUERY_ID,
    GEN_BAD_MISSING_QUERY_TYPE,
    GEN_BAD_TIMESTAMP,
    GEN_BAD_NEG_COMPILE,
    GEN_BAD_NEG_QUEUE,
    GEN_BAD_NEG_EXEC,
    GEN_BAD_NEG_MBYTES_SCANNED,
    GEN_BAD_NEG_MBYTES_SPILLED,
    GEN_BAD_NEG_PERM,
    GEN_BAD_NEG_EXT,
    GEN_BAD_NEG_SYS,
    GEN_BAD_NEG_JOINS,
    GEN_BAD_NEG_SCANS,
    GEN_BAD_NEG_AGGS,
    GEN_BAD_NKINDS
};
enum {
    GEN_REP_NULL_COMPILE = 0,
    GEN_REP_NULL_QUEUE,
    GEN_REP_NULL_EXEC,
    GEN_REP_NULL_MBYTES_SCANNED,
    GEN_REP_NULL_NUM_JOINS,
    GEN_REP_FLAG_ABORTED,    /* 0 -> NULL, 1 -> 2 / -1 / 7 (cleaning restores the value) */
    GEN_REP_FLAG_CACHED,     /* the same for was_cached */
    GEN_REP_DURATION_CAP,    /* a duration above 7 days */
    GEN_REP_QUERY_TYPE,      /* upper-case and/or padded */
    GEN_REP_TABLE_ID_ODD,    /* a valid but unusual token: "007", " 12 " (no bad_table_id) */
    GEN_REP_BAD_TABLE_ID,    /* rows given invalid tokens ("abc", "-3", "1.5", "", overflow) */
    GEN_REP_NKINDS
};

extern const char *const gen_bad_names[GEN_BAD_NKINDS];
extern const char *const gen_rep_names[GEN_REP_NKINDS];

typedef struct gen_counts {
    uint64_t overloaded;     /* rows of overloaded episodes (--overload) */
    uint64_t base_rows;      /* rows of the model (planned) */
    uint64_t rows_out;       /* rows emitted so far = base rows + duplicates */
    uint64_t late;           /* rows emitted after a row that followed them in the undisturbed order */
    uint64_t late_held;      /* rows chosen to be held back (late + those the stream end released in place) */
    uint64_t duplicates;     /* extra copies emitted */
    uint64_t bad[GEN_BAD_NKINDS];
    uint64_t bad_total;
    uint64_t bad_timestamp_text; /* of bad[GEN_BAD_TIMESTAMP]: unparseable text (CSV/JSONL) */
    uint64_t malformed_text;     /* of bad[GEN_BAD_MALFORMED]: broken lines (CSV/JSONL) */
    uint64_t rep[GEN_REP_NKINDS];
    uint64_t bad_table_id_tokens; /* invalid tokens injected (each counts 1 in bad_table_id) */
    uint64_t repaired_rows;
    /* the model itself (not faults), over rows that were not made bad */
    uint64_t cached, aborted, spilled;
    uint64_t null_compile, null_mbytes, null_fingerprint; /* natural NULLs on uncached rows */
} gen_counts;

typedef struct gen gen;

sl_err gen_open(gen **out, const gen_opts *o, char *err, size_t errlen);
void gen_close(gen *g);
/* Add the 24 Redset columns (real physical types) to an empty batch. */
sl_err gen_init_batch(gen *g, sl_batch *b, char *err, size_t errlen);
/* Reset b and fill it with up to max_rows rows; >0 rows, 0 at the end, <0 error. */
long gen_next(gen *g, sl_batch *b, size_t max_rows, char *err, size_t errlen);
const gen_counts *gen_get_counts(const gen *g);
/* Planned number of base rows, instances used, hours, and where the profile came from. */
uint64_t gen_planned_rows(const gen *g);
int gen_num_instances(const gen *g);
int64_t gen_num_hours(const gen *g);
const char *gen_profile_desc(const gen *g);

/* Rows of the last batch that only text output can show (CSV/JSONL):
 * NULL when none; else per row 0, or GEN_TEXT_* (the batch holds the row's
 * other values).  gen_render_text_fault renders such a row as one line. */
enum { GEN_TEXT_NONE = 0, GEN_TEXT_TS_UNPARSEABLE, GEN_TEXT_TRUNCATED, GEN_TEXT_WRONG_TYPE };
const uint8_t *gen_text_faults(const gen *g);
struct sl_textout;
void gen_render_text_fault(const gen *g, struct sl_textout *t, const sl_batch *b, size_t i, sl_buf *out);

/* Write the counts as a JSON object (the --summary file). */
void gen_counts_json(const gen *g, sl_buf *out);

#endif
