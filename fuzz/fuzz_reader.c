/* libFuzzer target over the whole Parquet reader: footer, schema mapping,
 * pages, codecs, encodings and value formatting.  Any input must give rows
 * or a clean error: no crash, leak, hang or runaway allocation. */
#include <stddef.h>
#include <stdint.h>

#include "batch/format.h"
#include "parquet/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[SL_ERRLEN];
    sl_source *src;
    if (sl_source_open_mem(&src, data, size, "fuzz.parquet", err, sizeof err) != SL_OK) return 0;
    pq_reader_opts o = pq_reader_opts_default();
    o.max_page_bytes = 4u << 20;
    pq_reader *r;
    if (pq_reader_open(&r, src, &o, err, sizeof err) == SL_OK) {
        sl_batch b;
        sl_batch_init(&b);
        sl_buf out;
        sl_buf_init(&out);
        if (pq_reader_init_batch(r, &b, err, sizeof err) == SL_OK) {
            size_t total = 0;
            long n;
            while (total < 200000 && (n = pq_reader_next(r, &b, 1000, err, sizeof err)) > 0) {
                total += (size_t)n;
                for (size_t c = 0; c < b.ncols; c++)
                    for (long i = 0; i < n && i < 4; i++) sl_fmt_value(&out, &b.cols[c], (size_t)i, SL_FMT_JSON);
                out.len = 0;
            }
        }
        sl_buf_free(&out);
        sl_batch_free(&b);
        pq_reader_close(r);
    }
    sl_source_close(src);
    sl_blob_pool_drain();
    return 0;
}
