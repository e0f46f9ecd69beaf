/* input_int.h: internals shared by input.c (dispatch, source labels, batch
 * helpers), input_parquet.c and input_text.c.  Not a public header. */
#ifndef RP_INPUT_INT_H
#define RP_INPUT_INT_H

#include "replay/event.h"
#include "replay/input.h"
#include "util/buf.h"

/* How a Redset column's value is parsed from text / what it converts to. */
typedef enum rp_kind { RP_K_I32 = 0, RP_K_FLAG, RP_K_I64, RP_K_F64, RP_K_TS, RP_K_STR } rp_kind;
rp_kind rp_col_kind(int col);

typedef struct rp_pq rp_pq;
typedef struct rp_text rp_text;

struct rp_input {
    rp_format fmt;
    char *path;
    char source[256];
    int32_t index;
    rp_input_stats st;
    uint64_t next_row;       /* _row of the next row */
    const void *mem;         /* memory input (rp_input_open_mem), else NULL */
    size_t memlen;
    rp_pq *pq;
    rp_text *tx;
    sl_batch kb;             /* scratch canonical batch for next_keys (text) */
    bool kb_init;
    char errtmp[SL_ERRLEN];
};

/* Match a name against the Redset columns: exact, else case-insensitive
 * when exactly one matches.  -1 when none. */
int rp_match_col(const char *name, size_t len);

/* Start a canonical batch of up to n rows: reset, reserve. */
sl_err rp_batch_begin(sl_batch *b, size_t n, char *err, size_t errlen);
/* Fill the system columns (source, _input, _row) for rows [0, n). */
sl_err rp_fill_system(rp_input *in, sl_batch *b, size_t n, char *err, size_t errlen);
/* Make row i of column c NULL (zero slot, clear bit, count). */
void rp_set_null(sl_batch *b, int c, size_t i);
/* Set column c (BYTES) of row i to a copy of s (into the batch arena). */
bool rp_set_str(sl_batch *b, int c, size_t i, const char *s, size_t n);
/* Append v quoted for a message: at most 60 bytes, non-printable as '?'. */
void rp_msg_value(sl_buf *o, const char *v, size_t n);
/* Drop all-valid bitmaps so valid == NULL means "no NULLs". */
void rp_batch_finish(sl_batch *b);

sl_err rp_pq_open(rp_input *in, char *err, size_t errlen);
void rp_pq_close(rp_input *in);
long rp_pq_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen);
sl_err rp_pq_seek(rp_input *in, uint64_t row, char *err, size_t errlen);
long rp_pq_next_keys(rp_input *in, int64_t *ts, int32_t *inst, int64_t *qid, size_t max_rows, char *err, size_t errlen);
int64_t rp_pq_rows(const rp_input *in);

sl_err rp_text_open(rp_input *in, char *err, size_t errlen);
void rp_text_close(rp_input *in);
long rp_text_next(rp_input *in, sl_batch *b, size_t max_rows, char *err, size_t errlen);
sl_err rp_text_seek(rp_input *in, uint64_t row, char *err, size_t errlen);

#endif
