#include "batch/batch.h"

#include <stdlib.h>
#include <string.h>

sl_blob *sl_blob_new(size_t size) {
    sl_blob *b = malloc(sizeof *b + (size ? size : 1));
    if (!b) return NULL;
    b->refs = 1;
    b->size = size;
    return b;
}

sl_blob *sl_blob_ref(sl_blob *b) {
    if (b) b->refs++;
    return b;
}

void sl_blob_unref(sl_blob *b) {
    if (b && --b->refs == 0) free(b);
}

size_t sl_type_width(sl_type t) {
    switch (t) {
    case SL_BOOL: return 1;
    case SL_I32: return 4;
    case SL_I64: return 8;
    case SL_F32: return 4;
    case SL_F64: return 8;
    case SL_BYTES: return sizeof(sl_str);
    }
    return 8;
}

void sl_batch_init(sl_batch *b) {
    memset(b, 0, sizeof *b);
    sl_arena_init(&b->arena);
}

static void release_blobs(sl_batch *b) {
    for (size_t i = 0; i < b->nblobs; i++) sl_blob_unref(b->blobs[i]);
    b->nblobs = 0;
}

void sl_batch_free(sl_batch *b) {
    for (size_t i = 0; i < b->ncols; i++) {
        free(b->cols[i].name);
        free(b->cols[i].data);
        free(b->cols[i].valid);
    }
    free(b->cols);
    release_blobs(b);
    free(b->blobs);
    sl_arena_free(&b->arena);
    memset(b, 0, sizeof *b);
}

sl_err sl_batch_add_col(sl_batch *b, const char *name, const sl_coltype *t, bool nullable, char *err,
                        size_t errlen) {
    if (b->nrows) return sl_err_set(err, errlen, SL_ERR_ARG, "sl_batch_add_col: batch already has rows");
    sl_col *nc = realloc(b->cols, (b->ncols + 1) * sizeof *nc);
    if (!nc) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    b->cols = nc;
    sl_col *c = &b->cols[b->ncols];
    memset(c, 0, sizeof *c);
    c->name = strdup(name ? name : "");
    if (!c->name) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    c->t = *t;
    c->nullable = nullable;
    if (b->cap) {
        c->data = calloc(b->cap, sl_type_width(t->type));
        if (!c->data) {
            free(c->name);
            return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
        }
    }
    b->ncols++;
    return SL_OK;
}

sl_err sl_batch_reserve(sl_batch *b, size_t cap, char *err, size_t errlen) {
    if (cap <= b->cap) return SL_OK;
    for (size_t i = 0; i < b->ncols; i++) {
        sl_col *c = &b->cols[i];
        size_t w = sl_type_width(c->t.type);
        void *d = realloc(c->data, cap * w);
        if (!d) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory reserving %zu rows", cap);
        c->data = d;
        if (c->valid) {
            uint8_t *v = realloc(c->valid, (cap + 7) / 8);
            if (!v) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory reserving %zu rows", cap);
            memset(v + (b->cap + 7) / 8, 0, (cap + 7) / 8 - (b->cap + 7) / 8);
            c->valid = v;
        }
    }
    b->cap = cap;
    return SL_OK;
}

void sl_batch_reset(sl_batch *b) {
    b->nrows = 0;
    for (size_t i = 0; i < b->ncols; i++) {
        sl_col *c = &b->cols[i];
        /* keep the bitmap allocation but mark "no NULLs" by freeing lazily:
         * we keep memory and clear, then hide it */
        free(c->valid);
        c->valid = NULL;
        c->null_count = 0;
    }
    release_blobs(b);
    sl_arena_reset(&b->arena);
}

sl_err sl_batch_retain(sl_batch *b, sl_blob *blob) {
    if (b->nblobs && b->blobs[b->nblobs - 1] == blob) return SL_OK;
    if (b->nblobs == b->blobcap) {
        size_t nc = b->blobcap ? b->blobcap * 2 : 16;
        sl_blob **nb = realloc(b->blobs, nc * sizeof *nb);
        if (!nb) return SL_ERR_NOMEM;
        b->blobs = nb;
        b->blobcap = nc;
    }
    b->blobs[b->nblobs++] = sl_blob_ref(blob);
    return SL_OK;
}

uint8_t *sl_col_valid_alloc(sl_batch *b, size_t ci) {
    sl_col *c = &b->cols[ci];
    if (c->valid) return c->valid;
    size_t nbytes = (b->cap + 7) / 8;
    c->valid = malloc(nbytes ? nbytes : 1);
    if (!c->valid) return NULL;
    memset(c->valid, 0xff, nbytes);
    return c->valid;
}
