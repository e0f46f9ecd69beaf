/* thrift_w.h: Thrift compact-protocol encoder (the writer's counterpart of
 * thrift.h).  Appends to an sl_buf; an allocation failure is sticky in the
 * buffer's oom flag, so callers check it once at the end.
 *
 *   pq_tw w; pq_tw_init(&w, &buf);
 *   pq_tw_struct_begin(&w);                 // top-level struct
 *   pq_tw_i32(&w, 1, 42);                   // field 1 = 42
 *   pq_tw_field_struct(&w, 5); ...; pq_tw_struct_end(&w);
 *   pq_tw_field_list(&w, 2, PQ_THRIFT_STRUCT, n);
 *   for (...) { pq_tw_struct_begin(&w); ...; pq_tw_struct_end(&w); }
 *   pq_tw_struct_end(&w);                   // writes STOP
 *
 * Field ids must ascend within a struct only for the short (delta) form;
 * any order is encoded correctly.  Nesting is limited to PQ_TW_MAX_DEPTH.
 */
#ifndef PQ_THRIFT_W_H
#define PQ_THRIFT_W_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet/thrift.h"
#include "util/buf.h"

#define PQ_TW_MAX_DEPTH 32

typedef struct pq_tw {
    sl_buf *out;
    int depth;                       /* open structs */
    int16_t last[PQ_TW_MAX_DEPTH];   /* last field id per open struct */
    bool overflow;                   /* nesting exceeded PQ_TW_MAX_DEPTH */
} pq_tw;

void pq_tw_init(pq_tw *w, sl_buf *out);

/* Raw primitives (also used for list elements). */
void pq_tw_varint(pq_tw *w, uint64_t v);
void pq_tw_zigzag(pq_tw *w, int64_t v);
void pq_tw_bytes(pq_tw *w, const void *p, size_t n);  /* varint length + bytes */

/* Field header of the current struct. */
void pq_tw_field_header(pq_tw *w, int16_t id, int type);

/* Fields. */
void pq_tw_i32(pq_tw *w, int16_t id, int32_t v);
void pq_tw_i16(pq_tw *w, int16_t id, int16_t v);
void pq_tw_i64(pq_tw *w, int16_t id, int64_t v);
void pq_tw_bool(pq_tw *w, int16_t id, bool v);
void pq_tw_binary(pq_tw *w, int16_t id, const void *p, size_t n);
void pq_tw_string(pq_tw *w, int16_t id, const char *s);
/* Begin a struct-valued field; close it with pq_tw_struct_end. */
void pq_tw_field_struct(pq_tw *w, int16_t id);
/* Begin a list-valued field of n elements of elem_type; then write the
 * elements (pq_tw_zigzag for integers, pq_tw_bytes for binary,
 * pq_tw_struct_begin/end for structs). */
void pq_tw_field_list(pq_tw *w, int16_t id, int elem_type, uint32_t n);

/* Open a struct that is not a field (top level or list element). */
void pq_tw_struct_begin(pq_tw *w);
/* Write STOP and close the innermost struct. */
void pq_tw_struct_end(pq_tw *w);

/* true when everything was encoded (no OOM, balanced nesting within limits) */
bool pq_tw_ok(const pq_tw *w);

#endif
