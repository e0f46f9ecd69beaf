#include "batch/batch.h"

#include <stdlib.h>
#include <string.h>

#define POOL_MIN_SHIFT 16 /* 64 KiB */
#define POOL_CLASSES 7     /* up to 4 MiB: larger blocks go straight back to malloc */
#define POOL_DEPTH 8       /* blocks kept per class (at most ~64 MiB pooled) */

typedef struct blob_pool {
    sl_blob *free[POOL_CLASSES][POOL_DEPTH];
    int n[POOL_CLASSES];
} blob_pool;

static _Thread_local blob_pool pool;

static int size_class(size_t size) {
    if (size < ((size_t)1 << POOL_MIN_SHIFT)) return -1;
    int c = 0;
    while (((size_t)1 << (POOL_MIN_SHIFT + c)) < size) c++;
    return c < POOL_CLASSES ? c : -1;
}

sl_blob *sl_blob_new(size_t size) {
    int c = size_class(size);
    sl_blob *b;
    if (c >= 0 && pool.n[c] > 0) {
        b = pool.free[c][--pool.n[c]];
    } else {
        size_t cap = c >= 0 ? (size_t)1 << (POOL_MIN_SHIFT + c) : (size ? size : 1);
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->cap = cap;
    }
    b->refs = 1;
    b->size = size;
    return b;
}

sl_blob *sl_blob_ref(sl_blob *b) {
    if (b) b->refs++;
    return b;
}

void sl_blob_unref(sl_blob *b) {
    if (!b || --b->refs != 0) return;
    int c = size_class(b->cap);
    if (c >= 0 && b->cap == (size_t)1 << (POOL_MIN_SHIFT + c) && pool.n[c] < POOL_DEPTH) {
        pool.free[c][pool.n[c]++] = b;
        return;
    }
    free(b);
}

void sl_blob_pool_drain(void) {
    for (int c = 0; c < POOL_CLASSES; c++) {
        while (pool.n[c] > 0) free(pool.free[c][--pool.n[c]]);
    }
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
