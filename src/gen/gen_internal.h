/* gen_internal.h: the generator's state, shared by gen.c, profile.c and faults.c. */
#ifndef SL_GEN_INTERNAL_H
#define SL_GEN_INTERNAL_H

#include "gen/gen.h"
#include "gen/rng.h"

#define GEN_NQT 10
#define GEN_HOUR_US 3600000000LL
#define GEN_RT_MAX 224 /* read_table_ids text (generation stops adding tokens before it) */
#define GEN_WT_MAX 96
#define GEN_TXT_SPARE 40 /* room kept for injected tokens */
#define GEN_TOPR 32      /* top template ranks per (instance, type) with stratified attributes */
#define GEN_TCOORD 3     /* per top template: shape u, compile level z, scan level z */
#define GEN_MAX_TSLOTS 2048

/* batch column indices (Redset order) */
enum {
    C_INSTANCE_ID, C_CLUSTER_SIZE, C_USER_ID, C_DATABASE_ID, C_QUERY_ID, C_ARRIVAL, C_COMPILE, C_QUEUE, C_EXEC,
    C_FINGERPRINT, C_ABORTED, C_CACHED, C_CACHE_SRC, C_QUERY_TYPE, C_PERM, C_EXT, C_SYS, C_READ_IDS, C_WRITE_IDS,
    C_MB_SCANNED, C_MB_SPILLED, C_JOINS, C_SCANS, C_AGGS, C_NCOLS
};

typedef struct gen_row {
    int32_t instance_id;
    int32_t aborted, cached;
    double cluster_size;
    int64_t user_id, database_id, query_id, arrival;
    double compile;
    int64_t queue, exec;
    double cache_src;
    double perm, ext, sys, mb_scanned, mb_spilled;
    int64_t joins, scans, aggs;
    uint32_t nulls; /* bit c set: column c is NULL */
    uint8_t qt_len, text_fault, bad_kind, rep_kind; /* bad/rep_kind: 0 none, else GEN_BAD_* / GEN_REP_* + 1 */
    uint8_t overloaded; /* in an overloaded episode (--overload): long queued, spilling executions */
    uint8_t fp_len;
    uint16_t rt_len, wt_len;
    char fp[64];
    char qt[24];
    char rt[GEN_RT_MAX + GEN_TXT_SPARE];
    char wt[GEN_WT_MAX + GEN_TXT_SPARE];
    /* bookkeeping (not output) */
    int64_t t;          /* true arrival (before any fault) */
    int64_t key;        /* late: release key; dup: due position */
    uint64_t hold_count;
    uint64_t seq;       /* row number within the instance */
    uint32_t inst;      /* instance index */
    uint32_t hour;      /* hour index */
} gen_row;

typedef struct gen_inst {
    int32_t id;
    double cluster_size;
    uint32_t nusers, ndb, ntables;
    double qt_w[GEN_NQT];   /* drawn type weights (before calibration) */
    double qt_cum[GEN_NQT]; /* cumulative calibrated type shares (uncached rows), last = 1 */
    int32_t tslot;          /* row of gen.tz (stratified top templates), -1 for none */
    gen_feistel qid;
    uint64_t total;
} gen_inst;

/* a sorted arrival key */
typedef struct gen_key {
    int64_t t;
    uint32_t inst, hour;
    uint64_t seq;
} gen_key;

typedef struct gen_rowq { /* growable FIFO / heap storage of rows */
    gen_row *v;
    size_t n, cap, head;
} gen_rowq;

struct gen {
    gen_opts o;
    uint64_t seed;
    int ninst;
    int64_t nhours, start_us;
    gen_inst *inst;
    uint32_t *cnt;    /* ninst x nhours */
    uint64_t *pre;    /* ninst x (nhours + 1): rows before hour h of instance i */
    uint64_t *icum;   /* ninst + 1 */
    uint64_t nrows;
    float *tz;        /* ntslot x GEN_NQT x GEN_TOPR x GEN_TCOORD */
    int ntslot;
    char profile_desc[1200];
    /* ordering */
    gen_key *keys;
    size_t nkeys, keypos, keycap;
    int64_t cur_hour;
    int cur_inst;
    uint64_t spos;    /* shuffled: next global position */
    gen_feistel shuf;
    /* fault stage */
    gen_rng frng;
    uint64_t base_count;  /* base rows passed through the fault stage */
    uint64_t emitted_base; /* base rows emitted in place (not held) */
    int64_t last_t;       /* latest true arrival emitted (runs: in this instance's run) */
    int cur_base_inst;    /* instance of the last base row pulled */
    bool base_end;
    gen_rowq ready;       /* FIFO */
    gen_rowq held;        /* late rows: min-heap by key */
    gen_rowq dups;        /* pending duplicate copies */
    int64_t disp_rows;    /* shuffled: max displacement in rows */
    gen_row cur;
    uint8_t *tf;          /* text faults of the current batch */
    size_t tfcap;
    bool tf_any;
    gen_counts c;
};

/* profile.c */
sl_err gen_plan(gen *g, char *err, size_t errlen);
/* gen.c */
sl_err gen_templates_init(gen *g, char *err, size_t errlen);
void gen_make_row(const gen *g, uint32_t inst, uint64_t seq, uint32_t hour, gen_row *r);
int64_t gen_arrival(const gen *g, uint32_t inst, uint64_t seq, uint32_t hour);
uint32_t gen_hour_of(const gen *g, uint32_t inst, uint64_t seq);
/* faults.c */
void gen_fault_pure(gen *g, gen_row *r);
void gen_set_str(char *dst, uint16_t *len, size_t cap, const char *s);

/* The real hourly profile of kindname ("serverless") where gen looks for it
 * by default (gen_opts.shared_dir, $SLUICE_SHARED, ../shared, beside the
 * binary's checkout); its path into path. */
bool gen_find_profile(const char *shared_dir, const char *kindname, char *path, size_t n);

#endif
