#include "serve/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hashmap.h"

#define NBUCKETS 4096
#define MAX_ENTRIES 20000

sv_body *sv_body_new(int status, const void *p, size_t len) {
    sv_body *b = malloc(sizeof *b + len + 1);
    if (!b) return NULL;
    b->refs = 1;
    b->status = status;
    b->csv = false;
    b->name[0] = '\0';
    b->has_run = false;
    b->running = -1;
    b->eps = 0;
    b->health_us = INT64_MIN;
    b->len = len;
    if (len) memcpy(b->data, p, len);
    b->data[len] = '\0';
    return b;
}

sv_body *sv_body_ref(sv_body *b) {
    __atomic_fetch_add(&b->refs, 1, __ATOMIC_RELAXED);
    return b;
}

void sv_body_unref(sv_body *b) {
    if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) free(b);
}

const char *sv_cache_how_name(sv_cache_how h) {
    switch (h) {
    case SV_CACHE_HIT: return "hit";
    case SV_CACHE_MISS: return "miss";
    case SV_CACHE_WAIT: return "wait";
    case SV_CACHE_STALE: return "stale";
    default: return "none";
    }
}

typedef struct entry {
    struct entry *next;             /* bucket chain */
    struct entry *lru_prev, *lru_next;
    uint64_t hash;
    char *key;
    size_t klen;
    sv_body *body;                  /* NULL until computed */
    uint64_t version;               /* of body */
    double stored_at;               /* monotonic seconds when body was stored */
    bool computing;                 /* a computation is running or queued */
    uint64_t computing_version;
    int waiters;
} entry;

typedef struct job {
    struct job *next;
    entry *e;
    uint64_t version;
    void *ctx;
} job;

struct sv_cache {
    pthread_mutex_t mu;
    pthread_cond_t cv;              /* a computation finished */
    pthread_cond_t qcv;             /* a job was queued / stop */
    entry *buckets[NBUCKETS];
    entry *lru_head, *lru_tail;     /* head = most recently used */
    size_t bytes, max_bytes, nentries;
    double stale_max_s;
    sv_cache_fns fns;
    job *qhead, *qtail;
    pthread_t *workers;
    int nworkers;
    bool stop;
    uint64_t hits, misses, waits, stale, refreshes;
};

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t entry_bytes(const entry *e) { return sizeof *e + e->klen + (e->body ? e->body->len : 0); }

