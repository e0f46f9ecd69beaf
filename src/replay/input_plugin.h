/* input_plugin.h: what an input plugin (replay/input.h: in_plugin) sees of
 * the input it reads, and the canonical-batch helpers the formats share.
 * Included by the plugin files (plugins/in_*.c) and replay/input.c only. */
#ifndef RP_INPUT_PLUGIN_H
#define RP_INPUT_PLUGIN_H

#include "replay/input.h"
#include "schema/schema.h"
#include "util/buf.h"

/* How a column's value is parsed from text / what it converts to. */
typedef enum rp_kind { RP_K_I32 = 0, RP_K_FLAG, RP_K_I64, RP_K_F64, RP_K_TS, RP_K_STR } rp_kind;
rp_kind rp_col_kind(const sc_schema *s, int col);

struct rp_input {
    const in_plugin *fmt;
    const sc_schema *schema;
    char *path;
    char source[256];
    int32_t index;
    rp_input_stats st;
    uint64_t next_row;       /* _row of the next row */
    const void *mem;         /* memory input (rp_input_open_mem), else NULL */
    size_t memlen;
    void *impl;              /* the plugin's state */
    sl_batch kb;             /* scratch canonical batch for next_keys without a plugin callback */
    bool kb_init;
    char errtmp[SL_ERRLEN];
};

/* The ordering key of a string column: a 64-bit hash of its bytes (the same
 * in planning and sorting). */
uint64_t rp_key_hash(const char *p, size_t n);
/* Keys of rows [0, n) of canonical batch b into ts/k1/k2 (rp_input_next_keys). */
void rp_keys_from_batch(const sc_schema *s, const sl_batch *b, size_t n, int64_t *ts, int32_t *k1, int64_t *k2);

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

#endif
