/* gather.c: copy selected rows of one batch onto the end of another. */
#include <string.h>

#include "batch/batch.h"

sl_err sl_batch_append_rows(sl_batch *dst, const sl_batch *src, size_t ncols, const uint32_t *idx, size_t n, char *err,
                            size_t errlen) {
    if (ncols > src->ncols)
        return sl_err_set(err, errlen, SL_ERR_ARG, "gather: %zu columns asked of a batch of %zu", ncols, src->ncols);
    if (dst->ncols == 0) {
        for (size_t j = 0; j < ncols; j++) {
            const sl_col *c = &src->cols[j];
            sl_err e = sl_batch_add_col(dst, c->name, &c->t, c->nullable, err, errlen);
            if (e != SL_OK) return e;
        }
    } else if (dst->ncols != ncols) {
        return sl_err_set(err, errlen, SL_ERR_ARG, "gather: destination has %zu columns, source gives %zu", dst->ncols, ncols);
    }
    for (size_t j = 0; j < ncols; j++)
        if (dst->cols[j].t.type != src->cols[j].t.type)
            return sl_err_set(err, errlen, SL_ERR_ARG, "gather: column %zu (%s) changes type", j, src->cols[j].name);
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= src->nrows)
            return sl_err_set(err, errlen, SL_ERR_ARG, "gather: row %u of a batch of %zu rows", idx[i], src->nrows);
    size_t base = dst->nrows, need = base + n;
    if (need > dst->cap) {
        /* a first copy is sized exactly (queues hold many small copies);
         * appends after it grow geometrically */
        size_t cap = dst->cap ? dst->cap : need;
        while (cap < need) cap *= 2;
        sl_err e = sl_batch_reserve(dst, cap, err, errlen);
        if (e != SL_OK) return e;
    }
    if (base == 0) { /* the string bytes of a first copy, in one block of their size */
        size_t bytes = 0;
        for (size_t j = 0; j < ncols; j++) {
            const sl_col *sc = &src->cols[j];
            if (sc->t.type != SL_BYTES) continue;
            for (size_t i = 0; i < n; i++) bytes += (((const sl_str *)sc->data)[idx[i]].len + 7) & ~(size_t)7;
        }
        if (!sl_arena_reserve(&dst->arena, bytes)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "gather: out of memory");
    }
    for (size_t j = 0; j < ncols; j++) {
        const sl_col *sc = &src->cols[j];
        sl_col *dc = &dst->cols[j];
        size_t w = sl_type_width(sc->t.type);
        bool nulls = sc->valid && sc->null_count;
        if (nulls && !dc->valid) {
            if (!sl_col_valid_alloc(dst, j)) return sl_err_set(err, errlen, SL_ERR_NOMEM, "gather: out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            size_t r = idx[i], k = base + i;
            bool isnull = nulls && !sl_bit_get(sc->valid, r);
            if (dc->valid) {
                if (isnull) sl_bit_clear(dc->valid, k);
                else sl_bit_set(dc->valid, k);
            }
            if (isnull) {
                dc->null_count++;
                memset((char *)dc->data + k * w, 0, w);
            } else if (sc->t.type == SL_BYTES) {
                sl_str s = ((const sl_str *)sc->data)[r];
                sl_str d = {.ptr = "", .len = s.len};
                if (s.len) {
                    d.ptr = sl_arena_dup(&dst->arena, s.ptr, s.len);
                    if (!d.ptr) return sl_err_set(err, errlen, SL_ERR_NOMEM, "gather: out of memory");
                }
                ((sl_str *)dc->data)[k] = d;
            } else {
                memcpy((char *)dc->data + k * w, (const char *)sc->data + r * w, w);
            }
        }
    }
    dst->nrows = need;
    return SL_OK;
}
