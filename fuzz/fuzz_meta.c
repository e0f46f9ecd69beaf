/* fuzz_meta.c: libFuzzer target for the footer and page header decoders.
 * The input is decoded both as a FileMetaData and as a PageHeader; every
 * result is freed.  Also checks a few invariants (no result on error,
 * consumed within bounds, statistics pointing into the input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch_meta(const pq_meta *m) {
    /* read everything reachable so ASan checks the pointers */
    volatile size_t sink = 0;
    for (uint32_t i = 0; i < m->n_schema; i++) sink += strlen(m->schema[i].name);
    for (uint32_t r = 0; r < m->n_row_groups; r++) {
        const pq_row_group *rg = &m->row_groups[r];
        for (uint32_t c = 0; c < rg->n_columns; c++) {
            const pq_column_chunk *cc = &rg->columns[c];
            if (cc->file_path) sink += strlen(cc->file_path);
            for (uint32_t p = 0; p < cc->meta.n_path; p++) sink += strlen(cc->meta.path[p]);
            for (uint32_t k = 0; k < cc->meta.n_encodings; k++) sink += (size_t)cc->meta.encodings[k];
            if (cc->meta.stats.has_min && cc->meta.stats.min.len) sink += cc->meta.stats.min.ptr[cc->meta.stats.min.len - 1];
            if (cc->meta.stats.has_max && cc->meta.stats.max.len) sink += cc->meta.stats.max.ptr[cc->meta.stats.max.len - 1];
        }
    }
    for (uint32_t i = 0; i < m->n_kv; i++) {
        sink += strlen(m->kv[i].key);
        if (m->kv[i].value) sink += strlen(m->kv[i].value);
    }
    if (m->created_by) sink += strlen(m->created_by);
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[SL_ERRLEN];
    pq_meta *m = NULL;
    if (pq_meta_parse(&m, data, size, err, sizeof err) == SL_OK) {
        touch_meta(m);
        pq_meta_free(m);
    } else if (m != NULL) {
        abort(); /* must not hand out a result on error */
    }

    pq_page_header h;
    size_t used = 0;
    int rc = pq_page_header_parse(&h, data, size, &used, err, sizeof err);
    if (rc == SL_OK) {
        if (used == 0 || used > size) abort();
        if (h.has_data && h.data.stats.has_max && h.data.stats.max.len) {
            const uint8_t *p = h.data.stats.max.ptr;
            if (p < data || p + h.data.stats.max.len > data + size) abort();
        }
        /* a valid header stays valid (same size) with any bytes after it */
        pq_page_header h2;
        size_t used2 = 0;
        if (pq_page_header_parse(&h2, data, used, &used2, err, sizeof err) != SL_OK || used2 != used) abort();
    } else if (rc != PQ_TRUNCATED && rc != SL_ERR_CORRUPT) {
        abort();
    }
    return 0;
}