static void lru_unlink(sv_cache *c, entry *e) {
    if (e->lru_prev) e->lru_prev->lru_next = e->lru_next;
    else c->lru_head = e->lru_next;
    if (e->lru_next) e->lru_next->lru_prev = e->lru_prev;
    else c->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_front(sv_cache *c, entry *e) {
    if (c->lru_head == e) return;
    if (e->lru_prev || e->lru_next || c->lru_tail == e) lru_unlink(c, e);
    e->lru_next = c->lru_head;
    if (c->lru_head) c->lru_head->lru_prev = e;
    c->lru_head = e;
    if (!c->lru_tail) c->lru_tail = e;
}

static void remove_entry(sv_cache *c, entry *e) {
    entry **pp = &c->buckets[e->hash % NBUCKETS];
    while (*pp != e) pp = &(*pp)->next;
    *pp = e->next;
    lru_unlink(c, e);
    c->bytes -= entry_bytes(e);
    c->nentries--;
    sv_body_unref(e->body);
    free(e->key);
    free(e);
}

static void evict(sv_cache *c) {
    entry *e = c->lru_tail;
    while (e && (c->bytes > c->max_bytes || c->nentries > MAX_ENTRIES)) {
        entry *prev = e->lru_prev;
        if (!e->computing && e->waiters == 0) remove_entry(c, e);
        e = prev;
    }
}

/* A computation of e at `version` ended with b (mu held; b keeps the
 * caller's reference). */
static void finish(sv_cache *c, entry *e, uint64_t version, sv_body *b) {
    e->computing = false;
    if (b && b->status == 200 && b->len <= c->max_bytes / 4 && (!e->body || version >= e->version)) {
        c->bytes -= entry_bytes(e);
        sv_body_unref(e->body);
        e->body = sv_body_ref(b);
        e->version = version;
        e->stored_at = mono();
        c->bytes += entry_bytes(e);
    }
    if (!e->body && e->waiters == 0) remove_entry(c, e);
    evict(c);
    pthread_cond_broadcast(&c->cv);
}

static void *worker_main(void *arg) {
    sv_cache *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        job *j = c->qhead;
        if (!j) {
            pthread_cond_wait(&c->qcv, &c->mu);
            continue;
        }
        c->qhead = j->next;
        if (!c->qhead) c->qtail = NULL;
        pthread_mutex_unlock(&c->mu);
        sv_body *b = c->fns.compute(j->ctx);
        c->fns.release(j->ctx);
        pthread_mutex_lock(&c->mu);
        finish(c, j->e, j->version, b);
        sv_body_unref(b);
        free(j);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

sv_cache *sv_cache_new(size_t max_bytes, double stale_max_s, int workers, const sv_cache_fns *fns) {
    sv_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->qcv, NULL);
    c->max_bytes = max_bytes;
    c->stale_max_s = stale_max_s;
    c->fns = *fns;
    if (workers > 0 && stale_max_s > 0 && (c->workers = calloc((size_t)workers, sizeof *c->workers))) {
        for (int i = 0; i < workers; i++) {
            if (pthread_create(&c->workers[i], NULL, worker_main, c) != 0) break;
            c->nworkers++;
        }
    }
    return c;
}

void sv_cache_free(sv_cache *c) {
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_broadcast(&c->qcv);
    pthread_mutex_unlock(&c->mu);
    for (int i = 0; i < c->nworkers; i++) pthread_join(c->workers[i], NULL);
    free(c->workers);
    for (job *j = c->qhead, *n; j; j = n) {
        n = j->next;
        c->fns.release(j->ctx);
        j->e->computing = false;
        free(j);
    }
    while (c->lru_head) remove_entry(c, c->lru_head);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    pthread_cond_destroy(&c->qcv);
    free(c);
}

static entry *find(sv_cache *c, uint64_t h, const char *key, size_t klen) {
    for (entry *e = c->buckets[h % NBUCKETS]; e; e = e->next)
        if (e->hash == h && e->klen == klen && !memcmp(e->key, key, klen)) return e;
    return NULL;
}

/* Queue a background recomputation of e (mu held); false when it cannot. */
static bool queue_refresh(sv_cache *c, entry *e, uint64_t version, void *ctx) {
    if (!c->nworkers) return false;
    job *j = malloc(sizeof *j);
    void *copy = j ? c->fns.clone(ctx) : NULL;
    if (!copy) {
        free(j);
        return false;
    }
    j->next = NULL;
    j->e = e;
    j->version = version;
    j->ctx = copy;
    if (c->qtail) c->qtail->next = j;
    else c->qhead = j;
    c->qtail = j;
    e->computing = true;
    e->computing_version = version;
    c->refreshes++;
    pthread_cond_signal(&c->qcv);
    return true;
}

sv_body *sv_cache_get(sv_cache *c, const char *key, size_t klen, uint64_t version, bool fresh, void *ctx,
                      sv_cache_how *how) {
    uint64_t h = hm_hash_bytes(key, klen);
    bool waited = false;
    pthread_mutex_lock(&c->mu);
    entry *e;
    for (;;) {
        e = find(c, h, key, klen);
        if (e && e->body && e->version >= version) {
            sv_body *b = sv_body_ref(e->body);
            lru_front(c, e);
            if (waited) c->waits++;
            else c->hits++;
            *how = waited ? SV_CACHE_WAIT : SV_CACHE_HIT;
            pthread_mutex_unlock(&c->mu);
            return b;
        }
        if (e && e->body && !fresh && mono() - e->stored_at <= c->stale_max_s &&
            (e->computing || queue_refresh(c, e, version, ctx))) {
            sv_body *b = sv_body_ref(e->body);
            lru_front(c, e);
            c->stale++;
            *how = SV_CACHE_STALE;
            pthread_mutex_unlock(&c->mu);
            return b;
        }
        if (!e || !e->computing) break;
        e->waiters++;
        pthread_cond_wait(&c->cv, &c->mu);
        e->waiters--; /* e cannot go away while it has waiters */
        waited = true;
    }
    if (!e) {
        e = calloc(1, sizeof *e);
        char *k = e ? malloc(klen ? klen : 1) : NULL;
        if (!k) {
            free(e);
            pthread_mutex_unlock(&c->mu);
            *how = SV_CACHE_NONE;
            return c->fns.compute(ctx);
        }
        memcpy(k, key, klen);
        e->key = k;
        e->klen = klen;
        e->hash = h;
        e->next = c->buckets[h % NBUCKETS];
        c->buckets[h % NBUCKETS] = e;
        c->nentries++;
        c->bytes += entry_bytes(e);
    }
    lru_front(c, e);
    e->computing = true;
    e->computing_version = version;
    c->misses++;
    pthread_mutex_unlock(&c->mu);

    sv_body *b = c->fns.compute(ctx);

    pthread_mutex_lock(&c->mu);
    finish(c, e, version, b);
    pthread_mutex_unlock(&c->mu);
    *how = SV_CACHE_MISS;
    return b;
}

void sv_cache_get_stats(sv_cache *c, sv_cache_stats *s) {
    pthread_mutex_lock(&c->mu);
    s->entries = c->nentries;
    s->bytes = c->bytes;
    s->hits = c->hits;
    s->misses = c->misses;
    s->waits = c->waits;
    s->stale = c->stale;
    s->refreshes = c->refreshes;
    pthread_mutex_unlock(&c->mu);
}
