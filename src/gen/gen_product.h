/* gen_product.h: deterministic synthetic product-analytics events, as
 * Segment-style trackers send them (sluice gen --kind product-events).
 *
 *   gen_product_opts o = gen_product_opts_default();  o.rows = 100000; o.seed = 7;
 *   gen_product *g;
 *   if (gen_product_open(&g, &o, err, sizeof err) != SL_OK) ...;   // SL_ERR_ARG: bad options
 *   sl_buf out; sl_buf_init(&out);
 *   long n;
 *   while ((n = gen_product_next(g, &out, 4096, err, sizeof err)) > 0) {
 *       fwrite(out.p, 1, out.len, f);       // n JSON Lines, each ending in '\n'
 *       out.len = 0;
 *   }
 *   const gen_product_counts *c = gen_product_get_counts(g);   // what was generated and injected
 *   gen_product_counts_json(g, &summary);                      // the --summary object
 *   gen_product_close(g);
 *
 * Messages are track (80%), page (15%) and identify (5%) calls with the
 * Segment field names (docs/gen.md, "Product events").  Every base message
 * is a pure function of (seed, message number); which messages are bad,
 * late or duplicated is a keyed permutation of the message numbers, so the
 * fault counts are exactly round(F x rows).  Lines come out in receivedAt
 * order (a collector's log): event timestamps are slightly out of order, and
 * late messages are received up to --max-displacement later than on time.
 *
 * Ownership: the generator owns its state; gen_product_next appends to the
 * caller's buffer.  Errors: SL_ERR_ARG for options, SL_ERR_NOMEM.  One
 * generator is used by one thread at a time; distinct generators are
 * independent.
 *
 * gen_product_cli is the command-line front (`sluice gen --kind
 * product-events ...`); it parses its own option table (with the output
 * options both kinds share, gen_cli.h) so that src/cli/cmd_gen.c only
 * dispatches to it (gen_product_requested).
 */
#ifndef SL_GEN_PRODUCT_H
#define SL_GEN_PRODUCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/opt.h"

#define GEN_PRODUCT_MAX_EVENT_TYPES 2000

typedef struct gen_product_opts {
    uint64_t seed;         /* default 1 */
    uint64_t rows;         /* base messages, before duplicates (default 1,000,000) */
    int64_t start_us;      /* first hour, UTC micros, floored to the hour (default 2024-03-01) */
    int64_t end_us;        /* end, exclusive, ceiled to the hour (default 2024-05-31) */
    uint32_t event_types;  /* distinct track event names, 1..GEN_PRODUCT_MAX_EVENT_TYPES (default 300) */
    uint64_t users;        /* identified users; 0 = rows / 25 (at least 1) */
    /* faults (fractions of base messages; their sum is at most 1) */
    double late;           /* held back and received up to max_disp_us later */
    int64_t max_disp_us;   /* largest hold-back (default 30 min) */
    double duplicates;     /* re-sent: the same line again, later in the same receivedAt hour */
    double bad_rows;       /* made bad, spread evenly over the GEN_PRODUCT_BAD_* kinds */
} gen_product_opts;

gen_product_opts gen_product_opts_default(void);

enum { GEN_PRODUCT_TRACK = 0, GEN_PRODUCT_PAGE, GEN_PRODUCT_IDENTIFY, GEN_PRODUCT_NTYPES };

