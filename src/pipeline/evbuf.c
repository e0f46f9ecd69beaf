/* evbuf.c: see evbuf.h.  Rows are kept in chunks (batches of up to CHUNK_ROWS
 * rows, in the order added) with each chunk's newest arrival, so a chunk that
 * has wholly left the retention is freed without looking at its rows. */
#include "pipeline/evbuf.h"

#include <stdlib.h>
#include <string.h>


#define CHUNK_ROWS 16384

typedef struct chunk {
    sl_batch b;
    int64_t max_us; /* newest arrival in the chunk */
    struct chunk *next;
} chunk;

struct eb {
    size_t ncols;    /* columns kept: the schema's, source, _input, _row */
    int time;        /* the event-time column */
    const char *time_name;
    int64_t retention_us;
    size_t cap_bytes;
    chunk *head, *tail;
    chunk *spare;  /* emptied chunks kept for reuse (their column arrays stay allocated) */
    int nspare;
    int64_t newest_us;
    int64_t shed_max_us;
    uint32_t *idx; /* drain scratch */
    size_t idxcap;
    eb_stats st;
};

/* Bytes of the rows a chunk holds (values + string bytes). */
static size_t chunk_bytes(const chunk *c) {
    size_t w = 0;
    for (size_t j = 0; j < c->b.ncols; j++) w += sl_type_width(c->b.cols[j].t.type);
    return c->b.nrows * w + c->b.arena.used;
}

sl_err eb_open(eb **out, const sc_schema *s, int64_t retention_us, size_t cap_bytes, char *err, size_t errlen) {
    *out = NULL;
    if (retention_us <= 0) return sl_err_set(err, errlen, SL_ERR_ARG, "event buffer: retention must be positive");
    eb *x = calloc(1, sizeof *x);
    if (!x) return sl_err_set(err, errlen, SL_ERR_NOMEM, "event buffer: out of memory");
    x->ncols = (size_t)s->row + 1;
    x->time = s->time;
    x->time_name = s->cols[s->time].name;
    x->retention_us = retention_us;
    x->cap_bytes = cap_bytes;
    x->newest_us = INT64_MIN;
    x->shed_max_us = INT64_MIN;
    *out = x;
    return SL_OK;
}

static void chunk_free(chunk *c) {
    sl_batch_free(&c->b);
    free(c);
}

#define MAX_SPARE 4

/* Done with c: keep it for reuse (columns allocated: no page faults for the
 * next 64K rows) or free it. */
static void chunk_release(eb *x, chunk *c) {
    if (x->nspare >= MAX_SPARE) {
        chunk_free(c);
        return;
    }
    sl_batch_reset(&c->b);
    c->max_us = INT64_MIN;
    c->next = x->spare;
    x->spare = c;
    x->nspare++;
}

static int64_t arrival_us(const sl_col *a, size_t r) {
    int64_t v = ((const int64_t *)a->data)[r];
    switch (a->t.unit) {
    case SL_UNIT_MILLIS: return v * 1000;
    case SL_UNIT_NANOS: return v / 1000;
    default: return v;
    }
}

static int64_t cut_us(const eb *x) {
    return x->newest_us < INT64_MIN + x->retention_us ? INT64_MIN : x->newest_us - x->retention_us;
}

/* Free leading chunks that are wholly out of the retention. */
static void expire(eb *x) {
    int64_t cut = cut_us(x);
    while (x->head && x->head->max_us < cut) {
        chunk *c = x->head;
        x->head = c->next;
        if (!x->head) x->tail = NULL;
        x->st.expired += c->b.nrows;
        x->st.rows -= c->b.nrows;
        x->st.bytes -= chunk_bytes(c);
        chunk_release(x, c);
    }
}

