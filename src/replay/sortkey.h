/* sortkey.h: the replay's ordering key and its fast sort.
 *
 * Key order: (event time, source, k1, k2) where k1 and k2 are the schema's
 * order columns (schema.h; Redset: instance_id, query_id), NULL timestamps
 * first (a NULL timestamp is INT64_MIN, which is also what
 * rp_input_next_keys reports for NULL/unreadable), sources by the bytes of
 * their label, NULL k1 / k2 before any value; a STRING k2 orders by a 64-bit
 * hash of its bytes.  Rows with equal
 * keys keep their reading order ((_input, _row) when the inputs are read one
 * after the other), which every strategy of order.c preserves, so the output
 * is the same whichever strategy runs.
 *
 * A key is three unsigned words compared lexicographically:
 *   ts  = (uint64)ts ^ 2^63                     (NULL -> 0, i.e. INT64_MIN)
 *   mid = src_rank << 34 | inst_enc << 1 | qid_notnull
 *         inst_enc = 0 for NULL, else (uint32)(k1 ^ 0x80000000) + 1  (33 bits)
 *   qid = (uint64)qid ^ 2^63                    (0 when NULL; qid_notnull decides first)
 * src_rank is the rank of the row's source label among the labels of all
 * inputs (equal labels, equal rank); it is looked up by the _input column.
 */
#ifndef RP_SORTKEY_H
#define RP_SORTKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/batch.h"
#include "schema/schema.h"
#include "util/err.h"

typedef struct rp_key {
    uint64_t ts, mid, qid;
} rp_key;

#define RP_TS_BIAS ((uint64_t)1 << 63)

static inline int rp_key_cmp(const rp_key *a, const rp_key *b) {
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    if (a->mid != b->mid) return a->mid < b->mid ? -1 : 1;
    if (a->qid != b->qid) return a->qid < b->qid ? -1 : 1;
    return 0;
}
static inline bool rp_key_lt(const rp_key *a, const rp_key *b) {
    if (a->ts != b->ts) return a->ts < b->ts;
    if (a->mid != b->mid) return a->mid < b->mid;
    return a->qid < b->qid;
}

static inline uint64_t rp_key_mid(uint32_t src_rank, bool inst_null, int32_t inst, bool qid_null) {
    uint64_t ie = inst_null ? 0 : (uint64_t)((uint32_t)inst ^ 0x80000000u) + 1;
    return (uint64_t)src_rank << 34 | ie << 1 | (qid_null ? 0u : 1u);
}
static inline rp_key rp_key_make(bool ts_null, int64_t ts, uint32_t src_rank, bool inst_null, int32_t inst,
                                 bool qid_null, int64_t qid) {
    rp_key k;
    k.ts = ts_null ? 0 : (uint64_t)ts ^ RP_TS_BIAS;
    k.mid = rp_key_mid(src_rank, inst_null, inst, qid_null);
    k.qid = qid_null ? 0 : (uint64_t)qid ^ RP_TS_BIAS;
    return k;
}
/* Timestamp (INT64_MIN = NULL) of a key. */
static inline int64_t rp_key_ts(const rp_key *k) { return (int64_t)(k->ts ^ RP_TS_BIAS); }

/* The key's context: the schema (its columns) and the source ranks:
 * rank[i] for input i (the _input column value). */
typedef struct rp_srcmap {
    const sc_schema *schema;
    uint32_t *rank;
    size_t n;
} rp_srcmap;

/* Rank the labels (byte order, equal labels share a rank). */
sl_err rp_srcmap_init(rp_srcmap *m, const sc_schema *s, const char *const *labels, size_t n, char *err, size_t errlen);
void rp_srcmap_free(rp_srcmap *m);

/* Keys of rows [from, from+n) of canonical batch b into out[0..n).  Rows
 * whose _input is outside the map get the largest rank. */
void rp_keys_extract(const sl_batch *b, const rp_srcmap *m, size_t from, size_t n, rp_key *out);

/* Sort: on return perm[0..n) lists the positions of keys[] in key order,
 * ties in ascending position (stable).  LSD radix sort on the timestamp over
 * only the bits that vary (11-bit digits on ts - min), then the runs of equal
 * timestamps are ordered by (mid, qid) with a stable insertion / merge sort.
 * tmp: scratch of rp_sort_scratch_bytes(n) bytes (two arrays of n records). */
typedef struct rp_sortrec {
    uint64_t ts;
    uint32_t idx, pad;
} rp_sortrec;
size_t rp_sort_scratch_bytes(size_t n);
void rp_sort_keys(const rp_key *keys, size_t n, uint32_t *perm, void *tmp);

/* Reference sort (qsort with the same tie rule), for tests. */
void rp_sort_keys_ref(const rp_key *keys, size_t n, uint32_t *perm);

#endif
