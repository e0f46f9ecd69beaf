/* thrift.h: bounds-checked reader for the Thrift compact protocol.
 *
 * The reader never reads outside [buf, buf+len), never loops without
 * consuming input, limits nesting depth, and rejects negative or oversized
 * lengths.  Errors are formatted with a path of the structs being decoded,
 * e.g. "FileMetaData.row_groups[3].columns[2].meta_data: field 7
 * (total_compressed_size): varint runs past end of footer (offset 1234 of
 * 2000)".  When an error is caused by the input ending too early,
 * `truncated` is set so callers can ask for more bytes.
 */
#ifndef PQ_THRIFT_H
#define PQ_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* compact protocol type ids */
enum {
    PQ_THRIFT_STOP = 0,
    PQ_THRIFT_TRUE = 1,
    PQ_THRIFT_FALSE = 2,
    PQ_THRIFT_BYTE = 3,
    PQ_THRIFT_I16 = 4,
    PQ_THRIFT_I32 = 5,
    PQ_THRIFT_I64 = 6,
    PQ_THRIFT_DOUBLE = 7,
    PQ_THRIFT_BINARY = 8,
    PQ_THRIFT_LIST = 9,
    PQ_THRIFT_SET = 10,
    PQ_THRIFT_MAP = 11,
    PQ_THRIFT_STRUCT = 12
};

#define PQ_THRIFT_MAX_DEPTH 64  /* max struct/container nesting */
#define PQ_THRIFT_MAX_FRAMES 16 /* max nesting of named (decoded) structs */

typedef struct pq_thrift_frame {
    const char *name;       /* struct or field name, e.g. "row_groups" */
    int64_t index;          /* list index, or -1 */
    int16_t last_id;        /* last field id read (compact delta base) */
    bool in_field;          /* field_id/field_name describe the current field */
    int16_t field_id;
    const char *field_name; /* NULL when unknown (being skipped) */
} pq_thrift_frame;

typedef struct pq_thrift {
    const uint8_t *buf;
    size_t len, pos;
    const char *what; /* name of the input for messages: "footer", "page header" */
    bool truncated;   /* the last error was caused by running out of input */
    int nframes;
    pq_thrift_frame frames[PQ_THRIFT_MAX_FRAMES];
    char *err;
    size_t errlen;
} pq_thrift;

void pq_thrift_init(pq_thrift *t, const uint8_t *buf, size_t len, const char *what, char *err,
                    size_t errlen);

/* Format an error with the current path/field context and return code. */
sl_err pq_thrift_fail(pq_thrift *t, sl_err code, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Like pq_thrift_fail(SL_ERR_CORRUPT) but also marks the input truncated. */
sl_err pq_thrift_fail_short(pq_thrift *t, const char *what, size_t start);

/* Enter/leave a struct.  name/index label it in error messages; name must
 * be a string with static lifetime. */
sl_err pq_thrift_struct_begin(pq_thrift *t, const char *name, int64_t index);
static inline void pq_thrift_struct_end(pq_thrift *t) { t->nframes--; }

/* Read the next field header of the current struct.  *type is
 * PQ_THRIFT_STOP at the end of the struct.  Sets the field context used by
 * error messages; name it with pq_thrift_field_name(). */
sl_err pq_thrift_field(pq_thrift *t, int *type, int16_t *id);
static inline void pq_thrift_field_name(pq_thrift *t, const char *name) {
    t->frames[t->nframes - 1].field_name = name;
}

/* Scalars.  read_int accepts any integer wire type (BYTE, I16, I32, I64)
 * and returns the value sign-extended. */
sl_err pq_thrift_read_varint(pq_thrift *t, uint64_t *v);
sl_err pq_thrift_read_int(pq_thrift *t, int type, int64_t *v);
/* Binary/string: *p points into the input; length checked against input. */
sl_err pq_thrift_read_binary(pq_thrift *t, const uint8_t **p, uint32_t *n);

/* List or set header.  *n is checked against the remaining input (every
 * element takes at least one byte). */
sl_err pq_thrift_read_list(pq_thrift *t, int *elem_type, uint32_t *n);
/* One element of a list<bool>. */
sl_err pq_thrift_read_bool_elem(pq_thrift *t, bool *v);

/* Skip a value of the given type.  A field of boolean type carries its value
 * in the type and has no body; use pq_thrift_skip_field for field values. */
sl_err pq_thrift_skip_field(pq_thrift *t, int type);

const char *pq_thrift_type_name(int type);

#endif