/* Bad-row kinds (names as printed in the summary). */
enum {
    GEN_PRODUCT_BAD_INVALID_JSON = 0,  /* the line is cut short: not valid JSON */
    GEN_PRODUCT_BAD_NOT_OBJECT,        /* a JSON array holding the message, a number or a string */
    GEN_PRODUCT_BAD_MISSING_MESSAGE_ID,
    GEN_PRODUCT_BAD_EMPTY_MESSAGE_ID,  /* "messageId":"" */
    GEN_PRODUCT_BAD_MISSING_TYPE,
    GEN_PRODUCT_BAD_MISSING_TIMESTAMP,
    GEN_PRODUCT_BAD_UNPARSEABLE_TS,    /* "yesterday", "2024-13-45T25:61:61.000Z", "not a timestamp" */
    GEN_PRODUCT_BAD_TS_WRONG_TYPE,     /* a JSON number (epoch milliseconds) */
    GEN_PRODUCT_BAD_TS_OUT_OF_RANGE,   /* before 2000-01-01 or at/after 2100-01-01 */
    GEN_PRODUCT_BAD_NKINDS
};
extern const char *const gen_product_bad_names[GEN_PRODUCT_BAD_NKINDS];
extern const char *const gen_product_type_names[GEN_PRODUCT_NTYPES];

typedef struct gen_product_counts {
    uint64_t base_rows;        /* planned base messages */
    uint64_t rows_out;         /* lines emitted so far = base messages + duplicates */
    uint64_t duplicates;       /* extra copies emitted */
    uint64_t late_held;        /* messages held back (received late) */
    uint64_t late;             /* of those, emitted after a message that followed them undisturbed */
    uint64_t bad[GEN_PRODUCT_BAD_NKINDS];
    uint64_t bad_total;
    /* the model, over good base messages (not bad; copies excluded) */
    uint64_t types[GEN_PRODUCT_NTYPES];
    uint64_t event_names_used; /* distinct track event names */
    uint64_t page_names_used;  /* distinct page names */
    uint64_t users;            /* distinct userId */
    uint64_t anonymous_ids;    /* distinct anonymousId */
    uint64_t anonymous_only;   /* messages without a userId (the key absent or null) */
    uint64_t user_id_null;     /* of those, "userId":null (analytics.js) rather than no key */
    uint64_t no_anonymous_id;  /* messages with a userId and no anonymousId (server-side) */
    uint64_t with_campaign;    /* context.campaign present */
    uint64_t extra_context;    /* context.os present: a context key the pipeline does not map */
    uint64_t extra_top_level;  /* "integrations": a top-level key the pipeline does not map */
    /* event-time disorder over good lines in output order (copies included) */
    uint64_t ts_out_of_order;  /* timestamp earlier than the latest timestamp before it */
    int64_t max_ts_lag_ms;     /* the largest such gap */
} gen_product_counts;

typedef struct gen_product gen_product;

sl_err gen_product_open(gen_product **out, const gen_product_opts *o, char *err, size_t errlen);
void gen_product_close(gen_product *g);
/* Append up to max_rows lines ('\n'-terminated) to out; returns the number
 * appended, 0 at the end, <0 (an sl_err) on error. */
long gen_product_next(gen_product *g, sl_buf *out, size_t max_rows, char *err, size_t errlen);
const gen_product_counts *gen_product_get_counts(const gen_product *g);
/* Lines the whole run emits (base messages + duplicates), known up front. */
uint64_t gen_product_planned_rows(const gen_product *g);
int64_t gen_product_num_hours(const gen_product *g);
/* Users and anonymous ids the model can draw from (the ids actually used are counted). */
uint64_t gen_product_user_pool(const gen_product *g);
/* The event name of popularity rank r (0 = most frequent), NULL past event_types. */
const char *gen_product_event_name(const gen_product *g, uint32_t r);
/* Expected share of track messages with event rank r (the model's Zipf weights). */
double gen_product_event_share(const gen_product *g, uint32_t r);
/* The summary as one JSON object (no newline). */
void gen_product_counts_json(const gen_product *g, sl_buf *out);

/* The CLI: true when argv (the arguments after "gen") selects --kind
 * product-events; gen_product_cli then runs the whole command and returns
 * the exit status (0 ok, 1 bad option, 2 I/O or runtime error). */
bool gen_product_requested(int argc, char **argv);
int gen_product_cli(int argc, char **argv);
/* Its options and --help text (for `sluice help --md`). */
const sl_opt_cmd *gen_product_doc(void);

#endif
