/* async.c: see async.h.  One mutex, two condition variables (work queued /
 * room or idle), a FIFO of operations. */
#include "pipeline/async.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch/batch.h"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

typedef enum { OP_ROWS, OP_EVENTS, OP_FINAL, OP_CALL, OP_STOP } op_kind;

typedef struct op {
    op_kind kind;
    size_t t;
    int64_t hour_us;
    bool final;
    sl_batch b;     /* OP_ROWS, OP_EVENTS: owned copy */
    size_t bytes;
    sl_err (*fn)(void *ctx, char *err, size_t errlen);
    void *fctx;
    void (*dispose)(void *ctx);
    struct op *next;
} op;

struct as_async {
    char name[64];
    en_sink inner;
    size_t ev_ncols, max_bytes;
    pthread_t thr;
    pthread_mutex_t mu;
    pthread_cond_t work, room;
    op *head, *tail;
    bool busy;          /* worker is running an op */
    sl_err e;           /* first error */
    char err[SL_ERRLEN];
    as_stats st;
    uint32_t *ident;    /* 0..n-1 for events copies */
    size_t nident;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a queued copy holds in memory: its columns' capacity, validity
 * bitmaps and string blocks (not just the bytes in use), so the queue's
 * budget bounds the real memory however small the copies are. */
static size_t batch_bytes(const sl_batch *b) {
    size_t n = b->arena.reserved + b->ncols * sizeof(sl_col) + 256;
    for (size_t j = 0; j < b->ncols; j++)
        n += b->cap * sl_type_width(b->cols[j].t.type) + (b->cols[j].valid ? (b->cap + 7) / 8 : 0);
    return n;
}

static void op_free(op *o) {
    if (!o) return;
    if (o->kind == OP_ROWS || o->kind == OP_EVENTS) sl_batch_free(&o->b);
    if (o->kind == OP_CALL && o->dispose) o->dispose(o->fctx);
    free(o);
}

static sl_err run_op(as_async *a, op *o, char *err, size_t errlen) {
    static const uint32_t none[1] = {0};
    switch (o->kind) {
    case OP_ROWS: return a->inner.rows ? a->inner.rows(a->inner.ctx, o->t, o->hour_us, o->final, &o->b, err, errlen) : SL_OK;
    case OP_EVENTS: {
        if (!a->inner.events || o->b.nrows == 0) return SL_OK;
        /* the copy holds exactly the selected rows, in order */
        const uint32_t *idx = o->b.nrows <= a->nident ? a->ident : none;
        if (idx == none) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", a->name);
        return a->inner.events(a->inner.ctx, o->hour_us, &o->b, idx, o->b.nrows, err, errlen);
    }
    case OP_FINAL: return a->inner.window_final ? a->inner.window_final(a->inner.ctx, o->hour_us, err, errlen) : SL_OK;
    case OP_CALL: return o->fn(o->fctx, err, errlen);
    default: return SL_OK;
    }
}

/* Name the calling thread (shown by top -H, perf --sort comm); Linux only. */
static void name_thread(const char *name) {
#if defined(__linux__)
    char n[16];
    snprintf(n, sizeof n, "sl-%.12s", name);
    for (char *p = n; *p; p++)
        if (*p == ' ') *p = '-';
    prctl(PR_SET_NAME, n, 0, 0, 0);
#else
    (void)name;
#endif
}

static void *worker(void *arg) {
    as_async *a = arg;
    char err[SL_ERRLEN];
    name_thread(a->name);
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->head) pthread_cond_wait(&a->work, &a->mu);
        op *o = a->head;
        a->head = o->next;
        if (!a->head) a->tail = NULL;
        if (o->kind == OP_STOP) {
            op_free(o);
            break;
        }
        bool skip = a->e != SL_OK;
        a->busy = true;
        pthread_mutex_unlock(&a->mu);
        double t0 = now_s();
        sl_err e = skip ? SL_OK : run_op(a, o, err, sizeof err);
        double d = now_s() - t0;
        size_t bytes = o->bytes;
        op_free(o);
        pthread_mutex_lock(&a->mu);
        a->busy = false;
        a->st.queued_bytes -= bytes;
        a->st.ops++;
        a->st.busy_s += d;
        if (d > a->st.max_call_s) a->st.max_call_s = d;
        if (e != SL_OK) {
            a->st.errors++;
            if (a->e == SL_OK) {
                a->e = e;
                /* name the output unless its message does already */
                snprintf(a->err, sizeof a->err, "%s", err);
                if (strncmp(err, a->name, strlen(a->name))) sl_err_prefix(a->err, sizeof a->err, "%s", a->name);
            }
        }
        pthread_cond_broadcast(&a->room);
    }
    pthread_mutex_unlock(&a->mu);
    sl_blob_pool_drain();
    return NULL;
}

