/* libFuzzer target for the CSV replay input: the tokenizer on its own with
 * tiny buffers and read chunks (refill and record-size-limit paths), then
 * the whole input (header mapping, value parsing, flagged rows, _extra) and
 * a seek.  Any bytes must give rows or a clean error: no crash, leak, hang. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "batch/format.h"
#include "replay/csv.h"
#include "plugins/plugin.h"
#include "replay/input.h"
#include "schema/schema.h"

typedef struct msrc {
    const uint8_t *p;
    size_t n, pos, chunk;
} msrc;

static long mread(void *ctx, void *buf, size_t n, char *err, size_t errlen) {
    msrc *m = ctx;
    size_t k = m->n - m->pos;
    if (k > n) k = n;
    if (k > m->chunk) k = m->chunk;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (long)k;
}

static void read_all(rp_input *in, sl_batch *b, sl_buf *out) {
    char err[SL_ERRLEN];
    long n;
    while ((n = rp_input_next(in, b, 7, err, sizeof err)) > 0)
        for (size_t c = 0; c < b->ncols; c++)
            for (long i = 0; i < n && i < 3; i++) sl_fmt_value(out, &b->cols[c], (size_t)i, SL_FMT_JSON);
    out->len = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[SL_ERRLEN];
    if (size > 0) {
        msrc m = {data + 1, size - 1, 0, (size_t)(data[0] & 7) + 1};
        rp_tstream s;
        rp_tstream_init(&s, mread, &m, (size_t)(data[0] >> 3) + 1, 48);
        rp_csv c;
        rp_csv_init(&c, &s);
        size_t recs = 0;
        while (rp_csv_next(&c, err, sizeof err) > 0 && recs < 100000) {
            for (size_t k = 0; k < c.nf; k++)
                if (c.f[k].len) (void)(volatile char)c.f[k].p[c.f[k].len - 1];
            recs++;
        }
        rp_csv_free(&c);
        rp_tstream_free(&s);
    }
    /* the schema: Redset, or product events when the first byte is odd
     * (dotted paths, hoisted objects, the rest column) */
    static const sc_schema *schemas[2];
    if (!schemas[0] && (sc_open(&schemas[0], reg_schema("redset"), err, sizeof err) != SL_OK ||
                        sc_open(&schemas[1], reg_schema("product_events"), err, sizeof err) != SL_OK))
        __builtin_trap();
    const sc_schema *sch = schemas[size && (data[0] & 1)];
    rp_input_opts o = {.path = "fuzz.csv", .format = reg_input("csv"), .schema = sch};
    rp_input *in;
    if (rp_input_open_mem(&in, &o, data, size, err, sizeof err) == SL_OK) {
        sl_batch b;
        sl_batch_init(&b);
        sl_buf out;
        sl_buf_init(&out);
        if (sc_init_batch(sch, &b, err, sizeof err) == SL_OK) {
            read_all(in, &b, &out);
            if (rp_input_seek(in, 2, err, sizeof err) == SL_OK) read_all(in, &b, &out);
        }
        sl_buf_free(&out);
        sl_batch_free(&b);
        rp_input_close(in);
    }
    return 0;
}
