/* hashmap.h: open-addressing hash map with dense entry storage, for the
 * event-time processor's per-window accumulators.
 *
 * Entries are fixed-size records (key first, then value) stored densely in
 * insertion order (hm_at(m, i), i < m->n), so emission iterates and sorts a
 * plain array.  The probe table holds uint32 entry indexes (linear probing,
 * load <= 1/2) and the full 64-bit hash of every entry is kept, so a probe
 * compares keys only on a hash match.  The caller supplies the hash; keys are
 * compared with memcmp over the first ksz bytes of the entry (keys must be
 * padding-free or zeroed), or with a caller function (variable-length keys
 * that point elsewhere).  Entries are never removed; the whole map is freed
 * at once.  Entry pointers are valid until the next insertion.
 */
#ifndef SL_HASHMAP_H
#define SL_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returns true when entry ent has key key. */
typedef bool (*hm_eq_fn)(const void *ent, const void *key);

typedef struct hm {
    uint32_t *slots;      /* mask + 1 slots: 0 = empty, else entry index + 1 */
    uint64_t *hashes;     /* per entry */
    unsigned char *ents;  /* n entries of esz bytes */
    size_t n, ecap, mask;
    size_t esz, ksz;
} hm;

void hm_init(hm *m, size_t esz, size_t ksz);
void hm_free(hm *m);
static inline void *hm_at(const hm *m, size_t i) { return m->ents + i * m->esz; }
/* The entry with this key, or NULL. eq may be NULL (memcmp of ksz bytes). */
void *hm_find(const hm *m, uint64_t h, const void *key, hm_eq_fn eq);
/* The entry with this key; when absent, a new zeroed entry is appended (with
 * the first ksz bytes copied from key when eq is NULL; otherwise the caller
 * fills the key) and *added is set.  NULL on allocation failure. */
void *hm_upsert(hm *m, uint64_t h, const void *key, hm_eq_fn eq, bool *added);

/* Hashing helpers. */
static inline uint64_t hm_mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}
static inline uint64_t hm_hash2(uint64_t a, uint64_t b) { return hm_mix(a * 0x9e3779b97f4a7c15ULL ^ hm_mix(b)); }
uint64_t hm_hash_bytes(const void *p, size_t n);

#endif