sl_err as_open(as_async **out, const char *name, en_sink inner, size_t ev_ncols, size_t max_bytes, char *err,
               size_t errlen) {
    *out = NULL;
    as_async *a = calloc(1, sizeof *a);
    if (!a) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", name);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->inner = inner;
    a->ev_ncols = ev_ncols;
    a->max_bytes = max_bytes;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->room, NULL);
    int pe = pthread_create(&a->thr, NULL, worker, a);
    if (pe != 0) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->work);
        pthread_cond_destroy(&a->room);
        free(a);
        return sl_err_set(err, errlen, SL_ERR_IO, "%s: cannot start its thread: %s", name, strerror(pe));
    }
    *out = a;
    return SL_OK;
}

/* Queue o (taking it); waits for room.  Returns the sticky error, if any. */
static sl_err enqueue(as_async *a, op *o, char *err, size_t errlen) {
    pthread_mutex_lock(&a->mu);
    if (a->e == SL_OK && a->st.queued_bytes > 0 && a->st.queued_bytes + o->bytes > a->max_bytes) {
        double t0 = now_s();
        a->st.waits++;
        while (a->e == SL_OK && a->st.queued_bytes > 0 && a->st.queued_bytes + o->bytes > a->max_bytes)
            pthread_cond_wait(&a->room, &a->mu);
        a->st.wait_s += now_s() - t0;
    }
    sl_err e = a->e;
    if (e != SL_OK) {
        sl_err_set(err, errlen, e, "%s", a->err);
        pthread_mutex_unlock(&a->mu);
        op_free(o);
        return e;
    }
    a->st.queued_bytes += o->bytes;
    if (a->st.queued_bytes > a->st.peak_bytes) a->st.peak_bytes = a->st.queued_bytes;
    if (a->tail) a->tail->next = o;
    else a->head = o;
    a->tail = o;
    pthread_cond_signal(&a->work);
    pthread_mutex_unlock(&a->mu);
    return SL_OK;
}

static op *op_new(as_async *a, op_kind k, char *err, size_t errlen) {
    op *o = calloc(1, sizeof *o);
    if (!o) {
        sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", a->name);
        return NULL;
    }
    o->kind = k;
    sl_batch_init(&o->b);
    return o;
}

/* Before copying: a stored error is returned at once (no work wasted). */
static sl_err sticky(as_async *a, char *err, size_t errlen) {
    pthread_mutex_lock(&a->mu);
    sl_err e = a->e;
    if (e != SL_OK) sl_err_set(err, errlen, e, "%s", a->err);
    pthread_mutex_unlock(&a->mu);
    return e;
}

static sl_err ensure_ident(as_async *a, size_t n, char *err, size_t errlen) {
    if (n <= a->nident) return SL_OK;
    /* only the producer grows it, and only while the worker is idle */
    sl_err e = as_sync(a, err, errlen);
    if (e != SL_OK) return e;
    size_t cap = a->nident ? a->nident : 4096;
    while (cap < n) cap *= 2;
    uint32_t *v = realloc(a->ident, cap * sizeof *v);
    if (!v) return sl_err_set(err, errlen, SL_ERR_NOMEM, "%s: out of memory", a->name);
    for (size_t i = 0; i < cap; i++) v[i] = (uint32_t)i;
    a->ident = v;
    a->nident = cap;
    return SL_OK;
}

