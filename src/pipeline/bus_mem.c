/* bus_mem.c: the in-memory bus (mutex + two condition variables, ring buffer). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/bus.h"

typedef struct mem_bus {
    sl_bus base;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    sl_batch **ring;
    size_t cap, head, count;
    sl_batch **free_list;
    size_t nfree, free_cap;
    bool producer_closed, consumer_closed;
    sl_bus_stats st;
} mem_bus;

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void deadline(struct timespec *ts, double s) {
    clock_gettime(CLOCK_REALTIME, ts);
    long sec = (long)s;
    long ns = (long)((s - (double)sec) * 1e9);
    ts->tv_sec += sec;
    ts->tv_nsec += ns;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static sl_err mb_put(sl_bus *bus, sl_batch *b, char *err, size_t errlen) {
    mem_bus *m = (mem_bus *)bus;
    pthread_mutex_lock(&m->mu);
    if (m->count == m->cap && !m->consumer_closed) {
        double t0 = mono();
        m->st.producer_waits++;
        while (m->count == m->cap && !m->consumer_closed) pthread_cond_wait(&m->not_full, &m->mu);
        m->st.producer_wait_s += mono() - t0;
    }
    if (m->consumer_closed) {
        pthread_mutex_unlock(&m->mu);
        return sl_err_set(err, errlen, SL_ERR_ARG, "bus: the consumer has stopped");
    }
    m->ring[(m->head + m->count) % m->cap] = b;
    m->count++;
    m->st.batches_in++;
    m->st.rows_in += b->nrows;
    if (m->count > m->st.max_depth) m->st.max_depth = m->count;
    pthread_cond_signal(&m->not_empty);
    pthread_mutex_unlock(&m->mu);
    return SL_OK;
}

static int mb_get(sl_bus *bus, sl_batch **out, double timeout_s) {
    mem_bus *m = (mem_bus *)bus;
    pthread_mutex_lock(&m->mu);
    if (m->count == 0 && !m->producer_closed) {
        if (timeout_s < 0) {
            while (m->count == 0 && !m->producer_closed) pthread_cond_wait(&m->not_empty, &m->mu);
        } else {
            struct timespec ts;
            deadline(&ts, timeout_s);
            while (m->count == 0 && !m->producer_closed)
                if (pthread_cond_timedwait(&m->not_empty, &m->mu, &ts) == ETIMEDOUT) break;
        }
    }
    int rc;
    if (m->count > 0) {
        *out = m->ring[m->head];
        m->head = (m->head + 1) % m->cap;
        m->count--;
        m->st.batches_out++;
        m->st.rows_out += (*out)->nrows;
        pthread_cond_signal(&m->not_full);
        rc = 1;
    } else {
        rc = m->producer_closed ? -1 : 0;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static void mb_recycle(sl_bus *bus, sl_batch *b) {
    mem_bus *m = (mem_bus *)bus;
    sl_batch_reset(b);
    pthread_mutex_lock(&m->mu);
    if (m->nfree == m->free_cap) {
        size_t nc = m->free_cap ? m->free_cap * 2 : 8;
        sl_batch **nf = realloc(m->free_list, nc * sizeof *nf);
        if (!nf) {
            pthread_mutex_unlock(&m->mu);
            sl_batch_free(b);
            free(b);
            return;
        }
        m->free_list = nf;
        m->free_cap = nc;
    }
    m->free_list[m->nfree++] = b;
    pthread_mutex_unlock(&m->mu);
}

static sl_batch *mb_take_free(sl_bus *bus) {
    mem_bus *m = (mem_bus *)bus;
    sl_batch *b = NULL;
    pthread_mutex_lock(&m->mu);
    if (m->nfree) b = m->free_list[--m->nfree];
    pthread_mutex_unlock(&m->mu);
    return b;
}

static void mb_close_producer(sl_bus *bus) {
    mem_bus *m = (mem_bus *)bus;
    pthread_mutex_lock(&m->mu);
    m->producer_closed = true;
    pthread_cond_broadcast(&m->not_empty);
    pthread_mutex_unlock(&m->mu);
}

static void mb_close_consumer(sl_bus *bus) {
    mem_bus *m = (mem_bus *)bus;
    pthread_mutex_lock(&m->mu);
    m->consumer_closed = true;
    pthread_cond_broadcast(&m->not_full);
    pthread_mutex_unlock(&m->mu);
}

static void mb_stats(sl_bus *bus, sl_bus_stats *out) {
    mem_bus *m = (mem_bus *)bus;
    pthread_mutex_lock(&m->mu);
    *out = m->st;
    out->depth = m->count;
    pthread_mutex_unlock(&m->mu);
}

static void free_batch(sl_batch *b) {
    if (!b) return;
    sl_batch_free(b);
    free(b);
}

static void mb_free(sl_bus *bus) {
    mem_bus *m = (mem_bus *)bus;
    for (size_t i = 0; i < m->count; i++) free_batch(m->ring[(m->head + i) % m->cap]);
    for (size_t i = 0; i < m->nfree; i++) free_batch(m->free_list[i]);
    free(m->ring);
    free(m->free_list);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->not_empty);
    pthread_cond_destroy(&m->not_full);
    free(m);
}

static const sl_bus_ops mem_ops = {mb_put, mb_get, mb_recycle, mb_take_free, mb_close_producer, mb_close_consumer,
                                   mb_stats, mb_free};

sl_err sl_bus_mem_open(sl_bus **out, size_t capacity, char *err, size_t errlen) {
    *out = NULL;
    if (capacity == 0) return sl_err_set(err, errlen, SL_ERR_ARG, "bus capacity must be at least 1");
    mem_bus *m = calloc(1, sizeof *m);
    if (!m) return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    m->ring = calloc(capacity, sizeof *m->ring);
    if (!m->ring) {
        free(m);
        return sl_err_set(err, errlen, SL_ERR_NOMEM, "out of memory");
    }
    m->cap = capacity;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->not_empty, NULL);
    pthread_cond_init(&m->not_full, NULL);
    m->base.ops = &mem_ops;
    *out = &m->base;
    return SL_OK;
}
