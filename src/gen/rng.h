/* rng.h: small, fast, deterministic random numbers for the generator.
 *
 *  - gen_mix64: the splitmix64 finalizer; gen_hash(a, b) combines two words.
 *    Every random decision of the generator is keyed by a hash of (seed,
 *    purpose, instance, row), so a row's content does not depend on the order
 *    rows are produced in (counter-based randomness).
 *  - gen_rng: xoshiro256** (Blackman and Vigna), seeded through splitmix64,
 *    for the draws of one row or one template.
 *  - gen_feistel: a keyed bijection of [0, n) (4-round Feistel network with
 *    cycle walking), used for query ids and for the shuffled row order.
 */
#ifndef SL_GEN_RNG_H
#define SL_GEN_RNG_H

#include <math.h>
#include <stdint.h>

static inline uint64_t gen_mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t gen_hash(uint64_t a, uint64_t b) { return gen_mix64(a ^ gen_mix64(b + 0x632be59bd9b4e019ull)); }
static inline uint64_t gen_hash3(uint64_t a, uint64_t b, uint64_t c) { return gen_hash(gen_hash(a, b), c); }
/* uniform double in [0, 1) from 53 bits of x */
static inline double gen_unit(uint64_t x) { return (double)(x >> 11) * 0x1.0p-53; }

typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;

static inline void gen_rng_seed(gen_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) {
        seed += 0x9e3779b97f4a7c15ull;
        r->s[i] = gen_mix64(seed);
    }
}
static inline uint64_t gen_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline uint64_t gen_next64(gen_rng *r) {
    uint64_t *s = r->s;
    uint64_t res = gen_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen_rotl(s[3], 45);
    return res;
}
/* [0, 1) */
static inline double gen_u01(gen_rng *r) { return gen_unit(gen_next64(r)); }
/* (0, 1) */
static inline double gen_u01_open(gen_rng *r) { return ((double)(gen_next64(r) >> 12) + 0.5) * 0x1.0p-52; }
/* [0, n) (Lemire's multiply-shift; the tiny bias is irrelevant here) */
static inline uint64_t gen_below(gen_rng *r, uint64_t n) {
    return (uint64_t)(((unsigned __int128)gen_next64(r) * n) >> 64);
}
/* standard normal (Box-Muller, one value per call) */
static inline double gen_normal(gen_rng *r) {
    double u1 = gen_u01_open(r), u2 = gen_u01(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
static inline double gen_lognormal(gen_rng *r, double mu, double sigma) { return exp(mu + sigma * gen_normal(r)); }
/* Zipf-like rank in [1, n] with exponent s (> 0, != 1 handled; 1 via log):
 * the inverse CDF of the continuous power law on [1, n+1), floored. */
uint64_t gen_zipf(gen_rng *r, uint64_t n, double s);

/* Keyed bijection of [0, n) (n >= 1). */
typedef struct gen_feistel {
    uint64_t n, key;
    int half; /* bits per half */
} gen_feistel;
void gen_feistel_init(gen_feistel *f, uint64_t n, uint64_t key);
uint64_t gen_feistel_apply(const gen_feistel *f, uint64_t x);

#endif