static sl_err s_rows(void *ctx, size_t t, int64_t hour_us, bool final, const sl_batch *rows, char *err, size_t errlen) {
    as_async *a = ctx;
    sl_err e = sticky(a, err, errlen);
    if (e != SL_OK) return e;
    e = ensure_ident(a, rows->nrows, err, errlen);
    if (e != SL_OK) return e;
    op *o = op_new(a, OP_ROWS, err, errlen);
    if (!o) return SL_ERR_NOMEM;
    o->t = t;
    o->hour_us = hour_us;
    o->final = final;
    e = sl_batch_append_rows(&o->b, rows, rows->ncols, a->ident, rows->nrows, err, errlen);
    if (e != SL_OK) {
        op_free(o);
        return e;
    }
    o->bytes = batch_bytes(&o->b);
    return enqueue(a, o, err, errlen);
}

static sl_err s_events(void *ctx, int64_t hour_us, const sl_batch *b, const uint32_t *idx, size_t n, char *err,
                       size_t errlen) {
    as_async *a = ctx;
    sl_err e = sticky(a, err, errlen);
    if (e != SL_OK || n == 0) return e;
    if ((e = ensure_ident(a, n, err, errlen)) != SL_OK) return e;
    op *o = op_new(a, OP_EVENTS, err, errlen);
    if (!o) return SL_ERR_NOMEM;
    o->hour_us = hour_us;
    size_t nc = a->ev_ncols < b->ncols ? a->ev_ncols : b->ncols;
    e = sl_batch_append_rows(&o->b, b, nc, idx, n, err, errlen);
    if (e != SL_OK) {
        op_free(o);
        return e;
    }
    o->bytes = batch_bytes(&o->b);
    return enqueue(a, o, err, errlen);
}

static sl_err s_final(void *ctx, int64_t hour_us, char *err, size_t errlen) {
    as_async *a = ctx;
    op *o = op_new(a, OP_FINAL, err, errlen);
    if (!o) return SL_ERR_NOMEM;
    o->hour_us = hour_us;
    o->bytes = 64;
    return enqueue(a, o, err, errlen);
}

en_sink as_sink(as_async *a) {
    return (en_sink){.ctx = a, .rows = s_rows, .events = s_events, .window_final = s_final};
}

sl_err as_call(as_async *a, sl_err (*fn)(void *ctx, char *err, size_t errlen), void *ctx, void (*dispose)(void *ctx),
               char *err, size_t errlen) {
    op *o = op_new(a, OP_CALL, err, errlen);
    if (!o) {
        if (dispose) dispose(ctx);
        return SL_ERR_NOMEM;
    }
    o->fn = fn;
    o->fctx = ctx;
    o->dispose = dispose;
    o->bytes = 64;
    return enqueue(a, o, err, errlen);
}

sl_err as_sync(as_async *a, char *err, size_t errlen) {
    pthread_mutex_lock(&a->mu);
    while (a->head || a->busy) pthread_cond_wait(&a->room, &a->mu);
    sl_err e = a->e;
    if (e != SL_OK) sl_err_set(err, errlen, e, "%s", a->err);
    pthread_mutex_unlock(&a->mu);
    return e;
}

as_stats as_get_stats(as_async *a) {
    pthread_mutex_lock(&a->mu);
    as_stats s = a->st;
    pthread_mutex_unlock(&a->mu);
    return s;
}

void as_stats_reset_max(as_async *a) {
    pthread_mutex_lock(&a->mu);
    a->st.max_call_s = 0;
    pthread_mutex_unlock(&a->mu);
}

void as_close(as_async *a) {
    if (!a) return;
    op *stop = calloc(1, sizeof *stop);
    pthread_mutex_lock(&a->mu);
    if (stop) {
        stop->kind = OP_STOP;
        if (a->tail) a->tail->next = stop;
        else a->head = stop;
        a->tail = stop;
        pthread_cond_signal(&a->work);
    }
    pthread_mutex_unlock(&a->mu);
    if (stop) pthread_join(a->thr, NULL);
    else pthread_detach(a->thr); /* out of memory: cannot stop it cleanly */
    while (a->head) {
        op *o = a->head;
        a->head = o->next;
        op_free(o);
    }
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->room);
    free(a->ident);
    free(a);
}