sl_err eb_add(eb *x, const sl_batch *b, const uint32_t *idx, size_t n, char *err, size_t errlen) {
    if (n == 0) return SL_OK;
    if (b->ncols < x->ncols || b->cols[x->time].t.logical != SL_LOG_TIMESTAMP)
        return sl_err_set(err, errlen, SL_ERR_ARG, "event buffer: not a canonical event batch");
    const sl_col *a = &b->cols[x->time];
    int64_t mx = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (idx[i] >= b->nrows)
            return sl_err_set(err, errlen, SL_ERR_ARG, "event buffer: row %u of a batch of %zu", idx[i], b->nrows);
        if (sl_col_is_null(a, idx[i]))
            return sl_err_set(err, errlen, SL_ERR_ARG, "event buffer: row %u has a NULL %s", idx[i], x->time_name);
        int64_t us = arrival_us(a, idx[i]);
        if (us > mx) mx = us;
    }
    size_t done = 0;
    while (done < n) {
        chunk *c = x->tail;
        if (!c || c->b.nrows >= CHUNK_ROWS) {
            if (x->spare) {
                c = x->spare;
                x->spare = c->next;
                x->nspare--;
                c->next = NULL;
            } else {
                c = calloc(1, sizeof *c);
                if (!c) return sl_err_set(err, errlen, SL_ERR_NOMEM, "event buffer: out of memory");
                sl_batch_init(&c->b);
                c->max_us = INT64_MIN;
            }
            if (x->tail) x->tail->next = c;
            else x->head = c;
            x->tail = c;
        }
        size_t k = n - done;
        if (k > CHUNK_ROWS - c->b.nrows) k = CHUNK_ROWS - c->b.nrows;
        size_t before = chunk_bytes(c);
        sl_err e = sl_batch_append_rows(&c->b, b, x->ncols, idx + done, k, err, errlen);
        if (e != SL_OK) return e;
        for (size_t i = done; i < done + k; i++) {
            int64_t us = arrival_us(a, idx[i]);
            if (us > c->max_us) c->max_us = us;
        }
        x->st.bytes += chunk_bytes(c) - before;
        x->st.rows += k;
        done += k;
    }
    x->st.added += n;
    if (mx > x->newest_us) x->newest_us = mx;
    if (x->st.bytes > x->st.peak_bytes) x->st.peak_bytes = x->st.bytes;
    expire(x);
    return SL_OK;
}

bool eb_over_cap(const eb *x) { return x->st.bytes > x->cap_bytes; }

size_t eb_shed(eb *x, size_t target_bytes) {
    expire(x);
    size_t n = 0;
    while (x->head && x->st.bytes > target_bytes) {
        chunk *c = x->head;
        x->head = c->next;
        if (!x->head) x->tail = NULL;
        if (c->max_us > x->shed_max_us) x->shed_max_us = c->max_us;
        n += c->b.nrows;
        x->st.rows -= c->b.nrows;
        x->st.bytes -= chunk_bytes(c);
        chunk_release(x, c);
    }
    x->st.shed += n;
    return n;
}

int64_t eb_shed_max_us(const eb *x) { return x->shed_max_us; }

int64_t eb_cut_us(const eb *x) { return x->newest_us == INT64_MIN ? INT64_MIN : cut_us(x); }

sl_err eb_drain(eb *x, eb_write_fn write, void *ctx, char *err, size_t errlen) {
    expire(x);
    int64_t cut = cut_us(x);
    sl_err e = SL_OK;
    while (x->head) {
        chunk *c = x->head;
        size_t n = 0;
        if (e == SL_OK) {
            if (x->idxcap < c->b.nrows) {
                uint32_t *ni = realloc(x->idx, c->b.nrows * sizeof *ni);
                if (!ni) e = sl_err_set(err, errlen, SL_ERR_NOMEM, "event buffer: out of memory");
                else x->idx = ni, x->idxcap = c->b.nrows;
            }
            const sl_col *a = &c->b.cols[x->time];
            for (size_t r = 0; e == SL_OK && r < c->b.nrows; r++)
                if (arrival_us(a, r) >= cut) x->idx[n++] = (uint32_t)r;
            if (e == SL_OK && n) e = write(ctx, &c->b, x->idx, n, err, errlen);
            if (e == SL_OK) {
                x->st.written += n;
                x->st.expired += c->b.nrows - n;
            }
        }
        x->head = c->next;
        chunk_release(x, c);
    }
    x->tail = NULL;
    x->st.rows = 0;
    x->st.bytes = 0;
    return e;
}

eb_stats eb_get_stats(const eb *x) { return x->st; }

void eb_close(eb *x) {
    if (!x) return;
    while (x->head) {
        chunk *c = x->head;
        x->head = c->next;
        chunk_free(c);
    }
    while (x->spare) {
        chunk *c = x->spare;
        x->spare = c->next;
        chunk_free(c);
    }
    free(x->idx);
    free(x);
}
