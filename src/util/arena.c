#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

struct sl_arena_block {
    sl_arena_block *next;
    size_t cap, off;
    /* data follows, 8-aligned */
    uint64_t data[];
};

void sl_arena_init(sl_arena *a) { memset(a, 0, sizeof *a); }

void *sl_arena_alloc(sl_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    sl_arena_block *b = a->head;
    if (!b || b->cap - b->off < n) {
        size_t cap = b ? b->cap * 2 : 64 * 1024;
        if (cap < n) cap = n;
        if (cap > (size_t)64 << 20 && n < ((size_t)64 << 20)) cap = (size_t)64 << 20;
        sl_arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb) return NULL;
        nb->cap = cap;
        nb->off = 0;
        nb->next = b;
        a->head = nb;
        a->reserved += cap;
        b = nb;
    }
    void *p = (char *)b->data + b->off;
    b->off += n;
    a->used += n;
    return p;
}

bool sl_arena_reserve(sl_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    sl_arena_block *b = a->head;
    if (n == 0 || (b && b->cap - b->off >= n)) return true;
    sl_arena_block *nb = malloc(sizeof *nb + n);
    if (!nb) return false;
    nb->cap = n;
    nb->off = 0;
    nb->next = b;
    a->head = nb;
    a->reserved += n;
    return true;
}

void *sl_arena_dup(sl_arena *a, const void *p, size_t n) {
    void *d = sl_arena_alloc(a, n ? n : 1);
    if (d && n) memcpy(d, p, n);
    return d;
}

void sl_arena_reset(sl_arena *a) {
    sl_arena_block *b = a->head;
    if (!b) return;
    /* keep the newest (largest) block */
    sl_arena_block *rest = b->next;
    while (rest) {
        sl_arena_block *n = rest->next;
        a->reserved -= rest->cap;
        free(rest);
        rest = n;
    }
    b->next = NULL;
    b->off = 0;
    a->used = 0;
}

void sl_arena_free(sl_arena *a) {
    sl_arena_block *b = a->head;
    while (b) {
        sl_arena_block *n = b->next;
        free(b);
        b = n;
    }
    memset(a, 0, sizeof *a);
}
