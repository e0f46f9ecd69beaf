/* libFuzzer target for the JSON Lines replay input: the object parser on the
 * whole buffer, then the input (line splitting, key matching, value parsing,
 * _extra, flagged rows) and next_keys.  No crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "batch/format.h"
#include "plugins/plugin.h"
#include "replay/input.h"
#include "schema/schema.h"
#include "replay/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[SL_ERRLEN];
    rp_json j;
    rp_json_init(&j);
    char why[128];
    if (rp_json_parse_object(&j, (const char *)data, size, why, sizeof why))
        for (size_t k = 0; k < j.n; k++) {
            if (j.kv[k].vlen) (void)(volatile char)j.kv[k].val[j.kv[k].vlen - 1];
            if (j.kv[k].klen) (void)(volatile char)j.kv[k].key[j.kv[k].klen - 1];
        }
    rp_json_free(&j);
    /* the schema: Redset, or product events when the first byte is odd
     * (dotted paths, hoisted objects, the rest column) */
    static const sc_schema *schemas[2];
    if (!schemas[0] && (sc_open(&schemas[0], reg_schema("redset"), err, sizeof err) != SL_OK ||
                        sc_open(&schemas[1], reg_schema("product_events"), err, sizeof err) != SL_OK))
        __builtin_trap();
    const sc_schema *sch = schemas[size && (data[0] & 1)];
    rp_input_opts o = {.path = "fuzz.jsonl", .format = reg_input("jsonl"), .schema = sch};
    rp_input *in;
    if (rp_input_open_mem(&in, &o, data, size, err, sizeof err) == SL_OK) {
        sl_batch b;
        sl_batch_init(&b);
        sl_buf out;
        sl_buf_init(&out);
        if (sc_init_batch(sch, &b, err, sizeof err) == SL_OK) {
            long n;
            while ((n = rp_input_next(in, &b, 5, err, sizeof err)) > 0) {
                for (size_t c = 0; c < b.ncols; c++)
                    for (long i = 0; i < n; i++) sl_fmt_value(&out, &b.cols[c], (size_t)i, SL_FMT_JSON);
                out.len = 0;
            }
            int64_t ts[4], q[4];
            int32_t ii[4];
            if (rp_input_seek(in, 1, err, sizeof err) == SL_OK)
                while (rp_input_next_keys(in, ts, ii, q, 4, err, sizeof err) > 0) {
                }
        }
        sl_buf_free(&out);
        sl_batch_free(&b);
        rp_input_close(in);
    }
    return 0;
}
