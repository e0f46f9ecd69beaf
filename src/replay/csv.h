/* csv.h: streaming RFC 4180 tokenizer (and the buffered text stream the
 * JSON Lines reader shares).
 *
 *   rp_tstream s; rp_tstream_init(&s, read_fn, ctx, 0, 0);
 *   rp_csv c;     rp_csv_init(&c, &s);
 *   while ((r = rp_csv_next(&c, err, sizeof err)) > 0) use(c.f, c.nf, c.line);
 *   rp_csv_free(&c); rp_tstream_free(&s);
 *
 * Fields are separated by ',' and records end at LF or CRLF outside quotes.
 * A field starting with '"' is quoted: "" is a literal quote and commas and
 * line breaks inside are data.  Lenient on: bytes after a closing quote (kept
 * as data), a quote inside an unquoted field (kept), a lone CR (kept).  A
 * UTF-8 BOM at the start of the stream is skipped.  Completely empty lines
 * are skipped (no record).  Bytes are never validated or changed otherwise.
 * Memory: one buffer (default 1 MiB) grown only to hold one record, at most
 * max_record bytes (default 64 MiB); a longer record is skipped up to its
 * end and returned as an empty record with status RP_CSV_TOO_LONG.
 * Field views point into the buffer and are valid until the next call.
 */
#ifndef RP_CSV_H
#define RP_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Read up to n bytes into buf: bytes read, 0 at the end, <0 (sl_err) on error
 * with a message in err. */
typedef long (*rp_read_fn)(void *ctx, void *buf, size_t n, char *err, size_t errlen);

typedef struct rp_tstream {
    rp_read_fn read;
    void *ctx;
    char *buf;
    size_t cap, start, end; /* unconsumed bytes are buf[start, end) */
    size_t max_record;
    bool eof;
    uint64_t bytes; /* bytes read from the source */
} rp_tstream;

void rp_tstream_init(rp_tstream *s, rp_read_fn read, void *ctx, size_t bufsize, size_t max_record);
void rp_tstream_free(rp_tstream *s);
/* Make more bytes available after buf[end): moves [start,end) to the front
 * or grows the buffer (up to max_record).  Returns 1 when bytes were added,
 * 0 at EOF, RP_TS_FULL when the unconsumed bytes already fill max_record,
 * <0 on I/O error or out of memory. */
#define RP_TS_FULL 2
int rp_tstream_fill(rp_tstream *s, char *err, size_t errlen);

/* Next line (without its LF; a CR before it is kept) for JSON Lines: returns
 * 1 with *line and *len valid until the next call, 0 at EOF, <0 on error.
 * *too_long is set when the line exceeded max_record (it was skipped and
 * *len is 0). */
int rp_tstream_line(rp_tstream *s, const char **line, size_t *len, bool *too_long, char *err, size_t errlen);

typedef struct rp_csv_field {
    const char *p;
    uint32_t len;
    uint8_t quoted; /* 1 when the field was quoted */
} rp_csv_field;

enum { RP_CSV_OK = 0, RP_CSV_UNTERMINATED = 1, RP_CSV_TOO_LONG = 2 };

typedef struct rp_csv {
    rp_tstream *s;
    rp_csv_field *f;
    size_t nf, fcap;
    int status;        /* of the record just returned */
    uint64_t line;     /* physical line (1-based) where that record starts */
    uint64_t next_line;
    bool started;
} rp_csv;

void rp_csv_init(rp_csv *c, rp_tstream *s);
void rp_csv_free(rp_csv *c);
/* 1 = a record in c->f[0..nf), 0 = end, <0 = I/O error / out of memory. */
int rp_csv_next(rp_csv *c, char *err, size_t errlen);

#endif
