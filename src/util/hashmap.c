#include "util/hashmap.h"

#include <stdlib.h>
#include <string.h>

void hm_init(hm *m, size_t esz, size_t ksz) {
    memset(m, 0, sizeof *m);
    m->esz = esz;
    m->ksz = ksz;
}

void hm_free(hm *m) {
    free(m->slots);
    free(m->hashes);
    free(m->ents);
    size_t esz = m->esz, ksz = m->ksz;
    hm_init(m, esz, ksz);
}

static bool key_eq(const hm *m, size_t i, const void *key, hm_eq_fn eq) {
    const void *e = hm_at(m, i);
    return eq ? eq(e, key) : memcmp(e, key, m->ksz) == 0;
}

void *hm_find(const hm *m, uint64_t h, const void *key, hm_eq_fn eq) {
    if (!m->slots) return NULL;
    for (size_t s = (size_t)h & m->mask;; s = (s + 1) & m->mask) {
        uint32_t v = m->slots[s];
        if (!v) return NULL;
        if (m->hashes[v - 1] == h && key_eq(m, v - 1, key, eq)) return hm_at(m, v - 1);
    }
}

static bool grow_slots(hm *m) {
    size_t ncap = m->slots ? (m->mask + 1) * 2 : 16;
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return false;
    size_t nmask = ncap - 1;
    for (size_t i = 0; i < m->n; i++) {
        size_t s = (size_t)m->hashes[i] & nmask;
        while (ns[s]) s = (s + 1) & nmask;
        ns[s] = (uint32_t)(i + 1);
    }
    free(m->slots);
    m->slots = ns;
    m->mask = nmask;
    return true;
}

void *hm_upsert(hm *m, uint64_t h, const void *key, hm_eq_fn eq, bool *added) {
    *added = false;
    if (!m->slots || (m->n + 1) * 2 > m->mask + 1) {
        if (m->n >= UINT32_MAX - 1) return NULL;
        if (!grow_slots(m)) return NULL;
    }
    size_t s = (size_t)h & m->mask;
    for (;; s = (s + 1) & m->mask) {
        uint32_t v = m->slots[s];
        if (!v) break;
        if (m->hashes[v - 1] == h && key_eq(m, v - 1, key, eq)) return hm_at(m, v - 1);
    }
    if (m->n == m->ecap) {
        size_t nc = m->ecap ? m->ecap * 2 : 8;
        unsigned char *ne = realloc(m->ents, nc * m->esz);
        if (!ne) return NULL;
        m->ents = ne;
        uint64_t *nh = realloc(m->hashes, nc * sizeof *nh);
        if (!nh) return NULL;
        m->hashes = nh;
        m->ecap = nc;
    }
    void *e = hm_at(m, m->n);
    memset(e, 0, m->esz);
    if (!eq) memcpy(e, key, m->ksz);
    m->hashes[m->n] = h;
    m->slots[s] = (uint32_t)(m->n + 1);
    m->n++;
    *added = true;
    return e;
}

uint64_t hm_hash_bytes(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 0x243f6a8885a308d3ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = hm_mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return hm_mix(h ^ w ^ ((uint64_t)n << 56));
}
